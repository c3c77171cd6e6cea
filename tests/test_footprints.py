"""Footprints (who holds a budget), their mapping files and England's PCN/place/ICB footprints."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel import datasets
from pbcmodel.errors import ValidationError
from pbcmodel.footprints import Footprints
from pbcmodel.io import read_footprints


def _fp(**kwargs: object) -> Footprints:
    return Footprints(pd.Series({"A1": "N", "A2": "N", "B1": "S"}), **kwargs)  # type: ignore[arg-type]


# construction -------------------------------------------------------------------------------
def test_codes_are_normalised_and_kept_as_own_copies():
    given = pd.Series({" a1 ": "n", "A2": "N ", "b1": "s"})
    names = pd.Series({"n": "North", "S": "South"})
    fp = Footprints(given, names=names, icb=pd.Series({"N": "qwo", "s": "QWO"}), level="pcn")
    given.iloc[0] = "X"
    names.iloc[0] = "changed"
    assert fp.footprint.to_dict() == {"A1": "N", "A2": "N", "B1": "S"}
    assert fp.footprint.index.name == "practice"
    assert fp.names.to_dict() == {"N": "North", "S": "South"}
    assert fp.icb.to_dict() == {"N": "QWO", "S": "QWO"}
    assert list(fp.codes) == ["N", "S"] and fp.n_footprints == 2
    assert fp.practices_in("n").tolist() == ["A1", "A2"]
    view = fp.footprint
    view.iloc[0] = "Z"
    assert fp.footprint.iloc[0] == "N"
    assert pbc.Footprints is Footprints


def test_practice_in_two_footprints_names_practice_and_both():
    with pytest.raises(ValidationError, match=r"practice 'A1' is in two footprints 'N', 'S'"):
        Footprints(pd.Series(["N", "S"], index=["A1", "a1"]))


def test_practice_listed_twice_in_one_footprint():
    with pytest.raises(ValidationError, match=r"practice 'A1' is twice in footprint 'N'"):
        Footprints(pd.Series(["N", "N"], index=["A1", "A1"]))


@pytest.mark.parametrize("index, values, culprit", [
    (["A1", ""], ["N", "S"], r"blank practice code \(footprint\(s\) 'S'\)"),
    (["A1", None], ["N", "S"], r"blank practice code \(footprint\(s\) 'S'\)"),
    (["A1", "B1"], ["N", " "], r"practice\(s\) 'B1' have a blank footprint"),
    (["A1", "B1"], ["N", None], r"practice\(s\) 'B1' have a blank footprint"),
])
def test_blank_codes_are_refused_naming_the_other_code(index, values, culprit):
    with pytest.raises(ValidationError, match=culprit):
        Footprints(pd.Series(values, index=index, dtype=object))


def test_empty_footprint_in_names_or_icb():
    with pytest.raises(ValidationError, match=r"empty footprint\(s\) 'E' \(in names"):
        _fp(names=pd.Series({"N": "North", "S": "South", "E": "East"}))
    with pytest.raises(ValidationError, match=r"empty footprint\(s\) 'E' \(in icb"):
        _fp(icb=pd.Series({"N": "QWO", "S": "QWO", "E": "QWO"}))


def test_icb_for_every_footprint_and_no_blank():
    with pytest.raises(ValidationError, match=r"no ICB for footprint\(s\) 'S'"):
        _fp(icb=pd.Series({"N": "QWO"}))
    with pytest.raises(ValidationError, match=r"icb: blank for footprint\(s\) 'S'"):
        _fp(icb=pd.Series({"N": "QWO", "S": ""}))


def test_bad_arguments():
    with pytest.raises(ValidationError, match="expected a Series"):
        Footprints({"A1": "N"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no practice"):
        Footprints(pd.Series([], dtype=object))
    with pytest.raises(ValidationError, match=r"level: expected one of pcn, place, icb, custom"):
        _fp(level="neighbourhood")
    with pytest.raises(ValidationError, match=r"unknown footprint 'X'; known: 'N', 'S'"):
        _fp().practices_in("X")


def test_check_one_icb_names_the_other_icb_and_its_practices():
    fp = _fp(icb=pd.Series({"N": "QWO", "S": "QHM"}))
    with pytest.raises(ValidationError, match=r"practice\(s\) 'B1' are in ICB 'QHM'"):
        fp.check_one_icb("qwo")
    with pytest.raises(ValidationError, match=r"practice\(s\) 'A1', 'A2' are in ICB 'QWO'"):
        fp.check_one_icb("QHM")
    _fp(icb=pd.Series({"N": "QWO", "S": "QWO"})).check_one_icb(" qwo")
    with pytest.raises(ValidationError, match="no ICB is given"):
        _fp().check_one_icb("QWO")


# sizes, table and apply ---------------------------------------------------------------------
def test_sizes_and_table():
    fp = _fp(names=pd.Series({"N": "North"}), icb=pd.Series({"N": "Q1", "S": "Q2"}))
    sizes = pd.Series({"a1": 10, "A2": 20, "B1": 5})
    assert fp.sizes(sizes).to_dict() == {"N": 30, "S": 5}
    table = fp.table(sizes)
    assert table.to_dict("index") == {
        "N": {"name": "North", "icb": "Q1", "practices": 2, "list_size": 30},
        "S": {"name": "S", "icb": "Q2", "practices": 1, "list_size": 5}}
    with pytest.raises(ValidationError, match=r"unknown practice code\(s\) 'C1'"):
        fp.sizes(pd.Series({"A1": 1, "A2": 1, "B1": 1, "C1": 1}))
    with pytest.raises(ValidationError, match=r"missing practice code\(s\) 'B1'"):
        fp.sizes(pd.Series({"A1": 1, "A2": 1}))


def test_apply_sets_consortium_and_keeps_everything_else():
    pop = datasets.example_population()
    mapping = pd.Series([f"F{i % 7}" for i in range(pop.n_practices)], index=pop.codes)
    fp = Footprints(mapping)
    out = fp.apply(pop)
    assert out.counts.equals(pop.counts)
    assert out.list_size.equals(pop.list_size)
    assert out.n_practices == pop.n_practices
    assert out.hierarchy["commissioner"].equals(pop.hierarchy["commissioner"])
    assert (out.units("consortium") == mapping.reindex(pop.codes)).all()
    assert fp.sizes(pop.list_size).sum() == pop.list_size.sum()
    assert (out.counts_by("consortium").sum(axis=1).sort_index()
            == fp.sizes(pop.list_size).sort_index()).all()


def test_apply_refuses_practices_without_footprint_and_unknown_practices():
    pop = datasets.example_population()
    few = Footprints(pd.Series("F", index=pop.codes[:3]))
    with pytest.raises(ValidationError, match=r"57 practice\(s\) of the population have no "
                                              r"footprint: .* and 52 more"):
        few.apply(pop)
    extra = Footprints(pd.Series("F", index=[*pop.codes, "Z99999"]))
    with pytest.raises(ValidationError, match=r"unknown practice codes 'Z99999'"):
        extra.apply(pop)


def test_repr_is_short():
    fp = _fp(icb=pd.Series({"N": "Q1", "S": "Q1"}), level="pcn", source="my.csv")
    assert repr(fp) == "Footprints(2 pcn footprint(s) of 3 practices, 1 ICB(s); my.csv)"
    assert "North" in _fp(names=pd.Series({"N": "North"}))._repr_html_()


# the reader ---------------------------------------------------------------------------------
def _csv(tmp_path: Path, text: str, name: str = "fp.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reader_reads_csv_with_names_and_icb(tmp_path):
    path = _csv(tmp_path, "Practice_Code,PCN_CODE,PCN_Name,ICB\n"
                          "a81001,u1,Stockton,qhm\nA81002,U1,Stockton,QHM\nB1,U2,,QHM\n")
    fp = read_footprints(path, level="pcn")
    assert fp.footprint.to_dict() == {"A81001": "U1", "A81002": "U1", "B1": "U2"}
    assert fp.names.to_dict() == {"U1": "Stockton"}
    assert fp.icb.to_dict() == {"U1": "QHM", "U2": "QHM"}
    assert fp.level == "pcn" and fp.source == str(path)


def test_reader_reads_gzipped_csv(tmp_path):
    path = tmp_path / "fp.csv.gz"
    path.write_bytes(gzip.compress(b"practice,footprint\nA1,N\n"))
    assert read_footprints(path).footprint.to_dict() == {"A1": "N"}


@pytest.mark.parametrize("text, culprit", [
    ("practice,footprint\nA1,N\nB1,S\nA1,N\n",
     r"practice 'A1' is on repeated rows 2, 4 \(footprint 'N'"),
    ("practice,footprint\nA1,N\nB1,S\na1 ,S\n",
     r"practice 'A1' is in two footprints 'N', 'S' \(rows 2, 4\)"),
    ("practice,footprint\nA1,N\n,S\n", r"blank practice in row\(s\) 3"),
    ("practice,footprint\nA1,N\nB1,\n", r"blank footprint in row\(s\) 3"),
    ("Practice,Group\nA1,N\n", r"missing column\(s\) 'footprint'; found 'Practice', 'Group'"),
    ("practice,footprint,footprint_name\nA1,N,North\nB1,N,Nord\n",
     r"footprint 'N' has two footprint_names 'North', 'Nord' \(rows 2, 3\)"),
    ("practice,footprint,icb\nA1,N,QWO\nB1,N,QHM\n",
     r"footprint 'N' has two icbs 'QWO', 'QHM' \(rows 2, 3\)"),
    ("practice,footprint,icb\nA1,N,QWO\nB1,S,\n", r"blank icb in row\(s\) 3"),
    ("practice,footprint,pcn_code\nA1,N,U1\n", r"columns 'footprint', 'pcn_code' both give"),
    ("practice,footprint\n", "has a header but no data rows"),
])
def test_reader_errors_name_file_row_and_code(tmp_path, text, culprit):
    path = _csv(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        read_footprints(path)
    assert str(path) in str(info.value)
    assert info.match(culprit)


def test_reader_reads_xlsx_with_row_numbers(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "fp.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [("PRACTICE", "Footprint", "Footprint_Name", "ICB_code"),
                ("A1", 101, "North", "QWO"), ("B1", 102.0, None, "qwo"),
                (" c1 ", "101", "North", "QWO")]:
        sheet.append(row)
    book.save(path)
    fp = read_footprints(path, level="custom")
    assert fp.footprint.to_dict() == {"A1": "101", "B1": "102", "C1": "101"}
    assert fp.names.to_dict() == {"101": "North"}
    assert fp.icb.to_dict() == {"101": "QWO", "102": "QWO"}
    sheet.append(("B1", "101", None, "QWO"))
    book.save(path)
    with pytest.raises(ValidationError, match=r"fp\.xlsx'.*practice 'B1' is in two footprints "
                                              r"'102', '101' \(rows 3, 5\)"):
        read_footprints(path)


def test_reader_refuses_an_empty_xlsx_and_a_bad_one(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "empty.xlsx"
    book = openpyxl.Workbook()
    book.active.append(("practice", "footprint"))
    book.save(path)
    with pytest.raises(ValidationError, match=r"empty\.xlsx' has a header but no data rows"):
        read_footprints(path)
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(ValidationError, match=r"bad\.xlsx' is not a readable Excel workbook"):
        read_footprints(bad)


# England ------------------------------------------------------------------------------------
def test_every_england_practice_in_exactly_one_pcn_footprint():
    fp = datasets.footprints("pcn", year="2026/27")
    wp = datasets.england("2026/27")
    assert fp.level == "pcn" and fp.source == datasets.PCN_ATTRIBUTION
    assert sorted(fp.practices) == sorted(wp.codes)
    assert not fp.practices.has_duplicates
    assert fp.n_footprints == 1386
    assert set(fp.icb.index) == set(fp.codes) and set(fp.names.index) == set(fp.codes)
    no_pcn = fp.names.str.endswith("(no PCN in the 2022/23 mapping)")
    assert int(no_pcn.sum()) == 121
    sizes = fp.sizes(wp.list_size)
    assert int(sizes.sum()) == int(wp.list_size.sum())
    pcns = sizes[~no_pcn.reindex(sizes.index).to_numpy()]
    assert len(pcns) == 1265                       # 1,264 PCNs, one split between two ICBs
    assert float(pcns.median()) == 45_824          # the median PCN's list size, 2026/27
    assert float(sizes.median()) == 43_999
    split = [c for c in fp.codes if c.startswith("U41591")]
    assert sorted(split) == ["U41591 (QJK)", "U41591 (QT6)"]


def test_one_icb_pcn_footprints_sum_to_its_list_size():
    fp = datasets.footprints("pcn", icb="qwo")
    wp = datasets.england("2026/27").subset(icb="QWO")
    fp.check_one_icb("QWO")
    assert fp.n_footprints == 54
    assert int(fp.sizes(wp.list_size).sum()) == int(wp.list_size.sum()) == 2_708_316
    table = fp.table(wp.list_size)
    assert table.loc["U79310", "name"] == "THE MAST PCN"
    assert int(table["practices"].sum()) == wp.n_practices
    pop = wp.to_population(datasets.england_age_sex_profile())
    applied = fp.apply(pop)
    assert applied.counts.equals(pop.counts)
    assert applied.hierarchy["consortium"].nunique() == 54
    assert np.array_equal(applied.counts_by("consortium").sum(axis=1)
                          .reindex(fp.codes).to_numpy(), fp.sizes(wp.list_size).to_numpy())


def test_place_and_icb_footprints():
    place = datasets.footprints("place", icb="QWO")
    assert place.n_footprints == 6 and place.names.loc["E08000034"] == "Kirklees"
    assert place.source == datasets.ATTRIBUTION and place.level == "place"
    england_icb = datasets.footprints("icb")
    assert england_icb.n_footprints == 36
    assert england_icb.names.loc["QWO"] == "NHS West Yorkshire ICB"
    assert (england_icb.icb.index == england_icb.icb.to_numpy()).all()
    places = datasets.footprints("place")
    split = [c for c in places.codes if "(" in c]
    assert split and all(places.names[c].endswith(f"({places.icb[c]})") for c in split)


def test_england_footprint_errors():
    with pytest.raises(ValidationError, match=r"unknown ICB code 'XYZ'; known codes include "
                                              r"'Q\w+', .* and \d+ more"):
        datasets.footprints("pcn", icb="XYZ")
    with pytest.raises(ValidationError, match=r"level: expected 'pcn', 'place' or 'icb', "
                                              r"got 'custom'"):
        datasets.footprints("custom")
    with pytest.raises(ValidationError, match="year"):
        datasets.footprints(year="2020/21")
