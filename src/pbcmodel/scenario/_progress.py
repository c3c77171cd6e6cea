"""Optional tqdm progress bars (private): a no-op when not shown, a clear error without tqdm."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import require


class _NoBar:
    def update(self, k: int) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


def progress_bar(show: bool, *, total: int, desc: str, unit: str) -> Any:
    """A tqdm bar when ``show``; otherwise an object whose update/close do nothing.

    Examples
    --------
    >>> bar = progress_bar(False, total=3, desc="x", unit="y")
    >>> bar.update(1); bar.close()
    """
    if not show:
        return _NoBar()
    tqdm = require("tqdm.auto", "progress", "progress bars").tqdm
    return tqdm(total=total, desc=desc, unit=unit)


def with_progress(items: Iterable[Any], show: bool, *, total: int, desc: str, unit: str
                  ) -> Iterable[Any]:
    """Yield ``items``, advancing a :func:`progress_bar` after each."""
    bar = progress_bar(show, total=total, desc=desc, unit=unit)
    try:
        for item in items:
            yield item
            bar.update(1)
    finally:
        bar.close()
