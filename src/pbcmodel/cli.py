"""The ``pbcmodel`` command line.

Examples
--------
>>> from pbcmodel.cli import build_parser
>>> build_parser().parse_args(["budgets", "--population", "p.csv", "--resource", "1e6",
...                            "--out", "b.csv"]).resource
1000000.0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from . import datasets
from ._version import __version__
from .capitation import CapitationFormula, PaceOfChange
from .errors import PBCModelError, ValidationError
from .io import read_registered_patients, write_tables

__all__ = ["build_parser", "main"]

DEMO_PRACTICE = "P001"


def _money(x: float) -> str:
    return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"


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
    shown["budget"] = shown["budget"].map(_money)
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
            lines.append(f"{sign} {row.step:<28}{_money(row.value):>18}   {row.description}")
    return "\n".join(lines)


def _cmd_demo(args: argparse.Namespace) -> int:
    pop = datasets.example_population()
    historic = datasets.example_historic_budgets()
    formula = CapitationFormula(weights=datasets.example_cost_weights(),
                                top_slices={"contingency": 0.01, "high_cost_pool": 0.02},
                                pace=PaceOfChange(max_gain=0.05, max_loss=0.02))
    resource = datasets.EXAMPLE_RESOURCE
    budgets = formula.budgets(pop, resource=resource, historic=historic)
    explanation = formula.explain(pop, DEMO_PRACTICE, resource=resource, historic=historic)
    paths = write_tables({"budgets": budgets.round(2),
                          f"explain_{DEMO_PRACTICE}": explanation.set_index("step")},
                         args.out, force=args.force)
    print(f"pbcmodel {__version__} demo: {pop!r}")
    print(f"Resource {_money(resource)}; top-slices 1% contingency, 2% high-cost pool; "
          "pace of change +5%/-2% from last year's budgets.\n")
    print("Budgets by consortium")
    print(_format_summary(budget_summary(budgets, pop.practices)))
    print(f"\nHow practice {DEMO_PRACTICE}'s budget was set")
    print(_format_explanation(explanation))
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


COMMANDS["demo"] = ("set budgets for the embedded example commissioner and explain one",
                    _demo_args, _cmd_demo)
COMMANDS["budgets"] = ("set capitation budgets for a registered-patient file",
                       _budgets_args, _cmd_budgets)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``pbcmodel``."""
    parser = argparse.ArgumentParser(
        prog="pbcmodel",
        description="Financial modelling of practice based commissioning: capitation budgets, "
                    "risk, savings sharing and overspend policy.")
    parser.add_argument("--version", action="version", version=f"pbcmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add_args, handler) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except PBCModelError as exc:
        print(f"pbcmodel: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
