"""The outcome of a simulation: :class:`SimulationResult`.

:func:`~pbcmodel.scenario.simulation.simulate` (and :func:`~pbcmodel.scenario.simulation.run`)
build a result from the streamed statistics (:mod:`pbcmodel.scenario.tally`) of its
simulations; the result reads them as tables. Its per-practice table (:meth:`metrics`),
list-size bands (:meth:`by_list_size`), how often outturns miss budgets
(:meth:`outturn_misses`) and the commissioner's residual risk (:meth:`commissioner_risk`)
are its own statistics; every figure of :meth:`summary` is defined
once, with its unit, sign and label, in :mod:`pbcmodel.scenario.metrics`.

Examples
--------
>>> import pbcmodel as pbc
>>> res = pbc.Scenario.example().simulate(n=200, years=2, seed=1)
>>> res.summary().index[:3].tolist()
['simulations', 'years', 'total_budget_year1']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from ..errors import ValidationError, require
from ..glossary import term
from ..html_tables import summary_html
from ..labelled import labelled
from ..validation import check_fraction, finite_scalar, quoted
from . import store
from .metrics import LIST_SIZE_BANDS, SUMMARY, figures
from .options import Seed
from .plan import SimulatedScenario
from .tally import Tally
from .thresholds import miss_margin

__all__ = ["XARRAY_SIGN", "XARRAY_TERMS", "SimulationResult"]

#: Each variable and coordinate of :meth:`SimulationResult.to_xarray` → (its term in
#: :mod:`pbcmodel.glossary`, its ``units``).
XARRAY_TERMS: dict[str, tuple[str, str]] = {
    "practice_amount": ("practice_amount", "pounds"), "net": ("net_to_practice", "pounds"),
    "outturn": ("outturn", "pounds"), "budget": ("budget", "pounds"),
    "list_size": ("list_size", "patients"), "consortium": ("consortium", "code"),
    "practice": ("practice", "code"),
}
#: The sign convention of :meth:`SimulationResult.to_xarray`'s amounts, as ARCHITECTURE.md
#: states it.
XARRAY_SIGN = ("practice_amount and net: + kept by or paid to the practice, − borne by it; "
               "variance = budget − outturn: + underspend, − overspend")


@attrs.frozen(eq=False, repr=False)
class SimulationResult:
    """Outcomes of :func:`~pbcmodel.scenario.simulation.simulate`.

    Always (exact integer pence, per simulation and year): ``commissioner_pence`` (what
    the commissioner keeps of the variance, summed over practices), ``carried_pence``
    (liabilities still to recover) and ``pool_pence`` (cost above the high-cost threshold,
    met from the commissioner's pool); per practice, the streamed statistics behind
    :meth:`metrics`, :meth:`summary` and :meth:`by_list_size`; :attr:`amount_sample` and
    :attr:`net_sample`, the first 256 simulations' amounts and net cash (for figures).
    With ``keep="full"`` also :attr:`practice_amount_pence`, :attr:`net_pence` and
    :attr:`outturn_pence` (simulation × practice × year).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example(savings=None, conditions={})
    >>> res = scn.simulate(n=300, seed=2, keep="full")
    >>> bool((res.practice_amount_pence <= 0).all())   # no savings schedule: nothing paid
    True
    """

    scenario: SimulatedScenario
    seed: Seed
    method: str
    practices: pd.Index
    consortium: pd.Series
    list_size: pd.Series
    budget: np.ndarray
    tally: Tally
    store: Path | None = None
    _cache: dict[Any, Any] = attrs.field(factory=dict, init=False)

    @property
    def n(self) -> int:
        """Number of simulations."""
        return self.tally.hi - self.tally.lo

    @property
    def years(self) -> int:
        """Number of simulated years."""
        return self.tally.years

    @property
    def keep(self) -> str:
        """``"full"`` when the per-practice arrays were kept (in memory or in
        :attr:`store`), else ``"stats"``."""
        return "stats" if self.tally.full_amount is None and self.store is None else "full"

    @property
    def commissioner_pence(self) -> np.ndarray:
        """What the commissioner keeps of the variance, per simulation × year (pence)."""
        return self.tally.commissioner

    @property
    def carried_pence(self) -> np.ndarray:
        """Liabilities still to be recovered after each year, per simulation × year (pence)."""
        return self.tally.carried

    @property
    def pool_pence(self) -> np.ndarray:
        """Cost met by the high-cost pool, per simulation × year (pence)."""
        return self.tally.pool

    @property
    def amount_sample(self) -> np.ndarray:
        """Practice amount (pounds) in the first 256 simulations, (k, P, years), for figures."""
        return self.tally.amount_sample / 100

    @property
    def net_sample(self) -> np.ndarray:
        """Net cash to each practice (pounds) in the first 256 simulations, (k, P, years)."""
        return self.tally.net_sample / 100

    def _full(self, name: str, label: str) -> np.ndarray:
        """A full array (``label``: its name in a store, :data:`store.ARRAYS`)."""
        if label == "outturn" and not self.tally.outturns_given:
            raise ValidationError("outturn: this result's tallies were not given the "
                                  "outturns; simulate again to keep them")
        values = getattr(self.tally, name)
        if values is None and self.store is not None:     # read whole from the store
            return store.read(self.store, label)
        if values is None:
            raise ValidationError(f"{label}: the per-practice arrays were not kept; "
                                  "simulate with keep='full'")
        return values

    @property
    def practice_amount_pence(self) -> np.ndarray:
        """``keep="full"`` only: practice amount (+ freed-up, − liability), pence,
        simulation × practice × year."""
        return self._full("full_amount", "practice_amount")

    @property
    def net_pence(self) -> np.ndarray:
        """``keep="full"`` only: net cash to the practice (freed-up and incentives paid,
        less recovery), pence, simulation × practice × year."""
        return self._full("full_net", "net")

    @property
    def outturn_pence(self) -> np.ndarray:
        """``keep="full"`` only: outturn (what the practice's patients' care cost, capped at
        any high-cost threshold), pence, simulation × practice × year."""
        return self._full("full_outturn", "outturn")

    @property
    def practice_amount(self) -> np.ndarray:
        """``keep="full"`` only: :attr:`practice_amount_pence` in pounds."""
        return self._full("full_amount", "practice_amount") / 100

    @property
    def net(self) -> np.ndarray:
        """``keep="full"`` only: :attr:`net_pence` in pounds."""
        return self._full("full_net", "net") / 100

    @property
    def outturn(self) -> np.ndarray:
        """``keep="full"`` only: :attr:`outturn_pence` in pounds."""
        return self._full("full_outturn", "outturn") / 100

    def to_xarray(self) -> Any:
        """``keep="full"`` only: the per-practice arrays (pounds) as an :class:`xarray.Dataset`.

        Variables ``practice_amount``, ``net`` and ``outturn`` (simulation × practice ×
        year) and
        ``budget`` (year × practice), with coordinates ``practice``, ``year``,
        ``consortium`` and ``list_size``. A result written to a :attr:`store` is opened
        from it lazily (dask arrays when dask is installed), so it can be larger than memory.

        Every variable and coordinate carries ``units`` (``"pounds"``, ``"patients"``) and
        ``long_name`` from :mod:`pbcmodel.glossary` (with ``sign`` where a sign means
        something); the dataset carries the scenario's name, ``seed``, ``n``, ``years``,
        ``method`` and ``sign_convention`` (:data:`XARRAY_SIGN`).

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> ds = pbc.Scenario.example().simulate(n=20, years=1, seed=1, keep="full").to_xarray()
        >>> ds["net"].attrs["units"], ds["list_size"].attrs["units"], ds.attrs["n"]
        ('pounds', 'patients', 20)
        """
        if self.store is not None:
            return self._described(store.open_dataset(self.store))
        xr = require("xarray", "distributed", "SimulationResult.to_xarray")
        dims = ("simulation", "practice", "year")
        coords = {"practice": self.practices.to_numpy(), "year": np.arange(1, self.years + 1),
                  "consortium": ("practice", self.consortium.to_numpy()),
                  "list_size": ("practice", self.list_size.to_numpy())}
        return self._described(xr.Dataset({"practice_amount": (dims, self.practice_amount),
                                           "net": (dims, self.net),
                                           "outturn": (dims, self.outturn),
                                           "budget": (("year", "practice"), self.budget)},
                                          coords=coords))

    def _described(self, ds: Any) -> Any:
        """``ds`` with the units, glossary names and signs of its variables and the run's
        settings as attributes (:meth:`to_xarray`)."""
        for name, (term_name, units) in XARRAY_TERMS.items():
            if name in ds.variables:
                t = term(term_name)
                ds[name].attrs.update({"units": units, "long_name": t.label,
                                       **({"sign": t.sign} if t.sign else {})})
        seed = int(self.seed) if isinstance(self.seed, int | np.integer) else repr(self.seed)
        ds.attrs.update({"scenario": self.scenario.name, "seed": seed, "n": self.n,
                         "years": self.years, "method": self.method,
                         "sign_convention": XARRAY_SIGN})
        return ds

    def _full_blocks(self, name: str, label: str, *, relative: bool = False
                     ) -> Iterable[np.ndarray] | None:
        """A kept full array (``label``: its name in a store) in blocks of simulations: whole
        from memory, read through from a store; None when it was not kept or, for a count
        ``relative`` to budget, when budgets differed by simulation (the result keeps only
        the year × practice budgets, not each row's)."""
        if relative and self.tally.budgets_vary:
            return None
        values = getattr(self.tally, name)
        if values is not None:
            return [values]
        return None if self.store is None else store.blocks(self.store, label)

    def _not_counted(self, name: str, value: float, key: str,
                     tracked: tuple[float, ...]) -> ValidationError:
        """The error for a count a streamed result did not make."""
        how = (" (its budgets differ by simulation, so keep='full' cannot count it later)"
               if self.tally.budgets_vary else ", or keep='full'")
        return ValidationError(
            f"{name}: {value!r} is not counted by this simulation (counted: "
            f"{quoted(list(tracked), limit=12)}); simulate with "
            f"track_losses={{{key!r}: [{value!r}]}} to count it{how}")

    def _loss_share(self, kind: str, value: float) -> np.ndarray:
        """Share of practice-years with a loss beyond ``value`` pounds or ``value`` of budget."""
        counts = self.tally.loss_count(kind, value)
        if counts is None:
            blocks = self._full_blocks("full_amount", "practice_amount",
                                       relative=kind == "fraction")
            if blocks is None:
                name, tracked = (("loss_pounds", self.tally.tracked_pounds) if kind == "pounds"
                                 else ("loss_fraction", self.tally.tracked_fractions))
                raise self._not_counted(name, value, name, tracked)
            limit: Any = (-round(float(value) * 100) if kind == "pounds"
                          else -float(value) * np.rint(self.budget * 100).T[None])  # (1, P, Y)
            counts = sum(np.count_nonzero(block < limit, axis=(0, 2)) for block in blocks)
        return counts / self.tally.count

    def _miss_counts(self, fraction: float) -> tuple[np.ndarray, np.ndarray]:
        """Per practice, the years over and under budget by more than ``fraction``."""
        counted = self.tally.miss_count(fraction)
        if counted is not None:
            return counted
        if not self.tally.outturns_given:
            raise ValidationError("fraction: this result's tallies were not given the "
                                  "outturns; simulate again to count outturn misses")
        blocks = self._full_blocks("full_outturn", "outturn", relative=True)
        if blocks is None:
            raise self._not_counted("fraction", fraction, "outturn_misses",
                                    self.tally.tracked_misses)
        budget = self.tally.budget_pence.T[None]                            # (1, P, Y)
        margin = miss_margin(budget, np.array([fraction]))[0]
        counts = np.zeros((2, len(self.practices)), dtype=np.int64)
        for block in blocks:
            counts[0] += np.count_nonzero(block > budget + margin, axis=(0, 2))
            counts[1] += np.count_nonzero(block < budget - margin, axis=(0, 2))
        return counts[0], counts[1]

    def outturn_misses(self, fraction: float = 0.10, *, by: str | None = None,
                       bands: tuple[float, ...] = LIST_SIZE_BANDS) -> pd.DataFrame:
        """How often a practice's outturn misses its budget by more than ``fraction`` of it.

        Per practice (indexed by ``practice``): ``over``, the probability over all simulated
        practice-years that outturn is more than ``fraction`` of budget above it (an
        overspend beyond ``fraction``), and ``under``, that it is more than ``fraction``
        below it. Each year's outturn is set against that year's budget (each simulation's
        own when budgets learn from earlier outturns). Counted exactly in whole pence
        (:func:`~pbcmodel.scenario.thresholds.miss_margin`): with ``m = ⌊fraction × budget⌋``
        pence, over means outturn > budget + m and under outturn < budget − m, so an
        outturn exactly ``fraction`` away is neither.

        ``by="list_size"``: per list-size band (``bands``, as :meth:`by_list_size`),
        ``practices`` and the share of the band's practice-years over and under. Every
        practice has the same number of practice-years, so a band's share is the mean of
        its practices' probabilities, and the bands' shares weighted by their practices
        give the mean over all practices.

        A streamed result counts misses beyond 5%, 10% and 20% of budget, and the fractions
        asked for with ``track_losses={"outturn_misses": [...]}`` when simulating;
        ``keep="full"`` counts any other from the kept outturns. Computed once per result
        for each fraction.

        Raises
        ------
        ValidationError
            ``fraction`` not a number in (0, 1); a fraction a streamed result did not
            count (the message names the ones it did); ``by`` other than None or
            ``"list_size"``; list sizes outside ``bands``.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> res = pbc.Scenario.example().simulate(n=200, years=2, seed=1)
        >>> misses = res.outturn_misses(0.10)
        >>> misses.index.name, misses.columns.tolist()
        ('practice', ['over', 'under'])
        >>> bool(misses.le(1).all().all())
        True
        >>> res.outturn_misses(0.10, by="list_size").columns.tolist()
        ['practices', 'over', 'under']
        """
        value = finite_scalar(fraction, "fraction")
        if not 0 < value < 1:
            raise ValidationError(f"fraction: must be in (0, 1), got {fraction!r}")
        if by not in (None, "list_size"):
            raise ValidationError(f"by: must be None (per practice) or 'list_size', "
                                  f"got {by!r}")
        over, under = self._cached(("misses", value), lambda: self._miss_counts(value))
        table = pd.DataFrame({"over": over / self.tally.count,
                              "under": under / self.tally.count},
                             index=pd.Index(self.practices, name="practice"))
        if by is None:
            return table
        grouped = table.groupby(self._bands(bands), observed=True)
        shares = grouped.mean()
        shares.insert(0, "practices", grouped.size())
        shares.index = shares.index.astype(str).rename("list_size")
        return shares

    def _bands(self, bands: tuple[float, ...]) -> pd.Series:
        """Each practice's list-size band (refused when a list size is outside them)."""
        sizes = pd.Series(self.list_size.to_numpy(), index=self.practices)
        band = pd.cut(sizes, bands, right=False)
        if band.isna().any():
            raise ValidationError(f"bands: list sizes outside the bands for practice(s) "
                                  f"{quoted(sizes.index[band.isna()])}")
        return band

    def _quantiles(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """p05 and p95 of the yearly practice amount (pounds), and their error bounds."""
        full = self.tally.full_amount
        if full is not None:
            exact = np.empty((2, len(self.practices)))
            for lo in range(0, len(self.practices), 256):     # bounded float64 copies
                block = full[:, lo:lo + 256].transpose(1, 0, 2).reshape(
                    len(self.practices[lo:lo + 256]), -1)
                exact[:, lo:lo + 256] = np.quantile(block, [0.05, 0.95], axis=1) / 100
            zero = np.zeros(len(self.practices))
            return exact[0], exact[1], zero, zero
        p05, b05 = self.tally.quantile(0.05)
        p95, b95 = self.tally.quantile(0.95)
        return p05 / 100, p95 / 100, b05 / 100, b95 / 100

    def quantile_bounds(self) -> pd.DataFrame:
        """Per practice, the most by which ``p05_amount`` and ``p95_amount`` of
        :meth:`metrics` can differ from the exact quantiles of the simulated amounts (pounds;
        zero with ``keep="full"``). A streamed quantile is read from a histogram of 2,048
        bins a practice, within one bin of the exact value.
        """
        _, _, b05, b95 = self._cached(("quantiles",), self._quantiles)
        return pd.DataFrame({"p05_amount": b05, "p95_amount": b95}, index=self.practices)

    def _cached(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def metrics(self, *, loss_pounds: float = 10_000.0, loss_fraction: float = 0.02
                ) -> pd.DataFrame:
        """Per practice, over all simulated years together.

        Columns: consortium, list_size, budget (first year), expected_net (mean cash to the
        practice per year), net_sd, p05/p95 of the yearly practice amount, expected_freed_up,
        prob_loss_over_pounds (P(practice amount < −loss_pounds) in a year),
        prob_loss_over_fraction (P(practice amount < −loss_fraction × budget)). Means,
        standard deviations and probabilities are exact; streamed quantiles are within
        :meth:`quantile_bounds` of the exact ones. A streamed result counts losses over
        £10,000 and over 1%, 2%, 5% and 10% of budget, and those asked for with
        ``track_losses`` when simulating; other values need ``keep="full"`` (in memory or
        in a store, read through block by block). Computed once per result for each pair
        of arguments.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.Scenario.example(savings=None, conditions={})
        >>> m = scn.simulate(n=200, seed=2).metrics()
        >>> bool(m["prob_loss_over_pounds"].between(0, 1).all())
        True
        """
        check_fraction(loss_fraction, "loss_fraction")
        key = ("metrics", float(loss_pounds), float(loss_fraction))
        table = self._cached(key, lambda: self._metrics(loss_pounds, loss_fraction)).copy()
        return labelled(table, title=f"Per practice, a simulated year ({self.n:,} simulations × "
                        f"{self.years} year(s)); losses over £{loss_pounds:,.0f} and over "
                        f"{100 * loss_fraction:g}% of budget")

    def prob_loss(self, loss_fraction: float = 0.02) -> pd.Series:
        """Per practice, the chance of a loss beyond ``loss_fraction`` of budget in a year:
        the column ``prob_loss_over_fraction`` of :meth:`metrics`, exact, without the rest
        of its table (no quantiles are read, so the histograms of a streamed result are
        never counted for it). Counted losses as for :meth:`metrics`.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> res = pbc.Scenario.example().simulate(n=200, seed=2)
        >>> bool((res.prob_loss(0.05) == res.metrics(loss_fraction=0.05)[
        ...     "prob_loss_over_fraction"]).all())
        True
        """
        check_fraction(loss_fraction, "loss_fraction")
        share = self._cached(("prob_loss", float(loss_fraction)),
                             lambda: self._loss_share("fraction", loss_fraction))
        return labelled(pd.Series(share, index=self.practices, name="prob_loss_over_fraction"),
                        "probability", title=f"Per practice, the chance of a loss over "
                        f"{100 * loss_fraction:g}% of budget in a year ({self.n:,} simulations "
                        f"× {self.years} year(s))")

    def _metrics(self, loss_pounds: float, loss_fraction: float) -> pd.DataFrame:
        t = self.tally
        count = t.count
        p05, p95, _, _ = self._cached(("quantiles",), self._quantiles)
        return pd.DataFrame({
            "consortium": self.consortium.to_numpy(),
            "list_size": self.list_size.to_numpy(),
            "budget": self.budget[0],
            "expected_net": t.net_sum / count / 100,
            "net_sd": np.sqrt(t.variance("net")) / 100,
            "p05_amount": p05,
            "p95_amount": p95,
            "expected_freed_up": t.freed_sum / count / 100,
            "prob_loss_over_pounds": self._loss_share("pounds", loss_pounds),
            "prob_loss_over_fraction": self.prob_loss(loss_fraction).to_numpy(),
        }, index=self.practices)

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

    def by_list_size(self, bands: tuple[float, ...] = LIST_SIZE_BANDS) -> pd.DataFrame:
        """Spread of outcomes by list-size band: is the policy fair to small practices?

        Per band: practices, mean and standard deviation of the yearly practice amount
        per registered patient, and the mean probability of a loss over 2% of budget.
        """
        losses = self.prob_loss(0.02)
        band = self._bands(bands)
        sizes = self.list_size.to_numpy(dtype=float)
        per_head = self.tally.amount_sum / sizes / 100                  # Σ x / size, pounds
        squares = self.tally.second_moment() / sizes**2 / 100**2        # Σ (x / size)²
        rows = {}
        for label, members in losses.groupby(band, observed=True).groups.items():
            idx = losses.index.get_indexer(members)
            count = len(idx) * self.tally.count
            mean = per_head[idx].sum() / count
            rows[str(label)] = {
                "practices": len(idx),
                "mean_amount_per_head": mean,
                "sd_amount_per_head": float(np.sqrt(max(squares[idx].sum() / count - mean**2,
                                                        0.0))),
                "prob_loss_over_2pct": losses.iloc[idx].mean(),
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("list_size")

    def summary(self) -> pd.Series:
        """Headline figures for the whole commissioner (pounds per year unless stated).

        The figures of :data:`pbcmodel.scenario.metrics.SUMMARY`, each defined (unit, sign,
        label) in :mod:`pbcmodel.scenario.metrics`; the commissioner's are over all years.
        """
        return labelled(figures(self, SUMMARY), title=f"{self.scenario.name}: headline figures, "
                        "by period")

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
