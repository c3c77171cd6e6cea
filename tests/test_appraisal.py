"""Tests for business-case appraisal: NPV, payback, break-even, approval rules, conflicts."""

from __future__ import annotations

import math

import attrs
import cattrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.appraisal import BusinessCase, NPVDistribution, npv, payback_period
from pbcmodel.approval import ApprovalCriteria, Rule, appraise
from pbcmodel.conflicts import (
    ConflictsRegister,
    Declaration,
    IndependentApproval,
    Interest,
)
from pbcmodel.errors import ValidationError


def _clinic(**kw):
    base = dict(name="Follow-up clinic", proposer="P001", provider="CT1",
                pod="outpatient_follow_up", activity=500, tariff=95.0, unit_cost=60.0,
                setup_cost=10_000, running_cost=2_000, years=5)
    base.update(kw)
    return BusinessCase(**base)


# --- npv and payback ----------------------------------------------------------------------

def test_npv_hand_computed():
    # −1000 + 500/1.035 + 500/1.035² + 500/1.035³ = −1000 + 483.0918 + 466.7554 + 450.9714
    assert npv([-1000, 500, 500, 500]) == pytest.approx(400.8186, abs=1e-3)
    # rate 0: the plain sum; a Series is taken in order
    assert npv(pd.Series([-5.0, 2.0, 4.0]), rate=0.0) == 1.0
    assert npv([100.0], rate=0.5) == 100.0  # year 0 is never discounted


def test_payback_hand_computed():
    # cumulative: −1000, −600, −200, +200 → pays back in year 3 after 200/400 of it = 2.5
    assert payback_period([-1000, 400, 400, 400]) == 2.5
    assert payback_period([0, 10]) == 0.0
    assert payback_period([-10, 1, 1]) == math.inf
    # discounted at 10%: −1000, 363.64, 330.58, 300.53 → cumulative −5.78 after year 3: never
    assert payback_period([-1000, 400, 400, 400], rate=0.10) == math.inf


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=15), st.floats(0.0, 0.2))
def test_npv_is_linear_and_zero_rate_is_sum(flows, rate):
    cf = np.array(flows)
    assert npv(cf, 0.0) == pytest.approx(cf.sum(), abs=1e-6)
    assert npv(2 * cf, rate) == pytest.approx(2 * npv(cf, rate), abs=1e-6)


@pytest.mark.parametrize(("flows", "rate", "match"), [
    ([-1, np.nan], 0.035, "cashflows.*NaN"),
    ([], 0.035, "cashflows: expected a non-empty"),
    ([-1, 2], -1.0, "rate: must be > -1"),
    ([-1, 2], float("nan"), "rate"),
])
def test_npv_bad_inputs(flows, rate, match):
    with pytest.raises(ValidationError, match=match):
        npv(flows, rate)


def test_payback_rejects_nan():
    with pytest.raises(ValidationError, match="cashflows"):
        payback_period([-1.0, float("inf")])


# --- business case ------------------------------------------------------------------------

def test_business_case_cashflows_and_break_even_hand_computed():
    case = _clinic(ramp_up=(0.5,))
    table = case.savings_by_year()
    # year 1: 250 moved × £95 avoided = 23,750; cost 250 × £60 + 2,000 = 17,000; net 6,750
    assert table.loc[1, ["tariff_avoided", "service_cost", "net"]].tolist() == [
        23_750.0, 17_000.0, 6_750.0]
    assert table.loc[0, "net"] == -10_000.0
    assert case.npv() == pytest.approx(npv(table["net"], 0.035))
    assert case.npv(rate=0.0) == pytest.approx(-10_000 + 6_750 + 4 * 15_500)
    # break-even at 0%: 10,000 + 5 × 2,000 = 20,000 fixed; margin 35 × (0.5 + 4) = 157.5 per unit
    flat = attrs.evolve(case, discount_rate=0.0)
    assert flat.break_even_activity() == pytest.approx(20_000 / 157.5)
    at_break_even = attrs.evolve(case, activity=case.break_even_activity())
    assert at_break_even.npv() == pytest.approx(0.0, abs=1e-6)
    assert _clinic(unit_cost=120.0).break_even_activity() == math.inf


def test_business_case_conflict_flag_and_round_trip():
    assert _clinic(provider="P001").conflicted and not _clinic().conflicted
    case = _clinic(ramp_up=(0.25, 0.75))
    assert cattrs.structure(cattrs.unstructure(case), BusinessCase) == case


@pytest.mark.parametrize(("kw", "match"), [
    # one name check for every value object (validation.check_name), one message
    ({"provider": ""}, "provider: expected a non-empty string"),
    ({"name": " "}, "name: expected a non-empty string"),
    ({"provider": None}, "provider"),
    ({"pod": "dentistry"}, "pod: expected one of"),
    ({"activity": -5}, "activity"),
    ({"tariff": float("nan")}, "tariff"),
    ({"years": 0}, "years"),
    ({"years": 2, "ramp_up": (0.5, 0.5, 1.0)}, "ramp_up: 3 values for a 2-year case"),
    ({"ramp_up": (1.5,)}, r"ramp_up: must be in \[0, 1\]"),
    ({"discount_rate": -2}, "rate"),
])
def test_business_case_bad_inputs(kw, match):
    with pytest.raises(ValidationError, match=match):
        _clinic(**kw)


