"""Sphinx configuration for the pbcmodel documentation.

Build with ``scripts/build_docs.sh`` (or ``make -C docs html``). Every page with code —
the user guide (MyST-NB markdown) and the notebooks in ``../notebooks`` — is executed
during the build, so a page whose code breaks fails the build (``-W``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "src"))

import pbcmodel  # noqa: E402  (after the path is set, so the docs build from this checkout)

# -- notebooks ---------------------------------------------------------------------------
# Sphinx reads only files under its source directory, so the notebooks (which live in
# ../notebooks, where nbmake runs them in CI) are copied into docs/notebooks/ (git-ignored)
# at every build; stale copies of removed notebooks are dropped first.
NOTEBOOKS_SRC = ROOT / "notebooks"
NOTEBOOKS_DST = DOCS / "notebooks"
shutil.rmtree(NOTEBOOKS_DST, ignore_errors=True)
NOTEBOOKS_DST.mkdir()
for notebook in sorted(NOTEBOOKS_SRC.glob("*.ipynb")):
    shutil.copy2(notebook, NOTEBOOKS_DST / notebook.name)

# -- project -----------------------------------------------------------------------------
project = "pbcmodel"
author = "pbcmodel developers"
copyright = "2026, pbcmodel developers"
release = pbcmodel.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

# -- API reference: autosummary + numpydoc -----------------------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False  # a module's public names are its __all__
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = False

# -- MyST-NB: execute every page and notebook --------------------------------------------
nb_execution_mode = "force"
nb_execution_timeout = 300
# A failing cell is reported as a warning (so -W fails the build) rather than an exception,
# so that --keep-going lists every failing page in one run.
nb_execution_raise_on_error = False
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# -- user guide order ----------------------------------------------------------------------
# The user guide's toctree is a ``*`` glob, so a new page is picked up without editing the
# index; the glob would sort pages alphabetically, so it is rewritten here to list the pages
# that exist in the order of a year's story, any others after them.
USER_GUIDE_ORDER = (
    "budgets", "risk", "realistic_risk", "neighbourhoods", "app_tour", "who_gets_what", "simulating",
    "monitoring",
    "business_cases", "scaling_out", "scenario_files",
)
_USER_GUIDE_GLOB = ":glob:\n\n*\n"


def user_guide_pages(docnames: set[str]) -> list[str]:
    """The user-guide pages among Sphinx's ``docnames``, in reading order."""
    pages = sorted(
        name.removeprefix("user_guide/") for name in docnames
        if name.startswith("user_guide/") and name != "user_guide/index"
    )
    known = [p for p in USER_GUIDE_ORDER if p in pages]
    return known + [p for p in pages if p not in USER_GUIDE_ORDER]


def _order_user_guide(app, docname: str, source: list[str]) -> None:
    if docname != "user_guide/index":
        return
    if _USER_GUIDE_GLOB not in source[0]:
        raise RuntimeError("docs/user_guide/index.md: expected a toctree with ':glob:' and '*'")
    listed = "".join(f"{page}\n" for page in user_guide_pages(app.env.found_docs))
    source[0] = source[0].replace(_USER_GUIDE_GLOB, "\n" + listed)


def _reread_user_guide_index(app, env, added, changed, removed) -> list[str]:
    # In an incremental build the index must be re-read whenever pages come or go.
    return ["user_guide/index"] if added or removed else []


def setup(app):
    app.connect("source-read", _order_user_guide)
    app.connect("env-get-outdated", _reread_user_guide_index)


# -- HTML --------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"pbcmodel {release}"
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False
# A wider content column, and wide tables and code that scroll instead of being cut.
html_static_path = ["_static"]
html_css_files = ["pbcmodel.css"]
