"""Multi-year simulation of a scenario: outturns drawn from the risk engine, settled year by year.

Each simulated year draws every practice's outturn (its spend, capped per patient at the
high-cost threshold when there is one, times a common cost shock shared by all practices),
settles it with the scenario's rules, and carries the state forward: liabilities recovered
from later budgets, budgets moving under pace of change as the resource grows.

Randomness: one :class:`numpy.random.SeedSequence` per ``seed``, spawned once per year; the
risk engine draws each practice's stream from it, so a result does not depend on
``chunk_size`` (settlement works on chunks of simulations and is exact per element).

Examples
--------
>>> import pbcmodel as pbc
>>> scn = pbc.Scenario.example()
>>> res = scn.simulate(n=500, years=2, seed=1)
>>> res.metrics().columns[:3].tolist()
['consortium', 'list_size', 'budget']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .. import risk
from .._html import summary_html
from .._validate import _labels, align_condition, check_fraction, whole_number
from ..errors import ValidationError
from ..risk import SpendDraws, patients
from ..settlement.core import settle_arrays
from ..sharing import resolve_conditions
from ._progress import progress_bar

__all__ = ["METHODS", "SimulationResult", "draw_outturns", "simulate"]

#: Ways of drawing outturns (see :func:`draw_outturns`).
METHODS = ("fft", "normal", "mc")


def _check_counts(n: Any, years: Any, *, name: str = "n") -> tuple[int, int]:
    for label, value in ((name, n), ("years", years)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValidationError(f"{label}: must be a positive whole number, got {value!r}")
    return int(n), int(years)


def _check_seed(seed: Any) -> None:
    """A seed is None, a whole number >= 0 or a SeedSequence; anything else is named."""
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return
    whole_number(seed, "seed", minimum=0)


def _year_budgets(scn: Any, years: int) -> np.ndarray:
    """Budget totals (pounds) per year × practice; budgets do not depend on outturn."""
    out = np.empty((years, scn.population.n_practices))
    historic = scn.historic
    for y in range(years):
        resource = scn.resource * (1 + scn.resource_growth) ** y
        total = scn.formula.budgets(scn.population, resource, historic)["total"]
        out[y] = total.to_numpy()
        historic = total
    return out


def draw_outturns(scn: Any, n: int, years: int, seed: int | None, *,
                  method: str = "fft", chunk_size: int | None = None
                  ) -> Iterator[Iterator[SpendDraws]]:
    """For each year, an iterator of chunks of simulated spend (:class:`~pbcmodel.risk.SpendDraws`).

    Each chunk holds consecutive simulations: ``retained`` is the practices' outturn (spend
    capped per patient at ``scn.high_cost_threshold``), ``excess`` what the high-cost pool
    pays (per commissioner for ``"fft"``/``"normal"``, per practice for ``"mc"``). Both include
    the year's common shock (``scn.common_shock_cv``) and cost growth.

    Methods: ``"fft"`` draws each practice's annual spend from its exact (discretised, FFT)
    distribution by inverting the cdf — fast at national scale, the distributions being built
    once for all years; ``"normal"`` from the normal approximation; ``"mc"`` simulates
    patient by patient (exact, but costs about list size × ``n`` draws per practice: use it to
    cross-check, not at scale).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> [sum(len(c.retained) for c in year) for year in draw_outturns(scn, 10, 2, seed=3)]
    [10, 10]
    """
    if scn.cost_model is None:
        raise ValidationError("cost_model: the scenario has none; add cost_model=... "
                              "(e.g. pbc.datasets.example_cost_model()) to simulate")
    if method not in METHODS:
        raise ValidationError(f"method: must be one of {METHODS}, got {method!r}")
    n, years = _check_counts(n, years)
    if chunk_size is not None:
        _check_counts(chunk_size, 1, name="chunk_size")
    sampler = None
    if method != "mc":  # built now, once: its work space is freed before results are stored
        sampler = risk.spend_sampler(scn.population, scn.cost_model,
                                     high_cost_threshold=scn.high_cost_threshold,
                                     common_shock_cv=scn.common_shock_cv,
                                     method="normal" if method == "normal" else "fft",
                                     excess_by="commissioner")
    return _years(scn, sampler, n, years, seed, chunk_size)


def _years(scn: Any, sampler: risk.SpendSampler | None, n: int, years: int,
           seed: int | None, chunk_size: int | None) -> Iterator[Iterator[SpendDraws]]:
    for y, year_seed in enumerate(np.random.SeedSequence(seed).spawn(years)):
        draws = (sampler.chunks(n, year_seed, chunk_size) if sampler is not None
                 else _patient_draws(scn, n, year_seed, chunk_size))
        yield _grown(draws, (1 + scn.cost_growth) ** y)


def _patient_draws(scn: Any, n: int, seed: np.random.SeedSequence,
                   chunk_size: int | None) -> Iterator[SpendDraws]:
    pop, model, threshold = scn.population, scn.cost_model, scn.high_cost_threshold
    spend_seed, shock_seed = seed.spawn(2)
    counts, factor = pop.counts.to_numpy(), pop.cost_factor()
    retained = patients.simulate_patients(counts, model, n, spend_seed, threshold=threshold,
                                          part="retained", chunk_size=chunk_size).T * factor
    excess = (patients.simulate_patients(counts, model, n, spend_seed, threshold=threshold,
                                         part="excess", chunk_size=chunk_size).T * factor
              if threshold is not None else None)
    return risk.shocked(pop.codes, iter([retained]), None if excess is None else iter([excess]),
                        np.random.default_rng(shock_seed), scn.common_shock_cv)


def _grown(chunks: Iterator[SpendDraws], factor: float) -> Iterator[SpendDraws]:
    for chunk in chunks:
        yield (chunk if factor == 1 else
               SpendDraws(codes=chunk.codes, retained=chunk.retained * factor,
                          excess=chunk.excess * factor))


def _conditions(scn: Any) -> dict[str, Any]:
    index = scn.population.codes
    return {key: align_condition(value, index, key) if isinstance(value, pd.Series) else value
            for key, value in scn.conditions.items()}


def simulate(scn: Any, n: int = 10_000, years: int = 1, seed: int | None = 0, *,
             method: str = "fft", chunk_size: int | None = None,
             progress: bool = False) -> SimulationResult:
    """Simulate ``years`` settled years, ``n`` times, for every practice.

    Parameters
    ----------
    scn : Scenario
        Needs a ``cost_model``.
    n, years : int
        Simulations and years (> 0).
    seed : int or None
        Seed of the :class:`numpy.random.SeedSequence`; the same seed gives the same result
        whatever ``chunk_size``.
    method : {"fft", "normal", "mc"}
        How practice spend is drawn (see :func:`draw_outturns`): ``"fft"`` (default) from
        each practice's exact distribution; ``"mc"`` patient by patient (slow).
    chunk_size : int, optional
        Simulations drawn and settled at once (default: the risk engine's, which bounds
        memory); results do not depend on it.
    progress : bool
        Show a tqdm progress bar (needs ``pbcmodel[progress]``).

    Returns
    -------
    SimulationResult
    """

    n, years = _check_counts(n, years)
    pop = scn.population
    _check_seed(seed)
    p = pop.n_practices
    budgets = _year_budgets(scn, years)
    budget_pence = np.rint(budgets * 100).astype(np.int64)
    consortium_codes = pd.factorize(pop.hierarchy["consortium"])[0]
    list_size = pop.list_size.to_numpy()
    conditions = _conditions(scn)
    outturns = draw_outturns(scn, n, years, seed, method=method, chunk_size=chunk_size)
    shape = (n, p, years)
    practice_amount = np.empty(shape, dtype=np.float32)
    net = np.empty(shape, dtype=np.float32)
    commissioner = np.empty((n, years), dtype=np.int64)
    carried = np.empty((n, years), dtype=np.int64)
    pool = np.empty((n, years), dtype=np.int64)
    carry = None
    bar = progress_bar(progress, total=years * n, desc="simulating", unit="simulation")
    for y, year in enumerate(outturns):
        start = 0
        next_carry = None  # (n, P, years ahead) pence, allocated once a liability is carried
        for draws in year:
            rows = slice(start, start + len(draws.retained))
            start = rows.stop
            outturn_pence = np.rint(draws.retained * 100).astype(np.int64)
            conds = resolve_conditions(conditions, budget_pence[y], outturn_pence)
            arrays = settle_arrays(
                budget_pence[y], outturn_pence, savings=scn.savings,
                overspend=scn.overspend, incentives=scn.incentives,
                consortium_codes=consortium_codes, list_size=list_size,
                conditions=conds or None,
                carry_forward_pence=None if carry is None else carry[rows])
            practice_amount[rows, :, y] = arrays.practice_amount / 100
            net[rows, :, y] = arrays.net_to_practice / 100
            commissioner[rows, y] = arrays.commissioner_amount.sum(axis=1)
            carried[rows, y] = arrays.liability_carried.sum(axis=1)
            pool[rows, y] = np.rint(draws.excess * 100).astype(np.int64).sum(axis=1)
            next_carry = _store_carry(next_carry, arrays.recovery_next, rows, n)
            bar.update(rows.stop - rows.start)
        carry = next_carry
    bar.close()
    return SimulationResult(
        scenario=scn, seed=seed, method=method,
        practices=pop.codes, consortium=pop.hierarchy["consortium"],
        list_size=pop.list_size, budget=budgets,
        practice_amount=practice_amount, net=net, commissioner_pence=commissioner,
        carried_pence=carried, pool_pence=pool)


def _store_carry(store: np.ndarray | None, recovery: np.ndarray, rows: slice, n: int
                 ) -> np.ndarray | None:
    """Keep a chunk's carried liabilities, in int32 pence while they fit (half the memory)."""
    if store is None:
        if not recovery.any():
            return None
        store = np.zeros((n, *recovery.shape[1:]), dtype=np.int32)
    if store.dtype == np.int32 and np.abs(recovery).max(initial=0) > np.iinfo(np.int32).max:
        store = store.astype(np.int64)
    store[rows] = recovery
    return store


