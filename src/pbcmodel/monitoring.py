"""In-year monitoring: year-to-date budget vs actual, forecast outturn, contract monitoring.

Months are financial-year months, **1 = April … 12 = March** (see :mod:`pbcmodel.phasing`,
which also spreads annual budgets over the months). Variances are *budget − actual*, as
in settlement (``budget − outturn``): a positive variance is an underspend, a negative
one an overspend.

Forecasts extrapolate the year to date along the budget's monthly profile (``"seasonal"``)
or a straight line (``"run_rate"``), or add to it the risk engine's distribution of the
rest of the year's spend (``"risk"``, given a cost model). For the first two, each month's
spend is modelled as ``w_m·R + e_m`` where
``w_m`` is the month's share of the year, ``R`` the annual rate and ``Var(e_m) ∝ w_m``.
The estimate of ``R`` is the year to date over its share, ``A_k / W_k``, and the interval
is a prediction interval for the months still to come, from the month-to-month scatter of
the first ``k`` months (Student t with ``k − 1`` degrees of freedom): with one month of
data there is no scatter to learn from and the limits are missing (NaN), not zero.

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.phasing import flat_profile, phase
>>> phased = phase(pd.Series({"P001": 1_200.0}), flat_profile())
>>> actual = pd.DataFrame({"practice": "P001", "month": [1, 2, 3], "cost": [90.0, 110.0, 100.0]})
>>> year_to_date(phased, actual, month=3)[["budget_ytd", "actual_ytd", "variance"]]
          budget_ytd  actual_ytd  variance
practice
P001           300.0       300.0       0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, NoReturn, cast

import attrs
import numpy as np
import pandas as pd
from scipy import stats

from .codes import PODS
from .costing import price_volume_mix
from .errors import ValidationError
from .phasing import MONTHS, check_month, check_months, flat_profile, row_shares
from .population import Level, Population
from .validation import check_fraction, check_level, finite_series, quoted, require_columns

if TYPE_CHECKING:
    from .risk.costmodel import CostModel
    from .risk.distribution import Method as RiskMethod

__all__ = ["contract_monitor", "forecast_outturn", "monthly_actuals", "panel_gaps",
           "year_to_date"]

Method = Literal["seasonal", "run_rate", "risk"]


Missing = Literal["refuse", "report"]


def _unit_words(keys: Sequence[str], unit: tuple[object, ...]) -> str:
    """E.g. "practice 'P1', pod 'ae'"."""
    return ", ".join(f"{key} {value!r}" for key, value in zip(keys, unit, strict=True))


def panel_gaps(actual: pd.DataFrame, keys: Sequence[str], month: int, *,
               expected: pd.Index | None = None, what: str = "actual",
               missing: Missing = "refuse") -> pd.DataFrame:
    """The rule for gaps in a monitoring input: every unit has a row for every month to date.

    A *unit* is a combination of ``keys`` (a practice, a practice × POD, a provider × POD).
    The units expected are ``expected`` (the budgets' or the plan's index) or, without it,
    the units found in ``actual``; each needs at least one row in every month from 1 to
    ``month``. A row of 0 is a month of no spend; no row is a month not reported, and is
    never read as 0, because that would lower the year to date and the forecast without a
    word. Units in ``actual`` that are not expected are left to the caller (spend with no
    budget is refused, a contract line not in the plan is flagged). Months after ``month``
    are not checked.

    Parameters
    ----------
    actual : DataFrame
        Tidy spend with columns ``keys`` and ``month`` (1 = April).
    keys : sequence of str
        The columns that name a unit.
    month : int
        Last month reported (1 = April … 12 = March).
    expected : Index, optional
        The units that must be there (a MultiIndex for several keys).
    what : str
        The input's name in messages (an argument name, or the file as the user gave it).
    missing : {"refuse", "report"}
        ``"refuse"`` (the default) raises :class:`~pbcmodel.errors.ValidationError` naming
        the first unit and month missing and how many gaps there are; ``"report"`` returns
        them.

    Returns
    -------
    DataFrame
        One row per unit-month missing: columns ``keys`` and ``month`` (empty when none is).

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"practice": ["A", "A", "B"], "month": [1, 2, 2], "cost": [5.0, 0, 7]})
    >>> panel_gaps(a, ["practice"], 2, missing="report")    # A's 0 in month 2 is not a gap
      practice  month
    0        B      1
    >>> panel_gaps(a, ["practice"], 2)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: actual: no row for practice 'B' in month 1 (Apr); ...
    """
    k = check_month(month)
    if missing not in ("refuse", "report"):
        raise ValidationError(f"missing: expected 'refuse' or 'report', got {missing!r}")
    gaps = _gap_cells(actual, keys, k, expected)
    if missing == "report" or not gaps.to_numpy().any():
        flagged = gaps.stack()
        return flagged[flagged].index.to_frame(index=False).set_axis([*keys, "month"], axis=1)
    _refuse_gaps(gaps, keys, k, what)


def _gap_cells(actual: pd.DataFrame, keys: Sequence[str], k: int,
               expected: pd.Index | None) -> pd.DataFrame:
    """Units × months 1–k: True where a unit has no row in the month."""
    months = actual["month"].astype(np.int64)
    keep = (months <= k).to_numpy()
    index = pd.MultiIndex.from_arrays([actual.loc[keep, c] for c in keys] + [months[keep]],
                                      names=[*keys, "month"]).unique()
    present = pd.Series(False, index=index).unstack("month", fill_value=True)
    present = present.reindex(columns=pd.RangeIndex(1, k + 1, name="month"), fill_value=True)
    if expected is not None:
        present = present.reindex(expected, fill_value=True)
    return present.astype(bool)


def _refuse_gaps(gaps: pd.DataFrame, keys: Sequence[str], k: int, what: str) -> NoReturn:
    """Raise for the gaps: whole months first, then whole units, then the first unit-month."""
    def unit(u: object) -> str:
        return _unit_words(keys, u if isinstance(u, tuple) else (u,))

    count = int(gaps.to_numpy().sum())
    rule = (f"every {' × '.join(keys)} needs a row for each month from 1 ({MONTHS[0]}) to "
            f"{k} ({MONTHS[k - 1]}), 0 for no spend ({count} gap{'s' * (count > 1)} in all)")
    whole = [m for m in range(1, k + 1) if gaps[m].all()] if len(gaps) > 1 else []
    if whole:
        raise ValidationError(f"{what}: no data for month(s) {whole} (1 = April) up to month "
                              f"{k}; {rule}")
    units_absent = gaps.all(axis=1)
    for level in keys if len(keys) > 1 else ():      # e.g. a POD absent for every practice
        every = units_absent.groupby(level=level).all()
        if every.any():
            raise ValidationError(f"{what}: no rows at all for {level}(s) "
                                  f"{quoted(every.index[every.to_numpy()].tolist())}; {rule}")
    absent = gaps.index[units_absent.to_numpy()].tolist()
    if absent:
        raise ValidationError(f"{what}: no rows at all for {'; '.join(map(unit, absent[:5]))}"
                              f"{f' and {len(absent) - 5} more' * (len(absent) > 5)}; {rule}")
    row, col = (int(i) for i in next(zip(*gaps.to_numpy().nonzero(), strict=True)))
    raise ValidationError(f"{what}: no row for {unit(gaps.index[row])} in month {col + 1} "
                          f"({MONTHS[col]}); {rule}")


def monthly_actuals(actual: pd.DataFrame, keys: Sequence[str], month: int,
                    value: str = "cost", *, expected: pd.Index | None = None,
                    what: str = "actual", missing: Missing = "refuse") -> pd.DataFrame:
    """Pivot tidy actuals to one row per ``keys`` and one column per month 1–12.

    Months after ``month`` are left out (set to 0 in the result). Every unit (expected, or
    found in ``actual``) needs a row in every month up to ``month``, as
    :func:`panel_gaps` says: a gap is refused, or with ``missing="report"`` left as NaN in
    the result (never 0, which is a row of 0).

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"practice": ["A", "A", "B", "B"], "month": [1, 2, 1, 2],
    ...                   "cost": [5.0, 6, 0, 7]})
    >>> monthly_actuals(a, ["practice"], month=2)[[1, 2, 3]]
    month       1    2    3
    practice
    A         5.0  6.0  0.0
    B         0.0  7.0  0.0
    >>> monthly_actuals(a[1:], ["practice"], month=2, missing="report")[[1, 2, 3]]
    month       1    2    3
    practice
    A         NaN  6.0  0.0
    B         0.0  7.0  0.0
    """
    k = check_month(month)
    require_columns(actual, [*keys, "month", value], "actual")
    check_months(actual["month"], "actual")
    if "year" in actual.columns and actual["year"].nunique() > 1:
        raise ValidationError(f"actual: several financial years {quoted(actual['year'].unique())}"
                              "; pass one year's actuals")
    values = finite_series(actual[value], f"actual: {value}")
    gaps = panel_gaps(actual, keys, k, expected=expected, what=what, missing=missing)
    months = actual["month"].astype(np.int64)
    keep = (months <= k).to_numpy()
    grouped = values[keep].groupby([actual.loc[keep, c] for c in keys] + [months[keep]]).sum()
    wide = grouped.unstack("month").reindex(columns=range(1, 13)).fillna(0.0)
    wide.columns = pd.RangeIndex(1, 13, name="month")
    if len(gaps):        # missing="report": the gaps stay visible as NaN, never 0
        flags = (gaps.assign(gap=True).set_index([*keys, "month"])["gap"]
                 .unstack("month", fill_value=False))
        if expected is not None:
            wide = wide.reindex(wide.index.append(expected.difference(wide.index)),
                                fill_value=0.0)
        wide = wide.mask(flags.reindex(index=wide.index, columns=wide.columns, fill_value=False))
    return wide


def _grouped(frame: pd.DataFrame, by: str | Sequence[str],
             population: Population | None) -> pd.DataFrame:
    """Sum a (practice[, pod])-indexed frame to the ``by`` level(s)."""
    levels = [by] if isinstance(by, str) else list(by)
    idx = frame.index.to_frame(index=False)
    for lv in levels:
        if lv in idx.columns:
            continue
        if lv == "pod":
            raise ValidationError("by: the budgets are not by POD; phase budgets by practice × "
                                  "POD to report by pod")
        if lv not in ("consortium", "commissioner"):
            raise ValidationError(f"by: unknown level {lv!r}; expected practice, consortium, "
                                  f"commissioner or pod")
        if population is None:
            raise ValidationError(f"population: needed to group by {lv}")
        units = idx["practice"].map(population.units(cast(Level, lv)))
        if units.isna().any():
            raise ValidationError(f"population: practice(s) not in the population "
                                  f"{quoted(idx.loc[units.isna(), 'practice'].unique())}")
        idx[lv] = units
    keyed = frame.set_axis(pd.MultiIndex.from_frame(idx[levels]), axis=0)
    out = keyed.groupby(level=levels, sort=True).sum()
    gaps = keyed.isna()
    if gaps.to_numpy().any():      # a gap in a member is a gap in its group, never a 0
        out = out.mask(gaps.groupby(level=levels, sort=True).any())
    if len(levels) == 1:
        out.index = pd.Index(out.index.get_level_values(0), name=levels[0])
    return out


def _budget_and_actual(phased: pd.DataFrame, actual: pd.DataFrame, month: int,
                       by: str | Sequence[str], population: Population | None,
                       missing: Missing) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Budgets and spend by month, grouped ``by``; every budget line needs spend in every
    month to date (:func:`panel_gaps`): a gap is refused or, reported, NaN."""
    if not isinstance(phased, pd.DataFrame) or list(phased.columns) != list(range(1, 13)):
        raise ValidationError("phased: expected monthly budgets with columns 1–12 "
                              "(see pbcmodel.phasing.phase)")
    keys = list(phased.index.names)
    wide = monthly_actuals(actual, keys, month, expected=phased.index, missing=missing)
    unknown = wide.index.difference(phased.index)
    if len(unknown):
        raise ValidationError(f"actual: spend with no budget for {quoted(unknown)}")
    wide = wide.reindex(phased.index)
    return _grouped(phased, by, population), _grouped(wide, by, population)


