"""The interactive what-if (pbcmodel.app): its state without a browser, the page in a real
headless Chromium, and the command ``pbcmodel app``."""

from __future__ import annotations

import asyncio
import importlib
import io
import shutil
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.app import state
from pbcmodel.app.state import (
    Policy,
    base_scenario,
    policy_scenario,
    read_upload,
    run_comparison,
    upload_footprints,
    upload_population,
)
from pbcmodel.errors import ValidationError
from pbcmodel.reports.tables import comparison_table
from pbcmodel.reports.text_tables import cell_text, period_tables
from pbcmodel.scenario.england import england_scenario

SMALL_ICB = "QOC"       # 50 practices: the smallest ICB of the embedded data


# --- state, without a browser -----------------------------------------------------------

@pytest.mark.parametrize("level", ["pcn", "place", "icb"])
def test_icb_choice_is_the_england_scenario(level):
    expected = england_scenario(SMALL_ICB,
                                consortia=pbc.datasets.footprints(level, icb=SMALL_ICB).footprint)
    assert base_scenario(SMALL_ICB, level) == expected
    assert base_scenario(SMALL_ICB, level) is base_scenario(SMALL_ICB, level)   # cached


def test_icb_choices_name_every_icb():
    choices = state.icb_choices()
    assert sorted(choices.values()) == sorted(pbc.datasets.england().frame["icb"].unique())


def test_policy_is_the_scenario_evolved_by_hand():
    base = base_scenario(SMALL_ICB, "pcn")
    policy = Policy(name="B", practice_share_pct=30, tolerance_pct=1.5, cap_pct=None,
                    net_within_consortium=True, recovery_years=3, savings_share_pct=60,
                    high_cost_threshold=50_000.0, holder="consortium")
    by_hand = base.evolve(name="B", savings=pbc.sharing.pbc_freed_up(0.6),
                          high_cost_threshold=50_000.0, holder="consortium",
                          overspend=base.overspend.evolve(practice_share=0.3, tolerance=0.015,
                                                          cap=None, net_within_consortium=True,
                                                          recovery_years=3))
    assert policy_scenario(base, policy) == by_hand
    assert policy_scenario(base, Policy(name=base.name)) == base


def test_a_bad_policy_value_is_the_librarys_message():
    with pytest.raises(ValidationError, match="practice_share"):
        policy_scenario(base_scenario(SMALL_ICB), Policy(practice_share_pct=150))


def test_tables_have_names_and_add_up():
    scn, fp = base_scenario(SMALL_ICB, "pcn"), state.footprints_of(SMALL_ICB, "pcn")
    budgets = state.budgets_table(scn, fp, SMALL_ICB)
    assert budgets["budget"].equals(scn.budgets()["total"].rename("budget"))
    assert budgets["name"].notna().all() and budgets["group_name"].notna().all()
    groups = state.group_table(scn, fp, SMALL_ICB)
    assert groups.loc["total", "budget"] == pytest.approx(budgets["budget"].sum())
    index = pbc.capitation.need_index(pbc.datasets.england().subset(icb=SMALL_ICB),
                                      groups=fp.footprint)
    assert groups["need_index"].drop("total").equals(index.reindex(groups.index.drop("total")))
    text = state.explanation_text(scn, "M82041")
    assert "final budget" in text and "£7,068,642" in text


@pytest.fixture(scope="module")
def compared():
    base = base_scenario(SMALL_ICB, "place")
    scenarios = [policy_scenario(base, Policy(name="A")),
                 policy_scenario(base, Policy(name="B", practice_share_pct=25))]
    return scenarios, run_comparison(scenarios, n=200, years=2, seed=5)


def test_comparison_equals_pbc_compare(compared):
    scenarios, comparison = compared
    expected = pbc.compare(scenarios, n=200, years=2, seed=5)
    pd.testing.assert_frame_equal(comparison.table, expected)
    assert comparison.table.attrs["common_outturns"]


