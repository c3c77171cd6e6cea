"""The trade-off between two metrics over a space: which policies are not dominated.

Examples
--------
>>> import numpy as np
>>> pareto_mask(np.array([1.0, 2.0]), np.array([2.0, 1.0])).tolist()
[True, True]
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ValidationError
from ..html_tables import summary_html
from ..scenario.metrics import metric
from ..scenario.options import check_counts
from ..scenario.scenario import Scenario
from ..scenario.simulation import DEFAULT_YEARS
from ._display import display_frame, figure_text
from .evaluate import (
    DesignWarning,
    Evaluator,
    candidate_bar,
    choose_candidate,
    resolve_seed,
    simulation_options,
)
from .space import Parameter, check_drivers, make_variant, parse_constraints, parse_space

__all__ = ["Frontier", "frontier", "pareto_mask"]


def _candidates(params: list[Parameter], points: int, rng: np.random.Generator
                ) -> np.ndarray:
    """Every combination of a small discrete space, else a Latin hypercube of ``points``."""
    if all(p.integral for p in params):
        sizes = [len(p.values()) for p in params]
        if math.prod(sizes) <= points:
            return np.array(list(itertools.product(*[range(s) for s in sizes])), dtype=float)
    box = np.array([p.box for p in params])
    unit = stats.qmc.LatinHypercube(len(params), rng=rng).random(points)
    integral = np.array([p.integral for p in params])
    # integer positions: stratify over the positions (the +1 gives the top one its share)
    top = np.where(integral, box[:, 1] + 1, box[:, 1])
    return np.where(integral, np.floor(box[:, 0] + unit * (top - box[:, 0])),
                    box[:, 0] + unit * (top - box[:, 0])).clip(box[:, 0], box[:, 1])


def pareto_mask(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """True where no other point is at least as good in both and better in one (lower is
    better in both; flip a sign to maximise).

    Examples
    --------
    >>> pareto_mask(np.array([1.0, 2.0, 2.0, 3.0]), np.array([3.0, 1.0, 2.0, 0.5])).tolist()
    [True, True, False, True]
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    le = (x[None, :] <= x[:, None]) & (y[None, :] <= y[:, None])
    lt = (x[None, :] < x[:, None]) | (y[None, :] < y[:, None])
    return np.asarray(~(le & lt).any(axis=1))


@attrs.frozen(eq=False, repr=False)
class Frontier:
    """The outcome of :func:`frontier`: candidates over a space, and their Pareto set.

    ``points`` has one row per candidate: its parameters, the two metrics (``x``, ``y``),
    any constraint metrics, ``feasible`` and ``pareto`` (non-dominated among the feasible
    candidates, with each metric's own better direction). :attr:`pareto` is the Pareto
    set sorted by ``x``.
    """

    base: Scenario
    x: str
    y: str
    x_better: str
    y_better: str
    points: pd.DataFrame
    paths: tuple[str, ...]
    n: int
    years: int
    seed: int

    @property
    def pareto(self) -> pd.DataFrame:
        """The non-dominated candidates, sorted by ``x``."""
        return self.points[self.points["pareto"]].sort_values(self.x)

    def scenario(self, candidate: int) -> Scenario:
        """The scenario of one candidate (a row label of :attr:`points`)."""
        row = self.points.loc[candidate]
        return make_variant(self.base, {p: _undisplay(row[p]) for p in self.paths},
                        name=f"{self.base.name}-candidate-{candidate}")

    def plot(self, ax: Any = None) -> Any:
        """The trade-off (see :func:`pbcmodel.plot.design_figures.plot_frontier`)."""
        from ..plot import design_figures

        return design_figures.plot_frontier(self, ax=ax)

    def __repr__(self) -> str:
        front = self.pareto
        spans = "".join(f"; {name} {figure_text(front[name].min(), metric(name).unit)} to "
                        f"{figure_text(front[name].max(), metric(name).unit)}"
                        for name in (self.x, self.y) if len(front))
        return (f"Frontier({self.x} against {self.y}: {len(front)} "
                f"non-dominated of {len(self.points)} candidates{spans}; {self.n:,} "
                f"simulations × {self.years} year(s), seed {self.seed})")

    def _repr_html_(self) -> str:
        return summary_html(repr(self), display_frame(self.pareto, self.paths),
                            [f"{self.x}: {metric(self.x).description}",
                             f"{self.y}: {metric(self.y).description}"])


