"""Vectorised settlement core in integer pence (imported by :mod:`pbcmodel.settlement`).

One function, :func:`settle_arrays`, settles any number of simulated years
(rows) for any number of practices (columns) at once. ``settle()`` and
``Scenario.simulate`` both call it. It holds no money rule of its own: it is a short
pipeline of named steps, each a call into the module that owns the rule —

1. check the inputs (whole pence, shapes, conditions);
2. share each variance (:mod:`pbcmodel.sharing` and :mod:`pbcmodel.overspend`): the gates
   and the practice's share of an underspend (:func:`~pbcmodel.sharing.shared_amount`), its
   liability for an overspend (:func:`~pbcmodel.overspend.liability_rule`), or its part of
   its consortium's amount (:func:`~pbcmodel.overspend.net_within_consortia`);
3. the quality withhold (:class:`pbcmodel.withhold.QualityWithhold`): the part not earned
   back is taken from the practice's amount and kept by the commissioner. It comes after
   sharing, so the shares are of the whole variance, and before clawback, but it is kept
   out of clawback and recovery: it was never paid, so it is not a liability to recover;
4. incentive payments earned (:meth:`pbcmodel.incentives.Incentives.amounts_pence`);
5. recover liabilities (:mod:`pbcmodel.overspend`): clawback in the policy's order
   (:func:`~pbcmodel.overspend.claw_back`), then future budgets
   (:func:`~pbcmodel.overspend.recovery_schedule`);
6. check that the money is conserved to the penny.

:class:`~pbcmodel.overspend.Consortia` is importable from here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from ..errors import PBCModelError, ValidationError
from ..incentives import Incentives
from ..overspend import (
    CLAWBACK_SOURCES,
    Clawback,
    Consortia,
    OverspendPolicy,
    claw_back,
    liability_rule,
    net_within_consortia,
    recovery_schedule,
)
from ..sharing import ShareSchedule, SideRule, shared_amount
from ..validation import condition_array, quoted
from ..withhold import QualityWithhold

__all__ = ["NOT_CONSERVED", "Consortia", "SettlementArrays", "consortia_for", "settle_arrays"]

#: The error a settlement raises if the money were not conserved to the penny (a bug, never
#: expected): this pipeline's check and the compiled settlement's
#: (:mod:`~pbcmodel.settlement.settle_kernel`).
NOT_CONSERVED = ("settlement: the money is not conserved to the penny; this is a bug in "
                 "pbcmodel, please report it with the inputs")


def _no_flow(arrays: SettlementArrays) -> np.ndarray:
    """An absent flow: a read-only all-zero view of the variance's shape."""
    return np.broadcast_to(np.int64(0), arrays.variance.shape)


