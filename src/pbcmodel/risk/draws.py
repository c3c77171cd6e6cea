"""Drawing years of practice spend for simulation, for every method.

:func:`spend_sampler` builds each practice's spend distribution once (FFT lattice or normal)
and draws any number of simulated years by inverting the cdf at uniforms; patient-level
Monte Carlo draws live in :mod:`pbcmodel.risk.patients`. With a high-cost threshold the
pool's excess is drawn from its own distribution.

Examples
--------
>>> from pbcmodel.datasets import example_population, example_cost_model
>>> draws = simulate_spend(example_population(), example_cost_model(), 4, seed=1)
>>> draws.retained.shape
(4, 60)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from .._validate import check_positive
from ..errors import ValidationError
from ..population import Population
from . import methods, patients
from .costmodel import CostModel
from .distribution import _check_inputs, _count, _unit_cost_factor
from .laws import LatticeLaw

__all__ = ["SpendDraws", "SpendSampler", "iter_spend", "shocked", "simulate_spend",
           "spend_sampler"]


@attrs.frozen(eq=False)
class SpendDraws:
    """Simulated annual spend: ``retained`` and ``excess`` arrays of shape (n, practices).

    ``excess`` (what the high-cost pool pays) is all zeros without a threshold, and has one
    column per commissioner from a sampler built with ``excess_by="commissioner"``.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> s = simulate_spend(example_population(), example_cost_model(), 10, seed=1)
    >>> s.retained.shape, float(s.excess.sum())
    ((10, 60), 0.0)
    """

    codes: pd.Index
    retained: np.ndarray
    excess: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """Retained plus excess, (n, practices)."""
        return self.retained + self.excess


@attrs.frozen(eq=False)
class SpendSampler:
    """Draws years of practice spend from distributions built once (see :func:`spend_sampler`).

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> sampler = spend_sampler(example_population(), example_cost_model())
    >>> [c.retained.shape for c in sampler.chunks(5, seed=1, chunk_size=2)]
    [(2, 60), (2, 60), (1, 60)]
    """

    codes: pd.Index
    retained_law: Any
    excess_law: Any | None
    common_shock_cv: float

    def chunks(self, n: int, seed: Any, chunk_size: int | None = None
               ) -> Iterator[SpendDraws]:
        """Yield :class:`SpendDraws` of consecutive simulations; the same for any chunk size.

        Arguments are checked at the call, before the first chunk is drawn.
        """
        n = _count(n, "n")
        if chunk_size is not None:
            _count(chunk_size, "chunk_size")
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        kept_seed, excess_seed, shock_seed = root.spawn(3)
        step = chunk_size or max(1, patients.CHUNK_ELEMENTS // len(self.codes))
        kept = patients.draw_by_inversion(self.retained_law, n, kept_seed, chunk_size=step)
        paid = (None if self.excess_law is None else
                patients.draw_by_inversion(self.excess_law, n, excess_seed, chunk_size=step))
        return shocked(self.codes, kept, paid, np.random.default_rng(shock_seed),
                        self.common_shock_cv)


def spend_sampler(pop: Population, model: CostModel, *,
                  high_cost_threshold: float | None = None, common_shock_cv: float = 0.0,
                  method: Literal["fft", "normal"] = "fft",
                  excess_by: Literal["practice", "commissioner"] = "practice"
                  ) -> SpendSampler:
    """Build the per-practice distributions once, to draw as many years as needed.

    With a threshold, ``excess`` (what the high-cost pool pays) is drawn per practice, or
    with ``excess_by="commissioner"`` per commissioner (columns: commissioners in sorted
    order): one exact distribution of each pool's total, much cheaper at national scale
    when only the pool's cost is wanted.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> s = spend_sampler(example_population(), example_cost_model(), high_cost_threshold=5e4,
    ...                   excess_by="commissioner")
    >>> [c.excess.shape for c in s.chunks(3, seed=0)]
    [(3, 1)]
    """
    shock_cv = check_positive(common_shock_cv, "common_shock_cv", strict=False)
    if method not in ("fft", "normal"):
        raise ValidationError(f"method: must be 'fft' or 'normal', got {method!r}")
    d, part = _check_inputs(pop, model, high_cost_threshold, "retained")
    counts = pop.counts.to_numpy()
    build = methods.lattice_law if method == "fft" else methods.normal_law
    if excess_by not in ("practice", "commissioner"):
        raise ValidationError(
            f"excess_by: must be 'practice' or 'commissioner', got {excess_by!r}")
    pool_counts = counts if excess_by == "practice" else pop.counts_by(excess_by).to_numpy()
    factor = pop.cost_factor()
    excess = None
    if d is not None:
        excess_law = build(pool_counts, model, d, "excess")
        if pop.cost_index is not None:
            excess_law = excess_law.scaled(factor if excess_by == "practice"
                                           else _unit_cost_factor(pop, excess_by))
        excess = _drawable(excess_law)
    retained = build(counts, model, d, part)
    if pop.cost_index is not None:
        retained = retained.scaled(factor)
    return SpendSampler(codes=pop.codes, retained_law=_drawable(retained),
                        excess_law=excess, common_shock_cv=shock_cv)


def _drawable(law: Any) -> Any:
    """What drawing by inversion needs of a law (a lattice law's cdf, not its pmf too)."""
    return law.inverse() if isinstance(law, LatticeLaw) else law


def iter_spend(pop: Population, model: CostModel, n: int, seed: Any, *,
               high_cost_threshold: float | None = None, common_shock_cv: float = 0.0,
               chunk_size: int | None = None,
               method: Literal["fft", "normal"] = "fft") -> Iterator[SpendDraws]:
    """Yield :class:`SpendDraws` chunks for :func:`simulate_spend` (same draws, bounded memory).

    Arguments are checked at the call, before the first chunk is drawn.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> chunks = iter_spend(example_population(), example_cost_model(), 5, seed=1, chunk_size=2)
    >>> [c.retained.shape for c in chunks]
    [(2, 60), (2, 60), (1, 60)]
    """
    n = _count(n, "n")
    if chunk_size is not None:
        _count(chunk_size, "chunk_size")
    sampler = spend_sampler(pop, model, high_cost_threshold=high_cost_threshold,
                            common_shock_cv=common_shock_cv, method=method)
    return sampler.chunks(n, seed, chunk_size)


def shocked(codes: pd.Index, kept: Iterator[np.ndarray], paid: Iterator[np.ndarray] | None,
            rng: np.random.Generator, shock_cv: float) -> Iterator[SpendDraws]:
    """Multiply each simulated year (row) by a common lognormal shock, mean 1, cv ``shock_cv``."""
    s2 = np.log1p(shock_cv**2)
    for retained in kept:
        excess = next(paid) if paid is not None else np.zeros_like(retained)
        factor = np.exp(np.sqrt(s2) * rng.standard_normal(len(retained)) - s2 / 2)[:, None]
        yield SpendDraws(codes=codes, retained=retained * factor, excess=excess * factor)


def simulate_spend(pop: Population, model: CostModel, n: int, seed: Any, *,
                   high_cost_threshold: float | None = None, common_shock_cv: float = 0.0,
                   chunk_size: int | None = None,
                   method: Literal["fft", "normal"] = "fft") -> SpendDraws:
    """Draw ``n`` years of spend for every practice, fast enough for national simulation.

    Each practice's retained spend is drawn from its FFT distribution by inverting the cdf
    at uniforms (exact for the discretised distribution; no patient-level draws), one stream
    per practice from ``SeedSequence(seed)``, so the result does not depend on
    ``chunk_size``. With a threshold the pool's excess per practice is drawn the same way
    from its own distribution, independently of the retained part: an approximation (a
    patient above the threshold raises both), which leaves each marginal exact. A common
    multiplicative shock, lognormal with mean 1 and cv ``common_shock_cv`` (a shared cost
    trend), multiplies every practice's spend in a simulated year.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> pop, model = example_population(), example_cost_model()
    >>> a = simulate_spend(pop, model, 6, seed=2, high_cost_threshold=50_000, chunk_size=4)
    >>> b = simulate_spend(pop, model, 6, seed=2, high_cost_threshold=50_000)
    >>> bool(np.array_equal(a.total, b.total))
    True
    """
    parts = list(iter_spend(pop, model, n, seed, high_cost_threshold=high_cost_threshold,
                            common_shock_cv=common_shock_cv, chunk_size=chunk_size, method=method))
    return SpendDraws(codes=pop.codes, retained=np.vstack([p.retained for p in parts]),
                      excess=np.vstack([p.excess for p in parts]))
