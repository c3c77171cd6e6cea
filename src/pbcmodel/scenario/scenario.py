"""Scenario: the one object that composes population, capitation, risk and the settlement rules.

A :class:`Scenario` is frozen plain data. Each step is a named choice; nothing is guessed:
a step that needs a part the scenario lacks (a cost model to simulate, a savings schedule
to settle) raises an error that says what to add. A policy variant is
``scenario.evolve(...)``, including dotted paths such as ``"overspend.practice_share"``.

Examples
--------
>>> import pbcmodel as pbc
>>> scn = pbc.Scenario(population=pbc.datasets.example_population(),
...                    formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
...                    resource=510e6, savings=pbc.sharing.pbc_freed_up(0.7))
>>> budgets = scn.budgets()
>>> outturn = budgets["total"] * 0.98                  # every practice 2% under budget
>>> st = scn.settle(outturn)
>>> round(float(st.to_frame()["practice_amount"].sum() / (budgets["total"].sum() * 0.02)), 6)
0.7
>>> scn.evolve(**{"savings.savings": [(0.0, 0.5)]}).savings.savings
((0.0, 0.5),)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from .. import datasets
from ..capitation import CapitationFormula, PaceOfChange
from ..capitation.formula import explanation
from ..credibility import LearningBudgets
from ..errors import ValidationError
from ..html_tables import summary_html
from ..incentives import Incentives
from ..overspend import OverspendPolicy
from ..population import Population
from ..risk.costmodel import CostModel
from ..risk.draws import MAX_COMMON_SHOCK_CV
from ..risk.effects import PracticeEffects
from ..risk.high_cost import check_pool_share
from ..settlement import Settlement, settle
from ..sharing import FROM_OUTTURN, ShareSchedule, pbc_freed_up, resolve_conditions
from ..validation import (
    FrozenDict,
    check_fraction,
    check_positive,
    finite_scalar,
    frames_equal,
    named,
    number,
    optional_number,
    own_copy,
    practice_totals,
    read_view,
    require_same_codes,
    settleable,
)
from ..withhold import QualityWithhold
from . import config, simulation
from .holders import Holder, check_holder, holders
from .options import Seed, StorePath
from .simulation import SimulationResult
from .source import EnglandSource

__all__ = ["Scenario", "load_scenario"]

def _historic_converter(value: Any) -> Any:
    if value is None or isinstance(value, (pd.Series, pd.DataFrame)):
        return own_copy(value)
    if isinstance(value, Mapping):
        return pd.Series({k: number(v, f"historic[{k!r}]") for k, v in value.items()},
                         dtype=float)
    raise ValidationError(f"historic: expected a Series per practice or a DataFrame "
                          f"practice × POD, got {type(value).__name__}")


def _conditions_converter(value: Any) -> Mapping[str, Any]:
    if value is None:
        return FrozenDict({})
    if not isinstance(value, Mapping):
        raise ValidationError(f"conditions: expected a mapping of condition name → value, "
                              f"got {type(value).__name__}")
    return FrozenDict({str(k): own_copy(v) for k, v in value.items()})


def _conditions_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.keys() == b.keys() and all(frames_equal(a[k], b[k]) for k in a)


def _check_resource(instance: Any, attribute: Any, value: Any) -> None:
    check_positive(value, "resource")
    settleable(value, "resource")     # it is paid out in pence: 1e300 is refused, not wrapped


def _check_threshold(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        check_positive(value, "high_cost_threshold")


def _check_pool_share(instance: Any, attribute: Any, value: Any) -> None:
    check_pool_share(value, instance.high_cost_threshold)


def _check_growth(instance: Any, attribute: Any, value: Any) -> None:
    v = finite_scalar(value, attribute.name)
    if v <= -1:
        raise ValidationError(f"{attribute.name}: must be > -1 (a yearly rate), got {value!r}")


def _check_shock(instance: Any, attribute: Any, value: Any) -> None:
    check_fraction(value, "common_shock_cv", high=MAX_COMMON_SHOCK_CV)


def _instance_of(cls: type, what: str) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is not None and not isinstance(value, cls):
            raise ValidationError(
                f"{attribute.name}: expected {what} ({cls.__name__}), got {type(value).__name__}"
            )
    return check


@attrs.frozen(repr=False)
class Scenario:
    """A commissioner's PBC arrangements for one population, as data.

    Parameters
    ----------
    population : Population
        Registered patients and the practice → consortium → commissioner tree.
    formula : CapitationFormula
        How budgets are set.
    resource : float
        Pounds to devolve in the first year (before top-slices): > 0, and at most
        £92,233,720,368,547,758.07, the most that can be settled exactly in pence.
    cost_model : CostModel, optional
        Per-patient cost model; needed to :meth:`simulate`.
    savings : ShareSchedule, optional
        Who keeps an underspend (and an overspend, when no ``overspend`` policy is given).
        Without it the commissioner keeps every underspend.
    overspend : OverspendPolicy, optional
        Tolerance, shares, netting, caps and recovery of overspends.
    incentives : Incentives, optional
        Per-head incentive payments.
    historic : Series or DataFrame, optional
        Last year's budget per practice (pounds), the starting point for pace of change: a
        Series, or a practice × POD frame with the formula's PODs and optionally a ``total``
        column (last year's :meth:`budgets`); kept as the total per practice.
    high_cost_threshold : float, optional
        Per-patient stop-loss: cost above it is met from the commissioner's high-cost pool.
    high_cost_pool_share : float
        The pool's share of each patient's cost above ``high_cost_threshold``, in (0, 1]: 1
        (the default) meets all of it; less is a partial stop-loss, the practice keeping the
        rest (e.g. :data:`~pbcmodel.risk.high_cost.MORBI_RSA_POOL_SHARE`, 0.8, Germany's
        Morbi-RSA risk pool). Other than 1 only with a threshold.
    common_shock_cv : float
        Coefficient of variation of a cost multiplier shared by every practice in a
        simulated year (e.g. a cost trend), so pooling's benefit is not overstated: from 0
        to :data:`~pbcmodel.risk.draws.MAX_COMMON_SHOCK_CV` (1, i.e. 100%).
    resource_growth, cost_growth : float
        Yearly growth of the resource and of expected spend in multi-year simulations.
    conditions : dict
        Values for the savings gates and incentive conditions (e.g. ``plan_approved``).
        The value ``"from_outturn"`` for ``commissioner_in_balance`` means: in balance when
        the practices' total outturn is within their total budget that year.
    learning : LearningBudgets, optional
        Budgets that learn inside a multi-year simulation: each later year's budgets, per
        simulation, moved towards the simulated experience of the earlier years
        (:mod:`pbcmodel.scenario.learning`). Not a driver of spend: a variant with and
        one without are simulated on the same draws. ``None``: budgets by the formula.
    name : str
        A label for tables and plots.
    practice_effects : PracticeEffects, optional
        What the formula misses in each practice's spend: a persistent multiplicative effect
        per practice, drawn in every simulation (e.g.
        :meth:`PracticeEffects.dixon_2011() <pbcmodel.risk.effects.PracticeEffects.dixon_2011>`);
        ``None`` (the default) takes the formula as exact, the only practice-level risk
        being chance. Any practice it names must be one of the population's.
    holder : {"practice", "consortium"}
        Who holds the budgets (:mod:`pbcmodel.scenario.holders`). ``"practice"`` (the
        default): each practice, settled on its own. ``"consortium"``: each consortium of the
        population (a footprint: a PCN, a place, an ICB; see
        :class:`pbcmodel.footprints.Footprints`) holds one budget, its practices' budgets
        added up, and is settled as one on its practices' spend added up; results are then
        per consortium. Not with learning budgets (not built).
    withhold : QualityWithhold, optional
        A quality withhold: a fraction of each budget held back and paid back where its
        condition (a key of ``conditions``, which must be given) holds; the commissioner
        keeps the rest (:mod:`pbcmodel.withhold`). Not a driver of spend.
    source : EnglandSource, optional
        Where the scenario came from, when it was made from the embedded England data
        (:func:`~pbcmodel.scenario.england.england_scenario`, or a scenario file with
        ``dataset = "england"``): the ICB, year and footprint
        (:class:`~pbcmodel.scenario.source.EnglandSource`). A record, not a part: not
        compared (two scenarios with the same parts are equal whatever their source), not a
        driver of spend (the population it made is), kept by :meth:`evolve`;
        :meth:`to_toml` writes the short ``dataset = "england"`` form only while the source
        still makes the scenario's population, formula and cost model.

    The scenario keeps its own copies of ``historic`` and of any Series in ``conditions``:
    editing them afterwards, or editing what the scenario hands out, cannot change it.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario(population=pbc.datasets.example_population(),
    ...     formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
    ...     resource=510e6, overspend=pbc.OverspendPolicy(practice_share=0.5, tolerance=0.02))
    >>> scn.evolve(**{"overspend.practice_share": 0.3}).overspend.practice_share
    0.3
    """

    population: Population = attrs.field(validator=_instance_of(Population, "a population"))
    formula: CapitationFormula = attrs.field(
        validator=_instance_of(CapitationFormula, "a capitation formula"))
    resource: float = attrs.field(converter=lambda v: number(v, "resource"),
                                  validator=_check_resource)
    cost_model: CostModel | None = attrs.field(
        default=None, validator=_instance_of(CostModel, "a cost model"))
    savings: ShareSchedule | None = attrs.field(
        default=None, validator=_instance_of(ShareSchedule, "a savings schedule"))
    overspend: OverspendPolicy | None = attrs.field(
        default=None, validator=_instance_of(OverspendPolicy, "an overspend policy"))
    incentives: Incentives | None = attrs.field(
        default=None, validator=_instance_of(Incentives, "incentives"))
    _historic: pd.Series | None = attrs.field(default=None, converter=_historic_converter,
                                              eq=attrs.cmp_using(eq=frames_equal))
    high_cost_threshold: float | None = attrs.field(
        default=None, converter=lambda v: optional_number(v, "high_cost_threshold"),
        validator=_check_threshold)
    high_cost_pool_share: float = attrs.field(
        default=1.0, converter=lambda v: number(v, "high_cost_pool_share"),
        validator=_check_pool_share)
    common_shock_cv: float = attrs.field(
        default=0.0, converter=lambda v: number(v, "common_shock_cv"), validator=_check_shock)
    resource_growth: float = attrs.field(
        default=0.0, converter=lambda v: number(v, "resource_growth"), validator=_check_growth)
    cost_growth: float = attrs.field(
        default=0.0, converter=lambda v: number(v, "cost_growth"), validator=_check_growth)
    _conditions: Mapping[str, Any] = attrs.field(factory=dict, converter=_conditions_converter,
                                                 eq=attrs.cmp_using(eq=_conditions_equal))
    name: str = attrs.field(default="scenario", validator=named)
    practice_effects: PracticeEffects | None = attrs.field(
        default=None, validator=_instance_of(PracticeEffects, "practice effects"))
    learning: LearningBudgets | None = attrs.field(
        default=None, validator=_instance_of(LearningBudgets, "learning budgets"))
    holder: Holder = attrs.field(default="practice", converter=check_holder)
    withhold: QualityWithhold | None = attrs.field(
        default=None, validator=_instance_of(QualityWithhold, "a quality withhold"))
    source: EnglandSource | None = attrs.field(
        default=None, eq=False, validator=_instance_of(EnglandSource, "where it came from"))

    def __attrs_post_init__(self) -> None:
        if self.holder != "practice" and self.learning is not None:
            raise ValidationError(f"holder: learning budgets are set per practice; with "
                                  f"holder={self.holder!r} (one budget per consortium) they "
                                  "are not built: drop learning= or hold budgets per practice")
        if self.practice_effects is not None:
            # known first-year effects must name the population's practices: refused now
            self.practice_effects.first_year(self.population.codes)
        if self.formula.experience is not None:
            # the history must list exactly the population's practices: refused when the
            # scenario is built (as a scenario file is refused at load), not at budgets()
            self.formula.experience.check_practices(self.population.codes,
                                                    "formula.experience")
        if self._historic is not None:
            # validated now, not at first use: unknown or missing practices, or a frame with
            # other columns than the formula's PODs, are an error; kept as totals
            object.__setattr__(self, "_historic",
                               self.formula.historic_totals(self._historic, self.population))
        if self.withhold is not None and self.withhold.condition not in self._conditions:
            # its condition is refused now, naming the key, not at the first settle
            self.withhold.earned(self._conditions)

    @property
    def historic(self) -> pd.Series | None:
        """Last year's budget per practice (pounds), or ``None``."""
        return None if self._historic is None else read_view(self._historic)

    @property
    def conditions(self) -> Mapping[str, Any]:
        """Values for the savings gates and incentive conditions (read-only)."""
        return FrozenDict({k: read_view(v) if isinstance(v, (pd.Series, pd.DataFrame))
                                 else v for k, v in self._conditions.items()})

    # ------------------------------------------------------------------ composition steps
    def budgets(self) -> pd.DataFrame:
        """Budgets per practice × POD plus ``total`` (pounds) for the first year.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario(population=pbc.datasets.example_population(),
        ...     formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
        ...     resource=510e6)
        >>> round(scn.budgets()["total"].sum())
        510000000
        """
        return self.formula.budgets(self.population, self.resource, self._historic)

    def explain(self, practice: str) -> pd.DataFrame:
        """How one practice's first-year budget was set, step by step (see
        :meth:`CapitationFormula.explain`). With practice effects, a last row of kind
        ``"risk"`` says what spend the budget does not cover
        (:meth:`PracticeEffects.explain <pbcmodel.risk.effects.PracticeEffects.explain>`).
        To read it whole (a printed DataFrame is cut to its first rows and columns),
        ``print(pbcmodel.cli.commands.format_explanation(frame))`` writes every step on one
        line, money in £; :func:`pbcmodel.reports.tables.explain_table` gives the amounts to
        the penny.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario(population=pbc.datasets.example_population(),
        ...     formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
        ...     resource=510e6)
        >>> scn.explain("P001")["step"].iloc[-1]
        'final budget'
        """
        out = self.formula.explain(self.population, practice, self.resource, self._historic)
        if self.practice_effects is None:
            return out
        factor, words = self.practice_effects.explain(practice)
        row = pd.DataFrame([{"step": "practice effect (not in the budget)",
                             "description": words, "value": factor, "amount": float("nan"),
                             "kind": "risk"}])
        return explanation(pd.concat([out, row], ignore_index=True), practice)

    def settle(self, outturn: pd.Series | pd.DataFrame, *,
               carry_forward: pd.Series | pd.DataFrame | None = None) -> Settlement:
        """Settle the first year against actual spend.

        Parameters
        ----------
        outturn : Series or DataFrame
            Actual spend (pounds) per practice, or practice × POD with exactly the
            formula's PODs and optionally a ``total`` column that equals their sum. With
            ``holder="consortium"`` the practices' budgets and spend are added up, each to
            the penny, and each consortium is settled as one holder.
        carry_forward : Series or DataFrame, optional
            Liabilities brought forward from earlier years (pounds), per holder.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario(population=pbc.datasets.example_population(),
        ...     formula=pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights()),
        ...     resource=510e6, savings=pbc.sharing.pbc_freed_up(0.7))
        >>> st = scn.settle(scn.budgets()["total"] * 1.01)
        >>> float(st.to_frame()["practice_amount"].sum())   # no loss sharing: nothing borne
        0.0
        """
        held = holders(self.population, self.holder)
        budgets = held.pounds(self.budgets()["total"], "budgets")
        outturn = practice_totals(outturn, "outturn", pods=self.formula.pods)
        if not held.practices_hold:
            # added up per footprint: every practice once, in the population's order
            require_same_codes(self.population.codes, outturn.index, "outturn")
            outturn = held.pounds(outturn.reindex(self.population.codes), "outturn")
        conditions = resolve_conditions(self._conditions, budgets, outturn)
        return settle(budgets, outturn, savings=self.savings, overspend=self.overspend,
                      incentives=self.incentives, consortium=held.consortium,
                      list_size=held.list_size, conditions=conditions or None,
                      carry_forward=carry_forward, withhold=self.withhold)

    def simulate(self, n: int = 10_000, years: int = simulation.DEFAULT_YEARS, seed: Seed = 0,
                 *, method: str = "fft", chunk_size: int | None = None, keep: str = "stats",
                 engine: str = "local", client: Any = None, workers: int | None = None,
                 progress: bool | None = None, track_losses: Mapping[str, Any] | None = None,
                 store: StorePath | None = None) -> SimulationResult:
        """Simulate ``years`` settled years ``n`` times (see
        :func:`pbcmodel.scenario.simulation.simulate`, which describes every option:
        ``keep="full"`` with ``store="run.zarr"`` writes the full arrays to disk;
        ``track_losses`` counts other losses in the streamed results).

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario.example()
        >>> res = scn.simulate(n=200, years=2, seed=7)
        >>> res.n, res.years
        (200, 2)
        """
        return simulation.simulate(self, n=n, years=years, seed=seed, method=method,
                                   chunk_size=chunk_size, keep=keep, engine=engine,
                                   client=client, workers=workers, progress=progress,
                                   track_losses=track_losses, store=store)

    @classmethod
    def example(cls, **changes: Any) -> Scenario:
        """A complete PBC scenario for the example commissioner, ready to settle and simulate.

        Population :func:`~pbcmodel.datasets.example_population`; budgets: example cost
        weights, 1% contingency and 2% high-cost pool top-slices, pace of change +5%/−2%
        from :func:`~pbcmodel.datasets.example_historic_budgets`, resource
        :data:`~pbcmodel.datasets.EXAMPLE_RESOURCE`. Savings: 70% of an underspend to the
        practice, paid only when the commissioner is in balance that year. Overspends: 2%
        tolerance, then 50% borne by the practice, capped at 5% of budget, recovered over
        two years. Risk: :func:`~pbcmodel.datasets.example_cost_model`, £50,000 per-patient
        high-cost threshold, 2% common cost shock. ``changes`` are passed to
        :meth:`evolve` (dotted paths allowed).

        Examples
        --------
        >>> scn = Scenario.example(**{"overspend.practice_share": 0.3})
        >>> scn.name, scn.overspend.practice_share
        ('example', 0.3)
        """
        scn = cls(
            population=datasets.example_population(),
            formula=CapitationFormula(weights=datasets.example_cost_weights(),
                                      top_slices={"contingency": 0.01, "high_cost_pool": 0.02},
                                      pace=PaceOfChange(max_gain=0.05, max_loss=0.02)),
            resource=datasets.EXAMPLE_RESOURCE,
            historic=datasets.example_historic_budgets(),
            cost_model=datasets.example_cost_model(),
            savings=pbc_freed_up(0.7, gates=["commissioner_in_balance"]),
            overspend=OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05,
                                      recovery_years=2),
            high_cost_threshold=50_000.0,
            common_shock_cv=0.02,
            conditions={"commissioner_in_balance": FROM_OUTTURN},
            name="example",
        )
        return scn.evolve(**changes) if changes else scn

    # ------------------------------------------------------------------ variants
    def evolve(self, **changes: Any) -> Scenario:
        """A copy with some parts changed; keys may be dotted paths into the parts.

        ``scn.evolve(**{"overspend.practice_share": 0.3})`` changes one field of the
        overspend policy; ``scn.evolve(resource=600e6)`` one field of the scenario.

        Raises
        ------
        ValidationError
            When a path names no field (the message lists the fields there are).
        """
        return _evolve_path(self, changes, "")

    # ------------------------------------------------------------------ configuration
    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists, dicts, numbers, strings) for TOML/JSON.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario.example()
        >>> pbc.Scenario.from_dict(scn.to_dict()) == scn
        True
        """
        return config.unstructure_scenario(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build a scenario from :meth:`to_dict`-style data (errors name the key path).

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario.example()
        >>> pbc.Scenario.from_dict(scn.to_dict()) == scn
        True
        """
        return config.structure_scenario(data, cls)

    def to_toml(self) -> str:
        """The scenario as TOML text; ``Scenario.from_toml(s.to_toml()) == s``.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario.example()
        >>> "[overspend]" in scn.to_toml()
        True
        """
        return config.to_toml(self)

    @classmethod
    def from_toml(cls, text: str) -> Scenario:
        """Read a scenario from TOML text (see :doc:`/user_guide/scenario_files`).

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario.example()
        >>> pbc.Scenario.from_toml(scn.to_toml()) == scn
        True
        """
        return config.from_toml(text, cls)

    def to_json(self) -> str:
        """The scenario as JSON text; ``Scenario.from_json(s.to_json()) == s``.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario.example()
        >>> '"overspend"' in scn.to_json()
        True
        """
        return config.to_json(self)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        """Read a scenario from JSON text.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario.example()
        >>> pbc.Scenario.from_json(scn.to_json()) == scn
        True
        """
        return config.from_json(text, cls)

    # ------------------------------------------------------------------ display
    def describe(self) -> list[str]:
        """One line per part of the scenario, in words."""
        pop = self.population
        lines = [
            f"{pop.n_practices} practices in {pop.hierarchy['consortium'].nunique()} consortia, "
            f"{int(pop.list_size.sum()):,} patients",
            f"resource £{self.resource:,.0f}",
            *self.formula.describe()[1:],
            "savings: " + ("practice keeps " + self.savings.savings_rule.describe("underspend")
                           if self.savings is not None
                           else "commissioner keeps every underspend"),
            "overspend: " + (self.overspend.describe() if self.overspend is not None
                             else "per the savings schedule's losses side"
                             if self.savings is not None and self.savings.shares_losses
                             else "commissioner bears every overspend"),
        ]
        if self.incentives is not None:
            lines.append(f"incentives: {self.incentives!r}")
        if self.high_cost_threshold is not None:
            lines.append(f"high-cost pool above £{self.high_cost_threshold:,.0f} per patient")
            if self.high_cost_pool_share != 1:
                share = 100 * self.high_cost_pool_share
                lines.append(f"high-cost pool: meets {share:.6g}% of each patient's annual cost "
                             f"above £{self.high_cost_threshold:,.0f}")
        lines.append("cost model: " + ("given" if self.cost_model is not None
                                       else "none (add cost_model= to simulate)"))
        lines.append(_effects_line(self.practice_effects))
        if self.learning is not None:
            lines.append(self.learning.describe())
        if self.holder == "consortium":
            lines.append("budgets held by each consortium (footprint) as one holder, "
                         "settled on its practices' spend added up")
        if self.withhold is not None:
            lines.append(self.withhold.describe())
        return lines

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}: " + "; ".join(self.describe()) + ")"

    def _repr_html_(self) -> str:
        budgets = self.budgets()
        table = budgets.join(self.population.hierarchy["consortium"]).groupby("consortium")[
            ["total"]].sum()
        table["patients"] = self.population.practices.groupby("consortium")["list_size"].sum()
        table["per_head"] = table["total"] / table["patients"]
        return summary_html(f"Scenario {self.name!r}", table.rename(columns={"total": "budget"}),
                            self.describe())


