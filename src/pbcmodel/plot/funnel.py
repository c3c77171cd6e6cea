"""Funnel plot: standardised ratios against expected counts, with control limits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..glossary import figure_label
from ._base import new_axes, plain_log_axis

__all__ = ["funnel"]


def funnel(table: Any, ax: Any = None, *, levels: Sequence[float] = (0.95, 0.998),
           label: bool = True, **limits: Any) -> Any:
    """Plot each practice's ratio against its expected count, inside funnel limits.

    Parameters
    ----------
    table : DataFrame
        From :func:`pbcmodel.benchmarking.indirect_standardise` (columns ``expected``,
        ``ratio``; one measure).
    ax : matplotlib Axes, optional
    levels : sequence of float
        Limits to draw (:func:`pbcmodel.benchmarking.funnel_limits`).
    label : bool
        Write the code of each practice outside the outermost limits.
    **limits
        ``target``, ``phi`` or ``tau2`` for :func:`~pbcmodel.benchmarking.funnel_limits`.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"expected": [50.0, 200.0, 900.0], "ratio": [1.1, 0.7, 1.02]},
    ...                  index=["A", "B", "C"])
    >>> ax = funnel(t)
    >>> [x.get_text() for x in ax.texts]
    ['B']
    """
    from ..benchmarking import funnel_flags, funnel_limits

    _, ax = new_axes(ax, figsize=(7, 4.5))
    expected = table["expected"].to_numpy(dtype=float)
    grid = np.geomspace(expected.min() * 0.8, expected.max() * 1.2, 200)
    lim = funnel_limits(grid, levels, **limits)
    target = limits.get("target", 1.0)
    ax.axhline(target, color="0.3", lw=1)
    for i, level in enumerate(sorted(levels)):
        pct = f"{100 * level:g}"
        style = {"color": "0.5", "ls": "--" if i == 0 else "-", "lw": 1}
        ax.plot(grid, lim[f"lower_{pct}"], **style, label=f"{pct}% limits")
        ax.plot(grid, lim[f"upper_{pct}"], **style)
    ax.scatter(expected, table["ratio"], s=18, color="C0", zorder=3)
    if label:
        flags = funnel_flags(table["ratio"], table["expected"], levels, **limits)
        outer = f"{100 * max(levels):g}%"
        for code, flag in flags.items():
            if flag.endswith(outer):
                ax.annotate(str(code), (table.loc[code, "expected"], table.loc[code, "ratio"]),
                            xytext=(3, 3), textcoords="offset points", fontsize="small")
    ax.set_xscale("log")
    plain_log_axis(ax, "x")
    ax.set_xlabel(figure_label("expected_events"))
    ax.set_ylabel(figure_label("observed_ratio"))
    ax.legend(loc="best", fontsize="small")
    return ax
