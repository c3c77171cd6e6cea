"""Issue 25's smaller items: small practices flagged and left out of figures per head, names
beside codes, one default for years, progress bars on in Jupyter, xarray attrs with units."""

from __future__ import annotations

import inspect
import sys
import types

import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel import datasets
from pbcmodel.capitation import WeightedCapitation
from pbcmodel.cli import build_parser, demo
from pbcmodel.errors import MissingDependencyError
from pbcmodel.reports.outputs import run_outputs
from pbcmodel.reports.tables import (
    SMALL_PRACTICE,
    by_list_size_table,
    flag_small,
    list_size_bands,
    metrics_table,
)
from pbcmodel.scenario import options as options_module
from pbcmodel.scenario.england import weighted_scenario
from pbcmodel.scenario.options import SimulationOptions, auto_progress
from pbcmodel.scenario.simulation import DEFAULT_YEARS


# ------------------------------------------------------------------ small practices
@pytest.fixture(scope="module")
def england():
    """NHS West Yorkshire ICB (four practices of 1 to 25 patients), simulated briefly."""
    wp = datasets.england().subset(icb="QWO")
    scn = weighted_scenario(wp, name="QWO")
    result = scn.simulate(n=40, years=1, seed=1)
    return wp, scn, result, run_outputs(result, scn, figures=False, names=wp)


def test_small_practice_threshold_is_stated():
    assert SMALL_PRACTICE == 1_000
    assert "1,000" in pbc.glossary.term("small").definition


def test_metrics_flag_small_practices_without_changing_other_columns(england):
    wp, _, result, out = england
    metrics = out["metrics"]
    plain = metrics_table(result.metrics()).drop(columns="small")
    small = wp.list_size < SMALL_PRACTICE
    assert small.sum() == 4 and bool(small["B86625"])
    assert metrics["small"].tolist() == small.reindex(metrics.index).tolist()
    pd.testing.assert_frame_equal(metrics[plain.columns], plain)   # the numbers as they were
    assert any("1,000" in note for note in metrics.attrs["notes"])
    assert list(metrics.columns).index("small") == list(metrics.columns).index("list_size") + 1


def test_figures_per_head_leave_small_practices_out(england):
    wp, _, result, out = england
    table = out["by_list_size"]
    assert table.index[0] == "0–999" and table.loc["0–999", "practices"] == 4
    assert np.isnan(table.loc["0–999", "mean_amount_gbp_per_head"])
    assert np.isnan(table.loc["0–999", "sd_amount_gbp_per_head"])
    assert table["practices"].sum() == len(wp.codes)
    # the other bands hold the practices of a real size only, with the result's figures
    exact = by_list_size_table(result.by_list_size(list_size_bands(wp.list_size)))
    pd.testing.assert_frame_equal(table.iloc[1:], exact.iloc[1:])
    assert "1,000 registered patients" in table.attrs["notes"][0]
    assert "4 small practices" in table.attrs["notes"][0]


def test_example_tables_are_unchanged_where_no_practice_is_small():
    scn = pbc.Scenario.example()
    result = scn.simulate(n=30, years=1, seed=2)
    out = run_outputs(result, scn, figures=False)
    pd.testing.assert_frame_equal(out["by_list_size"], by_list_size_table(result.by_list_size()))
    assert not out["metrics"]["small"].any()
    assert "consortium_name" not in out["metrics"]          # no names in the example's data


def test_flag_small_is_blank_for_rows_that_are_not_practices():
    t = pd.DataFrame({"list_size": [1, 5000, 5001]}, index=["A", "B", "total"])
    flagged = flag_small(t, pd.Series({"A": 1, "B": 5000}))
    assert flagged["small"].tolist() == [True, False, None]
    assert list(flagged.columns) == ["list_size", "small"]


def test_the_two_england_budgets_are_explained(england):
    wp, _, _, _ = england
    budgets = WeightedCapitation(top_slices={"contingency": 0.01}).budgets(wp, 266e6)
    table = demo._england_budget_table(wp, budgets)
    assert demo.ENGLAND_BUDGETS_NOTE in table.attrs["notes"]
    assert "whole patients" in demo.ENGLAND_BUDGETS_NOTE
    assert table.loc["B86625", "small"] is True and table.loc["total", "small"] is None
    assert table.columns[-1] == "total_gbp"          # the budgets' columns as they were
    plain = demo.budget_table(budgets[["total"]])
    assert (table.drop(columns=["name", "list_size", "small"]) == plain).all().all()


# ------------------------------------------------------------------ names, not codes
def test_england_metrics_name_places_and_keep_codes(england):
    _, _, _, out = england
    metrics = out["metrics"]
    assert metrics.loc["B86625", "consortium"] == "E08000035"
    assert metrics.loc["B86625", "consortium_name"] == "Leeds"
    assert metrics.loc["B86625", "practice_name"] == "WETHERBY SURGERY"
    cols = list(metrics.columns)
    assert cols.index("consortium_name") == cols.index("consortium") + 1


