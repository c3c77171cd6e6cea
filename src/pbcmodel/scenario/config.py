"""Scenario files: a :class:`~pbcmodel.scenario.Scenario` to and from TOML and JSON.

This module turns plain data into the parts of a scenario and back; it never imports the
:class:`~pbcmodel.scenario.Scenario` class itself (the class passes itself in), so the
composer depends on its file format and not the other way round.

A scenario file is plain data. Policies (``savings``, ``overspend``, ``incentives``,
``formula.pace``, ``cost_model``) are (un)structured with cattrs, refusing unknown keys; an
error names the key path, e.g. ``$.overspend.practice_share``. Large tables have short forms
for the embedded example data (``{dataset = "example"}``) and for files
(``{registered_patients = "file.csv", consortia = "map.csv"}``, paths relative to the
scenario file). Writing uses the short form where the data equal the embedded example, and
the full table otherwise, so ``Scenario.from_toml(s.to_toml()) == s`` exactly. A full
population lists its practices in its own order (kept when read), each with its ``cost_index``
when it has one, and ``str_labels`` names the labels (``practice``, ``consortium``,
``commissioner``) held as pandas' ``str`` dtype, the others being read as object
(:mod:`~pbcmodel.scenario.population_file` writes and reads the ``population`` key).

**Real England.** A file that says ``dataset = "england"`` takes its population, formula,
resource and cost model from NHS England's practice weighted populations embedded in
pbcmodel, as :func:`~pbcmodel.scenario.england.england_scenario` makes them (an
:class:`~pbcmodel.scenario.source.EnglandSource`)::

    dataset = "england"
    icb = "QWO"            # an ICB code of the year's weighted populations (required)
    year = "2026/27"       # optional: one of pbcmodel.datasets.ENGLAND_YEARS (default the first)
    footprint = "pcn"      # optional: pcn | place | icb, the consortia (default: place)
    holder = "consortium"  # optional, as in any file

Every other key applies as usual over England's defaults (70/30 freed-up rule, 2% tolerance
then half of an overspend borne capped at 5%, a 2% common shock, practice effects of Dixon et
al. 2011): ``[savings]``, ``[overspend]``, ``[incentives]``, ``[withhold]``,
``[practice_effects]``, ``name``, ``resource`` (default the practices' expected spend) and
the rest. ``population``, ``formula`` or ``cost_model`` beside ``dataset = "england"`` is
refused, naming both; ``icb``, ``year`` or ``footprint`` without it too. Errors name the key
(``$.icb: 'XYZ' is not an ICB of the 2026/27 weighted populations; e.g. QE1, ...``). Such a
scenario remembers its source (``Scenario.source``), and is written back in this short form
(``resource`` only when not the default), which reads back equal, while the source still
makes its population, formula and cost model; otherwise every table is written whole.
``examples/england_qwo.toml`` is one such file.

A quality withhold (``[withhold]``, a :class:`~pbcmodel.withhold.QualityWithhold`) is its
``fraction`` of the budget and the ``condition`` that earns it back, a key of
``[conditions]``::

    [withhold]
    fraction = 0.02
    condition = "quality_met"

Practice effects (``[practice_effects]``, a :class:`~pbcmodel.risk.effects.PracticeEffects`)
are ``sd`` and ``persistence``, and optionally the known first-year effects as tables of
practice code → number, ``centre`` and ``uncertainty``::

    [practice_effects]
    sd = 0.1
    persistence = 0.8
    centre = {P001 = 0.05}

The formula's experience rating (``[formula.experience]``, a
:class:`~pbcmodel.credibility.ExperienceRating`) is written inline, as ``historic`` is: the
list of ``years``, then one table per frame (``actual``, ``expected``, ``list_size`` and
optionally ``high_cost``) of practice → {year → number}. A year left out of a practice's
table is missing (no observation), which is not the same as 0; a practice with an empty
table has no history (``z = 0``)::

    [formula.experience]
    years = ["2024", "2025"]
    actual = {P001 = {"2024" = 1.31e6, "2025" = 1.42e6}, P002 = {"2025" = 2.2e6}, P003 = {}}
    expected = {P001 = {"2024" = 1.25e6, "2025" = 1.3e6}, P002 = {"2025" = 2.3e6}, P003 = {}}
    list_size = {P001 = {"2024" = 1500, "2025" = 1520}, P002 = {"2025" = 2610}, P003 = {}}

Examples
--------
>>> from pbcmodel import Scenario
>>> from pbcmodel.scenario.config import from_toml
>>> scn = from_toml('''
... name = "pbc-70-30"
... resource = 510e6
... population = {dataset = "example"}
... [formula]
... weights = {dataset = "example"}
... top_slices = {contingency = 0.01}
... [savings]
... savings = [[0.0, 0.7]]
... ''', Scenario)
>>> scn.savings.savings, scn.formula.top_slices
(((0.0, 0.7),), {'contingency': 0.01})
>>> from_toml(scn.to_toml(), Scenario) == scn
True
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
import cattrs.gen
import cattrs.v
import numpy as np
import pandas as pd
import tomli_w

from .. import datasets
from ..capitation import CapitationFormula, PaceOfChange
from ..credibility import ExperienceRating, LearningBudgets
from ..errors import ConfigError, PBCModelError, ValidationError
from ..incentives import Incentives
from ..overspend import OverspendPolicy
from ..risk.costmodel import CostModel
from ..risk.effects import PracticeEffects
from ..sharing import Gate, ShareSchedule
from ..withhold import QualityWithhold
from .file_text import in_file, loads_json, parse_text, read_text_file
from .population_file import (
    check_keys,
    config_error,
    mapping_at,
    population_data,
    read_cells,
    read_dataset,
    read_population,
)
from .source import EnglandSource

T = TypeVar("T")

__all__ = ["from_json", "from_toml", "load_scenario", "read_text_file", "structure_scenario",
           "to_json", "to_toml", "unstructure_scenario"]

_converter = cattrs.Converter(forbid_extra_keys=True)

#: Keys a scenario file must have (the others have defaults).
_REQUIRED = ("resource", "population", "formula")
#: The keys of a scenario made from the embedded England data (:class:`EnglandSource`).
_ENGLAND_KEYS = ("dataset", "icb", "year", "footprint")
#: The one Scenario field that is not a key of its own: where the scenario came from,
#: written as the England keys (``dataset``, ``icb``, ``year``, ``footprint``).
SOURCE_FIELD = "source"
#: What ``dataset = "england"`` makes, so a file may not give them too.
_FROM_ENGLAND = ("population", "formula", "cost_model")
_EXPERIENCE_FRAMES = ("actual", "expected", "list_size", "high_cost")


# ----------------------------------------------------------------------------- writing
def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _weights_data(weights: pd.DataFrame) -> dict[str, Any]:
    if weights.equals(datasets.example_cost_weights()):
        return {"dataset": "example"}
    out: dict[str, Any] = {"cells": [f"{a}/{s}" for a, s in weights.index]}
    out.update({str(pod): [float(v) for v in weights[pod]] for pod in weights.columns})
    return out


def _series_data(values: Any) -> Any:
    if isinstance(values, pd.Series):
        return {str(k): float(v) for k, v in values.items()}
    return values


def _historic_data(historic: pd.Series | None) -> Any:
    if historic is None:
        return None
    example = datasets.example_historic_budgets().sum(axis=1)
    if historic.index.equals(example.index) and np.array_equal(historic.to_numpy(),
                                                               example.to_numpy()):
        return {"dataset": "example"}
    return _series_data(historic)


def _experience_data(rating: ExperienceRating | None) -> Any:
    """An experience rating as ``years`` and practice → {year → number} tables (no NaN)."""
    if rating is None:
        return None
    data: dict[str, Any] = {"years": [str(y) for y in rating.actual.columns]}
    for key in _EXPERIENCE_FRAMES:
        frame = getattr(rating, key)
        if frame is None:
            continue
        years = [str(y) for y in frame.columns]
        data[key] = {str(code): {y: float(v) for y, v in zip(years, row, strict=True)
                                 if not np.isnan(v)}
                     for code, row in zip(frame.index, frame.to_numpy(), strict=True)}
    return data


def _effects_data(effects: PracticeEffects | None) -> Any:
    if effects is None:
        return None
    return {"sd": effects.sd, "persistence": effects.persistence,
            "centre": _series_data(effects.centre),
            "uncertainty": _series_data(effects.uncertainty)}


def unstructure_scenario(scn: Any) -> dict[str, Any]:
    """A scenario as plain data (no None values, so it fits TOML): ``dataset = "england"``
    and its ICB when the scenario's source still makes it, else every table whole."""
    data = _drop_none(_write(scn, _SCENARIO_KEYS))
    return _england_data(scn, data) or data