def test_risk_adjusted_is_seeded_and_centred():
    case = _clinic()
    a, b = case.risk_adjusted(n=4000, seed=3), case.risk_adjusted(n=4000, seed=3)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, case.risk_adjusted(n=4000, seed=4).samples)
    # factors have mean 1, and NPV is linear in each factor separately, so the mean is close
    assert a.mean == pytest.approx(case.npv(), rel=0.03)
    certain = attrs.evolve(case, activity_cv=0.0, cost_cv=0.0).risk_adjusted(n=10)
    np.testing.assert_allclose(certain.samples, case.npv())
    assert certain.std == pytest.approx(0.0, abs=1e-9)
    d = NPVDistribution(samples=[-1.0, 1.0, 3.0])
    assert d.prob_negative == pytest.approx(1 / 3) and float(d.quantile(0.5)) == 1.0


# --- approval and conflicts ---------------------------------------------------------------

def test_appraise_applies_each_rule_with_reasons():
    criteria = ApprovalCriteria((Rule("npv", ">=", 0), Rule("payback_period", "<=", 1.0)))
    result = appraise(_clinic(), criteria, n=500)
    # payback: cumulative −10,000 then +15,500 a year → 10,000/15,500 = 0.645 years
    assert result.metrics["payback_period"] == pytest.approx(10_000 / 15_500)
    assert result.rules["passed"].tolist() == [True, True]
    assert result.approved and result.reasons == []
    strict = ApprovalCriteria((Rule("payback_period", "<", 0.5),))
    result = appraise(_clinic(), strict, n=500)
    assert not result.approved
    assert result.reasons == ["payback_period = 0.6452 fails: must be < 0.5"]
    assert "NOT APPROVED" in result.to_html() and "payback_period" in result._repr_html_()


def test_rule_reasons_are_readable():
    rule = Rule("npv", ">=", 0, "saves money")
    assert rule.check(-51_529.2) == (False, "npv = -51,529 fails: must be >= 0 (saves money)")
    assert Rule("payback_period", "<=", 3).check(float("inf"))[1].startswith(
        "payback_period = inf fails")


def test_default_criteria_use_the_risk_adjusted_view():
    # break-even ≈ 120 units a year (19,030 fixed PV / £158 PV margin per unit); plan 160
    risky = _clinic(activity=160, activity_cv=0.6)
    result = appraise(risky, n=2000, seed=1)
    row = result.rules.set_index("metric").loc["prob_negative_npv"]
    assert row["value"] > 0.2 and not row["passed"]
    assert result.metrics["headroom"] == pytest.approx(160 / risky.break_even_activity())


def test_conflicted_case_needs_declaration_and_independent_approval():
    case = _clinic(provider="P001")
    assert not appraise(case, n=200).approved
    half = ConflictsRegister(declarations=(Declaration(case.name, "P001", "we run it"),))
    check = half.check(case)
    assert check.declared and not check.independently_approved and not check.resolved
    self_approved = attrs.evolve(half, approvals=(IndependentApproval(case.name, "P001"),))
    assert "interested party" in self_approved.check(case).reasons[0]
    full = attrs.evolve(half, approvals=(IndependentApproval(case.name, "PBC committee"),))
    result = appraise(case, register=full, n=200)
    assert result.conflict.resolved and result.approved
    # a declaration for another case does not count
    other = ConflictsRegister(declarations=(Declaration("Other case", "P001"),),
                              approvals=(IndependentApproval(case.name, "PBC committee"),))
    assert not other.check(case).resolved


def test_standing_interest_in_the_provider_is_a_conflict():
    case = _clinic(provider="GPCo")
    reg = ConflictsRegister(interests=(Interest("P001", "GPCo", "partner is a director"),))
    check = reg.check(case)
    assert check.conflicted and "registered interest in provider GPCo" in check.reasons[0]
    assert not ConflictsRegister(interests=(Interest("P002", "GPCo"),)).check(case).conflicted


@pytest.mark.parametrize(("args", "match"), [
    (("profit", ">=", 0), "metric: expected one of"),
    (("npv", "=>", 0), "op: expected one of"),
    (("npv", ">=", float("nan")), "threshold"),
])
def test_rule_bad_inputs(args, match):
    with pytest.raises(ValidationError, match=match):
        Rule(*args)


def test_register_entries_need_names():
    with pytest.raises(ValidationError, match="approver"):
        IndependentApproval("Clinic", " ")
    with pytest.raises(ValidationError, match="practice"):
        Declaration("Clinic", "")
