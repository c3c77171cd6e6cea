"""All of England's PCN footprints, each holding one budget: time and memory.

Run: ``python benchmarks/bench_footprints.py`` (``--quick`` for a small smoke run).

Real England (:func:`pbcmodel.scenario.england.england_scenario`, every practice of the
2026/27 weighted populations, practice effects as Dixon et al. 2011, 2% common shock), 10,000
simulations × 3 years, streamed, two ways, each in a fresh process (its own peak resident
memory):

1. ``practice``: every practice holds its own budget (the baseline, same run);
2. ``pcn``: every PCN footprint holds one budget (``holder="consortium"`` over
   ``pbc.datasets.footprints("pcn")``): the practices' spend is drawn as in 1, then added up
   per footprint and settled as one holder.

Each is reported as time, peak RSS and the ratio to run 1, and the floor (the time numpy takes
to draw as many normal variates) measured in the same run. Target (issue 24): the PCN run under
30 s. The footprints' mean chance of an overspend beyond 5% is printed as a check.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from _measure import in_fresh_process
from bench_simulation import floor_seconds, peak_rss_mb

import pbcmodel as pbc
from pbcmodel.scenario.england import england_scenario

HOLDERS = ("practice", "pcn")


def run_holder(holder: str, n: int, icb: str | None, years: int) -> dict[str, Any]:
    """One simulation of England (or one ICB) in this (fresh) process."""
    scn = england_scenario(icb)
    if holder == "pcn":
        pcn = pbc.datasets.footprints("pcn", icb=icb)
        scn = scn.evolve(population=pcn.apply(scn.population), holder="consortium")
    start = time.perf_counter()
    result = scn.simulate(n=n, years=years, seed=0)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "holders": len(result.practices),
            "practices": scn.population.n_practices,
            "over5": float(result.outturn_misses(0.05)["over"].mean())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one ICB, 500 simulations")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    n, icb, years = (500, "QWO", 3) if args.quick else (10_000, None, 3)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    base = None
    for holder in HOLDERS:
        runs = [in_fresh_process("bench_footprints", "run_holder", holder=holder, n=n,
                                 icb=icb, years=years) for _ in range(args.repeats)]
        r = min(runs, key=lambda x: x["seconds"])
        if base is None:
            base = r["seconds"]
            floor = floor_seconds(n, r["practices"], years, "normal")
            print(f"England{'' if icb is None else ' ' + icb}: {r['practices']:,} practices × "
                  f"{n:,} simulations × {years} years; numpy floor {floor:.1f} s")
        print(f"  {holder:8} {r['holders']:5,} holders {r['seconds']:6.1f} s  peak RSS "
              f"{r['peak_mb']:6.0f} MB  ×{r['seconds'] / base:4.2f} of practice-held  "
              f"×{r['seconds'] / floor:4.1f} floor  P(over 5%) {r['over5']:.3f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
