"""Bühlmann–Straub credibility: the model, fitted to a table, and to practices' spend ratios.

The **Bühlmann–Straub** model (Bühlmann & Gisler, *A Course in Credibility Theory and its
Applications*, Springer 2005, section 4) gives each unit a credibility factor
``z = w / (w + k)`` that rises with its total weight ``w`` (patient-years) towards 1, with
``k = s² / a`` the ratio of the within-unit (year-to-year) variance to the between-unit
variance, both estimated from the data. :func:`buhlmann_straub` fits it to any unit × period
table of values with weights (:class:`Credibility`, the fit); :func:`experience_ratios` are
practices' ratios of actual to formula-expected spend, year by year, and
:func:`credibility_ratios` fits the model to them, weighted by list size.
"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd

from ..errors import ValidationError
from ._inputs import FRAME_EQ, aligned, as_float_frame, cells, paired

__all__ = ["Credibility", "buhlmann_straub", "credibility_ratios", "experience_ratios"]


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
    z: pd.Series = attrs.field(eq=FRAME_EQ)
    unit_mean: pd.Series = attrs.field(eq=FRAME_EQ)
    unit_weight: pd.Series = attrs.field(eq=FRAME_EQ)
    n_periods: pd.Series = attrs.field(eq=FRAME_EQ)
    estimates: pd.Series = attrs.field(eq=FRAME_EQ)
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
    x, w = paired(values, weights, "values", "weights")
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
    a = as_float_frame(actual, "actual")
    e = aligned(as_float_frame(expected, "expected"), a, "expected", "actual")
    av, ev = a.to_numpy(), e.to_numpy()
    has = ~np.isnan(av)
    for bad, what in [(has & (av < 0), "actual: must be >= 0"),
                      (has & ~(ev > 0), "expected: must be > 0 where there is an actual")]:
        if bad.any():
            raise ValidationError(f"{what}; practice/year {cells(a, bad)}")
    net = av
    if high_cost is not None:
        h = aligned(as_float_frame(high_cost, "high_cost"), a, "high_cost", "actual")
        hv = np.nan_to_num(h.to_numpy(), nan=0.0)
        for bad, what in [(hv < 0, "high_cost: must be >= 0"),
                          (has & (hv > av), "high_cost: excess above the actual spend"),
                          (~has & (hv > 0), "high_cost: excess in a year without an actual")]:
            if bad.any():
                raise ValidationError(f"{what}; practice/year {cells(a, bad)}")
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
    w = as_float_frame(list_size, "list_size")
    w = aligned(w, ratios, "list_size", "actual")
    x, wt = paired(ratios, w, "actual", "list_size")
    return buhlmann_straub(x, wt)

