"""Figures for sharing schedules and settlements.

:func:`schedule_curve` draws what a practice keeps (or bears) against its
variance — easier to read than a list of thresholds. :func:`settlement_waterfall`
walks one practice from its share of the variance to the cash it receives.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from pbcmodel.sharing import aca_risk_corridor
>>> ax = schedule_curve(aca_risk_corridor())
>>> ax.get_xlabel()
'Variance (budget − spend), % of budget (+ underspend, − overspend)'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..glossary import figure_label, term
from ..overspend import OverspendPolicy, liability_rule
from ..settlement import Settlement
from ..sharing import ShareSchedule, shared_amount
from ._base import money_axis, money_text, new_axes, percent_axis

__all__ = ["schedule_curve", "settlement_waterfall"]


def schedule_curve(schedule: ShareSchedule, *, overspend: OverspendPolicy | None = None,
                   span: float = 0.15, points: int = 601, ax: Any = None) -> Any:
    """Plot the practice's amount against its variance, both as % of budget.

    Parameters
    ----------
    schedule : ShareSchedule
        Governs underspends (and overspends unless ``overspend`` is given).
    overspend : OverspendPolicy, optional
        Governs overspends instead of the schedule's losses side.
    span : float, default 0.15
        Range of variance drawn, ± this fraction of budget.
    points : int, default 601
        Number of points on the curve.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Gates are not drawn: the curve shows the amount when every gate is met.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from pbcmodel.sharing import pbc_freed_up
    >>> from pbcmodel.overspend import OverspendPolicy
    >>> ax = schedule_curve(pbc_freed_up(0.7),
    ...                     overspend=OverspendPolicy(tolerance=0.02, practice_share=0.5))
    >>> [t.get_text() for t in ax.get_legend().get_texts()][1]
    "Practice's share of the variance (+ kept, − borne)"
    """
    _, ax = new_axes(ax)
    variance = np.linspace(-span, span, points)
    losses = liability_rule(schedule, overspend)       # the rule settlement applies
    amount = shared_amount(np.ones(1), variance, schedule.savings_rule, losses)
    ax.plot(100 * variance, 100 * variance, color="0.7", linestyle="--",
            label=figure_label("whole_variance"))
    ax.plot(100 * variance, 100 * amount, color="C0", linewidth=2,
            label=figure_label("practice_amount"))
    ax.plot(100 * variance, 100 * (variance - amount), color="C1",
            label=figure_label("commissioner_amount"))
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.axvline(0, color="0.3", linewidth=0.8)
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel(figure_label("variance_pct"))
    ax.set_ylabel(figure_label("share_pct"))
    ax.set_title("Who gets what")
    ax.legend(loc="best", fontsize="small")
    return ax


def settlement_waterfall(settlement: Settlement, practice: Any, ax: Any = None) -> Any:
    """Waterfall for one practice: share of variance → incentives → clawback → net cash.

    Parameters
    ----------
    settlement : Settlement
    practice : practice code
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from pbcmodel.settlement import settle
    >>> from pbcmodel.sharing import pbc_freed_up
    >>> st = settle(pd.Series({"P1": 1e6}), pd.Series({"P1": 0.95e6}), savings=pbc_freed_up())
    >>> ax = settlement_waterfall(st, "P1")
    >>> [t.get_text() for t in ax.get_xticklabels()][-1]
    'Net cash to the practice'
    """
    row = settlement.to_frame().loc[practice]
    steps = [
        (term("practice_amount").short, row["practice_amount"]),
        ("Incentives earned", row["incentive_signup"] + row["incentive_plan"]),
        ("Recovered from freed-up\nresources and incentives",
         -(row["clawback_freed_up"] + row["clawback_incentives"])),
        ("Overspend owed, settled by\nthat recovery or later budgets", row["liability"]),
        (term("recovered_from_budget").label, -row["recovered_from_budget"]),
    ]
    _, ax = new_axes(ax)
    level = 0.0
    for k, (_, value) in enumerate(steps):
        bars = ax.bar(k, value, bottom=level, color="C2" if value >= 0 else "C3")
        ax.bar_label(bars, [money_text(value)], fontsize="small")
        level += value
    bars = ax.bar(len(steps), row["net_to_practice"], color="C0")
    ax.bar_label(bars, [money_text(row["net_to_practice"])], fontsize="small")
    ax.set_xticks(range(len(steps) + 1), [s for s, _ in steps] + [term("net_to_practice").label],
                  rotation=30, ha="right", fontsize="small")
    ax.axhline(0, color="0.3", linewidth=0.8)
    low, high = ax.get_ylim()                   # room for the amounts written on the bars
    ax.set_ylim(low - 0.1 * (high - low), high + 0.1 * (high - low))
    money_axis(ax, "y")
    ax.set_ylabel(figure_label("practice_cash"))
    ax.set_title(f"Practice {practice}: from variance to cash")
    return ax
