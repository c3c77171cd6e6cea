"""Multi-year simulation of a scenario: outturns drawn from the risk engine, settled year by year.

Each simulated year draws every practice's outturn (its spend, capped per patient at the
high-cost threshold when there is one, times a common cost shock shared by all practices,
times cost growth), settles it with the scenario's rules in integer pence, and carries the
state forward: liabilities recovered from later budgets, budgets moving under pace of
change as the resource grows.

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
where they fit, checked).

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .. import risk
from .._html import summary_html
from .._validate import _labels, check_fraction
from ..errors import ValidationError, require
from ..risk import SpendDraws, methods, patients
from . import cluster, limits, loop, memory, store
from . import tally as _streamed  # the name SimulationResult (below) reads it by
from .options import ENGINES, KEEP, Seed, SimulationOptions, StorePath, check_counts
from .options import tracked_losses as tracked_losses
from .plan import (
    SimulatedScenario,
    build_plan,
    default_chunk,
    require_cost_model,
    spend_sampler,
)

__all__ = ["DRIVERS_OF_SPEND", "ENGINES", "KEEP", "METHODS", "SimulationResult",
           "draw_outturns", "drivers", "run", "run_with", "simulate"]

#: Ways of drawing outturns (the risk engine's method registry).
METHODS = methods.METHODS
#: Scenario fields that change the simulated outturns (everything else is policy).
DRIVERS_OF_SPEND = ("population", "cost_model", "high_cost_threshold", "common_shock_cv",
                    "cost_growth")
#: Losses (pounds, and fractions of budget) whose years a streamed result always counts
#: (:mod:`~pbcmodel.scenario.tally`); ask for others with ``track_losses``.
LOSS_POUNDS = _streamed.LOSS_POUNDS
LOSS_FRACTIONS = _streamed.LOSS_FRACTIONS
#: Practice-simulations settled, and drawn, at once (:mod:`~pbcmodel.scenario.memory`).
CHUNK_ELEMENTS = memory.CHUNK_ELEMENTS
DRAW_ELEMENTS = memory.DRAW_ELEMENTS

#: Kept for the modules that import them until they take the public names
#: (:func:`.options.check_counts`, :func:`.plan.require_cost_model`, SimulationOptions).
_check_counts = check_counts
_check_cost_model = require_cost_model


def _check_options(method: Any, keep: Any, engine: Any, client: Any, workers: Any) -> None:
    SimulationOptions(method=method, keep=keep, engine=engine, client=client, workers=workers)


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
    pays per commissioner. Both include the year's common shock (``scn.common_shock_cv``)
    and cost growth. These are the outturns :func:`simulate` settles.

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
def simulate(scn: SimulatedScenario, n: int = 10_000, years: int = 1, seed: Seed = 0, *,
             method: str = "fft", chunk_size: int | None = None, keep: str = "stats",
             engine: str = "local", client: Any = None, workers: int | None = None,
             progress: bool = False, track_losses: Mapping[str, Any] | None = None,
             store: StorePath | None = None) -> SimulationResult:
    """Simulate ``years`` settled years, ``n`` times, for every practice.

    Parameters
    ----------
    scn : Scenario
        Needs a ``cost_model``.
    n, years : int
        Simulations and years (> 0).
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
    progress : bool
        Show a tqdm progress bar (local engine; needs ``pbcmodel[progress]``).
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
        progress: bool = False, track_losses: Mapping[str, Any] | None = None,
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
        yield [(f, None if f is None else store.create(
            f, options.n, scn.population.codes, scn.population.hierarchy["consortium"],
            scn.population.list_size, options.years))
            for f, scn in zip(folders, scenarios, strict=True)]


