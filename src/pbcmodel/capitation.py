"""Capitation: from registered patients to a fair-share budget per practice and POD.

The steps, each a pure function, are composed by :class:`CapitationFormula`:

1. :func:`weighted_population` — patients × age-sex cost weights, per point of delivery (POD);
2. needs index and market forces factor (MFF) multipliers (:func:`adjust`);
3. top-slices held back from the resource (:func:`devolved_resource`);
4. :func:`fair_shares` — the devolved resource split in proportion to adjusted need;
5. optional :func:`blend` with historic budgets, then :func:`pace_of_change` limits.

Examples
--------
>>> import pbcmodel as pbc
>>> pop = pbc.datasets.example_population()
>>> formula = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
...                                 top_slices={"contingency": 0.01})
>>> budgets = formula.budgets(pop, resource=500e6)
>>> round(budgets["total"].sum())
495000000
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd
from scipy import optimize

from ._validate import (
    _labels,
    check_fraction,
    check_positive,
    finite_series,
    non_negative,
    require_same_codes,
)
from .codes import AGE_BANDS, SEXES
from .errors import ValidationError
from .population import Population

__all__ = [
    "CapitationFormula",
    "PaceOfChange",
    "adjust",
    "blend",
    "check_weights",
    "devolved_resource",
    "fair_shares",
    "pace_of_change",
    "weighted_population",
]

_CELLS = pd.MultiIndex.from_product([AGE_BANDS, SEXES], names=["age_band", "sex"])


# --------------------------------------------------------------------------- pure steps
def check_weights(weights: pd.DataFrame) -> pd.DataFrame:
    """Validate age-sex cost weights and return them in standard row order.

    Parameters
    ----------
    weights : DataFrame
        Index (age_band, sex) covering every cell; one column per POD; pounds per head,
        finite and non-negative. A tidy frame with columns age_band, sex and the PODs
        is accepted too.

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
            f"weights: duplicate rows {_labels(weights.index[weights.index.duplicated()])}"
        )
    missing = _CELLS.difference(weights.index)
    if len(missing):
        raise ValidationError(f"weights: missing age_band/sex cell(s) {_labels(missing)}")
    extra = weights.index.difference(_CELLS)
    if len(extra):
        raise ValidationError(f"weights: unknown age_band/sex cell(s) {_labels(extra)}")
    if weights.shape[1] == 0:
        raise ValidationError("weights: no POD columns")
    weights = weights.reindex(_CELLS)
    try:
        values = weights.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError("weights: values must be numbers (pounds per head)") from exc
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValidationError(
            f"weights: value for {weights.index[r]} / {weights.columns[c]!r} must be a finite "
            f"number >= 0, got {values[r, c]!r}"
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
    return pd.DataFrame(values, index=pop.codes, columns=weights.columns)


def _per_practice(values: Any, codes: pd.Index, name: str) -> np.ndarray:
    """A positive multiplier per practice: a scalar, or a Series covering every code."""
    if np.isscalar(values):
        return np.full(len(codes), check_positive(values, name))
    s = finite_series(values, name)
    require_same_codes(codes, s.index, name)
    arr = s.reindex(codes).to_numpy()
    if (arr <= 0).any():
        raise ValidationError(f"{name}: must be > 0; practice(s) {_labels(codes[arr <= 0])}")
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
    factor = _per_practice(needs, codes, "needs") * _per_practice(mff, codes, "mff")
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


def pace_of_change(historic: pd.Series, target: pd.Series, max_gain: float, max_loss: float,
                   *, rescale: bool = True) -> pd.Series:
    """Move budgets from historic towards target, limiting each practice's gain and loss.

    The result totals exactly what ``target`` totals. Each practice's budget lies within
    ``[base·(1 − max_loss), base·(1 + max_gain)]`` where ``base`` is its historic budget
    rescaled to the target total (``rescale=True``, the usual practice: limits apply to
    change relative to the average uplift) or the historic budget itself (``rescale=False``).
    Within the limits, budgets are as close to target as possible: ``budget =
    clip(target + c·base)`` with the one constant ``c`` that restores the total.

    Parameters
    ----------
    historic, target : Series
        Pounds per practice, same index. Historic budgets must be > 0.
    max_gain, max_loss : float
        Largest fractional gain and loss per year (≥ 0; max_loss < 1).
    rescale : bool
        Apply the limits to historic budgets rescaled to the target total.

    Raises
    ------
    ValidationError
        On mismatched practices, non-positive historic budgets, bad limits, or limits that
        cannot reach the target total (only possible with ``rescale=False``).

    Examples
    --------
    A is capped at +5% (wants 110, gets 105), C at −2% (wants 90, gets 98); the 3 pounds
    that costs are found equally from B and D, which are free to move:

    >>> import pandas as pd
    >>> h = pd.Series({"A": 100.0, "B": 100.0, "C": 100.0, "D": 100.0})
    >>> t = pd.Series({"A": 110.0, "B": 100.0, "C": 90.0, "D": 100.0})
    >>> pace_of_change(h, t, max_gain=0.05, max_loss=0.02).round(6).tolist()
    [105.0, 98.5, 98.0, 98.5]
    """
    historic = finite_series(historic, "historic")
    target = finite_series(target, "target")
    if not historic.index.equals(target.index):
        unknown = historic.index.symmetric_difference(target.index)
        raise ValidationError(
            f"historic: practices differ from target: {_labels(unknown)}"
            if len(unknown) else "historic: practices must be in the same order as target"
        )
    gain = check_positive(max_gain, "max_gain", strict=False)
    loss = check_fraction(max_loss, "max_loss", high_open=True)
    h = historic.to_numpy()
    if (h <= 0).any():
        raise ValidationError(
            f"historic: budgets must be > 0; practice(s) {_labels(historic.index[h <= 0])}"
        )
    t = target.to_numpy()
    total = t.sum()
    base = h * (total / h.sum()) if rescale else h
    lo, hi = base * (1 - loss), base * (1 + gain)
    if lo.sum() > total * (1 + 1e-12) or hi.sum() < total * (1 - 1e-12):
        raise ValidationError(
            f"pace_of_change: max_gain={gain:g}/max_loss={loss:g} cannot reach the target total "
            f"{total:,.2f} from historic {h.sum():,.2f}: the limits allow "
            f"{lo.sum():,.2f} to {hi.sum():,.2f}"
        )

    def budget(c: float) -> np.ndarray:
        return np.clip(t + c * base, lo, hi)

    span = np.abs(t).max() / base.min() + 1 + gain + loss
    if hi.sum() <= total:  # limits bind everywhere (within rounding): every budget at its cap
        out = hi.copy()
    elif lo.sum() >= total:
        out = lo.copy()
    else:
        c = optimize.brentq(lambda c: budget(c).sum() - total, -span, span,
                            xtol=1e-15, rtol=1e-15)
        out = budget(c)
    free = (out > lo) & (out < hi)
    if not free.any():
        free[:] = True
    # spread the last rounding error over budgets not at a limit
    out[free] += (total - out.sum()) * base[free] / base[free].sum()
    return pd.Series(out, index=target.index, name=target.name)


# --------------------------------------------------------------------------- composition
@attrs.frozen
class PaceOfChange:
    """Limits on how fast budgets move from historic towards target.

    Examples
    --------
    >>> PaceOfChange(max_gain=0.05, max_loss=0.02)
    PaceOfChange(max_gain=0.05, max_loss=0.02, rescale=True)
    """

    max_gain: float = attrs.field(converter=float, validator=non_negative)
    max_loss: float = attrs.field(converter=float, validator=non_negative)
    rescale: bool = True

    def __attrs_post_init__(self) -> None:
        check_fraction(self.max_loss, "max_loss", high_open=True)

    def apply(self, historic: pd.Series, target: pd.Series) -> pd.Series:
        """:func:`pace_of_change` with these limits."""
        return pace_of_change(historic, target, self.max_gain, self.max_loss,
                              rescale=self.rescale)


def _frame_equal(a: Any, b: Any) -> bool:
    if isinstance(a, (pd.DataFrame, pd.Series)) or isinstance(b, (pd.DataFrame, pd.Series)):
        return type(a) is type(b) and a.equals(b)
    return bool(a == b)


def _weights_converter(weights: pd.DataFrame) -> pd.DataFrame:
    return check_weights(weights)


def _multiplier_converter(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return value.astype(float)
    if isinstance(value, Mapping):
        return pd.Series(value, dtype=float)
    return float(value)


def _top_slices_converter(value: Mapping[str, float]) -> dict[str, float]:
    return {str(k): float(v) for k, v in dict(value).items()}


def _validate_top_slices(instance: Any, attribute: Any, value: dict[str, float]) -> None:
    devolved_resource(1.0, value)


def _validate_multiplier(instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, pd.Series):
        _per_practice(value, value.index, attribute.name)
    else:
        check_positive(value, attribute.name)


@attrs.frozen
class CapitationFormula:
    """How a commissioner turns its resource into practice budgets.

    Parameters
    ----------
    weights : DataFrame
        Age-sex cost weights, pounds per head, index (age_band, sex), one column per POD.
    top_slices : dict of str to float
        Named fractions of the resource held back (reserves, high-cost pool, contingency).
    pace : PaceOfChange, optional
        Limits on the move from historic budgets; used only when historic budgets are given.
    needs, mff : float or Series
        Needs index and market forces factor per practice (default 1).
    historic_blend : float
        Weight on (rescaled) historic budgets in the target, 0 = pure fair share.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> f = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
    ...                           pace=pbc.PaceOfChange(max_gain=0.05, max_loss=0.02))
    >>> b = f.budgets(pbc.datasets.example_population(), resource=510e6,
    ...               historic=pbc.datasets.example_historic_budgets())
    >>> round(b["total"].sum())
    510000000
    """

    weights: pd.DataFrame = attrs.field(converter=_weights_converter,
                                        eq=attrs.cmp_using(eq=_frame_equal))
    top_slices: dict[str, float] = attrs.field(factory=dict, converter=_top_slices_converter,
                                               validator=_validate_top_slices)
    pace: PaceOfChange | None = None
    needs: Any = attrs.field(default=1.0, converter=_multiplier_converter,
                             validator=_validate_multiplier, eq=attrs.cmp_using(eq=_frame_equal))
    mff: Any = attrs.field(default=1.0, converter=_multiplier_converter,
                           validator=_validate_multiplier, eq=attrs.cmp_using(eq=_frame_equal))
    historic_blend: float = attrs.field(default=0.0, converter=float)

    def __attrs_post_init__(self) -> None:
        check_fraction(self.historic_blend, "historic_blend")

    def evolve(self, **changes: Any) -> CapitationFormula:
        """A copy with some fields changed (:func:`attrs.evolve`)."""
        return attrs.evolve(self, **changes)

    def describe(self) -> list[str]:
        """The formula in words, one line per choice.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> f = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
        ...                           top_slices={"contingency": 0.01})
        >>> f.describe()[1]
        'top-slices: contingency 1.0%'
        """
        def multiplier(value: Any, name: str) -> str:
            if isinstance(value, pd.Series):
                return f"{name} per practice ({value.min():.3g} to {value.max():.3g})"
            return f"{name} {value:g} for every practice"

        slices = ", ".join(f"{k} {v:.1%}" for k, v in self.top_slices.items())
        pace = (f"pace of change: gain at most {self.pace.max_gain:.1%}, loss at most "
                f"{self.pace.max_loss:.1%} a year" if self.pace else
                "pace of change: none (budgets go straight to target)")
        return [
            f"age-sex cost weights for {self.weights.shape[1]} PODs "
            f"({', '.join(self.weights.columns)})",
            "top-slices: " + (slices or "none"),
            multiplier(self.needs, "needs index") + "; " + multiplier(self.mff, "MFF"),
            pace + (f"; {self.historic_blend:.0%} weight on historic budgets"
                    if self.historic_blend else ""),
        ]

    def _repr_html_(self) -> str:
        from ._html import summary_html

        per_head = self.weights.sum(axis=1).unstack("sex").reindex(
            [b for b in self.weights.index.get_level_values("age_band").unique()])
        per_head.columns.name = "£ per head"
        return summary_html("CapitationFormula", per_head, self.describe())

    # the steps -----------------------------------------------------------------------------
    def targets(self, pop: Population, resource: float) -> pd.DataFrame:
        """Fair-share targets, practice × POD, in pounds (no historic budgets involved)."""
        adjusted = adjust(weighted_population(pop, self.weights), self.needs, self.mff)
        devolved, _ = devolved_resource(resource, self.top_slices)
        return fair_shares(adjusted, devolved)

    def budgets(self, pop: Population, resource: float,
                historic: pd.DataFrame | pd.Series | None = None) -> pd.DataFrame:
        """Budgets per practice × POD plus a ``total`` column, in pounds.

        Without ``historic`` the budgets are the fair-share targets. With historic budgets
        (per practice, or practice × POD to be summed), the practice totals are blended
        (``historic_blend``) and moved under :attr:`pace`; each practice's total is then
        split across PODs in its target proportions. Budgets always total the resource less
        top-slices.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> f = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights())
        >>> b = f.budgets(pbc.datasets.example_population(), resource=510e6)
        >>> list(b.columns)[-2:]
        ['community', 'total']
        """
        target = self.targets(pop, resource)
        total = self._final_totals(target, historic, pop)
        pod_mix = target.div(target.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(
            1.0 / target.shape[1])
        out = pod_mix.mul(total, axis=0)
        out["total"] = total
        out.columns.name = None
        return out

    def _historic_totals(self, historic: pd.DataFrame | pd.Series, pop: Population) -> pd.Series:
        h = historic.sum(axis=1) if isinstance(historic, pd.DataFrame) else historic
        h = finite_series(h, "historic")
        require_same_codes(pop.codes, h.index, "historic")
        return h.reindex(pop.codes)

    def _final_totals(self, target: pd.DataFrame, historic: Any, pop: Population) -> pd.Series:
        t = target.sum(axis=1).rename("total")
        if historic is None:
            return t
        h = self._historic_totals(historic, pop)
        blended = blend(t, h, self.historic_blend)
        if self.pace is None:
            return blended
        return self.pace.apply(h, blended)

    def explain(self, pop: Population, practice: str, resource: float,
                historic: pd.DataFrame | pd.Series | None = None) -> pd.DataFrame:
        """The derivation of one practice's budget, step by step.

        Returns a DataFrame with columns ``step``, ``description``, ``value`` (the quantity
        at that step: patients, weighted pounds, an index, or money) and ``amount`` (pounds
        contributed to the budget). The ``amount`` of the rows whose ``kind`` is
        ``"adjustment"`` add up exactly to the final budget.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> f = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
        ...                           top_slices={"contingency": 0.01})
        >>> e = f.explain(pbc.datasets.example_population(), "P001", resource=510e6)
        >>> bool(abs(e.loc[e.kind == "adjustment", "amount"].sum() - e.amount.iloc[-1]) < 1e-6)
        True
        """
        if practice not in pop.codes:
            raise ValidationError(f"practice: unknown practice code {practice!r}")
        i = pop.codes.get_loc(practice)
        weighted = weighted_population(pop, self.weights)
        adjusted = adjust(weighted, self.needs, self.mff)
        resource = check_positive(resource, "resource")
        devolved, held = devolved_resource(resource, self.top_slices)
        share = adjusted.iloc[i].sum() / adjusted.to_numpy().sum()
        target = fair_shares(adjusted, devolved).iloc[i].sum()
        budgets = self.budgets(pop, resource, historic)
        final = budgets["total"].iloc[i]
        list_size = int(pop.list_size.iloc[i])
        w = weighted.iloc[i].sum()
        needs = _per_practice(self.needs, pop.codes, "needs")[i]
        mff = _per_practice(self.mff, pop.codes, "mff")[i]
        rows: list[tuple[str, str, str, float, float]] = [
            ("input", "list size", "registered patients", list_size, np.nan),
            ("input", "weighted list",
             "patients × age-sex cost weights (£ at national prices)", w, np.nan),
            ("input", "per head", "weighted list ÷ list size (£)",
             w / list_size if list_size else np.nan, np.nan),
            ("input", "needs index", "multiplier for additional need", needs, np.nan),
            ("input", "market forces factor", "multiplier for unavoidable local cost", mff,
             np.nan),
            ("input", "share of need", "adjusted weighted list ÷ commissioner total", share,
             np.nan),
            ("adjustment", "share of resource", f"share × resource £{resource:,.2f}",
             share * resource, share * resource),
        ]
        for name, amount in held.items():
            rows.append(("adjustment", f"top-slice: {name}",
                         f"share × £{amount:,.2f} held back", -share * amount, -share * amount))
        rows.append(("subtotal", "fair-share target", "share of the devolved resource",
                     target, np.nan))
        if historic is not None:
            h_total = self._historic_totals(historic, pop)
            h = h_total.iloc[i]
            targets = fair_shares(adjusted, devolved).sum(axis=1)
            blended = blend(targets, h_total, self.historic_blend).iloc[i]
            rows.append(("input", "historic budget", "last year's budget", h, np.nan))
            if self.historic_blend:
                rows.append(("adjustment", "blend with historic",
                             f"{self.historic_blend:.0%} weight on rescaled historic budget",
                             blended - target, blended - target))
            rows.append(("adjustment", "pace-of-change adjustment",
                         _pace_text(self.pace), final - blended, final - blended))
        rows.append(("result", "final budget", "budget for the year", final, final))
        out = pd.DataFrame(rows, columns=["kind", "step", "description", "value", "amount"])
        return out[["step", "description", "value", "amount", "kind"]]


def _pace_text(pace: PaceOfChange | None) -> str:
    if pace is None:
        return "no pace-of-change limits: target budget applies"
    return (f"limits: gain at most {pace.max_gain:.1%}, loss at most {pace.max_loss:.1%} "
            "a year, total kept")
