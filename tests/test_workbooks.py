"""Workbooks that are right (issue 25): the statements workbook and a simulation's workbook,
opened with openpyxl and checked point by point; ``--format xlsx`` on ``run`` and ``compare``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.cli import main
from pbcmodel.money import to_pence
from pbcmodel.phasing import flat_profile, phase
from pbcmodel.reports import result_workbook
from pbcmodel.reports.column_labels import code_names, column_label, with_names
from pbcmodel.reports.workbook import (
    HEADER_ROW,
    MONEY_FORMAT,
    NAMES_ROW,
    PERCENT_FORMAT,
    monthly_workbook,
    settlement_workbook,
)

openpyxl = pytest.importorskip("openpyxl")

EXAMPLES = Path(__file__).parents[1] / "examples"
FIRST = HEADER_ROW + 1


@pytest.fixture(scope="module")
def scn():
    return pbc.Scenario.example()


@pytest.fixture(scope="module")
def settled(scn):
    budgets = scn.budgets()["total"]
    return scn.settle(budgets * np.random.default_rng(5).normal(1.0, 0.05, len(budgets)))


@pytest.fixture(scope="module")
def statements(scn, settled, tmp_path_factory):
    path = tmp_path_factory.mktemp("wb") / "s.xlsx"
    settlement_workbook(path, scn, settled, names={"P001": "Ash Surgery", "P002": "Elm & Co"})
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def monthly(scn, tmp_path_factory):
    phased = phase(scn.budgets(), flat_profile())
    rng = np.random.default_rng(9)
    rows = [(p, pod, m, r[m] * rng.normal(1.02, 0.1)) for (p, pod), r in phased.iterrows()
            for m in range(1, 5)]
    actual = pd.DataFrame(rows, columns=["practice", "pod", "month", "cost"])
    path = tmp_path_factory.mktemp("wb") / "m.xlsx"
    monthly_workbook(path, scn, actual, 4)
    return openpyxl.load_workbook(path)


def machine_names(ws):
    return [c.value for c in ws[NAMES_ROW]]


def column(ws, name):
    """The cells of a column, body rows only (empty rows skipped, the total last)."""
    j = machine_names(ws).index(name) + 1
    return [ws.cell(row=r, column=j) for r in range(FIRST, ws.max_row + 1)
            if ws.cell(row=r, column=1).value is not None]


def table_rows(ws):
    """The body rows (between the labels and the empty row before the total)."""
    rows = []
    for r in range(FIRST, ws.max_row + 1):
        if ws.cell(row=r, column=1).value is None:
            break
        rows.append(r)
    return rows


def sum_formula(cell, ws):
    """The value of ``=SUM(Xa:Xb)`` worked out in Python from the cells it names (openpyxl
    computes no formulas)."""
    assert isinstance(cell.value, str) and cell.value.startswith("=SUM(")
    first, last = cell.value[len("=SUM("):-1].split(":")
    return sum(c.value for (c,) in ws[f"{first}:{last}"])


# ----------------------------------------------------------------- percentages
def test_percentages_are_true_fractions_with_a_percent_format(monthly, scn):
    ws = monthly["Year to date"]
    for name in ("variance_pct", "prob_overspend_pct"):
        cells = column(ws, name)
        assert all(c.number_format == PERCENT_FORMAT == "0.00%" for c in cells), name
        values = [c.value for c in cells if c.value is not None]
        assert values and all(abs(v) <= 1 for v in values), name    # 0.125, never 12.5
    # stored as the nearest double to the decimal fraction (no 0.007500000000000001)
    assert all(c.value == float(f"{c.value:.4g}") for c in column(ws, "variance_pct")
               if c.value is not None)


def test_percentage_values_are_the_tables_divided_by_100(tmp_path):
    from pbcmodel.reports.workbook import write_workbook

    t = pd.DataFrame({"variance_pct": [-0.75, 12.5]}, index=pd.Index(["A", "B"], name="practice"))
    write_workbook(tmp_path / "p.xlsx", {"T": t})
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx")["T"]
    assert [ws["B4"].value, ws["B5"].value] == [-0.0075, 0.125]
    assert ws["B4"].number_format == "0.00%"


# ----------------------------------------------------------------- totals
@pytest.mark.parametrize("sheet", ["Practices", "Budgets", "Carry forward"])
def test_the_total_row_is_outside_the_filter_and_adds_up_to_the_penny(statements, settled,
                                                                      sheet):
    ws = statements[sheet]
    body = table_rows(ws)
    ref = ws.auto_filter.ref
    assert ref == f"A{HEADER_ROW}:{ws.cell(row=1, column=ws.max_column).column_letter}{body[-1]}"
    total_row = ws.max_row
    assert total_row > body[-1] + 1 and ws.cell(row=total_row, column=1).value == "total"
    assert ws.cell(row=total_row - 1, column=1).value is None        # an empty row between
    assert ws.cell(row=total_row, column=1).font.bold
    money = [j for j, name in enumerate(machine_names(ws), start=1)
             if str(name).endswith("_gbp")]
    for j in money:
        cell = ws.cell(row=total_row, column=j)
        assert cell.value == (f"=SUM({cell.column_letter}{body[0]}:"
                              f"{cell.column_letter}{body[-1]})")
        assert cell.number_format == MONEY_FORMAT
    if sheet == "Practices":
        net = ws.cell(row=total_row, column=machine_names(ws).index("net_to_practice_gbp") + 1)
        pence = int(settled.to_frame(pence=True)["net_to_practice"].sum())
        assert round(sum_formula(net, ws) * 100) == pence


def test_a_total_that_is_not_a_sum_is_written_as_its_value(tmp_path):
    from pbcmodel.reports.workbook import write_workbook

    t = pd.DataFrame({"budget_gbp": [1.0, 2.0, 3.0], "variance_pct": [10.0, 20.0, 16.67]},
                     index=pd.Index(["A", "B", "total"], name="practice"))
    write_workbook(tmp_path / "t.xlsx", {"T": t})
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["T"]
    assert ws["A7"].value == "total" and ws["B7"].value == "=SUM(B4:B5)"
    assert ws["C7"].value == 0.1667                     # a ratio: its value, as a fraction


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (Debian's libreoffice-calc-nogui) is not installed, "
                           "so the formulas cannot be recalculated here")
def test_libreoffice_recalculates_the_totals(statements, settled, tmp_path):  # pragma: no cover
    src = tmp_path / "s.xlsx"
    statements.save(src)
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir",
                    str(tmp_path / "lo"), str(src)], check=True, timeout=240)
    ws = openpyxl.load_workbook(tmp_path / "lo" / "s.xlsx", data_only=True)["Practices"]
    net = column(ws, "net_to_practice_gbp")[-1]
    assert round(net.value * 100) == int(settled.to_frame(pence=True)["net_to_practice"].sum())


# ----------------------------------------------------------------- headers and names
def test_headers_are_labels_with_the_machine_names_in_a_notes_row(statements):
    for sheet in statements.sheetnames[:-1]:
        ws = statements[sheet]
        names = machine_names(ws)
        labels = [c.value for c in ws[HEADER_ROW]]
        assert labels == [column_label(n, "settlement") for n in names], sheet
        assert ws[f"A{NAMES_ROW}"].font.italic and ws[f"A{HEADER_ROW}"].font.bold
        assert ws.freeze_panes == f"B{FIRST}"                  # frozen below the labels
    ws = statements["Practices"]
    labels = dict(zip(machine_names(ws), [c.value for c in ws[HEADER_ROW]], strict=True))
    assert labels["net_to_practice_gbp"] == "Net cash to the practice"
    assert labels["practice_name"] == "Practice name"
    notes = {r[0] for r in statements["Notes"].iter_rows(min_row=2, values_only=True)}
    for sheet in statements.sheetnames[:-1]:                  # every machine name defined
        assert set(machine_names(statements[sheet])) <= notes, sheet


def test_names_beside_codes_when_given_and_never_made_up(statements, scn, settled, tmp_path):
    ws = statements["Practices"]
    names = machine_names(ws)
    assert names[:3] == ["practice", "practice_name", "consortium"]
    rows = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value
            for r in table_rows(ws)}
    assert rows["P001"] == "Ash Surgery" and rows["P002"] == "Elm & Co"
    assert rows["P003"] in ("", None)                              # no name: left blank
    # no names in the data: no name column
    settlement_workbook(tmp_path / "plain.xlsx", scn, settled)
    plain = openpyxl.load_workbook(tmp_path / "plain.xlsx")["Practices"]
    assert "practice_name" not in machine_names(plain)


def test_names_from_weighted_populations_and_the_population():
    wp = pbc.datasets.england().subset(icb="QWO")
    found = code_names(names=wp)
    assert found["practice"]["B85005"] == wp.frame.loc["B85005", "name"]
    assert found["consortium"]["E08000034"] == "Kirklees"
    assert found["commissioner"]["QWO"] == "NHS West Yorkshire ICB"
    practices = pd.DataFrame({"consortium": ["C1", "C2"], "consortium_name": ["North", None]},
                             index=pd.Index(["A", "B"], name="practice"))
    found = code_names(practices)
    assert list(found) == ["consortium"]                     # no practice names: none
    assert found["consortium"].to_dict() == {"C1": "North"}
    table = with_names(practices.drop(columns="consortium_name").reset_index(), found)
    assert table["consortium_name"].tolist() == ["North", ""]


# ----------------------------------------------------------------- print set-up
def test_every_sheet_prints_landscape_one_page_wide_with_titles_and_page_numbers(statements):
    for sheet in statements.sheetnames:
        ws = statements[sheet]
        assert ws.page_setup.orientation == "landscape", sheet
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, sheet
        assert ws.sheet_properties.pageSetUpPr.fitToPage, sheet
        assert ws.oddFooter.center.text == "Page &P of &N", sheet
        assert ws.oddHeader.center.text, sheet
        assert ws.print_title_rows, sheet
    ws = statements["Practices"]
    assert ws.print_title_rows == f"$1:${HEADER_ROW}"
    assert ws["A1"].value == ws.oddHeader.center.text == "example: Settlement of the year, " \
                                                         "per practice"


# ----------------------------------------------------------------- simulation results
def test_result_workbook_has_the_run_tables_laid_out_the_same_way(scn, tmp_path):
    result = scn.simulate(n=60, seed=4)
    path = tmp_path / "r.xlsx"
    result_workbook(result, path, names={"P001": "Ash Surgery"})
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Budgets", "Metrics", "Summary", "By list size", "Notes"]
    metrics = book["Metrics"]
    assert machine_names(metrics)[:2] == ["practice", "practice_name"]
    pct = column(metrics, "prob_loss_over_2pct_of_budget_pct")
    expected = result.metrics()["prob_loss_over_fraction"].to_numpy()
    assert [c.number_format for c in pct] == [PERCENT_FORMAT] * len(expected)
    assert np.allclose([c.value for c in pct], expected, atol=5e-5)   # fractions, to 0.01%
    summary = book["Summary"]
    rows = {summary.cell(row=r, column=1).value: summary.cell(row=r, column=2)
            for r in table_rows(summary)}
    share = rows["practices_prob_loss_over_2pct_of_budget_pct"]
    assert share.number_format == PERCENT_FORMAT and 0 <= share.value <= 1
    assert rows["expected_freed_up_gbp"].number_format == MONEY_FORMAT
    assert rows["simulations"].value == 60
    budgets = book["Budgets"]
    total = budgets.cell(row=budgets.max_row, column=budgets.max_column)
    pence = int(to_pence(result.scenario.budgets()["total"]).sum())
    assert abs(round(sum_formula(total, budgets) * 100) - pence) <= len(table_rows(budgets))
    notes = {r[0] for r in book["Notes"].iter_rows(min_row=2, values_only=True)}
    for sheet in book.sheetnames[:-1]:
        assert set(machine_names(book[sheet])) <= notes, sheet


# ----------------------------------------------------------------- the command line
def run_args(out, *extra):
    return ["run", str(EXAMPLES / "pbc_70_30.toml"), "--out", str(out), "--n", "100",
            "--years", "1", *extra]


def test_run_format_xlsx_writes_a_workbook_whole(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(run_args(out, "--format", "xlsx")) == 0
    files = {p.name for p in out.iterdir()}
    assert files == {"results.xlsx", "report.txt", "list_size.png", "net.png",
                     "commissioner.png"}
    book = openpyxl.load_workbook(out / "results.xlsx")
    assert book.sheetnames == ["Budgets", "Metrics", "Summary", "By list size", "Notes"]
    assert "results.xlsx" in capsys.readouterr().out
    both = tmp_path / "both"
    assert main(run_args(both, "--format", "both")) == 0
    assert {"results.xlsx", "summary.csv", "metrics.csv"} <= {p.name for p in both.iterdir()}
    # a later csv run replaces the workbook with the rest of the previous run, as a set
    assert main(run_args(both, "--force")) == 0
    assert "results.xlsx" not in {p.name for p in both.iterdir()}


def test_run_with_a_bad_format_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(run_args(out, "--format", "xls")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err == ("pbcmodel: error: --format: must be one of ['both', 'csv', 'parquet', "
                   "'xlsx'], got 'xls'\n")
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_compare_writes_the_comparison_as_csv_and_a_workbook(tmp_path, capsys):
    out = tmp_path / "cmp"
    files = [str(EXAMPLES / "pbc_70_30.toml"), str(EXAMPLES / "mssp_style.toml")]
    assert main(["compare", *files, "--n", "100", "--years", "1", "--out", str(out),
                 "--format", "both"]) == 0
    assert {p.name for p in out.iterdir()} == {"comparison.csv", "comparison.xlsx"}
    ws = openpyxl.load_workbook(out / "comparison.xlsx")["Comparison"]
    assert machine_names(ws)[0] == "metric" and ws["A3"].value == "Figure"
    capsys.readouterr()
    assert main(["compare", *files, "--n", "100", "--format", "xlsx"]) == 2
    assert capsys.readouterr().err == ("pbcmodel: error: --format: give --out, the folder to "
                                       "write the comparison in\n")
