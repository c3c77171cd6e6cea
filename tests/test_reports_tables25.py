"""Issue 25, what a finance reader stumbles on in the tidy tables, CSVs and statement pages:
no total row in a tidy file, a negative value at risk in words, one period per text table,
small practices out of the smallest lists' spread, place names on statement pages, and
the explanation as text in reports.tables."""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.reports.outputs import run_outputs, write_outputs
from pbcmodel.reports.tables import (
    SMALL_PRACTICE,
    at_risk_text,
    budget_table,
    comparison_table,
    explanation_text,
    period_tables,
    split_totals,
    summary_table,
    text_table,
)
from pbcmodel.scenario.england import weighted_scenario
from pbcmodel.scenario.metrics import figures


@pytest.fixture(scope="module")
def example():
    scn = pbc.Scenario.example()
    return scn, scn.simulate(n=50, years=2, seed=1)


# ------------------------------------------------------------------ 1. no total row in a CSV
def test_csv_has_no_total_row_and_its_columns_add_up_to_the_budget(example, tmp_path):
    scn, result = example
    outputs = run_outputs(result, scn, figures=False)
    assert outputs["budgets"].index[-1] == "total"          # the workbooks' and terminal's
    written = write_outputs(outputs, tmp_path)
    assert "totals.csv" in written
    budgets = pd.read_csv(tmp_path / "budgets.csv", index_col="practice")
    assert "total" not in budgets.index
    assert len(budgets) == scn.population.n_practices
    exact = budget_table(scn.budgets()).loc["total"]
    for column in budgets.columns:                          # summing a column counts once
        assert round(budgets[column].sum(), 2) == pytest.approx(exact[column], abs=1e-6)
    totals = pd.read_csv(tmp_path / "totals.csv", index_col="table")
    assert totals.loc["budgets", "total_gbp"] == exact["total_gbp"]
    for name in written:
        if name.endswith(".csv") and name != "totals.csv":
            table = pd.read_csv(tmp_path / name, index_col=0)
            if table.index.name == "metric":    # its rows are metrics (one is "total")
                continue
            assert "total" not in table.index.astype(str), name


def test_parquet_has_no_total_row_either(example, tmp_path):
    pytest.importorskip("pyarrow")
    scn, result = example
    written = write_outputs(run_outputs(result, scn, figures=False), tmp_path,
                            format="parquet")
    assert "totals.parquet" in written
    assert "total" not in pd.read_parquet(tmp_path / "budgets.parquet").index


def test_split_totals_keeps_counts_whole_and_notes():
    t = pd.DataFrame({"practices": [2, 3, 5], "budget_gbp": [1.25, 2.5, 3.75]},
                     index=pd.Index(["a", "b", "total"], name="place"))
    t.attrs["notes"] = ["a note"]
    p = pd.DataFrame({"total_gbp": [1.0, 1.0]}, index=pd.Index(["A", "total"]))
    body, totals = split_totals({"places": t, "path": p, "plain": pd.DataFrame({"x": [1]})})
    assert list(body["places"].index) == ["a", "b"]
    assert body["places"].attrs["notes"] == ["a note"]
    assert totals.loc["places", "practices"] == 5
    assert str(totals["practices"].dtype) == "Int64"
    assert pd.isna(totals.loc["path", "practices"])
    assert split_totals({"plain": pd.DataFrame({"x": [1]})})[1] is None
    glossary = pd.DataFrame({"label": ["Total budget"]},
                            index=pd.Index(["total"], name="metric"))
    assert split_totals({"glossary": glossary}) == ({"glossary": glossary}, None)


def test_budgets_command_writes_no_total_row(tmp_path, data_dir, capsys):
    from pbcmodel.cli import main

    out = tmp_path / "budgets.csv"
    assert main(["budgets", "--population", str(data_dir / "gp-reg-pat-prac-quin-age.csv"),
                 "--resource", "1000000", "--out", str(out)]) == 0
    written = pd.read_csv(out, index_col="practice")
    assert "total" not in written.index
    assert round(written["total_gbp"].sum(), 2) == 1_000_000.0
    pods = written.drop(columns="total_gbp").sum(axis=1)
    assert np.allclose(pods, written["total_gbp"], atol=0.005)


# ------------------------------------------------------------ 2. a negative value at risk
def test_a_negative_value_at_risk_reads_none_in_text_tables():
    s = pd.Series({"commissioner_var95_all_years": -3_874_187.0,
                   "commissioner_tvar95_all_years": -1_000.0,
                   "commissioner_mean_kept_all_years": 5e6})
    table = summary_table(s)
    assert table.loc["commissioner_var95_all_years_gbp", "value"] == -3_874_187.0  # data kept
    text = text_table(table)
    assert "none (it keeps at least £3,874,187)" in text
    assert "none (it keeps £1,000 on average)" in text
    assert "−£3,874,187" not in text
    c = pd.DataFrame({"a": [2e6], "b": [-2e6]}, index=["commissioner_var95_all_years"])
    shown = text_table(comparison_table(c))
    assert "£2,000,000" in shown and "none (it keeps at least £2,000,000)" in shown
    assert at_risk_text(float("nan")) == "–"


