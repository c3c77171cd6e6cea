"""What a simulation is refused for before any work starts: a missing cost model, money too
large to settle exactly in pence (practice effects included), a run that would not fit in
memory.

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
import pandas as pd
from scipy import special

from ..errors import ValidationError
from ..money import MAX_PENCE, gbp
from ..risk.effects import MAX_EFFECT_SD, PracticeEffects
from ..risk.laws import unit_from_bits
from .memory import check_simulation_memory
from .options import SimulationOptions
from .plan import SimulatedScenario, once_per_budgets, require_cost_model

__all__ = ["LARGEST_Z", "check_amounts", "check_effects", "check_memory", "check_scenarios",
           "log_effect_bounds"]

#: A bound on standard normal draws: the quantile of the largest uniform the random streams
#: give, ``1 − 2⁻⁵³`` (:func:`~pbcmodel.risk.laws.unit_from_bits`), about 8.21. A normal
#: draw beyond it has a chance of about 1e-16. It bounds the practice effects, and so the
#: money, a simulation draws (:func:`log_effect_bounds`).
LARGEST_Z = float(special.ndtri(unit_from_bits(np.array([2**64 - 1], dtype=np.uint64))[0]))


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
    by ``cost_growth``, and times the largest effect the scenario's ``practice_effects``
    can draw: :func:`check_effects`), and the per-patient ``high_cost_threshold``, must
    stay within :data:`pbcmodel.money.MAX_PENCE` (int64 pence with headroom for sums over
    simulations). Growth is compounded in logarithms, so no float overflows on the way.
    ``budget``: the first year's budget totals (pounds), if already made.
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
    if scn.practice_effects is not None:
        check_effects(scn.practice_effects, codes, spend, scn.cost_growth, years)


def log_effect_bounds(effects: PracticeEffects, codes: pd.Index, years: int) -> np.ndarray:
    """The log effect ``u_t − V_t / 2`` of :mod:`pbcmodel.risk.effects` at :data:`LARGEST_Z`
    standard deviations above its mean, year × practice: ``persistence^t · centre +
    LARGEST_Z · √V_t − V_t / 2``.

    Each year's ``u_t`` is normal with mean ``persistence^t · centre`` and variance ``V_t``
    (:meth:`~pbcmodel.risk.effects.PracticeEffects.log_variance`), so an effect beyond its
    bound has the chance of a normal draw beyond :data:`LARGEST_Z`, about 1e-16 a
    practice-year.

    Examples
    --------
    >>> eff = PracticeEffects(sd=0.1, persistence=0.8, centre={"A": 0.2})
    >>> log_effect_bounds(eff, pd.Index(["A", "B"]), 2).round(4).tolist()   # 0.1 · 8.21 − 0.005
    [[1.0159, 0.8159], [0.9759, 0.8159]]
    """
    mean, variance = effects.log_moments(years, codes)
    return mean + LARGEST_Z * np.sqrt(variance) - variance / 2


def _log_outturns(effects: PracticeEffects, codes: pd.Index, log_spend: np.ndarray,
                  growth: float, years: int) -> np.ndarray:
    """Logs of the outturns at the effects' bounds (:func:`log_effect_bounds`), year ×
    practice."""
    years_grown = np.arange(years)[:, None] * math.log1p(growth)
    return log_spend + years_grown + log_effect_bounds(effects, codes, years)


def check_effects(effects: PracticeEffects, codes: pd.Index, spend: np.ndarray,
                  cost_growth: float, years: int) -> None:
    """Refuse practice effects so large that an outturn they can draw (expected ``spend``
    per practice of ``codes``, grown by ``cost_growth``, times the effect at its bound:
    :func:`log_effect_bounds`) exceeds :data:`pbcmodel.money.MAX_PENCE` in ``years``.

    The message gives the range of ``sd`` that fits (or, when the known first-year effects
    alone do not, says so) and the years that fit.

    Examples
    --------
    >>> check_effects(PracticeEffects.dixon_2011(), pd.Index(["A"]), np.array([1e7]), 0.0, 50)
    >>> eff = PracticeEffects(sd=0.8, persistence=0.9)
    >>> check_effects(eff, pd.Index(["A"]), np.array([1e7]), 0.05, 15)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: practice_effects: with sd 0.8 and persistence 0.9, an \
effect 8.21 standard deviations up (the largest normal draw inversion gives) takes the \
expected outturn of practice 'A', £10,000,000, to £9,280,734,620 in year 13, which exceeds \
the largest amount pbcmodel can settle exactly, £9,223,372,036.85 a practice-year; allowed \
here: sd from 0 to 0.786 (0 to 1 in general), or at most 12 year(s)
    """
    limit = math.log(MAX_PENCE / 100)
    with np.errstate(divide="ignore"):                   # a practice with no spend: log 0
        log_spend = np.log(spend)
    logs = _log_outturns(effects, codes, log_spend, cost_growth, years)
    if logs.max(initial=-np.inf) <= limit:
        return
    year = int(np.flatnonzero((logs > limit).any(axis=1))[0])
    worst = int(np.argmax(logs[year]))
    raise ValidationError(
        f"practice_effects: with sd {effects.sd:g} and persistence {effects.persistence:g}, "
        f"an effect {LARGEST_Z:.2f} standard deviations up (the largest normal draw "
        f"inversion gives) takes the expected outturn of practice {codes[worst]!r}, "
        f"{_amount(log_spend[worst])}, to {_amount(logs[year, worst])} in year {year + 1:,}, "
        f"which exceeds the largest amount pbcmodel can settle exactly, {gbp(MAX_PENCE)} a "
        f"practice-year; allowed here: {_allowed(effects, codes, log_spend, cost_growth, years)}"
        + (f", or at most {year:,} year(s)" if year else ""))


def _allowed(effects: PracticeEffects, codes: pd.Index, log_spend: np.ndarray, growth: float,
             years: int) -> str:
    """The spreads that fit (found by halving: the bounds grow with ``sd``), in words."""
    limit = math.log(MAX_PENCE / 100)

    def fits(sd: float) -> bool:
        return bool(_log_outturns(effects.evolve(sd=sd), codes, log_spend, growth,
                                  years).max() <= limit)

    if not fits(0.0):
        return "smaller known first-year effects (centre, uncertainty)"
    low, high = 0.0, effects.sd
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (mid, high) if fits(mid) else (low, mid)
    return f"sd from 0 to {math.floor(low * 1000) / 1000:g} (0 to {MAX_EFFECT_SD:g} in general)"


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
