"""The board report (:mod:`pbcmodel.reports.board_report`): its numbers, its bridge to the
penny, escaping, the page in headless Chromium (no console errors, A4 PDF with page numbers,
a screenshot under ``tmp_path``), and ``pbcmodel run --report``."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

import pbcmodel as pbc
from pbcmodel.cli import main
from pbcmodel.errors import MissingDependencyError, ValidationError
from pbcmodel.plot.board_report import money_text
from pbcmodel.reports import board_pdf, board_report, bridge
from pbcmodel.scenario.simulation import run

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium is not installed at /usr/bin/chromium "
           "(apt-get install chromium; .ci/run installs it)")
EXAMPLES = Path(__file__).parents[1] / "examples"
NASTY = "<script>alert(1)</script> & Co"


class _Tables(HTMLParser):
    """Every table of a page: caption and rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_caption:
            self.tables[-1]["caption"] += data


def tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return {t["caption"].split(":")[0].split(" (")[0]: t["rows"] for t in parser.tables}


def pence(text: str) -> int:
    """'−£1,234.56' → -123456."""
    sign = -1 if text.startswith("−") else 1
    return sign * int(text.lstrip("−£").replace(",", "").replace(".", ""))


@pytest.fixture(scope="module")
def result():
    return pbc.Scenario.example(name=NASTY).simulate(n=400, years=2, seed=3)


@pytest.fixture(scope="module")
def page(result, tmp_path_factory):
    return board_report(result, tmp_path_factory.mktemp("board") / "board.html")


# ----------------------------------------------------------------------------- numbers
def test_headline_figures_are_the_results_metrics(result, page):
    rows = {r[0]: r[1] for r in tables(page.read_text(encoding="utf-8"))["Headline figures"]}
    s = result.summary()
    assert rows["Total budget of the practices, year 1"] == money_text(s["total_budget_year1"])
    assert rows["Freed-up resources practices keep, expected a year"] == money_text(
        s["expected_freed_up"])
    kept = s["commissioner_mean_kept_all_years"]
    label = next(k for k in rows if k.startswith("Commissioner keeps of the variance"))
    assert rows[label] == f"{money_text(kept)} ({'it keeps' if kept > 0 else 'it pays'})"
    bad = next(k for k in rows if k.startswith("The same in a bad run"))
    assert rows[bad].startswith(money_text(-s["commissioner_var95_all_years"]))
    chance = rows["Chance a practice bears over 2% of its budget, a year"]
    assert chance == f"{100 * s['practices_prob_loss_over_2pct']:.1f}%"


def test_the_page_bridge_is_the_bridge_and_adds_up_to_the_penny(result, page):
    rows = tables(page.read_text(encoding="utf-8"))["The bridge"][1:]
    shown = [pence(r[1]) for r in rows]
    b = bridge(result)
    assert shown == b["pence"].tolist()
    steps = b[b["kind"].isin(["start", "step"])]["pence"]
    assert int(steps.sum()) == int(b.loc["net_position", "pence"])
    upto = b.loc[["variance", "kept_by_practices", "borne_by_practices"], "pence"]
    assert int(upto.sum()) == int(b.loc["commissioner_keeps", "pence"])
    assert all(r[2] for r in rows)                    # every step says where it comes from


def test_the_bridge_against_the_simulated_money():
    res = pbc.Scenario.example().simulate(n=300, years=2, seed=5, keep="full")
    b = bridge(res)
    runs = res.n * res.years
    variance = (res.tally.budget_pence.T[None] - res.outturn_pence).sum() / runs
    assert abs(b.loc["variance", "pence"] - variance) <= 0.5
    kept = res.summary()["commissioner_mean_kept_all_years"] / res.years * 100
    assert abs(b.loc["commissioner_keeps", "pence"] - kept) <= 0.5 + 1e-6
    amount = res.summary()["expected_practice_amount"] * 100
    assert abs(b.loc[["kept_by_practices", "borne_by_practices"], "pence"].sum()
               + amount) <= 1
    assert b.loc["incentives", "pence"] == 0          # the example pays no incentives


def test_incentives_are_what_the_practices_earn():
    scn = pbc.Scenario.example(incentives=pbc.Incentives(per_head=1.90))
    b = bridge(scn.simulate(n=200, years=2, seed=1))
    earned = 190 * scn.population.list_size.sum()
    assert abs(-b.loc["incentives", "pence"] - earned) <= scn.population.n_practices


def test_no_pool_row_without_a_threshold():
    res = pbc.Scenario.example(high_cost_threshold=None).simulate(n=100, seed=1)
    assert "high_cost_pool" not in bridge(res).index


def test_no_scientific_notation_and_names_escaped(page):
    text = page.read_text(encoding="utf-8")
    assert "e+" not in text and "nan" not in text.lower().replace("financ", "")
    assert "<script" not in text                       # no scripts at all, names escaped
    assert html.escape(NASTY) in text
    assert "+ it keeps, − it pays" in text            # the sign, written in the page
    assert "pbcmodel " + pbc.__version__ in text


