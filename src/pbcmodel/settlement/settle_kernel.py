"""The fused settlement: a simulated year of a chunk settled in one compiled loop.

:func:`~pbcmodel.settlement.core.settle_arrays` settles a chunk of simulations as a
pipeline of numpy passes over simulations × practices (the variance, each side's share,
the rounding, netting's tables, freed-up resources and liabilities, clawback, the
instalments, the cash to the practice): about 16 ns of CPU per practice-year at national
size. With the optional extra ``pbcmodel[fast]`` (numba) and the kernel ``"numba"``
(:func:`pbcmodel.risk.kernel.active_kernel`), :func:`settle_year` does all of it in one
compiled loop, simulation by simulation (consortium by consortium when netting), and hands
the simulation loop (:func:`pbcmodel.scenario.loop.settle_chunk`) only what it reads:
:class:`Settled`.

**Which policies.** A :class:`~pbcmodel.sharing.ShareSchedule`'s savings side and the
losses rule of :func:`~pbcmodel.overspend.liability_rule` (any tiers, minimum rate, either
``first_dollar``, cap), with or without netting within consortia, clawback from freed-up
resources and future budgets in the policy's order, recovery over any number of years with
instalments carried forward, budgets one per practice. Anything else (gates and
conditions, a quality withhold, incentives, budgets per simulation) is settled by
:func:`~pbcmodel.settlement.core.settle_arrays`, as is everything under the kernel
``"numpy"``; the result is the same either way.

**One definition of each rule.** The loop holds no money arithmetic of its own: it calls
:func:`~pbcmodel.sharing.schedule.share_of_variance` (with
:func:`~pbcmodel.sharing.schedule.side_amount`, each side's tiers, minimum rate and cap),
:func:`~pbcmodel.overspend.netting_weight` and :func:`~pbcmodel.overspend.netted_total`
(netting's weights and rounded running totals), :func:`~pbcmodel.overspend.recover`
(a clawback step) and :func:`~pbcmodel.overspend.instalment` (the odd pence first): the
very functions the numpy path applies to arrays, compiled by numba for single numbers
(``numba.extending.register_jitable``), their float operations in the same order. What is
the loop's own is the order of work (a consortium's practices one after another rather than
netting's tables, a division only where there is a liability to divide) and whole-pence
bookkeeping: freed-up resources ``max(amount, 0)``, the liability ``max(−amount, 0)``, the
cash ``freed-up − clawed back − recovered from the budget``, the commissioner's
``variance − amount``, sums. Integers add up the same in any order, so the results are the
same integers (tests/test_settle_kernel.py). The money is checked as
:func:`~pbcmodel.settlement.core.settle_arrays` checks its own: exactly, on the first
simulation of each call.

**Compilation** happens on first use in a process and is cached on disk (numba's
``cache=True``); after editing one of the shared rules in ``sharing/schedule.py``,
``overspend/netting.py`` or ``overspend/recovery.py`` in a checkout, touch this file (or
delete its ``__pycache__/settle_kernel.*.nb*``) so that numba compiles them anew. The loop releases
the GIL and starts no threads of its own.

Examples
--------
>>> import numpy as np
>>> from pbcmodel.overspend import OverspendPolicy
>>> from pbcmodel.risk.kernel import kernel_available, use_kernel
>>> from pbcmodel.sharing import pbc_freed_up
>>> policy = dict(savings=pbc_freed_up(0.7), overspend=OverspendPolicy(practice_share=0.5,
...               recovery_years=2))
>>> budget, outturn = np.array([100_000, 200_000]), np.array([[90_000, 210_001]])
>>> with use_kernel("numpy"):
...     s = settle_year(budget, outturn, **policy)
>>> s.practice_amount.tolist(), s.net_to_practice.tolist(), s.recovery_next.tolist()
([[7000, -5000]], [[7000, 0]], [[[0, 0], [2500, 2500]]])
>>> if kernel_available():
...     with use_kernel("numba"):
...         fused = settle_year(budget, outturn, **policy)
...     assert all(np.array_equal(a, b) for a, b in zip(fused, s))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..errors import PBCModelError, ValidationError
from ..incentives import Incentives
from ..overspend import (
    CLAWBACK_SOURCES,
    Consortia,
    OverspendPolicy,
    instalment,
    liability_rule,
    netted_total,
    netting_sign,
    netting_weight,
    recover,
)
from ..risk.kernel import active_kernel, compiled
from ..sharing import ShareSchedule
from ..sharing.schedule import share_of_variance, side_amount
from ..withhold import QualityWithhold
from .core import NOT_CONSERVED, consortia_for, pence_array, settle_arrays

__all__ = ["Settled", "settle_year"]

#: The loop's answers, the one to report the highest: all well; liabilities brought forward
#: below 0; an outturn below 0.
_OK, _NEGATIVE_BROUGHT, _NEGATIVE_OUTTURN = 0, 1, 2


class Settled(NamedTuple):
    """What the simulation loop reads of a settled year (int64 pence; S simulations, P
    practices), as :class:`~pbcmodel.settlement.core.SettlementArrays` would give it.

    Attributes
    ----------
    practice_amount : (S, P) the practice's amount (+ freed-up, − liability).
    net_to_practice : (S, P) the cash to the practice this year.
    commissioner : (S,) the commissioner's amount, summed over practices.
    carried : (S,) the instalments carried forward, summed over practices and years.
    recovery_next : (S, P, Y) the instalments carried forward (pass them back next year).
    """

    practice_amount: np.ndarray
    net_to_practice: np.ndarray
    commissioner: np.ndarray
    carried: np.ndarray
    recovery_next: np.ndarray


def settle_year(budget_pence: Any, outturn_pence: Any, *,
                savings: ShareSchedule | None = None,
                overspend: OverspendPolicy | None = None,
                incentives: Incentives | None = None,
                consortium_codes: Any = None,
                list_size: Any = None,
                conditions: Mapping[str, Any] | None = None,
                carry_forward_pence: Any = None,
                withhold: QualityWithhold | None = None) -> Settled:
    """Settle many simulations of a year, as :func:`~pbcmodel.settlement.core.settle_arrays`
    (the same arguments), returning only what a simulation's tallies read.

    In one compiled loop when the kernel is numba and the policy is one the loop settles
    (see the module's notes); otherwise by
    :func:`~pbcmodel.settlement.core.settle_arrays`. The same pence either way.

    Returns
    -------
    Settled

    Raises
    ------
    ValidationError
        Bad input, named (as :func:`~pbcmodel.settlement.core.settle_arrays`).
    PBCModelError
        If the money were not conserved to the penny (a bug, never expected).

    Examples
    --------
    >>> from pbcmodel.sharing import pbc_freed_up
    >>> s = settle_year(np.array([100_000, 200_000]), np.array([[90_000, 190_000]]),
    ...                 savings=pbc_freed_up(0.7))
    >>> s.practice_amount.tolist(), s.commissioner.tolist()
    ([[7000, 7000]], [6000])
    """
    savings = ShareSchedule() if savings is None else savings
    budget = pence_array(budget_pence, "budget_pence")
    outturn = pence_array(outturn_pence, "outturn_pence")
    brought = _brought(carry_forward_pence, outturn.shape)
    if (active_kernel() != "numba" or savings.gates or incentives is not None
            or withhold is not None or conditions or budget.ndim != 1 or outturn.ndim != 2
            or outturn.shape[1] != budget.size or brought is None):
        arrays = settle_arrays(
            budget, outturn, savings=savings, overspend=overspend, incentives=incentives,
            consortium_codes=consortium_codes, list_size=list_size, conditions=conditions,
            carry_forward_pence=carry_forward_pence, withhold=withhold)
        return Settled(arrays.practice_amount, arrays.net_to_practice,
                       arrays.commissioner_amount.sum(axis=1),
                       arrays.recovery_next.sum(axis=(1, 2)), arrays.recovery_next)
    return _fused(budget, outturn, savings, overspend, consortium_codes, brought)


def _brought(carry_forward_pence: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """Instalments brought forward, year-major ``(Y, S, P)`` C-ordered int64 (``Y`` may be
    0), or None when the loop does not take them as given (not ``(S, P, Y)``)."""
    if carry_forward_pence is None:
        return np.zeros((0, *shape), dtype=np.int64)
    brought = np.asarray(carry_forward_pence)
    if brought.dtype.kind not in "iu" or brought.shape[:2] != shape or brought.ndim != 3:
        return None
    return np.ascontiguousarray(brought.transpose(2, 0, 1), dtype=np.int64)


def _fused(budget: np.ndarray, outturn: np.ndarray, savings: ShareSchedule,
           overspend: OverspendPolicy | None, consortium_codes: Any, brought: np.ndarray
           ) -> Settled:
    """:func:`settle_year` by the compiled loop (budget (P,), outturn (S, P), brought
    (Y, S, P))."""
    if (budget <= 0).any():
        raise ValidationError("budget_pence: budgets must be > 0")
    losses = liability_rule(savings, overspend)
    consortia = consortia_for(overspend, consortium_codes, budget.shape)
    years = overspend.recovery_years if overspend is not None else 1
    claw_freed = "freed_up" in (overspend.clawback_order if overspend is not None
                                else CLAWBACK_SOURCES)
    laid_out, members, starts, group_budget = _layout(budget, consortia)
    in_order = bool((members == np.arange(members.size)).all())
    amount, net, recovery, commissioner, carried = _outputs(
        outturn.shape[0], outturn.shape[1], max(years, brought.shape[0] - 1))
    status = _compiled()(laid_out, np.ascontiguousarray(outturn), savings.savings_rule.terms,
                         losses.terms, consortia is not None, members, starts, group_budget,
                         in_order, years, claw_freed, brought, amount, net, recovery,
                         commissioner, carried)
    if status == _NEGATIVE_OUTTURN:
        raise ValidationError("outturn_pence: outturn must be >= 0")
    if status == _NEGATIVE_BROUGHT:
        raise ValidationError("carry_forward_pence: liabilities brought forward must be >= 0")
    settled = Settled(amount, net, commissioner, carried, recovery.transpose(1, 2, 0))
    _check_conserved(budget, outturn, settled, brought)
    return settled


def _layout(budget: np.ndarray, consortia: Consortia | None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The budgets as the loop reads them (in the consortia's order when netting), the
    consortia's practices and where each starts (:attr:`Consortia.members`), and their
    budgets."""
    if consortia is None:
        none = np.zeros(0, dtype=np.int64)
        return budget, none, none, none
    members, starts = consortia.members
    laid_out = budget[members]
    group_budget = (np.add.reduceat(laid_out, starts[:-1]) if laid_out.size
                    else np.zeros(0, dtype=np.int64))
    return laid_out, members, starts, group_budget


def _outputs(sims: int, practices: int, years: int) -> tuple[np.ndarray, ...]:
    """The loop's outputs (amount and cash (S, P), instalments (Y, S, P), commissioner and
    carried (S,)), in one block: freed and allocated again chunk after chunk, one block is
    kept by malloc for reuse where separate arrays are returned to the system and their
    pages faulted in afresh (a third of the loop's time)."""
    cells = sims * practices
    block = np.empty((2 + years) * cells + 2 * sims, dtype=np.int64)
    table = block[:(2 + years) * cells].reshape(2 + years, sims, practices)
    commissioner, carried = block[(2 + years) * cells:].reshape(2, sims)
    return table[0], table[1], table[2:], commissioner, carried


def _check_conserved(budget: np.ndarray, outturn: np.ndarray, settled: Settled,
                     brought: np.ndarray) -> None:
    """Every penny lands with exactly one party, checked as
    :func:`~pbcmodel.settlement.core.settle_arrays` checks its own: exactly, on the first
    simulation. The commissioner has the rest of the variance, and every liability (this
    year's and those brought forward) is recovered exactly once: clawed back or from this
    year's budget (freed-up resources less the cash paid) or from future budgets."""
    if not outturn.shape[0]:
        return
    amount = settled.practice_amount[0]
    owed = np.maximum(-amount, 0) + brought[:, 0].sum(axis=0)
    recovered = np.maximum(amount, 0) - settled.net_to_practice[0] + \
        settled.recovery_next[0].sum(axis=-1)
    if (settled.commissioner[0] != (budget - outturn[0] - amount).sum()
            or (owed != recovered).any()):
        raise PBCModelError(NOT_CONSERVED)


# ----------------------------------------------------------------------------- the loop
def _settle_rows(budget: np.ndarray, outturn: np.ndarray, savings: Any, losses: Any,
                 netting: bool, members: np.ndarray, starts: np.ndarray,
                 group_budget: np.ndarray, in_order: bool, years: int, claw_freed: bool,
                 brought: np.ndarray,
                 amount: np.ndarray, net: np.ndarray, recovery: np.ndarray,
                 commissioner: np.ndarray, carried: np.ndarray) -> int:
    """Each simulation (row) settled in turn: the practices' amounts and cash, then the
    instalments carried forward; 0, or what was wrong with the input."""
    status = _OK
    variance = np.empty(members.size, dtype=np.int64)   # a row's, in the consortia's order
    parts = np.empty(members.size, dtype=np.int64)
    for s in range(outturn.shape[0]):
        if netting:
            bad = _netted_row(s, budget, outturn, savings, losses, members, starts,
                              group_budget, in_order, amount, commissioner, variance, parts)
        else:
            bad = _own_row(s, budget, outturn, savings, losses, amount, commissioner)
        wrong = _cash_row(s, amount, claw_freed, brought, net)
        carried[s], late = _instalments_row(s, amount, years, brought, recovery)
        status = max(status, bad, wrong, late)
    return status


def _own_row(s: int, budget: np.ndarray, outturn: np.ndarray, savings: Any, losses: Any,
             amount: np.ndarray, commissioner: np.ndarray) -> int:
    """Row ``s``: each practice's amount from its own variance, whole pence; 0, or what
    was wrong."""
    variance_total, amount_total, bad = 0, 0, _OK
    for p in range(budget.size):
        if outturn[s, p] < 0:
            bad = _NEGATIVE_OUTTURN
        variance = budget[p] - outturn[s, p]
        value = int(np.rint(share_of_variance(np.float64(budget[p]), np.float64(variance),
                                              None, savings, losses)))
        amount[s, p] = value
        variance_total += variance
        amount_total += value
    commissioner[s] = variance_total - amount_total
    return bad


def _netted_row(s: int, budget: np.ndarray, outturn: np.ndarray, savings: Any, losses: Any,
                members: np.ndarray, starts: np.ndarray, group_budget: np.ndarray,
                in_order: bool, amount: np.ndarray, commissioner: np.ndarray,
                variance: np.ndarray, parts: np.ndarray) -> int:
    """Row ``s``: each practice's part of its consortium's amount, whole pence; 0, or what
    was wrong. The practices' variances are laid out in the consortia's order
    (``variance``; ``budget`` is in that order too), each consortium is settled from them
    (:func:`_netted_consortium`) into ``parts``, and the parts are put back in the
    practices' order; or, when the practices are already in the consortia's order
    (``in_order``, as a population listed by consortium is), read and written in place."""
    smallest = 0
    for i in range(members.size):
        spend = outturn[s, i] if in_order else outturn[s, members[i]]
        smallest = min(smallest, spend)
        variance[i] = budget[i] - spend
    into = amount[s] if in_order else parts
    kept = 0
    for g in range(starts.size - 1):
        kept += _netted_consortium(variance, starts[g], starts[g + 1], group_budget[g],
                                   savings, losses, into)
    commissioner[s] = kept
    if not in_order:
        for i in range(members.size):
            amount[s, members[i]] = parts[i]
    return _NEGATIVE_OUTTURN if smallest < 0 else _OK


def _netted_consortium(variance: np.ndarray, first: int, stop: int, group_budget: int,
                       savings: Any, losses: Any, parts: np.ndarray) -> int:
    """The practices ``first:stop`` of a consortium (their variances in ``variance``): a
    first pass adds up its variance and both weights it may need (its underspends and its
    overspends); the second allocates its amount to ``parts``. The commissioner's part of
    its variance."""
    group_variance, under, over = 0, 0, 0
    for i in range(first, stop):
        group_variance += variance[i]
        under += netting_weight(variance[i], 0)
        over += netting_weight(variance[i], -1)
    group_amount = np.rint(share_of_variance(np.float64(group_budget),
                                             np.float64(group_variance), None, savings,
                                             losses))
    group_weight = under if netting_sign(group_variance) > 0 else over
    within, before = 0, 0
    for i in range(first, stop):
        within += netting_weight(variance[i], group_variance)
        running = int(netted_total(within, group_amount, group_weight))
        parts[i] = running - before
        before = running
    return group_variance - before       # the consortium's amount is its last running total


def _cash_row(s: int, amount: np.ndarray, claw_freed: bool, brought: np.ndarray,
              net: np.ndarray) -> int:
    """Row ``s``'s cash to each practice into ``net``: its freed-up resources, less what
    they recover of the instalment due when the policy's order names them, less the rest
    of it (recovered from this year's budget); 0, or what was wrong."""
    bad = _OK
    for p in range(amount.shape[1]):
        cash = max(amount[s, p], 0)
        if brought.shape[0]:
            due = brought[0, s, p]
            if due < 0:
                bad = _NEGATIVE_BROUGHT
            if claw_freed:
                taken, due = recover(cash, due)
                cash -= taken
            cash -= due
        net[s, p] = cash
    return bad


def _instalments_row(s: int, amount: np.ndarray, years: int, brought: np.ndarray,
                     recovery: np.ndarray) -> tuple[int, int]:
    """Row ``s``'s instalments carried forward: what was brought forward for each later
    year (a pass over the practices for each year), plus this year's liability over
    ``years`` (a pass over the practices, dividing only a liability: the rare and slowest
    step); their sum, and 0 or what was wrong."""
    total, smallest = 0, 0
    for k in range(recovery.shape[0]):
        if k + 1 < brought.shape[0]:
            for p in range(amount.shape[1]):
                later = brought[k + 1, s, p]
                recovery[k, s, p] = later
                total += later
                smallest = min(smallest, later)
        else:
            recovery[k, s] = 0
    for p in range(amount.shape[1]):
        liability = max(-amount[s, p], 0)
        if liability:
            for k in range(years):
                value = instalment(liability, years, k)
                recovery[k, s, p] += value
                total += value
    return total, _NEGATIVE_BROUGHT if smallest < 0 else _OK


def _compiled() -> Callable[..., int]:
    """:func:`_settle_rows` compiled, the shared rules (and its steps) made callable from it
    (:func:`pbcmodel.risk.kernel.compiled`)."""
    return compiled(_settle_rows, (side_amount, share_of_variance, netting_sign,
                                   netting_weight, netted_total, recover, instalment, _own_row,
                                   _netted_row, _netted_consortium, _cash_row,
                                   _instalments_row),
                    "compiled settlement (kernel 'numba')")
