"""Readers and writers: NHS published files in, tables out.

* :mod:`~pbcmodel.io.registered` — NHS Digital's registered patients by practice, age and sex;
* :mod:`~pbcmodel.io.weighted_populations` — NHS England's practice weighted populations,
  every published layout;
* :mod:`~pbcmodel.io.payments` — NHS Payments to General Practice, every layout
  2014/15–2022/23;
* :mod:`~pbcmodel.io.footprint_file` — a practice → footprint (PCN, place, grouping) mapping
  file, CSV or Excel;
* :mod:`~pbcmodel.io.output_folder` — tables to CSV, Parquet or Excel inside one output folder.

Readers never ``eval`` or unpickle; writers only write inside the output directory they
are given and refuse to overwrite existing files unless asked to.

Examples
--------
>>> import tempfile, pathlib
>>> import pandas as pd
>>> from pbcmodel.io import write_tables
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> [p.name for p in write_tables({"budgets": pd.DataFrame({"a": [1]})}, out)]
['budgets.csv']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..moved import package_getattr
from .footprint_file import read_footprints
from .output_folder import write_tables
from .payments import read_payments_to_general_practice
from .registered import COMMISSIONER_COLUMNS, read_consortia, read_registered_patients
from .weighted_populations import read_weighted_populations

__all__ = ["COMMISSIONER_COLUMNS", "read_consortia", "read_footprints",
           "read_payments_to_general_practice",
           "read_registered_patients", "read_weighted_populations", "write_tables"]


if not TYPE_CHECKING:   # old module names fail naming the new module (type checkers never see it)
    __getattr__ = package_getattr(__name__)
