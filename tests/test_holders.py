"""Budgets held by a footprint: each consortium as one holder (Scenario(holder="consortium"))."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.errors import ValidationError
from pbcmodel.scenario.holders import holders


def _two_footprints() -> pbc.Scenario:
    """Four practices of 1,000 patients in two footprints (F1: A, B; F2: C, D), equal
    budgets of £250,000 each (resource £1m, equal lists and weights)."""
    rows = [{"practice": p, "consortium": c, "age_band": "25_29", "sex": "F",
             "patients": 1_000} for p, c in zip("ABCD", ["F1", "F1", "F2", "F2"], strict=True)]
    pop = pbc.Population.from_frame(pd.DataFrame(rows))
    weights = pbc.datasets.example_cost_weights()
    return pbc.Scenario(population=pop, formula=pbc.CapitationFormula(weights=weights),
                        resource=1e6, savings=pbc.sharing.pbc_freed_up(0.5),
                        overspend=pbc.OverspendPolicy(tolerance=0.02, practice_share=0.5),
                        holder="consortium")


def test_footprint_is_settled_as_one_holder_not_as_its_practices() -> None:
    scn = _two_footprints()
    budgets = scn.budgets()["total"]
    assert budgets.round(2).tolist() == [250_000.0] * 4
    # A overspends by £10,000, B underspends by £10,000: F1 is on budget, nothing to share;
    # C and D each overspend by £15,000: F2 £530,000 against £500,000, 6% over; the
    # first 2% (£10,000) is the commissioner's, half of the other £20,000 is F2's: -£10,000
    outturn = pd.Series([260_000.0, 240_000.0, 265_000.0, 265_000.0], index=list("ABCD"))
    frame = scn.settle(outturn).to_frame()
    assert frame.index.tolist() == ["F1", "F2"]
    assert frame.loc["F1", ["budget", "outturn", "variance", "practice_amount"]].tolist() == [
        500_000.0, 500_000.0, 0.0, 0.0]
    assert frame.loc["F2", "variance"] == -30_000.0
    assert frame.loc["F2", "practice_amount"] == -10_000.0
    assert frame.loc["F2", "commissioner_amount"] == -20_000.0
    # held by practices, A alone bears half of its £10,000 beyond £5,000: -£2,500, and B
    # keeps half of its £10,000 underspend: +£5,000; the footprint nets them instead
    by_practice = scn.evolve(holder="practice").settle(outturn).to_frame()
    assert by_practice.loc["A", "practice_amount"] == -2_500.0
    assert by_practice.loc["B", "practice_amount"] == 5_000.0


def test_holder_budget_is_its_practices_budgets_to_the_penny() -> None:
    scn = pbc.Scenario.example(holder="consortium")
    practice = pbc.money.allocate_pennies(scn.budgets()["total"].to_numpy(), name="b")
    per = pd.Series(practice, index=scn.population.codes).groupby(
        scn.population.hierarchy["consortium"]).sum()
    res = scn.simulate(n=200, years=1, seed=3)
    first_year = np.rint(res.budget[0] * 100).astype(np.int64)       # year × holder
    assert first_year.tolist() == [int(per[c]) for c in res.practices]


def test_footprint_results_come_from_the_same_draws_added_up() -> None:
    # the consortium's outturn is its practices' simulated spend added up, exactly
    scn = pbc.Scenario.example()
    a = scn.simulate(n=300, years=2, seed=5, keep="full")
    b = scn.evolve(holder="consortium").simulate(n=300, years=2, seed=5, keep="full")
    per_practice = a.outturn_pence                       # simulation × practice × year
    groups = pd.factorize(scn.population.hierarchy["consortium"])[0]
    summed = np.stack([per_practice[:, groups == g, :].sum(axis=1)
                       for g in range(groups.max() + 1)], axis=1)
    assert np.array_equal(summed, b.outturn_pence)
    assert b.practices.tolist() == ["C1", "C2", "C3", "C4"]
    assert int(b.list_size.sum()) == int(scn.population.list_size.sum())


def test_larger_footprints_miss_their_budget_less_often() -> None:
    scn = pbc.Scenario.example(practice_effects=pbc.risk.PracticeEffects.dixon_2011())
    practices = scn.simulate(n=2_000, years=1, seed=2).outturn_misses(0.05)["over"]
    footprints = scn.evolve(holder="consortium").simulate(
        n=2_000, years=1, seed=2).outturn_misses(0.05)["over"]
    assert footprints.mean() < practices.mean()


def test_holder_round_trips_in_scenario_files_and_is_not_written_by_default() -> None:
    scn = pbc.Scenario.example()
    assert "holder" not in scn.to_toml()
    held = scn.evolve(holder="consortium")
    assert 'holder = "consortium"' in held.to_toml()
    assert pbc.Scenario.from_toml(held.to_toml()) == held
    assert pbc.Scenario.from_json(held.to_json()) == held


def test_describe_says_who_holds() -> None:
    assert any("held by each consortium" in line
               for line in pbc.Scenario.example(holder="consortium").describe())


@pytest.mark.parametrize("bad", ["pcn", "", 3, None])
def test_unknown_holder_is_named(bad: object) -> None:
    with pytest.raises(ValidationError, match="holder: expected 'practice'.*got"):
        pbc.Scenario.example(holder=bad)


def test_learning_with_footprint_holders_is_refused_naming_both() -> None:
    with pytest.raises(ValidationError, match="holder: learning budgets"):
        pbc.Scenario.example(holder="consortium",
                             learning=pbc.credibility.LearningBudgets(k=1_000.0))


def test_scenario_file_with_unknown_holder_names_the_key() -> None:
    text = 'holder = "neighbourhood"\n' + pbc.Scenario.example().to_toml()
    with pytest.raises(pbc.errors.ConfigError, match=r"\$\.holder.*neighbourhood"):
        pbc.Scenario.from_toml(text)


def test_conditions_per_footprint_are_aligned_to_the_footprints() -> None:
    scn = pbc.Scenario.example(
        holder="consortium", savings=pbc.sharing.pbc_freed_up(0.7, gates=["plan_approved"]),
        conditions={"plan_approved": pd.Series([True, False, True, True],
                                               index=["C1", "C2", "C3", "C4"])})
    res = scn.simulate(n=300, years=1, seed=1, keep="full")
    # C2's plan is not approved: it never keeps an underspend
    c2 = list(res.practices).index("C2")
    assert (res.practice_amount_pence[:, c2, :] <= 0).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=12),
       st.lists(st.integers(-10**9, 10**9), min_size=12, max_size=12))
def test_gather_keeps_every_penny(groups: list[int], pence: list[int]) -> None:
    rows = [{"practice": f"P{i:02d}", "consortium": f"C{g}", "age_band": "25_29",
             "sex": "F", "patients": 10} for i, g in enumerate(groups)]
    pop = pbc.Population.from_frame(pd.DataFrame(rows))
    held = holders(pop, "consortium")
    x = np.array(pence[:len(groups)], dtype=np.int64)[None, :]
    out = held.gather(x)
    assert out.dtype == np.int64
    assert int(out.sum()) == int(x.sum())
    for code, total in zip(held.codes, out[0], strict=True):
        assert total == sum(p for p, g in zip(x[0], groups, strict=True) if f"C{g}" == code)


def test_footprint_settlement_reads_outturn_by_practice_code_not_position() -> None:
    scn = _two_footprints()
    outturn = pd.Series([260_000.0, 240_000.0, 265_000.0, 265_000.0], index=list("ABCD"))
    shuffled = outturn.iloc[[2, 0, 3, 1]]
    assert scn.settle(shuffled).to_frame().equals(scn.settle(outturn).to_frame())
    with pytest.raises(ValidationError, match="outturn: missing practice code.*'D'"):
        scn.settle(outturn.drop("D"))
    with pytest.raises(ValidationError, match="outturn: .*unknown practice code.*'E'"):
        scn.settle(pd.concat([outturn, pd.Series({"E": 1.0})]))
