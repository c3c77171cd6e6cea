"""Writing tables to CSV, Parquet or Excel inside one output folder.

Writers only write inside the output directory they are given and refuse to overwrite
existing files unless asked to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import pandas as pd

from ..errors import ValidationError

__all__ = ["write_tables"]


_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SUFFIX = {"csv": ".csv", "parquet": ".parquet", "excel": ".xlsx"}


def write_tables(tables: Mapping[str, pd.DataFrame | pd.Series], out_dir: str | PathLike,
                 *, format: str = "csv", force: bool = False) -> list[Path]:
    """Write named tables into ``out_dir`` (created if needed); return the paths written.

    Table names must be plain file names (no directories), so nothing is written outside
    ``out_dir``. Existing files are never overwritten unless ``force=True``; the check is
    made for every table before anything is written, so a refusal writes nothing.

    Parameters
    ----------
    tables : mapping of str to DataFrame or Series
        File stem → table. ``format="excel"`` writes one workbook ``tables.xlsx`` with one
        sheet per table.
    out_dir : path
    format : {"csv", "parquet", "excel"}
        Parquet needs ``pyarrow`` and Excel ``openpyxl`` (extra ``pbcmodel[io]``).
    force : bool
        Overwrite existing files.

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
    if format not in _SUFFIX:
        raise ValidationError(f"format: must be one of {sorted(_SUFFIX)}, got {format!r}")
    for name in tables:
        if not _SAFE_NAME.match(str(name)) or ".." in str(name):
            raise ValidationError(
                f"tables: name {name!r} must be a plain file name (letters, digits, _ . -)"
            )
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValidationError(f"out_dir: {str(out)!r} exists and is not a directory")
    targets = ({"tables": out / "tables.xlsx"} if format == "excel"
               else {name: out / f"{name}{_SUFFIX[format]}" for name in tables})
    if not force:
        existing = [p.name for p in targets.values() if p.exists()]
        if existing:
            raise ValidationError(
                f"out_dir: {', '.join(existing)} already exist(s) in {str(out)!r}; pass "
                "force=True (--force on the command line) to overwrite"
            )
    out.mkdir(parents=True, exist_ok=True)
    frames = {name: t.to_frame() if isinstance(t, pd.Series) else t for name, t in tables.items()}
    if format == "excel":
        with pd.ExcelWriter(targets["tables"]) as writer:
            for name, frame in frames.items():
                frame.to_excel(writer, sheet_name=name[:31])
        return [targets["tables"]]
    for name, frame in frames.items():
        if format == "csv":
            frame.to_csv(targets[name])
        else:
            frame.to_parquet(targets[name])
    return list(targets.values())
