"""Candidates of a design simulated on common random numbers, and measured.

Every candidate is simulated with the same ``seed``; candidates that share the drivers of
spend are settled on one set of draws (:func:`~pbcmodel.scenario.simulation.run`), with
streamed results that count exactly the losses the metrics name (``..._over_Xpct``, through
``track_losses``). Each distinct candidate is simulated once and its metrics
(:mod:`pbcmodel.scenario.metrics`) kept. Between candidates, a feasible one beats an
infeasible one, and between infeasible ones the smaller total violation wins.

Examples
--------
>>> from pbcmodel.design.space import Constraint
>>> values = np.array([[1.0, 0.2], [0.5, 0.9]])   # (candidates, [objective, constrained])
>>> best, feasible, _ = choose_candidate(values, 0, [Constraint("risk", "max", 0.5)], [1], 1.0)
>>> best, feasible.tolist()                       # the second scores better but breaks it
(0, [True, False])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..scenario import simulation
from ..scenario.loop import progress_bar
from ..scenario.metrics import Metric, measure
from ..scenario.options import SimulationOptions, auto_progress
from ..scenario.results import SimulationResult
from ..scenario.scenario import Scenario
from .space import Constraint, Parameter, make_variant

__all__ = ["DesignWarning"]


class DesignWarning(UserWarning):
    """A design that met its aims only in part (infeasible, or worse on fresh draws)."""


def seed_int(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(2, np.uint64)[0])


@attrs.define
class Evaluator:
    """Simulates candidates on common random numbers; one simulation per distinct candidate."""

    scenario: Scenario
    params: list[Parameter]
    metrics: list[Metric]
    options: SimulationOptions
    cache: dict[tuple[Any, ...], np.ndarray] = attrs.field(factory=dict)
    order: list[tuple[Any, ...]] = attrs.field(factory=list)
    #: A progress bar over the candidates simulated (:func:`candidate_bar`; a tqdm bar).
    bar: Any = attrs.field(factory=lambda: progress_bar(False, total=0, desc="", unit=""))

    def key(self, x: Sequence[float]) -> tuple[Any, ...]:
        return tuple(p.position(xi) for p, xi in zip(self.params, x, strict=True))

    def values(self, key: tuple[Any, ...]) -> dict[str, Any]:
        return {p.path: p.value(k) for p, k in zip(self.params, key, strict=True)}

    def __call__(self, xs: np.ndarray) -> np.ndarray:
        """Metric values, (candidates, metrics), for candidates (candidates, parameters)."""
        keys = [self.key(x) for x in np.atleast_2d(xs)]
        new = list(dict.fromkeys(k for k in keys if k not in self.cache))
        for key, result in zip(new, self._simulate([self.values(k) for k in new]),
                               strict=True):
            self.cache[key] = measure(result, self.metrics)
            self.order.append(key)
        self.bar.update(len(new))
        return np.array([self.cache[k] for k in keys]).reshape(len(keys), len(self.metrics))

    def _simulate(self, candidates: list[dict[str, Any]]) -> list[SimulationResult]:
        """Every candidate simulated with the same seed, together: candidates that share the
        drivers of spend are settled on one set of draws, counting the losses the metrics
        ask for."""
        if not candidates:
            return []
        return simulation.run_with([make_variant(self.scenario, values) for values in candidates],
                                   self.options)

    def close(self) -> None:
        """Close the progress bar, complete at the candidates simulated (a search may stop
        short of its most)."""
        if hasattr(self.bar, "total"):
            self.bar.total = self.bar.n
            self.bar.refresh()
        self.bar.close()

    def table(self) -> pd.DataFrame:
        rows = [{**{p.path: _display(p.value(k)) for p, k in zip(self.params, key, strict=True)},
                 **dict(zip([m.name for m in self.metrics], self.cache[key], strict=True))}
                for key in self.order]
        return pd.DataFrame(rows, index=pd.RangeIndex(len(rows), name="candidate"))


def _display(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_display(v) for v in value)
    return value


def _tracked(metrics: Sequence[Metric]) -> dict[str, list[float]]:
    """The losses a simulation must count for ``metrics`` (its ``track_losses``).

    Examples
    --------
    >>> from pbcmodel.scenario.metrics import metric
    >>> _tracked([metric("max_band_prob_loss_over_3pct"), metric("commissioner_tvar95")])
    {'loss_fraction': [0.03]}
    """
    return {"loss_fraction": sorted({m.loss_fraction for m in metrics
                                     if m.loss_fraction is not None})}


def candidate_bar(progress: bool | None, total: int, desc: str) -> Any:
    """A progress bar over a design's candidates: ``progress`` as for
    :func:`~pbcmodel.scenario.simulation.simulate` (``None``: on in Jupyter when tqdm is
    installed; ``True`` without tqdm: :class:`~pbcmodel.errors.MissingDependencyError`).

    Examples
    --------
    >>> bar = candidate_bar(False, 8, "optimise")
    >>> bar.update(1); bar.close()
    """
    return progress_bar(auto_progress(progress), total=total, desc=desc, unit="candidate")


def simulation_options(n: Any, years: Any, seed: int, method: str, chunk_size: int | None,
             metrics: Sequence[Metric]) -> SimulationOptions:
    """The candidates' simulation options, checked once: the same seed for all, counting the
    losses the metrics name.

    Examples
    --------
    >>> from pbcmodel.scenario.metrics import metric
    >>> o = simulation_options(500, 1, 7, "normal", None, [metric("max_band_prob_loss_over_3pct")])
    >>> o.n, o.seed, 0.03 in o.loss_fractions
    (500, 7, True)
    """
    return SimulationOptions(n=n, years=years, seed=seed, method=method,
                             chunk_size=chunk_size, track_losses=_tracked(metrics))


def resolve_seed(seed: Any) -> int:
    """A seed the search can repeat and report: a whole number >= 0, or ``None`` for fresh
    entropy, drawn once.

    Examples
    --------
    >>> resolve_seed(3), isinstance(resolve_seed(None), int)
    (3, True)
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise ValidationError(f"seed: expected a whole number >= 0 or None, got {seed!r}")
    return seed_int(np.random.SeedSequence()) if seed is None else int(seed)


def choose_candidate(values: np.ndarray, objective: int, constraints: list[Constraint],
            index: list[int], sign: float) -> tuple[int, np.ndarray, np.ndarray]:
    """The best feasible candidate, else the least violating; with violations per row."""
    violation = np.array([[c.violation(row[i]) for c, i in zip(constraints, index,
                                                               strict=True)]
                          for row in values]).reshape(len(values), len(constraints))
    total = violation.sum(axis=1)
    feasible = total == 0
    score = sign * values[:, objective]
    if feasible.any():
        best = int(np.flatnonzero(feasible)[np.argmin(score[feasible])])
    else:
        best = int(np.lexsort((score, total))[0])
    return best, feasible, total
