"""The board report: one self-contained web page (and its PDF) for a run, a comparison or a
design, for a board that reads no Python.

:func:`board_report` writes the page: headline figures in £k/£m, two or three plain charts
(inline SVG), a bridge from the practices' expected underspend to the commissioner's
expected net position with numbers that add up to the penny (:func:`bridge`), the policy in
words, assumptions and sources, the date and the pbcmodel version. :func:`board_pdf` prints
it through headless Chromium on A4, with page numbers in the footer (CSS ``@page`` margin
boxes, which Chromium lays out since version 131).

**One sign convention.** Every figure of the commissioner reads "+ it keeps, − it pays"
(as ``commissioner_mean_kept`` in :mod:`pbcmodel.scenario.metrics`), and a practice's
figures "+ it keeps, − it bears" (the variance, ``budget − outturn``, is + an underspend).
The value at risk, which ARCHITECTURE.md shows as a cost, appears here as the
commissioner's result in a bad run (its negative, in the same "+ keeps" sign), with the
cost said in words. Each table and figure title says its sign and its period.

Examples
--------
>>> import pbcmodel as pbc
>>> res = pbc.Scenario.example().simulate(n=200, seed=1)
>>> b = bridge(res)
>>> int(b["pence"].iloc[-1]) == int(b.loc[b["kind"] != "total", "pence"][
...     b["kind"] != "subtotal"].sum())
True
"""

from __future__ import annotations

import datetime
import html
import re
import shutil
import subprocess
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import datasets
from .._version import __version__
from ..design import Design
from ..errors import MissingDependencyError, PBCModelError, ValidationError
from ..money import gbp, largest_remainder, round_half_up
from ..plot import board_report as figures_of
from ..plot.board_report import money_text
from ..scenario import Scenario, SimulationResult
from ..scenario.metrics import LIST_SIZE_BANDS, figures, metric, pool_funding
from ._common import data_source, is_england
from .outputs import new_figure
from .tables import band_labels

__all__ = ["CHROMIUM", "STEPS", "board_pdf", "board_report", "bridge", "require_chromium"]

#: Where :func:`board_pdf` looks for Chromium (Debian's ``chromium`` package).
CHROMIUM = Path("/usr/bin/chromium")

#: The steps of :func:`bridge`: name → (kind, label, where the number comes from).
STEPS: dict[str, tuple[str, str, str]] = {
    "variance": ("start", "Practices' underspend (+) or overspend (−)",
                 "budget − outturn of every practice: expected_practice_amount + "
                 "commissioner_mean_kept ÷ years"),
    "kept_by_practices": ("step", "Kept by practices (freed-up resources)",
                          "− expected_freed_up"),
    "borne_by_practices": ("step", "Borne by practices (their share of overspends, withhold "
                                   "not earned)",
                           "expected_freed_up − expected_practice_amount"),
    "commissioner_keeps": ("subtotal", "Commissioner keeps of the variance",
                           "commissioner_mean_kept ÷ years"),
    "incentives": ("step", "Incentive payments to practices",
                   "− (expected_net_to_practices − expected_practice_amount − overspend "
                   "still to recover after the last year ÷ (simulations × years))"),
    "high_cost_pool": ("step", "High-cost pool: its top-slice less the cost it met",
                       "high_cost_pool top-slice − pool_pence ÷ (simulations × years)"),
    "net_position": ("total", "Commissioner's expected net position",
                     "the sum of the steps above"),
}


#: Short names of the steps under the waterfall's bars.
_SHORT = {"variance": "Variance", "kept_by_practices": "Kept by\npractices",
          "borne_by_practices": "Borne by\npractices",
          "commissioner_keeps": "Commis-\nsioner\nkeeps", "incentives": "Incen-\ntives",
          "high_cost_pool": "High-cost\npool", "net_position": "Net\nposition"}


def _pool_pence(result: SimulationResult) -> int:
    """The high-cost pool's top-slice less the cost it met, pence over every simulation and
    year (0 without a high-cost threshold)."""
    scn = result.scenario
    if scn.high_cost_threshold is None:
        return 0
    funding = sum(int(round_half_up(float(slice_) * 100))
                  for slice_ in pool_funding(scn, result.years))
    return funding * result.n - int(np.asarray(result.pool_pence, dtype=np.int64).sum())