def _england_data(scn: Any, data: dict[str, Any]) -> dict[str, Any] | None:
    """The short form of a scenario made from the England data: its source's keys and the
    keys it does not make, without ``resource`` when it is the source's default; ``None``
    when no short form reads back equal to ``scn`` (no source, or parts changed since)."""
    source = getattr(scn, SOURCE_FIELD, None)
    if source is None:
        return None
    keys = {"dataset": "england", **_drop_none(attrs.asdict(source))}
    rest = {k: v for k, v in data.items() if k not in _FROM_ENGLAND}
    for short in ({**keys, **{k: v for k, v in rest.items() if k != "resource"}},
                  {**keys, **rest}):
        if structure_scenario(short, type(scn)) == scn:
            return short
    return None


def _write(obj: Any, keys: Mapping[str, _Key]) -> dict[str, Any]:
    """Every key of a table, in order, written from the attribute of ``obj`` it names."""
    return {key: how.write(getattr(obj, key)) for key, how in keys.items()}


def _policy_data(policy: Any) -> Any:
    return _converter.unstructure(policy) if policy else None


def _conditions_data(conditions: Mapping[str, Any]) -> Any:
    return {k: _series_data(v) for k, v in conditions.items()} or None


def _cost_model_data(model: Any) -> Any:
    if model is None:
        return None
    if model == datasets.example_cost_model():
        return {"dataset": "example"}
    frame = model.to_frame()
    data: dict[str, Any] = {"family": model.family}
    data.update({col: [v.item() if isinstance(v, np.generic) else v for v in frame[col]]
                 for col in ("age_band", "sex", "pod", "p_use", "mean", "cv")})
    return data


