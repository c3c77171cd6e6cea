"""The ``demo`` command: real England by default, the synthetic example with ``--example``.

``pbcmodel demo`` sets budgets for one ICB's practices from NHS England's embedded
weighted populations (with the attribution the Open Government Licence requires): need
indices of its places (local authority districts) relative to the ICB, as NHS England's
place-based tool computes them, budgets from the core index, one practice's budget line by
line, a three-year pace-of-change path over the three published years, and the risk and
policy comparison on those practices. The risk engine needs a
:class:`~pbcmodel.capitation.CapitationFormula`, so the England scenario is a capitation
formula over :meth:`~pbcmodel.weighted.WeightedPopulations.to_population` (the shipped
age-sex profile scaled to each list, which is synthetic) with the need index as ``needs``
and as the cost multiplier: its budgets follow the core weighted population. Its practices'
spend has what the formula misses, practice effects calibrated to published evidence
(:meth:`~pbcmodel.risk.effects.PracticeEffects.dixon_2011`), and the demo says so in one
line; the synthetic example has none.

Examples
--------
>>> from pbcmodel.cli import build_parser
>>> args = build_parser().parse_args(["demo", "--icb", "QOC", "--out", "d"])
>>> args.icb, args.example
('QOC', False)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .. import datasets
from .._version import __version__
from ..capitation import PaceOfChange, WeightedCapitation, need_index
from ..errors import MissingDependencyError, require
from ..io.output_folder import atomic_folder
from ..money import allocate_pennies, pounds, round_half_up
from ..overspend import OverspendPolicy
from ..reports.outputs import (
    RUN_FIGURES,
    RUN_TABLES,
    new_figure,
    output_files,
    run_outputs,
    write_outputs,
)
from ..reports.tables import (
    budget_table,
    comparison_table,
    explain_table,
    explanation_text,
    flag_small,
    glossary_table,
    path_table,
    text_table,
    tidy,
)
from ..scenario import Scenario
from ..scenario.england import weighted_scenario
from ..scenario.simulation import DEFAULT_YEARS, SimulationResult
from ..scenario.variants import side_by_side
from ..sharing import mssp_two_sided
from ..weighted import WeightedPopulations
from .commands import budget_summary, format_summary

__all__ = ["COMMANDS", "england_scenarios"]

DEMO_PRACTICE = "P001"
#: Simulations of the demo's simulation and comparison (kept small: seconds), over the
#: years every simulation defaults to (three).
DEMO_SIMULATIONS = 1_000
DEMO_YEARS = DEFAULT_YEARS
#: The ICB and practice the real-data demo shows (the practice is the first of the
#: "Default Place" of NHS England's place-based tool).
DEMO_ICB = "QWO"
DEMO_ENGLAND_PRACTICE = "B85005"
#: Illustrative resource per registered patient in the first year, and its yearly growth.
DEMO_PER_HEAD = 1_000.0
DEMO_GROWTH = 0.03
DEMO_PACE = PaceOfChange(max_gain=0.05, max_loss=0.02)
#: Why a practice's budget in budgets.csv (NHS England's core weighted population) and in
#: metrics.csv (the risk scenario's) differ: said in the terminal and in both tables' notes.
ENGLAND_BUDGETS_NOTE = (
    "budgets.csv follows NHS England's core weighted population exactly; the budgets of "
    "the simulation (budget_gbp in metrics.csv) come from the risk engine's formula: the "
    "example cost weights over a synthetic age-sex profile scaled to each list, in whole "
    "patients, times the practice's need index. They are close for a practice of a real "
    "size, not for a small one: a list of 1 patient is one whole person of one age and sex, "
    "not the average profile (in the default demo, NHS West Yorkshire ICB, B86625's budget "
    "is £1,022.16 in budgets.csv and £1,635.37 in metrics.csv).")
#: The demo's figures: those of ``pbcmodel run`` for the first policy, and the policies'
#: costs to the commissioner side by side (``policies``).
DEMO_FIGURES = (*RUN_FIGURES, "policies")


# --------------------------------------------------------------------- the example
def _demo_scenarios() -> list[Scenario]:
    """Three policies for the example commissioner, differing only in how variance is shared."""
    return [Scenario.example(name="pbc-70-30"),
            Scenario.example(name="strict-overspend",
                                      overspend=OverspendPolicy(practice_share=1.0)),
            Scenario.example(name="mssp-style", savings=mssp_two_sided(),
                                      overspend=None, conditions={})]


def _with_figures() -> bool:
    """Whether matplotlib is installed: without it the demo writes its tables only."""
    try:
        require("matplotlib", "plot", "the figures of pbcmodel demo")
    except MissingDependencyError:
        return False
    return True


def _demo_outputs(scenarios: list[Scenario], extra: dict[str, pd.DataFrame],
                  names: WeightedPopulations | None = None
                  ) -> tuple[dict[str, Any], list[SimulationResult]]:
    """Simulate the policies on common random numbers; the tables and figures of the first
    (as ``pbcmodel run`` writes them, with the names of the codes in ``names``), the demo's
    own tables (``extra``) and the policies compared, with the glossary of every column."""
    figures = _with_figures()
    results = [s.simulate(n=DEMO_SIMULATIONS, years=DEMO_YEARS, seed=0)   # same seed: CRN
               for s in scenarios]
    outputs = run_outputs(results[0], scenarios[0], figures=figures, names=names)
    tables = {name: outputs.pop(name) for name in RUN_TABLES}
    tables.update(extra)
    tables["comparison"] = comparison_table(side_by_side(results))
    tables["glossary"] = glossary_table({k: v for k, v in tables.items() if k != "glossary"})
    if figures:
        from ..plot.simulation import plot_compare

        outputs["policies"] = new_figure(lambda ax: plot_compare(results, ax=ax))
    return {**tables, **outputs}, results


def _explained(explanation: pd.DataFrame, budgets: pd.Series, code: str) -> pd.DataFrame:
    """How one practice's budget was set, ending on its budget in pence as the budgets
    table shows it (pennies allocated from the rounded total of all practices)."""
    pence = allocate_pennies(budgets.to_numpy(), name="budgets")
    return explain_table(explanation, int(pence[budgets.index.get_loc(code)]))


def _demo_files(names: list[str]) -> list[str]:
    """Every file the demo may write: ``--force`` replaces them as a set."""
    return output_files([*RUN_TABLES, *names, "comparison"], "csv", DEMO_FIGURES)


def _cmd_example(args: argparse.Namespace) -> int:
    out = Path(args.out)
    explain_name = f"explain_{DEMO_PRACTICE}"
    with atomic_folder(out, force=args.force, replaces=_demo_files([explain_name]),
                       what="--out") as staging:
        scenarios = _demo_scenarios()
        scn = scenarios[0]
        explanation = scn.explain(DEMO_PRACTICE)
        outputs, _ = _demo_outputs(scenarios, {explain_name: _explained(
            explanation, scn.budgets()["total"], DEMO_PRACTICE)})
        written = write_outputs(outputs, staging)
    pop = scn.population
    print(f"pbcmodel {__version__} demo (synthetic example): {pop!r}")
    print(f"Resource {pounds(scn.resource)}; top-slices 1% contingency, 2% high-cost pool; "
          "pace of change +5%/-2% from last year's budgets.\n")
    print("Budgets by consortium")
    print(format_summary(budget_summary(scn.budgets(), pop.practices)))
    print(f"\nHow practice {DEMO_PRACTICE}'s budget was set")
    print(explanation_text(explanation))
    _print_risk(scn, outputs)
    _print_written(out, written)
    return 0


def _print_risk(scn: Scenario, outputs: dict[str, Any]) -> None:
    print(f"\nSimulated {DEMO_SIMULATIONS:,} × {DEMO_YEARS} years of the {scn.name} policy:")
    print("\n".join(f"  {line}" for line in scn.describe()
                    if line.startswith(("savings", "overspend", "high-cost",
                                        "practice effects"))))
    print(text_table(outputs["summary"]))
    print("\nOutcomes by list size (yearly practice amount, £ per registered patient)")
    print(text_table(outputs["by_list_size"], labels=True))
    for note in outputs["by_list_size"].attrs.get("notes", []):
        print(note)
    print("\nPolicies compared on the same simulated outturns (common random numbers): "
          "strict-overspend bears every overspend, mssp-style shares 60% of savings and 40% "
          "of losses beyond 2% of budget")
    print(text_table(outputs["comparison"]))


def _print_written(out: Path, written: list[str]) -> None:
    print(f"\nWrote {len(written)} files in {out}: {', '.join(written)}")
    if not any(name.endswith(".png") for name in written):
        print("No figures: install pbcmodel[plot] (matplotlib) for them.")
    print("glossary.csv defines every column of the tables.")


# --------------------------------------------------------------------- real England
def england_scenarios(wp: WeightedPopulations, resource: float) -> list[Scenario]:
    """The three demo policies on one ICB's practices from the weighted populations.

    The first is :func:`~pbcmodel.scenario.england.weighted_scenario` (the example cost
    weights with the ICB-based core need index, 1% contingency top-slice, the example cost
    model, practice effects calibrated to Dixon et al. 2011, PBC's 70/30 rule and a 2%
    tolerance then half borne, capped at 5%); the others change its overspend policy.

    Examples
    --------
    >>> from pbcmodel import datasets
    >>> wp = datasets.england().subset(icb="QOC")
    >>> [s.name for s in england_scenarios(wp, 5e8)]
    ['pbc-70-30', 'strict-overspend', 'mssp-style']
    """
    base = weighted_scenario(wp, resource, name="pbc-70-30")
    return [base,
            base.evolve(name="strict-overspend", overspend=OverspendPolicy(practice_share=1.0)),
            base.evolve(name="mssp-style", savings=mssp_two_sided(), overspend=None)]


#: The need indices the demo shows for each place.
_PLACE_INDICES = ["core", "general_and_acute", "mental_health", "primary_medical_care"]


def _place_table(wp: WeightedPopulations, places: pd.Series,
                 budgets: pd.Series) -> pd.DataFrame:
    """Per place (and in total): practices, patients, budget (to the penny; the places add
    up to the total), budget per patient and need indices relative to the ICB, rounded half
    up to 3 places as NHS England's place-based tool shows them."""
    index = need_index(wp, places, component=_PLACE_INDICES)
    table = pd.DataFrame({
        "practices": places.groupby(places).size(),
        "patients": wp.list_size.groupby(places).sum(),
        "budget": budgets.groupby(places).sum(),
    })
    table.loc["total"] = table.sum()
    table["per_head"] = table["budget"] / table["patients"]
    table = table.join(index.apply(lambda col: round_half_up(col.to_numpy(), 3)))
    table.index.name = "place"
    return tidy(table)


