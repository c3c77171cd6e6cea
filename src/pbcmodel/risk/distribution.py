"""How much financial risk does a practice, a consortium or a commissioner carry?

:func:`spend_distribution` gives the distribution of one year's spend for every unit of a
population under a :class:`~pbcmodel.risk.costmodel.CostModel`, by one of three methods:

``"fft"`` (default)
    Exact up to a stated, small error: each cell's per-patient cost is discretised on a
    lattice keeping its mean and variance (second-order local moment matching), capped at
    the high-cost threshold when one is given, and the unit's spend is aggregated by
    characteristic functions (per-patient function to the power of the cell's patient count,
    product over cells) with a real FFT of 4,096 points per unit. Grid span and bucket are
    chosen per unit from its cumulants; :attr:`SpendDistribution.alias_bound` bounds the
    probability outside the window (the FFT's aliasing error). ``mean`` and ``std`` are
    those of the discretised model, equal to the closed form to about 1e-12.
``"normal"``
    Normal with the exact mean and variance. Fails for small lists and heavy tails: a
    1,500-patient practice's spend is visibly right-skewed, so the normal understates the
    99th percentile and the chance of a large overspend. Use it for consortia and above.
``"mc"``
    Monte Carlo of the cost model patient by patient, in chunks, one random stream per unit
    from ``SeedSequence(seed)``; identical whatever ``chunk_size``. The reference against
    which FFT is tested; slow at national scale.

The methods live in one registry, :data:`pbcmodel.risk.methods.REGISTRY`.

With ``high_cost_threshold=d`` the practice keeps ``min(X, d)`` of each patient's annual
cost ``X`` and a high-cost pool pays ``(X − d)⁺``
(:func:`~pbcmodel.risk.high_cost.apply_threshold`); with ``high_cost_pool_share=f`` (a
partial stop-loss, e.g. 0.8 as Germany's Morbi-RSA risk pool) the pool pays
``f·(X − d)⁺`` and the practice keeps the rest; ``part="excess"`` gives the pool's own
distribution. :func:`pool` aggregates units into consortia or commissioners, optionally
with correlated costs; :func:`pooling_benefit` shows what that is worth to each practice;
:func:`risk_by_list_size` draws the classic curve; :func:`size_high_cost_pool` sizes the
top-slice that funds a pool; :func:`simulate_spend` feeds scenario simulation.

Examples
--------
>>> import pbcmodel as pbc
>>> from pbcmodel.datasets import example_population, example_cost_model
>>> pop, model = example_population(), example_cost_model()
>>> dist = spend_distribution(pop, model)
>>> float(dist.cv["P001"].round(3))
0.084
>>> pooled = pool(dist, by="consortium")
>>> bool((pooled.cv < dist.cv.groupby(pop.hierarchy["consortium"]).mean()).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..html_tables import summary_html
from ..labelled import labelled
from ..population import LEVELS, Population
from ..validation import check_fraction, finite_scalar, quoted
from . import methods, patients
from .costmodel import CostModel
from .high_cost import PARTS, Part
from .laws import LatticeLaw, NormalLaw, SampleLaw, drawable

__all__ = [
    "METHODS",
    "PARTS",
    "SpendDistribution",
    "pool",
    "pooling_benefit",
    "prob_overspend",
    "reserve",
    "risk_by_list_size",
    "size_high_cost_pool",
    "spend_distribution",
]

Method = Literal["fft", "normal", "mc"]

#: Methods of :func:`spend_distribution` (see :data:`pbcmodel.risk.methods.REGISTRY`).
METHODS: tuple[str, ...] = methods.METHODS

Law = LatticeLaw | SampleLaw | NormalLaw


@attrs.frozen(eq=False, repr=False)
class SpendDistribution:
    """Distributions of one year's spend, one per unit, in the spirit of a frozen scipy law.

    Every method takes a scalar, or an array / Series aligned to :attr:`units`, and returns
    a Series indexed by unit code. Built by :func:`spend_distribution` or :func:`pool`.

    Attributes
    ----------
    units : Index
        Unit codes (practice, consortium or commissioner), named by ``by``.
    by, method, part : str
        Level, method and part of spend (see :data:`~pbcmodel.risk.high_cost.PARTS`).
    high_cost_threshold : float or None
        Per-patient threshold above which a high-cost pool pays.
    high_cost_pool_share : float
        The pool's share of each patient's cost above the threshold (1: all of it).
    hierarchy : DataFrame
        Practice → consortium, commissioner (used by :func:`pool`).

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> d = spend_distribution(example_population().subset(["P001", "P002"]),
    ...                        example_cost_model(), method="normal")
    >>> d.quantile(0.5).round(0).tolist() == d.mean.round(0).tolist()
    True
    """

    units: pd.Index
    by: str
    method: str
    part: str
    high_cost_threshold: float | None
    hierarchy: pd.DataFrame
    law: Law
    correlation: float = 0.0
    high_cost_pool_share: float = 1.0

    # moments -----------------------------------------------------------------------------
    @property
    def mean(self) -> pd.Series:
        """Expected spend per unit."""
        return self._series(self.law.mean, "mean")

    @property
    def std(self) -> pd.Series:
        """Standard deviation of spend per unit."""
        return self._series(np.sqrt(np.maximum(self.law.var, 0.0)), "std")

    @property
    def cv(self) -> pd.Series:
        """Coefficient of variation (std / mean) per unit; NaN (undefined) where the mean is 0."""
        mean = self.law.mean
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = np.where(mean > 0, np.sqrt(np.maximum(self.law.var, 0.0)) / mean, np.nan)
        return self._series(cv, "cv")

    @property
    def alias_bound(self) -> pd.Series:
        """FFT only: bound on the probability outside each unit's FFT window (aliasing error).

        Markov's inequality on the fourth central moment of the discretised model, each side.
        """
        if not isinstance(self.law, LatticeLaw):
            raise ValidationError(f"alias_bound: only the fft method has one, not {self.method!r}")
        return self._series(self.law.alias_bound, "alias_bound")

    # distribution functions --------------------------------------------------------------
    def cdf(self, x: Any) -> pd.Series:
        """P(spend ≤ x) per unit."""
        return self._series(self.law.cdf(self._align(x, "x")), "cdf")

    def prob_exceed(self, x: Any) -> pd.Series:
        """P(spend > x) per unit."""
        return self._series(1.0 - self.law.cdf(self._align(x, "x")), "prob_exceed")

    def quantile(self, q: Any) -> pd.Series:
        """The ``q`` quantile of spend per unit (smallest x with P(spend ≤ x) ≥ q)."""
        return self._series(self.law.quantile(self._probability(q)), "quantile")

    def value_at_risk(self, q: Any) -> pd.Series:
        """Value at risk: the ``q`` quantile of spend (same as :meth:`quantile`), in pounds.

        Named in full so that it is not mistaken for a variance (scipy's ``.var()``).

        Examples
        --------
        >>> from pbcmodel.datasets import example_population, example_cost_model
        >>> d = spend_distribution(example_population(), example_cost_model(), method="normal")
        >>> bool((d.value_at_risk(0.95) > d.mean).all())
        True
        """
        return self.quantile(q).rename("value_at_risk")

    def tvar(self, q: Any) -> pd.Series:
        """Tail value at risk: expected spend in the worst ``1 − q`` of years.

        ``VaR_q + E[(S − VaR_q)⁺] / (1 − q)``, exact for discrete laws with mass at VaR.
        """
        qq = self._probability(q)
        v = self.law.quantile(qq)
        return self._series(v + self.law.expected_excess(v) / (1.0 - qq), "tvar")

    def expected_excess(self, x: Any) -> pd.Series:
        """E[(spend − x)⁺] per unit: the expected cost of a stop-loss at ``x``."""
        return self._series(self.law.expected_excess(self._align(x, "x")), "expected_excess")

    def sample(self, n: int, seed: Any = None, *, chunk_size: int | None = None) -> pd.DataFrame:
        """``n`` draws per unit (rows: draws; columns: units), by inverting the cdf.

        Streams keyed by blocks of draws under ``SeedSequence(seed)``
        (:func:`pbcmodel.risk.patients.uniforms`): identical for any ``chunk_size``.
        """
        n = methods.count(n, "n")
        draws = np.vstack(list(patients.draw_by_inversion(drawable(self.law), n, seed,
                                                          chunk_size=chunk_size)))
        return pd.DataFrame(draws, columns=self.units)

    # presentation ------------------------------------------------------------------------
    def to_frame(self, q: Sequence[float] = (0.5, 0.95, 0.99)) -> pd.DataFrame:
        """One row per unit: mean, std, cv, quantiles ``q``, TVaR at the last ``q``.

        Examples
        --------
        >>> from pbcmodel.datasets import example_population, example_cost_model
        >>> d = spend_distribution(example_population(), example_cost_model(), method="normal")
        >>> list(d.to_frame().columns)
        ['mean', 'std', 'cv', 'q50', 'q95', 'q99', 'tvar99']
        """
        frame = pd.DataFrame({"mean": self.mean, "std": self.std, "cv": self.cv})
        for level in q:
            frame[f"q{100 * level:g}"] = self.quantile(level)
        frame[f"tvar{100 * q[-1]:g}"] = self.tvar(q[-1])
        if isinstance(self.law, LatticeLaw):
            frame["alias_bound"] = self.alias_bound
        tail = f"tvar{100 * q[-1]:g}"
        labels = {"mean": "Mean", "std": "Standard deviation", "cv": "Coefficient of variation",
                  **{f"q{100 * level:g}": f"{100 * level:g}th percentile" for level in q},
                  tail: f"Mean beyond the {100 * q[-1]:g}th percentile",
                  "alias_bound": "Bound on aliasing error"}
        return labelled(frame, {"cv": "ratio", "alias_bound": "probability"}, labels=labels,
                        default_unit="£",
                        title=f"Spend per {self.by} in a year, £ ({self.method} method)")

    def plot(self, units: Sequence[str] | None = None, ax: Any = None) -> Any:
        """Plot the spend distribution of some units (default: up to five); returns the Axes."""
        from ..plot.risk import plot_spend_distribution

        return plot_spend_distribution(self, units=units, ax=ax)

    def __repr__(self) -> str:
        d = self.high_cost_threshold
        cap = "" if d is None else f", threshold £{d:,.0f}"
        if self.high_cost_pool_share != 1:
            cap += f", pool share {100 * self.high_cost_pool_share:.6g}%"
        return (f"SpendDistribution({len(self.units)} {self.by} unit(s), method={self.method!r}, "
                f"part={self.part!r}{cap})")

    def _repr_html_(self) -> str:
        return summary_html(repr(self), self.to_frame(), float_format="{:,.3f}")

    # helpers -----------------------------------------------------------------------------
    def _series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(values, index=self.units, name=name)

    def _align(self, value: Any, name: str) -> np.ndarray:
        if isinstance(value, pd.Series):
            missing = self.units.difference(value.index)
            if len(missing):
                raise ValidationError(f"{name}: no value for unit(s) {quoted(missing)}")
            value = value.reindex(self.units).to_numpy(dtype=float)
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 0:
            arr = np.full(len(self.units), finite_scalar(value, name))
        if arr.shape != (len(self.units),):
            raise ValidationError(
                f"{name}: expected a scalar or {len(self.units)} values (one per unit), "
                f"got shape {arr.shape}"
            )
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValidationError(f"{name}: NaN or infinite for unit(s) {quoted(self.units[bad])}")
        return arr

    def _probability(self, q: Any) -> np.ndarray:
        arr = self._align(q, "q")
        bad = (arr <= 0) | (arr >= 1)
        if bad.any():
            raise ValidationError(
                f"q: must be in (0, 1), got {quoted(arr[bad].tolist())} "
                f"for unit(s) {quoted(self.units[bad])}"
            )
        return arr


def spend_distribution(pop: Population, model: CostModel, method: Method = "fft",
                       by: Literal["practice", "consortium", "commissioner"] = "practice",
                       high_cost_threshold: float | None = None, *, part: Part = "retained",
                       n_sims: int = 100_000, seed: Any = None,
                       chunk_size: int | None = None,
                       high_cost_pool_share: float = 1.0) -> SpendDistribution:
    """Distribution of one year's spend of every practice, consortium or commissioner.

    Parameters
    ----------
    pop : Population
        Registered patients.
    model : CostModel
        Per-patient annual cost by age band × sex × POD.
    method : {"fft", "mc", "normal"}
        See the module documentation.
    by : {"practice", "consortium", "commissioner"}
        Level of the units. Spend of a consortium is the sum over its patients (practices
        independent); see :func:`pool` for correlated practices.
    high_cost_threshold : float, optional
        Per-patient annual cost (pounds, > 0) above which a high-cost pool pays.
    part : {"retained", "excess", "total"}
        ``"retained"`` (default): what the unit keeps, ``min(X, d)`` per patient (all of
        it without a threshold); ``"excess"``: what the pool pays, ``(X − d)⁺``;
        ``"total"``: everything, ignoring the threshold.
    high_cost_pool_share : float, default 1.0
        The pool's share ``f`` in (0, 1] of each patient's cost above the threshold: the
        pool pays ``f·(X − d)⁺``, the unit keeps ``min(X, d) + (1 − f)·(X − d)⁺``
        (:data:`~pbcmodel.risk.high_cost.MORBI_RSA_POOL_SHARE`, 0.8, is Germany's).
    n_sims, seed, chunk_size :
        Monte Carlo only: draws per unit, seed for ``SeedSequence``, sims per chunk.

    Raises
    ------
    ValidationError
        Unknown method, level or part; a threshold ≤ 0 or not finite; ``"excess"``
        without a threshold; a pool share not in (0, 1], or other than 1 without a
        threshold; ``n_sims`` ≤ 0.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> pop, model = example_population(), example_cost_model()
    >>> kept = spend_distribution(pop, model, high_cost_threshold=50_000)
    >>> paid = spend_distribution(pop, model, high_cost_threshold=50_000, part="excess")
    >>> total = spend_distribution(pop, model)
    >>> bool(np.allclose(kept.mean + paid.mean, total.mean, rtol=1e-4))
    True
    >>> bool((kept.cv < total.cv).all())
    True

    A pool meeting 80% of the cost above the threshold pays 80% of the whole pool's
    expected cost; the practices keep the other 20%.

    >>> paid80 = spend_distribution(pop, model, high_cost_threshold=50_000, part="excess",
    ...                             high_cost_pool_share=0.8)
    >>> bool(np.allclose(paid80.mean, 0.8 * paid.mean, rtol=1e-9))
    True
    """
    chosen = methods.method(method)
    d, part_used, share = methods.check_inputs(pop, model, high_cost_threshold, part,
                                               high_cost_pool_share)
    counts_frame = pop.counts_by(by)
    law: Law = chosen.law(counts_frame.to_numpy(), model, d, part_used, n_sims=n_sims,
                          seed=seed, chunk_size=chunk_size, pool_share=share)
    if pop.cost_index is not None:
        law = law.scaled(unit_cost_factor(pop, by))
    units = pd.Index(counts_frame.index, name=by)
    return SpendDistribution(units=units, by=by, method=method, part=part_used,
                             high_cost_threshold=d, hierarchy=pop.hierarchy, law=law,
                             high_cost_pool_share=share)


def unit_cost_factor(pop: Population, by: str) -> np.ndarray:
    """Each unit's cost multiplier: the practice's :attr:`Population.cost_index`; for a group,
    only when all its practices share one (a group's spend is not a scaled copy otherwise)."""
    factor = pd.Series(pop.cost_factor(), index=pop.codes)
    if by == "practice":
        return factor.to_numpy()
    groups = factor.groupby(pop.hierarchy[by].to_numpy(), sort=True)
    mixed = groups.nunique() > 1
    if mixed.any():
        raise ValidationError(
            f"by={by!r}: the practices of {quoted(mixed.index[mixed])} have different "
            "cost_index values; take spend_distribution(..., by='practice') and pool() it")
    return groups.first().to_numpy()


def _membership(dist: SpendDistribution, by: str) -> pd.Series:
    """Map each unit of ``dist`` to its unit at level ``by`` (a higher level)."""
    if by not in LEVELS or LEVELS.index(by) <= LEVELS.index(dist.by):
        higher = LEVELS[LEVELS.index(dist.by) + 1:]
        raise ValidationError(f"by: must be a level above {dist.by!r} ({higher}), got {by!r}")
    if dist.by == "practice":
        return dist.hierarchy[by].reindex(dist.units)
    tree = dist.hierarchy.drop_duplicates([dist.by, by])
    split = tree[dist.by].duplicated(keep=False)
    if split.any():
        raise ValidationError(
            f"by: {dist.by} {quoted(tree.loc[split, dist.by].unique())} span more than one {by}"
        )
    return tree.set_index(dist.by)[by].reindex(dist.units)


def pool(dist: SpendDistribution, by: Literal["consortium", "commissioner"] = "consortium",
         correlation: float = 0.0, *, seed: Any = None) -> SpendDistribution:
    """Pool the units of ``dist`` into consortia or commissioners.

    Parameters
    ----------
    dist : SpendDistribution
        Per-practice (or per-consortium) distributions.
    by : {"consortium", "commissioner"}
        The level to pool at (above ``dist.by``).
    correlation : float in [0, 1]
        Pairwise correlation of members' spend through a common shock (e.g. a shared cost
        trend). ``0``: independent members, pooled by exact convolution. ``ρ > 0`` adds an
        independent zero-mean normal shock to each pool with variance
        ``ρ·[(Σσᵢ)² − Σσᵢ²]``, so the pool's variance is that of equicorrelated members,
        ``Σσᵢ² + ρ·Σ_{i≠j} σᵢσⱼ``, and diversification is not overstated.
    seed :
        Monte Carlo only: seed for the shock's draws.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> pop, model = example_population(), example_cost_model()
    >>> dist = spend_distribution(pop, model)
    >>> direct = spend_distribution(pop, model, by="consortium")
    >>> pooled = pool(dist, "consortium")
    >>> bool(np.allclose(pooled.quantile(0.99), direct.quantile(0.99), rtol=2e-3))
    True
    >>> bool((pool(dist, "consortium", correlation=0.2).std > pooled.std).all())
    True
    """
    rho = check_fraction(correlation, "correlation")
    member = _membership(dist, by)
    codes, group = np.unique(member.to_numpy().astype(str), return_inverse=True)
    sd = np.sqrt(dist.law.var)
    sum_sd = np.bincount(group, sd, minlength=len(codes))
    shock_var = rho * (sum_sd**2 - np.bincount(group, sd**2, minlength=len(codes)))
    law = dist.law
    if isinstance(law, LatticeLaw):
        pooled: Law = methods.pool_lattice(law, group, len(codes), shock_var)
    elif isinstance(law, NormalLaw):
        pooled = NormalLaw(np.bincount(group, law.mean, minlength=len(codes)),
                           np.bincount(group, law.var, minlength=len(codes)) + shock_var)
    else:
        sums = np.zeros((len(codes), law.draws.shape[1]))
        np.add.at(sums, group, law.draws)
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        sums += np.sqrt(shock_var)[:, None] * rng.standard_normal(sums.shape)
        pooled = SampleLaw.of(sums)
    return SpendDistribution(units=pd.Index(codes, name=by), by=by, method=dist.method,
                             part=dist.part, high_cost_threshold=dist.high_cost_threshold,
                             hierarchy=dist.hierarchy, law=pooled, correlation=rho,
                             high_cost_pool_share=dist.high_cost_pool_share)


def pooling_benefit(dist: SpendDistribution,
                    by: Literal["consortium", "commissioner"] = "consortium",
                    q: float = 0.95, correlation: float = 0.0) -> pd.DataFrame:
    """What pooling is worth to each unit: the reserve it needs alone vs its share in the pool.

    The reserve at confidence ``q`` is ``VaR_q − mean``. The pool's reserve is shared out in
    proportion to each member's covariance with the pool total (``σᵢ² + ρ·σᵢ·Σ_{j≠i}σⱼ``),
    the Euler allocation of a standard-deviation risk measure.

    Returns
    -------
    DataFrame
        Indexed by unit: ``pool``, ``standalone_reserve``, ``pooled_reserve_share``,
        ``benefit`` (1 − share / standalone).

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> dist = spend_distribution(example_population(), example_cost_model())
    >>> b = pooling_benefit(dist, "consortium", q=0.95)
    >>> bool((b["benefit"] > 0.5).all())
    True
    """
    qq = _level(q, "q")
    pooled = pool(dist, by, correlation)
    member = _membership(dist, by)
    sd = dist.std
    sum_sd = sd.groupby(member).transform("sum")
    cov = sd**2 + pooled.correlation * sd * (sum_sd - sd)
    share = cov / cov.groupby(member).transform("sum")
    pooled_reserve = (pooled.quantile(qq) - pooled.mean).reindex(member.to_numpy()).to_numpy()
    out = pd.DataFrame({
        "pool": member,
        "standalone_reserve": dist.quantile(qq) - dist.mean,
        "pooled_reserve_share": share.to_numpy() * pooled_reserve,
    })
    out["benefit"] = 1.0 - out["pooled_reserve_share"] / out["standalone_reserve"]
    return out


# metrics ---------------------------------------------------------------------------------

def prob_overspend(dist: SpendDistribution, budget: Any, margin: float = 0.0) -> pd.Series:
    """P(spend > budget × (1 + margin)) per unit: the chance of overspending by over ``margin``.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> d = spend_distribution(example_population(), example_cost_model(), method="normal")
    >>> float(prob_overspend(d, d.mean).round(3).iloc[0])
    0.5
    """
    m = finite_scalar(margin, "margin")
    budget_arr = dist._align(budget, "budget")
    return dist.prob_exceed(budget_arr * (1.0 + m)).rename("prob_overspend")


def reserve(dist: SpendDistribution, confidence: float = 0.95, budget: Any = None) -> pd.Series:
    """Reserve needed to cover spend at ``confidence``: ``max(VaR − budget, 0)`` per unit.

    ``budget`` defaults to the expected spend (the reserve is then ``VaR − mean``).

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> d = spend_distribution(example_population(), example_cost_model(), method="normal")
    >>> bool((reserve(d, 0.95) > 0).all())
    True
    """
    base = dist.law.mean if budget is None else dist._align(budget, "budget")
    return (dist.value_at_risk(confidence) - base).clip(lower=0.0).rename("reserve")


def risk_by_list_size(model: CostModel, list_sizes: Sequence[int] | None = None, *,
                      thresholds: Sequence[float | None] = (None, 50_000.0),
                      margins: Sequence[float] = (0.05, 0.10),
                      profile: Population,
                      method: Method = "fft") -> pd.DataFrame:
    """The classic curve: how spend risk falls with list size, with and without a pool.

    Each list size is a practice with the age-sex mix of ``profile`` (the population asked
    about, e.g. a commissioner's practices). Its budget is its expected (retained) spend.

    Returns
    -------
    DataFrame
        One row per list size × threshold: ``list_size``, ``high_cost_threshold`` (NaN: no
        threshold), ``mean``, ``std``, ``cv`` and ``p_over_5pct`` … (P(spend > budget ×
        (1 + margin)) for each margin).

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> curve = risk_by_list_size(example_cost_model(), [1000, 10_000, 100_000],
    ...                           profile=example_population())
    >>> c = curve[curve["high_cost_threshold"].isna()]["cv"].to_numpy()
    >>> bool(c[0] > c[1] > c[2])
    True
    """
    sizes = np.unique(np.geomspace(1000, 100_000, 21).round(-2) if list_sizes is None
                      else np.asarray(list_sizes, dtype=float))
    if len(sizes) == 0 or (sizes <= 0).any() or not np.isfinite(sizes).all():
        raise ValidationError(f"list_sizes: must be positive numbers, got {list(sizes)}")
    if not isinstance(profile, Population):
        raise ValidationError(f"profile: expected a Population, got {type(profile).__name__}")
    base = profile.counts.sum()
    shares = base.to_numpy() / base.sum()
    counts = np.rint(np.outer(sizes, shares)).astype(np.int64)
    codes = pd.Index([f"L{int(s)}" for s in sizes], name="practice")
    pop = Population(counts=pd.DataFrame(counts, index=codes, columns=base.index),
                     hierarchy=pd.DataFrame({"consortium": "ALL", "commissioner": "ALL"},
                                            index=codes))
    rows = []
    for threshold in thresholds:
        dist = spend_distribution(pop, model, method=method, high_cost_threshold=threshold)
        frame = pd.DataFrame({
            "list_size": counts.sum(axis=1),
            "high_cost_threshold": np.nan if threshold is None else float(threshold),
            "mean": dist.mean.to_numpy(), "std": dist.std.to_numpy(), "cv": dist.cv.to_numpy(),
        })
        for m in margins:
            frame[f"p_over_{100 * m:g}pct"] = prob_overspend(dist, dist.mean, m).to_numpy()
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def size_high_cost_pool(pop: Population, model: CostModel, high_cost_threshold: float,
                        confidence: float = 0.95,
                        by: Literal["practice", "consortium", "commissioner"] = "commissioner",
                        method: Method = "fft", *,
                        high_cost_pool_share: float = 1.0) -> pd.DataFrame:
    """The top-slice that funds a high-cost patient pool at a chosen confidence.

    ``high_cost_pool_share`` (default 1): the pool's share of each patient's cost above the
    threshold (a partial stop-loss pays ``f·(X − d)⁺``; Germany's pays 80%).

    Returns
    -------
    DataFrame
        Per unit: ``expected_total`` spend, ``expected_excess`` (what the pool pays on
        average), ``excess_at_confidence`` (its ``confidence`` quantile: the fund that
        suffices in that share of years), ``top_slice`` (that fund as a fraction of expected
        total spend: the rate to hold back in the capitation formula) and ``alias_bound``
        (FFT only).

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> s = size_high_cost_pool(example_population(), example_cost_model(), 50_000)
    >>> bool(0 < s.loc["X01", "top_slice"] < 0.1)
    True
    >>> s80 = size_high_cost_pool(example_population(), example_cost_model(), 50_000,
    ...                           high_cost_pool_share=0.8)
    >>> bool(np.isclose(s80.loc["X01", "expected_excess"], 0.8 * s.loc["X01", "expected_excess"]))
    True
    """
    c = _level(confidence, "confidence")
    excess = spend_distribution(pop, model, method, by, high_cost_threshold, part="excess",
                                high_cost_pool_share=high_cost_pool_share)
    total = spend_distribution(pop, model, "normal", by)
    out = pd.DataFrame({
        "expected_total": total.mean,
        "expected_excess": excess.mean,
        "excess_at_confidence": excess.quantile(c),
    })
    out["top_slice"] = out["excess_at_confidence"] / out["expected_total"]
    if method == "fft":
        out["alias_bound"] = excess.alias_bound
    return out


def _level(value: Any, name: str) -> float:
    """A probability level strictly inside (0, 1) (a quantile's ``q``, a confidence)."""
    v = check_fraction(value, name)
    if not 0 < v < 1:
        raise ValidationError(f"{name}: must be in (0, 1), got {value!r}")
    return v
