"""The tables and figures of a simulation, as ``pbcmodel run`` and ``pbcmodel demo`` write them.

One path for every command that writes a simulation's outputs: :func:`run_outputs` builds
the tidy tables (:mod:`pbcmodel.reports.tables`: a named index column, integer counts,
money to the penny with totals that add up, ``_pct`` columns, bands as "3,000–5,999",
units in the column names) with the glossary of every column shown, and the figures
(:mod:`pbcmodel.plot.simulation`: captions with the scenario, simulations, years and seed,
£k/£m ticks, a warning where too few runs lie beyond a quantile); :func:`write_outputs`
writes them into a folder (normally the staging folder of
:func:`pbcmodel.io.output_folder.atomic_folder`, so they appear whole or not at all).

Examples
--------
>>> import pbcmodel as pbc
>>> scn = pbc.Scenario.example()
>>> out = run_outputs(scn.simulate(n=50, seed=1), scn, figures=False)
>>> sorted(out)
['budgets', 'by_list_size', 'glossary', 'metrics', 'summary']
>>> output_files(out, "csv")[:2]
['budgets.csv', 'metrics.csv']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..io.output_folder import table_names, write_tables
from ..scenario import Scenario, SimulationResult
from ..weighted import WeightedPopulations
from .column_labels import code_names, with_names
from .tables import (
    budget_table,
    by_list_size_table,
    glossary_table,
    has_total,
    list_size_bands,
    metrics_table,
    split_totals,
    summary_table,
)

__all__ = ["FIGURE_DPI", "FIGURE_SIZE", "RUN_FIGURES", "RUN_TABLES", "TOTALS",
           "new_figure", "output_files", "run_figures", "run_outputs", "save_figures",
           "save_run_figures", "split_outputs", "write_outputs"]

#: The tables of :func:`run_outputs`, in the order they are written.
RUN_TABLES = ("budgets", "metrics", "summary", "by_list_size", "glossary")
#: The file (stem) that holds the tables' totals in CSV and Parquet
#: (:func:`~pbcmodel.reports.tables.split_totals`).
TOTALS = "totals"
#: The formats whose tables carry no total row: a reader summing a column sums it once.
_TIDY_FORMATS = ("csv", "parquet")
#: The figures of :func:`run_outputs` (``kind`` of :func:`pbcmodel.plot.simulation.plot_result`).
RUN_FIGURES = ("list_size", "net", "commissioner")
#: Size (inches) and resolution of a written figure: 840 × 540 pixels.
FIGURE_SIZE = (7.0, 4.5)
FIGURE_DPI = 120


def run_outputs(result: SimulationResult, scenario: Scenario, *, figures: bool = True,
                budgets: pd.DataFrame | None = None,
                names: WeightedPopulations | Mapping[str, Any] | None = None
                ) -> dict[str, Any]:
    """The tables and figures of a simulation, for ``pbcmodel run`` and the demo to write.

    Parameters
    ----------
    result : SimulationResult
        ``scenario.simulate(...)``.
    scenario : Scenario
        The simulated scenario (for its budgets).
    figures : bool
        Include the figures (matplotlib ``Figure`` objects; needs ``pbcmodel[plot]``).
    budgets : DataFrame, optional
        The budgets to show (practice × parts plus ``total``, pounds); default
        ``scenario.budgets()``.
    names : WeightedPopulations or mapping, optional
        Names of the codes besides those the population carries
        (:func:`pbcmodel.reports.column_labels.code_names`: NHS England's weighted
        populations name practices and places). The metrics table shows each named code's
        name in a ``<level>_name`` column after its code.

    Returns
    -------
    dict
        Name → tidy DataFrame (``budgets``, ``metrics``, ``summary``, ``by_list_size``,
        ``glossary``: the definition of every column; ``metrics`` flags practices of fewer
        than :data:`~pbcmodel.reports.tables.SMALL_PRACTICE` patients ``small`` beside
        their list size, and ``by_list_size`` shows no figures per head for them, each
        saying so in its ``attrs["notes"]``) or, with ``figures``, name →
        matplotlib Figure (``list_size``, ``net``, ``commissioner``). Add tables of your own
        and call :func:`pbcmodel.reports.tables.glossary_table` again to define their
        columns too; write everything with :func:`write_outputs`.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> out = run_outputs(scn.simulate(n=50, seed=1), scn, figures=False)
    >>> out["summary"].loc["simulations", "value"], out["budgets"].index[-1]
    (50, 'total')
    """
    sizes = scenario.population.list_size
    named = code_names(scenario.population.practices, names)
    tables: dict[str, Any] = {
        "budgets": budget_table(scenario.budgets() if budgets is None else budgets),
        "metrics": _named(metrics_table(result.metrics()), named),
        "summary": summary_table(result.summary()),
        "by_list_size": by_list_size_table(result.by_list_size(list_size_bands(sizes))),
    }
    tables["glossary"] = glossary_table(tables)
    return {**tables, **run_figures(result)} if figures else tables


def _named(table: pd.DataFrame, names: Mapping[str, pd.Series]) -> pd.DataFrame:
    """A per-practice table with the names of its codes beside them (none: unchanged)."""
    if not names:
        return table
    index = table.index.name
    out = with_names(table.reset_index(), names).set_index(index)
    out.attrs = dict(table.attrs)
    return out


def run_figures(result: Any, kinds: Iterable[str] = RUN_FIGURES) -> dict[str, Any]:
    """The figures of a simulation (:data:`RUN_FIGURES`), as matplotlib Figures.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> figures = run_figures(pbc.Scenario.example().simulate(n=50, seed=1))
    >>> sorted(figures)
    ['commissioner', 'list_size', 'net']
    """
    return {kind: new_figure(lambda ax, kind=kind: result.plot(kind=kind, ax=ax))
            for kind in kinds}


def new_figure(draw: Any, size: tuple[float, float] = FIGURE_SIZE) -> Any:
    """A matplotlib Figure (not registered with pyplot, so nothing is left open) laid out
    so nothing is cut off, with ``draw(ax)`` drawn on its one axes.

    Examples
    --------
    >>> fig = new_figure(lambda ax: ax.plot([1, 2]))
    >>> type(fig).__name__, len(fig.axes)
    ('Figure', 1)
    """
    from ..errors import require

    require("matplotlib", "plot", "figures")
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    draw(fig.subplots())
    return fig


def _is_table(value: Any) -> bool:
    return isinstance(value, pd.DataFrame | pd.Series)


def output_files(outputs: Mapping[str, Any] | Iterable[str], format: str = "csv",
                 figures: Iterable[str] = ()) -> list[str]:
    """The file names :func:`write_outputs` writes: tables in ``format``, figures as PNG.

    ``outputs`` is the mapping from :func:`run_outputs` (tables and figures told apart by
    type) or the names of tables, with the names of ``figures`` given separately. In CSV
    and Parquet the tables' totals are a file of their own (:data:`TOTALS`,
    :func:`~pbcmodel.reports.tables.split_totals`): with names, it is listed as a file
    that may be written.

    Examples
    --------
    >>> output_files(["budgets", "summary"], "parquet", figures=["net"])
    ['budgets.parquet', 'summary.parquet', 'totals.parquet', 'net.png']
    """
    if isinstance(outputs, Mapping):
        tables, drawn = split_outputs(outputs)
        figures = [*figures, *drawn]
        totals = any(has_total(t) for t in tables.values())
    else:
        tables = dict.fromkeys(outputs)
        totals = True
    if totals and format in _TIDY_FORMATS:
        tables = {**tables, TOTALS: None}
    return [*table_names(tables, format), *(f"{name}.png" for name in figures)]


def split_outputs(outputs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tables and the figures of :func:`run_outputs`, apart.

    Examples
    --------
    >>> import pandas as pd
    >>> tables, figures = split_outputs({"t": pd.DataFrame(), "f": object()})
    >>> list(tables), list(figures)
    (['t'], ['f'])
    """
    tables = {name: value for name, value in outputs.items() if _is_table(value)}
    return tables, {name: value for name, value in outputs.items() if name not in tables}


