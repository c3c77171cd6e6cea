"""The ``population`` key of a scenario file, written and read.

A scenario file (:mod:`pbcmodel.scenario.config`) gives its population in one of three forms:

* ``{dataset = "example"}`` (or ``"synthetic"``, with its options): the embedded data;
* ``{registered_patients = "file.csv", consortia = "map.csv"}``: NHS Digital's registered
  patients file and an optional practice → consortium map, paths relative to the scenario
  file's folder (:func:`~pbcmodel.io.read_registered_patients`); an error names the key and
  the file, never the file's content;
* the full table: ``cells`` (``"age_band/sex"`` strings) and ``practices``, a list of
  ``{practice, consortium, commissioner, counts, cost_index}``, read in the order listed,
  each with its ``cost_index`` (for every practice or none), and ``str_labels``, the labels
  (of ``practice``, ``consortium``, ``commissioner``) held as pandas' ``str`` dtype, the
  others being read as object.

:func:`population_data` writes the short form when the population equals the embedded
example and the full table otherwise, so :func:`read_population` reads back an equal
population (order, cost index and label types kept). The small helpers every key of a
scenario file uses to refuse bad data at its key path (:func:`config_error`,
:func:`mapping_at`, :func:`check_keys`, :func:`read_cells`, :func:`read_dataset`) live here
too, so :mod:`~pbcmodel.scenario.config` imports them from this module and not the reverse.

Examples
--------
>>> from pbcmodel import datasets
>>> pop = datasets.example_population().subset(consortium="C2")
>>> data = population_data(pop)
>>> sorted(data), data["str_labels"]
(['cells', 'practices', 'str_labels'], ['practice'])
>>> read_population(data, "$.population", None) == pop
True
>>> read_population({"dataset": "example", "size": 3}, "$.population", None)
Traceback (most recent call last):
...
pbcmodel.errors.ConfigError: $.population: bad options for dataset 'example': ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import datasets
from ..errors import ConfigError, PBCModelError
from ..io import read_registered_patients
from ..population import Population

__all__ = ["check_keys", "config_error", "mapping_at", "population_data", "read_cells",
           "read_dataset", "read_population"]

#: The labels of a population's practices (its codes, then its hierarchy's columns).
_LABELS = ("practice", "consortium", "commissioner")


# ----------------------------------------------------------------------------- key paths
def config_error(path: str, message: str) -> ConfigError:
    """A :class:`~pbcmodel.errors.ConfigError` naming the key path: ``"$.a.b: message"``.

    Examples
    --------
    >>> config_error("$.resource", "missing")
    ConfigError('$.resource: missing')
    """
    return ConfigError(f"{path}: {message}")


def mapping_at(value: Any, path: str) -> Mapping[str, Any]:
    """``value`` if it is a table, else a :class:`~pbcmodel.errors.ConfigError` at ``path``.

    Examples
    --------
    >>> mapping_at([1], "$.population")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ConfigError: $.population: expected a table, got list
    """
    if not isinstance(value, Mapping):
        raise config_error(path, f"expected a table, got {type(value).__name__}")
    return value


def check_keys(data: Mapping[str, Any], allowed: set[str], path: str) -> None:
    """Refuse a key of ``data`` not in ``allowed``, naming its path and the keys allowed.

    Examples
    --------
    >>> check_keys({"sd": 0.1, "sigma": 1}, {"sd"}, "$.practice_effects")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ConfigError: $.practice_effects.sigma: unknown key; expected one of ['sd']
    """
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise config_error(f"{path}.{unknown[0]}",
                           f"unknown key; expected one of {sorted(allowed)}")


def read_cells(data: Mapping[str, Any], path: str) -> pd.MultiIndex:
    """The ``cells`` of a table (``"age_band/sex"`` strings) as an (age_band, sex) index.

    Examples
    --------
    >>> read_cells({"cells": ["0_4/F", "0_4/M"]}, "$.population").tolist()
    [('0_4', 'F'), ('0_4', 'M')]
    """
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise config_error(f"{path}.cells", "expected a list of 'age_band/sex' strings")
    try:
        pairs = [tuple(str(c).split("/")) for c in cells]
        return pd.MultiIndex.from_tuples(pairs, names=["age_band", "sex"])
    except (TypeError, ValueError) as exc:
        raise config_error(f"{path}.cells",
                           "expected 'age_band/sex' strings such as '0_4/F'") from exc


def read_dataset(data: Mapping[str, Any], path: str,
                 makers: Mapping[str, Callable[..., Any]]) -> Any:
    """The embedded data a ``{dataset = name, ...}`` table names: ``makers[name]`` called
    with the table's other keys; an unknown name or option is refused at ``path``.

    Examples
    --------
    >>> read_dataset({"dataset": "toy"}, "$.population", {"example": dict})
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ConfigError: $.population.dataset: unknown dataset 'toy'; expected one ...
    """
    name = data["dataset"]
    if not isinstance(name, str) or name not in makers:
        raise config_error(f"{path}.dataset",
                           f"unknown dataset {name!r}; expected one of {list(makers)}")
    kwargs = {k: v for k, v in data.items() if k != "dataset"}
    try:
        return makers[name](**kwargs)
    except TypeError as exc:
        raise config_error(path, f"bad options for dataset {name!r}: {exc}") from exc


# ----------------------------------------------------------------------------- the population
def population_data(pop: Population) -> dict[str, Any]:
    """A population as the ``population`` key of a scenario file: the example's short form,
    else every practice in the population's order (with its ``cost_index`` when it has one)
    and the labels held as pandas' ``str`` dtype; :func:`read_population` reads it back.

    Examples
    --------
    >>> from pbcmodel import datasets
    >>> population_data(datasets.example_population())
    {'dataset': 'example'}
    >>> data = population_data(datasets.example_population().subset(consortium="C1"))
    >>> data["cells"][:2], data["practices"][0]
    (['0_4/F', '0_4/M'], {'practice': 'P001', 'consortium': 'C1', 'commissioner': ...})
    """
    if pop == datasets.example_population():
        return {"dataset": "example"}
    rows: list[dict[str, Any]] = [
        {"practice": str(code), "consortium": str(h["consortium"]),
         "commissioner": str(h["commissioner"]), "counts": [int(c) for c in counts]}
        for code, h, counts in zip(pop.codes, pop.hierarchy.to_dict("records"),
                                   pop.counts.to_numpy(), strict=True)]
    if pop.cost_index is not None:
        for row, index in zip(rows, pop.cost_index.to_numpy(), strict=True):
            row["cost_index"] = float(index)
    data: dict[str, Any] = {"cells": [f"{a}/{s}" for a, s in pop.counts.columns],
                            "practices": rows}
    labels = {"practice": pop.codes.dtype, **pop.hierarchy.dtypes.to_dict()}
    str_labels = [name for name in _LABELS if isinstance(labels[name], pd.StringDtype)]
    if str_labels:
        data["str_labels"] = str_labels
    return data


def read_population(data: Any, path: str, base: Path | None) -> Population:
    """The population a scenario file's ``population`` key gives, at key path ``path``:
    ``{dataset = ...}``, registered-patient files (relative to the folder ``base``) or the
    full table of :func:`population_data`, read in its order; errors name the key path.

    Examples
    --------
    >>> read_population({"dataset": "example"}, "$.population", None).codes[:2].tolist()
    ['P001', 'P002']
    >>> read_population({"cells": ["0_4/F"], "practices": [{"practice": "A", "counts": [1, 2]}]},
    ...                 "$.population", None)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ConfigError: $.population.practices[0].counts: expected a list of 1 ...
    """
    data = mapping_at(data, path)
    if "dataset" in data:
        return read_dataset(data, path, {"example": datasets.example_population,
                                         "synthetic": datasets.synthetic_commissioner})
    if "registered_patients" in data:
        check_keys(data, {"registered_patients", "consortia"}, path)
        return _population_files(data, path, base)
    check_keys(data, {"cells", "practices", "str_labels"}, path)
    cells = read_cells(data, path)
    rows = data.get("practices")
    if not isinstance(rows, list) or not rows:
        raise config_error(f"{path}.practices", "expected a non-empty list of practices")
    rows = [mapping_at(row, f"{path}.practices[{i}]") for i, row in enumerate(rows)]
    indexes = _cost_indexes(rows, f"{path}.practices")
    tidy = []
    for i, row in enumerate(rows):
        check_keys(row, {"practice", "consortium", "commissioner", "counts", "cost_index"},
                   f"{path}.practices[{i}]")
        counts = row.get("counts")
        if not isinstance(counts, list) or len(counts) != len(cells):
            raise config_error(f"{path}.practices[{i}].counts",
                               f"expected a list of {len(cells)} patient counts")
        for (band, sex), n in zip(cells, counts, strict=True):
            tidy.append((row.get("practice"), row.get("consortium"),
                         row.get("commissioner", "ALL"), band, sex, n, indexes[i]))
    frame = pd.DataFrame(tidy, columns=["practice", "consortium", "commissioner", "age_band",
                                        "sex", "patients", "cost_index"])
    if indexes[0] is None:
        frame = frame.drop(columns="cost_index")
    pop = Population.from_frame(frame, sort=False)     # in the file's order, as written
    return _with_str_labels(pop, data.get("str_labels", []), f"{path}.str_labels")


def _cost_indexes(rows: list[Mapping[str, Any]], path: str) -> list[float | None]:
    """Each practice's ``cost_index``: a number for every practice, or for none."""
    given = ["cost_index" in row for row in rows]
    if any(given) and not all(given):
        i = given.index(not given[0])
        raise config_error(f"{path}[{i}].cost_index",
                           "given for some practices but not others; "
                           "give every practice a cost_index, or none")
    for i, row in enumerate(rows):
        value = row.get("cost_index", 1.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise config_error(f"{path}[{i}].cost_index", f"expected a number, got {value!r}")
    return [float(row["cost_index"]) if "cost_index" in row else None for row in rows]


def _with_str_labels(pop: Population, names: Any, path: str) -> Population:
    """``pop`` with the labels ``names`` (of :data:`_LABELS`) held as pandas' ``str`` dtype
    (as a population made from the England data holds them), the others as object."""
    if not isinstance(names, list) or not set(names) <= set(_LABELS):
        raise config_error(path, f"expected a list of some of {list(_LABELS)}, got {names!r}")
    if not names:
        return pop
    codes = pop.codes.astype("str") if "practice" in names else pop.codes
    hierarchy = pop.hierarchy.set_axis(codes)
    for name in set(names) & {"consortium", "commissioner"}:
        hierarchy[name] = hierarchy[name].astype("str")
    cost_index = None if pop.cost_index is None else pop.cost_index.set_axis(codes)
    return Population(counts=pop.counts.set_axis(codes), hierarchy=hierarchy,
                      cost_index=cost_index)


def _population_files(data: Mapping[str, Any], path: str, base: Path | None) -> Population:
    """Read the files a scenario names; errors name the key and the file, never its content.

    A file without the expected columns is probably not the file meant (a wrong path), so
    its message lists the columns missing but not the header found, which could be the first
    line of any file on the machine.
    """
    patients = _path(data["registered_patients"], base, f"{path}.registered_patients")
    consortia = (_path(data["consortia"], base, f"{path}.consortia")
                 if data.get("consortia") is not None else None)
    try:
        return read_registered_patients(patients, consortia=consortia)
    except PBCModelError as exc:
        message, found, _ = str(exc).partition("; found ")
        key = "consortia" if message.startswith("consortia") else "registered_patients"
        hint = " (is it the right file?)" if found else ""
        raise config_error(f"{path}.{key}", message + hint) from exc


def _path(value: Any, base: Path | None, key: str) -> Path:
    """A file named in a scenario, relative to the scenario file's folder."""
    if not isinstance(value, str) or not value.strip():
        raise config_error(key, f"expected a file name, got {value!r}")
    p = Path(value).expanduser()
    return p if p.is_absolute() or base is None else base / p
