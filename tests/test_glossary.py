"""Every figure the library shows readers is defined once, in pbcmodel.glossary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.errors import ValidationError
from pbcmodel.glossary import TABLES, TEMPLATES, TERMS, UNITS, Term, glossary_frame, label, term
from pbcmodel.phasing import flat_profile, phase
from pbcmodel.scenario.variants import headline


@pytest.fixture(scope="module")
def scn():
    return pbc.Scenario.example()


@pytest.fixture(scope="module")
def result(scn):
    return scn.simulate(n=30, seed=2)


def test_every_settlement_column_is_defined(scn):
    st = scn.settle(scn.budgets()["total"] * 1.02)
    for column in [*st.to_frame().columns, *st.summary().columns]:
        t = term(column, "settlement")
        assert t.definition and t.label
    assert set(st.to_frame().columns) == set(TABLES["settlement"])


def test_every_simulation_figure_is_defined(result):
    names = [*result.metrics().columns, *result.summary().index, *headline(result).index,
             *result.by_list_size().columns]
    for name in names:
        assert term(name).definition, name


def test_every_monitoring_figure_is_defined(scn):
    phased = phase(scn.budgets()["total"], flat_profile())
    actual = pd.DataFrame({"practice": np.repeat(scn.population.codes, 2), "month": [1, 2] * 60,
                           "cost": 1000.0})
    stmt = pbc.monthly_statement.statement("P001", 2, phased=phased, actual=actual)
    assert set(stmt.summary.index) == set(TABLES["monitoring"])
    for name in stmt.summary.index:
        assert term(name, "monitoring").period


def test_the_same_name_means_its_tables_period():
    assert term("variance").period == "the settled year"
    assert term("variance", "monitoring").period == "year to date"
    assert term("budget", "monitoring") is TERMS["budget"]      # no override: the general one


def test_units_give_tidy_column_names():
    assert term("budget").column == "budget_gbp"
    assert term("mean_amount_per_head").column == "mean_amount_gbp_per_head"
    assert term("prob_overspend").column == "prob_overspend_pct" and term("prob_overspend").fraction
    assert term("list_size").column == "list_size"
    columns = glossary_frame()["column"]
    assert columns.is_unique, columns[columns.duplicated()].tolist()
    assert set(glossary_frame()["unit"]) <= set(UNITS)


def test_signs_are_stated_for_signed_money():
    for name in ("variance", "practice_amount", "commissioner_amount", "net_to_practice",
                 "commissioner_var95_all_years", "commissioner_mean_kept_all_years"):
        assert term(name).sign, name
    # value at risk is a cost: the same sign in the tables and the figures
    assert "positive = a cost" in term("commissioner_var95_all_years").sign


def test_unknown_names_and_units_are_refused():
    with pytest.raises(ValidationError, match="glossary: no definition of 'pie'"):
        term("pie")
    with pytest.raises(ValidationError, match="glossary: table must be one of"):
        term("budget", table="nope")
    with pytest.raises(ValidationError, match="unit: must be one of"):
        Term("x", "X", "An x.", "furlongs")


def test_label_and_frame():
    assert label("net_to_practice") == "Net cash to the practice"
    frame = glossary_frame(["budget", "budget"])
    assert frame.index.tolist() == ["budget"] and frame.index.name == "metric"


def test_numbered_metrics_are_read_from_their_template():
    # the summary's figures at 95% and 2% are the templates at those numbers
    assert term("commissioner_tvar95_all_years") == Term(
        "commissioner_tvar95_all_years", "Commissioner's tail value at risk (95%), a cost",
        "The mean cost to the commissioner in the worst 1 run in 20.", "£",
        "positive = a cost the commissioner pays: money at risk, an amount, not a position "
        "(negative = even then it keeps money)",
        "all simulated years together", "commissioner_tvar95_all_years_gbp")
    assert term("practices_prob_loss_over_2pct").column == \
        "practices_prob_loss_over_2pct_of_budget_pct"
    # any other number: the same words, its own column
    t = term("max_band_prob_loss_over_7.5pct")
    assert "7.5%" in t.label and t.column == "max_band_prob_loss_over_7.5pct_of_budget_pct"
    assert term("commissioner_var99_all_years").definition.endswith("in 1 run in 100.")
    assert term("commissioner_var93_all_years").definition.endswith("in 7% of runs.")
    assert "P%" in term("commissioner_var{P}_all_years").label      # the template itself
    assert set(TEMPLATES).isdisjoint(TERMS)
    with pytest.raises(ValidationError, match="no definition of 'commissioner_var_all_years'"):
        term("commissioner_var_all_years")


def test_every_design_metric_is_defined():
    from pbcmodel.scenario.metrics import METRICS, metric

    for name in METRICS:
        instance = name.replace("{P}", "95").replace("{X}", "5")
        assert metric(instance).term.definition, name
