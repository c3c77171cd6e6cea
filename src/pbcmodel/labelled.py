"""Tables as people read them: glossary labels, £ with separators, percentages, whole counts.

Every DataFrame or Series the library returns for reading (budgets, explain, summary,
metrics, compare, settlements, spend distributions) is a :class:`LabelledFrame` or a
:class:`LabelledSeries`: printed, or shown in Jupyter, it has the glossary's short labels
as headings (:mod:`pbcmodel.glossary`; a name the glossary does not know is shown as it
is), every value in its unit (:func:`value_text`: £1,234,568, £12.35 a head, 10.3%,
1,000 patients, never ``2.28e+05``) and it prints whole (up to 200 rows; longer tables show
their first and last 20 rows and say how many are left out). The data underneath are the
plain float and integer numbers, with the same column names, index and values as before:
only the text shown changes.

Why a pandas subclass
---------------------
This follows pandas' documented way of extending its structures ("Subclassing pandas data
structures", as geopandas does), not a :class:`~pandas.io.formats.style.Styler` (which is
not a DataFrame: ``budgets()["total"]`` would stop working) and not strings in the data
(which could not be added up). The subclass only adds how it is *shown*:

* ``_metadata`` carries the units, title, labels and blank columns (kept by pickle);
* ``_constructor`` is plain :class:`pandas.DataFrame` and ``_constructor_sliced`` plain
  :class:`pandas.Series` (for a :class:`LabelledSeries`, ``_constructor`` plain Series and
  ``_constructor_expanddim`` plain DataFrame). So *anything derived* from a labelled table
  — a slice, ``x + 1``, ``x.copy()``, :func:`pandas.concat`, a groupby — is plain pandas,
  and a label or unit can never be wrong after a user's own computation; only ``head()``
  and ``tail()``, which keep rows and units as they are, keep the readable view;
* ``__repr__`` (what ``print`` and the terminal show) and ``_repr_html_`` (Jupyter) are the
  readable views; ``to_string()``, ``to_csv()`` and friends are pandas' own.

Comparing with plain pandas: ``pd.testing.assert_frame_equal(result, plain)`` passes; with
the plain frame first it checks the type too and needs ``check_frame_type=False``. A
Series' type is checked in either order: ``check_series_type=False``.

Units are those of :data:`pbcmodel.glossary.UNITS` ("£", "£ per registered patient", "%" for
a fraction shown as a percentage, "patients", "count", "years", "ratio", "code") or the
library's names for them (:data:`pbcmodel.scenario.metrics.UNITS`: "pounds", "probability",
...).

Examples
--------
>>> import pandas as pd
>>> t = labelled(pd.DataFrame({"budget": [228345.67, 1.5e7], "prob_overspend": [0.1032, 0.5],
...                            "list_size": [2000.0, 30000.0]}, index=["P001", "P002"]),
...              title="Two practices")
>>> print(t)
Two practices
          Budget  Chance of overspending  List size
P001    £228,346                   10.3%      2,000
P002 £15,000,000                   50.0%     30,000
>>> type(t[["budget"]] * 2).__name__, float(t.loc["P001", "budget"])
('DataFrame', 228345.67)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import pandas as pd

from . import money
from .codes import POD_WORDS
from .errors import ValidationError
from .glossary import UNITS, Term, period_title, term
from .html_tables import summary_html
from .money import MAX_PENCE

__all__ = ["MOST_ROWS", "SHOWN_AS", "LabelledFrame", "LabelledSeries", "labelled",
           "value_text"]

#: Tables up to this many rows print whole; longer ones show their first and last
#: :data:`END_ROWS`.
MOST_ROWS = 200
END_ROWS = 20
#: The library's names of units (a figure's unit in :mod:`pbcmodel.scenario.metrics`, which
#: re-exports this table as ``UNITS``) → the glossary's unit shown to readers (probabilities
#: and fractions of budget are held as fractions and shown as percentages).
SHOWN_AS: dict[str, str] = {
    "pounds": "£",
    "pounds per registered patient": "£ per registered patient",
    "probability": "%",
    "fraction of budget": "%",
    "ratio": "ratio",
    "count": "count",
    "patients": "patients",
    "years": "years",
    "code": "code",
}
_KNOWN_UNITS = frozenset(UNITS) | frozenset(SHOWN_AS)
_MOST_DECIMALS = 6
_WHOLE = frozenset({"count", "patients", "years"})

#: A unit for every row or column: one unit, or one per row of the table.
Unit = str | tuple[str, ...]


# ---------------------------------------------------------------------------- one value
def _signed(number: float, text: str) -> str:
    """``text`` (the size) with a minus sign (U+2212) when ``number`` is negative and not
    shown as zero."""
    return "−" + text if number < 0 and any(c in "123456789" for c in text) else text


def _near_zero(text: str) -> str:
    """``≈0`` for a value too small to show at the chosen precision (never ``0.0000``)."""
    return text if any(c in "123456789" for c in text) else "≈0"


def _pounds(value: float) -> str:
    """Money to three significant figures: £22.3m, £450k, £1,234 (minus sign U+2212)."""
    size = abs(value)
    if size >= 1e6:
        return _signed(value, f"£{size / 1e6:,.1f}m")
    if size >= 1e5:
        return _signed(value, f"£{size / 1e3:,.0f}k")
    return _signed(value, f"£{size:,.0f}")


def _money(value: float, decimals: int) -> str:
    """Pounds to ``decimals`` places, rounded half up (:func:`pbcmodel.money.pounds`); past
    the pence a float can hold, as the float is."""
    if abs(value) * 100 < MAX_PENCE:
        return money.pounds(value, decimals)
    return _signed(value, f"£{abs(value):,.{decimals}f}")


def _plain(value: float) -> str:
    """A number without units in fixed notation to four significant figures: 1,234.5,
    0.01235, 2 (never 1.2e+04; a nonzero value too small to show is ``≈0``)."""
    size = abs(value)
    if size.is_integer():
        return _signed(value, f"{size:,.0f}")
    digits = min(_MOST_DECIMALS + 4, max(0, 3 - math.floor(math.log10(size))))
    text = f"{size:,.{digits}f}"
    if digits:
        text = text.rstrip("0").rstrip(".")
    return _signed(value, _near_zero(text))


def _percent(value: float) -> str:
    """A fraction as a percentage: 10.3%, 0.23% (two significant figures below 1%)."""
    size = abs(value)
    digits = 1 if size == 0 or size >= 0.01 else min(
        _MOST_DECIMALS, -1 - math.floor(math.log10(size)))
    text = f"{Decimal(size) * 100:,.{digits}f}"      # exact: 100 × a huge float stays finite
    return _signed(value, (_near_zero(text) if size else text) + "%")


def value_text(value: Any, unit: str, style: str = "exact") -> str:
    """One value in its unit as text, the way every table and result shows it.

    Parameters
    ----------
    value : number, str, bool or None
        A number is shown in ``unit``; anything else as its text (None and NaN as "–").
    unit : str
        A glossary unit (:data:`pbcmodel.glossary.UNITS`) or the library's name for one
        ("pounds", "pounds per registered patient", "probability", "fraction of budget").
    style : {"exact", "short"}
        "exact": pounds to the whole pound with thousands separators (£1,234,568), per head
        to the penny (£12.35), rounded half up as :func:`pbcmodel.money.pounds`; "short":
        pounds to three figures (£22.3m, £450k, £1,234), as
        in sentences and design tables. The other units are the same in both: a fraction as
        a percentage to one decimal (10.3%; two significant figures below 1%), counts,
        patients and years whole (1,000), ratios and unknown units to four significant
        figures. Negatives carry a minus sign (U+2212), ±∞ is "∞"; never scientific
        notation.

    Returns
    -------
    str

    Raises
    ------
    ValidationError
        An unknown ``unit`` or ``style``.

    Examples
    --------
    >>> value_text(1234567.89, "£"), value_text(-3874187.0, "pounds", style="short")
    ('£1,234,568', '−£3.9m')
    >>> value_text(12.345, "pounds per registered patient"), value_text(0.1032, "%")
    ('£12.35', '10.3%')
    >>> value_text(500.0, "count"), value_text(float("nan"), "£"), value_text(1e-300, "ratio")
    ('500', '–', '≈0')
    >>> value_text(2.23449e7, "ratio"), value_text(None, "pounds"), value_text(True, "code")
    ('22,344,900', '–', 'True')
    """
    if style not in ("exact", "short"):
        raise ValidationError(f"style: must be 'exact' or 'short', got {style!r}")
    if unit not in _KNOWN_UNITS:
        raise ValidationError(f"unit: must be one of {sorted(_KNOWN_UNITS)}, got {unit!r}")
    if value is None or value is pd.NA or value is pd.NaT:
        return "–"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return "–" if math.isnan(number) else ("−∞" if number < 0 else "∞")
    shown = SHOWN_AS.get(unit, unit)
    if shown == "£":
        return _pounds(number) if style == "short" else _money(number, 0)
    if shown == "£ per registered patient":
        return _money(number, 2)
    if shown == "%":
        return _percent(number)
    if shown in _WHOLE:
        return _signed(number, f"{abs(number):,.0f}")
    return _plain(number)


# ---------------------------------------------------------------------- names and units
def _term(name: Hashable) -> Term | None:
    """The glossary's term for a column or row name, or None when it has none."""
    if not isinstance(name, str):
        return None
    try:
        return term(name)
    except ValidationError:
        return None


