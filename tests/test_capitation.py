import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel import CapitationFormula, PaceOfChange, Population, ValidationError
from pbcmodel.capitation import pace_of_change
from pbcmodel.codes import AGE_BANDS, SEXES


def simple_weights():
    """£100 elective + £50 prescribing per head under 65; £300 + £200 from 65."""
    idx = pd.MultiIndex.from_product([AGE_BANDS, SEXES], names=["age_band", "sex"])
    old = np.array([AGE_BANDS.index(b) >= 13 for b, _ in idx])
    return pd.DataFrame({"elective": np.where(old, 300.0, 100.0),
                         "prescribing": np.where(old, 200.0, 50.0)}, index=idx)


def three_practices():
    return Population.from_frame(pd.DataFrame({
        "practice": ["A", "B", "C"], "consortium": ["N", "N", "S"],
        "age_band": ["0_4", "70_74", "0_4"], "sex": ["F", "M", "M"],
        "patients": [10, 10, 20]}))


def test_hand_computed_three_practice_budget():
    # weighted: A = 10 × (100 + 50) = 1,500; B = 10 × (300 + 200) = 5,000; C = 20 × 150 = 3,000
    # needs: B × 1.2 → 6,000; adjusted total = 1,500 + 6,000 + 3,000 = 10,500
    # devolved = 21,000 × (1 − 0.10) = 18,900
    # A = 18,900 × 1,500 / 10,500 = 2,700; B = 18,900 × 6,000 / 10,500 = 10,800; C = 5,400
    # A's POD split follows its weights: elective 2,700 × 1,000/1,500 = 1,800, prescribing 900
    f = CapitationFormula(weights=simple_weights(), top_slices={"contingency": 0.10},
                          needs=pd.Series({"A": 1.0, "B": 1.2, "C": 1.0}))
    b = f.budgets(three_practices(), resource=21_000)
    assert b["total"].to_dict() == pytest.approx({"A": 2700, "B": 10800, "C": 5400})
    assert b.loc["A", "elective"] == pytest.approx(1800)
    assert b.loc["A", "prescribing"] == pytest.approx(900)


def test_explain_adds_up_and_matches_budget():
    f = CapitationFormula(weights=simple_weights(), top_slices={"contingency": 0.10},
                          mff=pd.Series({"A": 1.0, "B": 1.2, "C": 1.0}))
    e = f.explain(three_practices(), "B", resource=21_000)
    adjustments = e.loc[e.kind == "adjustment", "amount"]
    # share of resource 21,000 × 6/10.5 = 12,000, less top-slice 2,100 × 6/10.5 = 1,200
    assert adjustments.tolist() == pytest.approx([12_000, -1_200])
    assert adjustments.sum() == pytest.approx(e["amount"].iloc[-1])
    assert e.loc[e.step == "list size", "value"].item() == 10
    assert e.loc[e.step == "market forces factor", "value"].item() == 1.2


def test_explain_with_historic_and_pace():
    pop = pbc.datasets.example_population()
    historic = pbc.datasets.example_historic_budgets()
    # max_gain 5% (was 3%): the default cash limits against last year's budget must fund
    # the 3.1% larger resource (510e6 vs historic 494.7e6); 3% could not
    f = CapitationFormula(weights=pbc.datasets.example_cost_weights(), historic_blend=0.25,
                          pace=PaceOfChange(max_gain=0.05, max_loss=0.01))
    budgets = f.budgets(pop, 510e6, historic)
    for practice in ["P001", "P030"]:
        e = f.explain(pop, practice, 510e6, historic)
        assert e.loc[e.kind == "adjustment", "amount"].sum() == pytest.approx(
            budgets.loc[practice, "total"], rel=1e-12)
        assert "pace-of-change adjustment" in e.step.tolist()


def test_pace_of_change_hand_example():
    # A wants +10% but is capped at +5% (105); C wants −10% but is held at −2% (98).
    # That costs 105 + 98 − 110 − 90 = +3, found equally from B and D: 100 − 1.5 = 98.5.
    h = pd.Series({"A": 100.0, "B": 100.0, "C": 100.0, "D": 100.0})
    t = pd.Series({"A": 110.0, "B": 100.0, "C": 90.0, "D": 100.0})
    out = pace_of_change(h, t, max_gain=0.05, max_loss=0.02)
    assert out.tolist() == pytest.approx([105, 98.5, 98, 98.5])


def test_pace_of_change_infeasible_in_cash():
    # rescale=False is now the default relative_to="last_year"; rescale=True is "average_uplift"
    h = pd.Series({"A": 100.0, "B": 100.0})
    t = pd.Series({"A": 150.0, "B": 150.0})  # +50% needed, +5% allowed
    with pytest.raises(ValidationError, match="cannot reach this year's total £300.00"):
        pace_of_change(h, t, 0.05, 0.02)
    assert pace_of_change(h, t, 0.05, 0.02, relative_to="average_uplift").sum() == (
        pytest.approx(300))