def _exact_steps(result: SimulationResult) -> dict[str, Fraction]:
    """Each step of the bridge exactly, in pence per simulated year (all practices)."""
    t = result.tally
    runs = result.n * result.years
    amount = int(t.amount_sum.sum())
    freed = int(t.freed_sum.sum())
    kept = int(np.asarray(result.commissioner_pence, dtype=np.int64).sum())
    owed_after = int(np.asarray(result.carried_pence, dtype=np.int64)[:, -1].sum())
    incentives = int(t.net_sum.sum()) - amount - owed_after
    return {"variance": Fraction(amount + kept, runs),
            "kept_by_practices": Fraction(-freed, runs),
            "borne_by_practices": Fraction(freed - amount, runs),
            "commissioner_keeps": Fraction(kept, runs),
            "incentives": Fraction(-incentives, runs),
            "high_cost_pool": Fraction(_pool_pence(result), runs)}


def _nearest(value: Fraction) -> int:
    """A fraction of pence to the nearest penny, halves away from zero."""
    whole = int(round_half_up(float(value)))
    return whole if abs(Fraction(whole) - value) <= Fraction(1, 2) else round(value)


def bridge(result: SimulationResult) -> pd.DataFrame:
    """From the practices' expected underspend to the commissioner's expected net position.

    Expected pounds per simulated year, all practices together (means over every simulation
    and year of ``result``), in one sign: + money kept, − money paid or borne. The steps:
    the variance (budget − outturn, + an underspend), less what practices keep (freed-up
    resources), plus what they bear (their share of overspends and any withhold not earned
    back), gives what the commissioner keeps of the variance (``commissioner_mean_kept``);
    less incentive payments (earned, before any clawback, which recovers overspends and is
    in "borne"), plus the high-cost pool's top-slice less the cost it met (with a high-cost
    threshold), gives the commissioner's expected net position.

    Each step is computed exactly from the result's integer pence and rounded to the
    penny so that the table adds up: the variance, the commissioner's share and the net
    position are each the nearest penny, and the steps between them share the rounding by
    largest remainders (:func:`pbcmodel.money.largest_remainder`).

    Parameters
    ----------
    result : SimulationResult

    Returns
    -------
    DataFrame
        Indexed by step (``variance``, ``kept_by_practices``, ``borne_by_practices``,
        ``commissioner_keeps``, ``incentives``, ``high_cost_pool``, ``net_position``):
        ``label`` (words), ``short`` (for a figure), ``kind`` (start, step, subtotal,
        total), ``pence`` (int),
        ``pounds`` and ``source`` (the metrics of :mod:`pbcmodel.scenario.metrics` it comes
        from). The pool's row is left out without a high-cost threshold.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> res = pbc.Scenario.example().simulate(n=300, years=2, seed=4)
    >>> b = bridge(res)
    >>> p = b["pence"]
    >>> bool(p["variance"] + p["kept_by_practices"] + p["borne_by_practices"]
    ...      == p["commissioner_keeps"])
    True
    >>> kept = res.summary()["commissioner_mean_kept_all_years"] / res.years
    >>> bool(abs(b.loc["commissioner_keeps", "pounds"] - kept) <= 0.005)
    True
    """
    if not isinstance(result, SimulationResult):
        raise ValidationError(f"bridge: expected a SimulationResult, got "
                              f"{type(result).__name__}")
    exact = _exact_steps(result)
    if result.scenario.high_cost_threshold is None:
        del exact["high_cost_pool"]
    anchors = {"variance": _nearest(exact["variance"]),
               "commissioner_keeps": _nearest(exact["commissioner_keeps"])}
    after = [k for k in ("incentives", "high_cost_pool") if k in exact]
    net = sum((exact[k] for k in after), exact["commissioner_keeps"])
    anchors["net_position"] = _nearest(net)
    pence = dict(anchors)
    between = (("kept_by_practices", "borne_by_practices"), tuple(after))
    spans = ((anchors["variance"], anchors["commissioner_keeps"]),
             (anchors["commissioner_keeps"], anchors["net_position"]))
    for names, (low, high) in zip(between, spans, strict=True):
        shares = largest_remainder([float(exact[k]) for k in names], high - low,
                                   "bridge", ("pence", "a penny"))
        pence.update(zip(names, (int(s) for s in shares), strict=True))
    order = [k for k in STEPS if k in pence]
    return pd.DataFrame({
        "label": [STEPS[k][1] for k in order], "short": [_SHORT[k] for k in order],
        "kind": [STEPS[k][0] for k in order],
        "pence": np.array([pence[k] for k in order], dtype=np.int64),
        "pounds": np.array([pence[k] for k in order], dtype=np.int64) / 100.0,
        "source": [STEPS[k][2] for k in order]}, index=pd.Index(order, name="step"))


