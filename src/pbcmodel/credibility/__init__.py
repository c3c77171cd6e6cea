"""Bühlmann–Straub credibility: blending a practice's own spend history with the formula.

A capitation formula prices a practice's patients by their age, sex and need; the
practice's own history says something the formula cannot see (referral style, local prices,
unrecorded morbidity), but a small practice's history is mostly noise. Credibility theory
says how much to believe it: the **Bühlmann–Straub** model (Bühlmann & Gisler, *A Course in
Credibility Theory and its Applications*, Springer 2005, section 4) gives each unit a
credibility factor ``z = w / (w + k)`` that rises with its total weight ``w`` (patient-years)
towards 1, with ``k = s² / a`` the ratio of the within-unit (year-to-year) variance to the
between-unit variance, both estimated from the data.

:func:`buhlmann_straub` fits the model to any unit × period table of ratios with weights;
:class:`ExperienceRating` applies it to budgets: a practice's ratio of actual to formula-
expected spend, year by year, weighted by list size, moves its budget part of the way
(``z``) towards its own experience, keeping the total exactly.

The package has four modules, and every name is importable from ``pbcmodel.credibility``:

* :mod:`~pbcmodel.credibility.estimation`: the model, :func:`buhlmann_straub` and its fit
  :class:`Credibility`; practices' :func:`experience_ratios` (actual, less high-cost excess,
  over expected) and :func:`credibility_ratios`, the model fitted to them;
* :mod:`~pbcmodel.credibility.experience_rule`: :func:`experience_budgets`, the one
  experience rule (targets moved towards experience by credibility, each row's total
  kept), on arrays for one year or every simulation at once (:class:`ExperienceStep`), and
  :func:`credibility_budgets`, the rule on one year's budgets with a fitted model;
* :mod:`~pbcmodel.credibility.experience_rating`: :class:`ExperienceRating`, the
  capitation formula's experience step, from a practice × year spend history;
* :mod:`~pbcmodel.credibility.learning_budgets`: :class:`LearningBudgets`, the same step
  inside a multi-year simulation (budgets that learn from the simulated years).

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.credibility import buhlmann_straub
>>> values = pd.DataFrame({"2023": [1.0, 4.0, 8.0], "2024": [3.0, 6.0, None],
...                        "2025": [2.0, 5.0, 10.0]}, index=["A", "B", "C"])
>>> weights = pd.DataFrame({"2023": [1.0, 2.0, 3.0], "2024": [1.0, 2.0, None],
...                         "2025": [2.0, 1.0, 3.0]}, index=["A", "B", "C"])
>>> cr = buhlmann_straub(values, weights)
>>> round(cr.within_variance, 4), round(cr.between_variance, 4), round(cr.k, 4)
(2.4, 11.9189, 0.2014)
>>> cr.z.round(4).to_dict()
{'A': 0.9521, 'B': 0.9613, 'C': 0.9675}
"""

from __future__ import annotations

from .estimation import Credibility, buhlmann_straub, credibility_ratios, experience_ratios
from .experience_rating import ExperienceRating
from .experience_rule import ExperienceStep, credibility_budgets, experience_budgets
from .learning_budgets import LearningBudgets

__all__ = [
    "Credibility",
    "ExperienceRating",
    "ExperienceStep",
    "LearningBudgets",
    "buhlmann_straub",
    "credibility_budgets",
    "credibility_ratios",
    "experience_budgets",
    "experience_ratios",
]
