"""Embedded data: real England, and a synthetic commissioner to learn on.

* :mod:`~pbcmodel.datasets.england_populations` — :func:`england`: NHS England's
  practice-level weighted populations 2026/27–2028/29 (6,281 practices, 36 ICBs). Contains
  public sector information licensed under the Open Government Licence v3.0; source: NHS
  England.
* :mod:`~pbcmodel.datasets.england_footprints` — :func:`pcn_mapping`: each practice's PCN,
  sub-ICB location and region in NHS Payments to General Practice 2022/23 (6,669 practices),
  :func:`pcn_match` against a year's weighted populations, :func:`england_pcns` (every
  practice of a year with its PCN) and :func:`footprints` (every practice of a year in one
  PCN, place or ICB footprint, to hold a budget). Contains public sector information
  licensed under the Open Government Licence v3.0; source: NHS Digital (now NHS England).
* :mod:`~pbcmodel.datasets.example` — the synthetic example commissioner (60 practices) and
  :func:`synthetic_commissioner` at national scale, built from closed-form formulas or a seeded
  generator, so identical on every machine.
* :mod:`~pbcmodel.datasets.activity` — example activity, tariffs, reference rates and
  contracts for monitoring and benchmarking, built from the example population.
* :mod:`~pbcmodel.datasets.persons` — :func:`synthetic_persons`, person-level costs with a
  known data-generating model, for fitting a needs formula.

Nothing here is downloaded. The complete example scenario is :meth:`pbcmodel.Scenario.example`
(a scenario is composed from these data, not part of them).

Examples
--------
>>> from pbcmodel import datasets
>>> datasets.england("2026/27").n_practices, datasets.example_population().n_practices
(6281, 60)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..moved import package_getattr
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
from .england_footprints import (
    PCN_ATTRIBUTION,
    PcnMatch,
    england_pcns,
    footprints,
    pcn_mapping,
    pcn_match,
)
from .england_populations import (
    ATTRIBUTION,
    ENGLAND_YEARS,
    LICENCE_FILE,
    england,
    england_age_sex_profile,
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

__all__ = [
    "ATTRIBUTION",
    "CURRENT_MONTH",
    "CURRENT_YEAR",
    "ENGLAND_YEARS",
    "EXAMPLE_RESOURCE",
    "LICENCE_FILE",
    "MEASURES",
    "PCN_ATTRIBUTION",
    "PcnMatch",
    "england",
    "england_age_sex_profile",
    "england_pcns",
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
    "footprints",
    "pcn_mapping",
    "pcn_match",
    "synthetic_commissioner",
    "synthetic_persons",
    "synthetic_persons_truth",
]


if not TYPE_CHECKING:   # old module names fail naming the new module (type checkers never see it)
    __getattr__ = package_getattr(__name__)
