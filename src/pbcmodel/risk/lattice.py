"""Discretisation on a lattice and aggregation by characteristic functions (private).

Method
------
*Discretisation* is second-order local moment matching (Gerber's method): the severity's
mass on each interval ``[a, a + 2H]`` is spread over the three lattice nodes ``a``,
``a + H``, ``a + 2H`` with the expected Lagrange basis polynomials as weights, so mass, mean
and second moment are preserved exactly on every interval and hence in total. Intervals
have ``H = h`` up to ``256 h`` and then double in width every octave (64 intervals per
octave), so a heavy lognormal tail to ``10⁹`` costs a few thousand nodes. The lattice
extends until less than ``1e-13`` of the second moment is left, which is lumped on the last
node. Weights may be slightly negative where the density bends sharply inside an interval;
the price of matching two moments. The same rule re-discretises a lattice distribution on a
coarser lattice (:func:`rebin`).

*Aggregation*: the characteristic function of a unit's spend is the product over cells of
the per-patient characteristic function raised to the cell's patient count (taken as
``exp(Σ n·log φ)``), evaluated with a real FFT of ``N`` points. A length-``N`` FFT returns
the distribution *folded* modulo ``N·h``; it is unfolded on a window ``[start, start + N·h)``
chosen to hold all but a small, bounded share of the mass (see :func:`window`). Folding the
per-patient distribution first does not change its DFT, so nodes far out cost nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import attrs
import numpy as np
from scipy import fft

from .costmodel import CostModel, Severity

#: Share of each severity's second moment allowed beyond the last lattice node.
TAIL_SHARE = 1e-13
_DENSE = 128      # intervals of width 2h before the geometric region
_PER_OCTAVE = 64  # intervals per octave in the geometric region
#: Age-sex cells discretised, or whose per-patient characteristic functions are built, at
#: once (bounded temporaries; the 40 cells make four blocks, shared evenly by two threads)
_CELLS_AT_ONCE = 10
#: Lattice points re-discretised at once (:func:`rebin`, a block of rows per thread)
_POINTS_AT_ONCE = 2**18
#: Below this log-modulus a characteristic function's value underflows to 0 (e^-746 < 2^-1075)
_UNDERFLOW = -746.0

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def map_threads(work: Callable[[_Item], _Result], items: Sequence[_Item]) -> list[_Result]:
    """``[work(item) for item in items]``, on a pool of one thread per core when there is
    more than one item.

    For independent pieces of work (e.g. blocks of rows, each writing its own rows of a
    shared output) whose heavy lifting is done by numpy and scipy, which release the GIL.

    Examples
    --------
    >>> map_threads(lambda lo: lo * 2, range(0, 10, 4))
    [0, 8, 16]
    """
    if len(items) < 2:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(work, items))


def intervals(h: float, top: float) -> tuple[np.ndarray, np.ndarray]:
    """Left edges ``a`` and half-widths ``H`` (both multiples of ``h``) covering [0, top].

    Examples
    --------
    >>> a, half = intervals(1.0, 1000.0)
    >>> float(a[0]), float(half[0]), float(a[128]), float(half[128])
    (0.0, 1.0, 256.0, 2.0)
    """
    lefts = [2.0 * h * np.arange(_DENSE)]
    halves = [np.full(_DENSE, h)]
    start, half = 2.0 * h * _DENSE, 2.0 * h
    while start < top:
        lefts.append(start + 2.0 * half * np.arange(_PER_OCTAVE))
        halves.append(np.full(_PER_OCTAVE, half))
        start, half = start * 2.0, half * 2.0
    return np.concatenate(lefts), np.concatenate(halves)


def severity_nodes(model: CostModel, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Discretise every cell × POD severity on the lattice ``h``.

    Returns
    -------
    pos : int64 array (M,)
        Node positions in units of ``h`` (shared by every cell and POD).
    weights : float array (40, 7, M)
        Masses at the nodes; each row sums to 1 and has the severity's mean and variance.

    Examples
    --------
    >>> from pbcmodel.datasets import example_cost_model
    >>> m = example_cost_model()
    >>> pos, w = severity_nodes(m, 10.0)
    >>> mean = (w * pos * 10.0).sum(axis=-1)
    >>> bool(np.allclose(mean, m.arrays[1], rtol=1e-9))
    True
    """
    sev = Severity.of(model)
    top = float(sev.isf_moment(2, TAIL_SHARE).max())
    a, half = intervals(h, top)
    b = a + 2.0 * half
    n = len(a)
    # partial moments at each distinct edge once (b[i] is, but for rounding, a[i + 1])
    edges, which = np.unique(np.concatenate([a, b]), return_inverse=True)
    at_a, at_b = which[:n], which[n:]
    weights = np.zeros((*sev.mean.shape, 2 * n + 1))

    def block(first: int) -> None:
        cells = slice(first, first + _CELLS_AT_ONCE)
        part = attrs.evolve(sev, mean=sev.mean[cells], cv=sev.cv[cells])
        upper = a >= part.mean[..., None]  # integrate tails from above where they are small
        g = []
        for k in range(3):
            below = part.partial_moment(k, edges, upper=False)
            above = part.partial_moment(k, edges, upper=True)
            lo = below[..., at_b] - below[..., at_a]
            up = above[..., at_a] - above[..., at_b]
            g.append(np.where(upper, up, lo))
        g0, g1, g2 = g
        eu = (g1 - a * g0) / half
        eu2 = (g2 - 2.0 * a * g1 + a**2 * g0) / half**2
        out = weights[cells]
        out[..., 0:2 * n:2] += (eu2 - 3.0 * eu + 2.0 * g0) / 2.0
        out[..., 1:2 * n:2] += 2.0 * eu - eu2
        out[..., 2:2 * n + 1:2] += (eu2 - eu) / 2.0
        out[..., -1] += part.partial_moment(0, b[-1:], upper=True)[..., 0]

    map_threads(block, range(0, len(weights), _CELLS_AT_ONCE))
    pos = np.empty(2 * n + 1)
    pos[0:2 * n:2] = a
    pos[1:2 * n:2] = a + half
    pos[-1] = b[-1]
    return np.rint(pos / h).astype(np.int64), weights


