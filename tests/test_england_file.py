"""England from scenario files (``dataset = "england"``), and one default for ``years``."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import pbcmodel as pbc
from pbcmodel.cli import build_parser, main
from pbcmodel.scenario.config import structure_scenario
from pbcmodel.scenario.england import england_scenario
from pbcmodel.scenario.simulation import DEFAULT_YEARS, DRIVERS_OF_SPEND, simulate
from pbcmodel.scenario.source import EnglandSource

EXAMPLE = Path(__file__).parents[1] / "examples" / "england_qwo.toml"
RUN_FILES = {"budgets.csv", "metrics.csv", "summary.csv", "by_list_size.csv", "glossary.csv",
             "totals.csv", "list_size.png", "net.png", "commissioner.png", "report.txt"}
HEAD = 'dataset = "england"\nicb = "QWO"\n'


# ----------------------------------------------------------------------------- reading
def test_example_file_is_england_scenario_with_its_policy():
    scn = pbc.load_scenario(EXAMPLE)
    assert scn == england_scenario("QWO", footprint="pcn", holder="consortium")
    assert scn.source == EnglandSource("QWO", year="2026/27", footprint="pcn")
    assert scn.population.n_practices == 266
    pcns = pbc.datasets.footprints("pcn", icb="QWO")
    assert scn.population.hierarchy["consortium"].nunique() == pcns.n_footprints
    assert scn.savings.savings == ((0.0, 0.7),) and scn.overspend.cap == 0.05


def test_minimal_file_is_the_england_scenario_of_the_icb():
    scn = pbc.Scenario.from_toml(HEAD)
    assert scn == england_scenario("QWO")
    assert scn.name == "England QWO" and scn.holder == "practice"
    assert scn.source == EnglandSource("QWO")


def test_file_keys_apply_over_englands_defaults():
    scn = pbc.Scenario.from_toml(HEAD + 'year = "2027/28"\nfootprint = "icb"\nresource = 2e9\n'
                                 'name = "mine"\n[overspend]\npractice_share = 0.25\n')
    assert scn == england_scenario("QWO", year="2027/28", footprint="icb", resource=2e9,
                                   name="mine", **{"overspend": pbc.OverspendPolicy(
                                       practice_share=0.25)})
    assert scn.population.hierarchy["consortium"].nunique() == 1 and scn.resource == 2e9
    assert scn.savings == england_scenario("QWO").savings          # not given: England's


def test_icb_any_case_and_json():
    scn = pbc.Scenario.from_json('{"dataset": "england", "icb": " qwo "}')
    assert scn == england_scenario("QWO") and scn.source.icb == "QWO"


@pytest.mark.parametrize(("text", "message"), [
    ('icb = "XYZ"', "$.icb: 'XYZ' is not an ICB of the 2026/27 weighted populations; "
                    "e.g. QE1, QF7, QGH, QHL, QHM, ... (36 ICBs)"),
    ('icb = "QWO"\nyear = "2030/31"', "$.year: expected one of 2026/27, 2027/28, 2028/29, "
                                      "got '2030/31'"),
    ('icb = "QWO"\nyear = 2026', "$.year: expected a year such as '2026/27' (text), got 2026"),
    ('icb = "QWO"\nfootprint = "ward"', "$.footprint: expected one of pcn, place, icb, "
                                        "got 'ward'"),
    ('icb = 5', "$.icb: expected an ICB code such as 'QWO' (text), got 5"),
    ('', '$.icb: missing; dataset = "england" needs an ICB code, e.g. icb = "QWO"'),
    ('icb = "QWO"\nholder = "ward"', "$.holder: expected 'practice'"),
    ('icb = "QWO"\nresource = -5', "$.resource: must be > 0, got -5.0"),
    ('icb = "QWO"\nicb_code = "QWO"', "$.icb_code: unknown key; expected one of ["),
    ('icb = "QWO"\n[overspend]\npractice_share = 2',
     "$.overspend.practice_share: must be in [0.0, 1.0], got 2.0"),
    ('icb = "QWO"\n[practice_effects]\nsd = 0.1\npersistence = 0.5\ncentre = {ZZZ = 0.1}',
     "$.practice_effects.centre: practice code(s) 'ZZZ' not in the population"),
])
def test_each_bad_key_is_named(text, message):
    with pytest.raises(pbc.ConfigError) as info:
        pbc.Scenario.from_toml('dataset = "england"\n' + text)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("key", ["population", "formula", "cost_model"])
def test_england_and_its_own_parts_are_refused_naming_both(key):
    value = {"population": '{dataset = "example"}', "formula": '{weights = {dataset = '
             '"example"}}', "cost_model": '{dataset = "example"}'}[key]
    with pytest.raises(pbc.ConfigError, match=rf'^\$\.{key}: given with dataset = "england", '
                                              rf"which makes the {key}; give dataset or "
                                              rf"{key}, not both$"):
        pbc.Scenario.from_toml(HEAD + f"{key} = {value}\n")


@pytest.mark.parametrize(("text", "message"), [
    ('icb = "QWO"\nresource = 1e6\npopulation = {dataset = "example"}\n'
     'formula = {weights = {dataset = "example"}}',
     '$.icb: only with dataset = "england"'),
    ('dataset = "wales"\nicb = "QWO"', "$.dataset: unknown dataset 'wales'; expected 'england'"),
])
def test_england_keys_need_dataset_england(text, message):
    with pytest.raises(pbc.ConfigError) as info:
        pbc.Scenario.from_toml(text)
    assert str(info.value).startswith(message)


def test_bad_file_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('dataset = "england"\nicb = "XYZ"\n', encoding="utf-8")
    with pytest.raises(pbc.ConfigError, match=r"bad\.toml: \$\.icb: 'XYZ' is not an ICB"):
        pbc.load_scenario(path)


# ----------------------------------------------------------------------------- writing
def test_round_trip_writes_the_short_form():
    scn = pbc.load_scenario(EXAMPLE)
    text = scn.to_toml()
    assert text.startswith('dataset = "england"\nicb = "QWO"\nyear = "2026/27"\n'
                           'footprint = "pcn"\n')
    assert "\nresource =" not in text and "practices" not in text and len(text) < 2_000
    again = pbc.Scenario.from_toml(text)
    assert again == scn and again.source == scn.source
    assert pbc.Scenario.from_json(scn.to_json()) == scn
    assert structure_scenario(scn.to_dict(), pbc.Scenario) == scn


def test_round_trip_keeps_policy_changes_and_a_resource_of_ones_own():
    scn = england_scenario("QOC", year="2028/29").evolve(
        resource=1e9, **{"overspend.practice_share": 0.3}, holder="consortium")
    text = scn.to_toml()
    assert 'icb = "QOC"' in text and "resource = 1000000000.0" in text
    assert pbc.Scenario.from_toml(text) == scn


def test_parts_changed_since_are_written_whole():
    """A population the source no longer makes is not written as the source's."""
    scn = england_scenario("QWO").evolve(population=pbc.datasets.example_population(),
                                         formula=pbc.CapitationFormula(
                                             weights=pbc.datasets.example_cost_weights()))
    text = scn.to_toml()
    assert 'dataset = "england"' not in text and '[population]\ndataset = "example"' in text
    assert pbc.Scenario.from_toml(text) == scn
    assert pbc.Scenario.from_toml(text).source is None


