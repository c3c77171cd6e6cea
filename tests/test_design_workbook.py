"""Workbooks of designs and frontiers, ``to_excel`` and the Notes sheet every workbook carries
(issue 25, "workbooks that are right"), opened and checked with openpyxl."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.cli import main
from pbcmodel.cli.design_command import DESIGN_OUTPUTS, DESIGN_WORKBOOK
from pbcmodel.errors import ValidationError
from pbcmodel.reports.result_workbook import (
    DESIGN_SHEETS,
    FRONTIER_SHEETS,
    design_workbook,
    frontier_workbook,
    to_excel,
)
from pbcmodel.reports.tables import small_note
from pbcmodel.reports.workbook import (
    HEADER_ROW,
    MONEY_FORMAT,
    NAMES_ROW,
    PERCENT_FORMAT,
    SIGN_CONVENTION,
    write_workbook,
)

SHARE = "overspend.practice_share"
SPACE = {SHARE: (0.0, 1.0, 0.5)}
AIM = {"max_band_prob_loss_over_5pct": {"max": 0.5}}


@pytest.fixture(scope="module")
def scn() -> pbc.Scenario:
    return pbc.Scenario.example(high_cost_threshold=None)


@pytest.fixture(scope="module")
def design(scn):
    return pbc.design.optimise(scn, SPACE, constraints=AIM, n=100, method="normal",
                               max_evaluations=8, replicates=2)


@pytest.fixture(scope="module")
def front(scn):
    return pbc.design.frontier(scn, {SHARE: [0.0, 0.5, 1.0]}, n=100, method="normal")


@pytest.fixture(scope="module")
def book(design, front, tmp_path_factory):
    path = tmp_path_factory.mktemp("design") / "d.xlsx"
    design_workbook(design, path, frontier=front)
    return openpyxl.load_workbook(path)


def machine_names(ws) -> list[str]:
    return [c.value for c in ws[NAMES_ROW] if c.value is not None]


def body(ws) -> list[tuple]:
    rows = []
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        if all(c.value is None for c in row):
            break
        rows.append(row)
    return rows


def notes_of(book) -> dict[str, str]:
    return {r[0]: r[1] for r in book["Notes"].iter_rows(min_row=2, values_only=True)}


def test_design_workbook_sheets_and_titles(book, design):
    assert book.sheetnames == [*DESIGN_SHEETS, *FRONTIER_SHEETS, "Notes"]
    assert book["Aims"]["A1"].value == ("Design of example-designed: each aim on the search "
                                        "draws and on fresh draws")
    params = {r[0].value: r[1].value for r in body(book["Parameters"])}
    assert params == design.parameters


def test_aims_are_in_their_units_percentages_as_fractions(book, design):
    ws = book["Aims"]
    names = machine_names(ws)
    rows = {r[0].value: dict(zip(names, r, strict=False)) for r in body(ws)}
    pct = rows["max_band_prob_loss_over_5pct_of_budget_pct"]
    figure = design.figures.loc["max_band_prob_loss_over_5pct"]
    for column in ("bound", "search", "fresh", "fresh_slack"):
        cell = pct[column]
        assert cell.number_format == PERCENT_FORMAT, column
        assert cell.value == pytest.approx(figure[column], abs=5e-5), column  # a fraction
    assert 0 <= pct["search"].value <= 1
    money = rows["commissioner_tvar95_all_years_gbp"]
    assert money["fresh"].number_format == MONEY_FORMAT
    assert money["fresh"].value == pytest.approx(design.figures.iloc[0]["fresh"], abs=0.005)
    assert money["bound"].value is None                    # the objective has no bound
    assert pct["role"].value == "constraint" and "≤" in pct["aim"].value


def test_headers_are_labels_over_machine_names(book):
    for sheet in book.sheetnames[:-1]:
        ws = book[sheet]
        names = machine_names(ws)
        labels = [c.value for c in ws[HEADER_ROW]][:len(names)]
        assert all(isinstance(label, str) and label for label in labels), sheet
        assert "_" not in "".join(labels), (sheet, labels)     # no identifier as a heading
        assert ws[f"A{NAMES_ROW}"].font.italic and ws[f"A{HEADER_ROW}"].font.bold
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.oddFooter.center.text == "Page &P of &N" and ws.print_title_rows
    labels = dict(zip(machine_names(book["Candidates"]),
                      [c.value for c in book["Candidates"][HEADER_ROW]], strict=False))
    assert labels["max_band_prob_loss_over_5pct_of_budget_pct"] == (
        "Worst list-size band's chance of bearing over 5%")
    assert labels[SHARE] == "Policy: overspend › practice share"


def test_candidates_percent_cells_are_fractions(book, design):
    ws = book["Candidates"]
    names = machine_names(ws)
    at = names.index("max_band_prob_loss_over_5pct_of_budget_pct")
    cells = [row[at] for row in body(ws)]
    assert [c.number_format for c in cells] == [PERCENT_FORMAT] * len(design.candidates)
    assert np.allclose([c.value for c in cells],
                       design.candidates["max_band_prob_loss_over_5pct"], atol=5e-5)


def test_frontier_sheet_is_the_pareto_set_in_order(book, front):
    ws = book["Frontier"]
    assert [row[0].value for row in body(ws)] == front.pareto.index.tolist()
    assert len(body(book["Frontier candidates"])) == len(front.points)


def test_notes_sheet_has_the_small_practice_note_the_signs_and_every_column(book):
    notes = notes_of(book)
    assert notes["signs"] == SIGN_CONVENTION
    assert small_note() in notes.values()
    assert notes["note (Budgets)"] == small_note()
    assert "synthetic" in notes["source"] and "licence" in notes
    for sheet in book.sheetnames[:-1]:
        assert set(machine_names(book[sheet])) <= set(notes), sheet
    assert book["Budgets"]["C2"].value == "small"


def test_frontier_workbook_alone(front, tmp_path):
    path = tmp_path / "f.xlsx"
    frontier_workbook(front, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [*FRONTIER_SHEETS, "Notes"]
    assert book["Frontier"]["A1"].value.startswith("Frontier of example: ")
    assert notes_of(book)["signs"] == SIGN_CONVENTION


# ------------------------------------------------------------------ write_workbook's Notes
def test_every_workbook_gets_table_notes_signs_and_column_definitions(tmp_path):
    t = pd.DataFrame({"budget_gbp": [1.5, 2.25]}, index=pd.Index(["A", "B"], name="practice"))
    t.attrs["notes"] = ["small: fewer than 1,000 registered patients (SMALL_PRACTICE)."]
    write_workbook(tmp_path / "b.xlsx", {"Budgets": t})
    notes = notes_of(openpyxl.load_workbook(tmp_path / "b.xlsx"))
    assert notes["note (Budgets)"] == t.attrs["notes"][0]
    assert notes["signs"] == SIGN_CONVENTION
    assert {"practice", "budget_gbp"} <= set(notes)
    # the caller's own words come first and win
    write_workbook(tmp_path / "c.xlsx", {"Budgets": t}, notes=[("signs", "mine")])
    assert notes_of(openpyxl.load_workbook(tmp_path / "c.xlsx"))["signs"] == "mine"


def test_real_england_workbooks_carry_the_licence(tmp_path):
    wp = pbc.datasets.england().subset(icb="QWO")
    scn = pbc.scenario.england.weighted_scenario(wp.subset(practices=wp.codes[:4]))
    result = scn.simulate(n=20, seed=1)
    path = to_excel(result, tmp_path / "england.xlsx")
    notes = notes_of(openpyxl.load_workbook(path))
    assert pbc.datasets.ATTRIBUTION in notes["licence"]


# ------------------------------------------------------------------------------ to_excel
@pytest.mark.parametrize("kind", ["result", "design", "frontier"])
def test_to_excel_writes_one_file_and_nothing_else(kind, scn, design, front, tmp_path):
    subject = {"result": lambda: scn.simulate(n=30, seed=2, method="normal"),
               "design": lambda: design, "frontier": lambda: front}[kind]()
    path = to_excel(subject, tmp_path / f"{kind}.xlsx")
    assert path == tmp_path / f"{kind}.xlsx"
    assert [p.name for p in tmp_path.iterdir()] == [f"{kind}.xlsx"]
    assert openpyxl.load_workbook(path).sheetnames[-1] == "Notes"
    with pytest.raises(ValidationError, match="already exists; pass force=True"):
        to_excel(subject, path)
    assert to_excel(subject, path, force=True) == path
    assert [p.name for p in tmp_path.iterdir()] == [f"{kind}.xlsx"]


def test_to_excel_refuses_a_bad_path_naming_it_and_writes_nothing(design, tmp_path):
    missing = tmp_path / "no such folder" / "d.xlsx"
    with pytest.raises(ValidationError, match="no such folder' does not exist"):
        to_excel(design, missing)
    (tmp_path / "a file").write_text("mine")
    with pytest.raises(ValidationError, match="a file' is a file, not a folder"):
        to_excel(design, tmp_path / "a file" / "d.xlsx")
    (tmp_path / "folder.xlsx").mkdir()
    with pytest.raises(ValidationError, match="folder.xlsx' is a folder"):
        to_excel(design, tmp_path / "folder.xlsx")
    with pytest.raises(ValidationError, match="must end in .xlsx"):
        to_excel(design, tmp_path / "d.csv")
    with pytest.raises(ValidationError, match="expected the path of an .xlsx file"):
        to_excel(design, "")
    with pytest.raises(ValidationError, match="expected a SimulationResult, a Design or a "
                                              "Frontier, got DataFrame"):
        to_excel(design.figures, tmp_path / "d.xlsx")   # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file", "folder.xlsx"]
    assert list((tmp_path / "folder.xlsx").iterdir()) == []


# ------------------------------------------------------------------------ the command line
def _files(tmp_path: Path, scn) -> tuple[Path, Path]:
    scenario, spec = tmp_path / "scenario.toml", tmp_path / "space.toml"
    scenario.write_text(scn.to_toml())
    spec.write_text(f'[space."{SHARE}"]\nbounds = [0.0, 1.0]\nstep = 0.5\n\n'
                    "[frontier]\npoints = 3\n")
    return scenario, spec


def design_args(scenario: Path, spec: Path, out: Path, *extra: str) -> list[str]:
    return ["design", str(scenario), "--space", str(spec), "--out", str(out), "--n", "100",
            "--max-evaluations", "8", "--replicates", "2", *extra]


def test_cli_design_format_xlsx_and_both(tmp_path, scn, capsys):
    scenario, spec = _files(tmp_path, scn)
    out = tmp_path / "xlsx"
    assert main(design_args(scenario, spec, out, "--format", "xlsx")) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["scenario.toml", DESIGN_WORKBOOK, "frontier.png", "report.txt"])
    book = openpyxl.load_workbook(out / DESIGN_WORKBOOK)
    assert book.sheetnames == [*DESIGN_SHEETS, *FRONTIER_SHEETS, "Notes"]
    assert f"{DESIGN_WORKBOOK} in" in capsys.readouterr().out
    both = tmp_path / "both"
    assert main(design_args(scenario, spec, both, "--format", "both")) == 0
    assert sorted(p.name for p in both.iterdir()) == sorted([*DESIGN_OUTPUTS, DESIGN_WORKBOOK])
    # a later csv design replaces the workbook with the rest, as a set
    assert main(design_args(scenario, spec, both, "--force")) == 0
    assert sorted(p.name for p in both.iterdir()) == sorted(DESIGN_OUTPUTS)


def test_cli_design_bad_format_writes_nothing(tmp_path, scn, capsys):
    scenario, spec = _files(tmp_path, scn)
    out = tmp_path / "out"
    assert main(design_args(scenario, spec, out, "--format", "xls")) == 2
    assert capsys.readouterr().err == ("pbcmodel: error: --format: must be one of ['both', "
                                       "'csv', 'xlsx'], got 'xls'\n")
    assert not out.exists()
