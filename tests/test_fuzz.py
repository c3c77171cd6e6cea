"""Fuzzing the file boundaries (issue 13): mutated registered-patient files, weighted-population
files and scenario files, as a damaged download or a careless edit would leave them.

Properties: whatever the bytes, only :class:`~pbcmodel.errors.PBCModelError` subclasses come
out (never a ``KeyError``, ``IndexError``, ``OverflowError`` …), and on the command line a
failure is exit status 2 with nothing written. Numeric columns are also given numbers beyond
int64 and float ranges, non-finite in every spelling and subnormal (:data:`HUGE_NUMBERS`);
what is read anyway holds only real counts (never wrapped round to a negative) and finite
weighted populations whose sums, need indices and budgets are finite. A few hundred
examples run in CI; set ``PBCMODEL_FUZZ_LONG=1`` or pass ``--fuzz-long`` for many more.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel import PBCModelError
from pbcmodel.cli import main
from pbcmodel.validation import MAX_COUNT
from pbcmodel.weighted import COMPONENTS

DATA = Path(__file__).parent / "data"
PATIENTS = (DATA / "gp-reg-pat-prac-quin-age.csv").read_bytes()
WEIGHTED = DATA / "weighted" / "2026_2027.csv"
#: The numeric columns of the 2026/27 layout (list size and weighted populations).
WEIGHTED_NUMBERS = (b"Registered Patients", b"G&A WP", b"CS WP", b"MH WP", b"Mat WP",
                    b"Health Ineq WP", b"Prescr WP", b"Core WP", b"Primary Medical Care WP",
                    b"Final PMC WP")
SCENARIO = pbc.Scenario.example().to_toml().encode()

LONG = os.environ.get("PBCMODEL_FUZZ_LONG", "") not in ("", "0")
#: Examples per property: a few hundred in all in CI, many more on request.
EXAMPLES = 3_000 if LONG else 120
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Cell values a careless edit or a hostile file might hold.
ODD_VALUES = st.one_of(
    st.sampled_from(["", " ", "NaN", "inf", "-inf", "-1", "1e30", "9223372036854775808",
                     "9223372036854775000", "2.5", "0x10", "1,000", "ALL", "None", "null",
                     '"', "'", ",", "\x00", "\u00a0", "\ufeff", "£", "😀", "=1+1"]),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
)

#: Numbers as a spreadsheet or a hostile file might write them in a numeric column: beyond
#: int64 and float ranges, non-finite in every spelling, subnormal, negative zero, exponents.
HUGE_NUMBERS = st.one_of(
    st.sampled_from(["inf", "-inf", "Infinity", "INF", "nan", "NaN", "-nan", "1e30", "1e308",
                     "1.8e308", "-1e308", "1e-320", "-0", "-0.0", "0e0", "9223372036854775807",
                     "9223372036854775808", "18446744073709551616", "922337203685",
                     "922337203686", "1E+30", "1_000", "+5", " 7 "]),
    st.integers(-(2**80), 2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=1e15, max_value=1e308).map(lambda v: f"{v:.17g}"),
)


@st.composite
def mutated(draw: Any, original: bytes, numeric: tuple[bytes, ...] = ()) -> bytes:
    """A file damaged in one or a few of the ways real files are.

    ``numeric`` names the header cells of numeric columns: a ``"number"`` damage writes one
    of :data:`HUGE_NUMBERS` into one of them, in a data row.
    """
    lines = original.split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        lines = lines or [b""]
        kind = draw(st.sampled_from(["bytes", "truncate", "drop_rows", "duplicate_rows",
                                     "drop_column", "duplicate_column", "swap_cell",
                                     "shuffle_header", "crlf", "encoding",
                                     *(["number"] * 3 if numeric else [])]))
        if kind == "bytes":
            data = b"\n".join(lines)
            at = draw(st.integers(0, len(data)))
            junk = draw(st.binary(min_size=1, max_size=16))
            lines = (data[:at] + junk + data[at + draw(st.integers(0, 8)):]).split(b"\n")
        elif kind == "truncate":
            data = b"\n".join(lines)
            lines = data[:draw(st.integers(0, len(data)))].split(b"\n")
        elif kind in ("drop_rows", "duplicate_rows") and len(lines) > 1:
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(i, min(len(lines), i + 20)))
            lines = (lines[:i] + lines[j:] if kind == "drop_rows"
                     else lines[:j] + lines[i:j] + lines[j:])
        elif kind in ("drop_column", "duplicate_column"):
            width = max(len(line.split(b",")) for line in lines)
            c = draw(st.integers(0, width - 1))

            def edit(cells: list[bytes], c: int = c, kind: str = kind) -> list[bytes]:
                if c >= len(cells):
                    return cells
                return (cells[:c] + cells[c + 1:] if kind == "drop_column"
                        else cells[:c + 1] + cells[c:])
            lines = [b",".join(edit(line.split(b","))) for line in lines]
        elif kind == "swap_cell" and lines:
            r = draw(st.integers(0, len(lines) - 1))
            cells = lines[r].split(b",")
            c = draw(st.integers(0, len(cells) - 1))
            cells[c] = draw(ODD_VALUES).encode("utf-8", "surrogatepass")
            lines[r] = b",".join(cells)
        elif kind == "number" and len(lines) > 1:
            header = [cell.strip(b"\xef\xbb\xbf\r ") for cell in lines[0].split(b",")]
            columns = [i for i, name in enumerate(header) if name in numeric]
            r = draw(st.integers(1, len(lines) - 1))
            cells = lines[r].split(b",")
            c = draw(st.sampled_from(columns)) if columns else len(cells)
            if c < len(cells):
                cells[c] = draw(HUGE_NUMBERS).encode()
                lines[r] = b",".join(cells)
        elif kind == "shuffle_header" and lines:
            cells = lines[0].split(b",")
            lines[0] = b",".join(draw(st.permutations(cells)))
        elif kind == "crlf":
            lines = [line + b"\r" for line in lines]
        elif kind == "encoding":
            text = b"\n".join(lines).decode("utf-8", "replace")
            codec = draw(st.sampled_from(["utf-16", "cp1252", "latin-1", "utf-8-sig"]))
            lines = text.encode(codec, "replace").split(b"\n")
    return b"\n".join(lines)


def _only_package_errors(read: Any, path: Path) -> Any:
    """What ``read(path)`` returns, or None when it fails with a package error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # e.g. the Windows-1252 fallback warning
        try:
            return read(path)
        except PBCModelError:
            return None