# ----------------------------------------------------------------- 3. one period per table
def test_each_text_block_has_one_period(example):
    _, result = example
    table = summary_table(result.summary())
    blocks = period_tables(table)
    assert list(blocks) == ["The run", "The first year", "A simulated year",
                            "All simulated years together"]
    for title, rows in blocks.items():
        bases = {str(p).split(" (")[0] for p in rows["period"]}
        assert len(bases) == 1, (title, bases)
    assert sum(len(rows) for rows in blocks.values()) == len(table)
    text = text_table(table)
    for title in blocks:
        assert f"\n{title}" in "\n" + text
    year = text.index("A simulated year")
    together = text.index("All simulated years together")
    assert year < text.index("Expected freed-up resources") < together
    assert text.index("Commissioner's value at risk") > together


# --------------------------------------------- 4. small practices out of the smallest lists
def test_smallest_lists_spread_leaves_out_small_practices():
    wp = pbc.datasets.england().subset(icb="QWO")
    result = weighted_scenario(wp, 5e8).simulate(n=20, years=1, seed=0)
    sizes = result.list_size.to_numpy(dtype=float)
    assert (sizes < SMALL_PRACTICE).any()
    tally = result.tally
    per_head = tally.amount_sum / sizes / 100
    squares = tally.second_moment() / sizes**2 / 100**2

    def spread(members):                    # by hand: Σ (x/size)² / count − mean²
        count = members.sum() * tally.count
        mean = per_head[members].sum() / count
        return float(np.sqrt(squares[members].sum() / count - mean**2))

    smallest_band = (sizes >= SMALL_PRACTICE) & (sizes < 3000)
    with_tiny = sizes < 3000
    got = figures(result, ["sd_per_head_smallest_lists", "sd_per_head_largest_lists",
                           "fairness_sd_ratio"])
    assert got["sd_per_head_smallest_lists"] == pytest.approx(spread(smallest_band), rel=1e-12)
    assert got["sd_per_head_smallest_lists"] != pytest.approx(spread(with_tiny), rel=1e-3)
    assert got["fairness_sd_ratio"] == pytest.approx(
        got["sd_per_head_smallest_lists"] / got["sd_per_head_largest_lists"])
    assert "1,000" in pbc.glossary.term("sd_per_head_smallest_lists").definition


def test_small_practice_lives_in_the_metrics_and_is_reexported():
    from pbcmodel.reports import tables
    from pbcmodel.scenario import metrics

    assert tables.SMALL_PRACTICE is metrics.SMALL_PRACTICE == 1_000


# ------------------------------------------------------ 5. statement pages name the places
def test_statement_pages_show_place_names_beside_codes():
    pytest.importorskip("jinja2")
    from pbcmodel.reports.statement_pages import settlement_pages

    wp = pbc.datasets.england().subset(icb="QWO")
    scn = weighted_scenario(wp, 5e8)
    code = "B85005"
    pages = settlement_pages(scn, scn.settle(scn.budgets()["total"] * 0.99), names=wp,
                             practices=[code], figures=False)
    place = str(scn.population.practices.loc[code, "consortium"])
    name = str(wp.frame.loc[code, "lad_name"])
    assert f"Consortium {name} ({place})" in pages[f"practice_{code}.html"]
    assert f"Consortium {name} ({place})" in pages[f"consortium_{place}.html"]
    assert f"{name} ({place})" in pages["index.html"]
    assert "SHEPLEY PRIMARY CARE LIMITED" in pages[f"practice_{code}.html"]


def test_statement_pages_escape_names():
    pytest.importorskip("jinja2")
    from pbcmodel.reports.statement_pages import settlement_pages

    wp = pbc.datasets.england().subset(icb="QWO")
    frame = wp.frame.copy()
    frame["lad_name"] = "<script>alert(1)</script>"
    evil = attrs.evolve(wp, frame=frame)
    scn = weighted_scenario(wp, 5e8)
    code = "B85005"
    pages = settlement_pages(scn, scn.settle(scn.budgets()["total"]), names=evil,
                             practices=[code], figures=False)
    for page in pages.values():
        assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[f"practice_{code}.html"]


def test_statement_pages_without_names_show_codes():
    pytest.importorskip("jinja2")
    from pbcmodel.reports.statement_pages import settlement_pages

    scn = pbc.Scenario.example()
    pages = settlement_pages(scn, scn.settle(scn.budgets()["total"]), practices=["P001"],
                             figures=False)
    assert "Consortium C1 ·" in pages["practice_P001.html"]


# ------------------------------------------------- 6. the explanation as text, moved
def test_explanation_text_moved_and_old_name_works():
    from pbcmodel.cli.commands import format_explanation

    explanation = pbc.Scenario.example().explain("P001")
    assert format_explanation is explanation_text
    text = explanation_text(explanation)
    assert len(text.splitlines()) == len(explanation)
    assert text.splitlines()[-1].startswith("=")
