"""Tests for pbcmodel.sharing: schedules, gates, presets and their worked examples."""

from __future__ import annotations

import json

import cattrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.errors import ValidationError
from pbcmodel.sharing import (
    Gate,
    ShareSchedule,
    SideRule,
    aca_risk_corridor,
    mssp_minimum_savings_rate,
    mssp_one_sided,
    mssp_two_sided,
    part_d_corridor_2006,
    pbc_2004,
    pbc_freed_up,
)

# --------------------------------------------------------------------------- worked examples


def test_pbc_freed_up_splits_underspend_70_30():
    # budget 1,234,567 − spend 1,200,000 = 34,567; 70% = 24,196.90
    assert pbc_freed_up(0.7).practice_amount(1_234_567, 1_200_000) == pytest.approx(24_196.90)


def test_pbc_freed_up_shares_no_overspend():
    assert pbc_freed_up(0.7).practice_amount(100.0, 150.0) == 0.0


def test_pbc_2004_keeps_half():
    # 2,000,000 − 1,900,000 = 100,000; 50% = 50,000
    assert pbc_2004().practice_amount(2e6, 1.9e6) == pytest.approx(50_000)


def test_aca_corridor_published_example():
    # target 100, cost 110: plan bears 3 + 0.5 × 5 + 0.2 × 2 = 5.9 (Secretary pays 4.1)
    assert aca_risk_corridor().practice_amount(100.0, 110.0) == pytest.approx(-5.9)
    # symmetric: cost 90 → plan keeps 5.9 and pays 4.1 in
    assert aca_risk_corridor().practice_amount(100.0, 90.0) == pytest.approx(5.9)
    # inside the 3% corridor the plan keeps everything: cost 102 → −2
    assert aca_risk_corridor().practice_amount(100.0, 102.0) == pytest.approx(-2.0)


def test_part_d_2006_corridor():
    # cost 110 on target 100: 2.5 + 0.25 × 2.5 + 0.2 × 5 = 4.125 borne
    assert part_d_corridor_2006().practice_amount(100.0, 110.0) == pytest.approx(-4.125)
    # cost 104: 2.5 + 0.25 × 1.5 = 2.875
    assert part_d_corridor_2006().practice_amount(100.0, 104.0) == pytest.approx(-2.875)


@pytest.mark.parametrize(("n", "expected"), [
    (5_000, 0.039), (5_999, 0.036), (6_000, 0.036), (10_000, 0.030), (14_999, 0.027),
    (20_000, 0.025), (49_999, 0.022), (50_000, 0.022), (60_000, 0.020), (1_000_000, 0.020),
    # inside a band: 20,000–49,999 runs 2.5% → 2.2%; 35,000 is 15,000/29,999 of the way
    (35_000, 0.025 - 0.003 * 15_000 / 29_999),
])
def test_mssp_minimum_savings_rate_table(n, expected):
    assert mssp_minimum_savings_rate(n) == pytest.approx(expected)


def test_mssp_msr_is_non_increasing():
    rates = [mssp_minimum_savings_rate(n) for n in range(5_000, 70_000, 250)]
    assert all(np.diff(rates) <= 0)


def test_mssp_one_sided_first_dollar_once_msr_met():
    sched = mssp_one_sided(20_000)          # MSR 2.5%
    # savings exactly at the MSR qualify (meet or exceed): 50% × 250,000
    assert sched.practice_amount(10e6, 9.75e6) == pytest.approx(125_000)
    # just below: nothing
    assert sched.practice_amount(10e6, 9.7501e6) == 0.0
    # 20% savings: 50% × 2m = 1m = cap of 10% of benchmark; 30% savings still capped at 1m
    assert sched.practice_amount(10e6, 8e6) == pytest.approx(1e6)
    assert sched.practice_amount(10e6, 7e6) == pytest.approx(1e6)
    # no losses shared
    assert sched.practice_amount(10e6, 12e6) == 0.0


