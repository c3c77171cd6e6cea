"""WeightedPopulations, the weighted-population reader (every vintage), need indices and
budgets from weighted populations, on small hand-checked data."""

import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel import ValidationError
from pbcmodel.capitation import WeightedCapitation, need_index
from pbcmodel.io import read_weighted_populations
from pbcmodel.weighted import COMPONENTS, WeightedPopulations, apportion

WP_DIR = "weighted"


def make(rows):
    """rows: code → (icb, lad, registered, core); every other component = core."""
    frame = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["icb", "lad", "registered", "core"])
    frame["region"] = "R1"
    for c in COMPONENTS[1:]:
        frame[c] = frame["core"]
    return WeightedPopulations(frame, year="test")


#: ICB Q1: registered 10,000, core 10,500 (ratio 1.05); ICB Q2: 5,000 and 4,500 (0.9).
#: England: 15,000 and 15,000 (ratio 1.0).
FIVE = {"A": ("Q1", "L1", 1000.0, 1100.0), "B": ("Q1", "L1", 2000.0, 2000.0),
        "C": ("Q1", "L2", 1000.0, 1300.0), "D": ("Q1", "L2", 4000.0, 3600.0),
        "E": ("Q1", "L3", 2000.0, 2500.0), "F": ("Q2", "L3", 5000.0, 4500.0)}


# --------------------------------------------------------------------------- the reader
def test_reads_the_2026_27_layout_with_bom_and_real_zero(data_dir):
    wp = read_weighted_populations(data_dir / WP_DIR / "2026_2027.csv")
    assert wp.year == "2026/27" and wp.n_practices == 4
    row = wp.frame.loc["B85005"]
    assert row["registered"] == 1000.5 and row["icb"] == "QWO" and row["region"] == "Y63"
    assert row["lad"] == "E08000034" and row["lad_name"] == "Kirklees"
    assert row["core"] == 950.0 and row["general_and_acute"] == 900.0
    assert row["maternity"] == 0.0            # a real zero stays zero
    assert row["final_primary_medical_care"] == 970.0


def test_reads_the_2025_26_layout(data_dir):
    wp = read_weighted_populations(data_dir / WP_DIR / "2025_2026.csv")
    assert wp.year == "2025/26"
    row = wp.frame.loc["A81001"]
    # registered list is 'Population' (the blank 'Patients' column is not used)
    assert row["registered"] == 4000.5 and row["core"] == 5230.0   # core = 'Final WP'
    assert row["icb"] == "QHM" and row["lad"] == "E06000004" and row["maternity"] == 0.0
    assert row["pcn"] is None                 # blank in the published file


def test_reads_the_2022_23_to_2024_25_layout(data_dir):
    wp = read_weighted_populations(data_dir / WP_DIR / "2024_2025.csv")
    assert wp.year == "2024/25"
    row = wp.frame.loc["A81004"]
    assert row["registered"] == 10997.1          # 'pop 2022/23', not 'Patients'
    assert row["icb"] == "QHM" and row["sub_icb"] == "16C" and row["pcn"] == "U02671"
    assert row["lad"] == "E06000002" and row["lad_name"] == "Middlesbrough"
    assert row["core"] == 11698.8 and row["prescribing"] == 12718.8   # core: 'Final WP'
    assert wp.places("pcn").to_dict() == {"A81001": "U89141", "A81004": "U02671"}


def test_reads_the_file_inside_a_zip(data_dir, tmp_path):
    archive = tmp_path / "weighted.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(data_dir / WP_DIR / "2026_2027.csv", "2026_2027.csv")
    wp = read_weighted_populations(archive, year="2026/27")
    plain = read_weighted_populations(data_dir / WP_DIR / "2026_2027.csv")
    assert wp.frame.equals(plain.frame) and wp.year == plain.year


def test_unknown_layout_lists_columns_found_and_layouts_known(data_dir):
    with pytest.raises(ValidationError) as err:
        read_weighted_populations(data_dir / "gp-reg-pat-prac-quin-age.csv")
    text = str(err.value)
    assert "unknown layout" in text and "NUMBER_OF_PATIENTS" in text
    assert "2026/27" in text and "2025/26" in text and "2022/23" in text and "Core WP" in text


