"""Tests for pbcmodel.overspend: the policy as data, its liability rule and validation."""

from __future__ import annotations

import json

import cattrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.errors import ValidationError
from pbcmodel.overspend import OverspendPolicy, balance_over_three_years


def test_liability_inside_and_outside_tolerance():
    p = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05)
    # budget 1m: overspend 15k is inside the 20k tolerance → 0
    # overspend 60k → 50% × (60k − 20k) = 20k; overspend 300k → 140k, capped at 50k
    got = p.liability(1e6, [1.015e6, 1.06e6, 1.3e6])
    np.testing.assert_allclose(got, [0.0, 20_000.0, 50_000.0])


def test_underspend_has_no_liability():
    assert OverspendPolicy(practice_share=1.0).liability(100.0, 80.0) == 0.0


def test_defaults_and_evolve():
    p = OverspendPolicy(practice_share=0.5)
    assert (p.tolerance, p.cap, p.net_within_consortium, p.recovery_years) == (0.0, None,
                                                                               False, 1)
    assert p.clawback_order == ("freed_up", "incentives", "future_budgets")
    q = p.evolve(clawback_order=["incentives", "future_budgets"])
    assert q.clawback_order == ("incentives", "future_budgets") and p != q


def test_balance_over_three_years():
    p = balance_over_three_years()
    assert (p.practice_share, p.recovery_years, p.tolerance) == (1.0, 3, 0.0)


def test_practice_share_is_required():
    with pytest.raises(TypeError, match="practice_share"):
        OverspendPolicy()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"practice_share": 1.1}, "practice_share"),
    ({"practice_share": -0.1}, "practice_share"),
    ({"practice_share": np.nan}, "practice_share"),
    ({"practice_share": 0.5, "tolerance": 1.0}, "tolerance"),
    ({"practice_share": 0.5, "tolerance": -0.01}, "tolerance"),
    ({"practice_share": 0.5, "cap": -0.05}, "cap"),
    ({"practice_share": 0.5, "recovery_years": 0}, "recovery_years"),
    ({"practice_share": 0.5, "recovery_years": 1.5}, "recovery_years"),
    ({"practice_share": 0.5, "clawback_order": ("savings", "future_budgets")},
     r"clawback_order: unknown source\(s\) \['savings'\]"),
    ({"practice_share": 0.5, "clawback_order": ("future_budgets", "incentives")},
     "clawback_order: must end with 'future_budgets'"),
    ({"practice_share": 0.5, "clawback_order": ("incentives", "incentives", "future_budgets")},
     "clawback_order: each source may appear once"),
    ({"practice_share": 0.5, "clawback_order": ()}, "clawback_order"),
])
def test_bad_policy_rejected(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        OverspendPolicy(**kwargs)


def test_netting_flag_must_be_bool():
    # a ValidationError naming the field now (was attrs' TypeError)
    with pytest.raises(ValidationError, match="net_within_consortium: expected true or false"):
        OverspendPolicy(practice_share=0.5, net_within_consortium="yes")


def test_liability_rejects_bad_money():
    p = OverspendPolicy(practice_share=0.5)
    with pytest.raises(ValidationError, match="outturn"):
        p.liability(100.0, np.nan)
    with pytest.raises(ValidationError, match="budget"):
        p.liability(-5.0, 10.0)


def test_describe_mentions_every_rule():
    text = OverspendPolicy(tolerance=0.01, practice_share=0.25, cap=0.03,
                           net_within_consortium=True, recovery_years=1,
                           clawback_order=("incentives", "future_budgets")).describe()
    for phrase in ["netted within each consortium", "within 1% of budget", "25%",
                   "capped at 3%", "incentive payments, then future budgets over 1 year"]:
        assert phrase in text


def test_policy_round_trips_through_json():
    p = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05,
                        net_within_consortium=True, recovery_years=2,
                        clawback_order=("incentives", "future_budgets"))
    conv = cattrs.Converter(forbid_extra_keys=True)
    assert conv.structure(json.loads(json.dumps(conv.unstructure(p))), OverspendPolicy) == p


@settings(max_examples=60, deadline=None)
@given(tol=st.floats(0, 0.2), share=st.floats(0, 1), cap=st.none() | st.floats(0, 0.3),
       budget=st.floats(1e3, 1e7), spends=st.lists(st.floats(0, 3e7), min_size=2, max_size=10))
def test_liability_monotone_and_capped(tol, share, cap, budget, spends):
    p = OverspendPolicy(tolerance=tol, practice_share=share, cap=cap)
    spend = np.sort(spends)
    liability = p.liability(budget, spend)
    assert np.all(np.diff(liability) >= 0)                          # more spend, more owed
    assert np.all(liability <= np.maximum(spend - budget, 0) + 1e-6)
    if cap is not None:
        assert np.all(liability <= cap * budget + 1e-6)


# ------------------------------------------------------------------ bad input (issue 13)
@pytest.mark.parametrize("cap", [1e300, 10.01, -0.01])
def test_cap_outside_its_stated_range_is_refused(cap):
    # 1e300 ran with "overflow encountered in multiply"
    with pytest.raises(ValidationError, match=r"^cap: must be a fraction of budget from 0 to 10 "
                                              r"\(0\.05 is 5% of budget, 10 is 1,000%\), or left "
                                              r"out for no cap, got "):
        OverspendPolicy(practice_share=0.5, cap=cap)
    with pytest.raises(ValidationError, match=r"^cap: "):
        OverspendPolicy(practice_share=0.5).evolve(cap=cap)


def test_cap_at_ten_budgets_binds_only_beyond_them():
    p = OverspendPolicy(practice_share=1.0, cap=10.0)
    assert p.liability(1e6, [2e6, 20e6]).tolist() == [1e6, 10e6]


def test_cap_in_a_scenario_file_is_named_by_its_key_path():
    import pbcmodel as pbc
    from pbcmodel.errors import ConfigError

    text = ('resource = 510e6\npopulation = {dataset = "example"}\n[formula]\n'
            'weights = {dataset = "example"}\n[overspend]\npractice_share = 0.5\ncap = 1e300\n')
    with pytest.raises(ConfigError, match=r"^\$\.overspend\.cap: must be a fraction of budget "
                                          r"from 0 to 10 .*got 1e\+300$"):
        pbc.Scenario.from_toml(text)
