"""The notebooks read well in Jupyter itself, not only in the built documentation.

Jupyter renders a notebook's markdown as CommonMark: a MyST role such as
``{func}`pbcmodel.risk.pool``` is shown to the reader as literal braces and backticks, so the
notebooks name code in plain backticks instead (the docs build links the user guide's pages,
where roles work).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
ROLE = re.compile(r"\{[a-z:]+\}`[^`]*`")


def roles_in(notebook: dict) -> list[str]:
    """Every MyST role written in a notebook's markdown cells.

    >>> roles_in({"cells": [{"cell_type": "markdown", "source": ["see {func}`pool`", " and `x`"]},
    ...                     {"cell_type": "code", "source": ["'{func}`y`'"]}]})
    ['{func}`pool`']
    """
    return [found for cell in notebook["cells"] if cell["cell_type"] == "markdown"
            for found in ROLE.findall("".join(cell["source"]))]


def test_the_notebooks_are_found() -> None:
    assert len(NOTEBOOKS) >= 8, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_markdown_has_no_myst_roles(path: Path) -> None:
    found = roles_in(json.loads(path.read_text(encoding="utf-8")))
    assert not found, f"{path.name}: Jupyter shows these literally; use `name`: {found}"
