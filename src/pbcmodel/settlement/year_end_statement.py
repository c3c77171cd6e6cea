"""Plain-English settlement statement for one practice (used by ``Settlement.explain``)."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from ..glossary import in_words
from ..money import gbp


def _gate_clauses(st: Any, i: int) -> list[str]:
    clauses = []
    for gate in st.savings.gates:
        value = np.broadcast_to(np.asarray(st.conditions[gate.condition]),
                                (len(st.practices),))[i]
        if gate.scale:
            clauses.append(f"scaled to {float(value):.0%} by the condition "
                           f"({in_words(gate.condition)})")
        elif bool(value):
            clauses.append(f"paid, as the condition is met ({in_words(gate.condition)})")
        else:
            clauses.append(f"withheld, as the condition is not met "
                           f"({in_words(gate.condition)})")
    return clauses


def _netting_line(st: Any, i: int) -> str | None:
    if st.overspend is None or not st.overspend.net_within_consortium:
        return None
    codes = st.consortium.to_numpy()
    code = codes[i]
    members = codes == code
    net = int(st.arrays.variance[members].sum())
    shared = int(st.arrays.entitlement[members].sum())
    kind, who = ("underspend", "underspent") if net >= 0 else ("overspend", "overspent")
    return (f"Netted within consortium {code} ({int(members.sum())} practices): net {kind} "
            f"{gbp(abs(net))}; the consortium's amount under the rules is {gbp(shared)}, "
            f"divided among the practices that {who} in proportion; this practice's part "
            f"is {gbp(st.arrays.entitlement[i])}.")


def _rule_line(st: Any, i: int, variance: int, entitled: int, amount: int,
               netting: str | None) -> str | None:
    """The sharing rule applied to the practice's underspend or overspend, in words."""
    if entitled > 0 or (variance > 0 and not netting):
        rule = ("its part of the consortium's amount" if netting
                else st.savings.savings_rule.describe("underspend"))
        text = f"Freed-up resources: {rule} = {gbp(max(entitled, 0))}"
        rule_side = st.savings.savings_rule
        if entitled == 0 and not netting and rule_side.minimum_rate > 0:
            share = variance / st.budget_pence[i]
            if share < rule_side.minimum_rate:
                text += (f" (not shared: the underspend is {100 * share:.2f}% of budget, "
                         f"below the minimum of {100 * rule_side.minimum_rate:g}%)")
        if entitled > 0 and st.savings.gates:
            text += ", " + "; ".join(_gate_clauses(st, i))
            if amount != entitled:
                text += f"; paid {gbp(amount)}"
        return text + "."
    if amount < 0 or (variance < 0 and not netting):
        rule = (st.overspend.describe() if st.overspend is not None
                else st.savings.losses_rule.describe("overspend"))
        return f"Overspend rule: {rule}. The practice bears {gbp(-amount)}."
    return None


def _incentives_line(st: Any, i: int) -> str:
    """The incentive payments of the practice, in words."""
    a = st.arrays
    inc = st.incentives
    size = int(st.list_size[i])
    text = (f"Incentives: sign-up £{inc.per_head:g} × {size:,} patients = "
            f"{gbp(a.incentive_signup[i])}")
    if inc.plan_per_head > 0:
        met = bool(np.broadcast_to(np.asarray(st.conditions[inc.plan_condition]),
                                   (len(st.practices),))[i])
        text += f"; plan £{inc.plan_per_head:g} × {size:,} patients"
        if not met:
            text += f" not paid, as the condition is not met ({in_words(inc.plan_condition)})"
        elif inc.reduce_by_freed_up:
            text += f" less freed-up resources (not below zero) = {gbp(a.incentive_plan[i])}"
        else:
            text += f" = {gbp(a.incentive_plan[i])}"
    return text + "."


def statement(st: Any, i: int) -> str:
    """The statement for the practice at position ``i`` of ``st.practices``."""
    a = st.arrays
    code = st.practices[i]
    variance = int(a.variance[i])
    entitled = int(a.entitlement[i])
    amount = int(a.practice_amount[i])
    head = f"Practice {code}"
    if st.consortium is not None:
        head += f" (consortium {st.consortium.iloc[i]})"
    kind = "underspend" if variance > 0 else "overspend"
    lines = [head + ": settlement statement",
             f"Budget {gbp(st.budget_pence[i])}; spend {gbp(st.outturn_pence[i])}; "
             + (f"{kind} {gbp(abs(variance))}." if variance else "on budget.")]
    netting = _netting_line(st, i)
    if netting:
        lines.append(netting)
    rule_line = _rule_line(st, i, variance, entitled, amount, netting)
    if rule_line:
        lines.append(rule_line)
    commissioner = int(a.commissioner_amount[i])
    if commissioner > 0:
        lines.append(f"The commissioner keeps {gbp(commissioner)}.")
    elif commissioner < 0:
        lines.append(f"The commissioner bears {gbp(-commissioner)}.")
    if st.incentives is not None:
        lines.append(_incentives_line(st, i))
    sources = [(a.clawback_freed_up[i], "from freed-up resources"),
               (a.clawback_incentives[i], "from incentive payments"),
               (a.recovered_from_budget[i], "from this year's budget (instalment due)")]
    recovered = [f"{gbp(x)} {where}" for x, where in sources if x]
    if recovered:
        lines.append("Recovered towards liabilities: " + ", ".join(recovered) + ".")
    lines.append(f"Net paid to the practice this year: {gbp(a.net_to_practice[i])}.")
    schedule = a.recovery_next[i]
    if schedule.sum():
        parts = ", ".join(f"{gbp(x)} in year +{k + 1}" for k, x in enumerate(schedule) if x)
        lines.append(f"Carried forward: {gbp(schedule.sum())} to be deducted from future "
                     f"budgets ({parts}).")
    return "\n".join(textwrap.fill(line, 88, subsequent_indent="  ") for line in lines)
