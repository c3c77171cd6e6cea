"""Practice effects in the risk engine's simulated spend (risk.draws with risk.effects).

Each practice's retained spend in simulation s, year y is its chance draw times the year's
common shock times its effect ``F[y][s, p]`` (:meth:`PracticeEffects.factors`); the
high-cost pool's excess is not multiplied by the effect. These tests check, for every
method: effects that are off change nothing (bit for bit); the simulated moments match the
closed form; the effects' year-to-year correlation is the persistence; draws do not depend
on the split into chunks; the excess is untouched; draw, draw_years and pence_years agree.
"""

from __future__ import annotations

import functools
import itertools

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.errors import ValidationError
from pbcmodel.risk import patients
from pbcmodel.risk.draws import SpendSampler, simulate_spend, spend_sampler
from pbcmodel.risk.effects import PracticeEffects

METHODS = ["fft", "normal", "mc"]
THRESHOLD = 20_000.0
GROWTH = [1.0, 1.02, 1.05]


@functools.cache
def small() -> pbc.Population:
    """70 practices (more than one group of 64 units) of about 130 patients (one empty),
    with a cost index (one commissioner: the same for all, so the pool can be drawn by
    commissioner)."""
    big = pbc.datasets.synthetic_commissioner(70, seed=3)
    index = pd.Series(1.1, index=big.codes)
    return pbc.Population(counts=big.counts // 50, hierarchy=big.hierarchy, cost_index=index)


@functools.cache
def population(method: str) -> pbc.Population:
    """Patient by patient (mc) is slow: four practices; otherwise :func:`small`."""
    pop = small()
    return pop.subset(pop.codes[1:5]) if method == "mc" else pop


@functools.cache
def typical() -> pbc.Population:
    """Four practices of typical size (chance is near normal: sample moments settle)."""
    return pbc.datasets.synthetic_commissioner(4, seed=5)


@functools.cache
def model() -> pbc.risk.CostModel:
    return pbc.datasets.example_cost_model()


ON = PracticeEffects(sd=0.2, persistence=0.7)


@functools.cache
def sampler(method: str, threshold: float | None = None, shock: float = 0.0,
            effects: bool = False, excess_by: str = "practice") -> SpendSampler:
    """The sampler of :func:`population` (``effects``: with :data:`ON`)."""
    return spend_sampler(population(method), model(), method=method,
                         high_cost_threshold=threshold, common_shock_cv=shock,
                         practice_effects=ON if effects else None,
                         excess_by=excess_by)  # type: ignore[arg-type]


def assert_same_pence(a: list[tuple[np.ndarray, np.ndarray]],
                      b: list[tuple[np.ndarray, np.ndarray]]) -> None:
    assert len(a) == len(b)
    for (kept_a, pool_a), (kept_b, pool_b) in zip(a, b, strict=True):
        assert kept_a.dtype == kept_b.dtype == np.int64
        assert np.array_equal(kept_a, kept_b)
        assert np.array_equal(pool_a, pool_b)


# ---------------------------------------------------------------------------- effects off


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=6)
@given(persistence=st.floats(0.0, 1.0), threshold=st.sampled_from([None, THRESHOLD]),
       shock=st.sampled_from([0.0, 0.05]), seed=st.integers(0, 2**32))
def test_effects_off_are_bit_identical_to_none(method, persistence, threshold, shock, seed):
    base = sampler(method, threshold, shock)
    # (spend_sampler passing effects through: test_simulate_spend_with_effects_off...)
    off = attrs.evolve(base, effects=PracticeEffects(sd=0.0, persistence=persistence))
    root = np.random.SeedSequence(seed)
    years = [0, 2]
    assert_same_pence(base.pence_years(root, years, 0, 30, GROWTH[:2]),
                      off.pence_years(root, years, 0, 30, GROWTH[:2]))
    for a, b in zip(base.draw_years(root, years, 3, 20), off.draw_years(root, years, 3, 20),
                    strict=True):
        assert np.array_equal(a.retained, b.retained)
        assert np.array_equal(a.excess, b.excess)


@pytest.mark.parametrize("method", METHODS)
def test_simulate_spend_with_effects_off_or_none_is_unchanged(method):
    pop = population(method)
    kwargs = {"high_cost_threshold": THRESHOLD, "common_shock_cv": 0.03, "method": method}
    before = simulate_spend(pop, model(), 12, seed=5, **kwargs)
    off = PracticeEffects(sd=0.0, persistence=0.3)
    after = simulate_spend(pop, model(), 12, seed=5, practice_effects=off, **kwargs)
    assert np.array_equal(before.retained, after.retained)
    assert np.array_equal(before.excess, after.excess)
    varied = simulate_spend(pop, model(), 12, seed=5, practice_effects=ON, **kwargs)
    assert not np.array_equal(before.retained, varied.retained)


