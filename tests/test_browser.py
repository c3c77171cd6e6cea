"""A practice's statement in a real browser: headless Chromium from the system packages.

The page loads with no console errors, prints on A4 to the number of pages its print style
sheet lays out (a settled year: 1 the year and the budget, 2 the settlement, 3 what next and
the definitions; a month: 1 the month, 2 by POD and the budget, 3 the projected settlement,
4 the definitions), and a screenshot is written as an artifact under pytest's ``tmp_path``.
Skipped, saying why, when ``/usr/bin/chromium`` is absent (``.ci/run`` installs it).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel.phasing import flat_profile, phase
from pbcmodel.reports import monthly_pages, settlement_pages

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium is not installed at /usr/bin/chromium "
           "(apt-get install chromium; .ci/run installs it)")
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--hide-scrollbars", "--no-first-run", "--no-pdf-header-footer"]


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHROMIUM), *_FLAGS, *args], capture_output=True, text=True,
                          timeout=120, check=False)


def _console_messages(page: Path) -> tuple[str, list[str]]:
    run = _chromium("--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri())
    return run.stdout, [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


def _pdf_pages(pdf: Path) -> int:
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    try:
        from pypdf import PdfReader
    except ImportError:      # count the page objects (not the /Pages tree)
        return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    return len(PdfReader(pdf).pages)


@pytest.fixture(scope="module")
def scn():
    return pbc.Scenario.example()


@pytest.fixture(scope="module")
def pages(scn, tmp_path_factory):
    folder = tmp_path_factory.mktemp("statements")
    budgets = scn.budgets()["total"]
    outturn = budgets * np.random.default_rng(1).normal(1.0, 0.05, len(budgets))
    year = settlement_pages(scn, scn.settle(outturn), practices=["P001"],
                            names={"P001": "<script>alert(1)</script> Surgery"})
    phased = phase(scn.budgets(), flat_profile())
    rng = np.random.default_rng(2)
    actual = pd.DataFrame([(p, pod, m, r[m] * rng.normal(1.02, 0.1))
                           for (p, pod), r in phased.iterrows() for m in range(1, 7)],
                          columns=["practice", "pod", "month", "cost"])
    month = monthly_pages(scn, actual, 6, practices=["P001"])
    for name, text in year.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "month").mkdir()
    for name, text in month.items():
        (folder / "month" / name).write_text(text, encoding="utf-8")
    return folder


def test_the_console_check_sees_an_error(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>noSuchFunction();</script></body></html>")
    _, messages = _console_messages(bad)
    assert any("noSuchFunction" in m for m in messages)


@pytest.mark.parametrize("name", ["practice_P001.html", "consortium_C1.html",
                                  "month/practice_P001.html"])
def test_pages_load_without_console_errors(pages, name):
    dom, messages = _console_messages(pages / name)
    assert messages == []
    assert "<h1>" in dom and "</footer>" in dom
    assert "alert(1)" not in dom or "&lt;script&gt;" in dom     # the name is text


@pytest.mark.parametrize(("name", "expected"), [("practice_P001.html", 3),
                                                ("month/practice_P001.html", 4)])
def test_statement_prints_on_a4(pages, tmp_path, name, expected):
    pdf = tmp_path / "statement.pdf"
    run = _chromium(f"--print-to-pdf={pdf}", (pages / name).as_uri())
    assert pdf.exists(), run.stderr[-2000:]
    assert _pdf_pages(pdf) == expected
    # A4 is 210 × 297 mm: 595.3 × 841.9 points (Chromium writes 594.96 × 841.92)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf.read_bytes())
    assert boxes and all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1
                         for w, h in boxes)


def test_screenshot_is_written_as_an_artifact(pages, tmp_path):
    shot = tmp_path / "practice_P001.png"
    _chromium(f"--screenshot={shot}", "--window-size=1200,1600",
              (pages / "practice_P001.html").as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000   # a page, not a blank
