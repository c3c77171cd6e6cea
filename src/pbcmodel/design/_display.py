"""Design parameters and metric values as people read them: 27.6%, £22.3m, never 2.23449e+07.

A metric carries its unit (:data:`pbcmodel.scenario.metrics.METRICS`); a design parameter is
a dotted path to a policy field, whose unit is that of the field (its last part): shares,
tolerances, caps and growth rates are fractions shown as percentages, thresholds and
resources are pounds, per-head payments are pounds per registered patient. Only the text
shown changes: the values in :class:`~pbcmodel.design.Design` and
:class:`~pbcmodel.design.Frontier` stay plain numbers.

Examples
--------
>>> parameter_text("overspend.practice_share", 0.2760027809428624)
'27.6%'
>>> value_text(22344900.0, "pounds"), value_text(0.1032, "probability")
('£22.3m', '10.3%')
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..errors import ValidationError
from ..scenario.metrics import metric

__all__ = ["PARAMETER_UNITS", "display_frame", "parameter_text", "value_text"]

#: Last part of a parameter's path → its unit (as :data:`~pbcmodel.scenario.metrics.UNITS`).
PARAMETER_UNITS: dict[str, str] = {
    "practice_share": "fraction of budget", "tolerance": "fraction of budget",
    "cap": "fraction of budget", "fraction": "fraction of budget",
    "high_cost_pool_share": "fraction of budget", "resource_growth": "fraction of budget",
    "cost_growth": "fraction of budget", "common_shock_cv": "ratio",
    "resource": "pounds", "high_cost_threshold": "pounds",
    "per_head": "pounds per registered patient",
    "plan_per_head": "pounds per registered patient",
    "recovery_years": "years",
}


def _pounds(value: float) -> str:
    """Money to three significant figures: £22.3m, £450k, £1,234 (minus sign U+2212)."""
    sign = "−" if value < 0 else ""
    size = abs(value)
    if size >= 1e6:
        return f"{sign}£{size / 1e6:,.1f}m"
    if size >= 1e5:
        return f"{sign}£{size / 1e3:,.0f}k"
    return f"{sign}£{size:,.0f}"


def _plain(value: float) -> str:
    """A number without units in fixed notation: 1,234.5, 0.0123, 2 (never 1.2e+04)."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    digits = max(0, 4 - math.floor(math.log10(abs(value))) - 1)
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def value_text(value: Any, unit: str) -> str:
    """One value in its unit as text: £ (to three figures), %, a whole count, or a plain number.

    Examples
    --------
    >>> value_text(-3874187.0, "pounds"), value_text(12.345, "pounds per registered patient")
    ('−£3.9m', '£12.35')
    >>> value_text(2000.0, "count"), value_text(None, "pounds"), value_text(True, "code")
    ('2,000', '–', 'True')
    """
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
        return "–" if value is None else str(value)
    value = float(value)
    if not math.isfinite(value):
        return "–" if math.isnan(value) else ("−∞" if value < 0 else "∞")
    if unit == "pounds":
        return _pounds(value)
    if unit == "pounds per registered patient":
        return f"{'−' if value < 0 else ''}£{abs(value):,.2f}"
    if unit in ("probability", "fraction of budget"):
        return f"{100 * value:.1f}%".replace("-", "−")
    if unit in ("count", "patients", "years"):
        return f"{value:,.0f}"
    return _plain(value)


def parameter_text(path: str, value: Any) -> str:
    """A design parameter's value as text, in the unit of its field (see :data:`PARAMETER_UNITS`).

    Examples
    --------
    >>> parameter_text("high_cost_threshold", 50000.0), parameter_text("savings", "pbc")
    ('£50,000', 'pbc')
    """
    if isinstance(value, list | tuple):
        return "[" + ", ".join(parameter_text(path, v) for v in value) + "]"
    return value_text(value, PARAMETER_UNITS.get(path.rsplit(".", 1)[-1], "ratio"))


def display_frame(frame: pd.DataFrame, paths: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``frame`` for display: the columns named in ``paths`` (design parameters) as
    text in their field's unit, metrics (columns named as one) in theirs, others as they are.

    Examples
    --------
    >>> t = pd.DataFrame({"overspend.practice_share": [0.5], "commissioner_tvar95": [2.2e7],
    ...                   "feasible": [True]})
    >>> display_frame(t, ["overspend.practice_share"]).iloc[0].tolist()
    ['50.0%', '£22.0m', True]
    """
    shown = frame.astype(object).copy()
    parameters = set(paths)
    for column in frame.columns:
        name = str(column)
        if name in parameters:
            shown[column] = [parameter_text(name, v) for v in frame[column]]
            continue
        try:
            unit = metric(name).unit
        except ValidationError:   # not a metric: shown as it is
            continue
        shown[column] = [value_text(v, unit) for v in frame[column]]
    return shown
