import subprocess
import sys

import pandas as pd

import pbcmodel
from pbcmodel.cli import main

PNG = b"\x89PNG"


def test_demo_on_real_england(tmp_path, capsys):
    assert main(["demo", "--icb", "QOC", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("Contains public sector information licensed under the Open Government "
                     "Licence v3.0") == 2 and "NHS England" in out
    assert "need indices relative to the ICB" in out and "Three-year path" in out
    assert "Policies compared" in out
    # real England has what the formula misses, calibrated and sourced, in one line
    effects = [line for line in out.splitlines() if "practice effects" in line]
    assert effects == ["  practice effects: sd 0.10 of the log (about ±10% a year), persistence "
                       "0.80 — calibrated to Dixon et al., BMJ 2011;343:d6608 (persistence "
                       "assumed)"]
    budgets = pd.read_csv(tmp_path / "budgets.csv", index_col="practice")
    totals = pd.read_csv(tmp_path / "totals.csv", index_col="table")   # none in the tables
    practices = budgets
    assert "total" not in budgets.index
    assert len(practices) == 50          # NHS Shropshire, Telford and Wrekin ICB's practices
    wp = pbcmodel.datasets.england().subset(icb="QOC")
    resource = round(float(wp.registered.sum()) * 1000, -5)
    # the total is the resource less the 1% top-slice, and the practices add up to it
    assert totals.loc["budgets", "total_gbp"] == round(resource * 0.99, 2)
    assert round(practices["total_gbp"].sum(), 2) == totals.loc["budgets", "total_gbp"]
    assert totals.loc["budgets", "list_size"] == practices["list_size"].sum()
    places = pd.read_csv(tmp_path / "places.csv", index_col="place")
    # the places add up to the same practices, patients and pounds as the budgets
    assert "total" not in places.index
    assert totals.loc["places", "practices"] == 50 == places["practices"].sum()
    assert totals.loc["places", "patients"] == totals.loc["budgets", "list_size"]
    assert totals.loc["places", "budget_gbp"] == totals.loc["budgets", "total_gbp"]
    assert places["core_need_index"].between(0.5, 2).all()
    path = pd.read_csv(tmp_path / "three_year_path.csv", index_col="practice")
    assert list(path.columns) == ["budget_last_year_gbp", "budget_2026_27_gbp",
                                  "budget_2027_28_gbp", "budget_2028_29_gbp"]
    assert (path.sum().round(2) == totals.loc["three_year_path", path.columns]).all()
    assert totals.loc["three_year_path", "budget_2026_27_gbp"] == \
        totals.loc["budgets", "total_gbp"]
    for figure in ("list_size", "net", "commissioner", "policies"):
        assert (tmp_path / f"{figure}.png").read_bytes()[:4] == PNG
    assert_glossary_defines_every_column(tmp_path)
    assert main(["demo", "--icb", "QOC", "--out", str(tmp_path)]) == 2     # no overwrite
    assert "already exist" in capsys.readouterr().err


def assert_glossary_defines_every_column(folder):
    """Every column of every table written has a definition in glossary.csv, but the parts
    of a budget (a POD, a weighted-population component or a year, in pounds) and the
    scenarios of comparison.csv."""
    from pbcmodel.codes import PODS
    from pbcmodel.weighted import COMPONENTS

    def part(column):
        stem = column.removesuffix("_gbp")
        return column.endswith("_gbp") and (stem in PODS or stem in COMPONENTS
                                            or stem.startswith("budget_2"))

    defined = set(pd.read_csv(folder / "glossary.csv")["column"])
    for path in folder.glob("*.csv"):
        table = pd.read_csv(path)
        if path.stem == "glossary":
            continue
        if "metric" in table.columns:            # a long table: its rows are the metrics
            assert set(table["metric"]) <= defined, path.name
            continue
        columns = {c for c in table.columns if not part(c)}
        assert columns <= defined, (path.name, sorted(columns - defined))


def test_demo_writes_budgets_explanation_and_figures(tmp_path, capsys):
    assert main(["demo", "--example", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Budgets by consortium" in out and "final budget" in out
    assert "  practice effects: none (the formula is taken as exact)\n" in out
    budgets = pd.read_csv(tmp_path / "budgets.csv", index_col="practice")
    assert len(budgets) == 60                   # the practices; the total is in totals.csv
    totals = pd.read_csv(tmp_path / "totals.csv", index_col="table").loc["budgets"]
    # 510m less 3% top-slices = 494.7m, exactly: pennies allocated from the rounded whole,
    # so every practice's PODs add up to its total and every column to the total
    assert totals["total_gbp"] == 494_700_000.00
    pods = budgets.drop(columns="total_gbp")
    assert ((pods.sum(axis=1) - budgets["total_gbp"]).abs() < 0.005).all()
    assert ((budgets.sum() - totals[budgets.columns]).abs() < 0.005).all()
    explain = pd.read_csv(tmp_path / "explain_P001.csv", index_col="step")
    assert explain.loc["final budget", "amount_gbp"] == budgets.loc["P001", "total_gbp"]
    adjustments = explain.loc[explain["kind"] == "adjustment", "amount_gbp"]
    assert round(adjustments.sum(), 2) == explain.loc["final budget", "amount_gbp"]
    # no float noise: 1262751.8699999999 was written for the weighted list
    assert "99999" not in (tmp_path / "explain_P001.csv").read_text()
    for figure in ("list_size", "net", "commissioner", "policies"):
        assert (tmp_path / f"{figure}.png").read_bytes()[:4] == PNG
    assert_glossary_defines_every_column(tmp_path)


def test_demo_refuses_to_overwrite(tmp_path, capsys):
    assert main(["demo", "--example", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["demo", "--example", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "already exist" in captured.err and "--force" in captured.err
    assert captured.out == ""  # nothing printed or written on refusal
    assert main(["demo", "--example", "--out", str(tmp_path), "--force"]) == 0


def test_budgets_command(tmp_path, data_dir, capsys):
    out = tmp_path / "b.csv"
    code = main(["budgets", "--population", str(data_dir / "gp-reg-pat-prac-quin-age.csv"),
                 "--consortia", str(data_dir / "consortia.csv"), "--resource", "£2,000,000",
                 "--out", str(out)])
    assert code == 0
    budgets = pd.read_csv(out, index_col="practice")
    assert "total" not in budgets.index       # no total row: summing counts each once
    assert round(budgets["total_gbp"].sum(), 2) == 2_000_000.00    # to the penny
    assert "North" in capsys.readouterr().out


def test_budgets_command_bad_resource(data_dir, capsys):
    assert main(["budgets", "--population", "x.csv", "--resource", "-5", "--out", "y.csv"]) == 2
    assert capsys.readouterr().err == "pbcmodel: error: --resource: must be > 0, got -5\n"


def test_budgets_command_missing_file(tmp_path, capsys):
    code = main(["budgets", "--population", str(tmp_path / "nope.csv"), "--resource", "1e6",
                 "--out", str(tmp_path / "o.csv")])
    assert code == 2
    assert "no such file" in capsys.readouterr().err


def test_version_and_module_help():
    result = subprocess.run([sys.executable, "-m", "pbcmodel", "--version"],
                            capture_output=True, text=True, check=True)
    assert pbcmodel.__version__ in result.stdout
    helped = subprocess.run([sys.executable, "-m", "pbcmodel", "--help"],
                            capture_output=True, text=True, check=True)
    assert "demo" in helped.stdout and "budgets" in helped.stdout