# ----------------------------------------------------------------------------- words
def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _pct(fraction: float) -> str:
    """A probability as a percentage for readers: '12.3%', '<0.1%' (never 1e-05)."""
    value = 100 * float(fraction)
    if 0 < value < 0.1:
        return "under 0.1%"
    return f"{value:.1f}%"


def _position(pounds: float) -> str:
    """A commissioner's amount with its sign in words: '£1.2m (it keeps)'."""
    if pounds == 0:
        return "£0"
    return f"{money_text(pounds)} ({'it keeps' if pounds > 0 else 'it pays'})"


def _scenario(result: SimulationResult) -> Scenario:
    """The scenario a result simulated (a :class:`~pbcmodel.scenario.Scenario`, whose
    ``describe()`` the page shows)."""
    scn = result.scenario
    if not isinstance(scn, Scenario):
        raise ValidationError(f"board_report: the result's scenario is a "
                              f"{type(scn).__name__}, not a Scenario to describe")
    return scn


def _run_words(result: SimulationResult) -> str:
    return (f"{result.n:,} simulations × {result.years} year{'s' * (result.years != 1)}, "
            f"seed {result.seed}, method {result.method}")


def _headline(result: SimulationResult, net: float) -> list[tuple[str, str, str]]:
    """The headline figures: (label with its period and sign, value in words, source)."""
    s = figures(result, ["total_budget_year1", "expected_freed_up", "commissioner_mean_kept",
                         "commissioner_var95", "commissioner_prob_loss",
                         "practices_prob_loss_over_2pct", "worst_practice_p05_amount"])
    years = f"all {result.years} years together" if result.years > 1 else "the year"
    return [
        ("Total budget of the practices, year 1", money_text(s["total_budget_year1"]),
         "total_budget_year1"),
        ("Commissioner's expected net position, a year (+ keeps, − pays)", _position(net),
         "the bridge below"),
        (f"Commissioner keeps of the variance, expected, {years} (+ keeps, − pays; "
         "before incentives and the pool)",
         _position(s["commissioner_mean_kept"]), "commissioner_mean_kept_all_years"),
        (f"The same in a bad run (1 in 20), {years} (+ keeps, − pays)",
         _position(-s["commissioner_var95"]), "− commissioner_var95_all_years"),
        (f"Chance the commissioner pays out of the variance, {years}",
         _pct(s["commissioner_prob_loss"]), "commissioner_prob_loss"),
        ("Freed-up resources practices keep, expected a year",
         money_text(s["expected_freed_up"]), "expected_freed_up"),
        ("Chance a practice bears over 2% of its budget, a year",
         _pct(s["practices_prob_loss_over_2pct"]), "practices_prob_loss_over_2pct"),
        ("Worst practice in a bad year (5th percentile; + keeps, − bears)",
         money_text(s["worst_practice_p05_amount"]), "worst_practice_p05_amount"),
    ]


def _assumptions(results: Sequence[SimulationResult]) -> list[str]:
    """What the figures rest on, in words: the run, how spend is drawn, practice effects."""
    scn = _scenario(results[0])
    lines = [f"Simulated: {_run_words(results[0])}. \u201cA year\u201d means the mean over "
             "every simulation and simulated year; \u201call years together\u201d the total "
             "over the simulated years, per simulation."]
    if len(results) > 1:
        lines.append("The policies are compared on the same simulated spend when their runs "
                     "share seed, method, simulations, years and what drives spend (the "
                     "population, cost model, high-cost threshold, shock and growth).")
    lines.append("Spend: drawn from the scenario's cost model (each patient's chance of "
                 "using care and its cost, by age band, sex and point of delivery), with a "
                 f"common cost shock of {scn.common_shock_cv:.1%} (coefficient of variation) "
                 f"and cost growth of {scn.cost_growth:.1%} a year.")
    lines += [line[0].upper() + line[1:] + "." for line in scn.describe()
              if line.startswith("practice effects")]
    return lines


