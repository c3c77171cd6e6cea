"""A simulation whose money would overflow integer pence is refused before any work (issue 13).

Budgets grow with ``resource_growth`` and outturns with ``cost_growth``; every practice-year
must stay within :data:`pbcmodel.money.MAX_PENCE` (int64 pence with headroom for sums over
simulations), and so must the per-patient high-cost threshold. The refusal names the field,
the amount reached in pounds and the year, before a distribution is built.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel import risk
from pbcmodel.cli import main
from pbcmodel.errors import ValidationError
from pbcmodel.money import MAX_PENCE
from pbcmodel.scenario import limits, simulation

LIMIT = MAX_PENCE / 100          # £9,223,372,036.85


@pytest.fixture(scope="module")
def scn() -> pbc.Scenario:
    return pbc.Scenario.example()


@pytest.fixture(scope="module")
def expected_spend(scn) -> float:
    """The largest practice's expected spend (pounds), from the risk engine's own law."""
    law = risk.spend_distribution(scn.population, scn.cost_model, method="normal")
    return float(max(law.mean))


@pytest.fixture()
def no_work(monkeypatch):
    """Fail the test if a spend distribution is built (the refusal must come first)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a distribution was built before the check")
    monkeypatch.setattr(risk, "spend_sampler", refuse)


def _pounds(message: str) -> float:
    """The amount reached, in pounds, quoted in a refusal."""
    found = re.search(r"reach £([\d,]+) in year", message)
    assert found, message
    return float(found.group(1).replace(",", ""))


def test_cost_growth_of_a_million_is_refused_with_the_amount(scn, expected_spend, no_work):
    # year 1 spends about £2.5m at the largest practice; grown by 1,000,001 in year 2 that is
    # about £2.5 × 10^12, beyond £9.2 × 10^9: year 2 is the first that cannot be settled
    with pytest.raises(ValidationError) as info:
        simulation.simulate(scn.evolve(cost_growth=1e6), n=5, years=3, seed=0)
    message = str(info.value)
    assert message.startswith("cost_growth: expected outturns grown by cost_growth 1,000,000 "
                              "a year reach £")
    assert "in year 2" in message and "£9,223,372,036.85" in message
    assert "at most 1 year(s)" in message
    assert _pounds(message) == pytest.approx(expected_spend * 1_000_001, rel=1e-9)


def test_high_cost_threshold_beyond_pence_is_refused(scn, no_work):
    with pytest.raises(ValidationError, match=r"^high_cost_threshold: £1e\+300 a patient "
                                              r"exceeds .*£9,223,372,036\.85.*None"):
        simulation.simulate(scn.evolve(high_cost_threshold=1e300), n=5, seed=0)


def test_a_cost_model_beyond_pence_names_the_cost_model(scn, no_work):
    """Means a billion times too large (pence typed as thousands of pounds, say) overflow
    before any growth: the culprit is the cost model, not cost_growth."""
    frame = scn.cost_model.to_frame()
    frame["mean"] = frame["mean"] * 1e9
    huge = scn.evolve(cost_model=pbc.CostModel.from_frame(frame))
    with pytest.raises(ValidationError, match=r"^cost_model: the expected outturn of practice "
                                              r"'P\d{3}' is £[\d,]+, which exceeds .*pounds a "
                                              r"patient$"):
        simulation.simulate(huge, n=5, seed=0)


def test_a_thousand_years_of_growth_is_refused_and_says_how_many_fit(scn, expected_spend,
                                                                     no_work):
    # year y spends spend × 1.05^(y − 1); the growth that fits is log(limit / spend) / log 1.05
    # = 120.3 for the largest practice (£25.2m): years 1 to 121 fit, year 122 does not
    steps = math.floor(math.log(LIMIT / expected_spend) / math.log(1.05))
    assert steps == 120
    with pytest.raises(ValidationError) as info:
        simulation.simulate(scn.evolve(cost_growth=0.05), n=5, years=1000, seed=0)
    message = str(info.value)
    assert "in year 122" in message and "at most 121 year(s)" in message
    assert _pounds(message) == pytest.approx(expected_spend * 1.05**121, rel=1e-9)
    limits.check_amounts(scn.evolve(cost_growth=0.05), 121)       # the most that fit


def test_resource_growth_names_budgets(scn, no_work):
    largest = float(scn.budgets()["total"].max())
    steps = math.floor(math.log(LIMIT / largest) / math.log(2.5))   # growth steps that fit
    with pytest.raises(ValidationError, match=rf"^resource_growth: budgets grown by "
                                              rf"resource_growth 1\.5 a year reach £[\d,]+ in "
                                              rf"year {steps + 2} .*at most {steps + 1} year"):
        simulation.simulate(scn.evolve(resource_growth=1.5), n=5, years=steps + 2, seed=0)
    limits.check_amounts(scn.evolve(resource_growth=1.5), steps + 1)


def test_growth_too_large_for_a_float_still_gives_a_number(scn, no_work):
    # £25.2m × 1e308 overflows a float (about 2.5e315): the check works in logarithms
    with pytest.raises(ValidationError, match=r"cost_growth: .* reach about £10\^315 in year 2"):
        simulation.simulate(scn.evolve(cost_growth=1e308), n=5, years=3, seed=0)


def test_compare_and_sweep_refuse_before_any_work(scn, no_work):
    bad = scn.evolve(name="bad", cost_growth=1e6)
    with pytest.raises(ValidationError, match="cost_growth"):
        pbc.compare([scn, bad], n=5, years=2)
    with pytest.raises(ValidationError, match="cost_growth"):
        pbc.sweep(scn, {"cost_growth": [0.0, 1e6]}, n=5, years=2, progress=False)


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(0.0, 50.0), years=st.integers(1, 200))
def test_refused_exactly_when_a_year_overflows(scn, expected_spend, rate, years):
    largest_budget = float(scn.budgets()["total"].max())
    # in logarithms: 51 ** 199 is beyond a float
    grown = math.log(max(expected_spend, largest_budget)) + (years - 1) * math.log1p(rate)
    try:
        limits.check_amounts(scn.evolve(cost_growth=rate, resource_growth=rate), years)
    except ValidationError:
        assert grown > math.log(LIMIT) - 1e-12
    else:
        assert grown <= math.log(LIMIT) + 1e-12


def test_cli_run_refuses_cost_growth_with_one_line(tmp_path: Path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "g"\nresource = 510e6\ncost_growth = 1e6\n'
                        'population = {dataset = "example"}\ncost_model = {dataset = "example"}\n'
                        '[formula]\nweights = {dataset = "example"}\n', encoding="utf-8")
    status = main(["run", str(scenario), "--out", str(tmp_path / "out"), "--n", "5",
                   "--years", "3"])
    err = capsys.readouterr().err
    assert status == 2
    assert "cost_growth" in err and "£9,223,372,036.85" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
