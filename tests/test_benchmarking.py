"""Tests for pbcmodel.benchmarking: Garwood limits, indirect standardisation, funnels, peers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pbcmodel import benchmarking as bm
from pbcmodel.datasets import example_events, example_population, example_reference_rates
from pbcmodel.errors import ValidationError

# --- exact Poisson limits -----------------------------------------------------------------


@pytest.mark.parametrize(("k", "low", "high"), [
    # Published 95% exact limits for a Poisson count (e.g. Garwood 1936; Ulm 1990 tables).
    (0, 0.0, 3.689), (1, 0.0253, 5.572), (5, 1.624, 11.668), (10, 4.795, 18.390),
    (20, 12.217, 30.888), (100, 81.364, 121.627),
])
def test_poisson_ci_matches_published_tables(k, low, high):
    lower, upper = bm.poisson_ci(k)
    assert lower == pytest.approx(low, abs=6e-4)
    assert upper == pytest.approx(high, abs=6e-4)


def test_poisson_ci_matches_chi_square_form_and_keeps_series_index():
    obs = pd.Series([0, 3, 17], index=["A", "B", "C"])
    out = bm.poisson_ci(obs, level=0.9)
    k = obs.to_numpy()
    assert list(out.index) == ["A", "B", "C"]
    np.testing.assert_allclose(out["upper"], stats.chi2.ppf(0.95, 2 * k + 2) / 2)
    np.testing.assert_allclose(out["lower"].iloc[1:], stats.chi2.ppf(0.05, 2 * k[1:]) / 2)
    assert out["lower"].iloc[0] == 0.0


@settings(max_examples=40, deadline=None)
@given(k=st.integers(0, 5000), level=st.floats(0.5, 0.999))
def test_poisson_ci_tail_probabilities_equal_alpha_over_two(k, level):
    lower, upper = bm.poisson_ci(k, level)
    alpha = 1 - level
    assert stats.poisson.cdf(k, upper) == pytest.approx(alpha / 2, rel=1e-6)
    if k > 0:
        assert stats.poisson.sf(k - 1, lower) == pytest.approx(alpha / 2, rel=1e-6)
    assert lower <= k <= upper


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, float("nan")])
def test_poisson_ci_rejects_level_outside_unit_interval(level):
    with pytest.raises(ValidationError, match="level"):
        bm.poisson_ci(3, level)


@pytest.mark.parametrize(("obs", "why"), [(-1, "negative"), (2.5, "whole"), (float("nan"), "NaN")])
def test_poisson_ci_rejects_bad_counts(obs, why):
    with pytest.raises(ValidationError, match=f"observed.*{why}"):
        bm.poisson_ci([1, obs])


# --- indirect standardisation -----------------------------------------------------------

def _two_practices():
    pop = example_population().subset(practices=["P001", "P002"])
    counts = pop.counts
    rates = pd.Series(0.0, index=counts.columns)
    rates[("70_74", "F")] = 0.5
    rates[("70_74", "M")] = 0.25
    return pop, rates


def test_indirect_standardise_hand_computed():
    pop, rates = _two_practices()
    c = pop.counts
    f, m = c[("70_74", "F")], c[("70_74", "M")]
    # expected = 0.5 × women aged 70–74 + 0.25 × men aged 70–74
    expected = 0.5 * f + 0.25 * m
    events = pd.Series({"P001": 30, "P002": 0})
    out = bm.indirect_standardise(events, pop, rates)
    np.testing.assert_allclose(out["expected"], expected.to_numpy())
    np.testing.assert_allclose(out["ratio"], [30 / expected["P001"], 0.0])
    # Limits are the Garwood limits of the count over the expected count: 0 → (0, 3.689/E).
    assert out.loc["P002", "lower"] == 0.0
    assert out.loc["P002", "upper"] == pytest.approx(3.6889 / expected["P002"], rel=1e-4)
    assert out.loc["P002", "flag"] == "below"
    assert out.loc["P001", "excess"] == pytest.approx(30 - expected["P001"])


def test_indirect_standardise_accepts_counts_frame_and_several_measures():
    pop = example_population()
    rates = example_reference_rates()
    events = pd.DataFrame({m: example_events(m).sum(axis=1) for m in ("referrals", "admissions")})
    out = bm.indirect_standardise(events, pop.counts, rates)
    assert list(out.index.names) == ["measure", "practice"]
    # P007 was built as a high referrer (×1.4), P023 as a low one (×0.7).
    assert out.loc[("referrals", "P007"), "flag"] == "above"
    assert out.loc[("referrals", "P023"), "flag"] == "below"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=40, max_size=40))
def test_local_rates_make_the_pooled_ratio_one(cells):
    pop = example_population().subset(consortium="C1")
    events = pd.DataFrame(np.tile(cells, (pop.n_practices, 1)), index=pop.codes,
                          columns=pop.counts.columns)
    events = events.clip(upper=pop.counts)  # at most one event per patient per cell
    if events.to_numpy().sum() == 0:
        return
    rates = bm.local_reference_rates(events, pop)
    out = bm.indirect_standardise(events.sum(axis=1), pop, rates)
    assert out["observed"].sum() == pytest.approx(out["expected"].sum())


def test_indirect_standardise_bad_inputs_name_the_culprit():
    pop, rates = _two_practices()
    with pytest.raises(ValidationError, match="expected: must be > 0.*P00"):
        bm.indirect_standardise(pd.Series({"P001": 3}), pop, rates * 0)
    with pytest.raises(ValidationError, match="not in the population.*'P999'"):
        bm.indirect_standardise(pd.Series({"P999": 3}), pop, rates)
    with pytest.raises(ValidationError, match="reference_rates: no rate for cell"):
        bm.indirect_standardise(pd.Series({"P001": 3}), pop, rates.iloc[:-1])
    with pytest.raises(ValidationError, match="reference_rates: rates must be finite"):
        bm.indirect_standardise(pd.Series({"P001": 3}), pop, rates - 1)
    with pytest.raises(ValidationError, match="events: counts must be >= 0"):
        bm.indirect_standardise(pd.Series({"P001": -3}), pop, rates)
    with pytest.raises(ValidationError, match="events.*NaN"):
        bm.indirect_standardise(pd.Series({"P001": np.nan}), pop, rates)
    with pytest.raises(ValidationError, match="level"):
        bm.indirect_standardise(pd.Series({"P001": 3}), pop, rates + 1, level=95)
    with pytest.raises(ValidationError, match="population"):
        bm.indirect_standardise(pd.Series({"P001": 3}), [1, 2], rates)


def test_example_events_rejects_unknown_measure():
    with pytest.raises(ValidationError, match="measure: expected one of.*'dentistry'"):
        example_events("dentistry")


def test_local_reference_rates_rejects_empty_cells_and_wrong_shape():
    pop = example_population().subset(practices=["P001"])
    counts = pop.counts.copy()
    counts[("95+", "M")] = 0
    with pytest.raises(ValidationError, match=r"population: no patients in cell.*95\+"):
        bm.local_reference_rates(counts, counts)
    with pytest.raises(ValidationError, match="events: expected a DataFrame"):
        bm.local_reference_rates(counts.iloc[:, :5], pop)


# --- funnel limits ----------------------------------------------------------------------

def _spiegelhalter_exact(p, e, target=1.0):
    # Spiegelhalter (2005) appendix: y_p the Poisson p-quantile of target·E, interpolated.
    y = stats.poisson.ppf(p, target * e)
    a = (stats.poisson.cdf(y, target * e) - p) / (
        stats.poisson.cdf(y, target * e) - stats.poisson.cdf(y - 1, target * e))
    return np.clip((y - a) / e, 0.0, None)  # a ratio cannot go below 0


def test_funnel_limits_exact_match_spiegelhalter_formula():
    e = np.array([2.0, 10.0, 55.5, 400.0])
    out = bm.funnel_limits(e)
    for level, pct in [(0.95, "95"), (0.998, "99.8")]:
        a = 1 - level
        np.testing.assert_allclose(out[f"lower_{pct}"], _spiegelhalter_exact(a / 2, e))
        np.testing.assert_allclose(out[f"upper_{pct}"], _spiegelhalter_exact(1 - a / 2, e))
    # E = 10: Poisson(10) 97.5% quantile is 17; F(17) = 0.98572, F(16) = 0.97296,
    # a = (0.98572 − 0.975) / (0.98572 − 0.97296) = 0.8401 → upper = (17 − 0.8401)/10.
    assert out["upper_95"].iloc[1] == pytest.approx(1.61599, abs=1e-4)


def test_funnel_limits_overdispersed_forms_hand_computed():
    z = stats.norm.ppf(0.975)  # 1.959964
    mult = bm.funnel_limits(pd.Series([100.0], index=["A"]), (0.95,), phi=2.0)
    # 1 ± 1.96·√(2 × 1/100) = 1 ± 0.27718
    assert mult.loc["A", "upper_95"] == pytest.approx(1 + z * np.sqrt(0.02))
    add = bm.funnel_limits([100.0], (0.95,), tau2=0.03)
    # 1 ± 1.96·√(1/100 + 0.03) = 1 ± 0.39199
    assert add["lower_95"].iloc[0] == pytest.approx(1 - z * np.sqrt(0.04))
    prop = bm.funnel_limits([50.0], (0.95,), kind="proportion", target=0.2, phi=1.5)
    # 0.2 ± 1.96·√(1.5 × 0.2 × 0.8 / 50)
    assert prop["upper_95"].iloc[0] == pytest.approx(0.2 + z * np.sqrt(1.5 * 0.16 / 50))


def test_funnel_limits_exact_proportion_and_clipping():
    out = bm.funnel_limits([1.0, 10_000.0], (0.95,), kind="proportion", target=0.5, tau2=1.0)
    assert out["lower_95"].iloc[0] == 0.0 and out["upper_95"].iloc[0] == 1.0
    exact = bm.funnel_limits([10_000.0], (0.95,), kind="proportion", target=0.5)
    normal = 0.5 + 1.96 * np.sqrt(0.25 / 10_000)
    assert exact["upper_95"].iloc[0] == pytest.approx(normal, abs=2e-4)


@settings(max_examples=30, deadline=None)
@given(e=st.floats(0.5, 1e5), phi=st.floats(1.0, 5.0))
def test_funnel_limits_bracket_the_target_and_widen_with_phi(e, phi):
    plain = bm.funnel_limits([e], phi=1.0)
    wide = bm.funnel_limits([e], phi=phi)
    exact = bm.funnel_limits([e])
    for lim in (plain, wide, exact):
        assert lim["lower_99.8"].iloc[0] <= lim["lower_95"].iloc[0] <= 1.0
        assert 1.0 <= lim["upper_95"].iloc[0] <= lim["upper_99.8"].iloc[0]
    assert wide["upper_95"].iloc[0] >= plain["upper_95"].iloc[0]


def test_funnel_limits_bad_inputs():
    with pytest.raises(ValidationError, match="expected: must be > 0"):
        bm.funnel_limits([10.0, 0.0])
    with pytest.raises(ValidationError, match="denominator: must be > 0"):
        bm.funnel_limits([-1.0], kind="proportion", target=0.3)
    with pytest.raises(ValidationError, match="levels"):
        bm.funnel_limits([10.0], levels=(0.95, 99.8))
    with pytest.raises(ValidationError, match="phi, tau2"):
        bm.funnel_limits([10.0], phi=2.0, tau2=0.1)
    with pytest.raises(ValidationError, match="target"):
        bm.funnel_limits([10.0], kind="proportion", target=1.2)
    with pytest.raises(ValidationError, match="kind"):
        bm.funnel_limits([10.0], kind="rate")
    with pytest.raises(ValidationError, match="tau2"):
        bm.funnel_limits([10.0], tau2=-0.1)


def test_overdispersion_hand_computed_and_winsorised():
    # z = (O/E − 1)/√(1/100) = −2, 2, 0, 4, −4. Winsorised at 10%: quantiles ∓3.2
    # (linear interpolation between −4 and −2), so Σz² = 4 + 4 + 0 + 10.24 + 10.24 = 28.48,
    # φ = 5.696 and τ² = (28.48 − 4) / (500 − 50000/500) = 0.0612.
    od = bm.overdispersion([80, 120, 100, 140, 60], [100] * 5)
    assert od.phi == pytest.approx(5.696)
    assert od.tau2 == pytest.approx(0.0612)
    assert od.n == 5 and od.p_value < 0.001
    calm = bm.overdispersion([100, 101, 99, 100], [100] * 4, winsor=0.0)
    assert calm.tau2 == 0.0  # n·φ = 0.02 ≤ n − 1


def test_overdispersion_bad_inputs():
    with pytest.raises(ValidationError, match="observed: 2 values for 3"):
        bm.overdispersion([1, 2], [1.0, 2.0, 3.0])
    with pytest.raises(ValidationError, match="at least 2"):
        bm.overdispersion([1], [1.0])
    with pytest.raises(ValidationError, match="winsor"):
        bm.overdispersion([1, 2], [1.0, 2.0], winsor=0.5)


def test_funnel_flags_uses_the_chosen_limits():
    ratio = pd.Series([1.25, 1.25], index=["A", "B"])
    expected = pd.Series([100.0, 100.0], index=["A", "B"])
    # Exact 95% upper at E = 100 is 1.196 and 99.8% is 1.32: 1.25 sits between them.
    assert bm.funnel_flags(ratio, expected).tolist() == ["above 95%", "above 95%"]
    assert bm.funnel_flags(ratio, expected, phi=3.0).tolist() == ["within", "within"]


# --- peer groups --------------------------------------------------------------------------

def test_peer_groups_and_comparison():
    pop = example_population()
    groups = bm.peer_groups(pop, "share_65_plus", n_groups=4)
    assert groups.value_counts().tolist() == [15, 15, 15, 15]
    oldest = pop.practices["share_65_plus"].idxmax()
    assert groups[oldest] == 4
    ratios = pd.Series(np.linspace(0.5, 1.5, 60), index=pop.codes)
    comp = bm.peer_comparison(ratios, groups)
    assert (comp.groupby("peer_group")["rank"].max() == 15).all()
    by_series = bm.peer_groups(pop, pop.list_size * -1.0, n_groups=2)
    assert by_series[pop.list_size.idxmax()] == 1


def test_peer_groups_bad_inputs():
    pop = example_population()
    with pytest.raises(ValidationError, match="by: not a practice characteristic 'deprivation'"):
        bm.peer_groups(pop, "deprivation")
    with pytest.raises(ValidationError, match="n_groups"):
        bm.peer_groups(pop, n_groups=61)
    with pytest.raises(ValidationError, match="by: no value for practice"):
        bm.peer_groups(pop, pop.list_size.iloc[:10])
    with pytest.raises(ValidationError, match="groups: no peer group for.*'Z'"):
        bm.peer_comparison(pd.Series({"Z": 1.0}), pd.Series({"A": 1}))
