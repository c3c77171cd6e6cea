import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from pbcmodel import ValidationError
from pbcmodel.datasets import example_cost_model, example_population
from pbcmodel.plot.risk import plot_risk_by_list_size
from pbcmodel.population import Population
from pbcmodel.risk import (
    SpendDistribution,
    pool,
    pooling_benefit,
    prob_overspend,
    reserve,
    risk_by_list_size,
    simulate_spend,
    size_high_cost_pool,
    spend_distribution,
)
from pbcmodel.risk.costmodel import CostModel

POP = example_population()
MODEL = example_cost_model()


def one_cell_pop(n, band="70_74", sex="F", code="A"):
    return Population.from_frame(pd.DataFrame({
        "practice": [code], "consortium": ["C"], "age_band": [band], "sex": [sex],
        "patients": [n]}))


def single_pod_model(p, mean, cv, family="lognormal", pod="elective"):
    row = {"age_band": "70_74", "sex": "F", "pod": pod, "p_use": p, "mean": mean, "cv": cv}
    return CostModel.from_frame(pd.DataFrame([row]), family=family, complete=False)


@pytest.fixture(scope="module")
def fft_dist():
    return spend_distribution(POP, MODEL)


@pytest.fixture(scope="module")
def capped():
    return spend_distribution(POP, MODEL, high_cost_threshold=50_000)


# exactness of the FFT -------------------------------------------------------------------

@pytest.mark.parametrize("family", ["lognormal", "gamma"])
def test_fft_mean_and_variance_match_closed_form(family):
    model = CostModel.from_frame(MODEL.to_frame(), family=family)
    dist = spend_distribution(POP, model)
    mean, var = model.patient_moments()          # per patient, per cell
    counts = POP.counts.to_numpy()
    np.testing.assert_allclose(dist.mean, counts @ mean, rtol=1e-6)
    np.testing.assert_allclose(dist.std**2, counts @ var, rtol=1e-6)


def test_capped_lattice_holds_its_own_moments(capped):
    # with a threshold the per-patient cost is bounded, so the window holds (almost) all mass:
    # moments of the pmf equal the exact moments of the discretised model
    law = capped.law
    pts = law.points()
    mean = (law.pmf * pts).sum(axis=1)
    var = (law.pmf * pts**2).sum(axis=1) - mean**2
    np.testing.assert_allclose(mean, capped.mean, rtol=1e-6)
    np.testing.assert_allclose(var, capped.std**2, rtol=1e-6)
    assert (capped.alias_bound < 1e-4).all()


def test_single_patient_gamma_is_the_gamma_law():
    # one patient, one POD used for sure: spend is gamma(mean 1,000, cv 0.5) = gamma(4, 250)
    dist = spend_distribution(one_cell_pop(1), single_pod_model(1.0, 1000.0, 0.5, "gamma"))
    for q in (0.05, 0.5, 0.95):
        exact = stats.gamma(4, scale=250).ppf(q)
        assert dist.quantile(q).iloc[0] == pytest.approx(exact, abs=2 * dist.law.h[0])


def test_no_use_is_mass_at_zero():
    # p_use = 0.5 for one patient: P(spend = 0) = 0.5 (the gamma(4) severity has almost no
    # mass near 0; moment matching may leave a tiny negative weight at the origin node)
    dist = spend_distribution(one_cell_pop(1), single_pod_model(0.5, 1000.0, 0.5, "gamma"))
    assert dist.cdf(0.0).iloc[0] == pytest.approx(0.5, abs=1e-6)


def test_retained_plus_excess_is_total(capped):
    excess = spend_distribution(POP, MODEL, high_cost_threshold=50_000, part="excess")
    total = spend_distribution(POP, MODEL, part="total", high_cost_threshold=50_000)
    np.testing.assert_allclose(capped.mean + excess.mean, total.mean, rtol=1e-5)
    assert (capped.std < total.std).all()
    assert total.part == "total"


