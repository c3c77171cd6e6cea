"""Checks and plain words shared by the statements and the workbooks (private to reports)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .. import datasets
from ..errors import ValidationError
from ..money import allocate_pennies
from ..phasing import flat_profile, phase
from ..scenario import Scenario
from ..settlement import Settlement
from ..validation import quoted

#: Output formats of :func:`pbcmodel.reports.write_statements`.
FORMATS = ("html", "xlsx")
_SAFE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: The files a statements folder holds (``force`` replaces them as a set).
OWNED = re.compile(r"^(index\.html|statements\.xlsx|practice_.+\.html|consortium_.+\.html)$")
#: Conditions of gates and incentives, in words.
CONDITIONS = {
    "commissioner_in_balance": "the commissioner is in balance (the practices' total spend "
                               "is within their total budget)",
    "plan_approved": "the practice's plan is approved",
    "plan_achieved": "the practice achieves its plan",
}


# ------------------------------------------------------------------------------ checks
def check_code(code: Any, what: str = "practice") -> str:
    """A practice or consortium code that is safe in a file name, or ``ValidationError``.

    Examples
    --------
    >>> check_code("P001")
    'P001'
    >>> check_code("../etc")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: practice code '../etc' cannot name a file: use letters, ...
    """
    text = str(code)
    if not _SAFE_CODE.match(text) or ".." in text:
        raise ValidationError(f"{what} code {text!r} cannot name a file: use letters, digits "
                              "and _ . - (at most 64, starting with a letter or digit)")
    return text


def check_codes(scenario: Scenario) -> None:
    """Every practice and consortium code of the scenario can name a file."""
    for code in scenario.population.codes:
        check_code(code, "practice")
    for code in pd.unique(scenario.population.hierarchy["consortium"]):
        check_code(code, "consortium")


def check_month(month: Any) -> int:
    """A month of the financial year, 1 (April) to 12 (March), or ``ValidationError``."""
    if isinstance(month, bool) or not isinstance(month, (int, np.integer)) \
            or not 1 <= int(month) <= 12:
        raise ValidationError(f"month: must be a whole number from 1 (April) to 12 (March), "
                              f"got {month!r}")
    return int(month)


def check_practices(codes: Iterable[Any], scenario: Scenario, what: str) -> None:
    """The practices of an outturn are exactly the scenario's (named, both ways)."""
    given = pd.Index(pd.unique(pd.Series(list(codes), dtype=object)))
    known = scenario.population.codes
    unknown = given.difference(known)
    if len(unknown):
        raise ValidationError(f"{what}: practice(s) {quoted(unknown)} are not in scenario "
                              f"{scenario.name!r}; expected the scenario's {len(known)} "
                              "practices")
    missing = known.difference(given)
    if len(missing):
        raise ValidationError(f"{what}: no spend for practice(s) {quoted(missing)} of "
                              f"scenario {scenario.name!r}; give every practice (0 for none)")



# ------------------------------------------------------------------------- plain words
def condition_words(condition: str) -> str:
    """A gate's or incentive's condition in words ("the commissioner is in balance ...")."""
    return CONDITIONS.get(condition, f"{condition.replace('_', ' ')} is met")


def rules_in_words(st: Settlement) -> list[str]:
    """The rules of a settlement, one plain sentence each.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> print(rules_in_words(scn.settle(scn.budgets()["total"]))[0])
    Underspend (freed-up resources): the practice keeps 70% of the underspend; the
    commissioner keeps the rest.
    """
    savings = st.savings.savings_rule.describe("underspend")
    rules = [f"Underspend (freed-up resources): the practice keeps {savings}; the "
             "commissioner keeps the rest." if savings != "none of the underspend"
             else "Underspend: the commissioner keeps all of it."]
    for gate in st.savings.gates:
        rules.append(f"Freed-up resources are scaled by {gate.condition.replace('_', ' ')}."
                     if gate.scale else
                     f"Freed-up resources are paid only when {condition_words(gate.condition)}.")
    if st.overspend is not None:
        rules.append(f"Overspend: {st.overspend.describe()}.")
    elif st.savings.shares_losses:
        rules.append(f"Overspend: the practice bears {st.savings.losses_rule.describe('overspend')}"
                     "; the commissioner bears the rest.")
    else:
        rules.append("Overspend: the commissioner bears all of it.")
    if st.incentives is not None:
        inc = st.incentives
        text = f"Incentive payments: £{inc.per_head:g} per registered patient for signing up"
        if inc.plan_per_head > 0:
            text += (f", and £{inc.plan_per_head:g} per patient when "
                     f"{condition_words(inc.plan_condition)}")
        rules.append(text + ".")
    return rules



