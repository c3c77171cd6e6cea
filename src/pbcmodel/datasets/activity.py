"""Embedded example activity for :func:`~pbcmodel.datasets.example_population` (private).

Tariffs, national reference rates, events by age band × sex, monthly activity and spend
over three past financial years and the current one, and secondary-care contract plans
with the activity against them. Everything is built from closed-form formulas on
:func:`~pbcmodel.datasets.example_population` and :func:`~pbcmodel.datasets.example_cost_weights`,
so it is identical on every machine. Financial years are labelled by the calendar year
in which they start (``2026`` is April 2026 – March 2027) and months are financial-year
months (1 = April … 12 = March).

Examples
--------
>>> from pbcmodel.datasets import example_monthly_activity, example_tariffs
>>> act = example_monthly_activity()
>>> sorted(act["year"].unique().tolist()), int(act.loc[act["year"] == CURRENT_YEAR, "month"].max())
([2023, 2024, 2025, 2026], 7)
>>> float(example_tariffs()["outpatient_follow_up"])
95.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ..codes import PODS
from ..errors import ValidationError
from . import example as datasets

__all__ = [
    "CURRENT_MONTH",
    "CURRENT_YEAR",
    "MEASURES",
    "example_contract_activity",
    "example_contract_plan",
    "example_events",
    "example_monthly_activity",
    "example_reference_rates",
    "example_tariffs",
]

#: Financial year of the example's "current" year (2026 = April 2026 – March 2027).
CURRENT_YEAR = 2026
#: Last financial-year month of the current year with activity reported (7 = October).
CURRENT_MONTH = 7

#: Activity measures with national reference rates: which PODs each one counts.
MEASURES: dict[str, tuple[str, ...]] = {
    "referrals": ("outpatient_first",),
    "admissions": ("elective", "non_elective"),
    "outpatient_first": ("outpatient_first",),
    "outpatient_follow_up": ("outpatient_follow_up",),
}
#: GP referrals per first outpatient attendance (some referrals never attend).
_REFERRALS_PER_FIRST = 1.15

_TARIFF = {"elective": 1300.0, "non_elective": 1700.0, "outpatient_first": 170.0,
           "outpatient_follow_up": 95.0, "ae": 125.0, "prescribing": 9.5, "community": 60.0}

#: Relative monthly volume by POD, April … March (normalised to shares below).
_SEASON = {
    "elective": [.96, 1.0, 1.03, 1.04, .90, 1.02, 1.05, 1.06, .86, 1.0, .98, 1.10],
    "non_elective": [.97, .98, .95, .98, .95, .96, 1.0, 1.02, 1.10, 1.10, .98, 1.01],
    "outpatient_first": [.96, 1.0, 1.03, 1.04, .90, 1.02, 1.05, 1.06, .86, 1.0, .98, 1.10],
    "outpatient_follow_up": [.96, 1.0, 1.03, 1.04, .90, 1.02, 1.05, 1.06, .86, 1.0, .98, 1.10],
    "ae": [1.0, 1.06, 1.05, 1.07, 1.0, .99, 1.0, .96, .98, .95, .90, 1.0],
    "prescribing": [.97, .99, 1.0, 1.04, .98, 1.0, 1.04, 1.0, .96, 1.0, .94, 1.06],
    "community": [1.0, 1.0, 1.01, 1.02, .95, 1.01, 1.02, 1.02, .94, 1.01, 1.0, 1.02],
}
_HISTORY_YEARS = (2023, 2024, 2025)
_GROWTH = 0.03  # activity growth per year


def example_tariffs() -> pd.Series:
    """National tariff (pounds per unit of activity) by POD.

    Units: spells (elective, non-elective), attendances (outpatients, A&E), prescription
    items (prescribing) and contacts (community).

    Examples
    --------
    >>> example_tariffs().loc[["elective", "ae"]].tolist()
    [1300.0, 125.0]
    """
    return pd.Series(_TARIFF, name="tariff").rename_axis("pod").loc[list(PODS)]


def _activity_rates() -> pd.DataFrame:
    """Expected activity per head per year by (age_band, sex) × POD."""
    weights = datasets.example_cost_weights()
    return weights / example_tariffs().to_numpy()[None, :]


def example_reference_rates() -> pd.DataFrame:
    """National reference rates (events per head per year) by (age_band, sex) × measure.

    Measures are :data:`MEASURES`: GP referrals, admissions (elective + non-elective),
    first and follow-up outpatient attendances.

    Examples
    --------
    >>> r = example_reference_rates()
    >>> r.shape, list(r.columns[:2])
    ((40, 4), ['referrals', 'admissions'])
    >>> bool(r.loc[("85_89", "F"), "admissions"] > r.loc[("20_24", "F"), "admissions"])
    True
    """
    rates = _activity_rates()
    out = pd.DataFrame({m: rates[list(pods)].sum(axis=1) for m, pods in MEASURES.items()})
    out["referrals"] *= _REFERRALS_PER_FIRST
    out.columns.name = "measure"
    return out.round(6)


def _practice_factor(measure_number: int, n: int) -> np.ndarray:
    """Deterministic practice-level departure from the national rate (about ±20%)."""
    k = np.arange(n)
    factor = 1.0 + 0.12 * np.sin(k * 1.9 + measure_number) + 0.06 * np.cos(k * 0.7)
    factor[6] = 1.4    # P007: a high referrer
    factor[22] = 0.7   # P023: a low one
    return factor


def example_events(measure: str = "referrals") -> pd.DataFrame:
    """Observed events in the current year, practice × (age_band, sex), for one measure.

    Built as the national rate × registered patients × a practice factor of about ±20% (so
    the practices differ by more than chance, as real ones do); P007 has 1.4 times the
    national rate, P023 0.7 times.

    Examples
    --------
    >>> ev = example_events("referrals")
    >>> ev.shape, str(ev.to_numpy().dtype)
    ((60, 40), 'int64')
    """
    if measure not in MEASURES:
        raise ValidationError(f"measure: expected one of {list(MEASURES)}, got {measure!r}")
    pop = datasets.example_population()
    rate = example_reference_rates()[measure].to_numpy()
    factor = _practice_factor(list(MEASURES).index(measure), pop.n_practices)
    counts = pop.counts.to_numpy() * rate[None, :] * factor[:, None]
    return pd.DataFrame(np.rint(counts).astype(np.int64), index=pop.codes,
                        columns=pop.counts.columns)


def _season_shares() -> np.ndarray:
    """Monthly shares (POD × 12) of a year's activity."""
    s = np.array([_SEASON[p] for p in PODS])
    return s / s.sum(axis=1, keepdims=True)


