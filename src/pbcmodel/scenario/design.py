"""Policy design: find the risk-share rules that meet stated aims, and show the trade-off.

State the aims as named metrics of a simulation — minimise the commissioner's tail risk,
subject to every list-size band's chance of losing more than 5% of budget in a year being
at most 5% and the expected freed-up money staying above £x — and :func:`optimise` finds
the policy parameters (dotted paths into the :class:`~pbcmodel.scenario.Scenario`) that meet
them. :func:`frontier` draws the trade-off between two metrics (by default the
commissioner's TVaR95 against the worst band's practice risk) as the Pareto set.

**Search space.** A mapping of dotted path → bounds ``(low, high)``, a grid
``(low, high, step)``, or a list of choices ``[a, b, ...]`` (in files: tables
``{bounds = [low, high], step = s}`` or ``{choices = [...]}``). A path may end in a key
of a mapping field (``"formula.top_slices.high_cost_pool"``). Every path is checked by
building the scenario at both bounds (and at every choice), so a path that names no field
or a bound the field's validator refuses fails before anything is simulated.

**Metrics** (objective and constraints) are computed from each candidate's
:class:`~pbcmodel.scenario.SimulationResult` through its public methods; :data:`METRICS`
lists them (``P`` and ``X`` are numbers: ``commissioner_tvar95``,
``max_band_prob_loss_over_5pct``). Constraints are ``{metric: {"max": bound}}`` and/or
``{"min": bound}``.

**Common random numbers.** Every candidate is simulated with the same ``seed``. A
simulation's outturns depend only on what drives spend (:data:`DRIVERS_OF_SPEND`), so
candidates that differ only in policy see identical outturns, simulation by simulation: the
optimiser compares policies, not noise. A generation of candidates is simulated together
(:func:`~pbcmodel.scenario.simulation.run`: drawn once, settled under each policy), with
streamed results that count exactly the losses the metrics name (``..._over_Xpct``, through
``track_losses``), so any percentage works without keeping every simulated year. A space
over a driver of spend breaks common outturns, and needs at least
:data:`DRIVER_MIN_SIMULATIONS` simulations.

**Optimiser.** :func:`scipy.optimize.differential_evolution` (``best1bin``; a fixed seed
spawned from ``seed``; a Latin-hypercube first generation of ``max(8, 5 × parameters)``
candidates plus the scenario's own values; ``polish=False``; no early stop, so the search
spends its ``max_evaluations``), with the constraints as a
:class:`~scipy.optimize.NonlinearConstraint` handled by Lampinen's feasibility rules
(feasible beats infeasible; between infeasible candidates the smaller total violation
wins). Why: on common random numbers the metrics are piecewise smooth in continuous
parameters (kinks at tolerances and caps) and the probability constraints are *step*
functions (a count of simulated losses), so gradients are useless and local
derivative-free methods (Nelder–Mead, COBYLA, Powell) stall on the flat steps;
differential evolution is global, needs no gradient, takes grids and choices as integer
variables, and hands over a whole generation at once, simulated on one set of draws.
Violations are compared relative to each bound (``(value − bound) / |bound|``, or absolute
when the bound is 0) so pounds and probabilities add up fairly. Where a constraint binds,
the optimum lies on its boundary, which evolution approaches slowly: the last
:data:`REFINE_STEPS` evaluations bisect between the best feasible candidate and the
nearest infeasible one that scores better. The chosen policy is the best feasible
candidate of all those simulated (else the least violating).

**Fresh draws.** The chosen policy is re-simulated ``replicates`` times on fresh draws
(seeds spawned from ``seed``, never the search seed), so the reported figures are not
optimistically biased by the search having picked the luckiest policy for one set of
draws. Each figure is the mean of the replicates, with its standard error and the spread
of a single simulation of that size.

Examples
--------
>>> import pbcmodel as pbc
>>> scn = pbc.Scenario.example(high_cost_threshold=None)
>>> best = optimise(scn, {"overspend.practice_share": (0.0, 1.0, 0.25)},
...                 objective="commissioner_tvar95",
...                 constraints={"max_band_prob_loss_over_2pct": {"max": 0.15}},
...                 n=200, method="normal", max_evaluations=16, replicates=2, seed=1)
>>> best.feasible, 0.0 <= best.parameters["overspend.practice_share"] <= 1.0
(True, True)
>>> best.figures.loc["max_band_prob_loss_over_2pct", "bound"]
np.float64(0.15)
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._html import summary_html
from .._validate import _labels
from ..capitation import devolved_resource
from ..errors import ConfigError, PBCModelError, ValidationError
from .config import read_text_file
from .scenario import Scenario
from .simulation import METHODS, SimulationResult, _check_counts, run, simulate

__all__ = [
    "DRIVERS_OF_SPEND",
    "DRIVER_MIN_SIMULATIONS",
    "LIST_SIZE_BANDS",
    "METRICS",
    "REFINE_STEPS",
    "Constraint",
    "Design",
    "DesignSpec",
    "DesignWarning",
    "Frontier",
    "Parameter",
    "frontier",
    "load_design_spec",
    "measure",
    "metric",
    "optimise",
    "pareto_mask",
    "parse_space",
]

#: Scenario fields that change the simulated outturns (everything else is policy).
DRIVERS_OF_SPEND = ("population", "cost_model", "high_cost_threshold", "common_shock_cv",
                    "cost_growth")
#: Fewest simulations for a search over a driver of spend (the candidates' outturns differ).
DRIVER_MIN_SIMULATIONS = 5_000
#: The list-size bands of :meth:`SimulationResult.by_list_size` (registered patients).
LIST_SIZE_BANDS = (0, 3000, 6000, 10000, 20000, np.inf)


class DesignWarning(UserWarning):
    """A design that met its aims only in part (infeasible, or worse on fresh draws)."""


# ----------------------------------------------------------------------------- metrics
#: Name (or pattern) → meaning, unit and which way is better.
METRICS: dict[str, str] = {
    "commissioner_tvar{P}": "tail value at risk at P% of the commissioner's loss over all "
                            "years (pounds; lower is better)",
    "commissioner_var{P}": "value at risk at P% of the commissioner's loss over all years "
                           "(pounds; lower is better)",
    "commissioner_mean_kept": "mean kept by the commissioner over all years (pounds; higher)",
    "commissioner_prob_loss": "probability the commissioner loses over all years (lower)",
    "expected_freed_up": "expected freed-up money paid to practices a year (pounds; higher)",
    "expected_practice_amount": "expected practice amount a year, all practices (pounds; "
                                "higher)",
    "expected_net_to_practices": "expected net cash to practices a year (pounds; higher)",
    "practices_prob_loss_over_{X}pct": "mean over practices of the probability of losing "
                                       "more than X% of budget in a year (lower)",
    "max_practice_prob_loss_over_{X}pct": "the most exposed practice's probability of losing "
                                          "more than X% of budget in a year (lower)",
    "max_band_prob_loss_over_{X}pct": "the worst list-size band's mean probability of a "
                                      "practice losing more than X% of budget (lower)",
    "worst_practice_p05_fraction": "lowest 5th percentile of a practice's yearly amount, as "
                                   "a fraction of its budget (negative is a loss; higher)",
    "fairness_sd_ratio": "sd of the yearly amount per head, smallest lists ÷ largest lists "
                         "(1 is even; lower)",
    "high_cost_pool_shortfall_prob": "probability the high-cost pool costs more than its "
                                     "top-slice in a year (lower)",
}

_NUMBER = r"(\d+(?:\.\d+)?)"
_PATTERNS = {
    "commissioner_tvar{P}": re.compile(rf"commissioner_tvar{_NUMBER}"),
    "commissioner_var{P}": re.compile(rf"commissioner_var{_NUMBER}"),
    "practices_prob_loss_over_{X}pct": re.compile(rf"practices_prob_loss_over_{_NUMBER}pct"),
    "max_practice_prob_loss_over_{X}pct":
        re.compile(rf"max_practice_prob_loss_over_{_NUMBER}pct"),
    "max_band_prob_loss_over_{X}pct": re.compile(rf"max_band_prob_loss_over_{_NUMBER}pct"),
}


class _Cache(dict):  # type: ignore[type-arg]
    """One result's intermediate tables, so several metrics share one ``metrics()`` call."""

    def get_or(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self:
            self[key] = make()
        return self[key]


def _risk(level: float, field: str) -> Callable[[SimulationResult, _Cache], float]:
    return lambda r, c: float(c.get_or(("risk", level),
                                       lambda: r.commissioner_risk(level))[field])


def _summary(field: str) -> Callable[[SimulationResult, _Cache], float]:
    return lambda r, c: float(c.get_or("summary", r.summary)[field])


def _loss_probs(r: SimulationResult, c: _Cache, fraction: float) -> pd.DataFrame:
    return c.get_or(("metrics", fraction), lambda: r.metrics(loss_fraction=fraction))


def _band_max(r: SimulationResult, c: _Cache, fraction: float) -> float:
    m = _loss_probs(r, c, fraction)
    band = pd.cut(m["list_size"], LIST_SIZE_BANDS, right=False)
    return float(m["prob_loss_over_fraction"].groupby(band, observed=True).mean().max())


def _practice_prob(r: SimulationResult, c: _Cache, fraction: float, worst: bool) -> float:
    probs = _loss_probs(r, c, fraction)["prob_loss_over_fraction"]
    return float(probs.max() if worst else probs.mean())


def _worst_p05(r: SimulationResult, c: _Cache) -> float:
    m = _loss_probs(r, c, 0.02)
    return float((m["p05_amount"] / m["budget"]).min())


def _fairness(r: SimulationResult, c: _Cache) -> float:
    sd = c.get_or("bands", r.by_list_size)["sd_amount_per_head"]
    return float(sd.iloc[0] / sd.iloc[-1]) if sd.iloc[-1] > 0 else math.inf


def _pool_funding(scn: Scenario, years: int) -> np.ndarray:
    """The high-cost pool's top-slice (pounds) in each simulated year."""
    return np.array([devolved_resource(scn.resource * (1 + scn.resource_growth) ** y,
                                       scn.formula.top_slices)[1]["high_cost_pool"]
                     for y in range(years)])


def _pool_shortfall(r: SimulationResult, c: _Cache) -> float:
    funding = _pool_funding(r.scenario, r.years)
    return float((np.asarray(r.pool_pence) / 100 > funding[None, :]).mean())


@attrs.frozen
class _Metric:
    name: str
    better: str                                       # "lower" or "higher"
    compute: Callable[[SimulationResult, _Cache], float] = attrs.field(eq=False)
    loss_fraction: float | None = None                # a loss the simulation must count

    @property
    def description(self) -> str:
        for pattern, regex in _PATTERNS.items():
            if regex.fullmatch(self.name):
                return METRICS[pattern]
        return METRICS[self.name]


_FIXED: dict[str, tuple[str, Callable[[SimulationResult, _Cache], float]]] = {
    "commissioner_mean_kept": ("higher", _risk(0.95, "mean_kept")),
    "commissioner_prob_loss": ("lower", _risk(0.95, "prob_loss")),
    "expected_freed_up": ("higher", _summary("expected_freed_up")),
    "expected_practice_amount": ("higher", _summary("expected_practice_amount")),
    "expected_net_to_practices": ("higher", _summary("expected_net_to_practices")),
    "worst_practice_p05_fraction": ("higher", _worst_p05),
    "fairness_sd_ratio": ("lower", _fairness),
    "high_cost_pool_shortfall_prob": ("lower", _pool_shortfall),
}


def metric(name: str, scenario: Scenario | None = None, *, role: str = "metric") -> _Metric:
    """The metric called ``name`` (see :data:`METRICS`), checked against ``scenario``.

    Raises
    ------
    ValidationError
        An unknown name (the message lists the known ones), a level or percentage out of
        range, or ``high_cost_pool_shortfall_prob`` for a scenario without a high-cost
        threshold and a ``"high_cost_pool"`` top-slice.

    Examples
    --------
    >>> metric("commissioner_tvar95").better
    'lower'
    >>> metric("commissioner_tvar").name
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: metric: unknown metric 'commissioner_tvar'; known: ...
    """
    if not isinstance(name, str):
        raise ValidationError(f"{role}: expected a metric name, got {name!r}")
    if name in _FIXED:
        better, compute = _FIXED[name]
        if name == "high_cost_pool_shortfall_prob" and scenario is not None and (
                scenario.high_cost_threshold is None
                or "high_cost_pool" not in scenario.formula.top_slices):
            raise ValidationError(f"{role}: {name} needs a high_cost_threshold and a "
                                  "'high_cost_pool' top-slice in the scenario's formula")
        return _Metric(name, better, compute)
    for pattern, regex in _PATTERNS.items():
        found = regex.fullmatch(name)
        if found is None:
            continue
        number = float(found.group(1))
        if not 0 < number < 100:
            raise ValidationError(f"{role}: {name!r}: the number must be between 0 and 100 "
                                  f"(a percentage), got {found.group(1)}")
        fraction = number / 100
        if pattern == "commissioner_tvar{P}":
            return _Metric(name, "lower", _risk(fraction, "tvar"))
        if pattern == "commissioner_var{P}":
            return _Metric(name, "lower", _risk(fraction, "var"))
        if pattern == "max_band_prob_loss_over_{X}pct":
            return _Metric(name, "lower", functools.partial(_band_max, fraction=fraction),
                           loss_fraction=fraction)
        return _Metric(name, "lower", functools.partial(
            _practice_prob, fraction=fraction, worst=pattern.startswith("max_practice")),
            loss_fraction=fraction)
    raise ValidationError(f"{role}: unknown metric {name!r}; known: {', '.join(METRICS)} "
                          "(P and X are percentages, e.g. commissioner_tvar95, "
                          "max_band_prob_loss_over_5pct)")


# ----------------------------------------------------------------------------- the space
def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValidationError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


@attrs.frozen
class Parameter:
    """One dimension of a search space: a dotted path and its bounds, grid or choices.

    Exactly one of ``bounds`` (continuous, optionally on a grid of ``step``) and
    ``choices`` is given. The optimiser sees a continuous parameter as itself and a grid
    or a list of choices as an integer position.

    Examples
    --------
    >>> p = Parameter("overspend.tolerance", bounds=(0.0, 0.05), step=0.01)
    >>> p.values()
    [0.0, 0.01, 0.02, 0.03, 0.04, 0.05]
    >>> p.value(2.4)
    0.02
    """

    path: str
    bounds: tuple[float, float] | None = None
    step: float | None = None
    choices: tuple[Any, ...] | None = None

    def __attrs_post_init__(self) -> None:
        where = f"space[{self.path!r}]"
        if (self.bounds is None) == (self.choices is None):
            raise ValidationError(f"{where}: give bounds (low, high) or a list of choices")
        if self.choices is not None:
            if not self.choices:
                raise ValidationError(f"{where}: expected at least one choice, got none")
            return
        assert self.bounds is not None
        low, high = (_number(b, f"{where} bounds") for b in self.bounds)
        if not low < high:
            raise ValidationError(f"{where}: bounds must have low < high, got {self.bounds}")
        if self.step is not None:
            step = _number(self.step, f"{where} step")
            ratio = (high - low) / step if step > 0 else -1.0
            if step <= 0 or abs(ratio - round(ratio)) > 1e-9 * max(1.0, ratio):
                raise ValidationError(f"{where}: step must be > 0 and divide high − low "
                                      f"({high - low:g}) into whole steps, got {self.step!r}")

    @property
    def integral(self) -> bool:
        """Whether the optimiser sees an integer position (a grid or choices)."""
        return self.choices is not None or self.step is not None

    @property
    def box(self) -> tuple[float, float]:
        """The optimiser's bounds for this parameter."""
        if self.integral:
            return 0.0, float(len(self.values()) - 1)
        assert self.bounds is not None
        return float(self.bounds[0]), float(self.bounds[1])

    def values(self) -> list[Any]:
        """Every value of a grid or list of choices (the two bounds when continuous)."""
        if self.choices is not None:
            return list(self.choices)
        assert self.bounds is not None
        low, high = self.bounds
        if self.step is None:
            return [low, high]
        count = round((high - low) / self.step)
        whole = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                    for v in (low, high, self.step))
        return [int(low + k * self.step) if whole else round(low + k * self.step, 12)
                for k in range(count + 1)]

    def position(self, x: float) -> float | int:
        """The optimiser's coordinate ``x`` kept in the box (a whole position if integral)."""
        low, high = self.box
        x = min(max(float(x), low), high)
        return round(x) if self.integral else x

    def value(self, x: float) -> Any:
        """The parameter's value at the optimiser's coordinate ``x``."""
        x = self.position(x)
        return self.values()[int(x)] if self.integral else x

    def coordinate(self, value: Any) -> float | None:
        """The optimiser's coordinate of ``value``, or None when it is not in the space."""
        if not self.integral:
            low, high = self.box
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            return float(value) if ok and low <= value <= high else None
        for i, v in enumerate(self.values()):
            if _same(v, value):
                return float(i)
        return None

    @property
    def driver(self) -> bool:
        """Whether the path changes what drives spend (see :data:`DRIVERS_OF_SPEND`)."""
        return self.path.partition(".")[0] in DRIVERS_OF_SPEND


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _parameter(path: Any, spec: Any) -> Parameter:
    if not isinstance(path, str) or not path:
        raise ValidationError(f"space: keys must be dotted paths such as "
                              f"'overspend.practice_share', got {path!r}")
    where = f"space[{path!r}]"
    if path == "name":
        raise ValidationError(f"{where}: the scenario's name labels each candidate; it is not "
                              "a policy parameter to search")
    if isinstance(spec, tuple):
        if len(spec) not in (2, 3):
            raise ValidationError(f"{where}: expected (low, high) or (low, high, step), "
                                  f"got {spec!r}")
        return Parameter(path, bounds=(spec[0], spec[1]),
                         step=spec[2] if len(spec) == 3 else None)
    if isinstance(spec, list):
        return Parameter(path, choices=tuple(spec))
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - {"bounds", "step", "choices"})
        if unknown:
            raise ValidationError(f"{where}.{unknown[0]}: unknown key; expected bounds, step "
                                  "or choices")
        if "choices" in spec:
            if "bounds" in spec or "step" in spec:
                raise ValidationError(f"{where}: give choices or bounds, not both")
            if not isinstance(spec["choices"], (list, tuple)):
                raise ValidationError(f"{where}.choices: expected a list, got "
                                      f"{spec['choices']!r}")
            return Parameter(path, choices=tuple(spec["choices"]))
        bounds = spec.get("bounds")
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
            raise ValidationError(f"{where}.bounds: expected [low, high], got {bounds!r}")
        return Parameter(path, bounds=(bounds[0], bounds[1]), step=spec.get("step"))
    raise ValidationError(f"{where}: expected (low, high), (low, high, step), a list of "
                          f"choices or a table, got {spec!r}")


