"""Savings- and loss-sharing schedules: who keeps a practice's under- or overspend.

A :class:`ShareSchedule` maps a budget and an outturn (actual spend) to the
*practice amount*: positive when part of an underspend ("freed-up resources")
is paid to the practice, negative when the practice bears part of an
overspend. Whatever the practice does not keep or bear lands with the
commissioner, so ``practice amount + commissioner amount = budget − outturn``.

Each side (savings, losses) is a list of tiers ``(threshold, share)``: the
threshold is a fraction of the budget and the share is the practice's
*marginal* share of the variance beyond it, up to the next threshold. A
minimum rate (the US "minimum savings rate" / "minimum loss rate") must be
met before anything is shared; ``first_dollar`` says whether, once met, the
tiers apply from the first pound or only to the excess over the minimum.
Caps limit the amount to a fraction of the budget. Gates (conditions such as
"commissioner in balance", "plan approved", or a quality score that scales
the share) decide whether, and how much of, the savings side is paid; they
never waive a practice's share of an overspend.

Presets reproduce published schemes, each with its source and a worked
example: :func:`pbc_freed_up`, :func:`pbc_2004`, :func:`mssp_one_sided`,
:func:`mssp_two_sided`, :func:`aca_risk_corridor`,
:func:`part_d_corridor_2006`, :func:`aco_reach_global` and :func:`aco_reach_professional`.

Examples
--------
>>> from pbcmodel.sharing import ShareSchedule
>>> sched = ShareSchedule(savings=[(0.0, 0.7)])
>>> float(sched.practice_amount(1_000_000, 950_000))    # 70% of a £50,000 underspend
35000.0
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .errors import ValidationError
from .validation import (
    align_condition,
    align_series,
    boolean,
    check_fraction,
    check_name,
    condition_array,
    finite_scalar,
    money_array,
    number,
    optional_number,
    quoted,
    whole_number,
)

__all__ = [
    "FROM_OUTTURN",
    "MAX_BUDGET_FRACTION",
    "Gate",
    "ShareSchedule",
    "SideRule",
    "aca_risk_corridor",
    "aco_reach_global",
    "aco_reach_professional",
    "mssp_minimum_savings_rate",
    "mssp_one_sided",
    "mssp_two_sided",
    "part_d_corridor_2006",
    "pbc_2004",
    "pbc_freed_up",
    "resolve_conditions",
    "shared_amount",
]


Tiers = tuple[tuple[float, float], ...]

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

        The one place the arithmetic of tiers, a minimum rate and a cap is written, for both
        sides of every schedule and for an :class:`~pbcmodel.overspend.OverspendPolicy`,
        whose tolerance is a minimum rate charged on the excess only (``first_dollar=False``),
        whose practice share is one tier and whose cap is the cap
        (:attr:`pbcmodel.overspend.OverspendPolicy.losses_rule`).

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
        if shape == ():                       # numpy scalars cannot be written in place
            one = self.amount(np.reshape(excess, (1,)), np.reshape(budget, (1,)), factor)
            return one.reshape(())
        if not (isinstance(excess, np.ndarray) and excess.shape == shape):
            excess = np.broadcast_to(excess, shape)
        floor = self.minimum_rate * budget
        # Work in place on arrays created here (never on ``excess`` or on ``base``, which
        # later tiers still need): fewer temporaries, same arithmetic.
        if self.first_dollar:
            base = excess
        else:
            base = excess - floor
            np.maximum(base, 0.0, out=base)
        total = None
        for k, (threshold, share) in enumerate(self.tiers):
            if share == 0.0:
                continue
            if threshold == 0.0:
                part, fresh = base, False
            else:
                part, fresh = base - threshold * budget, True
                np.maximum(part, 0.0, out=part)
            if k + 1 < len(self.tiers):
                width = (self.tiers[k + 1][0] - threshold) * budget
                part = np.minimum(part, width, out=part if fresh else None)
                fresh = True
            if share != 1.0:
                part = np.multiply(part, share, out=part if fresh else None)
                fresh = True
            if total is None:
                total = part if fresh else part.copy()
            else:
                total += part
        assert total is not None              # some tier shares: not is_zero
        if self.minimum_rate > 0.0 and self.first_dollar:
            total *= excess >= floor          # a multiply: faster than where
        if not (np.ndim(factor) == 0 and float(factor) == 1.0):
            total = total * factor
        if self.cap is not None:
            np.minimum(total, self.cap * budget, out=total)
        return total

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


def shared_amount(budget: np.ndarray, variance: np.ndarray, savings: SideRule,
                  losses: SideRule, factor: np.ndarray | float = 1.0) -> np.ndarray:
    """Signed practice amount for ``variance = budget − outturn`` (+ paid, − borne).

    Used by :meth:`ShareSchedule.practice_amount` (float pounds), by the settlement of each
    practice and by :func:`pbcmodel.overspend.net_within_consortia` for each consortium
    (float pence, then rounded), so the rule lives in one place. In a settlement ``losses``
    is :func:`pbcmodel.overspend.liability_rule`: an overspend policy's tolerance, share and
    cap, or the schedule's own losses side.

    Examples
    --------
    >>> seventy = SideRule(tiers=((0.0, 0.7),))
    >>> half = SideRule(tiers=((0.0, 0.5),))
    >>> shared_amount(np.array([100.0, 100.0]), np.array([10.0, -10.0]), seventy, half).tolist()
    [7.0, -5.0]
    """
    gain = savings.amount(np.maximum(variance, 0.0), budget, factor)
    over = np.negative(variance)
    over = np.maximum(over, 0.0, out=over if isinstance(over, np.ndarray) else None)
    loss = losses.amount(over, budget)
    # exact: each side is zero wherever the other is not
    return np.subtract(gain, loss, out=gain) if gain.ndim else gain - loss


def _cap_value(value: Any, name: str) -> float:
    return budget_fraction(value, name)


@attrs.frozen
class Gate:
    """A condition on which the savings side is paid.

    Parameters
    ----------
    condition : str
        Name of the condition looked up in ``conditions`` when settling, e.g.
        ``"commissioner_in_balance"`` or ``"plan_approved"``.
    scale : bool, default False
        ``False``: the condition is True/False and the practice's freed-up
        resources are paid only when it is True (otherwise they stay with the
        commissioner). ``True``: the condition is a number in [0, 1] (e.g. a
        quality score) that multiplies the practice's savings amount.

    Examples
    --------
    >>> Gate("plan_approved")
    Gate(condition='plan_approved', scale=False)
    >>> Gate("quality_score", scale=True).scale
    True
    """

    condition: str = attrs.field(converter=lambda v: check_name(v, "gate condition"))
    scale: bool = attrs.field(default=False, validator=boolean)


def _to_gates(value: Any) -> tuple[Gate, ...]:
    """attrs converter: a name becomes ``Gate(name)``; a sequence becomes a tuple."""
    if isinstance(value, (str, Gate)):
        value = (value,)
    if not isinstance(value, (list, tuple)):
        raise ValidationError(f"gates: expected a condition name, a Gate or a list of them, "
                              f"got {value!r}")
    return tuple(Gate(v) if isinstance(v, str) else v for v in value)


def _check_gates(instance: Any, attribute: Any, value: tuple[Any, ...]) -> None:
    names = []
    for i, gate in enumerate(value):
        if not isinstance(gate, Gate):
            raise ValidationError(f"gates[{i}]: expected a condition name or a Gate, got {gate!r}")
        names.append(gate.condition)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValidationError(f"gates: condition(s) {quoted(duplicated)} appear more than once")


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
    gates: tuple[Gate, ...] = attrs.field(default=(), converter=_to_gates,
                                          validator=_check_gates)

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
        >>> aca_risk_corridor().shares_losses
        True
        """
        return not self.losses_rule.is_zero

    def evolve(self, **changes: Any) -> ShareSchedule:
        """A copy with some fields changed (validated again).

        Examples
        --------
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


# --------------------------------------------------------------------------- presets

#: Condition value meaning "work it out from the year's outturn": for
#: ``commissioner_in_balance``, whether the practices' total outturn is within their total
#: budget (see :func:`resolve_conditions`).
FROM_OUTTURN = "from_outturn"


def resolve_conditions(conditions: Mapping[str, Any], budget: Any, outturn: Any
                       ) -> dict[str, Any]:
    """Gate conditions with ``"from_outturn"`` values worked out from the year's money.

    ``budget`` and ``outturn`` are per practice on their last axis (one year, or
    simulations × practices); the commissioner is in balance when the practices' total
    outturn is within their total budget.

    Examples
    --------
    >>> import numpy as np
    >>> resolve_conditions({"commissioner_in_balance": "from_outturn", "plan": True},
    ...                    np.array([10, 10]), np.array([[9, 9], [12, 9]]))
    {'commissioner_in_balance': array([[ True],
           [False]]), 'plan': True}
    """
    out = {}
    for key, value in conditions.items():
        if isinstance(value, str) and value == FROM_OUTTURN:
            if key != "commissioner_in_balance":
                raise ValidationError(
                    f"conditions.{key}: only commissioner_in_balance can be {FROM_OUTTURN!r}")
            spent = np.asarray(outturn, dtype=float).sum(axis=-1)
            funded = np.asarray(budget, dtype=float).sum(axis=-1)
            value = spent <= funded
            if np.ndim(value):
                value = value[:, None]
        out[key] = value
    return out


def pbc_freed_up(practice_share: float = 0.7, *, gates: Any = ()) -> ShareSchedule:
    """UK practice based commissioning: the practice keeps a share of freed-up resources.

    Department of Health guidance on PBC (2006) suggested freed-up resources be
    split 70% practice / 30% commissioner, to be reinvested in patient services
    under an approved plan; the Audit Commission (*Putting commissioning into
    practice*, 2007) found the arrangements often unclear, particularly where
    savings were taken to fund a PCT deficit. Add ``gates`` to model such
    conditions, e.g. ``gates=("commissioner_in_balance", "plan_approved")``.
    Overspends are not shared by this schedule: pair it with an
    :class:`~pbcmodel.overspend.OverspendPolicy`.

    Parameters
    ----------
    practice_share : float, default 0.7
        The practice's share of an underspend, in [0, 1].
    gates : sequence of str or Gate, optional
        Conditions for paying the freed-up resources.

    Examples
    --------
    Budget £1,234,567, spend £1,200,000: underspend £34,567, 70% = £24,196.90.

    >>> round(float(pbc_freed_up(0.7).practice_amount(1_234_567, 1_200_000)), 2)
    24196.9
    """
    check_fraction(practice_share, "practice_share")
    return ShareSchedule(savings=((0.0, float(practice_share)),), gates=gates)


def pbc_2004() -> ShareSchedule:
    """The original 2004 PBC terms: the practice keeps 50% of savings.

    Under the 2004 guidance (*Practice based commissioning: promoting clinical
    engagement*, DH 2004) practices could retain 50% of savings against their
    indicative budget and were expected to balance the budget over three years.
    The three-year balance is an overspend rule: use
    :func:`pbcmodel.overspend.balance_over_three_years` with this schedule.

    Examples
    --------
    Budget £2,000,000, spend £1,900,000: underspend £100,000, practice keeps 50%.

    >>> float(pbc_2004().practice_amount(2_000_000, 1_900_000))
    50000.0
    """
    return ShareSchedule(savings=((0.0, 0.5),))


#: 42 CFR 425.604(b): one-sided model minimum savings rate by assigned beneficiaries.
#: Rows: (low end of band, high end of band, MSR at low end, MSR at high end); the MSR is
#: interpolated linearly inside each band, and 2.0% applies from 60,000 beneficiaries.
MSSP_MSR_TABLE: tuple[tuple[int, int, float, float], ...] = (
    (5_000, 5_999, 0.039, 0.036),
    (6_000, 6_999, 0.036, 0.034),
    (7_000, 7_999, 0.034, 0.032),
    (8_000, 8_999, 0.032, 0.031),
    (9_000, 9_999, 0.031, 0.030),
    (10_000, 14_999, 0.030, 0.027),
    (15_000, 19_999, 0.027, 0.025),
    (20_000, 49_999, 0.025, 0.022),
    (50_000, 59_999, 0.022, 0.020),
)


def mssp_minimum_savings_rate(beneficiaries: float) -> float:
    """MSSP one-sided minimum savings rate for a number of assigned beneficiaries.

    From the table in 42 CFR 425.604(b): 3.9% at 5,000 beneficiaries falling to
    2.0% at 60,000 or more, in bands with linear interpolation inside each band.
    Fewer than 5,000 beneficiaries is not eligible for the programme.

    Examples
    --------
    >>> mssp_minimum_savings_rate(5_000), mssp_minimum_savings_rate(20_000)
    (0.039, 0.025)
    >>> round(mssp_minimum_savings_rate(12_500), 5)      # 3.0% - 2500/4999 * 0.3%
    0.0285
    >>> mssp_minimum_savings_rate(75_000)
    0.02
    """
    n = finite_scalar(beneficiaries, "beneficiaries")
    if n < MSSP_MSR_TABLE[0][0]:
        raise ValidationError(
            f"beneficiaries: the MSSP requires at least 5,000 assigned beneficiaries, got {n:g}")
    for low, high, rate_low, rate_high in MSSP_MSR_TABLE:
        if n <= high:
            return float(np.interp(min(n, high), [low, high], [rate_low, rate_high]))
        if n < high + 1:          # fractional counts between bands take the band's end
            return rate_high
    return 0.020


def mssp_one_sided(beneficiaries: float, shared_rate: float = 0.5, cap: float = 0.10, *,
                   gates: Any = ()) -> ShareSchedule:
    """US Medicare Shared Savings Program, one-sided model (Track 1).

    The ACO shares savings only if they meet the minimum savings rate for its
    number of assigned beneficiaries (:func:`mssp_minimum_savings_rate`,
    42 CFR 425.604(b)); once met it shares from the first dollar at up to 50%
    (the final sharing rate depends on quality: model it with
    ``gates=(Gate("quality_score", scale=True),)``), and the payment is capped at
    10% of the benchmark (42 CFR 425.604(c)–(d)). No losses are shared. The
    practice (or consortium) budget plays the role of the benchmark.

    Examples
    --------
    Benchmark £10m, 20,000 beneficiaries (MSR 2.5%): spending £9.7m saves 3%,
    which meets the MSR, so 50% of £300,000 = £150,000 is shared; spending
    £9.8m saves 2% < 2.5%, so nothing is shared.

    >>> sched = mssp_one_sided(20_000)
    >>> [float(sched.practice_amount(10e6, o)) for o in (9.7e6, 9.8e6, 10.5e6)]
    [150000.0, 0.0, 0.0]
    """
    check_fraction(shared_rate, "shared_rate")
    cap = _cap_value(cap, "cap")
    return ShareSchedule(savings=((0.0, float(shared_rate)),),
                         minimum_savings_rate=mssp_minimum_savings_rate(beneficiaries),
                         first_dollar=True, savings_cap=cap, gates=gates)


#: Track 2 shared loss cap by year of the agreement (42 CFR 425.606(g)).
MSSP_TRACK2_LOSS_CAPS: tuple[float, ...] = (0.05, 0.075, 0.10)


def mssp_two_sided(shared_rate: float = 0.6, *, year: int = 1, minimum_rate: float = 0.02,
                   savings_cap: float = 0.15, gates: Any = ()) -> ShareSchedule:
    """US Medicare Shared Savings Program, two-sided model (Track 2).

    Under 42 CFR 425.606 the ACO shares up to 60% of savings, capped at 15% of
    the benchmark, and shares losses at a rate of ``1 − shared_rate``, at most
    60%; losses are capped at 5%, 7.5% and 10% of the benchmark in years 1, 2
    and 3 onwards of the agreement. Savings and losses are shared from the
    first dollar once they reach the minimum savings / loss rate (2% here).

    Parameters
    ----------
    shared_rate : float, default 0.6
        Final sharing rate for savings (the shared loss rate is
        ``min(1 − shared_rate, 0.6)``).
    year : int, default 1
        Year of the agreement (1, 2, 3 or later) selecting the loss cap.
    minimum_rate : float, default 0.02
        Minimum savings rate and minimum loss rate.
    savings_cap : float, default 0.15
        Cap on shared savings as a fraction of the benchmark.

    Examples
    --------
    Benchmark £10m, year 1: spending £10.5m (5% over) costs the ACO 40% of
    £500,000 = £200,000; spending £12m would cost 40% of £2m = £800,000, capped
    at 5% of the benchmark = £500,000. Spending £9.5m earns 60% × £500,000.

    >>> sched = mssp_two_sided()
    >>> [float(sched.practice_amount(10e6, o)) for o in (10.5e6, 12e6, 9.5e6)]
    [-200000.0, -500000.0, 300000.0]
    """
    check_fraction(shared_rate, "shared_rate")
    loss_cap = MSSP_TRACK2_LOSS_CAPS[min(whole_number(year, "year"), 3) - 1]
    loss_rate = min(1.0 - float(shared_rate), 0.6)
    return ShareSchedule(savings=((0.0, float(shared_rate)),), losses=((0.0, loss_rate),),
                         minimum_savings_rate=minimum_rate, minimum_loss_rate=minimum_rate,
                         first_dollar=True, savings_cap=_cap_value(savings_cap, "savings_cap"),
                         loss_cap=loss_cap, gates=gates)


def aca_risk_corridor() -> ShareSchedule:
    """US Affordable Care Act risk corridors (2014–16), symmetric, on the target amount.

    Section 1342 of the ACA (42 U.S.C. 18062): the plan keeps gains and bears
    losses within 3% of the target; between 3% and 8% the Secretary shares 50%;
    beyond 8% the Secretary shares 80% (so the plan bears 2.5% of target for
    the 3–8% band plus 20% of the excess). The target amount plays the budget.

    Examples
    --------
    Target 100, allowable costs 110: the plan bears 3 + 50% × 5 + 20% × 2 = 5.9
    (the Secretary pays 2.5 + 80% × 2 = 4.1).

    >>> round(float(aca_risk_corridor().practice_amount(100.0, 110.0)), 10)
    -5.9
    >>> round(float(aca_risk_corridor().practice_amount(100.0, 90.0)), 10)
    5.9
    """
    tiers = ((0.0, 1.0), (0.03, 0.5), (0.08, 0.2))
    return ShareSchedule(savings=tiers, losses=tiers)


def part_d_corridor_2006() -> ShareSchedule:
    """US Medicare Part D risk corridors for 2006–07, symmetric.

    42 CFR 423.336 (section 1860D-15(e) of the Social Security Act): for 2006
    and 2007 the first and second threshold risk percentages were 2.5% and 5%
    of the target amount; the government shared 75% of costs between them and
    80% beyond the second threshold, in both directions.

    Examples
    --------
    Target 100, costs 110: the plan bears 2.5 + 25% × 2.5 + 20% × 5 = 4.125.

    >>> round(float(part_d_corridor_2006().practice_amount(100.0, 110.0)), 10)
    -4.125
    """
    tiers = ((0.0, 1.0), (0.025, 0.25), (0.05, 0.2))
    return ShareSchedule(savings=tiers, losses=tiers)


#: ACO REACH risk corridors of the Global option: (threshold as a fraction of the benchmark,
#: the ACO's marginal share of gross savings or losses beyond it), the same on both sides.
#: Source: Pearl Health, "ACO REACH: Exploring the 'Performance Year Discount' in Global and
#: Professional Tracks", Exhibit A "Risk Corridors under ACO REACH" (before the PY2026 update).
ACO_REACH_GLOBAL_CORRIDORS: Tiers = ((0.0, 1.0), (0.25, 0.5), (0.35, 0.25), (0.50, 0.10))

#: ACO REACH risk corridors of the Professional option, as :data:`ACO_REACH_GLOBAL_CORRIDORS`
#: (same source and exhibit).
ACO_REACH_PROFESSIONAL_CORRIDORS: Tiers = ((0.0, 0.5), (0.05, 0.35), (0.10, 0.15), (0.15, 0.05))


def aco_reach_global() -> ShareSchedule:
    """US CMS ACO REACH Model, Global (full-risk) option: its risk corridors, symmetric.

    CMS describes Global as "a higher risk sharing arrangement — 100% savings/losses"
    (https://www.cms.gov/priorities/innovation/innovation-models/aco-reach). The 100% applies
    to the first corridor only: the ACO keeps (bears) all gross savings (losses) up to 25% of
    the benchmark, 50% of those from 25% to 35%, 25% from 35% to 50% and 10% beyond 50%
    (Pearl Health, "ACO REACH: Exploring the 'Performance Year Discount' in Global and
    Professional Tracks", Exhibit A "Risk Corridors under ACO REACH",
    https://pearlhealth.com/blog/healthcare-insights/aco-reach-performance-year-discount/,
    undated; it quotes the 3.5% Global discount for PY2025 and PY2026). No minimum savings
    or loss rate and no cap is stated. The ACO plays the practice, CMS the commissioner.

    Simplified: the budget plays the benchmark. The Global benchmark discount (3.5% for
    PY2025 and PY2026, same source) and the quality withhold are not part of this schedule:
    settle against a discounted budget to include the discount (the bands then scale with
    it).

    **PY2026:** CMS announced an update of the model for PY2026 (CMS, "ACO REACH Model
    Performance Year 2026 Model Update – Quick Reference",
    https://www.cms.gov/aco-reach-model-performance-year-2026-model-update-quick-reference)
    that narrowed the first Global corridor from 25% to 10% of the benchmark (Lara, "6 Things
    to Know About CMS' Recent ACO REACH Model Updates",
    https://copy.laraco.net/cblog/6-things-to-know-about-cms-recent-aco-reach-model-updates).
    The PY2026 bands beyond 10% were not found in a published source, so this preset keeps
    the earlier bands; for PY2026 build the schedule with
    ``ShareSchedule(savings=tiers, losses=tiers)`` once they are known.

    Examples
    --------
    Benchmark £10m. Spending £9.2m saves 8%, inside the first corridor: the ACO keeps all
    £800,000. Spending £7m saves 30%: £2.5m (to 25%) + 50% × £0.5m = £2.75m, and CMS keeps
    £250,000. Spending £13m is symmetric: the ACO bears £2.75m of the £3m loss.

    >>> sched = aco_reach_global()
    >>> [float(sched.practice_amount(10e6, o)) for o in (9.2e6, 7e6, 13e6)]
    [800000.0, 2750000.0, -2750000.0]
    """
    return ShareSchedule(savings=ACO_REACH_GLOBAL_CORRIDORS, losses=ACO_REACH_GLOBAL_CORRIDORS)


def aco_reach_professional() -> ShareSchedule:
    """US CMS ACO REACH Model, Professional (partial-risk) option: its risk corridors, symmetric.

    CMS describes Professional as "a lower risk-sharing arrangement — 50% savings/losses"
    (https://www.cms.gov/priorities/innovation/innovation-models/aco-reach). By corridor the
    ACO keeps (bears) 50% of gross savings (losses) up to 5% of the benchmark, 35% of those
    from 5% to 10%, 15% from 10% to 15% and 5% beyond 15% (Pearl Health, Exhibit A, the
    source of :func:`aco_reach_global`). No minimum savings or loss rate and no cap is
    stated; the PY2026 update sources found describe a change to the Global corridors only.

    Simplified: the budget plays the benchmark; the quality withhold is not part of this
    schedule.

    Examples
    --------
    Benchmark £10m. Spending £9.7m saves 3%: 50% × £300,000 = £150,000 to the ACO.
    Spending £9.2m saves 8%: 50% × £500,000 + 35% × £300,000 = £355,000. Spending £10.8m
    loses 8%: the ACO bears the same £355,000.

    >>> sched = aco_reach_professional()
    >>> [round(float(sched.practice_amount(10e6, o)), 2) for o in (9.7e6, 9.2e6, 10.8e6)]
    [150000.0, 355000.0, -355000.0]
    """
    return ShareSchedule(savings=ACO_REACH_PROFESSIONAL_CORRIDORS,
                         losses=ACO_REACH_PROFESSIONAL_CORRIDORS)
