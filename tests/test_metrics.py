"""Every figure a result, a comparison or a design reports is defined once (scenario/metrics.py).

Each name resolves to exactly one definition with a unit and a glossary label, and a name is
the same number wherever it is reported: in a result's summary, in a comparison's headline
and as a design's metric.
"""

from __future__ import annotations

import pytest

import pbcmodel as pbc
from pbcmodel import glossary
from pbcmodel.errors import ValidationError
from pbcmodel.scenario import metrics
from pbcmodel.scenario.metrics import (
    COLUMNS,
    FIGURES,
    HEADLINE,
    METRICS,
    SUMMARY,
    UNITS,
    measure,
    metric,
)
from pbcmodel.scenario.variants import headline


@pytest.fixture(scope="module")
def result():
    # the example has a high-cost threshold and a "high_cost_pool" top-slice
    return pbc.Scenario.example().simulate(n=200, years=2, seed=3)


def _instance(name: str) -> str:
    """A template's name with numbers put in (a level 95%, a loss 5%)."""
    return name.replace("{P}", "95").replace("{X}", "5")


def _definitions(name: str) -> list[metrics.Figure]:
    return [f for f in FIGURES.values() if f.match(name)[0]]


def test_every_reported_name_has_exactly_one_definition(result) -> None:
    names = [*result.summary().index, *headline(result).index,
             *[_instance(n) for n in METRICS]]
    for name in names:
        found = _definitions(name)
        assert len(found) == 1, (name, [f.name for f in found])
        m = metrics._find(name, "test")
        assert m.unit in UNITS and m.label, name
        assert glossary.term(m.term.name).label == m.label
    for table, frame in (("metrics", result.metrics()), ("by_list_size", result.by_list_size())):
        assert list(frame.columns) == list(COLUMNS[table]), table     # the same columns, in order
        for name in frame.columns:
            column = COLUMNS[table][name]
            assert column.unit in UNITS and column.label, name


def test_units_agree_with_the_glossary() -> None:
    # the library's unit (a probability and a fraction of budget are fractions) is shown in
    # the glossary's unit (both as percentages)
    for name, figure in FIGURES.items():
        assert glossary.term(figure.glossary_name).unit == UNITS[figure.unit], name
    for table in COLUMNS.values():
        for name, column in table.items():
            assert column.term.unit == UNITS[column.unit], name


def test_summary_and_headline_are_the_named_figures(result) -> None:
    assert tuple(result.summary().index) == SUMMARY
    assert tuple(headline(result).index) == HEADLINE
    assert headline(result).name == result.scenario.name


def test_a_design_metric_is_the_result_figure_of_the_same_name(result) -> None:
    h = headline(result)
    aims = [name for name in HEADLINE if _definitions(name)[0].better]
    values = measure(result, [metric(name) for name in aims])
    for name, value in zip(aims, values, strict=True):
        assert value == h[name], name
    # the design's short spelling of the commissioner's figures: the summary's, over all years
    short = ["commissioner_mean_kept", "commissioner_var95", "commissioner_tvar95"]
    values = measure(result, [metric(name) for name in short])
    assert values.tolist() == [h[f"{name}_all_years"] for name in short]
    risk = result.commissioner_risk(0.99)
    assert measure(result, [metric("commissioner_tvar99")])[0] == risk["tvar"]


def test_figures_only_a_design_asks_for_are_computed_from_the_result(result) -> None:
    h, m = headline(result), result.metrics(loss_fraction=0.05)
    values = dict(zip(["fairness_sd_ratio", "worst_practice_p05_fraction",
                       "max_practice_prob_loss_over_5pct", "commissioner_prob_loss"],
                      measure(result, [metric("fairness_sd_ratio"),
                                       metric("worst_practice_p05_fraction"),
                                       metric("max_practice_prob_loss_over_5pct"),
                                       metric("commissioner_prob_loss")]), strict=True))
    assert values["fairness_sd_ratio"] == (h["sd_per_head_smallest_lists"]
                                           / h["sd_per_head_largest_lists"])
    table = result.metrics()
    assert values["worst_practice_p05_fraction"] == (table["p05_amount"]
                                                     / table["budget"]).min()
    assert values["max_practice_prob_loss_over_5pct"] == m["prob_loss_over_fraction"].max()
    assert values["commissioner_prob_loss"] == result.commissioner_risk()["prob_loss"]
    pool = measure(result, [metric("high_cost_pool_shortfall_prob", result.scenario)])[0]
    assert 0 <= pool <= 1


