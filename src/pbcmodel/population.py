"""Registered patients by practice × age band × sex, and practice → consortium → commissioner.

A :class:`Population` is the base of every budget and every risk figure: capitation
weights a practice's registered list by age and sex, and the risk engine draws one
annual cost per registered patient.

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.population import Population
>>> df = pd.DataFrame({
...     "practice": ["A", "A", "B"], "consortium": ["North", "North", "South"],
...     "age_band": ["0_4", "65_69", "65_69"], "sex": ["F", "M", "F"],
...     "patients": [100, 50, 80]})
>>> pop = Population.from_frame(df)
>>> pop.list_size.to_dict()
{'A': 150, 'B': 80}
>>> pop.practices.loc["B", "consortium"]
'South'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from .codes import AGE_BANDS, CELLS, SEXES
from .errors import ValidationError
from .validation import (
    finite_series,
    own_copy,
    quoted,
    read_view,
    require_columns,
    require_same_codes,
    whole_counts,
)

__all__ = ["LEVELS", "Population"]

#: Levels of the commissioning hierarchy a population can be grouped by.
LEVELS: tuple[str, ...] = ("practice", "consortium", "commissioner")

Level = Literal["practice", "consortium", "commissioner"]


def _check_counts(counts: Any) -> None:
    if not isinstance(counts, pd.DataFrame):
        raise ValidationError(f"counts: expected a DataFrame practice × (age_band, sex), got "
                              f"{type(counts).__name__}")
    if not counts.columns.equals(CELLS):
        raise ValidationError(
            "counts: columns must be every (age_band, sex) cell in standard order"
        )
    values = counts.to_numpy()
    if values.dtype.kind not in "iu":
        raise ValidationError("counts: patient counts must be integers")
    if (values < 0).any():
        bad = counts.index[(values < 0).any(axis=1)]
        raise ValidationError(f"counts: negative patient count for practice(s) {quoted(bad)}")
    whole_counts(values, "counts", np.repeat(counts.index.to_numpy(dtype=object),
                                             values.shape[1]).reshape(values.shape))
    if counts.index.has_duplicates:
        raise ValidationError(
            f"counts: duplicate practice code(s) {quoted(counts.index[counts.index.duplicated()])}"
        )


@attrs.frozen(eq=False, repr=False)
class Population:
    """Registered patients of a commissioner's practices.

    Parameters
    ----------
    counts : DataFrame
        Index: practice code (``practice``); columns: a MultiIndex of every
        (age_band, sex) cell in :data:`~pbcmodel.codes.AGE_BANDS` × :data:`~pbcmodel.codes.SEXES`
        order; integer patient counts. Most users build one with :meth:`from_frame`.
    hierarchy : DataFrame
        Index: the same practice codes; columns ``consortium`` and ``commissioner``.
    cost_index : Series, optional
        A per-practice multiplier (> 0) of every patient's expected cost, e.g. a need index
        for morbidity or deprivation that age and sex do not capture (see
        :func:`pbcmodel.capitation.need_index`). ``None`` (default): 1 for every practice.
        The risk engine scales each practice's spend by it; its cv is unchanged.

    The population keeps its own copies of the frames it is given: editing them afterwards,
    or editing a frame it hands out (``pop.counts.iloc[0, 0] = -5``), cannot change it.

    Examples
    --------
    >>> from pbcmodel.datasets import example_population
    >>> pop = example_population()
    >>> pop.n_practices, sorted(pop.practices["consortium"].unique())[:2]
    (60, ['C1', 'C2'])
    """

    _counts: pd.DataFrame = attrs.field(converter=own_copy)
    _hierarchy: pd.DataFrame = attrs.field(converter=own_copy)
    _cost_index: pd.Series | None = attrs.field(default=None, converter=own_copy)

    def __attrs_post_init__(self) -> None:
        _check_counts(self._counts)
        if self._cost_index is not None:
            index = finite_series(self._cost_index, "cost_index")
            require_same_codes(self._counts.index, index.index, "cost_index")
            if (index <= 0).any():
                raise ValidationError(
                    f"cost_index: must be > 0, got {quoted(index[index <= 0].to_dict().items())}")
            object.__setattr__(self, "_cost_index",
                               index.reindex(self._counts.index).astype(float)
                               .rename("cost_index"))
        require_columns(self._hierarchy, ("consortium", "commissioner"), "hierarchy")
        if not self._hierarchy.index.equals(self._counts.index):
            raise ValidationError("hierarchy: index must list the same practices as counts")
        missing = self._hierarchy[["consortium", "commissioner"]].isna().any(axis=1)
        if missing.any():
            raise ValidationError(
                f"hierarchy: practice(s) {quoted(self._hierarchy.index[missing])} "
                "have no consortium or commissioner"
            )

    # the frames it holds (read-only views: writing into one never reaches the population)
    @property
    def counts(self) -> pd.DataFrame:
        """Patients, practice × (age_band, sex) (see the class parameters)."""
        return read_view(self._counts)

    @property
    def hierarchy(self) -> pd.DataFrame:
        """Practice → ``consortium`` and ``commissioner``."""
        return read_view(self._hierarchy)

    @property
    def cost_index(self) -> pd.Series | None:
        """The per-practice cost multiplier, or ``None`` (1 for every practice)."""
        return None if self._cost_index is None else read_view(self._cost_index)

    # construction -------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, sort: bool = True) -> Population:
        """Build a population from a tidy frame.

        Parameters
        ----------
        df : DataFrame
            Columns ``practice``, ``consortium``, ``age_band``, ``sex``, ``patients`` and
            optionally ``commissioner`` (default ``"ALL"``) and ``cost_index`` (the
            practice's cost multiplier, > 0, the same on each of its rows; see the class
            parameters). One row per practice × age band × sex; cells not listed have zero
            patients. Age bands are NHS quinary bands (``0_4`` … ``90_94``, ``95+``); sexes
            ``F`` and ``M``. Codes and labels have surrounding spaces removed and are then
            compared exactly.
        sort : bool
            ``True`` (default): practices in code order. ``False``: in the order they first
            appear in ``df`` (as :meth:`to_frame` writes them, so a population whose
            practices are not in code order reads back equal).

        Raises
        ------
        ValidationError
            On an empty frame, missing columns, blank codes, practice codes that differ
            only in case (``A81001`` and ``a81001``: one practice written two ways, or two
            that cannot be told apart), NaN, negative or non-integer counts, unknown age
            bands or sexes, duplicate rows, a practice with no (or more than one)
            consortium, or a ``cost_index`` that is not one number > 0 per practice.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"practice": ["A"], "consortium": ["C"], "age_band": ["95+"],
        ...                    "sex": ["F"], "patients": [3]})
        >>> Population.from_frame(df).counts.loc["A", ("95+", "F")]
        np.int64(3)
        >>> two = pd.DataFrame({"practice": ["B", "A"], "consortium": ["C", "C"],
        ...                     "age_band": ["95+", "95+"], "sex": ["F", "F"],
        ...                     "patients": [3, 4]})
        >>> Population.from_frame(two, sort=False).codes.tolist()
        ['B', 'A']
        """
        require_columns(df, ("practice", "consortium", "age_band", "sex", "patients"), "population")
        if df.empty:
            raise ValidationError("population: the frame has no rows; expected one row per "
                                  "practice × age band × sex")
        df = df.copy()
        if "commissioner" not in df.columns:
            df["commissioner"] = "ALL"
        keys = ["practice", "consortium", "commissioner", "age_band", "sex"]
        for col in keys:
            missing = df[col].isna()
            if missing.any():
                raise ValidationError(
                    f"population: column {col!r} is missing in row(s) {quoted(df.index[missing])}"
                )
            df[col] = df[col].astype(str).str.strip()
            blank = df[col] == ""
            if blank.any():
                raise ValidationError(
                    f"population: column {col!r} is blank in row(s) {quoted(df.index[blank])}")
        _check_case(df["practice"])
        _check_codes(df, "age_band", AGE_BANDS)
        _check_codes(df, "sex", SEXES)
        df["patients"] = _integer_counts(df["patients"], df["practice"])
        dup = df.duplicated(["practice", "age_band", "sex"], keep=False)
        if dup.any():
            first = df.loc[dup, ["practice", "age_band", "sex"]].iloc[0].tolist()
            raise ValidationError(
                f"population: duplicate rows for practice/age_band/sex {first} "
                f"(rows {quoted(df.index[dup])})"
            )
        tree = df.drop_duplicates(["practice", "consortium", "commissioner"])
        conflicted = tree["practice"].duplicated(keep=False)
        if conflicted.any():
            raise ValidationError(
                "population: practice(s) "
                f"{quoted(tree.loc[conflicted, 'practice'].unique())} belong to more than one "
                "consortium or commissioner"
            )
        counts = (
            df.pivot_table(index="practice", columns=["age_band", "sex"], values="patients",
                           aggfunc="sum", fill_value=0)
            .reindex(columns=CELLS, fill_value=0)
            .astype(np.int64)
        )
        if not sort:
            counts = counts.reindex(df["practice"].unique())
        counts.columns = CELLS
        counts.index = pd.Index(counts.index.astype(object), name="practice")
        hierarchy = (
            tree.set_index("practice")[["consortium", "commissioner"]]
            .reindex(counts.index)
            .astype(object)
        )
        index = None if "cost_index" not in df.columns else _cost_index_column(df, counts.index)
        return cls(counts=counts, hierarchy=hierarchy, cost_index=index)

    # views --------------------------------------------------------------------------------
    @property
    def codes(self) -> pd.Index:
        """Practice codes, in the order of every per-practice array."""
        return self._counts.index

    @property
    def n_practices(self) -> int:
        """Number of practices."""
        return len(self._counts)

    @property
    def list_size(self) -> pd.Series:
        """Registered list size per practice."""
        return self._counts.sum(axis=1).rename("list_size")

    @property
    def array(self) -> np.ndarray:
        """Counts as an int64 array of shape (practices, age bands, sexes)."""
        return self._counts.to_numpy().reshape(self.n_practices, len(AGE_BANDS), len(SEXES))

    @property
    def practices(self) -> pd.DataFrame:
        """One row per practice: consortium, commissioner, list_size, share aged 65+, mean age.

        Mean age uses band mid-points (97.5 for ``95+``).
        """
        arr = self.array.sum(axis=2)
        mid = np.arange(len(AGE_BANDS)) * 5 + 2.5
        size = arr.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_age = np.where(size > 0, arr @ mid / np.maximum(size, 1), np.nan)
            over_65 = np.where(size > 0, arr[:, 13:].sum(axis=1) / np.maximum(size, 1), np.nan)
        out = self._hierarchy.copy()
        out["list_size"] = size
        out["share_65_plus"] = over_65
        out["mean_age"] = mean_age
        return out

    def units(self, by: Level = "practice") -> pd.Series:
        """Map each practice to its unit at level ``by`` (practice, consortium or commissioner).

        Examples
        --------
        >>> from pbcmodel.datasets import example_population
        >>> example_population().units("consortium").iloc[0]
        'C1'
        """
        _check_level(by)
        if by == "practice":
            return pd.Series(self.codes, index=self.codes, name="practice")
        return self._hierarchy[by].copy()

    def cost_factor(self) -> np.ndarray:
        """:attr:`cost_index` as an array in practice order (ones when there is none).

        Examples
        --------
        >>> from pbcmodel.datasets import example_population
        >>> float(example_population().cost_factor().max())
        1.0
        """
        if self._cost_index is None:
            return np.ones(self.n_practices)
        return self._cost_index.to_numpy()

    def counts_by(self, by: Level = "practice") -> pd.DataFrame:
        """Patient counts summed to level ``by``; columns as :attr:`counts`.

        Examples
        --------
        >>> from pbcmodel.datasets import example_population
        >>> pop = example_population()
        >>> int(pop.counts_by("commissioner").to_numpy().sum()) == int(pop.list_size.sum())
        True
        """
        _check_level(by)
        if by == "practice":
            return self.counts
        grouped = self._counts.groupby(self._hierarchy[by].to_numpy(), sort=True).sum()
        grouped.index.name = by
        return grouped

    def subset(self, practices: Iterable[str] | None = None, *,
               consortium: str | Iterable[str] | None = None) -> Population:
        """A population restricted to some practices and/or consortia.

        Examples
        --------
        >>> from pbcmodel.datasets import example_population
        >>> example_population().subset(consortium="C2").practices["consortium"].unique().tolist()
        ['C2']
        """
        keep = np.ones(self.n_practices, dtype=bool)
        if practices is not None:
            wanted = pd.Index([practices] if isinstance(practices, str) else list(practices))
            unknown = wanted.difference(self.codes)
            if len(unknown):
                raise ValidationError(f"subset: unknown practice code(s) {quoted(unknown)}")
            keep &= self.codes.isin(wanted)
        if consortium is not None:
            wanted = pd.Index([consortium] if isinstance(consortium, str) else list(consortium))
            known = pd.Index(self._hierarchy["consortium"].unique())
            unknown = wanted.difference(known)
            if len(unknown):
                raise ValidationError(f"subset: unknown consortium code(s) {quoted(unknown)}")
            keep &= self._hierarchy["consortium"].isin(wanted).to_numpy()
        if not keep.any():
            raise ValidationError("subset: no practice matches")
        return Population(counts=self._counts[keep], hierarchy=self._hierarchy[keep],
                          cost_index=None if self._cost_index is None else self._cost_index[keep])

    def to_frame(self) -> pd.DataFrame:
        """The tidy form accepted by :meth:`from_frame`, which reads it back equal (with
        ``sort=False`` when the practices are not in code order).

        Non-zero cells only, except that a practice with no patients keeps one zero cell (so
        it is not lost); with a :attr:`cost_index`, a ``cost_index`` column.

        Examples
        --------
        >>> from pbcmodel.datasets import example_population
        >>> pop = example_population()
        >>> Population.from_frame(pop.to_frame()) == pop
        True
        """
        tidy = self._counts.stack(["age_band", "sex"], future_stack=True).rename("patients")
        empty = self._counts.index[self._counts.to_numpy().sum(axis=1) == 0]
        first = tidy.index.isin(pd.MultiIndex.from_product([empty, [CELLS[0][0]],
                                                            [CELLS[0][1]]]))
        tidy = tidy[(tidy > 0).to_numpy() | first].reset_index()
        tidy = tidy.join(self._hierarchy, on="practice")
        columns = ["practice", "consortium", "commissioner", "age_band", "sex", "patients"]
        if self._cost_index is not None:
            tidy = tidy.join(self._cost_index, on="practice")
            columns.append("cost_index")
        return tidy[columns]

    # dunder -------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Population):
            return NotImplemented
        same_index = (self._cost_index is None and other._cost_index is None) or (
            self._cost_index is not None and other._cost_index is not None
            and self._cost_index.equals(other._cost_index))
        return (self._counts.equals(other._counts) and self._hierarchy.equals(other._hierarchy)
                and same_index)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        h = self._hierarchy
        return (
            f"Population({self.n_practices} practices, {h['consortium'].nunique()} consortia, "
            f"{h['commissioner'].nunique()} commissioner(s), "
            f"{int(self._counts.to_numpy().sum()):,} patients)"
        )

    def _repr_html_(self) -> str:
        from .html_tables import summary_html

        summary = (
            self.practices.groupby("consortium")
            .agg(practices=("list_size", "size"), patients=("list_size", "sum"),
                 smallest=("list_size", "min"), largest=("list_size", "max"),
                 mean_age=("mean_age", "mean"))
            .round({"mean_age": 1})
        )
        return summary_html(repr(self), summary)


def _check_level(by: str) -> None:
    if by not in LEVELS:
        raise ValidationError(f"by: must be one of {LEVELS}, got {by!r}")


def _check_codes(df: pd.DataFrame, col: str, allowed: tuple[str, ...]) -> None:
    bad = ~df[col].isin(allowed)
    if bad.any():
        raise ValidationError(
            f"population: unknown {col} {quoted(df.loc[bad, col].unique())} in row(s) "
            f"{quoted(df.index[bad])}; expected one of {', '.join(allowed)}"
        )


def _check_case(practice: pd.Series) -> None:
    """Practice codes that differ only in case are refused (never merged, never split)."""
    codes = pd.Series(practice.unique())
    folded = codes.str.upper()
    clash = folded.duplicated(keep=False)
    if clash.any():
        raise ValidationError(
            f"population: practice codes {quoted(codes[clash].tolist())} differ only in case; "
            "write each practice's code one way (codes are compared exactly)")


def _cost_index_column(df: pd.DataFrame, codes: pd.Index) -> pd.Series:
    """The ``cost_index`` column of :meth:`Population.from_frame`: one number per practice."""
    values = pd.to_numeric(df["cost_index"], errors="coerce")
    bad = values.isna() & df["cost_index"].notna() | df["cost_index"].isna()
    if bad.any():
        raise ValidationError(f"population: cost_index missing or not a number in row(s) "
                              f"{quoted(df.index[bad])}")
    spread = values.groupby(df["practice"]).agg(["min", "max"])
    differs = spread["min"] != spread["max"]
    if differs.any():
        raise ValidationError(f"population: cost_index differs between the rows of practice(s) "
                              f"{quoted(spread.index[differs])}; give one value per practice")
    return spread["min"].reindex(codes).rename("cost_index")


def _integer_counts(patients: pd.Series, practice: pd.Series) -> pd.Series:
    values = pd.to_numeric(patients, errors="coerce")
    nan = values.isna()
    if nan.any():
        raise ValidationError(
            f"population: patients missing or not a number for practice(s) "
            f"{quoted(practice[nan].unique())} (rows {quoted(patients.index[nan])})"
        )
    counts = whole_counts(values.to_numpy(), "population: patients",
                          practice.to_numpy(dtype=object))
    return pd.Series(counts, index=patients.index)
