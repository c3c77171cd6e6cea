"""Risk-corridor presets of issue 24 (ACO REACH Global and Professional): hand-computed
settlements in every band, money conserved to the penny, monotone in outturn."""

from __future__ import annotations

import json

import cattrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.errors import ValidationError
from pbcmodel.settlement import settle, settle_arrays
from pbcmodel.sharing import (
    ACO_REACH_GLOBAL_CORRIDORS,
    ACO_REACH_PROFESSIONAL_CORRIDORS,
    ShareSchedule,
    aco_reach_global,
    aco_reach_professional,
)

PRESETS = [aco_reach_global, aco_reach_professional]


def _settle_one(schedule: ShareSchedule, budget: float, outturn: float) -> tuple[int, int]:
    """(practice, commissioner) amounts in pence for one holder."""
    st_ = settle(pd.Series({"ACO": budget}), pd.Series({"ACO": outturn}), savings=schedule)
    row = st_.to_frame(pence=True).loc["ACO"]
    return int(row["practice_amount"]), int(row["commissioner_amount"])


# --------------------------------------------------------------------------- hand-computed

# Benchmark £10m in every case; amounts in pounds (practice = ACO, commissioner = CMS).
GLOBAL_CASES = [
    # band 1 (< 25%): 8% savings → the ACO keeps all £800,000
    (9.2e6, 800_000, 0),
    # band 2 (25–35%): 30% savings = £3m → £2.5m + 50% × £0.5m = £2.75m; CMS £0.25m
    (7.0e6, 2_750_000, 250_000),
    # band 3 (35–50%): 40% = £4m → £2.5m + 50% × £1m + 25% × £0.5m = £3.125m; CMS £0.875m
    (6.0e6, 3_125_000, 875_000),
    # band 4 (> 50%): 60% = £6m → 2.5 + 0.5 + 25% × 1.5 + 10% × 1 = £3.475m; CMS £2.525m
    (4.0e6, 3_475_000, 2_525_000),
    # the losses side mirrors the savings side
    (10.8e6, -800_000, 0),
    (13.0e6, -2_750_000, -250_000),
    (14.0e6, -3_125_000, -875_000),
    (16.0e6, -3_475_000, -2_525_000),
    # exactly on budget: nothing to share
    (10.0e6, 0, 0),
]

PROFESSIONAL_CASES = [
    # band 1 (< 5%): 3% = £300,000 → 50% = £150,000; CMS £150,000
    (9.7e6, 150_000, 150_000),
    # band 2 (5–10%): 8% = £800,000 → 50% × 500k + 35% × 300k = £355,000; CMS £445,000
    (9.2e6, 355_000, 445_000),
    # band 3 (10–15%): 12% = £1.2m → 250k + 35% × 500k + 15% × 200k = £455,000; CMS £745,000
    (8.8e6, 455_000, 745_000),
    # band 4 (> 15%): 20% = £2m → 250k + 175k + 15% × 500k + 5% × 500k = £525,000
    (8.0e6, 525_000, 1_475_000),
    # losses mirror savings
    (10.3e6, -150_000, -150_000),
    (10.8e6, -355_000, -445_000),
    (11.2e6, -455_000, -745_000),
    (12.0e6, -525_000, -1_475_000),
]


@pytest.mark.parametrize(("outturn", "aco", "cms"), GLOBAL_CASES)
def test_aco_reach_global_hand_computed(outturn, aco, cms):
    assert _settle_one(aco_reach_global(), 10e6, outturn) == (aco * 100, cms * 100)
    assert float(aco_reach_global().practice_amount(10e6, outturn)) == pytest.approx(aco)


@pytest.mark.parametrize(("outturn", "aco", "cms"), PROFESSIONAL_CASES)
def test_aco_reach_professional_hand_computed(outturn, aco, cms):
    assert _settle_one(aco_reach_professional(), 10e6, outturn) == (aco * 100, cms * 100)
    assert float(aco_reach_professional().practice_amount(10e6, outturn)) == pytest.approx(aco)


