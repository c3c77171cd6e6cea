"""Clawback and recovery: how a practice's liability is recovered, every penny once.

:func:`claw_back` recovers the instalment due this year and this year's new liability from
the practice's freed-up resources and incentive payments, in the policy's
``clawback_order`` (:class:`Clawback` says from where); :func:`recovery_schedule` splits
what is still owed over the next ``recovery_years`` budgets in equal whole-pence
instalments, odd pence first. The element-wise rules :func:`recover` (one clawback step)
and :func:`instalment` are written once for arrays and single numbers: the compiled
settlement (:mod:`pbcmodel.settlement.settle_kernel`) has numba compile the same functions.

Examples
--------
A practice owes 10,001p and has 2,500p of incentive payments: they recover 2,500p, and the
7,501p still owed is recovered over the next 3 budgets, the odd pence first.

>>> c = claw_back(np.array([10_001]), freed_up=np.array([0]), incentives=np.array([2_500]))
>>> c.from_incentives.tolist(), c.outstanding.tolist()
([2500], [7501])
>>> recovery_schedule(c.outstanding, 3).tolist()
[[2501, 2500, 2500]]
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .policy import CLAWBACK_SOURCES

__all__ = ["Clawback", "claw_back", "instalment", "recover", "recovery_schedule"]


class Clawback(NamedTuple):
    """Where one year's liabilities are recovered from (int64 pence, one shape), by
    :func:`claw_back`.

    Attributes
    ----------
    from_freed_up : array or None
        Recovered from the practice's freed-up resources; None when that source was not
        drawn on (not in the order, or nothing brought forward for it to recover).
    from_incentives : array or None
        Recovered from its incentive payments; None when not drawn on.
    from_budget : array or None
        The instalment brought forward that was not clawed back: deducted from this year's
        budget. None when nothing was brought forward.
    outstanding : array
        This year's new liability not clawed back: recovered from future budgets
        (:func:`recovery_schedule`).
    """

    from_freed_up: np.ndarray | None
    from_incentives: np.ndarray | None
    from_budget: np.ndarray | None
    outstanding: np.ndarray


def claw_back(liability: np.ndarray, due: np.ndarray | None = None, *,
              freed_up: np.ndarray, incentives: np.ndarray | None = None,
              order: tuple[str, ...] = CLAWBACK_SOURCES) -> Clawback:
    """Recover liabilities from this year's payments to the practice, in the policy's order.

    Two debts are recovered: the instalment brought forward and ``due`` this year, and this
    year's new ``liability``. The sources are taken in ``order`` (an
    :attr:`~pbcmodel.overspend.OverspendPolicy.clawback_order`; without a policy
    :data:`~pbcmodel.overspend.policy.CLAWBACK_SOURCES`):

    * ``"freed_up"`` — the practice's freed-up resources recover what is ``due`` (a practice
      with freed-up resources this year has no new liability this year);
    * ``"incentives"`` — its incentive payments recover what is still ``due`` first, then
      the new liability;
    * ``"future_budgets"`` (always last) — what is still due is deducted from this year's
      budget, and the new liability still outstanding from future budgets
      (:func:`recovery_schedule`).

    A source left out of ``order`` is spared. Every penny owed is recovered exactly once:
    ``liability + due == from_freed_up + from_incentives + from_budget + outstanding``.

    Parameters
    ----------
    liability : int array
        This year's new liability of each practice (>= 0), pence.
    due : int array or None
        Instalment brought forward and due this year (>= 0), pence; None when nothing is
        brought forward.
    freed_up : int array
        Freed-up resources each practice can access this year (>= 0), pence.
    incentives : int array or None
        Incentive payments each practice earned this year (>= 0), pence; None for none.
    order : tuple of str
        Recovery sources in order, ending with ``"future_budgets"``.

    Returns
    -------
    Clawback

    Examples
    --------
    Practice 1 owes 10,000p new and 3,000p brought forward, has no freed-up resources and
    earned 8,000p of incentives: they recover the 3,000p due, then 5,000p of the new
    liability, leaving 5,000p for future budgets. Practice 2 owes 4,000p brought forward,
    has 2,500p freed up and earned 1,000p: freed-up 2,500p, incentives 1,000p, and the last
    500p from this year's budget.

    >>> c = claw_back(np.array([10_000, 0]), np.array([3_000, 4_000]),
    ...               freed_up=np.array([0, 2_500]), incentives=np.array([8_000, 1_000]))
    >>> [x.tolist() for x in c]
    [[0, 2500], [8000, 1000], [0, 500], [5000, 0]]

    Sparing freed-up resources (``order=("incentives", "future_budgets")``): practice 2's
    incentives recover 1,000p and 3,000p comes from its budget.

    >>> c = claw_back(np.array([10_000, 0]), np.array([3_000, 4_000]),
    ...               freed_up=np.array([0, 2_500]), incentives=np.array([8_000, 1_000]),
    ...               order=("incentives", "future_budgets"))
    >>> c.from_freed_up is None, c.from_budget.tolist()
    (True, [0, 3000])
    """
    new = liability
    taken: dict[str, np.ndarray | None] = {"freed_up": None, "incentives": None}
    for source in order[:-1]:                 # the last source is always future_budgets
        if source == "freed_up":
            if due is None:                   # nothing brought forward: nothing to claw
                continue
            taken[source], due = recover(freed_up, due)
        elif incentives is not None:
            if due is None:
                take_new, new = recover(incentives, new)
                taken[source] = take_new
            else:
                take_due, due = recover(incentives, due)
                take_new, new = recover(incentives - take_due, new)
                taken[source] = take_due + take_new
    return Clawback(taken["freed_up"], taken["incentives"], due, new)


def recover(available: Any, owed: Any) -> tuple[Any, Any]:
    """One step of clawback, element by element: what a source recovers of a debt (all of
    it, or as much as the source holds) and what is still owed. :func:`claw_back` takes the
    sources in the policy's order with it, and the compiled settlement
    (:mod:`pbcmodel.settlement.settle_kernel`) has numba compile the same function.

    Examples
    --------
    >>> [int(x) for x in recover(2_500, 4_000)]
    [2500, 1500]
    >>> [a.tolist() for a in recover(np.array([2_500, 9_000]), np.array([4_000, 4_000]))]
    [[2500, 4000], [1500, 0]]
    """
    taken = np.minimum(available, owed)
    return taken, owed - taken


def recovery_schedule(outstanding: np.ndarray, years: int,
                      later: np.ndarray | None = None) -> np.ndarray:
    """Instalments ``(..., Y)`` to deduct from the budgets 1, 2, …, Y years ahead.

    ``outstanding`` (the liability not clawed back, :func:`claw_back`) is split over
    ``years`` budgets in equal whole-pence instalments, the odd pence first, and added to
    the instalments already due those years (``later``). ``Y`` is the longer of the two.

    Parameters
    ----------
    outstanding : int array (...)
        Pence still to recover (>= 0).
    years : int
        :attr:`~pbcmodel.overspend.OverspendPolicy.recovery_years` (1 without a policy).
    later : int array (..., k), optional
        ``later[..., j]`` is what was already due ``j + 1`` years ahead.

    Returns
    -------
    int64 array (..., max(years, k))
        A view of an array stored year-major (each year's instalments contiguous).

    Examples
    --------
    10,001p over 3 years: 3,333p each with 2 odd pence, so 3,334p, 3,334p, 3,333p; plus
    100p and 7p already due 1 and 2 years ahead.

    >>> recovery_schedule(np.array([10_001]), 3, later=np.array([[100, 7]])).tolist()
    [[3434, 3341, 3333]]
    >>> recovery_schedule(np.array([7]), 2).tolist()       # the odd penny first
    [[4, 3]]
    """
    ahead = 0 if later is None else later.shape[-1]
    shape = (outstanding.shape if later is None
             else np.broadcast_shapes(outstanding.shape, later.shape[:-1]))
    # stored year-major, so that each year's instalments are contiguous; handed out as a
    # (..., Y) view
    if years == 1:
        out = np.empty((max(years, ahead), *shape), dtype=np.int64)
        out[0] = outstanding                  # instalment(outstanding, 1, 0): all of it
    else:                                     # every year's at once, the year first
        out = instalment(outstanding, years, np.arange(years).reshape(-1, *[1] * len(shape)))
        if out.shape[1:] != shape or ahead > years:
            out = np.concatenate([np.broadcast_to(out, (years, *shape)),
                                  np.zeros((max(ahead - years, 0), *shape), dtype=np.int64)])
    out[years:] = 0
    if later is not None:
        for k in range(ahead):
            out[k] += later[..., k]
    return out.transpose(*range(1, out.ndim), 0)


def instalment(outstanding: Any, years: int, k: Any) -> Any:
    """The instalment of ``outstanding`` pence (>= 0) due ``k + 1`` years ahead when it is
    recovered over ``years`` budgets, element by element: ``⌊outstanding / years⌋``, plus
    one of the odd pence for each of the first ``outstanding mod years`` years, i.e.
    ``⌊(outstanding + years − 1 − k) / years⌋`` (``k`` a year, or an array of years: all at
    once). Written once for arrays (:func:`recovery_schedule`) and single numbers (the
    compiled settlement, :mod:`pbcmodel.settlement.settle_kernel`).

    Examples
    --------
    >>> [int(instalment(10_001, 3, k)) for k in range(3)]
    [3334, 3334, 3333]
    """
    return (outstanding + (years - 1 - k)) // years