def test_mssp_two_sided_loss_caps_by_year():
    # overspend 3m on 10m: 40% × 3m = 1.2m; capped at 5% / 7.5% / 10% of 10m
    for year, cap in [(1, 0.5e6), (2, 0.75e6), (3, 1e6), (7, 1e6)]:
        assert mssp_two_sided(year=year).practice_amount(10e6, 13e6) == pytest.approx(-cap)
    # shared loss rate is 1 − sharing rate but at most 60%
    assert mssp_two_sided(0.3).practice_amount(10e6, 10.5e6) == pytest.approx(-0.6 * 0.5e6)
    # savings: 60% capped at 15% of the benchmark
    assert mssp_two_sided().practice_amount(10e6, 6e6) == pytest.approx(1.5e6)
    # below the 2% minimum loss rate: nothing
    assert mssp_two_sided().practice_amount(10e6, 10.1e6) == 0.0


def test_first_dollar_false_shares_only_the_excess():
    sched = ShareSchedule(savings=[(0, 0.5)], minimum_savings_rate=0.02, first_dollar=False)
    # 5% under on 1,000: 50% × (50 − 20) = 15
    assert sched.practice_amount(1000.0, 950.0) == pytest.approx(15.0)


def test_tiers_with_positive_first_threshold():
    sched = ShareSchedule(savings=[(0.01, 0.5), (0.05, 1.0)])
    # 10% under on 100: 0 below 1%; 50% of 1→5 = 2; 100% of 5→10 = 5 → 7
    assert sched.practice_amount(100.0, 90.0) == pytest.approx(7.0)


def test_vectorised_broadcasting_over_sims():
    budget = np.array([100.0, 200.0])
    outturn = np.array([[90.0, 210.0], [100.0, 180.0], [120.0, 200.0]])
    got = pbc_freed_up(0.5).practice_amount(budget, outturn)
    assert got.shape == (3, 2)
    np.testing.assert_allclose(got, [[5, 0], [0, 10], [0, 0]])


def test_series_are_aligned_by_code():
    b = pd.Series({"A": 100.0, "B": 200.0})
    o = pd.Series({"B": 180.0, "A": 90.0})
    got = pbc_freed_up(0.5).practice_amount(b, o)
    assert got.to_dict() == {"A": 5.0, "B": 10.0}


def test_series_misaligned_codes_named():
    b = pd.Series({"A": 100.0, "B": 200.0})
    o = pd.Series({"A": 90.0, "C": 180.0})
    with pytest.raises(ValidationError, match=r"missing practice code\(s\) 'B'.*unknown.*'C'"):
        pbc_freed_up().practice_amount(b, o)


# --------------------------------------------------------------------------- gates

def test_require_gate_pays_only_when_met():
    sched = pbc_freed_up(0.7, gates=["commissioner_in_balance"])
    assert sched.practice_amount(100.0, 90.0, {"commissioner_in_balance": True}) == 7.0
    assert sched.practice_amount(100.0, 90.0, {"commissioner_in_balance": False}) == 0.0


def test_gates_never_waive_losses():
    sched = aca_risk_corridor().evolve(gates=["plan_approved"])
    assert sched.practice_amount(100.0, 110.0, {"plan_approved": False}) == pytest.approx(-5.9)


def test_scale_gate_before_cap():
    sched = mssp_one_sided(20_000, gates=[Gate("quality_score", scale=True)])
    # 5% savings on 10m: 50% × 500k × 0.8 = 200k (cap 1m not binding)
    got = sched.practice_amount(10e6, 9.5e6, {"quality_score": 0.8})
    assert got == pytest.approx(200_000)


def test_per_practice_gate_series():
    sched = pbc_freed_up(1.0, gates=["plan_approved"])
    b = pd.Series({"A": 100.0, "B": 100.0})
    o = pd.Series({"A": 90.0, "B": 90.0})
    got = sched.practice_amount(b, o, {"plan_approved": pd.Series({"B": False, "A": True})})
    assert got.to_dict() == {"A": 10.0, "B": 0.0}


def test_missing_gate_condition_is_named():
    sched = pbc_freed_up(gates=["plan_approved"])
    with pytest.raises(ValidationError, match="plan_approved"):
        sched.practice_amount(100.0, 90.0, {"commissioner_in_balance": True})


def test_gate_condition_must_be_boolean():
    sched = pbc_freed_up(gates=["plan_approved"])
    with pytest.raises(ValidationError, match="plan_approved.*True/False"):
        sched.practice_amount(100.0, 90.0, {"plan_approved": 1.0})


