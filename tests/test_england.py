"""Real England: the embedded NHS England weighted populations 2026/27-2028/29 (OGL v3).

Reference values: NHS England's ICB place-based allocation tool
(``nhsengland/ICB_Place_Based_Tool_2627-2829``): ``utils.get_index`` divides a place's
(Σ weighted ÷ Σ GP pop) by its ICB's, and ``utils.excel_round`` rounds the result half up
to 0.001 (``Decimal.quantize(ROUND_HALF_UP)``); the tool shows that rounded again to 0.01.
"""

import gzip
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.capitation import WeightedCapitation, need_index
from pbcmodel.money import round_half_up
from pbcmodel.weighted import COMPONENTS

WEST_YORKSHIRE = "QWO"
#: The tool's "Default Place" (ICB_Place_Based_Tool.py, session state): four Kirklees practices.
DEFAULT_PLACE = ["B85005", "B85022", "B85061", "B85026"]

#: pbcmodel component → the tool's column after its renames (utils.get_data).
TOOL_COLUMNS = {
    "general_and_acute": "G&A WP", "community_services": "CS WP", "mental_health": "MH WP",
    "maternity": "Mat WP", "prescribing": "Prescr WP", "core": "Core WP",
    "final_primary_medical_care": "Final PMC WP", "primary_medical_care":
    "Primary Medical Care WP", "health_inequalities": "Health Ineq WP",
}


@pytest.fixture(scope="module")
def wp():
    return pbc.datasets.england("2026/27")


def raw_file(year="2026_2027"):
    """The shipped file as the tool reads it: ``pd.read_csv(path)`` then ``fillna(0)``."""
    name = f"weighted_populations_{year}.csv.gz"
    with (resources.files("pbcmodel.datasets") / "data" / name).open("rb") as fh:
        return pd.read_csv(gzip.open(fh), encoding="utf-8-sig").fillna(0)


def excel_round(number, precision):
    """NHS England's ``utils.excel_round`` for decimal precision (round half up)."""
    return float(Decimal(str(number)).quantize(Decimal(str(precision)), rounding=ROUND_HALF_UP))


def tool_index(df, practices, icb_name, column):
    """``utils.get_index`` for one place, following the tool's code."""
    place = df[df["Practice_Code"].isin(practices)]
    icb = df[df["ICBname"] == icb_name]
    place_ratio = place[column].sum() / place["Registered Patients"].sum()
    icb_ratio = icb[column].sum() / icb["Registered Patients"].sum()
    return excel_round(float(place_ratio / icb_ratio), 0.001)


# ---------------------------------------------------------------------- embedded data
def test_every_year_has_all_practices_of_england():
    years = [pbc.datasets.england(y) for y in pbc.datasets.ENGLAND_YEARS]
    for year, wp in zip(pbc.datasets.ENGLAND_YEARS, years, strict=True):
        assert wp.year == year and wp.n_practices == 6281
        assert wp.frame["icb"].nunique() == 36 and wp.frame["region"].nunique() == 7
        assert wp.codes.equals(years[0].codes)
    with pytest.raises(pbc.ValidationError, match="year: expected one of 2026/27"):
        pbc.datasets.england("2024/25")


@pytest.mark.parametrize("year", pbc.datasets.ENGLAND_YEARS)
def test_every_component_sums_to_the_national_registered_population(year):
    totals = pbc.datasets.england(year).totals()
    for component in COMPONENTS:
        assert totals[component] == pytest.approx(totals["registered"], rel=1e-6)


def test_the_shipped_data_is_the_published_file(wp):
    raw = raw_file().set_index("Practice_Code")
    assert list(raw.columns[:4]) == ["GP_Practice_Name", "Practice_Postcode", "Latitude",
                                     "Longitude"]
    for component, column in TOOL_COLUMNS.items():
        assert np.array_equal(wp.frame[component].to_numpy(), raw[column].to_numpy())
    # real zeros stay zero (83 practices with no maternity weighted population)
    assert int((wp.frame["maternity"] == 0).sum()) == 83 == int((raw["Mat WP"] == 0).sum())