def example_monthly_activity() -> pd.DataFrame:
    """Monthly activity and spend by practice and POD: three past years and the current one.

    Financial years 2023–2025 are complete; the current year :data:`CURRENT_YEAR` runs to
    month :data:`CURRENT_MONTH`. Spend is activity × national tariff. Activity grows 3% a
    year, follows a seasonal profile by POD, scatters month to month about as much as
    Poisson counts do, and practices drift from their age-sex expectation (some run hot
    in the current year).

    Returns
    -------
    DataFrame
        Columns ``year``, ``month`` (1 = April), ``practice``, ``pod``, ``activity``
        (int64), ``cost`` (pounds).

    Examples
    --------
    >>> act = example_monthly_activity()
    >>> list(act.columns)
    ['year', 'month', 'practice', 'pod', 'activity', 'cost']
    """
    pop = datasets.example_population()
    annual = pop.counts.to_numpy() @ _activity_rates().to_numpy()     # practice × POD
    n, n_pod = annual.shape
    k = np.arange(n)[:, None, None]
    pod = np.arange(n_pod)[None, :, None]
    month = np.arange(12)[None, None, :]
    season = _season_shares()[None, :, :]
    frames = []
    for y in (*_HISTORY_YEARS, CURRENT_YEAR):
        t = y - _HISTORY_YEARS[0]
        drift = 1.0 + 0.05 * np.sin(k * 2.3 + 0.4) + 0.025 * t * np.sin(k * 0.9 + 1.0)
        wiggle = 1.0 + 0.04 * np.sin(k * 1.3 + month * 0.7 + t * 2.1 + pod * 0.5)
        growth = (1 + _GROWTH) ** (y - CURRENT_YEAR)  # the current year at today's rates
        volume = annual[:, :, None] * growth * drift * season * wiggle
        # Poisson-like scatter from a fixed hash (no random generator: identical everywhere)
        u = np.modf(np.abs(np.sin(k * 12.9898 + pod * 78.233 + month * 37.719 + t * 4.581)
                           * 43758.5453))[0]
        scatter = np.sqrt(volume) * special.ndtri(np.clip(u, 1e-6, 1 - 1e-6))
        months = 12 if y != CURRENT_YEAR else CURRENT_MONTH
        activity = np.rint(np.maximum(volume + scatter, 0.0)[:, :, :months]).astype(np.int64)
        idx = pd.MultiIndex.from_product(
            [[y], range(1, months + 1), pop.codes, list(PODS)],
            names=["year", "month", "practice", "pod"])
        values = activity.transpose(2, 0, 1).reshape(-1)
        frames.append(pd.DataFrame({"activity": values}, index=idx))
    out = pd.concat(frames).reset_index()
    out["cost"] = out["activity"] * out["pod"].map(_TARIFF).astype(float)
    return out