def _simulate_groups(scenarios: Sequence[SimulatedScenario], groups: list[list[int]],
                     keeps: list[_streamed.Keep], options: SimulationOptions
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
        for i, budget, tally in zip(group, group_budgets, group_tallies, strict=True):
            scn = scenarios[i]
            results[i] = SimulationResult(
                scenario=scn, seed=options.seed, method=options.method,
                practices=scn.population.codes,
                consortium=scn.population.hierarchy["consortium"],
                list_size=scn.population.list_size, budget=budget / 100, tally=tally)
    return [results[i] for i in range(len(scenarios))]


# ----------------------------------------------------------------------------- results
@attrs.frozen(eq=False, repr=False)
class SimulationResult:
    """Outcomes of :func:`simulate`.

    Always (exact integer pence, per simulation and year): ``commissioner_pence`` (what
    the commissioner keeps of the variance, summed over practices), ``carried_pence``
    (liabilities still to recover) and ``pool_pence`` (cost above the high-cost threshold,
    met from the commissioner's pool); per practice, the streamed statistics behind
    :meth:`metrics`, :meth:`summary` and :meth:`by_list_size`; :attr:`amount_sample` and
    :attr:`net_sample`, the first 256 simulations' amounts and net cash (for figures).
    With ``keep="full"`` also :attr:`practice_amount_pence` and :attr:`net_pence`
    (simulation × practice × year).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example(savings=None, conditions={})
    >>> res = scn.simulate(n=300, seed=2, keep="full")
    >>> bool((res.practice_amount_pence <= 0).all())   # no savings schedule: nothing paid
    True
    """

    scenario: Any
    seed: Any
    method: str
    practices: pd.Index
    consortium: pd.Series
    list_size: pd.Series
    budget: np.ndarray
    tally: _streamed.Tally
    store: Path | None = None
    _cache: dict[Any, Any] = attrs.field(factory=dict, init=False)

    @property
    def n(self) -> int:
        """Number of simulations."""
        return self.tally.hi - self.tally.lo

    @property
    def years(self) -> int:
        """Number of simulated years."""
        return self.tally.years

    @property
    def keep(self) -> str:
        """``"full"`` when the per-practice arrays were kept (in memory or in
        :attr:`store`), else ``"stats"``."""
        return "stats" if self.tally.full_amount is None and self.store is None else "full"

    @property
    def commissioner_pence(self) -> np.ndarray:
        """What the commissioner keeps of the variance, per simulation × year (pence)."""
        return self.tally.commissioner

    @property
    def carried_pence(self) -> np.ndarray:
        """Liabilities still to be recovered after each year, per simulation × year (pence)."""
        return self.tally.carried

    @property
    def pool_pence(self) -> np.ndarray:
        """Cost met by the high-cost pool, per simulation × year (pence)."""
        return self.tally.pool

    @property
    def amount_sample(self) -> np.ndarray:
        """Practice amount (pounds) in the first 256 simulations, (k, P, years), for figures."""
        return self.tally.amount_sample / 100

    @property
    def net_sample(self) -> np.ndarray:
        """Net cash to each practice (pounds) in the first 256 simulations, (k, P, years)."""
        return self.tally.net_sample / 100

    def _full(self, name: str, label: str) -> np.ndarray:
        values = getattr(self.tally, name)
        if values is None and self.store is not None:     # read whole from the store
            return store.read(self.store, "practice_amount" if label == "practice_amount"
                              else "net")
        if values is None:
            raise ValidationError(f"{label}: the per-practice arrays were not kept; "
                                  "simulate with keep='full'")
        return values

    @property
    def practice_amount_pence(self) -> np.ndarray:
        """``keep="full"`` only: practice amount (+ freed-up, − liability), pence,
        simulation × practice × year."""
        return self._full("full_amount", "practice_amount")

    @property
    def net_pence(self) -> np.ndarray:
        """``keep="full"`` only: net cash to the practice (freed-up and incentives paid,
        less recovery), pence, simulation × practice × year."""
        return self._full("full_net", "net")

    @property
    def practice_amount(self) -> np.ndarray:
        """``keep="full"`` only: :attr:`practice_amount_pence` in pounds."""
        return self._full("full_amount", "practice_amount") / 100

    @property
    def net(self) -> np.ndarray:
        """``keep="full"`` only: :attr:`net_pence` in pounds."""
        return self._full("full_net", "net") / 100

    def to_xarray(self) -> Any:
        """``keep="full"`` only: the per-practice arrays (pounds) as an :class:`xarray.Dataset`.

        Variables ``practice_amount`` and ``net`` (simulation × practice × year) and
        ``budget`` (year × practice), with coordinates ``practice``, ``year``,
        ``consortium`` and ``list_size``. A result written to a :attr:`store` is opened
        from it lazily (dask arrays when dask is installed), so it can be larger than memory.
        """
        if self.store is not None:
            return store.open_dataset(self.store)
        xr = require("xarray", "distributed", "SimulationResult.to_xarray")
        dims = ("simulation", "practice", "year")
        coords = {"practice": self.practices.to_numpy(), "year": np.arange(1, self.years + 1),
                  "consortium": ("practice", self.consortium.to_numpy()),
                  "list_size": ("practice", self.list_size.to_numpy())}
        return xr.Dataset({"practice_amount": (dims, self.practice_amount),
                           "net": (dims, self.net),
                           "budget": (("year", "practice"), self.budget)}, coords=coords)

    def _loss_share(self, kind: str, value: float) -> np.ndarray:
        """Share of practice-years with a loss beyond ``value`` pounds or ``value`` of budget."""
        counts = self.tally.loss_count(kind, value)
        if counts is None:
            amount = self.tally.full_amount
            name = "loss_pounds" if kind == "pounds" else "loss_fraction"
            if amount is None and self.store is None:
                tracked = (self.tally.tracked_pounds if kind == "pounds"
                           else self.tally.tracked_fractions)
                raise ValidationError(
                    f"{name}: {value!r} is not counted by this simulation (counted: "
                    f"{_labels(list(tracked), limit=12)}); simulate with "
                    f"track_losses={{{name!r}: [{value!r}]}} to count it, or keep='full'")
            limit: Any = (-round(float(value) * 100) if kind == "pounds"
                          else -float(value) * np.rint(self.budget * 100).T[None])  # (1, P, Y)
            blocks = ([amount] if amount is not None or self.store is None
                      else store.blocks(self.store, "practice_amount"))
            counts = sum(np.count_nonzero(block < limit, axis=(0, 2)) for block in blocks)
        return counts / self.tally.count

    def _quantiles(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """p05 and p95 of the yearly practice amount (pounds), and their error bounds."""
        full = self.tally.full_amount
        if full is not None:
            exact = np.empty((2, len(self.practices)))
            for lo in range(0, len(self.practices), 256):     # bounded float64 copies
                block = full[:, lo:lo + 256].transpose(1, 0, 2).reshape(
                    len(self.practices[lo:lo + 256]), -1)
                exact[:, lo:lo + 256] = np.quantile(block, [0.05, 0.95], axis=1) / 100
            zero = np.zeros(len(self.practices))
            return exact[0], exact[1], zero, zero
        p05, b05 = self.tally.quantile(0.05)
        p95, b95 = self.tally.quantile(0.95)
        return p05 / 100, p95 / 100, b05 / 100, b95 / 100

    def quantile_bounds(self) -> pd.DataFrame:
        """Per practice, the most by which ``p05_amount`` and ``p95_amount`` of
        :meth:`metrics` can differ from the exact quantiles of the simulated amounts (pounds;
        zero with ``keep="full"``). A streamed quantile is read from a histogram of 2,048
        bins a practice, within one bin of the exact value.
        """
        _, _, b05, b95 = self._cached(("quantiles",), self._quantiles)
        return pd.DataFrame({"p05_amount": b05, "p95_amount": b95}, index=self.practices)

    def _cached(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def metrics(self, *, loss_pounds: float = 10_000.0, loss_fraction: float = 0.02
                ) -> pd.DataFrame:
        """Per practice, over all simulated years together.

        Columns: consortium, list_size, budget (first year), expected_net (mean cash to the
        practice per year), net_sd, p05/p95 of the yearly practice amount, expected_freed_up,
        prob_loss_over_pounds (P(practice amount < −loss_pounds) in a year),
        prob_loss_over_fraction (P(practice amount < −loss_fraction × budget)). Means,
        standard deviations and probabilities are exact; streamed quantiles are within
        :meth:`quantile_bounds` of the exact ones. A streamed result counts losses over
        £10,000 and over 1%, 2%, 5% and 10% of budget, and those asked for with
        ``track_losses`` when simulating; other values need ``keep="full"`` (in memory or
        in a store, read through block by block). Computed once per result for each pair
        of arguments.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario.example(savings=None, conditions={})
        >>> m = scn.simulate(n=200, seed=2).metrics()
        >>> bool(m["prob_loss_over_pounds"].between(0, 1).all())
        True
        """
        check_fraction(loss_fraction, "loss_fraction")
        key = ("metrics", float(loss_pounds), float(loss_fraction))
        return self._cached(key, lambda: self._metrics(loss_pounds, loss_fraction)).copy()

    def _metrics(self, loss_pounds: float, loss_fraction: float) -> pd.DataFrame:
        t = self.tally
        count = t.count
        p05, p95, _, _ = self._cached(("quantiles",), self._quantiles)
        return pd.DataFrame({
            "consortium": self.consortium.to_numpy(),
            "list_size": self.list_size.to_numpy(),
            "budget": self.budget[0],
            "expected_net": t.net_sum / count / 100,
            "net_sd": np.sqrt(t.variance("net")) / 100,
            "p05_amount": p05,
            "p95_amount": p95,
            "expected_freed_up": t.freed_sum / count / 100,
            "prob_loss_over_pounds": self._loss_share("pounds", loss_pounds),
            "prob_loss_over_fraction": self._loss_share("fraction", loss_fraction),
        }, index=self.practices)

    def commissioner_risk(self, level: float = 0.95) -> pd.Series:
        """The commissioner's residual risk: what it keeps of the practices' variance.

        Negative values are losses. Returns the mean, the value at risk (the loss exceeded
        with probability ``1 − level``) and the tail value at risk (mean loss beyond it) of
        the commissioner's total over all years, in pounds.
        """
        check_fraction(level, "level", high_open=True)
        kept = self.commissioner_pence.sum(axis=1) / 100
        loss = -kept
        var = float(np.quantile(loss, level))
        tail = loss[loss >= var]
        return pd.Series({"mean_kept": kept.mean(), "var": var, "tvar": tail.mean(),
                          "prob_loss": (loss > 0).mean(), "level": level})

    def by_list_size(self, bands: tuple[float, ...] = (0, 3000, 6000, 10000, 20000, np.inf)
                     ) -> pd.DataFrame:
        """Spread of outcomes by list-size band: is the policy fair to small practices?

        Per band: practices, mean and standard deviation of the yearly practice amount
        per registered patient, and the mean probability of a loss over 2% of budget.
        """
        m = self._cached(("metrics", 10_000.0, 0.02), lambda: self._metrics(10_000.0, 0.02))
        band = pd.cut(m["list_size"], bands, right=False)
        if band.isna().any():
            raise ValidationError(f"bands: list sizes outside the bands for practice(s) "
                                  f"{_labels(m.index[band.isna()])}")
        sizes = self.list_size.to_numpy(dtype=float)
        per_head = self.tally.amount_sum / sizes / 100                  # Σ x / size, pounds
        squares = self.tally.second_moment() / sizes**2 / 100**2        # Σ (x / size)²
        rows = {}
        for label, members in m.groupby(band, observed=True).groups.items():
            idx = m.index.get_indexer(members)
            count = len(idx) * self.tally.count
            mean = per_head[idx].sum() / count
            rows[str(label)] = {
                "practices": len(idx),
                "mean_amount_per_head": mean,
                "sd_amount_per_head": float(np.sqrt(max(squares[idx].sum() / count - mean**2,
                                                        0.0))),
                "prob_loss_over_2pct": m["prob_loss_over_fraction"].iloc[idx].mean(),
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("list_size")

    def summary(self) -> pd.Series:
        """Headline figures for the whole commissioner (pounds per year unless stated)."""
        m = self._cached(("metrics", 10_000.0, 0.02), lambda: self._metrics(10_000.0, 0.02))
        risk_ = self.commissioner_risk()
        return pd.Series({
            "simulations": self.n,
            "years": self.years,
            "total_budget_year1": float(self.budget[0].sum()),
            "expected_practice_amount": float(int(self.tally.amount_sum.sum())
                                              / (self.n * self.years) / 100),
            "expected_net_to_practices": float(m["expected_net"].sum()),
            "expected_freed_up": float(m["expected_freed_up"].sum()),
            "practices_prob_loss_over_2pct": float(m["prob_loss_over_fraction"].mean()),
            "commissioner_mean_kept_all_years": float(risk_["mean_kept"]),
            "commissioner_var95_all_years": float(risk_["var"]),
            "commissioner_tvar95_all_years": float(risk_["tvar"]),
        }, name=self.scenario.name)

    def plot(self, kind: str = "list_size", ax: Any = None) -> Any:
        """A figure of the result (see :mod:`pbcmodel.plot.simulation`)."""
        from ..plot import simulation as simplot

        return simplot.plot_result(self, kind=kind, ax=ax)

    def __repr__(self) -> str:
        return (f"SimulationResult({self.scenario.name!r}: {self.n:,} simulations × "
                f"{len(self.practices)} practices × {self.years} year(s), seed={self.seed})")

    def _repr_html_(self) -> str:
        table = self.summary().to_frame("value")
        return summary_html(repr(self), table, ["pounds; commissioner figures over all years"])
