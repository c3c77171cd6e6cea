"""The sharing arithmetic: :class:`SideRule`, :class:`ShareSchedule`, gates and conditions.

A :class:`ShareSchedule` maps a budget and an outturn (actual spend) to the *practice
amount*: positive when part of an underspend is paid to the practice, negative when the
practice bears part of an overspend. Each side is a :class:`SideRule` (tiers of
``(threshold, share)``, a minimum rate, ``first_dollar``, a cap), and
:func:`side_amount` is the one place their arithmetic is written, element by element, for
arrays (:meth:`SideRule.amount`, :func:`shared_amount`) and for the single numbers of the
compiled settlement (:mod:`pbcmodel.settlement.settle_kernel`). Gates (:class:`Gate`)
decide whether, and how much of, the savings side is paid; they and
:func:`resolve_conditions` live in :mod:`pbcmodel.sharing.gates` (importable from here too).
Published schemes are in :mod:`pbcmodel.sharing.presets`; schedules written as bands are
built by :func:`pbcmodel.sharing.corridor`.

Examples
--------
>>> sched = ShareSchedule(savings=[(0.0, 0.7)], losses=[(0.0, 0.5)])
>>> [float(sched.practice_amount(1_000_000, o)) for o in (950_000, 1_020_000)]
[35000.0, -10000.0]
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..validation import (
    align_condition,
    align_series,
    boolean,
    check_fraction,
    condition_array,
    finite_scalar,
    money_array,
    number,
    optional_number,
    quoted,
)
from .gates import FROM_OUTTURN, Gate, check_gates, resolve_conditions, to_gates

__all__ = [
    "FROM_OUTTURN",
    "MAX_BUDGET_FRACTION",
    "Gate",
    "ShareSchedule",
    "SideRule",
    "Tiers",
    "budget_fraction",
    "gate_multiplier",
    "resolve_conditions",
    "share_of_variance",
    "shared_amount",
    "side_amount",
]

Tiers = tuple[tuple[float, float], ...]
#: A :class:`SideRule` as plain numbers (:attr:`SideRule.terms`): thresholds and shares
#: (tuples of floats), minimum rate, first_dollar, cap (NaN for none).
SideTerms = tuple[tuple[float, ...], tuple[float, ...], float, bool, float]

#: Largest fraction of budget a tier threshold or a cap may be: 10, i.e. 1,000% of budget,
#: an under- or overspend ten times the budget. Real schedules use a few per cent (the ACA
#: corridor's thresholds are 3% and 8%, MSSP caps 5% to 15%); a larger number is a typo
#: (a percentage written as 50 for 0.5, or 1e300, which overflows when multiplied by a
#: budget). For no cap, leave the cap out (None).
MAX_BUDGET_FRACTION = 10.0


def budget_fraction(value: Any, name: str, *, cap: bool = False) -> float:
    """A threshold or cap as a fraction of budget: finite, from 0 to
    :data:`MAX_BUDGET_FRACTION`.

    Examples
    --------
    >>> budget_fraction(0.05, "cap")
    0.05
    >>> budget_fraction(1e300, "cap")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: cap: must be a fraction of budget from 0 to 10 (0.05 is \
5% of budget, 10 is 1,000%), got 1e+300
    >>> budget_fraction(50, "loss_cap", cap=True)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: loss_cap: must be a fraction of budget from 0 to 10 (0.05 \
is 5% of budget, 10 is 1,000%), or left out for no cap, got 50
    """
    v = finite_scalar(value, name)
    if not 0.0 <= v <= MAX_BUDGET_FRACTION:
        no_cap = ", or left out for no cap" if cap else ""
        raise ValidationError(f"{name}: must be a fraction of budget from 0 to "
                              f"{MAX_BUDGET_FRACTION:g} (0.05 is 5% of budget, "
                              f"{MAX_BUDGET_FRACTION:g} is {MAX_BUDGET_FRACTION:,.0%}){no_cap}, "
                              f"got {value!r}")
    return v


def _optional_cap(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: ``None`` (no cap) or :func:`budget_fraction`."""
    if value is not None:
        budget_fraction(value, attribute.name, cap=True)


