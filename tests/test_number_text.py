"""The one rule for numbers as people type them (pbcmodel.number_text), issue 26 class 1."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbcmodel.errors import ValidationError
from pbcmodel.number_text import PLAIN, parse_column, parse_number

finite = st.floats(allow_nan=False, allow_infinity=False)
WHERE = "o.csv: row 3, column 'outturn'"


@pytest.mark.parametrize(("text", "value"), [
    ("1234", 1234.0), ("-12.5", -12.5), (".5", 0.5), ("1e6", 1e6), ("1.5E-3", 1.5e-3),
    ("+3", 3.0), ("  7  ", 7.0), ("1,234", 1234.0), ("1,234,567.89", 1234567.89),
    ("-1,234", -1234.0), ("£1,234.50", 1234.5), ("-£12", -12.0), ("£-12", -12.0),
    ("£12", 12.0), ("0", 0.0), ("-0", 0.0), ("1e+16", 1e16), ("123,456", 123456.0),
])
def test_accepted(text: str, value: float) -> None:
    assert parse_number(text, WHERE) == value


@pytest.mark.parametrize(("text", "says"), [
    ("1,2", "a comma is read only between groups of three digits"),
    ("1,0", "write 1.0 or 10"),
    ("12,34,5", "groups of three digits"),
    ("1,2345", "groups of three digits"),
    ("1234,567", "groups of three digits"),
    ("1.234,56", "European decimal comma is not read; write 1234.56"),
    ("1,234e3", "groups of three digits"),
    (",123", "groups of three digits"),
    ("5%", "write 0.05 for 5%"),
    ("£1m", "1000000 for £1m"), ("1k", "suffix"), ("2.5bn", "suffix"),
    ("(1,234)", "write a minus sign"), ("(12)", "write a minus sign"),
    ("1 234", "spaces or underscores"), ("1_000", "spaces or underscores"),
    ("nan", "not a finite number"), ("NaN", "not a finite number"),
    ("inf", "not a finite number"), ("-Infinity", "not a finite number"),
    ("#N/A", "spreadsheet error"), ("#DIV/0!", "spreadsheet error"),
    ("#VALUE!", "spreadsheet error"), ("1e400", "too large"),
    ("$12", "only pounds"), ("€12", "only pounds"),
    ("--3", "write it as"), ("-£-3", "write it as"), ("abc", "write it as"),
    ("£", "write it as"), ("1.2.3", "write it as"), ("0x10", "write it as"),
])
def test_refused_naming_where_and_text(text: str, says: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_number(text, WHERE, unit="pounds")
    message = str(err.value)
    assert message.startswith(f"{WHERE}: expected pounds, got {text!r}: ")
    assert says in message


def test_blank_is_missing_or_an_error_never_zero() -> None:
    assert parse_number("  ", WHERE, blank="missing") is None
    with pytest.raises(ValidationError, match=rf"^{re.escape(WHERE)}: blank; expected pounds$"):
        parse_number("", WHERE, unit="pounds")
    assert parse_number("0", WHERE) == 0.0


def test_text_only() -> None:
    with pytest.raises(ValidationError, match="expected a number as text, got float"):
        parse_number(1.5, WHERE)  # type: ignore[arg-type]


@given(finite)
def test_python_repr_and_str_read_back(x: float) -> None:
    assert parse_number(repr(x), WHERE) == x
    assert parse_number(str(x), WHERE) == x
    assert parse_number(format(x, "f"), WHERE) == float(format(x, "f"))


@given(st.floats(min_value=-1e15, max_value=1e15))
def test_en_gb_thousands_read_back(x: float) -> None:
    written = f"{x:,.2f}"
    assert parse_number(written, WHERE) == round(x, 2) == float(written.replace(",", ""))
    assert parse_number("£" + written.lstrip("-"), WHERE) == abs(float(written.replace(",", "")))


@given(st.floats(min_value=-9.99999999999999e307, max_value=9.99999999999999e307))
def test_excel_general_format_reads_back(x: float) -> None:
    written = f"{x:.15g}"        # Excel shows 15 significant digits
    assert parse_number(written, WHERE) == float(written)


def _valid_grouping(text: str) -> bool:
    return re.fullmatch(r"[+-]?£?[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text.strip()) is not None


@given(st.text(alphabet="0123456789,.-+£e ", min_size=1, max_size=14))
def test_a_comma_outside_en_gb_grouping_is_refused(text: str) -> None:
    if "," not in text or _valid_grouping(text):
        return
    with pytest.raises(ValidationError, match=re.escape(repr(text.strip()))):
        parse_number(text, WHERE)


@given(st.lists(st.integers(0, 999), min_size=1, max_size=4), st.integers(1, 3),
       st.integers(0, 5))
def test_any_misplaced_comma_is_refused(groups: list[int], first: int, cut: int) -> None:
    """Move one comma of a valid grouping by a digit: always refused, never another number."""
    digits = str(int("9" * first)) + "".join(f"{g:03d}" for g in groups)
    good = f"{int(digits):,}"
    commas = [i for i, c in enumerate(good) if c == ","]
    at = commas[cut % len(commas)]
    plain = good.replace(",", "")
    for shift in (-1, 1):
        moved = at + shift
        if 0 < moved < len(good) - 1 and good[moved] != ",":
            bad = good[:at] + good[at + 1:]
            bad = bad[:moved - (shift > 0)] + "," + bad[moved - (shift > 0):]
            if bad != good and not _valid_grouping(bad):
                with pytest.raises(ValidationError):
                    parse_number(bad, WHERE)
    assert parse_number(good, WHERE) == float(plain)


@given(st.text(max_size=12))
def test_never_a_number_for_an_ambiguous_string(text: str) -> None:
    """Whatever the text, either it is refused or it is the one number it plainly writes."""
    try:
        value = parse_number(text, WHERE, blank="missing")
    except ValidationError as exc:
        assert repr(text.strip()) in str(exc)
        return
    if value is None:
        assert not text.strip()
        return
    written = text.strip().replace("£", "").replace(",", "")
    assert np.isfinite(value) and value == float(written)
    assert "," not in text or _valid_grouping(text)


@given(st.lists(st.one_of(finite.map(repr), finite.map(lambda x: f"{x:,.2f}"),
                          st.just(""), st.just("  ")), max_size=20))
def test_column_is_the_rule_cell_by_cell(cells: list[str]) -> None:
    got = parse_column(pd.Series(cells, dtype="str"), lambda i: f"row {i}")
    want = [parse_number(c, WHERE, blank="missing") for c in cells]
    assert [None if np.isnan(g) else g for g in got] == want


@given(finite.map(repr))
def test_plain_fast_path_is_part_of_the_rule(text: str) -> None:
    assert re.fullmatch(PLAIN, text)
    assert parse_number(text, WHERE) == float(text)


def test_column_names_the_first_bad_cell_and_counts() -> None:
    cells = pd.Series(["1", "1,2", "ok", "", "5%"], index=[10, 11, 12, 13, 14])
    with pytest.raises(ValidationError, match=r"^row 3: expected pounds, got '1,2': .*"
                                              r"\(3 cells in all are not numbers\)$"):
        parse_column(cells, lambda i: f"row {i + 2}", unit="pounds")
    with pytest.raises(ValidationError, match=r"^row 4: blank; expected pounds$"):
        parse_column(pd.Series(["1", "2", " "], index=[10, 11, 13]),
                     lambda i: f"row {i + 2}", unit="pounds", blank="error")


def test_column_of_numbers_from_python() -> None:
    assert parse_column(pd.Series([1, 2]), str).tolist() == [1.0, 2.0]
    assert parse_column(pd.Series([1.5, None], dtype=object), str).tolist()[0] == 1.5
    with pytest.raises(ValidationError, match=r"^row 1: expected a number, got 'inf'"):
        parse_column(pd.Series([1.0, np.inf]), lambda i: f"row {i}")
    with pytest.raises(ValidationError, match=r"^row 1: expected a number, got 'True'"):
        parse_column(pd.Series([1.0, True], dtype=object), lambda i: f"row {i}")