def _rewrite(data_dir, tmp_path, old, new):
    text = (data_dir / WP_DIR / "2026_2027.csv").read_text(encoding="utf-8-sig")
    assert old in text
    path = tmp_path / "2026_2027.csv"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "match"), [
    (",950,1000,970", ",,1000,970", r"'Core WP' is missing for practice\(s\) 'B85005' "
                                    r"\(row\(s\) 2\)"),
    (",950,1000,970", ",-950,1000,970", r"'Core WP' must be a number >= 0.*'B85005'.*'-950'"),
    (",950,1000,970", ",n/a,1000,970", r"'Core WP' must be a number >= 0.*row\(s\) 2.*'n/a'"),
    ("B85022,HONLEY", "B85005,HONLEY", r"duplicate practice code 'B85005' in rows 2, 3"),
])
def test_bad_values_name_file_row_and_practice(data_dir, tmp_path, old, new, match):
    path = _rewrite(data_dir, tmp_path, old, new)
    with pytest.raises(ValidationError, match=match) as err:
        read_weighted_populations(path)
    assert "2026_2027.csv" in str(err.value)


def test_weighted_populations_keep_their_own_copy():
    frame = make(FIVE).frame
    wp = WeightedPopulations(frame)
    frame.loc["A", "core"] = 1e9
    shown = wp.frame
    shown.loc["A", "core"] = -1.0
    assert wp.frame.loc["A", "core"] == 1100.0


def test_value_object_checks():
    frame = make(FIVE).frame
    with pytest.raises(ValidationError, match=r"'registered' must be a finite number > 0.*'A'"):
        WeightedPopulations(frame.assign(registered=[0.0, 1, 1, 1, 1, 1]))
    with pytest.raises(ValidationError, match=r"column 'maternity' is missing.*'B'"):
        WeightedPopulations(frame.assign(maternity=[1.0, np.nan, 1, 1, 1, 1]))
    with pytest.raises(ValidationError, match="missing column.*'icb'"):
        WeightedPopulations(frame.drop(columns="icb"))


# ------------------------------------------------------------------------- need indices
def test_need_index_of_a_three_practice_place_by_hand():
    wp = make(FIVE)
    place = {"North": ["A", "B", "C"]}
    # place: (1100 + 2000 + 1300) / (1000 + 2000 + 1000) = 4400 / 4000 = 1.1
    # ICB Q1: 10500 / 10000 = 1.05, so the ICB-based index is 1.1 / 1.05 = 1.047619...
    assert need_index(wp, place)["North"] == pytest.approx(1.1 / 1.05, rel=1e-12)
    # England: 15000 / 15000 = 1.0, so the England-based index is 1.1
    assert need_index(wp, place, base="england")["North"] == pytest.approx(1.1, rel=1e-12)


def test_need_index_per_practice_and_per_component():
    wp = make(FIVE)
    idx = need_index(wp)
    # F alone in Q2: (4500/5000) / (4500/5000) = 1; A: 1.1 / 1.05
    assert idx["F"] == pytest.approx(1.0) and idx["A"] == pytest.approx(1.1 / 1.05)
    both = need_index(wp, base="england", component=["core", "maternity"])
    assert list(both.columns) == ["core", "maternity"] and both.loc["D", "core"] == 0.9


def test_need_index_groups_as_a_series_and_categorical():
    wp = make(FIVE)
    series = pd.Series({"A": "N", "B": "N", "C": "N", "D": "S"})
    assert need_index(wp, series)["N"] == pytest.approx(1.1 / 1.05)
    cat = series.astype(pd.CategoricalDtype(["N", "S", "East"]))
    with pytest.raises(ValidationError, match=r"place\(s\) 'East' have no practices"):
        need_index(wp, cat)


