"""Outturns visible in simulation results: how often outturn misses budget by more than a
fraction of it (SimulationResult.outturn_misses), counted exactly by the streamed tallies,
from the kept outturns with keep="full", and against budgets that differ by simulation."""

from __future__ import annotations

import importlib.util
import pickle

import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.errors import ValidationError
from pbcmodel.scenario import simulation
from pbcmodel.scenario.metrics import LIST_SIZE_BANDS, figures, metric
from pbcmodel.scenario.tally import LOSS_FRACTIONS, MISS_FRACTIONS, Keep, Tally, histogram_grid
from pbcmodel.scenario.thresholds import loss_limit, miss_margin

N, YEARS, SEED = 200, 2, 4


@pytest.fixture(scope="module")
def scn():
    return pbc.Scenario.example()


@pytest.fixture(scope="module")
def full(scn):
    return scn.simulate(n=N, years=YEARS, seed=SEED, keep="full")


@pytest.fixture(scope="module")
def streamed(scn):
    return scn.simulate(n=N, years=YEARS, seed=SEED)


def _direct(outturn: np.ndarray, budget: np.ndarray, fraction: float) -> pd.DataFrame:
    """Over and under by numpy on the whole arrays: outturn (n, P, Y), budget (Y, P) pence."""
    b = budget.T[None].astype(np.int64)
    m = np.floor(fraction * b)
    over = (outturn > b + m).mean(axis=(0, 2))
    under = (outturn < b - m).mean(axis=(0, 2))
    return pd.DataFrame({"over": over, "under": under})


# ----------------------------------------------------------------------------- by hand
def test_whole_pence_boundary():
    # budget £999.95: 10% is 9,999.5p, so m = 9,999p: over iff outturn > 109,994p, under iff
    # outturn < 89,996p; exactly 10% away (not reachable in whole pence here) is neither
    assert miss_margin(np.array([99_995]), np.array([0.10])).tolist() == [[9_999]]
    budget = np.array([[100_000, 99_995]])
    low, width = histogram_grid(budget, np.array([1_000.0, 1_000.0]),
                                np.array([100.0, 100.0]) ** 2, np.ones(1), 0.0)
    t = Tally.empty(0, 4, 1, budget, low, width, Keep())
    outturn = np.array([[110_000, 109_994], [110_001, 109_995], [90_000, 89_996],
                        [89_999, 89_995]])
    zero = np.zeros((4, 2), dtype=np.int64)
    t.add(0, 0, zero, zero, zero[:, 0], zero[:, 0], zero[:, 0], outturn=outturn)
    over, under = t.miss_count(0.10)
    assert over.tolist() == [1, 1] and under.tolist() == [1, 1]


def test_full_result_equals_a_direct_count(full):
    outturn = full.outturn_pence
    assert outturn.shape == (N, 60, YEARS)
    np.testing.assert_array_equal(full.outturn, outturn / 100)
    budget = full.tally.budget_pence
    np.testing.assert_array_equal(budget, np.rint(full.budget * 100))
    for fraction in (0.10, 0.07, 0.2):             # tracked (0.10, 0.2) and not (0.07)
        got = full.outturn_misses(fraction)
        assert got.index.name == "practice" and got.index.equals(pd.Index(
            full.practices, name="practice"))
        want = _direct(outturn, budget, fraction).set_axis(got.index)
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_outturns_are_the_drawn_ones(scn, full):
    # the kept outturns are the draws of draw_outturns (pounds, grown) in whole pence
    draws = [np.concatenate([c.retained for c in year])
             for year in simulation.draw_outturns(scn, N, YEARS, seed=SEED)]
    for y, drawn in enumerate(draws):
        assert np.abs(full.outturn_pence[:, :, y] / 100 - drawn).max() <= 0.01


def test_streamed_tracked_fraction_equals_the_full_result(full, streamed):
    for fraction in MISS_FRACTIONS:
        pd.testing.assert_frame_equal(streamed.outturn_misses(fraction),
                                      full.outturn_misses(fraction), check_exact=True)


def test_an_asked_for_fraction_is_counted_when_streamed(scn, full):
    res = scn.simulate(n=N, years=YEARS, seed=SEED, track_losses={"outturn_misses": [0.15]})
    assert res.tally.tracked_misses == (0.05, 0.1, 0.15, 0.2)
    pd.testing.assert_frame_equal(res.outturn_misses(0.15), full.outturn_misses(0.15),
                                  check_exact=True)


def test_untracked_fraction_on_a_streamed_result_is_refused(streamed):
    with pytest.raises(ValidationError, match=(
            r"^fraction: 0\.15 is not counted by this simulation \(counted: 0\.05, 0\.1, "
            r"0\.2\); simulate with track_losses=\{'outturn_misses': \[0\.15\]\} to count "
            r"it, or keep='full'$")):
        streamed.outturn_misses(0.15)


