"""Experience rating: the capitation formula's experience step, from a spend history.

:class:`ExperienceRating` holds practices' spend history (practice × year) and its
Bühlmann–Straub fit, and moves a formula's targets towards each practice's own experience
by the experience rule (:func:`~pbcmodel.credibility.credibility_budgets`); it is the
``experience=`` step of :class:`~pbcmodel.capitation.CapitationFormula`.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..validation import read_view, require_same_codes
from ._inputs import FRAME_EQ, aligned, as_float_frame
from .estimation import Credibility, credibility_ratios, experience_ratios
from .experience_rule import credibility_budgets

__all__ = ["ExperienceRating"]


def _history_frame(value: Any, name: str) -> pd.DataFrame:
    """Converter: a practice × year frame of floats, labels as text, the object's own copy."""
    if not isinstance(value, pd.DataFrame):
        raise ValidationError(f"{name}: expected a pandas DataFrame (practice × year), "
                              f"got {type(value).__name__}")
    labelled = value.set_axis(value.index.astype(str).rename("practice"), axis=0).set_axis(
        value.columns.astype(str).rename("year"), axis=1)
    out = as_float_frame(labelled, name)
    out.index.name, out.columns.name = "practice", "year"
    return out


@attrs.frozen(repr=False)
class ExperienceRating:
    """A step of a capitation formula: blend each practice's target with its own history.

    Holds the spend history and its Bühlmann–Straub fit
    (:func:`~pbcmodel.credibility.credibility_ratios`, made once, when the object is made,
    which validates every frame); :meth:`adjust` applies
    :func:`~pbcmodel.credibility.credibility_budgets` to a target. Give it to
    :class:`~pbcmodel.capitation.CapitationFormula` as ``experience=`` to make it a named
    step of the budgets and of ``explain()``.

    All frames are practice × year with the same practices and years (see
    :func:`~pbcmodel.credibility.experience_ratios` for what each holds). Practice codes and
    years are kept as text (``2024`` and ``"2024"`` are the same year). A practice whose
    ``actual`` row is empty (NaN every year: a new practice) has **no history**: it is left
    out of the fit and gets ``z = 0``, the formula alone; its other rows are ignored, as is
    any list size in a year without actual spend. The object keeps its own copies of the
    frames and hands out views.

    Parameters
    ----------
    actual, expected : DataFrame
        Actual spend and the formula-expected spend, pounds.
    list_size : DataFrame
        Registered patients (the credibility weight of each practice-year).
    high_cost : DataFrame, optional
        Excess above the high-cost threshold to leave out of the practice's experience
        (it is met from the pool, so it is not the practice's experience).

    Raises
    ------
    ValidationError
        Any of :func:`~pbcmodel.credibility.experience_ratios` and
        :func:`~pbcmodel.credibility.buhlmann_straub` raise (naming practice and year), or
        fewer than two practices with history.

    Examples
    --------
    >>> import pandas as pd
    >>> years = ["2023", "2024"]
    >>> size = pd.DataFrame([[9e3, 9e3], [4e3, 4e3]], index=["P1", "P2"], columns=years)
    >>> expected = size * 1000.0
    >>> actual = expected * pd.DataFrame([[1.2, 1.0], [0.9, 0.7]], index=size.index,
    ...                                  columns=years)
    >>> rating = ExperienceRating(actual=actual, expected=expected, list_size=size)
    >>> out = rating.adjust(pd.Series({"P1": 9e6, "P2": 4e6}))
    >>> out["adjustment_pounds"].round(2).to_dict()
    {'P1': 609414.76, 'P2': -609414.76}
    >>> rating.credibility().z.round(3).to_dict()
    {'P1': 0.822, 'P2': 0.672}
    """

    _actual: pd.DataFrame = attrs.field(converter=lambda v: _history_frame(v, "actual"),
                                        eq=FRAME_EQ)
    _expected: pd.DataFrame = attrs.field(converter=lambda v: _history_frame(v, "expected"),
                                          eq=FRAME_EQ)
    _list_size: pd.DataFrame = attrs.field(converter=lambda v: _history_frame(v, "list_size"),
                                           eq=FRAME_EQ)
    _high_cost: pd.DataFrame | None = attrs.field(
        default=None, converter=lambda v: None if v is None else _history_frame(v, "high_cost"),
        eq=FRAME_EQ)
    _fit: Credibility = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        ratios = self.ratios()     # validates expected and high_cost against actual
        size = aligned(self._list_size, self._actual, "list_size", "actual")
        size = size.where(self._actual.notna())   # a list size in a year without spend
        has = ratios.notna().any(axis=1).to_numpy()
        if has.sum() < 2:
            raise ValidationError(
                f"actual: {int(has.sum())} practice(s) with a spend history; credibility "
                "needs at least two to tell practices apart from noise")
        high = None if self._high_cost is None else self._high_cost.loc[has]
        fit = credibility_ratios(self._actual.loc[has], self._expected.loc[has],
                                 size.loc[has], high)
        object.__setattr__(self, "_fit", fit)

    def __repr__(self) -> str:
        new = len(self.new_practices)
        return (f"ExperienceRating({self._actual.shape[0]} practices × "
                f"{self._actual.shape[1]} years" + (f", {new} without history" if new else "")
                + f", high-cost excess "
                f"{'removed' if self._high_cost is not None else 'not given'})")

    @property
    def actual(self) -> pd.DataFrame:
        """Actual spend, practice × year (pounds)."""
        return read_view(self._actual)

    @property
    def expected(self) -> pd.DataFrame:
        """Formula-expected spend, practice × year (pounds)."""
        return read_view(self._expected)

    @property
    def list_size(self) -> pd.DataFrame:
        """Registered patients, practice × year (the credibility weights)."""
        return read_view(self._list_size)

    @property
    def high_cost(self) -> pd.DataFrame | None:
        """Spend above the high-cost threshold, practice × year (pounds), or ``None``."""
        return None if self._high_cost is None else read_view(self._high_cost)

    @property
    def practices(self) -> pd.Index:
        """Every practice listed, with or without history."""
        return self._actual.index

    @property
    def new_practices(self) -> pd.Index:
        """Practices listed without any year of spend (``z = 0``)."""
        return self._actual.index[self._actual.isna().all(axis=1).to_numpy()]

    def ratios(self) -> pd.DataFrame:
        """Practice × year ratio of actual (less high-cost excess) to expected spend."""
        return experience_ratios(self._actual, self._expected, self._high_cost)

    def credibility(self) -> Credibility:
        """The Bühlmann–Straub fit of the ratios, weighted by list size (practices with
        history only)."""
        return self._fit

    def adjust(self, target: pd.Series) -> pd.DataFrame:
        """Per practice: ratio, z, factor, budget and adjustment in pounds (total kept).

        See :func:`~pbcmodel.credibility.credibility_budgets`; ``target`` must include every
        practice with history; practices without history get ``z = 0``.
        """
        return credibility_budgets(target, self._fit)

    def check_practices(self, codes: pd.Index, name: str = "experience") -> None:
        """Raise unless the history lists exactly ``codes`` (a population's practices).

        Examples
        --------
        >>> import pandas as pd
        >>> v = pd.DataFrame({"y1": [1.0, 2.0], "y2": [1.5, 2.5]}, index=["A", "B"])
        >>> rating = ExperienceRating(actual=v, expected=v * 0 + 2, list_size=v * 0 + 1e3)
        >>> rating.check_practices(pd.Index(["A", "C"]))
        Traceback (most recent call last):
        ...
        pbcmodel.errors.ValidationError: experience: missing practice code(s) 'C'; unknown \
practice code(s) 'B' (list every practice of the population once: a new practice with no \
years of spend gets z = 0)
        """
        try:
            require_same_codes(pd.Index(codes), self._actual.index, name)
        except ValidationError as exc:
            raise ValidationError(f"{exc} (list every practice of the population once: a new "
                                  "practice with no years of spend gets z = 0)") from None

    def describe(self) -> str:
        """The step in words (one line).

        Examples
        --------
        >>> import pandas as pd
        >>> v = pd.DataFrame({"y1": [1.0, 2.0], "y2": [1.5, 2.5]}, index=["A", "B"])
        >>> ExperienceRating(actual=v, expected=v * 0 + 2, list_size=v * 0 + 1e3).describe()
        'experience rating: 2 practices × 2 years of history, k = 286 patient-years, z 0.88 to 0.88'
        """
        fit = self._fit
        new = len(self.new_practices)
        k = ("infinite (no credibility)" if np.isinf(fit.k) else
             f"{fit.k:,.0f} patient-years" if fit.k >= 100 else f"{fit.k:.3g} patient-years")
        return (f"experience rating: {len(self.practices)} practices × "
                f"{self._actual.shape[1]} years of history"
                + (f" ({new} without)" if new else "")
                + f", k = {k}, z {fit.z.min():.2f} to {fit.z.max():.2f}"
                + ("; high-cost excess removed" if self._high_cost is not None else ""))

