"""Pace of change: how fast budgets move from last year's towards their fair-share target.
"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
from scipy import optimize

from .._validate import _labels, check_fraction, check_positive, finite_series, non_negative
from ..errors import ValidationError

__all__ = ["PaceOfChange", "pace_of_change", "pace_text"]


def pace_of_change(historic: pd.Series, target: pd.Series, max_gain: float, max_loss: float,
                   *, rescale: bool = True) -> pd.Series:
    """Move budgets from historic towards target, limiting each practice's gain and loss.

    The result totals exactly what ``target`` totals. Each practice's budget lies within
    ``[base·(1 − max_loss), base·(1 + max_gain)]`` where ``base`` is its historic budget
    rescaled to the target total (``rescale=True``, the usual practice: limits apply to
    change relative to the average uplift) or the historic budget itself (``rescale=False``).
    Within the limits, budgets are as close to target as possible: ``budget =
    clip(target + c·base)`` with the one constant ``c`` that restores the total.

    Parameters
    ----------
    historic, target : Series
        Pounds per practice, same index. Historic budgets must be > 0.
    max_gain, max_loss : float
        Largest fractional gain and loss per year (≥ 0; max_loss < 1).
    rescale : bool
        Apply the limits to historic budgets rescaled to the target total.

    Raises
    ------
    ValidationError
        On mismatched practices, non-positive historic budgets, bad limits, or limits that
        cannot reach the target total (only possible with ``rescale=False``).

    Examples
    --------
    A is capped at +5% (wants 110, gets 105), C at −2% (wants 90, gets 98); the 3 pounds
    that costs are found equally from B and D, which are free to move:

    >>> import pandas as pd
    >>> h = pd.Series({"A": 100.0, "B": 100.0, "C": 100.0, "D": 100.0})
    >>> t = pd.Series({"A": 110.0, "B": 100.0, "C": 90.0, "D": 100.0})
    >>> pace_of_change(h, t, max_gain=0.05, max_loss=0.02).round(6).tolist()
    [105.0, 98.5, 98.0, 98.5]
    """
    historic = finite_series(historic, "historic")
    target = finite_series(target, "target")
    if not historic.index.equals(target.index):
        unknown = historic.index.symmetric_difference(target.index)
        raise ValidationError(
            f"historic: practices differ from target: {_labels(unknown)}"
            if len(unknown) else "historic: practices must be in the same order as target"
        )
    gain = check_positive(max_gain, "max_gain", strict=False)
    loss = check_fraction(max_loss, "max_loss", high_open=True)
    h = historic.to_numpy()
    if (h <= 0).any():
        raise ValidationError(
            f"historic: budgets must be > 0; practice(s) {_labels(historic.index[h <= 0])}"
        )
    t = target.to_numpy()
    total = t.sum()
    base = h * (total / h.sum()) if rescale else h
    lo, hi = base * (1 - loss), base * (1 + gain)
    if lo.sum() > total * (1 + 1e-12) or hi.sum() < total * (1 - 1e-12):
        raise ValidationError(
            f"pace_of_change: max_gain={gain:g}/max_loss={loss:g} cannot reach the target total "
            f"{total:,.2f} from historic {h.sum():,.2f}: the limits allow "
            f"{lo.sum():,.2f} to {hi.sum():,.2f}"
        )

    def budget(c: float) -> np.ndarray:
        return np.clip(t + c * base, lo, hi)

    span = np.abs(t).max() / base.min() + 1 + gain + loss
    if hi.sum() <= total:  # limits bind everywhere (within rounding): every budget at its cap
        out = hi.copy()
    elif lo.sum() >= total:
        out = lo.copy()
    else:
        c = optimize.brentq(lambda c: budget(c).sum() - total, -span, span,
                            xtol=1e-15, rtol=1e-15)
        out = budget(c)
    free = (out > lo) & (out < hi)
    if not free.any():
        free[:] = True
    # spread the last rounding error over budgets not at a limit
    out[free] += (total - out.sum()) * base[free] / base[free].sum()
    return pd.Series(out, index=target.index, name=target.name)


@attrs.frozen
class PaceOfChange:
    """Limits on how fast budgets move from historic towards target.

    Examples
    --------
    >>> PaceOfChange(max_gain=0.05, max_loss=0.02)
    PaceOfChange(max_gain=0.05, max_loss=0.02, rescale=True)
    """

    max_gain: float = attrs.field(converter=float, validator=non_negative)
    max_loss: float = attrs.field(converter=float, validator=non_negative)
    rescale: bool = True

    def __attrs_post_init__(self) -> None:
        check_fraction(self.max_loss, "max_loss", high_open=True)

    def apply(self, historic: pd.Series, target: pd.Series) -> pd.Series:
        """:func:`pace_of_change` with these limits."""
        return pace_of_change(historic, target, self.max_gain, self.max_loss,
                              rescale=self.rescale)


def pace_text(pace: PaceOfChange | None) -> str:
    if pace is None:
        return "no pace-of-change limits: target budget applies"
    return (f"limits: gain at most {pace.max_gain:.1%}, loss at most {pace.max_loss:.1%} "
            "a year, total kept")
