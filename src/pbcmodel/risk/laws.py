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
        # negative round-off (and moment-matching) weights are dropped so the cdf is monotone
        cdf = np.cumsum(np.maximum(self.pmf, 0.0), axis=1)
        object.__setattr__(self, "_cdf", np.minimum(cdf, 1.0, out=cdf))

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

    def invert(self, u: np.ndarray) -> np.ndarray:
        """Quantiles at uniforms ``u`` of shape (k, U)."""
        return _invert_lattice(self._cdf, self.start, self.h, u)

    def scaled(self, factor: np.ndarray) -> LatticeLaw:
        """The law of ``factor[u] × S[u]``: the same pmf on buckets ``factor·h``."""
        f = np.asarray(factor, dtype=float)
        return LatticeLaw(h=self.h * f, start=self.start, pmf=self.pmf,
                          cumulants=self.cumulants * f[:, None] ** np.arange(1, 5),
                          alias_bound=self.alias_bound)

    def inverse(self) -> LatticeInverse:
        """Just what drawing by inversion needs (the cdf), without the pmf."""
        return LatticeInverse(h=self.h, start=self.start, cdf=self._cdf, mean=self.mean)


@attrs.frozen(eq=False)
class LatticeInverse:
    """The cdf of a :class:`LatticeLaw`, kept to draw by inversion (half the memory)."""

    h: np.ndarray
    start: np.ndarray
    cdf: np.ndarray
    mean: np.ndarray

    def invert(self, u: np.ndarray) -> np.ndarray:
        """Quantiles at uniforms ``u`` of shape (k, U)."""
        return _invert_lattice(self.cdf, self.start, self.h, u)


def _invert_lattice(cdf: np.ndarray, start: np.ndarray, h: np.ndarray,
                    u: np.ndarray) -> np.ndarray:
    n = cdf.shape[1]
    k = np.empty(u.shape[::-1], dtype=np.int64)
    for row, values in enumerate(u.T):  # one search per unit: no flattened copy of the cdf
        k[row] = np.searchsorted(cdf[row], values, side="left")
    return ((start[:, None] + np.minimum(k, n - 1)) * h[:, None]).T


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

    def invert(self, u: np.ndarray) -> np.ndarray:
        n = self.draws.shape[1]
        k = np.clip(np.ceil(u * n - 1e-9).astype(np.int64) - 1, 0, n - 1)
        return np.take_along_axis(self.ordered, k.T, axis=1).T


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

    def invert(self, u: np.ndarray) -> np.ndarray:
        return self.mean + np.sqrt(self.var) * special.ndtri(u)

    def scaled(self, factor: np.ndarray) -> NormalLaw:
        """The law of ``factor[u] × S[u]``."""
        f = np.asarray(factor, dtype=float)
        return NormalLaw(self.mean * f, self.var * f**2)
