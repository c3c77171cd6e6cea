"""Approval of business cases: criteria as data, each rule's verdict with its reason.

The Audit Commission found approval criteria for practices' business cases unclear
(recommendation 14). Here criteria are a published list of :class:`Rule` objects over the
metrics of :func:`appraise` (NPV, payback, break-even headroom, the chance of losing money),
so the same case always gets the same decision, with reasons, and conflicts of interest
(:mod:`pbcmodel.conflicts`) must be resolved before approval.

Examples
--------
>>> from pbcmodel.approval import Rule
>>> Rule("npv", ">=", 0).check(-150.0)[1]
'npv = -150 fails: must be >= 0'
"""

from __future__ import annotations

import math
import operator
from typing import Any, ClassVar

import attrs
import pandas as pd

from .appraisal import BusinessCase
from .conflicts import ConflictCheck, ConflictsRegister
from .errors import ValidationError
from .html_tables import summary_html
from .validation import number, sequence_of

__all__ = ["METRICS", "Appraisal", "ApprovalCriteria", "Rule", "appraise"]


#: Metrics a :class:`Rule` can test, as computed by :func:`appraise`.
METRICS: tuple[str, ...] = ("npv", "payback_period", "break_even_activity", "headroom",
                            "prob_negative_npv", "npv_p05", "setup_cost")

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


def _metric(instance: Any, attribute: Any, value: Any) -> None:
    if value not in METRICS:
        raise ValidationError(f"metric: expected one of {list(METRICS)}, got {value!r}")


def _op(instance: Any, attribute: Any, value: Any) -> None:
    if value not in _OPS:
        raise ValidationError(f"op: expected one of {list(_OPS)}, got {value!r}")