# ------------------------------------------------------------------ moments: closed form


def moment_bounds(x: np.ndarray, mean: np.ndarray, var: np.ndarray) -> None:
    """Sample mean and variance of the columns of ``x`` against ``mean`` and ``var``.

    Tolerance: 5 standard errors, each estimated from the sample itself (of the mean:
    ``sd/√n``; of the variance: the sd of ``(x − x̄)²`` over ``√n``), so a correct sampler
    fails with probability below 1e-6 per comparison (the seeds are fixed anyway), while
    a factor wrongly applied (e.g. effects missing, a wrong year's variance or the effect
    squared) moves the variance by many standard errors at these sizes.
    """
    n = len(x)
    centred = x - x.mean(axis=0)
    se_mean = x.std(axis=0) / np.sqrt(n)
    se_var = (centred**2).std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(x.mean(axis=0) - mean) <= 5 * se_mean + 1e-9), (x.mean(axis=0), mean)
    assert np.all(np.abs(x.var(axis=0) - var) <= 5 * se_var + 1e-9), (x.var(axis=0), var)


@pytest.mark.parametrize(("method", "shock"), [("fft", 0.0), ("fft", 0.1), ("normal", 0.05),
                                               ("mc", 0.1)])
def test_moments_match_the_closed_form(method, shock):
    pop = typical() if method != "mc" else typical().subset(typical().codes[:2])
    codes = pop.codes
    # one practice's first-year effect known (centre 0.2, uncertainty 0.05): its mean is
    # exp(ρᵗ·0.2) times the chance mean, and its V_t grows from 0.05² towards sd²
    effects = PracticeEffects(sd=0.25, persistence=0.6, centre={codes[0]: 0.2},
                              uncertainty={codes[0]: 0.05})
    s = spend_sampler(pop, model(), method=method, common_shock_cv=shock,
                      practice_effects=effects)
    n = 2000 if method == "mc" else 20_000
    years = [0, 1, 3]
    draws = s.draw_years(np.random.SeedSequence(11), years, 0, n)
    m, v = s.moments()                       # chance alone: X, mean m and variance v
    centre, uncertainty = effects.first_year(pop.codes)
    for year, drawn in zip(years, draws, strict=True):
        # spend = X·F·S, independent; E[F] = exp(ρᵗc), E[F²] = exp(2ρᵗc + V_t), E[S] = 1,
        # E[S²] = 1 + cv²
        shift = effects.persistence**year * centre
        mean_f = np.exp(shift)
        square_f = np.exp(2 * shift + effects.log_variance(year, uncertainty))
        mean = m * mean_f
        var = square_f * (v + m**2) * (1 + shock**2) - mean**2
        moment_bounds(drawn.retained, mean, var)


# --------------------------------------------------------- persistence: lag correlation


@functools.cache
def stationary_effects(persistence: float, n: int = 20_000) -> dict[int, np.ndarray]:
    """log F[y] per year y of 0..3, recovered from the draws: spend with effects over spend
    without (same streams, same chance draws), asked for in a scrambled order of years."""
    pop = typical()
    plain = spend_sampler(pop, model(), common_shock_cv=0.05)
    varied = spend_sampler(pop, model(), common_shock_cv=0.05,
                           practice_effects=PracticeEffects(sd=0.15, persistence=persistence))
    root = np.random.SeedSequence(21)
    years = [2, 0, 3, 1]
    with_ = varied.draw_years(root, years, 0, n)
    without = plain.draw_years(root, years, 0, n)
    assert all((w.retained > 0).all() for w in without)
    return {y: np.log(a.retained / b.retained) for y, a, b in zip(years, with_, without,
                                                                  strict=True)}


@pytest.mark.parametrize("persistence", [0.0, 0.5, 0.8])
def test_lag_correlation_of_log_effects_is_persistence_to_the_lag(persistence):
    logs = stationary_effects(persistence)
    n = len(logs[0])
    for lag in (1, 2, 3):
        for year in range(4 - lag):
            for p in range(logs[0].shape[1]):
                r = np.corrcoef(logs[year][:, p], logs[year + lag][:, p])[0, 1]
                # sd of a sample correlation ≈ (1 − ρ²)/√n (≤ 0.007 here): 5 of them
                assert abs(r - persistence**lag) <= 5 * (1 - persistence**(2 * lag)) / np.sqrt(n)
    # stationary (nothing known of any practice): the spread is sd in every year
    for year in range(4):
        assert np.allclose(logs[year].std(axis=0), 0.15, atol=5 * 0.15 / np.sqrt(2 * n))


