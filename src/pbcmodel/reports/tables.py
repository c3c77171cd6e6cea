"""Tidy tables for readers: what the CSV files, the workbooks and the web pages show.

Every table here follows the same rules, so a finance reader can open any of them in Excel:

* a named index column (``practice``, ``consortium``, ``metric``, ``list_size_band``);
* money in pounds to the penny, with the unit in the column name (``budget_gbp``); where a
  table has totals they add up exactly, because the pennies are allocated from the rounded
  whole (:func:`pbcmodel.money.allocate_pennies`) or summed from exact pence;
* counts as integers, probabilities as percentages in ``_pct`` columns (12.5 = 12.5%);
* list-size bands written as "3,000–5,999";
* column names and definitions from :mod:`pbcmodel.glossary`;
* practices with fewer than :data:`SMALL_PRACTICE` registered patients flagged ``small``
  in the per-practice tables (:func:`flag_small`) and left out of the figures per head
  (:func:`by_list_size_table`), the threshold said in the table's ``attrs["notes"]``.

Their text for the terminal (:func:`text_table`, :func:`cell_text`, :func:`period_tables`,
:func:`at_risk_text`, :func:`explanation_text`) lives in :mod:`pbcmodel.reports.text_tables`
and is re-exported here.

Examples
--------
>>> import pbcmodel as pbc
>>> scn = pbc.Scenario.example()
>>> t = budget_table(scn.budgets())
>>> t.loc["total", "total_gbp"]
np.float64(494700000.0)
>>> list(t.columns[:2])
['elective_gbp', 'non_elective_gbp']
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..glossary import TERMS, Term, glossary_frame, term
from ..money import allocate_pennies, round_half_up, to_pence
from ..scenario.metrics import LIST_SIZE_BANDS, SMALL_PRACTICE
from .text_tables import (  # the text of these tables, re-exported from their old home
    COUNT_UNITS,
    at_risk_text,
    cell_text,
    explanation_text,
    period_tables,
    text_table,
)

__all__ = ["SMALL_PRACTICE", "TOTAL", "at_risk_text", "band_labels", "budget_table",
           "by_list_size_table", "cell_text", "comparison_table", "consortium_table",
           "explain_table", "explanation_text", "flag_small", "glossary_table", "has_total",
           "list_size_bands", "metrics_table", "path_table", "period_tables",
           "settlement_table", "small_note", "split_totals", "summary_table", "text_table",
           "tidy"]


def band_labels(bands: Sequence[float]) -> list[str]:
    """Labels of list-size bands [b0, b1), [b1, b2), … as readers write them.

    Examples
    --------
    >>> band_labels([0, 3000, 6000, float("inf")])
    ['0–2,999', '3,000–5,999', '6,000 or more']
    """
    labels = []
    for low, high in itertools.pairwise(bands):
        if np.isinf(high):
            labels.append(f"{int(low):,} or more")
        else:
            labels.append(f"{int(low):,}–{int(np.ceil(high)) - 1:,}")
    return labels


def _pounds(pence: Any) -> np.ndarray:
    """Exact pence → float pounds (the nearest double to the decimal, so it prints as one)."""
    return np.asarray(pence, dtype=np.int64) / 100.0


#: The index label of a table's total row (kept out of tidy files: see
#: :func:`split_totals`).
TOTAL = "total"


def _with_total(frame: pd.DataFrame, pence: pd.DataFrame, label: str = TOTAL
                ) -> pd.DataFrame:
    """Append a total row summed from exact pence."""
    out = frame.copy()
    out.loc[label] = _pounds(pence.sum(axis=0).to_numpy())
    return out


def budget_table(budgets: pd.DataFrame, *, totals_pence: Any = None) -> pd.DataFrame:
    """Budgets per practice × POD in pounds to the penny, with totals that add up.

    Parameters
    ----------
    budgets : DataFrame
        ``Scenario.budgets()``: practice × POD plus ``total`` (float pounds).
    totals_pence : array of int, optional
        Each practice's total in pence as it is paid (a settlement's ``budget_pence``). By
        default the grand total is rounded first and its pennies allocated to the practices
        (largest remainder), so the grand total is the rounded resource.

    Returns
    -------
    DataFrame
        Index ``practice`` with a last row ``total``; columns ``<pod>_gbp`` and
        ``total_gbp``. Every row's PODs add up to its total and every column adds up to
        the total row, to the penny.

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"elective": [1 / 3, 2 / 3], "community": [1 / 3, 2 / 3]},
    ...                  index=pd.Index(["A", "B"], name="practice"))
    >>> b["total"] = b.sum(axis=1)
    >>> budget_table(b)
              elective_gbp  community_gbp  total_gbp
    practice
    A                 0.34           0.33       0.67
    B                 0.67           0.66       1.33
    total             1.01           0.99       2.00
    """
    if "total" not in budgets.columns:
        raise ValidationError("budgets: expected a 'total' column (Scenario.budgets())")
    pods = [c for c in budgets.columns if c != "total"]
    totals = (allocate_pennies(budgets["total"].to_numpy(), name="budgets")
              if totals_pence is None else np.asarray(totals_pence, dtype=np.int64))
    if totals.shape != (len(budgets),):
        raise ValidationError(f"totals_pence: expected {len(budgets)} totals, got "
                              f"{totals.shape}")
    cells = (allocate_pennies(budgets[pods].to_numpy(), total=totals, name="budgets")
             if pods else np.empty((len(budgets), 0), dtype=np.int64))
    pence = pd.DataFrame(np.column_stack([cells, totals]), index=budgets.index,
                         columns=[f"{c}_gbp" for c in pods] + ["total_gbp"])
    out = _with_total(pence.apply(_pounds), pence)
    out.index.name = "practice"
    return out


def explain_table(explanation: pd.DataFrame, budget_pence: int | None = None) -> pd.DataFrame:
    """How a budget was set, in pounds to the penny: the amounts add up to the budget.

    Parameters
    ----------
    explanation : DataFrame
        ``Scenario.explain(practice)`` (columns ``step``, ``description``, ``value``,
        ``amount``, ``kind``).
    budget_pence : int, optional
        The budget in pence as it is paid; default the final step's amount rounded.

    Returns
    -------
    DataFrame
        Index ``step``; columns ``kind``, ``description``, ``input_value`` (the inputs:
        patients, an index, a share, to 10 significant digits; empty for money steps) and
        ``amount_gbp``: the
        adjustments, with pennies allocated so they add up exactly to the final budget;
        subtotals are the running sum of the adjustments above them.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> e = explain_table(pbc.Scenario.example().explain("P001"))
    >>> adds = e.loc[e["kind"] == "adjustment", "amount_gbp"]
    >>> bool(round(adds.sum(), 2) == e.loc["final budget", "amount_gbp"])
    True
    >>> float(e.loc["weighted list", "input_value"])     # not 1262751.8699999999
    1262751.87
    """
    kinds = explanation["kind"].to_numpy()
    result = np.flatnonzero(kinds == "result")
    if len(result) != 1:
        raise ValidationError("explanation: expected exactly one 'result' step (the budget)")
    final = explanation["amount"].to_numpy(dtype=float)[result[0]]
    whole = int(to_pence([final])[0]) if budget_pence is None else int(budget_pence)
    adjust = kinds == "adjustment"
    pence = np.zeros(len(explanation), dtype=np.int64)
    pence[adjust] = allocate_pennies(explanation["amount"].to_numpy(dtype=float)[adjust],
                                     total=whole, name="explanation")
    running = np.cumsum(np.where(adjust, pence, 0))
    money = adjust | (kinds == "subtotal") | (kinds == "result")
    pence = np.where(adjust, pence, running)
    amount = np.where(money, _pounds(pence), np.nan)
    # inputs to 10 significant digits: 1262751.8699999999 patients × £ reads 1262751.87
    values = explanation["value"].to_numpy(dtype=float)
    inputs = np.array([float(f"{v:.10g}") if k == "input" else np.nan
                       for v, k in zip(values, kinds, strict=True)])
    return pd.DataFrame({"kind": kinds, "description": explanation["description"].to_numpy(),
                         "input_value": inputs, "amount_gbp": amount},
                        index=pd.Index(explanation["step"].to_numpy(), name="step"))


def tidy(frame: pd.DataFrame, table: str | None = None, *, money_decimals: int = 2
         ) -> pd.DataFrame:
    """Rename a library table's columns to the glossary's (with units) and show its values
    as readers read them: money to the penny (half up), percentages from fractions, counts
    as integers.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"practices": [3.0], "budget": [1234.567], "prob_overspend": [0.125]},
    ...                  index=pd.Index(["C1"], name="consortium"))
    >>> tidy(t)
                practices  budget_gbp  prob_overspend_pct
    consortium
    C1                  3     1234.57                12.5
    """
    out = {}
    for name in frame.columns:
        t = term(str(name), table)
        values = frame[name]
        if t.unit in _NUMERIC:
            values = pd.Series(_as_read(t, values.to_numpy(), money_decimals),
                               index=frame.index)
        out[t.column] = values
    result = pd.DataFrame(out, index=frame.index)
    result.index.name = frame.index.name
    return result


def settlement_table(settlement: Any) -> pd.DataFrame:
    """A settled year per practice (pounds to the penny), with a total row that adds up.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> t = settlement_table(scn.settle(scn.budgets()["total"] * 0.97))
    >>> bool(t.loc["total", "budget_gbp"] == round(t["budget_gbp"].iloc[:-1].sum(), 2))
    True
    """
    pence = settlement.to_frame(pence=True)
    codes = pence.pop("consortium") if "consortium" in pence.columns else None
    renamed = pence.rename(columns=lambda c: term(c, "settlement").column)
    out = _with_total(renamed.apply(_pounds), renamed)
    if codes is not None:
        out.insert(0, "consortium", [*codes.tolist(), ""])
    out.index.name = "practice"
    return out


def consortium_table(settlement: Any) -> pd.DataFrame:
    """A settled year per consortium and in total (pounds to the penny, summed from pence).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> scn = pbc.Scenario.example()
    >>> consortium_table(scn.settle(scn.budgets()["total"])).loc["total", "practices"]
    np.int64(60)
    """
    return tidy(settlement.summary(), "settlement")


def metrics_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """``SimulationResult.metrics()`` per practice, with units in the column names.

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> m = metrics_table(pbc.Scenario.example().simulate(n=50, seed=1).metrics())
    >>> m.index.name, str(m["list_size"].dtype), "prob_loss_over_2pct_of_budget_pct" in m
    ('practice', 'int64', True)
    """
    out = tidy(metrics)
    out.index.name = "practice"
    return flag_small(out, metrics["list_size"]) if "list_size" in metrics else out


def small_note(small: int | None = None) -> str:
    """The sentence that says which practices a table calls small, or leaves out.

    Examples
    --------
    >>> small_note()
    'small: fewer than 1,000 registered patients (SMALL_PRACTICE).'
    >>> small_note(4).split(" (")[0]
    'Figures per head leave out the 4 small practices'
    """
    if small is None:
        return f"small: fewer than {SMALL_PRACTICE:,} registered patients (SMALL_PRACTICE)."
    return (f"Figures per head leave out the {small:,} small practice"
            f"{'' if small == 1 else 's'} (fewer than {SMALL_PRACTICE:,} registered "
            "patients, SMALL_PRACTICE): a few patients' costs over a few patients say "
            "nothing about a policy.")


def flag_small(table: pd.DataFrame, list_size: pd.Series) -> pd.DataFrame:
    """A per-practice table with a ``small`` column: True for a practice with fewer than
    :data:`SMALL_PRACTICE` registered patients.

    The column goes after ``list_size`` (or first); a row that is not a practice (``total``)
    is left blank. The other columns are unchanged; ``attrs["notes"]`` says the threshold.

    Parameters
    ----------
    table : DataFrame
        Indexed by practice code (a ``total`` row allowed).
    list_size : Series
        Practice code → registered patients.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"budget_gbp": [1022.16, 9e6, 9000022.16]},
    ...                  index=pd.Index(["B86625", "B85005", "total"], name="practice"))
    >>> flag_small(t, pd.Series({"B86625": 1, "B85005": 9000}))
              small  budget_gbp
    practice
    B86625     True     1022.16
    B85005    False  9000000.00
    total      None  9000022.16
    """
    sizes = pd.Series(list_size).reindex(table.index)
    small = [None if np.isnan(size) else bool(size < SMALL_PRACTICE) for size in sizes]
    out = table.copy()
    at = out.columns.get_loc("list_size") + 1 if "list_size" in out.columns else 0
    out.insert(at, "small", small)
    out.attrs["notes"] = [*table.attrs.get("notes", []), small_note()]
    return out


#: Units whose values :func:`_as_read` converts (codes and ratios are shown as they are).
_NUMERIC = ("£", "£ per registered patient", "%", *COUNT_UNITS)


def _as_read(t: Term, values: Any, money_decimals: int = 2) -> np.ndarray:
    """Values as readers read them, by the unit of their term: money to the penny (half
    up), percentages from fractions, counts as integers (kept as floats when one is NaN:
    not defined stays distinct from zero); other units unchanged."""
    if t.unit not in _NUMERIC:
        return np.asarray(values)
    v = np.asarray(values, dtype=float)
    if t.unit in COUNT_UNITS:
        return v.astype(np.int64) if np.isfinite(v).all() else v
    if t.fraction:
        return round_half_up(100 * v, 2)
    return round_half_up(v, money_decimals)


def _shown(t: Term, value: Any) -> Any:
    """One value as readers read it (:func:`_as_read`), as a Python number."""
    return _as_read(t, [value])[0].item()


def _long_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Metrics (rows, library names) × columns of values → index ``metric`` (the glossary's
    column name, with its unit), the values as readers read them, then ``label``, ``unit``,
    ``sign`` and ``period``."""
    terms = [term(str(name)) for name in frame.index]
    out = pd.DataFrame(
        {col: pd.Series([_shown(t, v) for t, v in zip(terms, frame[col], strict=True)],
                        dtype=object) for col in frame.columns})
    for field in ("label", "unit", "sign", "period"):
        out[field] = [getattr(t, field) for t in terms]
    out.index = pd.Index([t.column for t in terms], name="metric")
    return out