def _missing_months(spent: pd.DataFrame, k: int) -> list[tuple[int, ...]]:
    """Per row, the months to date with no spend reported (missing="report")."""
    gaps = spent.loc[:, 1:k].isna().to_numpy()
    return [tuple(int(m) + 1 for m in row.nonzero()[0]) for row in gaps]


def year_to_date(phased: pd.DataFrame, actual: pd.DataFrame, month: int, *,
                 by: str | Sequence[str] = "practice",
                 population: Population | None = None,
                 missing: Missing = "refuse") -> pd.DataFrame:
    """Year-to-date budget against actual spend, by practice, consortium, POD or a mix.

    Parameters
    ----------
    phased : DataFrame
        Monthly budgets from :func:`pbcmodel.phasing.phase` (index ``practice`` or
        ``practice``, ``pod``; columns 1–12).
    actual : DataFrame
        Tidy actual spend for one financial year: columns ``practice``, ``month``, ``cost``
        (and ``pod`` if ``phased`` is by POD). Every practice (× POD) of ``phased`` needs a
        row in every month from 1 to ``month``: 0 for no spend. No row is a month not
        reported, not a month of no spend (see :func:`panel_gaps`).
    month : int
        Last month reported (1 = April … 12 = March).
    by : str or sequence of str
        ``"practice"``, ``"consortium"``, ``"commissioner"``, ``"pod"`` or a list of them.
    population : Population, optional
        Needed to group by consortium or commissioner.
    missing : {"refuse", "report"}
        What to do with a practice (× POD) with no row in a month to date: ``"refuse"``
        (the default) raises :class:`~pbcmodel.errors.ValidationError` naming it and the
        month; ``"report"`` adds a column ``missing_months`` (the months to date with no
        row, for the unit or any practice in it) and leaves the spend of such a unit
        unknown (NaN), never counted as 0.

    Returns
    -------
    DataFrame
        ``annual_budget``, ``budget_ytd``, ``actual_ytd``, ``variance`` (budget − actual,
        positive = underspend, negative = overspend) and ``variance_pct`` (of the
        year-to-date budget); with ``missing="report"`` also ``missing_months``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pbcmodel.phasing import flat_profile, phase
    >>> phased = phase(pd.DataFrame({"ae": [120.0], "community": [240.0]},
    ...                             index=pd.Index(["P1"], name="practice")), flat_profile())
    >>> actual = pd.DataFrame({"practice": "P1", "pod": ["ae", "community"], "month": 1,
    ...                        "cost": [15.0, 20.0]})
    >>> year_to_date(phased, actual, 1, by="pod")["variance"].tolist()     # 10 − 15, 20 − 20
    [-5.0, 0.0]
    """
    k = check_month(month)
    budget, spent = _budget_and_actual(phased, actual, k, by, population, missing)
    out = pd.DataFrame({"annual_budget": budget.sum(axis=1),
                        "budget_ytd": budget.loc[:, 1:k].sum(axis=1),
                        "actual_ytd": spent.loc[:, 1:k].sum(axis=1, skipna=False)})
    out["variance"] = out["budget_ytd"] - out["actual_ytd"]
    out["variance_pct"] = out["variance"] / out["budget_ytd"].where(out["budget_ytd"] > 0)
    if missing == "report":
        out["missing_months"] = _missing_months(spent, k)
    return out


