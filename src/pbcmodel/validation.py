"""Boundary checks shared by the modules: one home for each check at an input boundary.

Each helper raises :class:`~pbcmodel.errors.ValidationError` whose message names
the culprit (a field, a row label or a code) and says what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from .codes import PODS
from .errors import ValidationError

Frame = TypeVar("Frame", pd.DataFrame, pd.Series)

#: Largest count (patients in one cell, events) pbcmodel accepts: int64 with headroom for
#: sums over 10 million cells, the same headroom as :data:`pbcmodel.money.MAX_PENCE`.
MAX_COUNT = 2**63 // 10_000_000


def quoted(index: Iterable[Any], limit: int = 5) -> str:
    """The first ``limit`` values as reprs, and how many more: the culprits an error names.

    Examples
    --------
    >>> quoted(["P001", "P002"])
    "'P001', 'P002'"
    >>> quoted([f"P{i:03d}" for i in range(8)], limit=2)
    "'P000', 'P001' and 6 more"
    """
    items = list(index)
    shown = ", ".join(repr(i) for i in items[:limit])
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return shown + more


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise if ``df`` lacks any of ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValidationError(
            f"{what}: missing column(s) {quoted(missing)}; found {quoted(df.columns, 20)}"
        )


def require_same_codes(expected: pd.Index, got: pd.Index, name: str) -> None:
    """Raise unless ``got`` lists exactly the practice codes of ``expected``, once each."""
    missing = expected.difference(got)
    extra = got.difference(expected)
    if len(missing) or len(extra) or got.has_duplicates:
        parts = []
        if len(missing):
            parts.append(f"missing practice code(s) {quoted(missing)}")
        if len(extra):
            parts.append(f"unknown practice code(s) {quoted(extra)}")
        if got.has_duplicates:
            parts.append(f"duplicated code(s) {quoted(got[got.duplicated()].unique())}")
        raise ValidationError(f"{name}: " + "; ".join(parts))


def finite_array(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a float array, raising if any entry is NaN or infinite."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected numbers, got {values!r}") from exc
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.argwhere(bad)[:5].tolist()
        raise ValidationError(f"{name}: NaN or infinite value at position(s) {where}")
    return arr


def finite_series(values: Any, name: str) -> pd.Series:
    """Return ``values`` as a float Series, raising on NaN/inf and naming the labels."""
    if isinstance(values, pd.DataFrame):
        raise ValidationError(f"{name}: expected a Series, got a DataFrame")
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    try:
        s = s.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected numbers") from exc
    bad = ~np.isfinite(s.to_numpy())
    if bad.any():
        raise ValidationError(f"{name}: NaN or infinite value for {quoted(s.index[bad])}")
    return s


def check_fraction(value: float, name: str, *, low: float = 0.0, high: float = 1.0,
                   high_open: bool = False) -> float:
    """Raise unless ``low <= value <= high`` (``< high`` when ``high_open``)."""
    v = finite_scalar(value, name)
    upper_ok = v < high if high_open else v <= high
    if not (v >= low and upper_ok):
        bracket = ")" if high_open else "]"
        raise ValidationError(f"{name}: must be in [{low}, {high}{bracket}, got {value!r}")
    return v


def finite_scalar(value: Any, name: str) -> float:
    """Return ``value`` as a finite float or raise."""
    if isinstance(value, bool):
        raise ValidationError(f"{name}: expected a number, got a bool")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationError(f"{name}: expected a number, got {value!r}") from exc
    if not np.isfinite(v):
        raise ValidationError(f"{name}: must be finite, got {value!r}")
    return v


def number(value: Any, name: str) -> float:
    """A finite number as float; a bool, a string or None is an error naming ``name``.

    The converter of every float field of the value objects (``converter=lambda v:
    number(v, "field")``), so a bad value is refused with the field's name.

    Examples
    --------
    >>> number(3, "activity")
    3.0
    >>> number("abc", "activity")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: activity: expected a number, got 'abc'
    """
    if value is None or isinstance(value, (bool, str, bytes)):
        raise ValidationError(f"{name}: expected a number, got {value!r}")
    return finite_scalar(value, name)


def optional_number(value: Any, name: str) -> float | None:
    """:func:`number`, or ``None`` (not given)."""
    return None if value is None else number(value, name)


def check_level(value: Any, name: str = "level") -> float:
    """A confidence level or probability strictly between 0 and 1.

    Examples
    --------
    >>> check_level(0.95)
    0.95
    >>> check_level(1.0, "confidence")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: confidence: must be a probability in (0, 1), got 1.0
    """
    v = finite_scalar(value, name)
    if not 0.0 < v < 1.0:
        raise ValidationError(f"{name}: must be a probability in (0, 1), got {value!r}")
    return v


def unit_interval(values: Any, name: str) -> np.ndarray:
    """Probabilities or fractions as a float array, each in [0, 1].

    Examples
    --------
    >>> unit_interval([0.0, 0.5, 1.0], "p_use").tolist()
    [0.0, 0.5, 1.0]
    """
    arr = finite_array(values, name)
    bad = (arr < 0) | (arr > 1)
    if bad.any():
        raise ValidationError(f"{name}: must be in [0, 1], got {quoted(arr[bad].tolist())}")
    return arr


def check_name(value: Any, name: str) -> str:
    """A non-empty name or code (not blank), returned as given.

    Examples
    --------
    >>> check_name(" ", "proposer")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: proposer: expected a non-empty string (a name or code), ...
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name}: expected a non-empty string (a name or code), "
                              f"got {value!r}")
    return value


