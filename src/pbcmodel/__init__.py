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
    config,
    conflicts,
    costing,
    costmodel,
    datasets,
    errors,
    incentives,
    io,
    monitoring,
    overspend,
    phasing,
    plot,
    population,
    risk,
    scenario,
    settlement,
    sharing,
    simulation,
)
from ._version import __version__
from .appraisal import BusinessCase
from .approval import ApprovalCriteria
from .capitation import CapitationFormula, PaceOfChange
from .conflicts import ConflictsRegister
from .costmodel import CostModel
from .errors import ConfigError, PBCModelError, ValidationError
from .incentives import Incentives
from .overspend import OverspendPolicy
from .population import Population
from .scenario import Scenario
from .settlement import Settlement, settle
from .sharing import ShareSchedule
from .simulation import SimulationResult
from .statement import MonthlyStatement, statement
from .sweep import compare, sweep

__all__ = [
    "ApprovalCriteria",
    "BusinessCase",
    "CapitationFormula",
    "ConfigError",
    "ConflictsRegister",
    "CostModel",
    "Incentives",
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
    "config",
    "conflicts",
    "costing",
    "costmodel",
    "datasets",
    "errors",
    "incentives",
    "io",
    "monitoring",
    "overspend",
    "phasing",
    "plot",
    "population",
    "risk",
    "scenario",
    "settle",
    "settlement",
    "sharing",
    "simulation",
    "statement",
    "sweep",
]
