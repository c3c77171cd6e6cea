"""The settlement core's fast paths give the same pence as the plain formulas.

``settle_arrays`` skips flows that are absent (all-zero views), stores the recovery schedule
year-major (``recovery_next`` is a ``(S, P, Y)`` view) and nets consortia with gathers
instead of repeats; none of that may change a penny.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.incentives import des_2006
from pbcmodel.overspend import OverspendPolicy
from pbcmodel.settlement import settle_arrays
from pbcmodel.sharing import pbc_freed_up


def test_recovery_schedule_hand_computed():
    # budget £1,000; outturn £1,100.05: overspend 10,005p, practice share 100%, no tolerance;
    # over 3 years 10,005 = 3,335 × 3 (no odd pence); brought forward (100, 7) → due now 100,
    # and next year 7 + 3,335 = 3,342, then 3,335, then 3,335
    r = settle_arrays(np.array([100_000]), np.array([[110_005]]),
                      overspend=OverspendPolicy(practice_share=1.0, recovery_years=3),
                      carry_forward_pence=np.array([[[100, 7]]]))
    assert r.recovery_next.shape == (1, 1, 3)
    assert r.recovery_next.tolist() == [[[3_342, 3_335, 3_335]]]
    assert r.recovered_from_budget.tolist() == [[100]]
    assert r.net_to_practice.tolist() == [[-100]]


@st.composite
def years_of_outturns(draw):
    practices = draw(st.integers(1, 12))
    sims = draw(st.integers(1, 4))
    budget = np.array(draw(st.lists(st.integers(10_000, 10**9), min_size=practices,
                                    max_size=practices)))
    swings = draw(st.lists(st.floats(-0.3, 0.3), min_size=3 * sims * practices,
                           max_size=3 * sims * practices))
    outturn = np.rint(budget * (1 + np.array(swings).reshape(3, sims, practices))
                      ).astype(np.int64)
    codes = np.array(draw(st.lists(st.integers(0, 3), min_size=practices,
                                   max_size=practices)))
    return budget, outturn, codes


@settings(max_examples=80, deadline=None)
@given(data=years_of_outturns(), incentives=st.booleans(), netting=st.booleans(),
       years=st.integers(1, 3))
def test_flows_add_up_and_carrying_a_view_equals_carrying_a_copy(data, incentives, netting,
                                                                   years):
    budget, outturns, codes = data
    policy = OverspendPolicy(tolerance=0.01, practice_share=0.6, recovery_years=years,
                             net_within_consortium=netting)
    extra = ({"incentives": des_2006(), "list_size": np.full(len(budget), 5_000),
              "conditions": {"plan_achieved": True}} if incentives else {})
    carry_view = carry_copy = None
    for outturn in outturns:
        a = settle_arrays(budget, outturn, savings=pbc_freed_up(0.7), overspend=policy,
                          consortium_codes=codes, carry_forward_pence=carry_view, **extra)
        b = settle_arrays(budget, outturn, savings=pbc_freed_up(0.7), overspend=policy,
                          consortium_codes=codes, carry_forward_pence=carry_copy, **extra)
        np.testing.assert_array_equal(a.recovery_next, b.recovery_next)
        np.testing.assert_array_equal(a.net_to_practice, b.net_to_practice)
        # the plain formulas, term by term
        freed_paid = np.maximum(a.practice_amount, 0) - a.clawback_freed_up
        incentive_paid = a.incentive_signup + a.incentive_plan - a.clawback_incentives
        np.testing.assert_array_equal(a.freed_up_paid, freed_paid)
        np.testing.assert_array_equal(a.incentive_paid, incentive_paid)
        np.testing.assert_array_equal(a.net_to_practice,
                                      freed_paid + incentive_paid - a.recovered_from_budget)
        np.testing.assert_array_equal(a.practice_amount + a.commissioner_amount, a.variance)
        carry_view = a.recovery_next
        carry_copy = np.ascontiguousarray(b.recovery_next)


@settings(max_examples=60, deadline=None)
@given(data=years_of_outturns(), seed=st.integers(0, 2**31))
def test_netting_does_not_depend_on_the_order_of_practices(data, seed):
    budget, outturns, codes = data
    policy = OverspendPolicy(tolerance=0.02, practice_share=0.5, net_within_consortium=True,
                             recovery_years=2)
    order = np.random.default_rng(seed).permutation(len(budget))
    a = settle_arrays(budget, outturns[0], savings=pbc_freed_up(0.7), overspend=policy,
                      consortium_codes=codes)
    b = settle_arrays(budget[order], outturns[0][:, order], savings=pbc_freed_up(0.7),
                      overspend=policy, consortium_codes=codes[order])
    # the pence of each consortium add up to its shared amount whatever the order; a
    # practice's own pence may differ only by the cumulative rounding within its consortium
    for c in np.unique(codes):
        np.testing.assert_array_equal(a.entitlement[:, codes == c].sum(axis=1),
                                      b.entitlement[:, codes[order] == c].sum(axis=1))
    assert np.abs(a.entitlement[:, order] - b.entitlement).max(initial=0) <= 1
