"""Benchmark: settle 8,000 practices × 10,000 simulated outturns (vectorised over both).

Run as ``python benchmarks/bench_settlement.py [n_practices] [n_sims] [chunk]``.
Prints wall time and peak traced memory (tracemalloc) for:

* baseline — the bare variance ``budget − outturn`` in pence over the same
  chunks (the least any settlement must do);
* ``pbc_freed_up(0.7)`` with an overspend policy (tolerance, share, cap,
  two-year recovery) and a brought-forward liability — the typical case;
* the same with consortium netting and 2006/07 incentives — the heaviest case.

Outturns are drawn once per chunk from a seeded generator (not timed). The
target is under 5 s for 8,000 × 10,000.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np

from pbcmodel.incentives import des_2006
from pbcmodel.overspend import OverspendPolicy
from pbcmodel.settlement import settle_arrays
from pbcmodel.sharing import pbc_freed_up


def outturn_chunks(budget: np.ndarray, n_sims: int, chunk: int, seed: int = 7):
    """Yield outturn chunks in pence: budgets × lognormal noise with 8% CV."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    for start in range(0, n_sims, chunk):
        rows = min(chunk, n_sims - start)
        noise = rng.lognormal(mean=-0.0032, sigma=0.08, size=(rows, budget.size))
        yield np.rint(budget * noise).astype(np.int64)


def run(label: str, budget: np.ndarray, n_sims: int, chunk: int, settle) -> float:
    """Time ``settle(outturn)`` over every chunk (drawing outturns is not timed)."""
    elapsed = 0.0
    peak = 0
    total = 0
    tracemalloc.start()
    for outturn in outturn_chunks(budget, n_sims, chunk):
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        start = time.perf_counter()
        total += int(settle(outturn))
        elapsed += time.perf_counter() - start
        peak = max(peak, tracemalloc.get_traced_memory()[1] - before)
    tracemalloc.stop()
    print(f"{label:<40s} {elapsed:7.2f} s   peak {peak / 2**20:7.1f} MiB above input"
          f"   (checksum {total})")
    return elapsed


def main() -> None:
    n_practices = int(sys.argv[1]) if len(sys.argv) > 1 else 8_000
    n_sims = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    chunk = int(sys.argv[3]) if len(sys.argv) > 3 else 250
    rng = np.random.default_rng(np.random.SeedSequence(1))
    budget = np.rint(rng.uniform(2e8, 2e9, n_practices)).astype(np.int64)   # £2m–£20m
    codes = rng.integers(0, n_practices // 10 + 1, n_practices)
    list_size = rng.integers(2_000, 20_000, n_practices)
    carried = np.rint(budget * 0.001).astype(np.int64)
    policy = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05, recovery_years=2)
    print(f"settle {n_practices:,} practices × {n_sims:,} outturns in chunks of {chunk}")

    base = run("baseline: variance only", budget, n_sims, chunk,
               lambda o: (budget - o).sum())
    typical = run("freed-up 70% + overspend policy", budget, n_sims, chunk,
                  lambda o: settle_arrays(budget, o, savings=pbc_freed_up(0.7),
                                          overspend=policy,
                                          carry_forward_pence=carried).practice_amount.sum())
    heavy = run("+ consortium netting + DES incentives", budget, n_sims, chunk,
                lambda o: settle_arrays(
                    budget, o, savings=pbc_freed_up(0.7),
                    overspend=policy.evolve(net_within_consortium=True),
                    incentives=des_2006(), consortium_codes=codes, list_size=list_size,
                    conditions={"plan_achieved": True},
                    carry_forward_pence=carried).net_to_practice.sum())
    print(f"ratio to baseline: typical {typical / base:.1f}×, heavy {heavy / base:.1f}×")


if __name__ == "__main__":
    main()
