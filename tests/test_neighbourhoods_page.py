"""The figures the user-guide page "Neighbourhoods: footprints that hold a budget" quotes.

The page (docs/user_guide/neighbourhoods.md) computes every figure at build time; its text
quotes some of them. These tests hold those quoted figures, computed as the page computes
them (same footprints, seeds and simulation counts), so a change to the engine or the data
that moves them fails here, naming the page to reword.
"""

from __future__ import annotations

import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.scenario.england import england_scenario
from pbcmodel.scenario.footprint_risk import FootprintRisk, footprint_risk
from pbcmodel.scenario.scenario import Scenario

PAGE = "docs/user_guide/neighbourhoods.md"
N, YEARS, SEED = 2_000, 2, 24


@pytest.fixture(scope="module")
def levels() -> dict[str, pbc.Footprints]:
    return {level: pbc.datasets.footprints(level, icb="QWO") for level in ("pcn", "place", "icb")}


@pytest.fixture(scope="module")
def scn() -> Scenario:
    return england_scenario("QWO")


@pytest.fixture(scope="module")
def neighbourhoods(scn: Scenario, levels: dict[str, pbc.Footprints]) -> Scenario:
    return scn.evolve(population=levels["pcn"].apply(scn.population), holder="consortium",
                      name="PCNs")


@pytest.fixture(scope="module")
def risk(scn: Scenario, levels: dict[str, pbc.Footprints]) -> FootprintRisk:
    return footprint_risk(scn, levels, n=N, years=YEARS, seed=SEED)


def test_match_counts_of_the_2022_23_mapping():
    """Prose: 6,249 matched, 32 not in the payments, 420 not in the weighted populations
    (176 closed by March 2023, 244 since), 89 matched without a PCN."""
    s = pbc.datasets.pcn_match("2026/27").summary()
    assert (s["matched"], s["not_in_payments"], s["not_in_weighted"]) == (6249, 32, 420), PAGE
    assert (s["closed_by_2022_23"], s["no_close_date"]) == (176, 244), PAGE
    assert s["matched_without_pcn"] == 89, PAGE


def test_england_pcn_footprints():
    """Prose: 6,281 practices, 1,386 footprints = 1,264 PCNs (one split in two) + 121
    practices with no PCN; median about 44,000 patients."""
    wp = pbc.datasets.england("2026/27")
    pcns = pbc.datasets.footprints("pcn")
    sizes = pcns.sizes(wp.frame["registered"])
    alone = sizes.index.isin(wp.frame.index)
    split = sizes.index.str.contains(r" \(", regex=True)
    assert len(wp.frame) == 6281 and pcns.n_footprints == 1386, PAGE
    assert int(split.sum()) == 2 and int(alone.sum()) == 121, PAGE
    assert int((~alone & ~split).sum()) + 1 == 1264, PAGE
    assert sizes.median() == pytest.approx(44_000, abs=500), PAGE


def test_west_yorkshire_footprints(levels):
    """Prose: 54 PCN footprints (two practices with no PCN, of 20 and 25 patients), 6 places,
    one ICB."""
    qwo = pbc.datasets.england("2026/27").subset(icb="QWO").frame["registered"]
    assert [fp.n_footprints for fp in levels.values()] == [54, 6, 1], PAGE
    sizes = levels["pcn"].sizes(qwo)
    alone = sizes[sizes.index.isin(qwo.index)]
    assert sorted(alone.round().tolist()) == [20, 25], PAGE


def test_worked_settlement():
    """Prose: apart, A bears £110,000, B keeps £140,000, commissioner -£130,000; together
    the footprint bears nothing and the commissioner meets £100,000."""
    savings = pbc.sharing.pbc_freed_up(0.7)
    overspend = pbc.OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05)
    budgets = pd.Series({"A": 4_000_000.0, "B": 6_000_000.0})
    spend = pd.Series({"A": 4_300_000.0, "B": 5_800_000.0})
    apart = pbc.settle(budgets, spend, savings=savings, overspend=overspend).to_frame()
    together = pbc.settle(pd.Series({"A+B": budgets.sum()}), pd.Series({"A+B": spend.sum()}),
                          savings=savings, overspend=overspend).to_frame()
    assert apart["practice_amount"].tolist() == [-110_000.0, 140_000.0], PAGE
    assert apart["commissioner_amount"].sum() == -130_000.0, PAGE
    assert together["practice_amount"].tolist() == [0.0], PAGE
    assert together["commissioner_amount"].tolist() == [-100_000.0], PAGE


