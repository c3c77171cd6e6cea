"""pbcmodel: financial modelling of practice based commissioning.

Examples
--------
>>> import pbcmodel as pbc
>>> isinstance(pbc.__version__, str)
True
"""

from __future__ import annotations

from . import codes, errors
from ._version import __version__
from .errors import ConfigError, PBCModelError, ValidationError

__all__ = [
    "ConfigError",
    "PBCModelError",
    "ValidationError",
    "__version__",
    "codes",
    "errors",
]
