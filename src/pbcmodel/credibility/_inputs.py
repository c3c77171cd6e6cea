"""The input checks of the credibility modules: unit × period frames of numbers.

Private to :mod:`pbcmodel.credibility`: every frame its rules take is checked here, so an
error names the argument, and the unit and period at fault, the same way everywhere.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..validation import quoted

__all__ = ["FRAME_EQ", "aligned", "as_float_frame", "cells", "paired"]


def _frame_eq(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(a.equals(b))


#: attrs equality for a field holding a DataFrame or Series (or ``None``): equal contents.
FRAME_EQ = attrs.cmp_using(eq=_frame_eq)


def as_float_frame(df: Any, name: str) -> pd.DataFrame:
    """A unit × period frame of floats (NaN kept), raising on non-numbers and infinities."""
    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"{name}: expected a pandas DataFrame (unit × period), "
                              f"got {type(df).__name__}")
    if df.index.has_duplicates:
        raise ValidationError(
            f"{name}: duplicated unit(s) {quoted(df.index[df.index.duplicated()].unique())}")
    if df.columns.has_duplicates:
        raise ValidationError(f"{name}: duplicated period(s) "
                              f"{quoted(df.columns[df.columns.duplicated()].unique())}")
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            raise ValidationError(f"{name}: period {col!r} must hold numbers, "
                                  f"got dtype {s.dtype}")
    out = pd.DataFrame(df.to_numpy(dtype=float, na_value=np.nan), index=df.index,
                       columns=df.columns)
    inf = np.isinf(out.to_numpy())
    if inf.any():
        raise ValidationError(f"{name}: infinite value for unit/period {cells(out, inf)}")
    return out


def cells(df: pd.DataFrame, mask: np.ndarray) -> str:
    """The (unit, period) labels of the cells where ``mask`` is True, quoted for an error."""
    rows, cols = np.nonzero(mask)
    return quoted([(df.index[r], df.columns[c]) for r, c in zip(rows, cols, strict=True)])


def aligned(frame: pd.DataFrame, like: pd.DataFrame, name: str, like_name: str) -> pd.DataFrame:
    """``frame`` reindexed to ``like``'s units and periods, which it must list exactly."""
    for axis, word in [("index", "unit"), ("columns", "period")]:
        a, b = getattr(like, axis), getattr(frame, axis)
        missing, extra = a.difference(b), b.difference(a)
        if len(missing) or len(extra):
            parts = []
            if len(missing):
                parts.append(f"no {word}(s) {quoted(missing)} that {like_name} has")
            if len(extra):
                parts.append(f"{word}(s) {quoted(extra)} that {like_name} lacks")
            raise ValidationError(f"{name}: " + "; ".join(parts))
    return frame.reindex(index=like.index, columns=like.columns)


def paired(values: Any, weights: Any, value_name: str,
            weight_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values and their weights as float frames on the values' units and periods, checked
    pair by pair (a value needs a weight > 0, a weight > 0 a value; every unit observed
    once at least); the weights NaN where there is no value."""
    x = as_float_frame(values, value_name)
    w = aligned(as_float_frame(weights, weight_name), x, weight_name, value_name)
    xv, wv = x.to_numpy(), w.to_numpy()
    has_x, has_w = ~np.isnan(xv), ~np.isnan(wv)
    checks = [
        (has_x & ~has_w, f"{value_name} without a weight in {weight_name}"),
        (has_w & (wv > 0) & ~has_x, f"a {weight_name} weight without a value in {value_name}"),
        (has_x & has_w & (wv <= 0), f"{weight_name} must be > 0 where there is a value"),
        (has_w & (wv < 0), f"{weight_name} must not be negative"),
    ]
    for bad, what in checks:
        if bad.any():
            raise ValidationError(f"{what}: unit/period {cells(x, bad)}")
    empty = ~has_x.any(axis=1)
    if empty.any():
        raise ValidationError(f"{value_name}: no observation at all for unit(s) "
                              f"{quoted(x.index[empty])}")
    return x, w.where(has_x)
