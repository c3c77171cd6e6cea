"""The search space of a policy design: parameters (dotted paths into a scenario), and aims.

A space maps a dotted path to bounds ``(low, high)``, a grid ``(low, high, step)`` or a list
of choices ``[a, b, ...]`` (in files: ``{bounds = [low, high], step = s}`` or
``{choices = [...]}``). A path may end in a key of a mapping field
(``"formula.top_slices.high_cost_pool"``). :func:`parse_space` checks every path by building
the scenario at both bounds and at every choice, so a path that names no field or a bound
the field's validator refuses fails before anything is simulated. A :class:`Constraint`
keeps a metric at most or at least a bound.

A space over a driver of spend (:data:`~pbcmodel.scenario.simulation.DRIVERS_OF_SPEND`)
breaks common outturns between candidates and needs at least
:data:`DRIVER_MIN_SIMULATIONS` simulations.

Examples
--------
>>> import pbcmodel as pbc
>>> [p.path for p in parse_space(pbc.Scenario.example(), {"overspend.tolerance": [0, 0.01]})]
['overspend.tolerance']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from ..errors import PBCModelError, ValidationError
from ..scenario.scenario import Scenario
from ..scenario.simulation import DRIVERS_OF_SPEND
from ..validation import quoted

__all__ = ["DRIVERS_OF_SPEND", "DRIVER_MIN_SIMULATIONS", "Constraint", "Parameter",
           "parse_space"]

#: Fewest simulations for a search over a driver of spend (the candidates' outturns differ).
DRIVER_MIN_SIMULATIONS = 5_000


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
        """Whether the path changes what drives spend (see
        :data:`~pbcmodel.scenario.simulation.DRIVERS_OF_SPEND`)."""
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


def make_variant(scn: Scenario, values: Mapping[str, Any], **extra: Any) -> Scenario:
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


def current_value(scn: Scenario, path: str) -> Any:
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
                make_variant(scenario, {p.path: value})
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


def parse_constraints(spec: Mapping[str, Any] | None) -> list[Constraint]:
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


def check_drivers(params: list[Parameter], n: int) -> None:
    drivers = [p.path for p in params if p.driver]
    if drivers and n < DRIVER_MIN_SIMULATIONS:
        raise ValidationError(
            f"space: {quoted(drivers)} change(s) what drives spend, so candidates see "
            f"different outturns; use n >= {DRIVER_MIN_SIMULATIONS:,} simulations (got "
            f"n={n:,}) or fix those fields and design the policy alone")
