"""Drawing years of practice spend for simulation, for every method.

:func:`spend_sampler` prepares each practice's spend once and draws any simulated years:

* ``"fft"`` and ``"normal"`` build each practice's distribution once (FFT lattice with its
  guide table, or normal) and draw by inverting the cdf at uniforms, 64 practices at a
  time with no Python loop over practices (:func:`pbcmodel.risk.patients.invert_rows`);
* ``"mc"`` simulates patient by patient (:func:`pbcmodel.risk.patients.simulate_patients`),
  a whole block of simulations at a time.

**Reproducibility.** Every draw comes from streams keyed by (year, kind of draw, group of
practices, block of :data:`~pbcmodel.risk.patients.BLOCK` simulations) under the root
:class:`~numpy.random.SeedSequence`, so :meth:`SpendSampler.draw` returns the same rows for
simulations ``[lo, hi)`` however the simulations are split into chunks, tasks or workers.
With a high-cost threshold the pool's excess is drawn from its own distribution and stream.

**What multiplies the draws.** In a simulated year each practice's retained spend is
multiplied by the year's common shock (one lognormal factor per simulation, mean 1) and,
with ``practice_effects`` (:class:`~pbcmodel.risk.effects.PracticeEffects`), by the
practice's effect in that simulation and year (a persistent lognormal factor, mean 1 for a
practice whose effect is not known), drawn from their own streams keyed by year and block
of simulations (groups of :data:`~pbcmodel.risk.effects.EFFECT_ROWS` for the effects), so
they too are the same for any split. The high-cost pool's excess is multiplied by the
shock only: the pool meets individual patients' costs above the threshold, which is
chance, not a practice's style (and it may be drawn per commissioner, not per practice).

Examples
--------
>>> from pbcmodel.datasets import example_population, example_cost_model
>>> draws = simulate_spend(example_population(), example_cost_model(), 4, seed=1)
>>> draws.retained.shape
(4, 60)
>>> from pbcmodel.risk.effects import PracticeEffects
>>> varied = simulate_spend(example_population(), example_cost_model(), 4, seed=1,
...                         practice_effects=PracticeEffects(sd=0.1, persistence=0.8))
>>> bool((varied.retained != draws.retained).any())
True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd
from scipy import special

from ..errors import ValidationError
from ..population import Population
from ..validation import check_fraction
from . import kernel, methods, patients
from .costmodel import CostModel
from .distribution import unit_cost_factor
from .effects import PracticeEffects
from .laws import drawable

#: Largest coefficient of variation of the common cost shock: 1 is a standard deviation of
#: 100% of every practice's costs in a year, far beyond any cost trend (0.02 is typical);
#: beyond it the simulated costs, not the policy, decide every figure (and 1e300 overflows).
MAX_COMMON_SHOCK_CV = 1.0

__all__ = ["MAX_COMMON_SHOCK_CV", "SpendDraws", "SpendSampler", "iter_spend", "simulate_spend",
           "spend_sampler"]


@attrs.frozen(eq=False)
class SpendDraws:
    """Simulated annual spend: ``retained`` and ``excess`` arrays of shape (n, units).

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
class _ByInversion:
    """Draws of each unit from its law, by inverting the cdf at block-keyed uniforms."""

    law: Any

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        return self.law.mean, self.law.var

    def rows(self, root: np.random.SeedSequence, keys: list[tuple[int, ...]], lo: int,
             hi: int, pence: list[patients.Pence] | None = None) -> list[np.ndarray]:
        if pence is None:
            return patients.invert_many(self.law, root, keys, lo, hi)
        return kernel.invert_pence(self.law, root, keys, lo, hi, pence)   # numba or numpy


