"""The simulation on a dask cluster: each machine builds the plans once, every worker thread
simulates a range of blocks with them.

``engine="dask"`` runs on ``options.client`` (a user's cluster) or on a ``LocalCluster`` of
``options.workers`` processes started for the run (needs ``pbcmodel[distributed]``). Each
machine's first worker builds every group's :class:`~pbcmodel.scenario.plan.SimulationPlan`
(all machines at once, using each machine's cores); the other workers of a machine fetch it
from there, so nothing as large as the distributions leaves the machine that built it. Each
worker thread then runs :func:`~pbcmodel.scenario.loop.simulate_range` on one range of
consecutive blocks, and the ranges' tallies are fetched in order and merged one at a time.
With more than one machine the builds' digests are compared while the ranges run: where a
machine's build differs from the first one's (another numpy or scipy build, another CPU),
the ranges are run again with the first machine's plan, so a result never depends on the
split.
"""

from __future__ import annotations

import hashlib
import pickle
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import require
from .loop import merge, ranges, simulate_range
from .options import SimulationOptions
from .plan import SimulatedScenario, SimulationPlan, build_plan
from .tally import Keep, Tally

__all__ = ["run_dask"]

#: Scenarios that share the drivers of spend, and what each one's tallies keep.
Group = tuple[Sequence[SimulatedScenario], Sequence[Keep]]
#: Per group, each policy's tallies and its budgets (year × practice, pence).
Outcome = tuple[list[list[Tally]], list[list[np.ndarray]]]


def run_dask(groups: Sequence[Group], options: SimulationOptions) -> Outcome:
    """Simulate every group on ``options.client``, or on a ``LocalCluster`` started for the
    run and closed after it."""
    if options.client is not None:
        return _on_cluster(options.client, groups, options)
    distributed = require("distributed", "distributed", "engine='dask'")
    with distributed.LocalCluster(n_workers=options.workers, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as own:
        return _on_cluster(own, groups, options)


def _fingerprint(plan: SimulationPlan, digest: bool = True) -> tuple[str, list[np.ndarray]]:
    """A digest of everything in ``plan`` (its arrays hashed in place, not copied; empty
    without ``digest``), and its policies' budgets in pence."""
    if not digest:
        return "", plan.budgets
    hashed = hashlib.blake2b(digest_size=16)
    body = pickle.dumps(plan, protocol=5,
                        buffer_callback=lambda buffer: hashed.update(buffer.raw()))
    hashed.update(body)
    return hashed.hexdigest(), plan.budgets


def _machine(address: str) -> str:
    """The machine of a dask worker's address (``"tcp://10.0.0.5:40331"`` → ``"10.0.0.5"``).

    Examples
    --------
    >>> _machine("tcp://10.0.0.5:40331"), _machine("inproc://10.0.0.5/812/3")
    ('10.0.0.5', '10.0.0.5')
    """
    return urllib.parse.urlsplit(address).hostname or address


# a distributed.Client: an optional extra's type, not importable here
def _on_cluster(client: Any, groups: Sequence[Group], options: SimulationOptions) -> Outcome:
    """Each group's tallies and budgets, simulated on ``client``'s workers (see the module)."""
    client.wait_for_workers(1)          # an adaptive cluster may start with none
    info = client.scheduler_info().get("workers", {})
    slots = [address for address in sorted(info)
             for _ in range(max(1, int(info[address].get("nthreads", 1))))]
    spans = ranges(options.n, len(slots))
    hosts = sorted(set(slots[:len(spans)]), key=slots.index)
    builders: dict[str, str] = {}
    for host in hosts:
        builders.setdefault(_machine(host), host)

    def on(address: str, function: Callable[..., Any], *args: Any) -> Any:
        # where it should run; elsewhere if that worker is lost (same plan, same result)
        return client.submit(function, *args, workers=[address], allow_other_workers=True,
                             pure=False)

    def simulate(plans: dict[str, Any]) -> list[Any]:
        return [on(slots[i], simulate_range, plans[_machine(slots[i])], lo, hi)
                for i, (lo, hi) in enumerate(spans)]

    built = [{machine: on(builder, build_plan, group, keeps, options)
              for machine, builder in builders.items()} for group, keeps in groups]
    compare = len(builders) > 1
    marks = [[on(builders[machine], _fingerprint, plan, compare)
              for machine, plan in plans.items()] for plans in built]
    futures = [simulate(plans) for plans in built]
    digests = client.gather(marks)
    for k, (plans, mark) in enumerate(zip(built, digests, strict=True)):
        if any(digest != mark[0][0] for digest, _ in mark):
            futures[k] = simulate(dict.fromkeys(plans, next(iter(plans.values()))))
    return ([_merge_as_they_come(row) for row in futures], [mark[0][1] for mark in digests])


def _merge_as_they_come(futures: list[Any]) -> list[Tally]:
    """The tallies of consecutive ranges, fetched in order and merged one at a time (two
    ranges' tallies in memory at once, however many workers)."""
    merged = futures[0].result()
    futures[0].release()
    for future in futures[1:]:
        merged = merge([merged, future.result()])
        future.release()
    return merged
