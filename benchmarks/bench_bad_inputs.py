"""What the boundary checks of issue 13 cost: reading a user's CSV through
``pbcmodel.io.files.read_csv_file`` against a bare ``pandas.read_csv``, writing a run's tables
through the atomic folder against writing them in place, and the simulation memory estimate
of ``pbcmodel.scenario.memory`` against the peak traced (tracemalloc) while simulating, at
several sizes, for streamed results, ``keep="full"`` in memory and ``keep="full"`` written
to a zarr store, on one and two threads. The estimate is meant to be at or a little above
the measurement (x1.0 to x1.5); the peak resident memory of the national run is in
``bench_simulation.py``.

Run: ``python benchmarks/bench_bad_inputs.py`` (``--memory``: the memory estimate only).
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from _measure import measure, report

import pbcmodel as pbc
from pbcmodel.io.files import read_csv_file
from pbcmodel.io.output_folder import write_tables
from pbcmodel.scenario.memory import simulation_bytes
from pbcmodel.scenario.simulation import simulate

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "gp-reg-pat-prac-quin-age.csv"


def registered_file(folder: Path, copies: int) -> Path:
    """The test file's rows repeated with new practice codes (~60 rows per practice)."""
    raw = pd.read_csv(DATA, dtype=str)
    frames = []
    for i in range(copies):
        part = raw.copy()
        part["ORG_CODE"] = part["ORG_CODE"].str[:1] + f"{i:05d}" + part["ORG_CODE"].str[-1:]
        frames.append(part)
    path = folder / "patients.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = registered_file(folder, 2_000)        # 6,000 practices, 380,000 rows
        size = path.stat().st_size / 2**20
        base, base_mb, _ = measure(lambda: pd.read_csv(path, dtype=str, keep_default_na=False,
                                                       na_values=[""]))
        report(f"pandas.read_csv ({size:.0f} MB file)", base, base_mb)
        t, mb, _ = measure(lambda: read_csv_file(path, "registered patients"))
        report("read_csv_file (checked, trimmed)", t, mb, f"x{t / base:.2f} time, "
                                                          f"x{mb / base_mb:.2f} memory")

        tables = {f"t{i}": pd.DataFrame(np.random.default_rng(i).random((6_000, 10)))
                  for i in range(4)}

        def in_place() -> None:
            out = folder / "plain"
            out.mkdir(exist_ok=True)
            for name, frame in tables.items():
                frame.to_csv(out / f"{name}.csv")

        base, base_mb, _ = measure(in_place)
        report("4 tables written in place", base, base_mb)
        t, mb, _ = measure(lambda: write_tables(tables, folder / "atomic", force=True))
        report("4 tables through atomic_folder (force)", t, mb, f"x{t / base:.2f} time")

    simulation_memory()


#: (simulations, practices, keep, workers, store): the sizes the estimate is checked at.
SIZES = ((2_000, 60, "stats", 1, False), (20_000, 60, "stats", 2, False),
         (400_000, 60, "full", 1, False), (400_000, 60, "full", 1, True),
         (8_192, 2_000, "full", 1, False), (8_192, 2_000, "full", 2, False),
         (1_024, 8_000, "stats", 1, False))


def scenario(practices: int) -> pbc.Scenario:
    """The example scenario, or one for a synthetic commissioner of ``practices``."""
    if practices == 60:
        return pbc.Scenario.example()
    return pbc.Scenario.example(population=pbc.datasets.synthetic_commissioner(practices, seed=0),
                                historic=None, conditions={},
                                savings=pbc.sharing.ShareSchedule(savings=[(0.0, 0.7)]))


def traced_peak(fn: Callable[[], object]) -> tuple[float, float]:
    """Seconds and peak traced bytes of one call."""
    tracemalloc.start()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def simulation_memory() -> None:
    """The estimate of ``pbcmodel.scenario.memory`` ÷ the peak traced while simulating."""
    print(f"load average {open('/proc/loadavg').read().split()[:3]}")
    pbc.errors.require("zarr", "store", "the store's benchmark")   # its modules: not traced
    for n, practices, keep, workers, on_disk in SIZES:
        scn = scenario(practices)
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "run.zarr" if on_disk else None
            seconds, peak = traced_peak(lambda scn=scn, n=n, keep=keep, workers=workers,
                                        store=store: simulate(scn, n=n, years=3, seed=1,
                                                              keep=keep, workers=workers,
                                                              store=store))
        estimate = simulation_bytes(n, practices, 3, keep=keep, workers=workers,
                                    on_disk=int(on_disk))
        label = (f"simulate n={n:,} × {practices:,} × 3, keep={keep}"
                 + (" (store)" if on_disk else "") + (f", {workers} threads" if workers > 1
                                                     else ""))
        report(label, seconds, peak / 2**20,
               f"estimate {estimate / 2**20:,.0f} MB = x{estimate / peak:.2f} of measured")


if __name__ == "__main__":
    if "--memory" in sys.argv:      # the simulation memory estimate only
        simulation_memory()
    else:
        main()
