"""Figures of simulated policies: one scenario's outcomes, and scenarios side by side.

Examples
--------
>>> import pbcmodel as pbc
>>> from pbcmodel.plot.simulation import plot_result
>>> scn = pbc.Scenario.example()
>>> ax = plot_result(scn.simulate(n=200, seed=1), kind="commissioner")
>>> print(ax.get_xlabel())
Commissioner's result over all simulated years, £ (+ keeps, − pays)
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..glossary import figure_label, label
from ._base import (
    caption,
    fenced_range,
    money_axis,
    money_text,
    new_axes,
    percent_axis,
    plain_log_axis,
    simulation_caption,
    tail_warning,
)

if TYPE_CHECKING:
    from ..scenario.results import SimulationResult

__all__ = ["COMPARE_ROWS", "RESULT_KINDS", "plot_compare", "plot_result"]

#: Money rows of a :func:`pbcmodel.scenario.variants.compare` table drawn by :func:`plot_compare`.
COMPARE_ROWS = (
    "expected_practice_amount",
    "expected_freed_up",
    "expected_net_to_practices",
    "commissioner_mean_kept_all_years",
    "commissioner_var95_all_years",
    "commissioner_tvar95_all_years",
)


def _list_size(result: SimulationResult, ax: Any) -> Any:
    m = result.metrics()
    low = (100 * m["p05_amount"] / m["budget"]).to_numpy()
    high = (100 * m["p95_amount"] / m["budget"]).to_numpy()
    size = m["list_size"].to_numpy()
    # a few tiny lists (a practice of 9 patients keeps 50% of its budget in a good year)
    # would squash the rest: they are drawn at the edge of a range that shows the others
    bottom, top, beyond = fenced_range(np.concatenate([low, high, [0.0]]))
    pad = 0.05 * (top - bottom or 1.0)
    bottom, top = bottom - pad, top + pad
    ax.vlines(size, np.clip(low, bottom, top), np.clip(high, bottom, top), color="C0",
              alpha=0.6, label="5th–95th percentile")
    for values, colour, name in ((low, "C3", "bad year (5th percentile)"),
                                 (high, "C2", "good year (95th percentile)")):
        inside = (values >= bottom) & (values <= top)
        ax.scatter(size[inside], values[inside], color=colour, s=12, label=name)
        if (~inside).any():
            ax.scatter(size[~inside], np.clip(values[~inside], bottom, top), color=colour,
                       s=30, marker="^" if values[~inside].max() > top else "v",
                       clip_on=False, zorder=3)
    ax.set_ylim(bottom, top)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xscale("log")
    plain_log_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel(figure_label("list_size"))
    ax.set_ylabel(figure_label("practice_amount_pct"))
    ax.set_title(f"{result.scenario.name}: outcomes by list size")
    off = f" · {beyond} off the scale (▲▼ at its edge)" if beyond else ""
    caption(ax, simulation_caption(result) + off + _beyond_cap(result, low),
            tail_warning(result.n * result.years, 0.95, "5th and 95th percentiles"))
    _legend_below(ax)
    return ax


def _beyond_cap(result: SimulationResult, low: np.ndarray) -> str:
    """Why a bad year lies below the overspend cap, for the list-size figure's caption: the
    cap is a fraction of each year's own budget, the figure divides by the first year's."""
    policy = result.scenario.overspend
    cap = None if policy is None else policy.cap
    if cap is None or result.years == 1 or not (low < -100 * cap - 1e-9).any():
        return ""
    return (f" · below −{100 * cap:g}%? the {100 * cap:g}% cap is of each year's own budget · "
            "this axis is % of the first year's, and budgets change from year to year")


def _legend_below(ax: Any, columns: int = 3) -> None:
    """The legend under the axes, where it hides no data, when the figure is laid out for
    it (one axes, constrained layout, as ``pbcmodel run`` draws); otherwise inside the axes
    where it hides the least."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    fig = ax.figure
    if len(fig.axes) == 1 and isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=columns,
                   fontsize="small", frameon=False)
    else:
        ax.legend(fontsize="small", loc="best")