def test_the_two_worst_p05_figures_have_their_own_unit_and_label(result) -> None:
    pounds, share = metric("worst_practice_p05_amount"), metric("worst_practice_p05_fraction")
    assert (pounds.unit, share.unit) == ("pounds", "fraction of budget")
    assert pounds.label != share.label and "%" in share.label
    assert glossary.term("worst_practice_p05_fraction").column != glossary.term(
        "worst_practice_p05_amount").column
    h = headline(result)
    value = measure(result, [pounds, share])
    assert value[0] == h["worst_practice_p05_amount"] and -1 < value[1] < 1


def test_signs_follow_the_conventions() -> None:
    # value at risk is a cost (positive pounds the commissioner pays); what it keeps is + kept
    assert "positive = a cost" in metric("commissioner_tvar99").sign
    assert "positive = a cost" in metric("commissioner_var95").sign
    assert metric("commissioner_mean_kept").sign.startswith("positive = the commissioner keeps")
    assert metric("worst_practice_p05_amount").sign.startswith("positive = money to the practice")
    assert metric("max_band_prob_loss_over_5pct").sign == ""       # a probability


def test_templates_read_their_number() -> None:
    m = metric("max_band_prob_loss_over_7.5pct")
    assert m.loss_fraction == 0.075 and "7.5%" in m.label
    assert metric("commissioner_var99").loss_fraction is None
    assert metric("commissioner_var97.5").term.definition == (
        "The cost to the commissioner exceeded in 1 run in 40.")
    with pytest.raises(ValidationError, match="between 0 and 100"):
        metric("commissioner_tvar100")


def test_a_count_describing_the_run_is_not_an_aim() -> None:
    assert "simulations" not in METRICS and "commissioner_tvar{P}" in METRICS
    with pytest.raises(ValidationError, match="'simulations' describes the run"):
        metric("simulations", role="objective")


def test_metrics_is_the_one_home_of_the_list_size_bands(result) -> None:
    assert pbc.design.LIST_SIZE_BANDS is metrics.LIST_SIZE_BANDS
    bands = result.by_list_size()
    assert len(bands) <= len(metrics.LIST_SIZE_BANDS) - 1
    assert bands.index[0].startswith("[0")


def test_old_paths_keep_working_or_name_the_new_one() -> None:
    from pbcmodel.scenario import results, simulation

    assert simulation.SimulationResult is results.SimulationResult is pbc.SimulationResult
    assert pbc.design.DRIVERS_OF_SPEND is simulation.DRIVERS_OF_SPEND
    with pytest.raises(AttributeError, match="pbcmodel.design"):
        _ = pbc.scenario.design
    old = ["DRIVERS_OF_SPEND", "DRIVER_MIN_SIMULATIONS", "LIST_SIZE_BANDS", "METRICS",
           "REFINE_STEPS", "Constraint", "Design", "DesignSpec", "DesignWarning", "Frontier",
           "Parameter", "frontier", "load_design_spec", "measure", "metric", "optimise",
           "pareto_mask", "parse_space"]
    assert sorted(pbc.design.__all__) == sorted(old)
    assert all(hasattr(pbc.design, name) for name in old)
    assert callable(pbc.design.optimise) and callable(pbc.design.frontier)


def test_unknown_metric_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError) as err:
        metric("freed_up", role="constraints")
    message = str(err.value)
    assert message.startswith("constraints: unknown metric 'freed_up'")
    assert all(name in message for name in METRICS)
