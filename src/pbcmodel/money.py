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
>>> allocate_pennies([0.333, 0.333, 0.334]).tolist()     # £1.00 shown as parts that add up
[33, 33, 34]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import finite_array
from .errors import ValidationError

__all__ = ["MAX_PENCE", "allocate_pennies", "gbp", "pounds", "round_half_up", "to_pence"]

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
    step = 10.0 ** np.maximum(digits - 11, -300)   # keep 12 significant digits
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


def allocate_pennies(pounds: Any, total: Any = None, name: str = "money") -> np.ndarray:
    """Float pounds → ``int64`` pence that add up exactly to a rounded whole.

    Rounding every part on its own makes the parts miss their total by a few pence
    (three thirds of £1 show as 33p + 33p + 33p = 99p). This rounds the whole first —
    ``total`` pence, or the sum of ``pounds`` rounded half up to the penny — then gives each
    part its pence rounded down and hands the pennies left over, one each, to the parts with
    the largest remainders (the largest remainder method; ties go to the earlier part). Each
    part moves by less than a penny from its exact value, and no part moves when the parts
    are already whole pence that add up to the total.

    Parameters
    ----------
    pounds : array_like of float
        The parts, in pounds (finite; any sign). A 2-D array is allocated row by row, each
        row to its own total.
    total : int or array of int, optional
        The whole in pence (one per row for 2-D input). Default: the sum of the parts,
        rounded half up to the penny. It must be within one penny per part of the exact sum.
    name : str
        How the parts are named in error messages.

    Returns
    -------
    ndarray of int64
        Pence, the shape of ``pounds``, summing exactly to ``total`` (along the last axis).

    Raises
    ------
    ValidationError
        Non-finite parts, or a ``total`` further from the sum than the parts can absorb.

    Examples
    --------
    >>> allocate_pennies([10.004, 10.004, 10.004]).tolist()   # £30.012 → £30.01 in all
    [1001, 1000, 1000]
    >>> allocate_pennies([[0.5, 0.5], [0.125, 0.875]], total=[100, 100]).tolist()
    [[50, 50], [13, 87]]
    >>> allocate_pennies([1.0, 2.0], total=500, name="budgets")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: budgets: total of 500 pence is more than a penny per part ...
    """
    parts = finite_array(pounds, name)
    single = parts.ndim == 1
    rows = np.atleast_2d(parts) * 100.0
    if total is None:
        whole = np.rint(round_half_up(rows.sum(axis=1) / 100.0, 2) * 100.0).astype(np.int64)
    else:
        whole = np.atleast_1d(np.asarray(total, dtype=np.int64)).reshape(-1)
        if whole.shape[0] != rows.shape[0]:
            raise ValidationError(f"{name}: {whole.shape[0]} total(s) for {rows.shape[0]} "
                                  "row(s) of parts")
    floor = np.floor(rows)
    # tidy float noise first, so 1262751.8699999999 pounds counts as 126275187 pence
    floor = np.where(np.isclose(rows, floor + 1.0, rtol=0.0, atol=1e-6), floor + 1.0, floor)
    remainder = np.clip(rows - floor, 0.0, None)
    short = whole - floor.sum(axis=1).astype(np.int64)
    n = rows.shape[1]
    if ((short < 0) | (short > n)).any():
        bad = int(np.flatnonzero((short < 0) | (short > n))[0])
        raise ValidationError(f"{name}: total of {int(whole[bad])} pence is more than a penny "
                              f"per part from the parts' sum of {rows[bad].sum():.1f} pence")
    # stable sort on −remainder: the largest remainders first, ties in order
    order = np.argsort(-remainder, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n)[None, :].repeat(rows.shape[0], 0), axis=1)
    pence = floor.astype(np.int64) + (rank < short[:, None])
    return pence[0] if single else pence
