"""Overspend rules: what an overspend costs a practice, and how it is netted and recovered.

The Audit Commission (*Putting commissioning into practice*, 2007, recommendations 20–21)
asked PCTs to "develop clear policy on budget overspends". An :class:`OverspendPolicy` states
one as data, and this package is the one home of the rules that apply it, each public;
:func:`pbcmodel.settlement.settle_arrays` calls them in this order, in integer pence:

1. **the practice's liability** — ``tolerance`` (an overspend up to this fraction of budget
   costs the practice nothing), ``practice_share`` (its share of the overspend *beyond* the
   tolerance) and ``cap`` (at most this fraction of its budget):
   :attr:`OverspendPolicy.losses_rule`, chosen by :func:`liability_rule`;
   :meth:`OverspendPolicy.liability` applies it to one practice-year in pounds. The
   arithmetic of a tolerance, a share and a cap is that of either side of every sharing rule,
   so it is written once, in :meth:`pbcmodel.sharing.SideRule.amount` (``sharing/schedule.py``): the
   tolerance is the rule's ``minimum_rate`` charged on the excess only
   (``first_dollar=False``), the share its one tier and the cap its ``cap``;
2. **consortium netting** (``net_within_consortium``) — :func:`net_within_consortia`, over
   practices grouped once by :class:`Consortia`: netting moves money only inside a
   consortium;
3. **clawback** (``clawback_order``) — :func:`claw_back`: freed-up resources, incentive
   payments, then future budgets (always last, so every liability is recovered in full);
4. **recovery** (``recovery_years``) — :func:`recovery_schedule`: what is still owed, in
   equal instalments from the next budgets, odd pence first.

How it combines with a :class:`~pbcmodel.sharing.ShareSchedule`: the schedule always governs
underspends. Overspends are governed by the policy when one is given, otherwise by the
schedule's ``losses`` side; giving both a policy and a schedule that shares losses is an
error (choose one). See :func:`pbcmodel.settlement.settle`.

The package has three modules, each with a worked example:
:mod:`~pbcmodel.overspend.policy` (:class:`OverspendPolicy` with its validation,
:data:`~pbcmodel.overspend.policy.CLAWBACK_SOURCES`,
:data:`~pbcmodel.overspend.policy.MAX_RECOVERY_YEARS`, :func:`balance_over_three_years` and
:func:`liability_rule`), :mod:`~pbcmodel.overspend.netting` (:class:`Consortia`,
:func:`net_within_consortia` and its element-wise rules :func:`netting_sign`,
:func:`netting_weight`, :func:`netted_total`) and :mod:`~pbcmodel.overspend.recovery`
(:class:`Clawback`, :func:`claw_back`, :func:`recovery_schedule` and their element-wise rules
:func:`recover`, :func:`instalment`). The element-wise rules are shared with the compiled
settlement (:mod:`pbcmodel.settlement.settle_kernel`). Every name is importable from
``pbcmodel.overspend``.

Examples
--------
A practice's liability under a policy (``policy``), then recovered from its later budgets
(``recovery``):

>>> import numpy as np
>>> from pbcmodel.overspend import OverspendPolicy, recovery_schedule
>>> policy = OverspendPolicy(practice_share=0.5, recovery_years=3)
>>> # budget £1m, spend £1.1m: half of the £100,000 overspend, £50,000 = 5,000,000p
>>> owed = round(policy.liability(1_000_000, 1_100_000) * 100)
>>> recovery_schedule(np.array([owed]), policy.recovery_years).tolist()   # odd pence first
[[1666667, 1666667, 1666666]]
"""

from __future__ import annotations

from .netting import Consortia, net_within_consortia, netted_total, netting_sign, netting_weight
from .policy import (
    CLAWBACK_SOURCES,
    MAX_RECOVERY_YEARS,
    OverspendPolicy,
    balance_over_three_years,
    liability_rule,
)
from .recovery import Clawback, claw_back, instalment, recover, recovery_schedule

__all__ = ["CLAWBACK_SOURCES", "MAX_RECOVERY_YEARS", "Clawback", "Consortia", "OverspendPolicy",
           "balance_over_three_years", "claw_back", "instalment", "liability_rule",
           "net_within_consortia", "netted_total", "netting_sign", "netting_weight", "recover",
           "recovery_schedule"]
