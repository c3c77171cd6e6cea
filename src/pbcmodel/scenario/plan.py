"""What one simulation task needs, made from scenarios once: the plan a worker simulates.

A simulation reads a scenario through :class:`SimulatedScenario`, the parts of a
:class:`~pbcmodel.scenario.Scenario` it uses (mypy checks that a ``Scenario`` is one). From
the scenarios that share the drivers of spend, :func:`build_plan` makes one
:class:`SimulationPlan`: the spend distributions to draw from (built once, for every year),
the random streams' root, cost growth, the consortia and list sizes, and one
:class:`PolicyPlan` per scenario: its rules, its budgets of every year in pence, the grid
of its streamed histogram and what its tallies keep. A plan is plain data: the simulation
loop (:mod:`pbcmodel.scenario.loop`) runs any range of simulations from it, in a thread
or on a dask worker, with the same result.

Examples
--------
>>> import pbcmodel as pbc
>>> from pbcmodel.scenario.options import SimulationOptions
>>> scn = pbc.Scenario.example()
>>> options = SimulationOptions(n=100, years=2, seed=1)
>>> plan = build_plan([scn], [options.tally_keep()], options)
>>> plan.years, len(plan.policies), plan.policies[0].budget_pence.shape
(2, 1, (2, 60))
>>> bool(plan.policies[0].budget_pence[0].sum() == round(scn.budgets()["total"].sum() * 100))
True
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, Protocol, TypeVar, cast

import attrs
import numpy as np
import pandas as pd

from .. import risk
from ..capitation import CapitationFormula
from ..credibility import LearningBudgets
from ..errors import ValidationError
from ..incentives import Incentives
from ..money import allocate_pennies
from ..overspend import OverspendPolicy
from ..population import Population
from ..risk.costmodel import CostModel
from ..risk.distribution import Method
from ..risk.effects import PracticeEffects
from ..settlement.core import Consortia
from ..sharing import ShareSchedule
from ..validation import align_condition
from ..withhold import QualityWithhold
from . import memory, tally
from .holders import Holders, holders
from .learning import Learning
from .options import SimulationOptions

__all__ = ["PolicyPlan", "SimulatedScenario", "SimulationPlan", "build_plan", "default_chunk",
           "grid_moments", "once_per_budgets", "pool_unit", "require_cost_model",
           "reuse_spend", "spend_sampler", "year_budgets"]

T = TypeVar("T")


class SimulatedScenario(Protocol):
    """What a simulation reads from a scenario (:class:`~pbcmodel.scenario.Scenario` is one).

    The engine's modules cannot import ``Scenario`` (its ``simulate`` calls them), so they
    name exactly the parts they read: the population and the formula, resource and growth
    that set the budgets; the cost model, high-cost threshold and pool share, common shock,
    practice effects and cost growth that drive spend; who holds the budgets; the rules that
    settle it; and the name its result shows.
    """

    @property
    def name(self) -> str: ...
    @property
    def population(self) -> Population: ...
    @property
    def formula(self) -> CapitationFormula: ...
    @property
    def resource(self) -> float: ...
    @property
    def resource_growth(self) -> float: ...
    @property
    def historic(self) -> pd.Series | None: ...
    @property
    def cost_model(self) -> CostModel | None: ...
    @property
    def high_cost_threshold(self) -> float | None: ...
    @property
    def high_cost_pool_share(self) -> float: ...
    @property
    def common_shock_cv(self) -> float: ...
    @property
    def cost_growth(self) -> float: ...
    @property
    def practice_effects(self) -> PracticeEffects | None: ...
    @property
    def savings(self) -> ShareSchedule | None: ...
    @property
    def overspend(self) -> OverspendPolicy | None: ...
    @property
    def incentives(self) -> Incentives | None: ...
    @property
    def conditions(self) -> Mapping[str, Any]: ...
    @property
    def learning(self) -> LearningBudgets | None: ...
    @property
    def holder(self) -> str: ...
    @property
    def withhold(self) -> QualityWithhold | None: ...
    def budgets(self) -> pd.DataFrame: ...


def require_cost_model(scn: SimulatedScenario, label: str = "cost_model") -> CostModel:
    """The scenario's cost model; a scenario without one cannot be simulated.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> require_cost_model(pbc.Scenario.example(cost_model=None))
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: cost_model: the scenario has none (no cost_model to \
simulate); add cost_model=... (e.g. pbc.datasets.example_cost_model())
    """
    if scn.cost_model is None:
        raise ValidationError(f"{label}: the scenario has none (no cost_model to simulate); add "
                              "cost_model=... (e.g. pbc.datasets.example_cost_model())")
    return scn.cost_model


#: Inside :func:`reuse_spend`: the spend prepared so far, with what it was prepared from.
_REUSED: contextvars.ContextVar[list[tuple[tuple[object, ...], risk.SpendSampler]] | None] = (
    contextvars.ContextVar("reused_spend", default=None))


@contextlib.contextmanager
def reuse_spend() -> Iterator[None]:
    """Inside the block, :func:`spend_sampler` prepares each scenario's spend once and hands
    the same sampler to every later simulation with the same inputs (the same population,
    cost model, practice effects and method, and equal threshold, pool share and shock); it
    keeps the latest sampler only, so memory does not grow with the scenarios simulated.

    A policy design simulates generation after generation of candidates that differ only in
    their rules: their spend distributions (the larger part of a national simulation's
    set-up) are then built once for the whole design, not once a generation. The samplers
    are released when the block ends. The draws are the same either way.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> with reuse_spend():
    ...     first, again = spend_sampler(scn, "fft"), spend_sampler(scn, "fft")
    >>> first is again, spend_sampler(scn, "fft") is first
    (True, False)
    """
    token = _REUSED.set([])
    try:
        yield
    finally:
        _REUSED.reset(token)


def _same_inputs(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Inputs of a sampler that are the same objects, or equal numbers, text or None."""
    return all(x is y or (isinstance(x, (int, float, str)) and type(x) is type(y) and x == y)
               for x, y in zip(a, b, strict=True))


