"""Figures for the risk engine: spend distributions and the risk-vs-list-size curve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..glossary import figure_label
from ._base import money_axis, money_text, new_axes, percent_axis, plain_log_axis

__all__ = ["plot_risk_by_list_size", "plot_spend_distribution"]



def plot_spend_distribution(dist: Any, units: Sequence[str] | None = None, ax: Any = None,
                            *, q: tuple[float, float] = (0.001, 0.999),
                            relative: bool = True) -> Any:
    """Plot the cdf of spend for some units of a :class:`~pbcmodel.risk.SpendDistribution`.

    By default spend is drawn relative to each unit's expected spend (100% = the mean), so
    practices of very different sizes can be compared on one axis: a small practice's
    curve is wide, a large one's steep. ``relative=False`` draws pounds.

    Parameters
    ----------
    dist : SpendDistribution
    units : sequence of str, optional
        Unit codes; default the first five.
    ax : matplotlib Axes, optional
    q : (float, float)
        Quantile range of the x axis.
    relative : bool, default True
        Spend as % of each unit's expected spend; False: spend in pounds.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> from pbcmodel.risk import spend_distribution
    >>> d = spend_distribution(example_population(), example_cost_model(), method="normal")
    >>> ax = plot_spend_distribution(d, ["P001", "P002"])
    >>> len(ax.lines)
    2
    """
    _, ax = new_axes(ax)
    chosen = list(dist.units[:5] if units is None else units)
    lo = dist.quantile(q[0]).loc[chosen]
    hi = dist.quantile(q[1]).loc[chosen]
    steps = np.linspace(0.0, 1.0, 300)
    grid = lo.to_numpy()[None, :] + np.outer(steps, (hi - lo).to_numpy())
    x = pd.Series(0.0, index=dist.units)  # other units are evaluated at 0 and not drawn
    rows = []
    for row in grid:
        x.loc[chosen] = row
        rows.append(dist.cdf(x).loc[chosen].to_numpy())
    values = np.array(rows)
    mean = dist.mean.loc[chosen].to_numpy()
    for j, code in enumerate(chosen):
        x_values = 100 * grid[:, j] / mean[j] if relative else grid[:, j]
        label = f"{code} (expected {money_text(mean[j])})" if relative else str(code)
        ax.plot(x_values, values[:, j], label=label)
    if relative:
        percent_axis(ax, "x")
        ax.set_xlabel(figure_label("spend_pct"))
    else:
        money_axis(ax, "x")
        ax.set_xlabel(figure_label("spend"))
    percent_axis(ax, "y", fraction=True)
    ax.set_ylabel(figure_label("spend_chance"))
    ax.set_title(f"Spend distribution ({dist.method}, {dist.part})")
    ax.legend(title=dist.by.replace("_", " "), loc="best")
    return ax


def plot_risk_by_list_size(curve: pd.DataFrame, ax: Any = None, *,
                           column: str = "cv") -> Any:
    """Plot a column of :func:`~pbcmodel.risk.risk_by_list_size` against list size (log axis).

    One line per high-cost threshold ("none" when there is no pool).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from pbcmodel.datasets import example_cost_model, example_population
    >>> from pbcmodel.risk import risk_by_list_size
    >>> curve = risk_by_list_size(example_cost_model(), [1000, 10_000], method="normal",
    ...                           profile=example_population())
    >>> len(plot_risk_by_list_size(curve).lines)
    2
    """
    _, ax = new_axes(ax)
    labels = curve["high_cost_threshold"].map(
        lambda t: "no threshold" if pd.isna(t) else f"threshold £{t:,.0f}")
    for label, part in curve.groupby(labels, sort=False):
        ax.plot(part["list_size"], part[column], marker="o", ms=3, label=label)
    ax.set_xscale("log")
    plain_log_axis(ax, "x")
    ax.set_xlabel(figure_label("list_size"))
    if column.startswith("p_over_"):
        percent_axis(ax, "y", fraction=True)
        ax.set_ylabel(figure_label("p_over", X=column[7:-3]))
    else:
        ax.set_ylabel(figure_label(column))
    if column in ("std", "mean"):
        money_axis(ax, "y")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best")
    return ax