def _checked_units(units: str | Mapping[Hashable, str | Sequence[str]] | None,
                   default: str) -> tuple[str, dict[Hashable, Unit]]:
    """The default unit and the units by name, every unit checked."""
    if isinstance(units, str):
        default, units = units, None
    by_name = dict(units or {})
    for unit in [default, *by_name.values()] if default else by_name.values():
        for one in [unit] if isinstance(unit, str) else unit:
            if one not in _KNOWN_UNITS:
                raise ValidationError(f"units: must be one of {sorted(_KNOWN_UNITS)}, "
                                      f"got {one!r}")
    return default, {k: v if isinstance(v, str) else tuple(v) for k, v in by_name.items()}


class _Labelled:
    """What a labelled frame and a labelled series share: their units, labels and views."""

    units: dict[Hashable, Unit]
    default_unit: str
    title: str
    labels: dict[Hashable, str]
    blank: frozenset[Hashable]
    by_row: bool

    def unit_of(self, name: Hashable, rows: int) -> Unit:
        """The unit of a column (a row when :attr:`by_row`): as given, else the glossary's,
        else the default (a per-row unit whose length no longer fits the table: the
        default)."""
        given = self.units.get(name)
        if isinstance(given, str) or (given is not None and len(given) == rows):
            return given
        found = _term(name)
        return found.unit if found is not None else (self.default_unit or "ratio")

    def label_of(self, name: Hashable) -> str:
        """The heading of a column (a row when :attr:`by_row`): as given, else the
        glossary's short label, else a point of delivery in words
        (:data:`pbcmodel.codes.POD_WORDS`), else the name."""
        if name in self.labels:
            return self.labels[name]
        found = _term(name)
        if found is not None:
            return found.short
        words = POD_WORDS.get(name) if isinstance(name, str) else None
        return words[:1].upper() + words[1:] if words else str(name)

    def head(self, n: int = 5) -> Any:
        """The first ``n`` rows (all but the last ``-n`` when negative), still shown readably.

        Examples
        --------
        >>> import pandas as pd
        >>> t = labelled(pd.DataFrame({"budget": [1500.0, 2500.0, 3500.0]}))
        >>> type(t.head(2)).__name__, len(t.tail(1))
        ('LabelledFrame', 1)
        """
        return self._rows(slice(None, n))

    def tail(self, n: int = 5) -> Any:
        """The last ``n`` rows (all but the first ``-n`` when negative), still shown readably."""
        return self._rows(slice(0, 0) if n == 0 else slice(-n, None))

    def _rows(self, rows: slice) -> Any:
        """These rows of the table with its units, labels and title (per-value units cut
        to the same rows)."""
        plain = self._constructor(self)  # type: ignore[attr-defined]
        out = type(self)(plain.iloc[rows]).__finalize__(self)  # type: ignore[call-arg,attr-defined]
        out.units = {name: unit if isinstance(unit, str) else tuple(unit)[rows]
                     for name, unit in self.units.items()}
        return out

    def _row_texts(self, values: Sequence[Any], index: pd.Index) -> list[str]:
        """``values``, one a row, each in the unit of its row (:attr:`by_row`)."""
        units = [self.unit_of(row, len(index)) for row in index]
        return [value_text(v, u) if isinstance(u, str) else str(v)
                for v, u in zip(values, units, strict=True)]

    def _texts(self, values: Sequence[Any], unit: Unit, blank: bool) -> list[str]:
        """``values`` as text in ``unit`` (one unit, or one per value)."""
        units = [unit] * len(values) if isinstance(unit, str) else unit
        return ["" if blank and _missing(v) else value_text(v, u)
                for v, u in zip(values, units, strict=True)]


