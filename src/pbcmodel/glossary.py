"""What every figure shown to readers means: one definition per metric, from one place.

Practices told the Audit Commission they did not understand how budgets were set or what an
overspend would cost them; a table whose columns are called ``expected_practice_amount`` and
``expected_net_to_practices`` does not help. Each :class:`Term` here says what a metric is in
plain words, its unit, its sign (which way is good for the practice) and the period it covers.
The terminal, the tidy CSV tables, the HTML statements, the Excel workbooks and the
documentation all read their labels and definitions from :data:`TERMS`, so they cannot drift
apart.

A metric's name is the column (or row) name the library uses. The same name can mean a
different period in different tables — ``variance`` is the year's in a settlement and the year
to date in monitoring — so a term may be looked up for a table (:data:`TABLES`).

Examples
--------
>>> t = term("net_to_practice")
>>> t.label, t.unit, t.column
('Net cash to the practice', '£', 'net_to_practice_gbp')
>>> term("variance", table="monitoring").period
'year to date'
>>> term("prob_overspend").column       # probabilities are shown as percentages
'prob_overspend_pct'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs
import pandas as pd

from .errors import ValidationError

__all__ = ["FIGURE_LABELS", "IN_WORDS", "TABLES", "TEMPLATES", "TERMS", "UNITS", "Term",
           "figure_label", "glossary_frame", "in_words", "label", "numbered", "period_title",
           "term"]

#: Unit → suffix of the tidy column name (money in pounds to the penny; a ``%`` column holds
#: percentages, 12.5 meaning 12.5%, where the library holds the fraction 0.125).
UNITS: dict[str, str] = {
    "£": "_gbp",
    "£ per registered patient": "_gbp_per_head",
    "%": "_pct",
    "patients": "",
    "count": "",
    "years": "",
    "ratio": "",
    "code": "",
}

_SIGN_VARIANCE = "positive = underspend (spent less than the budget), negative = overspend"
_SIGN_PRACTICE = "positive = money to the practice, negative = money the practice bears"
_SIGN_COMMISSIONER = "positive = the commissioner keeps money, negative = it pays"
_SIGN_COST = ("positive = a cost the commissioner pays: money at risk, an amount, not a "
              "position (negative = even then it keeps money)")
_SIGN_OWED = "positive = owed by the practice"


@attrs.frozen
class Term:
    """The definition of one metric.

    Parameters
    ----------
    name : str
        The name the library uses (a column of a table, or a row of a summary).
    label : str
        A short heading in plain words.
    definition : str
        What it is, in one or two sentences.
    unit : str
        One of :data:`UNITS`.
    sign : str
        Which way is which, for signed amounts ("" when it cannot be negative).
    period : str
        The time it covers ("the settled year", "per simulated year", ...).
    column : str
        The tidy table's column name, with the unit (default: ``name`` + the unit's suffix).
    short : str
        A shorter heading for narrow table columns (default: ``label``).

    Examples
    --------
    >>> Term("budget", "Budget", "The practice's budget.", "£", period="the year").column
    'budget_gbp'
    """

    name: str
    label: str
    definition: str
    unit: str = attrs.field()
    sign: str = ""
    period: str = ""
    column: str = attrs.field(default="")
    short: str = ""

    @unit.validator
    def _check_unit(self, attribute: attrs.Attribute, value: str) -> None:
        if value not in UNITS:
            raise ValidationError(f"unit: must be one of {list(UNITS)}, got {value!r}")

    def __attrs_post_init__(self) -> None:
        if not self.column:
            suffix = UNITS[self.unit]
            base = self.name.removesuffix("_per_head") if suffix == "_gbp_per_head" else self.name
            column = base if base.endswith(suffix) else base + suffix
            object.__setattr__(self, "column", column)
        if not self.short:
            object.__setattr__(self, "short", self.label)

    @property
    def fraction(self) -> bool:
        """True when the library holds a fraction that readers see as a percentage."""
        return self.unit == "%"

    def sentence(self) -> str:
        """The definition with its unit, sign and period, for a notes sheet or a footnote.

        Examples
        --------
        >>> print(term("variance").sentence())
        Budget less spend. In pounds (£); positive = underspend (spent less than the budget), \
