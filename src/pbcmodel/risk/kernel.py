"""The fused draws: stream bits → lattice point → amount → whole pence, and the practice
effects' normals → log effect, each in one compiled loop.

Drawing an FFT law's simulated spend in pence takes, per practice and simulation, a guide
table look-up (:class:`~pbcmodel.risk.laws.LatticeInverse`), a search where the guide cell
holds a step of the cdf, the lattice point's amount, and the factor, growth and rounding of
:class:`~pbcmodel.risk.patients.Pence`. numpy does each of those as a pass over the whole
chunk; with the optional extra ``pbcmodel[fast]`` (numba) they are one compiled loop over
each practice's draws (every simulated year at once), with no temporary arrays. At national
size the draw is bound by reading the practices' tables from memory (hundreds of MB), so the
gain is a fifth of the draw's time, not a multiple.

**One definition of each rule.** The loop here holds no arithmetic of its own: it calls
:func:`~pbcmodel.risk.laws.guide_cell`, :func:`~pbcmodel.risk.laws.unit_from_bits`,
:func:`~pbcmodel.risk.laws.halve`, :func:`~pbcmodel.risk.laws.lattice_amount` and
:func:`~pbcmodel.risk.patients.whole_pence`, the very functions the numpy path applies to
arrays, compiled by numba for single numbers (``numba.extending.register_jitable``). What
is the kernel's own is the order of work (a look-up, else halving the guide's bracket until
it closes), which finds the same lattice point as the numpy path: the smallest with
``F ≥ u`` is one point, however it is searched for. The results are the same bits, whatever
the chunk size or thread count (tests/test_kernel.py).

**Practice effects** (:func:`effect_factors`): each year's standard normals come from
numba's ``Generator.standard_normal``, numpy's ziggurat compiled, drawing the same numbers
from the same stream; the AR(1) step and the centring are
:func:`~pbcmodel.risk.effects.first_log_effect`, :func:`~pbcmodel.risk.effects.next_log_effect`
and :func:`~pbcmodel.risk.effects.less_half_variance`, the functions the numpy path applies
to arrays. One pass per stream replaces the numpy path's five over each year's
simulations × practices; the exponential stays numpy's (numpy's vectorised ``exp`` and the
C library's, which numba calls, may differ in the last bit).

**Which kernel.** ``"numba"`` when numba is installed (``"auto"``, the default), else
``"numpy"``; a simulation under ``"auto"`` uses numba from :data:`AUTO_NUMBA_FROM`
practice-years (:func:`kernel_for`), so that a small run never waits for a first
compilation; the environment variable ``PBCMODEL_KERNEL`` (``auto``, ``numba`` or ``numpy``),
read once, or :func:`use_kernel` choose another. Compiled here: the FFT method's draws in
pence and the practice effects; the settlement (:mod:`pbcmodel.settlement.settle_kernel`)
and the tally (:mod:`pbcmodel.scenario.tally_kernel`) have compiled loops of their own,
chosen by the same switch; everything else is numpy whichever kernel is chosen.

**Compilation** happens on first use in a process and is cached on disk (numba's
``cache=True``, in ``__pycache__`` beside this file or numba's cache folder), so later
processes load it. numba tracks changes to this file only: after editing one of the shared
rules in ``laws.py``, ``patients.py`` or ``effects.py`` in a checkout, touch this file (or
delete its ``__pycache__/kernel.*.nb*``) so that the kernel compiles them anew. The loops
release the GIL: a simulation's threads (each a range of simulations) run them side by
side. They do not
start threads of its own (numba's ``prange``): the simulation is already parallel over
ranges, and nesting numba's pool inside those threads is not supported by every numba
threading layer.

Examples
--------
>>> import numpy as np
>>> from pbcmodel.risk.laws import LatticeLaw
>>> from pbcmodel.risk.patients import Pence, RETAINED, invert_many
>>> law = LatticeLaw(h=np.array([1.0]), start=np.array([2]), pmf=np.array([[0.5, 0.5]]),
...                  cumulants=np.array([[2.5, 0.25, 0.0, -0.125]]),
...                  alias_bound=np.array([0.0])).inverse()
>>> root, keys, money = np.random.SeedSequence(0), [(0, RETAINED)], [Pence(None, 1.0)]
>>> with use_kernel("numpy"):
...     (numpy_pence,) = invert_pence(law, root, keys, 0, 6, money)
>>> numpy_pence.ravel().tolist()
[200, 200, 300, 300, 200, 300]
>>> if kernel_available():
...     with use_kernel("numba"):
...         (fused,) = invert_pence(law, root, keys, 0, 6, money)
...     assert np.array_equal(fused, numpy_pence)
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MissingDependencyError, ValidationError, require
from . import patients
from .effects import (
    EFFECT_ROWS,
    PracticeEffects,
    first_log_effect,
    less_half_variance,
    next_log_effect,
)
from .laws import OPEN, LatticeInverse, guide_cell, halve, lattice_amount, unit_from_bits
from .patients import GROUP, Pence, invert_many, random_bits, whole_pence

__all__ = ["AUTO_NUMBA_FROM", "ENVIRONMENT", "KERNELS", "active_kernel", "effect_factors",
           "invert_pence", "kernel_available", "kernel_for", "use_kernel"]

#: The kernels one may ask for: ``"auto"`` is numba when it is installed, else numpy.
KERNELS = ("auto", "numba", "numpy")
#: The environment variable that chooses the kernel for a process (read once).
ENVIRONMENT = "PBCMODEL_KERNEL"
#: Practice-years from which a simulation under ``"auto"`` uses numba (:func:`kernel_for`):
#: 20 million (e.g. 2,000 practices × 10,000 simulations × 1 year).
AUTO_NUMBA_FROM = 20_000_000

#: The kernel chosen by :func:`use_kernel`, innermost last (empty: the environment's).
_chosen: list[str] = []
#: Held while a kernel is compiled (or loaded from numba's cache).
_COMPILING = threading.Lock()


@functools.cache
def kernel_available() -> bool:
    """Whether numba (``pbcmodel[fast]``) is installed and imports (a numba too old for the
    installed numpy refuses to import: then ``"auto"`` means numpy).

    Examples
    --------
    >>> isinstance(kernel_available(), bool)
    True
    """
    if importlib.util.find_spec("numba") is None:
        return False
    try:
        require("numba", "fast", "compiled draws (kernel 'numba')")
    except MissingDependencyError:
        return False
    return True


def _resolve(name: Any, where: str) -> str:
    """``name`` ("auto", "numba" or "numpy") checked, as the kernel it means."""
    if name not in KERNELS:
        raise ValidationError(f"{where}: expected one of {', '.join(KERNELS)}, got {name!r}")
    if name == "auto":
        return "numba" if kernel_available() else "numpy"
    if name == "numba":
        require("numba", "fast", "compiled draws (kernel 'numba')")
    return str(name)


@functools.cache
def _requested() -> str:
    """What ``PBCMODEL_KERNEL`` says, trimmed and in lower case (auto when unset), read once."""
    return os.environ.get(ENVIRONMENT, "auto").strip().lower() or "auto"


@functools.cache
def _from_environment() -> str:
    """The kernel that ``PBCMODEL_KERNEL`` asks for (auto when unset), read once."""
    return _resolve(_requested(), ENVIRONMENT)


def active_kernel() -> str:
    """The kernel draws use now: ``"numba"`` or ``"numpy"``.

    The innermost :func:`use_kernel`, else ``PBCMODEL_KERNEL`` (read once), else numba when
    it is installed.

    Raises
    ------
    ValidationError
        ``PBCMODEL_KERNEL`` is not auto, numba or numpy.
    MissingDependencyError
        ``PBCMODEL_KERNEL=numba`` without numba (install ``pbcmodel[fast]``).

    Examples
    --------
    >>> with use_kernel("numpy"):
    ...     active_kernel()
    'numpy'
    """
    return _chosen[-1] if _chosen else _from_environment()


def kernel_for(practice_years: int) -> str:
    """The kernel a simulation of ``practice_years`` (practices × simulations × years, times
    the policies settled on the same draws) draws, settles and tallies with: the innermost
    :func:`use_kernel`, else ``PBCMODEL_KERNEL`` when it names ``numba`` or ``numpy``; else
    (``auto``) numba when it is installed and the simulation has at least
    :data:`AUTO_NUMBA_FROM` practice-years, numpy below that.

    A small simulation takes as long either way once compiled, and compiling the kernels
    the first time takes seconds (once per installation: numba caches them on disk), so
    ``auto`` keeps a small run from paying it. The results are the same bits either way.

    Examples
    --------
    >>> with use_kernel("numpy"):
    ...     kernel_for(10**9)
    'numpy'
    >>> kernel_for(60 * 1_000 * 3) if _requested() == "auto" else "numpy"
    'numpy'
    """
    if _chosen or _requested() != "auto":
        return active_kernel()
    return "numba" if kernel_available() and practice_years >= AUTO_NUMBA_FROM else "numpy"


@contextlib.contextmanager
def use_kernel(name: str) -> Iterator[str]:
    """Draw with the kernel ``name`` (``"auto"``, ``"numba"`` or ``"numpy"``) inside the
    ``with`` block, in the whole process; yields the kernel it means.

    Raises
    ------
    ValidationError
        ``name`` is not one of :data:`KERNELS`.
    MissingDependencyError
        ``"numba"`` without numba installed (install ``pbcmodel[fast]``).

    Examples
    --------
    >>> with use_kernel("numpy") as kernel:
    ...     kernel
    'numpy'
    >>> with use_kernel("fortran"):
    ...     pass
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: kernel: expected one of auto, numba, numpy, got 'fortran'
    """
    _chosen.append(_resolve(name, "kernel"))
    try:
        yield _chosen[-1]
    finally:
        _chosen.pop()


def invert_pence(law: Any, root: np.random.SeedSequence, keys: list[tuple[int, ...]],
                 lo: int, hi: int, pence: list[Pence]) -> list[np.ndarray]:
    """Draws of ``law`` in whole pence (int64, (hi − lo, units) per key), by the active
    kernel: :func:`~pbcmodel.risk.patients.invert_many` with ``pence``, fused in one
    compiled loop for a lattice law when the kernel is numba. Bit-identical either way.

    Examples
    --------
    >>> from pbcmodel.risk.laws import NormalLaw
    >>> from pbcmodel.risk.patients import RETAINED
    >>> law = NormalLaw(np.full(2, 10.0), np.ones(2))
    >>> (p,) = invert_pence(law, np.random.SeedSequence(1), [(0, RETAINED)], 0, 3,
    ...                     [Pence(None, 1.0)])
    >>> p.dtype, p.shape
    (dtype('int64'), (3, 2))
    """
    if not isinstance(law, LatticeInverse) or active_kernel() == "numpy":
        return invert_many(law, root, keys, lo, hi, pence)
    draw = _compiled()
    k, units = hi - lo, len(law.mean)
    out = np.empty((len(keys), k, units), dtype=np.int64)
    flat_cdf, points = law.cdf.reshape(-1), law.cdf.shape[1]
    factor = _factors(pence, k)
    growth = np.array([money.growth for money in pence], dtype=float)
    for first in range(0, units, GROUP):
        width = min(GROUP, units - first)
        # every key's draws of the group at once (rows key after key, as invert_many), so
        # that each practice's tables are read from memory once for all of them
        raw = np.concatenate([random_bits(root, (*key, first // GROUP), lo, hi, width)
                              for key in keys])
        draw(raw, flat_cdf, points, law.guide, law.answer, law.start, law.h, first, factor,
             growth, out)
    return list(out)


def _factors(pence: list[Pence], k: int) -> tuple[np.ndarray, ...]:
    """The keys' factors, each (k, 1) or (k, units), C-ordered floats (not copied when they
    are): a factor of one (``x × 1.0`` is ``x`` exactly) where a :class:`Pence` has none."""
    return tuple(np.ones((k, 1)) if money.factor is None else
                 np.ascontiguousarray(money.factor, dtype=float) for money in pence)


def _fused_group(raw: np.ndarray, flat_cdf: np.ndarray, points: int, guide: np.ndarray,
                 answer: np.ndarray, start: np.ndarray, h: np.ndarray, first: int,
                 factor: tuple[np.ndarray, ...], growth: np.ndarray, out: np.ndarray) -> None:
    """Whole pence of the draws ``raw`` (keys × k, width) of units ``first, first + 1, …``
    into ``out[key, :, first + j]``: each draw's lattice index (its guide cell's answer, or
    where the cell holds a step, about one draw in ten nationally, the guide's bracket
    halved until it closes, every search's first step taken side by side), its amount,
    × ``factor[key]`` (a tuple of (k, 1) or (k, units) arrays) × ``growth[key]`` × 100,
    rounded. (The search is written here, not as a
    function of its own: numba calls such a function per draw, at twice the cost of the
    whole loop.)"""
    keys, k = out.shape[0], out.shape[1]
    index = np.empty(keys * k, dtype=np.int64)
    searched = np.empty(keys * k, dtype=np.int64)     # the rows whose cell holds a step
    lows, highs = np.empty(keys * k, dtype=np.int64), np.empty(keys * k, dtype=np.int64)
    for j in range(raw.shape[1]):   # unit by unit: its guide, answers and cdf stay in cache
        unit, offset = first + j, (first + j) * points
        # the look-ups first, noting the rows to search without a branch (a loop without
        # branches keeps many reads from memory in flight)
        steps = 0
        for row in range(keys * k):
            index[row] = answer[unit, np.int64(guide_cell(raw[row, j]))]
            searched[steps] = row
            steps += index[row] == OPEN
        # then every search's first step side by side (its reads of the guide and the cdf
        # are independent: they overlap), which closes most brackets (one step in the cell)
        for q in range(steps):
            cell = np.int64(guide_cell(raw[searched[q], j]))
            lows[q], highs[q] = np.int64(guide[unit, cell]), np.int64(guide[unit, cell + 1])
        # (a closed cell of a wide guide answering OPEN has lo = hi with cdf[lo] ≥ u: the
        # step keeps it, as the search would)
        for q in range(steps):
            lows[q], highs[q] = halve(flat_cdf, offset, unit_from_bits(raw[searched[q], j]),
                                      lows[q], highs[q])
        # the few brackets still open halved until they close
        for q in range(steps):
            lo, hi = lows[q], highs[q]
            if lo < hi:
                u = unit_from_bits(raw[searched[q], j])
                while lo < hi:
                    lo, hi = halve(flat_cdf, offset, u, lo, hi)
            index[searched[q]] = lo
        for key in range(keys):
            scales = factor[key]
            per_unit = scales.shape[1] > 1
            for i in range(k):
                amount = lattice_amount(np.float64(index[key * k + i]), points - 1,
                                        start[unit], h[unit])
                scale = scales[i, unit] if per_unit else scales[i, 0]
                out[key, i, unit] = np.int64(whole_pence(amount, scale, growth[key]))


def effect_factors(effects: PracticeEffects, root: np.random.SeedSequence, years: int,
                   lo: int, hi: int, codes: Any) -> list[np.ndarray]:
    """:meth:`PracticeEffects.factors <pbcmodel.risk.effects.PracticeEffects.factors>` by
    the active kernel: with numba, each year's normals, log effect and ``u_t − V_t / 2``
    in one compiled loop per stream (numba's ``Generator.standard_normal`` is numpy's
    ziggurat, the same numbers from the same stream), then ``exp`` by numpy. The
    exponential stays numpy's: numpy's vectorised ``exp`` and the C library's that numba
    calls may differ in the last bit. Bit-identical either way.

    Examples
    --------
    >>> eff = PracticeEffects(sd=0.1, persistence=0.8)
    >>> root = np.random.SeedSequence(2)
    >>> with use_kernel("numpy"):
    ...     reference = effect_factors(eff, root, 2, 5, 40, 3)
    >>> if kernel_available():
    ...     with use_kernel("numba"):
    ...         fused = effect_factors(eff, root, 2, 5, 40, 3)
    ...     assert all(np.array_equal(a, b) for a, b in zip(fused, reference))
    >>> [f.shape for f in reference]
    [(35, 3), (35, 3)]
    """
    if active_kernel() == "numpy":
        return effects.factors(root, years, lo, hi, codes)
    index = pd.RangeIndex(codes) if isinstance(codes, int) else codes
    centre, uncertainty = effects.first_year(index)
    fill = _compiled_effects()
    log = np.empty((hi - lo, len(index)))             # u of the year before, row by row
    out = []
    for year in range(years):
        half = effects.log_variance(year, uncertainty) / 2
        factor = np.empty_like(log)
        for group in range(lo // EFFECT_ROWS, -(-hi // EFFECT_ROWS)):
            stream = np.random.PCG64(patients.block_seed(root, year, patients.EFFECT, group))
            first = group * EFFECT_ROWS               # the group's rows, drawn from its start
            fill(np.random.Generator(stream), max(lo - first, 0),
                 min(hi - first, EFFECT_ROWS), first - lo, year == 0, centre, uncertainty,
                 effects.persistence, effects.fresh_spread, half, log, factor)
        out.append(np.exp(factor, out=factor))
    return out


def _fused_effects(generator: Any, skip: int, stop: int, offset: int, first_year: bool,
                   centre: np.ndarray, uncertainty: np.ndarray, persistence: float,
                   fresh: float, half: np.ndarray, log: np.ndarray, out: np.ndarray) -> None:
    """Rows ``skip … stop − 1`` of one stream's group (row ``r`` of the group is row
    ``offset + r`` of ``log`` and ``out``): each practice's normal in the stream's order
    (rows before ``skip`` drawn and dropped, as numpy fills the whole group), its log effect
    (from ``log``, the year before, unless ``first_year``) into ``log``, and less half its
    variance into ``out``."""
    width = log.shape[1]
    for _ in range(skip * width):
        generator.standard_normal()
    for r in range(skip, stop):
        row = offset + r
        for p in range(width):
            z = generator.standard_normal()
            u = (first_log_effect(z, centre[p], uncertainty[p]) if first_year else
                 next_log_effect(z, log[row, p], persistence, fresh))
            log[row, p] = u
            out[row, p] = less_half_variance(u, half[p])


def _compiled_effects() -> Callable[..., None]:
    """:func:`_fused_effects` compiled (see :func:`compiled`)."""
    return compiled(_fused_effects, (first_log_effect, next_log_effect, less_half_variance),
                    "compiled draws (kernel 'numba')")


def _compiled() -> Callable[..., None]:
    """:func:`_fused_group` compiled (see :func:`compiled`)."""
    return compiled(_fused_group, (guide_cell, unit_from_bits, halve, lattice_amount,
                                   whole_pence), "compiled draws (kernel 'numba')")


def compiled(loop: Callable[..., Any], rules: tuple[Callable[..., Any], ...], what: str,
             **options: Any) -> Callable[..., Any]:
    """``loop`` compiled by numba (``njit``, cached on disk, releasing the GIL, with
    ``options``), the functions ``rules`` made callable from it; once per process, even
    when a simulation's threads ask for it together. The one way every compiled loop of
    pbcmodel (draws, effects, settlement, tally) is made.

    Raises
    ------
    MissingDependencyError
        numba is not installed (``what`` names what needed it; install ``pbcmodel[fast]``).

    Examples
    --------
    A rule compiled on its own (a loop is compiled the same way, with its rules):

    >>> from pbcmodel.risk.effects import first_log_effect
    >>> if kernel_available():
    ...     fast = compiled(first_log_effect, (), "an example")
    ...     assert fast is compiled(first_log_effect, (), "an example")      # once
    ...     assert fast(1.0, 0.5, 2.0) == first_log_effect(1.0, 0.5, 2.0) == 2.5
    """
    with _COMPILING:
        return _compile(loop, rules, what, tuple(sorted(options.items())))


#: Rules already made callable from compiled code (registering one twice is refused).
_REGISTERED: set[Callable[..., Any]] = set()


@functools.cache
def _compile(loop: Callable[..., Any], rules: tuple[Callable[..., Any], ...], what: str,
             options: tuple[tuple[str, Any], ...]) -> Callable[..., Any]:
    extending = require("numba.extending", "fast", what)
    for rule in rules:
        if rule not in _REGISTERED:
            extending.register_jitable(rule)
            _REGISTERED.add(rule)
    numba = require("numba", "fast", what)
    return numba.njit(cache=True, nogil=True, **dict(options))(loop)  # type: ignore[no-any-return]
