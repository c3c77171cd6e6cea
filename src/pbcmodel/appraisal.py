"""Business cases: NPV, payback, break-even activity, a risk-adjusted view and approval rules.

A practice proposes to move activity out of hospital, e.g. 500 outpatient follow-ups a year
into a community clinic at £60 each instead of the £95 tariff. :class:`BusinessCase` turns
that into cash flows by year (set-up in year 0; each later year avoided tariff − new
service cost − running cost), and is appraised on net present value at the Treasury
discount rate (3.5% by default), payback period, the activity needed to break even, and
the chance of losing money when the activity moved and the costs are uncertain.
Approval criteria are data (:class:`Rule`, :class:`ApprovalCriteria`), so every decision
comes with its reasons; a :class:`ConflictsRegister` flags cases in which the proposing
practice would itself be the provider, which need a declared interest and an independent
approver (conflict rules live in :mod:`pbcmodel.conflicts`).

Examples
--------
>>> from pbcmodel.appraisal import npv, payback_period
>>> round(npv([-1000, 600, 600], rate=0.1), 2)       # −1000 + 600/1.1 + 600/1.21
41.32
>>> round(payback_period([-1000, 600, 600]), 4)      # 1 + 400/600 years
1.6667
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .codes import PODS
from .errors import ValidationError
from .validation import (
    finite_array,
    finite_scalar,
    named,
    non_negative,
    number,
    unit_interval,
    whole_number,
)

__all__ = ["BusinessCase", "NPVDistribution", "npv", "payback_period"]


def _cashflows(cashflows: Any) -> np.ndarray:
    cf = finite_array(cashflows, "cashflows")
    if cf.ndim != 1 or cf.size == 0:
        raise ValidationError("cashflows: expected a non-empty sequence, one value per year")
    return cf


def _rate(rate: Any) -> float:
    r = finite_scalar(rate, "rate")
    if r <= -1:
        raise ValidationError(f"rate: must be > -1, got {rate!r}")
    return r


def npv(cashflows: Sequence[float] | np.ndarray | pd.Series, rate: float = 0.035) -> float:
    """Net present value of yearly cash flows; the first is year 0 and is not discounted.

    ``NPV = Σ_t CF_t / (1 + rate)^t``, t = 0, 1, … (HM Treasury Green Book convention).

    Parameters
    ----------
    cashflows : sequence of float
        Net cash flow per year, in order (pounds; costs negative).
    rate : float
        Discount rate per year (> −1); 3.5% by default.

    Examples
    --------
    >>> round(npv([-10_000, 4_000, 4_000, 4_000]), 2)   # 3.5%: −10000 + 4000·(0.9662+0.9335+0.9019)
    1206.55
    """
    cf = _cashflows(cashflows)
    r = _rate(rate)
    return float(np.sum(cf / (1.0 + r) ** np.arange(cf.size)))


def payback_period(cashflows: Sequence[float] | np.ndarray | pd.Series,
                   rate: float | None = None) -> float:
    """Years until the cumulative cash flow first reaches zero, interpolated within a year.

    Parameters
    ----------
    cashflows : sequence of float
        Net cash flow per year, year 0 first.
    rate : float, optional
        Discount the flows first (discounted payback); undiscounted by default.

    Returns
    -------
    float
        0 if year 0 is not negative; ``inf`` if the cumulative flow never reaches zero.

    Examples
    --------
    >>> payback_period([-900, 300, 300, 300, 300])
    3.0
    >>> payback_period([-900, 100, 100])
    inf
    """
    cf = _cashflows(cashflows)
    if rate is not None:
        cf = cf / (1.0 + _rate(rate)) ** np.arange(cf.size)
    cum = np.cumsum(cf)
    reached = np.flatnonzero(cum >= 0)
    if reached.size == 0:
        return math.inf
    t = int(reached[0])
    if t == 0:
        return 0.0
    return float(t - 1 + (-cum[t - 1]) / cf[t])


def _pod(instance: Any, attribute: Any, value: Any) -> None:
    if value not in PODS:
        raise ValidationError(f"pod: expected one of {list(PODS)}, got {value!r}")


#: Longest appraisal horizon, in years, a business case may have.
MAX_YEARS = 200


def _to_ramp(value: Any) -> tuple[float, ...]:
    """attrs converter: fractions of the activity moved in years 1, 2, …, each in [0, 1]."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, np.ndarray)):
        raise ValidationError(f"ramp_up: expected a list of fractions (years 1, 2, …), "
                              f"got {value!r}")
    if len(value) == 0:
        return ()
    return tuple(float(v) for v in unit_interval(value, "ramp_up"))


def _ramp(instance: Any, attribute: Any, value: tuple[float, ...]) -> None:
    if len(value) > instance.years:
        raise ValidationError(f"ramp_up: {len(value)} values for a {instance.years}-year case")


