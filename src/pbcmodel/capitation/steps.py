"""The pure steps of a capitation formula, each a function over per-practice tables.

1. :func:`weighted_population` — patients × age-sex cost weights, per point of delivery (POD);
2. needs index and market forces factor (MFF) multipliers (:func:`adjust`);
3. top-slices held back from the resource (:func:`devolved_resource`);
4. :func:`fair_shares` — the devolved resource split in proportion to adjusted need;
5. optional experience rating: each fair share moved towards the practice's own spend
   history by its credibility (:class:`pbcmodel.credibility.ExperienceRating`, the
   formula's ``experience`` step; its rule lives in :mod:`pbcmodel.credibility`);
6. optional :func:`blend` with historic budgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import money
from ..codes import CELLS
from ..errors import ValidationError
from ..glossary import in_words
from ..population import Population
from ..validation import (
    check_fraction,
    check_positive,
    finite_scalar,
    finite_series,
    quoted,
    require_same_codes,
)

__all__ = ["MAX_MULTIPLIER", "MAX_WEIGHT", "adjust", "blend", "check_multiplier",
           "check_weights", "devolved_resource", "fair_shares", "per_practice",
           "top_slice_rows", "weighted_population"]

#: Largest cost weight, in pounds per head per POD: the most one practice's budget can be
#: (:data:`pbcmodel.money.MAX_PENCE`, £9,223,372,036.85). No real weight is near it (an
#: average cost per head is thousands of pounds); beyond it weighted lists overflow.
MAX_WEIGHT = money.MAX_PENCE / 100

#: Largest needs index or market forces factor (MFF): 100 times the average. Real indices
#: are far inside it (NHS England's practice need indices run from about 0.06 to 16 for
#: every component; MFFs from about 0.9 to 1.3); 1e308 is a typo that overflows budgets.
MAX_MULTIPLIER = 100.0

# --------------------------------------------------------------------------- pure steps
def check_weights(weights: pd.DataFrame) -> pd.DataFrame:
    """Validate age-sex cost weights and return them in standard row order.

    Parameters
    ----------
    weights : DataFrame
        Index (age_band, sex) covering every cell; one column per POD; pounds per head,
        finite, non-negative and at most :data:`MAX_WEIGHT`. A tidy frame with columns
        age_band, sex and the PODs is accepted too.

    Examples
    --------
    >>> from pbcmodel.datasets import example_cost_weights
    >>> check_weights(example_cost_weights()).shape
    (40, 7)
    """
    if not isinstance(weights, pd.DataFrame):
        raise ValidationError(f"weights: expected a DataFrame, got {type(weights).__name__}")
    if {"age_band", "sex"} <= set(weights.columns):
        weights = weights.set_index(["age_band", "sex"])
    if weights.index.nlevels != 2:
        raise ValidationError("weights: index must be (age_band, sex)")
    weights = weights.copy()
    weights.index = weights.index.set_names(["age_band", "sex"])
    if weights.index.has_duplicates:
        raise ValidationError(
            f"weights: duplicate rows {quoted(weights.index[weights.index.duplicated()])}"
        )
    missing = CELLS.difference(weights.index)
    if len(missing):
        raise ValidationError(f"weights: missing age_band/sex cell(s) {quoted(missing)}")
    extra = weights.index.difference(CELLS)
    if len(extra):
        raise ValidationError(f"weights: unknown age_band/sex cell(s) {quoted(extra)}")
    if weights.shape[1] == 0:
        raise ValidationError("weights: no POD columns")
    weights = weights.reindex(CELLS)
    try:
        values = weights.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError("weights: values must be numbers (pounds per head)") from exc
    bad = ~np.isfinite(values) | (values < 0) | (values > MAX_WEIGHT)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValidationError(
            f"weights: value for {weights.index[r]} / {weights.columns[c]!r} must be a finite "
            f"number of pounds per head >= 0 and at most £{MAX_WEIGHT:,.2f} (the most one "
            f"practice's budget can be), got {float(values[r, c])!r}"
        )
    weights.columns = pd.Index([str(c) for c in weights.columns], name="pod")
    return weights.astype(float)


def weighted_population(pop: Population, weights: pd.DataFrame) -> pd.DataFrame:
    """Expected cost at the weights' prices: patients × weight, per practice × POD (pounds).

    Examples
    --------
    >>> import pandas as pd
    >>> from pbcmodel import Population
    >>> from pbcmodel.datasets import example_cost_weights
    >>> pop = Population.from_frame(pd.DataFrame({"practice": ["A"], "consortium": ["C"],
    ...     "age_band": ["0_4"], "sex": ["F"], "patients": [10]}))
    >>> w = example_cost_weights()
    >>> float(weighted_population(pop, w).loc["A"].sum()) - 10 * float(w.loc[("0_4", "F")].sum())
    0.0
    """
    weights = check_weights(weights)
    values = pop.counts.to_numpy(dtype=float) @ weights.to_numpy()
    # weights <= MAX_WEIGHT and counts <= MAX_COUNT keep every product finite; checked
    # all the same, since a budget is never computed from an infinite weighted list
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValidationError(f"weights: the weighted list of practice {pop.codes[r]!r} for "
                              f"{weights.columns[c]!r} is too large to compute (patients × "
                              "pounds per head overflows); check the weights' units")
    return pd.DataFrame(values, index=pop.codes, columns=weights.columns)


def _multiplier_range(name: str) -> str:
    return (f"{name}: must be a multiplier > 0 and at most {MAX_MULTIPLIER:g} (1 is the "
            "average)")


def check_multiplier(value: Any, name: str) -> float:
    """A needs index or MFF for every practice: a finite number > 0, at most
    :data:`MAX_MULTIPLIER`.

    Examples
    --------
    >>> check_multiplier(1.05, "mff")
    1.05
    >>> check_multiplier(1e308, "needs")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: needs: must be a multiplier > 0 and at most 100 (1 is \
the average), got 1e+308
    """
    v = finite_scalar(value, name)
    if not 0 < v <= MAX_MULTIPLIER:
        raise ValidationError(f"{_multiplier_range(name)}, got {value!r}")
    return v


def per_practice(values: Any, codes: pd.Index, name: str) -> np.ndarray:
    """A multiplier per practice (> 0, at most :data:`MAX_MULTIPLIER`): a scalar, or a
    Series covering every code.

    Examples
    --------
    >>> import pandas as pd
    >>> codes = pd.Index(["A", "B"])
    >>> per_practice(pd.Series({"B": 0.9, "A": 1.1}), codes, "needs").tolist()
    [1.1, 0.9]
    >>> per_practice(pd.Series({"A": 1.1, "B": 1e300}), codes, "needs")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: needs: must be a multiplier > 0 and at most 100 (1 is \
the average); practice(s) 'B' have 1e+300
    """
    if np.isscalar(values):
        return np.full(len(codes), check_multiplier(values, name))
    s = finite_series(values, name)
    require_same_codes(codes, s.index, name)
    arr = s.reindex(codes).to_numpy()
    bad = (arr <= 0) | (arr > MAX_MULTIPLIER)
    if bad.any():
        raise ValidationError(f"{_multiplier_range(name)}; practice(s) {quoted(codes[bad])} "
                              f"have {quoted(arr[bad].tolist())}")
    return arr


def adjust(weighted: pd.DataFrame, needs: Any = 1.0, mff: Any = 1.0) -> pd.DataFrame:
    """Multiply weighted population by a needs index and a market forces factor per practice.

    Examples
    --------
    >>> import pandas as pd
    >>> w = pd.DataFrame({"elective": [100.0, 100.0]}, index=["A", "B"])
    >>> adjust(w, needs=pd.Series({"A": 1.1, "B": 0.9}), mff=1.05)["elective"].round(2).tolist()
    [115.5, 94.5]
    """
    codes = weighted.index
    factor = per_practice(needs, codes, "needs") * per_practice(mff, codes, "mff")
    return weighted.mul(factor, axis=0)


def devolved_resource(resource: float, top_slices: Mapping[str, float]) -> tuple[float, dict]:
    """Resource left to devolve after the named top-slices, and each slice in pounds.

    Examples
    --------
    >>> devolved_resource(1_000_000, {"contingency": 0.01, "high_cost_pool": 0.02})
    (970000.0, {'contingency': 10000.0, 'high_cost_pool': 20000.0})
    """
    total = check_positive(resource, "resource")
    slices = {name: check_fraction(f, f"top_slices[{name!r}]") for name, f in top_slices.items()}
    if sum(slices.values()) >= 1:
        raise ValidationError(
            f"top_slices: fractions sum to {sum(slices.values()):g}; they must sum to less than 1"
        )
    held = {name: total * f for name, f in slices.items()}
    return total - sum(held.values()), held


def fair_shares(adjusted: pd.DataFrame, devolved: float) -> pd.DataFrame:
    """Split ``devolved`` pounds in proportion to adjusted need (practice × POD).

    Examples
    --------
    >>> import pandas as pd
    >>> need = pd.DataFrame({"ae": [1.0, 3.0]}, index=["A", "B"])
    >>> fair_shares(need, 400.0)["ae"].tolist()
    [100.0, 300.0]
    """
    total = adjusted.to_numpy().sum()
    if not total > 0:
        raise ValidationError("population: total weighted need is zero; no patients to fund")
    return adjusted * (devolved / total)


def blend(target: pd.Series, historic: pd.Series, historic_weight: float) -> pd.Series:
    """Move part-way from target towards historic: ``(1 − w)·target + w·historic·(T/H)``.

    Historic budgets are first rescaled to the target total ``T`` so that the blend keeps it.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.Series({"A": 60.0, "B": 40.0}); h = pd.Series({"A": 40.0, "B": 40.0})
    >>> blend(t, h, 0.5).tolist()   # historic rescaled to 50/50, then halfway
    [55.0, 45.0]
    """
    w = check_fraction(historic_weight, "historic_blend")
    rescaled = historic * (target.sum() / historic.sum())
    return (1 - w) * target + w * rescaled


def top_slice_rows(share: float, held: Mapping[str, float]) -> list[tuple[str, str, str, float,
                                                                          float]]:
    """The rows of a budget's explanation for the top-slices: the practice's share of each
    amount held back, named in words (:func:`pbcmodel.glossary.in_words`).

    Examples
    --------
    >>> (kind, step, description, value, amount), = top_slice_rows(0.01, {"high_cost_pool": 2e6})
    >>> step, description, amount
    ('top-slice: high-cost patient pool', 'share × £2,000,000.00 held back', -20000.0)
    """
    return [("adjustment", f"top-slice: {in_words(name)}", f"share × £{amount:,.2f} held back",
             -share * amount, -share * amount) for name, amount in held.items()]

