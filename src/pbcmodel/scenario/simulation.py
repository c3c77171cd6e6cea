"""Multi-year simulation of a scenario: outturns drawn from the risk engine, settled year by year.

Each simulated year draws every practice's outturn (its spend, capped per patient at the
high-cost threshold when there is one, times a common cost shock shared by all practices,
times cost growth), settles it with the scenario's rules in integer pence, and carries the
state forward: liabilities recovered from later budgets, budgets moving under pace of
change as the resource grows.

**Draw once, settle many.** The spend distributions are built once per run, and each chunk
of simulations is drawn once and settled under every policy that shares the drivers of
spend (:data:`DRIVERS_OF_SPEND`): :func:`~pbcmodel.scenario.variants.compare` and
:func:`~pbcmodel.scenario.variants.sweep` use :func:`run` for that.

**Streamed results.** By default (``keep="stats"``) a :class:`SimulationResult` holds, per
practice, exact integer sums, counts and a fine histogram of the yearly practice amount,
accumulated chunk by chunk, and per simulation-year the commissioner's totals: memory
does not grow with ``n × practices``. ``keep="full"`` also keeps every practice ×
simulation × year amount and net cash in integer pence (int32 where they fit, checked).

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
import hashlib
import math
import os
import pickle
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .. import risk
from .._validate import align_condition
from ..errors import ValidationError, require
from ..money import MAX_PENCE, allocate_pennies, gbp
from ..risk import SpendDraws, methods, patients
from ..settlement.core import Consortia, settle_arrays
from ..sharing import resolve_conditions
from . import memory, store
from . import tally as _streamed
from ._allocator import reuse_freed_memory
from ._progress import progress_bar
from .memory import check_simulation_memory
from .options import ENGINES, KEEP, SimulationOptions, check_counts
from .options import tracked_losses as tracked_losses
from .results import SimulationResult

__all__ = ["DRIVERS_OF_SPEND", "ENGINES", "KEEP", "METHODS", "SimulationResult",
           "draw_outturns", "run", "simulate"]

#: Ways of drawing outturns (the risk engine's method registry).
METHODS = methods.METHODS
#: Losses (pounds, and fractions of budget) whose years a streamed result always counts;
#: ask for others with ``track_losses``.
LOSS_POUNDS = _streamed.LOSS_POUNDS
LOSS_FRACTIONS = _streamed.LOSS_FRACTIONS
#: Scenario fields that change the simulated outturns (everything else is policy).
DRIVERS_OF_SPEND = ("population", "cost_model", "high_cost_threshold", "common_shock_cv",
                    "cost_growth")
#: Practice-simulations settled at once by default (the work arrays stay in cache), and
#: drawn at once (for every year) before they are settled in chunks: defined with the
#: memory estimate (:mod:`pbcmodel.scenario.memory`) that depends on them.
CHUNK_ELEMENTS = memory.CHUNK_ELEMENTS
DRAW_ELEMENTS = memory.DRAW_ELEMENTS


#: Kept for the modules that import it until they take :func:`.options.check_counts`.
_check_counts = check_counts


def _check_options(method: Any, keep: Any, engine: Any, client: Any, workers: Any) -> None:
    """Kept for the modules that import it until they make a :class:`SimulationOptions`."""
    SimulationOptions(method=method, keep=keep, engine=engine, client=client, workers=workers)


def _check_cost_model(scn: Any, label: str = "cost_model") -> None:
    if scn.cost_model is None:
        raise ValidationError(f"{label}: the scenario has none (no cost_model to simulate); add "
                              "cost_model=... (e.g. pbc.datasets.example_cost_model())")


def _amount(log_pounds: float) -> str:
    """An amount of pounds given by its natural logarithm, in words a reader can take in."""
    if log_pounds < math.log(1e21):
        return f"£{math.exp(log_pounds):,.0f}"
    return f"about £{math.exp(log_pounds):.3g}" if log_pounds < 709 else \
        f"about £10^{log_pounds / math.log(10):,.0f}"


def _rate(rate: float) -> str:
    return f"{rate:,.0f}" if rate == int(rate) and abs(rate) < 1e18 else f"{rate:,.6g}"


def _check_amounts(scn: Any, years: int, budget: np.ndarray | None = None) -> None:
    """Refuse, before any work, a scenario whose money would not settle exactly in pence.

    Every practice-year's budget (grown by ``resource_growth``) and expected outturn (grown
    by ``cost_growth``), and the per-patient ``high_cost_threshold``, must stay within
    :data:`pbcmodel.money.MAX_PENCE` (int64 pence with headroom for sums over simulations).
    Growth is compounded in logarithms, so no float overflows on the way. ``budget``: the
    first year's budget totals (pounds), if already made.
    """
    limit = MAX_PENCE / 100
    largest = f"the largest amount pbcmodel can settle exactly, {gbp(MAX_PENCE)} a practice-year"
    d = scn.high_cost_threshold
    if d is not None and d > limit:
        raise ValidationError(
            f"high_cost_threshold: £{d:,.6g} a patient exceeds {largest}; give a threshold "
            "below it, or none (high_cost_threshold=None) for no high-cost pool")
    mean, _ = scn.cost_model.patient_moments()
    spend = scn.population.counts.to_numpy() @ mean * scn.population.cost_factor()
    if budget is None:
        budget = scn.budgets()["total"].to_numpy()
    codes = scn.population.codes
    for name, base, what in (("cost_growth", spend, "expected outturns"),
                             ("resource_growth", budget, "budgets")):
        rate = getattr(scn, name)
        worst = int(np.argmax(base))
        if base[worst] <= 0:
            continue
        room = math.log(limit) - math.log(base[worst])      # log of the growth that fits
        if room >= 0 and (rate <= 0 or (years - 1) * math.log1p(rate) <= room):
            continue
        if room < 0:         # too big before any growth: the money itself, not growth
            culprit, advice = (("cost_model", "check that the cost model's means are in pounds "
                                "a patient") if name == "cost_growth" else
                               ("resource", "check that the resource is in pounds"))
            raise ValidationError(
                f"{culprit}: the {what[:-1]} of practice {codes[worst]!r} is "
                f"{_amount(math.log(base[worst]))}, which exceeds {largest}; {advice}")
        year = math.floor(room / math.log1p(rate)) + 1      # the first year that is too big
        log_amount = math.log(base[worst]) + year * math.log1p(rate)
        raise ValidationError(
            f"{name}: {what} grown by {name} {_rate(rate)} a year reach "
            f"{_amount(log_amount)} in year {year + 1:,} (practice {codes[worst]!r}), which "
            f"exceeds {largest}; use a smaller {name} or at most {year:,} year(s)")


def drivers(scn: Any) -> tuple[Any, ...]:
    """What a scenario's simulated outturns depend on (:data:`DRIVERS_OF_SPEND`)."""
    return tuple(getattr(scn, name) for name in DRIVERS_OF_SPEND)