#: Most simulations :meth:`BusinessCase.risk_adjusted` draws (two floats each).
MAX_SIMULATIONS = 10_000_000


def _lognormal_factors(rng: np.random.Generator, cv: float, n: int) -> np.ndarray:
    """Multiplicative factors with mean 1 and coefficient of variation ``cv``."""
    if cv == 0:
        return np.ones(n)
    sigma2 = math.log1p(cv * cv)
    return rng.lognormal(-sigma2 / 2, math.sqrt(sigma2), n)


@attrs.frozen
class BusinessCase:
    """A proposal to move activity from hospital tariff to a new service.

    Parameters
    ----------
    name : str
        Short title; also the key in a :class:`ConflictsRegister`.
    proposer : str
        Code of the proposing practice (or consortium).
    provider : str
        Who would provide the new service. A case in which ``provider == proposer`` is
        conflicted (see :class:`ConflictsRegister`).
    pod : str
        Point of delivery the activity leaves (one of :data:`~pbcmodel.codes.PODS`).
    activity : float
        Units moved a year once fully running (e.g. 500 follow-up attendances).
    tariff : float
        Pounds per unit paid now (the tariff avoided).
    unit_cost : float
        Pounds per unit in the new service.
    setup_cost : float
        One-off cost in year 0.
    running_cost : float
        Fixed cost a year of running the new service (staff, rooms), on top of ``unit_cost``.
    years : int
        Appraisal horizon after year 0.
    ramp_up : tuple of float
        Fraction of ``activity`` moved in years 1, 2, …; later years move all of it.
    discount_rate : float
        For NPV; 3.5% (HM Treasury Green Book) by default.
    activity_cv, cost_cv : float
        Uncertainty of the activity actually moved and of the new service's costs
        (coefficients of variation) for :meth:`risk_adjusted`.

    Examples
    --------
    >>> case = BusinessCase(name="Community follow-up clinic", proposer="P001",
    ...                     provider="CT1", pod="outpatient_follow_up", activity=500,
    ...                     tariff=95.0, unit_cost=60.0, setup_cost=10_000, running_cost=2_000,
    ...                     years=5, ramp_up=(0.5,))
    >>> case.cashflows().tolist()      # year 1: 250 × (95 − 60) − 2000; then 500 × 35 − 2000
    [-10000.0, 6750.0, 15500.0, 15500.0, 15500.0, 15500.0]
    >>> round(case.npv(), 0), round(case.payback_period(), 3)   # payback: 1 + 3250/15500
    (51529.0, 1.21)
    """

    name: str = attrs.field(validator=named)
    proposer: str = attrs.field(validator=named)
    provider: str = attrs.field(validator=named)
    pod: str = attrs.field(validator=_pod)
    activity: float = attrs.field(converter=lambda v: number(v, "activity"),
                                  validator=non_negative)
    tariff: float = attrs.field(converter=lambda v: number(v, "tariff"), validator=non_negative)
    unit_cost: float = attrs.field(converter=lambda v: number(v, "unit_cost"),
                                   validator=non_negative)
    setup_cost: float = attrs.field(default=0.0, converter=lambda v: number(v, "setup_cost"),
                                    validator=non_negative)
    running_cost: float = attrs.field(default=0.0,
                                      converter=lambda v: number(v, "running_cost"),
                                      validator=non_negative)
    years: int = attrs.field(default=5,
                             converter=lambda v: whole_number(v, "years", maximum=MAX_YEARS))
    ramp_up: tuple[float, ...] = attrs.field(default=(), converter=_to_ramp, validator=_ramp)
    discount_rate: float = attrs.field(default=0.035,
                                       converter=lambda v: number(v, "discount_rate"))
    activity_cv: float = attrs.field(default=0.2, converter=lambda v: number(v, "activity_cv"),
                                     validator=non_negative)
    cost_cv: float = attrs.field(default=0.1, converter=lambda v: number(v, "cost_cv"),
                                 validator=non_negative)

    def __attrs_post_init__(self) -> None:
        _rate(self.discount_rate)

    @property
    def conflicted(self) -> bool:
        """True when the proposing practice would be the provider."""
        return self.provider.strip() == self.proposer.strip()

    def _realised(self) -> np.ndarray:
        """Fraction of ``activity`` moved in years 0 … years."""
        r = np.ones(self.years + 1)
        r[0] = 0.0
        r[1:1 + len(self.ramp_up)] = self.ramp_up
        return r

    def _discount(self) -> np.ndarray:
        return (1.0 + self.discount_rate) ** -np.arange(self.years + 1)

    def savings_by_year(self) -> pd.DataFrame:
        """Cash flows by year, built up from the activity moved.

        Returns
        -------
        DataFrame
            Index ``year`` (0 … years); columns ``activity``, ``tariff_avoided``,
            ``service_cost`` (activity × unit cost + running cost), ``setup_cost``, ``net``,
            ``cumulative`` and ``discounted``.

        Examples
        --------
        >>> case = BusinessCase(name="x", proposer="P1", provider="T1", pod="elective",
        ...                     activity=10, tariff=1000, unit_cost=700, setup_cost=2000, years=2)
        >>> case.savings_by_year()["net"].tolist()
        [-2000.0, 3000.0, 3000.0]
        """
        realised = self._realised()
        act = self.activity * realised
        running = np.where(np.arange(self.years + 1) > 0, self.running_cost, 0.0)
        setup = np.zeros(self.years + 1)
        setup[0] = self.setup_cost
        out = pd.DataFrame({
            "activity": act,
            "tariff_avoided": act * self.tariff,
            "service_cost": act * self.unit_cost + running,
            "setup_cost": setup,
        }, index=pd.RangeIndex(self.years + 1, name="year"))
        out["net"] = out["tariff_avoided"] - out["service_cost"] - out["setup_cost"]
        out["cumulative"] = out["net"].cumsum()
        out["discounted"] = out["net"] * self._discount()
        return out

    def cashflows(self) -> pd.Series:
        """Net cash flow by year (year 0 = set-up). See :meth:`savings_by_year`."""
        return self.savings_by_year()["net"]

    def npv(self, rate: float | None = None) -> float:
        """Net present value at ``rate`` (default: the case's ``discount_rate``)."""
        return npv(self.cashflows(), self.discount_rate if rate is None else rate)

    def payback_period(self) -> float:
        """Undiscounted payback period in years (``inf`` if never)."""
        return payback_period(self.cashflows())

    def break_even_activity(self) -> float:
        """Units a year that must move for the NPV to be zero (``inf`` if none suffices).

        NPV is linear in the activity moved: ``−setup − PV(running) + a·(tariff − unit_cost)
        ·Σ_t ramp_t / (1 + r)^t``; solve for ``a``.

        Examples
        --------
        >>> case = BusinessCase(name="x", proposer="P1", provider="T1", pod="elective",
        ...                     activity=10, tariff=1000, unit_cost=700, setup_cost=3000,
        ...                     years=2, discount_rate=0.0)
        >>> case.break_even_activity()                   # 3000 / (300 × 2 years)
        5.0
        """
        d = self._discount()
        fixed = self.setup_cost + self.running_cost * d[1:].sum()
        per_unit = (self.tariff - self.unit_cost) * (self._realised() * d).sum()
        if per_unit <= 0:
            return 0.0 if fixed == 0 else math.inf
        return float(fixed / per_unit)

    def risk_adjusted(self, n: int = 10_000, seed: int = 0) -> NPVDistribution:
        """Distribution of NPV when the activity moved and the new costs are uncertain.

        Each simulation draws one activity factor (mean 1, cv ``activity_cv``) and one cost
        factor (mean 1, cv ``cost_cv``, applied to unit and running costs), both lognormal and
        held for the whole horizon, from ``numpy.random.SeedSequence(seed)``.

        Examples
        --------
        >>> case = BusinessCase(name="x", proposer="P1", provider="T1", pod="elective",
        ...                     activity=10, tariff=1000, unit_cost=700, setup_cost=2000)
        >>> d = case.risk_adjusted(n=2_000, seed=1)
        >>> bool(abs(d.mean - case.npv()) < 0.05 * case.npv()), 0 <= d.prob_negative < 0.1
        (True, True)
        """
        size = whole_number(n, "n", maximum=MAX_SIMULATIONS)
        rng = np.random.default_rng(np.random.SeedSequence(whole_number(seed, "seed",
                                                                        minimum=0)))
        act = _lognormal_factors(rng, self.activity_cv, size)
        cost = _lognormal_factors(rng, self.cost_cv, size)
        d = self._discount()
        moved = self.activity * (self._realised() * d).sum()
        running = self.running_cost * d[1:].sum()
        values = (-self.setup_cost + act * moved * (self.tariff - cost * self.unit_cost)
                  - cost * running)
        return NPVDistribution(samples=values)


@attrs.frozen(eq=False)
class NPVDistribution:
    """Simulated NPVs of a business case (see :meth:`BusinessCase.risk_adjusted`).

    Examples
    --------
    >>> import numpy as np
    >>> d = NPVDistribution(samples=np.array([-10.0, 5.0, 20.0, 30.0]))
    >>> d.mean, d.prob_negative
    (11.25, 0.25)
    """

    samples: np.ndarray = attrs.field(converter=lambda a: finite_array(a, "samples"))

    @property
    def mean(self) -> float:
        """Mean NPV."""
        return float(self.samples.mean())

    @property
    def std(self) -> float:
        """Standard deviation of NPV."""
        return float(self.samples.std())

    @property
    def prob_negative(self) -> float:
        """Probability that the NPV is below zero."""
        return float((self.samples < 0).mean())

    def quantile(self, q: float | Sequence[float]) -> Any:
        """NPV quantile(s)."""
        return np.quantile(self.samples, q)