def _missing(value: Any) -> bool:
    """None or NaN (what a blank column shows as nothing)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _left(texts: list[str]) -> list[str]:
    """Words (not numbers) padded to one width, so a right-aligned table shows them left."""
    width = max((len(t) for t in texts), default=0)
    return [t.ljust(width) for t in texts]


def _in_periods(shown: pd.DataFrame, names: pd.Index) -> pd.DataFrame:
    """A table of figures one a row (``names``, shown under their labels) as one block per
    period, each headed by it (:func:`pbcmodel.glossary.period_title`), so no block mixes
    "a simulated year" with "all simulated years together"; as it is when its rows share
    one period or any row is not a glossary term."""
    terms = [_term(name) for name in names]
    if any(t is None for t in terms):
        return shown
    titles = [period_title(t.period) for t in terms if t is not None]
    if len(set(titles)) < 2:
        return shown
    blocks = []
    for title in dict.fromkeys(titles):
        rows = shown[[t == title for t in titles]]
        head = pd.DataFrame([[""] * shown.shape[1]], columns=shown.columns, index=[title])
        body = rows.set_axis(["  " + str(label) for label in rows.index])
        blocks += [head, body]
    out = pd.concat(blocks)
    out.index = pd.Index(_left([str(i) for i in out.index]), name=shown.index.name)
    return out


def _cut(shown: pd.DataFrame) -> pd.DataFrame:
    """The first and last :data:`END_ROWS` rows of a long table and, between them, a row
    saying how many are left out; a table of up to :data:`MOST_ROWS` rows whole."""
    if len(shown) <= MOST_ROWS:
        return shown
    more = len(shown) - 2 * END_ROWS
    marker: Any = f"… {more:,} more rows"
    if shown.index.nlevels > 1:
        marker = (marker, *[""] * (shown.index.nlevels - 1))
    middle = pd.DataFrame([["…"] * shown.shape[1]], columns=shown.columns)
    index = [*shown.index[:END_ROWS], marker, *shown.index[-END_ROWS:]]
    out = pd.concat([shown.iloc[:END_ROWS], middle, shown.iloc[-END_ROWS:]])
    out.index = pd.Index(index, tupleize_cols=True, name=shown.index.name)
    if shown.index.nlevels > 1:
        out.index.names = shown.index.names
    return out


class LabelledFrame(_Labelled, pd.DataFrame):
    """A DataFrame the library returns for reading: plain numbers, shown readably.

    Made by :func:`labelled`; see the module's notes. Anything derived from it (a slice,
    arithmetic, a copy, a concat) is a plain :class:`pandas.DataFrame`.

    Examples
    --------
    >>> import pandas as pd
    >>> t = labelled(pd.DataFrame({"amount": [1500.0]}))
    >>> type(t).__name__, type(t.copy()).__name__, float(t["amount"].sum())
    ('LabelledFrame', 'DataFrame', 1500.0)
    """

    _metadata: ClassVar[list[str]] = ["units", "default_unit", "title", "labels", "blank",
                                      "by_row"]

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    @property
    def _constructor_sliced(self) -> type[pd.Series]:
        return pd.Series

    def shown(self) -> pd.DataFrame:
        """The table as text, as printed: headings from the glossary, values in their units,
        a long table cut to its ends (a plain DataFrame of strings).

        Examples
        --------
        >>> import pandas as pd
        >>> labelled(pd.DataFrame({"practices": [3.0]})).shown().to_dict("list")
        {'Practices': ['3']}
        """
        rows = len(self)
        columns: dict[str, list[str]] = {}
        headers: list[str] = []
        for i, name in enumerate(self.columns):
            values = self.iloc[:, i].tolist()
            if self.by_row:
                texts = self._row_texts(values, self.index)
            else:
                texts = self._texts(values, self.unit_of(name, rows), name in self.blank)
            header = str(name) if self.by_row else self.label_of(name)
            if not any(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
                header, *texts = _left([header, *texts])      # words: aligned left
            headers.append(header)
            columns[str(i)] = texts
        out = pd.DataFrame(columns, index=self.index.copy())
        out.columns = pd.Index(headers, tupleize_cols=False)
        if self.by_row:
            out.index = pd.Index(_left([self.label_of(r) for r in self.index]),
                                 name=self.index.name)
            out = _in_periods(out, self.index)
        return _cut(out)

    def __repr__(self) -> str:
        table = self.shown().to_string()
        return f"{self.title}\n{table}" if self.title else table

    def _repr_html_(self) -> str:
        return summary_html(self.title, self.shown(), max_rows=None)


class LabelledSeries(_Labelled, pd.Series):
    """A Series the library returns for reading (a summary: one figure a row, each in its
    own unit): plain numbers, shown readably.

    Made by :func:`labelled`; anything derived from it is a plain :class:`pandas.Series`.

    Examples
    --------
    >>> import pandas as pd
    >>> s = labelled(pd.Series({"simulations": 500.0, "expected_freed_up": 4047349.2}))
    >>> print(s)                        # figures of different periods: a block for each
    The run
      Simulations                           500
    A simulated year
      Expected freed-up resources    £4,047,349
    >>> type(s * 2).__name__
    'Series'
    """

    _metadata: ClassVar[list[str]] = [*pd.Series._metadata, "units", "default_unit", "title",
                                      "labels", "blank", "by_row"]

    @property
    def _constructor(self) -> type[pd.Series]:
        return pd.Series

    @property
    def _constructor_expanddim(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def shown(self) -> pd.Series:
        """The series as text, as printed: one labelled row per figure, each in its unit.

        Examples
        --------
        >>> import pandas as pd
        >>> labelled(pd.Series({"years": 3.0})).shown().to_dict()
        {'Years simulated': '3'}
        """
        labels = pd.Index([self.label_of(r) for r in self.index], name=self.index.name)
        out = pd.Series(self._row_texts(self.tolist(), self.index), index=labels, dtype=object)
        return _cut(_in_periods(out.to_frame("value"), self.index)).iloc[:, 0]

    def __repr__(self) -> str:
        table = self.shown().to_string(dtype=False, name=False, length=False)
        return f"{self.title}\n{table}" if self.title else table

    def _repr_html_(self) -> str:
        return summary_html(self.title, self.shown().to_frame(str(self.name or "")),
                            max_rows=None)


def labelled(obj: pd.DataFrame | pd.Series,
             units: str | Mapping[Hashable, str | Sequence[str]] | None = None, *,
             title: str = "", labels: Mapping[str, str] | Mapping[Hashable, str] | None = None,
             by_row: bool | None = None, blank: Iterable[Hashable] = (),
             default_unit: str = "") -> LabelledFrame | LabelledSeries:
    """``obj`` as the library returns it for reading: the same data, shown readably.

    Parameters
    ----------
    obj : DataFrame or Series
        Left as it is: the result has the same columns, index, values and ``attrs``.
    units : str or mapping, optional
        The unit of each column (of each row when ``by_row``): a mapping of names to a unit,
        or to one unit per row (a column whose rows are in different units); a name not in
        it takes the glossary's unit, else the default: ``units`` itself when it is a str,
        else ``default_unit`` (numbers of unknown names without a default are shown as plain
        numbers).
    title : str
        A line above the table (it says the period and the unit of the table).
    labels : mapping, optional
        Headings for names; others take the glossary's short label, else the name itself.
    by_row : bool, optional
        The names are the index (a "long" table: one figure a row, its columns being, say,
        scenarios). Default: True for a Series, False for a DataFrame.
    blank : iterable
        Columns whose missing values are shown as nothing (not "–").
    default_unit : str
        The unit of names neither in ``units`` (a mapping) nor in the glossary.

    Returns
    -------
    LabelledFrame or LabelledSeries

    Raises
    ------
    ValidationError
        An unknown unit.

    Examples
    --------
    >>> import pandas as pd
    >>> t = labelled(pd.DataFrame({"none": [0.0, 0.187], "70/30": [4.05e6, 0.2]},
    ...                           index=["expected_freed_up", "practices_prob_loss_over_2pct"]),
    ...              by_row=True)
    >>> print(t)
                                                none       70/30
    Expected freed-up resources                   £0  £4,050,000
    Chance a practice bears over 2% of budget  18.7%       20.0%
    """
    default, by_name = _checked_units(units, default_unit)
    made: LabelledFrame | LabelledSeries
    if isinstance(obj, pd.DataFrame):
        made = LabelledFrame(obj)
    elif isinstance(obj, pd.Series):
        made = LabelledSeries(obj)
    else:
        raise ValidationError(f"obj: expected a DataFrame or a Series, got {type(obj).__name__}")
    made.attrs = dict(obj.attrs)
    made.units, made.default_unit, made.title = by_name, default, title
    made.labels = {name: text for name, text in (labels or {}).items()}
    made.blank = frozenset(blank)
    made.by_row = isinstance(obj, pd.Series) if by_row is None else by_row
    return made
