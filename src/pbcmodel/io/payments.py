"""Reader of NHS Payments to General Practice, England: every practice-level layout 2014/15–2022/23.

NHS Digital (now NHS England) publishes, each financial year, one row per GP practice with its
registered and weighted (Carr-Hill global-sum) patients and every payment made to it. The
columns change from year to year, and in 2022/23 the PCN code and name sit under the headers
``Code`` and ``CCG NAME`` (after ``Sub ICB NAME``), so this reader never trusts a header name on
its own: it recognises the year from the whole header (:data:`HEADERS`, one per year, compared
with spaces collapsed and case ignored) and then maps that year's columns, by layout, to the
standard names (:data:`LAYOUTS`):

``"2014/15"``, ``"2015/16"``
    CCG code and name, no PCN, no atypical-characteristics column; ``Quarter used for patient
    data``.
``"2016/17"``, ``"2017/18"``, ``"2018/19"``
    As above plus practice type, rurality and atypical characteristics (spelled
    ``AtypicalCharacteristics`` in 2016/17); no quarter column from 2018/19.
``"2019/20"``, ``"2020/21"``, ``"2021/22"``
    ``PCN Code`` and ``PCN Name`` after ``CCG NAME``; PCN and Covid payment columns from
    2020/21.
``"2022/23"``
    ``CCG Code`` (the sub-ICB location code), ``Sub ICB NAME``, then the PCN code under
    ``Code`` and the PCN name under ``CCG NAME``.

The headers are those of the files in ``shared/data/nhs-payments-to-general-practice`` (from
the public repository ``HealthEquityEvidenceCentre/HEEC``, ``data/payments/raw``, which
harmonised some names across years): a file whose header differs in any column is refused,
naming the nearest known year and the columns it lacks and adds, rather than read by guesswork.

Contains public sector information licensed under the Open Government Licence v3.0; source:
NHS Digital, "NHS Payments to General Practice, England". These are payments to general
practice, not the secondary-care and prescribing spend a practice-based commissioning budget
covers.

Examples
--------
>>> from pbcmodel.io.payments import LAYOUTS
>>> list(LAYOUTS)[0], list(LAYOUTS)[-1], len(LAYOUTS)
('2014/15', '2022/23', 9)
>>> LAYOUTS["2022/23"]["Code"], LAYOUTS["2022/23"]["CCG NAME"]
('pcn_code', 'pcn_name')
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ..codes import normalise_codes
from ..errors import ValidationError
from ..number_text import BLANK, number_cells
from ..validation import quoted
from .files import practice_codes, read_csv_file

__all__ = ["COLUMNS", "HEADERS", "LAYOUTS", "NO_PCN", "read_payments_to_general_practice"]

#: The published header of each year, column by column (``|`` separates columns), as in the
#: shared files (spaces at either end of a name trimmed).
HEADERS: dict[str, tuple[str, ...]] = {year: tuple(text.split("|")) for year, text in {
    "2014/15": (
        "NHS England (Region) code|NHS England (Region) Name|CCG Code|CCG NAME|Practice Code|"
        "Practice Name|Practice Address|Practice Postcode|Practice Open Date|"
        "Practice Close Date|Contract Type|Dispensing Practice|Quarter used for patient data|"
        "Number of Registered Patients (Last Known Figure)|"
        "Number of Weighted Patients (Last Known Figure)|"
        "Average payments per registered patient|Average payments per weighted patient|"
        "Global Sum|MPIG Correction factor|Premises Payments|Seniority|"
        "Doctors Retainer Scheme Payments|Total Locum Allowances|Prolonged Study Leave|"
        "Appraisal Costs|PCO Admin Other|Total QOF Payments|Alcohol|"
        "Childhood Vaccination and Immunisation Scheme|GP Extended Hours Access|"
        "Facilitating Timely Diagnosis and Support for People with Dementia|"
        "Improving Patient Online Access|Influenza and Pneumococcal Immunisations|"
        "Learning Disabilities|Minor Surgery|Patient Participation|Remote Care Monitoring|"
        "Risk Profiling and Case Management|Rotavirus and Shingles Immunisation|"
        "Services for Violent Patients|Unplanned Admissions|Total National Enhanced Services|"
        "Total Local Enhanced Services|Information Management and Technology|"
        "Balance of PMS Expenditure|"
        "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme|"
        "Prescribing Fee Payments|Dispensing Fee Payments|Reimbursement of Drugs|"
        "Other Payments|Total NHS Payments to General Practice|"
        "Deductions for Pensions, Levies and Prescription Charge Income|"
        "Total NHS Payments to General Practice Minus Deductions"
    ),
    "2015/16": (
        "NHS England (Region) code|NHS England (Region) Name|CCG Code|CCG NAME|Practice Code|"
        "Practice Name|Practice Address|Practice Postcode|Practice Open Date|"
        "Practice Close Date|Contract Type|Dispensing Practice|Quarter used for patient data|"
        "Number of Registered Patients (Last Known Figure)|"
        "Number of Weighted Patients (Last Known Figure)|"
        "Average payments per registered patient|Average payments per weighted patient|"
        "Global Sum|MPIG Correction factor|Premises Payments|Seniority|"
        "Doctors.Retainer.Scheme.Payments|Total Locum Allowances|Prolonged Study Leave|"
        "Appraisal Costs|PCO Admin Other|Total QOF Payments|Alcohol|"
        "Childhood Vaccination and Immunisation Scheme|GP Extended Hours Access|"
        "Facilitating Timely Diagnosis and Support for People with Dementia|"
        "Improving Patient Online Access|Influenza and Pneumococcal Immunisations|"
        "Learning Disabilities|Minor Surgery|Patient Participation|Remote Care Monitoring|"
        "Risk Profiling and Case Management|Rotavirus and Shingles Immunisation|"
        "Services for Violent Patients|Unplanned Admissions|Out Of Area in Hours Urgent Care|"
        "Meningitis|Total National Enhanced Services|LocalEnhancedServices_NHAIS_|"
        "LocalEnhancedServices_ISFE_|Total Local Enhanced Services|"
        "Information Management and Technology|Balance of PMS Expenditure|"
        "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme|"
        "Prescribing Fee Payments|Dispensing Fee Payments|Reimbursement of Drugs|"
        "Other Payments|Total NHS Payments to General Practice|"
        "Deductions for Pensions, Levies and Prescription Charge Income|"
        "Total NHS Payments to General Practice Minus Deductions"
    ),
    "2016/17": (
        "NHS England (Region) code|NHS England (Region) Name|CCG Code|CCG NAME|Practice Code|"
        "Practice Name|Practice Address|Practice Postcode|Practice Open Date|"
        "Practice Close Date|Contract Type|Dispensing Practice|PracticeType|PracticeRurality|"
        "AtypicalCharacteristics|Quarter used for patient data|"
        "Number of Registered Patients (Last Known Figure)|"
        "Number of Weighted Patients (Last Known Figure)|"
        "Average payments per registered patient|Average payments per weighted patient|"
        "Global Sum|MPIG Correction factor|Premises Payments|Seniority|"
        "Doctors.Retainer.Scheme.Payments|Total Locum Allowances|Prolonged Study Leave|"
        "Appraisal Costs|PCO Admin Other|Total QOF Payments|"
        "Childhood Vaccination and Immunisation Scheme|GP Extended Hours Access|"
        "Facilitating Timely Diagnosis and Support for People with Dementia|"
        "Influenza and Pneumococcal Immunisations|Learning Disabilities|Minor Surgery|"
        "Rotavirus and Shingles Immunisation|Services for Violent Patients|"
        "Unplanned Admissions|Out Of Area in Hours Urgent Care|Meningitis|"
        "Total National Enhanced Services|Total Local Enhanced Services|"
        "General Practice Forward View|Information Management and Technology|"
        "Balance of PMS Expenditure|"
        "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme|"
        "Prescribing Fee Payments|Dispensing Fee Payments|Reimbursement of Drugs|"
        "Other Payments|Total NHS Payments to General Practice|"
        "Deductions for Pensions, Levies and Prescription Charge Income|"
        "Total NHS Payments to General Practice Minus Deductions"
    ),
    "2017/18": (
        "NHS England (Region) code|NHS England (Region) Name|CCG Code|CCG NAME|Practice Code|"
        "Practice Name|Practice Address|Practice Postcode|Practice Open Date|"
        "Practice Close Date|Contract Type|Dispensing Practice|Practice Type|"
        "Practice Rurality|Atypical Characteristics|Quarter used for patient data|"
        "Number of Registered Patients (Last Known Figure)|"
        "Number of Weighted Patients (Last Known Figure)|"
        "Average payments per registered patient|Average payments per weighted patient|"
        "Global Sum|MPIG Correction factor|Premises Payments|Seniority|"
        "Doctors Retainer Scheme Payments|Total Locum Allowances|Prolonged Study Leave|"
        "Appraisal Costs|PCO Admin Other|Total QOF Payments|"
        "Childhood Vaccination and Immunisation Scheme|GP Extended Hours Access|"
        "Facilitating Timely Diagnosis and Support for People with Dementia|"
        "Influenza and Pneumococcal Immunisations|Learning Disabilities|Minor Surgery|"
        "Rotavirus and Shingles Immunisation|Services for Violent Patients|"
        "Unplanned Admissions|Out Of Area in Hours Urgent Care|Meningitis|Pertussis|"
        "Total Local Enhanced Services|General Practice Forward View|"
        "Information Management and Technology|Balance of PMS Expenditure|"
        "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme|"
        "Prescribing Fee Payments|Dispensing Fee Payments|Reimbursement of Drugs|"
        "Other Payments|Total NHS Payments to General Practice|"
        "Deductions for Pensions, Levies and Prescription Charge Income|"
        "Total NHS Payments to General Practice Minus Deductions"
    ),
    "2018/19": (
        "NHS England (Region) code|NHS England (Region) Name|CCG Code|CCG NAME|Practice Code|"
        "Practice Name|Practice Address|Practice Postcode|Practice Open Date|"
        "Practice Close Date|Contract Type|Dispensing Practice|Practice Type|"
        "Practice Rurality|Atypical Characteristics|"
        "Number of Registered Patients (Last Known Figure)|"
        "Number of Weighted Patients (Last Known Figure)|"
        "Average payments per registered patient|Average payments per weighted patient|"
        "Global Sum|MPIG Correction factor|Balance of PMS Expenditure|Total QOF Payments|"
        "Childhood Vaccination and Immunisation Scheme|GP Extended Hours Access|"
        "Influenza and Pneumococcal Immunisations|Learning Disabilities|Meningitis|"
        "Minor Surgery|Out Of Area in Hours Urgent Care|Pertussis|"
        "Rotavirus and Shingles Immunisation|Services for Violent Patients|"
        "Total Local Incentive Schemes|Premises Payments|Seniority|"
        "Doctors Retainer Scheme Payments|Total Locum Allowances|Appraisal Costs|"
        "Prolonged Study Leave|PCO Admin Other|Information Management and Technology|"
        "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme|"
        "General Practice Forward View|Prescribing Fee Payments|Dispensing Fee Payments|"
        "Reimbursement of Drugs|Other Payments|Total NHS Payments to General Practice|"
        "Deductions for Pensions, Levies and Prescription Charge Income|"
        "Total NHS Payments to General Practice Minus Deductions"
    ),
    "2019/20": (
        "NHS England (Region) code|NHS England (Region) Name|CCG Code|CCG NAME|PCN Code|"
        "PCN Name|Practice Code|Practice Name|Practice Address|Practice Postcode|"
        "Practice Open Date|Practice Close Date|Contract Type|Dispensing Practice|"
        "Practice Type|Practice Rurality|Atypical Characteristics|"
        "Number of Registered Patients (Last Known Figure)|"
        "Number of Weighted Patients (Last Known Figure)|"
        "Average payments per registered patient|Average payments per weighted patient|"
        "Global Sum|MPIG Correction factor|Balance of PMS Expenditure|Total QOF Payments|"
        "Childhood Vaccination and Immunisation Scheme|GP Extended Hours Access|"
        "Influenza and Pneumococcal Immunisations|Learning Disabilities|Meningitis|"
        "Minor Surgery|Out Of Area in Hours Urgent Care|Pertussis|"
        "Rotavirus and Shingles Immunisation|Services for Violent Patients|"
        "Total Local Incentive Schemes|Premises Payments|Seniority|"
        "Doctors Retainer Scheme Payments|Total Locum Allowances|Appraisal Costs|"
        "Prolonged Study Leave|PCO Admin Other|Information Management and Technology|"
        "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme|"
        "General Practice Forward View|PCN Participation|Prescribing Fee Payments|"
        "Dispensing Fee Payments|Reimbursement of Drugs|Other Payments|"
        "Total NHS Payments to General Practice|"
        "Deductions for Pensions, Levies and Prescription Charge Income|"
        "Total NHS Payments to General Practice Minus Deductions"
    ),
    "2020/21": (
        "NHS England (Region) code|NHS England (Region) Name|CCG Code|CCG NAME|PCN Code|"
        "PCN Name|Practice Code|Practice Name|Practice Address|Practice Postcode|"
        "Practice Open Date|Practice Close Date|Contract Type|Dispensing Practice|"
        "Practice type|Practice Rurality|Atypical characteristics|"
        "Number of Registered Patients (Last Known Figure)|"
        "Number of Weighted Patients (Last Known Figure)|"
        "Average payments per registered patient|Average payments per weighted patient|"
        "Global Sum|MPIG Correction factor|Balance of PMS Expenditure|Total QOF Payments|"
        "Childhood Vaccination and Immunisation Scheme|GP Extended Hours Access|"
        "Influenza and Pneumococcal Immunisations|Learning Disabilities|Meningitis|"
        "Minor Surgery|Out Of Area in Hours Urgent Care|Pertussis|"
        "Rotavirus and Shingles Immunisation|Services for Violent Patients|"
        "Total Local Incentive Schemes|Premises Payments|Seniority|"
        "Doctors Retainer Scheme Payments|Total Locum Allowances|Appraisal Costs|"
        "Prolonged Study Leave|PCO Admin Other|Information Management and Technology|"
        "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme|"
        "General Practice Forward View|PCN Participation|Prescribing Fee Payments|"
        "Dispensing Fee Payments|Reimbursement of Drugs|Other Payments|"
        "Total NHS Payments to General Practice|"
        "Deductions for Pensions, Levies and Prescription Charge Income|"
        "Total NHS Payments to General Practice Minus Deductions|"
        "Total NHS Payments including covid vaccination and covid support and expansion payments|"
        "Total NHS Payments including PCN Workforce, Leadership and Support|PCN Leadership|"
        "PCN Support|PCN Extended Hours Access|PCN Workforce|PCN Investment and impact Fund|"
        "PCN Care Home Premium|Covid Immunisation|Covid Support and Expansion|"
        "Average payments per registered patient including PCN Workforce, Leadership and Support|"
        "Average payments per weighted patient including PCN Workforce, Leadership and Support|"
        "Average payments per registered patient including covid vaccination and covid "
        "support and expansion payments|"
        "Average payments per weighted patient including covid vaccination and covid "
        "support and expansion payments"
    ),
    "2021/22": (
        "NHS England (Region) code|NHS England (Region) Name|CCG Code|CCG NAME|PCN Code|"
        "PCN Name|Practice Code|Practice Name|Practice Address|Practice Postcode|"
        "Practice Open Date|Practice Close Date|Contract Type|Dispensing Practice|"
        "Practice type|Practice Rurality|Atypical characteristics|"
        "Number of Registered Patients (Last Known Figure)|"
        "Number of Weighted Patients (Last Known Figure)|"
        "Average payments per registered patient|Average payments per weighted patient|"
        "Global Sum|MPIG Correction factor|Balance of PMS Expenditure|Total QOF Payments|"
        "Childhood Vaccination and Immunisation Scheme|GP Extended Hours Access|"
        "Influenza and Pneumococcal Immunisations|Learning Disabilities|Meningitis|"
        "Minor Surgery|Out Of Area in Hours Urgent Care|Pertussis|"
        "Rotavirus and Shingles Immunisation|Services for Violent Patients|"
        "Medical Assessment Reviews|Weight Management Service|Total Local Incentive Schemes|"
        "Premises Payments|Seniority|Doctors Retainer Scheme Payments|Total Locum Allowances|"
        "Appraisal Costs|Prolonged Study Leave|PCO Admin Other|"
        "Information Management and Technology|"
        "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme|"
        "General Practice Transformation|PCN Participation|Prescribing Fee Payments|"
        "Dispensing Fee Payments|Reimbursement of Drugs|winter Access Fund|Other Payments|"
        "Total NHS Payments to General Practice|"
        "Deductions for Pensions, Levies and Prescription Charge Income|"
        "Total NHS Payments to General Practice Minus Deductions|"
        "Total NHS Payments to General Practice including covid vaccination, covid "
        "support and long covid payments|"
        "Total NHS Payments including PCN Workforce, Leadership and Support|"
        "Total NHS Payments to General Practice including Covid and PCN payments|"
        "Total NHS Payments to General Practice including Covid and PCN payments minus deductions|"
        "PCN Leadership|PCN Support|PCN Extended Hours Access|PCN Workforce|"
        "PCN Investment and impact Fund|PCN Care Home Premium|Covid Immunisation|"
        "Covid Support and Expansion|Long Covid|"
        "Average payments per registered patient including PCN Workforce, Leadership and Support|"
        "Average payments per weighted patient including PCN Workforce, Leadership and Support|"
        "Average payments per registered patient including covid vaccination, covid "
        "support and long covid payments|"
        "Average payments per weighted patient including covid vaccination, covid "
        "support and long covid payments"
    ),
    "2022/23": (
        "NHS England (Region) code|NHS England (Region) Name|CCG Code|Sub ICB NAME|Code|"
        "CCG NAME|Practice Code|Practice Name|Practice Address|Practice Postcode|"
        "Practice Open Date|Practice Close Date|Contract Type|Dispensing Practice|"
        "Practice type|Practice Rurality|Atypical characteristics|"
        "Number of Registered Patients (Last Known Figure)|"
        "Number of Weighted Patients (Last Known Figure)|"
        "Average payments per registered patient|Average payments per weighted patient|"
        "Global Sum|MPIG Correction factor|Balance of PMS Expenditure|Total QOF Payments|"
        "Childhood Vaccination and Immunisation Scheme|GP Extended Hours Access|"
        "Influenza and Pneumococcal Immunisations|Learning Disabilities|Meningitis|"
        "Minor Surgery|Out Of Area in Hours Urgent Care|Pertussis|"
        "Rotavirus and Shingles Immunisation|Services for Violent Patients|"
        "Medical Assessment Reviews|Weight Management Service|Local Incentive Schemes|"
        "Premises Payments|Seniority|Doctors Retainer Scheme Payments|Total Locum Allowances|"
        "Appraisal - Appraiser Costs in Respect of Locums|Prolonged Study Leave|"
        "PCO Admin Other|Information Management and Technology|"
        "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme|"
        "General Practice Transformation|PCN Participation|Prescribing Fee Payments|"
        "Dispensing Fee Payments|Reimbursement of Drugs|winter Access Fund|Other Payments|"
        "Total NHS Payments to General Practice|"
        "Deductions for Pensions, Levies and Prescription Charge Income|"
        "Total NHS Payments to General Practice Minus Deductions|"
        "Total NHS Payments to General Practice including covid vaccination, covid "
        "support and long covid payments|"
        "Total NHS Payments including PCN Workforce, Leadership and Support|"
        "Total NHS Payments to General Practice including Covid and PCN payments|"
        "Total NHS Payments to General Practice including Covid and PCN payments minus deductions|"
        "PCN Leadership|PCN Support|PCN Extended Hours Access|PCN Workforce|"
        "PCN Investment and impact Fund|PCN Care Home Premium|PCN Enhanced Access|"
        "Covid Immunisation|Covid Support and Expansion|Long Covid|"
        "Average payments per registered patient including PCN Workforce, Leadership and Support|"
        "Average payments per weighted patient including PCN Workforce, Leadership and Support|"
        "Average payments per registered patient including covid vaccination, covid "
        "support and long covid payments|"
        "Average payments per weighted patient including covid vaccination, covid "
        "support and long covid payments"
    ),
}.items()}

_BASE = {
    "NHS England (Region) code": "region_code", "NHS England (Region) Name": "region_name",
    "CCG Code": "sub_icb_code", "CCG NAME": "sub_icb_name", "Practice Code": "practice",
    "Practice Name": "practice_name", "Practice Postcode": "postcode",
    "Practice Open Date": "open_date", "Practice Close Date": "close_date",
    "Contract Type": "contract_type", "Dispensing Practice": "dispensing",
    "Number of Registered Patients (Last Known Figure)": "registered_patients",
    "Number of Weighted Patients (Last Known Figure)": "weighted_patients",
    "Total NHS Payments to General Practice": "total_payments",
    "Total NHS Payments to General Practice Minus Deductions":
        "total_payments_minus_deductions",
}
_ATYPICAL = {"Atypical Characteristics": "atypical"}
_PCN = {**_BASE, "PCN Code": "pcn_code", "PCN Name": "pcn_name", **_ATYPICAL}
#: 2022/23: the sub-ICB name is ``Sub ICB NAME``; ``Code``/``CCG NAME`` hold the PCN.
_SUB_ICB = {**_PCN, "Sub ICB NAME": "sub_icb_name", "Code": "pcn_code", "CCG NAME": "pcn_name"}
del _SUB_ICB["PCN Code"], _SUB_ICB["PCN Name"]

#: Layouts: year → {published column: standard column}, for the columns read; every other
#: published column is ignored. The year's whole header (:data:`HEADERS`) must match.
LAYOUTS: dict[str, dict[str, str]] = {
    "2014/15": _BASE, "2015/16": _BASE,
    "2016/17": {**_BASE, "AtypicalCharacteristics": "atypical"},
    "2017/18": {**_BASE, **_ATYPICAL}, "2018/19": {**_BASE, **_ATYPICAL},
    "2019/20": _PCN, "2020/21": _PCN, "2021/22": _PCN, "2022/23": _SUB_ICB,
}

#: The standard columns, in order (see :func:`read_payments_to_general_practice`).
COLUMNS = ("year", "practice", "practice_name", "postcode", "region_code", "region_name",
           "sub_icb_code", "sub_icb_name", "pcn_code", "pcn_name", "contract_type",
           "dispensing", "open_date", "close_date", "atypical", "registered_patients",
           "weighted_patients", "total_payments", "total_payments_minus_deductions")
_NUMERIC = ("registered_patients", "weighted_patients", "total_payments",
            "total_payments_minus_deductions")
_COUNTS = ("registered_patients", "weighted_patients")
_CODES = ("practice", "region_code", "sub_icb_code", "pcn_code")
#: The publication's text where a practice had no PCN (from 2019/20).
NO_PCN = "Unknown or no PCN"
#: Text the publication writes in a number's place, read as missing: ``N/A`` (an average
#: with no patients), ``-``, and notes between bars such as ``| No registered patients |``.
_MARKER = re.compile(r"^(N/A|-|\|.*\|)$", re.IGNORECASE)


def read_payments_to_general_practice(path: str | PathLike[str]) -> pd.DataFrame:
    """Read one year's NHS Payments to General Practice file, in any layout 2014/15–2022/23.

    Parameters
    ----------
    path : path
        One year's practice-level CSV as published (plain, gzipped ``.csv.gz`` or zipped; a
        UTF-8 byte-order mark is allowed), in one of :data:`LAYOUTS`. The year is read from
        the header, not the file name.

    Returns
    -------
    DataFrame
        One row per practice, in file order, with a default index and the columns
        :data:`COLUMNS`:

        * ``year`` (str): the financial year, e.g. ``"2022/23"``;
        * ``practice`` (str): practice code, trimmed and upper case
          (:func:`~pbcmodel.codes.normalise_codes`); ``practice_name``, ``postcode`` (str);
        * ``region_code``, ``region_name`` (str): the NHS England (commissioning) region;
        * ``sub_icb_code``, ``sub_icb_name`` (str): the CCG until 2021/22, the sub-ICB
          location in 2022/23 (the file's ``CCG Code`` and ``Sub ICB NAME``);
        * ``pcn_code``, ``pcn_name`` (str): the primary care network. Missing (both) before
          2019/20, when the files have no PCN. Where the file says ``"Unknown or no PCN"``
          (:data:`NO_PCN`), ``pcn_code`` is missing and ``pcn_name`` keeps that text, so "no
          PCN" is never mistaken for a code, and stays distinct from "no PCN column";
        * ``contract_type`` (str): GMS, PMS, APMS or Unknown; ``dispensing`` (str): Yes, No
          or Unknown, as published;
        * ``open_date``, ``close_date`` (datetime64): the practice's open and close dates
          (day first); missing where blank or ``-`` (a practice open all year has no close
          date);
        * ``atypical`` (str): the file's atypical-characteristics notes with the bars removed,
          joined by ``"; "`` (e.g. ``"Part year of data; No registered patients"``); missing
          where none, and before 2016/17;
        * ``registered_patients`` (float, patients): the file's ``Number of Registered
          Patients (Last Known Figure)`` (a quarterly average from 2018/19, so not always
          whole);
        * ``weighted_patients`` (float, patients): ``Number of Weighted Patients (Last Known
          Figure)``, the Carr-Hill global-sum weighted list;
        * ``total_payments`` (float, pounds): ``Total NHS Payments to General Practice``,
          before deductions and, from 2020/21, excluding the separate Covid and PCN totals:
          the column the publication divides by the weighted list for its "average payments
          per weighted patient", and the one present in every year;
        * ``total_payments_minus_deductions`` (float, pounds): ``Total NHS Payments to General
          Practice Minus Deductions`` (pensions, levies and prescription charge income).

        A number written as 0 stays 0 (a closed practice's list is published as 0); a blank
        cell or a text marker (``N/A``, ``-``, or a note between bars such as
        ``| No registered patients |``) is missing (NaN), never 0. Money stays float pounds
        as published (modelling input, not money paid). Payments can be negative
        (adjustments); patient counts cannot.

    Raises
    ------
    ValidationError
        Naming the file: no such file, an empty or cut-off file (see
        :mod:`pbcmodel.io.files`); an unknown header (the nearest known year and the columns
        it lacks and adds); a missing or duplicate practice code (with the rows); a cell of
        a numeric column that is not a number nor a known marker, a negative patient count,
        or a date that is not day/month/year (with the row as numbered in the file, the
        header being row 1, the column and the text as written).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pbcmodel.io.payments import HEADERS
    >>> header = ",".join(f'"{c}"' for c in HEADERS["2022/23"])
    >>> cells = {c: "0" for c in HEADERS["2022/23"]}
    >>> cells.update({"Practice Code": "a81001", "CCG Code": "16C", "Code": "U89141",
    ...               "CCG NAME": "STOCKTON PCN", "Sub ICB NAME": "NHS NENC ICB - 16C",
    ...               "Practice Open Date": "01/04/1974", "Practice Close Date": "",
    ...               "Number of Registered Patients (Last Known Figure)": "4029.25",
    ...               "Number of Weighted Patients (Last Known Figure)": "4579.78",
    ...               "Total NHS Payments to General Practice": "720462.51"})
    >>> row = ",".join(f'"{v}"' for v in cells.values())
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "payments.csv"
    >>> _ = p.write_text(header + "\\n" + row + "\\n", encoding="utf-8-sig")
    >>> df = read_payments_to_general_practice(p)
    >>> r = df.iloc[0]
    >>> r.year, r.practice, r.pcn_code, r.pcn_name, r.sub_icb_name
    ('2022/23', 'A81001', 'U89141', 'STOCKTON PCN', 'NHS NENC ICB - 16C')
    >>> round(float(r.total_payments / r.weighted_patients), 2), pd.isna(r.close_date)
    (157.31, True)
    """
    raw = read_csv_file(path, "payments to general practice")   # refuses a missing/empty file
    where = f"payments to general practice {str(Path(path))!r}"
    year = _year_of(list(raw.columns), where)
    mapping = {_key(c): s for c, s in LAYOUTS[year].items()}
    frame = raw.rename(columns={c: mapping[_key(c)] for c in raw.columns if _key(c) in mapping})
    frame = frame[[c for c in COLUMNS if c in frame.columns]].copy()
    rows = pd.Series(np.arange(len(frame)) + 2, index=frame.index)   # header = row 1
    published = {s: c for c, s in LAYOUTS[year].items()}
    frame["practice"] = practice_codes(frame["practice"], rows, where)
    for col in _NUMERIC:
        frame[col] = _numbers(frame[col], rows, published[col], where, col in _COUNTS)
    for col in ("open_date", "close_date"):
        frame[col] = _dates(frame[col], rows, published[col], where)
    for col in _CODES:
        if col in frame:
            present = frame[col].notna() & (frame[col] != NO_PCN)
            frame[col] = frame[col].where(~present, normalise_codes(frame[col].astype(str)))
    if "pcn_code" in frame:
        frame.loc[frame["pcn_code"] == NO_PCN, "pcn_code"] = np.nan
    if "atypical" in frame:
        frame["atypical"] = frame["atypical"].map(_notes, na_action="ignore")
    frame["year"] = year
    return frame.reindex(columns=list(COLUMNS)).astype(
        {c: object for c in ("pcn_code", "pcn_name", "atypical")})


def _key(column: str) -> str:
    """A header name as compared: spaces collapsed, case ignored."""
    return " ".join(str(column).split()).casefold()


def _year_of(columns: list[str], where: str) -> str:
    found = [_key(c) for c in columns]
    for year, header in HEADERS.items():
        if found == [_key(c) for c in header]:
            return year
    found_set = set(found)

    def distance(year: str) -> int:
        return len(found_set.symmetric_difference(_key(c) for c in HEADERS[year]))

    nearest = min(HEADERS, key=distance)
    expected = HEADERS[nearest]
    lacks = [c for c in expected if _key(c) not in found_set]
    keys = {_key(c) for c in expected}
    adds = [c for c in columns if _key(c) not in keys]
    detail = (f"it lacks {quoted(lacks) or 'nothing'} and adds {quoted(adds) or 'nothing'}"
              if lacks or adds else "it has the same columns in another order")
    raise ValidationError(
        f"{where}: unknown layout ({len(columns)} columns). The nearest known layout is "
        f"{nearest!r} ({len(expected)} columns, expected in order: {', '.join(expected)}); "
        f"{detail}. Layouts known: {', '.join(HEADERS)}")


def _numbers(text: pd.Series, rows: pd.Series, column: str, where: str,
             count: bool) -> pd.Series:
    """Numbers as float; blanks and known markers are NaN; anything else is refused.

    Each cell is read by the one number rule (:func:`pbcmodel.number_text.number_cells`):
    ``1,234`` is 1234; a comma anywhere else (``1,2``), ``inf`` or ``5%`` is refused rather
    than guessed at, naming the row and column and saying what to write.
    """
    marker = text.str.match(_MARKER.pattern, case=False).fillna(False).astype(bool)
    values, why = number_cells(text.where(~marker))
    refused = (why != "") & (why != BLANK)
    bad = refused | (values < 0) if count else refused
    if bad.any():
        first = bad.idxmax()
        what = "a number >= 0" if count else "a number"
        reason = f": {why[first]}" if refused[first] else ""
        raise ValidationError(
            f"{where}: row {rows[first]}, column {column!r}: expected {what} (or blank, "
            f"'N/A', '-', or a note between bars), got {text[first]!r}{reason}"
            + (f"; {int(bad.sum())} such cells in all" if bad.sum() > 1 else ""))
    return values


def _dates(text: pd.Series, rows: pd.Series, column: str, where: str) -> pd.Series:
    given = text.where(text != "-")
    dates = pd.to_datetime(given, format="%d/%m/%Y", errors="coerce")
    bad = given.notna() & dates.isna()
    if bad.any():
        first = bad.idxmax()
        raise ValidationError(f"{where}: row {rows[first]}, column {column!r}: expected a "
                              f"date as day/month/year, got {text[first]!r}")
    return dates


def _notes(cell: str) -> str | float:
    """``'| Part year of data || No registered patients |'`` → ``'Part year...; No...'``."""
    parts = [p.strip() for p in cell.split("|") if p.strip()]
    return "; ".join(parts) if parts else np.nan