def test_scale_gate_outside_unit_interval():
    sched = pbc_freed_up(gates=[Gate("quality_score", scale=True)])
    with pytest.raises(ValidationError, match="quality_score"):
        sched.practice_amount(100.0, 90.0, {"quality_score": 1.2})


def test_gate_condition_series_misaligned():
    sched = pbc_freed_up(gates=["plan_approved"])
    b = pd.Series({"A": 100.0})
    with pytest.raises(ValidationError, match=r"conditions\['plan_approved'\].*'Z'"):
        sched.practice_amount(b, b, {"plan_approved": pd.Series({"A": True, "Z": True})})


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize(("kwargs", "match"), [
    ({"savings": [(0.0, 1.5)]}, r"savings\[0\] share"),
    ({"losses": [(0.0, -0.1)]}, r"losses\[0\] share"),
    ({"savings": [(0.0, 0.5), (0.0, 0.6)]}, r"savings\[1\] threshold.*strictly increasing"),
    ({"savings": [(0.05, 0.5), (0.03, 0.6)]}, r"savings\[1\] threshold"),
    ({"savings": [(-0.01, 0.5)]}, r"savings\[0\] threshold: must be a fraction of budget "
                                  r"from 0 to 10 .*got -0\.01$"),
    ({"savings": []}, "savings: expected a non-empty list"),
    ({"savings": [(np.nan, 0.5)]}, r"savings\[0\] threshold"),
    ({"savings_cap": -0.1}, "savings_cap"),
    ({"loss_cap": -1}, "loss_cap"),
    ({"minimum_savings_rate": 1.0}, "minimum_savings_rate"),
    ({"minimum_loss_rate": -0.01}, "minimum_loss_rate"),
    ({"gates": ["a", "a"]}, "gates:.*'a'"),
    ({"gates": [3]}, r"gates\[0\]"),
])
def test_bad_schedule_rejected(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        ShareSchedule(**kwargs)


def test_first_dollar_must_be_bool():
    # a ValidationError naming the field now (was attrs' TypeError)
    with pytest.raises(ValidationError, match="first_dollar: expected true or false"):
        ShareSchedule(first_dollar="yes")


@pytest.mark.parametrize(("budget", "outturn", "match"), [
    (np.nan, 1.0, "budget"), (100.0, np.inf, "outturn"), (0.0, 1.0, "budget: must be > 0"),
    (100.0, -1.0, "outturn: must be >= 0"),
])
def test_bad_money_rejected(budget, outturn, match):
    with pytest.raises(ValidationError, match=match):
        pbc_freed_up().practice_amount(budget, outturn)


def test_preset_arguments_validated():
    with pytest.raises(ValidationError, match="practice_share"):
        pbc_freed_up(1.2)
    with pytest.raises(ValidationError, match="beneficiaries"):
        mssp_one_sided(4_000)
    with pytest.raises(ValidationError, match="shared_rate"):
        mssp_one_sided(10_000, shared_rate=2)
    with pytest.raises(ValidationError, match="cap"):
        mssp_one_sided(10_000, cap=-0.1)
    with pytest.raises(ValidationError, match="year"):
        mssp_two_sided(year=0)


# --------------------------------------------------------------------------- round trip

@pytest.mark.parametrize("sched", [
    pbc_freed_up(0.7, gates=["commissioner_in_balance", Gate("quality_score", scale=True)]),
    mssp_two_sided(year=2), aca_risk_corridor(), ShareSchedule(),
])
def test_schedule_round_trips_through_json(sched):
    conv = cattrs.Converter(forbid_extra_keys=True)
    text = json.dumps(conv.unstructure(sched))
    assert conv.structure(json.loads(text), ShareSchedule) == sched


def test_evolve_revalidates():
    with pytest.raises(ValidationError, match="savings_cap"):
        pbc_freed_up().evolve(savings_cap=-1)


# --------------------------------------------------------------------------- properties

tier_lists = st.lists(
    st.tuples(st.floats(0, 0.3), st.floats(0, 1)), min_size=1, max_size=4,
).map(lambda ts: sorted({round(t, 4): s for t, s in ts}.items()))
schedules = st.builds(
    ShareSchedule, savings=tier_lists, losses=tier_lists,
    minimum_savings_rate=st.floats(0, 0.1), minimum_loss_rate=st.floats(0, 0.1),
    first_dollar=st.booleans(),
    savings_cap=st.none() | st.floats(0, 0.5), loss_cap=st.none() | st.floats(0, 0.5))


@settings(max_examples=60, deadline=None)
@given(sched=schedules, budget=st.floats(1e3, 1e7),
       outturns=st.lists(st.floats(0, 2e7), min_size=2, max_size=20))
def test_spending_less_is_never_worse(sched, budget, outturns):
    spend = np.sort(np.array(outturns))[::-1]          # decreasing spend
    amounts = sched.practice_amount(budget, spend)
    assert np.all(np.diff(amounts) >= 0)


@settings(max_examples=60, deadline=None)
@given(sched=schedules, budget=st.floats(1e3, 1e7), outturn=st.floats(0, 2e7))
def test_caps_and_bounds_respected(sched, budget, outturn):
    amount = float(sched.practice_amount(budget, outturn))
    variance = budget - outturn
    # the practice never gets more than the underspend nor bears more than the overspend
    assert min(variance, 0) - 1e-6 <= amount <= max(variance, 0) + 1e-6
    if sched.savings_cap is not None:
        assert amount <= sched.savings_cap * budget + 1e-6
    if sched.loss_cap is not None:
        assert -amount <= sched.loss_cap * budget + 1e-6


@settings(max_examples=40, deadline=None)
@given(budget=st.floats(1e3, 1e7), outturn=st.floats(0, 2e7),
       rates=st.tuples(st.floats(0, 0.1), st.floats(0, 0.1)))
def test_zero_shares_are_a_no_op(budget, outturn, rates):
    sched = ShareSchedule(minimum_savings_rate=rates[0], minimum_loss_rate=rates[1])
    assert sched.practice_amount(budget, outturn) == 0.0


@settings(max_examples=40, deadline=None)
@given(tol=st.floats(0, 0.2), share=st.floats(0, 1), budget=st.floats(1e3, 1e7),
       over=st.floats(0, 1))
def test_tolerance_band_has_no_consequence(tol, share, budget, over):
    sched = ShareSchedule(losses=[(0.0, share)], minimum_loss_rate=tol, first_dollar=False)
    outturn = budget * (1 + tol * over)                  # inside the band
    assert sched.practice_amount(budget, outturn) == pytest.approx(0.0, abs=1e-6 * budget)


# ------------------------------------------------------------------ bad input (issue 13)
@pytest.mark.parametrize(("kwargs", "name"), [
    ({"savings_cap": 1e300}, "savings_cap"), ({"loss_cap": 10.5}, "loss_cap"),
    ({"savings": [(0.0, 0.7), (1e300, 0.5)]}, r"savings\[1\] threshold"),
    ({"losses": [(0.0, 0.5), (np.inf, 0.6)]}, r"losses\[1\] threshold"),
])
def test_fractions_of_budget_beyond_a_thousand_percent_are_refused(kwargs, name):
    # 1e300 × a budget overflows ("overflow encountered in multiply"); the field is named
    with pytest.raises(ValidationError, match=rf"^{name}: must (be a fraction of budget from 0 "
                                              r"to 10 \(0\.05 is 5% of budget, 10 is 1,000%\)|"
                                              r"be finite)"):
        ShareSchedule(**kwargs)


def test_fractions_of_budget_at_the_limit_are_accepted_and_exact():
    sched = ShareSchedule(savings=[(0.0, 0.5), (10.0, 1.0)], savings_cap=10.0, loss_cap=0.0)
    # a £1m budget fully underspent: 50% of £1m, far below 10 × budget
    assert float(sched.practice_amount(1e6, 0.0)) == 500_000.0
    with pytest.raises(ValidationError, match=r"^cap: must be a fraction of budget from 0 to "
                                              r"10 .*, got 11$"):
        mssp_one_sided(10_000, cap=11)
    with pytest.raises(ValidationError, match=r"^cap: .*, or left out for no cap, got 1e\+300$"):
        SideRule(tiers=((0.0, 0.5),), cap=1e300)
