"""The experience rule: a practice's target moved towards its own experience, total kept.

:func:`experience_budgets` is the one definition of the rule, on arrays, for one year or
every simulation at once (:class:`ExperienceStep`, its arrays); :func:`credibility_budgets`
applies it to one year's budgets with a fitted :class:`~pbcmodel.credibility.Credibility`,
keeping the total exactly in floating-point pounds.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..validation import quoted
from .estimation import Credibility

__all__ = ["ExperienceStep", "credibility_budgets", "experience_budgets"]


def _keep_total(budget: np.ndarray, total: float, max_tries: int = 256) -> np.ndarray:
    """Nudge one entry (the largest that works) so that ``budget.sum() == total`` exactly.

    The rescaled budgets add up to the total up to rounding; this moves one entry by a few
    units in the last place, found by bisection on its bit pattern (the floating sum is
    monotone in each entry), so the displayed total is the resource, not one ulp off.
    """
    b = budget.astype(float).copy()
    if b.sum() == total:
        return b

    def total_with(i: int, v: float) -> float:
        old = b[i]
        b[i] = v
        s = float(b.sum())
        b[i] = old
        return s

    for i in np.argsort(-b, kind="stable")[:max_tries]:
        i = int(i)
        s0 = total_with(i, b[i])
        gap = abs(total - s0) * 2 + float(np.spacing(b[i]))
        lo, hi = float(b[i]), float(b[i])
        if s0 < total:
            while total_with(i, hi) < total:
                hi += gap
                gap *= 2
        else:
            while total_with(i, lo) > total and lo > 0:
                lo = max(lo - gap, 0.0)
                gap *= 2
        lo_bits = int(np.float64(lo).view(np.int64))
        hi_bits = int(np.float64(hi).view(np.int64))
        while hi_bits - lo_bits > 1:
            mid = (lo_bits + hi_bits) // 2
            if total_with(i, float(np.int64(mid).view(np.float64))) < total:
                lo_bits = mid
            else:
                hi_bits = mid
        for bits in (hi_bits, lo_bits):
            v = float(np.int64(bits).view(np.float64))
            if total_with(i, v) == total:
                b[i] = v
                return b
    return b  # within an ulp or two of the total; no single entry reaches it exactly


class ExperienceStep(NamedTuple):
    """The experience step's arrays (:func:`experience_budgets`)."""

    factor: np.ndarray
    """Per practice (and simulation), ``z · r / μ̂ + 1 − z``; 1 where ``z = 0``."""
    budget: np.ndarray
    """``target · factor · scale``, float, the shape of ``factor``."""
    scale: np.ndarray
    """Per row, ``Σ target / Σ target · factor`` (a 0-d array for one row)."""


def experience_budgets(target: Any, ratio: Any, z: Any,
                       collective: Any = None) -> ExperienceStep:
    """The experience rule on arrays: move targets towards experience, keeping each row's total.

    The one definition of the experience step of pbcmodel (:func:`credibility_budgets`
    applies it to one year's budgets with a fitted
    :class:`~pbcmodel.credibility.Credibility`; a simulation with
    :class:`~pbcmodel.credibility.LearningBudgets` applies it to every simulated year at
    once). With ``r`` each practice's ratio of actual to expected spend, ``z`` its
    credibility and ``μ̂`` the collective ratio:

    * ``factor = z · (r / μ̂) + 1 − z`` (1 where ``z = 0``, whatever ``r``);
    * ``budget = target · factor · scale``, ``scale = Σ target / Σ target · factor`` per
      row, so each row's budgets add up to the total of ``target`` (up to floating-point
      rounding: :func:`credibility_budgets` nudges one entry; a simulation allocates whole
      pence).

    Parameters
    ----------
    target : array of float, shape (P,)
        The formula's budgets (any unit), > 0.
    ratio : array of float, shape (P,) or (S, P)
        Actual / expected spend per practice (per simulation): ≥ 0; NaN allowed where
        ``z = 0``.
    z : array of float, shape (P,) or (S, P)
        Credibility factors in [0, 1].
    collective : float or array of shape (S,), optional
        ``μ̂``, > 0. Default: the credibility-weighted mean of each row, ``Σ z · r / Σ z``
        (the collective mean of :func:`~pbcmodel.credibility.buhlmann_straub`);
        ``factor = 1`` in a row where every ``z`` is 0.

    Returns
    -------
    ExperienceStep
        ``factor``, ``budget`` (the broadcast shape of ``ratio`` and ``z``) and ``scale``.

    Raises
    ------
    ValidationError
        Shapes that do not broadcast to ``(P,)`` or ``(S, P)``; a collective ratio ≤ 0.

    Examples
    --------
    Two simulations of three practices: practice 0 overspent by 20% in the first, the
    collective ratio of that row is then ``(0.5·1.2 + 0.5·1 + 0·0.9) / 1 = 1.1``:

    >>> import numpy as np
    >>> step = experience_budgets(np.array([100.0, 100.0, 50.0]),
    ...                           np.array([[1.2, 1.0, 0.9], [1.0, 1.0, 1.0]]),
    ...                           np.array([0.5, 0.5, 0.0]))
    >>> step.factor.round(4).tolist()
    [[1.0455, 0.9545, 1.0], [1.0, 1.0, 1.0]]
    >>> step.budget.sum(axis=1).tolist()
    [250.0, 250.0]
    """
    t = np.asarray(target, dtype=float)
    r = np.asarray(ratio, dtype=float)
    zz = np.asarray(z, dtype=float)
    shape = np.broadcast_shapes(t.shape, r.shape, zz.shape)
    if t.ndim != 1 or len(shape) > 2:
        raise ValidationError(f"ratio: expected target (P,) and ratio and z of shape (P,) or "
                              f"(S, P), got {t.shape}, {r.shape} and {zz.shape}")
    with np.errstate(invalid="ignore", divide="ignore"):
        if collective is None:
            mu = np.where(zz > 0, zz * r, 0.0).sum(axis=-1) / zz.sum(axis=-1)
        else:
            mu = np.asarray(collective, dtype=float)
        bad = ~(mu > 0) & np.any(zz > 0, axis=-1)
        if np.any(bad):
            raise ValidationError(f"collective: the collective ratio must be > 0 to scale "
                                  f"by, got {np.atleast_1d(mu)[np.atleast_1d(bad)][0]!r}")
        relative = r / (mu if np.ndim(mu) == 0 else np.reshape(mu, (-1, 1)))
        factor = np.where(zz > 0, zz * relative + 1.0 - zz, 1.0)
    raw = t * factor
    scale = t.sum() / raw.sum(axis=-1)
    return ExperienceStep(factor, raw * (scale if scale.ndim == 0 else scale[:, None]), scale)


