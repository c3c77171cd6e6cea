"""Chunked Monte Carlo with one random stream per unit (private).

Every unit ``u`` gets its own streams spawned from ``SeedSequence(seed)``; each stream is
consumed strictly in simulation order by a single kind of draw, so the results for a seed
are identical whatever the chunk size.

* :func:`simulate_patients` — the cost model itself, patient by patient (exact; the
  reference for the FFT). Without a threshold it draws the number of users of each
  cell × POD (binomial) and then one severity per user (gamma: one draw per cell × POD,
  as a sum of ``K`` gamma(α, θ) is gamma(Kα, θ)). With a threshold it draws each patient's
  use of each POD, so that the cap applies to the patient's total.
* :func:`draw_by_inversion` — draws from any vectorised law (e.g. the FFT lattice) by
  inverting the cdf at uniforms: fast at national scale, exact for that law.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .costmodel import CostModel, Severity

#: Upper bound on random numbers held at once per unit and chunk.
CHUNK_ELEMENTS = 4_000_000


def unit_streams(seed: Any, n_units: int, per_unit: int = 1) -> list[list[np.random.Generator]]:
    """``per_unit`` independent generators for each of ``n_units`` units.

    Examples
    --------
    >>> g = unit_streams(7, 2, per_unit=2)
    >>> len(g), len(g[0]), float(g[0][0].random()) != float(g[1][0].random())
    (2, 2, True)
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return [[np.random.default_rng(s) for s in child.spawn(per_unit)]
            for child in root.spawn(n_units)]


def chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks of ``size`` covering ``range(n)``."""
    for lo in range(0, n, size):
        yield lo, min(lo + size, n)


def _severity(sev: Severity, rng: np.random.Generator, cells: np.ndarray, pods: np.ndarray,
              repeats: np.ndarray | None = None) -> np.ndarray:
    """Severity draws for the (cell, pod) pairs listed (each ``repeats`` times), in order."""
    mean, cv = sev.mean[cells, pods], sev.cv[cells, pods]
    if sev.family == "lognormal":
        s2 = np.log1p(cv**2)
        loc, scale = np.log(mean) - s2 / 2, np.sqrt(s2)
        if repeats is not None:
            loc, scale = np.repeat(loc, repeats), np.repeat(scale, repeats)
        z = rng.standard_normal(len(loc))
        z *= scale
        z += loc
        return np.exp(z, out=z)
    shape = 1.0 / cv**2
    scale = mean / shape
    if repeats is not None:
        shape, scale = np.repeat(shape, repeats), np.repeat(scale, repeats)
    return rng.gamma(shape, scale)


def simulate_patients(counts: np.ndarray, model: CostModel, n: int, seed: Any, *,
                      threshold: float | None = None, part: str = "retained",
                      chunk_size: int | None = None) -> np.ndarray:
    """Simulate each unit's annual ``part`` of spend ``n`` times, patient by patient.

    Parameters
    ----------
    counts : int array (U, 40)
        Patients per (age_band, sex) cell.
    part : {"retained", "excess", "total"}
        With a ``threshold``: what the practice keeps, what the pool pays, or both.

    Returns
    -------
    array (U, n)

    Examples
    --------
    >>> from pbcmodel.datasets import example_cost_model
    >>> counts = np.zeros((1, 40), dtype=int); counts[0, 20] = 50
    >>> a = simulate_patients(counts, example_cost_model(), 6, seed=1, chunk_size=4)
    >>> b = simulate_patients(counts, example_cost_model(), 6, seed=1, chunk_size=6)
    >>> bool(np.array_equal(a, b))
    True
    """
    sev = Severity.of(model)
    p = model.arrays[0]
    n_pods = p.shape[1]
    out = np.empty((len(counts), n))
    streams = unit_streams(seed, len(counts), per_unit=2)
    for u, (use_rng, sev_rng) in enumerate(streams):
        cells = np.flatnonzero(counts[u] > 0)
        size = int(counts[u, cells].sum()) if threshold is not None else len(cells)
        step = chunk_size or max(1, CHUNK_ELEMENTS // max(size * n_pods, 1))
        for lo, hi in chunks(n, step):
            if threshold is None:
                out[u, lo:hi] = _chunk_total(counts[u, cells], cells, p, sev, use_rng, sev_rng,
                                             hi - lo)
            else:
                out[u, lo:hi] = _chunk_capped(counts[u, cells], cells, p, sev, use_rng, sev_rng,
                                              hi - lo, threshold, part)
    return out


def _chunk_total(n_cell: np.ndarray, cells: np.ndarray, p: np.ndarray, sev: Severity,
                 use_rng: np.random.Generator, sev_rng: np.random.Generator,
                 sims: int) -> np.ndarray:
    users = use_rng.binomial(n_cell[:, None], p[cells], size=(sims, len(cells), p.shape[1]))
    sim, cell, pod = np.nonzero(users)
    k = users[sim, cell, pod]
    if sev.family == "gamma":
        shape = 1.0 / sev.cv[cells[cell], pod] ** 2
        draws = sev_rng.gamma(k * shape, sev.mean[cells[cell], pod] / shape)
        return np.bincount(sim, draws, minlength=sims)
    draws = _severity(sev, sev_rng, cells[cell], pod, repeats=k)
    return np.bincount(np.repeat(sim, k), draws, minlength=sims)


def _chunk_capped(n_cell: np.ndarray, cells: np.ndarray, p: np.ndarray, sev: Severity,
                  use_rng: np.random.Generator, sev_rng: np.random.Generator, sims: int,
                  threshold: float, part: str) -> np.ndarray:
    patient_cell = np.repeat(cells, n_cell)
    used = use_rng.random((sims, len(patient_cell), p.shape[1]), dtype=np.float32) < p[patient_cell]
    sim, patient, pod = np.nonzero(used)
    draws = _severity(sev, sev_rng, patient_cell[patient], pod)
    size = len(patient_cell)
    cost = np.bincount(sim * size + patient, draws, minlength=sims * size).reshape(sims, size)
    if part == "total":
        return cost.sum(axis=1)
    kept = np.minimum(cost, threshold)
    return (kept if part == "retained" else cost - kept).sum(axis=1)


def draw_by_inversion(law: Any, n: int, seed: Any, *,
                      chunk_size: int | None = None) -> Iterator[np.ndarray]:
    """Yield chunks (k, U) of draws from ``law`` (one stream per unit), by inverting its cdf.

    Examples
    --------
    >>> from pbcmodel.risk.laws import NormalLaw
    >>> law = NormalLaw(np.array([0.0, 10.0]), np.array([1.0, 1.0]))
    >>> a = np.vstack(list(draw_by_inversion(law, 5, seed=3, chunk_size=2)))
    >>> b = np.vstack(list(draw_by_inversion(law, 5, seed=3)))
    >>> a.shape, bool(np.array_equal(a, b))
    ((5, 2), True)
    """
    streams = [s[0] for s in unit_streams(seed, len(law.mean))]
    step = chunk_size or max(1, CHUNK_ELEMENTS // max(len(streams), 1))
    for lo, hi in chunks(n, step):
        u = np.column_stack([rng.random(hi - lo) for rng in streams])
        yield law.invert(u)