def _cmd_england(args: argparse.Namespace) -> int:
    out = Path(args.out)
    years = [datasets.england(y).subset(icb=args.icb) for y in datasets.ENGLAND_YEARS]
    wp = years[0]
    practice = DEMO_ENGLAND_PRACTICE if DEMO_ENGLAND_PRACTICE in wp.codes else str(wp.codes[0])
    explain_name = f"explain_{practice}"
    files = _demo_files(["places", "three_year_path", explain_name])
    with atomic_folder(out, force=args.force, replaces=files, what="--out") as staging:
        frame = wp.frame
        resource = round(float(frame["registered"].sum()) * DEMO_PER_HEAD, -5)
        formula = WeightedCapitation(top_slices={"contingency": 0.01})
        budgets = formula.budgets(wp, resource)
        explanation = formula.explain(wp, practice, resource)
        places = wp.places("lad_name" if "lad_name" in frame else "lad")
        place_table = _place_table(wp, places, budgets["total"])
        resources = [round(resource * (1 + DEMO_GROWTH) ** k, -5) for k in range(len(years))]
        last_year = resource / (1 + DEMO_GROWTH)
        historic = wp.registered / wp.registered.sum() * last_year    # last year: per head
        path = formula.evolve(pace=DEMO_PACE).path(years, resources, historic=historic)
        scenarios = england_scenarios(wp, resource)
        outputs, _ = _demo_outputs(scenarios, {
            "budgets": _england_budget_table(wp, budgets),
            "places": place_table,
            explain_name: _explained(explanation, budgets["total"], practice),
            "three_year_path": path_table(path, historic)}, names=wp)
        outputs["metrics"].attrs["notes"] = [*outputs["metrics"].attrs.get("notes", []),
                                             ENGLAND_BUDGETS_NOTE]
        written = write_outputs(outputs, staging)
    icb_name = str(frame["icb_name"].iloc[0]) if "icb_name" in frame else args.icb
    print(f"pbcmodel {__version__} demo: real England, {icb_name} ({args.icb}), "
          f"{wp.year}: {wp!r}")
    print(datasets.ATTRIBUTION + "\n")
    print(f"Illustrative resource {pounds(resource)} (£{DEMO_PER_HEAD:,.0f} per registered "
          "patient); 1% contingency top-slice; budgets by NHS England's core weighted "
          "population.\n")
    print("Places (local authority districts): need indices relative to the ICB, rounded "
          "half up to 3 places as NHS England's place-based tool shows them")
    print(text_table(place_table, headers=_PLACE_HEADERS))
    print(f"\nHow practice {practice} ({frame.loc[practice, 'name']})'s budget was set")
    print(_format_weighted_explanation(explanation))
    print(f"\nThree-year path over the published years {', '.join(datasets.ENGLAND_YEARS)}: "
          f"from per-head budgets towards need, {DEMO_PACE.describe()}; the resource grows "
          f"{DEMO_GROWTH:.0%} a year")
    print(_format_path(path, places, historic))
    print("\nRisk: the risk engine needs age-sex counts, which the publication does not "
          "have: each practice gets a synthetic national age-sex profile scaled to its list, "
          "with its need index as cost multiplier (CapitationFormula with needs = need "
          "index).")
    print(ENGLAND_BUDGETS_NOTE)
    _print_risk(scenarios[0], outputs)
    print("\n" + datasets.ATTRIBUTION)
    _print_written(out, written)
    return 0


