"""Multi-year simulation of a scenario: outturns drawn from the risk engine, settled year by year.

Each simulated year draws every practice's outturn (its spend, capped per patient at the
high-cost threshold when there is one, times a common cost shock shared by all practices,
times the practice's effect when the scenario has ``practice_effects``, times cost growth),
settles it with the scenario's rules in integer pence, and carries the state forward:
liabilities recovered from later budgets, budgets moving under pace of change as the
resource grows.

:func:`simulate` and :func:`run` check their options once (:class:`~.options.SimulationOptions`)
and follow one recipe, :func:`run_with`, each step a call into the module that owns it:

1. refuse what cannot be simulated, before any work (:mod:`~pbcmodel.scenario.limits`:
   a missing cost model, money too large for pence, a run too large for memory);
2. group the scenarios that share the drivers of spend (:data:`DRIVERS_OF_SPEND`);
3. make each group's plan (:mod:`~pbcmodel.scenario.plan`: distributions, budgets in pence,
   histogram grids) and run the simulation loop on it (:mod:`~pbcmodel.scenario.loop`:
   draw → settle → tally, on threads; :mod:`~pbcmodel.scenario.cluster` on dask);
4. hand each scenario its :class:`SimulationResult`, its full arrays written to a store
   when asked (:mod:`~pbcmodel.scenario.store`).

**Draw once, settle many.** The spend distributions are built once per run, and each chunk
of simulations is drawn once and settled under every policy that shares the drivers of
spend: :func:`~pbcmodel.scenario.variants.compare` and
:func:`~pbcmodel.scenario.variants.sweep` use :func:`run` for that.

**Streamed results.** By default (``keep="stats"``) a :class:`SimulationResult` holds, per
practice, exact integer sums, counts and a fine histogram of the yearly practice amount,
accumulated chunk by chunk (:mod:`~pbcmodel.scenario.tally`), and per simulation-year the
commissioner's totals: memory does not grow with ``n × practices``. ``keep="full"`` also
keeps every practice × simulation × year amount and net cash in integer pence (int32
where they fit, checked) and outturn (int64).

**Randomness**: one :class:`numpy.random.SeedSequence` per ``seed`` (checked by
:func:`pbcmodel.risk.patients.seed_sequence`); draws come from streams keyed by year and
block of simulations, so a result is identical whatever ``chunk_size``, ``engine`` and
number of workers.

**Engines.** ``"local"`` runs blocks of simulations on ``workers`` threads of this process
(numpy releases the GIL); ``"dask"`` has one worker on each machine build the
distributions, all machines at once (the other workers of a machine fetch them from it),
and runs one task per worker thread, each a range of blocks, on a user's ``Client`` or a
``LocalCluster`` started for the call; the machines' builds are checked to be identical.

Examples
--------
>>> import pbcmodel as pbc
>>> scn = pbc.Scenario.example()
>>> res = scn.simulate(n=500, years=2, seed=1)
>>> res.metrics().columns[:3].tolist()
['consortium', 'list_size', 'budget']
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from .. import risk
from ..risk import SpendDraws, methods, patients
from . import cluster, limits, loop, memory, store, tally
from .holders import holders
from .options import ENGINES, KEEP, Seed, SimulationOptions, StorePath
from .options import tracked_losses as tracked_losses
from .plan import (
    SimulatedScenario,
    build_plan,
    default_chunk,
    require_cost_model,
    spend_sampler,
)
from .results import SimulationResult

__all__ = ["DEFAULT_YEARS", "DRIVERS_OF_SPEND", "ENGINES", "KEEP", "METHODS", "SimulationResult",
           "draw_outturns", "drivers", "run", "run_with", "simulate"]

#: Ways of drawing outturns (the risk engine's method registry).
METHODS = methods.METHODS
#: Scenario fields that change the simulated outturns (everything else is policy): what is
#: spent, and who holds the budgets (a footprint's outturn is its practices' added up).
#: Simulated years when none are given, the same for :func:`simulate`, ``Scenario.simulate``,
#: :func:`~pbcmodel.scenario.variants.compare`, ``pbcmodel run``/``compare`` and the demo:
#: three, so that an overspend recovered from later budgets falls inside the horizon.
DEFAULT_YEARS = 3
DRIVERS_OF_SPEND = ("population", "cost_model", "high_cost_threshold", "high_cost_pool_share",
                    "common_shock_cv", "cost_growth", "practice_effects", "holder")
#: Losses (pounds, and fractions of budget) whose years a streamed result always counts
#: (:mod:`~pbcmodel.scenario.tally`); ask for others with ``track_losses``.
LOSS_POUNDS = tally.LOSS_POUNDS
LOSS_FRACTIONS = tally.LOSS_FRACTIONS
#: Practice-simulations settled, and drawn, at once (:mod:`~pbcmodel.scenario.memory`).
CHUNK_ELEMENTS = memory.CHUNK_ELEMENTS
DRAW_ELEMENTS = memory.DRAW_ELEMENTS

def drivers(scn: SimulatedScenario) -> tuple[object, ...]:
    """What a scenario's simulated outturns depend on (:data:`DRIVERS_OF_SPEND`)."""
    return tuple(getattr(scn, name) for name in DRIVERS_OF_SPEND)