def _forecast(weights: np.ndarray, spent: np.ndarray, k: int,
              level: float) -> dict[str, np.ndarray]:
    """Ratio-estimator forecast of the year and a prediction interval (units × months)."""
    w, a = weights[:, :k], spent[:, :k]
    done = w.sum(axis=1)
    ytd = a.sum(axis=1)
    rate = ytd / done
    rest = 1.0 - done
    if k > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            resid = np.where(w > 0, (a - w * rate[:, None]) ** 2 / w, 0.0)
        sigma2 = resid.sum(axis=1) / (k - 1)
        sd = np.sqrt(sigma2 * (rest + rest**2 / done))
        t = stats.t.ppf(0.5 + level / 2, k - 1)
    else:
        sd = np.full_like(rate, np.nan)
        t = np.nan
    forecast = ytd + rest * rate
    return {"forecast": forecast, "lower": forecast - t * sd, "upper": forecast + t * sd,
            "sd": sd, "df": np.full_like(rate, k - 1.0)}


def forecast_outturn(phased: pd.DataFrame, actual: pd.DataFrame, month: int, *,
                     method: Method = "seasonal", by: str | Sequence[str] = "practice",
                     population: Population | None = None, level: float = 0.9,
                     model: CostModel | None = None,
                     risk_method: RiskMethod = "fft",
                     missing: Missing = "refuse") -> pd.DataFrame:
    """Forecast each unit's spend for the whole year, with a prediction interval.

    Parameters
    ----------
    phased, actual, month, by, population, missing
        As for :func:`year_to_date`: a practice (× POD) with a month to date not reported
        is refused or, with ``missing="report"``, listed in ``missing_months`` with no
        forecast (NaN): a month not reported is never forecast as a month of no spend.
    method : {"seasonal", "run_rate", "risk"}
        ``"seasonal"`` extrapolates along the budget's own monthly profile (so a winter
        peak phased into the budget is expected); ``"run_rate"`` along a flat year.
        ``"risk"`` adds to the year to date the risk engine's distribution of the rest of
        the year's spend for the unit's patients (:func:`pbcmodel.risk.spend_distribution`
        with ``model``): each patient's chance of using a POD is the annual one thinned by
        the share of that POD's budget still to come, with the same cost given use. It says
        what the patients' age and sex predict, not what this year's run rate does; it needs
        ``population`` and ``model`` and ``by`` of practice, consortium or commissioner.
    level : float
        Coverage of the interval, in (0, 1).
    model : CostModel, optional
        Per-patient cost model, for ``method="risk"``.
    risk_method : {"fft", "mc", "normal"}
        Method of the risk engine, for ``method="risk"``.

    Returns
    -------
    DataFrame
        ``annual_budget``, ``actual_ytd``, ``forecast``, ``lower``, ``upper``,
        ``forecast_variance`` (budget − forecast: negative is a forecast overspend) and
        ``prob_overspend`` (chance the
        outturn exceeds the budget, from the same t distribution; NaN with one month);
        with ``missing="report"`` also ``missing_months``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pbcmodel.phasing import flat_profile, phase
    >>> phased = phase(pd.Series({"P1": 1200.0}), flat_profile())
    >>> actual = pd.DataFrame({"practice": "P1", "month": [1, 2, 3, 4],
    ...                        "cost": [100.0, 120.0, 110.0, 110.0]})
    >>> f = forecast_outturn(phased, actual, 4)
    >>> f[["forecast", "lower", "upper"]].round(1)      # 440 / (4/12) = 1320 ± t₃·40
              forecast   lower   upper
    practice
    P1          1320.0  1225.9  1414.1
    """
    k = check_month(month)
    lv = check_level(level)
    if method not in ("seasonal", "run_rate", "risk"):
        raise ValidationError(f"method: expected 'seasonal', 'run_rate' or 'risk', got {method!r}")
    risk = _check_risk_inputs(by, population, model) if method == "risk" else None
    budget, spent = _budget_and_actual(phased, actual, k, by, population, missing)
    out = _forecast_table(phased, budget, spent, k, method, lv, risk, risk_method)
    if missing == "report":
        out["missing_months"] = _missing_months(spent, k)
    return out


