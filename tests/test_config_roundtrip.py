"""A scenario written in full form reads back equal and simulates the same figures:
practice order, cost_index and label dtypes round-trip (issue 25's round-trip bug)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel import ConfigError, Scenario
from pbcmodel.scenario.england import england_scenario


def _same_population(a: pbc.Population, b: pbc.Population) -> None:
    assert a == b
    assert a.codes.tolist() == b.codes.tolist()
    assert a.codes.dtype == b.codes.dtype
    assert a.hierarchy.dtypes.tolist() == b.hierarchy.dtypes.tolist()
    assert a.counts.dtypes.tolist() == b.counts.dtypes.tolist()
    if a.cost_index is None:
        assert b.cost_index is None
    else:
        pd.testing.assert_series_equal(a.cost_index, b.cost_index, check_exact=True)


def _same_summary(a: Scenario, b: Scenario) -> None:
    kw = {"n": 40, "years": 1, "seed": 5, "method": "normal"}
    pd.testing.assert_series_equal(a.simulate(**kw).summary(), b.simulate(**kw).summary(),
                                   check_exact=True)


@pytest.fixture(scope="module")
def england_full() -> Scenario:
    """An England scenario in full form: PCN footprints given, so it has no source."""
    fp = pbc.datasets.footprints("pcn", icb="QOC")
    scn = england_scenario("QOC", consortia=fp.footprint)
    assert scn.source is None
    assert scn.population.cost_index is not None
    assert not scn.population.codes.is_monotonic_increasing     # not in code order
    return scn


@pytest.mark.parametrize("form", ["toml", "json"])
def test_england_full_form_round_trips_and_simulates_the_same(england_full, form):
    text = getattr(england_full, f"to_{form}")()
    back = getattr(Scenario, f"from_{form}")(text)
    assert back == england_full
    _same_population(back.population, england_full.population)
    _same_summary(back, england_full)


def _shuffled(pop: pbc.Population, seed: int) -> pbc.Population:
    order = np.random.default_rng(seed).permutation(pop.n_practices)
    return pbc.Population(counts=pop.counts.iloc[order], hierarchy=pop.hierarchy.iloc[order],
                          cost_index=None if pop.cost_index is None
                          else pop.cost_index.iloc[order])


def test_shuffled_population_keeps_its_order():
    pop = _shuffled(pbc.datasets.example_population().subset(consortium=["C1", "C2"]), 1)
    scn = Scenario.example().evolve(population=pop, historic=None)
    back = Scenario.from_toml(scn.to_toml())
    assert back == scn
    _same_population(back.population, pop)
    _same_summary(back, scn)


def test_population_with_cost_index_round_trips():
    base = pbc.datasets.example_population().subset(consortium="C3")
    index = pd.Series(np.linspace(0.8, 1.3, base.n_practices), index=base.codes)
    pop = pbc.Population(counts=base.counts, hierarchy=base.hierarchy, cost_index=index)
    scn = Scenario.example().evolve(population=pop, historic=None)
    text = scn.to_toml()
    assert "cost_index" in text
    back = Scenario.from_toml(text)
    assert back == scn
    _same_population(back.population, pop)
    _same_summary(back, scn)


def test_str_labels_are_written_only_when_held():
    pop = pbc.datasets.example_population().subset(consortium="C1")   # object hierarchy
    scn = Scenario.example().evolve(population=pop, historic=None)
    assert "str_labels" in scn.to_dict()["population"]                 # codes are str
    assert scn.to_dict()["population"]["str_labels"] == ["practice"]
    back = Scenario.from_toml(scn.to_toml())
    _same_population(back.population, pop)


_BASE = {"resource": 1e6, "formula": {"weights": {"dataset": "example"}}}
_CELLS = ["0_4/F"]


@pytest.mark.parametrize(("practices", "extra", "match"), [
    ([{"practice": "A", "consortium": "C", "counts": [3], "cost_index": 1.1},
      {"practice": "B", "consortium": "C", "counts": [4]}], {},
     r"\$\.population\.practices\[1\]\.cost_index: given for some practices"),
    ([{"practice": "A", "consortium": "C", "counts": [3]},
      {"practice": "B", "consortium": "C", "counts": [4], "cost_index": 1.1}], {},
     r"\$\.population\.practices\[1\]\.cost_index: given for some practices"),
    ([{"practice": "A", "consortium": "C", "counts": [3], "cost_index": "1.1"}], {},
     r"\$\.population\.practices\[0\]\.cost_index: expected a number"),
    ([{"practice": "A", "consortium": "C", "counts": [3], "cost_index": -1.0}], {},
     r"\$\.population: cost_index: must be > 0"),
    ([{"practice": "A", "consortium": "C", "counts": [3]}], {"str_labels": ["sex"]},
     r"\$\.population\.str_labels: expected a list of some of"),
])
def test_bad_full_form_population_names_the_key(practices, extra, match):
    data = {**_BASE, "population": {"cells": _CELLS, "practices": practices, **extra}}
    with pytest.raises(ConfigError, match=match):
        Scenario.from_dict(data)


def test_file_order_is_kept_when_read():
    data = {**_BASE, "population": {"cells": _CELLS, "practices": [
        {"practice": "B", "consortium": "C", "counts": [3], "cost_index": 1.5},
        {"practice": "A", "consortium": "C", "counts": [4], "cost_index": 0.5}]}}
    pop = Scenario.from_dict(data).population
    assert pop.codes.tolist() == ["B", "A"]
    assert pop.cost_index.to_dict() == {"B": 1.5, "A": 0.5}
    assert pop.codes.dtype == object and (pop.hierarchy.dtypes.astype(str) == "object").all()


@st.composite
def populations(draw):
    """Small populations in any practice order, with or without a cost_index, labels held
    as object or as pandas' str dtype."""
    n = draw(st.integers(1, 5))
    codes = draw(st.permutations([f"P{i}" for i in range(n)]))
    counts = draw(st.lists(st.lists(st.integers(0, 500), min_size=len(pbc.codes.CELLS),
                                    max_size=len(pbc.codes.CELLS)), min_size=n, max_size=n))
    dtypes = [draw(st.sampled_from([object, "str"])) for _ in range(3)]
    index = pd.Index(codes, name="practice", dtype=dtypes[0])
    hierarchy = pd.DataFrame({"consortium": [f"C{i % 2}" for i in range(n)],
                              "commissioner": ["X"] * n}, index=index)
    hierarchy = hierarchy.astype({"consortium": dtypes[1], "commissioner": dtypes[2]})
    cost_index = draw(st.one_of(st.none(), st.lists(
        st.floats(0.01, 10, allow_nan=False), min_size=n, max_size=n)))
    return pbc.Population(
        counts=pd.DataFrame(np.array(counts, dtype=np.int64), index=index,
                            columns=pbc.codes.CELLS),
        hierarchy=hierarchy,
        cost_index=None if cost_index is None else pd.Series(cost_index, index=index))


@settings(max_examples=40, deadline=None)
@given(populations(), st.sampled_from(["toml", "json"]))
def test_any_small_population_round_trips(pop, form):
    scn = Scenario(population=pop, resource=1e6, formula=pbc.CapitationFormula(
        weights=pbc.datasets.example_cost_weights()))
    back = getattr(Scenario, f"from_{form}")(getattr(scn, f"to_{form}")())
    assert back == scn
    _same_population(back.population, pop)
