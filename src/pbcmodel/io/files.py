"""Opening a user's table file: the one place that turns a path into a table of text cells.

Every reader of a published CSV goes through :func:`read_csv_file`, so every file problem
fails the same way, as a :class:`~pbcmodel.errors.ValidationError` that names the file:

* a path that does not exist, a directory, a file that cannot be read (permissions);
* an empty file, or a header with no data rows;
* a header that names a column twice (also after trimming spaces and ignoring case), or a
  column with no name that holds data;
* a data row that repeats the header (two files joined, a paged export): refused with its row,
  never skipped nor read as data;
* rows with more fields than the header, an unclosed quote, and a file whose last line was
  cut off (it has fewer fields than the header and no final line break);
* a ``.zip`` that does not hold exactly one CSV (a zip holding one CSV is read as that CSV);
  a gzip file (``.csv.gz``, read as the CSV it holds) that is corrupt or cut off; an Excel
  workbook (``.xlsx``) or a UTF-16 text file given as a CSV.

Encodings: a UTF-8 byte-order mark is accepted, and so are CRLF line ends. Text is decoded as
UTF-8 first; a file that is not UTF-8 is decoded as Windows-1252 (cp1252, the code page of
most NHS exports from Excel, a superset of Latin-1 for printable text) with an
:class:`EncodingFallbackWarning` that names the file. A file that is neither is refused.

Cells are returned as text with surrounding spaces removed (also inside quotes, so
``" A81001 "`` is ``A81001``); an empty cell is missing (NaN), never zero.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "map.csv"
>>> _ = p.write_bytes(b'\\xef\\xbb\\xbfpractice,consortium\\r\\n" A81001 ",North\\r\\n')
>>> read_csv_file(p, "consortia").to_dict("records")
[{'practice': 'A81001', 'consortium': 'North'}]
>>> _ = p.write_text("practice,consortium\\n")
>>> read_csv_file(p, "consortia")
Traceback (most recent call last):
...
pbcmodel.errors.ValidationError: consortia: ... has a header but no data rows
"""

from __future__ import annotations

import csv
import datetime
import functools
import gzip
import inspect
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import IO, Any, TypeVar

import pandas as pd

from ..codes import blank_codes, normalise_codes
from ..errors import ValidationError, require
from ..validation import quoted

__all__ = ["ENCODINGS", "EncodingFallbackWarning", "names_its_files", "practice_codes",
           "read_csv_file", "read_xlsx_file"]

Reader = TypeVar("Reader", bound=Callable[..., Any])

#: Encodings tried in order: UTF-8 (with or without a byte-order mark), then Windows-1252.
ENCODINGS = ("utf-8-sig", "cp1252")
_ZIP_MAGIC = b"PK\x03\x04"
_GZIP_MAGIC = b"\x1f\x8b"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: Bytes read from the end of a file to see whether its last line was cut off.
_TAIL_BYTES = 65_536


class EncodingFallbackWarning(UserWarning):
    """A file was not UTF-8 and was read as Windows-1252 (cp1252)."""


def read_csv_file(source: str | PathLike[str], what: str) -> pd.DataFrame:
    """Read a CSV file (or a ``.zip`` holding one CSV, or a gzipped CSV) as text cells.

    Parameters
    ----------
    source : path
        The file.
    what : str
        What the file is, in words, for messages (``"registered patients"``).

    Returns
    -------
    DataFrame
        Columns named by the header (spaces trimmed), cells as ``str`` with spaces trimmed,
        empty cells as NaN; a default ``RangeIndex`` (file row = index + 2).

    Raises
    ------
    ValidationError
        Any of the problems listed in :mod:`pbcmodel.io.files`, naming the file.

    Warns
    -----
    EncodingFallbackWarning
        The file is not UTF-8 and was decoded as Windows-1252.

    Examples
    --------
    >>> read_csv_file("no-such-file.csv", "registered patients")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: registered patients: no such file 'no-such-file.csv'
    >>> read_csv_file(None, "registered patients")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: registered patients: expected a file path, got None
    """
    path = _existing_file(source, what, "a CSV file")
    name = repr(str(path))
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
        if head.startswith(_ZIP_MAGIC) or path.suffix.lower() == ".zip":
            return _read_zip(path, what)
        if head.startswith(_GZIP_MAGIC):
            return _read_gzip(path, what)
        return _read_text(lambda: path.open("rb"), name, what, _tail(path))
    except OSError as exc:
        raise ValidationError(f"{what}: cannot read {name}: {exc.strerror or exc}") from exc


