"""The streamed tally: exact counts however the simulations are split, lean merging."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.risk import kernel
from pbcmodel.scenario import tally as tallies


def tally(lo: int, hi: int, budget: np.ndarray, keep: bool = True) -> tallies.Tally:
    years = 2
    budgets = np.vstack([budget] * years)
    mean = budget / 100.0
    low, width = tallies.histogram_grid(budgets, mean, (mean * 0.1) ** 2, np.ones(years), 0.0)
    return tallies.Tally.empty(lo, hi, years, budgets, low, width, keep)


def test_loss_fraction_counted_on_whole_pence():
    # budget 9,950p: 1% is 99.5p, so a loss "beyond 1%" is an amount below −99.5p, i.e. of
    # −100p or less: −100 counts, −99 does not
    t = tally(0, 2, np.array([9_950]))
    zero = np.zeros(2, dtype=np.int64)
    amount = np.array([[-100], [-99]])
    t.add(0, 0, amount, amount, zero, zero, zero)
    index = tallies.LOSS_FRACTIONS.index(0.01)
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
        assert (tallies._exact(getattr(merged, name))
                == tallies._exact(getattr(whole, name)))
    # the merged-away tallies gave up their full arrays
    assert first.full_amount is None and second.full_net is None
    # the histogram holds every practice-year once
    counts = merged.histogram.reshape(practices, -1).sum(axis=1)
    assert counts.tolist() == [2 * sims] * practices


def _shared_tally(lo: int, hi: int, budget: np.ndarray,
                  shared: tuple[np.ndarray, np.ndarray]) -> tallies.Tally:
    years = 2
    budgets = np.vstack([budget] * years)
    mean = budget / 100.0
    low, width = tallies.histogram_grid(budgets, mean, (mean * 0.1) ** 2, np.ones(years), 0.0)
    return tallies.Tally.empty(lo, hi, years, budgets, low, width, True,
                                 (shared[0][lo:hi], shared[1][lo:hi]))


def test_ranges_written_into_one_shared_array_merge_without_a_copy():
    # simulations 0–5 and 6–9 of 3 practices written into the rows of one pair of arrays
    budget = np.array([10**6, 2 * 10**6, 3 * 10**6])
    shared = (np.zeros((10, 3, 2), dtype=np.int32), np.zeros((10, 3, 2), dtype=np.int32))
    first, second = _shared_tally(0, 6, budget, shared), _shared_tally(6, 10, budget, shared)
    amount = np.arange(30, dtype=np.int64).reshape(10, 3) - 15
    zero = np.zeros(10, dtype=np.int64)
    for year in range(2):
        first.add(year, 0, amount[:6] * (year + 1), amount[:6], zero[:6], zero[:6], zero[:6])
        second.add(year, 6, amount[6:] * (year + 1), amount[6:], zero[6:], zero[6:], zero[6:])
    merged = first.merge(second).finished()
    assert np.shares_memory(merged.full_amount, shared[0])        # the shared array itself
    np.testing.assert_array_equal(merged.full_amount[:, :, 1], amount * 2)
    np.testing.assert_array_equal(merged.full_net[:, :, 0], amount)


def test_outturns_beyond_int32_stay_in_the_shared_array():
    # a practice spending £30m a year (3,000,000,000 pence, beyond int32's £21.47m): the
    # outturns are int64 from the start (tally.FULL_DTYPES), so both ranges write into the
    # one shared array and merge without a copy (before, each range widened its rows to a
    # copy of its own and the merge copied them again: 1.5 GB against a 0.9 GB estimate)
    budget = np.array([3 * 10**9])
    shared = tuple(np.zeros((4, 1, 2), dtype=dtype) for dtype in tallies.FULL_DTYPES)
    years = 2
    budgets = np.vstack([budget] * years)
    low, width = tallies.histogram_grid(budgets, budget / 100.0, (budget / 1000.0) ** 2,
                                        np.ones(years), 0.0)
    first, second = (tallies.Tally.empty(lo, hi, years, budgets, low, width, True,
                                         tuple(a[lo:hi] for a in shared))
                     for lo, hi in ((0, 2), (2, 4)))
    spend = np.array([[3_000_000_000], [3_100_000_000], [2_900_000_000], [3_050_000_000]])
    zero = np.zeros(4, dtype=np.int64)
    for year in range(years):
        for tally_, rows in ((first, slice(0, 2)), (second, slice(2, 4))):
            amount = budget - spend[rows]
            tally_.add(year, rows.start, amount, amount, zero[rows], zero[rows], zero[rows],
                       outturn=spend[rows])
    merged = first.merge(second).finished()
    assert np.shares_memory(merged.full_outturn, shared[2])
    assert merged.full_outturn[:, 0, 1].tolist() == spend.ravel().tolist()
    assert merged.full_amount.dtype == np.int32     # the amounts fit: narrow as before


def test_a_range_whose_amounts_outgrow_int32_is_merged_by_copying():
    # one range's amounts exceed int32 (£21.5m): its rows leave the shared array for int64,
    # and the merge joins the two by copying, exactly
    budget = np.array([10**9])
    shared = (np.zeros((4, 1, 2), dtype=np.int32), np.zeros((4, 1, 2), dtype=np.int32))
    first, second = _shared_tally(0, 2, budget, shared), _shared_tally(2, 4, budget, shared)
    big = np.array([[3_000_000_000], [-3_000_000_000]], dtype=np.int64)
    small = np.array([[5], [-7]], dtype=np.int64)
    zero = np.zeros(2, dtype=np.int64)
    for year in range(2):
        first.add(year, 0, small, small, zero, zero, zero)
        second.add(year, 2, big, small, zero, zero, zero)
    merged = first.merge(second).finished()
    assert merged.full_amount.dtype == np.int64
    assert not np.shares_memory(merged.full_amount, shared[0])
    assert merged.full_amount[:, 0, 1].tolist() == [5, -7, 3_000_000_000, -3_000_000_000]


@pytest.mark.parametrize("kernel_name", ["numpy", "numba"])
@settings(max_examples=40, deadline=None)
@given(sims=st.integers(3, 30), cuts=st.lists(st.integers(1, 29), min_size=2, max_size=2),
       chunk=st.integers(1, 7), buffer=st.integers(1, 8), kept=st.integers(0, 20),
       seed=st.integers(0, 2**31))
def test_histograms_counted_late_or_early_are_the_same(kernel_name, sims, cuts, chunk, buffer,
                                                       kept, seed):
    # the rule under test: pending bins are kept uncounted while they take no more room than
    # a histogram; shrunk here (buffer and kept rows) so that small tallies count some
    # entries while being added, keep others until finished, and merge either way; each
    # kernel counts them its own way
    if kernel_name == "numba" and not kernel.kernel_available():
        pytest.skip("numba is not installed (pbcmodel[fast]): the numba leg is skipped")
    with kernel.use_kernel(kernel_name):
        _counted_late_or_early(sims, cuts, chunk, buffer, kept, seed)


def _counted_late_or_early(sims: int, cuts: list[int], chunk: int, buffer: int, kept: int,
                           seed: int) -> None:
    rng = np.random.default_rng(seed)
    budget = rng.integers(10**6, 10**8, 3)
    amounts = [(rng.normal(0, 0.05, (sims, 3)) * budget).round().astype(np.int64)
               for _ in range(2)]
    zero = np.zeros(sims, dtype=np.int64)
    edges = [0, *sorted({min(c, sims - 1) for c in cuts}), sims]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tallies, "_PENDING_PER_PRACTICE", buffer)
        patch.setattr(tallies, "_KEPT_PENDING", kept)
        parts = []
        for lo, hi in itertools.pairwise(edges):
            part = tally(lo, hi, budget, keep=False)
            for first in range(lo, hi, chunk):
                last = min(first + chunk, hi)
                for year, amount in enumerate(amounts):
                    part.add(year, first, amount[first:last], amount[first:last],
                             zero[first:last], zero[first:last], zero[first:last])
            parts.append(pickle.loads(pickle.dumps(part.finished())))   # as dask sends it
        merged = parts[0]
        for part in parts[1:]:
            merged = merged.merge(part)
    whole = tally(0, sims, budget, keep=False)
    for year, amount in enumerate(amounts):
        whole.add(year, 0, amount, amount, zero, zero, zero)
    np.testing.assert_array_equal(merged.histogram, whole.histogram)
    for q in (0.05, 0.5, 0.95):
        np.testing.assert_array_equal(merged.quantile(q)[0], whole.quantile(q)[0])


def test_a_result_read_for_its_chances_of_a_loss_never_counts_its_histogram():
    import pbcmodel as pbc
    from pbcmodel.scenario.metrics import measure, metric

    result = pbc.Scenario.example().simulate(n=300, seed=4)
    figures = measure(result, [metric("max_band_prob_loss_over_2pct"),
                               metric("practices_prob_loss_over_5pct"),
                               metric("commissioner_tvar95")])
    assert result.tally._counts is None      # a design's candidates: no histogram made
    # the chances are the metrics table's own; its quantiles then count the histogram
    table = result.metrics(loss_fraction=0.05)
    assert figures[1] == table["prob_loss_over_fraction"].mean()
    # every practice-year counted once: 300 simulations × 3 years × 60 practices
    assert result.tally._counts is not None and result.tally.histogram.sum() == 300 * 3 * 60