negative = overspend; period: the settled year.
        >>> print(term("list_size").sentence())
        Patients registered with the practice. A number of patients.
        """
        parts = [_UNIT_WORDS[self.unit], self.sign,
                 f"period: {self.period}" if self.period else ""]
        extra = "; ".join(p for p in parts if p)
        return f"{self.definition} {extra}." if extra else self.definition


#: How a unit is said after a definition.
_UNIT_WORDS = {"£": "In pounds (£)", "£ per registered patient": "In pounds per registered "
               "patient", "%": "In per cent (%)", "patients": "A number of patients",
               "count": "A count", "years": "A number of years", "ratio": "A ratio",
               "code": ""}


def _t(name: str, label: str, definition: str, unit: str, sign: str = "", period: str = "",
       column: str = "", short: str = "") -> Term:
    return Term(name, label, definition, unit, sign, period, column, short)


_YEAR = "the settled year"
_SIM_YEAR = "a simulated year (mean over simulations and years)"
_ALL_YEARS = "all simulated years together"

#: A number in a metric's name: a level ``P`` or a loss ``X``, in per cent.
_NUMBER = r"(\d+(?:\.\d+)?)"
_LETTERS = ("{P}", "{X}")


def numbered(template: str, name: str) -> float | None:
    """The number in ``name`` where ``template`` has ``{P}`` (a level) or ``{X}`` (a loss),
    in per cent; None when ``name`` is not ``template`` with a number in that place.

    Examples
    --------
    >>> numbered("commissioner_tvar{P}_all_years", "commissioner_tvar97.5_all_years")
    97.5
    >>> numbered("commissioner_tvar{P}_all_years", "commissioner_tvar_all_years") is None
    True
    """
    letter = next((x for x in _LETTERS if x in template), None)
    if letter is None:
        return None
    before, _, after = template.partition(letter)
    found = re.fullmatch(re.escape(before) + _NUMBER + re.escape(after), name)
    return None if found is None else float(found.group(1))


def _runs(level: float | None) -> str:
    """How often a level's tail happens: "1 run in 20" at 95%, else "2.5% of runs"."""
    if level is None:
        return "(100 − P)% of runs"
    tail = 100.0 - level
    every = 100.0 / tail if tail > 0 else 0.0
    return (f"1 run in {round(every)}" if every >= 1 and abs(every - round(every)) < 1e-9
            else f"{tail:g}% of runs")


def _fill(template: Term, name: str, number: float | None) -> Term:
    """A template's term for one number (its letter kept when ``number`` is None)."""
    words = {"P": "P", "X": "X", "runs": _runs(None)}
    if number is not None:
        words = {"P": f"{number:g}", "X": f"{number:g}", "runs": _runs(number)}
    return Term(name, template.label.format(**words), template.definition.format(**words),
                template.unit, template.sign, template.period,
                template.column.format(**words), template.short.format(**words))


