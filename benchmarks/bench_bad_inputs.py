"""What the boundary checks of issue 13 cost: reading a user's CSV through
``pbcmodel.io.files.read_csv_file`` against a bare ``pandas.read_csv``, writing a run's tables
through the atomic folder against writing them in place, and the simulation memory estimate
of ``pbcmodel.scenario.memory`` against the peak traced while simulating.

Run: ``python benchmarks/bench_bad_inputs.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _measure import measure, report

import pbcmodel as pbc
from pbcmodel.io.files import read_csv_file
from pbcmodel.io.tables import write_tables
from pbcmodel.scenario.memory import simulation_bytes

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

    for n, practices in ((2_000, 60), (20_000, 60), (2_000, 2_000), (4_000, 2_000)):
        pop = (pbc.datasets.example_population() if practices == 60
               else pbc.datasets.synthetic_commissioner(practices, seed=0))
        scn = pbc.Scenario.example() if practices == 60 else pbc.Scenario.example(
            population=pop, historic=None, conditions={},
            savings=pbc.sharing.ShareSchedule(savings=[(0.0, 0.7)]))
        t, mb, _ = measure(lambda scn=scn, n=n: scn.simulate(n=n, years=3, seed=1), repeat=1)
        estimate = simulation_bytes(n, practices, 3) / 2**20
        report(f"simulate n={n:,} × {practices:,} practices × 3 years", t, mb,
               f"estimate {estimate:,.0f} MB (x{estimate / mb:.2f} of measured)")


if __name__ == "__main__":
    main()
