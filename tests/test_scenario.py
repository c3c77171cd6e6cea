import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel import Scenario, ValidationError


def base(**kw):
    return Scenario(population=pbc.datasets.example_population(),
                    formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
                                                  top_slices={"pool": 0.02}),
                    resource=510e6, **kw)


def test_budgets_and_explain_compose_the_formula():
    scn = base()
    assert scn.budgets()["total"].sum() == pytest.approx(510e6 * 0.98)
    e = scn.explain("P010")
    assert e["amount"].iloc[-1] == pytest.approx(scn.budgets().loc["P010", "total"])


def test_settle_pbc_70_30_hand_example():
    # every practice spends 1% under budget: variance = 1% of 499.8m = 4.998m;
    # practices keep 70% = 3.4986m, the commissioner keeps 30% = 1.4994m
    scn = base(savings=pbc.sharing.pbc_freed_up(0.7))
    frame = scn.settle(scn.budgets()["total"] * 0.99).to_frame()
    assert frame["variance"].sum() == pytest.approx(4.998e6, abs=1)
    assert frame["practice_amount"].sum() == pytest.approx(3.4986e6, abs=1)
    assert (frame["practice_amount"] + frame["commissioner_amount"]
            - frame["variance"]).abs().max() < 1e-9


def test_commissioner_in_balance_from_outturn_gates_freed_up():
    sched = pbc.sharing.pbc_freed_up(0.7, gates=["commissioner_in_balance"])
    scn = base(savings=sched, conditions={"commissioner_in_balance": "from_outturn"})
    budgets = scn.budgets()["total"]
    under = budgets * 0.98
    over = under.copy()
    over.iloc[:10] = budgets.iloc[:10] * 1.5  # a few big overspends put the commissioner in deficit
    assert scn.settle(under).to_frame()["practice_amount"].sum() > 0
    assert over.sum() > budgets.sum()
    # underspending practices are not paid while the commissioner is in deficit
    assert scn.settle(over).to_frame()["practice_amount"].max() == 0


def test_evolve_dotted_paths_and_errors():
    scn = base(overspend=pbc.OverspendPolicy(practice_share=0.5, tolerance=0.02))
    v = scn.evolve(**{"overspend.practice_share": 0.3, "formula.pace.max_gain": 0.1}
                   ) if scn.formula.pace else scn.evolve(**{"overspend.practice_share": 0.3})
    assert v.overspend.practice_share == 0.3 and v.overspend.tolerance == 0.02
    assert scn.overspend.practice_share == 0.5  # the original is untouched
    assert scn.evolve(resource=1e8).resource == 1e8
    with pytest.raises(ValidationError, match=r"'overspend\.share' names no field"):
        scn.evolve(**{"overspend.share": 0.1})
    with pytest.raises(ValidationError, match="'budget' names no field"):
        scn.evolve(budget=1)
    with pytest.raises(ValidationError, match="the scenario has no savings"):
        scn.evolve(**{"savings.first_dollar": False})
    with pytest.raises(ValidationError, match="practice_share: must be in"):
        scn.evolve(**{"overspend.practice_share": 1.5})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"resource": 0}, "resource: must be > 0"),
        ({"savings": 0.7}, "savings: expected a savings schedule"),
        ({"cost_model": "lognormal"}, "cost_model: expected a cost model"),
        ({"high_cost_threshold": -5}, "high_cost_threshold: must be > 0"),
        ({"resource_growth": -1.5}, "resource_growth: must be > -1"),
        ({"historic": pd.Series({"P001": 1.0})}, "historic: missing practice code"),
    ],
)
def test_bad_scenario_input(kwargs, match):
    args = {"resource": 510e6, **kwargs}
    with pytest.raises(ValidationError, match=match):
        Scenario(population=pbc.datasets.example_population(),
                 formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
                 **args)


def test_simulate_needs_a_cost_model():
    with pytest.raises(ValidationError, match="cost_model: the scenario has none"):
        base().simulate(n=10)


def test_repr_and_html_describe_the_parts():
    scn = base(savings=pbc.sharing.pbc_freed_up(0.7), name="pbc")
    assert "70% of the underspend" in repr(scn)
    html = scn._repr_html_()
    assert "Scenario &#x27;pbc&#x27;" in html or "Scenario 'pbc'" in html
    assert "<table" in html and "C4" in html