def test_pool_expectation_is_expected_excess_by_integration():
    # elective only: p = 0.1, lognormal mean 3,000 cv 2; threshold 20,000; 5,000 patients
    d, n, p = 20_000.0, 5000, 0.1
    s = np.sqrt(np.log(5.0))
    sev = stats.lognorm(s, scale=3000 * np.exp(-s**2 / 2))
    per_use = sum(integrate.quad(lambda y: (y - d) * sev.pdf(y), lo, hi, limit=200)[0]
                  for lo, hi in [(d, 10 * d), (10 * d, 1000 * d), (1000 * d, np.inf)])
    excess = spend_distribution(one_cell_pop(n), single_pod_model(p, 3000.0, 2.0),
                                high_cost_threshold=d, part="excess")
    assert excess.mean.iloc[0] == pytest.approx(n * p * per_use, rel=1e-4)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_cross_check_against_aggregate_package():
    aggregate = pytest.importorskip("aggregate")
    # 1,000 patients each using elective with p = 0.1: Binomial(1000, 0.1) admissions, each
    # lognormal mean 3,000 cv 2; in aggregate's DecL: 100 expected claims, binomial p = 0.1
    ref = aggregate.build("agg Prac 100 claims sev lognorm 3000 cv 2 binomial 0.1",
                          bs=100, log2=16)
    dist = spend_distribution(one_cell_pop(1000), single_pod_model(0.1, 3000.0, 2.0))
    assert dist.mean.iloc[0] == pytest.approx(ref.agg_m, rel=1e-9)
    assert dist.std.iloc[0] == pytest.approx(ref.agg_sd, rel=1e-9)
    for q in (0.1, 0.5, 0.9, 0.99, 0.999):
        assert dist.quantile(q).iloc[0] == pytest.approx(ref.q(q), rel=5e-3)


def test_normal_approximation_converges_as_list_grows():
    gaps = []
    for n in (1000, 10_000, 100_000):
        pop = one_cell_pop(n, band="40_44")
        exact = spend_distribution(pop, MODEL)
        approx = spend_distribution(pop, MODEL, method="normal")
        assert approx.mean.iloc[0] == pytest.approx(exact.mean.iloc[0], rel=1e-9)
        xs = np.linspace(exact.quantile(0.001).iloc[0], exact.quantile(0.999).iloc[0], 300)
        gaps.append(max(abs(exact.cdf(x).iloc[0] - approx.cdf(x).iloc[0]) for x in xs))
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 0.03


# the distribution interface -------------------------------------------------------------

def test_quantile_cdf_consistency(fft_dist):
    q = fft_dist.quantile(0.9)
    h = pd.Series(fft_dist.law.h, index=fft_dist.units)
    assert (fft_dist.cdf(q) >= 0.9).all()
    assert (fft_dist.cdf(q - h) < 0.9).all()     # the smallest lattice point with F ≥ q
    pd.testing.assert_series_equal(fft_dist.prob_exceed(q), 1 - fft_dist.cdf(q),
                                   check_names=False)


def test_vectorised_arguments_align_by_unit_code(fft_dist):
    q = pd.Series(np.linspace(0.1, 0.9, 60), index=fft_dist.units)[::-1]  # reversed order
    by_series = fft_dist.quantile(q)
    by_array = fft_dist.quantile(np.linspace(0.1, 0.9, 60))
    pd.testing.assert_series_equal(by_series, by_array)
    assert fft_dist.quantile(0.5).index.equals(fft_dist.units)


def test_tvar_hand_computed():
    # lattice with mass 1/4 at each of 0, 1, 2, 3 (h = 1):
    # VaR_0.5 = 1; E[(S − 1)⁺] = (1 + 2)/4 = 0.75; TVaR_0.5 = 1 + 0.75/0.5 = 2.5 = E[S | top half]
    from pbcmodel.risk.laws import LatticeLaw
    law = LatticeLaw(h=np.array([1.0]), start=np.array([0]), pmf=np.full((1, 4), 0.25),
                     cumulants=np.array([[1.5, 1.25, 0.0, -1.6625]]), alias_bound=np.zeros(1))
    dist = SpendDistribution(units=pd.Index(["A"], name="practice"), by="practice",
                             method="fft", part="total", high_cost_threshold=None,
                             hierarchy=POP.hierarchy, law=law)
    assert dist.value_at_risk(0.5).iloc[0] == 1.0
    assert dist.tvar(0.5).iloc[0] == pytest.approx(2.5)
    assert dist.expected_excess(2.0).iloc[0] == pytest.approx(0.25)


