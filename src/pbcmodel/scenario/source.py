"""Where a scenario came from, when it was made from the embedded England data.

An :class:`EnglandSource` names one ICB's practices in the embedded weighted populations of
one year (:func:`pbcmodel.datasets.england`) and the footprint that groups them into
consortia. :meth:`EnglandSource.parts` makes the parts of the scenario:
:func:`weighted_parts`, the population, formula, resource, cost model and England's default
risk and policy, which :func:`~pbcmodel.scenario.england.weighted_scenario` and
:func:`~pbcmodel.scenario.england.england_scenario` compose, and a scenario file that says
``dataset = "england"`` reads (:mod:`pbcmodel.scenario.config`).

A scenario's ``source`` is a record of where it came from, not a part of it: two scenarios
with the same parts are equal whatever their source, it is not a driver of spend (the
population it made is, :data:`~pbcmodel.scenario.simulation.DRIVERS_OF_SPEND`), and a
scenario file is written in the short ``dataset = "england"`` form only while the source
still makes the scenario's population, formula and cost model.

Examples
--------
>>> src = EnglandSource("qwo", footprint="pcn")
>>> src
EnglandSource(icb='QWO', year='2026/27', footprint='pcn')
>>> parts = src.parts()
>>> pop = parts["population"]
>>> pop.n_practices, parts["name"], pop.hierarchy["consortium"].nunique()
(266, 'England QWO', 54)
>>> EnglandSource("XYZ")
Traceback (most recent call last):
...
pbcmodel.errors.ValidationError: icb: 'XYZ' is not an ICB of the 2026/27 weighted ...; e.g. QE1, ...
"""

from __future__ import annotations

from typing import Any

import attrs
import pandas as pd

from .. import datasets
from ..capitation import CapitationFormula, need_index
from ..codes import normalise_codes
from ..errors import ValidationError
from ..overspend import OverspendPolicy
from ..risk.distribution import spend_distribution
from ..risk.effects import PracticeEffects
from ..sharing import pbc_freed_up
from ..weighted import WeightedPopulations

__all__ = ["ENGLAND_FOOTPRINTS", "EnglandSource", "icb_codes", "weighted_parts"]

#: The footprints that group an England scenario's practices into consortia
#: (:func:`pbcmodel.datasets.footprints`): PCN, place (local authority district) or ICB.
ENGLAND_FOOTPRINTS: tuple[str, ...] = ("pcn", "place", "icb")


def weighted_parts(wp: WeightedPopulations, resource: float | None = None, *,
                   consortia: pd.Series | None = None, name: str = "england") -> dict[str, Any]:
    """The parts of a scenario over the practices of one year of weighted populations, as
    keyword arguments of :class:`~pbcmodel.scenario.Scenario` (see
    :func:`~pbcmodel.scenario.england.weighted_scenario`, which composes them).

    Examples
    --------
    >>> wp = datasets.england().subset(icb="QOC")
    >>> sorted(weighted_parts(wp, 5e8))[:4]
    ['common_shock_cv', 'cost_model', 'formula', 'name']
    """
    index = need_index(wp)
    pop = wp.to_population(datasets.england_age_sex_profile(), consortia=consortia,
                           cost_index=index)
    model = datasets.example_cost_model()
    contingency = 0.01
    if resource is None:
        expected = spend_distribution(pop, model, "normal").mean.sum()
        resource = round(float(expected) / (1 - contingency))
    return {"population": pop, "resource": resource,
            "formula": CapitationFormula(weights=datasets.example_cost_weights(), needs=index,
                                         top_slices={"contingency": contingency}),
            "cost_model": model, "savings": pbc_freed_up(0.7),
            "overspend": OverspendPolicy(tolerance=0.02, practice_share=0.5, cap=0.05),
            "common_shock_cv": 0.02, "practice_effects": PracticeEffects.dixon_2011(),
            "name": name}


def icb_codes(year: str) -> list[str]:
    """The ICB codes of one year's embedded weighted populations, sorted.

    Examples
    --------
    >>> icb_codes("2026/27")[:3], len(icb_codes("2026/27"))
    (['QE1', 'QF7', 'QGH'], 36)
    """
    return sorted(datasets.england(year).places("icb").unique())


def _text(what: str) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, str):
            raise ValidationError(f"{attribute.name}: expected {what} (text), got {value!r}")
    return check


def _check_year(instance: Any, attribute: Any, value: Any) -> None:
    _text("a year such as '2026/27'")(instance, attribute, value)
    if value not in datasets.ENGLAND_YEARS:
        raise ValidationError(f"year: expected one of {', '.join(datasets.ENGLAND_YEARS)}, "
                              f"got {value!r}")


def _check_footprint(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and value not in ENGLAND_FOOTPRINTS:
        raise ValidationError(f"footprint: expected one of {', '.join(ENGLAND_FOOTPRINTS)}, "
                              f"got {value!r}")


def _code(value: Any) -> Any:
    return normalise_codes([value])[0] if isinstance(value, str) else value


@attrs.frozen
class EnglandSource:
    """One ICB's practices in the embedded weighted populations, grouped by a footprint.

    Parameters
    ----------
    icb : str
        An ICB code of ``year``'s weighted populations (any case, spaces trimmed).
    year : str
        One of :data:`pbcmodel.datasets.ENGLAND_YEARS`; default the first, 2026/27.
    footprint : {"pcn", "place", "icb"}, optional
        The consortia (:func:`pbcmodel.datasets.footprints`): each practice's PCN, its
        place (local authority district) or the whole ICB. ``None`` (the default): the
        local authority district as :meth:`WeightedPopulations.places
        <pbcmodel.weighted.WeightedPopulations.places>` labels it, as
        :func:`~pbcmodel.scenario.england.weighted_scenario` does.
    """

    icb: str = attrs.field(converter=_code, validator=_text("an ICB code such as 'QWO'"))
    year: str = attrs.field(default=datasets.ENGLAND_YEARS[0], validator=_check_year)
    footprint: str | None = attrs.field(default=None, validator=_check_footprint)

    def __attrs_post_init__(self) -> None:
        known = icb_codes(self.year)
        if self.icb not in known:
            raise ValidationError(f"icb: {self.icb!r} is not an ICB of the {self.year} weighted "
                                  f"populations; e.g. {', '.join(known[:5])}, ... "
                                  f"({len(known)} ICBs)")

    def consortia(self) -> pd.Series | None:
        """Practice → consortium code of the footprint, or ``None`` for the default."""
        if self.footprint is None:
            return None
        return datasets.footprints(self.footprint, icb=self.icb, year=self.year).footprint

    def parts(self, resource: float | None = None, *, name: str | None = None
              ) -> dict[str, Any]:
        """The scenario's parts (:func:`weighted_parts`) with ``source`` this source;
        ``name`` default ``"England <ICB>"``."""
        wp = datasets.england(self.year).subset(icb=self.icb)
        parts = weighted_parts(wp, resource, consortia=self.consortia(),
                               name=f"England {self.icb}" if name is None else name)
        return {**parts, "source": self}
