"""How much memory a simulation needs, checked against what the machine has, before it starts.

The one place that knows the memory cost of :func:`pbcmodel.scenario.simulation.run` (and
so of ``simulate``, ``compare`` and ``sweep``), and the chunk sizes it depends on; adjust
the constants here when the simulation's storage changes. :func:`simulation_parts` models
what is allocated, part by part, for each ``keep``:

* **build** — building the spend distributions: a fixed part (the cost model's cells
  discretised finely, about 120 MB) or, for FFT, a part per practice (lattice, transform
  and cdf), whichever is larger (with dask, in the worker that builds them);
* **distributions** — what is kept to draw from (cdf and guide table for FFT), per set of
  drivers of spend, and per worker process with dask; none in this process with a user's
  cluster (``engine="client"``), which holds only the tallies and full arrays it receives;
* **draws** — per thread, every year of one batch of simulations drawn at once
  (:data:`DRAW_ELEMENTS` practice-simulations, as int64 pence); **drawing**: the float
  draws of the year being converted. The last batch is still held while a thread finishes
  its tallies;
* **settlement** — per thread, the work arrays of one chunk of :data:`CHUNK_ELEMENTS`
  practice-simulations settled at once;
* **tallies** — per scenario and thread, the streamed statistics: the per-practice
  histograms (:data:`~pbcmodel.scenario.tally.HISTOGRAM_BINS` + 2 int32 counts, and as many
  pending bin indices), loss thresholds and outturn-miss limits and counts; per scenario the
  figures' sample of the first 256 simulations and the commissioner's totals per
  simulation-year (three int64, copied once when the threads' ranges merge);
* **full** (``keep="full"`` in memory) — every practice × simulation × year amount and net
  cash (int32 pence) and outturn (int64), written by every thread into one set of arrays;
  **finish**: with dask, the room one more array needs while the workers' ranges are joined
  here (one array at a time), once the work arrays are gone;
* **store** (``keep="full"`` with a store) — per thread, the chunk being settled (int64
  pence of the three arrays for every year) and the compressor's copies of a store chunk.

The estimate (:func:`simulation_bytes`) is the larger of building, running and finishing.
The constants were measured with :mod:`tracemalloc` at several sizes
(``benchmarks/bench_bad_inputs.py`` prints estimate ÷ measured, meant to be at or a little
above 1). A run is refused when its estimate exceeds :data:`USABLE_SHARE` of the memory
available.

Examples
--------
>>> parts = simulation_parts(10_000, 60, 3)
>>> parts["full"], parts["store"]           # streamed: no per-practice arrays
(0, 0)
>>> simulation_parts(10_000, 60, 3, keep="full")["full"]   # 10,000 × 60 × 3 × (4 + 4 + 8) B
28800000
>>> check_simulation_memory(10**9, 60, 3, available=16 * 2**30)
Traceback (most recent call last):
...
pbcmodel.errors.ValidationError: --n 1,000,000,000: this simulation needs about ... of memory ...
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import ValidationError
from ..risk import patients
from . import store, tally

__all__ = ["CHUNK_ELEMENTS", "DRAW_ELEMENTS", "available_memory", "check_simulation_memory",
           "simulation_bytes", "simulation_parts"]

#: Practice-simulations settled at once by default (the work arrays stay in cache).
CHUNK_ELEMENTS = 2**18
#: Practice-simulations drawn at once (for every year) before they are settled in chunks.
DRAW_ELEMENTS = 2**21
#: Peak bytes of building the spend distributions, whatever the method and the number of
#: practices (the cost model's cells discretised finely); for FFT, at least a base plus a
#: part per practice (lattice, transform and cdf).
BUILD_FIXED = 125_000_000
BUILD_FFT_BASE = 154_000_000
BUILD_FFT_PER_PRACTICE = 63_500
#: Bytes per practice of a distribution kept for drawing, by method (FFT: the cdf of 4,096
#: points and its guide table; the others: a few moments).
KEPT_PER_PRACTICE = {"fft": 49_500, "normal": 100, "mc": 2_000}
#: Bytes per drawn practice-simulation-year (int64 pence kept for settling) and per drawn
#: practice-simulation of the year being converted (its float draws, a group at a time).
DRAWN_KEPT = 8
DRAWN_WORKING = 8
#: Bytes per practice-simulation of a chunk being settled (settlement's work arrays).
SETTLE_PER_ELEMENT = 200
#: Bytes per simulation-year of a result: commissioner, carried and pool totals (int64),
#: copied once when ranges merge.
PER_SIMULATION_YEAR = 3 * 8 * 2
#: Share of the available memory a run may plan to use.
USABLE_SHARE = 0.8
#: Per-practice arrays kept with ``keep="full"`` (amount, net cash, outturn).
FULL_ARRAYS = len(store.ARRAYS)
#: Their bytes per practice-simulation-year in memory (:data:`~.tally.FULL_DTYPES`: two
#: int32, one int64), and the largest one's.
FULL_BYTES = sum(np.dtype(dtype).itemsize for dtype in tally.FULL_DTYPES)
FULL_LARGEST = max(np.dtype(dtype).itemsize for dtype in tally.FULL_DTYPES)
#: Ways of keeping the per-practice arrays.
KEEPS = ("stats", "full")


def _threads(n: int, workers: int) -> int:
    """Threads that work at once: one per range of whole blocks of simulations."""
    blocks = -(-n // patients.BLOCK)
    return max(1, min(workers, blocks))


def simulation_parts(n: int, practices: int, years: int, *, scenarios: int = 1,
                     keep: str = "stats", on_disk: int = 0, workers: int = 1,
                     method: str = "fft", groups: int = 1, engine: str = "local",
                     chunk_elements: int | None = None) -> dict[str, int]:
    """Estimated bytes of each part of a simulation at its peak (see the module notes).

    The peak is the largest of building the distributions (``"build"``, the distributions
    of earlier sets of drivers kept meanwhile), running (every part but ``"build"`` and
    ``"finish"``) and finishing: ``"finish"`` is what narrowing and merging the full arrays
    add at the end, when the settlement's and drawing's work arrays are gone.

    Parameters
    ----------
    n, practices, years : int
        Simulations, practices and years.
    scenarios : int
        Scenarios (policies) simulated together, each with its own result.
    keep : {"stats", "full"}
        What the results keep; with ``"full"``, ``on_disk`` of the scenarios write their
        arrays to a store and the others keep them in memory.
    workers : int
        Threads (local engine) or worker processes on this machine (dask engine).
    method : {"fft", "normal", "mc"}
        How spend is drawn (the FFT distributions are the largest).
    groups : int
        Sets of drivers of spend (each has its own distributions).
    engine : {"local", "dask", "client"}
        ``"dask"``: a ``LocalCluster`` on this machine, whose every worker process holds its
        own copy of the distributions (one builds them, the others fetch them);
        ``"client"``: a user's dask cluster, which works in its own memory: this process
        holds only the results, merged as they arrive (``workers`` counts the tallies held
        at once).
    chunk_elements : int, optional
        Practice-simulations settled at once (default :data:`CHUNK_ELEMENTS`).

    Examples
    --------
    >>> parts = simulation_parts(1_000, 8_000, 3)
    >>> parts["build"] // 2**20, parts["distributions"] // 2**20     # 8,000 FFT laws
    (631, 377)
    """
    if keep not in KEEPS:
        raise ValidationError(f"keep: must be one of {KEEPS}, got {keep!r}")
    p, threads = practices, _threads(n, workers)
    chunk = max(1, (chunk_elements or CHUNK_ELEMENTS) // p)           # simulations
    drawn = min(n, max(chunk, min(patients.BLOCK, DRAW_ELEMENTS // p)))
    settled = min(n, chunk)
    kept = groups * p * KEPT_PER_PRACTICE.get(method, KEPT_PER_PRACTICE["fft"])
    here = 0 if engine == "client" else 1       # a user's cluster works in its own memory
    copies = here * (threads if engine == "dask" else 1)    # each dask worker holds a copy
    bins = (tally.HISTOGRAM_BINS + 2) * 4
    sample = min(n, tally.SAMPLE_SIMULATIONS) * p * years * 8 * 2
    in_memory = (scenarios - on_disk) * n * p * years * FULL_BYTES if keep == "full" else 0
    # per practice: loss thresholds a year, miss limits (over, under) a year and counts
    limits = (len(tally.LOSS_FRACTIONS) * years
              + len(tally.MISS_FRACTIONS) * 2 * (years + 1)) * 8
    return {
        "build": here * ((groups - 1) * kept // groups + max(
            BUILD_FIXED, BUILD_FFT_BASE + p * BUILD_FFT_PER_PRACTICE if method == "fft" else 0)),
        "distributions": kept * copies,
        "draws": here * threads * groups * p * drawn * years * DRAWN_KEPT,
        "drawing": here * threads * groups * p * drawn * DRAWN_WORKING,
        "settlement": here * threads * settled * p * SETTLE_PER_ELEMENT,
        "tallies": scenarios * (threads * p * (2 * bins + limits)
                                + sample + n * years * PER_SIMULATION_YEAR),
        "full": in_memory,
        "finish": 0 if threads == 1 or engine == "local" else
                  in_memory // FULL_BYTES * FULL_LARGEST,
        "store": here * (on_disk if keep == "full" else 0) * threads
                 * (settled * p * years * FULL_ARRAYS * 8 + 2 * store.CHUNK_BYTES),
    }


def simulation_bytes(n: int, practices: int, years: int, **options: Any) -> int:
    """Estimated peak memory (bytes) of a simulation: the larger of building its
    distributions and running it, from :func:`simulation_parts`.

    Examples
    --------
    >>> simulation_bytes(1, 1, 1) > 0
    True
    """
    parts = simulation_parts(n, practices, years, **options)
    running = sum(v for k, v in parts.items() if k not in ("build", "finish"))
    finishing = parts["distributions"] + parts["draws"] + parts["drawing"] + parts["tallies"] \
        + parts["full"] + parts["finish"]
    return max(parts["build"], running, finishing)


def available_memory() -> int | None:
    """Memory available to this process now (bytes), or None where it cannot be told.

    psutil's estimate (which counts reclaimable caches) when it is installed, otherwise the
    free physical pages the operating system reports.

    Examples
    --------
    >>> available_memory() is None or available_memory() > 0
    True
    """
    try:
        import psutil  # optional: not an extra of pbcmodel, used when present
    except ImportError:
        psutil = None
    if psutil is not None:
        return int(psutil.virtual_memory().available)
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):   # not a POSIX system
        return None


def _size(bytes_: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if bytes_ < 1024 or unit == "TiB":
            return f"{bytes_:,.1f} {unit}" if unit != "B" else f"{bytes_:,.0f} B"
        bytes_ /= 1024
    raise AssertionError("unreachable")   # pragma: no cover


def _largest_n(n: int, practices: int, years: int, room: float, options: dict[str, Any]
               ) -> int:
    """The largest number of simulations whose estimate fits in ``room`` bytes."""
    lo, hi = 0, n
    while lo < hi:                      # the estimate grows with n
        mid = (lo + hi + 1) // 2
        if simulation_bytes(mid, practices, years, **options) <= room:
            lo = mid
        else:
            hi = mid - 1
    return lo


def check_simulation_memory(n: int, practices: int, years: int, *, scenarios: int = 1,
                            available: int | None = None, what: str = "--n",
                            keep: str = "stats", on_disk: int = 0, workers: int = 1,
                            method: str = "fft", groups: int = 1, engine: str = "local") -> int:
    """Refuse a simulation that cannot fit in memory; return its estimated bytes.

    Parameters
    ----------
    n, practices, years : int
        Simulations, practices and years.
    scenarios : int
        Results made at once (a comparison makes one per scenario).
    available : int, optional
        Bytes available (default: :func:`available_memory`; no check when unknown).
    what : str
        How ``n`` is named in the message.
    keep, on_disk, workers, method, groups, engine
        As for :func:`simulation_parts`.

    Raises
    ------
    ValidationError
        With the estimate, the memory available, the largest ``n`` that fits and, for
        ``keep="full"`` in memory, the advice to stream or to write a store instead.

    Examples
    --------
    >>> check_simulation_memory(1_000, 60, 3, available=8 * 2**30) < 8 * 2**30
    True
    """
    options: dict[str, Any] = {"scenarios": scenarios, "keep": keep, "on_disk": on_disk,
                               "workers": workers, "method": method, "groups": groups,
                               "engine": engine}
    need = simulation_bytes(n, practices, years, **options)
    available = available_memory() if available is None else available
    if available is None or need <= available * USABLE_SHARE:
        return need
    largest = _largest_n(n, practices, years, available * USABLE_SHARE, options)
    advice = (f"use {what} {largest:,} or fewer" if largest >= 1
              else "use a machine with more memory")
    if keep == "full" and on_disk < scenarios:
        advice += (", keep='stats' (the default: streamed statistics, memory that does not "
                   "grow with the number of practices × simulations), or write the full "
                   "arrays to disk with store='run.zarr'")
    raise ValidationError(
        f"{what} {n:,}: this simulation needs about {_size(need)} of memory ({n:,} simulations "
        f"× {practices:,} practices × {years:,} year(s)"
        + (f" × {scenarios} scenarios" if scenarios > 1 else "")
        + (", keeping every practice's amounts" if keep == "full" and on_disk < scenarios
           else "")
        + f") but about {_size(available)} is "
        f"available; {advice}, or fewer {'--years' if what.startswith('--') else 'years'}")
