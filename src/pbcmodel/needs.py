"""A needs formula fitted from person-level costs: two-part GLM → weights, cost model, index.

Capitation weights are usually handed down from a national formula. With person-level data
(one row per registered person: age band, sex, a few morbidity and deprivation indicators,
last year's cost by point of delivery) a commissioner can fit its own, and see how well it
predicts: the person based resource allocation approach of Dixon et al. (BMJ
2011;343:d6608), who found such models explain about 12% of the variation in a person's
cost but 77% of the variation between practices, with about a third of practices' predicted
costs still 10% or more away from their actual costs.

:func:`fit_needs_model` fits, for every POD, a **two-part model**:

* the chance of any use, ``logit P(cost > 0) = α[age band × sex] + β·x`` (binomial GLM);
* the cost given use, ``log E[cost | cost > 0] = γ[age band × sex] + δ·x`` (gamma GLM with
  a log link),

with one intercept per age band × sex cell and the indicators ``x`` entering additively on
the link scale. The two parts are what :class:`~pbcmodel.risk.costmodel.CostModel` needs
(``p_use``, ``mean``, ``cv``), zeros (no use) are modelled as zeros rather than smoothed
over, and the gamma variance (∝ mean²) fits skewed costs. A single Tweedie model was
considered and not chosen: it gives the expected cost per head but not the two quantities
the risk engine draws from, and its power parameter must be estimated separately.

Choice of GLM library (the optional extra ``glm``)
--------------------------------------------------
Measured on this project's 2-core machine, fitting both parts of one POD on 1,000,000
persons (:func:`pbcmodel.datasets.persons.synthetic_persons`, 40 age-sex cells and 6
indicators), non-elective (7% users) / prescribing (61% users):

==============================  ==================  ===================  ================
library                         logistic part (s)   gamma part (s)       standard errors
==============================  ==================  ===================  ================
glum 3.4 (tabmat categoricals)  2.9 / 1.3           2.2 / 1.4            yes (incl.)
statsmodels 0.15 GLM (IRLS)     48.5 / 31.8         13.3 / 23.7          yes
scikit-learn 1.9 (newton-chol)  16.3 / 1.6          0.6 / 2.6            no
==============================  ==================  ===================  ================

glum is 10–25× faster than statsmodels, gives the covariance matrix (model-based,
heteroskedasticity-robust or clustered by practice), handles the age-sex categorical without
a dense dummy matrix, and with ``gradient_tol=1e-7`` (used here; tighter stalls in the line
search) its coefficients agree with statsmodels' to 1e-4, a few thousandths of a standard
error. scikit-learn is as fast in some cases but gives no standard errors.
So the extra is ``glm = ["glum>=3.0"]``; it is imported only inside :func:`fit_needs_model`.

Cost weights: the indicators at their cell means
------------------------------------------------
:meth:`NeedsModel.cost_weights` evaluates both parts at the **mean of each indicator within
the age band × sex cell** in the fitting data (the typical person of that age and sex), not at
zero (a person with none of the conditions, which would understate every weight) nor at the
overall mean (which would give an 85-year-old the morbidity of a 30-year-old). A needs index
then measures morbidity and deprivation beyond what is usual for a practice's age-sex mix.
Because cost is convex in the indicators on the link scale, the average person of a cell costs
a little more than a person with the cell's average indicators, so the weights sit a few per
cent below the cells' average costs and needs indices average a little above 1 (about 1.05–1.08
on the synthetic data). Budgets scaled to a fixed resource are largely unaffected, as the
shortfall is similar across cells.

Examples
--------
>>> import pytest
>>> _ = pytest.importorskip("glum")
>>> from pbcmodel.datasets.persons import synthetic_persons
>>> from pbcmodel.needs import fit_needs_model
>>> persons = synthetic_persons(100_000, seed=4)
>>> indicators = ["diabetes", "copd", "chd", "depression", "cancer", "deprived"]
>>> model = fit_needs_model(persons, indicators=indicators)
>>> model.cost_weights().shape
(40, 7)
>>> est = model.coefficients.loc[("prescribing", "use", "diabetes")]   # true value 2.0
>>> bool(abs(est["coef"] - 2.0) < 3 * est["std_error"])
True
>>> index = model.additional_need_index(persons)
>>> bool(index.between(0.9, 1.3).all())
True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd
from scipy import special

from .codes import AGE_BANDS, PODS, SEXES
from .errors import MissingDependencyError, ValidationError
from .risk.costmodel import CostModel
from .validation import quoted, require_columns

__all__ = ["GoodnessOfFit", "NeedsModel", "fit_needs_model"]

_CELLS = pd.MultiIndex.from_product([AGE_BANDS, SEXES], names=["age_band", "sex"])
_PARTS = ("use", "cost")
_GRADIENT_TOL = 1e-7

StandardErrors = Literal["cluster", "robust", "model"]


# ----------------------------------------------------------------------------- validation

def _cell_codes(persons: pd.DataFrame, what: str) -> np.ndarray:
    """Cell number 0..39 (age band × sex, standard order) of every row, or raise."""
    require_columns(persons, ("age_band", "sex"), what)
    out = []
    for col, allowed in [("age_band", AGE_BANDS), ("sex", SEXES)]:
        values = persons[col]
        codes = pd.Index(list(allowed)).get_indexer(values.astype(str).to_numpy())
        bad = (codes < 0) | values.isna().to_numpy()
        if bad.any():
            raise ValidationError(
                f"{what}: unknown {col} {quoted(pd.unique(values[bad].astype(str)))} at row(s) "
                f"{quoted(persons.index[bad])}; expected one of {', '.join(allowed)}")
        out.append(codes.astype(np.int64))
    return out[0] * len(SEXES) + out[1]


def _numeric(persons: pd.DataFrame, columns: Sequence[str], what: str, kind: str,
             *, non_negative: bool) -> np.ndarray:
    """The columns as a float matrix; raise naming the column and rows when bad."""
    out = np.empty((len(persons), len(columns)))
    for j, col in enumerate(columns):
        s = persons[col]
        if pd.api.types.is_bool_dtype(s):
            s = s.astype(float)
        elif not pd.api.types.is_numeric_dtype(s):
            raise ValidationError(f"{what}: {kind} column {col!r} must be numeric, "
                                  f"got dtype {s.dtype}")
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(v)
        if bad.any():
            raise ValidationError(f"{what}: {kind} column {col!r} is missing or not finite "
                                  f"at row(s) {quoted(persons.index[bad])}")
        if non_negative and (v < 0).any():
            raise ValidationError(f"{what}: negative {kind} in column {col!r} at row(s) "
                                  f"{quoted(persons.index[v < 0])}")
        out[:, j] = v
    return out


def _check_indicators(indicators: Sequence[str]) -> tuple[str, ...]:
    if isinstance(indicators, str):
        raise ValidationError(f"indicators: pass a list of column names, got the string "
                              f"{indicators!r}")
    names = tuple(str(i) for i in indicators)
    clash = [n for n in names if n in ("practice", "age_band", "sex", *PODS)]
    if clash:
        raise ValidationError(f"indicators: {quoted(clash)} is a reserved column, not an "
                              "indicator")
    if len(set(names)) != len(names):
        raise ValidationError(f"indicators: listed twice: "
                              f"{quoted(sorted({n for n in names if names.count(n) > 1}))}")
    return names


def _glum() -> Any:
    try:
        import glum
    except ImportError as exc:
        raise MissingDependencyError("glm", "fitting a needs model") from exc
    return glum


# ----------------------------------------------------------------------------- results

@attrs.frozen
class GoodnessOfFit:
    """How well a needs model predicts cost, as Dixon et al. (BMJ 2011;343:d6608) report it.

    Attributes
    ----------
    person_r2 : float
        R² of the predicted against actual total annual cost, person by person.
    practice_r2 : float
        R² of predicted against actual cost **per head**, practice by practice (each practice
        counts once).
    share_off_by_10pct : float
        Share of practices whose predicted cost is 10% or more above or below the actual.
    n_persons, n_practices : int
        Size of the sample assessed.
    """

    person_r2: float
    practice_r2: float
    share_off_by_10pct: float
    n_persons: int
    n_practices: int

    def to_series(self) -> pd.Series:
        """The figures as a Series."""
        return pd.Series(attrs.asdict(self), dtype=float)


def _arr_eq(a: dict[Any, np.ndarray], b: dict[Any, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


@attrs.frozen(repr=False)
class NeedsModel:
    """A fitted two-part needs model (see :func:`fit_needs_model`; do not build by hand).

    Attributes
    ----------
    coefficients : DataFrame
        Index (pod, part, term): part ``"use"`` (logit of P(use)) or ``"cost"`` (log of the
        mean cost given use); term ``"<age_band>:<sex>"`` for a cell's intercept or an
        indicator's name. Columns ``coef`` and ``std_error``.
    covariance : dict
        ``(pod, part)`` → covariance matrix of that part's coefficients, in term order.
    dispersion : Series
        Gamma dispersion φ of the cost given use by POD (Pearson estimate); ``cv = √φ``.
    indicators : tuple of str
        Indicator columns, in coefficient order.
    indicator_means : DataFrame
        Mean of each indicator in each age band × sex cell of the fitting data (cells seen
        only); the point at which :meth:`cost_weights` is evaluated.
    n_persons : int
        Persons the model was fitted on.
    standard_errors : str
        How the covariance was estimated (``"cluster"``, ``"robust"`` or ``"model"``).
    """

    coefficients: pd.DataFrame = attrs.field(eq=attrs.cmp_using(eq=lambda a, b: a.equals(b)))
    covariance: dict[tuple[str, str], np.ndarray] = attrs.field(eq=attrs.cmp_using(eq=_arr_eq))
    dispersion: pd.Series = attrs.field(eq=attrs.cmp_using(eq=lambda a, b: a.equals(b)))
    indicators: tuple[str, ...]
    indicator_means: pd.DataFrame = attrs.field(
        eq=attrs.cmp_using(eq=lambda a, b: a.equals(b)))
    n_persons: int
    standard_errors: str = "cluster"

    def __repr__(self) -> str:
        return (f"NeedsModel({len(self.pods)} PODs × two parts, {len(self.cells)} age-sex cells, "
                f"indicators: {', '.join(self.indicators) or 'none'}; "
                f"fitted on {self.n_persons:,} persons)")

    @property
    def pods(self) -> tuple[str, ...]:
        """PODs modelled."""
        return tuple(self.dispersion.index)

    @property
    def cells(self) -> pd.MultiIndex:
        """The (age_band, sex) cells seen in the fitting data."""
        return pd.MultiIndex.from_tuples(list(self.indicator_means.index),
                                         names=["age_band", "sex"])

    # linear predictors ---------------------------------------------------------------------
    def _part(self, pod: str, part: str) -> np.ndarray:
        index = self.coefficients.index
        mask = ((index.get_level_values("pod") == pod)
                & (index.get_level_values("part") == part))
        return self.coefficients["coef"].to_numpy()[mask]

    def _cell_slots(self, cell: np.ndarray, what: str, index: pd.Index) -> np.ndarray:
        """Position of each row's cell among the seen cells; raise for unseen cells."""
        seen = np.full(len(_CELLS), -1, dtype=np.int64)
        seen[_CELLS.get_indexer(self.cells)] = np.arange(len(self.cells))
        slot = seen[cell]
        bad = slot < 0
        if bad.any():
            unseen = _CELLS[np.unique(cell[bad])]
            raise ValidationError(
                f"{what}: the model never saw age_band/sex {quoted(list(unseen))} "
                f"(row(s) {quoted(index[bad])}); it cannot predict for them")
        return slot

    def _predict_arrays(self, slot: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(use) and mean cost given use, rows × PODs."""
        k = len(self.cells)
        p = np.empty((len(slot), len(self.pods)))
        m = np.empty_like(p)
        for j, pod in enumerate(self.pods):
            bu, bc = self._part(pod, "use"), self._part(pod, "cost")
            p[:, j] = special.expit(bu[:k][slot] + x @ bu[k:])
            m[:, j] = np.exp(bc[:k][slot] + x @ bc[k:])
        return p, m

    def _design(self, persons: pd.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
        cell = _cell_codes(persons, what)
        require_columns(persons, self.indicators, what)
        x = _numeric(persons, self.indicators, what, "indicator", non_negative=False)
        return self._cell_slots(cell, what, persons.index), x

    def _check_complete(self, what: str) -> None:
        missing = _CELLS.difference(self.cells)
        if len(missing):
            raise ValidationError(
                f"{what}: the model never saw age_band/sex {quoted(list(missing))}; fit it on "
                "persons covering every cell")

    # views ---------------------------------------------------------------------------------
    def cost_weights(self) -> pd.DataFrame:
        """Expected cost per head (pounds) by age band × sex (rows) and POD (columns).

        The layout of :func:`pbcmodel.datasets.example_cost_weights`: 40 rows indexed by
        (age_band, sex) in standard order, one column per POD (columns named ``pod``);
        ``P(use) × E[cost | use]`` with the indicators at their means in the cell (see the
        module docstring). Not rounded: round at presentation.

        Raises
        ------
        ValidationError
            The fitting data had no person in some age band × sex cell.

        Examples
        --------
        >>> import pytest
        >>> _ = pytest.importorskip("glum")
        >>> from pbcmodel.datasets.persons import example_needs_model
        >>> m = example_needs_model()   # outpatient_first and ae, adjusted for diabetes
        >>> w = m.cost_weights()
        >>> list(w.index.names), w.columns.name, bool((w > 0).all().all())
        (['age_band', 'sex'], 'pod', True)
        """
        p, m = self._cell_parts()
        return pd.DataFrame(p * m, index=_CELLS, columns=pd.Index(self.pods, name="pod"))

    def _cell_parts(self) -> tuple[np.ndarray, np.ndarray]:
        self._check_complete("cost weights")
        slot = np.arange(len(_CELLS))
        return self._predict_arrays(slot, self.indicator_means.reindex(_CELLS).to_numpy())

    def cost_weight_errors(self) -> pd.DataFrame:
        """Standard error of the log of each cost weight (≈ its relative standard error).

        Delta method: ``Var(log w) = (1 − p)² Var(η_use) + Var(η_cost)`` with ``η`` the
        linear predictors at the cell's mean indicators (the two parts are fitted on
        separate likelihoods, so their covariance is taken as zero). The indicator means are
        treated as known.

        Examples
        --------
        >>> import pytest
        >>> _ = pytest.importorskip("glum")
        >>> from pbcmodel.datasets.persons import example_needs_model
        >>> m = example_needs_model()   # outpatient_first and ae, adjusted for diabetes
        >>> se = m.cost_weight_errors()
        >>> bool((se["outpatient_first"] < se["ae"]).mean() > 0.5)
        True
        """
        self._check_complete("cost weight errors")
        p, _ = self._cell_parts()
        k = len(self.cells)
        design = np.hstack([np.eye(k), self.indicator_means.to_numpy()])  # rows: seen cells
        order = _CELLS.get_indexer(self.cells)
        out = np.empty((len(_CELLS), len(self.pods)))
        for j, pod in enumerate(self.pods):
            var_use = np.einsum("ij,jk,ik->i", design, self.covariance[(pod, "use")], design)
            var_cost = np.einsum("ij,jk,ik->i", design, self.covariance[(pod, "cost")], design)
            var = (1 - p[order, j]) ** 2 * var_use + var_cost
            out[order, j] = np.sqrt(var)
        return pd.DataFrame(out, index=_CELLS, columns=pd.Index(self.pods, name="pod"))

    def cost_model(self) -> CostModel:
        """A :class:`~pbcmodel.risk.costmodel.CostModel` (gamma severity) from the two parts.

        ``p_use`` and ``mean`` are the two parts at the cell's mean indicators, ``cv`` is
        ``√φ`` of the POD's gamma fit, so ``cost_model().weights()`` equals
        :meth:`cost_weights`.

        Examples
        --------
        >>> import pytest
        >>> _ = pytest.importorskip("glum")
        >>> import numpy as np
        >>> from pbcmodel.datasets.persons import example_needs_model
        >>> m = example_needs_model()   # outpatient_first and ae, adjusted for diabetes
        >>> cm = m.cost_model()
        >>> cm.family, bool(np.allclose(cm.weights()[list(m.pods)], m.cost_weights()))
        ('gamma', True)
        """
        p, m = self._cell_parts()
        cv = np.sqrt(self.dispersion.to_numpy())
        pods = list(self.pods)
        frame = pd.DataFrame({
            "age_band": np.repeat(_CELLS.get_level_values("age_band"), len(pods)),
            "sex": np.repeat(_CELLS.get_level_values("sex"), len(pods)),
            "pod": np.tile(pods, len(_CELLS)),
            "p_use": p.ravel(), "mean": m.ravel(), "cv": np.tile(cv, len(_CELLS)),
        })
        return CostModel.from_frame(frame, family="gamma", complete=set(pods) == set(PODS))

    def predict(self, persons: pd.DataFrame) -> pd.DataFrame:
        """Expected annual cost (pounds) of each person by POD: ``P(use) × E[cost | use]``.

        Parameters
        ----------
        persons : DataFrame
            Columns ``age_band``, ``sex`` and the model's indicators (costs not needed).

        Returns
        -------
        DataFrame
            Indexed like ``persons``, one column per POD.

        Raises
        ------
        ValidationError
            Missing columns, unknown codes, non-numeric or missing indicators, or an age band
            × sex cell the model never saw (naming the cell and the rows).

        Examples
        --------
        >>> import pytest
        >>> _ = pytest.importorskip("glum")
        >>> from pbcmodel.datasets.persons import example_needs_model
        >>> m = example_needs_model()   # outpatient_first and ae, adjusted for diabetes
        >>> new = pd.DataFrame({"age_band": ["70_74", "70_74"], "sex": ["F", "F"],
        ...                     "diabetes": [0, 1]})
        >>> cost = m.predict(new).sum(axis=1)
        >>> bool(cost[1] > cost[0])
        True
        """
        slot, x = self._design(persons, "persons")
        p, m = self._predict_arrays(slot, x)
        return pd.DataFrame(p * m, index=persons.index, columns=pd.Index(self.pods, name="pod"))

    def additional_need_index(self, persons: pd.DataFrame) -> pd.Series:
        """Per practice: need beyond age and sex, the model's predicted cost ÷ the cost its
        age-sex mix alone would predict.

        The numerator prices each person with their indicators (morbidity, deprivation); the
        denominator prices each person at :meth:`cost_weights` of their cell. A practice
        whose patients are as ill and deprived as is usual for their age and sex scores about
        the population average, which is a little above 1 (see the module docstring). This is
        the multiplier for additional need that
        :class:`~pbcmodel.capitation.CapitationFormula` takes as ``needs``.

        Not to be confused with :func:`pbcmodel.capitation.need_index`, which compares a
        practice's or place's NHS England weighted population per registered patient with
        that of its ICB or of England.

        Returns
        -------
        Series
            Indexed by practice code (sorted), named ``needs_index`` (the capitation
            formula's needs index).

        Examples
        --------
        >>> import pytest
        >>> _ = pytest.importorskip("glum")
        >>> from pbcmodel.datasets.persons import synthetic_persons
        >>> persons = synthetic_persons(30_000, seed=1)
        >>> m = fit_needs_model(persons, indicators=["diabetes", "deprived"], pods=["ae"])
        >>> idx = m.additional_need_index(persons)
        >>> idx.index.name, bool(0.95 < idx.mean() < 1.15)
        ('practice', True)
        """
        require_columns(persons, ("practice",), "persons")
        slot, x = self._design(persons, "persons")
        p, m = self._predict_arrays(slot, x)
        predicted = (p * m).sum(axis=1)
        weights = self.cost_weights().sum(axis=1).to_numpy()
        standard = weights[_cell_codes(persons, "persons")]
        frame = pd.DataFrame({"practice": persons["practice"].to_numpy(),
                              "predicted": predicted, "standard": standard})
        sums = frame.groupby("practice", sort=True)[["predicted", "standard"]].sum()
        out = sums["predicted"] / sums["standard"]
        out.name = "needs_index"
        out.index.name = "practice"
        return out

    def needs_index(self, persons: pd.DataFrame) -> pd.Series:
        """Deprecated: renamed :meth:`additional_need_index` (same values).

        Examples
        --------
        >>> import pytest
        >>> _ = pytest.importorskip("glum")
        >>> from pbcmodel.datasets.persons import synthetic_persons
        >>> persons = synthetic_persons(5_000, seed=1)
        >>> m = fit_needs_model(persons, indicators=["diabetes"], pods=["ae"])
        >>> with pytest.warns(DeprecationWarning, match="additional_need_index"):
        ...     idx = m.needs_index(persons)
        >>> idx.equals(m.additional_need_index(persons))
        True
        """
        warnings.warn("NeedsModel.needs_index is renamed NeedsModel.additional_need_index "
                      "(the same values); needs_index will be removed",
                      DeprecationWarning, stacklevel=2)
        return self.additional_need_index(persons)

    def goodness_of_fit(self, persons: pd.DataFrame) -> GoodnessOfFit:
        """R² at person and practice level, and the share of practices 10% or more off.

        Use persons the model was **not** fitted on (a hold-out sample, ideally next year's
        costs), as Dixon et al. (BMJ 2011;343:d6608) did: they report person-level R² of
        about 0.12, practice-level 0.77 and about a third of practices 10% or more off.

        Parameters
        ----------
        persons : DataFrame
            Columns ``practice``, ``age_band``, ``sex``, the indicators and a cost column per
            POD of the model.

        Examples
        --------
        >>> import pytest
        >>> _ = pytest.importorskip("glum")
        >>> from pbcmodel.datasets.persons import example_needs_model, synthetic_persons
        >>> m = example_needs_model()
        >>> holdout = synthetic_persons(40_000, seed=2)            # persons it was not fitted on
        >>> holdout = holdout[["practice", "age_band", "sex", "diabetes", *m.pods]]
        >>> fit = m.goodness_of_fit(holdout)
        >>> bool(fit.practice_r2 > fit.person_r2), fit.n_practices
        (True, 16)
        """
        require_columns(persons, ("practice", *self.pods), "persons")
        actual = _numeric(persons, self.pods, "persons", "cost", non_negative=True).sum(axis=1)
        predicted = self.predict(persons).to_numpy().sum(axis=1)
        frame = pd.DataFrame({"practice": persons["practice"].to_numpy(),
                              "actual": actual, "predicted": predicted})
        per_head = frame.groupby("practice", sort=True)[["actual", "predicted"]].mean()
        off = np.abs(per_head["predicted"] / per_head["actual"] - 1.0) >= 0.10
        return GoodnessOfFit(
            person_r2=_r2(actual, predicted),
            practice_r2=_r2(per_head["actual"].to_numpy(), per_head["predicted"].to_numpy()),
            share_off_by_10pct=float(off.mean()),
            n_persons=len(frame), n_practices=len(per_head))


def _r2(actual: np.ndarray, predicted: np.ndarray) -> float:
    total = float(((actual - actual.mean()) ** 2).sum())
    if total == 0:
        raise ValidationError("goodness of fit: actual costs do not vary; R² is undefined")
    return 1.0 - float(((actual - predicted) ** 2).sum()) / total


# ----------------------------------------------------------------------------- fitting

def fit_needs_model(persons: pd.DataFrame, indicators: Sequence[str], *,
                    pods: Sequence[str] = PODS,
                    standard_errors: StandardErrors = "cluster") -> NeedsModel:
    """Fit a two-part needs model (use: logistic; cost given use: gamma, log link) per POD.

    Needs the optional extra ``glm`` (glum).

    Parameters
    ----------
    persons : DataFrame
        One row per person: ``practice``, ``age_band`` (:data:`~pbcmodel.codes.AGE_BANDS`),
        ``sex`` (:data:`~pbcmodel.codes.SEXES`), the ``indicators`` (numbers, usually 0/1)
        and one annual cost column (pounds, ≥ 0, 0 for no use) per POD in ``pods``.
    indicators : sequence of str
        Names of the morbidity/deprivation columns to adjust for (may be empty: an age-sex
        formula).
    pods : sequence of str
        Cost columns to model; default every POD in :data:`~pbcmodel.codes.PODS`.
    standard_errors : {"cluster", "robust", "model"}
        ``"cluster"`` (default): sandwich covariance clustered by practice, honest when
        patients of a practice share unmeasured causes of cost; ``"robust"``: sandwich
        without clustering; ``"model"``: the inverse Fisher information.

    Returns
    -------
    NeedsModel

    Raises
    ------
    ValidationError
        Missing columns; unknown age band or sex (naming the rows); non-numeric, missing or
        infinite indicators; missing, infinite or negative costs (naming column and rows);
        an indicator that never varies; fewer than two practices for clustered errors; an
        age band × sex cell where nobody, or everybody, used a POD (its use model has no
        finite estimate: merge age bands or fit on more persons).
    MissingDependencyError
        glum is not installed.

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("glum")
    >>> from pbcmodel.datasets.persons import synthetic_persons
    >>> m = fit_needs_model(synthetic_persons(30_000, seed=1), indicators=["copd"],
    ...                     pods=["ae"])
    >>> m
    NeedsModel(1 PODs × two parts, 40 age-sex cells, indicators: copd; fitted on 30,000 persons)
    >>> list(m.coefficients.columns)
    ['coef', 'std_error']
    """
    names = _check_indicators(indicators)
    pods = tuple(pods)
    unknown = [p for p in pods if p not in PODS]
    if unknown or not pods or len(set(pods)) != len(pods):
        raise ValidationError(f"pods: expected distinct names from {', '.join(PODS)}, "
                              f"got {quoted(pods)}")
    if standard_errors not in ("cluster", "robust", "model"):
        raise ValidationError("standard_errors: must be 'cluster', 'robust' or 'model', got "
                              f"{standard_errors!r}")
    require_columns(persons, ("practice", "age_band", "sex", *names, *pods), "persons")
    if len(persons) == 0:
        raise ValidationError("persons: no rows")
    cell = _cell_codes(persons, "persons")
    x = _numeric(persons, names, "persons", "indicator", non_negative=False)
    y = _numeric(persons, pods, "persons", "cost", non_negative=True)
    constant = [n for j, n in enumerate(names) if np.ptp(x[:, j]) == 0]
    if constant:
        raise ValidationError(f"persons: indicator(s) {quoted(constant)} take one value only; "
                              "their effect cannot be estimated")
    practice = persons["practice"]
    if practice.isna().any():
        raise ValidationError(f"persons: missing practice at row(s) "
                              f"{quoted(persons.index[practice.isna().to_numpy()])}")
    clusters = pd.factorize(practice)[0]
    if standard_errors == "cluster" and clusters.max() < 1:
        raise ValidationError("persons: clustered standard errors need at least two practices; "
                              "use standard_errors='robust'")

    seen = np.unique(cell)
    cells = _CELLS[seen]
    terms = [f"{b}:{s}" for b, s in cells] + list(names)
    slot = np.searchsorted(seen, cell)
    counts = np.bincount(slot, minlength=len(seen)).astype(float)
    means = np.stack([np.bincount(slot, weights=x[:, j], minlength=len(seen)) / counts
                      for j in range(len(names))], axis=1) if names else np.zeros((len(seen), 0))
    design = pd.DataFrame({"cell": pd.Categorical.from_codes(slot, categories=terms[:len(seen)])})
    for j in range(len(names)):
        design[f"x{j}"] = x[:, j]

    glum = _glum()
    rows, covariance, dispersion = [], {}, {}
    for j, pod in enumerate(pods):
        used = y[:, j] > 0
        n_used = np.bincount(slot, weights=used.astype(float), minlength=len(seen))
        for test, word in [(n_used == 0, "nobody"), (n_used == counts, "everybody")]:
            if test.any():
                raise ValidationError(
                    f"persons: {word} used {pod!r} in age_band/sex {quoted(list(cells[test]))}; "
                    "its use model has no finite estimate (merge age bands or fit on more "
                    "persons)")
        fits = []
        for part, family, rows_mask, target in [
                ("use", "binomial", slice(None), used.astype(float)),
                ("cost", "gamma", used, y[used, j])]:
            xd = design[rows_mask] if part == "cost" else design
            model = glum.GeneralizedLinearRegressor(
                family=family, link="logit" if part == "use" else "log", alpha=0,
                fit_intercept=False, drop_first=False, gradient_tol=_GRADIENT_TOL,
                robust=standard_errors != "model")
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Input array is not contiguous")
                model.fit(xd, target)
                mu = model.predict(xd)
                phi = None
                if part == "cost":
                    phi = float((((target - mu) / mu) ** 2).sum() / (len(target) - len(terms)))
                    dispersion[pod] = phi
                groups = clusters if part == "use" else clusters[used]
                cov = model.covariance_matrix(
                    xd, target, mu=mu, dispersion=phi,
                    clusters=groups if standard_errors == "cluster" else None)
            if list(model.feature_names_)[len(seen):] != list(design.columns[1:]):
                raise RuntimeError("glum returned coefficients in an unexpected order")
            coef = np.asarray(model.coef_, dtype=float)
            covariance[(pod, part)] = np.asarray(cov, dtype=float)
            fits.append(pd.DataFrame({"pod": pod, "part": part, "term": terms, "coef": coef,
                                      "std_error": np.sqrt(np.diag(cov))}))
        rows.extend(fits)
    table = pd.concat(rows, ignore_index=True).set_index(["pod", "part", "term"])
    return NeedsModel(
        coefficients=table, covariance=covariance,
        dispersion=pd.Series(dispersion, name="dispersion").rename_axis("pod"),
        indicators=names,
        indicator_means=pd.DataFrame(means, index=cells, columns=list(names)),
        n_persons=len(persons), standard_errors=standard_errors)