# ----------------------------------------------------------------------------- drawing
def draw_outturns(scn: SimulatedScenario, n: int, years: int, seed: Seed, *,
                  method: str = "fft", chunk_size: int | None = None
                  ) -> Iterator[Iterator[SpendDraws]]:
    """For each year, an iterator of chunks of simulated spend (:class:`~pbcmodel.risk.SpendDraws`).

    Each chunk holds consecutive simulations: ``retained`` is the practices' outturn (spend
    capped per patient at ``scn.high_cost_threshold``), ``excess`` what the high-cost pool
    pays, per commissioner (or per practice where the practices' cost multipliers differ:
    :func:`~pbcmodel.scenario.plan.pool_unit`). Both include the year's common shock
    (``scn.common_shock_cv``) and cost growth; ``retained`` also each practice's effect that
    year, with ``scn.practice_effects`` (:class:`~pbcmodel.risk.effects.PracticeEffects`). These are
    the outturns :func:`simulate` settles.

    Methods (:data:`pbcmodel.risk.methods.REGISTRY`): ``"fft"`` draws each practice's annual
    spend from its exact (discretised, FFT) distribution by inverting the cdf — fast at
    national scale, the distributions being built once for all years; ``"normal"`` from
    the normal approximation; ``"mc"`` simulates patient by patient (exact, but costs about
    list size × ``n`` draws per practice: use it to cross-check, not at scale).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> [sum(len(c.retained) for c in year) for year in draw_outturns(scn, 10, 2, seed=3)]
    [10, 10]
    """
    require_cost_model(scn)
    options = SimulationOptions(n=n, years=years, seed=seed, method=method,
                                chunk_size=chunk_size)
    sampler = spend_sampler(scn, options.method)
    step = options.chunk_size or default_chunk(scn.population.n_practices)
    return (_grown(sampler, options.root, y, options.n, step, (1 + scn.cost_growth) ** y)
            for y in range(options.years))


def _grown(sampler: risk.SpendSampler, root: np.random.SeedSequence, year: int, n: int,
           step: int, factor: float) -> Iterator[SpendDraws]:
    for lo, hi in patients.chunks(n, step):
        draws = sampler.draw(root, year, lo, hi)
        np.multiply(draws.retained, factor, out=draws.retained)
        np.multiply(draws.excess, factor, out=draws.excess)
        yield draws