def _to_tiers(value: Any) -> Tiers:
    """attrs converter: any sequence of pairs → a tuple of (float, float)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return value  # left for the validator to reject with a clear message
    out = []
    for item in value:
        try:
            threshold, share = item
        except (TypeError, ValueError):
            return value
        out.append((threshold, share))
    return tuple(out)


def _check_tiers(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: non-empty tiers, thresholds >= 0 strictly increasing, shares in [0, 1]."""
    name = attribute.name
    if not isinstance(value, tuple) or not value:
        raise ValidationError(
            f"{name}: expected a non-empty list of (threshold, share) pairs, got {value!r}")
    previous = -np.inf
    for i, (threshold, share) in enumerate(value):
        t = budget_fraction(threshold, f"{name}[{i}] threshold")
        if t <= previous:
            raise ValidationError(
                f"{name}[{i}] threshold: thresholds must be strictly increasing, "
                f"got {threshold!r} after {previous!r}")
        previous = t
        check_fraction(share, f"{name}[{i}] share")


def _rate(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: a minimum rate in [0, 1)."""
    check_fraction(value, attribute.name, high_open=True)


@attrs.frozen(kw_only=True)
class SideRule:
    """One side (savings or losses) of a sharing rule, in any money unit.

    The rule that decides how much of an under- or overspend a practice keeps or bears:
    ``tiers`` of ``(threshold, share)`` (threshold a fraction of budget, share the
    practice's marginal share beyond it), a ``minimum_rate`` (fraction of budget) that must
    be reached before anything is shared, ``first_dollar`` (once reached, share from the
    first pound, or only the excess over the minimum) and a ``cap`` (fraction of budget).
    :attr:`ShareSchedule.savings_rule`, :attr:`ShareSchedule.losses_rule` and
    :attr:`pbcmodel.overspend.OverspendPolicy.losses_rule` return one.

    Examples
    --------
    >>> rule = SideRule(tiers=((0.0, 0.5),), minimum_rate=0.02, first_dollar=False)
    >>> rule.amount(np.array([10_000.0, 50_000.0]), np.array([1e6, 1e6])).tolist()
    [0.0, 15000.0]
    >>> rule.describe("overspend")
    '50% of the overspend, once it reaches 2% of budget (of the excess only)'
    """

    tiers: Tiers = attrs.field(converter=_to_tiers, validator=_check_tiers)
    minimum_rate: float = attrs.field(default=0.0,
                                      converter=lambda v: number(v, "minimum_rate"),
                                      validator=_rate)
    first_dollar: bool = attrs.field(default=True, validator=boolean)
    cap: float | None = attrs.field(default=None, converter=lambda v: optional_number(v, "cap"),
                                    validator=_optional_cap)

    def amount(self, excess: np.ndarray, budget: np.ndarray,
               factor: np.ndarray | float = 1.0) -> np.ndarray:
        """The practice's (non-negative) amount for a non-negative ``excess`` over/under budget.

        :func:`side_amount` (the one place the arithmetic of tiers, a minimum rate and a cap
        is written) with this rule's :attr:`terms`, for both sides of every schedule and for
        an :class:`~pbcmodel.overspend.OverspendPolicy`, whose tolerance is a minimum rate
        charged on the excess only (``first_dollar=False``), whose practice share is one tier
        and whose cap is the cap (:attr:`pbcmodel.overspend.OverspendPolicy.losses_rule`).

        Parameters
        ----------
        excess : array
            The underspend (savings side) or overspend (losses side), >= 0.
        budget : array
            Budgets, in the same unit; broadcasts with ``excess``.
        factor : array or float, default 1
            The gates' multiplier, applied before the cap.

        Returns
        -------
        numpy.ndarray
            A new array of the broadcast shape, non-decreasing in ``excess`` (each step is
            monotone in floating point too).

        Examples
        --------
        A 2% tolerance, 50% share and 5% cap on a budget of 1,000,000: an overspend of
        15,000 is inside the 20,000 tolerance (0); 60,000 costs 50% × 40,000 = 20,000;
        300,000 would cost 140,000, capped at 50,000.

        >>> rule = SideRule(tiers=((0.0, 0.5),), minimum_rate=0.02, first_dollar=False, cap=0.05)
        >>> rule.amount(np.array([15e3, 60e3, 300e3]), np.array(1e6)).tolist()
        [0.0, 20000.0, 50000.0]
        """
        shape = np.broadcast_shapes(np.shape(excess), np.shape(budget))
        if self.is_zero:
            return np.zeros(shape)
        excess = np.asarray(excess)
        total = side_amount(excess, budget, gate_multiplier(factor), self.terms)
        return _fresh(total, shape, excess)

    @functools.cached_property
    def terms(self) -> SideTerms:
        """The rule as the plain numbers :func:`side_amount` takes (made once): the tiers'
        thresholds and shares (tuples of floats: numba passes them by value, without the
        reference counting of arrays), the minimum rate, ``first_dollar`` and the cap (NaN
        for none).

        Examples
        --------
        >>> SideRule(tiers=((0.0, 0.5), (0.03, 0.2)), minimum_rate=0.02).terms
        ((0.0, 0.03), (0.5, 0.2), 0.02, True, nan)
        """
        return (tuple(float(t) for t, _ in self.tiers), tuple(float(s) for _, s in self.tiers),
                float(self.minimum_rate), bool(self.first_dollar),
                np.nan if self.cap is None else float(self.cap))

    @functools.cached_property
    def is_zero(self) -> bool:
        """True when the rule never gives (or charges) anything: every share is 0, or the cap is.

        Examples
        --------
        >>> SideRule(tiers=((0.0, 0.0),)).is_zero, SideRule(tiers=((0.0, 0.5),)).is_zero
        (True, False)
        """
        return all(share == 0.0 for _, share in self.tiers) or self.cap == 0.0

    def describe(self, what: str) -> str:
        """Plain-English statement of the rule, e.g. '70% of the underspend'."""
        def pct(x: float) -> str:
            return f"{100 * x:g}%"
        if self.is_zero:
            return f"none of the {what}"
        if len(self.tiers) == 1 and self.tiers[0][0] == 0.0:
            text = f"{pct(self.tiers[0][1])} of the {what}"
        else:
            parts = []
            for k, (t, share) in enumerate(self.tiers):
                if k + 1 == len(self.tiers):
                    parts.append(f"{pct(share)} beyond {pct(t)}")
                elif t == 0.0:
                    parts.append(f"{pct(share)} up to {pct(self.tiers[k + 1][0])}")
                else:
                    parts.append(f"{pct(share)} from {pct(t)} to {pct(self.tiers[k + 1][0])}")
            text = f"the practice's share of the {what}: " + ", ".join(parts) + " of budget"
        if self.minimum_rate > 0:
            how = "from the first pound" if self.first_dollar else "of the excess only"
            text += (f", once it reaches {pct(self.minimum_rate)} of budget ({how})")
        if self.cap is not None:
            text += f", capped at {pct(self.cap)} of budget"
        return text


def side_amount(excess: Any, budget: Any, factor: Any, terms: SideTerms) -> Any:
    """The arithmetic of one side of a sharing rule, element by element: written once.

    ``excess`` (an under- or overspend, >= 0) beyond ``minimum_rate × budget`` (all of it
    once the minimum is reached when ``first_dollar``, else only what exceeds it), shared
    tier by tier (each tier's share of the part between its threshold and the next, as
    fractions of budget), × ``factor`` (the gates; None for none), at most ``cap × budget``.
    ``terms`` is :attr:`SideRule.terms`. Written with numpy's element-wise functions only, so
    it works on arrays (:meth:`SideRule.amount` and the settlement's numpy path) and on
    single numbers (the compiled settlement, :mod:`pbcmodel.settlement.settle_kernel`, which
    has numba compile this very function): the same operations in the same order, the same
    bits. It may return ``excess`` itself or a shape narrower than the broadcast one (use
    :meth:`SideRule.amount` for a new array).

    Examples
    --------
    >>> terms = SideRule(tiers=((0.0, 0.5),), minimum_rate=0.02, first_dollar=False).terms
    >>> float(side_amount(60e3, 1e6, None, terms))         # 50% × (60,000 − 20,000)
    20000.0
    """
    thresholds, shares, minimum_rate, first_dollar, cap = terms
    floor = minimum_rate * budget
    base = excess if first_dollar else np.maximum(excess - floor, 0.0)
    total = 0.0
    started = False
    tiers = len(thresholds)
    for k in range(tiers):
        share = shares[k]
        if share == 0.0:
            continue
        threshold = thresholds[k]
        part = base if threshold == 0.0 else np.maximum(base - threshold * budget, 0.0)
        if k + 1 < tiers:
            part = np.minimum(part, (thresholds[k + 1] - threshold) * budget)
        if share != 1.0:
            part = part * share
        total = total + part if started else part
        started = True
    if minimum_rate > 0.0 and first_dollar:
        total = total * (excess >= floor)
    if factor is not None:
        total = total * factor
    if not np.isnan(cap):
        total = np.minimum(total, cap * budget)
    return total


def share_of_variance(budget: Any, variance: Any, factor: Any, savings: SideTerms,
                      losses: SideTerms) -> Any:
    """The signed amount for ``variance = budget − outturn``, element by element: the savings
    side's :func:`side_amount` of an underspend less the losses side's of an overspend
    (``factor``, the gates or None, scales the savings side only). Written once for arrays
    (:func:`shared_amount`) and single numbers (the compiled settlement); ``savings`` and
    ``losses`` are :attr:`SideRule.terms`.

    Examples
    --------
    >>> seventy, half = SideRule(tiers=((0.0, 0.7),)).terms, SideRule(tiers=((0.0, 0.5),)).terms
    >>> float(share_of_variance(100.0, 10.0, None, seventy, half))
    7.0
    >>> float(share_of_variance(100.0, -10.0, None, seventy, half))
    -5.0
    """
    gain = side_amount(np.maximum(variance, 0.0), budget, factor, savings)
    loss = side_amount(np.maximum(-variance, 0.0), budget, None, losses)
    return gain - loss      # exact: each side is zero wherever the other is not


def gate_multiplier(factor: np.ndarray | float) -> np.ndarray | float | None:
    """``factor`` for :func:`side_amount`: None (no multiplication) for a single 1.0.

    Examples
    --------
    >>> gate_multiplier(1.0) is None, gate_multiplier(0.5)
    (True, 0.5)
    """
    return None if np.ndim(factor) == 0 and float(factor) == 1.0 else factor


def _fresh(values: Any, shape: tuple[int, ...], source: Any) -> np.ndarray:
    """``values`` as a new array of ``shape`` (copied when it is ``source``, a number or a
    narrower array)."""
    if not isinstance(values, np.ndarray) or values is source or values.shape != shape:
        return np.array(np.broadcast_to(values, shape))
    return values


def shared_amount(budget: np.ndarray, variance: np.ndarray, savings: SideRule,
                  losses: SideRule, factor: np.ndarray | float = 1.0) -> np.ndarray:
    """Signed practice amount for ``variance = budget − outturn`` (+ paid, − borne).

    :func:`share_of_variance` on arrays. Used by :meth:`ShareSchedule.practice_amount`
    (float pounds), by the settlement of each practice and by
    :func:`pbcmodel.overspend.net_within_consortia` for each consortium (float pence, then
    rounded), so the rule lives in one place. In a settlement ``losses`` is
    :func:`pbcmodel.overspend.liability_rule`: an overspend policy's tolerance, share and
    cap, or the schedule's own losses side.

    Examples
    --------
    >>> seventy = SideRule(tiers=((0.0, 0.7),))
    >>> half = SideRule(tiers=((0.0, 0.5),))
    >>> shared_amount(np.array([100.0, 100.0]), np.array([10.0, -10.0]), seventy, half).tolist()
    [7.0, -5.0]
    """
    shape = np.broadcast_shapes(np.shape(budget), np.shape(variance))
    variance = np.asarray(variance)
    amount = share_of_variance(budget, variance, gate_multiplier(factor), savings.terms,
                               losses.terms)
    if not shape:
        return np.float64(amount)                       # type: ignore[return-value]
    return _fresh(amount, shape, variance)


@attrs.frozen(kw_only=True)
class ShareSchedule:
    """How a practice's under- or overspend is shared with the commissioner.

    Parameters
    ----------
    savings, losses : sequence of (threshold, share)
        Tiers for each side. ``threshold`` is a fraction of budget (from 0 to
        :data:`MAX_BUDGET_FRACTION`, strictly increasing); ``share`` in [0, 1] is the
        practice's marginal share of the under- (over-) spend beyond it, up to the next
        threshold.
        Default: the practice shares nothing on that side.
    minimum_savings_rate, minimum_loss_rate : float, default 0
        Fraction of budget the underspend (overspend) must reach before any
        sharing on that side ("meet or exceed").
    first_dollar : bool, default True
        Once a minimum rate is met, share from the first pound (True) or only
        the excess over the minimum (False, i.e. a tolerance band).
    savings_cap, loss_cap : float or None
        Cap on the practice's amount on that side as a fraction of budget (from 0 to
        :data:`MAX_BUDGET_FRACTION`), or None for no cap.
    gates : sequence of str or Gate
        Conditions on which the savings side is paid (see :class:`Gate`). A
        bare name is a True/False gate. Gates never touch the losses side.

    Notes
    -----
    All fields are plain data (numbers, booleans, strings, tuples and
    :class:`Gate`), so a schedule round-trips through TOML/JSON with cattrs.

    Examples
    --------
    A 70/30 split of freed-up resources, paid only when the commissioner is
    in balance:

    >>> sched = ShareSchedule(savings=[(0.0, 0.7)], gates=["commissioner_in_balance"])
    >>> float(sched.practice_amount(1_234_567, 1_200_000,
    ...                             conditions={"commissioner_in_balance": True}))
    24196.9
    >>> float(sched.practice_amount(1_234_567, 1_200_000,
    ...                             conditions={"commissioner_in_balance": False}))
    0.0
    """

    savings: Tiers = attrs.field(default=((0.0, 0.0),), converter=_to_tiers,
                                 validator=_check_tiers)
    losses: Tiers = attrs.field(default=((0.0, 0.0),), converter=_to_tiers,
                                validator=_check_tiers)
    minimum_savings_rate: float = attrs.field(
        default=0.0, converter=lambda v: number(v, "minimum_savings_rate"), validator=_rate)
    minimum_loss_rate: float = attrs.field(
        default=0.0, converter=lambda v: number(v, "minimum_loss_rate"), validator=_rate)
    first_dollar: bool = attrs.field(default=True, validator=boolean)
    savings_cap: float | None = attrs.field(
        default=None, converter=lambda v: optional_number(v, "savings_cap"),
        validator=_optional_cap)
    loss_cap: float | None = attrs.field(
        default=None, converter=lambda v: optional_number(v, "loss_cap"),
        validator=_optional_cap)
    gates: tuple[Gate, ...] = attrs.field(default=(), converter=to_gates,
                                          validator=check_gates)

    # -- the two sides as rules -------------------------------------------------------
    @functools.cached_property
    def savings_rule(self) -> SideRule:
        """The savings side as a :class:`SideRule` (what settlement applies; made once)."""
        return SideRule(tiers=self.savings, minimum_rate=self.minimum_savings_rate,
                         first_dollar=self.first_dollar, cap=self.savings_cap)

    @functools.cached_property
    def losses_rule(self) -> SideRule:
        """The losses side as a :class:`SideRule` (made once); settlement applies it when no
        :class:`~pbcmodel.overspend.OverspendPolicy` is given
        (:func:`pbcmodel.overspend.liability_rule`)."""
        return SideRule(tiers=self.losses, minimum_rate=self.minimum_loss_rate,
                         first_dollar=self.first_dollar, cap=self.loss_cap)

    @property
    def shares_losses(self) -> bool:
        """True when the practice bears any part of an overspend under this schedule.

        Examples
        --------
        >>> ShareSchedule(savings=[(0, 0.5)]).shares_losses
        False
        >>> from pbcmodel.sharing import aca_risk_corridor
        >>> aca_risk_corridor().shares_losses
        True
        """
        return not self.losses_rule.is_zero

    def evolve(self, **changes: Any) -> ShareSchedule:
        """A copy with some fields changed (validated again).

        Examples
        --------
        >>> from pbcmodel.sharing import pbc_freed_up
        >>> pbc_freed_up(0.7).evolve(savings_cap=0.05).savings_cap
        0.05
        """
        return attrs.evolve(self, **changes)

    # -- gates -----------------------------------------------------------------------
    def gate_factor(self, conditions: Mapping[str, Any] | None, shape: tuple[int, ...] = ()
                    ) -> np.ndarray:
        """Multiplier (0..1) the gates apply to the savings side, broadcast to ``shape``.

        Without gates this is a 0-d array of 1.0 (it broadcasts to any shape).

        Parameters
        ----------
        conditions : mapping of condition name → value
            True/False (or a boolean array) for a plain gate; a number in [0, 1]
            (or an array) for a ``scale`` gate. Arrays broadcast to ``shape``.
        shape : tuple of int
            Shape of the practice amounts.

        Raises
        ------
        ValidationError
            If a gate names a condition that is not given, or a value has the
            wrong type or range.

        Examples
        --------
        >>> s = ShareSchedule(savings=[(0, 1.0)], gates=["plan_approved",
        ...                   Gate("quality_score", scale=True)])
        >>> s.gate_factor({"plan_approved": [True, False], "quality_score": 0.8}, (2,))
        array([0.8, 0. ])
        """
        conditions = {} if conditions is None else conditions
        if not self.gates:
            return np.ones(())
        factor = np.ones(shape)
        for gate in self.gates:
            if gate.condition not in conditions:
                given = quoted(sorted(conditions)) if conditions else "none"
                raise ValidationError(
                    f"gate {gate.condition!r}: condition {gate.condition!r} was not given "
                    f"(conditions given: {given}); pass conditions={{{gate.condition!r}: ...}}")
            value = condition_array(conditions[gate.condition], gate.condition,
                                    scale=gate.scale)
            factor = factor * np.broadcast_to(value, shape)
        return factor

    # -- the schedule itself ---------------------------------------------------------------
    def practice_amount(self, budget: Any, outturn: Any,
                        conditions: Mapping[str, Any] | None = None) -> Any:
        """The practice's amount in float pounds: + paid to it, − borne by it.

        Parameters
        ----------
        budget, outturn : float, array or pandas Series
            Numpy broadcasting applies (e.g. budget shape ``(n_practices,)``
            with outturn shape ``(n_sims, n_practices)``). Two Series must hold
            the same practice codes; they are aligned by index and a Series
            is returned. Budgets must be > 0 and outturns >= 0.
        conditions : mapping, optional
            Values for the gates (see :meth:`gate_factor`); Series values are
            aligned to the practice index.

        Returns
        -------
        numpy.ndarray or pandas.Series
            Float pounds (not rounded; :func:`pbcmodel.settlement.settle`
            rounds to pence and conserves exactly).

        Examples
        --------
        >>> import pandas as pd
        >>> b = pd.Series({"P1": 100.0, "P2": 100.0})
        >>> o = pd.Series({"P2": 110.0, "P1": 90.0})
        >>> from pbcmodel.sharing import aca_risk_corridor
        >>> aca_risk_corridor().practice_amount(b, o).round(2).to_dict()
        {'P1': 5.9, 'P2': -5.9}
        """
        if isinstance(budget, pd.Series) or isinstance(outturn, pd.Series):
            budget_s, outturn_s = align_series(budget, outturn)
            conds = {k: align_condition(v, budget_s.index, f"conditions[{k!r}]")
                     for k, v in (conditions or {}).items()}
            values = self.practice_amount(budget_s.to_numpy(), outturn_s.to_numpy(), conds)
            return pd.Series(values, index=budget_s.index, name="practice_amount")
        b = money_array(budget, "budget", positive=True)
        o = money_array(outturn, "outturn")
        shape = np.broadcast_shapes(b.shape, o.shape)
        factor = self.gate_factor(conditions, shape)
        return shared_amount(b, b - o, self.savings_rule, self.losses_rule, factor)