def test_risk_by_footprint_size(risk):
    """Prose: 18% at 50,000, 10.8% at 100,000, 6.6% at 250,000; at most 5% from about
    370,000 (Wakefield: 33 practices, 372,111
    patients); Modality (Keighley) PCN, one practice of 87,000, 30%; Craven, two practices
    of 25,000, 26%; the two smallest footprints over 5% in 32% of years and over 10% in 28%."""
    assert risk.chance_at(50_000) == pytest.approx(0.18, abs=0.005), PAGE
    assert risk.chance_at(100_000) == pytest.approx(0.108, abs=0.0005), PAGE
    assert risk.chance_at(250_000) == pytest.approx(0.066, abs=0.0005), PAGE
    assert risk.smallest(at_most=0.05) == pytest.approx(370_000, abs=5_000), PAGE
    pcn, place = risk.table.loc["pcn"], risk.table.loc["place"]
    keighley = pcn.loc["U85476"]                    # Modality (Keighley) PCN: one practice
    assert (keighley["practices"], round(keighley["list_size"], -3)) == (1, 87_000), PAGE
    assert round(keighley["prob_over_5pct"], 2) == 0.30, PAGE
    assert keighley["prob_over_5pct"] == pcn.loc[pcn["list_size"] > 1000, "prob_over_5pct"].max(), \
        PAGE
    craven = place.loc["E07000163"]
    assert (craven["practices"], round(craven["list_size"], -3)) == (2, 25_000), PAGE
    assert round(craven["prob_over_5pct"], 2) == 0.26, PAGE
    assert (place["list_size"] > 100_000).sum() == 5, PAGE
    assert risk.smallest(at_most=0.05) == place.loc["E08000036", "list_size"] == 372_111, PAGE
    assert place.loc["E08000036", "practices"] == 33, PAGE
    smallest = pcn.nsmallest(2, "list_size")
    assert smallest["prob_over_5pct"].round(2).tolist() == [0.32, 0.32], PAGE
    assert smallest["prob_over_10pct"].round(2).tolist() == [0.28, 0.28], PAGE


def test_corridor_for_a_neighbourhood(risk, neighbourhoods):
    """Prose: all up to 2% and 46% of the rest; a loss beyond 5% from an overspend of about
    8.5%; settled, the neighbourhoods' chance of such a loss is the 250,000 footprint's 6.6%."""
    match = risk.corridor_to_match("pcn", 50_000, 250_000, fraction=0.05, band=0.02)
    assert round(match.share, 2) == 0.46, PAGE
    assert match.threshold == pytest.approx(0.085, abs=0.0005), PAGE
    result = neighbourhoods.evolve(savings=match.schedule, overspend=None,
                                   name="corridor").simulate(n=N, years=YEARS, seed=SEED)
    near = result.metrics(loss_fraction=0.05).loc[match.footprints, "prob_loss_over_fraction"]
    assert near.mean() == pytest.approx(0.066, abs=0.0005), PAGE
    assert near.mean() == pytest.approx(match.target, abs=0.001), PAGE


def test_contract_terms(neighbourhoods):
    """Prose: the 2% withhold at a quality score of 0.9 moves £5.4m a year (0.2% of £2.7bn)
    from holders to commissioner and makes their losses a little likelier; the pool pays
    £35.7m a year, 1.3% of spend, and trims a 50,000 footprint's chance cv from 1.39% to 1.15%."""
    reach = neighbourhoods.evolve(savings=pbc.sharing.aco_reach_professional(),
                                  overspend=None, name="ACO REACH Professional")
    withhold = reach.evolve(withhold=pbc.QualityWithhold(0.02),
                            conditions={"quality_met": 0.9}, name="+ 2% quality withhold")
    before, after = (s.simulate(n=N, years=YEARS, seed=SEED) for s in (reach, withhold))
    moved = (before.summary()["expected_practice_amount"]
             - after.summary()["expected_practice_amount"])
    kept = (after.summary()["commissioner_mean_kept_all_years"]
            - before.summary()["commissioner_mean_kept_all_years"]) / YEARS
    assert round(moved / 1e6, 1) == 5.4 and kept == pytest.approx(moved, rel=1e-6), PAGE
    assert round(float(after.budget[0].sum()) / 1e9, 1) == 2.7, PAGE
    losses = [r.metrics(loss_fraction=0.05)["prob_loss_over_fraction"].mean()
              for r in (before, after)]
    assert losses[0] < losses[1], PAGE

    pop, model = neighbourhoods.population, neighbourhoods.cost_model
    pool = {"high_cost_threshold": 50_000, "high_cost_pool_share": pbc.risk.MORBI_RSA_POOL_SHARE}
    paid = pbc.risk.spend_distribution(pop, model, part="excess", **pool).mean.sum()
    whole = pbc.risk.pool(pbc.risk.spend_distribution(pop, model), "consortium")
    kept_dist = pbc.risk.pool(pbc.risk.spend_distribution(pop, model, **pool), "consortium")
    assert round(paid / 1e6, 1) == 35.7, PAGE
    assert round(paid / whole.mean.sum(), 3) == 0.013, PAGE
    size = pbc.datasets.footprints("pcn", icb="QWO").sizes(pop.list_size)
    typical = size[(size >= 37_500) & (size <= 62_500)].index
    assert round(whole.cv[typical].median(), 4) == 0.0139, PAGE
    assert round(kept_dist.cv[typical].median(), 4) == 0.0115, PAGE


def test_design_across_footprints(neighbourhoods):
    """Prose: the footprints can bear about 58% of an overspend beyond 2% of budget."""
    design = pbc.design.optimise(
        neighbourhoods.evolve(**{"overspend.cap": None}),
        space={"overspend.practice_share": (0, 1)}, objective="commissioner_tvar95",
        constraints={"practices_prob_loss_over_5pct": {"max": 0.05}},
        n=1_000, years=1, seed=SEED, max_evaluations=16, replicates=2)
    assert design.feasible, PAGE
    assert design.parameters["overspend.practice_share"] == pytest.approx(0.58, abs=0.005), PAGE
