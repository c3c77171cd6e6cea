"""What practices and boards read: statements as web pages and Excel workbooks, tidy tables.

* :mod:`~pbcmodel.reports.statements` — one self-contained web page per practice for a
  settled year or a month of monitoring, and index pages per consortium and for the
  commissioner (Jinja2 templates, inline SVG figures, printable on A4);
* :mod:`~pbcmodel.reports.workbook` — the same content as an Excel workbook (openpyxl);
* :mod:`~pbcmodel.reports.tables` — tidy tables for CSV files: named index, units in the
  column names, money to the penny with totals that add up;
* :func:`run_outputs` — the tables and figures of a simulation, as ``pbcmodel run`` writes
  them.

Web pages need the optional extra ``pbcmodel[reports]`` (Jinja2, openpyxl); figures need
``pbcmodel[plot]``.

Examples
--------
>>> import pbcmodel as pbc
>>> from pbcmodel import reports
>>> scn = pbc.Scenario.example()
>>> out = reports.run_outputs(scn.simulate(n=50, seed=1), scn, figures=False)
>>> sorted(out)
['budgets', 'by_list_size', 'glossary', 'metrics', 'summary']
"""

from __future__ import annotations

from typing import Any

from .statements import FORMATS, monthly_pages, settlement_pages, write_statements
from .tables import (
    band_labels,
    budget_table,
    by_list_size_table,
    consortium_table,
    explain_table,
    metrics_table,
    settlement_table,
    summary_table,
    tidy,
)
from .workbook import monthly_workbook, settlement_workbook, write_workbook

__all__ = [
    "FORMATS",
    "band_labels",
    "budget_table",
    "by_list_size_table",
    "consortium_table",
    "explain_table",
    "metrics_table",
    "monthly_pages",
    "monthly_workbook",
    "run_outputs",
    "settlement_pages",
    "settlement_table",
    "settlement_workbook",
    "summary_table",
    "tidy",
    "write_statements",
    "write_workbook",
]


def run_outputs(result: Any, scenario: Any, *, figures: bool = True) -> dict[str, Any]:
    """The tables and figures of a simulation, for ``pbcmodel run`` and the demo to write.

    Parameters
    ----------
    result : SimulationResult
        ``scenario.simulate(...)``.
    scenario : Scenario
        The simulated scenario (for its budgets).
    figures : bool
        Include the figures (matplotlib ``Figure`` objects; needs ``pbcmodel[plot]``).

    Returns
    -------
    dict
        Name → tidy DataFrame (``budgets``, ``metrics``, ``summary``, ``by_list_size``,
        ``glossary``: the definition of every column) or, with ``figures``, name →
        matplotlib Figure (``list_size``, ``net``, ``commissioner``; save each with
        ``fig.savefig(path)``).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> out = run_outputs(scn.simulate(n=50, seed=1), scn, figures=False)
    >>> out["summary"].loc["simulations", "value"], out["budgets"].index[-1]
    (50, 'total')
    """
    from ..glossary import TERMS, glossary_frame

    tables: dict[str, Any] = {
        "budgets": budget_table(scenario.budgets()),
        "metrics": metrics_table(result.metrics()),
        "summary": summary_table(result.summary()),
        "by_list_size": by_list_size_table(result.by_list_size()),
    }
    columns = {c for t in tables.values() for c in [t.index.name, *t.columns]}
    columns.update(tables["summary"].index)
    used = [name for name, t in TERMS.items() if t.column in columns]
    tables["glossary"] = glossary_frame(used)
    if figures:
        from matplotlib.figure import Figure

        from ..plot.simulation import RESULT_KINDS

        for kind in RESULT_KINDS:
            fig = Figure(figsize=(7, 4.5), layout="constrained")
            result.plot(kind=kind, ax=fig.subplots())
            tables[kind] = fig
    return tables
