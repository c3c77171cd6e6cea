"""Gates: the conditions on which the savings side of a schedule is paid (:class:`Gate`),
and conditions worked out from the year's money (:func:`resolve_conditions`).

A :class:`~pbcmodel.sharing.ShareSchedule` holds its gates;
:meth:`~pbcmodel.sharing.ShareSchedule.gate_factor` turns the conditions given into the
multiplier of the savings side. All the names are importable from
:mod:`pbcmodel.sharing` (and from :mod:`pbcmodel.sharing.schedule`, their earlier home).

Examples
--------
>>> Gate("plan_approved").condition
'plan_approved'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError
from ..validation import boolean, check_name, quoted

__all__ = ["FROM_OUTTURN", "Gate", "check_gates", "resolve_conditions", "to_gates"]


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


def to_gates(value: Any) -> tuple[Gate, ...]:
    """attrs converter of :attr:`ShareSchedule.gates <pbcmodel.sharing.ShareSchedule.gates>`:
    a name becomes ``Gate(name)``; a sequence becomes a tuple.

    Examples
    --------
    >>> to_gates("plan")
    (Gate(condition='plan', scale=False),)
    """
    if isinstance(value, (str, Gate)):
        value = (value,)
    if not isinstance(value, (list, tuple)):
        raise ValidationError(f"gates: expected a condition name, a Gate or a list of them, "
                              f"got {value!r}")
    return tuple(Gate(v) if isinstance(v, str) else v for v in value)


def check_gates(instance: Any, attribute: Any, value: tuple[Any, ...]) -> None:
    """attrs validator of the gates: each a :class:`Gate`, each condition once."""
    names = []
    for i, gate in enumerate(value):
        if not isinstance(gate, Gate):
            raise ValidationError(f"gates[{i}]: expected a condition name or a Gate, got {gate!r}")
        names.append(gate.condition)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValidationError(f"gates: condition(s) {quoted(duplicated)} appear more than once")



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

