"""Overspend rules: what an overspend costs a practice, and how it is netted and recovered.

The Audit Commission (*Putting commissioning into practice*, 2007, recommendations 20–21)
asked PCTs to "develop clear policy on budget overspends". An :class:`OverspendPolicy` states
one as data, and this module is the one home of the rules that apply it, each public;
:func:`pbcmodel.settlement.settle_arrays` calls them in this order, in integer pence:

1. **the practice's liability** — ``tolerance`` (an overspend up to this fraction of budget
   costs the practice nothing), ``practice_share`` (its share of the overspend *beyond* the
   tolerance) and ``cap`` (at most this fraction of its budget):
   :attr:`OverspendPolicy.losses_rule`, chosen by :func:`liability_rule`;
   :meth:`OverspendPolicy.liability` applies it to one practice-year in pounds. The
   arithmetic of a tolerance, a share and a cap is that of either side of every sharing rule,
   so it is written once, in :meth:`pbcmodel.sharing.SideRule.amount` (``sharing/schedule.py``): the
   tolerance is the rule's ``minimum_rate`` charged on the excess only
   (``first_dollar=False``), the share its one tier and the cap its ``cap``;
2. **consortium netting** (``net_within_consortium``) — :func:`net_within_consortia`, over
   practices grouped once by :class:`Consortia`: netting moves money only inside a
   consortium;
3. **clawback** (``clawback_order``) — :func:`claw_back`: freed-up resources, incentive
   payments, then future budgets (always last, so every liability is recovered in full);
4. **recovery** (``recovery_years``) — :func:`recovery_schedule`: what is still owed, in
   equal instalments from the next budgets, odd pence first.

How it combines with a :class:`~pbcmodel.sharing.ShareSchedule`: the schedule always governs
underspends. Overspends are governed by the policy when one is given, otherwise by the
schedule's ``losses`` side; giving both a policy and a schedule that shares losses is an
error (choose one). See :func:`pbcmodel.settlement.settle`.

Examples
--------
>>> from pbcmodel.overspend import OverspendPolicy
>>> policy = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05)
>>> # budget £1m, spend £1.05m: 50% of the £30,000 beyond the £20,000 tolerance
>>> float(policy.liability(1_000_000, 1_050_000))
15000.0
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import attrs
import numpy as np

from .errors import ValidationError
from .sharing import ShareSchedule, SideRule, budget_fraction, shared_amount
from .validation import (
    boolean,
    check_fraction,
    finite_scalar,
    money_array,
    number,
    optional_number,
    whole_number,
)

__all__ = ["CLAWBACK_SOURCES", "MAX_RECOVERY_YEARS", "Clawback", "Consortia", "OverspendPolicy",
           "balance_over_three_years", "claw_back", "instalment", "liability_rule",
           "net_within_consortia", "netted_total", "netting_sign", "netting_weight", "recover",
           "recovery_schedule"]

#: Where a practice's liability can be recovered from, in the allowed vocabulary.
CLAWBACK_SOURCES: tuple[str, ...] = ("freed_up", "incentives", "future_budgets")


def _check_share(instance: Any, attribute: Any, value: Any) -> None:
    check_fraction(value, attribute.name)


def _check_tolerance(instance: Any, attribute: Any, value: Any) -> None:
    check_fraction(value, attribute.name, high_open=True)


def _check_cap(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        budget_fraction(value, attribute.name, cap=True)


#: Most years over which a liability may be recovered (a longer schedule is a typo).
MAX_RECOVERY_YEARS = 100


def _to_order(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(value)
    except TypeError:
        return value


def _check_order(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, tuple) or not value:
        raise ValidationError(f"clawback_order: expected a sequence of names, got {value!r}")
    unknown = [v for v in value if v not in CLAWBACK_SOURCES]
    if unknown:
        raise ValidationError(
            f"clawback_order: unknown source(s) {unknown!r}; expected names from "
            f"{CLAWBACK_SOURCES!r}")
    if len(set(value)) != len(value):
        raise ValidationError(f"clawback_order: each source may appear once, got {value!r}")
    if value[-1] != "future_budgets":
        raise ValidationError(
            f"clawback_order: must end with 'future_budgets' so that every liability is "
            f"recovered, got {value!r}")


@attrs.frozen(kw_only=True)
class OverspendPolicy:
    """A commissioner's policy on practice overspends (plain data).

    Parameters
    ----------
    practice_share : float
        Share in [0, 1] of the overspend beyond the tolerance borne by the practice.
    tolerance : float, default 0
        Overspend (fraction of budget, in [0, 1)) with no consequence.
    cap : float or None, default None
        Cap on the practice's liability as a fraction of its budget: from 0 to
        :data:`~pbcmodel.sharing.MAX_BUDGET_FRACTION` (10, i.e. 1,000% of budget); None
        for no cap.
    net_within_consortium : bool, default False
        Net under- and overspends within each consortium before sharing.
    recovery_years : int, default 1
        Number of future budgets over which the remaining liability is recovered: a whole
        number from 1 to :data:`MAX_RECOVERY_YEARS` (2.5 is an error, not 2).
    clawback_order : sequence of str, default ("freed_up", "incentives", "future_budgets")
        Recovery sources in order; names from :data:`CLAWBACK_SOURCES`, ending
        with ``"future_budgets"``. Leave a source out to spare it.

    Examples
    --------
    >>> p = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05,
    ...                     net_within_consortium=True, recovery_years=2)
    >>> p.evolve(practice_share=0.3).practice_share
    0.3
    >>> OverspendPolicy(practice_share=1.5)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: practice_share: must be in [0.0, 1.0], got 1.5
    """

    practice_share: float = attrs.field(converter=lambda v: number(v, "practice_share"),
                                        validator=_check_share)
    tolerance: float = attrs.field(default=0.0, converter=lambda v: number(v, "tolerance"),
                                   validator=_check_tolerance)
    cap: float | None = attrs.field(default=None, converter=lambda v: optional_number(v, "cap"),
                                    validator=_check_cap)
    net_within_consortium: bool = attrs.field(
        default=False, validator=boolean)
    recovery_years: int = attrs.field(
        default=1,
        converter=lambda v: whole_number(v, "recovery_years", maximum=MAX_RECOVERY_YEARS))
    clawback_order: tuple[str, ...] = attrs.field(default=CLAWBACK_SOURCES,
                                                  converter=_to_order, validator=_check_order)

    @functools.cached_property
    def losses_rule(self) -> SideRule:
        """The practice's liability rule: tolerance, share and cap as a losses-side rule.

        This is the rule settlement applies to an overspend (through :func:`liability_rule`),
        and :meth:`liability` applies it to one practice-year. Its arithmetic is
        :meth:`pbcmodel.sharing.SideRule.amount`: the tolerance is a minimum loss rate charged
        on the excess only (``first_dollar=False``), the practice share is one tier from 0, and
        the cap is the rule's cap. Made once per policy, not on every settlement of a
        simulation.

        Returns
        -------
        pbcmodel.sharing.SideRule

        Examples
        --------
        Overspend £50,000 on a £1m budget, 2% tolerance, 50% share, 5% cap: the practice bears
        50% × (£50,000 − £20,000) = £15,000 (below the £50,000 cap).

        >>> rule = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05).losses_rule
        >>> (rule.tiers, rule.minimum_rate, rule.first_dollar, rule.cap)
        (((0.0, 0.5),), 0.02, False, 0.05)
        >>> rule.amount(np.array([50_000.0]), np.array([1e6])).tolist()
        [15000.0]
        """
        return SideRule(tiers=((0.0, float(self.practice_share)),),
                         minimum_rate=float(self.tolerance), first_dollar=False, cap=self.cap)

    def evolve(self, **changes: Any) -> OverspendPolicy:
        """A copy with some fields changed (validated again).

        Examples
        --------
        >>> OverspendPolicy(practice_share=0.5).evolve(recovery_years=3).recovery_years
        3
        """
        return attrs.evolve(self, **changes)

    def liability(self, budget: Any, outturn: Any) -> np.ndarray:
        """The practice's liability (float pounds, >= 0) for one practice-year, before netting.

        The policy's :attr:`losses_rule` (the rule settlement applies) on the overspend
        ``max(outturn − budget, 0)``: nothing within the tolerance, the practice share of the
        excess beyond it, at most the cap.

        Parameters
        ----------
        budget, outturn : float or array
            Pounds; numpy broadcasting applies. Budgets must be > 0 and outturns >= 0.

        Returns
        -------
        numpy.ndarray
            Float pounds, not rounded (a settlement rounds to pence).

        Examples
        --------
        >>> p = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05)
        >>> # overspends of £10k (inside tolerance), £50k and £200k on a £1m budget:
        >>> # 0; 50% × (50k − 20k) = 15k; 50% × 180k = 90k capped at 5% = 50k
        >>> p.liability(1e6, [1.01e6, 1.05e6, 1.2e6]).tolist()
        [0.0, 15000.0, 50000.0]
        """
        b = money_array(budget, "budget", positive=True)
        o = money_array(outturn, "outturn")
        return self.losses_rule.amount(np.maximum(o - b, 0.0), b)

    def describe(self) -> str:
        """One sentence stating the policy.

        Examples
        --------
        >>> text = OverspendPolicy(tolerance=0.02, practice_share=0.5, recovery_years=2).describe()
        >>> for clause in text.split("; "):
        ...     print(clause)
        overspend within 2% of budget has no consequence
        the practice bears 50% of the overspend beyond it
        recovered from freed-up resources, then incentive payments, then future budgets over 2 years
        """
        words = {"freed_up": "freed-up resources", "incentives": "incentive payments",
                 "future_budgets": f"future budgets over {self.recovery_years} year"
                                   + ("s" if self.recovery_years > 1 else "")}
        parts = []
        if self.tolerance > 0:
            parts.append(f"overspend within {100 * self.tolerance:g}% of budget has no "
                         "consequence")
        beyond = " beyond it" if self.tolerance > 0 else ""
        parts.append(f"the practice bears {100 * self.practice_share:g}% of the "
                     f"overspend{beyond}")
        if self.cap is not None:
            parts.append(f"capped at {100 * self.cap:g}% of budget")
        if self.net_within_consortium:
            parts.insert(0, "under- and overspends are netted within each consortium first")
        parts.append("recovered from " + ", then ".join(words[s] for s in self.clawback_order))
        return "; ".join(parts)


def balance_over_three_years(practice_share: float = 1.0) -> OverspendPolicy:
    """The 2004 PBC expectation that a practice balances its budget over three years.

    Pair with :func:`pbcmodel.sharing.pbc_2004`. The practice bears
    ``practice_share`` of any overspend and repays it from its next three
    budgets in equal instalments (after clawback from freed-up resources and
    incentive payments).

    Examples
    --------
    >>> p = balance_over_three_years()
    >>> p.recovery_years, p.practice_share
    (3, 1.0)
    """
    return OverspendPolicy(practice_share=finite_scalar(practice_share, "practice_share"),
                           recovery_years=3)


# ------------------------------------------------------------------ the practice's liability
def liability_rule(savings: ShareSchedule, overspend: OverspendPolicy | None) -> SideRule:
    """The rule that sets a practice's liability for an overspend in a settlement.

    The policy's :attr:`OverspendPolicy.losses_rule` (tolerance, share, cap) when a policy is
    given; otherwise the schedule's losses side (e.g. a two-sided MSSP or a risk corridor).
    A policy together with a schedule that also shares losses is refused: one rule governs.

    Parameters
    ----------
    savings : ShareSchedule
        The schedule that governs underspends.
    overspend : OverspendPolicy or None
        The overspend policy, if any.

    Returns
    -------
    pbcmodel.sharing.SideRule
        Applied to ``max(outturn − budget, 0)`` by :func:`pbcmodel.sharing.shared_amount`
        (each practice) or :func:`net_within_consortia` (each consortium).

    Raises
    ------
    ValidationError
        If a policy is given and the schedule shares losses too.

    Examples
    --------
    >>> from pbcmodel.sharing import aca_risk_corridor, pbc_freed_up
    >>> policy = OverspendPolicy(tolerance=0.02, practice_share=0.5)
    >>> liability_rule(pbc_freed_up(0.7), policy) is policy.losses_rule
    True
    >>> # no policy: a £10 overspend on 100 under the ACA corridor costs 3 + 50% × 5 + 20% × 2
    >>> round(float(liability_rule(aca_risk_corridor(), None).amount(10.0, 100.0)), 10)
    5.9
    """
    if overspend is None:
        return savings.losses_rule
    if savings.shares_losses:
        raise ValidationError(
            "overspend: an OverspendPolicy was given and the savings schedule also shares "
            "losses (its losses side); choose one — drop overspend=, or give the schedule "
            "zero loss shares (e.g. schedule.evolve(losses=[(0.0, 0.0)]))")
    return overspend.losses_rule


# ------------------------------------------------------------------ consortium netting
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

    Pass one as ``consortium_codes`` to :func:`pbcmodel.settlement.settle_arrays` in place of
    the codes when settling repeatedly with the same practices (a simulation): the grouping
    is then not redone on every call. Build it with :meth:`from_codes`; net with
    :func:`net_within_consortia`.

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
    Five practices in consortia 7, 3, 7, 3, 3: consortium 3 (practices 1, 3, 4) fills the
    first column, consortium 7 (practices 0, 2) the second, padded with a 0 slot.

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
        """The grouping of practices with consortium ``codes`` (any sortable values, (P,)).

        Examples
        --------
        >>> Consortia.from_codes(["B", "A", "B"]).position.tolist()   # A: slot 0; B: 1 and 3
        [1, 0, 3]
        """
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

    @functools.cached_property
    def members(self) -> tuple[np.ndarray, np.ndarray]:
        """Each consortium's practices in the order netting allocates to them:
        ``order[starts[g]:starts[g + 1]]`` are consortium ``g``'s (int64 arrays; consortia
        in order of code, each one's practices in their order). Made once.

        Examples
        --------
        >>> [a.tolist() for a in Consortia.from_codes(np.array([7, 3, 7, 3, 3])).members]
        [[1, 3, 4, 0, 2], [0, 3, 5]]
        """
        order = np.argsort(self.codes, kind="stable")
        sorted_codes = self.codes[order]
        starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
        return order.astype(np.int64), np.r_[starts[:self.codes.size], self.codes.size
                                             ].astype(np.int64)

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


def net_within_consortia(budget: np.ndarray, variance: np.ndarray, consortia: Consortia,
                         savings: SideRule, losses: SideRule) -> np.ndarray:
    """Each practice's amount when under- and overspends are netted within its consortium.

    Each consortium's net variance (the sum of its practices') is shared as if the consortium
    were one practice with the sum of their budgets (:func:`pbcmodel.sharing.shared_amount`,
    rounded to the penny). A net underspend is then divided among the consortium's
    underspending practices in proportion to their underspends; a net overspend among its
    overspending practices in proportion to their overspends. The division rounds running
    totals (in the practices' order), so the practices' pence add up exactly to the
    consortium's amount: netting moves money only inside a consortium.

    Parameters
    ----------
    budget : int array (P,) or (S, P)
        Budgets in pence.
    variance : int array (S, P) or (P,)
        ``budget − outturn`` in pence (+ underspend, − overspend).
    consortia : Consortia
        The practices' consortia.
    savings, losses : pbcmodel.sharing.SideRule
        The rules for a net underspend (``ShareSchedule.savings_rule``) and a net overspend
        (:func:`liability_rule`).

    Returns
    -------
    int64 array, the shape of ``variance``
        Each practice's amount before gates: + paid to it, − borne by it.

    Examples
    --------
    One consortium of three £1,000 budgets: A underspends £60, B overspends £10, C
    underspends £30. The consortium is £80 under; 70% of it, £56 (5,600p), goes to the
    underspenders A and C in proportion 6,000 : 3,000. Running totals 6,000 and 9,000 ×
    5,600 / 9,000 = 3,733.3 and 5,600 round to 3,733 and 5,600, so A gets 3,733p and C
    5,600 − 3,733 = 1,867p; B's overspend is absorbed inside the consortium.

    >>> from pbcmodel.sharing import pbc_freed_up
    >>> policy = OverspendPolicy(practice_share=0.5, net_within_consortium=True)
    >>> net_within_consortia(np.array([100_000, 100_000, 100_000]),
    ...                      np.array([[6_000, -1_000, 3_000]]),
    ...                      Consortia.from_codes([1, 1, 1]), pbc_freed_up(0.7).savings_rule,
    ...                      policy.losses_rule).tolist()
    [[3733, 0, 1867]]
    """
    c = consortia
    v = c.table(variance)                                   # (..., width, pieces)
    group_variance = c.by_consortium(v.sum(axis=-2))
    group_budget = c.by_consortium(c.table(budget).sum(axis=-2))
    group_amount = np.rint(shared_amount(group_budget.astype(float),
                                         group_variance.astype(float), savings, losses))
    # weights: underspends in a net-underspending consortium, overspends otherwise
    within = netting_weight(v, c.by_piece(group_variance)[..., None, :])
    # running sums down each piece
    for row in range(1, c.width):
        np.add(within[..., row, :], within[..., row - 1, :], out=within[..., row, :])
    piece_weight = within[..., -1, :]
    group_weight = c.by_consortium(piece_weight)
    if c.continued is not None:        # add the weight of the consortium's earlier pieces
        before = np.cumsum(piece_weight, axis=-1) - piece_weight
        before -= before[..., c.first_piece].take(c.piece_group, axis=-1)
        within += before[..., None, :]
    cumulative = netted_total(within, c.by_piece(group_amount)[..., None, :],
                              c.by_piece(group_weight)[..., None, :]).astype(np.int64)
    allocated = np.empty_like(cumulative)
    np.subtract(cumulative[..., 1:, :], cumulative[..., :-1, :], out=allocated[..., 1:, :])
    allocated[..., 0, :] = cumulative[..., 0, :]
    if c.continued is not None:        # less the cumulative at the end of the previous piece
        allocated[..., 0, 1:] -= cumulative[..., -1, :-1] * c.continued[1:]
    return allocated.reshape(*allocated.shape[:-2], -1).take(c.position, axis=-1)


def netting_weight(variance: Any, group_variance: Any) -> Any:
    """A practice's weight in dividing its consortium's amount, element by element:
    its underspend when the consortium is under budget (``group_variance >= 0``), its
    overspend when it is over, else 0 (pence). Written once for arrays
    (:func:`net_within_consortia`) and single numbers (the compiled settlement,
    :mod:`pbcmodel.settlement.settle_kernel`).

    Examples
    --------
    >>> netting_weight(np.array([6_000, -1_000, 3_000]), 8_000).tolist()
    [6000, 0, 3000]
    >>> int(netting_weight(-1_000, -500))
    1000
    """
    return np.maximum(variance * netting_sign(group_variance), 0)


def netting_sign(group_variance: Any) -> Any:
    """Which practices carry a consortium's amount, element by element: +1 (its
    underspending practices) when the consortium is under budget or on it
    (``group_variance >= 0``), −1 (its overspending practices) when it is over; see
    :func:`netting_weight`.

    Examples
    --------
    >>> netting_sign(np.array([8_000, 0, -500])).tolist()
    [1, 1, -1]
    """
    return 1 - 2 * (group_variance < 0)


def netted_total(within: Any, group_amount: Any, group_weight: Any) -> Any:
    """The running total of a consortium's amount allocated up to a practice, element by
    element: ``group_amount × within / group_weight`` (``within`` the weights of the
    consortium's practices up to and including it, :func:`netting_weight`), rounded to
    whole pence (as a float). A practice's part is the difference of consecutive totals,
    and the last total is the group amount itself (``within == group_weight``, and
    ``|amount|`` is far below 2**52), so the parts add up to it exactly. Written once for
    arrays (:func:`net_within_consortia`) and single numbers (the compiled settlement).

    Examples
    --------
    >>> netted_total(np.array([6_000, 6_000, 9_000]), 5_600.0, 9_000).tolist()
    [3733.0, 3733.0, 5600.0]
    """
    # a consortium without weight has within == 0 throughout, so any finite ratio gives 0
    return np.rint(within * (group_amount / np.maximum(group_weight, 1)))


# ------------------------------------------------------------------ clawback and recovery
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
    :attr:`OverspendPolicy.clawback_order`; without a policy :data:`CLAWBACK_SOURCES`):

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
        :attr:`OverspendPolicy.recovery_years` (1 without a policy).
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
