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
"""

from __future__ import annotations

__all__ = ["AGE_BANDS", "AGE_BAND_LOWER", "PODS", "SEXES"]

#: NHS Digital quinary age bands, as used in "Patients Registered at a GP Practice".
AGE_BANDS: tuple[str, ...] = (*(f"{a}_{a + 4}" for a in range(0, 95, 5)), "95+")

#: Lower bound (years) of each band in :data:`AGE_BANDS`.
AGE_BAND_LOWER: dict[str, int] = {band: 5 * i for i, band in enumerate(AGE_BANDS)}

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
