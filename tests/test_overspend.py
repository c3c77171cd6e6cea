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


# ------------------------------------------------------------------ the rules settlement calls
def test_liability_rule_is_the_policy_or_the_schedule_losses_side():
    from pbcmodel.overspend import liability_rule
    from pbcmodel.sharing import aca_risk_corridor, pbc_freed_up

    policy = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05)
    assert liability_rule(pbc_freed_up(0.7), policy) is policy.losses_rule
    assert liability_rule(aca_risk_corridor(), None) == aca_risk_corridor().losses_rule
    with pytest.raises(ValidationError, match="overspend: an OverspendPolicy was given and the "
                                              "savings schedule also shares losses"):
        liability_rule(aca_risk_corridor(), policy)


def test_liability_rule_is_what_settlement_charges():
    # budget £1,000 (100,000p), outturn £1,060: overspend 6,000p; tolerance 2% = 2,000p;
    # 50% × (6,000 − 2,000) = 2,000p, under the 5% cap (5,000p)
    from pbcmodel.settlement import settle_arrays

    policy = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05)
    r = settle_arrays(np.array([100_000]), np.array([106_000]), overspend=policy)
    assert r.liability.tolist() == [[2_000]]
    assert float(policy.liability(1_000.0, 1_060.0)) == 20.0          # the same rule, pounds


def test_net_within_consortia_three_practices_hand_computed():
    from pbcmodel.overspend import Consortia, net_within_consortia
    from pbcmodel.sharing import pbc_freed_up

    policy = OverspendPolicy(tolerance=0.02, practice_share=0.5, net_within_consortium=True)
    savings, losses = pbc_freed_up(0.7).savings_rule, policy.losses_rule
    budget = np.array([100_000, 100_000, 100_000])
    consortium = Consortia.from_codes(["X", "X", "X"])
    # row 1: A +6,000, B −1,000, C +3,000 → net +8,000 under; 70% = 5,600 to A and C in
    #        proportion 6,000 : 3,000; running totals 6,000 → 3,733.33 → 3,733 and
    #        9,000 → 5,600, so A 3,733, B 0, C 5,600 − 3,733 = 1,867
    # row 2: A −10,000, B −5,000, C +4,000 → net −11,000 over on a 300,000 budget;
    #        tolerance 2% = 6,000, so 50% × 5,000 = 2,500 borne by A and B in proportion
    #        10,000 : 5,000; running totals 10,000 → 1,666.67 → 1,667 and 15,000 → 2,500,
    #        so A −1,667, B −833, C 0
    variance = np.array([[6_000, -1_000, 3_000], [-10_000, -5_000, 4_000]])
    got = net_within_consortia(budget, variance, consortium, savings, losses)
    assert got.tolist() == [[3_733, 0, 1_867], [-1_667, -833, 0]]
    assert got.sum(axis=1).tolist() == [5_600, -2_500]


def test_net_within_consortia_keeps_money_inside_each_consortium():
    from pbcmodel.overspend import Consortia, net_within_consortia
    from pbcmodel.sharing import pbc_freed_up

    policy = OverspendPolicy(practice_share=1.0)
    # consortium 1: A +1,000, B −400 → net +600, 70% = 420, all to A
    # consortium 2: C −300 alone → 100% of 300 borne = −300
    got = net_within_consortia(np.array([10_000, 10_000, 10_000]),
                               np.array([[1_000, -400, -300]]),
                               Consortia.from_codes([1, 1, 2]), pbc_freed_up(0.7).savings_rule,
                               policy.losses_rule)
    assert got.tolist() == [[420, 0, -300]]


def test_recovery_schedule_three_years_odd_pence_first():
    from pbcmodel.overspend import recovery_schedule

    # 10,001p / 3 = 3,333 r 2: the two odd pence go to years 1 and 2 → 3,334, 3,334, 3,333;
    # 10,000p / 3 = 3,333 r 1 → 3,334, 3,333, 3,333; 2p / 3 = 0 r 2 → 1, 1, 0
    got = recovery_schedule(np.array([10_001, 10_000, 2]), 3)
    assert got.tolist() == [[3_334, 3_334, 3_333], [3_334, 3_333, 3_333], [1, 1, 0]]
    assert got.sum(axis=-1).tolist() == [10_001, 10_000, 2]
    # with instalments already due 1, 2 and 4 years ahead (100, 7, 0, 5): the schedule grows
    # to 4 years; 10,001 → 3,434, 3,341, 3,333, 5
    longer = recovery_schedule(np.array([10_001]), 3, later=np.array([[100, 7, 0, 5]]))
    assert longer.tolist() == [[3_434, 3_341, 3_333, 5]]


