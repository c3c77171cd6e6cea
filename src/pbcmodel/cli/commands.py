"""The commands ``budgets``, ``run`` and ``compare`` of the ``pbcmodel`` command line (``demo``
is in :mod:`pbcmodel.cli.demo`).

Each command is registered in :data:`COMMANDS` as (help text, argument builder, handler).
Every command checks before it computes: its output path (not a file where a folder is
wanted, writable, existing outputs only with ``--force``), the optional extras its outputs
need, and for a simulation the memory it will use. Outputs are written whole or not at all
(:func:`pbcmodel.io.output_folder.atomic_folder`, :func:`~pbcmodel.io.output_folder.atomic_file`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from .. import datasets
from .._version import __version__
from ..capitation import CapitationFormula
from ..errors import PBCModelError, ValidationError, require
from ..io import read_registered_patients
from ..io.files import read_csv_file
from ..io.output_folder import atomic_file, atomic_folder, check_format
from ..money import pounds
from ..number_text import parse_column
from ..reports.board_report import board_pdf, board_report, require_chromium
from ..reports.column_labels import code_names
from ..reports.outputs import (
    RUN_FIGURES,
    RUN_TABLES,
    output_files,
    run_outputs,
    write_outputs,
)
from ..reports.outputs import save_run_figures as _save_figures  # a step tests can break
from ..reports.result_workbook import comparison_workbook, described, run_workbook
from ..reports.tables import budget_table, comparison_table, split_totals, text_table
from ..reports.tables import explanation_text as format_explanation  # the old name
from ..scenario import Scenario, load_scenario
from ..scenario.memory import check_simulation_memory
from ..scenario.simulation import DEFAULT_YEARS, SimulationResult
from ..scenario.variants import compare
from ..validation import require_columns
from .parsing import choice, count, money, seed

__all__ = ["COMMANDS", "budget_summary", "format_explanation"]

#: The formats ``pbcmodel run`` writes its tables in: files of one format, or one workbook
#: (``xlsx``, laid out by :func:`pbcmodel.reports.result_workbook.run_workbook`), or both
#: the CSV files and the workbook.
RUN_FORMATS = ("csv", "parquet", "xlsx", "both")
#: The formats ``pbcmodel compare --out`` writes the comparison in.
COMPARE_FORMATS = ("csv", "xlsx", "both")
#: The workbook of ``run`` and of ``compare``.
RUN_WORKBOOK = "results.xlsx"
COMPARE_WORKBOOK = "comparison.xlsx"
#: What ``pbcmodel run --report`` writes: ``html`` the board report as one web page
#: (:func:`pbcmodel.reports.board_report.board_report`), ``pdf`` the page and its PDF
#: (printed by headless Chromium, checked before any work).
REPORT_FORMATS = ("html", "pdf")
BOARD_FILES = ("board_report.html", "board_report.pdf")
#: Every file ``pbcmodel run`` may write, in any format: ``--force`` replaces them as a set.
RUN_FILES = frozenset([*(name for fmt in ("csv", "parquet")
                         for name in output_files(RUN_TABLES, fmt, RUN_FIGURES)),
                       "report.txt", RUN_WORKBOOK, *BOARD_FILES])
#: Every file ``pbcmodel compare --out`` may write.
COMPARE_FILES = frozenset(["comparison.csv", COMPARE_WORKBOOK])
#: Simulated years: ``run`` and ``compare`` default to three, as Python's ``simulate`` and
#: ``compare`` do (:data:`pbcmodel.scenario.simulation.DEFAULT_YEARS`), so that overspends
#: recovered from later budgets fall inside the horizon; at most a century.
MAX_YEARS = 100


def budget_summary(budgets: pd.DataFrame, practices: pd.DataFrame) -> pd.DataFrame:
    """Per consortium: practices, patients, budget and budget per head (pounds).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> pop = pbc.datasets.example_population()
    >>> f = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights())
    >>> budget_summary(f.budgets(pop, 510e6), pop.practices).loc["C1", "practices"]
    np.int64(15)
    """
    frame = practices[["consortium", "list_size"]].join(budgets["total"].rename("budget"))
    out = frame.groupby("consortium").agg(practices=("list_size", "size"),
                                          patients=("list_size", "sum"),
                                          budget=("budget", "sum"))
    out.loc["total"] = out.sum()
    out["per_head"] = out["budget"] / out["patients"]
    return out


def format_summary(summary: pd.DataFrame) -> str:
    shown = summary.copy()
    shown["patients"] = shown["patients"].map("{:,.0f}".format)
    shown["budget"] = shown["budget"].map(pounds)
    shown["per_head"] = shown["per_head"].map("£{:,.2f}".format)
    return shown.to_string()


def _cmd_budgets(args: argparse.Namespace) -> int:
    out = Path(args.out)
    inputs = [Path(p) for p in (args.population, args.consortia, args.weights) if p]
    if any(out.exists() and p.exists() and out.samefile(p) for p in inputs):
        raise ValidationError(f"--out: {str(out)!r} is one of the input files; choose another "
                              "file to write")
    with atomic_file(out, force=args.force, what="--out") as staging:   # checked first
        pop = read_registered_patients(args.population, consortia=args.consortia)
        weights = (datasets.example_cost_weights() if args.weights is None
                   else _read_weights(args.weights))
        formula = _checked(lambda: CapitationFormula(weights=weights), f"--weights {args.weights}")
        budgets = formula.budgets(pop, resource=args.resource)
        tidy_budgets, _ = split_totals({"budgets": budget_table(budgets)})  # no total row:
        tidy_budgets["budgets"].to_csv(staging)   # to the penny; the total is printed below
    print(format_summary(budget_summary(budgets, pop.practices)))
    print(f"\nWrote {out}")
    return 0


def _read_weights(path: str) -> pd.DataFrame:
    """Cost weights from a CSV: columns age_band, sex and one column of numbers per POD."""
    what = f"--weights {path!r}"
    frame = read_csv_file(path, "--weights")
    require_columns(frame, ("age_band", "sex"), what)
    pods = [c for c in frame.columns if c not in ("age_band", "sex")]
    if not pods:
        raise ValidationError(f"{what}: no POD columns; expected age_band, sex and one column "
                              "of weights (pounds per head) per POD")
    values = pd.DataFrame({pod: parse_column(frame[pod], _weight_cell(what, pod),
                                             unit="a number (pounds per head)", blank="error")
                           for pod in pods}, index=frame.index)
    values.index = pd.MultiIndex.from_frame(frame[["age_band", "sex"]])
    return values


def _weight_cell(what: str, pod: str) -> Callable[[int], str]:
    return lambda i: f"{what}: row {i + 2}, column {pod!r}"


def _checked(make: Callable[[], CapitationFormula], source: str) -> CapitationFormula:
    """Build from a user's file; an error says which file."""
    try:
        return make()
    except PBCModelError as exc:
        raise ValidationError(f"{source}: {exc}") from exc


