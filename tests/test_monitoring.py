"""Tests for phasing, in-year monitoring, contract monitoring, the monthly statement and plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pbcmodel.datasets import (
    CURRENT_MONTH,
    CURRENT_YEAR,
    example_contract_activity,
    example_contract_plan,
    example_monthly_activity,
    example_population,
)
from pbcmodel.errors import ValidationError
from pbcmodel.monitoring import (
    contract_monitor,
    forecast_outturn,
    monthly_actuals,
    year_to_date,
)
from pbcmodel.monthly_statement import statement
from pbcmodel.phasing import (
    calendar_month,
    check_month,
    england_bank_holidays,
    flat_profile,
    phase,
    seasonal_profile,
    working_day_profile,
)
from pbcmodel.plot.funnel import funnel
from pbcmodel.plot.monitoring import statement_figure, ytd_variance

# --- months and calendars -----------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 13, 1.5, "3", True, None, -1])
def test_check_month_rejects_anything_but_1_to_12(bad):
    with pytest.raises(ValidationError, match="month"):
        check_month(bad)


def test_financial_year_months_map_to_calendar_months():
    assert str(calendar_month(2026, 1)) == "2026-04"
    assert str(calendar_month(2026, 9)) == "2026-12"
    assert str(calendar_month(2026, 10)) == "2027-01"
    assert str(calendar_month(2026, 12)) == "2027-03"
    assert check_month(np.int64(12)) == 12


def test_bank_holidays_match_the_published_lists():
    # gov.uk: England and Wales bank holidays, April 2023 – March 2024 (with the coronation).
    assert [d.strftime("%Y-%m-%d") for d in england_bank_holidays(2023)] == [
        "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28",
        "2023-12-25", "2023-12-26", "2024-01-01", "2024-03-29"]
    # 2020/21: VE day moved the May holiday to Friday 8th; Boxing Day 2020 (Sat) → Mon 28th.
    assert [d.strftime("%m-%d") for d in england_bank_holidays(2020)] == [
        "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28", "01-01"]
    with pytest.raises(ValidationError, match="year: financial years 2015–2035"):
        england_bank_holidays(2036)


def test_working_day_profile_hand_computed():
    # FY 2026: 261 weekdays (52 weeks + Wednesday 31 March) less 10 bank holidays = 251;
    # April 2026: 22 weekdays less Good Friday and Easter Monday = 20.
    prof = working_day_profile(2026)
    assert prof[1] == pytest.approx(20 / 251)
    assert prof.sum() == pytest.approx(1.0)
    with pytest.raises(ValidationError, match="year"):
        working_day_profile(2010)


# --- seasonal profiles and phasing -----------------------------------------------------------

def test_seasonal_profile_mean_of_yearly_shares_and_ignores_part_years():
    # Year A: March is 2/13 of the year; year B: March is 4/15. Mean = (2/13 + 4/15)/2.
    rows = [(2024, m, 2.0 if m == 12 else 1.0) for m in range(1, 13)]
    rows += [(2025, m, 4.0 if m == 12 else 1.0) for m in range(1, 13)]
    rows += [(2026, m, 100.0) for m in range(1, 4)]  # current, incomplete: ignored
    hist = pd.DataFrame(rows, columns=["year", "month", "cost"])
    prof = seasonal_profile(hist, by=None)
    assert prof[12] == pytest.approx((2 / 13 + 4 / 15) / 2)
    assert prof.sum() == pytest.approx(1.0)


def test_seasonal_profile_learns_the_example_winter_peak():
    act = example_monthly_activity()
    prof = seasonal_profile(act, by="pod")
    assert list(prof.columns) == list(range(1, 13))
    # non-elective admissions peak in December–January (months 9–10), elective dips in August
    assert prof.loc["non_elective"].idxmax() in (9, 10)
    assert prof.loc["elective"].idxmin() in (5, 9)
    np.testing.assert_allclose(prof.sum(axis=1), 1.0)


def test_seasonal_profile_bad_inputs():
    part = pd.DataFrame({"year": 2026, "month": [1, 2], "cost": [1.0, 1.0]})
    with pytest.raises(ValidationError, match="history: no complete financial year"):
        seasonal_profile(part, by=None)
    with pytest.raises(ValidationError, match=r"history: month must be 1–12.*13"):
        seasonal_profile(part.assign(month=[1, 13]), by=None)
    with pytest.raises(ValidationError, match="history: negative cost"):
        seasonal_profile(part.assign(cost=[-1.0, 1.0]), by=None)
    with pytest.raises(ValidationError, match="history: missing column.*'pod'"):
        seasonal_profile(part)
    zero = pd.DataFrame({"year": 2024, "month": range(1, 13), "cost": 0.0})
    with pytest.raises(ValidationError, match="history: a year with no cost"):
        seasonal_profile(zero, by=None)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 1e7), min_size=1, max_size=20),
       st.lists(st.floats(0.01, 10), min_size=12, max_size=12))
def test_phase_conserves_each_annual_budget(budgets, raw):
    shares = pd.Series(np.array(raw) / np.sum(raw), index=range(1, 13))
    b = pd.Series(budgets, index=[f"P{i}" for i in range(len(budgets))])
    out = phase(b, shares)
    np.testing.assert_allclose(out.sum(axis=1), b.to_numpy(), rtol=1e-12, atol=1e-6)


def test_phase_by_pod_uses_each_pods_profile_and_drops_total():
    budgets = pd.DataFrame({"ae": [1200.0], "elective": [2400.0], "total": [3600.0]},
                           index=pd.Index(["P1"], name="practice"))
    prof = pd.DataFrame([flat_profile().to_numpy(), np.r_[np.zeros(11), 1.0]],
                        index=["ae", "elective"], columns=range(1, 13))
    out = phase(budgets, prof)
    assert list(out.index.names) == ["practice", "pod"]
    assert out.loc[("P1", "ae"), 1] == 100.0          # 1200 / 12
    assert out.loc[("P1", "elective"), 12] == 2400.0  # all in March
    assert out.to_numpy().sum() == pytest.approx(3600.0)


@pytest.mark.parametrize(("budgets", "profile", "match"), [
    (pd.Series({"P1": 1.0}), pd.Series([0.5] * 12, index=range(1, 13)), "profile: shares must sum"),
    (pd.Series({"P1": 1.0}), pd.Series([1 / 11] * 11, index=range(1, 12)), "profile: expected"),
    (pd.Series({"P1": -1.0}), flat_profile(), "budgets: negative budget"),
    (pd.Series({"P1": np.nan}), flat_profile(), "budgets: NaN"),
    (pd.DataFrame({"dental": [1.0]}, index=["P1"]), flat_profile(), "budgets: unknown POD"),
    ([1.0], flat_profile(), "budgets: expected a Series"),
])
def test_phase_bad_inputs(budgets, profile, match):
    with pytest.raises(ValidationError, match=match):
        phase(budgets, profile)


def test_phase_needs_a_profile_row_per_pod():
    budgets = pd.DataFrame({"ae": [1.0], "elective": [1.0]}, index=["P1"])
    prof = flat_profile().to_frame("ae").T
    with pytest.raises(ValidationError, match="profile: no row for POD.*'elective'"):
        phase(budgets, prof)
    two = pd.concat([prof, prof.rename(index={"ae": "elective"})])
    with pytest.raises(ValidationError, match="profile: a profile by POD needs budgets by POD"):
        phase(pd.Series({"P1": 1.0}), two)


# --- year to date and forecasts -----------------------------------------------------------

def _simple():
    phased = phase(pd.Series({"P1": 1200.0, "P2": 2400.0}), flat_profile())
    actual = pd.DataFrame({"practice": ["P1"] * 4 + ["P2"] * 4, "month": [1, 2, 3, 4] * 2,
                           "cost": [100.0, 120, 110, 110, 200, 200, 200, 200]})
    return phased, actual


def test_year_to_date_hand_computed_and_by_consortium():
    phased, actual = _simple()
    out = year_to_date(phased, actual, 4)
    # variance is budget − actual, as in settlement (it was actual − budget):
    # P1: budget 4 × 100 = 400, actual 440 → −40 (overspend), −10%; P2: 800 vs 800.
    assert out.loc["P1", ["budget_ytd", "actual_ytd", "variance"]].tolist() == [400, 440, -40]
    assert out.loc["P1", "variance_pct"] == pytest.approx(-0.1)
    assert out.loc["P2", "variance"] == 0.0
    # Month 2 ignores later months already in the table.
    assert year_to_date(phased, actual, 2).loc["P1", "actual_ytd"] == 220.0

    pop = example_population()
    budgets = pd.Series(1200.0, index=pop.codes)
    act = pd.DataFrame({"practice": pop.codes, "month": 1, "cost": 100.0 + (pop.codes == "P001")})
    by_cons = year_to_date(phase(budgets, flat_profile()), act, 1, by="consortium",
                           population=pop)
    assert by_cons.loc["C1", "variance"] == -1.0 and by_cons["variance"].sum() == -1.0


def test_year_to_date_by_practice_and_pod():
    act = example_monthly_activity()
    cur = act[act["year"] == CURRENT_YEAR]
    budgets = cur.groupby(["practice", "pod"])["cost"].sum().unstack("pod") * 12 / CURRENT_MONTH
    out = year_to_date(phase(budgets, flat_profile()), cur, CURRENT_MONTH, by=["practice", "pod"])
    # budget phased flat at the run rate: year to date matches actual exactly
    np.testing.assert_allclose(out["variance"], 0.0, atol=1e-6)
    assert len(out) == 60 * 7


def test_monitoring_bad_inputs_name_the_culprit():
    phased, actual = _simple()
    with pytest.raises(ValidationError, match="month"):
        year_to_date(phased, actual, 13)
    with pytest.raises(ValidationError, match=r"actual: no data for month\(s\) \[5\]"):
        year_to_date(phased, actual, 5)
    with pytest.raises(ValidationError, match="actual: spend with no budget for 'P9'"):
        year_to_date(phased, pd.concat([actual, actual.iloc[:1].assign(practice="P9")]), 4)
    with pytest.raises(ValidationError, match="actual: several financial years"):
        year_to_date(phased, actual.assign(year=[2025, 2026] * 4), 4)
    with pytest.raises(ValidationError, match="actual: cost.*NaN"):
        year_to_date(phased, actual.assign(cost=np.nan), 4)
    with pytest.raises(ValidationError, match="actual: month must be 1–12.*0"):
        year_to_date(phased, actual.assign(month=0), 4)
    with pytest.raises(ValidationError, match="population: needed to group by consortium"):
        year_to_date(phased, actual, 4, by="consortium")
    with pytest.raises(ValidationError, match="by: unknown level 'region'"):
        year_to_date(phased, actual, 4, by="region")
    with pytest.raises(ValidationError, match="by: the budgets are not by POD"):
        year_to_date(phased, actual, 4, by="pod")
    with pytest.raises(ValidationError, match="phased: expected monthly budgets"):
        year_to_date(phased.iloc[:, :6], actual, 4)
    with pytest.raises(ValidationError, match="population: practice.*'P1'"):
        year_to_date(phased, actual, 4, by="consortium", population=example_population())
    with pytest.raises(ValidationError, match="level"):
        forecast_outturn(phased, actual, 4, level=1.0)
    with pytest.raises(ValidationError, match="level: expected a number"):
        forecast_outturn(phased, actual, 4, level="high")
    with pytest.raises(ValidationError, match="method"):
        forecast_outturn(phased, actual, 4, method="crystal_ball")


def test_forecast_hand_computed():
    phased, actual = _simple()
    out = forecast_outturn(phased, actual, 4, method="run_rate")
    # P1: rate 440 / (4/12) = 1320. Residuals −10, 10, 0, 0 → Σ r²/w = 200 × 12 = 2400,
    # σ² = 2400/3 = 800, Var = 800 × (2/3 + (2/3)²/(1/3)) = 1600 → sd 40; t(3, 0.95) = 2.3534.
    t = stats.t.ppf(0.95, 3)
    assert out.loc["P1", "forecast"] == pytest.approx(1320.0)
    assert out.loc["P1", "upper"] == pytest.approx(1320 + t * 40)
    assert out.loc["P1", "prob_overspend"] == pytest.approx(stats.t.sf((1200 - 1320) / 40, 3))
    # P2 spends exactly its flat budget: no scatter, forecast = budget, zero-width range.
    assert out.loc["P2", ["forecast", "lower", "upper"]].tolist() == [2400.0] * 3
    assert out.loc["P2", "prob_overspend"] == 0.0


def test_forecast_edges_first_and_last_month():
    phased, actual = _simple()
    first = forecast_outturn(phased, actual, 1)
    assert first.loc["P1", "forecast"] == 1200.0
    assert first[["lower", "upper", "prob_overspend"]].isna().all().all()
    full = pd.DataFrame({"practice": "P1", "month": range(1, 13), "cost": np.arange(1.0, 13)})
    last = forecast_outturn(phased.loc[["P1"]], full, 12)
    assert last.loc["P1", ["forecast", "lower", "upper"]].tolist() == [78.0] * 3


def test_seasonal_forecast_follows_the_budget_profile():
    prof = pd.Series(np.r_[np.full(6, 0.05), np.full(6, 0.7 / 6)], index=range(1, 13))
    phased = phase(pd.Series({"P1": 12_000.0}), prof)
    # Spending 10% over the phased budget every month in the quiet first half:
    actual = pd.DataFrame({"practice": "P1", "month": range(1, 7),
                           "cost": phased.loc["P1", 1:6].to_numpy() * 1.1})
    seasonal = forecast_outturn(phased, actual, 6)
    run_rate = forecast_outturn(phased, actual, 6, method="run_rate")
    assert seasonal.loc["P1", "forecast"] == pytest.approx(13_200.0)  # 10% over, all year
    assert run_rate.loc["P1", "forecast"] < seasonal.loc["P1", "forecast"]


def test_forecast_interval_covers_at_its_level():
    # Simulate 3,000 practices from the forecast's own model: a_m = w_m·R + √w_m·σ·ε.
    rng = np.random.default_rng(np.random.SeedSequence(11))
    n, k, sigma = 3000, 5, 30.0
    w = working_day_profile(2026).to_numpy()
    spend = w * 1000.0 + np.sqrt(w) * sigma * rng.standard_normal((n, 12))
    codes = [f"S{i}" for i in range(n)]
    phased = phase(pd.Series(1000.0, index=codes), working_day_profile(2026))
    actual = pd.DataFrame({"practice": np.repeat(codes, k), "month": np.tile(range(1, k + 1), n),
                           "cost": spend[:, :k].reshape(-1)})
    out = forecast_outturn(phased, actual, k, level=0.9).loc[codes]
    truth = spend.sum(axis=1)
    covered = ((truth >= out["lower"].to_numpy()) & (truth <= out["upper"].to_numpy())).mean()
    assert 0.88 <= covered <= 0.92


def test_risk_forecast_adds_the_thinned_spend_distribution():
    from pbcmodel.datasets import example_cost_model, example_cost_weights

    pop = example_population().subset(consortium="C2")
    model = example_cost_model()
    budgets = pd.DataFrame(pop.counts.to_numpy() @ example_cost_weights().to_numpy(),
                           index=pop.codes, columns=example_cost_weights().columns)
    phased = phase(budgets.sum(axis=1), flat_profile())
    k = 7
    actual = pd.DataFrame({"practice": np.repeat(pop.codes, k),
                           "month": np.tile(range(1, k + 1), pop.n_practices), "cost": 1000.0})
    out = forecast_outturn(phased, actual, k, method="risk", population=pop, model=model,
                           risk_method="normal")
    # Flat phasing: 5/12 of every POD's budget is still to come, so the expected rest of
    # the year is 5/12 of each practice's expected annual cost (p_use × mean, summed).
    expected_rest = 5 / 12 * budgets.sum(axis=1)
    np.testing.assert_allclose(out["forecast"] - k * 1000.0, expected_rest, rtol=1e-9)
    assert (out["lower"] < out["forecast"]).all() and (out["forecast"] < out["upper"]).all()
    assert out["prob_overspend"].between(0, 1).all()
    by_cons = forecast_outturn(phased, actual, k, method="risk", population=pop, model=model,
                               by="consortium")
    assert by_cons.loc["C2", "forecast"] == pytest.approx(out["forecast"].sum(), rel=1e-6)
    full = pd.DataFrame({"practice": np.repeat(pop.codes, 12),
                         "month": np.tile(range(1, 13), pop.n_practices), "cost": 10.0})
    done = forecast_outturn(phased, full, 12, method="risk", population=pop, model=model)
    assert (done["forecast"] == 120.0).all() and (done["upper"] == 120.0).all()


def test_risk_forecast_bad_inputs():
    from pbcmodel.datasets import example_cost_model

    phased, actual = _simple()
    pop = example_population()
    with pytest.raises(ValidationError, match="model: method='risk' needs"):
        forecast_outturn(phased, actual, 4, method="risk", population=pop)
    with pytest.raises(ValidationError, match="population: practice.*'P1'"):
        forecast_outturn(phased, actual, 4, method="risk", population=pop,
                         model=example_cost_model())
    with pytest.raises(ValidationError, match="by: method='risk'"):
        forecast_outturn(phased, actual, 4, method="risk", by="pod", population=pop,
                         model=example_cost_model())


def test_monthly_actuals_missing_combinations_are_gaps_not_zero():
    """Issue 26: a practice with no row in a month was counted as spending 0 in it (this
    test asserted it); now the gap is refused, or reported as NaN; a row of 0 is 0."""
    a = pd.DataFrame({"practice": ["A", "B"], "month": [1, 2], "cost": [5.0, 7.0]})
    with pytest.raises(ValidationError, match=r"actual: no row for practice 'A' in month 2 "
                                              r"\(May\); .*\(2 gaps in all\)"):
        monthly_actuals(a, ["practice"], 2)
    wide = monthly_actuals(a, ["practice"], 2, missing="report")
    assert np.isnan(wide.loc["A", 2]) and np.isnan(wide.loc["B", 1])
    zeros = pd.concat([a, pd.DataFrame({"practice": ["A", "B"], "month": [2, 1], "cost": 0.0})])
    wide = monthly_actuals(zeros, ["practice"], 2)
    assert wide.loc["A", 2] == 0.0 and wide.loc["B", 1] == 0.0


# --- contract monitoring ----------------------------------------------------------------------

def test_contract_monitor_flags_the_example_departures():
    out = contract_monitor(example_contract_plan(), example_contract_activity(), CURRENT_MONTH)
    assert out.loc[("RXA", "non_elective"), "flag"] == "over plan"
    assert out.loc[("RXB", "outpatient_follow_up"), "driver"] == "volume"
    # Southfield charges 3% over contract price for elective spells: price variance
    # (plan − actual, negative: an overspend) = −0.03 × contract price × spells.
    row = out.loc[("RXB", "elective")]
    plan_price = example_contract_plan().loc[("RXB", "elective"), "price"]
    assert row["price"] == pytest.approx(-0.03 * plan_price * row["actual_activity_ytd"],
                                         rel=1e-6)
    parts = out[["price", "volume", "mix"]].sum(axis=1)
    np.testing.assert_allclose(parts, out["cost_variance"], atol=1e-6)


def test_contract_monitor_hand_computed_and_unplanned_line():
    plan = pd.DataFrame({"provider": ["T1"], "pod": ["ae"], "activity": [1200.0],
                         "price": [100.0]}).set_index(["provider", "pod"])
    actual = pd.DataFrame({"provider": ["T1", "T1", "T2"], "pod": ["ae", "ae", "elective"],
                           "month": [1, 2, 2], "activity": [100, 101, 3],
                           "cost": [10_000.0, 10_100.0, 3_900.0]})
    out = contract_monitor(plan, actual, 2, tolerance=0.02)
    # T1 ae: plan 200 attendances, £20,000; actual 201, £20,100: variance (plan − actual)
    # −£100, −0.5%, within 2%.
    t1 = out.loc[("T1", "ae")]
    assert t1[["plan_cost_ytd", "actual_cost_ytd", "cost_variance"]].tolist() == [
        20_000.0, 20_100.0, -100.0]
    assert t1["cost_variance_pct"] == pytest.approx(-0.005)
    assert t1["activity_variance_pct"] == pytest.approx(-0.005)   # 1 − 201/200
    assert t1["flag"] == "on plan" and t1["driver"] == ""
    assert t1["forecast_cost"] == pytest.approx(20_100 * 6)
    assert out.loc[("T2", "elective"), "flag"] == "not in plan"


def test_contract_monitor_bad_inputs():
    plan, actual = example_contract_plan(), example_contract_activity()
    with pytest.raises(ValidationError, match="tolerance"):
        contract_monitor(plan, actual, 3, tolerance=1.5)
    with pytest.raises(ValidationError, match="tolerance"):
        contract_monitor(plan, actual, 3, tolerance=float("nan"))
    with pytest.raises(ValidationError, match=r"plan: expected a DataFrame indexed by \(provider"):
        contract_monitor(plan.reset_index(), actual, 3)
    with pytest.raises(ValidationError, match="plan: missing column.*'price'"):
        contract_monitor(plan[["activity"]], actual, 3)
    with pytest.raises(ValidationError, match="actual: negative activity"):
        contract_monitor(plan, actual.assign(activity=-1), 3)
    with pytest.raises(ValidationError, match="month"):
        contract_monitor(plan, actual, 0)
    with pytest.raises(ValidationError, match="profile: no row for POD"):
        contract_monitor(plan, actual, 3, profile=flat_profile().to_frame("ae").T)


# --- the monthly statement and figures ----------------------------------------------------

def _example_statement(**kw):
    act = example_monthly_activity()
    budgets = (act[act["year"] == CURRENT_YEAR - 1].groupby(["practice", "pod"])["cost"].sum()
               .unstack("pod") * 1.03)
    phased = phase(budgets, seasonal_profile(act[act["year"] < CURRENT_YEAR]))
    return statement("P001", CURRENT_MONTH, phased=phased, actual=act, year=CURRENT_YEAR, **kw)


def test_statement_pieces_agree_with_monitoring():
    phased, actual = _simple()
    stmt = statement("P1", 4, phased=phased, actual=actual, method="run_rate")
    ytd = year_to_date(phased, actual, 4).loc["P1"]
    fc = forecast_outturn(phased, actual, 4, method="run_rate").loc["P1"]
    assert stmt.summary["variance"] == ytd["variance"]
    assert stmt.summary["forecast"] == fc["forecast"]
    m = stmt.monthly
    assert m.loc[4, "cumulative_actual"] == 440.0 and np.isnan(m.loc[5, "actual"])
    assert m.loc[12, "forecast"] == pytest.approx(fc["forecast"])
    assert m.loc[12, "upper"] == pytest.approx(fc["upper"]) and m.loc[4, "lower"] == 440.0
    assert stmt.messages[0] == ("Year to date (Apr–Jul) you have spent £440 against a budget "
                                "of £400: £40 (10.0%) over.")
    # 440 / (4/12) = 1320 ± t(3, 0.95) × 40 = 1320 ± 94.1
    assert stmt.messages[1].startswith(
        "At this rate the year will end at £1,320 (90% range £1,226–£1,414) against a budget "
        "of £1,200")
    assert stmt.by_pod is None and stmt.benchmarks is None
    assert stmt.title == "Practice P1: statement to month 4 (Jul)"


def test_statement_on_the_example_with_benchmarks_and_html():
    from pbcmodel.benchmarking import indirect_standardise
    from pbcmodel.datasets import example_events, example_reference_rates

    rates = example_reference_rates()
    events = pd.DataFrame({m: example_events(m).sum(axis=1) for m in rates.columns})
    bench = indirect_standardise(events, example_population(), rates)
    stmt = _example_statement(benchmarks=bench)
    assert stmt.title == "Practice P001: statement to October 2026"
    # largest overspend (most negative budget − actual) first
    assert list(stmt.by_pod["variance"]) == sorted(stmt.by_pod["variance"])
    assert stmt.by_pod["actual_ytd"].sum() == pytest.approx(stmt.summary["actual_ytd"])
    assert list(stmt.benchmarks.index) == list(rates.columns)
    page = stmt.to_html(figure=True)
    assert stmt.title in page and "data:image/png;base64," in page
    assert all(m.split(":")[0] in page for m in stmt.messages)
    assert "£-" not in page and "−£" in page  # negative money reads −£1,234
    one = indirect_standardise(events["referrals"], example_population(), rates["referrals"])
    assert list(_example_statement(benchmarks=one).benchmarks.index) == ["events"]


def test_statement_with_the_risk_engine_forecast():
    from pbcmodel.datasets import example_cost_model

    pop = example_population()
    act = example_monthly_activity()
    budgets = act[act["year"] == CURRENT_YEAR - 1].groupby("practice")["cost"].sum() * 1.03
    phased = phase(budgets, flat_profile())
    stmt = statement("P010", CURRENT_MONTH, phased=phased, actual=act, year=CURRENT_YEAR,
                     method="risk", population=pop, model=example_cost_model())
    direct = forecast_outturn(phased, act[act["year"] == CURRENT_YEAR], CURRENT_MONTH,
                              method="risk", population=pop, model=example_cost_model())
    assert stmt.summary["forecast"] == pytest.approx(direct.loc["P010", "forecast"])
    assert stmt.monthly.loc[12, "upper"] == pytest.approx(direct.loc["P010", "upper"])


def test_statement_bad_inputs():
    phased, actual = _simple()
    with pytest.raises(ValidationError, match="practice: 'P9' not found in phased"):
        statement("P9", 2, phased=phased, actual=actual)
    with pytest.raises(ValidationError, match="practice: 'P2' not found in actual"):
        statement("P2", 2, phased=phased, actual=actual[actual["practice"] == "P1"])
    with pytest.raises(ValidationError, match="month"):
        statement("P1", 0, phased=phased, actual=actual)
    with pytest.raises(ValidationError, match="year: given, but actual has no 'year'"):
        statement("P1", 2, phased=phased, actual=actual, year=2026)
    with pytest.raises(ValidationError, match="benchmarks: no rows for practice 'P1'"):
        statement("P1", 2, phased=phased, actual=actual,
                  benchmarks=pd.DataFrame({"ratio": [1.0]}, index=pd.Index(["X"], name="practice")))
    with pytest.raises(ValidationError, match="practice: expected a practice code"):
        statement(1, 2, phased=phased, actual=actual)


def test_figures_draw_what_they_say():
    phased, actual = _simple()
    stmt = statement("P1", 1, phased=phased, actual=actual)
    ax = statement_figure(stmt)
    assert ax.get_title() == stmt.title
    assert not ax.collections  # one month: no range to shade
    ax = stmt.plot()
    bars = ytd_variance(year_to_date(phased, actual, 4))
    # P1 is 10% over budget: variance_pct −0.1 (budget − actual), drawn red
    assert [p.get_width() for p in bars.patches] == pytest.approx([-0.1, 0.0])
    assert bars.patches[0].get_facecolor() != bars.patches[1].get_facecolor()
    table = pd.DataFrame({"expected": [20.0, 400.0, 400.0], "ratio": [1.5, 1.6, 1.0]},
                         index=["small", "big", "typical"])
    ax = funnel(table)
    # 1.5 on 20 expected is inside the 99.8% funnel; 1.6 on 400 is far outside
    assert [t.get_text() for t in ax.texts] == ["big"]
    assert not funnel(table, phi=20.0).texts
