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
>>> value_text(22344900.0, "pounds", style="short"), value_text(0.1032, "probability")
('£22.3m', '10.3%')

:func:`value_text` lives in :mod:`pbcmodel.labelled` (the one formatter of a value by unit,
shared by every table) and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..errors import ValidationError
from ..labelled import value_text
from ..scenario.metrics import metric

__all__ = ["PARAMETER_UNITS", "display_frame", "figure_text", "parameter_text", "value_text"]

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


def figure_text(value: Any, unit: str) -> str:
    """A design's figure in its unit, as its sentences say it: money to three figures.

    Examples
    --------
    >>> figure_text(22344900.0, "pounds"), figure_text(0.1032, "probability")
    ('£22.3m', '10.3%')
    """
    return value_text(value, unit, style="short")


def parameter_text(path: str, value: Any) -> str:
    """A design parameter's value as text, in the unit of its field (see :data:`PARAMETER_UNITS`).

    Examples
    --------
    >>> parameter_text("high_cost_threshold", 50000.0), parameter_text("savings", "pbc")
    ('£50,000', 'pbc')
    """
    if isinstance(value, list | tuple):
        return "[" + ", ".join(parameter_text(path, v) for v in value) + "]"
    return figure_text(value, PARAMETER_UNITS.get(path.rsplit(".", 1)[-1], "ratio"))


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
        shown[column] = [figure_text(v, unit) for v in frame[column]]
    return shown
