"""Benchmark: in-year monitoring and benchmarking at national scale (8,000 practices).

Run as ``python benchmarks/bench_monitoring.py [n_practices] [month]``.
Prints wall time and peak traced memory (tracemalloc) for:

* baseline — a pandas group-by sum of the year's tidy actuals by practice × POD × month
  (the least any year-to-date report must do with the same table);
* ``phase`` — annual budgets (practice × 7 PODs) spread with a seasonal profile by POD;
* ``year_to_date`` by practice and by consortium;
* ``forecast_outturn`` by practice (seasonal, 90% interval);
* ``indirect_standardise`` for one measure, ``overdispersion`` and ``funnel_flags``.

Inputs are built (not timed) from :func:`pbcmodel.datasets.synthetic_commissioner` and the
example cost weights, tariffs, seasonal shares and reference rates.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pbcmodel import benchmarking, monitoring, phasing
from pbcmodel.codes import PODS
from pbcmodel.datasets import (
    example_cost_weights,
    example_monthly_activity,
    example_reference_rates,
    synthetic_commissioner,
)


def timed(label: str, fn: Callable[[], Any]) -> float:
    """Run ``fn`` once, print its time and peak traced memory; return the time."""
    tracemalloc.start()
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:<44s} {elapsed:7.3f} s   peak {peak / 2**20:7.1f} MiB")
    return elapsed


def main() -> None:
    n_practices = int(sys.argv[1]) if len(sys.argv) > 1 else 8_000
    month = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    pop = synthetic_commissioner(n_practices, seed=0)
    budgets = pd.DataFrame(pop.counts.to_numpy() @ example_cost_weights().to_numpy(),
                           index=pop.codes, columns=pd.Index(PODS, name="pod"))
    hist = example_monthly_activity()
    profile = phasing.seasonal_profile(hist[hist["year"] < 2026])
    shares = profile.reindex(list(PODS)).to_numpy()
    rng = np.random.default_rng(np.random.SeedSequence(3))
    spend = (budgets.to_numpy()[:, :, None] * shares[None, :, :month]
             * rng.lognormal(0.0, 0.08, (n_practices, len(PODS), month)))
    idx = pd.MultiIndex.from_product([pop.codes, list(PODS), range(1, month + 1)],
                                     names=["practice", "pod", "month"])
    actual = pd.DataFrame({"cost": spend.reshape(-1)}, index=idx).reset_index()
    rates = example_reference_rates()["referrals"]
    expected_rate = pop.counts.to_numpy() @ rates.to_numpy()
    events = pd.Series(rng.poisson(expected_rate * rng.lognormal(0, 0.1, n_practices)),
                       index=pop.codes)
    print(f"{n_practices:,} practices, {len(actual):,} rows of actuals to month {month}")

    base = timed("baseline: group-by sum of actuals",
                 lambda: actual.groupby(["practice", "pod", "month"])["cost"].sum())
    phased = phasing.phase(budgets, profile)
    steps = {
        "phase (seasonal profile by POD)": lambda: phasing.phase(budgets, profile),
        "year_to_date by practice": lambda: monitoring.year_to_date(phased, actual, month),
        "year_to_date by consortium": lambda: monitoring.year_to_date(
            phased, actual, month, by="consortium", population=pop),
        "forecast_outturn by practice": lambda: monitoring.forecast_outturn(
            phased, actual, month),
        "indirect_standardise (one measure)": lambda: benchmarking.indirect_standardise(
            events, pop, rates),
    }
    for label, fn in steps.items():
        t = timed(label, fn)
        print(f"{'':<44s} {t / base:7.1f} × baseline")
    table = benchmarking.indirect_standardise(events, pop, rates)
    timed("overdispersion + funnel_flags (τ²)", lambda: benchmarking.funnel_flags(
        table["ratio"], table["expected"],
        tau2=benchmarking.overdispersion(table["observed"], table["expected"]).tau2))


if __name__ == "__main__":
    main()