def test_the_scenario_file_round_trips(compared, tmp_path):
    scenario = compared[0][1]
    path = tmp_path / "b.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    assert scenario.to_toml().startswith('dataset = "england"\nicb = "QOC"')   # the short form
    back = pbc.load_scenario(path)                                 # as pbcmodel run reads it
    assert back == scenario
    a_policy = compared[0][0]
    page = run_comparison([a_policy, scenario], n=60, years=2, seed=3)
    reloaded = run_comparison([a_policy, back], n=60, years=2, seed=3)
    pd.testing.assert_frame_equal(reloaded.table, page.table)


@pytest.mark.parametrize("level", ["pcn", "icb"])
def test_every_grouping_of_the_embedded_data_round_trips(level):
    scenario = policy_scenario(base_scenario(SMALL_ICB, level), Policy(name="B"))
    back = pbc.Scenario.from_toml(scenario.to_toml())
    assert back == scenario and back.source == scenario.source
    pd.testing.assert_frame_equal(pbc.compare([back], n=30, years=1, seed=4),
                                  pbc.compare([scenario], n=30, years=1, seed=4))


def test_the_scenario_file_keeps_the_policy(compared):
    scenario = compared[0][1]
    back = pbc.Scenario.from_toml(scenario.to_toml())
    for field in ("overspend", "savings", "high_cost_threshold", "holder", "name", "resource",
                  "formula", "cost_model", "practice_effects"):
        assert getattr(back, field) == getattr(scenario, field), field
    assert pbc.Scenario.example().to_toml() == pbc.Scenario.from_toml(
        pbc.Scenario.example().to_toml()).to_toml()


def test_downloads(compared):
    comparison = compared[1]
    csv = pd.read_csv(io.BytesIO(comparison.csv()), index_col="metric")
    expected = comparison_table(comparison.table)
    assert csv.index.tolist() == expected.index.tolist()
    assert csv["B"].to_numpy() == pytest.approx(expected["B"].astype(float).to_numpy())
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(io.BytesIO(comparison.workbook()))
    assert "Comparison" in book.sheetnames
    page = comparison.board_report().decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "A vs B" in page


def test_upload_of_a_good_mapping_groups_the_practices():
    codes = pbc.datasets.england().subset(icb=SMALL_ICB).codes
    rows = "".join(f"{code},{'N' if i % 2 else 'S'},{'North' if i % 2 else 'South'}\n"
                   for i, code in enumerate(codes))
    mine = upload_footprints("mine.csv", ("practice,footprint,footprint_name\n" + rows)
                             .encode(), SMALL_ICB)
    scn = base_scenario(SMALL_ICB, mine)
    assert sorted(scn.population.units("consortium").unique()) == ["N", "S"]


def test_bad_uploads_are_messages_naming_the_file_and_row():
    with pytest.raises(ValidationError, match=r"^footprints: 'bad\.csv': missing.*footprint"):
        upload_footprints("bad.csv", b"practice,foot\nM82041,N\n", SMALL_ICB)
    with pytest.raises(ValidationError, match=r"blank\.csv.*row"):
        upload_footprints("blank.csv", b"practice,footprint\nM82041,N\n,S\n", SMALL_ICB)
    with pytest.raises(ValidationError, match="patients.csv"):
        upload_population("patients.csv", b"nothing,useful\n1,2\n")
    with pytest.raises(ValidationError, match="empty"):
        upload_footprints("none.csv", b"", SMALL_ICB)
    message = state.failure_message(ValidationError("'x.csv', row 3: <b>blank</b>"))
    assert message == "'x.csv', row 3: <b>blank</b>"        # escaped where it is shown
    assert "bug" in state.failure_message(KeyError("x"))


def test_an_upload_too_large_is_refused_before_it_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(state.tempfile, "TemporaryDirectory", None)     # never reached
    with pytest.raises(ValidationError, match="more than the limit"):
        upload_footprints("big.csv", b"x" * (state.MAX_UPLOAD_BYTES + 1), SMALL_ICB)