def test_attribution_is_shown():
    assert pbc.datasets.ATTRIBUTION.startswith(
        "Contains public sector information licensed under the Open Government Licence v3.0")
    assert "NHS England" in pbc.datasets.ATTRIBUTION
    assert "Open Government Licence v3.0" in pbc.datasets.england.__doc__
    assert "NHS England" in pbc.datasets.england.__doc__
    licence = resources.files("pbcmodel.datasets") / pbc.datasets.LICENCE_FILE
    assert "Open Government Licence" in licence.read_text(encoding="utf-8")


# ------------------------------------------------------------ agreement with the tool
def test_default_place_agrees_with_the_place_based_tool(wp):
    df = raw_file()
    ours = need_index(wp, {"Default Place": DEFAULT_PLACE}, component=list(COMPONENTS))
    for component, column in TOOL_COLUMNS.items():
        tool = tool_index(df, DEFAULT_PLACE, "NHS West Yorkshire ICB", column)
        assert float(round_half_up(ours.loc["Default Place", component], 3)) == tool
    # what the tool shows for its default place (core index header and G&A), computed by
    # following its code on the same file: 0.952 → "0.95", 1.097 → "1.10"
    core = float(round_half_up(ours.loc["Default Place", "core"], 3))
    ga = float(round_half_up(ours.loc["Default Place", "general_and_acute"], 3))
    assert (core, ga) == (0.952, 1.097)
    assert (excel_round(core, 0.01), excel_round(ga, 0.01)) == (0.95, 1.1)


def test_every_district_of_west_yorkshire_agrees_with_the_tool(wp):
    df = raw_file()
    icb = wp.subset(icb=WEST_YORKSHIRE)
    places = icb.places("lad_name")
    ours = need_index(wp, places, component="core")
    for name, members in places.groupby(places).groups.items():
        assert float(round_half_up(ours[name], 3)) == tool_index(
            df, list(members), "NHS West Yorkshire ICB", "Core WP")


def test_icb_and_england_bases_differ_by_the_icb_index(wp):
    place = {"Default Place": DEFAULT_PLACE}
    icb_based = need_index(wp, place)["Default Place"]
    england_based = need_index(wp, place, base="england")["Default Place"]
    icb_vs_england = need_index(wp, wp.subset(icb=WEST_YORKSHIRE).frame["icb"],
                                base="england")[WEST_YORKSHIRE]
    assert england_based == pytest.approx(icb_based * icb_vs_england, rel=1e-12)


# ------------------------------------------------------------------ national budgets
def test_national_budgets_sum_exactly_in_pence(wp):
    resource = 98_765_432_109.87
    f = WeightedCapitation(
        shares={"general_and_acute": 0.55, "community_services": 0.1, "mental_health": 0.12,
                "maternity": 0.03, "prescribing": 0.1, "primary_medical_care": 0.1},
        top_slices={"contingency": 0.01, "high_cost_pool": 0.005})
    pence = f.budgets_pence(wp, resource)
    assert len(pence) == 6281 and pence.dtypes.eq(np.int64).all()
    resource_p = 9_876_543_210_987
    slices_p = round(resource * 0.01 * 100) + round(resource * 0.005 * 100)
    assert int(pence["total"].sum()) == resource_p - slices_p
    assert (pence.drop(columns="total").sum(axis=1) == pence["total"]).all()
    # no practice is more than a penny from its exact fair share
    target = f.targets(wp, resource).sum(axis=1) * 100
    assert (np.abs(pence["total"] - target) < 1).all()


def test_budgets_by_the_core_index_follow_the_weighted_population(wp):
    # £1bn over England's 63.9m weighted patients: £15.65 a weighted head; whole pence move
    # a budget by at most a penny, so practices with core weight > 100 (budget > £1,500)
    # are within 1e-5 of the same rate per weighted head
    budgets = WeightedCapitation().budgets(wp, resource=1e9)["total"]
    core = wp.weighted("core")
    per_core = (budgets / core)[core > 100]
    assert per_core.max() / per_core.min() == pytest.approx(1.0, abs=1e-5)


