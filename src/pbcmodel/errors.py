"""One exception hierarchy for pbcmodel.

Every error the library raises on purpose derives from :class:`PBCModelError`,
so a caller can catch them all in one place. :class:`ValidationError` is also a
:class:`ValueError`, so code that already catches ``ValueError`` keeps working.

Examples
--------
>>> from pbcmodel.errors import ValidationError, PBCModelError
>>> issubclass(ValidationError, ValueError) and issubclass(ValidationError, PBCModelError)
True
"""

from __future__ import annotations

__all__ = ["ConfigError", "PBCModelError", "ValidationError"]


class PBCModelError(Exception):
    """Root of every error raised deliberately by pbcmodel."""


class ValidationError(PBCModelError, ValueError):
    """Bad input: the message names the offending field, row or code and what was expected."""


class ConfigError(PBCModelError, ValueError):
    """A scenario or configuration file (TOML/JSON) that does not describe a valid scenario."""
