"""Policy design (issue 16): optimise risk-share parameters under constraints; the frontier.

Every simulation here is small (12 practices, the normal approximation, about 0.1 s each), so
the searches are a few dozen simulations.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.cli import main
from pbcmodel.design import (
    DRIVER_MIN_SIMULATIONS,
    DesignWarning,
    Parameter,
    frontier,
    load_design_spec,
    metric,
    optimise,
    pareto_mask,
    parse_space,
)
from pbcmodel.errors import ValidationError
from pbcmodel.scenario import Scenario

N = 1_000
FAST = {"n": N, "years": 1, "method": "normal"}
SHARE = "overspend.practice_share"
RISK = "max_practice_prob_loss_over_1pct"
BOUND = 0.03


@pytest.fixture(scope="module")
def scn() -> Scenario:
    """12 practices; overspends beyond 0% tolerance borne at `practice_share`; no savings.

    The practice bears ``s × overspend``, so its chance of losing more than 1% of budget
    rises with ``s`` and the commissioner's tail falls with it: the optimum of "minimise
    the commissioner's TVaR95 with every practice's chance ≤ 3%" is the largest feasible s.
    """
    pop = pbc.datasets.synthetic_commissioner(12, seed=0)
    return Scenario(population=pop,
                    formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
                    resource=1_000.0 * pop.list_size.sum(),
                    cost_model=pbc.datasets.example_cost_model(),
                    overspend=pbc.OverspendPolicy(practice_share=0.5), name="small")


def _at(scn: Scenario, share: float, seed: int = 0) -> tuple[float, float]:
    """(commissioner TVaR95, worst practice's P(loss > 1% of budget)) from public methods."""
    res = scn.evolve(**{SHARE: share}).simulate(n=N, years=1, seed=seed, method="normal")
    return (float(res.commissioner_risk(0.95)["tvar"]),
            float(res.metrics(loss_fraction=0.01)["prob_loss_over_fraction"].max()))


@pytest.fixture(scope="module")
def reference(scn: Scenario) -> float:
    """The optimum by exhaustive grid on the search draws (seed 0): the largest share on a
    0.01 grid whose worst practice's P(loss > 1%) is ≤ 3%, searched on a 0.1 grid first."""
    coarse = np.round(np.arange(0, 1.01, 0.1), 10)
    figures = np.array([_at(scn, s) for s in coarse])
    # the problem is monotone: the tail falls and the practice risk rises with the share
    assert np.all(np.diff(figures[:, 0]) < 0) and np.all(np.diff(figures[:, 1]) >= 0)
    top = coarse[figures[:, 1] <= BOUND].max()
    assert 0 < top < 1, "the constraint must bind inside the space for the test to mean much"
    fine = np.round(top + np.arange(0, 0.101, 0.01), 10)
    feasible = [s for s in fine if _at(scn, s)[1] <= BOUND]
    return float(max(feasible))


@pytest.fixture(scope="module")
def best(scn: Scenario) -> pbc.design.Design:
    with warnings.catch_warnings():   # at the bound on the search draws, it may miss on fresh
        warnings.simplefilter("ignore", DesignWarning)
        return optimise(scn, {SHARE: (0.0, 1.0)}, "commissioner_tvar95",
                        {RISK: {"max": BOUND}}, max_evaluations=48, replicates=4, seed=0,
                        **FAST)


# ----------------------------------------------------------------------------- the optimum
def test_optimiser_finds_the_exhaustive_grid_optimum(best, reference) -> None:
    # Stated tolerance: 0.01 of share, the reference grid's step. The true optimum s* on
    # these draws lies in [reference, reference + 0.01); a feasible candidate is ≤ s*.
    chosen = best.parameters[SHARE]
    assert best.feasible
    assert reference - 0.01 <= chosen < reference + 0.01
    assert best.figures.loc[RISK, "search"] <= BOUND


def test_grid_space_finds_the_grid_optimum_exactly(scn, reference) -> None:
    # On a 0.05 grid the optimum is the largest feasible grid point below the 0.01 optimum
    best = optimise(scn, {SHARE: (0.0, 1.0, 0.05)}, constraints={RISK: {"max": BOUND}},
                    max_evaluations=40, replicates=2, **FAST)
    expected = math.floor(round(reference / 0.05, 9)) * 0.05
    assert _at(scn, expected)[1] <= BOUND < _at(scn, expected + 0.05)[1]
    assert best.parameters[SHARE] == pytest.approx(expected)


def test_search_figures_reproduce_exactly_with_the_search_seed(scn, best) -> None:
    tvar, risk = _at(scn, best.parameters[SHARE], seed=best.seed)
    assert best.figures.loc["commissioner_tvar95", "search"] == tvar
    assert best.figures.loc[RISK, "search"] == risk


def test_reported_figures_reproduce_from_a_fresh_simulation(scn, best) -> None:
    # A new simulation of final_n, seeded apart from both the search and the replicates,
    # differs from the reported mean by its own spread and the mean's error combined.
    tvar, risk = _at(scn, best.parameters[SHARE], seed=987_654)
    for name, value in (("commissioner_tvar95", tvar), (RISK, risk)):
        row = best.figures.loc[name]
        assert abs(value - row["fresh"]) <= 4 * math.hypot(row["fresh_sd"], row["fresh_se"])
        assert row["fresh_se"] > 0


def test_fresh_draws_are_not_the_search_draws(best) -> None:
    row = best.figures.loc["commissioner_tvar95"]
    assert row["fresh"] != row["search"]


def test_result_explains_itself(best) -> None:
    row = best.figures.loc[RISK]
    assert row["role"] == "constraint" and row["bound"] == BOUND
    assert row["search_slack"] == pytest.approx(BOUND - row["search"])
    assert row["fresh_slack"] == pytest.approx(BOUND - row["fresh"])
    assert best.evaluations == len(best.candidates) <= 48
    assert best.candidates["chosen"].sum() == 1
    assert best.scenario.overspend.practice_share == best.parameters[SHARE]
    assert best.scenario.name == "small-designed"
    text = repr(best)
    assert SHARE in text and "fresh draws" in text and f"{best.evaluations} candidates" in text
    assert "<table" in best._repr_html_()


def test_chosen_is_the_best_feasible_candidate(best) -> None:
    feasible = best.candidates[best.candidates["feasible"]]
    assert best.candidates.loc[best.candidates["chosen"], "commissioner_tvar95"].item() == \
        feasible["commissioner_tvar95"].min()


def test_maximise_an_objective(scn) -> None:
    # maximising what the commissioner keeps on average: practices bear all they can
    best = optimise(scn, {SHARE: (0.0, 1.0, 0.25)}, "commissioner_mean_kept", maximise=True,
                    max_evaluations=8, replicates=2, **FAST)
    assert best.parameters[SHARE] == 1.0


def test_infeasible_reports_the_least_violating_candidate(scn) -> None:
    with pytest.warns(DesignWarning, match="no candidate met every constraint.*broken by"):
        best = optimise(scn, {SHARE: (0.0, 1.0, 0.25)},
                        constraints={"commissioner_mean_kept": {"min": 1e12}},
                        max_evaluations=8, replicates=2, **FAST)
    assert not best.feasible
    # the commissioner keeps most when practices bear all: that misses the bound by least
    assert best.parameters[SHARE] == 1.0
    row = best.figures.loc["commissioner_mean_kept"]
    assert row["search_slack"] == row["search"] - 1e12 < 0
    assert best.candidates.loc[best.candidates["chosen"], "violation"].item() == \
        best.candidates["violation"].min() > 0


def test_a_metric_bounded_twice_is_labelled_by_its_aim(scn) -> None:
    best = optimise(scn, {SHARE: [0.0, 1.0]}, "commissioner_tvar95",
                    {"commissioner_tvar95": {"min": -1e12, "max": 1e12}},
                    max_evaluations=8, replicates=2, **FAST)
    assert best.figures.index.tolist() == ["commissioner_tvar95", "commissioner_tvar95 (≥)",
                                           "commissioner_tvar95 (≤)"]


def test_mapping_key_path_and_choices(scn) -> None:
    top = "formula.top_slices.high_cost_pool"
    best = optimise(scn, {top: [0.0, 0.01], "overspend.recovery_years": [1, 2]},
                    max_evaluations=10, replicates=2, **FAST)
    assert set(best.parameters) == {top, "overspend.recovery_years"}
    assert best.scenario.formula.top_slices["high_cost_pool"] == best.parameters[top]


def test_every_simulation_takes_one_set_of_checked_options(scn, monkeypatch) -> None:
    # the search's generations share the seed (common random numbers); the fresh replicates
    # have their own; all count the losses the aims name (1% here)
    from pbcmodel.scenario import simulation

    seen = []
    real = simulation.run_with

    def spy(scenarios, options):
        seen.append(options)
        return real(scenarios, options)

    monkeypatch.setattr(simulation, "run_with", spy)
    optimise(scn, {SHARE: [0.0, 1.0]}, constraints={RISK: {"max": 0.5}}, max_evaluations=8,
             replicates=2, seed=5, **FAST)
    search = [o for o in seen if o.seed == 5]
    assert search and len(seen) == len(search) + 2
    assert all(o.n == N and o.method == "normal" and 0.01 in o.loss_fractions for o in seen)


# ----------------------------------------------------------------------------- frontier
def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


def test_frontier_is_non_dominated(scn) -> None:
    front = frontier(scn, {SHARE: (0.0, 1.0), "overspend.tolerance": (0.0, 0.05)},
                     y="practices_prob_loss_over_2pct", points=12, **FAST)
    pts = front.points[["commissioner_tvar95", "practices_prob_loss_over_2pct"]].to_numpy()
    on = front.points["pareto"].to_numpy()
    assert 1 <= on.sum() < len(pts)
    for i in np.flatnonzero(on):      # nothing beats a frontier point on both
        assert not any(_dominates(pts[j], pts[i]) for j in range(len(pts)))
    for i in np.flatnonzero(~on):     # every other point is beaten by a frontier point
        assert any(_dominates(pts[j], pts[i]) for j in np.flatnonzero(on))
    assert front.pareto["commissioner_tvar95"].is_monotonic_increasing
    assert front.pareto["practices_prob_loss_over_2pct"].is_monotonic_decreasing


def test_frontier_of_a_small_discrete_space_is_exhaustive(scn) -> None:
    front = frontier(scn, {SHARE: [0.0, 0.5, 1.0], "overspend.recovery_years": [1, 2]},
                     x="expected_practice_amount", y="commissioner_tvar95", points=32, **FAST)
    assert len(front.points) == 6
    # higher is better for the practices' expected amount: share 0 (they bear nothing) is on
    assert front.points.loc[front.points[SHARE] == 0.0, "pareto"].any()
    variant = front.scenario(int(front.pareto.index[0]))
    assert variant.overspend.practice_share == front.pareto.iloc[0][SHARE]


def test_frontier_respects_constraints(scn) -> None:
    front = frontier(scn, {SHARE: [0.0, 0.25, 0.5, 0.75, 1.0]}, y=RISK,
                     constraints={RISK: {"max": BOUND}}, **FAST)
    assert (front.pareto[RISK] <= BOUND).all()
    assert not front.points.loc[~front.points["feasible"], "pareto"].any()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=25))
