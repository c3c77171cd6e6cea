"""The command ``pbcmodel design``: find the policy that meets stated aims, and the trade-off.

``pbcmodel design SCENARIO.toml --space SPACE.toml --out DIR`` reads a scenario and a design
file (:func:`pbcmodel.design.load_design_spec`: the search space, the objective,
the constraints and the frontier's two metrics), runs
:func:`~pbcmodel.design.optimise` and :func:`~pbcmodel.design.frontier`,
and writes into ``DIR``, whole or not at all: ``scenario.toml`` (the chosen scenario,
loadable by ``pbcmodel run``), ``design.csv`` (each aim on the search and on fresh draws),
``candidates.csv`` (every candidate searched), ``frontier.csv`` and ``frontier.png``, and
``report.txt``. ``--format xlsx`` writes the tables as one workbook, ``design.xlsx``
(:func:`pbcmodel.reports.result_workbook.design_workbook`: the chosen parameters, the aims,
the candidates, the budgets and the frontier, laid out as every pbcmodel workbook), instead
of the CSV files; ``--format both`` writes both. When no candidate meets every constraint
nothing is written: the command names the least-violating candidate and by how much it
misses, and exits with status 2.

Examples
--------
>>> from pbcmodel.cli import build_parser
>>> args = build_parser().parse_args(["design", "s.toml", "--space", "space.toml",
...                                   "--out", "designed", "--max-evaluations", "40"])
>>> args.space, args.max_evaluations, args.n, args.format
('space.toml', 40, 2000, 'csv')
>>> args.years   # DEFAULT_YEARS, as run
3
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from pathlib import Path

from .._version import __version__
from ..design import Design, DesignWarning, Frontier, frontier, load_design_spec, optimise
from ..errors import ValidationError, require
from ..io.output_folder import atomic_folder
from ..reports.result_workbook import design_workbook
from ..scenario import load_scenario
from ..scenario.simulation import DEFAULT_YEARS
from .parsing import choice, count, seed

__all__ = ["COMMANDS", "DESIGN_FILES", "DESIGN_FORMATS", "DESIGN_OUTPUTS", "DESIGN_TABLES",
           "DESIGN_WORKBOOK"]

#: Files written by ``pbcmodel design`` with the default ``--format csv``.
DESIGN_OUTPUTS = ("scenario.toml", "design.csv", "candidates.csv", "frontier.csv",
                  "frontier.png", "report.txt")
#: The tables' CSV files (``--format csv`` or ``both``).
DESIGN_TABLES = ("design.csv", "candidates.csv", "frontier.csv")
#: The tables as one workbook (``--format xlsx`` or ``both``).
DESIGN_WORKBOOK = "design.xlsx"
#: Every file ``pbcmodel design`` may write, in any format (replaced as a set with ``--force``).
DESIGN_FILES = (*DESIGN_OUTPUTS, DESIGN_WORKBOOK)
#: The formats of ``--format``.
DESIGN_FORMATS = ("csv", "xlsx", "both")


def _report(args: argparse.Namespace, design: Design, front: Frontier,
            notes: list[str]) -> str:
    lines = [f"pbcmodel {__version__}: design of {design.scenario.name!r} from "
             f"{args.scenario} over {args.space}", ""]
    lines += [f"- {line}" for line in design.describe()]
    lines += ["", "Aims on the search draws and on fresh draws (metric units)",
              design.figures.drop(columns=["metric"]).to_string(float_format="{:,.6g}".format),
              "", f"Frontier: {front.x} against {front.y}, "
              f"{int(front.points['pareto'].sum())} non-dominated of {len(front.points)} "
              "candidates",
              front.pareto.to_string(float_format="{:,.6g}".format)]
    lines += [f"warning: {note}" for note in notes]
    return "\n".join(lines) + "\n"


def _save_frontier(front: Frontier, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    front.plot(ax=fig.subplots())
    fig.savefig(path, dpi=120)


def _infeasible(design: Design, space: str) -> ValidationError:
    broken = design.constraints[design.constraints["search_slack"] < 0]
    misses = "; ".join(f"{row['aim']} missed by {-row['search_slack']:,.6g}"
                       for _, row in broken.iterrows())
    chosen = ", ".join(f"{path} = {value!r}" for path, value in design.parameters.items())
    return ValidationError(f"--space {space}: no candidate met every constraint in "
                           f"{design.evaluations} evaluations; the least violating ({chosen}) "
                           f"has {misses}; nothing written")


def _write_tables(design: Design, front: Frontier, staging: Path, chosen: str) -> list[str]:
    """The design's tables in ``staging`` as ``--format`` asks: CSV files, a workbook, both."""
    written: list[str] = []
    if chosen in ("csv", "both"):
        design.figures.to_csv(staging / "design.csv")
        design.candidates.to_csv(staging / "candidates.csv")
        front.points.to_csv(staging / "frontier.csv")
        written += DESIGN_TABLES
    if chosen in ("xlsx", "both"):
        design_workbook(design, staging / DESIGN_WORKBOOK, frontier=front)
        written.append(DESIGN_WORKBOOK)
    return written


