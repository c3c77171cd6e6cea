"""Real England: NHS England's practice-level weighted populations, 2026/27 to 2028/29.

Contains public sector information licensed under the Open Government Licence v3.0.
Source: NHS England, the practice-level weighted populations behind its ICB place-based
allocation tool for the 2026/27–2028/29 allocation round (repository
``nhsengland/ICB_Place_Based_Tool_2627-2829``, files ``data/2026_2027.csv``,
``data/2027_2028.csv``, ``data/2028_2029.csv``, commit 8c77592 of 2025-12-15). Need is
"estimated for 2026/27 to 2028/29 by utilising weighted populations projected from August
2024 to July 2025 GP registered practice populations". The files ship unchanged (gzip
compressed) inside the package, with the licence text (``data/LICENCE-OGL-v3.txt``).

Examples
--------
>>> from pbcmodel import datasets
>>> wp = datasets.england("2026/27")
>>> wp.n_practices, wp.frame["icb"].nunique(), wp.frame["region"].nunique()
(6281, 36, 7)
>>> datasets.ATTRIBUTION.startswith("Contains public sector information")
True
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from ..codes import AGE_BANDS, SEXES
from ..errors import ValidationError
from ..io.weighted_populations import read_weighted_populations
from ..weighted import WeightedPopulations
from .example import example_population

__all__ = ["ATTRIBUTION", "ENGLAND_YEARS", "LICENCE_FILE", "england", "england_age_sex_profile"]

#: The attribution the Open Government Licence requires wherever these figures are shown.
ATTRIBUTION = ("Contains public sector information licensed under the Open Government "
               "Licence v3.0. Source: NHS England, practice-level weighted populations "
               "2026/27-2028/29 (ICB place-based allocation tool).")

#: The allocation years shipped.
ENGLAND_YEARS: tuple[str, ...] = ("2026/27", "2027/28", "2028/29")

#: The licence text shipped beside the data (a path inside the installed package).
LICENCE_FILE = "data/LICENCE-OGL-v3.txt"


@lru_cache(maxsize=len(ENGLAND_YEARS))
def _load(year: str) -> WeightedPopulations:
    start = year[:4]
    name = f"weighted_populations_{start}_{int(start) + 1}.csv.gz"
    with (resources.files(__package__) / "data" / name).open("rb") as packed:
        table = pd.read_csv(packed, compression="gzip", dtype=str, keep_default_na=False,
                            na_values=[""], encoding="utf-8-sig")
    wp = read_weighted_populations(table, year=year)
    return WeightedPopulations(wp.frame, year=year, source=f"NHS England {year} (OGL v3)")


def england(year: str = "2026/27") -> WeightedPopulations:
    """NHS England's weighted populations of every GP practice in England for one year.

    Contains public sector information licensed under the Open Government Licence v3.0
    (:data:`ATTRIBUTION`); source: NHS England. 6,281 practices in 36 integrated care boards
    (ICBs) and 7 regions, with their local authority districts; the registered population
    is NHS England's projection for the year (fractional), and one weighted population per
    component (:data:`pbcmodel.weighted.COMPONENTS`). Each component sums over England to
    the national registered population.

    Parameters
    ----------
    year : {"2026/27", "2027/28", "2028/29"}

    Examples
    --------
    >>> wp = england("2028/29")
    >>> wp.year, round(float(wp.totals()["registered"]))
    ('2028/29', 64396796)
    """
    if year not in ENGLAND_YEARS:
        raise ValidationError(f"year: expected one of {', '.join(ENGLAND_YEARS)}, got {year!r}")
    return _load(year)


def england_age_sex_profile() -> pd.Series:
    """Share of registered patients by (age_band, sex) used to give England's practices ages.

    NHS England's weighted-population files have no age-sex counts. This profile is
    **synthetic**: the age-sex mix of the example commissioner
    (:func:`~pbcmodel.datasets.example_population`, built from an England-like closed-form
    profile), not a published national count; no published national age-sex profile of
    registered patients was found to ship. Pass NHS Digital's national figures instead when
    you have them (``read_registered_patients(...).counts.sum()``).

    Examples
    --------
    >>> p = england_age_sex_profile()
    >>> len(p), round(float(p.sum()), 12)
    (40, 1.0)
    """
    totals = example_population().counts.sum().astype(float)
    profile = totals / totals.sum()
    profile.index = pd.MultiIndex.from_product([AGE_BANDS, SEXES], names=["age_band", "sex"])
    return profile.rename("share")
