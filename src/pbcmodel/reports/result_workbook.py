"""A simulation's tables, or a comparison's, as one workbook laid out as the statements are.

:func:`result_workbook` writes the tables ``pbcmodel run`` writes as CSV files (budgets,
metrics per practice, the headline summary, outcomes by list size; the glossary becomes
the Notes sheet) through :func:`pbcmodel.reports.workbook.write_workbook`: label headers
over the machine names, totals below the filtered rows as ``SUM`` formulas, percentages as
true fractions, names beside codes where the data has them, print set-up.
:func:`comparison_workbook` does the same for scenarios side by side.
:meth:`SimulationResult.to_excel <pbcmodel.scenario.results.SimulationResult>` is not
offered: the engine (layer 4) may not call the reports (layer 5), so the writer is here and
the command line calls it (``pbcmodel run --format xlsx``).

Examples
--------
>>> import tempfile, pathlib, openpyxl
>>> import pbcmodel as pbc
>>> result = pbc.Scenario.example().simulate(n=50, seed=1)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run.xlsx"
>>> result_workbook(result, path)
>>> openpyxl.load_workbook(path).sheetnames
['Budgets', 'Metrics', 'Summary', 'By list size', 'Notes']
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import TYPE_CHECKING, cast

import pandas as pd

from ..glossary import term
from ..scenario import SimulationResult
from .column_labels import code_names
from .outputs import run_outputs
from .tables import comparison_table, glossary_table
from .workbook import Names, column_notes, write_workbook

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["RESULT_SHEETS", "comparison_workbook", "described", "result_workbook",
           "run_workbook"]

#: The tables of :func:`~pbcmodel.reports.outputs.run_outputs` → their sheets and titles.
RESULT_SHEETS = {
    "budgets": ("Budgets", "Budgets per practice and point of delivery, the first year"),
    "metrics": ("Metrics", "Each practice's outcomes, a simulated year"),
    "summary": ("Summary", "Headline figures (commissioner figures over all years)"),
    "by_list_size": ("By list size", "Outcomes by list size, a simulated year"),
}


def _glossary_notes(glossary: pd.DataFrame) -> list[tuple[str, str]]:
    """The glossary table's rows as Notes rows: column → label and meaning."""
    return [(str(row.column), f"{row.label}: {term(str(metric)).sentence()}")
            for metric, row in zip(glossary.index, glossary.itertuples(), strict=True)]


def _notes(tables: Mapping[str, pd.DataFrame], title: str, described: str
           ) -> list[tuple[str, str]]:
    """What the workbook is, then the meaning of every column and figure, once each."""
    rows = [("workbook", title), ("run", described),
            ("signs", "Variance is budget less spend: positive is an underspend. A practice's "
                      "amount is positive when paid to it. Value at risk is a cost, positive "
                      "when the commissioner pays."),
            ("layout", "Each sheet: its title, each column's machine name in small type (the "
                       "name in the CSV files), then its label with the filters. Totals sit "
                       "below the filtered rows, as SUM formulas. Percentages are true "
                       "fractions (12.5% is 0.125).")]
    defined = _glossary_notes(glossary_table(tables))
    keys = {key for key, _ in defined}
    rest = [(k, v) for k, v in column_notes(tables) if k not in keys]
    return rows + defined + rest


def run_workbook(path: str | PathLike[str], tables: Mapping[str, pd.DataFrame], *,
                 title: str, described: str, names: Mapping[str, pd.Series] | None = None
                 ) -> None:
    """The tables of :func:`~pbcmodel.reports.outputs.run_outputs` as one workbook.

    Parameters
    ----------
    path : path
        The ``.xlsx`` file to write (stage it: see
        :func:`pbcmodel.io.output_folder.atomic_folder`).
    tables : mapping
        ``run_outputs(..., figures=False)``: the tables of :data:`RESULT_SHEETS` (others,
        such as ``glossary``, are not sheets; the Notes sheet defines every column).
    title : str
        The workbook's title (each sheet's title is ``title: <what the sheet is>``).
    described : str
        The run in words (simulations, years, seed), for the Notes sheet.
    names : mapping, optional
        Code names (:func:`~pbcmodel.reports.column_labels.code_names`).
    """
    shown = {key: tables[key] for key in RESULT_SHEETS if key in tables}
    write_workbook(path, {RESULT_SHEETS[k][0]: t for k, t in shown.items()},
                   notes=_notes(shown, title, described),
                   titles={RESULT_SHEETS[k][0]: f"{title}: {RESULT_SHEETS[k][1]}"
                           for k in shown}, names=names)


def described(result: SimulationResult) -> str:
    """A simulation in words: simulations, years, seed and method."""
    return (f"{result.n:,} simulations × {result.years} year(s), seed {result.seed}, "
            f"method {result.method}")


def result_workbook(result: SimulationResult, path: str | PathLike[str], *,
                    names: Names = None) -> None:
    """Write a simulation's tables (those ``pbcmodel run`` writes as CSV) as one workbook.

    Parameters
    ----------
    result : SimulationResult
        ``scenario.simulate(...)``; the budgets are its scenario's.
    path : path
        The ``.xlsx`` file to write.
    names : mapping, Series or WeightedPopulations, optional
        Practice code → name, or NHS England's weighted populations (practice and place
        names); the names the population carries are used too. None are made up.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> import pbcmodel as pbc
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "r.xlsx"
    >>> result_workbook(pbc.Scenario.example().simulate(n=50, seed=1), path)
    >>> ws = openpyxl.load_workbook(path)["Metrics"]
    >>> ws["A2"].value, ws["A3"].value
    ('practice', 'Practice')
    """
    scenario = cast("Scenario", result.scenario)   # run_outputs reads only its budgets()
    tables = run_outputs(result, scenario, figures=False)
    run_workbook(path, tables, title=f"Simulation of {result.scenario.name}",
                 described=described(result),
                 names=code_names(result.scenario.population.practices, names))


def comparison_workbook(path: str | PathLike[str], comparison: pd.DataFrame, *,
                        described: str) -> None:
    """Scenarios side by side (:func:`pbcmodel.scenario.variants.compare`) as one workbook.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> c = pd.DataFrame({"a": [1000.0, 0.125], "b": [1000.0, 0.25]},
    ...                  index=["simulations", "practices_prob_loss_over_2pct"])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "c.xlsx"
    >>> comparison_workbook(path, c, described="1,000 simulations")
    >>> ws = openpyxl.load_workbook(path)["Comparison"]
    >>> ws["B5"].value, ws["B5"].number_format
    (0.125, '0.00%')
    """
    table = comparison_table(comparison)
    tables = {"Comparison": table}
    write_workbook(path, tables, notes=_notes(tables, "Scenarios compared", described),
                   titles={"Comparison": "Scenarios side by side (commissioner figures over "
                                         "all years)"})