money = st.floats(min_value=1e3, max_value=1e7, allow_nan=False)


@given(st.lists(st.tuples(money, money), min_size=2, max_size=30),
       st.floats(0, 0.2), st.floats(0, 0.2))
def test_pace_of_change_properties(pairs, gain, loss):
    h = pd.Series([p[0] for p in pairs])
    t = pd.Series([p[1] for p in pairs])
    tol = 1e-9 * t.sum()
    for basis, base in [("average_uplift", h * t.sum() / h.sum()), ("last_year", h)]:
        if basis == "last_year" and not (
                h.sum() * (1 - loss) <= t.sum() <= h.sum() * (1 + gain)):
            with pytest.raises(ValidationError, match="cannot reach"):
                pace_of_change(h, t, gain, loss, relative_to=basis)
            continue
        out = pace_of_change(h, t, gain, loss, relative_to=basis)
        assert out.sum() == pytest.approx(t.sum(), rel=1e-9)
        assert (out <= base * (1 + gain) + tol).all()
        assert (out >= base * (1 - loss) - tol).all()
    # wide limits reach the target exactly
    wide = pace_of_change(h, t, 1e6, 0.999999)
    np.testing.assert_allclose(wide, t, rtol=1e-9, atol=1e-6)


@st.composite
def populations(draw):
    n = draw(st.integers(2, 12))
    sizes = draw(st.lists(st.integers(0, 5000), min_size=n * 3, max_size=n * 3))
    rows = []
    for i in range(n):
        for j, (band, sex) in enumerate([("0_4", "F"), ("40_44", "M"), ("85_89", "F")]):
            rows.append((f"P{i}", f"C{i % 2}", band, sex, sizes[3 * i + j]))
    df = pd.DataFrame(rows, columns=["practice", "consortium", "age_band", "sex", "patients"])
    df.loc[0, "patients"] += 1  # at least one patient
    return Population.from_frame(df)


@given(populations(), st.floats(1e5, 1e9),
       st.dictionaries(st.sampled_from(["reserve", "pool", "contingency"]), st.floats(0, 0.3)))
def test_budgets_sum_to_resource_less_top_slices(pop, resource, slices):
    f = CapitationFormula(weights=pbc.datasets.example_cost_weights(), top_slices=slices)
    b = f.budgets(pop, resource)
    expected = resource * (1 - sum(slices.values()))
    assert b["total"].sum() == pytest.approx(expected, rel=1e-9)
    assert b.drop(columns="total").sum(axis=1).to_numpy() == pytest.approx(b["total"].to_numpy())


