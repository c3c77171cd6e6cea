"""Figures of a policy design: the trade-off frontier, and the candidates a search tried.

Both figures read as the simulation figures do (:mod:`pbcmodel.plot.simulation`): money
axes in £k/£m, probabilities in %, each axis says which way is better, and the caption names
the scenario, the simulations, years and seed.

Examples
--------
>>> from pbcmodel.plot.design_figures import _metric_axis
>>> from pbcmodel.plot._base import new_axes
>>> _, ax = new_axes()
>>> _metric_axis(ax, "y", "max_band_prob_loss_over_5pct", "lower")
>>> ax.get_ylabel()
"Worst list-size band's chance of bearing over 5%\\n(%, lower is better)"
>>> _parameter_words("overspend.practice_share")
'Overspend: practice share'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..scenario.metrics import metric
from ._base import (
    caption,
    money_axis,
    money_text,
    new_axes,
    percent_axis,
    simulation_caption,
)

if TYPE_CHECKING:
    from ..design import Design, Frontier

__all__ = ["plot_design", "plot_frontier"]

#: Unit of a metric (:data:`pbcmodel.scenario.metrics.UNITS`) → how its axis reads: money
#: ticks £25k, £2.5m; fractions as percentages.
_MONEY = ("pounds", "pounds per registered patient")
_FRACTION = ("probability", "fraction of budget")


def _parameter_words(path: str) -> str:
    """A searched parameter's dotted path in words, for an axis or a legend."""
    head, _, rest = path.rpartition(".")
    words = rest.replace("_", " ")
    return f"{head.replace('.', ' ').replace('_', ' ').capitalize()}: {words}" if head \
        else words.capitalize()


def _bound_text(name: str, bound: float) -> str:
    """A constraint's bound in the metric's unit: £25k, 5%."""
    unit = metric(name).unit
    if unit in _MONEY:
        return money_text(bound)
    return f"{100 * bound:g}%" if unit in _FRACTION else f"{bound:,.6g}"


def _metric_axis(ax: Any, axis: str, name: str, better: str | None = None) -> None:
    """Label one axis with a metric's label (from :mod:`pbcmodel.glossary`, through
    :mod:`pbcmodel.scenario.metrics`), its unit and which way is better, and format its
    ticks: pounds as £k/£m, fractions as percentages."""
    unit = metric(name).unit
    notes = []
    if unit in _MONEY:
        money_axis(ax, axis)
        notes.append("£")
    elif unit in _FRACTION:
        percent_axis(ax, axis, fraction=True)
        notes.append("%")
    if better:
        notes.append(f"{better} is better")
    words = metric(name).label
    gap = "\n" if axis == "y" else " "         # a long label on two lines beside the axis
    text = f"{words}{gap}({', '.join(notes)})" if notes else words
    (ax.set_xlabel if axis == "x" else ax.set_ylabel)(text)


def _finish(ax: Any, title: str, run: Any, name: str) -> Any:
    """Title, the caption (scenario, simulations, years, seed) and the legend."""
    ax.set_title(title)
    caption(ax, simulation_caption(run, name=name))
    ax.legend(fontsize="small", loc="best")
    return ax


def plot_frontier(front: Frontier, ax: Any = None) -> Any:
    """Draw the trade-off: every candidate, and the non-dominated ones joined as a frontier.

    Parameters
    ----------
    front : Frontier
        From :func:`pbcmodel.design.frontier`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> from pbcmodel.design import frontier
    >>> scn = pbc.Scenario.example(high_cost_threshold=None)
    >>> f = frontier(scn, {"overspend.practice_share": [0.0, 1.0]}, n=100, method="normal")
    >>> [t.get_text() for t in plot_frontier(f).get_legend().get_texts()]
    ['candidates', 'frontier (non-dominated)']
    """
    _, ax = new_axes(ax)
    points, pareto = front.points, front.pareto
    x = points[front.x].to_numpy(dtype=float)
    y = points[front.y].to_numpy(dtype=float)
    feasible = points["feasible"].to_numpy()
    ax.scatter(x[feasible], y[feasible], color="0.6", s=14, label="candidates")
    if (~feasible).any():
        ax.scatter(x[~feasible], y[~feasible], color="0.6", marker="x", s=14,
                   label="candidates breaking a constraint")
    ax.plot(pareto[front.x], pareto[front.y], color="C3", marker="o", ms=5,
            label="frontier (non-dominated)")
    _metric_axis(ax, "x", front.x, front.x_better)
    _metric_axis(ax, "y", front.y, front.y_better)
    return _finish(ax, f"{front.base.name}: the trade-off between two aims", front,
                   front.base.name)


def plot_design(design: Design, ax: Any = None) -> Any:
    """Draw the candidates a search simulated: the objective against the first constraint
    (or against the first parameter when there are none), the chosen one marked.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> from pbcmodel.design import optimise
    >>> scn = pbc.Scenario.example(high_cost_threshold=None)
    >>> d = optimise(scn, {"overspend.practice_share": (0.0, 1.0, 0.5)}, n=100,
    ...              method="normal", max_evaluations=8, replicates=2)
    >>> plot_design(d).get_ylabel()
    "Commissioner's tail value at risk (95%), a cost\\n(£, lower is better)"
    """
    _, ax = new_axes(ax)
    table = design.candidates
    constraints = design.constraints
    across = (str(constraints["metric"].iloc[0]) if len(constraints)
              else next(iter(design.parameters)))
    x = table[across].to_numpy(dtype=float)
    y = table[design.objective].to_numpy(dtype=float)
    feasible = table["feasible"].to_numpy()
    ax.scatter(x[feasible], y[feasible], color="C0", s=14, label="met every constraint")
    if (~feasible).any():
        ax.scatter(x[~feasible], y[~feasible], color="C1", marker="x", s=14,
                   label="broke a constraint")
    chosen = table["chosen"].to_numpy()
    ax.scatter(x[chosen], y[chosen], color="C3", marker="*", s=160, label="chosen")
    for _, row in constraints[constraints["metric"] == across].iterrows():
        aim = "at most" if "≤" in str(row["aim"]) else "at least"
        ax.axvline(float(row["bound"]), color="0.4", ls="--", lw=0.8,
                   label=f"aim: {aim} {_bound_text(across, float(row['bound']))}")
    if len(constraints):
        _metric_axis(ax, "x", across)
    else:                                       # a parameter: its dotted path
        ax.set_xlabel(_parameter_words(across))
    _metric_axis(ax, "y", design.objective, "higher" if design.maximise else "lower")
    return _finish(ax, f"{design.scenario.name}: {design.evaluations} candidates searched",
                   design, design.scenario.name)

