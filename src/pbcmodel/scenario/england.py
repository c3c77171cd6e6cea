"""Real England as a scenario: an ICB's practices (or all of England's) from NHS England's
practice weighted populations, ready to settle and simulate.

:func:`weighted_scenario` composes a :class:`~pbcmodel.scenario.Scenario` over any year of
:class:`~pbcmodel.weighted.WeightedPopulations`; :func:`england_scenario` does so for the
embedded 2026/27–2028/29 data (Open Government Licence v3, see
:data:`pbcmodel.datasets.ATTRIBUTION`). The budgets: the example cost weights with
each practice's ICB-based core need index (:func:`~pbcmodel.capitation.need_index`) as its
needs, 1% contingency top-slice, and a resource whose budgets add up to the practices'
expected spend under the cost model (so that a footprint's risk is its risk, not a budget
set short or long for all). The risk: the example cost model (the practice's need index as its cost
multiplier), a 2% common cost shock and practice effects calibrated to Dixon et al. 2011
(:meth:`~pbcmodel.risk.effects.PracticeEffects.dixon_2011`). The policy: PBC's 70/30 freed-up
rule, 2% tolerance then half of an overspend borne, capped at 5% of budget. Each is a field a
``changes`` keyword replaces. The parts are made by
:func:`~pbcmodel.scenario.source.weighted_parts`; one ICB's scenario remembers its
:class:`~pbcmodel.scenario.source.EnglandSource` (ICB, year, footprint), which is also what
a scenario file with ``dataset = "england"`` says (:mod:`pbcmodel.scenario.config`).

Examples
--------
>>> import pbcmodel as pbc
>>> scn = england_scenario("QWO")
>>> scn.population.n_practices, scn.name
(266, 'England QWO')
>>> expected = pbc.risk.spend_distribution(scn.population, scn.cost_model, "normal").mean.sum()
>>> round(float(scn.budgets()["total"].sum() / expected), 4)      # budgets = expected spend
1.0
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import datasets
from ..codes import normalise_codes
from ..errors import ValidationError
from ..weighted import WeightedPopulations
from .scenario import Scenario
from .source import EnglandSource, icb_codes, weighted_parts

__all__ = ["england_scenario", "weighted_scenario"]

def weighted_scenario(wp: WeightedPopulations, resource: float | None = None, *,
                      consortia: pd.Series | None = None, name: str = "england",
                      **changes: Any) -> Scenario:
    """A scenario over the practices of one year of NHS England's weighted populations.

    Parameters
    ----------
    wp : WeightedPopulations
        The practices (an ICB's, ``wp.subset(icb=...)``, or all of England's).
    resource : float, optional
        Pounds to devolve in the first year. Default: the practices' expected spend under
        the example cost model, grossed up by the 1% contingency top-slice (so the budgets
        add up to the expected spend), rounded to the pound.
    consortia : Series, optional
        Practice → consortium (a footprint, e.g. ``Footprints.footprint``); default the
        local authority district within the ICB (:meth:`WeightedPopulations.places`).
    name : str
        The scenario's name.
    **changes
        Fields to replace (as :meth:`Scenario.evolve`, dotted paths allowed).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> wp = pbc.datasets.england().subset(icb="QOC")
    >>> weighted_scenario(wp, 5e8, name="QOC").resource
    500000000.0
    """
    return _evolved(Scenario(**weighted_parts(wp, resource, consortia=consortia, name=name)),
                    changes)


def england_scenario(icb: str | None = None, *, year: str = "2026/27",
                     resource: float | None = None, consortia: pd.Series | None = None,
                     footprint: str | None = None, **changes: Any) -> Scenario:
    """A scenario over one ICB's practices (or all of England's, ``icb=None``) from the
    embedded weighted populations of ``year`` (:func:`pbcmodel.datasets.england`).

    Arguments as :func:`weighted_scenario`; the name is ``"England <ICB>"``. ``footprint``
    (``"pcn"``, ``"place"`` or ``"icb"``, with one ICB's code and no ``consortia``) groups
    the practices into consortia by :func:`pbcmodel.datasets.footprints`. Given one ICB's
    code and no ``consortia``, the scenario remembers where it came from (its ``source``,
    an :class:`~pbcmodel.scenario.source.EnglandSource`), so that
    :meth:`~pbcmodel.scenario.Scenario.to_toml` writes ``dataset = "england"`` and the ICB,
    not its thousands of practices.

    Examples
    --------
    >>> scn = england_scenario("QWO", footprint="pcn", holder="consortium")
    >>> scn.holder, scn.population.hierarchy["consortium"].nunique(), scn.source.footprint
    ('consortium', 54, 'pcn')
    >>> print(scn.to_toml()[:50])
    dataset = "england"
    icb = "QWO"
    year = "2026/27"
    ...
    """
    source = _source(icb, year, footprint, consortia)
    if source is not None:
        return _evolved(Scenario(**source.parts(resource, name=f"England {icb}")), changes)
    wp = datasets.england(year)
    if icb is not None:
        wp = wp.subset(icb=icb)
    return weighted_scenario(wp, resource, consortia=consortia,
                             name=f"England {icb or 'all ICBs'}", **changes)


def _evolved(base: Scenario, changes: dict[str, Any]) -> Scenario:
    """``base`` with ``changes`` (as :meth:`Scenario.evolve`)."""
    return base.evolve(**changes) if changes else base


def _source(icb: Any, year: str, footprint: str | None,
            consortia: pd.Series | None) -> EnglandSource | None:
    """Where an England scenario comes from: one ICB's code of the year and no consortia
    of the caller's own (an ICB's name, several ICBs or all of England: none)."""
    if isinstance(icb, str) and consortia is None and (
            footprint is not None or (year in datasets.ENGLAND_YEARS
                                      and normalise_codes([icb])[0] in icb_codes(year))):
        return EnglandSource(icb, year=year, footprint=footprint)
    if footprint is not None:
        raise ValidationError(f"footprint: only with one ICB's code and without consortia=; "
                              f"got icb={icb!r}" + (" and consortia" if consortia is not None
                                                    else ""))
    return None
