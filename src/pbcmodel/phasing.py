"""Financial-year months and monthly budget phasing (flat, working days, seasonal).

**Convention.** NHS financial years run April–March. A financial year is labelled by the
calendar year in which it starts (``2026`` is April 2026 – March 2027) and months are
financial-year months: **1 = April, …, 9 = December, 10 = January, …, 12 = March**. Every
function that takes a month checks it is a whole number in 1–12.

A *profile* is the share of the annual budget that falls in each month: a Series indexed
1–12 summing to 1, or a DataFrame of them with one row per POD. :func:`phase` spreads
annual budgets over the months with a profile.

Examples
--------
>>> from pbcmodel.phasing import MONTHS, working_day_profile
>>> MONTHS[0], MONTHS[-1]
('Apr', 'Mar')
>>> working_day_profile(2026).round(4).loc[[1, 9]].tolist()   # April 2026: 20 of 251 days
[0.0797, 0.0837]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.holiday import (
    MO,
    AbstractHolidayCalendar,
    EasterMonday,
    GoodFriday,
    Holiday,
    next_monday,
    next_monday_or_tuesday,
)
from pandas.tseries.offsets import DateOffset

from .codes import PODS
from .errors import ValidationError
from .validation import finite_series, quoted, require_columns, whole_number

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MONTHS",
    "calendar_month",
    "check_month",
    "england_bank_holidays",
    "flat_profile",
    "phase",
    "seasonal_profile",
    "working_day_profile",
]

#: Financial-year month names: month 1 is April, month 12 is March.
MONTHS: tuple[str, ...] = ("Apr", "May", "Jun", "Jul", "Aug", "Sep",
                           "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")
#: Financial years (labelled by starting calendar year) with known England bank holidays.
FIRST_YEAR, LAST_YEAR = 2015, 2035

_MONTH_INDEX = pd.RangeIndex(1, 13, name="month")


def check_month(month: Any, name: str = "month") -> int:
    """Return ``month`` as an int, raising unless it is a whole number in 1–12 (1 = April).

    Examples
    --------
    >>> check_month(7)
    7
    """
    try:
        return whole_number(month, name, minimum=1, maximum=12)
    except ValidationError:
        raise ValidationError(f"{name}: must be a whole number in 1–12 (1 = April), "
                              f"got {month!r}") from None


def _check_year(year: Any) -> int:
    try:
        return whole_number(year, "year", minimum=FIRST_YEAR, maximum=LAST_YEAR)
    except ValidationError:
        raise ValidationError(f"year: financial years {FIRST_YEAR}–{LAST_YEAR} are supported "
                              f"(labelled by their starting year), got {year!r}") from None


def calendar_month(year: int, month: int) -> pd.Period:
    """The calendar month of financial-year ``year``'s month ``month``.

    Examples
    --------
    >>> calendar_month(2026, 1), calendar_month(2026, 10)
    (Period('2026-04', 'M'), Period('2027-01', 'M'))
    """
    m = check_month(month)
    return pd.Period(year=_check_year(year) + (m >= 10), month=(m + 2) % 12 + 1, freq="M")


class _EnglandCalendar(AbstractHolidayCalendar):
    rules = [  # noqa: RUF012  (pandas reads a plain class attribute)
        Holiday("New Year's Day", month=1, day=1, observance=next_monday),
        GoodFriday,
        EasterMonday,
        Holiday("Early May bank holiday", month=5, day=1, offset=DateOffset(weekday=MO(1))),
        Holiday("Spring bank holiday", month=5, day=31, offset=DateOffset(weekday=MO(-1))),
        Holiday("Summer bank holiday", month=8, day=31, offset=DateOffset(weekday=MO(-1))),
        Holiday("Christmas Day", month=12, day=25, observance=next_monday),
        Holiday("Boxing Day", month=12, day=26, observance=next_monday_or_tuesday),
    ]


#: One-off changes to the regular pattern (moved: rule date → actual date; extra days).
_MOVED = {"2020-05-04": "2020-05-08", "2022-05-30": "2022-06-02"}
_EXTRA = ("2022-06-03", "2022-09-19", "2023-05-08")


def england_bank_holidays(year: int) -> pd.DatetimeIndex:
    """Bank holidays in England and Wales in financial year ``year`` (April–March).

    Regular rules (New Year, Easter, May, August, Christmas with substitute days) from
    pandas' holiday machinery, plus the one-off changes of 2020, 2022 and 2023. Supported
    for financial years :data:`FIRST_YEAR`–:data:`LAST_YEAR`; future one-off holidays
    are not known in advance.

    Examples
    --------
    >>> [d.strftime("%d %b") for d in england_bank_holidays(2026)][:4]
    ['03 Apr', '06 Apr', '04 May', '25 May']
    >>> len(england_bank_holidays(2022))    # 2022/23: the Platinum Jubilee and a state funeral
    10
    """
    y = _check_year(year)
    start, end = pd.Timestamp(y, 4, 1), pd.Timestamp(y + 1, 3, 31)
    days = _EnglandCalendar().holidays(start, end)
    days = days.map(lambda d: pd.Timestamp(_MOVED.get(d.strftime("%Y-%m-%d"), d)))
    extra = pd.DatetimeIndex(_EXTRA)
    days = days.union(extra[(extra >= start) & (extra <= end)])
    return days.sort_values()


def _profile(values: np.ndarray) -> pd.Series:
    return pd.Series(values / values.sum(), index=_MONTH_INDEX, name="share")


def flat_profile() -> pd.Series:
    """Twelve equal shares.

    Examples
    --------
    >>> float(flat_profile().sum())
    1.0
    """
    return _profile(np.ones(12))


def working_day_profile(year: int) -> pd.Series:
    """Shares in proportion to working days (Monday–Friday less England bank holidays).

    Examples
    --------
    >>> int(working_day_profile(2026).idxmin())     # May 2026: 21 weekdays, 2 bank holidays
    2
    """
    y = _check_year(year)
    starts = [calendar_month(y, m).start_time.date() for m in range(1, 13)]
    ends = [(calendar_month(y, m) + 1).start_time.date() for m in range(1, 13)]
    holidays = england_bank_holidays(y).to_numpy().astype("datetime64[D]")
    days = np.busday_count(np.array(starts, dtype="datetime64[D]"),
                           np.array(ends, dtype="datetime64[D]"), holidays=holidays)
    return _profile(days.astype(float))


def seasonal_profile(history: pd.DataFrame, by: str | None = "pod",
                     value: str = "cost") -> pd.Series | pd.DataFrame:
    """Seasonal shares learned from past years: the mean across years of each month's share.

    Only complete financial years (all 12 months present) are used, so a current,
    part-finished year in the same table is left out: that is the latest year, when none of
    its groups has all 12 months. Any other month missing (a row of 0 is a month of nothing)
    is refused, naming the year, the group and the month: an earlier year, or a group of a
    finished year, with a month or a whole group missing would otherwise drop out of the
    mean without a word.

    Parameters
    ----------
    history : DataFrame
        Tidy: columns ``year``, ``month`` (1 = April), ``value`` and ``by`` (if given).
    by : str or None
        Learn one profile per value of this column (e.g. ``"pod"``), or one overall.
    value : str
        Column to profile (e.g. ``cost`` or ``activity``).

    Returns
    -------
    Series or DataFrame
        Month shares (columns 1–12 when ``by`` is given, one row per group).

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"year": [2024] * 12, "month": range(1, 13),
    ...                   "cost": [1.0] * 9 + [2.0, 2.0, 1.0]})
    >>> seasonal_profile(h, by=None).loc[[1, 10]].round(4).tolist()    # 1/14 and 2/14
    [0.0714, 0.1429]
    """
    keys = ["year", "month"] + ([by] if by is not None else [])
    require_columns(history, [*keys, value], "history")
    check_months(history["month"], "history")
    values = finite_series(history[value], f"history: {value}")
    if (values < 0).any():
        raise ValidationError(f"history: negative {value} in row(s) "
                              f"{quoted(history.index[(values < 0).to_numpy()])}")
    groups = [by] if by is not None else []
    totals = values.groupby([history[k] for k in keys]).sum()
    wide = totals.unstack("month")
    _refuse_history_gaps(wide, by)
    wide = wide[wide.notna().sum(axis=1) == 12]
    if wide.empty:
        raise ValidationError("history: no complete financial year (all 12 months) to learn from")
    year_total = wide.sum(axis=1)
    if (year_total <= 0).any():
        raise ValidationError(f"history: a year with no {value} for "
                              f"{quoted(wide.index[(year_total <= 0).to_numpy()])}")
    shares = wide.div(year_total, axis=0)
    if not groups:
        return pd.Series(shares.mean().to_numpy(), index=_MONTH_INDEX, name="share")
    out = shares.groupby(level=by).mean()
    out.columns = _MONTH_INDEX
    return out


def _refuse_history_gaps(wide: pd.DataFrame, by: str | None) -> None:
    """Raise for a month missing from history other than the part-finished latest year."""
    full = wide.reindex(columns=_MONTH_INDEX)
    if by is not None:        # every group in every year
        full = full.reindex(pd.MultiIndex.from_product(
            [full.index.get_level_values("year").unique(),
             full.index.get_level_values(by).unique()], names=["year", by]))
    gaps = full.isna().to_numpy()
    year = full.index.get_level_values("year")
    latest = year == year.max()
    part_finished = latest & bool(gaps[latest].any(axis=1).all())
    bad = gaps.any(axis=1) & ~part_finished
    if bad.any():
        row = int(bad.argmax())
        month = int(gaps[row].argmax()) + 1
        label = full.index[row]
        where = (f"year {label[0]}, {by} {str(label[1])!r}" if by is not None
                 else f"year {label}")
        what = ("no rows at all" if gaps[row].all()
                else f"no row for month {month} ({MONTHS[month - 1]})")
        raise ValidationError(f"history: {where}: {what} ({int(gaps[bad].sum())} month(s) "
                              "missing in all); every year but a part-finished latest one needs "
                              "all 12 months, 0 for none")


def check_months(months: pd.Series, what: str) -> None:
    m = pd.to_numeric(months, errors="coerce")
    bad = m.isna() | (m != np.floor(m)) | (m < 1) | (m > 12)
    if bad.any():
        raise ValidationError(f"{what}: month must be 1–12 (1 = April); bad value(s) "
                              f"{quoted(months[bad].unique())}")


def _check_profile(profile: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Profile as a DataFrame (rows × months 1–12), validated."""
    frame = profile.to_frame().T if isinstance(profile, pd.Series) else profile
    if not isinstance(frame, pd.DataFrame) or list(frame.columns) != list(range(1, 13)):
        raise ValidationError("profile: expected shares for months 1–12 (a Series indexed 1–12, "
                              "or a DataFrame with columns 1–12)")
    values = frame.to_numpy(dtype=float)
    if (~np.isfinite(values)).any() or (values < 0).any():
        raise ValidationError("profile: shares must be finite and >= 0")
    off = np.abs(values.sum(axis=1) - 1.0) > 1e-9
    if off.any():
        raise ValidationError(f"profile: shares must sum to 1; row(s) {quoted(frame.index[off])} "
                              "do not")
    return frame.astype(float)


