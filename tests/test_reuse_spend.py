"""Spend prepared once for many simulations (scenario.plan.reuse_spend), as a design does."""

from __future__ import annotations

import pandas as pd

import pbcmodel as pbc
from pbcmodel.scenario.plan import reuse_spend, spend_sampler


def test_results_are_the_same_with_the_spend_reused() -> None:
    scn = pbc.Scenario.example()
    variant = scn.evolve(overspend=pbc.OverspendPolicy(practice_share=0.3))
    alone = [s.simulate(n=300, years=2, seed=4).summary() for s in (scn, variant)]
    with reuse_spend():
        reused = [s.simulate(n=300, years=2, seed=4).summary() for s in (scn, variant)]
    for a, b in zip(alone, reused, strict=True):
        pd.testing.assert_series_equal(a, b, check_exact=True, check_series_type=False)


def test_other_inputs_are_prepared_anew_and_only_the_latest_is_kept() -> None:
    scn = pbc.Scenario.example()
    other = scn.evolve(high_cost_threshold=40_000)
    with reuse_spend():
        first = spend_sampler(scn, "fft")
        assert spend_sampler(scn.evolve(name="renamed"), "fft") is first   # same inputs
        assert spend_sampler(scn, "normal") is not first                   # another method
        changed = spend_sampler(other, "fft")
        assert changed is not first
        assert spend_sampler(other, "fft") is changed
        assert spend_sampler(scn, "fft") is not first      # only the latest was kept


def test_outside_the_block_nothing_is_kept() -> None:
    scn = pbc.Scenario.example()
    with reuse_spend():
        inside = spend_sampler(scn, "fft")
    assert spend_sampler(scn, "fft") is not inside
