"""Practice effects: what the capitation formula does not see in a practice's spend.

A practice's spend in a simulated year is its expected spend (what the formula and the cost
model predict) times three things: the year's **common shock** (a bad winter for everyone),
its **practice effect** (case mix beyond age and sex, local practice style, supply) and
**chance** (which of its patients fall ill). This module is the practice effect: a
multiplicative factor per practice, simulation and year, lognormal, persistent from year to
year as an AR(1) in the log (the simple, standard form):

* ``u₀ = centre + uncertainty · z₀`` in the first simulated year (``centre = 0`` and
  ``uncertainty = sd`` when nothing is known of the practice: the modeller does not know a
  practice's effect, so it is drawn afresh in each simulation);
* ``u_t = persistence · u_{t−1} + √(1 − persistence²) · sd · z_t`` in later years;
* the factor is ``exp(u_t − V_t / 2)`` with ``V_t = Var(u_t) = persistence^{2t} ·
  uncertainty² + (1 − persistence^{2t}) · sd²``, so its mean is ``exp(persistence^t ·
  centre)``: exactly 1 for an unknown practice, and a known practice's effect fades towards
  1 at the rate of its persistence.

The ``z`` are standard normal (:func:`normals`), from streams keyed by (year, effect,
group of :data:`EFFECT_ROWS` simulations) under the simulation's root
:class:`~numpy.random.SeedSequence`, so a simulation's effects are the same however the
simulations are split into chunks, threads or workers.

Examples
--------
>>> import numpy as np
>>> eff = PracticeEffects(sd=0.1, persistence=0.8)
>>> root = np.random.SeedSequence(1)
>>> f = eff.factors(root, 3, 0, 4000, 5)
>>> len(f), f[0].shape
(3, (4000, 5))
>>> bool(abs(f[2].mean() - 1) < 0.01)
True
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pandas as pd

from ..credibility import ExperienceRating
from ..errors import ValidationError
from ..validation import number, quoted
from . import patients

__all__ = ["EFFECT_ROWS", "MAX_EFFECT_SD", "MIN_SIZE_SPREAD", "PracticeEffects",
           "first_log_effect", "less_half_variance", "next_log_effect"]

#: Largest spread of practice effects (sd of the log effect): 1 puts one practice in six
#: beyond 2.7 times or below 0.37 times its expected spend every year, far beyond the
#: published 10% for a third of practices (Dixon et al. 2011); beyond it the effects, not
#: the policy, decide every figure (and large spreads overflow money in pence).
MAX_EFFECT_SD = 1.0


#: Simulations whose effects come from one stream: a range of simulations draws the
#: whole groups it touches and keeps its own rows, so a row does not depend on the split.
EFFECT_ROWS = 16


def normals(root: np.random.SeedSequence, year: int, lo: int, hi: int,
            width: int) -> np.ndarray:
    """Standard normal ``z`` of simulations ``[lo, hi)`` in ``year``: (hi − lo, width).

    Rows come in groups of :data:`EFFECT_ROWS` simulations, each group from its own
    stream keyed by (year, effect, group) under ``root`` (numpy's ziggurat
    ``standard_normal``, several times faster than inverting uniforms), so row ``s`` is the
    same whatever ``lo`` and ``hi``.

    Examples
    --------
    >>> root = np.random.SeedSequence(5)
    >>> whole = normals(root, 0, 0, 40, 3)
    >>> bool(np.array_equal(whole[7:23], normals(root, 0, 7, 23, 3)))
    True
    """
    first, last = lo // EFFECT_ROWS, -(-hi // EFFECT_ROWS)
    out = np.empty(((last - first) * EFFECT_ROWS, width))
    for group in range(first, last):
        rows = slice((group - first) * EFFECT_ROWS, (group - first + 1) * EFFECT_ROWS)
        stream = np.random.PCG64(patients.block_seed(root, year, patients.EFFECT, group))
        np.random.Generator(stream).standard_normal(out=out[rows])
    start = lo - first * EFFECT_ROWS
    return out[start:start + hi - lo]


# The arithmetic of the log effects, written once. Each function is plain Python whose
# operations mean the same on numpy arrays (the numpy path; ``z`` or ``u`` is changed in
# place) and on single numbers (the compiled kernel, :func:`pbcmodel.risk.kernel.effect_factors`,
# compiles these very functions), so both give the same bits.
def first_log_effect(z: Any, centre: Any, uncertainty: Any) -> Any:
    """The first simulated year's log effect ``u₀ = uncertainty · z₀ + centre``.

    Examples
    --------
    >>> first_log_effect(np.array([1.0, -2.0]), np.array([0.05, 0.0]), 0.1).tolist()
    [0.15000000000000002, -0.2]
    """
    z *= uncertainty
    z += centre
    return z


def next_log_effect(z: Any, previous: Any, persistence: float, fresh: float) -> Any:
    """A later year's log effect ``u_t = fresh · z_t + persistence · u_{t−1}`` (``fresh`` is
    :attr:`PracticeEffects.fresh_spread`).

    Examples
    --------
    >>> float(next_log_effect(1.0, 0.5, 0.8, 0.06))
    0.46
    """
    z *= fresh
    z += persistence * previous
    return z


def less_half_variance(u: Any, half_variance: Any) -> Any:
    """``u_t − V_t / 2``, the log of the factor whose mean is ``exp(persistence^t · centre)``
    (``half_variance`` is :meth:`PracticeEffects.log_variance` halved).

    Examples
    --------
    >>> less_half_variance(np.array([0.1, 0.0]), 0.005).tolist()
    [0.095, -0.005]
    """
    u -= half_variance
    return u


def _in_range(value: Any, name: str, what: str, high: float) -> float:
    """Converter: a number from 0 to ``high``; anything else (text, NaN, infinite, out of
    range) is refused naming ``name``, what it is and the allowed range."""
    numeric = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    out = float(value) if numeric else math.nan       # NaN is refused with the range
    if not 0.0 <= out <= high:
        raise ValidationError(f"{name}: {what} must be a number between 0 and {high:g}, "
                              f"got {value!r}")
    return out


def _spread(value: Any, name: str) -> float:
    return _in_range(value, name, "the spread of practice effects (sd of the log effect)",
                     MAX_EFFECT_SD)


def _persistence(value: Any) -> float:
    return _in_range(value, "persistence",
                     "the year-to-year correlation of practice effects", 1.0)


def _per_practice(value: Any, name: str, low: float, high: float) -> pd.Series | None:
    """Converter: a Series of floats by practice code (text, trimmed, upper case), checked."""
    if value is None:
        return None
    if isinstance(value, pd.Series):
        series = value
    elif isinstance(value, dict):
        series = pd.Series(value, dtype=object)
    else:
        raise ValidationError(f"{name}: expected a pandas Series or a mapping of practice code "
                              f"to number, got {type(value).__name__}")
    codes = series.index.astype(str).str.strip().str.upper()
    if codes.duplicated().any():
        raise ValidationError(f"{name}: practice code {codes[codes.duplicated()][0]!r} is "
                              "listed twice")
    values = np.array([number(v, f"{name}[{c!r}]") for c, v in zip(codes, series, strict=True)],
                      dtype=float)
    bad = ~((values >= low) & (values <= high))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValidationError(f"{name}[{codes[i]!r}]: must be between {low:g} and {high:g}, "
                              f"got {series.iloc[i]!r}")
    out = pd.Series(values, index=pd.Index(codes, name="practice"), name=name)
    return out


def _series_eq(a: pd.Series | None, b: pd.Series | None) -> bool:
    return (a is None) == (b is None) and (a is None or b is None or a.equals(b))


# ------------------------------------------------------------------ estimating from history

#: Least spread of ``1 / list size`` (its list-size-weighted coefficient of variation) for
#: :meth:`PracticeEffects.from_history` to tell chance (which shrinks with list size) from
#: practice effects (which do not); real lists (1,000 to 30,000 patients) give 0.5 or more.
MIN_SIZE_SPREAD = 0.05


def _check_years(actual: Any) -> None:
    """Refuse a history with no practice observed in two years, naming ``actual``."""
    if not isinstance(actual, pd.DataFrame):
        return                      # ExperienceRating names the type
    years = [str(c) for c in actual.columns]
    if all(y.strip().lstrip("-").isdigit() for y in years) and years:
        if np.any(np.diff([int(y) for y in years]) != 1):
            raise ValidationError(f"actual: the years must be consecutive columns in time "
                                  f"order (earliest first), got {quoted(years, 8)}")
    if int(actual.notna().sum(axis=1).to_numpy().max(initial=0)) < 2:
        raise ValidationError(
            "actual: no practice has spend in two or more years; estimating practice effects "
            "needs at least two practices with history and at least one practice with two or "
            "more years (to tell a practice's own level from the year's chance)")


def _year_deviations(rating: ExperienceRating) -> tuple[np.ndarray, np.ndarray]:
    """Relative deviations ``y = x / m_t − 1`` and list sizes (NaN where no spend), practices
    with history only; ``m_t`` is the year's list-size-weighted mean ratio."""
    ratios = rating.ratios()
    size = rating.list_size.reindex(index=ratios.index, columns=ratios.columns)
    has_history = ratios.notna().any(axis=1).to_numpy()
    x = ratios.to_numpy()[has_history]
    n = size.to_numpy()[has_history]
    n = np.where(np.isnan(x), np.nan, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.nansum(n * x, axis=0) / np.nansum(n, axis=0)
    observed = ~np.isnan(x).all(axis=0)
    if np.any(observed & ~(level > 0)):
        raise ValidationError(f"actual: no spend at all in year(s) "
                              f"{quoted(ratios.columns[observed & ~(level > 0)])}; a year's "
                              "actual spend must be > 0 to measure practices against")
    with np.errstate(invalid="ignore"):
        return x / level - 1.0, n


def _effect_variance(y: np.ndarray, n: np.ndarray) -> float:
    """``Ĉ₀``: the intercept of the list-size-weighted least-squares line ``y² = C₀ + κ²/n``."""
    has = ~np.isnan(y)
    inv, y2, w = 1.0 / n[has], y[has] ** 2, n[has]
    mean_inv = float((w * inv).sum() / w.sum())
    spread = float(np.sqrt((w * (inv - mean_inv) ** 2).sum() / w.sum())) / mean_inv
    if not spread >= MIN_SIZE_SPREAD:
        raise ValidationError(
            f"list_size: the list sizes hardly differ (coefficient of variation of 1/list size "
            f"{spread:.3g}, need at least {MIN_SIZE_SPREAD:g}); chance shrinks with list size "
            "and practice effects do not, so practices of different sizes are needed to tell "
            "them apart")
    design = np.column_stack([np.ones_like(inv), inv]) * np.sqrt(w)[:, None]
    intercept, _ = np.linalg.lstsq(design, y2 * np.sqrt(w), rcond=None)[0]
    return max(float(intercept), 0.0)


def _lag_one_covariance(y: np.ndarray, n: np.ndarray) -> float:
    """``Γ̂₁ = Σ w y_t y_{t+1} / Σ w`` over practices' consecutive years, ``w`` the mean list
    size of the two years; raises when no practice has two consecutive years."""
    pair = ~np.isnan(y[:, :-1]) & ~np.isnan(y[:, 1:])
    if not pair.any():
        raise ValidationError("actual: no practice has spend in two consecutive years, so the "
                              "persistence cannot be estimated; give persistence=")
    w = ((n[:, :-1] + n[:, 1:]) / 2)[pair]
    return float((w * (y[:, :-1] * y[:, 1:])[pair]).sum() / w.sum())


@attrs.frozen
class PracticeEffects:
    """Persistent practice effects on expected spend, drawn in every simulation.

    Parameters
    ----------
    sd : float
        Spread of the effects: the standard deviation of a practice's log effect in a year,
        0 to :data:`MAX_EFFECT_SD` (0.10 is about ±10%).
    persistence : float
        Correlation of a practice's log effect from one year to the next, 0 (a fresh effect
        each year) to 1 (the same effect every year).
    centre : Series, optional
        Per practice code, the log effect in the first simulated year as far as it is
        known (e.g. from history, :meth:`from_history`); practices not listed: 0.
    uncertainty : Series, optional
        Per practice code, the standard deviation of that first-year log effect (what the
        history leaves unknown), 0 to :data:`MAX_EFFECT_SD`; practices not listed: ``sd``.

    Examples
    --------
    >>> PracticeEffects(sd=0.1, persistence=0.8)
    PracticeEffects(sd=0.1, persistence=0.8, centre=None, uncertainty=None)
    >>> PracticeEffects(sd=0.1, persistence=1.5)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: persistence: the year-to-year correlation of practice \
effects must be a number between 0 and 1, got 1.5
    """

    sd: float = attrs.field(converter=lambda v: _spread(v, "sd"))
    persistence: float = attrs.field(converter=_persistence)
    centre: pd.Series | None = attrs.field(
        default=None, converter=lambda v: _per_practice(v, "centre", -5.0, 5.0),
        eq=attrs.cmp_using(eq=_series_eq))
    uncertainty: pd.Series | None = attrs.field(
        default=None, converter=lambda v: _per_practice(v, "uncertainty", 0.0, MAX_EFFECT_SD),
        eq=attrs.cmp_using(eq=_series_eq))

    @classmethod
    def dixon_2011(cls) -> PracticeEffects:
        """Effects calibrated to Dixon et al. (BMJ 2011;343:d6608): sd 0.10, persistence 0.8.

        **Spread (published).** With the best person-based formula, "the predicted costs of
        about a third of practices would exceed or undershoot the actual costs by 10% or
        more" (Dixon J, Smith P, Gravelle H et al., *A person based formula for allocating
        commissioning funds to general practices in England*, BMJ 2011;343:d6608). That share
        includes chance. At a typical list (a chance cv of 2-3% of expected spend, as the
        example and England cost models give at 7,000-10,000 patients) an effect with sd
        0.10 of the log puts a third of practices beyond ±10%: solving
        ``P(|exp(σZ₁ − σ²/2)(1 + cZ₂) − 1| ≥ 0.10) = 1/3`` gives ``σ = 0.104`` at ``c = 0``,
        ``0.102`` at ``c = 0.021`` and ``0.099`` at ``c = 0.03``.

        **Persistence (an assumption).** No published source gives the year-to-year
        correlation of what a capitation formula misses in practices' spend; 0.8 is an
        assumption. Practice-level differences in real NHS money do persist: in NHS Payments
        to General Practice 2014/15-2022/23 (payments *to* practices, not the spend a PBC
        budget covers; example notebook 07, "Do practice differences persist?") a
        practice's payment per weighted patient correlates 0.76 with the year before (0.61
        leaving out dispensing practices), and single-rate AR(1) fits over lags 1-5 give
        0.88 (0.74): 0.8 lies between them. The user guide's page "Is the simulated risk
        realistic?" shows how results move with persistence.

        Examples
        --------
        >>> PracticeEffects.dixon_2011()
        PracticeEffects(sd=0.1, persistence=0.8, centre=None, uncertainty=None)
        """
        return cls(sd=0.10, persistence=0.8)

    @classmethod
    def from_history(cls, actual: pd.DataFrame, expected: pd.DataFrame,
                     list_size: pd.DataFrame, *, high_cost: pd.DataFrame | None = None,
                     persistence: float | None = None) -> PracticeEffects:
        """Effects estimated from a commissioner's own spend history.

        The inputs are :class:`~pbcmodel.credibility.ExperienceRating`'s (practice × year,
        the same practices and years, columns in time order): the ratio of actual spend (less
        any high-cost excess) to formula-expected spend, ``x_it``, with list size ``n_it`` as
        its weight. So the numbers that set a practice's experience adjustment drive its
        simulated risk. With ``y_it = x_it / m_t − 1``, the deviation from the year's
        list-size-weighted mean ratio ``m_t`` (a commissioner-wide level or common shock is
        not a practice effect), and the model ``x_it = m_t · f_it · (1 + chance_it)`` with
        ``f_it = exp(u_it − sd²/2)`` the effect (:class:`PracticeEffects`) and chance of
        variance ``κ² / n_it`` (it shrinks with list size; independent between years):

        * **spread**: ``E[y_it²] = C₀ + κ²/n_it`` with ``C₀ = Var f = exp(sd²) − 1``; ``Ĉ₀``
          is the intercept of the list-size-weighted least-squares line of ``y²`` on
          ``1/n`` (clipped at 0), and ``sd = √log(1 + Ĉ₀)``;
        * **persistence** (unless given): chance drops out of the lag-one covariance,
          ``E[y_it y_i,t+1] = exp(persistence · sd²) − 1``; with ``Γ̂₁`` its list-size-weighted
          mean over practices' consecutive years, ``persistence = log(1 + Γ̂₁) / sd²``,
          clipped to [0, 1] (0 when ``sd = 0``: nothing to persist);
        * **each practice's effect** (practices with history): the Bühlmann–Straub fit of
          :func:`~pbcmodel.credibility.credibility_ratios` gives the collective ratio
          ``μ̂``, the between variance ``â``, each practice's credibility ``zᵢ`` and estimate
          ``estᵢ``. With ``mᵢ = estᵢ / μ̂`` (the factor of
          :func:`~pbcmodel.credibility.credibility_budgets`) and
          ``ā = â / μ̂²``, ``centreᵢ = log mᵢ`` (so the first simulated year's factor has mean
          ``mᵢ``) and ``uncertaintyᵢ = √log(1 + vᵢ / mᵢ²)``, at most ``sd``, where
          ``vᵢ = (1 − zᵢ) ā + max(Ĉ₀ − ā, 0)``: the posterior variance of the practice's
          lasting level, plus the part of the effect that changes from year to year, which no
          history foretells. Practices without history (an all-NaN ``actual`` row) are left
          out: they get centre 0 and uncertainty ``sd``. When the fit finds no lasting
          difference between practices (``â = 0``: every ``z = 0``) every centre is 0 and
          every uncertainty ``sd``, as for a practice without history.

        Two years are enough: the spread needs one year of practices of different sizes, the
        persistence one pair of consecutive years; more years and practices make them surer.

        Parameters
        ----------
        actual, expected : DataFrame
            Actual and formula-expected spend, pounds, practice × year.
        list_size : DataFrame
            Registered patients, practice × year (the weights).
        high_cost : DataFrame, optional
            Excess above the high-cost threshold, left out of the experience.
        persistence : float, optional
            The year-to-year correlation to use instead of estimating it (0 to 1).

        Returns
        -------
        PracticeEffects
            With ``centre`` and ``uncertainty`` for every practice with history.

        Raises
        ------
        ValidationError
            Whatever :class:`~pbcmodel.credibility.ExperienceRating` refuses (mismatched
            practices or years, bad numbers, naming practice and year); no practice with two
            years of spend, or fewer than two practices with history (``actual``); integer
            year labels not consecutive in order (``actual``); list sizes too alike to tell
            chance from effects (``list_size``, see :data:`MIN_SIZE_SPREAD`); no consecutive
            years and no ``persistence`` given; a spread beyond ``MAX_EFFECT_SD``
            (``sd``) or a persistence outside [0, 1].

        Notes
        -----
        Assumptions: the effect is stationary (the same spread every year) and an AR(1) in
        the log, lognormal; chance has variance proportional to 1 / list size with one
        ``κ²`` for all practices (the weights' meaning in Bühlmann–Straub), so practices of
        different sizes are needed to tell a fresh-every-year effect from chance. These are
        moment estimators, consistent as the number of practices grows for any number of
        years ≥ 2; ``persistence`` is a ratio of two estimates and biased in small samples
        (of order 1 / practices), and with few practices or a small spread it is noisy.
        Deviations are taken from each year's commissioner-wide level, not from each
        practice's own mean, so there is no within-practice (Nickell) short-panel bias.
        Bühlmann–Straub's ``â`` alone is not the spread: when effects change from year to
        year it measures only their lasting part (the mean covariance between a practice's
        different years), and with a fixed effect (persistence 1) ``√log(1 + ā)`` and ``sd``
        agree. The centre is the credibility estimate of the practice's level over the
        history, taken as its effect in the first simulated year; the simulation then decays
        it at the persistence rate.

        Examples
        --------
        Two small practices and two large ones, two years (the ratios' yearly means are 1):

        >>> import pandas as pd
        >>> years = ["2023", "2024"]
        >>> size = pd.DataFrame([[1e3, 1e3], [1e3, 1e3], [4e3, 4e3], [4e3, 4e3]],
        ...                     index=["A", "B", "C", "D"], columns=years)
        >>> ratio = pd.DataFrame([[1.2, 0.9], [0.8, 1.1], [1.15, 1.1], [0.85, 0.9]],
        ...                      index=size.index, columns=years)
        >>> eff = PracticeEffects.from_history(ratio * size * 100, size * 100, size)
        >>> round(eff.sd, 4), round(eff.persistence, 4)
        (0.1151, 0.6016)
        >>> eff.centre.round(4).to_dict()
        {'A': 0.0261, 'B': -0.0268, 'C': 0.0973, 'D': -0.1078}
        >>> eff.uncertainty.round(4).to_dict()
        {'A': 0.0791, 'B': 0.0833, 'C': 0.0458, 'D': 0.0563}
        """
        if persistence is not None:
            persistence = _persistence(persistence)
        _check_years(actual)
        rating = ExperienceRating(actual=actual, expected=expected, list_size=list_size,
                                  high_cost=high_cost)
        y, n = _year_deviations(rating)
        c0 = _effect_variance(y, n)
        sd = math.sqrt(math.log1p(c0))
        if sd > MAX_EFFECT_SD:
            raise ValidationError(
                f"sd: the history's practice effects have a spread (sd of the log effect) of "
                f"{sd:.3g}, outside the allowed 0 to {MAX_EFFECT_SD:g}; check that actual and "
                "expected are in the same units and for the same patients")
        if persistence is None:
            lag_one = _lag_one_covariance(y, n)
            persistence = (min(max(math.log1p(lag_one) / sd**2, 0.0), 1.0)
                           if sd > 0 and lag_one > 0 else 0.0)
        fit = rating.credibility()
        mu = fit.collective_mean
        if not mu > 0:
            raise ValidationError(f"actual: the commissioner's ratio of actual to expected "
                                  f"spend must be > 0 to measure effects against, got {mu!r}")
        level = fit.estimates / mu
        a_bar = fit.between_variance / mu**2
        var = (1 - fit.z) * a_bar + max(c0 - a_bar, 0.0)
        with np.errstate(divide="ignore"):
            centre = np.log(level)
        uncertainty = np.minimum(np.sqrt(np.log1p(var / level**2)), sd)
        return cls(sd=sd, persistence=persistence, centre=centre, uncertainty=uncertainty)

    def evolve(self, **changes: Any) -> PracticeEffects:
        """A copy with ``changes`` (checked as at construction).

        Examples
        --------
        >>> PracticeEffects(sd=0.1, persistence=0.8).evolve(persistence=0.5).persistence
        0.5
        """
        return attrs.evolve(self, **changes)

    @property
    def is_off(self) -> bool:
        """Whether the effects change nothing: spread 0 and no practice's effect known.

        Examples
        --------
        >>> PracticeEffects(sd=0.0, persistence=0.5).is_off
        True
        """
        return self.sd == 0 and self.centre is None and self.uncertainty is None

    def first_year(self, codes: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        """The first simulated year's log-effect mean and sd per practice of ``codes``.

        Raises
        ------
        ValidationError
            ``centre`` or ``uncertainty`` names a practice not in ``codes``.

        Examples
        --------
        >>> eff = PracticeEffects(0.1, 0.8, centre={"A": 0.05})
        >>> [a.tolist() for a in eff.first_year(pd.Index(["A", "B"]))]
        [[0.05, 0.0], [0.1, 0.1]]
        """
        out = []
        for name, default in (("centre", 0.0), ("uncertainty", self.sd)):
            given = getattr(self, name)
            if given is None:
                out.append(np.full(len(codes), default))
                continue
            unknown = given.index.difference(codes)
            if len(unknown):
                raise ValidationError(
                    f"practice_effects.{name}: practice code(s) "
                    f"{', '.join(map(repr, unknown[:5]))} not in the population "
                    f"({len(unknown)} unknown); give the effects of the population's practices")
            out.append(given.reindex(codes).fillna(default).to_numpy())
        return out[0], out[1]

    def explain(self, practice: str) -> tuple[float, str]:
        """One practice's first-year expected effect ``exp(centre)`` and, in words, the
        spend risk its budget does not cover (a row of ``Scenario.explain``).

        Examples
        --------
        >>> factor, words = PracticeEffects.dixon_2011().explain("P001")
        >>> factor, words.split("; ")[-1]
        (1.0, 'no history of this practice: expected 1.000 × the formula')
        >>> PracticeEffects(0.1, 0.8, centre={"P001": 0.05},
        ...                 uncertainty={"P001": 0.03}).explain("P001")[1].split("; ")[-1]
        'from its history: expected 1.051 × the formula, give or take 3%'
        """
        centre = 0.0 if self.centre is None else float(self.centre.get(practice, 0.0))
        known = any(s is not None and practice in s.index
                    for s in (self.centre, self.uncertainty))
        spread = self.sd if self.uncertainty is None else float(
            self.uncertainty.get(practice, self.sd))
        factor = math.exp(centre)
        line = (f"spend the formula does not see: about ±{self.sd:.0%} a year (sd "
                f"{self.sd:.2f} of the log), persistence {self.persistence:.2f}; ")
        if not known:
            return factor, (line + "no history of this practice: expected "
                            f"{factor:.3f} × the formula")
        return factor, (line + f"from its history: expected {factor:.3f} × the formula, give "
                        f"or take {spread:.0%}")

    def log_variance(self, year: int, uncertainty: np.ndarray) -> np.ndarray:
        """``V_t``, the variance of each practice's log effect in simulated ``year``.

        Examples
        --------
        >>> PracticeEffects(0.1, 0.5).log_variance(1, np.array([0.0, 0.1])).round(6).tolist()
        [0.0075, 0.01]
        """
        decay = self.persistence ** (2 * year)
        return decay * uncertainty**2 + (1 - decay) * self.sd**2

    def log_moments(self, years: int, codes: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        """Mean ``persistence^t · centre`` and variance ``V_t`` of each practice's log effect
        ``u_t`` in simulated years ``0 … years − 1``: two arrays, year × practice (``u_t`` is
        normal with these, see the module).

        Examples
        --------
        >>> eff = PracticeEffects(0.1, 0.5, centre={"A": 0.2}, uncertainty={"A": 0.0})
        >>> mean, var = eff.log_moments(2, pd.Index(["A", "B"]))
        >>> mean.tolist(), var.round(4).tolist()
        ([[0.2, 0.0], [0.1, 0.0]], [[0.0, 0.01], [0.0075, 0.01]])
        """
        centre, uncertainty = self.first_year(codes)
        mean = np.array([self.persistence**t * centre for t in range(years)])
        var = np.array([self.log_variance(t, uncertainty) for t in range(years)])
        return mean.reshape(years, len(codes)), var.reshape(years, len(codes))

    def log_effects(self, root: np.random.SeedSequence, years: int, lo: int, hi: int,
                    codes: pd.Index | int) -> list[np.ndarray]:
        """Log effects ``u_t`` of simulations ``[lo, hi)`` in years ``0 … years − 1``.

        ``codes``: the population's practice codes (or, without known effects, a number of
        practices). Each array is (hi − lo, practices); row ``s`` is the same for any split.

        Examples
        --------
        >>> eff = PracticeEffects(sd=0.2, persistence=1.0)
        >>> a, b = eff.log_effects(np.random.SeedSequence(3), 2, 0, 10, 4)
        >>> bool(np.array_equal(a, b))        # persistence 1: the same effect every year
        True
        """
        index = pd.RangeIndex(codes) if isinstance(codes, int) else codes
        centre, uncertainty = self.first_year(index)
        out: list[np.ndarray] = []
        for year in range(years):
            z = normals(root, year, lo, hi, len(index))
            out.append(first_log_effect(z, centre, uncertainty) if year == 0 else
                       next_log_effect(z, out[-1], self.persistence, self.fresh_spread))
        return out

    @property
    def fresh_spread(self) -> float:
        """``√(1 − persistence²) · sd``: the spread of what is new in a practice's log
        effect each year after the first (:func:`next_log_effect`).

        Examples
        --------
        >>> PracticeEffects(sd=0.1, persistence=0.8).fresh_spread
        0.06
        """
        rho = self.persistence
        return math.sqrt(max(0.0, 1.0 - rho * rho)) * self.sd

    def factors(self, root: np.random.SeedSequence, years: int, lo: int, hi: int,
                codes: pd.Index | int) -> list[np.ndarray]:
        """Multiplicative effects ``exp(u_t − V_t / 2)`` of simulations ``[lo, hi)``, one
        (hi − lo, practices) array per year (see the module).

        Examples
        --------
        >>> eff = PracticeEffects(sd=0.1, persistence=0.8)
        >>> f = eff.factors(np.random.SeedSequence(2), 1, 0, 20_000, 3)[0]
        >>> bool(abs(f.mean() - 1) < 0.005), bool(abs(np.log(f).std() - 0.1) < 0.005)
        (True, True)
        """
        index = pd.RangeIndex(codes) if isinstance(codes, int) else codes
        _, uncertainty = self.first_year(index)
        out = []
        for year, u in enumerate(self.log_effects(root, years, lo, hi, index)):
            u = less_half_variance(u, self.log_variance(year, uncertainty) / 2)
            out.append(np.exp(u, out=u))
        return out
