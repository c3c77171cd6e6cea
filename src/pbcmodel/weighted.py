"""NHS England's practice-level weighted populations, as one value object.

NHS England's allocation formula gives every GP practice in England a *weighted population*
per service model: its registered patients weighted for age, sex, additional need and
unavoidable cost. :class:`WeightedPopulations` holds one published year of them, with the
hierarchy practice → local authority district (LAD) → integrated care board (ICB) → region.
It is the base of :func:`pbcmodel.capitation.need_index` and
:class:`pbcmodel.capitation.WeightedCapitation`, and :meth:`WeightedPopulations.to_population`
turns it into a :class:`~pbcmodel.population.Population` for the risk engine.

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.weighted import COMPONENTS, WeightedPopulations
>>> frame = pd.DataFrame({"registered": [100.0, 300.0], "icb": "QWO", "region": "Y63",
...                       "lad": ["E08000034", "E08000035"]}, index=["B85005", "B86001"])
>>> for c in COMPONENTS:
...     frame[c] = [120.0, 280.0]
>>> wp = WeightedPopulations(frame, year="2026/27")
>>> wp.n_practices, float(wp.totals()["core"])
(2, 400.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .codes import AGE_BANDS, SEXES, normalise_codes
from .errors import ValidationError
from .money import largest_remainder
from .population import Population
from .validation import MAX_COUNT, own_copy, quoted, read_view, require_columns

__all__ = ["COMPONENTS", "HIERARCHY", "WeightedPopulations", "apportion"]

#: The weighted-population components, one column each (names of the public contract).
#: ``core`` is NHS England's overall core index (it includes the market forces factor and
#: other cost adjustments, so it is not a linear combination of the others);
#: ``final_primary_medical_care`` = 0.85 × primary medical care + 0.15 × health inequalities.
COMPONENTS: tuple[str, ...] = (
    "core", "general_and_acute", "community_services", "mental_health", "maternity",
    "health_inequalities", "prescribing", "primary_medical_care", "final_primary_medical_care",
)

#: The hierarchy columns every practice has: ICB (commissioner), region and LAD codes.
HIERARCHY: tuple[str, ...] = ("icb", "region", "lad")

#: Columns that are labels: kept as text when present.
_LABELS = ("name", "postcode", "icb_name", "region_name", "lad_name", "pcn", "sub_icb")

_CELLS = pd.MultiIndex.from_product([AGE_BANDS, SEXES], names=["age_band", "sex"])


def _check_frame(frame: Any) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"frame: expected a DataFrame, got {type(frame).__name__}")
    require_columns(frame, ("registered", *HIERARCHY, *COMPONENTS), "weighted populations")
    if frame.empty:
        raise ValidationError("weighted populations: no practices")
    out = frame.copy()
    out.index = normalise_codes(out.index).rename("practice")
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated()].unique()
        raise ValidationError(f"weighted populations: duplicate practice code(s) {quoted(dup)}")
    for col in ("registered", *COMPONENTS):
        values = pd.to_numeric(out[col], errors="coerce")
        missing = values.isna().to_numpy()
        if missing.any():
            raise ValidationError(
                f"weighted populations: column {col!r} is missing or not a number for "
                f"practice(s) {quoted(out.index[missing])}")
        arr = values.to_numpy(dtype=float)
        # at most MAX_COUNT people, as a registered-patient count: sums over every practice
        # stay finite and list sizes fit in int64 (1e30 would wrap to a negative list)
        bad = (~np.isfinite(arr) | (arr <= 0 if col == "registered" else arr < 0)
               | (arr > MAX_COUNT))
        if bad.any():
            expected = "> 0" if col == "registered" else ">= 0"
            raise ValidationError(
                f"weighted populations: column {col!r} must be a finite number {expected} "
                f"and at most {MAX_COUNT:,}; practice(s) {quoted(out.index[bad])} have "
                f"{quoted(arr[bad].tolist())}")
        out[col] = arr
    for col in HIERARCHY:
        missing = out[col].isna().to_numpy()
        if missing.any():
            raise ValidationError(
                f"weighted populations: no {col} for practice(s) {quoted(out.index[missing])}")
        out[col] = out[col].astype(str).str.strip()
    for col in _LABELS:
        if col in out.columns:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    first = ["registered", *HIERARCHY]
    labels = [c for c in _LABELS if c in out.columns]
    rest = [c for c in out.columns if c not in (*first, *COMPONENTS, *labels)]
    return out[[*labels, *first, *COMPONENTS, *rest]]


@attrs.frozen(eq=False, repr=False)
class WeightedPopulations:
    """One published year of NHS England's practice-level weighted populations.

    Parameters
    ----------
    frame : DataFrame
        Indexed by practice code (stripped and upper-cased). Columns ``registered``
        (registered patients, > 0; projected and so fractional), ``icb``, ``region``,
        ``lad`` (codes), one float column per component of :data:`COMPONENTS` (>= 0; zero is
        a real value, e.g. a practice with no maternity need), each at most
        :data:`pbcmodel.validation.MAX_COUNT` (922,337,203,685, the most patients pbcmodel
        counts: list sizes then fit in whole numbers and totals stay finite), and
        optionally ``name``, ``postcode``, ``icb_name``, ``region_name``, ``lad_name``,
        ``pcn``, ``sub_icb``.
        Most users get one from :func:`pbcmodel.datasets.england` or
        :func:`pbcmodel.io.read_weighted_populations`.
    year : str
        The allocation year, e.g. ``"2026/27"`` (a label).
    source : str
        Where the figures come from (shown by ``repr``; e.g. the file or the attribution).

    The object keeps its own copy of ``frame``: editing the frame afterwards, or the one
    :attr:`frame` hands out, cannot change it.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> wp = pbc.datasets.england("2026/27")
    >>> wp.n_practices, wp.frame["icb"].nunique()
    (6281, 36)
    """

    _frame: pd.DataFrame = attrs.field(converter=lambda f: own_copy(_check_frame(f)))
    year: str = attrs.field(default="", converter=str)
    source: str = attrs.field(default="", converter=str)

    # views --------------------------------------------------------------------------------
    @property
    def frame(self) -> pd.DataFrame:
        """Practice × (labels, ``registered``, hierarchy, components) (read-only view)."""
        return read_view(self._frame)

    @property
    def codes(self) -> pd.Index:
        """Practice codes, in the order of every per-practice table."""
        return self._frame.index

    @property
    def n_practices(self) -> int:
        """Number of practices."""
        return len(self._frame)

    @property
    def registered(self) -> pd.Series:
        """Registered patients per practice (projections: published with decimals)."""
        return self._frame["registered"].copy()

    @property
    def list_size(self) -> pd.Series:
        """Registered patients per practice as whole people (``int64``): rounded half up,
        at least one; the list sizes of :meth:`to_population`.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> wp = pbc.datasets.england().subset(icb="QWO")
        >>> round(float(wp.registered.loc["B85005"]), 1), int(wp.list_size.loc["B85005"])
        (6799.6, 6800)
        """
        size = np.maximum(np.floor(self._frame["registered"].to_numpy() + 0.5), 1.0)
        return pd.Series(size.astype(np.int64), index=self.codes, name="list_size")

    def weighted(self, component: str = "core") -> pd.Series:
        """The weighted population of one component per practice.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> wp = pbc.datasets.england()
        >>> int((wp.weighted("maternity") == 0).sum())   # real zeros, not missing
        83
        """
        return self._frame[_check_component(component)].copy()

    def totals(self) -> pd.Series:
        """``registered`` and every component summed over the practices.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> t = pbc.datasets.england().totals()
        >>> bool(abs(t["core"] / t["registered"] - 1) < 1e-9)   # the national index is 1
        True
        """
        return self._frame[["registered", *COMPONENTS]].sum()

    # groupings ----------------------------------------------------------------------------
    def places(self, by: str = "lad") -> pd.Series:
        """Each practice's place: practice → label, for :func:`~pbcmodel.capitation.need_index`.

        Parameters
        ----------
        by : str
            ``"lad"`` (default): the local authority district within the ICB. A district
            that NHS England's file splits between ICBs gives one place per ICB, labelled
            ``"<LAD> (<ICB>)"``; any other district is labelled by its code. ``"icb"``,
            ``"region"``, or any label column of the frame (``"pcn"``, ``"sub_icb"`` in
            vintages that have them).

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> wp = pbc.datasets.england().subset(icb="QWO")
        >>> wp.places().loc["B85005"]
        'E08000034'
        """
        if by == "lad":
            lad, icb = self._frame["lad"], self._frame["icb"]
            split = lad.map(pd.Series(icb.groupby(lad).nunique()) > 1).to_numpy(dtype=bool)
            labels = lad.where(~split, lad + " (" + icb + ")")
            return labels.rename("place")
        if by not in self._frame.columns or by in ("registered", *COMPONENTS):
            known = ["lad", *HIERARCHY[:2], *[c for c in ("pcn", "sub_icb")
                                               if c in self._frame.columns]]
            raise ValidationError(f"by: expected one of {', '.join(known)}, got {by!r}")
        out = self._frame[by]
        if out.isna().any():
            raise ValidationError(
                f"by: column {by!r} is missing for practice(s) "
                f"{quoted(self.codes[out.isna().to_numpy()])}")
        return out.astype(str).rename("place")

    def subset(self, practices: Iterable[str] | None = None, *,
               icb: str | Iterable[str] | None = None) -> WeightedPopulations:
        """The weighted populations of some practices and/or ICBs (codes or names).

        Codes are matched as the readers normalise them (spaces trimmed, any case), so
        ``" qwo "`` is ICB ``QWO`` and ``"b85005"`` practice ``B85005``; ICB names too.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> pbc.datasets.england().subset(icb="NHS West Yorkshire ICB").n_practices
        266
        """
        keep = np.ones(self.n_practices, dtype=bool)
        if practices is not None:
            wanted = normalise_codes([practices] if isinstance(practices, str) else list(practices))
            unknown = wanted.difference(self.codes)
            if len(unknown):
                raise ValidationError(f"subset: unknown practice code(s) {quoted(unknown)}")
            keep &= self.codes.isin(wanted)
        if icb is not None:
            given = [icb] if isinstance(icb, str) else list(icb)
            wanted = normalise_codes(given)   # codes and names, matched trimmed, in any case
            codes = normalise_codes(self._frame["icb"].to_numpy())
            names = (self._frame["icb_name"] if "icb_name" in self._frame.columns
                     else self._frame["icb"])
            names = normalise_codes(names.where(names.notna(), "").to_numpy())
            unknown = [g for g, w in zip(given, wanted, strict=True)
                       if w not in codes and w not in names]
            if unknown:
                raise ValidationError(f"subset: unknown ICB(s) {quoted(unknown)}; known: "
                                      f"{quoted(sorted(self._frame['icb'].unique()), 40)}")
            keep &= (codes.isin(wanted) | names.isin(wanted))
        if not keep.any():
            raise ValidationError("subset: no practice matches")
        return WeightedPopulations(self._frame[keep], year=self.year, source=self.source)

    # for the risk engine ------------------------------------------------------------------
    def to_population(self, profile: pd.Series, *, consortia: pd.Series | None = None,
                      cost_index: pd.Series | None = None) -> Population:
        """A :class:`~pbcmodel.population.Population` for the risk engine and a Scenario.

        The publication has list sizes and weighted populations but no age-sex counts. Each
        practice is given the national age-sex ``profile`` scaled to its registered list:
        ``registered`` rounded half up (at least one patient, so that a practice whose
        projection is below half a patient still has a budget), split over the cells by
        largest remainder so the counts add up to it exactly. The practice's additional
        need is carried by ``cost_index``, the per-practice cost multiplier the risk engine
        applies (its cv is unchanged).

        Parameters
        ----------
        profile : Series
            Share of patients per (age_band, sex) cell (index as
            :attr:`Population.counts <pbcmodel.population.Population.counts>` columns;
            non-negative, normalised here). :func:`pbcmodel.datasets.england_age_sex_profile`
            gives the one pbcmodel ships (synthetic: see its docstring).
        consortia : Series, optional
            Practice → consortium (place) label for every practice. Default: the local
            authority district within the ICB (:meth:`places`).
        cost_index : Series, optional
            Per-practice cost multiplier, typically ``need_index(wp)`` (> 0). Default:
            none (1 for every practice).

        The commissioner of each practice is its ICB.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> wp = pbc.datasets.england().subset(icb="QWO")
        >>> pop = wp.to_population(pbc.datasets.england_age_sex_profile(),
        ...                        cost_index=pbc.capitation.need_index(wp))
        >>> pop.n_practices, pop.list_size.loc["B85005"], round(wp.registered.loc["B85005"])
        (266, np.int64(6800), 6800)
        """
        shares = _check_profile(profile)
        size = self.list_size.to_numpy()
        counts = apportion(size[:, None] * shares[None, :], size)
        frame = pd.DataFrame(counts, index=self.codes, columns=_CELLS)
        places = self.places() if consortia is None else _aligned(consortia, self.codes,
                                                                  "consortia")
        hierarchy = pd.DataFrame({"consortium": places.astype(object).to_numpy(),
                                  "commissioner": self._frame["icb"].astype(object).to_numpy()},
                                 index=self.codes)
        index = None if cost_index is None else _aligned(cost_index, self.codes, "cost_index")
        return Population(counts=frame, hierarchy=hierarchy, cost_index=index)

    # dunder -------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WeightedPopulations):
            return NotImplemented
        return (self._frame.equals(other._frame) and self.year == other.year
                and self.source == other.source)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        year = f" {self.year}" if self.year else ""
        return (f"WeightedPopulations({self.n_practices:,} practices, "
                f"{self._frame['icb'].nunique()} ICB(s), "
                f"{self._frame['registered'].sum():,.0f} registered patients{year})")


def apportion(exact: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Whole numbers per cell that add up, row by row, to ``totals``, in proportion to
    ``exact`` (largest remainder).

    Each row of ``exact`` (non-negative) is scaled to its total, then rounded by
    :func:`pbcmodel.money.largest_remainder`: every cell gets the whole part of its share and
    the units left over go to the largest fractional parts (ties to the first cell). The
    rounding of patients to whole people and of money to whole pence, so that displayed
    totals add up.

    Examples
    --------
    >>> apportion(np.array([[1.5, 1.5, 1.0], [0.2, 0.2, 0.6]]), np.array([4, 1])).tolist()
    [[2, 1, 1], [0, 0, 1]]
    """
    exact = np.atleast_2d(np.asarray(exact, dtype=float))
    totals = np.asarray(totals, dtype=np.int64).reshape(-1)
    sums = exact.sum(axis=1)
    empty = (sums <= 0) & (totals > 0)
    if empty.any():
        raise ValidationError(f"apportion: cannot split the total(s) of row(s) "
                              f"{quoted(np.flatnonzero(empty).tolist())}: nothing to split "
                              "them by")
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(sums[:, None] > 0, exact / sums[:, None], 0.0)
    return largest_remainder(shares * totals[:, None], totals, "apportion")


