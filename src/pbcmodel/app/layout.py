"""The what-if page: Panel widgets and panes over :mod:`pbcmodel.app.state`.

:func:`build_app` returns a servable Panel object (served by :func:`pbcmodel.app.serve`, or
shown in Jupyter as the last line of a cell). Panel is imported inside the functions, through
:func:`pbcmodel.errors.require` (extra ``pbcmodel[app]``). Panel objects are typed ``Any``:
the optional extra cannot be imported at module level (ARCHITECTURE.md).

The page, top to bottom: the ICB and how its practices are grouped (with the groups' and the
practices' budgets and need indices, and one practice's budget explained); two or three
policies in a finance reader's units; a comparison on common random numbers (table and
figure); downloads; uploads. Groups can be made by hand
(:func:`pbcmodel.app.own.hand_footprints`), and an uploaded registered-patient file
becomes the page's scenario (:func:`pbcmodel.app.own.upload_scenario`). Every table is
escaped HTML whose value cells carry stable ids ``<table>-<row>-<column>`` and the exact
value in ``data-value`` (:mod:`pbcmodel.app.page_tables`). A failure of any step is a
message in the page, never a traceback.
"""

from __future__ import annotations

import asyncio
import html
import io
from typing import Any

from ..errors import ValidationError, require
from ..footprints import Footprints
from ..plot.simulation import plot_compare
from ..population import Population
from ..reports.text_tables import period_tables
from ..scenario import Scenario
from .own import hand_footprints, upload_scenario
from .page_tables import (
    BUDGET_FORMATS,
    CSS,
    GROUP_FORMATS,
    HEADERS,
    comparison_cells,
    formatted,
    html_table,
)
from .state import (
    CORRIDORS,
    GROUPINGS,
    Comparison,
    Policy,
    base_scenario,
    budgets_table,
    check_icb,
    explanation_text,
    failure_message,
    footprints_of,
    group_table,
    icb_choices,
    policy_scenario,
    policy_table,
    run_comparison,
    upload_footprints,
    upload_population,
)

__all__ = ["PolicyInputs", "WhatIf", "build_app", "comparison_cells", "formatted", "html_table",
           "require_panel", "show"]

#: The grouping of an uploaded mapping file or of groups picked by hand (beside
#: :data:`~pbcmodel.app.state.GROUPINGS`).
UPLOADED = "uploaded"
#: The uploaded registered patients, in their consortia (or groups picked by hand).
PATIENTS = "patients"
#: The ICB chosen when the page opens: the smallest, so the page opens quickly.
FIRST_ICB = "QOC"
#: The policies offered, with their defaults (C is off until ticked).
POLICIES = (Policy(name="A"), Policy(name="B", practice_share_pct=25.0),
            Policy(name="C", practice_share_pct=100.0, cap_pct=None))

#: Said beside the scenario file's download.
_TOML_NOTE = ("pbcmodel run reads the scenario file back as the same scenario, with the same "
              "figures: for a PCN, place or whole-ICB grouping in a few lines "
              "(dataset = \"england\"); for groups of your own mapping file or made by "
              "hand, or your registered-patient file, practice by practice.")


def _key(widget: Any, new: str, old: str) -> str:
    """A widget's parameter by its new name where this Panel has it (1.8+), else the old."""
    return new if new in widget.param else old


def _widget(widget: Any, label: str, **options: Any) -> Any:
    """``widget`` labelled ``label`` (``label=`` in newer Panel, ``name=`` before)."""
    return widget(**{_key(widget, "label", "name"): label}, **options)


def _message(pn: Any, text: str, kind: str = "danger") -> Any:
    """An alert with ``text`` escaped (an HTML block, so no Markdown is read in it)."""
    return pn.pane.Alert(f'<div class="pbc-message">{html.escape(text)}</div>',
                         alert_type=kind, sizing_mode="stretch_width")