def test_an_uploaded_name_cannot_leave_the_temporary_folder():
    seen = read_upload("../../etc/pass wd", b"1", lambda path: path)
    assert seen.name == "pass_wd" and seen.parent.name.startswith("pbcmodel-upload-")
    assert not seen.exists()                                        # removed after reading


def test_corridor_pool_share_and_practice_effects_are_the_scenario_evolved_by_hand():
    base = base_scenario(SMALL_ICB, "pcn")
    policy = Policy(name="B", corridor="symmetric", high_cost_threshold=50_000.0,
                    high_cost_pool_pct=80.0, practice_effects=False)
    bands = [(0.0, 0.02, 1.0), (0.02, 0.05, 0.5), (0.05, None, 0.2)]
    by_hand = base.evolve(name="B", savings=pbc.sharing.corridor(savings=bands, losses=bands),
                          overspend=None, high_cost_threshold=50_000.0,
                          high_cost_pool_share=0.8, practice_effects=None)
    assert policy_scenario(base, policy) == by_hand
    mssp = policy_scenario(base, Policy(corridor="mssp_basic_e"))
    assert mssp.savings == pbc.sharing.presets.mssp_basic_level_e() and mssp.overspend is None
    assert policy_scenario(base, Policy()).practice_effects == \
        pbc.risk.effects.PracticeEffects.dixon_2011() == base.practice_effects
    with pytest.raises(ValidationError, match="high_cost_pool_share"):     # no threshold
        policy_scenario(base, Policy(high_cost_pool_pct=80.0))
    with pytest.raises(ValidationError, match="corridor: expected one of"):
        policy_scenario(base, Policy(corridor="nonsense"))


def test_the_policy_table_says_the_new_settings_in_words():
    table = state.policy_table([Policy(), Policy(name="B", corridor="aca",
                                                 high_cost_threshold=40_000.0,
                                                 high_cost_pool_pct=80.0,
                                                 practice_effects=False)])
    assert table.at["Risk corridor", "A"].startswith("none")
    assert table.at["Practice's share of an overspend", "B"] == "by the corridor"
    assert table.at["Risk corridor, an overspend", "B"] == \
        pbc.sharing.presets.aca_risk_corridor().losses_rule.describe("overspend")
    assert table.at["High-cost pool meets", "B"] == "80% of the cost above it"
    assert table.loc["Practice effects"].tolist() == ["on (Dixon et al. 2011)",
                                                       "off (the formula taken as exact)"]


PATIENTS_FILE = Path(__file__).parent / "data" / "gp-reg-pat-prac-quin-age.csv"


def test_an_uploaded_registered_patient_file_is_a_scenario():
    from pbcmodel.app.own import upload_scenario
    pop = upload_population(PATIENTS_FILE.name, PATIENTS_FILE.read_bytes())
    scn = upload_scenario(pop)
    expected = pbc.risk.spend_distribution(pop, pbc.datasets.example_cost_model(),
                                           "normal").mean.sum()
    assert scn == pbc.Scenario.example(population=pop, historic=None, name="uploaded",
                                       resource=float(expected), conditions={},
                                       **{"savings.gates": ()})
    assert scn.resource == float(expected)
    strict = policy_scenario(scn, Policy(name="B", practice_share_pct=25))
    comparison = run_comparison([scn, strict], n=50, years=1, seed=1)
    pd.testing.assert_frame_equal(comparison.table,
                                  pbc.compare([scn, strict], n=50, years=1, seed=1))
    groups = pbc.Footprints(pop.units("consortium"))
    table = state.group_table(scn, groups, None)
    assert table.loc["total", "budget"] == pytest.approx(scn.budgets()["total"].sum())
    assert table["need_index"].isna().all()
    assert state.budgets_table(scn, groups, None)["name"].eq("").all()


