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

from .lattice import map_threads


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
        # rows a block at a time (so that no temporary as large as the pmf is made), the
        # blocks on threads
        cdf = np.empty_like(self.pmf)

        def block(lo: int) -> None:
            rows = slice(lo, lo + _ROWS_AT_ONCE)
            np.cumsum(np.maximum(self.pmf[rows], 0.0), axis=1, out=cdf[rows])
            np.minimum(cdf[rows], 1.0, out=cdf[rows])

        map_threads(block, range(0, len(cdf), _ROWS_AT_ONCE))
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
        """Just what drawing by inversion needs (the cdf, its guide and the guide cells'
        answers), without the pmf."""
        return LatticeInverse.of(self._cdf, self.start, self.h, self.mean, self.var)


#: Rows of a table processed at once when building cdfs and guides (bounded temporaries).
_ROWS_AT_ONCE = 256
#: Cells of the guide table of :class:`LatticeInverse` (a power of two).
GUIDE_CELLS = 4096
#: Marks a guide cell that holds a step of the cdf (:attr:`LatticeInverse.answer`).
OPEN = np.iinfo(np.uint16).max


#: Bits a 64-bit stream output is shifted right by to give its guide cell (its top bits).
GUIDE_SHIFT = 64 + 1 - GUIDE_CELLS.bit_length()

# The scalar arithmetic of drawing by inversion, written once. Each function below is plain
# Python whose operations mean the same on numpy arrays (the numpy path, vectorised) and on
# single numbers (the compiled kernel, :mod:`pbcmodel.risk.kernel`, which compiles these very
# functions with numba): one definition serves both, so the two paths cannot drift apart.
# Augmented assignments work in place on an array and rebind a number.


def unit_from_bits(raw: Any) -> Any:
    """Uniforms in [0, 1) from a stream's 64-bit outputs: the top 53 bits times ``2⁻⁵³``.

    numpy's own rule for ``Generator.random``, written once for every draw that starts from
    raw bits (:meth:`LatticeInverse.index`, :func:`pbcmodel.risk.patients.uniforms`, the
    compiled kernel). ``raw`` (``uint64``, an array or one number) is overwritten when it is
    an array: pass a copy to keep it.

    Examples
    --------
    >>> unit_from_bits(np.array([0, 2**63, 2**64 - 1], dtype=np.uint64)).tolist()
    [0.0, 0.5, 0.9999999999999999]
    >>> float(unit_from_bits(np.uint64(2**63)))
    0.5
    """
    raw >>= np.uint64(11)
    return raw * 2.0**-53


def guide_cell(raw: Any) -> Any:
    """The guide cell of a uniform given as a stream's 64-bit output: its top bits, exactly
    ``⌊u·GUIDE_CELLS⌋`` for the uniform ``u`` of :func:`unit_from_bits` (``uint64``).

    Examples
    --------
    >>> guide_cell(np.array([0, 2**63, 2**64 - 1], dtype=np.uint64)).tolist()
    [0, 2048, 4095]
    """
    return raw >> np.uint64(GUIDE_SHIFT)


def halve(flat_cdf: np.ndarray, offset: Any, u: Any, lo: Any, hi: Any) -> tuple[Any, Any]:
    """One step of the search for the smallest ``k`` in ``[lo, hi]`` with
    ``cdf[k] ≥ u``: the half of the bracket that holds it (``hi`` stands for "none below").

    ``flat_cdf[offset + k]`` is the cdf at lattice index ``k`` of the unit; ``lo < hi``.

    Examples
    --------
    >>> cdf = np.array([0.1, 0.4, 0.7, 1.0])
    >>> lo, hi = 0, 3
    >>> while lo < hi:
    ...     lo, hi = halve(cdf, 0, 0.5, lo, hi)
    >>> int(lo)
    2
    """
    mid = (lo + hi) // 2
    below = flat_cdf[offset + mid] < u
    return lo + below * (mid + 1 - lo), mid + below * (hi - mid)


def lattice_amount(index: Any, last: int, start: Any, h: Any) -> Any:
    """The amount at lattice index ``index`` (a float), ``(start + min(index, last))·h``:
    an index past the last point (where the cdf stops short of 1) is the last point.

    Examples
    --------
    >>> lattice_amount(np.array([0.0, 1.0, 5.0]), 3, 2, 0.5).tolist()
    [1.0, 1.5, 2.5]
    """
    index = np.minimum(index, last)
    index += start
    index *= h
    return index


