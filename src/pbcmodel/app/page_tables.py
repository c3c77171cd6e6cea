"""The what-if page's tables: escaped HTML whose value cells carry stable ids
``<table>-<row>-<column>`` and the exact value in ``data-value`` (for tests and for reading
the page with a tool), the comparison's cells as the library shows them, and the formats of
the page's budgets and groups tables. No Panel here (:mod:`pbcmodel.app.layout` shows them).

Examples
--------
>>> t = pd.DataFrame({"x": [1.0]}, index=pd.Index(["P1"], name="practice"))
>>> 'id="t-P1-x" data-value="1.0"' in html_table(t, formatted(t, {"x": "{:g}".format}),
...                                            table_id="t")
True
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..labelled import value_text
from ..reports.text_tables import cell_text
from .state import Comparison

__all__ = ["BUDGET_FORMATS", "CSS", "GROUP_FORMATS", "HEADERS", "comparison_cells",
           "formatted", "html_table"]

#: The style of the page's tables and notes.
CSS = """
.pbc-table {border-collapse: collapse; font-size: 13px; font-family: sans-serif;}
.pbc-table th, .pbc-table td {padding: 3px 8px; border-bottom: 1px solid #ddd;}
.pbc-table td.num, .pbc-table th.num {text-align: right; font-variant-numeric: tabular-nums;}
.pbc-table th {background: #f2f5f8; position: sticky; top: 0;}
.pbc-table th.text, .pbc-table td.text, .pbc-table tbody th {text-align: left;}
.pbc-table tbody th {font-weight: normal; position: static;}
.pbc-table tbody tr.period th {font-weight: bold; background: #fafafa; padding-top: 8px;}
.pbc-table tbody tr.period ~ tr th {padding-left: 18px;}
.pbc-scroll {max-height: 420px; overflow-y: auto;}
.pbc-note {color: #555; font-size: 12px;}
pre.explanation {font-size: 12px; overflow-x: auto;}
"""


def _id_part(text: object) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", str(text))


def html_table(values: pd.DataFrame, shown: pd.DataFrame, *, table_id: str,
               headers: Mapping[str, str] | None = None, index_header: str = "",
               row_labels: Mapping[Any, str] | None = None,
               sections: Mapping[str, Sequence[Any]] | None = None) -> str:
    """An escaped HTML table: a row per row of ``values``, headed by its index (or its
    ``row_labels``, the index then in the row's ``title``); a cell per column of ``shown``
    (the text), with id ``<table_id>-<row>-<column>`` and the value in ``data-value``.
    ``sections`` (title → the rows' index labels, in order) shows the rows in blocks, each
    a ``<tbody>`` headed by its title (a row of class ``period``), as the terminal shows a
    long table a block per period (:func:`pbcmodel.reports.text_tables.period_tables`).

    Examples
    --------
    >>> t = pd.DataFrame({"budget": [1234.5]}, index=pd.Index(["<P1>"], name="practice"))
    >>> page = html_table(t, formatted(t, {"budget": BUDGET_FORMATS["budget"]}), table_id="b")
    >>> print(page[page.index("<tbody>"):].replace("><", ">\\n<"))
    <tbody>
    <tr>
    <th>&lt;P1&gt;</th>
    <td class="num c-budget" id="b-_P1_-budget" data-value="1234.5">£1,235</td>
    </tr>
    ...
    """
    names = dict(headers or {})
    head = "".join(f'<th class="{_kind(values[c].iloc[0]) if len(values) else "num"}">'
                   f"{html.escape(names.get(c, c))}</th>" for c in shown.columns)
    rows = [_html_row(values, shown, key, table_id, row_labels) for key in values.index]
    if sections is None:
        body = f'<tbody>{"".join(rows)}</tbody>'
    else:
        by_key = dict(zip(values.index, rows, strict=True))
        body = "".join(
            f'<tbody><tr class="period"><th colspan="{len(shown.columns) + 1}">'
            f'{html.escape(title)}</th></tr>{"".join(by_key[key] for key in keys)}</tbody>'
            for title, keys in sections.items())
    corner = html.escape(index_header or str(values.index.name or ""))
    return (f'<table class="pbc-table" id="{table_id}"><thead><tr><th>{corner}</th>{head}'
            f"</tr></thead>{body}</table>")


def _html_row(values: pd.DataFrame, shown: pd.DataFrame, key: Any, table_id: str,
              row_labels: Mapping[Any, str] | None) -> str:
    """One row of :func:`html_table`."""
    cells = "".join(
        f'<td class="{_kind(values.at[key, c])} c-{_id_part(c)}" '
        f'id="{table_id}-{_id_part(key)}-{_id_part(c)}" '
        f'data-value="{html.escape(str(values.at[key, c]))}">'
        f"{html.escape(str(shown.at[key, c]))}</td>" for c in shown.columns)
    label = (f'<th title="{html.escape(str(key))}">{html.escape(row_labels[key])}</th>'
             if row_labels is not None else f"<th>{html.escape(str(key))}</th>")
    return f"<tr>{label}{cells}</tr>"


def _kind(value: Any) -> str:
    return "text" if isinstance(value, str) else "num"


def formatted(frame: pd.DataFrame, formats: Mapping[str, Callable[[Any], str]]
              ) -> pd.DataFrame:
    """The columns of ``formats`` of ``frame``, each value as text by its format.

    Examples
    --------
    >>> formatted(pd.DataFrame({"a": [1.5, None]}), {"a": "{:.2f}".format})["a"].tolist()
    ['1.50', 'nan']
    """
    return pd.DataFrame({c: [show(v) for v in frame[c]] for c, show in formats.items()},
                        index=frame.index)


def comparison_cells(comparison: Comparison) -> pd.DataFrame:
    """The comparison's tidy long table with each policy's values as the library shows them
    (:func:`pbcmodel.reports.text_tables.cell_text`, value by value, the terminal's rule): a
    frame indexed by metric with ``label`` and, per policy, ``<name>`` (the value) and
    ``<name>_text``.

    Examples
    --------
    >>> from pbcmodel.app.state import Policy, base_scenario, policy_scenario, run_comparison
    >>> c = run_comparison([policy_scenario(base_scenario("QOC"), Policy())], 50, 1, 0)
    >>> comparison_cells(c).loc["simulations", ["A", "A_text"]].tolist()
    [50, '50']
    """
    long = comparison.long_table()
    names = [str(c) for c in comparison.table.columns]
    out = long[["label", *names]].copy()
    for name in names:
        out[f"{name}_text"] = [cell_text(value, unit, sign, str(metric))
                               for value, unit, sign, metric in zip(
                                   long[name], long["unit"], long["sign"], long.index,
                                   strict=True)]
    return out


def _need(value: Any) -> str:
    """A need index to three decimals (1.026), as NHS England's tool shows it."""
    return "–" if pd.isna(value) else f"{value:.3f}"


def _shown(unit: str) -> Callable[[Any], str]:
    """Values in ``unit`` as every table of the library shows them
    (:func:`pbcmodel.labelled.value_text`)."""
    return lambda value: value_text(value, unit)


#: How the practices' table shows each column.
BUDGET_FORMATS: dict[str, Callable[[Any], str]] = {
    "name": str, "group_name": str, "list_size": _shown("patients"), "need_index": _need,
    "budget": _shown("£")}
#: How the groups' table shows each column.
GROUP_FORMATS: dict[str, Callable[[Any], str]] = {
    "name": str, "practices": _shown("count"), "patients": _shown("patients"),
    "budget": _shown("£"), "per_head": _shown("£ per registered patient"),
    "need_index": _need}
#: The page's column headers, by column.
HEADERS = {"name": "name", "group_name": "group", "list_size": "registered patients",
            "need_index": "need index (ICB = 1)", "budget": "budget", "practices": "practices",
            "patients": "registered patients", "per_head": "budget per patient"}
