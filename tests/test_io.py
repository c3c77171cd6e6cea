import pandas as pd
import pytest

from pbcmodel import ValidationError
from pbcmodel.io import read_registered_patients, write_tables

FIXTURE = "gp-reg-pat-prac-quin-age.csv"


def raw(data_dir):
    return pd.read_csv(data_dir / FIXTURE, dtype=str)


def test_reads_nhs_layout_with_consortia(data_dir):
    pop = read_registered_patients(data_dir / FIXTURE, consortia=data_dir / "consortia.csv")
    df = raw(data_dir)
    stated = df[(df.SEX == "ALL") & (df.AGE_GROUP_5 == "ALL")].set_index("ORG_CODE")
    # the ALL/ALL row of each practice is its list size
    assert pop.list_size.to_dict() == stated["NUMBER_OF_PATIENTS"].astype(int).to_dict()
    assert pop.practices["consortium"].to_dict() == {
        "A81001": "North", "A81002": "North", "B82005": "South"}
    assert pop.practices.loc["B82005", "commissioner"] == "42D"
    assert pop.counts.loc["A81001", ("95+", "M")] == 0  # a real zero stays zero


def test_without_consortia_commissioner_is_the_consortium(data_dir):
    pop = read_registered_patients(data_dir / FIXTURE)
    assert pop.practices["consortium"].to_dict() == {
        "A81001": "16C", "A81002": "16C", "B82005": "42D"}


def test_older_ccg_code_column(data_dir):
    df = raw(data_dir).rename(columns={"SUB_ICB_LOCATION_CODE": "CCG_CODE"})
    assert read_registered_patients(df).practices["commissioner"].nunique() == 2


def test_all_rows_must_add_up(data_dir):
    df = raw(data_dir)
    i = df.index[(df.ORG_CODE == "A81002") & (df.SEX == "MALE") & (df.AGE_GROUP_5 == "ALL")][0]
    df.loc[i, "NUMBER_OF_PATIENTS"] = "1"
    with pytest.raises(ValidationError, match=r"ALL row for \('A81002', 'MALE'\)"):
        read_registered_patients(df)


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("NUMBER_OF_PATIENTS", "-4", "non-negative integer.*'-4'.*'A81001'"),
        ("NUMBER_OF_PATIENTS", "", "non-negative integer.*'A81001'"),
        ("SEX", "UNKNOWN", "unknown SEX 'UNKNOWN'"),
        ("AGE_GROUP_5", "100+", r"unknown AGE_GROUP_5 '100\+'"),
    ],
)
def test_bad_values_name_the_culprit(data_dir, column, value, match):
    df = raw(data_dir)
    df.loc[5, column] = value
    with pytest.raises(ValidationError, match=match):
        read_registered_patients(df)


def test_missing_columns_and_practice_without_consortium(data_dir, tmp_path):
    with pytest.raises(ValidationError, match="no commissioner column"):
        read_registered_patients(raw(data_dir).drop(columns="SUB_ICB_LOCATION_CODE"))
    with pytest.raises(ValidationError, match="missing column.*'NUMBER_OF_PATIENTS'"):
        read_registered_patients(raw(data_dir).drop(columns="NUMBER_OF_PATIENTS"))
    with pytest.raises(ValidationError, match="no consortium for practice.*'B82005'"):
        read_registered_patients(raw(data_dir), consortia={"A81001": "N", "A81002": "N"})
    with pytest.raises(ValidationError, match="no such file"):
        read_registered_patients(tmp_path / "absent.csv")


def test_duplicate_rows_rejected(data_dir):
    df = raw(data_dir)
    part = df[(df.SEX == "MALE") & (df.AGE_GROUP_5 == "5_9")].iloc[[0]]
    with pytest.raises(ValidationError, match="duplicate rows"):
        read_registered_patients(pd.concat([df, part]))


def test_write_tables_formats_and_no_overwrite(tmp_path):
    tables = {"a": pd.DataFrame({"x": [1.5, 2.5]}), "b": pd.Series([1, 2], name="y")}
    paths = write_tables(tables, tmp_path / "out")
    assert sorted(p.name for p in paths) == ["a.csv", "b.csv"]
    assert pd.read_csv(paths[0], index_col=0)["x"].tolist() == [1.5, 2.5]
    with pytest.raises(ValidationError, match="a.csv, b.csv already exist"):
        write_tables(tables, tmp_path / "out")
    write_tables(tables, tmp_path / "out", force=True)
    (p,) = write_tables(tables, tmp_path / "xl", format="excel")
    assert pd.read_excel(p, sheet_name="b", index_col=0)["y"].tolist() == [1, 2]
    pq = write_tables(tables, tmp_path / "pq", format="parquet")
    assert pd.read_parquet(pq[0])["x"].tolist() == [1.5, 2.5]


@pytest.mark.parametrize("name", ["../escape", "sub/dir", "", ".hidden"])
def test_write_tables_refuses_names_outside_out_dir(tmp_path, name):
    with pytest.raises(ValidationError, match="plain file name"):
        write_tables({name: pd.DataFrame({"x": [1]})}, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_write_tables_bad_format(tmp_path):
    with pytest.raises(ValidationError, match="format: must be one of"):
        write_tables({"a": pd.DataFrame()}, tmp_path, format="pickle")
