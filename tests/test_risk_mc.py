"""Monte Carlo: agreement with the FFT, and results that do not depend on chunking."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.datasets import example_cost_model, example_population
from pbcmodel.risk import simulate_spend, spend_distribution
from pbcmodel.risk.costmodel import CostModel

POP = example_population()
MODEL = example_cost_model()
SIZES = POP.list_size
SMALL = SIZES.idxmin()    # 1,500 patients
LARGE = SIZES.idxmax()    # 25,000 patients

# Quantiles must agree within 0.5%. The Monte Carlo standard error of a quantile is about
# sqrt(q(1 − q)/n)/f(x_q): for the small practice (cv 8%) 20,000 simulated years keep the 99%
# quantile's error near 0.2% of spend; the large one (cv 2%) needs only 1,000 (~0.25%).
CASES = [
    (SMALL, None, 20_000),
    (SMALL, 50_000.0, 20_000),
    (LARGE, None, 1_000),
    (LARGE, 50_000.0, 1_000),
]


@pytest.mark.parametrize(("practice", "threshold", "n_sims"), CASES)
def test_fft_quantiles_agree_with_patient_level_monte_carlo(practice, threshold, n_sims):
    pop = POP.subset([practice])
    fft = spend_distribution(pop, MODEL, high_cost_threshold=threshold)
    mc = spend_distribution(pop, MODEL, method="mc", high_cost_threshold=threshold,
                            n_sims=n_sims, seed=2024)
    for q in (0.05, 0.5, 0.95, 0.99):
        assert fft.quantile(q).iloc[0] == pytest.approx(mc.quantile(q).iloc[0], rel=5e-3)
    assert fft.mean.iloc[0] == pytest.approx(mc.mean.iloc[0], rel=5e-3)


def test_gamma_compound_draws_agree_with_fft():
    # gamma severities use the exact compound draw Gamma(Kα, θ) for K users
    model = CostModel.from_frame(MODEL.to_frame(), family="gamma")
    pop = POP.subset([SMALL])
    fft = spend_distribution(pop, model)
    mc = spend_distribution(pop, model, method="mc", n_sims=20_000, seed=3)
    for q in (0.05, 0.5, 0.95, 0.99):
        assert fft.quantile(q).iloc[0] == pytest.approx(mc.quantile(q).iloc[0], rel=5e-3)


def test_excess_part_by_monte_carlo():
    pop = POP.subset([LARGE])
    fft = spend_distribution(pop, MODEL, high_cost_threshold=20_000, part="excess")
    mc = spend_distribution(pop, MODEL, method="mc", high_cost_threshold=20_000,
                            part="excess", n_sims=300, seed=4)
    assert fft.mean.iloc[0] == pytest.approx(mc.mean.iloc[0], rel=0.1)
    assert fft.quantile(0.5).iloc[0] == pytest.approx(mc.quantile(0.5).iloc[0], rel=0.1)


TWO = POP.subset(["P001", "P002"])


@settings(max_examples=10, deadline=None)
@given(chunk=st.integers(1, 60), threshold=st.sampled_from([None, 30_000.0]))
def test_monte_carlo_does_not_depend_on_chunk_size(chunk, threshold):
    kwargs = {"method": "mc", "n_sims": 60, "seed": 11, "high_cost_threshold": threshold}
    whole = spend_distribution(TWO, MODEL, **kwargs)
    chunked = spend_distribution(TWO, MODEL, chunk_size=chunk, **kwargs)
    assert np.array_equal(whole.law.draws, chunked.law.draws)


@pytest.fixture(scope="module")
def capped():
    return spend_distribution(POP, MODEL, high_cost_threshold=50_000)


@settings(max_examples=10, deadline=None)
@given(chunk=st.integers(1, 50))
def test_sampling_does_not_depend_on_chunk_size(capped, chunk):
    assert capped.sample(50, seed=9).equals(capped.sample(50, seed=9, chunk_size=chunk))


def test_simulate_spend_does_not_depend_on_chunk_size():
    kwargs = {"high_cost_threshold": 50_000, "common_shock_cv": 0.02}
    sim = simulate_spend(TWO, MODEL, 20, seed=9, chunk_size=3, **kwargs)
    again = simulate_spend(TWO, MODEL, 20, seed=9, **kwargs)
    assert np.array_equal(sim.retained, again.retained)
    assert np.array_equal(sim.excess, again.excess)


def test_streams_are_per_unit():
    # a practice's draws do not change when another practice joins the population
    one = spend_distribution(POP.subset(["P001"]), MODEL, method="mc", n_sims=30, seed=5)
    both = spend_distribution(TWO, MODEL, method="mc", n_sims=30, seed=5)
    assert np.array_equal(one.law.draws[0], both.law.draws[0])
    assert not np.array_equal(both.law.draws[0], both.law.draws[1])


def test_sample_follows_the_distribution():
    dist = spend_distribution(POP.subset([SMALL]), MODEL)
    draws = dist.sample(20_000, seed=1)[SMALL]
    assert draws.quantile(0.9) == pytest.approx(dist.quantile(0.9).iloc[0], rel=5e-3)
