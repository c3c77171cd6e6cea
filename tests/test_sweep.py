"""compare() and sweep(): common random numbers, grids, dask determinism, figures."""

from __future__ import annotations

import importlib

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.plot.simulation import COMPARE_ROWS, plot_compare, plot_result
from pbcmodel.scenario import simulation
from pbcmodel.scenario.variants import compare, headline, side_by_side, sweep

# the module (the contract exports the function `pbc.sweep`)
sweep_module = importlib.import_module("pbcmodel.scenario.variants")
N = 300


@pytest.fixture(scope="module")
def base() -> pbc.Scenario:
    return pbc.Scenario(population=pbc.datasets.example_population(),
                        formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
                        resource=510e6, cost_model=pbc.datasets.example_cost_model(),
                        savings=pbc.sharing.pbc_freed_up(0.7),
                        overspend=pbc.OverspendPolicy(practice_share=0.5), name="base")


@pytest.fixture(scope="module")
def result(base):
    return base.simulate(n=200, seed=0)


# ----------------------------------------------------------------------------- compare
def test_compare_uses_common_random_numbers(base):
    # With CRN every simulation's underspend is the same under both schedules, so the
    # practices' freed-up resources are exactly 0.7 / 0.35 = 2 times larger; with
    # independent draws the ratio would be off by Monte Carlo noise.
    half = base.evolve(name="35%", savings=pbc.sharing.pbc_freed_up(0.35))
    table = compare([base, half], n=N, seed=11)
    assert table.columns.tolist() == ["base", "35%"]
    assert table.attrs["common_outturns"] is True
    ratio = table.loc["expected_freed_up", "base"] / table.loc["expected_freed_up", "35%"]
    assert ratio == pytest.approx(2.0, rel=1e-6)
    # the overspend side is the same policy, so the commissioner's VaR differs only by the
    # freed-up resources it pays out, never by noise in the losses
    assert (table.loc["commissioner_mean_kept_all_years", "35%"]
            > table.loc["commissioner_mean_kept_all_years", "base"])


def test_compare_flags_scenarios_whose_outturns_differ(base):
    shocked = base.evolve(name="shocked", common_shock_cv=0.05)
    assert compare([base, shocked], n=50, seed=0).attrs["common_outturns"] is False


def test_headline_small_practices_carry_more_risk_per_head(base):
    # the example's smallest practices (< 3,000 patients) have the most variable spend per
    # head, so under a 100% overspend share their amount per head is the most spread out
    full = base.evolve(**{"overspend.practice_share": 1.0})
    h = headline(full.simulate(n=N, seed=0))
    assert h["sd_per_head_smallest_lists"] > 2 * h["sd_per_head_largest_lists"]


@pytest.mark.parametrize(("scenarios", "match"), [
    ([], "at least one"),
    (["not a scenario"], r"scenarios\[0\]"),
])
def test_compare_bad_scenarios(scenarios, match):
    with pytest.raises(pbc.ValidationError, match=match):
        compare(scenarios, n=10)


def test_compare_duplicate_names(base):
    with pytest.raises(pbc.ValidationError, match="'base'.*more than once"):
        compare([base, base.evolve(resource=500e6)], n=10)


@pytest.mark.parametrize(("kwargs", "match"), [({"n": 0}, "n:"), ({"years": -1}, "years:")])
def test_compare_bad_counts(base, kwargs, match):
    with pytest.raises(pbc.ValidationError, match=match):
        compare([base], **{"n": 10, **kwargs})