def _sources(scenario: Scenario, source: str | None) -> list[str]:
    england = is_england(scenario)
    where, licence = data_source(scenario, source,
                                 datasets.ATTRIBUTION if england else None)
    lines = [f"Data: {where}.", f"Licence: {licence}"]
    if england:
        lines.append("Population: NHS England, GP practice weighted populations "
                     "(registered patients and need indices).")
    return lines


# ----------------------------------------------------------------------------- charts
def _svg(draw: Any, alt: str, salt: str, size: tuple[float, float] = (7.0, 3.4)) -> str:
    from ..plot import figure_svg

    return figure_svg(new_figure(draw, size), alt, salt=salt)


def _net_chart(result: SimulationResult, salt: str) -> str:
    """The distribution of the commissioner's result over all simulated years."""
    kept = np.asarray(result.commissioner_pence, dtype=np.int64).sum(axis=1) / 100
    span = f"{result.years} years together" if result.years > 1 else "one year"
    return _svg(lambda ax: figures_of.commissioner_distribution(kept, result.years, ax),
                f"Distribution of the commissioner's result over {span}, "
                f"{result.n:,} simulations", salt)


def _band_chances(result: SimulationResult) -> pd.Series:
    bands = result.by_list_size()["prob_loss_over_2pct"]
    labels = dict(zip([str(b) for b in pd.IntervalIndex.from_breaks(
        LIST_SIZE_BANDS, closed="left")], band_labels(LIST_SIZE_BANDS), strict=True))
    return bands.rename(index=labels)


def _band_chart(results: Sequence[SimulationResult], salt: str) -> str:
    """The chance of bearing over 2% of budget in a year, by list-size band (per policy)."""
    chances = pd.DataFrame({r.scenario.name: _band_chances(r) for r in results})
    return _svg(lambda ax: figures_of.loss_chance_by_band(chances, ax),
                "Chance a practice bears over 2% of its budget in a year, by list size", salt)


def _waterfall_chart(table: pd.DataFrame, salt: str) -> str:
    return _svg(lambda ax: figures_of.bridge_waterfall(table, ax),
                "The bridge from the practices' underspend to the commissioner's net "
                "position, as a waterfall", salt, size=(7.0, 3.8))


def _policies_chart(results: Sequence[SimulationResult], nets: Sequence[float],
                    salt: str) -> str:
    series = pd.Series(list(nets), index=[r.scenario.name for r in results])
    return _svg(lambda ax: figures_of.policies_net(series, ax),
                "The commissioner's expected net position a year under each policy",
                salt, size=(7.0, 0.6 + 0.45 * len(results)))


# ----------------------------------------------------------------------------- the page
_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-left { content: "pbcmodel board report"; font: 8pt sans-serif; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
                  font: 8pt sans-serif; color: #555; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #1a1a1a;
       max-width: 190mm; margin: 0 auto; line-height: 1.35; }
