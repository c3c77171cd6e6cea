"""Writing outputs whole or not at all: tables to CSV, Parquet or Excel inside one folder.

Every output is first written to a staging place beside its target and moved into place only
when all of it is written:

* :func:`atomic_folder` — a folder of outputs. A new folder appears in one rename. In a folder
  that already exists, files that pbcmodel did not write are left alone, and the files of a
  previous run (the names given in ``replaces``, and any name written again) are replaced as
  a set, only with ``force=True``: all of them or none. On any failure, also half-way
  through writing, the target is exactly as it was, and folders made for it are removed.
* :func:`atomic_file` — one file, replaced in one rename.
* :func:`write_tables` — named tables into a folder, through :func:`atomic_folder`.

The checks run when the context is entered, before any work is done: the target is not a
file (or a folder, for :func:`atomic_file`), existing outputs need ``force``, and the folder
can be written (the staging place is made then). :func:`check_format` checks that the
optional extra a table format needs is installed.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "results"
>>> with atomic_folder(out) as staging:
...     _ = (staging / "a.txt").write_text("one")
...     out.exists()                   # nothing at the target until every file is written
False
>>> sorted(p.name for p in out.iterdir())
['a.txt']
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from os import PathLike
from pathlib import Path

import pandas as pd

from ..errors import ValidationError, require

__all__ = ["FORMATS", "atomic_file", "atomic_folder", "check_format", "table_names",
           "write_tables"]

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Table format → file suffix.
FORMATS = {"csv": ".csv", "parquet": ".parquet", "excel": ".xlsx"}
#: Format → (module, extra) that writing it needs.
_NEEDS = {"parquet": ("pyarrow", "io"), "excel": ("openpyxl", "io")}
_STAGING = ".pbcmodel-staging-"


def check_format(format: str, what: str = "format") -> str:
    """Check a table format and that the optional extra it needs is installed.

    Raises :class:`~pbcmodel.errors.ValidationError` for an unknown format and
    :class:`~pbcmodel.errors.MissingDependencyError` for a missing extra, before any work.

    Examples
    --------
    >>> check_format("csv")
    'csv'
    >>> check_format("xls")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: format: must be one of ['csv', 'excel', 'parquet'], got 'xls'
    """
    if format not in FORMATS:
        raise ValidationError(f"{what}: must be one of {sorted(FORMATS)}, got {format!r}")
    if format in _NEEDS:
        module, extra = _NEEDS[format]
        require(module, extra, f"{format.capitalize()} tables")
    return format


def _target_path(target: object, what: str, kind: str) -> Path:
    """``target`` as a Path; an empty string (an unset shell variable) or a non-path is refused.

    ``""`` would otherwise mean the current folder, where outputs would land among the
    user's own files; ``"."`` says so on purpose and is accepted.
    """
    if not isinstance(target, (str, PathLike)) or not str(target).strip():
        raise ValidationError(f"{what}: expected a {kind} path, got {target!r}")
    return Path(target)


def _make_parents(folder: Path, what: str) -> list[Path]:
    """Make ``folder`` and its missing parents; return those made (outermost first)."""
    missing = []
    here = folder.absolute()
    while not here.exists() and not here.is_symlink():
        missing.append(here)
        here = here.parent
    if not here.is_dir():
        raise ValidationError(f"{what}: {str(here)!r} is a file, so {str(folder)!r} cannot be "
                              "made inside it; choose another path")
    missing.reverse()
    made: list[Path] = []
    try:
        for p in missing:
            p.mkdir()
            made.append(p)
    except OSError as exc:
        _remove_made(made)
        raise _cannot_write(folder, exc, what) from exc
    return made


def _remove_made(made: list[Path]) -> None:
    for p in reversed(made):
        with contextlib.suppress(OSError):
            p.rmdir()


def _cannot_write(folder: Path, exc: OSError, what: str) -> ValidationError:
    reason = exc.strerror or str(exc)
    return ValidationError(f"{what}: cannot write in {str(folder)!r} ({reason}); choose a "
                           "folder you can write to")


def _refuse(existing: Iterable[str], target: Path, what: str) -> ValidationError:
    names = sorted(existing)
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    flag = "--force" if what.startswith("--") else "force=True"
    return ValidationError(f"{what}: {shown} already exist(s) in {str(target)!r}; pass {flag} "
                           "to replace the previous run's files")


@contextlib.contextmanager
def atomic_folder(target: str | PathLike[str], *, force: bool = False,
                  replaces: Iterable[str] = (), what: str = "out_dir") -> Iterator[Path]:
    """Stage a folder of outputs; move it into place when the ``with`` block succeeds.

    Parameters
    ----------
    target : path
        The output folder (made if needed, with its parents); not ``""`` (an unset
        variable), which would mean the current folder: give ``"."`` for that.
    force : bool
        Replace the previous run's files. Without it, an existing file among ``replaces``
        (or among the names written) is an error, raised on entry if it can be.
    replaces : iterable of str
        File names that belong to this kind of output in any format (``summary.csv``,
        ``summary.parquet``, …): with ``force`` they are all removed with the previous run,
        so no stale file remains; other files in the folder are never touched.
    what : str
        How the target is named in messages (``"--out"`` on the command line).

    Yields
    ------
    Path
        The staging folder to write into (empty).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (out / "notes.txt").write_text("mine"); _ = (out / "old.csv").write_text("1")
    >>> with atomic_folder(out, force=True, replaces=["old.csv", "new.csv"]) as staging:
    ...     _ = (staging / "new.csv").write_text("2")
    >>> sorted(p.name for p in out.iterdir())      # old.csv went with the previous run
    ['new.csv', 'notes.txt']
    >>> with atomic_folder(out, replaces=["new.csv"]) as staging:
    ...     pass
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: out_dir: new.csv already exist(s) in ...
    >>> with atomic_folder("", what="--out") as staging:
    ...     pass
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: --out: expected a folder path, got ''
    """
    out = _target_path(target, what, "folder")
    owned = set(replaces)
    if out.exists() and not out.is_dir():
        raise ValidationError(f"{what}: {str(out)!r} exists and is not a directory")
    if out.is_dir() and not force:
        existing = owned.intersection(os.listdir(out))
        if existing:
            raise _refuse(existing, out, what)
    fresh = not out.exists()
    made = _make_parents(out.parent if fresh else out, what)
    home = out.parent if fresh else out
    try:
        staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=home))
    except OSError as exc:
        _remove_made(made)
        raise _cannot_write(home, exc, what) from exc
    committed = False
    try:
        yield staging
        if fresh and not out.exists():
            staging.rename(out)
        else:
            _replace_files(staging, out, owned, force, what)
        committed = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not committed:
            _remove_made(made)


def _replace_files(staging: Path, out: Path, owned: set[str], force: bool, what: str) -> None:
    """Move the staged files into ``out``, replacing the previous run's as a set."""
    new = sorted(os.listdir(staging))
    present = set(os.listdir(out))
    old = sorted(present.intersection(owned.union(new)))
    if old and not force:
        raise _refuse(old, out, what)
    backup = Path(tempfile.mkdtemp(prefix=_STAGING, dir=out))
    moved_old: list[str] = []
    moved_new: list[str] = []
    try:
        for name in old:
            os.rename(out / name, backup / name)
            moved_old.append(name)
        for name in new:
            os.rename(staging / name, out / name)
            moved_new.append(name)
    except BaseException:
        for name in reversed(moved_new):
            os.rename(out / name, staging / name)
        for name in reversed(moved_old):
            os.rename(backup / name, out / name)
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)