# ----------------------------------------------------------------------------- simulating
def simulate(scn: SimulatedScenario, n: int = 10_000, years: int = DEFAULT_YEARS,
             seed: Seed = 0, *, method: str = "fft", chunk_size: int | None = None,
             keep: str = "stats", engine: str = "local", client: Any = None,
             workers: int | None = None, progress: bool | None = None,
             track_losses: Mapping[str, Any] | None = None,
             store: StorePath | None = None) -> SimulationResult:
    """Simulate ``years`` settled years, ``n`` times, for every practice.

    Parameters
    ----------
    scn : Scenario
        Needs a ``cost_model``.
    n, years : int
        Simulations and years (> 0); ``years`` defaults to :data:`DEFAULT_YEARS` (3), as
        for ``pbcmodel run`` and ``compare``.
    seed : None, int >= 0 or numpy.random.SeedSequence
        Root of the random streams; the same seed gives the same result whatever
        ``chunk_size``, ``engine`` and ``workers``. ``None``: fresh entropy.
    method : {"fft", "normal", "mc"}
        How practice spend is drawn (see :func:`draw_outturns`): ``"fft"`` (default) from
        each practice's exact distribution; ``"mc"`` patient by patient (slow).
    chunk_size : int, optional
        Simulations drawn and settled at once (default: about 260,000 practice-simulations);
        results do not depend on it.
    keep : {"stats", "full"}
        ``"stats"`` (default): streamed statistics, memory independent of ``n``;
        ``"full"``: also every practice × simulation × year amount and net cash
        (:attr:`SimulationResult.practice_amount_pence`, 4 bytes each in memory, or on
        disk with ``store``).
    engine : {"local", "dask"}
        ``"local"``: ``workers`` threads of this process. ``"dask"``: blocks of simulations
        as tasks on ``client`` (or on a ``LocalCluster`` of ``workers`` processes started
        for the call; a script that does so must run under ``if __name__ == "__main__":``).
    client : distributed.Client, optional
        Only with ``engine="dask"``.
    workers : int, optional
        Threads (local; default: the machine's cores) or worker processes (dask cluster).
    progress : bool, optional
        Show a tqdm progress bar (local engine; needs ``pbcmodel[progress]``). ``None``
        (default): on in Jupyter when tqdm is installed, off elsewhere
        (:func:`~pbcmodel.scenario.options.auto_progress`).
    track_losses : mapping, optional
        Losses the streamed result counts besides £10,000 and 1%, 2%, 5% and 10% of
        budget: ``{"loss_fraction": [...], "loss_pounds": [...]}``, the values
        :meth:`SimulationResult.metrics` will be asked for (e.g. by
        :func:`pbcmodel.design.optimise`, which asks for what its aims need).
    store : path, optional
        With ``keep="full"``: a new zarr store (e.g. ``"run.zarr"``, needs
        ``pbcmodel[store]``) that receives the per-practice arrays chunk by chunk as the
        simulation runs, for runs larger than memory; :meth:`SimulationResult.to_xarray`
        opens it lazily. Written whole or not at all (staged beside the path, renamed at
        the end); a path that exists is refused (see :mod:`pbcmodel.scenario.store`).

    Returns
    -------
    SimulationResult

    Raises
    ------
    ValidationError
        A count that is not a positive whole number, an unknown method, keep or engine, a
        bad seed (e.g. ``-1``), a scenario without a cost model, money that would overflow
        integer pence (budgets grown by ``resource_growth``, outturns by ``cost_growth``,
        a huge ``high_cost_threshold``), a bad ``track_losses`` or ``store``, or a run
        that would not fit in memory (with the estimate and the largest ``n`` that fits)
        — all before any work.
    MissingDependencyError
        ``store`` without zarr installed.
    """
    options = SimulationOptions(n=n, years=years, seed=seed, method=method,
                                chunk_size=chunk_size, keep=keep, engine=engine, client=client,
                                workers=workers, progress=progress, track_losses=track_losses,
                                stores=None if store is None else [store])
    return run_with([scn], options)[0]


def run(scenarios: Sequence[SimulatedScenario], n: int, years: int, seed: Seed, *,
        method: str = "fft", chunk_size: int | None = None, keep: str = "stats",
        engine: str = "local", client: Any = None, workers: int | None = None,
        progress: bool | None = None, track_losses: Mapping[str, Any] | None = None,
        stores: Sequence[StorePath | None] | None = None) -> list[SimulationResult]:
    """Simulate several scenarios on common random numbers, drawing each chunk once.

    Scenarios that share the drivers of spend (:data:`DRIVERS_OF_SPEND`) share one set of
    distributions and draws: each chunk of simulations is drawn once and settled under each
    of their policies. Other scenarios get their own distributions, from the same streams.
    Arguments as for :func:`simulate`; ``stores`` (with ``keep="full"``) one zarr store
    path per scenario, or None for a scenario whose arrays stay in memory. Every argument
    is checked before any work, and so is the memory the run needs
    (:func:`pbcmodel.scenario.memory.check_simulation_memory`).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> base = pbc.Scenario.example()
    >>> a, b = run([base, base.evolve(name="strict", **{"overspend.practice_share": 1.0})],
    ...            n=200, years=1, seed=1)
    >>> bool((a.pool_pence == b.pool_pence).all())       # the same outturns, settled twice
    True
    """
    options = SimulationOptions(n=n, years=years, seed=seed, method=method,
                                chunk_size=chunk_size, keep=keep, engine=engine, client=client,
                                workers=workers, progress=progress, track_losses=track_losses,
                                stores=stores)
    return run_with(scenarios, options)


