"""Statements as web pages and workbooks, tidy tables, and penny allocation.

The pages are checked with an HTML parser against the library: every amount of money on a
page (each is a ``data-pence`` attribute beside its text) equals the settlement's or the
monitoring's value to the penny, the budget steps add up to the budget, and names are
escaped. Workbooks are opened with openpyxl.
"""

from __future__ import annotations

import html.parser
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.cli import main
from pbcmodel.errors import ValidationError
from pbcmodel.money import allocate_pennies, gbp, to_pence
from pbcmodel.phasing import flat_profile, phase
from pbcmodel.reports import (
    budget_table,
    by_list_size_table,
    explain_table,
    monthly_pages,
    run_outputs,
    settlement_pages,
    settlement_table,
    summary_table,
    write_statements,
)
from pbcmodel.reports.workbook import MONEY_FORMAT, PERCENT_FORMAT, settlement_workbook

EVIL = "<script>alert('x')</script> & Sons"


@pytest.fixture(scope="module")
def scn():
    return pbc.Scenario.example()


@pytest.fixture(scope="module")
def outturn(scn):
    budgets = scn.budgets()["total"]
    factor = np.random.default_rng(5).normal(1.0, 0.05, len(budgets))
    return budgets * factor


@pytest.fixture(scope="module")
def settled(scn, outturn):
    return scn.settle(outturn)


@pytest.fixture(scope="module")
def actual(scn):
    phased = phase(scn.budgets(), flat_profile())
    rng = np.random.default_rng(9)
    rows = [(p, pod, m, r[m] * rng.normal(1.02, 0.1)) for (p, pod), r in phased.iterrows()
            for m in range(1, 5)]
    return pd.DataFrame(rows, columns=["practice", "pod", "month", "cost"])