def scatter(pos: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Dense arrays of length ``n`` from node masses, folding positions modulo ``n``.

    Examples
    --------
    >>> scatter(np.array([0, 1, 5]), np.array([[0.5, 0.25, 0.25]]), 4).tolist()
    [[0.5, 0.5, 0.0, 0.0]]
    """
    lead = weights.shape[:-1]
    flat = weights.reshape(-1, len(pos))
    rows = len(flat)
    where = (pos % n)[None, :] + (np.arange(rows) * n)[:, None]
    return np.bincount(where.ravel(), flat.ravel(), minlength=rows * n).reshape(*lead, n)


def raw_moments(pmf: np.ndarray, x: np.ndarray, kmax: int = 4) -> np.ndarray:
    """Raw moments 1..kmax of lattice distributions along the last axis, shape (..., kmax)."""
    return np.stack([(pmf * x**k).sum(axis=-1) for k in range(1, kmax + 1)], axis=-1)


def cumulants(raw: np.ndarray) -> np.ndarray:
    """First four cumulants from the first four raw moments (last axis)."""
    m1, m2, m3, m4 = (raw[..., i] for i in range(4))
    k2 = m2 - m1**2
    k3 = m3 - 3 * m2 * m1 + 2 * m1**3
    k4 = m4 - 4 * m3 * m1 - 3 * m2**2 + 12 * m2 * m1**2 - 6 * m1**4
    return np.stack([m1, k2, k3, k4], axis=-1)


def cell_cumulants_uncapped(model: CostModel, pos: np.ndarray, weights: np.ndarray,
                            h: float) -> np.ndarray:
    """Cumulants (40, 4) of one patient's cost per cell under the discretised severities."""
    p = model.arrays[0]
    sev_raw = raw_moments(weights, pos * h)            # (40, 7, 4)
    return cumulants(p[..., None] * sev_raw).sum(axis=1)


def cell_phi_uncapped(model: CostModel, pos: np.ndarray, weights: np.ndarray,
                      n: int) -> np.ndarray:
    """Per-patient characteristic function per cell on an ``n``-point lattice, (40, n//2+1)."""
    p = model.arrays[0][..., None]
    phi = fft.rfft(scatter(pos, weights, n), axis=-1)
    return np.prod(1.0 - p + p * phi, axis=1)


def cell_pmf(model: CostModel, pos: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Per-patient cost per cell (the sum over PODs) as a dense lattice pmf, shape (40, size).

    The pmf is that of the cost folded modulo ``size`` nodes: the tail beyond must be
    negligible, or, as for costs capped at a threshold (every node below ``size``), empty.
    Nodes all below ``size`` are scattered on only as many points as they need, and the FFT
    pads them.

    Examples
    --------
    >>> from pbcmodel.datasets import example_cost_model
    >>> pmf = cell_pmf(example_cost_model(), np.array([0, 1]), np.full((40, 7, 2), 0.5), 8)
    >>> pmf.shape, bool(np.allclose(pmf.sum(axis=1), 1.0))
    ((40, 8), True)
    """
    p = model.arrays[0][..., None]
    length = min(size, int(pos.max()) + 1)
    product = np.empty((len(weights), size // 2 + 1), dtype=complex)

    def block(first: int) -> None:
        # the product over PODs, one POD at a time, of a few cells (the same sequential
        # product as np.prod over the POD axis, without (40, 7, size) temporaries)
        rows = slice(first, first + _CELLS_AT_ONCE)
        dense = scatter(pos, weights[rows], length)
        for pod in range(dense.shape[1]):
            phi = fft.rfft(dense[:, pod], n=size, axis=-1)
            term = np.multiply(p[rows, pod], phi, out=phi)
            term += 1.0 - p[rows, pod]
            if pod == 0:
                product[rows] = term
            else:
                product[rows] *= term

    map_threads(block, range(0, len(weights), _CELLS_AT_ONCE))
    return fft.irfft(product, n=size, axis=-1, workers=-1)


def rebin(pmf: np.ndarray, start: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Re-discretise lattice pmfs on a lattice ``factor`` times coarser, keeping mean and variance.

    Parameters
    ----------
    pmf : array (R, L)
        Masses at lattice positions ``start + k`` (k = 0..L-1), in units of the fine bucket.
    start : int array (R,)
        Offset of each row.
    factor : int
        Power of two ≥ 1.

    Returns
    -------
    new_start, new_pmf : int array (R,), array (R, L')
        Positions ``new_start + k`` in units of the coarse bucket.

    Examples
    --------
    >>> s, q = rebin(np.array([[0.25, 0.5, 0.25]]), np.array([1]), 2)
    >>> s.tolist(), q.round(6).tolist()  # mass at 1, 2, 3 -> coarse nodes 0, 1, 2 (×2)
    ([0], [[0.0625, 0.875, 0.0625]])
    """
    if factor == 1:
        return start.copy(), pmf
    rows, length = pmf.shape
    two = 2 * factor
    new_start = 2 * (start // two)
    width = int((2 * ((start + length - 1) // two - start // two) + 3).max())
    out = np.zeros((rows, width))
    per_block = max(1, _POINTS_AT_ONCE // length)

    def block(first: int) -> None:
        sl = slice(first, first + per_block)
        g = start[sl, None] + np.arange(length)[None, :]
        i = g // two
        u = (g - i * two) / factor
        flat = (2 * i - new_start[sl, None]) + (np.arange(len(g)) * width)[:, None]
        target = out[sl].reshape(-1)
        for j, lj in enumerate(((u - 1) * (u - 2) / 2, u * (2 - u), u * (u - 1) / 2)):
            target += np.bincount((flat + j).ravel(), (pmf[sl] * lj).ravel(),
                                  minlength=len(target))

    map_threads(block, range(0, rows, per_block))
    return new_start, out


def fold(pmf: np.ndarray, n: int) -> np.ndarray:
    """Fold lattice pmfs (R, L) modulo ``n`` into (R, n)."""
    rows, length = pmf.shape
    padded = np.zeros((rows, -(-length // n) * n))
    padded[:, :length] = pmf
    return padded.reshape(rows, -1, n).sum(axis=1)


def window(cum: np.ndarray, n: int, base: float, eps: float, *,
           floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Choose each unit's bucket and window start from its cumulants (κ₁..κ₄, shape (U, 4)).

    The window must hold ``[μ − a, μ + a]`` (cut at 0) with ``a = (μ₄/ε)^{1/4}``, so that by
    Markov's inequality on the fourth central moment ``μ₄ = κ₄ + 3κ₂²`` each side leaves at
    most ``ε`` of the probability outside. The bucket is the smallest ``base·2^k ≥ floor``
    that fits it in ``n`` points.

    Returns
    -------
    h, start : arrays (U,)
        Bucket (pounds) and window start in buckets.
    """
    mean = cum[:, 0]
    a = (_mu4(cum) / eps) ** 0.25
    lo = np.maximum(mean - a, 0.0)
    need = np.maximum((mean + a - lo) / (n - 2), max(floor, base * 2.0**-10))
    h = base * 2.0 ** np.ceil(np.log2(need / base))
    return h, np.floor(lo / h).astype(np.int64)


def alias_bound(cum: np.ndarray, h: np.ndarray, start: np.ndarray, n: int) -> np.ndarray:
    """Upper bound on the probability outside each window (the folded FFT's aliasing error).

    Markov's inequality on the fourth central moment for each side of the mean; the left
    side is empty when the window starts at 0 (spend is never negative).
    """
    mean, mu4 = cum[:, 0], _mu4(cum)
    left = mean - start * h
    right = (start + n) * h - mean
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(start > 0, mu4 / left**4, 0.0)
        hi = np.where(mu4 > 0, mu4 / right**4, 0.0)
    return np.minimum(np.nan_to_num(lo, nan=1.0) + np.nan_to_num(hi, nan=1.0), 1.0)


def _mu4(cum: np.ndarray) -> np.ndarray:
    k2 = np.maximum(cum[:, 1], 0.0)
    return np.maximum(cum[:, 3] + 3.0 * k2**2, 3.0 * k2**2)


def aggregate(log_phi: np.ndarray, counts: np.ndarray, start: np.ndarray, out: np.ndarray,
              rows: np.ndarray, *, extra_log_phi: np.ndarray | None = None,
              chunk: int = 512) -> None:
    """Distribution of sums of independent lattice variables, unfolded on each unit's window.

    Parameters
    ----------
    log_phi : complex array (C, n//2+1)
        Log characteristic functions of the components.
    counts : array (U, C)
        How many of each component each unit sums.
    start : int array (U,)
        Window start of each unit, in buckets.
    out : array (R, n)
        Where the distributions are written: ``out[rows[u], i]`` is unit ``u``'s mass at
        ``(start[u] + i)·h``.
    rows : int array (U,)
        The row of ``out`` of each unit.
    extra_log_phi : array (U, n//2+1), optional
        A further independent term per unit (e.g. a common shock).
    """
    n = out.shape[1]
    re, im = np.ascontiguousarray(log_phi.real), np.ascontiguousarray(log_phi.imag)

    def block(lo: int) -> None:
        sl = slice(lo, lo + chunk)
        modulus = counts[sl] @ re
        if extra_log_phi is not None:
            modulus += extra_log_phi[sl].real
        # beyond the last frequency where any |φ| exceeds e^-745 everything underflows to 0
        alive = np.flatnonzero((modulus > -745.0).any(axis=0))
        top = int(alive[-1]) + 1 if len(alive) else 1
        angle = counts[sl] @ im[:, :top]
        if extra_log_phi is not None:
            angle += extra_log_phi[sl, :top].imag
        exponent = np.empty(angle.shape, dtype=complex)  # log φ = modulus + i·angle
        exponent.real = modulus[:, :top]
        exponent.imag = angle
        phi = np.zeros(modulus.shape, dtype=complex)
        # exp only where it does not underflow to 0 (about half the values); the rest stay 0
        np.exp(exponent, out=phi[:, :top], where=modulus[:, :top] > _UNDERFLOW)
        folded = fft.irfft(phi, n=n, axis=-1)
        # unfold: unit u starts at lattice point start[u] (mod n), two slice copies a row
        for row, target, first in zip(folded, rows[sl], start[sl] % n, strict=True):
            out[target, :n - first] = row[first:]
            out[target, n - first:] = row[:first]

    map_threads(block, range(0, len(counts), chunk))


def safe_log(phi: np.ndarray) -> np.ndarray:
    """Complex log with zeros replaced by a tiny modulus (so ``0 · log φ`` stays 0)."""
    return np.log(np.where(np.abs(phi) < 1e-300, 1e-300, phi))
