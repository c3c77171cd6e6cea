"""Standard codes shared by every module: NHS age bands, sexes and points of delivery.

Examples
--------
>>> from pbcmodel.codes import AGE_BANDS, SEXES, PODS
>>> AGE_BANDS[0], AGE_BANDS[-1], len(AGE_BANDS)
('0_4', '95+', 20)
>>> SEXES
('F', 'M')
>>> PODS[:2]
('elective', 'non_elective')
>>> len(CELLS), CELLS[0], CELLS.names
(40, ('0_4', 'F'), FrozenList(['age_band', 'sex']))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["AGE_BANDS", "CELLS", "CELL_PODS", "PODS", "POD_WORDS", "SEXES", "blank_codes",
           "normalise_codes"]

#: NHS Digital quinary age bands, as used in "Patients Registered at a GP Practice".
AGE_BANDS: tuple[str, ...] = (*(f"{a}_{a + 4}" for a in range(0, 95, 5)), "95+")

#: Sexes as coded in the registered-patient data (female, male).
SEXES: tuple[str, ...] = ("F", "M")

#: Points of delivery (POD): where the money is spent.
PODS: tuple[str, ...] = (
    "elective",
    "non_elective",
    "outpatient_first",
    "outpatient_follow_up",
    "ae",
    "prescribing",
    "community",
)

#: How each point of delivery reads in a sentence or a heading.
POD_WORDS: dict[str, str] = {
    "elective": "elective", "non_elective": "non-elective",
    "outpatient_first": "outpatient first", "outpatient_follow_up": "outpatient follow-up",
    "ae": "A&E", "prescribing": "prescribing", "community": "community",
}

#: Every (age_band, sex) cell in standard order: the columns of
#: :attr:`pbcmodel.population.Population.counts` and the rows of cost weights.
CELLS: pd.MultiIndex = pd.MultiIndex.from_product([AGE_BANDS, SEXES], names=["age_band", "sex"])

#: Every (age_band, sex, pod) in standard order: the rows of a cost model's table.
CELL_PODS: pd.MultiIndex = pd.MultiIndex.from_product([AGE_BANDS, SEXES, PODS],
                                                      names=["age_band", "sex", "pod"])


def blank_codes(values: Any) -> np.ndarray:
    """Which codes are not there: missing, or only spaces (booleans, in order).

    The one rule for a blank code in a user's file or mapping, before codes are normalised
    (:func:`normalise_codes` would turn a missing code into the text ``'NAN'``).

    Examples
    --------
    >>> blank_codes(pd.Series(["B85005", " ", None, float("nan")])).tolist()
    [False, True, True, True]
    """
    text = pd.Series(values).astype(object)
    return (text.isna() | (text.astype(str).str.strip() == "")).to_numpy()


def normalise_codes(values: Any) -> Any:
    """Organisation codes as pbcmodel compares them: text, spaces trimmed, upper case.

    The one rule for practice, consortium and ICB codes wherever a user gives them (files,
    mappings, frames, arguments), so ``' b85005 '`` is ``'B85005'`` and ``'qwo'`` is
    ``'QWO'``. A Series comes back as a Series with the same index; anything else
    (an Index, a list) as an Index.

    Examples
    --------
    >>> list(normalise_codes([" b85005 ", "qwo"]))
    ['B85005', 'QWO']
    >>> normalise_codes(pd.Series({"r1": " p001"})).to_dict()
    {'r1': 'P001'}
    """
    if isinstance(values, pd.Series):
        return values.astype(str).str.strip().str.upper()
    return pd.Index(pd.Index(list(values)).astype(str).str.strip().str.upper())