@contextlib.contextmanager
def atomic_file(target: str | PathLike[str], *, force: bool = False,
                what: str = "out") -> Iterator[Path]:
    """Stage one output file; move it into place (one rename) when the block succeeds.

    Checked on entry: ``target`` is not a folder, it does not exist unless ``force``, and
    its folder can be written (made if needed; removed again on failure).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "sub" / "budgets.csv"
    >>> with atomic_file(out) as staging:
    ...     _ = staging.write_text("total\\n1\\n")
    >>> out.read_text()
    'total\\n1\\n'
    """
    out = _target_path(target, what, "file")
    if out.is_dir():
        raise ValidationError(f"{what}: {str(out)!r} is a folder; expected a file name")
    if out.exists() and not force:
        flag = "--force" if what.startswith("--") else "force=True"
        raise ValidationError(f"{what}: {str(out)!r} already exists; pass {flag} to replace it")
    made = _make_parents(out.parent, what)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".pbcmodel-staging",
                                    dir=out.parent)
    except OSError as exc:
        _remove_made(made)
        raise _cannot_write(out.parent, exc, what) from exc
    os.close(fd)
    staging = Path(name)
    committed = False
    try:
        yield staging
        os.replace(staging, out)
        committed = True
    finally:
        if not committed:
            staging.unlink(missing_ok=True)
            _remove_made(made)