class PolicyInputs:
    """The widgets of one policy, in a finance reader's units; :meth:`policy` reads them."""

    def __init__(self, pn: Any, default: Policy, include: bool) -> None:
        self.name = default.name
        self.include = _widget(pn.widgets.Checkbox, f"Compare policy {default.name}",
                                           value=include)
        self.share = _widget(pn.widgets.FloatInput, "Practice's share of an overspend (%)",
                                           value=default.practice_share_pct, start=0, end=100,
                                           step=5)
        self.tolerance = _widget(pn.widgets.FloatInput, "Tolerance (% of budget)",
                                               value=default.tolerance_pct, start=0, step=0.5)
        self.cap = _widget(pn.widgets.FloatInput, "Cap (% of budget; blank: none)",
                                         value=default.cap_pct, start=0, step=1)
        self.netting = _widget(pn.widgets.Checkbox, "Net within the group first",
                                           value=default.net_within_consortium)
        self.recovery = _widget(pn.widgets.IntInput, "Recovered over (years)",
                                            value=default.recovery_years, start=1, step=1)
        self.savings = _widget(pn.widgets.FloatInput, "Practice keeps of an underspend (%)",
                                             value=default.savings_share_pct, start=0, end=100,
                                             step=5)
        self.threshold = _widget(pn.widgets.FloatInput,
                                 "High-cost threshold (£ a patient; blank: none)",
            value=default.high_cost_threshold, start=0, step=5_000)
        self.pool = _widget(pn.widgets.FloatInput,
                            "Pool meets (% of the cost above it)",
                            value=default.high_cost_pool_pct, start=0, end=100, step=10)
        self.holder = _widget(pn.widgets.Select, "Budget held by",
                                        options={"each practice": "practice",
                                                 "each group, as one budget": "consortium"},
                                        value=default.holder)
        self.corridor = _widget(pn.widgets.Select,
                                "Risk corridor (in place of the above)",
                                options={label: key for key, (label, _) in CORRIDORS.items()},
                                value=default.corridor)
        self.effects = _widget(pn.widgets.Checkbox, "Practice effects (Dixon et al. 2011)",
                               value=default.practice_effects)
        self.view = pn.Card(self.include, self.share, self.tolerance, self.cap, self.netting,
                            self.recovery, self.savings, self.corridor, self.threshold,
                            self.pool, self.effects, self.holder,
                            title=f"Policy {default.name}", width=300,
                            css_classes=[f"policy-{default.name}"])

    def policy(self) -> Policy:
        """The policy the widgets show (blank share, tolerance or savings read as 0)."""
        return Policy(name=self.name, practice_share_pct=self.share.value or 0.0,
                      tolerance_pct=self.tolerance.value or 0.0, cap_pct=self.cap.value,
                      net_within_consortium=bool(self.netting.value),
                      recovery_years=int(self.recovery.value or 1),
                      savings_share_pct=self.savings.value or 0.0,
                      high_cost_threshold=self.threshold.value or None,
                      holder=str(self.holder.value), corridor=str(self.corridor.value),
                      high_cost_pool_pct=(100.0 if self.pool.value is None
                                          else self.pool.value),
                      practice_effects=bool(self.effects.value))


