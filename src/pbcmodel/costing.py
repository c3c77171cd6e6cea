"""Costing activity: activity × tariff by point of delivery, and price/volume/mix variance.

Secondary-care activity is paid by tariff: a price per unit (spell, attendance, item) for
each point of delivery (POD), or for finer *currency* codes (e.g. HRGs) within a POD,
uplifted by the provider's market forces factor (MFF). When spend differs from plan,
the variance (plan − actual, as everywhere in pbcmodel: positive is an underspend,
negative an overspend) splits exactly into *price* (paid a different price per unit),
*volume* (more or fewer units at the planned average price) and *mix* (a costlier or
cheaper blend of currencies within a POD), each with the same sign convention.

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.costing import activity_cost
>>> act = pd.DataFrame({"pod": ["elective", "ae"], "activity": [10, 200]})
>>> tariff = pd.Series({"elective": 1300.0, "ae": 125.0})
>>> activity_cost(act, tariff, mff=1.05)["cost"].tolist()     # 10·1300·1.05, 200·125·1.05
[13650.0, 26250.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .capitation.steps import MAX_MULTIPLIER, check_multiplier
from .errors import ValidationError
from .validation import finite_series, quoted, require_columns

__all__ = ["activity_cost", "price_volume_mix"]


def _activity_column(df: pd.DataFrame, what: str) -> pd.Series:
    values = finite_series(df["activity"], f"{what}: activity")
    if (values < 0).any():
        raise ValidationError(f"{what}: negative activity in row(s) "
                              f"{quoted(df.index[(values < 0).to_numpy()])}")
    return values


def activity_cost(activity: pd.DataFrame, tariff: pd.Series, *,
                  mff: float | pd.Series = 1.0) -> pd.DataFrame:
    """Cost activity at tariff × market forces factor.

    Parameters
    ----------
    activity : DataFrame
        Tidy activity: columns ``pod`` and ``activity`` (units, ≥ 0), optionally
        ``currency`` (a finer code within the POD) and ``provider``; other columns are kept.
    tariff : Series
        Pounds per unit, indexed by currency code when ``activity`` has a ``currency``
        column, otherwise by POD.
    mff : float or Series
        Market forces factor: one number, or a Series indexed by provider (then
        ``activity`` needs a ``provider`` column); each > 0 and at most
        :data:`~pbcmodel.capitation.steps.MAX_MULTIPLIER`, as for a capitation formula.

    Returns
    -------
    DataFrame
        ``activity`` with ``price`` (tariff × MFF) and ``cost`` (activity × price) added.

    Examples
    --------
    >>> import pandas as pd
    >>> act = pd.DataFrame({"provider": ["RXA", "RXB"], "pod": ["elective"] * 2,
    ...                     "currency": ["HRG1", "HRG2"], "activity": [3, 4]})
    >>> tariff = pd.Series({"HRG1": 1000.0, "HRG2": 2500.0})
    >>> activity_cost(act, tariff, mff=pd.Series({"RXA": 1.1, "RXB": 1.0}))["cost"].tolist()
    [3300.0, 10000.0]
    """
    require_columns(activity, ["pod", "activity"], "activity")
    units = _activity_column(activity, "activity")
    key = "currency" if "currency" in activity.columns else "pod"
    prices = finite_series(tariff, "tariff")
    if (prices < 0).any():
        raise ValidationError(f"tariff: negative price for {quoted(prices.index[prices < 0])}")
    codes = activity[key]
    unpriced = pd.Index(codes.unique()).difference(prices.index)
    if len(unpriced):
        raise ValidationError(f"tariff: no tariff for {key} {quoted(unpriced)} in the activity")
    price = codes.map(prices).astype(float)
    if isinstance(mff, pd.Series):
        require_columns(activity, ["provider"], "activity (an MFF by provider)")
        factors = finite_series(mff, "mff")
        missing = pd.Index(activity["provider"].unique()).difference(factors.index)
        if len(missing):
            raise ValidationError(f"mff: no market forces factor for provider {quoted(missing)}")
        bad = (factors <= 0) | (factors > MAX_MULTIPLIER)
        if bad.any():
            raise ValidationError(f"mff: must be a multiplier > 0 and at most "
                                  f"{MAX_MULTIPLIER:g} (1 is the average); provider(s) "
                                  f"{quoted(factors.index[bad])} have "
                                  f"{quoted(factors[bad].tolist())}")
        price = price * activity["provider"].map(factors).astype(float)
    else:
        price = price * check_multiplier(mff, "mff")
    out = activity.copy()
    out["price"] = price
    out["cost"] = units * price
    return out


def _prepared(df: pd.DataFrame, what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"{what}: expected a DataFrame, got {type(df).__name__}")
    has_price, has_cost = "price" in df.columns, "cost" in df.columns
    if "activity" not in df.columns or not (has_price or has_cost):
        raise ValidationError(f"{what}: needs columns 'activity' and 'price' (or 'cost'); "
                              f"found {quoted(df.columns, 20)}")
    if df.index.has_duplicates:
        dup = df.index[df.index.duplicated()]
        raise ValidationError(f"{what}: duplicate row(s) {quoted(dup)}")
    units = _activity_column(df, what)
    if has_price:
        price = finite_series(df["price"], f"{what}: price")
    else:
        cost = finite_series(df["cost"], f"{what}: cost")
        zero = (units == 0) & (cost != 0)
        if zero.any():
            raise ValidationError(f"{what}: cost without activity in row(s) "
                                  f"{quoted(df.index[zero.to_numpy()])}")
        price = (cost / units.where(units > 0)).fillna(0.0)
    return pd.DataFrame({"activity": units, "price": price}, index=df.index)


def price_volume_mix(plan: pd.DataFrame, actual: pd.DataFrame,
                     by: str | Sequence[str] | None = "pod") -> pd.DataFrame:
    """Split the cost variance, plan − actual, into price, volume and mix variances.

    Variances are *plan − actual* (positive = spent less than planned, an underspend;
    negative = an overspend), the sign of ``budget − outturn`` in settlement and monitoring.
    For each group (e.g. a POD) with items ``i`` (e.g. currencies): with planned units
    ``Pq``, planned prices ``Pp``, actual units ``Aq`` and actual prices ``Ap``, and the
    planned average price ``P̄ = ΣPq·Pp / ΣPq``:

    - price  = Σ (Pp − Ap)·Aq     (negative when prices went up)
    - volume = (ΣPq − ΣAq)·P̄      (negative when more units were bought)
    - mix    = ΣAq·P̄ − Σ Aq·Pp    (negative when the mix moved to dearer items)

    which add up to ΣPq·Pp − ΣAq·Ap exactly. An item with no plan is valued at its actual
    price (all volume, no price variance); a planned item with no activity contributes only
    to volume and mix. A group with no planned units has no average price: all of it is volume.

    Parameters
    ----------
    plan, actual : DataFrame
        Indexed by the same keys (e.g. ``pod`` and ``currency``, or ``provider`` and
        ``pod``); columns ``activity`` and ``price`` (or ``cost``, from which price is derived).
    by : str, sequence of str or None
        Index level(s) defining the groups within which mix is measured; ``None`` for one
        total.

    Returns
    -------
    DataFrame
        Per group: ``plan_activity``, ``actual_activity``, ``plan_cost``, ``actual_cost``,
        ``variance`` (plan − actual cost), ``price``, ``volume``, ``mix``.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.MultiIndex.from_tuples([("op", "cheap"), ("op", "dear")], names=["pod", "code"])
    >>> plan = pd.DataFrame({"activity": [100, 100], "price": [50.0, 150.0]}, index=idx)
    >>> actual = pd.DataFrame({"activity": [90, 130], "price": [50.0, 160.0]}, index=idx)
    >>> price_volume_mix(plan, actual).loc["op", ["variance", "price", "volume", "mix"]].tolist()
    [-5300.0, -1300.0, -2000.0, -2000.0]
    """
    p, a = _prepared(plan, "plan"), _prepared(actual, "actual")
    if list(p.index.names) != list(a.index.names):
        raise ValidationError(f"actual: index levels {list(a.index.names)} differ from plan's "
                              f"{list(p.index.names)}")
    keys = p.index.union(a.index)
    p, a = p.reindex(keys), a.reindex(keys)
    pq = p["activity"].fillna(0.0)
    aq = a["activity"].fillna(0.0)
    pp = p["price"].fillna(a["price"])
    ap = a["price"].fillna(pp)
    levels = [by] if isinstance(by, str) else (None if by is None else list(by))
    if levels is not None:
        unknown = [lv for lv in levels if lv not in keys.names]
        if unknown:
            raise ValidationError(f"by: no index level {quoted(unknown)}; levels are "
                                  f"{list(keys.names)}")
    frame = pd.DataFrame({"pq": pq, "aq": aq, "plan_cost": pq * pp, "actual_cost": aq * ap,
                          "aq_pp": aq * pp}, index=keys)
    grouped = frame.groupby(levels, sort=True) if levels else frame.groupby(
        np.zeros(len(frame), dtype=np.int64))
    sums = grouped.sum()
    avg = (sums["plan_cost"] / sums["pq"].where(sums["pq"] > 0))
    volume = ((sums["pq"] - sums["aq"]) * avg).fillna(-sums["aq_pp"])
    mix = (sums["aq"] * avg - sums["aq_pp"]).fillna(0.0)
    out = pd.DataFrame({
        "plan_activity": sums["pq"], "actual_activity": sums["aq"],
        "plan_cost": sums["plan_cost"], "actual_cost": sums["actual_cost"],
        "variance": sums["plan_cost"] - sums["actual_cost"],
        "price": sums["aq_pp"] - sums["actual_cost"], "volume": volume, "mix": mix,
    })
    if levels is None:
        out.index = pd.Index(["total"])
    return out
