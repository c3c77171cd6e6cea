"""Exact sums of squares of whole pence, held as two int64 halves so that nothing overflows.

A streamed tally (:mod:`~pbcmodel.scenario.tally`) keeps, per practice, ``Σ x²`` of its
yearly amounts and net cash (pence²) exactly, so that variances are exact up to the final
division. A sum is held as two int64 numbers, ``high`` and ``low``, meaning
``high · 2³² + low``; :func:`carried` puts them in their one canonical form
(``0 ≤ low < 2³²``), so that two tallies of the same numbers hold the same halves however
their simulations were split into chunks, and whether numpy or the compiled tally
(:mod:`~.tally_kernel`) added them.

Examples
--------
>>> import numpy as np
>>> x = np.array([[3_000_000_000, -2], [5, 7]])          # pence
>>> sums = square_sums(x)
>>> exact(sums) == [3_000_000_000**2 + 25, 53]
True
>>> bool(np.all((0 <= sums[1]) & (sums[1] < 2**32)))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SQUARE_SAFE", "carried", "exact", "halves", "square_sums"]

#: ``⌊√(2⁶³ − 1)⌋``: a whole number of pence of smaller magnitude squares within int64.
SQUARE_SAFE = 3_037_000_499
_LOW32 = np.int64(2**32 - 1)


def halves(square: Any) -> tuple[Any, Any]:
    """``square`` (int64, non-negative) as its high and low 32 bits: arrays (numpy) or
    single numbers (compiled by numba in :mod:`~.tally_kernel`).

    Examples
    --------
    >>> [int(h) for h in halves(np.int64(5 * 2**32 + 7))]
    [5, 7]
    """
    return square >> 32, square & _LOW32


def carried(sums: np.ndarray) -> np.ndarray:
    """Sums held as (2, P) halves put in canonical form, in place (and returned): the low
    half's carry moved to the high half, so that ``0 ≤ low < 2³²``.

    Examples
    --------
    >>> carried(np.array([[1], [2**32 + 9]])).ravel().tolist()
    [2, 9]
    """
    high, low = halves(sums[1])
    sums[0] += high
    sums[1] = low
    return sums


def square_sums(x: np.ndarray, biggest: int | None = None) -> np.ndarray:
    """Exact ``Σ x²`` down the rows of int64 pence ``x`` (k, P), as canonical (2, P) halves.

    Row ``0`` holds the high half and row ``1`` the low 32 bits of each sum. ``biggest``
    (optional) is ``max |x|`` if already known.

    Examples
    --------
    >>> square_sums(np.array([[2**20], [-2**20]])).ravel().tolist()     # 2 × 2^40
    [512, 0]
    """
    if biggest is None:
        biggest = int(max(-int(x.min(initial=0)), int(x.max(initial=0))))
    if biggest < SQUARE_SAFE:
        rows = max(1, (2**63 - 1) // max(biggest * biggest, 1))
        total = np.zeros((2, x.shape[1]), dtype=np.int64)
        for lo in range(0, len(x), rows):
            part = x[lo:lo + rows]
            high, low = halves(np.einsum("ij,ij->j", part, part))   # exact: no overflow
            total[0] += high
            total[1] += low
        return carried(total)
    # huge amounts: x = a·2^16 + b, x² = a²·2^32 + 2ab·2^16 + b² (exact Python integers)
    a, b = x >> 16, x & 0xFFFF
    values = [(int(ai) << 32) + (int(abi) << 17) + int(bi) for ai, abi, bi in
              zip((a * a).sum(axis=0), (a * b).sum(axis=0), (b * b).sum(axis=0), strict=True)]
    return np.array([[v >> 32 for v in values], [v & (2**32 - 1) for v in values]],
                    dtype=np.int64)


def exact(sums: np.ndarray) -> list[int]:
    """Python integers from (2, P) halves.

    Examples
    --------
    >>> exact(np.array([[1, 0], [3, 4]]))
    [4294967299, 4]
    """
    return [(int(h) << 32) + int(lo) for h, lo in zip(sums[0], sums[1], strict=True)]
