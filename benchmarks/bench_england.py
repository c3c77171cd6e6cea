"""Real England: national budgets from NHS England's embedded weighted populations.

Run: ``python benchmarks/bench_england.py``. Prints the time and peak memory of loading the
embedded 2026/27 data, of national budgets for all 6,281 practices (core index alone, and by
six component shares with top-slices; exact in pence) and their ratio to a bare numpy
baseline in the same run (the weighted share times the devolved resource, with no pence),
then simulates 10,000 × 3 years for one ICB's practices (NHS West Yorkshire ICB, 266).
Target: the budget step under 50 ms.
"""

from __future__ import annotations

import importlib

from _measure import measure, report

import pbcmodel as pbc

SHARES = {"general_and_acute": 0.55, "community_services": 0.1, "mental_health": 0.12,
          "maternity": 0.03, "prescribing": 0.1, "primary_medical_care": 0.1}
RESOURCE = 98_000_000_000.0


def main() -> None:
    module = importlib.import_module("pbcmodel.datasets.england_populations")
    loader = module._load.__wrapped__   # uncached
    t_load, m_load, wp = measure(lambda: loader("2026/27"), 1)
    report(f"load embedded 2026/27 ({wp.n_practices:,} practices)", t_load, m_load)
    core = wp.frame["core"].to_numpy()
    t_floor, m_floor, _ = measure(lambda: core / core.sum() * RESOURCE * 0.99, 20)
    report("baseline: numpy weighted share × resource", t_floor, m_floor)

    plain = pbc.capitation.WeightedCapitation(top_slices={"contingency": 0.01})
    t1, m1, b1 = measure(lambda: plain.budgets_pence(wp, RESOURCE), 10)
    assert int(b1["total"].sum()) == round(RESOURCE * 100) - round(RESOURCE * 0.01 * 100)
    report("budgets_pence(), core index, 6,281 practices", t1, m1,
           f"ratio {t1 / t_floor:,.0f}x baseline")
    mixed = pbc.capitation.WeightedCapitation(
        shares=SHARES, top_slices={"contingency": 0.01, "high_cost_pool": 0.005})
    t2, m2, _ = measure(lambda: mixed.budgets_pence(wp, RESOURCE), 10)
    report("budgets_pence(), six component shares", t2, m2,
           f"ratio {t2 / t_floor:,.0f}x baseline")
    t3, m3, _ = measure(lambda: pbc.capitation.need_index(wp), 10)
    report("need_index(), every practice against its ICB", t3, m3)

    icb = wp.subset(icb="QWO")
    index = pbc.capitation.need_index(icb)
    pop = icb.to_population(pbc.datasets.england_age_sex_profile(), cost_index=index)
    scn = pbc.Scenario(population=pop, resource=float(pop.list_size.sum()) * 1000.0,
                       formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
                                                     needs=index),
                       cost_model=pbc.datasets.example_cost_model(),
                       savings=pbc.sharing.pbc_freed_up(0.7),
                       overspend=pbc.OverspendPolicy(tolerance=0.02, practice_share=0.5))
    t4, m4, res = measure(lambda: scn.simulate(n=10_000, years=3, seed=1), 1)
    report(f"simulate 10,000 × 3 years, {pop.n_practices} West Yorkshire practices", t4, m4,
           f"{res.n:,} × {res.years}")


if __name__ == "__main__":
    main()