@pytest.mark.parametrize(("groups", "base", "match"), [
    ({"Across": ["E", "F"]}, "icb", r"place 'Across' has practices in 2 ICBs \(Q1, Q2\)"),
    ({"Empty": []}, "icb", r"place\(s\) 'Empty' have no practices"),
    ({"North": ["A", "Z99"]}, "icb", r"unknown practice code\(s\) 'Z99'"),
    ({"N": ["A"], "S": ["A"]}, "icb", r"practice\(s\) 'A' are in more than one place"),
    (pd.Series({"A": "N", "B": None}), "icb", r"no place for practice\(s\) 'B'"),
    (None, "region", "base: expected one of icb, england"),
])
def test_need_index_bad_groups_name_the_culprit(groups, base, match):
    with pytest.raises(ValidationError, match=match):
        need_index(make(FIVE), groups, base=base)


def test_a_place_across_icbs_is_fine_against_england():
    # (2500 + 4500) / (2000 + 5000) = 1.0
    assert need_index(make(FIVE), {"Across": ["E", "F"]}, base="england")["Across"] == 1.0


@given(st.lists(st.tuples(st.floats(1, 1e5), st.floats(0, 2e5)), min_size=1, max_size=12))
def test_registered_weighted_mean_index_of_an_icb_is_one(rows):
    wp = make({f"P{i}": ("Q1", "L1", r, w) for i, (r, w) in enumerate(rows)})
    if wp.totals()["core"] == 0:
        return
    idx = need_index(wp)
    reg = wp.registered
    assert float((idx * reg).sum() / reg.sum()) == pytest.approx(1.0, rel=1e-9)


def test_places_split_a_district_that_lies_in_two_icbs():
    places = make(FIVE).places()
    assert places.to_dict() == {"A": "L1", "B": "L1", "C": "L2", "D": "L2",
                                "E": "L3 (Q1)", "F": "L3 (Q2)"}
    with pytest.raises(ValidationError, match="by: expected one of"):
        make(FIVE).places("core")


def test_subset_by_icb_and_practice():
    wp = make(FIVE)
    assert list(wp.subset(icb="Q2").codes) == ["F"]
    assert list(wp.subset(["a", "B"]).codes) == ["A", "B"]     # codes normalised
    with pytest.raises(ValidationError, match=r"unknown ICB\(s\) 'Q9'"):
        wp.subset(icb="Q9")


# ------------------------------------------------------------------------------ budgets
def test_budgets_by_component_shares_by_hand():
    wp = make({"A": ("Q1", "L1", 100.0, 100.0), "B": ("Q1", "L1", 100.0, 300.0)})
    frame = wp.frame
    frame["maternity"] = [10.0, 0.0]               # a real zero: B gets no maternity money
    wp = WeightedPopulations(frame)
    f = WeightedCapitation(shares={"core": 0.8, "maternity": 0.2},
                           top_slices={"contingency": 0.1})
    b = f.budgets(wp, resource=1000.0)
    # devolved 900: core pot 720 split 100:300 → 180, 540; maternity pot 180 all to A
    assert b.loc["A"].to_dict() == {"core": 180.0, "maternity": 180.0, "total": 360.0}
    assert b.loc["B"].to_dict() == {"core": 540.0, "maternity": 0.0, "total": 540.0}


def test_pennies_are_allocated_so_budgets_add_up_exactly():
    wp = make({"A": ("Q1", "L1", 1.0, 1.0), "B": ("Q1", "L1", 1.0, 1.0),
               "C": ("Q1", "L1", 1.0, 1.0)})
    pence = WeightedCapitation().budgets_pence(wp, resource=100.0)
    # £100 in three equal parts: 3333, 3333, 3334 pence would not be "largest remainder"
    # deterministic: the first practices take the extra penny first
    assert pence["total"].tolist() == [3334, 3333, 3333] and pence["total"].sum() == 10_000


def test_explain_adds_up_to_the_budget_with_pace():
    wp = make(FIVE)
    hist = pd.Series({"A": 100.0, "B": 200.0, "C": 100.0, "D": 400.0, "E": 200.0, "F": 500.0})
    f = WeightedCapitation(top_slices={"reserve": 0.02},
                           pace=pbc.PaceOfChange(max_gain=0.05, max_loss=0.02))
    budgets = f.budgets(wp, resource=1545.0, historic=hist)
    assert budgets["total"].sum() == pytest.approx(1545.0 * 0.98, abs=1e-9)
    for code in wp.codes:
        e = f.explain(wp, code, resource=1545.0, historic=hist)
        assert e["amount"].iloc[-1] == budgets.loc[code, "total"]
        assert e.loc[e.kind == "adjustment", "amount"].sum() == pytest.approx(
            budgets.loc[code, "total"], abs=1e-6)
        assert "pace-of-change adjustment" in set(e["step"])