@attrs.frozen(eq=False)
class SettlementArrays:
    """Money flows of a settlement as int64 pence arrays of shape ``(S, P)``.

    Identities (exact, element by element): ``practice_amount +
    commissioner_amount == variance``; ``practice_amount + withhold_unearned ==
    freed_up − liability``; ``freed_up − clawback_freed_up == freed_up_paid``;
    ``incentive_signup + incentive_plan − clawback_incentives == incentive_paid``.
    ``recovery_next`` has shape ``(S, P, Y)``: the instalments to deduct from the
    budgets 1, 2, …, Y years ahead (pass it back as ``carry_forward_pence`` next year).
    Arrays may be read-only views (e.g. all-zero incentives, or no withhold); copy one
    before writing into it.

    Attributes
    ----------
    variance : budget − outturn (+ underspend, − overspend).
    entitlement : practice's amount under the rules before gates.
    practice_amount : after gates; + freed-up resources, − liability borne, − the
        withhold not earned back.
    commissioner_amount : ``variance − practice_amount`` (it keeps the unearned withhold).
    incentive_signup, incentive_plan : incentive payments earned.
    clawback_freed_up, clawback_incentives : liabilities recovered from them.
    recovered_from_budget : instalment brought forward, deducted from this year's budget.
    recovery_next : instalments carried forward.
    withheld, withhold_earned : the quality withhold held back from the budget, and the
        part of it earned back (all zero without a withhold).
    """

    variance: np.ndarray
    entitlement: np.ndarray
    practice_amount: np.ndarray
    commissioner_amount: np.ndarray
    incentive_signup: np.ndarray
    incentive_plan: np.ndarray
    clawback_freed_up: np.ndarray
    clawback_incentives: np.ndarray
    recovered_from_budget: np.ndarray
    recovery_next: np.ndarray
    withheld: np.ndarray = attrs.field(default=attrs.Factory(_no_flow, takes_self=True))
    withhold_earned: np.ndarray = attrs.field(default=attrs.Factory(_no_flow, takes_self=True))

    @property
    def withhold_unearned(self) -> np.ndarray:
        """The withhold not earned back, kept by the commissioner, pence."""
        if _all_zero_view(self.withheld):
            return self.withheld
        return self.withheld - self.withhold_earned

    @property
    def shared(self) -> np.ndarray:
        """The practice's amount under the sharing and overspend rules, before the withhold
        (``practice_amount + withhold_unearned``), pence."""
        unearned = self.withhold_unearned
        return (self.practice_amount if _all_zero_view(unearned)
                else self.practice_amount + unearned)

    @property
    def freed_up(self) -> np.ndarray:
        """Freed-up resources the practice can access (after gates), pence."""
        return np.maximum(self.shared, 0)

    @property
    def liability(self) -> np.ndarray:
        """This year's new liability of the practice (its share of an overspend), pence; the
        unearned withhold is not one (it was never paid)."""
        return np.maximum(-self.shared, 0)

    @property
    def freed_up_paid(self) -> np.ndarray:
        """Freed-up resources paid after clawback, pence."""
        return _combine(self.freed_up, minus=(self.clawback_freed_up,))

    @property
    def incentive_paid(self) -> np.ndarray:
        """Incentive payments after clawback, pence."""
        return _combine(self.incentive_signup + self.incentive_plan,
                        minus=(self.clawback_incentives,))

    @property
    def net_to_practice(self) -> np.ndarray:
        """Cash to the practice this year: freed-up + incentives paid − budget recovery −
        the withhold not earned back (held back from the budget and never paid)."""
        return _combine(self.freed_up, plus=(self.incentive_signup, self.incentive_plan),
                        minus=(self.clawback_freed_up, self.clawback_incentives,
                               self.recovered_from_budget, self.withhold_unearned))

    @property
    def liability_carried(self) -> np.ndarray:
        """Total still to be recovered from future budgets, pence."""
        return self.recovery_next.sum(axis=-1)


def _all_zero_view(a: np.ndarray) -> bool:
    """True for a read-only broadcast of a single zero (how absent flows are held)."""
    return a.size > 0 and not any(a.strides) and not a.flat[0]


def _combine(first: np.ndarray, plus: tuple[np.ndarray, ...] = (),
             minus: tuple[np.ndarray, ...] = ()) -> np.ndarray:
    """``first + Σ plus − Σ minus``, in place in ``first`` (a new array the caller made),
    skipping flows that are all-zero views."""
    out = first
    for term in plus:
        if not _all_zero_view(term):
            out += term
    for term in minus:
        if not _all_zero_view(term):
            out -= term
    return out


