"""Incentive payments to practices: per head for signing up, and for achieving the plan.

In 2006/07 English practices received about £98 million of PBC incentive
payments (Audit Commission, *Putting commissioning into practice*, 2007):
about half for signing up to PBC and accepting an indicative budget, the rest
conditional on achieving their PBC plans. :func:`des_2006` states that
directed enhanced service (DES) as data.

Amounts are computed in integer pence (``round(per_head × 100 × list size)``),
because they are paid.

Examples
--------
>>> from pbcmodel.incentives import des_2006
>>> inc = des_2006()
>>> # 10,000 patients, plan achieved, £2,000 of freed-up resources:
>>> # sign-up £9,500; plan £9,500 − £2,000 = £7,500
>>> [int(x) for x in inc.amounts_pence(10_000, plan_met=True, freed_up_pence=200_000)]
[950000, 750000]
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from . import money
from .errors import ValidationError
from .validation import boolean, check_name, non_negative, number, whole_counts

__all__ = ["Incentives", "des_2006"]


@attrs.frozen(kw_only=True)
class Incentives:
    """Per-head incentive payments (plain data).

    Parameters
    ----------
    per_head : float, default 0
        Sign-up component, £ per registered patient, paid unconditionally.
    plan_per_head : float, default 0
        Plan-achievement component, £ per registered patient, paid only when the
        condition ``plan_condition`` is True for the practice.
    reduce_by_freed_up : bool, default False
        Reduce the plan component by the freed-up resources the practice can
        access this year (never below zero), as in the 2006/07 DES.
    plan_condition : str, default "plan_achieved"
        Name of the True/False condition (in ``settle(conditions=...)``) saying
        whether the practice achieved its plan.

    Notes
    -----
    Withholding and clawback of incentive payments against a practice's
    liability follow the :class:`~pbcmodel.overspend.OverspendPolicy`
    ``clawback_order`` (:func:`pbcmodel.overspend.claw_back`).

    Examples
    --------
    >>> Incentives(per_head=1.90).per_head
    1.9
    >>> Incentives(per_head=-1)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: per_head: must be >= 0, got -1.0
    """

    per_head: float = attrs.field(default=0.0, converter=lambda v: number(v, "per_head"),
                                  validator=non_negative)
    plan_per_head: float = attrs.field(default=0.0,
                                       converter=lambda v: number(v, "plan_per_head"),
                                       validator=non_negative)
    reduce_by_freed_up: bool = attrs.field(default=False, validator=boolean)
    plan_condition: str = attrs.field(default="plan_achieved",
                                      converter=lambda v: check_name(v, "plan_condition"))

    @property
    def needs_plan_condition(self) -> bool:
        """True when the plan component can pay anything (so its condition is required)."""
        return self.plan_per_head > 0

    def evolve(self, **changes: Any) -> Incentives:
        """A copy with some fields changed (validated again).

        Examples
        --------
        >>> des_2006().evolve(plan_per_head=0.0).plan_per_head
        0.0
        """
        return attrs.evolve(self, **changes)

    def amounts_pence(self, list_size: Any, *, plan_met: Any = False,
                      freed_up_pence: Any = 0) -> tuple[np.ndarray, np.ndarray]:
        """Sign-up and plan components in integer pence, broadcast over the inputs.

        Parameters
        ----------
        list_size : int or array
            Registered patients per practice (>= 0).
        plan_met : bool or boolean array
            Whether each practice achieved its plan.
        freed_up_pence : int or array
            Freed-up resources each practice can access this year (pence, >= 0);
            used only when ``reduce_by_freed_up``.

        Returns
        -------
        (signup, plan) : tuple of int64 arrays

        Examples
        --------
        >>> inc = Incentives(per_head=0.95, plan_per_head=0.95, reduce_by_freed_up=True)
        >>> s, p = inc.amounts_pence([1000, 1000], plan_met=[True, False])
        >>> s.tolist(), p.tolist()
        ([95000, 95000], [95000, 0])
        """
        size = whole_counts(list_size, "list_size")
        met = np.asarray(plan_met)
        if met.dtype.kind != "b":
            raise ValidationError(
                f"condition {self.plan_condition!r}: expected True/False, got dtype {met.dtype}")
        signup = money.to_pence(self.per_head * size, "incentive_signup")
        plan = money.to_pence(self.plan_per_head * size, "incentive_plan")
        if self.reduce_by_freed_up:
            plan = np.maximum(plan - np.asarray(freed_up_pence, dtype=np.int64), 0)
        plan = plan * met
        signup, plan = np.broadcast_arrays(signup, plan)
        return signup, plan


def des_2006() -> Incentives:
    """The 2006/07 PBC directed enhanced service (England).

    Component 1: £0.95 per registered patient for signing up to PBC and
    accepting an indicative budget. Component 2: £0.95 per registered patient
    only if the practice's plan targets are met, reduced by the freed-up
    resources the practice can access: paid = max(0, 0.95 × list − freed-up);
    nothing if targets are missed. (Audit Commission 2007: about £98m in
    2006/07, half for each component.)

    Examples
    --------
    A practice of 8,000 patients that met its plan with £3,000 freed up:
    £7,600 sign-up and £7,600 − £3,000 = £4,600 for the plan.

    >>> s, p = des_2006().amounts_pence(8_000, plan_met=True, freed_up_pence=300_000)
    >>> int(s) / 100, int(p) / 100
    (7600.0, 4600.0)
    """
    return Incentives(per_head=0.95, plan_per_head=0.95, reduce_by_freed_up=True)
