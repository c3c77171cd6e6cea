"""Pace of change: how fast budgets move from last year's towards their fair-share target.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd
from scipy import optimize

from ..errors import ValidationError
from ..validation import (
    check_fraction,
    finite_scalar,
    finite_series,
    non_negative,
    number,
    quoted,
)

__all__ = ["BASES", "MAX_GAIN", "PaceOfChange", "pace_of_change", "pace_text"]


#: What pace-of-change limits are measured against (see :func:`pace_of_change`).
BASES: tuple[str, ...] = ("last_year", "average_uplift")

#: Largest yearly gain a pace-of-change limit may allow, as a fraction of last year's budget.
#: NHS limits are a few percent (0.05); a limit of a million-fold says "no cap on gains"
#: (a scenario file cannot say None), and anything larger is a typing slip or overflow.
MAX_GAIN = 1e6


def _check_gain(value: Any) -> float:
    """``max_gain`` as a float: a finite fraction in [0, :data:`MAX_GAIN`]."""
    v = finite_scalar(value, "max_gain")
    if not 0.0 <= v <= MAX_GAIN:
        raise ValidationError(
            f"max_gain: must be a fraction of last year's budget from 0 to {MAX_GAIN:,.0f} "
            f"(0.05 is a gain of at most 5% a year; {MAX_GAIN:,.0f} is no cap), got {value!r}")
    return v


def _check_basis(relative_to: Any) -> str:
    if relative_to not in BASES:
        raise ValidationError(f"relative_to: expected one of {', '.join(map(repr, BASES))}, "
                              f"got {relative_to!r}")
    return str(relative_to)


def pace_of_change(historic: pd.Series, target: pd.Series, max_gain: float, max_loss: float,
                   *, relative_to: str = "last_year") -> pd.Series:
    """Move budgets from historic towards target, limiting each practice's gain and loss.

    The result totals exactly what ``target`` totals. Each practice's budget lies within
    ``[base·(1 − max_loss), base·(1 + max_gain)]``. The ``base`` is a named choice:

    * ``relative_to="last_year"`` (default): last year's budget itself, so the limits are
      cash limits (a practice's budget falls by at most ``max_loss`` and rises by at most
      ``max_gain`` in pounds), as NHS growth floors and caps are stated;
    * ``relative_to="average_uplift"``: last year's budget scaled by the change in the
      total (this year's total ÷ last year's), so the limits apply to the change relative
      to the average uplift: with a 3% cut in the resource a practice may lose
      ``1 − 0.97·(1 − max_loss)`` in cash.

    Within the limits, budgets are as close to target as possible: ``budget =
    clip(target + c·base)`` with the one constant ``c`` that restores the total.

    Parameters
    ----------
    historic, target : Series
        Pounds per practice, same index. Historic budgets must be > 0.
    max_gain, max_loss : float
        Largest fractional gain and loss per year: ``max_gain`` in [0, :data:`MAX_GAIN`]
        (a million-fold: no cap), ``max_loss`` in [0, 1).
    relative_to : {"last_year", "average_uplift"}
        What the limits are measured against.

    Raises
    ------
    ValidationError
        On mismatched practices, non-positive historic budgets, bad limits, or cash limits
        that cannot reach the target total (``"last_year"``: e.g. ``max_gain=0.01`` for
        every practice cannot fund a 10% larger resource).

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
            f"historic: practices differ from target: {quoted(unknown)}"
            if len(unknown) else "historic: practices must be in the same order as target"
        )
    gain = _check_gain(max_gain)
    loss = check_fraction(max_loss, "max_loss", high_open=True)
    h = historic.to_numpy()
    if (h <= 0).any():
        raise ValidationError(
            f"historic: budgets must be > 0; practice(s) {quoted(historic.index[h <= 0])}"
        )
    t = target.to_numpy()
    total = t.sum()
    basis = _check_basis(relative_to)
    base = h * (total / h.sum()) if basis == "average_uplift" else h
    lo, hi = base * (1 - loss), base * (1 + gain)
    if lo.sum() > total * (1 + 1e-12) or hi.sum() < total * (1 - 1e-12):
        raise ValidationError(
            f"pace_of_change: cash limits against last year's budget (max_gain={gain:g}, "
            f"max_loss={loss:g}) cannot reach this year's total £{total:,.2f} from last "
            f"year's £{h.sum():,.2f}: the limits allow £{lo.sum():,.2f} to £{hi.sum():,.2f}; "
            "widen the limits, or set relative_to='average_uplift'"
        )

    def budget(c: float) -> np.ndarray:
        return np.clip(t + c * base, lo, hi)

    span = np.abs(t).max() / base.min() + 1 + gain + loss
    if hi.sum() <= total:  # limits bind everywhere (within rounding): every budget at its cap
        out = hi.copy()
    elif lo.sum() >= total:
        out = lo.copy()
    else:
        # bisection needs log2(2·span / xtol) steps: ~110 for a span of 1e18, so allow plenty
        c = optimize.brentq(lambda c: budget(c).sum() - total, -span, span,
                            xtol=1e-15, rtol=1e-15, maxiter=2_000)
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

    Parameters
    ----------
    max_gain, max_loss : float
        Largest fractional gain (in [0, :data:`MAX_GAIN`]; the largest means no cap) and
        loss (in [0, 1)) a year.
    relative_to : {"last_year", "average_uplift"}
        What the limits are measured against (see :func:`pace_of_change`): last year's
        budget in cash (default), or last year's budget scaled by the average uplift.

    Examples
    --------
    >>> pace = PaceOfChange(max_gain=0.05, max_loss=0.02)
    >>> pace
    PaceOfChange(max_gain=0.05, max_loss=0.02, relative_to='last_year')
    >>> pace.describe()
    "gain at most 5.0%, loss at most 2.0% a year, in cash against last year's budget"
    >>> PaceOfChange(max_gain=1.5e26, max_loss=0.02)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: max_gain: must be a fraction of last year's budget from 0 \
to 1,000,000 (0.05 is a gain of at most 5% a year; 1,000,000 is no cap), got 1.5e+26
    """

    max_gain: float = attrs.field(converter=lambda v: _check_gain(number(v, "max_gain")))
    max_loss: float = attrs.field(converter=lambda v: number(v, "max_loss"),
                                  validator=non_negative)
    relative_to: str = attrs.field(default="last_year", converter=_check_basis)

    def __attrs_post_init__(self) -> None:
        check_fraction(self.max_loss, "max_loss", high_open=True)

    def apply(self, historic: pd.Series, target: pd.Series) -> pd.Series:
        """:func:`pace_of_change` with these limits."""
        return pace_of_change(historic, target, self.max_gain, self.max_loss,
                              relative_to=self.relative_to)

    def describe(self) -> str:
        """The limits and what they are measured against, in words."""
        basis = ("in cash against last year's budget" if self.relative_to == "last_year" else
                 "against last year's budget scaled by the average uplift in the total")
        return (f"gain at most {self.max_gain:.1%}, loss at most {self.max_loss:.1%} a year, "
                f"{basis}")


def pace_text(pace: PaceOfChange | None) -> str:
    """The pace-of-change step of a budget's derivation, in words (for ``explain``)."""
    if pace is None:
        return "no pace-of-change limits: target budget applies"
    return f"limits: {pace.describe()}; total kept"
