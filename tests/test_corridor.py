"""Corridors written as bands (`pbc.sharing.corridor`) and the MSSP BASIC Level E and ENHANCED
presets: hand-computed settlements, corridor ↔ tier equivalence, every bad band named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.errors import ValidationError
from pbcmodel.settlement import settle
from pbcmodel.sharing import (
    ShareSchedule,
    corridor,
    mssp_basic_level_e,
    mssp_enhanced,
)


def _settle_one(schedule: ShareSchedule, budget: float, outturn: float) -> tuple[int, int]:
    """(practice, commissioner) amounts in pence for one holder."""
    st_ = settle(pd.Series({"ACO": budget}), pd.Series({"ACO": outturn}), savings=schedule)
    row = st_.to_frame(pence=True).loc["ACO"]
    return int(row["practice_amount"]), int(row["commissioner_amount"])


# --------------------------------------------------------------------------- the old paths

def test_every_old_import_path_still_works():
    from pbcmodel.sharing import (  # noqa: F401
        FROM_OUTTURN,
        MAX_BUDGET_FRACTION,
        MSSP_MSR_TABLE,
        MSSP_TRACK2_LOSS_CAPS,
        Gate,
        SideRule,
        budget_fraction,
        resolve_conditions,
        shared_amount,
    )
    assert pbc.sharing.ShareSchedule is pbc.ShareSchedule
    assert pbc.sharing.corridor is corridor
    assert pbc.sharing.mssp_enhanced is mssp_enhanced


# --------------------------------------------------------------------------- MSSP hand-computed

# Benchmark £10m; MSR = MLR = 2% (the default); amounts in pounds (+ to the ACO, − from it).
LEVEL_E_CASES = [
    # 3% saved (≥ 2% MSR): 50% × £300,000 = £150,000 from the first dollar; CMS keeps the rest
    (9.7e6, 150_000, 150_000),
    # 1% saved < 2% MSR: nothing shared, CMS keeps all £100,000
    (9.9e6, 0, 100_000),
    # 30% saved: 50% × £3m = £1.5m, capped at 10% of the benchmark = £1m; CMS £2m
    (7.0e6, 1_000_000, 2_000_000),
    # 5% over (≥ 2% MLR): 30% × £500,000 = £150,000 borne; CMS bears £350,000
    (10.5e6, -150_000, -350_000),
    # 1.5% over < 2% MLR: nothing borne by the ACO
    (10.15e6, 0, -150_000),
    # 20% over: 30% × £2m = £600,000, capped at 4% of the benchmark = £400,000; CMS £1.6m
    (12.0e6, -400_000, -1_600_000),
]


@pytest.mark.parametrize(("outturn", "aco", "cms"), LEVEL_E_CASES)
def test_mssp_basic_level_e_hand_computed(outturn, aco, cms):
    assert _settle_one(mssp_basic_level_e(), 10e6, outturn) == (aco * 100, cms * 100)


def test_mssp_basic_level_e_revenue_based_cap():
    # revenue = 25% of the benchmark: 8% × 25% = 2% of £10m = £200,000 < the 4% limit
    assert _settle_one(mssp_basic_level_e(revenue_to_benchmark=0.25), 10e6, 12e6) == (
        -200_000 * 100, -1_800_000 * 100)
    # revenue = 2 × the benchmark: 8% × 2 = 16% > 4%, so the 4% benchmark limit applies
    assert mssp_basic_level_e(revenue_to_benchmark=2.0).loss_cap == 0.04
    with pytest.raises(ValidationError, match="revenue_to_benchmark: must be above 0"):
        mssp_basic_level_e(revenue_to_benchmark=0.0)


def test_mssp_basic_level_e_minimum_rate_choice():
    # a 0% MSR/MLR: 1% saved is shared, 50% × £100,000 = £50,000
    assert _settle_one(mssp_basic_level_e(minimum_rate=0.0), 10e6, 9.9e6) == (
        50_000 * 100, 50_000 * 100)


ENHANCED_CASES = [
    # quality 100% → loss rate max(1 − 75%, 40%) = 40%
    # 5% saved: 75% × £500,000 = £375,000; CMS £125,000
    (1.0, 9.5e6, 375_000, 125_000),
    # 30% saved: 75% × £3m = £2.25m, capped at 20% = £2m; CMS £1m
    (1.0, 7.0e6, 2_000_000, 1_000_000),
    # 5% over: 40% × £500,000 = £200,000; CMS £300,000
    (1.0, 10.5e6, -200_000, -300_000),
    # 50% over: 40% × £5m = £2m, capped at 15% = £1.5m; CMS £3.5m
    (1.0, 15.0e6, -1_500_000, -3_500_000),
    # quality 60% → loss rate 1 − 75% × 60% = 55%: 5% over costs £275,000
    (0.6, 10.5e6, -275_000, -225_000),
    # quality 0 (as failing the standard) → 1 − 0 = 100%, capped at 75%: £375,000
    (0.0, 10.5e6, -375_000, -125_000),
]


@pytest.mark.parametrize(("quality", "outturn", "aco", "cms"), ENHANCED_CASES)
def test_mssp_enhanced_hand_computed(quality, outturn, aco, cms):
    assert _settle_one(mssp_enhanced(quality), 10e6, outturn) == (aco * 100, cms * 100)


def test_mssp_enhanced_loss_rate_bounds():
    assert mssp_enhanced(1.0).losses == ((0.0, 0.4),)       # 25% raised to the 40% floor
    assert mssp_enhanced(0.8).losses == ((0.0, 0.4),)       # exactly 1 − 0.6
    assert mssp_enhanced(0.2).losses == ((0.0, 0.75),)      # 85% lowered to the 75% ceiling
    with pytest.raises(ValidationError, match="quality_score"):
        mssp_enhanced(1.2)


# --------------------------------------------------------------------------- corridor ↔ tiers

ACA_BANDS = [(0.0, 0.03, 1.0), (0.03, 0.08, 0.5), (0.08, None, 0.2)]


def test_corridor_is_the_tier_form():
    assert corridor(savings=ACA_BANDS, losses=ACA_BANDS) == pbc.sharing.aca_risk_corridor()


def test_closed_last_band_shares_nothing_beyond():
    sched = corridor(savings=[(0.0, 0.05, 0.5)])
    assert sched.savings == ((0.0, 0.5), (0.05, 0.0))
    # 8% saved on £1m: 50% of the first 5% only = £25,000
    assert float(sched.practice_amount(1e6, 0.92e6)) == 25_000.0
    assert not sched.shares_losses


def test_corridor_passes_the_other_fields_through():
    sched = corridor(losses=ACA_BANDS, minimum_loss_rate=0.01, loss_cap=0.05,
                     first_dollar=False, gates=["plan_approved"])
    assert (sched.minimum_loss_rate, sched.loss_cap, sched.first_dollar) == (0.01, 0.05, False)
    assert sched.gates == (pbc.sharing.Gate("plan_approved"),)


@st.composite
def contiguous_bands(draw):
    cuts = sorted(set(draw(st.lists(st.integers(1, 5_000), min_size=0, max_size=5))))
    ends = [c / 10_000 for c in cuts]
    shares = draw(st.lists(st.integers(0, 100), min_size=len(ends) + 1,
                           max_size=len(ends) + 1))
    lows = [0.0, *ends]
    open_last = draw(st.booleans())
    last_high = None if open_last else lows[-1] + draw(st.integers(1, 2_000)) / 10_000
    highs = [*ends, last_high]
    return [(lo, hi, s / 100) for lo, hi, s in zip(lows, highs, shares, strict=True)]


@settings(max_examples=60, deadline=None)
@given(bands=contiguous_bands(), budget=st.integers(10_000, 10**9),
       factors=st.lists(st.floats(0.0, 2.0), min_size=2, max_size=8))
def test_random_corridor_settles_like_its_tiers(bands, budget, factors):
    sched = corridor(savings=bands, losses=bands)
    tiers = [(lo, share) for lo, _, share in bands]
    if bands[-1][1] is not None:
        tiers.append((bands[-1][1], 0.0))
    as_tiers = ShareSchedule(savings=tiers, losses=tiers)
    outturns = np.array(factors) * budget
    np.testing.assert_array_equal(sched.practice_amount(float(budget), outturns),
                                  as_tiers.practice_amount(float(budget), outturns))
    # practice amount is non-increasing in outturn (more spend never pays the practice more)
    ordered = np.sort(outturns)
    amounts = sched.practice_amount(float(budget), ordered)
    assert np.all(np.diff(amounts) <= 1e-9 * budget)


@settings(max_examples=40, deadline=None)
@given(bands=contiguous_bands(), budget=st.integers(10_000, 10**8), factor=st.floats(0.0, 2.0))
def test_random_corridor_conserves_money_in_pence(bands, budget, factor):
    sched = corridor(savings=bands, losses=bands)
    aco, cms = _settle_one(sched, float(budget), round(budget * factor, 2))
    assert aco + cms == round(budget * 100) - round(round(budget * factor, 2) * 100)


# --------------------------------------------------------------------------- bad bands, named

BAD_BANDS = [
    # a gap between 2% and 3%
    ([(0.0, 0.02, 1.0), (0.03, None, 0.5)],
     "losses bands 0%-2% and 3% and above leave a gap: 2% to 3% of budget is in no band"),
    # an overlap from 4% to 5%
    ([(0.0, 0.02, 1.0), (0.02, 0.05, 0.5), (0.04, 0.10, 0.2)],
     "losses bands 2%-5% and 4%-10% overlap"),
    # an open band that is not the last overlaps everything after it
    ([(0.0, None, 1.0), (0.05, 0.10, 0.5)], "losses bands 0% and above and 5%-10% overlap"),
    # share above 1
    ([(0.0, 0.05, 1.2)], r"losses band 0%-5% share: must be in \[0.0, 1.0\], got 1.2"),
    # share below 0
    ([(0.0, 0.05, 0.5), (0.05, None, -0.1)],
     r"losses band 5% and above share: must be in \[0.0, 1.0\], got -0.1"),
    # not starting at 0
    ([(0.01, 0.05, 0.5)], "losses bands must start at 0% of budget; the first band is 1%-5%"),
    # upper end not above the lower end
    ([(0.0, 0.05, 0.5), (0.05, 0.05, 0.2)],
     "losses band 5%-5%: its upper end must be above its lower end"),
    ([(0.0, 0.05, 0.5), (0.05, 0.03, 0.2)],
     "losses band 5%-3%: its upper end must be above its lower end"),
    # not a triple
    ([(0.0, 0.5)], r"losses band 1: expected \(from, to, share\)"),
    # a percentage typed for a fraction
    ([(0.0, 50, 0.5)], "losses band 1 to: must be a fraction of budget from 0 to 10"),
    # not a list of bands
    ("0-5%", "losses: expected a list of"),
]


@pytest.mark.parametrize(("bands", "message"), BAD_BANDS)
def test_bad_bands_are_refused_by_name(bands, message):
    with pytest.raises(ValidationError, match=message):
        corridor(losses=bands)


def test_savings_side_is_named_too():
    with pytest.raises(ValidationError, match="savings bands 0%-2% and 1%-4% overlap"):
        corridor(savings=[(0.0, 0.02, 1.0), (0.01, 0.04, 0.5)])


def test_no_bands_shares_nothing():
    for empty in (None, [], ()):
        sched = corridor(savings=empty, losses=empty)
        assert sched == ShareSchedule()
