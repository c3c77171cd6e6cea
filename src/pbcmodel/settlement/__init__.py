"""One year's settlement: who gets what of each practice's under- or overspend, in pence.

* :mod:`~pbcmodel.settlement.core` — the integer-pence arrays (:func:`settle_arrays`,
  :class:`SettlementArrays`): a short pipeline that calls the rules where they live —
  sharing and gates (:mod:`pbcmodel.sharing`), the practice's liability, consortium netting,
  clawback and recovery (:mod:`pbcmodel.overspend`, home of :class:`Consortia`, practices
  grouped by consortium once for many settlements), incentives (:mod:`pbcmodel.incentives`)
  — and checks that the money is conserved to the penny;
* :mod:`~pbcmodel.settlement.frame` — the pandas layer: :func:`settle` and
  :class:`Settlement` (tables in pounds, carry-forward, summaries);
* :mod:`~pbcmodel.settlement.year_end_statement` — the year-end statement of one practice in words.

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.settlement import settle
>>> from pbcmodel.sharing import pbc_freed_up
>>> st = settle(pd.Series({"P1": 100_000.0}), pd.Series({"P1": 90_000.0}),
...             savings=pbc_freed_up(0.7))
>>> float(st.to_frame().loc["P1", "practice_amount"])
7000.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..moved import package_getattr
from .core import Consortia, SettlementArrays, settle_arrays
from .frame import Settlement, settle

__all__ = ["Consortia", "Settlement", "SettlementArrays", "settle", "settle_arrays"]


if not TYPE_CHECKING:   # old module names fail naming the new module (type checkers never see it)
    __getattr__ = package_getattr(__name__)
