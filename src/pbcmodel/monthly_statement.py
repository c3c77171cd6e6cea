"""A practice's one-page monthly statement: where it stands, where it is heading, and why.

The Audit Commission found practices' information late and hard to read. The statement
puts on one page the year to date against budget, the forecast for the year with a range
and the chance of overspending, the PODs driving the variance, the practice's standardised
activity ratios, and a few plain sentences that say all of it in words. Months are
financial-year months (1 = April).

Examples
--------
>>> from pbcmodel.monthly_statement import MonthlyStatement
>>> MonthlyStatement.__name__
'MonthlyStatement'
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from .errors import ValidationError
from .money import pounds
from .monitoring import Method, forecast_outturn, monthly_actuals, year_to_date
from .phasing import MONTHS, calendar_month, check_month
from .population import Population
from .validation import quoted

if TYPE_CHECKING:
    from .risk.costmodel import CostModel

__all__ = ["MonthlyStatement", "statement"]


@attrs.frozen(eq=False)
class MonthlyStatement:
    """One practice's monthly statement (build it with :func:`statement`).

    Attributes
    ----------
    practice : str
    month : int
        Last month reported (1 = April).
    year : int or None
        Financial year (starting calendar year), for titles.
    summary : Series
        ``annual_budget``, ``budget_ytd``, ``actual_ytd``, ``variance``, ``variance_pct``,
        ``forecast``, ``lower``, ``upper``, ``forecast_variance``, ``prob_overspend``.
        Variances are budget − actual (negative = overspend), as in
        :func:`pbcmodel.monitoring.year_to_date`.
    by_pod : DataFrame or None
        The same by POD (when budgets are by POD), largest overspend (most negative
        variance) first.
    monthly : DataFrame
        Months 1–12: ``budget``, ``actual`` (NaN after ``month``), ``cumulative_budget``,
        ``cumulative_actual`` and the cumulative forecast path ``forecast``, ``lower``,
        ``upper`` (from ``month`` on).
    benchmarks : DataFrame or None
        The practice's standardised ratios by measure.
    messages : tuple of str
        The statement in words.
    level : float
        Coverage of the forecast range.
    """

    practice: str
    month: int
    year: int | None
    summary: pd.Series
    by_pod: pd.DataFrame | None
    monthly: pd.DataFrame
    benchmarks: pd.DataFrame | None
    messages: tuple[str, ...]
    level: float

    @property
    def title(self) -> str:
        """E.g. "Practice P001: statement to October 2026"."""
        when = (calendar_month(self.year, self.month).strftime("%B %Y") if self.year is not None
                else f"month {self.month} ({MONTHS[self.month - 1]})")
        return f"Practice {self.practice}: statement to {when}"

    def plot(self, ax: Any = None) -> Any:
        """Cumulative budget, actual and forecast range (see :mod:`pbcmodel.plot.monitoring`)."""
        from .plot.monitoring import statement_figure

        return statement_figure(self, ax=ax)

    def to_html(self, figure: bool = False) -> str:
        """The statement as one HTML page; ``figure=True`` embeds the chart (needs matplotlib)."""
        money = pounds
        parts = [f"<div class='pbcmodel-statement'><h3>{html.escape(self.title)}</h3><ul>"]
        parts += [f"<li>{html.escape(m)}</li>" for m in self.messages]
        parts.append("</ul>")
        if figure:
            from .plot.monitoring import statement_png

            parts.append(f"<img alt='budget and spend' src='data:image/png;base64,"
                         f"{statement_png(self)}'/>")
        summary = self.summary.to_frame("value").T
        fmt: dict[str, Any] = {c: money for c in summary.columns}
        fmt.update({"variance_pct": "{:+.1%}".format, "prob_overspend": "{:.0%}".format})
        parts.append(summary.to_html(formatters=fmt, border=0, index=False, na_rep="–"))
        if self.by_pod is not None:
            pod_fmt = {c: money for c in self.by_pod.columns}
            pod_fmt["variance_pct"] = "{:+.1%}".format
            parts.append("<p><b>By point of delivery</b></p>")
            parts.append(self.by_pod.to_html(formatters=pod_fmt, border=0, na_rep="–"))
        if self.benchmarks is not None:
            parts.append("<p><b>Activity against the reference, allowing for age and sex</b></p>")
            parts.append(self.benchmarks.to_html(float_format="{:,.2f}".format, border=0))
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()


def _one_practice(frame: pd.DataFrame, practice: str, what: str) -> pd.DataFrame:
    codes = frame.index.get_level_values("practice") if what == "phased" else frame["practice"]
    mask = np.asarray(codes == practice)
    if not mask.any():
        raise ValidationError(f"practice: {practice!r} not found in {what}")
    return frame[mask]


def _forecast_path(weights: np.ndarray, actual_ytd: float, k: int,
                   ends: dict[str, float]) -> dict[str, np.ndarray]:
    """Cumulative paths from the year to date to each end-of-year value, along ``weights``."""
    cum_w = np.cumsum(weights)
    rest = 1.0 - cum_w[k - 1]
    frac = (cum_w - cum_w[k - 1]) / rest if rest > 0 else np.ones(12)
    out = {}
    for name, end in ends.items():
        path = actual_ytd + frac * (end - actual_ytd)
        path[: k - 1] = np.nan
        out[name] = path
    return out


def _messages(s: pd.Series, by_pod: pd.DataFrame | None, bench: pd.DataFrame | None,
              k: int, level: float) -> tuple[str, ...]:
    over = "over" if s["variance"] < 0 else "under"
    out = [f"Year to date ({MONTHS[0]}–{MONTHS[k - 1]}) you have spent £{s['actual_ytd']:,.0f} "
           f"against a budget of £{s['budget_ytd']:,.0f}: £{abs(s['variance']):,.0f} "
           f"({abs(s['variance_pct']):.1%}) {over}."]
    if np.isnan(s["lower"]):
        out.append(f"On this month alone the year would end at £{s['forecast']:,.0f} against "
                   f"a budget of £{s['annual_budget']:,.0f}; a range needs two months of data.")
    elif k < 12:
        out.append(f"At this rate the year will end at £{s['forecast']:,.0f} ({level:.0%} range "
                   f"£{s['lower']:,.0f}–£{s['upper']:,.0f}) against a budget of "
                   f"£{s['annual_budget']:,.0f}: a {s['prob_overspend']:.0%} chance of "
                   f"overspending.")
    if by_pod is not None and len(by_pod):
        top = by_pod.iloc[0]
        out.append(f"Largest overspend: {by_pod.index[0].replace('_', ' ')}, "
                   f"£{-top['variance']:,.0f} ({-top['variance_pct']:.1%} over budget) "
                   "year to date." if top["variance"] < 0
                   else "No point of delivery is over budget.")
    if bench is not None:
        for measure, row in bench.iterrows():
            if row["flag"] != "within":
                out.append(f"{str(measure).replace('_', ' ').capitalize()}: {row['ratio']:.2f} "
                           f"times the number expected for your patients' age and sex "
                           f"({row['lower']:.2f}–{row['upper']:.2f}), {row['flag']} the "
                           f"reference.")
    return tuple(out)


def statement(practice: str, month: int, *, phased: pd.DataFrame, actual: pd.DataFrame,
              year: int | None = None, benchmarks: pd.DataFrame | None = None,
              method: Method = "seasonal", level: float = 0.9,
              population: Population | None = None,
              model: CostModel | None = None) -> MonthlyStatement:
    """Build a practice's one-page monthly statement.

    Parameters
    ----------
    practice : str
        Practice code.
    month : int
        Last month reported (1 = April … 12 = March).
    phased : DataFrame
        Monthly budgets (:func:`pbcmodel.phasing.phase`), by practice or practice × POD.
    actual : DataFrame
        Tidy actual spend (``practice``, ``month``, ``cost`` [, ``pod``] [, ``year``]).
    year : int, optional
        Financial year; selects it from a ``year`` column and dates the title.
    benchmarks : DataFrame, optional
        Output of :func:`pbcmodel.benchmarking.indirect_standardise` (one or several
        measures); the practice's rows are shown.
    method : {"seasonal", "run_rate", "risk"}
        Forecast method (:func:`pbcmodel.monitoring.forecast_outturn`); with ``"risk"`` the
        PODs' forecasts and the forecast path still follow the budget's seasonal profile.
    level : float
        Coverage of the forecast range.
    population, model : optional
        Registered patients and cost model, for ``method="risk"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pbcmodel.phasing import flat_profile, phase
    >>> phased = phase(pd.Series({"P1": 1200.0, "P2": 600.0}), flat_profile())
    >>> actual = pd.DataFrame({"practice": ["P1"] * 3 + ["P2"] * 3, "month": [1, 2, 3] * 2,
    ...                        "cost": [100.0, 120, 110, 50, 50, 50]})
    >>> st = statement("P1", 3, phased=phased, actual=actual)
    >>> print(st.messages[0])
    Year to date (Apr–Jun) you have spent £330 against a budget of £300: £30 (10.0%) over.
    """
    k = check_month(month)
    if not isinstance(practice, str):
        raise ValidationError(f"practice: expected a practice code, got {practice!r}")
    if year is not None:
        if "year" not in actual.columns:
            raise ValidationError("year: given, but actual has no 'year' column")
        actual = actual[actual["year"] == year]
    ph = _one_practice(phased, practice, "phased")
    act = _one_practice(actual, practice, "actual")
    ytd = year_to_date(ph, act, k).iloc[0]
    fc = forecast_outturn(ph, act, k, method=method, level=level, population=population,
                          model=model).iloc[0]
    profile_method: Method = "run_rate" if method == "run_rate" else "seasonal"
    summary = pd.concat([ytd, fc[["forecast", "lower", "upper", "forecast_variance",
                                  "prob_overspend"]]]).rename(practice)
    by_pod = None
    if "pod" in ph.index.names:
        by_pod = year_to_date(ph, act, k, by="pod").join(
            forecast_outturn(ph, act, k, method=profile_method, by="pod",
                             level=level)[["forecast"]])
        by_pod = by_pod.sort_values("variance", ascending=True)
    budget = ph.sum(axis=0).to_numpy()
    spent = monthly_actuals(act, list(ph.index.names), k).sum(axis=0).to_numpy()
    weights = budget / budget.sum() if profile_method == "seasonal" else np.full(12, 1 / 12)
    monthly = pd.DataFrame({"month_name": MONTHS, "budget": budget,
                            "actual": np.where(np.arange(1, 13) <= k, spent, np.nan)},
                           index=pd.RangeIndex(1, 13, name="month"))
    monthly["cumulative_budget"] = monthly["budget"].cumsum()
    monthly["cumulative_actual"] = monthly["actual"].cumsum()
    path = _forecast_path(weights, float(summary["actual_ytd"]), k,
                          {c: float(summary[c]) for c in ("forecast", "lower", "upper")})
    for name, values in path.items():
        monthly[name] = values
    bench = None
    if benchmarks is not None:
        if "practice" not in benchmarks.index.names:
            raise ValidationError("benchmarks: expected indirect_standardise output indexed "
                                  "by practice")
        codes = benchmarks.index.get_level_values("practice")
        if not (codes == practice).any():
            raise ValidationError(f"benchmarks: no rows for practice {quoted([practice])}")
        rows = benchmarks[np.asarray(codes == practice)]
        if benchmarks.index.nlevels > 1:
            rows = rows.droplevel("practice")
        else:  # one measure: label it by the events it counts
            rows = rows.set_axis(pd.Index(["events"], name="measure"), axis=0)
        bench = rows[["observed", "expected", "ratio", "lower", "upper", "flag"]]
    return MonthlyStatement(practice=practice, month=k, year=year, summary=summary,
                            by_pod=by_pod, monthly=monthly, benchmarks=bench,
                            messages=_messages(summary, by_pod, bench, k, level), level=level)