def test_path_over_three_years_moves_from_the_year_before():
    wps = [make(FIVE)] * 3
    hist = pd.Series({"A": 100.0, "B": 200.0, "C": 100.0, "D": 400.0, "E": 200.0, "F": 500.0})
    f = WeightedCapitation(pace=pbc.PaceOfChange(max_gain=0.05, max_loss=0.02))
    wps = [WeightedPopulations(w.frame, year=y) for w, y in zip(wps, ["y1", "y2", "y3"],
                                                               strict=True)]
    path = f.path(wps, [1545.0, 1591.35, 1639.09], historic=hist)
    assert list(path.columns) == ["y1", "y2", "y3"]
    assert path.sum().round(2).tolist() == [1545.0, 1591.35, 1639.09]
    change = path.div(pd.concat([hist, path.iloc[:, :-1]], axis=1).to_numpy())
    assert (change.to_numpy() <= 1.05 + 1e-3).all() and (change.to_numpy() >= 0.98 - 1e-3).all()


def test_bad_formula_inputs():
    with pytest.raises(ValidationError, match="shares: must add up to 1"):
        WeightedCapitation(shares={"core": 0.5})
    with pytest.raises(ValidationError, match=r"unknown component\(s\) 'dental'"):
        WeightedCapitation(shares={"dental": 1.0})
    with pytest.raises(ValidationError, match="top_slices"):
        WeightedCapitation(top_slices={"a": 0.6, "b": 0.5})
    wp = make(FIVE)
    with pytest.raises(ValidationError, match=r"historic: no budget for practice\(s\) 'F'"):
        WeightedCapitation(pace=pbc.PaceOfChange(max_gain=0.1, max_loss=0.1)).budgets(
            wp, 100.0, historic=pd.Series({c: 1.0 for c in "ABCDE"}))
    with pytest.raises(ValidationError, match="unknown practice code 'Z1'"):
        WeightedCapitation().explain(wp, "Z1", 100.0)


# ------------------------------------------------------------------ to the risk engine
def test_to_population_scales_the_profile_to_each_list():
    wp = make({"A": ("Q1", "L1", 1000.4, 1100.0), "B": ("Q1", "L2", 0.3, 1.0)})
    profile = pbc.datasets.england_age_sex_profile()
    pop = wp.to_population(profile, cost_index=need_index(wp))
    # 1000.4 → 1000 patients; 0.3 → at least one patient
    assert pop.list_size.to_dict() == {"A": 1000, "B": 1}
    assert pop.practices["commissioner"].tolist() == ["Q1", "Q1"]
    assert pop.practices["consortium"].tolist() == ["L1", "L2"]
    shares = pop.counts.loc["A"] / 1000
    assert np.abs(shares.to_numpy() - profile.to_numpy()).max() <= 1 / 1000
    assert pop.cost_index.loc["A"] == pytest.approx(need_index(wp)["A"])
    with pytest.raises(ValidationError, match=r"consortia: no value for practice\(s\) 'B'"):
        wp.to_population(profile, consortia=pd.Series({"A": "X"}))
    with pytest.raises(ValidationError, match="profile: missing age_band/sex"):
        wp.to_population(profile.iloc[:-1])


@given(st.lists(st.floats(0, 50), min_size=1, max_size=8), st.integers(0, 10_000))
def test_apportion_adds_up_and_stays_within_one_unit(weights, total):
    exact = np.array([weights])
    if exact.sum() == 0:
        return
    out = apportion(exact, np.array([total]))
    share = exact / exact.sum() * total
    assert out.sum() == total and (np.abs(out - share) < 1).all()


