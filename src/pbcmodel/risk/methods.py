"""Per-patient cost per cell for each part of spend, discretised on a ladder of buckets (private).

``part`` is what a unit is exposed to when a per-patient high-cost threshold ``d`` applies:

* ``"total"`` — the whole cost ``X`` (no threshold); buckets ``2^k`` pounds;
* ``"retained"`` — ``min(X, d)``, kept by the practice; buckets ``d·2^k`` so that ``d`` is
  a lattice point, at least ``d/2^14``;
* ``"excess"`` — ``(X − d)⁺``, paid by the high-cost pool; buckets ``d·2^k ≥ d/32``.

The capped and excess per-patient laws are computed once on a fine lattice (the sum over
PODs by FFT, exact on the lattice) and re-discretised, keeping mean and variance, onto each
coarser bucket used. The uncapped law is discretised directly on each bucket.
"""

from __future__ import annotations

import attrs
import numpy as np
from scipy import fft

from . import lattice
from .costmodel import CostModel
from .laws import LatticeLaw, NormalLaw

PARTS: tuple[str, ...] = ("retained", "excess", "total")

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

    @classmethod
    def build(cls, model: CostModel, threshold: float | None, part: str,
              finest: float | None = None) -> CellLaws:
        """Prepare the laws; ``finest`` is the smallest bucket that will be asked for."""
        if part == "total":
            return cls(model, None, part, 1.0, 0.0, _TOTAL_REF_H, None)
        if threshold is None:
            raise ValueError(f"part {part!r} needs a high-cost threshold")
        d = float(threshold)
        if part == "excess":
            h = d / _EXCESS_STEPS
            pos, w = lattice.severity_nodes(model, h)
            x = lattice.cell_pmf(model, pos, w, _EXCESS_SIZE)
            pmf = np.concatenate([x[:, :_EXCESS_STEPS + 1].sum(axis=1, keepdims=True),
                                  x[:, _EXCESS_STEPS + 1:]], axis=1)
            return cls(model, d, part, d, h, h, pmf)
        h = min(finest if finest is not None else d / 256, d / 64)
        steps = round(d / h)
        pos, w = lattice.severity_nodes(model, h)
        pmf = lattice.cell_pmf(model, pos, w, 0, cap=steps)
        return cls(model, d, part, d, d / _CAP_FINEST, h, pmf)

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
                n: int = N_POINTS) -> LatticeLaw:
    """FFT distributions of the summed ``part`` for units with patient ``counts`` (U, 40)."""
    counts = counts.astype(float)
    ref = CellLaws.build(model, threshold, part)
    h, start = lattice.window(counts @ ref.reference_cumulants(), n, ref.base, WINDOW_EPS,
                           floor=ref.floor)
    laws = ref if part != "retained" else CellLaws.build(model, threshold, part, float(h.min()))
    pmf = np.empty((len(counts), n))
    cum = np.empty((len(counts), 4))
    for value in np.unique(h):
        rows = np.flatnonzero(h == value)
        cell_cum, log_phi = laws.at(float(value), n)
        cum[rows] = counts[rows] @ cell_cum
        pmf[rows] = lattice.aggregate(log_phi, counts[rows], start[rows], n)
    return LatticeLaw(h=h, start=start, pmf=pmf, cumulants=cum,
                      alias_bound=lattice.alias_bound(cum, h, start, n))


def normal_law(counts: np.ndarray, model: CostModel, threshold: float | None,
               part: str) -> NormalLaw:
    """Normal approximations with the mean and variance of the (discretised) ``part``."""
    cum = unit_cumulants(counts, model, threshold, part)
    return NormalLaw(mean=cum[:, 0], var=cum[:, 1])


def unit_cumulants(counts: np.ndarray, model: CostModel, threshold: float | None,
                   part: str) -> np.ndarray:
    """κ₁..κ₄ of each unit's ``part`` (U, 4), from the finest discretisation."""
    return counts.astype(float) @ CellLaws.build(model, threshold, part).reference_cumulants()


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
        pmf[groups] = lattice.aggregate(log_phi[members], member_matrix, start[groups], n,
                                     extra_log_phi=shock[groups])
    return LatticeLaw(h=h, start=start, pmf=pmf, cumulants=cum,
                      alias_bound=lattice.alias_bound(cum, h, start, n))
