"""Building blocks of the sharing rules (private; imported by sharing, overspend, settlement).

One side of a sharing rule (:class:`_SideRule`), the signed amount for a
variance (:func:`shared_amount`), tier validation, and the checks that turn
money, conditions and practice-indexed Series into arrays.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from ._validate import _labels, check_fraction, finite_array, finite_scalar, require_same_codes
from .errors import ValidationError

Tiers = tuple[tuple[float, float], ...]


def _to_tiers(value: Any) -> Tiers:
    """attrs converter: any sequence of pairs → a tuple of (float, float)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return value  # left for the validator to reject with a clear message
    out = []
    for item in value:
        try:
            threshold, share = item
        except (TypeError, ValueError):
            return value
        out.append((threshold, share))
    return tuple(out)


def _check_tiers(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: non-empty tiers, thresholds >= 0 strictly increasing, shares in [0, 1]."""
    name = attribute.name
    if not isinstance(value, tuple) or not value:
        raise ValidationError(
            f"{name}: expected a non-empty list of (threshold, share) pairs, got {value!r}")
    previous = -np.inf
    for i, (threshold, share) in enumerate(value):
        t = finite_scalar(threshold, f"{name}[{i}] threshold")
        if t < 0:
            raise ValidationError(f"{name}[{i}] threshold: must be >= 0, got {threshold!r}")
        if t <= previous:
            raise ValidationError(
                f"{name}[{i}] threshold: thresholds must be strictly increasing, "
                f"got {threshold!r} after {previous!r}")
        previous = t
        check_fraction(share, f"{name}[{i}] share")


def _optional_cap(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: ``None`` (no cap) or a finite number >= 0 (a fraction of budget)."""
    if value is None:
        return
    v = finite_scalar(value, attribute.name)
    if v < 0:
        raise ValidationError(f"{attribute.name}: a cap must be >= 0 (or None), got {value!r}")


def _rate(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: a minimum rate in [0, 1)."""
    check_fraction(value, attribute.name, high_open=True)


@attrs.frozen(kw_only=True)
class _SideRule:
    """One side (savings or losses) of a sharing rule, in any money unit (private)."""

    tiers: Tiers
    minimum_rate: float = 0.0
    first_dollar: bool = True
    cap: float | None = None

    def amount(self, excess: np.ndarray, budget: np.ndarray,
               factor: np.ndarray | float = 1.0) -> np.ndarray:
        """The practice's (non-negative) amount for a non-negative ``excess`` over/under budget.

        ``factor`` (gates) multiplies the amount before the cap is applied. The
        result is non-decreasing in ``excess`` (each step is monotone in
        floating point too) and is a new array of the broadcast shape.
        """
        shape = np.broadcast_shapes(np.shape(excess), np.shape(budget))
        if self.is_zero:
            return np.zeros(shape)
        if shape == ():                       # numpy scalars cannot be written in place
            one = self.amount(np.reshape(excess, (1,)), np.reshape(budget, (1,)), factor)
            return one.reshape(())
        excess = np.broadcast_to(excess, shape)
        floor = self.minimum_rate * budget
        # Work in place on arrays created here (never on ``excess`` or on ``base``, which
        # later tiers still need): fewer temporaries, same arithmetic.
        if self.first_dollar:
            base = excess
        else:
            base = excess - floor
            np.maximum(base, 0.0, out=base)
        total = None
        for k, (threshold, share) in enumerate(self.tiers):
            if share == 0.0:
                continue
            if threshold == 0.0:
                part, fresh = base, False
            else:
                part, fresh = base - threshold * budget, True
                np.maximum(part, 0.0, out=part)
            if k + 1 < len(self.tiers):
                width = (self.tiers[k + 1][0] - threshold) * budget
                part = np.minimum(part, width, out=part if fresh else None)
                fresh = True
            if share != 1.0:
                part = np.multiply(part, share, out=part if fresh else None)
                fresh = True
            if total is None:
                total = part if fresh else part.copy()
            else:
                total += part
        if self.minimum_rate > 0.0 and self.first_dollar:
            total *= excess >= floor          # a multiply: faster than where
        if not (np.ndim(factor) == 0 and float(factor) == 1.0):
            total = total * factor
        if self.cap is not None:
            np.minimum(total, self.cap * budget, out=total)
        return total

    @property
    def is_zero(self) -> bool:
        return all(share == 0.0 for _, share in self.tiers) or self.cap == 0.0

    def describe(self, what: str) -> str:
        """Plain-English statement of the rule, e.g. '70% of the underspend'."""
        def pct(x: float) -> str:
            return f"{100 * x:g}%"
        if self.is_zero:
            return f"none of the {what}"
        if len(self.tiers) == 1 and self.tiers[0][0] == 0.0:
            text = f"{pct(self.tiers[0][1])} of the {what}"
        else:
            parts = []
            for k, (t, share) in enumerate(self.tiers):
                if k + 1 == len(self.tiers):
                    parts.append(f"{pct(share)} beyond {pct(t)}")
                elif t == 0.0:
                    parts.append(f"{pct(share)} up to {pct(self.tiers[k + 1][0])}")
                else:
                    parts.append(f"{pct(share)} from {pct(t)} to {pct(self.tiers[k + 1][0])}")
            text = f"the practice's share of the {what}: " + ", ".join(parts) + " of budget"
        if self.minimum_rate > 0:
            how = "from the first pound" if self.first_dollar else "of the excess only"
            text += (f", once it reaches {pct(self.minimum_rate)} of budget ({how})")
        if self.cap is not None:
            text += f", capped at {pct(self.cap)} of budget"
        return text


def shared_amount(budget: np.ndarray, variance: np.ndarray, savings: _SideRule,
                  losses: _SideRule, factor: np.ndarray | float = 1.0) -> np.ndarray:
    """Signed practice amount for ``variance = budget − outturn`` (private building block).

    Used by :meth:`ShareSchedule.practice_amount` (float pounds) and by the
    settlement core (float pence, then rounded), so the rule lives in one place.
    """
    gain = savings.amount(np.maximum(variance, 0.0), budget, factor)
    over = np.negative(variance)
    over = np.maximum(over, 0.0, out=over if isinstance(over, np.ndarray) else None)
    loss = losses.amount(over, budget)
    # exact: each side is zero wherever the other is not
    return np.subtract(gain, loss, out=gain) if gain.ndim else gain - loss


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


def _cap_value(value: Any, name: str) -> float:
    v = finite_scalar(value, name)
    if v < 0:
        raise ValidationError(f"{name}: a cap must be >= 0, got {value!r}")
    return v
