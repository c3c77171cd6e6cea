"""Footprints: who holds a capitated budget, as a map practice → footprint.

A footprint is a group of practices that holds one budget: a primary care network (PCN,
the size of a neighbourhood), a place (several neighbourhoods, e.g. a local authority
district), an ICB, or a grouping of the user's own. A :class:`Footprints` is made real by
:meth:`Footprints.apply`, which puts each practice's footprint in the consortium column of a
:class:`~pbcmodel.population.Population`; a scenario whose consortia hold the budgets then
gives one budget per footprint.

England's footprints ship with :func:`pbcmodel.datasets.footprints`; a mapping file is read
by :func:`pbcmodel.io.read_footprints`.

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.footprints import Footprints
>>> fp = Footprints(pd.Series({"A1": "N", "A2": "N", "B1": "S"}),
...                 names=pd.Series({"N": "North PCN", "S": "South PCN"}))
>>> fp.n_footprints, fp.practices_in("n").tolist()
(2, ['A1', 'A2'])
>>> fp.sizes(pd.Series({"A1": 4000, "A2": 6000, "B1": 9000})).to_dict()
{'N': 10000, 'S': 9000}
"""

from __future__ import annotations

from typing import Any

import attrs
import pandas as pd

from .codes import blank_codes, normalise_codes
from .errors import ValidationError
from .population import Population
from .validation import quoted, read_view, require_same_codes

__all__ = ["FOOTPRINT_LEVELS", "Footprints"]

#: What a footprint is: a PCN (≈ neighbourhood), a place (several neighbourhoods), an ICB
#: (≈ integrated health organisation) or a grouping of the user's own.
FOOTPRINT_LEVELS: tuple[str, ...] = ("pcn", "place", "icb", "custom")


def _mapping(value: Any) -> pd.Series:
    """The practice → footprint map: codes normalised, each practice once, nothing blank."""
    if not isinstance(value, pd.Series):
        raise ValidationError(f"footprints: footprint: expected a Series practice code → "
                              f"footprint code, got {type(value).__name__}")
    if value.empty:
        raise ValidationError("footprints: footprint: no practice; expected one entry per "
                              "practice")
    no_code = blank_codes(value.index)
    if no_code.any():
        raise ValidationError(f"footprints: a blank practice code (footprint(s) "
                              f"{quoted(value[no_code].tolist())})")
    practices = normalise_codes(value.index.to_series())
    no_footprint = blank_codes(value)
    if no_footprint.any():
        raise ValidationError(f"footprints: practice(s) {quoted(practices[no_footprint])} "
                              "have a blank footprint code")
    footprint = pd.Series(normalise_codes(value).to_numpy(), dtype=object,
                          index=pd.Index(practices.to_numpy(), name="practice"),
                          name="footprint")
    twice = footprint.index.duplicated(keep=False)
    if twice.any():
        first = footprint.index[twice][0]
        held = footprint[footprint.index == first]
        where = ("twice in footprint " + repr(held.iloc[0]) if held.nunique() == 1
                 else f"in two footprints {quoted(held.unique())}")
        raise ValidationError(f"footprints: practice {first!r} is {where}"
                              + (f" (and {quoted(footprint.index[twice].unique()[1:])})"
                                 if footprint.index[twice].nunique() > 1 else ""))
    return footprint


def _per_footprint(value: Any, codes: pd.Index, what: str) -> pd.Series | None:
    """``names`` or ``icb``: footprint → text, for footprints of the mapping only."""
    if value is None:
        return None
    if not isinstance(value, pd.Series):
        raise ValidationError(f"footprints: {what}: expected a Series footprint code → "
                              f"{what}, got {type(value).__name__}")
    keys = normalise_codes(value.index.to_series())
    if keys.duplicated().any():
        raise ValidationError(f"footprints: {what}: footprint(s) "
                              f"{quoted(keys[keys.duplicated()].unique())} listed twice")
    empty = pd.Index(keys).difference(codes)
    if len(empty):
        raise ValidationError(f"footprints: empty footprint(s) {quoted(empty)} (in {what} "
                              "but no practice is in them)")
    blank = blank_codes(value)
    if blank.any():
        raise ValidationError(f"footprints: {what}: blank for footprint(s) "
                              f"{quoted(keys[blank])}")
    text = value.astype(str).str.strip()
    if what == "icb":
        text = normalise_codes(text)
        missing = codes.difference(pd.Index(keys))
        if len(missing):
            raise ValidationError(f"footprints: icb: no ICB for footprint(s) {quoted(missing)}")
    return pd.Series(text.to_numpy(), dtype=object, name=what,
                     index=pd.Index(keys.to_numpy(), name="footprint"))


def _level(value: Any) -> str:
    if value not in FOOTPRINT_LEVELS:
        raise ValidationError(f"footprints: level: expected one of "
                              f"{', '.join(FOOTPRINT_LEVELS)}, got {value!r}")
    return str(value)


