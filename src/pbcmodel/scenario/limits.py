"""What a simulation is refused for before any work starts: a missing cost model, money too
large to settle exactly in pence, a run that would not fit in memory.

:func:`check_scenarios` runs the first two for every scenario of a run (budgets made once for
scenarios that share them), :func:`check_memory` the third
(:func:`pbcmodel.scenario.memory.check_simulation_memory`, from the run's options).

Examples
--------
>>> import pbcmodel as pbc
>>> check_amounts(pbc.Scenario.example(cost_growth=1e6), years=3)
Traceback (most recent call last):
...
pbcmodel.errors.ValidationError: cost_growth: expected outturns grown by cost_growth 1,000,000 \
a year reach £25,223,343,443,318 in year 2 (practice 'P027'), which exceeds the largest amount \
pbcmodel can settle exactly, £9,223,372,036.85 a practice-year; use a smaller cost_growth or at \
most 1 year(s)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import ValidationError
from ..money import MAX_PENCE, gbp
from .memory import check_simulation_memory
from .options import SimulationOptions
from .plan import SimulatedScenario, once_per_budgets, require_cost_model

__all__ = ["check_amounts", "check_memory", "check_scenarios"]


def _amount(log_pounds: float) -> str:
    """An amount of pounds given by its natural logarithm, in words a reader can take in."""
    if log_pounds < math.log(1e21):
        return f"£{math.exp(log_pounds):,.0f}"
    return f"about £{math.exp(log_pounds):.3g}" if log_pounds < 709 else \
        f"about £10^{log_pounds / math.log(10):,.0f}"


def _rate(rate: float) -> str:
    return f"{rate:,.0f}" if rate == int(rate) and abs(rate) < 1e18 else f"{rate:,.6g}"


def check_amounts(scn: SimulatedScenario, years: int, budget: np.ndarray | None = None) -> None:
    """Refuse, before any work, a scenario whose money would not settle exactly in pence.

    Every practice-year's budget (grown by ``resource_growth``) and expected outturn (grown
    by ``cost_growth``), and the per-patient ``high_cost_threshold``, must stay within
    :data:`pbcmodel.money.MAX_PENCE` (int64 pence with headroom for sums over simulations).
    Growth is compounded in logarithms, so no float overflows on the way. ``budget``: the
    first year's budget totals (pounds), if already made.
    """
    limit = MAX_PENCE / 100
    largest = f"the largest amount pbcmodel can settle exactly, {gbp(MAX_PENCE)} a practice-year"
    d = scn.high_cost_threshold
    if d is not None and d > limit:
        raise ValidationError(
            f"high_cost_threshold: £{d:,.6g} a patient exceeds {largest}; give a threshold "
            "below it, or none (high_cost_threshold=None) for no high-cost pool")
    mean, _ = require_cost_model(scn).patient_moments()
    spend = scn.population.counts.to_numpy() @ mean * scn.population.cost_factor()
    if budget is None:
        budget = scn.budgets()["total"].to_numpy()
    codes = scn.population.codes
    for name, base, rate, what in (("cost_growth", spend, scn.cost_growth, "expected outturns"),
                                   ("resource_growth", budget, scn.resource_growth, "budgets")):
        worst = int(np.argmax(base))
        if base[worst] <= 0:
            continue
        room = math.log(limit) - math.log(base[worst])      # log of the growth that fits
        if room >= 0 and (rate <= 0 or (years - 1) * math.log1p(rate) <= room):
            continue
        if room < 0:         # too big before any growth: the money itself, not growth
            culprit, advice = (("cost_model", "check that the cost model's means are in pounds "
                                "a patient") if name == "cost_growth" else
                               ("resource", "check that the resource is in pounds"))
            raise ValidationError(
                f"{culprit}: the {what[:-1]} of practice {codes[worst]!r} is "
                f"{_amount(math.log(base[worst]))}, which exceeds {largest}; {advice}")
        year = math.floor(room / math.log1p(rate)) + 1      # the first year that is too big
        log_amount = math.log(base[worst]) + year * math.log1p(rate)
        raise ValidationError(
            f"{name}: {what} grown by {name} {_rate(rate)} a year reach "
            f"{_amount(log_amount)} in year {year + 1:,} (practice {codes[worst]!r}), which "
            f"exceeds {largest}; use a smaller {name} or at most {year:,} year(s)")


def check_scenarios(scenarios: Sequence[SimulatedScenario], years: int) -> None:
    """Every scenario has a cost model, then its money settles exactly in pence for
    ``years`` years (:func:`check_amounts`; first-year budgets made once for scenarios that
    share them)."""
    for scn in scenarios:
        require_cost_model(scn)
    first_years = once_per_budgets(scenarios, lambda scn: scn.budgets()["total"].to_numpy())
    for scn, budget in zip(scenarios, first_years, strict=True):
        check_amounts(scn, years, budget)


def check_memory(scenarios: Sequence[SimulatedScenario], options: SimulationOptions, *,
                 groups: int) -> int:
    """Refuse a run that would not fit in memory (:func:`~.memory.check_simulation_memory`);
    return its estimated bytes. ``groups``: sets of drivers of spend, each with its own
    distributions."""
    # a user's cluster works in its own memory: here only the results, two tallies at a time
    here = 2 if options.client is not None else options.threads
    return check_simulation_memory(
        options.n, max(scn.population.n_practices for scn in scenarios), options.years,
        what="n", keep=options.keep, on_disk=sum(t is not None for t in options.targets(
            len(scenarios))), scenarios=len(scenarios), workers=here, method=options.method,
        groups=groups, engine="client" if options.client is not None else options.engine)
