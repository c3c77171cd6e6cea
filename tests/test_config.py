import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel import ConfigError, Scenario, load_scenario
from pbcmodel.sharing import Gate

fractions = st.floats(0, 1, allow_nan=False)
small = st.floats(0, 0.2, allow_nan=False)


@st.composite
def tiers(draw):
    k = draw(st.integers(1, 3))
    thresholds = sorted({*draw(st.lists(small, min_size=k, max_size=k)), 0.0})
    return [(t, draw(fractions)) for t in thresholds]


@st.composite
def populations(draw):
    n = draw(st.integers(1, 6))
    rows = []
    for i in range(n):
        for band in draw(st.lists(st.sampled_from(pbc.codes.AGE_BANDS), min_size=1, max_size=4,
                                  unique=True)):
            rows.append((f"P{i}", f"C{i % 2}", f"X{i % 3}", band,
                         draw(st.sampled_from("FM")), draw(st.integers(1, 4000))))
    df = pd.DataFrame(rows, columns=["practice", "consortium", "commissioner", "age_band",
                                     "sex", "patients"])
    return pbc.Population.from_frame(df.drop_duplicates(["practice", "age_band", "sex"]))


@st.composite
def scenarios(draw):
    pop = draw(populations())
    weights = pbc.datasets.example_cost_weights() * draw(st.floats(0.5, 2))
    pace = draw(st.one_of(st.none(), st.builds(pbc.PaceOfChange, small, small)))
    needs = draw(st.one_of(st.just(1.0), st.floats(0.5, 1.5),
                           st.builds(lambda xs: pd.Series(xs, index=pop.codes),
                                     st.lists(st.floats(0.5, 1.5), min_size=pop.n_practices,
                                              max_size=pop.n_practices))))
    formula = pbc.CapitationFormula(
        weights=weights, pace=pace, needs=needs,
        top_slices=draw(st.dictionaries(st.sampled_from(["pool", "reserve"]), small)),
        historic_blend=draw(fractions))
    gates = draw(st.lists(st.sampled_from(["commissioner_in_balance", "plan_approved"]),
                          unique=True, max_size=2))
    savings = draw(st.one_of(st.none(), st.builds(
        lambda s, m, cap: pbc.ShareSchedule(savings=s, minimum_savings_rate=m,
                                            savings_cap=cap, gates=[Gate(g) for g in gates]),
        tiers(), small, st.one_of(st.none(), small))))
    overspend = draw(st.one_of(st.none(), st.builds(
        lambda share, tol, cap, net, years: pbc.OverspendPolicy(
            practice_share=share, tolerance=tol, cap=cap, net_within_consortium=net,
            recovery_years=years),
        fractions, small, st.one_of(st.none(), small), st.booleans(), st.integers(1, 3))))
    historic = draw(st.one_of(st.none(), st.builds(
        lambda xs: pd.Series(xs, index=pop.codes),
        st.lists(st.floats(1e4, 1e7), min_size=pop.n_practices, max_size=pop.n_practices))))
    conditions = {g: True for g in gates} if savings is not None else {}
    return Scenario(population=pop, formula=formula, resource=draw(st.floats(1e5, 1e9)),
                    savings=savings, overspend=overspend, historic=historic,
                    incentives=draw(st.one_of(st.none(),
                                              st.builds(pbc.Incentives, per_head=small))),
                    high_cost_threshold=draw(st.one_of(st.none(), st.floats(1e3, 1e6))),
                    common_shock_cv=draw(small), resource_growth=draw(small),
                    conditions=conditions, name=draw(st.text("abcxyz-", min_size=1)))


@given(scenarios())
def test_toml_round_trip_is_exact(scn):
    assert Scenario.from_toml(scn.to_toml()) == scn


@given(scenarios())
def test_json_round_trip_is_exact(scn):
    assert Scenario.from_json(scn.to_json()) == scn


def test_example_short_forms_round_trip_with_cost_model():
    scn = Scenario(population=pbc.datasets.example_population(),
                   formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
                   resource=510e6, cost_model=pbc.datasets.example_cost_model(),
                   historic=pbc.datasets.example_historic_budgets())
    text = scn.to_toml()
    assert 'dataset = "example"' in text and len(text) < 1000  # short forms, not tables
    assert Scenario.from_toml(text) == scn
    custom = scn.evolve(cost_model=pbc.CostModel.from_frame(
        scn.cost_model.to_frame().assign(cv=1.0)))
    assert Scenario.from_toml(custom.to_toml()) == custom