def read_xlsx_file(source: str | PathLike[str], what: str) -> pd.DataFrame:
    """Read the first sheet of an Excel workbook (``.xlsx``) as text cells, as a CSV is read.

    Needs ``openpyxl`` (extra ``pbcmodel[io]``). Row 1 is the header; the header and cell
    rules are those of :func:`read_csv_file` (spaces trimmed, an empty cell is missing, a
    column named twice, a column with data but no name, a repeated header and a header with
    no data rows refused). A number cell is read as it shows without a format: ``12`` (not
    ``12.0``); a date as ``2026-04-01``. Formulas are read as their cached values.

    Returns
    -------
    DataFrame
        As :func:`read_csv_file` (file row = index + 2).

    Examples
    --------
    >>> read_xlsx_file("no-such-file.xlsx", "footprints")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: footprints: no such file 'no-such-file.xlsx'
    """
    path = _existing_file(source, what, "an Excel workbook")
    name = repr(str(path))
    openpyxl = require("openpyxl", "io", "reading Excel workbooks")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValidationError(f"{what}: {name} is not a readable Excel workbook (.xlsx): "
                              f"{exc}") from exc
    try:
        rows = [[_cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(
            values_only=True)]
    finally:
        book.close()
    while rows and not any(rows[-1]):
        rows.pop()                        # formatted but empty rows at the end
    if not rows:
        raise ValidationError(f"{what}: {name} is empty; expected a sheet with a header")
    width = max(len(r) for r in rows)
    raw = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    return _table(raw, name, what)


def _cell_text(value: Any) -> str:
    """An Excel cell as text: a whole number without ``.0``, a date as ISO, empty as ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _existing_file(source: Any, what: str, kind: str) -> Path:
    """``source`` as a path to an existing file, or an error naming it."""
    if not isinstance(source, (str, PathLike)) or str(source) == "":
        raise ValidationError(f"{what}: expected a file path, got {source!r}")
    path = Path(source)
    if path.is_dir():
        raise ValidationError(f"{what}: {str(path)!r} is a folder; expected {kind}")
    if not path.is_file():
        raise ValidationError(f"{what}: no such file {str(path)!r}")
    return path


def names_its_files(**whats: str) -> Callable[[Reader], Reader]:
    """A reader whose every :class:`~pbcmodel.errors.ValidationError` names the file it read.

    ``whats`` maps each parameter that may be a file path to the words its messages begin
    with (``path="registered patients"``). A message ``"registered patients: ORG_CODE is
    blank in file row(s) 2"`` about a file given as a path becomes ``"registered patients:
    'x.csv': ORG_CODE is blank in file row(s) 2"``; a message that already names the file,
    and a table given as a DataFrame, are left as they are.

    Examples
    --------
    >>> @names_its_files(source="consortia")
    ... def read(source):
    ...     raise ValidationError("consortia: practice(s) 'A81001' listed twice (rows 2, 5)")
    >>> read("c.csv")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: consortia: 'c.csv': practice(s) 'A81001' listed twice ...
    """
    def decorate(read: Reader) -> Reader:
        signature = inspect.signature(read)

        @functools.wraps(read)
        def reader(*args: Any, **kwargs: Any) -> Any:
            try:
                return read(*args, **kwargs)
            except ValidationError as exc:
                message = str(exc)
                given = signature.bind(*args, **kwargs).arguments
                for parameter, what in whats.items():
                    source = given.get(parameter)
                    if (isinstance(source, (str, PathLike)) and str(source)
                            and message.startswith(f"{what}: ")
                            and str(Path(source)) not in message):
                        raise ValidationError(f"{what}: {str(Path(source))!r}: "
                                              f"{message.removeprefix(f'{what}: ')}") from exc
                raise
        return reader  # type: ignore[return-value]
    return decorate


def _tail(path: Path) -> bytes:
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - _TAIL_BYTES))
        return fh.read()


def _read_gzip(path: Path, what: str) -> pd.DataFrame:
    name = repr(str(path))
    try:
        with gzip.open(path, "rb") as fh:     # the decompressed tail, for the cut-off check
            tail = b""
            while chunk := fh.read(_TAIL_BYTES):
                tail = (tail + chunk)[-_TAIL_BYTES:]
        return _read_text(lambda: gzip.open(path, "rb"), name, what, tail)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValidationError(f"{what}: {name} is not a complete gzip file ({exc}); download "
                              "it again") from exc


def _read_zip(path: Path, what: str) -> pd.DataFrame:
    name = repr(str(path))
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ValidationError(f"{what}: {name} is not a readable zip file ({exc})") from exc
    with archive:
        members = [m for m in archive.infolist()
                   if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
        csvs = [m for m in members if m.filename.lower().endswith(".csv")]
        if any(m.filename == "[Content_Types].xml" for m in members):
            raise ValidationError(f"{what}: {name} is an Excel workbook; save the sheet as "
                                  "CSV (UTF-8) and give that file")
        if len(csvs) != 1:
            found = quoted([m.filename for m in members]) or "nothing"
            raise ValidationError(f"{what}: {name} must hold exactly one .csv file; it holds "
                                  f"{found}")
        member = csvs[0]
        label = repr(f"{path}!{member.filename}")
        try:
            with archive.open(member) as fh:
                size = member.file_size
                fh.seek(max(0, size - _TAIL_BYTES))
                tail = fh.read()
            return _read_text(lambda: archive.open(member), label, what, tail)
        except (zipfile.BadZipFile, EOFError, RuntimeError) as exc:   # corrupt, encrypted
            raise ValidationError(f"{what}: cannot read {label}: {exc}") from exc


def _read_text(opener: Any, name: str, what: str, tail: bytes) -> pd.DataFrame:
    """Decode (UTF-8, then cp1252 with a warning) and parse; every failure names the file."""
    with opener() as fh:
        start = fh.read(4)
    if not start.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ValidationError(f"{what}: {name} is empty; expected a CSV file with a header")
    if start.startswith(_UTF16_BOMS):
        raise ValidationError(f"{what}: {name} is UTF-16 text (Excel 'Unicode text'); save it "
                              "as 'CSV UTF-8 (comma delimited)'")
    fallback = ""
    for encoding in ENCODINGS:
        try:
            with opener() as fh:
                frame = _parse(fh, encoding, name, what)
        except UnicodeDecodeError as exc:
            bad = exc.object[exc.start:exc.start + 1].hex()
            if encoding == ENCODINGS[0]:
                fallback = (f"{what}: {name} is not UTF-8 (byte 0x{bad}); read it as "
                            "Windows-1252 (cp1252). Save it as CSV UTF-8 to silence this")
                continue
            raise ValidationError(f"{what}: {name} is neither UTF-8 nor Windows-1252 text "
                                  f"(byte 0x{bad}); save it as CSV UTF-8") from exc
        if encoding != ENCODINGS[0]:
            warnings.warn(fallback, EncodingFallbackWarning, stacklevel=3)
        _check_not_truncated(tail, encoding, len(frame.columns), name, what)
        return frame
    raise AssertionError("unreachable")   # pragma: no cover


def _parse(fh: IO[bytes], encoding: str, name: str, what: str) -> pd.DataFrame:
    try:
        raw = pd.read_csv(fh, header=None, dtype=str, encoding=encoding, keep_default_na=False,
                          na_filter=False, skipinitialspace=False, encoding_errors="strict")
    except pd.errors.EmptyDataError as exc:
        raise ValidationError(f"{what}: {name} is empty; expected a CSV file with a "
                              "header") from exc
    except pd.errors.ParserError as exc:
        detail = str(exc).replace("Error tokenizing data. C error: ", "").strip()
        raise ValidationError(f"{what}: {name} is not a well-formed CSV file: {detail}") from exc
    return _table(raw, name, what)


def _table(raw: pd.DataFrame, name: str, what: str) -> pd.DataFrame:
    """Every row of a file as text (the header first) → the table of its data rows."""
    header = [str(c).strip().strip("\ufeff").strip() for c in raw.iloc[0]]   # a stray BOM too
    _check_header_not_repeated(raw, header, name, what)
    body = raw.iloc[1:].reset_index(drop=True)
    body = body.apply(lambda col: col.str.strip()).replace("", float("nan"))
    unnamed = [i for i, c in enumerate(header) if c == ""]
    holding = [i + 1 for i in unnamed if body[raw.columns[i]].notna().any()]
    if holding:
        raise ValidationError(f"{what}: {name}: column(s) {quoted(holding)} have data but no "
                              "name in the header")
    keep = [i for i, c in enumerate(header) if c != ""]
    body = body[[raw.columns[i] for i in keep]]
    body.columns = [header[i] for i in keep]
    folded = pd.Index([c.upper() for c in body.columns])
    if folded.has_duplicates:
        twice = [c for c in body.columns if (folded == c.upper()).sum() > 1]
        raise ValidationError(f"{what}: {name}: column(s) {quoted(dict.fromkeys(twice))} "
                              "appear more than once in the header")
    if body.empty:
        raise ValidationError(f"{what}: {name} has a header but no data rows")
    return body


def _check_header_not_repeated(raw: pd.DataFrame, header: list[str], name: str,
                               what: str) -> None:
    """A data row that repeats the header (files joined, a paged export) means the file is
    corrupt: refused with its row (the header is row 1), never skipped or read as data.

    Cells are compared as the header is read: spaces and a byte-order mark trimmed, case
    ignored.
    """
    def folded(column: pd.Series) -> pd.Series:
        return column.str.strip().str.strip("\ufeff").str.strip().str.upper()

    body = raw.iloc[1:]
    candidates = body[body[raw.columns[0]].str.upper().str.contains(header[0].upper(),
                                                                     regex=False)]
    same = pd.concat([folded(candidates[c]) == h.upper()
                      for c, h in zip(raw.columns, header, strict=True)], axis=1).all(axis=1)
    rows = [int(i) + 1 for i in candidates.index[same.to_numpy()]]
    if rows:
        raise ValidationError(f"{what}: {name}: row(s) {quoted(rows)} repeat the header (row 1); "
                              "the file is corrupt (files joined?): remove the repeated "
                              "header line(s) or download it again")


def _check_not_truncated(tail: bytes, encoding: str, n_columns: int, name: str,
                         what: str) -> None:
    """A last line with no line break and fewer fields than the header was cut off.

    (A file cut exactly at a line break cannot be told from a complete one here; the readers
    check that each practice's rows are complete where the layout allows.)
    """
    if tail.endswith((b"\n", b"\r")) or n_columns <= 1:
        return
    last = re.split(rb"\r\n|\r|\n", tail)[-1].decode(encoding, errors="replace")
    try:
        fields = next(csv.reader(io.StringIO(last)), [])
    except csv.Error:       # not one CSV line (e.g. a stray NUL): the parser has read it
        return
    if 0 < len(fields) < n_columns:
        raise ValidationError(f"{what}: {name} looks cut off: its last line has {len(fields)} "
                              f"of {n_columns} fields and no line break; download it again")


def practice_codes(codes: pd.Series, rows: pd.Series, where: str) -> pd.Series:
    """A published file's practice codes, normalised; a blank or repeated code is refused.

    Parameters
    ----------
    codes : Series
        The practice-code column as read.
    rows : Series
        Each row's number in the file (the header is row 1), for messages.
    where : str
        The file, as messages name it.

    Returns
    -------
    Series
        The codes trimmed and upper-cased (:func:`pbcmodel.codes.normalise_codes`).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.Series([2, 3, 4])
    >>> practice_codes(pd.Series([" a81001", "A81002", "B82003"]), rows, "f.csv").tolist()
    ['A81001', 'A81002', 'B82003']
    >>> practice_codes(pd.Series(["A81001", "a81001 ", "B82003"]), rows, "f.csv")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: f.csv: duplicate practice code 'A81001' in rows 2, 3
    """
    codes = codes.astype(object)
    blank = blank_codes(codes)
    if blank.any():
        raise ValidationError(f"{where}: no practice code in row(s) {quoted(rows[blank])}")
    normalised = normalise_codes(codes)
    dup = normalised.duplicated(keep=False)
    if dup.any():
        first = normalised[dup].iloc[0]
        raise ValidationError(f"{where}: duplicate practice code {first!r} in rows "
                              f"{quoted(rows[dup & (normalised == first)])}")
    return normalised