PATIENT_NUMBERS = (b"NUMBER_OF_PATIENTS",)


@FUZZ
@given(data=mutated(PATIENTS, PATIENT_NUMBERS))
def test_registered_patient_files_fail_only_with_package_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "patients.csv"
        path.write_bytes(data)
        pop = _only_package_errors(pbc.io.read_registered_patients, path)
        if pop is not None:      # read: then every count is a real count, never wrapped round
            counts = pop.counts.to_numpy()
            assert counts.dtype == np.int64 and (counts >= 0).all()
            assert (counts <= MAX_COUNT).all() and (pop.list_size.to_numpy() >= 0).all()


@FUZZ
@given(data=mutated(PATIENTS, PATIENT_NUMBERS))
def test_budgets_command_writes_all_or_nothing(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder = Path(tmp)
        (folder / "patients.csv").write_bytes(data)
        out = folder / "out" / "budgets.csv"
        status = main(["budgets", "--population", str(folder / "patients.csv"),
                       "--resource", "2e6", "--out", str(out)])
        assert status in (0, 2)                  # 1 would be a bug in pbcmodel
        if status == 2:
            assert sorted(p.name for p in folder.iterdir()) == ["patients.csv"]
        else:
            assert out.stat().st_size > 0


@pytest.mark.skipif(not WEIGHTED.exists() or not hasattr(pbc.io, "read_weighted_populations"),
                    reason="no weighted-population reader or 2026/27 fixture yet "
                           "(England engineer)")
@FUZZ
@given(data=st.deferred(lambda: mutated(WEIGHTED.read_bytes(), WEIGHTED_NUMBERS)))
def test_weighted_population_files_fail_only_with_package_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "2026_2027.csv"
        path.write_bytes(data)
        wp = _only_package_errors(pbc.io.read_weighted_populations, path)
        if wp is None:
            return
        # read: then every number is finite and within the count limit, so the sums over
        # practices that need indices and budgets are made of cannot overflow
        numbers = wp.frame[["registered", *COMPONENTS]].to_numpy(dtype=float)
        assert np.isfinite(numbers).all() and (numbers >= 0).all()
        assert (numbers <= MAX_COUNT).all()
        assert np.isfinite(numbers.sum(axis=0)).all()
        try:                     # and what is read gives a need index and budgets, or says why
            index = pbc.capitation.need_index(wp)
            budgets = pbc.capitation.WeightedCapitation().budgets_pence(wp, 1e6)["total"]
        except PBCModelError:
            return
        assert np.isfinite(index.to_numpy()).all() and (index.to_numpy() >= 0).all()
        assert int(budgets.sum()) == 100_000_000 and (budgets >= 0).all()


#: TOML values of every type, including the ones a scenario never wants.
TOML_VALUES = st.one_of(
    st.sampled_from(["inf", "-inf", "nan", "1e300", "-1", "0", "2.5", "true", '""', "[]", "{}",
                     "9223372036854775807", "1e-320", '"example"', '{dataset = "example"}',
                     '{dataset = "synthetic", n_practices = 3}', "[[0.0, 0.7]]",
                     '{registered_patients = "nope.csv"}', "[" * 40 + "]" * 40]),
    st.integers(-(2**63), 2**63 - 1).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


@st.composite
def scenario_files(draw: Any) -> bytes:
    if draw(st.booleans()):
        return draw(mutated(SCENARIO))
    lines = SCENARIO.split(b"\n")
    for _ in range(draw(st.integers(1, 3))):       # change values, keep the TOML valid-ish
        r = draw(st.integers(0, len(lines) - 1))
        key, sep, _value = lines[r].partition(b" = ")
        if sep:
            lines[r] = key + sep + draw(TOML_VALUES).encode()
    return b"\n".join(lines)


@FUZZ
@given(data=scenario_files(), suffix=st.sampled_from([".toml", ".json"]))
def test_scenario_files_fail_only_with_package_errors(data: bytes, suffix: str) -> None:
    if suffix == ".json":
        data = data.replace(b" = ", b": ")        # mostly invalid JSON: the parser's errors
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"s{suffix}"
        path.write_bytes(data)
        try:
            scn = pbc.load_scenario(path)
            scn.budgets()
        except PBCModelError:
            pass
        assert sorted(p.name for p in Path(tmp).iterdir()) == [path.name]


# --- issue 26, class 1: numbers as people type them, and the monitoring inputs -------------
# The one number rule (pbcmodel.number_text) under fuzzing: whatever a cell holds, a reader
# either refuses it with a package error or reads the one number it plainly writes; and the
# monthly spend that monitoring reads (statements --month) fails only with package errors,
# and what is read gives finite forecasts.
from pbcmodel.cli.statements_command import read_monthly_spend, read_outturn  # noqa: E402
from pbcmodel.monitoring import forecast_outturn  # noqa: E402
from pbcmodel.number_text import parse_number  # noqa: E402
from pbcmodel.phasing import flat_profile, phase  # noqa: E402

#: Numbers as finance people type them, in every locale and spreadsheet habit.
TYPED_NUMBERS = st.one_of(
    st.sampled_from(["1,2", "1,0", "12,34,5", "1.234,56", "1,234", "1,234,567.89", "£1,234.50",
                     "-£12", "£-12", "5%", "£1m", "1k", "2.5bn", "(12)", "(1,234)", "1 234",
                     "1_000", "#N/A", "#DIV/0!", "#VALUE!", "nan", "inf", "$12", "€12",
                     "1,234e3", ",123", "1,", "£", "--3", "+3", ".5", "1e6", "1.5E-3"]),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: f"{x:,.2f}"),
    st.text(alphabet="0123456789,.-+£e%() ", min_size=1, max_size=10),
)
_PRACTICES = [str(p) for p in pbc.Scenario.example().population.practices.index]
OUTTURN = ("practice,outturn\n" + "".join(f"{p},{1000 + i}\n" for i, p in
                                          enumerate(_PRACTICES))).encode()
MONTHLY = ("practice,month,cost\n" + "".join(f"{p},{m},{100 + i}\n" for i, p in
                                             enumerate(_PRACTICES) for m in (1, 2, 3))).encode()


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@FUZZ
@given(cell=TYPED_NUMBERS, row=st.integers(0, len(_PRACTICES) - 1))
def test_outturn_cell_is_refused_or_read_as_the_one_number_it_writes(cell: str, row: int) -> None:
    lines = OUTTURN.decode().split("\n")
    lines[row + 1] = f"{_PRACTICES[row]},{_csv_cell(cell)}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "o.csv"
        path.write_text("\n".join(lines))
        try:
            outturn, _ = read_outturn(str(path))
        except PBCModelError as exc:
            assert f"practice {_PRACTICES[row]!r}, row {row + 2}, column 'outturn'" in str(exc)
            assert "np.float64" not in str(exc)
            return
    value = outturn.iloc[row]
    assert np.isfinite(value) and value == parse_number(cell, "cell")
    digits = cell.strip().lstrip("+-£").lstrip("+-")
    if "," in digits:                  # only en-GB grouping is ever read with a comma
        whole = digits.split(".")[0].split(",")
        assert 1 <= len(whole[0]) <= 3 and all(len(g) == 3 for g in whole[1:])


@FUZZ
@given(data=mutated(MONTHLY, (b"cost", b"month")), cell=TYPED_NUMBERS,
       month=st.integers(1, 12))
def test_monthly_spend_fails_only_with_package_errors(data: bytes, cell: str, month: int) -> None:
    lines = data.split(b"\n")
    if len(lines) > 2 and lines[1].count(b",") == 2:      # and one cost typed by a person
        code, mon, _cost = lines[1].split(b",")
        lines[1] = b",".join([code, mon, _csv_cell(cell).encode()])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.csv"
        path.write_bytes(b"\n".join(lines))
        read = _only_package_errors(read_monthly_spend, path)
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["m.csv"]
    if read is None:
        return
    actual, _ = read
    assert np.isfinite(actual["cost"]).all() and actual["month"].between(1, 12).all()
    budgets = pbc.Scenario.example().budgets()["total"]
    phased = phase(budgets, flat_profile())
    try:
        forecast = forecast_outturn(phased, actual, month)
    except PBCModelError:
        return
    numbers = forecast[["annual_budget", "actual_ytd", "forecast"]].to_numpy()
    assert np.isfinite(numbers).all()
