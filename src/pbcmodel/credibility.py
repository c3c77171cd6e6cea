"""Bühlmann–Straub credibility: blending a practice's own spend history with the formula.

A capitation formula prices a practice's patients by their age, sex and need; the
practice's own history says something the formula cannot see (referral style, local prices,
unrecorded morbidity), but a small practice's history is mostly noise. Credibility theory
says how much to believe it: the **Bühlmann–Straub** model (Bühlmann & Gisler, *A Course in
Credibility Theory and its Applications*, Springer 2005, section 4) gives each unit a
credibility factor ``z = w / (w + k)`` that rises with its total weight ``w`` (patient-years)
towards 1, with ``k = s² / a`` the ratio of the within-unit (year-to-year) variance to the
between-unit variance, both estimated from the data.

:func:`buhlmann_straub` fits the model to any unit × period table of ratios with weights;
:class:`ExperienceRating` applies it to budgets: a practice's ratio of actual to formula-
expected spend, year by year, weighted by list size, moves its budget part of the way
(``z``) towards its own experience, keeping the total exactly.

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.credibility import buhlmann_straub
>>> values = pd.DataFrame({"2023": [1.0, 4.0, 8.0], "2024": [3.0, 6.0, None],
...                        "2025": [2.0, 5.0, 10.0]}, index=["A", "B", "C"])
>>> weights = pd.DataFrame({"2023": [1.0, 2.0, 3.0], "2024": [1.0, 2.0, None],
...                         "2025": [2.0, 1.0, 3.0]}, index=["A", "B", "C"])
>>> cr = buhlmann_straub(values, weights)
>>> round(cr.within_variance, 4), round(cr.between_variance, 4), round(cr.k, 4)
(2.4, 11.9189, 0.2014)
>>> cr.z.round(4).to_dict()
{'A': 0.9521, 'B': 0.9613, 'C': 0.9675}
"""

from __future__ import annotations

from typing import Any, NamedTuple

import attrs
import numpy as np
import pandas as pd

from .errors import ValidationError
from .validation import quoted, read_view, require_same_codes, whole_number

__all__ = [
    "Credibility",
    "ExperienceRating",
    "ExperienceStep",
    "LearningBudgets",
    "buhlmann_straub",
    "credibility_budgets",
    "credibility_ratios",
    "experience_budgets",
    "experience_ratios",
]


def _frame_eq(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(a.equals(b))


_FRAME_EQ = attrs.cmp_using(eq=_frame_eq)


# ------------------------------------------------------------------------ validation

def _as_float_frame(df: Any, name: str) -> pd.DataFrame:
    """A unit × period frame of floats (NaN kept), raising on non-numbers and infinities."""
    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"{name}: expected a pandas DataFrame (unit × period), "
                              f"got {type(df).__name__}")
    if df.index.has_duplicates:
        raise ValidationError(
            f"{name}: duplicated unit(s) {quoted(df.index[df.index.duplicated()].unique())}")
    if df.columns.has_duplicates:
        raise ValidationError(f"{name}: duplicated period(s) "
                              f"{quoted(df.columns[df.columns.duplicated()].unique())}")
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            raise ValidationError(f"{name}: period {col!r} must hold numbers, "
                                  f"got dtype {s.dtype}")
    out = pd.DataFrame(df.to_numpy(dtype=float, na_value=np.nan), index=df.index,
                       columns=df.columns)
    inf = np.isinf(out.to_numpy())
    if inf.any():
        raise ValidationError(f"{name}: infinite value for unit/period {_cells(out, inf)}")
    return out


def _cells(df: pd.DataFrame, mask: np.ndarray) -> str:
    rows, cols = np.nonzero(mask)
    return quoted([(df.index[r], df.columns[c]) for r, c in zip(rows, cols, strict=True)])


def _aligned(frame: pd.DataFrame, like: pd.DataFrame, name: str, like_name: str) -> pd.DataFrame:
    """``frame`` reindexed to ``like``'s units and periods, which it must list exactly."""
    for axis, word in [("index", "unit"), ("columns", "period")]:
        a, b = getattr(like, axis), getattr(frame, axis)
        missing, extra = a.difference(b), b.difference(a)
        if len(missing) or len(extra):
            parts = []
            if len(missing):
                parts.append(f"no {word}(s) {quoted(missing)} that {like_name} has")
            if len(extra):
                parts.append(f"{word}(s) {quoted(extra)} that {like_name} lacks")
            raise ValidationError(f"{name}: " + "; ".join(parts))
    return frame.reindex(index=like.index, columns=like.columns)


