"""A design problem read from a file: the space, the objective, the constraints, the frontier.

Examples
--------
>>> DesignSpec(space={"overspend.practice_share": [0.0, 1.0]}).objective
'commissioner_tvar95'
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import attrs

from ..errors import ConfigError, ValidationError
from ..scenario.file_text import parse_text, read_text_file

__all__ = ["DesignSpec", "load_design_spec"]

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
        A missing or unreadable file, one not in UTF-8, bad TOML (a key given twice, tables
        nested too deep), or an unknown key (named with the file). A byte-order mark is
        accepted.

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
        data = parse_text(text, "design TOML", tomllib.loads, tomllib.TOMLDecodeError)
    except ConfigError as exc:      # a syntax error, a key given twice, nesting too deep
        raise ValidationError(f"{path}: {exc}") from exc
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
