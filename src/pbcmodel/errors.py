"""One exception hierarchy for pbcmodel.

Every error the library raises on purpose derives from :class:`PBCModelError`,
so a caller can catch them all in one place. :class:`ValidationError` is also a
:class:`ValueError`, so code that already catches ``ValueError`` keeps working, and
:class:`MissingDependencyError` is also an :class:`ImportError`.

Examples
--------
>>> from pbcmodel.errors import ValidationError, PBCModelError, MissingDependencyError
>>> issubclass(ValidationError, ValueError) and issubclass(ValidationError, PBCModelError)
True
>>> str(MissingDependencyError("plot", "figures"))
"figures need the optional extra 'plot': pip install 'pbcmodel[plot]'"
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["ConfigError", "MissingDependencyError", "PBCModelError", "ValidationError",
           "require"]


class PBCModelError(Exception):
    """Root of every error raised deliberately by pbcmodel."""


class ValidationError(PBCModelError, ValueError):
    """Bad input: the message names the offending field, row or code and what was expected."""


class ConfigError(PBCModelError, ValueError):
    """A scenario or configuration file (TOML/JSON) that does not describe a valid scenario."""


class MissingDependencyError(PBCModelError, ImportError):
    """An optional extra is not installed; the message names the extra to install.

    Parameters
    ----------
    extra : str
        The name of the extra in ``pip install 'pbcmodel[extra]'``.
    what : str
        What needs it, in words (``"figures"``, ``"the dask engine"``).
    """

    def __init__(self, extra: str, what: str) -> None:
        self.extra = extra
        super().__init__(f"{what} need the optional extra {extra!r}: "
                         f"pip install 'pbcmodel[{extra}]'")


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import an optional dependency, or raise :class:`MissingDependencyError`.

    The one place where pbcmodel imports an optional extra by name, so that every
    feature that needs one fails the same way, before any work is done.

    Examples
    --------
    >>> require("math", "plot", "figures").sqrt(4.0)
    2.0
    >>> require("no_such_module_xyz", "plot", "figures")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.MissingDependencyError: figures need the optional extra 'plot': ...
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(extra, what) from exc
