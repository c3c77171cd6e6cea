"""The overspend policy as data, and the rule that sets a practice's liability.

An :class:`OverspendPolicy` states a commissioner's policy on budget overspends (the Audit
Commission's "clear policy on budget overspends"): ``tolerance``, ``practice_share`` and
``cap`` set what an overspend costs the practice (:attr:`OverspendPolicy.losses_rule`;
:meth:`OverspendPolicy.liability` for one practice-year in pounds),
``net_within_consortium`` asks for netting (:mod:`pbcmodel.overspend.netting`), and
``clawback_order`` (names from :data:`CLAWBACK_SOURCES`) and ``recovery_years`` (at most
:data:`MAX_RECOVERY_YEARS`) say how the liability is recovered
(:mod:`pbcmodel.overspend.recovery`). :func:`liability_rule` chooses the rule a settlement
applies to an overspend: the policy's, or else the savings schedule's losses side, never
both. :func:`balance_over_three_years` is the 2004 PBC expectation.

Examples
--------
>>> policy = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05)
>>> # budget £1m, spend £1.05m: 50% of the £30,000 beyond the £20,000 tolerance
>>> float(policy.liability(1_000_000, 1_050_000))
15000.0
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError
from ..sharing import ShareSchedule, SideRule, budget_fraction
from ..validation import (
    boolean,
    check_fraction,
    finite_scalar,
    money_array,
    number,
    optional_number,
    whole_number,
)

__all__ = ["CLAWBACK_SOURCES", "MAX_RECOVERY_YEARS", "OverspendPolicy",
           "balance_over_three_years", "liability_rule"]

#: Where a practice's liability can be recovered from, in the allowed vocabulary.
CLAWBACK_SOURCES: tuple[str, ...] = ("freed_up", "incentives", "future_budgets")


def _check_share(instance: Any, attribute: Any, value: Any) -> None:
    check_fraction(value, attribute.name)


def _check_tolerance(instance: Any, attribute: Any, value: Any) -> None:
    check_fraction(value, attribute.name, high_open=True)


def _check_cap(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        budget_fraction(value, attribute.name, cap=True)


#: Most years over which a liability may be recovered (a longer schedule is a typo).
MAX_RECOVERY_YEARS = 100


def _to_order(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(value)
    except TypeError:
        return value


def _check_order(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, tuple) or not value:
        raise ValidationError(f"clawback_order: expected a sequence of names, got {value!r}")
    unknown = [v for v in value if v not in CLAWBACK_SOURCES]
    if unknown:
        raise ValidationError(
            f"clawback_order: unknown source(s) {unknown!r}; expected names from "
            f"{CLAWBACK_SOURCES!r}")
    if len(set(value)) != len(value):
        raise ValidationError(f"clawback_order: each source may appear once, got {value!r}")
    if value[-1] != "future_budgets":
        raise ValidationError(
            f"clawback_order: must end with 'future_budgets' so that every liability is "
            f"recovered, got {value!r}")


@attrs.frozen(kw_only=True)
class OverspendPolicy:
    """A commissioner's policy on practice overspends (plain data).

    Parameters
    ----------
    practice_share : float
        Share in [0, 1] of the overspend beyond the tolerance borne by the practice.
    tolerance : float, default 0
        Overspend (fraction of budget, in [0, 1)) with no consequence.
    cap : float or None, default None
        Cap on the practice's liability as a fraction of its budget: from 0 to
        :data:`~pbcmodel.sharing.MAX_BUDGET_FRACTION` (10, i.e. 1,000% of budget); None
        for no cap.
    net_within_consortium : bool, default False
        Net under- and overspends within each consortium before sharing.
    recovery_years : int, default 1
        Number of future budgets over which the remaining liability is recovered: a whole
        number from 1 to :data:`~pbcmodel.overspend.policy.MAX_RECOVERY_YEARS` (2.5 is an
        error, not 2).
    clawback_order : sequence of str, default ("freed_up", "incentives", "future_budgets")
        Recovery sources in order; names from
        :data:`~pbcmodel.overspend.policy.CLAWBACK_SOURCES`, ending with
        ``"future_budgets"``. Leave a source out to spare it.

    Examples
    --------
    >>> p = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05,
    ...                     net_within_consortium=True, recovery_years=2)
    >>> p.evolve(practice_share=0.3).practice_share
    0.3
    >>> OverspendPolicy(practice_share=1.5)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: practice_share: must be in [0.0, 1.0], got 1.5
    """

    practice_share: float = attrs.field(converter=lambda v: number(v, "practice_share"),
                                        validator=_check_share)
    tolerance: float = attrs.field(default=0.0, converter=lambda v: number(v, "tolerance"),
                                   validator=_check_tolerance)
    cap: float | None = attrs.field(default=None, converter=lambda v: optional_number(v, "cap"),
                                    validator=_check_cap)
    net_within_consortium: bool = attrs.field(
        default=False, validator=boolean)
    recovery_years: int = attrs.field(
        default=1,
        converter=lambda v: whole_number(v, "recovery_years", maximum=MAX_RECOVERY_YEARS))
    clawback_order: tuple[str, ...] = attrs.field(default=CLAWBACK_SOURCES,
                                                  converter=_to_order, validator=_check_order)

    @functools.cached_property
    def losses_rule(self) -> SideRule:
        """The practice's liability rule: tolerance, share and cap as a losses-side rule.

        This is the rule settlement applies to an overspend (through :func:`liability_rule`),
        and :meth:`liability` applies it to one practice-year. Its arithmetic is
        :meth:`pbcmodel.sharing.SideRule.amount`: the tolerance is a minimum loss rate charged
        on the excess only (``first_dollar=False``), the practice share is one tier from 0, and
        the cap is the rule's cap. Made once per policy, not on every settlement of a
        simulation.

        Returns
        -------
        pbcmodel.sharing.SideRule

        Examples
        --------
        Overspend £50,000 on a £1m budget, 2% tolerance, 50% share, 5% cap: the practice bears
        50% × (£50,000 − £20,000) = £15,000 (below the £50,000 cap).

        >>> rule = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05).losses_rule
        >>> (rule.tiers, rule.minimum_rate, rule.first_dollar, rule.cap)
        (((0.0, 0.5),), 0.02, False, 0.05)
        >>> rule.amount(np.array([50_000.0]), np.array([1e6])).tolist()
        [15000.0]
        """
        return SideRule(tiers=((0.0, float(self.practice_share)),),
                         minimum_rate=float(self.tolerance), first_dollar=False, cap=self.cap)

    def evolve(self, **changes: Any) -> OverspendPolicy:
        """A copy with some fields changed (validated again).

        Examples
        --------
        >>> OverspendPolicy(practice_share=0.5).evolve(recovery_years=3).recovery_years
        3
        """
        return attrs.evolve(self, **changes)

    def liability(self, budget: Any, outturn: Any) -> np.ndarray:
        """The practice's liability (float pounds, >= 0) for one practice-year, before netting.

        The policy's :attr:`losses_rule` (the rule settlement applies) on the overspend
        ``max(outturn − budget, 0)``: nothing within the tolerance, the practice share of the
        excess beyond it, at most the cap.

        Parameters
        ----------
        budget, outturn : float or array
            Pounds; numpy broadcasting applies. Budgets must be > 0 and outturns >= 0.

        Returns
        -------
        numpy.ndarray
            Float pounds, not rounded (a settlement rounds to pence).

        Examples
        --------
        >>> p = OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05)
        >>> # overspends of £10k (inside tolerance), £50k and £200k on a £1m budget:
        >>> # 0; 50% × (50k − 20k) = 15k; 50% × 180k = 90k capped at 5% = 50k
        >>> p.liability(1e6, [1.01e6, 1.05e6, 1.2e6]).tolist()
        [0.0, 15000.0, 50000.0]
        """
        b = money_array(budget, "budget", positive=True)
        o = money_array(outturn, "outturn")
        return self.losses_rule.amount(np.maximum(o - b, 0.0), b)

    def describe(self) -> str:
        """One sentence stating the policy.

        Examples
        --------
        >>> text = OverspendPolicy(tolerance=0.02, practice_share=0.5, recovery_years=2).describe()
        >>> for clause in text.split("; "):
        ...     print(clause)
        overspend within 2% of budget has no consequence
        the practice bears 50% of the overspend beyond it
        recovered from freed-up resources, then incentive payments, then future budgets over 2 years
        """
        words = {"freed_up": "freed-up resources", "incentives": "incentive payments",
                 "future_budgets": f"future budgets over {self.recovery_years} year"
                                   + ("s" if self.recovery_years > 1 else "")}
        parts = []
        if self.tolerance > 0:
            parts.append(f"overspend within {100 * self.tolerance:g}% of budget has no "
                         "consequence")
        beyond = " beyond it" if self.tolerance > 0 else ""
        parts.append(f"the practice bears {100 * self.practice_share:g}% of the "
                     f"overspend{beyond}")
        if self.cap is not None:
            parts.append(f"capped at {100 * self.cap:g}% of budget")
        if self.net_within_consortium:
            parts.insert(0, "under- and overspends are netted within each consortium first")
        parts.append("recovered from " + ", then ".join(words[s] for s in self.clawback_order))
        return "; ".join(parts)


def balance_over_three_years(practice_share: float = 1.0) -> OverspendPolicy:
    """The 2004 PBC expectation that a practice balances its budget over three years.

    Pair with :func:`pbcmodel.sharing.pbc_2004`. The practice bears
    ``practice_share`` of any overspend and repays it from its next three
    budgets in equal instalments (after clawback from freed-up resources and
    incentive payments).

    Examples
    --------
    >>> p = balance_over_three_years()
    >>> p.recovery_years, p.practice_share
    (3, 1.0)
    """
    return OverspendPolicy(practice_share=finite_scalar(practice_share, "practice_share"),
                           recovery_years=3)


# ------------------------------------------------------------------ the practice's liability
def liability_rule(savings: ShareSchedule, overspend: OverspendPolicy | None) -> SideRule:
    """The rule that sets a practice's liability for an overspend in a settlement.

    The policy's :attr:`OverspendPolicy.losses_rule` (tolerance, share, cap) when a policy is
    given; otherwise the schedule's losses side (e.g. a two-sided MSSP or a risk corridor).
    A policy together with a schedule that also shares losses is refused: one rule governs.

    Parameters
    ----------
    savings : ShareSchedule
        The schedule that governs underspends.
    overspend : OverspendPolicy or None
        The overspend policy, if any.

    Returns
    -------
    pbcmodel.sharing.SideRule
        Applied to ``max(outturn − budget, 0)`` by :func:`pbcmodel.sharing.shared_amount`
        (each practice) or :func:`~pbcmodel.overspend.net_within_consortia` (each consortium).

    Raises
    ------
    ValidationError
        If a policy is given and the schedule shares losses too.

    Examples
    --------
    >>> from pbcmodel.sharing import aca_risk_corridor, pbc_freed_up
    >>> policy = OverspendPolicy(tolerance=0.02, practice_share=0.5)
    >>> liability_rule(pbc_freed_up(0.7), policy) is policy.losses_rule
    True
    >>> # no policy: a £10 overspend on 100 under the ACA corridor costs 3 + 50% × 5 + 20% × 2
    >>> round(float(liability_rule(aca_risk_corridor(), None).amount(10.0, 100.0)), 10)
    5.9
    """
    if overspend is None:
        return savings.losses_rule
    if savings.shares_losses:
        raise ValidationError(
            "overspend: an OverspendPolicy was given and the savings schedule also shares "
            "losses (its losses side); choose one — drop overspend=, or give the schedule "
            "zero loss shares (e.g. schedule.evolve(losses=[(0.0, 0.0)]))")
    return overspend.losses_rule
