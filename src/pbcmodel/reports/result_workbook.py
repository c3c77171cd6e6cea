"""A simulation's tables, a comparison's or a design's, as one workbook laid out as the
statements are.

:func:`result_workbook` writes the tables ``pbcmodel run`` writes as CSV files (budgets,
metrics per practice, the headline summary, outcomes by list size; the glossary becomes
the Notes sheet) through :func:`pbcmodel.reports.workbook.write_workbook`: label headers
over the machine names, totals below the filtered rows as ``SUM`` formulas, percentages as
true fractions, names beside codes where the data has them, print set-up.
:func:`comparison_workbook` does the same for scenarios side by side,
:func:`design_workbook` for a policy design (``pbcmodel design --format xlsx``) and
:func:`frontier_workbook` for a trade-off frontier.

:func:`to_excel` writes any of these results whole to one ``.xlsx`` file in a folder that
exists. It is a function, not a ``to_excel()`` method of the results: the engine (layer 4)
may not call the reports (layer 5); ARCHITECTURE.md exempts only the lazy ``.plot()``
door, and ``tests/test_architecture.py`` checks it.

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

from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd

from ..design import Design, Frontier
from ..errors import ValidationError
from ..glossary import term
from ..io.output_folder import atomic_file
from ..scenario import SimulationResult
from ..scenario.metrics import metric
from ._common import data_source
from .column_labels import code_names
from .outputs import run_outputs
from .tables import budget_table, comparison_table, flag_small, glossary_table
from .workbook import Names, column_notes, write_workbook

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["DESIGN_SHEETS", "FRONTIER_SHEETS", "RESULT_SHEETS", "comparison_workbook",
           "described", "design_workbook", "frontier_workbook", "result_workbook",
           "run_workbook", "to_excel"]

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
            ("layout", "Each sheet: its title, each column's machine name in small type (the "
                       "name in the CSV files), then its label with the filters. Totals sit "
                       "below the filtered rows, as SUM formulas. Percentages are true "
                       "fractions (12.5% is 0.125).")]
    defined = _glossary_notes(glossary_table(tables))
    keys = {key for key, _ in defined}
    rest = [(k, v) for k, v in column_notes(tables) if k not in keys]
    return rows + defined + rest


def _sources(scenario: Scenario) -> list[tuple[str, str]]:
    """Notes rows: where the scenario's data came from and under which licence."""
    source, licence = data_source(scenario, None, None)
    return [("source", source), ("licence", licence)]


