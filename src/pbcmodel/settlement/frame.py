"""One year's settlement: budgets + outturn + policies → who gets what, exact to the penny.

:func:`settle` takes budgets and outturn (float pounds, indexed by practice
code) and the policies — a :class:`~pbcmodel.sharing.ShareSchedule` for
underspends, an :class:`~pbcmodel.overspend.OverspendPolicy` for overspends,
netting and recovery, :class:`~pbcmodel.incentives.Incentives` — and returns a
:class:`Settlement` whose flows are integer pence. Every penny of each
practice's variance lands with exactly one party:
``practice_amount + commissioner_amount == budget − outturn``.

Which rule governs an overspend: the policy when one is given, otherwise the
schedule's ``losses`` side. A policy together with a schedule that shares
losses is an error (choose one).

Carry-forward: a practice's liability not clawed back from its freed-up
resources or incentive payments is deducted from its next
``recovery_years`` budgets in equal instalments. :attr:`Settlement.carry_forward`
is that schedule (pounds, practice × years ahead); pass it as
``carry_forward=`` next year, when column 1 falls due.

The vectorised core is :func:`settle_arrays` (integer pence, any number of
simulated years at once); ``settle`` is a thin pandas layer over it.

Examples
--------
>>> import pandas as pd
>>> from pbcmodel.settlement import settle
>>> from pbcmodel.sharing import pbc_freed_up
>>> st = settle(pd.Series({"P1": 1_234_567.0}), pd.Series({"P1": 1_200_000.0}),
...             savings=pbc_freed_up(0.7))
>>> st.to_frame()[["variance", "practice_amount", "commissioner_amount"]]
          variance  practice_amount  commissioner_amount
practice
P1         34567.0          24196.9              10370.1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .. import money
from ..errors import ValidationError
from ..glossary import label
from ..html_tables import summary_html
from ..incentives import Incentives
from ..labelled import labelled
from ..overspend import OverspendPolicy
from ..sharing import ShareSchedule
from ..validation import align_condition, align_series, finite_series, practice_totals, quoted
from ..withhold import QualityWithhold
from .core import SettlementArrays, settle_arrays
from .year_end_statement import statement

__all__ = ["Settlement", "settle"]


def _lookup(values: pd.Series | None, index: pd.Index, name: str) -> np.ndarray | None:
    if values is None:
        return None
    if not isinstance(values, pd.Series):
        raise ValidationError(f"{name}: expected a Series indexed by practice code")
    return np.asarray(align_condition(values, index, name))


def _brought_forward(carry: Any, index: pd.Index) -> np.ndarray | None:
    """Carry-forward in pounds (Series: due this year; DataFrame: years ahead 1..k) → pence."""
    if carry is None:
        return None
    frame = carry.to_frame(1) if isinstance(carry, pd.Series) else carry
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError("carry_forward: expected a Series or the DataFrame from "
                              "Settlement.carry_forward")
    unknown = frame.index.difference(index)
    if len(unknown):
        raise ValidationError(f"carry_forward: practice code(s) {quoted(unknown)} are not "
                              "being settled; their liabilities would be lost")
    frame = frame.reindex(index, fill_value=0.0)
    columns = sorted(frame.columns)
    if columns != list(range(1, len(columns) + 1)):
        raise ValidationError(f"carry_forward: columns must be years ahead 1..k, got "
                              f"{list(frame.columns)!r}")
    pence = np.column_stack([
        money.to_pence(finite_series(frame[c], f"carry_forward[{c}]").to_numpy(),
                       f"carry_forward[{c}]") for c in columns])
    if (pence < 0).any():
        raise ValidationError("carry_forward: liabilities must be >= 0")
    return pence[None, :, :]


def settle(budgets: Any, outturn: Any, *, savings: ShareSchedule | None = None,
           overspend: OverspendPolicy | None = None, incentives: Incentives | None = None,
           consortium: pd.Series | None = None, list_size: pd.Series | None = None,
           conditions: Mapping[str, Any] | None = None,
           carry_forward: pd.Series | pd.DataFrame | None = None,
           withhold: QualityWithhold | None = None) -> Settlement:
    """Settle one year for every practice.

    Parameters
    ----------
    budgets, outturn : Series or DataFrame
        Float pounds indexed by practice code (same codes in both). A DataFrame
        practice × POD must have exactly the POD columns of :data:`pbcmodel.codes.PODS`
        (no others: a ``list_size`` column is an error, not spend) and may have a
        ``"total"`` column, which must equal their sum to the penny; every cell
        finite and >= 0. Both are converted to whole pence with
        :func:`pbcmodel.money.allocate_pennies`, so the settled budgets (and
        outturns) add up to their total rounded to the penny; each moves by less
        than a penny, and amounts already in whole pence do not move.
    savings : ShareSchedule, optional
        Governs underspends (and overspends when ``overspend`` is None). None:
        the commissioner keeps every underspend.
    overspend : OverspendPolicy, optional
        Governs overspends, consortium netting and recovery. Giving it together
        with a schedule that shares losses raises ``ValidationError``. Without
        it, liabilities (from the schedule's losses side or brought forward)
        are clawed back from freed-up resources and incentive payments, then
        deducted from next year's budget.
    incentives : Incentives, optional
        Needs ``list_size``; its plan component needs the condition named by
        ``incentives.plan_condition``.
    consortium : Series, optional
        Practice → consortium code; needed for netting, used by :meth:`Settlement.summary`.
    list_size : Series, optional
        Registered patients per practice.
    conditions : mapping, optional
        Condition name → bool / number, or a Series per practice. Every gate's
        condition must be given and every condition given must be used.
    carry_forward : Series or DataFrame, optional
        Liabilities brought forward in **pounds**: a Series is all due this
        year; a DataFrame is a previous :attr:`Settlement.carry_forward`
        (columns 1..k = years ahead, column 1 due this year). Practices absent
        from it owe nothing.
    withhold : QualityWithhold, optional
        A fraction of each budget held back and paid back where its condition (a key of
        ``conditions``) holds; the commissioner keeps the part not earned back, which is
        taken from the practice's amount (never clawed back or carried forward). The
        tables then show ``withheld``, ``withhold_earned`` and ``withhold_unearned``.

    Returns
    -------
    Settlement

    Raises
    ------
    ValidationError
        Misaligned practice codes, NaN/inf money, budgets <= 0, a gate whose
        condition is missing, an unused condition, or a policy clash; the
        message names the culprit.

    Examples
    --------
    An overspend of £50,000 on £1m with a 2% tolerance and a 50% share, recovered
    over two years:

    >>> from pbcmodel.overspend import OverspendPolicy
    >>> st = settle(pd.Series({"P1": 1e6}), pd.Series({"P1": 1.05e6}),
    ...             overspend=OverspendPolicy(tolerance=0.02, practice_share=0.5,
    ...                                       recovery_years=2))
    >>> st.to_frame().loc["P1", ["practice_amount", "commissioner_amount", "recovery_due"]].tolist()
    [-15000.0, -35000.0, 15000.0]
    >>> st.carry_forward.loc["P1"].tolist()
    [7500.0, 7500.0]

    A 2% quality withhold on £1m not earned back: £20,000 kept by the commissioner.

    >>> from pbcmodel.withhold import QualityWithhold
    >>> st = settle(pd.Series({"P1": 1e6}), pd.Series({"P1": 1e6}),
    ...             withhold=QualityWithhold(0.02), conditions={"quality_met": False})
    >>> st.to_frame().loc["P1", ["withheld", "withhold_earned", "practice_amount",
    ...                          "commissioner_amount"]].tolist()
    [20000.0, 0.0, -20000.0, 20000.0]
    """
    budget_s, outturn_s = align_series(practice_totals(budgets, "budgets"),
                                       practice_totals(outturn, "outturn"))
    index = budget_s.index
    consortium_s = None
    codes = None
    if consortium is not None:
        codes_raw = _lookup(consortium, index, "consortium")
        consortium_s = pd.Series(codes_raw, index=index, name="consortium")
        if consortium_s.isna().any():
            raise ValidationError(f"consortium: missing code for practice(s) "
                                  f"{quoted(index[consortium_s.isna().to_numpy()])}")
        codes = pd.factorize(consortium_s)[0]
    elif overspend is not None and overspend.net_within_consortium:
        raise ValidationError("consortium: net_within_consortium=True needs consortium= "
                              "(a Series practice → consortium code)")
    sizes = _lookup(list_size, index, "list_size")
    if incentives is not None and sizes is None:
        raise ValidationError("list_size: incentives are per head; pass list_size= "
                              "(a Series practice → registered patients)")
    conds = {k: align_condition(v, index, f"conditions[{k!r}]")
             for k, v in (conditions or {}).items()}
    # pennies are allocated from the rounded whole, so that the settled budgets add up to it
    # (each rounded alone, £494.7m of budgets settled as £494,699,999.96); amounts already
    # in whole pence do not move, and an outturn equal to the budgets settles on budget
    budget_pence = money.allocate_pennies(budget_s.to_numpy(), name="budgets")
    outturn_pence = money.allocate_pennies(outturn_s.to_numpy(), name="outturn")
    arrays = settle_arrays(budget_pence, outturn_pence, savings=savings, overspend=overspend,
                           incentives=incentives, consortium_codes=codes, list_size=sizes,
                           conditions=conds,
                           carry_forward_pence=_brought_forward(carry_forward, index),
                           withhold=withhold)
    flat = {f.name: getattr(arrays, f.name)[0] for f in attrs.fields(SettlementArrays)}
    return Settlement(
        practices=index, budget_pence=budget_pence, outturn_pence=outturn_pence,
        arrays=SettlementArrays(**flat),
        consortium=consortium_s, list_size=sizes,
        savings=ShareSchedule() if savings is None else savings, overspend=overspend,
        incentives=incentives, conditions=conds, withhold=withhold)


@attrs.frozen(eq=False, repr=False)
class Settlement:
    """The money flows of one settled year (integer pence inside).

    Build it with :func:`settle`. Read it with :meth:`to_frame` (per practice),
    :meth:`summary` (per consortium and in total), :meth:`explain` (a statement
    for one practice) and :attr:`carry_forward` (the state for next year).

    Examples
    --------
    >>> import pandas as pd
    >>> from pbcmodel.sharing import pbc_freed_up
    >>> st = settle(pd.Series({"A": 100.0, "B": 100.0}), pd.Series({"A": 90.0, "B": 120.0}),
    ...             savings=pbc_freed_up(0.5))
    >>> st.summary().loc["total", ["variance", "practice_amount", "commissioner_amount"]].tolist()
    [-10.0, 5.0, -15.0]
    """

    practices: pd.Index
    budget_pence: np.ndarray
    outturn_pence: np.ndarray
    arrays: SettlementArrays
    consortium: pd.Series | None
    list_size: np.ndarray | None
    savings: ShareSchedule
    overspend: OverspendPolicy | None
    incentives: Incentives | None
    conditions: dict[str, Any]
    withhold: QualityWithhold | None = None

    def _pence_columns(self) -> dict[str, np.ndarray]:
        a = self.arrays
        columns = {
            "budget": self.budget_pence, "outturn": self.outturn_pence,
            "variance": a.variance, "practice_amount": a.practice_amount,
            "commissioner_amount": a.commissioner_amount, "entitlement": a.entitlement,
            "withheld_by_gates": np.maximum(a.entitlement, 0) - a.freed_up,
            "freed_up": a.freed_up, "liability": a.liability,
            "incentive_signup": a.incentive_signup, "incentive_plan": a.incentive_plan,
            "clawback_freed_up": a.clawback_freed_up,
            "clawback_incentives": a.clawback_incentives,
            "freed_up_paid": a.freed_up_paid, "incentive_paid": a.incentive_paid,
            "recovered_from_budget": a.recovered_from_budget,
            "net_to_practice": a.net_to_practice,
            "commissioner_net": a.variance - a.net_to_practice,
            "recovery_due": a.liability_carried,
        }
        if self.withhold is not None:
            columns.update(withheld=a.withheld, withhold_earned=a.withhold_earned,
                           withhold_unearned=a.withhold_unearned)
        return columns

    def to_frame(self, *, pence: bool = False) -> pd.DataFrame:
        """Per-practice flows: pounds (float, exact to the penny) or integer pence.

        Columns: budget, outturn, variance (budget − outturn), practice_amount
        (+ freed-up, − liability), commissioner_amount, entitlement (before
        gates), withheld_by_gates, freed_up, liability, incentive_signup,
        incentive_plan, clawback_freed_up, clawback_incentives, freed_up_paid,
        incentive_paid, recovered_from_budget (instalment brought forward),
        net_to_practice (cash to the practice this year), commissioner_net (variance
        − net_to_practice: what the commissioner is left with), recovery_due
        (carried forward to future budgets); with a quality withhold, withheld,
        withhold_earned and withhold_unearned (kept by the commissioner: already taken
        from practice_amount and net_to_practice); plus consortium when known.

        Examples
        --------
        >>> import pandas as pd
        >>> from pbcmodel.sharing import pbc_freed_up
        >>> st = settle(pd.Series({"A": 100.0}), pd.Series({"A": 99.99}),
        ...             savings=pbc_freed_up(0.7))
        >>> st.to_frame(pence=True).loc["A", ["variance", "practice_amount",
        ...                                   "commissioner_amount"]].tolist()
        [1, 1, 0]
        """
        data = self._pence_columns()
        frame = pd.DataFrame({k: (v if pence else v / 100.0) for k, v in data.items()},
                             index=pd.Index(self.practices, name="practice"))
        if self.consortium is not None:
            frame.insert(0, "consortium", self.consortium.to_numpy())
        if pence:      # whole pence, shown as the numbers they are (not as pounds)
            return labelled(frame, dict.fromkeys(data, "count"),
                            title="Settlement per practice, the settled year, in pence")
        return labelled(frame, "£", title="Settlement per practice, the settled year, £")

    def summary(self) -> pd.DataFrame:
        """Totals per consortium (or one group "all") and a "total" row, in pounds.

        The commissioner's side is in ``commissioner_amount`` (its share of the
        variance) and ``commissioner_net`` (the variance less all cash paid to
        practices this year); ``recovery_due`` is still owed to it.

        Examples
        --------
        >>> import pandas as pd
        >>> st = settle(pd.Series({"A": 10.0, "B": 10.0}), pd.Series({"A": 8.0, "B": 9.0}),
        ...             consortium=pd.Series({"A": "C1", "B": "C2"}))
        >>> st.summary()["commissioner_amount"].to_dict()
        {'C1': 2.0, 'C2': 1.0, 'total': 3.0}
        """
        pence = pd.DataFrame(self._pence_columns(), index=self.practices)
        groups = (self.consortium.to_numpy() if self.consortium is not None
                  else np.full(len(self.practices), "all", dtype=object))
        table = pence.groupby(groups, sort=True).sum()
        table.loc["total"] = pence.sum()
        table.insert(0, "practices", pd.Series(groups).value_counts().reindex(table.index)
                     .fillna(len(groups)).astype(int).to_numpy())
        table.index.name = "consortium"
        money = [c for c in table.columns if c != "practices"]
        table[money] = table[money].astype(float) / 100.0
        return labelled(table, "£", title="Settlement by consortium, the settled year, £")

    @property
    def carry_forward(self) -> pd.DataFrame:
        """Instalments still to be recovered, pounds: practice × years ahead (1..Y).

        Pass it as ``settle(..., carry_forward=...)`` next year.

        Examples
        --------
        >>> import pandas as pd
        >>> from pbcmodel.overspend import OverspendPolicy
        >>> st = settle(pd.Series({"A": 100.0}), pd.Series({"A": 130.0}),
        ...             overspend=OverspendPolicy(practice_share=0.5, recovery_years=3))
        >>> st.carry_forward.loc["A"].tolist()      # £15 in three instalments
        [5.0, 5.0, 5.0]
        """
        schedule = self.arrays.recovery_next
        columns = pd.RangeIndex(1, schedule.shape[-1] + 1, name="years_ahead")
        return pd.DataFrame(schedule / 100.0, index=pd.Index(self.practices, name="practice"),
                            columns=columns)

    def explain(self, practice: Any) -> str:
        """A statement for one practice that a practice manager can read.

        Examples
        --------
        >>> import pandas as pd
        >>> from pbcmodel.sharing import pbc_freed_up
        >>> st = settle(pd.Series({"P1": 1_234_567.0}), pd.Series({"P1": 1_200_000.0}),
        ...             savings=pbc_freed_up(0.7, gates=["commissioner_in_balance"]),
        ...             conditions={"commissioner_in_balance": True})
        >>> print(st.explain("P1"))
        Practice P1: settlement statement
        Budget £1,234,567.00; spend £1,200,000.00; underspend £34,567.00.
        Freed-up resources: 70% of the underspend = £24,196.90, paid, as the condition is met
          (the commissioner is in financial balance).
        The commissioner keeps £10,370.10.
        Net paid to the practice this year: £24,196.90.
        """
        if practice not in self.practices:
            raise ValidationError(f"practice: unknown practice code {practice!r}")
        return statement(self, self.practices.get_loc(practice))

    def _headline(self) -> list[tuple[str, str]]:
        """(label, £ to the penny) of the headline figures: totals over every practice."""
        a = self.arrays
        totals = [("Total budget", self.budget_pence), ("Outturn (spend)", self.outturn_pence),
                  ("Variance (budget − outturn)", a.variance),
                  ("Practices' amount", a.practice_amount),
                  ("Commissioner's amount", a.commissioner_amount),
                  ("Net cash to practices", a.net_to_practice)]
        return [(label, money.gbp(int(np.sum(pence)))) for label, pence in totals]

    def _title(self) -> str:
        n = len(self.practices)
        return f"Settlement of {n:,} practice{'s' if n != 1 else ''}"

    def __repr__(self) -> str:
        """A short summary in £ (the flows are in :meth:`to_frame` and :meth:`summary`).

        Examples
        --------
        >>> import pandas as pd
        >>> from pbcmodel.sharing import pbc_freed_up
        >>> print(settle(pd.Series({"A": 1_000_000.0, "B": 2_000_000.0}),
        ...              pd.Series({"A": 950_000.0, "B": 2_010_000.0}),
        ...              savings=pbc_freed_up(0.5)))
        Settlement of 2 practices (+ kept, − paid or borne):
          Total budget                     £3,000,000.00
          Outturn (spend)                  £2,960,000.00
          Variance (budget − outturn)         £40,000.00
          Practices' amount                   £25,000.00
          Commissioner's amount               £15,000.00
          Net cash to practices               £25,000.00
        """
        rows = self._headline()
        width = max(len(value) for _, value in rows)
        return "\n".join([f"{self._title()} (+ kept, − paid or borne):",
                          *(f"  {label:<28}{value:>{width + 4}}" for label, value in rows)])

    def _repr_html_(self) -> str:
        table = self.summary()[["practices", "budget", "outturn", "variance",
                                "practice_amount", "commissioner_amount", "incentive_paid",
                                "net_to_practice", "recovery_due"]]
        shown = table.astype(object)
        for column in table.columns[1:]:
            shown[column] = [money.gbp(p) for p in money.to_pence(table[column].to_numpy(),
                                                                  column)]
        shown["practices"] = [f"{int(v):,}" for v in table["practices"]]
        shown.columns = [label(c, table="settlement") for c in table.columns]
        shown.index.name = "Consortium"
        return summary_html(self._title(), shown,
                            ["£, + kept, − paid or borne: the variance is the budget less the "
                             "outturn; the practices' and the commissioner's amounts add up "
                             "to it"])