def save_figures(figures: Mapping[str, Any], folder: str | Path) -> list[str]:
    """Save matplotlib figures as ``<name>.png`` (840 × 540 pixels) in a folder; return the
    file names.

    Examples
    --------
    >>> import tempfile
    >>> save_figures({"line": new_figure(lambda ax: ax.plot([1, 2]))}, tempfile.mkdtemp())
    ['line.png']
    """
    for name, fig in figures.items():
        _save(fig, Path(folder) / f"{name}.png")
    return [f"{name}.png" for name in figures]


def _save(fig: Any, path: Path) -> None:
    fig.savefig(path, dpi=FIGURE_DPI)


def save_run_figures(result: Any, paths: Mapping[str, Path]) -> list[str]:
    """Draw the figures of a simulation, one at a time, and save each as PNG at its path.

    Parameters
    ----------
    result : SimulationResult
    paths : mapping
        Kind of figure (of :data:`RUN_FIGURES`) → the PNG file to write.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pbcmodel as pbc
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> save_run_figures(pbc.Scenario.example().simulate(n=50, seed=1),
    ...                  {"net": folder / "net.png"})
    ['net.png']
    """
    for kind, path in paths.items():
        _save(run_figures(result, [kind])[kind], Path(path))
    return [Path(path).name for path in paths.values()]


