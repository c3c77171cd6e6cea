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
never waive a practice's share of an overspend. :func:`corridor` builds the
tiers from bands written as a finance reader writes them ("the practice keeps
50% of savings from 5% to 10% of budget").

The package has three modules: :mod:`~pbcmodel.sharing.schedule` (the
arithmetic: :class:`ShareSchedule`, :class:`SideRule`, :func:`shared_amount`,
gates, :func:`resolve_conditions`), :mod:`~pbcmodel.sharing.corridors`
(:func:`corridor`, bands → tiers) and :mod:`~pbcmodel.sharing.presets` (published
schemes, each with its source and a worked example: :func:`pbc_freed_up`,
:func:`pbc_2004`, :func:`mssp_one_sided`, :func:`mssp_two_sided`,
:func:`mssp_basic_level_e`, :func:`mssp_enhanced`, :func:`aca_risk_corridor`,
:func:`part_d_corridor_2006`, :func:`aco_reach_global` and
:func:`aco_reach_professional`). Every name is importable from
``pbcmodel.sharing``.

Examples
--------
>>> from pbcmodel.sharing import ShareSchedule
>>> sched = ShareSchedule(savings=[(0.0, 0.7)])
>>> float(sched.practice_amount(1_000_000, 950_000))    # 70% of a £50,000 underspend
35000.0
"""

from __future__ import annotations

from .corridors import corridor
from .presets import (
    ACO_REACH_GLOBAL_CORRIDORS,
    ACO_REACH_PROFESSIONAL_CORRIDORS,
    MSSP_ENHANCED_LOSS_CAP,
    MSSP_ENHANCED_SAVINGS_CAP,
    MSSP_LEVEL_E_LOSS_CAP,
    MSSP_LEVEL_E_REVENUE_CAP,
    MSSP_MSR_TABLE,
    MSSP_TRACK2_LOSS_CAPS,
    aca_risk_corridor,
    aco_reach_global,
    aco_reach_professional,
    mssp_basic_level_e,
    mssp_enhanced,
    mssp_minimum_savings_rate,
    mssp_one_sided,
    mssp_two_sided,
    part_d_corridor_2006,
    pbc_2004,
    pbc_freed_up,
)
from .schedule import (
    FROM_OUTTURN,
    MAX_BUDGET_FRACTION,
    Gate,
    ShareSchedule,
    SideRule,
    Tiers,
    budget_fraction,
    resolve_conditions,
    shared_amount,
)

__all__ = [
    "ACO_REACH_GLOBAL_CORRIDORS",
    "ACO_REACH_PROFESSIONAL_CORRIDORS",
    "FROM_OUTTURN",
    "MAX_BUDGET_FRACTION",
    "MSSP_ENHANCED_LOSS_CAP",
    "MSSP_ENHANCED_SAVINGS_CAP",
    "MSSP_LEVEL_E_LOSS_CAP",
    "MSSP_LEVEL_E_REVENUE_CAP",
    "MSSP_MSR_TABLE",
    "MSSP_TRACK2_LOSS_CAPS",
    "Gate",
    "ShareSchedule",
    "SideRule",
    "Tiers",
    "aca_risk_corridor",
    "aco_reach_global",
    "aco_reach_professional",
    "budget_fraction",
    "corridor",
    "mssp_basic_level_e",
    "mssp_enhanced",
    "mssp_minimum_savings_rate",
    "mssp_one_sided",
    "mssp_two_sided",
    "part_d_corridor_2006",
    "pbc_2004",
    "pbc_freed_up",
    "resolve_conditions",
    "shared_amount",
]

