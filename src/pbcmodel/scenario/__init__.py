"""The one composer: a :class:`Scenario` and everything that runs one.

* :mod:`~pbcmodel.scenario.scenario` — :class:`Scenario` (population, formula, resource,
  cost model and the signed-up rules), :func:`load_scenario`;
* :mod:`~pbcmodel.scenario.simulation` — multi-year simulation;
* :mod:`~pbcmodel.scenario.results` — :class:`SimulationResult`, what a simulation returns;
* :mod:`~pbcmodel.scenario.metrics` — every figure a result, a comparison or a design reports,
  defined once (name, unit, sign, label, how it is computed);
* :mod:`~pbcmodel.scenario.variants` — :func:`compare` and :func:`sweep` of policy variants,
  locally or on dask;
* :mod:`~pbcmodel.scenario.config` — scenario files (TOML/JSON); the ``population`` key in
  :mod:`~pbcmodel.scenario.population_file`.

Policy design (``optimise``, ``frontier``) is :mod:`pbcmodel.design`, which builds on this.

Examples
--------
>>> from pbcmodel.scenario import Scenario
>>> scn = Scenario.example()
>>> Scenario.from_toml(scn.to_toml()) == scn
True
"""

from __future__ import annotations

from .england import england_scenario
from .footprint_risk import FootprintRisk
from .results import SimulationResult
from .scenario import Scenario, load_scenario
from .simulation import METHODS, draw_outturns, simulate
from .variants import ENGINES, compare, headline, side_by_side, sweep

__all__ = [
    "ENGINES",
    "METHODS",
    "FootprintRisk",
    "Scenario",
    "SimulationResult",
    "compare",
    "draw_outturns",
    "england_scenario",
    "headline",
    "load_scenario",
    "side_by_side",
    "simulate",
    "sweep",
]


def __getattr__(name: str) -> object:
    """``pbcmodel.scenario.design`` moved to :mod:`pbcmodel.design` (which imports this
    package, so it cannot be re-exported here)."""
    if name == "design":
        raise AttributeError("pbcmodel.scenario.design moved to pbcmodel.design: use "
                             "pbc.design.optimise, pbc.design.frontier, ... or "
                             "`from pbcmodel.design import optimise`")
    raise AttributeError(f"module 'pbcmodel.scenario' has no attribute {name!r}")
