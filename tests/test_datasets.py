import numpy as np
import pytest

from pbcmodel import ValidationError, datasets
from pbcmodel.codes import PODS


def test_example_population_shape():
    pop = datasets.example_population()
    sizes = pop.list_size
    assert pop.n_practices == 60
    assert pop.hierarchy["consortium"].nunique() == 4
    assert pop.hierarchy["commissioner"].nunique() == 1
    assert sizes.min() == 1500 and sizes.max() == 25000
    # contrasting age profiles: oldest practice has at least three times the share aged 65+
    share = pop.practices["share_65_plus"]
    assert share.max() > 3 * share.min()


def test_example_cost_weights_j_shape_and_level():
    w = datasets.example_cost_weights()
    assert list(w.columns) == list(PODS)
    per_head = w.sum(axis=1).xs("F", level="sex").to_numpy()
    # J shape: infants cost more than 5-9s, then costs rise monotonically after age 10
    assert per_head[0] > per_head[1]
    assert np.all(np.diff(per_head[2:]) > 0)
    pop = datasets.example_population()
    avg = (pop.counts.to_numpy() @ w.to_numpy()).sum() / pop.list_size.sum()
    assert avg == pytest.approx(1000, rel=0.01)


def test_historic_budgets_cover_example():
    h = datasets.example_historic_budgets()
    assert h.index.equals(datasets.example_population().codes)
    assert (h.to_numpy() > 0).all()


def test_synthetic_commissioner_national_scale_and_reproducible():
    pop = datasets.synthetic_commissioner(8000, seed=3)
    total = pop.list_size.sum()
    assert 50e6 < total < 70e6
    again = datasets.synthetic_commissioner(8000, seed=3)
    assert again == pop
    other = datasets.synthetic_commissioner(50, seed=5)
    assert datasets.synthetic_commissioner(50, seed=4) != other


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_synthetic_commissioner_bad_size(bad):
    with pytest.raises(ValidationError, match="n_practices"):
        datasets.synthetic_commissioner(bad)