_PROVIDERS = {"RXA": ("Northtown General", 0.55, 1.04),
              "RXB": ("Southfield Hospital", 0.45, 1.02)}
_ACUTE = ("elective", "non_elective", "outpatient_first", "outpatient_follow_up", "ae")


def example_contract_plan() -> pd.DataFrame:
    """The commissioner's annual contract plans with two acute providers, by provider × POD.

    Returns
    -------
    DataFrame
        Index (``provider``, ``pod``); columns ``activity`` (planned units a year) and
        ``price`` (pounds per unit: national tariff × the provider's market forces factor).

    Examples
    --------
    >>> plan = example_contract_plan()
    >>> list(plan.index.names), list(plan.columns)
    (['provider', 'pod'], ['activity', 'price'])
    """
    act = example_monthly_activity()
    last = act[act["year"] == _HISTORY_YEARS[-1]].groupby("pod")["activity"].sum()
    rows = []
    for code, (_, share, mff) in _PROVIDERS.items():
        for p in _ACUTE:
            planned = float(np.rint(last[p] * (1 + _GROWTH) * share))
            rows.append((code, p, planned, round(_TARIFF[p] * mff, 2)))
    out = pd.DataFrame(rows, columns=["provider", "pod", "activity", "price"])
    return out.set_index(["provider", "pod"])


def example_contract_activity() -> pd.DataFrame:
    """Activity and cost invoiced by each provider in the current year, months 1 to
    :data:`CURRENT_MONTH`.

    The commissioner's activity is split between the providers in their planned shares,
    with departures to find: Northtown's non-elective admissions run about 8% over plan,
    Southfield's follow-up outpatients about 12% over, and Southfield charges elective spells
    3% above the contract price.

    Examples
    --------
    >>> ca = example_contract_activity()
    >>> list(ca.columns)
    ['provider', 'pod', 'month', 'activity', 'cost']
    """
    act = example_monthly_activity()
    cur = act[act["year"] == CURRENT_YEAR].groupby(["month", "pod"])["activity"].sum()
    plan = example_contract_plan()
    excess = {("RXA", "non_elective"): 1.08, ("RXB", "outpatient_follow_up"): 1.12}
    price_drift = {("RXB", "elective"): 1.03}
    rows = []
    for (code, p), (_, price) in plan.iterrows():
        share = _PROVIDERS[code][1]
        for m in range(1, CURRENT_MONTH + 1):
            units = int(np.rint(cur[(m, p)] * share * excess.get((code, p), 1.0)))
            unit_price = price * price_drift.get((code, p), 1.0)
            rows.append((code, p, m, units, round(units * unit_price, 2)))
    return pd.DataFrame(rows, columns=["provider", "pod", "month", "activity", "cost"])