#: Metrics named with a number, ``{P}`` a level or ``{X}`` a loss in per cent
#: (``commissioner_tvar99_all_years``, ``practices_prob_loss_over_5pct``): one definition
#: for every number, read by :func:`term`.
TEMPLATES: dict[str, Term] = {t.name: t for t in [
    _t("commissioner_var{P}_all_years", "Commissioner's value at risk ({P}%), a cost",
       "The cost to the commissioner exceeded in {runs}.", "£", _SIGN_COST, _ALL_YEARS,
       column="commissioner_var{P}_all_years_gbp"),
    _t("commissioner_tvar{P}_all_years", "Commissioner's tail value at risk ({P}%), a cost",
       "The mean cost to the commissioner in the worst {runs}.", "£", _SIGN_COST,
       _ALL_YEARS, column="commissioner_tvar{P}_all_years_gbp"),
    _t("practices_prob_loss_over_{X}pct", "Chance a practice bears over {X}% of budget",
       "Mean over practices of the chance of bearing more than {X}% of its budget.", "%",
       period="a simulated year", column="practices_prob_loss_over_{X}pct_of_budget_pct"),
    _t("max_practice_prob_loss_over_{X}pct", "Most exposed practice's chance of bearing over "
       "{X}%", "The highest chance, over practices, of bearing more than {X}% of budget.",
       "%", period="a simulated year",
       column="max_practice_prob_loss_over_{X}pct_of_budget_pct"),
    _t("max_band_prob_loss_over_{X}pct", "Worst list-size band's chance of bearing over {X}%",
       "The highest, over list-size bands, of the band's mean chance of a practice bearing "
       "more than {X}% of its budget.", "%", period="a simulated year",
       column="max_band_prob_loss_over_{X}pct_of_budget_pct"),
]}


def _at(template: str, number: float) -> Term:
    """The term of ``template`` at one number, named by it."""
    words = {"P": f"{number:g}", "X": f"{number:g}"}
    return _fill(TEMPLATES[template], template.format(**words), number)

