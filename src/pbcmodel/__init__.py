"""pbcmodel: financial modelling of practice based commissioning.

Pure topic modules (capitation, risk, sharing, overspend, incentives, settlement,
monitoring, benchmarking, appraisal) composed by one :class:`Scenario`.

Examples
--------
>>> import pbcmodel as pbc
>>> isinstance(pbc.__version__, str)
True
"""

from __future__ import annotations

from . import (
    appraisal,
    approval,
    benchmarking,
    capitation,
    codes,
    conflicts,
    costing,
    datasets,
    design,
    errors,
    incentives,
    io,
    money,
    monitoring,
    monthly_statement,
    moved,
    overspend,
    phasing,
    plot,
    population,
    risk,
    scenario,
    settlement,
    sharing,
)
from ._version import __version__
from .appraisal import BusinessCase
from .approval import ApprovalCriteria
from .capitation import CapitationFormula, PaceOfChange
from .conflicts import ConflictsRegister
from .errors import ConfigError, MissingDependencyError, PBCModelError, ValidationError
from .footprints import Footprints
from .incentives import Incentives
from .monthly_statement import MonthlyStatement, statement
from .overspend import OverspendPolicy
from .population import Population
from .risk import CostModel
from .scenario import Scenario, SimulationResult, compare, load_scenario, sweep
from .settlement import Settlement, settle
from .sharing import ShareSchedule

moved.install()   # old module paths fail with the name of the new module (see pbcmodel.moved)

__all__ = [
    "ApprovalCriteria",
    "BusinessCase",
    "CapitationFormula",
    "ConfigError",
    "ConflictsRegister",
    "CostModel",
    "Footprints",
    "Incentives",
    "MissingDependencyError",
    "MonthlyStatement",
    "OverspendPolicy",
    "PBCModelError",
    "PaceOfChange",
    "Population",
    "Scenario",
    "Settlement",
    "ShareSchedule",
    "SimulationResult",
    "ValidationError",
    "__version__",
    "appraisal",
    "approval",
    "benchmarking",
    "capitation",
    "codes",
    "compare",
    "conflicts",
    "costing",
    "datasets",
    "design",
    "errors",
    "incentives",
    "io",
    "load_scenario",
    "money",
    "monitoring",
    "monthly_statement",
    "overspend",
    "phasing",
    "plot",
    "population",
    "risk",
    "scenario",
    "settle",
    "settlement",
    "sharing",
    "statement",
    "sweep",
]
