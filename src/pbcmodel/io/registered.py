"""Reader of NHS Digital's "Patients Registered at a GP Practice" files.

Readers never ``eval`` or unpickle.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import pandas as pd

from .._validate import _labels, require_columns
from ..codes import AGE_BANDS
from ..errors import ValidationError
from ..population import Population

__all__ = ["read_consortia", "read_registered_patients"]

#: Successive names of the commissioner column in NHS Digital's publication.
COMMISSIONER_COLUMNS = ("SUB_ICB_LOCATION_CODE", "CCG_CODE", "PCT_CODE")
_SEX = {"FEMALE": "F", "MALE": "M", "F": "F", "M": "M"}

PathOrFrame = str | PathLike | pd.DataFrame


def _read_csv(source: PathOrFrame, what: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    path = Path(source)
    if not path.is_file():
        raise ValidationError(f"{what}: no such file {str(path)!r}")
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def read_consortia(source: PathOrFrame) -> pd.Series:
    """Read a practice → consortium map (CSV or DataFrame with columns practice, consortium).

    Examples
    --------
    >>> import pandas as pd
    >>> read_consortia(pd.DataFrame({"practice": ["A81001"], "consortium": ["North"]})).to_dict()
    {'A81001': 'North'}
    """
    df = _read_csv(source, "consortia")
    df.columns = [c.strip().lower() for c in df.columns]
    require_columns(df, ("practice", "consortium"), "consortia")
    df = df.astype({"practice": str, "consortium": str})
    df["practice"] = df["practice"].str.strip()
    dup = df["practice"].duplicated(keep=False)
    if dup.any():
        raise ValidationError(
            f"consortia: practice(s) {_labels(df.loc[dup, 'practice'].unique())} listed twice"
        )
    return df.set_index("practice")["consortium"].str.strip()


def read_registered_patients(path: PathOrFrame,
                             consortia: PathOrFrame | Mapping[str, str] | None = None
                             ) -> Population:
    """Read NHS Digital "Patients Registered at a GP Practice" quinary-age data.

    The layout is the publication's ``gp-reg-pat-prac-quin-age.csv``: one row per practice
    (``ORG_CODE``) × ``SEX`` (``FEMALE``/``MALE``/``ALL``) × ``AGE_GROUP_5`` (``0_4`` …
    ``95+``/``ALL``) with ``NUMBER_OF_PATIENTS``, and the commissioner under its successive
    names ``SUB_ICB_LOCATION_CODE`` (from July 2022), ``CCG_CODE`` (2013–2022) or ``PCT_CODE``.
    ``ALL`` rows are not used but, where present, must equal the sum of their parts.

    Parameters
    ----------
    path : path or DataFrame
        The CSV file (or the same layout already read).
    consortia : path, DataFrame or mapping, optional
        Practice → consortium (columns ``practice``, ``consortium``). Without it each
        commissioner is treated as one consortium.

    Raises
    ------
    ValidationError
        Missing columns, unknown sexes or age bands, bad counts, duplicate rows, ``ALL`` rows
        that do not add up, or practices with no consortium in ``consortia``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"SUB_ICB_LOCATION_CODE": "15N", "ORG_CODE": "A81001",
    ...     "SEX": ["FEMALE", "MALE", "ALL"], "AGE_GROUP_5": ["0_4", "0_4", "ALL"],
    ...     "NUMBER_OF_PATIENTS": ["10", "12", "22"]})
    >>> pop = read_registered_patients(raw, consortia={"A81001": "North"})
    >>> pop.list_size.to_dict(), pop.practices.loc["A81001", "commissioner"]
    ({'A81001': 22}, '15N')
    """
    raw = _read_csv(path, "registered patients")
    raw.columns = [c.strip().upper() for c in raw.columns]
    require_columns(raw, ("ORG_CODE", "SEX", "AGE_GROUP_5", "NUMBER_OF_PATIENTS"),
                    "registered patients")
    commissioner_col = next((c for c in COMMISSIONER_COLUMNS if c in raw.columns), None)
    if commissioner_col is None:
        raise ValidationError(
            "registered patients: no commissioner column; expected one of "
            + ", ".join(COMMISSIONER_COLUMNS)
        )
    for col in ("ORG_CODE", "SEX", "AGE_GROUP_5", commissioner_col):
        raw[col] = raw[col].astype(str).str.strip().str.upper()
    raw["NUMBER_OF_PATIENTS"] = _counts(raw)
    sex_ok = raw["SEX"].isin([*_SEX, "ALL"])
    if not sex_ok.all():
        raise ValidationError(
            f"registered patients: unknown SEX {_labels(raw.loc[~sex_ok, 'SEX'].unique())} in "
            f"row(s) {_labels(raw.index[~sex_ok] + 2)}; expected FEMALE, MALE or ALL"
        )
    age_ok = raw["AGE_GROUP_5"].isin([*AGE_BANDS, "ALL"])
    if not age_ok.all():
        raise ValidationError(
            f"registered patients: unknown AGE_GROUP_5 "
            f"{_labels(raw.loc[~age_ok, 'AGE_GROUP_5'].unique())} in row(s) "
            f"{_labels(raw.index[~age_ok] + 2)}; expected 0_4 … 90_94, 95+ or ALL"
        )
    parts = raw[(raw["SEX"] != "ALL") & (raw["AGE_GROUP_5"] != "ALL")]
    _check_all_rows(raw, parts)
    tidy = pd.DataFrame({
        "practice": parts["ORG_CODE"],
        "commissioner": parts[commissioner_col],
        "age_band": parts["AGE_GROUP_5"],
        "sex": parts["SEX"].map(_SEX),
        "patients": parts["NUMBER_OF_PATIENTS"],
    })
    if consortia is None:
        tidy["consortium"] = tidy["commissioner"]
    else:
        mapping = (pd.Series(dict(consortia), dtype=object) if isinstance(consortia, Mapping)
                   else read_consortia(consortia))
        tidy["consortium"] = tidy["practice"].map(mapping)
        missing = tidy["consortium"].isna()
        if missing.any():
            raise ValidationError(
                f"consortia: no consortium for practice(s) "
                f"{_labels(tidy.loc[missing, 'practice'].unique())}"
            )
    return Population.from_frame(tidy)


def _counts(raw: pd.DataFrame) -> pd.Series:
    values = pd.to_numeric(raw["NUMBER_OF_PATIENTS"], errors="coerce")
    bad = values.isna() | (values < 0) | (values != values.round())
    if bad.any():
        rows = raw.index[bad]
        raise ValidationError(
            f"registered patients: NUMBER_OF_PATIENTS must be a non-negative integer; "
            f"got {_labels(raw.loc[bad, 'NUMBER_OF_PATIENTS'].tolist())} for practice(s) "
            f"{_labels(raw.loc[bad, 'ORG_CODE'].unique())} (file row(s) {_labels(rows + 2)})"
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