def _run_report(source: str, scn: Scenario, result: SimulationResult,
                outputs: dict[str, pd.DataFrame]) -> str:
    lines = [f"pbcmodel {__version__}: scenario {scn.name!r} from {source}", ""]
    lines += [f"- {line}" for line in scn.describe()]
    lines += ["", f"{result.n:,} simulations × {result.years} year(s), seed {result.seed}", "",
              "Headline figures, one block per period (pounds)",
              text_table(outputs["summary"]), "",
              "Outcomes by list size (yearly practice amount, £ per registered patient)",
              text_table(outputs["by_list_size"], labels=True)]
    lines += _horizon_note(result)
    return "\n".join(lines) + "\n"


def _horizon_note(result: SimulationResult) -> list[str]:
    """Say plainly when overspends are still to be recovered after the last simulated year."""
    still_owed = float(result.carried_pence[:, -1].mean()) / 100
    if still_owed <= 0:
        return []
    return ["", f"Note: on average {pounds(still_owed)} of overspend is still to be recovered "
                f"from budgets after year {result.years}; those recoveries are not in the "
                "figures above. Simulate more --years to include them."]


def _formats(chosen: str) -> tuple[list[str], bool]:
    """The table file formats and whether a workbook is written, for ``--format``; the
    extras they need checked before any work."""
    files = {"both": ["csv"], "xlsx": []}.get(chosen, [chosen])
    for fmt in files:
        check_format(fmt, "--format")
    workbook = chosen in ("xlsx", "both")
    if workbook:
        require("openpyxl", "reports", "Excel workbooks")
    return files, workbook


