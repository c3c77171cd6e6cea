"""Experience rating as a named step of CapitationFormula: budgets, explain, pace, scenario."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel import CapitationFormula, PaceOfChange, Population, ValidationError
from pbcmodel.codes import AGE_BANDS, SEXES
from pbcmodel.credibility import ExperienceRating
from pbcmodel.money import allocate_pennies

YEARS = ["2024", "2025"]


def simple_weights() -> pd.DataFrame:
    """£100 elective + £50 prescribing per head under 65; £300 + £200 from 65."""
    idx = pd.MultiIndex.from_product([AGE_BANDS, SEXES], names=["age_band", "sex"])
    old = np.array([AGE_BANDS.index(b) >= 13 for b, _ in idx])
    return pd.DataFrame({"elective": np.where(old, 300.0, 100.0),
                         "prescribing": np.where(old, 200.0, 50.0)}, index=idx)


def three_practices() -> Population:
    return Population.from_frame(pd.DataFrame({
        "practice": ["A", "B", "C"], "consortium": ["N", "N", "S"],
        "age_band": ["0_4", "70_74", "0_4"], "sex": ["F", "M", "M"],
        "patients": [10, 10, 20]}))


def hand_history(high_cost: bool = False) -> ExperienceRating:
    """A and B have two years of history; C is new (no spend in either year)."""
    expected = pd.DataFrame([[1000.0, 1000.0], [1000.0, 1000.0], [np.nan, np.nan]],
                            index=["A", "B", "C"], columns=YEARS)
    actual = pd.DataFrame([[1100.0, 1300.0], [900.0, 700.0], [np.nan, np.nan]],
                          index=expected.index, columns=YEARS)
    size = pd.DataFrame([[10.0, 10.0], [10.0, 10.0], [20.0, 20.0]],
                        index=expected.index, columns=YEARS)
    excess = None
    if high_cost:   # A's 2025 includes £200 above the high-cost threshold: not its experience
        actual.loc["A", "2025"] += 200.0
        excess = actual * 0.0
        excess.loc["A", "2025"] = 200.0
    return ExperienceRating(actual=actual, expected=expected, list_size=size, high_cost=excess)


def hand_formula(**changes) -> CapitationFormula:
    f = CapitationFormula(weights=simple_weights(), top_slices={"contingency": 0.10},
                          needs=pd.Series({"A": 1.0, "B": 1.2, "C": 1.0}),
                          experience=hand_history())
    return f.evolve(**changes)


# Fair shares (tests/test_capitation.py): A 2,700, B 10,800, C 5,400 (total 18,900).
# History, ratios actual/expected with weight 10 a year:
#   A 1.1, 1.3 → x̄_A = 1.2, w_A = 20;  B 0.9, 0.7 → x̄_B = 0.8, w_B = 20;  C none (z = 0)
#   s² = 10 × (0.1² + 0.1² + 0.1² + 0.1²) / (1 + 1) = 0.2
#   x̄ = (20 × 1.2 + 20 × 0.8) / 40 = 1.0
#   a = (20 × 0.2² + 20 × 0.2² − (2 − 1) × 0.2) / (40 − (20² + 20²) / 40) = 1.4 / 20 = 0.07
#   k = 0.2 / 0.07 = 20/7;  z_A = z_B = 20 / (20 + 20/7) = 7/8;  μ̂ = (7/8·1.2 + 7/8·0.8)/(7/4) = 1
#   factor A = 7/8 × 1.2 + 1/8 = 1.175;  B = 7/8 × 0.8 + 1/8 = 0.825;  C = 1
#   raw = 2,700 × 1.175 + 10,800 × 0.825 + 5,400 = 3,172.5 + 8,910 + 5,400 = 17,482.5
#   scale = 18,900 / 17,482.5 = 40/37
#   budgets: A = 3,172.5 × 40/37 = 126,900/37;  B = 356,400/37;  C = 216,000/37 (sum 18,900)
HAND = {"A": Fraction(126_900, 37), "B": Fraction(356_400, 37), "C": Fraction(216_000, 37)}


def test_hand_computed_experience_step():
    b = hand_formula().budgets(three_practices(), resource=21_000)
    assert b["total"].to_dict() == pytest.approx({k: float(v) for k, v in HAND.items()},
                                                 rel=1e-12)
    assert b["total"].sum() == 18_900.0                     # the total is kept exactly
    # every POD of a practice scaled alike: A's split stays 2:1 (its weights 100 : 50)
    assert b.loc["A", "elective"] == pytest.approx(float(HAND["A"] * 2 / 3), rel=1e-12)
    assert b.loc["A", "prescribing"] == pytest.approx(float(HAND["A"] / 3), rel=1e-12)
    table = hand_formula().experience_table(three_practices(), 21_000)
    assert table["z"].tolist() == pytest.approx([7 / 8, 7 / 8, 0.0], rel=1e-12)
    assert table["factor"].tolist() == pytest.approx([1.175, 0.825, 1.0], rel=1e-12)
    assert table.attrs["scale"] == pytest.approx(40 / 37, rel=1e-12)


def test_high_cost_excess_is_not_the_practices_experience():
    # the same history with £200 of A's 2025 spend above the threshold gives the same budgets
    with_excess = hand_formula(experience=hand_history(high_cost=True))
    np.testing.assert_allclose(with_excess.budgets(three_practices(), 21_000)["total"],
                               [float(v) for v in HAND.values()], rtol=1e-12)
    e = with_excess.explain(three_practices(), "A", 21_000)
    assert "high-cost excess removed" in e.set_index("step").loc["experience ratio",
                                                                 "description"]


def test_explain_shows_ratio_z_k_and_the_adjustment_in_pounds():
    e = hand_formula().explain(three_practices(), "A", resource=21_000).set_index("step")
    assert e.loc["experience ratio", "value"] == pytest.approx(1.2)
    assert e.loc["commissioner's ratio", "value"] == pytest.approx(1.0)
    assert e.loc["credibility z", "value"] == pytest.approx(7 / 8)
    assert e.loc["credibility z", "description"] == (
        "w / (w + k) with w = 20 patient-years of history and k = s²/a = 0.2 / 0.07 = 3 "
        "patient-years")
    assert e.loc["credibility adjustment", "description"].endswith(
        "= target × 0.8750 × +0.2000")
    # credibility: 2,700 × (1.175 − 1) = 472.5; rescale: 126,900/37 − 2,700 − 472.5
    assert e.loc["credibility adjustment", "amount"] == pytest.approx(472.5)
    assert e.loc["rescale to keep the total", "amount"] == pytest.approx(
        float(HAND["A"] - Fraction(2700) - Fraction(945, 2)))
    assert e.loc["experience-rated target", "value"] == pytest.approx(float(HAND["A"]))
    adjustments = e.loc[e.kind == "adjustment", "amount"]
    assert adjustments.sum() == pytest.approx(e.loc["final budget", "amount"], abs=0.005)


def test_explain_a_new_practice_says_it_has_no_history():
    e = hand_formula().explain(three_practices(), "C", resource=21_000).set_index("step")
    assert e.loc["credibility z", "value"] == 0.0
    assert "no spend history: z = 0" in e.loc["credibility z", "description"]
    assert "experience ratio" not in e.index
    # the formula alone, then rescaled with everyone: 5,400 × (40/37 − 1) = 5,400 × 3/37
    assert e.loc["credibility adjustment", "amount"] == 0.0
    assert e.loc["rescale to keep the total", "amount"] == pytest.approx(5400 * 3 / 37)
    assert e.loc["final budget", "amount"] == pytest.approx(float(HAND["C"]))


def test_pace_limits_the_move_from_last_year_to_the_experience_rated_target():
    # last year A 3,000, B 10,000, C 5,900 (total 18,900); cash limits +5% / −2%.
    # targets after experience: A 126,900/37 ≈ 3,429.73 (wants +14%: capped at 3,150),
    # B 356,400/37 ≈ 9,632.43, C 216,000/37 ≈ 5,837.84.
    # budget = clip(target + c × last year): B and C free, so
    #   356,400/37 + 10,000c + 216,000/37 + 5,900c = 18,900 − 3,150 = 15,750
    #   15,900c = 15,750 − 572,400/37 = 10,350/37  →  c = 10,350 / (37 × 15,900)
    #   B = 356,400/37 + 10,000c ≈ 9,808.36 (above its floor 9,800), C = 216,000/37 + 5,900c
    historic = pd.Series({"A": 3000.0, "B": 10_000.0, "C": 5900.0})
    f = hand_formula(pace=PaceOfChange(max_gain=0.05, max_loss=0.02))
    c = Fraction(10_350, 37 * 15_900)
    want = {"A": 3150.0, "B": float(HAND["B"] + 10_000 * c), "C": float(HAND["C"] + 5900 * c)}
    got = f.budgets(three_practices(), 21_000, historic)["total"]
    assert got.to_dict() == pytest.approx(want, rel=1e-12)
    e = f.explain(three_practices(), "A", 21_000, historic).set_index("step")
    assert e.loc["pace-of-change adjustment", "amount"] == pytest.approx(3150 - float(HAND["A"]))
    assert e.loc[e.kind == "adjustment", "amount"].sum() == pytest.approx(3150.0, abs=0.005)


def test_experience_must_list_exactly_the_populations_practices():
    history = hand_history()
    pop = three_practices()
    two = pop.subset(["A", "B"])
    with pytest.raises(ValidationError, match=r"experience: unknown practice code\(s\) 'C'"):
        hand_formula(needs=1.0).budgets(two, 21_000)
    short = ExperienceRating(actual=history.actual.loc[["A", "B"]],
                             expected=history.expected.loc[["A", "B"]],
                             list_size=history.list_size.loc[["A", "B"]])
    with pytest.raises(ValidationError, match=r"experience: missing practice code\(s\) 'C'.*"
                                              r"new practice"):
        hand_formula(experience=short).explain(pop, "A", 21_000)
    with pytest.raises(ValidationError, match="experience: expected an ExperienceRating"):
        hand_formula(experience=history.actual)
    with pytest.raises(ValidationError, match="no experience step"):
        hand_formula(experience=None).experience_table(pop, 21_000)


def test_describe_names_the_step():
    lines = hand_formula().describe()
    assert any(line.startswith("experience rating: 3 practices × 2 years of history "
                               "(1 without), k = 2.86 patient-years, z 0.88 to 0.88")
               for line in lines)
    assert "experience rating: none (the formula alone)" in hand_formula(
        experience=None).describe()


# ------------------------------------------------------------------ properties

@st.composite
def histories(draw, identical: bool = False):
    """A population of 2-8 practices and a positive history for it (some years missing)."""
    n = draw(st.integers(2, 8))
    n_years = draw(st.integers(2, 4))
    sizes = draw(st.lists(st.integers(50, 20_000), min_size=n, max_size=n))
    bands = draw(st.lists(st.sampled_from(AGE_BANDS), min_size=n, max_size=n))
    codes = [f"P{i}" for i in range(n)]
    pop = Population.from_frame(pd.DataFrame({
        "practice": codes, "consortium": "N", "age_band": bands, "sex": "F",
        "patients": sizes}))
    years = [str(2020 + j) for j in range(n_years)]
    ratio_rows = st.lists(st.floats(0.3, 3.0), min_size=n_years, max_size=n_years)
    if identical:   # every practice the same ratio each year: no credibility anywhere
        ratios = np.array([draw(ratio_rows)] * n)
    else:
        ratios = np.array(draw(st.lists(ratio_rows, min_size=n, max_size=n)))
        gaps = np.array(draw(st.lists(st.lists(st.booleans(), min_size=n_years,
                                               max_size=n_years), min_size=n, max_size=n)))
        gaps[:2, :] = False           # at least two practices with full history
        ratios = np.where(gaps, np.nan, ratios)
    per_head = draw(st.floats(100.0, 5000.0))
    size = pd.DataFrame(np.repeat(np.array(sizes, float)[:, None], n_years, axis=1),
                        index=codes, columns=years)
    expected = size * per_head
    actual = expected * ratios
    return pop, ExperienceRating(actual=actual, expected=expected, list_size=size)


RESOURCES = st.floats(1e4, 1e9)


@settings(max_examples=80, deadline=None)
@given(histories(), RESOURCES, st.floats(0.0, 0.2))
def test_experience_keeps_the_total_exactly_in_pence(case, resource, slice_):
    pop, history = case
    plain = CapitationFormula(weights=simple_weights(), top_slices={"pool": slice_})
    rated = plain.evolve(experience=history)
    before = plain.budgets(pop, resource)["total"]
    after = rated.budgets(pop, resource)["total"]
    assert after.to_numpy().sum() == before.to_numpy().sum()        # exactly, in pounds
    assert allocate_pennies(after.to_numpy()).sum() == allocate_pennies(
        before.to_numpy()).sum()                                   # and so in pence
    assert (after > 0).all()


@settings(max_examples=60, deadline=None)
@given(histories(identical=True), RESOURCES)
def test_zero_credibility_leaves_the_formula_budget_unchanged(case, resource):
    pop, history = case
    assert (history.credibility().z == 0).all()
    plain = CapitationFormula(weights=simple_weights())
    before = plain.budgets(pop, resource)
    after = plain.evolve(experience=history).budgets(pop, resource)
    pd.testing.assert_frame_equal(after, before, check_exact=True)
    e = plain.evolve(experience=history).explain(pop, pop.codes[0], resource).set_index("step")
    assert "k = s²/a is infinite" in e.loc["credibility z", "description"]
    assert e.loc["credibility adjustment", "amount"] == 0.0
    assert e.loc["rescale to keep the total", "amount"] == 0.0


def test_experience_rating_pickles_with_its_fit():
    import pickle

    history = hand_history(high_cost=True)
    back = pickle.loads(pickle.dumps(history))
    assert back == history
    assert back.credibility() == history.credibility()
    assert hand_formula(experience=back) == hand_formula(experience=history)


@settings(max_examples=60, deadline=None)
@given(histories(), RESOURCES, st.data())
def test_explain_lines_add_up_to_the_budget_to_the_penny(case, resource, data):
    pop, history = case
    f = CapitationFormula(weights=simple_weights(), experience=history)
    practice = data.draw(st.sampled_from(list(pop.codes)))
    e = f.explain(pop, practice, resource)
    budget = f.budgets(pop, resource).loc[practice, "total"]
    assert e["amount"].iloc[-1] == budget
    assert abs(e.loc[e.kind == "adjustment", "amount"].sum() - budget) < 0.005
    z = e.set_index("step").loc["credibility z", "value"]
    assert z == pytest.approx(history.credibility().z.get(practice, 0.0))


def test_scenario_explain_shows_the_experience_lines():
    pop = pbc.datasets.example_population()
    size = pd.DataFrame({y: pop.list_size.astype(float) for y in YEARS})
    rng = np.random.default_rng(5)
    expected = size * 900.0
    actual = expected * rng.normal(1.0, 0.05, size.shape)
    formula = CapitationFormula(weights=pbc.datasets.example_cost_weights(),
                                experience=ExperienceRating(actual=actual, expected=expected,
                                                            list_size=size))
    scn = pbc.Scenario(population=pop, formula=formula, resource=510e6)
    steps = scn.explain("P001")["step"].tolist()
    for step in ["experience ratio", "credibility z", "credibility adjustment",
                 "rescale to keep the total", "experience-rated target"]:
        assert step in steps
    assert scn.budgets()["total"].sum() == formula.evolve(experience=None).budgets(
        pop, 510e6)["total"].sum()
    assert scn.evolve(**{"formula.experience": None}).formula.experience is None