def test_metrics(fft_dist):
    assert (fft_dist.tvar(0.95) > fft_dist.value_at_risk(0.95)).all()
    assert (fft_dist.value_at_risk(0.95) > fft_dist.mean).all()
    p5 = prob_overspend(fft_dist, fft_dist.mean, 0.05)
    p10 = prob_overspend(fft_dist, fft_dist.mean, 0.10)
    assert (p5 > p10).all()
    r = reserve(fft_dist, 0.95)
    expected = (fft_dist.value_at_risk(0.95) - fft_dist.mean).rename("reserve")
    pd.testing.assert_series_equal(r, expected)
    assert (reserve(fft_dist, 0.95, budget=fft_dist.value_at_risk(0.99)) == 0).all()


def test_to_frame_and_repr(fft_dist):
    frame = fft_dist.to_frame()
    assert list(frame.columns) == [
        "mean", "std", "cv", "q50", "q95", "q99", "tvar99", "alias_bound"]
    assert "SpendDistribution(60 practice" in repr(fft_dist)
    assert "<table" in fft_dist._repr_html_()


@settings(max_examples=20, deadline=None)
@given(q1=st.floats(0.001, 0.998), dq=st.floats(0.0, 0.5))
def test_quantile_is_monotone_and_cdf_in_unit_interval(fft_dist, q1, dq):
    q2 = min(q1 + dq, 0.999)
    assert (fft_dist.quantile(q2) >= fft_dist.quantile(q1)).all()
    c = fft_dist.cdf(fft_dist.quantile(q1))
    assert ((c >= 0) & (c <= 1)).all()


# pooling -----------------------------------------------------------------------------------

def test_pool_independent_equals_direct_consortium(fft_dist):
    direct = spend_distribution(POP, MODEL, by="consortium")
    pooled = pool(fft_dist, "consortium")
    np.testing.assert_allclose(pooled.mean, direct.mean, rtol=1e-9)
    np.testing.assert_allclose(pooled.std, direct.std, rtol=1e-9)
    # both are lattice answers: they agree to within two buckets of either lattice
    tol = 2 * np.maximum(pooled.law.h, direct.law.h)
    for q in (0.05, 0.5, 0.95, 0.995):
        assert (abs(pooled.quantile(q) - direct.quantile(q)) <= tol).all()


def test_pool_with_correlation_has_equicorrelated_variance(fft_dist):
    rho = 0.3
    pooled = pool(fft_dist, "consortium", correlation=rho)
    sd = fft_dist.std.groupby(POP.hierarchy["consortium"])
    # Var = Σσ² + ρ[(Σσ)² − Σσ²]
    expected = sd.apply(lambda s: (s**2).sum() + rho * (s.sum() ** 2 - (s**2).sum()))
    np.testing.assert_allclose(pooled.std**2, expected.reindex(pooled.units), rtol=1e-9)
    pts = pooled.law.points()
    m = (pooled.law.pmf * pts).sum(axis=1)
    np.testing.assert_allclose((pooled.law.pmf * pts**2).sum(axis=1) - m**2, pooled.std**2,
                               rtol=1e-3)


@pytest.mark.parametrize("method", ["normal", "mc"])
def test_pool_other_methods(method):
    small = POP.subset(["P001", "P005", "P009"])
    dist = spend_distribution(small, MODEL, method=method, n_sims=300, seed=1)
    pooled = pool(dist, "commissioner", correlation=0.1, seed=2)
    assert pooled.units.tolist() == ["X01"]
    rel = 1e-2 if method == "mc" else 1e-12
    assert pooled.mean.iloc[0] == pytest.approx(dist.mean.sum(), rel=rel)


def test_pool_consortia_into_commissioner():
    consortia = spend_distribution(POP, MODEL, by="consortium", method="normal")
    commissioner = pool(consortia, "commissioner")
    assert commissioner.units.tolist() == ["X01"]
    assert commissioner.std.iloc[0] == pytest.approx(np.sqrt((consortia.std**2).sum()))


