"""Money: integer pence for what is paid, and pounds as people read them.

pbcmodel models in float pounds and pays in integer pence (``int64``); this module holds
the conversions between the two and the one way money is shown in text. Rounding happens
only here, at the edge: :func:`to_pence` rounds half to even like numpy, and
:func:`round_half_up` rounds as Excel and NHS workbooks do (2.5 → 3, −2.5 → −3).

Examples
--------
>>> gbp(2419690), gbp(-5), pounds(-1234.5)
('£24,196.90', '−£0.05', '−£1,235')
>>> to_pence([1.25, 2.5]).tolist()
[125, 250]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import finite_array
from .errors import ValidationError

__all__ = ["MAX_PENCE", "gbp", "pounds", "round_half_up", "to_pence"]

#: Largest amount of money, in pence, that pbcmodel keeps exact (int64 with headroom for
#: sums over 10 million practice-years): about £9.2 billion per entry.
MAX_PENCE = 2**63 // 10_000_000


def to_pence(pounds: Any, name: str = "money") -> np.ndarray:
    """Float pounds → ``int64`` pence, to the nearest penny; refuses what would overflow.

    Examples
    --------
    >>> to_pence([1.004, 2.006]).tolist()
    [100, 201]
    >>> to_pence([1e30], "resource")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: resource: £1e+30 is too large to settle exactly in pence ...
    """
    values = finite_array(pounds, name) * 100.0
    too_big = np.abs(values) > MAX_PENCE
    if too_big.any():
        worst = float(np.abs(values[too_big]).max()) / 100.0
        raise ValidationError(
            f"{name}: £{worst:.3g} is too large to settle exactly in pence "
            f"(at most £{MAX_PENCE / 100:,.0f} per entry)")
    return np.rint(values).astype(np.int64)


def round_half_up(values: Any, decimals: int = 0) -> np.ndarray:
    """Round halves away from zero, as Excel's ``ROUND`` does (Python's ``round`` and numpy's
    ``rint`` round halves to even: ``round(2.5) == 2``).

    Decimal inputs such as 2.675, which binary floats store just below the half, round as
    written: the scaled value is first taken to 12 significant digits, as a spreadsheet
    shows it.

    Examples
    --------
    >>> round_half_up([0.5, 1.5, 2.5, -2.5], 0).tolist()
    [1.0, 2.0, 3.0, -3.0]
    >>> round_half_up([2.675, 1.005], 2).tolist()
    [2.68, 1.01]
    """
    scale = 10.0 ** int(decimals)
    scaled = np.asarray(values, dtype=float) * scale
    digits = np.floor(np.log10(np.abs(np.where(scaled == 0, 1.0, scaled))))
    step = 10.0 ** (digits - 11)          # keep 12 significant digits
    tidy = np.round(scaled / step) * step
    return np.sign(tidy) * np.floor(np.abs(tidy) + 0.5) / scale


def gbp(pence: int) -> str:
    """Whole pence as pounds and pence, e.g. 2419690 → '£24,196.90'; negatives as '−£…'.

    Examples
    --------
    >>> gbp(2419690), gbp(-5), gbp(0)
    ('£24,196.90', '−£0.05', '£0.00')
    """
    if isinstance(pence, float) and pence != int(pence):
        raise ValidationError(f"gbp: expected whole pence, got {pence!r}")
    p = int(pence)
    sign = "−" if p < 0 else ""
    whole, pennies = divmod(abs(p), 100)
    return f"{sign}£{whole:,}.{pennies:02d}"


def pounds(value: float, decimals: int = 0) -> str:
    """Float pounds for people: '£1,235', '−£1,234.50' (minus sign U+2212, rounded half up).

    Examples
    --------
    >>> pounds(1234.5), pounds(-1234.5, 2), pounds(0.0)
    ('£1,235', '−£1,234.50', '£0')
    """
    v = float(round_half_up(value, decimals))
    if v == 0:
        v = 0.0
    sign = "−" if v < 0 else ""
    return f"{sign}£{abs(v):,.{decimals}f}"
