"""When a count relative to budget counts a year, in whole pence, and the count itself.

A streamed simulation (:mod:`pbcmodel.scenario.tally`) counts, per practice, the years with a
loss beyond a fraction of budget and the years whose outturn is more than a fraction of
budget above or below it; a result with ``keep="full"`` counts the same from its kept
arrays (:class:`~pbcmodel.scenario.SimulationResult`). Both use the rules here, so a count
is the same number however it was made:

* a practice amount (whole pence) is a **loss beyond** ``f`` of budget iff it is below
  ``⌈−f × budget⌉`` (:func:`loss_limit`);
* an outturn (whole pence) is **over** budget by more than ``f`` iff it is above
  ``budget + ⌊f × budget⌋`` and **under** by more than ``f`` iff it is below
  ``budget − ⌊f × budget⌋`` (:func:`miss_margin`); exactly ``f`` away is neither.

``f × budget`` is formed once in floating point; the budget is the year's, or each
simulation's own when budgets learn from earlier outturns. The comparisons themselves are
``IS_LOSS``, ``IS_OVER`` and ``IS_UNDER`` of this module (numpy's ufuncs, applied to a chunk's
arrays by numpy and to single numbers by the compiled tally, :mod:`~.tally_kernel`).

Examples
--------
>>> import numpy as np
>>> outturn = np.array([[110_000], [110_001], [89_999], [95_000]])     # pence
>>> budget = np.array([100_000])
>>> m = miss_margin(budget, np.array([0.10]))[0]                      # 10,000p
>>> int(np.sum(outturn > budget + m)), int(np.sum(outturn < budget - m))
(1, 1)
"""

from __future__ import annotations

import numpy as np

# IS_LOSS, IS_OVER and IS_UNDER are numpy ufuncs, named here rather than listed in __all__
# (autodoc cannot give a ufunc a signature)
__all__ = ["count_rows", "loss_limit", "miss_margin", "tracked_index"]

#: A practice amount is counted as a loss iff it is below its limit (:func:`loss_limit`).
IS_LOSS = np.less
#: An outturn is counted over budget iff it is above ``budget + margin`` (:func:`miss_margin`).
IS_OVER = np.greater
#: An outturn is counted under budget iff it is below ``budget − margin``.
IS_UNDER = np.less


def loss_limit(budget_pence: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Whole-pence limits of a loss beyond each of ``fractions`` (F,) of budget: a practice
    amount (whole pence) is a loss beyond ``f × budget`` iff it is below ``⌈−f × budget⌉``.

    Shape (F, then the budget's shape).

    Examples
    --------
    >>> loss_limit(np.array([9_950]), np.array([0.01])).tolist()      # 1% is 99.5p
    [[-99]]
    """
    shape = (-1,) + (1,) * np.ndim(budget_pence)
    return np.ceil(-(np.asarray(fractions, dtype=float).reshape(shape) * budget_pence)
                   ).astype(np.int64)


def miss_margin(budget_pence: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Whole-pence margins of an outturn more than each of ``fractions`` (F,) of budget
    above or below it.

    The margin is ``m = ⌊f × budget⌋`` pence (``f × budget`` in floating point, as the loss
    limits): an outturn (whole pence) is **over** by more than ``f`` iff it is above
    ``budget + m`` (``outturn − budget > f × budget``) and **under** by more than ``f`` iff
    it is below ``budget − m``. An outturn exactly ``f`` of budget away is neither. Shape
    (F, then the budget's shape).

    Examples
    --------
    >>> margin = miss_margin(np.array([99_995]), np.array([0.10]))     # 10% is 9,999.5p
    >>> margin.tolist()                       # over iff > 109,994p, under iff < 89,996p
    [[9999]]
    """
    shape = (-1,) + (1,) * np.ndim(budget_pence)
    return np.floor(np.asarray(fractions, dtype=float).reshape(shape) * budget_pence
                    ).astype(np.int64)


def tracked_index(tracked: tuple[float, ...], value: float) -> int | None:
    """Where ``value`` is among ``tracked`` (to within 1e-12), or None."""
    for i, known in enumerate(tracked):
        if np.isclose(known, float(value), rtol=0, atol=1e-12):
            return i
    return None


def count_rows(test: np.ufunc, values: np.ndarray, limits: np.ndarray, hits: np.ndarray
               ) -> np.ndarray:
    """How many rows of ``values`` pass ``test(value, limit)``, per practice (int64).

    ``values`` and ``limits`` broadcast together (rows on the next-to-last axis, practices
    on the last) into ``hits``, a bool work array of their shape; one comparison and one
    count down the rows, both releasing the GIL. The counts have the rows' axis removed.

    Examples
    --------
    >>> values = np.array([[5, -3], [0, -9], [-2, 7]])
    >>> limits = np.array([[[0, 0]], [[-4, -4]]])              # below 0, below −4
    >>> count_rows(np.less, values, limits, np.empty((2, 3, 2), bool)).tolist()
    [[1, 2], [0, 1]]
    """
    test(values, limits, out=hits)
    shape = hits.shape
    counts = np.zeros(shape[:-2] + shape[-1:], dtype=np.int64)
    for lo in range(0, shape[-2], 255):              # bytes add up without overflow
        counts += np.add.reduce(hits[..., lo:lo + 255, :].view(np.uint8), axis=-2,
                                dtype=np.uint8)
    return counts
