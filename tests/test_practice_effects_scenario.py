"""Practice effects as a Scenario field: files, describe(), the simulation plan and limits."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.cli import main
from pbcmodel.errors import ConfigError, ValidationError
from pbcmodel.risk.effects import PracticeEffects
from pbcmodel.scenario import plan, simulation
from pbcmodel.scenario.limits import LARGEST_Z, check_amounts, log_effect_bounds
from pbcmodel.scenario.options import SimulationOptions

DIXON = PracticeEffects.dixon_2011()
KNOWN = PracticeEffects(0.12, 0.6, centre={"P001": 0.05, "p002": -0.1},
                        uncertainty={"P003": 0.03, "P001": 0.02})


def _same_results(a: pbc.SimulationResult, b: pbc.SimulationResult) -> None:
    pd.testing.assert_frame_equal(a.metrics(), b.metrics(), check_exact=True)
    pd.testing.assert_series_equal(a.summary(), b.summary(), check_exact=True)
    pd.testing.assert_frame_equal(a.quantile_bounds(), b.quantile_bounds(), check_exact=True)
    assert np.array_equal(a.commissioner_pence, b.commissioner_pence)
    if a.keep == "full":
        assert np.array_equal(a.practice_amount_pence, b.practice_amount_pence)
        assert np.array_equal(a.net_pence, b.net_pence)


# ----------------------------------------------------------------------------- the field
def test_none_is_the_default_and_changes_nothing():
    absent, none = pbc.Scenario.example(), pbc.Scenario.example(practice_effects=None)
    assert absent.practice_effects is None and absent == none
    assert absent.to_toml() == none.to_toml() and "practice_effects" not in absent.to_toml()
    _same_results(absent.simulate(n=60, years=2, seed=3, keep="full"),
                  none.simulate(n=60, years=2, seed=3, keep="full"))


@pytest.mark.parametrize(("method", "n", "years"), [("fft", 80, 3), ("normal", 80, 3),
                                                    ("mc", 3, 2)])
def test_spread_zero_is_the_same_as_none(method, n, years):
    scn = pbc.Scenario.example()
    off = scn.evolve(practice_effects=PracticeEffects(sd=0.0, persistence=0.8))
    _same_results(scn.simulate(n=n, years=years, seed=5, method=method, keep="full"),
                  off.simulate(n=n, years=years, seed=5, method=method, keep="full"))


def test_effects_change_the_outturns_and_do_not_share_draws():
    scn = pbc.Scenario.example()
    varied = scn.evolve(practice_effects=DIXON, name="varied")
    assert simulation.drivers(scn) != simulation.drivers(varied)
    assert "practice_effects" in simulation.DRIVERS_OF_SPEND
    both = simulation.run([scn, varied], n=200, years=2, seed=1)
    _same_results(both[0], scn.simulate(n=200, years=2, seed=1))
    _same_results(both[1], varied.simulate(n=200, years=2, seed=1))
    sd = [r.metrics()["net_sd"].median() for r in both]
    assert sd[1] > 2 * sd[0]           # what the formula misses dwarfs chance


def test_evolve_and_design_space_see_a_driver_of_spend():
    scn = pbc.Scenario.example(practice_effects=DIXON)
    assert scn.evolve(**{"practice_effects.sd": 0.2}).practice_effects.sd == 0.2
    with pytest.raises(ValidationError, match="evolve: the scenario has no practice_effects"):
        pbc.Scenario.example().evolve(**{"practice_effects.sd": 0.2})
    from pbcmodel.design import Parameter

    assert Parameter("practice_effects.sd", bounds=(0.0, 0.2)).driver


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("value", "match"), [
    (-0.1, r"^sd: the spread of practice effects .* between 0 and 1, got -0.1$"),
    (1.5, r"^sd: .* must be a number between 0 and 1, got 1.5$"),
    (float("nan"), r"^sd: .* must be a number between 0 and 1, got nan$"),
    (float("inf"), r"^sd: .* must be a number between 0 and 1, got inf$"),
    ("0.1", r"^sd: .* must be a number between 0 and 1, got '0.1'$"),
])
def test_bad_spread(value, match):
    with pytest.raises(ValidationError, match=match):
        pbc.Scenario.example(practice_effects=PracticeEffects(sd=value, persistence=0.5))


@pytest.mark.parametrize("value", [-0.01, 1.01, float("nan")])
def test_bad_persistence(value):
    with pytest.raises(ValidationError, match=r"^persistence: "):
        PracticeEffects(sd=0.1, persistence=value)
    if not math.isnan(value):
        with pytest.raises(ValidationError, match="must be a number between 0 and 1"):
            PracticeEffects(sd=0.1, persistence=value)


@pytest.mark.parametrize("value", [{"sd": 0.1, "persistence": 0.8}, 0.1, "dixon_2011"])
def test_wrong_type_names_the_field(value):
    with pytest.raises(ValidationError, match=r"^practice_effects: expected practice effects "
                                              r"\(PracticeEffects\), got "):
        pbc.Scenario.example(practice_effects=value)


def test_unknown_practice_is_refused_when_the_scenario_is_built():
    effects = PracticeEffects(0.1, 0.8, centre={"P001": 0.1, "X999": 0.2})
    with pytest.raises(ValidationError, match=r"^practice_effects\.centre: practice code\(s\) "
                                              r"'X999' not in the population"):
        pbc.Scenario.example(practice_effects=effects)
    with pytest.raises(ValidationError, match=r"^practice_effects\.uncertainty: .*'Z1'"):
        pbc.Scenario.example(practice_effects=PracticeEffects(0.1, 0.8, uncertainty={"Z1": 0}))
    # and when the population changes under known effects
    scn = pbc.Scenario.example(practice_effects=KNOWN)
    with pytest.raises(ValidationError, match=r"practice_effects\.centre: .*'P001'"):
        scn.evolve(population=scn.population.subset(["P010", "P011"]), historic=None)


def test_effects_that_overflow_money_are_refused_before_any_work(monkeypatch):
    scn = pbc.Scenario.example(practice_effects=PracticeEffects(sd=0.7, persistence=0.99),
                               cost_growth=0.03)

    def no_work(*args, **kwargs):
        raise AssertionError("work started")

    monkeypatch.setattr(simulation, "build_plan", no_work)
    with pytest.raises(ValidationError) as info:
        scn.simulate(n=10, years=30, seed=0)
    message = str(info.value)
    assert message.startswith("practice_effects: with sd 0.7 and persistence 0.99, an effect "
                              "8.21 standard deviations up (the largest normal draw inversion "
                              "gives) takes the expected outturn of practice 'P027', "
                              "£25,223,318, to £")
    assert "exceeds the largest amount pbcmodel can settle exactly, £9,223,372,036.85" in message
    allowed = re.search(r"allowed here: sd from 0 to ([0-9.]+) \(0 to 1 in general\), or at "
                        r"most ([0-9]+) year\(s\)$", message)
    assert allowed, message
    sd, years = float(allowed[1]), int(allowed[2])
    check_amounts(scn.evolve(**{"practice_effects.sd": sd}), years=30)      # it fits
    check_amounts(scn, years=years)
    with pytest.raises(ValidationError):
        check_amounts(scn, years=years + 1)


def test_known_effects_too_large_for_money_name_them():
    big = PracticeEffects(0.0, 1.0, centre={"P027": 5.0})     # e^5 times, every year
    scn = pbc.Scenario.example(practice_effects=big, cost_growth=0.05)
    with pytest.raises(ValidationError, match=r"allowed here: smaller known first-year effects "
                                              r"\(centre, uncertainty\), or at most \d+ year"):
        check_amounts(scn, years=40)


def test_largest_effect_bounds_the_draws():
    assert LARGEST_Z == pytest.approx(8.2095, abs=1e-4)
    effects = PracticeEffects(0.3, 0.7, centre={"A": 0.2}, uncertainty={"A": 0.05})
    codes = pd.Index(["A", "B"])
    bound = log_effect_bounds(effects, codes, 4)
    drawn = effects.factors(np.random.SeedSequence(0), 4, 0, 20_000, codes)
    for year in range(4):
        assert (np.log(drawn[year]) <= bound[year]).all()


# ----------------------------------------------------------------------------- the plan
def test_grid_covers_the_spend_with_effects():
    scn = pbc.Scenario.example(practice_effects=KNOWN, common_shock_cv=0.0)
    sampler = plan.spend_sampler(scn, "fft")
    mean, var = sampler.moments()
    grid_mean, grid_var = plan.grid_moments(scn, mean, var, 3)
    assert (grid_var > var).all()
    root = np.random.SeedSequence(9)
    drawn = [d.retained for d in sampler.draw_years(root, [0, 1, 2], 0, 4000)]
    for year in drawn:
        assert (np.abs(year.mean(axis=0) - grid_mean) < 4 * np.sqrt(grid_var)).all()
        assert (year.var(axis=0) <= grid_var * 1.1).all()
    # with the effects, the streamed histogram's bins are wider than without
    options = SimulationOptions(n=10, years=3, seed=1)
    keep = [options.tally_keep()]
    with_effects = plan.build_plan([scn], keep, options).policies[0]
    without = plan.build_plan([scn.evolve(practice_effects=None)], keep, options).policies[0]
    assert (with_effects.width >= without.width).all() and (with_effects.width > without.width
                                                            ).any()


# ----------------------------------------------------------------------------- files
@pytest.mark.parametrize("effects", [DIXON, KNOWN, PracticeEffects(0.0, 0.0)],
                         ids=["dixon", "known", "off"])
def test_files_round_trip_exactly(effects, tmp_path):
    scn = pbc.Scenario.example(practice_effects=effects)
    assert pbc.Scenario.from_toml(scn.to_toml()) == scn
    assert pbc.Scenario.from_json(scn.to_json()) == scn
    assert pbc.Scenario.from_dict(scn.to_dict()) == scn
    path = tmp_path / "s.toml"
    path.write_text(scn.to_toml(), encoding="utf-8")
    loaded = pbc.load_scenario(path)
    assert loaded == scn and loaded.practice_effects == effects


def test_the_file_form():
    text = pbc.Scenario.example(practice_effects=KNOWN).to_toml()
    assert "[practice_effects]\nsd = 0.12\npersistence = 0.6\n" in text
    assert "[practice_effects.centre]\nP001 = 0.05\nP002 = -0.1\n" in text
    data = json.loads(pbc.Scenario.example(practice_effects=DIXON).to_json())
    assert data["practice_effects"] == {"sd": 0.1, "persistence": 0.8}


@pytest.mark.parametrize(("table", "message"), [
    ({"sd": 0.1, "persistence": 0.8, "sdd": 1},
     "$.practice_effects.sdd: unknown key; expected one of ['centre', 'persistence', 'sd', "
     "'uncertainty']"),
    ({"sd": 0.1}, "$.practice_effects.persistence: missing; practice effects need sd and "
                  "persistence"),
    ({"sd": -1, "persistence": 0.8}, "$.practice_effects.sd: the spread of practice effects "
                                     "(sd of the log effect) must be a number between 0 and "
                                     "1, got -1"),
    ({"sd": "0.1", "persistence": 0.8}, "$.practice_effects.sd: the spread of practice "
                                        "effects (sd of the log effect) must be a number "
                                        "between 0 and 1, got '0.1'"),
    ({"sd": 0.1, "persistence": 1.2}, "$.practice_effects.persistence: the year-to-year "
                                      "correlation of practice effects must be a number "
                                      "between 0 and 1, got 1.2"),
    ({"sd": 0.1, "persistence": 0.8, "centre": {"P001": 9}},
     "$.practice_effects.centre['P001']: must be between -5 and 5, got 9.0"),
    ({"sd": 0.1, "persistence": 0.8, "uncertainty": {"P001": "a"}},
     "$.practice_effects.uncertainty.P001: expected a number, got 'a'"),
    ({"sd": 0.1, "persistence": 0.8, "centre": {"X999": 0.1}},
     "$.practice_effects.centre: practice code(s) 'X999' not in the population (1 unknown)"),
    (0.1, "$.practice_effects: expected a table, got float"),
])
def test_bad_files_name_the_key_path(table, message):
    data = {**pbc.Scenario.example().to_dict(), "practice_effects": table}
    for read in (pbc.Scenario.from_dict, lambda d: pbc.Scenario.from_json(json.dumps(d))):
        with pytest.raises(ConfigError) as info:
            read(data)
        assert str(info.value).startswith(message), str(info.value)


def test_cli_refuses_a_bad_effects_table_in_one_line(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(pbc.Scenario.example().to_toml()
                    + "\n[practice_effects]\nsd = 2\npersistence = 0.5\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--n", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pbcmodel: error: {path}: $.practice_effects.sd: ")   # names the file
    assert err.count("\n") == 1
    assert not out.exists()


def test_cli_refuses_effects_that_overflow_in_one_line(tmp_path, capsys):
    scn = pbc.Scenario.example(practice_effects=PracticeEffects(1.0, 0.99))
    path = tmp_path / "s.toml"
    path.write_text(scn.to_toml(), encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--n", "5",
                 "--years", "40"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pbcmodel: error: practice_effects: ") and err.count("\n") == 1


# ----------------------------------------------------------------------------- words
def test_describe_says_what_the_effects_are_and_where_they_come_from():
    lines = pbc.Scenario.example(practice_effects=DIXON).describe()
    assert lines[-1] == ("practice effects: sd 0.10 of the log (about ±10% a year), "
                         "persistence 0.80 — calibrated to Dixon et al., BMJ 2011;343:d6608 "
                         "(persistence assumed)")
    assert pbc.Scenario.example().describe()[-1] == ("practice effects: none (the formula is "
                                                     "taken as exact)")
    other = pbc.Scenario.example(practice_effects=PracticeEffects(0.15, 0.5)).describe()[-1]
    assert other == "practice effects: sd 0.15 of the log (about ±15% a year), persistence 0.50"
    known = pbc.Scenario.example(practice_effects=KNOWN).describe()[-1]
    assert known.endswith("; first-year effects known for 3 practice(s)")
    assert "Dixon" in repr(pbc.Scenario.example(practice_effects=DIXON))


def test_england_scenarios_use_the_calibrated_effects_and_the_example_none():
    from pbcmodel.cli.demo import _demo_scenarios, england_scenarios

    wp = pbc.datasets.england().subset(icb="QOC")
    assert all(s.practice_effects == DIXON for s in england_scenarios(wp, 5e8))
    assert all(s.practice_effects is None for s in _demo_scenarios())
    assert pbc.Scenario.example().practice_effects is None


# ------------------------------------------------------------------------ explain()
def test_explain_ends_with_the_spend_risk_the_budget_does_not_cover() -> None:
    plain = pbc.Scenario.example()
    scn = plain.evolve(practice_effects=PracticeEffects(
        0.1, 0.8, centre={"P002": 0.05}, uncertainty={"P002": 0.03}))
    # without effects the explanation ends with the budget, as before
    assert plain.explain("P001")["kind"].iloc[-1] == "result"
    unknown, known = scn.explain("P001"), scn.explain("P002")
    # the budget's own rows are unchanged; one row of kind "risk" follows, with no money
    pd.testing.assert_frame_equal(plain.explain("P001"), unknown.iloc[:-1])
    last = unknown.iloc[-1]
    assert (last["kind"], last["value"]) == ("risk", 1.0) and np.isnan(last["amount"])
    assert "no history of this practice" in last["description"]
    # a known effect: exp(0.05) = 1.0513, give or take 3%
    assert known["value"].iloc[-1] == pytest.approx(np.exp(0.05))
    assert "expected 1.051 × the formula, give or take 3%" in known["description"].iloc[-1]
