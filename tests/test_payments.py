"""NHS Payments to General Practice: every year's layout, the 2022/23 PCN header, bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pbcmodel.errors import ValidationError
from pbcmodel.io import read_payments_to_general_practice
from pbcmodel.io.payments import COLUMNS, HEADERS, LAYOUTS, NO_PCN

FIXTURES = Path(__file__).parent / "data" / "payments"
# The shared data beside the repository (CI clones it with ../shared beside it; a git
# worktree under wt/ has it one level further up).
_SHARED = [Path(__file__).parents[1].parent, Path(__file__).parents[2].parent]
REAL = next((base / "shared" / "data" / "nhs-payments-to-general-practice" for base in _SHARED
             if (base / "shared" / "data" / "nhs-payments-to-general-practice").is_dir()),
            _SHARED[0] / "shared" / "data" / "nhs-payments-to-general-practice")
YEARS = list(HEADERS)


def _file(year: str) -> str:
    return f"{year[:4]}-{year[5:]}.csv.gz"


def _lines(year: str) -> list[bytes]:
    return gzip.decompress((FIXTURES / _file(year)).read_bytes()).splitlines(keepends=True)


def test_layouts_name_nine_years():
    assert YEARS == ["2014/15", "2015/16", "2016/17", "2017/18", "2018/19", "2019/20",
                     "2020/21", "2021/22", "2022/23"]
    assert list(LAYOUTS) == YEARS
    for year in YEARS:
        keys = {" ".join(c.split()).casefold() for c in HEADERS[year]}
        assert {" ".join(c.split()).casefold() for c in LAYOUTS[year]} <= keys, year


@pytest.mark.parametrize("year", YEARS)
def test_every_layout_is_recognised(year):
    df = read_payments_to_general_practice(FIXTURES / _file(year))
    assert list(df.columns) == list(COLUMNS)
    assert (df["year"] == year).all()
    assert df["practice"].is_unique and df["practice"].str.fullmatch(r"[A-Z0-9]+").all()
    assert df[["region_code", "sub_icb_code", "sub_icb_name", "practice_name"]].notna().all().all()
    assert df[["registered_patients", "weighted_patients", "total_payments"]].notna().all().all()
    closed = df[df["close_date"].notna() & (df["registered_patients"] == 0)]
    assert len(closed) >= 1                   # the closed practice's 0 patients stay 0
    assert (closed["weighted_patients"] == 0).all()
    if year < "2019/20":
        assert df["pcn_code"].isna().all() and df["pcn_name"].isna().all()
    else:
        no_pcn = df["pcn_name"] == NO_PCN
        assert no_pcn.sum() >= 1
        assert df.loc[no_pcn, "pcn_code"].isna().all()    # the text is not a code
        assert df.loc[~no_pcn, "pcn_code"].str.fullmatch(r"U\d{5}").all()
    if year >= "2016/17":
        assert df["atypical"].str.contains("Part year of data").any()
        assert not df["atypical"].dropna().str.contains("|", regex=False).any()


def test_published_average_is_total_over_weighted():
    # The file's own "Average payments per weighted patient" is total_payments / weighted:
    # the total column chosen is the one the publication uses. (2014/15 publishes weighted
    # lists rounded to whole patients, hence the small relative tolerance.)
    for year in YEARS:
        df = read_payments_to_general_practice(FIXTURES / _file(year))
        text = pd.read_csv(FIXTURES / _file(year), dtype=str, encoding="utf-8-sig")
        average = pd.to_numeric(text["Average payments per weighted patient"], errors="coerce")
        open_ = df["weighted_patients"] > 0
        np.testing.assert_allclose(df.loc[open_, "total_payments"]
                                   / df.loc[open_, "weighted_patients"],
                                   average[open_], rtol=2e-4, atol=0.006, err_msg=year)


def test_2022_23_pcn_is_under_code_and_ccg_name():
    df = read_payments_to_general_practice(FIXTURES / "2022-23.csv.gz").set_index("practice")
    a = df.loc["A81001"]
    assert (a.pcn_code, a.pcn_name) == ("U89141", "STOCKTON PCN")
    assert (a.sub_icb_code, a.sub_icb_name) == ("16C", "NHS NORTH EAST AND NORTH CUMBRIA ICB - 16C")
    assert a.region_code == "Y63"
    assert a.registered_patients == 4029.25 and a.total_payments == 720462.51


def test_2019_20_pcn_columns():
    df = read_payments_to_general_practice(FIXTURES / "2019-20.csv.gz").set_index("practice")
    assert df.loc["E83003", ["pcn_code", "pcn_name", "sub_icb_name"]].tolist() == [
        "U33392", "BARNET 2 PCN", "NHS BARNET CCG"]


def test_plain_csv_and_no_bom_and_any_file_name(tmp_path):
    lines = _lines("2022/23")
    p = tmp_path / "payments.csv"
    p.write_bytes(lines[0].removeprefix(b"\xef\xbb\xbf") + b"".join(lines[1:]))
    plain = read_payments_to_general_practice(p)
    pd.testing.assert_frame_equal(plain, read_payments_to_general_practice(
        FIXTURES / "2022-23.csv.gz"))


def _write(tmp_path: Path, year: str, edit) -> Path:
    frame = pd.read_csv(FIXTURES / _file(year), dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    frame.columns = list(HEADERS[year])
    frame = edit(frame)
    p = tmp_path / "edited.csv"
    frame.to_csv(p, index=False)
    return p


def test_zero_and_missing_are_distinct(tmp_path):
    def edit(f):
        f.loc[0, "Number of Registered Patients (Last Known Figure)"] = ""
        f.loc[1, "Number of Weighted Patients (Last Known Figure)"] = "| No registered patients |"
        f.loc[2, "Total NHS Payments to General Practice"] = "N/A"
        f.loc[2, "Number of Registered Patients (Last Known Figure)"] = "0"
        return f
    df = read_payments_to_general_practice(_write(tmp_path, "2020/21", edit))
    assert np.isnan(df.loc[0, "registered_patients"])
    assert np.isnan(df.loc[1, "weighted_patients"])
    assert np.isnan(df.loc[2, "total_payments"])
    assert df.loc[2, "registered_patients"] == 0.0
    assert df["registered_patients"].isna().sum() == 1      # nothing else became missing


# a comma is read only between groups of three digits (issue 26's number rule): "1,2" is not
# £12, "12,34,5" not £12,345, "1.234,56" not £1.23456; "1,234" is £1,234 (below)
@pytest.mark.parametrize("text", ["12x", "lots", "inf", "1,2", "12,34,5", "1.234,56", "1,2345",
                                  "5%", "£1m", "(12)"])
def test_non_numeric_cell_names_file_row_column_and_text(tmp_path, text):
    def edit(f):
        f.loc[2, "Total NHS Payments to General Practice"] = text
        return f
    p = _write(tmp_path, "2017/18", edit)
    with pytest.raises(ValidationError) as err:
        read_payments_to_general_practice(p)
    message = str(err.value)
    assert isinstance(err.value, ValueError)
    for part in (str(p), "row 4", "'Total NHS Payments to General Practice'", repr(text)):
        assert part in message


def test_thousands_separators_are_read_by_the_number_rule(tmp_path):
    def edit(f):
        f.loc[2, "Total NHS Payments to General Practice"] = "1,234,567.89"
        return f
    df = read_payments_to_general_practice(_write(tmp_path, "2017/18", edit))
    assert df.loc[2, "total_payments"] == 1234567.89


def test_negative_patients_refused(tmp_path):
    def edit(f):
        f.loc[0, "Number of Weighted Patients (Last Known Figure)"] = "-5"
        return f
    with pytest.raises(ValidationError, match=r"row 2, column 'Number of Weighted.*'-5'"):
        read_payments_to_general_practice(_write(tmp_path, "2015/16", edit))


def test_bad_date_refused(tmp_path):
    def edit(f):
        f.loc[1, "Practice Open Date"] = "1999-04-01"
        return f
    with pytest.raises(ValidationError, match=r"row 3, column 'Practice Open Date'.*1999-04-01"):
        read_payments_to_general_practice(_write(tmp_path, "2016/17", edit))


def test_duplicate_practice_names_code_and_rows(tmp_path):
    def edit(f):
        f.loc[2, "Practice Code"] = f.loc[0, "Practice Code"].lower()
        return f
    with pytest.raises(ValidationError, match=r"duplicate practice code 'A81001' in rows 2, 4"):
        read_payments_to_general_practice(_write(tmp_path, "2022/23", edit))


def test_missing_practice_code(tmp_path):
    def edit(f):
        f.loc[1, "Practice Code"] = " "
        return f
    with pytest.raises(ValidationError, match=r"no practice code in row\(s\) 3"):
        read_payments_to_general_practice(_write(tmp_path, "2022/23", edit))


def test_unknown_header_names_file_and_columns(tmp_path):
    def edit(f):
        return f.rename(columns={"Code": "PCN Code", "CCG NAME": "PCN Name"})
    p = _write(tmp_path, "2022/23", edit)
    with pytest.raises(ValidationError) as err:
        read_payments_to_general_practice(p)
    message = str(err.value)
    assert str(p) in message and "unknown layout" in message and "'2022/23'" in message
    assert "lacks 'Code', 'CCG NAME'" in message and "adds 'PCN Code', 'PCN Name'" in message


def test_reordered_header_is_not_read_by_name(tmp_path):
    def edit(f):
        cols = list(f.columns)
        cols[4], cols[5] = cols[5], cols[4]        # PCN code and name swapped
        return f[cols]
    with pytest.raises(ValidationError, match="same columns in another order"):
        read_payments_to_general_practice(_write(tmp_path, "2021/22", edit))


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ValidationError, match="no such file.*nope.csv.gz"):
        read_payments_to_general_practice(tmp_path / "nope.csv.gz")


def test_empty_files(tmp_path):
    empty = tmp_path / "empty.csv.gz"
    empty.write_bytes(gzip.compress(b""))
    with pytest.raises(ValidationError, match="empty.csv.gz.*is empty"):
        read_payments_to_general_practice(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_bytes(_lines("2018/19")[0])
    with pytest.raises(ValidationError, match="header.csv.*no data rows"):
        read_payments_to_general_practice(header_only)


def test_cut_off_files(tmp_path):
    text = b"".join(_lines("2022/23"))
    cut_line = tmp_path / "cut.csv.gz"
    cut_line.write_bytes(gzip.compress(text[:-400]))          # last line cut mid-way
    with pytest.raises(ValidationError, match="cut.csv.gz.*cut off"):
        read_payments_to_general_practice(cut_line)
    cut_gzip = tmp_path / "cutgz.csv.gz"
    cut_gzip.write_bytes((FIXTURES / "2022-23.csv.gz").read_bytes()[:-300])
    with pytest.raises(ValidationError, match="cutgz.csv.gz.*not a complete gzip file"):
        read_payments_to_general_practice(cut_gzip)


@pytest.mark.skipif(not REAL.is_dir(), reason=f"the shared data folder {REAL} is absent "
                    "(CI clones the repository with ../shared beside it)")
@pytest.mark.parametrize("year", YEARS)
def test_real_files(year):
    df = read_payments_to_general_practice(REAL / _file(year))
    assert 6_500 <= len(df) <= 8_000
    assert df["practice"].is_unique and (df["year"] == year).all()
    assert df[["registered_patients", "weighted_patients", "total_payments"]].notna().all().all()
    per_weighted = (df["total_payments"] / df["weighted_patients"])[df["weighted_patients"] > 0]
    # Median payments per weighted patient: the publication's national figures run from
    # about £130 (2014/15) to about £155 (2022/23) a year; £100-£200 allows for the mix of
    # practices while catching a wrong column (a per-patient average, a PCN-inclusive total
    # or pence would fall far outside).
    assert 100 <= per_weighted.median() <= 200, per_weighted.median()
    if year >= "2019/20":
        assert df["pcn_code"].notna().mean() > 0.9
        assert df["pcn_code"].dropna().str.fullmatch(r"U\d{5}").all()
