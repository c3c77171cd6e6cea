"""The per-patient high-cost threshold: what a practice keeps and what the pool pays.

With a threshold ``d``, a patient whose annual cost is ``X`` costs the practice
``min(X, d)`` (the *retained* part) and the high-cost pool ``(X − d)⁺`` (the *excess*);
the *total* is ``X`` itself, as without a threshold. With a pool share ``f`` in (0, 1]
(a *partial* stop-loss, as Germany's Morbi-RSA risk pool: :data:`MORBI_RSA_POOL_SHARE`)
the pool pays ``f·(X − d)⁺`` and the practice keeps ``min(X, d) + (1 − f)·(X − d)⁺``;
``f = 1`` (the default) is the whole stop-loss. :func:`apply_threshold` is the one
place the threshold and the share are applied, for every method of
:data:`pbcmodel.risk.methods.REGISTRY`:

* ``"fft"`` and ``"normal"`` — to each age-sex cell's per-patient cost distribution on a
  lattice (:class:`pbcmodel.risk.methods.CellLaws`): the FFT aggregates those laws, the
  normal takes their mean and variance. For the retained part the threshold is also
  applied to each POD's cost before the PODs are summed, as
  ``min(ΣY, d) = min(Σ min(Y, d), d)``; this keeps the sum short enough for an FFT that
  does not wrap;
* ``"mc"`` — to each simulated patient's annual cost
  (:func:`pbcmodel.risk.patients.simulate_patients`).

The threshold is per patient and per year, on the patient's cost summed over every POD.
:func:`check_pool_share` is the one check of a pool share.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..errors import ValidationError
from ..validation import number

#: The parts of a patient's cost: kept by the practice, paid by the pool, or both.
PARTS: tuple[str, ...] = ("retained", "excess", "total")
Part = Literal["retained", "excess", "total"]

#: The share of a patient's annual cost above the threshold that Germany's high-cost risk
#: pool (*Risikopool*) of the morbidity-based risk structure compensation (Morbi-RSA) meets:
#: 80% of the compensable annual expenditure on one insured person above €100,000 (the
#: threshold moved each year by the growth of that expenditure per insured), the sick fund
#: keeping the other 20% so that it still gains from economy above the threshold. Source:
#: § 268 Abs. 1 Sätze 2–3 SGB V as reintroduced by the Fair Sick Fund Competition Act
#: (GKV-FKG; reasons in Bundestag printed paper BT-Drs. 19/15662, p. 93), carried out by
#: § 14 of the Risk Structure Compensation Ordinance (RSAV: the Federal Social Security
#: Office sets and publishes the threshold each year and works out each fund's amount).
MORBI_RSA_POOL_SHARE = 0.8

__all__ = ["MORBI_RSA_POOL_SHARE", "PARTS", "apply_threshold", "check_pool_share"]


def check_pool_share(share: object, threshold: object) -> float:
    """The high-cost pool's share ``f`` of each patient's cost above the threshold, checked.

    Parameters
    ----------
    share : float
        In (0, 1]: 1 for a whole stop-loss (the pool pays all the cost above the threshold),
        e.g. :data:`MORBI_RSA_POOL_SHARE` (0.8) for a partial one.
    threshold : float or None
        The per-patient threshold the share applies to; a share other than 1 needs one.

    Returns
    -------
    float

    Raises
    ------
    ValidationError
        ``share`` is not a number, or not in (0, 1]; a share other than 1 without a
        threshold (the error names both ``high_cost_pool_share`` and
        ``high_cost_threshold``).

    Examples
    --------
    >>> check_pool_share(0.8, 100_000.0)
    0.8
    >>> check_pool_share(1.5, 100_000.0)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: high_cost_pool_share: must be in (0, 1] (the pool's \
share of each patient's cost above the threshold), got 1.5
    >>> check_pool_share(0.8, None)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: high_cost_pool_share: 0.8 needs a high_cost_threshold \