def test_three_year_path_from_the_published_years():
    years = [pbc.datasets.england(y).subset(icb=WEST_YORKSHIRE)
             for y in pbc.datasets.ENGLAND_YEARS]
    hist = years[0].registered / years[0].registered.sum() * 2.6e9   # per head last year
    f = WeightedCapitation(pace=pbc.PaceOfChange(max_gain=0.05, max_loss=0.02))
    path = f.path(years, [2.70e9, 2.78e9, 2.86e9], historic=hist)
    assert list(path.columns) == list(pbc.datasets.ENGLAND_YEARS)
    assert path.sum().round(2).tolist() == [2.70e9, 2.78e9, 2.86e9]
    before = pd.concat([hist, path.iloc[:, :-1]], axis=1).to_numpy()
    # within the limits, to the penny of rounding
    assert (path.to_numpy() <= before * 1.05 + 0.01).all()
    assert (path.to_numpy() >= before * 0.98 - 0.01).all()


# --------------------------------------------------------- risk and simulation
def england_scenario(wp_icb, **changes):
    index = need_index(wp_icb)
    pop = wp_icb.to_population(pbc.datasets.england_age_sex_profile(), cost_index=index)
    formula = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(), needs=index,
                                    top_slices={"contingency": 0.01})
    resource = float(pop.list_size.sum()) * 1000.0
    return pbc.Scenario(population=pop, formula=formula, resource=resource,
                        cost_model=pbc.datasets.example_cost_model(),
                        savings=pbc.sharing.pbc_freed_up(0.7),
                        overspend=pbc.OverspendPolicy(tolerance=0.02, practice_share=0.5),
                        name="west-yorkshire", **changes)


def test_capitation_over_the_profile_reproduces_the_core_weighted_population(wp):
    icb = wp.subset(icb=WEST_YORKSHIRE)
    scn = england_scenario(icb)
    budget = scn.budgets()["total"]
    # same age-sex profile everywhere, so budget ∝ list size × need index ∝ core weighted
    # population, up to rounding the profile to whole patients per cell (0.11% over 5,000)
    big = icb.registered > 5000
    ratio = (budget / icb.weighted("core"))[big]
    assert ratio.max() / ratio.min() == pytest.approx(1.0, abs=1.5e-3)


def test_spend_cv_by_list_size_is_of_the_published_order(wp):
    """Crump et al. (1991): CV of a practice's annual spend ≈ 7.5% at 9,000 patients and
    5.0% at 24,000. The cost model here is pbcmodel's example cost model (independent
    patients, lognormal costs per POD), with each practice's need index as its cost
    multiplier; fitted over West Yorkshire's practices it gives 3.3% and 2.0%. Tolerance:
    each within 0.3-1.5 times the published value (the same order; independent patients
    carry no referral or case-mix variation, so they sit below Crump's figures), and a
    fitted slope of log CV on log list size between -0.6 and -0.35 (Crump's pair: -0.41;
    the square-root law: -0.5)."""
    pop = england_scenario(wp.subset(icb=WEST_YORKSHIRE)).population
    dist = pbc.risk.spend_distribution(pop, pbc.datasets.example_cost_model(), method="normal")
    cv = np.asarray(dist.std) / np.asarray(dist.mean)
    n = pop.list_size.to_numpy()
    keep = n > 1000
    slope, intercept = np.polyfit(np.log(n[keep]), np.log(cv[keep]), 1)
    at = {size: float(np.exp(intercept + slope * np.log(size))) for size in (9000, 24000)}
    assert 0.3 * 0.075 <= at[9000] <= 1.5 * 0.075
    assert 0.3 * 0.050 <= at[24000] <= 1.5 * 0.050
    assert -0.6 <= slope <= -0.35


def test_simulate_compare_and_sweep_on_one_icb(wp):
    icb = wp.subset(icb="QOC")          # Shropshire, Telford and Wrekin: 50 practices
    scn = england_scenario(icb)
    res = scn.simulate(n=200, years=2, seed=3)
    assert res.n == 200 and res.years == 2
    strict = scn.evolve(overspend=pbc.OverspendPolicy(practice_share=1.0), name="strict")
    table = pbc.compare([scn, strict], n=200, seed=3)
    assert list(table.columns) == ["west-yorkshire", "strict"]
    swept = pbc.sweep(scn, {"overspend.practice_share": [0.0, 0.5]}, years=1, n=100, progress=False)
    assert len(swept) == 2
