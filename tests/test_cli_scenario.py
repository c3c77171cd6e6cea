"""``pbcmodel run``, ``pbcmodel compare``, the extended demo, and the example scenario files."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel import load_scenario
from pbcmodel.cli import main

EXAMPLES = Path(__file__).parents[1] / "examples"
#: The example commissioner's scenario files (examples/england_*.toml: tests/test_england_file.py).
EXAMPLE_FILES = sorted(p for p in EXAMPLES.glob("*.toml") if not p.stem.startswith("england"))
RUN_FILES = {"budgets.csv", "metrics.csv", "summary.csv", "by_list_size.csv", "glossary.csv",
             "totals.csv",
             "list_size.png", "net.png", "commissioner.png", "report.txt"}

MINIMAL = """\
name = "{name}"
resource = 510e6
population = {{dataset = "example"}}
cost_model = {{dataset = "example"}}
{extra}
[formula]
weights = {{dataset = "example"}}

[overspend]
practice_share = {share}
"""


def scenario_file(tmp_path: Path, name: str = "half", share: object = 0.5,
                  extra: str = "") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(MINIMAL.format(name=name, share=share, extra=extra), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- examples
def test_three_example_scenarios_exist():
    assert {p.stem for p in EXAMPLE_FILES} == {"pbc_70_30", "strict_overspend", "mssp_style"}
    assert {p.stem for p in EXAMPLES.glob("england*.toml")} == {"england_qwo"}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_scenarios_load_and_round_trip(path):
    scn = load_scenario(path)
    assert scn.population.n_practices == 60
    assert scn.cost_model == pbc.datasets.example_cost_model()
    assert pbc.Scenario.from_toml(scn.to_toml()) == scn
    assert pbc.Scenario.from_json(scn.to_json()) == scn
    assert "dataset" in scn.to_toml()       # written back in the short forms


def test_example_policies_say_what_the_comments_say():
    pbc_70_30, strict, mssp = (load_scenario(EXAMPLES / f"{stem}.toml") for stem in
                               ("pbc_70_30", "strict_overspend", "mssp_style"))
    assert pbc_70_30.savings.savings == ((0.0, 0.7),)
    assert pbc_70_30.conditions == {"commissioner_in_balance": "from_outturn"}
    assert (strict.overspend.practice_share, strict.overspend.tolerance) == (1.0, 0.0)
    assert mssp.overspend is None
    assert mssp.savings == pbc.sharing.mssp_two_sided()
    # the three differ only in policy, so they are compared on identical outturns
    assert pbc_70_30.evolve(savings=strict.savings, overspend=strict.overspend,
                            conditions={}, name=strict.name) == strict


# ----------------------------------------------------------------------------- run
def test_run_writes_tables_figures_and_report(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(EXAMPLES / "pbc_70_30.toml"), "--out", str(out), "--n", "200",
                 "--years", "2", "--seed", "3"])
    assert code == 0
    assert {p.name for p in out.iterdir()} == RUN_FILES
    summary = pd.read_csv(out / "summary.csv", index_col="metric")
    assert (summary.loc["simulations", "value"], summary.loc["years", "value"]) == (200, 2)
    assert summary.loc["expected_freed_up_gbp", "unit"] == "£"
    # the same seed gives the same numbers as the library call (to the penny)
    expected = load_scenario(EXAMPLES / "pbc_70_30.toml").simulate(n=200, years=2, seed=3)
    assert summary.loc["expected_freed_up_gbp", "value"] == pytest.approx(
        expected.summary()["expected_freed_up"], abs=0.005)
    metrics = pd.read_csv(out / "metrics.csv", index_col="practice")
    assert len(metrics) == 60 and "prob_loss_over_2pct_of_budget_pct" in metrics
    assert str(metrics["list_size"].dtype) == "int64"
    budgets = pd.read_csv(out / "budgets.csv", index_col="practice")
    totals = pd.read_csv(out / "totals.csv", index_col="table")
    assert totals.loc["budgets", "total_gbp"] == 494_700_000.00   # 510m less 3% top-slices
    assert "total" not in budgets.index
    assert round(budgets["total_gbp"].sum(), 2) == 494_700_000.00
    by_size = pd.read_csv(out / "by_list_size.csv", index_col="list_size_band")
    assert by_size.index[1] == "3,000–5,999" and by_size["practices"].sum() == 60
    glossary = pd.read_csv(out / "glossary.csv", index_col="metric")
    assert "expected_freed_up_gbp" in set(glossary["column"])
    report = (out / "report.txt").read_text()
    assert "pbc-70-30" in report and "200 simulations × 2 year(s), seed 3" in report
    assert (out / "commissioner.png").read_bytes()[:4] == b"\x89PNG"
    assert "Headline figures" in capsys.readouterr().out


def test_run_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    out = tmp_path / "out"
    assert main(["run", str(scenario_file(tmp_path)), "--out", str(out), "--n", "50",
                 "--format", "parquet"]) == 0
    assert (out / "summary.parquet").exists() and not (out / "summary.csv").exists()
    assert len(pd.read_parquet(out / "metrics.parquet")) == 60


def test_run_refuses_to_overwrite_and_writes_nothing(tmp_path, capsys):
    # a single existing file (here the report, written last) stops the whole run
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.txt").write_text("keep me")
    code = main(["run", str(scenario_file(tmp_path)), "--out", str(out), "--n", "50"])
    assert code == 2
    captured = capsys.readouterr()
    assert "report.txt already exist" in captured.err and "--force" in captured.err
    assert captured.out == ""
    assert [p.name for p in out.iterdir()] == ["report.txt"]
    assert (out / "report.txt").read_text() == "keep me"
    assert main(["run", str(scenario_file(tmp_path)), "--out", str(out), "--n", "50",
                 "--force"]) == 0
    assert {p.name for p in out.iterdir()} == RUN_FILES


def test_run_out_is_a_file(tmp_path, capsys):
    out = tmp_path / "out"
    out.write_text("")
    assert main(["run", str(scenario_file(tmp_path)), "--out", str(out), "--n", "5"]) == 2
    assert "not a directory" in capsys.readouterr().err


@pytest.mark.parametrize(("extra", "share", "match"), [
    ("resourse = 5", 0.5, r"\$\.resourse: unknown key"),
    ("", '"half"', r"\$\.overspend\.practice_share"),
    ("", 1.5, r"\$\.overspend\.practice_share: must be in \[0.0, 1.0\]"),
    ("high_cost_threshold = -1", 0.5, "high_cost_threshold"),
    ("[formula.pace]\nmax_gain = 0.05", 0.5, r"\$\.formula"),
    ("resource_growth = [", 0.5, "line 6"),
])
def test_run_bad_scenario_file(tmp_path, capsys, extra, share, match):
    out = tmp_path / "out"
    code = main(["run", str(scenario_file(tmp_path, share=share, extra=extra)),
                 "--out", str(out), "--n", "5"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("pbcmodel: error: ")
    assert re.search(match, err), err
    assert not out.exists()     # nothing written


def test_run_unknown_nested_key_names_its_table(tmp_path, capsys):
    path = scenario_file(tmp_path)
    path.write_text(path.read_text() + "tolerence = 0.02\n")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--n", "5"]) == 2
    err = capsys.readouterr().err
    assert "$.overspend" in err and "tolerence" in err


def test_run_missing_file_and_bad_suffix(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err
    other = tmp_path / "s.yaml"
    other.write_text("x")
    assert main(["run", str(other), "--out", str(tmp_path / "o")]) == 2
    assert ".toml or .json" in capsys.readouterr().err


def test_run_without_cost_model(tmp_path, capsys):
    path = scenario_file(tmp_path)
    path.write_text(path.read_text().replace('cost_model = {dataset = "example"}\n', ""))
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--n", "5"]) == 2
    assert "cost_model" in capsys.readouterr().err


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--n", "0", "must be a positive whole number, got 0"),
    ("--years", "-1", "must be a positive whole number, got -1"),
    ("--n", "x", "expected a whole number, got 'x'"),
    ("--seed", "-3", "must be a whole number >= 0"),
])
def test_run_bad_counts(tmp_path, capsys, option, value, message):
    assert main(["run", "s.toml", "--out", str(tmp_path), option, value]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pbcmodel: error: {option}: {message}") and err.count("\n") == 1


# ----------------------------------------------------------------------------- compare
def test_compare_prints_side_by_side(tmp_path, capsys):
    a = scenario_file(tmp_path, "half", 0.5)
    b = scenario_file(tmp_path, "all", 1.0)
    assert main(["compare", str(a), str(b), "--n", "100", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "half" in line)
    assert header.split() == ["half", "all"]
    # rows named in plain words from the glossary, in their units
    assert "Chance a practice bears over 2% of budget" in out and "%" in out and "£" in out
    assert "practices_prob_loss_over_2pct" not in out
    assert "note:" not in out     # same population and cost model: common outturns


def test_compare_duplicate_names_use_file_names(tmp_path, capsys):
    a = scenario_file(tmp_path, "half", 0.5)
    b = scenario_file(tmp_path, "other", 1.0)
    b.write_text(b.read_text().replace('name = "other"', 'name = "half"'))
    assert main(["compare", str(a), str(b), "--n", "20"]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines() if "other" in line)
    assert header.split() == ["half", "other"]


def test_compare_notes_different_outturns(tmp_path, capsys):
    a = scenario_file(tmp_path, "calm", 0.5)
    b = scenario_file(tmp_path, "shocked", 0.5, extra="common_shock_cv = 0.05")
    assert main(["compare", str(a), str(b), "--n", "20"]) == 0
    assert "note: the scenarios differ in what drives spend" in capsys.readouterr().out


def test_compare_needs_two_files(tmp_path, capsys):
    assert main(["compare", str(scenario_file(tmp_path))]) == 2
    assert "at least two" in capsys.readouterr().err


def test_compare_bad_file_names_it(tmp_path, capsys):
    bad = scenario_file(tmp_path, "bad", share=2)
    assert main(["compare", str(scenario_file(tmp_path)), str(bad), "--n", "5"]) == 2
    assert "$.overspend.practice_share" in capsys.readouterr().err


# ----------------------------------------------------------------------------- demo
def test_demo_simulates_and_compares(tmp_path, capsys):
    # the synthetic example commissioner (the default demo runs on real England)
    assert main(["demo", "--example", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Budgets by consortium" in out and "final budget" in out      # as before
    assert "Outcomes by list size" in out and "Policies compared" in out
    comparison = pd.read_csv(tmp_path / "comparison.csv", index_col="metric")
    assert comparison.columns.tolist() == ["pbc-70-30", "strict-overspend", "mssp-style",
                                           "label", "unit", "sign", "period"]
    # common random numbers: the 70/30 and strict policies share the savings schedule, so
    # their freed-up resources are identical simulation by simulation
    assert (comparison.loc["expected_freed_up_gbp", "pbc-70-30"]
            == comparison.loc["expected_freed_up_gbp", "strict-overspend"])
    # bearing every overspend costs practices more than bearing half beyond 2%
    assert (comparison.loc["expected_practice_amount_gbp", "strict-overspend"]
            < comparison.loc["expected_practice_amount_gbp", "pbc-70-30"])
    summary = pd.read_csv(tmp_path / "summary.csv", index_col="metric")
    assert summary["value"].to_dict() == comparison["pbc-70-30"].loc[summary.index].to_dict()
    assert (tmp_path / "by_list_size.csv").exists() and (tmp_path / "policies.png").exists()