@attrs.frozen(eq=False, repr=False)
class Footprints:
    """Practices grouped into footprints, each of which holds one capitated budget.

    Parameters
    ----------
    footprint : Series
        Practice code → footprint code, every practice once. Codes are compared as
        :func:`~pbcmodel.codes.normalise_codes` writes them (spaces trimmed, upper case).
    names : Series, optional
        Footprint code → name (text as given). A footprint not listed is shown by its code.
    icb : Series, optional
        Footprint code → ICB code, for every footprint.
    level : {"pcn", "place", "icb", "custom"}
        What the footprints are (default ``"custom"``).
    source : str
        Where the mapping comes from (a file, or the attribution of published data); shown
        by ``repr`` and in errors.

    The object keeps its own copies of the Series it is given and hands out read-only views.

    Raises
    ------
    ValidationError
        A blank practice or footprint code; a practice in two footprints (or listed twice in
        one); ``names`` or ``icb`` naming a footprint no practice is in (an empty
        footprint); a footprint with no ICB when ``icb`` is given; an unknown ``level``.

    Examples
    --------
    >>> import pandas as pd
    >>> Footprints(pd.Series({"A1": "N", "A1 ": "S"}))
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: footprints: practice 'A1' is in two footprints 'N', 'S'
    >>> Footprints(pd.Series({"A1": "N"}), names=pd.Series({"N": "North", "E": "East"}))
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: footprints: empty footprint(s) 'E' (in names but no ...
    """

    _footprint: pd.Series = attrs.field(converter=_mapping)
    _names: pd.Series | None = attrs.field(default=None, kw_only=True)
    _icb: pd.Series | None = attrs.field(default=None, kw_only=True)
    level: str = attrs.field(default="custom", kw_only=True, converter=_level)
    source: str = attrs.field(default="", kw_only=True, converter=str)

    def __attrs_post_init__(self) -> None:
        codes = pd.Index(self._footprint.unique())
        object.__setattr__(self, "_names", _per_footprint(self._names, codes, "names"))
        object.__setattr__(self, "_icb", _per_footprint(self._icb, codes, "icb"))

    # what it holds (read-only views) ------------------------------------------------------
    @property
    def footprint(self) -> pd.Series:
        """Practice → footprint code (index ``practice``)."""
        return read_view(self._footprint)

    @property
    def names(self) -> pd.Series | None:
        """Footprint → name, or ``None``."""
        return None if self._names is None else read_view(self._names)

    @property
    def icb(self) -> pd.Series | None:
        """Footprint → ICB code, or ``None``."""
        return None if self._icb is None else read_view(self._icb)

    @property
    def codes(self) -> pd.Index:
        """Footprint codes, in the order their first practice appears."""
        return pd.Index(self._footprint.unique(), name="footprint")

    @property
    def n_footprints(self) -> int:
        """Number of footprints."""
        return int(self._footprint.nunique())

    @property
    def practices(self) -> pd.Index:
        """Practice codes, in the mapping's order."""
        return self._footprint.index

    def practices_in(self, code: str) -> pd.Index:
        """The practices of one footprint (its code in any case).

        Examples
        --------
        >>> import pandas as pd
        >>> Footprints(pd.Series({"A1": "N"})).practices_in("S")
        Traceback (most recent call last):
        ...
        pbcmodel.errors.ValidationError: footprints: unknown footprint 'S'; known: 'N'
        """
        wanted = normalise_codes([code])[0]
        if wanted not in self.codes:
            raise ValidationError(f"footprints: unknown footprint {code!r}; known: "
                                  f"{quoted(self.codes)}")
        return self._footprint.index[self._footprint.to_numpy() == wanted]

    # sizes --------------------------------------------------------------------------------
    def sizes(self, list_size: pd.Series) -> pd.Series:
        """Patients per footprint: ``list_size`` (practice → patients) summed.

        ``list_size`` must list exactly the footprints' practices (e.g.
        ``Population.list_size`` or ``WeightedPopulations.list_size``).

        Examples
        --------
        >>> import pandas as pd
        >>> fp = Footprints(pd.Series({"A1": "N", "B1": "S"}))
        >>> fp.sizes(pd.Series({"A1": 10}))
        Traceback (most recent call last):
        ...
        pbcmodel.errors.ValidationError: footprints: list_size: missing practice code(s) 'B1'
        """
        if not isinstance(list_size, pd.Series):
            raise ValidationError(f"footprints: list_size: expected a Series practice → "
                                  f"patients, got {type(list_size).__name__}")
        given = list_size.set_axis(normalise_codes(list_size.index))
        require_same_codes(self.practices, given.index, "footprints: list_size")
        sizes = given.reindex(self.practices).groupby(self._footprint.to_numpy(),
                                                      sort=False).sum()
        return sizes.reindex(self.codes).rename("list_size")

    def table(self, list_size: pd.Series) -> pd.DataFrame:
        """One row per footprint: ``name``, ``icb``, ``practices`` and ``list_size``.

        Examples
        --------
        >>> import pandas as pd
        >>> fp = Footprints(pd.Series({"A1": "N", "A2": "N"}), icb=pd.Series({"N": "QWO"}))
        >>> fp.table(pd.Series({"A1": 1, "A2": 2})).loc["N"].to_dict()
        {'name': 'N', 'icb': 'QWO', 'practices': 2, 'list_size': 3}
        """
        sizes = self.sizes(list_size)
        codes = self.codes
        names = (pd.Series(codes, index=codes) if self._names is None
                 else self._names.reindex(codes).fillna(pd.Series(codes, index=codes)))
        icb = (pd.Series(None, index=codes, dtype=object) if self._icb is None
               else self._icb.reindex(codes))
        count = self._footprint.value_counts(sort=False).reindex(codes)
        return pd.DataFrame({"name": names.to_numpy(), "icb": icb.to_numpy(),
                             "practices": count.to_numpy(), "list_size": sizes.to_numpy()},
                            index=codes)

    # checks and use -----------------------------------------------------------------------
    def check_one_icb(self, icb_code: str) -> None:
        """Refuse footprints that reach beyond one ICB, naming the other ICB and practices.

        Examples
        --------
        >>> import pandas as pd
        >>> fp = Footprints(pd.Series({"A1": "N", "B1": "S"}),
        ...                 icb=pd.Series({"N": "QWO", "S": "QHM"}))
        >>> fp.check_one_icb("qwo")
        Traceback (most recent call last):
        ...
        pbcmodel.errors.ValidationError: footprints: expected the practices of ICB 'QWO' only; ...
        """
        if self._icb is None:
            raise ValidationError("footprints: no ICB is given for the footprints; cannot "
                                  f"check that they are all in {icb_code!r}")
        wanted = normalise_codes([icb_code])[0]
        icb = self._footprint.map(self._icb)
        other = icb != wanted
        if other.any():
            first = icb[other].iloc[0]
            raise ValidationError(f"footprints: expected the practices of ICB {wanted!r} only; "
                                  f"practice(s) {quoted(icb.index[(icb == first).to_numpy()])} "
                                  f"are in ICB {first!r}"
                                  + (f" (other ICBs: {quoted(icb[other].unique()[1:])})"
                                     if icb[other].nunique() > 1 else ""))

    def apply(self, pop: Population) -> Population:
        """The same population with each practice's consortium set to its footprint.

        Counts, list sizes, commissioners and the cost index are unchanged. Every practice
        of ``pop`` must be in a footprint, and every footprint practice in ``pop``.

        Examples
        --------
        >>> from pbcmodel.datasets import example_population
        >>> pop = example_population()
        >>> half = pd.Series(["EAST", "WEST"] * 30, index=pop.codes)
        >>> Footprints(half).apply(pop).units("consortium").value_counts().to_dict()
        {'EAST': 30, 'WEST': 30}
        """
        if not isinstance(pop, Population):
            raise ValidationError(f"footprints: apply: expected a Population, got "
                                  f"{type(pop).__name__}")
        codes = normalise_codes(pop.codes)
        no_footprint = codes.difference(self.practices, sort=False)
        if len(no_footprint):
            raise ValidationError(f"footprints: {len(no_footprint):,} practice(s) of the "
                                  f"population have no footprint: {quoted(no_footprint)}"
                                  + (f" ({self.source})" if self.source else ""))
        unknown = self.practices.difference(codes, sort=False)
        if len(unknown):
            raise ValidationError(f"footprints: unknown practice codes {quoted(unknown)} "
                                  f"({len(unknown):,} not in the population)")
        hierarchy = pop.hierarchy.copy()
        hierarchy["consortium"] = self._footprint.reindex(codes).to_numpy()
        return Population(counts=pop.counts, hierarchy=hierarchy, cost_index=pop.cost_index)

    # display ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        icbs = "" if self._icb is None else f", {self._icb.nunique()} ICB(s)"
        source = f"; {self.source[:60]}{'…' if len(self.source) > 60 else ''}" \
            if self.source else ""
        return (f"Footprints({self.n_footprints:,} {self.level} footprint(s) of "
                f"{len(self._footprint):,} practices{icbs}{source})")

    def _repr_html_(self) -> str:
        from .html_tables import summary_html

        count = self._footprint.value_counts(sort=False).reindex(self.codes)
        table = pd.DataFrame({"practices": count})
        if self._names is not None:
            table.insert(0, "name", self._names.reindex(self.codes).fillna(""))
        if self._icb is not None:
            table["icb"] = self._icb.reindex(self.codes)
        notes = [f"first 20 of {self.n_footprints:,}"] if len(table) > 20 else None
        return summary_html(repr(self), table.head(20), notes)
