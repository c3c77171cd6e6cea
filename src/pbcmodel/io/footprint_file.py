"""Reader of a footprint mapping file: which footprint (PCN, place, grouping) each practice is in.

A CSV (also zipped or gzipped) or an Excel workbook (``.xlsx``, first sheet) with one row
per practice and the columns

``practice``
    the practice code (also accepted as ``practice_code``);
``footprint``
    the footprint's code (also ``footprint_code`` or ``pcn_code``);
``footprint_name``
    optional, its name (also ``pcn_name``);
``icb``
    optional, its ICB code (also ``icb_code``).

Headers in any case. Codes are compared trimmed and in upper case
(:func:`pbcmodel.codes.normalise_codes`). Every error names the file, the row as a
spreadsheet shows it (the header is row 1) and the code.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "pcns.csv"
>>> _ = p.write_text("Practice,PCN_Code,PCN_Name\\nA81001,U1,Stockton\\nA81002,U1,Stockton\\n")
>>> fp = read_footprints(p, level="pcn")
>>> fp.footprint.to_dict(), fp.names.to_dict()
({'A81001': 'U1', 'A81002': 'U1'}, {'U1': 'Stockton'})
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from ..codes import normalise_codes
from ..errors import ValidationError
from ..footprints import Footprints
from ..validation import quoted
from .files import names_its_files, read_csv_file, read_xlsx_file

__all__ = ["FOOTPRINT_COLUMNS", "read_footprints"]

#: The columns a footprint file may have → the other headers accepted for each.
FOOTPRINT_COLUMNS: dict[str, tuple[str, ...]] = {
    "practice": ("practice_code",),
    "footprint": ("footprint_code", "pcn_code"),
    "footprint_name": ("pcn_name",),
    "icb": ("icb_code",),
}

_WHAT = "footprints"


def _columns(table: pd.DataFrame) -> pd.DataFrame:
    """Headers lower-cased; one accepted synonym renamed to each missing column."""
    found = list(table.columns)
    table = table.set_axis([str(c).strip().lower() for c in found], axis=1)
    for column, others in FOOTPRINT_COLUMNS.items():
        given = [c for c in (column, *others) if c in table.columns]
        if len(given) > 1:
            raise ValidationError(f"{_WHAT}: columns {quoted(given)} both give the {column}; "
                                  "keep one")
        if given:
            table = table.rename(columns={given[0]: column})
    missing = [c for c in ("practice", "footprint") if c not in table.columns]
    if missing:
        raise ValidationError(f"{_WHAT}: missing column(s) {quoted(missing)}; found "
                              f"{quoted(found, 20)}")
    return table


def _blank_rows(table: pd.DataFrame, column: str, rows: pd.Series) -> None:
    blank = table[column].isna()
    if blank.any():
        raise ValidationError(f"{_WHAT}: blank {column} in row(s) {quoted(rows[blank])}")


def _check_repeats(practice: pd.Series, footprint: pd.Series, rows: pd.Series) -> None:
    """A practice on two rows: the same footprint twice, or two footprints."""
    twice = practice.duplicated(keep=False)
    if not twice.any():
        return
    first = practice[twice].iloc[0]
    same = practice == first
    held = footprint[same]
    if held.nunique() == 1:
        raise ValidationError(f"{_WHAT}: practice {first!r} is on repeated rows "
                              f"{quoted(rows[same])} (footprint {held.iloc[0]!r} each time); "
                              "keep one row")
    raise ValidationError(f"{_WHAT}: practice {first!r} is in two footprints "
                          f"{quoted(held.unique())} (rows {quoted(rows[same])})")


def _per_footprint(table: pd.DataFrame, column: str, rows: pd.Series) -> pd.Series | None:
    """``footprint_name`` or ``icb``: one value per footprint (blank names allowed)."""
    if column not in table.columns:
        return None
    values = table[column]
    if column == "icb":
        _blank_rows(table, column, rows)
        values = normalise_codes(values)
    given = pd.DataFrame({"footprint": table["footprint"], "value": values}).dropna()
    distinct = given.drop_duplicates()
    twice = distinct["footprint"].duplicated(keep=False)
    if twice.any():
        code = distinct.loc[twice, "footprint"].iloc[0]
        which = given["footprint"] == code
        raise ValidationError(f"{_WHAT}: footprint {code!r} has two {column}s "
                              f"{quoted(distinct.loc[distinct['footprint'] == code, 'value'])} "
                              f"(rows {quoted(rows[which[which].index])})")
    return distinct.set_index("footprint")["value"]


@names_its_files(path=_WHAT)
def read_footprints(path: str | PathLike[str], *, level: str = "custom") -> Footprints:
    """Read a practice → footprint mapping file.

    Parameters
    ----------
    path : path
        A CSV file (or its ``.zip``/``.gz``) or an ``.xlsx`` workbook (first sheet) with
        columns ``practice``, ``footprint`` and optionally ``footprint_name`` and ``icb``
        (see :mod:`pbcmodel.io.footprint_file` for the other headers accepted).
    level : {"custom", "pcn", "place", "icb"}
        What the footprints are (:attr:`Footprints.level <pbcmodel.footprints.Footprints>`).

    Returns
    -------
    Footprints
        With ``source`` the file's path.

    Raises
    ------
    ValidationError
        Naming the file: missing columns (listing those found), a file with no data rows, a
        blank practice or footprint (its row), a practice on two rows (``repeated rows``
        with the same footprint, ``in two footprints`` otherwise; the practice and rows),
        a footprint given two names or two ICBs, a blank ICB.
    MissingDependencyError
        An ``.xlsx`` file without ``openpyxl`` (extra ``pbcmodel[io]``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.csv"
    >>> _ = p.write_text("practice,footprint\\nA1,N\\nB1,S\\na1,S\\n")
    >>> read_footprints(p)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: footprints: '...f.csv': practice 'A1' is in two footprints ...
    """
    suffix = Path(path).suffix.lower() if isinstance(path, (str, PathLike)) else ""
    read = read_xlsx_file if suffix in (".xlsx", ".xlsm") else read_csv_file
    table = _columns(read(path, _WHAT))
    rows = pd.Series(table.index + 2, index=table.index)
    for column in ("practice", "footprint"):
        _blank_rows(table, column, rows)
    practice = normalise_codes(table["practice"])
    footprint = normalise_codes(table["footprint"])
    _check_repeats(practice, footprint, rows)
    table = table.assign(footprint=footprint)
    names = _per_footprint(table, "footprint_name", rows)
    return Footprints(pd.Series(footprint.to_numpy(), index=practice.to_numpy()),
                      names=names, icb=_per_footprint(table, "icb", rows), level=level,
                      source=str(path))