@attrs.frozen(eq=False)
class _ByPatient:
    """Draws of each practice's ``part`` patient by patient, a whole block at a time.

    ``group`` (optional) sums the practices' draws into pools (column ``group[p]``);
    ``stream`` (optional) replaces the kind of draw in the key, so that the excess is drawn
    from the same simulated patients as the retained part.
    """

    counts: np.ndarray
    model: CostModel
    threshold: float | None
    part: str
    factor: np.ndarray
    group: np.ndarray | None = None
    stream: int | None = None
    pool_share: float = 1.0

    @property
    def units(self) -> int:
        return len(self.counts) if self.group is None else int(self.group.max()) + 1

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        law = methods.normal_law(self.counts, self.model, self.threshold, self.part,
                                 pool_share=self.pool_share)
        return law.mean * self.factor, law.var * self.factor**2

    def rows(self, root: np.random.SeedSequence, keys: list[tuple[int, ...]], lo: int,
             hi: int, pence: list[patients.Pence] | None = None) -> list[np.ndarray]:
        out = [self._rows(root, key, lo, hi) for key in keys]
        if pence is None:
            return out
        return [money.apply(values).astype(np.int64) for values, money in
                zip(out, pence, strict=True)]

    def _rows(self, root: np.random.SeedSequence, key: tuple[int, ...], lo: int,
              hi: int) -> np.ndarray:
        out = np.empty((hi - lo, self.units))
        for block in range(lo // patients.BLOCK, -(-hi // patients.BLOCK)):
            start = block * patients.BLOCK
            first, last = max(lo, start), min(hi, start + patients.BLOCK)
            kind = key[1:] if self.stream is None else (self.stream,)
            seed = patients.block_seed(root, key[0], *kind, block)
            spend = patients.simulate_patients(self.counts, self.model, last - start, seed,
                                               threshold=self.threshold, part=self.part,
                                               pool_share=self.pool_share)
            spend = spend[:, first - start:].T * self.factor
            if self.group is not None:
                spend = np.stack([np.bincount(self.group, row, minlength=self.units)
                                  for row in spend])
            out[first - lo:last - lo] = spend
        return out


@attrs.frozen(eq=False)
class SpendSampler:
    """Draws years of practice spend prepared once (see :func:`spend_sampler`).

    ``effects``: the practice effects that multiply each practice's retained spend, or None
    (effects that are off draw exactly what None draws).

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> sampler = spend_sampler(example_population(), example_cost_model())
    >>> [c.retained.shape for c in sampler.chunks(5, seed=1, chunk_size=2)]
    [(2, 60), (2, 60), (1, 60)]
    """

    codes: pd.Index
    retained: Any
    excess: Any | None
    common_shock_cv: float
    method: str
    effects: PracticeEffects | None = None

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of each practice's retained spend in a year, before the common
        shock and the practice effects (chance alone)."""
        mean, var = self.retained.moments()
        return np.asarray(mean), np.asarray(var)

    def draw(self, root: np.random.SeedSequence, year: int, lo: int, hi: int) -> SpendDraws:
        """Spend of simulations ``[lo, hi)`` in simulated ``year``, the same for any split.

        The year's common shock (lognormal, mean 1, cv ``common_shock_cv``) multiplies
        every practice's spend in a simulation; with :attr:`effects`, each practice's
        retained spend is also multiplied by its effect in that simulation and year (not
        the high-cost pool's excess: the pool meets individual patients' costs above the
        threshold, which is chance, not practice style).

        Examples
        --------
        >>> from pbcmodel.datasets import example_population, example_cost_model
        >>> s = spend_sampler(example_population(), example_cost_model(), common_shock_cv=0.02)
        >>> root = np.random.SeedSequence(4)
        >>> whole, part = s.draw(root, 1, 0, 30), s.draw(root, 1, 10, 20)
        >>> bool(np.array_equal(whole.retained[10:20], part.retained))
        True
        """
        return self.draw_years(root, [year], lo, hi)[0]

    def draw_years(self, root: np.random.SeedSequence, years: list[int], lo: int, hi: int
                   ) -> list[SpendDraws]:
        """:meth:`draw` for several simulated years at once (each practice's tables are
        read once for all of them).

        Examples
        --------
        >>> from pbcmodel.datasets import example_population, example_cost_model
        >>> s = spend_sampler(example_population(), example_cost_model())
        >>> root = np.random.SeedSequence(4)
        >>> both = s.draw_years(root, [0, 1], 0, 5)
        >>> bool(np.array_equal(both[1].retained, s.draw(root, 1, 0, 5).retained))
        True
        """
        retained = self.retained.rows(root, [(y, patients.RETAINED) for y in years], lo, hi)
        excess = ([np.zeros((hi - lo, 0)) for _ in years] if self.excess is None
                  else self.excess.rows(root, [(y, patients.EXCESS) for y in years], lo, hi))
        out = []
        for (shock, scale), kept, pooled in zip(self._scales(root, years, lo, hi), retained,
                                                excess, strict=True):
            if scale is not None:
                kept *= scale
            if shock is not None:
                pooled *= shock
            out.append(SpendDraws(codes=self.codes, retained=kept, excess=pooled))
        return out

    def pence_years(self, root: np.random.SeedSequence, years: list[int], lo: int, hi: int,
                    growth: list[float]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per year, the spend of :meth:`draw_years` grown by ``growth`` in whole pence
        (int64): ``retained`` (k, practices) and ``excess`` (k, excess units), each amount
        ``rint(spend × factor × growth × 100)``, finished while each practice's draws are in
        cache. The factor is the year's shock, times (retained only) the practice's effect
        with :attr:`effects` (the pool's excess is chance, not practice style).

        Examples
        --------
        >>> from pbcmodel.datasets import example_population, example_cost_model
        >>> s = spend_sampler(example_population(), example_cost_model(), common_shock_cv=0.02)
        >>> root = np.random.SeedSequence(4)
        >>> ((kept, _),) = s.pence_years(root, [1], 0, 5, [1.03])
        >>> spend = s.draw(root, 1, 0, 5).retained
        >>> bool(np.array_equal(kept, np.rint(spend * 1.03 * 100)))
        True
        """
        scales = self._scales(root, years, lo, hi)
        kept = [patients.Pence(scale, g) for (_, scale), g in zip(scales, growth, strict=True)]
        pooled = [patients.Pence(shock, g) for (shock, _), g in zip(scales, growth, strict=True)]
        retained = self.retained.rows(root, [(y, patients.RETAINED) for y in years], lo, hi,
                                      kept)
        excess = ([np.zeros((hi - lo, 0), dtype=np.int64) for _ in years]
                  if self.excess is None else
                  self.excess.rows(root, [(y, patients.EXCESS) for y in years], lo, hi, pooled))
        return list(zip(retained, excess, strict=True))

    def _scales(self, root: np.random.SeedSequence, years: list[int], lo: int, hi: int
                ) -> list[tuple[np.ndarray | None, np.ndarray | None]]:
        """Per year, what multiplies the excess (the shock, (k, 1)) and the retained spend
        (the shock times the practices' effects, (k, practices); without effects the shock
        itself); None for nothing."""
        shocks = [self._shock(root, y, lo, hi) for y in years]
        if self.effects is None or self.effects.is_off or not years:
            return [(shock, shock) for shock in shocks]
        # the AR(1) runs from year 0: every year up to the last asked is drawn
        effects = kernel.effect_factors(self.effects, root, max(years) + 1, lo, hi, self.codes)
        return [(shock, effects[y] if shock is None else np.multiply(effects[y], shock,
                                                                      out=effects[y]))
                for y, shock in zip(years, shocks, strict=True)]

    def _shock(self, root: np.random.SeedSequence, year: int, lo: int, hi: int
               ) -> np.ndarray | None:
        """The year's common shock per simulation (k, 1), or None without one."""
        if self.common_shock_cv <= 0:
            return None
        s2 = np.log1p(self.common_shock_cv**2)
        z = special.ndtri(patients.uniforms(root, (year, patients.SHOCK), lo, hi, 1))
        return np.exp(np.sqrt(s2) * z - s2 / 2)

    def chunks(self, n: int, seed: Any, chunk_size: int | None = None
               ) -> Iterator[SpendDraws]:
        """Yield :class:`SpendDraws` of consecutive simulations; the same for any chunk size.

        Arguments are checked at the call, before the first chunk is drawn.
        """
        n = methods.count(n, "n")
        step = (methods.count(chunk_size, "chunk_size") if chunk_size is not None
                else max(1, patients.CHUNK_ELEMENTS // len(self.codes)))
        return self._chunks(n, patients.seed_sequence(seed), step)

    def _chunks(self, n: int, root: np.random.SeedSequence, step: int
                ) -> Iterator[SpendDraws]:
        for lo, hi in patients.chunks(n, step):
            draws = self.draw(root, 0, lo, hi)
            if self.excess is None:  # a column of zeros per practice, as documented
                draws = attrs.evolve(draws, excess=np.zeros_like(draws.retained))
            yield draws


def spend_sampler(pop: Population, model: CostModel, *,
                  high_cost_threshold: float | None = None, common_shock_cv: float = 0.0,
                  method: Literal["fft", "normal", "mc"] = "fft",
                  excess_by: Literal["practice", "commissioner"] = "practice",
                  practice_effects: PracticeEffects | None = None,
                  high_cost_pool_share: float = 1.0) -> SpendSampler:
    """Prepare each practice's spend once, to draw as many simulated years as needed.

    With a threshold, ``excess`` (what the high-cost pool pays) is drawn per practice, or
    with ``excess_by="commissioner"`` per commissioner (columns: commissioners in sorted
    order): for ``"fft"`` one exact distribution of each pool's total, much cheaper at
    national scale when only the pool's cost is wanted. ``"mc"`` draws retained and excess
    spend from the same simulated patients. ``high_cost_pool_share`` (default 1): the pool's
    share ``f`` of each patient's cost above the threshold; the pool's excess is then
    ``f·(X − d)⁺`` and the practice keeps ``min(X, d) + (1 − f)·(X − d)⁺``
    (:func:`~pbcmodel.risk.high_cost.apply_threshold`).

    ``practice_effects`` (optional): each practice's retained spend in a simulated year is
    multiplied by its effect (:class:`~pbcmodel.risk.effects.PracticeEffects`), drawn anew in
    every simulation and persistent from year to year; the pool's excess is not (it meets
    individual patients' costs above the threshold: chance, not practice style). None, or
    effects that are off (spread 0, no known effects), draw exactly what no effects draw.

    Raises
    ------
    ValidationError
        ``practice_effects`` is not a :class:`~pbcmodel.risk.effects.PracticeEffects`, or
        names a practice not in ``pop``; a pool share not in (0, 1], or other than 1
        without a threshold.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> s = spend_sampler(example_population(), example_cost_model(), high_cost_threshold=5e4,
    ...                   excess_by="commissioner")
    >>> [c.excess.shape for c in s.chunks(3, seed=0)]
    [(3, 1)]
    >>> from pbcmodel.risk.effects import PracticeEffects
    >>> s = spend_sampler(example_population(), example_cost_model(),
    ...                   practice_effects=PracticeEffects(sd=0.1, persistence=1.0))
    >>> a, b = s.draw_years(np.random.SeedSequence(0), [0, 1], 0, 2000)
    >>> # persistence 1: a practice above expectation one year tends to be so the next
    >>> bool(np.corrcoef(a.retained[:, 0], b.retained[:, 0])[0, 1] > 0.5)
    True
    """
    shock_cv = check_fraction(common_shock_cv, "common_shock_cv", high=MAX_COMMON_SHOCK_CV)
    chosen = methods.method(method)
    d, part, share = methods.check_inputs(pop, model, high_cost_threshold, "retained",
                                          high_cost_pool_share)
    if excess_by not in ("practice", "commissioner"):
        raise ValidationError(
            f"excess_by: must be 'practice' or 'commissioner', got {excess_by!r}")
    effects = _practice_effects(practice_effects, pop)
    counts = pop.counts.to_numpy()
    factor = pop.cost_factor()
    if chosen.by_patient:
        group = (None if excess_by == "practice"
                 else pd.factorize(pop.hierarchy[excess_by], sort=True)[0])
        return SpendSampler(
            codes=pop.codes, method=method, common_shock_cv=shock_cv, effects=effects,
            retained=_ByPatient(counts, model, d, part, factor, pool_share=share),
            excess=None if d is None else _ByPatient(counts, model, d, "excess", factor, group,
                                                     stream=patients.RETAINED,
                                                     pool_share=share))
    excess = None
    if d is not None:
        pool_counts = counts if excess_by == "practice" else pop.counts_by(excess_by).to_numpy()
        excess_law = chosen.law(pool_counts, model, d, "excess", pool_share=share)
        if pop.cost_index is not None:
            excess_law = excess_law.scaled(factor if excess_by == "practice"
                                           else unit_cost_factor(pop, excess_by))
        excess = _ByInversion(drawable(excess_law))
    retained = chosen.law(counts, model, d, part, pool_share=share)
    if pop.cost_index is not None:
        retained = retained.scaled(factor)
    return SpendSampler(codes=pop.codes, retained=_ByInversion(drawable(retained)),
                        excess=excess, common_shock_cv=shock_cv, method=method,
                        effects=effects)


def _practice_effects(value: Any, pop: Population) -> PracticeEffects | None:
    """``practice_effects`` checked: a PracticeEffects whose known effects are all of
    ``pop``'s practices, or None."""
    if value is None:
        return None
    if not isinstance(value, PracticeEffects):
        raise ValidationError("practice_effects: expected a PracticeEffects or None, got "
                              f"{type(value).__name__}")
    value.first_year(pop.codes)                    # every practice named is in pop
    return value


def iter_spend(pop: Population, model: CostModel, n: int, seed: Any, *,
               high_cost_threshold: float | None = None, common_shock_cv: float = 0.0,
               chunk_size: int | None = None,
               method: Literal["fft", "normal", "mc"] = "fft",
               practice_effects: PracticeEffects | None = None,
               high_cost_pool_share: float = 1.0) -> Iterator[SpendDraws]:
    """Yield :class:`SpendDraws` chunks for :func:`simulate_spend` (same draws, bounded memory).

    Arguments are checked at the call, before the first chunk is drawn.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population, example_cost_model
    >>> chunks = iter_spend(example_population(), example_cost_model(), 5, seed=1, chunk_size=2)
    >>> [c.retained.shape for c in chunks]
    [(2, 60), (2, 60), (1, 60)]
    """
    n = methods.count(n, "n")
    if chunk_size is not None:
        methods.count(chunk_size, "chunk_size")
    patients.seed_sequence(seed)
    sampler = spend_sampler(pop, model, high_cost_threshold=high_cost_threshold,
                            common_shock_cv=common_shock_cv, method=method,
                            practice_effects=practice_effects,
                            high_cost_pool_share=high_cost_pool_share)
    return sampler.chunks(n, seed, chunk_size)


def simulate_spend(pop: Population, model: CostModel, n: int, seed: Any, *,
                   high_cost_threshold: float | None = None, common_shock_cv: float = 0.0,
                   chunk_size: int | None = None,
                   method: Literal["fft", "normal", "mc"] = "fft",
                   practice_effects: PracticeEffects | None = None,
                   high_cost_pool_share: float = 1.0) -> SpendDraws:
    """Draw ``n`` years of spend for every practice, fast enough for national simulation.

    Each practice's retained spend is drawn from its FFT distribution by inverting the cdf
    at uniforms (exact for the discretised distribution; no patient-level draws), from
    streams keyed by blocks of simulations under ``SeedSequence(seed)``, so the result does
    not depend on ``chunk_size``. With a threshold the pool's excess per practice is drawn
    the same way from its own distribution, independently of the retained part: an
    approximation (a patient above the threshold raises both), which leaves each marginal
    exact. A common multiplicative shock, lognormal with mean 1 and cv ``common_shock_cv``
    (a shared cost trend), multiplies every practice's spend in a simulated year. With
    ``practice_effects`` each practice's retained spend is also multiplied by its effect
    (:func:`spend_sampler`); the draws are those of the first simulated year. With
    ``high_cost_pool_share`` below 1 the pool meets only that share of each patient's cost
    above the threshold (:func:`spend_sampler`).

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
                            common_shock_cv=common_shock_cv, chunk_size=chunk_size, method=method,
                            practice_effects=practice_effects,
                            high_cost_pool_share=high_cost_pool_share))
    return SpendDraws(codes=pop.codes, retained=np.vstack([p.retained for p in parts]),
                      excess=np.vstack([p.excess for p in parts]))