def summary_table(summary: pd.Series) -> pd.DataFrame:
    """Headline figures as a long table: one row per metric, with its unit and meaning.

    Index ``metric`` (the glossary's column name, with the unit); columns ``value``
    (integers for counts, pounds to the penny, percentages), ``label``, ``unit``, ``sign``,
    ``period``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series({"simulations": 1000.0, "practices_prob_loss_over_2pct": 0.0512})
    >>> summary_table(s)[["value", "unit"]]
                                                value   unit
    metric
    simulations                                  1000  count
    practices_prob_loss_over_2pct_of_budget_pct  5.12      %
    """
    return _long_table(summary.rename("value").to_frame())


def comparison_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Scenarios side by side (:func:`pbcmodel.scenario.variants.compare`) as a long table.

    Index ``metric`` (the glossary's column name, with the unit); one column per scenario
    (values as :func:`summary_table` shows them), then ``label``, ``unit``, ``sign``,
    ``period``.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"a": [1000.0, 1234.567], "b": [1000.0, -5.0]},
    ...                  index=["simulations", "expected_freed_up"])
    >>> comparison_table(c)[["a", "b", "unit"]]
                                  a        b   unit
    metric
    simulations                1000     1000  count
    expected_freed_up_gbp   1234.57     -5.0      £
    """
    return _long_table(comparison)


def path_table(path: pd.DataFrame, historic: pd.Series | None = None) -> pd.DataFrame:
    """Budgets per practice over several years in pounds to the penny, with a total row
    that adds up in every year.

    Parameters
    ----------
    path : DataFrame
        Practice × year label (``"2026/27"``) of budgets in pounds.
    historic : Series, optional
        Last year's budget per practice, shown first.

    Returns
    -------
    DataFrame
        Index ``practice`` with a last row ``total``; columns ``budget_<year>_gbp`` (the
        year's ``/`` written ``_``), first ``budget_last_year_gbp`` when ``historic`` is
        given. Each year's pennies are allocated from its rounded total.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"2026/27": [100 / 3, 200 / 3]}, index=pd.Index(["A", "B"]))
    >>> path_table(p)
              budget_2026_27_gbp
    practice
    A                      33.33
    B                      66.67
    total                 100.00
    """
    frame = path if historic is None else pd.concat(
        [historic.rename("last year").reindex(path.index), path], axis=1)
    cells = allocate_pennies(frame.to_numpy(dtype=float).T, name="path").T
    columns = ["budget_" + str(c).replace("/", "_").replace(" ", "_") + "_gbp"
               for c in frame.columns]
    pence = pd.DataFrame(cells, index=frame.index, columns=columns)
    out = _with_total(pence.apply(_pounds), pence)
    out.index.name = "practice"
    return out


def has_total(table: Any) -> bool:
    """Whether a table has a total row: ``total`` among its rows, unless its rows are
    metrics (the glossary defines one called ``total``).

    Examples
    --------
    >>> import pandas as pd
    >>> has_total(budget_table(pd.DataFrame({"total": [1.0]}, index=["A"])))
    True
    """
    return (isinstance(table, pd.DataFrame) and table.index.name != "metric"
            and TOTAL in table.index)


def split_totals(tables: Mapping[str, Any]) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """The tables without their ``total`` rows, and those totals as one table of their own.

    A tidy file has one row per practice (place, year…): a ``total`` row among them would be
    counted again by anyone who sums the column. So the CSV and Parquet files
    (:func:`pbcmodel.reports.outputs.write_outputs`) carry no total row, and the totals go
    in ``totals.csv``, one row per table, with the tables' own column names; the
    terminal's text tables and the workbooks keep theirs (a workbook's sits below its
    filtered rows).

    Parameters
    ----------
    tables : mapping
        Name → table; a DataFrame with an index label ``total`` has a total row (not one
        indexed by ``metric``, such as the glossary, whose ``total`` is a metric).

    Returns
    -------
    tables : dict
        The same tables, without their total rows (notes kept).
    totals : DataFrame or None
        Index ``table`` (the table's name), a column for each numeric column of the tables
        with a total (counts stay whole numbers, blank where a table has no such column);
        None when no table has a total row.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"patients": [10, 20, 30], "budget_gbp": [1.5, 2.25, 3.75]},
    ...                  index=pd.Index(["A", "B", "total"], name="practice"))
    >>> body, totals = split_totals({"budgets": t, "other": pd.DataFrame({"x": [1]})})
    >>> list(body["budgets"].index)
    ['A', 'B']
    >>> totals
             patients  budget_gbp
    table
    budgets        30        3.75
    """
    body = dict(tables)
    rows: dict[str, pd.Series] = {}
    kinds: dict[str, Any] = {}
    for name, table in tables.items():
        if not has_total(table):
            continue
        kept = table.drop(index=TOTAL)
        kept.attrs = dict(table.attrs)
        body[name] = kept
        numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])
                   and not pd.api.types.is_bool_dtype(table[c])]
        rows[str(name)] = table.loc[TOTAL, numeric]
        kinds.update({c: table[c].dtype for c in numeric})
    if not rows:
        return body, None
    totals = pd.DataFrame.from_dict(rows, orient="index")
    totals = totals.astype({c: "Int64" for c in totals.columns
                            if pd.api.types.is_integer_dtype(kinds[c])})
    totals.index.name = "table"
    return body, totals


def glossary_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The glossary's definitions of every column (and summary row) the tables show.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"budget_gbp": [1.0]}, index=pd.Index(["A"], name="practice"))
    >>> glossary_table({"budgets": t}).index.tolist()
    ['practice', 'budget']
    """
    shown: set[str] = set()
    for table in tables.values():
        shown.update(str(c) for c in [table.index.name, *table.columns])
        if table.index.name == "metric":
            shown.update(str(c) for c in table.index)
    if any(has_total(table) for table in tables.values()):
        shown.add(TERMS["table"].column)          # the index of their totals (split_totals)
    return glossary_frame([name for name, t in TERMS.items() if t.column in shown])


