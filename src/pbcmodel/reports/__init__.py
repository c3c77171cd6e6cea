"""What practices and boards read: statements as web pages and Excel workbooks, tidy tables.

* :mod:`~pbcmodel.reports.statement_pages` — one self-contained web page per practice for a
  settled year or a month of monitoring, and index pages per consortium and for the
  commissioner (Jinja2 templates, inline SVG figures, printable on A4);
* :mod:`~pbcmodel.reports.workbook` — the same content as an Excel workbook (openpyxl);
* :mod:`~pbcmodel.reports.result_workbook` — a simulation's, a comparison's, a design's or a
  frontier's tables as a workbook (:func:`result_workbook`, :func:`comparison_workbook`,
  :func:`design_workbook`, :func:`frontier_workbook`, and :func:`to_excel` for any of them);
* :mod:`~pbcmodel.reports.tables` — tidy tables for CSV files: named index, units in the
  column names, money to the penny with totals that add up;
* :mod:`~pbcmodel.reports.board_report` — the board report of a run, a comparison or a
  design: one self-contained web page and its PDF (:func:`board_report`, :func:`board_pdf`,
  :func:`bridge`, from the practices' underspend to the commissioner's net position);
* :mod:`~pbcmodel.reports.outputs` — the tables and figures of a simulation, as
  ``pbcmodel run`` and ``pbcmodel demo`` write them (:func:`run_outputs`,
  :func:`write_outputs`).

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

from typing import TYPE_CHECKING

from ..moved import package_getattr
from .board_report import board_pdf, board_report, bridge
from .outputs import output_files, run_outputs, write_outputs
from .result_workbook import (
    comparison_workbook,
    design_workbook,
    frontier_workbook,
    result_workbook,
    to_excel,
)
from .statement_pages import FORMATS, monthly_pages, settlement_pages, write_statements
from .tables import (
    band_labels,
    budget_table,
    by_list_size_table,
    comparison_table,
    consortium_table,
    explain_table,
    glossary_table,
    metrics_table,
    path_table,
    settlement_table,
    summary_table,
    text_table,
    tidy,
)
from .workbook import monthly_workbook, settlement_workbook, write_workbook

__all__ = [
    "FORMATS",
    "band_labels",
    "board_pdf",
    "board_report",
    "bridge",
    "budget_table",
    "by_list_size_table",
    "comparison_table",
    "comparison_workbook",
    "consortium_table",
    "design_workbook",
    "explain_table",
    "frontier_workbook",
    "glossary_table",
    "metrics_table",
    "monthly_pages",
    "monthly_workbook",
    "output_files",
    "path_table",
    "result_workbook",
    "run_outputs",
    "settlement_pages",
    "settlement_table",
    "settlement_workbook",
    "summary_table",
    "text_table",
    "tidy",
    "to_excel",
    "write_outputs",
    "write_statements",
    "write_workbook",
]


if not TYPE_CHECKING:   # old module names fail naming the new module (type checkers never see it)
    __getattr__ = package_getattr(__name__)