def _split_mapping(scn: Scenario, path: str) -> tuple[str, str | None]:
    """``("formula.top_slices", "high_cost_pool")`` when a path ends in a mapping's key."""
    obj: Any = scn
    parts = path.split(".")
    for i, part in enumerate(parts[:-1]):
        if not attrs.has(type(obj)) or part not in attrs.fields_dict(type(obj)):
            return path, None
        obj = getattr(obj, part)
        if isinstance(obj, Mapping):
            return ".".join(parts[:i + 1]), ".".join(parts[i + 1:])
    return path, None


def _variant(scn: Scenario, values: Mapping[str, Any], **extra: Any) -> Scenario:
    """``scn`` with each path set to its value (keys of mapping fields merged)."""
    changes: dict[str, Any] = {}
    for path, value in values.items():
        head, key = _split_mapping(scn, path)
        if key is None:
            changes[path] = value
        else:
            merged = dict(changes[head]) if head in changes else dict(_get(scn, head))
            merged[key] = value
            changes[head] = merged
    return scn.evolve(**{**changes, **extra})


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _current(scn: Scenario, path: str) -> Any:
    """The scenario's own value at a path of the space."""
    head, key = _split_mapping(scn, path)
    return _get(scn, path) if key is None else _get(scn, head).get(key)