# ----------------------------------------------------------------------------- sweep
def test_sweep_rows_are_the_variants_headlines(base):
    grid = {"overspend.practice_share": [0.0, 1.0], "overspend.tolerance": [0.0, 0.02]}
    out = sweep(base, grid, years=1, n=N, seed=4, progress=False)
    assert out.index.names == ["overspend.practice_share", "overspend.tolerance"]
    assert out.index.tolist() == [(0.0, 0.0), (0.0, 0.02), (1.0, 0.0), (1.0, 0.02)]
    variant = base.evolve(**{"overspend.practice_share": 1.0, "overspend.tolerance": 0.02})
    pd.testing.assert_series_equal(out.loc[(1.0, 0.02)],
                                   headline(variant.simulate(n=N, years=1, seed=4)),
                                   check_names=False)
    # nobody bears an overspend at share 0, so the practices' amount is the freed-up part
    assert (out.loc[(0.0, 0.0), "expected_practice_amount"]
            == pytest.approx(out.loc[(0.0, 0.0), "expected_freed_up"]))


def test_compared_scenarios_share_budgets_only_where_their_inputs_agree(base):
    # budgets are made once for scenarios with the same formula, population, resource,
    # growth and history; each result's budgets are still its own scenario's
    historic = base.budgets()["total"] * 0.97
    scenarios = [base, base.evolve(name="strict", **{"overspend.practice_share": 1.0}),
                 base.evolve(name="richer", resource=520e6),
                 base.evolve(name="growing", resource_growth=0.05),
                 base.evolve(name="history", historic=historic),
                 base.evolve(name="history again", historic=historic.copy(),
                             **{"overspend.practice_share": 1.0})]
    results = simulation.run(scenarios, n=50, years=2, seed=3)
    for scn, res in zip(scenarios, results, strict=True):
        alone = scn.simulate(n=50, years=2, seed=3)
        assert (res.budget == alone.budget).all(), scn.name
        pd.testing.assert_frame_equal(res.metrics(), alone.metrics(), check_exact=True)
    assert results[0].budget.sum() < results[2].budget.sum()          # £510m < £520m
    assert (results[0].budget[1] < results[3].budget[1]).any()        # grown in year 2


def test_sweep_bearing_a_larger_share_never_pays_practices_more(base):
    # common random numbers: the same overspends in every variant, so the practices' total
    # amount falls monotonically as their share rises (exactly, not just on average)
    out = sweep(base, {"overspend.practice_share": [0.0, 0.3, 0.9]}, years=1, n=N, seed=9,
                progress=False)
    amounts = out["expected_practice_amount"].to_numpy()
    assert amounts[0] > amounts[1] > amounts[2]
    # and linearly: amount = freed-up − share × overspend beyond the (zero) tolerance, so
    # equal steps in share give equal steps in amount (0.3 − 0 = 0.3; 0.9 − 0.3 = 2 × 0.3)
    assert amounts[1] - amounts[2] == pytest.approx(2 * (amounts[0] - amounts[1]), rel=1e-5)


def test_sweep_single_path_has_a_flat_index_and_list_values(base):
    out = sweep(base, {"savings.savings": [[(0.0, 0.5)], [(0.0, 0.7)]]}, years=1, n=50,
                progress=False)
    assert out.index.name == "savings.savings"
    assert out.index.tolist() == [((0.0, 0.5),), ((0.0, 0.7),)]
    assert (out["expected_freed_up"].iloc[1] / out["expected_freed_up"].iloc[0]
            == pytest.approx(0.7 / 0.5, rel=1e-6))


def _stub_run(variants, options):
    # stands in for the engine: one "result" per variant, read back by a stub headline
    return [(variant, options.n) for variant in variants]


def _stub_headline(result):
    variant, n = result
    return pd.Series({"share": variant.overspend.practice_share,
                      "tolerance": variant.overspend.tolerance, "n": n})


shares = st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]), min_size=1, max_size=4,
                  unique=True)
tolerances = st.lists(st.sampled_from([0.0, 0.01, 0.02]), min_size=1, max_size=3, unique=True)


