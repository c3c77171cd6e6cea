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
  was asked to track, :class:`Keep`);
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
  (for figures) and, with ``keep="full"``, every practice × simulation × year amount and
  net cash (in memory, or written through a store's sink, :mod:`pbcmodel.scenario.store`).

Tallies of disjoint ranges merge exactly (:meth:`Tally.merge`): integer sums do not depend
on the order of addition, so the statistics are identical however the simulations were
split into chunks, tasks or workers.

Examples
--------
>>> import numpy as np
>>> budget = np.full((1, 2), 100_000)                     # pence: 1 year × 2 practices
>>> low, width = histogram_grid(budget, np.array([900.0, 1_100.0]),
...                             np.array([90.0, 110.0]) ** 2, np.ones(1), 0.0)
>>> tally = Tally.empty(0, 4, 1, budget, low, width, Keep())
>>> amount = np.array([[-500, 200], [0, 300], [700, -100], [100, 0]])      # pence
>>> zeros = np.zeros(4, dtype=np.int64)
>>> tally.add(0, 0, amount, amount, zeros, zeros, zeros)
>>> tally.finished().amount_sum.tolist(), tally.count
([300, 400], 4)
>>> estimate, bound = tally.quantile(0.5)
>>> bool(np.all(np.abs(estimate - np.median(amount, axis=0)) <= bound))
True
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

__all__ = ["HISTOGRAM_BINS", "LOSS_FRACTIONS", "LOSS_POUNDS", "SAMPLE_SIMULATIONS", "Keep",
           "Tally", "histogram_grid"]

#: Bins of each practice's histogram of the yearly practice amount (plus two overflow bins).
HISTOGRAM_BINS = 2048
#: Losses (pounds) and losses as fractions of budget whose years are counted exactly.
LOSS_POUNDS: tuple[float, ...] = (10_000.0,)
LOSS_FRACTIONS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10)
#: Simulations whose every practice-year amount and net cash are kept for figures.
SAMPLE_SIMULATIONS = 256
#: Standard deviations of spend either side of its mean covered by the histogram grid.
_SPAN_SD = 8.0
#: Practices whose histograms are counted together (their bins fit in cache).
_PRACTICES_AT_ONCE = 64
#: Histogram entries per practice held before they are counted (a buffer reused throughout;
#: ``np.bincount`` counts native integers several times faster than int32).
_PENDING_PER_PRACTICE = 1024
_LOW32 = np.int64(2**32 - 1)
_SQUARE_SAFE = 3_037_000_499          # floor(sqrt(2^63 − 1)): |x| below it squares in int64


@attrs.frozen
class Keep:
    """What a :class:`Tally` keeps besides its streamed statistics.

    ``full``: every practice × simulation × year amount and net cash, in memory (or
    written chunk by chunk through ``sink`` when one is given: an object with
    ``writer(years)`` returning something with ``add(first, year, amount, net)`` and
    ``close()``, called when the tally is finished, see
    :mod:`pbcmodel.scenario.store`); ``loss_pounds`` and ``loss_fractions``: the losses
    whose years are counted exactly (:meth:`Tally.loss_count`).
    """

    full: bool = False
    loss_pounds: tuple[float, ...] = LOSS_POUNDS
    loss_fractions: tuple[float, ...] = LOSS_FRACTIONS
    sink: Any = None


def histogram_grid(budget_pence: np.ndarray, mean: np.ndarray, var: np.ndarray,
                   growth: np.ndarray, shock_cv: float) -> tuple[np.ndarray, np.ndarray]:
    """Per practice, the lower edge and the width (whole pence) of the histogram's bins.

    The grid covers 0 and every variance ``budget − outturn`` within ``±8`` standard
    deviations of expected spend in any year (a practice's amount is a share of its own
    variance, so it lies in that range); anything outside lands in an overflow bin.
    """
    second = (var + mean**2) * (1.0 + shock_cv**2) - mean**2
    sd = np.sqrt(np.maximum(second, 0.0))
    spend_hi = growth[:, None] * (mean + _SPAN_SD * sd) * 100
    spend_lo = growth[:, None] * np.maximum(mean - _SPAN_SD * sd, 0.0) * 100
    low = np.minimum((budget_pence - spend_hi).min(axis=0), 0.0)
    high = np.maximum((budget_pence - spend_lo).max(axis=0), 0.0)
    width = np.maximum(np.ceil((high - low) / HISTOGRAM_BINS), 1.0).astype(np.int64)
    return np.floor(low).astype(np.int64), width


