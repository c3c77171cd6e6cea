"""The simulation loop: draw each chunk of simulations once, settle it under every policy,
add it to the tallies; on the threads of this process.

One simulated year of one chunk is three calls into the topic modules:

1. **draw** — :meth:`SpendSampler.pence_years <pbcmodel.risk.SpendSampler.pence_years>`
   draws every year of a batch of simulations at once, in whole pence (common shock and
   cost growth included);
2. **settle** — :func:`~pbcmodel.settlement.settle_kernel.settle_year` settles the chunk's
   year under one policy, carrying liabilities to the next year (in one compiled loop with
   the kernel numba, else by :func:`~pbcmodel.settlement.core.settle_arrays`);
3. **tally** — :meth:`Tally.add <pbcmodel.scenario.tally.Tally.add>` adds it to that
   policy's streamed statistics.

:func:`simulate_range` runs a range of simulations from a
:class:`~pbcmodel.scenario.plan.SimulationPlan` (in a thread here, or as a dask task,
:mod:`pbcmodel.scenario.cluster`); :func:`run_threads` splits the simulations into ranges
of whole blocks, one per thread, and merges their tallies in order (with a progress bar when
asked, :func:`progress_bar`). Draws come from streams keyed by year and block, and the
tallies' sums are exact integers, so the result does not depend on the split.

Examples
--------
>>> import pbcmodel as pbc
>>> from pbcmodel.scenario.options import SimulationOptions
>>> from pbcmodel.scenario.plan import build_plan
>>> options = SimulationOptions(n=300, years=2, seed=1)
>>> plan = build_plan([pbc.Scenario.example()], [options.tally_keep()], options)
>>> [tally] = simulate_range(plan, 0, 300)
>>> [whole] = run_threads([plan], options)[0]
>>> bool((tally.amount_sum == whole.amount_sum).all()), whole.count
(True, 600)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..errors import require
from ..malloc import reuse_freed_memory
from ..risk import patients
from ..risk.kernel import kernel_for, use_kernel
from ..settlement.settle_kernel import settle_year
from ..sharing import resolve_conditions
from .memory import DRAW_ELEMENTS
from .options import SimulationOptions
from .plan import SimulationPlan
from .tally import FULL_DTYPES, Tally

__all__ = ["merge", "progress_bar", "ranges", "run_threads", "settle_chunk",
           "simulate_range"]

#: Full arrays kept in memory for one policy: amount, net cash and outturn, simulation ×
#: practice × year, pence (:data:`~.tally.FULL_DTYPES`; one set shared by every range, each
#: writing its own rows).
Full = tuple[np.ndarray, ...]


def simulate_range(plan: SimulationPlan, lo: int, hi: int,
                   progress: Callable[[int], None] | None = None,
                   shared: Sequence[Full | None] | None = None) -> list[Tally]:
    """Simulate ``[lo, hi)`` for every policy of ``plan``: draw each chunk once, settle many.

    ``shared``: per policy, the run's full arrays (simulation × practice × year) to
    write rows ``lo:hi`` into, or None. Freed work arrays are reused even in a process told
    to trim memory eagerly (dask's workers, see :mod:`pbcmodel.malloc`).
    """
    into = shared if shared is not None else [None] * len(plan.policies)
    tallies = [Tally.empty(lo, hi, plan.years, p.budget_pence, p.low, p.width, p.keep,
                           None if full is None else [a[lo:hi] for a in full])
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
            # a footprint's outturn is its practices' spend added up (holders, exact pence)
            outturns = [plan.holders.gather(retained) for retained, _ in years]
            pools = [excess.sum(axis=1) for _, excess in years]
            for first, last in patients.chunks(stop - start, plan.chunk):
                settle_chunk(plan, tallies, lo + start + first,
                             [o[first:last] for o in outturns],
                             [p[first:last] for p in pools])
                if progress is not None:
                    progress((last - first) * plan.years * len(plan.policies))
    return [t.finished() for t in tallies]


def settle_chunk(plan: SimulationPlan, tallies: list[Tally], first: int,
                 outturns: list[np.ndarray], pools: list[np.ndarray]) -> None:
    """Settle consecutive simulations from ``first`` through every year, under every policy,
    into its tally (``outturns``: per year, practice outturns in pence, simulation ×
    practice; ``pools``: per year, the high-cost pool's cost per simulation). A policy with
    learning budgets settles each year against budgets made, simulation by simulation,
    from the earlier years' outturns (:mod:`~pbcmodel.scenario.learning`)."""
    for policy, tally in zip(plan.policies, tallies, strict=True):
        carry = None
        for y, (outturn_pence, pool) in enumerate(zip(outturns, pools, strict=True)):
            budget = (policy.budget_pence[y] if policy.learning is None else
                      policy.learning.budgets(y, outturns[:y], policy.budget_pence[y]))
            conds = resolve_conditions(policy.conditions, budget, outturn_pence)
            settled = settle_year(
                budget, outturn_pence, savings=policy.savings, overspend=policy.overspend,
                incentives=policy.incentives, consortium_codes=plan.consortium_codes,
                list_size=plan.list_size, conditions=conds or None, carry_forward_pence=carry,
                withhold=policy.withhold)
            tally.add(y, first, settled.practice_amount, settled.net_to_practice,
                      settled.commissioner, settled.carried, pool,
                      outturn=outturn_pence, budget=budget if budget.ndim == 2 else None)
            # instalments are never negative: none carried means nothing to bring forward
            carry = settled.recovery_next if settled.carried.any() else None


def ranges(n: int, parts: int) -> list[tuple[int, int]]:
    """Split ``range(n)`` into at most ``parts`` ranges of whole blocks of simulations.

    Examples
    --------
    >>> ranges(5_000, 2)          # blocks of 1,024 simulations: three and two
    [(0, 3072), (3072, 5000)]
    """
    blocks = -(-n // patients.BLOCK)
    per = -(-blocks // max(1, min(parts, blocks)))
    return [(lo * patients.BLOCK, min(n, (lo + per) * patients.BLOCK))
            for lo in range(0, blocks, per)]


def merge(parts: list[list[Tally]]) -> list[Tally]:
    """Tallies of consecutive ranges (in order), merged policy by policy."""
    merged = parts[0]
    for part in parts[1:]:
        merged = [a.merge(b) for a, b in zip(merged, part, strict=True)]
    return merged


class _NoBar:
    def update(self, k: int) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


def progress_bar(show: bool, *, total: int, desc: str, unit: str) -> Any:
    """A tqdm bar when ``show`` (needs ``pbcmodel[progress]``); otherwise an object whose
    ``update`` and ``close`` do nothing.

    Examples
    --------
    >>> bar = progress_bar(False, total=3, desc="x", unit="y")
    >>> bar.update(1); bar.close()
    """
    if not show:
        return _NoBar()
    tqdm = require("tqdm.auto", "progress", "progress bars").tqdm
    return tqdm(total=total, desc=desc, unit=unit)


def run_threads(plans: list[SimulationPlan], options: SimulationOptions) -> list[list[Tally]]:
    """Every plan's tallies, simulated on ``options.threads`` threads of this process (one
    range of whole blocks each), with a progress bar when ``options.progress``."""
    n, workers = options.n, options.threads
    bar = progress_bar(options.progress, total=options.years * n * sum(
        len(plan.policies) for plan in plans), desc="simulating", unit="simulation-year")
    lock = threading.Lock()

    def advance(k: int) -> None:
        with lock:
            bar.update(k)

    spans = ranges(n, workers)
    # numba for a large simulation (or as the user chose): a small one would wait longer for
    # a first compilation than numba saves it. Every policy is settled and tallied: a
    # design's generation of candidates is as much work as that many simulations
    kernel = kernel_for(n * options.years * sum(len(plan.list_size) * len(plan.policies)
                                                for plan in plans))
    # full arrays kept in memory: one set per policy, each range writing its own rows
    shared = [[tuple(np.zeros((n, len(plan.list_size), plan.years), dtype=dtype)
                     for dtype in FULL_DTYPES)
               if policy.keep.full and policy.keep.sink is None else None
               for policy in plan.policies] for plan in plans]
    try:
        with use_kernel(kernel):
            if workers == 1 or len(spans) * len(plans) == 1:
                return [merge([simulate_range(plan, lo, hi, advance, into)
                               for lo, hi in spans])
                        for plan, into in zip(plans, shared, strict=True)]
            with ThreadPoolExecutor(max_workers=workers) as pool:
                futures = [[pool.submit(simulate_range, plan, lo, hi, advance, into)
                            for lo, hi in spans]
                           for plan, into in zip(plans, shared, strict=True)]
                return [merge([f.result() for f in row]) for row in futures]
    finally:
        bar.close()