#: Every metric shown to readers, by name (the general meaning).
TERMS: dict[str, Term] = {t.name: t for t in [
    # who and how big
    _t("practice", "Practice", "GP practice code.", "code"),
    _t("consortium", "Consortium", "The consortium (locality group) the practice belongs to.",
       "code"),
    _t("name", "Practice name", "The practice's name, as NHS England publishes it.", "code"),
    _t("place", "Place", "The local authority district the practice is in: the place NHS "
       "England's place-based tool compares with the rest of the ICB.", "code"),
    _t("practice_name", "Practice name", "The practice's name, as the data gives it (NHS "
       "England's published name, or the name column of the file read).", "code"),
    _t("consortium_name", "Consortium name", "The consortium's (place's) name, as the data "
       "gives it; for real England the local authority district's name.", "code"),
    _t("small", "Small practice", "True for a practice with fewer than 1,000 registered "
       "patients (pbcmodel.reports.tables.SMALL_PRACTICE): too few for figures per head, "
       "which leave it out.", "code"),
    _t("table", "Table", "The table whose totals the row holds: the totals of the tidy "
       "files are in totals.csv, one row per table, so no table has a total row that summing "
       "its column would count twice.", "code"),
    _t("practices", "Practices", "Number of practices.", "count"),
    _t("list_size", "List size", "Patients registered with the practice.", "patients"),
    _t("patients", "Registered patients", "Patients registered with the practices.",
       "patients"),
    _t("simulations", "Simulations", "Number of simulated runs of the years.", "count"),
    _t("years", "Years simulated", "Number of years in each simulated run; overspends are "
       "recovered from later budgets only within these years.", "years"),
    # budgets
    _t("budget", "Budget", "The practice's indicative budget, as set by the capitation "
       "formula.", "£", period=_YEAR),
    _t("total", "Total budget", "Budget over all points of delivery.", "£", period="the year"),
    _t("per_head", "Budget per patient", "Budget divided by registered patients.",
       "£ per registered patient", period="the year", column="budget_gbp_per_head"),
    _t("budget_last_year", "Last year's budget", "The practice's budget in the year before "
       "the path starts: where the pace of change starts from.", "£", period="the year before"),
    _t("total_budget_year1", "Total budget, year 1", "Budgets of all practices in the first "
       "simulated year.", "£", period="the first year"),
    _t("amount", "Amount", "Pounds this step adds to (or takes from) the budget; the steps "
       "add up to the final budget.", "£", "positive = adds to the budget", "the year"),
    # how a budget was set, step by step
    _t("step", "Step", "A step of the budget's derivation, in order.", "code"),
    _t("kind", "Kind of step", "input (a number the formula uses), adjustment (pounds added "
       "to or taken from the budget), subtotal (the running total) or result (the final "
       "budget).", "code"),
    _t("description", "Description", "What the step does, in plain words.", "code"),
    _t("input_value", "Input", "The number an input step uses: patients, an index or a share "
       "(blank for steps in pounds).", "ratio"),
    # need indices of places
    _t("core", "Core need index", "Weighted population per registered patient for NHS "
       "England's core services, relative to the ICB (1 = the ICB's average).", "ratio",
       column="core_need_index"),
    _t("general_and_acute", "General and acute need index", "As the core need index, for "
       "general and acute services.", "ratio", column="general_and_acute_need_index"),
    _t("mental_health", "Mental health need index", "As the core need index, for mental "
       "health services.", "ratio", column="mental_health_need_index"),
    _t("primary_medical_care", "Primary medical care need index", "As the core need index, "
       "for primary medical care.", "ratio", column="primary_medical_care_need_index"),
    # a settled year
    _t("outturn", "Spend", "What the practice's patients' care actually cost.", "£",
       period=_YEAR),
    _t("variance", "Underspend (+) / overspend (−)", "Budget less spend.", "£", _SIGN_VARIANCE,
       _YEAR, short="Variance (+ under, − over)"),
    _t("practice_amount", "Practice's share of the variance", "What the practice keeps of an "
       "underspend (freed-up resources) or bears of an overspend, under the rules it signed "
       "up to.", "£", _SIGN_PRACTICE, _YEAR, short="Practice's share"),
    _t("commissioner_amount", "Commissioner's share of the variance (+ keeps, − pays)",
       "The rest of the "
       "variance: what the commissioner keeps of an underspend or bears of an overspend.",
       "£", _SIGN_COMMISSIONER, _YEAR, short="Commissioner's share (+ keeps)"),
    _t("entitlement", "Share under the rules", "The practice's share of the variance before "
       "any condition (gate) is checked.", "£", _SIGN_PRACTICE, _YEAR),
    _t("withheld_by_gates", "Withheld by conditions", "Freed-up resources the practice was "
       "entitled to but not paid because a condition (such as the commissioner being in "
       "balance) was not met.", "£", period=_YEAR),
    _t("freed_up", "Freed-up resources", "Underspend the practice may reinvest, after "
       "conditions.", "£", period=_YEAR),
    _t("liability", "Overspend the practice owes", "Overspend the practice bears under the rules.",
       "£", _SIGN_OWED, _YEAR),
    _t("incentive_signup", "Sign-up incentive", "Incentive payment for signing up and "
       "accepting an indicative budget.", "£", period=_YEAR),
    _t("incentive_plan", "Plan incentive", "Incentive payment for achieving the practice's "
       "plan.", "£", period=_YEAR),
    _t("clawback_freed_up", "Recovered from freed-up resources", "Liability recovered by "
       "withholding freed-up resources.", "£", period=_YEAR),
    _t("clawback_incentives", "Recovered from incentives", "Liability recovered by withholding "
       "incentive payments.", "£", period=_YEAR),
    _t("freed_up_paid", "Freed-up resources paid", "Freed-up resources paid to the practice "
       "to reinvest, after any recovery.", "£", period=_YEAR),
    _t("incentive_paid", "Incentives paid", "Incentive payments made, after any recovery.",
       "£", period=_YEAR),
    _t("recovered_from_budget", "Recovered from this year's budget", "Instalment of an "
       "earlier year's liability deducted from this year's budget.", "£", period=_YEAR),
    _t("net_to_practice", "Net cash to the practice", "Freed-up resources and incentives "
       "paid, less the instalment recovered from the budget.", "£", _SIGN_PRACTICE, _YEAR,
       short="Net cash"),
    _t("commissioner_net", "Commissioner's net position (+ keeps, − pays)", "The variance "
       "less all cash paid to practices this year.", "£", _SIGN_COMMISSIONER, _YEAR,
       short="Commissioner's net (+ keeps)"),
    _t("recovery_due", "Still to be recovered from the practice", "Liability carried "
       "forward, to be deducted "
       "from future budgets.", "£", _SIGN_OWED, "after the settled year",
       short="Still to recover"),
    # monitoring
    _t("annual_budget", "Budget for the year", "The practice's budget for the whole year.",
       "£", period="the whole year"),
    _t("budget_ytd", "Budget to date", "The budget phased into the months reported so far.",
       "£", period="year to date"),
    _t("actual_ytd", "Spend to date", "Spend in the months reported so far.", "£",
       period="year to date"),
    _t("variance_pct", "Variance, % of budget to date", "Variance as a percentage of the "
       "budget to date.", "%", _SIGN_VARIANCE, "year to date", column="variance_pct"),
    _t("forecast", "Forecast spend for the year", "Spend to date plus the expected spend for "
       "the rest of the year.", "£", period="the whole year", short="Forecast"),
    _t("lower", "Forecast, low end", "Lower end of the forecast's range.", "£",
       period="the whole year"),
    _t("upper", "Forecast, high end", "Upper end of the forecast's range.", "£",
       period="the whole year"),
    _t("forecast_variance", "Forecast underspend (+) / overspend (−)", "Budget for the year "
       "less the forecast.", "£", _SIGN_VARIANCE, "the whole year",
       short="Forecast variance"),
    _t("prob_overspend", "Chance of overspending", "Chance that spend for the year exceeds "
       "the budget, from the forecast's distribution.", "%", period="the whole year"),
    # simulation: per practice
    _t("expected_net", "Expected net cash", "Mean net cash to the practice.", "£",
       _SIGN_PRACTICE, _SIM_YEAR),
    _t("net_sd", "Spread of net cash", "Standard deviation of the net cash to the practice.",
       "£", period="a simulated year"),
    _t("p05_amount", "Bad year (5th percentile)", "The practice's share of the variance in a "
       "bad year: 1 year in 20 is worse.", "£", _SIGN_PRACTICE, "a simulated year"),
    _t("p95_amount", "Good year (95th percentile)", "The practice's share of the variance in "
       "a good year: 1 year in 20 is better.", "£", _SIGN_PRACTICE, "a simulated year"),
    _t("expected_freed_up", "Expected freed-up resources", "Mean freed-up resources "
       "(practices' shares of underspends).", "£", period=_SIM_YEAR),
    _t("prob_loss_over_pounds", "Chance of bearing over £10,000", "Chance that the practice "
       "bears more than £10,000 of an overspend.", "%", period="a simulated year",
       column="prob_loss_over_10000_gbp_pct"),
    _t("prob_loss_over_fraction", "Chance of bearing over 2% of budget", "Chance that the "
       "practice bears more than 2% of its budget.", "%", period="a simulated year",
       column="prob_loss_over_2pct_of_budget_pct"),
    # simulation: the commissioner's headline
    _t("expected_practice_amount", "Practices' expected share of the variance (+ kept, "
       "− borne)", "Mean of "
       "the practices' shares of the variance summed over practices (freed-up resources "
       "less liabilities borne).", "£", _SIGN_PRACTICE, _SIM_YEAR),
    _t("expected_net_to_practices", "Practices' expected net cash", "Mean net cash to all "
       "practices: freed-up resources and incentives paid less recoveries from budgets.",
       "£", _SIGN_PRACTICE, _SIM_YEAR),
    _at("practices_prob_loss_over_{X}pct", 2),
    _t("commissioner_mean_kept_all_years", "Commissioner's expected result (+ keeps, − pays)",
       "Mean of what "
       "the commissioner keeps of the practices' variance.", "£", _SIGN_COMMISSIONER,
       _ALL_YEARS, column="commissioner_mean_kept_all_years_gbp"),
    _at("commissioner_var{P}_all_years", 95),
    _at("commissioner_tvar{P}_all_years", 95),
    _t("worst_practice_p05_amount", "Worst practice's bad year (− borne)", "The lowest 5th "
       "percentile "
       "of a practice's yearly share of the variance, over practices.", "£", _SIGN_PRACTICE,
       "a simulated year"),
    _at("max_practice_prob_loss_over_{X}pct", 2),
    _t("sd_per_head_smallest_lists", "Spread per patient, smallest lists", "Standard "
       "deviation of the yearly share of the variance per patient in the smallest list-size "
       "band, leaving out practices of fewer than 1,000 registered patients "
       "(SMALL_PRACTICE): too few for figures per head.", "£ per registered patient",
       period="a simulated year"),
    _t("sd_per_head_largest_lists", "Spread per patient, largest lists", "Standard deviation "
       "of the yearly share of the variance per patient in the largest list-size band.",
       "£ per registered patient", period="a simulated year"),
    # simulation: more figures a policy design may aim at
    _t("commissioner_prob_loss", "Chance the commissioner bears a cost", "Chance that the "
       "commissioner bears more of the practices' overspends than it keeps of their "
       "underspends.", "%", period=_ALL_YEARS),
    _t("worst_practice_p05_fraction", "Worst practice's bad year, % of its budget (− borne)",
       "The lowest 5th percentile of a practice's yearly share of the variance as a share of "
       "its budget, over practices.", "%", _SIGN_PRACTICE, "a simulated year",
       column="worst_practice_p05_of_budget_pct"),
    _t("fairness_sd_ratio", "Spread per patient, smallest ÷ largest lists", "Standard "
       "deviation of the yearly share of the variance per patient in the smallest list-size "
       "band divided by that in the largest (1 is even).", "ratio", period="a simulated year"),
    _t("high_cost_pool_shortfall_prob", "Chance the high-cost pool runs short", "Chance that "
       "the cost above the high-cost threshold is more than the pool's top-slice.", "%",
       period="a simulated year"),
    _t("practices_prob_outturn_beyond_10pct", "Chance a practice's spend misses its budget "
       "by over 10%", "Mean over practices of the chance that the practice's spend is more "
       "than 10% of its budget above or below it (the share of practice-years so far off).",
       "%", period="a simulated year",
       column="practices_prob_outturn_beyond_10pct_of_budget_pct"),
    # simulation: by list size
    _t("list_size_band", "List size", "Band of registered list sizes.", "code"),
    _t("mean_amount_per_head", "Mean share per patient", "Mean yearly share of the variance "
       "per registered patient.", "£ per registered patient", _SIGN_PRACTICE,
       "a simulated year"),
    _t("sd_amount_per_head", "Spread of the share per patient", "Standard deviation of the "
       "yearly share of the variance per registered patient.", "£ per registered patient",
       period="a simulated year"),
    _t("prob_loss_over_2pct", "Chance of bearing over 2% of budget", "Mean over the band's "
       "practices of the chance of bearing more than 2% of budget.", "%",
       period="a simulated year", column="mean_prob_loss_over_2pct_of_budget_pct"),
]}

