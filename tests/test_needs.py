"""Needs formula fitted from person-level costs (pbcmodel.needs) and its synthetic data."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from pbcmodel.codes import AGE_BANDS, PODS, SEXES
from pbcmodel.datasets.persons import (
    CONDITIONS,
    synthetic_persons,
    synthetic_persons_truth,
)
from pbcmodel.errors import MissingDependencyError, ValidationError
from pbcmodel.needs import fit_needs_model
from pbcmodel.risk.costmodel import CostModel

INDICATORS = [*CONDITIONS, "deprived"]


# ------------------------------------------------------------------ the synthetic data

def test_synthetic_persons_is_reproducible_and_well_formed():
    a = synthetic_persons(20_000, seed=5, n_practices=7)
    b = synthetic_persons(20_000, seed=5, n_practices=7)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(synthetic_persons(20_000, seed=6, n_practices=7))
    assert list(a.columns) == ["practice", "age_band", "sex", *INDICATORS, *PODS]
    assert a["practice"].nunique() == 7
    assert list(a["age_band"].cat.categories) == list(AGE_BANDS)
    assert set(a["sex"]) == set(SEXES)
    assert (a[list(PODS)] >= 0).all().all()
    assert set(np.unique(a[INDICATORS].to_numpy())) == {0, 1}


def test_synthetic_prevalence_rises_with_age_and_deprivation_varies_by_practice():
    df = synthetic_persons(200_000, seed=2)
    old = df["age_band"].isin(["75_79", "80_84"])
    young = df["age_band"].isin(["20_24", "25_29"])
    for condition in ["diabetes", "copd", "chd", "cancer"]:
        assert df.loc[old, condition].mean() > 3 * df.loc[young, condition].mean()
    share = df.groupby("practice")["deprived"].mean()
    assert share.std() > 0.08
    per_head = df[list(PODS)].to_numpy().sum(axis=1).mean()
    assert 900 < per_head < 1100


def test_synthetic_persons_bad_arguments():
    for kwargs, fragment in [({"n": 0}, "n: must be a whole number"),
                             ({"n": 10.5}, "n: must be a whole number"),
                             ({"n": 10, "n_practices": 11}, "n_practices: must be <= n"),
                             ({"n": 100, "practice_effect_sd": -1}, "practice_effect_sd")]:
        with pytest.raises(ValidationError, match=fragment):
            synthetic_persons(**kwargs)


# ------------------------------------------------------------------ fitting (needs glum)

@pytest.fixture(scope="module")
def fitted():
    pytest.importorskip("glum")
    persons = synthetic_persons(100_000, seed=0)
    return persons, fit_needs_model(persons, indicators=INDICATORS)


def test_coefficients_recover_the_truth_within_standard_errors(fitted):
    # The model is correctly specified (one intercept per age-sex cell, the six true
    # indicators), so (estimate - truth) / standard error is close to N(0, 1). The standard
    # errors are clustered by practice, so they account for the practice effect in the cost.
    # With 644 coefficients, |z| > 4.5 has probability about 644 · 6.8e-6 ≈ 0.4% under the
    # normal; a wrong estimator or wrong standard error fails it at once. About 5% of |z|
    # exceed 1.96; allowing 10% leaves room for the noise of clustered errors with 40
    # practices.
    _, model = fitted
    truth = synthetic_persons_truth().coefficients().rename(columns={"coef": "true"})
    table = model.coefficients.join(truth, how="inner")
    assert len(table) == len(model.coefficients) == 7 * 2 * (40 + 6)
    z = (table["coef"] - table["true"]) / table["std_error"]
    assert np.isfinite(z).all()
    assert z.abs().max() < 4.5
    assert (z.abs() > 1.96).mean() < 0.10
    assert abs(z.mean()) < 0.2          # no systematic bias
    assert 0.7 < z.std() < 1.3          # standard errors of the right size


def test_cost_weights_recover_the_true_weights(fitted):
    # Weights are P(use) × E[cost | use] at the cell's mean indicators; the delta-method
    # standard error of log(weight) gives a z for each of the 280 cells (same 4.5 / 10%
    # thresholds and reasoning as for the coefficients).
    persons, model = fitted
    weights = model.cost_weights()
    true = synthetic_persons_truth().cost_weights(persons)
    assert weights.shape == (40, 7)
    assert weights.index.equals(true.index) and list(weights.columns) == list(PODS)
    z = np.log(weights / true) / model.cost_weight_errors()
    assert float(z.abs().to_numpy().max()) < 4.5
    assert float((z.abs() > 1.96).to_numpy().mean()) < 0.10
    # and the total per head over the population is within 3% of the truth
    n = persons.groupby(["age_band", "sex"], observed=False).size().to_numpy()
    fitted_total = (weights.sum(axis=1).to_numpy() * n).sum()
    true_total = (true.sum(axis=1).to_numpy() * n).sum()
    assert fitted_total == pytest.approx(true_total, rel=0.03)


def test_cost_weights_have_the_layout_of_the_example_weights(fitted):
    from pbcmodel.datasets import example_cost_weights

    example = example_cost_weights()
    weights = fitted[1].cost_weights()
    assert weights.index.equals(example.index)
    assert weights.columns.equals(example.columns)
    assert weights.index.names == example.index.names
    assert (weights.dtypes == example.dtypes).all()


def test_cost_model_matches_the_weights_and_the_true_cv(fitted):
    _, model = fitted
    cm = model.cost_model()
    assert isinstance(cm, CostModel) and cm.family == "gamma"
    np.testing.assert_allclose(cm.weights().to_numpy(), model.cost_weights().to_numpy(),
                               rtol=1e-12)
    cv = cm.table["cv"].groupby(level="pod").first().reindex(list(PODS))
    true_cv = synthetic_persons_truth().cv
    # the Pearson dispersion also absorbs the practice effect (sd 0.1), hence 10%
    np.testing.assert_allclose(cv.to_numpy(), true_cv.to_numpy(), rtol=0.10)


def test_practice_level_fit_is_far_better_than_person_level(fitted):
    # Dixon et al. (BMJ 2011;343:d6608): R² about 0.12 for persons, 0.77 for practices,
    # about a third of practices 10% or more off. Our synthetic data, with 40 practices of
    # about 2,500 people, behave alike.
    _, model = fitted
    holdout = synthetic_persons(100_000, seed=1)
    fit = model.goodness_of_fit(holdout)
    assert fit.n_persons == 100_000 and fit.n_practices == 40
    assert 0.05 < fit.person_r2 < 0.35
    assert fit.practice_r2 > 2 * fit.person_r2
    assert 0.0 < fit.share_off_by_10pct < 0.8
    assert fit.to_series()["practice_r2"] == fit.practice_r2


def test_additional_need_index_tracks_the_true_index(fitted):
    _, model = fitted
    holdout = synthetic_persons(100_000, seed=1)
    index = model.additional_need_index(holdout)
    truth = synthetic_persons_truth()
    cells = pd.MultiIndex.from_frame(holdout[["age_band", "sex"]].astype(str))
    standard = truth.cost_weights(holdout).sum(axis=1).reindex(cells).to_numpy()
    frame = pd.DataFrame({"practice": holdout["practice"],
                          "need": truth.expected_cost(holdout).sum(axis=1),
                          "standard": standard}).groupby("practice").sum()
    true_index = frame["need"] / frame["standard"]
    assert index.index.equals(true_index.index) and index.name == "needs_index"
    assert index.corr(true_index) > 0.95
    np.testing.assert_allclose(index, true_index, rtol=0.05)


def test_needs_index_is_a_deprecated_alias_with_the_same_values(fitted):
    _, model = fitted
    holdout = synthetic_persons(20_000, seed=2)
    with pytest.warns(DeprecationWarning, match=r"NeedsModel\.additional_need_index"):
        old = model.needs_index(holdout)
    pd.testing.assert_series_equal(old, model.additional_need_index(holdout))


def test_predict_is_indexed_like_the_persons(fitted):
    persons, model = fitted
    sample = persons.sample(50, random_state=1)
    predicted = model.predict(sample[["age_band", "sex", *INDICATORS]])
    assert predicted.index.equals(sample.index) and list(predicted.columns) == list(PODS)
    assert (predicted > 0).all().all()
    sick = sample.assign(diabetes=1, chd=1)
    assert (model.predict(sick).sum(axis=1) > predicted.sum(axis=1)).all()


# ------------------------------------------------------------------ bad input

@pytest.fixture
def persons():
    return synthetic_persons(3_000, seed=9, n_practices=3)


def _raises(fragments, fn, *args, **kwargs):
    with pytest.raises(ValidationError) as info:
        fn(*args, **kwargs)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


def test_negative_cost_names_column_and_row(persons):
    persons.loc[17, "ae"] = -1.0
    _raises(["negative cost", "'ae'", "17"], fit_needs_model, persons, INDICATORS)


def test_missing_cost_names_column_and_row(persons):
    persons.loc[23, "community"] = np.nan
    _raises(["'community'", "missing", "23"], fit_needs_model, persons, INDICATORS)


def test_unknown_age_band_and_sex(persons):
    bad = persons.astype({"age_band": object, "sex": object})
    bad.loc[5, "age_band"] = "100+"
    _raises(["unknown age_band", "'100+'", "5"], fit_needs_model, bad, INDICATORS)
    bad = persons.astype({"sex": object})
    bad.loc[8, "sex"] = "X"
    _raises(["unknown sex", "'X'", "8"], fit_needs_model, bad, INDICATORS)


def test_missing_columns(persons):
    _raises(["missing column", "'copd'"], fit_needs_model, persons.drop(columns="copd"),
            INDICATORS)
    _raises(["missing column", "'elective'"], fit_needs_model,
            persons.drop(columns="elective"), INDICATORS)


def test_bad_indicators(persons):
    text = persons.astype({"copd": object})
    text.loc[3, "copd"] = "yes"
    _raises(["indicator column 'copd'", "numeric"], fit_needs_model, text, INDICATORS)
    gap = persons.astype({"chd": float})
    gap.loc[11, "chd"] = np.nan
    _raises(["'chd'", "missing", "11"], fit_needs_model, gap, INDICATORS)
    const = persons.assign(cancer=0)
    _raises(["'cancer'", "one value"], fit_needs_model, const, INDICATORS)
    _raises(["string 'copd'"], fit_needs_model, persons, "copd")
    _raises(["'ae'", "reserved"], fit_needs_model, persons, ["ae"])
    _raises(["pods", "'dental'"], fit_needs_model, persons, INDICATORS, pods=["dental"])


def test_a_cell_where_nobody_used_a_pod(persons):
    pytest.importorskip("glum")
    cell = (persons["age_band"] == "40_44") & (persons["sex"] == "M")
    persons.loc[cell, "outpatient_first"] = 0.0
    _raises(["nobody used 'outpatient_first'", "('40_44', 'M')"], fit_needs_model,
            persons, ["diabetes"], pods=["outpatient_first"])


def test_predicting_for_a_cell_never_seen():
    pytest.importorskip("glum")
    persons = synthetic_persons(40_000, seed=3)
    young = persons[~persons["age_band"].isin(["90_94", "95+"])]
    model = fit_needs_model(young, ["diabetes"], pods=["ae", "outpatient_first"])
    new = pd.DataFrame({"age_band": ["50_54", "95+"], "sex": ["F", "M"], "diabetes": [0, 1]},
                       index=["p1", "p2"])
    _raises(["never saw", "('95+', 'M')", "'p2'"], model.predict, new)
    _raises(["never saw", "'90_94'"], model.cost_weights)
    _raises(["never saw"], model.cost_model)
    assert model.predict(new.iloc[:1]).shape == (1, 2)


def test_missing_glum_names_the_extra(persons, monkeypatch):
    monkeypatch.setitem(sys.modules, "glum", None)   # makes `import glum` fail
    with pytest.raises(MissingDependencyError, match=r"pbcmodel\[glm\]"):
        fit_needs_model(persons, INDICATORS)
