"""Conflicts of interest when practices commission services from themselves.

A business case is *conflicted* when the proposing practice would be the provider, or when
the register records a standing interest of the proposer in the provider (a partner who
directs the company, say). A conflicted case may still go ahead, but only with the interest
declared against that case and an approval by someone independent of both the proposer and
the provider (recommendations 22–24 of the Audit Commission review).

Examples
--------
>>> from pbcmodel.conflicts import ConflictsRegister, Declaration, IndependentApproval
>>> reg = ConflictsRegister(
...     declarations=(Declaration(case="Clinic", practice="P001", description="we run it"),),
...     approvals=(IndependentApproval(case="Clinic", approver="PCT PBC committee"),))
>>> reg.approvals[0].approver
'PCT PBC committee'
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs

from .validation import named, sequence_of

__all__ = ["ConflictCheck", "ConflictsRegister", "Declaration", "IndependentApproval",
           "Interest"]


class _Case(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def proposer(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def conflicted(self) -> bool: ...


def _interests(value: Any) -> tuple[Interest, ...]:
    return sequence_of(value, Interest, "interests")


def _declarations(value: Any) -> tuple[Declaration, ...]:
    return sequence_of(value, Declaration, "declarations")


def _approvals(value: Any) -> tuple[IndependentApproval, ...]:
    return sequence_of(value, IndependentApproval, "approvals")


@attrs.frozen
class Interest:
    """A standing interest of a practice in an organisation (e.g. a partner is a director).

    Examples
    --------
    >>> Interest(practice="P001", organisation="GPCo", description="partner is a director")
    Interest(practice='P001', organisation='GPCo', description='partner is a director')
    """

    practice: str = attrs.field(validator=named)
    organisation: str = attrs.field(validator=named)
    description: str = ""


@attrs.frozen
class Declaration:
    """An interest declared by a practice against one business case.

    Examples
    --------
    >>> Declaration(case="Clinic", practice="P001").practice
    'P001'
    """

    case: str = attrs.field(validator=named)
    practice: str = attrs.field(validator=named)
    description: str = ""


@attrs.frozen
class IndependentApproval:
    """Approval of a business case by someone independent of proposer and provider.

    Examples
    --------
    >>> IndependentApproval(case="Clinic", approver="PCT PBC committee").case
    'Clinic'
    """

    case: str = attrs.field(validator=named)
    approver: str = attrs.field(validator=named)


@attrs.frozen
class ConflictCheck:
    """Result of :meth:`ConflictsRegister.check` for one case.

    Examples
    --------
    >>> ConflictCheck(conflicted=False, declared=False, independently_approved=False).resolved
    True
    """

    conflicted: bool
    declared: bool
    independently_approved: bool
    reasons: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        """Not conflicted, or conflicted with a declaration and an independent approval."""
        return not self.conflicted or (self.declared and self.independently_approved)


@attrs.frozen
class ConflictsRegister:
    """Standing interests, declarations against cases, and independent approvals.

    Examples
    --------
    >>> from pbcmodel.appraisal import BusinessCase
    >>> case = BusinessCase(name="Clinic", proposer="P001", provider="GPCo",
    ...                     pod="outpatient_follow_up", activity=500, tariff=95, unit_cost=60)
    >>> reg = ConflictsRegister(interests=(Interest("P001", "GPCo"),))
    >>> check = reg.check(case)
    >>> check.conflicted, check.resolved
    (True, False)
    >>> reg = attrs.evolve(reg, declarations=(Declaration("Clinic", "P001"),),
    ...                    approvals=(IndependentApproval("Clinic", "Lay chair"),))
    >>> reg.check(case).resolved
    True
    """

    interests: tuple[Interest, ...] = attrs.field(default=(), converter=_interests)
    declarations: tuple[Declaration, ...] = attrs.field(default=(), converter=_declarations)
    approvals: tuple[IndependentApproval, ...] = attrs.field(default=(), converter=_approvals)

    def check(self, case: _Case) -> ConflictCheck:
        """Is ``case`` conflicted, and if so is the conflict declared and independently approved?

        An approval by the proposer or by the provider is not independent and is ignored
        (and says so in the reasons).
        """
        standing = any(i.practice == case.proposer and i.organisation == case.provider
                       for i in self.interests)
        conflicted = case.conflicted or standing
        if not conflicted:
            return ConflictCheck(conflicted=False, declared=False, independently_approved=False)
        why = (f"{case.proposer} would provide the service it proposes" if case.conflicted
               else f"{case.proposer} has a registered interest in provider {case.provider}")
        declared = any(d.case == case.name and d.practice == case.proposer
                       for d in self.declarations)
        approvals = [a for a in self.approvals if a.case == case.name]
        independent = [a for a in approvals if a.approver not in (case.proposer, case.provider)]
        reasons = []
        if not declared:
            reasons.append(f"{why}: no declaration of interest in the register")
        if not independent:
            detail = ("approval by an interested party does not count" if approvals
                      else "no independent approval recorded")
            reasons.append(f"{why}: {detail}")
        return ConflictCheck(conflicted=True, declared=declared,
                             independently_approved=bool(independent), reasons=tuple(reasons))
