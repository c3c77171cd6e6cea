"""A simulation's full per-practice arrays on disk: a chunked zarr store, written whole or not
at all (its path checked with the options, :mod:`pbcmodel.scenario.options`; written by the
tallies, :mod:`pbcmodel.scenario.tally`).

``simulate(..., keep="full", store="run.zarr")`` writes every practice × simulation × year
practice amount, net cash and outturn, in integer pence, into a `zarr <https://zarr.dev>`_
store chunk by chunk as the simulation proceeds, so a run larger than memory keeps them all; the
streamed statistics are kept in memory as usual. :meth:`SimulationResult.to_xarray` opens
the store lazily (dask arrays when dask is installed), in pounds.

Layout (zarr format 3, readable with :func:`xarray.open_zarr`): ``practice_amount``, ``net``
and ``outturn`` (simulation × practice × year, ``int64`` pence with ``scale_factor = 0.01``,
so xarray decodes them to pounds), ``budget`` (year × practice, pence likewise), and the
coordinates ``practice``, ``year``, ``consortium`` and ``list_size``. Chunks hold whole
years and up to 4,096 practices, and a power of two of simulations (at most
:data:`pbcmodel.risk.patients.BLOCK`, about 8 MB a chunk): the simulation is split among
threads and dask workers by whole blocks, so no two writers ever share a chunk.

**Whole or not at all.** The store is written into a staging folder beside the target
(:func:`pbcmodel.io.tables.atomic_folder`) and renamed into place when every chunk and the
budgets are written; on any failure the target does not appear and the staging folder is
removed. Nothing is ever written outside the target's parent folder. A target that exists
already is refused before any work (remove it first, or choose another path): this is
xarray's ``to_zarr(mode="w-")``.

With ``engine="dask"`` on a cluster the workers write the chunks themselves: the target's
folder must be on storage every worker can reach.

Examples
--------
>>> import tempfile, pathlib
>>> import pbcmodel as pbc
>>> target = pathlib.Path(tempfile.mkdtemp()) / "run.zarr"
>>> res = pbc.scenario.simulation.simulate(pbc.Scenario.example(), n=300, years=2, seed=1,
...                                        keep="full", store=target)
>>> ds = res.to_xarray()                       # lazily, from the store
>>> ds["practice_amount"].dims, ds["practice_amount"].shape
(('simulation', 'practice', 'year'), (300, 60, 2))
>>> float(ds["practice_amount"].sel(practice="P001", year=1)[0])      # pounds
-22499.99
>>> bool(res.practice_amount_pence.sum() == res.tally.amount_sum.sum())   # exact pence
True
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError, require
from ..io.output_folder import atomic_folder
from ..risk import patients

__all__ = ["ARRAYS", "ZarrSink", "blocks", "check_target", "create", "open_dataset", "read",
           "staged"]

#: The per-practice arrays kept in a store (simulation × practice × year, pence).
ARRAYS = ("practice_amount", "net", "outturn")
#: Bytes a chunk of the store aims at (uncompressed).
CHUNK_BYTES = 8 * 2**20
#: Most practices in a chunk.
CHUNK_PRACTICES = 4096
_DIMS = ("simulation", "practice", "year")


def _zarr(what: str = "keep='full' with a store") -> Any:
    return require("zarr", "store", what)


def check_target(path: Any, what: str = "store") -> Path:
    """A store's target path, checked before any work: a new path whose parent can be made.

    Raises
    ------
    ValidationError
        Not a path, a path that exists already, or a parent that is a file.

    Examples
    --------
    >>> import tempfile
    >>> check_target(tempfile.gettempdir())
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: store: ... already exists; remove it first or choose a new path
    """
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise ValidationError(f"{what}: expected a path for the zarr store (e.g. 'run.zarr'), "
                              f"got {type(path).__name__}")
    target = Path(path)
    if not str(path) or target.name in ("", ".", ".."):
        raise ValidationError(f"{what}: {str(path)!r} is not a path a store can be made at; "
                              "give a new folder name such as 'run.zarr'")
    if target.exists() or target.is_symlink():
        raise ValidationError(f"{what}: {str(target)!r} already exists; remove it first or "
                              "choose a new path")
    here = target.absolute().parent
    while not here.exists():
        here = here.parent
    if not here.is_dir():
        raise ValidationError(f"{what}: {str(here)!r} is a file, so {str(target)!r} cannot be "
                              "made inside it; choose another path")
    return target


@contextlib.contextmanager
def staged(target: Path, what: str = "store") -> Iterator[Path]:
    """Stage a store beside ``target``; rename it into place when the block succeeds."""
    _zarr()
    with atomic_folder(target, what=what) as staging:
        yield staging


def chunk_rows(practices: int, years: int) -> int:
    """Simulations in a chunk: a power of two up to a block, about :data:`CHUNK_BYTES`."""
    per_row = 8 * min(practices, CHUNK_PRACTICES) * years
    rows = patients.BLOCK
    while rows > 1 and rows * per_row > CHUNK_BYTES:
        rows //= 2
    return rows


def create(folder: Path, n: int, practices: Any, consortium: Any, list_size: Any,
           years: int) -> ZarrSink:
    """Lay out an empty store in ``folder`` (made by :func:`staged`) for ``n`` simulations."""
    zarr = _zarr()
    p = len(practices)
    group = zarr.open_group(str(folder), mode="w", zarr_format=3)
    chunks = (chunk_rows(p, years), min(p, CHUNK_PRACTICES), years)
    pounds = {"scale_factor": 0.01, "units": "pounds"}
    for name in ARRAYS:
        group.create_array(name, shape=(n, p, years), chunks=chunks, dtype="int64",
                           fill_value=0, dimension_names=_DIMS,
                           attributes={**pounds, "coordinates": "consortium list_size"})
    group.create_array("budget", shape=(years, p), dtype="int64", fill_value=0,
                       dimension_names=("year", "practice"), attributes=pounds)
    coords = {"year": np.arange(1, years + 1, dtype=np.int64),
              "practice": np.array([str(c) for c in practices], dtype=object),
              "consortium": np.array([str(c) for c in consortium], dtype=object),
              "list_size": np.asarray(list_size, dtype=np.int64)}
    for name, values in coords.items():
        dim = "year" if name == "year" else "practice"
        array = group.create_array(name, shape=values.shape, dimension_names=(dim,),
                                   dtype=str if values.dtype == object else values.dtype)
        array[:] = values
    return ZarrSink(str(folder), n, chunks[0])


def write_budget(folder: Path, budget_pence: np.ndarray) -> None:
    """Write the budgets (year × practice, pence) once the simulation has set them."""
    _zarr().open_array(str(folder), path="budget", mode="r+")[:] = budget_pence


@attrs.frozen
class ZarrSink:
    """Where a simulation's tallies write their full arrays (picklable: a path and sizes)."""

    folder: str
    n: int
    rows: int                   # simulations in a chunk of the store

    def writer(self, years: int) -> _Writer:
        """A writer for one tally (its own buffers)."""
        return _Writer(self, years)


