"""How much financial risk does a practice, a consortium or a commissioner carry?

The parts, each in its own module:

* :mod:`~pbcmodel.risk.costmodel` — :class:`CostModel`, the per-patient annual cost by
  age band × sex × POD (chance of any use, mean and cv given use);
* :mod:`~pbcmodel.risk.distribution` — :func:`spend_distribution` (one year's spend of every
  unit by ``"fft"``, ``"mc"`` or ``"normal"``), :class:`SpendDistribution`, :func:`pool`,
  and the risk metrics (:func:`pooling_benefit`, :func:`prob_overspend`, :func:`reserve`,
  :func:`risk_by_list_size`, :func:`size_high_cost_pool`);
* :mod:`~pbcmodel.risk.methods` — the method registry (:data:`REGISTRY`: ``"fft"``,
  ``"normal"``, ``"mc"``): how each method builds the laws of spend;
* :mod:`~pbcmodel.risk.high_cost` — :func:`~pbcmodel.risk.high_cost.apply_threshold`, the
  per-patient high-cost threshold (retained ``min(X, d)``, excess ``(X − d)⁺``; with a
  pool share ``f``, a partial stop-loss, the pool pays ``f·(X − d)⁺``), applied by every
  method; :data:`MORBI_RSA_POOL_SHARE`, Germany's 80%;
* :mod:`~pbcmodel.risk.effects` — :class:`PracticeEffects`, what the formula does not see
  in a practice's spend: a persistent multiplicative effect per practice (log-scale AR(1));
* :mod:`~pbcmodel.risk.draws` — drawing simulated years of spend for every practice;
* :mod:`~pbcmodel.risk.lattice` — the FFT numerics on a lattice of buckets;
* :mod:`~pbcmodel.risk.patients` — seeds, random streams keyed by blocks of simulations,
  and patient-level Monte Carlo;
* :mod:`~pbcmodel.risk.laws` — the distribution objects (lattice, sample, normal).

Examples
--------
>>> import pbcmodel as pbc
>>> pop, model = pbc.datasets.example_population(), pbc.datasets.example_cost_model()
>>> dist = pbc.risk.spend_distribution(pop, model)
>>> float(dist.cv["P001"].round(3))
0.084
"""

from __future__ import annotations

from .costmodel import CostModel
from .distribution import (
    METHODS,
    PARTS,
    SpendDistribution,
    pool,
    pooling_benefit,
    prob_overspend,
    reserve,
    risk_by_list_size,
    size_high_cost_pool,
    spend_distribution,
)
from .draws import SpendDraws, SpendSampler, iter_spend, simulate_spend, spend_sampler
from .effects import PracticeEffects
from .high_cost import MORBI_RSA_POOL_SHARE, apply_threshold
from .methods import REGISTRY, Method

__all__ = [
    "METHODS",
    "MORBI_RSA_POOL_SHARE",
    "PARTS",
    "REGISTRY",
    "CostModel",
    "Method",
    "PracticeEffects",
    "SpendDistribution",
    "SpendDraws",
    "SpendSampler",
    "apply_threshold",
    "iter_spend",
    "pool",
    "pooling_benefit",
    "prob_overspend",
    "reserve",
    "risk_by_list_size",
    "simulate_spend",
    "size_high_cost_pool",
    "spend_distribution",
    "spend_sampler",
]
