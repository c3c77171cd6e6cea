"""Build the embedded practice → PCN → sub-ICB mapping of NHS Payments to General Practice 2022/23.

Reads the published file with pbcmodel's own reader
(:func:`pbcmodel.io.read_payments_to_general_practice`, which takes the PCN code and name
from under the 2022/23 file's misleading ``Code`` and ``CCG NAME`` headers) and writes
``src/pbcmodel/datasets/data/pcn_mapping_2022_23.csv.gz``: one row per practice, sorted by
practice code, with the columns :data:`pbcmodel.datasets.england_footprints.MAPPING_COLUMNS`
(a missing ``pcn_code`` or ``close_date`` is an empty cell; dates as YYYY-MM-DD). The gzip
header carries no time stamp, so the same input gives the same bytes.

Contains public sector information licensed under the Open Government Licence v3.0; source:
NHS Digital (now NHS England), "NHS Payments to General Practice, England, 2022/23".

Usage (from the repository root)::

    PYTHONPATH=src python scripts/build_pcn_mapping.py [PATH-TO-2022-23.csv.gz]

default: ``../shared/data/nhs-payments-to-general-practice/2022-23.csv.gz`` (or
``../../shared/...`` from a git worktree).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

from pbcmodel.datasets.england_footprints import MAPPING_COLUMNS, PCN_MAPPING_FILE
from pbcmodel.io import read_payments_to_general_practice

ROOT = Path(__file__).resolve().parents[1]
# The shared data beside the repository (a git worktree under wt/ has it one level further up).
_SHARED = [base / "shared" / "data" / "nhs-payments-to-general-practice" / "2022-23.csv.gz"
           for base in (ROOT.parent, ROOT.parent.parent)]
DEFAULT_SOURCE = next((p for p in _SHARED if p.is_file()), _SHARED[0])
TARGET = ROOT / "src" / "pbcmodel" / "datasets" / PCN_MAPPING_FILE


def mapping_csv(source: str | Path) -> str:
    """The embedded file's text, built from the published 2022/23 file at ``source``."""
    payments = read_payments_to_general_practice(source)
    if payments["year"].iloc[0] != "2022/23":
        raise SystemExit(f"{source}: expected the 2022/23 file, got {payments['year'].iloc[0]}")
    table = payments[list(MAPPING_COLUMNS)].sort_values("practice")
    return table.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n")


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    text = mapping_csv(source)
    with TARGET.open("wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out,
                                                 mtime=0, compresslevel=9) as packed:
        packed.write(text.encode("utf-8"))
    print(f"wrote {TARGET.relative_to(ROOT)}: {text.count(chr(10)) - 1} practices")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