def _effects_line(effects: PracticeEffects | None) -> str:
    """The practice effects in one line of :meth:`Scenario.describe`, with their source.

    Examples
    --------
    >>> _effects_line(PracticeEffects.dixon_2011())
    'practice effects: sd 0.10 of the log (about ±10% a year), persistence 0.80 — \
calibrated to Dixon et al., BMJ 2011;343:d6608 (persistence assumed)'
    >>> _effects_line(None)
    'practice effects: none (the formula is taken as exact)'
    """
    if effects is None:
        return "practice effects: none (the formula is taken as exact)"
    line = (f"practice effects: sd {effects.sd:.2f} of the log (about ±{effects.sd:.0%} a "
            f"year), persistence {effects.persistence:.2f}")
    if effects == PracticeEffects.dixon_2011():
        return line + " — calibrated to Dixon et al., BMJ 2011;343:d6608 (persistence assumed)"
    known = [s.index for s in (effects.centre, effects.uncertainty) if s is not None]
    if known:
        count = len(known[0].union(known[-1]))
        line += f"; first-year effects known for {count:,} practice(s)"
    return line


def _check_field(obj: Any, name: str, path: str) -> None:
    """Raise unless ``name`` is a field of ``obj`` as its constructor names it (the alias)."""
    fields = [f.alias for f in attrs.fields(type(obj))] if attrs.has(type(obj)) else []
    if name not in fields:
        raise ValidationError(
            f"evolve: {path!r} names no field; {type(obj).__name__} has {', '.join(fields)}"
        )


def _evolve_path(part: Any, changes: dict[str, Any], prefix: str) -> Any:
    """``attrs.evolve`` of ``part`` (at dotted path ``prefix``) with dotted-path changes."""
    if part is None:
        raise ValidationError(
            f"evolve: the scenario has no {prefix}; set it whole, e.g. {prefix}=...")
    direct: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in changes.items():
        head, _, rest = key.partition(".")
        _check_field(part, head, f"{prefix}.{key}" if prefix else key)
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            direct[head] = value
    for head, sub in nested.items():
        direct[head] = _evolve_path(direct.get(head, getattr(part, head)), sub,
                                    f"{prefix}.{head}" if prefix else head)
    return attrs.evolve(part, **direct)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (``.toml`` or ``.json``); relative data paths inside it are
    resolved against the file's folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = p.write_text('resource = 1e8\\npopulation = {dataset = "example"}\\n'
    ...                  'formula = {weights = {dataset = "example"}}\\n')
    >>> load_scenario(p).resource
    100000000.0
    """
    return config.load_scenario(path, Scenario)
