"""Vectorised settlement core in integer pence (imported by :mod:`pbcmodel.settlement`).

One function, :func:`settle_arrays`, settles any number of simulated years
(rows) for any number of practices (columns) at once. ``settle()`` and
``Scenario.simulate`` both call it, so the rules live here only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from .._validate import _labels, condition_array
from ..errors import ValidationError
from ..incentives import Incentives
from ..overspend import CLAWBACK_SOURCES, OverspendPolicy
from ..sharing import ShareSchedule, SideRule, shared_amount

__all__ = ["Consortia", "SettlementArrays", "settle_arrays"]


@attrs.frozen(eq=False)
class SettlementArrays:
    """Money flows of a settlement as int64 pence arrays of shape ``(S, P)``.

    Identities (exact, element by element): ``practice_amount +
    commissioner_amount == variance``; ``freed_up − clawback_freed_up ==
    freed_up_paid``; ``incentive_signup + incentive_plan − clawback_incentives
    == incentive_paid``. ``recovery_next`` has shape ``(S, P, Y)``: the
    instalments to deduct from the budgets 1, 2, …, Y years ahead (pass it back
    as ``carry_forward_pence`` next year). Arrays may be read-only views
    (e.g. all-zero incentives); copy one before writing into it.

    Attributes
    ----------
    variance : budget − outturn (+ underspend, − overspend).
    entitlement : practice's amount under the rules before gates.
    practice_amount : after gates; + freed-up resources, − liability borne.
    commissioner_amount : ``variance − practice_amount``.
    incentive_signup, incentive_plan : incentive payments earned.
    clawback_freed_up, clawback_incentives : liabilities recovered from them.
    recovered_from_budget : instalment brought forward, deducted from this year's budget.
    recovery_next : instalments carried forward.
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

    @property
    def freed_up(self) -> np.ndarray:
        """Freed-up resources the practice can access (after gates), pence."""
        return np.maximum(self.practice_amount, 0)

    @property
    def liability(self) -> np.ndarray:
        """This year's new liability of the practice (its share of an overspend), pence."""
        return np.maximum(-self.practice_amount, 0)

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
        """Cash to the practice this year: freed-up + incentives paid − budget recovery."""
        return _combine(self.freed_up, plus=(self.incentive_signup, self.incentive_plan),
                        minus=(self.clawback_freed_up, self.clawback_incentives,
                               self.recovered_from_budget))

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


def _check_condition_names(conditions: Mapping[str, Any], savings: ShareSchedule,
                           incentives: Incentives | None) -> None:
    used = {g.condition for g in savings.gates}
    if incentives is not None and incentives.needs_plan_condition:
        used.add(incentives.plan_condition)
        if incentives.plan_condition not in conditions:
            raise ValidationError(
                f"conditions: the incentives' plan component needs condition "
                f"{incentives.plan_condition!r} (True/False per practice); it was not given")
    unused = sorted(set(conditions) - used)
    if unused:
        raise ValidationError(
            f"conditions: {_labels(unused)} not used by any gate of the savings schedule or "
            f"by the incentives (conditions used: {_labels(sorted(used)) if used else 'none'})")