def credibility_budgets(target: pd.Series, result: Credibility) -> pd.DataFrame:
    """Move each practice's target budget towards its own experience, keeping the total.

    For each practice, with ``r`` its weighted mean actual/expected ratio and ``μ̂`` the
    collective ratio (``result.unit_mean`` and ``result.collective_mean``):

    1. ``relative_ratio = r / μ̂`` — experience relative to the whole commissioner, so a
       commissioner-wide over- or underspend (a matter for the resource, not for any
       practice) moves nobody's share;
    2. ``factor = z · relative_ratio + 1 − z`` (equal to the credibility estimate ÷ μ̂);
    3. ``budget = target · factor · scale`` with ``scale = Σ target / Σ target · factor``
       (one number, the same for all), so the budgets add up to the total of ``target``:
       exactly, as floating-point pounds (one entry is nudged by a few units in the last
       place if rounding left the sum one off); round to pence only at presentation.

    A practice in ``target`` with no history gets ``z = 0`` and ``factor = 1`` (the formula
    alone, then rescaled).

    Parameters
    ----------
    target : Series
        Formula (target) budget per practice, pounds, > 0.
    result : Credibility
        From :func:`~pbcmodel.credibility.credibility_ratios` (units: practice codes).

    Returns
    -------
    DataFrame
        Indexed like ``target``: ``target``, ``ratio``, ``relative_ratio``, ``z``, ``factor``,
        ``budget`` and ``adjustment_pounds`` (= budget − target; adds up to 0). The scale
        is in ``.attrs["scale"]``.

    Raises
    ------
    ValidationError
        ``target`` not a Series of positive finite numbers with unique codes; a practice
        with history that is not in ``target``; a collective ratio ≤ 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from pbcmodel.credibility import buhlmann_straub
    >>> v = pd.DataFrame({"y1": [1.2, 0.9], "y2": [1.0, 0.7]}, index=["P1", "P2"])
    >>> w = pd.DataFrame({"y1": [9e3, 4e3], "y2": [9e3, 4e3]}, index=["P1", "P2"])
    >>> cr = buhlmann_straub(v, w)
    >>> target = pd.Series({"P1": 9e6, "P2": 4e6, "P3": 2e6})
    >>> out = credibility_budgets(target, cr)
    >>> out[["z", "factor", "budget"]].round(3)
            z  factor       budget
    P1  0.822   1.115  9663945.788
    P2  0.672   0.885  3409825.966
    P3  0.000   1.000  1926228.246
    >>> bool(out["budget"].sum() == target.sum())
    True
    """
    if not isinstance(result, Credibility):
        raise ValidationError(f"result: expected a Credibility, got {type(result).__name__}")
    if not isinstance(target, pd.Series):
        raise ValidationError(f"target: expected a Series indexed by practice, got "
                              f"{type(target).__name__}")
    if target.index.has_duplicates:
        raise ValidationError(f"target: duplicated practice code(s) "
                              f"{quoted(target.index[target.index.duplicated()].unique())}")
    if pd.api.types.is_bool_dtype(target) or not pd.api.types.is_numeric_dtype(target):
        raise ValidationError(f"target: must hold numbers, got dtype {target.dtype}")
    t = target.to_numpy(dtype=float, na_value=np.nan)
    bad = ~(np.isfinite(t) & (t > 0))
    if bad.any():
        raise ValidationError(f"target: must be finite and > 0 for practice(s) "
                              f"{quoted(target.index[bad])}")
    extra = result.z.index.difference(target.index)
    if len(extra):
        raise ValidationError(f"target: no budget for practice(s) {quoted(extra)} that have "
                              "a spend history")
    mu = result.collective_mean
    if not mu > 0:
        raise ValidationError(f"result: collective ratio must be > 0 to scale by, got {mu!r}")
    ratio = result.unit_mean.reindex(target.index).to_numpy()
    z = result.z.reindex(target.index).fillna(0.0).to_numpy()
    relative = ratio / mu
    step = experience_budgets(t, ratio, z, collective=mu)
    factor, scale = step.factor, float(step.scale)
    budget = _keep_total(step.budget, float(t.sum()))
    out = pd.DataFrame({"target": t, "ratio": ratio, "relative_ratio": relative, "z": z,
                        "factor": factor, "budget": budget, "adjustment_pounds": budget - t},
                       index=target.index)
    out.attrs["scale"] = scale
    return out