@attrs.define(eq=False)
class _Writer:
    """Collects a tally's simulations year by year and writes whole chunks of the store.

    A settled chunk of simulations arrives one year at a time; when its last year is in,
    its rows join the pending rows, and every chunk of the store they complete is written
    in one piece (no chunk is read back and rewritten). The rows of a range of whole blocks
    fill whole chunks, so nothing is left pending at the end of a range but the last rows
    of the simulation; :meth:`close` writes whatever is left.
    """

    sink: ZarrSink
    years: int
    _arrays: list[Any] | None = None
    _year: list[np.ndarray] | None = None           # the chunk being settled, by year
    _first: int = -1
    _pending: list[list[np.ndarray]] = attrs.field(factory=list)
    _start: int = -1                                # first pending simulation
    _stop: int = -1

    def add(self, first: int, year: int, *values: np.ndarray) -> None:
        """Add ``year`` of simulations ``first, first + 1, …``: one (k, P) array of each of
        :data:`ARRAYS` (practice amount, net cash, outturn)."""
        amount = values[0]
        if year == 0 or self._year is None or self._first != first \
                or len(self._year[0]) != len(amount):
            shape = (len(amount), amount.shape[1], self.years)
            self._year = [np.empty(shape, dtype=np.int64) for _ in ARRAYS]
            self._first = first
        for held, value in zip(self._year, values, strict=True):
            held[:, :, year] = value
        if year < self.years - 1:
            return
        if self._pending and first != self._stop:        # not contiguous: write what is held
            self.close()
        if not self._pending:
            self._start = first
        self._pending.append(self._year)
        self._stop = first + len(amount)
        self._year = None
        rows = self.sink.rows
        whole = self._stop if self._stop == self.sink.n else self._stop // rows * rows
        if whole > self._start:
            self._write(whole)

    def _write(self, stop: int) -> None:
        """Write the pending rows before ``stop``; keep the rest pending."""
        if self._arrays is None:
            zarr = _zarr()
            self._arrays = [zarr.open_array(self.sink.folder, path=name, mode="r+")
                            for name in ARRAYS]
        split = stop - self._start
        joined = [np.concatenate([piece[i] for piece in self._pending])
                  for i in range(len(ARRAYS))]
        for array, values in zip(self._arrays, joined, strict=True):
            array[self._start:stop] = values[:split]
        self._pending = [[values[split:] for values in joined]] if stop < self._stop else []
        self._start = stop

    def close(self) -> None:
        """Write every pending row (the end of the tally's range)."""
        if self._pending:
            self._write(self._stop)

    def __getstate__(self) -> dict[str, Any]:     # sent to dask workers: the sink only
        return {"sink": self.sink, "years": self.years}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["sink"], state["years"])  # type: ignore[misc]


def blocks(path: Path, name: str) -> Iterator[np.ndarray]:
    """One of :data:`ARRAYS` from a store, a block of whole chunks of simulations at a time
    (pence), so that a store larger than memory can be read through."""
    array = _zarr("reading a simulation's store").open_array(str(path), path=name, mode="r")
    step = array.chunks[0] * max(1, CHUNK_BYTES // (array.chunks[0] * 8
                                                     * int(np.prod(array.shape[1:])) or 1))
    for lo in range(0, array.shape[0], step):
        yield np.asarray(array[lo:lo + step])


def read(path: Path, name: str) -> np.ndarray:
    """One of :data:`ARRAYS` from a store, read whole into memory (pence)."""
    return np.asarray(_zarr("reading a simulation's store").open_array(
        str(path), path=name, mode="r")[...])


def open_dataset(path: Path) -> Any:
    """The store as an :class:`xarray.Dataset` in pounds, opened lazily."""
    xr = require("xarray", "store", "SimulationResult.to_xarray")
    _zarr("reading a simulation's store")
    # dask arrays in the store's own chunks when dask is installed, else lazily indexed ones
    chunks: dict[str, int] | None = {} if importlib.util.find_spec("dask") is not None else None
    return xr.open_zarr(str(path), chunks=chunks, consolidated=False)
