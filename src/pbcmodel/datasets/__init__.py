"""Embedded example data: a synthetic commissioner to learn on, and generators at scale.

Nothing here is downloaded. :func:`example_population`, :func:`example_cost_weights` and
:func:`example_historic_budgets` are built from closed-form formulas, so they are identical on
every machine and numpy version; :func:`synthetic_commissioner` draws from a seeded generator.
Example activity, tariffs, reference rates and contracts for monitoring and benchmarking are
built from the example population. The complete example scenario is
:meth:`pbcmodel.Scenario.example` (a scenario is composed from these data, not part of them).

Examples
--------
>>> from pbcmodel import datasets
>>> pop = datasets.example_population()
>>> pop.n_practices, pop.hierarchy["consortium"].nunique()
(60, 4)
>>> w = datasets.example_cost_weights()
>>> round(float((w.sum(axis=1) * pop.counts.sum().to_numpy()).sum() / pop.list_size.sum()))
1000
"""

from __future__ import annotations

from .activity import (
    CURRENT_MONTH,
    CURRENT_YEAR,
    MEASURES,
    example_contract_activity,
    example_contract_plan,
    example_events,
    example_monthly_activity,
    example_reference_rates,
    example_tariffs,
)
from .example import (
    EXAMPLE_RESOURCE,
    example_cost_model,
    example_cost_weights,
    example_historic_budgets,
    example_population,
    synthetic_commissioner,
)
from .persons import synthetic_persons, synthetic_persons_truth
from .weighted_populations import (
    ATTRIBUTION,
    ENGLAND_YEARS,
    LICENCE_FILE,
    england,
    england_age_sex_profile,
)

__all__ = [
    "ATTRIBUTION",
    "CURRENT_MONTH",
    "CURRENT_YEAR",
    "ENGLAND_YEARS",
    "EXAMPLE_RESOURCE",
    "LICENCE_FILE",
    "MEASURES",
    "england",
    "england_age_sex_profile",
    "example_contract_activity",
    "example_contract_plan",
    "example_cost_model",
    "example_cost_weights",
    "example_events",
    "example_historic_budgets",
    "example_monthly_activity",
    "example_population",
    "example_reference_rates",
    "example_tariffs",
    "synthetic_commissioner",
    "synthetic_persons",
    "synthetic_persons_truth",
]