def _cmd_design(args: argparse.Namespace) -> int:
    if args.format in ("xlsx", "both"):       # the extra, before any work
        require("openpyxl", "reports", "Excel workbooks")
    scn = load_scenario(args.scenario)
    spec = load_design_spec(args.space)
    with atomic_folder(args.out, force=args.force, replaces=DESIGN_FILES,
                       what="--out") as staging, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DesignWarning)
        design = optimise(scn, spec.space, spec.objective, spec.constraints,
                          maximise=spec.maximise, n=args.n, years=args.years, seed=args.seed,
                          max_evaluations=args.max_evaluations, replicates=args.replicates)
        if not design.feasible:
            raise _infeasible(design, args.space)
        front = frontier(scn, spec.space, spec.x, spec.y, constraints=spec.constraints,
                         points=spec.points, n=args.n, years=args.years, seed=args.seed)
        notes = [str(w.message) for w in caught if issubclass(w.category, DesignWarning)]
        text = _report(args, design, front, notes)
        (staging / "scenario.toml").write_text(design.scenario.to_toml(), encoding="utf-8")
        tables = _write_tables(design, front, staging, args.format)
        _save_frontier(front, staging / "frontier.png")
        (staging / "report.txt").write_text(text, encoding="utf-8")
    written = [name for name in DESIGN_FILES if name in ("scenario.toml", *tables,
                                                          "frontier.png", "report.txt")]
    print(text)
    print(f"Wrote {', '.join(written)} in {args.out}")
    return 0


def _design_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario file (.toml or .json)")
    p.add_argument("--space", required=True,
                   help="design file (TOML): [space], objective, [constraints], [frontier]")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--n", type=count("--n"), default=2_000,
                   help="simulations per candidate (default %(default)s)")
    p.add_argument("--years", type=count("--years"), default=DEFAULT_YEARS,
                   help="simulated years (default %(default)s, as pbcmodel run)")
    p.add_argument("--seed", type=seed("--seed"), default=0,
                   help="random seed, a whole number >= 0 (default %(default)s)")
    p.add_argument("--max-evaluations", type=count("--max-evaluations"), default=200,
                   help="most candidates the search simulates (default %(default)s)")
    p.add_argument("--replicates", type=count("--replicates", minimum=2), default=5,
                   help="fresh simulations of the chosen policy (default %(default)s)")
    p.add_argument("--format", type=choice("--format", DESIGN_FORMATS), default="csv",
                   help="the tables as CSV files, as one workbook design.xlsx (xlsx), or "
                        "both (default %(default)s)")
    p.add_argument("--force", action="store_true", help="replace a previous design's files")


#: Sub-command name → (help, function that adds its arguments, handler).
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace], int]]] = {
    "design": ("find the policy parameters that meet stated aims, and the trade-off "
               "frontier, for a scenario file", _design_args, _cmd_design),
}
