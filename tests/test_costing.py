"""Tests for pbcmodel.costing: activity × tariff × MFF, and price/volume/mix variance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.costing import activity_cost, price_volume_mix
from pbcmodel.datasets import example_contract_plan, example_tariffs
from pbcmodel.errors import ValidationError


def test_activity_cost_by_pod_and_mff_hand_computed():
    act = pd.DataFrame({"pod": ["outpatient_first", "prescribing"], "activity": [12, 1000],
                        "practice": ["P001", "P001"]})
    out = activity_cost(act, example_tariffs(), mff=1.02)
    # 12 × £170 × 1.02 = 2080.80; 1000 × £9.50 × 1.02 = 9690
    np.testing.assert_allclose(out["cost"], [2080.8, 9690.0])
    assert out["practice"].tolist() == ["P001", "P001"]  # other columns kept


def test_activity_cost_uses_currency_codes_and_provider_mff():
    act = pd.DataFrame({"provider": ["A", "B", "A"], "pod": ["elective"] * 3,
                        "currency": ["HRG1", "HRG1", "HRG2"], "activity": [2, 2, 1]})
    tariff = pd.Series({"HRG1": 1000.0, "HRG2": 3000.0})
    out = activity_cost(act, tariff, mff=pd.Series({"A": 1.1, "B": 0.9}))
    # 2·1000·1.1, 2·1000·0.9, 1·3000·1.1
    np.testing.assert_allclose(out["cost"], [2200.0, 1800.0, 3300.0])
    zero = activity_cost(act.assign(activity=0), tariff)
    assert (zero["cost"] == 0).all()


@pytest.mark.parametrize(("act", "tariff", "mff", "match"), [
    ({"pod": ["dental"], "activity": [1]}, None, 1.0, "tariff: no tariff for pod 'dental'"),
    ({"pod": ["ae"], "activity": [-1]}, None, 1.0, "activity: negative activity"),
    ({"pod": ["ae"], "activity": [np.nan]}, None, 1.0, "activity: activity.*NaN"),
    ({"pod": ["ae"], "activity": [1]}, None, 0.0, r"mff: must be a multiplier > 0 .*got 0\.0"),
    ({"pod": ["ae"], "activity": [1]}, None, 1e300, r"at most 100 .*got 1e\+300"),
    ({"pod": ["ae"], "activity": [1], "provider": ["Y"]}, None, pd.Series({"Y": 1e300}),
     r"mff: must be a multiplier > 0 and at most 100 .*provider\(s\) 'Y' have 1e\+300"),
    ({"pod": ["ae"], "activity": [1]}, None, pd.Series({"X": 1.0}), "provider"),
    ({"pod": ["ae"], "activity": [1], "provider": ["Y"]}, None, pd.Series({"X": 1.0}),
     "mff: no market forces factor for provider 'Y'"),
    ({"pod": ["ae"], "activity": [1]}, pd.Series({"ae": -5.0}), 1.0, "tariff: negative"),
    ({"pod": ["ae"]}, None, 1.0, "activity: missing column"),
])
def test_activity_cost_bad_inputs(act, tariff, mff, match):
    tariff = example_tariffs() if tariff is None else tariff
    with pytest.raises(ValidationError, match=match):
        activity_cost(pd.DataFrame(act), tariff, mff=mff)


def _plan_actual():
    plan = example_contract_plan()
    actual = plan.copy()
    actual["activity"] *= 1.1
    actual.loc[("RXB", "elective"), "price"] *= 1.03
    return plan, actual


def test_price_volume_mix_hand_computed_and_by_levels():
    idx = pd.MultiIndex.from_tuples([("op", "cheap"), ("op", "dear"), ("ip", "x")],
                                    names=["pod", "code"])
    plan = pd.DataFrame({"activity": [100, 100, 10], "price": [50.0, 150.0, 1000.0]}, index=idx)
    actual = pd.DataFrame({"activity": [90, 130, 10], "cost": [4500.0, 20800.0, 10000.0]},
                          index=idx)
    out = price_volume_mix(plan, actual)
    # variances are plan − actual (negative = overspend), as in settlement and monitoring:
    # op: plan 20,000; actual 25,300: −5,300. price (150 − 160)·130 = −1,300; P̄ = 100;
    # volume (200 − 220)·100 = −2,000; mix 220·100 − (90·50 + 130·150) = −2,000.
    assert out.loc["op", ["variance", "price", "volume", "mix"]].tolist() == [
        -5300.0, -1300.0, -2000.0, -2000.0]
    assert out.loc["ip", ["variance", "price", "volume", "mix"]].tolist() == [0.0] * 4
    total = price_volume_mix(plan, actual, by=None)
    assert total.index.tolist() == ["total"]
    assert total.loc["total", "variance"] == -5300.0
    # Mix measured across PODs too: ip is dear, op cheap; totals still add up.
    assert total[["price", "volume", "mix"]].sum(axis=1).iloc[0] == pytest.approx(-5300.0)


def test_price_volume_mix_unplanned_and_unused_items():
    plan = pd.DataFrame({"activity": [10.0], "price": [100.0]},
                        index=pd.Index(["a"], name="code"))
    actual = pd.DataFrame({"activity": [5.0], "price": [200.0]},
                          index=pd.Index(["b"], name="code"))
    out = price_volume_mix(plan, actual, by=None)
    # plan 1,000, actual 1,000 (5 × 200, valued at its own price: no price variance)
    assert out.loc["total", ["variance", "price"]].tolist() == [0.0, 0.0]
    only_new = price_volume_mix(plan.iloc[:0], actual, by="code")
    assert only_new.loc["b", ["volume", "mix"]].tolist() == [-1000.0, 0.0]   # unplanned spend


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.floats(1, 500), st.integers(0, 500),
                          st.floats(1, 500)), min_size=1, max_size=8))
def test_price_volume_mix_components_add_up(rows):
    idx = pd.MultiIndex.from_tuples([("g", str(i)) for i in range(len(rows))],
                                    names=["pod", "code"])
    plan = pd.DataFrame({"activity": [r[0] for r in rows], "price": [r[1] for r in rows]},
                        index=idx)
    actual = pd.DataFrame({"activity": [r[2] for r in rows], "price": [r[3] for r in rows]},
                          index=idx)
    out = price_volume_mix(plan, actual)
    parts = out[["price", "volume", "mix"]].sum(axis=1)
    np.testing.assert_allclose(parts, out["variance"], rtol=1e-9, atol=1e-6)


def test_price_volume_mix_on_contract_example():
    plan, actual = _plan_actual()
    out = price_volume_mix(plan, actual, by="provider")
    # only RXB elective changed price: price variance (plan − actual) =
    # −0.03 × 1326 × planned units × 1.1
    rxb = plan.loc[("RXB", "elective")]
    assert out.loc["RXB", "price"] == pytest.approx(
        -0.03 * rxb["price"] * rxb["activity"] * 1.1)
    assert out.loc["RXA", "price"] == pytest.approx(0.0, abs=1e-6)


def test_price_volume_mix_bad_inputs():
    plan, actual = _plan_actual()
    with pytest.raises(ValidationError, match="actual: index levels"):
        price_volume_mix(plan, actual.rename_axis(["trust", "pod"]))
    with pytest.raises(ValidationError, match="by: no index level 'currency'"):
        price_volume_mix(plan, actual, by="currency")
    with pytest.raises(ValidationError, match="plan: needs columns"):
        price_volume_mix(plan[["activity"]], actual)
    with pytest.raises(ValidationError, match="actual: negative activity"):
        price_volume_mix(plan, actual.assign(activity=-1.0))
    bad = pd.DataFrame({"activity": [0.0], "cost": [50.0]}, index=pd.Index(["a"], name="c"))
    with pytest.raises(ValidationError, match="actual: cost without activity.*'a'"):
        price_volume_mix(bad.assign(cost=0.0), bad)
    with pytest.raises(ValidationError, match="plan: duplicate"):
        price_volume_mix(pd.concat([plan, plan]), actual)
    with pytest.raises(ValidationError, match="plan: expected a DataFrame"):
        price_volume_mix([1, 2], actual)
