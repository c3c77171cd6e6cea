"""The catalogue of bad inputs (issue 13): files, scenario files, output folders, CLI flags and
API calls, as a careless or hostile user would supply them.

Every case asserts the error type, that the message names the culprit, and for the command
line the exit status (2 for bad input, 1 for an internal bug), one line on stderr without a
traceback, and that the working folder (inputs and outputs) is byte-for-byte unchanged.
A case is never deleted: it stays as the record that the input once went wrong.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel import ConfigError, ValidationError
from pbcmodel.cli import commands as cli_commands
from pbcmodel.cli import main
from pbcmodel.codes import AGE_BANDS
from pbcmodel.io import read_consortia, read_registered_patients, write_tables
from pbcmodel.io.output_folder import atomic_folder

DATA = Path(__file__).parent / "data"
PATIENTS = (DATA / "gp-reg-pat-prac-quin-age.csv").read_bytes()
CONSORTIA = (DATA / "consortia.csv").read_bytes()
HEADER = PATIENTS.split(b"\n", 1)[0] + b"\n"
#: The same file without its ALL rows (which the publication may omit).
NO_ALL = b"\n".join(line for line in PATIENTS.split(b"\n") if b",ALL," not in line)
#: ... cut at a line break five cells before the end (inside the last practice, B82005).
NO_ALL_CUT = b"\n".join([line for line in NO_ALL.split(b"\n") if line][:-5]) + b"\n"
WEIGHTED_FILE = (DATA / "weighted" / "2026_2027.csv").read_bytes()
#: Cost weights of 1e308 per head in every cell: the weighted list overflows to infinity.
WEIGHTS_HUGE = b"age_band,sex,elective\n" + b"".join(
    f"{band},{sex},1e308\n".encode() for band in AGE_BANDS for sex in "FM")

SCENARIO = """\
name = "catalogue"
resource = 510e6
population = {dataset = "example"}
cost_model = {dataset = "example"}
{top}
[formula]
weights = {dataset = "example"}