def run_with(scenarios: Sequence[SimulatedScenario], options: SimulationOptions
             ) -> list[SimulationResult]:
    """Simulate ``scenarios`` on common random numbers with checked ``options``: the recipe
    behind :func:`simulate` and :func:`run` (see the module notes).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> [res] = run_with([pbc.Scenario.example()], SimulationOptions(n=200, years=2, seed=1))
    >>> res.n, res.years
    (200, 2)
    """
    targets = options.targets(len(scenarios))
    limits.check_scenarios(scenarios, options.years)        # before any work
    groups = _by_drivers(scenarios)                        # drawn once, settled many times
    limits.check_memory(scenarios, options, groups=len(groups))
    with _staged_stores(targets, scenarios, options) as folders:
        keeps = [options.tally_keep(sink) for _, sink in folders]
        results = _simulate_groups(scenarios, groups, keeps, options)
        for (folder, _), result in zip(folders, results, strict=True):
            if folder is not None:
                store.write_budget(folder, np.rint(result.budget * 100).astype(np.int64))
    return [r if t is None else attrs.evolve(r, store=t)
            for r, t in zip(results, targets, strict=True)]


def _by_drivers(scenarios: Sequence[SimulatedScenario]) -> list[list[int]]:
    """The scenarios, by position, in groups that share the drivers of spend."""
    groups: list[list[int]] = []
    for i, scn in enumerate(scenarios):
        for group in groups:
            if drivers(scenarios[group[0]]) == drivers(scn):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


@contextlib.contextmanager
def _staged_stores(targets: Sequence[Path | None], scenarios: Sequence[SimulatedScenario],
                   options: SimulationOptions
                   ) -> Iterator[list[tuple[Path | None, store.ZarrSink | None]]]:
    """Per scenario, the staging folder of its store and the sink its tallies write to (or
    None, None): renamed into place when the block succeeds, removed when it fails."""
    with contextlib.ExitStack() as stack:
        folders = [None if t is None else stack.enter_context(store.staged(t))
                   for t in targets]
        held = [holders(scn.population, scn.holder) for scn in scenarios]
        yield [(f, None if f is None else store.create(
            f, options.n, h.codes, h.consortium, h.list_size, options.years))
            for f, h in zip(folders, held, strict=True)]


def _simulate_groups(scenarios: Sequence[SimulatedScenario], groups: list[list[int]],
                     keeps: list[tally.Keep], options: SimulationOptions
                     ) -> list[SimulationResult]:
    """Each group's plan simulated (threads here, or dask), and a result per scenario."""
    specs = [([scenarios[i] for i in group], [keeps[i] for i in group]) for group in groups]
    if options.engine == "local":
        plans = [build_plan(group, group_keeps, options) for group, group_keeps in specs]
        tallies, budgets = loop.run_threads(plans, options), [plan.budgets for plan in plans]
    else:
        tallies, budgets = cluster.run_dask(specs, options)
    results: dict[int, SimulationResult] = {}
    for group, group_budgets, group_tallies in zip(groups, budgets, tallies, strict=True):
        for i, budget, statistics in zip(group, group_budgets, group_tallies, strict=True):
            scn = scenarios[i]
            held = holders(scn.population, scn.holder)
            results[i] = SimulationResult(
                scenario=scn, seed=options.seed, method=options.method,
                practices=held.codes, consortium=held.consortium,
                list_size=held.list_size, budget=budget / 100, tally=statistics)
    return [results[i] for i in range(len(scenarios))]
