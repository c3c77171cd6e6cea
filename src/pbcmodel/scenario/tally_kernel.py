"""The fused tally: a chunk's per-practice statistics in one compiled pass.

:meth:`Tally.add <pbcmodel.scenario.tally.Tally.add>` adds, per practice, a chunk's sums
of amounts, net cash and freed-up money, their exact sums of squares, the smallest and
largest amount, the counts of losses and of outturns over and under budget, and the
bins of the histogram of amounts. numpy does each of those as a pass (or several) over the
chunk; with the optional extra ``pbcmodel[fast]`` (numba, kernel ``"numba"``,
:func:`~pbcmodel.risk.kernel.active_kernel`) :func:`add_chunk` does them in one compiled
loop, four rows of the chunk at a time (each practice's accumulators read and written once
for the four, each loop over the practices simple enough for the CPU's vector
instructions), and writes each amount's bin (2 bytes) to be counted later. The bins are
counted many chunks at once and a practice at a time (:func:`count_pending`), so that the
practice's counts stay in cache rather than the whole histogram (``P × 2,050`` counts,
65 MB for 8,000 practices) being visited every chunk.

**One definition of each rule.** The loop holds no rule of its own: the bin of an amount
is :func:`~.histogram.histogram_bin`, the halves of a square :func:`~.squares.halves`,
the limits of a loss and of an outturn over or under budget come precomputed from
:func:`~.thresholds.loss_limit` and :func:`~.thresholds.miss_margin`
(:meth:`Tally._limits <pbcmodel.scenario.tally.Tally._limits>`), compared by ``IS_LOSS``,
``IS_OVER`` and ``IS_UNDER`` of :mod:`~.thresholds`, the very functions the numpy path
applies to arrays, compiled by numba for single numbers
(``numba.extending.register_jitable``). Integer sums do not depend on the order of
addition and the halves of a sum of squares are put in one canonical form
(:func:`~.squares.carried`), so every field of the tally is the same whichever kernel
added it (tests/test_tally_kernel.py). Squares of amounts of
:data:`~.squares.SQUARE_SAFE` pence or more (beyond any real budget) would not fit in
int64: the columns holding one are summed again by numpy (:func:`~.squares.square_sums`).

**Compilation** happens on first use in a process and is cached on disk (numba's
``cache=True``), as the draw kernel's (:mod:`pbcmodel.risk.kernel`): after editing one of
the shared rules in a checkout, touch this file (or delete its
``__pycache__/tally_kernel.*.nb*``). The loop releases the GIL and starts no threads.

Examples
--------
>>> import numpy as np
>>> from pbcmodel.risk.kernel import kernel_available
>>> from pbcmodel.scenario.histogram import bin_edges
>>> amount = np.array([[-500, 200], [0, 300], [700, -100]])                   # pence
>>> limits = np.array([[-100, -100], [110, 110], [90, 90]])     # a loss, over, under
>>> outturn = np.array([[120, 100], [100, 80], [91, 111]])
>>> pending = np.zeros((3, 2), dtype=np.uint16)
>>> sums = tuple(np.zeros(2, dtype=np.int64) for _ in range(3))
>>> extremes = (np.full(2, 9**9), np.full(2, -9**9))
>>> misses = np.zeros((2, 1, 2), dtype=np.int64)
>>> if kernel_available():
...     work = (np.empty((2, 2, 2), np.int64), np.empty((2, 2, 2), np.int64),
...             np.empty((1, 2), np.int64))
...     squares, below = add_chunk(amount, amount, outturn, limits,
...                                bin_edges(np.array([-1_000, -1_000]), np.array([1, 1])),
...                                pending, sums, extremes, misses, work)
...     assert np.array_equal(sums, [[200, 400], [200, 400], [700, 500]])
...     assert np.array_equal(extremes, [[-500, -100], [700, 300]])
...     assert below.tolist() == [[1, 0]]
...     assert misses.ravel().tolist() == [1, 1, 0, 1]
...     assert pending.tolist() == [[501, 1201], [1001, 1301], [1701, 901]]
...     assert squares[0].tolist() == [[0, 0], [740_000, 140_000]]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..risk.kernel import compiled
from .histogram import HISTOGRAM_BINS, histogram_bin
from .squares import SQUARE_SAFE, halves, square_sums
from .thresholds import IS_LOSS, IS_OVER, IS_UNDER

__all__ = ["add_chunk", "count_pending"]

#: Each practice's histogram: its bins and the two overflow bins.
_SIZE = HISTOGRAM_BINS + 2
#: Rows of a chunk added together (each practice's accumulators read and written once).
_ROWS = 4


def add_chunk(amount: np.ndarray, net: np.ndarray, outturn: np.ndarray | None,
              limits: np.ndarray | None, edges: tuple[np.ndarray, np.ndarray],
              pending: np.ndarray, sums: tuple[np.ndarray, ...],
              extremes: tuple[np.ndarray, ...], misses: np.ndarray,
              work: tuple[np.ndarray, np.ndarray, np.ndarray]
              ) -> tuple[np.ndarray, np.ndarray]:
    """Add a chunk's (k, P) ``amount`` and ``net`` (int64 pence) to a tally's per-practice
    statistics, in place, in one compiled loop.

    ``sums``: three (P,) arrays, the sums of amounts, net cash and freed-up money
    (``max(amount, 0)``); ``extremes``: two, the smallest and largest amount; ``pending``:
    (k, P) uint16, where each amount's histogram bin is written (:func:`count_pending`
    counts them later), ``edges`` the grid (:func:`~.histogram.bin_edges`). ``limits``:
    the year's whole-pence limits of the tally's own budgets, (n + 2m, P): the n losses,
    then the m outturns over and the m under budget (:meth:`Tally._limits
    <pbcmodel.scenario.tally.Tally._limits>`), or None to count nothing relative to budget;
    the outturns ``outturn`` (k, P) over and under budget are added to ``misses`` (2, m, P)
    when given. ``work``: int64 arrays of shapes (2, 2, P), (2, 2, P) and (n, P), reused
    from chunk to chunk. Returns the chunk's sums of squares of amounts and net cash,
    (2, 2, P) canonical halves (:mod:`~.squares`), and its counts of losses below each loss
    limit, (n, P) (both in ``work``).
    """
    amount, net = np.asarray(amount, dtype=np.int64), np.asarray(net, dtype=np.int64)
    squares, spread, below = work
    losses = 0 if limits is None else len(below)
    tracked = 0 if limits is None or outturn is None else misses.shape[1]
    outturn = amount if outturn is None else np.asarray(outturn, dtype=np.int64)
    squares[...] = 0
    below[...] = 0
    if not len(amount):
        return squares, below
    _compiled()[0](amount, net, outturn,
                   np.zeros((0, amount.shape[1]), np.int64) if limits is None else limits,
                   losses, tracked, edges[0], edges[1], pending, sums, extremes, squares,
                   spread, below, misses)
    for which, values in enumerate((amount, net)):
        low, high = spread[which]
        huge = (low <= -SQUARE_SAFE) | (high >= SQUARE_SAFE)
        if huge.any():                     # their squares overflowed int64: summed exactly
            squares[which][:, huge] = square_sums(values[:, huge])
    return squares, below


def count_pending(pending: np.ndarray, histogram: np.ndarray) -> None:
    """Count the bins ``pending`` (rows, P) uint16 into the flat (P × (bins + 2)) int32
    ``histogram``, a practice at a time (its bins stay in cache), compiled.

    Examples
    --------
    >>> from pbcmodel.risk.kernel import kernel_available
    >>> histogram = np.zeros(2 * (HISTOGRAM_BINS + 2), dtype=np.int32)
    >>> if kernel_available():
    ...     count_pending(np.array([[0, 5], [2049, 5]], dtype=np.uint16), histogram)
    ...     assert np.flatnonzero(histogram).tolist() == [0, 2049, 2055]
    """
    _compiled()[1](pending, histogram)


def _count_block(pending: np.ndarray, histogram: np.ndarray) -> None:
    """The loop of :func:`count_pending`, a practice at a time: its bins stay in the
    innermost cache, and each line of ``pending`` read down its column serves the next
    practices too (twice as fast as a block of practices row by row)."""
    rows, p = pending.shape
    for j in range(p):
        base = j * _SIZE
        for i in range(rows):
            histogram[base + np.intp(pending[i, j])] += 1


def _fused_chunk(amount: np.ndarray, net: np.ndarray, outturn: np.ndarray,
                 limits: np.ndarray, losses: int, misses_tracked: int, origin: np.ndarray,
                 width: np.ndarray, pending: np.ndarray, sums: tuple[np.ndarray, ...],
                 extremes: tuple[np.ndarray, ...], squares: np.ndarray, spread: np.ndarray,
                 below: np.ndarray, misses: np.ndarray) -> None:
    """The loop of :func:`add_chunk`, :data:`_ROWS` rows at a time (each loop over the
    practices simple enough for the CPU's vector instructions, each practice's
    accumulators read and written once for those rows). ``limits``: losses, then outturns
    over, then under (``losses`` and ``misses_tracked`` rows); ``spread``: the chunk's own
    smallest and largest amount and net cash, (2, 2, P), to find squares too large;
    ``squares`` and ``below`` zeros."""
    k, p = amount.shape
    spread[0, 0], spread[0, 1] = amount[0], amount[0]
    spread[1, 0], spread[1, 1] = net[0], net[0]
    whole = k - k % _ROWS
    for i in range(0, whole, _ROWS):       # the rows' count a constant: loops unrolled
        _add_rows(amount, net, i, _ROWS, sums, spread, squares)
        _count_rows(amount, outturn, i, _ROWS, limits, losses, misses_tracked, below, misses)
    for i in range(whole, k):
        _add_rows(amount, net, i, 1, sums, spread, squares)
        _count_rows(amount, outturn, i, 1, limits, losses, misses_tracked, below, misses)
    for i in range(k):
        for j in range(p):
            pending[i, j] = histogram_bin(amount[i, j], origin[j], width[j])
    for j in range(p):
        extremes[0][j] = np.minimum(extremes[0][j], spread[0, 0, j])
        extremes[1][j] = np.maximum(extremes[1][j], spread[0, 1, j])
        for which in range(2):             # canonical halves (k < 2^31 rows: no overflow)
            high, low = halves(squares[which, 1, j])
            squares[which, 0, j] += high
            squares[which, 1, j] = low


def _add_rows(amount: np.ndarray, net: np.ndarray, i: int, rows: int,
              sums: tuple[np.ndarray, ...], spread: np.ndarray, squares: np.ndarray) -> None:
    """Add rows ``i … i + rows`` of amounts and net cash to the sums of amounts, net cash
    and freed-up money, the smallest and largest of each, and the halves of their
    squares."""
    for j in range(amount.shape[1]):
        total, net_total, freed = sums[0][j], sums[1][j], sums[2][j]
        low, high, net_low, net_high = spread[0, 0, j], spread[0, 1, j], spread[1, 0, j], \
            spread[1, 1, j]
        a_high, a_low, n_high, n_low = squares[0, 0, j], squares[0, 1, j], squares[1, 0, j], \
            squares[1, 1, j]
        for r in range(rows):
            a, b = amount[i + r, j], net[i + r, j]
            total += a
            net_total += b
            freed += np.maximum(a, 0)
            low, high = np.minimum(low, a), np.maximum(high, a)
            net_low, net_high = np.minimum(net_low, b), np.maximum(net_high, b)
            part_high, part_low = halves(a * a)   # wraps beyond SQUARE_SAFE: see add_chunk
            a_high, a_low = a_high + part_high, a_low + part_low
            part_high, part_low = halves(b * b)
            n_high, n_low = n_high + part_high, n_low + part_low
        sums[0][j], sums[1][j], sums[2][j] = total, net_total, freed
        spread[0, 0, j], spread[0, 1, j], spread[1, 0, j], spread[1, 1, j] = \
            low, high, net_low, net_high
        squares[0, 0, j], squares[0, 1, j], squares[1, 0, j], squares[1, 1, j] = \
            a_high, a_low, n_high, n_low


def _count_rows(amount: np.ndarray, outturn: np.ndarray, i: int, rows: int,
                limits: np.ndarray, losses: int, tracked: int, below: np.ndarray,
                misses: np.ndarray) -> None:
    """Count rows ``i … i + rows``: amounts below each loss limit, outturns over and under
    budget by more than each tracked fraction."""
    p = amount.shape[1]
    for m in range(losses):
        for j in range(p):
            limit, c = limits[m, j], 0
            for r in range(rows):
                c += IS_LOSS(amount[i + r, j], limit)
            below[m, j] += c
    for m in range(tracked):
        for j in range(p):
            over, under, c, d = limits[losses + m, j], limits[losses + tracked + m, j], 0, 0
            for r in range(rows):
                c += IS_OVER(outturn[i + r, j], over)
                d += IS_UNDER(outturn[i + r, j], under)
            misses[0, m, j] += c
            misses[1, m, j] += d


def _compiled() -> tuple[Callable[..., None], Callable[..., None]]:
    """:func:`_fused_chunk` and :func:`_count_block` compiled, the shared rules (and the
    loop's own steps) made callable from them (:func:`pbcmodel.risk.kernel.compiled`).
    Divisions as numpy's (no Python check for a zero divisor, which a bin's width never
    is): the loops over the practices stay free to use vector instructions."""
    rules = (histogram_bin, halves, _add_rows, _count_rows)
    return (compiled(_fused_chunk, rules, "compiled tally (kernel 'numba')",
                     error_model="numpy"),
            compiled(_count_block, rules, "compiled tally (kernel 'numba')",
                     error_model="numpy"))