def table_names(names: Iterable[str], format: str) -> list[str]:
    """The file names :func:`write_tables` writes for ``names`` in ``format``.

    Examples
    --------
    >>> table_names(["budgets", "summary"], "parquet")
    ['budgets.parquet', 'summary.parquet']
    """
    if format == "excel":
        return ["tables.xlsx"]
    return [f"{name}{FORMATS[format]}" for name in names]


def write_tables(tables: Mapping[str, pd.DataFrame | pd.Series], out_dir: str | PathLike[str],
                 *, format: str = "csv", force: bool = False) -> list[Path]:
    """Write named tables into ``out_dir`` (made if needed), whole or not at all.

    Table names must be plain file names (no folders), so nothing is written outside
    ``out_dir``. Existing files of the same names are replaced only with ``force=True``.
    Everything is checked before anything is written, and the tables are written through
    :func:`atomic_folder`, so a refusal or a failure half-way leaves ``out_dir`` as it was.

    Parameters
    ----------
    tables : mapping of str to DataFrame or Series
        File stem → table. ``format="excel"`` writes one workbook ``tables.xlsx`` with one
        sheet per table.
    out_dir : path
        The folder (not ``""``: give ``"."`` for the current folder).
    format : {"csv", "parquet", "excel"}
        Parquet needs ``pyarrow`` and Excel ``openpyxl`` (extra ``pbcmodel[io]``).
    force : bool
        Replace existing files.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> out = tempfile.mkdtemp()
    >>> _ = write_tables({"t": pd.DataFrame({"x": [1]})}, out)
    >>> write_tables({"t": pd.DataFrame({"x": [2]})}, out)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: out_dir: t.csv already exist(s) in ...
    """
    check_format(format)
    out = _target_path(out_dir, "out_dir", "folder")
    for name in tables:
        if not _SAFE_NAME.match(str(name)) or ".." in str(name):
            raise ValidationError(
                f"tables: name {name!r} must be a plain file name (letters, digits, _ . -)"
            )
    frames = {name: t.to_frame() if isinstance(t, pd.Series) else t for name, t in tables.items()}
    for name, frame in frames.items():
        if not isinstance(frame, pd.DataFrame):
            raise ValidationError(f"tables: {name!r} must be a DataFrame or Series, got "
                                  f"{type(frame).__name__}")
    files = table_names(frames, format)
    with atomic_folder(out, force=force, replaces=files) as staging:
        if format == "excel":
            with pd.ExcelWriter(staging / files[0]) as writer:
                for name, frame in frames.items():
                    frame.to_excel(writer, sheet_name=name[:31])
        else:
            for frame, file in zip(frames.values(), files, strict=True):
                if format == "csv":
                    frame.to_csv(staging / file)
                else:
                    frame.to_parquet(staging / file)
    return [out / file for file in files]
