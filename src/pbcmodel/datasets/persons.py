"""Synthetic person-level costs with a known data-generating model, to fit needs formulas on.

:func:`synthetic_persons` draws one row per registered person: practice, age band, sex,
five chronic conditions, a deprivation indicator and one annual cost per point of delivery.
The costs come from a two-part model whose true coefficients, fixed constants, are returned
by :func:`synthetic_persons_truth`, so a fitted model (:func:`pbcmodel.needs.fit_needs_model`)
can be checked against the truth it should recover.

The data-generating model
-------------------------
*Practices.* List sizes are lognormal (σ = 0.5) and sum to ``n``. Each practice has an age
tilt (young urban … elderly coastal) and a share of patients living in deprived areas drawn
from Beta(2, 5) (mean 0.29).

*Persons.* Age band from an England-like age profile tilted by the practice; sex from a
female share that rises in old age; ``deprived`` ~ Bernoulli(practice's share).

*Conditions.* ``diabetes``, ``copd``, ``chd`` (coronary heart disease), ``depression`` and
``cancer``, each with ``logit P = a + b·(age − 50)/10 + d·deprived`` (``age`` the band's
mid-point; :attr:`PersonsTruth.prevalence` lists ``a``, ``b``, ``d``): diabetes about 7% at
50 and 18% at 80, COPD 1.5% → 6%, CHD 2.5% → 13%, depression about 12% at every age, cancer
2% → 9%, all higher in deprived areas.

*Costs.* For each POD, independently given the person's covariates:

* use: ``logit P(cost > 0) = α[age band, sex] + Σ β·x``;
* cost given use: gamma with ``log E[cost | use] = γ[age band, sex] + Σ δ·x + u_practice``
  and coefficient of variation ``cv[pod]``;

where ``x`` are the five conditions and ``deprived`` (0/1). ``u_practice`` ~ N(−σ²/2, σ²)
with σ = ``practice_effect_sd`` (default 0.1) is an unmeasured practice effect (referral
style, local prices) with ``E[exp(u)] = 1``: no formula can see it, a practice's own spend
history can (see :mod:`pbcmodel.credibility`). It is not in :meth:`PersonsTruth.expected_cost`.

Examples
--------
>>> from pbcmodel.datasets.persons import synthetic_persons, synthetic_persons_truth
>>> df = synthetic_persons(200_000, seed=1)
>>> df.shape, df["practice"].nunique()
((200000, 16), 80)
>>> truth = synthetic_persons_truth()
>>> truth.indicators
('diabetes', 'copd', 'chd', 'depression', 'cancer', 'deprived')
>>> round(float(df[list(truth.pods)].sum(axis=1).mean()), -2)   # pounds per head
1000.0
"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
from scipy import special

from ..codes import AGE_BANDS, PODS, SEXES
from ..errors import ValidationError
from ..needs import NeedsModel, fit_needs_model
from ..validation import check_positive, finite_scalar

__all__ = ["CONDITIONS", "PersonsTruth", "example_needs_model", "synthetic_persons",
           "synthetic_persons_truth"]

#: Chronic conditions in :func:`synthetic_persons`, in column order.
CONDITIONS: tuple[str, ...] = ("diabetes", "copd", "chd", "depression", "cancer")

_INDICATORS: tuple[str, ...] = (*CONDITIONS, "deprived")
_CELLS = pd.MultiIndex.from_product([AGE_BANDS, SEXES], names=["age_band", "sex"])
_MID = np.arange(len(AGE_BANDS)) * 5.0 + 2.5
_MID[-1] = 97.5
_DECADES = (_MID - 50.0) / 10.0

#: England-like share of registered patients by age band.
_BASE_AGE = np.array([5.6, 6.0, 5.9, 5.6, 6.2, 6.9, 7.0, 6.8, 6.5, 6.4, 6.9, 6.8, 5.9,
                      5.1, 5.0, 3.6, 2.5, 1.5, 0.7, 0.2])
_BASE_AGE = _BASE_AGE / _BASE_AGE.sum()
_FEMALE = np.clip(0.487 + 0.0025 * np.maximum(_MID - 50, 0) ** 1.25, 0.0, 0.75)

# Condition prevalence: logit P = a + b * decades from 50 + d * deprived.
_PREVALENCE = pd.DataFrame(
    {"a": [-2.59, -4.18, -3.66, -1.99, -3.89],
     "b": [0.35, 0.50, 0.60, 0.00, 0.55],
     "d": [0.40, 0.70, 0.40, 0.50, 0.10]},
    index=pd.Index(CONDITIONS, name="condition"))

# Per POD at age 50, female, no conditions: P(use), mean cost given use (pounds); slopes per
# decade of age on the logit of use and on the log of the cost; sex (male) shifts; cv.
_POD = pd.DataFrame({
    #            p50    mean50  use/dec cost/dec male_use male_cost  cv
    "p50":     [0.060, 0.045, 0.22, 0.18, 0.17, 0.65, 0.05],
    "mean50":  [2200., 3000., 220., 360., 200., 350., 500.],
    "use_age": [0.22, 0.30, 0.12, 0.16, -0.02, 0.38, 0.50],
    "cost_age": [0.04, 0.09, 0.01, 0.02, 0.00, 0.10, 0.12],
    "male_use": [-0.05, 0.05, -0.20, -0.15, 0.10, -0.30, -0.10],
    "male_cost": [0.05, 0.08, 0.00, 0.00, 0.00, 0.05, 0.00],
    "cv": [1.2, 1.5, 0.7, 1.0, 0.8, 1.4, 1.5],
}, index=pd.Index(PODS, name="pod"))

# Effects of the indicators (rows) on the logit of use and on the log cost given use, by POD.
_USE_EFFECTS = pd.DataFrame(
    [[0.30, 0.50, 0.40, 0.50, 0.20, 2.00, 0.60],    # diabetes
     [0.20, 0.90, 0.30, 0.40, 0.40, 1.50, 0.70],    # copd
     [0.50, 0.80, 0.60, 0.80, 0.30, 1.80, 0.50],    # chd
     [0.10, 0.40, 0.20, 0.20, 0.40, 1.20, 0.40],    # depression
     [0.80, 0.70, 1.00, 1.40, 0.20, 1.00, 0.60],    # cancer
     [-0.10, 0.30, -0.05, 0.00, 0.30, 0.20, 0.15]],  # deprived
    index=pd.Index(_INDICATORS, name="indicator"), columns=pd.Index(PODS, name="pod"))
_COST_EFFECTS = pd.DataFrame(
    [[0.10, 0.15, 0.05, 0.05, 0.00, 0.60, 0.10],    # diabetes
     [0.05, 0.20, 0.00, 0.05, 0.05, 0.40, 0.20],    # copd
     [0.20, 0.25, 0.05, 0.10, 0.05, 0.50, 0.10],    # chd
     [0.00, 0.10, 0.00, 0.00, 0.05, 0.30, 0.15],    # depression
     [0.40, 0.30, 0.20, 0.50, 0.05, 0.80, 0.30],    # cancer
     [0.00, 0.05, 0.00, 0.00, 0.00, 0.05, 0.05]],   # deprived
    index=pd.Index(_INDICATORS, name="indicator"), columns=pd.Index(PODS, name="pod"))


def _cell_intercepts() -> tuple[pd.DataFrame, pd.DataFrame]:
    """α (logit of use) and γ (log cost) per (age band, sex) × POD for a person with x = 0."""
    d = _DECADES[:, None]
    infant = np.exp(-_MID / 3.0)[:, None]          # infants use hospitals more than children
    old = np.maximum(_DECADES - 2.0, 0.0)[:, None]  # care rises faster after 70
    maternity = ((_MID > 15) & (_MID < 45)).astype(float)[:, None]
    p = _POD
    use = (special.logit(p["p50"].to_numpy())[None, :] + d * p["use_age"].to_numpy()
           + infant * np.array([0.0, 2.0, 0.8, 0.5, 1.8, 0.5, 0.5])
           + old * np.array([0.0, 0.15, 0.0, 0.0, 0.1, 0.2, 0.35]))
    cost = (np.log(p["mean50"].to_numpy())[None, :] + d * p["cost_age"].to_numpy()
            + old * np.array([0.0, 0.05, 0.0, 0.0, 0.0, 0.0, 0.05]))
    male_use = p["male_use"].to_numpy()
    female_use = maternity * np.array([0.05, 0.60, 0.30, 0.40, 0.0, 0.20, 0.30])
    use_cells = np.stack([use + female_use, use + male_use[None, :]], axis=1).reshape(-1, 7)
    cost_cells = np.stack([cost, cost + p["male_cost"].to_numpy()[None, :]],
                          axis=1).reshape(-1, 7)
    cols = pd.Index(PODS, name="pod")
    return (pd.DataFrame(use_cells, index=_CELLS, columns=cols),
            pd.DataFrame(cost_cells, index=_CELLS, columns=cols))


@attrs.frozen(eq=False, repr=False)
class PersonsTruth:
    """The true two-part cost model behind :func:`synthetic_persons` (fixed constants).

    Attributes
    ----------
    cell_use, cell_cost : DataFrame
        (age_band, sex) × POD: the logit of use (α) and the log of the mean cost given use
        (γ) for a person with every indicator 0.
    use_effects, cost_effects : DataFrame
        indicator × POD: β (logit of use) and δ (log cost given use).
    cv : Series
        Coefficient of variation of the gamma cost given use, by POD.
    prevalence : DataFrame
        condition × (a, b, d): ``logit P = a + b·(age − 50)/10 + d·deprived``.
    practice_effect_sd : float
        σ of the unmeasured practice effect on the log cost given use.
    """

    cell_use: pd.DataFrame
    cell_cost: pd.DataFrame
    use_effects: pd.DataFrame
    cost_effects: pd.DataFrame
    cv: pd.Series
    prevalence: pd.DataFrame
    practice_effect_sd: float = 0.1

    def __repr__(self) -> str:
        return (f"PersonsTruth({len(self.pods)} PODs, indicators {', '.join(self.indicators)}, "
                f"practice effect sd {self.practice_effect_sd})")

    @property
    def pods(self) -> tuple[str, ...]:
        """The cost columns, :data:`~pbcmodel.codes.PODS`."""
        return tuple(self.cell_use.columns)

    @property
    def indicators(self) -> tuple[str, ...]:
        """The indicator columns: the conditions and ``deprived``."""
        return tuple(self.use_effects.index)

    def coefficients(self) -> pd.DataFrame:
        """True coefficients in the layout of :attr:`pbcmodel.needs.NeedsModel.coefficients`.

        Index (pod, part, term): part ``"use"`` (logit) or ``"cost"`` (log), term
        ``"<age_band>:<sex>"`` for a cell's intercept or an indicator's name; column ``coef``.

        Examples
        --------
        >>> c = synthetic_persons_truth().coefficients()
        >>> round(float(c.loc[("prescribing", "use", "diabetes"), "coef"]), 2)
        2.0
        """
        rows = []
        for pod in self.pods:
            for part, cells, effects in [("use", self.cell_use, self.use_effects),
                                         ("cost", self.cell_cost, self.cost_effects)]:
                terms = [f"{b}:{s}" for b, s in cells.index] + list(effects.index)
                values = np.concatenate([cells[pod].to_numpy(), effects[pod].to_numpy()])
                rows.append(pd.DataFrame({"pod": pod, "part": part, "term": terms,
                                          "coef": values}))
        return pd.concat(rows, ignore_index=True).set_index(["pod", "part", "term"])

    def expected_cost(self, persons: pd.DataFrame) -> pd.DataFrame:
        """True expected cost per person by POD (without the unmeasured practice effect).

        Examples
        --------
        >>> df = synthetic_persons(5_000, seed=3)
        >>> e = synthetic_persons_truth().expected_cost(df)
        >>> e.shape
        (5000, 7)
        """
        cell = _cell_codes(persons)
        x = persons[list(self.indicators)].to_numpy(dtype=float)
        p = special.expit(self.cell_use.to_numpy()[cell] + x @ self.use_effects.to_numpy())
        m = np.exp(self.cell_cost.to_numpy()[cell] + x @ self.cost_effects.to_numpy())
        return pd.DataFrame(p * m, index=persons.index, columns=pd.Index(self.pods, name="pod"))

    def cost_weights(self, persons: pd.DataFrame) -> pd.DataFrame:
        """True cost weights with the indicators at their means in each age band × sex cell.

        The same definition as :meth:`pbcmodel.needs.NeedsModel.cost_weights` (pounds per
        head: ``P(use) × E[cost | use]`` evaluated at the cell's mean indicators of
        ``persons``), so a fitted model can be compared with the truth cell by cell.

        Examples
        --------
        >>> df = synthetic_persons(50_000, seed=3)
        >>> w = synthetic_persons_truth().cost_weights(df)
        >>> w.shape
        (40, 7)
        """
        xbar = _cell_means(persons, self.indicators)
        p = special.expit(self.cell_use.to_numpy() + xbar @ self.use_effects.to_numpy())
        m = np.exp(self.cell_cost.to_numpy() + xbar @ self.cost_effects.to_numpy())
        return pd.DataFrame(p * m, index=_CELLS, columns=pd.Index(self.pods, name="pod"))


def _cell_codes(persons: pd.DataFrame) -> np.ndarray:
    band = pd.Categorical(persons["age_band"], categories=AGE_BANDS).codes
    sex = pd.Categorical(persons["sex"], categories=SEXES).codes
    if (band < 0).any() or (sex < 0).any():
        raise ValidationError("persons: unknown age_band or sex codes")
    return band.astype(np.int64) * len(SEXES) + sex


def _cell_means(persons: pd.DataFrame, indicators: tuple[str, ...]) -> np.ndarray:
    cell = _cell_codes(persons)
    x = persons[list(indicators)].to_numpy(dtype=float)
    n = np.bincount(cell, minlength=len(_CELLS)).astype(float)
    sums = np.stack([np.bincount(cell, weights=x[:, j], minlength=len(_CELLS))
                     for j in range(x.shape[1])], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n[:, None] > 0, sums / n[:, None], 0.0)


def synthetic_persons_truth(practice_effect_sd: float = 0.1) -> PersonsTruth:
    """The true coefficients behind :func:`synthetic_persons` (identical for every seed).

    Examples
    --------
    >>> t = synthetic_persons_truth()
    >>> t.cell_use.shape, t.use_effects.shape
    ((40, 7), (6, 7))
    >>> float(t.cv["elective"])
    1.2
    """
    use, cost = _cell_intercepts()
    return PersonsTruth(cell_use=use, cell_cost=cost, use_effects=_USE_EFFECTS.copy(),
                        cost_effects=_COST_EFFECTS.copy(), cv=_POD["cv"].copy(),
                        prevalence=_PREVALENCE.copy(),
                        practice_effect_sd=float(practice_effect_sd))


def synthetic_persons(n: int = 500_000, seed: int = 0, n_practices: int | None = None, *,
                      practice_effect_sd: float = 0.1) -> pd.DataFrame:
    """Draw ``n`` persons with costs from the known model of :func:`synthetic_persons_truth`.

    Parameters
    ----------
    n : int
        Number of persons (≥ 1).
    seed : int
        Seed for :class:`numpy.random.SeedSequence`; the same arguments give the same frame.
    n_practices : int, optional
        Number of practices; default ``max(1, round(n / 2500))`` (about 2,500 patients each).
    practice_effect_sd : float
        σ of the unmeasured practice effect on the log cost given use (0 for none).

    Returns
    -------
    DataFrame
        One row per person: ``practice`` (codes ``Q0000``…), ``age_band`` and ``sex``
        (categoricals over :data:`~pbcmodel.codes.AGE_BANDS` / :data:`~pbcmodel.codes.SEXES`),
        the 0/1 indicators ``diabetes``, ``copd``, ``chd``, ``depression``, ``cancer`` and
        ``deprived`` (int8), and one annual cost (pounds, 0 for no use) per POD in
        :data:`~pbcmodel.codes.PODS`. Persons are grouped by practice.

    Raises
    ------
    ValidationError
        ``n`` or ``n_practices`` not a whole number ≥ 1, more practices than persons, or a
        negative ``practice_effect_sd``.

    Examples
    --------
    >>> df = synthetic_persons(10_000, seed=2, n_practices=5)
    >>> sorted(df["practice"].unique())[:2]
    ['Q0000', 'Q0001']
    >>> bool((df["prescribing"] >= 0).all()), round(float(df["diabetes"].mean()), 2)
    (True, 0.08)
    """
    n = _whole(n, "n")
    k = max(1, round(n / 2500)) if n_practices is None else _whole(n_practices, "n_practices")
    if k > n:
        raise ValidationError(f"n_practices: must be <= n ({n:,}), got {k:,}")
    sd = check_positive(practice_effect_sd, "practice_effect_sd", strict=False)
    truth = synthetic_persons_truth(sd)
    practice_ss, person_ss, condition_ss, cost_ss = np.random.SeedSequence(seed).spawn(4)

    # practices: sizes summing to n (each at least one person), age tilt, deprived share
    rng = np.random.default_rng(practice_ss)
    raw = rng.lognormal(0.0, 0.5, k)
    size = 1 + np.floor(raw / raw.sum() * (n - k)).astype(np.int64)
    size[np.argsort(-raw)[: n - int(size.sum())]] += 1
    tilt = np.clip(rng.normal(0.0, 0.45, k), -1.0, 1.0)
    deprived_share = rng.beta(2.0, 5.0, k)
    effect = rng.normal(-sd**2 / 2, sd, k) if sd > 0 else np.zeros(k)
    practice = np.repeat(np.arange(k), size)

    # persons: age band (practice-tilted profile), sex, deprivation
    rng = np.random.default_rng(person_ss)
    profile = _BASE_AGE * np.exp(np.outer(tilt, (_MID - 40.0) / 40.0))
    cum = np.cumsum(profile / profile.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    u = rng.random(n)
    band = np.empty(n, dtype=np.int64)
    start = 0
    for j in range(k):   # one searchsorted per practice: O(n log 20) overall
        stop = start + int(size[j])
        band[start:stop] = np.searchsorted(cum[j], u[start:stop], side="right")
        start = stop
    male = rng.random(n) >= _FEMALE[band]
    deprived = rng.random(n) < deprived_share[practice]

    # conditions
    rng = np.random.default_rng(condition_ss)
    prev = truth.prevalence
    logits = (prev["a"].to_numpy()[None, :]
              + _DECADES[band][:, None] * prev["b"].to_numpy()[None, :]
              + deprived[:, None] * prev["d"].to_numpy()[None, :])
    conditions = rng.random((n, len(CONDITIONS))) < special.expit(logits)
    x = np.column_stack([conditions, deprived]).astype(np.float64)

    # costs: two-part model per POD
    rng = np.random.default_rng(cost_ss)
    cell = band * len(SEXES) + male
    eta_use = truth.cell_use.to_numpy()[cell] + x @ truth.use_effects.to_numpy()
    eta_cost = (truth.cell_cost.to_numpy()[cell] + x @ truth.cost_effects.to_numpy()
                + effect[practice][:, None])
    used = rng.random((n, len(PODS))) < special.expit(eta_use)
    costs = np.zeros((n, len(PODS)))
    cv = truth.cv.to_numpy()
    for j in range(len(PODS)):
        rows = np.flatnonzero(used[:, j])
        shape = 1.0 / cv[j] ** 2
        mean = np.exp(eta_cost[rows, j])
        costs[rows, j] = rng.gamma(shape, 1.0, rows.size) * (mean / shape)

    codes = np.char.add("Q", np.char.zfill(np.arange(k).astype(str), 4))
    frame = pd.DataFrame({
        "practice": codes[practice].astype(object),
        "age_band": pd.Categorical.from_codes(band, categories=list(AGE_BANDS)),
        "sex": pd.Categorical.from_codes(male.astype(np.int8), categories=list(SEXES)),
    })
    indicators = pd.DataFrame(x.astype(np.int8), columns=list(_INDICATORS))
    cost_frame = pd.DataFrame(np.round(costs, 2), columns=list(PODS))
    return pd.concat([frame, indicators, cost_frame], axis=1)


def _whole(value: object, name: str) -> int:
    v = finite_scalar(value, name)
    if v != np.floor(v) or v < 1:
        raise ValidationError(f"{name}: must be a whole number >= 1, got {value!r}")
    return int(v)


def example_needs_model() -> NeedsModel:
    """A small fitted needs model, for examples: the one fit the docstrings share.

    Both parts of the model for two PODs (``outpatient_first`` and ``ae``), adjusted for
    ``diabetes`` only, fitted by :func:`pbcmodel.needs.fit_needs_model` on
    ``synthetic_persons(30_000, seed=1)`` (12 practices). Fitted afresh at each call (about a
    second); needs the optional extra ``glm``.

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("glum")
    >>> example_needs_model()
    NeedsModel(2 PODs × two parts, 40 age-sex cells, indicators: diabetes; fitted on 30,000 persons)
    """
    return fit_needs_model(synthetic_persons(30_000, seed=1), indicators=["diabetes"],
                           pods=["outpatient_first", "ae"])
