"""Multi-year simulation at national scale, a policy sweep, and dask against local.

Run: ``python benchmarks/bench_simulation.py`` (add ``--quick`` for a small smoke run). Each
national measurement runs in a fresh process, so its peak resident memory is its own.

1. ``synthetic_commissioner(8000)`` (≈ 60m patients) × 10,000 simulations × 3 years, with a
   £50,000 high-cost threshold, a common shock, 70/30 freed-up resources and an overspend
   policy with consortium netting and two-year recovery: time, peak resident memory
   (``resource.getrusage``) and the ratio to the floor — the time numpy takes just to draw
   the same number of normal variates (simulations × practices × years), in chunks.
   Streamed (the default) and ``keep="full"``. Targets on 2 cores: < 15 s, < 1.5 GB peak,
   within 4× of the floor (streamed).
2. A sweep of 20 values of ``overspend.practice_share`` on the example commissioner
   (2,000 simulations × 3 years) ÷ one simulation of the same size. Target < 3.
3. dask: a national-size simulation (8,000 practices × 4,096 simulations × 3 years) on a
   process-based ``LocalCluster`` of 2 workers against the local engine on one thread
   (and on 2 threads), with a check that the results are identical.
4. ``--stages``: where a national simulation's time goes, on one thread — CPU time of
   building the distributions (setup), drawing outturns in pence, settling, tallying the
   statistics and the rest of the loop, in ns per practice-year (a practice in one
   simulated year).

The load average is printed before and after: on a shared machine wall times are only
comparable with the floor measured in the same run.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _measure import in_fresh_process

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


def floor_seconds(n: int, practices: int, years: int, kind: str) -> float:
    """Time for numpy just to draw n × practices × years variates, 2^21 at a time."""
    rng = np.random.default_rng(0)
    draw = rng.standard_normal if kind == "normal" else rng.random
    chunk = max(1, 2**21 // practices)
    start = time.perf_counter()
    for _ in range(years):
        for begin in range(0, n, chunk):
            draw((min(chunk, n - begin), practices))
    return time.perf_counter() - start


def run_national(n: int, practices: int, years: int, keep: str) -> dict[str, Any]:
    """One national simulation in this (fresh) process: time, peak memory, a headline."""
    scn = national_scenario(practices)
    before = peak_rss_mb()
    start = time.perf_counter()
    result = scn.simulate(n=n, years=years, seed=0, keep=keep)
    summary = result.summary()
    figures = 0.0
    if keep == "full":                       # the figures, from the full arrays
        from matplotlib.figure import Figure
        t = time.perf_counter()
        for kind in ("list_size", "net", "commissioner"):
            result.plot(kind=kind, ax=Figure().subplots())
        figures = time.perf_counter() - t
    return {"seconds": time.perf_counter() - start, "peak_mb": peak_rss_mb(),
            "before_mb": before, "figures_s": figures,
            "freed_up": summary["expected_freed_up"],
            "var95": summary["commissioner_var95_all_years"]}


def run_stages(n: int, practices: int, years: int) -> dict[str, float]:
    """CPU seconds of each stage of one national simulation on one thread (this process)."""
    from pbcmodel.risk.draws import SpendSampler
    from pbcmodel.scenario import loop, simulation, tally

    spent: dict[str, float] = {}

    def timed(owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - start

        setattr(owner, name, wrapper)

    timed(simulation, "build_plan", "setup: distributions, budgets, grids")
    timed(SpendSampler, "pence_years", "draw outturns in pence")
    timed(loop, "settle_arrays", "settle (settle_arrays)")
    timed(tally.Tally, "add", "tally the statistics")
    timed(tally.Tally, "finished", "tally: last histogram counts")
    timed(loop, "settle_chunk", "loop")
    timed(simulation.SimulationResult, "summary", "summary (metrics, quantiles)")
    scn = national_scenario(practices)
    start = time.process_time()
    scn.simulate(n=n, years=years, seed=0, workers=1).summary()
    spent["total"] = time.process_time() - start
    spent["rest of the loop (flows, carry)"] = (spent.pop("loop") - spent["settle (settle_arrays)"]
                                                - spent["tally the statistics"])
    return spent


def bench_stages(n: int, practices: int, years: int) -> None:
    cells = n * practices * years
    spent = in_fresh_process("bench_simulation", "run_stages", n=n, practices=practices,
                             years=years)
    print(f"stages: {practices:,} practices × {n:,} simulations × {years} years on one thread "
          f"(CPU time; ns per practice-year)")
    for label, seconds in spent.items():
        print(f"  {label:38} {seconds:7.2f} s  {seconds / cells * 1e9:7.1f} ns")


def bench_national(n: int, practices: int, years: int) -> None:
    cells = n * practices * years
    normal = floor_seconds(n, practices, years, "normal")
    uniform = floor_seconds(n, practices, years, "uniform")
    print(f"national: {practices:,} practices × {n:,} simulations × {years} years "
          f"({cells:,} practice-years)")
    print(f"  numpy floor     {normal:7.1f} s to draw {cells:,} normal variates "
          f"({uniform:.1f} s for uniforms)")
    for keep in ("stats", "full"):
        r = in_fresh_process("bench_simulation", "run_national", n=n, practices=practices,
                             years=years, keep=keep)
        extra = f", of which figures {r['figures_s']:.1f} s" if keep == "full" else ""
        print(f"  keep={keep!r:8} {r['seconds']:7.1f} s{extra}   peak RSS {r['peak_mb']:6.0f} MB "
              f"(at start {r['before_mb']:.0f} MB)   {r['seconds'] / normal:.1f}× the floor   "
              f"{cells / r['seconds'] / 1e6:.1f} M practice-years/s")
        if keep == "stats":
            print(f"  targets: < 15 s {'met' if r['seconds'] < 15 else 'MISSED'}, "
                  f"< 1.5 GB {'met' if r['peak_mb'] < 1536 else 'MISSED'}, "
                  f"< 4× floor {'met' if r['seconds'] < 4 * normal else 'MISSED'}; "
                  f"expected freed-up £{r['freed_up']:,.0f} a year, commissioner VaR95 "
                  f"£{r['var95']:,.0f}")


def example_scenario() -> pbc.Scenario:
    return pbc.Scenario.example(name="example")


def bench_sweep(n: int, years: int, repeats: int) -> None:
    scn = example_scenario()
    grid = {"overspend.practice_share": [float(v) for v in np.linspace(0.0, 1.0, 20)]}
    t_one, _ = best_of(repeats, lambda: scn.simulate(n=n, years=years, seed=0).summary())
    t_sweep, _ = best_of(repeats, lambda: sweep(scn, grid, n=n, years=years, seed=0,
                                                progress=False))
    print(f"sweep: 20 values of overspend.practice_share on the example commissioner, "
          f"{n:,} simulations × {years} years (best of {repeats})")
    print(f"  one simulation {t_one:6.2f} s   sweep {t_sweep:6.2f} s   ratio "
          f"{t_sweep / t_one:.2f} (target < 3)")


def bench_dask(n: int, practices: int, years: int, workers: int) -> None:
    from distributed import Client, LocalCluster

    scn = national_scenario(practices)
    start = time.perf_counter()
    local = scn.simulate(n=n, years=years, seed=0, workers=1)
    t_local = time.perf_counter() - start
    start = time.perf_counter()
    threads = scn.simulate(n=n, years=years, seed=0, workers=workers)
    t_threads = time.perf_counter() - start
    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        t_cluster = time.perf_counter() - start
        start = time.perf_counter()
        remote = scn.simulate(n=n, years=years, seed=0, engine="dask", client=client)
        t_dask = time.perf_counter() - start
    for other in (remote, threads):
        pd.testing.assert_frame_equal(other.metrics(), local.metrics(), check_exact=True)
        np.testing.assert_array_equal(other.commissioner_pence, local.commissioner_pence)
    print(f"dask: {practices:,} practices × {n:,} simulations × {years} years")
    print(f"  local, 1 thread {t_local:6.1f} s   local, {workers} threads {t_threads:6.1f} s "
          f"({t_local / t_threads:.2f}×)   dask, {workers} processes {t_dask:6.1f} s "
          f"(+ {t_cluster:.1f} s to start the cluster)   speed-up {t_local / t_dask:.2f}× "
          f"({t_local / (t_dask + t_cluster):.2f}× with start-up); results identical")


def best_of(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``repeats`` runs, and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--stages", action="store_true",
                        help="also a per-stage breakdown on one thread (ns per practice-year)")
    parser.add_argument("--n", type=int, help="simulations of the national run")
    parser.add_argument("--dask-n", type=int, help="simulations of the dask comparison")
    args = parser.parse_args(argv)
    n, practices, n_dask = (300, 500, 2_048) if args.quick else (10_000, 8_000, 4_096)
    n, n_dask = args.n or n, args.dask_n or n_dask
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    if not args.skip_national:
        bench_national(n, practices, 3)
    if args.stages:
        bench_stages(min(n, 2_048), practices, 3)
    if not args.skip_sweep:
        bench_sweep(200 if args.quick else 2_000, 3, repeats=1 if args.quick else 3)
    if not args.skip_dask:
        bench_dask(n_dask, practices, 3, workers=2)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":   # required: dask's process-based workers re-import this file
    main()