def _cmd_run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    files, workbook = _formats(args.format)        # extras for every output, before any work
    require("matplotlib", "plot", "the figures of pbcmodel run")
    if args.report == "pdf":
        require_chromium()
    with atomic_folder(out, force=args.force, replaces=RUN_FILES, what="--out") as staging:
        scn = load_scenario(args.scenario)
        check_simulation_memory(args.n, scn.population.n_practices, args.years,
                                workers=os.cpu_count() or 1)
        result = scn.simulate(n=args.n, years=args.years, seed=args.seed)
        tables = run_outputs(result, scn, figures=False)
        text = _run_report(args.scenario, scn, result, tables)
        written = [name for fmt in files for name in write_outputs(tables, staging, format=fmt)]
        if workbook:
            run_workbook(staging / RUN_WORKBOOK, tables, title=f"Simulation of {scn.name}",
                         described=described(result),
                         names=code_names(scn.population.practices), scenario=scn)
            written.append(RUN_WORKBOOK)
        written += _save_figures(result, {k: staging / f"{k}.png" for k in RUN_FIGURES})
        written += _board_files(result, staging, args.report)
        (staging / "report.txt").write_text(text, encoding="utf-8")
    print(text)
    print("Wrote " + ", ".join(str(out / name) for name in [*written, "report.txt"]))
    return 0


def _board_files(result: SimulationResult, staging: Path, chosen: str | None) -> list[str]:
    """The board report of ``run --report`` (none without it) in ``staging``."""
    if chosen is None:
        return []
    page = board_report(result, staging / BOARD_FILES[0])
    if chosen == "pdf":
        board_pdf(page, staging / BOARD_FILES[1])
    return list(BOARD_FILES[:REPORT_FORMATS.index(chosen) + 1])


def _cmd_compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise ValidationError("compare: give at least two scenario files")
    scenarios = [load_scenario(path) for path in args.scenarios]
    check_simulation_memory(args.n, max(scn.population.n_practices for scn in scenarios),
                            args.years, scenarios=len(scenarios), workers=os.cpu_count() or 1)
    names = [scn.name for scn in scenarios]
    if len(set(names)) < len(names):   # label by file instead (and by position if need be)
        stems = [Path(path).stem for path in args.scenarios]
        labels = (stems if len(set(stems)) == len(stems)
                  else [f"{stem} ({i})" for i, stem in enumerate(stems, 1)])
        scenarios = [scn.evolve(name=label)
                     for scn, label in zip(scenarios, labels, strict=True)]
    run = f"{args.n:,} simulations × {args.years} year(s), seed {args.seed}"
    with _compare_folder(args) as staging:          # checked before the simulations
        table = compare(scenarios, n=args.n, years=args.years, seed=args.seed)
        written = [] if staging is None else _write_comparison(table, staging, args.format,
                                                               run)
    print(f"{run}; pounds, one block per period")
    if not table.attrs["common_outturns"]:
        print("note: the scenarios differ in what drives spend (population, cost model, "
              "high-cost threshold, shock or growth), so their outturns differ too")
    print(text_table(comparison_table(table)))
    if written:
        print("Wrote " + ", ".join(str(Path(args.out) / name) for name in written))
    return 0