def _share_of_budget(values: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """(simulations, practices, years) pounds → percent of that year's budget, flattened."""
    return (100.0 * values / budget.T[None, :, :].astype(np.float32)).ravel()


def _net(result: SimulationResult, ax: Any) -> Any:
    amount = _share_of_budget(result.amount_sample, result.budget)   # first 256 simulations
    net = _share_of_budget(result.net_sample, result.budget)
    moving = np.concatenate([amount[amount != 0], net[net != 0]])
    low, high, beyond = fenced_range(moving) if moving.size else (-1.0, 1.0, 0)
    bins = np.linspace(min(low, 0.0), max(high, 0.0), 61)
    for values, name, colour in ((amount, figure_label("practice_amount"), "C0"),
                                 (net, figure_label("net_to_practice"), "C1")):
        zero = float(np.mean(values == 0)) if values.size else 0.0
        shown = values[values != 0]
        ax.hist(np.clip(shown, bins[0], bins[-1]), bins=bins, histtype="step", lw=1.6,
                color=colour, weights=np.full(shown.size, 100.0 / max(values.size, 1)),
                label=f"{name}; exactly £0 in {zero:.0%} of practice-years (not drawn)")
    ax.axvline(0, color="0.3", lw=0.8)
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel(figure_label("outcome_pct"))
    ax.set_ylabel(figure_label("practice_years"))
    ax.set_title(f"{result.scenario.name}: practices' yearly outcomes")
    drawn = result.amount_sample.shape[0]
    caption(ax, simulation_caption(result)
            + (f" · drawn from the first {drawn:,}" if drawn < result.n else "")
            + (" · the end bars count the outcomes beyond" if beyond else ""))
    _legend_below(ax, columns=1)
    return ax


def _commissioner(result: SimulationResult, ax: Any) -> Any:
    from matplotlib.ticker import MaxNLocator

    kept = result.commissioner_pence.sum(axis=1) / 100
    risk = result.commissioner_risk()
    level = f"{risk['level']:.0%}"
    ax.hist(kept, bins=50, color="C0", alpha=0.8)
    ax.axvline(float(kept.mean()), color="0.15", ls=":",
               label=f"expected result: {_kept_or_paid(float(kept.mean()))} (as in the tables)")
    ax.axvline(-risk["var"], color="C1", label=_at_risk("value at risk", level, risk["var"]))
    ax.axvline(-risk["tvar"], color="C3", ls="--",
               label=_at_risk("tail value at risk", level, risk["tvar"], mean=True))
    ax.axvline(0, color="0.3", lw=0.8)
    money_axis(ax, "x")
    ax.set_xlabel(figure_label("commissioner_result"))
    ax.set_ylabel(figure_label("simulations"))
    ax.set_title(f"{result.scenario.name}: commissioner's residual risk")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    caption(ax, simulation_caption(result), tail_warning(result.n, risk["level"],
                                                         "value at risk"))
    _legend_below(ax, columns=1)
    return ax


def _kept_or_paid(pounds: float) -> str:
    """The commissioner's result in words: 'keeps £2.41m' or 'pays £2.41m'."""
    return f"{'keeps' if pounds >= 0 else 'pays'} {money_text(abs(pounds))}"


def _at_risk(name: str, level: str, cost: float, *, mean: bool = False) -> str:
    """A value at risk as a positive amount of money at risk, never a negative cost: 'value
    at risk 95%: £11.0m at risk (it pays more in 1 run in 20)', or, when even the bad runs
    leave the commissioner money, 'value at risk 95%: none (it keeps at least £3.87m ...)'.

    Examples
    --------
    >>> _at_risk("value at risk", "95%", 11_005_960.0)
    'value at risk 95%: £11.0m at risk (it pays more in the worst 5% of runs)'
    >>> _at_risk("value at risk", "95%", -3_874_187.0)
    'value at risk 95%: none (it keeps at least £3.87m in all but the worst 5% of runs)'
    """
    tail = f"{100 - float(level.rstrip('%')):g}%"
    if mean:
        words = (f"it pays {money_text(cost)} on average" if cost > 0
                 else f"none (it keeps {money_text(-cost)} on average)")
        return f"{name} {level}: {words} in the worst {tail} of runs"
    if cost > 0:
        return f"{name} {level}: {money_text(cost)} at risk (it pays more in the worst " \
               f"{tail} of runs)"
    return (f"{name} {level}: none (it keeps at least {money_text(-cost)} in all but the "
            f"worst {tail} of runs)")


#: Kind of figure → function drawing it on an axes.
RESULT_KINDS: dict[str, Callable[[Any, Any], Any]] = {
    "list_size": _list_size,
    "net": _net,
    "commissioner": _commissioner,
}


def plot_result(result: SimulationResult, kind: str = "list_size", ax: Any = None) -> Any:
    """Draw one simulated scenario.

    Parameters
    ----------
    result : SimulationResult
    kind : {"list_size", "net", "commissioner"}
        ``"list_size"``: each practice's 5th–95th percentile yearly share of the variance
        (% of budget) against its list size — is the policy fair to small practices?
        ``"net"``: the distribution over practice-years of a practice's share of the
        variance and of its net cash, both as % of its budget, so practices of every size
        can be compared (the practice-years at exactly £0 are counted in the legend, not
        drawn). ``"commissioner"``: the distribution of the commissioner's result over all
        years (positive = the commissioner keeps money, negative = it pays, as in the
        tables), with its value at risk and tail value at risk (95%) as lines, labelled as
        amounts of money at risk. Every figure's caption names the scenario,
        the simulations, years and seed; a quantile with fewer than 20 simulated outcomes
        beyond it is flagged on the figure and with a ``UserWarning``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> res = scn.simulate(n=100, seed=0)
    >>> plot_result(res, kind="list_size").get_xscale()
    'log'
    >>> plot_result(res, kind="pie")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: kind: must be one of [...], got 'pie'
    """
    if kind not in RESULT_KINDS:
        raise ValidationError(f"kind: must be one of {list(RESULT_KINDS)}, got {kind!r}")
    _, ax = new_axes(ax)
    return RESULT_KINDS[kind](result, ax)


def plot_compare(frame_or_results: pd.DataFrame | Sequence[SimulationResult]
                 | Mapping[str, SimulationResult], ax: Any = None) -> Any:
    """Draw scenarios side by side.

    Parameters
    ----------
    frame_or_results : DataFrame, or sequence or mapping of SimulationResult
        A :func:`pbcmodel.scenario.variants.compare` table: a dot per scenario on each of
        its money rows (:data:`COMPARE_ROWS`), on an axis that starts at zero only when
        the values reach it (the caption says when it does not). Simulation results
        (simulated with the same seed, for common random numbers): the distribution
        (empirical CDF) of the commissioner's result over all years (+ keeps, − pays),
        one line per scenario, labelled by scenario name or mapping key; where a line
        crosses 5% is its value at risk.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> from pbcmodel.scenario.variants import compare
    >>> a = pbc.Scenario(population=pbc.datasets.example_population(),
    ...     formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
    ...     resource=510e6, cost_model=pbc.datasets.example_cost_model(), name="a")
    >>> b = a.evolve(name="b", savings=pbc.sharing.pbc_freed_up(0.7))
    >>> ax = plot_compare(compare([a, b], n=100))
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['a', 'b']
    >>> ax = plot_compare({"a": a.simulate(n=100), "b": b.simulate(n=100)})
    >>> len(ax.get_lines())
    2
    """
    _, ax = new_axes(ax)
    if isinstance(frame_or_results, pd.DataFrame):
        return _compare_table(frame_or_results, ax)
    results = (dict(frame_or_results) if isinstance(frame_or_results, Mapping)
               else {r.scenario.name: r for r in frame_or_results})
    if not results:
        raise ValidationError("frame_or_results: expected a compare table or at least one "
                              "SimulationResult, got none")
    return _compare_results(results, ax)


def _compare_table(frame: pd.DataFrame, ax: Any) -> Any:
    """A dot per scenario on each money row of a compare table: dots, not bars, so the axis
    need not start at zero and differences of a few per cent show (the caption says when
    it does not)."""
    missing = [row for row in COMPARE_ROWS if row not in frame.index]
    if missing:
        raise ValidationError(f"frame: row(s) {missing} missing; expected a table from "
                              "pbcmodel.scenario.variants.compare")
    money = frame.loc[list(COMPARE_ROWS)].to_numpy(dtype=float) / 1e6
    rows = np.arange(len(COMPARE_ROWS))
    ax.hlines(rows, money.min(axis=1), money.max(axis=1), color="0.8", lw=3, zorder=1)
    markers = "osD^v<>p*h"
    for j, name in enumerate(frame.columns):
        ax.scatter(money[:, j], rows, s=36, zorder=3, marker=markers[j % len(markers)],
                   label=str(name))
    ax.set_yticks(rows, [textwrap.fill(label(row), 32) for row in COMPARE_ROWS],
                  fontsize="small")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    low, high = float(money.min()), float(money.max())
    pad = 0.08 * (high - low or abs(high) or 1.0)
    ax.set_xlim(low - pad, high + pad)
    if low - pad <= 0 <= high + pad:
        ax.axvline(0, color="0.5", lw=0.8)
    ax.grid(True, axis="x", color="0.9", lw=0.6)
    money_axis(ax, "x", scale=1e6)
    ax.set_xlabel(figure_label("compare_money"))
    ax.set_title("Policies side by side")
    zero = "" if low - pad <= 0 <= high + pad else " · the axis does not start at zero"
    runs = ""
    if {"simulations", "years"} <= set(frame.index):
        n, years = int(frame.loc["simulations"].iloc[0]), int(frame.loc["years"].iloc[0])
        runs = f" · {n:,} simulations × {years} year{'s' if years != 1 else ''}"
    caption(ax, f"policies {', '.join(map(str, frame.columns))}{runs}{zero}")
    _legend_below(ax, columns=min(len(frame.columns), 4))
    return ax


def _compare_results(results: Mapping[str, SimulationResult], ax: Any) -> Any:
    """The distribution (empirical CDF) of each scenario's commissioner's result."""
    for name, result in results.items():
        kept = np.asarray(result.commissioner_pence).sum(axis=1) / 100
        ax.ecdf(kept, label=str(name))
    ax.set_yticks([0.0, 0.05, 0.2, 0.4, 0.6, 0.8, 1.0])      # 5%: the value at risk
    ax.set_ylim(0.0, 1.02)
    ax.grid(True, color="0.85", lw=0.6)
    money_axis(ax, "x")
    percent_axis(ax, "y", fraction=True)
    ax.set_xlabel(figure_label("commissioner_result"))
    ax.set_ylabel(figure_label("commissioner_chance"))
    ax.set_title("Commissioner's residual risk by policy")
    first = next(iter(results.values()))
    runs = {(r.n, r.years, r.seed) for r in results.values()}
    caption(ax, simulation_caption(first, name=", ".join(map(str, results)))
            if len(runs) == 1 else "scenarios " + ", ".join(map(str, results)) +
            " · simulated differently: " + "; ".join(
                simulation_caption(r, name=str(k)) for k, r in results.items()))
    ax.legend(fontsize="small", loc="best")
    return ax