def _text(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{attribute.name}: expected text, got {value!r}")


def _rules(value: Any) -> tuple[Rule, ...]:
    return sequence_of(value, Rule, "rules")


@attrs.frozen
class Rule:
    """One approval criterion: ``metric op threshold`` (e.g. ``payback_period <= 3``).

    Examples
    --------
    >>> Rule("payback_period", "<=", 3).check(4.5)
    (False, 'payback_period = 4.5 fails: must be <= 3')
    """

    metric: str = attrs.field(validator=_metric)
    op: str = attrs.field(validator=_op)
    threshold: float = attrs.field(converter=lambda v: number(v, "threshold"))
    description: str = attrs.field(default="", validator=_text)

    def check(self, value: float) -> tuple[bool, str]:
        """Whether ``value`` passes, and the reason in words."""
        passed = bool(_OPS[self.op](value, self.threshold))
        verdict = "passes" if passed else "fails"
        shown = f"{value:,.0f}" if math.isfinite(value) and abs(value) >= 1000 else f"{value:.4g}"
        why = f" ({self.description})" if self.description else ""
        rule = f"must be {self.op} {self.threshold:g}{why}"
        return passed, f"{self.metric} = {shown} {verdict}: {rule}"



@attrs.frozen
class ApprovalCriteria:
    """The rules a business case must pass, published in advance (recommendation 14).

    Examples
    --------
    >>> [r.metric for r in ApprovalCriteria.default().rules]
    ['npv', 'payback_period', 'headroom', 'prob_negative_npv']
    """

    rules: tuple[Rule, ...] = attrs.field(converter=_rules)

    DEFAULT: ClassVar[tuple[tuple[str, str, float, str], ...]] = (
        ("npv", ">=", 0.0, "saves money over the horizon at the discount rate"),
        ("payback_period", "<=", 3.0, "pays back within three years"),
        ("headroom", ">=", 1.2, "planned activity at least 20% above break-even"),
        ("prob_negative_npv", "<=", 0.2, "at most a 1 in 5 chance of losing money"),
    )

    @classmethod
    def default(cls) -> ApprovalCriteria:
        """Positive NPV, payback ≤ 3 years, 20% activity headroom, P(NPV < 0) ≤ 20%."""
        return cls(tuple(Rule(*r) for r in cls.DEFAULT))


@attrs.frozen(eq=False)
class Appraisal:
    """The outcome of :func:`appraise`: metrics, each rule's verdict, conflicts, decision.

    Attributes
    ----------
    case : BusinessCase
    metrics : dict
        Values of :data:`METRICS`.
    rules : DataFrame
        One row per rule: ``metric``, ``value``, ``op``, ``threshold``, ``passed``, ``reason``.
    conflict : ConflictCheck
        Whether the case is conflicted and, if so, whether that is resolved.
    approved : bool
        Every rule passes and any conflict is resolved.
    """

    case: BusinessCase
    metrics: dict[str, float]
    rules: pd.DataFrame
    conflict: ConflictCheck

    @property
    def approved(self) -> bool:
        """True if every rule passes and any conflict of interest is resolved."""
        return bool(self.rules["passed"].all()) and self.conflict.resolved

    @property
    def reasons(self) -> list[str]:
        """Why the case fails (empty when approved)."""
        failed = self.rules.loc[~self.rules["passed"], "reason"].tolist()
        return failed + list(self.conflict.reasons)

    def to_html(self) -> str:
        """HTML summary: decision, reasons and the rule table."""
        verdict = "APPROVED" if self.approved else "NOT APPROVED"
        notes = [f"NPV £{self.metrics['npv']:,.0f}; payback {self.metrics['payback_period']:.2f} "
                 f"years; P(NPV < 0) = {self.metrics['prob_negative_npv']:.0%}",
                 *self.reasons]
        return summary_html(f"{self.case.name}: {verdict}", self.rules, notes)

    def _repr_html_(self) -> str:
        return self.to_html()


def appraise(case: BusinessCase, criteria: ApprovalCriteria | None = None,
             register: ConflictsRegister | None = None, *, n: int = 10_000,
             seed: int = 0) -> Appraisal:
    """Appraise a business case against approval criteria and the conflicts register.

    Parameters
    ----------
    case : BusinessCase
    criteria : ApprovalCriteria, optional
        Defaults to :meth:`ApprovalCriteria.default`.
    register : ConflictsRegister, optional
        Declarations of interest and independent approvals; an empty register by default.
    n, seed : int
        Size and seed of the risk-adjusted simulation.

    Examples
    --------
    >>> case = BusinessCase(name="Clinic", proposer="P001", provider="P001",
    ...                     pod="outpatient_follow_up", activity=500, tariff=95, unit_cost=60,
    ...                     setup_cost=10_000, running_cost=2_000)
    >>> result = appraise(case)
    >>> result.approved, result.conflict.conflicted, bool(result.rules["passed"].all())
    (False, True, True)
    >>> for reason in result.reasons:
    ...     print(reason)
    P001 would provide the service it proposes: no declaration of interest in the register
    P001 would provide the service it proposes: no independent approval recorded
    """
    criteria = ApprovalCriteria.default() if criteria is None else criteria
    register = ConflictsRegister() if register is None else register
    dist = case.risk_adjusted(n=n, seed=seed)
    be = case.break_even_activity()
    metrics = {
        "npv": case.npv(),
        "payback_period": case.payback_period(),
        "break_even_activity": be,
        "headroom": math.inf if be == 0 else case.activity / be,
        "prob_negative_npv": dist.prob_negative,
        "npv_p05": float(dist.quantile(0.05)),
        "setup_cost": case.setup_cost,
    }
    rows = []
    for rule in criteria.rules:
        passed, reason = rule.check(metrics[rule.metric])
        rows.append((rule.metric, metrics[rule.metric], rule.op, rule.threshold, passed, reason))
    table = pd.DataFrame(rows, columns=["metric", "value", "op", "threshold", "passed", "reason"])
    return Appraisal(case=case, metrics=metrics, rules=table, conflict=register.check(case))