@given(populations(), st.integers(1, 3000), st.sampled_from(["0_4", "40_44", "85_89"]))
def test_budget_monotone_in_list_size(pop, extra, band):
    f = CapitationFormula(weights=pbc.datasets.example_cost_weights())
    df = pop.to_frame()
    df.loc[len(df)] = ["P0", pop.hierarchy.loc["P0", "consortium"], "ALL", band, "F", 0]
    df = df.groupby(["practice", "consortium", "commissioner", "age_band", "sex"],
                    as_index=False)["patients"].sum()
    df.loc[(df.practice == "P0") & (df.age_band == band) & (df.sex == "F"), "patients"] += extra
    bigger = Population.from_frame(df)
    # with the same resource, a practice with more patients never gets a smaller budget
    resource = 1000.0 * pop.list_size.sum()
    before = f.budgets(pop, resource)["total"]["P0"]
    after = f.budgets(bigger, resource)["total"]["P0"]
    assert after >= before * (1 - 1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"top_slices": {"a": 0.6, "b": 0.4}}, "top_slices: fractions sum to 1"),
        ({"top_slices": {"a": -0.1}}, r"top_slices\['a'\]"),
        ({"historic_blend": 1.5}, "historic_blend"),
        ({"mff": 0.0}, r"mff: must be a multiplier > 0 and at most 100 \(1 is the average\), "
                        r"got 0\.0"),
        ({"needs": pd.Series({"A": np.nan})}, "needs: NaN"),
    ],
)
def test_formula_bad_input(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        CapitationFormula(weights=simple_weights(), **kwargs)


def test_weights_missing_band_and_negative():
    w = simple_weights()
    with pytest.raises(ValidationError, match=r"missing age_band/sex cell.*'95\+', 'M'"):
        CapitationFormula(weights=w.drop(index=("95+", "M")))
    w.loc[("5_9", "F"), "elective"] = -1
    with pytest.raises(ValidationError, match=r"\('5_9', 'F'\) / 'elective'"):
        CapitationFormula(weights=w)


def test_budget_bad_resource_and_historic():
    f = CapitationFormula(weights=simple_weights(), pace=PaceOfChange(0.05, 0.02))
    pop = three_practices()
    with pytest.raises(ValidationError, match="resource: must be > 0"):
        f.budgets(pop, 0)
    with pytest.raises(ValidationError, match="historic: unknown practice code.*'Z'"):
        f.budgets(pop, 1e4, historic=pd.Series({"A": 1.0, "B": 1.0, "C": 1.0, "Z": 1.0}))
    with pytest.raises(ValidationError, match="historic: missing practice code.*'C'"):
        f.budgets(pop, 1e4, historic=pd.Series({"A": 1.0, "B": 1.0}))
    with pytest.raises(ValidationError, match="needs: missing practice code.*'C'"):
        f.evolve(needs=pd.Series({"A": 1.0, "B": 1.0})).budgets(pop, 1e4)
    with pytest.raises(ValidationError, match="practice: unknown practice code 'Q'"):
        f.explain(pop, "Q", 1e4)
    with pytest.raises(ValidationError, match="max_loss"):
        PaceOfChange(max_gain=0.1, max_loss=1.0)


def test_formula_is_frozen_value_object():
    f = CapitationFormula(weights=simple_weights(), top_slices={"x": 0.1})
    assert f == CapitationFormula(weights=simple_weights(), top_slices={"x": 0.1})
    assert f != f.evolve(top_slices={"x": 0.2})
    with pytest.raises(AttributeError):
        f.historic_blend = 0.5


# ------------------------------------------------------------------ bad input (issue 13)
@pytest.mark.parametrize("field", ["needs", "mff"])
@pytest.mark.parametrize("value", [1e308, 100.5, 0.0, -1.0])
def test_a_needs_index_or_mff_out_of_range_is_refused(field, value):
    with pytest.raises(ValidationError, match=rf"^{field}: must be a multiplier > 0 and at most "
                                              r"100 \(1 is the average\), got "):
        CapitationFormula(weights=simple_weights(), **{field: value})
    per = pd.Series({"A": 1.0, "B": value, "C": 1.0})
    with pytest.raises(ValidationError, match=rf"^{field}: must be a multiplier .*practice\(s\) "
                                              rf"'B' have {re.escape(repr(value))}$"):
        CapitationFormula(weights=simple_weights(), **{field: per})
    with pytest.raises(ValidationError, match=rf"^{field}: must be a multiplier"):
        pbc.capitation.adjust(pd.DataFrame({"ae": [1.0, 2.0, 3.0]}, index=list("ABC")),
                              **{field: per})


def test_multipliers_at_the_bounds_give_budgets_that_add_up():
    f = CapitationFormula(weights=simple_weights(), needs=pd.Series({"A": 100.0, "B": 1e-3,
                                                                    "C": 1.0}), mff=100.0)
    b = f.budgets(three_practices(), 1e6)
    assert b["total"].sum() == pytest.approx(1e6, rel=1e-12) and (b["total"] > 0).all()


def test_cost_weights_too_large_are_refused_in_pounds_per_head():
    w = simple_weights()
    w.loc[("70_74", "M"), "elective"] = 1e308        # the weighted list would overflow
    with pytest.raises(ValidationError, match=r"^weights: value for \('70_74', 'M'\) / "
                                              r"'elective' must be a finite number of pounds "
                                              r"per head >= 0 and at most £9,223,372,036\.85 "
                                              r".*got 1e\+308$"):
        CapitationFormula(weights=w)
    w.loc[("70_74", "M"), "elective"] = pbc.capitation.steps.MAX_WEIGHT   # the limit is fine
    b = CapitationFormula(weights=w).budgets(three_practices(), 1e6)
    assert b["total"].sum() == pytest.approx(1e6, rel=1e-12)


def test_a_scenario_file_names_the_multiplier_by_its_key_path():
    base = ('resource = 510e6\npopulation = {dataset = "example"}\n[formula]\n'
            'weights = {dataset = "example"}\n')
    with pytest.raises(pbc.ConfigError, match=r"^\$\.formula\.needs: must be a multiplier > 0 "
                                              r"and at most 100 .*got 1e\+308$"):
        pbc.Scenario.from_toml(base + "needs = 1e308\n")
    with pytest.raises(pbc.ConfigError, match=r"^\$\.formula\.mff: .*practice\(s\) 'P001' have "
                                              r"1e\+300$"):
        pbc.Scenario.from_toml(base + "[formula.mff]\nP001 = 1e300\n")