# ----------------------------------------------------------------------------- split
@pytest.mark.parametrize(("chunk_size", "workers"), [(None, 2), (37, 1), (64, 2)])
def test_counts_do_not_depend_on_chunks_or_threads(scn, streamed, chunk_size, workers):
    res = scn.simulate(n=N, years=YEARS, seed=SEED, chunk_size=chunk_size, workers=workers)
    np.testing.assert_array_equal(res.tally.misses, streamed.tally.misses)
    np.testing.assert_array_equal(res.tally.loss_fractions, streamed.tally.loss_fractions)


def test_pickled_tallies_keep_their_counts(streamed):
    again = pickle.loads(pickle.dumps(streamed.tally))
    np.testing.assert_array_equal(again.misses, streamed.tally.misses)
    assert again.miss_count(0.1)[0].tolist() == streamed.tally.miss_count(0.1)[0].tolist()


# ----------------------------------------------------------------------------- bands
def test_bands_add_up(full):
    per_practice = full.outturn_misses(0.10)
    bands = full.outturn_misses(0.10, by="list_size")
    assert bands.index.name == "list_size"
    assert list(bands.columns) == ["practices", "over", "under"]
    assert bands["practices"].sum() == len(full.practices)
    # weighted by practices, the bands' shares are the mean over practices
    for column in ("over", "under"):
        weighted = (bands[column] * bands["practices"]).sum() / bands["practices"].sum()
        assert weighted == pytest.approx(per_practice[column].mean(), abs=1e-12)
    # and each band's share is the share of its practice-years, counted directly
    band = pd.cut(full.list_size.to_numpy(), LIST_SIZE_BANDS, right=False)
    direct = _direct(full.outturn_pence, full.tally.budget_pence, 0.10)
    for label, row in bands.iterrows():
        members = np.asarray(band.astype(str) == label)
        outturn = full.outturn_pence[:, members]
        b = full.tally.budget_pence[:, members].T[None]
        share = (outturn > b + np.floor(0.1 * b)).mean()
        assert row["over"] == pytest.approx(share, abs=1e-12)
        assert row["over"] == pytest.approx(direct["over"][members].mean(), abs=1e-12)


def test_the_summary_figure(full):
    value = figures(full, ["practices_prob_outturn_beyond_10pct"]).iloc[0]
    misses = full.outturn_misses(0.10)
    assert value == pytest.approx((misses["over"] + misses["under"]).mean(), abs=1e-15)
    m = metric("practices_prob_outturn_beyond_10pct")
    assert (m.unit, m.better, m.sign) == ("probability", "lower", "")
    assert "10%" in m.label


# ----------------------------------------------------------------------------- budgets
def _tally(budget: np.ndarray, k: int, keep: Keep | None = None) -> Tally:
    years = len(budget)
    mean = budget[0] / 100.0
    low, width = histogram_grid(budget, mean, (mean * 0.1) ** 2, np.ones(years), 0.0)
    return Tally.empty(0, k, years, budget, low, width, keep or Keep())


def test_budget_per_simulation_counts_against_each_rows_budget():
    rng = np.random.default_rng(8)
    k, p = 300, 7
    own = rng.integers(10**6, 10**8, (1, p))
    rows = np.rint(own * rng.uniform(0.8, 1.2, (k, p))).astype(np.int64)   # (k, P)
    outturn = np.rint(rows * rng.normal(1.0, 0.12, (k, p))).astype(np.int64)
    amount = np.rint((rows - outturn) * 0.6).astype(np.int64)
    zero = np.zeros(k, dtype=np.int64)
    t = _tally(own, k)
    t.add(0, 0, amount, amount, zero, zero, zero, outturn=outturn, budget=rows)
    assert t.budgets_vary
    for i, f in enumerate(LOSS_FRACTIONS):
        want = (amount < np.ceil(-f * rows)).sum(axis=0)
        np.testing.assert_array_equal(t.loss_fractions[i], want, err_msg=str(f))
    np.testing.assert_array_equal(loss_limit(rows, np.array(LOSS_FRACTIONS))[1],
                                  np.ceil(-0.02 * rows).astype(np.int64))
    for f in MISS_FRACTIONS:
        m = np.floor(f * rows)
        over, under = t.miss_count(f)
        np.testing.assert_array_equal(over, (outturn > rows + m).sum(axis=0))
        np.testing.assert_array_equal(under, (outturn < rows - m).sum(axis=0))


