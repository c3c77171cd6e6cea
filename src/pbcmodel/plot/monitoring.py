"""Figures for in-year monitoring: a practice's cumulative budget, spend and forecast range."""

from __future__ import annotations

import base64
import io
from typing import Any

from ..glossary import figure_label, term
from ._base import money_axis, new_axes, percent_axis, require_matplotlib

__all__ = ["statement_figure", "statement_png", "ytd_variance"]


def statement_figure(stmt: Any, ax: Any = None) -> Any:
    """Cumulative budget against cumulative spend, with the forecast and its range.

    Parameters
    ----------
    stmt : MonthlyStatement
        From :func:`pbcmodel.monthly_statement.statement`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from pbcmodel.phasing import flat_profile, phase
    >>> from pbcmodel.monthly_statement import statement
    >>> phased = phase(pd.Series({"P1": 1200.0}), flat_profile())
    >>> actual = pd.DataFrame({"practice": "P1", "month": [1, 2, 3], "cost": [100.0, 120, 110]})
    >>> ax = statement_figure(statement("P1", 3, phased=phased, actual=actual))
    >>> ax.get_ylabel()
    'Cumulative budget and spend, £'
    """
    _, ax = new_axes(ax, figsize=(7, 3.5))
    m = stmt.monthly
    x = m.index.to_numpy()
    ax.plot(x, m["cumulative_budget"], color="0.4", ls="--",
            label=f"{term('budget_ytd').label} (phased)")
    ax.plot(x, m["cumulative_actual"], color="C0", marker="o", label=term("actual_ytd").label)
    ax.plot(x, m["forecast"], color="C1", label=term("forecast").label)
    if m["lower"].notna().any():
        ax.fill_between(x, m["lower"], m["upper"], color="C1", alpha=0.2,
                        label=f"Forecast's {stmt.level:.0%} range")
    ax.set_xticks(x, m["month_name"])
    money_axis(ax, "y")
    ax.set_ylabel(figure_label("cumulative"))
    ax.set_title(stmt.title)
    ax.legend(loc="best", fontsize="small")
    return ax


def statement_png(stmt: Any) -> str:
    """The statement figure as a base64-encoded PNG (for HTML pages).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from pbcmodel.phasing import flat_profile, phase
    >>> from pbcmodel.monthly_statement import statement
    >>> phased = phase(pd.Series({"P1": 1200.0}), flat_profile())
    >>> actual = pd.DataFrame({"practice": "P1", "month": [1, 2], "cost": [100.0, 120]})
    >>> statement_png(statement("P1", 2, phased=phased, actual=actual))[:8]
    'iVBORw0K'
    """
    plt = require_matplotlib()
    ax = statement_figure(stmt)
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(ax.figure)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def ytd_variance(table: Any, ax: Any = None, *, column: str = "variance_pct") -> Any:
    """Horizontal bars of year-to-date variance per unit (overspends red, underspends blue).

    Parameters
    ----------
    table : DataFrame
        From :func:`pbcmodel.monitoring.year_to_date`.
    column : str
        ``variance_pct`` (default) or ``variance``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"variance_pct": [0.05, -0.02]}, index=["C1", "C2"])
    >>> len(ytd_variance(t).patches)
    2
    """
    _, ax = new_axes(ax)
    values = table[column].sort_values()
    colours = ["C3" if v < 0 else "C0" for v in values]  # variance = budget − actual
    ax.barh([str(i) for i in values.index], values.to_numpy(), color=colours)
    ax.axvline(0, color="0.3", lw=0.8)
    if column.endswith("pct"):
        percent_axis(ax, "x", fraction=True)
    else:
        money_axis(ax, "x")
    ax.set_xlabel(figure_label("ytd_variance_pct" if column.endswith("pct")
                               else "ytd_variance"))
    return ax
