"""Every figure a simulation reports, defined once: name, unit, sign, label, and how it is made.

A :class:`~pbcmodel.scenario.SimulationResult` reports its :meth:`summary` figures
(:data:`SUMMARY`); a comparison (:func:`~pbcmodel.scenario.variants.headline`, so
:func:`~pbcmodel.scenario.variants.compare` and :func:`~pbcmodel.scenario.variants.sweep`)
reports :data:`HEADLINE`; a policy design (:func:`pbcmodel.design.optimise`,
:func:`pbcmodel.design.frontier`) takes any figure with a better direction as its objective
or a constraint (:data:`METRICS`). All of them read the figures from :data:`FIGURES` here, so a
name is one number, in one unit, with one sign, wherever it is shown.

Each :class:`Figure` says

* its **unit** (:data:`UNITS`): pounds, pounds per registered patient, a probability (0 to 1),
  a fraction of budget (0.05 is 5%), a ratio, a count or years;
* its **label, definition and sign** — read from :mod:`pbcmodel.glossary`, the one source of
  the words readers see. The signs follow ARCHITECTURE.md: a practice's share of the variance
  (budget − outturn) is positive when the practice keeps money and negative when it bears an
  overspend; the commissioner's position is positive when it keeps money and negative when it
  pays (in tables and figures alike); the commissioner's value at risk and tail value at risk
  are amounts of money at risk (positive pounds: money the commissioner pays in the bad runs);
* which way is **better** (``"lower"``, ``"higher"``, or "" for a count describing the run);
* **how it is computed** from a result, through the result's public methods.

Names with a number are templates: ``{P}`` a level and ``{X}`` a loss, both in per cent
(``commissioner_tvar99``, ``max_band_prob_loss_over_5pct``). The commissioner's figures cover
all simulated years together; :meth:`SimulationResult.summary` spells them with
``_all_years`` (``commissioner_tvar95_all_years``), and either spelling names the same figure.

The per-practice table (:meth:`SimulationResult.metrics`) and the per-band table
(:meth:`SimulationResult.by_list_size`) are the result's own statistics; their columns are
described in :data:`COLUMNS`.

Examples
--------
>>> m = metric("commissioner_tvar99")
>>> m.unit, m.better, m.label
('pounds', 'lower', "Commissioner's tail value at risk (99%), a cost")
>>> metric("worst_practice_p05_fraction").unit
'fraction of budget'
>>> metric("commissioner_tvar95_all_years").figure is metric("commissioner_tvar95").figure
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import attrs
import numpy as np
import pandas as pd

from .. import glossary
from ..capitation import devolved_resource
from ..errors import ValidationError
from ..labelled import SHOWN_AS
from .plan import SimulatedScenario
from .tally import Tally

__all__ = ["COLUMNS", "FIGURES", "HEADLINE", "LIST_SIZE_BANDS", "METRICS", "SMALL_PRACTICE",
           "SUMMARY", "UNITS",
           "Column", "Figure", "Metric", "figures", "measure", "metric", "pool_funding"]

#: The library's unit of each figure → the glossary's unit shown to readers
#: (:data:`pbcmodel.labelled.SHOWN_AS`, the one table).
UNITS: dict[str, str] = SHOWN_AS

#: The list-size bands (registered patients) of :meth:`SimulationResult.by_list_size` and of
#: the ``max_band_...`` figures.
LIST_SIZE_BANDS: tuple[float, ...] = (0, 3000, 6000, 10000, 20000, np.inf)
#: A practice with fewer registered patients than this is *small*: real England has
#: practices of 1 to 25 patients (new, closing or special services), whose figures per
#: head are a handful of patients' costs divided by a handful of patients. The figures per
#: head by list-size band (``sd_per_head_smallest_lists``, ``sd_per_head_largest_lists``,
#: ``fairness_sd_ratio``) leave them out; the per-practice tables of
#: :mod:`pbcmodel.reports.tables` flag them ``small``.
SMALL_PRACTICE = 1_000
#: The list-size bands of the figures per head when a practice is small: those of
#: :data:`LIST_SIZE_BANDS` with the small practices in a band of their own, left out.
_SIZED_BANDS: tuple[float, ...] = tuple(sorted({*LIST_SIZE_BANDS, SMALL_PRACTICE}))


class Result(Protocol):
    """What a figure is computed from: a :class:`~pbcmodel.scenario.SimulationResult`
    (described by what it offers, so that the result can build its summary from here)."""

    @property
    def scenario(self) -> SimulatedScenario: ...

    @property
    def n(self) -> int: ...

    @property
    def years(self) -> int: ...

    @property
    def budget(self) -> np.ndarray: ...

    @property
    def tally(self) -> Tally: ...

    @property
    def pool_pence(self) -> np.ndarray: ...

    @property
    def list_size(self) -> pd.Series: ...

    def metrics(self, *, loss_pounds: float = ..., loss_fraction: float = ...
                ) -> pd.DataFrame: ...

    def prob_loss(self, loss_fraction: float = ...) -> pd.Series: ...

    def commissioner_risk(self, level: float = ...) -> pd.Series: ...

    def by_list_size(self, bands: tuple[float, ...] = ...) -> pd.DataFrame: ...

    def outturn_misses(self, fraction: float = ...) -> pd.DataFrame: ...


class _Cache(dict):  # type: ignore[type-arg]
    """One result's intermediate tables, so several figures share one ``metrics()`` call."""

    def get_or(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self:
            self[key] = make()
        return self[key]


Compute = Callable[..., float]


# ----------------------------------------------------------------------------- how computed
def _simulations(r: Result, c: _Cache) -> float:
    return r.n


def _years(r: Result, c: _Cache) -> float:
    return r.years


def _total_budget_year1(r: Result, c: _Cache) -> float:
    return float(r.budget[0].sum())


def _expected_practice_amount(r: Result, c: _Cache) -> float:
    """Exact: the integer pence summed over practices, simulations and years."""
    return float(int(r.tally.amount_sum.sum()) / (r.n * r.years) / 100)


def _practices(r: Result, c: _Cache, fraction: float = 0.02) -> pd.DataFrame:
    """The per-practice table counting losses over ``fraction`` of budget."""
    return c.get_or(("metrics", fraction), lambda: r.metrics(loss_fraction=fraction))


def _practice_total(column: str) -> Compute:
    return lambda r, c: float(_practices(r, c)[column].sum())


def _risk(field: str) -> Compute:
    def compute(r: Result, c: _Cache, fraction: float = 0.95) -> float:
        return float(c.get_or(("risk", fraction), lambda: r.commissioner_risk(fraction))[field])
    return compute


# the chances of a loss are exact counts: read without the rest of the per-practice table
# (whose quantiles a streamed result reads from its histograms)
def _practices_prob(r: Result, c: _Cache, fraction: float) -> float:
    return float(r.prob_loss(fraction).mean())


def _max_practice_prob(r: Result, c: _Cache, fraction: float) -> float:
    return float(r.prob_loss(fraction).max())


def _max_band_prob(r: Result, c: _Cache, fraction: float) -> float:
    band = pd.cut(r.list_size.to_numpy(), LIST_SIZE_BANDS, right=False)
    return float(r.prob_loss(fraction).groupby(band, observed=True).mean().max())


def _outturn_beyond(fraction: float) -> Compute:
    """The mean over practices of the chance that outturn is more than ``fraction`` of
    budget above or below it in a year (over and under never happen together)."""
    def compute(r: Result, c: _Cache) -> float:
        misses = c.get_or(("misses", fraction), lambda: r.outturn_misses(fraction))
        return float((misses["over"] + misses["under"]).mean())
    return compute


def _worst_p05_amount(r: Result, c: _Cache) -> float:
    return float(_practices(r, c)["p05_amount"].min())


def _worst_p05_fraction(r: Result, c: _Cache) -> float:
    m = _practices(r, c)
    return float((m["p05_amount"] / m["budget"]).min())


def _band_sd(r: Result, c: _Cache) -> pd.Series:
    """The spread per patient of each list-size band holding a practice, small practices
    (below :data:`SMALL_PRACTICE`) left out; empty when every practice is small."""
    small = bool((_practices(r, c)["list_size"] < SMALL_PRACTICE).any())
    bands = c.get_or("bands", lambda: r.by_list_size(_SIZED_BANDS if small
                                                     else LIST_SIZE_BANDS))
    sd = bands["sd_amount_per_head"] if len(bands) else pd.Series([], dtype=float)
    return sd.iloc[1:] if small else sd


def _sd_smallest(r: Result, c: _Cache) -> float:
    sd = _band_sd(r, c)
    return float(sd.iloc[0]) if len(sd) else math.nan


def _sd_largest(r: Result, c: _Cache) -> float:
    sd = _band_sd(r, c)
    return float(sd.iloc[-1]) if len(sd) else math.nan


def _fairness(r: Result, c: _Cache) -> float:
    sd = _band_sd(r, c)
    if not len(sd):
        return math.nan
    return float(sd.iloc[0] / sd.iloc[-1]) if sd.iloc[-1] > 0 else math.inf


def pool_funding(scn: SimulatedScenario, years: int) -> np.ndarray:
    """The high-cost pool's top-slice (pounds) in each simulated year (0 without one).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()                 # a 2% high-cost pool top-slice
    >>> bool(pool_funding(scn, 2)[0] == scn.resource * 0.02)
    True
    """
    return np.array([devolved_resource(scn.resource * (1 + scn.resource_growth) ** y,
                                       scn.formula.top_slices)[1].get("high_cost_pool", 0.0)
                     for y in range(years)])


def _pool_shortfall(r: Result, c: _Cache) -> float:
    funding = pool_funding(r.scenario, r.years)
    return float((np.asarray(r.pool_pence) / 100 > funding[None, :]).mean())


# ----------------------------------------------------------------------------- the figures
@attrs.frozen
class Figure:
    """One figure: its name (a template when it holds ``{P}`` or ``{X}``), its unit, which way
    is better and how it is computed; label, definition and sign come from the glossary.

    Parameters
    ----------
    name : str
        The name (``"expected_freed_up"``) or template (``"commissioner_tvar{P}"``).
    unit : str
        One of :data:`UNITS`.
    better : {"lower", "higher", ""}
        "" for a figure that describes the run (a count), not an aim.
    compute : callable
        ``compute(result, cache[, fraction])`` → float; ``fraction`` is the number of a
        template divided by 100.
    also : str
        Another spelling of the same figure (the summary's ``..._all_years``), or "". The
        glossary defines the figure under this spelling when there is one.

    Examples
    --------
    >>> f = FIGURES["commissioner_var{P}"]
    >>> f.match("commissioner_var99"), f.match("commissioner_var95_all_years")
    ((True, 99.0), (True, 95.0))
    >>> f.glossary_name
    'commissioner_var{P}_all_years'
    """

    name: str
    unit: str = attrs.field(validator=attrs.validators.in_(UNITS))
    better: str = attrs.field(validator=attrs.validators.in_(("lower", "higher", "")))
    compute: Compute = attrs.field(eq=False, repr=False)
    also: str = ""

    @property
    def glossary_name(self) -> str:
        """The glossary term (or template) that holds the label, definition and sign."""
        return self.also or self.name

    @property
    def templated(self) -> bool:
        """Whether the name holds a number (``{P}`` a level, ``{X}`` a loss)."""
        return "{" in self.name

    @property
    def counts_losses(self) -> bool:
        """Whether the number is a loss a simulation must count (``{X}``)."""
        return "{X}" in self.name

    def match(self, name: str) -> tuple[bool, float | None]:
        """Whether ``name`` is this figure, and its number (per cent) for a template."""
        spellings = [s for s in (self.name, self.also) if s]
        if not self.templated:
            return name in spellings, None
        for spelling in spellings:
            number = glossary.numbered(spelling, name)
            if number is not None:
                return True, number
        return False, None

    @property
    def description(self) -> str:
        """The meaning in words: definition, unit, sign and which way is better."""
        t = glossary.term(self.glossary_name)
        notes = [self.unit, t.sign, f"{self.better} is better" if self.better else ""]
        return f"{t.label}: {t.definition} ({'; '.join(n for n in notes if n)})"


#: Every figure a result, a comparison or a design reports, by name (or template).
FIGURES: dict[str, Figure] = {f.name: f for f in [
    Figure("simulations", "count", "", _simulations),
    Figure("years", "years", "", _years),
    Figure("total_budget_year1", "pounds", "", _total_budget_year1),
    Figure("expected_practice_amount", "pounds", "higher", _expected_practice_amount),
    Figure("expected_net_to_practices", "pounds", "higher",
           _practice_total("expected_net")),
    Figure("expected_freed_up", "pounds", "higher", _practice_total("expected_freed_up")),
    Figure("practices_prob_loss_over_{X}pct", "probability", "lower", _practices_prob),
    Figure("commissioner_mean_kept", "pounds", "higher", _risk("mean_kept"),
           also="commissioner_mean_kept_all_years"),
    Figure("commissioner_var{P}", "pounds", "lower", _risk("var"),
           also="commissioner_var{P}_all_years"),
    Figure("commissioner_tvar{P}", "pounds", "lower", _risk("tvar"),
           also="commissioner_tvar{P}_all_years"),
    Figure("commissioner_prob_loss", "probability", "lower", _risk("prob_loss")),
    Figure("worst_practice_p05_amount", "pounds", "higher", _worst_p05_amount),
    Figure("worst_practice_p05_fraction", "fraction of budget", "higher", _worst_p05_fraction),
    Figure("max_practice_prob_loss_over_{X}pct", "probability", "lower", _max_practice_prob),
    Figure("max_band_prob_loss_over_{X}pct", "probability", "lower", _max_band_prob),
    Figure("sd_per_head_smallest_lists", "pounds per registered patient", "lower",
           _sd_smallest),
    Figure("sd_per_head_largest_lists", "pounds per registered patient", "lower",
           _sd_largest),
    Figure("fairness_sd_ratio", "ratio", "lower", _fairness),
    Figure("high_cost_pool_shortfall_prob", "probability", "lower", _pool_shortfall),
    Figure("practices_prob_outturn_beyond_10pct", "probability", "lower",
           _outturn_beyond(0.10)),
]}

#: The figures of :meth:`SimulationResult.summary`, in order.
SUMMARY: tuple[str, ...] = (
    "simulations", "years", "total_budget_year1", "expected_practice_amount",
    "expected_net_to_practices", "expected_freed_up", "practices_prob_loss_over_2pct",
    "commissioner_mean_kept_all_years", "commissioner_var95_all_years",
    "commissioner_tvar95_all_years")
#: The figures of :func:`~pbcmodel.scenario.variants.headline` (a comparison's rows), in order.
HEADLINE: tuple[str, ...] = (
    *SUMMARY, "worst_practice_p05_amount", "max_practice_prob_loss_over_2pct",
    "sd_per_head_smallest_lists", "sd_per_head_largest_lists")

#: Name (or template) → meaning, unit, sign and which way is better, of every figure a design
#: may aim at (``P`` and ``X`` are percentages: ``commissioner_tvar95``,
#: ``max_band_prob_loss_over_5pct``).
METRICS: dict[str, str] = {name: f.description for name, f in FIGURES.items() if f.better}


@attrs.frozen
class Metric:
    """A figure by the name it was asked for (its number, if any, read from the name).

    Examples
    --------
    >>> m = metric("practices_prob_loss_over_5pct")
    >>> m.figure.name, m.number, m.loss_fraction, m.unit
    ('practices_prob_loss_over_{X}pct', 5.0, 0.05, 'probability')
    """

    name: str
    figure: Figure
    number: float | None = None

    @property
    def fraction(self) -> float | None:
        """The number of a template divided by 100 (a level or a loss), else None."""
        return None if self.number is None else self.number / 100

    @property
    def loss_fraction(self) -> float | None:
        """A loss (fraction of budget) a simulation must count for this figure, or None."""
        return self.fraction if self.figure.counts_losses else None

    @property
    def unit(self) -> str:
        """One of :data:`UNITS`."""
        return self.figure.unit

    @property
    def better(self) -> str:
        """``"lower"`` or ``"higher"`` ("" for a figure that is not an aim)."""
        return self.figure.better

    @property
    def term(self) -> glossary.Term:
        """The glossary's definition, at this figure's number."""
        name = self.figure.glossary_name
        if self.number is not None:
            name = name.replace("{P}", f"{self.number:g}").replace("{X}", f"{self.number:g}")
        return glossary.term(name)

    @property
    def label(self) -> str:
        """The plain-words heading readers see (from the glossary)."""
        return self.term.label

    @property
    def sign(self) -> str:
        """What positive means (from the glossary; "" when it cannot be negative)."""
        return self.term.sign

    @property
    def description(self) -> str:
        """The meaning in words: definition, unit, sign and which way is better."""
        return self.figure.description

    def compute(self, result: Result, cache: _Cache) -> float:
        """The figure's value for one result (intermediate tables shared through ``cache``)."""
        if self.fraction is None:
            return self.figure.compute(result, cache)
        return self.figure.compute(result, cache, self.fraction)


def _known() -> str:
    return (f"known: {', '.join(METRICS)} (P and X are percentages, e.g. "
            "commissioner_tvar95, max_band_prob_loss_over_5pct)")


def _find(name: str, role: str) -> Metric:
    """The figure called ``name``, with its number checked."""
    if not isinstance(name, str):
        raise ValidationError(f"{role}: expected a metric name, got {name!r}")
    for figure in FIGURES.values():
        found, number = figure.match(name)
        if not found:
            continue
        if number is not None and not 0 < number < 100:
            raise ValidationError(f"{role}: {name!r}: the number must be between 0 and 100 "
                                  f"(a percentage), got {number:g}")
        return Metric(name, figure, number)
    raise ValidationError(f"{role}: unknown metric {name!r}; {_known()}")


def metric(name: str, scenario: SimulatedScenario | None = None, *, role: str = "metric") -> Metric:
    """The figure called ``name``, one a design may aim at (:data:`METRICS`), checked against
    ``scenario``.

    Raises
    ------
    ValidationError
        An unknown name (the message lists the known ones), a level or percentage out of
        range, a figure that describes the run (``simulations``, ``years``,
        ``total_budget_year1``), or ``high_cost_pool_shortfall_prob`` for a scenario without
        a high-cost threshold and a ``"high_cost_pool"`` top-slice.

    Examples
    --------
    >>> metric("commissioner_tvar95").better
    'lower'
    >>> metric("commissioner_tvar").name
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: metric: unknown metric 'commissioner_tvar'; known: ...
    """
    found = _find(name, role)
    if not found.better:
        raise ValidationError(f"{role}: {name!r} describes the run, it is not an aim; "
                              f"{_known()}")
    if found.figure.name == "high_cost_pool_shortfall_prob" and scenario is not None and (
            scenario.high_cost_threshold is None
            or "high_cost_pool" not in scenario.formula.top_slices):
        raise ValidationError(f"{role}: {name} needs a high_cost_threshold and a "
                              "'high_cost_pool' top-slice in the scenario's formula")
    return found


def measure(result: Result, metrics: Sequence[Metric]) -> np.ndarray:
    """The values of ``metrics`` for one simulation result (one ``metrics()`` call each).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> res = pbc.Scenario.example(high_cost_threshold=None).simulate(n=100, method="normal")
    >>> v = measure(res, [metric("commissioner_tvar95"), metric("expected_freed_up")])
    >>> bool(v[0] == res.commissioner_risk(0.95)["tvar"])
    True
    """
    cache = _Cache()
    return np.array([m.compute(result, cache) for m in metrics], dtype=float)


def figures(result: Result, names: Iterable[str]) -> pd.Series:
    """Named figures of one result, as a Series named by its scenario.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> res = pbc.Scenario.example().simulate(n=100, seed=1)
    >>> figures(res, ["expected_freed_up", "commissioner_tvar99"]).index.tolist()
    ['expected_freed_up', 'commissioner_tvar99']
    """
    cache = _Cache()
    return pd.Series({name: _find(name, "figures").compute(result, cache) for name in names},
                     name=result.scenario.name)


# ----------------------------------------------------------------------------- columns
@attrs.frozen
class Column:
    """A column of a result's own table: per practice (``"metrics"``) or per list-size band
    (``"by_list_size"``); label, definition and sign come from the glossary.

    Examples
    --------
    >>> COLUMNS["metrics"]["p05_amount"].label
    'Bad year (5th percentile)'
    """

    name: str
    table: str
    unit: str = attrs.field(validator=attrs.validators.in_(UNITS))
    better: str = ""

    @property
    def term(self) -> glossary.Term:
        """The glossary's definition."""
        return glossary.term(self.name)

    @property
    def label(self) -> str:
        """The plain-words heading readers see (from the glossary)."""
        return self.term.label


def _columns(*columns: Column) -> dict[str, Column]:
    return {c.name: c for c in columns}


#: Table → its columns, in order: :meth:`SimulationResult.metrics` (per practice) and
#: :meth:`SimulationResult.by_list_size` (per band).
COLUMNS: dict[str, dict[str, Column]] = {
    "metrics": _columns(
        Column("consortium", "metrics", "code"),
        Column("list_size", "metrics", "patients"),
        Column("budget", "metrics", "pounds"),
        Column("expected_net", "metrics", "pounds", "higher"),
        Column("net_sd", "metrics", "pounds", "lower"),
        Column("p05_amount", "metrics", "pounds", "higher"),
        Column("p95_amount", "metrics", "pounds", "higher"),
        Column("expected_freed_up", "metrics", "pounds", "higher"),
        Column("prob_loss_over_pounds", "metrics", "probability", "lower"),
        Column("prob_loss_over_fraction", "metrics", "probability", "lower")),
    "by_list_size": _columns(
        Column("practices", "by_list_size", "count"),
        Column("mean_amount_per_head", "by_list_size", "pounds per registered patient",
               "higher"),
        Column("sd_amount_per_head", "by_list_size", "pounds per registered patient",
               "lower"),
        Column("prob_loss_over_2pct", "by_list_size", "probability", "lower")),
}