def by_list_size_table(by_size: pd.DataFrame, bands: Sequence[float] | None = None
                       ) -> pd.DataFrame:
    """``SimulationResult.by_list_size()`` with bands written "3,000–5,999" and units.

    Parameters
    ----------
    by_size : DataFrame
        Indexed by pandas interval labels such as ``"[3000.0, 6000.0)"``.
    bands : sequence of float, optional
        The band edges, when they are not readable from the labels.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"practices": [2, 5], "prob_loss_over_2pct": [0.1, 0.02]},
    ...                  index=pd.Index(["[0.0, 3000.0)", "[3000.0, inf)"], name="list_size"))
    >>> by_list_size_table(t)
                    practices  mean_prob_loss_over_2pct_of_budget_pct
    list_size_band
    0–2,999                 2                                    10.0
    3,000 or more           5                                     2.0
    """
    out = tidy(by_size)
    edges = [_interval_edges(str(label)) for label in by_size.index] if bands is None else \
        list(itertools.pairwise(bands))
    out.index = pd.Index(band_labels([edges[0][0], *(high for _, high in edges)]),
                         name="list_size_band")
    small = [high <= SMALL_PRACTICE for _, high in edges]
    if any(small):
        per_head = [c for c in out.columns if str(c).endswith("_per_head")]
        out.loc[small, per_head] = np.nan
        count = int(out.loc[small, "practices"].sum()) if "practices" in out else 0
        out.attrs["notes"] = [small_note(count)]
    return out


def list_size_bands(list_size: Any, bands: Sequence[float] = LIST_SIZE_BANDS
                    ) -> tuple[float, ...]:
    """``bands`` with a band of small practices (below :data:`SMALL_PRACTICE`) of its own,
    when a practice is that small: :func:`by_list_size_table` shows no figures per head for
    it, so the other bands' figures are those of practices of a real size.

    Examples
    --------
    >>> list_size_bands([1500, 9000])
    (0, 3000, 6000, 10000, 20000, inf)
    >>> list_size_bands([1, 9000])
    (0, 1000, 3000, 6000, 10000, 20000, inf)
    """
    if np.min(np.asarray(list_size)) >= SMALL_PRACTICE or SMALL_PRACTICE in bands:
        return tuple(bands)
    return tuple(sorted({*bands, SMALL_PRACTICE}))


def _interval_edges(label: str) -> tuple[float, float]:
    try:
        low, high = label.strip("[]()").split(",")
        return float(low), float(high)
    except ValueError as exc:
        raise ValidationError(f"by_size: band label {label!r} is not an interval like "
                              "'[0.0, 3000.0)'; pass bands=") from exc
