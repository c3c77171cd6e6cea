"""Excel workbooks as NHS finance reads them (openpyxl, optional extra ``pbcmodel[reports]``).

One sheet per table, laid out the same way on every sheet:

* row 1 the sheet's title; row 2, in small grey type, each column's machine name (the name
  a program reads, as in the CSV files); row 3 the glossary's label of each column
  (:func:`~pbcmodel.reports.column_labels.column_label`), bold, with the filters; panes
  frozen below the labels and after the first column;
* the rows of the table, numbers written as numbers to the penny, never as text: £ formats
  on money (``_gbp``), percentages as true fractions (12.5% is stored as 0.125) with a
  ``0.00%`` format, so a formula using them is right, thousands separators on counts;
* names beside codes where the data has them (``practice_name`` after ``practice``);
* a total row, in bold, below the filtered range (after one empty row, so sorting or
  filtering the practices never moves it), its money and counts as ``SUM`` formulas over the
  rows above wherever they add up, to the penny, to the total the library worked out in
  exact pence (any other total, a ratio or a percentage, is written as its value);
* print set-up: A4 landscape, one page wide, the three heading rows repeated on every page,
  the title in the page header and "Page n of N" in the footer.

A ``Notes`` sheet holds what the caller says (where the data came from and under which
licence), each table's own notes (``attrs["notes"]``, such as the threshold below which a
practice is small), the sign convention (:data:`SIGN_CONVENTION`) and the definition of
every column shown (from :mod:`pbcmodel.glossary`).

Examples
--------
>>> import tempfile, pathlib
>>> import pandas as pd
>>> path = pathlib.Path(tempfile.mkdtemp()) / "b.xlsx"
>>> t = pd.DataFrame({"budget_gbp": [1.5, 2.25, 3.75]},
...                  index=pd.Index(["A", "B", "total"], name="practice"))
>>> write_workbook(path, {"Budgets": t}, notes=[("budget_gbp", "Budget, £")])
>>> import openpyxl
>>> ws = openpyxl.load_workbook(path)["Budgets"]
>>> ws["B2"].value, ws["B3"].value, ws["B4"].number_format
('budget_gbp', 'Budget', '£#,##0.00;[Red]-£#,##0.00')
>>> ws.auto_filter.ref, ws["A7"].value, ws["B7"].value
('A3:B5', 'total', '=SUM(B4:B5)')
>>> [row[0] for row in openpyxl.load_workbook(path)["Notes"].iter_rows(values_only=True)]
['term', 'budget_gbp', 'signs', 'practice']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from ..errors import ValidationError, require
from ..scenario import Scenario
from ..settlement import Settlement
from ..weighted import WeightedPopulations
from .column_labels import NAME_NOTES, code_names, column_label, column_term, with_names

__all__ = ["COUNT_FORMAT", "MONEY_FORMAT", "PERCENT_FORMAT", "SIGN_CONVENTION", "column_notes",
           "number_format", "write_workbook"]

#: Pounds and pence with thousands separators; negatives in red with a minus sign.
MONEY_FORMAT = "£#,##0.00;[Red]-£#,##0.00"
#: A percentage held as a true fraction (0.125 shows as 12.50%).
PERCENT_FORMAT = "0.00%"
#: A count with thousands separators.
COUNT_FORMAT = "#,##0"
#: The rows above a table: its title, the machine names, the labels (with the filters).
TITLE_ROW, NAMES_ROW, HEADER_ROW = 1, 2, 3
_MAX_WIDTH = 60
_LABEL_WIDTH = 24
_INVALID_SHEET = set("[]:*?/\\")
#: Units of a long table's rows (``unit`` column) → their number format.
_UNIT_FORMATS = {"£": MONEY_FORMAT, "£ per registered patient": MONEY_FORMAT,
                 "%": PERCENT_FORMAT, "count": COUNT_FORMAT, "patients": COUNT_FORMAT,
                 "years": COUNT_FORMAT}
#: Text columns of a long table (index ``metric``), never given a number format.
_DESCRIBED = ("label", "unit", "sign", "period", "role", "aim")
#: The one sign convention (ARCHITECTURE.md), on every workbook's Notes sheet.
SIGN_CONVENTION = (
    "Variance is budget less spend: positive is an underspend, negative an overspend. A "
    "practice's amount (its share of the variance, its net cash) is positive when kept by "
    "or paid to the practice, negative when borne by it. The commissioner's position is "
    "positive when it keeps money, negative when it pays, so the practice's and the "
    "commissioner's shares add up to the variance. Value at risk and tail value at risk are "
    "amounts of money at risk, not positions: positive pounds the commissioner pays in the "
    "bad runs.")


def number_format(column: str, values: pd.Series | None = None) -> str | None:
    """The Excel number format of a tidy column, from its unit suffix.

    Examples
    --------
    >>> number_format("net_to_practice_gbp"), number_format("prob_overspend_pct")
    ('£#,##0.00;[Red]-£#,##0.00', '0.00%')
    >>> number_format("list_size", pd.Series([1500])), number_format("step") is None
    ('#,##0', True)
    """
    if column.endswith(("_gbp", "_gbp_per_head")):
        return MONEY_FORMAT
    if column.endswith("_pct"):
        return PERCENT_FORMAT
    if values is not None and pd.api.types.is_integer_dtype(values.dtype):
        return COUNT_FORMAT
    return None


def _cell(value: Any) -> Any:
    """A value openpyxl writes: numbers as numbers, missing as an empty cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _fraction(value: Any) -> Any:
    """A percentage as the tidy tables hold it (12.5) → the fraction Excel holds (0.125),
    the nearest double to the decimal (-0.75 → -0.0075, not -0.007500000000000001)."""
    value = _cell(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(f"{value / 100:.15g}")
    return value


def _check_sheet_name(name: str) -> None:
    if not name or len(name) > 31 or _INVALID_SHEET.intersection(name):
        raise ValidationError(f"sheet name {name!r}: Excel needs 1–31 characters and none of "
                              "[ ] : * ? / \\")


def write_workbook(path: str | PathLike[str], sheets: Mapping[str, pd.DataFrame], *,
                   notes: Sequence[tuple[str, str]] = (),
                   total_label: str = "total", titles: Mapping[str, str] | None = None,
                   names: Mapping[str, pd.Series] | None = None,
                   table: str | Mapping[str, str] | None = None,
                   labels: Mapping[str, str] | None = None) -> None:
    """Write tables as one formatted workbook, each on its own sheet, then a Notes sheet.

    Parameters
    ----------
    path : path
        The ``.xlsx`` file to write (the caller stages it; see
        :func:`pbcmodel.io.output_folder.atomic_folder`).
    sheets : mapping of sheet name to DataFrame
        Tidy tables; the index is written as the first column, under its name. A table
        whose index is ``metric`` with a ``unit`` column (a summary or a comparison) has
        each row formatted in its own unit.
    notes : sequence of (term, text)
        The first rows of the Notes sheet: what the workbook is, the source and the
        licence, definitions. After them come each table's ``attrs["notes"]`` (term
        ``note (<sheet>)``), the sign convention (term ``signs``, unless ``notes`` has
        one) and the meaning of every column not defined in ``notes``
        (:func:`column_notes`, and the name columns added from ``names``).
    total_label : str
        An index label whose row is a total: written last, below the filtered range, in
        bold, as ``SUM`` formulas where the column adds up to it.
    titles : mapping of sheet name to str, optional
        Each sheet's title (row 1 and the printed page header); default the sheet name.
    names : mapping, optional
        Code level (``practice``, ``consortium``, ``commissioner``) → Series code → name
        (:func:`~pbcmodel.reports.column_labels.code_names`): a name column is put beside
        each code column with a name.
    table : str or mapping of sheet name to str, optional
        The glossary table the columns' labels are meant in (``"settlement"``,
        ``"monitoring"``), for every sheet or sheet by sheet.
    labels : mapping, optional
        Column → heading, for columns the glossary does not label (default
        :func:`~pbcmodel.reports.column_labels.column_label`).
    """
    openpyxl = require("openpyxl", "reports", "Excel workbooks")
    for name in [*sheets, "Notes"]:
        _check_sheet_name(name)
    if "Notes" in sheets:
        raise ValidationError("sheets: 'Notes' is kept for the notes sheet")
    book = openpyxl.Workbook()
    book.remove(book.active)
    rows = [*notes, ("signs", SIGN_CONVENTION)]
    for name, frame in sheets.items():
        shown = with_names(frame.reset_index(), names or {})
        title = (titles or {}).get(name, name)
        meant = table.get(name) if isinstance(table, Mapping) else table
        heading = _labeller(meant, labels or {})
        _table_sheet(book.create_sheet(name), shown, total_label, title, heading)
        rows += [(f"note ({name})", str(text)) for text in frame.attrs.get("notes", [])]
        rows += [(c, NAME_NOTES[c]) for c in shown.columns if c in NAME_NOTES]
        rows += column_notes({name: frame}, meant)
    _notes_sheet(book.create_sheet("Notes"), _once(rows))
    book.calculation.fullCalcOnLoad = True     # the totals' formulas computed when opened
    book.save(path)


def _labeller(table: str | None, labels: Mapping[str, str]) -> Callable[[str], str]:
    """A column's heading: as given in ``labels``, else the glossary's (as meant in ``table``)."""
    return lambda column: labels.get(column) or column_label(column, table)


def _once(rows: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The Notes rows, the first of each term only (a note's text once)."""
    seen: set[tuple[str, str] | str] = set()
    out = []
    for key, text in rows:
        mark = (key, text) if key.startswith("note (") else key
        if mark not in seen:
            seen.add(mark)
            out.append((key, text))
    return out


def _headings(ws: Any, title: str, columns: list[str], label: Callable[[str], str]) -> None:
    """The three rows above a table: title, machine names (small, grey), labels (bold)."""
    from openpyxl.styles import Alignment, Font, PatternFill

    ws.append([title])
    ws.cell(row=TITLE_ROW, column=1).font = Font(bold=True, size=12)
    ws.append(columns)
    ws.append([label(c) for c in columns])
    small = Font(italic=True, size=8, color="595959")
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F2")
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in ws[NAMES_ROW]:
        cell.font = small
    for cell in ws[HEADER_ROW]:
        cell.font, cell.fill, cell.alignment = bold, fill, wrap


def _formats(table: pd.DataFrame) -> list[list[str | None]]:
    """The number format of every cell of ``table`` (row by row): by column suffix, or by
    the row's unit in a long table (index ``metric`` with a ``unit`` column)."""
    columns = [str(c) for c in table.columns]
    if columns[0] == "metric" and "unit" in columns:
        by_row = [_UNIT_FORMATS.get(str(u)) for u in table["unit"]]
        return [[fmt if c not in (*_DESCRIBED, "metric") else None for c in columns]
                for fmt in by_row]
    by_column = [number_format(c, table[c]) for c in columns]
    return [list(by_column) for _ in range(len(table))]


def _table_sheet(ws: Any, table: pd.DataFrame, total_label: str, title: str,
                 label: Callable[[str], str]) -> None:
    """One table on its sheet (see the module's layout): headings, rows, total, print set-up."""
    from openpyxl.utils import get_column_letter

    columns = [str(c) for c in table.columns]
    _headings(ws, title, columns, label)
    is_total = (table.iloc[:, 0].astype(str) == total_label).to_numpy()
    body, totals = table[~is_total], table[is_total]
    formats = _formats(table)
    body_formats = [f for f, t in zip(formats, is_total, strict=True) if not t]
    total_formats = [f for f, t in zip(formats, is_total, strict=True) if t]
    first = HEADER_ROW + 1
    for row, fmts in zip(body.itertuples(index=False), body_formats, strict=True):
        _append(ws, row, fmts)
    last = HEADER_ROW + len(body)
    for row, fmts in zip(totals.itertuples(index=False), total_formats, strict=True):
        _total_row(ws, row, fmts, body, first, last)
    for j, column in enumerate(columns, start=1):
        shown = [len(column), min(len(label(column)), _LABEL_WIDTH)]
        shown += [len(_display(v, f[j - 1])) for v, f in zip(table.iloc[:, j - 1], formats,
                                                              strict=True)]
        ws.column_dimensions[get_column_letter(j)].width = min(_MAX_WIDTH, max(shown) + 2)
    ws.freeze_panes = ws.cell(row=first, column=2).coordinate
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{max(last, first)}"
    _print_setup(ws, title)


def _append(ws: Any, row: Sequence[Any], fmts: Sequence[str | None]) -> None:
    """One row of values, percentages as fractions, each cell in its format."""
    ws.append([_fraction(v) if f == PERCENT_FORMAT else _cell(v)
               for v, f in zip(row, fmts, strict=True)])
    for cell, fmt in zip(ws[ws.max_row], fmts, strict=True):
        if fmt:
            cell.number_format = fmt


def _adds_up(values: pd.Series, total: Any, fmt: str | None) -> bool:
    """Whether the rows above add up to ``total`` exactly (money to the penny, counts whole)."""
    total = _cell(total)
    if fmt not in (MONEY_FORMAT, COUNT_FORMAT) or not isinstance(total, (int, float)) \
            or isinstance(total, bool) or len(values) == 0:
        return False
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(numbers).all():
        return False
    scale = 100 if fmt == MONEY_FORMAT else 1
    return int(np.rint(numbers * scale).astype(np.int64).sum()) == round(total * scale)


def _total_row(ws: Any, row: Sequence[Any], fmts: Sequence[str | None], body: pd.DataFrame,
               first: int, last: int) -> None:
    """A total row below the table, after one empty row: a ``SUM`` formula over the rows
    above in every column that adds up to the library's total, else the total's value."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if ws.max_row == last:
        ws.append([])
    _append(ws, row, fmts)
    here = ws.max_row
    for j, (value, fmt) in enumerate(zip(row, fmts, strict=True), start=1):
        cell = ws.cell(row=here, column=j)
        cell.font = Font(bold=True)
        if j > 1 and _adds_up(body.iloc[:, j - 1], value, fmt):
            letter = get_column_letter(j)
            cell.value = f"=SUM({letter}{first}:{letter}{last})"


def _print_setup(ws: Any, title: str) -> None:
    """A4 landscape, one page wide, headings repeated, title in the header, page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddFooter.center.text = "Page &P of &N"


def _notes_sheet(ws: Any, notes: Sequence[tuple[str, str]]) -> None:
    """The Notes sheet: term and meaning, the meanings wrapped in a wide column."""
    from openpyxl.styles import Alignment, Font, PatternFill

    ws.append(["term", "meaning"])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F2")
    for key, text in notes:
        ws.append([key, text])
    for (cell,) in ws.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = min(_MAX_WIDTH, max([4, *(len(k) for k, _ in notes)]) + 2)
    ws.column_dimensions["B"].width = 100
    ws.freeze_panes = "A2"
    _print_setup(ws, "Notes")
    ws.print_title_rows = "1:1"


def _display(value: Any, fmt: str | None) -> str:
    """Roughly how wide a cell reads in Excel (for the column width)."""
    value = _cell(value)
    if value is None:
        return ""
    if fmt == MONEY_FORMAT and isinstance(value, (int, float)):
        return f"-£{abs(value):,.2f}"
    if fmt == PERCENT_FORMAT and isinstance(value, (int, float)):
        return f"{value:.2f}%"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# ------------------------------------------------------------------ statement workbooks
def _notes(scenario: Scenario, sheets: Mapping[str, pd.DataFrame], source: str, licence: str,
           table: str | None, title: str) -> list[tuple[str, str]]:
    """The Notes sheet: what the workbook is, where its data came from, every column."""
    from .._version import __version__

    rows = [("workbook", title), ("scenario", f"{scenario.name}: " + "; ".join(
                scenario.describe())),
            ("source", source), ("licence", licence),
            ("signs", SIGN_CONVENTION),
            ("rounding", "Pounds to the penny. Budgets are rounded as a whole and the "
                         "pennies allocated (largest remainder), so every row and column "
                         "adds up to its total exactly."),
            ("layout", "Each sheet: its title, each column's machine name in small type "
                       "(the name in the CSV files and below), then the column's label with "
                       "the filters. Totals sit below the filtered rows, as SUM formulas where "
                       "the column adds up. Percentages are true fractions (12.5% is 0.125)."),
            ("produced by", f"pbcmodel {__version__}")]
    return rows + column_notes(sheets, table)


def column_notes(sheets: Mapping[str, pd.DataFrame], table: str | None = None
                 ) -> list[tuple[str, str]]:
    """The meaning of every column of ``sheets``, once each, for a Notes sheet: the
    glossary's label and definition (as meant in ``table``), or the statements' own words.

    Examples
    --------
    >>> t = pd.DataFrame({"elective_gbp": [1.0], "budget_gbp": [1.0]},
    ...                  index=pd.Index(["A"], name="practice"))
    >>> [key for key, _ in column_notes({"b": t})]
    ['practice', 'elective_gbp', 'budget_gbp']
    >>> column_notes({"b": t})[1][1]
    'Budget for elective (point of delivery). £; the year.'
    """
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for frame in sheets.values():
        for column in [frame.index.name, *frame.columns]:
            if column is None or str(column) in seen:
                continue
            seen.add(str(column))
            meaning = _meaning(str(column), table)
            if meaning:
                rows.append((str(column), meaning))
    return rows


def _meaning(column: str, table: str | None) -> str | None:
    """What a column means, in a sentence (None for a column nothing defines)."""
    found = column_term(column, table)
    pod = column.removesuffix("_gbp")
    if found is not None:
        return f"{found.label}: {found.sentence()}"
    if pod in _pods():
        return f"Budget for {pod.replace('_', ' ')} (point of delivery). £; the year."
    if column in _OTHER_COLUMNS:
        return _OTHER_COLUMNS[column]
    if column.startswith("year_") and column.endswith("_ahead_gbp"):
        k = column.split("_")[1]
        return (f"Instalment of this year's overspend liability to be deducted from the "
                f"budget {k} year(s) ahead. £; positive = owed by the practice.")
    return None


def _pods() -> tuple[str, ...]:
    from ..codes import PODS

    return tuple(PODS)


_OTHER_COLUMNS = {
    "step": "A step of the capitation formula that set the budget.",
    "kind": "input (a quantity the formula uses), adjustment (pounds added to or taken from "
            "the budget), subtotal or result (the budget).",
    "description": "What the step is, in words.",
    "input_value": "The quantity at an input step (patients, pounds at national prices, an "
                   "index or a share).",
    "amount_gbp": "Pounds this step adds to (or takes from) the budget; the adjustments add "
                  "up to the budget exactly. £; the year.",
    "rule": "Number of the rule.",
    "text": "The rule, in plain words.",
    "pod": "Point of delivery.",
    "metric": "The figure's name, with its unit (as in the CSV files).",
    "value": "The figure, in the unit of its row.",
    "label": "The figure in plain words.",
    "unit": "The unit of the row's figures.",
    "sign": "Which way is which, for a signed figure.",
    "period": "The time the figure covers.",
}


def _carry_forward_table(settlement: Any) -> pd.DataFrame:
    carry = settlement.carry_forward
    pence = pd.DataFrame(settlement.arrays.recovery_next, index=carry.index,
                         columns=[f"year_{k}_ahead_gbp" for k in carry.columns])
    out = pence / 100.0
    out.loc["total"] = pence.sum(axis=0) / 100.0
    out.index.name = "practice"
    return out


def _steps_table(scenario: Scenario, budget_pence: Mapping[str, int]) -> pd.DataFrame:
    from .tables import explain_table

    parts = []
    for code in scenario.population.codes:
        table = explain_table(scenario.explain(code), budget_pence[code]).reset_index()
        table.insert(0, "practice", code)
        parts.append(table)
    return pd.concat(parts, ignore_index=True).set_index("practice")


def _rules_table(settlement: Any) -> pd.DataFrame:
    from ._common import rules_in_words

    rules = rules_in_words(settlement)
    return pd.DataFrame({"text": rules}, index=pd.RangeIndex(1, len(rules) + 1, name="rule"))


#: Names accepted beside codes: practice code → name, or NHS England's weighted populations.
Names: TypeAlias = Mapping[str, Any] | pd.Series | WeightedPopulations | None


def settlement_workbook(path: str | PathLike[str], scenario: Scenario, settlement: Settlement, *,
                        source: str | None = None, licence: str | None = None,
                        names: Names = None) -> None:
    """The statements of a settled year as one workbook: practices, consortia, budgets, the
    steps that set them, recovery still due, the rules, and the notes.

    Laid out as :func:`write_workbook` lays out every sheet. ``names`` (practice code →
    name, or :class:`~pbcmodel.weighted.WeightedPopulations` for practice and place names)
    and the names the scenario's population carries are put beside the codes
    (:func:`~pbcmodel.reports.column_labels.code_names`).

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.xlsx"
    >>> settlement_workbook(path, scn, scn.settle(scn.budgets()["total"] * 1.03))
    >>> openpyxl.load_workbook(path).sheetnames
    ['Practices', 'Consortia', 'Budgets', 'Budget steps', 'Carry forward', 'Rules', 'Notes']
    """
    from ._common import data_source
    from .tables import budget_table, consortium_table, settlement_table

    src, lic = data_source(scenario, source, licence)
    budgets = dict(zip(settlement.practices, settlement.budget_pence.tolist(), strict=True))
    sheets = {
        "Practices": settlement_table(settlement),
        "Consortia": consortium_table(settlement),
        "Budgets": budget_table(scenario.budgets(), totals_pence=settlement.budget_pence),
        "Budget steps": _steps_table(scenario, budgets),
        "Carry forward": _carry_forward_table(settlement),
        "Rules": _rules_table(settlement),
    }
    titles = {"Practices": "Settlement of the year, per practice",
              "Consortia": "Settlement of the year, per consortium and in total",
              "Budgets": "Budgets per practice and point of delivery",
              "Budget steps": "How each practice's budget was set",
              "Carry forward": "Overspend still to be recovered in later years",
              "Rules": "The rules of the year, in words"}
    write_workbook(path, sheets, notes=_notes(scenario, sheets, src, lic, "settlement",
                                              "Settlement of the year, per practice"),
                   titles={k: f"{scenario.name}: {v}" for k, v in titles.items()},
                   names=code_names(scenario.population.practices, names),
                   table="settlement")


def _with_money_total(frame: pd.DataFrame, additive: Sequence[str]) -> pd.DataFrame:
    """A total row for the additive money columns, summed from the displayed pence."""
    out = frame.copy()
    total = {c: (np.rint(frame[c].to_numpy() * 100).astype(np.int64).sum() / 100.0
                 if c in additive else np.nan) for c in frame.columns}
    out.loc["total"] = pd.Series(total)
    return out


def monthly_workbook(path: str | PathLike[str], scenario: Scenario, actual: pd.DataFrame,
                     month: int, *, profile: Any = None, method: str = "seasonal",
                     level: float = 0.9, source: str | None = None,
                     licence: str | None = None, names: Names = None) -> None:
    """The statements of a month as one workbook: the year to date and forecast per practice
    (and by POD), the settlement projected at the forecast, budgets and the steps that set
    them, the rules, and the notes (laid out and named as :func:`settlement_workbook`).
    """
    from ..glossary import term
    from ..monitoring import forecast_outturn, year_to_date
    from ._common import check_month, data_source, month_pence, phased_budgets
    from .tables import budget_table, settlement_table, tidy

    k = check_month(month)
    src, lic = data_source(scenario, source, licence)
    phased = phased_budgets(scenario, actual, profile)
    ytd = year_to_date(phased, actual, k)
    fc = forecast_outturn(phased, actual, k, method=method, level=level)  # type: ignore[arg-type]
    both = ytd.join(fc[["forecast", "lower", "upper", "forecast_variance", "prob_overspend"]])
    both = both.reindex(scenario.population.codes)
    projected = scenario.settle(fc["forecast"].reindex(scenario.population.codes))
    shown = tidy(both, "monitoring")
    # the money as the pages show it: budgets and forecasts as settled, adding up
    for name, pence in month_pence(both, projected).items():
        shown[term(str(name), "monitoring").column] = pence / 100.0
    shown.index.name = "practice"
    additive = [term_column for term_column in shown.columns if term_column.endswith("_gbp")
                and not term_column.startswith(("lower", "upper"))]
    budgets = dict(zip(projected.practices, projected.budget_pence.tolist(), strict=True))
    sheets = {"Year to date": _with_money_total(shown, additive)}
    if "pod" in actual.columns:
        by_pod = tidy(year_to_date(phased, actual, k, by=["practice", "pod"]), "monitoring")
        sheets["By POD"] = by_pod.reset_index().set_index("practice")
    sheets.update({
        "Projected settlement": settlement_table(projected),
        "Budgets": budget_table(scenario.budgets(), totals_pence=projected.budget_pence),
        "Budget steps": _steps_table(scenario, budgets),
        "Rules": _rules_table(projected),
    })
    titles = {"Year to date": f"Year to date and forecast, month {k} of 12 (1 = April)",
              "By POD": f"Year to date by point of delivery, month {k} of 12",
              "Projected settlement": "Settlement of the year projected at the forecast",
              "Budgets": "Budgets per practice and point of delivery",
              "Budget steps": "How each practice's budget was set",
              "Rules": "The rules of the year, in words"}
    write_workbook(path, sheets, notes=_notes(
        scenario, sheets, src, lic, "monitoring",
        f"Monitoring to month {k} ({k} of 12; 1 = April) and the settlement projected at the "
        "forecast"), titles={n: f"{scenario.name}: {titles[n]}" for n in sheets},
        names=code_names(scenario.population.practices, names),
        table={"Year to date": "monitoring", "By POD": "monitoring"})