def run_workbook(path: str | PathLike[str], tables: Mapping[str, pd.DataFrame], *,
                 title: str, described: str, names: Mapping[str, pd.Series] | None = None,
                 scenario: Scenario | None = None) -> None:
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
    scenario : Scenario, optional
        The simulated scenario: the Notes then say where its data came from and under
        which licence (NHS England's attribution for a scenario not the example).
    """
    shown = {key: tables[key] for key in RESULT_SHEETS if key in tables}
    notes = _notes(shown, title, described)
    if scenario is not None:
        notes[2:2] = _sources(scenario)
    write_workbook(path, {RESULT_SHEETS[k][0]: t for k, t in shown.items()},
                   notes=notes,
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
                 names=code_names(result.scenario.population.practices, names),
                 scenario=scenario)


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



# ------------------------------------------------------------------------------ designs
#: The sheets of :func:`design_workbook` → their titles (after "Design of <scenario>:").
DESIGN_SHEETS = {
    "Parameters": "the chosen policy's parameters",
    "Aims": "each aim on the search draws and on fresh draws",
    "Candidates": "every candidate searched, on the search draws",
    "Budgets": "budgets per practice under the chosen policy, the first year",
}
#: The sheets of :func:`frontier_workbook` → their titles (after "Frontier of <scenario>:").
FRONTIER_SHEETS = {
    "Frontier": "the candidates no other beats on both figures (the trade-off)",
    "Frontier candidates": "every candidate simulated for the frontier",
}
#: What a design's own columns mean (the Notes sheet) and their headings.
_DESIGN_COLUMNS = {
    "parameter": ("Parameter", "A policy parameter searched: a dotted path into the scenario "
                               "(as in the design file's [space])."),
    "value": ("Value", "The chosen value of the parameter, as the scenario holds it (shares "
                       "as fractions: 0.25 is 25%)."),
    "role": ("Role", "objective (the figure minimised or maximised) or constraint."),
    "aim": ("Aim", "The aim in words, with the metric's machine name and its bound."),
    "bound": ("Bound", "The constraint's bound, in the row's unit."),
    "search": ("On the search draws", "The figure for the chosen policy on the draws the "
                                      "search compared candidates on (common random "
                                      "numbers)."),
    "search_slack": ("Slack on the search draws", "How far inside its bound the figure is "
                                                  "on the search draws (negative: broken by "
                                                  "that much)."),
    "fresh": ("Mean on fresh draws", "The mean of the figure over the fresh simulations of "
                                     "the chosen policy (draws the search never saw)."),
    "fresh_se": ("Standard error (fresh draws)", "The standard error of that mean."),
    "fresh_sd": ("Spread of one simulation", "The standard deviation of the figure between "
                                             "single fresh simulations."),
    "fresh_slack": ("Slack on fresh draws", "How far inside its bound the fresh mean is "
                                            "(negative: broken by that much)."),
    "candidate": ("Candidate", "The candidate's number, in the order simulated."),
    "feasible": ("Meets every constraint", "Whether the candidate met every constraint."),
    "violation": ("Shortfall", "The relative shortfall summed over the constraints (0 when "
                               "every constraint is met)."),
    "chosen": ("Chosen", "The candidate the design chose."),
    "pareto": ("On the frontier", "Whether no other feasible candidate is at least as good "
                                  "on both figures and better on one."),
}
#: The fields of :attr:`Design.figures <pbcmodel.design.Design.figures>` measured in the
#: unit of their row's metric.
_MEASURED = ("bound", "search", "search_slack", "fresh", "fresh_se", "fresh_sd",
             "fresh_slack")


def _cell_text(value: object) -> object:
    """A choice that is a list (a cell holds one value) as its text; anything else as it is."""
    return str(list(value)) if isinstance(value, (list, tuple)) else value


def _in_units(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """``frame`` with its metric columns ``names`` as the tidy tables hold them (renamed to
    the glossary's column with its unit, pounds to the penny, probabilities as percentages,
    by :func:`~pbcmodel.reports.tables.comparison_table`); other columns unchanged, choices
    that are lists written as text."""
    rows = frame[list(names)].T
    rows.index = pd.Index([metric(name).term.name for name in names])
    long = comparison_table(rows)
    tidy = long[list(frame.index)].T.infer_objects()
    out = frame.map(_cell_text) if len(frame) else frame.copy()
    for name, column in zip(names, long.index, strict=True):
        out.insert(out.columns.get_loc(name), column, tidy[column].to_numpy())
        out = out.drop(columns=name)
    return out


def _aims_table(design: Design) -> pd.DataFrame:
    """:attr:`Design.figures` as a long table: each aim's figures in its metric's unit."""
    figures = design.figures
    values = figures[list(_MEASURED)].copy()
    values.index = pd.Index([metric(str(name)).term.name for name in figures["metric"]])
    table = comparison_table(values)
    table.insert(0, "role", figures["role"].to_numpy())
    table.insert(1, "aim", figures["aim"].to_numpy())
    return table


def _budgets_table(scenario: Scenario) -> pd.DataFrame:
    """A scenario's budgets with each practice's list size, small practices flagged."""
    table = budget_table(scenario.budgets())
    sizes = scenario.population.list_size
    table.insert(0, "list_size", [*sizes.reindex(table.index[:-1]).tolist(), int(sizes.sum())])
    return flag_small(table, sizes)


def _design_metrics(design: Design) -> list[str]:
    """The figures a design measured (its objective, then each constraint's)."""
    return list(dict.fromkeys(str(m) for m in design.figures["metric"]))


def _design_sheets(design: Design) -> dict[str, pd.DataFrame]:
    parameters = pd.DataFrame(
        {"value": [_cell_text(v) for v in design.parameters.values()]},
        index=pd.Index(list(design.parameters), name="parameter"))
    names = _design_metrics(design)
    return {"Parameters": parameters, "Aims": _aims_table(design),
            "Candidates": _in_units(design.candidates, names),
            "Budgets": _budgets_table(design.scenario)}


def _frontier_sheets(front: Frontier) -> dict[str, pd.DataFrame]:
    names = _frontier_metrics(front)
    return {"Frontier": _in_units(front.pareto, names),
            "Frontier candidates": _in_units(front.points, names)}


def _design_notes(tables: Mapping[str, pd.DataFrame], title: str, described: str,
                  scenario: Scenario, paths: Sequence[str], metrics: Sequence[str]
                  ) -> list[tuple[str, str]]:
    """The Notes of a design's or a frontier's workbook: what it is, where the data came
    from and under which licence, the design's own columns, then every figure's meaning."""
    own = [(column, text) for column, (_, text) in _DESIGN_COLUMNS.items()]
    policy = [(path, f"A policy parameter searched: {path} of the scenario (shares as "
                     "fractions: 0.25 is 25%).") for path in paths]
    figures = [(t.column, f"{t.label}: {t.sentence()}")
               for t in (metric(name).term for name in metrics)]
    rows = _notes(tables, title, described)
    return [*rows[:2], *_sources(scenario), *rows[2:3], *own, *policy, *figures, *rows[3:]]


def _design_labels(paths: Sequence[str], metrics: Sequence[str]) -> dict[str, str]:
    """Headings of a design's own columns, its parameters and its figures."""
    return {**{column: label for column, (label, _) in _DESIGN_COLUMNS.items()},
            **{path: "Policy: " + " › ".join(part.replace("_", " ") for part in path.split("."))
               for path in paths},
            **{t.column: t.label for t in (metric(name).term for name in metrics)}}


def _write_design(path: str | PathLike[str], sheets: Mapping[str, pd.DataFrame],
                  titles: Mapping[str, str], *, kind: str, described: str,
                  scenario: Scenario, paths: Sequence[str], metrics: Sequence[str],
                  names: Names) -> None:
    """Design or frontier sheets as one workbook, titled ``<kind> of <scenario>: ...``."""
    title = f"{kind} of {scenario.name}"
    write_workbook(path, sheets, notes=_design_notes(sheets, title, described, scenario,
                                                     paths, metrics),
                   titles={name: f"{title}: {titles[name]}" for name in sheets},
                   names=code_names(scenario.population.practices, names),
                   labels=_design_labels(paths, metrics))


def _frontier_metrics(front: Frontier) -> list[str]:
    """The figures a frontier measured (its two, then any constraint's)."""
    return [str(c) for c in front.points.columns if c not in (*front.paths, "feasible", "pareto")]


def _design_words(design: Design) -> str:
    return (f"{design.evaluations} candidates × {design.n:,} simulations × {design.years} "
            f"year(s), seed {design.seed}, method {design.method}; fresh draws: "
            f"{design.replicates} × {design.final_n:,} simulations; "
            + ("every constraint met on the search draws" if design.feasible else
               "no candidate met every constraint: the least-violating one is shown"))


def _frontier_words(front: Frontier) -> str:
    return (f"{front.x} against {front.y}: {int(front.points['pareto'].sum())} of "
            f"{len(front.points)} candidates on the frontier; {front.n:,} simulations × "
            f"{front.years} year(s), seed {front.seed}")


def design_workbook(design: Design, path: str | PathLike[str], *,
                    frontier: Frontier | None = None, names: Names = None) -> None:
    """Write a policy design's tables as one workbook (``pbcmodel design --format xlsx``).

    Sheets (:data:`DESIGN_SHEETS`): the chosen parameters; each aim (the objective, then
    each constraint) on the search draws and on fresh draws, one row per aim in its
    metric's unit (pounds, or a probability as a true fraction with a ``%`` format); every
    candidate searched; the budgets under the chosen policy, small practices flagged; with
    ``frontier``, its sheets too (:data:`FRONTIER_SHEETS`); and the Notes. Laid out as
    :func:`~pbcmodel.reports.workbook.write_workbook` lays out every sheet.

    Parameters
    ----------
    design : Design
        :func:`pbcmodel.design.optimise`'s result.
    path : path
        The ``.xlsx`` file to write (stage it, or use :func:`to_excel`).
    frontier : Frontier, optional
        :func:`pbcmodel.design.frontier`'s result over the same scenario.
    names : mapping, Series or WeightedPopulations, optional
        Practice code → name, as for :func:`result_workbook`.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example(high_cost_threshold=None)
    >>> design = pbc.design.optimise(scn, {"overspend.practice_share": (0.0, 1.0, 0.5)},
    ...                              n=100, method="normal", max_evaluations=8, replicates=2)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.xlsx"
    >>> design_workbook(design, path)
    >>> book = openpyxl.load_workbook(path)
    >>> book.sheetnames
    ['Parameters', 'Aims', 'Candidates', 'Budgets', 'Notes']
    >>> book["Aims"]["A4"].value, book["Aims"]["D4"].number_format
    ('commissioner_tvar95_all_years_gbp', '£#,##0.00;[Red]-£#,##0.00')
    """
    sheets = _design_sheets(design)
    titles = dict(DESIGN_SHEETS)
    described = _design_words(design)
    paths, metrics = list(design.parameters), _design_metrics(design)
    if frontier is not None:
        sheets.update(_frontier_sheets(frontier))
        titles.update(FRONTIER_SHEETS)
        described += "; frontier: " + _frontier_words(frontier)
        paths += [p for p in frontier.paths if p not in paths]
        metrics += [m for m in _frontier_metrics(frontier) if m not in metrics]
    _write_design(path, sheets, titles, kind="Design", described=described,
                  scenario=design.scenario, paths=paths, metrics=metrics, names=names)


def frontier_workbook(frontier: Frontier, path: str | PathLike[str], *,
                      names: Names = None) -> None:
    """Write a trade-off frontier's tables as one workbook: the candidates on the frontier
    (sorted by its first figure), every candidate, and the Notes (:data:`FRONTIER_SHEETS`).

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example(high_cost_threshold=None)
    >>> front = pbc.design.frontier(scn, {"overspend.practice_share": [0.0, 0.5, 1.0]},
    ...                             n=100, method="normal")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "f.xlsx"
    >>> frontier_workbook(front, path)
    >>> ws = openpyxl.load_workbook(path)["Frontier"]
    >>> [c.value for c in ws[2]][:3]
    ['candidate', 'overspend.practice_share', 'commissioner_tvar95_all_years_gbp']
    """
    _write_design(path, _frontier_sheets(frontier), FRONTIER_SHEETS, kind="Frontier",
                  described=_frontier_words(frontier), scenario=frontier.base,
                  paths=frontier.paths, metrics=_frontier_metrics(frontier), names=names)


# ---------------------------------------------------------------------------- to_excel
#: What :func:`to_excel` writes, by the kind of result.
_WRITERS: tuple[tuple[type, Callable[..., None]], ...] = (
    (SimulationResult, result_workbook), (Design, design_workbook),
    (Frontier, frontier_workbook))


def _workbook_path(path: object) -> Path:
    """``path`` as an ``.xlsx`` file in a folder that exists, or ``ValidationError`` naming it."""
    if not isinstance(path, (str, PathLike)) or not str(path).strip():
        raise ValidationError(f"path: expected the path of an .xlsx file, got {path!r}")
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ValidationError(f"path: {str(target)!r} must end in .xlsx (an Excel workbook)")
    folder = target.parent
    if folder.is_file():
        raise ValidationError(f"path: {str(folder)!r} is a file, not a folder; nothing "
                              "written")
    if not folder.is_dir():
        raise ValidationError(f"path: the folder {str(folder)!r} does not exist; make it "
                              "first (nothing written)")
    return target


def to_excel(subject: SimulationResult | Design | Frontier, path: str | PathLike[str], *,
             force: bool = False, names: Names = None) -> Path:
    """Write a simulation's, a design's or a frontier's tables as one workbook, whole.

    The workbook is :func:`result_workbook`'s, :func:`design_workbook`'s or
    :func:`frontier_workbook`'s. It is written to a temporary file beside ``path`` and
    moved into place when complete (:func:`pbcmodel.io.output_folder.atomic_file`), so
    nothing else appears in the folder, and on any failure nothing at all.

    Parameters
    ----------
    subject : SimulationResult, Design or Frontier
        ``scenario.simulate(...)``, :func:`pbcmodel.design.optimise` or
        :func:`pbcmodel.design.frontier`.
    path : path
        The ``.xlsx`` file, in a folder that exists (no folder is made).
    force : bool
        Replace an existing file.
    names : mapping, Series or WeightedPopulations, optional
        Practice code → name (as for :func:`result_workbook`).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValidationError
        A path that is not an ``.xlsx`` file in an existing folder (a folder that does not
        exist, a file where the folder should be, a folder at ``path``), an existing file
        without ``force``, or a subject of another kind; before anything is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pbcmodel as pbc
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> to_excel(pbc.Scenario.example().simulate(n=50, seed=1), folder / "run.xlsx").name
    'run.xlsx'
    >>> [p.name for p in folder.iterdir()]
    ['run.xlsx']
    >>> to_excel(pbc.Scenario.example().simulate(n=50, seed=1), folder / "no" / "run.xlsx")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: path: the folder '.../no' does not exist; make it first ...
    """
    writer = next((write for kind, write in _WRITERS if isinstance(subject, kind)), None)
    if writer is None:
        raise ValidationError("subject: expected a SimulationResult, a Design or a Frontier, "
                              f"got {type(subject).__name__}")
    target = _workbook_path(path)
    with atomic_file(target, force=force, what="path") as staging:
        writer(subject, staging, names=names)
    return target
