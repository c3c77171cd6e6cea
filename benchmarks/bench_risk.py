"""Risk engine at national scale: FFT spend distributions for ``synthetic_commissioner(8000)``.

Run: ``python benchmarks/bench_risk.py [--aggregate-practices 100] [--mc-practices 4]``.

Prints time and peak traced memory of the FFT distributions of all 8,000 practices with a
£50,000 high-cost threshold (target: < 5 s on 2 cores, ≤ 2 GB), and its ratio to two
baselines measured in the same run and scaled to 8,000 practices:

(a) patient-level Monte Carlo (``method="mc"``) at 100,000 draws per practice, timed on a
    few practices with fewer draws and scaled linearly in draws and practices;
(b) the ``aggregate`` package looped over practices (each practice one ``build`` of a
    compound Poisson with its 280 age-sex-POD severities mixed and a 50,000 per-claim
    limit: a per-claim cap, a little cheaper than our per-patient cap), scaled.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _measure import measure, report

import pbcmodel as pbc
from pbcmodel import risk
from pbcmodel.datasets import example_cost_model, synthetic_commissioner

THRESHOLD = 50_000.0
MC_DRAWS = 100_000


def aggregate_seconds(pop: pbc.Population, model: pbc.costmodel.CostModel, k: int) -> float:
    """Seconds per practice for ``aggregate.build`` over the first ``k`` practices."""
    from aggregate import build

    p, mean, cv = model.arrays
    counts = pop.array.reshape(pop.n_practices, -1)

    def vec(v: np.ndarray) -> str:
        return "[" + " ".join(f"{x:.6g}" for x in v) + "]"

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(k):
            lam = (counts[i][:, None] * p).ravel()
            use = lam > 0
            program = (f"agg B{i} {vec(lam[use])} claims {THRESHOLD:.0f} xs 0 "
                       f"sev lognorm {vec(mean.ravel()[use])} cv {vec(cv.ravel()[use])} poisson")
            build(program, bs=500, log2=16, update=True)
    return (time.perf_counter() - start) / k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--aggregate-practices", type=int, default=100)
    parser.add_argument("--mc-practices", type=int, default=4)
    parser.add_argument("--mc-draws", type=int, default=500)
    args = parser.parse_args()

    pop = synthetic_commissioner(8000, seed=0)
    model = example_cost_model()
    n = pop.n_practices
    print(f"synthetic_commissioner(8000): {n:,} practices, {pop.list_size.sum():,} patients")

    t, mem, dist = measure(lambda: risk.spend_distribution(pop, model,
                                                           high_cost_threshold=THRESHOLD), 2)
    report("FFT retained spend, all practices, £50k threshold", t, mem,
           f"max alias bound {dist.alias_bound.max():.1e}")
    t_ex, mem_ex, _ = measure(lambda: risk.spend_distribution(
        pop, model, high_cost_threshold=THRESHOLD, part="excess"), 1)
    report("FFT high-cost pool (excess) spend, all practices", t_ex, mem_ex)
    t_tot, mem_tot, _ = measure(lambda: risk.spend_distribution(pop, model), 1)
    report("FFT total spend, no threshold, all practices", t_tot, mem_tot)
    t_pool, mem_pool, _ = measure(lambda: risk.pool(dist, "consortium", correlation=0.1), 1)
    report("pool() into 534 consortia, correlation 0.1", t_pool, mem_pool)
    t_sim, mem_sim, _ = measure(lambda: risk.simulate_spend(
        pop, model, 1000, seed=1, high_cost_threshold=THRESHOLD), 1)
    report("simulate_spend: 1,000 years x 8,000 practices", t_sim, mem_sim)

    few = pop.subset(pop.codes[:args.mc_practices])
    t_mc, _, _ = measure(lambda: risk.spend_distribution(
        few, model, method="mc", high_cost_threshold=THRESHOLD, n_sims=args.mc_draws,
        seed=1), 1)
    mc_scaled = t_mc / args.mc_practices / args.mc_draws * MC_DRAWS * n
    report(f"(a) MC, {MC_DRAWS:,} draws x 8,000 practices (scaled)", mc_scaled, float("nan"),
           f"FFT is {mc_scaled / t:,.0f}x faster")

    per_practice = aggregate_seconds(pop, model, args.aggregate_practices)
    agg_scaled = per_practice * n
    report(f"(b) aggregate.build x 8,000 (from {args.aggregate_practices} practices)",
           agg_scaled, float("nan"), f"FFT is {agg_scaled / t:,.0f}x faster")


if __name__ == "__main__":
    main()
