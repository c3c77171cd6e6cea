"""Embedded synthetic example data: a commissioner to learn on, and a generator at national scale.

Nothing here is downloaded. :func:`example_population`, :func:`example_cost_weights` and
:func:`example_historic_budgets` are built from closed-form formulas, so they are identical on
every machine and numpy version; :func:`synthetic_commissioner` draws from a seeded generator.

Examples
--------
>>> from pbcmodel import datasets
>>> pop = datasets.example_population()
>>> pop.n_practices, pop.hierarchy["consortium"].nunique()
(60, 4)
>>> w = datasets.example_cost_weights()
>>> round(float((w.sum(axis=1) * pop.counts.sum().to_numpy()).sum() / pop.list_size.sum()))
1000
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..codes import AGE_BANDS, CELL_PODS, CELLS, PODS, SEXES
from ..money import largest_remainder
from ..population import Population
from ..risk.costmodel import CostModel
from ..validation import whole_number

__all__ = [
    "EXAMPLE_RESOURCE",
    "example_cost_model",
    "example_cost_weights",
    "example_historic_budgets",
    "example_population",
    "synthetic_commissioner",
]

_N_BANDS = len(AGE_BANDS)
_MID = np.arange(_N_BANDS) * 5.0 + 2.5
_MID[-1] = 97.5

#: England-like share of registered patients by age band (sums to 1).
_BASE_AGE = np.array([5.6, 6.0, 5.9, 5.6, 6.2, 6.9, 7.0, 6.8, 6.5, 6.4, 6.9, 6.8, 5.9,
                      5.1, 5.0, 3.6, 2.5, 1.5, 0.7, 0.2])
_BASE_AGE = _BASE_AGE / _BASE_AGE.sum()
#: Share female in each band: about half in childhood, rising in old age.
_FEMALE = np.clip(0.487 + 0.0025 * np.maximum(_MID - 50, 0) ** 1.25, 0.0, 0.75)

#: Most practices :func:`synthetic_commissioner` makes (England has about 6,300).
MAX_PRACTICES = 1_000_000

#: Resource (pounds) the example commissioner has to devolve in the example year.
EXAMPLE_RESOURCE = 510_000_000.0


def _age_sex_shares(tilt: np.ndarray) -> np.ndarray:
    """Shares (units × bands × sexes) for age-profile tilts (−1 young … +1 old)."""
    weights = _BASE_AGE * np.exp(np.outer(tilt, (_MID - 40.0) / 40.0))
    weights /= weights.sum(axis=1, keepdims=True)
    return np.stack([weights * _FEMALE, weights * (1 - _FEMALE)], axis=2)


def _population(codes: pd.Index, consortium: np.ndarray, commissioner: np.ndarray,
                list_size: np.ndarray, tilt: np.ndarray) -> Population:
    shares = _age_sex_shares(tilt).reshape(len(codes), -1)
    exact = shares * list_size[:, None]
    # whole patients per cell, each practice's cells adding up to its rounded list size
    counts = largest_remainder(exact, np.rint(exact.sum(axis=1)).astype(np.int64), "counts",
                               ("patients", "one patient"))
    counts_df = pd.DataFrame(counts, index=codes, columns=CELLS)
    hierarchy = pd.DataFrame({"consortium": consortium, "commissioner": commissioner},
                             index=codes, dtype=object)
    return Population(counts=counts_df, hierarchy=hierarchy)


def example_population() -> Population:
    """A synthetic commissioner: 60 practices in 4 consortia (C1–C4).

    List sizes run from about 1,500 to 25,000; age profiles range from young urban
    practices to elderly coastal ones (consortium C4 is the oldest). Deterministic.

    Examples
    --------
    >>> pop = example_population()
    >>> int(pop.list_size.min()), int(pop.list_size.max())
    (1500, 25000)
    """
    n = 60
    i = np.arange(n)
    # Log-spaced list sizes, interleaved so that every consortium has small and large practices.
    sizes = np.rint(np.exp(np.linspace(np.log(1500), np.log(25000), n)))
    order = (i * 23) % n  # 23 is coprime with 60: a fixed permutation
    list_size = sizes[order]
    consortium = np.array([f"C{1 + k % 4}" for k in i])
    tilt = np.sin(i * 1.7) * 0.6 + np.array([-0.35, 0.0, 0.15, 0.5])[i % 4]
    codes = pd.Index([f"P{k + 1:03d}" for k in i], name="practice")
    return _population(codes, consortium, np.full(n, "X01"), list_size, tilt)


def example_cost_weights() -> pd.DataFrame:
    """Expected cost (pounds per head per year) by age band × sex (rows) and POD (columns).

    A J-shaped age pattern (infants cost more than older children, costs rise steeply after
    60) that averages about £1,000 per head over :func:`example_population`.

    Examples
    --------
    >>> w = example_cost_weights()
    >>> w.shape
    (40, 7)
    >>> bool(w.loc[("85_89", "F")].sum() > 4 * w.loc[("30_34", "F")].sum())
    True
    """
    age = _MID
    total = 300 + 450 * np.exp(-age / 2.5) + 2.2 * np.maximum(age - 15, 0) ** 1.6
    # POD mix: hospital care and prescribing grow with age, A&E is flat-ish, community rises late.
    mix = np.column_stack([
        0.16 + 0.001 * age,                       # elective
        0.18 + 0.0025 * age,                      # non_elective
        0.09 - 0.0003 * age,                      # outpatient_first
        0.11 - 0.0002 * age,                      # outpatient_follow_up
        0.09 - 0.0007 * age,                      # ae
        0.25 + 0.0004 * age,                      # prescribing
        0.04 + 0.0016 * age,                      # community
    ])
    mix /= mix.sum(axis=1, keepdims=True)
    female = np.array([1.0, 0.93])  # men cost ~7% less per head at the same age in this example
    cells = total[:, None, None] * female[None, :, None] * mix[:, None, :]
    raw = cells.reshape(-1, len(PODS))
    pop = example_population().counts.sum().to_numpy()
    raw *= 1000.0 / ((raw.sum(axis=1) * pop).sum() / pop.sum())
    return pd.DataFrame(np.round(raw, 2), index=CELLS, columns=pd.Index(PODS, name="pod"))


def example_historic_budgets() -> pd.DataFrame:
    """Last year's budgets (pounds) for :func:`example_population`, practice × POD.

    They total 97% of :data:`EXAMPLE_RESOURCE` and sit up to about ±12% from the
    age-sex fair share, as historic budgets built on past activity do.

    Examples
    --------
    >>> h = example_historic_budgets()
    >>> round(float(h.to_numpy().sum()) / EXAMPLE_RESOURCE, 2)
    0.97
    """
    pop = example_population()
    weights = example_cost_weights()
    fair = pop.counts.to_numpy() @ weights.to_numpy()
    k = np.arange(pop.n_practices)
    drift = 1.0 + 0.12 * np.sin(k * 2.3 + 0.4)
    pod_drift = 1.0 + 0.05 * np.cos(np.add.outer(k, np.arange(len(PODS))) * 1.3)
    raw = fair * drift[:, None] * pod_drift
    raw *= 0.97 * EXAMPLE_RESOURCE / raw.sum()
    return pd.DataFrame(np.round(raw, 2), index=pop.codes, columns=pd.Index(PODS, name="pod"))


def synthetic_commissioner(n_practices: int = 8000, seed: int = 0, *,
                           practices_per_consortium: int = 15,
                           consortia_per_commissioner: int = 25) -> Population:
    """A random population of ``n_practices`` practices, up to national scale.

    List sizes are lognormal (median about 6,500, as in England, so 8,000 practices hold
    about 60 million patients), clipped to 1,000–60,000; age profiles vary by practice.

    Parameters
    ----------
    n_practices : int
        Number of practices (≥ 1).
    seed : int
        Seed for :class:`numpy.random.SeedSequence`; the same seed gives the same population.
    practices_per_consortium, consortia_per_commissioner : int
        Shape of the hierarchy.

    Examples
    --------
    >>> pop = synthetic_commissioner(200, seed=1)
    >>> pop.n_practices, pop.hierarchy["consortium"].nunique()
    (200, 14)
    """
    n = whole_number(n_practices, "n_practices", maximum=MAX_PRACTICES)
    practices_per_consortium = whole_number(practices_per_consortium,
                                            "practices_per_consortium")
    consortia_per_commissioner = whole_number(consortia_per_commissioner,
                                              "consortia_per_commissioner")
    rng = np.random.default_rng(np.random.SeedSequence(whole_number(seed, "seed", minimum=0)))
    list_size = np.clip(np.rint(rng.lognormal(np.log(6500), 0.55, n)), 1000, 60000)
    tilt = np.clip(rng.normal(0.0, 0.45, n), -1, 1)
    cons = np.arange(n) // practices_per_consortium
    codes = pd.Index([f"S{k:05d}" for k in range(n)], name="practice")
    consortium = np.char.add("K", np.char.zfill(cons.astype(str), 4))
    comm = cons // consortia_per_commissioner
    commissioner = np.char.add("Q", np.char.zfill(comm.astype(str), 3))
    return _population(codes, consortium.astype(object), commissioner.astype(object),
                       list_size, tilt)


def example_cost_model() -> CostModel:
    """A per-patient cost model consistent with :func:`example_cost_weights`.

    For every age band × sex × POD, ``p_use × mean`` equals the example cost weight. The
    chance of any use rises with age (prescribing is near-universal in old age, elective
    admission stays rare); severity given use is lognormal, heaviest for admissions
    (cv 2.0 elective, 2.5 non-elective) and lightest for outpatients and A&E (cv 1.0–1.2).

    Examples
    --------
    >>> model = example_cost_model()
    >>> bool(np.allclose(model.weights(), example_cost_weights()))
    True
    >>> round(float(model.table.loc[("85_89", "F", "prescribing"), "p_use"]), 2)
    0.89
    """
    a = _MID / 100.0
    p_use = np.column_stack([
        0.03 + 0.15 * a**1.5,                              # elective
        0.04 + 0.05 * np.exp(-_MID / 3) + 0.20 * a**2,     # non_elective
        0.15 + 0.20 * a,                                   # outpatient_first
        0.10 + 0.25 * a,                                   # outpatient_follow_up
        0.22 + 0.05 * np.exp(-_MID / 5) + 0.10 * a**2,     # ae
        np.minimum(0.45 + 0.50 * a, 0.97),                 # prescribing
        0.05 + 0.40 * a**2,                                # community
    ])
    cv = np.array([2.0, 2.5, 1.0, 1.2, 1.0, 1.5, 1.8])
    weights = example_cost_weights().to_numpy().reshape(_N_BANDS, len(SEXES), len(PODS))
    p = np.broadcast_to(p_use[:, None, :], weights.shape)
    frame = pd.DataFrame({
        "p_use": p.ravel(),
        "mean": (weights / p).ravel(),
        "cv": np.broadcast_to(cv, weights.shape).ravel(),
    }, index=CELL_PODS)
    return CostModel.from_frame(frame.reset_index())