def sequence_of(value: Any, kind: type, name: str) -> tuple[Any, ...]:
    """A list or tuple of ``kind`` as a tuple (one entry may be given alone), each checked.

    Examples
    --------
    >>> sequence_of([1, 2], int, "counts")
    (1, 2)
    >>> sequence_of([1, "x"], int, "counts")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: counts[1]: expected a int, got 'x'
    """
    if isinstance(value, kind):
        value = (value,)
    if not isinstance(value, (list, tuple)):
        raise ValidationError(f"{name}: expected a list of {kind.__name__}, got {value!r}")
    for i, item in enumerate(value):
        if not isinstance(item, kind):
            raise ValidationError(f"{name}[{i}]: expected a {kind.__name__}, got {item!r}")
    return tuple(value)


def boolean(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: True or False (numpy's bool too), never 0/1 or "yes"."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValidationError(f"{attribute.name.lstrip('_')}: expected true or false, "
                              f"got {value!r}")


def named(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: :func:`check_name` with the field's name."""
    check_name(value, attribute.name.lstrip("_"))


def check_positive(value: Any, name: str, *, strict: bool = True) -> float:
    """Raise unless ``value`` is a number > 0 (or >= 0 when ``strict`` is False).

    Text is refused, never parsed (``resource="1e6"``): the number rule for text is for
    files and the command line (:mod:`pbcmodel.number_text`).

    Examples
    --------
    >>> check_positive(5e8, "resource")
    500000000.0
    >>> check_positive("1e6", "resource")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: resource: expected a number, got '1e6'
    """
    v = number(value, name)
    if (v <= 0) if strict else (v < 0):
        expected = "> 0" if strict else ">= 0"
        raise ValidationError(f"{name}: must be {expected}, got {value!r}")
    return v


def whole_number(value: Any, name: str, *, minimum: int = 1,
                 maximum: int | None = None) -> int:
    """A whole number in ``[minimum, maximum]``; 2.5 is an error, never 2.

    Examples
    --------
    >>> whole_number(3.0, "years")
    3
    >>> whole_number(2.5, "years")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: years: must be a whole number >= 1, got 2.5
    """
    expected = f"a whole number >= {minimum}" + ("" if maximum is None else f" and <= {maximum:,}")
    if isinstance(value, bool) or isinstance(value, (str, bytes)):
        raise ValidationError(f"{name}: must be {expected}, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"{name}: must be {expected}, got {value!r}") from None
    if (not np.isfinite(v) or v != np.floor(v) or v < minimum
            or (maximum is not None and v > maximum)):
        raise ValidationError(f"{name}: must be {expected}, got {value!r}")
    return int(value) if isinstance(value, (int, np.integer)) else int(v)


def whole_counts(values: Any, name: str, labels: Any = None) -> np.ndarray:
    """Whole, non-negative counts (patients, events) as int64; never wraps round.

    Each count must be at most :data:`MAX_COUNT`; ``labels`` (one per value) name the
    culprits.

    Examples
    --------
    >>> whole_counts([3, 4.0], "patients").tolist()
    [3, 4]
    >>> whole_counts([9_223_372_036_854_775_000], "patients", ["P001"])
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: patients: at most 922,337,203,685 per cell; 'P001' has ...
    """
    raw = np.asarray(values)
    if raw.dtype.kind == "b":
        raise ValidationError(f"{name}: expected whole numbers, got True/False")
    try:
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected whole numbers, got {quoted(raw.ravel())}"
                              ) from exc
    where = np.asarray(list(range(arr.size)) if labels is None else labels,
                       dtype=object).reshape(arr.shape)
    finite = np.isfinite(arr)
    for bad, what in [(~finite, "must not be missing (NaN) or infinite"),
                      (finite & (arr < 0), "counts must be >= 0, not negative"),
                      (finite & (arr != np.floor(arr)), "counts must be whole numbers")]:
        if bad.any():
            raise ValidationError(f"{name}: {what}; {quoted(where[bad])} "
                                  f"{'has' if bad.sum() == 1 else 'have'} "
                                  f"{quoted(raw[bad].tolist())}")
    big = arr > MAX_COUNT
    if big.any():
        shown = [f"{v:,}" if isinstance(v, int) else f"{v:,.6g}" for v in raw[big].tolist()[:5]]
        raise ValidationError(f"{name}: at most {MAX_COUNT:,} per cell; {quoted(where[big])} "
                              f"{'has' if big.sum() == 1 else 'have'} {', '.join(shown)}")
    if raw.dtype.kind in "iu":
        return raw.astype(np.int64)
    return arr.astype(np.int64)


def practice_totals(money: Any, name: str, pods: Sequence[str] = PODS) -> pd.Series:
    """Money per practice: a Series, or a practice × POD DataFrame reduced to its totals.

    The one reduction of a budget, outturn or historic table to a total per practice. A
    DataFrame must have exactly the POD columns (``pods``), and may have a ``total`` column
    that equals their sum to the penny (within half a penny per POD, the rounding of a table
    written in pounds and pence); the total is then the ``total`` column, else the sum. Any
    other column (``list_size``, say) is an error, never added into the money. Every cell
    must be a finite number >= 0; a culprit is named by practice and column. So the
    library's own outputs (``CapitationFormula.budgets()``, a table written by
    :func:`pbcmodel.io.write_tables` and read back with ``index_col=0``) are valid inputs.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ae": [10.0, 5.0], "community": [1.0, 2.0], "total": [11.0, 7.0]},
    ...                   index=["P1", "P2"])
    >>> practice_totals(df, "outturn", pods=("ae", "community")).tolist()
    [11.0, 7.0]
    >>> practice_totals(df.assign(list_size=100), "outturn", pods=("ae", "community"))
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: outturn: unknown column(s) 'list_size'; expected ...
    """
    if isinstance(money, pd.Series):
        totals = finite_series(money, name)
        negative = totals.to_numpy() < 0
        if negative.any():
            raise ValidationError(f"{name}: must be >= 0; practice(s) "
                                  f"{quoted(totals.index[negative])} have "
                                  f"{quoted(totals[negative].tolist())}")
        return totals
    if not isinstance(money, pd.DataFrame):
        raise ValidationError(f"{name}: expected a Series per practice or a DataFrame "
                              f"practice × POD, got {type(money).__name__}")
    pods = list(pods)
    if money.columns.has_duplicates:
        dup = money.columns[money.columns.duplicated()]
        raise ValidationError(f"{name}: duplicated column(s) {quoted(dup)}")
    extra = [c for c in money.columns if c not in pods and c != "total"]
    missing = [p for p in pods if p not in money.columns]
    if extra or missing:
        parts = ([f"unknown column(s) {quoted(extra)}"] if extra else []) + (
            [f"missing POD column(s) {quoted(missing)}"] if missing else [])
        raise ValidationError(f"{name}: " + "; ".join(parts) + f"; expected exactly the POD "
                              f"columns {', '.join(pods)} (and optionally 'total')")
    has_total = "total" in money.columns
    cells = {}
    for column in [*pods, "total"] if has_total else pods:
        values = pd.to_numeric(money[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise ValidationError(
                f"{name}: column {column!r} must be a finite number >= 0; practice(s) "
                f"{quoted(money.index[bad])} have {quoted(money[column][bad].tolist())}")
        cells[column] = values
    pod_sum = np.sum([cells[p] for p in pods], axis=0) if pods else np.zeros(len(money))
    if not has_total:
        return pd.Series(pod_sum, index=money.index, name="total")
    total = cells["total"]
    off = np.abs(total - pod_sum) > 0.005 * len(pods) + 1e-12 * np.abs(total)
    if off.any():
        first = int(np.argmax(off))
        raise ValidationError(
            f"{name}: the 'total' column differs from the sum of the PODs for practice(s) "
            f"{quoted(money.index[off])} (e.g. {money.index[first]!r}: total "
            f"£{total[first]:,.2f}, PODs £{pod_sum[first]:,.2f})")
    return pd.Series(total, index=money.index, name="total")


class FrozenDict(dict[str, Any]):
    """A dict a value object hands out that cannot be changed (it shows and compares as one).

    Examples
    --------
    >>> d = FrozenDict({"contingency": 0.01})
    >>> d, d == {"contingency": 0.01}
    ({'contingency': 0.01}, True)
    >>> d["contingency"] = 0.5
    Traceback (most recent call last):
    ...
    TypeError: FrozenDict is read-only: build a new value (e.g. with evolve) instead
    """

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("FrozenDict is read-only: build a new value (e.g. with evolve) instead")

    __setitem__ = __delitem__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only  # type: ignore[assignment]
    __ior__ = _read_only  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))


def own_copy(value: Any) -> Any:
    """A value object's own deep copy of a DataFrame/Series (anything else unchanged)."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=True)
    return value


def read_view(value: Frame) -> Frame:
    """What a value object hands out for a frame it holds: a new object on the same data.

    Under pandas copy-on-write, writing into it (``.iloc[...] = ``, a new column) copies
    first and never reaches the object's own copy; its ``to_numpy()`` is read-only.
    """
    return value.copy(deep=False)


def frames_equal(a: Any, b: Any) -> bool:
    """Equality for attrs fields that may hold DataFrames/Series (same type and ``equals``)."""
    if isinstance(a, (pd.DataFrame, pd.Series)) or isinstance(b, (pd.DataFrame, pd.Series)):
        return type(a) is type(b) and a.equals(b)
    return bool(a == b)


# money, conditions and practice-indexed Series -------------------------------------------

#: Largest total of money, in pence, that int64 holds: £92,233,720,368,547,758.07. A total
#: (a resource) must fit; each entry paid (a practice's budget) has the tighter
#: :data:`pbcmodel.money.MAX_PENCE`, so that sums over millions of entries fit too.
MAX_TOTAL_PENCE = 2**63 - 1


def _pounds_text(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def settleable(pounds: Any, name: str, *, most_pence: int = MAX_TOTAL_PENCE) -> np.ndarray:
    """Money in pounds that converts to integer pence without overflowing, as a float array.

    The one check at every boundary where pounds will become ``int64`` pence: each amount
    must be finite and at most ``most_pence`` pence in size (by default
    :data:`MAX_TOTAL_PENCE`, what int64 holds). The message is in pounds, the user's units,
    and names ``name``; an amount is never wrapped round to a negative number of pence.

    Examples
    --------
    >>> settleable(510e6, "resource").tolist()
    510000000.0
    >>> settleable(1e300, "resource")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: resource: £1e+300 is too large to settle exactly in pence; \
the largest amount is £92,233,720,368,547,758.07
    """
    arr = finite_array(pounds, name)
    with np.errstate(over="ignore"):
        pence = np.abs(arr) * 100.0
    # 2.0**63 is the first float that no longer fits in int64 (2**63 - 1 rounds up to it)
    too_big = (pence > most_pence) | (pence >= 2.0**63)
    if too_big.any():
        worst = float(np.abs(arr[too_big]).max()) if arr.ndim else abs(float(arr))
        raise ValidationError(f"{name}: £{worst:,.6g} is too large to settle exactly in pence; "
                              f"the largest amount is {_pounds_text(most_pence)}")
    return arr


def money_array(values: Any, name: str, *, positive: bool = False) -> np.ndarray:
    """Finite float array of money; budgets must be > 0, outturns >= 0."""
    arr = finite_array(values, name)
    bad = arr <= 0 if positive else arr < 0
    if bad.any():
        where = np.argwhere(bad)[:5].tolist() if arr.ndim else []
        expected = "> 0" if positive else ">= 0"
        raise ValidationError(f"{name}: must be {expected}, bad value(s) at position(s) {where}")
    return arr


def condition_array(value: Any, name: str, *, scale: bool) -> np.ndarray:
    """Validate a gate/incentive condition: booleans, or numbers in [0, 1] when ``scale``."""
    arr = np.asarray(value.to_numpy() if isinstance(value, pd.Series) else value)
    if scale:
        return unit_interval(arr, f"condition {name!r}")
    if arr.dtype.kind != "b":
        raise ValidationError(
            f"condition {name!r}: expected True/False (a bool or boolean array/Series), "
            f"got dtype {arr.dtype}")
    return arr.astype(float)


def align_condition(value: Any, index: pd.Index, label: str) -> Any:
    """A per-practice value given as a Series, checked against and reindexed to the codes."""
    if isinstance(value, pd.Series):
        require_same_codes(index, value.index, label)
        return value.reindex(index).to_numpy()
    return value


def align_series(budget: Any, outturn: Any) -> tuple[pd.Series, pd.Series]:
    """Budget and outturn as float Series with the same practice codes, outturn reindexed."""
    if not (isinstance(budget, pd.Series) and isinstance(outturn, pd.Series)):
        raise ValidationError("budget, outturn: pass both as Series (indexed by practice code) "
                              "or both as numbers/arrays")
    if budget.index.has_duplicates:
        duplicated = budget.index[budget.index.duplicated()]
        raise ValidationError(f"budget: duplicated practice code(s) {quoted(duplicated)}")
    require_same_codes(budget.index, outturn.index, "outturn")
    outturn = outturn.reindex(budget.index)
    money_array(budget.to_numpy(dtype=float), "budget", positive=True)
    money_array(outturn.to_numpy(dtype=float), "outturn")
    return budget.astype(float), outturn.astype(float)


# attrs validators -----------------------------------------------------------------------

def non_negative(instance: Any, attribute: Any, value: Any) -> None:
    """attrs validator: a finite number >= 0."""
    check_positive(value, attribute.name, strict=False)
