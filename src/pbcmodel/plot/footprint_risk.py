"""The figure of :mod:`pbcmodel.scenario.footprint_risk`: the chance of an overspend against
the size of the footprint that holds the budget, with the published marks."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..scenario.footprint_risk import MARKS, FootprintRisk
from ._base import caption, new_axes, percent_axis, plain_log_axis

__all__ = ["SMALLEST_SHOWN", "risk_by_size"]

#: Footprints with fewer registered patients are left off the figure (they are practices of
#: a few hundred patients with no PCN in the mapping, not neighbourhoods); the caption counts
#: them, and the tables keep them.
SMALLEST_SHOWN = 1_000

#: Marker and colour of each level's footprints, in the order they are drawn.
_STYLE = {"pcn": ("o", "#1f77b4", "PCN (neighbourhood)"),
          "place": ("s", "#ff7f0e", "place (local authority district)"),
          "icb": ("D", "#2ca02c", "ICB"),
          "custom": ("^", "#9467bd", "your footprints")}


def risk_by_size(risk: FootprintRisk, fraction: float = 0.05, at_most: float | None = None,
                 ax: Any = None) -> Any:
    """Each footprint's chance of an overspend beyond ``fraction`` of its budget in a year,
    against its registered patients (log scale), coloured by level; the fitted curve
    (:meth:`FootprintRisk.fitted`); the marks of 50,000, 100,000 and 250,000 patients; and,
    with ``at_most``, that chance as a line and the smallest footprint at or under it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pbcmodel as pbc
    >>> from pbcmodel.scenario.footprint_risk import footprint_risk
    >>> scn = pbc.scenario.england.england_scenario("QWO")
    >>> risk = footprint_risk(scn, {"pcn": pbc.datasets.footprints("pcn", icb="QWO")},
    ...                       n=200, years=1, seed=1)
    >>> ax = risk_by_size(risk, at_most=0.05)
    >>> ax.get_ylabel()
    'chance of an overspend beyond 5% of budget in a year'
    """
    made = ax is None
    fig, ax = new_axes(ax, figsize=(8.5, 5.2))
    column = f"prob_over_{fraction * 100:g}pct"
    table = risk.table[risk.table["list_size"] >= SMALLEST_SHOWN]
    left_off = len(risk.table) - len(table)
    for level in table.index.get_level_values("level").unique():
        rows = table.loc[level]
        marker, colour, label = _STYLE.get(level, ("o", "#7f7f7f", level))
        ax.scatter(rows["list_size"], rows[column], marker=marker, color=colour, s=22,
                   alpha=0.75, label=f"{label}: {len(rows)}", zorder=3)
    curve = risk.fitted(fraction)
    ax.plot(curve.index, curve.to_numpy(), color="black", linewidth=1.4,
            label="fitted: falls with size", zorder=4)
    top = max(float(table[column].max()), at_most or 0.0) * 1.15 or 0.05
    for size, _ in MARKS:
        ax.axvline(size, color="#555555", linestyle=":", linewidth=1, zorder=1)
        ax.annotate(f"{size:,}", (size, top), textcoords="offset points", xytext=(3, -12),
                    fontsize=8, color="#333333")
    if at_most is not None:
        ax.axhline(at_most, color="#d62728", linestyle="--", linewidth=1,
                   label=f"{at_most:.0%} a year", zorder=2)
        smallest = risk.smallest(at_most=at_most, fraction=fraction)
        if smallest is not None:
            ax.axvline(smallest, color="#d62728", linewidth=1.2, zorder=2,
                       label=f"smallest at or under it: {smallest:,} patients")
    ax.set_xscale("log")
    sizes = np.asarray(table["list_size"], dtype=float)
    ax.set_xlim(sizes.min() / 1.5, max(sizes.max(), MARKS[-1][0]) * 1.5)
    plain_log_axis(ax, "x")
    ax.set_ylim(0, top)
    percent_axis(ax, "y", fraction=True)
    ax.set_xlabel("registered patients of the footprint holding the budget (log scale)")
    ax.set_ylabel(f"chance of an overspend beyond {fraction:.0%} of budget in a year")
    ax.set_title(f"Can a footprint hold a budget? {risk.scenario.name}")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    ax.grid(True, axis="y", alpha=0.3)
    caption(ax, f"{risk.n:,} simulations × {risk.years} year(s), seed {risk.seed} · each "
                "footprint holds one budget: its practices' spend added up · dotted: 50,000 "
                "(neighbourhood), 100,000 (risk-pool rule of thumb, Asthana et al. 2011), "
                "250,000 (multi-neighbourhood)"
                + (f" · {left_off} footprint(s) under {SMALLEST_SHOWN:,} patients not shown"
                   if left_off else ""))
    if made:                       # a figure of the caller's keeps its own layout
        fig.tight_layout()
    return ax