def _forecast_table(phased: pd.DataFrame, budget: pd.DataFrame, spent: pd.DataFrame, k: int,
                    method: Method, lv: float,
                    risk: tuple[Level, Population, CostModel] | None,
                    risk_method: RiskMethod) -> pd.DataFrame:
    annual = budget.sum(axis=1)
    if risk is not None:
        unit, pop, cost_model = risk
        return _risk_forecast(phased, annual, spent.loc[:, 1:k].sum(axis=1, skipna=False), k,
                              by=unit, population=pop, model=cost_model, level=lv,
                              risk_method=risk_method)
    if method == "seasonal":
        if (annual <= 0).any():
            raise ValidationError(f"phased: no budget to give a seasonal profile for "
                                  f"{quoted(annual.index[annual <= 0])}; use method='run_rate'")
        weights = budget.to_numpy() / annual.to_numpy()[:, None]
    else:
        weights = np.broadcast_to(flat_profile().to_numpy(), budget.shape)
    if (weights[:, :k].sum(axis=1) <= 0).any():
        raise ValidationError("phased: the profile gives no share to the months reported")
    f = _forecast(weights, spent.to_numpy(), k, lv)
    out = pd.DataFrame({"annual_budget": annual,
                        "actual_ytd": spent.loc[:, 1:k].sum(axis=1, skipna=False),
                        "forecast": f["forecast"], "lower": f["lower"], "upper": f["upper"]},
                       index=budget.index)
    out["forecast_variance"] = out["annual_budget"] - out["forecast"]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (annual.to_numpy() - f["forecast"]) / f["sd"]
        prob = np.where(f["sd"] > 0, stats.t.sf(z, np.maximum(f["df"], 1)),
                        (f["forecast"] > annual.to_numpy()).astype(float))
    out["prob_overspend"] = np.where(np.isnan(f["sd"]), np.nan, prob)
    return out


