"""Optimise a policy: the parameters that best meet stated aims, checked on fresh draws.

See :mod:`pbcmodel.design` for the method (differential evolution on common random numbers,
Lampinen's feasibility rules, a final bisection towards a binding constraint, and fresh
replicates of the chosen policy).

Examples
--------
>>> import pbcmodel as pbc
>>> best = optimise(pbc.Scenario.example(high_cost_threshold=None),
...                 {"overspend.practice_share": [0.0, 1.0]}, n=100, method="normal",
...                 max_evaluations=8, replicates=2)
>>> best.parameters
{'overspend.practice_share': 1.0}
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import ValidationError
from ..html_tables import summary_html
from ..scenario import simulation
from ..scenario.metrics import Metric, measure, metric
from ..scenario.options import SimulationOptions, check_counts
from ..scenario.plan import reuse_spend
from ..scenario.scenario import Scenario
from ._display import figure_text, parameter_text
from .evaluate import (
    DesignWarning,
    Evaluator,
    candidate_bar,
    choose_candidate,
    resolve_seed,
    seed_int,
    simulation_options,
)
from .space import (
    Constraint,
    Parameter,
    check_drivers,
    current_value,
    make_variant,
    parse_constraints,
    parse_space,
)

__all__ = ["REFINE_STEPS", "Design", "optimise"]

@attrs.frozen(eq=False, repr=False)
class Design:
    """The outcome of :func:`optimise`: the chosen policy, and how well it meets the aims.

    Attributes
    ----------
    scenario : Scenario
        The base scenario with the chosen parameters (named ``"<base>-designed"``).
    parameters : dict
        Dotted path → chosen value.
    objective : str
        The metric minimised (or maximised, when ``maximise``).
    feasible : bool
        Whether the chosen candidate met every constraint on the search draws. When no
        candidate did, it is the least-violating one and ``feasible`` is False.
    figures : DataFrame
        One row per aim (the objective first, then each constraint): ``metric``,
        ``role`` (objective or constraint), ``aim`` (in words), ``bound``, ``search``
        (on the search draws) and ``search_slack``, ``fresh`` (the mean of
        ``replicates`` simulations on fresh draws), ``fresh_se`` (its standard error),
        ``fresh_sd`` (the spread of a single simulation of ``final_n``) and
        ``fresh_slack``. A slack is how far inside its bound a value is (negative:
        broken by that much, in the metric's units).
    candidates : DataFrame
        Every candidate simulated, in order: its parameters and metric values (search
        draws), ``feasible``, ``violation`` (the relative shortfall summed over
        constraints) and ``chosen``.
    evaluations : int
        Distinct candidates simulated during the search (each one ``n`` × ``years``).
    """

    scenario: Scenario
    parameters: dict[str, Any]
    objective: str
    maximise: bool
    feasible: bool
    figures: pd.DataFrame
    candidates: pd.DataFrame
    evaluations: int
    generations: int
    n: int
    years: int
    seed: int
    final_n: int
    replicates: int
    method: str
    message: str

    @property
    def constraints(self) -> pd.DataFrame:
        """The constraint rows of :attr:`figures`."""
        return self.figures[self.figures["role"] == "constraint"]

    def plot(self, ax: Any = None) -> Any:
        """The candidates searched (see :func:`pbcmodel.plot.design_figures.plot_design`)."""
        from ..plot import design_figures

        return design_figures.plot_design(self, ax=ax)

    def describe(self) -> list[str]:
        """The design in words: chosen parameters, aims, effort; each value in its unit
        (a share as 27.6%, money as £22.3m)."""
        lines = [f"{path} = {parameter_text(path, value)}"
                 for path, value in self.parameters.items()]
        top = self.figures.iloc[0]
        unit = metric(self.objective).unit
        lines.append(f"{'maximise' if self.maximise else 'minimise'} {self.objective}: "
                     f"{figure_text(top['fresh'], unit)} on fresh draws "
                     f"(± {figure_text(top['fresh_se'], unit)})")
        for name, row in self.constraints.iterrows():
            unit = metric(row["metric"]).unit
            lines.append(f"{row['aim']}: {figure_text(row['fresh'], unit)} on fresh draws, "
                         f"slack {figure_text(row['fresh_slack'], unit)} ({name})")
        if not self.feasible:
            lines.append("no candidate met every constraint: this is the least-violating one")
        lines.append(f"{self.evaluations} candidates × {self.n:,} simulations × {self.years} "
                     f"year(s), seed {self.seed}; fresh draws: {self.replicates} × "
                     f"{self.final_n:,} simulations")
        return lines

    def __repr__(self) -> str:
        return "Design(" + "; ".join(self.describe()) + ")"

    def _repr_html_(self) -> str:
        return summary_html(f"Design of {self.scenario.name!r}"
                            + ("" if self.feasible else " (infeasible)"),
                            _figures_shown(self.figures), self.describe())


_MEASURED = ("bound", "search", "search_slack", "fresh", "fresh_se", "fresh_sd", "fresh_slack")


def _figures_shown(figures: pd.DataFrame) -> pd.DataFrame:
    """:attr:`Design.figures` for display: each row's values as text in its metric's unit."""
    shown = figures.drop(columns=["metric", "aim"]).astype(object)
    for label, row in figures.iterrows():
        unit = metric(row["metric"]).unit
        for column in _MEASURED:
            shown.loc[label, column] = figure_text(row[column], unit)
    return shown


def _fresh_figures(scn: Scenario, metrics: list[Metric], options: SimulationOptions,
                   seeds: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    runs = np.array([measure(simulation.run_with([scn], attrs.evolve(options, seed=s))[0],
                             metrics)
                     for s in seeds])
    sd = runs.std(axis=0, ddof=1)
    return runs.mean(axis=0), sd / np.sqrt(len(seeds)), sd


def _members(params: list[Parameter]) -> int:
    return max(8, 5 * len(params))


#: Most bisection steps of the final refinement (taken from ``max_evaluations``).
REFINE_STEPS = 6


def _refine(evaluator: Evaluator, aims: list[Constraint], index: list[int], sign: float,
            steps: int) -> None:
    """Bisect between the best feasible candidate and the nearest infeasible one that
    scores better: where a constraint binds, the optimum lies on that boundary, which
    differential evolution approaches only slowly."""
    box = np.array([p.box for p in evaluator.params])
    width = np.where(box[:, 1] > box[:, 0], box[:, 1] - box[:, 0], 1.0)
    for _ in range(steps):
        keys = np.array(evaluator.order, dtype=float)
        values = np.array([evaluator.cache[k] for k in evaluator.order])
        best, feasible, _ = choose_candidate(values, 0, aims, index, sign)
        better = np.flatnonzero(~feasible & (sign * values[:, 0] < sign * values[best, 0]))
        if not feasible[best] or not len(better):
            return
        distance = np.abs((keys[better] - keys[best]) / width).sum(axis=1)
        middle = (keys[best] + keys[better[np.argmin(distance)]]) / 2
        if evaluator.key(middle) in evaluator.cache:
            return
        evaluator(middle[None, :])


def optimise(scenario: Scenario, space: Mapping[str, Any],
             objective: str = "commissioner_tvar95",
             constraints: Mapping[str, Any] | None = None, *, maximise: bool = False,
             n: int = 2_000, years: int = simulation.DEFAULT_YEARS, seed: int | None = 0,
             method: str = "fft", chunk_size: int | None = None, max_evaluations: int = 200,
             replicates: int = 5, final_n: int | None = None,
             progress: bool | None = None) -> Design:
    """Find the policy parameters that best meet the stated aims.

    Parameters
    ----------
    scenario : Scenario
        The starting point; needs a cost model. Its own values are one of the first
        generation's candidates when they lie in the space.
    space : mapping
        Dotted path → ``(low, high)``, ``(low, high, step)`` or a list of choices (see the
        module notes).
    objective : str
        A metric (:data:`~pbcmodel.scenario.metrics.METRICS`) to minimise, or to maximise
        with ``maximise=True``.
    constraints : mapping, optional
        Metric → ``{"max": bound}`` and/or ``{"min": bound}``, in the metric's units.
    n, years, seed, method, chunk_size
        As for :meth:`~pbcmodel.scenario.Scenario.simulate`; every candidate uses the same
        ``seed`` (common random numbers). ``seed=None`` draws one seed, recorded in the result.
        ``years`` defaults to :data:`~pbcmodel.scenario.simulation.DEFAULT_YEARS` (three),
        as for a simulation, so a design counts overspends recovered in later years.
    max_evaluations : int
        Most candidates to simulate in the search (the population is
        ``max(8, 5 × parameters)``; at least one population).
    replicates : int
        Simulations of the chosen policy on fresh draws (>= 2, for a standard error).
    final_n : int, optional
        Simulations in each fresh replicate (default ``n``).
    progress : bool, optional
        A tqdm progress bar over the candidates simulated (needs ``pbcmodel[progress]``).
        ``None`` (default): on in Jupyter when tqdm is installed, off elsewhere.

    Returns
    -------
    Design

    Raises
    ------
    ValidationError
        A bad space (see :func:`~pbcmodel.design.space.parse_space`), an unknown metric, a
        badly formed constraint, bad counts, or a space over a driver of spend with ``n``
        below :data:`~pbcmodel.design.space.DRIVER_MIN_SIMULATIONS` — all before anything is
        simulated.

    Warns
    -----
    DesignWarning
        When no candidate meets every constraint (the result is the least-violating one,
        ``feasible=False``), or when the chosen policy breaks a constraint on fresh draws
        by more than twice the standard error.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example(high_cost_threshold=None)
    >>> best = optimise(scn, {"overspend.practice_share": (0.0, 1.0, 0.5)},
    ...                 constraints={"expected_freed_up": {"min": 0.0}},
    ...                 n=100, years=1, method="normal", max_evaluations=8, replicates=2)
    >>> best.parameters["overspend.practice_share"]      # bearing more cuts the tail
    1.0
    >>> best.figures.columns.tolist()[:5]
    ['metric', 'role', 'aim', 'bound', 'search']
    """
    params = parse_space(scenario, space)
    if scenario.cost_model is None:
        raise ValidationError("scenario: it has no cost_model to simulate; add cost_model=... "
                              "(e.g. pbc.datasets.example_cost_model())")
    aims = parse_constraints(constraints)
    names = list(dict.fromkeys([objective, *[c.metric for c in aims]]))
    metrics = [metric(name, scenario, role="objective" if i == 0 else "constraints")
               for i, name in enumerate(names)]
    seed = resolve_seed(seed)
    options = simulation_options(n, years, seed, method, chunk_size, metrics)
    check_drivers(params, options.n)
    members = _members(params)
    max_evaluations = check_counts(max_evaluations, 1, name="max_evaluations")[0]
    if max_evaluations < members:
        raise ValidationError(f"max_evaluations: at least {members} for {len(params)} "
                              f"parameter(s) (one population), got {max_evaluations}")
    replicates = check_counts(replicates, 1, name="replicates")[0]
    if replicates < 2:
        raise ValidationError(f"replicates: at least 2 (for a standard error), got {replicates}")
    final_n = options.n if final_n is None else check_counts(final_n, 1, name="final_n")[0]

    root = np.random.SeedSequence(seed)
    search_rng, fresh = root.spawn(2)
    evaluator = Evaluator(scenario, params, metrics, options,
                          bar=candidate_bar(progress, max_evaluations, "optimise"))
    index = [names.index(c.metric) for c in aims]
    sign = -1.0 if maximise else 1.0

    def energy(xt: np.ndarray) -> np.ndarray:
        return sign * evaluator(np.atleast_2d(xt.T))[:, 0]

    def scaled(xt: np.ndarray) -> np.ndarray:   # (constraints, candidates), ≤ 0 when met
        values = evaluator(np.atleast_2d(xt.T))
        return np.array([[-c.slack(v[i]) / (abs(c.bound) or 1.0) for v in values]
                         for c, i in zip(aims, index, strict=True)])

    box = [p.box for p in params]
    rng = np.random.default_rng(search_rng)
    init = stats.qmc.scale(stats.qmc.LatinHypercube(len(params), rng=rng).random(members),
                           [b[0] for b in box], [b[1] for b in box])
    current = [p.coordinate(current_value(scenario, p.path)) for p in params]
    refine = min(REFINE_STEPS, max_evaluations - members)
    # the candidates differ only in their rules: their spend is prepared once for the
    # whole design (every generation, the refinement and the fresh replicates)
    with reuse_spend():
        try:
            solution = optimize.differential_evolution(
                energy, box, init=init, rng=rng,
                maxiter=max(0, (max_evaluations - refine) // members - 1),
                polish=False, vectorized=True, updating="deferred", tol=0.0, atol=0.0,
                x0=None if None in current else np.array(current, dtype=float),
                integrality=[p.integral for p in params],
                constraints=(optimize.NonlinearConstraint(scaled, -np.inf, 0.0) if aims else ()))
            _refine(evaluator, aims, index, sign, refine)
        finally:
            evaluator.close()
        table = evaluator.table()
        values = table[names].to_numpy()
        best, feasible, total = choose_candidate(values, 0, aims, index, sign)
        table["feasible"], table["violation"] = feasible, total
        table["chosen"] = table.index == best
        key = evaluator.order[best]
        chosen_values = evaluator.values(key)
        chosen = make_variant(scenario, chosen_values, name=f"{scenario.name}-designed")
        seeds = [seed_int(s) for s in fresh.spawn(replicates)]
        mean, se, sd = _fresh_figures(chosen, metrics, attrs.evolve(options, n=final_n), seeds)
    figures = _figures(names, aims, values[best], mean, se, sd, maximise)
    design = Design(scenario=chosen, parameters=chosen_values, objective=objective,
                    maximise=bool(maximise), feasible=bool(feasible[best]), figures=figures,
                    candidates=table, evaluations=len(evaluator.order),
                    generations=int(solution.nit), n=options.n, years=options.years,
                    seed=seed, final_n=final_n, replicates=replicates,
                    method=method, message=str(solution.message))
    _warn(design)
    return design


def _figures(names: list[str], aims: list[Constraint], search: np.ndarray, mean: np.ndarray,
             se: np.ndarray, sd: np.ndarray, maximise: bool) -> pd.DataFrame:
    rows = [{"metric": names[0], "role": "objective",
             "aim": f"{'maximise' if maximise else 'minimise'} {names[0]}", "bound": np.nan,
             "search": search[0], "search_slack": np.nan, "fresh": mean[0], "fresh_se": se[0],
             "fresh_sd": sd[0], "fresh_slack": np.nan}]
    for c in aims:
        i = names.index(c.metric)
        rows.append({"metric": c.metric, "role": "constraint", "aim": c.describe(),
                     "bound": c.bound, "search": search[i], "search_slack": c.slack(search[i]),
                     "fresh": mean[i], "fresh_se": se[i], "fresh_sd": sd[i],
                     "fresh_slack": c.slack(mean[i])})
    frame = pd.DataFrame(rows)
    both = frame["metric"].duplicated(keep=False) & (frame["role"] == "constraint")
    labels = [f"{m} ({a.split()[-2]})" if b else m   # bounded both ways: "name (≤)"
              for m, a, b in zip(frame["metric"], frame["aim"], both, strict=True)]
    frame.index = pd.Index(labels, name="figure")
    return frame


def _warn(design: Design) -> None:
    broken = design.constraints
    if not design.feasible:
        worst = broken[broken["search_slack"] < 0]
        text = "; ".join(f"{row['aim']} broken by {-row['search_slack']:,.6g}"
                         for _, row in worst.iterrows())
        warnings.warn(f"no candidate met every constraint; the least-violating one is "
                      f"reported (feasible=False): {text}", DesignWarning, stacklevel=3)
        return
    fresh = broken[broken["fresh_slack"] < -2 * broken["fresh_se"]]
    if len(fresh):
        text = "; ".join(f"{row['aim']}: {row['fresh']:,.6g} ± {row['fresh_se']:,.3g}"
                         for _, row in fresh.iterrows())
        warnings.warn(f"the chosen policy breaks constraint(s) on fresh draws by more than "
                      f"twice its standard error: {text}; the search draws flattered it: "
                      "raise n or tighten the bound", DesignWarning, stacklevel=3)