def test_persistence_one_is_the_same_effect_every_year():
    logs = stationary_effects(1.0, n=500)
    for year in (1, 2, 3):
        assert np.allclose(logs[year], logs[0], rtol=0, atol=1e-12)


# ------------------------------------------------------------------------ chunks, split


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=4)
@given(cuts=st.lists(st.integers(1, 1099), max_size=3, unique=True),
       streams=st.booleans())
def test_pence_years_do_not_depend_on_the_split(method, cuts, streams):
    n = 1100 if method != "mc" else 40              # fft/normal: across a block of 1024
    edges = [0, *sorted(c for c in cuts if c < n), n]
    s = sampler(method, THRESHOLD, 0.05, True)
    root = np.random.SeedSequence(8)
    whole = s.pence_years(root, [0, 1, 2], 0, n, GROWTH)
    # the scenario's loop draws consecutive chunks from one Streams (open block streams)
    source = patients.Streams(root) if streams else root
    pieces = [s.pence_years(source, [0, 1, 2], lo, hi, GROWTH)
              for lo, hi in itertools.pairwise(edges)]
    joined = [(np.vstack([p[y][0] for p in pieces]), np.vstack([p[y][1] for p in pieces]))
              for y in range(3)]
    assert_same_pence(whole, joined)


# ------------------------------------------------------------------------------- excess


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("excess_by", ["practice", "commissioner"])
def test_excess_is_not_multiplied_by_the_effects(method, excess_by):
    plain = sampler(method, THRESHOLD, 0.05, False, excess_by)
    varied = sampler(method, THRESHOLD, 0.05, True, excess_by)
    root = np.random.SeedSequence(2)
    a = plain.pence_years(root, [0, 1], 0, 50, GROWTH[:2])
    b = varied.pence_years(root, [0, 1], 0, 50, GROWTH[:2])
    for (kept_a, pool_a), (kept_b, pool_b) in zip(a, b, strict=True):
        assert pool_a.any()
        assert np.array_equal(pool_a, pool_b)
        assert not np.array_equal(kept_a, kept_b)
    for x, y in zip(plain.draw_years(root, [1], 0, 50), varied.draw_years(root, [1], 0, 50),
                    strict=True):
        assert np.array_equal(x.excess, y.excess)


# ------------------------------------------------------ draw, draw_years and pence_years


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("threshold", [None, THRESHOLD])
def test_draw_draw_years_and_pence_years_agree(method, threshold):
    s = sampler(method, threshold, 0.05, True)
    root = np.random.SeedSequence(6)
    years = [0, 1, 2]
    lo, hi = 3, 203 if method != "mc" else 33
    together = s.draw_years(root, years, lo, hi)
    pence = s.pence_years(root, years, lo, hi, GROWTH)
    for year, drawn, (kept, pooled), growth in zip(years, together, pence, GROWTH,
                                                   strict=True):
        alone = s.draw(root, year, lo, hi)
        assert np.array_equal(alone.retained, drawn.retained)
        assert np.array_equal(alone.excess, drawn.excess)
        assert np.array_equal(s.draw_years(root, [year], lo, hi)[0].retained, drawn.retained)
        # with the effects on, fft's draws settled by binary search (LatticeInverse.search)
        # take their factor per (simulation, practice) too
        assert np.array_equal(kept, np.rint(drawn.retained * growth * 100))
        assert np.array_equal(pooled, np.rint(drawn.excess * growth * 100))


def test_every_practice_of_a_second_group_of_units_gets_its_own_effect():
    # 70 practices: units 64-69 are inverted in a second group; each practice's ratio to
    # the plain draw is its own effect (rows of F), not another practice's
    s = sampler("normal", None, 0.0, True)
    plain = sampler("normal", None, 0.0, False)
    root = np.random.SeedSequence(4)
    (kept, _), = s.pence_years(root, [1], 0, 40, [1.0])
    (base, _), = plain.pence_years(root, [1], 0, 40, [1.0])
    factor = ON.factors(root, 2, 0, 40, s.codes)[1]
    expected = np.rint(plain.draw(root, 1, 0, 40).retained * factor * 100)
    assert np.array_equal(kept, expected)
    assert not np.array_equal(kept[:, 64:], base[:, 64:])


# ---------------------------------------------------------------------------- arguments


def test_practice_effects_are_checked():
    pop = population("fft")
    with pytest.raises(ValidationError, match="practice_effects: expected a PracticeEffects"):
        spend_sampler(pop, model(), practice_effects=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not in the population"):
        spend_sampler(pop, model(), practice_effects=PracticeEffects(0.1, 0.5,
                                                                     centre={"NOPE": 0.1}))
