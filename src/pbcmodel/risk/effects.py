"""Practice effects: what the capitation formula does not see in a practice's spend.

A practice's spend in a simulated year is its expected spend (what the formula and the cost
model predict) times three things: the year's **common shock** (a bad winter for everyone),
its **practice effect** (case mix beyond age and sex, local practice style, supply) and
**chance** (which of its patients fall ill). This module is the practice effect: a
multiplicative factor per practice, simulation and year, lognormal, persistent from year to
year as an AR(1) in the log (the simple, standard form):

* ``u₀ = centre + uncertainty · z₀`` in the first simulated year (``centre = 0`` and
  ``uncertainty = sd`` when nothing is known of the practice: the modeller does not know a
  practice's effect, so it is drawn afresh in each simulation);
* ``u_t = persistence · u_{t−1} + √(1 − persistence²) · sd · z_t`` in later years;
* the factor is ``exp(u_t − V_t / 2)`` with ``V_t = Var(u_t) = persistence^{2t} ·
  uncertainty² + (1 − persistence^{2t}) · sd²``, so its mean is ``exp(persistence^t ·
  centre)``: exactly 1 for an unknown practice, and a known practice's effect fades towards
  1 at the rate of its persistence.

The ``z`` are standard normal, drawn by inversion from streams keyed by (year, effect,
block of simulations) under the simulation's root :class:`~numpy.random.SeedSequence`
(:func:`~pbcmodel.risk.patients.uniforms`), so a simulation's effects are the same however
the simulations are split into chunks, threads or workers.

Examples
--------
>>> import numpy as np
>>> eff = PracticeEffects(sd=0.1, persistence=0.8)
>>> root = np.random.SeedSequence(1)
>>> f = eff.factors(root, 3, 0, 4000, 5)
>>> len(f), f[0].shape
(3, (4000, 5))
>>> bool(abs(f[2].mean() - 1) < 0.01)
True
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pandas as pd
from scipy import special

from ..errors import ValidationError
from ..validation import number
from . import patients

__all__ = ["MAX_EFFECT_SD", "PracticeEffects"]

#: Largest spread of practice effects (sd of the log effect): 1 puts one practice in six
#: beyond 2.7 times or below 0.37 times its expected spend every year, far beyond the
#: published 10% for a third of practices (Dixon et al. 2011); beyond it the effects, not
#: the policy, decide every figure (and large spreads overflow money in pence).
MAX_EFFECT_SD = 1.0


def _spread(value: Any, name: str) -> float:
    out = number(value, name)
    if not 0.0 <= out <= MAX_EFFECT_SD:
        raise ValidationError(f"{name}: the spread of practice effects (sd of the log "
                              f"effect) must be between 0 and {MAX_EFFECT_SD:g}, got {value!r}")
    return out


def _persistence(value: Any) -> float:
    out = number(value, "persistence")
    if not 0.0 <= out <= 1.0:
        raise ValidationError("persistence: the year-to-year correlation of practice effects "
                              f"must be between 0 and 1, got {value!r}")
    return out


def _per_practice(value: Any, name: str, low: float, high: float) -> pd.Series | None:
    """Converter: a Series of floats by practice code (text, trimmed, upper case), checked."""
    if value is None:
        return None
    if isinstance(value, pd.Series):
        series = value
    elif isinstance(value, dict):
        series = pd.Series(value, dtype=object)
    else:
        raise ValidationError(f"{name}: expected a pandas Series or a mapping of practice code "
                              f"to number, got {type(value).__name__}")
    codes = series.index.astype(str).str.strip().str.upper()
    if codes.duplicated().any():
        raise ValidationError(f"{name}: practice code {codes[codes.duplicated()][0]!r} is "
                              "listed twice")
    values = np.array([number(v, f"{name}[{c!r}]") for c, v in zip(codes, series, strict=True)],
                      dtype=float)
    bad = ~((values >= low) & (values <= high))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValidationError(f"{name}[{codes[i]!r}]: must be between {low:g} and {high:g}, "
                              f"got {series.iloc[i]!r}")
    out = pd.Series(values, index=pd.Index(codes, name="practice"), name=name)
    return out


def _series_eq(a: pd.Series | None, b: pd.Series | None) -> bool:
    return (a is None) == (b is None) and (a is None or b is None or a.equals(b))


@attrs.frozen
class PracticeEffects:
    """Persistent practice effects on expected spend, drawn in every simulation.

    Parameters
    ----------
    sd : float
        Spread of the effects: the standard deviation of a practice's log effect in a year,
        0 to :data:`MAX_EFFECT_SD` (0.10 is about ±10%).
    persistence : float
        Correlation of a practice's log effect from one year to the next, 0 (a fresh effect
        each year) to 1 (the same effect every year).
    centre : Series, optional
        Per practice code, the log effect in the first simulated year as far as it is
        known (e.g. from history, :meth:`from_history`); practices not listed: 0.
    uncertainty : Series, optional
        Per practice code, the standard deviation of that first-year log effect (what the
        history leaves unknown), 0 to :data:`MAX_EFFECT_SD`; practices not listed: ``sd``.

    Examples
    --------
    >>> PracticeEffects(sd=0.1, persistence=0.8)
    PracticeEffects(sd=0.1, persistence=0.8, centre=None, uncertainty=None)
    >>> PracticeEffects(sd=0.1, persistence=1.5)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: persistence: the year-to-year correlation of practice \