def _undisplay(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_undisplay(v) for v in value]
    return value


def frontier(scenario: Scenario, space: Mapping[str, Any], x: str = "commissioner_tvar95",
             y: str = "max_band_prob_loss_over_5pct", *,
             constraints: Mapping[str, Any] | None = None, points: int = 32, n: int = 2_000,
             years: int = DEFAULT_YEARS, seed: int | None = 0, method: str = "fft",
             chunk_size: int | None = None, progress: bool | None = None) -> Frontier:
    """The trade-off between two metrics over a space: which policies are not dominated.

    Candidates are every combination when the space is all grids/choices and has at most
    ``points`` of them, else a Latin hypercube of ``points`` over the space, each
    simulated on common random numbers (the same ``seed``). A candidate is on the frontier
    when it meets ``constraints`` and no other feasible candidate is at least as good on
    both metrics and better on one (each metric's better direction from
    :data:`~pbcmodel.scenario.metrics.METRICS`). ``progress``: a tqdm progress bar over
    the candidates (``None``, the default: on in Jupyter when tqdm is installed, off
    elsewhere; ``True`` needs ``pbcmodel[progress]``). ``n``, ``years``, ``seed``,
    ``method`` and ``chunk_size`` as for :func:`~pbcmodel.design.search.optimise`: ``years``
    defaults to :data:`~pbcmodel.scenario.simulation.DEFAULT_YEARS` (three).

    Returns
    -------
    Frontier

    Raises
    ------
    ValidationError
        As for :func:`~pbcmodel.design.search.optimise`, before anything is simulated.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example(high_cost_threshold=None)
    >>> f = frontier(scn, {"overspend.practice_share": [0.0, 0.5, 1.0]},
    ...              y="max_band_prob_loss_over_2pct", n=100, years=1,
    ...              method="normal")
    >>> len(f.points), bool(f.pareto["commissioner_tvar95"].is_monotonic_increasing)
    (3, True)
    """
    params = parse_space(scenario, space)
    if scenario.cost_model is None:
        raise ValidationError("scenario: it has no cost_model to simulate; add cost_model=...")
    aims = parse_constraints(constraints)
    names = list(dict.fromkeys([x, y, *[c.metric for c in aims]]))
    metrics = [metric(name, scenario, role="x" if i == 0 else "y" if i == 1 else "constraints")
               for i, name in enumerate(names)]
    if x == y:
        raise ValidationError(f"y: the same metric as x ({x!r}); choose two different metrics")
    points = check_counts(points, 1, name="points")[0]
    seed = resolve_seed(seed)
    options = simulation_options(n, years, seed, method, chunk_size, metrics)
    check_drivers(params, options.n)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    candidates = _candidates(params, points, rng)
    evaluator = Evaluator(scenario, params, metrics, options,
                          bar=candidate_bar(progress, len(candidates), "frontier"))
    try:
        evaluator(candidates)
    finally:
        evaluator.close()
    table = evaluator.table()
    values = table[names].to_numpy()
    index = [names.index(c.metric) for c in aims]
    _, feasible, _ = choose_candidate(values, 0, aims, index, 1.0)
    signs = [1.0 if m.better == "lower" else -1.0 for m in metrics[:2]]
    mask = np.zeros(len(table), dtype=bool)
    if feasible.any():
        mask[feasible] = pareto_mask(signs[0] * values[feasible, 0],
                                     signs[1] * values[feasible, 1])
    else:
        warnings.warn("frontier: no candidate met every constraint; the frontier is empty",
                      DesignWarning, stacklevel=2)
    table["feasible"], table["pareto"] = feasible, mask
    return Frontier(base=scenario, x=x, y=y, x_better=metrics[0].better,
                    y_better=metrics[1].better, points=table,
                    paths=tuple(p.path for p in params), n=options.n,
                    years=options.years, seed=seed)
