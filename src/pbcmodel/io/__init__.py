"""Readers and writers: NHS published files in, tables out.

* :mod:`~pbcmodel.io.registered` — NHS Digital's registered patients by practice, age and sex;
* :mod:`~pbcmodel.io.tables` — tables to CSV, Parquet or Excel inside one output folder.

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

from .registered import COMMISSIONER_COLUMNS, read_consortia, read_registered_patients
from .tables import write_tables
from .weighted import read_weighted_populations

__all__ = ["COMMISSIONER_COLUMNS", "read_consortia", "read_registered_patients",
           "read_weighted_populations", "write_tables"]