def test_a_budget_of_one_row_per_practice():
    rng = np.random.default_rng(9)
    k, p = 50, 4
    own = rng.integers(10**6, 10**7, (1, p))
    outturn = np.rint(own * rng.normal(1.0, 0.1, (k, p))).astype(np.int64)
    amount = own - outturn
    zero = np.zeros(k, dtype=np.int64)
    default, same, other = _tally(own, k), _tally(own, k), _tally(own, k)
    default.add(0, 0, amount, amount, zero, zero, zero, outturn=outturn)
    same.add(0, 0, amount, amount, zero, zero, zero, outturn=outturn, budget=own[0].copy())
    half = own[0] // 2
    other.add(0, 0, amount, amount, zero, zero, zero, outturn=outturn, budget=half)
    for name in ("loss_pounds", "loss_fractions", "misses"):
        np.testing.assert_array_equal(getattr(same, name), getattr(default, name))
    assert not same.budgets_vary and not other.budgets_vary
    over, _ = other.miss_count(0.1)
    np.testing.assert_array_equal(over, (outturn > half + np.floor(0.1 * half)).sum(axis=0))
    with pytest.raises(ValueError, match="budget: expected"):
        other.add(0, 0, amount, amount, zero, zero, zero, outturn=outturn,
                  budget=np.ones((k + 1, p), dtype=np.int64))


def test_merged_ranges_with_budgets_per_simulation_equal_one_range():
    rng = np.random.default_rng(10)
    k, p, cut = 40, 3, 17
    own = rng.integers(10**6, 10**7, (2, p))
    rows = [np.rint(own[y] * rng.uniform(0.9, 1.1, (k, p))).astype(np.int64) for y in range(2)]
    outturns = [np.rint(r * rng.normal(1, 0.1, (k, p))).astype(np.int64) for r in rows]
    zero = np.zeros(k, dtype=np.int64)
    keep = Keep(full=True)
    whole = _tally(own, k, keep)
    first = _tally(own, cut, keep)
    second = Tally.empty(cut, k, 2, own, whole.low, whole.width, keep)
    for y in range(2):
        a = rows[y] - outturns[y]
        whole.add(y, 0, a, a, zero, zero, zero, outturn=outturns[y], budget=rows[y])
        first.add(y, 0, a[:cut], a[:cut], zero[:cut], zero[:cut], zero[:cut],
                  outturn=outturns[y][:cut], budget=rows[y][:cut])
        second.add(y, cut, a[cut:], a[cut:], zero[cut:], zero[cut:], zero[cut:],
                   outturn=outturns[y][cut:], budget=rows[y][cut:])
    merged = first.merge(second).finished()
    whole = whole.finished()
    for name in ("loss_fractions", "misses", "full_outturn"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name))
    assert merged.budgets_vary
    np.testing.assert_array_equal(merged.full_outturn.transpose(2, 0, 1), np.stack(outturns))


def test_without_outturns_no_misses_are_claimed():
    own = np.array([[10**6, 2 * 10**6]])
    t = _tally(own, 2, Keep(full=True))
    zero = np.zeros((2, 2), dtype=np.int64)
    t.add(0, 0, zero, zero, zero[:, 0], zero[:, 0], zero[:, 0])
    assert not t.outturns_given and t.miss_count(0.1) is None


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, float("nan"), float("inf"), "10%",
                                      True, None])
def test_bad_fraction_is_refused(streamed, fraction):
    with pytest.raises(ValidationError, match=r"^fraction: "):
        streamed.outturn_misses(fraction)


def test_bad_by_is_refused(streamed):
    with pytest.raises(ValidationError, match=r"^by: must be None .* got 'consortium'"):
        streamed.outturn_misses(0.1, by="consortium")


@pytest.mark.parametrize("value", [0, 1, -0.2, float("nan"), "5%"])
def test_bad_tracked_miss_is_refused(scn, value):
    with pytest.raises(ValidationError, match=r"^track_losses\['outturn_misses'\]: "):
        scn.simulate(n=10, track_losses={"outturn_misses": [value]})


def test_a_stats_result_keeps_no_outturns(streamed):
    with pytest.raises(ValidationError, match="outturn: the per-practice arrays were not kept"):
        _ = streamed.outturn_pence


# ----------------------------------------------------------------------------- store
@pytest.mark.skipif(importlib.util.find_spec("zarr") is None, reason="needs zarr")
def test_store_keeps_the_outturns(scn, full, tmp_path):
    res = scn.simulate(n=N, years=YEARS, seed=SEED, keep="full", store=tmp_path / "run.zarr",
                       workers=2)
    np.testing.assert_array_equal(res.outturn_pence, full.outturn_pence)
    pd.testing.assert_frame_equal(res.outturn_misses(0.07), full.outturn_misses(0.07),
                                  check_exact=True)
    if importlib.util.find_spec("xarray") is not None:
        ds = res.to_xarray()
        assert ds["outturn"].dims == ("simulation", "practice", "year")
        np.testing.assert_allclose(ds["outturn"].values, full.outturn, rtol=1e-15)  # × 0.01
        memory = full.to_xarray()
        np.testing.assert_array_equal(memory["outturn"].values, full.outturn)
