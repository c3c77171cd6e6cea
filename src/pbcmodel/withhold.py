"""The quality withhold: part of a capitated budget held back, paid only if quality is met.

A :class:`QualityWithhold` holds back a ``fraction`` of each holder's budget and pays it
back at the year end where the condition it names (``condition``, a key of the scenario's
or the settlement's ``conditions``) holds; the part not earned back is kept by the
commissioner. It is the rule's one home: the amounts are worked out here, in integer pence,
and :func:`pbcmodel.settlement.core.settle_arrays` takes the unearned part from the
holder's amount (after sharing, before clawback; see there).

The model is CMS's ACO REACH quality withhold: a share of the benchmark held back and
earned back on the quality score. It was 2% of the benchmark in performance years
2023–2025 (ACO REACH Request for Applications, table 6.16) and rises to 5% in performance
year 2026, as summaries of CMS's PY 2026 model update (announced May 2025) report.

Rounding: the amount withheld is ``fraction × budget`` in pence rounded half up (half a
penny away from zero, as a spreadsheet's ``ROUND``), by :func:`pbcmodel.money.round_half_up`;
a partial earn-back is ``earned × withheld`` in pence rounded the same way, so it is never
more than was withheld.

Examples
--------
A budget of £1,000,000 with 2% withheld: £20,000 held back; earned back where quality is
met, kept by the commissioner where it is not:

>>> w = QualityWithhold(0.02)
>>> withheld, earned = w.amounts_pence([100_000_000, 100_000_000], [True, False])
>>> withheld.tolist(), earned.tolist()
([2000000, 2000000], [2000000, 0])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from .errors import ValidationError
from .money import round_half_up
from .validation import check_name, condition_array, finite_scalar, quoted

__all__ = ["QualityWithhold"]


def _fraction(value: Any) -> float:
    """The withheld fraction of the budget, a number in [0, 1], refused in the user's units."""
    if isinstance(value, str):
        raise ValidationError(
            f"fraction: expected a fraction of the budget as a number (0.02 for 2%), "
            f"got {value!r}")
    if value is None or isinstance(value, bool):
        raise ValidationError(f"fraction: expected a number, got {value!r}")
    v = finite_scalar(value, "fraction")
    if not 0.0 <= v <= 1.0:
        raise ValidationError(
            f"fraction: the withhold must be a fraction of the budget in [0, 1] (0.02 for "
            f"2%), got {value!r} ({v:.4g} × the budget, {100 * v:g}% of it)")
    return v


@attrs.frozen
class QualityWithhold:
    """Part of each budget held back and paid to the holder only where a condition holds.

    Parameters
    ----------
    fraction : float
        Fraction of the budget withheld, in [0, 1] (0.02 is 2%). More than the budget
        (above 1) cannot be withheld.
    condition : str, default "quality_met"
        The key in ``conditions`` (of the scenario, or of ``settle``) that earns the
        withhold back: True/False, or a Series of them per practice; or a number in
        [0, 1] per practice, the fraction earned back (a partial earn-back, as a quality
        score).

    Notes
    -----
    The part not earned back is kept by the commissioner: the holder's amount is reduced by
    it and the commissioner's raised, so ``practice_amount + commissioner_amount ==
    variance`` still holds to the penny. It is not a liability: it is never clawed back or
    recovered from future budgets, because it was never paid.

    Examples
    --------
    >>> QualityWithhold(0.02)
    QualityWithhold(fraction=0.02, condition='quality_met')
    >>> QualityWithhold(1.2)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: fraction: the withhold must be a fraction of the budget \
in [0, 1] (0.02 for 2%), got 1.2 (1.2 × the budget, 120% of it)
    """

    fraction: float = attrs.field(converter=_fraction)
    condition: str = attrs.field(default="quality_met",
                                 converter=lambda v: check_name(v, "condition"))

    def withheld_pence(self, budget_pence: Any) -> np.ndarray:
        """The amount held back from each budget, int64 pence (rounded half up).

        Examples
        --------
        >>> QualityWithhold(0.02).withheld_pence([100_000_000, 25, 75]).tolist()
        [2000000, 1, 2]
        """
        budget = np.asarray(budget_pence, dtype=np.int64)
        return round_half_up(self.fraction * budget.astype(float)).astype(np.int64)

    def earned(self, conditions: Mapping[str, Any]) -> np.ndarray:
        """The fraction of the withhold earned back, per practice (float array in [0, 1]):
        1 where the condition is True, 0 where it is False, or the number given.

        Raises
        ------
        ValidationError
            If the condition was not given (the message names its key), or is neither
            True/False nor a number in [0, 1].

        Examples
        --------
        >>> QualityWithhold(0.02).earned({"quality_met": [True, False]}).tolist()
        [1.0, 0.0]
        >>> QualityWithhold(0.02).earned({"plan_approved": True})
        Traceback (most recent call last):
        ...
        pbcmodel.errors.ValidationError: withhold: condition 'quality_met' was not given \
(conditions given: 'plan_approved'); pass conditions={'quality_met': ...}
        """
        if self.condition not in conditions:
            given = quoted(sorted(conditions)) if conditions else "none"
            raise ValidationError(
                f"withhold: condition {self.condition!r} was not given (conditions given: "
                f"{given}); pass conditions={{{self.condition!r}: ...}}")
        return self._share(conditions[self.condition])

    def _share(self, value: Any) -> np.ndarray:
        """True/False as 1/0, or a fraction in [0, 1], checked, as floats."""
        arr = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
        return condition_array(arr, self.condition, scale=arr.dtype.kind != "b")

    def amounts_pence(self, budget_pence: Any, earned: Any) -> tuple[np.ndarray, np.ndarray]:
        """Withheld and earned back, int64 pence, broadcast over budgets and ``earned``.

        Parameters
        ----------
        budget_pence : int or int array
            Budgets in whole pence.
        earned : bool, float or array
            Whether (True/False), or how much (a fraction in [0, 1]), of the withhold each
            holder earns back.

        Returns
        -------
        (withheld, earned_back) : tuple of int64 arrays
            ``earned_back`` is ``earned × withheld`` rounded half up, never above
            ``withheld``; the commissioner keeps ``withheld − earned_back``.

        Examples
        --------
        A budget of £1,000,000, 2% withheld, a quality score earning back 75%: £20,000
        held back, £15,000 paid back, £5,000 kept by the commissioner.

        >>> w, e = QualityWithhold(0.02).amounts_pence(100_000_000, 0.75)
        >>> int(w), int(e), int(w - e)
        (2000000, 1500000, 500000)
        """
        withheld = self.withheld_pence(budget_pence)
        earned_back = round_half_up(self._share(earned) * withheld).astype(np.int64)
        withheld, earned_back = np.broadcast_arrays(withheld, earned_back)
        return withheld, earned_back

    def describe(self) -> str:
        """The withhold in words.

        Examples
        --------
        >>> QualityWithhold(0.02).describe()
        'quality withhold: 2% of budget, earned back where quality_met holds'
        """
        return (f"quality withhold: {100 * self.fraction:g}% of budget, earned back where "
                f"{self.condition} holds")
