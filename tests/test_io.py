import pandas as pd
import pytest

from pbcmodel import ValidationError
from pbcmodel.io import read_registered_patients, write_tables
from pbcmodel.io.registered import MappingWarning, read_mapping

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
        ("NUMBER_OF_PATIENTS", "-4", "whole number from 0 to .*'-4'.*'A81001'"),
        ("NUMBER_OF_PATIENTS", "", "whole number from 0 to .*'A81001'"),
        # as written, never as the int64 they would wrap to (-9223372036854775808)
        ("NUMBER_OF_PATIENTS", "inf", "NUMBER_OF_PATIENTS.*'inf'.*'A81001'.*row\\(s\\) 7"),
        ("NUMBER_OF_PATIENTS", "-inf", "NUMBER_OF_PATIENTS.*'-inf'"),
        ("NUMBER_OF_PATIENTS", "NaN", "NUMBER_OF_PATIENTS.*'NaN'"),
        ("NUMBER_OF_PATIENTS", "1e30", "^(?!.*-9223372036854775808).*'1e30'.*'A81001'"),
        ("NUMBER_OF_PATIENTS", "99999999999999999999999", "'99999999999999999999999'"),
        # issue 26: '1,234' is 1234 by the number rule; a comma elsewhere is refused as written
        ("NUMBER_OF_PATIENTS", "1,2", "whole number from 0 to .*'1,2' \\(a comma is read only "
                                      "between groups of three digits.*'A81001'.*row\\(s\\) 7"),
        ("SEX", "UNKNOWN", "unknown SEX 'UNKNOWN'"),
        ("AGE_GROUP_5", "100+", r"unknown AGE_GROUP_5 '100\+'"),
    ],
)
def test_bad_values_name_the_culprit(data_dir, column, value, match):
    df = raw(data_dir)
    df.loc[5, column] = value
    with pytest.raises(ValidationError, match=match):
        read_registered_patients(df)


def test_count_limit_is_the_population_limit():
    """One cell may hold MAX_COUNT patients (what Population accepts); one more is refused."""
    from pbcmodel.validation import MAX_COUNT

    def one_cell(count: str) -> pd.DataFrame:
        return pd.DataFrame({"ORG_CODE": ["A81001"], "CCG_CODE": ["00K"], "SEX": ["MALE"],
                             "AGE_GROUP_5": ["95+"], "NUMBER_OF_PATIENTS": [count]})

    assert read_registered_patients(one_cell(str(MAX_COUNT))).list_size["A81001"] == MAX_COUNT
    with pytest.raises(ValidationError, match=f"from 0 to {MAX_COUNT:,}; got '{MAX_COUNT + 1}'"):
        read_registered_patients(one_cell(str(MAX_COUNT + 1)))


def test_missing_columns_and_practice_without_consortium(data_dir, tmp_path):
    with pytest.raises(ValidationError, match="no commissioner column.*mapping="):
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


# NHS Digital's published layouts (fixtures in tests/data/nhs_digital: real headers,
# invented counts) --------------------------------------------------------------------
NHSD = "nhs_digital"
MULTI = "gp-reg-pat-prac-quin-age.csv"
MAP = "gp-reg-pat-prac-map.csv"
#: ALL/ALL rows of the two practices in the fixture (the PCN, sub-ICB, ICB and region
#: rows above them total 9,230 and must never become practices).
LISTS = {"A81001": 2625, "A81002": 6605}


def test_multi_level_file_keeps_only_gp_rows(data_dir):
    with pytest.warns(MappingWarning, match=r"1 practice\(s\) in the mapping.*'A81099'"):
        pop = read_registered_patients(data_dir / NHSD / MULTI, mapping=data_dir / NHSD / MAP)
    assert pop.list_size.to_dict() == LISTS           # not 8 "practices", not 4.4× the patients
    assert pop.practices["consortium"].to_dict() == {"A81001": "U89141", "A81002": "U07032"}
    assert set(pop.practices["commissioner"]) == {"16C"}
    assert pop.counts.loc["A81001", ("95+", "M")] == 0     # a real zero stays zero


