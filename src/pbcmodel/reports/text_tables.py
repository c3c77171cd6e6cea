"""Tidy tables as text, the way the terminal (``pbcmodel run``, ``compare``, ``demo``) and
the what-if page (:mod:`pbcmodel.app`) show them.

* :func:`cell_text` — one value in its unit: the one rule per value (money and counts by
  :func:`pbcmodel.labelled.value_text`);
* :func:`at_risk_text` — a value at risk, in words when even the bad runs leave money;
* :func:`period_tables` — a long table (:func:`pbcmodel.reports.tables.summary_table`,
  :func:`~pbcmodel.reports.tables.comparison_table`) as one table per period;
* :func:`text_table` — a tidy table as text, a long one a block per period;
* :func:`explanation_text` — how a budget was set, one step a line.

The tables themselves (numbers, for files) are :mod:`pbcmodel.reports.tables`, which
re-exports these names.

Examples
--------
>>> cell_text(1234.5, "£"), cell_text(0.0512 * 100, "%")
('£1,235', '5.1%')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..glossary import TEMPLATES, TERMS, numbered, period_title
from ..labelled import value_text
from ..money import pounds

__all__ = ["COUNT_UNITS", "at_risk_text", "cell_text", "explanation_text", "period_tables",
           "text_table"]

#: The glossary's units of whole numbers (a tidy table holds them as integers).
COUNT_UNITS: tuple[str, ...] = ("count", "patients", "years")
#: Inputs of an explanation shown in whole units (the others are indices, to 4 decimals).
_WHOLE_INPUTS = ("list size", "weighted list", "historic budget")


def explanation_text(explanation: pd.DataFrame) -> str:
    """How a budget was set (``Scenario.explain``, ``CapitationFormula.explain``) as text,
    one step a line: inputs with their value, adjustments ``+`` and subtotals and the
    budget ``=`` in whole pounds, each with its description. A ``risk`` step (the practice
    effect :meth:`Scenario.explain <pbcmodel.scenario.Scenario.explain>` adds, not in the
    budget) is a multiplier, shown as an input is.

    Parameters
    ----------
    explanation : DataFrame
        Columns ``step``, ``description``, ``value``, ``kind`` (``input``, ``adjustment``,
        ``subtotal``, ``result`` or ``risk``).

    Returns
    -------
    str
        One line per step, nothing cut off (``pbcmodel demo`` prints it).

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"step": ["list size", "per head", "budget"],
    ...                   "description": ["patients", "£ a patient", "the budget"],
    ...                   "value": [1000.0, 950.5, 950500.0],
    ...                   "kind": ["input", "input", "result"]})
    >>> print(explanation_text(e))
      list size                              1,000   patients
      per head                            950.5000   £ a patient
    = budget                              £950,500   the budget

    A practice effect (kind ``risk``) is a multiplier of spend, not money:

    >>> risk = pd.DataFrame({"step": ["practice effect"], "description": ["typical"],
    ...                      "value": [1.0], "kind": ["risk"]})
    >>> print(explanation_text(risk))
      practice effect                         1.0000   typical
    """
    lines = []
    for row in explanation.itertuples():
        if row.kind in ("input", "risk"):        # a risk row: a multiplier, not money
            value = (f"{row.value:,.0f}" if row.step in _WHOLE_INPUTS
                     else f"{row.value:,.4f}")
            lines.append(f"  {row.step:<28}{value:>18}   {row.description}")
        else:
            sign = "=" if row.kind in ("subtotal", "result") else "+"
            lines.append(f"{sign} {row.step:<28}{pounds(row.value):>18}   {row.description}")
    return "\n".join(lines)


_DESCRIBED = ("label", "unit", "sign", "period")


def _text(value: Any, unit: str) -> str:
    """One tidy value as text: £ whole pounds, £ per head with pence and counts as
    :func:`pbcmodel.labelled.value_text` shows them; a tidy percentage (12.5 is 12.5%) to
    one decimal; other numbers to three decimals; text as it is, None blank, True "yes"."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else ""
    value = float(value)
    if np.isnan(value):
        return "–"
    if unit in COUNT_UNITS:
        return value_text(int(value), unit)           # whole, as the tidy table holds them
    if unit in ("£", "£ per registered patient"):
        return value_text(value, unit)
    if unit == "%":
        return f"{value:.1f}%".replace("-", "−")
    return f"{value:,.3f}"


#: The sign of a value at risk (an amount of money at risk, not a position).
_AT_RISK = TEMPLATES["commissioner_var{P}_all_years"].sign
#: The tidy column of a tail value at risk (a mean over the worst runs, not a quantile).
_TAIL = TEMPLATES["commissioner_tvar{P}_all_years"].column


def at_risk_text(value: float, *, mean: bool = False) -> str:
    """A value at risk (``mean``: a tail value at risk) as a reader reads it in a table.

    A value at risk is money the commissioner pays in the bad runs, a positive amount. When
    even the bad runs leave it money (a negative value at risk) the table says so in words,
    as the figures do (ARCHITECTURE.md's conventions), rather than show a negative cost;
    the tidy CSV keeps the number.

    Examples
    --------
    >>> at_risk_text(24_852_663.2)
    '£24,852,663'
    >>> at_risk_text(-3_874_187.0)
    'none (it keeps at least £3,874,187)'
    >>> at_risk_text(-1_000.0, mean=True)
    'none (it keeps £1,000 on average)'
    """
    if np.isnan(value) or value >= 0:
        return _text(value, "£")
    kept = pounds(-value)
    return f"none (it keeps {kept} on average)" if mean else f"none (it keeps at least {kept})"