class Page(html.parser.HTMLParser):
    """Collects money cells (data-metric, data-pence, text), script tags and all text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.money: list[dict[str, str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self._open: dict[str, str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if "data-pence" in attrs:
            self._open = {"metric": attrs.get("data-metric", ""), "pence": attrs["data-pence"],
                          "text": ""}

    def handle_data(self, data):
        self.text.append(data)
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag):
        if self._open is not None and tag in ("td", "span", "th"):
            self.money.append(self._open)
            self._open = None

    def metric(self, name: str) -> list[int]:
        return [int(m["pence"]) for m in self.money if m["metric"] == name]


# ----------------------------------------------------------------------- pennies
def test_allocate_pennies_by_hand():
    # three thirds of £1: 33.33p each, 99p rounded alone; the whole is £1.00, and the one
    # penny left over goes to the first of the equal remainders
    assert allocate_pennies([1 / 3, 1 / 3, 1 / 3]).tolist() == [34, 33, 33]
    # float noise: 1262751.8699999999 is 126275187 pence, not 126275186
    assert allocate_pennies([1262751.8699999999]).tolist() == [126275187]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e7, 1e7, allow_nan=False), min_size=1, max_size=30))
def test_allocate_pennies_adds_up_and_moves_each_part_less_than_a_penny(parts):
    pence = allocate_pennies(parts)
    exact = np.asarray(parts) * 100
    total = int(to_pence([sum(parts)])[0]) if abs(sum(parts)) < 1e9 else None
    assert np.all(np.abs(pence - exact) < 1 + 1e-6)
    if total is not None:
        assert abs(int(pence.sum()) - total) <= 1      # half-up vs half-even of the whole
    # parts that are already whole pence and add up stay exactly as they are
    whole = np.round(exact).astype(np.int64)
    assert allocate_pennies(whole / 100, total=int(whole.sum())).tolist() == whole.tolist()


def test_allocate_pennies_refuses_a_total_it_cannot_reach():
    with pytest.raises(ValidationError, match="budgets: total of 500 pence"):
        allocate_pennies([1.0, 2.0], total=500, name="budgets")


# ----------------------------------------------------------------------- tables
def test_budget_table_adds_up_to_the_rounded_resource(scn):
    table = budget_table(scn.budgets())
    pence = np.rint(table.to_numpy() * 100).astype(np.int64)
    rows, total_row = pence[:-1], pence[-1]
    assert (rows[:, :-1].sum(axis=1) == rows[:, -1]).all()         # PODs add up to each total
    assert (rows.sum(axis=0) == total_row).all()                    # columns add up
    # £510m less 1% contingency and 2% high-cost pool = £494,700,000.00 exactly
    assert total_row[-1] == 49_470_000_000
    assert table.index.name == "practice" and table.index[-1] == "total"


def test_tidy_csv_has_no_float_noise_and_names_its_units(scn, tmp_path):
    path = tmp_path / "budgets.csv"
    budget_table(scn.budgets()).to_csv(path)
    text = path.read_text()
    assert text.splitlines()[0].startswith("practice,elective_gbp,")
    numbers = re.findall(r"-?\d+\.\d+", text)
    assert numbers and all(len(n.split(".")[1]) <= 2 for n in numbers)


def test_written_pounds_carry_their_pence(scn, tmp_path):
    """Through write_outputs (what run and demo use) every pound has two decimals, the total
    included (£494,700,000 reads 494700000.00, not 494700000.0, in totals.csv: the tidy
    file has no total row), and reads back exactly."""
    from pbcmodel.reports.outputs import write_outputs

    table = budget_table(scn.budgets())
    write_outputs({"budgets": table}, tmp_path)
    rows = (tmp_path / "budgets.csv").read_text().splitlines()
    totals = (tmp_path / "totals.csv").read_text().splitlines()
    assert totals[-1].split(",")[-1] == "494700000.00"
    cells = [cell for row in [*rows[1:], *totals[1:]] for cell in row.split(",")[1:]]
    assert cells and all(re.fullmatch(r"-?\d+\.\d\d", cell) for cell in cells)
    back = pd.read_csv(tmp_path / "budgets.csv", index_col="practice")
    pd.testing.assert_frame_equal(back, table.drop("total"), check_names=False)
    total = pd.read_csv(tmp_path / "totals.csv", index_col="table").loc["budgets"]
    pd.testing.assert_series_equal(total, table.loc["total"], check_names=False)


def test_explain_table_adds_up_to_the_settled_budget(scn, settled):
    for i, code in enumerate(scn.population.codes[:10]):  # the first ten practices
        budget = int(settled.budget_pence[i])
        table = explain_table(scn.explain(code), budget)
        adds = np.rint(table.loc[table["kind"] == "adjustment", "amount_gbp"] * 100).sum()
        assert int(adds) == budget
        assert round(table.loc["final budget", "amount_gbp"] * 100) == budget


def test_settlement_table_totals_are_exact(settled):
    table = settlement_table(settled)
    pence = settled.to_frame(pence=True)
    assert table.loc["total", "net_to_practice_gbp"] * 100 == pytest.approx(
        pence["net_to_practice"].sum(), abs=0)
    assert table.loc["P001", "variance_gbp"] == pence.loc["P001", "variance"] / 100


def test_simulation_tables_for_readers(scn):
    res = scn.simulate(n=40, seed=3)
    summary = summary_table(res.summary())
    assert summary.loc["simulations", "value"] == 40
    assert isinstance(summary.loc["simulations", "value"], int)
    assert summary.index.name == "metric" and summary["unit"].notna().all()
    bands = by_list_size_table(res.by_list_size())
    assert list(bands.index) == ["0–2,999", "3,000–5,999", "6,000–9,999", "10,000–19,999",
                                 "20,000 or more"]
    assert bands["practices"].dtype == np.int64
    # probabilities are percentages: 0 to 100
    assert bands["mean_prob_loss_over_2pct_of_budget_pct"].between(0, 100).all()


def test_run_outputs_gives_tables_figures_and_their_glossary(scn):
    import matplotlib
    matplotlib.use("Agg")
    out = run_outputs(scn.simulate(n=30, seed=1), scn)
    assert {"list_size", "net", "commissioner"} <= set(out)
    assert hasattr(out["net"], "savefig")
    assert "budget_gbp" not in out["glossary"].index          # indexed by metric name
    assert {"commissioner_var95_all_years", "list_size"} <= set(out["glossary"].index)


# ----------------------------------------------------------------------- pages
def test_settlement_page_shows_the_librarys_money_to_the_penny(scn, settled):
    pages = settlement_pages(scn, settled, names={"P001": EVIL}, practices=["P001", "P002"],
                             figures=False)
    pence = settled.to_frame(pence=True)
    for code in ("P001", "P002"):
        page = Page(pages[f"practice_{code}.html"])
        assert page.money, "no money on the page"
        for cell in page.money:       # every amount's text is its pence, shown as pounds
            assert cell["text"].strip() == gbp(int(cell["pence"]))
        checked = 0
        for metric in pence.columns.drop("consortium"):
            for value in page.metric(metric):
                assert value == int(pence.loc[code, metric]), (code, metric)
                checked += 1
        assert checked >= 10
        budget = int(pence.loc[code, "budget"])
        assert sum(page.metric("explain:adjustment")) == budget
        assert page.metric("explain:result") == [budget]


def test_names_and_codes_are_escaped(scn, settled):
    pages = settlement_pages(scn, settled, names={"P001": EVIL}, practices=["P001"],
                             figures=True)
    for name in ("practice_P001.html", "consortium_C1.html"):
        text = pages[name]
        assert "<script>alert" not in text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sons" in text
        page = Page(text)
        assert "script" not in page.tags
        assert EVIL in "".join(page.text)           # shown as text, exactly as given


def test_index_pages_add_up(scn, settled):
    pages = settlement_pages(scn, settled, practices=[], figures=False)
    summary = settled.summary()
    pence = settled.to_frame(pence=True)
    page = Page(pages["consortium_C2.html"])
    members = pence[pence["consortium"] == "C2"]
    values = page.metric("net_to_practice")         # the brief, each practice, the total
    assert values[0] == values[-1] == int(members["net_to_practice"].sum())
    assert sorted(values[1:-1]) == sorted(members["net_to_practice"].tolist())
    index = Page(pages["index.html"])
    assert index.metric("commissioner_net")[-1] == round(summary.loc["total",
                                                                     "commissioner_net"] * 100)
    assert 'href="consortium_C2.html"' in pages["index.html"]


def test_monthly_page_shows_the_statement_to_the_penny(scn, actual):
    pages = monthly_pages(scn, actual, 4, practices=["P003"], figures=True)
    page = Page(pages["practice_P003.html"])
    stmt = pbc.monthly_statement.statement("P003", 4, phased=phase(scn.budgets(),
                                                                   flat_profile()),
                                           actual=actual)
    for metric in ("lower", "upper"):
        expected = int(to_pence([stmt.summary[metric]])[0])
        assert set(page.metric(metric)) == {expected}, metric
    for metric in ("budget_ytd", "actual_ytd"):     # pennies allocated over the practices
        expected = int(to_pence([stmt.summary[metric]])[0])
        assert all(abs(shown - expected) <= 1 for shown in page.metric(metric)), metric
    assert "<svg" in pages["practice_P003.html"] and 'role="img"' in pages["practice_P003.html"]
    # the projected settlement is the scenario settled at every practice's forecast
    forecast = pbc.monitoring.forecast_outturn(phase(scn.budgets(), flat_profile()), actual, 4)
    projected = scn.settle(forecast["forecast"]).to_frame(pence=True).loc["P003"]
    # the page adds up: the budget for the year and the forecast are those settled (the
    # budget as every budget table shows it), and each variance is the difference shown
    assert set(page.metric("annual_budget")) == {int(projected["budget"])}
    assert set(page.metric("forecast")) == {int(projected["outturn"])}
    assert page.metric("forecast_variance") == [int(projected["variance"])]
    assert set(page.metric("variance")) == {page.metric("budget_ytd")[0]
                                            - page.metric("actual_ytd")[0]}
    assert abs(page.metric("forecast")[0] - to_pence([stmt.summary["forecast"]])[0]) <= 1
    # the commissioner's page: the budgets for the year add up to the resource, to the penny
    index = Page(monthly_pages(scn, actual, 4, practices=["P003"], figures=False)["index.html"])
    assert index.metric("annual_budget")[0] == 49_470_000_000
    for metric in ("variance", "practice_amount", "commissioner_amount", "net_to_practice",
                   "recovery_due"):
        assert page.metric(f"projected:{metric}") == [int(projected[metric])], metric
    pods = stmt.by_pod
    assert sorted(page.metric("pod:actual_ytd")) == sorted(to_pence(pods["actual_ytd"]).tolist())
    assert "If the year ends at the forecast" in pages["practice_P003.html"]


# ----------------------------------------------------------------------- workbook
def test_workbook_formats_totals_and_notes(scn, settled, tmp_path):
    path = tmp_path / "s.xlsx"
    settlement_workbook(path, scn, settled)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Practices", "Consortia", "Budgets", "Budget steps",
                               "Carry forward", "Rules", "Notes"]
    ws = book["Practices"]
    header = [c.value for c in ws[2]]           # machine names in the notes row (row 2)
    assert header[:3] == ["practice", "consortium", "budget_gbp"]
    assert [c.value for c in ws[3]][:3] == ["Practice", "Consortium", "Budget"]  # labels
    assert ws.freeze_panes == "B4" and ws["A3"].font.bold
    col = header.index("net_to_practice_gbp") + 1
    cells = [ws.cell(row=r, column=col) for r in range(4, ws.max_row + 1)
             if ws.cell(row=r, column=1).value is not None]
    assert all(c.number_format == MONEY_FORMAT for c in cells)
    assert ws.cell(row=ws.max_row, column=1).value == "total"
    body = round(sum(c.value for c in cells[:-1]) * 100)
    letter = cells[-1].column_letter                 # the total is a formula over the rows
    assert cells[-1].value == f"=SUM({letter}4:{letter}{cells[-2].row})"
    assert body == int(settled.to_frame(pence=True)["net_to_practice"].sum())
    assert ws.column_dimensions["C"].width >= len("£1,298,918.71")
    budgets = book["Budgets"]
    rows = [r for r in budgets.iter_rows(min_row=4, values_only=True) if r[0] is not None]
    for row in rows[:-1]:                              # PODs add up to the total, in pence
        assert round(sum(row[1:-1]) * 100) == round(row[-1] * 100)
    assert rows[-1][0] == "total" and rows[-1][-1] == f"=SUM(I4:I{len(rows) + 2})"
    notes = {r[0]: r[1] for r in book["Notes"].iter_rows(min_row=2, values_only=True)}
    assert "synthetic" in notes["source"] and "licence" in notes
    for sheet in book.sheetnames[:-1]:                 # every column is defined
        for cell in book[sheet][2]:
            assert cell.value in notes, (sheet, cell.value)
    consortia = book["Consortia"]
    pct = [c for c in consortia[2] if str(c.value).endswith("_pct")]
    assert not pct or consortia.cell(row=4, column=pct[0].column).number_format == PERCENT_FORMAT


# ----------------------------------------------------------------------- writing
def test_write_statements_writes_every_page_and_the_workbook(scn, outturn, tmp_path):
    out = tmp_path / "year"
    paths = write_statements(scn, out, outturn=outturn, formats=["html", "xlsx"])
    names = {p.name for p in paths}
    assert {"index.html", "consortium_C1.html", "practice_P060.html", "statements.xlsx"} <= names
    assert len(names) == 60 + 4 + 1 + 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pbcmodel")]


@pytest.mark.parametrize(("change", "match"), [
    ({"outturn": "unknown"}, r"outturn: practice\(s\) 'Z999' are not in scenario"),
    ({"outturn": "missing"}, r"outturn: no spend for practice\(s\) 'P060'"),
    ({"month": 13}, r"month: must be a whole number from 1 \(April\) to 12 \(March\), got 13"),
    ({"month": 0}, "got 0"),
    ({"formats": ["pdf"]}, "formats: must be among"),
])
def test_bad_input_writes_nothing(scn, outturn, actual, tmp_path, change, match):
    out = tmp_path / "st"
    kwargs = {"outturn": outturn}
    if change.get("outturn") == "unknown":
        kwargs["outturn"] = pd.concat([outturn, pd.Series({"Z999": 1.0})])
    elif change.get("outturn") == "missing":
        kwargs["outturn"] = outturn.drop("P060")
    elif "month" in change:
        kwargs = {"actual": actual, "month": change["month"]}
    elif "formats" in change:
        kwargs["formats"] = change["formats"]
    with pytest.raises(ValidationError, match=match):
        write_statements(scn, out, **kwargs)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_monthly_actuals_for_an_unknown_practice(scn, actual, tmp_path):
    extra = pd.concat([actual, pd.DataFrame({"practice": ["Q1"], "pod": ["elective"],
                                             "month": [1], "cost": [5.0]})])
    with pytest.raises(ValidationError, match=r"actual: practice\(s\) 'Q1' are not in"):
        write_statements(scn, tmp_path / "m", actual=extra, month=4)
    assert not (tmp_path / "m").exists()


def test_unsafe_practice_code_is_refused(tmp_path):
    pop = pbc.Population.from_frame(pd.DataFrame({
        "practice": ["../evil", "P2"], "consortium": ["C1", "C1"], "age_band": ["30_34"] * 2,
        "sex": ["F", "M"], "patients": [100, 120]}))
    scn = pbc.Scenario(population=pop, formula=pbc.CapitationFormula(
        weights=pbc.datasets.example_cost_weights()), resource=1e5,
        savings=pbc.sharing.pbc_freed_up(0.7))
    outturn = scn.budgets()["total"]
    with pytest.raises(ValidationError, match=r"practice code '\.\./evil' cannot name a file"):
        write_statements(scn, tmp_path / "st", outturn=outturn)
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_needs_force_and_force_replaces_the_set(scn, outturn, tmp_path):
    out = tmp_path / "st"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    (out / "practice_OLD.html").write_text("stale")
    with pytest.raises(ValidationError, match="already exists.*force=True"):
        write_statements(scn, out, outturn=outturn, formats=["xlsx"])
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt", "practice_OLD.html"]
    write_statements(scn, out, outturn=outturn, formats=["xlsx"], force=True)
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt", "statements.xlsx"]


# ----------------------------------------------------------------------- the command
SCENARIO = "examples/pbc_70_30.toml"


def _write_outturn(scn, outturn, path, names=True):
    frame = pd.DataFrame({"practice": outturn.index, "outturn": outturn.round(2).to_numpy()})
    if names:
        frame.insert(1, "name", [EVIL if c == "P001" else f"Surgery {c}" for c in frame.practice])
    frame.to_csv(path, index=False)


def test_cli_statements_for_a_year_and_a_month(tmp_path, capsys, actual):
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    scn = pbc.scenario.load_scenario(root / SCENARIO)
    outturn = scn.budgets()["total"] * 1.01
    _write_outturn(scn, outturn, tmp_path / "o.csv")
    out = tmp_path / "year"
    assert main(["statements", str(root / SCENARIO), "--outturn", str(tmp_path / "o.csv"),
                 "--out", str(out), "--format", "html"]) == 0
    assert (out / "index.html").exists() and not (out / "statements.xlsx").exists()
    assert "&lt;script&gt;" in (out / "practice_P001.html").read_text()
    assert "Statements of the settled year" in capsys.readouterr().out
    # again without --force: one line, exit 2, nothing changed
    before = sorted(p.name for p in out.iterdir())
    assert main(["statements", str(root / SCENARIO), "--outturn", str(tmp_path / "o.csv"),
                 "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before
    actual.to_csv(tmp_path / "m.csv", index=False)
    assert main(["statements", str(root / SCENARIO), "--outturn", str(tmp_path / "m.csv"),
                 "--month", "4", "--out", str(tmp_path / "month"), "--format", "xlsx"]) == 0
    assert openpyxl.load_workbook(tmp_path / "month" / "statements.xlsx").sheetnames[:2] == [
        "Year to date", "By POD"]


@pytest.mark.parametrize(("argv", "match"), [
    (["--month", "13"], "--month: must be a whole number in 1–12 \\(1 = April\\), got 13"),
    (["--format", "pdf"], "--format: must be among \\['html', 'xlsx'\\] \\(comma-separated\\)"),
])
def test_cli_refuses_bad_options(tmp_path, capsys, argv, match):
    assert main(["statements", SCENARIO, "--outturn", "o.csv", "--out", str(tmp_path / "x"),
                 *argv]) == 2
    err = capsys.readouterr().err
    assert re.search(match, err) and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_cli_outturn_file_problems_are_named(tmp_path, capsys):
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "o.csv").write_text("practice,outturn\nP001,12x\n")
    assert main(["statements", str(root / SCENARIO), "--outturn", str(tmp_path / "o.csv"),
                 "--out", str(tmp_path / "st")]) == 2
    err = capsys.readouterr().err
    assert "row 2, column 'outturn': expected pounds, got '12x'" in err
    assert not (tmp_path / "st").exists()
