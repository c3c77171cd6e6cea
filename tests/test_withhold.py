"""The quality withhold (pbcmodel.withhold): amounts, settlement, scenario, files, bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.errors import ConfigError, ValidationError
from pbcmodel.overspend import OverspendPolicy
from pbcmodel.settlement import settle
from pbcmodel.settlement.core import settle_arrays
from pbcmodel.sharing import pbc_freed_up
from pbcmodel.withhold import QualityWithhold

MILLION = 100_000_000          # £1,000,000 in pence


def _one(budget: float, outturn: float, met: object, **kwargs: object) -> pd.Series:
    st_ = settle(pd.Series({"P1": budget}), pd.Series({"P1": outturn}),
                 withhold=QualityWithhold(0.02), conditions={"quality_met": met}, **kwargs)
    return st_.to_frame().loc["P1"]


# ----------------------------------------------------------------------------- by hand
def test_met_with_savings_share_pays_the_withhold_back():
    # budget £1,000,000, outturn £950,000: underspend £50,000; 50% to the practice = £25,000
    # withheld 2% × £1,000,000 = £20,000, all earned back: nothing kept by the commissioner
    row = _one(1e6, 950_000.0, True, savings=pbc_freed_up(0.5))
    assert row["withheld"] == 20_000.0
    assert row["withhold_earned"] == 20_000.0
    assert row["withhold_unearned"] == 0.0
    assert row["practice_amount"] == 25_000.0            # 25,000 − 0
    assert row["commissioner_amount"] == 25_000.0        # 50,000 − 25,000
    assert row["net_to_practice"] == 25_000.0


def test_not_met_with_savings_share_is_kept_by_the_commissioner():
    # as above, but quality not met: the £20,000 withheld is kept by the commissioner
    row = _one(1e6, 950_000.0, False, savings=pbc_freed_up(0.5))
    assert row["withhold_earned"] == 0.0
    assert row["withhold_unearned"] == 20_000.0
    assert row["freed_up"] == 25_000.0                   # the share itself is unchanged
    assert row["practice_amount"] == 5_000.0             # 25,000 − 20,000
    assert row["commissioner_amount"] == 45_000.0        # 50,000 − 5,000
    assert row["net_to_practice"] == 5_000.0             # 25,000 freed up − 20,000 unearned
    assert row["liability"] == 0.0                       # the withhold is not a liability
    assert row["commissioner_net"] == 45_000.0           # 50,000 − 5,000


def test_partial_earn_back():
    # a quality score earning back 75%: 0.75 × £20,000 = £15,000; £5,000 kept
    row = _one(1e6, 1e6, 0.75)
    assert (row["withhold_earned"], row["withhold_unearned"]) == (15_000.0, 5_000.0)
    assert row["practice_amount"] == -5_000.0            # on budget: 0 − 5,000
    assert row["commissioner_amount"] == 5_000.0


def test_unearned_withhold_is_kept_out_of_clawback_and_recovery():
    # overspend £40,000; the practice bears 50% = £20,000, recovered from next year's budget.
    # Quality not met: £20,000 withheld kept by the commissioner, and NOT added to the
    # liability (it was never paid, so there is nothing to recover).
    row = _one(1e6, 1_040_000.0, False,
               overspend=OverspendPolicy(practice_share=0.5, recovery_years=1))
    assert row["liability"] == 20_000.0
    assert row["recovery_due"] == 20_000.0
    assert row["practice_amount"] == -40_000.0           # −20,000 borne − 20,000 unearned
    assert row["commissioner_amount"] == 0.0             # −40,000 − (−40,000)
    assert row["net_to_practice"] == -20_000.0           # the unearned withhold only


def test_withheld_pence_rounds_half_up():
    # £12.25 × 2% = 24.5p → 25p (half up; numpy's half-to-even would give 24p)
    assert QualityWithhold(0.02).withheld_pence([1225]).tolist() == [25]
    # earned back 50% of 25p = 12.5p → 13p; the commissioner keeps 12p
    withheld, earned = QualityWithhold(0.02).amounts_pence([1225], 0.5)
    assert (int(withheld[0]), int(earned[0])) == (25, 13)


def test_no_withhold_is_all_zero_views_and_columns_absent():
    r = settle_arrays(np.array([MILLION]), np.array([[MILLION - 5]]),
                      savings=pbc_freed_up(0.7))
    assert not r.withheld.any() and not r.withhold_earned.any()
    assert not any(r.withheld.strides)
    frame = settle(pd.Series({"A": 10.0}), pd.Series({"A": 9.0})).to_frame()
    assert "withheld" not in frame.columns


def test_condition_per_practice_and_per_simulation():
    budget = np.array([MILLION, 2 * MILLION])
    outturn = np.array([[MILLION, 2 * MILLION], [MILLION, 2 * MILLION]])
    met = np.array([[True, False], [False, True]])
    r = settle_arrays(budget, outturn, withhold=QualityWithhold(0.02),
                      conditions={"quality_met": met})
    assert r.withheld.tolist() == [[2_000_000, 4_000_000]] * 2
    assert r.practice_amount.tolist() == [[0, -4_000_000], [-2_000_000, 0]]


# ----------------------------------------------------------------------------- properties
_money = st.integers(min_value=1, max_value=10**10)
_earned = st.one_of(st.booleans(), st.floats(min_value=0.0, max_value=1.0))
_schedules = st.sampled_from([None, pbc_freed_up(0.7), pbc.sharing.aco_reach_global()])


@settings(max_examples=200, deadline=None)
@given(budget=_money, outturn=st.integers(min_value=0, max_value=2 * 10**10),
       fraction=st.floats(min_value=0.0, max_value=1.0), earned=_earned,
       schedule=_schedules)
def test_money_conserved_to_the_penny(budget, outturn, fraction, earned, schedule):
    r = settle_arrays(np.array([budget]), np.array([[outturn]]), savings=schedule,
                      withhold=QualityWithhold(fraction), conditions={"quality_met": earned})
    assert (r.practice_amount + r.commissioner_amount == r.variance).all()
    assert (0 <= r.withhold_earned).all() and (r.withhold_earned <= r.withheld).all()
    assert (r.withheld <= budget).all()
    assert (r.practice_amount + r.withhold_unearned == r.freed_up - r.liability).all()
    assert (r.net_to_practice + (r.variance - r.net_to_practice) == r.variance).all()


@settings(max_examples=200, deadline=None)
@given(budget=_money, outturns=st.lists(st.integers(min_value=0, max_value=2 * 10**10),
                                        min_size=2, max_size=8),
       fraction=st.floats(min_value=0.0, max_value=1.0), earned=_earned,
       schedule=_schedules)
def test_holders_amount_does_not_rise_with_outturn(budget, outturns, fraction, earned,
                                                   schedule):
    outturn = np.sort(np.array(outturns, dtype=np.int64))
    r = settle_arrays(np.array([budget]), outturn[:, None], savings=schedule,
                      withhold=QualityWithhold(fraction), conditions={"quality_met": earned})
    assert (np.diff(r.practice_amount[:, 0]) <= 0).all()


# ----------------------------------------------------------------------------- scenario
def _with_withhold(met: pd.Series | bool) -> pbc.Scenario:
    scn = pbc.Scenario.example()
    return scn.evolve(withhold=QualityWithhold(0.02),
                      conditions={**scn.conditions, "quality_met": met})


def test_scenario_settle_and_describe():
    codes = pbc.Scenario.example().population.codes
    met = pd.Series([i % 2 == 0 for i in range(len(codes))], index=codes)
    scn = _with_withhold(met)
    assert scn.describe()[-1] == ("quality withhold: 2% of budget, earned back where "
                                  "quality_met holds")
    frame = scn.settle(scn.budgets()["total"]).to_frame(pence=True)
    assert (frame["withhold_earned"] == np.where(met, frame["withheld"], 0)).all()
    assert (frame["practice_amount"] + frame["commissioner_amount"]
            == frame["variance"]).all()


def test_simulation_takes_exactly_the_unearned_withhold():
    codes = pbc.Scenario.example().population.codes
    met = pd.Series([i % 3 != 0 for i in range(len(codes))], index=codes)
    base = pbc.Scenario.example().simulate(n=200, seed=3, keep="full")
    held = _with_withhold(met).simulate(n=200, seed=3, keep="full")
    diff = (held.practice_amount_pence.astype(np.int64)
            - base.practice_amount_pence.astype(np.int64))[..., 0]
    budgets = pbc.money.allocate_pennies(pbc.Scenario.example().budgets()["total"].to_numpy())
    withheld = QualityWithhold(0.02).withheld_pence(budgets)
    # the same draws: practices that met the condition lose nothing, the others exactly
    # their withhold, in every simulation
    assert (diff == np.where(met.to_numpy(), 0, -withheld)).all()
    everyone = _with_withhold(True).simulate(n=200, seed=3, keep="full")
    assert (everyone.practice_amount_pence == base.practice_amount_pence).all()


def test_scenario_file_round_trip():
    scn = _with_withhold(True)
    text = scn.to_toml()
    assert '[withhold]\nfraction = 0.02\ncondition = "quality_met"' in text
    assert pbc.Scenario.from_toml(text) == scn
    assert pbc.Scenario.from_json(scn.to_json()) == scn
    assert pbc.Scenario.from_dict(scn.to_dict()).withhold == QualityWithhold(0.02)


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(("value", "match"), [
    (1.2, r"fraction: .*\[0, 1\] \(0\.02 for 2%\), got 1\.2 \(1\.2 × the budget, 120% of it\)"),
    (-0.1, r"fraction: .*got -0\.1 \(-0\.1 × the budget, -10% of it\)"),
    ("2%", r"fraction: expected a fraction of the budget as a number \(0\.02 for 2%\), "
           r"got '2%'"),
    (None, "fraction: expected a number"),
    (True, "fraction: expected a number"),
    (float("nan"), "fraction: must be finite"),
])
def test_bad_fraction(value, match):
    with pytest.raises(ValidationError, match=match):
        QualityWithhold(value)


def test_bad_condition_name():
    with pytest.raises(ValidationError, match="condition: expected a non-empty string"):
        QualityWithhold(0.02, condition=" ")


def test_condition_absent_at_scenario_build_names_the_key():
    with pytest.raises(ValidationError, match="withhold: condition 'quality_met' was not "
                                              "given .*'commissioner_in_balance'"):
        pbc.Scenario.example(withhold=QualityWithhold(0.02))


def test_condition_absent_at_settle_names_the_key():
    with pytest.raises(ValidationError, match="withhold: condition 'quality_met' was not "
                                              "given"):
        settle_arrays(np.array([MILLION]), np.array([MILLION]),
                      withhold=QualityWithhold(0.02))


def test_condition_not_used_without_withhold_still_refused():
    with pytest.raises(ValidationError, match="'quality_met' not used .*by the withhold"):
        settle_arrays(np.array([MILLION]), np.array([MILLION]),
                      conditions={"quality_met": True})


@pytest.mark.parametrize("value", [1.5, -0.5, "yes"])
def test_bad_condition_value(value):
    with pytest.raises(ValidationError, match="condition 'quality_met'"):
        settle_arrays(np.array([MILLION]), np.array([MILLION]),
                      withhold=QualityWithhold(0.02), conditions={"quality_met": value})


def test_bad_withhold_type_in_scenario():
    with pytest.raises(ValidationError, match="withhold: expected a quality withhold"):
        pbc.Scenario.example(withhold=0.02)


def test_bad_fraction_in_scenario_file_names_the_key():
    text = pbc.Scenario.example(withhold=QualityWithhold(0.02),
                                conditions={"commissioner_in_balance": "from_outturn",
                                            "quality_met": True}).to_toml()
    with pytest.raises(ConfigError, match=r"\$\.withhold\.fraction: .*got 1\.2"):
        pbc.Scenario.from_toml(text.replace("fraction = 0.02", "fraction = 1.2"))
    with pytest.raises(ConfigError, match=r"\$\.withhold\.fraction: .*'2%'"):
        pbc.Scenario.from_toml(text.replace("fraction = 0.02", 'fraction = "2%"'))
