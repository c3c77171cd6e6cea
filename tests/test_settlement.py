"""Tests for pbcmodel.settlement: worked settlements, exact pence, invariants, bad input."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.codes import PODS
from pbcmodel.errors import PBCModelError, ValidationError
from pbcmodel.incentives import Incentives, des_2006
from pbcmodel.overspend import OverspendPolicy
from pbcmodel.settlement import Settlement, settle, settle_arrays
from pbcmodel.sharing import (
    ShareSchedule,
    aca_risk_corridor,
    mssp_one_sided,
    pbc_freed_up,
)

matplotlib.use("Agg")


def series(**values: float) -> pd.Series:
    return pd.Series(values, dtype=float)


def flat(text: str) -> str:
    """A statement with its line wrapping undone."""
    return " ".join(text.split())


# --------------------------------------------------------------------------- worked years

def test_pbc_70_30_year_paid_when_commissioner_in_balance():
    st_ = settle(series(P1=1_234_567), series(P1=1_200_000),
                 savings=pbc_freed_up(0.7, gates=["commissioner_in_balance"]),
                 conditions={"commissioner_in_balance": True})
    row = st_.to_frame(pence=True).loc["P1"]
    # underspend 3,456,700p; 70% = 2,419,690p; commissioner 1,037,010p
    assert (row["variance"], row["practice_amount"], row["commissioner_amount"]) == (
        3_456_700, 2_419_690, 1_037_010)
    text = flat(st_.explain("P1"))
    for phrase in ["Budget £1,234,567.00", "spend £1,200,000.00", "underspend £34,567.00",
                   "70% of the underspend = £24,196.90", "paid, as the condition is met",
                   "(the commissioner is in financial balance)",
                   "commissioner keeps £10,370.10"]:
        assert phrase in text


def test_commissioner_in_deficit_takes_the_freed_up_resources():
    st_ = settle(series(P1=1_234_567), series(P1=1_200_000),
                 savings=pbc_freed_up(0.7, gates=["commissioner_in_balance"]),
                 conditions={"commissioner_in_balance": False})
    row = st_.to_frame().loc["P1"]
    assert (row["practice_amount"], row["withheld_by_gates"], row["commissioner_amount"]) == (
        0.0, 24_196.90, 34_567.0)
    # the condition in words, never its identifier (glossary.in_words)
    assert ("withheld, as the condition is not met (the commissioner is in financial balance)"
            in flat(st_.explain("P1")))


def test_overspend_inside_and_outside_tolerance():
    policy = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05)
    st_ = settle(series(IN=1e6, OUT=1e6, HUGE=1e6),
                 series(IN=1.015e6, OUT=1.06e6, HUGE=1.3e6), overspend=policy)
    f = st_.to_frame()
    # IN: 15k over, inside the 20k tolerance → commissioner bears all 15k
    # OUT: 60k over → practice bears 50% × 40k = 20k, commissioner 40k
    # HUGE: 300k over → 50% × 280k = 140k capped at 5% = 50k; commissioner 250k
    assert f["practice_amount"].to_dict() == {"IN": 0.0, "OUT": -20_000.0, "HUGE": -50_000.0}
    assert f["commissioner_amount"].to_dict() == {"IN": -15_000.0, "OUT": -40_000.0,
                                                  "HUGE": -250_000.0}
    assert f["recovery_due"].to_dict() == {"IN": 0.0, "OUT": 20_000.0, "HUGE": 50_000.0}


def test_consortium_netting():
    # C1: A under by 50k, B over by 60k → net over 10k on 1.8m (0.56%) < 2% tolerance → 0
    # C2: C under by 100k, D over by 20k → net under 80k; 70% = 56k, all to C (the only
    #     underspender); D's overspend is absorbed inside the consortium
    policy = OverspendPolicy(tolerance=0.02, practice_share=0.5, net_within_consortium=True)
    st_ = settle(series(A=1e6, B=0.8e6, C=1e6, D=0.5e6),
                 series(A=0.95e6, B=0.86e6, C=0.9e6, D=0.52e6),
                 savings=pbc_freed_up(0.7), overspend=policy,
                 consortium=pd.Series({"A": "C1", "B": "C1", "C": "C2", "D": "C2"}))
    f = st_.to_frame()
    assert f["practice_amount"].to_dict() == {"A": 0.0, "B": 0.0, "C": 56_000.0, "D": 0.0}
    s = st_.summary()
    assert s.loc["C2", "practice_amount"] == 56_000.0 and s.loc["C2", "variance"] == 80_000.0
    assert s.loc["total", "practices"] == 4 and s.loc["C1", "practices"] == 2
    assert "Netted within consortium C2" in flat(st_.explain("D"))
    assert "its part of the consortium's amount = £56,000.00" in flat(st_.explain("C"))


def test_netting_divides_consortium_liability_in_proportion():
    # one consortium, net over 150k on 2m; 50% beyond 2% (40k) = 55k borne, split 1:2
    policy = OverspendPolicy(tolerance=0.02, practice_share=0.5, net_within_consortium=True)
    st_ = settle(series(A=1e6, B=1e6), series(A=1.05e6, B=1.1e6), overspend=policy,
                 consortium=pd.Series({"A": "X", "B": "X"}))
    p = st_.to_frame(pence=True)["practice_amount"]
    assert p.sum() == -5_500_000
    assert p.to_dict() == {"A": -1_833_333, "B": -3_666_667}


def test_two_year_recovery_with_clawback_from_freed_up_resources():
    policy = OverspendPolicy(practice_share=0.5, recovery_years=2)
    sav = pbc_freed_up(0.7)
    year1 = settle(series(P=1e6), series(P=1.1e6), savings=sav, overspend=policy)
    # 100k over → liability 50k → 25k from each of the next two budgets
    assert year1.carry_forward.loc["P"].tolist() == [25_000.0, 25_000.0]
    # year 2: underspend 20k → 70% = 14k freed up, all clawed back; 11k more from the budget
    year2 = settle(series(P=1e6), series(P=0.98e6), savings=sav, overspend=policy,
                   carry_forward=year1.carry_forward)
    row = year2.to_frame().loc["P"]
    assert (row["freed_up"], row["clawback_freed_up"], row["freed_up_paid"]) == (
        14_000.0, 14_000.0, 0.0)
    assert row["recovered_from_budget"] == 11_000.0 and row["net_to_practice"] == -11_000.0
    assert year2.carry_forward.loc["P"].tolist() == [25_000.0, 0.0]
    year3 = settle(series(P=1e6), series(P=1e6), savings=sav, overspend=policy,
                   carry_forward=year2.carry_forward)
    assert year3.to_frame().loc["P", "recovered_from_budget"] == 25_000.0
    assert year3.carry_forward.to_numpy().sum() == 0.0


def test_odd_pence_go_to_the_first_instalment():
    policy = OverspendPolicy(practice_share=1.0, recovery_years=3)
    st_ = settle(series(P=100.0), series(P=100.01 + 0.01), overspend=policy)
    # 2p over → instalments 1p, 1p, 0p
    assert (st_.arrays.recovery_next[0] == [1, 1, 0]).all()


def test_incentives_clawed_back_before_future_budgets():
    policy = OverspendPolicy(practice_share=1.0)
    st_ = settle(series(P=1e6), series(P=1.01e6), overspend=policy, incentives=des_2006(),
                 list_size=pd.Series({"P": 10_000}), conditions={"plan_achieved": True})
    row = st_.to_frame().loc["P"]
    # liability 10k; incentives 9.5k + 9.5k = 19k earned; 10k clawed back, 9k paid
    assert (row["incentive_signup"], row["incentive_plan"]) == (9_500.0, 9_500.0)
    assert (row["clawback_incentives"], row["incentive_paid"], row["recovery_due"]) == (
        10_000.0, 9_000.0, 0.0)
    assert "Recovered towards liabilities: £10,000.00 from incentive payments." in flat(
        st_.explain("P"))
    # sparing incentives sends the whole liability to next year's budget
    spared = settle(series(P=1e6), series(P=1.01e6),
                    overspend=policy.evolve(clawback_order=["future_budgets"]),
                    incentives=des_2006(), list_size=pd.Series({"P": 10_000}),
                    conditions={"plan_achieved": True})
    assert spared.to_frame().loc["P", "recovery_due"] == 10_000.0


def test_des_plan_component_reduced_by_freed_up():
    st_ = settle(series(P=1e6), series(P=0.99e6), savings=pbc_freed_up(0.7),
                 incentives=des_2006(), list_size=pd.Series({"P": 10_000}),
                 conditions={"plan_achieved": True})
    row = st_.to_frame().loc["P"]
    # freed-up 7,000; plan component max(0, 9,500 − 7,000) = 2,500
    assert (row["freed_up"], row["incentive_plan"], row["net_to_practice"]) == (
        7_000.0, 2_500.0, 7_000.0 + 9_500.0 + 2_500.0)


def test_mssp_style_settlement():
    st_ = settle(series(ACO=10e6, SMALL=10e6), series(ACO=9.6e6, SMALL=9.8e6),
                 savings=mssp_one_sided(20_000))
    # ACO saves 4% ≥ MSR 2.5% → 50% × 400k = 200k; SMALL saves 2% < 2.5% → 0
    assert st_.to_frame()["practice_amount"].to_dict() == {"ACO": 200_000.0, "SMALL": 0.0}
    assert "underspend is 2.00% of budget, below the minimum of 2.5%" in flat(
        st_.explain("SMALL"))


def test_risk_corridor_settlement():
    st_ = settle(series(PLAN=100.0), series(PLAN=110.0), savings=aca_risk_corridor())
    row = st_.to_frame(pence=True).loc["PLAN"]
    # plan bears 5.90, the Secretary 4.10
    assert (row["practice_amount"], row["commissioner_amount"]) == (-590, -410)
    # without an overspend policy the liability is due from next year's budget
    assert st_.carry_forward.loc["PLAN"].tolist() == [5.9]
    text = flat(st_.explain("PLAN"))
    assert "100% up to 3%, 50% from 3% to 8%, 20% beyond 8% of budget" in text
    assert "The practice bears £5.90" in text and "commissioner bears £4.10" in text


def test_dataframe_budgets_by_pod():
    # a practice × POD frame now needs every POD column (codes.PODS): zeros for the others
    pods = pd.DataFrame({pod: [0.0, 0.0] for pod in PODS}, index=["A", "B"]).assign(
        elective=[60.0, 30.0], prescribing=[40.0, 70.0])
    with_total = pods.assign(total=pods.sum(axis=1))
    st1 = settle(pods, series(A=90.0, B=100.0), savings=pbc_freed_up(0.5))
    st2 = settle(with_total, series(A=90.0, B=100.0), savings=pbc_freed_up(0.5))
    assert st1.to_frame()["practice_amount"].to_dict() == {"A": 5.0, "B": 0.0}
    pd.testing.assert_frame_equal(st1.to_frame(), st2.to_frame())


def test_summary_html_and_frame_columns():
    st_ = settle(series(A=10.0, B=10.0), series(A=8.0, B=12.0), savings=pbc_freed_up(0.5))
    assert {"budget", "outturn", "variance", "practice_amount", "commissioner_amount",
            "incentive_paid", "recovery_due", "net_to_practice"} <= set(st_.to_frame())
    f = st_.to_frame()
    assert (f["commissioner_net"] == f["variance"] - f["net_to_practice"]).all()
    s = st_.summary()
    assert list(s.index) == ["all", "total"]
    assert s.loc["total", "variance"] == 0.0 and s.loc["total", "practice_amount"] == 1.0
    assert "Settlement of 2 practices" in st_._repr_html_()


# --------------------------------------------------------------------------- invariants

def _random_case(draw):
    n = draw(st.integers(1, 12))
    budgets = draw(st.lists(st.integers(100, 10**9), min_size=n, max_size=n))
    factor = draw(st.lists(st.floats(0.0, 2.0), min_size=n, max_size=n))
    outturn = [int(b * f) for b, f in zip(budgets, factor, strict=True)]
    codes = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return np.array(budgets), np.array(outturn), np.array(codes)


policies = st.builds(OverspendPolicy, practice_share=st.floats(0, 1),
                     tolerance=st.floats(0, 0.2), cap=st.none() | st.floats(0, 0.3),
                     net_within_consortium=st.booleans(), recovery_years=st.integers(1, 4))
savings_schedules = st.builds(
    ShareSchedule, savings=st.just([(0.0, 0.7)]) | st.just([(0, 1.0), (0.03, 0.5)]),
    minimum_savings_rate=st.floats(0, 0.05), savings_cap=st.none() | st.floats(0, 0.2))


@settings(max_examples=80, deadline=None)
@given(data=st.data(), policy=policies, sched=savings_schedules)
def test_conservation_in_pence(data, policy, sched):
    budget, outturn, codes = _random_case(data.draw)
    carry = np.array(data.draw(st.lists(st.integers(0, 10**6), min_size=budget.size,
                                        max_size=budget.size)))
    r = settle_arrays(budget, outturn, savings=sched, overspend=policy,
                      consortium_codes=codes, carry_forward_pence=carry,
                      incentives=Incentives(per_head=1.0), list_size=np.full(budget.size, 10))
    variance = budget - outturn
    assert (r.practice_amount + r.commissioner_amount == variance).all()
    assert r.practice_amount.sum() + r.commissioner_amount.sum() == variance.sum()
    # every liability is recovered exactly once: clawed back, from the budget or later
    owed = r.liability + carry
    recovered = (r.clawback_freed_up + r.clawback_incentives + r.recovered_from_budget
                 + r.recovery_next.sum(axis=-1))
    assert (owed == recovered).all()
    assert (r.freed_up_paid >= 0).all() and (r.incentive_paid >= 0).all()


@settings(max_examples=60, deadline=None)
@given(data=st.data(), policy=policies)
def test_netting_moves_money_only_inside_a_consortium(data, policy):
    budget, outturn, codes = _random_case(data.draw)
    policy = policy.evolve(net_within_consortium=True)
    sav = pbc_freed_up(0.7)
    r = settle_arrays(budget, outturn, savings=sav, overspend=policy, consortium_codes=codes)
    for code in np.unique(codes):
        members = codes == code
        # the consortium as one practice gets exactly what its members get in total
        alone = settle_arrays(budget[members].sum(keepdims=True),
                              outturn[members].sum(keepdims=True), savings=sav,
                              overspend=policy.evolve(net_within_consortium=False))
        assert r.practice_amount[0, members].sum() == alone.practice_amount[0, 0]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), policy=policies, sched=savings_schedules, cut=st.floats(0, 1))
def test_spending_less_is_never_worse(data, policy, sched, cut):
    budget, outturn, _ = _random_case(data.draw)
    policy = policy.evolve(net_within_consortium=False)
    less = outturn.copy()
    less[0] = int(outturn[0] * cut)
    both = settle_arrays(budget, np.vstack([outturn, less]), savings=sched, overspend=policy)
    assert both.practice_amount[1, 0] >= both.practice_amount[0, 0]
    assert (both.practice_amount[1, 1:] == both.practice_amount[0, 1:]).all()


@settings(max_examples=40, deadline=None)
@given(data=st.data(), policy=policies)
def test_caps_respected_in_pence(data, policy):
    budget, outturn, _ = _random_case(data.draw)
    policy = policy.evolve(net_within_consortium=False)
    sched = pbc_freed_up(0.7).evolve(savings_cap=0.01)
    r = settle_arrays(budget, outturn, savings=sched, overspend=policy)
    assert (r.practice_amount <= np.rint(0.01 * budget) + 1).all()
    if policy.cap is not None:
        assert (r.liability <= np.rint(policy.cap * budget) + 1).all()


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_zero_share_schedule_is_a_no_op(data):
    budget, outturn, _ = _random_case(data.draw)
    r = settle_arrays(budget, outturn, savings=ShareSchedule())
    assert (r.practice_amount == 0).all() and (r.commissioner_amount == budget - outturn).all()
    assert (r.recovery_next == 0).all()


clawback_orders = st.sampled_from([("freed_up", "incentives", "future_budgets"),
                                   ("incentives", "freed_up", "future_budgets"),
                                   ("incentives", "future_budgets"), ("future_budgets",)])


@settings(max_examples=80, deadline=None)
@given(data=st.data(), policy=policies, order=clawback_orders, gated=st.booleans(),
       years_ahead=st.integers(0, 4), rows=st.integers(1, 4))
def test_every_row_conserves_every_penny(data, policy, order, gated, years_ahead, rows):
    # the pipeline's own check reads one row; here every row, every flow, any clawback order,
    # gates, the 2006/07 incentives (plan component reduced by freed-up resources) and a
    # carried schedule of instalments
    budget, first, codes = _random_case(data.draw)
    factors = np.array(data.draw(st.lists(st.floats(0.0, 2.0), min_size=rows * budget.size,
                                          max_size=rows * budget.size)))
    outturn = np.vstack([first, (budget * factors.reshape(rows, -1)[1:]).astype(np.int64)])
    carry = np.array(data.draw(st.lists(st.integers(0, 10**6),
                                        min_size=outturn.size * years_ahead,
                                        max_size=outturn.size * years_ahead)),
                     dtype=np.int64).reshape(*outturn.shape, years_ahead)
    savings = pbc_freed_up(0.7, gates=["ok"] if gated else ())
    conditions = {"plan_achieved": outturn < budget} | ({"ok": outturn[:, :1] > 0} if gated
                                                        else {})
    r = settle_arrays(budget, outturn, savings=savings,
                      overspend=policy.evolve(clawback_order=order), consortium_codes=codes,
                      incentives=des_2006(), list_size=np.full(budget.size, 3_000),
                      conditions=conditions, carry_forward_pence=carry)
    variance = budget - outturn
    assert (r.variance == variance).all()
    assert (r.practice_amount + r.commissioner_amount == variance).all()
    assert (r.freed_up - r.clawback_freed_up == r.freed_up_paid).all()
    assert (r.incentive_signup + r.incentive_plan - r.clawback_incentives
            == r.incentive_paid).all()
    owed = r.liability + carry.sum(axis=-1)
    recovered = (r.clawback_freed_up + r.clawback_incentives + r.recovered_from_budget
                 + r.recovery_next.sum(axis=-1))
    assert (owed == recovered).all()
    # carry[..., 0] is due now, carry[..., k] k years ahead: the schedule reaches max of both
    assert r.recovery_next.shape == (*outturn.shape,
                                     max(policy.recovery_years, years_ahead - 1))
    for flow in (r.freed_up_paid, r.incentive_paid, r.recovered_from_budget, r.recovery_next):
        assert (flow >= 0).all()


def test_a_lost_penny_is_caught(monkeypatch):
    import pbcmodel.settlement.core as core

    real = core.claw_back

    def leaky(*args, **kwargs):               # a clawback that forgets one penny
        clawed = real(*args, **kwargs)
        return clawed._replace(outstanding=clawed.outstanding - 1)

    monkeypatch.setattr(core, "claw_back", leaky)
    with pytest.raises(PBCModelError, match="not conserved to the penny"):
        settle_arrays(np.array([100_000]), np.array([110_000]),
                      overspend=OverspendPolicy(practice_share=1.0))


def test_rows_settle_independently_of_chunking():
    rng = np.random.default_rng(3)
    budget = rng.integers(10**6, 10**8, 50)
    outturn = (budget * rng.lognormal(0, 0.1, (40, 50))).astype(np.int64)
    kw = {"savings": pbc_freed_up(0.7), "consortium_codes": rng.integers(0, 5, 50),
          "overspend": OverspendPolicy(tolerance=0.01, practice_share=0.5,
                                       net_within_consortium=True, recovery_years=2)}
    whole = settle_arrays(budget, outturn, **kw)
    parts = [settle_arrays(budget, outturn[i:i + 7], **kw) for i in range(0, 40, 7)]
    assert (np.vstack([p.practice_amount for p in parts]) == whole.practice_amount).all()
    assert (np.vstack([p.recovery_next for p in parts]) == whole.recovery_next).all()


# --------------------------------------------------------------------------- bad input

def test_misaligned_practice_codes_are_named():
    with pytest.raises(ValidationError, match=r"missing practice code\(s\) 'B'.*'Z'"):
        settle(series(A=1.0, B=2.0), series(A=1.0, Z=2.0))


@pytest.mark.parametrize(("budgets", "outturn", "match"), [
    (series(A=np.nan), series(A=1.0), "budgets: NaN or infinite value for 'A'"),
    (series(A=1.0), series(A=np.inf), "outturn: NaN or infinite value for 'A'"),
    (series(A=0.0), series(A=1.0), "budget: must be > 0"),
    # a frame is checked cell by cell, naming column and practice (practice_totals)
    (pd.DataFrame({pod: [1.0, np.nan] for pod in PODS}, index=["A", "B"]),
     series(A=1.0, B=1.0), r"budgets: column 'elective' must be a finite number >= 0; "
                           r"practice\(s\) 'B'"),
    (pd.DataFrame({"x": [1.0, 2.0]}, index=["A", "B"]), series(A=1.0, B=1.0),
     r"budgets: unknown column\(s\) 'x'; missing POD column\(s\) 'elective'"),
    ([1.0], series(A=1.0), "budgets: expected a Series"),
])
def test_bad_money_rejected(budgets, outturn, match):
    with pytest.raises(ValidationError, match=match):
        settle(budgets, outturn)


def test_policy_and_loss_sharing_schedule_must_not_both_govern_overspends():
    with pytest.raises(ValidationError, match="choose one"):
        settle(series(A=1.0), series(A=2.0), savings=aca_risk_corridor(),
               overspend=OverspendPolicy(practice_share=0.5))


def test_gate_condition_missing_or_unused():
    with pytest.raises(ValidationError, match="gate 'plan_approved'"):
        settle(series(A=1.0), series(A=1.0), savings=pbc_freed_up(gates=["plan_approved"]))
    with pytest.raises(ValidationError, match="'comissioner_in_balance' not used"):
        settle(series(A=1.0), series(A=1.0), savings=pbc_freed_up(),
               conditions={"comissioner_in_balance": True})
    with pytest.raises(ValidationError, match="plan_achieved"):
        settle(series(A=1.0), series(A=1.0), incentives=des_2006(),
               list_size=pd.Series({"A": 10}))


def test_required_lookups_named():
    netting = OverspendPolicy(practice_share=0.5, net_within_consortium=True)
    with pytest.raises(ValidationError, match="consortium"):
        settle(series(A=1.0), series(A=2.0), overspend=netting)
    with pytest.raises(ValidationError, match=r"consortium: missing practice code\(s\) 'B'"):
        settle(series(A=1.0, B=1.0), series(A=2.0, B=1.0), overspend=netting,
               consortium=pd.Series({"A": "C1"}))
    with pytest.raises(ValidationError, match="list_size"):
        settle(series(A=1.0), series(A=1.0), incentives=Incentives(per_head=1.0))


def test_bad_carry_forward_rejected():
    with pytest.raises(ValidationError, match=r"carry_forward: practice code\(s\) 'Z'"):
        settle(series(A=1.0), series(A=1.0), carry_forward=series(Z=5.0))
    with pytest.raises(ValidationError, match="carry_forward: liabilities must be >= 0"):
        settle(series(A=1.0), series(A=1.0), carry_forward=series(A=-5.0))
    with pytest.raises(ValidationError, match="carry_forward: columns"):
        settle(series(A=1.0), series(A=1.0),
               carry_forward=pd.DataFrame({2: [1.0]}, index=["A"]))
    with pytest.raises(ValidationError, match="carry_forward"):
        settle(series(A=1.0), series(A=1.0), carry_forward=series(A=np.nan))


def test_array_core_rejects_bad_arrays():
    with pytest.raises(ValidationError, match="budget_pence: expected whole pence"):
        settle_arrays(np.array([1.5]), np.array([1]))
    with pytest.raises(ValidationError, match="budget_pence: budgets must be > 0"):
        settle_arrays(np.array([0]), np.array([1]))
    with pytest.raises(ValidationError, match="outturn_pence"):
        settle_arrays(np.array([1]), np.array([-1]))
    with pytest.raises(ValidationError, match="consortium_codes"):
        settle_arrays(np.array([1, 2]), np.array([1, 2]),
                      overspend=OverspendPolicy(practice_share=1.0, net_within_consortium=True),
                      consortium_codes=np.array([0]))


def test_explain_unknown_practice():
    st_ = settle(series(A=1.0), series(A=1.0))
    with pytest.raises(ValidationError, match="unknown practice code 'Q'"):
        st_.explain("Q")


def test_settlement_type():
    assert isinstance(settle(series(A=1.0), series(A=1.0)), Settlement)


# --------------------------------------------------------------------------- figures

def test_figures_draw():
    from pbcmodel.plot.settlement import schedule_curve, settlement_waterfall

    ax = schedule_curve(aca_risk_corridor(), span=0.1, points=21)
    _, y = ax.lines[1].get_data()
    assert y[0] == pytest.approx(-100 * (0.03 + 0.025 + 0.2 * 0.02))   # −10% → bears 5.9%
    st_ = settle(series(P=1e6), series(P=1.1e6),
                 overspend=OverspendPolicy(practice_share=0.5, recovery_years=2))
    ax = settlement_waterfall(st_, "P")
    heights = [p.get_height() for p in ax.patches]
    assert heights[0] == -50_000.0 and heights[-1] == 0.0


# --------------------------------------------------------------------------- budgets in pence

def test_float_budgets_are_settled_to_their_rounded_whole():
    # three budgets of £100/3 = £33.333…: each rounded alone, 3333p × 3 = £99.99; allocated
    # from the rounded whole £100.00, the one penny left goes to the first (ties in order)
    st_ = settle(pd.Series({"A": 100 / 3, "B": 100 / 3, "C": 100 / 3}),
                 series(A=30.0, B=30.0, C=30.0), savings=pbc_freed_up(0.7))
    assert st_.budget_pence.tolist() == [3334, 3333, 3333]
    pence = st_.to_frame(pence=True)
    # variance 334p, 333p, 333p; 70% to the practice (rounded), the rest to the commissioner
    assert pence["variance"].tolist() == [334, 333, 333]
    assert (pence["practice_amount"] + pence["commissioner_amount"]
            == pence["variance"]).all()
    # budgets already in whole pence do not move
    whole = settle(series(A=10.01, B=20.02), series(A=10.0, B=20.0))
    assert whole.budget_pence.tolist() == [1001, 2002]


def test_example_scenario_settled_budgets_add_up_to_the_resource():
    import pbcmodel as pbc
    from pbcmodel.money import round_half_up

    scn = pbc.Scenario.example()
    budgets = scn.budgets()["total"]
    st_ = scn.settle(budgets * 1.01)
    # £510m less 3% top-slices = £494.7m; rounded practice by practice it read £494,699,999.96
    whole = round(float(round_half_up(budgets.sum(), 2)) * 100)
    assert whole == 49_470_000_000
    assert int(st_.budget_pence.sum()) == whole
    assert np.all(np.abs(st_.budget_pence - budgets.to_numpy() * 100) < 1)
    pence = st_.to_frame(pence=True)
    assert (pence["practice_amount"] + pence["commissioner_amount"] == pence["variance"]).all()
    assert (pence["budget"] - pence["outturn"] == pence["variance"]).all()