def to_toml(scn: Any) -> str:
    """TOML text for a scenario."""
    return tomli_w.dumps(unstructure_scenario(scn))


def to_json(scn: Any) -> str:
    """JSON text for a scenario."""
    return json.dumps(unstructure_scenario(scn), indent=2)


# ----------------------------------------------------------------------------- reading
def _weights(data: Any, path: str) -> pd.DataFrame:
    data = mapping_at(data, path)
    if "dataset" in data:
        return read_dataset(data, path, {"example": datasets.example_cost_weights})
    cells = read_cells(data, path)
    columns = {k: v for k, v in data.items() if k != "cells"}
    for pod, values in columns.items():
        numbers = isinstance(values, list) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if not numbers or len(values) != len(cells):
            raise config_error(f"{path}.{pod}", f"expected a list of {len(cells)} numbers")
    return pd.DataFrame(columns, index=cells, dtype=float)


def _historic(data: Any, path: str) -> Any:
    data = mapping_at(data, path)
    if "dataset" in data:
        return read_dataset(data, path, {"example": datasets.example_historic_budgets})
    return pd.Series(dict(data), dtype=float)


def _experience(data: Any, path: str) -> ExperienceRating:
    """``[formula.experience]``: ``years`` and practice → {year → number} tables."""
    data = mapping_at(data, path)
    check_keys(data, {"years", *_EXPERIENCE_FRAMES}, path)
    for key in ("years", "actual", "expected", "list_size"):
        if key not in data:
            raise config_error(f"{path}.{key}", "missing; an experience rating needs years, "
                                                "actual, expected and list_size")
    years = data["years"]
    if (not isinstance(years, list) or not years
            or not all(isinstance(y, (str, int)) and not isinstance(y, bool) for y in years)):
        raise config_error(f"{path}.years",
                           f"expected a non-empty list of year labels, got {years!r}")
    years = [str(y) for y in years]
    if len(set(years)) != len(years):
        raise config_error(f"{path}.years", f"a year is listed twice: {years}")
    frames = {key: _practice_years(data[key], years, f"{path}.{key}")
              for key in _EXPERIENCE_FRAMES if key in data}
    return _wrap(lambda: ExperienceRating(**frames), path, ExperienceRating)