def write_outputs(outputs: Mapping[str, Any], folder: str | Path, *,
                  format: str = "csv") -> list[str]:
    """Write the tables (in ``format``) and figures (PNG) of :func:`run_outputs` into a
    folder; return the names of the files written.

    Tables go through :func:`pbcmodel.io.output_folder.write_tables` (whole or not at all), with
    their index as the first column; figures through :func:`save_figures`. In CSV and
    Parquet no table has a ``total`` row (summing its column would count everything
    twice): the totals are written apart, in ``totals.csv``
    (:func:`~pbcmodel.reports.tables.split_totals`); a workbook keeps its totals below the
    filtered rows. Call it on the staging folder of
    :func:`pbcmodel.io.output_folder.atomic_folder` so the folder's files appear as a set.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> t = pd.DataFrame({"total_gbp": [1.5]}, index=pd.Index(["A"], name="practice"))
    >>> folder = tempfile.mkdtemp()
    >>> write_outputs({"budgets": t}, folder)
    ['budgets.csv']
    >>> print(open(f"{folder}/budgets.csv").read().strip())   # pounds with their pence
    practice,total_gbp
    A,1.50
    >>> t = pd.DataFrame({"total_gbp": [1.5, 2.25, 3.75]},
    ...                  index=pd.Index(["A", "B", "total"], name="practice"))
    >>> write_outputs({"budgets": t}, tempfile.mkdtemp())
    ['budgets.csv', 'totals.csv']
    """
    tables, figures = split_outputs(outputs)
    if format in _TIDY_FORMATS:
        tables, totals = split_totals(tables)
        if totals is not None:
            tables[TOTALS] = totals
    if format == "csv":
        tables = {name: _pounds_as_written(t) for name, t in tables.items()}
    written = [p.name for p in write_tables(tables, folder, format=format)] if tables else []
    return written + save_figures(figures, folder)


def _pounds_as_written(table: Any) -> Any:
    """A table with its ``*_gbp`` columns as text with two decimals (``2681217000.00``, not
    ``2681217000.0``), as a finance reader expects pounds in a CSV; missing stays empty."""
    money = [c for c in getattr(table, "columns", []) if str(c).endswith("_gbp")
             and pd.api.types.is_float_dtype(table[c])]
    if not money:
        return table
    table = table.copy()
    for column in money:
        table[column] = table[column].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    return table
