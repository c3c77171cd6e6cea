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

from .errors import ValidationError
from .validation import finite_array

__all__ = ["MAX_PENCE", "allocate_pennies", "gbp", "largest_remainder", "pounds", "round_half_up",
           "to_pence"]

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
    _check_size(values, name)
    return np.rint(values).astype(np.int64)


def _check_size(pence: np.ndarray, name: str) -> None:
    """Refuse amounts (float pence) too large to keep exact in ``int64`` pence."""
    too_big = np.abs(pence) > MAX_PENCE
    if too_big.any():
        worst = float(np.abs(pence[too_big]).max()) / 100.0
        raise ValidationError(
            f"{name}: £{worst:.3g} is too large to settle exactly in pence "
            f"(at most £{MAX_PENCE / 100:,.0f} per entry)")


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


def largest_remainder(exact: Any, totals: Any, name: str = "amounts",
                      unit: tuple[str, str] = ("", "one unit")) -> np.ndarray:
    """Whole units per part that add up, row by row, to whole ``totals``: the one
    largest-remainder rounding of pbcmodel (pence of money, whole patients of a list).

    Every part gets its value rounded down; the units left over go, one each, to the parts
    with the largest fractional remainders (ties to the earlier part). Float noise is tidied
    first: a part within 1e-6 of the next whole number counts as that number (so
    126275186.99999999 pence is 126275187). Each part moves by less than one unit, and parts
    that are already whole and add up to their total do not move. This is the rule of
    :func:`allocate_pennies` (money) and of :func:`pbcmodel.weighted.apportion` (shares of a
    whole).

    Parameters
    ----------
    exact : array_like of float
        The parts in units (any sign), 1-D or one row per total (2-D).
    totals : int or array of int
        The whole of each row, within one unit per part of the row's exact sum.
    name : str
        How the parts are named in error messages.
    unit : (str, str)
        How units are named in error messages: after a number, and one of them
        (``("pence", "a penny")``).

    Returns
    -------
    ndarray of int64
        The shape of ``exact``; each row sums exactly to its total.

    Raises
    ------
    ValidationError
        Non-finite parts, a count of totals that is not one per row, or a total further
        from its row's sum than its parts can absorb.

    Examples
    --------
    >>> largest_remainder([1.5, 1.5, 1.0], 4).tolist()    # one unit left: the first tie
    [2, 1, 1]
    >>> largest_remainder([[0.2, 0.3, 0.5], [2.6, 0.4, 0.0]], [1, 3]).tolist()
    [[0, 0, 1], [3, 0, 0]]
    """
    parts = finite_array(exact, name)
    single = parts.ndim == 1
    rows = np.atleast_2d(parts)
    whole = np.atleast_1d(np.asarray(totals, dtype=np.int64)).reshape(-1)
    if whole.shape[0] != rows.shape[0]:
        raise ValidationError(f"{name}: {whole.shape[0]} total(s) for {rows.shape[0]} "
                              "row(s) of parts")
    floor = np.floor(rows)
    floor = np.where(np.isclose(rows, floor + 1.0, rtol=0.0, atol=1e-6), floor + 1.0, floor)
    remainder = np.clip(rows - floor, 0.0, None)
    short = whole - floor.sum(axis=1).astype(np.int64)
    n = rows.shape[1]
    bad = (short < 0) | (short > n)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        after = f" {unit[0]}" if unit[0] else ""
        where = "" if single else f" (row {row})"
        raise ValidationError(f"{name}: total of {int(whole[row])}{after} is more than "
                              f"{unit[1]} per part from the parts' sum of "
                              f"{rows[row].sum():.1f}{after}{where}")
    out = floor.astype(np.int64)
    out += _largest(remainder, short)
    return out[0] if single else out


#: Buckets the remainders of a row are counted in by :func:`_largest` (only the bucket
#: that holds the last unit handed out is sorted).
_BUCKETS = 1024


def _largest(remainder: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per row, True for the ``count`` parts with the largest ``remainder`` (in [0, 1]),
    ties to the earlier part: what a stable sort of each row on −remainder would pick, in
    time linear in the row's length.

    The remainders are counted in :data:`_BUCKETS` equal buckets; the parts in buckets above
    the one that holds the last unit are picked, and only that bucket's parts are sorted.

    Examples
    --------
    >>> _largest(np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]), np.array([1, 2])).tolist()
    [[True, False, False], [False, True, True]]
    """
    rows = remainder.shape[0]
    bucket = np.minimum(remainder * _BUCKETS, _BUCKETS - 1).astype(np.intp)
    bucket += np.arange(0, rows * _BUCKETS, _BUCKETS)[:, None]      # a bucket per row
    counts = np.bincount(bucket.ravel(), minlength=rows * _BUCKETS).reshape(rows, _BUCKETS)
    at_or_above = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]      # parts in buckets ≥ b
    edge = (at_or_above >= count[:, None]).sum(axis=1) - 1         # bucket of the last unit
    every = np.arange(rows)
    taken = count - (at_or_above[every, edge] - counts[every, edge])
    edge += every * _BUCKETS
    chosen = bucket > edge[:, None]
    r, c = np.nonzero(bucket == edge[:, None])
    order = np.lexsort((c, -remainder[r, c], r))                   # by row, largest first
    r, c = r[order], c[order]
    rank = np.arange(len(r)) - np.searchsorted(r, r, side="left")
    keep = rank < taken[r]
    chosen[r[keep], c[keep]] = True
    return chosen


def allocate_pennies(pounds: Any, total: Any = None, name: str = "money") -> np.ndarray:
    """Float pounds → ``int64`` pence that add up exactly to a rounded whole.

    Rounding every part on its own makes the parts miss their total by a few pence
    (three thirds of £1 show as 33p + 33p + 33p = 99p). This rounds the whole first —
    ``total`` pence, or the sum of ``pounds`` rounded half up to the penny — then gives each
    part its pence rounded down and hands the pennies left over, one each, to the parts with
    the largest remainders (:func:`largest_remainder`; ties go to the earlier part). Each
    part moves by less than a penny from its exact value, and no part moves when the parts
    are already whole pence that add up to the total.

    Parameters
    ----------
    pounds : array_like of float
        The parts, in pounds (finite; any sign; each at most :data:`MAX_PENCE` pence). A
        2-D array is allocated row by row, each row to its own total.
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
        Non-finite or too large parts, or a ``total`` further from the sum than the parts
        can absorb.

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
    exact = finite_array(pounds, name) * 100.0
    _check_size(exact, name)
    if total is None:
        sums = np.atleast_2d(exact).sum(axis=1) / 100.0
        total = np.rint(round_half_up(sums, 2) * 100.0).astype(np.int64)
    return largest_remainder(exact, total, name, unit=("pence", "a penny"))
