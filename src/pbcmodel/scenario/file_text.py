"""The text of a scenario or design file: read safely, parsed, nested no deeper than needed.

One place refuses what is wrong with a file as a whole, before its keys are read
(:mod:`~pbcmodel.scenario.config` reads those): a folder, a missing file, another suffix,
a file larger than :data:`MAX_FILE_BYTES`, text that is not UTF-8, a syntax error (with its
line and column), JSON's ``NaN``/``Infinity``, a JSON key given twice in one object (TOML's
own parser refuses that), and nesting deeper than :data:`MAX_DEPTH`. Every refusal is a
:class:`~pbcmodel.errors.ConfigError` that begins with what was being read; read from a
path, the message begins with the file (:func:`in_file`).

Examples
--------
>>> import json, tomllib
>>> parse_text('resource = 1e8', "scenario TOML", tomllib.loads, tomllib.TOMLDecodeError)
{'resource': 100000000.0}
>>> parse_text('resource = ', "scenario TOML", tomllib.loads, tomllib.TOMLDecodeError)
Traceback (most recent call last):
...
pbcmodel.errors.ConfigError: scenario TOML: Invalid value (at end of document)
>>> parse_text('{"overspend": {"cap": 1, "cap": 2}}', "scenario JSON", loads_json,
...            json.JSONDecodeError)
Traceback (most recent call last):
...
pbcmodel.errors.ConfigError: scenario JSON: $.overspend.cap: given twice; give each key once
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "check_depth", "in_file", "loads_json", "no_constant",
           "parse_text", "read_text_file"]


#: Deepest nesting of tables and lists a scenario file may have (a real one needs 4:
#: ``$.population.practices[0].counts``); deeper files are refused before they are read.
MAX_DEPTH = 16
_TOO_DEEP = (f"nested more than {MAX_DEPTH} levels deep; a scenario or design file needs "
             "at most a few")


def check_depth(data: Any, what: str) -> None:
    """Refuse data nested deeper than :data:`MAX_DEPTH` (checked without recursion)."""
    stack = [(data, "$", 0)]
    while stack:
        value, where, depth = stack.pop()
        children: list[tuple[str, Any]] = []
        if isinstance(value, Mapping):
            children = [(f"{where}.{k}", v) for k, v in value.items()]
        elif isinstance(value, list):
            children = [(f"{where}[{i}]", v) for i, v in enumerate(value)]
        if children and depth >= MAX_DEPTH:
            raise ConfigError(f"{where}: {what} is {_TOO_DEEP}")
        stack.extend((child, path, depth + 1) for path, child in children)


def _text(text: Any, what: str) -> str:
    if not isinstance(text, str):
        raise ConfigError(f"{what}: expected text (str), got {type(text).__name__}")
    return text.removeprefix("\ufeff")


def parse_text(text: Any, what: str, parse: Callable[[str], Any],
           syntax_error: type[Exception]) -> Any:
    """Plain data from the text of a scenario file: ``what`` begins every error (a syntax
    error gives the line and column, a :class:`~pbcmodel.errors.ConfigError` from ``parse``
    its key path); nesting deeper than :data:`MAX_DEPTH` is refused."""
    try:
        data = parse(_text(text, what))
    except (syntax_error, ConfigError) as exc:
        raise ConfigError(f"{what}: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{what}: lists or tables (brackets inside brackets) are "
                          f"{_TOO_DEEP}") from exc
    check_depth(data, what)
    return data


def no_constant(name: str) -> float:
    """Refuse JSON's NaN and Infinity (``json.loads(..., parse_constant=no_constant)``)."""
    raise ConfigError(f"{name} is not allowed (numbers must be finite)")


def loads_json(text: str) -> Any:
    """JSON text as plain data; NaN and Infinity are refused (:func:`no_constant`), and so is a
    key given twice in one object (``json.loads`` would keep the last), named by its key path.

    Examples
    --------
    >>> loads_json('{"resource": 1e8, "resource": 2e8}')
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ConfigError: $.resource: given twice; give each key once
    """
    repeated: list[tuple[dict[str, Any], str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) < len(items):         # rare: find the first key given twice
            seen: set[str] = set()
            for key, _ in items:
                if key in seen:
                    repeated.append((obj, key))
                    break
                seen.add(key)
        return obj

    data = json.loads(text, parse_constant=no_constant, object_pairs_hook=pairs)
    if repeated:
        obj, key = repeated[0]
        raise ConfigError(f"{_path_to(data, obj)}.{key}: given twice; give each key once")
    return data


def _path_to(data: Any, target: object) -> str:
    """The key path of ``target`` (an object inside ``data``), found without recursion."""
    stack = [(data, "$")]
    while stack:
        value, where = stack.pop()
        if value is target:
            return where
        if isinstance(value, Mapping):
            stack.extend((v, f"{where}.{k}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(value))
    raise AssertionError("unreachable")   # pragma: no cover


@contextmanager
def in_file(path: Path) -> Iterator[None]:
    """Every :class:`~pbcmodel.errors.ConfigError` raised inside begins with the file read.

    Examples
    --------
    >>> from pathlib import Path
    >>> with in_file(Path("bad.toml")):
    ...     raise ConfigError("$.overspend.practice_share: must be in [0.0, 1.0], got 2")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ConfigError: bad.toml: $.overspend.practice_share: must be in [0.0, 1.0], got 2
    """
    try:
        yield
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def read_text_file(path: Any, what: str = "scenario",
                   suffixes: tuple[str, ...] = (".toml", ".json")) -> tuple[str, Path]:
    """The text of a scenario or design file, and its path.

    UTF-8, with or without a byte-order mark; any other encoding is refused with the byte
    and line where it fails. A folder, a missing file, another suffix or a file larger than
    :data:`MAX_FILE_BYTES` is refused too, each a :class:`~pbcmodel.errors.ConfigError`
    that begins with ``what`` and names the file.

    Examples
    --------
    >>> read_text_file("nope.toml", "design")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ConfigError: design: no such file 'nope.toml'
    """
    if not isinstance(path, (str, PathLike)) or str(path) == "":
        raise ConfigError(f"{what}: expected a file path, got {path!r}")
    p = Path(path)
    name = repr(str(p))
    expected = " or ".join(suffixes)
    if p.is_dir():
        raise ConfigError(f"{what}: {name} is a folder; expected a {expected} file")
    if not p.is_file():
        raise ConfigError(f"{what}: no such file {name}")
    if p.suffix.lower() not in suffixes:
        raise ConfigError(f"{what}: {p.name!r} must end in {expected}")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {name}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"{what}: {name} is {len(raw):,} bytes; a {what} file is at most "
                          f"{MAX_FILE_BYTES:,} (put large tables in CSV files it names)")
    try:
        return raw.decode("utf-8-sig"), p
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{what}: {name} is not UTF-8 text (byte 0x{raw[exc.start]:02x} "
                          f"on line {line}); save it as UTF-8") from exc


#: Largest scenario file read (bytes): a full national population written inline fits.
MAX_FILE_BYTES = 256 * 2**20