def test_empty_practice_has_no_spend_and_undefined_cv():
    counts = POP.counts.copy()
    counts.iloc[0] = 0
    pop = Population(counts=counts, hierarchy=POP.hierarchy)
    dist = spend_distribution(pop, MODEL)
    assert dist.mean.iloc[0] == 0.0
    assert dist.quantile(0.99).iloc[0] == 0.0
    assert np.isnan(dist.cv.iloc[0])        # undefined, not zero
    assert dist.cv.iloc[1:].notna().all()


def test_pooling_benefit_shares_add_up(fft_dist):
    b = pooling_benefit(fft_dist, "consortium", q=0.95)
    pooled = pool(fft_dist, "consortium")
    total = b.groupby("pool")["pooled_reserve_share"].sum()
    np.testing.assert_allclose(total, (pooled.quantile(0.95) - pooled.mean).reindex(total.index))
    assert (b["pooled_reserve_share"] < b["standalone_reserve"]).all()
    correlated = pooling_benefit(fft_dist, "consortium", q=0.95, correlation=0.5)
    assert (correlated["benefit"] < b["benefit"]).all()    # correlation erodes the benefit


# curves, pool sizing, simulation ----------------------------------------------------------

def test_risk_by_list_size_curve():
    curve = risk_by_list_size(MODEL, [1000, 5000, 25_000, 100_000], profile=POP)
    none = curve[curve["high_cost_threshold"].isna()].reset_index(drop=True)
    capped = curve[curve["high_cost_threshold"] == 50_000].reset_index(drop=True)
    assert none["cv"].is_monotonic_decreasing
    assert none["p_over_5pct"].is_monotonic_decreasing
    assert (capped["cv"] < none["cv"]).all()
    assert (none["p_over_10pct"] < none["p_over_5pct"]).all()
    # cv falls like 1/sqrt(list size): 100× the patients, a tenth of the cv
    assert none["cv"].iloc[0] / none["cv"].iloc[-1] == pytest.approx(10, rel=0.02)
    ax = plot_risk_by_list_size(curve)
    assert len(ax.lines) == 2
    plt.close("all")


def test_size_high_cost_pool():
    sized = size_high_cost_pool(POP, MODEL, 50_000, confidence=0.95)
    excess = spend_distribution(POP, MODEL, by="commissioner", high_cost_threshold=50_000,
                                part="excess")
    assert sized.loc["X01", "expected_excess"] == pytest.approx(excess.mean["X01"])
    assert sized.loc["X01", "excess_at_confidence"] > sized.loc["X01", "expected_excess"]
    total = spend_distribution(POP, MODEL, by="commissioner").mean["X01"]
    assert sized.loc["X01", "top_slice"] == pytest.approx(excess.quantile(0.95)["X01"] / total)


def test_simulate_spend_matches_distribution_and_chunks():
    draws = simulate_spend(POP, MODEL, 4000, seed=5, high_cost_threshold=50_000)
    assert draws.retained.shape == (4000, 60)
    capped = spend_distribution(POP, MODEL, high_cost_threshold=50_000)
    np.testing.assert_allclose(draws.retained.mean(axis=0), capped.mean, rtol=0.01)
    again = simulate_spend(POP, MODEL, 4000, seed=5, high_cost_threshold=50_000, chunk_size=333)
    assert np.array_equal(draws.total, again.total)


def test_common_shock_correlates_practices():
    plain = simulate_spend(POP, MODEL, 3000, seed=1)
    shocked = simulate_spend(POP, MODEL, 3000, seed=1, common_shock_cv=0.05)
    corr = np.corrcoef(shocked.retained[:, :2].T)[0, 1]
    assert abs(np.corrcoef(plain.retained[:, :2].T)[0, 1]) < 0.1
    assert corr > 0.2


def test_plot_distribution(fft_dist):
    ax = fft_dist.plot(["P001", "P002", "P003"])
    assert len(ax.lines) == 3
    plt.close("all")


# bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "match"), [
    ({"high_cost_threshold": 0}, "high_cost_threshold: must be > 0"),
    ({"high_cost_threshold": -5}, "high_cost_threshold: must be > 0"),
    ({"high_cost_threshold": np.nan}, "high_cost_threshold: must be finite"),
    ({"method": "exact"}, "method: must be one of"),
    ({"by": "region"}, "by: must be one of"),
    ({"part": "excess"}, "part: 'excess' needs a high_cost_threshold"),
    ({"part": "all"}, "part: must be one of"),
    ({"method": "mc", "n_sims": 0}, "n_sims: must be > 0"),
    ({"method": "mc", "n_sims": 2.5}, "n_sims: must be a whole number"),
])
def test_bad_arguments_name_the_culprit(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        spend_distribution(POP, MODEL, **kwargs)


def test_bad_objects():
    with pytest.raises(ValidationError, match="pop: expected a Population"):
        spend_distribution(POP.counts, MODEL)
    with pytest.raises(ValidationError, match="model: expected a CostModel"):
        spend_distribution(POP, MODEL.table)


@pytest.mark.parametrize("q", [0.0, 1.0, 1.5, -0.2, np.nan])
def test_bad_quantile(fft_dist, q):
    with pytest.raises(ValidationError, match="q: "):
        fft_dist.quantile(q)
    with pytest.raises(ValidationError, match="q: "):
        fft_dist.tvar(q)


def test_bad_vector_arguments(fft_dist):
    with pytest.raises(ValidationError, match="x: expected a scalar or 60 values"):
        fft_dist.cdf([1.0, 2.0])
    with pytest.raises(ValidationError, match="x: no value for unit.*'P060'"):
        fft_dist.cdf(pd.Series(1.0, index=fft_dist.units[:-1]))
    with pytest.raises(ValidationError, match="x: NaN or infinite for unit.*'P002'"):
        fft_dist.cdf(np.r_[1.0, np.nan, np.ones(58)])
    with pytest.raises(ValidationError, match="n: must be > 0"):
        fft_dist.sample(0, seed=1)
    with pytest.raises(ValidationError, match="n: must be > 0"):
        simulate_spend(POP, MODEL, -1, seed=1)


def test_bad_pool_arguments(fft_dist):
    with pytest.raises(ValidationError, match="correlation: must be in"):
        pool(fft_dist, "consortium", correlation=1.5)
    consortia = pool(fft_dist, "consortium")
    with pytest.raises(ValidationError, match="by: must be a level above 'consortium'"):
        pool(consortia, "consortium")
    with pytest.raises(ValidationError,
                       match=r"common_shock_cv: must be in \[0\.0, 1\.0\], got -0\.1"):
        simulate_spend(POP, MODEL, 10, seed=1, common_shock_cv=-0.1)
    with pytest.raises(ValidationError, match=r"confidence: must be in \(0, 1\), got 1\.0"):
        size_high_cost_pool(POP, MODEL, 50_000, confidence=1.0)
    with pytest.raises(ValidationError, match=r"confidence: must be in \[0\.0, 1\.0\]"):
        size_high_cost_pool(POP, MODEL, 50_000, confidence=1.5)
    with pytest.raises(ValidationError, match=r"q: must be in \(0, 1\), got 0"):
        pooling_benefit(fft_dist, "consortium", q=0)
    with pytest.raises(ValidationError, match="list_sizes: must be positive"):
        risk_by_list_size(MODEL, [0, 1000], profile=POP)


def test_cost_index_scales_each_practice_spend_and_keeps_its_cv():
    # a practice with cost_index c spends c × S: mean × c, cv unchanged, quantiles × c
    import attrs

    index = pd.Series(np.linspace(0.8, 1.3, POP.n_practices), index=POP.codes)
    scaled = attrs.evolve(POP, cost_index=index)
    for method in ("fft", "normal"):
        base = spend_distribution(POP, MODEL, method=method)
        dist = spend_distribution(scaled, MODEL, method=method)
        np.testing.assert_allclose(dist.mean, base.mean * index, rtol=1e-12)
        np.testing.assert_allclose(dist.cv, base.cv, rtol=1e-12)
        np.testing.assert_allclose(dist.quantile(0.95), base.quantile(0.95) * index, rtol=1e-9)


def test_cost_index_must_be_positive_and_name_the_practice():
    import attrs

    bad = pd.Series(1.0, index=POP.codes)
    bad.iloc[3] = 0.0
    with pytest.raises(ValidationError, match=POP.codes[3]):
        attrs.evolve(POP, cost_index=bad)


def test_guided_inversion_is_the_exact_lattice_quantile(fft_dist):
    # draws by inversion are the smallest lattice point with F >= u (as quantile()), for
    # uniforms anywhere, at the ends, and exactly on a step of the cdf
    law = fft_dist.law
    inverse = law.inverse()
    cdf = inverse.cdf
    rng = np.random.default_rng(8)
    u = np.vstack([rng.random((300, cdf.shape[0])), np.zeros(cdf.shape[0]),
                   np.full(cdf.shape[0], 1 - 2.0**-53), cdf[:, 700], cdf[:, 2000]])
    k = np.array([np.searchsorted(cdf[r], u[:, r], side="left") for r in range(len(cdf))]).T
    expected = (law.start + np.minimum(k, cdf.shape[1] - 1)) * law.h
    np.testing.assert_array_equal(inverse.invert(u), expected)
    np.testing.assert_array_equal(inverse.invert(u[:, 5:9], slice(5, 9)), expected[:, 5:9])


def test_method_registry_is_the_one_switch():
    from pbcmodel.risk import REGISTRY

    assert tuple(REGISTRY) == ("fft", "normal", "mc")
    for method in REGISTRY:
        s = spend_distribution(POP.subset(["P001"]), MODEL, method=method, n_sims=50, seed=1)
        assert s.method == method
    with pytest.raises(ValidationError, match=r"method: must be one of \('fft', 'normal', 'mc'\)"):
        simulate_spend(POP, MODEL, 5, seed=1, method="exact")


# the high-cost threshold: one rule, applied by every method ----------------------------

@settings(max_examples=100, deadline=None)
@given(weights=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40), data=st.data())
def test_threshold_on_costs_and_on_cost_laws_is_one_rule(weights, data):
    from pbcmodel.risk.high_cost import apply_threshold

    w = np.array(weights) + 1e-3
    pmf = w / w.sum()                              # X = i buckets with probability pmf[i]
    d = data.draw(st.integers(0, len(pmf) - 1))
    x = np.arange(len(pmf), dtype=float)
    kept, paid = apply_threshold(x, d, "retained"), apply_threshold(x, d, "excess")
    np.testing.assert_array_equal(kept + paid, x)
    np.testing.assert_array_equal(kept, np.minimum(x, d))
    np.testing.assert_array_equal(paid, np.maximum(x - d, 0.0))
    for part, values in (("retained", kept), ("excess", paid)):
        law = apply_threshold(pmf, d, part, pmf=True)
        by_costs = np.bincount(values.astype(int), pmf, minlength=len(law))
        np.testing.assert_allclose(law, by_costs, rtol=0, atol=1e-12)
    assert apply_threshold(pmf, d, "total", pmf=True) is pmf


def test_threshold_refuses_what_it_cannot_apply():
    from pbcmodel.risk.high_cost import apply_threshold

    with pytest.raises(ValidationError, match=r"part: must be one of \('retained', 'excess'"):
        apply_threshold(np.ones(3), 1.0, "kept")
    for bad in (1.5, 3, -1):
        with pytest.raises(ValidationError, match="threshold: must be a lattice point in 0 … 2"):
            apply_threshold(np.full(3, 1 / 3), bad, "retained", pmf=True)


@pytest.mark.parametrize("method", ["fft", "normal", "mc"])
@pytest.mark.parametrize("part", ["retained", "excess"])
def test_every_method_applies_the_one_threshold(monkeypatch, method, part):
    from pbcmodel.risk import high_cost, methods, patients

    calls = []

    def spy(cost, threshold, applied, **kw):
        calls.append(applied)
        return high_cost.apply_threshold(cost, threshold, applied, **kw)

    monkeypatch.setattr(methods, "apply_threshold", spy)
    monkeypatch.setattr(patients, "apply_threshold", spy)
    spend_distribution(POP.subset(["P001"]), MODEL, method=method, high_cost_threshold=50_000,
                       part=part, n_sims=20, seed=1)
    assert calls and set(calls) == {part}