class WhatIf:
    """The page's state and widgets; :attr:`view` is the servable Panel object."""

    def __init__(self, pn: Any, icb: str = FIRST_ICB, n: int = 2_000, years: int = 3,
                 seed: int = 0) -> None:
        self.pn = pn
        self.mapping: Footprints | None = None
        self.population: Population | None = None
        self.population_groups: Footprints | None = None
        self._patients_base: Scenario | None = None
        self.comparison: Comparison | None = None
        choices = icb_choices()
        self.icb = _widget(pn.widgets.Select, "ICB", options=choices, value=check_icb(icb),
                                     width=420)
        self.grouping = _widget(pn.widgets.RadioButtonGroup, "Group practices by",
                                options={**GROUPINGS}, value="place")
        self.groups = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[CSS])
        self.budgets = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[CSS])
        self.practice = _widget(pn.widgets.Select, "Explain the budget of practice", width=420)
        self.explanation = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[CSS])
        self.practices_status = pn.Column(sizing_mode="stretch_width")
        self._editor_widgets()
        self.policies = [PolicyInputs(pn, p, include=p.name != "C") for p in POLICIES]
        self._simulation_widgets(n, years, seed)
        self._transfer_widgets()
        self.icb.param.watch(self._on_icb, "value")
        self.grouping.param.watch(self._refresh, "value")
        self.practice.param.watch(self._explain, "value")
        self.view = self._layout()
        self._refresh()

    # --- widgets ------------------------------------------------------------------------
    def _simulation_widgets(self, n: int, years: int, seed: int) -> None:
        pn = self.pn
        self.n = _widget(pn.widgets.IntInput, "Simulations", value=n, start=1, step=500,
                         width=140)
        self.years = _widget(pn.widgets.IntInput, "Years", value=years, start=1, width=90)
        self.seed = _widget(pn.widgets.IntInput, "Seed", value=seed, start=0, width=90)
        self.run_button = _widget(pn.widgets.Button, "Run comparison",
                                  css_classes=["run-comparison"],
                                  **{_key(pn.widgets.Button, "color", "button_type"): "primary"})
        self.run_button.on_click(self._run)
        self.progress = pn.indicators.Progress(active=False, value=-1, visible=False,
                                               width=300)
        self.run_status = pn.Column(sizing_mode="stretch_width")
        self.result_table = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[CSS])
        self.figure = pn.pane.Matplotlib(None, dpi=96, tight=True, visible=False,
                                         sizing_mode="fixed", width=760, height=430)

    def _editor_widgets(self) -> None:
        pn = self.pn
        self.group_name = _widget(pn.widgets.TextInput, "New group's name",
                                  placeholder="e.g. Town centre", width=200)
        self.pick = _widget(pn.widgets.MultiChoice, "Its practices", options={}, width=520,
                            css_classes=["pick-practices"])
        self.add_group = _widget(pn.widgets.Button, "Add group", css_classes=["add-group"])
        self.add_group.on_click(self._add_group)
        self.editor_status = pn.Column(sizing_mode="stretch_width")

    def _transfer_widgets(self) -> None:
        pn = self.pn
        self.toml_policy = _widget(pn.widgets.Select, "Scenario file of policy",
                                             options=[p.name for p in self.policies], width=120)
        self.downloads = pn.Row(
            self.toml_policy,
            pn.widgets.FileDownload(callback=self._toml, filename="scenario.toml",
                                    label="Scenario file (.toml)"),
            pn.widgets.FileDownload(callback=self._csv, filename="comparison.csv",
                                    label="Comparison (.csv)"),
            pn.widgets.FileDownload(callback=self._workbook, filename="comparison.xlsx",
                                    label="Workbook (.xlsx)"),
            pn.widgets.FileDownload(callback=self._board, filename="board_report.html",
                                    label="Board report (.html)"))
        self.mapping_file = pn.widgets.FileInput(accept=".csv,.xlsx,.zip,.gz",
                                                 css_classes=["upload-mapping"])
        self.patients_file = pn.widgets.FileInput(accept=".csv,.zip,.gz",
                                                  css_classes=["upload-patients"])
        self.patients_map = pn.widgets.FileInput(accept=".csv,.zip,.gz",
                                                 css_classes=["upload-patients-map"])
        self.upload_status = pn.Column(sizing_mode="stretch_width")
        self.uploaded = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[CSS])
        self.mapping_file.param.watch(self._upload_mapping, "value")
        self.patients_file.param.watch(self._upload_patients, "value")

    def _layout(self) -> Any:
        pn = self.pn
        md = pn.pane.Markdown
        return pn.Column(
            md("# What if? Budgets, policies and risk for an ICB's practices"),
            md("Real England: NHS England's practice weighted populations 2026/27 (Open "
               "Government Licence v3). Budgets add up to the practices' expected spend; "
               "risk from the example cost model with practice effects as Dixon et al. "
               "2011. Sign: + kept, − paid or borne.", css_classes=["pbc-note"]),
            md("## 1. Practices and groups"), pn.Row(self.icb, self.grouping),
            self.practices_status,
            md("### Groups: budgets and need"), self.groups,
            md("**Make a group by hand**: name it, pick its practices, add it; the practices "
               "not picked stay in their group. Add as many as you like."),
            pn.Row(self.group_name, self.pick, self.add_group), self.editor_status,
            md("### Practices"),
            pn.pane.HTML('<div class="pbc-note">Scroll the table for every practice.</div>',
                         stylesheets=[CSS]),
            self.budgets,
            self.practice, self.explanation,
            md("## 2. Policies"),
            md("An overspend beyond the tolerance is shared: the practice bears its share, "
               "up to the cap; the commissioner bears the rest. An underspend: the practice "
               "keeps its share as freed-up resources."),
            pn.Row(*(p.view for p in self.policies)),
            md("## 3. Compare on the same simulated years"),
            pn.Row(self.n, self.years, self.seed, self.run_button, self.progress),
            self.run_status, self.result_table, self.figure,
            md("## 4. Downloads"), self.downloads,
            pn.pane.HTML(f'<div class="pbc-note">{html.escape(_TOML_NOTE)}</div>',
                         stylesheets=[CSS]),
            md("## 5. Your own files"),
            md("A practice → group mapping (CSV or Excel: `practice`, `footprint`, optional "
               "`footprint_name`, `icb`) groups the chosen ICB's practices your way. An NHS "
               "Digital registered-patient file (with the published practice mapping file "
               "if it needs one: its PCNs are then the groups) becomes a scenario: the "
               "example cost weights and cost model, a resource equal to the practices' "
               "expected spend; no need index is shown for it. Files up to 20 MB; they are "
               "read in a temporary folder and not kept."),
            pn.Row(pn.Column(md("**Mapping file**"), self.mapping_file),
                   pn.Column(md("**Registered patients**"), self.patients_file),
                   pn.Column(md("**Practice mapping (optional)**"), self.patients_map)),
            self.upload_status, self.uploaded,
            sizing_mode="stretch_width", max_width=1300)

    # --- 1. practices -------------------------------------------------------------------
    def footprints(self) -> Footprints:
        """The chosen grouping of the chosen ICB's (or the uploaded) practices."""
        if self.grouping.value == PATIENTS and self.population_groups is not None:
            return self.population_groups
        if self.grouping.value == UPLOADED and self.mapping is not None:
            return self.mapping
        level = self.grouping.value if self.grouping.value in GROUPINGS.values() else "place"
        return footprints_of(self.icb.value, level)

    def base(self) -> Scenario:
        """The chosen ICB's scenario under the chosen grouping (cached by the state), or the
        uploaded registered patients' scenario."""
        if self.grouping.value == PATIENTS and self._patients_base is not None:
            return self._patients_base
        grouping = self.footprints() if self.grouping.value == UPLOADED else self.grouping.value
        return base_scenario(self.icb.value, grouping)

    def table_icb(self) -> str | None:
        """The ICB whose names and need indices the tables show (None: the uploaded
        practices, not of the embedded data)."""
        return None if self.grouping.value == PATIENTS else self.icb.value

    def _grouping_options(self) -> None:
        """The groupings offered: the embedded data's, the ICB's own mapping or groups,
        the uploaded registered patients."""
        options = {**GROUPINGS}
        if self.mapping is not None:
            options["Your mapping or groups"] = UPLOADED
        if self.population is not None:
            options["Your registered patients"] = PATIENTS
        self.grouping.options = options

    def _on_icb(self, *_: Any) -> None:
        self.mapping = None                        # a mapping is for one ICB
        self._grouping_options()
        if self.grouping.value in GROUPINGS.values():
            self._refresh()
        else:
            self.grouping.value = "place"          # triggers _refresh

    def _refresh(self, *_: Any) -> None:
        self.practices_status.objects = []
        try:
            scn, footprints = self.base(), self.footprints()
            groups = group_table(scn, footprints, self.table_icb())
            budgets = budgets_table(scn, footprints, self.table_icb())
        except Exception as exc:   # every failure: a message in the page
            self.practices_status.objects = [_message(self.pn, failure_message(exc))]
            return
        self.groups.object = html_table(groups, formatted(groups, GROUP_FORMATS),
                                        table_id="groups", headers=HEADERS,
                                        index_header="group")
        self.budgets.object = ('<div class="pbc-scroll">' + html_table(
            budgets, formatted(budgets, BUDGET_FORMATS), table_id="budgets",
            headers=HEADERS, index_header="practice") + "</div>")
        names = budgets["name"].fillna("")
        options = {f"{code}  {name}".strip(): code for code, name in names.items()}
        self.practice.options = options
        self.pick.options = options
        self.pick.value = []
        self.practice.value = next(iter(options.values()))
        self._explain()

    def _explain(self, *_: Any) -> None:
        if not self.practice.value:
            return
        try:
            text = explanation_text(self.base(), self.practice.value)
        except Exception as exc:
            text = failure_message(exc)
        self.explanation.object = (f'<pre class="explanation">{html.escape(text)}</pre>')

    def _choose(self, grouping: str) -> None:
        """Show ``grouping`` (refreshed even when it is the one shown)."""
        if self.grouping.value == grouping:
            self._refresh()
        else:
            self.grouping.value = grouping            # triggers _refresh

    def _add_group(self, *_: Any) -> None:
        """The group in the editor made one of its own (:func:`hand_footprints`), the
        result grouping the chosen ICB's (or the uploaded) practices, as an uploaded mapping
        does; the library's message when it is refused."""
        self.editor_status.objects = []
        name, picked = str(self.group_name.value or ""), list(self.pick.value or [])
        population = self.population if self.grouping.value == PATIENTS else None
        try:
            groups = hand_footprints(self.footprints(), [(name, picked)])
            if population is not None:
                scenario = upload_scenario(groups.apply(population))
            else:
                base_scenario(self.icb.value, groups)     # every practice grouped, else why
        except Exception as exc:
            self.editor_status.objects = [_message(self.pn, failure_message(exc))]
            return
        if population is not None:
            self.population_groups, self._patients_base = groups, scenario
            self._refresh()
        else:
            self.mapping = groups
            self._grouping_options()
            self._choose(UPLOADED)
        self.group_name.value = ""
        self.editor_status.objects = [_message(
            self.pn, f"Group {name.strip()!r}: {len(picked)} practice(s); "
                     f"{groups.n_footprints} groups in all, shown above.", "success")]

    # --- 2 and 3. policies and the comparison --------------------------------------------
    def chosen(self) -> list[Policy]:
        """The ticked policies."""
        return [inputs.policy() for inputs in self.policies if inputs.include.value]

    def scenarios(self, policies: list[Policy]) -> list[Scenario]:
        """``policies`` as scenarios of the chosen ICB and grouping."""
        base = self.base()
        return [policy_scenario(base, policy) for policy in policies]

    async def _run(self, *_: Any) -> None:
        self.run_status.objects = []
        self.run_button.disabled = True
        self.progress.visible = self.progress.active = True
        try:
            policies = self.chosen()
            scenarios = self.scenarios(policies)
            if not scenarios:
                self.run_status.objects = [_message(
                    self.pn, "Tick at least one policy to compare.", "warning")]
                return
            n, years, seed = int(self.n.value), int(self.years.value), int(self.seed.value)
            comparison = await asyncio.to_thread(run_comparison, scenarios, n, years, seed)
            self._show(comparison, policies)
        except Exception as exc:
            self.run_status.objects = [_message(self.pn, failure_message(exc))]
        finally:
            self.progress.visible = self.progress.active = False
            self.run_button.disabled = False

    def _show(self, comparison: Comparison, policies: list[Policy]) -> None:
        self.comparison = comparison
        cells = comparison_cells(comparison)
        names = [str(c) for c in comparison.table.columns]
        shown = cells[[f"{name}_text" for name in names]].set_axis(names, axis=1)
        words = policy_table(policies)
        settings = html_table(words, words, table_id="policies", index_header="Policy",
                              headers={name: f"Policy {name}" for name in names})
        blocks = {title: rows.index.tolist()
                  for title, rows in period_tables(comparison.long_table()).items()}
        table = html_table(cells[names], shown, table_id="cmp", index_header="Figure",
                           headers={name: f"Policy {name}" for name in names},
                           row_labels=cells["label"].to_dict(), sections=blocks)
        common = ("the same simulated outturns under each policy"
                  if comparison.table.attrs.get("common_outturns") else
                  "the same random numbers; the high-cost threshold or holder changes spend "
                  "too")
        self.run_status.objects = [_message(self.pn, f"{comparison.described()}: {common}.",
                                            "success")]
        self.result_table.object = settings + "<p></p>" + table
        self.figure.object = _figure(comparison)
        self.figure.visible = True

    # --- 4. downloads -------------------------------------------------------------------
    def _toml(self) -> io.BytesIO:
        chosen = next(p for p in self.policies if p.name == self.toml_policy.value)
        return io.BytesIO(policy_scenario(self.base(), chosen.policy()).to_toml()
                          .encode("utf-8"))

    def _compared(self) -> Comparison:
        if self.comparison is None:
            self.run_status.objects = [_message(
                self.pn, "Run a comparison first, then download it.", "warning")]
            raise ValidationError("no comparison yet: run one first")
        return self.comparison

    def _csv(self) -> io.BytesIO:
        return io.BytesIO(self._compared().csv())

    def _workbook(self) -> io.BytesIO:
        return io.BytesIO(self._compared().workbook())

    def _board(self) -> io.BytesIO:
        return io.BytesIO(self._compared().board_report())

    # --- 5. uploads ---------------------------------------------------------------------
    def _upload_mapping(self, event: Any) -> None:
        self.upload_status.objects = []
        if not event.new:
            return
        try:
            mapping = upload_footprints(self.mapping_file.filename, event.new, self.icb.value)
            base_scenario(self.icb.value, mapping)        # every practice grouped, else why
        except Exception as exc:
            self.upload_status.objects = [_message(self.pn, failure_message(exc))]
            return
        self.mapping = mapping
        self._grouping_options()
        self._choose(UPLOADED)
        self.upload_status.objects = [_message(
            self.pn, f"{self.mapping_file.filename}: {mapping.n_footprints} groups of "
                     f"{len(mapping.footprint)} practices; shown above.", "success")]

    def _upload_patients(self, event: Any) -> None:
        self.upload_status.objects = []
        self.uploaded.object = ""
        if not event.new:
            return
        mapping = ((self.patients_map.filename, self.patients_map.value)
                   if self.patients_map.value else None)
        try:
            pop = upload_population(self.patients_file.filename, event.new, mapping)
        except Exception as exc:
            self.upload_status.objects = [_message(self.pn, failure_message(exc))]
            return
        try:
            groups = Footprints(pop.units("consortium"), source=self.patients_file.filename)
            scenario = upload_scenario(pop)
        except Exception as exc:
            self.upload_status.objects = [_message(self.pn, failure_message(exc))]
            return
        self.population, self.population_groups, self._patients_base = pop, groups, scenario
        self._grouping_options()
        self._choose(PATIENTS)
        practices = pop.practices
        table = practices.groupby("consortium").agg(practices=("list_size", "size"),
                                                    patients=("list_size", "sum"))
        self.upload_status.objects = [_message(
            self.pn, f"{self.patients_file.filename}: {pop.n_practices:,} practices, "
                     f"{int(practices['list_size'].sum()):,} registered patients; their "
                     "budgets and groups are shown above (Your registered patients).",
            "success")]
        self.uploaded.object = html_table(
            table, formatted(table, {k: GROUP_FORMATS[k] for k in table.columns}),
            table_id="uploaded", headers=HEADERS, index_header="consortium")