@attrs.frozen(eq=False)
class LatticeInverse:
    """The cdf of a :class:`LatticeLaw` with a guide table, to draw by inversion at speed.

    The one home of the rule "a draw at the uniform ``v`` is the smallest lattice point with
    ``F ≥ v``" (as :meth:`LatticeLaw.quantile`), whatever the law, from uniforms or straight
    from a random stream's 64-bit outputs (:meth:`invert`).

    ``guide[u, j]`` is the first lattice index whose cdf reaches ``j / GUIDE_CELLS``
    (Chen and Asau's guide table). The draw at a uniform ``v`` in cell
    ``j = ⌊v·GUIDE_CELLS⌋`` lies between ``guide[u, j]`` and ``guide[u, j + 1]``.
    ``answer[u, j]`` is the lattice index that every uniform of cell ``j`` inverts to, or
    :data:`OPEN` where the cell holds a step of the cdf: most draws are read off that
    table; where the cell holds one step, one comparison with the cdf settles it; the few
    others are settled by a binary search over the bracket, vectorised over every unit
    and draw.

    Examples
    --------
    >>> law = LatticeLaw(h=np.array([1.0]), start=np.array([2]), pmf=np.array([[0.5, 0.5]]),
    ...                  cumulants=np.array([[2.5, 0.25, 0.0, -0.125]]),
    ...                  alias_bound=np.array([0.0]))
    >>> inverse = law.inverse()
    >>> inverse.invert(np.array([[0.1], [0.5], [0.7]])).ravel().tolist()
    [2.0, 2.0, 3.0]
    >>> # cdf (½, 1): cells below ½ invert to index 0, those above to 1; the cell starting
    >>> # at ½ holds the step (u = ½ exactly gives 0, just above gives 1)
    >>> inverse.answer[0, [0, 2047, 2048, 2049, 4095]].tolist() == [0, 0, OPEN, 1, 1]
    True
    """

    h: np.ndarray
    start: np.ndarray
    cdf: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    guide: np.ndarray
    answer: np.ndarray

    @classmethod
    def of(cls, cdf: np.ndarray, start: np.ndarray, h: np.ndarray, mean: np.ndarray,
           var: np.ndarray) -> LatticeInverse:
        """Build the guide table of ``cdf`` (U, N), exactly, in one pass, and its cells'
        answers."""
        units, points = cdf.shape
        cells = GUIDE_CELLS
        guide = np.zeros((units, cells + 1), dtype=np.uint16 if points < 2**16 else np.int64)
        answer = np.empty((units, cells), dtype=guide.dtype)

        def block(lo: int) -> None:
            rows = min(_ROWS_AT_ONCE, units - lo)
            # guide[j] = #{i : cdf[i] < j/M} = #{i : floor(cdf[i]·M) < j} (M a power of two;
            # cdf ≥ 0, so truncation is the floor)
            floor = np.multiply(cdf[lo:lo + rows], cells).astype(np.int64)
            floor += (np.arange(rows) * (cells + 1))[:, None]
            counts = np.bincount(floor.ravel(), minlength=rows * (cells + 1))
            g = guide[lo:lo + rows]
            g[:, 1:] = np.cumsum(counts.reshape(rows, cells + 1)[:, :-1], axis=1)
            # a cell's answer is its first index, unless it holds a step (a wider guide's
            # closed cell whose answer happens to equal OPEN is searched, and found the same)
            answer[lo:lo + rows] = g[:, :-1]
            np.copyto(answer[lo:lo + rows], OPEN, where=g[:, 1:] != g[:, :-1])

        map_threads(block, range(0, units, _ROWS_AT_ONCE))
        return cls(h=h, start=start, cdf=cdf, mean=mean, var=var, guide=guide, answer=answer)

    def invert(self, u: np.ndarray, units: slice = slice(None)) -> np.ndarray:
        """Quantiles at uniforms ``u`` of shape (k, U) (or (k, len(units)) for those units).

        ``u`` holds floats in [0, 1], or 64-bit stream outputs (``uint64``) standing for the
        uniforms ``(u >> 11)·2⁻⁵³`` (:func:`unit_from_bits`): then a draw's guide cell is
        its top bits (``u >> 52`` for 4,096 cells, exactly ``⌊u·4096⌋``) and the uniform
        itself is worked out only for the draws whose cell holds a step; the result is
        exactly that at the uniforms.

        Examples
        --------
        >>> law = LatticeLaw(h=np.array([1.0]), start=np.array([2]),
        ...                  pmf=np.array([[0.5, 0.5]]),
        ...                  cumulants=np.array([[2.5, 0.25, 0.0, -0.125]]),
        ...                  alias_bound=np.array([0.0])).inverse()
        >>> raw = np.array([[0], [2**63 - 1], [2**63], [2**64 - 1]], dtype=np.uint64)
        >>> law.invert(raw).ravel().tolist()   # u ≈ 0, just below ½, ½, just below 1
        [2.0, 2.0, 2.0, 3.0]
        """
        units = slice(*units.indices(len(self.answer)))
        out = np.empty(u.shape)
        waiting = self.index(u, units, out)
        return self.search(self.amounts(out, units), [waiting], None, units.start)

    def index(self, draws: np.ndarray, units: slice, out: np.ndarray) -> tuple[np.ndarray, ...]:
        """Lattice indices of the draws of ``units`` (a slice with a start) into ``out``
        (k, len(units)), read off the guide where one look-up or one comparison settles
        them.

        ``draws`` are uniforms (floats) or 64-bit stream outputs (uint64, see
        :meth:`invert`). Returns the draws still to search (:meth:`search`): rows,
        units (of the law), uniforms, brackets and the offsets of their cdfs.
        """
        answer = self.answer[units]
        count, cells = answer.shape
        cdf = self.cdf.reshape(-1)
        points = self.cdf.shape[1]
        bits = draws.dtype == np.uint64
        if bits:
            index = guide_cell(draws).view(np.int64)
        else:
            index = np.multiply(draws, cells).astype(np.int64)   # u ≥ 0: truncation is floor
            np.minimum(index, cells - 1, out=index)
        index += np.arange(0, count * cells, cells)
        k = answer.reshape(-1).take(index)
        open_ = np.flatnonzero(k == OPEN)
        np.copyto(out, k.reshape(out.shape), casting="unsafe")
        col = open_ % count
        cell = index.reshape(-1)[open_] + col          # the cell's place in the guide
        guide = self.guide[units].reshape(-1)
        lo = guide[cell].astype(np.int64)
        hi = guide[cell + 1].astype(np.int64)
        if bits:
            u = unit_from_bits(draws.reshape(-1)[open_])   # a copy: draws are kept
        else:
            u = draws.reshape(-1)[open_]
        offset = (col + units.start) * points
        below = cdf[offset + lo] < u                 # one step of the cdf in the cell
        lo += below
        rows = open_ // count
        out[rows, col] = lo
        wide = np.flatnonzero(below & (lo < hi))      # more than one step: search later
        return rows[wide], col[wide] + units.start, u[wide], lo[wide], hi[wide], offset[wide]

    def amounts(self, index: np.ndarray, units: slice) -> np.ndarray:
        """Lattice indices (floats, (k, len(units))) → amounts ``(start + i)·h``
        (:func:`lattice_amount`)."""
        return lattice_amount(index, self.cdf.shape[1] - 1, self.start[units], self.h[units])

    def search(self, out: np.ndarray, pending: list[tuple[np.ndarray, ...]],
               money: Any = None, shift: int = 0) -> np.ndarray:
        """Settle the draws :meth:`index` left pending by binary search and write their
        amounts into ``out``, whose column ``j`` is unit ``j + shift``; with ``money``
        (e.g. a :class:`~pbcmodel.risk.patients.Pence`), ``money.apply(amounts, rows,
        units)`` (each amount's simulation row and unit of the law)."""
        rows, cols, u, lo, hi, offset = (np.concatenate(parts) for parts in zip(*pending,
                                                                                strict=True))
        if len(rows):
            index = _bisect(self.cdf.reshape(-1), u, lo, hi, offset).astype(float)
            index = lattice_amount(index, self.cdf.shape[1] - 1, self.start[cols], self.h[cols])
            out[rows, cols - shift] = index if money is None else money.apply(index, rows, cols)
        return out


def _bisect(flat_cdf: np.ndarray, u: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            offset: np.ndarray) -> np.ndarray:
    """Smallest ``k`` in ``[lo, hi]`` with ``cdf[k] ≥ u`` (``hi`` if none), elementwise."""
    active = np.arange(len(u))
    while len(active):
        lo[active], hi[active] = halve(flat_cdf, offset[active], u[active], lo[active],
                                       hi[active])
        active = active[lo[active] < hi[active]]
    return lo


def drawable(law: Any) -> Any:
    """What drawing by inversion needs of a law: a lattice law's :class:`LatticeInverse`
    (its cdf, guide table and the guide cells' answers, not its pmf), any other law
    itself."""
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