def test_mapping_given_as_consortia_and_icb_as_commissioner(data_dir):
    with pytest.warns(MappingWarning):
        pop = read_registered_patients(data_dir / NHSD / MULTI,
                                       consortia=data_dir / NHSD / MAP, commissioner="icb")
    assert set(pop.practices["commissioner"]) == {"QHM"}
    assert pop.practices.loc["A81002", "consortium"] == "U07032"


def test_zip_as_downloaded_reads_like_the_csv(data_dir):
    with pytest.warns(MappingWarning):
        zipped = read_registered_patients(data_dir / NHSD / "gp-reg-pat-prac-quin-age.zip",
                                          mapping=data_dir / NHSD / MAP)
    with pytest.warns(MappingWarning):
        plain = read_registered_patients(data_dir / NHSD / MULTI, mapping=data_dir / NHSD / MAP)
    assert zipped == plain


def test_multi_level_file_needs_the_mapping(data_dir):
    with pytest.raises(ValidationError, match="no commissioner column.*gp-reg-pat-prac-map"):
        read_registered_patients(data_dir / NHSD / MULTI)
    with pytest.raises(ValidationError, match="no commissioner column"):
        read_registered_patients(data_dir / NHSD / MULTI, consortia=data_dir / "consortia.csv")


def test_practices_missing_from_the_mapping_are_an_error(data_dir):
    mapping = pd.read_csv(data_dir / NHSD / MAP, dtype=str)
    with pytest.raises(ValidationError, match=r"'A81002' are in the .*counts but not in the "
                                              "mapping"):
        read_registered_patients(data_dir / NHSD / MULTI, mapping=mapping.iloc[[0]])