[overspend]
practice_share = 0.5
{overspend}
"""



def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``folder`` with its bytes (None for a folder)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        out[rel] = None if path.is_dir() else path.read_bytes()
    return out


def scenario_text(top: str = "", overspend: str = "") -> str:
    return SCENARIO.replace("{top}", top).replace("{overspend}", overspend)


def patients_with(old: bytes, new: bytes, count: int = 1) -> bytes:
    assert old in PATIENTS
    return PATIENTS.replace(old, new, count)


def zipped(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "."), data)
    return buffer.getvalue()


def workbook() -> bytes:
    buffer = io.BytesIO()
    pd.read_csv(io.BytesIO(PATIENTS)).to_excel(buffer, index=False)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- CLI cases
@dataclass
class CliCase:
    """A command line with its input files; ``{tmp}`` in an argument is the working folder."""

    id: str
    argv: list[str]
    match: str
    files: dict[str, bytes | str] = field(default_factory=dict)
    status: int = 2

    def param(self) -> Any:
        return pytest.param(self, id=self.id)


def budgets(*extra: str, population: str = "{tmp}/patients.csv", out: str = "{tmp}/b.csv"
            ) -> list[str]:
    return ["budgets", "--population", population, "--resource", "2e6", "--out", out, *extra]


def with_resource(amount: str) -> list[str]:
    argv = budgets()
    argv[argv.index("--resource") + 1] = amount
    return argv


def run(*extra: str, scenario: str = "{tmp}/s.toml", out: str = "{tmp}/out") -> list[str]:
    return ["run", scenario, "--out", out, "--n", "5", "--years", "1", *extra]


def design(*extra: str) -> list[str]:
    return ["design", "{tmp}/s.toml", "--space", "{tmp}/d.toml", "--out", "{tmp}/out", "--n",
            "50", "--max-evaluations", "8", "--replicates", "2", "--years", "1", *extra]


GOOD = {"patients.csv": PATIENTS, "consortia.csv": CONSORTIA}
GOOD_SCENARIO = {"s.toml": scenario_text()}
SPACE = '[space."overspend.practice_share"]\nbounds = [0.0, 1.0]\n'

CLI_CASES = [
    # --- the registered-patient file (every file problem names the file)
    CliCase("patients-missing", budgets(population="{tmp}/nope.csv"), r"no such file .*nope\.csv"),
    CliCase("patients-is-a-folder", budgets(population="{tmp}"), r"is a folder"),
    CliCase("patients-empty", budgets(), r"patients\.csv' is empty", {"patients.csv": b""}),
    CliCase("patients-blank-lines", budgets(), r"patients\.csv' is empty",
            {"patients.csv": b"\r\n\r\n  \n"}),
    CliCase("patients-bom-only", budgets(), r"patients\.csv' is empty",
            {"patients.csv": b"\xef\xbb\xbf"}),
    CliCase("patients-header-only", budgets(), r"patients\.csv' has a header but no data",
            {"patients.csv": HEADER}),
    CliCase("patients-not-utf8-nor-cp1252", budgets(), r"patients\.csv' is neither UTF-8 nor "
            r"Windows-1252.*0x81", {"patients.csv": patients_with(b"AB1 2CD", b"AB1 \x81CD")}),
    CliCase("patients-utf16", budgets(), r"patients\.csv' is UTF-16",
            {"patients.csv": PATIENTS.decode().encode("utf-16")}),
    CliCase("patients-cut-off-mid-line", budgets(), r"patients\.csv' looks cut off",
            {"patients.csv": PATIENTS[:-30].rstrip(b"\n")}),
    CliCase("patients-ends-in-cr-and-nul", budgets(),  # found by tests/test_fuzz.py
            r"patients\.csv' looks cut off: its last line has 1 of 10 fields",
            {"patients.csv": PATIENTS.rstrip(b"\n") + b"\r\x00"}),
    CliCase("patients-column-twice-behind-a-bom", budgets(),  # found by tests/test_fuzz.py
            r"column\(s\) 'PUBLICATION' appear more than once",
            {"patients.csv": b"\xef\xbb\xbfPUBLICATION," + patients_with(b"PUBLICATION,",
                                                                  b"\xef\xbb\xbfPUBLICATION,")}),
    CliCase("patients-extra-field", budgets(), r"patients\.csv' is not a well-formed CSV.*line 3",
            {"patients.csv": patients_with(b"ALL,0_4,158", b"ALL,0_4,158,9")}),
    CliCase("patients-unclosed-quote", budgets(), r"patients\.csv' is not a well-formed CSV",
            {"patients.csv": patients_with(b"AB1 2CD", b'"AB1 2CD')}),
    CliCase("patients-duplicate-column", budgets(),
            r"'(sex|SEX)', '(sex|SEX)' appear more than once",
            {"patients.csv": patients_with(b"PUBLICATION", b"sex")}),
    CliCase("patients-unnamed-column-with-data", budgets(), r"column\(s\) 1 have data but no name",
            {"patients.csv": patients_with(b"PUBLICATION", b"")}),
    CliCase("patients-zip-two-csvs", budgets(population="{tmp}/p.zip"),
            r"p\.zip' must hold exactly one \.csv file; it holds 'a\.csv', 'b\.csv'",
            {"p.zip": zipped(a__csv=PATIENTS, b__csv=PATIENTS)}),
    CliCase("patients-zip-no-csv", budgets(population="{tmp}/p.zip"),
            r"p\.zip' must hold exactly one \.csv", {"p.zip": zipped(notes__txt=b"x")}),
    CliCase("patients-corrupt-zip", budgets(population="{tmp}/p.zip"),
            r"p\.zip' is not a readable zip", {"p.zip": b"PK\x03\x04 not really a zip"}),
    CliCase("patients-excel-workbook", budgets(population="{tmp}/p.xlsx"),
            r"p\.xlsx' is an Excel workbook; save the sheet as CSV", {"p.xlsx": workbook()}),
    CliCase("patients-missing-column", budgets(), r"missing column\(s\) 'NUMBER_OF_PATIENTS'",
            {"patients.csv": patients_with(b"NUMBER_OF_PATIENTS", b"PATIENTS")}),
    CliCase("patients-no-commissioner-column", budgets(), r"no commissioner column",
            {"patients.csv": patients_with(b"SUB_ICB_LOCATION_CODE,", b"SUB_ICB,")}),
    CliCase("patients-negative-count", budgets(), r"NUMBER_OF_PATIENTS.*'-158'.*'A81001'",
            {"patients.csv": patients_with(b"ALL,0_4,158", b"ALL,0_4,-158")}),
    CliCase("patients-fractional-count", budgets(), r"NUMBER_OF_PATIENTS.*'2\.5'",
            {"patients.csv": patients_with(b"ALL,0_4,158", b"ALL,0_4,2.5")}),
    CliCase("patients-inf-count", budgets(), r"NUMBER_OF_PATIENTS.*'inf'.*'A81001'",
            {"patients.csv": patients_with(b"ALL,0_4,158", b"ALL,0_4,inf")}),
    CliCase("patients-count-near-int64-max", budgets(), r"9,?223,?372,?036,?854,?775,?000",
            {"patients.csv": NO_ALL.replace(b"A81001,AB1 2CD,FEMALE,0_4,81",
                                            b"A81001,AB1 2CD,FEMALE,0_4,9223372036854775000")}),
    CliCase("patients-count-1e30-not-wrapped", budgets(),
            r"^(?!.*-9223372036854775808).*NUMBER_OF_PATIENTS.*'1e30'.*'A81001'",
            {"patients.csv": patients_with(b"ALL,0_4,158", b"ALL,0_4,1e30")}),
    CliCase("patients-unknown-sex", budgets(), r"unknown SEX 'X'",
            {"patients.csv": patients_with(b",FEMALE,0_4,", b",X,0_4,")}),
    CliCase("patients-all-rows-disagree", budgets(), r"ALL row for",
            {"patients.csv": patients_with(b"ALL,0_4,158", b"ALL,0_4,159")}),
    # --- the consortia file
    CliCase("consortia-missing", budgets("--consortia", "{tmp}/nope.csv"),
            r"consortia: no such file .*nope\.csv", GOOD),
    CliCase("consortia-empty", budgets("--consortia", "{tmp}/consortia.csv"),
            r"consortia: .*consortia\.csv' is empty", {**GOOD, "consortia.csv": b""}),
    CliCase("consortia-missing-practice", budgets("--consortia", "{tmp}/consortia.csv"),
            r"no consortium for practice\(s\) 'B82005'",
            {**GOOD, "consortia.csv": CONSORTIA.replace(b"B82005,South\n", b"")}),
    CliCase("consortia-listed-twice", budgets("--consortia", "{tmp}/consortia.csv"),
            r"'A81001' listed twice", {**GOOD, "consortia.csv": CONSORTIA + b"A81001,South\n"}),
    CliCase("consortia-blank-consortium", budgets("--consortia", "{tmp}/consortia.csv"),
            r"consortia: '.*consortia\.csv': practice\(s\) 'A81001' have a blank consortium "
            r"\(rows 2\)",
            {**GOOD, "consortia.csv": CONSORTIA.replace(b"A81001,North", b"A81001,")}),
    CliCase("consortia-code-written-twice", budgets("--consortia", "{tmp}/consortia.csv"),
            r"'A81001' listed twice \(rows 2, 5\)",
            {**GOOD, "consortia.csv": CONSORTIA + b" a81001 ,South\n"}),
    CliCase("consortia-wrong-columns", budgets("--consortia", "{tmp}/consortia.csv"),
            r"consortia: '.*consortia\.csv': missing column\(s\) 'consortium'",
            {**GOOD, "consortia.csv": CONSORTIA.replace(b"consortium", b"locality")}),
    # --- the cost weights file
    CliCase("weights-missing", budgets("--weights", "{tmp}/w.csv"),
            r"--weights: no such file .*w\.csv", GOOD),
    CliCase("weights-empty", budgets("--weights", "{tmp}/w.csv"), r"w\.csv' is empty",
            {**GOOD, "w.csv": b""}),
    CliCase("weights-no-sex-column", budgets("--weights", "{tmp}/w.csv"),
            r"--weights .*w\.csv.*missing column\(s\) 'sex'",
            {**GOOD, "w.csv": b"age_band,elective\n0_4,100\n"}),
    CliCase("weights-not-a-number", budgets("--weights", "{tmp}/w.csv"),
            r"--weights .*w\.csv.*row 3, column 'elective': expected a number.*'lots'",
            {**GOOD, "w.csv": b"age_band,sex,elective\n0_4,F,100\n0_4,M,lots\n"}),
    CliCase("weights-no-pods", budgets("--weights", "{tmp}/w.csv"), r"no POD columns",
            {**GOOD, "w.csv": b"age_band,sex\n0_4,F\n"}),
    CliCase("weights-unknown-age-band", budgets("--weights", "{tmp}/w.csv"),
            r"--weights .*w\.csv.*(100_104|age)",
            {**GOOD, "w.csv": b"age_band,sex,elective\n100_104,F,100\n"}),
    # --- budgets --out (checked before the input is read)
    CliCase("budgets-out-is-a-folder", budgets(out="{tmp}/folder"), r"--out: .*folder' is a folder",
            {**GOOD, "folder/keep.txt": b"keep"}),
    CliCase("budgets-out-exists", budgets(), r"--out: .*b\.csv' already exists; pass --force",
            {**GOOD, "b.csv": b"previous"}),
    CliCase("budgets-out-checked-before-input", budgets(), r"--out: .*already exists",
            {"patients.csv": b"", "b.csv": b"previous"}),
    CliCase("budgets-out-inside-a-file", budgets(out="{tmp}/notes.txt/b.csv"),
            r"--out: .*notes\.txt' is a file", {**GOOD, "notes.txt": b"x"}),
    CliCase("budgets-out-is-the-input", budgets("--force", out="{tmp}/patients.csv"),
            r"--out: .*patients\.csv' is one of the input files", GOOD),
    CliCase("budgets-out-unwritable", budgets(out="/sys/pbcmodel-catalogue/b.csv"),
            r"--out: cannot write in '/sys/pbcmodel-catalogue'", GOOD),
    # --- budgets flags (the library's check, one line, status 2)
    CliCase("resource-negative", with_resource("-5"),
            r"--resource: must be > 0", GOOD),
    CliCase("resource-inf", with_resource("inf"),
            r"--resource: expected pounds, got 'inf': not a finite number", GOOD),
    CliCase("resource-nan", with_resource("nan"),
            r"--resource: expected pounds, got 'nan': not a finite number", GOOD),
    CliCase("resource-words", with_resource("lots"),
            r"--resource: expected pounds, got 'lots'", GOOD),
    CliCase("resource-overflows-pence", with_resource("1e300"),
            r"resource", GOOD),
    # --- run: the scenario file
    CliCase("scenario-missing", run(scenario="{tmp}/nope.toml"), r"no such file .*nope\.toml"),
    CliCase("scenario-is-a-folder", run(scenario="{tmp}/d.toml"), r"d\.toml' is a folder",
            {"d.toml/x": b""}),
    CliCase("scenario-wrong-suffix", run(scenario="{tmp}/s.yaml"), r"must end in \.toml or \.json",
            {"s.yaml": b"resource: 1"}),
    CliCase("scenario-empty", run(), r"\$\.resource: missing", {"s.toml": b""}),
    CliCase("scenario-not-utf8", run(), r"s\.toml' is not UTF-8 text \(byte 0x92 on line 1\)",
            {"s.toml": scenario_text().replace("catalogue", "St John’s").encode("cp1252")}),
    CliCase("scenario-toml-syntax", run(), r"scenario TOML: .*line 6",
            {"s.toml": scenario_text(top="resource_growth = [")}),
    CliCase("scenario-json-syntax", run(scenario="{tmp}/s.json"), r"scenario JSON: .*line 1",
            {"s.json": b'{"resource": 510e6,'}),
    CliCase("scenario-json-nan", run(scenario="{tmp}/s.json"), r"NaN is not allowed",
            {"s.json": b'{"resource": NaN}'}),
    CliCase("scenario-toml-nested-deep", run(), r"nested more than 16 levels",
            {"s.toml": "x = " + "[" * 50_000 + "]" * 50_000}),
    CliCase("scenario-json-nested-deep", run(scenario="{tmp}/s.json"),
            r"nested more than 16 levels", {"s.json": "[" * 200_000 + "]" * 200_000}),
    CliCase("scenario-toml-dotted-deep", run(), r"\$\.a\.a\..*nested more than 16 levels",
            {"s.toml": "a" + ".a" * 40 + " = 1\n"}),
    CliCase("scenario-unknown-key", run(), r"\$\.resourse: unknown key",
            {"s.toml": scenario_text(top="resourse = 5")}),
    CliCase("scenario-unknown-nested-key", run(), r"\$\.overspend.*tolerence",
            {"s.toml": scenario_text(overspend="tolerence = 0.02")}),
    CliCase("scenario-share-out-of-range", run(),
            r"\$\.overspend\.practice_share: must be in \[0\.0, 1\.0\]",
            {"s.toml": scenario_text().replace("practice_share = 0.5", "practice_share = 1.5")}),
    CliCase("scenario-share-text", run(), r"\$\.overspend\.practice_share",
            {"s.toml": scenario_text().replace("practice_share = 0.5", 'practice_share = "half"')}),
    CliCase("scenario-resource-inf", run(), r"\$\.resource: must be finite",
            {"s.toml": scenario_text().replace("510e6", "inf")}),
    CliCase("scenario-resource-text", run(), r"\$\.resource: expected a number",
            {"s.toml": scenario_text().replace("510e6", '"lots"')}),
    CliCase("scenario-resource-overflows-pence", run(), r"resource: .*too large",
            {"s.toml": scenario_text().replace("510e6", "1e300")}),
    CliCase("scenario-recovery-years-fraction", run(), r"recovery_years.*2\.5",
            {"s.toml": scenario_text(overspend="recovery_years = 2.5")}),
    CliCase("scenario-share-as-text-number", run(),
            r"\$\.overspend\.practice_share: expected a number, got '0\.5'",
            {"s.toml": scenario_text().replace("practice_share = 0.5", 'practice_share = "0.5"')}),
    CliCase("scenario-recovery-years-true", run(),
            r"\$\.overspend\.recovery_years: expected a whole number, got True",
            {"s.toml": scenario_text(overspend="recovery_years = true")}),
    CliCase("scenario-recovery-years-huge", run(), r"recovery_years",
            {"s.toml": scenario_text(overspend="recovery_years = 1000000")}),
    CliCase("scenario-cost-growth-overflows", run("--years", "3"), r"cost_growth",
            {"s.toml": scenario_text(top="cost_growth = 1e6")}),
    CliCase("scenario-high-cost-threshold-huge", run(), r"high_cost_threshold",
            {"s.toml": scenario_text(top="high_cost_threshold = 1e300")}),
    CliCase("scenario-name-not-text", run(), r"\$\.name",
            {"s.toml": scenario_text().replace('name = "catalogue"', "name = 5")}),
    CliCase("scenario-population-not-a-table", run(), r"\$\.population: expected a table",
            {"s.toml": scenario_text().replace('{dataset = "example"}', '"example"', 1)}),
    CliCase("scenario-population-file-relative-to-scenario", run(scenario="{tmp}/sub/s.toml"),
            r"\$\.population\.registered_patients: .*no such file .*sub/nope\.csv",
            {"sub/s.toml": scenario_text().replace('{dataset = "example"}',
                                                   '{registered_patients = "nope.csv"}', 1)}),
    CliCase("scenario-population-file-not-text", run(),
            r"\$\.population\.registered_patients: expected a file name, got 5",
            {"s.toml": scenario_text().replace('{dataset = "example"}',
                                               "{registered_patients = 5}", 1)}),
    CliCase("scenario-population-unrelated-file", run(),
            r"^(?!.*secret-content).*\$\.population\.registered_patients: .*missing column",
            {"secret.csv": b"secret-content,more-secret-content\n1,2\n",
             "s.toml": scenario_text().replace('{dataset = "example"}',
                                               '{registered_patients = "secret.csv"}', 1)}),
    CliCase("scenario-synthetic-fraction", run(), r"\$\.population: n_practices",
            {"s.toml": scenario_text().replace('{dataset = "example"}',
                                               '{dataset = "synthetic", n_practices = 2.5}', 1)}),
    CliCase("scenario-weights-text", run(), r"\$\.formula\.weights\.elective: expected a list",
            {"s.toml": scenario_text().replace(
                'weights = {dataset = "example"}',
                'weights = {cells = ["0_4/F"], elective = ["lots"]}')}),
    CliCase("scenario-dataset-not-a-name", run(),  # found by tests/test_fuzz.py
            r"\$\.formula\.weights\.dataset: unknown dataset \[\]",
            {"s.toml": scenario_text().replace('weights = {dataset = "example"}',
                                               "weights = {dataset = []}")}),
    CliCase("scenario-needs-not-numbers", run(),  # found by tests/test_fuzz.py
            r"\$\.formula\.needs\.dataset: expected a number, got 'example'",
            {"s.toml": scenario_text().replace('weights = {dataset = "example"}',
                                               'weights = {dataset = "example"}\n'
                                               'needs = {dataset = "example"}')}),
    CliCase("scenario-pace-limit-huge", run(),   # found by tests/test_fuzz.py
            r"\$\.formula\.pace\.max_gain: must be a fraction .* from 0 to 1,000,000 .*1\.5e\+26",
            {"s.toml": scenario_text(top="[formula.pace]\nmax_gain = 1.5e26\nmax_loss = 0.02")}),
    CliCase("scenario-no-cost-model", run(), r"cost_model",
            {"s.toml": scenario_text().replace('cost_model = {dataset = "example"}\n', "")}),
    # --- run: flags
    CliCase("run-n-zero", run("--n", "0"), r"--n: must be a positive whole number, got 0$",
            GOOD_SCENARIO),
    CliCase("run-n-words", run("--n", "many"), r"--n: expected a whole number, got 'many'",
            GOOD_SCENARIO),
    CliCase("run-years-zero", run("--years", "0"),
            r"--years: must be a positive whole number, got 0$", GOOD_SCENARIO),
    CliCase("run-years-1000", run("--years", "1000"),
            r"--years: must be a whole number >= 1 and <= 100, got 1000$", GOOD_SCENARIO),
    CliCase("run-seed-negative", run("--seed", "-1"),
            r"--seed: must be a whole number >= 0, got -1$", GOOD_SCENARIO),
    CliCase("run-format-unknown", run("--format", "xls"),
            r"--format: must be one of \['both', 'csv', 'parquet', 'xlsx'\], got 'xls'$",
            GOOD_SCENARIO),
    CliCase("run-n-a-billion", run("--n", "1000000000"),
            r"--n 1,000,000,000: this simulation needs about .* of memory .*use --n [\d,]+ or "
            r"fewer", GOOD_SCENARIO),
    # --- run: the output folder
    CliCase("run-out-is-a-file", run(), r"--out: .*out' exists and is not a directory",
            {**GOOD_SCENARIO, "out": b"a file"}),
    CliCase("run-out-inside-a-file", run(out="{tmp}/notes.txt/out"), r"notes\.txt' is a file",
            {**GOOD_SCENARIO, "notes.txt": b"x"}),
    CliCase("run-out-previous-run", run(),
            r"--out: report\.txt, summary\.csv already exist\(s\).*pass --force to replace",
            {**GOOD_SCENARIO, "out/report.txt": b"keep me", "out/summary.csv": b"1"}),
    CliCase("run-out-previous-run-other-format", run("--format", "parquet"),
            r"--out: summary\.csv already exist\(s\)",
            {**GOOD_SCENARIO, "out/summary.csv": b"an earlier csv run"}),
    CliCase("run-out-unwritable", run(out="/sys/pbcmodel-catalogue"),
            r"--out: cannot write in '/sys'", GOOD_SCENARIO),
    CliCase("run-out-checked-before-scenario", run(), r"--out: .*not a directory",
            {"s.toml": b"not toml at all [", "out": b"a file"}),
    # --- compare
    CliCase("compare-one-file", ["compare", "{tmp}/s.toml"], r"at least two", GOOD_SCENARIO),
    CliCase("compare-bad-second-file", ["compare", "{tmp}/s.toml", "{tmp}/b.toml", "--n", "5"],
            r"\$\.overspend\.practice_share",
            {**GOOD_SCENARIO, "b.toml": scenario_text().replace("0.5", "2")}),
    CliCase("compare-n-a-billion", ["compare", "{tmp}/s.toml", "{tmp}/s.toml", "--n",
                                    "1000000000"], r"--n 1,000,000,000: .*needs about",
            GOOD_SCENARIO),
    # --- found acting as a careless user (session of 2 December 2026)
    CliCase("run-out-empty", run(out=""),     # was: exit 0, the run's files in the cwd
            r"^pbcmodel: error: --out: expected a file or folder name, got '' \(is a variable "
            r"unset",
            GOOD_SCENARIO),
    CliCase("statements-out-empty", ["statements", "{tmp}/s.toml", "--outturn", "{tmp}/o.csv",
                                     "--out", ""],
            r"^pbcmodel: error: --out: expected a file or folder",
            {**GOOD_SCENARIO, "o.csv": b"practice,outturn\nP001,5\n"}),
    CliCase("budgets-population-empty", budgets(population=""),
            r"^pbcmodel: error: --population: expected a file or folder name, got ''", GOOD),
    CliCase("compare-scenario-empty", ["compare", "{tmp}/s.toml", ""],
            r"^pbcmodel: error: SCENARIO: expected a file or folder name, got ''", GOOD_SCENARIO),
    CliCase("scenario-common-shock-huge", run(),   # was: internal error, OverflowError
            r"\$\.common_shock_cv: must be in \[0\.0, 1\.0\], got 1e\+300",
            {"s.toml": scenario_text(top="common_shock_cv = 1e300")}),
    CliCase("patients-cut-at-a-line-break", budgets(),
            r"patients\.csv' looks cut off: its last practice 'B82005' has 35 of the 40",
            {"patients.csv": NO_ALL_CUT}),
    CliCase("patients-count-above-the-limit", budgets(),
            r"NUMBER_OF_PATIENTS must be a whole number from 0 to 922,337,203,685; got "
            r"'922337203686' for practice\(s\) 'A81001'",
            {"patients.csv": NO_ALL.replace(b"A81001,AB1 2CD,FEMALE,0_4,81",
                                            b"A81001,AB1 2CD,FEMALE,0_4,922337203686")}),
    CliCase("budgets-weights-overflow", budgets("--weights", "{tmp}/w.csv"),  # exit 0, £0 each
            r"--weights .*w\.csv.*(too large|at most|overflow)", {**GOOD, "w.csv": WEIGHTS_HUGE}),
    CliCase("scenario-needs-huge", run(),    # says "budget_pence: budgets must be > 0"
            r"\$\.formula\.needs", {"s.toml": scenario_text().replace(
                "[formula]\n", "[formula]\nneeds = 1e308\n")}),
    CliCase("scenario-mff-huge", run(),      # overflow warnings, then "budgets must be > 0"
            r"\$\.formula\.mff", {"s.toml": scenario_text().replace(
                "[formula]\n", "[formula]\nmff = 1e300\n")}),
    CliCase("scenario-overspend-cap-huge", run(),   # exit 0 with "overflow in multiply"
            r"\$\.overspend\.cap", {"s.toml": scenario_text(overspend="cap = 1e300")}),
    CliCase("design-out-empty", design("--out", ""),
            r"^pbcmodel: error: --out: expected a file or folder name",
            {**GOOD_SCENARIO, "d.toml": SPACE}),
    CliCase("design-space-unknown-key", design(), r"d\.toml: objectiv: unknown key",
            {**GOOD_SCENARIO, "d.toml": 'objectiv = "x"\n' + SPACE}),
    CliCase("design-space-not-utf8", design(),     # internal error: UnicodeDecodeError
            r"d\.toml.*not UTF-8", {**GOOD_SCENARIO, "d.toml": (SPACE + "# café\n").encode(
                "cp1252")}),
    CliCase("design-space-with-bom", design(),     # says "not valid TOML" at line 1, column 1
            r"d\.toml: objectiv: unknown key", {**GOOD_SCENARIO, "d.toml": b"\xef\xbb\xbf"
                                                 + ('objectiv = "x"\n' + SPACE).encode()}),
    CliCase("design-space-searches-the-name", design(),   # internal error: TypeError
            r"space\['name'\]", {**GOOD_SCENARIO, "d.toml": '[space."name"]\nchoices = '
                                                         '["a", "b"]\n'}),
]


def _write_files(tmp: Path, files: dict[str, bytes | str]) -> None:
    for name, data in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def run_cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:     # a usage error: one line pointing to --help
        return int(exc.code or 0)


@pytest.mark.parametrize("case", [c.param() for c in CLI_CASES])
def test_cli_bad_input(case: CliCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    if "/sys/" in " ".join(case.argv) and os.access("/sys", os.W_OK | os.X_OK) \
            and not Path("/sys/kernel").exists():
        pytest.skip("/sys is an ordinary writable folder here")
    _write_files(tmp_path, case.files)
    before = snapshot(tmp_path)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in case.argv]
    status = run_cli(argv)
    captured = capsys.readouterr()
    err = captured.err
    assert status == case.status, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err          # one line, and no usage block (issue 26)
    assert lines[0].startswith("pbcmodel: error: ") or lines[0].startswith("pbcmodel "), err
    assert re.search(case.match, lines[0]), lines[0]
    assert captured.out == ""             # nothing printed as if it had worked
    assert snapshot(tmp_path) == before   # inputs and outputs byte-for-byte unchanged


def test_catalogue_is_large_enough():
    api = len(API_CASES) + len(ENVIRONMENT_CASES)
    assert len(CLI_CASES) + api >= 60


# ----------------------------------------------------------------------------- API cases
def example() -> pbc.Scenario:
    return pbc.Scenario.example()


def outturn_frame(**changes: Any) -> pd.DataFrame:
    frame = example().budgets().drop(columns="total") * 0.98
    for key, value in changes.items():
        if key == "nan":
            frame.iloc[0, 0] = np.nan
        elif key == "only":
            frame = frame[[value]]
        elif key == "extra":
            frame[value] = 1000.0
        elif key == "total":
            frame["total"] = frame.sum(axis=1) + value
    return frame


@dataclass
class ApiCase:
    """A library call; ``files`` are written into the working folder first."""

    id: str
    call: Callable[[Path], Any]
    error: type[BaseException]
    match: str
    files: dict[str, bytes] = field(default_factory=dict)

    def param(self) -> Any:
        return pytest.param(self, id=self.id)


def _frame(x: int = 1) -> pd.DataFrame:
    return pd.DataFrame({"x": [x]})


PREVIOUS = {"t.csv": b"x\n1\n"}


def tidy_frame(**columns: Any) -> pd.DataFrame:
    """Three rows of a tidy population (practices A, A, B), with ``columns`` replaced."""
    frame = pd.DataFrame({"practice": ["A", "A", "B"], "consortium": "C",
                          "age_band": ["0_4", "5_9", "0_4"], "sex": ["F", "M", "F"],
                          "patients": [10, 20, 30]})
    return frame.assign(**columns)


def weighted_frame(**columns: Any) -> Any:
    """Two practices of one ICB as WeightedPopulations, every component 100 unless given."""
    from pbcmodel.weighted import COMPONENTS, WeightedPopulations

    frame = pd.DataFrame({"registered": [100.0, 100.0], "icb": "Q1", "region": "R",
                          "lad": "L", **{c: [100.0, 100.0] for c in COMPONENTS}},
                         index=["A", "B"])
    return WeightedPopulations(frame.assign(**columns))


def england_icb() -> Any:
    return pbc.datasets.england().subset(icb="QWO")


API_CASES = [
    ApiCase("read-registered-None", lambda tmp: read_registered_patients(None),
            ValidationError, r"registered patients: expected a file path, got None"),
    ApiCase("read-registered-number", lambda tmp: read_registered_patients(5),
            ValidationError, r"registered patients: expected a file path, got 5"),
    ApiCase("read-registered-empty-path", lambda tmp: read_registered_patients(""),
            ValidationError, r"expected a file path, got ''"),
    ApiCase("read-registered-folder", lambda tmp: read_registered_patients(tmp),
            ValidationError, r"is a folder"),
    ApiCase("read-consortia-missing", lambda tmp: read_consortia(tmp / "c.csv"),
            ValidationError, r"consortia: no such file .*c\.csv"),
    ApiCase("write-tables-unsafe-name", lambda tmp: write_tables({"../x": _frame()}, tmp),
            ValidationError, r"name '\.\./x' must be a plain file name"),
    ApiCase("write-tables-not-a-table", lambda tmp: write_tables({"t": 5}, tmp),
            ValidationError, r"'t' must be a DataFrame or Series, got int"),
    ApiCase("write-tables-unknown-format", lambda tmp: write_tables({"t": _frame()}, tmp,
                                                                    format="xls"),
            ValidationError, r"format: must be one of .* got 'xls'"),
    ApiCase("write-tables-into-a-file", lambda tmp: write_tables({"t": _frame()}, tmp / "t.csv"),
            ValidationError, r"out_dir: .*t\.csv' exists and is not a directory", files=PREVIOUS),
    ApiCase("write-tables-no-force", lambda tmp: write_tables({"t": _frame(2)}, tmp),
            ValidationError, r"out_dir: t\.csv already exist\(s\)", files=PREVIOUS),
    ApiCase("write-tables-parquet-into-a-file",
            lambda tmp: write_tables({"t": _frame()}, tmp / "t.csv" / "sub", format="parquet"),
            ValidationError, r"out_dir: .*t\.csv' is a file", files=PREVIOUS),
    ApiCase("atomic-folder-no-force",
            lambda tmp: atomic_folder(tmp, replaces=["t.csv"]).__enter__(),
            ValidationError, r"t\.csv already exist", files=PREVIOUS),
    ApiCase("from-toml-bytes", lambda tmp: pbc.Scenario.from_toml(b"resource = 1"),
            ConfigError, r"expected text \(str\), got bytes"),
    ApiCase("from-json-deep", lambda tmp: pbc.Scenario.from_json("[" * 10**6 + "]" * 10**6),
            ConfigError, r"nested more than 16 levels"),
    ApiCase("load-scenario-None", lambda tmp: pbc.load_scenario(None),
            ConfigError, r"scenario: expected a file path, got None"),
    ApiCase("simulate-seed-negative", lambda tmp: example().simulate(n=5, seed=-1),
            ValidationError, r"seed"),
    ApiCase("simulate-n-fraction", lambda tmp: example().simulate(n=2.5),
            ValidationError, r"n: must be a positive whole number, got 2\.5"),
    ApiCase("simulate-years-zero", lambda tmp: example().simulate(n=5, years=0),
            ValidationError, r"years: must be a positive whole number, got 0"),
    ApiCase("settle-outturn-nan-cell", lambda tmp: example().settle(outturn_frame(nan=True)),
            ValidationError, r"outturn.*P001"),
    ApiCase("settle-outturn-one-pod", lambda tmp: example().settle(outturn_frame(only="elective")),
            ValidationError, r"outturn.*(missing|POD|column)"),
    ApiCase("settle-outturn-extra-column",
            lambda tmp: example().settle(outturn_frame(extra="list_size")),
            ValidationError, r"outturn.*list_size"),
    ApiCase("settle-outturn-total-disagrees",
            lambda tmp: example().settle(outturn_frame(total=5.0)),
            ValidationError, r"outturn.*total"),
    ApiCase("population-count-overflows", lambda tmp: pbc.Population.from_frame(pd.DataFrame(
        {"practice": ["A"], "consortium": ["C"], "age_band": ["0_4"], "sex": ["F"],
         "patients": [9_223_372_036_854_775_000]})),
            ValidationError, r"patients"),
    ApiCase("overspend-recovery-years-fraction",
            lambda tmp: pbc.OverspendPolicy(practice_share=0.5, recovery_years=2.5),
            ValidationError, r"recovery_years.*2\.5"),
    ApiCase("scenario-resource-overflows-pence",
            lambda tmp: example().evolve(resource=1e300).budgets(),
            ValidationError, r"^resource: £1e\+300 is too large to settle exactly in pence; the "
                             r"largest amount is £92,233,720,368,547,758\.07$"),
    ApiCase("memory-estimate-refuses",
            lambda tmp: pbc.scenario.memory.check_simulation_memory(10**12, 8_000, 3),
            ValidationError, r"--n 1,000,000,000,000: this simulation needs about"),
    # --- found acting as a careless user (session of 2 December 2026)
    ApiCase("read-registered-consortia-mapping-written-twice",   # the last one silently won
            lambda tmp: read_registered_patients(DATA / "gp-reg-pat-prac-quin-age.csv", consortia={
                "A81001": "North", "a81001": "South", "A81002": "North", "B82005": "South"}),
            ValidationError, r"consortia: practice\(s\) 'A81001' listed twice \(entries 1, 2\)"),
    ApiCase("read-registered-icb-without-mapping",   # was: sub-ICB locations, silently
            lambda tmp: read_registered_patients(DATA / "gp-reg-pat-prac-quin-age.csv",
                                                 commissioner="icb"),
            ValidationError, r"commissioner: 'icb' needs the published mapping file"),
    ApiCase("population-empty-frame", lambda tmp: pbc.Population.from_frame(tidy_frame()[:0]),
            ValidationError, r"population: the frame has no rows"),
    ApiCase("population-blank-practice-code",
            lambda tmp: pbc.Population.from_frame(tidy_frame(practice=["A", " ", "B"])),
            ValidationError, r"population: column 'practice' is blank in row\(s\) 1"),
    ApiCase("population-codes-differ-in-case",   # were two practices 'A' and 'a'
            lambda tmp: pbc.Population.from_frame(tidy_frame(practice=["A", "a", "B"])),
            ValidationError, r"practice codes 'A', 'a' differ only in case"),
    ApiCase("population-cost-index-nan",         # the column was silently ignored
            lambda tmp: pbc.Population.from_frame(tidy_frame(cost_index=[1.0, 1.0, np.nan])),
            ValidationError, r"cost_index missing or not a number in row\(s\) 2"),
    ApiCase("read-weighted-None", lambda tmp: pbc.io.read_weighted_populations(None),
            ValidationError, r"weighted populations: expected a file path, got None"),
    ApiCase("read-weighted-year-a-number",
            lambda tmp: pbc.io.read_weighted_populations(tmp / "2026_2027.csv", year=2026),
            ValidationError, r"year: expected an allocation year label such as '2026/27', got "
                             r"2026", files={"2026_2027.csv": WEIGHTED_FILE}),
    ApiCase("read-weighted-registered-1e30",
            lambda tmp: pbc.io.read_weighted_populations(tmp / "2026_2027.csv"),
            ValidationError, r"'Registered Patients' must be a number >= 0 and <= "
                             r"922,337,203,685; practice\(s\) 'B85005' \(row\(s\) 2\) have "
                             r"'1e30'",
            files={"2026_2027.csv": WEIGHTED_FILE.replace(b",1000.5,", b",1e30,")}),
    ApiCase("read-weighted-core-inf",
            lambda tmp: pbc.io.read_weighted_populations(tmp / "2026_2027.csv"),
            ValidationError, r"'Core WP' must be a number >= 0.*'B85005'.*'inf'",
            files={"2026_2027.csv": WEIGHTED_FILE.replace(b",950,1000,970", b",inf,1000,970")}),
    ApiCase("write-tables-empty-out-dir", lambda tmp: write_tables({"t": _frame()}, ""),
            ValidationError, r"out_dir: expected a folder path, got ''"),
    ApiCase("pace-max-gain-huge", lambda tmp: pbc.PaceOfChange(max_gain=1.5e26, max_loss=0.02),
            ValidationError, r"max_gain: must be a fraction of last year's budget from 0 to "
                             r"1,000,000 .*got 1\.5e\+26"),
    ApiCase("scenario-common-shock-huge", lambda tmp: example().evolve(common_shock_cv=1e300),
            ValidationError, r"common_shock_cv: must be in \[0\.0, 1\.0\], got 1e\+300"),
    ApiCase("weighted-budgets-resource-wraps",     # gives negative budgets, silently
            lambda tmp: pbc.capitation.WeightedCapitation().budgets_pence(england_icb(), 1e17),
            ValidationError, r"resource: £1e\+17 is too large to settle exactly in pence"),
    ApiCase("weighted-budgets-resource-1e300",     # OverflowError
            lambda tmp: pbc.capitation.WeightedCapitation().budgets_pence(england_icb(), 1e300),
            ValidationError, r"resource: £1e\+300 is too large"),
    ApiCase("need-index-of-a-dataframe",           # AttributeError: no attribute 'codes'
            lambda tmp: pbc.capitation.need_index(pd.DataFrame()),
            ValidationError, r"expected .*WeightedPopulations"),
    ApiCase("need-index-all-zero",                 # NaN for every practice, silently
            lambda tmp: pbc.capitation.need_index(weighted_frame(core=[0.0, 0.0])),
            ValidationError, r"core.*zero"),
    ApiCase("weighted-populations-sum-overflows",  # need index 0.0 for both, silently
            lambda tmp: pbc.capitation.need_index(weighted_frame(core=[1e308, 1e308])),
            ValidationError, r"core"),
    ApiCase("weighted-to-population-wraps",        # message quotes -9223372036854775808
            lambda tmp: weighted_frame(registered=[1e30, 1.0]).to_population(
                pbc.datasets.england_age_sex_profile()),
            ValidationError, r"^(?!.*-9223372036854775808).*registered"),
    ApiCase("simulate-spend-common-shock-huge",    # OverflowError
            lambda tmp: pbc.risk.draws.simulate_spend(
                pbc.datasets.example_population(), pbc.datasets.example_cost_model(), 10,
                seed=1, common_shock_cv=1e300),
            ValidationError, r"common_shock_cv: must be in \[0\.0, 1\.0\], got 1e\+300"),
]


@pytest.mark.parametrize("case", [c.param() for c in API_CASES])
def test_api_bad_input(case: ApiCase, tmp_path: Path):
    _write_files(tmp_path, {"keep.txt": b"a file of the user's", **case.files})
    before = snapshot(tmp_path)
    with pytest.raises(case.error, match=case.match):
        case.call(tmp_path)
    assert snapshot(tmp_path) == before


# ----------------------------------------------------------------------------- environment
def _no_module(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setitem(sys.modules, name, None)     # import fails as if not installed


ENVIRONMENT_CASES = [
    # (id, what to break, argv, status, message)
    ("no-matplotlib", "matplotlib", run(), 2, r"figures of pbcmodel run need the optional "
                                              r"extra 'plot': pip install 'pbcmodel\[plot\]'"),
    ("no-pyarrow-for-parquet", "pyarrow", run("--format", "parquet"), 2,
     r"Parquet tables need the optional extra 'io'"),
    ("internal-bug", "bug", run(), 1, r"pbcmodel: internal error: KeyError: .*bug in pbcmodel "
                                      r".*report it.*--debug"),
    ("out-of-memory", "memory", run(), 2, r"out of memory; try a smaller --n"),
    ("recursion", "recursion", run(), 2, r"nested too deeply"),
    ("permission-denied", "permission", run(), 2, r"'.*report\.txt': permission denied"),
    ("interrupted", "interrupt", run(), 130, r"pbcmodel: interrupted; no output was written"),
]


@pytest.mark.parametrize(("what", "argv", "status", "match"),
                         [pytest.param(*c[1:], id=c[0]) for c in ENVIRONMENT_CASES])
def test_cli_environment_failure(what, argv, status, match, tmp_path, capsys, monkeypatch):
    """A missing extra is found before any work; any other failure is one line too."""
    faults: dict[str, BaseException] = {
        "bug": KeyError("no such column"), "memory": MemoryError(),
        "recursion": RecursionError("maximum recursion depth exceeded"),
        "permission": PermissionError(13, "Permission denied", str(tmp_path / "out" /
                                                                   "report.txt")),
        "interrupt": KeyboardInterrupt(),
    }
    simulated = []
    if what in faults:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise faults[what]
        monkeypatch.setattr(cli_commands, "_save_figures", fail)
    else:
        _no_module(monkeypatch, what)
        monkeypatch.setattr(pbc.Scenario, "simulate",
                            lambda *a, **k: simulated.append(1) or pytest.fail("computed"))
    _write_files(tmp_path, {**GOOD_SCENARIO, "out/notes.txt": b"the user's own file"})
    before = snapshot(tmp_path)
    assert run_cli([a.replace("{tmp}", str(tmp_path)) for a in argv]) == status
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert re.search(match, err), err
    assert snapshot(tmp_path) == before and not simulated


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_commands, "_save_figures", lambda *a: {}["boom"])
    _write_files(tmp_path, GOOD_SCENARIO)
    with pytest.raises(KeyError, match="boom"):
        main(["--debug", *[a.replace("{tmp}", str(tmp_path)) for a in run()]])
    assert not (tmp_path / "out").exists()


def test_module_entry_point_never_prints_a_traceback(tmp_path):
    import subprocess

    (tmp_path / "s.toml").write_text("x = " + "[" * 100_000)
    done = subprocess.run([sys.executable, "-m", "pbcmodel", "run", str(tmp_path / "s.toml"),
                           "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("pbcmodel: error: ") and "Traceback" not in done.stderr


# ----------------------------------------------------------------------------- not silent
def test_cp1252_file_is_read_with_a_one_line_warning(tmp_path, capsys):
    """Windows-1252 (common in NHS exports) is read, and the user is told (documented)."""
    (tmp_path / "patients.csv").write_bytes(patients_with(b"AB1 2CD", b"AB1 \x922CD", 63))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in budgets()]
    assert main(argv) == 0
    assert (tmp_path / "b.csv").exists()
    warning = capsys.readouterr().err.splitlines()
    assert len(warning) == 1
    assert re.match(r"pbcmodel: warning: registered patients: '.*patients\.csv' is not UTF-8 "
                    r"\(byte 0x92\); read it as Windows-1252", warning[0])


def test_bom_crlf_and_quoted_spaces_are_read_as_published(tmp_path):
    text = PATIENTS.replace(b"\n", b"\r\n").replace(b",A81001,", b',"  A81001 ",')
    (tmp_path / "p.csv").write_bytes(b"\xef\xbb\xbf" + text)
    (tmp_path / "p.zip").write_bytes(zipped(inner__csv=b"\xef\xbb\xbf" + text))
    expected = read_registered_patients(DATA / "gp-reg-pat-prac-quin-age.csv")
    for name in ("p.csv", "p.zip"):
        pop = read_registered_patients(tmp_path / name)
        assert pop.list_size.to_dict() == expected.list_size.to_dict()


def test_scenario_file_with_bom_is_read(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b"\xef\xbb\xbf" + scenario_text().encode())
    assert pbc.load_scenario(path).name == "catalogue"
    path = tmp_path / "s.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(
        json.loads(pbc.Scenario.example().to_json())).encode())
    assert pbc.load_scenario(path) == pbc.Scenario.example()


def test_lower_case_consortia_codes_match(tmp_path):
    (tmp_path / "c.csv").write_bytes(CONSORTIA.lower().replace(b"north", b"North"))
    pop = read_registered_patients(DATA / "gp-reg-pat-prac-quin-age.csv",
                                   consortia=tmp_path / "c.csv")
    assert pop.practices.loc["A81001", "consortium"] == "North"


def test_statements_outturn_codes_are_normalised_like_the_readers(tmp_path, capsys):
    """Codes written ' p001 ' in --outturn are the scenario's P001, as in a consortia file
    (today: "practice(s) 'p001', … are not in scenario 'catalogue'")."""
    codes = pbc.datasets.example_population().codes
    _write_files(tmp_path, {**GOOD_SCENARIO, "o.csv": "practice,outturn\n" + "".join(
        f" {code.lower()} ,5000000\n" for code in codes)})
    status = main(["statements", str(tmp_path / "s.toml"), "--outturn", str(tmp_path / "o.csv"),
                   "--out", str(tmp_path / "out"), "--format", "html"])
    assert status == 0, capsys.readouterr().err
    assert (tmp_path / "out").is_dir()


def test_icb_codes_are_normalised_like_practice_codes():
    """'qwo' is QWO, as ' a81001 ' is A81001 (today: "subset: unknown ICB(s) 'qwo'")."""
    wp = pbc.datasets.england()
    assert wp.subset(icb=" qwo ").codes.equals(wp.subset(icb="QWO").codes)


def test_consortia_file_with_extra_practices_is_not_silent(tmp_path):
    (tmp_path / "c.csv").write_bytes(CONSORTIA + b"Z99999,East\n")
    with pytest.warns(UserWarning, match="Z99999"):
        read_registered_patients(DATA / "gp-reg-pat-prac-quin-age.csv",
                                 consortia=tmp_path / "c.csv")


def test_truncated_practice_without_all_rows_is_detected(tmp_path):
    """Cut at a line break, after a practice's first cells, in a file without ALL rows."""
    lines = [line for line in PATIENTS.split(b"\n") if line and b",ALL," not in line]
    (tmp_path / "p.csv").write_bytes(b"\n".join(lines[:-5]) + b"\n")
    with pytest.raises(ValidationError, match=r"p\.csv' looks cut off: its last practice "
                                              r"'B82005' has 35 of the 40 age band × sex cells"):
        read_registered_patients(tmp_path / "p.csv")


