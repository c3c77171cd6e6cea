"""Consortium netting: under- and overspends netted within each consortium, to the penny.

When an :class:`~pbcmodel.overspend.OverspendPolicy` asks for it
(``net_within_consortium``), :func:`net_within_consortia` shares each consortium's net
variance as if the consortium were one practice and divides the amount among its practices,
so that netting moves money only inside a consortium. :class:`Consortia` groups the
practices once, for many settlements. The element-wise rules :func:`netting_sign`,
:func:`netting_weight` and :func:`netted_total` are written once for arrays and single
numbers: the compiled settlement (:mod:`pbcmodel.settlement.settle_kernel`) has numba
compile the same functions.

Examples
--------
Practices in consortia 7, 3, 7: practice 0 underspends £60 and practice 2 overspends £10,
so consortium 7 is £50 under; at 70%, £35 goes to its underspending practice 0.
Practice 1, alone in consortium 3, overspends £20 and bears half of it under the losses
rule.

>>> from pbcmodel.overspend import OverspendPolicy
>>> from pbcmodel.sharing import pbc_freed_up
>>> net_within_consortia(np.array([100_000, 100_000, 100_000]),
...                      np.array([[6_000, -2_000, -1_000]]),
...                      Consortia.from_codes([7, 3, 7]), pbc_freed_up(0.7).savings_rule,
...                      OverspendPolicy(practice_share=0.5).losses_rule).tolist()
[[3500, -1000, 0]]
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
import numpy as np

from ..sharing import SideRule, shared_amount

__all__ = ["Consortia", "net_within_consortia", "netted_total", "netting_sign",
           "netting_weight"]


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
        (:func:`~pbcmodel.overspend.liability_rule`).

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

    >>> from pbcmodel.overspend import OverspendPolicy
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