def test_corridors_are_the_published_bands():
    # Pearl Health, Exhibit A "Risk Corridors under ACO REACH" (see the preset docstrings)
    assert ACO_REACH_GLOBAL_CORRIDORS == ((0.0, 1.0), (0.25, 0.5), (0.35, 0.25), (0.5, 0.1))
    assert ACO_REACH_PROFESSIONAL_CORRIDORS == (
        (0.0, 0.5), (0.05, 0.35), (0.10, 0.15), (0.15, 0.05))
    for preset, tiers in ((aco_reach_global, ACO_REACH_GLOBAL_CORRIDORS),
                          (aco_reach_professional, ACO_REACH_PROFESSIONAL_CORRIDORS)):
        sched = preset()
        assert sched.savings == sched.losses == tiers
        assert (sched.minimum_savings_rate, sched.minimum_loss_rate) == (0.0, 0.0)
        assert (sched.savings_cap, sched.loss_cap) == (None, None)
        assert sched.shares_losses


def test_explain_states_the_bands():
    st_ = settle(pd.Series({"ACO": 10e6}), pd.Series({"ACO": 9.2e6}),
                 savings=aco_reach_professional())
    text = " ".join(st_.explain("ACO").split())
    assert "50% up to 5%, 35% from 5% to 10%, 15% from 10% to 15%, 5% beyond 15%" in text


@pytest.mark.parametrize("preset", PRESETS)
def test_presets_round_trip_through_json(preset):
    conv = cattrs.Converter(forbid_extra_keys=True)
    sched = preset()
    assert conv.structure(json.loads(json.dumps(conv.unstructure(sched))), ShareSchedule) == sched


# --------------------------------------------------------------------------- properties

budgets_pence = st.lists(st.integers(100, 10**10), min_size=1, max_size=8)


@settings(max_examples=80, deadline=None)
@given(preset=st.sampled_from(PRESETS), budgets=budgets_pence, data=st.data())
def test_money_conserved_to_the_penny(preset, budgets, data):
    budget = np.array(budgets)
    factors = data.draw(st.lists(st.floats(0.0, 2.5), min_size=budget.size,
                                 max_size=budget.size))
    outturn = np.array([int(b * f) for b, f in zip(budgets, factors, strict=True)])
    r = settle_arrays(budget, outturn, savings=preset())
    variance = budget - outturn
    assert (r.practice_amount + r.commissioner_amount == variance).all()
    assert r.practice_amount.sum() + r.commissioner_amount.sum() == variance.sum()
    # the ACO never keeps more than the saving nor bears more than the loss
    assert (np.abs(r.practice_amount) <= np.abs(variance)).all()


@settings(max_examples=80, deadline=None)
@given(preset=st.sampled_from(PRESETS), budget=st.integers(100, 10**10),
       factors=st.lists(st.floats(0.0, 2.5), min_size=2, max_size=30))
def test_provider_amount_monotone_in_outturn(preset, budget, factors):
    outturn = np.sort(np.array([int(budget * f) for f in factors]))[:, None]  # rising spend
    r = settle_arrays(np.array([budget]), outturn, savings=preset())
    amounts = r.practice_amount[:, 0]
    assert (np.diff(amounts) <= 0).all()          # spending more never pays the ACO more
    assert (np.diff(r.commissioner_amount[:, 0]) <= 0).all()


# --------------------------------------------------------------------------- bad corridors

def test_overlapping_corridor_bands_are_refused():
    with pytest.raises(ValidationError, match=r"savings\[2\] threshold: thresholds must be "
                                              r"strictly increasing"):
        ShareSchedule(savings=((0.0, 1.0), (0.25, 0.5), (0.25, 0.25)),
                      losses=ACO_REACH_GLOBAL_CORRIDORS)


def test_corridor_share_outside_unit_interval_is_refused():
    with pytest.raises(ValidationError, match=r"losses\[2\] share"):
        ShareSchedule(savings=ACO_REACH_PROFESSIONAL_CORRIDORS,
                      losses=((0.0, 0.5), (0.05, 0.35), (0.10, 1.5)))


def test_presets_take_no_parameters():
    # the published corridors are fixed; a variant is ShareSchedule(savings=..., losses=...)
    with pytest.raises(TypeError):
        aco_reach_global(0.1)  # type: ignore[call-arg]