def _practice_years(data: Any, years: list[str], path: str) -> pd.DataFrame:
    """A table of practice → {year → number} as a practice × year frame (NaN: not given)."""
    data = mapping_at(data, path)
    rows = []
    for code, row in data.items():
        row = mapping_at(row, f"{path}.{code}")
        for year, value in row.items():
            if year not in years:
                raise config_error(f"{path}.{code}.{year}",
                                   f"unknown year; expected one of {years}")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise config_error(f"{path}.{code}.{year}", f"expected a number, got {value!r}")
        rows.append([float(row[y]) if y in row else np.nan for y in years])
    return pd.DataFrame(np.array(rows, dtype=float).reshape(len(rows), len(years)),
                        index=pd.Index([str(c) for c in data], name="practice"),
                        columns=pd.Index(years, name="year"))


def _multiplier(value: Any, path: str) -> Any:
    """A number, or a table of practice code → number."""
    if not isinstance(value, Mapping):
        return value
    bad = {k: v for k, v in value.items()
           if isinstance(v, bool) or not isinstance(v, (int, float))}
    if bad:
        code, got = next(iter(bad.items()))
        raise config_error(f"{path}.{code}", f"expected a number, got {got!r}")
    return pd.Series(dict(value), dtype=float)


def _practice_effects(data: Any, path: str) -> PracticeEffects:
    """``[practice_effects]``: ``sd``, ``persistence`` and optional practice → number tables."""
    data = mapping_at(data, path)
    check_keys(data, {"sd", "persistence", "centre", "uncertainty"}, path)
    for key in ("sd", "persistence"):
        if key not in data:
            raise config_error(f"{path}.{key}",
                               "missing; practice effects need sd and persistence")
    tables = {key: _multiplier(value, f"{path}.{key}") for key, value in data.items()}
    kwargs = {key: v.to_dict() if isinstance(v, pd.Series) else v for key, v in tables.items()}
    return _wrap(lambda: PracticeEffects(**kwargs), path, PracticeEffects)


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, PBCModelError):
        return str(exc)
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        allowed = sorted(attrs.fields_dict(exc.cl)) if attrs.has(exc.cl) else []
        return f"{sorted(exc.extra_fields)[0]}: unknown key; expected one of {allowed}"
    return cattrs.v.format_exception(exc, type_)


def _structure(value: Any, cls: type, path: str) -> Any:
    """cattrs structuring with errors as ``$.path.field: message``."""
    try:
        return _converter.structure(value, cls)
    except cattrs.BaseValidationError as exc:
        messages = []
        for text in cattrs.transform_error(exc, path=path, format_exception=_format_exception):
            message, _, where = text.rpartition(" @ ")
            unknown = message.partition(": ")[2].startswith("unknown key")
            messages.append(f"{where}.{message}" if unknown else _at_path(where, message, cls))
        raise ConfigError("; ".join(messages)) from exc
    except PBCModelError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _structure_gate(value: Any, _: Any) -> Gate:
    if isinstance(value, str):
        return Gate(value)
    return _gate_from_dict(value, Gate)