def test_source_is_a_record_not_a_part():
    a = england_scenario("QWO")
    b = a.evolve(source=None)
    assert a == b and a.source is not None and b.source is None     # not compared
    assert "source" not in DRIVERS_OF_SPEND
    assert england_scenario("QWO", consortia=pbc.datasets.footprints(
        "pcn", icb="QWO").footprint).source is None                # the caller's consortia
    assert england_scenario("QWO", footprint="place") == a          # the default: place
    with pytest.raises(pbc.ValidationError, match="footprint: only with one ICB's code"):
        england_scenario(None, footprint="pcn")


# ----------------------------------------------------------------------------- the CLI
def test_cli_runs_the_england_file(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(EXAMPLE), "--out", str(out), "--n", "20", "--years", "1"])
    assert code == 0, capsys.readouterr().err
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert "England QWO" in (out / "report.txt").read_text(encoding="utf-8")


def test_cli_bad_icb_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('dataset = "england"\nicb = "XYZ"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--n", "20"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "$.icb: 'XYZ' is not an ICB" in err and "bad.toml" in err
    assert not out.exists()


# ----------------------------------------------------------------------------- years
@pytest.mark.parametrize("function", [simulate, pbc.Scenario.simulate, pbc.compare,
                                      pbc.sweep, pbc.design.optimise, pbc.design.frontier])
def test_one_default_for_years(function):
    assert inspect.signature(function).parameters["years"].default == DEFAULT_YEARS == 3


@pytest.mark.parametrize("command", [
    ["run", "s.toml", "--out", "o"], ["compare", "a.toml", "b.toml"],
    ["design", "s.toml", "--space", "d.toml", "--out", "o"],
    ["footprints", "--icb", "QWO", "--out", "o"]])
def test_cli_default_years(command):
    assert build_parser().parse_args(command).years == DEFAULT_YEARS