def test_claw_back_in_the_policy_order():
    from pbcmodel.overspend import claw_back

    # P1: new liability 10,000, 3,000 due, no freed-up resources, 8,000 of incentives →
    #     incentives take the 3,000 due then 5,000 new; 5,000 left for future budgets
    # P2: no new liability, 4,000 due, 2,500 freed up, 1,000 incentives → freed-up 2,500,
    #     incentives 1,000, 500 from this year's budget
    # P3: new liability 700, nothing due, 0 freed up, 1,000 incentives → incentives 700
    liability = np.array([10_000, 0, 700])
    due = np.array([3_000, 4_000, 0])
    freed = np.array([0, 2_500, 0])
    earned = np.array([8_000, 1_000, 1_000])
    c = claw_back(liability, due, freed_up=freed, incentives=earned)
    assert c.from_freed_up.tolist() == [0, 2_500, 0]
    assert c.from_incentives.tolist() == [8_000, 1_000, 700]
    assert c.from_budget.tolist() == [0, 500, 0]
    assert c.outstanding.tolist() == [5_000, 0, 0]
    # incentives first: P2's 1,000 of incentives go before its freed-up resources, which then
    # recover 2,500 of the remaining 3,000; 500 from the budget again
    c = claw_back(liability, due, freed_up=freed, incentives=earned,
                  order=("incentives", "freed_up", "future_budgets"))
    assert (c.from_freed_up.tolist(), c.from_incentives.tolist()) == ([0, 2_500, 0],
                                                                      [8_000, 1_000, 700])
    # future budgets only: nothing clawed back; what is due comes from this year's budget
    c = claw_back(liability, due, freed_up=freed, incentives=earned, order=("future_budgets",))
    assert (c.from_freed_up, c.from_incentives) == (None, None)
    assert c.from_budget.tolist() == [3_000, 4_000, 0]
    assert c.outstanding.tolist() == [10_000, 0, 700]
    # nothing brought forward: freed-up resources have nothing to recover
    c = claw_back(liability, None, freed_up=freed, incentives=earned)
    assert (c.from_freed_up, c.from_budget) == (None, None)
    assert c.from_incentives.tolist() == [8_000, 0, 700]
    assert c.outstanding.tolist() == [2_000, 0, 0]


orders = st.sampled_from([("freed_up", "incentives", "future_budgets"),
                          ("incentives", "freed_up", "future_budgets"),
                          ("freed_up", "future_budgets"), ("incentives", "future_budgets"),
                          ("future_budgets",)])


@settings(max_examples=100, deadline=None)
@given(data=st.data(), order=orders, brought=st.booleans(), paid=st.booleans())
def test_claw_back_recovers_every_penny_once(data, order, brought, paid):
    from pbcmodel.overspend import claw_back

    n = data.draw(st.integers(1, 8))
    pence = st.lists(st.integers(0, 10**7), min_size=n, max_size=n)
    amount = np.array(data.draw(st.lists(st.integers(-10**7, 10**7), min_size=n, max_size=n)))
    liability, freed = np.maximum(-amount, 0), np.maximum(amount, 0)
    due = np.array(data.draw(pence)) if brought else None
    earned = np.array(data.draw(pence)) if paid else None
    c = claw_back(liability, due, freed_up=freed, incentives=earned, order=order)
    parts = [x for x in (c.from_freed_up, c.from_incentives, c.from_budget) if x is not None]
    owed = liability + (0 if due is None else due)
    assert (sum(parts, c.outstanding) == owed).all()
    assert all((x >= 0).all() for x in (*parts, c.outstanding))
    if c.from_freed_up is not None:
        assert (c.from_freed_up <= freed).all()
    if c.from_incentives is not None:
        assert (c.from_incentives <= earned).all()


def test_consortia_importable_from_its_old_homes():
    import pbcmodel.overspend
    import pbcmodel.settlement
    import pbcmodel.settlement.core

    assert (pbcmodel.settlement.Consortia is pbcmodel.settlement.core.Consortia
            is pbcmodel.overspend.Consortia)