def test_pareto_mask_keeps_exactly_the_non_dominated(points) -> None:
    xy = np.array(points, dtype=float)
    mask = pareto_mask(xy[:, 0], xy[:, 1])
    for i in range(len(xy)):
        dominated = any(_dominates(xy[j], xy[i]) for j in range(len(xy)))
        assert mask[i] == (not dominated)


# ----------------------------------------------------------------------------- bad input
@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if anything is simulated: every bad input is caught first."""
    def refuse(*args, **kwargs):
        raise AssertionError("simulated before the input was checked")
    monkeypatch.setattr(Scenario, "simulate", refuse)


@pytest.mark.parametrize(("space", "culprit"), [
    ({}, "non-empty mapping"),
    ({"overspend.share": (0.0, 1.0)}, "'overspend.share' names no field"),
    ({"overspend.practice_share": (0.0, 1.5)}, "space['overspend.practice_share']: value 1.5"),
    ({"overspend.practice_share": (0.5, 0.5)}, "low < high"),
    ({"overspend.practice_share": (0.0, 1.0, 0.3)}, "step must be > 0 and divide"),
    ({"overspend.practice_share": []}, "at least one choice"),
    ({"overspend.practice_share": "0-1"}, "expected (low, high)"),
    ({"overspend.practice_share": {"bounds": [0, 1], "steps": 2}}, "steps: unknown key"),
    ({"formula.top_slices.high_cost_pool": (0.0, 1.5)}, "value 1.5"),
])
def test_bad_space(scn, no_simulation, space, culprit) -> None:
    with pytest.raises(ValidationError) as err:
        optimise(scn, space, **FAST)
    assert culprit in str(err.value)


def test_unknown_metric_lists_the_known_ones(scn, no_simulation) -> None:
    with pytest.raises(ValidationError, match="unknown metric 'commissioner_tvar'") as err:
        optimise(scn, {SHARE: (0.0, 1.0)}, "commissioner_tvar", **FAST)
    assert "commissioner_tvar{P}" in str(err.value) and "expected_freed_up" in str(err.value)
    with pytest.raises(ValidationError, match="constraints: unknown metric 'freed_up'"):
        optimise(scn, {SHARE: (0.0, 1.0)}, constraints={"freed_up": {"min": 0}}, **FAST)
    with pytest.raises(ValidationError, match="between 0 and 100"):
        frontier(scn, {SHARE: (0.0, 1.0)}, y="max_band_prob_loss_over_150pct", **FAST)


@pytest.mark.parametrize(("constraints", "culprit"), [
    ({RISK: 0.05}, f"constraints['{RISK}']: expected"),
    ({RISK: {"below": 0.05}}, f"constraints['{RISK}']: expected"),
    ({RISK: {"max": "5%"}}, f"constraints['{RISK}'].max: expected a finite number"),
    ([RISK], "constraints: expected a mapping"),
])
def test_bad_constraints(scn, no_simulation, constraints, culprit) -> None:
    with pytest.raises(ValidationError) as err:
        optimise(scn, {SHARE: (0.0, 1.0)}, constraints=constraints, **FAST)
    assert culprit in str(err.value)


def test_pool_metric_needs_a_pool(scn, no_simulation) -> None:
    with pytest.raises(ValidationError, match="needs a high_cost_threshold"):
        optimise(scn, {SHARE: (0.0, 1.0)},
                 constraints={"high_cost_pool_shortfall_prob": {"max": 0.05}}, **FAST)


def test_driver_of_spend_needs_enough_simulations(scn, no_simulation) -> None:
    with pytest.raises(ValidationError) as err:
        optimise(scn, {"high_cost_threshold": (10_000, 100_000)}, **FAST)
    message = str(err.value)
    assert "high_cost_threshold" in message and f"{DRIVER_MIN_SIMULATIONS:,}" in message


@pytest.mark.parametrize(("kwargs", "culprit"), [
    ({"n": 0}, "n: must be a positive whole number"),
    ({"max_evaluations": 3}, "max_evaluations: at least 8"),
    ({"replicates": 1}, "replicates: at least 2"),
    ({"method": "exact"}, "method: must be one of"),
    ({"seed": -1}, "seed: expected a whole number"),
])
def test_bad_settings(scn, no_simulation, kwargs, culprit) -> None:
    with pytest.raises(ValidationError) as err:
        optimise(scn, {SHARE: (0.0, 1.0)}, **{**FAST, **kwargs})
    assert culprit in str(err.value)


def test_frontier_needs_two_metrics(scn, no_simulation) -> None:
    with pytest.raises(ValidationError, match="y: the same metric as x"):
        frontier(scn, {SHARE: (0.0, 1.0)}, x=RISK, y=RISK, **FAST)


def test_parameter_values_and_positions() -> None:
    # a grid of whole numbers stays whole; positions are clipped into the box
    p = Parameter("overspend.recovery_years", bounds=(1, 3), step=1)
    assert p.values() == [1, 2, 3] and p.value(-4) == 1 and p.value(1.6) == 3
    q = Parameter(SHARE, bounds=(0.0, 1.0))
    assert q.value(1.7) == 1.0 and q.coordinate(0.3) == 0.3 and q.coordinate(2.0) is None
    assert metric("fairness_sd_ratio").better == "lower"


def test_space_is_checked_at_every_choice(scn) -> None:
    with pytest.raises(ValidationError, match=r"value -1: .*recovery_years"):
        parse_space(scn, {"overspend.recovery_years": [1, -1]})


# ----------------------------------------------------------------------------- files and CLI
SPACE = """
objective = "commissioner_tvar95"
[space."overspend.practice_share"]
bounds = [0.0, 1.0]
step = 0.25
[constraints]
max_practice_prob_loss_over_5pct = {max = 0.05}
[frontier]
y = "max_practice_prob_loss_over_5pct"
points = 3
"""


def test_design_file(tmp_path) -> None:
    path = tmp_path / "space.toml"
    path.write_text(SPACE)
    spec = load_design_spec(path)
    assert spec.space == {SHARE: {"bounds": [0.0, 1.0], "step": 0.25}} and spec.points == 3
    path.write_text("method = 'fft'\n" + SPACE)
    with pytest.raises(ValidationError, match="space.toml: method: unknown key"):
        load_design_spec(path)
    with pytest.raises(ValidationError, match="design file: no such file .*missing.toml"):
        load_design_spec(tmp_path / "missing.toml")


def _files(tmp_path: Path, scn: Scenario, space: str) -> tuple[Path, Path]:
    scenario, spec = tmp_path / "scenario.toml", tmp_path / "space.toml"
    scenario.write_text(scn.to_toml())
    spec.write_text(space)
    return scenario, spec


def test_cli_writes_the_chosen_scenario_and_frontier(tmp_path, scn, capsys) -> None:
    scenario, spec = _files(tmp_path, scn, SPACE)
    out = tmp_path / "designed"
    code = main(["design", str(scenario), "--space", str(spec), "--out", str(out), "--n", "300",
                 "--max-evaluations", "8", "--replicates", "2", "--years", "1"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        pbc.cli.design_command.DESIGN_OUTPUTS)
    chosen = pbc.load_scenario(out / "scenario.toml")       # loadable by `pbcmodel run`
    assert 0.0 <= chosen.overspend.practice_share <= 1.0
    assert main(["run", str(out / "scenario.toml"), "--out", str(tmp_path / "run"),
                 "--n", "50"]) == 0
    assert "Frontier" in (out / "report.txt").read_text()
    assert "design" in capsys.readouterr().out


def test_cli_infeasible_writes_nothing(tmp_path, scn, capsys) -> None:
    scenario, spec = _files(tmp_path, scn, SPACE.replace(
        "max_practice_prob_loss_over_5pct = {max = 0.05}", "commissioner_mean_kept = {min = 1e12}"))
    out = tmp_path / "designed"
    code = main(["design", str(scenario), "--space", str(spec), "--out", str(out), "--n", "200",
                 "--max-evaluations", "8", "--replicates", "2", "--years", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "no candidate met every constraint" in err and "missed by" in err
    assert "nothing written" in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        "scenario.toml", "space.toml"]


def test_cli_bad_space_file_writes_nothing(tmp_path, scn, capsys) -> None:
    scenario, spec = _files(tmp_path, scn, SPACE.replace("overspend.practice_share",
                                                         "overspend.share"))
    out = tmp_path / "designed"
    code = main(["design", str(scenario), "--space", str(spec), "--out", str(out)])
    assert code == 2 and "'overspend.share' names no field" in capsys.readouterr().err
    assert not out.exists()


def test_no_warning_when_aims_met(scn) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)
        best = optimise(scn, {SHARE: [0.0, 0.25]}, constraints={RISK: {"max": 0.5}},
                        max_evaluations=8, replicates=2, **FAST)
    assert best.feasible
