"""Compact HTML summaries for Jupyter ``_repr_html_``, the small table every result shows."""

from __future__ import annotations

import html

import pandas as pd


def summary_html(title: str, table: pd.DataFrame | None = None, notes: list[str] | None = None,
                 *, float_format: str = "{:,.2f}", max_rows: int | None = 20) -> str:
    """Render a title, an optional table and optional bullet notes as one HTML block.

    Every name and value is escaped. ``max_rows=None`` shows the table whole (a table
    already cut to what should be shown, as :mod:`pbcmodel.labelled` does); an empty
    ``title`` is left out.

    Examples
    --------
    >>> import pandas as pd
    >>> "<b>T</b>" in summary_html("T", pd.DataFrame({"a": [1.0]}))
    True
    >>> "&lt;b&gt;" in summary_html("", pd.DataFrame({"<b>": ["x"]}), max_rows=None)
    True
    """
    parts = ["<div class='pbcmodel'>"]
    if title:
        parts.append(f"<p><b>{html.escape(title)}</b></p>")
    if notes:
        parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    if table is not None:
        styled = table.to_html(float_format=float_format.format, border=0, max_rows=max_rows)
        parts.append(styled)
    parts.append("</div>")
    return "".join(parts)
