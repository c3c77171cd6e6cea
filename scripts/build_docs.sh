#!/usr/bin/env bash
# Build the HTML documentation with warnings as errors. Every user-guide page and every
# notebook in notebooks/ is executed by myst-nb during the build, so broken example code
# fails it. Output: docs/_build/html/index.html
#
# Usage: scripts/build_docs.sh            (uses $PYTHON, default: python on PATH)
#        PYTHON=/work/venv/bin/python scripts/build_docs.sh
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"

# Start clean: stale autosummary stubs would hide a renamed or removed public name.
rm -rf docs/_build docs/api/generated docs/jupyter_execute

# No network is needed (intersphinx is off). MPLBACKEND must stay unset: the Jupyter
# kernel then uses its inline backend, which is what puts the figures into the pages.
unset MPLBACKEND
"$PYTHON" -m sphinx -q -W --keep-going -b html docs docs/_build/html
echo "docs built: docs/_build/html/index.html"
