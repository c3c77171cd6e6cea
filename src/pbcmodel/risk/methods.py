"""The method registry, and the lattices on which each part of spend is computed.

**Methods.** :data:`REGISTRY` maps each method name (``"fft"``, ``"normal"``, ``"mc"``) to a
:class:`Method`: how it builds the distribution of a part of spend for units with given
patient counts, and whether simulation draws from that distribution by inversion or
patient by patient. Every caller (:func:`~pbcmodel.risk.spend_distribution`,
:func:`~pbcmodel.risk.spend_sampler`, the scenario's simulation) looks a method up with
:func:`method`; there is no other switch on method names.

**Parts of spend.**

``part`` is what a unit is exposed to when a per-patient high-cost threshold ``d`` applies
(:data:`~pbcmodel.risk.high_cost.PARTS`; the threshold itself is applied, for every
method, by :func:`~pbcmodel.risk.high_cost.apply_threshold`):

* ``"total"`` — the whole cost ``X`` (no threshold); buckets ``2^k`` pounds;
* ``"retained"`` — ``min(X, d)``, kept by the practice; buckets ``d·2^k`` so that ``d`` is
  a lattice point, at least ``d/2^14``;
* ``"excess"`` — ``(X − d)⁺``, paid by the high-cost pool; buckets ``d·2^k ≥ d/32``.

With a pool share ``f < 1`` (a partial stop-loss) the pool pays ``f·(X − d)⁺`` and the
practice keeps ``min(X, d) + (1 − f)·(X − d)⁺``, no longer bounded by ``d``: both parts are
then computed from the law of ``X`` on the excess's lattice (buckets ``d·2^k ≥ d/32``).

The capped and excess per-patient laws (:class:`CellLaws`) are computed once on a fine
lattice (the sum over PODs by FFT, exact on the lattice) and re-discretised, keeping mean
and variance, onto each coarser bucket used; the normal method takes their mean and
variance. The uncapped law is discretised directly on each bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
from scipy import fft

from ..codes import PODS
from ..errors import ValidationError
from ..population import Population
from ..validation import check_positive
from . import lattice, patients
from .costmodel import CostModel
from .high_cost import PARTS, apply_threshold, check_pool_share
from .laws import LatticeLaw, NormalLaw, SampleLaw

#: Points per unit in the FFT window.
N_POINTS = 4096
#: Bound on the probability beyond each side of the FFT window (before it is widened).
WINDOW_EPS = 1e-5
_EXCESS_STEPS = 32       # fine lattice for the excess: d / 32
_EXCESS_SIZE = 2**16     # ... over 2^16 points (2048 d)
_CAP_FINEST = 2**14      # finest bucket for the retained part: d / 2^14
_TOTAL_REF_H = 8.0       # bucket (pounds) for the reference cumulants of the total


@attrs.frozen(eq=False)
class CellLaws:
    """The per-patient laws of one part, ready to be evaluated on any bucket of its ladder.

    Examples
    --------
    >>> from pbcmodel.datasets import example_cost_model
    >>> laws = CellLaws.build(example_cost_model(), 50_000.0, "retained")
    >>> laws.base, laws.reference_cumulants().shape
    (50000.0, (40, 4))
    """

    model: CostModel
    threshold: float | None
    part: str
    base: float
    floor: float
    fine_h: float
    fine_pmf: np.ndarray | None
    pool_share: float = 1.0

    @classmethod
    def build(cls, model: CostModel, threshold: float | None, part: str,
              finest: float | None = None, *, pool_share: float = 1.0) -> CellLaws:
        """Prepare the laws; ``finest`` is the smallest bucket that will be asked for;
        ``pool_share`` the high-cost pool's share of the cost above the threshold."""
        if part == "total":
            return cls(model, None, part, 1.0, 0.0, _TOTAL_REF_H, None)
        if threshold is None:
            raise ValidationError(f"part: {part!r} needs a high_cost_threshold")
        d = float(threshold)
        if part == "excess" or pool_share != 1:
            # the whole law of X: with a share < 1 the retained part is not capped at d
            h = d / _EXCESS_STEPS
            pos, w = lattice.severity_nodes(model, h)
            cost = lattice.cell_pmf(model, pos, w, _EXCESS_SIZE)
            return cls(model, d, part, d, h, h,
                       apply_threshold(cost, _EXCESS_STEPS, part, pmf=True,
                                       pool_share=pool_share), pool_share)
        h = min(finest if finest is not None else d / 256, d / 64)
        steps = round(d / h)
        pos, w = lattice.severity_nodes(model, h)
        # min(ΣY, d) = min(Σ min(Y, d), d): each POD capped first, so that the sum (at most
        # 7d) fits an FFT that does not wrap
        capped = apply_threshold(pos, steps, part)
        size = int(fft.next_fast_len(len(PODS) * steps + 1, real=True))
        cost = lattice.cell_pmf(model, capped, w, size)
        return cls(model, d, part, d, d / _CAP_FINEST, h,
                   apply_threshold(cost, steps, part, pmf=True))

    def reference_cumulants(self) -> np.ndarray:
        """Cumulants κ₁..κ₄ of one patient's cost per cell on the finest lattice, (40, 4)."""
        if self.fine_pmf is None:
            pos, w = lattice.severity_nodes(self.model, self.fine_h)
            return lattice.cell_cumulants_uncapped(self.model, pos, w, self.fine_h)
        x = np.arange(self.fine_pmf.shape[1]) * self.fine_h
        return lattice.cumulants(lattice.raw_moments(self.fine_pmf, x))

    def at(self, h: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Cumulants (40, 4) and log characteristic functions (40, n//2+1) on bucket ``h``."""
        if self.fine_pmf is None:
            pos, w = lattice.severity_nodes(self.model, h)
            cum = lattice.cell_cumulants_uncapped(self.model, pos, w, h)
            return cum, lattice.safe_log(lattice.cell_phi_uncapped(self.model, pos, w, n))
        factor = round(h / self.fine_h)
        origin = np.zeros(self.fine_pmf.shape[0], dtype=np.int64)
        _, pmf = lattice.rebin(self.fine_pmf, origin, factor)  # starts stay at 0
        cum = lattice.cumulants(lattice.raw_moments(pmf, np.arange(pmf.shape[1]) * h))
        return cum, lattice.safe_log(fft.rfft(lattice.fold(pmf, n), axis=-1))


def lattice_law(counts: np.ndarray, model: CostModel, threshold: float | None, part: str,
                n: int = N_POINTS, *, pool_share: float = 1.0) -> LatticeLaw:
    """FFT distributions of the summed ``part`` for units with patient ``counts`` (U, 40)."""
    counts = counts.astype(float)
    ref = CellLaws.build(model, threshold, part, pool_share=pool_share)
    h, start = lattice.window(counts @ ref.reference_cumulants(), n, ref.base, WINDOW_EPS,
                           floor=ref.floor)
    laws = (ref if part != "retained" or pool_share != 1
            else CellLaws.build(model, threshold, part, float(h.min())))
    values = np.unique(h).tolist()
    cells = lattice.map_threads(lambda value: laws.at(value, n), values)
    pmf = np.empty((len(counts), n))
    cum = np.empty((len(counts), 4))
    for value, (cell_cum, log_phi) in zip(values, cells, strict=True):
        rows = np.flatnonzero(h == value)
        cum[rows] = counts[rows] @ cell_cum
        lattice.aggregate(log_phi, counts[rows], start[rows], pmf, rows)
    return LatticeLaw(h=h, start=start, pmf=pmf, cumulants=cum,
                      alias_bound=lattice.alias_bound(cum, h, start, n))


def normal_law(counts: np.ndarray, model: CostModel, threshold: float | None,
               part: str, *, pool_share: float = 1.0) -> NormalLaw:
    """Normal approximations with the mean and variance of the (discretised) ``part``."""
    cum = unit_cumulants(counts, model, threshold, part, pool_share=pool_share)
    return NormalLaw(mean=cum[:, 0], var=cum[:, 1])


def unit_cumulants(counts: np.ndarray, model: CostModel, threshold: float | None,
                   part: str, *, pool_share: float = 1.0) -> np.ndarray:
    """κ₁..κ₄ of each unit's ``part`` (U, 4), from the finest discretisation."""
    laws = CellLaws.build(model, threshold, part, pool_share=pool_share)
    return counts.astype(float) @ laws.reference_cumulants()


def pool_lattice(law: LatticeLaw, group: np.ndarray, n_groups: int, shock_var: np.ndarray,
                 n: int = N_POINTS) -> LatticeLaw:
    """Distribution of each group's sum of independent member lattices plus a normal shock.

    Each member is re-discretised (mean and variance kept) onto its group's bucket, and the
    members' characteristic functions are multiplied; a zero-mean normal with variance
    ``shock_var[g]`` is added through its characteristic function.
    """
    cum = np.zeros((n_groups, 4))
    np.add.at(cum, group, law.cumulants)
    cum[:, 1] += shock_var
    base = float(law.h.min())
    floor = np.zeros(n_groups)
    np.maximum.at(floor, group, law.h)
    h0, start0 = lattice.window(cum, n, base, WINDOW_EPS)
    h = np.maximum(h0, floor)  # never finer than a member's own lattice
    start = np.floor(start0 * h0 / h).astype(np.int64)
    log_phi = np.zeros((len(law.h), n // 2 + 1), dtype=complex)
    member_h = h[group]
    factor = np.rint(member_h / law.h).astype(np.int64)
    for f in np.unique(factor):
        same = np.flatnonzero(factor == f)
        for lo in range(0, len(same), 256):  # bounded temporaries
            rows = same[lo:lo + 256]
            first, pmf = lattice.rebin(law.pmf[rows], law.start[rows], int(f))
            width = pmf.shape[1]
            where = (first[:, None] + np.arange(width)) % n + (np.arange(len(rows)) * n)[:, None]
            dense = np.bincount(where.ravel(), pmf.ravel(), minlength=len(rows) * n)
            log_phi[rows] = lattice.safe_log(fft.rfft(dense.reshape(len(rows), n), axis=-1))
    omega = 2 * np.pi * np.arange(n // 2 + 1) / n
    shock = -0.5 * (shock_var / h**2)[:, None] * omega**2
    pmf = np.empty((n_groups, n))
    for value in np.unique(h):
        groups = np.flatnonzero(h == value)
        members = np.flatnonzero(np.isin(group, groups))
        local = np.searchsorted(groups, group[members])
        member_matrix = np.zeros((len(groups), len(members)))
        member_matrix[local, np.arange(len(members))] = 1.0
        lattice.aggregate(log_phi[members], member_matrix, start[groups], pmf, groups,
                          extra_log_phi=shock[groups])
    return LatticeLaw(h=h, start=start, pmf=pmf, cumulants=cum,
                      alias_bound=lattice.alias_bound(cum, h, start, n))


def count(n: Any, name: str) -> int:
    """A count > 0 that is a whole number (``n``, ``n_sims``, ``chunk_size``)."""
    v = check_positive(n, name)
    if v != int(v):
        raise ValidationError(f"{name}: must be a whole number, got {n!r}")
    return int(v)


def check_inputs(pop: Any, model: Any, threshold: Any, part: str, pool_share: Any = 1.0
                 ) -> tuple[float | None, str, float]:
    """Check the population, cost model, threshold, part and pool share; the threshold, the
    part actually drawn and the share (:func:`~pbcmodel.risk.high_cost.check_pool_share`:
    in (0, 1], and other than 1 only with a threshold)."""
    if not isinstance(pop, Population):
        raise ValidationError(f"pop: expected a Population, got {type(pop).__name__}")
    if not isinstance(model, CostModel):
        raise ValidationError(f"model: expected a CostModel, got {type(model).__name__}")
    if part not in PARTS:
        raise ValidationError(f"part: must be one of {PARTS}, got {part!r}")
    d = None if threshold is None else check_positive(threshold, "high_cost_threshold")
    if d is None and part == "excess":
        raise ValidationError("part: 'excess' needs a high_cost_threshold")
    f = check_pool_share(pool_share, d)
    return d, ("total" if d is None else part), f


def _fft(counts: np.ndarray, model: CostModel, threshold: float | None, part: str, *,
         pool_share: float = 1.0, **_: Any) -> LatticeLaw:
    return lattice_law(counts, model, threshold, part, pool_share=pool_share)


def _normal(counts: np.ndarray, model: CostModel, threshold: float | None, part: str, *,
            pool_share: float = 1.0, **_: Any) -> NormalLaw:
    return normal_law(counts, model, threshold, part, pool_share=pool_share)


def _monte_carlo(counts: np.ndarray, model: CostModel, threshold: float | None, part: str, *,
                 n_sims: int = 100_000, seed: Any = None, chunk_size: int | None = None,
                 pool_share: float = 1.0) -> SampleLaw:
    n = count(n_sims, "n_sims")
    if chunk_size is not None:
        count(chunk_size, "chunk_size")
    return SampleLaw.of(patients.simulate_patients(counts, model, n, seed, threshold=threshold,
                                                   part=part, chunk_size=chunk_size,
                                                   pool_share=pool_share))


@attrs.frozen
class Method:
    """One way of computing spend distributions (an entry of :data:`REGISTRY`).

    Attributes
    ----------
    name : str
    law : callable
        ``law(counts, model, threshold, part, *, n_sims, seed, chunk_size, pool_share)`` →
        the law of each unit's ``part`` of spend (:mod:`~pbcmodel.risk.laws`), the high-cost
        pool meeting ``pool_share`` of each patient's cost above the threshold.
    by_patient : bool
        True when simulation draws patient by patient (``"mc"``); otherwise it draws from
        the law by inverting its cdf.
    """

    name: str
    law: Callable[..., Any] = attrs.field(eq=False)
    by_patient: bool
    summary: str


#: Every method, by name: the one switch used by distributions, samplers and simulation.
REGISTRY: dict[str, Method] = {m.name: m for m in (
    Method("fft", _fft, False, "exact (discretised) distribution by FFT; the default"),
    Method("normal", _normal, False, "normal with the exact mean and variance"),
    Method("mc", _monte_carlo, True, "patient-level Monte Carlo (exact, slow at scale)"),
)}
#: The method names, in the order documented.
METHODS: tuple[str, ...] = tuple(REGISTRY)


def method(name: Any) -> Method:
    """The registered method called ``name``.

    Examples
    --------
    >>> method("fft").by_patient, method("mc").by_patient
    (False, True)
    >>> method("exact")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: method: must be one of ('fft', 'normal', 'mc'), got 'exact'
    """
    found = REGISTRY.get(name) if isinstance(name, str) else None
    if found is None:
        raise ValidationError(f"method: must be one of {METHODS}, got {name!r}")
    return found
