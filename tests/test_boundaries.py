"""The library's own outputs are valid inputs, and every value object guards its boundary.

* one practice × POD → total reduction (``validation.practice_totals``) for budgets, outturn
  and historic tables: last year's ``budgets()`` as this year's ``historic``, a settlement's
  carry-forward into next year's settlement, a table written by ``io.write_tables`` and read
  back;
* pace of change measured against a named basis, and saying which;
* value objects keep their own copies of the frames they hold;
* constructors refuse bad values with a ``ValidationError`` naming the field.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel import datasets
from pbcmodel.appraisal import BusinessCase
from pbcmodel.approval import ApprovalCriteria, Rule
from pbcmodel.capitation import CapitationFormula, PaceOfChange, pace_of_change
from pbcmodel.codes import CELLS, PODS
from pbcmodel.conflicts import ConflictsRegister
from pbcmodel.errors import ValidationError
from pbcmodel.incentives import Incentives
from pbcmodel.io import write_tables
from pbcmodel.monitoring import year_to_date
from pbcmodel.overspend import OverspendPolicy
from pbcmodel.phasing import flat_profile, phase
from pbcmodel.population import Population
from pbcmodel.risk.costmodel import CostModel
from pbcmodel.scenario import Scenario, load_scenario
from pbcmodel.settlement import settle
from pbcmodel.sharing import Gate, ShareSchedule, SideRule, pbc_freed_up
from pbcmodel.validation import practice_totals, settleable

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def pop() -> Population:
    return datasets.example_population()


@pytest.fixture(scope="module")
def formula() -> CapitationFormula:
    return CapitationFormula(weights=datasets.example_cost_weights(),
                             pace=PaceOfChange(max_gain=0.05, max_loss=0.02))


def _frame(**columns: list[float]) -> pd.DataFrame:
    """A practice × POD frame for practices A and B: zero for the PODs not given."""
    data = {pod: columns.pop(pod, [0.0, 0.0]) for pod in PODS}
    return pd.DataFrame({**data, **columns}, index=pd.Index(["A", "B"], name="practice"))


# --------------------------------------------------------------- practice × POD → total

def test_practice_totals_sums_pods_or_takes_a_consistent_total():
    frame = _frame(elective=[60.0, 30.0], ae=[40.0, 70.0])
    assert practice_totals(frame, "outturn").tolist() == [100.0, 100.0]
    assert practice_totals(frame.assign(total=[100.0, 100.0]), "outturn").tolist() == [100, 100]
    # written to the penny: 7 PODs each rounded can be 3.5p off the rounded total
    assert practice_totals(frame.assign(total=[100.03, 100.0]), "outturn").tolist() == [
        100.03, 100.0]


@pytest.mark.parametrize(("frame", "match"), [
    (_frame(elective=[60.0, np.nan]), r"outturn: column 'elective' .* practice\(s\) 'B'"),
    (_frame(ae=[np.inf, 1.0]), r"outturn: column 'ae' must be a finite number >= 0; "
                               r"practice\(s\) 'A'"),
    (_frame(community=[-1.0, 1.0]), r"column 'community' .* 'A' have -1.0"),
    (_frame(elective=["ten", 1.0]), r"column 'elective' .* 'A' have 'ten'"),
    (_frame(list_size=[8000.0, 9000.0]), r"unknown column\(s\) 'list_size'"),
    (_frame().assign(total=[0.1, 0.0]), r"'total' column differs from the sum of the PODs "
                                        r"for practice\(s\) 'A' \(e.g. 'A': total £0.10, "
                                        r"PODs £0.00\)"),
    (pd.DataFrame({"elective": [1.0, 2.0]}, index=["A", "B"]),
     r"missing POD column\(s\) 'non_elective'"),
    (pd.Series({"A": 1.0, "B": -2.0}), r"outturn: must be >= 0; practice\(s\) 'B'"),
    ([1.0, 2.0], "outturn: expected a Series per practice or a DataFrame"),
])
def test_practice_totals_names_the_culprit(frame, match):
    with pytest.raises(ValidationError, match=match):
        practice_totals(frame, "outturn")


def test_last_years_budgets_are_this_years_historic(pop, formula):
    last_year = formula.budgets(pop, resource=500e6)
    this_year = formula.budgets(pop, resource=510e6, historic=last_year)
    from_totals = formula.budgets(pop, resource=510e6, historic=last_year["total"])
    pd.testing.assert_frame_equal(this_year, from_totals)
    # cash limits against last year's budget hold (the total column is not added in)
    change = this_year["total"] / last_year["total"] - 1
    assert change.max() <= 0.05 + 1e-12 and change.min() >= -0.02 - 1e-12
    e = formula.explain(pop, "P001", 510e6, historic=last_year)
    shown = e.loc[e.step == "historic budget", "value"].iloc[0]
    assert shown == pytest.approx(last_year.loc["P001", "total"], rel=1e-12)
    scn = Scenario(population=pop, formula=formula, resource=510e6, historic=last_year)
    pd.testing.assert_series_equal(scn.historic, last_year["total"], check_names=False)


def test_a_written_budget_table_reads_back_as_historic(pop, formula, tmp_path):
    last_year = formula.budgets(pop, resource=500e6)
    expected = formula.budgets(pop, resource=510e6, historic=last_year)
    write_tables({"budgets": last_year, "rounded": last_year.round(2)}, tmp_path)
    exact = pd.read_csv(tmp_path / "budgets.csv", index_col=0)
    pd.testing.assert_frame_equal(formula.budgets(pop, 510e6, historic=exact), expected,
                                  check_names=False, rtol=1e-12)
    rounded = pd.read_csv(tmp_path / "rounded.csv", index_col=0)  # pence: total within 3.5p
    got = formula.budgets(pop, 510e6, historic=rounded)
    assert got["total"].sum() == pytest.approx(510e6, rel=1e-12)
    with pytest.raises(ValidationError, match=r"historic: unknown column\(s\) 'list_size'"):
        formula.budgets(pop, 510e6, historic=exact.assign(list_size=pop.list_size))


def test_carry_forward_settles_next_year():
    policy = OverspendPolicy(practice_share=0.5, recovery_years=2)
    budgets = pd.Series({"A": 100_000.0, "B": 100_000.0})
    year1 = settle(budgets, pd.Series({"A": 110_000.0, "B": 90_000.0}), overspend=policy)
    # A overspends £10,000: bears 50% = £5,000, recovered over 2 years: £2,500 a year
    assert year1.carry_forward.loc["A"].tolist() == [2500.0, 2500.0]
    year2 = settle(budgets, budgets, overspend=policy, carry_forward=year1.carry_forward)
    assert year2.to_frame().loc["A", "recovered_from_budget"] == 2500.0
    assert year2.carry_forward.loc["A"].tolist() == [2500.0, 0.0]
    year3 = settle(budgets, budgets, overspend=policy, carry_forward=year2.carry_forward)
    assert year3.to_frame()["recovered_from_budget"].tolist() == [2500.0, 0.0]
    assert year3.carry_forward.to_numpy().sum() == 0.0


def test_scenario_settles_a_checked_outturn_frame(pop):
    scn = Scenario.example()
    budgets = scn.budgets()
    outturn = budgets.drop(columns="total") * 0.99
    by_frame = scn.settle(outturn.assign(total=outturn.sum(axis=1))).to_frame()
    by_series = scn.settle(outturn.sum(axis=1)).to_frame()
    pd.testing.assert_frame_equal(by_frame, by_series)
    year2 = scn.settle(budgets["total"] * 1.1)
    on_budget = budgets.drop(columns="total")        # no freed-up money to claw back from
    again = scn.settle(on_budget, carry_forward=year2.carry_forward).to_frame()
    assert again["recovered_from_budget"].sum() == pytest.approx(
        year2.carry_forward[1].sum(), abs=0.01)
    assert again["recovered_from_budget"].sum() > 0
    bad = outturn.copy()
    bad.loc["P001", "ae"] = np.nan                 # was counted as £0
    with pytest.raises(ValidationError, match=r"outturn: column 'ae' .* 'P001'"):
        scn.settle(bad)
    with pytest.raises(ValidationError, match="missing POD column"):
        scn.settle(outturn[["elective"]])           # was £283m paid to practices
    with pytest.raises(ValidationError, match=r"unknown column\(s\) 'list_size'"):
        scn.settle(outturn.assign(list_size=pop.list_size))
    with pytest.raises(ValidationError, match="'total' column differs"):
        scn.settle(outturn.assign(total=outturn.sum(axis=1) * 0.5))


# --------------------------------------------------------------------------- pace of change

def test_pace_cash_limits_against_last_year_with_a_three_percent_cut():
    last = pd.Series({"A": 100.0, "B": 100.0, "C": 100.0, "D": 100.0})
    target = pd.Series({"A": 106.0, "B": 100.0, "C": 92.0, "D": 90.0})   # 388: a 3% cut
    cash = pace_of_change(last, target, max_gain=0.05, max_loss=0.04)
    # last_year: limits [96, 105] in cash. clip(t + 100c): B, C, D at the 96 floor, so
    # A = 388 − 3 × 96 = 100 (c = −0.06). Nobody falls more than 4%.
    assert cash.tolist() == pytest.approx([100.0, 96.0, 96.0, 96.0])
    assert (cash / last - 1).min() >= -0.04 - 1e-12
    uplift = pace_of_change(last, target, 0.05, 0.04, relative_to="average_uplift")
    # average_uplift: base 97 each, limits [93.12, 101.85]: A capped at 101.85, C and D
    # floored at 93.12, B = 388 − 101.85 − 2 × 93.12 = 99.91. C and D lose 6.88% in cash.
    assert uplift.tolist() == pytest.approx([101.85, 99.91, 93.12, 93.12])
    assert (uplift / last - 1).min() == pytest.approx(-0.0688)
    # a 2% loss limit cannot absorb a 3% cut in cash: 4 × 98 = 392 > 388
    with pytest.raises(ValidationError, match=r"cannot reach this year's total £388.00 .*"
                                              r"allow £392.00 to £420.00"):
        pace_of_change(last, target, max_gain=0.05, max_loss=0.02)


def test_cash_limits_cannot_fund_a_much_larger_resource(pop):
    historic = datasets.example_historic_budgets()
    resource = 1.1 * historic.to_numpy().sum()
    tight = CapitationFormula(weights=datasets.example_cost_weights(),
                              pace=PaceOfChange(max_gain=0.01, max_loss=0.02))
    with pytest.raises(ValidationError, match="cannot reach.*relative_to='average_uplift'"):
        tight.budgets(pop, resource, historic)
    scaled = tight.evolve(pace=PaceOfChange(0.01, 0.02, relative_to="average_uplift"))
    assert scaled.budgets(pop, resource, historic)["total"].sum() == pytest.approx(resource)


def test_explain_states_the_basis_in_words(pop, formula):
    historic = datasets.example_historic_budgets()
    text = " ".join(formula.explain(pop, "P001", 510e6, historic)["description"])
    assert "loss at most 2.0% a year, in cash against last year's budget" in text
    uplift = formula.evolve(pace=PaceOfChange(0.05, 0.02, relative_to="average_uplift"))
    assert "scaled by the average uplift" in " ".join(
        uplift.explain(pop, "P001", 510e6, historic)["description"])
    assert "in cash against last year's budget" in " ".join(formula.describe())
    with pytest.raises(ValidationError, match="relative_to: expected one of 'last_year'"):
        PaceOfChange(0.05, 0.02, relative_to="rescaled")


def test_pace_basis_round_trips_through_scenario_files():
    scn = Scenario.example(**{"formula.pace": PaceOfChange(0.05, 0.02,
                                                           relative_to="average_uplift")})
    assert "relative_to" in scn.to_toml()
    assert Scenario.from_toml(scn.to_toml()) == scn
    for path in sorted(EXAMPLES.glob("*.toml")):
        if not path.stem.startswith("england"):      # England's formula has no pace of change
            assert load_scenario(path).formula.pace.relative_to == "last_year"


# --------------------------------------------------------------------------- frozen

def test_cost_model_keeps_its_own_table():
    frame = datasets.example_cost_model().to_frame()
    model = CostModel.from_frame(frame)
    before = model.to_frame()
    with pytest.warns(pd.errors.ChainedAssignmentError):   # pandas says it cannot take
        model.table.iloc[0, 0] = -5.0
    table = model.table
    table.iloc[0, 0] = -5.0                          # edits the copy it handed out
    table["p_use"] = 2.0
    with pytest.raises(ValueError, match="read-only"):
        model.table.to_numpy()[0, 0] = -5.0
    frame.loc[0, "p_use"] = 0.99                     # and the caller's frame
    pd.testing.assert_frame_equal(model.to_frame(), before)
    assert model == CostModel.from_frame(before)


@pytest.mark.filterwarnings("ignore::pandas.errors.ChainedAssignmentError")
def test_formula_keeps_its_own_weights_needs_and_mff(pop):
    weights = datasets.example_cost_weights()
    needs = pd.Series(1.0, index=pop.codes)
    f = CapitationFormula(weights=weights, needs=needs, mff=needs, top_slices={"c": 0.01})
    before = f.budgets(pop, 510e6)
    weights.iloc[0, 0] = 1e6
    needs.iloc[0] = 50.0
    f.weights.iloc[0, 0] = 1e6
    f.needs.iloc[0] = 50.0
    f.mff.iloc[1] = 50.0
    with pytest.raises(TypeError, match="read-only"):
        f.top_slices["c"] = 0.9                      # type: ignore[index]
    pd.testing.assert_frame_equal(f.budgets(pop, 510e6), before)
    assert f == CapitationFormula(weights=datasets.example_cost_weights(),
                                  needs=pd.Series(1.0, index=pop.codes),
                                  mff=pd.Series(1.0, index=pop.codes), top_slices={"c": 0.01})


@pytest.mark.filterwarnings("ignore::pandas.errors.ChainedAssignmentError")
def test_population_keeps_its_own_frames():
    original = datasets.example_population()
    counts, hierarchy = original.counts, original.hierarchy
    index = pd.Series(1.0, index=original.codes)
    pop = Population(counts=counts, hierarchy=hierarchy, cost_index=index)
    counts.iloc[0, 0] = 10**6
    hierarchy.iloc[0, 0] = "C9"
    index.iloc[0] = 9.0
    pop.counts.iloc[0, 0] = 10**6
    pop.hierarchy.iloc[0, 0] = "C9"
    pop.cost_index.iloc[0] = 9.0
    assert pop.counts.equals(original.counts)
    assert pop.hierarchy.equals(original.hierarchy) and pop.cost_factor().max() == 1.0
    back = Population.from_frame(pop.to_frame())        # the tidy form keeps the cost index
    assert back == pop and back.cost_factor().max() == 1.0
    assert back.counts.equals(original.counts)


@pytest.mark.filterwarnings("ignore::pandas.errors.ChainedAssignmentError")
def test_scenario_keeps_its_own_historic_and_conditions():
    scn = Scenario.example(conditions={"plan": pd.Series(True, index=datasets.example_population()
                                                          .codes),
                                       "commissioner_in_balance": "from_outturn"})
    before = scn.budgets()
    scn.historic.iloc[0] = 1.0
    scn.conditions["plan"].iloc[0] = False
    with pytest.raises(TypeError, match="read-only"):
        scn.conditions["extra"] = True
    pd.testing.assert_frame_equal(scn.budgets(), before)
    assert bool(scn.conditions["plan"].all())
    assert scn == Scenario.example(conditions={
        "plan": pd.Series(True, index=datasets.example_population().codes),
        "commissioner_in_balance": "from_outturn"})
    assert Scenario.from_dict(Scenario.example().to_dict()) == Scenario.example()


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize(("build", "match"), [
    (lambda: BusinessCase(name="x", proposer="P1", provider="T1", pod="ae", activity="abc",
                          tariff=1, unit_cost=1), "activity: expected a number, got 'abc'"),
    (lambda: BusinessCase(name="x", proposer="P1", provider="T1", pod="ae", activity=1,
                          tariff=1, unit_cost=1, years=2.5), "years: must be a whole number"),
    (lambda: BusinessCase(name="x", proposer="P1", provider="T1", pod="ae", activity=1,
                          tariff=1, unit_cost=1, ramp_up=0.5), "ramp_up: expected a list"),
    (lambda: OverspendPolicy(practice_share=0.5, recovery_years=2.5),
     "recovery_years: must be a whole number >= 1 and <= 100, got 2.5"),
    (lambda: OverspendPolicy(practice_share=0.5, recovery_years=1e6), "recovery_years"),
    (lambda: OverspendPolicy(practice_share="half"), "practice_share: expected a number"),
    (lambda: Incentives(per_head="1.90"), "per_head: expected a number"),
    (lambda: Rule("npv", ">=", "zero"), "threshold: expected a number"),
    (lambda: ApprovalCriteria(rules=("npv >= 0",)), r"rules\[0\]: expected a Rule"),
    (lambda: ConflictsRegister(interests=5), "interests: expected a list of Interest"),
    (lambda: ShareSchedule(gates=5), "gates: expected a condition name"),
    (lambda: Gate(""), "gate condition: expected a non-empty string"),
    (lambda: SideRule(tiers="abc"), "tiers: expected a non-empty list"),
    (lambda: SideRule(tiers=((0.0, 0.5),), minimum_rate="x"), "minimum_rate: expected a number"),
    (lambda: PaceOfChange(max_gain="x", max_loss=0.02), "max_gain: expected a number"),
    (lambda: CapitationFormula(weights=datasets.example_cost_weights(), historic_blend="abc"),
     "historic_blend: expected a number"),
    (lambda: CapitationFormula(weights=datasets.example_cost_weights(), top_slices=0.01),
     "top_slices: expected a mapping"),
    (lambda: CapitationFormula(weights=datasets.example_cost_weights(), needs="abc"),
     "needs: expected a number"),
    (lambda: CapitationFormula(weights=datasets.example_cost_weights(), pace=0.05),
     "pace: expected a PaceOfChange"),
    (lambda: Scenario.example(conditions=5), "conditions: expected a mapping"),
    (lambda: Scenario.example(historic=5), "historic: expected a Series"),
    (lambda: Scenario.example(historic=datasets.example_historic_budgets().assign(x=1.0)),
     r"historic: unknown column\(s\) 'x'"),
    (lambda: Population(counts="counts", hierarchy=None), "counts: expected a DataFrame"),
])
def test_constructors_name_the_field(build, match):
    with pytest.raises(ValidationError, match=match):
        build()


@pytest.mark.parametrize(("patients", "match"), [
    (9_223_372_036_854_775_000, r"at most 922,337,203,685 per cell; 'A' has "
                                r"9,223,372,036,854,775,000"),
    (math.inf, r"patients: must not be missing \(NaN\) or infinite; 'A' has inf"),
    (1e30, r"at most 922,337,203,685 per cell; 'A' has 1e\+30"),
])
def test_patient_counts_never_wrap(patients, match):
    df = pd.DataFrame({"practice": ["A", "B"], "consortium": "C", "age_band": "0_4",
                       "sex": "F", "patients": [patients, 10]})
    with pytest.raises(ValidationError, match=match):
        Population.from_frame(df)
    counts = pd.DataFrame(0, index=pd.Index(["A"], name="practice"), columns=CELLS)
    counts.iloc[0, 0] = 2**62
    with pytest.raises(ValidationError, match="counts: at most"):
        Population(counts=counts, hierarchy=pd.DataFrame(
            {"consortium": ["C"], "commissioner": ["X"]}, index=counts.index))


def test_a_resource_too_large_to_settle_says_so(pop):
    f = CapitationFormula(weights=datasets.example_cost_weights())
    with pytest.raises(ValidationError, match=r"resource: £1e\+300 is too large: it gives "
                                              r"practice\(s\) 'P001'"):
        f.budgets(pop, 1e300)
    with pytest.raises(ValidationError, match="incentive_signup: .* too large"):
        Incentives(per_head=1e300).amounts_pence(10)


def test_settleable_money_is_what_int64_pence_hold():
    # int64 holds 2**63 − 1 = 9,223,372,036,854,775,807 pence = £92,233,720,368,547,758.07;
    # the float 2**63 − 1 rounds up to 2**63, which does not fit, so it is refused too
    assert settleable(92_233_720_368_547_750.0, "resource") == 92_233_720_368_547_750.0
    np.testing.assert_array_equal((settleable([1.0, 2.5], "x") * 100).astype(np.int64),
                                  [100, 250])
    for pounds in (92_233_720_368_547_758.07, 1e17, -1e17, 1e300):
        with pytest.raises(ValidationError, match=r"^resource: £.* is too large to settle "
                                                  r"exactly in pence; the largest amount is "
                                                  r"£92,233,720,368,547,758\.07$"):
            settleable(pounds, "resource")
    # a tighter limit (e.g. pbcmodel.money.MAX_PENCE per entry) is stated in pounds
    with pytest.raises(ValidationError, match=r"budget: £20 is too large .* £10\.05$"):
        settleable([5.0, 20.0], "budget", most_pence=1005)
    with pytest.raises(ValidationError, match="resource: NaN or infinite"):
        settleable(math.inf, "resource")


@given(st.floats(min_value=-9.2e16, max_value=9.2e16, allow_nan=False))
def test_settleable_amounts_convert_to_pence_without_wrapping(pounds):
    pence = np.rint(settleable(pounds, "x") * 100.0).astype(np.int64)
    assert np.sign(pence) == np.sign(np.rint(pounds * 100.0))      # never wrapped round
    assert abs(int(pence) - pounds * 100.0) <= 0.5 + 1e-6 * abs(pounds * 100.0)


def test_a_scenario_resource_must_settle_in_pence():
    with pytest.raises(ValidationError, match=r"^resource: £1e\+300 is too large to settle"):
        Scenario.example().evolve(resource=1e300)
    assert Scenario.example().evolve(resource=9e16).resource == 9e16     # a total that fits


@pytest.mark.parametrize("gain", [-0.01, 1e6 + 1, 1.5e26, math.inf, math.nan])
def test_pace_max_gain_is_a_sane_fraction(gain):
    with pytest.raises(ValidationError, match=r"max_gain: (must be a fraction of last year's "
                                              r"budget from 0 to 1,000,000|must be finite)"):
        PaceOfChange(max_gain=gain, max_loss=0.02)
    h = pd.Series({"A": 100.0, "B": 100.0})
    with pytest.raises(ValidationError, match="max_gain"):
        pace_of_change(h, h, gain, 0.02)


def test_the_largest_max_gain_means_no_cap():
    # A's budget was a part year (£10); its target is £1,000,000: a gain of 99,999 times last
    # year's, within 1,000,000. B and C fall to £505,005, 49.5% less, within their 50% loss
    # limit. Every target is within its limits, so the budgets are the targets.
    h = pd.Series({"A": 10.0, "B": 1_000_000.0, "C": 1_000_000.0})
    t = pd.Series({"A": 1_000_000.0, "B": 505_005.0, "C": 505_005.0})
    out = PaceOfChange(max_gain=1e6, max_loss=0.5).apply(h, t)
    np.testing.assert_allclose(out, t, rtol=1e-12)


# ----------------------------------------------------------------------- variance sign

def test_variance_is_budget_minus_outturn_in_settlement_and_monitoring():
    budget = pd.Series({"A": 1200.0, "B": 1200.0})
    spent = pd.Series({"A": 1320.0, "B": 1080.0})        # A 10% over, B 10% under
    settled = settle(budget, spent, savings=pbc_freed_up(0.7)).to_frame()["variance"]
    actual = pd.DataFrame({"practice": ["A", "B"] * 12, "month": np.repeat(range(1, 13), 2),
                           "cost": np.tile(spent.to_numpy() / 12, 12)})
    monitored = year_to_date(phase(budget, flat_profile()), actual, 12)["variance"]
    assert settled.tolist() == pytest.approx([-120.0, 120.0])
    assert monitored.tolist() == pytest.approx(settled.tolist())


def test_package_exports_still_work():
    assert pbc.CapitationFormula is CapitationFormula and pbc.Scenario is Scenario