@given(st.lists(st.integers(1, 10_000_000), min_size=1, max_size=8))
def test_apportion_and_allocate_pennies_are_one_rule(pence):
    # money split in proportion to parts that are already whole pence: apportion (scale, then
    # round) and allocate_pennies (round to the given total) agree to the penny, because both
    # are pbcmodel.money.largest_remainder
    from pbcmodel.money import allocate_pennies

    parts = np.array(pence, dtype=float)
    total = int(parts.sum())
    assert apportion(parts[None, :], np.array([total]))[0].tolist() == pence
    assert allocate_pennies(parts / 100, total=total).tolist() == pence
    # a third of a penny each: 1 penny over 3 parts goes to the first, in both
    assert apportion(np.array([[1.0, 1.0, 1.0]]), np.array([1]))[0].tolist() == [1, 0, 0]
    assert allocate_pennies([1 / 300] * 3).tolist() == [1, 0, 0]


# ------------------------------------------------------------------ bad input (issue 13)
def test_need_index_refuses_what_is_not_weighted_populations():
    with pytest.raises(ValidationError, match=r"^wp: expected a WeightedPopulations .*got "
                                              r"DataFrame$"):
        need_index(make(FIVE).frame)


def test_need_index_refuses_a_base_whose_component_total_is_zero():
    frame = make(FIVE).frame
    frame.loc[frame["icb"] == "Q2", "maternity"] = 0.0     # Q2's only practice: no maternity
    wp = WeightedPopulations(frame)
    with pytest.raises(ValidationError, match=r"^component: the total 'maternity' weighted "
                                              r"population of ICB\(s\) 'Q2' is zero"):
        need_index(wp, component="maternity")
    # a practice of Q1 is not measured against Q2: its index exists
    assert need_index(wp, {"North": ["A", "B"]}, component="maternity")["North"] > 0
    # against England the total is not zero, and F's index is a real zero
    assert need_index(wp, base="england", component="maternity")["F"] == 0.0


def test_need_index_of_a_tiny_weighted_population_does_not_underflow():
    # 5e-324 / 2 underflows to 0 per head; the index of the only practice is still 1
    wp = make({"A": ("Q1", "L1", 2.0, 5e-324)})
    assert need_index(wp)["A"] == 1.0
    # and next to normal practices, the normal ones are computed exactly as before
    wp = make({**FIVE, "Z": ("Q1", "L1", 2.0, 5e-324)})
    index = need_index(wp, base="england")
    assert index["D"] == 3600.0 / 4000.0 / ((15000.0 + 5e-324) / 15002.0)
    assert index["Z"] == pytest.approx(0.0, abs=1e-300)


@pytest.mark.parametrize("column", ["registered", "core", "maternity"])
def test_weighted_populations_are_bounded_like_patient_counts(column):
    frame = make(FIVE).frame
    frame.loc["B", column] = 1e30        # would overflow sums and wrap list sizes to int64
    with pytest.raises(ValidationError, match=rf"column '{column}' must be a finite number "
                                              r">=? 0 and at most 922,337,203,685; practice"
                                              r"\(s\) 'B' have 1e\+30"):
        WeightedPopulations(frame)
    frame.loc["B", column] = 922_337_203_685.0       # the limit itself is accepted
    assert WeightedPopulations(frame).frame.loc["B", column] == 922_337_203_685.0


def test_icb_codes_and_names_are_matched_trimmed_in_any_case():
    wp = make(FIVE)
    assert list(wp.subset(icb=" q2 ").codes) == ["F"]
    assert list(wp.subset(icb=["q1", "Q2"]).codes) == list("ABCDEF")
    with pytest.raises(ValidationError, match=r"unknown ICB\(s\) ' q9 '"):
        wp.subset(icb=[" q9 ", "Q1"])
    england = pbc.datasets.england()
    assert (england.subset(icb=" nhs west yorkshire icb ").codes
            .equals(england.subset(icb="QWO").codes))


@pytest.mark.parametrize("resource", [1e17, 1e300])
def test_weighted_budgets_refuse_a_resource_that_does_not_fit_in_pence(resource):
    with pytest.raises(ValidationError, match=r"^resource: £1e\+\d+ is too large to settle "
                                              r"exactly in pence"):
        WeightedCapitation().budgets_pence(make(FIVE), resource)
    # the largest resource that fits is paid out exactly, never wrapped round
    pence = WeightedCapitation().budgets_pence(make(FIVE), 9e16)
    assert int(pence["total"].sum()) == 9 * 10**18 and (pence["total"] > 0).all()
