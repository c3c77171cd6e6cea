"""The commands ``demo``, ``budgets``, ``run`` and ``compare`` of the ``pbcmodel`` command line.

Each command is registered in :data:`COMMANDS` as (help text, argument builder, handler).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from .. import datasets
from .._version import __version__
from ..capitation import CapitationFormula
from ..errors import ValidationError
from ..io import read_registered_patients, write_tables
from ..money import pounds
from ..overspend import OverspendPolicy
from ..plot.simulation import RESULT_KINDS
from ..scenario import Scenario, load_scenario
from ..scenario.simulation import SimulationResult
from ..scenario.variants import compare, side_by_side
from ..sharing import mssp_two_sided

__all__ = ["COMMANDS", "budget_summary"]

DEMO_PRACTICE = "P001"
#: Simulations and years of the demo's simulation and comparison (kept small: seconds).
DEMO_SIMULATIONS = 1_000
DEMO_YEARS = 2
#: Tables written by ``pbcmodel run``.
RUN_TABLES = ("budgets", "metrics", "summary", "by_list_size")
#: Rows of a comparison shown as percentages; the others are pounds (or counts).
_PERCENT_ROWS = ("practices_prob_loss_over_2pct", "max_practice_prob_loss_over_2pct")
_COUNT_ROWS = ("simulations", "years")


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


def _format_summary(summary: pd.DataFrame) -> str:
    shown = summary.copy()
    shown["patients"] = shown["patients"].map("{:,.0f}".format)
    shown["budget"] = shown["budget"].map(pounds)
    shown["per_head"] = shown["per_head"].map("£{:,.2f}".format)
    return shown.to_string()


def _format_explanation(explanation: pd.DataFrame) -> str:
    lines = []
    for row in explanation.itertuples():
        if row.kind == "input":
            value = (f"{row.value:,.0f}" if row.step in ("list size", "weighted list",
                                                         "historic budget")
                     else f"{row.value:,.4f}")
            lines.append(f"  {row.step:<28}{value:>18}   {row.description}")
        else:
            sign = "=" if row.kind in ("subtotal", "result") else "+"
            lines.append(f"{sign} {row.step:<28}{pounds(row.value):>18}   {row.description}")
    return "\n".join(lines)


def _demo_scenarios() -> list[Scenario]:
    """Three policies for the example commissioner, differing only in how variance is shared."""
    return [Scenario.example(name="pbc-70-30"),
            Scenario.example(name="strict-overspend",
                                      overspend=OverspendPolicy(practice_share=1.0)),
            Scenario.example(name="mssp-style", savings=mssp_two_sided(),
                                      overspend=None, conditions={})]


def _cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    names = ["budgets", f"explain_{DEMO_PRACTICE}", "simulation_summary",
             "simulation_by_list_size", "comparison"]
    _refuse_overwrite([out / f"{name}.csv" for name in names], args.force)
    scenarios = _demo_scenarios()
    scn = scenarios[0]
    pop = scn.population
    budgets = scn.budgets()
    explanation = scn.explain(DEMO_PRACTICE)
    results = [s.simulate(n=DEMO_SIMULATIONS, years=DEMO_YEARS, seed=0)   # same seed: CRN
               for s in scenarios]
    summary = results[0].summary().to_frame()
    by_size = results[0].by_list_size()
    comparison = side_by_side(results)
    paths = write_tables({"budgets": budgets.round(2),
                          f"explain_{DEMO_PRACTICE}": explanation.set_index("step"),
                          "simulation_summary": summary,
                          "simulation_by_list_size": by_size,
                          "comparison": comparison},
                         out, force=args.force)
    print(f"pbcmodel {__version__} demo: {pop!r}")
    print(f"Resource {pounds(scn.resource)}; top-slices 1% contingency, 2% high-cost pool; "
          "pace of change +5%/-2% from last year's budgets.\n")
    print("Budgets by consortium")
    print(_format_summary(budget_summary(budgets, pop.practices)))
    print(f"\nHow practice {DEMO_PRACTICE}'s budget was set")
    print(_format_explanation(explanation))
    print(f"\nSimulated {DEMO_SIMULATIONS:,} × {DEMO_YEARS} years of the {scn.name} policy:")
    print("\n".join(f"  {line}" for line in scn.describe()
                    if line.startswith(("savings", "overspend", "high-cost"))))
    print(_format_figures(summary))
    print("\nOutcomes by list size (yearly practice amount, £ per registered patient)")
    print(_format_by_list_size(by_size))
    print("\nPolicies compared on the same simulated outturns (common random numbers): "
          "strict-overspend bears every overspend, mssp-style shares 60% of savings and 40% "
          "of losses beyond 2% of budget")
    print(_format_figures(comparison))
    print("\nWrote " + ", ".join(str(p) for p in paths))
    return 0


def _cmd_budgets(args: argparse.Namespace) -> int:
    pop = read_registered_patients(args.population, consortia=args.consortia)
    weights = (datasets.example_cost_weights() if args.weights is None
               else pd.read_csv(args.weights).set_index(["age_band", "sex"]))
    formula = CapitationFormula(weights=weights)
    budgets = formula.budgets(pop, resource=args.resource)
    out = Path(args.out)
    if out.exists() and not args.force:
        raise ValidationError(f"--out: {str(out)!r} already exists; pass --force to overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    budgets.round(2).to_csv(out)
    print(_format_summary(budget_summary(budgets, pop.practices)))
    print(f"\nWrote {out}")
    return 0


def _refuse_overwrite(paths: Sequence[Path], force: bool) -> None:
    """Check every output path before anything is computed or written."""
    for folder in {p.parent for p in paths}:
        if folder.exists() and not folder.is_dir():
            raise ValidationError(f"--out: {str(folder)!r} exists and is not a directory")
    existing = [p.name for p in paths if p.exists()]
    if existing and not force:
        raise ValidationError(f"--out: {', '.join(existing)} already exist(s) in "
                              f"{str(paths[0].parent)!r}; pass --force to overwrite")


def _format_figures(frame: pd.DataFrame) -> str:
    """Headline figures (rows) of one or more scenarios (columns) for the terminal."""
    def cell(row: str, value: float) -> str:
        if row in _PERCENT_ROWS:
            return f"{value:.1%}"
        if row in _COUNT_ROWS:
            return f"{value:,.0f}"
        if "per_head" in row:
            return pounds(value, 2)
        return pounds(value)

    shown = frame.apply(lambda col: pd.Series([cell(r, v) for r, v in col.items()],
                                              index=col.index, dtype=object))
    return shown.to_string()


def _format_by_list_size(frame: pd.DataFrame) -> str:
    shown = frame.astype(object)
    for col in ("mean_amount_per_head", "sd_amount_per_head"):
        shown[col] = frame[col].map(lambda x: pounds(x, 2))
    shown["prob_loss_over_2pct"] = frame["prob_loss_over_2pct"].map("{:.1%}".format)
    return shown.to_string()


def _save_figures(result: SimulationResult, paths: dict[str, Path]) -> None:
    from matplotlib.figure import Figure

    for kind, path in paths.items():
        fig = Figure(figsize=(7, 4.5), layout="constrained")
        result.plot(kind=kind, ax=fig.subplots())
        fig.savefig(path, dpi=120)


def _run_report(source: str, scn: Scenario, result: SimulationResult, summary: pd.DataFrame,
                by_size: pd.DataFrame) -> str:
    lines = [f"pbcmodel {__version__}: scenario {scn.name!r} from {source}", ""]
    lines += [f"- {line}" for line in scn.describe()]
    lines += ["", f"{result.n:,} simulations × {result.years} year(s), seed {result.seed}", "",
              "Headline figures (pounds per year; commissioner figures over all years)",
              _format_figures(summary), "",
              "Outcomes by list size (yearly practice amount, £ per registered patient)",
              _format_by_list_size(by_size)]
    return "\n".join(lines) + "\n"


def _cmd_run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    tables = {name: out / f"{name}.{args.format}" for name in RUN_TABLES}
    figures = {kind: out / f"{kind}.png" for kind in RESULT_KINDS}
    report = out / "report.txt"
    _refuse_overwrite([*tables.values(), *figures.values(), report], args.force)
    scn = load_scenario(args.scenario)
    result = scn.simulate(n=args.n, years=args.years, seed=args.seed)
    summary = result.summary().to_frame()
    by_size = result.by_list_size()
    text = _run_report(args.scenario, scn, result, summary, by_size)
    written = write_tables({"budgets": scn.budgets().round(2), "metrics": result.metrics(),
                            "summary": summary, "by_list_size": by_size},
                           out, format=args.format, force=args.force)
    _save_figures(result, figures)
    report.write_text(text, encoding="utf-8")
    print(text)
    print("Wrote " + ", ".join(str(p) for p in [*written, *figures.values(), report]))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise ValidationError("compare: give at least two scenario files")
    scenarios = [load_scenario(path) for path in args.scenarios]
    names = [scn.name for scn in scenarios]
    if len(set(names)) < len(names):   # label by file instead
        scenarios = [scn.evolve(name=Path(path).stem)
                     for scn, path in zip(scenarios, args.scenarios, strict=True)]
    table = compare(scenarios, n=args.n, years=args.years, seed=args.seed)
    print(f"{args.n:,} simulations × {args.years} year(s), seed {args.seed}; pounds per year "
          "(commissioner figures over all years)")
    if not table.attrs["common_outturns"]:
        print("note: the scenarios differ in what drives spend (population, cost model, "
              "high-cost threshold, shock or growth), so their outturns differ too")
    print(_format_figures(table))
    return 0


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum`` (commas and underscores allowed)."""
    def parse(text: str) -> int:
        try:
            value = int(text.replace(",", "").replace("_", ""))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text!r}")
        return value

    return parse


