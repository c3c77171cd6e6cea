"""Figures of the board report (:mod:`pbcmodel.reports.board_report`), in its one sign:
+ money kept, − money paid.

Each function takes plain numbers the report has computed and an optional ``ax``, and
returns the ``Axes``; :func:`money_text` is the figures' money in words (£k/£m, never
1.2e6), which the report's tables share so that a figure and its table read alike.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> ax = policies_net(pd.Series({"70/30": -9.2e5, "strict": 1.9e6}))
>>> ax.get_xlabel()
"Commissioner's expected net position, a year (+ keeps, − pays)"
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._base import money_axis, money_text, new_axes, percent_axis

__all__ = ["bridge_waterfall", "commissioner_distribution", "loss_chance_by_band",
           "money_text", "policies_net"]

_KEEPS, _PAYS, _TOTAL = "#1b5e20", "#8a1c00", "#37474f"


def commissioner_distribution(kept: Any, years: int, ax: Any = None) -> Any:
    """A histogram of the commissioner's result over all simulated years, one value per
    simulation (pounds, + it keeps, − it pays), with its mean and its 5th percentile.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = commissioner_distribution([-2e6, 1e6, 5e5, -1e5], years=3)
    >>> ax.get_xlabel()
    "Commissioner's result, 3 years together (+ keeps, − pays)"
    """
    values = np.asarray(kept, dtype=float)
    _, ax = new_axes(ax)
    span = f"{years} years together" if years > 1 else "one year"
    ax.hist(values, bins=40, color="#5b7fa6", edgecolor="white")
    ax.axvline(0, color="0.2", lw=1)
    ax.axvline(values.mean(), color=_KEEPS, lw=2, ls="--",
               label=f"expected {money_text(values.mean())}")
    bad = float(np.quantile(values, 0.05))
    ax.axvline(bad, color=_PAYS, lw=2, ls=":", label=f"bad run (1 in 20) {money_text(bad)}")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(6))        # £k/£m ticks that never touch
    money_axis(ax, "x")
    ax.set_xlabel(f"Commissioner's result, {span} (+ keeps, − pays)")
    ax.set_ylabel("Simulations")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
    return ax


def loss_chance_by_band(chances: pd.DataFrame, ax: Any = None) -> Any:
    """Bars of the chance a practice bears over 2% of its budget in a year, by list-size
    band (rows, labelled as readers write them) and policy (columns, side by side).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"a": [0.2, 0.1], "b": [0.3, 0.2]}, index=["0–2,999", "3,000 or more"])
    >>> loss_chance_by_band(t).get_ylabel()
    'Chance, a year'
    """
    _, ax = new_axes(ax)
    width = 0.8 / len(chances.columns)
    x = np.arange(len(chances.index))
    for i, name in enumerate(chances.columns):
        ax.bar(x + (i - (len(chances.columns) - 1) / 2) * width, chances[name], width,
               label=str(name))
    ax.set_xticks(x, [str(label) for label in chances.index])
    ax.tick_params(axis="x", labelsize="small")
    percent_axis(ax, "y", fraction=True)
    ax.set_xlabel("List size (registered patients)")
    ax.set_ylabel("Chance, a year")
    if len(chances.columns) > 1:
        ax.legend(frameon=False, fontsize="small", loc="lower center",
                  bbox_to_anchor=(0.5, 1.0), ncols=min(3, len(chances.columns)))
    return ax


def bridge_waterfall(table: pd.DataFrame, ax: Any = None) -> Any:
    """The bridge as a waterfall: each step a bar from the running total (green when it adds
    to what the commissioner keeps, red when it takes away), the start, subtotal and total
    from zero, each with its amount.

    ``table``: :func:`pbcmodel.reports.board_report.bridge` (columns ``short``, ``kind``
    and ``pounds``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"short": ["Variance", "Kept", "Net"], "pounds": [-3e6, -1e6, -4e6],
    ...                   "kind": ["start", "step", "total"]})
    >>> [float(p.get_height()) for p in bridge_waterfall(t).patches]
    [-3000000.0, -1000000.0, -4000000.0]
    """
    pounds = table["pounds"].to_numpy(dtype=float)
    kinds = table["kind"].tolist()
    bottoms, running = [], 0.0
    for value, kind in zip(pounds, kinds, strict=True):
        bottoms.append(running if kind == "step" else 0.0)
        running = running + value if kind == "step" else value
    colours = [_TOTAL if k != "step" else _KEEPS if v >= 0 else _PAYS
               for k, v in zip(kinds, pounds, strict=True)]
    labels = [f"{i + 1}. {short}" for i, short in enumerate(table["short"])]
    ends = np.add(bottoms, pounds)
    top = float(np.max(np.abs(np.concatenate([bottoms, ends])))) or 1.0
    _, ax = new_axes(ax)
    ax.bar(labels, pounds, bottom=bottoms, color=colours)
    for x, (low, end, value) in enumerate(zip(bottoms, ends, pounds, strict=True)):
        ax.annotate(money_text(value), (x, max(low, end)), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize="small")
    ax.axhline(0, color="0.2", lw=1)
    ax.set_ylim(top=max(ax.get_ylim()[1], 0.0) + 0.08 * top)
    money_axis(ax, "y")
    ax.tick_params(axis="x", labelsize="x-small")
    ax.set_ylabel("£ a year (+ kept, − paid)")
    return ax


def policies_net(nets: pd.Series, ax: Any = None) -> Any:
    """Horizontal bars of the commissioner's expected net position a year under each policy
    (index: the policies' names; pounds, + it keeps, − it pays).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> len(policies_net(pd.Series({"a": 1.0, "b": -2.0})).patches)
    2
    """
    _, ax = new_axes(ax)
    values = nets.to_numpy(dtype=float)
    ax.barh([str(name) for name in nets.index], values,
            color=[_KEEPS if v >= 0 else _PAYS for v in values])
    ax.axvline(0, color="0.2", lw=1)
    ax.invert_yaxis()
    money_axis(ax, "x")
    ax.set_xlabel("Commissioner's expected net position, a year (+ keeps, − pays)")
    return ax