def spend_sampler(scn: SimulatedScenario, method: str) -> risk.SpendSampler:
    """The scenario's spend, prepared once to draw simulated years (the pool's excess per
    :func:`pool_unit`; each practice's retained spend times its effect, with practice
    effects); inside :func:`reuse_spend`, the sampler already prepared from the same
    inputs."""
    model = require_cost_model(scn)
    inputs = (scn.population, model, scn.high_cost_threshold, scn.high_cost_pool_share,
              scn.common_shock_cv, method, scn.practice_effects)
    reused = _REUSED.get()
    for earlier, sampler in reused or ():
        if _same_inputs(earlier, inputs):
            return sampler
    sampler = risk.spend_sampler(scn.population, model,
                                 high_cost_threshold=scn.high_cost_threshold,
                                 high_cost_pool_share=scn.high_cost_pool_share,
                                 common_shock_cv=scn.common_shock_cv,
                                 method=cast(Method, method),      # checked by the options
                                 excess_by=pool_unit(scn.population),
                                 practice_effects=scn.practice_effects)
    if reused is not None:
        # the latest only: a design over a threshold would otherwise keep one per candidate
        reused[:] = [(inputs, sampler)]
    return sampler


def pool_unit(pop: Population) -> Literal["practice", "commissioner"]:
    """Whose high-cost excess is drawn as one amount: each commissioner's (one law for all
    its patients, the fewest draws) where its practices share one cost multiplier, else each
    practice's (real England's practices each have their own need index). The pool's cost per
    simulation is the sum either way.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> pool_unit(pbc.datasets.example_population())
    'commissioner'
    >>> pool_unit(pbc.scenario.england_scenario("QWO").population)
    'practice'
    """
    index = pop.cost_index
    if index is None or bool(
            (index.groupby(pop.hierarchy["commissioner"]).nunique() <= 1).all()):
        return "commissioner"
    return "practice"


