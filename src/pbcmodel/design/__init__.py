"""Policy design: find the risk-share rules that meet stated aims, and show the trade-off.

The parts: :mod:`~pbcmodel.design.space` (the search space and the aims),
:mod:`~pbcmodel.design.evaluate` (candidates simulated on common random numbers),
:mod:`~pbcmodel.design.search` (:func:`optimise`, :class:`Design`),
:mod:`~pbcmodel.design.pareto` (:func:`frontier`, :class:`Frontier`, :func:`pareto_mask`) and
:mod:`~pbcmodel.design.spec` (design files); the metrics are the figures of
:mod:`pbcmodel.scenario.metrics`, the same ones a result and a comparison report.

State the aims as named metrics of a simulation — minimise the commissioner's tail risk,
subject to every list-size band's chance of losing more than 5% of budget in a year being
at most 5% and the expected freed-up money staying above £x — and
:func:`~pbcmodel.design.search.optimise` finds the policy parameters (dotted paths into the
:class:`~pbcmodel.scenario.Scenario`) that meet them. :func:`~pbcmodel.design.pareto.frontier`
draws the trade-off between two metrics (by default the commissioner's TVaR95 against the
worst band's practice risk) as the Pareto set.

**Search space.** A mapping of dotted path → bounds ``(low, high)``, a grid
``(low, high, step)``, or a list of choices ``[a, b, ...]`` (in files: tables
``{bounds = [low, high], step = s}`` or ``{choices = [...]}``). A path may end in a key
of a mapping field (``"formula.top_slices.high_cost_pool"``). Every path is checked by
building the scenario at both bounds (and at every choice), so a path that names no field
or a bound the field's validator refuses fails before anything is simulated.

**Metrics** (objective and constraints) are computed from each candidate's
:class:`~pbcmodel.scenario.SimulationResult` by :mod:`pbcmodel.scenario.metrics`, where each is
defined once with its unit, sign and label; :data:`~pbcmodel.scenario.metrics.METRICS` lists
them (``P`` and ``X`` are numbers: ``commissioner_tvar95``, ``max_band_prob_loss_over_5pct``).
Constraints are ``{metric: {"max": bound}}`` and/or ``{"min": bound}``, in the metric's
unit.

**Common random numbers.** Every candidate is simulated with the same ``seed``. A
simulation's outturns depend only on what drives spend
(:data:`~pbcmodel.scenario.simulation.DRIVERS_OF_SPEND`), so candidates that differ only in
policy see identical outturns, simulation by simulation: the optimiser compares policies,
not noise. A generation of candidates is simulated together
(:func:`~pbcmodel.scenario.simulation.run`: drawn once, settled under each policy), with
streamed results that count exactly the losses the metrics name (``..._over_Xpct``, through
``track_losses``), so any percentage works without keeping every simulated year. A space
over a driver of spend breaks common outturns, and needs at least
:data:`~pbcmodel.design.space.DRIVER_MIN_SIMULATIONS` simulations.

**Optimiser.** :func:`scipy.optimize.differential_evolution` (``best1bin``; a fixed seed
spawned from ``seed``; a Latin-hypercube first generation of ``max(8, 5 × parameters)``
candidates plus the scenario's own values; ``polish=False``; no early stop, so the search
spends its ``max_evaluations``), with the constraints as a
:class:`~scipy.optimize.NonlinearConstraint` handled by Lampinen's feasibility rules
(feasible beats infeasible; between infeasible candidates the smaller total violation
wins). Why: on common random numbers the metrics are piecewise smooth in continuous
parameters (kinks at tolerances and caps) and the probability constraints are *step*
functions (a count of simulated losses), so gradients are useless and local
derivative-free methods (Nelder–Mead, COBYLA, Powell) stall on the flat steps;
differential evolution is global, needs no gradient, takes grids and choices as integer
variables, and hands over a whole generation at once, simulated on one set of draws.
Violations are compared relative to each bound (``(value − bound) / |bound|``, or absolute
when the bound is 0) so pounds and probabilities add up fairly. Where a constraint binds,
the optimum lies on its boundary, which evolution approaches slowly: the last
:data:`~pbcmodel.design.search.REFINE_STEPS` evaluations bisect between the best feasible
candidate and the nearest infeasible one that scores better. The chosen policy is the best feasible
candidate of all those simulated (else the least violating).

**Fresh draws.** The chosen policy is re-simulated ``replicates`` times on fresh draws
(seeds spawned from ``seed``, never the search seed), so the reported figures are not
optimistically biased by the search having picked the luckiest policy for one set of
draws. Each figure is the mean of the replicates, with its standard error and the spread
of a single simulation of that size.

Examples
--------
>>> import pbcmodel as pbc
>>> scn = pbc.Scenario.example(high_cost_threshold=None)
>>> best = optimise(scn, {"overspend.practice_share": (0.0, 1.0, 0.25)},
...                 objective="commissioner_tvar95",
...                 constraints={"max_band_prob_loss_over_2pct": {"max": 0.15}},
...                 n=200, method="normal", max_evaluations=16, replicates=2, seed=1)
>>> best.feasible, 0.0 <= best.parameters["overspend.practice_share"] <= 1.0
(True, True)
>>> best.figures.loc["max_band_prob_loss_over_2pct", "bound"]
np.float64(0.15)
"""


from __future__ import annotations

from ..scenario.metrics import LIST_SIZE_BANDS, METRICS, measure, metric
from .evaluate import DesignWarning
from .pareto import Frontier, frontier, pareto_mask
from .search import REFINE_STEPS, Design, optimise
from .space import DRIVER_MIN_SIMULATIONS, DRIVERS_OF_SPEND, Constraint, Parameter, parse_space
from .spec import DesignSpec, load_design_spec

__all__ = [
    "DRIVERS_OF_SPEND",
    "DRIVER_MIN_SIMULATIONS",
    "LIST_SIZE_BANDS",
    "METRICS",
    "REFINE_STEPS",
    "Constraint",
    "Design",
    "DesignSpec",
    "DesignWarning",
    "Frontier",
    "Parameter",
    "frontier",
    "load_design_spec",
    "measure",
    "metric",
    "optimise",
    "pareto_mask",
    "parse_space",
]
