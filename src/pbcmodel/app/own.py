"""The user's own practices and groups in the what-if, beyond the embedded ICBs'
groupings: an uploaded registered-patient file as a scenario (:func:`upload_scenario`), and
groups of practices picked by hand (:func:`hand_footprints`).

Nothing here decides money: the scenario is :meth:`Scenario.example
<pbcmodel.scenario.Scenario.example>` over the uploaded population, and a grouping by hand
is a :class:`~pbcmodel.footprints.Footprints`, which refuses a practice in two groups.

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.footprints import Footprints
>>> now = Footprints(pd.Series({"A1": "N", "A2": "N", "B1": "S"}))
>>> hand_footprints(now, [("Town", ["A2", "B1"])]).footprint.to_dict()
{'A2': 'TOWN', 'B1': 'TOWN', 'A1': 'N'}
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import ValidationError
from ..footprints import Footprints
from ..population import Population
from ..risk import spend_distribution
from ..scenario import Scenario
from ..validation import quoted

__all__ = ["hand_footprints", "upload_scenario"]


def upload_scenario(population: Population, name: str = "uploaded") -> Scenario:
    """An uploaded population as a scenario: :meth:`Scenario.example
    <pbcmodel.scenario.Scenario.example>` (its cost weights, top-slices, cost model and
    policy) over ``population`` (its consortia as groups), with no last year's budgets (the
    example's are for the example's practices), its savings paid whether or not the
    commissioner is in balance (no gate and no conditions, as England's scenario, so the
    page's policies apply to it alike) and a resource equal to the practices' expected
    spend under the example cost model (:func:`pbcmodel.risk.spend_distribution`, its mean
    added up).

    Examples
    --------
    >>> from pbcmodel import datasets
    >>> scn = upload_scenario(datasets.example_population())
    >>> scn.name, scn.historic is None, scn.savings.gates
    ('uploaded', True, ())
    """
    scn = Scenario.example(population=population, historic=None, conditions={}, name=name,
                           **{"savings.gates": ()})
    assert scn.cost_model is not None       # the example has one
    expected = spend_distribution(population, scn.cost_model, "normal").mean.sum()
    return scn.evolve(resource=float(expected))


def hand_footprints(current: Footprints, groups: Sequence[tuple[str, Sequence[str]]]
                    ) -> Footprints:
    """``current`` with each of ``groups`` (a name and its practices) made a group of its
    own; practices not picked stay in their current group. The name is the group's code
    (as :class:`~pbcmodel.footprints.Footprints` writes codes: upper case) and its name.

    Raises
    ------
    ValidationError
        A blank name, a group with no practices, a practice not in ``current``, or (from
        :class:`~pbcmodel.footprints.Footprints`) a practice picked for two groups.

    Examples
    --------
    >>> import pandas as pd
    >>> now = Footprints(pd.Series({"A1": "N", "A2": "N", "B1": "S"}))
    >>> hand_footprints(now, [("East", ["A1"]), ("West", ["A1"])])
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: footprints: practice 'A1' is in two footprints 'EAST', 'WEST'
    """
    codes: list[str] = []
    picked: list[str] = []
    for name, practices in groups:
        if not str(name).strip():
            raise ValidationError("group: give the group a name")
        if not practices:
            raise ValidationError(f"group {name!r}: pick at least one practice")
        codes += [str(name).strip()] * len(practices)
        picked += [str(p) for p in practices]
    unknown = pd.Index(picked).difference(current.practices)
    if len(unknown):
        raise ValidationError(f"group: practice(s) {quoted(unknown)} are not among the "
                              "practices being grouped")
    rest = current.footprint.drop(pd.Index(picked).unique())
    footprint = pd.concat([pd.Series(codes, index=picked, dtype=object), rest])
    names = pd.Series({code.upper(): code for code in dict.fromkeys(codes)}, dtype=object)
    if current.names is not None:
        kept = current.names[current.names.index.isin(rest.unique())]
        names = pd.concat([names, kept[~kept.index.isin(names.index)]])
    return Footprints(footprint, names=names, level="custom", source="groups picked by hand")
