"""What a user sees when printing or displaying a result: labels, £ with separators,
percentages, whole counts; no scientific notation, no internal arrays."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.design import frontier, optimise
from pbcmodel.settlement import settle
from pbcmodel.sharing import pbc_freed_up

SCIENTIFIC = re.compile(r"\d[eE][+-]\d")
THOUSANDS = re.compile(r"£\d{1,3}(,\d{3})+")


def _clean(text: str) -> None:
    assert not SCIENTIFIC.search(text), text
    assert "e+" not in text and "e-0" not in text, text
    assert "array(" not in text, text


@pytest.fixture(scope="module")
def settlement() -> pbc.settlement.Settlement:
    return settle(pd.Series({"A": 1_234_567.0, "B": 22_344_900.0}),
                  pd.Series({"A": 1_200_000.0, "B": 22_500_000.0}),
                  savings=pbc_freed_up(0.7), consortium=pd.Series({"A": "C1", "B": "C2"}))


def test_print_settlement_is_a_short_summary_in_pounds(settlement):
    text = str(settlement)
    _clean(text)
    assert text == repr(settlement)
    assert THOUSANDS.search(text)
    assert "£23,579,467.00" in text                      # total budget
    assert "+ kept, − paid or borne" in text
    assert len(text.splitlines()) <= 10


def test_settlement_html_shows_labels_pounds_and_whole_counts(settlement):
    html = settlement._repr_html_()
    _clean(html)
    assert THOUSANDS.search(html)
    assert "Practice&#x27;s share of the variance" in html or "share of the variance" in html
    assert "2.00" not in html.replace("£", "").split("<td>")[1]   # the count column
    assert "<td>2</td>" in html


@pytest.fixture(scope="module")
def design():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return optimise(pbc.Scenario.example(high_cost_threshold=None),
                        {"overspend.practice_share": (0.0, 1.0)},
                        constraints={"expected_freed_up": {"min": 0.0}},
                        years=1, n=100, method="normal", max_evaluations=8, replicates=2)


def test_design_repr_shows_shares_as_percent_and_money_in_pounds(design):
    for text in (repr(design), design._repr_html_()):
        _clean(text)
        assert "%" in text and "£" in text
    share = design.parameters["overspend.practice_share"]
    assert f"{100 * share:.1f}%" in repr(design)
    assert repr(share) not in repr(design)


def test_frontier_repr_shows_values_in_their_units():
    f = frontier(pbc.Scenario.example(high_cost_threshold=None),
                 {"overspend.practice_share": (0.0, 1.0), "overspend.tolerance": (0.0, 0.05)},
                 years=1, n=100, method="normal", points=4)
    for text in (repr(f), f._repr_html_()):
        _clean(text)
        assert "%" in text and "£" in text
    assert "commissioner_tvar95 £" in repr(f)
    assert f.points["overspend.tolerance"].dtype == float   # the data stay plain numbers


def test_a_money_parameter_reads_in_pounds_with_separators():
    from pbcmodel.design._display import parameter_text

    assert parameter_text("high_cost_threshold", 41234.56) == "£41,235"
    assert parameter_text("resource", 22344900.0) == "£22.3m"
