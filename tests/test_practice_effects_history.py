"""PracticeEffects.from_history: practice effects estimated from a commissioner's own history.

The estimator (see the method's docstring): ``y = x / m_t − 1`` the relative deviation of a
practice's actual/expected ratio from the year's list-size-weighted mean; the spread from the
intercept ``C₀`` of ``y² = C₀ + κ²/n`` (chance shrinks with list size, effects do not),
``sd = √log(1 + C₀)``; the persistence from the lag-one covariance ``Γ₁`` (chance drops out),
``log(1 + Γ₁) / sd²``; each practice's centre and uncertainty from the Bühlmann–Straub fit of
:func:`pbcmodel.credibility.credibility_ratios`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbcmodel.credibility import credibility_ratios
from pbcmodel.errors import ValidationError
from pbcmodel.risk.effects import MAX_EFFECT_SD, PracticeEffects

YEARS = ["2023", "2024"]


def small_history() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Two small practices (1,000 patients) and two large ones (4,000), two years."""
    size = pd.DataFrame([[1e3, 1e3], [1e3, 1e3], [4e3, 4e3], [4e3, 4e3]],
                        index=list("ABCD"), columns=YEARS)
    ratio = pd.DataFrame([[1.2, 0.9], [0.8, 1.1], [1.15, 1.1], [0.85, 0.9]],
                         index=size.index, columns=YEARS)
    return ratio * size * 100, size * 100, size


def test_hand_computed_example() -> None:
    # Ratios (actual/expected): A 1.2, 0.9; B 0.8, 1.1; C 1.15, 1.1; D 0.85, 0.9 with list
    # sizes A, B 1,000 and C, D 4,000. Each year's list-size-weighted mean ratio is 1
    # (1000·(1.2 + 0.8) + 4000·(1.15 + 0.85) = 10000), so y = ratio − 1.
    # Spread: y² is 0.04, 0.01 (A and B, both years: mean 0.025 at 1/n = 0.001) and
    # 0.0225, 0.01 (C and D: mean 0.01625 at 1/n = 0.00025). Two distinct list sizes, so the
    # weighted line passes through the two means: slope κ² = 0.00875 / 0.00075 = 35/3,
    # intercept C₀ = 0.01625 − (35/3)·0.00025 = 1/75; sd = √log(76/75) = 0.115088.
    # Persistence: lag-one products A 0.2·(−0.1) = −0.02, B −0.02, C 0.15·0.1 = 0.015, D 0.015,
    # weights 1000, 1000, 4000, 4000: Γ₁ = (−40 + 120) / 10000 = 0.008;
    # persistence = log(1.008) / log(76/75) = 0.0079681 / 0.0132452 = 0.601583.
    # Credibility (Bühlmann–Straub, weights = list sizes): unit means A 1.05, B 0.95, C 1.125,
    # D 0.875; s² = (45 + 45 + 5 + 5) / 4 = 25; Σ wᵢ(x̄ᵢ − 1)² = 10 + 250 = 260;
    # â = (260 − 3·25) / (20000 − 136e6/20000) = 185 / 13200 = 0.0140152; k = 1783.78;
    # z = 2000/3783.78 = 0.528571 (A, B), 8000/9783.78 = 0.817680 (C, D); μ̂ = 1 by symmetry.
    # Centres: log(0.528571·1.05 + 0.471429) = log(1.026429) = 0.026086 (A),
    # log(0.817680·1.125 + 0.182320) = log(1.102210) = 0.097317 (C).
    # Uncertainty: ā = 0.0140152 > C₀, so v = (1 − z)·ā: A 0.0066072, C 0.0025553;
    # A √log(1 + 0.0066072/1.026429²) = 0.079069, C √log(1 + 0.0025553/1.102210²) = 0.045839.
    eff = PracticeEffects.from_history(*small_history())
    assert eff.sd == pytest.approx(math.sqrt(math.log(76 / 75)), rel=1e-12)
    assert eff.persistence == pytest.approx(math.log(1.008) / math.log(76 / 75), rel=1e-12)
    assert eff.centre is not None and eff.uncertainty is not None
    # (six-figure hand arithmetic: agreement to 5e-6)
    assert eff.centre["A"] == pytest.approx(0.026086, abs=5e-6)
    assert eff.centre["C"] == pytest.approx(0.097317, abs=5e-6)
    assert eff.uncertainty["A"] == pytest.approx(0.079069, abs=5e-6)
    assert eff.uncertainty["C"] == pytest.approx(0.045839, abs=5e-6)


