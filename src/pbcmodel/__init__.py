"""pbcmodel: financial modelling of practice based commissioning.

Examples
--------
>>> import pbcmodel as pbc
>>> isinstance(pbc.__version__, str)
True
"""

from __future__ import annotations

from . import capitation, codes, datasets, errors, population
from ._version import __version__
from .capitation import CapitationFormula, PaceOfChange
from .errors import ConfigError, PBCModelError, ValidationError
from .population import Population

__all__ = [
    "CapitationFormula",
    "ConfigError",
    "PBCModelError",
    "PaceOfChange",
    "Population",
    "ValidationError",
    "__version__",
    "capitation",
    "codes",
    "datasets",
    "errors",
    "population",
]