def _paired(values: Any, weights: Any, value_name: str,
            weight_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    x = _as_float_frame(values, value_name)
    w = _aligned(_as_float_frame(weights, weight_name), x, weight_name, value_name)
    xv, wv = x.to_numpy(), w.to_numpy()
    has_x, has_w = ~np.isnan(xv), ~np.isnan(wv)
    checks = [
        (has_x & ~has_w, f"{value_name} without a weight in {weight_name}"),
        (has_w & (wv > 0) & ~has_x, f"a {weight_name} weight without a value in {value_name}"),
        (has_x & has_w & (wv <= 0), f"{weight_name} must be > 0 where there is a value"),
        (has_w & (wv < 0), f"{weight_name} must not be negative"),
    ]
    for bad, what in checks:
        if bad.any():
            raise ValidationError(f"{what}: unit/period {_cells(x, bad)}")
    empty = ~has_x.any(axis=1)
    if empty.any():
        raise ValidationError(f"{value_name}: no observation at all for unit(s) "
                              f"{quoted(x.index[empty])}")
    return x, w.where(has_x)


# ------------------------------------------------------------------------ the model

@attrs.frozen(repr=False)
class Credibility:
    """A fitted Bühlmann–Straub model (see :func:`buhlmann_straub`).

    Attributes
    ----------
    collective_mean : float
        μ̂: the credibility-weighted mean ``Σ zᵢ x̄ᵢ / Σ zᵢ`` (the weight-weighted overall
        mean when ``between_variance`` is 0).
    within_variance : float
        ŝ²: the variance of one period's value about the unit's mean, per unit of weight.
    between_variance : float
        â: the variance of the units' true means, truncated at 0.
    k : float
        ``ŝ² / â`` in units of weight (``inf`` when â = 0).
    z : Series
        Credibility factor of each unit, ``wᵢ / (wᵢ + k)`` in [0, 1].
    unit_mean : Series
        Weighted mean of each unit's values, x̄ᵢ.
    unit_weight : Series
        Total weight of each unit, wᵢ.
    n_periods : Series
        Number of periods observed for each unit.
    estimates : Series
        Credibility estimate of each unit's mean, ``zᵢ x̄ᵢ + (1 − zᵢ) μ̂``.
    total_weight : float
        Σ wᵢ.
    """

    collective_mean: float
    within_variance: float
    between_variance: float
    k: float
    z: pd.Series = attrs.field(eq=_FRAME_EQ)
    unit_mean: pd.Series = attrs.field(eq=_FRAME_EQ)
    unit_weight: pd.Series = attrs.field(eq=_FRAME_EQ)
    n_periods: pd.Series = attrs.field(eq=_FRAME_EQ)
    estimates: pd.Series = attrs.field(eq=_FRAME_EQ)
    total_weight: float

    def __repr__(self) -> str:
        return (f"Credibility({len(self.z)} units, collective mean {self.collective_mean:.6g}, "
                f"s² {self.within_variance:.6g}, a {self.between_variance:.6g}, "
                f"k {self.k:.6g})")

    def to_frame(self) -> pd.DataFrame:
        """Per unit: weight, periods, unit mean, z and the credibility estimate.

        Examples
        --------
        >>> import pandas as pd
        >>> v = pd.DataFrame({"y1": [1.0, 2.0], "y2": [3.0, 2.0]}, index=["A", "B"])
        >>> list(buhlmann_straub(v, v * 0 + 1).to_frame().columns)
        ['weight', 'n_periods', 'unit_mean', 'z', 'estimate']
        """
        return pd.DataFrame({"weight": self.unit_weight, "n_periods": self.n_periods,
                             "unit_mean": self.unit_mean, "z": self.z,
                             "estimate": self.estimates})


def buhlmann_straub(values: pd.DataFrame, weights: pd.DataFrame) -> Credibility:
    """Fit the Bühlmann–Straub credibility model with the standard unbiased estimators.

    With units ``i = 1..I``, periods ``j``, values ``xᵢⱼ`` and weights ``wᵢⱼ`` (``nᵢ``
    observed periods; Bühlmann & Gisler 2005, section 4.8):

    * ``wᵢ = Σⱼ wᵢⱼ``, ``x̄ᵢ = Σⱼ wᵢⱼ xᵢⱼ / wᵢ``, ``w = Σᵢ wᵢ``, ``x̄ = Σᵢ wᵢ x̄ᵢ / w``;
    * ``ŝ² = Σᵢ Σⱼ wᵢⱼ (xᵢⱼ − x̄ᵢ)² / Σᵢ (nᵢ − 1)``;
    * ``â = (Σᵢ wᵢ (x̄ᵢ − x̄)² − (I − 1) ŝ²) / (w − Σᵢ wᵢ² / w)``, truncated at 0;
    * ``k = ŝ² / â``, ``zᵢ = wᵢ / (wᵢ + k)``, ``μ̂ = Σᵢ zᵢ x̄ᵢ / Σᵢ zᵢ``;
    * estimate ``zᵢ x̄ᵢ + (1 − zᵢ) μ̂``.

    When ``â ≤ 0`` the data show no difference between units beyond noise: ``k = inf``,
    every ``z = 0``, ``μ̂ = x̄`` (the weight-weighted overall mean) and every estimate is
    ``x̄``. So do unit means that differ only by floating-point rounding (by at most a few
    units in the last place: ``(max nᵢ + 4) · ε · max |x̄ᵢ|``), which would otherwise give a
    spurious ``â`` of order 1e-33. When ``ŝ² = 0`` and ``â > 0``, ``k = 0`` and every
    ``z = 1``.

    Parameters
    ----------
    values : DataFrame
        Unit × period (index: units, columns: periods) of ratios or means, e.g. cost per
        head or actual/expected; NaN where a unit was not observed in a period.
    weights : DataFrame
        The same units and periods (any order): the weight of each observation (list
        size, patient-years, claims), > 0 where there is a value and NaN (or 0) where there
        is none.

    Returns
    -------
    Credibility

    Raises
    ------
    ValidationError
        Not DataFrames; duplicated or mismatched units or periods; non-numeric or infinite
        entries; a value without a weight, a weight without a value, or a weight ≤ 0 (naming
        the unit and period); a unit with no observation; fewer than two units; no unit
        observed in two or more periods (ŝ² cannot be estimated).

    Examples
    --------
    Hachemeister's data are the classic test (see ``tests/test_credibility.py``); a
    smaller one, where unit C's big weight earns it the most credibility:

    >>> import pandas as pd
    >>> v = pd.DataFrame({"y1": [1.0, 1.2, 2.0], "y2": [1.4, 0.8, 2.4]}, index=list("ABC"))
    >>> w = pd.DataFrame({"y1": [10.0, 10.0, 50.0], "y2": [10.0, 10.0, 50.0]}, index=list("ABC"))
    >>> cr = buhlmann_straub(v, w)
    >>> cr.z.round(3).to_dict()
    {'A': 0.842, 'B': 0.842, 'C': 0.964}
    >>> round(cr.collective_mean, 4), cr.estimates.round(4).to_dict()
    (1.5004, {'A': 1.2475, 'B': 1.0791, 'C': 2.1747})
    """
    x, w = _paired(values, weights, "values", "weights")
    xv, wv = x.to_numpy(), np.nan_to_num(w.to_numpy(), nan=0.0)
    has = ~np.isnan(xv)
    xz = np.where(has, xv, 0.0)
    n_i = has.sum(axis=1)
    n_units = len(x)
    if n_units < 2:
        raise ValidationError(f"values: need at least two units to estimate the between-unit "
                              f"variance, got {n_units}")
    dof = int((n_i - 1).sum())
    if dof == 0:
        raise ValidationError("values: every unit has fewer than two periods observed; the "
                              "within-unit variance cannot be estimated")
    w_i = wv.sum(axis=1)
    xbar_i = (wv * xz).sum(axis=1) / w_i
    s2 = float((wv * (xz - xbar_i[:, None]) ** 2 * has).sum() / dof)
    w_tot = float(w_i.sum())
    centre = xbar_i[0]   # centred sums: identical units give exactly zero deviations
    xbar = float(centre + (w_i * (xbar_i - centre)).sum() / w_tot)
    denom = w_tot - float((w_i**2).sum()) / w_tot
    a = (float((w_i * (xbar_i - xbar) ** 2).sum()) - (n_units - 1) * s2) / denom
    # unit means that agree to within the rounding of their own sums are the same mean
    rounding = (int(n_i.max()) + 4) * np.finfo(float).eps * float(np.abs(xbar_i).max())
    if np.all(np.abs(xbar_i - xbar) <= rounding):
        a = 0.0
    if a > 0:
        k = s2 / a
        z = w_i / (w_i + k)
        mu = float((z * xbar_i).sum() / z.sum())
    else:
        a, k, z, mu = 0.0, float("inf"), np.zeros(n_units), xbar
    est = z * xbar_i + (1 - z) * mu
    idx = x.index
    return Credibility(
        collective_mean=mu, within_variance=s2, between_variance=float(a), k=float(k),
        z=pd.Series(z, index=idx, name="z"),
        unit_mean=pd.Series(xbar_i, index=idx, name="unit_mean"),
        unit_weight=pd.Series(w_i, index=idx, name="weight"),
        n_periods=pd.Series(n_i, index=idx, name="n_periods"),
        estimates=pd.Series(est, index=idx, name="estimate"),
        total_weight=w_tot)


# ------------------------------------------------------------------------ budgets

def experience_ratios(actual: pd.DataFrame, expected: pd.DataFrame,
                      high_cost: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each practice's ratio of actual spend (less high-cost excess) to expected, by year.

    Parameters
    ----------
    actual : DataFrame
        Practice × year actual spend (pounds, ≥ 0); NaN for a year without data.
    expected : DataFrame
        The same practices and years: spend the formula expected (pounds, > 0 where there
        is an actual).
    high_cost : DataFrame, optional
        The same practices and years: the part of ``actual`` above the high-cost (stop-loss)
        threshold, met from the pool and so not the practice's experience (pounds, ≥ 0 and
        ≤ actual); 0 or NaN for none.

    Returns
    -------
    DataFrame
        ``(actual − high_cost) / expected``, NaN where ``actual`` is NaN.

    Raises
    ------
    ValidationError
        Mismatched practices or years, non-numeric or infinite entries, negative actual,
        expected ≤ 0 or missing where there is an actual, high-cost excess negative or above
        the actual (naming practice and year).

    Examples
    --------
    >>> import pandas as pd
    >>> actual = pd.DataFrame({"2024": [110.0, 90.0]}, index=["P1", "P2"])
    >>> expected = pd.DataFrame({"2024": [100.0, 100.0]}, index=["P1", "P2"])
    >>> excess = pd.DataFrame({"2024": [20.0, 0.0]}, index=["P1", "P2"])
    >>> experience_ratios(actual, expected, excess)["2024"].tolist()
    [0.9, 0.9]
    """
    a = _as_float_frame(actual, "actual")
    e = _aligned(_as_float_frame(expected, "expected"), a, "expected", "actual")
    av, ev = a.to_numpy(), e.to_numpy()
    has = ~np.isnan(av)
    for bad, what in [(has & (av < 0), "actual: must be >= 0"),
                      (has & ~(ev > 0), "expected: must be > 0 where there is an actual")]:
        if bad.any():
            raise ValidationError(f"{what}; practice/year {_cells(a, bad)}")
    net = av
    if high_cost is not None:
        h = _aligned(_as_float_frame(high_cost, "high_cost"), a, "high_cost", "actual")
        hv = np.nan_to_num(h.to_numpy(), nan=0.0)
        for bad, what in [(hv < 0, "high_cost: must be >= 0"),
                          (has & (hv > av), "high_cost: excess above the actual spend"),
                          (~has & (hv > 0), "high_cost: excess in a year without an actual")]:
            if bad.any():
                raise ValidationError(f"{what}; practice/year {_cells(a, bad)}")
        net = av - hv
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(has, net / np.where(has, ev, 1.0), np.nan)
    return pd.DataFrame(ratio, index=a.index, columns=a.columns)


def credibility_ratios(actual: pd.DataFrame, expected: pd.DataFrame, list_size: pd.DataFrame,
                       high_cost: pd.DataFrame | None = None) -> Credibility:
    """Bühlmann–Straub on practices' actual/expected ratios, weighted by list size.

    The ratios are :func:`experience_ratios`; the weight of a practice-year is its list
    size, so ``k`` is in patient-years and ``z = w / (w + k)`` grows with list size and
    years of history.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> size = pd.DataFrame(np.repeat(rng.integers(2_000, 20_000, (30, 1)), 4, axis=1),
    ...                     index=[f"P{i:02d}" for i in range(30)],
    ...                     columns=["2021", "2022", "2023", "2024"]).astype(float)
    >>> expected = size * 1000.0
    >>> style = rng.normal(1.0, 0.05, (30, 1))          # each practice's own level
    >>> actual = expected * (style + rng.normal(0, 1, (30, 4)) * 5 / np.sqrt(size))
    >>> cr = credibility_ratios(actual, expected, size)
    >>> bool(cr.z.corr(size.sum(axis=1)) > 0.9)          # bigger practices, more credible
    True
    """
    ratios = experience_ratios(actual, expected, high_cost)
    w = _as_float_frame(list_size, "list_size")
    w = _aligned(w, ratios, "list_size", "actual")
    x, wt = _paired(ratios, w, "actual", "list_size")
    return buhlmann_straub(x, wt)


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
    applies it to one year's budgets with a fitted :class:`Credibility`; a simulation with
    :class:`LearningBudgets` applies it to every simulated year at once). With ``r`` each
    practice's ratio of actual to expected spend, ``z`` its credibility and ``μ̂`` the
    collective ratio:

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
        (the collective mean of :func:`buhlmann_straub`); ``factor = 1`` in a row where
        every ``z`` is 0.

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
        From :func:`credibility_ratios` (units: practice codes).

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


def _history_frame(value: Any, name: str) -> pd.DataFrame:
    """Converter: a practice × year frame of floats, labels as text, the object's own copy."""
    if not isinstance(value, pd.DataFrame):
        raise ValidationError(f"{name}: expected a pandas DataFrame (practice × year), "
                              f"got {type(value).__name__}")
    labelled = value.set_axis(value.index.astype(str).rename("practice"), axis=0).set_axis(
        value.columns.astype(str).rename("year"), axis=1)
    out = _as_float_frame(labelled, name)
    out.index.name, out.columns.name = "practice", "year"
    return out


@attrs.frozen(repr=False)
class ExperienceRating:
    """A step of a capitation formula: blend each practice's target with its own history.

    Holds the spend history and its Bühlmann–Straub fit (:func:`credibility_ratios`, made
    once, when the object is made, which validates every frame); :meth:`adjust` applies
    :func:`credibility_budgets` to a target. Give it to
    :class:`~pbcmodel.capitation.CapitationFormula` as ``experience=`` to make it a named
    step of the budgets and of ``explain()``.

    All frames are practice × year with the same practices and years (see
    :func:`experience_ratios` for what each holds). Practice codes and years are kept as
    text (``2024`` and ``"2024"`` are the same year). A practice whose ``actual`` row is
    empty (NaN every year: a new practice) has **no history**: it is left out of the fit and
    gets ``z = 0``, the formula alone; its other rows are ignored, as is any list size in a
    year without actual spend. The object keeps its own copies of the frames and hands out
    views.

    Parameters
    ----------
    actual, expected : DataFrame
        Actual spend and the formula-expected spend, pounds.
    list_size : DataFrame
        Registered patients (the credibility weight of each practice-year).
    high_cost : DataFrame, optional
        Excess above the high-cost threshold to leave out of the practice's experience
        (it is met from the pool, so it is not the practice's experience).

    Raises
    ------
    ValidationError
        Any of :func:`experience_ratios` and :func:`buhlmann_straub` raise (naming practice
        and year), or fewer than two practices with history.

    Examples
    --------
    >>> import pandas as pd
    >>> years = ["2023", "2024"]
    >>> size = pd.DataFrame([[9e3, 9e3], [4e3, 4e3]], index=["P1", "P2"], columns=years)
    >>> expected = size * 1000.0
    >>> actual = expected * pd.DataFrame([[1.2, 1.0], [0.9, 0.7]], index=size.index,
    ...                                  columns=years)
    >>> rating = ExperienceRating(actual=actual, expected=expected, list_size=size)
    >>> out = rating.adjust(pd.Series({"P1": 9e6, "P2": 4e6}))
    >>> out["adjustment_pounds"].round(2).to_dict()
    {'P1': 609414.76, 'P2': -609414.76}
    >>> rating.credibility().z.round(3).to_dict()
    {'P1': 0.822, 'P2': 0.672}
    """

    _actual: pd.DataFrame = attrs.field(converter=lambda v: _history_frame(v, "actual"),
                                        eq=_FRAME_EQ)
    _expected: pd.DataFrame = attrs.field(converter=lambda v: _history_frame(v, "expected"),
                                          eq=_FRAME_EQ)
    _list_size: pd.DataFrame = attrs.field(converter=lambda v: _history_frame(v, "list_size"),
                                           eq=_FRAME_EQ)
    _high_cost: pd.DataFrame | None = attrs.field(
        default=None, converter=lambda v: None if v is None else _history_frame(v, "high_cost"),
        eq=_FRAME_EQ)
    _fit: Credibility = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        ratios = self.ratios()     # validates expected and high_cost against actual
        size = _aligned(self._list_size, self._actual, "list_size", "actual")
        size = size.where(self._actual.notna())   # a list size in a year without spend
        has = ratios.notna().any(axis=1).to_numpy()
        if has.sum() < 2:
            raise ValidationError(
                f"actual: {int(has.sum())} practice(s) with a spend history; credibility "
                "needs at least two to tell practices apart from noise")
        high = None if self._high_cost is None else self._high_cost.loc[has]
        fit = credibility_ratios(self._actual.loc[has], self._expected.loc[has],
                                 size.loc[has], high)
        object.__setattr__(self, "_fit", fit)

    def __repr__(self) -> str:
        new = len(self.new_practices)
        return (f"ExperienceRating({self._actual.shape[0]} practices × "
                f"{self._actual.shape[1]} years" + (f", {new} without history" if new else "")
                + f", high-cost excess "
                f"{'removed' if self._high_cost is not None else 'not given'})")

    @property
    def actual(self) -> pd.DataFrame:
        """Actual spend, practice × year (pounds)."""
        return read_view(self._actual)

    @property
    def expected(self) -> pd.DataFrame:
        """Formula-expected spend, practice × year (pounds)."""
        return read_view(self._expected)

    @property
    def list_size(self) -> pd.DataFrame:
        """Registered patients, practice × year (the credibility weights)."""
        return read_view(self._list_size)

    @property
    def high_cost(self) -> pd.DataFrame | None:
        """Spend above the high-cost threshold, practice × year (pounds), or ``None``."""
        return None if self._high_cost is None else read_view(self._high_cost)

    @property
    def practices(self) -> pd.Index:
        """Every practice listed, with or without history."""
        return self._actual.index

    @property
    def new_practices(self) -> pd.Index:
        """Practices listed without any year of spend (``z = 0``)."""
        return self._actual.index[self._actual.isna().all(axis=1).to_numpy()]

    def ratios(self) -> pd.DataFrame:
        """Practice × year ratio of actual (less high-cost excess) to expected spend."""
        return experience_ratios(self._actual, self._expected, self._high_cost)

    def credibility(self) -> Credibility:
        """The Bühlmann–Straub fit of the ratios, weighted by list size (practices with
        history only)."""
        return self._fit

    def adjust(self, target: pd.Series) -> pd.DataFrame:
        """Per practice: ratio, z, factor, budget and adjustment in pounds (total kept).

        See :func:`credibility_budgets`; ``target`` must include every practice with
        history; practices without history get ``z = 0``.
        """
        return credibility_budgets(target, self._fit)

    def check_practices(self, codes: pd.Index, name: str = "experience") -> None:
        """Raise unless the history lists exactly ``codes`` (a population's practices).

        Examples
        --------
        >>> import pandas as pd
        >>> v = pd.DataFrame({"y1": [1.0, 2.0], "y2": [1.5, 2.5]}, index=["A", "B"])
        >>> rating = ExperienceRating(actual=v, expected=v * 0 + 2, list_size=v * 0 + 1e3)
        >>> rating.check_practices(pd.Index(["A", "C"]))
        Traceback (most recent call last):
        ...
        pbcmodel.errors.ValidationError: experience: missing practice code(s) 'C'; unknown \
practice code(s) 'B' (list every practice of the population once: a new practice with no \
years of spend gets z = 0)
        """
        try:
            require_same_codes(pd.Index(codes), self._actual.index, name)
        except ValidationError as exc:
            raise ValidationError(f"{exc} (list every practice of the population once: a new "
                                  "practice with no years of spend gets z = 0)") from None

    def describe(self) -> str:
        """The step in words (one line).

        Examples
        --------
        >>> import pandas as pd
        >>> v = pd.DataFrame({"y1": [1.0, 2.0], "y2": [1.5, 2.5]}, index=["A", "B"])
        >>> ExperienceRating(actual=v, expected=v * 0 + 2, list_size=v * 0 + 1e3).describe()
        'experience rating: 2 practices × 2 years of history, k = 286 patient-years, z 0.88 to 0.88'
        """
        fit = self._fit
        new = len(self.new_practices)
        k = ("infinite (no credibility)" if np.isinf(fit.k) else
             f"{fit.k:,.0f} patient-years" if fit.k >= 100 else f"{fit.k:.3g} patient-years")
        return (f"experience rating: {len(self.practices)} practices × "
                f"{self._actual.shape[1]} years of history"
                + (f" ({new} without)" if new else "")
                + f", k = {k}, z {fit.z.min():.2f} to {fit.z.max():.2f}"
                + ("; high-cost excess removed" if self._high_cost is not None else ""))


def _check_k(instance: Any, attribute: Any, value: float) -> None:
    if not (np.isfinite(value) and value > 0):
        raise ValidationError(f"k: the credibility constant must be finite and > 0 "
                              f"(patient-years), got {value!r}")


def _k_number(value: Any) -> float:
    if value is None or isinstance(value, (bool, str, bytes)):
        raise ValidationError(f"k: the credibility constant must be finite and > 0 "
                              f"(patient-years), got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"k: the credibility constant must be finite and > 0 "
                              f"(patient-years), got {value!r}") from None


def _years(value: Any) -> int | None:
    return None if value is None else whole_number(value, "years", minimum=1)


@attrs.frozen
class LearningBudgets:
    """Budgets that learn inside a multi-year simulation: the experience step, year by year.

    In a simulation of several years (``Scenario(learning=LearningBudgets(...))``), the
    first year's budgets are the formula's; each later year's budgets in each simulation
    are the formula's budgets of that year moved towards each practice's **simulated**
    experience of the earlier years by the rule of :func:`experience_budgets`, keeping the
    year's total to the penny in every simulation
    (:mod:`pbcmodel.scenario.learning`). A practice's ratio ``r`` is its list-size-weighted
    mean of actual / expected spend over the years counted (the history of the formula's
    :class:`ExperienceRating`, if it has one, then the simulated years), its weight ``w``
    the patient-years counted, and its credibility ``z = w / (w + k)``.

    Parameters
    ----------
    k : float
        The credibility constant, in patient-years: finite and > 0. A practice of ``k``
        patients with one year of experience gets ``z = 0.5``. Choose it from data: the
        ``k`` of a Bühlmann–Straub fit of your practices' history,
        ``credibility_ratios(actual, expected, list_size).k`` (or
        ``ExperienceRating(...).credibility().k``), is the ratio of the year-to-year noise
        to the real differences between practices; a larger ``k`` believes experience
        less (``k → ∞``: the formula alone).
    years : int, optional
        How many of the most recent years count (≥ 1); ``None``: every year.

    Raises
    ------
    ValidationError
        ``k`` not a finite number > 0 (NaN, infinite, ≤ 0, a string); ``years`` not a
        whole number ≥ 1 — naming the field.

    Examples
    --------
    >>> import numpy as np
    >>> step = LearningBudgets(k=5_000, years=2)
    >>> step.z(np.array([2_000.0, 10_000.0]) * 2).round(3).tolist()   # two years counted
    [0.444, 0.8]
    >>> step.describe()
    'budgets learn in the simulation: k = 5,000 patient-years, last 2 years'
    >>> LearningBudgets(k=0)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: k: the credibility constant must be finite and > 0 \
(patient-years), got 0.0
    """

    k: float = attrs.field(converter=_k_number, validator=_check_k)
    years: int | None = attrs.field(default=None, converter=_years)

    def z(self, weight: Any) -> np.ndarray:
        """Credibility ``w / (w + k)`` of weights ``w`` (patient-years counted)."""
        w = np.asarray(weight, dtype=float)
        return w / (w + self.k)

    def describe(self) -> str:
        """The step in words (one line)."""
        k = f"{self.k:,.0f}" if self.k >= 100 else f"{self.k:.3g}"
        window = "every year" if self.years is None else (
            "the last year" if self.years == 1 else f"last {self.years} years")
        return f"budgets learn in the simulation: k = {k} patient-years, {window}"
