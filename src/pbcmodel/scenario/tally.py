"""The statistics a streamed simulation result accumulates chunk by chunk, exactly.

A :class:`Tally` collects, for one policy and a range of simulations, everything
:class:`~pbcmodel.scenario.SimulationResult` reports, in memory that does not grow with the
number of simulations:

* per practice, exact integer sums over simulation-years of the practice amount, of
  freed-up money and of net cash (pence), and of their squares (pence², held as two int64
  halves so nothing overflows), so means and standard deviations are exact up to the
  final division;
* per practice, exact counts of the years with a loss beyond each of
  :data:`LOSS_POUNDS` and :data:`LOSS_FRACTIONS` of budget (and the losses a simulation
  was asked to track, :class:`Keep`), and of the years whose outturn is more than each of
  :data:`MISS_FRACTIONS` of budget above or below it (whole-pence rules in
  :mod:`~pbcmodel.scenario.thresholds`);
* per practice, an exact histogram of the yearly practice amount on a money grid of
  :data:`HISTOGRAM_BINS` bins (integer pence, per-practice width, chosen before any draw
  from the budgets and the spend distribution by :func:`histogram_grid`), with the exact
  minimum and maximum. A quantile read from it is within one bin of the exact one:
  :meth:`Tally.quantile` returns that **quantile bound** with it, and
  :meth:`SimulationResult.quantile_bounds <pbcmodel.scenario.SimulationResult.quantile_bounds>`
  shows it;
* per simulation and year (small: ``n × years``): what the commissioner keeps, the
  liabilities carried and the cost of the high-cost pool, in pence;
* the practice amount and net cash of the first :data:`SAMPLE_SIMULATIONS` simulations
  (for figures) and, with ``keep="full"``, every practice × simulation × year amount, net
  cash and outturn (in memory, or written through a store's sink,
  :mod:`pbcmodel.scenario.store`).

Every count relative to budget uses the year's budget of the row counted: the tally's own
(year × practice) by default, or one per simulation and practice when
:meth:`Tally.add` is given one (budgets that learn from earlier years' outturns).

Tallies of disjoint ranges merge exactly (:meth:`Tally.merge`): integer sums do not depend
on the order of addition, so the statistics are identical however the simulations were
split into chunks, tasks or workers. With the kernel ``"numba"``
(:func:`~pbcmodel.risk.kernel.active_kernel`) the per-practice statistics of a chunk are
added in one compiled pass (:mod:`~pbcmodel.scenario.tally_kernel`), identical to numpy's.

Examples
--------
>>> import numpy as np
>>> budget = np.full((1, 2), 100_000)                     # pence: 1 year × 2 practices
>>> low, width = histogram_grid(budget, np.array([900.0, 1_100.0]),
...                             np.array([90.0, 110.0]) ** 2, np.ones(1), 0.0)
>>> tally = Tally.empty(0, 4, 1, budget, low, width, Keep())
>>> amount = np.array([[-500, 200], [0, 300], [700, -100], [100, 0]])      # pence
>>> zeros = np.zeros(4, dtype=np.int64)
>>> outturn = 100_000 + np.array([[-20_000, 0], [5_000, 9_000], [10_001, -10_000],
...                               [0, -10_001]])
>>> tally.add(0, 0, amount, amount, zeros, zeros, zeros, outturn=outturn)
>>> tally.finished().amount_sum.tolist(), tally.count
([300, 400], 4)
>>> tally.miss_count(0.10)           # (over, under) per practice: beyond ±£100 of £1,000
(array([1, 0]), array([1, 1]))
>>> estimate, bound = tally.quantile(0.5)
>>> bool(np.all(np.abs(estimate - np.median(amount, axis=0)) <= bound))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from ..risk.kernel import active_kernel
from .histogram import HISTOGRAM_BINS, bin_edges, histogram_bin, histogram_grid
from .squares import carried, square_sums
from .squares import exact as _exact
from .tally_kernel import add_chunk, count_pending
from .thresholds import (
    IS_LOSS,
    IS_OVER,
    IS_UNDER,
    count_rows,
    loss_limit,
    miss_margin,
    tracked_index,
)

__all__ = ["HISTOGRAM_BINS", "LOSS_FRACTIONS", "LOSS_POUNDS", "MISS_FRACTIONS",
           "SAMPLE_SIMULATIONS", "Keep", "Tally", "histogram_grid"]

#: Losses (pounds) and losses as fractions of budget whose years are counted exactly.
LOSS_POUNDS: tuple[float, ...] = (10_000.0,)
LOSS_FRACTIONS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10)
#: Fractions of budget by which an outturn above or below budget is counted exactly.
MISS_FRACTIONS: tuple[float, ...] = (0.05, 0.10, 0.20)
#: Simulations whose every practice-year amount and net cash are kept for figures.
SAMPLE_SIMULATIONS = 256
#: Practices whose histograms are counted together (their bins fit in cache).
_PRACTICES_AT_ONCE = 64
#: Histogram entries per practice held before they are counted (a buffer reused throughout).
_PENDING_PER_PRACTICE = 1024
#: Rows of pending bins (2 bytes each) that take no more room than a histogram (4 bytes a
#: bin): up to this many, a finished tally keeps its bins uncounted until a quantile is asked.
_KEPT_PENDING = 2 * (HISTOGRAM_BINS + 2)
#: The dtypes of the full arrays (``keep="full"``): amount and net cash int32 (widened to
#: int64 for a range where one does not fit), outturn int64 (a large practice's yearly
#: spend passes £21.4m, int32's limit in pence).
FULL_DTYPES = (np.int32, np.int32, np.int64)
#: A year's whole-pence limits (:meth:`Tally._limits`): losses, outturns over, under.
Limits = tuple[np.ndarray, np.ndarray, np.ndarray]


@attrs.frozen
class Keep:
    """What a :class:`Tally` keeps besides its streamed statistics.

    ``full``: every practice × simulation × year amount and net cash, in memory (or
    written chunk by chunk through ``sink`` when one is given: an object with
    ``writer(years)`` returning something with ``add(first, year, amount, net, outturn)`` and
    ``close()``, called when the tally is finished, see
    :mod:`pbcmodel.scenario.store`); ``loss_pounds`` and ``loss_fractions``: the losses
    whose years are counted exactly (:meth:`Tally.loss_count`); ``miss_fractions``: the
    fractions of budget by which outturns over and under budget are counted exactly
    (:meth:`Tally.miss_count`).
    """

    full: bool = False
    loss_pounds: tuple[float, ...] = LOSS_POUNDS
    loss_fractions: tuple[float, ...] = LOSS_FRACTIONS
    sink: Any = None
    miss_fractions: tuple[float, ...] = MISS_FRACTIONS


def _fits_int32(values: np.ndarray) -> bool:
    """True when every value fits int32 (checked on the minimum and maximum)."""
    info = np.iinfo(np.int32)
    return values.size == 0 or bool(values.min() >= info.min and values.max() <= info.max)


def _joined(a: np.ndarray, b: np.ndarray, lo: int, hi: int) -> np.ndarray | None:
    """``a`` and ``b`` as one array, without a copy, when they are rows ``lo:mid`` and
    ``mid:hi`` of one shared array (simulations numbered from its first row); else None."""
    base = a.base
    if base is None or b.base is not base or a.dtype != b.dtype or base.ndim != a.ndim:
        return None
    whole = base[lo:hi]
    if len(whole) != len(a) + len(b) or not (
            whole.__array_interface__["data"][0] == a.__array_interface__["data"][0]
            and whole[len(a):].__array_interface__["data"][0]
            == b.__array_interface__["data"][0]):
        return None
    return whole


def _narrow(values: np.ndarray) -> np.ndarray:
    """int32 when every value fits (checked), int64 otherwise (no copy if already so)."""
    if values.dtype == np.int32:
        return values
    return values.astype(np.int32) if _fits_int32(values) else values


@attrs.define(eq=False)
class Tally:
    """Running statistics of one policy over simulations ``[lo, hi)`` (see the module)."""

    lo: int
    hi: int
    years: int
    low: np.ndarray
    width: np.ndarray
    loss_fraction_pence: np.ndarray        # (years, fractions, P) whole-pence thresholds:
    #                                        an amount is a loss beyond −f × budget iff it is
    #                                        below ⌈−f × budget⌉ (loss_limit)
    budget_pence: np.ndarray               # (years, P): the budgets counts are relative to
    #                                        unless add() is given the row's own
    miss_margin_pence: np.ndarray          # (years, miss fractions, P): ⌊f × budget⌋
    keep_full: bool
    amount_sum: np.ndarray
    freed_sum: np.ndarray
    net_sum: np.ndarray
    amount_squares: np.ndarray
    net_squares: np.ndarray
    loss_pounds: np.ndarray
    loss_fractions: np.ndarray
    misses: np.ndarray                     # (2, miss fractions, P): years over, under
    amount_min: np.ndarray
    amount_max: np.ndarray
    commissioner: np.ndarray
    carried: np.ndarray
    pool: np.ndarray
    amount_sample: np.ndarray
    net_sample: np.ndarray
    full_amount: np.ndarray | None
    full_net: np.ndarray | None
    full_outturn: np.ndarray | None
    _counts: np.ndarray | None = None      # the histogram (P × bins), once counted into
    _bins: np.ndarray | None = None        # (pending, P) uint16 bins not yet counted
    _filled: int = 0                       # rows of _bins in use
    _scratch: dict[Any, np.ndarray] = attrs.field(factory=dict)   # work buffers, reused
    _year_limits: dict[int, Limits] = attrs.field(factory=dict)   # own budgets' limits
    tracked_pounds: tuple[float, ...] = LOSS_POUNDS
    tracked_fractions: tuple[float, ...] = LOSS_FRACTIONS
    tracked_misses: tuple[float, ...] = MISS_FRACTIONS
    writer: Any = None                     # writes the full arrays elsewhere (Keep.sink)
    outturns_given: bool = True            # every add() had its outturns (else no misses)
    budgets_vary: bool = False             # some add() had a budget per simulation

    @classmethod
    def empty(cls, lo: int, hi: int, years: int, budget_pence: np.ndarray, low: np.ndarray,
              width: np.ndarray, keep: bool | Keep,
              full: Sequence[np.ndarray] | None = None) -> Tally:
        """A tally with nothing added yet; ``budget_pence`` is (years, P); ``keep`` a
        :class:`Keep` (or True for ``Keep(full=True)``). ``full``: zeros of shape
        (hi − lo, P, years) and :data:`FULL_DTYPES` to write the full amounts, net cash and
        (optionally) outturns
        into (rows ``lo:hi`` of arrays shared by the tallies of consecutive ranges, which
        then merge without a copy)."""
        keep = keep if isinstance(keep, Keep) else Keep(full=bool(keep))
        keep_full = keep.full and keep.sink is None
        p = len(low)
        k = hi - lo
        budget_pence = np.asarray(budget_pence, dtype=np.int64)
        zeros = np.zeros(p, dtype=np.int64)
        sample = max(0, min(hi, SAMPLE_SIMULATIONS) - lo)
        arrays = [None if not keep_full else full[i] if full is not None and len(full) > i
                  else np.zeros((k, p, years), dtype=dtype)
                  for i, dtype in enumerate(FULL_DTYPES)]
        return cls(
            lo=lo, hi=hi, years=years, low=low, width=width,
            loss_fraction_pence=loss_limit(budget_pence, np.asarray(keep.loss_fractions)
                                           ).transpose(1, 0, 2),
            budget_pence=budget_pence,
            miss_margin_pence=miss_margin(budget_pence, np.asarray(keep.miss_fractions)
                                          ).transpose(1, 0, 2),
            keep_full=keep_full, amount_sum=zeros.copy(), freed_sum=zeros.copy(),
            net_sum=zeros.copy(), amount_squares=np.zeros((2, p), dtype=np.int64),
            net_squares=np.zeros((2, p), dtype=np.int64),
            loss_pounds=np.zeros((len(keep.loss_pounds), p), dtype=np.int64),
            loss_fractions=np.zeros((len(keep.loss_fractions), p), dtype=np.int64),
            misses=np.zeros((2, len(keep.miss_fractions), p), dtype=np.int64),
            amount_min=np.full(p, np.iinfo(np.int64).max), amount_max=np.full(p, np.iinfo(
                np.int64).min),
            commissioner=np.zeros((k, years), dtype=np.int64),
            carried=np.zeros((k, years), dtype=np.int64),
            pool=np.zeros((k, years), dtype=np.int64),
            amount_sample=np.zeros((sample, p, years), dtype=np.int64),
            net_sample=np.zeros((sample, p, years), dtype=np.int64),
            full_amount=arrays[0], full_net=arrays[1], full_outturn=arrays[2],
            tracked_pounds=tuple(keep.loss_pounds), tracked_fractions=tuple(keep.loss_fractions),
            tracked_misses=tuple(keep.miss_fractions),
            writer=None if keep.sink is None else keep.sink.writer(years))

    @property
    def practices(self) -> int:
        return len(self.low)

    def add(self, year: int, first: int, amount: np.ndarray, net: np.ndarray,
            commissioner: np.ndarray, carried: np.ndarray, pool: np.ndarray, *,
            outturn: np.ndarray | None = None, budget: np.ndarray | None = None) -> None:
        """Add simulated ``year`` of simulations ``first, first + 1, …`` (rows of ``amount``).

        ``outturn``: the year's outturns (k, P) int64 pence, counted over and under budget
        (without them the tally counts no misses and keeps no outturns). ``budget``: the
        year's budgets (pence) the counts relative to budget use, (P,) or one per
        simulation (k, P); by default the tally's own (``budget_pence[year]``).
        """
        budget = self._row_budget(year, budget, len(amount))
        rows = slice(first - self.lo, first - self.lo + len(amount))
        fused = active_kernel() == "numba"
        if fused:
            self._add_fused(year, amount, net, outturn, budget)
        else:
            self._add_statistics(amount, net)
        if budget is not None or not fused:        # else counted by the kernel already
            self._count_losses(year, amount, budget)
            if outturn is not None:
                self._count_misses(year, outturn, budget)
        self.outturns_given = self.outturns_given and outturn is not None
        self.commissioner[rows, year] = commissioner
        self.carried[rows, year] = carried
        self.pool[rows, year] = pool
        sample = max(0, min(rows.stop, len(self.net_sample)) - rows.start)
        if sample:
            self.amount_sample[rows.start:rows.start + sample, :, year] = amount[:sample]
            self.net_sample[rows.start:rows.start + sample, :, year] = net[:sample]
        if self.full_amount is not None and self.full_net is not None:
            self.full_amount = self._store(self.full_amount, rows, year, amount)
            self.full_net = self._store(self.full_net, rows, year, net)
        if self.full_outturn is not None and outturn is not None:
            self.full_outturn = self._store(self.full_outturn, rows, year, outturn)
        if self.writer is not None:
            self.writer.add(first, year, amount, net,
                            np.zeros_like(amount) if outturn is None else outturn)

    def _add_statistics(self, amount: np.ndarray, net: np.ndarray) -> None:
        """Add a chunk's per-practice sums, squares, extremes and histogram (numpy)."""
        work = self._buffer("work", amount.shape, np.int64)
        np.add(self.amount_sum, amount.sum(axis=0), out=self.amount_sum)
        np.add(self.net_sum, net.sum(axis=0), out=self.net_sum)
        np.maximum(amount, 0, out=work)
        np.add(self.freed_sum, work.sum(axis=0), out=self.freed_sum)
        low, high = amount.min(axis=0), amount.max(axis=0)
        carried(np.add(self.amount_squares, square_sums(
            amount, max(-int(min(low.min(initial=0), 0)), int(high.max(initial=0)))),
            out=self.amount_squares))
        carried(np.add(self.net_squares, square_sums(net), out=self.net_squares))
        np.minimum(self.amount_min, low, out=self.amount_min)
        np.maximum(self.amount_max, high, out=self.amount_max)
        self._bin(amount)

    def _add_fused(self, year: int, amount: np.ndarray, net: np.ndarray,
                   outturn: np.ndarray | None, budget: np.ndarray | None) -> None:
        """:meth:`_add_statistics` and, for the tally's own budgets (``budget`` None), the
        counts relative to budget, in one compiled pass (:func:`~.tally_kernel.add_chunk`)."""
        origin, width, _ = self._edges()
        p, losses = self.practices, len(self.loss_pounds) + len(self.loss_fractions)
        work = (self._buffer("chunk squares", (2, 2, p), np.int64),
                self._buffer("chunk spread", (2, 2, p), np.int64),
                self._buffer("chunk losses", (losses, p), np.int64))
        if budget is None:
            self._limits(year)
        squares, below = add_chunk(
            amount, net, outturn, None if budget is not None else self._scratch["limits", year],
            (origin, width), self._pending(len(amount)),
            (self.amount_sum, self.net_sum, self.freed_sum), (self.amount_min, self.amount_max),
            self.misses, work)
        self._filled += len(amount)
        carried(np.add(self.amount_squares, squares[0], out=self.amount_squares))
        carried(np.add(self.net_squares, squares[1], out=self.net_squares))
        if budget is None:
            self._add_losses(below)

    def _add_losses(self, counts: np.ndarray) -> None:
        """Add counts of losses beyond each tracked loss (pounds, then fractions)."""
        split = len(self.loss_pounds)
        self.loss_pounds += counts[:split]
        self.loss_fractions += counts[split:]

    @staticmethod
    def _store(store: np.ndarray, rows: slice, year: int, values: np.ndarray) -> np.ndarray:
        if store.dtype == np.int32 and not _fits_int32(values):
            store = store.astype(np.int64)
        store[rows, :, year] = values
        return store

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A work array kept for the next chunk of the same shape (no fresh pages each time)."""
        buffer = self._scratch.get(name)
        if buffer is None or buffer.shape != shape:
            buffer = self._scratch[name] = np.empty(shape, dtype=dtype)
        return buffer

    def _floats(self, name: str, values: np.ndarray) -> np.ndarray:
        """``values`` (whole pence, below 2^53 so exactly) as floats, in a reused buffer."""
        floats = self._buffer(f"{name} floats", values.shape, float)
        np.copyto(floats, values, casting="unsafe")
        return floats

    def _row_budget(self, year: int, budget: np.ndarray | None, rows: int
                    ) -> np.ndarray | None:
        """The budgets of the rows being added: None for the tally's own (its thresholds
        are kept from year to year), else (P,) or (k, P) pence."""
        if budget is None:
            return None
        budget = np.asarray(budget)
        if budget.shape not in ((self.practices,), (rows, self.practices)):
            raise ValueError(f"budget: expected ({self.practices},) or ({rows}, "
                             f"{self.practices}) pence, got shape {budget.shape}")
        if budget.ndim == 1 and np.array_equal(budget, self.budget_pence[year]):
            return None
        if budget.ndim == 2:
            self.budgets_vary = True
        return np.atleast_2d(budget)

    def _limits(self, year: int) -> Limits:
        """Whole-pence limits of ``year`` for the tally's own budgets, each (n, 1, P), made
        once a year: losses (pounds, then fractions; an amount below one is counted), and
        outturns over and under budget by more than each tracked fraction
        (:func:`~.thresholds.miss_margin`; an outturn beyond one is counted)."""
        if year not in self._year_limits:
            budget = self.budget_pence[year]
            pounds = np.array([-round(p * 100) for p in self.tracked_pounds], dtype=np.int64)
            margins = self.miss_margin_pence[year]
            # one array (as the compiled tally reads them), kept with the work arrays
            limits = self._scratch["limits", year] = np.vstack([
                np.broadcast_to(pounds[:, None], (len(pounds), len(budget))),
                self.loss_fraction_pence[year], budget + margins, budget - margins])
            n, m = len(limits) - 2 * len(margins), len(margins)
            self._year_limits[year] = (limits[:n, None], limits[n:n + m, None],
                                       limits[n + m:, None])
        return self._year_limits[year]

    def _count(self, name: str, test: np.ufunc, values: np.ndarray, limits: np.ndarray
               ) -> np.ndarray:
        """:func:`~.thresholds.count_rows` in a reused work array."""
        hits = self._buffer(name, np.broadcast_shapes(values.shape, limits.shape), np.bool_)
        return count_rows(test, values, limits, hits)

    def _count_losses(self, year: int, amount: np.ndarray, budget: np.ndarray | None) -> None:
        """Add, per practice, the rows of ``amount`` below each tracked loss of ``year``.

        With the rows' own budgets the fractions' limits are ``−f × budget`` unrounded: a
        whole number is below it iff it is below ``⌈−f × budget⌉``
        (:func:`~.thresholds.loss_limit`)."""
        values: np.ndarray = amount
        if budget is None:
            limits = self._limits(year)[0]
        else:             # in floating point (exact below 2^53): mixed types compare slowly
            split = len(self.tracked_pounds)
            fractions = np.asarray(self.tracked_fractions, dtype=float)[:, None, None]
            limits = self._buffer("loss limits", (split + len(fractions), *budget.shape),
                                  float)
            limits[:split] = self._limits(year)[0][:split]
            np.multiply(-fractions, self._floats("budget", budget), out=limits[split:])
            values = self._floats("amount", amount)
        self._add_losses(self._count("below", IS_LOSS, values, limits))

    def _count_misses(self, year: int, outturn: np.ndarray, budget: np.ndarray | None
                      ) -> None:
        """Add, per practice, the rows of ``outturn`` over and under budget by more than
        each tracked fraction (:func:`~.thresholds.miss_margin`).

        With the rows' own budgets: over iff ``outturn − budget > f × budget`` and under iff
        ``budget − outturn > f × budget`` (for whole numbers the same as against
        ``⌊f × budget⌋``), both in one comparison."""
        if budget is None:
            _, over, under = self._limits(year)
            self.misses[0] += self._count("over", IS_OVER, outturn, over)
            self.misses[1] += self._count("under", IS_UNDER, outturn, under)
            return
        floats = self._floats("budget", budget)              # exact below 2^53
        excess = self._buffer("excess", (2, 1, *outturn.shape), float)
        np.subtract(self._floats("outturn", outturn), floats, out=excess[0, 0])
        np.negative(excess[0, 0], out=excess[1, 0])
        fractions = np.asarray(self.tracked_misses, dtype=float)[:, None, None]
        margins = self._buffer("margins", (len(fractions), *budget.shape), float)
        np.multiply(fractions, floats, out=margins)
        self.misses += self._count("beyond", np.greater, excess, margins)

    def _pending(self, rows: int) -> np.ndarray:
        """Room for the bins of ``rows`` more rows, counting those pending first if need be
        (the buffer holds :data:`_PENDING_PER_PRACTICE` rows, or a chunk if it is longer)."""
        if self._bins is None or rows > len(self._bins):
            self.flush()
            self._bins = np.empty((max(min(_PENDING_PER_PRACTICE, self.count), rows, 1),
                                   self.practices), dtype=np.uint16)
        elif self._filled + rows > len(self._bins):
            self.flush()
        return self._bins[self._filled:self._filled + rows]

    def _bin(self, amount: np.ndarray) -> None:
        """Write the bins of ``amount`` (:func:`~.histogram.histogram_bin`) to be counted."""
        origin, width, _ = self._edges()
        self._pending(len(amount))[...] = histogram_bin(amount, origin, width)
        self._filled += len(amount)

    def _edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per practice: ``low − width`` and ``width`` (floats) and the offset of its bins
        within its block of practices."""
        if "origin" not in self._scratch:
            self._scratch["origin"], self._scratch["width"] = bin_edges(self.low, self.width)
            self._scratch["offset"] = ((np.arange(self.practices) % _PRACTICES_AT_ONCE)
                                       * (HISTOGRAM_BINS + 2)).astype(np.intp)
        return self._scratch["origin"], self._scratch["width"], self._scratch["offset"]

    @property
    def histogram(self) -> np.ndarray:
        """Per practice, the count of yearly practice amounts in each bin of its grid: flat,
        practice after practice, ``HISTOGRAM_BINS + 2`` counts each (below the grid, its
        bins, above it); the pending bins are counted into it when it is first read."""
        self.flush()
        return self._made_histogram()

    def _made_histogram(self) -> np.ndarray:
        """The histogram's array, made (zeros) when there is none yet."""
        if self._counts is None:
            self._counts = np.zeros(self.practices * (HISTOGRAM_BINS + 2), dtype=np.int32)
        return self._counts

    def _keeps_pending(self) -> bool:
        """Whether the pending bins may wait uncounted: no histogram has been made and they
        take no more room than one (:data:`_KEPT_PENDING` rows)."""
        return self._counts is None and self._filled <= _KEPT_PENDING

    def flush(self) -> None:
        """Count the pending histogram entries, a block of practices at a time (each block's
        counts fit in cache, and no array as large as the histogram is made); the histogram
        is made at the first count."""
        if not self._filled or self._bins is None:
            return
        histogram = self._made_histogram()
        if active_kernel() == "numba":
            count_pending(self._bins[:self._filled], histogram)
            self._filled = 0
            return
        size = HISTOGRAM_BINS + 2
        _, _, offset = self._edges()
        for lo in range(0, self.practices, _PRACTICES_AT_ONCE):
            block = slice(lo, lo + _PRACTICES_AT_ONCE)
            # each practice's bins within its block (np.bincount counts native integers
            # several times faster than narrower ones)
            index = self._bins[:self._filled, block] + offset[block]
            rows = histogram[lo * size:(lo + _PRACTICES_AT_ONCE) * size]
            counts = np.bincount(index.ravel(), minlength=len(rows))
            rows += counts.astype(np.int32)      # counts < 2^31 a practice
        self._filled = 0

    def merge(self, other: Tally) -> Tally:
        """The tally of both ranges (``other`` starts where this one stops).

        Both tallies are consumed. Full arrays (``keep="full"``) written into one shared
        array (see :meth:`empty`) are joined without a copy; others are handed to the result
        one at a time and released, so merging needs room for one more array, not for a
        second copy of both.
        """
        counts, bins = self._merged_bins(other)
        full: list[np.ndarray | None] = []
        for name in ("full_amount", "full_net", "full_outturn"):
            a, b = getattr(self, name), getattr(other, name)
            if a is None or b is None:
                full.append(None)
                continue
            joined = _joined(a, b, self.lo, other.hi)
            full.append(joined if joined is not None else np.concatenate(
                [a.astype(np.int64) if a.dtype != b.dtype else a,
                 b.astype(np.int64) if a.dtype != b.dtype else b]))
            setattr(self, name, None)
            setattr(other, name, None)
            del a, b
        return attrs.evolve(
            self, hi=other.hi,
            amount_sum=self.amount_sum + other.amount_sum,
            freed_sum=self.freed_sum + other.freed_sum, net_sum=self.net_sum + other.net_sum,
            amount_squares=carried(self.amount_squares + other.amount_squares),
            net_squares=carried(self.net_squares + other.net_squares),
            loss_pounds=self.loss_pounds + other.loss_pounds,
            loss_fractions=self.loss_fractions + other.loss_fractions,
            misses=self.misses + other.misses,
            outturns_given=self.outturns_given and other.outturns_given,
            budgets_vary=self.budgets_vary or other.budgets_vary,
            amount_min=np.minimum(self.amount_min, other.amount_min),
            amount_max=np.maximum(self.amount_max, other.amount_max),
            commissioner=np.vstack([self.commissioner, other.commissioner]),
            carried=np.vstack([self.carried, other.carried]),
            pool=np.vstack([self.pool, other.pool]),
            amount_sample=np.concatenate([self.amount_sample, other.amount_sample]),
            net_sample=np.concatenate([self.net_sample, other.net_sample]),
            full_amount=full[0], full_net=full[1], full_outturn=full[2], counts=counts,
            bins=bins, filled=0 if bins is None else len(bins), scratch={}, year_limits={})

    def _merged_bins(self, other: Tally) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Both tallies' histogram entries: their pending bins one range after the other
        while they take no more room than a histogram (:data:`_KEPT_PENDING` rows), else
        counted, ``other``'s histogram added into ``self``'s (both are consumed)."""
        if (self._counts is None and other._counts is None
                and self._filled + other._filled <= _KEPT_PENDING):
            parts = [t._bins[:t._filled] for t in (self, other)
                     if t._bins is not None and t._filled]
            return None, np.concatenate(parts) if parts else None
        histogram = self.histogram
        histogram += other.histogram
        return histogram, None

    # reading ----------------------------------------------------------------------------
    @property
    def count(self) -> int:
        """Practice-years per practice."""
        return (self.hi - self.lo) * self.years

    def variance(self, which: str) -> np.ndarray:
        """Exact population variance (pence²) per practice of ``"amount"`` or ``"net"``."""
        total = self.amount_sum if which == "amount" else self.net_sum
        squares = _exact(self.amount_squares if which == "amount" else self.net_squares)
        n = self.count
        return np.array([(n * s2 - int(s1) ** 2) / n**2
                         for s1, s2 in zip(total, squares, strict=True)])

    def second_moment(self) -> np.ndarray:
        """Σ amount² per practice (pence², float of the exact integer)."""
        return np.array([float(v) for v in _exact(self.amount_squares)])

    def quantile(self, q: float) -> tuple[np.ndarray, np.ndarray]:
        """The ``q`` quantile of the yearly practice amount (pence) per practice, and a bound.

        Linear interpolation between order statistics, as :func:`numpy.quantile`. Each order
        statistic is placed inside the histogram bin that holds it, so the estimate is
        within the returned bound (the width of that bin, pence) of the exact quantile.
        """
        bins = HISTOGRAM_BINS
        h = (self.count - 1) * q
        first = int(np.floor(h))
        ranks = (first, min(first + 1, self.count - 1))
        estimates, bounds = [], []
        for rank, (b, inside, before) in zip(ranks, self._ranked_bins(ranks), strict=True):
            lower = np.where(b == 0, self.amount_min, self.low + (b - 1) * self.width)
            upper = np.where(b == bins + 1, self.amount_max, self.low + b * self.width - 1)
            lower = np.maximum(lower, self.amount_min)
            upper = np.minimum(upper, self.amount_max)
            share = (rank - before + 0.5) / inside
            estimates.append(lower + share * (upper - lower))
            bounds.append((upper - lower).astype(float))
        frac = h - first
        return (1 - frac) * estimates[0] + frac * estimates[1], np.maximum(*bounds)

    def _ranked_bins(self, ranks: tuple[int, ...]
                     ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per rank, per practice: the histogram bin holding that order statistic, the count
        in the bin and the count in the bins before it; a block of practices at a time, so
        that no array as large as the histogram is made (a quantile of a national result
        needs a few MB, not twice the histogram)."""
        size = HISTOGRAM_BINS + 2
        out = [(np.empty(self.practices, dtype=np.int64), np.empty(self.practices, dtype=np.int64),
                np.empty(self.practices, dtype=np.int64)) for _ in ranks]
        step = 4 * _PRACTICES_AT_ONCE
        for lo in range(0, self.practices, step):
            counts = self.histogram[lo * size:(lo + step) * size].reshape(-1, size)
            cum = np.cumsum(counts, axis=1, dtype=np.int64)
            rows = np.arange(len(counts))
            for rank, (b, inside, before) in zip(ranks, out, strict=True):
                # the bin of order statistic rank: the number of bins whose cumulative count
                # is at most rank
                at = np.count_nonzero(cum <= rank, axis=1)
                b[lo:lo + len(counts)] = at
                inside[lo:lo + len(counts)] = counts[rows, at]
                before[lo:lo + len(counts)] = cum[rows, at] - counts[rows, at]
        return out

    def loss_count(self, kind: str, value: float) -> np.ndarray | None:
        """Exact counts of years below ``−value`` pounds (``kind="pounds"``) or
        ``−value × budget`` (``kind="fraction"``), if this tally counted that value."""
        table, values = ((self.loss_pounds, self.tracked_pounds) if kind == "pounds"
                         else (self.loss_fractions, self.tracked_fractions))
        i = tracked_index(values, value)
        return None if i is None else table[i]

    def miss_count(self, fraction: float) -> tuple[np.ndarray, np.ndarray] | None:
        """Exact counts, per practice, of years whose outturn was over and under budget by
        more than ``fraction`` of it (:func:`~.thresholds.miss_margin`), if this tally counted that
        fraction and was given every outturn."""
        i = tracked_index(self.tracked_misses, fraction)
        return None if i is None or not self.outturns_given else (self.misses[0, i],
                                                                  self.misses[1, i])

    def finished(self) -> Tally:
        """This tally with its work buffers released and its full amounts and net cash
        narrowed to int32 where they fit. Its
        pending histogram entries are counted, unless they may wait (:meth:`_keeps_pending`)
        for the first quantile (a result whose quantiles are never read, as a design's candidates,
        never makes the histogram)."""
        if not self._keeps_pending():
            self.flush()
        self._bins = (None if self._bins is None or not self._filled else
                      self._bins if self._filled == len(self._bins) else
                      self._bins[:self._filled].copy())          # only the rows in use
        self._scratch, self._year_limits = {}, {}
        if self.full_amount is not None and self.full_net is not None:
            self.full_amount = _narrow(self.full_amount)
            self.full_net = _narrow(self.full_net)
        if self.writer is not None:          # rows it still holds go to the store
            self.writer.close()
        return self

    def __getstate__(self) -> dict[str, Any]:        # pickled for dask
        if not self._keeps_pending():
            self.flush()                       # the smaller of a histogram and the bins
        state = {f.name: getattr(self, f.name) for f in attrs.fields(type(self))}
        pending = None if self._bins is None or not self._filled else self._bins[:self._filled]
        return {**state, "_bins": pending, "_scratch": {},      # work buffers stay behind
                "_year_limits": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