def test_run_states_when_recoveries_fall_beyond_the_horizon(tmp_path, capsys):
    _write_files(tmp_path, {"s.toml": scenario_text(
        overspend="tolerance = 0.0\nrecovery_years = 2")})
    assert main(["run", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"), "--n", "50",
                 "--years", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"Note: on average £[\d,]+ of overspend is still to be recovered from "
                     r"budgets after year 1", out)


def test_run_defaults_to_three_years(tmp_path):
    from pbcmodel.cli import build_parser

    args = build_parser().parse_args(["run", "s.toml", "--out", "o"])
    assert args.years == 3
    help_text = build_parser()._subparsers._group_actions[0].choices["run"].format_help()
    assert "default 3" in " ".join(help_text.split())


# ----------------------------------------------------------------------------- atomic outputs
def _figures_fail_half_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first figure is written, then the disk is full."""
    def save(result: Any, paths: dict[str, Path]) -> None:
        first, *_ = paths.values()
        first.write_bytes(b"\x89PNG half a figure")
        raise OSError(28, "No space left on device", str(first))
    monkeypatch.setattr(cli_commands, "_save_figures", save)


@pytest.mark.parametrize("force", [False, True], ids=["new-folder", "force-over-previous-run"])
def test_failure_half_way_leaves_the_target_as_it_was(force, tmp_path, capsys, monkeypatch):
    _write_files(tmp_path, GOOD_SCENARIO)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in run()]
    if force:
        assert main(argv) == 0                 # a previous, complete run
        (tmp_path / "out" / "notes.txt").write_text("the user's own notes")
        argv.append("--force")
    capsys.readouterr()
    before = snapshot(tmp_path)
    _figures_fail_half_way(monkeypatch)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no space left on device" in err and "Traceback" not in err
    assert snapshot(tmp_path) == before        # not one byte changed, no staging left behind
    assert (tmp_path / "out").exists() == force


def test_force_replaces_the_previous_run_as_a_set(tmp_path, capsys):
    _write_files(tmp_path, {**GOOD_SCENARIO, "out/notes.txt": b"mine"})
    argv = [a.replace("{tmp}", str(tmp_path)) for a in run()]
    assert main(argv) == 0
    assert main([*argv, "--format", "parquet", "--force"]) == 0
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert not any(name.endswith(".csv") for name in names)   # no stale tables of the csv run
    assert {"summary.parquet", "report.txt", "net.png", "notes.txt"} <= names
    assert (tmp_path / "out" / "notes.txt").read_bytes() == b"mine"   # not ours: left alone


def test_failure_while_moving_files_in_is_rolled_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _write_files(tmp_path, {"out/a.csv": b"old a", "out/b.csv": b"old b", "out/keep": b"k"})
    before = snapshot(tmp_path)
    real_rename = os.rename
    moves = []

    def rename(src: Any, dst: Any) -> None:
        moves.append(dst)
        if len(moves) == 4:      # two old files backed up, one new moved in, then a failure
            raise OSError(5, "Input/output error", str(dst))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="Input/output"):
        write_tables({"a": _frame(1), "b": _frame(2)}, out, force=True)
    monkeypatch.undo()
    assert snapshot(tmp_path) == before


def test_new_folder_appears_whole_and_parents_are_removed_on_failure(tmp_path):
    target = tmp_path / "a" / "b" / "out"
    with pytest.raises(RuntimeError), atomic_folder(target) as staging:
        (staging / "x.csv").write_text("1")
        assert not target.exists()
        raise RuntimeError("half-way")
    assert list(tmp_path.iterdir()) == []      # a/ and a/b/ made for it are gone again
    with atomic_folder(target) as staging:
        (staging / "x.csv").write_text("1")
    assert [p.name for p in target.iterdir()] == ["x.csv"]


# --- issue 26, class 2: gaps in monitoring inputs ----------------------------------------
# A practice (× POD) with no row in a month to date was counted as spending 0 in it: removing
# the largest practice's June lowered its forecast outturn by £3.3m without a word. The rule
# is pbcmodel.monitoring.panel_gaps: a gap is refused naming the unit, the month and the
# input (the file on the command line), or with missing="report" listed and left unknown.
def _monthly() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The example's current year of spend, and its budgets phased flat (total and by POD)."""
    from pbcmodel.datasets import CURRENT_YEAR, example_monthly_activity
    from pbcmodel.phasing import flat_profile, phase

    act = example_monthly_activity()
    budgets = example().budgets()
    return (act[act["year"] == CURRENT_YEAR].drop(columns="year"),
            phase(budgets["total"], flat_profile()),
            phase(budgets.drop(columns="total"), flat_profile()))


def _without(frame: pd.DataFrame, **where: Any) -> pd.DataFrame:
    drop = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        drop &= (frame[column] == value).to_numpy()
    assert drop.any()
    return frame[~drop]


def _forecast(phased: pd.DataFrame, actual: pd.DataFrame, **kw: Any) -> pd.DataFrame:
    from pbcmodel.datasets import CURRENT_MONTH
    from pbcmodel.monitoring import forecast_outturn

    return forecast_outturn(phased, actual, CURRENT_MONTH, **kw)


def test_gap_in_a_practices_month_is_refused_not_read_as_no_spend():
    """The £1m case: P032's June removed (was: forecast £3.3m lower, no warning)."""
    actual, phased, _ = _monthly()
    gap = _without(actual, practice="P032", month=3)
    with pytest.raises(ValidationError, match=r"^actual: no row for practice 'P032' in month 3 "
                                              r"\(Jun\); every practice needs a row for each "
                                              r"month from 1 \(Apr\) to 7 \(Oct\), 0 for no "
                                              r"spend \(1 gap in all\)$"):
        _forecast(phased, gap)
    # told how to treat it: reported, the forecast unknown rather than £3.3m too low
    reported = _forecast(phased, gap, missing="report")
    assert reported.loc["P032", "missing_months"] == (3,)
    assert reported.loc["P032", ["actual_ytd", "forecast", "lower", "upper",
                                 "prob_overspend"]].isna().all()
    full = _forecast(phased, actual)
    others = reported.index != "P032"
    pd.testing.assert_frame_equal(reported.loc[others].drop(columns="missing_months"),
                                  full.loc[others])
    assert (reported.loc[others, "missing_months"] == ()).all()


def test_zero_spend_is_kept_distinct_from_missing():
    from pbcmodel.datasets import CURRENT_MONTH
    from pbcmodel.monitoring import year_to_date

    actual, phased, _ = _monthly()
    zero = actual.assign(cost=np.where((actual["practice"] == "P032") & (actual["month"] == 3),
                                       0.0, actual["cost"]))
    full, nothing = _forecast(phased, actual), _forecast(phased, zero)
    # a month of 0 is a month of no spend: accepted, and the forecast falls by over £1m
    assert full.loc["P032", "forecast"] - nothing.loc["P032", "forecast"] > 1e6
    ytd = year_to_date(phased, zero, CURRENT_MONTH, missing="report")
    assert ytd.loc["P032", "missing_months"] == () and np.isfinite(ytd.loc["P032", "actual_ytd"])


def test_practice_in_the_budgets_but_not_in_the_actuals_is_refused_or_reported():
    from pbcmodel.datasets import CURRENT_MONTH
    from pbcmodel.monitoring import year_to_date

    actual, phased, _ = _monthly()
    gone = _without(actual, practice="P005")
    with pytest.raises(ValidationError, match=r"^actual: no rows at all for practice 'P005'; "
                                              r".*\(7 gaps in all\)$"):
        _forecast(phased, gone)
    by_cons = year_to_date(phased, gone, CURRENT_MONTH, by="consortium",
                           population=example().population, missing="report")
    hit = by_cons["missing_months"] != ()
    assert hit.sum() == 1 and by_cons.loc[hit, "missing_months"].iloc[0] == tuple(range(1, 8))
    assert by_cons.loc[hit, "actual_ytd"].isna().all()        # never the other practices' sum
    assert by_cons.loc[~hit, "actual_ytd"].notna().all()


def test_missing_pod_is_refused_or_reported():
    from pbcmodel.datasets import CURRENT_MONTH
    from pbcmodel.monitoring import year_to_date

    actual, _, by_pod = _monthly()
    with pytest.raises(ValidationError, match=r"^actual: no rows at all for pod\(s\) 'ae'; "
                                              r"every practice × pod needs a row"):
        _forecast(by_pod, _without(actual, pod="ae"))
    with pytest.raises(ValidationError, match=r"^actual: no rows at all for practice 'P032', "
                                              r"pod 'ae'; .*\(7 gaps in all\)$"):
        _forecast(by_pod, _without(actual, practice="P032", pod="ae"))
    with pytest.raises(ValidationError, match=r"^actual: no row for practice 'P032', pod 'ae' "
                                              r"in month 2 \(May\); .*\(1 gap in all\)$"):
        year_to_date(by_pod, _without(actual, practice="P032", pod="ae", month=2),
                     CURRENT_MONTH, by="pod")
    out = year_to_date(by_pod, _without(actual, practice="P032", pod="ae", month=2),
                       CURRENT_MONTH, by="pod", missing="report")
    assert out.loc["ae", "missing_months"] == (2,) and np.isnan(out.loc["ae", "actual_ytd"])
    assert (out.drop(index="ae")["missing_months"] == ()).all()


GAP_API_CASES = [
    ApiCase("statement-gap-in-a-month",
            lambda tmp: pbc.monthly_statement.statement(
                "P032", 7, phased=_monthly()[1],
                actual=_without(_monthly()[0], practice="P032", month=3)),
            ValidationError, r"^actual: no row for practice 'P032' in month 3 \(Jun\)"),
    ApiCase("contract-line-missing-a-month",
            lambda tmp: pbc.monitoring.contract_monitor(
                pbc.datasets.example_contract_plan(),
                _without(pbc.datasets.example_contract_activity(), provider="RXA",
                         pod="elective", month=4), 5),
            ValidationError, r"^actual: no row for provider 'RXA', pod 'elective' in month 4 "
                             r"\(Jul\); every provider × pod needs a row"),
    ApiCase("contract-line-not-invoiced",
            lambda tmp: pbc.monitoring.contract_monitor(
                pbc.datasets.example_contract_plan(),
                _without(pbc.datasets.example_contract_activity(), provider="RXA",
                         pod="elective"), 5),
            ValidationError, r"^actual: no rows at all for provider 'RXA', pod 'elective'"),
    ApiCase("monitoring-missing-keyword-unknown",
            lambda tmp: _forecast(_monthly()[1], _monthly()[0], missing="zero"),
            ValidationError, r"^missing: expected 'refuse' or 'report', got 'zero'$"),
]


@pytest.mark.parametrize("case", [c.param() for c in GAP_API_CASES])
def test_gap_api_bad_input(case: ApiCase, tmp_path: Path):
    test_api_bad_input(case, tmp_path)


def _monthly_csv(frame: pd.DataFrame | None = None, pods: bool = False) -> bytes:
    actual = _monthly()[0] if frame is None else frame
    keys = ["practice", "pod"] if pods else ["practice"]
    rows = actual.groupby([*keys, "month"], as_index=False)["cost"].sum()
    return rows.to_csv(index=False).encode()


def statements(*extra: str) -> list[str]:
    return ["statements", "{tmp}/s.toml", "--outturn", "{tmp}/m.csv", "--out", "{tmp}/out",
            "--format", "xlsx", *extra]


GAP_CLI_CASES = [
    CliCase("statements-month-gap", statements("--month", "7"),
            r"^pbcmodel: error: --outturn '.*m\.csv': no row for practice 'P032' in month 3 "
            r"\(Jun\); every practice needs a row for each month from 1 \(Apr\) to 7 \(Oct\), "
            r"0 for no spend \(1 gap in all\)$",
            {**GOOD_SCENARIO, "m.csv": lambda: _monthly_csv(
                _without(_monthly()[0], practice="P032", month=3))}),
    CliCase("statements-month-practice-missing", statements("--month", "7"),
            r"--outturn '.*m\.csv': no rows at all for practice 'P005'",
            {**GOOD_SCENARIO, "m.csv": lambda: _monthly_csv(
                _without(_monthly()[0], practice="P005"))}),
    CliCase("statements-month-pod-missing", statements("--month", "7"),
            r"--outturn '.*m\.csv': no rows at all for practice 'P032', pod 'ae'",
            {**GOOD_SCENARIO, "m.csv": lambda: _monthly_csv(
                _without(_monthly()[0], practice="P032", pod="ae"), pods=True)}),
    CliCase("statements-month-pod-missing-everywhere", statements("--month", "7"),
            r"--outturn '.*m\.csv': no rows at all for pod\(s\) 'ae'",
            {**GOOD_SCENARIO, "m.csv": lambda: _monthly_csv(
                _without(_monthly()[0], pod="ae"), pods=True)}),
    # class 4: was "practice 'P001' is listed twice (row 3)"
    CliCase("statements-monthly-file-without-month", statements(),
            r"^pbcmodel: error: --outturn '.*m\.csv': spend by month \(a 'month' column, 7 "
            r"months\); give --month with the last month to report, 1 \(April\) to 12 "
            r"\(March\), or a settled year's file \(practice, outturn\)$",
            {**GOOD_SCENARIO, "m.csv": lambda: _monthly_csv()}),
    CliCase("statements-one-month-file-without-month", statements(),
            r"--outturn '.*m\.csv': spend by month \(a 'month' column\); give --month",
            {**GOOD_SCENARIO, "m.csv": lambda: _monthly_csv(
                _monthly()[0].query("month == 1"))}),
]


@pytest.mark.parametrize("case", [c.param() for c in GAP_CLI_CASES])
def test_gap_cli_bad_input(case: CliCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    files = {name: data() if callable(data) else data for name, data in case.files.items()}
    test_cli_bad_input(CliCase(case.id, case.argv, case.match, files, case.status), tmp_path,
                       capsys)


def test_statements_month_with_zero_rows_is_accepted(tmp_path, capsys):
    """A month of 0 written as a row is no spend, not a gap: the statements are written."""
    actual = _monthly()[0]
    zero = actual.assign(cost=np.where((actual["practice"] == "P032") & (actual["month"] == 3),
                                       0.0, actual["cost"]))
    _write_files(tmp_path, {**GOOD_SCENARIO, "m.csv": _monthly_csv(zero)})
    argv = [a.replace("{tmp}", str(tmp_path)) for a in statements("--month", "7")]
    assert main(argv) == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "statements.xlsx").exists()


def test_seasonal_history_with_a_gap_is_refused_not_averaged_over_fewer_years():
    """A past year's month missing for one POD dropped that year from the POD's profile."""
    from pbcmodel.datasets import CURRENT_YEAR, example_monthly_activity
    from pbcmodel.phasing import seasonal_profile

    act = example_monthly_activity()
    with pytest.raises(ValidationError, match=r"^history: year 2024, pod 'ae': no row for "
                                              r"month 3 \(Jun\) \(1 month\(s\) missing in "
                                              r"all\); every year but a part-finished latest"):
        seasonal_profile(_without(act, year=2024, month=3, pod="ae"))
    with pytest.raises(ValidationError, match=r"^history: year 2024, pod 'ae': no rows at all"):
        seasonal_profile(_without(act, year=2024, pod="ae"))
    past = act[act["year"] < CURRENT_YEAR]
    with pytest.raises(ValidationError, match=r"^history: year 2025, pod 'ae': no row for "
                                              r"month 12 \(Mar\)"):
        seasonal_profile(_without(past, year=2025, month=12, pod="ae"))
    # the current, part-finished year is left out, as documented; a 0 is a month of nothing
    pd.testing.assert_frame_equal(seasonal_profile(act), seasonal_profile(past))
    zero = act.assign(cost=np.where((act["year"] == 2024) & (act["month"] == 3)
                                    & (act["pod"] == "ae"), 0.0, act["cost"]))
    assert seasonal_profile(zero).loc["ae", 3] < seasonal_profile(act).loc["ae", 3]


# --- issue 26, classes 3, 4 and 6: files and keys ---------------------------------------------
# Class 3: a key given twice in a JSON scenario is refused with its key path (TOML's parser
# already refuses it). Class 4: a scenario-file error names the file (compare, run, design,
# statements), a nesting bomb names the file and says what is too deep, and every reader
# error about a file given as a path names that file. Class 6: a data row that repeats the
# header is refused with its row, for every table file (the rule: io.files).
import gzip  # noqa: E402
import tomllib  # noqa: E402

from pbcmodel.io.payments import read_payments_to_general_practice  # noqa: E402
from pbcmodel.io.registered import read_mapping  # noqa: E402
from pbcmodel.io.weighted_populations import read_weighted_populations  # noqa: E402

#: The catalogue's scenario as JSON text.
SCENARIO_JSON = json.dumps(tomllib.loads(scenario_text()))
MAPPING = (DATA / "nhs_digital" / "gp-reg-pat-prac-map.csv").read_bytes()
PAYMENTS = gzip.decompress((DATA / "payments" / "2022-23.csv.gz").read_bytes())
OUTTURN = b"practice,outturn\nP001,5\nP002,5\nP003,5\n"
WEIGHTS = b"age_band,sex,elective\n0_4,F,100\n0_4,M,100\n5_9,F,100\n"


def header_repeated(data: bytes, at: int = 3, header: bytes | None = None) -> bytes:
    """``data`` with its header line (or ``header``) again as line ``at + 1`` (row at + 1)."""
    lines = data.splitlines(keepends=True)
    return b"".join([*lines[:at], header if header is not None else lines[0], *lines[at:]])


def json_scenario(old: str = "", new: str = "") -> str:
    assert old in SCENARIO_JSON
    return SCENARIO_JSON.replace(old, new, 1)


def statements_of_outturn(*extra: str) -> list[str]:
    return ["statements", "{tmp}/s.toml", "--outturn", "{tmp}/o.csv", "--out", "{tmp}/out",
            *extra]


FILES_CLI_CASES = [
    # --- class 3: a JSON key given twice (was: the last one silently won)
    CliCase("json-resource-twice", run(scenario="{tmp}/s.json"),
            r"s\.json: scenario JSON: \$\.resource: given twice; give each key once",
            {"s.json": json_scenario('"resource": 510000000.0',
                                     '"resource": 510000000.0, "resource": 1e6')}),
    CliCase("json-nested-key-twice", run(scenario="{tmp}/s.json"),
            r"s\.json: scenario JSON: \$\.overspend\.practice_share: given twice",
            {"s.json": json_scenario('"practice_share": 0.5',
                                     '"practice_share": 0.5, "practice_share": 0.9')}),
    CliCase("json-key-twice-deep", run(scenario="{tmp}/s.json"),
            r"\$\.population\.dataset: given twice",
            {"s.json": json_scenario('"population": {"dataset": "example"}',
                                     '"population": {"dataset": "example", '
                                     '"dataset": "synthetic"}')}),
    CliCase("json-key-twice-same-value", run(scenario="{tmp}/s.json"),
            r"\$\.name: given twice",
            {"s.json": json_scenario('"name": "catalogue"',
                                     '"name": "catalogue", "name": "catalogue"')}),
    CliCase("toml-resource-twice", run(),     # TOML's parser refuses it: line and column
            r"s\.toml: scenario TOML: Cannot overwrite a value \(at line 3",
            {"s.toml": scenario_text().replace("resource = 510e6",
                                               "resource = 510e6\nresource = 1e6")}),
    CliCase("toml-table-twice", run(), r"s\.toml: scenario TOML: .*overspend.*twice .*line 12",
            {"s.toml": scenario_text() + "[overspend]\npractice_share = 0.7\n"}),
    CliCase("design-space-key-twice", design(), r"d\.toml: design TOML: .*line 3",
            {**GOOD_SCENARIO, "d.toml": SPACE + "bounds = [0.0, 0.5]\n"}),
    # --- class 4: every scenario-file error names its file
    CliCase("compare-bad-second-file-named", ["compare", "{tmp}/s.toml", "{tmp}/b.toml", "--n",
                                              "5"],
            r"^pbcmodel: error: \S*/b\.toml: \$\.overspend\.practice_share: must be in "
            r"\[0\.0, 1\.0\], got 2",
            {**GOOD_SCENARIO, "b.toml": scenario_text().replace("0.5", "2")}),
    CliCase("compare-bad-first-file-named", ["compare", "{tmp}/b.toml", "{tmp}/s.toml", "--n",
                                             "5"], r"\S*/b\.toml: \$\.resourse: unknown key",
            {**GOOD_SCENARIO, "b.toml": scenario_text(top="resourse = 5")}),
    CliCase("compare-bad-json-named", ["compare", "{tmp}/s.toml", "{tmp}/b.json", "--n", "5"],
            r"\S*/b\.json: scenario JSON: .*line 1", {**GOOD_SCENARIO, "b.json": b"{"}),
    CliCase("run-bad-scenario-named", run(), r"\S*/s\.toml: \$\.resource: must be finite",
            {"s.toml": scenario_text().replace("510e6", "inf")}),
    CliCase("run-scenario-data-file-named", run(),
            r"\S*/s\.toml: \$\.population\.registered_patients: .*no such file .*nope\.csv",
            {"s.toml": scenario_text().replace('{dataset = "example"}',
                                               '{registered_patients = "nope.csv"}', 1)}),
    CliCase("design-bad-scenario-named", design(),
            r"\S*/s\.toml: \$\.overspend\.practice_share: must be in",
            {"s.toml": scenario_text().replace("0.5", "2"), "d.toml": SPACE}),
    CliCase("statements-bad-scenario-named", statements_of_outturn(),
            r"\S*/s\.toml: \$\.overspend\.practice_share: must be in",
            {"s.toml": scenario_text().replace("0.5", "2"), "o.csv": OUTTURN}),
    CliCase("scenario-toml-bomb-named", run(),
            r"\S*/s\.toml: scenario TOML: lists or tables \(brackets inside brackets\) are "
            r"nested more than 16 levels deep",
            {"s.toml": "x = " + "[" * 50_000 + "]" * 50_000}),
    CliCase("scenario-toml-inline-table-bomb-named", run(),
            r"\S*/s\.toml: scenario TOML: lists or tables .*nested more than 16 levels deep",
            {"s.toml": "x = " + "{a = " * 5_000 + "1" + "}" * 5_000}),
    CliCase("scenario-json-bomb-named", run(scenario="{tmp}/s.json"),
            r"\S*/s\.json: scenario JSON: lists or tables .*nested more than 16 levels deep",
            {"s.json": '{"a": ' * 100_000 + "1" + "}" * 100_000}),
    CliCase("scenario-dotted-bomb-names-the-key", run(),
            r"\S*/s\.toml: \$\.a\.a\.a.*: scenario TOML is nested more than 16 levels deep",
            {"s.toml": "a" + ".a" * 40 + " = 1\n"}),
    CliCase("design-space-bomb", design(),   # was: internal error (RecursionError)
            r"\S*/d\.toml: design TOML: lists or tables .*nested more than 16 levels deep",
            {**GOOD_SCENARIO, "d.toml": "x = " + "[" * 50_000 + "]" * 50_000}),
    CliCase("design-space-dotted-deep", design(),   # was: read, then an unhelpful error
            r"\S*/d\.toml: \$\.space\.a\.a.*: design TOML is nested more than 16 levels deep",
            {**GOOD_SCENARIO, "d.toml": "[space]\na" + ".a" * 40 + " = 1\n"}),
    # --- class 4: reader errors about a file name the file
    CliCase("patients-unknown-sex-named", budgets(),
            r"registered patients: '\S*/patients\.csv': unknown SEX 'X' in row\(s\) 24",
            {"patients.csv": patients_with(b",FEMALE,0_4,", b",X,0_4,")}),
    CliCase("patients-missing-column-named", budgets(),
            r"registered patients: '\S*/patients\.csv': missing column\(s\) "
            r"'NUMBER_OF_PATIENTS'",
            {"patients.csv": patients_with(b"NUMBER_OF_PATIENTS", b"PATIENTS")}),
    CliCase("consortia-missing-practice-named", budgets("--consortia", "{tmp}/consortia.csv"),
            r"consortia: '\S*/consortia\.csv': no consortium for practice\(s\) 'B82005'",
            {**GOOD, "consortia.csv": CONSORTIA.replace(b"B82005,South\n", b"")}),
    CliCase("consortia-listed-twice-named", budgets("--consortia", "{tmp}/consortia.csv"),
            r"consortia: '\S*/consortia\.csv': practice\(s\) 'A81001' listed twice "
            r"\(rows 2, 5\)", {**GOOD, "consortia.csv": CONSORTIA + b"A81001,South\n"}),
    # --- class 6: a header line repeated in the middle of a file (was: skipped silently)
    CliCase("patients-header-repeated", budgets(),
            r"registered patients: '\S*/patients\.csv': row\(s\) 4 repeat the header \(row 1\); "
            r"the file is corrupt", {"patients.csv": header_repeated(PATIENTS)}),
    CliCase("patients-header-repeated-twice", budgets(),
            r"patients\.csv': row\(s\) 4, 10 repeat the header",
            {"patients.csv": header_repeated(header_repeated(PATIENTS), at=9)}),
    CliCase("patients-header-repeated-lower-case-spaced", budgets(),
            r"patients\.csv': row\(s\) 6 repeat the header",
            {"patients.csv": header_repeated(PATIENTS, at=5, header=b" " + HEADER.lower().replace(
                b",", b" , "))}),
    CliCase("patients-header-repeated-with-bom", budgets(),     # two files joined as bytes
            r"patients\.csv': row\(s\) 4 repeat the header",
            {"patients.csv": header_repeated(PATIENTS, header=b"\xef\xbb\xbf" + HEADER)}),
    CliCase("patients-header-repeated-crlf", budgets(), r"patients\.csv': row\(s\) 4 repeat",
            {"patients.csv": header_repeated(PATIENTS).replace(b"\n", b"\r\n")}),
    CliCase("patients-header-repeated-last", budgets(),
            r"patients\.csv': row\(s\) \d+ repeat the header",
            {"patients.csv": PATIENTS + HEADER}),
    CliCase("patients-header-repeated-in-zip", budgets(population="{tmp}/p.zip"),
            r"p\.zip!a\.csv': row\(s\) 4 repeat the header",
            {"p.zip": zipped(a__csv=header_repeated(PATIENTS))}),
    CliCase("consortia-header-repeated", budgets("--consortia", "{tmp}/consortia.csv"),
            r"consortia: '\S*/consortia\.csv': row\(s\) 3 repeat the header",
            {**GOOD, "consortia.csv": header_repeated(CONSORTIA, at=2)}),
    CliCase("weights-header-repeated", budgets("--weights", "{tmp}/w.csv"),
            r"--weights: '\S*/w\.csv': row\(s\) 3 repeat the header",
            {**GOOD, "w.csv": header_repeated(WEIGHTS, at=2)}),
    CliCase("outturn-header-repeated", statements_of_outturn(),
            r"--outturn: '\S*/o\.csv': row\(s\) 3 repeat the header",
            {**GOOD_SCENARIO, "o.csv": header_repeated(OUTTURN, at=2)}),
]


@pytest.mark.parametrize("case", [c.param() for c in FILES_CLI_CASES])
def test_files_and_keys_cli(case: CliCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """Exit 2, one line naming the file (and key or row), nothing written, no NumPy repr."""
    test_cli_bad_input(case, tmp_path, capsys)


FILES_API_CASES = [
    ApiCase("json-key-twice-in-a-list", lambda tmp: pbc.Scenario.from_json(
        '{"a": [{"b": 1, "b": 2}]}'), ConfigError,
        r"^scenario JSON: \$\.a\[0\]\.b: given twice; give each key once$"),
    ApiCase("json-key-twice-top", lambda tmp: pbc.Scenario.from_json(
        json_scenario('"resource": 510000000.0', '"resource": 510000000.0, "resource": 1e6')),
        ConfigError, r"^scenario JSON: \$\.resource: given twice"),
    ApiCase("json-key-twice-load-names-file", lambda tmp: pbc.load_scenario(tmp / "s.json"),
            ConfigError, r"^\S*/s\.json: scenario JSON: \$\.overspend\.practice_share: given "
            r"twice", {"s.json": json_scenario('"practice_share": 0.5', '"practice_share": 0.5,'
                                               ' "practice_share": 0.5').encode()}),
    ApiCase("toml-key-twice-load-names-file", lambda tmp: pbc.load_scenario(tmp / "s.toml"),
            ConfigError, r"^\S*/s\.toml: scenario TOML: Cannot overwrite a value \(at line 11",
            {"s.toml": scenario_text(overspend="practice_share = 0.7").encode()}),
    ApiCase("load-scenario-names-file", lambda tmp: pbc.load_scenario(tmp / "s.toml"),
            ConfigError, r"^\S*/s\.toml: \$\.overspend\.practice_share: must be in",
            {"s.toml": scenario_text().replace("0.5", "2").encode()}),
    ApiCase("load-scenario-bomb-names-file", lambda tmp: pbc.load_scenario(tmp / "s.toml"),
            ConfigError, r"^\S*/s\.toml: scenario TOML: lists or tables",
            {"s.toml": ("x = " + "[" * 50_000 + "]" * 50_000).encode()}),
    ApiCase("design-spec-bomb", lambda tmp: pbc.design.load_design_spec(tmp / "d.toml"),
            ValidationError, r"^\S*/d\.toml: design TOML: lists or tables",
            {"d.toml": ("x = " + "[" * 50_000 + "]" * 50_000).encode()}),
    ApiCase("weighted-header-repeated", lambda tmp: read_weighted_populations(
        tmp / "2026_2027.csv"), ValidationError,
        r"weighted populations: '\S*/2026_2027\.csv': row\(s\) 4 repeat the header",
        {"2026_2027.csv": header_repeated(WEIGHTED_FILE)}),
    ApiCase("payments-header-repeated", lambda tmp: read_payments_to_general_practice(
        tmp / "2022-23.csv"), ValidationError,
        r"payments to general practice: '\S*/2022-23\.csv': row\(s\) 4 repeat the header",
        {"2022-23.csv": header_repeated(PAYMENTS)}),
    ApiCase("payments-header-repeated-gzip", lambda tmp: read_payments_to_general_practice(
        tmp / "2022-23.csv.gz"), ValidationError,
        r"payments to general practice: '\S*/2022-23\.csv\.gz': row\(s\) 4 repeat the header",
        {"2022-23.csv.gz": gzip.compress(header_repeated(PAYMENTS))}),
    ApiCase("mapping-header-repeated", lambda tmp: read_mapping(tmp / "map.csv"),
            ValidationError, r"practice mapping: '\S*/map\.csv': row\(s\) 3 repeat the header",
            {"map.csv": header_repeated(MAPPING, at=2)}),
    ApiCase("mapping-problem-named", lambda tmp: read_mapping(tmp / "map.csv"),
            ValidationError, r"practice mapping: '\S*/map\.csv': no PCN_CODE column",
            {"map.csv": MAPPING.replace(b"PCN_CODE", b"NETWORK")}),
    ApiCase("registered-header-repeated", lambda tmp: read_registered_patients(
        tmp / "p.csv"), ValidationError,
        r"registered patients: '\S*/p\.csv': row\(s\) 4 repeat the header",
        {"p.csv": header_repeated(PATIENTS)}),
    ApiCase("consortia-header-repeated-with-patients", lambda tmp: read_registered_patients(
        DATA / "gp-reg-pat-prac-quin-age.csv", consortia=tmp / "c.csv"), ValidationError,
        r"consortia: '\S*/c\.csv': row\(s\) 2 repeat the header",
        {"c.csv": header_repeated(CONSORTIA, at=1)}),
]


@pytest.mark.parametrize("case", [c.param() for c in FILES_API_CASES])
def test_files_and_keys_api(case: ApiCase, tmp_path: Path):
    test_api_bad_input(case, tmp_path)
    with pytest.raises(case.error) as info:
        case.call(tmp_path)
    assert "np." not in str(info.value) and "\n" not in str(info.value)


def test_reader_message_of_a_frame_is_unchanged():
    """A table given as a DataFrame has no file to name: the message is as before."""
    frame = pd.read_csv(io.BytesIO(CONSORTIA), dtype=str)
    with pytest.raises(ValidationError, match=r"^consortia: practice\(s\) 'A81001' listed "
                                              r"twice \(rows 2, 5\)$"):
        read_consortia(pd.concat([frame, frame.iloc[[0]]], ignore_index=True))


def test_a_row_that_only_starts_like_the_header_is_data(tmp_path):
    """Only a whole repeated header is refused: a practice coded like a column is data."""
    (tmp_path / "c.csv").write_bytes(b"practice,consortium\nPRACTICE,North\n")
    assert read_consortia(tmp_path / "c.csv").to_dict() == {"PRACTICE": "North"}


def test_json_scenario_without_repeated_keys_reads_as_its_toml(tmp_path):
    (tmp_path / "s.json").write_text(SCENARIO_JSON)
    (tmp_path / "s.toml").write_text(scenario_text())
    assert pbc.load_scenario(tmp_path / "s.json") == pbc.load_scenario(tmp_path / "s.toml")


# --- issue 26, class 1: numbers as people type them ----------------------------------------
# One rule for every number read from a file (pbcmodel.number_text): plain numbers, en-GB
# thousands (1,234,567.89) and a leading £; anything else refused with where it is (file, row,
# column, practice) and the text as written, never read as another number.
def statements_in_month(month: str | None = None) -> list[str]:
    return ["statements", "{tmp}/s.toml", "--outturn", "{tmp}/o.csv", "--out", "{tmp}/st",
            *(["--month", month] if month else [])]


def outturn_with(cell: str) -> dict[str, bytes | str]:
    return {**GOOD_SCENARIO, "o.csv": f"practice,outturn\nP001,5\nP002,{cell}\n"}


def monthly_with(month: str, cost: str) -> dict[str, bytes | str]:
    return {**GOOD_SCENARIO, "o.csv": f"practice,month,cost\nP001,1,5\nP002,{month},{cost}\n"}


OUTTURN_CELL = r"--outturn '.*o\.csv': practice 'P002', row 3, column 'outturn': "
POUNDS_GOT = OUTTURN_CELL + "expected pounds, got "
NUMBER_CLI_CASES = [
    CliCase("outturn-1,2", statements_in_month(), POUNDS_GOT + r"'1,2': a comma "
            r"is read only between groups of three digits", outturn_with('"1,2"')),
    CliCase("outturn-12,34,5", statements_in_month(), POUNDS_GOT + r"'12,34,5'",
            outturn_with('"12,34,5"')),
    CliCase("outturn-european-decimal", statements_in_month(), POUNDS_GOT + r""
            r"'1\.234,56': a European decimal comma is not read; write 1234\.56",
            outturn_with('"1.234,56"')),
    CliCase("outturn-percent", statements_in_month(), POUNDS_GOT + r"'5%': .*write 0\.05 for 5%",
            outturn_with("5%")),
    CliCase("outturn-pounds-million", statements_in_month(), POUNDS_GOT + r"'£1m': .*1000000",
            outturn_with("£1m")),
    CliCase("outturn-brackets", statements_in_month(), POUNDS_GOT + r"'\(12\)': .*minus sign",
            outturn_with("(12)")),
    CliCase("outturn-spaces-inside", statements_in_month(), POUNDS_GOT + r"'1 234'",
            outturn_with("1 234")),
    CliCase("outturn-spreadsheet-error", statements_in_month(), POUNDS_GOT + r"'#N/A': .*not a "
            r"finite number", outturn_with("#N/A")),
    CliCase("outturn-nan-text", statements_in_month(), POUNDS_GOT + r"'nan'", outturn_with("nan")),
    CliCase("outturn-text-names-the-practice", statements_in_month(),
            POUNDS_GOT + r"'lots'", outturn_with("lots")),
    CliCase("outturn-blank-says-blank", statements_in_month(),
            OUTTURN_CELL + r"blank; expected pounds$", outturn_with("")),
    CliCase("outturn-pod-column-1,0", statements_in_month(),
            r"practice 'P001', row 2, column 'elective': expected pounds, got '1,0': .*write "
            r"1\.0 or 10", {**GOOD_SCENARIO, "o.csv": 'practice,elective\nP001,"1,0"\n'}),
    CliCase("monthly-cost-1,2", statements_in_month("3"),
            r"practice 'P002', row 3, column 'cost': expected pounds, got '1,2'",
            monthly_with("1", '"1,2"')),
    CliCase("monthly-cost-blank", statements_in_month("3"),
            r"practice 'P002', row 3, column 'cost': blank; expected pounds$",
            monthly_with("1", "")),
    CliCase("monthly-month-1,0", statements_in_month("3"),
            r"practice 'P002', row 3, column 'month': expected a month 1 \(April\) to 12 "
            r"\(March\), got '1,0'", monthly_with('"1,0"', "5")),
    CliCase("patients-count-1,2", budgets(),
            r"NUMBER_OF_PATIENTS must be a whole number .*'1,2' \(a comma is read only between "
            r"groups of three digits.*\) for practice\(s\) 'A81001' \(file row\(s\) \d+\)",
            {"patients.csv": patients_with(b"ALL,0_4,158", b'ALL,0_4,"1,2"')}),
    CliCase("patients-count-blank", budgets(),
            r"NUMBER_OF_PATIENTS must be a whole number .*; got a blank for practice\(s\) "
            r"'A81001'", {"patients.csv": patients_with(b"ALL,0_4,158", b"ALL,0_4,")}),
    CliCase("weights-european-decimal", budgets("--weights", "{tmp}/w.csv"),
            r"--weights .*w\.csv.*row 3, column 'elective': expected a number \(pounds per "
            r"head\), got '1\.234,56'",
            {**GOOD, "w.csv": b'age_band,sex,elective\n0_4,F,100\n0_4,M,"1.234,56"\n'}),
    CliCase("weights-blank", budgets("--weights", "{tmp}/w.csv"),
            r"--weights .*w\.csv.*row 2, column 'elective': blank; expected a number",
            {**GOOD, "w.csv": b"age_band,sex,elective\n0_4,F,\n0_4,M,1\n"}),
]


@pytest.mark.parametrize("case", [c.param() for c in NUMBER_CLI_CASES])
def test_numbers_as_typed_cli(case: CliCase, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    test_cli_bad_input(case, tmp_path, capsys)
    assert "np.float64" not in capsys.readouterr().err


NUMBER_API_CASES = [
    ApiCase("weighted-core-european-decimal",
            lambda tmp: pbc.io.read_weighted_populations(tmp / "2026_2027.csv"),
            ValidationError, r"'Core WP' must be a number >= 0.*'B85005'.*'1\.234,56' \(a "
                             r"European decimal comma is not read",
            files={"2026_2027.csv": WEIGHTED_FILE.replace(b",950,1000,970",
                                                          b',"1.234,56",1000,970')}),
    ApiCase("weighted-core-percent",
            lambda tmp: pbc.io.read_weighted_populations(tmp / "2026_2027.csv"),
            ValidationError, r"'Core WP' must be .*'5%' \(a percentage is not read",
            files={"2026_2027.csv": WEIGHTED_FILE.replace(b",950,1000,970", b",5%,1000,970")}),
    # issue 26, class 6: text for a number in the Python API is refused, not parsed
    ApiCase("formula-budgets-resource-text",
            lambda tmp: example().formula.budgets(example().population, resource="1e6"),
            ValidationError, r"^resource: expected a number, got '1e6'$"),
    ApiCase("formula-explain-resource-text",
            lambda tmp: example().formula.explain(example().population, "P001", resource="1e6"),
            ValidationError, r"^resource: expected a number, got '1e6'$"),
    ApiCase("scenario-resource-text", lambda tmp: pbc.Scenario.example().evolve(resource="1e6"),
            ValidationError, r"^resource: expected a number, got '1e6'$"),
]


@pytest.mark.parametrize("case", [c.param() for c in NUMBER_API_CASES])
def test_numbers_as_typed_api(case: ApiCase, tmp_path: Path) -> None:
    test_api_bad_input(case, tmp_path)


def test_numbers_as_typed_that_are_read(tmp_path: Path) -> None:
    """£1,234.50 is 1234.5, 1,234 is 1234, in every reader; a blank outturn month is refused."""
    from pbcmodel.cli.statements_command import read_outturn

    (tmp_path / "o.csv").write_text('practice,outturn\nP001,"£1,234.50"\nP002,"-£12"\n'
                                    'P003,"1,234"\nP004,1e3\n')
    assert read_outturn(str(tmp_path / "o.csv"))[0].tolist() == [1234.5, -12.0, 1234.0, 1000.0]
    (tmp_path / "w.csv").write_bytes(WEIGHTED_FILE.replace(b",1000.5,", b',"1,000.5",'))
    weighted = pbc.io.read_weighted_populations(tmp_path / "w.csv")
    assert weighted.frame.loc["B85005", "registered"] == 1000.5
    (tmp_path / "p.csv").write_bytes(patients_with(b"ALL,0_4,158", b'ALL,0_4,"1,234"'))
    with pytest.raises(ValidationError, match="ALL row"):   # read as 1234, then checked
        read_registered_patients(tmp_path / "p.csv")


# --- issue 26, class 5: one line from every CLI error (and class 4: the CLI's own words)
#: Every subcommand with its required arguments (good values), in the order they are given.
_REQUIRED = {
    "budgets": [("--population", "{tmp}/patients.csv"), ("--resource", "2e6"),
                ("--out", "{tmp}/b.csv")],
    "run": [("scenario", "{tmp}/s.toml"), ("--out", "{tmp}/out")],
    "compare": [("SCENARIO", "{tmp}/s.toml")],
    "design": [("scenario", "{tmp}/s.toml"), ("--space", "{tmp}/d.toml"), ("--out", "{tmp}/out")],
    "statements": [("scenario", "{tmp}/s.toml"), ("--outturn", "{tmp}/o.csv"),
                   ("--out", "{tmp}/out")],
}
_FILES = {**GOOD, **GOOD_SCENARIO, "d.toml": SPACE, "o.csv": b"practice,outturn\nP001,5\n"}


def _argv(command: str, leave_out: str | None = None) -> list[str]:
    argv = [command]
    for name, value in _REQUIRED[command]:
        if name != leave_out:
            argv += [value] if not name.startswith("--") else [name, value]
    return argv


def _one_line_failure(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
                      ) -> str:
    """Run the command line on the catalogue's files: exit 2, exactly one line on stderr, no
    traceback, nothing on stdout, the folder byte-for-byte as it was; the line."""
    _write_files(tmp_path, _FILES)
    before = snapshot(tmp_path)
    status = run_cli([a.replace("{tmp}", str(tmp_path)) for a in argv])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1 and captured.err.endswith("\n"), captured.err
    assert captured.out == ""
    assert snapshot(tmp_path) == before
    return captured.err.rstrip("\n")


_USAGE_CASES = [
    *[pytest.param(_argv(command, leave_out=name), f"pbcmodel {command}",
                   f"the following arguments are required: {name}",
                   id=f"{command}-without-{name.lstrip('-')}")
      for command, required in _REQUIRED.items() for name, _ in required],
    *[pytest.param([*_argv(command), "--bogus", "3"], f"pbcmodel {command}",
                   "unrecognized arguments: --bogus 3", id=f"{command}-unknown-option")
      for command in _REQUIRED],
    pytest.param(["demo", "--exmaple"], "pbcmodel demo", "unrecognized arguments: --exmaple",
                 id="demo-unknown-option"),
    pytest.param(["simulate", "{tmp}/s.toml"], "pbcmodel",
                 "argument COMMAND: invalid choice: 'simulate'", id="unknown-subcommand"),
    pytest.param(["--verbose"], "pbcmodel", "unrecognized arguments: --verbose",
                 id="unknown-top-option"),
    pytest.param([*_argv("run"), "--n"], "pbcmodel run", "argument --n: expected one argument",
                 id="run-option-without-value"),
]


@pytest.mark.parametrize(("argv", "prog", "message"), _USAGE_CASES)
def test_cli_usage_error_is_one_line_pointing_to_help(argv, prog, message, tmp_path, capsys):
    line = _one_line_failure(argv, tmp_path, capsys)
    assert line.startswith(f"{prog}: error: {message}"), line
    assert line.endswith(f" (see {prog} --help)"), line


def _scenario() -> pbc.Scenario:
    return pbc.Scenario.example()


def _python_message(call: Callable[[], Any]) -> str:
    with pytest.raises(ValidationError) as exc:
        call()
    return str(exc.value)


def _optimise(**kwargs: Any) -> Any:
    from pbcmodel.design import optimise

    return optimise(_scenario(), {"overspend.practice_share": {"bounds": [0.0, 1.0]}},
                    "commissioner_tvar95", **kwargs)


def _budgets(resource: Any) -> Any:
    formula = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights())
    return formula.budgets(pbc.datasets.example_population(), resource)


#: A bad value typed on the command line, and the same value given to the Python API.
_VALUE_CASES = [
    pytest.param("run", ["--years", "0"], lambda: _scenario().simulate(years=0), "years",
                 id="run-years-0"),
    pytest.param("run", ["--n", "0"], lambda: _scenario().simulate(n=0), "n", id="run-n-0"),
    pytest.param("run", ["--n", "2.5"], lambda: _scenario().simulate(n=2.5), "n",
                 id="run-n-2.5"),
    pytest.param("run", ["--years", "-3"], lambda: _scenario().simulate(years=-3), "years",
                 id="run-years-negative"),
    pytest.param("compare", ["{tmp}/s.toml", "--n", "0"], lambda: _scenario().simulate(n=0),
                 "n", id="compare-n-0"),
    pytest.param("compare", ["{tmp}/s.toml", "--years", "0"],
                 lambda: _scenario().simulate(years=0), "years", id="compare-years-0"),
    pytest.param("design", ["--n", "0"], lambda: _optimise(n=0), "n", id="design-n-0"),
    pytest.param("design", ["--years", "0"], lambda: _optimise(years=0), "years",
                 id="design-years-0"),
    pytest.param("design", ["--max-evaluations", "0"], lambda: _optimise(max_evaluations=0),
                 "max_evaluations", id="design-max-evaluations-0"),
    pytest.param("budgets", ["--resource", "-5"], lambda: _budgets(-5), "resource",
                 id="budgets-resource-negative"),
    pytest.param("budgets", ["--resource", "0"], lambda: _budgets(0), "resource",
                 id="budgets-resource-0"),
    pytest.param("statements", ["--month", "13"], lambda: pbc.phasing.check_month(13),
                 "month", id="statements-month-13"),
    pytest.param("statements", ["--month", "0"], lambda: pbc.phasing.check_month(0),
                 "month", id="statements-month-0"),
    pytest.param("statements", ["--month", "2.5"], lambda: pbc.phasing.check_month(2.5),
                 "month", id="statements-month-2.5"),
]


@pytest.mark.parametrize(("command", "extra", "python", "parameter"), _VALUE_CASES)
def test_cli_bad_value_has_the_python_api_words(command, extra, python, parameter, tmp_path,
                                                capsys):
    option = "--" + parameter.replace("_", "-")
    argv = _argv(command)
    if extra[0].startswith("--") and extra[0] in argv:    # a required option: new value
        argv[argv.index(extra[0]) + 1] = extra[1]
    else:
        argv += extra
    line = _one_line_failure(argv, tmp_path, capsys)
    message = _python_message(python)
    assert message.startswith(f"{parameter}: ")
    assert line == f"pbcmodel: error: {option}: {message.removeprefix(parameter + ': ')}"


_OTHER_VALUE_CASES = [
    # numbers by the one rule for numbers people type (pbcmodel.number_text)
    pytest.param(with_resource("1,0"), r"--resource: expected pounds, got '1,0': .*write 1\.0 "
                 r"or 10", id="resource-1,0-ambiguous"),
    pytest.param(with_resource("£2m"), r"--resource: expected pounds, got '£2m': .*1000000",
                 id="resource-£2m"),
    pytest.param(with_resource("1.234,56"), r"--resource: .*'1\.234,56'.*write 1234\.56",
                 id="resource-european"),
    pytest.param(with_resource("5%"), r"--resource: .*'5%'", id="resource-percent"),
    pytest.param(with_resource("nan"), r"--resource: expected pounds, got 'nan'",
                 id="resource-nan"),
    pytest.param(with_resource(""), r"--resource: blank; expected pounds", id="resource-blank"),
    pytest.param([*_argv("run"), "--n", "1,0"], r"--n: expected a whole number, got '1,0'",
                 id="run-n-1,0"),
    pytest.param([*_argv("run"), "--n", "abc"], r"--n: expected a whole number, got 'abc'",
                 id="run-n-abc"),
    pytest.param([*_argv("run"), "--n", "1_000"], r"--n: .*'1_000': spaces or underscores",
                 id="run-n-underscore"),
    pytest.param([*_argv("run"), "--seed", "-1"], r"--seed: must be a whole number >= 0, got -1$",
                 id="run-seed-negative"),
    pytest.param([*_argv("run"), "--years", "101"],
                 r"--years: must be a whole number >= 1 and <= 100, got 101$", id="run-years-101"),
    pytest.param([*_argv("run"), "--format", "xml"],
                 r"--format: must be one of \['both', 'csv', 'parquet', 'xlsx'\], got 'xml'$",
                 id="run-format-xml"),
    pytest.param([*_argv("statements"), "--format", "pdf"],
                 r"--format: must be among \['html', 'xlsx'\] \(comma-separated\), got 'pdf'$",
                 id="statements-format-pdf"),
    pytest.param([*_argv("statements"), "--month", "April"],
                 r"--month: expected a month, got 'April'", id="statements-month-text"),
    pytest.param([*_argv("design"), "--replicates", "1"],
                 r"--replicates: must be a whole number >= 2, got 1$", id="design-replicates-1"),
    pytest.param(["demo", "--out", ""], r"--out: expected a file or folder name, got ''",
                 id="demo-out-empty"),
]


@pytest.mark.parametrize(("argv", "match"), _OTHER_VALUE_CASES)
def test_cli_bad_value_is_one_line_naming_the_option(argv, match, tmp_path, capsys):
    line = _one_line_failure(argv, tmp_path, capsys)
    assert line.startswith("pbcmodel: error: --"), line
    assert re.search(match, line), line


@pytest.mark.parametrize(("text", "value"), [("1,234,567", 1_234_567.0), ("£2,000,000", 2e6),
                                             ("1e6", 1e6), (" 2500000.50 ", 2_500_000.5)])
def test_cli_resource_as_finance_people_type_it(text, value):
    from pbcmodel.cli import build_parser

    args = build_parser().parse_args(["budgets", "--population", "p.csv", "--resource", text,
                                      "--out", "b.csv"])
    assert args.resource == value


@pytest.mark.parametrize("text", ["1,000", "1000", "1e3", "1,000.0"])
def test_cli_counts_as_finance_people_type_them(text):
    from pbcmodel.cli import build_parser

    assert build_parser().parse_args(["run", "s.toml", "--out", "o", "--n", text]).n == 1000


@pytest.mark.parametrize("command", [None, "demo", *_REQUIRED])
def test_cli_help_is_still_the_full_help(command):
    import subprocess

    argv = [sys.executable, "-m", "pbcmodel", *([command] if command else []), "--help"]
    result = subprocess.run(argv, capture_output=True, text=True, check=False,
                            env={**os.environ, "COLUMNS": "100"})
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: pbcmodel") and "options:" in result.stdout
    assert "--help" in result.stdout and len(result.stdout.splitlines()) > 5


#: Python wording that must never reach a command-line user (class 4).
_PYTHON_WORDS = re.compile(r"\w=\.\.\.|\w=\{|\w=,|evolve\(|\bmapping=|pbc\.|scenarios\[\d"
                           r"|OverspendPolicy")
_GATES = scenario_text().replace("[overspend]", '[savings]\nsavings = [[0.0, 0.7]]\n'
                                 'gates = ["plan_approved"]\n\n[overspend]')
_BOTH = scenario_text().replace("[overspend]", "[savings]\nsavings = [[0.0, 0.7]]\n"
                                "losses = [[0.0, 0.5]]\n\n[overspend]")
_NO_COST_MODEL = scenario_text().replace('cost_model = {dataset = "example"}\n', "")
_NO_COMMISSIONER = patients_with(b"SUB_ICB_LOCATION_CODE,", b"SUB_ICB,")
_WORDING_CASES = [
    pytest.param(run(), {"s.toml": _GATES},
                 r"add plan_approved = \.\.\. to the scenario file's \[conditions\] table",
                 id="gate-without-condition"),
    pytest.param(run(), {"s.toml": _BOTH},
                 r"the scenario file has an \[overspend\] table and its \[savings\] schedule "
                 r"also shares losses; choose one — remove \[overspend\], or set losses = "
                 r"\[\[0\.0, 0\.0\]\] in \[savings\]", id="overspend-and-losses"),
    pytest.param(run(), {"s.toml": _NO_COST_MODEL},
                 r"add cost_model = \{dataset = \"example\"\} \(or your own\) to the scenario "
                 r"file", id="run-no-cost-model"),
    pytest.param(["compare", "{tmp}/s.toml", "{tmp}/b.toml", "--n", "5"],
                 {"s.toml": _NO_COST_MODEL, "b.toml": scenario_text()},
                 r"^pbcmodel: error: scenario 's': .*add cost_model = ",
                 id="compare-no-cost-model"),
    pytest.param(design(), {"s.toml": scenario_text().replace("[overspend]\npractice_share = "
                                                              "0.5\n", ""), "d.toml": SPACE},
                 r"the scenario has no overspend; add an \[overspend\] table to the scenario "
                 r"file", id="design-space-field-missing"),
    pytest.param(design(), {**GOOD_SCENARIO, "d.toml": '[space."common_shock_cv"]\n'
                                                         'bounds = [0.0, 0.1]\n'},
                 r"use --n 5,000 or more \(got --n 50\)", id="design-driver-needs-more-n"),
    pytest.param(design(), {**GOOD_SCENARIO, "d.toml": SPACE + '[space."overspend.tolerance"]'
                                                       '\nbounds = [0.0, 0.1]\n'},
                 r"^pbcmodel: error: --max-evaluations: at least \d+ for 2 parameter",
                 id="design-max-evaluations-too-few"),
    pytest.param(budgets(), {"patients.csv": _NO_COMMISSIONER},
                 r"gp-reg-pat-prac-map\.csv as --consortia$", id="budgets-mapping-option"),
    pytest.param(run(), {"p.csv": _NO_COMMISSIONER, "s.toml": scenario_text().replace(
        '{dataset = "example"}', '{registered_patients = "p.csv"}', 1)},
                 r"gp-reg-pat-prac-map\.csv as population\.consortia in the scenario file$",
                 id="run-mapping-key"),
    pytest.param(with_resource("1e300"), {**GOOD},
                 r"^pbcmodel: error: --resource: £1e\+300 is too large", id="budgets-resource"),
]


@pytest.mark.parametrize(("argv", "files", "match"), _WORDING_CASES)
def test_cli_says_the_users_words_not_pythons(argv, files, match, tmp_path, capsys):
    _write_files(tmp_path, files)
    before = snapshot(tmp_path)
    status = run_cli([a.replace("{tmp}", str(tmp_path)) for a in argv])
    captured = capsys.readouterr()
    line = captured.err.rstrip("\n")
    assert status == 2 and captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert snapshot(tmp_path) == before
    assert re.search(match, line), line
    assert not _PYTHON_WORDS.search(line), line


def test_python_users_keep_the_python_wording(tmp_path):
    from pbcmodel.scenario.config import from_toml

    gates = from_toml(_GATES, pbc.Scenario)
    assert "pass conditions={'plan_approved': ...}" in _python_message(
        lambda: gates.simulate(n=5))
    both = from_toml(_BOTH, pbc.Scenario)
    assert "drop overspend=" in _python_message(lambda: both.simulate(n=5))
    (tmp_path / "p.csv").write_bytes(_NO_COMMISSIONER)
    with pytest.raises(ValidationError, match=r"as mapping=$"):
        read_registered_patients(tmp_path / "p.csv")
