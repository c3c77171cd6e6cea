"""Vectorised univariate laws behind :class:`~pbcmodel.risk.SpendDistribution` (private).

Each law holds one distribution per unit and answers, unit by unit, the cdf at ``x``, the
quantile at ``q``, the expected excess ``E[(S − v)⁺]`` and draws by inversion of
uniforms. Arguments are arrays of shape (U,) (one value per unit) or (k, U).

* :class:`LatticeLaw` — masses on a per-unit lattice ``start·h + i·h`` (FFT method);
  quantiles are those of the discrete distribution (smallest lattice point with
  ``F ≥ q``), so VaR and TVaR are exact for it.
* :class:`SampleLaw` — the empirical distribution of sorted draws (Monte Carlo method).
* :class:`NormalLaw` — normal with the exact mean and variance (normal approximation).
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from scipy import special


@attrs.frozen(eq=False)
class LatticeLaw:
    """Lattice distributions: ``pmf[u, i]`` at ``(start[u] + i)·h[u]``.

    Examples
    --------
    >>> law = LatticeLaw(h=np.array([1.0]), start=np.array([2]), pmf=np.array([[0.5, 0.5]]),
    ...                  cumulants=np.array([[2.5, 0.25, 0.0, -0.125]]),
    ...                  alias_bound=np.array([0.0]))
    >>> law.quantile(np.array([0.5])).tolist(), law.cdf(np.array([2.0])).tolist()
    ([2.0], [0.5])
    """

    h: np.ndarray
    start: np.ndarray
    pmf: np.ndarray
    cumulants: np.ndarray
    alias_bound: np.ndarray
    _cdf: np.ndarray = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        # negative round-off (and moment-matching) weights are dropped so the cdf is monotone;
        # rows a block at a time, so that no temporary as large as the pmf is made
        cdf = np.empty_like(self.pmf)
        for lo in range(0, len(cdf), _ROWS_AT_ONCE):
            rows = slice(lo, lo + _ROWS_AT_ONCE)
            np.cumsum(np.maximum(self.pmf[rows], 0.0), axis=1, out=cdf[rows])
            np.minimum(cdf[rows], 1.0, out=cdf[rows])
        object.__setattr__(self, "_cdf", cdf)

    @property
    def mean(self) -> np.ndarray:
        """Exact mean of the discretised model (not only of the window)."""
        return self.cumulants[:, 0]

    @property
    def var(self) -> np.ndarray:
        """Exact variance of the discretised model."""
        return self.cumulants[:, 1]

    def points(self) -> np.ndarray:
        """Lattice points, shape (U, N)."""
        return (self.start[:, None] + np.arange(self.pmf.shape[1])) * self.h[:, None]

    def cdf(self, x: np.ndarray) -> np.ndarray:
        k = np.floor(x / self.h - self.start + 1e-9).astype(np.int64)  # a lattice point counts
        cdf = self._cdf
        n = cdf.shape[1]
        rows = np.arange(cdf.shape[0])
        inside = cdf[rows, np.clip(k, 0, n - 1)]
        return np.where(k < 0, 0.0, np.where(k >= n, 1.0, inside))

    def quantile(self, q: np.ndarray) -> np.ndarray:
        cdf = self._cdf
        n = cdf.shape[1]
        k = _rowwise_searchsorted(cdf, q - 1e-12)
        return (self.start + np.minimum(k, n - 1)) * self.h

    def expected_excess(self, v: np.ndarray) -> np.ndarray:
        return (self.pmf * np.maximum(self.points() - v[:, None], 0.0)).sum(axis=1)

    def invert(self, u: np.ndarray, units: slice = slice(None)) -> np.ndarray:
        """Quantiles at uniforms ``u`` of shape (k, U) (see :class:`LatticeInverse`)."""
        return self.inverse().invert(u, units)

    def scaled(self, factor: np.ndarray) -> LatticeLaw:
        """The law of ``factor[u] × S[u]``: the same pmf (and cdf) on buckets ``factor·h``."""
        f = np.asarray(factor, dtype=float)
        law = LatticeLaw.__new__(LatticeLaw)
        for name, value in (("h", self.h * f), ("start", self.start), ("pmf", self.pmf),
                            ("cumulants", self.cumulants * f[:, None] ** np.arange(1, 5)),
                            ("alias_bound", self.alias_bound), ("_cdf", self._cdf)):
            object.__setattr__(law, name, value)
        return law

    def inverse(self) -> LatticeInverse:
        """Just what drawing by inversion needs (the cdf and its guide), without the pmf."""
        return LatticeInverse.of(self._cdf, self.start, self.h, self.mean, self.var)


#: Rows of a table processed at once when building cdfs and guides (bounded temporaries).
_ROWS_AT_ONCE = 256
#: Cells of the guide table of :class:`LatticeInverse` (a power of two).
GUIDE_CELLS = 4096


@attrs.frozen(eq=False)
class LatticeInverse:
    """The cdf of a :class:`LatticeLaw` with a guide table, to draw by inversion at speed.

    ``guide[u, j]`` is the first lattice index whose cdf reaches ``j / GUIDE_CELLS``
    (Chen and Asau's guide table). The draw at a uniform ``v`` in cell
    ``j = ⌊v·GUIDE_CELLS⌋`` lies between ``guide[u, j]`` and ``guide[u, j + 1]``: most cells
    hold no step of the cdf, so the answer is read off the table; the others are settled by
    a binary search over the few indices between, vectorised over every unit and draw.
    The result is exactly the smallest lattice point with ``F ≥ v`` (as
    :meth:`LatticeLaw.quantile`), whatever the law.

    Examples
    --------
    >>> law = LatticeLaw(h=np.array([1.0]), start=np.array([2]), pmf=np.array([[0.5, 0.5]]),
    ...                  cumulants=np.array([[2.5, 0.25, 0.0, -0.125]]),
    ...                  alias_bound=np.array([0.0]))
    >>> law.inverse().invert(np.array([[0.1], [0.5], [0.7]])).ravel().tolist()
    [2.0, 2.0, 3.0]
    """

    h: np.ndarray
    start: np.ndarray
    cdf: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    guide: np.ndarray

    @classmethod
    def of(cls, cdf: np.ndarray, start: np.ndarray, h: np.ndarray, mean: np.ndarray,
           var: np.ndarray) -> LatticeInverse:
        """Build the guide table of ``cdf`` (U, N), exactly, in one pass."""
        units, points = cdf.shape
        cells = GUIDE_CELLS
        guide = np.zeros((units, cells + 1), dtype=np.uint16 if points < 2**16 else np.int64)
        for lo in range(0, units, _ROWS_AT_ONCE):
            block = cdf[lo:lo + _ROWS_AT_ONCE]
            rows = len(block)
            # guide[j] = #{i : cdf[i] < j/M} = #{i : floor(cdf[i]·M) < j} (M a power of two;
            # cdf ≥ 0, so truncation is the floor)
            floor = np.multiply(block, cells).astype(np.int64)
            floor += (np.arange(rows) * (cells + 1))[:, None]
            counts = np.bincount(floor.ravel(), minlength=rows * (cells + 1))
            guide[lo:lo + rows, 1:] = np.cumsum(counts.reshape(rows, cells + 1)[:, :-1], axis=1)
        return cls(h=h, start=start, cdf=cdf, mean=mean, var=var, guide=guide)

    def invert(self, u: np.ndarray, units: slice = slice(None)) -> np.ndarray:
        """Quantiles at uniforms ``u`` of shape (k, U) (or (k, len(units)) for those units).

        Call :meth:`lookup` on a few units at a time (e.g. 64), so that their rows of the
        guide stay in the processor's cache, then :meth:`finish` once on all of them.
        """
        return self.finish(u, *self.lookup(u, units), units)

    def lookup(self, u: np.ndarray, units: slice = slice(None)
               ) -> tuple[np.ndarray, np.ndarray]:
        """The guide's bracket ``[first, last]`` of each draw's lattice index."""
        guide = self.guide[units]
        cells = GUIDE_CELLS
        cell = np.multiply(u, cells).astype(np.int64)     # u ≥ 0: truncation is the floor
        np.minimum(cell, cells - 1, out=cell)
        cell += np.arange(len(guide)) * (cells + 1)
        flat_guide = guide.reshape(-1)
        first = flat_guide[cell].astype(np.int64)
        cell += 1
        return first, flat_guide[cell].astype(np.int64)

    def finish(self, u: np.ndarray, first: np.ndarray, last: np.ndarray,
               units: slice = slice(None)) -> np.ndarray:
        """Quantiles at ``u`` from their brackets: a vectorised binary search where open."""
        cdf = self.cdf[units]
        count, points = cdf.shape
        k = first.reshape(-1)
        open_ = np.flatnonzero(k != last.reshape(-1))
        if len(open_):
            k[open_] = _bisect(cdf.reshape(-1), u.reshape(-1)[open_], k[open_],
                               last.reshape(-1)[open_], (open_ % count) * points)
        index = k.reshape(u.shape)
        np.minimum(index, points - 1, out=index)
        index += self.start[units]
        return index * self.h[units]


def _bisect(flat_cdf: np.ndarray, u: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            offset: np.ndarray) -> np.ndarray:
    """Smallest ``k`` in ``[lo, hi]`` with ``cdf[k] ≥ u`` (``hi`` if none), elementwise."""
    active = np.arange(len(u))
    while len(active):
        a_lo, a_hi = lo[active], hi[active]
        mid = (a_lo + a_hi) // 2
        below = flat_cdf[offset[active] + mid] < u[active]
        lo[active] = np.where(below, mid + 1, a_lo)
        hi[active] = np.where(below, a_hi, mid)
        active = active[lo[active] < hi[active]]
    return lo


def drawable(law: Any) -> Any:
    """What drawing by inversion needs of a law: a lattice law's :class:`LatticeInverse`
    (its cdf and guide table, not its pmf), any other law itself."""
    return law.inverse() if isinstance(law, LatticeLaw) else law


def _rowwise_searchsorted(sorted_rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``searchsorted(sorted_rows[u], values[u], 'left')`` for every row at once.

    Each row must be sorted; rows are shifted to be disjoint so that one search of the
    flattened array serves them all.
    """
    rows = sorted_rows.shape[0]
    lo = sorted_rows[:, 0]
    hi = sorted_rows[:, -1]
    span = hi - lo + 1.0
    offset = (np.cumsum(span) - span - lo)[:, None]
    flat = (sorted_rows + offset).ravel()
    vals = np.asarray(values, dtype=float)
    vals = vals.reshape(rows, -1) if vals.ndim == 2 else vals[:, None]
    vals = np.clip(vals, (lo - 0.5)[:, None], (hi + 0.5)[:, None])
    pos = np.searchsorted(flat, vals + offset, side="left")
    k = pos - np.arange(rows)[:, None] * sorted_rows.shape[1]
    k = np.clip(k, 0, sorted_rows.shape[1])
    return k if np.ndim(values) == 2 else k[:, 0]


@attrs.frozen(eq=False)
class SampleLaw:
    """Empirical distributions of ``draws[u]`` (in simulation order; ``ordered`` sorted).

    Examples
    --------
    >>> law = SampleLaw.of(np.array([[4.0, 2.0, 3.0, 1.0]]))
    >>> law.quantile(np.array([0.5])).tolist(), law.cdf(np.array([2.5])).tolist()
    ([2.0], [0.5])
    """

    draws: np.ndarray
    ordered: np.ndarray

    @classmethod
    def of(cls, draws: np.ndarray) -> SampleLaw:
        """The law of ``draws`` (U, n)."""
        return cls(draws, np.sort(draws, axis=1))

    @property
    def mean(self) -> np.ndarray:
        return self.draws.mean(axis=1)

    @property
    def var(self) -> np.ndarray:
        return self.draws.var(axis=1, ddof=1)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        n = self.draws.shape[1]
        k = _rowwise_searchsorted(self.ordered, np.nextafter(x, np.inf))
        return k / n

    def quantile(self, q: np.ndarray) -> np.ndarray:
        return self.invert(q[None, :])[0]

    def expected_excess(self, v: np.ndarray) -> np.ndarray:
        return np.maximum(self.draws - v[:, None], 0.0).mean(axis=1)

    def scaled(self, factor: np.ndarray) -> SampleLaw:
        """The law of ``factor[u] × S[u]``."""
        f = np.asarray(factor, dtype=float)[:, None]
        return SampleLaw(self.draws * f, self.ordered * f)

    def invert(self, u: np.ndarray, units: slice = slice(None)) -> np.ndarray:
        n = self.draws.shape[1]
        k = np.clip(np.ceil(u * n - 1e-9).astype(np.int64) - 1, 0, n - 1)
        return np.take_along_axis(self.ordered[units], k.T, axis=1).T


@attrs.frozen(eq=False)
class NormalLaw:
    """Normal distributions with the given means and variances.

    Examples
    --------
    >>> law = NormalLaw(np.array([10.0]), np.array([4.0]))
    >>> law.quantile(np.array([0.5])).tolist(), round(float(law.cdf(np.array([12.0]))[0]), 4)
    ([10.0], 0.8413)
    """

    mean: np.ndarray
    var: np.ndarray

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return special.ndtr((x - self.mean) / np.sqrt(self.var))

    def quantile(self, q: np.ndarray) -> np.ndarray:
        return self.invert(q[None, :])[0]

    def expected_excess(self, v: np.ndarray) -> np.ndarray:
        sd = np.sqrt(self.var)
        z = (v - self.mean) / sd
        pdf = np.exp(-z**2 / 2) / np.sqrt(2 * np.pi)
        return sd * pdf - (v - self.mean) * special.ndtr(-z)

    def invert(self, u: np.ndarray, units: slice = slice(None)) -> np.ndarray:
        return self.mean[units] + np.sqrt(self.var[units]) * special.ndtri(u)

    def scaled(self, factor: np.ndarray) -> NormalLaw:
        """The law of ``factor[u] × S[u]``."""
        f = np.asarray(factor, dtype=float)
        return NormalLaw(self.mean * f, self.var * f**2)