def _year_budgets(scn: Any, years: int) -> np.ndarray:
    """Budget totals (pounds) per year × practice; budgets do not depend on outturn."""
    out = np.empty((years, scn.population.n_practices))
    historic = scn.historic
    for y in range(years):
        resource = scn.resource * (1 + scn.resource_growth) ** y
        total = scn.formula.budgets(scn.population, resource, historic)["total"]
        out[y] = total.to_numpy()
        historic = total
    return out


def _same_budgets(a: Any, b: Any) -> bool:
    """Whether two scenarios' budgets are the same in every year: the same formula and
    population, resource and its growth, and historic budgets."""
    return (a.formula is b.formula and a.population is b.population
            and a.resource == b.resource and a.resource_growth == b.resource_growth
            and (a.historic is None) == (b.historic is None)
            and (a.historic is None or a.historic.equals(b.historic)))


def _once_per_budgets(scenarios: Sequence[Any], make: Callable[[Any], Any]) -> list[Any]:
    """``make(scn)`` for each scenario, made once for scenarios whose budgets are the same
    (the variants of a sweep over policy share them)."""
    made: list[tuple[Any, Any]] = []
    out = []
    for scn in scenarios:
        value = next((v for other, v in made if _same_budgets(other, scn)), None)
        if value is None:
            value = make(scn)
            made.append((scn, value))
        out.append(value)
    return out


def _sampler(scn: Any, method: Any) -> risk.SpendSampler:
    return risk.spend_sampler(scn.population, scn.cost_model,
                              high_cost_threshold=scn.high_cost_threshold,
                              common_shock_cv=scn.common_shock_cv, method=method,
                              excess_by="commissioner")


