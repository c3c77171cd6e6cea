"""Budgets that learn inside a simulation: each year's budgets from the earlier years' outturns.

With ``Scenario(learning=LearningBudgets(k, years))`` a multi-year simulation sets the
first year's budgets by the formula, as without learning, and each later year's budgets,
simulation by simulation, by the experience step of :mod:`pbcmodel.credibility`
(:func:`~pbcmodel.credibility.experience_budgets`, the one definition of the rule) fed with
that simulation's outturns of the earlier years:

* a practice's ratio in simulated year ``y`` is ``outturn / expected``, ``expected`` its
  expected spend that year (the spend distribution's mean, below any high-cost threshold,
  times the year's cost growth); a year of the formula's own history
  (:class:`~pbcmodel.credibility.ExperienceRating`, if it has one) gives its ratio of
  actual (less high-cost excess) to expected spend. The years counted are the last
  ``years`` of history followed by the simulated years (all of them when ``years`` is
  ``None``);
* ``r`` is the list-size-weighted mean of the ratios counted (the unit mean of
  Bühlmann–Straub, weights the list sizes), ``w`` the patient-years counted and
  ``z = w / (w + k)``;
* the year's budgets are the formula's budgets of that year moved by
  ``factor = z · r / μ̂ + 1 − z`` (``μ̂ = Σ z r / Σ z``, the simulation's collective
  ratio), so a commissioner-wide over- or underspend moves nobody's share; when the
  formula has an experience step, the learning step takes it over (it starts from the
  formula's budgets without it, and counts its history), so history is counted once;
* each simulation's budgets are allocated in whole pence summing exactly to the formula's
  total of the year (the same total, to the penny, as without learning), by the
  largest-remainder rule of :func:`pbcmodel.money.largest_remainder`.

Budgets are not a driver of spend: a scenario with learning budgets and one without are
settled on the same draws (common random numbers).

Examples
--------
Two practices, one simulated year before the year learned from (the arithmetic is in
``tests/test_learning_budgets.py``):

>>> import numpy as np
>>> from pbcmodel.credibility import LearningBudgets
>>> learn = Learning.make(LearningBudgets(k=1_000), formula_pence=np.array([[1000, 1000]] * 2),
...                       base_pence=np.array([[1000, 1000]] * 2),
...                       expected_pence=np.array([[1000.0, 1000.0]] * 2),
...                       list_size=np.array([1_000.0, 1_000.0]))
>>> outturn = np.array([[1200, 1000], [1000, 1000]])           # two simulations
>>> learn.budgets(1, [outturn], np.array([1000, 1000])).tolist()
[[1045, 955], [1000, 1000]]
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import pandas as pd

from ..credibility import ExperienceRating, LearningBudgets, experience_budgets
from ..errors import ValidationError
from ..money import largest_remainder

__all__ = ["Learning"]



@attrs.frozen(eq=False)
class Learning:
    """One policy's learning budgets, ready to make any year's budgets from a chunk's outturns.

    Attributes
    ----------
    step : LearningBudgets
        ``k`` and the years counted.
    base_pence : ndarray
        Year × practice, the formula's budgets (without its own experience step), int64
        pence: the targets the step moves.
    total_pence : ndarray
        Per year, the total to keep (the formula's, to the penny).
    expected_pence : ndarray
        Year × practice, each practice's expected spend (float pence, > 0).
    list_size : ndarray
        Per practice, the weight of a simulated year.
    history_weight, history_ratio : ndarray
        Year × practice: the list size (0 where the practice had no spend that year) and
        the ratio (0 there) of each year of the formula's history, oldest first.
    """

    step: LearningBudgets
    base_pence: np.ndarray
    total_pence: np.ndarray
    expected_pence: np.ndarray
    list_size: np.ndarray
    history_weight: np.ndarray
    history_ratio: np.ndarray

    @classmethod
    def make(cls, step: LearningBudgets, *, formula_pence: np.ndarray, base_pence: np.ndarray,
             expected_pence: np.ndarray, list_size: np.ndarray,
             history: ExperienceRating | None = None,
             codes: pd.Index | None = None) -> Learning:
        """From the formula's budgets (year × practice pence, their totals kept), the
        budgets the step moves, expected spend and list sizes; ``history`` (the formula's
        experience rating, listing the practices ``codes``) counted before the first year."""
        expected = np.asarray(expected_pence, dtype=float)
        if not np.all(expected > 0):
            raise ValidationError("learning: every practice needs an expected spend > 0 to "
                                  "learn from its outturn")
        size = np.asarray(list_size, dtype=float)
        weight = np.zeros((0, size.size))
        ratio = np.zeros((0, size.size))
        if history is not None:
            ratios = history.ratios().reindex(codes)
            sizes = history.list_size.reindex(index=codes, columns=ratios.columns)
            has = ratios.notna().to_numpy().T
            weight = np.where(has, sizes.to_numpy(dtype=float).T, 0.0)
            ratio = np.where(has, ratios.to_numpy().T, 0.0)
        return cls(step=step, base_pence=np.asarray(base_pence, dtype=np.int64),
                   total_pence=np.asarray(formula_pence, dtype=np.int64).sum(axis=1),
                   expected_pence=expected, list_size=size, history_weight=weight,
                   history_ratio=ratio)

    def experience(self, year: int, earlier: Sequence[np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Each practice's ratio (simulation × practice) and patient-years counted
        (per practice) before ``year``; ``earlier``: the outturns (pence, simulation ×
        practice) of years ``0 … year − 1``."""
        window = self.step.years
        first = 0 if window is None else max(0, year - window)
        past = len(self.history_weight) if window is None else max(0, window - year)
        hw = self.history_weight[len(self.history_weight) - past:] if past else \
            self.history_weight[:0]
        hr = self.history_ratio[len(self.history_ratio) - past:] if past else \
            self.history_ratio[:0]
        weighted: np.ndarray = (hw * hr).sum(axis=0)
        for y in range(first, year):
            weighted = weighted + earlier[y] * (self.list_size / self.expected_pence[y])
        weight = hw.sum(axis=0) + self.list_size * (year - first)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(weight > 0, weighted / weight, 0.0)
        return ratio, weight

    def budgets(self, year: int, earlier: Sequence[np.ndarray], formula: np.ndarray
                ) -> np.ndarray:
        """The budgets (int64 pence) of ``year``: ``formula`` (the formula's, per practice)
        when nothing is counted yet (the first year), else one row per simulation of
        ``earlier`` (the outturns of years ``0 … year − 1``), each adding up to the year's
        total."""
        if year == 0:
            return formula
        ratio, weight = self.experience(year, earlier)
        step = experience_budgets(self.base_pence[year].astype(float), ratio,
                                  self.step.z(weight))
        exact = np.atleast_2d(step.budget)
        return largest_remainder(exact, np.full(len(exact), self.total_pence[year]),
                                 name="budgets", unit=("pence", "a penny"))
