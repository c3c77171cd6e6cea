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


def whole_number(value: Any, name: str, *, minimum: int = 1,
                 maximum: int | None = None) -> int:
    """A whole number in ``[minimum, maximum]``; 2.5 is an error, never 2.

    Examples
    --------
    >>> whole_number(3.0, "years")
    3
    >>> whole_number(2.5, "years")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: years: must be a whole number >= 1, got 2.5
    """
    expected = f"a whole number >= {minimum}" + ("" if maximum is None else f" and <= {maximum:,}")
    if isinstance(value, bool) or isinstance(value, (str, bytes)):
        raise ValidationError(f"{name}: must be {expected}, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"{name}: must be {expected}, got {value!r}") from None
    if (not np.isfinite(v) or v != np.floor(v) or v < minimum
            or (maximum is not None and v > maximum)):
        raise ValidationError(f"{name}: must be {expected}, got {value!r}")
    return int(value) if isinstance(value, (int, np.integer)) else int(v)


def frames_equal(a: Any, b: Any) -> bool:
    """Equality for attrs fields that may hold DataFrames/Series (same type and ``equals``)."""
    if isinstance(a, (pd.DataFrame, pd.Series)) or isinstance(b, (pd.DataFrame, pd.Series)):
        return type(a) is type(b) and a.equals(b)
    return bool(a == b)


# money, conditions and practice-indexed Series -------------------------------------------

def money_array(values: Any, name: str, *, positive: bool = False) -> np.ndarray:
    """Finite float array of money; budgets must be > 0, outturns >= 0."""
    arr = finite_array(values, name)
    bad = arr <= 0 if positive else arr < 0
    if bad.any():
        where = np.argwhere(bad)[:5].tolist() if arr.ndim else []
        expected = "> 0" if positive else ">= 0"
        raise ValidationError(f"{name}: must be {expected}, bad value(s) at position(s) {where}")
    return arr


def condition_array(value: Any, name: str, *, scale: bool) -> np.ndarray:
    """Validate a gate/incentive condition: booleans, or numbers in [0, 1] when ``scale``."""
    arr = np.asarray(value.to_numpy() if isinstance(value, pd.Series) else value)
    if scale:
        arr = finite_array(arr, f"condition {name!r}")
        if ((arr < 0) | (arr > 1)).any():
            raise ValidationError(f"condition {name!r}: a scaling value must be in [0, 1]")
        return arr
    if arr.dtype.kind != "b":
        raise ValidationError(
            f"condition {name!r}: expected True/False (a bool or boolean array/Series), "
            f"got dtype {arr.dtype}")
    return arr.astype(float)


def align_condition(value: Any, index: pd.Index, label: str) -> Any:
    """A per-practice value given as a Series, checked against and reindexed to the codes."""
    if isinstance(value, pd.Series):
        require_same_codes(index, value.index, label)
        return value.reindex(index).to_numpy()
    return value


def align_series(budget: Any, outturn: Any) -> tuple[pd.Series, pd.Series]:
    """Budget and outturn as float Series with the same practice codes, outturn reindexed."""
    if not (isinstance(budget, pd.Series) and isinstance(outturn, pd.Series)):
        raise ValidationError("budget, outturn: pass both as Series (indexed by practice code) "
                              "or both as numbers/arrays")
    if budget.index.has_duplicates:
        duplicated = budget.index[budget.index.duplicated()]
        raise ValidationError(f"budget: duplicated practice code(s) {_labels(duplicated)}")
    require_same_codes(budget.index, outturn.index, "outturn")
    outturn = outturn.reindex(budget.index)
    money_array(budget.to_numpy(dtype=float), "budget", positive=True)
    money_array(outturn.to_numpy(dtype=float), "outturn")
    return budget.astype(float), outturn.astype(float)


# attrs validators -----------------------------------------------------------------------

def optional_cap(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: ``None`` (no cap) or a finite number >= 0 (a fraction of budget)."""
    if value is None:
        return
    v = finite_scalar(value, attribute.name)
    if v < 0:
        raise ValidationError(f"{attribute.name}: a cap must be >= 0 (or None), got {value!r}")


def non_negative(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: a finite number >= 0."""
    check_positive(value, attribute.name, strict=False)
