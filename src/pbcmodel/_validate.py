"""Boundary validation helpers shared by the modules (private).

Each helper raises :class:`~pbcmodel.errors.ValidationError` whose message names
the culprit (a field, a row label or a code) and says what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .errors import ValidationError


def _labels(index: Iterable[Any], limit: int = 5) -> str:
    items = list(index)
    shown = ", ".join(repr(i) for i in items[:limit])
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return shown + more


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise if ``df`` lacks any of ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValidationError(
            f"{what}: missing column(s) {_labels(missing)}; found {_labels(df.columns, 20)}"
        )


def require_same_codes(expected: pd.Index, got: pd.Index, name: str) -> None:
    """Raise unless ``got`` lists exactly the practice codes of ``expected``, once each."""
    missing = expected.difference(got)
    extra = got.difference(expected)
    if len(missing) or len(extra) or got.has_duplicates:
        parts = []
        if len(missing):
            parts.append(f"missing practice code(s) {_labels(missing)}")
        if len(extra):
            parts.append(f"unknown practice code(s) {_labels(extra)}")
        if got.has_duplicates:
            parts.append(f"duplicated code(s) {_labels(got[got.duplicated()].unique())}")
        raise ValidationError(f"{name}: " + "; ".join(parts))


def finite_array(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a float array, raising if any entry is NaN or infinite."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected numbers, got {values!r}") from exc
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.argwhere(bad)[:5].tolist()
        raise ValidationError(f"{name}: NaN or infinite value at position(s) {where}")
    return arr


def finite_series(values: Any, name: str) -> pd.Series:
    """Return ``values`` as a float Series, raising on NaN/inf and naming the labels."""
    if isinstance(values, pd.DataFrame):
        raise ValidationError(f"{name}: expected a Series, got a DataFrame")
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    try:
        s = s.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected numbers") from exc
    bad = ~np.isfinite(s.to_numpy())
    if bad.any():
        raise ValidationError(f"{name}: NaN or infinite value for {_labels(s.index[bad])}")
    return s


def check_fraction(value: float, name: str, *, low: float = 0.0, high: float = 1.0,
                   high_open: bool = False) -> float:
    """Raise unless ``low <= value <= high`` (``< high`` when ``high_open``)."""
    v = finite_scalar(value, name)
    upper_ok = v < high if high_open else v <= high
    if not (v >= low and upper_ok):
        bracket = ")" if high_open else "]"
        raise ValidationError(f"{name}: must be in [{low}, {high}{bracket}, got {value!r}")
    return v


def finite_scalar(value: Any, name: str) -> float:
    """Return ``value`` as a finite float or raise."""
    if isinstance(value, bool):
        raise ValidationError(f"{name}: expected a number, got a bool")
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected a number, got {value!r}") from exc
    if not np.isfinite(v):
        raise ValidationError(f"{name}: must be finite, got {value!r}")
    return v


def check_positive(value: Any, name: str, *, strict: bool = True) -> float:
    """Raise unless ``value`` is > 0 (or >= 0 when ``strict`` is False)."""
    v = finite_scalar(value, name)
    if (v <= 0) if strict else (v < 0):
        expected = "> 0" if strict else ">= 0"
        raise ValidationError(f"{name}: must be {expected}, got {value!r}")
    return v


# attrs validators -----------------------------------------------------------------------

def fraction(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: a number in [0, 1]."""
    check_fraction(value, attribute.name)


def optional_fraction(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: ``None`` or a number in [0, 1]."""
    if value is not None:
        check_fraction(value, attribute.name)


def non_negative(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: a finite number >= 0."""
    check_positive(value, attribute.name, strict=False)


def positive(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: a finite number > 0."""
    check_positive(value, attribute.name)