def parse_space(scenario: Scenario, space: Mapping[str, Any]) -> list[Parameter]:
    """Check a search space against a scenario: every path, at both bounds and every choice.

    Raises
    ------
    ValidationError
        An empty space, a path that names no field, or a bound or choice the field's
        validator refuses (the message names the path and the value).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> [p.path for p in parse_space(scn, {"overspend.cap": (0.01, 0.1)})]
    ['overspend.cap']
    >>> parse_space(scn, {"overspend.practice_share": (0.0, 1.5)})
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: space['overspend.practice_share']: value 1.5: ...
    """
    if not isinstance(scenario, Scenario):
        raise ValidationError(f"scenario: expected a Scenario, got {type(scenario).__name__}")
    if not isinstance(space, Mapping) or not space:
        raise ValidationError("space: expected a non-empty mapping of dotted path → bounds or "
                              "choices, e.g. {'overspend.practice_share': (0.0, 1.0)}")
    params = [_parameter(path, spec) for path, spec in space.items()]
    for p in params:
        for value in p.values():
            try:
                _variant(scenario, {p.path: value})
            except PBCModelError as exc:
                raise ValidationError(f"space[{p.path!r}]: value {value!r}: {exc}") from exc
            except (TypeError, ValueError) as exc:   # a converter that refuses the type
                raise ValidationError(f"space[{p.path!r}]: value {value!r}: {exc}") from exc
    return params


