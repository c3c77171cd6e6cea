"""The fused tally (pbcmodel.scenario.tally_kernel): numba and numpy give the same tally.

Every field of a finished :class:`~pbcmodel.scenario.tally.Tally` must be equal whichever
kernel added the chunks, however the simulations were split into chunks and ranges (and
merged), for amounts across the histogram's bin edges and overflow bins, zero, negative and
huge amounts (squares beyond int64), with the tally's own budgets or the rows' own, with or
without outturns. The numba leg is skipped, with the reason, where numba (the optional extra
``pbcmodel[fast]``) is not installed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.risk import kernel
from pbcmodel.scenario import squares
from pbcmodel.scenario.histogram import HISTOGRAM_BINS, bin_edges, histogram_bin
from pbcmodel.scenario.squares import SQUARE_SAFE
from pbcmodel.scenario.tally import Keep, Tally, histogram_grid

#: Every field of a tally that holds a statistic (compared exactly).
FIELDS = ("amount_sum", "freed_sum", "net_sum", "amount_squares", "net_squares",
          "loss_pounds", "loss_fractions", "misses", "histogram", "amount_min", "amount_max",
          "commissioner", "carried", "pool", "amount_sample", "net_sample", "full_amount",
          "full_net", "full_outturn")
KEEP = Keep(full=True, loss_pounds=(0.0, 10.0), loss_fractions=(0.0, 0.01, 0.05),
            miss_fractions=(0.0, 0.05, 0.2))


@pytest.fixture(scope="module")
def numba_installed() -> None:
    pytest.importorskip("numba", reason="numba (pbcmodel[fast]) is not installed: the "
                                        "numba kernel cannot be compared with numpy")


@st.composite
def runs(draw: st.DrawFn) -> dict:
    """A small simulation's rows, as a tally receives them: years of (k, P) amounts, net
    cash and outturns (pence), budgets, and the splits into ranges and chunks."""
    practices = draw(st.integers(1, 5))
    years = draw(st.integers(1, 3))
    sims = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    budget = rng.integers(10_000, 10**8, (years, practices))
    mean = budget.mean(axis=0) / 100
    low, width = histogram_grid(budget, mean, (mean * draw(st.sampled_from([0.01, 0.3]))) ** 2,
                                np.ones(years), 0.0)
    kind = draw(st.sampled_from(["normal", "edges", "huge", "mixed"]))
    amounts = []
    for year in range(years):
        if kind == "edges":        # on, next to and beyond the bins' edges and the overflows
            b = rng.integers(-3, HISTOGRAM_BINS + 4, (sims, practices))
            amount = low + b * width + rng.integers(-1, 2, (sims, practices))
        elif kind == "huge":       # squares beyond int64 (summed by numpy; larger amounts
            #                        than these are refused before a simulation starts)
            amount = rng.choice([0, 1, -1, SQUARE_SAFE - 1, SQUARE_SAFE, -SQUARE_SAFE,
                                 2**44, -(2**44) + 12_345], (sims, practices))
        else:
            amount = (rng.normal(0, 0.1, (sims, practices)) * budget[year]).round()
            amount = amount.astype(np.int64)
            if kind == "mixed":
                amount[rng.random((sims, practices)) < 0.2] = 0
        amounts.append(amount.astype(np.int64))
    nets = [a // 3 if kind != "huge" else a for a in amounts]
    outturns = [budget[y] - (amounts[y] // 2 if kind != "huge" else amounts[y] // 4)
                for y in range(years)]
    budgets_kind = draw(st.sampled_from(["own", "same", "other", "per simulation"]))
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, sims - 1)), max_size=3))))
    ranges = list(zip([0, *cuts], [*cuts, sims], strict=True)) if sims > 1 else [(0, sims)]
    return {"budget": budget, "low": low, "width": width, "amounts": amounts, "nets": nets,
            "outturns": outturns if draw(st.booleans()) else None,
            "budgets": budgets_kind, "ranges": ranges, "seed": seed,
            "chunk": draw(st.integers(1, 17))}


def row_budget(run: dict, year: int, lo: int, hi: int) -> np.ndarray | None:
    """The budgets ``Tally.add`` is given for rows ``lo:hi`` of ``year``."""
    budget = run["budget"][year]
    kind = run["budgets"]
    if kind == "own":
        return None
    if kind == "same":
        return budget
    if kind == "other":
        return budget + 7
    rng = np.random.default_rng([run["seed"], year])
    return (budget * rng.uniform(0.9, 1.1, (run["amounts"][0].shape[0], len(budget)))
            ).astype(np.int64)[lo:hi]


def tally_of(run: dict, name: str) -> Tally:
    """The run added chunk by chunk under kernel ``name``, range by range, merged."""
    years = len(run["amounts"])
    parts = []
    with kernel.use_kernel(name):
        for lo, hi in run["ranges"]:
            tally = Tally.empty(lo, hi, years, run["budget"], run["low"], run["width"], KEEP)
            for year in range(years):
                for first in range(lo, hi, run["chunk"]):
                    last = min(hi, first + run["chunk"])
                    rows = slice(first, last)
                    amount = run["amounts"][year][rows]
                    outturn = None if run["outturns"] is None else run["outturns"][year][rows]
                    tally.add(year, first, amount, run["nets"][year][rows],
                              np.arange(first, last), amount[:, 0], -amount[:, 0],
                              outturn=outturn, budget=row_budget(run, year, first, last))
            parts.append(tally)
        merged = parts[0]
        for part in parts[1:]:
            merged = merged.merge(part)
        return merged.finished()


def assert_same_tally(a: Tally, b: Tally) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
            continue
        assert x.dtype == y.dtype and x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert (a.count, a.outturns_given, a.budgets_vary) == (b.count, b.outturns_given,
                                                          b.budgets_vary)


@settings(max_examples=120, deadline=None)
@given(run=runs())
def test_numba_and_numpy_tallies_are_identical(numba_installed, run):
    reference, fused = tally_of(run, "numpy"), tally_of(run, "numba")
    assert_same_tally(reference, fused)
    # and the same as the whole run added at once under numpy (chunks and ranges do not
    # matter, and the squares' halves are in their one canonical form)
    whole = tally_of({**run, "ranges": [(0, run["amounts"][0].shape[0])],
                      "chunk": run["amounts"][0].shape[0]}, "numpy")
    assert_same_tally(whole, fused)
    for name in ("amount_squares", "net_squares"):
        halves = getattr(fused, name)
        assert ((0 <= halves[1]) & (halves[1] < 2**32)).all()
        values = run["amounts"] if name == "amount_squares" else run["nets"]
        assert squares.exact(halves) == [sum(int(v) ** 2 for y in values for v in y[:, j])
                                         for j in range(halves.shape[1])]


def test_a_chunk_longer_than_the_pending_bins_is_counted_whole(numba_installed):
    budget = np.full((1, 3), 10**6)
    low, width = histogram_grid(budget, np.full(3, 1e4), np.full(3, 1e6), np.ones(1), 0.0)
    amount = np.arange(3 * 3000).reshape(3000, 3) - 4000
    results = []
    for name in ("numpy", "numba"):
        with kernel.use_kernel(name):
            tally = Tally.empty(0, 3000, 1, budget, low, width, Keep())
            tally.add(0, 0, amount[:10], amount[:10], *[np.zeros(10, np.int64)] * 3)
            tally.add(0, 10, amount[10:], amount[10:], *[np.zeros(2990, np.int64)] * 3)
            results.append(tally.finished())
    assert_same_tally(*results)
    assert results[1].histogram.reshape(3, -1).sum(axis=1).tolist() == [3000] * 3


def test_the_bin_rule_is_one_function_for_arrays_and_numbers():
    origin, width = bin_edges(np.array([-1_000, 0]), np.array([7, 1]))
    # bin 1 holds −1,000 … −994 (width 7) and 0 (width 1); 0 and 2,049 are the overflows
    amount = np.array([[-1_001, -1], [-1_000, 0], [-993, 2_047], [13_335, 2_048],
                       [13_336, 10**15]])
    arrays = histogram_bin(amount, origin, width)
    numbers = [[int(histogram_bin(amount[i, j], origin[j], width[j])) for j in range(2)]
               for i in range(5)]
    assert arrays.tolist() == numbers == [[0, 0], [1, 1], [2, 2048], [2048, 2049],
                                          [2049, 2049]]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_scenario_simulate_summary_and_quantiles_are_identical(numba_installed, workers):
    scn = pbc.Scenario.example(high_cost_threshold=50_000, common_shock_cv=0.02)
    results = []
    for name in ("numpy", "numba"):
        with kernel.use_kernel(name):
            results.append(scn.simulate(n=1500, years=2, seed=3, workers=workers,
                                        chunk_size=64 * workers))
    a, b = results
    pd.testing.assert_series_equal(a.summary(), b.summary(), check_exact=True)
    pd.testing.assert_frame_equal(a.quantile_bounds(), b.quantile_bounds(), check_exact=True)
    pd.testing.assert_frame_equal(a.metrics(), b.metrics(), check_exact=True)
    pd.testing.assert_frame_equal(a.outturn_misses(0.05), b.outturn_misses(0.05),
                                  check_exact=True)
