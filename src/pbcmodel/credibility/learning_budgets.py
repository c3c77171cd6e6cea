"""Budgets that learn inside a multi-year simulation: the experience step, year by year.

:class:`LearningBudgets` is what a scenario's ``learning=`` holds: the credibility constant
``k`` and how many years count; :mod:`pbcmodel.scenario.learning` applies the experience rule
(:func:`~pbcmodel.credibility.experience_budgets`) with it to every simulated year.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError
from ..validation import whole_number

__all__ = ["LearningBudgets"]


def _check_k(instance: Any, attribute: Any, value: float) -> None:
    if not (np.isfinite(value) and value > 0):
        raise ValidationError(f"k: the credibility constant must be finite and > 0 "
                              f"(patient-years), got {value!r}")


def _k_number(value: Any) -> float:
    if value is None or isinstance(value, (bool, str, bytes)):
        raise ValidationError(f"k: the credibility constant must be finite and > 0 "
                              f"(patient-years), got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"k: the credibility constant must be finite and > 0 "
                              f"(patient-years), got {value!r}") from None


def _years(value: Any) -> int | None:
    return None if value is None else whole_number(value, "years", minimum=1)


@attrs.frozen
class LearningBudgets:
    """Budgets that learn inside a multi-year simulation: the experience step, year by year.

    In a simulation of several years (``Scenario(learning=LearningBudgets(...))``), the
    first year's budgets are the formula's; each later year's budgets in each simulation
    are the formula's budgets of that year moved towards each practice's **simulated**
    experience of the earlier years by the rule of
    :func:`~pbcmodel.credibility.experience_budgets`, keeping the year's total to the penny
    in every simulation (:mod:`pbcmodel.scenario.learning`). A practice's ratio ``r`` is its
    list-size-weighted mean of actual / expected spend over the years counted (the history
    of the formula's :class:`~pbcmodel.credibility.ExperienceRating`, if it has one, then
    the simulated years), its weight ``w`` the patient-years counted, and its credibility
    ``z = w / (w + k)``.

    Parameters
    ----------
    k : float
        The credibility constant, in patient-years: finite and > 0. A practice of ``k``
        patients with one year of experience gets ``z = 0.5``. Choose it from data: the
        ``k`` of a Bühlmann–Straub fit of your practices' history,
        ``credibility_ratios(actual, expected, list_size).k`` (or
        ``ExperienceRating(...).credibility().k``), is the ratio of the year-to-year noise
        to the real differences between practices; a larger ``k`` believes experience
        less (``k → ∞``: the formula alone).
    years : int, optional
        How many of the most recent years count (≥ 1); ``None``: every year.

    Raises
    ------
    ValidationError
        ``k`` not a finite number > 0 (NaN, infinite, ≤ 0, a string); ``years`` not a
        whole number ≥ 1 — naming the field.

    Examples
    --------
    >>> import numpy as np
    >>> step = LearningBudgets(k=5_000, years=2)
    >>> step.z(np.array([2_000.0, 10_000.0]) * 2).round(3).tolist()   # two years counted
    [0.444, 0.8]
    >>> step.describe()
    'budgets learn in the simulation: k = 5,000 patient-years, last 2 years'
    >>> LearningBudgets(k=0)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: k: the credibility constant must be finite and > 0 \
(patient-years), got 0.0
    """

    k: float = attrs.field(converter=_k_number, validator=_check_k)
    years: int | None = attrs.field(default=None, converter=_years)

    def z(self, weight: Any) -> np.ndarray:
        """Credibility ``w / (w + k)`` of weights ``w`` (patient-years counted)."""
        w = np.asarray(weight, dtype=float)
        return w / (w + self.k)

    def describe(self) -> str:
        """The step in words (one line)."""
        k = f"{self.k:,.0f}" if self.k >= 100 else f"{self.k:.3g}"
        window = "every year" if self.years is None else (
            "the last year" if self.years == 1 else f"last {self.years} years")
        return f"budgets learn in the simulation: k = {k} patient-years, {window}"
