"""The embedded practice → PCN → sub-ICB mapping (NHS Payments to General Practice 2022/23)."""

from __future__ import annotations

import gzip
import importlib.util
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from pbcmodel import datasets
from pbcmodel.datasets.england_footprints import (
    MAPPING_COLUMNS,
    MATCH_STATUSES,
    PCN_ATTRIBUTION,
    PCN_MAPPING_FILE,
)
from pbcmodel.errors import ValidationError

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "scripts" / "build_pcn_mapping.py"
# The shared data beside the repository (CI clones it with ../shared beside it; a git
# worktree under wt/ has it one level further up), as in tests/test_payments.py.
_SHARED = [ROOT.parent, ROOT.parent.parent]
REAL = next((base / "shared" / "data" / "nhs-payments-to-general-practice" / "2022-23.csv.gz"
             for base in _SHARED
             if (base / "shared" / "data" / "nhs-payments-to-general-practice").is_dir()),
            _SHARED[0] / "shared" / "data" / "nhs-payments-to-general-practice"
            / "2022-23.csv.gz")


def _build_script():
    spec = importlib.util.spec_from_file_location("build_pcn_mapping", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not REAL.is_file(), reason=f"the shared payments file is not at {REAL}")
def test_embedded_file_is_what_the_build_script_makes_from_the_real_file():
    embedded = resources.files("pbcmodel.datasets") / PCN_MAPPING_FILE
    text = gzip.decompress(embedded.read_bytes()).decode("utf-8")
    assert text == _build_script().mapping_csv(REAL)


def test_embedded_file_columns_and_rows():
    m = datasets.pcn_mapping()
    assert [m.index.name, *m.columns] == list(MAPPING_COLUMNS)
    assert m.index.is_unique and len(m) == 6669
    assert m.index.is_monotonic_increasing
    present = m["pcn_code"].notna()
    assert m.loc[present, "pcn_code"].str.fullmatch(r"U\d{5}").all()
    assert m[["practice_name", "pcn_name", "sub_icb_code", "sub_icb_name", "region_code",
              "region_name"]].notna().all().all()


def test_known_practice_has_its_pcn():
    # From the real 2022/23 file, row 2 (the first practice): Y63,NORTH EAST AND YORKSHIRE
    # COMM REGION,16C,NHS NORTH EAST AND NORTH CUMBRIA ICB - 16C,U89141,STOCKTON PCN,A81001,
    # THE DENSHAM SURGERY,... : the PCN code and name sit under the headers "Code" and
    # "CCG NAME", after the sub-ICB name.
    row = datasets.pcn_mapping().loc["A81001"]
    assert (row["pcn_code"], row["pcn_name"]) == ("U89141", "STOCKTON PCN")
    assert (row["sub_icb_code"], row["region_code"]) == ("16C", "Y63")
    assert row["sub_icb_name"] == "NHS NORTH EAST AND NORTH CUMBRIA ICB - 16C"
    assert pd.isna(row["close_date"])
    pcns = datasets.england_pcns("2026/27")
    assert pcns.loc["A81001", "pcn_code"] == "U89141"


def test_unknown_or_no_pcn_has_a_missing_code():
    m = datasets.pcn_mapping()
    no_pcn = m["pcn_name"] == "Unknown or no PCN"
    assert no_pcn.sum() == 178
    assert m.loc[no_pcn, "pcn_code"].isna().all()
    assert m["pcn_code"].isna().sum() == no_pcn.sum()     # missing only there
    # Lagan Surgery (A81015) closed 30/04/2019 and had no PCN in 2022/23.
    assert pd.isna(m.loc["A81015", "pcn_code"])
    assert m.loc["A81015", "close_date"] == pd.Timestamp("2019-04-30")


def test_every_weighted_practice_appears_once_in_england_pcns():
    wp = datasets.england("2026/27")
    pcns = datasets.england_pcns("2026/27")
    assert list(pcns.index) == list(wp.frame.index)        # same practices, same order
    assert pcns.index.is_unique
    assert set(pcns["status"]) == {"matched", "not_in_payments"}
    new = pcns["status"] == "not_in_payments"
    assert pcns.loc[new, ["pcn_code", "pcn_name", "sub_icb_code"]].isna().all().all()
    assert pcns.loc[~new, "pcn_name"].notna().all()
    assert (pcns["registered"] == wp.frame["registered"]).all()


def test_match_counts_add_up():
    match = datasets.pcn_match("2026/27")
    s = match.summary()
    weighted = datasets.england("2026/27").n_practices
    payments = len(datasets.pcn_mapping())
    assert s["matched"] + s["not_in_payments"] == s["weighted_practices"] == weighted
    assert s["matched"] + s["not_in_weighted"] == s["payments_practices"] == payments
    assert s["closed_by_2022_23"] + s["no_close_date"] == s["not_in_weighted"]
    assert s[list(MATCH_STATUSES)].tolist() == [6249, 32, 420]
    assert (s["closed_by_2022_23"], s["no_close_date"], s["matched_without_pcn"]) == (
        176, 244, 89)
    t = match.table
    assert t.index.is_unique and len(t) == 6249 + 32 + 420
    assert (t["status"] == "matched").eq(t["in_weighted"] & t["in_payments"]).all()
    assert t.loc[t["status"] == "not_in_weighted", "in_weighted"].eq(False).all()
    assert t.loc[t["status"] != "not_in_weighted", "close_date"].isna().all()
    assert t["name"].notna().all()


def test_other_years_and_bad_year():
    for year in datasets.ENGLAND_YEARS:
        s = datasets.pcn_match(year).summary()
        assert s["matched"] + s["not_in_payments"] == datasets.england(year).n_practices
    with pytest.raises(ValidationError, match="year"):
        datasets.pcn_match("2022/23")
    with pytest.raises(ValidationError, match="year"):
        datasets.england_pcns("2030/31")


def test_attribution_is_carried():
    assert PCN_ATTRIBUTION.startswith("Contains public sector information licensed under the "
                                      "Open Government Licence v3.0")
    assert "NHS Digital" in PCN_ATTRIBUTION
    assert datasets.PCN_ATTRIBUTION == PCN_ATTRIBUTION
    assert datasets.pcn_mapping().attrs["source"] == PCN_ATTRIBUTION
    assert datasets.england_pcns().attrs["source"] == PCN_ATTRIBUTION
    assert datasets.pcn_match().table.attrs["source"] == PCN_ATTRIBUTION


def test_a_fresh_copy_each_call():
    m = datasets.pcn_mapping()
    m.loc["A81001", "pcn_code"] = "changed"
    assert datasets.pcn_mapping().loc["A81001", "pcn_code"] == "U89141"


def test_package_data_ships_the_mapping():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"datasets/data/*.csv.gz"' in text
