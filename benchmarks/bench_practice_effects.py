"""What practice effects and learning budgets cost at national scale.

Run: ``python benchmarks/bench_practice_effects.py`` (``--quick`` for a small smoke run).

The national scenario of ``bench_simulation.py`` (``synthetic_commissioner(8000)``, £50,000
high-cost threshold, common shock, 70/30 freed-up resources, an overspend policy with
netting and recovery) × 10,000 simulations × 3 years, streamed, three ways, each in a fresh
process (its own peak resident memory):

1. effects off (today's simulation);
2. ``PracticeEffects.dixon_2011()`` (sd 0.10 of the log, persistence 0.8);
3. the same effects with budgets that learn inside the simulation
   (``LearningBudgets(k=4_000)``).

Each is reported as time, peak RSS, the ratio to run 1 and to the floor — the time numpy
takes just to draw the same number of normal variates, measured in the same run. Targets
(issue 23): effects cost at most 15% over effects off; with learning budgets still under
15 s and 1.5 GB. The share of practice-years beyond ±10% of budget is printed for each, as a
check that the runs did what they say.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from _measure import in_fresh_process
from bench_simulation import floor_seconds, national_scenario, peak_rss_mb

import pbcmodel as pbc

VARIANTS = ("off", "effects", "effects+learning")


def variant(name: str, practices: int) -> pbc.Scenario:
    """The national scenario with effects off, on, or on with learning budgets."""
    scn = national_scenario(practices)
    if name == "off":
        return scn
    scn = scn.evolve(practice_effects=pbc.risk.PracticeEffects.dixon_2011())
    if name == "effects":
        return scn
    return scn.evolve(learning=pbc.credibility.LearningBudgets(k=4_000))


def run_variant(name: str, n: int, practices: int, years: int) -> dict[str, Any]:
    """One national simulation in this (fresh) process: time, peak memory, a check figure."""
    scn = variant(name, practices)
    start = time.perf_counter()
    result = scn.simulate(n=n, years=years, seed=0)
    seconds = time.perf_counter() - start
    misses = result.outturn_misses(0.10)
    return {"seconds": seconds, "peak_mb": peak_rss_mb(),
            "beyond": float((misses["over"] + misses["under"]).mean())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    n, practices, years = (500, 500, 3) if args.quick else (10_000, 8_000, 3)
    cells = n * practices * years
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    floor = floor_seconds(n, practices, years, "normal")
    print(f"{practices:,} practices × {n:,} simulations × {years} years "
          f"({cells:,} practice-years); numpy floor {floor:.1f} s (normal variates)")
    base = None
    for name in VARIANTS:
        runs = [in_fresh_process("bench_practice_effects", "run_variant", name=name, n=n,
                                 practices=practices, years=years)
                for _ in range(args.repeats)]
        r = min(runs, key=lambda x: x["seconds"])
        base = base or r["seconds"]
        print(f"  {name:17} {r['seconds']:6.1f} s  peak RSS {r['peak_mb']:6.0f} MB  "
              f"{r['seconds'] / base:4.2f}× off  {r['seconds'] / floor:4.1f}× floor  "
              f"beyond ±10%: {r['beyond']:.1%} of practice-years")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