def _remaining_share(phased: pd.DataFrame, k: int) -> pd.Series:
    """Share of each POD's budget (over all practices) falling after month ``k``."""
    if "pod" in phased.index.names:
        by_pod = phased.groupby(level="pod").sum()
    else:
        by_pod = pd.DataFrame([phased.sum().to_numpy()] * len(PODS), index=list(PODS),
                              columns=phased.columns)
    total = by_pod.sum(axis=1)
    return (by_pod.loc[:, k + 1:].sum(axis=1) / total.where(total > 0)).fillna(0.0)


def _check_risk_inputs(by: str | Sequence[str], population: Population | None,
                       model: CostModel | None) -> tuple[Level, Population, CostModel]:
    if population is None or model is None:
        raise ValidationError("model: method='risk' needs a population and a cost model")
    if not isinstance(by, str) or by not in ("practice", "consortium", "commissioner"):
        raise ValidationError(f"by: method='risk' forecasts practices, consortia or "
                              f"commissioners, not {by!r}")
    return cast(Level, by), population, model


def _risk_forecast(phased: pd.DataFrame, annual: pd.Series, ytd: pd.Series, k: int, *,
                   by: Level, population: Population, model: CostModel, level: float,
                   risk_method: RiskMethod) -> pd.DataFrame:
    from .risk import spend_distribution  # the risk engine, only needed for this method

    practices = pd.Index(phased.index.get_level_values("practice").unique())
    unknown = practices.difference(population.codes)
    if len(unknown):
        raise ValidationError(f"population: practice(s) not in the population {quoted(unknown)}")
    out = pd.DataFrame({"annual_budget": annual, "actual_ytd": ytd})
    if k == 12:
        out["forecast"] = out["lower"] = out["upper"] = ytd
        out["forecast_variance"] = annual - ytd
        out["prob_overspend"] = (ytd > annual).astype(float)
        return out
    rest = _remaining_share(phased, k)
    table = model.table.copy()
    table["p_use"] = table["p_use"] * rest.reindex(
        table.index.get_level_values("pod")).to_numpy()
    remaining = spend_distribution(population.subset(practices=list(practices)),
                                   attrs.evolve(model, table=table), method=risk_method, by=by)
    to_come = pd.DataFrame({"mean": remaining.mean,
                            "lower": remaining.quantile(0.5 - level / 2),
                            "upper": remaining.quantile(0.5 + level / 2),
                            "prob": remaining.prob_exceed(annual - ytd)}).reindex(out.index)
    out["forecast"] = ytd + to_come["mean"]
    out["lower"] = ytd + to_come["lower"]
    out["upper"] = ytd + to_come["upper"]
    out["forecast_variance"] = annual - out["forecast"]
    out["prob_overspend"] = to_come["prob"]
    return out