@contextlib.contextmanager
def _compare_folder(args: argparse.Namespace) -> Iterator[Path | None]:
    """The staging folder of ``compare --out`` (None without ``--out``), its formats'
    extras and the folder checked on entry."""
    if args.out is None:
        if args.format is not None:
            raise ValidationError("--format: give --out, the folder to write the comparison "
                                  "in")
        yield None
        return
    _formats(args.format or "csv")
    with atomic_folder(Path(args.out), force=args.force, replaces=COMPARE_FILES,
                       what="--out") as staging:
        yield staging


def _write_comparison(table: pd.DataFrame, staging: Path, chosen: str | None,
                      run: str) -> list[str]:
    """The comparison as ``comparison.csv`` and/or ``comparison.xlsx`` in ``staging``."""
    files, workbook = _formats(chosen or "csv")
    written = [name for fmt in files
               for name in write_outputs({"comparison": comparison_table(table)}, staging,
                                         format=fmt)]
    if workbook:
        comparison_workbook(staging / COMPARE_WORKBOOK, table, described=run)
        written.append(COMPARE_WORKBOOK)
    return written


#: Sub-command name → (help, function that adds its arguments, handler).
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace], int]]] = {}


def _budgets_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--population", required=True,
                   help="NHS Digital gp-reg-pat-prac-quin-age.csv layout")
    p.add_argument("--consortia", help="CSV with columns practice, consortium")
    p.add_argument("--weights", help="CSV of cost weights: age_band, sex, one column per POD "
                                     "(default: the embedded example weights)")
    p.add_argument("--resource", required=True, type=money("--resource"),
                   help="resource to devolve, pounds")
    p.add_argument("--out", required=True, help="CSV file to write (checked before the input "
                                                "is read; written whole or not at all)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")


def _simulation_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=count("--n"), default=10_000,
                   help="simulations (default %(default)s; refused before it starts if it "
                        "would not fit in memory)")
    p.add_argument("--years", type=count("--years", maximum=MAX_YEARS), default=DEFAULT_YEARS,
                   help=f"simulated years, 1 to {MAX_YEARS} (default %(default)s, so that "
                        "overspends recovered from later years' budgets are counted)")
    p.add_argument("--seed", type=seed("--seed"), default=0,
                   help="random seed, a whole number >= 0 (default %(default)s)")


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario file (.toml or .json)")
    p.add_argument("--out", required=True,
                   help="output folder (made if needed; it appears only when every file is "
                        "written, and other files in it are left alone)")
    _simulation_args(p)
    p.add_argument("--format", type=choice("--format", RUN_FORMATS), default="csv",
                   help="table format (default %(default)s; parquet needs pyarrow; xlsx "
                        f"writes the tables as one workbook, {RUN_WORKBOOK}, and both "
                        "the CSV files and the workbook)")
    p.add_argument("--report", nargs="?", const="html", default=None,
                   type=choice("--report", REPORT_FORMATS),
                   help=f"also write the board report: {BOARD_FILES[0]} (--report, or "
                        f"--report html), or the page and {BOARD_FILES[1]} (--report pdf, "
                        "printed by Chromium: apt-get install chromium)")
    p.add_argument("--force", action="store_true",
                   help="replace a previous run's files in --out, all of them as a set")


def _compare_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="two or more scenario files (.toml or .json)")
    _simulation_args(p)
    p.add_argument("--out", help="a folder to write the comparison in as well (made if "
                                 "needed; it appears only when every file is written)")
    p.add_argument("--format", type=choice("--format", COMPARE_FORMATS), default=None,
                   help="with --out: comparison.csv (csv, the default), the workbook "
                        f"{COMPARE_WORKBOOK} (xlsx) or both")
    p.add_argument("--force", action="store_true",
                   help="replace a previous comparison's files in --out")


COMMANDS["budgets"] = ("set capitation budgets for a registered-patient file",
                       _budgets_args, _cmd_budgets)
COMMANDS["run"] = ("simulate a scenario file: tables, figures and a short report",
                   _run_args, _cmd_run)
COMMANDS["compare"] = ("simulate scenario files on common random numbers, side by side",
                       _compare_args, _cmd_compare)