def _check_component(component: str) -> str:
    if component not in COMPONENTS:
        raise ValidationError(f"component: expected one of {', '.join(COMPONENTS)}, "
                              f"got {component!r}")
    return component


def _check_profile(profile: Any) -> np.ndarray:
    if isinstance(profile, Mapping) and not isinstance(profile, pd.Series):
        profile = pd.Series(profile)
    if not isinstance(profile, pd.Series):
        raise ValidationError(f"profile: expected a Series of shares by (age_band, sex), got "
                              f"{type(profile).__name__}")
    missing = _CELLS.difference(profile.index)
    if len(missing):
        raise ValidationError(f"profile: missing age_band/sex cell(s) {quoted(missing)}")
    values = pd.to_numeric(profile.reindex(_CELLS), errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any() or values.sum() <= 0:
        raise ValidationError("profile: shares must be finite numbers >= 0, not all zero")
    return values / values.sum()


def _aligned(values: Any, codes: pd.Index, name: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise ValidationError(f"{name}: expected a Series indexed by practice code, got "
                              f"{type(values).__name__}")
    index = normalise_codes(values.index)
    if index.has_duplicates:
        raise ValidationError(f"{name}: duplicate practice code(s) "
                              f"{quoted(index[index.duplicated()].unique())}")
    s = pd.Series(values.to_numpy(), index=index)
    missing, extra = codes.difference(index), index.difference(codes)
    if len(missing) or len(extra):
        parts = ([f"no value for practice(s) {quoted(missing)}"] if len(missing) else []) + (
            [f"unknown practice code(s) {quoted(extra)}"] if len(extra) else [])
        raise ValidationError(f"{name}: " + "; ".join(parts))
    out = s.reindex(codes)
    if out.isna().any():
        raise ValidationError(f"{name}: missing value for practice(s) "
                              f"{quoted(codes[out.isna().to_numpy()])}")
    return out