# ----------------------------------------------------------------------------- constraints
@attrs.frozen
class Constraint:
    """An aim: a metric kept at most (``kind="max"``) or at least (``"min"``) a bound.

    Examples
    --------
    >>> c = Constraint("expected_freed_up", "min", 2e6)
    >>> c.slack(2.5e6), c.violation(1.5e6)
    (500000.0, 0.25)
    """

    metric: str
    kind: str
    bound: float

    def slack(self, value: float) -> float:
        """How far inside the bound ``value`` is (negative: by how much it is broken)."""
        return self.bound - value if self.kind == "max" else value - self.bound

    def violation(self, value: float) -> float:
        """The shortfall relative to the bound (0 when met); absolute when the bound is 0."""
        scale = abs(self.bound) if self.bound != 0 else 1.0
        return max(0.0, -self.slack(value)) / scale

    def describe(self) -> str:
        return f"{self.metric} {'≤' if self.kind == 'max' else '≥'} {self.bound:,.6g}"


def _constraints(spec: Mapping[str, Any] | None) -> list[Constraint]:
    if spec is None:
        return []
    if not isinstance(spec, Mapping):
        raise ValidationError("constraints: expected a mapping of metric → {'max': bound} "
                              f"or {{'min': bound}}, got {spec!r}")
    out = []
    for name, bounds in spec.items():
        where = f"constraints[{name!r}]"
        if not isinstance(bounds, Mapping) or not bounds or set(bounds) - {"max", "min"}:
            raise ValidationError(f"{where}: expected {{'max': bound}} and/or "
                                  f"{{'min': bound}}, got {bounds!r}")
        for kind in ("min", "max"):
            if kind in bounds:
                out.append(Constraint(str(name), kind, _number(bounds[kind], f"{where}.{kind}")))
    return out