_MONITORING = {
    "variance": _t("variance", "Underspend (+) / overspend (−) to date", "Budget to date "
                   "less spend to date.", "£", _SIGN_VARIANCE, "year to date",
                   short="Variance to date"),
}

#: Table → the names shown in it, for the meanings that depend on the table.
TABLES: dict[str, tuple[str, ...]] = {
    "settlement": ("consortium", "budget", "outturn", "variance", "practice_amount",
                   "commissioner_amount", "entitlement", "withheld_by_gates", "freed_up",
                   "liability", "incentive_signup", "incentive_plan", "clawback_freed_up",
                   "clawback_incentives", "freed_up_paid", "incentive_paid",
                   "recovered_from_budget", "net_to_practice", "commissioner_net",
                   "recovery_due"),
    "monitoring": ("annual_budget", "budget_ytd", "actual_ytd", "variance", "variance_pct",
                   "forecast", "lower", "upper", "forecast_variance", "prob_overspend"),
}
_OVERRIDES = {"monitoring": _MONITORING}

#: How a signed amount says its sign in a figure (ARCHITECTURE.md, "Conventions").
_PRACTICE_WORDS = "(+ kept by or paid to the practice, − borne by it)"
_COMMISSIONER_WORDS = "(+ keeps, − pays)"
_VARIANCE_WORDS = "(+ underspend, − overspend)"

