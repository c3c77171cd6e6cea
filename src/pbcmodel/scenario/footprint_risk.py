"""How large must a footprint be before a capitated budget is a budget and not a lottery?

:func:`footprint_risk` simulates one scenario's practices once and settles them as every
footprint of one or more levels holding its own budget (:class:`pbcmodel.footprints.Footprints`
applied as the population's consortia, ``holder="consortium"``): PCNs (≈ neighbourhoods), places
(≈ multi-neighbourhoods), an ICB. Every level is drawn from the same random streams, so the
practices' spend is the same in each and only who holds the budget differs (common random
numbers). The result, :class:`FootprintRisk`, gives per footprint the chance that its outturn
is more than 2%, 5% and 10% of budget over it in a year, and answers two questions:

* :meth:`FootprintRisk.smallest`: the smallest footprint (registered patients) whose chance of
  an overspend beyond ``fraction`` is at most ``at_most``, read from the chances of every
  footprint fitted as a curve that falls with size (isotonic regression, scipy);
* :meth:`FootprintRisk.corridor_to_match`: the risk corridor that brings a neighbourhood of
  ``size`` patients to the risk a footprint of ``like`` patients bears holding the whole of its
  overspend: the holder bears all of an overspend up to ``band`` of budget and a share of the
  rest, the commissioner the remainder; the share is the one whose chance of a loss beyond
  ``fraction`` equals the larger footprint's chance of an overspend beyond it, read from the
  simulated outturns of the footprints near ``size`` (:func:`corridor_share`, the arithmetic).

The published rules of thumb (:data:`MARKS`) are marked on the figure
(:func:`pbcmodel.plot.footprint_risk.risk_by_size`).

Examples
--------
>>> import pbcmodel as pbc
>>> scn = pbc.scenario.england.england_scenario("QWO")
>>> levels = {level: pbc.datasets.footprints(level, icb="QWO") for level in ("pcn", "icb")}
>>> risk = footprint_risk(scn, levels, n=500, years=1, seed=1)
>>> risk.table.columns.tolist()[:5]
['name', 'practices', 'list_size', 'budget', 'prob_over_2pct']
>>> chance = risk.table["prob_over_5pct"]
>>> bool(chance.loc["icb"].iloc[0] <= chance.loc["pcn"].max())
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..sharing import ShareSchedule
from ..validation import check_fraction
from .simulation import run

if TYPE_CHECKING:
    from ..footprints import Footprints
    from .scenario import Scenario

__all__ = ["MARKS", "OVERSPEND_FRACTIONS", "CorridorMatch", "FootprintRisk", "by_size",
           "corridor_share", "footprint_risk"]

#: The overspends (fractions of budget) whose chance :func:`footprint_risk` reports.
OVERSPEND_FRACTIONS: tuple[float, ...] = (0.02, 0.05, 0.10)

#: Overspends beyond which chances are counted for reading a corridor off the outturns: every
#: half percent from 0.5% to 30% of budget.
_GRID: tuple[float, ...] = tuple(round(0.005 * k, 3) for k in range(1, 61))

#: The published marks of population size (registered patients) and where they come from.
MARKS: tuple[tuple[int, str], ...] = (
    (50_000, "single neighbourhood provider, about 50,000 people (NHS England, "
             "Neighbourhood Health Framework, 2026)"),
    (100_000, "a risk pool of at least 100,000 patients (Asthana et al. 2011; "
              "King's Fund 2010)"),
    (250_000, "multi-neighbourhood provider, 250,000 or more (NHS England, "
              "Neighbourhood Health Framework, 2026)"),
)


def _pct(fraction: float) -> str:
    return f"{fraction * 100:g}pct"


def corridor_share(band: float, fraction: float, threshold: float) -> float:
    """The holder's share of an overspend beyond ``band`` for which its loss exceeds
    ``fraction`` of budget exactly when the overspend exceeds ``threshold`` (all fractions
    of budget).

    The holder bears all of an overspend ``o`` up to ``band`` and the share ``s`` of the rest:
    its loss is ``band + s·(o − band)``, which exceeds ``fraction`` when ``o > band +
    (fraction − band)/s``. Setting that equal to ``threshold`` gives ``s = (fraction − band) /
    (threshold − band)``, at most 1 (a threshold at or below ``fraction`` needs no corridor).

    Examples
    --------
    A 2% band, a 5% loss, and an overspend of 8% that should be the first to cost more than
    5%: the holder bears (5% − 2%) / (8% − 2%) = a half beyond 2%.

    >>> corridor_share(0.02, 0.05, 0.08)
    0.5
    >>> corridor_share(0.02, 0.05, 0.04)      # already within: the holder bears it all
    1.0
    """
    if not 0 <= band < fraction:
        raise ValidationError(f"band: must be at least 0 and below fraction ({fraction:.1%}), "
                              f"got {band:.1%}")
    if threshold <= fraction:
        return 1.0
    return (fraction - band) / (threshold - band)


@attrs.frozen(eq=False)
class CorridorMatch:
    """A corridor that brings the neighbourhoods near one size to a larger footprint's risk.

    Attributes
    ----------
    size, like : int
        The neighbourhood's and the larger footprint's registered patients.
    fraction, band : float
        The loss counted (a fraction of budget) and the band the holder bears whole.
    target : float
        The larger footprint's chance of an overspend beyond ``fraction`` (fitted).
    before : float
        The neighbourhoods' chance of an overspend beyond ``fraction``, bearing it all.
    threshold : float
        The overspend (a fraction of budget) the neighbourhoods exceed with chance ``target``.
    share : float
        The holder's share beyond ``band`` (:func:`corridor_share`).
    footprints : Index
        The footprints of the level whose outturns were read (list size within a quarter of
        ``size``).
    schedule : ShareSchedule
        The corridor as a schedule: the holder keeps its underspend, bears all of an
        overspend up to ``band`` and ``share`` of the rest.
    """

    size: int
    like: int
    fraction: float
    band: float
    target: float
    before: float
    threshold: float
    share: float
    footprints: pd.Index
    schedule: ShareSchedule

    def describe(self) -> str:
        """The answer in plain words.

        Examples
        --------
        >>> m = CorridorMatch(size=50_000, like=250_000, fraction=0.05, band=0.02,
        ...                   target=0.063, before=0.176, threshold=0.0867, share=0.45,
        ...                   footprints=pd.Index(["U1", "U2"]),
        ...                   schedule=ShareSchedule(savings=[(0.0, 1.0)]))
        >>> text = m.describe()
        >>> text[:69]
        'The 2 footprints of 37,500-62,500 patients have, on average, a 17.6% '
        >>> text.endswith("45% of the rest (the commissioner the remainder), its chance "
        ...               "of a loss beyond 5% of budget is 6.3%.")
        True
        """
        return (f"The {len(self.footprints)} footprints of {0.75 * self.size:,.0f}-"
                f"{1.25 * self.size:,.0f} patients have, on average, a {self.before:.1%} chance "
                f"a year of an overspend beyond {self.fraction:.0%} of budget when each bears "
                f"all of it; a footprint of {self.like:,} patients has {self.target:.1%} "
                f"(fitted). If each bears all of an overspend up to {self.band:.0%} of its "
                f"budget and {self.share:.0%} of the rest (the commissioner the remainder), its "
                f"chance of a loss beyond {self.fraction:.0%} of budget is {self.target:.1%}.")


@attrs.frozen(eq=False)
class FootprintRisk:
    """The chance of an overspend, footprint by footprint (:func:`footprint_risk`).

    Attributes
    ----------
    table : DataFrame
        Indexed by (``level``, ``footprint``): ``name``, ``practices``, ``list_size``,
        ``budget`` (the first year's, pounds), ``prob_over_2pct``, ``prob_over_5pct``,
        ``prob_over_10pct`` (the chance, over simulated footprint-years, that outturn is
        more than that fraction of budget above it).
    n, years : int
        Simulations and years.
    seed : Any
        The random streams' root.
    over : dict
        Per level, the chances of an overspend beyond every half percent of budget from 0.5%
        to 30% (footprint × overspend), what :meth:`corridor_to_match` reads.
    scenario : Scenario
        The scenario whose practices were simulated.
    """

    table: pd.DataFrame
    n: int
    years: int
    seed: Any
    over: dict[str, pd.DataFrame]
    scenario: Scenario

    def fitted(self, fraction: float = 0.05) -> pd.Series:
        """The chance of an overspend beyond ``fraction`` as a curve falling with list size:
        every footprint's chance, ordered by size, fitted by isotonic regression (the
        closest non-increasing sequence in least squares, each footprint weighted alike);
        indexed by list size."""
        from scipy.optimize import isotonic_regression

        column = f"prob_over_{_pct(_known(fraction))}"
        data = self.table.sort_values("list_size", kind="stable")
        fit = isotonic_regression(data[column].to_numpy(dtype=float), increasing=False)
        return pd.Series(fit.x, index=pd.Index(data["list_size"].to_numpy(), name="list_size"),
                         name=column)

    def chance_at(self, size: float, fraction: float = 0.05) -> float:
        """The fitted chance of an overspend beyond ``fraction`` for a footprint of ``size``
        patients (linear between footprints' sizes, held flat beyond the smallest and the
        largest)."""
        curve = self.fitted(fraction)
        return float(np.interp(size, curve.index.to_numpy(dtype=float), curve.to_numpy()))

    def smallest(self, at_most: float = 0.05, fraction: float = 0.05) -> int | None:
        """The smallest footprint (registered patients) whose fitted chance of an overspend
        beyond ``fraction`` is at most ``at_most``; None when no footprint simulated is that
        safe.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> scn = pbc.scenario.england.england_scenario("QWO")
        >>> risk = footprint_risk(scn, {"pcn": pbc.datasets.footprints("pcn", icb="QWO")},
        ...                       n=300, years=1, seed=2)
        >>> risk.smallest(at_most=1.0) == int(risk.table["list_size"].min())
        True
        """
        check_fraction(at_most, "at_most")
        curve = self.fitted(fraction)
        safe = curve[curve.to_numpy() <= at_most]
        return None if safe.empty else int(safe.index[0])

    def corridor_to_match(self, level: str, size: int = 50_000, like: int = 250_000, *,
                          fraction: float = 0.05, band: float = 0.02) -> CorridorMatch:
        """The corridor that brings ``level``'s footprints of about ``size`` patients (within a
        quarter of it) to the chance of an overspend beyond ``fraction`` that a footprint of
        ``like`` patients has (fitted over every level, :meth:`chance_at`).

        The neighbourhoods' chance of an overspend beyond each half percent of budget is read
        from their simulated outturns; the overspend they exceed with the target chance
        (linear between half percents) sets the share by :func:`corridor_share`.
        """
        if level not in self.over:
            raise ValidationError(f"level: expected one of {', '.join(self.over)}, got "
                                  f"{level!r}")
        fraction = _known(fraction)
        sizes = self.table.loc[level, "list_size"]
        near = sizes[(sizes >= 0.75 * size) & (sizes <= 1.25 * size)].index
        if near.empty:
            raise ValidationError(
                f"size: no {level} footprint has {0.75 * size:,.0f}-{1.25 * size:,.0f} "
                f"patients (theirs run from {int(sizes.min()):,} to {int(sizes.max()):,})")
        target = self.chance_at(like, fraction)
        chances = self.over[level].loc[near].mean()             # per overspend, falling
        grid = chances.index.to_numpy(dtype=float)
        before = float(chances.loc[fraction])
        threshold = _crossing(grid, chances.to_numpy(), target)
        share = corridor_share(band, fraction, threshold)
        schedule = ShareSchedule(savings=[(0.0, 1.0)], losses=[(0.0, 1.0), (band, share)])
        return CorridorMatch(size=size, like=like, fraction=fraction, band=band,
                             target=target, before=before, threshold=threshold, share=share,
                             footprints=near, schedule=schedule)

    def plot(self, fraction: float = 0.05, at_most: float | None = None, ax: Any = None
             ) -> Any:
        """The chance of an overspend beyond ``fraction`` against footprint size, with the
        published marks (:func:`pbcmodel.plot.footprint_risk.risk_by_size`)."""
        from ..plot.footprint_risk import risk_by_size

        return risk_by_size(self, fraction=fraction, at_most=at_most, ax=ax)


def _known(fraction: float) -> float:
    value = float(fraction)
    if value not in OVERSPEND_FRACTIONS:
        raise ValidationError(f"fraction: expected one of "
                              f"{', '.join(f'{f:.0%}' for f in OVERSPEND_FRACTIONS)}, "
                              f"got {fraction!r}")
    return value


def _crossing(grid: np.ndarray, chances: np.ndarray, target: float) -> float:
    """The overspend (on ``grid``, linear between its points) beyond which the chance falls
    to ``target``; the last grid point when it never does."""
    below = np.flatnonzero(chances <= target)
    if below.size == 0:
        return float(grid[-1])
    k = int(below[0])
    if k == 0:
        return float(grid[0])
    c0, c1 = chances[k - 1], chances[k]
    t = 0.0 if c0 == c1 else (c0 - target) / (c0 - c1)
    return float(grid[k - 1] + t * (grid[k] - grid[k - 1]))


def footprint_risk(scn: Scenario, footprints: Mapping[str, Footprints], n: int = 10_000,
                   years: int = 3, seed: Any = 0, *, workers: int | None = None,
                   progress: bool | None = None) -> FootprintRisk:
    """Simulate ``scn``'s practices and settle each footprint of each level as one holder.

    Parameters
    ----------
    scn : Scenario
        The practices, their budgets and the drivers of spend (keep practice effects on for
        the risk the world has). Conditions given per practice are refused (a footprint holds
        the budget).
    footprints : mapping of str to Footprints
        Level name → its footprints (e.g. ``{"pcn": ..., "place": ..., "icb": ...}``), each
        covering exactly the scenario's practices.
    n, years, seed, workers, progress
        As :func:`pbcmodel.scenario.simulation.simulate` (``progress=None``: a bar in
        Jupyter when tqdm is installed); every level on the same streams.

    Returns
    -------
    FootprintRisk
    """
    if not footprints:
        raise ValidationError("footprints: give at least one level, e.g. "
                              "{'pcn': pbc.datasets.footprints('pcn', icb=...)}")
    per_practice = [k for k, v in scn.conditions.items() if isinstance(v, pd.Series)]
    if per_practice:
        raise ValidationError(f"conditions: {', '.join(per_practice)} given per practice; a "
                              "footprint holds the budget: give them per footprint")
    levels = list(footprints)
    variants = [scn.evolve(population=footprints[level].apply(scn.population),
                           holder="consortium", name=f"{scn.name}: {level}")
                for level in levels]
    results = run(variants, n=n, years=years, seed=seed, workers=workers, progress=progress,
                  track_losses={"outturn_misses": [*OVERSPEND_FRACTIONS, *_GRID]})
    tables, over = [], {}
    for level, result in zip(levels, results, strict=True):
        fp = footprints[level]
        counts = fp.footprint.value_counts()
        table = pd.DataFrame({
            "name": (fp.names.reindex(result.practices) if fp.names is not None
                     else pd.Series(result.practices, index=result.practices)).to_numpy(),
            "practices": counts.reindex(result.practices).to_numpy(),
            "list_size": result.list_size.to_numpy(),
            "budget": result.budget[0]}, index=pd.Index(result.practices, name="footprint"))
        for f in OVERSPEND_FRACTIONS:
            table[f"prob_over_{_pct(f)}"] = result.outturn_misses(f)["over"].to_numpy()
        tables.append(table)
        over[level] = pd.DataFrame({f: result.outturn_misses(f)["over"].to_numpy()
                                    for f in sorted({*OVERSPEND_FRACTIONS, *_GRID})},
                                   index=table.index)
    return FootprintRisk(table=pd.concat(tables, keys=levels, names=["level", "footprint"]),
                         n=n, years=years, seed=seed, over=over, scenario=scn)


def by_size(table: pd.DataFrame, bands: Sequence[float] = (0, 25_000, 50_000, 100_000,
                                                            250_000, 500_000, 1_000_000,
                                                            np.inf)) -> pd.DataFrame:
    """A footprint table (:attr:`FootprintRisk.table`) by population band: footprints and
    the mean chance of each overspend.

    Examples
    --------
    >>> t = pd.DataFrame({"list_size": [30_000, 60_000, 70_000], "prob_over_5pct": [0.2, 0.1, 0.0]})
    >>> by_size(t)["prob_over_5pct"].round(2).tolist()
    [0.2, 0.05]
    """
    band = pd.cut(table["list_size"], list(bands), right=False)
    columns = [c for c in table.columns if c.startswith("prob_over_")]
    grouped = table.groupby(band, observed=True)
    out = grouped[columns].mean()
    out.insert(0, "footprints", grouped.size())
    out.index = pd.Index([f"{iv.left:,.0f}-{iv.right:,.0f}" if np.isfinite(iv.right)
                          else f"{iv.left:,.0f}+" for iv in out.index], name="list_size")
    return out
