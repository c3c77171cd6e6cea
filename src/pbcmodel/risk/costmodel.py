"""Per-patient annual cost model: who uses each point of delivery, and how much it costs.

A :class:`CostModel` says, for every age band × sex × POD cell, the probability ``p_use``
that a registered patient has any cost at that POD in the year, the ``mean`` cost given
use and its coefficient of variation ``cv``. The severity given use is lognormal (default)
or gamma with that mean and cv. A patient's annual cost is the sum over PODs, which are
independent given the patient's age band and sex. The expected cost per head (the
capitation weight) of a cell and POD is ``p_use × mean``.

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.risk.costmodel import CostModel
>>> df = pd.DataFrame({"age_band": ["0_4"], "sex": ["F"], "pod": ["ae"],
...                    "p_use": [0.2], "mean": [150.0], "cv": [1.0]})
>>> model = CostModel.from_frame(df, complete=False)
>>> float(model.weights().loc[("0_4", "F"), "ae"])
30.0
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np
import pandas as pd
from scipy import special

from ..codes import AGE_BANDS, CELL_PODS, CELLS, PODS, SEXES
from ..errors import ValidationError
from ..validation import frames_equal, own_copy, quoted, read_view, require_columns

__all__ = ["FAMILIES", "CostModel"]

#: Severity families a :class:`CostModel` may use.
FAMILIES: tuple[str, ...] = ("lognormal", "gamma")

Family = Literal["lognormal", "gamma"]

_SHAPE = (len(AGE_BANDS) * len(SEXES), len(PODS))


def _check_table(table: pd.DataFrame) -> None:
    require_columns(table, ("p_use", "mean", "cv"), "cost model")
    if not table.index.equals(CELL_PODS):
        raise ValidationError(
            "cost model: index must be every (age_band, sex, pod) in standard order")
    for col, ok, expected in [("p_use", lambda v: (v >= 0) & (v <= 1), "in [0, 1]"),
                              ("mean", lambda v: v > 0, "> 0"),
                              ("cv", lambda v: v > 0, "> 0")]:
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
        nan = ~np.isfinite(values)
        if nan.any():
            raise ValidationError(
                f"cost model: {col} is missing or not finite for {quoted(table.index[nan])}"
            )
        bad = ~ok(values)
        if bad.any():
            raise ValidationError(
                f"cost model: {col} must be {expected}; got {quoted(values[bad].tolist())} "
                f"for {quoted(table.index[bad])}"
            )


def _check_family(family: str) -> None:
    if family not in FAMILIES:
        raise ValidationError(f"family: must be one of {FAMILIES}, got {family!r}")


@attrs.frozen(repr=False)
class CostModel:
    """Per-patient annual cost by age band × sex × POD.

    Parameters
    ----------
    table : DataFrame
        Index: every (age_band, sex, pod) in :data:`~pbcmodel.codes.AGE_BANDS` ×
        :data:`~pbcmodel.codes.SEXES` × :data:`~pbcmodel.codes.PODS` order; float columns
        ``p_use`` (in [0, 1]), ``mean`` (> 0, pounds given use) and ``cv`` (> 0). Most users
        build one with :meth:`from_frame` or :meth:`fit`.
    family : {"lognormal", "gamma"}
        Severity distribution given use.

    Examples
    --------
    >>> from pbcmodel.datasets import example_cost_model
    >>> model = example_cost_model()
    >>> model.family, model.table.shape
    ('lognormal', (280, 3))
    >>> CostModel.from_frame(model.to_frame()) == model    # a value: equal tables are equal
    True

    The model keeps its own copy of the table: editing the frame it was given, or the one
    :attr:`table` hands out (``model.table.iloc[0, 0] = -5``), cannot change it.
    """

    _table: pd.DataFrame = attrs.field(converter=own_copy,
                                       eq=attrs.cmp_using(eq=frames_equal))
    family: str = "lognormal"

    def __attrs_post_init__(self) -> None:
        _check_family(self.family)
        _check_table(self._table)

    @property
    def table(self) -> pd.DataFrame:
        """``p_use``, ``mean`` and ``cv`` by (age_band, sex, pod) (a view: writing into it
        never reaches the model)."""
        return read_view(self._table)

    def __repr__(self) -> str:
        per_head = self.weights().to_numpy().mean()
        return (f"CostModel({self.family}, {len(self._table)} age band × sex × POD cells, "
                f"mean weight £{per_head:,.2f} per cell)")

    # construction -------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, df: pd.DataFrame, family: Family = "lognormal", *,
                   complete: bool = True) -> CostModel:
        """Build a model from a tidy frame with columns age_band, sex, pod, p_use, mean, cv.

        Parameters
        ----------
        df : DataFrame
            One row per age band × sex × POD.
        family : {"lognormal", "gamma"}
            Severity family.
        complete : bool
            If True (default) every age band × sex × POD must be present. If False, cells
            not listed get ``p_use = 0`` (nobody uses that POD), with mean 1 and cv 1.

        Raises
        ------
        ValidationError
            Missing columns, unknown codes, duplicate rows, missing cells (when
            ``complete``), NaN, p_use outside [0, 1], mean ≤ 0 or cv ≤ 0.

        Examples
        --------
        >>> import pandas as pd
        >>> from pbcmodel.datasets import example_cost_model
        >>> df = example_cost_model().to_frame()
        >>> CostModel.from_frame(df, family="gamma").family
        'gamma'
        """
        _check_family(family)
        require_columns(df, ("age_band", "sex", "pod", "p_use", "mean", "cv"), "cost model")
        keys = df[["age_band", "sex", "pod"]].astype(str)
        for col, allowed in [("age_band", AGE_BANDS), ("sex", SEXES), ("pod", PODS)]:
            bad = ~keys[col].isin(allowed)
            if bad.any():
                raise ValidationError(
                    f"cost model: unknown {col} {quoted(keys.loc[bad, col].unique())}; "
                    f"expected one of {', '.join(allowed)}"
                )
        index = pd.MultiIndex.from_frame(keys)
        if index.has_duplicates:
            raise ValidationError(
                f"cost model: duplicate rows for {quoted(index[index.duplicated()].unique())}"
            )
        table = pd.DataFrame(df[["p_use", "mean", "cv"]].to_numpy(dtype=float, na_value=np.nan),
                             index=index, columns=["p_use", "mean", "cv"])
        missing = CELL_PODS.difference(index)
        if len(missing) and complete:
            raise ValidationError(f"cost model: no row for age_band/sex/pod {quoted(missing)}")
        filler = pd.DataFrame({"p_use": 0.0, "mean": 1.0, "cv": 1.0}, index=missing)
        table = pd.concat([table, filler]).reindex(CELL_PODS)
        table.index.names = ["age_band", "sex", "pod"]
        return cls(table=table, family=family)

    @classmethod
    def fit(cls, costs: pd.DataFrame, family: Family = "lognormal") -> CostModel:
        """Fit a model by the method of moments to a table of per-patient annual costs.

        Parameters
        ----------
        costs : DataFrame
            One row per patient: columns ``age_band``, ``sex`` and one column per POD in
            :data:`~pbcmodel.codes.PODS` holding that patient's cost for the year (pounds,
            0 for no use). ``p_use`` is the share of patients with a positive cost; ``mean``
            and ``cv`` are those of the positive costs (population standard deviation).
        family : {"lognormal", "gamma"}
            Severity family.

        Raises
        ------
        ValidationError
            Missing columns, NaN or negative costs, an age band × sex with no patients, or
            a cell × POD with fewer than two positive costs (its cv is unknown).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from pbcmodel.codes import AGE_BANDS, PODS
        >>> rows = [(b, s) for b in AGE_BANDS for s in "FM"] * 4
        >>> df = pd.DataFrame(rows, columns=["age_band", "sex"])
        >>> for pod in PODS:  # four patients per cell, costing 0, 100, 200 and 300
        ...     df[pod] = np.repeat([0.0, 100.0, 200.0, 300.0], 40)
        >>> m = CostModel.fit(df)
        >>> m.table.loc[("0_4", "F", "ae")].round(4).tolist()  # 3 of 4 used; mean 200, sd 81.65
        [0.75, 200.0, 0.4082]
        """
        _check_family(family)
        require_columns(costs, ("age_band", "sex", *PODS), "costs")
        values = costs[list(PODS)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            rows, cols = np.nonzero(bad)
            raise ValidationError(
                f"costs: missing or negative cost in column {PODS[cols[0]]!r} "
                f"at row(s) {quoted(costs.index[np.unique(rows)])}"
            )
        keys = pd.MultiIndex.from_frame(costs[["age_band", "sex"]].astype(str))
        long = pd.DataFrame(values, index=keys, columns=list(PODS))
        used = long.where(long > 0)
        grouped = used.groupby(level=["age_band", "sex"])
        n = long.groupby(level=["age_band", "sex"]).size().reindex(CELLS)
        if n.isna().any():
            raise ValidationError(
                f"costs: no patients in age_band/sex {quoted(n.index[n.isna()])}")
        count = grouped.count().reindex(CELLS)
        few = count < 2
        if few.to_numpy().any():
            where = few.stack()
            raise ValidationError(
                "costs: fewer than two positive costs (cv unknown) for age_band/sex/pod "
                f"{quoted(where.index[where.to_numpy()])}"
            )
        mean = grouped.mean().reindex(CELLS)
        cv = grouped.std(ddof=0).reindex(CELLS) / mean
        frame = pd.DataFrame({
            "p_use": (count.div(n, axis=0)).stack(),
            "mean": mean.stack(),
            "cv": cv.stack(),
        })
        frame.index.names = ["age_band", "sex", "pod"]
        return cls(table=frame.reindex(CELL_PODS), family=family)

    # views --------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The tidy form accepted by :meth:`from_frame`.

        Examples
        --------
        >>> from pbcmodel.datasets import example_cost_model
        >>> list(example_cost_model().to_frame().columns)
        ['age_band', 'sex', 'pod', 'p_use', 'mean', 'cv']
        """
        return self._table.reset_index()

    def weights(self) -> pd.DataFrame:
        """Expected cost per head (p_use × mean) as age band × sex (rows) by POD (columns).

        Examples
        --------
        >>> from pbcmodel.datasets import example_cost_model, example_cost_weights
        >>> w = example_cost_model().weights()
        >>> bool(np.allclose(w, example_cost_weights()))
        True
        """
        w = (self._table["p_use"] * self._table["mean"]).unstack("pod").reindex(
            index=CELLS, columns=list(PODS))
        w.columns.name = "pod"
        return w

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(p_use, mean, cv)`` as float arrays of shape (40 cells, 7 PODs), cells in
        (age_band, sex) order as in :attr:`pbcmodel.population.Population.counts`."""
        t = self._table
        return tuple(t[c].to_numpy(dtype=float).reshape(_SHAPE) for c in ("p_use", "mean", "cv"))

    def raw_moments(self, k: int) -> np.ndarray:
        """E[Y^k] of the severity given use, shape (40, 7), in closed form.

        Examples
        --------
        >>> from pbcmodel.datasets import example_cost_model
        >>> m = example_cost_model()
        >>> bool(np.allclose(m.raw_moments(1), m.arrays[1]))
        True
        """
        severity = Severity.of(self)
        return severity.raw_moment(k)

    def patient_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of one patient's annual cost per (age_band, sex) cell, shape (40,).

        Mean ``Σ p·m``; variance ``Σ [p·m²(1 + cv²) − (p·m)²]`` over PODs.

        Examples
        --------
        >>> from pbcmodel.datasets import example_cost_model
        >>> mean, var = example_cost_model().patient_moments()
        >>> mean.shape, bool((var > 0).all())
        ((40,), True)
        """
        p, m, cv = self.arrays
        mean = (p * m).sum(axis=1)
        var = (p * m**2 * (1 + cv**2) - (p * m) ** 2).sum(axis=1)
        return mean, var


