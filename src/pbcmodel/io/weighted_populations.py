"""Reader of NHS England's practice-level weighted populations, every published layout.

NHS England publishes the weighted population of each GP practice for each allocation year
with its ICB place-based allocation tool. The column names change between vintages; each
layout known here is mapped explicitly, column by column, to the names of
:class:`~pbcmodel.weighted.WeightedPopulations`:

``"2026/27"``
    2026/27, 2027/28 and 2028/29 (``Registered Patients``, ``ICB``/``ICBname``, ``RCode``,
    ``LAD``/``LADname``, ``Core WP``); verified from ``nhsengland/ICB_Place_Based_Tool_2627-2829``
    ``data/2026_2027.csv`` … ``data/2028_2029.csv``.
``"2025/26"``
    2025/26 (``Population``, ``LOC``, ``ICB``, ``Rcode``, ``LAD``/``LTLA``, ``Final WP``);
    verified from ``nhsengland/ICB_Allocation_Tool_update`` ``data/2025_2026.csv``. Its
    ``Patients`` column is blank; the tool reads ``Population`` as the registered list.
``"2022/23"``
    2022/23, 2023/24 and 2024/25 (``pop 2022/23``, ``CCG21``, ``PCN_Code``, ``LOC22``,
    ``ICS22``/``ICS22name``, ``R22``, ``LAD21``/``LTLA21``, ``Final WP``); verified from
    ``nhsx/AIF_Allocation_Tool`` ``data/2022_2023.csv``, ``data/2023_2024.csv`` and
    ``data/2024_2025.csv``.

Examples
--------
>>> from pbcmodel.io.weighted_populations import LAYOUTS
>>> sorted(LAYOUTS)
['2022/23', '2025/26', '2026/27']
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..number_text import BLANK, number_cells
from ..validation import MAX_COUNT, quoted
from ..weighted import COMPONENTS, WeightedPopulations
from .files import practice_codes, read_csv_file

__all__ = ["LAYOUTS", "read_weighted_populations"]

_COMPONENT_COLUMNS = {
    "G&A WP": "general_and_acute", "CS WP": "community_services", "MH WP": "mental_health",
    "Mat WP": "maternity", "Health Ineq WP": "health_inequalities",
    "Prescr WP": "prescribing", "Primary Medical Care WP": "primary_medical_care",
    "Final PMC WP": "final_primary_medical_care",
}

#: Published layouts: name → {published column: pbcmodel column}. Every column listed must
#: be present for a file to be read in that layout; other published columns are ignored.
LAYOUTS: dict[str, dict[str, str]] = {
    "2026/27": {
        "Practice_Code": "practice", "GP_Practice_Name": "name",
        "Practice_Postcode": "postcode", "ICB": "icb", "ICBname": "icb_name",
        "RCode": "region", "Region": "region_name", "LAD": "lad", "LADname": "lad_name",
        "Registered Patients": "registered", "Core WP": "core", **_COMPONENT_COLUMNS,
    },
    "2025/26": {
        "Practice_Code": "practice", "GP_Practice_Name": "name",
        "Practice_Postcode": "postcode", "LOC": "sub_icb", "PCN_Code": "pcn",
        "ICB": "icb", "ICBname": "icb_name", "Rcode": "region", "Region": "region_name",
        "LAD": "lad", "LTLA": "lad_name", "Population": "registered", "Final WP": "core",
        **_COMPONENT_COLUMNS,
    },
    "2022/23": {
        "Practice_Code": "practice", "GP_Practice_Name": "name",
        "Practice_Postcode": "postcode", "PCN_Code": "pcn", "LOC22": "sub_icb",
        "ICS22": "icb", "ICS22name": "icb_name", "R22": "region", "Region22": "region_name",
        "LAD21": "lad", "LTLA21": "lad_name", "pop 2022/23": "registered",
        "Final WP": "core", **_COMPONENT_COLUMNS,
    },
}

_NUMERIC = ("registered", *COMPONENTS)


def read_weighted_populations(source: str | PathLike[str] | pd.DataFrame, *,
                              year: str | None = None) -> WeightedPopulations:
    """Read a practice-level weighted-population file as NHS England published it.

    Parameters
    ----------
    source : path or DataFrame
        The CSV file (or a ``.zip`` holding it; a UTF-8 byte-order mark is allowed), in one
        of :data:`LAYOUTS`; or the same table already read as text cells.
    year : str, optional
        The allocation year label (text, e.g. ``"2026/27"``; not the number 2026); default:
        from a file name such as ``2026_2027.csv`` (→ ``"2026/27"``), else empty.

    Returns
    -------
    WeightedPopulations

    Raises
    ------
    ValidationError
        An unknown layout (the message lists the columns found and the layouts known), a
        duplicate practice code, or a weighted population or list size that is missing,
        not a number, infinite, negative or more than
        :data:`~pbcmodel.validation.MAX_COUNT` (922,337,203,685: no practice has that many
        patients, and sums over every practice must not overflow), naming the file, the row
        and the practice, and quoting the cell as written. Zero is a valid weighted
        population (e.g. maternity); a blank cell is missing, never zero.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pbcmodel.io.weighted_populations import LAYOUTS
    >>> header = ",".join(LAYOUTS["2026/27"])
    >>> row = "B85005,SHEPLEY,HD8 8DR,QWO,NHS West Yorkshire ICB,Y63,North East and Yorkshire,"
    >>> row += "E08000034,Kirklees,6800.2," + ",".join(["7000"] * 9)
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "2026_2027.csv"
    >>> _ = p.write_text(header + "\\n" + row + "\\n", encoding="utf-8-sig")
    >>> wp = read_weighted_populations(p)
    >>> wp.year, wp.frame.loc["B85005", "lad_name"], float(wp.frame.loc["B85005", "core"])
    ('2026/27', 'Kirklees', 7000.0)
    """
    if year is not None and (not isinstance(year, str) or not year.strip()):
        raise ValidationError(f"year: expected an allocation year label such as '2026/27', "
                              f"got {year!r}")
    if isinstance(source, pd.DataFrame):
        raw, where, file = source.copy(), "weighted populations", None
    else:
        raw = read_csv_file(source, "weighted populations")     # also refuses None, a folder
        file = Path(source)
        where = f"weighted populations {str(file)!r}"
    raw.columns = [str(c).strip().lstrip("\ufeff") for c in raw.columns]
    layout = _layout(raw.columns, where)
    mapping = LAYOUTS[layout]
    frame = raw[list(mapping)].rename(columns=mapping)
    rows = pd.Series(np.arange(len(frame)) + 2, index=frame.index)   # file row (header = 1)
    frame["practice"] = practice_codes(frame["practice"], rows, where)
    for col in _NUMERIC:
        published = next(k for k, v in mapping.items() if v == col)
        text = frame[col]
        values, why = number_cells(text)           # the one number rule: '1,234.5' is 1234.5
        missing = (why == BLANK).to_numpy()
        if missing.any():
            raise ValidationError(
                f"{where}: {published!r} is missing for practice(s) "
                f"{quoted(frame.loc[missing, 'practice'])} (row(s) {quoted(rows[missing])})")
        numbers = values.to_numpy()
        refused = (why != "").to_numpy()
        with np.errstate(invalid="ignore"):
            bad = refused | (numbers < 0) | (numbers > MAX_COUNT)
        if bad.any():
            reason = f" ({why[refused].iloc[0]})" if refused.any() else ""
            raise ValidationError(
                f"{where}: {published!r} must be a number >= 0 and <= {MAX_COUNT:,}; "
                f"practice(s) {quoted(frame.loc[bad, 'practice'])} (row(s) "
                f"{quoted(rows[bad])}) have {quoted(text[bad].tolist())}{reason}")
        frame[col] = values
    frame = frame.set_index("practice")
    label = "table" if file is None else file.name
    return WeightedPopulations(frame, year=(_year(file) if file is not None else "")
                               if year is None else year, source=f"{label} ({layout} layout)")


def _layout(columns: pd.Index | list[str], where: str) -> str:
    found = set(columns)
    for name, mapping in LAYOUTS.items():
        if set(mapping) <= found:
            return name
    closest = min(LAYOUTS, key=lambda n: len(set(LAYOUTS[n]) - found))
    known = "; ".join(f"{name}: {', '.join(mapping)}" for name, mapping in LAYOUTS.items())
    raise ValidationError(
        f"{where}: unknown layout; columns found: {', '.join(map(str, columns))}. "
        f"Nearest known layout {closest!r} lacks "
        f"{', '.join(sorted(set(LAYOUTS[closest]) - found))}. Layouts known: {known}")


def _year(file: Path) -> str:
    parts = file.stem.split("_")
    if len(parts) == 2 and all(p.isdigit() and len(p) == 4 for p in parts):
        return f"{parts[0]}/{parts[1][2:]}"
    return ""
