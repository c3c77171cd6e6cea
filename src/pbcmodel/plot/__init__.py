"""Matplotlib figures (optional extra ``pbcmodel[plot]``).

Each function takes the object to draw and an optional ``ax`` and returns the matplotlib
``Axes`` (or figure); computation lives in the topic modules, never here. matplotlib is
imported only when a figure is drawn.

Examples
--------
>>> import pbcmodel as pbc
>>> ax = pbc.plot.schedule_curve(pbc.sharing.pbc_freed_up(0.7))
>>> ax.get_xlabel() != ""
True
"""

from __future__ import annotations

from ._base import figure_svg
from .funnel import funnel
from .monitoring import statement_figure, ytd_variance
from .risk import plot_risk_by_list_size, plot_spend_distribution
from .settlement import schedule_curve, settlement_waterfall
from .simulation import plot_compare, plot_result

__all__ = [
    "figure_svg",
    "funnel",
    "plot_compare",
    "plot_result",
    "plot_risk_by_list_size",
    "plot_spend_distribution",
    "schedule_curve",
    "settlement_waterfall",
    "statement_figure",
    "ytd_variance",
]
