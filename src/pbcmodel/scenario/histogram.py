"""Each practice's histogram in a streamed tally: its grid of bins, and the bin of an amount.

A :class:`~pbcmodel.scenario.tally.Tally` counts every yearly practice amount (whole pence)
in a histogram of :data:`HISTOGRAM_BINS` bins per practice, plus an overflow bin at each
end. The grid is chosen before any draw (:func:`histogram_grid`): per practice a lower edge
``low`` and a width ``w`` (whole pence), so that bin ``b`` (``1 ≤ b ≤ HISTOGRAM_BINS``)
holds the amounts ``low + (b − 1)·w … low + b·w − 1``, bin ``0`` those below ``low`` and
bin ``HISTOGRAM_BINS + 1`` those from ``low + HISTOGRAM_BINS·w`` up.

:func:`histogram_bin` is that rule, written once for both ways a tally is made: numpy
applies it to a chunk's arrays, and the compiled tally (:mod:`~.tally_kernel`) to single
numbers (the function compiled by numba).

Examples
--------
>>> import numpy as np
>>> origin, width = bin_edges(np.array([-1_000]), np.array([10]))     # bins of 10p
>>> histogram_bin(np.array([-1_001, -1_000, -991, -990, 19_479, 19_480]), origin, width)
array([   0,    1,    1,    2, 2048, 2049])
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["HISTOGRAM_BINS", "bin_edges", "histogram_bin", "histogram_grid"]

#: Bins of each practice's histogram of the yearly practice amount (plus two overflow bins).
HISTOGRAM_BINS = 2048
#: The last bin (the upper overflow), as a float for :func:`histogram_bin`.
_TOP = float(HISTOGRAM_BINS + 1)
#: Standard deviations of spend either side of its mean covered by the histogram grid.
_SPAN_SD = 8.0


def histogram_grid(budget_pence: np.ndarray, mean: np.ndarray, var: np.ndarray,
                   growth: np.ndarray, shock_cv: float) -> tuple[np.ndarray, np.ndarray]:
    """Per practice, the lower edge and the width (whole pence) of the histogram's bins.

    The grid covers 0 and every variance ``budget − outturn`` within ``±8`` standard
    deviations of expected spend in any year (a practice's amount is a share of its own
    variance, so it lies in that range); anything outside lands in an overflow bin.

    Examples
    --------
    >>> low, width = histogram_grid(np.full((1, 1), 100_000), np.array([1_000.0]),
    ...                             np.array([100.0**2]), np.ones(1), 0.0)
    >>> int(low[0]), int(width[0])         # budget £1,000, spend £1,000 ± 8 × £100
    (-80000, 79)
    """
    second = (var + mean**2) * (1.0 + shock_cv**2) - mean**2
    sd = np.sqrt(np.maximum(second, 0.0))
    spend_hi = growth[:, None] * (mean + _SPAN_SD * sd) * 100
    spend_lo = growth[:, None] * np.maximum(mean - _SPAN_SD * sd, 0.0) * 100
    low = np.minimum((budget_pence - spend_hi).min(axis=0), 0.0)
    high = np.maximum((budget_pence - spend_lo).max(axis=0), 0.0)
    width = np.maximum(np.ceil((high - low) / HISTOGRAM_BINS), 1.0).astype(np.int64)
    return np.floor(low).astype(np.int64), width


def bin_edges(low: np.ndarray, width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grid as :func:`histogram_bin` reads it: ``low − width`` and ``width``, floats.

    Examples
    --------
    >>> [a.tolist() for a in bin_edges(np.array([-500]), np.array([4]))]
    [[-504.0], [4.0]]
    """
    return (low - width).astype(float), width.astype(float)


def histogram_bin(amount: Any, origin: Any, width: Any) -> Any:
    """The bin of each ``amount`` (whole pence): ``⌊(amount − origin) / width⌋`` held
    within ``0 … HISTOGRAM_BINS + 1`` (``origin`` and ``width`` from :func:`bin_edges`).

    Whole numbers below 2^53 convert and subtract exactly and their quotients round
    correctly, so the floor is exact: bin ``b ≥ 1`` holds ``low + (b − 1)·w … low + b·w − 1``.
    The same function serves arrays (numpy) and single numbers (compiled by numba in
    :mod:`~.tally_kernel`); the position is never negative when truncated, so truncation
    is the floor.

    Examples
    --------
    >>> origin, width = bin_edges(np.array([0]), np.array([100]))
    >>> histogram_bin(np.array([-1, 0, 99, 100, 10**12]), origin, width).tolist()
    [0, 1, 1, 2, 2049]
    """
    return np.intp(np.minimum(np.maximum((amount - origin) / width, 0.0), _TOP))
