"""The ``statements`` command: practice statements as web pages and an Excel workbook.

``pbcmodel statements SCENARIO.toml --outturn FILE --out DIR`` settles the year against the
outturn and writes one page per practice, one per consortium, ``index.html`` for the
commissioner and ``statements.xlsx``; with ``--month M`` the file is spend by month and the
statements are for the year to date, with the forecast for the year.

The outturn file is a CSV:

* a settled year: ``practice`` and ``outturn`` (pounds), or ``practice`` and one column per
  point of delivery;
* a month (``--month``): ``practice``, ``month`` (1 = April), ``cost`` (pounds) and
  optionally ``pod``;

either may have a ``name`` column (the practice's name, shown beside its code). Every
practice of the scenario must be there, and no other.

Examples
--------
>>> from pbcmodel.cli import build_parser
>>> args = build_parser().parse_args(["statements", "s.toml", "--outturn", "o.csv",
...                                   "--out", "st", "--format", "html"])
>>> args.formats, args.month
(['html'], None)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..codes import PODS, normalise_codes
from ..errors import ValidationError
from ..io.files import read_csv_file
from ..monitoring import panel_gaps
from ..number_text import parse_column
from ..reports.statement_pages import FORMATS, write_statements
from ..scenario import Scenario, load_scenario
from .parsing import checked, month

__all__ = ["COMMANDS", "read_monthly_spend", "read_outturn"]


def _numbers(frame: pd.DataFrame, columns: list[str], what: str, unit: str) -> pd.DataFrame:
    """Columns as numbers by the one rule (:mod:`pbcmodel.number_text`); the first cell that
    is not one, or is blank, is named by practice, row and column, with the text as written."""
    return pd.DataFrame({c: parse_column(frame[c], _cell(frame, what, c), unit=unit,
                                         blank="error") for c in columns}, index=frame.index)


def _cell(frame: pd.DataFrame, what: str, column: str) -> Callable[[int], str]:
    """Where the cell of ``column`` at a position is: the file, the practice, the file row
    (the header is row 1) and the column."""
    return lambda i: (f"{what}: practice {frame['practice'].iloc[i]!r}, row {i + 2}, "
                      f"column {column!r}")


def _read(path: str, required: tuple[str, ...], expected: str) -> pd.DataFrame:
    """The CSV with its required columns, practice codes read as the other readers read them
    (' p001 ' is P001)."""
    frame = read_csv_file(path, "--outturn")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValidationError(f"--outturn {str(path)!r}: no {', '.join(map(repr, missing))} "
                              f"column(s); {expected}")
    frame["practice"] = normalise_codes(frame["practice"])
    return frame


def _names(frame: pd.DataFrame) -> pd.Series | None:
    if "name" not in frame.columns:
        return None
    return frame.drop_duplicates("practice").set_index("practice")["name"]


def read_outturn(path: str) -> tuple[pd.Series | pd.DataFrame, pd.Series | None]:
    """A settled year's spend per practice (pounds) and the practices' names, from a CSV.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "o.csv"
    >>> _ = p.write_text("practice,name,outturn\\n p1 ,The Surgery,\\"1,250.50\\"\\n")
    >>> outturn, names = read_outturn(p)
    >>> outturn.to_dict(), names.to_dict()
    ({'P1': 1250.5}, {'P1': 'The Surgery'})
    """
    what = f"--outturn {str(path)!r}"
    frame = _read(path, ("practice",), "expected practice and outturn (or one column per "
                                       "point of delivery)")
    if "month" in frame.columns and "outturn" not in frame.columns:
        months = frame["month"].nunique()
        raise ValidationError(f"{what}: spend by month (a 'month' column"
                              + (f", {months} months" if months > 1 else "")
                              + "); give --month with the last month to report, 1 (April) to "
                              "12 (March), or a settled year's file (practice, outturn)")
    dup = frame["practice"].duplicated()
    if dup.any():
        raise ValidationError(f"{what}: practice {frame.loc[dup, 'practice'].iloc[0]!r} is "
                              f"listed twice (row {int(dup.to_numpy().argmax()) + 2})")
    pods = [c for c in frame.columns if c in PODS or c == "total"]
    if "outturn" in frame.columns:
        values = _numbers(frame, ["outturn"], what, "pounds")["outturn"]
        values.index = pd.Index(frame["practice"], name="practice")
        return values, _names(frame)
    if pods:
        values = _numbers(frame, pods, what, "pounds")
        values.index = pd.Index(frame["practice"], name="practice")
        return values, _names(frame)
    raise ValidationError(f"{what}: expected an 'outturn' column (pounds), or one column per "
                          f"point of delivery ({', '.join(PODS)}); got "
                          f"{', '.join(map(str, frame.columns))}")


def read_monthly_spend(path: str) -> tuple[pd.DataFrame, pd.Series | None]:
    """Spend by practice and month (pounds), optionally by POD, and the practices' names.

    Every practice (× POD) needs a row for every month to date, 0 for no spend: the
    statements command checks this against the scenario with
    :func:`pbcmodel.monitoring.panel_gaps`, naming the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.csv"
    >>> _ = p.write_text("practice,month,cost\\nP1,1,100\\nP1,2,120.5\\n")
    >>> read_monthly_spend(p)[0]["cost"].tolist()
    [100.0, 120.5]
    """
    what = f"--outturn {str(path)!r}"
    frame = _read(path, ("practice", "month", "cost"), "with --month the file is spend by "
                  "month: practice, month (1 = April), cost (pounds) and optionally pod")
    months = _numbers(frame, ["month"], what, "a month 1 (April) to 12 (March)")["month"]
    bad = (months != months.round()) | (months < 1) | (months > 12)
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise ValidationError(f"{_cell(frame, what, 'month')(row)}: expected a month 1 "
                              f"(April) to 12 (March), got {frame['month'].iloc[row]!r}")
    keep = ["practice"] + (["pod"] if "pod" in frame.columns else [])
    actual = frame[keep].copy()
    actual["month"] = months.astype(int)
    actual["cost"] = _numbers(frame, ["cost"], what, "pounds")["cost"]
    return actual, _names(frame)


def _check_formats(text: str) -> list[str]:
    """``--format``: a comma-separated list of :data:`FORMATS`, in the words of the
    statements' own check."""
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    if not chosen or any(f not in FORMATS for f in chosen):
        raise ValidationError(f"--format: must be among {list(FORMATS)} (comma-separated), "
                              f"got {text!r}")
    return chosen