def test_groups_picked_by_hand_keep_the_others_and_are_checked_by_the_library():
    from pbcmodel.app.own import hand_footprints
    current = state.footprints_of(SMALL_ICB, "pcn")
    first, second = current.practices[:2]
    mine = hand_footprints(current, [("Town centre", [first, second])])
    assert mine.practices_in("TOWN CENTRE").tolist() == [first, second]
    assert mine.names["TOWN CENTRE"] == "Town centre"
    rest = current.footprint.drop([first, second])
    assert mine.footprint.drop([first, second]).equals(rest)
    scn = base_scenario(SMALL_ICB, mine)              # the path of an uploaded mapping
    assert scn == england_scenario(SMALL_ICB, consortia=mine.footprint)
    # its downloaded file (the full form, practice by practice) reads back as the same scenario
    assert pbc.Scenario.from_toml(scn.to_toml()) == scn
    with pytest.raises(ValidationError, match="in two footprints"):
        hand_footprints(current, [("A", [first]), ("B", [first])])
    with pytest.raises(ValidationError, match="not among"):
        hand_footprints(current, [("A", ["Z99999"])])
    with pytest.raises(ValidationError, match="name"):
        hand_footprints(current, [(" ", [first])])
    with pytest.raises(ValidationError, match="at least one practice"):
        hand_footprints(current, [("A", [])])


# --- the page's objects, without a browser ----------------------------------------------

def test_html_tables_escape_names_and_carry_values():
    from pbcmodel.app.layout import formatted, html_table
    t = pd.DataFrame({"name": ["<script>x</script>"], "budget": [12.5]},
                     index=pd.Index(["P&1"], name="practice"))
    page = html_table(t, formatted(t, {"name": str, "budget": pbc.money.pounds}),
                      table_id="t")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'id="t-P_1-budget" data-value="12.5">£13<' in page


def test_the_page_runs_a_comparison_without_a_browser():
    pn = pytest.importorskip("panel")
    from pbcmodel.app.layout import WhatIf
    page = WhatIf(pn, SMALL_ICB, n=100, years=1, seed=2)
    page.policies[1].share.value = 40.0
    page.policies[2].include.value = True
    asyncio.run(page._run())
    base = base_scenario(SMALL_ICB, "place")
    expected = pbc.compare([policy_scenario(base, Policy(name="A")),
                            policy_scenario(base, Policy(name="B", practice_share_pct=40)),
                            policy_scenario(base, state_policy_c())], n=100, years=1, seed=2)
    pd.testing.assert_frame_equal(page.comparison.table, expected)
    assert 'id="cmp-simulations-C" data-value="100"' in page.result_table.object
    long = comparison_table(expected)
    for title in period_tables(long):                       # a block per period, headed
        assert f'<tr class="period"><th colspan="4">{title}</th></tr>' in page.result_table.object
    metric = "commissioner_var95_all_years_gbp"
    text = cell_text(long.at[metric, "B"], long.at[metric, "unit"], long.at[metric, "sign"],
                     metric)
    assert f'id="cmp-{metric}-B" data-value="{long.at[metric, "B"]}">{text}<' in \
        page.result_table.object
    toml = page._toml().getvalue().decode()
    assert toml == policy_scenario(base, Policy(name="A")).to_toml()


def state_policy_c() -> Policy:
    from pbcmodel.app.layout import POLICIES
    return POLICIES[2]


def test_a_bad_upload_in_the_page_is_a_message():
    pn = pytest.importorskip("panel")
    from pbcmodel.app.layout import WhatIf
    page = WhatIf(pn, SMALL_ICB)
    page.mapping_file.filename = "<b>bad.csv"
    page.mapping_file.value = b"practice,foot\nM82041,N\n"
    [alert] = page.upload_status.objects
    assert "&lt;b&gt;bad.csv" in alert.object and "footprint" in alert.object
    assert "pbcmodel-upload" not in alert.object          # no temporary path shown


# --- serving and the command line ----------------------------------------------------------

