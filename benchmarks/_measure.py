"""Timing and peak-memory helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def measure(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """Best wall time (s) over ``repeat`` runs, peak traced memory (MB) of one run, result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, result


def report(label: str, seconds: float, peak_mb: float, extra: str = "") -> None:
    """Print one benchmark line."""
    print(f"{label:<52} {seconds * 1000:10.1f} ms  peak {peak_mb:8.1f} MB  {extra}")


def in_fresh_process(module: str, function: str, **kwargs: Any) -> Any:
    """``module.function(**kwargs)`` in a fresh interpreter (its own peak resident memory),
    run from the repository root; the function returns JSON-able data."""
    code = ("import json, sys; sys.path.insert(0, 'benchmarks'); "
            f"from {module} import {function}; "
            f"print(json.dumps({function}(**{kwargs!r})))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