def default_chunk(practices: int) -> int:
    """Simulations settled at once by default: :data:`~.memory.CHUNK_ELEMENTS`
    practice-simulations (the work arrays stay in cache)."""
    return max(1, memory.CHUNK_ELEMENTS // practices)


# ----------------------------------------------------------------------------- budgets
def year_budgets(scn: SimulatedScenario, years: int,
                 formula: CapitationFormula | None = None) -> np.ndarray:
    """Budget totals (pounds) per year × practice, by the scenario's formula (or
    ``formula``); these budgets do not depend on outturn."""
    out = np.empty((years, scn.population.n_practices))
    historic = scn.historic
    formula = scn.formula if formula is None else formula
    for y in range(years):
        resource = scn.resource * (1 + scn.resource_growth) ** y
        total = formula.budgets(scn.population, resource, historic)["total"]
        out[y] = total.to_numpy()
        historic = total
    return out


def _same_budgets(a: SimulatedScenario, b: SimulatedScenario) -> bool:
    """Whether two scenarios' budgets are the same in every year: the same formula and
    population, resource and its growth, and historic budgets."""
    ha, hb = a.historic, b.historic
    return (a.formula is b.formula and a.population is b.population
            and a.resource == b.resource and a.resource_growth == b.resource_growth
            and (ha is None) == (hb is None)
            and (ha is None or hb is None or ha.equals(hb)))


def once_per_budgets(scenarios: Sequence[SimulatedScenario],
                     make: Callable[[SimulatedScenario], T]) -> list[T]:
    """``make(scn)`` for each scenario, made once for scenarios whose budgets are the same
    (the variants of a sweep over policy share them)."""
    made: list[tuple[SimulatedScenario, T]] = []
    out = []
    for scn in scenarios:
        value = next((v for other, v in made if _same_budgets(other, scn)), None)
        if value is None:
            value = make(scn)
            made.append((scn, value))
        out.append(value)
    return out


# ----------------------------------------------------------------------------- the plan
@attrs.frozen(eq=False)
class PolicyPlan:
    """What settles one scenario's outturns, and what its tallies keep.

    Attributes
    ----------
    savings, overspend, incentives
        The scenario's rules.
    conditions : dict
        Its conditions, Series aligned to the practices.
    budget_pence : ndarray
        Its budgets, year × practice, int64 pence (each year adds up to the penny).
    low, width : ndarray
        Per practice, the lower edge and the bin width (pence) of the streamed histogram
        (:func:`~pbcmodel.scenario.tally.histogram_grid`).
    keep : tally.Keep
        What its tallies keep beyond the statistics.
    learning : Learning, optional
        Its learning budgets: each year's budgets, per simulation, from the earlier
        years' outturns (:mod:`~pbcmodel.scenario.learning`); ``budget_pence`` is then the
        formula's (the first year's, and every year's totals).
    withhold : QualityWithhold, optional
        Its quality withhold (:mod:`pbcmodel.withhold`).
    """

    savings: ShareSchedule | None
    overspend: OverspendPolicy | None
    incentives: Incentives | None
    conditions: dict[str, Any]
    budget_pence: np.ndarray               # (years, P)
    low: np.ndarray
    width: np.ndarray
    keep: tally.Keep
    learning: Learning | None = None
    withhold: QualityWithhold | None = None


@attrs.frozen(eq=False)
class SimulationPlan:
    """Everything a worker needs to simulate a range of simulations for the scenarios that
    share the drivers of spend (sent to each dask worker once).

    Attributes
    ----------
    sampler : risk.SpendSampler
        The spend distributions, built once for every year.
    root : numpy.random.SeedSequence
        The random streams' root.
    years : int
        Simulated years.
    growth : ndarray
        Cost growth of each year (``(1 + cost_growth) ** year``).
    holders : Holders
        Who holds the budgets (:mod:`~pbcmodel.scenario.holders`): the practices, or the
        consortia, each as one holder whose outturn is its practices' drawn spend added up.
    consortium_codes : Consortia
        The holders grouped by consortium, for netting.
    list_size : ndarray
        Registered patients per holder (incentives per head).
    policies : tuple of PolicyPlan
        One per scenario, in order.
    chunk : int
        Simulations settled at once.
    """

    sampler: risk.SpendSampler
    root: np.random.SeedSequence
    years: int
    growth: np.ndarray
    holders: Holders
    consortium_codes: Consortia
    list_size: np.ndarray
    policies: tuple[PolicyPlan, ...]
    chunk: int

    @property
    def budgets(self) -> list[np.ndarray]:
        """Each policy's budgets, year × holder, pence."""
        return [policy.budget_pence for policy in self.policies]


def _policy_plan(scn: SimulatedScenario, index: pd.Index, budget_pence: np.ndarray,
                 mean: np.ndarray, var: np.ndarray, growth: np.ndarray, keep: tally.Keep,
                 learning: Learning | None = None) -> PolicyPlan:
    # learning budgets move with spend (their span): the grid covers them too
    span = np.sqrt(var) / mean * _SPAN_SD if learning is not None else None
    grid = (budget_pence if span is None else np.concatenate(
        [budget_pence * np.maximum(1 - span, 0.0), budget_pence * (1 + span)]))
    low, width = tally.histogram_grid(grid, mean, var,
                                      growth if span is None else np.tile(growth, 2),
                                      scn.common_shock_cv)
    conditions = {key: align_condition(value, index, key) if isinstance(value, pd.Series)
                  else value for key, value in scn.conditions.items()}
    return PolicyPlan(savings=scn.savings, overspend=scn.overspend, incentives=scn.incentives,
                      conditions=conditions, budget_pence=budget_pence, low=low, width=width,
                      keep=keep, learning=learning, withhold=scn.withhold)


# ----------------------------------------------------------------------------- learning
#: Standard deviations of a year's ratio either side of 1 a learning budget's grid covers.
_SPAN_SD = 8.0


def _learning(scn: SimulatedScenario, budget_pence: np.ndarray, sampler: risk.SpendSampler,
              growth: np.ndarray) -> Learning | None:
    """The scenario's learning budgets (None without): the formula's budgets, and those
    without its own experience step (which the learning step takes over, with its history)
    as the targets it moves; expected spend is the spend distributions' mean (what the
    formula expects, before any practice effect) times cost growth."""
    if scn.learning is None:
        return None
    mean = sampler.moments()[0]
    rating = scn.formula.experience
    base = budget_pence if rating is None else allocate_pennies(year_budgets(
        scn, len(growth), scn.formula.evolve(experience=None)),
        total=budget_pence.sum(axis=1), name="budgets")
    return Learning.make(scn.learning, formula_pence=budget_pence, base_pence=base,
                         expected_pence=growth[:, None] * mean[None, :] * 100.0,
                         list_size=scn.population.list_size.to_numpy(dtype=float),
                         history=rating, codes=scn.population.codes)


def grid_moments(scn: SimulatedScenario, mean: np.ndarray, var: np.ndarray, years: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The mean and variance per practice that the streamed histogram's grid is built from:
    chance's (``mean``, ``var``: :meth:`~pbcmodel.risk.SpendSampler.moments`), widened by the
    scenario's practice effects so that the grid covers every simulated year's spend.

    In year ``t`` a practice's effect ``F`` has mean ``a_t = exp(persistence^t · centre)`` and
    ``E[F²] = a_t² · exp(V_t)`` (:meth:`~pbcmodel.risk.effects.PracticeEffects.log_variance`),
    so its spend ``F·X`` has mean ``a_t · mean`` and standard deviation ``s_t =
    a_t · √(exp(V_t) · (var + mean²) − mean²)``. The grid's mean is the middle of the
    ``a_t · mean`` over the years, its standard deviation the largest ``s_t`` plus half
    their range: its span (many standard deviations either side) covers every year's.
    Without effects, or with effects that are off, ``mean`` and ``var`` are returned as
    they are.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> mean, var = np.full(60, 1e6), np.full(60, 1e8)      # chance: sd 1% of the mean
    >>> grid_mean, grid_var = grid_moments(scn, mean, var, 2)
    >>> grid_mean is mean and grid_var is var                # no practice effects
    True
    >>> known = pbc.risk.PracticeEffects(0.1, 0.8, centre={"P001": 0.2})
    >>> grid_mean, grid_var = grid_moments(scn.evolve(practice_effects=known), mean, var, 2)
    >>> [round(float(x)) for x in (grid_mean[0], np.sqrt(grid_var[0]), np.sqrt(grid_var[1]))]
    [1197457, 147006, 100753]
    """
    effects = scn.practice_effects
    if effects is None or effects.is_off:
        return mean, var
    log_mean, log_var = effects.log_moments(years, scn.population.codes)
    shift, spread = np.exp(log_mean), np.exp(log_var)
    sd = shift * np.sqrt(np.maximum(spread * (var + mean**2) - mean**2, 0.0))
    low, high = shift.min(axis=0), shift.max(axis=0)
    grid_sd = sd.max(axis=0) + (high - low) * mean / 2
    return (low + high) / 2 * mean, grid_sd**2


def build_plan(group: Sequence[SimulatedScenario], keeps: Sequence[tally.Keep],
               options: SimulationOptions) -> SimulationPlan:
    """The plan of scenarios that share the drivers of spend (the first one's are used):
    their distributions built once, and each scenario's budgets, grid and ``keeps``."""
    first = group[0]
    pop = first.population
    held = holders(pop, first.holder)
    sampler = spend_sampler(first, options.method)
    # a footprint's spend is its practices' spend added up: their means and variances add
    # (chance and practice effects are independent between practices; the common shock
    # is the grid's own term)
    mean, var = (held.gather(m) for m in grid_moments(first, *sampler.moments(),
                                                      options.years))
    growth = (1 + first.cost_growth) ** np.arange(options.years)
    # each year adds up to the penny, as settle's; a footprint's budget is its practices'
    budgets = once_per_budgets(group, lambda scn: held.gather(allocate_pennies(
        year_budgets(scn, options.years), name="budgets")))
    return SimulationPlan(
        sampler=sampler, root=options.root, years=options.years, growth=growth,
        holders=held,
        consortium_codes=Consortia.from_codes(pd.factorize(held.consortium)[0]),
        list_size=held.list_size.to_numpy(),
        policies=tuple(_policy_plan(s, held.codes, b, mean, var, growth, k,
                                    _learning(s, b, sampler, growth))
                       for s, b, k in zip(group, budgets, keeps, strict=True)),
        chunk=options.chunk_size or default_chunk(pop.n_practices))
