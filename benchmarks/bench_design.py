"""Policy design: a 3-parameter search on the example commissioner and at national size.

Run: ``python benchmarks/bench_design.py`` (add ``--quick`` for a small smoke run).

The space is the overspend policy's practice share (0–1), tolerance (0–5% of budget) and cap
(1–10% of budget); the aim is the smallest commissioner TVaR95 with every list-size band's
chance of a practice losing more than 2% of budget in a year at most 10%, and (example
commissioner) expected freed-up money of at least £3m a year. Each line prints the wall
time, the candidates simulated, the time per candidate and the ratio of the whole design to
the baseline: one ``Scenario.simulate`` of the same size, timed in the same run.

1. ``Scenario.example()`` (60 practices), 1,000 simulations per candidate, 150 candidates.
2. ``synthetic_commissioner(8000)`` (≈ 60m patients), 1,000 simulations per candidate, one
   year, ``optimise``'s default evaluations and fresh replicates (issue 27: under 120 s).
"""

from __future__ import annotations

import argparse
import time
import warnings

import pbcmodel as pbc
from pbcmodel.design import DesignWarning, optimise

SPACE = {"overspend.practice_share": (0.0, 1.0), "overspend.tolerance": (0.0, 0.05),
         "overspend.cap": (0.01, 0.1)}
RISK = {"max_band_prob_loss_over_2pct": {"max": 0.10}}


def national_scenario(practices: int) -> pbc.Scenario:
    pop = pbc.datasets.synthetic_commissioner(practices, seed=0)
    return pbc.Scenario(
        population=pop,
        formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
                                      top_slices={"contingency": 0.01}),
        resource=1000.0 * pop.list_size.sum(), cost_model=pbc.datasets.example_cost_model(),
        savings=pbc.sharing.pbc_freed_up(0.7),
        overspend=pbc.OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05),
        common_shock_cv=0.02, name="national")


def bench(label: str, scn: pbc.Scenario, constraints: dict, n: int, evaluations: int = 200,
          replicates: int = 5) -> None:
    start = time.perf_counter()
    scn.simulate(n=n, years=1, seed=0)
    one = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DesignWarning)
        best = optimise(scn, SPACE, "commissioner_tvar95", constraints, n=n, years=1,
                        max_evaluations=evaluations, replicates=replicates, seed=0)
    seconds = time.perf_counter() - start
    sims = best.evaluations + best.replicates
    print(f"{label}: {scn.population.n_practices:,} practices, {n:,} simulations per "
          f"candidate, 1 year")
    print(f"  design    {seconds:8.1f} s   {best.evaluations} candidates "
          f"({best.generations} generations after the first) + {best.replicates} fresh "
          f"replicates   {seconds / sims:6.2f} s per simulation")
    print(f"  baseline  {one:8.1f} s   one simulate() of the same size   ratio "
          f"{seconds / one:.0f}x")
    chosen = ", ".join(f"{k.split('.')[-1]} {v:.4f}" for k, v in best.parameters.items())
    print(f"  chosen: {chosen}; feasible on the search draws: {best.feasible}")
    print(best.figures[["search", "fresh", "fresh_se", "fresh_slack"]].to_string(
        float_format="{:,.5g}".format))
    for w in caught:
        print(f"  warning: {w.message}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args(argv)
    example = pbc.Scenario.example()
    freed = {**RISK, "expected_freed_up": {"min": 3e6}}
    if args.quick:
        bench("example", example, freed, n=200, evaluations=21, replicates=2)
        if not args.skip_national:
            bench("national", national_scenario(500), RISK, n=100, evaluations=21, replicates=2)
        return
    bench("example", example, freed, n=1_000, evaluations=150, replicates=5)
    if not args.skip_national:
        bench("national", national_scenario(8_000), RISK, n=1_000)   # optimise's defaults


if __name__ == "__main__":
    main()
