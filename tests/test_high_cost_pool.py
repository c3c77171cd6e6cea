"""The high-cost pool's share (a partial stop-loss, issue 24): the pool pays f·(X − d)⁺, the
practice keeps min(X, d) + (1 − f)·(X − d)⁺, for amounts, lattice laws and every method."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.errors import ConfigError, ValidationError
from pbcmodel.risk import methods
from pbcmodel.risk.high_cost import MORBI_RSA_POOL_SHARE, apply_threshold, check_pool_share
from pbcmodel.scenario import config

D = 50_000.0


@pytest.fixture(scope="module")
def pop() -> pbc.Population:
    return pbc.datasets.example_population().subset(["P001", "P035", "P048"])  # small: mc is quick


@pytest.fixture(scope="module")
def model() -> pbc.risk.CostModel:
    return pbc.datasets.example_cost_model()


# --- amounts: hand-computed ---------------------------------------------------------------
def test_amounts_by_hand() -> None:
    cost = np.array([0.0, 10_000.0, 50_000.0, 80_000.0, 150_000.0])
    # above d = 50,000: 0, 0, 0, 30,000, 100,000; the pool pays 80% of that:
    # 0, 0, 0, 24,000, 80,000; the practice keeps the rest: 0, 10,000, 50,000,
    # 80,000 − 24,000 = 56,000, 150,000 − 80,000 = 70,000
    assert apply_threshold(cost, D, "excess", pool_share=0.8).tolist() == [
        0.0, 0.0, 0.0, 24_000.0, 80_000.0]
    assert apply_threshold(cost, D, "retained", pool_share=0.8).tolist() == [
        0.0, 10_000.0, 50_000.0, 56_000.0, 70_000.0]
    # a quarter: the pool pays 7,500 and 25,000; the practice keeps 72,500 and 125,000
    assert apply_threshold(cost, D, "excess", pool_share=0.25).tolist()[3:] == [7_500.0, 25_000.0]
    assert apply_threshold(cost, D, "retained", pool_share=0.25).tolist()[3:] == [
        72_500.0, 125_000.0]
    assert apply_threshold(cost, D, "total", pool_share=0.25) is cost


def test_morbi_rsa_preset() -> None:
    assert MORBI_RSA_POOL_SHARE == 0.8
    assert pbc.risk.MORBI_RSA_POOL_SHARE == 0.8
    # € 250,000 for one insured person, threshold € 100,000: the pool meets
    # 0.8 × 150,000 = 120,000; the fund keeps 100,000 + 0.2 × 150,000 = 130,000
    x = np.array([250_000.0])
    assert apply_threshold(x, 100_000.0, "excess", pool_share=MORBI_RSA_POOL_SHARE)[0] == 120_000
    assert apply_threshold(x, 100_000.0, "retained",
                           pool_share=MORBI_RSA_POOL_SHARE)[0] == 130_000


@given(cost=st.lists(st.floats(0, 1e7, allow_nan=False), min_size=1, max_size=20),
       d=st.floats(1.0, 1e6), f1=st.floats(0.01, 1.0), f2=st.floats(0.01, 1.0))
def test_retained_falls_as_the_share_rises(cost: list[float], d: float, f1: float,
                                           f2: float) -> None:
    x = np.array(cost)
    lo, hi = sorted((f1, f2))
    kept_lo = apply_threshold(x, d, "retained", pool_share=lo)
    kept_hi = apply_threshold(x, d, "retained", pool_share=hi)
    assert (kept_hi <= kept_lo).all()
    for f in (lo, hi):
        kept = apply_threshold(x, d, "retained", pool_share=f)
        paid = apply_threshold(x, d, "excess", pool_share=f)
        np.testing.assert_allclose(kept + paid, x, rtol=1e-15, atol=1e-9)
        assert (paid >= 0).all() and (kept >= np.minimum(x, d) * (1 - 1e-15)).all()


def test_share_one_is_the_old_rule_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    x = rng.gamma(0.5, 40_000.0, size=1000)
    kept = np.minimum(x, D)
    assert np.array_equal(apply_threshold(x, D, "retained", pool_share=1.0), kept)
    assert np.array_equal(apply_threshold(x, D, "excess", pool_share=1.0), x - kept)
    law = rng.random((3, 200))
    law /= law.sum(axis=1, keepdims=True)
    for part in ("retained", "excess"):
        assert np.array_equal(apply_threshold(law, 64, part, pmf=True, pool_share=1.0),
                              apply_threshold(law, 64, part, pmf=True))


# --- lattice laws -------------------------------------------------------------------------
@given(f=st.floats(0.01, 0.99), d=st.integers(0, 40), seed=st.integers(0, 2**16))
def test_lattice_law_keeps_mass_and_mean(f: float, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    law = rng.random((2, 50)) ** 4
    law /= law.sum(axis=1, keepdims=True)
    k = np.arange(50.0)
    above = (law * np.maximum(k - d, 0)).sum(axis=1)               # E[(X − d)⁺]
    paid = apply_threshold(law, d, "excess", pmf=True, pool_share=f)
    kept = apply_threshold(law, d, "retained", pmf=True, pool_share=f)
    assert paid.shape == (2, 50 - d) and kept.shape == (2, 50)
    assert (paid >= 0).all() and (kept >= 0).all()
    np.testing.assert_allclose(paid.sum(axis=1), 1.0, rtol=1e-13)
    np.testing.assert_allclose(kept.sum(axis=1), 1.0, rtol=1e-13)
    np.testing.assert_allclose((paid * np.arange(50 - d)).sum(axis=1), f * above,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose((kept * k).sum(axis=1), (law * k).sum(axis=1) - f * above,
                               rtol=1e-12, atol=1e-12)


def test_lattice_law_by_hand() -> None:
    # X = 0, 1, 2, 3, 4 buckets with 0.4, 0.2, 0.2, 0.1, 0.1; d = 1; f = 0.75.
    # (X − 1)⁺ = 0, 1, 2, 3 with 0.6, 0.2, 0.1, 0.1; the pool pays 0, 0.75, 1.5, 2.25:
    #   0.75 → 0.25·0.2 = 0.05 at 0 and 0.75·0.2 = 0.15 at 1
    #   1.5  → 0.5·0.1 = 0.05 at 1 and 0.05 at 2
    #   2.25 → 0.75·0.1 = 0.075 at 2 and 0.25·0.1 = 0.025 at 3
    #   → 0.65, 0.20, 0.125, 0.025 (mean 0.2 + 0.25 + 0.075 = 0.525 = 0.75 × 0.7)
    law = np.array([0.4, 0.2, 0.2, 0.1, 0.1])
    np.testing.assert_allclose(apply_threshold(law, 1, "excess", pmf=True, pool_share=0.75),
                               [0.65, 0.2, 0.125, 0.025], atol=1e-15)
    # the practice keeps min(X, 1) + 0.25·(X − 1)⁺ = 0, 1, 1.25, 1.5, 1.75:
    #   1.25 → 0.15 at 1, 0.05 at 2; 1.5 → 0.05, 0.05; 1.75 → 0.025, 0.075
    #   → 0.4, 0.2 + 0.15 + 0.05 + 0.025 = 0.425, 0.05 + 0.05 + 0.075 = 0.175, 0, 0
    np.testing.assert_allclose(apply_threshold(law, 1, "retained", pmf=True, pool_share=0.75),
                               [0.4, 0.425, 0.175, 0.0, 0.0], atol=1e-15)


def test_cell_laws_keep_the_mean(model: pbc.risk.CostModel) -> None:
    whole = methods.CellLaws.build(model, D, "excess").reference_cumulants()
    part = methods.CellLaws.build(model, D, "excess", pool_share=0.8).reference_cumulants()
    np.testing.assert_allclose(part[:, 0], 0.8 * whole[:, 0], rtol=1e-12)
    total = methods.CellLaws.build(model, None, "total").reference_cumulants()
    kept = methods.CellLaws.build(model, D, "retained", pool_share=0.8).reference_cumulants()
    np.testing.assert_allclose(kept[:, 0] + part[:, 0], total[:, 0], rtol=1e-6)


# --- every method agrees ------------------------------------------------------------------
@pytest.mark.parametrize("part", ["retained", "excess"])
def test_methods_agree(pop: pbc.Population, model: pbc.risk.CostModel, part: str) -> None:
    kw = {"high_cost_threshold": 20_000.0, "part": part, "high_cost_pool_share": 0.8}
    fft = pbc.risk.spend_distribution(pop, model, "fft", **kw)
    normal = pbc.risk.spend_distribution(pop, model, "normal", **kw)
    n = 3000
    mc = pbc.risk.spend_distribution(pop, model, "mc", n_sims=n, seed=7, **kw)
    np.testing.assert_allclose(fft.mean, normal.mean, rtol=1e-9)
    np.testing.assert_allclose(fft.std, normal.std, rtol=1e-9)
    # Monte Carlo: the mean within 4 standard errors, the sd within 12%
    assert (np.abs(mc.mean - fft.mean) < 4 * fft.std / np.sqrt(n)).all()
    np.testing.assert_allclose(mc.std, fft.std, rtol=0.12)


def test_parts_add_up_and_scale(pop: pbc.Population, model: pbc.risk.CostModel) -> None:
    def dist(part: str, f: float = 1.0) -> pbc.risk.SpendDistribution:
        return pbc.risk.spend_distribution(pop, model, high_cost_threshold=D, part=part,
                                           high_cost_pool_share=f)
    total = pbc.risk.spend_distribution(pop, model, method="normal")
    kept, paid = dist("retained", 0.8), dist("excess", 0.8)
    np.testing.assert_allclose(paid.mean, 0.8 * dist("excess").mean, rtol=1e-9)
    np.testing.assert_allclose(kept.mean + paid.mean, total.mean, rtol=1e-6)
    assert (kept.mean > dist("retained").mean).all()     # the practice keeps 20% above d
    assert "pool share 80%" in repr(paid)
    pooled = pbc.risk.pool(paid, by="commissioner")
    assert pooled.high_cost_pool_share == 0.8


def test_size_high_cost_pool(pop: pbc.Population, model: pbc.risk.CostModel) -> None:
    whole = pbc.risk.size_high_cost_pool(pop, model, D, method="normal")
    part = pbc.risk.size_high_cost_pool(pop, model, D, method="normal", high_cost_pool_share=0.8)
    np.testing.assert_allclose(part["expected_excess"], 0.8 * whole["expected_excess"], rtol=1e-9)


@pytest.mark.parametrize("method", ["fft", "normal", "mc"])
def test_sampler_draws(pop: pbc.Population, model: pbc.risk.CostModel, method: str) -> None:
    kw = {"high_cost_threshold": 20_000.0, "method": method}
    a = pbc.risk.simulate_spend(pop, model, 400, seed=5, high_cost_pool_share=0.8, **kw)
    whole = pbc.risk.simulate_spend(pop, model, 400, seed=5, **kw)
    assert (a.excess.mean(axis=0) < whole.excess.mean(axis=0)).all()
    assert (a.retained.mean(axis=0) > whole.retained.mean(axis=0)).all()
    if method == "mc":   # the same patients: the pool's 20% moves to the practice exactly
        np.testing.assert_allclose(a.excess, 0.8 * whole.excess, rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(a.total, whole.total, rtol=1e-12)
    chunks = list(pbc.risk.iter_spend(pop, model, 400, seed=5, chunk_size=150,
                                      high_cost_pool_share=0.8, **kw))
    assert np.array_equal(np.vstack([c.retained for c in chunks]), a.retained)


@pytest.mark.parametrize("method", ["fft", "normal", "mc"])
def test_share_one_is_today(pop: pbc.Population, model: pbc.risk.CostModel,
                            method: str) -> None:
    for part in ("retained", "excess"):
        old = pbc.risk.spend_distribution(pop, model, method, high_cost_threshold=D, part=part,
                                          n_sims=200, seed=1)
        new = pbc.risk.spend_distribution(pop, model, method, high_cost_threshold=D, part=part,
                                          n_sims=200, seed=1, high_cost_pool_share=1.0)
        assert np.array_equal(old.mean, new.mean) and np.array_equal(old.std, new.std)
        assert repr(old) == repr(new)
    a = pbc.risk.simulate_spend(pop, model, 50, seed=2, high_cost_threshold=D, method=method)
    b = pbc.risk.simulate_spend(pop, model, 50, seed=2, high_cost_threshold=D, method=method,
                                high_cost_pool_share=1)
    assert np.array_equal(a.retained, b.retained) and np.array_equal(a.excess, b.excess)


# --- the scenario -------------------------------------------------------------------------
def test_scenario_field_describe_and_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    scn = pbc.Scenario.example(high_cost_pool_share=0.8)
    assert scn.high_cost_pool_share == 0.8
    assert ("high-cost pool: meets 80% of each patient's annual cost above £50,000"
            in scn.describe())
    assert not any("meets" in line for line in pbc.Scenario.example().describe())
    text = config.to_toml(scn)
    assert "high_cost_pool_share = 0.8" in text
    assert config.from_toml(text, pbc.Scenario) == scn
    assert config.from_json(config.to_json(scn), pbc.Scenario) == scn
    odd = scn.evolve(high_cost_pool_share=0.1 + 0.2)       # 0.30000000000000004, exactly
    assert config.from_toml(config.to_toml(odd), pbc.Scenario).high_cost_pool_share == 0.1 + 0.2
    # a whole stop-loss is not written: existing files read and write as before
    assert "high_cost_pool_share" not in config.to_toml(pbc.Scenario.example())
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    assert pbc.load_scenario(path) == scn


def test_scenario_share_is_a_driver_of_spend() -> None:
    from pbcmodel.scenario.simulation import DRIVERS_OF_SPEND
    assert "high_cost_pool_share" in DRIVERS_OF_SPEND
    base = pbc.Scenario.example()
    part = base.evolve(high_cost_pool_share=0.5)
    a = base.simulate(200, seed=3, keep="full")
    b = part.simulate(200, seed=3, keep="full")
    # the pool meets half of what it met; the practices' outturns carry the other half
    assert b.pool_pence.mean() < 0.6 * a.pool_pence.mean()
    assert (b.outturn_pence.sum(axis=1) > a.outturn_pence.sum(axis=1)).mean() > 0.9
    same = base.evolve(high_cost_pool_share=1.0).simulate(200, seed=3, keep="full")
    assert np.array_equal(a.outturn_pence, same.outturn_pence)
    assert np.array_equal(a.pool_pence, same.pool_pence)


@pytest.mark.parametrize(("value", "shown"), [
    (0, "got 0"), (1.5, "got 1.5"), ("80%", "'80%'"), (-0.2, "got -0.2")])
def test_scenario_bad_shares(value: object, shown: str) -> None:
    with pytest.raises(ValidationError, match="high_cost_pool_share") as err:
        pbc.Scenario.example(high_cost_pool_share=value)
    assert shown in str(err.value)


def test_share_without_a_threshold() -> None:
    pattern = "high_cost_pool_share: 0.8 needs a high_cost_threshold"
    with pytest.raises(ValidationError, match=pattern):
        pbc.Scenario.example(high_cost_threshold=None, high_cost_pool_share=0.8)
    with pytest.raises(ValidationError, match=pattern):
        pbc.Scenario.example(high_cost_pool_share=0.8).evolve(high_cost_threshold=None)
    pop, model = pbc.datasets.example_population(), pbc.datasets.example_cost_model()
    with pytest.raises(ValidationError, match=pattern):
        pbc.risk.spend_distribution(pop, model, high_cost_pool_share=0.8)
    with pytest.raises(ValidationError, match=pattern):
        pbc.risk.spend_sampler(pop, model, high_cost_pool_share=0.8)
    assert pbc.Scenario.example(high_cost_threshold=None).high_cost_pool_share == 1.0


@pytest.mark.parametrize("value", [0, 1.5, "80%", float("nan")])
def test_risk_bad_shares(value: object) -> None:
    pop, model = pbc.datasets.example_population(), pbc.datasets.example_cost_model()
    with pytest.raises(ValidationError, match="high_cost_pool_share"):
        pbc.risk.spend_distribution(pop, model, high_cost_threshold=D, high_cost_pool_share=value)
    with pytest.raises(ValidationError, match="high_cost_pool_share"):
        apply_threshold(np.ones(3), 1.0, "retained", pool_share=value)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="high_cost_pool_share"):
        check_pool_share(value, D)


def test_scenario_file_bad_share() -> None:
    text = config.to_toml(pbc.Scenario.example(high_cost_pool_share=0.8))
    with pytest.raises(ConfigError, match=r"\$\.high_cost_pool_share: must be in \(0, 1\]"):
        config.from_toml(text.replace("high_cost_pool_share = 0.8",
                                      "high_cost_pool_share = 1.5"), pbc.Scenario)
    with pytest.raises(ConfigError, match="high_cost_pool_share"):
        config.from_toml(text.replace("high_cost_pool_share = 0.8",
                                      'high_cost_pool_share = "80%"'), pbc.Scenario)


# ------------------------------------------------------------------ real England's practices
def test_pool_on_practices_with_their_own_need_index() -> None:
    # real England: every practice has its own cost multiplier (its need index), so the pool's
    # excess is drawn practice by practice (it could not be drawn per commissioner); the pool's
    # mean cost a year is the spend distributions' expected excess (2,000 draws: within 4 sd)
    from pbcmodel.scenario.england import england_scenario
    from pbcmodel.scenario.plan import pool_unit

    scn = england_scenario("QWO", high_cost_threshold=50_000,
                           high_cost_pool_share=pbc.risk.MORBI_RSA_POOL_SHARE)
    assert pool_unit(scn.population) == "practice"
    result = scn.simulate(n=2_000, years=1, seed=4)
    pool = result.pool_pence[:, 0] / 100
    expected = pbc.risk.spend_distribution(
        scn.population, scn.cost_model, "fft", high_cost_threshold=50_000,
        high_cost_pool_share=pbc.risk.MORBI_RSA_POOL_SHARE, part="excess")
    shocked_sd = np.sqrt(pool.var() / len(pool))
    assert abs(pool.mean() - expected.mean.sum()) < 4 * shocked_sd