def _square_sums(x: np.ndarray, biggest: int | None = None) -> np.ndarray:
    """Exact ``Σ x²`` down the rows of int64 pence ``x`` (k, P), as (2, P) int64 halves.

    Row ``0`` holds the high 32 bits and row ``1`` the low 32 bits of each sum. ``biggest``
    (optional) is ``max |x|`` if already known.
    """
    if biggest is None:
        biggest = int(max(-int(x.min(initial=0)), int(x.max(initial=0))))
    if biggest < _SQUARE_SAFE:
        rows = max(1, (2**63 - 1) // max(biggest * biggest, 1))
        total = np.zeros((2, x.shape[1]), dtype=np.int64)
        for lo in range(0, len(x), rows):
            part = x[lo:lo + rows]
            s = np.einsum("ij,ij->j", part, part)       # exact: no partial sum overflows
            total[0] += s >> 32
            total[1] += s & _LOW32
        return total
    # huge amounts: x = a·2^16 + b, x² = a²·2^32 + 2ab·2^16 + b² (exact Python integers)
    a, b = x >> 16, x & 0xFFFF
    exact = [(int(ai) << 32) + (int(abi) << 17) + int(bi) for ai, abi, bi in
             zip((a * a).sum(axis=0), (a * b).sum(axis=0), (b * b).sum(axis=0), strict=True)]
    return np.array([[v >> 32 for v in exact], [v & (2**32 - 1) for v in exact]],
                    dtype=np.int64)


def _exact(halves: np.ndarray) -> list[int]:
    """Python integers from (2, P) halves."""
    return [(int(h) << 32) + int(lo) for h, lo in zip(halves[0], halves[1], strict=True)]


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
    #                                        below ⌈−f × budget⌉
    keep_full: bool
    amount_sum: np.ndarray
    freed_sum: np.ndarray
    net_sum: np.ndarray
    amount_squares: np.ndarray
    net_squares: np.ndarray
    loss_pounds: np.ndarray
    loss_fractions: np.ndarray
    histogram: np.ndarray
    amount_min: np.ndarray
    amount_max: np.ndarray
    commissioner: np.ndarray
    carried: np.ndarray
    pool: np.ndarray
    amount_sample: np.ndarray
    net_sample: np.ndarray
    full_amount: np.ndarray | None
    full_net: np.ndarray | None
    _bins: np.ndarray | None = None        # (pending, P) histogram entries not yet counted
    _filled: int = 0                       # rows of _bins in use
    _scratch: dict[Any, np.ndarray] = attrs.field(factory=dict)   # work buffers, reused
    tracked_pounds: tuple[float, ...] = LOSS_POUNDS
    tracked_fractions: tuple[float, ...] = LOSS_FRACTIONS
    writer: Any = None                     # writes the full arrays elsewhere (Keep.sink)

    @classmethod
    def empty(cls, lo: int, hi: int, years: int, budget_pence: np.ndarray, low: np.ndarray,
              width: np.ndarray, keep: bool | Keep,
              full: tuple[np.ndarray, np.ndarray] | None = None) -> Tally:
        """A tally with nothing added yet; ``budget_pence`` is (years, P); ``keep`` a
        :class:`Keep` (or True for ``Keep(full=True)``). ``full``: int32 zeros of shape
        (hi − lo, P, years) to write the full arrays into (rows ``lo:hi`` of arrays shared
        by the tallies of consecutive ranges, which then merge without a copy)."""
        keep = keep if isinstance(keep, Keep) else Keep(full=bool(keep))
        keep_full = keep.full and keep.sink is None
        p = len(low)
        k = hi - lo
        fractions = (np.asarray(keep.loss_fractions, dtype=float).reshape(1, -1, 1)
                     * budget_pence[:, None, :])
        zeros = np.zeros(p, dtype=np.int64)
        sample = max(0, min(hi, SAMPLE_SIMULATIONS) - lo)
        return cls(
            lo=lo, hi=hi, years=years, low=low, width=width,
            loss_fraction_pence=np.ceil(-fractions).astype(np.int64),
            keep_full=keep_full, amount_sum=zeros.copy(), freed_sum=zeros.copy(),
            net_sum=zeros.copy(), amount_squares=np.zeros((2, p), dtype=np.int64),
            net_squares=np.zeros((2, p), dtype=np.int64),
            loss_pounds=np.zeros((len(keep.loss_pounds), p), dtype=np.int64),
            loss_fractions=np.zeros((len(keep.loss_fractions), p), dtype=np.int64),
            histogram=np.zeros(p * (HISTOGRAM_BINS + 2), dtype=np.int32),
            amount_min=np.full(p, np.iinfo(np.int64).max), amount_max=np.full(p, np.iinfo(
                np.int64).min),
            commissioner=np.zeros((k, years), dtype=np.int64),
            carried=np.zeros((k, years), dtype=np.int64),
            pool=np.zeros((k, years), dtype=np.int64),
            amount_sample=np.zeros((sample, p, years), dtype=np.int64),
            net_sample=np.zeros((sample, p, years), dtype=np.int64),
            full_amount=(None if not keep_full else full[0] if full is not None
                         else np.zeros((k, p, years), dtype=np.int32)),
            full_net=(None if not keep_full else full[1] if full is not None
                      else np.zeros((k, p, years), dtype=np.int32)),
            tracked_pounds=tuple(keep.loss_pounds), tracked_fractions=tuple(keep.loss_fractions),
            writer=None if keep.sink is None else keep.sink.writer(years))

    @property
    def practices(self) -> int:
        return len(self.low)

    def add(self, year: int, first: int, amount: np.ndarray, net: np.ndarray,
            commissioner: np.ndarray, carried: np.ndarray, pool: np.ndarray) -> None:
        """Add simulated ``year`` of simulations ``first, first + 1, …`` (rows of ``amount``)."""
        rows = slice(first - self.lo, first - self.lo + len(amount))
        work = self._buffer("work", amount.shape, np.int64)
        np.add(self.amount_sum, amount.sum(axis=0), out=self.amount_sum)
        np.add(self.net_sum, net.sum(axis=0), out=self.net_sum)
        np.maximum(amount, 0, out=work)
        np.add(self.freed_sum, work.sum(axis=0), out=self.freed_sum)
        low, high = amount.min(axis=0), amount.max(axis=0)
        self.amount_squares += _square_sums(amount, max(-int(min(low.min(initial=0), 0)),
                                                        int(high.max(initial=0))))
        self.net_squares += _square_sums(net)
        self._count_losses(year, amount)
        np.minimum(self.amount_min, low, out=self.amount_min)
        np.maximum(self.amount_max, high, out=self.amount_max)
        self._bin(amount)
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
        if self.writer is not None:
            self.writer.add(first, year, amount, net)

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

    def _count_losses(self, year: int, amount: np.ndarray) -> None:
        """Add, per practice, the rows of ``amount`` below each tracked loss of ``year``: all
        thresholds in one comparison and one count down the rows (both release the GIL)."""
        key = ("thresholds", year)
        if key not in self._scratch:        # (pounds + fractions, P) whole pence
            pounds = np.array([-round(p * 100) for p in self.tracked_pounds], dtype=np.int64)
            self._scratch[key] = np.vstack([
                np.broadcast_to(pounds[:, None], (len(pounds), self.practices)),
                self.loss_fraction_pence[year]])
        thresholds = self._scratch[key]
        below = self._buffer("below", (len(thresholds), *amount.shape), np.bool_)
        np.less(amount, thresholds[:, None, :], out=below)
        split = len(self.loss_pounds)
        for lo in range(0, len(amount), 255):          # bytes add up without overflow
            counts = np.add.reduce(below[:, lo:lo + 255].view(np.uint8), axis=1,
                                   dtype=np.uint8)
            self.loss_pounds += counts[:split]
            self.loss_fractions += counts[split:]

    def _bin(self, amount: np.ndarray) -> None:
        bins = HISTOGRAM_BINS
        if self._bins is None:
            self._bins = np.empty((min(_PENDING_PER_PRACTICE, max(self.count, 1)),
                                   self.practices), dtype=np.intp)
        room = len(self._bins)
        for lo in range(0, len(amount), room):
            part = amount[lo:lo + room]
            if self._filled + len(part) > room:
                self.flush()
            # bin b ≥ 1 holds low + (b−1)·w … low + b·w − 1; 0 and bins + 1 are the
            # overflows. Whole numbers below 2^53 convert and subtract exactly, and their
            # quotients round correctly, so the floor is exact
            origin, width, offset = self._edges()
            position = self._buffer("position", part.shape, float)
            np.subtract(part, origin, out=position)
            np.divide(position, width, out=position)
            np.clip(position, 0, bins + 1, out=position)
            index = self._bins[self._filled:self._filled + len(part)]
            np.copyto(index, position, casting="unsafe")    # ≥ 0: truncation is the floor
            index += offset          # each practice's bins within its block (see flush)
            self._filled += len(part)

    def _edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per practice: ``low − width`` and ``width`` (floats) and the offset of its bins
        within its block of practices."""
        if "origin" not in self._scratch:
            self._scratch["origin"] = (self.low - self.width).astype(float)
            self._scratch["width"] = self.width.astype(float)
            self._scratch["offset"] = ((np.arange(self.practices) % _PRACTICES_AT_ONCE)
                                       * (HISTOGRAM_BINS + 2)).astype(np.intp)
        return self._scratch["origin"], self._scratch["width"], self._scratch["offset"]

    def flush(self) -> None:
        """Count the pending histogram entries, a block of practices at a time (each block's
        counts fit in cache, and no array as large as the histogram is made)."""
        if not self._filled or self._bins is None:
            return
        size = HISTOGRAM_BINS + 2
        for lo in range(0, self.practices, _PRACTICES_AT_ONCE):
            index = self._bins[:self._filled, lo:lo + _PRACTICES_AT_ONCE]
            rows = self.histogram[lo * size:(lo + _PRACTICES_AT_ONCE) * size]
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
        self.flush()
        other.flush()
        full: list[np.ndarray | None] = []
        for name in ("full_amount", "full_net"):
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
            amount_squares=self.amount_squares + other.amount_squares,
            net_squares=self.net_squares + other.net_squares,
            loss_pounds=self.loss_pounds + other.loss_pounds,
            loss_fractions=self.loss_fractions + other.loss_fractions,
            histogram=self.histogram + other.histogram,
            amount_min=np.minimum(self.amount_min, other.amount_min),
            amount_max=np.maximum(self.amount_max, other.amount_max),
            commissioner=np.vstack([self.commissioner, other.commissioner]),
            carried=np.vstack([self.carried, other.carried]),
            pool=np.vstack([self.pool, other.pool]),
            amount_sample=np.concatenate([self.amount_sample, other.amount_sample]),
            net_sample=np.concatenate([self.net_sample, other.net_sample]),
            full_amount=full[0], full_net=full[1], bins=None, filled=0, scratch={})

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
        self.flush()
        bins = HISTOGRAM_BINS
        counts = self.histogram.reshape(self.practices, bins + 2).astype(np.int64)
        cum = np.cumsum(counts, axis=1)
        # each practice's cumulative counts shifted above the previous practice's, so that
        # one search of the flattened array counts, per practice, the bins up to a rank
        rows = np.arange(self.practices)
        shift = rows * (self.count + 1)
        cum += shift[:, None]
        flat = cum.reshape(-1)
        h = (self.count - 1) * q
        first = int(np.floor(h))
        estimates, bounds = [], []
        for rank in (first, min(first + 1, self.count - 1)):
            # b = #{bins with cumulative count ≤ rank}: the bin holding order statistic rank
            b = np.searchsorted(flat, rank + shift, side="right") - rows * (bins + 2)
            inside = counts[rows, b]
            before = cum[rows, b] - shift - inside
            lower = np.where(b == 0, self.amount_min, self.low + (b - 1) * self.width)
            upper = np.where(b == bins + 1, self.amount_max, self.low + b * self.width - 1)
            lower = np.maximum(lower, self.amount_min)
            upper = np.minimum(upper, self.amount_max)
            share = (rank - before + 0.5) / inside
            estimates.append(lower + share * (upper - lower))
            bounds.append((upper - lower).astype(float))
        frac = h - first
        return (1 - frac) * estimates[0] + frac * estimates[1], np.maximum(*bounds)

    def loss_count(self, kind: str, value: float) -> np.ndarray | None:
        """Exact counts of years below ``−value`` pounds (``kind="pounds"``) or
        ``−value × budget`` (``kind="fraction"``), if this tally counted that value."""
        table, values = ((self.loss_pounds, self.tracked_pounds) if kind == "pounds"
                         else (self.loss_fractions, self.tracked_fractions))
        for i, tracked in enumerate(values):
            if np.isclose(tracked, float(value), rtol=0, atol=1e-12):
                return table[i]
        return None

    def finished(self) -> Tally:
        """This tally with its pending counts added, its work buffers released and full
        arrays narrowed to int32."""
        self.flush()
        self._bins, self._scratch = None, {}
        if self.full_amount is not None and self.full_net is not None:
            self.full_amount = _narrow(self.full_amount)
            self.full_net = _narrow(self.full_net)
        if self.writer is not None:          # rows it still holds go to the store
            self.writer.close()
        return self

    def __getstate__(self) -> dict[str, Any]:        # pickled for dask: counts first
        self.flush()
        state = {f.name: getattr(self, f.name) for f in attrs.fields(type(self))}
        return {**state, "_bins": None, "_scratch": {}}      # work buffers stay behind

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