_gate_from_dict = cattrs.gen.make_dict_structure_fn(Gate, _converter,
                                                    _cattrs_forbid_extra_keys=True)
_converter.register_structure_hook(Gate, _structure_gate)


def _structure_whole(value: Any, _: Any) -> int:
    """A whole number: 2 or 2.0, never 2.5 silently truncated, nor ``true`` or ``"2"``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not float(value).is_integer():
        raise ValidationError(f"expected a whole number, got {value!r}")
    return int(value)


def _structure_number(value: Any, _: Any) -> float:
    """A number written as a number (``"0.5"`` or ``true`` is not one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"expected a number, got {value!r}")
    return float(value)


def _structure_flag(value: Any, _: Any) -> bool:
    """``true`` or ``false`` (not 1, 0 or ``"yes"``)."""
    if not isinstance(value, bool):
        raise ValidationError(f"expected true or false, got {value!r}")
    return value


_converter.register_structure_hook(int, _structure_whole)
_converter.register_structure_hook(float, _structure_number)
_converter.register_structure_hook(bool, _structure_flag)


def _cost_model(data: Any, path: str) -> Any:
    data = mapping_at(data, path)
    if "dataset" in data:
        return read_dataset(data, path, {"example": datasets.example_cost_model})
    check_keys(data, {"family", "age_band", "sex", "pod", "p_use", "mean", "cv"}, path)
    frame = pd.DataFrame({k: v for k, v in data.items() if k != "family"})
    return CostModel.from_frame(frame, family=data.get("family", "lognormal"))


def structure_scenario(data: Mapping[str, Any], cls: type[T], *,
                       base_dir: Path | None = None) -> T:
    """Build a scenario of class ``cls`` from plain data; errors are :class:`ConfigError`
    naming the key path.

    Examples
    --------
    >>> from pbcmodel import Scenario
    >>> structure_scenario({"resource": 1e6, "population": {"dataset": "example"},
    ...                     "formula": {"weights": {"dataset": "example"}},
    ...                     "overspend": {"practice_share": 2}}, Scenario)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ConfigError: $.overspend.practice_share: must be in [0.0, 1.0], got 2.0
    """
    data = mapping_at(data, "$")
    check_keys(data, {*_SCENARIO_KEYS, *_ENGLAND_KEYS}, "$")
    if any(key in data for key in _ENGLAND_KEYS):
        return _england(data, cls, base_dir)
    for required in _REQUIRED:
        if required not in data:
            raise config_error(f"$.{required}", "missing; a scenario needs resource, "
                                                "population and formula")
    # the formula, then the population it must fit, then every other key in file order
    formula = _read(data, "formula", base_dir)
    population = _read(data, "population", base_dir)
    if formula.experience is not None:
        _wrap(lambda: formula.experience.check_practices(population.codes, "experience"),
              "$.formula", CapitationFormula)
    kwargs: dict[str, Any] = {"population": population, "formula": formula}
    kwargs.update((key, _read(data, key, base_dir)) for key in _SCENARIO_KEYS
                  if key in data and key not in kwargs)
    return _wrap(lambda: cls(**kwargs), "$", cls)


