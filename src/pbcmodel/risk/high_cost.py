"""The per-patient high-cost threshold: what a practice keeps and what the pool pays.

With a threshold ``d``, a patient whose annual cost is ``X`` costs the practice
``min(X, d)`` (the *retained* part) and the high-cost pool ``(X − d)⁺`` (the *excess*);
the *total* is ``X`` itself, as without a threshold. :func:`apply_threshold` is the one
place the threshold is applied, for every method of :data:`pbcmodel.risk.methods.REGISTRY`:

* ``"fft"`` and ``"normal"`` — to each age-sex cell's per-patient cost distribution on a
  lattice (:class:`pbcmodel.risk.methods.CellLaws`): the FFT aggregates those laws, the
  normal takes their mean and variance. For the retained part the threshold is also
  applied to each POD's cost before the PODs are summed, as
  ``min(ΣY, d) = min(Σ min(Y, d), d)``; this keeps the sum short enough for an FFT that
  does not wrap;
* ``"mc"`` — to each simulated patient's annual cost
  (:func:`pbcmodel.risk.patients.simulate_patients`).

The threshold is per patient and per year, on the patient's cost summed over every POD.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..errors import ValidationError

#: The parts of a patient's cost: kept by the practice, paid by the pool, or both.
PARTS: tuple[str, ...] = ("retained", "excess", "total")
Part = Literal["retained", "excess", "total"]

__all__ = ["PARTS", "apply_threshold"]


def apply_threshold(cost: np.ndarray, threshold: float, part: str, *,
                    pmf: bool = False) -> np.ndarray:
    """The ``part`` of per-patient costs under the high-cost ``threshold``.

    Parameters
    ----------
    cost : array
        Per-patient annual costs ``X`` (any shape); or, with ``pmf=True``, per-patient cost
        distributions on a lattice, ``cost[..., i]`` the probability that ``X`` is ``i``
        buckets.
    threshold : float
        The threshold ``d`` in the units of ``cost``: pounds (or lattice positions) for
        costs; for distributions, a whole number of buckets (``d`` must be a lattice point).
    part : {"retained", "excess", "total"}
        ``min(X, d)``, kept by the practice; ``(X − d)⁺``, paid by the high-cost pool; or
        ``X``, the cost itself (``cost`` is returned as it is).
    pmf : bool, default False
        Whether ``cost`` holds distributions rather than amounts.

    Returns
    -------
    array
        For amounts, the same shape: ``min(X, d)`` or ``X − min(X, d)``. For distributions,
        the law of the part on the same lattice: ``min(X, d)`` on ``0 … d`` (``d + 1``
        points; the mass at ``d`` is ``1 − P(X < d)``), ``(X − d)⁺`` on ``0 … L − 1 − d``
        for ``L`` points (the mass at 0 is ``P(X ≤ d)``). A new array, except for
        ``"total"``.

    Raises
    ------
    ValidationError
        ``part`` is not one of :data:`PARTS`; for distributions, ``threshold`` is not a
        lattice point inside the lattice.

    Examples
    --------
    Two patients costing £10,000 and £80,000 under a £50,000 threshold: the practice keeps
    £10,000 and £50,000, the pool pays £0 and £30,000.

    >>> cost = np.array([10_000.0, 80_000.0])
    >>> apply_threshold(cost, 50_000.0, "retained").tolist()
    [10000.0, 50000.0]
    >>> apply_threshold(cost, 50_000.0, "excess").tolist()
    [0.0, 30000.0]

    The same rule on a distribution: ``X`` is 0, 1, 2 or 3 buckets with probabilities
    ½, ¼, ⅛, ⅛ and ``d`` is 2 buckets. ``min(X, 2)`` is 0, 1, 2 with ½, ¼, ¼;
    ``(X − 2)⁺`` is 0 with ⅞ (``X ≤ 2``) and 1 with ⅛.

    >>> law = np.array([0.5, 0.25, 0.125, 0.125])
    >>> apply_threshold(law, 2, "retained", pmf=True).tolist()
    [0.5, 0.25, 0.25]
    >>> apply_threshold(law, 2, "excess", pmf=True).tolist()
    [0.875, 0.125]
    """
    if part not in PARTS:
        raise ValidationError(f"part: must be one of {PARTS}, got {part!r}")
    if part == "total":
        return cost
    if not pmf:
        kept = np.minimum(cost, threshold)
        return kept if part == "retained" else cost - kept
    d = int(threshold)
    if d != threshold or not 0 <= d < cost.shape[-1]:
        raise ValidationError(f"threshold: must be a lattice point in 0 … {cost.shape[-1] - 1}"
                              f", got {threshold!r}")
    if part == "retained":
        law = cost[..., :d + 1].copy()
        law[..., d] = 1.0 - law[..., :d].sum(axis=-1)
        return law
    return np.concatenate([cost[..., :d + 1].sum(axis=-1, keepdims=True), cost[..., d + 1:]],
                          axis=-1)
