"""Benchmarking practices: standardised ratios, exact Poisson limits, funnel plots, peer groups.

A practice's referrals or admissions mean little alone. *Indirect standardisation* asks
how many events the practice would have had if its patients, age band by age band and sex
by sex, behaved like a reference population (national or local): the ratio observed ÷
expected is 1 when the practice is typical for its case mix. Exact Poisson (Garwood)
limits say how much of the difference chance can explain, and a *funnel plot*
(Spiegelhalter 2005) draws those limits against the expected count so that small
practices are not branded outliers for noise, with an allowance for overdispersion
when practices differ by more than chance.

References: Garwood F (1936) Biometrika 28:437; Spiegelhalter DJ (2005) Funnel plots for
comparing institutional performance, Stat Med 24:1185–1202; Spiegelhalter DJ (2005)
Handling over-dispersion of performance indicators, Qual Saf Health Care 14:347–351.

Examples
--------
>>> from pbcmodel.benchmarking import poisson_ci
>>> [round(x, 3) for x in poisson_ci(10)]
[4.795, 18.39]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd
from scipy import stats

from .errors import ValidationError
from .population import Population
from .validation import (
    check_level,
    check_positive,
    finite_array,
    finite_scalar,
    quoted,
    whole_counts,
    whole_number,
)

__all__ = [
    "Overdispersion",
    "funnel_flags",
    "funnel_limits",
    "indirect_standardise",
    "local_reference_rates",
    "overdispersion",
    "peer_comparison",
    "peer_groups",
    "poisson_ci",
]

Kind = Literal["ratio", "proportion"]


def _counts(values: Any, name: str, labels: Any = None) -> np.ndarray:
    """Whole, non-negative event counts as a float array."""
    return whole_counts(values, name, labels).astype(float)


def poisson_ci(observed: Any, level: float = 0.95) -> Any:
    """Exact (Garwood) confidence limits for a Poisson count.

    Lower limit ``chi2.ppf(α/2, 2k) / 2`` (0 when ``k = 0``), upper limit
    ``chi2.ppf(1 − α/2, 2k + 2) / 2``, with ``α = 1 − level``; computed as gamma quantiles.

    Parameters
    ----------
    observed : int, array-like or Series
        Observed counts (whole numbers ≥ 0).
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    tuple or DataFrame
        ``(lower, upper)`` floats for a scalar, a tuple of arrays for an array, or a
        DataFrame with columns ``lower``, ``upper`` for a Series (same index).

    Examples
    --------
    >>> low, high = poisson_ci(0)
    >>> low, round(high, 3)
    (0.0, 3.689)
    >>> low, high = poisson_ci([10, 20], level=0.9)
    >>> low.round(3).tolist(), high.round(3).tolist()
    ([5.425, 13.255], [16.962, 29.062])
    """
    alpha = 1.0 - check_level(level)
    k = _counts(observed, "observed")
    lower = np.where(k > 0, stats.gamma.ppf(alpha / 2, np.maximum(k, 1.0)), 0.0)
    upper = stats.gamma.ppf(1 - alpha / 2, k + 1.0)
    if isinstance(observed, pd.Series):
        return pd.DataFrame({"lower": lower, "upper": upper}, index=observed.index)
    if k.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def _cell_counts(population: Population | pd.DataFrame) -> pd.DataFrame:
    if isinstance(population, Population):
        return population.counts
    if not isinstance(population, pd.DataFrame):
        raise ValidationError("population: expected a Population or a DataFrame of counts "
                              f"by (age_band, sex), got {type(population).__name__}")
    return Population(counts=population, hierarchy=pd.DataFrame(
        {"consortium": "-", "commissioner": "-"}, index=population.index)).counts


def _aligned_rates(reference_rates: pd.Series | pd.DataFrame,
                   cells: pd.MultiIndex) -> pd.DataFrame:
    if isinstance(reference_rates, pd.Series):
        reference_rates = reference_rates.to_frame(reference_rates.name or "events")
    if not isinstance(reference_rates, pd.DataFrame):
        raise ValidationError("reference_rates: expected a Series or DataFrame indexed by "
                              "(age_band, sex)")
    missing = cells.difference(reference_rates.index)
    if len(missing):
        raise ValidationError(f"reference_rates: no rate for cell(s) {quoted(missing)}")
    rates = reference_rates.reindex(cells).astype(float)
    values = rates.to_numpy()
    bad = (~np.isfinite(values) | (values < 0)).any(axis=1)
    if bad.any():
        raise ValidationError("reference_rates: rates must be finite and >= 0; bad cell(s) "
                              f"{quoted(rates.index[bad])}")
    return rates


def indirect_standardise(events: pd.Series | pd.DataFrame,
                         population: Population | pd.DataFrame,
                         reference_rates: pd.Series | pd.DataFrame,
                         *, level: float = 0.95) -> pd.DataFrame:
    """Indirectly standardised ratios (observed ÷ expected) with exact Poisson limits.

    Expected events for a practice are its patients in each (age_band, sex) cell times the
    reference rate for that cell, summed. The ratio's limits are the Garwood limits of the
    observed count divided by the expected count.

    Parameters
    ----------
    events : Series or DataFrame
        Observed events per practice (index: practice codes): a Series for one measure,
        or a DataFrame with one column per measure.
    population : Population or DataFrame
        Registered patients; a DataFrame must be practice × (age_band, sex) counts like
        :attr:`Population.counts`.
    reference_rates : Series or DataFrame
        Events per head per year by (age_band, sex): a Series, or a DataFrame with the same
        measure columns as ``events`` (e.g. national rates, or :func:`local_reference_rates`).
    level : float
        Confidence level of the limits.

    Returns
    -------
    DataFrame
        Index ``practice`` (one measure) or (``measure``, ``practice``); columns ``observed``,
        ``expected``, ``ratio``, ``lower``, ``upper``, ``excess`` (observed − expected) and
        ``flag`` ("above" / "below" when the limits exclude 1, else "within").

    Examples
    --------
    >>> import pandas as pd
    >>> from pbcmodel.datasets import example_population
    >>> pop = example_population().subset(practices=["P001", "P002"])
    >>> rates = pd.Series(0.1, index=pop.counts.columns)      # 0.1 events a head a year
    >>> out = indirect_standardise(pd.Series({"P001": 150, "P002": 600}), pop, rates)
    >>> pop.list_size.tolist()
    [1500, 4492]
    >>> out[["expected", "ratio", "flag"]].round(2)
              expected  ratio    flag
    practice
    P001         150.0   1.00  within
    P002         449.2   1.34   above
    """
    counts = _cell_counts(population)
    if isinstance(events, pd.DataFrame):
        if not isinstance(reference_rates, pd.DataFrame):
            raise ValidationError("reference_rates: several measures in events need a "
                                  "DataFrame of rates with the same columns")
        missing = [m for m in events.columns if m not in reference_rates.columns]
        if missing:
            raise ValidationError(f"reference_rates: no column for measure(s) {quoted(missing)}")
        parts = {m: indirect_standardise(events[m], counts, reference_rates[m], level=level)
                 for m in events.columns}
        return pd.concat(parts, names=["measure"])
    if not isinstance(events, pd.Series):
        raise ValidationError(f"events: expected a Series or DataFrame indexed by practice, "
                              f"got {type(events).__name__}")
    unknown = events.index.difference(counts.index)
    if len(unknown):
        raise ValidationError(f"events: practice(s) not in the population {quoted(unknown)}")
    observed = _counts(events.to_numpy(dtype=float, na_value=np.nan), "events",
                       events.index.to_numpy(dtype=object))
    rates = _aligned_rates(reference_rates, counts.columns).iloc[:, 0].to_numpy()
    expected = counts.loc[events.index].to_numpy() @ rates
    if (expected <= 0).any():
        raise ValidationError(f"expected: must be > 0 for a ratio; practice(s) "
                              f"{quoted(events.index[expected <= 0])} expect no events")
    lower, upper = poisson_ci(observed, level)
    out = pd.DataFrame({"observed": observed, "expected": expected,
                        "ratio": observed / expected, "lower": lower / expected,
                        "upper": upper / expected, "excess": observed - expected},
                       index=pd.Index(events.index, name="practice"))
    out["flag"] = np.select([out["lower"] > 1, out["upper"] < 1], ["above", "below"], "within")
    return out


def local_reference_rates(events: pd.DataFrame,
                          population: Population | pd.DataFrame) -> pd.Series:
    """Reference rates from the commissioner's own practices (a local benchmark).

    Parameters
    ----------
    events : DataFrame
        Events by practice × (age_band, sex), same shape as the population counts.
    population : Population or DataFrame
        Registered patients of the same practices.

    Returns
    -------
    Series
        Events per head by (age_band, sex), pooled over the practices.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population
    >>> pop = example_population()
    >>> rates = local_reference_rates(pop.counts * 2, pop)     # two events per patient
    >>> float(rates.min()), float(rates.max())
    (2.0, 2.0)
    """
    counts = _cell_counts(population)
    if not isinstance(events, pd.DataFrame) or not events.columns.equals(counts.columns):
        raise ValidationError("events: expected a DataFrame of practice × (age_band, sex) "
                              "with the same columns as the population counts")
    unknown = events.index.difference(counts.index)
    if len(unknown):
        raise ValidationError(f"events: practice(s) not in the population {quoted(unknown)}")
    ev = _counts(events.to_numpy(dtype=float, na_value=np.nan), "events")
    patients = counts.loc[events.index].to_numpy().sum(axis=0)
    empty = patients == 0
    if empty.any():
        raise ValidationError(f"population: no patients in cell(s) "
                              f"{quoted(counts.columns[empty])}; merge bands before "
                              "computing local rates")
    return pd.Series(ev.sum(axis=0) / patients, index=counts.columns, name="rate")


def _precision(expected: Any, kind: str) -> tuple[np.ndarray, pd.Index | None]:
    if kind not in ("ratio", "proportion"):
        raise ValidationError(f"kind: expected 'ratio' or 'proportion', got {kind!r}")
    name = "expected" if kind == "ratio" else "denominator"
    arr = finite_array(expected, name)
    if (arr <= 0).any():
        raise ValidationError(f"{name}: must be > 0, got {quoted(arr[arr <= 0])}")
    index = expected.index if isinstance(expected, pd.Series) else None
    return np.atleast_1d(arr), index


def _target(target: float, kind: str) -> float:
    return check_level(target, "target") if kind == "proportion" else check_positive(
        target, "target")


def _label(level: float) -> str:
    return f"{100 * level:g}"


def funnel_limits(expected: Any, levels: Sequence[float] = (0.95, 0.998), *,
                  target: float = 1.0, kind: Kind = "ratio",
                  phi: float | None = None, tau2: float | None = None) -> pd.DataFrame:
    """Funnel-plot control limits around a target (Spiegelhalter 2005).

    Without overdispersion the limits are exact: for ``p`` = α/2 and 1 − α/2, take the
    Poisson (ratios) or binomial (proportions) quantile ``y_p`` at the target, interpolate
    ``a = (F(y_p) − p) / (F(y_p) − F(y_p − 1))`` and divide ``y_p − a`` by the precision.
    With overdispersion the normal approximation is widened: multiplicatively,
    ``target ± z·√φ·s``, or by an additive random effect, ``target ± z·√(s² + τ²)``, where
    ``s² = target / E`` (ratios) or ``target (1 − target) / n`` (proportions). Lower limits
    are clipped at 0 (and proportions at 1).

    Parameters
    ----------
    expected : float, array-like or Series
        Precision of each unit: the expected count for a standardised ratio, the denominator
        for a proportion. Must be > 0.
    levels : sequence of float
        Two-sided coverage of each pair of limits, each in (0, 1).
    target : float
        The benchmark: 1 for standardised ratios, the overall rate for proportions.
    kind : {"ratio", "proportion"}
        What is being plotted.
    phi, tau2 : float, optional
        Multiplicative overdispersion factor (≥ 1 widens) or additive between-unit
        variance (≥ 0); at most one. See :func:`overdispersion`.

    Returns
    -------
    DataFrame
        Columns ``lower_<pct>`` and ``upper_<pct>`` per level (e.g. ``lower_95``,
        ``upper_99.8``), indexed like ``expected``.

    Examples
    --------
    >>> funnel_limits([100.0], levels=(0.95,)).round(3)
       lower_95  upper_95
    0     0.804     1.196
    >>> funnel_limits([100.0], levels=(0.95,), phi=2.0).round(3)
       lower_95  upper_95
    0     0.723     1.277
    """
    prec, index = _precision(expected, kind)
    t = _target(target, kind)
    if phi is not None and tau2 is not None:
        raise ValidationError("phi, tau2: give one overdispersion form, not both")
    if phi is not None:
        check_positive(phi, "phi")
    if tau2 is not None:
        check_positive(tau2, "tau2", strict=False)
    out = {}
    for level in levels:
        alpha = 1.0 - check_level(level, "levels")
        if phi is None and tau2 is None:
            bounds = [_exact_limit(p, prec, t, kind) for p in (alpha / 2, 1 - alpha / 2)]
        else:
            var = t / prec if kind == "ratio" else t * (1 - t) / prec
            sd = np.sqrt(phi * var) if phi is not None else np.sqrt(var + float(tau2 or 0.0))
            z = stats.norm.ppf(1 - alpha / 2)
            bounds = [t - z * sd, t + z * sd]
        high = np.inf if kind == "ratio" else 1.0
        out[f"lower_{_label(level)}"] = np.clip(bounds[0], 0.0, high)
        out[f"upper_{_label(level)}"] = np.clip(bounds[1], 0.0, high)
    return pd.DataFrame(out, index=index)


def _exact_limit(p: float, prec: np.ndarray, target: float, kind: str) -> np.ndarray:
    dist = (stats.poisson(target * prec) if kind == "ratio"
            else stats.binom(np.rint(prec).astype(np.int64), target))
    y = dist.ppf(p)
    f_y, f_below = dist.cdf(y), dist.cdf(y - 1)
    a = (f_y - p) / (f_y - f_below)
    return (y - a) / prec


@attrs.frozen
class Overdispersion:
    """Estimated overdispersion of a set of units around a target.

    Attributes
    ----------
    phi : float
        Multiplicative factor: mean squared (winsorised) z-score.
    tau2 : float
        Additive between-unit variance (0 when ``n·phi ≤ n − 1``).
    n : int
        Number of units.
    p_value : float
        Chance of ``n·phi`` at least this large under no overdispersion (χ² on n − 1 df).

    Examples
    --------
    >>> Overdispersion(phi=1.5, tau2=0.01, n=20, p_value=0.07).phi
    1.5
    """

    phi: float
    tau2: float
    n: int
    p_value: float


def overdispersion(observed: Any, expected: Any, *, kind: Kind = "ratio",
                   target: float = 1.0, winsor: float = 0.1) -> Overdispersion:
    """Estimate overdispersion from winsorised z-scores (Spiegelhalter 2005).

    ``z_i = (y_i − target) / s_i`` with ``y_i = O_i / E_i``; z-scores beyond the
    ``winsor`` and ``1 − winsor`` quantiles are pulled in to them; ``φ = Σz²/n`` and
    ``τ² = (nφ − (n − 1)) / (Σw − Σw²/Σw)`` with ``w = 1/s²`` (0 if negative).

    Parameters
    ----------
    observed, expected : array-like or Series
        Events (or numerators) and expected counts (or denominators), per unit.
    kind : {"ratio", "proportion"}
    target : float
        Benchmark value (1 for standardised ratios).
    winsor : float
        Fraction winsorised at each end, in [0, 0.5).

    Examples
    --------
    >>> od = overdispersion([80, 120, 100, 140, 60], [100] * 5, winsor=0.0)
    >>> round(od.phi, 2), round(od.tau2, 4)      # z = -2, 2, 0, 4, -4; τ² = (40 - 4) / 400
    (8.0, 0.09)
    """
    prec, _ = _precision(expected, kind)
    obs = np.atleast_1d(_counts(observed, "observed"))
    if obs.shape != prec.shape:
        raise ValidationError(f"observed: {obs.size} values for {prec.size} expected")
    if obs.size < 2:
        raise ValidationError("observed: need at least 2 units to estimate overdispersion")
    t = _target(target, kind)
    w_frac = finite_scalar(winsor, "winsor")
    if not 0 <= w_frac < 0.5:
        raise ValidationError(f"winsor: must be in [0, 0.5), got {winsor!r}")
    var = t / prec if kind == "ratio" else t * (1 - t) / prec
    z = (obs / prec - t) / np.sqrt(var)
    lo, hi = np.quantile(z, [w_frac, 1 - w_frac])
    z = np.clip(z, lo, hi)
    n = z.size
    phi = float(np.mean(z**2))
    w = 1.0 / var
    tau2 = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return Overdispersion(phi=phi, tau2=float(tau2), n=n,
                          p_value=float(stats.chi2.sf(n * phi, n - 1)))


def funnel_flags(ratio: pd.Series, expected: pd.Series, levels: Sequence[float] = (0.95, 0.998),
                 **limits: Any) -> pd.Series:
    """Where each unit sits on the funnel: outside which limits, above or below.

    Parameters
    ----------
    ratio, expected : Series
        Indicator and precision per unit (e.g. columns of :func:`indirect_standardise`).
    levels : sequence of float
        Limits to test, from :func:`funnel_limits`.
    **limits
        ``target``, ``kind``, ``phi`` or ``tau2``, passed to :func:`funnel_limits`.

    Returns
    -------
    Series
        "above 99.8%", "above 95%", "within", "below 95%" or "below 99.8%".

    Examples
    --------
    >>> import pandas as pd
    >>> funnel_flags(pd.Series([1.5, 1.0, 0.7]), pd.Series([100.0] * 3)).tolist()
    ['above 99.8%', 'within', 'below 99.8%']
    """
    ratio_arr = finite_array(ratio, "ratio")
    lim = funnel_limits(expected, levels, **limits)
    flag = np.full(ratio_arr.shape, "within", dtype=object)
    for level in sorted(levels):
        pct = _label(level)
        flag[ratio_arr > lim[f"upper_{pct}"].to_numpy()] = f"above {pct}%"
        flag[ratio_arr < lim[f"lower_{pct}"].to_numpy()] = f"below {pct}%"
    index = ratio.index if isinstance(ratio, pd.Series) else None
    return pd.Series(flag, index=index, name="funnel")


def peer_groups(population: Population, by: str | pd.Series = "share_65_plus",
                n_groups: int = 4) -> pd.Series:
    """Group practices with similar characteristics into ``n_groups`` equal-sized peer groups.

    Parameters
    ----------
    population : Population
        The practices.
    by : str or Series
        A column of :attr:`Population.practices` (``list_size``, ``share_65_plus``,
        ``mean_age``) or a Series by practice (e.g. a deprivation score).
    n_groups : int
        Number of groups, by quantile (1 = lowest values).

    Returns
    -------
    Series
        Peer group number (1 … n_groups) per practice.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population
    >>> g = peer_groups(example_population(), "list_size", n_groups=3)
    >>> g.value_counts().sort_index().tolist()
    [20, 20, 20]
    """
    if isinstance(by, str):
        if by not in population.practices.columns:
            raise ValidationError(f"by: not a practice characteristic {by!r}; expected one of "
                                  f"{list(population.practices.columns)} or a Series")
        values = population.practices[by]
    else:
        values = by.reindex(population.codes)
        if values.isna().any():
            raise ValidationError(f"by: no value for practice(s) "
                                  f"{quoted(population.codes[values.isna().to_numpy()])}")
    k = whole_number(n_groups, "n_groups (at most the number of practices)",
                     maximum=population.n_practices)
    ranks = values.astype(float).rank(method="first")
    groups = pd.qcut(ranks, k, labels=False) + 1
    return groups.astype(np.int64).rename("peer_group")


def peer_comparison(values: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Compare each practice's indicator with its peer group.

    Parameters
    ----------
    values : Series
        An indicator by practice (e.g. a standardised ratio).
    groups : Series
        Peer group by practice (:func:`peer_groups`).

    Returns
    -------
    DataFrame
        Columns ``value``, ``peer_group``, ``peer_median``, ``peer_q1``, ``peer_q3``,
        ``rank`` (1 = highest in the group) and ``n_peers``.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.Series({"A": 1.2, "B": 0.9, "C": 1.0, "D": 2.0})
    >>> g = pd.Series({"A": 1, "B": 1, "C": 1, "D": 2})
    >>> peer_comparison(v, g)
       value  peer_group  peer_median  peer_q1  peer_q3  rank  n_peers
    A    1.2           1          1.0     0.95      1.1     1        3
    B    0.9           1          1.0     0.95      1.1     3        3
    C    1.0           1          1.0     0.95      1.1     2        3
    D    2.0           2          2.0     2.00      2.0     1        1
    """
    v = pd.Series(finite_array(values, "values"), index=values.index)
    g = groups.reindex(v.index)
    if g.isna().any():
        raise ValidationError(f"groups: no peer group for {quoted(v.index[g.isna().to_numpy()])}")
    grouped = v.groupby(g)
    out = pd.DataFrame({
        "value": v, "peer_group": g,
        "peer_median": grouped.transform("median"),
        "peer_q1": grouped.transform(lambda s: s.quantile(0.25)),
        "peer_q3": grouped.transform(lambda s: s.quantile(0.75)),
        "rank": grouped.rank(ascending=False, method="min").astype(np.int64),
        "n_peers": grouped.transform("size").astype(np.int64),
    })
    return out.rename_axis(values.index.name)