def row_shares(profile: pd.Series | pd.DataFrame, pods: pd.Index | None,
                n_rows: int) -> np.ndarray:
    """Month shares (n_rows × 12): each row's POD's profile, or the one profile for all."""
    prof = _check_profile(profile)
    if isinstance(profile, pd.DataFrame) and pods is not None:
        missing = pd.Index(pods.unique()).difference(prof.index)
        if missing.size:
            raise ValidationError(f"profile: no row for POD(s) {quoted(missing)}")
        return prof.reindex(pods).to_numpy()
    if len(prof) != 1:
        raise ValidationError("profile: a profile by POD needs budgets by POD (a DataFrame)")
    return np.broadcast_to(prof.to_numpy()[0], (n_rows, 12))


def phase(budgets: pd.Series | pd.DataFrame,
          profile: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Spread annual budgets over the twelve months of the financial year.

    Parameters
    ----------
    budgets : Series or DataFrame
        Annual budget (pounds) by practice, or practice × POD (a ``total`` column, as
        returned by ``CapitationFormula.budgets``, is dropped).
    profile : Series or DataFrame
        Month shares (:func:`flat_profile`, :func:`working_day_profile`,
        :func:`seasonal_profile`); a DataFrame needs a row for every POD in ``budgets``.

    Returns
    -------
    DataFrame
        Monthly budgets: index ``practice`` (or ``practice``, ``pod``), columns months 1–12.
        Each row sums to the annual budget.

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.Series({"P001": 1_200_000.0, "P002": 600_000.0})
    >>> phase(b, flat_profile())[[1, 12]]
    month           1         12
    practice
    P001      100000.0  100000.0
    P002       50000.0   50000.0
    """
    if isinstance(budgets, pd.DataFrame):
        annual = budgets.drop(columns=["total"], errors="ignore")
        unknown = [c for c in annual.columns if c not in PODS]
        if unknown:
            raise ValidationError(f"budgets: unknown POD column(s) {quoted(unknown)}")
        long = annual.stack()
        long.index = long.index.set_names(["practice", "pod"])
    elif isinstance(budgets, pd.Series):
        long = budgets.rename_axis("practice")
    else:
        raise ValidationError("budgets: expected a Series or DataFrame, "
                              f"got {type(budgets).__name__}")
    long = finite_series(long, "budgets")
    if (long < 0).any():
        raise ValidationError(f"budgets: negative budget for {quoted(long.index[long < 0])}")
    pods = long.index.get_level_values("pod") if "pod" in long.index.names else None
    shares = row_shares(profile, pods, len(long))
    return pd.DataFrame(long.to_numpy()[:, None] * shares, index=long.index,
                        columns=_MONTH_INDEX)
