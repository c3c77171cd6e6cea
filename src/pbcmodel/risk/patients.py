"""Random streams, and patient-level Monte Carlo.

**Seeds** are checked in one place, :func:`seed_sequence`: ``None`` (fresh entropy), a whole
number ``>= 0`` or a :class:`numpy.random.SeedSequence`.

**Streams keyed by blocks of simulations.** Draws for simulations ``[lo, hi)`` come from
one PCG64 stream per fixed block of :data:`BLOCK` simulations (and per year, kind of draw
and group of :data:`GROUP` units), keyed by those numbers under the root seed
(:func:`block_seed`). Within a block
a stream is consumed row by row, one 64-bit output per uniform, so any row range is reached
by jumping ahead (:meth:`numpy.random.PCG64.advance`): the draws for a seed are identical
whatever the chunk size, the split into tasks or the number of workers, and no Python loop
runs over practices (:func:`uniforms`).

**Patient-level Monte Carlo** (the reference for the FFT) keeps one stream per unit spawned
from its seed; each stream is consumed strictly in simulation order by a single kind of
draw, so its results are identical whatever the chunk size.

* :func:`simulate_patients` — the cost model itself, patient by patient (exact; the
  reference for the FFT). Without a threshold it draws the number of users of each
  cell × POD (binomial) and then one severity per user (gamma: one draw per cell × POD,
  as a sum of ``K`` gamma(α, θ) is gamma(Kα, θ)). With a threshold it draws each patient's
  use of each POD, so that the threshold applies to the patient's total
  (:func:`~pbcmodel.risk.high_cost.apply_threshold`).
* :func:`draw_by_inversion` — draws from any vectorised law (e.g. the FFT lattice) by
  inverting the cdf at block-keyed uniforms: fast at national scale, exact for that law.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError
from .costmodel import CostModel, Severity
from .high_cost import apply_threshold
from .laws import LatticeInverse, unit_from_bits

#: Upper bound on random numbers held at once per unit and chunk.
CHUNK_ELEMENTS = 4_000_000
#: Simulations per random-stream block: the unit of reproducibility (and of parallel work).
BLOCK = 1024
#: Units whose draws share one stream (and are inverted together, see :func:`invert_rows`).
GROUP = 64
#: Kinds of draw, each its own streams per (year, group, block).
RETAINED, EXCESS, SHOCK, EFFECT = 0, 1, 2, 3


def seed_sequence(seed: Any) -> np.random.SeedSequence:
    """The root :class:`~numpy.random.SeedSequence` of ``seed``, checked.

    Raises
    ------
    ValidationError
        ``seed`` is not None, a whole number >= 0 or a SeedSequence.

    Examples
    --------
    >>> seed_sequence(7).entropy
    7
    >>> seed_sequence(-1)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: seed: expected None, a whole number >= 0 or a \
numpy.random.SeedSequence, got -1
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError("seed: expected None, a whole number >= 0 or a "
                              f"numpy.random.SeedSequence, got {seed!r}")
    return np.random.SeedSequence(int(seed))