#: The words on the axes and in the legends of the figures (:mod:`pbcmodel.plot`), by the
#: quantity drawn: the glossary's labels with the unit and, for money with a sign, the sign.
#: ``{X}`` is filled by :func:`figure_label`.
FIGURE_LABELS: dict[str, str] = {
    # variance and who gets what (:func:`pbcmodel.plot.schedule_curve`)
    "variance_pct": f"Variance (budget − spend), % of budget {_VARIANCE_WORDS}",
    "whole_variance": f"Whole variance {_VARIANCE_WORDS}",
    "share_pct": "Share of the variance, % of budget (+ kept, − borne or paid)",
    "practice_amount": f"{TERMS['practice_amount'].label} (+ kept, − borne)",
    "commissioner_amount": TERMS["commissioner_amount"].label,
    # one practice's year (:func:`pbcmodel.plot.settlement_waterfall`)
    "practice_cash": f"£ {_PRACTICE_WORDS}",
    # simulations (:func:`pbcmodel.plot.plot_result`, :func:`pbcmodel.plot.plot_compare`)
    "list_size": f"{TERMS['list_size'].label} (registered patients)",
    "practice_amount_pct": f"{TERMS['practice_amount'].label} in a year,\n% of its first "
                           "year's budget (+ kept, − borne)",
    "outcome_pct": "A practice's outcome in a year, % of its budget (+ to it, − borne by it)",
    "net_to_practice": f"{TERMS['net_to_practice'].label} (+ paid, − recovered from its "
                       "budget)",
    "practice_years": "Share of practice-years",
    "commissioner_result": f"Commissioner's result over all simulated years, £ "
                           f"{_COMMISSIONER_WORDS}",
    "commissioner_chance": "Chance the result is at most this\n(crossing 5%: value at risk)",
    "simulations": TERMS["simulations"].label,
    "compare_money": "£ · practices: per simulated year (+ to them, − borne by them)\n"
                     f"commissioner: over all simulated years {_COMMISSIONER_WORDS}\n"
                     "value at risk: money at risk, a positive amount",
    # in-year monitoring (:mod:`pbcmodel.plot.monitoring`)
    "cumulative": "Cumulative budget and spend, £",
    "ytd_variance": f"{_MONITORING['variance'].label}, £",
    "ytd_variance_pct": f"{_MONITORING['variance'].label}, % of budget to date",
    # the risk engine (:mod:`pbcmodel.plot.risk`)
    "spend_pct": "Annual spend, % of expected spend",
    "spend": "Annual spend, £",
    "spend_chance": "Chance spend is at most this",
    "cv": "Coefficient of variation of spend (sd ÷ mean)",
    "std": "Standard deviation of spend, £",
    "mean": "Expected spend, £",
    "p_over": "Chance spend exceeds budget + {X}%",
    # benchmarking (:func:`pbcmodel.plot.funnel`)
    "expected_events": "Expected events",
    "observed_ratio": "Observed ÷ expected (1 = as expected)",
}


