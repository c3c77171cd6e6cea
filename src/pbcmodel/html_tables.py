"""Compact HTML summaries for Jupyter ``_repr_html_``, the small table every result shows."""

from __future__ import annotations

import html

import pandas as pd


def summary_html(title: str, table: pd.DataFrame | None = None, notes: list[str] | None = None,
                 *, float_format: str = "{:,.2f}") -> str:
    """Render a title, an optional table and optional bullet notes as one HTML block.

    Examples
    --------
    >>> import pandas as pd
    >>> "<b>T</b>" in summary_html("T", pd.DataFrame({"a": [1.0]}))
    True
    """
    parts = [f"<div class='pbcmodel'><p><b>{html.escape(title)}</b></p>"]
    if notes:
        parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    if table is not None:
        styled = table.to_html(float_format=float_format.format, border=0, max_rows=20)
        parts.append(styled)
    parts.append("</div>")
    return "".join(parts)
