"""Excel workbooks as NHS finance reads them (openpyxl, optional extra ``pbcmodel[reports]``).

One sheet per table: a bold header row that stays in view (frozen, with filters), the index
column frozen too, £ number formats on money columns (``_gbp``), percentages on ``_pct``
columns (their values are percentages: 12.5 shows as 12.50%), thousands separators on
counts, columns wide enough to read, and the total row in bold. A ``Notes`` sheet holds the
definition of every column (from :mod:`pbcmodel.glossary`), where the data came from and
under which licence. Values are written as numbers to the penny, never as text, so the
sheet adds up in Excel exactly as it does on the page.

Examples
--------
>>> import tempfile, pathlib
>>> import pandas as pd
>>> path = pathlib.Path(tempfile.mkdtemp()) / "b.xlsx"
>>> t = pd.DataFrame({"budget_gbp": [1.5, 2.25]}, index=pd.Index(["A", "B"], name="practice"))
>>> write_workbook(path, {"Budgets": t}, notes=[("budget_gbp", "Budget, £")])
>>> import openpyxl
>>> wb = openpyxl.load_workbook(path)
>>> wb.sheetnames, wb["Budgets"]["B2"].number_format
(['Budgets', 'Notes'], '£#,##0.00;[Red]-£#,##0.00')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError, require
from ..scenario import Scenario
from ..settlement import Settlement

__all__ = ["MONEY_FORMAT", "PERCENT_FORMAT", "number_format", "write_workbook"]

#: Pounds and pence with thousands separators; negatives in red with a minus sign.
MONEY_FORMAT = "£#,##0.00;[Red]-£#,##0.00"
#: A percentage held as a number of percent (12.5 → 12.50%).
PERCENT_FORMAT = '0.00"%"'
COUNT_FORMAT = "#,##0"
_MAX_WIDTH = 60
_INVALID_SHEET = set("[]:*?/\\")


def number_format(column: str, values: pd.Series | None = None) -> str | None:
    """The Excel number format of a tidy column, from its unit suffix.

    Examples
    --------
    >>> number_format("net_to_practice_gbp"), number_format("prob_overspend_pct")
    ('£#,##0.00;[Red]-£#,##0.00', '0.00"%"')
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


def _check_sheet_name(name: str) -> None:
    if not name or len(name) > 31 or _INVALID_SHEET.intersection(name):
        raise ValidationError(f"sheet name {name!r}: Excel needs 1–31 characters and none of "
                              "[ ] : * ? / \\")


def write_workbook(path: str | PathLike[str], sheets: Mapping[str, pd.DataFrame], *,
                   notes: Sequence[tuple[str, str]] = (),
                   total_label: str = "total") -> None:
    """Write tables as one formatted workbook, each on its own sheet, then a Notes sheet.

    Parameters
    ----------
    path : path
        The ``.xlsx`` file to write (the caller stages it; see
        :func:`pbcmodel.io.output_folder.atomic_folder`).
    sheets : mapping of sheet name to DataFrame
        Tidy tables; the index is written as the first column, under its name.
    notes : sequence of (term, text)
        Rows of the Notes sheet: definitions, the source and the licence.
    total_label : str
        An index label whose row is a total (written in bold).
    """
    openpyxl = require("openpyxl", "reports", "Excel workbooks")
    for name in [*sheets, "Notes"]:
        _check_sheet_name(name)
    if "Notes" in sheets:
        raise ValidationError("sheets: 'Notes' is kept for the notes sheet")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        _table_sheet(book.create_sheet(name), frame, total_label)
    _notes_sheet(book.create_sheet("Notes"), notes)
    book.save(path)


