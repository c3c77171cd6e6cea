import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel import ValidationError
from pbcmodel.codes import AGE_BANDS, PODS, SEXES
from pbcmodel.datasets import example_cost_model, example_cost_weights
from pbcmodel.risk.costmodel import CostModel


def one_row(**overrides):
    row = {"age_band": "30_34", "sex": "F", "pod": "ae", "p_use": 0.5, "mean": 100.0, "cv": 1.0}
    row.update(overrides)
    return pd.DataFrame([row])


def test_example_model_matches_cost_weights():
    model = example_cost_model()
    # weight = p_use × mean, cell by cell
    np.testing.assert_allclose(model.weights().to_numpy(), example_cost_weights().to_numpy(),
                               rtol=1e-12)
    p = model.table["p_use"].unstack("pod")
    assert (p["prescribing"] > p["elective"]).all()  # prescribing common, elective rare
    assert (model.table["cv"].between(1.0, 3.0)).all()


def test_from_frame_round_trip_and_family():
    model = example_cost_model()
    again = CostModel.from_frame(model.to_frame(), family="gamma")
    assert again.family == "gamma"
    pd.testing.assert_frame_equal(again.table, model.table)


def test_partial_frame_fills_unused_cells_with_zero_use():
    model = CostModel.from_frame(one_row(), complete=False)
    assert model.table["p_use"].sum() == 0.5          # only the listed cell is used
    assert model.table.loc[("0_4", "M", "elective"), "p_use"] == 0.0


def test_patient_moments_hand_computed():
    # one POD used: p = 0.5, mean 100, cv 1 → E[X] = 0.5 × 100 = 50;
    # E[X²] = p·m²(1 + cv²) = 0.5 × 10,000 × 2 = 10,000 → Var = 10,000 − 50² = 7,500
    model = CostModel.from_frame(one_row(), complete=False)
    mean, var = model.patient_moments()
    cell = AGE_BANDS.index("30_34") * len(SEXES)
    assert mean[cell] == pytest.approx(50.0)
    assert var[cell] == pytest.approx(7500.0)


@pytest.mark.parametrize("family", ["lognormal", "gamma"])
def test_raw_moments_second_moment_is_mean_squared_times_one_plus_cv_squared(family):
    model = CostModel.from_frame(example_cost_model().to_frame(), family=family)
    _, m, cv = model.arrays
    np.testing.assert_allclose(model.raw_moments(2), m**2 * (1 + cv**2), rtol=1e-12)


@pytest.mark.parametrize(("overrides", "match"), [
    ({"p_use": 1.5}, "p_use must be in"),
    ({"p_use": -0.1}, "p_use must be in"),
    ({"mean": 0.0}, "mean must be > 0"),
    ({"cv": -1.0}, "cv must be > 0"),
    ({"p_use": np.nan}, "p_use is missing"),
    ({"mean": np.nan}, "mean is missing"),
    ({"pod": "dentist"}, "unknown pod 'dentist'"),
    ({"age_band": "100+"}, "unknown age_band"),
])
def test_bad_rows_name_the_culprit(overrides, match):
    with pytest.raises(ValidationError, match=match):
        CostModel.from_frame(one_row(**overrides), complete=False)


def test_missing_band_or_pod_is_an_error():
    df = example_cost_model().to_frame()
    df = df[~((df["age_band"] == "95+") & (df["pod"] == "community"))]
    culprit = r"no row for age_band/sex/pod \('95\+', 'F', 'community'\)"
    with pytest.raises(ValidationError, match=culprit):
        CostModel.from_frame(df)


def test_duplicates_missing_columns_and_family():
    with pytest.raises(ValidationError, match="duplicate rows"):
        CostModel.from_frame(pd.concat([one_row(), one_row()]), complete=False)
    with pytest.raises(ValidationError, match="missing column.*'cv'"):
        CostModel.from_frame(one_row().drop(columns="cv"), complete=False)
    with pytest.raises(ValidationError, match="family"):
        CostModel.from_frame(one_row(), family="pareto", complete=False)


def patient_costs(n_per_cell, rng):
    rows = pd.DataFrame([(b, s) for b in AGE_BANDS for s in SEXES] * n_per_cell,
                        columns=["age_band", "sex"])
    for pod in PODS:
        used = rng.random(len(rows)) < 0.3
        rows[pod] = np.where(used, rng.lognormal(np.log(500), 0.8, len(rows)), 0.0)
    return rows


def test_fit_recovers_use_mean_and_cv():
    rng = np.random.default_rng(0)
    model = CostModel.fit(patient_costs(2000, rng))
    # true p_use 0.3, mean 500·exp(0.32) = 688.6, cv sqrt(exp(0.64) − 1) = 0.947
    t = model.table
    assert t["p_use"].mean() == pytest.approx(0.3, abs=0.005)
    assert t["mean"].mean() == pytest.approx(500 * np.exp(0.32), rel=0.02)
    assert t["cv"].median() == pytest.approx(np.sqrt(np.expm1(0.64)), rel=0.05)


def test_fit_bad_input_names_the_culprit():
    rng = np.random.default_rng(1)
    costs = patient_costs(5, rng)
    bad = costs.copy()
    bad.loc[3, "ae"] = -1.0
    with pytest.raises(ValidationError, match="'ae' at row"):
        CostModel.fit(bad)
    bad = costs.copy()
    bad.loc[4, "community"] = np.nan
    with pytest.raises(ValidationError, match="'community'"):
        CostModel.fit(bad)
    few = costs.copy()
    few.loc[few["age_band"] == "0_4", "elective"] = 0.0
    with pytest.raises(ValidationError, match=r"fewer than two positive costs.*'0_4'"):
        CostModel.fit(few)
    with pytest.raises(ValidationError, match="no patients in age_band/sex"):
        CostModel.fit(costs[costs["age_band"] != "95+"])


@settings(max_examples=25, deadline=None)
@given(p=st.floats(0.0, 1.0), mean=st.floats(1.0, 1e5), cv=st.floats(0.05, 4.0))
def test_weight_is_use_times_mean(p, mean, cv):
    model = CostModel.from_frame(one_row(p_use=p, mean=mean, cv=cv), complete=False)
    assert model.weights().loc[("30_34", "F"), "ae"] == pytest.approx(p * mean)
