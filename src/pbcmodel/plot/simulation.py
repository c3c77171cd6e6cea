"""Figures of simulated policies: one scenario's outcomes, and scenarios side by side.

Examples
--------
>>> import pbcmodel as pbc
>>> from pbcmodel.plot.simulation import plot_result
>>> scn = pbc.Scenario.example()
>>> ax = plot_result(scn.simulate(n=200, seed=1), kind="commissioner")
>>> ax.get_xlabel()
'kept by the commissioner over all years (£m)'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ._base import new_axes

if TYPE_CHECKING:
    from ..scenario.simulation import SimulationResult

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
    low = 100 * m["p05_amount"] / m["budget"]
    high = 100 * m["p95_amount"] / m["budget"]
    ax.vlines(m["list_size"], low, high, color="C0", alpha=0.6, label="5th–95th percentile")
    ax.scatter(m["list_size"], low, color="C3", s=12, label="bad year (5th percentile)")
    ax.scatter(m["list_size"], high, color="C2", s=12, label="good year (95th percentile)")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("list size (registered patients)")
    ax.set_ylabel("practice amount in a year (% of budget)")
    ax.set_title(f"{result.scenario.name}: outcomes by list size")
    ax.legend(fontsize="small")
    return ax


def _net(result: SimulationResult, ax: Any) -> Any:
    per_head = result.net / result.list_size.to_numpy(dtype=np.float32)[None, :, None]
    ax.hist(per_head.ravel(), bins=60, color="C0", alpha=0.8)
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel("net position of a practice in a year (£ per registered patient)")
    ax.set_ylabel("practice-years")
    ax.set_title(f"{result.scenario.name}: practices' net position")
    return ax


def _commissioner(result: SimulationResult, ax: Any) -> Any:
    kept = result.commissioner_pence.sum(axis=1) / 100 / 1e6
    risk = result.commissioner_risk()
    level = f"{risk['level']:.0%}"
    ax.hist(kept, bins=50, color="C0", alpha=0.8)
    ax.axvline(-risk["var"] / 1e6, color="C1", label=f"VaR {level}")
    ax.axvline(-risk["tvar"] / 1e6, color="C3", ls="--", label=f"TVaR {level}")
    ax.set_xlabel("kept by the commissioner over all years (£m)")
    ax.set_ylabel("simulations")
    ax.set_title(f"{result.scenario.name}: commissioner's residual risk")
    ax.legend(fontsize="small")
    return ax


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
        ``"list_size"``: each practice's 5th–95th percentile yearly amount (% of budget)
        against its list size — is the policy fair to small practices? ``"net"``: the
        distribution of practices' yearly net position per registered patient.
        ``"commissioner"``: the distribution of what the commissioner keeps over all
        years, with its value at risk and tail value at risk (95%) as lines.
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
        A :func:`pbcmodel.scenario.variants.compare` table: grouped bars of its money rows
        (:data:`COMPARE_ROWS`, £m) for each scenario. Simulation results (simulated with
        the same seed, for common random numbers): the distribution (empirical CDF) of
        what the commissioner keeps over all years, one line per scenario, labelled by
        scenario name or mapping key.
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
        missing = [row for row in COMPARE_ROWS if row not in frame_or_results.index]
        if missing:
            raise ValidationError(f"frame: row(s) {missing} missing; expected a table from "
                                  "pbcmodel.scenario.variants.compare")
        money = frame_or_results.loc[list(COMPARE_ROWS)] / 1e6
        money.plot.barh(ax=ax)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.invert_yaxis()
        ax.set_xlabel("£m (per year for practices; over all years for the commissioner)")
        ax.set_title("Policies side by side")
        return ax
    results = (dict(frame_or_results) if isinstance(frame_or_results, Mapping)
               else {r.scenario.name: r for r in frame_or_results})
    if not results:
        raise ValidationError("frame_or_results: expected a compare table or at least one "
                              "SimulationResult, got none")
    for label, result in results.items():
        kept = np.asarray(result.commissioner_pence).sum(axis=1) / 100 / 1e6
        ax.ecdf(kept, label=str(label))
    ax.set_xlabel("kept by the commissioner over all years (£m)")
    ax.set_ylabel("probability of keeping at most this")
    ax.set_title("Commissioner's residual risk by policy")
    ax.legend(fontsize="small")
    return ax
