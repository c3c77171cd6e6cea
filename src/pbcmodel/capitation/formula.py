"""The capitation formula: from registered patients to a budget per practice and POD.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import attrs
import numpy as np
import pandas as pd

from .. import money
from ..credibility import ExperienceRating
from ..errors import ValidationError
from ..html_tables import summary_html
from ..labelled import LabelledFrame, labelled
from ..population import Population
from ..validation import (
    FrozenDict,
    check_fraction,
    check_positive,
    frames_equal,
    number,
    own_copy,
    practice_totals,
    quoted,
    read_view,
    require_same_codes,
)
from .pace import PaceOfChange, pace_text
from .steps import (
    adjust,
    blend,
    check_multiplier,
    check_weights,
    devolved_resource,
    fair_shares,
    per_practice,
    top_slice_rows,
    weighted_population,
)

__all__ = ["CapitationFormula", "explanation"]

#: The unit of an input step's ``value`` in :meth:`CapitationFormula.explain` (the values
#: of the other steps are money; a step not named here is an index).
EXPLAIN_UNITS: dict[str, str] = {
    "list size": "patients", "weighted list": "£", "per head": "£ per registered patient",
    "share of need": "%", "historic budget": "£",
}


def explanation(frame: pd.DataFrame, practice: str) -> LabelledFrame:
    """A budget's derivation (:meth:`CapitationFormula.explain`) as it is read: printed
    whole, each step's ``value`` in its unit (:data:`EXPLAIN_UNITS` for the inputs, an index
    for the others among them, pounds for money steps), ``amount`` in pounds and blank for
    the inputs. The data are left as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> e = explanation(pd.DataFrame({
    ...     "step": ["list size", "needs index", "final budget"],
    ...     "description": ["registered patients", "multiplier for additional need",
    ...                     "budget for the year"],
    ...     "value": [2000.0, 1.0512, 1.9e6], "amount": [float("nan"), float("nan"), 1.9e6],
    ...     "kind": ["input", "input", "result"]}), "P001")
    >>> print(e)
    How practice P001's budget is set, £ for the year
      Step         Description                         Value     Amount Kind of step
    0 list size    registered patients                 2,000            input
    1 needs index  multiplier for additional need      1.051            input
    2 final budget budget for the year            £1,900,000 £1,900,000 result
    """
    units = tuple(EXPLAIN_UNITS.get(step, "ratio") if kind in ("input", "risk") else "£"
                  for step, kind in zip(frame["step"], frame["kind"], strict=True))
    return labelled(frame, {"value": units}, labels={"value": "Value"}, blank=("amount",),
                    title=f"How practice {practice}'s budget is set, £ for the year")


def _weights_converter(weights: pd.DataFrame) -> pd.DataFrame:
    return check_weights(weights)


def _multiplier(value: Any, name: str) -> Any:
    """A needs index or MFF: one number for every practice, or a Series (or mapping) of them."""
    if isinstance(value, Mapping):
        value = pd.Series({k: number(v, f"{name}[{k!r}]") for k, v in value.items()},
                          dtype=float)
    if isinstance(value, pd.Series):
        per_practice(value, value.index, name)
        return own_copy(value.astype(float))
    return number(value, name)


def _top_slices_converter(value: Any) -> Mapping[str, float]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"top_slices: expected a mapping of name → fraction of the "
                              f"resource, got {type(value).__name__}")
    return FrozenDict({str(k): number(v, f"top_slices[{k!r}]") for k, v in value.items()})


def _validate_top_slices(instance: Any, attribute: Any, value: dict[str, float]) -> None:
    devolved_resource(1.0, value)


def _validate_multiplier(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, pd.Series):
        check_multiplier(value, attribute.name.lstrip("_"))


def _validate_pace(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, PaceOfChange):
        raise ValidationError(f"pace: expected a PaceOfChange (or None), got "
                              f"{type(value).__name__}")


def _validate_experience(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, ExperienceRating):
        raise ValidationError(f"experience: expected an ExperienceRating (or None), got "
                              f"{type(value).__name__}")


class _Totals(NamedTuple):
    """Each practice's total at every step of :meth:`CapitationFormula.budgets` (pounds)."""

    target: pd.Series                 # fair-share target
    rated: pd.DataFrame | None        # the experience step (credibility_budgets' table)
    experienced: pd.Series            # target after the experience step
    historic: pd.Series | None        # last year's budget
    blended: pd.Series | None         # after the blend with historic budgets
    final: pd.Series                  # after pace of change