@settings(max_examples=25, deadline=None)
@given(shares, tolerances)
def test_sweep_grid_property(base, share_values, tolerance_values):
    # every combination once, in product order, each row from its own variant
    grid = {"overspend.practice_share": share_values, "overspend.tolerance": tolerance_values}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sweep_module, "run_with", _stub_run)
        mp.setattr(sweep_module, "headline", _stub_headline)
        out = sweep(base, grid, years=1, n=7, progress=False)
    assert len(out) == len(share_values) * len(tolerance_values)
    assert out.index.tolist() == [(s, t) for s in share_values for t in tolerance_values]
    assert out["share"].tolist() == out.index.get_level_values(0).tolist()
    assert out["tolerance"].tolist() == out.index.get_level_values(1).tolist()
    assert (out["n"] == 7).all()


def _no_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(sweep_module, "run_with", lambda *a, **k: calls.append(a))
    return calls


@pytest.mark.parametrize(("grid", "match"), [
    ({"overspend.practice_share": [0.5], "overspend.nope": [1]}, "overspend.nope"),
    ({"nope": [1]}, "'nope' names no field"),
    ({"overspend.practice_share": [0.5, 2.0]}, "practice_share"),
    ({"overspend.practice_share": []}, "non-empty list"),
    ({"overspend.practice_share": 0.5}, "non-empty list"),
    ({}, "grid"),
])
def test_sweep_bad_grid_fails_before_any_work(base, monkeypatch, grid, match):
    calls = _no_runs(monkeypatch)
    with pytest.raises(pbc.ValidationError, match=match):
        sweep(base, grid, years=1, n=10, progress=False)
    assert calls == []


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"engine": "spark"}, "engine"),
    ({"client": object()}, "client"),
    ({"n": 0}, "n:"),
    ({"years": 0}, "years:"),
    ({"method": "exact"}, "method"),
])
def test_sweep_bad_options_fail_before_any_work(base, monkeypatch, kwargs, match):
    calls = _no_runs(monkeypatch)
    with pytest.raises(pbc.ValidationError, match=match):
        sweep(base, {"overspend.practice_share": [0.5]}, **{"n": 10, **kwargs})
    assert calls == []


def test_sweep_not_a_scenario():
    with pytest.raises(pbc.ValidationError, match="scenario: expected a Scenario"):
        sweep("base.toml", {"resource": [1e6]})


def test_sweep_on_dask_starts_its_own_cluster(base, monkeypatch):
    # without a client, sweep starts (and closes) a LocalCluster; threads here, for speed
    distributed = pytest.importorskip("distributed")
    started, real_cluster = [], distributed.LocalCluster

    def threaded_cluster(**kwargs):
        cluster = real_cluster(**{**kwargs, "n_workers": 2, "processes": False,
                                  "threads_per_worker": 1, "dashboard_address": None})
        started.append(cluster)
        return cluster

    monkeypatch.setattr(distributed, "LocalCluster", threaded_cluster)
    grid = {"overspend.practice_share": [0.0, 1.0]}
    out = sweep(base, grid, years=1, n=50, seed=2, engine="dask")
    pd.testing.assert_frame_equal(out, sweep(base, grid, years=1, n=50, seed=2, progress=False))
    assert len(started) == 1 and started[0].status.name == "closed"


def test_sweep_on_dask_equals_local(base):
    distributed = pytest.importorskip("distributed")
    grid = {"overspend.practice_share": [0.0, 0.5], "resource": [500e6, 510e6]}
    local = sweep(base, grid, years=1, n=100, seed=3, progress=False)
    with distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = sweep(base, grid, years=1, n=100, seed=3, engine="dask", client=client)
        again = sweep(base, grid, years=1, n=100, seed=3, engine="dask", client=client)
    pd.testing.assert_frame_equal(remote, local)
    pd.testing.assert_frame_equal(again, local)      # the same client, called twice


def test_sweep_progress_bar(base, capsys):
    sweep(base, {"overspend.practice_share": [0.5]}, years=1, n=20, progress=True)
    assert "simulating" in capsys.readouterr().err