@attrs.frozen
class Severity:
    """Vectorised severity distributions of a cost model (private helper, shape (40, 7)).

    Examples
    --------
    >>> from pbcmodel.datasets import example_cost_model
    >>> s = Severity.of(example_cost_model())
    >>> s.partial_moment(1, np.array([[[1e12]]]), upper=False).shape
    (40, 7, 1)
    """

    family: str
    mean: np.ndarray
    cv: np.ndarray

    @classmethod
    def of(cls, model: CostModel) -> Severity:
        _, m, cv = model.arrays
        return cls(model.family, m, cv)

    def _params(self) -> tuple[np.ndarray, np.ndarray]:
        if self.family == "lognormal":
            s2 = np.log1p(self.cv**2)
            return np.log(self.mean) - s2 / 2, np.sqrt(s2)
        shape = 1.0 / self.cv**2
        return shape, self.mean / shape

    def raw_moment(self, k: int) -> np.ndarray:
        """E[Y^k]."""
        a, b = self._params()
        if self.family == "lognormal":
            return np.exp(k * a + (k * b) ** 2 / 2)
        return b**k * np.exp(special.gammaln(a + k) - special.gammaln(a))

    def partial_moment(self, k: int, x: np.ndarray, *, upper: bool) -> np.ndarray:
        """E[Y^k; Y ≤ x] (``upper=False``) or E[Y^k; Y > x] (``upper=True``).

        ``x`` broadcasts against (40, 7, 1); accurate in the tail it is asked for.
        """
        a, b = (v[..., None] for v in self._params())
        total = self.raw_moment(k)[..., None]
        if self.family == "lognormal":
            with np.errstate(divide="ignore"):
                z = (np.log(x) - a - k * b**2) / b
            share = special.ndtr(-z) if upper else special.ndtr(z)
        else:
            share = special.gammaincc(a + k, x / b) if upper else special.gammainc(a + k, x / b)
        return total * share

    def isf_moment(self, k: int, tail: float) -> np.ndarray:
        """The x above which a share ``tail`` of E[Y^k] lies, shape (40, 7)."""
        a, b = self._params()
        if self.family == "lognormal":
            return np.exp(a + k * b**2 - b * special.ndtri(tail))
        return b * special.gammainccinv(a + k, tail)