def _positive_amount(text: str) -> float:
    try:
        value = float(text.replace(",", "").lstrip("£"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an amount of money: {text!r}") from exc
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


#: Sub-command name → (help, function that adds its arguments, handler).
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace], int]]] = {}


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="pbcmodel-demo", help="output directory (default %(default)s)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def _budgets_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--population", required=True,
                   help="NHS Digital gp-reg-pat-prac-quin-age.csv layout")
    p.add_argument("--consortia", help="CSV with columns practice, consortium")
    p.add_argument("--weights", help="CSV of cost weights: age_band, sex, one column per POD "
                                     "(default: the embedded example weights)")
    p.add_argument("--resource", required=True, type=_positive_amount,
                   help="resource to devolve, pounds")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")


def _simulation_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=_whole_number(1), default=10_000,
                   help="simulations (default %(default)s)")
    p.add_argument("--years", type=_whole_number(1), default=1,
                   help="simulated years (default %(default)s)")
    p.add_argument("--seed", type=_whole_number(0), default=0,
                   help="random seed, a whole number >= 0 (default %(default)s)")


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario file (.toml or .json)")
    p.add_argument("--out", required=True, help="output directory")
    _simulation_args(p)
    p.add_argument("--format", choices=("csv", "parquet"), default="csv",
                   help="table format (default %(default)s; parquet needs pyarrow)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def _compare_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="two or more scenario files (.toml or .json)")
    _simulation_args(p)


COMMANDS["demo"] = ("set budgets for the embedded example commissioner, explain one, and "
                    "simulate and compare three policies", _demo_args, _cmd_demo)
COMMANDS["budgets"] = ("set capitation budgets for a registered-patient file",
                       _budgets_args, _cmd_budgets)
COMMANDS["run"] = ("simulate a scenario file: tables, figures and a short report",
                   _run_args, _cmd_run)
COMMANDS["compare"] = ("simulate scenario files on common random numbers, side by side",
                       _compare_args, _cmd_compare)