(the pool meets a share of each patient's cost above it); give one, or leave the share at 1
    """
    f = number(share, "high_cost_pool_share")
    if not 0 < f <= 1:
        raise ValidationError("high_cost_pool_share: must be in (0, 1] (the pool's share of "
                              f"each patient's cost above the threshold), got {share!r}")
    if f != 1 and threshold is None:
        raise ValidationError(f"high_cost_pool_share: {share!r} needs a high_cost_threshold "
                              "(the pool meets a share of each patient's cost above it); give "
                              "one, or leave the share at 1")
    return f


def apply_threshold(cost: np.ndarray, threshold: float, part: str, *,
                    pmf: bool = False, pool_share: float = 1.0) -> np.ndarray:
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
        ``min(X, d) + (1 − f)·(X − d)⁺``, kept by the practice; ``f·(X − d)⁺``, paid by the
        high-cost pool; or ``X``, the cost itself (``cost`` is returned as it is).
    pmf : bool, default False
        Whether ``cost`` holds distributions rather than amounts.
    pool_share : float, default 1.0
        The pool's share ``f`` in (0, 1] of the cost above the threshold
        (:func:`check_pool_share`); 1, the whole stop-loss, is computed exactly as before
        shares existed.

    Returns
    -------
    array
        For amounts, the same shape: with ``f = 1`` ``min(X, d)`` or ``X − min(X, d)``;
        otherwise ``X − f·(X − min(X, d))`` or ``f·(X − min(X, d))`` (exact arithmetic; the
        two add up to ``X`` to the last bit or so). For distributions, the law of the part on
        the same lattice: with ``f = 1``, ``min(X, d)`` on ``0 … d`` (``d + 1`` points; the
        mass at ``d`` is ``1 − P(X < d)``), ``(X − d)⁺`` on ``0 … L − 1 − d`` for ``L``
        points (the mass at 0 is ``P(X ≤ d)``); with ``f < 1``, the retained part on all
        ``L`` points and the excess on ``0 … L − 1 − d``. A new array, except for
        ``"total"``.

    Raises
    ------
    ValidationError
        ``part`` is not one of :data:`PARTS`; ``pool_share`` not in (0, 1]; for
        distributions, ``threshold`` is not a lattice point inside the lattice.

    Notes
    -----
    With ``f < 1`` a part's value on a lattice, ``f·k`` or ``d + (1 − f)·(k − d)`` for
    ``X = k`` buckets, mostly falls between two lattice points. Its mass is then split
    between the two neighbours in inverse proportion to the distance (the *method of
    rounding*, or linear split, of the actuarial literature, as in the ``aggregate``
    library): a value ``v`` between ``i`` and ``i + 1`` puts ``i + 1 − v`` of its mass at
    ``i`` and ``v − i`` at ``i + 1``. Total mass stays 1 and the mean stays exact
    (``f·E[(X − d)⁺]`` for the pool), while the variance grows by at most ¼ bucket² per
    patient above the threshold.

    Examples
    --------
    Two patients costing £10,000 and £80,000 under a £50,000 threshold: the practice keeps
    £10,000 and £50,000, the pool pays £0 and £30,000.

    >>> cost = np.array([10_000.0, 80_000.0])
    >>> apply_threshold(cost, 50_000.0, "retained").tolist()
    [10000.0, 50000.0]
    >>> apply_threshold(cost, 50_000.0, "excess").tolist()
    [0.0, 30000.0]

    A pool meeting 80% of the cost above the threshold pays 0.8 × £30,000 = £24,000 of the
    second patient; the practice keeps £50,000 + 0.2 × £30,000 = £56,000.

    >>> apply_threshold(cost, 50_000.0, "excess", pool_share=0.8).tolist()
    [0.0, 24000.0]
    >>> apply_threshold(cost, 50_000.0, "retained", pool_share=0.8).tolist()
    [10000.0, 56000.0]

    The same rule on a distribution: ``X`` is 0, 1, 2 or 3 buckets with probabilities
    ½, ¼, ⅛, ⅛ and ``d`` is 2 buckets. ``min(X, 2)`` is 0, 1, 2 with ½, ¼, ¼;
    ``(X − 2)⁺`` is 0 with ⅞ (``X ≤ 2``) and 1 with ⅛.

    >>> law = np.array([0.5, 0.25, 0.125, 0.125])
    >>> apply_threshold(law, 2, "retained", pmf=True).tolist()
    [0.5, 0.25, 0.25]
    >>> apply_threshold(law, 2, "excess", pmf=True).tolist()
    [0.875, 0.125]

    With ``d`` = 1 bucket and a pool share of ½: ``(X − 1)⁺`` is 0, 1, 2 with ¾, ⅛, ⅛, so
    the pool pays 0, ½, 1 with ¾, ⅛, ⅛. The ⅛ at ½ is split ¹⁄₁₆ to 0 and ¹⁄₁₆ to 1:
    0 with ¾ + ¹⁄₁₆ = ¹³⁄₁₆, 1 with ¹⁄₁₆ + ⅛ = ³⁄₁₆; the mean, ³⁄₁₆, is ½ × E[(X − 1)⁺]
    = ½ × (⅛ + ¼), exactly. The practice keeps ``min(X, 1) + ½·(X − 1)⁺``: 0, 1, 1½, 2 with
    ½, ¼, ⅛, ⅛; the ⅛ at 1½ goes ¹⁄₁₆ to 1 and ¹⁄₁₆ to 2: 0, 1, 2 with ½, ⁵⁄₁₆, ³⁄₁₆
    (mean ¹¹⁄₁₆ = E[X] − ³⁄₁₆ = ⅞ − ³⁄₁₆).

    >>> apply_threshold(law, 1, "excess", pmf=True, pool_share=0.5).tolist()
    [0.8125, 0.1875, 0.0]
    >>> apply_threshold(law, 1, "retained", pmf=True, pool_share=0.5).tolist()
    [0.5, 0.3125, 0.1875, 0.0]
    """
    if part not in PARTS:
        raise ValidationError(f"part: must be one of {PARTS}, got {part!r}")
    if part == "total":
        return cost
    f = check_pool_share(pool_share, threshold)
    if not pmf:
        kept = np.minimum(cost, threshold)
        if f == 1:
            return kept if part == "retained" else cost - kept
        pooled = f * (cost - kept)
        return cost - pooled if part == "retained" else pooled
    d = int(threshold)
    if d != threshold or not 0 <= d < cost.shape[-1]:
        raise ValidationError(f"threshold: must be a lattice point in 0 … {cost.shape[-1] - 1}"
                              f", got {threshold!r}")
    if f != 1:
        return _shared_law(cost, d, part, f)
    if part == "retained":
        law = cost[..., :d + 1].copy()
        law[..., d] = 1.0 - law[..., :d].sum(axis=-1)
        return law
    return np.concatenate([cost[..., :d + 1].sum(axis=-1, keepdims=True), cost[..., d + 1:]],
                          axis=-1)


def _shared_law(cost: np.ndarray, d: int, part: str, f: float) -> np.ndarray:
    """The law of ``part`` with a pool share ``f < 1`` on the lattice of ``cost``, each mass
    split linearly between the two lattice points around its value (mean kept)."""
    size = cost.shape[-1]
    k = np.arange(size, dtype=float)
    above = np.maximum(k - d, 0.0)
    if part == "retained":
        value, length = k - f * above, size
    else:
        value, length = f * above, size - d
    low = np.floor(value)
    up = value - low                             # share of each mass one point up
    at = low.astype(np.int64)
    rows = cost.reshape(-1, size)
    out = np.zeros((len(rows), length + 1))
    for row, masses in zip(out, rows, strict=True):
        row += np.bincount(at, masses * (1.0 - up), minlength=length + 1)
        row += np.bincount(at + 1, masses * up, minlength=length + 1)
    return out[:, :length].reshape(*cost.shape[:-1], length)
