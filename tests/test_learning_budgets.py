"""Budgets that learn inside a simulation (pbcmodel.scenario.learning, LearningBudgets)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pbcmodel as pbc
from pbcmodel.credibility import (
    ExperienceRating,
    LearningBudgets,
    buhlmann_straub,
    credibility_budgets,
    experience_budgets,
)
from pbcmodel.errors import ConfigError, ValidationError
from pbcmodel.money import largest_remainder
from pbcmodel.risk import patients
from pbcmodel.scenario.learning import Learning
from pbcmodel.scenario.loop import simulate_range
from pbcmodel.scenario.options import SimulationOptions
from pbcmodel.scenario.plan import build_plan
from pbcmodel.scenario.simulation import run


def _learning(k: float, years: int | None = None, *, size=(1000.0, 2000.0, 3000.0),
              base=(10_000, 20_000, 30_000), n_years: int = 2, history=None,
              codes=None) -> Learning:
    size = np.array(size)
    base_pence = np.array([base] * n_years)
    return Learning.make(LearningBudgets(k=k, years=years), formula_pence=base_pence,
                         base_pence=base_pence, expected_pence=np.array([size] * n_years),
                         list_size=size, history=history, codes=codes)


# --------------------------------------------------------------------------- by hand
def test_year_two_budget_from_year_one_outturn_by_hand() -> None:
    # Three practices of 1,000, 2,000 and 3,000 patients, each expected to spend a penny a
    # head (1,000, 2,000 and 3,000 pence); k = 2,000 patient-years.
    # Year 1 outturn 1,300, 2,000 and 2,700 pence: ratios r = 1.3, 1.0, 0.9.
    # One year counted: w = 1,000, 2,000, 3,000, so z = w/(w+k) = 1/3, 1/2, 3/5.
    # Collective ratio μ̂ = Σ z r / Σ z = (13/30 + 1/2 + 27/50) / (43/30) = 221/215.
    # factor = z r/μ̂ + 1 − z = 37/34, 218/221, 409/442 (1.0882, 0.9864, 0.9253).
    # Year-2 formula budgets 10,000, 20,000, 30,000 pence (total 60,000): target × factor =
    # 10,882.35 + 19,728.51 + 27,760.18 = 58,371.04, scaled by 60,000/58,371.04 to
    # 11,186.05, 20,279.07, 28,534.88 pence; rounded down 11,186 + 20,279 + 28,534 =
    # 59,999, the last penny to the largest remainder (0.88): 11,186, 20,279, 28,535.
    learn = _learning(k=2000.0)
    outturn = np.array([[1300, 2000, 2700], [1000, 2000, 3000]])   # two simulations
    budgets = learn.budgets(1, [outturn], np.array([10_000, 20_000, 30_000]))
    assert budgets.tolist() == [[11_186, 20_279, 28_535], [10_000, 20_000, 30_000]]
    ratio, weight = learn.experience(1, [outturn])
    assert ratio[0].tolist() == pytest.approx([1.3, 1.0, 0.9])
    assert weight.tolist() == [1000.0, 2000.0, 3000.0]


def test_first_year_is_the_formulas() -> None:
    formula = np.array([10_000, 20_000, 30_000])
    assert _learning(k=1.0).budgets(0, [], formula) is formula


def test_window_and_history_counted() -> None:
    # history: practice A 1.5 then 1.1 (list size 10 each year), B 1.0 then missing
    codes = pd.Index(["A", "B"])
    years = ["2023", "2024"]
    expected = pd.DataFrame([[100.0, 100.0], [100.0, 100.0]], index=codes, columns=years)
    actual = pd.DataFrame([[150.0, 110.0], [100.0, np.nan]], index=codes, columns=years)
    size = pd.DataFrame([[10.0, 10.0], [20.0, 20.0]], index=codes, columns=years)
    rating = ExperienceRating(actual=actual, expected=expected, list_size=size)
    learn = _learning(k=10.0, years=2, size=(10.0, 20.0), base=(1000, 1000), n_years=3,
                      history=rating, codes=codes)
    outturn = np.array([[12, 20]])                               # ratios 1.2 and 1.0
    # year 1, last two years: 2024's history (A 1.1; B none) and simulated year 0
    ratio, weight = learn.experience(1, [outturn])
    assert ratio[0] == pytest.approx([(1.1 + 1.2) / 2, 1.0])
    assert weight.tolist() == [20.0, 20.0]
    # year 2: simulated years 0 and 1 only
    ratio, weight = learn.experience(2, [outturn, np.array([[8, 30]])])
    assert ratio[0] == pytest.approx([(1.2 + 0.8) / 2, (1.0 + 1.5) / 2])
    assert weight.tolist() == [20.0, 40.0]
    # every year: the whole history too
    every = _learning(k=10.0, size=(10.0, 20.0), base=(1000, 1000), n_years=3,
                      history=rating, codes=codes)
    ratio, weight = every.experience(1, [outturn])
    assert ratio[0] == pytest.approx([(1.5 + 1.1 + 1.2) / 3, 1.0])
    assert weight.tolist() == [30.0, 40.0]


# --------------------------------------------------------------------------- the rule
@settings(max_examples=60, deadline=None)
@given(st.integers(2, 12).flatmap(lambda p: st.tuples(
    hnp.arrays(float, p, elements=st.floats(1.0, 1e7)),
    hnp.arrays(float, (3, p), elements=st.floats(0.01, 3.0)),
    # z = w / (w + k) with list sizes and k in patient-years: 0, or far above the
    # subnormal numbers (where z·r underflows to 0)
    hnp.arrays(float, p, elements=st.just(0.0) | st.floats(1e-12, 1.0)))))
def test_array_rule_row_by_row_is_credibility_budgets_rule(case) -> None:
    target, ratio, z = case
    step = experience_budgets(target, ratio, z)
    for row in range(len(ratio)):
        one = experience_budgets(target, ratio[row], z, collective=step_mu(ratio[row], z))
        assert np.array_equal(one.factor, step.factor[row])
        assert np.array_equal(one.budget, step.budget[row])
    assert np.allclose(step.budget.sum(axis=1), target.sum(), rtol=1e-12)


def step_mu(ratio: np.ndarray, z: np.ndarray) -> float:
    with np.errstate(invalid="ignore"):                   # every z = 0: no collective
        return float(np.where(z > 0, z * ratio, 0.0).sum() / z.sum())


def test_credibility_budgets_is_the_array_rule() -> None:
    v = pd.DataFrame({"y1": [1.2, 0.9, 1.1], "y2": [1.0, 0.7, 1.3]}, index=["P1", "P2", "P4"])
    w = pd.DataFrame({"y1": [9e3, 4e3, 2e3], "y2": [9e3, 4e3, 2e3]}, index=v.index)
    cr = buhlmann_straub(v, w)
    target = pd.Series({"P1": 9e6, "P2": 4e6, "P3": 2e6, "P4": 3e6})
    out = credibility_budgets(target, cr)
    ratio = cr.unit_mean.reindex(target.index).to_numpy()
    z = cr.z.reindex(target.index).fillna(0.0).to_numpy()
    step = experience_budgets(target.to_numpy(), ratio, z, collective=cr.collective_mean)
    assert np.array_equal(out["factor"].to_numpy(), step.factor)
    assert out.attrs["scale"] == float(step.scale)
    assert np.abs(out["budget"].to_numpy() - step.budget).max() <= 4 * np.spacing(9e6)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 40).flatmap(lambda p: hnp.arrays(
    float, (4, p),
    elements=st.one_of(st.floats(0.0, 1e9), st.integers(0, 50).map(lambda i: i / 4)))))
def test_largest_remainder_hands_out_like_a_stable_sort(exact) -> None:
    # money.largest_remainder counts remainders in buckets (linear time, for learning
    # budgets' many rows); the rule is: floor, then one unit each to the largest
    # remainders, ties to the earlier part, i.e. the first `short` of a stable sort
    totals = np.rint(exact.sum(axis=1)).astype(np.int64)
    floor = np.floor(exact)
    floor = np.where(np.isclose(exact, floor + 1.0, rtol=0.0, atol=1e-6), floor + 1.0, floor)
    remainder = np.clip(exact - floor, 0.0, None)
    short = totals - floor.sum(axis=1).astype(np.int64)
    order = np.argsort(-remainder, axis=1, kind="stable")
    rank = np.argsort(order, axis=1)
    expected = floor.astype(np.int64) + (rank < short[:, None])
    assert np.array_equal(largest_remainder(exact, totals), expected)


def test_learning_budgets_refuse_a_total_out_of_reach() -> None:
    with pytest.raises(ValidationError, match=r"budgets: total of 10 pence .*row 0"):
        largest_remainder(np.array([[1.0, 2.0]]), [10], name="budgets",
                          unit=("pence", "a penny"))


# --------------------------------------------------------------------------- totals
@settings(max_examples=40, deadline=None)
@given(k=st.floats(1.0, 1e7), years=st.one_of(st.none(), st.integers(1, 3)),
       data=st.data())
def test_totals_kept_to_the_penny_every_simulation_and_year(k, years, data) -> None:
    p = data.draw(st.integers(2, 30))
    size = data.draw(hnp.arrays(float, p, elements=st.floats(100.0, 20_000.0)))
    base = data.draw(hnp.arrays(np.int64, (4, p), elements=st.integers(10_000, 10**9)))
    expected = size * 90_000.0
    learn = Learning.make(LearningBudgets(k=k, years=years), formula_pence=base,
                          base_pence=base, expected_pence=np.array([expected] * 4),
                          list_size=size)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    outturns = [np.rint(expected * rng.lognormal(0.0, 0.3, (5, p))).astype(np.int64)
                for _ in range(4)]
    for y in range(1, 4):
        budgets = learn.budgets(y, outturns[:y], base[y])
        assert budgets.shape == (5, p)
        assert (budgets.sum(axis=1) == base[y].sum()).all()
        assert (budgets > 0).all()


def _plan(*scenarios: pbc.Scenario, n: int = 64, years: int = 3):
    options = SimulationOptions(n=n, years=years, seed=4)
    return build_plan(list(scenarios), [options.tally_keep()] * len(scenarios), options)


def test_simulated_budgets_keep_every_years_total() -> None:
    scn = pbc.Scenario.example(learning=LearningBudgets(k=3_000, years=2))
    plan = _plan(scn)
    policy = plan.policies[0]
    assert policy.learning is not None
    drawn = plan.sampler.pence_years(patients.Streams(plan.root), [0, 1, 2], 0, 64,
                                     [float(g) for g in plan.growth])
    outturns = [retained for retained, _ in drawn]
    budgets = [policy.learning.budgets(y, outturns[:y], policy.budget_pence[y])
               for y in range(3)]
    assert np.array_equal(budgets[0], policy.budget_pence[0])
    for y in (1, 2):
        assert budgets[y].shape == (64, 60)
        assert (budgets[y].sum(axis=1) == policy.budget_pence[y].sum()).all()
        assert not (budgets[y] == policy.budget_pence[y]).all()          # they learned
        # an overspend in the years before moves a practice's budget up, relative to others
        ratio = outturns[y - 1] / policy.learning.expected_pence[y - 1]
        share = budgets[y] / policy.budget_pence[y]
        assert np.corrcoef(ratio.ravel(), share.ravel())[0, 1] > 0.5


def test_formula_experience_is_taken_over_not_counted_twice() -> None:
    base = pbc.Scenario.example()
    pop = base.population
    years = ["2023", "2024"]
    size = pd.DataFrame({y: pop.list_size for y in years})
    expected = size * 900.0
    actual = expected * 1.0
    actual.loc["P001"] *= 1.3
    rating = ExperienceRating(actual=actual, expected=expected, list_size=size)
    scn = base.evolve(formula=base.formula.evolve(experience=rating),
                      learning=LearningBudgets(k=1e300))
    policy = _plan(scn).policies[0]
    without = _plan(base).policies[0]
    assert policy.learning is not None
    # the targets the step moves are the formula's without its experience step...
    assert np.array_equal(policy.learning.base_pence, without.budget_pence)
    # ...its history is counted instead, and the year's totals are the formula's
    assert policy.learning.history_weight.shape == (2, 60)
    assert (policy.learning.total_pence == policy.budget_pence.sum(axis=1)).all()


# --------------------------------------------------------------------------- results
def test_no_learning_is_todays_plan() -> None:
    scn = pbc.Scenario.example()
    assert scn.learning is None
    policy = _plan(scn).policies[0]
    assert policy.learning is None


def test_learning_shares_draws_with_the_formula_alone() -> None:
    base = pbc.Scenario.example()
    learn = base.evolve(name="learning", learning=LearningBudgets(k=2_000))
    a, b = run([base, learn], n=300, years=3, seed=5)
    assert np.array_equal(a.pool_pence, b.pool_pence)          # the same outturns
    first_a, first_b = a.tally.amount_sample[:, :, 0], b.tally.amount_sample[:, :, 0]
    assert np.array_equal(first_a, first_b)                     # year 1: the same budgets
    assert not np.array_equal(a.tally.amount_sample, b.tally.amount_sample)


def test_huge_k_is_the_formula_alone() -> None:
    base = pbc.Scenario.example()
    a, b = run([base, base.evolve(learning=LearningBudgets(k=1e300))], n=200, years=3,
               seed=2)
    for name in ("amount_sum", "net_sum", "freed_sum", "amount_squares", "commissioner",
                 "carried", "pool", "amount_sample", "net_sample", "loss_fractions"):
        assert np.array_equal(getattr(a.tally, name), getattr(b.tally, name)), name


def test_split_does_not_change_learning_results() -> None:
    scn = pbc.Scenario.example(learning=LearningBudgets(k=2_000, years=1))
    plan = _plan(scn, n=300)
    [whole] = simulate_range(plan, 0, 300)
    options = SimulationOptions(n=300, years=3, seed=4, chunk_size=7)
    [chunked] = simulate_range(build_plan([scn], [options.tally_keep()], options), 0, 300)
    assert np.array_equal(whole.amount_sum, chunked.amount_sum)
    assert np.array_equal(whole.commissioner, chunked.commissioner)


# --------------------------------------------------------------------------- the field
def test_scenario_file_round_trip_and_describe() -> None:
    scn = pbc.Scenario.example(learning=LearningBudgets(k=1234.5678901234567, years=2))
    assert pbc.Scenario.from_toml(scn.to_toml()) == scn
    assert pbc.Scenario.from_json(scn.to_json()) == scn
    assert "[learning]" in scn.to_toml()
    assert ("budgets learn in the simulation: k = 1,235 patient-years, last 2 years"
            in scn.describe())
    plain = pbc.Scenario.example()
    assert "learning" not in plain.to_toml()
    assert not any("learning" in line for line in plain.describe())
    every = pbc.Scenario.example(learning=LearningBudgets(k=5))
    assert pbc.Scenario.from_toml(every.to_toml()) == every
    assert "budgets learn in the simulation: k = 5 patient-years, every year" in \
        every.describe()


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "5000", True, None])
def test_bad_k_names_the_field(bad) -> None:
    with pytest.raises(ValidationError, match=r"^k: .*finite and > 0"):
        LearningBudgets(k=bad)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2", float("nan")])
def test_bad_years_names_the_field(bad) -> None:
    with pytest.raises(ValidationError, match=r"^years: must be a whole number >= 1"):
        LearningBudgets(k=100.0, years=bad)


@pytest.mark.parametrize(("text", "message"), [
    ("k = 0", r"\$\.learning\.k: .*> 0"),
    ("k = nan", r"\$\.learning\.k: .*> 0"),
    ("k = 100\nyears = 0", r"\$\.learning\.years: must be a whole number >= 1"),
    ("k = 100\nwindow = 2", r"\$\.learning\.window: unknown key"),
])
def test_bad_learning_in_a_file(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        pbc.Scenario.from_toml(pbc.Scenario.example().to_toml() + "\n[learning]\n" + text)


def test_learning_must_be_learning_budgets() -> None:
    with pytest.raises(ValidationError, match="learning: expected learning budgets"):
        pbc.Scenario.example(learning=5000)


# --------------------------------------------------------------------------- design
def test_design_sweeps_learning_k() -> None:
    from pbcmodel.design.space import parse_space
    scn = pbc.Scenario.example(learning=LearningBudgets(k=2_000))
    [param] = parse_space(scn, {"learning.k": (500.0, 50_000.0)})
    assert not param.driver
    table = pbc.sweep(scn, {"learning.k": [500.0, 50_000.0]}, n=100, years=2, seed=1,
                      progress=False)
    assert list(table.index) == [500.0, 50_000.0]
    assert not table.iloc[0].equals(table.iloc[1])


def test_design_optimises_learning_k() -> None:
    scn = pbc.Scenario.example(learning=LearningBudgets(k=2_000))
    design = pbc.design.optimise(scn, {"learning.k": (500.0, 50_000.0)},
                                 objective="commissioner_tvar95", n=100, years=2, seed=1,
                                 max_evaluations=8, replicates=2)
    assert 500.0 <= design.parameters["learning.k"] <= 50_000.0
    assert design.scenario.learning.k == design.parameters["learning.k"]


# --------------------------------------------------------------------------- misses
def test_misses_are_counted_against_each_simulations_learned_budget() -> None:
    from pbcmodel.scenario.tally import miss_margin
    scn = pbc.Scenario.example(learning=LearningBudgets(k=1_500, years=2))
    res = scn.simulate(n=150, years=3, seed=8, keep="full")
    assert res.tally.budgets_vary
    outturn = res.outturn_pence.astype(np.int64)                    # (S, P, Y)
    policy = _plan(scn, n=150).policies[0]
    assert policy.learning is not None
    over = np.zeros(60, dtype=np.int64)
    under = np.zeros(60, dtype=np.int64)
    for y in range(3):
        earlier = [outturn[:, :, e] for e in range(y)]
        budget = np.broadcast_to(policy.learning.budgets(y, earlier, policy.budget_pence[y]),
                                 (150, 60))
        margin = miss_margin(budget, np.array([0.10]))[0]
        over += (outturn[:, :, y] > budget + margin).sum(axis=0)
        under += (outturn[:, :, y] < budget - margin).sum(axis=0)
    misses = res.outturn_misses(0.10)
    assert np.array_equal(misses["over"].to_numpy(), over / 450)
    assert np.array_equal(misses["under"].to_numpy(), under / 450)


# --------------------------------------------------------------------------- the effect
def test_experience_rating_lowers_misses_when_effects_persist_and_not_when_not() -> None:
    from pbcmodel.risk.effects import PracticeEffects
    shares = {}
    for persistence in (0.9, 0.0):
        base = pbc.Scenario.example(
            practice_effects=PracticeEffects(sd=0.10, persistence=persistence))
        learn = base.evolve(name="learning", learning=LearningBudgets(k=2_000))
        a, b = run([base, learn], n=300, years=3, seed=3)
        # the first year's budgets are the same, so the difference is the later years'
        shares[persistence] = [float(r.outturn_misses(0.10).sum(axis=1).mean())
                               for r in (a, b)]
    formula, learned = shares[0.9]
    assert learned < formula - 0.05           # persistent effects: learning follows them
    formula, learned = shares[0.0]
    assert learned > formula - 0.01           # no persistence: nothing to learn