#: Names a user or the library gives to top-slices and conditions, as sentences say them.
IN_WORDS: dict[str, str] = {
    "contingency": "contingency reserve",
    "high_cost_pool": "high-cost patient pool",
    "commissioner_in_balance": "the commissioner is in financial balance",
    "plan_approved": "the practice's plan is approved",
    "quality_met": "the quality standard is met",
}


def period_title(period: str) -> str:
    """A term's period as the title of a table that shows only figures of that period.

    A table mixes no periods: the figures of "a simulated year" and of "all simulated years
    together" are shown as two tables (or two blocks), each titled by this.

    Examples
    --------
    >>> period_title("a simulated year (mean over simulations and years)")
    'A simulated year'
    >>> period_title(term("commissioner_var95_all_years").period), period_title("")
    ('All simulated years together', 'The run')
    """
    base = str(period).split(" (")[0].strip()
    return base[:1].upper() + base[1:] if base else "The run"


def in_words(name: str) -> str:
    """A top-slice's or a condition's name as a sentence says it, never an identifier.

    Known names have their words in :data:`IN_WORDS`; any other name is read with its
    underscores as spaces.

    Examples
    --------
    >>> in_words("high_cost_pool"), in_words("commissioner_in_balance")
    ('high-cost patient pool', 'the commissioner is in financial balance')
    >>> in_words("out_of_hours_reserve")
    'out of hours reserve'
    """
    return IN_WORDS.get(name, name.replace("_", " "))