# ----------------------------------------------------------------------------- figures
@pytest.mark.parametrize("kind", ["list_size", "net", "commissioner"])
def test_plot_result_kinds(result, kind):
    fig, ax = plt.subplots()
    assert result.plot(kind=kind, ax=ax) is ax
    assert ax.get_xlabel() and ax.get_title().startswith("base")
    plt.close(fig)


def test_plot_commissioner_marks_var_and_tvar(result):
    ax = plot_result(result, kind="commissioner")
    risk = result.commissioner_risk()
    # drawn on the axis of what the commissioner keeps (+ keeps, − pays), as the tables:
    # a value at risk, a cost, at minus that cost
    xs = sorted(line.get_xdata()[0] for line in ax.get_lines()
                if "value at risk" in line.get_label())
    assert xs == pytest.approx(sorted([-risk["var"], -risk["tvar"]]))
    plt.close(ax.figure)


def test_plot_result_bad_kind(result):
    with pytest.raises(pbc.ValidationError, match="kind.*'pie'"):
        plot_result(result, kind="pie")


def test_plot_compare_frame_and_results(base, result):
    other = base.evolve(name="other", **{"overspend.practice_share": 1.0})
    table = compare([base, other], n=50)
    ax = plot_compare(table)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["base", "other"]
    # one dot per scenario per money row, at the value in £m
    dots = next(c for c in ax.collections if c.get_label() == "base")
    assert list(dots.get_offsets()[:, 0]) == pytest.approx(
        table["base"].loc[list(COMPARE_ROWS)] / 1e6)
    plt.close(ax.figure)
    ax = plot_compare({"70/30": result, "again": result})
    assert [line.get_label() for line in ax.get_lines()] == ["70/30", "again"]
    plt.close(ax.figure)


@pytest.mark.parametrize(("value", "match"), [
    (pd.DataFrame({"a": [1.0]}, index=["simulations"]), "expected_practice_amount"),
    ([], "at least one"),
])
def test_plot_compare_bad_input(value, match):
    with pytest.raises(pbc.ValidationError, match=match):
        plot_compare(value)


# ----------------------------------------------------------------------------- side_by_side
def test_side_by_side_of_results_equals_compare(base, result):
    other = base.evolve(name="other", **{"overspend.practice_share": 1.0})
    table = side_by_side([result, other.simulate(n=200, seed=0)])
    pd.testing.assert_frame_equal(table, compare([base, other], n=200, seed=0))
    assert table.attrs["common_outturns"] is True
    pd.testing.assert_series_equal(table["base"], headline(result))
    assert {"worst_practice_p05_amount", "max_practice_prob_loss_over_2pct",
            "sd_per_head_smallest_lists", "sd_per_head_largest_lists",
            "commissioner_var95_all_years"} <= set(table.index)


def test_side_by_side_different_seeds_are_not_common(base, result):
    other = base.evolve(name="other").simulate(n=200, seed=1)
    assert side_by_side([result, other]).attrs["common_outturns"] is False


@pytest.mark.parametrize(("results", "match"), [
    ([], "at least one"),
    ([None], r"results\[0\]: expected a SimulationResult"),
])
def test_side_by_side_bad_results(results, match):
    with pytest.raises(pbc.ValidationError, match=match):
        side_by_side(results)


def test_side_by_side_duplicate_names(result):
    with pytest.raises(pbc.ValidationError, match="'base'.*more than once"):
        side_by_side([result, result])


def test_sweep_and_compare_need_a_cost_model_before_any_work(base, monkeypatch):
    calls = _no_runs(monkeypatch)
    with pytest.raises(pbc.ValidationError, match="no cost_model"):
        sweep(base.evolve(cost_model=None), {"overspend.practice_share": [0.5]}, n=10)
    assert calls == []
    with pytest.raises(pbc.ValidationError, match=r"scenarios\[1\] \('bare'\).*no cost_model"):
        compare([base, base.evolve(name="bare", cost_model=None)], n=10)