def period_tables(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """A long table (:func:`summary_table`, :func:`comparison_table`) as one table per
    period, so no table mixes "a simulated year" with "all simulated years together".

    Returns
    -------
    dict
        Title (the period: "The run", "The first year", "A simulated year", "All simulated
        years together") → the rows of that period, in the order they first appear.

    Examples
    --------
    >>> import pandas as pd
    >>> from pbcmodel.reports.tables import summary_table
    >>> s = pd.Series({"simulations": 1000.0, "expected_freed_up": 1234.5,
    ...                "commissioner_var95_all_years": 5e6})
    >>> {title: list(t.index) for title, t in period_tables(summary_table(s)).items()}
    ... # doctest: +NORMALIZE_WHITESPACE
    {'The run': ['simulations'], 'A simulated year': ['expected_freed_up_gbp'],
     'All simulated years together': ['commissioner_var95_all_years_gbp']}
    """
    titles = pd.Series([period_title(p) for p in table["period"]], index=table.index)
    return {title: table[(titles == title).to_numpy()] for title in dict.fromkeys(titles)}


def _long_text(table: pd.DataFrame, headers: Mapping[str, str] | None) -> str:
    """A long table as text: one block per period, headed by it; labels indented."""
    values = [c for c in table.columns if c not in _DESCRIBED]
    blocks = []
    for title, rows in period_tables(table).items():
        shown = pd.DataFrame({c: [cell_text(v, u, sign, str(name))
                                  for v, u, sign, name in zip(rows[c], rows["unit"],
                                                              rows["sign"], rows.index,
                                                              strict=True)]
                              for c in values},
                             index=["  " + label for label in rows["label"]])
        blocks.append(pd.concat([pd.DataFrame({c: [""] for c in values}, index=[title]),
                                 shown]))
    whole = pd.concat(blocks)
    return whole.rename(columns=dict(headers or {})).to_string()


def cell_text(value: Any, unit: str, sign: str = "", name: str = "") -> str:
    """One value of a tidy table as the terminal (:func:`text_table`) and the what-if page
    show it: the one rule per value.

    Parameters
    ----------
    value : number, str, bool or None
        A tidy value (:func:`pbcmodel.reports.tables.tidy`,
        :func:`~pbcmodel.reports.tables.comparison_table`): money in pounds, percentages as
        12.5 for 12.5%, counts whole.
    unit : str
        Its glossary unit (the long table's ``unit`` column).
    sign : str, optional
        Its glossary sign (the long table's ``sign`` column); a value at risk's is shown by
        :func:`at_risk_text`.
    name : str, optional
        Its tidy column or metric name (tells a tail value at risk, a mean, from a quantile).

    Returns
    -------
    str
        Money "£1,235" (per head "£12.35"), percentages "5.1%", counts "1,000", ratios
        "1.234", not defined "–", True "yes", None and False blank; a negative value at
        risk "none (it keeps at least £3,874,187)".

    Examples
    --------
    >>> cell_text(1234.5, "£"), cell_text(12.345, "£ per registered patient")
    ('£1,235', '£12.35')
    >>> cell_text(5.12, "%"), cell_text(1000, "count"), cell_text(1.23449, "ratio")
    ('5.1%', '1,000', '1.234')
    >>> from pbcmodel.glossary import TEMPLATES
    >>> var = TEMPLATES["commissioner_var{P}_all_years"]
    >>> cell_text(-3_874_187.0, var.unit, var.sign, "commissioner_var95_all_years_gbp")
    'none (it keeps at least £3,874,187)'
    """
    if sign == _AT_RISK and not isinstance(value, str) and value is not None:
        return at_risk_text(float(value), mean=numbered(_TAIL, name) is not None)
    return _text(value, unit)


def text_table(table: pd.DataFrame, headers: Mapping[str, str] | None = None, *,
               labels: bool = False) -> str:
    """A tidy table as text for the terminal, in the units of its columns.

    Money reads £1,235 (pounds per head £12.35), percentages 5.1%, counts 1,000, ratios
    1.234, a blank "–"; a long table (index ``metric`` with a ``unit`` column, from
    :func:`summary_table` or :func:`comparison_table`) is shown by the glossary's labels,
    one block per period (:func:`period_tables`) headed by the period, and a negative value
    at risk as "none (it keeps at least £X)" (:func:`at_risk_text`).
    ``headers`` renames columns for a narrow terminal; ``labels`` heads a wide table's
    columns with the glossary's short labels instead of the column names.

    Examples
    --------
    >>> import pandas as pd
    >>> from pbcmodel.reports.tables import summary_table
    >>> s = pd.Series({"simulations": 1000.0, "expected_freed_up": 1234.5,
    ...                "practices_prob_loss_over_2pct": 0.0512,
    ...                "commissioner_var95_all_years": -3_874_187.0})
    >>> print(text_table(summary_table(s)))
                                                                                value
    The run
      Simulations                                                               1,000
    A simulated year
      Expected freed-up resources                                              £1,235
      Chance a practice bears over 2% of budget                                  5.1%
    All simulated years together
      Commissioner's value at risk (95%), a cost  none (it keeps at least £3,874,187)
    """
    if table.index.name == "metric" and "unit" in table.columns:
        return _long_text(table, headers)
    by_column = {t.column: t for t in TERMS.values()}
    shown = table.astype(object).copy()
    names = dict(headers or {})
    for c in table.columns:
        t = by_column.get(str(c))
        if t is not None:
            shown[c] = [_text(v, t.unit) for v in table[c]]
            if labels:
                names.setdefault(str(c), t.short)
    if labels and table.index.name in by_column:
        shown.index.name = by_column[table.index.name].label
    return shown.rename(columns=names).to_string()
