"""Real England's footprints: each practice's PCN and sub-ICB, matched to the weighted populations.

The practice → primary care network (PCN) → sub-ICB location → region mapping of NHS
Payments to General Practice, England, 2022/23 (the latest year published there), embedded
as ``data/pcn_mapping_2022_23.csv.gz`` by ``scripts/build_pcn_mapping.py`` with
:func:`pbcmodel.io.read_payments_to_general_practice` (which reads the PCN code and name from
under the 2022/23 file's misleading ``Code`` and ``CCG NAME`` headers). Only the mapping
columns ship, not the payments.

Practices change between 2022/23 and the 2026/27 weighted populations: :func:`pcn_match`
says which practice is in both, which is new (or absent from the payments publication), and
which has gone (closed or merged since); nothing is dropped silently.
:func:`england_pcns` gives every practice of a year's weighted populations its PCN, missing
where there is no match.

Contains public sector information licensed under the Open Government Licence v3.0
(:data:`PCN_ATTRIBUTION`). Source: NHS Digital (now NHS England), "NHS Payments to General
Practice, England, 2022/23" (the file of the public repository
``HealthEquityEvidenceCentre/HEEC``, ``data/payments/raw/22-23.csv``), and NHS England's
practice-level weighted populations.

Examples
--------
>>> from pbcmodel import datasets
>>> m = datasets.pcn_mapping()
>>> len(m), m["pcn_code"].nunique(), m["sub_icb_code"].nunique()
(6669, 1272, 106)
>>> int(datasets.pcn_match("2026/27").summary()["matched"])
6249
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from ..codes import normalise_codes
from ..errors import ValidationError
from ..footprints import Footprints
from ..validation import quoted
from .england_populations import ATTRIBUTION, england

__all__ = ["MAPPING_COLUMNS", "MATCH_STATUSES", "PCN_ATTRIBUTION", "PCN_MAPPING_FILE",
           "PcnMatch", "england_pcns", "footprints", "pcn_mapping", "pcn_match"]

#: The attribution the Open Government Licence requires wherever the mapping is shown.
PCN_ATTRIBUTION = ("Contains public sector information licensed under the Open Government "
                   "Licence v3.0. Source: NHS Digital (now NHS England), NHS Payments to "
                   "General Practice, England, 2022/23 (practice, PCN and sub-ICB); NHS "
                   "England, practice-level weighted populations 2026/27-2028/29.")

#: The embedded file (a path inside the installed package).
PCN_MAPPING_FILE = "data/pcn_mapping_2022_23.csv.gz"

#: The embedded file's columns, named as :func:`pbcmodel.io.read_payments_to_general_practice`
#: names them.
MAPPING_COLUMNS: tuple[str, ...] = (
    "practice", "practice_name", "pcn_code", "pcn_name", "sub_icb_code", "sub_icb_name",
    "region_code", "region_name", "close_date")

#: The statuses of :func:`pcn_match`, in the order its summary lists them.
MATCH_STATUSES: tuple[str, ...] = ("matched", "not_in_payments", "not_in_weighted")

_END_OF_YEAR = pd.Timestamp("2023-03-31")    # the last day of 2022/23


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    with (resources.files(__package__) / PCN_MAPPING_FILE).open("rb") as packed:
        table = pd.read_csv(packed, compression="gzip", dtype=str, keep_default_na=False,
                            na_values=[""], encoding="utf-8")
    table["close_date"] = pd.to_datetime(table["close_date"], format="%Y-%m-%d")
    return table.set_index("practice")


def pcn_mapping() -> pd.DataFrame:
    """Each practice's PCN, sub-ICB location and region in NHS Payments to General Practice 2022/23.

    Contains public sector information licensed under the Open Government Licence v3.0
    (:data:`PCN_ATTRIBUTION`, also in ``df.attrs["source"]``); source: NHS Digital, "NHS
    Payments to General Practice, England, 2022/23". Every practice of that file (6,669,
    including practices that had closed: they still received payments or adjustments).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``practice`` (the practice code), with ``practice_name``, ``pcn_code``,
        ``pcn_name``, ``sub_icb_code``, ``sub_icb_name``, ``region_code``, ``region_name``
        (text as published) and ``close_date`` (datetime; missing for a practice open at the
        end of the year). Where the publication says ``"Unknown or no PCN"`` the
        ``pcn_code`` is missing and ``pcn_name`` keeps that text. A fresh copy each call.

    Examples
    --------
    >>> m = pcn_mapping()
    >>> m.loc["A81001", ["pcn_code", "pcn_name", "sub_icb_code"]].tolist()
    ['U89141', 'STOCKTON PCN', '16C']
    >>> int((m["pcn_name"] == "Unknown or no PCN").sum()), int(m["pcn_code"].isna().sum())
    (178, 178)
    """
    table = _load().copy()
    table.attrs["source"] = PCN_ATTRIBUTION
    return table


@dataclass(frozen=True)
class PcnMatch:
    """The practices of the 2022/23 PCN mapping matched to one year's weighted populations.

    Attributes
    ----------
    year : str
        The weighted populations' allocation year.
    table : pandas.DataFrame
        One row per practice in either file, indexed by ``practice``: ``status`` (one of
        :data:`MATCH_STATUSES`), ``name`` (the weighted populations' name, else the payments
        file's), ``pcn_code``, ``pcn_name``, ``sub_icb_code`` (from the mapping; missing
        for ``not_in_payments``), ``close_date`` (the payments file's, for a practice not in
        the weighted populations) and ``in_weighted``, ``in_payments`` (bool).

    Examples
    --------
    >>> match = pcn_match("2026/27")
    >>> match.table["status"].value_counts()[list(MATCH_STATUSES)].tolist()
    [6249, 32, 420]
    """

    year: str
    table: pd.DataFrame

    def summary(self) -> pd.Series:
        """The counts of the match, by status, with the gone practices split by close date.

        ``matched`` + ``not_in_payments`` is the number of practices in the weighted
        populations; ``matched`` + ``not_in_weighted`` the number in the payments file.
        ``not_in_weighted`` splits into ``closed_by_2022_23`` (the payments file gives a
        close date on or before 31 March 2023) and ``no_close_date`` (open at the end of
        2022/23: closed or merged since, or given a new code; these files alone cannot tell
        which). ``matched_without_pcn`` counts matched practices with no PCN in 2022/23.

        Examples
        --------
        >>> pcn_match("2026/27").summary().to_dict()  # doctest: +NORMALIZE_WHITESPACE
        {'weighted_practices': 6281, 'payments_practices': 6669, 'matched': 6249,
         'not_in_payments': 32, 'not_in_weighted': 420, 'closed_by_2022_23': 176,
         'no_close_date': 244, 'matched_without_pcn': 89}
        """
        t = self.table
        status = t["status"]
        gone = status == "not_in_weighted"
        closed = gone & (t["close_date"] <= _END_OF_YEAR)
        counts = {
            "weighted_practices": int(t["in_weighted"].sum()),
            "payments_practices": int(t["in_payments"].sum()),
            **{s: int((status == s).sum()) for s in MATCH_STATUSES},
            "closed_by_2022_23": int(closed.sum()),
            "no_close_date": int((gone & t["close_date"].isna()).sum()),
            "matched_without_pcn": int(((status == "matched") & t["pcn_code"].isna()).sum()),
        }
        return pd.Series(counts, name=f"PCN mapping 2022/23 against {self.year}")


def pcn_match(year: str = "2026/27") -> PcnMatch:
    """Match the 2022/23 PCN mapping to one year's weighted populations, practice by practice.

    Each practice code in either file gets a status: ``matched`` (in both),
    ``not_in_payments`` (in the weighted populations only: new since 2022/23, or absent
    from the payments publication) or ``not_in_weighted`` (in the 2022/23 payments only:
    closed or merged since). These two files alone cannot tell a closed practice from a
    merged one; the payments file's ``Practice Close Date`` says which had closed by the end
    of 2022/23 (:meth:`PcnMatch.summary`). Nothing is dropped.

    Contains public sector information licensed under the Open Government Licence v3.0
    (:data:`PCN_ATTRIBUTION`).

    Parameters
    ----------
    year : {"2026/27", "2027/28", "2028/29"}
        The weighted populations' year (:func:`pbcmodel.datasets.england`).

    Returns
    -------
    PcnMatch

    Raises
    ------
    ValidationError
        An unknown year.

    Examples
    --------
    >>> match = pcn_match()
    >>> match.table.loc["A81001", ["status", "pcn_code"]].tolist()
    ['matched', 'U89141']
    """
    weighted = england(year).frame
    mapping = _load()
    codes = weighted.index.union(mapping.index, sort=False)
    in_weighted = codes.isin(weighted.index)
    in_payments = codes.isin(mapping.index)
    status = pd.Series("matched", index=codes, dtype=object)
    status[~in_payments] = "not_in_payments"
    status[~in_weighted] = "not_in_weighted"
    found = mapping.reindex(codes)
    table = pd.DataFrame({
        "status": status,
        "name": weighted["name"].reindex(codes).fillna(found["practice_name"]),
        "pcn_code": found["pcn_code"], "pcn_name": found["pcn_name"],
        "sub_icb_code": found["sub_icb_code"],
        "close_date": found["close_date"].where(~in_weighted),
        "in_weighted": in_weighted, "in_payments": in_payments,
    }, index=codes).rename_axis("practice")
    table.attrs["source"] = PCN_ATTRIBUTION
    return PcnMatch(year=year, table=table)


def england_pcns(year: str = "2026/27") -> pd.DataFrame:
    """Every practice of one year's weighted populations with its 2022/23 PCN and sub-ICB.

    Contains public sector information licensed under the Open Government Licence v3.0
    (:data:`PCN_ATTRIBUTION`, also in ``df.attrs["source"]``); sources: NHS Digital, "NHS
    Payments to General Practice, England, 2022/23", and NHS England's practice-level
    weighted populations. Practices are in the weighted populations' order, none dropped:
    a practice not in the 2022/23 payments file (``status`` ``"not_in_payments"``) has a
    missing PCN; a matched practice with no PCN in 2022/23 has a missing ``pcn_code`` and
    ``pcn_name`` ``"Unknown or no PCN"``. PCNs are those of 2022/23: a practice may have
    moved since.

    Parameters
    ----------
    year : {"2026/27", "2027/28", "2028/29"}

    Returns
    -------
    pandas.DataFrame
        Indexed by ``practice``: ``name``, ``icb``, ``icb_name``, ``registered`` (from the
        weighted populations), ``pcn_code``, ``pcn_name``, ``sub_icb_code``,
        ``sub_icb_name`` (from the mapping) and ``status`` (``"matched"`` or
        ``"not_in_payments"``, see :func:`pcn_match`).

    Examples
    --------
    >>> pcns = england_pcns("2026/27")
    >>> len(pcns), int(pcns["pcn_code"].notna().sum()), pcns.attrs["source"][:28]
    (6281, 6160, 'Contains public sector infor')
    >>> pcns.loc["B85005", ["pcn_code", "pcn_name"]].tolist()
    ['U79310', 'THE MAST PCN']
    """
    weighted = england(year).frame
    found = _load().reindex(weighted.index)
    table = weighted[["name", "icb", "icb_name", "registered"]].join(
        found[["pcn_code", "pcn_name", "sub_icb_code", "sub_icb_name"]])
    table["status"] = pd.Series("matched", index=table.index, dtype=object).where(
        weighted.index.isin(_load().index), "not_in_payments")
    table.attrs["source"] = PCN_ATTRIBUTION
    return table


def footprints(level: str = "pcn", *, icb: str | None = None,
               year: str = "2026/27") -> Footprints:
    """England's footprints: every practice of a year's weighted populations in one footprint.

    ``level`` says who would hold the budget:

    ``"pcn"``
        the practice's primary care network in NHS Payments to General Practice 2022/23
        (:func:`england_pcns`). In 2026/27, 121 practices have no PCN there (89 with
        ``"Unknown or no PCN"``, 32 not in the payments file): each is its own footprint,
        coded by the practice code and named ``"<practice name> (no PCN in the 2022/23
        mapping)"``. One PCN of 2022/23 (``U41591``, Coast and Country PCN) has practices
        in two ICBs of 2026/27 (``QJK`` and ``QT6``); such a PCN is split by ICB, coded and
        named ``"<PCN> (<ICB>)"``, as :meth:`~pbcmodel.weighted.WeightedPopulations.places`
        splits a district. Nothing is dropped: in 2026/27, 1,264 PCNs give 1,265
        footprints (median list size 45,824), and with the 121 practices of no PCN
        1,386 in all.
    ``"place"``
        the local authority district within the ICB
        (:meth:`WeightedPopulations.places("lad") <pbcmodel.weighted.WeightedPopulations.places>`),
        named by the district's name.
    ``"icb"``
        the integrated care board, named by its name.

    Contains public sector information licensed under the Open Government Licence v3.0:
    the footprints' ``source`` is the attribution (:data:`PCN_ATTRIBUTION` for PCNs, else
    :data:`pbcmodel.datasets.ATTRIBUTION`).

    Parameters
    ----------
    level : {"pcn", "place", "icb"}
    icb : str, optional
        One ICB's code (any case): its practices only. Default: all of England.
    year : {"2026/27", "2027/28", "2028/29"}
        The weighted populations' year, whose practices are mapped.

    Returns
    -------
    Footprints
        With ``names`` and ``icb`` for every footprint.

    Raises
    ------
    ValidationError
        An unknown level, ICB code (naming a few known ones) or year.

    Examples
    --------
    >>> fp = footprints("pcn")
    >>> fp.n_footprints, len(fp.footprint), fp.icb.nunique()
    (1386, 6281, 36)
    >>> footprints("pcn", icb="QWO").n_footprints, footprints("place", icb="qwo").n_footprints
    (54, 6)
    >>> footprints("place").n_footprints, footprints("icb").n_footprints
    (330, 36)
    >>> footprints("pcn", icb="QWO").names.loc["U79310"]
    'THE MAST PCN'
    >>> footprints("pcn", icb="XYZ")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: icb: unknown ICB code 'XYZ'; known codes include ...
    """
    wp = england(year)
    if icb is not None:
        wanted = normalise_codes([icb])[0]
        known = pd.Index(wp.frame["icb"].unique())
        if wanted not in known:
            raise ValidationError(f"icb: unknown ICB code {icb!r}; known codes include "
                                  f"{quoted(sorted(known))} ({len(known)} in {year})")
        wp = wp.subset(icb=wanted)
    frame = wp.frame
    if level == "pcn":
        return _pcn_footprints(frame, year)
    if level == "place":
        place = wp.places("lad")
        names = frame["lad_name"].where(place == frame["lad"],
                                        frame["lad_name"] + " (" + frame["icb"] + ")")
        return _footprints_of(place, names, frame["icb"], "place")
    if level == "icb":
        return _footprints_of(frame["icb"], frame["icb_name"], frame["icb"], "icb")
    raise ValidationError(f"level: expected 'pcn', 'place' or 'icb', got {level!r}")


def _footprints_of(code: pd.Series, name: pd.Series, icb: pd.Series, level: str,
                   source: str = ATTRIBUTION) -> Footprints:
    """Footprints from per-practice code, name and ICB (one name and ICB per code)."""
    first = ~code.duplicated()
    return Footprints(code, names=name[first].set_axis(code[first]),
                      icb=icb[first].set_axis(code[first]), level=level, source=source)


def _pcn_footprints(frame: pd.DataFrame, year: str) -> Footprints:
    pcns = england_pcns(year).reindex(frame.index)
    no_pcn = pcns["pcn_code"].isna()
    code = pcns["pcn_code"].where(~no_pcn, pcns.index.to_series())
    name = pcns["pcn_name"].where(~no_pcn, pcns["name"].fillna(pcns.index.to_series())
                                  + " (no PCN in the 2022/23 mapping)")
    split = code.map(frame["icb"].groupby(code).nunique() > 1).to_numpy(dtype=bool)
    code = code.where(~split, code + " (" + frame["icb"] + ")")
    name = name.where(~split, name + " (" + frame["icb"] + ")")
    return _footprints_of(code, name, frame["icb"], "pcn", PCN_ATTRIBUTION)
