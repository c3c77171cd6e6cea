"""Compare policies side by side, and sweep a grid of policy variants, locally or on dask.

Both simulate with **common random numbers**: every scenario (or variant) is simulated with
the same ``seed``, and a simulation's outturns depend only on what drives spend — the
population, the cost model, the high-cost threshold, the common shock and cost growth (and
the drawing ``method``). Scenarios that share those see *identical* outturns, simulation by
simulation, so the differences in the table are the policy's, not noise: a sweep over
``overspend.practice_share`` needs far fewer simulations than independent runs would.

**Draw once, settle many.** The outturns are identical by construction, not by re-drawing:
the spend distributions are built once for each set of drivers, and each chunk of
simulations is drawn once and settled under every scenario that shares them
(:func:`pbcmodel.scenario.simulation.run`). A sweep of 20 policies costs little more than
one simulation; scenarios that change a driver of spend get their own distributions.

Examples
--------
>>> import pbcmodel as pbc
>>> from pbcmodel.scenario.variants import compare, sweep
>>> base = pbc.Scenario(population=pbc.datasets.example_population(),
...     formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
...     resource=510e6, cost_model=pbc.datasets.example_cost_model(),
...     savings=pbc.sharing.pbc_freed_up(0.7),
...     overspend=pbc.OverspendPolicy(practice_share=0.5), name="half")
>>> table = compare([base, base.evolve(name="all", **{"overspend.practice_share": 1.0})],
...                 n=200, seed=1)
>>> table.columns.tolist()
['half', 'all']
>>> bool(table.loc["expected_practice_amount", "all"]
...      < table.loc["expected_practice_amount", "half"])      # bearing more costs more
True
>>> grid = sweep(base, {"overspend.practice_share": [0.0, 0.5]}, n=200, progress=False)
>>> grid.index.names
FrozenList(['overspend.practice_share'])
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..labelled import labelled
from ..validation import quoted
from .metrics import HEADLINE, figures
from .options import ENGINES, SimulationOptions
from .plan import require_cost_model
from .results import SimulationResult
from .scenario import Scenario
from .simulation import DEFAULT_YEARS, drivers, run_with

__all__ = ["ENGINES", "compare", "headline", "side_by_side", "sweep"]


def headline(result: SimulationResult) -> pd.Series:
    """A simulation's headline figures: its summary plus the spread across practices.

    The figures of :data:`pbcmodel.scenario.metrics.HEADLINE`, each defined (unit, sign,
    label) in :mod:`pbcmodel.scenario.metrics`. To :meth:`SimulationResult.summary` it adds
    ``worst_practice_p05_amount`` (the lowest 5th percentile of a practice's yearly amount
    over practices, pounds; negative is a loss borne), ``max_practice_prob_loss_over_2pct``
    (the most exposed practice's chance of losing over 2% of its budget in a year) and the
    standard deviation of the yearly practice amount per registered patient for the smallest
    and the largest list-size band (``sd_per_head_smallest_lists``,
    ``sd_per_head_largest_lists``): a fair policy keeps the two close.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example(
    ...     savings=None, conditions={}, overspend=pbc.OverspendPolicy(practice_share=1.0))
    >>> h = headline(scn.simulate(n=200, seed=0))
    >>> bool(h["sd_per_head_smallest_lists"] > h["sd_per_head_largest_lists"])
    True
    """
    return figures(result, HEADLINE).astype(float)


def _draws(result: SimulationResult) -> tuple[Any, ...]:
    """What a result's simulated outturns depend on."""
    return (result.seed, result.method, result.n, result.years, *drivers(result.scenario))


def _distinct(items: Sequence[Any], kind: type, what: str) -> list[Any]:
    """``items`` as a list, refused if empty, of another type, or with two of one name."""
    items = list(items)
    if not items:
        raise ValidationError(f"{what}: expected at least one {kind.__name__}, got none")
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise ValidationError(f"{what}[{i}]: expected a {kind.__name__}, got "
                                  f"{type(item).__name__}")
    names = [(item if kind is Scenario else item.scenario).name for item in items]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValidationError(f"{what}: scenario name(s) {quoted(duplicated)} used more than "
                              "once; give each a distinct name, e.g. scn.evolve(name='strict')")
    return items


def side_by_side(results: Sequence[SimulationResult]) -> pd.DataFrame:
    """Tabulate simulation results side by side: one column of :func:`headline` figures each.

    :func:`compare` simulates and calls this; call it yourself on results you already have.

    Parameters
    ----------
    results : sequence of SimulationResult
        With distinct scenario names (the column labels).

    Returns
    -------
    DataFrame
        ``frame.attrs["common_outturns"]`` is True when every result was simulated with the
        same seed, method, ``n`` and ``years`` from scenarios that share everything that
        drives spend (population, cost model, high-cost threshold, common shock, cost
        growth): then every simulation's outturns are identical across the columns, and
        the differences are the policies'. When it is False they differ by design too.

    Raises
    ------
    ValidationError
        No results, something that is not a SimulationResult, or duplicate names.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario(population=pbc.datasets.example_population(),
    ...     formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
    ...     resource=510e6, cost_model=pbc.datasets.example_cost_model(), name="none")
    >>> res = scn.simulate(n=100, seed=3)
    >>> other = scn.evolve(name="70/30", savings=pbc.sharing.pbc_freed_up(0.7))
    >>> t = side_by_side([res, other.simulate(n=100, seed=3)])
    >>> t.attrs["common_outturns"], float(t.loc["expected_freed_up", "none"])
    (True, 0.0)
    >>> side_by_side([res, other.simulate(n=100, seed=4)]).attrs["common_outturns"]
    False
    """
    results = _distinct(results, SimulationResult, "results")
    frame = pd.concat([headline(result) for result in results], axis=1)
    first = _draws(results[0])
    frame.attrs["common_outturns"] = all(_draws(r) == first for r in results[1:])
    same = "on the same outturns" if frame.attrs["common_outturns"] else "on different outturns"
    return labelled(frame, by_row=True, title=f"Scenarios side by side, {same}, by period")


def compare(scenarios: Sequence[Scenario], n: int = 10_000, seed: Any = 0,
            years: int = DEFAULT_YEARS, *, method: str = "fft", chunk_size: int | None = None,
            engine: str = "local", client: Any = None, workers: int | None = None,
            progress: bool | None = None) -> pd.DataFrame:
    """Simulate several scenarios on common random numbers and tabulate them side by side.

    Parameters
    ----------
    scenarios : sequence of Scenario
        With distinct ``name`` s (the column labels) and a cost model each.
    n, seed, years, method, chunk_size, engine, client, workers, progress
        As for :func:`pbcmodel.scenario.simulation.simulate` (``years``: three, as there);
        the same for every scenario. Scenarios that share the drivers of spend are settled
        on one set of draws.

    Returns
    -------
    DataFrame
        One column per scenario, one row per :func:`headline` figure (see
        :func:`side_by_side`). ``frame.attrs["common_outturns"]`` is True when the
        scenarios share everything that drives spend (population, cost model, high-cost
        threshold, common shock, cost growth), so every simulation's outturns are identical
        across them. When it is False they still share the random streams, but the
        outturns differ by design, and the differences in the table include that change in
        spend as well as the change in policy.

    Raises
    ------
    ValidationError
        No scenarios, something that is not a Scenario, a scenario without a cost model,
        duplicate names, or ``n`` / ``years`` not positive (before anything is simulated).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> base = pbc.Scenario(population=pbc.datasets.example_population(),
    ...     formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
    ...     resource=510e6, cost_model=pbc.datasets.example_cost_model(), name="none")
    >>> t = compare([base, base.evolve(name="70/30", savings=pbc.sharing.pbc_freed_up(0.7))],
    ...             n=100, seed=3)
    >>> t.columns.tolist(), t.attrs["common_outturns"]
    (['none', '70/30'], True)
    """
    scenarios = _distinct(scenarios, Scenario, "scenarios")
    for i, scn in enumerate(scenarios):
        require_cost_model(scn, f"scenarios[{i}] ({scn.name!r})")
    options = SimulationOptions(n=n, years=years, seed=seed, method=method,
                                chunk_size=chunk_size, engine=engine, client=client,
                                workers=workers, progress=progress)
    return side_by_side(run_with(scenarios, options))


def _label(value: Any) -> Any:
    """A grid value as an index label (lists become tuples, so they can be hashed)."""
    if isinstance(value, (list, tuple)):
        return tuple(_label(v) for v in value)
    return value


def _variants(scenario: Scenario, grid: Mapping[str, Sequence[Any]]
              ) -> tuple[list[Scenario], pd.Index]:
    """Every combination of the grid, checked by building each variant once."""
    if not isinstance(scenario, Scenario):
        raise ValidationError(f"scenario: expected a Scenario, got {type(scenario).__name__}")
    if not isinstance(grid, Mapping) or not grid:
        raise ValidationError("grid: expected a non-empty mapping of dotted path → values, "
                              "e.g. {'overspend.practice_share': [0, 0.5, 1]}")
    for path, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValidationError(f"grid[{path!r}]: expected a non-empty list of values, "
                                  f"got {values!r}")
    paths = list(grid)
    combos = [dict(zip(paths, combo, strict=True))
              for combo in itertools.product(*grid.values())]
    variants = [scenario.evolve(**changes) for changes in combos]  # bad paths fail here
    for changes, variant in zip(combos, variants, strict=True):
        require_cost_model(variant, f"variant {changes}")
    labels = [tuple(_label(v) for v in changes.values()) for changes in combos]
    index = pd.MultiIndex.from_tuples(labels, names=paths)
    if len(paths) == 1:
        index = index.get_level_values(0)
    return variants, index


def sweep(scenario: Scenario, grid: Mapping[str, Sequence[Any]], *, n: int = 2_000,
          years: int = DEFAULT_YEARS, seed: Any = 0, method: str = "fft",
          chunk_size: int | None = None, engine: str = "local", client: Any = None,
          workers: int | None = None, progress: bool | None = None) -> pd.DataFrame:
    """Simulate every combination of a grid of policy variants.

    Parameters
    ----------
    scenario : Scenario
        The base scenario; each variant is ``scenario.evolve(**{path: value, ...})``.
    grid : mapping of str to list
        Dotted path (``"overspend.practice_share"``, ``"resource"``, ...) → values to try.
        The variants are the cartesian product of the lists.
    n, years, seed, method, chunk_size
        As for :func:`pbcmodel.scenario.simulation.simulate`, the same for every variant (common
        random numbers, see the module notes); ``years`` defaults to
        :data:`~pbcmodel.scenario.simulation.DEFAULT_YEARS` (three), as there and in
        :func:`compare`.
    engine : {"local", "dask"}
        ``"local"`` runs in this process, on ``workers`` threads. Variants that share the
        drivers of spend are settled on one set of draws (each chunk of simulations is
        drawn once and settled under every variant). ``"dask"`` (needs
        ``pbcmodel[distributed]``) sends each set of distributions to every worker once
        and runs one task per range of simulation blocks and set of drivers, on ``client``
        when given (e.g. a real cluster's ``Client``), otherwise on a ``LocalCluster`` of
        ``workers`` processes started for the call and closed after it. A process-based
        ``LocalCluster`` re-imports your script in each worker, so a script that calls
        ``sweep(..., engine="dask")`` without a client must do so under
        ``if __name__ == "__main__":``. Results are identical to ``"local"`` for the same
        seed, whatever the number of workers.
    client : distributed.Client, optional
        Only with ``engine="dask"``.
    workers : int, optional
        Threads (local) or worker processes (a dask cluster started for the call).
    progress : bool, optional
        A tqdm progress bar over simulations (local engine; dask has its own dashboard).
        ``None`` (default): on in Jupyter when tqdm is installed, off elsewhere.

    Returns
    -------
    DataFrame
        One row per variant, indexed by the grid values (one level per path, named by
        it), one column per :func:`headline` figure.

    Raises
    ------
    ValidationError
        A path that names no field, a value its field refuses, a variant without a cost
        model, an empty grid, ``n`` or ``years`` not positive, an unknown engine or
        method — all before any simulation runs.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example(
    ...     savings=None, conditions={}, overspend=pbc.OverspendPolicy(practice_share=0.5))
    >>> out = sweep(scn, {"overspend.practice_share": [0.0, 1.0],
    ...                   "overspend.tolerance": [0.0, 0.02]}, n=100, years=1, progress=False)
    >>> out.shape[0], out.index.names
    (4, FrozenList(['overspend.practice_share', 'overspend.tolerance']))
    >>> float(out.loc[(0.0, 0.0), "expected_practice_amount"])   # practice bears nothing
    0.0
    >>> sweep(scn, {"overspend.share": [0.5]})
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: evolve: 'overspend.share' names no field; ...
    """
    options = SimulationOptions(n=n, years=years, seed=seed, method=method,
                                chunk_size=chunk_size, engine=engine, client=client,
                                workers=workers, progress=progress)
    variants, index = _variants(scenario, grid)
    results = run_with(variants, options)
    rows = [headline(result) for result in results]
    return pd.DataFrame(np.vstack([r.to_numpy() for r in rows]), index=index,
                        columns=rows[0].index)