# ------------------------------------------------------------------ one default for years
def test_one_default_for_years_everywhere():
    assert DEFAULT_YEARS == 3
    defaults = [inspect.signature(f).parameters["years"].default
                for f in (pbc.scenario.simulation.simulate, pbc.Scenario.simulate, pbc.compare)]
    assert defaults == [DEFAULT_YEARS] * 3
    parser = build_parser()
    assert parser.parse_args(["run", "s.toml", "--out", "o"]).years == DEFAULT_YEARS
    assert parser.parse_args(["compare", "a.toml", "b.toml"]).years == DEFAULT_YEARS
    assert demo.DEMO_YEARS == DEFAULT_YEARS
    assert pbc.Scenario.example().simulate(n=10).years == DEFAULT_YEARS


def test_readme_states_the_default_years():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "three years unless told otherwise" in " ".join(readme.split())


# ------------------------------------------------------------------ progress bars
def _fake_kernel(monkeypatch, kernel: object | None) -> None:
    shell = types.SimpleNamespace(kernel=kernel)
    monkeypatch.setitem(sys.modules, "IPython",
                        types.SimpleNamespace(get_ipython=lambda: shell))


def test_progress_auto_is_on_in_jupyter_only(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert auto_progress(None) is False
    _fake_kernel(monkeypatch, kernel=None)                   # a terminal IPython
    assert auto_progress(None) is False
    _fake_kernel(monkeypatch, kernel=object())               # a Jupyter kernel
    assert auto_progress(None) is True
    assert SimulationOptions(progress=None).progress is True
    assert auto_progress(False) is False and auto_progress(True) is True


def test_progress_auto_without_tqdm_is_off_and_true_is_an_error(monkeypatch):
    _fake_kernel(monkeypatch, kernel=object())
    real = options_module.importlib.util.find_spec
    monkeypatch.setattr(options_module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "tqdm" else real(name, *a))
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)      # tqdm not importable
    scn = pbc.Scenario.example()
    assert auto_progress(None) is False
    assert scn.simulate(n=10, years=1, seed=1).n == 10       # auto: no bar, no error
    with pytest.raises(MissingDependencyError, match="progress"):
        scn.simulate(n=10, years=1, seed=1, progress=True)


@pytest.mark.parametrize("name", ["simulate", "run", "compare", "sweep"])
def test_progress_defaults_to_auto(name):
    f = {"simulate": pbc.scenario.simulation.simulate, "run": pbc.scenario.simulation.run,
         "compare": pbc.compare, "sweep": pbc.sweep}[name]
    assert inspect.signature(f).parameters["progress"].default is None
    assert inspect.signature(pbc.Scenario.simulate).parameters["progress"].default is None


def test_design_runs_show_a_bar_over_candidates(capsys):
    pytest.importorskip("tqdm")
    scn = pbc.Scenario.example(high_cost_threshold=None)
    space = {"overspend.practice_share": [0.0, 0.5, 1.0]}
    plain = pbc.design.frontier(scn, space, y="max_band_prob_loss_over_2pct", years=1, n=100,
                                method="normal")
    shown = pbc.design.frontier(scn, space, y="max_band_prob_loss_over_2pct", years=1, n=100,
                                method="normal", progress=True)
    pd.testing.assert_frame_equal(plain.points, shown.points)   # the same candidates
    err = capsys.readouterr().err
    assert "frontier" in err and "3/3" in err
    best = pbc.design.optimise(scn, {"overspend.practice_share": (0.0, 1.0, 0.5)},
                               years=1, n=100, method="normal", max_evaluations=8, replicates=2,
                               progress=True)
    err = capsys.readouterr().err
    assert "optimise" in err and f"{best.evaluations}/{best.evaluations}" in err
    for f in (pbc.design.optimise, pbc.design.frontier):
        assert inspect.signature(f).parameters["progress"].default is None


# ------------------------------------------------------------------ xarray attrs
def test_to_xarray_carries_units_glossary_names_and_the_run():
    pytest.importorskip("xarray")
    ds = pbc.Scenario.example().simulate(n=20, years=2, seed=5, keep="full").to_xarray()
    for name in ("practice_amount", "net", "outturn", "budget"):
        assert ds[name].attrs["units"] == "pounds" and ds[name].attrs["long_name"], name
    assert ds["list_size"].attrs["units"] == "patients"
    assert ds["practice_amount"].attrs["long_name"] == pbc.glossary.term(
        "practice_amount").label
    assert "positive" in ds["practice_amount"].attrs["sign"]
    assert {k: ds.attrs[k] for k in ("n", "years", "seed", "method")} == {
        "n": 20, "years": 2, "seed": 5, "method": "fft"}
    assert ds.attrs["scenario"] == pbc.Scenario.example().name
    assert "+ kept" in ds.attrs["sign_convention"]
