"""What a workbook's reader sees above a column and beside a code: labels and names.

A tidy table's columns are machine names with their unit (``net_to_practice_gbp``), the
names a program reads. A reader wants the glossary's label ("Net cash to the practice") and,
beside a practice or consortium code, its name where the data has one. :func:`column_label`
gives the label of any column a report table has (from :mod:`pbcmodel.glossary`, or from the
few columns of the statements that are not metrics); :func:`code_names` collects the names
the data carries, never invented ones; :func:`with_names` puts them beside the codes.

Examples
--------
>>> column_label("net_to_practice_gbp"), column_label("elective_gbp")
('Net cash to the practice', 'Budget: elective')
>>> column_label("variance_gbp", "monitoring")
'Underspend (+) / overspend (−) to date'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..codes import POD_WORDS, PODS
from ..glossary import TABLES, TERMS, Term, term
from ..weighted import WeightedPopulations

__all__ = ["CODE_LEVELS", "NAME_NOTES", "code_names", "column_label", "column_term",
           "with_names"]

#: The columns that hold codes a reader may want named, in the order their names are looked for.
CODE_LEVELS = ("practice", "consortium", "commissioner")
#: The meaning of each name column :func:`with_names` adds (for a notes sheet).
NAME_NOTES = {
    "practice_name": "The practice's name, as the data gives it (NHS England's published "
                     "name, or the name column of the file read).",
    "consortium_name": "The consortium's (place's) name, as the data gives it.",
    "commissioner_name": "The commissioner's (ICB's) name, as the data gives it.",
}

#: Labels of the statements' columns that are not metrics of the glossary.
_OTHER_LABELS = {
    "rule": "Rule", "text": "The rule in words",
    "pod": "Point of delivery", "practice_name": "Practice name",
    "consortium_name": "Consortium name", "commissioner_name": "Commissioner name",
    "metric": "Figure", "label": "Meaning", "unit": "Unit", "sign": "Sign", "period": "Period",
    "value": "Value", "commissioner": "Commissioner",
}
_AHEAD = re.compile(r"year_(\d+)_ahead_gbp")
_PATH_YEAR = re.compile(r"budget_(\d{4})_(\d{2})_gbp")


def column_term(column: str, table: str | None = None) -> Term | None:
    """The glossary's term whose tidy column is ``column`` (as meant in ``table``), if any.

    Examples
    --------
    >>> column_term("prob_overspend_pct").name, column_term("rule") is None
    ('prob_overspend', True)
    """
    if table is not None:
        for name in TABLES.get(table, ()):
            found = term(name, table)
            if found.column == column:
                return found
    return next((t for t in TERMS.values() if t.column == column), None)


def column_label(column: str, table: str | None = None) -> str:
    """The heading a reader sees for a tidy column: the glossary's label, else plain words.

    Examples
    --------
    >>> column_label("year_2_ahead_gbp"), column_label("budget_2027_28_gbp")
    ('Recovery due 2 year(s) ahead', 'Budget 2027/28')
    >>> column_label("ae_gbp")
    'Budget: A&E'
    >>> column_label("practice"), column_label("some_new_figure_gbp")
    ('Practice', 'Some new figure')
    """
    found = column_term(column, table)
    if found is not None:
        return found.label
    if column in _OTHER_LABELS:
        return _OTHER_LABELS[column]
    pod = column.removesuffix("_gbp")
    if pod in PODS:
        return "Budget: " + POD_WORDS[pod]
    ahead = _AHEAD.fullmatch(column)
    if ahead:
        return f"Recovery due {ahead.group(1)} year(s) ahead"
    year = _PATH_YEAR.fullmatch(column)
    if year:
        return f"Budget {year.group(1)}/{year.group(2)}"
    words = re.sub(r"_(gbp|pct|gbp_per_head)$", "", column).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _named(codes: pd.Series, names: pd.Series) -> pd.Series:
    """Code → name for the codes of a column, blanks and missing names dropped."""
    table = pd.DataFrame({"code": codes.astype(str).to_numpy(),
                          "name": names.to_numpy()}).dropna()
    table = table[table["name"].astype(str).str.strip() != ""]
    return table.drop_duplicates("code").set_index("code")["name"].astype(str)


def code_names(practices: pd.DataFrame | None = None,
               names: Mapping[str, Any] | pd.Series | WeightedPopulations | None = None
               ) -> dict[str, pd.Series]:
    """The names the data carries for practice, consortium and commissioner codes.

    Parameters
    ----------
    practices : DataFrame, optional
        :attr:`Population.practices <pbcmodel.population.Population.practices>`; its
        ``practice_name`` (or ``name``), ``consortium_name`` and ``commissioner_name``
        columns, where the hierarchy has them, name the codes.
    names : mapping, Series or WeightedPopulations, optional
        Practice code → name (as the statements take them), or NHS England's weighted
        populations, whose ``name``, ``lad_name`` (the place of each local authority
        district code) and ``icb_name`` columns are used. These come first.

    Returns
    -------
    dict
        Level (``practice``, ``consortium``, ``commissioner``) → Series code → name, only
        for the levels with at least one name. Nothing is made up: a code without a name
        in the data has none.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> code_names(pbc.Scenario.example().population.practices)       # none in the data
    {}
    >>> wp = pbc.datasets.england().subset(icb="QWO")
    >>> found = code_names(names=wp)
    >>> found["practice"]["B85005"], found["consortium"]["E08000034"]
    ('SHEPLEY PRIMARY CARE LIMITED', 'Kirklees')
    """
    found: dict[str, pd.Series] = {}
    if isinstance(names, WeightedPopulations):
        frame = names.frame
        pairs = {"practice": (frame.index.to_series(), frame.get("name")),
                 "consortium": (frame.get("lad"), frame.get("lad_name")),
                 "commissioner": (frame.get("icb"), frame.get("icb_name"))}
        found = {level: _named(codes, named) for level, (codes, named) in pairs.items()
                 if codes is not None and named is not None}
    elif names is not None:
        given = names if isinstance(names, pd.Series) else pd.Series(dict(names), dtype=object)
        found["practice"] = _named(given.index.to_series(), given)
    if practices is not None:
        for level in CODE_LEVELS:
            column = next((c for c in (f"{level}_name", "name" if level == "practice" else "")
                           if c in practices.columns), None)
            if level in found or column is None:
                continue
            codes = (practices.index.to_series() if level == "practice"
                     else practices[level])
            found[level] = _named(codes, practices[column])
    return {level: named for level, named in found.items() if len(named)}


def with_names(table: pd.DataFrame, names: Mapping[str, pd.Series]) -> pd.DataFrame:
    """``table`` (its codes in columns) with a ``<level>_name`` column after each code column
    that has names: only when one of its codes is named; a code without a name is left blank.

    Examples
    --------
    >>> t = pd.DataFrame({"practice": ["A", "B", "total"], "budget_gbp": [1.0, 2.0, 3.0]})
    >>> with_names(t, {"practice": pd.Series({"A": "Ash Surgery"})})
      practice practice_name  budget_gbp
    0        A   Ash Surgery         1.0
    1        B                       2.0
    2    total                       3.0
    """
    out = table.copy()
    for level, named in names.items():
        if level not in out.columns or f"{level}_name" in out.columns:
            continue
        column = out[level].astype(str).map(named)
        if column.notna().any():
            out.insert(out.columns.get_loc(level) + 1, f"{level}_name",
                       column.fillna("").to_numpy())
    return out
