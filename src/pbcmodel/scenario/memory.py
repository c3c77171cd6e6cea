"""How much memory a simulation needs, checked against what the machine has, before it starts.

The one place that knows the memory cost of :func:`pbcmodel.scenario.simulation.simulate`;
adjust the constants here when the simulation's storage changes. The figures were measured
with :mod:`tracemalloc` (see ``benchmarks/``): about 8 bytes per practice × simulation × year
kept in the result (two float32 arrays), plus working memory for one chunk of simulations
(about 128 bytes per practice × simulation in the chunk, while it is drawn and settled) and a
fixed part for the risk engine's distributions (about 600 MB, measured up to 8,000 practices).

Examples
--------
>>> need = simulation_bytes(10_000, 60, 3)
>>> need     # 600e6 fixed + 600,000 elements × 128 B + 10,000 × 3 × (60 × 8 + 24) B kept
691920000
>>> check_simulation_memory(10**9, 60, 3, available=16 * 2**30)
Traceback (most recent call last):
...
pbcmodel.errors.ValidationError: --n 1,000,000,000: this simulation needs about 1.4 TiB of ...
"""

from __future__ import annotations

import os

from ..errors import ValidationError

__all__ = ["available_memory", "check_simulation_memory", "simulation_bytes"]

#: Bytes kept in the result per practice × simulation × year (float32 practice amount and net).
KEPT_PER_CELL = 8
#: Bytes kept per simulation × year (commissioner, carried and pool totals: int64).
KEPT_PER_SIMULATION_YEAR = 24
#: Working bytes per practice × simulation of the chunk drawn and settled at once.
WORKING_PER_CHUNK_ELEMENT = 128
#: Practice × simulation elements per chunk (the risk engine's default, see risk.patients).
CHUNK_ELEMENTS = 4_000_000
#: Fixed working memory of the risk engine (the practices' spend distributions).
FIXED = 600 * 10**6
#: Share of the available memory a run may plan to use.
USABLE_SHARE = 0.8


def simulation_bytes(n: int, practices: int, years: int, *, scenarios: int = 1) -> int:
    """Estimated peak memory (bytes) of simulating ``n`` × ``years`` for ``practices``.

    ``scenarios`` results kept at once (as :func:`~pbcmodel.compare` keeps them); one chunk
    is worked on at a time.

    Examples
    --------
    >>> simulation_bytes(1, 1, 1) > 0
    True
    """
    kept = scenarios * n * years * (practices * KEPT_PER_CELL + KEPT_PER_SIMULATION_YEAR)
    chunk = min(n * practices, max(CHUNK_ELEMENTS, practices))
    return FIXED + chunk * WORKING_PER_CHUNK_ELEMENT + kept


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


def check_simulation_memory(n: int, practices: int, years: int, *, scenarios: int = 1,
                            available: int | None = None, what: str = "--n") -> int:
    """Refuse a simulation that cannot fit in memory; return its estimated bytes.

    Parameters
    ----------
    n, practices, years : int
        Simulations, practices and years.
    scenarios : int
        Results kept at once (a comparison keeps one per scenario).
    available : int, optional
        Bytes available (default: :func:`available_memory`; no check when unknown).
    what : str
        How ``n`` is named in the message.

    Raises
    ------
    ValidationError
        With the estimate, the memory available and the largest ``n`` that fits.

    Examples
    --------
    >>> check_simulation_memory(1_000, 60, 3, available=8 * 2**30) < 8 * 2**30
    True
    """
    need = simulation_bytes(n, practices, years, scenarios=scenarios)
    available = available_memory() if available is None else available
    if available is None or need <= available * USABLE_SHARE:
        return need
    per_n = scenarios * years * (practices * KEPT_PER_CELL + KEPT_PER_SIMULATION_YEAR)
    room = available * USABLE_SHARE - simulation_bytes(0, practices, years) \
        - CHUNK_ELEMENTS * WORKING_PER_CHUNK_ELEMENT
    largest = int(room // per_n) if room > 0 else 0
    advice = (f"use {what} {largest:,} or fewer" if largest >= 1
              else "use a machine with more memory")
    raise ValidationError(
        f"{what} {n:,}: this simulation needs about {_size(need)} of memory ({n:,} simulations "
        f"× {practices:,} practices × {years:,} year(s)"
        + (f" × {scenarios} scenarios" if scenarios > 1 else "")
        + f") but about {_size(available)} is "
        f"available; {advice}, or fewer --years")
