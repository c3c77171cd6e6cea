"""The fused settlement (pbcmodel.settlement.settle_kernel): numba and numpy give the same
pence, bit for bit, and the money is conserved.

The numba leg of each comparison is skipped, with the reason, where numba (the optional
extra ``pbcmodel[fast]``) is not installed; the numpy leg (the fallback) is tested either way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.errors import ValidationError
from pbcmodel.overspend import (
    Consortia,
    OverspendPolicy,
    instalment,
    netted_total,
    netting_sign,
    netting_weight,
    recover,
    recovery_schedule,
)
from pbcmodel.risk import kernel
from pbcmodel.settlement.core import settle_arrays
from pbcmodel.settlement.settle_kernel import Settled, settle_year
from pbcmodel.sharing import ShareSchedule, SideRule, pbc_freed_up
from pbcmodel.sharing.schedule import share_of_variance, side_amount
from pbcmodel.withhold import QualityWithhold


@pytest.fixture(scope="module")
def numba_installed() -> None:
    pytest.importorskip("numba", reason="numba (pbcmodel[fast]) is not installed: the "
                                        "numba kernel cannot be compared with numpy")


def assert_same(a: Settled, b: Settled) -> None:
    for name, x, y in zip(Settled._fields, a, b, strict=True):
        assert x.dtype == y.dtype == np.int64, name
        assert x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)


# ----------------------------------------------------------------------------- policies
shares = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 1.0]) | st.floats(0.0, 1.0)
rates = st.sampled_from([0.0, 0.02]) | st.floats(0.0, 0.1)
caps = st.none() | st.sampled_from([0.0, 0.05]) | st.floats(0.0, 0.3)


@st.composite
def tiers(draw: Any) -> list[tuple[float, float]]:
    """One to three tiers, the first from 0."""
    thresholds = draw(st.lists(st.floats(0.001, 0.3), max_size=2, unique=True))
    return [(t, draw(shares)) for t in [0.0, *sorted(thresholds)]]


@st.composite
def policies(draw: Any) -> dict[str, Any]:
    """A savings schedule with an overspend policy (netting or not, any recovery years and
    clawback order), or a schedule that shares losses itself."""
    first_dollar = draw(st.booleans())
    if draw(st.booleans()):
        savings = ShareSchedule(savings=draw(tiers()), minimum_savings_rate=draw(rates),
                                first_dollar=first_dollar, savings_cap=draw(caps))
        overspend = OverspendPolicy(
            practice_share=draw(shares), tolerance=draw(rates), cap=draw(caps),
            net_within_consortium=draw(st.booleans()), recovery_years=draw(st.integers(1, 3)),
            clawback_order=draw(st.sampled_from([
                ("freed_up", "incentives", "future_budgets"), ("freed_up", "future_budgets"),
                ("incentives", "future_budgets"), ("future_budgets",)])))
        return {"savings": savings, "overspend": overspend}
    return {"savings": ShareSchedule(
        savings=draw(tiers()), losses=draw(tiers()), minimum_savings_rate=draw(rates),
        minimum_loss_rate=draw(rates), first_dollar=first_dollar, savings_cap=draw(caps),
        loss_cap=draw(caps))}


@st.composite
def money(draw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Budgets (P,), three years of outturns (3, S, P) and consortium codes (P,)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    practices, sims = draw(st.integers(1, 12)), draw(st.integers(1, 4))
    budget = rng.integers(1, draw(st.sampled_from([10, 10**4, 10**9])), practices)
    spread = draw(st.sampled_from([0.0, 0.03, 0.3]))
    outturn = np.rint(budget * rng.normal(1.0, spread, (3, sims, practices))).astype(np.int64)
    outturn = np.maximum(outturn, 0)
    on_budget = rng.random(outturn.shape) < 0.2        # exactly on budget: a variance of 0
    outturn[on_budget] = np.broadcast_to(budget, outturn.shape)[on_budget]
    codes = rng.integers(0, draw(st.integers(1, 4)), practices)
    if draw(st.booleans()):
        codes = np.sort(codes)                  # listed by consortium: netted in place
    return budget, outturn, codes


def three_years(policy: dict[str, Any], budget: np.ndarray, outturns: np.ndarray,
                codes: Any) -> list[Settled]:
    """Three years settled by the active kernel, instalments carried as the loop does."""
    out, carry = [], None
    for outturn in outturns:
        settled = settle_year(budget, outturn, consortium_codes=codes,
                              carry_forward_pence=carry, **policy)
        out.append(settled)
        carry = settled.recovery_next if settled.carried.any() else None
    return out


def assert_conserved(budget: np.ndarray, outturns: np.ndarray, years: list[Settled]) -> None:
    """Every penny with one party: the commissioner has the rest of each variance, and every
    liability (this year's, and every instalment brought forward) is clawed back, recovered
    from this year's budget or carried forward:
    ``liability + brought == (freed-up − cash) + carried``."""
    brought = np.zeros(outturns.shape[1:], dtype=np.int64)
    for outturn, s in zip(outturns, years, strict=True):
        np.testing.assert_array_equal(s.commissioner,
                                      (budget - outturn - s.practice_amount).sum(axis=1))
        freed, liability = np.maximum(s.practice_amount, 0), np.maximum(-s.practice_amount, 0)
        np.testing.assert_array_equal(liability + brought,
                                      freed - s.net_to_practice + s.recovery_next.sum(-1))
        np.testing.assert_array_equal(s.carried, s.recovery_next.sum(axis=(1, 2)))
        assert (s.recovery_next >= 0).all()
        brought = s.recovery_next.sum(-1)


# ----------------------------------------------------------------------------- the rules
@given(excess=st.floats(0, 1e9), budget=st.floats(1, 1e9), rule=tiers(), rate=rates,
       first_dollar=st.booleans(), cap=caps, factor=st.none() | st.floats(0, 1))
@settings(max_examples=200, deadline=None)
def test_side_amount_on_numbers_is_side_rule_amount_on_arrays(excess, budget, rule, rate,
                                                              first_dollar, cap, factor):
    side = SideRule(tiers=rule, minimum_rate=rate, first_dollar=first_dollar, cap=cap)
    one = side_amount(np.float64(excess), np.float64(budget), factor, side.terms)
    many = side.amount(np.array([excess, excess]), np.array([budget, budget]),
                       1.0 if factor is None else factor)
    assert many.tolist() == [float(one), float(one)]


@given(outstanding=st.integers(0, 10**12), years=st.integers(1, 5))
def test_instalments_add_up_odd_pence_first(outstanding, years):
    parts = [int(instalment(outstanding, years, k)) for k in range(years)]
    assert sum(parts) == outstanding
    assert parts == sorted(parts, reverse=True) and parts[0] - parts[-1] <= 1
    assert recovery_schedule(np.array([outstanding]), years).tolist() == [parts]


def test_netting_rules_on_numbers_and_arrays():
    assert [int(netting_sign(v)) for v in (5, 0, -5)] == [1, 1, -1]
    assert netting_weight(np.array([3, -2]), -1).tolist() == [0, 2]
    assert float(netted_total(6_000, 5_600.0, 9_000)) == 3_733.0
    assert [int(x) for x in recover(9_000, 4_000)] == [4_000, 0]
    seventy, half = pbc_freed_up(0.7).savings_rule.terms, SideRule(tiers=((0, 0.5),)).terms
    assert float(share_of_variance(100.0, -10.0, None, seventy, half)) == -5.0


def test_consortia_members_follow_the_netting_order():
    c = Consortia.from_codes(np.array([2, 0, 2, 1, 0]))
    order, starts = c.members
    assert order.tolist() == [1, 4, 3, 0, 2] and starts.tolist() == [0, 2, 3, 5]


# ----------------------------------------------------------------------------- both kernels
@given(policy=policies(), data=money())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_numba_and_numpy_give_the_same_pence(numba_installed, policy, data):
    budget, outturns, codes = data
    with kernel.use_kernel("numpy"):
        reference = three_years(policy, budget, outturns, codes)
    with kernel.use_kernel("numba"):
        fused = three_years(policy, budget, outturns, Consortia.from_codes(codes))
    for a, b in zip(reference, fused, strict=True):
        assert_same(a, b)
    assert_conserved(budget, outturns, fused)


@given(policy=policies(), data=money())
@settings(max_examples=100, deadline=None)
def test_numpy_path_is_settle_arrays(policy, data):
    budget, outturns, codes = data
    with kernel.use_kernel("numpy"):
        s = settle_year(budget, outturns[0], consortium_codes=codes, **policy)
    r = settle_arrays(budget, outturns[0], consortium_codes=codes, **policy)
    assert_same(s, Settled(r.practice_amount, r.net_to_practice, r.commissioner_amount.sum(1),
                           r.recovery_next.sum(axis=(1, 2)), r.recovery_next))


def test_carry_forward_longer_than_the_recovery(numba_installed):
    """Instalments brought forward for more years than the policy recovers over."""
    budget = np.array([1_000, 2_000, 3_000])
    outturn = np.array([[1_500, 1_000, 3_100], [900, 2_500, 2_000]])
    carry = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    policy = {"savings": pbc_freed_up(0.5),
              "overspend": OverspendPolicy(practice_share=0.6, recovery_years=2)}
    with kernel.use_kernel("numpy"):
        reference = settle_year(budget, outturn, carry_forward_pence=carry, **policy)
    with kernel.use_kernel("numba"):
        fused = settle_year(budget, outturn, carry_forward_pence=carry, **policy)
    assert_same(reference, fused)
    assert fused.recovery_next.shape == (2, 3, 3)


@pytest.mark.parametrize("extra", [
    {"savings": pbc_freed_up(0.7, gates=["plan"]), "conditions": {"plan": True}},
    {"withhold": QualityWithhold(0.02), "conditions": {"quality_met": False}},
    {"incentives": pbc.Incentives(per_head=1.0), "list_size": np.array([10, 20])},
    {"budget": np.array([[10_000, 20_000], [12_000, 20_000]])},
], ids=["gates", "withhold", "incentives", "budgets per simulation"])
def test_other_policies_fall_back_to_settle_arrays(numba_installed, extra):
    extra = dict(extra)
    budget = extra.pop("budget", np.array([10_000, 20_000]))
    outturn = np.array([[9_000, 21_000], [10_500, 19_000]])
    policy = {"savings": pbc_freed_up(0.7),
              "overspend": OverspendPolicy(practice_share=0.5, recovery_years=2)} | extra
    r = settle_arrays(budget, outturn, **policy)
    with kernel.use_kernel("numba"):
        s = settle_year(budget, outturn, **policy)
    assert_same(s, Settled(r.practice_amount, r.net_to_practice, r.commissioner_amount.sum(1),
                           r.recovery_next.sum(axis=(1, 2)), r.recovery_next))


@pytest.mark.parametrize("name", ["numpy", "numba"])
@pytest.mark.parametrize(("budget", "outturn", "carry", "message"), [
    ([100, 0], [[50, 50]], None, "budgets must be > 0"),
    ([100, 100], [[50, -1]], None, "outturn must be >= 0"),
    ([100, 100], [[50, 150]], [[[0, -1], [0, 0]]], "brought forward must be >= 0"),
    ([100, 100], [[50, -1]], [[[0, -1], [0, 0]]], "outturn must be >= 0"),
])
def test_bad_input_is_named_by_either_kernel(name, budget, outturn, carry, message):
    if name == "numba":
        pytest.importorskip("numba", reason="numba (pbcmodel[fast]) is not installed")
    with kernel.use_kernel(name), pytest.raises(ValidationError, match=message):
        settle_year(np.array(budget), np.array(outturn),
                    carry_forward_pence=None if carry is None else np.array(carry),
                    savings=pbc_freed_up(0.7), overspend=OverspendPolicy(practice_share=0.5))


@pytest.mark.parametrize("name", ["numpy", "numba"])
def test_a_policy_and_a_schedule_sharing_losses_is_refused(name):
    if name == "numba":
        pytest.importorskip("numba", reason="numba (pbcmodel[fast]) is not installed")
    with kernel.use_kernel(name), pytest.raises(ValidationError, match="choose one"):
        settle_year(np.array([100]), np.array([[120]]), savings=pbc.sharing.aca_risk_corridor(),
                    overspend=OverspendPolicy(practice_share=0.5))


# ----------------------------------------------------------------------------- simulations
def bench_like(practices: int = 90) -> pbc.Scenario:
    """benchmarks/bench_simulation.py's national scenario, smaller."""
    pop = pbc.datasets.synthetic_commissioner(practices, seed=0)
    return pbc.Scenario(
        population=pop,
        formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
                                      top_slices={"contingency": 0.01}),
        resource=1000.0 * pop.list_size.sum(), cost_model=pbc.datasets.example_cost_model(),
        savings=pbc_freed_up(0.7),
        overspend=OverspendPolicy(tolerance=0.02, practice_share=0.5,
                                  net_within_consortium=True, recovery_years=2),
        high_cost_threshold=50_000, common_shock_cv=0.02, cost_growth=0.03,
        resource_growth=0.03, name="national")


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("keep", ["stats", "full"])
def test_bench_like_simulation_is_identical(numba_installed, workers, keep):
    scn = bench_like()
    with kernel.use_kernel("numpy"):
        reference = scn.simulate(n=1500, years=3, seed=3, workers=1, keep=keep)
    with kernel.use_kernel("numba"):
        fused = scn.simulate(n=1500, years=3, seed=3, workers=workers, chunk_size=200,
                             keep=keep)
    pd.testing.assert_frame_equal(reference.metrics(), fused.metrics(), check_exact=True)
    pd.testing.assert_series_equal(reference.summary(), fused.summary(), check_exact=True)
    np.testing.assert_array_equal(reference.commissioner_pence, fused.commissioner_pence)
    if keep == "full":
        np.testing.assert_array_equal(reference.practice_amount_pence,
                                      fused.practice_amount_pence)
        np.testing.assert_array_equal(reference.net_pence, fused.net_pence)