def test_a_comparison_and_a_design(tmp_path):
    base = pbc.Scenario.example(high_cost_threshold=None)
    results = run([base, base.evolve(name="strict", **{"overspend.practice_share": 1.0})],
                  n=200, years=1, seed=1)
    text = board_report(results, tmp_path / "c.html").read_text(encoding="utf-8")
    head = tables(text)["Headline figures"]
    assert head[0][1:3] == ["example", "strict"]
    assert "policies side by side" in text
    from pbcmodel.design import optimise
    design = optimise(base, {"overspend.practice_share": (0.0, 1.0, 0.5)}, years=1, n=100,
                      method="normal", max_evaluations=8, replicates=2,
                      constraints={"max_band_prob_loss_over_5pct": {"max": 0.5}})
    text = board_report(design, tmp_path / "d.html").read_text(encoding="utf-8")
    aims = tables(text)["Aims, on fresh draws"]
    assert aims[1][1] == "minimise" and aims[2][1] == "at most 50.0%"
    assert "e+" not in text and ">nan<" not in text


def test_englands_data_carries_its_licence(tmp_path):
    from pbcmodel.scenario.england import england_scenario

    res = england_scenario("QWO").simulate(n=50, seed=1)
    text = board_report(res, tmp_path / "e.html").read_text(encoding="utf-8")
    assert html.escape(pbc.datasets.ATTRIBUTION) in text


def test_refuses_what_it_cannot_report(tmp_path):
    with pytest.raises(ValidationError, match="expected a SimulationResult, a list"):
        board_report(pbc.Scenario.example(), tmp_path / "x.html")
    with pytest.raises(ValidationError, match="expected a SimulationResult, a list"):
        board_report([], tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_pdf_without_chromium_says_how_to_install(tmp_path):
    with pytest.raises(MissingDependencyError, match="apt-get install chromium"):
        board_pdf(tmp_path / "a.html", tmp_path / "a.pdf", chromium=tmp_path / "none")


# ----------------------------------------------------------------------------- Chromium
def _chromium(*args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--hide-scrollbars", "--no-first-run"]
    return subprocess.run([str(CHROMIUM), *flags, *args], capture_output=True, text=True,
                          timeout=120, check=False)


def pdf_pages_text(data: bytes) -> tuple[int, list[str]]:
    """The number of pages of a Chromium PDF and the text of its content streams (glyphs
    read back through the fonts' ToUnicode maps; a stream is tried with each map)."""
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    streams = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            streams.append(zlib.decompress(raw))
        except zlib.error:
            continue
    maps = []
    for s in (s for s in streams if b"begincmap" in s):
        table: dict[int, str] = {}
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", s, re.S):
            for a, b in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                table[int(a, 16)] = bytes.fromhex(b.decode()).decode("utf-16-be")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", s, re.S):
            for a, b, c in re.findall(
                    rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                for i, glyph in enumerate(range(int(a, 16), int(b, 16) + 1)):
                    table[glyph] = chr(int(c, 16) + i)
        maps.append(table)
    texts = []
    for s in (s for s in streams if b"Tj" in s):
        glyphs = [int(h[i:i + 4], 16) for h in re.findall(rb"<([0-9A-Fa-f]+)>\s*Tj", s)
                  for i in range(0, len(h), 4)]
        texts += ["".join(m.get(g, "?") for g in glyphs) for m in maps]
    return pages, texts


@needs_chromium
def test_the_page_in_chromium(page, tmp_path):
    run_ = _chromium("--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri())
    assert "Commissioner" in run_.stdout
    assert [line for line in run_.stderr.splitlines() if ":CONSOLE" in line] == []
    shot = tmp_path / "board.png"
    _chromium("--window-size=900,3200", f"--screenshot={shot}", page.as_uri())
    assert shot.stat().st_size > 10_000              # an artifact to look at
    pdf = board_pdf(page, tmp_path / "board.pdf")
    pages, texts = pdf_pages_text(pdf.read_bytes())
    assert 2 <= pages <= 5
    numbers = {m for t in texts for m in re.findall(r"Page (\d+) of (\d+)", t)}
    assert numbers == {(str(i), str(pages)) for i in range(1, pages + 1)}


# ----------------------------------------------------------------------------- the CLI
@needs_chromium
def test_run_writes_the_board_report(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(EXAMPLES / "pbc_70_30.toml"), "--out", str(out), "--n", "100",
                 "--years", "1", "--report", "pdf"])
    assert code == 0
    assert (out / "board_report.html").is_file()
    assert (out / "board_report.pdf").read_bytes().startswith(b"%PDF")
    assert "board_report.pdf" in capsys.readouterr().out


def test_run_report_html_and_bad_values(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES / "pbc_70_30.toml"), "--out", str(out), "--n", "100",
                 "--years", "1", "--report"]) == 0
    assert (out / "board_report.html").is_file() and not (out / "board_report.pdf").exists()
    capsys.readouterr()
    bad = tmp_path / "bad"
    assert main(["run", str(EXAMPLES / "pbc_70_30.toml"), "--out", str(bad), "--n", "100",
                 "--report", "word"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["pbcmodel: error: --report: must be one of ['html', 'pdf'], got 'word'"]
    assert not bad.exists()


def test_run_report_pdf_refused_before_work_without_chromium(tmp_path, capsys, monkeypatch):
    module = sys.modules["pbcmodel.reports.board_report"]
    monkeypatch.setattr(module, "CHROMIUM", tmp_path / "no-chromium")
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES / "pbc_70_30.toml"), "--out", str(out), "--n", "100",
                 "--report", "pdf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "apt-get install chromium" in err[0]
    assert not out.exists()