def _england(data: Mapping[str, Any], cls: type[T], base_dir: Path | None) -> T:
    """A scenario file with ``dataset = "england"``: the population, formula, resource and
    cost model from :class:`EnglandSource`, every other key of the file over them."""
    if data.get("dataset") != "england":
        if "dataset" not in data:
            key = next(k for k in _ENGLAND_KEYS if k in data)
            raise config_error(f"$.{key}", 'only with dataset = "england" (an ICB of the '
                                           'embedded weighted populations)')
        raise config_error("$.dataset", f"unknown dataset {data['dataset']!r}; expected "
                                        "'england' (the example population is population = "
                                        '{dataset = "example"})')
    both = [key for key in _FROM_ENGLAND if key in data]
    if both:
        raise config_error(f"$.{both[0]}", f'given with dataset = "england", which makes the '
                                           f"{both[0]}; give dataset or {both[0]}, not both")
    if "icb" not in data:
        raise config_error("$.icb", 'missing; dataset = "england" needs an ICB code, e.g. '
                                    'icb = "QWO"')
    source = _wrap(lambda: EnglandSource(**{k: data[k] for k in _ENGLAND_KEYS[1:]
                                            if k in data}), "$", EnglandSource)
    parts = _wrap(lambda: source.parts(data.get("resource")), "$.icb")   # with the source
    parts.update((key, _read(data, key, base_dir)) for key in _SCENARIO_KEYS
                 if key in data and key != "resource")
    return _wrap(lambda: cls(**parts), "$", cls)


def _read(data: Mapping[str, Any], key: str, base_dir: Path | None) -> Any:
    """The value of one key of a scenario file, read as :data:`_SCENARIO_KEYS` says."""
    return _SCENARIO_KEYS[key].read(data[key], f"$.{key}", base_dir)


def _formula(data: Any, path: str) -> CapitationFormula:
    """``[formula]``: its keys read as :data:`_FORMULA_KEYS` says, in order."""
    data = mapping_at(data, path)
    check_keys(data, set(_FORMULA_KEYS), path)
    if "weights" not in data:
        raise config_error(f"{path}.weights", "missing")
    kwargs = {key: how.read(data[key], f"{path}.{key}", None)
              for key, how in _FORMULA_KEYS.items() if key in data}
    return _wrap(lambda: CapitationFormula(**kwargs), path, CapitationFormula)


@attrs.frozen
class _Key:
    """How one key of a scenario file is written (from the value of the attribute it names)
    and read back (from the plain data at a key path, with the scenario file's folder)."""

    write: Callable[[Any], Any] = lambda value: value
    read: Callable[[Any, str, Path | None], Any] = lambda value, path, base: value


def _policy(cls: type) -> _Key:
    """A policy value object, (un)structured by cattrs."""
    return _Key(_policy_data, _reads(lambda value, path: _structure(value, cls, path)))


def _reads(read: Callable[[Any, str], Any]) -> Callable[[Any, str, Path | None], Any]:
    """A reader of (value, key path) that needs no folder."""
    return lambda value, path, _: read(value, path)


def _wrapped(read: Callable[[Any, str], Any]) -> Callable[[Any, str, Path | None], Any]:
    """A reader of (value, key path) whose every error is reported at its key path."""
    return lambda value, path, _: _wrap(lambda: read(value, path), path)


def _conditions(data: Any, path: str) -> dict[str, Any]:
    return {k: _multiplier(v, f"{path}.{k}") for k, v in mapping_at(data, path).items()}


#: Every key of ``[formula]`` (the fields of a CapitationFormula), in the order written.
_FORMULA_KEYS: dict[str, _Key] = {
    "weights": _Key(_weights_data, _reads(_weights)),
    "top_slices": _Key(dict),
    "pace": _policy(PaceOfChange),
    "needs": _Key(_series_data, _reads(_multiplier)),
    "mff": _Key(_series_data, _reads(_multiplier)),
    "historic_blend": _Key(),
    "experience": _Key(_experience_data, _reads(_experience)),
}