#: Practice-simulation-years summarised at once by :meth:`SimulationResult.metrics`.
_METRICS_BLOCK = 8_000_000


def _by_practice(values: np.ndarray) -> np.ndarray:
    """(simulations, practices, years) → float64 (practices, simulations × years)."""
    return values.transpose(1, 0, 2).reshape(values.shape[1], -1).astype(float)


@attrs.frozen(eq=False, repr=False)
class SimulationResult:
    """Outcomes of :func:`simulate`: practice × simulation × year.

    Per practice, simulation and year (float32 pounds, to keep national runs in memory; a
    single year's exact pence are in :class:`~pbcmodel.settlement.Settlement`):
    ``practice_amount`` (+ freed-up, − liability) and ``net`` (cash to the practice:
    freed-up and incentives paid, less recovery). Per simulation and year (exact pence):
    ``commissioner_pence`` (what the commissioner keeps of the variance, summed over
    practices), ``carried_pence`` (liabilities still to recover) and ``pool_pence`` (cost
    above the high-cost threshold, met from the commissioner's pool).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example(savings=None, conditions={})
    >>> res = scn.simulate(n=300, seed=2)
    >>> bool((res.practice_amount <= 0).all())      # no savings schedule: nothing paid out
    True
    """

    scenario: Any
    seed: int | None
    method: str
    practices: pd.Index
    consortium: pd.Series
    list_size: pd.Series
    budget: np.ndarray
    practice_amount: np.ndarray
    net: np.ndarray
    commissioner_pence: np.ndarray
    carried_pence: np.ndarray
    pool_pence: np.ndarray

    @property
    def n(self) -> int:
        """Number of simulations."""
        return self.practice_amount.shape[0]

    @property
    def years(self) -> int:
        """Number of simulated years."""
        return self.practice_amount.shape[2]

    def to_xarray(self) -> Any:
        """The per-practice arrays as an :class:`xarray.Dataset` (needs xarray)."""
        import xarray as xr

        dims = ("simulation", "practice", "year")
        coords = {"practice": self.practices.to_numpy(), "year": np.arange(1, self.years + 1),
                  "consortium": ("practice", self.consortium.to_numpy()),
                  "list_size": ("practice", self.list_size.to_numpy())}
        return xr.Dataset({"practice_amount": (dims, self.practice_amount),
                           "net": (dims, self.net),
                           "budget": (("year", "practice"), self.budget)}, coords=coords)

    def metrics(self, *, loss_pounds: float = 10_000.0, loss_fraction: float = 0.02
                ) -> pd.DataFrame:
        """Per practice, over all simulated years together.

        Columns: consortium, list_size, budget (first year), expected_net (mean cash to the
        practice per year), net_sd, p05/p95 of the yearly practice amount, expected_freed_up,
        prob_loss_over_pounds (P(practice amount < −loss_pounds) in a year),
        prob_loss_over_fraction (P(practice amount < −loss_fraction × budget)).

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario.example(savings=None, conditions={})
        >>> m = scn.simulate(n=200, seed=2).metrics()
        >>> bool(m["prob_loss_over_pounds"].between(0, 1).all())
        True
        """
        check_fraction(loss_fraction, "loss_fraction")
        columns = ("expected_net", "net_sd", "p05_amount", "p95_amount", "expected_freed_up",
                   "prob_loss_over_pounds", "prob_loss_over_fraction")
        stats = {c: np.empty(len(self.practices)) for c in columns}
        block = max(1, _METRICS_BLOCK // (self.n * self.years))
        for lo in range(0, len(self.practices), block):  # blocks bound the float64 copies
            cols = slice(lo, lo + block)
            amount = _by_practice(self.practice_amount[:, cols])
            net = _by_practice(self.net[:, cols])
            budget = np.tile(self.budget[:, cols].T, (1, self.n))
            stats["expected_net"][cols] = net.mean(axis=1)
            stats["net_sd"][cols] = net.std(axis=1)
            stats["p05_amount"][cols], stats["p95_amount"][cols] = np.quantile(
                amount, [0.05, 0.95], axis=1)
            stats["expected_freed_up"][cols] = np.maximum(amount, 0).mean(axis=1)
            stats["prob_loss_over_pounds"][cols] = (amount < -loss_pounds).mean(axis=1)
            stats["prob_loss_over_fraction"][cols] = (amount < -loss_fraction * budget
                                                      ).mean(axis=1)
        return pd.DataFrame({"consortium": self.consortium.to_numpy(),
                             "list_size": self.list_size.to_numpy(),
                             "budget": self.budget[0], **stats}, index=self.practices)

    def commissioner_risk(self, level: float = 0.95) -> pd.Series:
        """The commissioner's residual risk: what it keeps of the practices' variance.

        Negative values are losses. Returns the mean, the value at risk (the loss exceeded
        with probability ``1 − level``) and the tail value at risk (mean loss beyond it) of
        the commissioner's total over all years, in pounds.
        """
        check_fraction(level, "level", high_open=True)
        kept = self.commissioner_pence.sum(axis=1) / 100
        loss = -kept
        var = float(np.quantile(loss, level))
        tail = loss[loss >= var]
        return pd.Series({"mean_kept": kept.mean(), "var": var, "tvar": tail.mean(),
                          "prob_loss": (loss > 0).mean(), "level": level})

    def by_list_size(self, bands: tuple[float, ...] = (0, 3000, 6000, 10000, 20000, np.inf)
                     ) -> pd.DataFrame:
        """Spread of outcomes by list-size band: is the policy fair to small practices?

        Per band: practices, mean and standard deviation of the yearly practice amount
        per registered patient, and the mean probability of a loss over 2% of budget.
        """
        m = self.metrics()
        sizes = self.list_size.to_numpy(dtype=np.float32)
        band = pd.cut(m["list_size"], bands, right=False)
        if band.isna().any():
            raise ValidationError(f"bands: list sizes outside the bands for practice(s) "
                                  f"{_labels(m.index[band.isna()])}")
        rows = {}
        for label, members in m.groupby(band, observed=True).groups.items():
            idx = m.index.get_indexer(members)
            per_head = self.practice_amount[:, idx] / sizes[idx][None, :, None]
            rows[str(label)] = {
                "practices": len(idx),
                "mean_amount_per_head": per_head.mean(dtype=float),
                "sd_amount_per_head": per_head.std(dtype=float),
                "prob_loss_over_2pct": m["prob_loss_over_fraction"].iloc[idx].mean(),
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("list_size")

    def summary(self) -> pd.Series:
        """Headline figures for the whole commissioner (pounds per year unless stated)."""
        m = self.metrics()
        risk = self.commissioner_risk()
        return pd.Series({
            "simulations": self.n,
            "years": self.years,
            "total_budget_year1": float(self.budget[0].sum()),
            "expected_practice_amount": float(self.practice_amount.sum(axis=1,
                                                                       dtype=float).mean()),
            "expected_net_to_practices": float(m["expected_net"].sum()),
            "expected_freed_up": float(m["expected_freed_up"].sum()),
            "practices_prob_loss_over_2pct": float(m["prob_loss_over_fraction"].mean()),
            "commissioner_mean_kept_all_years": float(risk["mean_kept"]),
            "commissioner_var95_all_years": float(risk["var"]),
            "commissioner_tvar95_all_years": float(risk["tvar"]),
        }, name=self.scenario.name)

    def plot(self, kind: str = "list_size", ax: Any = None) -> Any:
        """A figure of the result (see :mod:`pbcmodel.plot.simulation`)."""
        from ..plot import simulation as simplot

        return simplot.plot_result(self, kind=kind, ax=ax)

    def __repr__(self) -> str:
        return (f"SimulationResult({self.scenario.name!r}: {self.n:,} simulations × "
                f"{len(self.practices)} practices × {self.years} year(s), seed={self.seed})")

    def _repr_html_(self) -> str:
        table = self.summary().to_frame("value")
        return summary_html(repr(self), table, ["pounds; commissioner figures over all years"])