def contract_monitor(plan: pd.DataFrame, actual: pd.DataFrame, month: int, *,
                     profile: pd.Series | pd.DataFrame | None = None,
                     tolerance: float = 0.03) -> pd.DataFrame:
    """Monitor secondary-care contracts: activity and cost against plan by provider and POD.

    Parameters
    ----------
    plan : DataFrame
        Annual contract plan indexed by (``provider``, ``pod``), columns ``activity`` and
        ``price``.
    actual : DataFrame
        Tidy invoiced activity: ``provider``, ``pod``, ``month``, ``activity``, ``cost``.
        Every line of the plan needs a row in every month from 1 to ``month`` (0 for
        nothing invoiced); a month with no row is refused, naming the line and the month
        (see :func:`panel_gaps`). A line not in the plan is flagged, with what was invoiced.
    month : int
        Last month reported (1 = April).
    profile : Series or DataFrame, optional
        Monthly phasing of the plan (by POD for a DataFrame); flat by default.
    tolerance : float
        Flag a line when its year-to-date cost is more than this fraction over or under plan.

    Returns
    -------
    DataFrame
        Per (provider, pod): ``plan_activity_ytd``, ``actual_activity_ytd``,
        ``activity_variance_pct`` ((plan − actual) ÷ plan units), ``plan_cost_ytd``,
        ``actual_cost_ytd``, ``cost_variance`` (plan − actual: negative is over plan),
        ``cost_variance_pct``, ``price``, ``volume`` and ``mix`` (the variance split, see
        :func:`pbcmodel.costing.price_volume_mix`), ``forecast_cost`` (along the plan's
        profile; NaN for a line not in the plan), ``flag``
        (``"over plan"``, ``"under plan"``, ``"on plan"`` or ``"not in plan"``) and ``driver``
        (the largest of price / volume / mix for a flagged line).

    Examples
    --------
    >>> import pandas as pd
    >>> plan = pd.DataFrame({"provider": ["RXA"], "pod": ["ae"], "activity": [1200.0],
    ...                      "price": [100.0]}).set_index(["provider", "pod"])
    >>> actual = pd.DataFrame({"provider": "RXA", "pod": "ae", "month": [1, 2],
    ...                        "activity": [110, 120], "cost": [11_000.0, 12_000.0]})
    >>> out = contract_monitor(plan, actual, 2)
    >>> out[["plan_cost_ytd", "actual_cost_ytd", "flag", "driver"]]
                  plan_cost_ytd  actual_cost_ytd       flag  driver
    provider pod
    RXA      ae        20000.0          23000.0  over plan  volume
    """
    k = check_month(month)
    tol = check_fraction(tolerance, "tolerance", high_open=True)
    if not isinstance(plan, pd.DataFrame) or list(plan.index.names) != ["provider", "pod"]:
        raise ValidationError("plan: expected a DataFrame indexed by (provider, pod)")
    require_columns(plan, ["activity", "price"], "plan")
    share = row_shares(flat_profile() if profile is None else profile,
                        plan.index.get_level_values("pod"), len(plan))
    keys = ["provider", "pod"]
    cost = monthly_actuals(actual, keys, k, "cost", expected=plan.index)
    units = monthly_actuals(actual, keys, k, "activity", expected=plan.index)
    done = pd.Series(share[:, :k].sum(axis=1), index=plan.index)
    plan_ytd = pd.DataFrame({"activity": plan["activity"] * done, "price": plan["price"]})
    actual_ytd = pd.DataFrame({"activity": units.loc[:, 1:k].sum(axis=1),
                               "cost": cost.loc[:, 1:k].sum(axis=1)})
    split = price_volume_mix(plan_ytd, actual_ytd, by=keys)
    out = pd.DataFrame({
        "plan_activity_ytd": split["plan_activity"],
        "actual_activity_ytd": split["actual_activity"],
        "plan_cost_ytd": split["plan_cost"], "actual_cost_ytd": split["actual_cost"],
        "cost_variance": split["variance"],
        "price": split["price"], "volume": split["volume"], "mix": split["mix"],
    })
    out.insert(2, "activity_variance_pct",
               1 - out["actual_activity_ytd"] / out["plan_activity_ytd"].where(
                   out["plan_activity_ytd"] > 0))
    out.insert(6, "cost_variance_pct",
               out["cost_variance"] / out["plan_cost_ytd"].where(out["plan_cost_ytd"] > 0))
    done_all = done.reindex(out.index)
    out["forecast_cost"] = out["actual_cost_ytd"] / done_all
    pct = out["cost_variance_pct"]
    out["flag"] = np.select([done_all.isna().to_numpy(), (pct < -tol).to_numpy(),
                             (pct > tol).to_numpy()],
                            ["not in plan", "over plan", "under plan"], "on plan")
    parts = out[["price", "volume", "mix"]].abs()
    out["driver"] = np.where(out["flag"] == "on plan", "", parts.idxmax(axis=1))
    return out