def _units(scn: Scenario, actual: pd.DataFrame) -> pd.Index:
    """The practices (× PODs, when the spend is by POD) a month's spend must cover."""
    codes = scn.population.codes
    if "pod" not in actual.columns:
        return pd.Index(codes, name="practice")
    pods = scn.budgets().columns.drop("total")
    return pd.MultiIndex.from_product([codes, pods], names=["practice", "pod"])


def _cmd_statements(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not args.force:          # before anything is read or computed
        raise ValidationError(f"--out: {str(out)!r} already exists; choose a new folder or "
                              "pass --force to replace the statements in it")
    scn = load_scenario(args.scenario)
    if args.month is None:
        outturn, names = read_outturn(args.outturn)
        paths = write_statements(scn, out, outturn=outturn, names=names, formats=args.formats,
                                 source=args.source, force=args.force, what="--out")
        kind = "the settled year"
    else:
        actual, names = read_monthly_spend(args.outturn)
        panel_gaps(actual, ["practice", "pod"] if "pod" in actual.columns else ["practice"],
                   args.month, expected=_units(scn, actual),
                   what=f"--outturn {str(args.outturn)!r}")
        paths = write_statements(scn, out, actual=actual, month=args.month, names=names,
                                 formats=args.formats, source=args.source, force=args.force,
                                 what="--out")
        kind = f"month {args.month}"
    pages = sum(p.suffix == ".html" for p in paths)
    print(f"Statements of {kind} for scenario {scn.name!r}: {pages} web page(s)"
          + (" and statements.xlsx" if any(p.suffix == ".xlsx" for p in paths) else "")
          + f" in {out}; open {out / 'index.html'}" * ("html" in args.formats))
    return 0


def _statements_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario file (.toml or .json)")
    p.add_argument("--outturn", required=True,
                   help="CSV of spend: practice, outturn (a settled year) or, with --month, "
                        "practice, month, cost [, pod]; optional column name")
    p.add_argument("--month", type=month("--month"), default=None,
                   help="statements for the year to date at this month, 1 (April) to 12 "
                        "(March), instead of a settled year")
    p.add_argument("--out", required=True,
                   help="folder to write (must not exist, unless --force; it appears only "
                        "when every file is written)")
    p.add_argument("--format", dest="formats", type=checked("--format", _check_formats),
                   default=list(FORMATS),
                   help="html, xlsx or both, comma-separated (default %(default)s)")
    p.add_argument("--source", default=None,
                   help="where the data came from, shown on every page (default: worked "
                        "out from the scenario)")
    p.add_argument("--force", action="store_true",
                   help="replace the statements of an earlier run in --out")


#: Sub-command name → (help, function that adds its arguments, handler).
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace], int]]] = {
    "statements": ("practice statements as web pages and an Excel workbook, for a settled "
                   "year or a month", _statements_args, _cmd_statements),
}