def pence_array(values: Any, name: str) -> np.ndarray:
    """Integer pence as int64; floats are accepted only if whole numbers."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)     # read, never written: no copy needed
    if arr.dtype.kind == "f" and np.isfinite(arr).all() and (arr == np.round(arr)).all():
        return arr.astype(np.int64)
    raise ValidationError(f"{name}: expected whole pence (integers), got dtype {arr.dtype}")


# ----------------------------------------------------------------------------- the pipeline
def settle_arrays(budget_pence: Any, outturn_pence: Any, *,
                  savings: ShareSchedule | None = None,
                  overspend: OverspendPolicy | None = None,
                  incentives: Incentives | None = None,
                  consortium_codes: Any = None,
                  list_size: Any = None,
                  conditions: Mapping[str, Any] | None = None,
                  carry_forward_pence: Any = None,
                  withhold: QualityWithhold | None = None) -> SettlementArrays:
    """Settle many practice-years at once, exactly in pence.

    The steps, each a call into the module that owns the rule: check the inputs; each
    practice's share of an underspend and the gates (:mod:`pbcmodel.sharing`), its
    liability for an overspend or its part of its consortium's amount
    (:mod:`pbcmodel.overspend`); the quality withhold not earned back, taken from the
    practice's amount (:mod:`pbcmodel.withhold`); incentive payments
    (:mod:`pbcmodel.incentives`); clawback and recovery from future budgets
    (:mod:`pbcmodel.overspend`), which never touch the withhold; a check that the money
    is conserved.

    Parameters
    ----------
    budget_pence : int array, shape (P,) or (S, P)
        Budgets in whole pence (> 0).
    outturn_pence : int array, shape (S, P) or (P,)
        Outturn (actual spend) in whole pence (>= 0). Budget and outturn
        broadcast to ``(S, P)``; a 1-d result is promoted to ``(1, P)``.
    savings : ShareSchedule, optional
        Governs underspends (and overspends when ``overspend`` is None). None:
        the commissioner keeps every underspend.
    overspend : OverspendPolicy, optional
        Governs overspends, netting and recovery. It cannot be combined with a
        schedule whose ``losses`` side shares anything (choose one). Without
        it, liabilities from the schedule's losses side are recovered from
        freed-up resources, then incentives, then next year's budget.
    incentives : Incentives, optional
    consortium_codes : int array, shape (P,), or Consortia
        Needed when ``overspend.net_within_consortium``. A :class:`Consortia` built
        once from the codes saves grouping them on every call.
    list_size : array, shape (P,)
        Registered patients, needed for incentives.
    conditions : mapping
        Gate and incentive conditions; values are scalars or arrays that
        broadcast to ``(S, P)``. Every gate's condition must be given and every
        condition given must be used.
    carry_forward_pence : int array, shape (P,), (S, P) or (S, P, Y), optional
        Instalments brought forward. A 1-d or 2-d array is all due this year;
        a 3-d array is a schedule whose ``[..., 0]`` is due this year and
        ``[..., k]`` k years later (pass the previous ``recovery_next``).
    withhold : QualityWithhold, optional
        A fraction of each budget held back, earned back where its condition (a key of
        ``conditions``) holds; the commissioner keeps the rest. The practice's amount is
        reduced by the part not earned back, after sharing and before clawback (the
        incentives' freed-up resources and clawback see the amount before it).

    Returns
    -------
    SettlementArrays

    Raises
    ------
    ValidationError
        Bad input, named.
    PBCModelError
        If the money were not conserved to the penny (a bug, never expected).

    Examples
    --------
    Two practices with budgets £1,000 and £2,000, 70% of underspends to the
    practice, over two simulated years:

    >>> import numpy as np
    >>> from pbcmodel.sharing import pbc_freed_up
    >>> r = settle_arrays(np.array([100_000, 200_000]),
    ...                   np.array([[90_000, 210_000], [100_001, 150_000]]),
    ...                   savings=pbc_freed_up(0.7))
    >>> r.practice_amount.tolist(), r.commissioner_amount.tolist()
    ([[7000, 0], [0, 35000]], [[3000, -10000], [-1, 15000]])

    With a 2% quality withhold (£20 and £40) earned back by the first practice only:

    >>> from pbcmodel.withhold import QualityWithhold
    >>> r = settle_arrays(np.array([100_000, 200_000]), np.array([90_000, 210_000]),
    ...                   savings=pbc_freed_up(0.7), withhold=QualityWithhold(0.02),
    ...                   conditions={"quality_met": np.array([True, False])})
    >>> r.withheld.tolist(), r.withhold_earned.tolist()
    ([[2000, 4000]], [[2000, 0]])
    >>> r.practice_amount.tolist(), r.commissioner_amount.tolist()
    ([[7000, -4000]], [[3000, -6000]])
    """
    # 1. inputs
    savings = ShareSchedule() if savings is None else savings
    conditions = {} if conditions is None else dict(conditions)
    losses = liability_rule(savings, overspend)         # the rule that sets a liability
    budget, variance = _budget_and_variance(budget_pence, outturn_pence)
    shape = variance.shape
    _check_condition_names(conditions, savings, incentives, withhold)

    # 2. each practice's amount: + its share of an underspend (after gates), − its liability
    factor = savings.gate_factor(conditions, shape)
    consortia = consortia_for(overspend, consortium_codes, shape[-1:])
    entitlement, amount = (_shared(budget, variance, savings, losses, factor)
                           if consortia is None else
                           _netted(budget, variance, consortia, savings, losses, factor))
    freed = np.maximum(amount, 0)
    liability = np.negative(amount)
    np.maximum(liability, 0, out=liability)
    zero = np.broadcast_to(np.int64(0), shape)          # read-only, allocates nothing

    # 3. the quality withhold: the part not earned back is kept by the commissioner
    withheld, earned, amount = _withheld(withhold, budget, conditions, amount, zero)

    # 4. incentives (before clawback, which may recover liabilities from them)
    signup, plan = _incentives_earned(incentives, list_size, conditions, freed, zero)

    # 5. recovery: clawback in the policy's order, then future budgets
    brought = _brought_forward(carry_forward_pence, shape)
    clawed, recovery = _recover(liability, brought, freed, signup, plan, overspend,
                                incentives)

    # 6. conservation: the commissioner has the rest of each variance; nothing is lost
    result = SettlementArrays(
        variance=variance, entitlement=entitlement, practice_amount=amount,
        commissioner_amount=variance - amount, incentive_signup=signup, incentive_plan=plan,
        clawback_freed_up=_or_zero(clawed.from_freed_up, zero),
        clawback_incentives=_or_zero(clawed.from_incentives, zero),
        recovered_from_budget=_or_zero(clawed.from_budget, zero), recovery_next=recovery,
        withheld=withheld, withhold_earned=earned)
    _check_conserved(result, liability, brought)
    return result


# ----------------------------------------------------------------------------- its steps
def _budget_and_variance(budget_pence: Any, outturn_pence: Any
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Budgets (as given) and ``budget − outturn`` broadcast to ``(S, P)``, checked."""
    budget = pence_array(budget_pence, "budget_pence")
    outturn = pence_array(outturn_pence, "outturn_pence")
    if (budget <= 0).any():
        raise ValidationError("budget_pence: budgets must be > 0")
    if (outturn < 0).any():
        raise ValidationError("outturn_pence: outturn must be >= 0")
    shape = np.broadcast_shapes(budget.shape, outturn.shape)
    if len(shape) == 1:
        shape = (1, *shape)
    if len(shape) != 2:
        raise ValidationError(f"outturn_pence: expected shape (S, P) or (P,), got {shape}")
    return budget, _read_only(budget - outturn, shape)


def _check_condition_names(conditions: Mapping[str, Any], savings: ShareSchedule,
                           incentives: Incentives | None,
                           withhold: QualityWithhold | None) -> None:
    used = {g.condition for g in savings.gates}
    if withhold is not None:
        used.add(withhold.condition)
    if incentives is not None and incentives.needs_plan_condition:
        used.add(incentives.plan_condition)
        if incentives.plan_condition not in conditions:
            raise ValidationError(
                f"conditions: the incentives' plan component needs condition "
                f"{incentives.plan_condition!r} (True/False per practice); it was not given")
    unused = sorted(set(conditions) - used)
    if unused:
        raise ValidationError(
            f"conditions: {quoted(unused)} not used by any gate of the savings schedule, "
            f"by the incentives or by the withhold (conditions used: "
            f"{quoted(sorted(used)) if used else 'none'})")


def consortia_for(overspend: OverspendPolicy | None, consortium_codes: Any,
                  practices: tuple[int, ...]) -> Consortia | None:
    """The practices' consortia when the policy nets within them, else None.

    ``consortium_codes``: codes (P,) or a :class:`Consortia` built from them, checked
    against the number of practices ``(P,)``.

    Raises
    ------
    ValidationError
        Netting without codes, or codes of another shape.

    Examples
    --------
    >>> policy = OverspendPolicy(practice_share=0.5, net_within_consortium=True)
    >>> consortia_for(policy, np.array([1, 1, 2]), (3,)).members[1].tolist()
    [0, 2, 3]
    >>> consortia_for(policy.evolve(net_within_consortium=False), None, (3,)) is None
    True
    """
    if overspend is None or not overspend.net_within_consortium:
        return None
    if consortium_codes is None:
        raise ValidationError("consortium_codes: needed to net within consortia "
                              "(overspend.net_within_consortium=True)")
    consortia = (consortium_codes if isinstance(consortium_codes, Consortia)
                 else Consortia.from_codes(consortium_codes))
    if consortia.codes.shape != practices:
        raise ValidationError(f"consortium_codes: expected shape {practices}, "
                              f"got {consortia.codes.shape}")
    return consortia


def _shared(budget: np.ndarray, variance: np.ndarray, savings: ShareSchedule,
            losses: SideRule, factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each practice's entitlement and (after gates) amount in pence: its share of its own
    underspend, less its liability for its own overspend."""
    bf, vf = budget.astype(float), variance.astype(float)
    raw = shared_amount(bf, vf, savings.savings_rule, losses)
    entitlement = np.rint(raw, out=raw).astype(np.int64)
    if not savings.gates:
        return entitlement, entitlement
    gated = shared_amount(bf, vf, savings.savings_rule, losses, factor)
    return entitlement, np.rint(gated).astype(np.int64)


def _netted(budget: np.ndarray, variance: np.ndarray, consortia: Consortia,
            savings: ShareSchedule, losses: SideRule, factor: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Each practice's entitlement and (after gates) amount in pence: its part of its
    consortium's amount; the gates scale a practice's part of a net underspend."""
    entitlement = net_within_consortia(budget, variance, consortia, savings.savings_rule,
                                       losses)
    if not savings.gates:
        return entitlement, entitlement
    return entitlement, np.where(entitlement > 0,
                                 np.rint(entitlement * factor).astype(np.int64), entitlement)


def _withheld(withhold: QualityWithhold | None, budget: np.ndarray,
              conditions: Mapping[str, Any], amount: np.ndarray, zero: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The withhold held back and earned back (pence, all-zero views without one), and the
    practice's amount less the part not earned back."""
    if withhold is None:
        return zero, zero, amount
    withheld, earned = withhold.amounts_pence(budget, withhold.earned(conditions))
    withheld = _read_only(withheld, zero.shape)
    earned = _read_only(earned, zero.shape)
    return withheld, earned, amount - (withheld - earned)


def _incentives_earned(incentives: Incentives | None, list_size: Any,
                       conditions: Mapping[str, Any], freed: np.ndarray, zero: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Sign-up and plan payments earned, pence (the plan component may depend on the
    freed-up resources)."""
    if incentives is None:
        return zero, zero
    if list_size is None:
        raise ValidationError("list_size: needed to pay per-head incentives")
    plan_met = (condition_array(conditions[incentives.plan_condition],
                                incentives.plan_condition, scale=False).astype(bool)
                if incentives.needs_plan_condition else False)
    return incentives.amounts_pence(list_size, plan_met=np.broadcast_to(plan_met, freed.shape),
                                    freed_up_pence=freed)


def _brought_forward(carry_forward_pence: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """Instalments brought forward as ``(S, P, Y)`` (``[..., 0]`` due now), or None."""
    if carry_forward_pence is None:
        return None
    brought = pence_array(carry_forward_pence, "carry_forward_pence")
    if brought.ndim < 3:
        brought = brought[..., None]
    elif brought.ndim > 3:
        raise ValidationError(f"carry_forward_pence: expected shape (P,), (S, P) or "
                              f"(S, P, Y), got {brought.shape}")
    brought = _read_only(brought, (*shape, brought.shape[-1]))
    if (brought < 0).any():
        raise ValidationError("carry_forward_pence: liabilities brought forward must be >= 0")
    return brought


def _recover(liability: np.ndarray, brought: np.ndarray | None, freed: np.ndarray,
             signup: np.ndarray, plan: np.ndarray, overspend: OverspendPolicy | None,
             incentives: Incentives | None) -> tuple[Clawback, np.ndarray]:
    """Clawback in the policy's order, then the instalments for future budgets."""
    order = overspend.clawback_order if overspend is not None else CLAWBACK_SOURCES
    years = overspend.recovery_years if overspend is not None else 1
    due = brought[..., 0] if brought is not None and brought.shape[-1] else None
    earned = signup + plan if incentives is not None and "incentives" in order else None
    clawed = claw_back(liability, due, freed_up=freed, incentives=earned, order=order)
    later = None if brought is None else brought[..., 1:]
    return clawed, recovery_schedule(clawed.outstanding, years, later)


def _read_only(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A read-only view of ``values`` broadcast to ``shape`` (no copy; cheaper than
    ``np.broadcast_to`` when the shape is already right)."""
    if values.shape != shape:
        return np.broadcast_to(values, shape)
    view = values.view()
    view.flags.writeable = False
    return view


def _or_zero(flow: np.ndarray | None, zero: np.ndarray) -> np.ndarray:
    return zero if flow is None else flow


def _check_conserved(r: SettlementArrays, liability: np.ndarray,
                     brought: np.ndarray | None) -> None:
    """The last step: every penny lands with exactly one party.

    ``practice_amount + commissioner_amount == variance``, and every liability (this year's
    and those brought forward) is recovered exactly once: clawed back, from this year's
    budget, or from future budgets. Checked exactly on the first row (all of a one-year
    ``settle``; the first simulation of a chunk), at a cost that does not grow with the
    number of simulations; the tests check every row.
    """
    split = r.practice_amount[0] + r.commissioner_amount[0]
    owed = liability[0] if brought is None else liability[0] + brought[0].sum(axis=-1)
    recovered = _combine(r.recovery_next[0].sum(axis=-1),
                         plus=(r.clawback_freed_up[0], r.clawback_incentives[0],
                               r.recovered_from_budget[0]))
    if (split != r.variance[0]).any() or (owed != recovered).any():
        raise PBCModelError(NOT_CONSERVED)