def draw_outturns(scn: Any, n: int, years: int, seed: Any, *,
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
    _check_cost_model(scn)
    methods.method(method)
    n, years = _check_counts(n, years)
    if chunk_size is not None:
        _check_counts(chunk_size, 1, name="chunk_size")
    root = patients.seed_sequence(seed)
    sampler = _sampler(scn, method)
    step = chunk_size or _default_chunk(scn.population.n_practices)
    return (_grown(sampler, root, y, n, step, (1 + scn.cost_growth) ** y)
            for y in range(years))


def _grown(sampler: risk.SpendSampler, root: np.random.SeedSequence, year: int, n: int,
           step: int, factor: float) -> Iterator[SpendDraws]:
    for lo, hi in patients.chunks(n, step):
        draws = sampler.draw(root, year, lo, hi)
        np.multiply(draws.retained, factor, out=draws.retained)
        np.multiply(draws.excess, factor, out=draws.excess)
        yield draws


def _default_chunk(practices: int) -> int:
    return max(1, CHUNK_ELEMENTS // practices)


# ----------------------------------------------------------------------------- the engine
@attrs.frozen(eq=False)
class _Policy:
    """What settles one scenario's outturns: its rules, budgets and histogram grid."""

    savings: Any
    overspend: Any
    incentives: Any
    conditions: dict[str, Any]
    budget_pence: np.ndarray               # (years, P)
    low: np.ndarray
    width: np.ndarray
    keep: _streamed.Keep                   # what its tallies keep beyond the statistics


@attrs.frozen(eq=False)
class _Plan:
    """Everything a worker needs to simulate a range of simulations for a group of policies
    that share the drivers of spend (sent to each dask worker once)."""

    sampler: risk.SpendSampler
    root: np.random.SeedSequence
    years: int
    growth: np.ndarray
    consortium_codes: Consortia
    list_size: np.ndarray
    policies: tuple[_Policy, ...]
    chunk: int


def _policy(scn: Any, budget_pence: np.ndarray, mean: np.ndarray, var: np.ndarray,
            growth: np.ndarray, keep: _streamed.Keep) -> _Policy:
    low, width = _streamed.histogram_grid(budget_pence, mean, var, growth, scn.common_shock_cv)
    index = scn.population.codes
    conditions = {key: align_condition(value, index, key) if isinstance(value, pd.Series)
                  else value for key, value in scn.conditions.items()}
    return _Policy(savings=scn.savings, overspend=scn.overspend, incentives=scn.incentives,
                   conditions=conditions, budget_pence=budget_pence, low=low, width=width,
                   keep=keep)


def _plan(group: Sequence[Any], years: int, root: np.random.SeedSequence, method: str,
          chunk_size: int | None, keeps: Sequence[_streamed.Keep]) -> _Plan:
    first = group[0]
    pop = first.population
    sampler = _sampler(first, method)
    mean, var = sampler.moments()
    growth = (1 + first.cost_growth) ** np.arange(years)
    # each year adds up to the penny, as settle's
    budgets = _once_per_budgets(group, lambda scn: allocate_pennies(_year_budgets(scn, years),
                                                                    name="budgets"))
    return _Plan(sampler=sampler, root=root, years=years, growth=growth,
                 consortium_codes=Consortia.from_codes(
                     pd.factorize(pop.hierarchy["consortium"])[0]),
                 list_size=pop.list_size.to_numpy(),
                 policies=tuple(_policy(s, b, mean, var, growth, k)
                                for s, b, k in zip(group, budgets, keeps, strict=True)),
                 chunk=chunk_size or _default_chunk(pop.n_practices))


def _run_range(plan: _Plan, lo: int, hi: int,
               progress: Callable[[int], None] | None = None,
               shared: Sequence[tuple[np.ndarray, np.ndarray] | None] | None = None
               ) -> list[_streamed.Tally]:
    """Simulate ``[lo, hi)`` for every policy of ``plan``: draw each chunk once, settle many.

    ``shared``: per policy, the run's full arrays (simulation × practice × year, int32) to
    write rows ``lo:hi`` into, or None. Freed work arrays are reused even in a process told
    to trim memory eagerly (dask's workers, see :mod:`pbcmodel.scenario._allocator`).
    """
    into = shared if shared is not None else [None] * len(plan.policies)
    tallies = [_streamed.Tally.empty(lo, hi, plan.years, p.budget_pence, p.low, p.width,
                                     p.keep, None if full is None else
                                     (full[0][lo:hi], full[1][lo:hi]))
               for p, full in zip(plan.policies, into, strict=True)]
    practices = len(plan.list_size)
    drawn_at_once = max(plan.chunk, min(patients.BLOCK, DRAW_ELEMENTS // practices))
    streams = patients.Streams(plan.root)     # block streams continue from chunk to chunk
    with reuse_freed_memory():
        for start, stop in patients.chunks(hi - lo, drawn_at_once):
            # every year of these simulations, drawn once in whole pence (each practice's
            # tables read once)
            years = plan.sampler.pence_years(streams, list(range(plan.years)), lo + start,
                                             lo + stop, [float(g) for g in plan.growth])
            outturns = [retained for retained, _ in years]
            pools = [excess.sum(axis=1) for _, excess in years]
            for first, last in patients.chunks(stop - start, plan.chunk):
                _settle_chunk(plan, tallies, lo + start + first,
                              [o[first:last] for o in outturns],
                              [p[first:last] for p in pools])
                if progress is not None:
                    progress((last - first) * plan.years * len(plan.policies))
    return [t.finished() for t in tallies]


def _settle_chunk(plan: _Plan, tallies: list[_streamed.Tally], first: int,
                  outturns: list[np.ndarray], pools: list[np.ndarray]) -> None:
    """Settle consecutive simulations from ``first`` through every year, under every policy."""
    for policy, tally in zip(plan.policies, tallies, strict=True):
        carry = None
        for y, (outturn_pence, pool) in enumerate(zip(outturns, pools, strict=True)):
            budget = policy.budget_pence[y]
            conds = resolve_conditions(policy.conditions, budget, outturn_pence)
            arrays = settle_arrays(
                budget, outturn_pence, savings=policy.savings, overspend=policy.overspend,
                incentives=policy.incentives, consortium_codes=plan.consortium_codes,
                list_size=plan.list_size, conditions=conds or None, carry_forward_pence=carry)
            carried = arrays.recovery_next.sum(axis=(1, 2))  # instalments are never negative
            tally.add(y, first, arrays.practice_amount, arrays.net_to_practice,
                      arrays.commissioner_amount.sum(axis=1), carried, pool)
            carry = arrays.recovery_next if carried.any() else None


def _ranges(n: int, parts: int) -> list[tuple[int, int]]:
    """Split ``range(n)`` into at most ``parts`` ranges of whole blocks of simulations."""
    blocks = -(-n // patients.BLOCK)
    per = -(-blocks // max(1, min(parts, blocks)))
    return [(lo * patients.BLOCK, min(n, (lo + per) * patients.BLOCK))
            for lo in range(0, blocks, per)]


def _merge(parts: list[list[_streamed.Tally]]) -> list[_streamed.Tally]:
    """Tallies of consecutive ranges (in order), merged policy by policy."""
    merged = parts[0]
    for part in parts[1:]:
        merged = [a.merge(b) for a, b in zip(merged, part, strict=True)]
    return merged


def _run_local(plans: list[_Plan], n: int, workers: int, bar: Any
               ) -> list[list[_streamed.Tally]]:
    lock = threading.Lock()

    def advance(k: int) -> None:
        with lock:
            bar.update(k)

    ranges = _ranges(n, workers)
    # full arrays kept in memory: one pair per policy, each range writing its own rows
    shared = [[(np.zeros((n, len(plan.list_size), plan.years), dtype=np.int32),
                np.zeros((n, len(plan.list_size), plan.years), dtype=np.int32))
               if policy.keep.full and policy.keep.sink is None else None
               for policy in plan.policies] for plan in plans]
    if workers == 1 or len(ranges) * len(plans) == 1:
        return [_merge([_run_range(plan, lo, hi, advance, into) for lo, hi in ranges])
                for plan, into in zip(plans, shared, strict=True)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [[pool.submit(_run_range, plan, lo, hi, advance, into) for lo, hi in ranges]
                   for plan, into in zip(plans, shared, strict=True)]
        return [_merge([f.result() for f in row]) for row in futures]


def _fingerprint(plan: _Plan, digest: bool = True) -> tuple[str, list[np.ndarray]]:
    """A digest of everything in ``plan`` (its arrays hashed in place, not copied; empty
    without ``digest``), and its policies' budgets in pence."""
    budgets = [policy.budget_pence for policy in plan.policies]
    if not digest:
        return "", budgets
    hashed = hashlib.blake2b(digest_size=16)
    body = pickle.dumps(plan, protocol=5,
                        buffer_callback=lambda buffer: hashed.update(buffer.raw()))
    hashed.update(body)
    return hashed.hexdigest(), budgets


def _machine(address: str) -> str:
    """The machine of a dask worker's address (``"tcp://10.0.0.5:40331"`` → ``"10.0.0.5"``).

    Examples
    --------
    >>> _machine("tcp://10.0.0.5:40331"), _machine("inproc://10.0.0.5/812/3")
    ('10.0.0.5', '10.0.0.5')
    """
    return urllib.parse.urlsplit(address).hostname or address


def _run_dask(client: Any, groups: list[tuple[Any, ...]], n: int
              ) -> tuple[list[list[_streamed.Tally]], list[list[np.ndarray]]]:
    """Simulate each group's plan on a dask cluster: the tallies and budgets of each group.

    Each machine's first worker builds every group's plan, all machines at once, using the
    machine's cores; the other workers of a machine fetch it from there (nothing as large as
    the distributions leaves the machine that built it). Then each worker thread simulates
    one range of consecutive blocks. With more than one machine the builds' digests are
    compared while the ranges run: where a machine's build differs from the first one's
    (another numpy or scipy build, another CPU), the ranges are run again with the first
    machine's plan, sent once to each worker, so a result never depends on the split.
    """
    client.wait_for_workers(1)          # an adaptive cluster may start with none
    info = client.scheduler_info().get("workers", {})
    slots = [address for address in sorted(info)
             for _ in range(max(1, int(info[address].get("nthreads", 1))))]
    ranges = _ranges(n, len(slots))
    hosts = sorted(set(slots[:len(ranges)]), key=slots.index)
    builders: dict[str, str] = {}
    for host in hosts:
        builders.setdefault(_machine(host), host)

    def on(address: str, function: Callable[..., Any], *args: Any) -> Any:
        # where it should run; elsewhere if that worker is lost (same plan, same result)
        return client.submit(function, *args, workers=[address], allow_other_workers=True,
                             pure=False)

    def simulate(plans: dict[str, Any]) -> list[Any]:
        return [on(slots[i], _run_range, plans[_machine(slots[i])], lo, hi)
                for i, (lo, hi) in enumerate(ranges)]

    built = [{machine: on(builder, _plan, *group) for machine, builder in builders.items()}
             for group in groups]
    compare = len(builders) > 1
    marks = [[on(builders[machine], _fingerprint, plan, compare)
              for machine, plan in plans.items()] for plans in built]
    futures = [simulate(plans) for plans in built]
    digests = client.gather(marks)
    for k, (plans, mark) in enumerate(zip(built, digests, strict=True)):
        if any(digest != mark[0][0] for digest, _ in mark):
            futures[k] = simulate(dict.fromkeys(plans, next(iter(plans.values()))))
    return ([_merge_as_they_come(row) for row in futures], [mark[0][1] for mark in digests])


def _merge_as_they_come(futures: list[Any]) -> list[_streamed.Tally]:
    """The tallies of consecutive ranges, fetched in order and merged one at a time (two
    ranges' tallies in memory at once, however many workers)."""
    merged = futures[0].result()
    futures[0].release()
    for future in futures[1:]:
        merged = _merge([merged, future.result()])
        future.release()
    return merged


def run(scenarios: Sequence[Any], n: int, years: int, seed: Any, *, method: str = "fft",
        chunk_size: int | None = None, keep: str = "stats", engine: str = "local",
        client: Any = None, workers: int | None = None, progress: bool = False,
        track_losses: Mapping[str, Any] | None = None,
        stores: Sequence[Any] | None = None) -> list[SimulationResult]:
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
    n, years, chunk_size, workers = options.n, options.years, options.chunk_size, options.workers
    loss_pounds, loss_fractions = options.loss_pounds, options.loss_fractions
    targets = options.targets(len(scenarios))
    for scn in scenarios:
        _check_cost_model(scn)
    first_years = _once_per_budgets(scenarios, lambda scn: scn.budgets()["total"].to_numpy())
    for scn, budget in zip(scenarios, first_years, strict=True):
        _check_amounts(scn, years, budget)
    root = options.root
    spend: list[tuple[Any, ...]] = []
    for scn in scenarios:
        if not any(drivers(scn) == d for d in spend):
            spend.append(drivers(scn))
    # a user's cluster works in its own memory: here only the results, two tallies at a time
    here = 2 if client is not None else workers or os.cpu_count() or 1
    check_simulation_memory(
        n, max(scn.population.n_practices for scn in scenarios), years, what="n", keep=keep,
        on_disk=sum(t is not None for t in targets), scenarios=len(scenarios), workers=here,
        method=method, groups=len(spend), engine="client" if client is not None else engine)
    with contextlib.ExitStack() as stack:
        folders = [None if t is None else stack.enter_context(store.staged(t))
                   for t in targets]
        sinks = [None if f is None else store.create(
            f, n, scn.population.codes, scn.population.hierarchy["consortium"],
            scn.population.list_size, years) for f, scn in zip(folders, scenarios, strict=True)]
        keeps = [_streamed.Keep(full=keep == "full", loss_pounds=loss_pounds,
                                loss_fractions=loss_fractions, sink=sink) for sink in sinks]
        results = _run(scenarios, n, years, root, seed, method, chunk_size, keeps, engine,
                       client, workers, progress)
        for folder, result in zip(folders, results, strict=True):
            if folder is not None:
                store.write_budget(folder, np.rint(result.budget * 100).astype(np.int64))
    return [r if t is None else attrs.evolve(r, store=t)
            for r, t in zip(results, targets, strict=True)]


def _run(scenarios: Sequence[Any], n: int, years: int, root: np.random.SeedSequence,
         seed: Any, method: str, chunk_size: int | None, keeps: list[_streamed.Keep],
         engine: str, client: Any, workers: int | None, progress: bool
         ) -> list[SimulationResult]:
    """The body of :func:`run`, its arguments checked."""
    groups: list[list[int]] = []
    for i, scn in enumerate(scenarios):
        for group in groups:
            if drivers(scenarios[group[0]]) == drivers(scn):
                group.append(i)
                break
        else:
            groups.append([i])
    specs = [([scenarios[i] for i in group], years, root, method, chunk_size,
              [keeps[i] for i in group]) for group in groups]
    if engine == "local":
        plans = [_plan(*spec) for spec in specs]
        budgets = [[policy.budget_pence for policy in plan.policies] for plan in plans]
        bar = progress_bar(progress, total=years * n * len(scenarios), desc="simulating",
                           unit="simulation-year")
        try:
            tallies = _run_local(plans, n, workers or os.cpu_count() or 1, bar)
        finally:
            bar.close()
    elif client is not None:
        tallies, budgets = _run_dask(client, specs, n)
    else:
        distributed = require("distributed", "distributed", "engine='dask'")
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as own:
            tallies, budgets = _run_dask(own, specs, n)
    results: list[SimulationResult | None] = [None] * len(scenarios)
    for group, group_budgets, group_tallies in zip(groups, budgets, tallies, strict=True):
        for i, budget, tally in zip(group, group_budgets, group_tallies, strict=True):
            scn = scenarios[i]
            results[i] = SimulationResult(
                scenario=scn, seed=seed, method=method, practices=scn.population.codes,
                consortium=scn.population.hierarchy["consortium"],
                list_size=scn.population.list_size, budget=budget / 100, tally=tally)
    return [r for r in results if r is not None]


def simulate(scn: Any, n: int = 10_000, years: int = 1, seed: Any = 0, *,
             method: str = "fft", chunk_size: int | None = None, keep: str = "stats",
             engine: str = "local", client: Any = None, workers: int | None = None,
             progress: bool = False, track_losses: Mapping[str, Any] | None = None,
             store: Any = None) -> SimulationResult:
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
    return run([scn], n, years, seed, method=method, chunk_size=chunk_size, keep=keep,
               engine=engine, client=client, workers=workers, progress=progress,
               track_losses=track_losses, stores=None if store is None else [store])[0]