effects must be between 0 and 1, got 1.5
    """

    sd: float = attrs.field(converter=lambda v: _spread(v, "sd"))
    persistence: float = attrs.field(converter=_persistence)
    centre: pd.Series | None = attrs.field(
        default=None, converter=lambda v: _per_practice(v, "centre", -5.0, 5.0),
        eq=attrs.cmp_using(eq=_series_eq))
    uncertainty: pd.Series | None = attrs.field(
        default=None, converter=lambda v: _per_practice(v, "uncertainty", 0.0, MAX_EFFECT_SD),
        eq=attrs.cmp_using(eq=_series_eq))

    @classmethod
    def dixon_2011(cls) -> PracticeEffects:
        """Effects calibrated to Dixon et al. (BMJ 2011;343:d6608): sd 0.10, persistence 0.8.

        **Spread (published).** With the best person-based formula, "the predicted costs of
        about a third of practices would exceed or undershoot the actual costs by 10% or
        more" (Dixon J, Smith P, Gravelle H et al., *A person based formula for allocating
        commissioning funds to general practices in England*, BMJ 2011;343:d6608). That share
        includes chance. At a typical list (a chance cv of 2-3% of expected spend, as the
        example and England cost models give at 7,000-10,000 patients) an effect with sd
        0.10 of the log puts a third of practices beyond ±10%: solving
        ``P(|exp(σZ₁ − σ²/2)(1 + cZ₂) − 1| ≥ 0.10) = 1/3`` gives ``σ = 0.104`` at ``c = 0``,
        ``0.102`` at ``c = 0.021`` and ``0.099`` at ``c = 0.03``.

        **Persistence (an assumption).** No published source gives the year-to-year
        correlation of what a capitation formula misses in practices' spend; 0.8 is an
        assumption. Practice-level differences in NHS payments per weighted patient are
        highly persistent (see the payments notebook), and the user guide's page "Is the
        simulated risk realistic?" shows how results move with persistence.

        Examples
        --------
        >>> PracticeEffects.dixon_2011()
        PracticeEffects(sd=0.1, persistence=0.8, centre=None, uncertainty=None)
        """
        return cls(sd=0.10, persistence=0.8)

    def evolve(self, **changes: Any) -> PracticeEffects:
        """A copy with ``changes`` (checked as at construction).

        Examples
        --------
        >>> PracticeEffects(sd=0.1, persistence=0.8).evolve(persistence=0.5).persistence
        0.5
        """
        return attrs.evolve(self, **changes)

    @property
    def is_off(self) -> bool:
        """Whether the effects change nothing: spread 0 and no practice's effect known.

        Examples
        --------
        >>> PracticeEffects(sd=0.0, persistence=0.5).is_off
        True
        """
        return self.sd == 0 and self.centre is None and self.uncertainty is None

    def first_year(self, codes: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        """The first simulated year's log-effect mean and sd per practice of ``codes``.

        Raises
        ------
        ValidationError
            ``centre`` or ``uncertainty`` names a practice not in ``codes``.

        Examples
        --------
        >>> eff = PracticeEffects(0.1, 0.8, centre={"A": 0.05})
        >>> [a.tolist() for a in eff.first_year(pd.Index(["A", "B"]))]
        [[0.05, 0.0], [0.1, 0.1]]
        """
        out = []
        for name, default in (("centre", 0.0), ("uncertainty", self.sd)):
            given = getattr(self, name)
            if given is None:
                out.append(np.full(len(codes), default))
                continue
            unknown = given.index.difference(codes)
            if len(unknown):
                raise ValidationError(
                    f"practice_effects.{name}: practice code(s) "
                    f"{', '.join(map(repr, unknown[:5]))} not in the population "
                    f"({len(unknown)} unknown); give the effects of the population's practices")
            out.append(given.reindex(codes).fillna(default).to_numpy())
        return out[0], out[1]

    def log_variance(self, year: int, uncertainty: np.ndarray) -> np.ndarray:
        """``V_t``, the variance of each practice's log effect in simulated ``year``.

        Examples
        --------
        >>> PracticeEffects(0.1, 0.5).log_variance(1, np.array([0.0, 0.1])).round(6).tolist()
        [0.0075, 0.01]
        """
        decay = self.persistence ** (2 * year)
        return decay * uncertainty**2 + (1 - decay) * self.sd**2

    def log_effects(self, root: np.random.SeedSequence, years: int, lo: int, hi: int,
                    codes: pd.Index | int) -> list[np.ndarray]:
        """Log effects ``u_t`` of simulations ``[lo, hi)`` in years ``0 … years − 1``.

        ``codes``: the population's practice codes (or, without known effects, a number of
        practices). Each array is (hi − lo, practices); row ``s`` is the same for any split.

        Examples
        --------
        >>> eff = PracticeEffects(sd=0.2, persistence=1.0)
        >>> a, b = eff.log_effects(np.random.SeedSequence(3), 2, 0, 10, 4)
        >>> bool(np.array_equal(a, b))        # persistence 1: the same effect every year
        True
        """
        index = pd.RangeIndex(codes) if isinstance(codes, int) else codes
        centre, uncertainty = self.first_year(index)
        width = len(index)
        rho = self.persistence
        fresh = math.sqrt(max(0.0, 1.0 - rho * rho)) * self.sd
        out: list[np.ndarray] = []
        for year in range(years):
            z = special.ndtri(patients.uniforms(root, (year, patients.EFFECT), lo, hi, width))
            if year == 0:
                u = z * uncertainty + centre
            else:
                u = rho * out[-1] + fresh * z
            out.append(u)
        return out

    def factors(self, root: np.random.SeedSequence, years: int, lo: int, hi: int,
                codes: pd.Index | int) -> list[np.ndarray]:
        """Multiplicative effects ``exp(u_t − V_t / 2)`` of simulations ``[lo, hi)``, one
        (hi − lo, practices) array per year (see the module).

        Examples
        --------
        >>> eff = PracticeEffects(sd=0.1, persistence=0.8)
        >>> f = eff.factors(np.random.SeedSequence(2), 1, 0, 20_000, 3)[0]
        >>> bool(abs(f.mean() - 1) < 0.005), bool(abs(np.log(f).std() - 0.1) < 0.005)
        (True, True)
        """
        index = pd.RangeIndex(codes) if isinstance(codes, int) else codes
        _, uncertainty = self.first_year(index)
        out = []
        for year, u in enumerate(self.log_effects(root, years, lo, hi, index)):
            u -= self.log_variance(year, uncertainty) / 2
            out.append(np.exp(u, out=u))
        return out
