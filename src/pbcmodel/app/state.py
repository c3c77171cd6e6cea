"""The what-if's state as plain data, and pure functions from it to the library's figures.

Nothing here decides money: every figure comes from the library's public API. The page
(:mod:`pbcmodel.app.layout`) only turns widgets into the values below and shows what these
functions return, so each step can be tested without a browser.

* An ICB of the embedded data and a grouping of its practices (PCN, place or the ICB as a
  whole, :func:`pbcmodel.datasets.footprints`, or an uploaded mapping read by
  :func:`pbcmodel.io.read_footprints`) give a scenario
  (:func:`pbcmodel.scenario.england.england_scenario`, each practice's consortium its
  footprint), built once per ICB and grouping (:func:`base_scenario` is cached); a
  grouping of the embedded data is the scenario's recorded source, so its scenario file
  round-trips.
* A :class:`Policy` holds the policy in a finance reader's units (per cent of budget,
  pounds); :func:`policy_scenario` makes it a :meth:`Scenario.evolve
  <pbcmodel.scenario.Scenario.evolve>` of the base.
* :func:`run_comparison` simulates two or three policies on common random numbers
  (:func:`pbcmodel.scenario.simulation.run`); its table is
  :func:`pbcmodel.scenario.variants.side_by_side`, the very table :func:`pbcmodel.compare`
  returns.
* Downloads: the scenario file (:meth:`Scenario.to_toml`), the comparison as a tidy CSV
  (:func:`pbcmodel.reports.tables.comparison_table`), its workbook
  (:func:`pbcmodel.reports.result_workbook.comparison_workbook`) and the board report
  (:func:`pbcmodel.reports.board_report.board_report`).
* Uploads are read by the library's own readers inside a temporary folder, with a size
  limit (:func:`read_upload`).

Examples
--------
>>> scn = base_scenario("QOC", "pcn")
>>> scn.population.n_practices, scn.name
(50, 'England QOC')
>>> strict = policy_scenario(scn, Policy(name="B", practice_share_pct=25))
>>> strict.overspend.practice_share, strict.name
(0.25, 'B')
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import attrs
import pandas as pd

from .. import datasets
from ..capitation import need_index
from ..cli.commands import budget_summary, format_explanation
from ..errors import PBCModelError, ValidationError
from ..footprints import Footprints
from ..io import read_footprints, read_registered_patients
from ..money import pounds
from ..overspend import OverspendPolicy
from ..population import Population
from ..reports.board_report import board_report
from ..reports.result_workbook import comparison_workbook
from ..reports.tables import comparison_table, text_table
from ..risk.effects import PracticeEffects
from ..scenario import Scenario, SimulationResult
from ..scenario.england import england_scenario
from ..scenario.simulation import run
from ..scenario.variants import side_by_side
from ..sharing import ShareSchedule, corridor, pbc_freed_up
from ..sharing.presets import aca_risk_corridor, mssp_basic_level_e, part_d_corridor_2006
from ..weighted import WeightedPopulations

__all__ = ["CORRIDORS", "GROUPINGS", "MAX_UPLOAD_BYTES", "SYMMETRIC_BANDS", "Comparison",
           "Policy", "base_scenario",
           "budgets_table", "check_icb", "explanation_text", "failure_message", "footprints_of",
           "group_table", "icb_choices", "policy_scenario", "policy_table", "read_upload",
           "run_comparison", "upload_footprints", "upload_population"]

#: The groupings of the embedded data: label → footprint level.
GROUPINGS: dict[str, str] = {"PCN (neighbourhood)": "pcn", "Place (district)": "place",
                             "ICB as a whole": "icb"}
#: The largest file the page accepts (bytes).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

T = TypeVar("T")

#: The symmetric corridor offered: the practice keeps (bears) all of an under- (over)spend
#: up to 2% of budget, half of the part from 2% to 5%, a fifth beyond
#: (:func:`pbcmodel.sharing.corridor` bands: from, to, share).
SYMMETRIC_BANDS: tuple[tuple[float, float | None, float], ...] = (
    (0.0, 0.02, 1.0), (0.02, 0.05, 0.5), (0.05, None, 0.2))
#: The risk corridors a policy can choose: key → (label, the schedule or None for none).
#: A corridor shares both an underspend and an overspend, in place of the overspend policy
#: and the freed-up rule.
CORRIDORS: dict[str, tuple[str, Callable[[], ShareSchedule] | None]] = {
    "none": ("none: the overspend and underspend rules", None),
    "symmetric": ("symmetric corridor: all to 2%, half 2%-5%, a fifth beyond",
                  lambda: corridor(SYMMETRIC_BANDS, SYMMETRIC_BANDS)),
    "mssp_basic_e": ("MSSP BASIC Level E (US)", mssp_basic_level_e),
    "aca": ("ACA risk corridor (US, 2014-16)", aca_risk_corridor),
    "part_d_2006": ("Medicare Part D corridor (US, 2006-07)", part_d_corridor_2006),
}


def icb_choices(year: str = "2026/27") -> dict[str, str]:
    """Label ``"QOC  NHS Shropshire, Telford and Wrekin ICB (50 practices)"`` → ICB code,
    for every ICB of the embedded weighted populations, by name.

    Examples
    --------
    >>> choices = icb_choices()
    >>> len(choices), choices["QOC  NHS Shropshire, Telford and Wrekin ICB (50 practices)"]
    (36, 'QOC')
    """
    frame = datasets.england(year).frame
    icbs = frame.groupby(["icb", "icb_name"]).size().reset_index(name="practices")
    icbs = icbs.sort_values("icb_name")
    return {f"{row.icb}  {row.icb_name} ({row.practices} practices)": str(row.icb)
            for row in icbs.itertuples()}


def check_icb(icb: str) -> str:
    """``icb`` if it is an ICB code of the embedded data, else a ValidationError naming a few.

    Examples
    --------
    >>> check_icb("QOC")
    'QOC'
    >>> check_icb("XYZ")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: icb: 'XYZ' is not an ICB code of the embedded data; ...
    """
    codes = sorted(icb_choices().values())
    if icb not in codes:
        raise ValidationError(f"icb: {icb!r} is not an ICB code of the embedded data; "
                              f"expected one of {', '.join(codes[:6])}, ... "
                              f"({len(codes)} in all)")
    return icb


@functools.lru_cache(maxsize=64)
def footprints_of(icb: str, level: str) -> Footprints:
    """The ICB's practices grouped at ``level`` (``"pcn"``, ``"place"`` or ``"icb"``),
    from :func:`pbcmodel.datasets.footprints` (cached).

    Examples
    --------
    >>> footprints_of("QOC", "place").n_footprints
    2
    """
    return datasets.footprints(level, icb=icb)


def _weighted(icb: str) -> WeightedPopulations:
    return datasets.england().subset(icb=icb)


@functools.lru_cache(maxsize=16)
def _cached_base(icb: str, level: str) -> Scenario:
    return england_scenario(icb, footprint=level)


def base_scenario(icb: str, grouping: str | Footprints = "place") -> Scenario:
    """The ICB's scenario, each practice's consortium its footprint.

    ``grouping``: a level of the embedded data (``"pcn"``, ``"place"``, ``"icb"``:
    ``england_scenario(icb, footprint=grouping)``, which remembers its source, so its
    scenario file is the short ``dataset = "england"`` form that ``pbcmodel run`` reads back
    to the same scenario; built once and cached, so changing a policy does not rebuild it)
    or an uploaded :class:`~pbcmodel.footprints.Footprints` (``consortia=`` its footprints,
    every practice of the ICB in it, else the library's error naming them; its scenario
    file lists every practice).

    Examples
    --------
    >>> base_scenario("QOC", "pcn").population.units("consortium").nunique()
    9
    >>> print(base_scenario("QOC", "pcn").to_toml()[:48])
    dataset = "england"
    icb = "QOC"
    year = "2026/27"
    """
    if isinstance(grouping, Footprints):
        return england_scenario(icb, consortia=grouping.footprint)
    if grouping not in GROUPINGS.values():
        raise ValidationError(f"grouping: expected one of {list(GROUPINGS.values())} or an "
                              f"uploaded mapping, got {grouping!r}")
    return _cached_base(icb, grouping)


@attrs.frozen
class Policy:
    """One policy in a finance reader's units; :func:`policy_scenario` applies it.

    The defaults are those of :func:`~pbcmodel.scenario.england.england_scenario`.

    Attributes
    ----------
    name : str
        The policy's name (A, B, C), the scenario's name.
    practice_share_pct : float
        Per cent of an overspend beyond the tolerance borne by the practice.
    tolerance_pct : float
        Overspend borne wholly by the commissioner, per cent of budget.
    cap_pct : float or None
        Most a practice bears in a year, per cent of budget (None: no cap).
    net_within_consortium : bool
        Overspends netted against underspends within each group first.
    recovery_years : int
        Years over which a practice's share is recovered from later budgets.
    savings_share_pct : float
        Per cent of an underspend the practice keeps (PBC's freed-up resources).
    high_cost_threshold : float or None
        Pounds per patient per year above which spend is met from a pool (None: no pool).
    holder : {"practice", "consortium"}
        Who holds the budgets: each practice, or each group as one.
    corridor : str
        A key of :data:`CORRIDORS`: ``"none"`` (the overspend policy above and the
        freed-up rule) or a risk corridor sharing both sides in their place (the share,
        tolerance, cap, netting, recovery and savings settings then do not apply).
    high_cost_pool_pct : float
        Per cent of each patient's cost above the threshold met by the pool (100: all; less
        is a partial stop-loss, the practice bearing the rest). Other than 100 only with a
        threshold.
    practice_effects : bool
        Practice effects (what the formula misses in each practice's spend) as Dixon et al.
        2011 (:meth:`PracticeEffects.dixon_2011
        <pbcmodel.risk.effects.PracticeEffects.dixon_2011>`), England's default; off: the
        formula is taken as exact.

    Examples
    --------
    >>> Policy().practice_share_pct, Policy().cap_pct, Policy().corridor
    (50.0, 5.0, 'none')
    """

    name: str = "A"
    practice_share_pct: float = 50.0
    tolerance_pct: float = 2.0
    cap_pct: float | None = 5.0
    net_within_consortium: bool = False
    recovery_years: int = 1
    savings_share_pct: float = 70.0
    high_cost_threshold: float | None = None
    holder: str = "practice"
    corridor: str = "none"
    high_cost_pool_pct: float = 100.0
    practice_effects: bool = True

    def schedule(self) -> ShareSchedule | None:
        """The chosen risk corridor's schedule (None for ``"none"``); an unknown key is a
        ValidationError naming the keys.

        Examples
        --------
        >>> Policy(corridor="aca").schedule().savings
        ((0.0, 1.0), (0.03, 0.5), (0.08, 0.2))
        """
        if self.corridor not in CORRIDORS:
            raise ValidationError(f"corridor: expected one of {', '.join(CORRIDORS)}, got "
                                  f"{self.corridor!r}")
        make = CORRIDORS[self.corridor][1]
        return None if make is None else make()


def policy_table(policies: Sequence[Policy]) -> pd.DataFrame:
    """The policies side by side in words: one row per setting, one column per policy. A
    corridor's sides are in the library's words (:meth:`SideRule.describe
    <pbcmodel.sharing.SideRule.describe>`); the settings it replaces read "by the corridor".

    Examples
    --------
    >>> policy_table([Policy(), Policy(name="B", cap_pct=None)])["B"].tolist()[:3]
    ['50%', '2% of budget', 'none']
    >>> policy_table([Policy(corridor="aca")]).loc["Risk corridor, an overspend", "A"]
    "the practice's share of the overspend: 100% up to 3%, 50% from 3% to 8%, 20% beyond 8% \
of budget"
    """
    return pd.DataFrame({p.name: _policy_words(p) for p in policies})


def _policy_words(p: Policy) -> dict[str, str]:
    """One policy's settings in words (a column of :func:`policy_table`)."""
    def pct(value: float | None, unit: str = "") -> str:
        return "none" if value is None else f"{value:g}%{unit}"

    schedule = p.schedule()
    def rule(text: str) -> str:
        return text if schedule is None else "by the corridor"

    return {"Practice's share of an overspend": rule(pct(p.practice_share_pct)),
            "Tolerance (commissioner bears)": rule(pct(p.tolerance_pct, " of budget")),
            "Cap on the practice's share": rule(pct(p.cap_pct, " of budget")),
            "Netted within the group first": rule("yes" if p.net_within_consortium else "no"),
            "Recovered over": rule(f"{p.recovery_years} year(s)"),
            "Practice keeps of an underspend": rule(pct(p.savings_share_pct)),
            "Risk corridor": CORRIDORS[p.corridor][0],
            "Risk corridor, an underspend": ("none" if schedule is None else
                                             schedule.savings_rule.describe("underspend")),
            "Risk corridor, an overspend": ("none" if schedule is None else
                                            schedule.losses_rule.describe("overspend")),
            "High-cost threshold a patient": ("none" if p.high_cost_threshold is None
                                              else pounds(p.high_cost_threshold)),
            "High-cost pool meets": ("none" if p.high_cost_threshold is None else
                                     f"{p.high_cost_pool_pct:g}% of the cost above it"),
            "Practice effects": ("on (Dixon et al. 2011)" if p.practice_effects
                                 else "off (the formula taken as exact)"),
            "Budget held by": "each practice" if p.holder == "practice" else "each group"}


def policy_scenario(base: Scenario, policy: Policy) -> Scenario:
    """``base`` under ``policy``: :meth:`Scenario.evolve <pbcmodel.scenario.Scenario.evolve>`
    of its overspend policy (per cent ÷ 100), its savings (PBC's freed-up rule,
    :func:`~pbcmodel.sharing.pbc_freed_up`) or, in place of both, a risk corridor
    (:meth:`Policy.schedule`, the scenario's ``savings`` with no overspend policy, so the
    corridor's losses side shares an overspend), its high-cost threshold and pool share,
    practice effects (:meth:`PracticeEffects.dixon_2011
    <pbcmodel.risk.effects.PracticeEffects.dixon_2011>` or none), holder and name. The
    library checks every value (a share above 100%, a negative tolerance, a pool share
    without a threshold, ...).

    Examples
    --------
    >>> base = base_scenario("QOC", "place")
    >>> policy_scenario(base, Policy(name=base.name)) == base     # the defaults are the base's
    True
    >>> policy_scenario(base, Policy(cap_pct=None)).overspend.cap is None
    True
    >>> aca = policy_scenario(base, Policy(corridor="aca", practice_effects=False))
    >>> aca.overspend is None, aca.savings.losses, aca.practice_effects is None
    (True, ((0.0, 1.0), (0.03, 0.5), (0.08, 0.2)), True)
    """
    schedule = policy.schedule()
    shared = ({"savings": pbc_freed_up(policy.savings_share_pct / 100),
               "overspend": _overspend(base, policy)}
              if schedule is None else {"savings": schedule, "overspend": None})
    return base.evolve(name=policy.name, **shared,
                       high_cost_threshold=policy.high_cost_threshold,
                       high_cost_pool_share=policy.high_cost_pool_pct / 100,
                       practice_effects=(PracticeEffects.dixon_2011() if policy.practice_effects
                                         else None),
                       holder=policy.holder)


def _overspend(base: Scenario, policy: Policy) -> OverspendPolicy:
    """``base``'s overspend policy with ``policy``'s settings (per cent ÷ 100)."""
    if base.overspend is None:
        raise ValidationError(f"scenario {base.name!r} has no overspend policy to change")
    return base.overspend.evolve(
        practice_share=policy.practice_share_pct / 100,
        tolerance=policy.tolerance_pct / 100,
        cap=None if policy.cap_pct is None else policy.cap_pct / 100,
        net_within_consortium=policy.net_within_consortium,
        recovery_years=policy.recovery_years)


def budgets_table(scenario: Scenario, footprints: Footprints, icb: str | None
                  ) -> pd.DataFrame:
    """Each practice's name, group, registered patients, need index (relative to the ICB,
    :func:`pbcmodel.capitation.need_index`) and budget (pounds, ``scenario.budgets()``).
    ``icb`` None (an uploaded population, not of the embedded data): no names (blank) and
    no need index (NaN).

    Examples
    --------
    >>> t = budgets_table(base_scenario("QOC", "pcn"), footprints_of("QOC", "pcn"), "QOC")
    >>> t.columns.tolist()
    ['name', 'group', 'group_name', 'list_size', 'need_index', 'budget']
    >>> len(t)
    50
    """
    practices = scenario.population.practices
    group = footprints.footprint.reindex(practices.index)
    names = footprints.names
    if icb is None:
        name = pd.Series("", index=practices.index, dtype=object)
        index = pd.Series(float("nan"), index=practices.index)
    else:
        wp = _weighted(icb)
        name, index = wp.frame["name"].reindex(practices.index), need_index(wp)
    return pd.DataFrame({
        "name": name,
        "group": group,
        "group_name": group.map(names) if names is not None else group,
        "list_size": practices["list_size"],
        "need_index": index.reindex(practices.index),
        "budget": scenario.budgets()["total"]})


def group_table(scenario: Scenario, footprints: Footprints, icb: str | None
                ) -> pd.DataFrame:
    """Per group: its name, practices, patients, budget, budget per head
    (:func:`pbcmodel.cli.commands.budget_summary`) and need index relative to the ICB
    (:func:`pbcmodel.capitation.need_index` of the group; NaN when ``icb`` is None, an
    uploaded population), with a total row.

    Examples
    --------
    >>> t = group_table(base_scenario("QOC", "place"), footprints_of("QOC", "place"), "QOC")
    >>> t.columns.tolist()
    ['name', 'practices', 'patients', 'budget', 'per_head', 'need_index']
    >>> t.index[-1]
    'total'
    """
    summary = budget_summary(scenario.budgets(), scenario.population.practices)
    index = (pd.Series(dtype=float) if icb is None
             else need_index(_weighted(icb), groups=footprints.footprint))
    names = footprints.names
    named = pd.Series(summary.index.map(names) if names is not None else summary.index,
                      index=summary.index).fillna("")
    summary.insert(0, "name", named)
    summary["need_index"] = index.reindex(summary.index)
    return summary


def explanation_text(scenario: Scenario, practice: str) -> str:
    """How ``practice``'s budget is set, step by step, as text
    (``scenario.explain(practice)``, formatted as ``pbcmodel budgets`` prints it).

    Examples
    --------
    >>> print(explanation_text(base_scenario("QOC"), "M82041").splitlines()[0])
      list size  ...
    """
    return format_explanation(scenario.explain(practice))


@attrs.frozen
class Comparison:
    """Policies simulated on common random numbers: ``results`` (one
    :class:`~pbcmodel.scenario.SimulationResult` each) and their ``table``
    (:func:`~pbcmodel.scenario.variants.side_by_side`, as :func:`pbcmodel.compare`).
    """

    results: tuple[SimulationResult, ...]
    table: pd.DataFrame = attrs.field(eq=False)

    def long_table(self) -> pd.DataFrame:
        """The tidy long table (:func:`pbcmodel.reports.tables.comparison_table`)."""
        return comparison_table(self.table)

    def text(self) -> str:
        """The table as text in its units (:func:`pbcmodel.reports.tables.text_table`)."""
        return text_table(self.long_table())

    def described(self) -> str:
        """The run in words: simulations, years, seed."""
        first = self.results[0]
        return (f"{first.n:,} simulations x {first.years} year(s), seed {first.seed}, "
                "common random numbers")

    def csv(self) -> bytes:
        """The tidy table as CSV (UTF-8)."""
        return self.long_table().to_csv().encode("utf-8")

    def workbook(self) -> bytes:
        """The comparison workbook (:func:`comparison_workbook`) as bytes."""
        return _written(lambda path: comparison_workbook(path, self.table,
                                                         described=self.described()),
                        "comparison.xlsx")

    def board_report(self) -> bytes:
        """The board report (:func:`board_report`) as one HTML page, as bytes."""
        return _written(lambda path: board_report(list(self.results), path), "board.html")


def _written(write: Callable[[Path], object], name: str) -> bytes:
    """What ``write`` writes to a file ``name`` in a temporary folder, as bytes."""
    with tempfile.TemporaryDirectory(prefix="pbcmodel-app-") as folder:
        path = Path(folder) / name
        write(path)
        return path.read_bytes()


def run_comparison(scenarios: Sequence[Scenario], n: int, years: int, seed: int,
                   progress: bool = False) -> Comparison:
    """Simulate ``scenarios`` on common random numbers
    (:func:`pbcmodel.scenario.simulation.run`); the table equals ``pbc.compare(scenarios, n=n,
    years=years, seed=seed)``.

    Examples
    --------
    >>> base = base_scenario("QOC")
    >>> c = run_comparison([policy_scenario(base, Policy(name="A")),
    ...                     policy_scenario(base, Policy(name="B", practice_share_pct=25))],
    ...                    n=100, years=1, seed=1)
    >>> c.table.columns.tolist(), c.table.attrs["common_outturns"]
    (['A', 'B'], True)
    """
    results = run(list(scenarios), n=n, years=years, seed=seed, progress=progress)
    return Comparison(results=tuple(results), table=side_by_side(results))


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def read_upload(filename: str, data: bytes, reader: Callable[[Path], T],
                limit: int = MAX_UPLOAD_BYTES) -> T:
    """Read an uploaded file with one of the library's readers, inside a temporary folder.

    The file is written under a temporary folder as its base name with anything but
    letters, digits, ``.``, ``_`` and ``-`` replaced (so no path leaves the folder), read by
    ``reader`` and removed with the folder. A file over ``limit`` bytes, or empty, is
    refused before it is written.

    Raises
    ------
    ValidationError
        The file is empty or too large; and whatever ``reader`` raises.

    Examples
    --------
    >>> read_upload("../x.csv", b"a,b\\n1,2\\n", lambda p: p.name)
    'x.csv'
    >>> read_upload("big.csv", b"x" * 11, lambda p: p.name, limit=10)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: 'big.csv': 11 bytes, more than the limit of 10 bytes
    """
    shown = Path(filename or "upload").name
    if not data:
        raise ValidationError(f"{shown!r}: the file is empty")
    if len(data) > limit:
        raise ValidationError(f"{shown!r}: {len(data):,} bytes, more than the limit of "
                              f"{limit:,} bytes")
    safe = _SAFE_NAME.sub("_", shown).lstrip(".") or "upload"
    with tempfile.TemporaryDirectory(prefix="pbcmodel-upload-") as folder:
        path = Path(folder) / safe
        path.write_bytes(data)
        try:
            return reader(path)
        except ValidationError as exc:    # name the file as the user knows it
            raise ValidationError(str(exc).replace(str(path), shown)) from exc


def upload_footprints(filename: str, data: bytes, icb: str) -> Footprints:
    """An uploaded practice → footprint mapping (:func:`pbcmodel.io.read_footprints`),
    every practice of it in ``icb`` (:meth:`Footprints.check_one_icb` where the file names
    ICBs).

    Examples
    --------
    >>> fp = upload_footprints("m.csv", b"practice,footprint\\nM82041,N\\n", "QOC")
    >>> fp.footprint.to_dict()
    {'M82041': 'N'}
    """
    mine = read_upload(filename, data, read_footprints)
    if mine.icb is not None:
        mine.check_one_icb(icb)
    return mine


def upload_population(filename: str, data: bytes, mapping: tuple[str, bytes] | None = None
                      ) -> Population:
    """An uploaded NHS Digital registered-patient file, with the published practice mapping
    file when given (:func:`pbcmodel.io.read_registered_patients`), each read inside a
    temporary folder (:func:`read_upload`).
    """
    if mapping is None:
        return read_upload(filename, data, read_registered_patients)
    map_name, map_data = mapping
    return read_upload(filename, data, lambda path: read_upload(
        map_name, map_data, lambda map_path: read_registered_patients(path, mapping=map_path)))


def failure_message(exc: BaseException) -> str:
    """The one line a page shows for a failed step: the library's message, never a
    traceback; anything else is named as a bug.

    Examples
    --------
    >>> failure_message(ValidationError("'x.csv', row 3: blank practice"))
    "'x.csv', row 3: blank practice"
    """
    if isinstance(exc, PBCModelError):
        return str(exc) or type(exc).__name__
    return (f"Unexpected error ({type(exc).__name__}); this is a bug in pbcmodel, please "
            "report it")