#: Every key of a scenario file (the fields of a Scenario), in the order written.
_SCENARIO_KEYS: dict[str, _Key] = {
    "name": _Key(),
    "resource": _Key(),
    "population": _Key(population_data,
                       lambda value, path, base: _wrap(lambda: read_population(value, path, base),
                                                       path)),
    "formula": _Key(lambda formula: _write(formula, _FORMULA_KEYS), _reads(_formula)),
    "cost_model": _Key(_cost_model_data, _wrapped(_cost_model)),
    "savings": _policy(ShareSchedule),
    "overspend": _policy(OverspendPolicy),
    "incentives": _policy(Incentives),
    "historic": _Key(_historic_data, _wrapped(_historic)),
    "high_cost_threshold": _Key(),
    # written only when not 1 (a whole stop-loss), so files without a partial pool read as before
    "high_cost_pool_share": _Key(lambda share: None if share == 1 else share),
    "common_shock_cv": _Key(),
    "practice_effects": _Key(_effects_data, _reads(_practice_effects)),
    "resource_growth": _Key(),
    "cost_growth": _Key(),
    "conditions": _Key(_conditions_data, _reads(_conditions)),
    "learning": _policy(LearningBudgets),
    "holder": _Key(lambda holder: None if holder == "practice" else holder),
    "withhold": _policy(QualityWithhold),
}


def _wrap(make: Any, path: str, cls: type | None = None) -> Any:
    """Run ``make``; turn any error into a :class:`ConfigError` naming the key path.

    A message that starts with a field of ``cls`` (``"resource: must be > 0"``) is reported
    at that field's path (``"$.resource: must be > 0"``).
    """
    try:
        return make()
    except ConfigError:
        raise
    except (PBCModelError, TypeError, ValueError) as exc:
        raise ConfigError(_at_path(path, str(exc), cls)) from exc


def _at_path(path: str, message: str, cls: type | None) -> str:
    field, sep, rest = message.partition(": ")
    head = field.partition(".")[0].partition("[")[0]       # "centre['A']", "a.b": "centre", "a"
    if sep and cls is not None and attrs.has(cls) and head in {
            f.alias for f in attrs.fields(cls)}:
        return f"{path}.{field}: {rest}"
    return f"{path}: {message}"


def from_toml(text: str, cls: type[T], *, base_dir: Path | None = None) -> T:
    """A scenario from TOML text (syntax errors give the line and column).

    A leading byte-order mark is ignored; nesting deeper than
    :data:`~pbcmodel.scenario.file_text.MAX_DEPTH` is refused.

    Examples
    --------
    >>> from pbcmodel import Scenario
    >>> from_toml("x = " + "[" * 5000 + "]" * 5000, Scenario)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ConfigError: scenario TOML: lists or tables ... more than 16 levels deep; ...
    """
    data = parse_text(text, "scenario TOML", tomllib.loads, tomllib.TOMLDecodeError)
    return structure_scenario(data, cls, base_dir=base_dir)


def from_json(text: str, cls: type[T], *, base_dir: Path | None = None) -> T:
    """A scenario from JSON text (syntax errors give the line and column).

    A leading byte-order mark is ignored; a key given twice in one object, and nesting deeper
    than :data:`~pbcmodel.scenario.file_text.MAX_DEPTH`, are refused.

    Examples
    --------
    >>> from pbcmodel import Scenario
    >>> from_json('{"resource": 1e8, "resource": 2e8}', Scenario)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ConfigError: scenario JSON: $.resource: given twice; give each key once
    """
    data = parse_text(text, "scenario JSON", loads_json, json.JSONDecodeError)
    return structure_scenario(data, cls, base_dir=base_dir)


def load_scenario(path: str | Path, cls: type[T]) -> T:
    """Read a scenario file (``.toml`` or ``.json``); relative data paths are resolved
    against the file's folder, and every error begins with the file (``bad.toml: $.resource:
    ...``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = p.write_text('resource = 1e8\\npopulation = {dataset = "example"}\\n'
    ...                  'formula = {weights = {dataset = "example"}}\\n')
    >>> from pbcmodel import Scenario
    >>> load_scenario(p, Scenario).resource
    100000000.0
    """
    text, p = read_text_file(path)
    with in_file(p):
        if p.suffix.lower() == ".json":
            return from_json(text, cls, base_dir=p.parent)
        return from_toml(text, cls, base_dir=p.parent)