def test_mapping_codes_are_normalised_and_duplicates_refused(data_dir):
    mapping = pd.read_csv(data_dir / NHSD / MAP, dtype=str)
    assert mapping.loc[1, "PRACTICE_CODE"] == " a81002 "     # as the fixture has it
    tree = read_mapping(mapping)
    assert "A81002" in tree.index
    doubled = pd.concat([mapping, mapping.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValidationError, match=r"practice\(s\) 'A81001' listed twice"):
        read_mapping(doubled)
    with pytest.raises(ValidationError, match="no sub_icb column"):
        read_mapping(mapping.drop(columns="SUB_ICB_LOCATION_CODE"))


def test_successive_commissioner_column_names(data_dir):
    for name in ("SUB_ICB_LOCATION_CODE", "SUB_ICB_LOC_CODE", "CCG_CODE"):
        df = raw(data_dir).rename(columns={"SUB_ICB_LOCATION_CODE": name})
        assert read_registered_patients(df).practices.loc["B82005", "commissioner"] == "42D"


def test_non_gp_rows_of_a_totals_style_file_are_dropped(data_dir):
    df = raw(data_dir)
    pcn_rows = df[df.ORG_CODE == "A81001"].assign(TYPE="PCN", ORG_CODE="U11111")
    pop = read_registered_patients(pd.concat([df, pcn_rows], ignore_index=True))
    assert "U11111" not in pop.codes and pop.n_practices == 3


def test_pre_2017_wide_layout(data_dir):
    pop = read_registered_patients(data_dir / NHSD / "gp-reg-patients-prac-quin-age-jan-16.csv")
    assert pop.list_size.to_dict() == LISTS
    assert set(pop.practices["commissioner"]) == {"00K"}
    with pytest.warns(MappingWarning):
        multi = read_registered_patients(data_dir / NHSD / MULTI, mapping=data_dir / NHSD / MAP)
    assert pop.counts.equals(multi.counts)           # same counts in the two layouts
    wide = pd.read_csv(data_dir / NHSD / "gp-reg-patients-prac-quin-age-jan-16.csv", dtype=str)
    wide.loc[0, "Total_All"] = "1"
    with pytest.raises(ValidationError, match="Total_All for 'A81001' says 1"):
        read_registered_patients(wide)


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


# files cut off part-way, and consortia files that list more practices -------------------
def _cells_only(data_dir) -> pd.DataFrame:
    """The fixture without its ALL rows: 3 practices × 40 cells, in file order."""
    df = raw(data_dir)
    return df[(df.SEX != "ALL") & (df.AGE_GROUP_5 != "ALL")].reset_index(drop=True)


@pytest.mark.parametrize("lost", [1, 5, 39])
def test_last_practice_cut_off_at_a_line_break_is_refused(data_dir, lost):
    df = _cells_only(data_dir)
    assert len(df) == 120 and df.ORG_CODE.iloc[-1] == "B82005"
    # 120 − lost rows are left; the last is file row 120 − lost + 1 (header is row 1)
    with pytest.raises(ValidationError, match=rf"the table looks cut off: its last practice "
                                              rf"'B82005' has {40 - lost} of the 40 .*last "
                                              rf"file row {121 - lost}\)"):
        read_registered_patients(df.iloc[:-lost])


def test_what_a_cut_cannot_be_told_from_is_read(data_dir):
    df = _cells_only(data_dir)
    # cut exactly between two practices: B82005 is simply absent (documented as undetectable)
    assert read_registered_patients(df.iloc[:80]).codes.tolist() == ["A81001", "A81002"]
    # practices that list fewer cells (zero cells left out): the last one is not singled out
    zero_cell = (df.ORG_CODE == "A81001") & (df.SEX == "MALE") & (df.AGE_GROUP_5 == "95+")
    assert df.loc[zero_cell, "NUMBER_OF_PATIENTS"].tolist() == ["0"]
    pop = read_registered_patients(df[~zero_cell].iloc[:-1])
    assert pop.n_practices == 3 and pop.counts.loc["B82005", ("95+", "M")] == 0
    # a single practice: nothing to compare it with
    assert read_registered_patients(df.iloc[:30]).list_size.size == 1


def test_last_practice_with_its_total_is_checked_by_the_total(data_dir):
    """With an ALL/ALL row the cut shows as cells that do not add up to it."""
    df = raw(data_dir)
    with pytest.raises(ValidationError, match=r"ALL row for \('B82005', 'MALE'\)"):
        read_registered_patients(df.iloc[:-3])


def test_consortia_listing_more_practices_warns_naming_them(data_dir, tmp_path):
    table = {"a81001": "North", "A81002": "North", "B82005": "South", " z99998 ": "East",
             "Z99999": "East"}
    with pytest.warns(MappingWarning, match=r"consortia: 2 practice\(s\) in the consortia file "
                                            r"are not in the registered-patient counts and "
                                            r"are left out: 'Z99998', 'Z99999'"):
        pop = read_registered_patients(data_dir / FIXTURE, consortia=table)
    assert set(pop.practices["consortium"]) == {"North", "South"}
    (tmp_path / "c.csv").write_text("practice,consortium\n" + "".join(
        f"{k},{v}\n" for k, v in table.items()))
    with pytest.warns(MappingWarning, match="'Z99998', 'Z99999'"):
        assert read_registered_patients(data_dir / FIXTURE, consortia=tmp_path / "c.csv") == pop


def test_consortia_listing_exactly_the_practices_is_silent(data_dir, recwarn):
    read_registered_patients(data_dir / FIXTURE, consortia=data_dir / "consortia.csv")
    assert not [w for w in recwarn if issubclass(w.category, MappingWarning)]


# weighted populations: numbers that would overflow or poison a sum -----------------------
WEIGHTED_FIXTURE = "weighted/2026_2027.csv"


@pytest.mark.parametrize(("column", "cell"), [
    ("Registered Patients", "inf"), ("Registered Patients", "1e30"),
    ("Registered Patients", "-inf"), ("Core WP", "NaN"), ("Core WP", "1e308"),
    ("Core WP", "Infinity"), ("Mat WP", "922337203686"),
])
def test_weighted_numbers_out_of_range_are_quoted_as_written(data_dir, column, cell):
    from pbcmodel.io import read_weighted_populations

    df = pd.read_csv(data_dir / WEIGHTED_FIXTURE, dtype=str, encoding="utf-8-sig")
    df.loc[1, column] = cell                       # B85022, file row 3
    with pytest.raises(ValidationError, match=rf"'{column}' must be a number >= 0 and <= "
                                              rf"922,337,203,685; practice\(s\) 'B85022' "
                                              rf"\(row\(s\) 3\) have '{cell}'"):
        read_weighted_populations(df)


def test_weighted_numbers_up_to_the_count_limit_are_read(data_dir):
    from pbcmodel.io import read_weighted_populations
    from pbcmodel.validation import MAX_COUNT

    df = pd.read_csv(data_dir / WEIGHTED_FIXTURE, dtype=str, encoding="utf-8-sig")
    df.loc[1, "Mat WP"] = str(MAX_COUNT)
    df.loc[2, "Mat WP"] = "0"                      # zero is a weighted population, not missing
    wp = read_weighted_populations(df)
    assert wp.weighted("maternity").loc[["B85022", "B86001"]].tolist() == [MAX_COUNT, 0.0]


@pytest.mark.parametrize(("source", "year", "match"), [
    (None, None, r"weighted populations: expected a file path, got None"),
    ("", None, r"weighted populations: expected a file path, got ''"),
    (WEIGHTED_FIXTURE, 2026, r"year: expected an allocation year label such as '2026/27', "
                             r"got 2026"),
    (WEIGHTED_FIXTURE, " ", r"year: expected an allocation year label .* got ' '"),
])
def test_weighted_reader_arguments_are_checked(data_dir, source, year, match):
    from pbcmodel.io import read_weighted_populations

    path = data_dir / source if source == WEIGHTED_FIXTURE else source
    with pytest.raises(ValidationError, match=match):
        read_weighted_populations(path, year=year)


@pytest.mark.parametrize(("consortia", "match"), [
    ("practice,consortium\nA81001,\nA81002,North\nB82005,South\n",
     r"consortia: practice\(s\) 'A81001' have a blank consortium \(rows 2\)"),
    ("practice,consortium\n,North\nA81001,North\nA81002,North\nB82005,South\n",
     r"consortia: no practice code in rows 2"),
    ("practice,consortium\nA81001,North\na81001 ,South\nA81002,North\nB82005,South\n",
     r"consortia: practice\(s\) 'A81001' listed twice \(rows 2, 3\)"),
    ({"A81001": "North", "a81001": "South", "A81002": "North", "B82005": "South"},
     r"'A81001' listed twice \(entries 1, 2\)"),      # was: the last one silently won
    ({"A81001": " ", "A81002": "North", "B82005": "South"},
     r"consortia: practice\(s\) 'A81001' have a blank consortium \(entries 1\)"),
    ({"A81001": None, "A81002": "North", "B82005": "South"}, r"'A81001' have a blank consortium"),
])
def test_consortia_problems_name_the_practice_and_row(data_dir, tmp_path, consortia, match):
    if isinstance(consortia, str):
        (tmp_path / "c.csv").write_text(consortia)
        consortia = tmp_path / "c.csv"
    with pytest.raises(ValidationError, match=match):
        read_registered_patients(data_dir / FIXTURE, consortia=consortia)


def test_consortia_as_a_series_or_mapping_read_like_the_file(data_dir):
    expected = read_registered_patients(data_dir / FIXTURE, consortia=data_dir / "consortia.csv")
    table = {"a81001": "North", "A81002": "North", " B82005": "South"}
    assert read_registered_patients(data_dir / FIXTURE, consortia=table) == expected
    assert read_registered_patients(data_dir / FIXTURE, consortia=pd.Series(table)) == expected


def test_commissioner_level_is_checked_even_without_a_mapping(data_dir):
    with pytest.raises(ValidationError, match=r"commissioner: expected 'sub_icb' or 'icb', got "
                                              r"'ICB'"):
        read_registered_patients(data_dir / FIXTURE, commissioner="ICB")
    # the counts name the sub-ICB location only: the ICB needs the mapping, never a silent
    # sub-ICB in its place
    with pytest.raises(ValidationError, match=r"commissioner: 'icb' needs the published "
                                              r"mapping file"):
        read_registered_patients(data_dir / FIXTURE, commissioner="icb")


@pytest.mark.parametrize(("column", "match"), [
    ("ORG_CODE", r"ORG_CODE is blank in file row\(s\) 7"),
    ("SUB_ICB_LOCATION_CODE", r"SUB_ICB_LOCATION_CODE is blank in file row\(s\) 7"),
    ("SEX", r"SEX is blank in file row\(s\) 7"),
])
def test_blank_codes_name_the_file_row(data_dir, column, match):
    df = raw(data_dir)
    df.loc[5, column] = "  "                       # file row 5 + 2 = 7
    with pytest.raises(ValidationError, match=match):
        read_registered_patients(df)