def test_centres_are_the_credibility_estimates_and_new_practices_are_left_out() -> None:
    actual, expected, size = small_history()
    fit = credibility_ratios(actual, expected, size)
    actual.loc["NEW"] = np.nan                      # a new practice: no history
    expected.loc["NEW"], size.loc["NEW"] = 1e5, 1e3
    eff = PracticeEffects.from_history(actual, expected, size)
    assert eff.centre is not None and eff.uncertainty is not None
    assert list(eff.centre.index) == list("ABCD")
    np.testing.assert_allclose(eff.centre, np.log(fit.estimates / fit.collective_mean),
                               rtol=0, atol=1e-15)
    centre, uncertainty = eff.first_year(pd.Index([*"ABCD", "NEW"]))
    assert centre[-1] == 0.0 and uncertainty[-1] == eff.sd
    assert (eff.uncertainty <= eff.sd).all()


# ------------------------------------------------------------------ simulated histories

@functools.cache
def simulated(sd: float, persistence: float, practices: int = 1000, years: int = 6,
              seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Histories drawn from the model: expected × exp(u − sd²/2) × (1 + chance), chance cv
    2/√(list size) (2% at 10,000 patients), list sizes 2,000 to 20,000; also the true u."""
    rng = np.random.default_rng(seed)
    n = rng.integers(2_000, 20_000, practices).astype(float)
    eff = PracticeEffects(sd=sd, persistence=persistence)
    u = np.vstack([a[0] for a in eff.log_effects(np.random.SeedSequence(seed), years, 0, 1,
                                                 practices)]).T
    columns = [str(2015 + t) for t in range(years)]
    size = pd.DataFrame(np.repeat(n[:, None], years, axis=1),
                        index=[f"P{i:04d}" for i in range(practices)], columns=columns)
    expected = size * 1000.0
    chance = 1 + 2.0 / np.sqrt(size.to_numpy()) * rng.standard_normal((practices, years))
    actual = expected * np.exp(u - sd**2 / 2) * chance
    return actual, expected, size, u


@pytest.mark.parametrize("persistence", [0.0, 0.9])
def test_recovers_spread_and_persistence(persistence: float) -> None:
    # Tolerances from the estimators' sampling error, measured over 20 independent seeds of
    # this design (1,000 practices × 6 years, sd 0.1): the sd estimate's sd is 0.002-0.004
    # and the persistence's 0.01-0.035, so 0.015 and 0.15 are about 4 standard errors.
    # Over those seeds the means were sd 0.0997 (persistence 0) and 0.1007 (0.9), persistence
    # 0.008 and 0.898. This seed (7) sees sd 0.0934 and 0.0951, persistence 0.006 and 0.983.
    eff = PracticeEffects.from_history(*simulated(0.1, persistence)[:3])
    assert eff.sd == pytest.approx(0.1, abs=0.015)
    assert eff.persistence == pytest.approx(persistence, abs=0.15)


def test_two_years_are_enough_for_the_moments() -> None:
    # 2,000 practices × 2 years: sd's sampling sd 0.002-0.003, persistence's 0.015-0.02.
    low = PracticeEffects.from_history(*simulated(0.1, 0.0, 2000, 2)[:3])
    high = PracticeEffects.from_history(*simulated(0.1, 0.9, 2000, 2)[:3])
    assert low.sd == pytest.approx(0.1, abs=0.015) and high.sd == pytest.approx(0.1, abs=0.015)
    assert low.persistence < 0.15 and high.persistence > 0.75


def test_between_variance_alone_is_only_the_lasting_part() -> None:
    # Why the spread is not √log(1 + â/μ̂²): with persistence 0.9 over 6 years â is the mean
    # covariance of a practice's different years, about 0.79 of the effect variance
    # (Σ_h (6 − h)·0.9^h / 15), so it gives sd ≈ 0.089; with persistence 1 the two agree.
    for persistence, low, high in [(0.9, 0.08, 0.095), (1.0, 0.09, 0.11)]:
        actual, expected, size, _ = simulated(0.1, persistence)
        fit = credibility_ratios(actual, expected, size)
        lasting = math.sqrt(math.log1p(fit.between_variance / fit.collective_mean**2))
        assert low < lasting < high


def test_centres_follow_the_true_effect_and_big_practices_are_surer() -> None:
    actual, expected, size, u = simulated(0.1, 0.9)
    eff = PracticeEffects.from_history(actual, expected, size)
    assert eff.centre is not None and eff.uncertainty is not None
    assert np.corrcoef(eff.centre.to_numpy(), u[:, -1])[0, 1] > 0.8    # seen: 0.86
    # the variance before the change to the log scale, v = (exp(unc²) − 1)·m², falls with
    # the practice's total list size wherever the uncertainty is not capped at sd
    level = np.exp(eff.centre.to_numpy())
    var = np.expm1(eff.uncertainty.to_numpy() ** 2) * level**2
    weight = size.sum(axis=1).to_numpy()
    free = eff.uncertainty.to_numpy() < eff.sd
    order = np.argsort(weight[free])
    assert free.sum() > 900
    assert np.all(np.diff(var[free][order]) <= 1e-15)
    big, small = weight >= np.quantile(weight, 0.75), weight <= np.quantile(weight, 0.25)
    assert eff.uncertainty[big].mean() < eff.uncertainty[small].mean()


def test_no_persistent_effect_gives_no_centres() -> None:
    eff = PracticeEffects.from_history(*simulated(0.1, 0.0)[:3])
    assert eff.centre is not None and eff.uncertainty is not None
    # persistence 0: â is 0 or nearly, so the history says (almost) nothing of a practice
    assert eff.centre.abs().max() < 0.02
    assert eff.uncertainty.min() > 0.9 * eff.sd


def test_given_persistence_is_used() -> None:
    eff = PracticeEffects.from_history(*small_history(), persistence=0.5)
    assert eff.persistence == 0.5
    assert eff.sd == PracticeEffects.from_history(*small_history()).sd


@given(shocks=st.lists(st.floats(0.8, 1.25), min_size=4, max_size=4),
       scale=st.floats(1e-3, 1e3))
def test_common_shocks_and_currency_change_nothing(shocks: list[float], scale: float) -> None:
    # a commissioner-wide level in a year is a common shock, not a practice effect; pounds
    # or pence, the same effects
    actual, expected, size, _ = simulated(0.1, 0.8, 200, 4)
    base = PracticeEffects.from_history(actual, expected, size)
    shocked = PracticeEffects.from_history(actual * np.array(shocks), expected, size)
    assert shocked.sd == pytest.approx(base.sd, rel=1e-9)
    assert shocked.persistence == pytest.approx(base.persistence, rel=1e-9, abs=1e-12)
    scaled = PracticeEffects.from_history(actual * scale, expected * scale, size)
    assert scaled.sd == pytest.approx(base.sd, rel=1e-9)
    assert scaled.centre is not None and base.centre is not None
    np.testing.assert_allclose(scaled.centre, base.centre, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ bad input

def _bad(**changes: object) -> dict[str, object]:
    actual, expected, size = small_history()
    args: dict[str, object] = {"actual": actual, "expected": expected, "list_size": size}
    args.update(changes)
    return args


def test_one_year_is_too_short() -> None:
    actual, expected, size = small_history()
    with pytest.raises(ValidationError, match=r"^actual: no practice has spend in two or more "
                       r"years; .*at least two practices with history"):
        PracticeEffects.from_history(actual[["2023"]], expected[["2023"]], size[["2023"]])


def test_one_practice_is_too_few() -> None:
    actual, expected, size = small_history()
    actual.loc[["B", "C", "D"]] = np.nan
    with pytest.raises(ValidationError, match=r"^actual: 1 practice\(s\) with a spend history"):
        PracticeEffects.from_history(actual, expected, size)


def test_mismatched_practices_and_years_are_named() -> None:
    actual, expected, size = small_history()
    with pytest.raises(ValidationError, match=r"^expected: no unit\(s\) 'D' that actual has"):
        PracticeEffects.from_history(actual, expected.drop(index="D"), size)
    with pytest.raises(ValidationError, match=r"^list_size: no period\(s\) '2024'"):
        PracticeEffects.from_history(actual, expected, size[["2023"]])


def test_years_out_of_order_are_refused() -> None:
    actual, expected, size = small_history()
    flip = ["2024", "2023"]
    with pytest.raises(ValidationError, match=r"^actual: the years must be consecutive "
                       r"columns in time order \(earliest first\), got '2024', '2023'"):
        PracticeEffects.from_history(actual[flip], expected[flip], size[flip])


def test_equal_list_sizes_cannot_tell_chance_from_effects() -> None:
    actual, expected, size = small_history()
    with pytest.raises(ValidationError, match=r"^list_size: the list sizes hardly differ "
                       r"\(coefficient of variation of 1/list size 0, need at least 0.05\)"):
        PracticeEffects.from_history(actual / size * 1e3, expected / size * 1e3,
                                     size * 0 + 1e3)


def test_no_consecutive_years_needs_a_given_persistence() -> None:
    years = ["2021", "2022", "2023"]
    size = pd.DataFrame([[1e3, np.nan, 1e3], [np.nan, 4e3, np.nan], [2e3, np.nan, 2e3]],
                        index=list("ABC"), columns=years)
    ratio = pd.DataFrame([[1.1, np.nan, 1.2], [np.nan, 0.9, np.nan], [1.0, np.nan, 0.95]],
                         index=size.index, columns=years)
    actual, expected = ratio * size * 100, size * 100
    with pytest.raises(ValidationError, match=r"^actual: no practice has spend in two "
                       r"consecutive years, so the persistence cannot be estimated; give "
                       r"persistence="):
        PracticeEffects.from_history(actual, expected, size)
    assert PracticeEffects.from_history(actual, expected, size, persistence=0.7).persistence \
        == 0.7


def test_effects_beyond_the_largest_spread_are_refused() -> None:
    rng = np.random.default_rng(3)
    size = pd.DataFrame(rng.integers(2_000, 20_000, (40, 1)).repeat(3, axis=1).astype(float),
                        index=[f"P{i}" for i in range(40)], columns=["2021", "2022", "2023"])
    wild = np.exp(rng.normal(0, 1.5, (40, 1)) + rng.normal(0, 0.01, (40, 3)))
    with pytest.raises(ValidationError, match=r"^sd: the history's practice effects have a "
                       rf"spread .* outside the allowed 0 to {MAX_EFFECT_SD:g}"):
        PracticeEffects.from_history(size * wild, size, size)


def test_bad_persistence_is_refused_before_any_work() -> None:
    with pytest.raises(ValidationError, match=r"^persistence: .* between 0 and 1, got 1.5"):
        PracticeEffects.from_history("not a frame", None, None, persistence=1.5)  # type: ignore[arg-type]


def test_a_year_without_spend_is_refused() -> None:
    actual, expected, size = small_history()
    actual["2024"] = 0.0
    with pytest.raises(ValidationError, match=r"^actual: no spend at all in year\(s\) '2024'"):
        PracticeEffects.from_history(actual, expected, size)


def test_not_a_frame_is_named() -> None:
    with pytest.raises(ValidationError, match=r"^actual: expected a pandas DataFrame"):
        PracticeEffects.from_history([1.0], *small_history()[1:])  # type: ignore[arg-type]