#: Short headers of the places table in the terminal.
_PLACE_HEADERS = {"budget_gbp_per_head": "per head", "core_need_index": "core",
                  "general_and_acute_need_index": "g&a", "mental_health_need_index": "mh",
                  "primary_medical_care_need_index": "pmc"}


def _england_budget_table(wp: WeightedPopulations, budgets: pd.DataFrame) -> pd.DataFrame:
    """Each practice's name, list size, whether it is small and budget (whole pence: the
    practices add up to the total row exactly)."""
    table = budget_table(budgets[["total"]])
    names = wp.frame["name"] if "name" in wp.frame else pd.Series("", index=wp.codes)
    size = wp.list_size
    table.insert(0, "name", [*names.astype(str).tolist(), ""])
    table.insert(1, "list_size", [*size.tolist(), int(size.sum())])
    table = flag_small(table, size)
    table.attrs["notes"] = [*table.attrs["notes"], ENGLAND_BUDGETS_NOTE]
    return table


def _format_weighted_explanation(explanation: pd.DataFrame) -> str:
    lines = []
    for row in explanation.itertuples():
        if row.kind == "input":
            value = (f"{row.value:,.1f}" if "share" not in row.step else f"{row.value:.6%}")
            lines.append(f"  {row.step:<34}{value:>18}   {row.description}")
        else:
            sign = "=" if row.kind in ("subtotal", "result") else "+"
            lines.append(f"{sign} {row.step:<34}{pounds(row.value, 2):>18}   {row.description}")
    return "\n".join(lines)


def _format_path(path: pd.DataFrame, places: pd.Series, historic: pd.Series) -> str:
    table = pd.concat([historic.rename("last year"), path], axis=1).groupby(places).sum()
    table.loc["total"] = table.sum()
    shown = table.apply(lambda col: col.map(pounds))
    shown.index.name = "place"
    return shown.to_string()


# ------------------------------------------------------------------------ the command
def _cmd_demo(args: argparse.Namespace) -> int:
    return _cmd_example(args) if args.example else _cmd_england(args)


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="pbcmodel-demo", help="output directory (default %(default)s)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--example", action="store_true",
                   help="the synthetic example commissioner instead of real England")
    p.add_argument("--icb", default=DEMO_ICB,
                   help="ICB code or name for the real-data demo (default %(default)s, "
                        "NHS West Yorkshire ICB)")


#: Sub-command name → (help, function that adds its arguments, handler).
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace], int]]] = {
    "demo": ("real England: budgets, need indices, a three-year path and the risk and policy "
             "comparison for one ICB's practices from NHS England's weighted populations "
             "(--example: the synthetic commissioner)", _demo_args, _cmd_demo),
}
