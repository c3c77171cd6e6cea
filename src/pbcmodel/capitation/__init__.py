"""Capitation: from registered patients to a fair-share budget per practice and POD.

The steps, each a pure function (:mod:`~pbcmodel.capitation.steps`), are composed by
:class:`CapitationFormula` (:mod:`~pbcmodel.capitation.formula`); pace of change is in
:mod:`~pbcmodel.capitation.pace`:

1. :func:`weighted_population` — patients × age-sex cost weights, per point of delivery (POD);
2. needs index and market forces factor (MFF) multipliers (:func:`adjust`);
3. top-slices held back from the resource (:func:`devolved_resource`);
4. :func:`fair_shares` — the devolved resource split in proportion to adjusted need;
5. optional experience rating (``experience=``
   :class:`~pbcmodel.credibility.ExperienceRating`): each target moved towards the
   practice's own history by its credibility, keeping the total;
6. optional :func:`blend` with historic budgets, then :func:`pace_of_change` limits.

Examples
--------
>>> import pbcmodel as pbc
>>> pop = pbc.datasets.example_population()
>>> formula = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
...                                 top_slices={"contingency": 0.01})
>>> budgets = formula.budgets(pop, resource=500e6)
>>> round(budgets["total"].sum())
495000000
"""


from __future__ import annotations

from typing import TYPE_CHECKING

from ..moved import package_getattr
from .formula import CapitationFormula
from .pace import PaceOfChange, pace_of_change
from .place_based import WeightedCapitation, need_index
from .steps import (
    adjust,
    blend,
    check_weights,
    devolved_resource,
    fair_shares,
    weighted_population,
)

__all__ = [
    "CapitationFormula",
    "PaceOfChange",
    "WeightedCapitation",
    "adjust",
    "blend",
    "check_weights",
    "devolved_resource",
    "fair_shares",
    "need_index",
    "pace_of_change",
    "weighted_population",
]


if not TYPE_CHECKING:   # old module names fail naming the new module (type checkers never see it)
    __getattr__ = package_getattr(__name__)
