"""Reader of NHS Digital's "Patients Registered at a GP Practice" files, as published.

Layouts read (headers verified from published sources; see the user guide):

* **the multi-level quinary-age file** ``gp-reg-pat-prac-quin-age.csv`` (April 2017 on):
  ``PUBLICATION, EXTRACT_DATE, ORG_TYPE, ORG_CODE, ONS_CODE, POSTCODE, SEX, AGE_GROUP_5,
  NUMBER_OF_PATIENTS``, one file with rows for every level (commissioning region, ICB,
  sub-ICB location or CCG, PCN, GP practice). Only ``ORG_TYPE == "GP"`` rows are practices;
  the file has no commissioner column, so the hierarchy comes from the published mapping
  file ``gp-reg-pat-prac-map.csv`` (``PRACTICE_CODE, …, PCN_CODE, …, SUB_ICB_LOCATION_CODE,
  …, ICB_CODE, …``; earlier ``CCG_CODE``, ``STP_CODE``), whose PCNs are the default
  consortia;
* **a practice-level file with a commissioner column** under its successive names
  (:data:`COMMISSIONER_COLUMNS`: ``SUB_ICB_LOCATION_CODE``, ``SUB_ICB_LOC_CODE``,
  ``CCG_CODE``); a ``TYPE``/``ORG_TYPE`` column, where present, keeps only ``GP`` rows;
* **the pre-2017 wide practice file** (``gp-reg-patients-prac-quin-age``, e.g. January
  2016): one row per practice, ``GP_PRACTICE_CODE``, ``CCG_CODE``, ``Total_All`` and one
  column per sex and band (``Male_0-4`` … ``Female_95+``).

A ``.zip`` as downloaded is read in place (it must hold one CSV). Practice codes are
normalised (spaces trimmed, upper case) the same way in the counts, the mapping and a
consortia file. Readers never ``eval`` or unpickle.

Files cut off part-way (an interrupted download, a copy that ran out of space):

* a last line cut mid-row (fewer fields than the header, no final line break) is refused by
  :func:`pbcmodel.io.files.read_csv_file`;
* in the long layouts, a practice's ``ALL`` rows (when the file has them) must equal the
  sum of its cells, so a practice that lost cells after its ``ALL`` rows is refused;
* without ``ALL`` rows, the published files list every age band × sex cell of every
  practice, zeros included (40 cells: 20 bands × 2 sexes), so when every other practice
  has its 40 cells and the **last practice in the file** has fewer, the file was cut off
  inside that practice and is refused.

What cannot be detected: a file cut exactly between two practices (the last practices are
simply missing: compare the practice count or total with the publication's); a file in
which practices legitimately list fewer cells (a file that leaves out zero cells), where a
cut practice looks like any other; a file of a single practice without ``ALL`` rows; and
in the pre-2017 wide layout, whole rows cut at a line break.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from os import PathLike
from typing import TypeAlias

import numpy as np
import pandas as pd

from ..codes import AGE_BANDS, blank_codes, normalise_codes
from ..errors import ValidationError
from ..number_text import BLANK, number_cells
from ..population import Population
from ..validation import MAX_COUNT, quoted, require_columns
from .files import names_its_files, read_csv_file

__all__ = ["COMMISSIONER_COLUMNS", "MappingWarning", "read_consortia", "read_mapping",
           "read_registered_patients"]

#: Successive names of the commissioner column (sub-ICB location, formerly CCG).
COMMISSIONER_COLUMNS = ("SUB_ICB_LOCATION_CODE", "SUB_ICB_LOC_CODE", "CCG_CODE")
#: Names of the ICB column of the mapping file (ICB from July 2022, STP before).
ICB_COLUMNS = ("ICB_CODE", "STP_CODE")
#: Organisation-type columns: multi-level files (``ORG_TYPE``) and totals files (``TYPE``).
_TYPE_COLUMNS = ("ORG_TYPE", "TYPE")
_SEX = {"FEMALE": "F", "MALE": "M", "F": "F", "M": "M"}
#: Band labels of the pre-2017 wide layout (``0-4`` … ``95+``) → pbcmodel's (``0_4`` …).
_WIDE_BANDS = {band.replace("_", "-"): band for band in AGE_BANDS}

PathOrFrame: TypeAlias = str | PathLike | pd.DataFrame


class MappingWarning(UserWarning):
    """A practice mapping or consortia file lists practices that are not in the counts.

    They are left out (the counts decide which practices there are); the warning names them,
    so a consortia file meant for another month's counts, or a mistyped code, is seen.
    """


def _read_csv(source: PathOrFrame, what: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    return read_csv_file(source, what)


@names_its_files(source="consortia")
def read_consortia(source: PathOrFrame | Mapping[str, str] | pd.Series) -> pd.Series:
    """Read a practice → consortium map.

    Parameters
    ----------
    source : path, DataFrame, mapping or Series
        A CSV file (or DataFrame) with columns ``practice`` and ``consortium`` (header in
        any case), or a mapping / Series practice code → consortium.

    Returns
    -------
    Series
        Consortium label (text, spaces trimmed) indexed by practice code, normalised as in
        the counts (spaces trimmed, upper case).

    Raises
    ------
    ValidationError
        Missing columns, a row with no practice code, a practice with a blank consortium,
        or a practice listed twice (also when written two ways, ``A81001`` and ``a81001``),
        naming the practice and the file row (or the entry of a mapping).

    Examples
    --------
    >>> import pandas as pd
    >>> read_consortia(pd.DataFrame({"practice": ["a81001 "], "consortium": ["North"]})).to_dict()
    {'A81001': 'North'}
    >>> read_consortia({"A81001": "North", "a81001": "South"})
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: consortia: practice(s) 'A81001' listed twice (entries 1, 2)
    """
    if isinstance(source, (Mapping, pd.Series)):
        items = list(source.items())
        df = pd.DataFrame({"practice": [k for k, _ in items],
                           "consortium": [v for _, v in items]}, dtype=object)
        where, first = "entries", 1
    else:
        df = _read_csv(source, "consortia")
        df.columns = [str(c).strip().lower() for c in df.columns]
        where, first = "rows", 2
    require_columns(df, ("practice", "consortium"), "consortia")
    rows = pd.Series(df.index + first, index=df.index)

    no_code = blank_codes(df["practice"])
    if no_code.any():
        raise ValidationError(f"consortia: no practice code in {where} {quoted(rows[no_code])}")
    codes = normalise_codes(df["practice"])
    no_consortium = blank_codes(df["consortium"])
    if no_consortium.any():
        raise ValidationError(f"consortia: practice(s) {quoted(codes[no_consortium])} have a "
                              f"blank consortium ({where} {quoted(rows[no_consortium])})")
    dup = codes.duplicated(keep=False)
    if dup.any():
        raise ValidationError(f"consortia: practice(s) {quoted(codes[dup].unique())} listed "
                              f"twice ({where} {quoted(rows[dup])})")
    return pd.Series(df["consortium"].astype(str).str.strip().to_numpy(), dtype=object,
                     index=pd.Index(codes.to_numpy(), name="practice"), name="consortium")


def _is_mapping(df: pd.DataFrame) -> bool:
    return "PRACTICE_CODE" in {str(c).strip().upper() for c in df.columns}


@names_its_files(source="practice mapping")
def read_mapping(source: PathOrFrame, *, commissioner: str = "sub_icb") -> pd.DataFrame:
    """Read NHS Digital's practice mapping file ``gp-reg-pat-prac-map.csv``.

    Parameters
    ----------
    source : path or DataFrame
        The published file (or its ``.zip``): ``PRACTICE_CODE``, ``PCN_CODE``, the
        sub-ICB location under its successive names (:data:`COMMISSIONER_COLUMNS`) and the
        ICB (``ICB_CODE``, earlier ``STP_CODE``); other columns are ignored.
    commissioner : {"sub_icb", "icb"}
        Which level is the commissioner: the sub-ICB location (default; formerly the CCG)
        or the ICB.

    Returns
    -------
    DataFrame
        Indexed by practice code: ``consortium`` (the PCN; a practice in no PCN is its own
        consortium) and ``commissioner``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"PRACTICE_CODE": ["A81001"], "PCN_CODE": ["U89141"],
    ...                   "SUB_ICB_LOCATION_CODE": ["16C"], "ICB_CODE": ["QHM"]})
    >>> read_mapping(m).loc["A81001"].tolist(), read_mapping(m, commissioner="icb").iloc[0, 1]
    (['U89141', '16C'], 'QHM')
    """
    df = _read_csv(source, "practice mapping")
    df.columns = [str(c).strip().upper() for c in df.columns]
    require_columns(df, ("PRACTICE_CODE",), "practice mapping")
    if commissioner not in ("sub_icb", "icb"):
        raise ValidationError(f"commissioner: expected 'sub_icb' or 'icb', got {commissioner!r}")
    names = COMMISSIONER_COLUMNS if commissioner == "sub_icb" else ICB_COLUMNS
    column = next((c for c in names if c in df.columns), None)
    if column is None:
        raise ValidationError(f"practice mapping: no {commissioner} column; expected one of "
                              f"{', '.join(names)}; found {quoted(df.columns, 30)}")
    if "PCN_CODE" not in df.columns:
        raise ValidationError("practice mapping: no PCN_CODE column (a mapping from before "
                              "PCNs); pass consortia= as well")
    codes = normalise_codes(df["PRACTICE_CODE"])
    dup = codes.duplicated(keep=False)
    if dup.any():
        raise ValidationError(f"practice mapping: practice(s) {quoted(codes[dup].unique())} "
                              f"listed twice (rows {quoted(df.index[dup] + 2)})")
    missing = df[column].isna()
    if missing.any():
        raise ValidationError(f"practice mapping: no {column} for practice(s) "
                              f"{quoted(codes[missing])}")
    pcn = df["PCN_CODE"].astype(object).where(df["PCN_CODE"].notna(), None)
    no_pcn = pcn.isna()
    if no_pcn.any():
        warnings.warn(f"practice mapping: practice(s) {quoted(codes[no_pcn])} are in no PCN; "
                      "each is its own consortium", MappingWarning, stacklevel=2)
        pcn = pcn.where(~no_pcn, codes)
    return pd.DataFrame({"consortium": pcn.astype(str).str.strip().to_numpy(),
                         "commissioner": df[column].astype(str).str.strip().to_numpy()},
                        index=pd.Index(codes, name="practice"))


@names_its_files(path="registered patients", consortia="consortia",
                 mapping="practice mapping")
def read_registered_patients(path: PathOrFrame,
                             consortia: PathOrFrame | Mapping[str, str] | pd.Series | None = None,
                             *, mapping: PathOrFrame | None = None,
                             commissioner: str = "sub_icb") -> Population:
    """Read NHS Digital "Patients Registered at a GP Practice" quinary-age data.

    Parameters
    ----------
    path : path or DataFrame
        The published file (CSV or the ``.zip`` as downloaded) in one of the layouts of
        :mod:`pbcmodel.io.registered`, or the same layout already read as text cells.
    consortia : path, DataFrame, mapping or Series, optional
        Practice → consortium: a CSV/DataFrame with columns ``practice``, ``consortium``, a
        mapping or Series (see :func:`read_consortia`), or the published mapping file
        ``gp-reg-pat-prac-map.csv`` itself (then as ``mapping``). Default: the PCNs of
        ``mapping`` if given, else each commissioner is one consortium. Codes are
        normalised as in the counts (spaces trimmed, upper case). Practices in the counts
        that it does not list are an error; practices it lists that are not in the counts
        are left out with a :class:`MappingWarning` that names them.
    mapping : path or DataFrame, optional
        The published ``gp-reg-pat-prac-map.csv`` (see :func:`read_mapping`): the
        commissioner of each practice and, by default, its PCN as consortium. Required for
        the multi-level file, which has no commissioner column. Practices it lists that
        are not in the counts are left out with a :class:`MappingWarning`; practices in the
        counts that it does not list are an error.
    commissioner : {"sub_icb", "icb"}
        The commissioner level: the sub-ICB location (default; the counts file's own
        commissioner column, or the mapping's) or the ICB, which only the mapping file
        names (so ``"icb"`` needs ``mapping``).

    Raises
    ------
    ValidationError
        Missing columns or no commissioner, unknown sexes or age bands, bad counts,
        duplicate rows, ``ALL`` rows that do not add up, practices missing from the mapping
        or with no consortium; each naming the file, row or practice.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"ORG_TYPE": ["ICB", "GP", "GP", "GP"],
    ...     "ORG_CODE": ["QHM", "A81001", "A81001", "A81001"],
    ...     "SEX": ["ALL", "FEMALE", "MALE", "ALL"], "AGE_GROUP_5": ["ALL", "0_4", "0_4", "ALL"],
    ...     "NUMBER_OF_PATIENTS": ["5000", "10", "12", "22"]})
    >>> m = pd.DataFrame({"PRACTICE_CODE": ["A81001"], "PCN_CODE": ["U89141"],
    ...                   "SUB_ICB_LOCATION_CODE": ["16C"]})
    >>> pop = read_registered_patients(raw, mapping=m)
    >>> pop.list_size.to_dict(), pop.practices.loc["A81001", "consortium"]
    ({'A81001': 22}, 'U89141')
    """
    if commissioner not in ("sub_icb", "icb"):
        raise ValidationError(f"commissioner: expected 'sub_icb' or 'icb', got {commissioner!r}")
    raw = _read_csv(path, "registered patients")
    raw.columns = [str(c).strip().upper() for c in raw.columns]
    if consortia is not None and not isinstance(consortia, (Mapping, pd.Series)):
        table = _read_csv(consortia, "consortia")
        if _is_mapping(table):
            if mapping is not None:
                raise ValidationError("consortia: this is a practice mapping file; give it "
                                      "as mapping= or consortia=, not both")
            mapping, consortia = table, None
        else:
            consortia = table
    if mapping is None and commissioner == "icb":
        raise ValidationError("commissioner: 'icb' needs the published mapping file "
                              "gp-reg-pat-prac-map.csv as mapping= (it names each practice's "
                              "ICB; the counts name only the sub-ICB location)")
    tree = None if mapping is None else read_mapping(mapping, commissioner=commissioner)
    if "GP_PRACTICE_CODE" in raw.columns:
        tidy = _wide(raw)
    else:
        tidy = _long(raw, need_commissioner=tree is None,
                     source="the table" if isinstance(path, pd.DataFrame) else repr(str(path)))
    if tree is not None:
        tidy = _apply_mapping(tidy, tree, use_pcn=consortia is None)
    if consortia is not None:
        table = read_consortia(consortia)
        tidy["consortium"] = tidy["practice"].map(table)
        missing = tidy["consortium"].isna()
        if missing.any():
            raise ValidationError(
                f"consortia: no consortium for practice(s) "
                f"{quoted(tidy.loc[missing, 'practice'].unique())}"
            )
        extra = pd.Index(table.index).difference(pd.Index(tidy["practice"].unique()))
        if len(extra):
            warnings.warn(f"consortia: {len(extra)} practice(s) in the consortia file are not "
                          f"in the registered-patient counts and are left out: "
                          f"{quoted(extra)}", MappingWarning, stacklevel=2)
    elif tree is None:
        tidy["consortium"] = tidy["commissioner"]
    return Population.from_frame(tidy)


def _long(raw: pd.DataFrame, need_commissioner: bool, source: str) -> pd.DataFrame:
    """The long layouts: multi-level (``ORG_TYPE``) or practice rows with a commissioner.

    ``source`` names the file (quoted) in messages about the file as a whole.
    """
    require_columns(raw, ("ORG_CODE", "SEX", "AGE_GROUP_5", "NUMBER_OF_PATIENTS"),
                    "registered patients")
    type_col = next((c for c in _TYPE_COLUMNS if c in raw.columns), None)
    if type_col is not None:
        kind = raw[type_col].astype(str).str.strip().str.upper()
        raw = raw[kind == "GP"].copy()
        if raw.empty:
            raise ValidationError(f"registered patients: no GP practice rows ({type_col} == "
                                  f"'GP'); found {quoted(kind.unique())}")
    commissioner_col = next((c for c in COMMISSIONER_COLUMNS if c in raw.columns), None)
    if commissioner_col is None and need_commissioner:
        raise ValidationError(
            "registered patients: no commissioner column (expected one of "
            + ", ".join(COMMISSIONER_COLUMNS) + "); for the multi-level file give the "
            "published mapping file gp-reg-pat-prac-map.csv as mapping=")
    keys = ("ORG_CODE", "SEX", "AGE_GROUP_5", *([commissioner_col] if commissioner_col else []))
    _require_filled(raw, keys)
    for col in keys:
        raw[col] = normalise_codes(raw[col])
    raw["NUMBER_OF_PATIENTS"] = _counts(raw["NUMBER_OF_PATIENTS"], raw["ORG_CODE"],
                                        np.asarray(raw.index + 2),
                                        np.full(len(raw), "NUMBER_OF_PATIENTS"))
    sex_ok = raw["SEX"].isin([*_SEX, "ALL"])
    if not sex_ok.all():
        raise ValidationError(
            f"registered patients: unknown SEX {quoted(raw.loc[~sex_ok, 'SEX'].unique())} in "
            f"row(s) {quoted(raw.index[~sex_ok] + 2)}; expected FEMALE, MALE or ALL"
        )
    age_ok = raw["AGE_GROUP_5"].isin([*AGE_BANDS, "ALL"])
    if not age_ok.all():
        raise ValidationError(
            f"registered patients: unknown AGE_GROUP_5 "
            f"{quoted(raw.loc[~age_ok, 'AGE_GROUP_5'].unique())} in row(s) "
            f"{quoted(raw.index[~age_ok] + 2)}; expected 0_4 … 90_94, 95+ or ALL"
        )
    parts = raw[(raw["SEX"] != "ALL") & (raw["AGE_GROUP_5"] != "ALL")]
    _check_all_rows(raw, parts)
    _check_last_practice_complete(raw, parts, source)
    return pd.DataFrame({
        "practice": parts["ORG_CODE"],
        "commissioner": parts[commissioner_col] if commissioner_col else None,
        "age_band": parts["AGE_GROUP_5"],
        "sex": parts["SEX"].map(_SEX),
        "patients": parts["NUMBER_OF_PATIENTS"],
    })


def _wide(raw: pd.DataFrame) -> pd.DataFrame:
    """The pre-2017 wide layout: one row per practice, one column per sex × band."""
    cells = {f"{sex}_{label}": (band, code) for sex, code in (("MALE", "M"), ("FEMALE", "F"))
             for label, band in _WIDE_BANDS.items()}
    require_columns(raw, ("GP_PRACTICE_CODE", "CCG_CODE", *cells), "registered patients")
    _require_filled(raw, ("GP_PRACTICE_CODE", "CCG_CODE"))
    raw = raw.copy()
    raw["ORG_CODE"] = normalise_codes(raw["GP_PRACTICE_CODE"])
    dup = raw["ORG_CODE"].duplicated(keep=False)
    if dup.any():
        raise ValidationError(f"registered patients: practice(s) "
                              f"{quoted(raw.loc[dup, 'ORG_CODE'].unique())} listed twice "
                              f"(rows {quoted(raw.index[dup] + 2)})")
    long = raw.melt(id_vars=["ORG_CODE", "CCG_CODE"], value_vars=list(cells),
                    var_name="cell", value_name="NUMBER_OF_PATIENTS")
    rows = np.asarray(raw.index + 2)
    long["NUMBER_OF_PATIENTS"] = _counts(long["NUMBER_OF_PATIENTS"], long["ORG_CODE"],
                                         np.tile(rows, len(cells)), long["cell"].to_numpy())
    if "TOTAL_ALL" in raw.columns:
        stated = pd.Series(_counts(raw["TOTAL_ALL"], raw["ORG_CODE"], rows,
                                   np.full(len(raw), "TOTAL_ALL")).to_numpy(),
                           index=raw["ORG_CODE"])
        summed = long.groupby("ORG_CODE")["NUMBER_OF_PATIENTS"].sum().reindex(stated.index)
        wrong = stated != summed
        if wrong.any():
            code = wrong.index[wrong][0]
            raise ValidationError(f"registered patients: Total_All for {code!r} says "
                                  f"{stated[code]} but its bands sum to {summed[code]}")
    return pd.DataFrame({
        "practice": long["ORG_CODE"],
        "commissioner": normalise_codes(long["CCG_CODE"]),
        "age_band": long["cell"].map(lambda c: cells[c][0]),
        "sex": long["cell"].map(lambda c: cells[c][1]),
        "patients": long["NUMBER_OF_PATIENTS"],
    })


def _apply_mapping(tidy: pd.DataFrame, tree: pd.DataFrame, use_pcn: bool) -> pd.DataFrame:
    practices = pd.Index(tidy["practice"].unique())
    missing = practices.difference(tree.index)
    if len(missing):
        raise ValidationError(f"practice mapping: practice(s) {quoted(missing)} are in the "
                              "registered-patient counts but not in the mapping file")
    extra = tree.index.difference(practices)
    if len(extra):
        warnings.warn(f"practice mapping: {len(extra)} practice(s) in the mapping are not in "
                      f"the counts and are left out: {quoted(extra)}", MappingWarning,
                      stacklevel=3)
    out = tidy.copy()
    out["commissioner"] = out["practice"].map(tree["commissioner"])
    if use_pcn:
        out["consortium"] = out["practice"].map(tree["consortium"])
    return out


def _require_filled(raw: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """A blank code (practice, commissioner, sex, band) is refused, naming the file rows."""
    for col in columns:
        blank = blank_codes(raw[col])
        if blank.any():
            raise ValidationError(f"registered patients: {col} is blank in file row(s) "
                                  f"{quoted(raw.index[blank] + 2)}")


def _counts(cells: pd.Series, codes: pd.Series, rows: np.ndarray,
            columns: np.ndarray) -> pd.Series:
    """Patient counts as int64: whole, 0 … :data:`~pbcmodel.validation.MAX_COUNT`.

    Each cell is read by the one number rule (:func:`pbcmodel.number_text.number_cells`:
    ``1,234`` is 1234; ``1,2``, ``inf`` and a blank are refused, saying what to write);
    ``codes``, ``rows`` (file rows) and ``columns`` say where each cell is. A culprit is
    quoted as written in the file (``'1e30'``), never as the number it would have wrapped
    round to.
    """
    values, why = number_cells(cells)
    numbers = values.to_numpy()
    with np.errstate(invalid="ignore"):
        bad = (why != "").to_numpy() | (numbers < 0) | (numbers != np.floor(numbers)) \
            | (numbers > MAX_COUNT)
    if bad.any():
        reason = why[bad].iloc[0]
        got = ("a blank" if reason == BLANK else quoted(cells[bad].tolist())
               + (f" ({reason})" if reason else ""))
        raise ValidationError(
            f"registered patients: {columns[bad][0]} must be a whole number from 0 to "
            f"{MAX_COUNT:,}; got {got} for practice(s) {quoted(codes[bad].unique())} "
            f"(file row(s) {quoted(rows[bad].tolist())})"
        )
    return values.astype("int64")


def _check_all_rows(raw: pd.DataFrame, parts: pd.DataFrame) -> None:
    """``ALL`` totals must equal the sum of the rows they summarise."""
    key = ["ORG_CODE", "SEX", "AGE_GROUP_5"]
    dup = parts.duplicated(key, keep=False)
    if dup.any():
        first = parts.loc[dup, key].iloc[0].tolist()
        raise ValidationError(f"registered patients: duplicate rows for {first}")
    checks = [
        # (rows of the ALL total, how to sum the parts to match them)
        ((raw["SEX"] != "ALL") & (raw["AGE_GROUP_5"] == "ALL"), ["ORG_CODE", "SEX"]),
        ((raw["SEX"] == "ALL") & (raw["AGE_GROUP_5"] != "ALL"), ["ORG_CODE", "AGE_GROUP_5"]),
        ((raw["SEX"] == "ALL") & (raw["AGE_GROUP_5"] == "ALL"), ["ORG_CODE"]),
    ]
    for mask, by in checks:
        totals = raw[mask]
        if totals.empty:
            continue
        stated = totals.groupby(by)["NUMBER_OF_PATIENTS"].sum()
        summed = parts.groupby(by)["NUMBER_OF_PATIENTS"].sum().reindex(stated.index, fill_value=0)
        wrong = stated != summed
        if wrong.any():
            label = wrong.index[wrong][0]
            raise ValidationError(
                f"registered patients: ALL row for {label} says {stated[wrong].iloc[0]} but its "
                f"parts sum to {summed[wrong].iloc[0]}"
            )


#: Cells of one practice in the long layouts: every age band × sex (zeros are published).
_FULL_CELLS = 2 * len(AGE_BANDS)


def _check_last_practice_complete(raw: pd.DataFrame, parts: pd.DataFrame,
                                  source: str) -> None:
    """A file cut at a line break inside its last practice's cells (see the module notes).

    Raised only when it can be told: the last practice in file order has no ``ALL, ALL``
    total (which would already have been checked against its cells), has fewer than the
    full set of cells, and every other practice has the full set.
    """
    if parts.empty:
        return
    cells = parts.groupby("ORG_CODE", sort=False).size()
    last = parts["ORG_CODE"].iloc[-1]
    others = cells.drop(last)
    if cells[last] >= _FULL_CELLS or others.empty or (others != _FULL_CELLS).any():
        return
    total = (raw["ORG_CODE"] == last) & (raw["SEX"] == "ALL") & (raw["AGE_GROUP_5"] == "ALL")
    if total.any():
        return
    raise ValidationError(
        f"registered patients: {source} looks cut off: its last practice {last!r} has "
        f"{cells[last]} of the {_FULL_CELLS} age band × sex cells that every other practice "
        f"has (last file row {parts.index[-1] + 2}); download the file again"
    )
