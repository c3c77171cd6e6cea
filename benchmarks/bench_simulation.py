"""Multi-year simulation at national scale, and a policy sweep local vs dask.

Run: ``python benchmarks/bench_simulation.py`` (add ``--quick`` for a small smoke run).

1. ``synthetic_commissioner(8000)`` (≈ 60m patients) × 10,000 simulations × 3 years, chunked,
   with a £50,000 high-cost threshold, a common shock, 70/30 freed-up resources and an
   overspend policy with consortium netting and two-year recovery. Targets: < 60 s and
   < 4 GB peak on 2 cores. Prints the time, the peak resident memory of the process
   (``resource.getrusage``; tracemalloc is too slow at this size) and the ratio to the
   floor: the time numpy takes just to draw the same number of uniform variates
   (simulations × practices × years), in the same chunks.
2. A sweep of 20 policy variants (overspend share × tolerance) on the embedded example
   commissioner, locally and on a process-based dask ``LocalCluster`` of 2 workers, with the
   speed-up (and a check that the results are identical).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import pbcmodel as pbc
from pbcmodel.scenario.variants import sweep


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux reports KB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def national_scenario(practices: int) -> pbc.Scenario:
    pop = pbc.datasets.synthetic_commissioner(practices, seed=0)
    return pbc.Scenario(
        population=pop,
        formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
                                      top_slices={"contingency": 0.01}),
        resource=1000.0 * pop.list_size.sum(),
        cost_model=pbc.datasets.example_cost_model(),
        savings=pbc.sharing.pbc_freed_up(0.7),
        overspend=pbc.OverspendPolicy(tolerance=0.02, practice_share=0.5,
                                      net_within_consortium=True, recovery_years=2),
        high_cost_threshold=50_000, common_shock_cv=0.02, cost_growth=0.03,
        resource_growth=0.03, name="national")


def floor_seconds(n: int, practices: int, years: int, chunk: int) -> float:
    """Time for numpy just to draw n × practices × years uniforms, chunk rows at a time."""
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(years):
        for begin in range(0, n, chunk):
            rng.random((min(chunk, n - begin), practices))
    return time.perf_counter() - start


def bench_national(n: int, practices: int, years: int, chunk: int) -> None:
    scn = national_scenario(practices)
    rss_before = peak_rss_mb()
    start = time.perf_counter()
    result = scn.simulate(n=n, years=years, seed=0, chunk_size=chunk)
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    floor = floor_seconds(n, practices, years, chunk)
    cells = n * practices * years
    print(f"national: {practices:,} practices ({scn.population.list_size.sum():,} patients) "
          f"× {n:,} simulations × {years} years, chunk {chunk:,}")
    print(f"  simulate      {seconds:8.1f} s   peak RSS {peak:8.0f} MB "
          f"(before {rss_before:.0f} MB)   {cells / seconds / 1e6:6.1f} M practice-years/s")
    print(f"  numpy floor   {floor:8.1f} s   (draw {cells:,} uniforms)   "
          f"ratio {seconds / floor:.1f}x floor")
    print(f"  targets: < 60 s {'met' if seconds < 60 else 'MISSED'}, "
          f"< 4 GB {'met' if peak < 4096 else 'MISSED'}")
    summary = result.summary()
    print(f"  expected freed-up £{summary['expected_freed_up']:,.0f} a year; commissioner "
          f"VaR95 over {years} years £{summary['commissioner_var95_all_years']:,.0f}")


def example_grid() -> dict[str, list[float]]:
    return {"overspend.practice_share": [0.0, 0.25, 0.5, 0.75, 1.0],
            "overspend.tolerance": [0.0, 0.01, 0.02, 0.05]}


def bench_sweep(n: int, workers: int, repeats: int) -> None:
    from distributed import Client, LocalCluster

    scn = pbc.Scenario(population=pbc.datasets.example_population(),
                       formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
                       resource=pbc.datasets.EXAMPLE_RESOURCE,
                       cost_model=pbc.datasets.example_cost_model(),
                       savings=pbc.sharing.pbc_freed_up(0.7),
                       overspend=pbc.OverspendPolicy(practice_share=0.5),
                       high_cost_threshold=50_000)
    grid = example_grid()
    variants = int(np.prod([len(v) for v in grid.values()]))
    t_local, local = best_of(repeats, lambda: sweep(scn, grid, n=n, seed=0, progress=False))
    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        t_cluster = time.perf_counter() - start
        t_dask, remote = best_of(repeats, lambda: sweep(scn, grid, n=n, seed=0, engine="dask",
                                                        client=client))
    pd.testing.assert_frame_equal(remote, local)
    print(f"sweep: {variants} variants × {n:,} simulations on the example commissioner "
          f"(best of {repeats})")
    print(f"  local           {t_local:6.1f} s")
    print(f"  dask, {workers} workers {t_dask:6.1f} s   (+ {t_cluster:.1f} s to start the "
          f"cluster)   speed-up {t_local / t_dask:.2f}x "
          f"({t_local / (t_dask + t_cluster):.2f}x with start-up); results identical")


def best_of(repeats: int, run: Callable[[], pd.DataFrame]) -> tuple[float, pd.DataFrame]:
    """Best wall time of ``repeats`` runs, and the last result."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--chunk", type=int, default=250, help="simulations settled at once")
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args(argv)
    n, practices, n_sweep = (200, 500, 200) if args.quick else (10_000, 8_000, 2_000)
    if not args.skip_national:
        bench_national(n, practices, 3, min(args.chunk, n))
    if not args.skip_sweep:
        bench_sweep(n_sweep, workers=2, repeats=1 if args.quick else 2)


if __name__ == "__main__":   # required: dask's process-based workers re-import this file
    main()
