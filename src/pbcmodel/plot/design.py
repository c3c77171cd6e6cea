"""Figures of a policy design: the trade-off frontier, and the candidates a search tried.

Examples
--------
>>> import pbcmodel as pbc
>>> from pbcmodel.scenario.design import frontier
>>> scn = pbc.Scenario.example(high_cost_threshold=None)
>>> f = frontier(scn, {"overspend.practice_share": [0.0, 1.0]}, n=100, method="normal")
>>> plot_frontier(f).get_xlabel()
'commissioner_tvar95 (£m)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import new_axes

if TYPE_CHECKING:
    from ..scenario.design import Design, Frontier

__all__ = ["plot_design", "plot_frontier"]

#: Metrics in pounds are drawn in £m.
_MONEY = ("commissioner_tvar", "commissioner_var", "commissioner_mean_kept", "expected_")


def _scaled(name: str, values: Any) -> tuple[np.ndarray, str]:
    values = np.asarray(values, dtype=float)
    if name.startswith(_MONEY) and "prob" not in name:
        return values / 1e6, f"{name} (£m)"
    return values, name


def _label(name: str, better: str) -> str:
    return f"{name} ({better} is better)"


def plot_frontier(front: Frontier, ax: Any = None) -> Any:
    """Draw the trade-off: every candidate, and the non-dominated ones joined as a frontier.

    Parameters
    ----------
    front : Frontier
        From :func:`pbcmodel.scenario.design.frontier`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> from pbcmodel.scenario.design import frontier
    >>> scn = pbc.Scenario.example(high_cost_threshold=None)
    >>> f = frontier(scn, {"overspend.practice_share": [0.0, 1.0]}, n=100, method="normal")
    >>> [t.get_text() for t in plot_frontier(f).get_legend().get_texts()]
    ['candidates', 'frontier (non-dominated)']
    """
    _, ax = new_axes(ax)
    points, pareto = front.points, front.pareto
    x, xlabel = _scaled(front.x, points[front.x])
    y, ylabel = _scaled(front.y, points[front.y])
    feasible = points["feasible"].to_numpy()
    ax.scatter(x[feasible], y[feasible], color="0.6", s=14, label="candidates")
    if (~feasible).any():
        ax.scatter(x[~feasible], y[~feasible], color="0.6", marker="x", s=14,
                   label="candidates breaking a constraint")
    px, _ = _scaled(front.x, pareto[front.x])
    py, _ = _scaled(front.y, pareto[front.y])
    ax.plot(px, py, color="C3", marker="o", ms=5, label="frontier (non-dominated)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{front.base.name}: {front.x} against {front.y}")
    ax.legend(fontsize="small")
    return ax


def plot_design(design: Design, ax: Any = None) -> Any:
    """Draw the candidates a search simulated: the objective against the first constraint
    (or against the first parameter when there are none), the chosen one marked.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> from pbcmodel.scenario.design import optimise
    >>> scn = pbc.Scenario.example(high_cost_threshold=None)
    >>> d = optimise(scn, {"overspend.practice_share": (0.0, 1.0, 0.5)}, n=100,
    ...              method="normal", max_evaluations=8, replicates=2)
    >>> plot_design(d).get_ylabel()
    'commissioner_tvar95 (£m)'
    """
    _, ax = new_axes(ax)
    table = design.candidates
    constraints = design.constraints
    across = (str(constraints["metric"].iloc[0]) if len(constraints)
              else next(iter(design.parameters)))
    x, xlabel = _scaled(across, table[across])
    y, ylabel = _scaled(design.objective, table[design.objective])
    feasible = table["feasible"].to_numpy()
    ax.scatter(x[feasible], y[feasible], color="C0", s=14, label="met every constraint")
    if (~feasible).any():
        ax.scatter(x[~feasible], y[~feasible], color="C1", marker="x", s=14,
                   label="broke a constraint")
    chosen = table["chosen"].to_numpy()
    ax.scatter(x[chosen], y[chosen], color="C3", marker="*", s=160, label="chosen")
    for _, row in constraints[constraints["metric"] == across].iterrows():
        ax.axvline(_scaled(across, row["bound"])[0], color="0.4", ls="--", lw=0.8,
                   label=row["aim"])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{design.scenario.name}: {design.evaluations} candidates searched")
    ax.legend(fontsize="small")
    return ax

