"""Risk corridors written as bands: :func:`corridor`, a :class:`ShareSchedule` from
``(from, to, share)`` bands of budget, checked for gaps, overlaps and shares outside [0, 1].

A finance reader writes a corridor as bands: "the practice keeps all savings up to 2% of
budget, half of those from 2% to 5%, none beyond". :class:`ShareSchedule` holds the same
rule as tiers (a threshold and the marginal share beyond it, up to the next threshold).
:func:`corridor` turns the first form into the second, so one piece of arithmetic,
:meth:`~pbcmodel.sharing.SideRule.amount`, settles both.

Examples
--------
>>> sched = corridor(savings=[(0.0, 0.02, 1.0), (0.02, 0.05, 0.5)])
>>> sched.savings
((0.0, 1.0), (0.02, 0.5), (0.05, 0.0))
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from ..errors import ValidationError
from ..validation import check_fraction
from .schedule import ShareSchedule, Tiers, budget_fraction

__all__ = [
    "bands_to_tiers",
    "corridor",
]

# One band as written: (from, to, share); ``to`` is None for an open last band.
_Band = tuple[float, float | None, float]


def _pct(x: float | None) -> str:
    return "open" if x is None else f"{100 * x:g}%"


def _label(low: float, high: float | None) -> str:
    """A band in percent of budget, e.g. '2%-5%' or '10% and above'."""
    return f"{_pct(low)} and above" if high is None else f"{_pct(low)}-{_pct(high)}"


def _band(item: Any, side: str, i: int) -> tuple[float, float | None, float]:
    """One band checked on its own: a triple, ends fractions of budget, upper above lower,
    share in [0, 1]."""
    try:
        low, high, share = item
    except (TypeError, ValueError):
        raise ValidationError(
            f"{side} band {i + 1}: expected (from, to, share) with from and to fractions of "
            f"budget (to None for an open last band), got {item!r}") from None
    lo = budget_fraction(low, f"{side} band {i + 1} from")
    hi = None if high is None else budget_fraction(high, f"{side} band {i + 1} to")
    label = _label(lo, hi)
    if hi is not None and hi <= lo:
        raise ValidationError(
            f"{side} band {label}: its upper end must be above its lower end")
    check_fraction(share, f"{side} band {label} share")
    return lo, hi, float(share)


def bands_to_tiers(bands: Sequence[Any] | None, side: str) -> Tiers:
    """Contiguous bands ``(from, to, share)`` → tiers ``(threshold, share)``.

    The bands must start at 0 and each must begin where the one before ends; only the last
    may be open (``to`` None). Beyond a closed last band the practice shares nothing (a
    tier of share 0 at its upper end). No bands: the practice shares nothing on that side.

    Raises
    ------
    ValidationError
        Naming the band(s) in percent of budget: a gap or an overlap between two bands, a
        share outside [0, 1], bands not starting at 0, an upper end not above the lower, an
        open band that is not the last.

    Examples
    --------
    >>> bands_to_tiers([(0, 0.03, 1.0), (0.03, 0.08, 0.5), (0.08, None, 0.2)], "losses")
    ((0.0, 1.0), (0.03, 0.5), (0.08, 0.2))
    >>> bands_to_tiers([(0, 0.05, 0.5), (0.04, 0.10, 0.2)], "losses")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: losses bands 0%-5% and 4%-10% overlap
    """
    if bands is None or (isinstance(bands, Sequence) and not isinstance(bands, str)
                         and len(bands) == 0):
        return ((0.0, 0.0),)
    if isinstance(bands, (str, bytes)) or not isinstance(bands, Sequence):
        raise ValidationError(
            f"{side}: expected a list of (from, to, share) bands, got {bands!r}")
    checked = [_band(item, side, i) for i, item in enumerate(bands)]
    if checked[0][0] != 0.0:
        raise ValidationError(f"{side} bands must start at 0% of budget; the first band is "
                              f"{_label(checked[0][0], checked[0][1])}")
    for (lo0, hi0, _), (lo1, hi1, _) in itertools.pairwise(checked):
        pair = f"{side} bands {_label(lo0, hi0)} and {_label(lo1, hi1)}"
        if hi0 is None or lo1 < hi0:
            raise ValidationError(f"{pair} overlap")
        if lo1 > hi0:
            raise ValidationError(
                f"{pair} leave a gap: {_pct(hi0)} to {_pct(lo1)} of budget is in no band")
    tiers = tuple((lo, share) for lo, _, share in checked)
    last_high = checked[-1][1]
    return tiers if last_high is None else (*tiers, (last_high, 0.0))


def corridor(savings: Sequence[_Band] | None = None,
             losses: Sequence[_Band] | None = None, *,
             minimum_savings_rate: float = 0.0, minimum_loss_rate: float = 0.0,
             first_dollar: bool = True, savings_cap: float | None = None,
             loss_cap: float | None = None, gates: Any = ()) -> ShareSchedule:
    """A risk corridor from bands: the practice's share of each band of under- or overspend.

    Parameters
    ----------
    savings, losses : sequence of (from, to, share), optional
        Bands of the underspend (overspend) as fractions of budget, e.g. ``(0.02, 0.05,
        0.5)``: the practice keeps (bears) 50% of the part between 2% and 5% of budget.
        The bands must start at 0 and be contiguous (each starts where the one before
        ends); ``to`` of the last band may be None (open: the share applies to all beyond).
        Beyond a closed last band the practice shares nothing. Left out or empty: the
        practice shares nothing on that side.
    minimum_savings_rate, minimum_loss_rate, first_dollar, savings_cap, loss_cap, gates
        As for :class:`~pbcmodel.sharing.ShareSchedule`.

    Returns
    -------
    ShareSchedule
        The same rule as tiers (each band's lower end and share), settled by
        :meth:`~pbcmodel.sharing.SideRule.amount` like any other schedule.

    Raises
    ------
    ValidationError
        For bands that overlap or leave a gap (naming both bands in percent of budget), a
        share outside [0, 1] (naming the band), bands that do not start at 0, a band whose
        upper end is not above its lower end, or an open band before the last.

    Examples
    --------
    A symmetric corridor on a budget of £1,000,000: the practice keeps (bears) all of the
    first 2% of budget, 50% of the part from 2% to 5%, 20% beyond 5%. An underspend of
    £60,000 (6%) pays the practice £20,000 + 50% × £30,000 + 20% × £10,000 = £37,000; an
    overspend of £30,000 (3%) costs it £20,000 + 50% × £10,000 = £25,000.

    >>> bands = [(0.0, 0.02, 1.0), (0.02, 0.05, 0.5), (0.05, None, 0.2)]
    >>> sched = corridor(savings=bands, losses=bands)
    >>> sched.savings
    ((0.0, 1.0), (0.02, 0.5), (0.05, 0.2))
    >>> [round(float(sched.practice_amount(1e6, o)), 2) for o in (940_000, 1_030_000)]
    [37000.0, -25000.0]

    Bands with a gap are refused, naming both:

    >>> corridor(losses=[(0.0, 0.02, 1.0), (0.03, None, 0.5)])
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: losses bands 0%-2% and 3% and above leave a gap: 2% to \
3% of budget is in no band
    """
    return ShareSchedule(savings=bands_to_tiers(savings, "savings"),
                         losses=bands_to_tiers(losses, "losses"),
                         minimum_savings_rate=minimum_savings_rate,
                         minimum_loss_rate=minimum_loss_rate, first_dollar=first_dollar,
                         savings_cap=savings_cap, loss_cap=loss_cap, gates=gates)
