"""The interactive what-if (``pbcmodel app``, ``pbc.app.build_app()`` in Jupyter).

Choose an ICB of real England, group its practices, read budgets, need indices and each
practice's explanation, set two or three policies in a finance reader's units, compare
them on common random numbers, download the scenario file, tables, workbook and board
report, and upload your own mapping. The page holds no money logic: every figure comes from
the library (:mod:`pbcmodel.app.state`).

Why Panel (optional extra ``pbcmodel[app]``, ``panel>=1.5``): one library serves the page
(``pbcmodel app``) and shows the same page inside a Jupyter notebook, where analysts already
work with pbcmodel. NHS England's place-based allocation tool uses Streamlit, which runs
only as a served script and cannot be shown inside a notebook. Panel also serves its
scripts and styles from the local server, so the page works without internet access.

* :mod:`~pbcmodel.app.state`: the state as plain data and pure functions over the public API
  (no Panel);
* :mod:`~pbcmodel.app.own`: an uploaded registered-patient file as a scenario
  (:func:`upload_scenario`) and groups of practices picked by hand (:func:`hand_footprints`);
* :mod:`~pbcmodel.app.page_tables`: the page's tables as escaped HTML with stable cell ids
  (no Panel);
* :mod:`~pbcmodel.app.layout`: :func:`build_app`, the Panel page;
* :mod:`~pbcmodel.app.serve`: :func:`serve`, on 127.0.0.1 unless another address is given.

Examples
--------
>>> from pbcmodel.app import Policy, base_scenario, policy_scenario
>>> policy_scenario(base_scenario("QOC"), Policy(practice_share_pct=30)).overspend.practice_share
0.3
"""

from __future__ import annotations

from .layout import build_app, show
from .own import hand_footprints, upload_scenario
from .serve import serve
from .state import (
    Comparison,
    Policy,
    base_scenario,
    budgets_table,
    explanation_text,
    group_table,
    icb_choices,
    policy_scenario,
    run_comparison,
)

__all__ = ["Comparison", "Policy", "base_scenario", "budgets_table", "build_app",
           "explanation_text", "group_table", "hand_footprints", "icb_choices",
           "policy_scenario", "run_comparison", "serve", "show", "upload_scenario"]