# ----------------------------------------------------------------------------- evaluation
def _seed_int(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(2, np.uint64)[0])


@attrs.define
class _Evaluator:
    """Simulates candidates on common random numbers; one simulation per distinct candidate."""

    scenario: Scenario
    params: list[Parameter]
    metrics: list[_Metric]
    settings: dict[str, Any]
    cache: dict[tuple[Any, ...], np.ndarray] = attrs.field(factory=dict)
    order: list[tuple[Any, ...]] = attrs.field(factory=list)

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
        return np.array([self.cache[k] for k in keys]).reshape(len(keys), len(self.metrics))

    def _simulate(self, candidates: list[dict[str, Any]]) -> list[SimulationResult]:
        """Every candidate simulated with the same seed, together: candidates that share the
        drivers of spend are settled on one set of draws, counting the losses the metrics
        ask for."""
        if not candidates:
            return []
        settings = dict(self.settings)
        n, years, seed = settings.pop("n"), settings.pop("years"), settings.pop("seed")
        return run([_variant(self.scenario, values) for values in candidates], n, years, seed,
                   track_losses=_tracked(self.metrics), **settings)

    def table(self) -> pd.DataFrame:
        rows = [{**{p.path: _display(p.value(k)) for p, k in zip(self.params, key, strict=True)},
                 **dict(zip([m.name for m in self.metrics], self.cache[key], strict=True))}
                for key in self.order]
        return pd.DataFrame(rows, index=pd.RangeIndex(len(rows), name="candidate"))


def _display(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_display(v) for v in value)
    return value


def _tracked(metrics: Sequence[_Metric]) -> dict[str, list[float]]:
    """The losses a simulation must count for ``metrics`` (its ``track_losses``).

    Examples
    --------
    >>> _tracked([metric("max_band_prob_loss_over_3pct"), metric("commissioner_tvar95")])
    {'loss_fraction': [0.03]}
    """
    return {"loss_fraction": sorted({m.loss_fraction for m in metrics
                                     if m.loss_fraction is not None})}


