"""Budget setting at national scale: ``synthetic_commissioner(8000)``.

Run: ``python benchmarks/bench_budgets.py``. Prints the time and peak memory of the budget
step (with and without pace of change) and its ratio to a baseline in the same run: the
single matrix product patients × weights that any capitation needs (the floor).
"""

from __future__ import annotations

import numpy as np
from _measure import measure, report

import pbcmodel as pbc


def main() -> None:
    t_pop, m_pop, pop = measure(lambda: pbc.datasets.synthetic_commissioner(8000, seed=0), 1)
    report(f"synthetic_commissioner(8000): {pop.list_size.sum():,} patients", t_pop, m_pop)
    weights = pbc.datasets.example_cost_weights()
    counts = pop.counts.to_numpy(dtype=float)
    w = weights.to_numpy()
    t_floor, m_floor, _ = measure(lambda: counts @ w, 5)
    report("baseline: patients @ weights (numpy floor)", t_floor, m_floor)

    formula = pbc.CapitationFormula(weights=weights, top_slices={"contingency": 0.01})
    resource = 1000.0 * pop.list_size.sum()
    t, m, budgets = measure(lambda: formula.budgets(pop, resource), 5)
    report("budgets(), fair shares", t, m, f"ratio {t / t_floor:,.0f}x floor")

    historic = budgets["total"] * np.exp(np.sin(np.arange(len(budgets))) * 0.1)
    paced = formula.evolve(pace=pbc.PaceOfChange(max_gain=0.05, max_loss=0.02))
    t2, m2, _ = measure(lambda: paced.budgets(pop, resource, historic), 5)
    report("budgets(), with historic + pace of change", t2, m2, f"ratio {t2 / t_floor:,.0f}x floor")


if __name__ == "__main__":
    main()