def test_serving_elsewhere_than_localhost_warns(monkeypatch):
    serving = importlib.import_module("pbcmodel.app.serve")

    class FakePanel:
        @staticmethod
        def serve(*args, **kwargs):
            return None

    monkeypatch.setattr(serving, "require_panel", lambda: FakePanel)
    with pytest.warns(UserWarning, match="other computers"):
        serving.serve("0.0.0.0", 5006)
    with pytest.raises(ValidationError, match="port"):
        serving.serve(port=70_000)
    with pytest.raises(ValidationError, match="'XYZ' is not an ICB code"):
        serving.serve(icb="XYZ")


def test_cli_without_panel_is_one_line(monkeypatch, capsys):
    from pbcmodel.cli import main
    monkeypatch.setitem(sys.modules, "panel", None)        # import panel fails
    assert main(["app", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'pbcmodel[app]'" in err
    assert main(["app", "--port", "x"]) == 2
    assert main(["app", "--icb", "XYZ", "--no-browser"]) == 2
    assert "'XYZ' is not an ICB code" in capsys.readouterr().err


# --- the page in a real browser ---------------------------------------------------------------

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")

#: Finds an element by a CSS selector through every shadow root (Panel draws in shadow DOM).
_DEEP = """
const deep = (sel, root) => {
  const hit = root.querySelector(sel); if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const f = deep(sel, el.shadowRoot); if (f) return f; } }
  return null; };
const all = (sel, root, out) => {
  root.querySelectorAll(sel).forEach(e => out.push(e));
  for (const el of root.querySelectorAll('*')) if (el.shadowRoot) all(sel, el.shadowRoot, out);
  return out; };
"""


def _browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service
    for path in (CHROMIUM, DRIVER):
        if not path.exists():
            pytest.skip(f"{path} is missing (Debian packages chromium and chromium-driver)")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,3000"):
        options.add_argument(arg)
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(str(DRIVER)), options=options)   # no download


def _wait(driver, script, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = driver.execute_script(_DEEP + script)
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for: {script}")


def _input(driver, label, index=0):
    """The index-th input whose widget is labelled ``label``."""
    return _wait(driver, f"""
        const hits = all('label', document, []).filter(l => l.textContent.trim() === {label!r});
        const l = hits[{index}]; if (!l) return null;
        return l.parentNode.querySelector('input, select');""")


def _type(driver, element, text):
    """Put ``text`` in an input and fire its change event, as typing and leaving it does."""
    driver.execute_script("arguments[0].value = arguments[1]; "
                          "arguments[0].dispatchEvent(new Event('change'));", element, text)
    assert element.get_property("value") == text


@pytest.mark.skipif(not shutil.which("chromium") and not CHROMIUM.exists(),
                    reason="no chromium")
def test_the_page_in_a_real_browser(tmp_path):
    pytest.importorskip("panel")
    from selenium.webdriver.support.ui import Select

    from pbcmodel.app.serve import free_port, serve
    driver = _browser()
    port = free_port()
    server = serve(port=port, threaded=True)
    try:
        for _ in range(100):                      # the server listens
            try:
                urllib.request.urlopen(server.url, timeout=5).close()
                break
            except OSError:
                time.sleep(0.1)
        driver.get(server.url)
        icb = _wait(driver, "return all('select', document, []).find("
                            "s => [...s.options].some(o => o.text.startsWith('QOC')));")
        Select(icb).select_by_index(driver.execute_script(
            "return [...arguments[0].options].findIndex(o => o.text.startsWith('QT6'));", icb))
        first = pbc.datasets.england().subset(icb="QT6").codes[0]
        _wait(driver, "const c = deep('#budgets', document); return c && "
                      f"c.textContent.includes('{first}') ? c : null;", timeout=20)
        _type(driver, _input(driver, "Practice's share of an overspend (%)", 0), "30")
        _type(driver, _input(driver, "Simulations"), "200")
        _type(driver, _input(driver, "Years"), "1")
        time.sleep(1.5)                           # the last change reaches the server
        _wait(driver, "return all('button', document, []).find("
                      "b => b.textContent.includes('Run comparison'));").click()
        _wait(driver, "return deep('#cmp-simulations-A', document);", timeout=60)

        base = base_scenario("QT6", "place")
        expected = comparison_table(pbc.compare(
            [policy_scenario(base, Policy(name="A", practice_share_pct=30)),
             policy_scenario(base, Policy(name="B", practice_share_pct=25))],
            n=200, years=1, seed=0))
        shown = driver.execute_script(_DEEP + """
            const out = {}; all('#cmp td', document, []).forEach(
                td => { out[td.id] = [td.dataset.value, td.textContent]; }); return out;""")
        for metric in expected.index:
            for name in ("A", "B"):
                value, _text = shown[f"cmp-{metric}-{name}"]
                assert value == str(expected.at[metric, name]), (metric, name, {
                    k: v for k, v in shown.items() if "simulations" in k or "years" in k})
        assert shown["cmp-commissioner_mean_kept_all_years_gbp-A"][1].startswith(("£", "−£"))

        bad = tmp_path / "bad_mapping.csv"
        bad.write_text("practice,foot\nM82041,N\n", encoding="utf-8")
        _wait(driver, "return all('input[type=file]', document, []).find("
                      "i => i.getRootNode().host.classList.contains('upload-mapping'));"
              ).send_keys(str(bad))
        message = _wait(driver, "const m = all('.pbc-message', document, []).find("
                                "m => m.textContent.includes('bad_mapping.csv')); "
                                "return m ? m.textContent : null;", timeout=20)
        assert "footprint" in message
        driver.execute_script(_DEEP + "deep('#cmp', document).scrollIntoView();")
        driver.save_screenshot(str(tmp_path / "app.png"))
        assert (tmp_path / "app.png").stat().st_size > 10_000

        problems = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not problems, problems
        external = [line for line in map(str, driver.get_log("performance"))
                    if "requestWillBeSent" in line and '"url": "http' in line
                    and f"127.0.0.1:{port}" not in line]
        assert not external, external[:3]
    finally:
        driver.quit()
        server.stop()


def test_an_uploaded_registered_patient_file_is_read_by_the_librarys_reader():
    from pbcmodel.app.own import upload_scenario
    path = PATIENTS_FILE
    pop = upload_population(path.name, path.read_bytes())
    expected = pbc.io.read_registered_patients(path)
    pd.testing.assert_frame_equal(pop.practices, expected.practices)
    pn = pytest.importorskip("panel")
    from pbcmodel.app.layout import WhatIf
    page = WhatIf(pn, SMALL_ICB)
    page.patients_file.filename = path.name
    page.patients_file.value = path.read_bytes()
    [alert] = page.upload_status.objects
    assert f"{expected.n_practices:,} practices" in alert.object
    assert 'id="uploaded-' in page.uploaded.object
    assert page.grouping.value == "patients"             # the page now shows its scenario
    assert page.base() == upload_scenario(expected)
    assert f'id="budgets-{expected.codes[0]}-budget"' in page.budgets.object
    page.group_name.value = "Mine"
    page.pick.value = list(expected.codes[:2])
    page._add_group()
    assert page.base().population.units("consortium")[expected.codes[0]] == "MINE"
    assert 'id="groups-MINE-budget"' in page.groups.object


def test_groups_by_hand_in_the_page():
    pn = pytest.importorskip("panel")
    from pbcmodel.app.layout import WhatIf
    page = WhatIf(pn, SMALL_ICB)
    codes = list(page.pick.options.values())[:3]
    page.group_name.value = "North <b>"
    page.pick.value = codes
    page._add_group()
    assert page.grouping.value == "uploaded"
    assert page.base().population.units("consortium")[codes[0]] == "NORTH <B>"
    assert "North &lt;b&gt;" in page.groups.object
    page.group_name.value = "Again"
    page.pick.value = [codes[0], "Z99999"]
    page._add_group()
    [alert] = page.editor_status.objects
    assert "Z99999" in alert.object and alert.alert_type == "danger"
