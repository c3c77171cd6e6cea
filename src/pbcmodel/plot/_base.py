"""Shared plumbing for the optional matplotlib figures (private)."""

from __future__ import annotations

from typing import Any

from ..errors import require


def require_matplotlib() -> Any:
    """Return ``matplotlib.pyplot`` or raise ``MissingDependencyError`` naming the extra."""
    return require("matplotlib.pyplot", "plot", "figures")


def new_axes(ax: Any = None, **subplot_kw: Any) -> tuple[Any, Any]:
    """Return ``(fig, ax)``: the given axes' figure, or a new figure and axes."""
    plt = require_matplotlib()
    if ax is None:
        fig, ax = plt.subplots(**subplot_kw)
        return fig, ax
    return ax.figure, ax