def _figure(comparison: Comparison) -> Any:
    """The comparison's figure (:func:`pbcmodel.plot.simulation.plot_compare`)."""
    figure = require("matplotlib.figure", "plot", "figures").Figure
    fig = figure(figsize=(8, 4.5), layout="constrained")
    plot_compare(comparison.table, ax=fig.subplots())
    return fig


def require_panel() -> Any:
    """The ``panel`` module, or :class:`~pbcmodel.errors.MissingDependencyError` naming
    ``pip install "pbcmodel[app]"``."""
    return require("panel", "app", "pbcmodel app and pbcmodel.app")


def build_app(icb: str = FIRST_ICB, *, n: int = 2_000, years: int = 3, seed: int = 0) -> Any:
    """The what-if page as a servable Panel object.

    Parameters
    ----------
    icb : str
        The ICB shown first (default the smallest, QOC).
    n, years, seed : int
        The comparison's simulations, years and seed as the page opens.

    Raises
    ------
    MissingDependencyError
        Panel is not installed: ``pip install "pbcmodel[app]"``.

    Examples
    --------
    >>> page = build_app()           # doctest: +SKIP
    >>> page                         # in Jupyter: the page itself  # doctest: +SKIP
    """
    pn = require_panel()
    return WhatIf(pn, icb, n=n, years=years, seed=seed).view


def show(icb: str = FIRST_ICB, **options: int) -> Any:
    """In Jupyter: load Panel's notebook extension and return the page, which the cell shows
    (``pbc.app.show()`` as a cell's last line). Arguments as :func:`build_app`."""
    require_panel().extension()
    return build_app(icb, **options)