def _piece_width(sizes: np.ndarray) -> int:
    """Slots per piece for consortia of ``sizes`` practices: the widest (fewest pieces)
    whose table has at most twice as many slots as practices, so one large consortium does
    not pad every other one to its size."""
    widths = np.unique(np.r_[1, sizes, 2 ** np.arange(int(sizes.max(initial=1)).bit_length())])
    fits = [int(w) for w in widths if w * (-(-sizes // w)).sum() <= 2 * sizes.sum()]
    return max(fits, default=1)


@attrs.frozen(eq=False)
class Consortia:
    """Practices grouped by consortium once, for netting many settlements.

    Pass one as ``consortium_codes`` to :func:`settle_arrays` in place of the codes when
    settling repeatedly with the same practices (a simulation): the grouping is then not
    redone on every call. Build it with :meth:`from_codes`.

    Each consortium's practices (in their order among the practices) fill one or more
    *pieces* of ``width`` slots; slot ``(row, piece)`` of a ``(width, pieces)`` table holds
    one practice or padding. Netting works on that table: sums and running sums down its
    rows are whole-array operations, which release the GIL, unlike sums along the
    practices of a few simulations.

    Attributes
    ----------
    codes : int array (P,)
        Consortium code of each practice.
    width : int
        Slots per piece.
    slots : int array (width × pieces,)
        The practice in each slot (row-major), 0 for padding.
    position : int array (P,)
        The slot of each practice.
    real : int array (width, pieces) or None
        1 for a practice's slot, 0 for padding; None when no slot is padding.
    piece_group : int array (pieces,)
        The consortium (0, 1, … in order of code) of each piece.
    first_piece : int array (consortia,)
        Each consortium's first piece.
    continued : bool array (pieces,) or None
        Whether a piece continues its consortium's previous piece; None when every
        consortium fits one piece.

    Examples
    --------
    >>> c = Consortia.from_codes(np.array([7, 3, 7, 3, 3]))
    >>> c.width, c.slots.reshape(c.width, -1).tolist()
    (3, [[1, 0], [3, 2], [4, 0]])
    """

    codes: np.ndarray
    width: int
    slots: np.ndarray
    position: np.ndarray
    real: np.ndarray | None
    piece_group: np.ndarray
    first_piece: np.ndarray
    continued: np.ndarray | None

    @classmethod
    def from_codes(cls, codes: Any) -> Consortia:
        """The grouping of practices with consortium ``codes`` (any sortable values, (P,))."""
        codes = np.asarray(codes)
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
        new_group = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]][:codes.size]
        starts = np.flatnonzero(new_group)
        sizes = np.diff(np.r_[starts, codes.size])
        width = _piece_width(sizes)
        per_group = -(-sizes // width)
        first_piece = np.cumsum(per_group) - per_group
        pieces = int(per_group.sum())
        rank = np.arange(codes.size) - np.repeat(starts, sizes)    # place in its consortium
        slot = (rank % width) * pieces + np.repeat(first_piece, sizes) + rank // width
        slots = np.zeros(width * pieces, dtype=np.intp)
        slots[slot] = order
        position = np.empty(codes.size, dtype=np.intp)
        position[order] = slot
        real = np.zeros(width * pieces, dtype=np.int64)
        real[slot] = 1
        continued = np.ones(pieces, dtype=bool)
        continued[first_piece] = False
        return cls(codes=codes, width=width, slots=slots, position=position,
                   real=None if real.all() else real.reshape(width, pieces),
                   piece_group=np.repeat(np.arange(sizes.size), per_group),
                   first_piece=first_piece, continued=continued if continued.any() else None)

    def table(self, values: np.ndarray) -> np.ndarray:
        """``values`` (..., P) laid out as a new (..., width, pieces) table, padding 0."""
        out = values.take(self.slots, axis=-1).reshape(*values.shape[:-1], self.width, -1)
        if self.real is not None:
            out *= self.real
        return out

    def by_consortium(self, per_piece: np.ndarray) -> np.ndarray:
        """Sums (..., pieces) of pieces → sums (..., consortia) (exact integers)."""
        if self.continued is None:
            return per_piece
        return np.add.reduceat(per_piece, self.first_piece, axis=-1)

    def by_piece(self, per_group: np.ndarray) -> np.ndarray:
        """A value (..., consortia) per consortium → the value (..., pieces) of each piece."""
        return per_group if self.continued is None else per_group.take(self.piece_group,
                                                                        axis=-1)


def _netted_amounts(budget: np.ndarray, variance: np.ndarray, consortia: Consortia,
                    savings: SideRule, losses: SideRule) -> np.ndarray:
    """Share each consortium's net variance, then divide it among its practices.

    A net underspend is divided among the consortium's underspending practices
    in proportion to their underspends; a net overspend among its overspending
    practices in proportion to their overspends. Cumulative rounding makes the
    practices' pence add up exactly to the consortium's amount.
    """
    c = consortia
    v = c.table(variance)                                   # (..., width, pieces)
    group_variance = c.by_consortium(v.sum(axis=-2))
    group_budget = c.by_consortium(c.table(budget).sum(axis=-2))
    group_amount = np.rint(shared_amount(group_budget.astype(float),
                                         group_variance.astype(float), savings, losses))
    # weights: underspends in a net-underspending consortium, overspends otherwise
    sign = c.by_piece(np.where(group_variance >= 0, 1, -1))
    weight = np.multiply(v, sign[..., None, :], out=v)
    np.maximum(weight, 0, out=weight)
    within = weight                                          # running sums down each piece
    for row in range(1, c.width):
        np.add(within[..., row, :], within[..., row - 1, :], out=within[..., row, :])
    piece_weight = within[..., -1, :]
    group_weight = c.by_consortium(piece_weight)
    if c.continued is not None:        # add the weight of the consortium's earlier pieces
        before = np.cumsum(piece_weight, axis=-1) - piece_weight
        before -= before[..., c.first_piece].take(c.piece_group, axis=-1)
        within += before[..., None, :]
    # a consortium without weight has within == 0 throughout, so any finite ratio gives 0
    ratio = np.divide(group_amount, np.maximum(group_weight, 1))
    # at each consortium's last practice within == group_weight, so the rounded cumulative
    # equals the group amount exactly (|amount| << 2**52); the differences add up to it
    scaled = np.multiply(within, c.by_piece(ratio)[..., None, :])
    cumulative = np.rint(scaled, out=scaled).astype(np.int64)
    allocated = np.empty_like(cumulative)
    np.subtract(cumulative[..., 1:, :], cumulative[..., :-1, :], out=allocated[..., 1:, :])
    allocated[..., 0, :] = cumulative[..., 0, :]
    if c.continued is not None:        # less the cumulative at the end of the previous piece
        allocated[..., 0, 1:] -= cumulative[..., -1, :-1] * c.continued[1:]
    return allocated.reshape(*allocated.shape[:-2], -1).take(c.position, axis=-1)


def _recovery_schedule(new: np.ndarray, years: int, later: np.ndarray) -> np.ndarray:
    """Instalments ``(..., Y)``: ``new`` split over ``years`` (odd pence first) plus ``later``.

    ``later[..., k]`` is what was already due ``k + 1`` years ahead.
    """
    ahead = later.shape[-1]
    shape = np.broadcast_shapes(new.shape, later.shape[:-1])
    # stored year-major, so that each year's instalments are contiguous; handed out as a
    # (..., Y) view
    out = np.empty((max(years, ahead), *shape), dtype=np.int64)
    if years == 1:
        out[0] = new
    elif years == 2:                 # the odd penny first: new − ⌊new/2⌋ now, ⌊new/2⌋ next
        np.floor_divide(new, 2, out=out[1])
        np.subtract(new, out[1], out=out[0])
    else:
        quotient = new // years
        remainder = new - quotient * years
        for k in range(years):
            np.add(quotient, remainder > k, out=out[k])
    out[years:] = 0
    for k in range(ahead):
        out[k] += later[..., k]
    return out.transpose(*range(1, out.ndim), 0)


def settle_arrays(budget_pence: Any, outturn_pence: Any, *,
                  savings: ShareSchedule | None = None,
                  overspend: OverspendPolicy | None = None,
                  incentives: Incentives | None = None,
                  consortium_codes: Any = None,
                  list_size: Any = None,
                  conditions: Mapping[str, Any] | None = None,
                  carry_forward_pence: Any = None) -> SettlementArrays:
    """Settle many practice-years at once, exactly in pence.

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

    Returns
    -------
    SettlementArrays

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
    """
    savings = ShareSchedule() if savings is None else savings
    conditions = {} if conditions is None else dict(conditions)
    if overspend is not None and savings.shares_losses:
        raise ValidationError(
            "overspend: an OverspendPolicy was given and the savings schedule also shares "
            "losses (its losses side); choose one — drop overspend=, or give the schedule "
            "zero loss shares (e.g. schedule.evolve(losses=[(0.0, 0.0)]))")
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
    variance = np.broadcast_to(budget - outturn, shape)
    _check_condition_names(conditions, savings, incentives)
    factor = savings.gate_factor(conditions, shape)
    losses = overspend.losses_rule if overspend is not None else savings.losses_rule

    if overspend is not None and overspend.net_within_consortium:
        if consortium_codes is None:
            raise ValidationError("consortium_codes: needed to net within consortia "
                                  "(overspend.net_within_consortium=True)")
        consortia = (consortium_codes if isinstance(consortium_codes, Consortia)
                     else Consortia.from_codes(consortium_codes))
        if consortia.codes.shape != shape[-1:]:
            raise ValidationError(f"consortium_codes: expected shape {shape[-1:]}, "
                                  f"got {consortia.codes.shape}")
        entitlement = _netted_amounts(budget, variance, consortia, savings.savings_rule,
                                      losses)
        amount = (entitlement if not savings.gates else
                  np.where(entitlement > 0, np.rint(entitlement * factor).astype(np.int64),
                           entitlement))
    else:
        bf, vf = budget.astype(float), variance.astype(float)
        raw = shared_amount(bf, vf, savings.savings_rule, losses)
        entitlement = np.rint(raw, out=raw).astype(np.int64)
        amount = (entitlement if not savings.gates else
                  np.rint(shared_amount(bf, vf, savings.savings_rule, losses, factor)
                          ).astype(np.int64))
    freed = np.maximum(amount, 0)
    liability = np.negative(amount)
    np.maximum(liability, 0, out=liability)
    zero = np.broadcast_to(np.int64(0), shape)          # read-only, allocates nothing

    if incentives is None:
        signup = plan = zero
    else:
        if list_size is None:
            raise ValidationError("list_size: needed to pay per-head incentives")
        plan_met = (condition_array(conditions[incentives.plan_condition],
                                    incentives.plan_condition, scale=False).astype(bool)
                    if incentives.needs_plan_condition else False)
        signup, plan = incentives.amounts_pence(list_size,
                                                plan_met=np.broadcast_to(plan_met, shape),
                                                freed_up_pence=freed)

    order = overspend.clawback_order if overspend is not None else CLAWBACK_SOURCES
    years = overspend.recovery_years if overspend is not None else 1
    if carry_forward_pence is None:
        brought = np.zeros((*shape, 0), dtype=np.int64)
    else:
        brought = pence_array(carry_forward_pence, "carry_forward_pence")
        if brought.ndim < 3:
            brought = brought[..., None]
        elif brought.ndim > 3:
            raise ValidationError(f"carry_forward_pence: expected shape (P,), (S, P) or "
                                  f"(S, P, Y), got {brought.shape}")
        brought = np.broadcast_to(brought, (*shape, brought.shape[-1]))
        if (brought < 0).any():
            raise ValidationError("carry_forward_pence: liabilities brought forward must be >= 0")
    due = brought[..., 0] if brought.shape[-1] else zero
    new = liability
    clawed = {"freed_up": zero, "incentives": zero}
    for source in order[:-1]:                 # the last source is always future_budgets
        if source == "freed_up":
            # a practice with freed-up resources this year has no new liability this year
            if _all_zero_view(due):              # nothing brought forward: nothing to claw
                continue
            clawed[source] = np.minimum(freed, due)
            due = due - clawed[source]
        elif incentives is not None:
            earned = signup + plan
            take_due = np.minimum(earned, due)
            take_new = np.minimum(earned - take_due, new)
            due, new = due - take_due, new - take_new
            clawed[source] = take_due + take_new
    recovery = _recovery_schedule(new, years, brought[..., 1:])

    return SettlementArrays(
        variance=variance, entitlement=entitlement, practice_amount=amount,
        commissioner_amount=variance - amount, incentive_signup=signup, incentive_plan=plan,
        clawback_freed_up=clawed["freed_up"], clawback_incentives=clawed["incentives"],
        recovered_from_budget=due, recovery_next=recovery)
