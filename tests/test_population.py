import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel import Population, ValidationError
from pbcmodel.datasets import example_population


def tidy(**overrides):
    df = pd.DataFrame({
        "practice": ["A", "A", "B", "C"],
        "consortium": ["N", "N", "N", "S"],
        "age_band": ["0_4", "65_69", "65_69", "95+"],
        "sex": ["F", "M", "F", "M"],
        "patients": [100, 50, 80, 7],
    })
    for k, v in overrides.items():
        df[k] = v
    return df


def test_from_frame_counts_and_hierarchy():
    pop = Population.from_frame(tidy())
    assert pop.list_size.to_dict() == {"A": 150, "B": 80, "C": 7}
    assert pop.counts.loc["A", ("65_69", "M")] == 50
    assert pop.counts.loc["A", ("65_69", "F")] == 0  # unlisted cells are zero, not missing
    assert pop.array.shape == (3, 20, 2)
    assert pop.practices.loc["C", "consortium"] == "S"
    assert pop.practices.loc["C", "commissioner"] == "ALL"  # default commissioner
    # mean age of A: (100 × 2.5 + 50 × 67.5) / 150 = 24.1667
    assert pop.practices.loc["A", "mean_age"] == pytest.approx(3625 / 150)


def test_counts_by_level_and_subset():
    pop = Population.from_frame(tidy())
    by_cons = pop.counts_by("consortium")
    assert by_cons.sum(axis=1).to_dict() == {"N": 230, "S": 7}
    assert pop.units("consortium").to_dict() == {"A": "N", "B": "N", "C": "S"}
    assert pop.subset(consortium="S").codes.tolist() == ["C"]
    assert pop.subset(["A", "C"]).n_practices == 2


def test_round_trip_through_tidy_frame():
    pop = example_population()
    assert Population.from_frame(pop.to_frame()) == pop


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        # one check of counts (validation.whole_counts), one wording
        ({"patients": [100, -1, 80, 7]}, "counts must be >= 0, not negative; 'A' has -1"),
        ({"patients": [100, 2.5, 80, 7]}, "counts must be whole numbers; 'A' has 2.5"),
        ({"patients": [100, np.nan, 80, 7]}, "missing or not a number.*'A'"),
        ({"age_band": ["0_4", "65-69", "65_69", "95+"]}, "unknown age_band '65-69'"),
        ({"sex": ["F", "X", "F", "M"]}, "unknown sex 'X'"),
        ({"consortium": ["N", "N", None, "S"]}, "'consortium' is missing in row"),
        ({"consortium": ["N", "S", "N", "S"]}, "'A' belong to more than one consortium"),
        # a blank code is not a practice; two spellings of one code are not two practices
        ({"practice": ["A", "A", " ", "C"]}, r"column 'practice' is blank in row\(s\) 2"),
        ({"consortium": ["N", "N", "", "S"]}, r"column 'consortium' is blank in row\(s\) 2"),
        ({"practice": ["A", "A", "a", "C"]}, r"practice codes 'A', 'a' differ only in case"),
        # a cost index is one number > 0 per practice
        ({"cost_index": [1.1, 1.1, np.nan, 0.9]}, r"cost_index missing or not a number in "
                                                  r"row\(s\) 2"),
        ({"cost_index": [1.1, 1.2, 1.0, 0.9]}, r"cost_index differs between the rows of "
                                               r"practice\(s\) 'A'"),
        ({"cost_index": [1.1, 1.1, 0.0, 0.9]}, r"cost_index: must be > 0"),
    ],
)
def test_bad_input_names_the_culprit(overrides, match):
    with pytest.raises(ValidationError, match=match):
        Population.from_frame(tidy(**overrides))


def test_an_empty_frame_is_not_a_population():
    with pytest.raises(ValidationError, match="the frame has no rows"):
        Population.from_frame(tidy().iloc[:0])


def test_cost_index_column_is_read_per_practice():
    pop = Population.from_frame(tidy(cost_index=[1.25, 1.25, 0.8, 1.0]))
    assert pop.cost_index.to_dict() == {"A": 1.25, "B": 0.8, "C": 1.0}
    # A's patients cost 1.25 times as much: the risk engine's multiplier per practice
    assert pop.cost_factor().tolist() == [1.25, 0.8, 1.0]
    assert Population.from_frame(tidy()).cost_index is None      # no column, no index


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=40, max_size=40),
       st.lists(st.integers(0, 3), min_size=40, max_size=40),
       st.one_of(st.none(), st.lists(st.floats(0.5, 2.0), min_size=2, max_size=2)))
def test_tidy_frame_round_trip_keeps_everything(first, second, index):
    """Also a practice with no patients and the cost index, which to_frame used to drop."""
    from pbcmodel.codes import CELLS

    codes = pd.Index(["A", "B"], name="practice", dtype=object)     # as from_frame makes them
    counts = pd.DataFrame([first, second], index=codes, columns=CELLS, dtype=np.int64)
    hierarchy = pd.DataFrame({"consortium": ["N", "S"], "commissioner": ["X", "X"]},
                             index=codes, dtype=object)
    pop = Population(counts=counts, hierarchy=hierarchy,
                     cost_index=None if index is None else pd.Series(index, index=counts.index))
    back = Population.from_frame(pop.to_frame())
    assert back == pop and back.codes.tolist() == ["A", "B"]


def test_duplicate_rows_rejected():
    df = pd.concat([tidy(), tidy().iloc[[0]]], ignore_index=True)
    with pytest.raises(ValidationError, match=r"duplicate rows .*'A', '0_4', 'F'"):
        Population.from_frame(df)


def test_missing_column_and_bad_level():
    with pytest.raises(ValidationError, match="missing column.*'patients'"):
        Population.from_frame(tidy().drop(columns="patients"))
    with pytest.raises(ValidationError, match="by: must be one of"):
        Population.from_frame(tidy()).counts_by("region")
    with pytest.raises(ValidationError, match="unknown practice code.*'Z'"):
        Population.from_frame(tidy()).subset(["Z"])


def test_repr_and_html():
    pop = example_population()
    assert "60 practices" in repr(pop)
    assert "<table" in pop._repr_html_()
