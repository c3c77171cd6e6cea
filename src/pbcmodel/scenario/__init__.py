"""The one composer: a :class:`Scenario` and everything that runs one.

* :mod:`~pbcmodel.scenario.scenario` — :class:`Scenario` (population, formula, resource,
  cost model and the signed-up rules), :func:`load_scenario`;
* :mod:`~pbcmodel.scenario.simulation` — multi-year simulation, :class:`SimulationResult`;
* :mod:`~pbcmodel.scenario.variants` — :func:`compare` and :func:`sweep` of policy variants,
  locally or on dask;
* :mod:`~pbcmodel.scenario.config` — scenario files (TOML/JSON).
* :mod:`~pbcmodel.scenario.design` — policy design: :func:`~pbcmodel.scenario.design.optimise`
  and :func:`~pbcmodel.scenario.design.frontier`.

Examples
--------
>>> from pbcmodel.scenario import Scenario
>>> scn = Scenario.example()
>>> Scenario.from_toml(scn.to_toml()) == scn
True
"""

from __future__ import annotations

from . import design
from .scenario import Scenario, load_scenario
from .simulation import METHODS, SimulationResult, draw_outturns, simulate
from .variants import ENGINES, compare, headline, side_by_side, sweep

__all__ = [
    "ENGINES",
    "METHODS",
    "Scenario",
    "SimulationResult",
    "compare",
    "design",
    "draw_outturns",
    "headline",
    "load_scenario",
    "side_by_side",
    "simulate",
    "sweep",
]
