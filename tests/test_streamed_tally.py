"""The streamed tally: exact counts however the simulations are split, lean merging."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.scenario import _streamed


def tally(lo: int, hi: int, budget: np.ndarray, keep: bool = True) -> _streamed.Tally:
    years = 2
    budgets = np.vstack([budget] * years)
    mean = budget / 100.0
    low, width = _streamed.histogram_grid(budgets, mean, (mean * 0.1) ** 2, np.ones(years), 0.0)
    return _streamed.Tally.empty(lo, hi, years, budgets, low, width, keep)


def test_loss_fraction_counted_on_whole_pence():
    # budget 9,950p: 1% is 99.5p, so a loss "beyond 1%" is an amount below −99.5p, i.e. of
    # −100p or less: −100 counts, −99 does not
    t = tally(0, 2, np.array([9_950]))
    zero = np.zeros(2, dtype=np.int64)
    amount = np.array([[-100], [-99]])
    t.add(0, 0, amount, amount, zero, zero, zero)
    index = _streamed.LOSS_FRACTIONS.index(0.01)
    assert t.loss_fractions[index].tolist() == [1]


@settings(max_examples=40, deadline=None)
@given(sims=st.integers(2, 40), cut=st.integers(1, 39), seed=st.integers(0, 2**31),
       practices=st.integers(1, 5))
def test_split_and_merged_equals_whole(sims, cut, seed, practices):
    cut = min(cut, sims - 1)
    rng = np.random.default_rng(seed)
    budget = rng.integers(10**6, 10**9, practices)
    amounts = [(rng.normal(0, 0.05, (sims, practices)) * budget).round().astype(np.int64)
               for _ in range(2)]
    zero = np.zeros(sims, dtype=np.int64)
    whole = tally(0, sims, budget)
    first, second = tally(0, cut, budget), tally(cut, sims, budget)
    for year, amount in enumerate(amounts):
        whole.add(year, 0, amount, amount // 3, zero, zero, zero)
        first.add(year, 0, amount[:cut], amount[:cut] // 3, zero[:cut], zero[:cut], zero[:cut])
        second.add(year, cut, amount[cut:], amount[cut:] // 3, zero[cut:], zero[cut:],
                   zero[cut:])
    merged = first.merge(second).finished()
    whole = whole.finished()
    for name in ("amount_sum", "freed_sum", "net_sum", "loss_pounds", "loss_fractions",
                 "histogram", "amount_min", "amount_max", "full_amount", "full_net"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name))
    for name in ("amount_squares", "net_squares"):      # halves may carry differently
        assert (_streamed._exact(getattr(merged, name))
                == _streamed._exact(getattr(whole, name)))
    # the merged-away tallies gave up their full arrays
    assert first.full_amount is None and second.full_net is None
    # the histogram holds every practice-year once
    counts = merged.histogram.reshape(practices, -1).sum(axis=1)
    assert counts.tolist() == [2 * sims] * practices