def test_zero_variance_cost_model_simulate_equals_settle():
    # with (almost) no randomness — everyone uses every POD at the mean cost, cv 1e-9 (a cost
    # model needs cv > 0) — every simulation equals settling the expected outturn, up to the
    # FFT grid (a few pounds on budgets of £1m–£25m)
    table = pbc.datasets.example_cost_model().to_frame()
    flat = pbc.CostModel.from_frame(table.assign(mean=table["p_use"] * table["mean"],
                                                 p_use=1.0, cv=1e-9))
    scn = base(cost_model=flat, savings=pbc.sharing.pbc_freed_up(0.7),
               overspend=pbc.OverspendPolicy(practice_share=0.5, tolerance=0.01))
    res = scn.simulate(n=5, years=1, seed=3, keep="full")
    pop = scn.population
    expected = pd.Series(pop.counts.to_numpy() @ flat.weights().to_numpy().sum(axis=1),
                         index=pop.codes)
    frame = scn.settle(expected).to_frame()
    budget = frame["budget"].to_numpy()
    assert (np.abs(res.practice_amount[:, :, 0] - frame["practice_amount"].to_numpy())
            <= 1e-5 * budget).all()


def test_simulation_does_not_depend_on_chunk_size():
    scn = pbc.Scenario.example()
    a = scn.simulate(n=60, years=2, seed=11, chunk_size=7, keep="full")
    b = scn.simulate(n=60, years=2, seed=11, chunk_size=60, keep="full")
    np.testing.assert_array_equal(a.practice_amount, b.practice_amount)
    np.testing.assert_array_equal(a.net, b.net)
    np.testing.assert_array_equal(a.commissioner_pence, b.commissioner_pence)
    np.testing.assert_array_equal(a.pool_pence, b.pool_pence)
    c = scn.simulate(n=60, years=2, seed=12, chunk_size=7, keep="full")
    assert not np.array_equal(a.practice_amount, c.practice_amount)


def test_liabilities_are_recovered_from_next_years_budget():
    # a practice bears 50% of overspends (no tolerance, no cap), recovered from next year's
    # budget in one instalment; with no savings paid, year-2 cash = − year-1 liability
    scn = pbc.Scenario.example(
        savings=None, conditions={},
        overspend=pbc.OverspendPolicy(practice_share=0.5, recovery_years=1,
                                      clawback_order=("future_budgets",)))
    res = scn.simulate(n=40, years=2, seed=5, keep="full")
    liability = np.minimum(res.practice_amount[:, :, 0], 0)
    np.testing.assert_allclose(res.net[:, :, 1], liability, atol=0.01)
    assert (liability < 0).any()
    # what is still owed after year 1 is exactly the year-1 liabilities, in pence
    owed = -np.rint(liability.astype(float) * 100).sum(axis=1)
    np.testing.assert_allclose(res.carried_pence[:, 0], owed, atol=res.practice_amount.shape[1])


def test_simulate_bad_input():
    scn = pbc.Scenario.example()
    with pytest.raises(ValidationError, match="n: must be a positive whole number"):
        scn.simulate(n=0)
    with pytest.raises(ValidationError, match="years: must be a positive whole number"):
        scn.simulate(n=5, years=0)
    with pytest.raises(ValidationError, match="chunk_size: must be a positive whole number"):
        scn.simulate(n=5, chunk_size=-1)
    with pytest.raises(ValidationError, match="method: must be one of"):
        scn.simulate(n=5, method="exact")


def test_patient_level_monte_carlo_agrees_with_fft_draws():
    # the two ways of drawing outturn give the same mean practice amount within noise
    small = pbc.Scenario.example(
        population=pbc.datasets.example_population().subset(["P001", "P002"]),
        historic=None, high_cost_threshold=None, common_shock_cv=0.0,
        formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
        resource=6.4e6)
    fft = small.simulate(n=400, seed=1, method="fft", keep="full").practice_amount.mean(axis=0)
    mc = small.simulate(n=400, seed=1, method="mc", keep="full").practice_amount.mean(axis=0)
    sd = small.simulate(n=400, seed=1, method="fft", keep="full").practice_amount.std(axis=0)
    assert (np.abs(fft - mc) < 4 * sd / np.sqrt(400) * np.sqrt(2)).all()


# ------------------------------------------------------------------ bad input (issue 13)
def _rating(codes):
    from pbcmodel.credibility import ExperienceRating

    size = pd.DataFrame({"2024": 1000.0, "2025": 1000.0}, index=pd.Index(codes))
    return ExperienceRating(actual=size * 950.0, expected=size * 900.0, list_size=size)


def test_a_history_of_other_practices_is_refused_when_the_scenario_is_built():
    pop = pbc.datasets.example_population()
    codes = list(pop.codes)
    formula = base().formula.evolve(experience=_rating([*codes[1:], "Z999"]))
    with pytest.raises(ValidationError, match=rf"^formula\.experience: missing practice "
                                              rf"code\(s\) '{codes[0]}'; unknown practice "
                                              r"code\(s\) 'Z999' \(list every practice"):
        base().evolve(formula=formula)   # was: accepted, refused at the first budgets()
    good = base().evolve(formula=formula.evolve(experience=_rating(codes)))
    assert good.budgets()["total"].sum() == pytest.approx(510e6 * 0.98, rel=1e-12)
    # another population under the same formula is checked too
    with pytest.raises(ValidationError, match=r"^formula\.experience: unknown practice"):
        good.evolve(population=pop.subset(codes[1:]))