def figure_label(name: str, **words: str) -> str:
    """The words a figure shows for a quantity (:data:`FIGURE_LABELS`), ``{X}`` filled.

    Raises
    ------
    ValidationError
        An unknown name: every label a figure shows must be defined here.

    Examples
    --------
    >>> figure_label("commissioner_result")
    "Commissioner's result over all simulated years, £ (+ keeps, − pays)"
    >>> figure_label("p_over", X="5")
    'Chance spend exceeds budget + 5%'
    """
    if name not in FIGURE_LABELS:
        raise ValidationError(f"glossary: no figure label {name!r}; add it to "
                              "pbcmodel.glossary.FIGURE_LABELS")
    return FIGURE_LABELS[name].format(**words) if words else FIGURE_LABELS[name]


def term(name: str, table: str | None = None) -> Term:
    """The definition of a metric (as it is meant in ``table``, when that matters).

    A name with a number in it is read from its template in :data:`TEMPLATES` (a template's
    own name gives the template, its letter kept).

    Raises
    ------
    ValidationError
        An unknown name: every figure shown to readers must be defined here.

    Examples
    --------
    >>> term("recovery_due").sign
    'positive = owed by the practice'
    >>> term("commissioner_tvar99_all_years").definition
    'The mean cost to the commissioner in the worst 1 run in 100.'
    >>> term("pie")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: glossary: no definition of 'pie'; add a Term to ...
    """
    if table is not None and table not in TABLES:
        raise ValidationError(f"glossary: table must be one of {list(TABLES)}, got {table!r}")
    found = _OVERRIDES.get(table or "", {}).get(name) or TERMS.get(name)
    if found is None and name in TEMPLATES:
        found = _fill(TEMPLATES[name], name, None)
    for template in TEMPLATES.values() if found is None else ():
        number = numbered(template.name, name)
        if number is not None:
            return _fill(template, name, number)
    if found is None:
        raise ValidationError(f"glossary: no definition of {name!r}; add a Term to "
                              "pbcmodel.glossary.TERMS")
    return found


def label(name: str, table: str | None = None) -> str:
    """The plain-words heading of a metric.

    Examples
    --------
    >>> label("commissioner_var95_all_years")
    "Commissioner's value at risk (95%), a cost"
    """
    return term(name, table).label


def glossary_frame(names: Iterable[str] | None = None, table: str | None = None
                   ) -> pd.DataFrame:
    """The definitions as a table: one row per metric (all of them by default).

    Columns ``label``, ``column`` (the tidy table's name, with its unit), ``unit``, ``sign``,
    ``period`` and ``definition``, indexed by ``metric`` (the library's name).

    Examples
    --------
    >>> glossary_frame(["budget", "prob_overspend"])[["column", "unit"]]
                       column unit
    metric
    budget         budget_gbp    £
    prob_overspend  prob_overspend_pct    %
    """
    chosen = list(TERMS) if names is None else list(dict.fromkeys(names))
    rows = [term(n, table) for n in chosen]
    return pd.DataFrame({"label": [t.label for t in rows], "column": [t.column for t in rows],
                         "unit": [t.unit for t in rows], "sign": [t.sign for t in rows],
                         "period": [t.period for t in rows],
                         "definition": [t.definition for t in rows]},
                        index=pd.Index(chosen, name="metric"))