BASE = {"resource": 1e6, "population": {"dataset": "example"},
        "formula": {"weights": {"dataset": "example"}}}


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"overspend": {"practice_share": 2}}, r"\$\.overspend\.practice_share: must be in"),
        ({"overspend": {"practice_share": 0.5, "share": 1}},
         r"\$\.overspend\.share: unknown key"),
        ({"savings": {"savings": [[0, "x"]]}}, r"\$\.savings\.savings\[0\]\[1\]"),
        ({"savings": {"gates": [{"condition": "q", "sc": True}]}}, r"\$\.savings\.gates\[0\]"),
        ({"bogus": 1}, r"\$\.bogus: unknown key"),
        ({"formula": {"weights": {"dataset": "example"}, "pase": {}}},
         r"\$\.formula\.pase: unknown key"),
        ({"formula": {"weights": {"dataset": "nope"}}}, r"\$\.formula\.weights\.dataset"),
        ({"population": {"dataset": "example", "n": 3}}, r"\$\.population: bad options"),
        ({"resource": -1}, r"\$\.resource: must be > 0"),
        ({"formula": {"weights": {"dataset": "example"}, "top_slices": {"a": 0.7, "b": 0.5}}},
         r"\$\.formula\.top_slices: fractions sum"),
        ({"conditions": {"plan": "from_outturn"}}, None),
    ],
)
def test_bad_scenario_data_names_the_path(extra, match):
    data = {**BASE, **extra}
    if match is None:  # accepted at load time, refused when used
        scn = Scenario.from_dict(data)
        with pytest.raises(pbc.ValidationError, match="conditions.plan: only"):
            scn.settle(scn.budgets()["total"])
        return
    with pytest.raises(ConfigError, match=match):
        Scenario.from_dict(data)


def test_missing_required_and_syntax_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"\$\.formula: missing"):
        Scenario.from_dict({"resource": 1.0, "population": {"dataset": "example"}})
    with pytest.raises(ConfigError, match="line 2"):
        Scenario.from_toml('resource = 1\npopulation = {dataset = "example"\n')
    with pytest.raises(ConfigError, match="NaN is not allowed"):
        Scenario.from_json('{"resource": NaN}')
    with pytest.raises(ConfigError, match="line 1"):
        Scenario.from_json('{"resource": 1,,}')
    with pytest.raises(ConfigError, match="no such file"):
        load_scenario(tmp_path / "none.toml")
    bad = tmp_path / "s.yaml"
    bad.write_text("x")
    with pytest.raises(ConfigError, match=r"must end in \.toml or \.json"):
        load_scenario(bad)


def test_file_paths_are_relative_to_the_scenario_file(tmp_path, data_dir):
    import shutil

    shutil.copy(data_dir / "gp-reg-pat-prac-quin-age.csv", tmp_path / "patients.csv")
    shutil.copy(data_dir / "consortia.csv", tmp_path / "map.csv")
    (tmp_path / "s.toml").write_text(
        'resource = 2e7\n'
        'population = {registered_patients = "patients.csv", consortia = "map.csv"}\n'
        'formula = {weights = {dataset = "example"}}\n')
    scn = load_scenario(tmp_path / "s.toml")
    assert scn.population.n_practices == 3
    assert set(scn.population.practices["consortium"]) == {"North", "South"}


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"resource": "lots"}, r"\$\.resource: expected a number, got 'lots'"),
        ({"cost_growth": True}, r"\$\.cost_growth: expected a number, got True"),
        ({"name": 5}, r"\$\.name: expected a non-empty string"),
        ({"high_cost_threshold": -3}, r"\$\.high_cost_threshold: must be > 0"),
        ({"savings": {"gates": [{"condition": "q", "sc": True}]}},
         r"\$\.savings\.gates\[0\]\.sc: unknown key"),
    ],
)
def test_wrong_types_are_config_errors_at_the_key(extra, match):
    with pytest.raises(ConfigError, match=match):
        Scenario.from_dict({**BASE, **extra})


# ------------------------------------------------------------------ experience rating

@st.composite
def experienced_scenarios(draw):
    """A scenario whose formula has an experience rating: gaps, a new practice, high cost."""
    import numpy as np

    pop = draw(populations().filter(lambda p: p.n_practices >= 2))
    n, n_years = pop.n_practices, draw(st.integers(2, 4))
    years = [str(2020 + j) for j in range(n_years)]
    cells = st.lists(st.floats(1.0, 1e7), min_size=n_years, max_size=n_years)
    expected = pd.DataFrame(draw(st.lists(cells, min_size=n, max_size=n)), index=pop.codes,
                            columns=years)
    ratio = pd.DataFrame(draw(st.lists(st.lists(st.floats(0.2, 4.0), min_size=n_years,
                                                max_size=n_years), min_size=n, max_size=n)),
                         index=pop.codes, columns=years)
    gaps = np.array(draw(st.lists(st.lists(st.booleans(), min_size=n_years, max_size=n_years),
                                  min_size=n, max_size=n)))
    gaps[:2] = False                    # two practices with every year; the rest may have gaps
    actual = (expected * ratio).mask(gaps)
    size = expected * 0 + pop.list_size.to_numpy()[:, None]
    high_cost = draw(st.one_of(st.none(), st.just(actual * 0.1)))
    rating = pbc.credibility.ExperienceRating(actual=actual, expected=expected,
                                              list_size=size, high_cost=high_cost)
    scn = draw(scenarios())
    return scn.evolve(population=pop, historic=None, formula=scn.formula.evolve(
        needs=1.0, experience=rating))