def block_seed(root: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The seed of one stream under ``root``, e.g. ``key = (year, block, kind)``.

    Examples
    --------
    >>> root = np.random.SeedSequence(3)
    >>> block_seed(root, 0, 1, 2).spawn_key
    (0, 1, 2)
    """
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key))


class Streams(np.random.SeedSequence):
    """A root seed that keeps its block streams open between calls (same draws, less work).

    Drawing simulations ``[lo, hi)`` and then ``[hi, …)`` of a block continues the block's
    generator where it stopped instead of seeding it again and jumping ahead (seeding costs
    as much as drawing a few thousand numbers). The draws are exactly those of the plain
    root; one ``Streams`` serves one thread (e.g. one range of simulations).

    Examples
    --------
    >>> root = np.random.SeedSequence(8)
    >>> streams = Streams(root)
    >>> a = np.vstack([random_bits(streams, (0, RETAINED, 0), lo, lo + 10, 4)
    ...                for lo in (0, 10, 20)])
    >>> bool(np.array_equal(a, random_bits(root, (0, RETAINED, 0), 0, 30, 4)))
    True
    """

    def __init__(self, root: np.random.SeedSequence, size: int = 4096) -> None:
        super().__init__(root.entropy, spawn_key=root.spawn_key, pool_size=root.pool_size)
        self._open: dict[tuple[int, ...], tuple[np.random.PCG64, int]] = {}
        self._size = size

    def take(self, key: tuple[int, ...], offset: int, count: int) -> np.ndarray:
        """``count`` outputs of the stream ``key`` from position ``offset``."""
        bits, position = self._open.pop(key, (None, 0))
        if bits is None or position > offset:
            bits, position = np.random.PCG64(block_seed(self, *key)), 0
        if offset > position:
            bits.advance(offset - position)
        raw = bits.random_raw(count)
        if len(self._open) >= self._size:              # forget the oldest
            del self._open[next(iter(self._open))]
        self._open[key] = (bits, offset + count)
        return raw


def random_bits(root: np.random.SeedSequence, key: tuple[int, ...], lo: int, hi: int,
                width: int) -> np.ndarray:
    """The raw 64-bit outputs behind :func:`uniforms`: uint64, shape ``(hi − lo, width)``.

    Examples
    --------
    >>> root = np.random.SeedSequence(1)
    >>> raw = random_bits(root, (0, RETAINED), 5, 7, 3)
    >>> u = uniforms(root, (0, RETAINED), 5, 7, 3)
    >>> bool(np.array_equal((raw >> np.uint64(11)) * 2.0**-53, u))
    True
    """
    parts = []
    for block in range(lo // BLOCK, -(-hi // BLOCK)):
        first, last = max(lo, block * BLOCK), min(hi, (block + 1) * BLOCK)
        offset = (first - block * BLOCK) * width
        count = (last - first) * width
        if isinstance(root, Streams):
            raw = root.take((*key, block), offset, count)
        else:
            bits = np.random.PCG64(block_seed(root, *key, block))
            bits.advance(offset)
            raw = bits.random_raw(count)
        parts.append(raw.reshape(last - first, width))
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.empty((0, width), dtype=np.uint64)


def uniforms(root: np.random.SeedSequence, key: tuple[int, ...], lo: int, hi: int,
             width: int) -> np.ndarray:
    """Uniforms on [0, 1) for simulations ``[lo, hi)``: shape ``(hi − lo, width)``.

    Rows come from the streams ``key + (block,)`` under ``root``; row ``s`` is the same
    whatever ``lo`` and ``hi`` (see the module). Each uniform is the top 53 bits of one
    64-bit output of the stream (:func:`random_bits`), times ``2⁻⁵³``.

    Examples
    --------
    >>> root = np.random.SeedSequence(1)
    >>> whole = uniforms(root, (0, RETAINED), 0, 1500, 3)
    >>> part = uniforms(root, (0, RETAINED), 1000, 1100, 3)
    >>> whole.shape, bool(np.array_equal(whole[1000:1100], part))
    ((1500, 3), True)
    """
    return unit_from_bits(random_bits(root, key, lo, hi, width))


def invert_rows(law: Any, root: np.random.SeedSequence, key: tuple[int, ...], lo: int,
                hi: int) -> np.ndarray:
    """Draws ``(hi − lo, U)`` from ``law`` for simulations ``[lo, hi)``, by inversion.

    Units are taken :data:`GROUP` at a time, each group with its own streams
    (``key + (group, block)``), so that its part of the law's tables stays in cache. A
    lattice law's :class:`~pbcmodel.risk.laws.LatticeInverse` is inverted straight from the
    streams' 64-bit outputs (:meth:`~pbcmodel.risk.laws.LatticeInverse.invert`).

    Examples
    --------
    >>> from pbcmodel.risk.laws import NormalLaw
    >>> law = NormalLaw(np.zeros(70), np.ones(70))
    >>> root = np.random.SeedSequence(2)
    >>> a = invert_rows(law, root, (0, RETAINED), 0, 10)
    >>> a.shape, bool(np.array_equal(a[4:6], invert_rows(law, root, (0, RETAINED), 4, 6)))
    ((10, 70), True)
    """
    return invert_many(law, root, [key], lo, hi)[0]


@attrs.frozen(eq=False)
class Pence:
    """How drawn amounts (pounds) become whole pence: times ``factor`` (optional), times
    ``growth``, times 100, rounded to the nearest penny (ties to even), in that order.

    ``factor`` is one number per simulation, shape (k, 1) (e.g. the year's common shock), or
    one per simulation and unit, shape (k, units) (e.g. the shock times each practice's
    effect, :class:`~pbcmodel.risk.effects.PracticeEffects`).

    Examples
    --------
    >>> Pence(None, 1.5).apply(np.array([[1.0, 2.005]])).tolist()
    [[150.0, 301.0]]
    >>> per_unit = Pence(np.array([[1.0, 2.0, 3.0]]), 1.0)
    >>> per_unit.apply(np.array([[1.0, 1.0]]), cols=slice(1, 3)).tolist()
    [[200.0, 300.0]]
    >>> flat = np.array([1.0, 1.0])
    >>> per_unit.apply(flat, rows=np.array([0, 0]), cols=np.array([2, 0])).tolist()
    [300.0, 100.0]
    """

    factor: np.ndarray | None
    growth: float

    def apply(self, values: np.ndarray, rows: np.ndarray | None = None,
              cols: slice | np.ndarray | None = None) -> np.ndarray:
        """``values`` in whole pence (:func:`whole_pence`; ``values`` is scaled in place).

        ``values`` is (k, width) for the units ``cols`` (a slice; None: every unit), or a
        flat array of values with ``rows`` the simulation and ``cols`` the unit of each.
        A factor of shape (k, 1) applies to every unit whatever ``cols``.
        """
        factor = self.factor
        if factor is None:
            return whole_pence(values, 1.0, self.growth)   # × 1.0 changes no float
        if factor.shape[1] == 1:                       # one per simulation: every unit
            scale = factor if rows is None else factor[rows, 0]
        elif rows is None:
            scale = factor if cols is None else factor[:, cols]
        else:
            scale = factor[rows, cols]
        return whole_pence(values, scale, self.growth)


def whole_pence(values: Any, factor: Any, growth: float) -> Any:
    """Amounts in pounds as whole pence: ``rint(values × factor × growth × 100)``, in that
    order (round half to even), as floats.

    The one home of the rule, written once for numpy arrays (:meth:`Pence.apply`; ``values``
    is scaled in place) and for single numbers (the compiled kernel,
    :mod:`pbcmodel.risk.kernel`, compiles this function), so both give the same bits.

    Examples
    --------
    >>> whole_pence(np.array([1.0, 2.005, 0.125]), 1.0, 1.0).tolist()
    [100.0, 200.0, 12.0]
    >>> float(whole_pence(2.0, 1.5, 1.03))
    309.0
    """
    values *= factor
    values *= growth
    values *= 100
    return np.rint(values)


def invert_many(law: Any, root: np.random.SeedSequence, keys: list[tuple[int, ...]], lo: int,
                hi: int, pence: list[Pence] | None = None) -> list[np.ndarray]:
    """:func:`invert_rows` for several keys (e.g. every simulated year) at once.

    Each group of units is inverted for every key before the next group, so that its part
    of the law's tables is read into cache once for all of them, and finished (lattice
    index to amount, and with ``pence`` to int64 whole pence, one :class:`Pence` per key)
    while it is in cache. A lattice law inverts the group's draws of every key in one pass
    (their rows stacked key after key), so each numpy call works on more numbers at once.

    Examples
    --------
    >>> from pbcmodel.risk.laws import NormalLaw
    >>> law = NormalLaw(np.zeros(3), np.ones(3))
    >>> root = np.random.SeedSequence(2)
    >>> a, b = invert_many(law, root, [(0, RETAINED), (1, RETAINED)], 0, 4)
    >>> bool(np.array_equal(b, invert_rows(law, root, (1, RETAINED), 0, 4)))
    True
    >>> (p,) = invert_many(law, root, [(1, RETAINED)], 0, 4, pence=[Pence(None, 1.0)])
    >>> bool(np.array_equal(p, np.rint(b * 100)))
    True
    """
    units = len(law.mean)
    k = hi - lo
    outs = [np.empty((k, units), dtype=float if pence is None else np.int64) for _ in keys]
    finish = [None] * len(keys) if pence is None else pence
    pending: list[list[tuple[np.ndarray, ...]]] = [[] for _ in keys]
    lattice = isinstance(law, LatticeInverse)
    for first in range(0, units, GROUP):
        cols = slice(first, min(first + GROUP, units))
        width = cols.stop - first
        if lattice:
            raw = np.concatenate([random_bits(root, (*key, first // GROUP), lo, hi, width)
                                  for key in keys])
            values = np.empty(raw.shape)
            waiting = law.index(raw, cols, values)
            values = law.amounts(values, cols)
            which = waiting[0] // k                    # the key of each draw still to search
            for j, (out, money) in enumerate(zip(outs, finish, strict=True)):
                part = values[j * k:(j + 1) * k]
                out[:, cols] = part if money is None else money.apply(part, cols=cols)
                mine = which == j
                pending[j].append((waiting[0][mine] - j * k,
                                   *(column[mine] for column in waiting[1:])))
        else:
            for key, out, money in zip(keys, outs, finish, strict=True):
                values = law.invert(uniforms(root, (*key, first // GROUP), lo, hi, width), cols)
                out[:, cols] = values if money is None else money.apply(values, cols=cols)
    if lattice:
        for out, waiting_parts, money in zip(outs, pending, finish, strict=True):
            law.search(out, waiting_parts, money)
    return outs


def unit_streams(seed: Any, n_units: int, per_unit: int = 1) -> list[list[np.random.Generator]]:
    """``per_unit`` independent generators for each of ``n_units`` units.

    Examples
    --------
    >>> g = unit_streams(7, 2, per_unit=2)
    >>> len(g), len(g[0]), float(g[0][0].random()) != float(g[1][0].random())
    (2, 2, True)
    """
    root = seed_sequence(seed)
    return [[np.random.default_rng(s) for s in child.spawn(per_unit)]
            for child in root.spawn(n_units)]


def chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks of ``size`` covering ``range(n)``."""
    for lo in range(0, n, size):
        yield lo, min(lo + size, n)


def _severity(sev: Severity, rng: np.random.Generator, cells: np.ndarray, pods: np.ndarray,
              repeats: np.ndarray | None = None) -> np.ndarray:
    """Severity draws for the (cell, pod) pairs listed (each ``repeats`` times), in order."""
    mean, cv = sev.mean[cells, pods], sev.cv[cells, pods]
    if sev.family == "lognormal":
        s2 = np.log1p(cv**2)
        loc, scale = np.log(mean) - s2 / 2, np.sqrt(s2)
        if repeats is not None:
            loc, scale = np.repeat(loc, repeats), np.repeat(scale, repeats)
        z = rng.standard_normal(len(loc))
        z *= scale
        z += loc
        return np.exp(z, out=z)
    shape = 1.0 / cv**2
    scale = mean / shape
    if repeats is not None:
        shape, scale = np.repeat(shape, repeats), np.repeat(scale, repeats)
    return rng.gamma(shape, scale)


def simulate_patients(counts: np.ndarray, model: CostModel, n: int, seed: Any, *,
                      threshold: float | None = None, part: str = "retained",
                      chunk_size: int | None = None, pool_share: float = 1.0) -> np.ndarray:
    """Simulate each unit's annual ``part`` of spend ``n`` times, patient by patient.

    Parameters
    ----------
    counts : int array (U, 40)
        Patients per (age_band, sex) cell.
    part : {"retained", "excess", "total"}
        With a ``threshold``: what the practice keeps, what the pool pays, or both.
    pool_share : float
        The pool's share of each patient's cost above the ``threshold``
        (:func:`~pbcmodel.risk.high_cost.apply_threshold`).

    Returns
    -------
    array (U, n)

    Examples
    --------
    >>> from pbcmodel.datasets import example_cost_model
    >>> counts = np.zeros((1, 40), dtype=int); counts[0, 20] = 50
    >>> a = simulate_patients(counts, example_cost_model(), 6, seed=1, chunk_size=4)
    >>> b = simulate_patients(counts, example_cost_model(), 6, seed=1, chunk_size=6)
    >>> bool(np.array_equal(a, b))
    True
    """
    sev = Severity.of(model)
    p = model.arrays[0]
    n_pods = p.shape[1]
    out = np.empty((len(counts), n))
    streams = unit_streams(seed, len(counts), per_unit=2)
    for u, (use_rng, sev_rng) in enumerate(streams):
        cells = np.flatnonzero(counts[u] > 0)
        size = int(counts[u, cells].sum()) if threshold is not None else len(cells)
        step = chunk_size or max(1, CHUNK_ELEMENTS // max(size * n_pods, 1))
        for lo, hi in chunks(n, step):
            if threshold is None:
                out[u, lo:hi] = _chunk_total(counts[u, cells], cells, p, sev, use_rng, sev_rng,
                                             hi - lo)
            else:
                out[u, lo:hi] = _chunk_by_patient(counts[u, cells], cells, p, sev, use_rng,
                                                  sev_rng, hi - lo, threshold, part,
                                                  pool_share)
    return out


def _chunk_total(n_cell: np.ndarray, cells: np.ndarray, p: np.ndarray, sev: Severity,
                 use_rng: np.random.Generator, sev_rng: np.random.Generator,
                 sims: int) -> np.ndarray:
    users = use_rng.binomial(n_cell[:, None], p[cells], size=(sims, len(cells), p.shape[1]))
    sim, cell, pod = np.nonzero(users)
    k = users[sim, cell, pod]
    if sev.family == "gamma":
        shape = 1.0 / sev.cv[cells[cell], pod] ** 2
        draws = sev_rng.gamma(k * shape, sev.mean[cells[cell], pod] / shape)
        return np.bincount(sim, draws, minlength=sims)
    draws = _severity(sev, sev_rng, cells[cell], pod, repeats=k)
    return np.bincount(np.repeat(sim, k), draws, minlength=sims)


def _chunk_by_patient(n_cell: np.ndarray, cells: np.ndarray, p: np.ndarray, sev: Severity,
                      use_rng: np.random.Generator, sev_rng: np.random.Generator, sims: int,
                      threshold: float, part: str, pool_share: float) -> np.ndarray:
    """The ``part`` of each simulation's spend, every patient's annual cost drawn."""
    patient_cell = np.repeat(cells, n_cell)
    used = use_rng.random((sims, len(patient_cell), p.shape[1]), dtype=np.float32) < p[patient_cell]
    sim, patient, pod = np.nonzero(used)
    draws = _severity(sev, sev_rng, patient_cell[patient], pod)
    size = len(patient_cell)
    cost = np.bincount(sim * size + patient, draws, minlength=sims * size).reshape(sims, size)
    return apply_threshold(cost, threshold, part, pool_share=pool_share).sum(axis=1)


def draw_by_inversion(law: Any, n: int, seed: Any, *,
                      chunk_size: int | None = None) -> Iterator[np.ndarray]:
    """Yield chunks (k, U) of draws from ``law``, by inverting its cdf at :func:`uniforms`.

    Examples
    --------
    >>> from pbcmodel.risk.laws import NormalLaw
    >>> law = NormalLaw(np.array([0.0, 10.0]), np.array([1.0, 1.0]))
    >>> a = np.vstack(list(draw_by_inversion(law, 5, seed=3, chunk_size=2)))
    >>> b = np.vstack(list(draw_by_inversion(law, 5, seed=3)))
    >>> a.shape, bool(np.array_equal(a, b))
    ((5, 2), True)
    """
    root = Streams(seed_sequence(seed))
    step = chunk_size or max(1, CHUNK_ELEMENTS // max(len(law.mean), 1))
    for lo, hi in chunks(n, step):
        yield invert_rows(law, root, (0, RETAINED), lo, hi)