def _header(ws: Any, wrap: bool) -> None:
    """Bold, shaded header cells in the first row (wrapped to the top when ``wrap``)."""
    from openpyxl.styles import Alignment, Font, PatternFill

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F2")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _table_sheet(ws: Any, frame: pd.DataFrame, total_label: str) -> None:
    """One table on its sheet: header, rows, number formats and widths, bold total, filters."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    table = frame.reset_index()
    columns = [str(c) for c in table.columns]
    ws.append(columns)
    _header(ws, wrap=True)
    for row in table.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    for j, column in enumerate(columns, start=1):
        fmt = number_format(column, table.iloc[:, j - 1])
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt
        shown = [len(column)] + [len(_display(v, fmt)) for v in table.iloc[:, j - 1]]
        ws.column_dimensions[get_column_letter(j)].width = min(_MAX_WIDTH, max(shown) + 2)
    bold = Font(bold=True)
    for i, label in enumerate(table.iloc[:, 0], start=2):
        if str(label) == total_label:
            for cell in ws[i]:
                cell.font = bold
    ws.freeze_panes = "B2"
    if len(table):
        ws.auto_filter.ref = ws.dimensions


def _notes_sheet(ws: Any, notes: Sequence[tuple[str, str]]) -> None:
    """The Notes sheet: term and meaning, the meanings wrapped in a wide column."""
    from openpyxl.styles import Alignment

    ws.append(["term", "meaning"])
    _header(ws, wrap=False)
    for key, text in notes:
        ws.append([key, text])
    for (cell,) in ws.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = min(_MAX_WIDTH, max([4, *(len(k) for k, _ in notes)]) + 2)
    ws.column_dimensions["B"].width = 100
    ws.freeze_panes = "A2"


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
    from ..glossary import TERMS, term

    columns = {v.column: v.name for v in TERMS.values()}
    rows = [("workbook", title), ("scenario", f"{scenario.name}: " + "; ".join(
                scenario.describe())),
            ("source", source), ("licence", licence),
            ("signs", "Variance is budget less spend: positive is an underspend, negative an "
                      "overspend. Amounts to a practice are positive, amounts it bears "
                      "negative."),
            ("rounding", "Pounds to the penny. Budgets are rounded as a whole and the "
                         "pennies allocated (largest remainder), so every row and column "
                         "adds up to its total exactly."),
            ("produced by", f"pbcmodel {__version__}")]
    seen: set[str] = set()
    for frame in sheets.values():
        for column in [frame.index.name, *frame.columns]:
            if column is None or column in seen:
                continue
            seen.add(str(column))
            name = columns.get(str(column), str(column))
            pod = str(column).removesuffix("_gbp")
            if name in TERMS or (table is not None and name in _table_names(table)):
                t = term(name, table)
                rows.append((str(column), f"{t.label}: {t.sentence()}"))
            elif pod in _pods():
                rows.append((str(column), f"Budget for {pod.replace('_', ' ')} (point of "
                                          "delivery). £; the year."))
            elif column in _OTHER_COLUMNS:
                rows.append((str(column), _OTHER_COLUMNS[str(column)]))
            elif str(column).startswith("year_") and str(column).endswith("_ahead_gbp"):
                k = str(column).split("_")[1]
                rows.append((str(column), f"Instalment of this year's overspend liability to "
                                          f"be deducted from the budget {k} year(s) ahead. £; "
                                          "positive = owed by the practice."))
    return rows


def _table_names(table: str) -> tuple[str, ...]:
    from ..glossary import TABLES

    return TABLES[table]


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


def settlement_workbook(path: str | PathLike[str], scenario: Scenario, settlement: Settlement, *,
                        source: str | None = None, licence: str | None = None) -> None:
    """The statements of a settled year as one workbook: practices, consortia, budgets, the
    steps that set them, recovery still due, the rules, and the notes.

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
    write_workbook(path, sheets, notes=_notes(scenario, sheets, src, lic, "settlement",
                                              "Settlement of the year, per practice"))


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
                     licence: str | None = None) -> None:
    """The statements of a month as one workbook: the year to date and forecast per practice
    (and by POD), the settlement projected at the forecast, budgets and the steps that set
    them, the rules, and the notes.
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
    write_workbook(path, sheets, notes=_notes(
        scenario, sheets, src, lic, "monitoring",
        f"Monitoring to month {k} ({k} of 12; 1 = April) and the settlement projected at the "
        "forecast"))