@settings(max_examples=40, deadline=None)
@given(experienced_scenarios())
def test_experience_round_trips_exactly(scn):
    assert Scenario.from_toml(scn.to_toml()) == scn
    assert Scenario.from_json(scn.to_json()) == scn
    back = Scenario.from_json(scn.to_json()).formula.experience
    assert back.actual.isna().equals(scn.formula.experience.actual.isna())   # missing ≠ 0


EXPERIENCE_TOML = '''
resource = 2e7
population = {dataset = "example"}
[formula]
weights = {dataset = "example"}
[formula.experience]
years = ["2024", "2025"]
'''


def _experience_toml(pop, drop=None, bad=None):
    """The layout of the config module's docstring, for every practice of ``pop``."""
    lines = []
    for key, per_head in [("actual", 930.0), ("expected", 900.0), ("list_size", 1.0)]:
        rows = []
        for i, (code, size) in enumerate(pop.list_size.items()):
            if code == drop:
                continue
            value = size * per_head * (1 + 0.01 * (i % 7)) if key == "actual" else \
                size * per_head
            rows.append(f'{code} = {{"2024" = {value!r}, "2025" = {value!r}}}'
                        if code != "P003" else f'{code} = {{}}')
        lines.append(f"{key} = {{{', '.join(rows)}}}")
    text = EXPERIENCE_TOML + "\n".join(lines) + "\n"
    return text.replace('"2025" = ', bad + " = ", 1) if bad else text


def test_experience_in_a_scenario_file():
    pop = pbc.datasets.example_population()
    scn = Scenario.from_toml(_experience_toml(pop))
    rating = scn.formula.experience
    assert list(rating.new_practices) == ["P003"]          # an empty table: no history
    assert rating.actual.loc["P002", "2025"] == pop.list_size["P002"] * 930.0 * 1.01
    e = scn.explain("P003").set_index("step")
    assert e.loc["credibility z", "value"] == 0.0
    assert Scenario.from_toml(scn.to_toml()) == scn
    # a scenario variant: another history, or none
    assert scn.evolve(**{"formula.experience": None}).formula.experience is None


def test_experience_errors_name_the_key():
    pop = pbc.datasets.example_population()
    with pytest.raises(ConfigError, match=r"\$\.formula\.experience: missing practice "
                                          r"code\(s\) 'P010'"):
        Scenario.from_toml(_experience_toml(pop, drop="P010"))
    with pytest.raises(ConfigError, match=r"\$\.formula\.experience\.actual\.P001\.2026: "
                                          "unknown year"):
        Scenario.from_toml(_experience_toml(pop, bad='"2026"'))
    base = {**BASE, "formula": {"weights": {"dataset": "example"}, "experience": {
        "years": ["2024", "2025"],
        "actual": {"P001": {"2024": "lots"}}, "expected": {}, "list_size": {}}}}
    with pytest.raises(ConfigError, match=r"experience\.actual\.P001\.2024: expected a number"):
        Scenario.from_dict(base)
    base["formula"]["experience"]["actual"] = {"P001": {"2024": -1.0, "2025": 1.0},
                                               "P002": {"2024": 1.0, "2025": 1.0}}
    base["formula"]["experience"]["expected"] = {"P001": {"2024": 1.0, "2025": 1.0},
                                                 "P002": {"2024": 1.0, "2025": 1.0}}
    base["formula"]["experience"]["list_size"] = base["formula"]["experience"]["expected"]
    with pytest.raises(ConfigError, match=r"\$\.formula\.experience\.actual: must be >= 0; "
                                          r"practice/year \('P001', '2024'\)"):
        Scenario.from_dict(base)
    del base["formula"]["experience"]["years"]
    with pytest.raises(ConfigError, match=r"\$\.formula\.experience\.years: missing"):
        Scenario.from_dict(base)


def test_the_documented_experience_layout_parses():
    import textwrap
    import tomllib

    from pbcmodel.scenario import config

    doc = config.__doc__
    start = doc.index("    [formula.experience]")
    block = textwrap.dedent(doc[start:doc.index("\n\n", start)])
    data = tomllib.loads(block)["formula"]["experience"]
    rating = config._experience(data, "$.formula.experience")
    # P002 has 2025 only (2024 missing, not 0); P003 an empty table: no history
    assert rating.actual.loc["P002"].isna().tolist() == [True, False]
    assert list(rating.new_practices) == ["P003"]
    assert rating.list_size.loc["P001", "2025"] == 1520.0


def test_a_scenario_file_has_one_key_per_field():
    """The keys a scenario file reads and writes are defined once, and they are exactly the
    fields of a Scenario and of its CapitationFormula (a new field cannot be forgotten)."""
    import attrs

    from pbcmodel.scenario import config

    # every field but the source, which is written as the England keys (dataset, icb, ...)
    assert set(config._SCENARIO_KEYS) | {config.SOURCE_FIELD} == {
        f.alias for f in attrs.fields(Scenario)}
    assert config.SOURCE_FIELD not in config._SCENARIO_KEYS
    assert set(config._FORMULA_KEYS) == {f.alias for f in attrs.fields(pbc.CapitationFormula)}
    written = Scenario.example().evolve(incentives=pbc.Incentives(per_head=1.9)).to_dict()
    assert list(written) == [k for k in config._SCENARIO_KEYS if k in written]