# --------------------------------------------------------------------------- common
def is_england(scenario: Scenario) -> bool:
    """Whether every practice is one of NHS England's (codes like A81001 in the embedded
    weighted populations of some year)."""
    codes = pd.Index(scenario.population.practices.index.astype(str))
    if not codes.str.fullmatch(r"[A-Z]\d{5}").all():
        return False
    return any(codes.isin(datasets.england(year).list_size.index).all()
               for year in datasets.ENGLAND_YEARS)


def data_source(scenario: Scenario, source: str | None, licence: str | None
                ) -> tuple[str, str]:
    """Where the data came from and its licence: as given, or worked out from the scenario
    (the example's MIT licence, real England's Open Government Licence attribution, or else
    the licence of whatever the scenario was built from)."""
    example = scenario.population == datasets.example_population()
    if source is None:
        source = ("pbcmodel's synthetic example commissioner (invented practices and "
                  "patients, not real data)" if example else
                  f"the population, formula and policies of scenario {scenario.name!r}")
    if licence is None:
        licence = ("synthetic data shipped with pbcmodel (MIT licence)" if example else
                   datasets.ATTRIBUTION if is_england(scenario) else
                   "as for the data the scenario was built from")
    return source, licence


# ------------------------------------------------------------------------ a month
def phased_budgets(scenario: Scenario, actual: pd.DataFrame, profile: Any) -> pd.DataFrame:
    """The scenario's budgets by month (by POD when the actuals have a ``pod`` column)."""
    budgets = scenario.budgets()
    return phase(budgets if "pod" in actual.columns else budgets["total"],
                 flat_profile() if profile is None else profile)


#: The money of a month's statement, in the order the pages and the workbook show it.
MONTH_MONEY = ("annual_budget", "budget_ytd", "actual_ytd", "variance", "forecast", "lower",
               "upper", "forecast_variance")


def month_pence(summary: pd.DataFrame, projected: Settlement) -> pd.DataFrame:
    """A month's money per practice in whole pence that agree with the projected settlement.

    The budget for the year, the forecast and the forecast variance are the projected
    settlement's budget, outturn and variance (pennies allocated from the rounded total,
    so the budgets add up to the resource and match the budget tables); the budget and the
    spend to date are the statement's with their pennies allocated from their rounded
    totals too, and the variance to date is their difference, so every figure on a page,
    and every total on an index page, adds up.

    Parameters
    ----------
    summary : DataFrame
        Practice × the statement's summary (``annual_budget``, ``budget_ytd``,
        ``actual_ytd``, ``forecast``, ``lower``, ``upper``, ...), pounds.
    projected : Settlement
        The scenario settled at every practice's forecast.

    Returns
    -------
    DataFrame
        Practice × :data:`MONTH_MONEY`, whole pence as floats (NaN where the statement
        has no figure, e.g. a forecast range from one month).

    Examples
    --------
    >>> import pandas as pd
    >>> from pbcmodel.settlement import settle
    >>> st = settle(pd.Series({"A": 100 / 3, "B": 200 / 3}), pd.Series({"A": 30.0, "B": 70.0}))
    >>> s = pd.DataFrame({"budget_ytd": [8.333, 16.667], "actual_ytd": [7.5, 17.5],
    ...                   "lower": [28.0, float("nan")], "upper": [32.0, float("nan")]},
    ...                  index=["A", "B"])
    >>> month_pence(s, st).loc["A"].tolist()
    [3333.0, 833.0, 750.0, 83.0, 3000.0, 2800.0, 3200.0, 333.0]
    """
    settled = projected.to_frame(pence=True).reindex(summary.index)
    out = pd.DataFrame(index=summary.index)
    out["annual_budget"] = settled["budget"].astype(float)
    for name in ("budget_ytd", "actual_ytd"):       # parts of a whole: the totals add up
        out[name] = allocate_pennies(summary[name].to_numpy(dtype=float),
                                     name=name).astype(float)
    out["variance"] = out["budget_ytd"] - out["actual_ytd"]
    out["forecast"] = settled["outturn"].astype(float)
    for name in ("lower", "upper"):
        out[name] = np.rint(summary[name].to_numpy(dtype=float) * 100)
    out["forecast_variance"] = settled["variance"].astype(float)
    return out[list(MONTH_MONEY)]
