"""Tests for pbcmodel.incentives: per-head payments in pence and the 2006/07 DES preset."""

from __future__ import annotations

import json

import cattrs
import numpy as np
import pytest

from pbcmodel.errors import ValidationError
from pbcmodel.incentives import Incentives, des_2006


def test_des_2006_components():
    inc = des_2006()
    assert (inc.per_head, inc.plan_per_head, inc.reduce_by_freed_up) == (0.95, 0.95, True)
    # list 10,000: sign-up 0.95 × 10,000 = £9,500; plan met, £2,000 freed-up:
    # max(0, 9,500 − 2,000) = £7,500
    s, p = inc.amounts_pence(10_000, plan_met=True, freed_up_pence=200_000)
    assert (int(s), int(p)) == (950_000, 750_000)


def test_des_2006_plan_component_floored_at_zero_and_withheld_when_missed():
    s, p = des_2006().amounts_pence([10_000, 10_000], plan_met=[True, False],
                                    freed_up_pence=[2_000_000, 0])
    # freed-up £20,000 > £9,500 → 0; targets missed → 0; sign-up paid regardless
    assert s.tolist() == [950_000, 950_000] and p.tolist() == [0, 0]


def test_without_reduction_freed_up_is_ignored():
    inc = Incentives(per_head=0.0, plan_per_head=1.0)
    _, p = inc.amounts_pence(100, plan_met=True, freed_up_pence=5_000)
    assert int(p) == 10_000                      # £1 × 100 patients


def test_pence_rounding():
    # £0.95 × 3 patients = £2.85 exactly 285 pence; £0.333 × 10 = 333 pence
    s, _ = Incentives(per_head=0.95).amounts_pence(3)
    assert int(s) == 285
    s, _ = Incentives(per_head=0.333).amounts_pence(10)
    assert int(s) == 333


def test_broadcast_over_simulations():
    s, p = des_2006().amounts_pence(np.array([1000, 2000]), plan_met=True,
                                    freed_up_pence=np.array([[0, 0], [95_000, 0]]))
    assert s.shape == p.shape == (2, 2)
    assert p.tolist() == [[95_000, 190_000], [0, 190_000]]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"per_head": -1}, "per_head"), ({"plan_per_head": np.inf}, "plan_per_head"),
    ({"plan_condition": ""}, "plan_condition"),
])
def test_bad_incentives_rejected(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        Incentives(**kwargs)


def test_bad_amount_inputs_rejected():
    with pytest.raises(ValidationError, match="list_size"):
        des_2006().amounts_pence(-5)
    with pytest.raises(ValidationError, match="list_size"):
        des_2006().amounts_pence(np.nan)
    with pytest.raises(ValidationError, match="plan_achieved.*True/False"):
        des_2006().amounts_pence(10, plan_met=1.0)


def test_round_trip_and_evolve():
    inc = des_2006().evolve(plan_condition="targets_met")
    conv = cattrs.Converter(forbid_extra_keys=True)
    assert conv.structure(json.loads(json.dumps(conv.unstructure(inc))), Incentives) == inc
    assert inc.needs_plan_condition and not Incentives(per_head=1.9).needs_plan_condition
