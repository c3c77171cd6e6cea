"""Matplotlib figures (optional extra ``pbcmodel[plot]``).

Each function takes the object to draw and an optional ``ax`` and returns the
matplotlib ``Axes``; computation lives in the topic modules, never here.
"""

from __future__ import annotations

__all__: list[str] = []