#: Largest budget, in pounds, one practice can be given: what settles exactly in pence.
MAX_BUDGET = money.MAX_PENCE / 100


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
        Needs index and market forces factor per practice (default 1): each > 0 and at
        most :data:`~pbcmodel.capitation.steps.MAX_MULTIPLIER` (100 times the average).
    historic_blend : float
        Weight on (rescaled) historic budgets in the target, 0 = pure fair share.
    experience : ExperienceRating, optional
        Experience rating (:class:`pbcmodel.credibility.ExperienceRating`): each practice's
        fair-share target moves a share ``z`` of the way towards its own spend history,
        ``target × (z·ratio + 1 − z)`` with ``ratio`` its actual ÷ formula-expected spend
        relative to the whole commissioner, and all are rescaled so the total is kept
        exactly. The history must list exactly the population's practices (a new practice
        with no years of spend gets ``z = 0``).

    The steps, in order: weighted list → needs and MFF → top-slices → fair shares →
    **experience** → blend with historic budgets → pace of change. Experience comes after
    fair shares because it corrects the *target* (what a practice should get, given what its
    patients are seen to cost), and before the blend and pace of change because those are
    the *transition* from last year's budget: pace of change then limits the move from last
    year's budget to the experience-rated target, as it would to any other target.

    The formula keeps its own copies of ``weights``, ``needs`` and ``mff``: editing the
    frames it was given, or those it hands out, cannot change it.

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

    _weights: pd.DataFrame = attrs.field(converter=_weights_converter,
                                         eq=attrs.cmp_using(eq=frames_equal))
    top_slices: Mapping[str, float] = attrs.field(factory=dict,
                                                  converter=_top_slices_converter,
                                                  validator=_validate_top_slices)
    pace: PaceOfChange | None = attrs.field(default=None, validator=_validate_pace)
    _needs: Any = attrs.field(default=1.0, converter=lambda v: _multiplier(v, "needs"),
                              validator=_validate_multiplier,
                              eq=attrs.cmp_using(eq=frames_equal))
    _mff: Any = attrs.field(default=1.0, converter=lambda v: _multiplier(v, "mff"),
                            validator=_validate_multiplier, eq=attrs.cmp_using(eq=frames_equal))
    historic_blend: float = attrs.field(default=0.0,
                                        converter=lambda v: number(v, "historic_blend"))
    experience: ExperienceRating | None = attrs.field(default=None,
                                                      validator=_validate_experience)

    def __attrs_post_init__(self) -> None:
        check_fraction(self.historic_blend, "historic_blend")

    # the frames it holds (views: writing into one never reaches the formula)
    @property
    def weights(self) -> pd.DataFrame:
        """Age-sex cost weights, (age_band, sex) × POD, pounds per head."""
        return read_view(self._weights)

    @property
    def needs(self) -> Any:
        """Needs index: one number for every practice, or a Series per practice."""
        return read_view(self._needs) if isinstance(self._needs, pd.Series) else self._needs

    @property
    def mff(self) -> Any:
        """Market forces factor: one number for every practice, or a Series per practice."""
        return read_view(self._mff) if isinstance(self._mff, pd.Series) else self._mff

    @property
    def pods(self) -> tuple[str, ...]:
        """The PODs the weights price, in column order (the columns of :meth:`budgets`)."""
        return tuple(self._weights.columns)

    def __repr__(self) -> str:
        return "CapitationFormula(" + "; ".join(self.describe()) + ")"

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
        pace = ("pace of change: " + self.pace.describe() if self.pace else
                "pace of change: none (budgets go straight to target)")
        return [
            f"age-sex cost weights for {len(self.pods)} PODs ({', '.join(self.pods)})",
            "top-slices: " + (slices or "none"),
            multiplier(self._needs, "needs index") + "; " + multiplier(self._mff, "MFF"),
            self.experience.describe() if self.experience else
            "experience rating: none (the formula alone)",
            pace + (f"; {self.historic_blend:.0%} weight on historic budgets"
                    if self.historic_blend else ""),
        ]

    def _repr_html_(self) -> str:
        per_head = self._weights.sum(axis=1).unstack("sex").reindex(
            [b for b in self._weights.index.get_level_values("age_band").unique()])
        per_head.columns.name = "£ per head"
        return summary_html("CapitationFormula", per_head, self.describe())

    # the steps -----------------------------------------------------------------------------
    def targets(self, pop: Population, resource: float) -> pd.DataFrame:
        """Fair-share targets, practice × POD, in pounds (no historic budgets involved)."""
        adjusted = adjust(weighted_population(pop, self._weights), self._needs, self._mff)
        devolved, _ = devolved_resource(resource, self.top_slices)
        return fair_shares(adjusted, devolved)

    def budgets(self, pop: Population, resource: float,
                historic: pd.DataFrame | pd.Series | None = None) -> pd.DataFrame:
        """Budgets per practice × POD plus a ``total`` column, in pounds.

        Without ``historic`` the budgets are the fair-share targets, experience-rated when
        the formula has an :attr:`experience` step (practice totals moved towards each
        practice's own history; the total is kept exactly). With historic budgets
        (a Series per practice, or a practice × POD frame with exactly the formula's PODs
        and optionally a ``total`` column, such as last year's ``budgets()``; see
        :meth:`historic_totals`), the practice totals are blended
        (``historic_blend``) and moved under :attr:`pace`; each practice's total is then
        split across PODs in its fair-share target proportions, so every POD of a practice
        is scaled by the same factor. Budgets always total the resource less top-slices.

        Returns
        -------
        LabelledFrame
            One row per practice (the population's order), one column per POD and
            ``total``, in pounds (float, not rounded to the penny). The data are plain numbers;
            printed or shown in Jupyter it reads in £ with the glossary's labels (see
            :mod:`pbcmodel.labelled`); anything computed from it is a plain DataFrame.

        See also
        --------
        explain : how one practice's budget is set, step by step.
        targets : the fair-share targets before experience, blend and pace.
        pbcmodel.reports.tables.budgets_table : the budgets in exact pence, with a total row.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> f = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights())
        >>> b = f.budgets(pbc.datasets.example_population(), resource=510e6)
        >>> list(b.columns)[-2:]
        ['community', 'total']
        >>> print(b)                            # whole, in £, points of delivery in words
        Budgets for the year, £ per practice
                    Elective Non-elective ...   Community Total budget
        practice
        P001        £235,123     £340,025 ...    £132,919   £1,272,329
        ...
        P060      £1,792,034   £2,673,527 ...  £1,093,544   £9,610,836
        >>> float(b.loc["P001", "total"])        # the data: plain numbers in pounds
        1272329.3266...
        """
        target = self.targets(pop, resource)
        total = self._totals(target, historic, pop).final
        too_big = total.to_numpy() > MAX_BUDGET
        if too_big.any():
            raise ValidationError(
                f"resource: £{float(resource):,.6g} is too large: it gives practice(s) "
                f"{quoted(total.index[too_big])} budgets above £{MAX_BUDGET:,.0f}, the most "
                "one practice's budget can be and still settle exactly in pence")
        pod_mix = target.div(target.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(
            1.0 / target.shape[1])
        out = pod_mix.mul(total, axis=0)
        out["total"] = total
        out.columns.name = None
        return labelled(out, "£", title="Budgets for the year, £ per practice")

    def historic_totals(self, historic: pd.DataFrame | pd.Series, pop: Population) -> pd.Series:
        """Last year's budget per practice, checked, in the population's practice order.

        ``historic`` is a Series per practice or a practice × POD frame with this formula's
        PODs (:attr:`pods`) and optionally a ``total`` column (last year's :meth:`budgets`).

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> f = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights())
        >>> pop = pbc.datasets.example_population()
        >>> last_year = f.budgets(pop, resource=500e6)
        >>> round(float(f.historic_totals(last_year, pop).sum()))
        500000000
        """
        h = practice_totals(historic, "historic", pods=self.pods)
        require_same_codes(pop.codes, h.index, "historic")
        return h.reindex(pop.codes)

    def experience_table(self, pop: Population, resource: float) -> pd.DataFrame:
        """The experience step for every practice: its ratio, z, factor and adjustment.

        The table of :func:`pbcmodel.credibility.credibility_budgets` applied to the
        fair-share targets (``target``, ``ratio``, ``relative_ratio``, ``z``, ``factor``,
        ``budget``, ``adjustment_pounds``; the common rescaling in ``.attrs["scale"]``), in
        the population's practice order, before any blend with historic budgets or pace
        of change.

        Raises
        ------
        ValidationError
            The formula has no :attr:`experience` step, or its history does not list
            exactly the population's practices.

        Examples
        --------
        >>> import pandas as pd, pbcmodel as pbc
        >>> from pbcmodel.credibility import ExperienceRating
        >>> pop = pbc.datasets.example_population()
        >>> f = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights())
        >>> size = pd.DataFrame({"2024": pop.list_size, "2025": pop.list_size})
        >>> expected = size * 900.0                             # £900 a head
        >>> actual = expected * 1.02
        >>> actual.loc["P001"] *= 1.10                          # P001 spends 10% more
        >>> history = ExperienceRating(actual=actual, expected=expected, list_size=size)
        >>> table = f.evolve(experience=history).experience_table(pop, 510e6)
        >>> bool(table["budget"].sum() == table["target"].sum())
        True
        """
        if self.experience is None:
            raise ValidationError("experience: the formula has no experience step; give it "
                                  "experience=ExperienceRating(...)")
        return self._totals(self.targets(pop, resource), None, pop).rated  # type: ignore[return-value]

    def _totals(self, target: pd.DataFrame, historic: Any, pop: Population) -> _Totals:
        """Practice totals at every step after fair shares: experience, blend, pace."""
        t = target.sum(axis=1).rename("total")
        rated, experienced = None, t
        if self.experience is not None:
            self.experience.check_practices(pop.codes)
            rated = self.experience.adjust(t)
            experienced = rated["budget"].rename("total")
        if historic is None:
            return _Totals(t, rated, experienced, None, None, experienced)
        h = self.historic_totals(historic, pop)
        blended = blend(experienced, h, self.historic_blend)
        final = blended if self.pace is None else self.pace.apply(h, blended)
        return _Totals(t, rated, experienced, h, blended, final)

    def explain(self, pop: Population, practice: str, resource: float,
                historic: pd.DataFrame | pd.Series | None = None) -> pd.DataFrame:
        """The derivation of one practice's budget, step by step.

        Returns
        -------
        LabelledFrame
            One row per step, columns ``step``, ``description``, ``value`` (the quantity
            at that step: patients, weighted pounds, pounds a head, an index, a share or
            money) and ``amount`` (pounds contributed to the budget; NaN for the inputs),
            and ``kind`` (``"input"``, ``"adjustment"``, ``"subtotal"`` or ``"result"``).
            The ``amount`` of the rows whose ``kind`` is ``"adjustment"`` add up exactly to
            the final budget. The data are plain numbers; printed or shown in Jupyter it
            reads whole, every value in its unit (see :func:`explanation`).

        See also
        --------
        budgets : every practice's budget.
        pbcmodel.reports.tables.explain_table : the amounts to the penny.
        pbcmodel.cli.commands.format_explanation : every step on one line, as text.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> f = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights(),
        ...                           top_slices={"contingency": 0.01})
        >>> e = f.explain(pbc.datasets.example_population(), "P001", resource=510e6)
        >>> bool(abs(e.loc[e.kind == "adjustment", "amount"].sum() - e.amount.iloc[-1]) < 1e-6)
        True
        >>> print(e)                              # every step, each value in its unit
        How practice P001's budget is set, £ for the year
           Step                    Description                       Value      Amount  Kind of step
        0  list size               registered patients               1,500              input
        1  weighted list           patients × age-sex cost weights ...  £1,262,752      input
        2  per head                weighted list ÷ list size (£)   £841.83              input
        3  needs index             multiplier for additional need        1              input
        4  market forces factor    multiplier for unavoidable local cost 1              input
        5  share of need           adjusted weighted list ÷ commissioner total  0.25%   input
        6  share of resource       share × resource £510,000,000.00 £1,272,329 £1,272,329 adjustment
        7  top-slice: contingency reserve  share × £5,100,000.00 held back  −£12,723 ... adjustment
        8  fair-share target       share of the devolved resource  £1,259,606           subtotal
        9  final budget            budget for the year   £1,259,606  £1,259,606         result
        """
        if practice not in pop.codes:
            raise ValidationError(f"practice: unknown practice code {practice!r}")
        i = pop.codes.get_loc(practice)
        weighted = weighted_population(pop, self._weights)
        adjusted = adjust(weighted, self._needs, self._mff)
        resource = check_positive(resource, "resource")
        devolved, held = devolved_resource(resource, self.top_slices)
        share = adjusted.iloc[i].sum() / adjusted.to_numpy().sum()
        fair = fair_shares(adjusted, devolved)
        target = fair.iloc[i].sum()
        self.budgets(pop, resource, historic)   # its checks (e.g. budgets too large)
        totals = self._totals(fair, historic, pop)
        final = totals.final.iloc[i]
        list_size = int(pop.list_size.iloc[i])
        w = weighted.iloc[i].sum()
        needs = per_practice(self._needs, pop.codes, "needs")[i]
        mff = per_practice(self._mff, pop.codes, "mff")[i]
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
        rows += top_slice_rows(share, held)
        rows.append(("subtotal", "fair-share target", "share of the devolved resource",
                     target, np.nan))
        experienced = totals.experienced.iloc[i]
        if self.experience is not None and totals.rated is not None:
            rows.extend(self._experience_rows(self.experience, practice, totals.rated))
        if totals.historic is not None and totals.blended is not None:
            blended = totals.blended.iloc[i]
            rows.append(("input", "historic budget", "last year's budget",
                         totals.historic.iloc[i], np.nan))
            if self.historic_blend:
                rows.append(("adjustment", "blend with historic",
                             f"{self.historic_blend:.0%} weight on rescaled historic budget",
                             blended - experienced, blended - experienced))
            rows.append(("adjustment", "pace-of-change adjustment",
                         pace_text(self.pace), final - blended, final - blended))
        rows.append(("result", "final budget", "budget for the year", final, final))
        out = pd.DataFrame(rows, columns=["kind", "step", "description", "value", "amount"])
        return explanation(out[["step", "description", "value", "amount", "kind"]], practice)

    @staticmethod
    def _experience_rows(rating: ExperienceRating, practice: str,
                         rated: pd.DataFrame) -> list[tuple[str, str, str, float, float]]:
        """The experience step of :meth:`explain`: ratio, z (and k), adjustment in pounds."""
        fit = rating.credibility()
        r = rated.loc[practice]
        t, factor, budget = float(r["target"]), float(r["factor"]), float(r["budget"])
        rows: list[tuple[str, str, str, float, float]] = []
        own = t * (factor - 1.0)
        if practice in fit.z.index:
            years = int(fit.n_periods[practice])
            removed = ", high-cost excess removed" if rating.high_cost is not None else ""
            relative, z = float(r["relative_ratio"]), float(r["z"])
            rows += [
                ("input", "experience ratio",
                 f"own actual ÷ formula-expected spend over {years} "
                 f"year{'s' if years != 1 else ''}, weighted by list size{removed}",
                 float(r["ratio"]), np.nan),
                ("input", "commissioner's ratio",
                 "the same for all practices with history (credibility-weighted)",
                 fit.collective_mean, np.nan),
            ]
            if np.isinf(fit.k):
                why = ("k = s²/a is infinite: the history shows no difference between "
                       "practices beyond year-to-year noise, so no practice's history counts")
            else:
                why = (f"w / (w + k) with w = {fit.unit_weight[practice]:,.0f} patient-years "
                       f"of history and k = s²/a = {fit.within_variance:.4g} / "
                       f"{fit.between_variance:.4g} = {fit.k:,.0f} patient-years")
            rows += [
                ("input", "credibility z", why, z, np.nan),
                ("adjustment", "credibility adjustment",
                 f"target × z × (ratio ÷ commissioner's ratio − 1) = target × {z:.4f} × "
                 f"{relative - 1:+.4f}", own, own),
            ]
        else:
            rows += [
                ("input", "credibility z", "no spend history: z = 0, the formula alone", 0.0,
                 np.nan),
                ("adjustment", "credibility adjustment", "none: no history", own, own),
            ]
        scale = float(rated.attrs["scale"])
        rows += [
            ("adjustment", "rescale to keep the total",
             f"× {scale:.6f}, as every practice: history moves money between practices, "
             "not the total", budget - t - own, budget - t - own),
            ("subtotal", "experience-rated target",
             "fair-share target moved towards the practice's own history", budget, np.nan),
        ]
        return rows
