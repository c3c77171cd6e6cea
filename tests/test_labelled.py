"""Tables the library returns for reading: plain data underneath, readable when shown.

Every result table prints and renders in Jupyter with glossary labels, £ with thousands
separators, percentages, whole counts and never scientific notation, and prints whole; the
data stay the plain numbers (values, columns, index, attrs), and anything computed from a
labelled table is plain pandas.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.errors import ValidationError
from pbcmodel.labelled import LabelledFrame, LabelledSeries, labelled, value_text
from pbcmodel.risk.distribution import spend_distribution
from pbcmodel.settlement import settle

SCIENTIFIC = ("e+", "e-0", "E+", "E-0")


def _readable(text: str) -> None:
    assert not any(s in text for s in SCIENTIFIC), text
    assert "NaN" not in text and "[" not in text.splitlines()[-1], text


@pytest.fixture(scope="module")
def formula():
    return pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
                                 top_slices={"contingency": 0.01})


@pytest.fixture(scope="module")
def pop():
    return pbc.datasets.example_population()


@pytest.fixture(scope="module")
def scn():
    return pbc.Scenario(population=pbc.datasets.example_population(),
                        formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
                        resource=510e6, cost_model=pbc.datasets.example_cost_model(),
                        name="none")


@pytest.fixture(scope="module")
def result(scn):
    return scn.simulate(n=200, seed=1)


@pytest.fixture(scope="module")
def settlement():
    return settle(pd.Series({"A": 1_234_567.89, "B": 2_000_000.0}),
                  pd.Series({"A": 1_300_000.0, "B": 1_900_000.0}),
                  consortium=pd.Series({"A": "C1", "B": "C2"}))


@pytest.fixture(scope="module")
def tables(formula, pop, scn, result, settlement):
    """Every labelled result (name → (labelled, the plain computation it shows))."""
    other = scn.evolve(name="70/30", savings=pbc.sharing.pbc_freed_up(0.7))
    return {
        "budgets": formula.budgets(pop, 510e6),
        "explain": formula.explain(pop, "P001", 510e6),
        "scenario budgets": scn.budgets(),
        "scenario explain": scn.explain("P001"),
        "summary": result.summary(),
        "metrics": result.metrics(),
        "compare": pbc.compare([scn, other], n=100, seed=3),
        "settlement": settlement.to_frame(),
        "settlement summary": settlement.summary(),
        "distribution": spend_distribution(pop, pbc.datasets.example_cost_model(),
                                           method="fft").to_frame(),
    }


NAMES = ["budgets", "explain", "scenario budgets", "scenario explain", "summary", "metrics",
         "compare", "settlement", "settlement summary", "distribution"]


@pytest.mark.parametrize("name", NAMES)
def test_every_result_is_labelled_and_reads_without_scientific_notation(tables, name):
    table = tables[name]
    assert isinstance(table, LabelledFrame | LabelledSeries)
    _readable(repr(table))
    _readable(str(table))
    html = table._repr_html_()
    assert not any(s in html for s in SCIENTIFIC)
    assert "£" in repr(table) and "£" in html


@pytest.mark.parametrize("name", NAMES)
def test_the_data_are_the_plain_numbers(tables, name):
    table = tables[name]
    plain = (pd.DataFrame(table) if isinstance(table, pd.DataFrame) else pd.Series(table))
    assert type(plain) in (pd.DataFrame, pd.Series)
    if isinstance(table, pd.DataFrame):
        pd.testing.assert_frame_equal(table, plain)
        pd.testing.assert_frame_equal(plain, table, check_frame_type=False)
    else:
        pd.testing.assert_series_equal(table, plain, check_series_type=False)
    numbers = table.select_dtypes("number") if isinstance(table, pd.DataFrame) else table
    assert np.array_equal(numbers.to_numpy(), plain[getattr(numbers, "columns", slice(None))]
                          .to_numpy(), equal_nan=True)


def test_budgets_money_has_pounds_and_thousands_separators(tables):
    text = repr(tables["budgets"])
    assert text.splitlines()[0] == "Budgets for the year, £ per practice"
    assert "Total budget" in text                             # the glossary's label
    assert "£1,259,606" in text
    assert all(f"P{i:03d}" in text for i in range(1, 61))    # whole


def test_explain_prints_every_row_whole_with_blank_amounts(tables):
    e = tables["scenario explain"]
    text = repr(e)
    assert "rows x" not in text and "…" not in text
    for step, description in zip(e["step"], e["description"], strict=True):
        assert step in text and description in text           # descriptions never cut
    assert "NaN" not in text and "–" not in text               # inputs' amount is blank
    assert "registered patients" in text and "1,500" in text   # a count, whole
    assert "£841.83" in text and "0.25%" in text               # per head; a share
    html = e._repr_html_()
    assert all(description.replace("&", "&amp;") in html
               for description in e["description"] if "<" not in description)


def test_summary_shows_counts_whole_percentages_and_glossary_labels(tables):
    s = tables["summary"]
    text = repr(s)
    lines = {line.strip().split("  ")[0]: line for line in text.splitlines()[1:]}
    assert lines["Simulations"].split()[-1] == "200"
    assert lines["Years simulated"].split()[-1] == "3"
    assert lines["Chance a practice bears over 2% of budget"].endswith("%")
    assert "commissioner_var95_all_years" not in text
    assert "Commissioner's value at risk (95%), a cost" in text
    assert float(s["simulations"]) == 200.0
    # one period per block, each titled by it, in the order the figures first appear
    titles = [line for line in text.splitlines()[1:] if not line.startswith(" ")]
    assert [t.strip() for t in titles] == ["The run", "The first year", "A simulated year",
                                           "All simulated years together"]


def test_metrics_and_compare_use_labels_and_keep_their_attrs(tables):
    m, c = tables["metrics"], tables["compare"]
    assert "Chance of bearing over £10,000" in repr(m) and "prob_loss" not in repr(m)
    assert "List size" in repr(m)
    assert c.attrs["common_outturns"] is True
    assert list(c.columns) == ["none", "70/30"]
    assert "Expected freed-up resources" in repr(c) and "expected_freed_up" not in repr(c)
    assert "%" in repr(c)


def test_a_long_table_shows_its_ends_and_how_many_rows_are_left_out():
    t = labelled(pd.DataFrame({"amount": np.arange(250) * 1e5}))
    lines = repr(t).splitlines()
    assert any("… 210 more rows" in line for line in lines)
    assert len(lines) == 1 + 20 + 1 + 20
    assert "£24,900,000" in lines[-1]
    assert "… 210 more rows" in t._repr_html_()
    short = labelled(pd.DataFrame({"amount": np.arange(200) * 1.0}))
    assert len(repr(short).splitlines()) == 201


@pytest.mark.parametrize("derive", [
    lambda x: x + 1, lambda x: x[["budget"]], lambda x: x.copy(),
    lambda x: pd.concat([x, x]), lambda x: x.loc[["P1"]], lambda x: x.iloc[:1],
    lambda x: x.groupby(level=0).sum(), lambda x: x.T, lambda x: x.reset_index(),
    lambda x: x["budget"], lambda x: x.loc["P1"], lambda x: x.sum(),
])
def test_anything_derived_is_plain_pandas(derive):
    x = labelled(pd.DataFrame({"budget": [1.0, 2.0], "prob_overspend": [0.1, 0.2]},
                              index=["P1", "P2"]), title="t")
    assert type(derive(x)) in (pd.DataFrame, pd.Series)


def test_a_labelled_series_derives_plain_pandas():
    s = labelled(pd.Series({"simulations": 500.0, "years": 3.0}))
    for derived in (s + 1, s.copy(), s.iloc[:1], pd.concat([s, s]), s.loc[["years"]]):
        assert type(derived) is pd.Series
    assert type(s.to_frame()) is pd.DataFrame


def test_a_pickle_round_trip_keeps_values_labels_and_attrs(tables):
    for name in ("budgets", "summary", "compare"):
        table = tables[name]
        back = pickle.loads(pickle.dumps(table))
        assert type(back) is type(table)
        assert np.array_equal(back.to_numpy(), table.to_numpy(), equal_nan=True)
        assert back.attrs == table.attrs and repr(back) == repr(table)


def test_html_escapes_every_name():
    t = labelled(pd.DataFrame({"<b>&": [1.0]}, index=pd.Index(["<i>"], name="<u>")),
                 title="<script>")
    html = t._repr_html_()
    assert "<script>" not in html and "<i>" not in html and "<u>" not in html
    assert "&lt;b&gt;&amp;" in html and "&lt;script&gt;" in html and "&lt;i&gt;" in html


def test_unknown_names_show_as_themselves_and_units_are_checked():
    t = labelled(pd.DataFrame({"mystery": [1234.5678]}))
    assert "mystery" in repr(t) and "1,235" in repr(t)
    with pytest.raises(ValidationError, match="units: must be one of"):
        labelled(pd.DataFrame({"a": [1.0]}), {"a": "furlongs"})
    with pytest.raises(ValidationError, match="style"):
        value_text(1.0, "£", style="long")
    with pytest.raises(ValidationError, match="obj: expected"):
        labelled([1.0])    # type: ignore[arg-type]


def test_value_text_by_unit():
    assert value_text(1234567.89, "£") == "£1,234,568"
    assert value_text(2.5, "£") == "£3" and value_text(-0.4, "£") == "£0"   # half up
    assert value_text(22344900.0, "pounds", style="short") == "£22.3m"
    assert value_text(450_000.0, "£", style="short") == "£450k"
    assert value_text(-3874187.0, "£") == "−£3,874,187"
    assert value_text(12.345, "£ per registered patient") == "£12.35"
    assert value_text(0.1032, "probability") == "10.3%"
    assert value_text(-0.0075, "fraction of budget") == "−0.75%"
    assert value_text(1000.0, "count") == "1,000"
    assert value_text(1.23456, "ratio") == "1.235"
    assert value_text(1230.5, "ratio") == "1,230"        # no digit lost from a whole part
    assert value_text(float("nan"), "£") == "–"
    assert value_text(float("-inf"), "£") == "−∞"
    assert value_text("C1", "code") == "C1"


FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(min_value=-1e-300, max_value=1e-300),
                   st.sampled_from([1e308, -1e308, 5e-324, -5e-324, 0.0, -0.0, 1e21, 1e-7]))
UNITS = ["£", "£ per registered patient", "%", "patients", "count", "years", "ratio",
         "pounds", "probability", "fraction of budget"]


@settings(max_examples=300, deadline=None)
@given(value=FLOATS, unit=st.sampled_from(UNITS), style=st.sampled_from(["exact", "short"]))
def test_value_text_never_writes_scientific_notation(value, unit, style):
    text = value_text(value, unit, style=style)
    assert not any(s in text for s in SCIENTIFIC), text
    assert "-" not in text and "inf" not in text and "nan" not in text   # minus: U+2212
    if math.isfinite(value) and unit in ("£", "pounds"):
        assert "£" in text
    if math.isfinite(value) and unit in ("%", "probability", "fraction of budget"):
        assert text.endswith("%")


@settings(max_examples=40, deadline=None)
@given(values=st.lists(FLOATS, min_size=1, max_size=5))
def test_a_labelled_frame_never_shows_scientific_notation(values):
    frame = pd.DataFrame({"budget": values, "prob_overspend": values, "list_size": values,
                          "other": values})
    t = labelled(frame)
    assert not any(s in repr(t) for s in SCIENTIFIC)
    assert not any(s in t._repr_html_() for s in SCIENTIFIC)
    assert np.array_equal(t.to_numpy(), frame.to_numpy(), equal_nan=True)


def test_head_and_tail_keep_the_readable_view() -> None:
    # A user's first look at a table is often .head(): it keeps the labels and units,
    # per-value units cut to the same rows; anything else derived stays plain pandas.
    scn = pbc.Scenario.example()
    budgets = scn.budgets()
    top = budgets.head(3)
    assert isinstance(top, LabelledFrame) and list(top.index) == list(budgets.index[:3])
    assert "£" in repr(top) and "e+" not in repr(top)
    assert isinstance(budgets.tail(2), LabelledFrame) and len(budgets.tail(0)) == 0
    assert list(budgets.head(-58).index) == list(budgets.index[:2])
    pd.testing.assert_frame_equal(top, budgets.iloc[:3], check_frame_type=False)
    summary = scn.simulate(n=50, years=1, seed=1, progress=False).summary()
    assert isinstance(summary.head(2), LabelledSeries) and "e+" not in repr(summary.head(2))


def test_budgets_head_points_of_delivery_in_words() -> None:
    text = repr(pbc.Scenario.example().budgets())
    header = text.splitlines()[1]
    assert "Non-elective" in header and "A&E" in header and "Outpatient follow-up" in header
    assert "non_elective" not in text and "outpatient_first" not in text