def measure(result: SimulationResult, metrics: Sequence[_Metric]) -> np.ndarray:
    """The values of ``metrics`` for one simulation result (one ``metrics()`` call each).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> res = pbc.Scenario.example(high_cost_threshold=None).simulate(n=100, method="normal")
    >>> v = measure(res, [metric("commissioner_tvar95"), metric("expected_freed_up")])
    >>> bool(v[0] == res.commissioner_risk(0.95)["tvar"])
    True
    """
    cache = _Cache()
    return np.array([m.compute(result, cache) for m in metrics], dtype=float)


def _settings(n: Any, years: Any, seed: Any, method: str, chunk_size: int | None
              ) -> dict[str, Any]:
    n, years = _check_counts(n, years)
    if method not in METHODS:
        raise ValidationError(f"method: must be one of {METHODS}, got {method!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise ValidationError(f"seed: expected a whole number >= 0 or None, got {seed!r}")
    return {"n": n, "years": years, "seed": seed, "method": method, "chunk_size": chunk_size}


def _check_drivers(params: list[Parameter], n: int) -> None:
    drivers = [p.path for p in params if p.driver]
    if drivers and n < DRIVER_MIN_SIMULATIONS:
        raise ValidationError(
            f"space: {_labels(drivers)} change(s) what drives spend, so candidates see "
            f"different outturns; use n >= {DRIVER_MIN_SIMULATIONS:,} simulations (got "
            f"n={n:,}) or fix those fields and design the policy alone")


def _resolve_seed(seed: int | None) -> int:
    """A seed the search can repeat: ``None`` becomes fresh entropy, drawn once."""
    return _seed_int(np.random.SeedSequence()) if seed is None else int(seed)


# ----------------------------------------------------------------------------- optimise
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
        """The candidates searched (see :func:`pbcmodel.plot.design.plot_design`)."""
        from ..plot import design as designplot

        return designplot.plot_design(self, ax=ax)

    def describe(self) -> list[str]:
        """The design in words: chosen parameters, aims, effort."""
        lines = [f"{path} = {value!r}" for path, value in self.parameters.items()]
        lines.append(f"{'maximise' if self.maximise else 'minimise'} {self.objective}: "
                     f"{self.figures.iloc[0]['fresh']:,.6g} on fresh draws "
                     f"(± {self.figures.iloc[0]['fresh_se']:,.3g})")
        for name, row in self.constraints.iterrows():
            lines.append(f"{row['aim']}: {row['fresh']:,.6g} on fresh draws, slack "
                         f"{row['fresh_slack']:,.6g} ({name})")
        if not self.feasible:
            lines.append("no candidate met every constraint: this is the least-violating one")
        lines.append(f"{self.evaluations} candidates × {self.n:,} simulations × {self.years} "
                     f"year(s), seed {self.seed}; fresh draws: {self.replicates} × "
                     f"{self.final_n:,} simulations")
        return lines

    def __repr__(self) -> str:
        return "Design(" + "; ".join(self.describe()) + ")"

    def _repr_html_(self) -> str:
        shown = self.figures.drop(columns=["metric", "aim"])
        return summary_html(f"Design of {self.scenario.name!r}"
                            + ("" if self.feasible else " (infeasible)"),
                            shown, self.describe(), float_format="{:,.4g}")


def _fresh_figures(scn: Scenario, metrics: list[_Metric], settings: dict[str, Any],
                   seeds: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    runs = np.array([measure(simulate(scn, **{**settings, "seed": s},
                                      track_losses=_tracked(metrics)), metrics)
                     for s in seeds])
    sd = runs.std(axis=0, ddof=1)
    return runs.mean(axis=0), sd / np.sqrt(len(seeds)), sd


def _choose(values: np.ndarray, objective: int, constraints: list[Constraint],
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


def _members(params: list[Parameter]) -> int:
    return max(8, 5 * len(params))


#: Most bisection steps of the final refinement (taken from ``max_evaluations``).
REFINE_STEPS = 6


def _refine(evaluator: _Evaluator, aims: list[Constraint], index: list[int], sign: float,
            steps: int) -> None:
    """Bisect between the best feasible candidate and the nearest infeasible one that
    scores better: where a constraint binds, the optimum lies on that boundary, which
    differential evolution approaches only slowly."""
    box = np.array([p.box for p in evaluator.params])
    width = np.where(box[:, 1] > box[:, 0], box[:, 1] - box[:, 0], 1.0)
    for _ in range(steps):
        keys = np.array(evaluator.order, dtype=float)
        values = np.array([evaluator.cache[k] for k in evaluator.order])
        best, feasible, _ = _choose(values, 0, aims, index, sign)
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
             n: int = 2_000, years: int = 1, seed: int | None = 0, method: str = "fft",
             chunk_size: int | None = None, max_evaluations: int = 200, replicates: int = 5,
             final_n: int | None = None) -> Design:
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
        A metric (:data:`METRICS`) to minimise, or to maximise with ``maximise=True``.
    constraints : mapping, optional
        Metric → ``{"max": bound}`` and/or ``{"min": bound}``, in the metric's units.
    n, years, seed, method, chunk_size
        As for :meth:`Scenario.simulate`; every candidate uses the same ``seed`` (common
        random numbers). ``seed=None`` draws one seed, recorded in the result.
    max_evaluations : int
        Most candidates to simulate in the search (the population is
        ``max(8, 5 × parameters)``; at least one population).
    replicates : int
        Simulations of the chosen policy on fresh draws (>= 2, for a standard error).
    final_n : int, optional
        Simulations in each fresh replicate (default ``n``).

    Returns
    -------
    Design

    Raises
    ------
    ValidationError
        A bad space (see :func:`parse_space`), an unknown metric, a badly formed constraint,
        bad counts, or a space over a driver of spend with ``n`` below
        :data:`DRIVER_MIN_SIMULATIONS` — all before anything is simulated.

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
    ...                 n=100, method="normal", max_evaluations=8, replicates=2)
    >>> best.parameters["overspend.practice_share"]      # bearing more cuts the tail
    1.0
    >>> best.figures.columns.tolist()[:5]
    ['metric', 'role', 'aim', 'bound', 'search']
    """
    params = parse_space(scenario, space)
    if scenario.cost_model is None:
        raise ValidationError("scenario: it has no cost_model to simulate; add cost_model=... "
                              "(e.g. pbc.datasets.example_cost_model())")
    aims = _constraints(constraints)
    names = list(dict.fromkeys([objective, *[c.metric for c in aims]]))
    metrics = [metric(name, scenario, role="objective" if i == 0 else "constraints")
               for i, name in enumerate(names)]
    settings = _settings(n, years, _resolve_seed(seed), method, chunk_size)
    _check_drivers(params, settings["n"])
    members = _members(params)
    max_evaluations = _check_counts(max_evaluations, 1, name="max_evaluations")[0]
    if max_evaluations < members:
        raise ValidationError(f"max_evaluations: at least {members} for {len(params)} "
                              f"parameter(s) (one population), got {max_evaluations}")
    replicates = _check_counts(replicates, 1, name="replicates")[0]
    if replicates < 2:
        raise ValidationError(f"replicates: at least 2 (for a standard error), got {replicates}")
    final_n = settings["n"] if final_n is None else _check_counts(final_n, 1, name="final_n")[0]

    root = np.random.SeedSequence(settings["seed"])
    search_rng, fresh = root.spawn(2)
    evaluator = _Evaluator(scenario, params, metrics, settings)
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
    current = [p.coordinate(_current(scenario, p.path)) for p in params]
    refine = min(REFINE_STEPS, max_evaluations - members)
    solution = optimize.differential_evolution(
        energy, box, init=init, rng=rng,
        maxiter=max(0, (max_evaluations - refine) // members - 1),
        polish=False, vectorized=True, updating="deferred", tol=0.0, atol=0.0,
        x0=None if None in current else np.array(current, dtype=float),
        integrality=[p.integral for p in params],
        constraints=(optimize.NonlinearConstraint(scaled, -np.inf, 0.0) if aims else ()))
    _refine(evaluator, aims, index, sign, refine)
    table = evaluator.table()
    values = table[names].to_numpy()
    best, feasible, total = _choose(values, 0, aims, index, sign)
    table["feasible"], table["violation"] = feasible, total
    table["chosen"] = table.index == best
    key = evaluator.order[best]
    chosen_values = evaluator.values(key)
    chosen = _variant(scenario, chosen_values, name=f"{scenario.name}-designed")
    seeds = [_seed_int(s) for s in fresh.spawn(replicates)]
    mean, se, sd = _fresh_figures(chosen, metrics, {**settings, "n": final_n}, seeds)
    figures = _figures(names, aims, values[best], mean, se, sd, maximise)
    design = Design(scenario=chosen, parameters=chosen_values, objective=objective,
                    maximise=bool(maximise), feasible=bool(feasible[best]), figures=figures,
                    candidates=table, evaluations=len(evaluator.order),
                    generations=int(solution.nit), n=settings["n"], years=settings["years"],
                    seed=settings["seed"], final_n=final_n, replicates=replicates,
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


# ----------------------------------------------------------------------------- frontier
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
        return _variant(self.base, {p: _undisplay(row[p]) for p in self.paths},
                        name=f"{self.base.name}-candidate-{candidate}")

    def plot(self, ax: Any = None) -> Any:
        """The trade-off (see :func:`pbcmodel.plot.design.plot_frontier`)."""
        from ..plot import design as designplot

        return designplot.plot_frontier(self, ax=ax)

    def __repr__(self) -> str:
        return (f"Frontier({self.x} against {self.y}: {int(self.points['pareto'].sum())} "
                f"non-dominated of {len(self.points)} candidates, {self.n:,} simulations × "
                f"{self.years} year(s), seed {self.seed})")

    def _repr_html_(self) -> str:
        return summary_html(repr(self), self.pareto, [f"{self.x}: {metric(self.x).description}",
                                                      f"{self.y}: {metric(self.y).description}"],
                            float_format="{:,.4g}")


def _undisplay(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_undisplay(v) for v in value]
    return value


def frontier(scenario: Scenario, space: Mapping[str, Any], x: str = "commissioner_tvar95",
             y: str = "max_band_prob_loss_over_5pct", *,
             constraints: Mapping[str, Any] | None = None, points: int = 32, n: int = 2_000,
             years: int = 1, seed: int | None = 0, method: str = "fft",
             chunk_size: int | None = None) -> Frontier:
    """The trade-off between two metrics over a space: which policies are not dominated.

    Candidates are every combination when the space is all grids/choices and has at most
    ``points`` of them, else a Latin hypercube of ``points`` over the space, each
    simulated on common random numbers (the same ``seed``). A candidate is on the frontier
    when it meets ``constraints`` and no other feasible candidate is at least as good on
    both metrics and better on one (each metric's better direction from :data:`METRICS`).

    Returns
    -------
    Frontier

    Raises
    ------
    ValidationError
        As for :func:`optimise`, before anything is simulated.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example(high_cost_threshold=None)
    >>> f = frontier(scn, {"overspend.practice_share": [0.0, 0.5, 1.0]},
    ...              y="max_band_prob_loss_over_2pct", n=100, method="normal")
    >>> len(f.points), bool(f.pareto["commissioner_tvar95"].is_monotonic_increasing)
    (3, True)
    """
    params = parse_space(scenario, space)
    if scenario.cost_model is None:
        raise ValidationError("scenario: it has no cost_model to simulate; add cost_model=...")
    aims = _constraints(constraints)
    names = list(dict.fromkeys([x, y, *[c.metric for c in aims]]))
    metrics = [metric(name, scenario, role="x" if i == 0 else "y" if i == 1 else "constraints")
               for i, name in enumerate(names)]
    if x == y:
        raise ValidationError(f"y: the same metric as x ({x!r}); choose two different metrics")
    points = _check_counts(points, 1, name="points")[0]
    settings = _settings(n, years, _resolve_seed(seed), method, chunk_size)
    _check_drivers(params, settings["n"])
    evaluator = _Evaluator(scenario, params, metrics, settings)
    rng = np.random.default_rng(np.random.SeedSequence(settings["seed"]).spawn(1)[0])
    evaluator(_candidates(params, points, rng))
    table = evaluator.table()
    values = table[names].to_numpy()
    index = [names.index(c.metric) for c in aims]
    _, feasible, _ = _choose(values, 0, aims, index, 1.0)
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
                    paths=tuple(p.path for p in params), n=settings["n"],
                    years=settings["years"], seed=settings["seed"])


# ----------------------------------------------------------------------------- files
@attrs.frozen
class DesignSpec:
    """A design problem read from a file (see :func:`load_design_spec`)."""

    space: dict[str, Any]
    objective: str = "commissioner_tvar95"
    maximise: bool = False
    constraints: dict[str, Any] = attrs.field(factory=dict)
    x: str = "commissioner_tvar95"
    y: str = "max_band_prob_loss_over_5pct"
    points: int = 32


_SPEC_KEYS = {"space", "objective", "maximise", "constraints", "frontier"}


def load_design_spec(path: str | Path) -> DesignSpec:
    """Read a design problem from a TOML file.

    The file has a ``[space]`` table (dotted path → ``{bounds = [low, high]}``, with an
    optional ``step``, or ``{choices = [...]}``), optional ``objective`` and ``maximise``,
    a ``[constraints]`` table (metric → ``{max = ...}`` / ``{min = ...}``) and a
    ``[frontier]`` table (``x``, ``y``, ``points``).

    Raises
    ------
    ValidationError
        A missing or unreadable file, one not in UTF-8, bad TOML, or an unknown key (named
        with the file). A byte-order mark is accepted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "space.toml"
    >>> _ = p.write_text('[space."overspend.practice_share"]\\nbounds = [0.0, 1.0]\\n'
    ...                  '[constraints]\\nexpected_freed_up = {min = 1e6}\\n')
    >>> spec = load_design_spec(p)
    >>> spec.space
    {'overspend.practice_share': {'bounds': [0.0, 1.0]}}
    >>> spec.constraints
    {'expected_freed_up': {'min': 1000000.0}}
    """
    try:
        text, path = read_text_file(path, "design file", suffixes=(".toml",))
    except ConfigError as exc:   # documented as a ValidationError, like the rest of the file
        raise ValidationError(str(exc)) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{path}: not valid TOML ({exc})") from exc
    unknown = sorted(set(data) - _SPEC_KEYS)
    if unknown:
        raise ValidationError(f"{path}: {unknown[0]}: unknown key; expected one of "
                              f"{sorted(_SPEC_KEYS)}")
    if not isinstance(data.get("space"), dict) or not data["space"]:
        raise ValidationError(f"{path}: space: expected a [space] table of dotted path → "
                              "{bounds = [low, high]} or {choices = [...]}")
    front = data.get("frontier", {})
    if not isinstance(front, dict) or set(front) - {"x", "y", "points"}:
        raise ValidationError(f"{path}: frontier: expected a table with x, y and points")
    maximise = data.get("maximise", False)
    if not isinstance(maximise, bool):
        raise ValidationError(f"{path}: maximise: expected true or false, got {maximise!r}")
    constraints = data.get("constraints", {})
    if not isinstance(constraints, dict):
        raise ValidationError(f"{path}: constraints: expected a table, got {constraints!r}")
    return DesignSpec(space=data["space"], objective=data.get("objective",
                                                              "commissioner_tvar95"),
                      maximise=maximise, constraints=constraints,
                      **{k: front[k] for k in ("x", "y", "points") if k in front})