h1 { font-size: 18pt; margin: 0 0 2mm; } h2 { font-size: 13pt; margin: 7mm 0 2mm;
  border-bottom: 1px solid #bbb; break-after: avoid; }
p.meta { color: #444; margin: 0 0 4mm; } p.sign { background: #eef3f8; padding: 2mm 3mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm; break-inside: avoid; }
caption { text-align: left; font-weight: bold; padding-bottom: 1mm; }
th, td { border-bottom: 1px solid #ddd; padding: 1.2mm 2mm; text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.subtotal td, tr.total td { font-weight: bold; border-top: 1.5px solid #333; }
table.sourced td:last-child, table.sourced th:last-child { color: #555; font-size: 8pt;
  width: 27%; overflow-wrap: anywhere; }
figure { margin: 2mm 0 4mm; break-inside: avoid; } figure svg { width: 100%; height: auto; }
figcaption { font-weight: bold; margin-bottom: 1mm; }
ul { margin: 1mm 0 3mm; padding-left: 6mm; } section { break-inside: auto; }
"""


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]],
           numeric: Sequence[bool], classes: Sequence[str] = (), *,
           sourced: bool = True) -> str:
    """An HTML table; every text escaped; ``numeric`` columns right-aligned; ``sourced``:
    the last column says where each row comes from (small, wrapped anywhere)."""
    def cells(values: Sequence[str], tag: str) -> str:
        return "".join(f'<{tag}{" class=num" if n else ""}>{_e(v)}</{tag}>'
                       for v, n in zip(values, numeric, strict=True))
    body = "".join(f'<tr class="{_e(c)}">{cells(r, "td")}</tr>'
                   for r, c in zip(rows, [*classes, *[""] * len(rows)], strict=False))
    return (f"<table{' class=sourced' if sourced else ''}><caption>{_e(caption)}</caption>"
            f"<thead><tr>{cells(header, 'th')}</tr></thead><tbody>{body}</tbody></table>")


def _headline_table(results: Sequence[SimulationResult], nets: Sequence[float]) -> str:
    rows = [_headline(r, n) for r, n in zip(results, nets, strict=True)]
    names = [r.scenario.name for r in results]
    table = [[label, *(policy[i][1] for policy in rows), source]
             for i, (label, _, source) in enumerate(rows[0])]
    return _table("Headline figures (money as £k/£m; the period and sign in each row)",
                  ["Figure", *names, "From (pbcmodel metric)"], table,
                  [False, *[True] * len(names), False])


def _bridge_table(tables: Sequence[pd.DataFrame], names: Sequence[str]) -> str:
    first = tables[0]
    rows = [[f"{i + 1}. {label}", *(gbp(int(t.loc[step, "pence"])) for t in tables),
             first.loc[step, "source"]]
            for i, (step, label) in enumerate(first["label"].items())]
    classes = [k if k in ("subtotal", "total") else "" for k in first["kind"]]
    return _table("The bridge: expected £ a year, all practices (+ kept, − paid or borne); "
                  "adds up to the penny", ["Step", *names, "From (pbcmodel metrics)"], rows,
                  [False, *[True] * len(names), False], classes)


def _policy(scenario: Scenario) -> str:
    return "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in scenario.describe()) + "</ul>"


def _run_sections(results: Sequence[SimulationResult], title: str) -> list[str]:
    """The sections of a run (one result) or a comparison (several, on common draws)."""
    tables = [bridge(r) for r in results]
    nets = [float(t.loc["net_position", "pounds"]) for t in tables]
    names = [r.scenario.name for r in results]
    salt = re.sub(r"\W", "_", title)[:20] or "board"
    charts = []
    if len(results) == 1:
        charts += [("The commissioner's result over every simulated year (+ keeps, − pays)",
                    _net_chart(results[0], salt + "-net"))]
    else:
        charts += [("The policies side by side: the commissioner's expected net position, a "
                    "year (+ keeps, − pays)", _policies_chart(results, nets, salt + "-pol"))]
    charts += [("Chance a practice bears over 2% of its budget in a year, by list size",
                _band_chart(results, salt + "-band"))]
    if len(results) == 1:
        charts += [("The bridge as a waterfall, £ a year (+ kept, − paid)",
                    _waterfall_chart(tables[0], salt + "-fall"))]
    policy = "".join(f"<h3>{_e(r.scenario.name)}</h3>{_policy(_scenario(r))}"
                     if len(results) > 1 else _policy(_scenario(r)) for r in results)
    return [
        "<h2>Headline figures</h2>" + _headline_table(results, nets),
        "<h2>From the practices' underspend to the commissioner's net position</h2>"
        + _bridge_table(tables, names)
        + "<p>Expected values: the mean over every simulation and year. Incentives are the "
          "payments earned before any clawback; clawback recovers overspends and is inside "
          "\u201cborne by practices\u201d. Overspend still to be recovered after the last "
          "simulated year is counted as borne. Other top-slices (e.g. a contingency) are "
          "held outside the bridge.</p>",
        "<h2>Charts</h2>" + "".join(f"<figure><figcaption>{_e(c)}</figcaption>{svg}</figure>"
                                    for c, svg in charts),
        "<h2>The policy in words</h2>" + policy,
    ]


def _design_sections(design: Design) -> tuple[list[str], list[SimulationResult]]:
    """A design's chosen parameters and aims, then its chosen policy simulated again."""
    result = design.scenario.simulate(n=design.final_n, years=design.years,
                                      seed=design.seed, method=design.method)
    rows = [[str(path), repr(value)] for path, value in design.parameters.items()]
    aims = [_aim_row(str(row["metric"]), row) for _, row in design.figures.iterrows()]
    verdict = ("The chosen policy met every constraint on the search draws." if design.feasible
               else "No candidate met every constraint: this is the least-violating one.")
    head = ("<h2>The design</h2>"
            + _table("Chosen parameters", ["Parameter", "Value"], rows, [False, False],
                     sourced=False)
            + _table("Aims, on fresh draws (each in its metric's own unit and sign; slack: "
                     "how far inside its bound, negative when broken)",
                     ["Figure", "Aim", "Value", "Slack", "What + means", "Metric"], aims,
                     [False, False, True, True, False, False])
            + f"<p>{_e(verdict)} {_e(design.evaluations)} candidates searched. The figures "
              f"below are the chosen policy simulated again ({_e(_run_words(result))}).</p>")
    return [head], [result]


def _in_unit(unit: str, value: float) -> str:
    """A design figure in words, in its unit: £k/£m, a percentage, a plain number."""
    if not np.isfinite(value):
        return "—"
    if unit == "pounds":
        return money_text(value)
    if unit == "pounds per registered patient":
        return ("−" if value < 0 else "") + f"£{abs(value):,.2f}"
    if unit in ("probability", "fraction of budget"):
        return ("−" if value < 0 else "") + _pct(abs(value))
    return f"{value:,.3f}".rstrip("0").rstrip(".") if unit == "ratio" else f"{value:,.0f}"


def _aim_row(name: str, row: pd.Series) -> list[str]:
    """A design's aim as a row: label, aim in words, value, slack, sign, metric name."""
    m = metric(name)
    if row["role"] == "objective":
        aim = str(row["aim"]).split()[0]               # minimise / maximise
    else:
        aim = ("at most " if "≤" in str(row["aim"]) else "at least ") + _in_unit(
            m.unit, float(row["bound"]))
    return [m.label, aim, _in_unit(m.unit, float(row["fresh"])),
            _in_unit(m.unit, float(row["fresh_slack"])), m.sign or "—", name]


def _subject(subject: Any) -> tuple[list[SimulationResult], Design | None]:
    """The results a page shows, and the design when it is one; anything else refused."""
    if isinstance(subject, Design):
        return [], subject
    if isinstance(subject, SimulationResult):
        return [subject], None
    if isinstance(subject, Sequence) and not isinstance(subject, str) and subject and all(
            isinstance(r, SimulationResult) for r in subject):
        names = [r.scenario.name for r in subject]
        if len(set(names)) < len(names):
            raise ValidationError("board_report: two results share a scenario name; give "
                                  "each a distinct name, e.g. scn.evolve(name='strict')")
        return list(subject), None
    raise ValidationError("board_report: expected a SimulationResult, a list of them (a "
                          "comparison, e.g. pbc.scenario.simulation.run([...])) or a "
                          f"pbc.design.Design, got {type(subject).__name__}")


def board_report(subject: SimulationResult | Sequence[SimulationResult] | Design,
                 path: str | Path, *, title: str | None = None,
                 source: str | None = None) -> Path:
    """Write the board report of a run, a comparison or a design as one web page.

    Self-contained (inline CSS and SVG, no scripts, nothing fetched), printable on A4 with
    page numbers (:func:`board_pdf`). It shows the headline figures in £k/£m, two or three
    charts, the bridge (:func:`bridge`), the policy in words (``Scenario.describe()``),
    assumptions and sources (NHS England's OGL attribution when the practices are
    England's), the date and the pbcmodel version. Every name is escaped. One sign
    convention throughout: + kept, − paid (see the module's notes).

    Parameters
    ----------
    subject : SimulationResult, list of SimulationResult, or Design
        A run; a comparison (results with distinct scenario names, best simulated on common
        random numbers with :func:`pbcmodel.scenario.simulation.run`); or a policy design
        (:func:`pbcmodel.design.optimise`), whose chosen policy is simulated again with its
        ``final_n``, ``years``, ``seed`` and ``method`` for the bridge and charts.
    path : str or Path
        The HTML file to write (its folder must exist).
    title : str, optional
        The page's title; default from the scenario names.
    source : str, optional
        Where the population and costs come from, in words (default: worked out from the
        scenario: the synthetic example, NHS England's data, or the scenario's name).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValidationError
        A subject of another kind, or results sharing a scenario name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pbcmodel as pbc
    >>> res = pbc.Scenario.example().simulate(n=200, seed=1)
    >>> page = board_report(res, pathlib.Path(tempfile.mkdtemp()) / "board.html")
    >>> text = page.read_text(encoding="utf-8")
    >>> "expected net position" in text, "e+" in text
    (True, False)
    """
    results, design = _subject(subject)
    sections: list[str] = []
    if design is not None:
        sections, results = _design_sections(design)
    names = [r.scenario.name for r in results]
    kind = ("Policy design" if design is not None else
            "Comparison" if len(results) > 1 else "Simulation")
    title = title or f"{kind}: {' vs '.join(names)}"
    sections += _run_sections(results, title)
    scenario = _scenario(results[0])
    assumptions = _assumptions(results)
    today = datetime.date.today().isoformat()
    page = (
        "<!DOCTYPE html><html lang=en-GB><head><meta charset=utf-8>"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1><p class=meta>Board report · {_e(today)} · pbcmodel "
        f"{_e(__version__)} · {_e(_run_words(results[0]))}</p>"
        "<p class=sign><strong>Sign:</strong> + money kept, − money paid. For the "
        "commissioner + it keeps, − it pays; for practices + they keep, − they bear. "
        "Practices' variance is budget − outturn: + an underspend, − an overspend.</p>"
        + "".join(f"<section>{s}</section>" for s in sections)
        + "<section><h2>Assumptions and sources</h2><ul>"
        + "".join(f"<li>{_e(line)}</li>" for line in [*assumptions,
                                                       *_sources(scenario, source)])
        + "</ul></section></body></html>")
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out


def board_pdf(html_path: str | Path, pdf_path: str | Path, *,
              chromium: str | Path | None = None) -> Path:
    """Print a board report (:func:`board_report`) to PDF on A4 through headless Chromium.

    Page numbers ("Page 2 of 3") come from the page's own ``@page`` footer, so Chromium's
    header and footer (date, file path) are turned off. ``chromium``: the browser to print
    with (default :data:`CHROMIUM`).

    Raises
    ------
    MissingDependencyError
        Chromium is not installed (``apt-get install chromium``).
    PBCModelError
        Chromium ran but wrote no PDF (its error output is quoted).

    Examples
    --------
    >>> board_pdf("board.html", "board.pdf", chromium="/no/such/chromium")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.MissingDependencyError: printing a board report to PDF needs ...
    """
    browser = require_chromium(chromium)
    source, target = Path(html_path).resolve(), Path(pdf_path).resolve()
    if not source.is_file():
        raise ValidationError(f"html_path: {str(html_path)!r} is not a file")
    target.unlink(missing_ok=True)
    run = subprocess.run(
        [str(browser), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-dev-shm-usage", "--no-pdf-header-footer", f"--print-to-pdf={target}",
         source.as_uri()], capture_output=True, text=True, timeout=300, check=False)
    if not target.is_file() or not target.read_bytes().startswith(b"%PDF"):
        raise PBCModelError(f"board_pdf: Chromium wrote no PDF (exit {run.returncode}): "
                            f"{run.stderr.strip()[-400:]}")
    return target


def require_chromium(chromium: str | Path | None = None) -> Path:
    """The Chromium that :func:`board_pdf` prints with, or MissingDependencyError saying how
    to install it (checked before any work, e.g. by ``pbcmodel run --report pdf``).

    Examples
    --------
    >>> require_chromium("/no/such/chromium")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.MissingDependencyError: printing a board report to PDF needs Chromium, \
not found at /no/such/chromium: apt-get install chromium
    """
    chromium = CHROMIUM if chromium is None else chromium
    found = Path(chromium) if Path(chromium).is_file() else shutil.which(str(chromium))
    if found is None:
        raise _no_chromium(str(chromium))
    return Path(found)


def _no_chromium(where: str) -> MissingDependencyError:
    """The error for an absent Chromium: a system package, so it names apt-get, not an extra."""
    error = MissingDependencyError("chromium", "printing a board report to PDF")
    text = (f"printing a board report to PDF needs Chromium, not found at {where}: "
            "apt-get install chromium")
    error.msg, error.args = text, (text,)          # ImportError shows msg
    return error
