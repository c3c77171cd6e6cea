"""Need indices and budgets from NHS England's practice-level weighted populations.

:func:`need_index` is the index NHS England's ICB place-based allocation tool shows for a
practice or a *place* (a group of practices): (weighted population ÷ registered population)
of the unit, divided by the same ratio of its base, the ICB (as the tool does) or England
(as the published allocation annexes do). The two bases give indices that are not
comparable.

:class:`WeightedCapitation` turns a resource into practice budgets: the resource less its
top-slices is split between components in stated shares (or by the core index alone), each
component's pot in proportion to the practices' weighted populations of that component;
pace of change from a historic budget uses :class:`~pbcmodel.capitation.PaceOfChange`.
Budgets are paid in whole pence: pennies are allocated by largest remainder, so the
budgets add up exactly to the resource less top-slices.

Examples
--------
>>> import pbcmodel as pbc
>>> wp = pbc.datasets.england().subset(icb="QWO")
>>> f = pbc.capitation.WeightedCapitation(top_slices={"contingency": 0.01})
>>> pence = f.budgets_pence(wp, resource=1.5e9)
>>> int(pence["total"].sum()) == 150_000_000_000 - 1_500_000_000
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs
import numpy as np
import pandas as pd

from ..codes import normalise_codes
from ..errors import ValidationError
from ..validation import check_fraction, check_positive, finite_series, quoted, settleable
from ..weighted import COMPONENTS, WeightedPopulations, apportion
from .pace import PaceOfChange
from .steps import devolved_resource, top_slice_rows

__all__ = ["BASES", "WeightedCapitation", "need_index"]

#: Bases of a need index: the practice's ICB (NHS England's place-based tool) or England.
BASES: tuple[str, ...] = ("icb", "england")

Groups: TypeAlias = pd.Series | Mapping[str, Iterable[str]] | None


def _groups(wp: WeightedPopulations, groups: Groups) -> pd.Series:
    """Practice → place label, for the practices that are in a place."""
    codes = wp.codes
    if groups is None:
        return pd.Series(codes, index=codes, name="practice")
    if isinstance(groups, Mapping):
        empty = [place for place, members in groups.items()
                 if isinstance(members, str) or not list(members)]
        if empty:
            raise ValidationError(f"groups: place(s) {quoted(empty)} have no practices "
                                  "(give each place a list of practice codes)")
        pairs = [(str(code).strip().upper(), place)
                 for place, members in groups.items() for code in members]
        index = pd.Index([p for p, _ in pairs])
        if index.has_duplicates:
            raise ValidationError(f"groups: practice(s) {quoted(index[index.duplicated()])} "
                                  "are in more than one place")
        series = pd.Series([place for _, place in pairs], index=index, dtype=object)
    elif isinstance(groups, pd.Series):
        if isinstance(groups.dtype, pd.CategoricalDtype):
            unused = sorted(set(groups.cat.categories) - set(groups.dropna()))
            if unused:
                raise ValidationError(f"groups: place(s) {quoted(unused)} have no practices")
        index = normalise_codes(groups.index)
        if index.has_duplicates:
            raise ValidationError(f"groups: practice(s) {quoted(index[index.duplicated()])} "
                                  "listed more than once")
        series = pd.Series(groups.astype(object).to_numpy(), index=index)
        missing = series.isna().to_numpy()
        if missing.any():
            raise ValidationError(f"groups: no place for practice(s) {quoted(index[missing])}")
    else:
        raise ValidationError("groups: expected None, a Series practice → place, or a mapping "
                              f"place → practice codes, got {type(groups).__name__}")
    if series.empty:
        raise ValidationError("groups: no practices")
    unknown = series.index.difference(codes)
    if len(unknown):
        raise ValidationError(f"groups: unknown practice code(s) {quoted(unknown)} (not in "
                              f"the weighted populations{' ' + wp.year if wp.year else ''})")
    return series.rename("place")


def need_index(wp: WeightedPopulations, groups: Groups = None, base: str = "icb",
               component: str | Sequence[str] = "core") -> pd.Series | pd.DataFrame:
    """Need index of each practice or place relative to its ICB or to England.

    ``index = (Σ weighted ÷ Σ registered over the unit) ÷ (Σ weighted ÷ Σ registered over
    the base)``, as NHS England's ICB place-based allocation tool computes it
    (``utils.get_index`` in ``nhsengland/ICB_Place_Based_Tool_2627-2829``). The tool shows
    it rounded half up to 3 decimal places (2 on screen):
    ``pbcmodel.money.round_half_up(index, 3)``.

    Parameters
    ----------
    wp : WeightedPopulations
    groups : None, Series or mapping
        ``None``: each practice. A Series practice → place label (practices not listed
        belong to no place), or a mapping place → practice codes (as the tool's places).
    base : {"icb", "england"}
        ``"icb"``: the ICB of the unit, over all its practices in ``wp``; every practice of
        a place must then be in one ICB. ``"england"``: all practices in ``wp`` (pass the
        national data, e.g. ``pbcmodel.datasets.england()``, for an England base).
    component : str or sequence of str
        One of :data:`~pbcmodel.weighted.COMPONENTS` (a Series), or several (a DataFrame
        with one column each).

    Raises
    ------
    ValidationError
        ``wp`` is not a :class:`~pbcmodel.weighted.WeightedPopulations`; an unknown
        practice, an empty place, a practice in two places, a place whose practices are in
        two ICBs when ``base="icb"``, an unknown base or component, or a base (an ICB, or
        England) whose total weighted population of a component is zero, so that no
        index relative to it exists.

    Notes
    -----
    The ratio of ratios is computed as the tool does, ``(Σw ÷ Σr)_unit ÷ (Σw ÷ Σr)_base``,
    whenever each per-head ratio is a normal floating-point number (all real data); where
    one is not (a weighted population of 5e-324 over a list of 2 has a per-head ratio of
    0, an index of 0 instead of 1) it is computed from the unit's shares of its base,
    ``(Σw_unit ÷ Σw_base) × (Σr_base ÷ Σr_unit)``, which neither underflows nor overflows.

    Examples
    --------
    Three practices, one ICB of four (weighted populations 110, 90, 60, 240 for 100, 100,
    50, 250 registered patients; ICB ratio 500/500 = 1): the place of the first two has
    index (110 + 90)/(100 + 100) ÷ 1 = 1.0; the third alone 60/50 = 1.2.

    >>> import pandas as pd
    >>> from pbcmodel.weighted import COMPONENTS, WeightedPopulations
    >>> f = pd.DataFrame({"registered": [100.0, 100.0, 50.0, 250.0], "icb": "Q1",
    ...                   "region": "R", "lad": "L"}, index=["A", "B", "C", "D"])
    >>> for c in COMPONENTS:
    ...     f[c] = [110.0, 90.0, 60.0, 240.0]
    >>> wp = WeightedPopulations(f)
    >>> need_index(wp, {"North": ["A", "B"], "South": ["C"]}).round(6).to_dict()
    {'North': 1.0, 'South': 1.2}
    """
    if not isinstance(wp, WeightedPopulations):
        raise ValidationError(f"wp: expected a WeightedPopulations (from "
                              f"pbcmodel.datasets.england() or "
                              f"pbcmodel.io.read_weighted_populations), got {type(wp).__name__}")
    if base not in BASES:
        raise ValidationError(f"base: expected one of {', '.join(BASES)}, got {base!r}")
    names = [component] if isinstance(component, str) else list(component)
    bad = [c for c in names if c not in COMPONENTS]
    if bad or not names:
        raise ValidationError(f"component: expected one of {', '.join(COMPONENTS)}, got "
                              f"{quoted(bad) if bad else 'none'}")
    places = _groups(wp, groups)
    frame = wp.frame
    members = frame.loc[places.index]
    if groups is None:   # each practice is its own unit
        unit = members[["registered", *names]]
        icb_of = members["icb"]
    else:
        label = places.to_numpy()
        unit = members[["registered", *names]].groupby(label, sort=False).sum()
        icbs = members.groupby(label, sort=False)["icb"].agg(["nunique", "first"])
        spanning = icbs.index[icbs["nunique"] > 1]
        if base == "icb" and len(spanning):
            place = spanning[0]
            found = sorted(members.loc[places.to_numpy() == place, "icb"].unique())
            raise ValidationError(
                f"groups: place {place!r} has practices in {len(found)} ICBs "
                f"({', '.join(found)}); with base='icb' a place must lie in one ICB "
                "(or use base='england')")
        icb_of = icbs["first"]
    if base == "england":
        base_totals = frame[["registered", *names]].sum().to_frame("England").T
        base_of = np.zeros(len(unit), dtype=np.intp)
    else:
        base_totals = frame[["registered", *names]].groupby(frame["icb"]).sum()
        base_of = base_totals.index.get_indexer(icb_of.to_numpy())
    _check_base_totals(base_totals.iloc[np.unique(base_of)], names, base)
    used = base_totals.to_numpy()[base_of]          # the base's totals, one row per unit
    w_unit, r_unit = unit[names].to_numpy(), unit["registered"].to_numpy()[:, None]
    w_base, r_base = used[:, 1:], used[:, :1]
    out = pd.DataFrame(_ratio_of_ratios(w_unit, r_unit, w_base, r_base), index=unit.index,
                       columns=names)
    out.index.name = "practice" if groups is None else "place"
    if isinstance(component, str):
        return out[component].rename(component)
    return out


def _ratio_of_ratios(w_unit: np.ndarray, r_unit: np.ndarray, w_base: np.ndarray,
                     r_base: np.ndarray) -> np.ndarray:
    """``(w_unit/r_unit) / (w_base/r_base)``, from shares where a per-head ratio is not normal.

    Examples
    --------
    >>> _ratio_of_ratios(np.array([[1800.0], [5e-324]]), np.array([[2000.0], [2.0]]),
    ...                  np.array([[15000.0], [5e-324]]), np.array([[15000.0], [2.0]])).tolist()
    [[0.9], [1.0]]
    """
    tiny = np.finfo(float).tiny
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        per_head, base_per_head = w_unit / r_unit, w_base / r_base
        out = per_head / base_per_head
        normal = (((per_head >= tiny) | (w_unit == 0)) & (base_per_head >= tiny)
                  & np.isfinite(per_head) & np.isfinite(base_per_head)
                  & ((out >= tiny) | (out == 0)) & np.isfinite(out))
        if not normal.all():
            shares = (w_unit / w_base) * (r_base / r_unit)
            out = np.where(normal, out, shares)
    return out


def _check_base_totals(totals: pd.DataFrame, names: list[str], base: str) -> None:
    """Refuse a base whose total of a component is zero or not finite (no index exists)."""
    for name in names:
        values = totals[name].to_numpy()
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            where = ("England" if base == "england"
                     else f"ICB(s) {quoted(totals.index[bad])}")
            what = "zero" if np.isfinite(values[bad]).all() else "not a finite number"
            raise ValidationError(
                f"component: the total {name!r} weighted population of {where} is {what}; "
                f"a need index relative to it does not exist (choose another component, or "
                f"base='england')")


# ------------------------------------------------------------------------------ budgets
def _shares_converter(value: Mapping[str, float] | None) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(f"shares: expected a mapping component → share, got "
                              f"{type(value).__name__}")
    return {str(k): float(check_fraction(v, f"shares[{k!r}]")) for k, v in value.items()}


def _validate_shares(instance: Any, attribute: Any, value: dict[str, float] | None) -> None:
    if value is None:
        return
    unknown = [k for k in value if k not in COMPONENTS]
    if unknown:
        raise ValidationError(f"shares: unknown component(s) {quoted(unknown)}; expected "
                              f"some of {', '.join(COMPONENTS)}")
    if not value or abs(sum(value.values()) - 1.0) > 1e-9:
        raise ValidationError(f"shares: must add up to 1, got {sum(value.values()):g} "
                              f"({', '.join(f'{k} {v:g}' for k, v in value.items())})")


def _top_slices_converter(value: Mapping[str, float]) -> dict[str, float]:
    return {str(k): float(v) for k, v in dict(value).items()}


def _validate_top_slices(instance: Any, attribute: Any, value: dict[str, float]) -> None:
    devolved_resource(1.0, value)


def _check_pace(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, PaceOfChange):
        raise ValidationError(f"pace: expected a PaceOfChange or None, got "
                              f"{type(value).__name__}")


@attrs.frozen
class WeightedCapitation:
    """How a commissioner sets budgets from NHS England's weighted populations.

    Parameters
    ----------
    shares : dict of str to float, optional
        Share of the devolved resource for each component of
        :data:`~pbcmodel.weighted.COMPONENTS` (adding up to 1), e.g. general and acute,
        community, mental health, maternity, prescribing and primary medical care, as the
        commissioner states them (NHS England's relative weights are in its Workbook J).
        ``None`` (default): the core index alone (``{"core": 1.0}``).
    top_slices : dict of str to float
        Named fractions of the resource held back before devolution.
    pace : PaceOfChange, optional
        Limits on the move from historic budgets; used only when historic budgets are given.

    Examples
    --------
    >>> WeightedCapitation(shares={"general_and_acute": 0.7, "prescribing": 0.3}).components
    ('general_and_acute', 'prescribing')
    """

    shares: dict[str, float] | None = attrs.field(default=None, converter=_shares_converter,
                                                  validator=_validate_shares)
    top_slices: dict[str, float] = attrs.field(factory=dict, converter=_top_slices_converter,
                                               validator=_validate_top_slices)
    pace: PaceOfChange | None = attrs.field(default=None, validator=_check_pace)

    @property
    def components(self) -> tuple[str, ...]:
        """The components budgets are split into (their column order)."""
        return tuple(self.weights)

    @property
    def weights(self) -> dict[str, float]:
        """Share of the devolved resource per component (``{"core": 1.0}`` by default)."""
        return dict(self.shares) if self.shares is not None else {"core": 1.0}

    def evolve(self, **changes: Any) -> WeightedCapitation:
        """A copy with some fields changed (:func:`attrs.evolve`)."""
        return attrs.evolve(self, **changes)

    def describe(self) -> list[str]:
        """The formula in words, one line per choice.

        Examples
        --------
        >>> WeightedCapitation(top_slices={"contingency": 0.01}).describe()[:2]
        ['weighted populations: core 100%', 'top-slices: contingency 1.0%']
        """
        slices = ", ".join(f"{k} {v:.1%}" for k, v in self.top_slices.items())
        return [
            "weighted populations: " + ", ".join(f"{k} {v:.0%}" for k, v in self.weights.items()),
            "top-slices: " + (slices or "none"),
            "pace of change: " + (self.pace.describe() if self.pace is not None
                                  else "none (budgets go straight to target)"),
        ]

    # the steps ----------------------------------------------------------------------------
    def targets(self, wp: WeightedPopulations, resource: float) -> pd.DataFrame:
        """Fair-share targets, practice × component, in float pounds (no history, no rounding).

        Each component's pot (devolved resource × its share) is split in proportion to the
        practices' weighted populations of that component.
        """
        devolved, _ = devolved_resource(resource, self.top_slices)
        frame = wp.frame
        out = {}
        for name, share in self.weights.items():
            weighted = frame[name].to_numpy()
            total = weighted.sum()
            if not total > 0:
                raise ValidationError(f"weighted populations: total {name!r} is zero; "
                                      "nothing to share by it")
            out[name] = weighted / total * share * devolved
        return pd.DataFrame(out, index=wp.codes)

    def _totals(self, wp: WeightedPopulations, target: pd.DataFrame,
                historic: pd.Series | None) -> pd.Series:
        total = target.sum(axis=1).rename("total")
        if historic is None or self.pace is None:
            return total
        return self.pace.apply(_historic(historic, wp), total)

    def budgets_pence(self, wp: WeightedPopulations, resource: float,
                      historic: pd.Series | None = None) -> pd.DataFrame:
        """Budgets in whole pence (``int64``): practice × component plus ``total``.

        The devolved total is the resource in whole pence less each top-slice in whole pence
        (each rounded to the nearest penny, halves to even as :func:`pbcmodel.money.to_pence`,
        but without its per-entry limit: a national resource exceeds it); practice
        totals are that amount split by largest remainder (so they add up to it exactly),
        and each practice's total is split the same way across components in its target
        proportions. With ``historic`` budgets (pounds per practice) and a :attr:`pace`,
        the practice totals are first moved from them under the pace-of-change limits.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> wp = pbc.datasets.england()
        >>> b = WeightedCapitation(top_slices={"reserve": 0.005}).budgets_pence(wp, 1e11)
        >>> int(b["total"].sum()), int((b["total"] == b["core"]).all())
        (9950000000000, 1)
        """
        check_positive(resource, "resource")
        settleable(resource, "resource")    # paid in pence: 1e17 would wrap round, 1e300 overflow
        _, held = devolved_resource(resource, self.top_slices)
        devolved_pence = _whole_pence(resource) - sum(_whole_pence(v) for v in held.values())
        target = self.targets(wp, resource)
        totals = self._totals(wp, target, historic).to_numpy()
        total_pence = apportion(totals[None, :] * 100.0, np.array([devolved_pence]))[0]
        parts = target.to_numpy()
        row_sum = parts.sum(axis=1, keepdims=True)
        mix = np.divide(parts, row_sum, out=np.full_like(parts, 1.0 / parts.shape[1]),
                        where=row_sum > 0)
        pence = apportion(mix, total_pence)
        out = pd.DataFrame(pence, index=wp.codes, columns=list(self.components))
        out["total"] = total_pence
        return out

    def budgets(self, wp: WeightedPopulations, resource: float,
                historic: pd.Series | None = None) -> pd.DataFrame:
        """Budgets in pounds (whole pence): practice × component plus ``total``.

        :meth:`budgets_pence` ÷ 100; the totals add up to the resource less top-slices.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> wp = pbc.datasets.england().subset(icb="QWO")
        >>> b = WeightedCapitation().budgets(wp, resource=1.5e9)
        >>> float(b.loc["B85005", "total"])
        3300819.21
        """
        return self.budgets_pence(wp, resource, historic) / 100.0

    def explain(self, wp: WeightedPopulations, practice: str, resource: float,
                historic: pd.Series | None = None) -> pd.DataFrame:
        """The derivation of one practice's budget, line by line.

        Columns ``step``, ``description``, ``value`` (patients, a weighted population, a
        share or pounds), ``amount`` (pounds contributed) and ``kind``. The ``amount`` of
        the rows whose ``kind`` is ``"adjustment"`` add up to the final budget (the last
        row), which equals :meth:`budgets` for the practice.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> wp = pbc.datasets.england().subset(icb="QWO")
        >>> f = WeightedCapitation(top_slices={"contingency": 0.01})
        >>> e = f.explain(wp, "B85005", resource=1.5e9)
        >>> bool(abs(e.loc[e.kind == "adjustment", "amount"].sum() - e.amount.iloc[-1]) < 1e-6)
        True
        """
        code = str(practice).strip().upper()
        if code not in wp.codes:
            raise ValidationError(f"practice: unknown practice code {practice!r}")
        resource = check_positive(resource, "resource")
        devolved, held = devolved_resource(resource, self.top_slices)
        i = wp.codes.get_loc(code)
        frame = wp.frame
        final = float(self.budgets(wp, resource, historic)["total"].iloc[i])
        registered = float(frame["registered"].iloc[i])
        rows: list[tuple[str, str, str, float, float]] = [
            ("input", "registered patients", "NHS England's projected registered list",
             registered, np.nan)]
        share = 0.0
        for name, weight in self.weights.items():
            wpop = float(frame[name].iloc[i])
            part = wpop / float(frame[name].sum())
            share += weight * part
            rows.append(("input", f"{name} weighted population",
                         f"÷ registered = {wpop / registered:.4f} per head", wpop, np.nan))
            rows.append(("input", f"{name} share",
                         f"of the total; {weight:.0%} of the resource is shared by it", part,
                         np.nan))
        rows.append(("adjustment", "share of resource",
                     f"weighted share {share:.6%} × resource £{resource:,.2f}",
                     share * resource, share * resource))
        rows += top_slice_rows(share, held)
        target = share * devolved
        rows.append(("subtotal", "fair-share target", "share of the devolved resource",
                     target, np.nan))
        paced = target
        if historic is not None:
            h = float(_historic(historic, wp).iloc[i])
            rows.append(("input", "historic budget", "last year's budget", h, np.nan))
            if self.pace is not None:
                totals = self._totals(wp, self.targets(wp, resource), historic)
                paced = float(totals.iloc[i])
                rows.append(("adjustment", "pace-of-change adjustment", self.pace.describe(),
                             paced - target, paced - target))
        rows.append(("adjustment", "rounding to whole pence",
                     "pennies allocated by largest remainder so budgets add up exactly",
                     final - paced, final - paced))
        rows.append(("result", "final budget", "budget for the year", final, final))
        out = pd.DataFrame(rows, columns=["kind", "step", "description", "value", "amount"])
        return out[["step", "description", "value", "amount", "kind"]]

    def path(self, years: Sequence[WeightedPopulations], resources: Sequence[float],
             historic: pd.Series | None = None) -> pd.DataFrame:
        """Budgets over several published years: each year's start is the year before.

        Parameters
        ----------
        years : sequence of WeightedPopulations
            One per year, in order (e.g. the three published years 2026/27 to 2028/29),
            listing the same practices.
        resources : sequence of float
            The resource of each year (pounds, before top-slices).
        historic : Series, optional
            Budgets of the year before the first (pounds per practice); with a :attr:`pace`
            every year moves from the year before under its limits.

        Returns
        -------
        DataFrame
            Practice × year label: total budget in pounds (whole pence); each column adds up
            to that year's resource less top-slices.

        Examples
        --------
        >>> import pbcmodel as pbc
        >>> wps = [pbc.datasets.england(y).subset(icb="QWO") for y in pbc.datasets.ENGLAND_YEARS]
        >>> p = WeightedCapitation().path(wps, [1.50e9, 1.55e9, 1.60e9])
        >>> [round(float(v)) for v in p.sum()]
        [1500000000, 1550000000, 1600000000]
        """
        if len(years) != len(resources) or not years:
            raise ValidationError(f"path: give one resource per year; got {len(years)} "
                                  f"year(s) and {len(resources)} resource(s)")
        codes = years[0].codes
        out = {}
        last = historic
        for k, (wp, resource) in enumerate(zip(years, resources, strict=True)):
            if not isinstance(wp, WeightedPopulations):
                raise ValidationError(f"path: year {k + 1} is not WeightedPopulations")
            if not wp.codes.sort_values().equals(codes.sort_values()):
                diff = wp.codes.symmetric_difference(codes)
                raise ValidationError(f"path: year {wp.year or k + 1} lists other practices "
                                      f"than the first year: {quoted(diff)}")
            wp_k = wp.subset(codes) if not wp.codes.equals(codes) else wp
            total = self.budgets(wp_k, resource, last)["total"]
            label = wp.year or f"year {k + 1}"
            if label in out:
                raise ValidationError(f"path: year {label!r} given twice")
            out[label] = total.reindex(codes)
            last = out[label]
        frame = pd.DataFrame(out, index=codes)
        frame.columns.name = "year"
        return frame


def _whole_pence(pounds: float) -> int:
    """Pounds → whole pence as a Python int (exact at any national size)."""
    return round(float(pounds) * 100)


def _historic(historic: Any, wp: WeightedPopulations) -> pd.Series:
    h = finite_series(historic, "historic")
    h.index = normalise_codes(h.index)
    missing, extra = wp.codes.difference(h.index), h.index.difference(wp.codes)
    if len(missing) or len(extra) or h.index.has_duplicates:
        parts = ([f"no budget for practice(s) {quoted(missing)}"] if len(missing) else []) + (
            [f"unknown practice code(s) {quoted(extra)}"] if len(extra) else []) + (
            ["duplicated practice codes"] if h.index.has_duplicates else [])
        raise ValidationError("historic: " + "; ".join(parts))
    return h.reindex(wp.codes)
