"""dask against one local thread at national size, and what a cluster would give England.

Run: ``python benchmarks/bench_cluster.py`` (``--quick`` for a small smoke run; from a
checkout, ``PYTHONPATH=src``). Needs ``pbcmodel[distributed]``.

1. National: ``synthetic_commissioner(8000)`` (the scenario of ``bench_simulation.py``) with
   practice effects (``PracticeEffects.dixon_2011()``), 10,000 simulations × 3 years,
   streamed, the same run three ways, each in a fresh process: one local thread; the local
   threads of this machine; a dask ``LocalCluster`` of two worker processes with one thread
   each (its start-up timed apart). The results are checked to be identical. The set-up
   (the spend distributions, a simulation of one draw) is timed apart, so that the loop's
   **throughput per core** (practice-years a second) is measured.
2. England: every practice of the 2026/27 weighted populations (``england_scenario()``),
   each PCN footprint holding one budget, 10,000 × 3, one local thread: its set-up and its
   loop's throughput per core, measured the same way.
3. From those measurements, an estimate (not a measurement) of the time all of England's PCN
   footprints would take on a cluster of N machines like this one: each machine builds the
   distributions once with its own cores (the set-up measured here), then the simulations
   are shared out in ranges of whole blocks of 1,024, each machine running its threads as
   fast, relative to one thread, as this machine's did in run 1: wall ≈ set-up +
   practice-years ÷ (N · machine throughput), with at most n ÷ 1,024 ranges at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from _measure import in_fresh_process
from bench_simulation import national_scenario, peak_rss_mb

import pbcmodel as pbc

#: Machines of the estimate.
MACHINES = (1, 2, 4, 8)


def scenario(kind: str, practices: int) -> pbc.Scenario:
    if kind == "national":
        return national_scenario(practices).evolve(
            practice_effects=pbc.risk.PracticeEffects.dixon_2011())
    from pbcmodel.scenario.england import england_scenario

    scn = england_scenario(None)
    pcn = pbc.datasets.footprints("pcn")
    return scn.evolve(population=pcn.apply(scn.population), holder="consortium")


def run(kind: str, engine: str, n: int, years: int, practices: int) -> dict[str, Any]:
    """One simulation in this (fresh) process: set-up and total wall time, peak RSS."""
    scn = scenario(kind, practices)
    scn.simulate(n=1, years=years, seed=0, workers=1)     # compiled kernels loaded
    start = time.perf_counter()
    scn.simulate(n=1, years=years, seed=0, workers=1)     # the set-up, all but one draw
    setup = time.perf_counter() - start
    start = time.perf_counter()
    started = 0.0
    if engine == "dask":
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None
                          ) as cluster, Client(cluster) as client:
            started = time.perf_counter() - start
            begin = time.perf_counter()
            result = scn.simulate(n=n, years=years, seed=0, engine="dask", client=client)
            seconds = time.perf_counter() - begin
    else:
        result = scn.simulate(n=n, years=years, seed=0,
                              workers=1 if engine == "1 thread" else None)
        seconds = time.perf_counter() - start
    return {"setup": setup, "seconds": seconds, "cluster_start": started,
            "peak_mb": peak_rss_mb(), "practices": scn.population.n_practices,
            "summary": [float(x) for x in result.summary().to_numpy()]}


def loop_seconds(r: dict[str, Any]) -> float:
    """The run's time with its set-up taken off."""
    return max(r["seconds"] - r["setup"], 1e-9)


def national(n: int, years: int, practices: int) -> float:
    """Print the national runs; return how many times one thread's loop this machine's
    threads run."""
    runs = {engine: in_fresh_process("bench_cluster", "run", kind="national", engine=engine,
                                     n=n, years=years, practices=practices)
            for engine in ("1 thread", "threads", "dask")}
    base = runs["1 thread"]
    print(f"national: {practices:,} practices × {n:,} simulations × {years} years, practice "
          f"effects on, streamed")
    for engine, r in runs.items():
        extra = (f" (+ {r['cluster_start']:.1f} s to start the cluster)" if engine == "dask"
                 else "")
        print(f"  {engine:9} {r['seconds']:6.1f} s{extra}  speed-up "
              f"{base['seconds'] / r['seconds']:4.2f}×  set-up {r['setup']:4.1f} s  peak RSS "
              f"{r['peak_mb']:6.0f} MB (this process)")
    same = all(r["summary"] == base["summary"] for r in runs.values())
    rate = practices * n * years / loop_seconds(base)
    print(f"  results {'identical' if same else 'DIFFERENT'}; loop throughput on one core "
          f"{rate / 1e6:.1f} million practice-years a second")
    return loop_seconds(base) / loop_seconds(runs["threads"])


def england(n: int, years: int, machine: float) -> None:
    r = in_fresh_process("bench_cluster", "run", kind="england", engine="1 thread", n=n,
                         years=years, practices=0)
    work = r["practices"] * n * years
    rate = work / loop_seconds(r)
    print(f"England, PCN footprints holding the budgets: {r['practices']:,} practices × "
          f"{n:,} × {years}, one thread {r['seconds']:.1f} s (set-up {r['setup']:.1f} s); "
          f"loop {rate / 1e6:.1f} million practice-years a second on one core")
    cores = os.cpu_count() or 1
    blocks = -(-n // pbc.risk.patients.BLOCK)
    print(f"  estimate (not measured), machines like this one ({cores} cores, a machine's "
          f"threads {machine:.2f}× one thread, as measured above): wall ≈ set-up + "
          f"practice-years ÷ (machines × {rate * machine / 1e6:.1f} million a second), with "
          f"at most {blocks} ranges (blocks of {pbc.risk.patients.BLOCK:,} simulations) at once")
    for machines in MACHINES:
        busy = min(machines, blocks / cores)        # machines with a range to run
        print(f"  {machines:3} machine(s): ≈ {r['setup'] + work / (busy * rate * machine):5.1f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    args = parser.parse_args(argv)
    n, practices, years = (600, 500, 2) if args.quick else (10_000, 8_000, 3)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    england(n, years, national(n, years, practices))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":   # required: dask's process-based workers re-import this file
    main()
