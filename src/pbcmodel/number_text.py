"""Numbers as people type them: one rule for every number read from a file or a command line.

Finance users paste from spreadsheets in many locales, and ``1,2`` can mean 1.2 (Europe) or
be a slip for 12 or 1,234. pbcmodel never guesses: a text reads as a number only when it
has exactly one meaning; anything else is refused with the place (file, row, column, or the
command-line option: the caller's ``where``), the text as written and what to write instead.

The rule
--------
Accepted (spaces around the number are trimmed):

* plain numbers as Python and Excel (en-GB) write them: ``1234``, ``-12.5``, ``.5``, ``3.``,
  ``+3``, ``1e6``, ``1.5E-3``, ``1e+16`` (every finite float's ``repr`` and ``str``);
* thousands separators in the en-GB form only: one to three digits, then groups of exactly
  three digits after each comma, then optionally a decimal point and digits:
  ``1,234``, ``-1,234,567.89`` (what ``f"{x:,.2f}"`` writes);
* money: one leading ``£``, before or after the sign (``£1,234.50``, ``-£12``, ``£-12``),
  with the same rule for what follows. The ``£`` says nothing about the unit: the caller
  says what the number is (pounds, patients, pounds per head).

Refused, never read as another number:

* a comma anywhere else: ``1,2``, ``1,0``, ``12,34,5``, ``1,2345``, the European ``1.234,56``,
  a comma with an exponent (``1,234e3``);
* a trailing ``%`` (write ``0.05`` for 5%), a ``k``/``m``/``bn`` suffix (write ``1000000``
  for ``£1m``), accounting brackets ``(1,234)`` (write ``-1234``), spaces or underscores
  inside a number (``1 234``, ``1_000``: write ``1234`` or ``1,234``), other currencies;
* text for a number that is not finite: ``nan``, ``inf``, ``-Infinity``, and spreadsheet
  errors (``#N/A``, ``#DIV/0!``, ``#VALUE!``); a number too large for a float (``1e400``);
* a blank (empty or only spaces): whether it is *missing* (``None``) or an error is the
  caller's choice, ``blank="missing"`` or ``blank="error"``; a blank is never read as zero.

Examples
--------
>>> parse_number("1,234,567.89", "row 2, column 'outturn'")
1234567.89
>>> parse_number(" -£12 ", "row 2, column 'outturn'"), parse_number("1e6", "--resource")
(-12.0, 1000000.0)
>>> parse_number("1,2", "o.csv: row 3, column 'outturn'", unit="pounds")
Traceback (most recent call last):
...
pbcmodel.errors.ValidationError: o.csv: row 3, column 'outturn': expected pounds, got '1,2':
a comma is read only between groups of three digits (1,234,567.89); write 1.2 or 12, as meant
>>> parse_number("5%", "--tolerance")
Traceback (most recent call last):
...
pbcmodel.errors.ValidationError: --tolerance: expected a number, got '5%': a percentage is not
read; write 0.05 for 5%
>>> parse_number("", "row 4, column 'cost'", blank="missing") is None
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Literal, overload

import numpy as np
import pandas as pd

from .errors import ValidationError

__all__ = ["BLANK", "PLAIN", "number_cells", "parse_column", "parse_number"]

#: A plain number as Python and Excel write it: sign, digits with an optional point, exponent.
PLAIN = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_GROUPED = r"\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_NUMBER = re.compile(r"(?P<s1>[+-]?)(?P<pound>£?)(?P<s2>[+-]?)"
                     r"(?P<body>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|" + _GROUPED + ")")
_PLAIN_RE = re.compile(PLAIN)

_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)|#.*", re.IGNORECASE)
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r".*%"), "a percentage is not read; write 0.05 for 5%"),
    (re.compile(r"[+-]?£?[+-]?[\d.,]+\s*(?:k|m|mn|bn)", re.IGNORECASE),
     "a k, m or bn suffix is not read; write the whole number (1000000 for £1m)"),
    (re.compile(r"\(.*\)"), "accounting brackets are not read; write a minus sign "
                             "(-1234 for (1,234))"),
    (_NOT_FINITE, "not a finite number (NaN, infinity or a spreadsheet error); give the "
                  "number"),
    (re.compile(r".*\d[\s_]+\d.*"), "spaces or underscores inside a number are not read; "
                                     "write 1234 or 1,234"),
    (re.compile(r".*[$€¥].*"), "only pounds (£) are read; give the amount in pounds"),
)


def _comma_hint(text: str) -> str:
    """What to write for a text with a comma that is not en-GB grouping."""
    if re.fullmatch(r"[+-]?£?[+-]?\d{1,3}(?:\.\d{3})+,\d+", text):     # 1.234,56
        return (f"a European decimal comma is not read; write "
                f"{text.replace('.', '').replace(',', '.')} for {text}")
    one = text.count(",") == 1 and not re.search("[eE.]", text)     # 1,2 or 1,0: say both
    meant = [t for t in (text.replace(",", "."), text.replace(",", ""))
             if one and _NUMBER.fullmatch(t) and not re.match(r"[+-]?£?[+-]?0\d", t)]
    return ("a comma is read only between groups of three digits (1,234,567.89)"
            + (f"; write {' or '.join(meant)}, as meant" if meant else ""))


def _hint(text: str) -> str:
    for pattern, hint in _HINTS:
        if pattern.fullmatch(text):
            return hint
    if "," in text:
        return _comma_hint(text)
    return _ANY_NUMBER


#: The hint for a text that is no number at all (no comma, %, £1m, … to point at).
_ANY_NUMBER = "write it as 1234, 1,234.50, -12.5 or 1e6"
#: The same, where a whole number is expected (a count, a seed, a month).
_WHOLE_NUMBER = "write it as a whole number, such as 12 or 1,234"


def _refuse(text: str, where: str, unit: str, hint: str) -> ValidationError:
    if hint == _ANY_NUMBER and unit in ("a whole number", "a month"):
        hint = _WHOLE_NUMBER
    return ValidationError(f"{where}: expected {unit}, got {text!r}: {hint}")


@overload
def parse_number(text: str, where: str, *, unit: str = ...,
                 blank: Literal["error"] = ...) -> float: ...
@overload
def parse_number(text: str, where: str, *, unit: str = ...,
                 blank: Literal["missing"]) -> float | None: ...
def parse_number(text: str, where: str, *, unit: str = "a number",
                 blank: Literal["missing", "error"] = "error") -> float | None:
    """The number ``text`` stands for, by the rule above, or a :class:`ValidationError`.

    Parameters
    ----------
    text : str
        The text as written in the file or on the command line.
    where : str
        Where it was written, as the message should name it: ``"--outturn 'o.csv': row 3,
        column 'outturn'"`` or ``"--resource"``.
    unit : str
        What the caller expects, for the message: ``"pounds"``, ``"a whole number"``.
    blank : {"error", "missing"}
        A blank (empty or only spaces) is an error naming ``where`` (the default), or is
        missing: ``None``, never zero.

    Returns
    -------
    float or None
        The number (finite), or ``None`` for a blank with ``blank="missing"``.

    Examples
    --------
    >>> [parse_number(t, "x") for t in ["1234", "-12.5", ".5", "+3", "1.5E-3", "£-1,234.50"]]
    [1234.0, -12.5, 0.5, 3.0, 0.0015, -1234.5]
    >>> parse_number("(1,234)", "row 2, column 'cost'", unit="pounds")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: row 2, column 'cost': expected pounds, got '(1,234)':
    accounting brackets are not read; write a minus sign (-1234 for (1,234))
    >>> parse_number(" ", "row 2, column 'cost'")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: row 2, column 'cost': blank; expected a number
    """
    if not isinstance(text, str):
        raise ValidationError(f"{where}: expected {unit} as text, got {type(text).__name__}")
    written = text.strip()
    if not written:
        if blank == "missing":
            return None
        raise ValidationError(f"{where}: blank; expected {unit}")
    value = _read(written)
    if isinstance(value, str):
        raise _refuse(written, where, unit, value)
    return value


def _read(written: str) -> float | str:
    """The number a trimmed, non-blank text stands for, or why it is refused."""
    match = _NUMBER.fullmatch(written)
    if match is None or (match["s1"] and match["s2"]):
        return _hint(written)
    value = float(match["s1"] + match["s2"] + match["body"].replace(",", ""))
    return value if math.isfinite(value) else "too large to be a number"


def parse_column(values: pd.Series, where_of_row: Callable[[int], str], *,
                 unit: str = "a number",
                 blank: Literal["missing", "error"] = "missing") -> pd.Series:
    """A column of cells as float, by :func:`parse_number`; a blank is NaN or an error.

    The first cell that is not a number is refused, named by ``where_of_row(position)`` (the
    caller's file, row and column, and whatever else names the culprit, such as the
    practice), with how many such cells there are. A reader that names its culprits its
    own way (several at once) calls :func:`number_cells` instead.

    Parameters
    ----------
    values : pandas.Series
        The cells, as read (text, or NaN for an empty cell).
    where_of_row : callable
        Position of the cell in ``values`` (0 for the first) → where it is, for the message:
        in a file read whole, the file row is the position + 2 (the header is row 1).
    unit, blank
        As :func:`parse_number`; here a blank is missing (NaN) unless ``blank="error"``.

    Returns
    -------
    pandas.Series
        float64, same index; NaN only for blanks.

    Examples
    --------
    >>> cells = pd.Series(["1,234.50", " 7 ", None, "£-3"])
    >>> parse_column(cells, lambda i: f"row {i + 2}").tolist()
    [1234.5, 7.0, nan, -3.0]
    >>> parse_column(pd.Series(["1", "1,2", "x"]), lambda i: f"o.csv: row {i + 2}")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: o.csv: row 3: expected a number, got '1,2': a comma is read
    only between groups of three digits (1,234,567.89); write 1.2 or 12, as meant (2 cells in
    all are not numbers)
    """
    numbers, why = number_cells(values)
    refused = (why != "").to_numpy() & (why != BLANK).to_numpy()
    if refused.any():
        first = int(refused.argmax())
        more = f" ({int(refused.sum())} cells in all are not numbers)" if refused.sum() > 1 else ""
        raise _refuse(_written(values.iloc[first]), where_of_row(first), unit,
                      why.iloc[first] + more)
    blanks = (why == BLANK).to_numpy()
    if blank == "error" and blanks.any():
        more = f" ({int(blanks.sum())} cells in all are blank)" if blanks.sum() > 1 else ""
        raise ValidationError(f"{where_of_row(int(blanks.argmax()))}: blank; expected {unit}"
                              + more)
    return numbers


#: What :func:`number_cells` says of a blank cell.
BLANK = "blank"


def number_cells(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each cell by the rule: its number, and why not (``""`` when read, :data:`BLANK`).

    Plain numbers (nearly all of a published file) are read at C speed, the rest cell by
    cell by the rule of :func:`parse_number`. A cell that already holds a finite number (a
    table built in Python) is kept; NaN or None there is a blank.

    Returns
    -------
    numbers : pandas.Series
        float64, same index; NaN where a cell is blank or refused.
    why : pandas.Series
        str, same index: ``""`` for a number, ``"blank"``, or what to write instead.

    Examples
    --------
    >>> numbers, why = number_cells(pd.Series(["1,234", "", "5%"]))
    >>> numbers.tolist(), why.tolist()
    ([1234.0, nan, nan], ['', 'blank', 'a percentage is not read; write 0.05 for 5%'])
    """
    cells = pd.Series(values, copy=False)
    missing = cells.isna().to_numpy().copy()
    why = np.where(missing, BLANK, "").astype(object)
    if cells.dtype.kind in "iufb":           # numbers already (a table built in Python)
        numbers = cells.to_numpy(dtype=float, copy=True)
        odd = ~np.isfinite(numbers) & ~missing if cells.dtype.kind != "b" else ~missing
    else:
        text = cells.where(cells.map(lambda c: isinstance(c, str)).astype(bool)
                           if not isinstance(cells.dtype, pd.StringDtype) else ~cells.isna())
        stripped = text.astype(object).str.strip()
        missing |= (stripped == "").to_numpy()
        why[missing] = BLANK
        plain = stripped.str.fullmatch(PLAIN).fillna(False).astype(bool).to_numpy()
        numbers = np.full(len(cells), np.nan)
        numbers[plain] = stripped[plain].astype(float).to_numpy()
        odd = ~missing & ~np.isfinite(numbers)   # not plain, or 1e400
    for i in np.flatnonzero(odd):
        value = _read_cell(cells.iloc[i])
        if isinstance(value, str):
            numbers[i], why[i] = np.nan, value
        else:
            numbers[i] = value
    return (pd.Series(numbers, index=cells.index),
            pd.Series(why, index=cells.index, dtype=object))


def _read_cell(cell: object) -> float | str:
    if isinstance(cell, str):
        return _read(cell.strip())
    if isinstance(cell, (int, float, np.number)) and not isinstance(cell, (bool, np.bool_)):
        number = float(cell)
        return number if math.isfinite(number) else "not a finite number"
    return f"not a number ({type(cell).__name__})"


def _written(cell: object) -> str:
    """A cell as the message quotes it: text trimmed, anything else as str (never a repr)."""
    return cell.strip() if isinstance(cell, str) else str(cell)
