"""``pbcmodel.malloc``: work arrays reused during a simulation in a process told to trim
memory eagerly (dask's workers): counted by the page faults of allocating and freeing a
4 MiB array 50 times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pbcmodel
from pbcmodel.malloc import reuse_freed_memory

SOURCE = str(Path(pbcmodel.__file__).resolve().parents[1])
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="glibc's allocator settings")

_FAULTS = """
import json, resource
import numpy as np
from pbcmodel.malloc import reuse_freed_memory

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(50):
        work = np.ones(2**19)     # 4 MiB touched: a fresh mapping faults ~500 times or more
        del work
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

outside = faults()
with reuse_freed_memory():
    inside = faults()
    with reuse_freed_memory():                # nested: still raised
        nested = faults()
    still = faults()
after = faults()
print(json.dumps({"outside": outside, "inside": inside, "nested": nested, "still": still,
                  "after": after}))
"""


def _faults(**environment: str) -> dict[str, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env["PYTHONPATH"] = SOURCE         # the pbcmodel under test, not another installed one
    out = subprocess.run([sys.executable, "-c", _FAULTS], env={**env, **environment},
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


@linux_only
def test_freed_arrays_are_reused_while_a_task_runs_under_dasks_setting():
    # dask's workers start with MALLOC_TRIM_THRESHOLD_=65536: every 4 MiB array is mapped
    # afresh (measured: 50 × 514 page faults); inside the block it comes back from the heap
    faults = _faults(MALLOC_TRIM_THRESHOLD_="65536")
    assert faults["outside"] > 20_000
    assert faults["inside"] < faults["outside"] / 10
    assert faults["nested"] < faults["outside"] / 10 and faults["still"] < faults["outside"] / 10
    # and afterwards the worker's own setting is back: fresh mappings again
    assert faults["after"] > 20_000


@linux_only
def test_a_process_with_glibcs_adaptive_thresholds_is_left_alone():
    # without the environment variables glibc already reuses freed memory after the
    # first free; the block changes nothing, before or after
    faults = _faults()
    assert faults["outside"] < 5_000
    assert faults["after"] < 5_000


def test_the_block_runs_its_body_once_and_passes_errors_through():
    ran = []
    with pytest.raises(ZeroDivisionError), reuse_freed_memory():
        ran.append(1)
        1 / 0                                        # noqa: B018
    assert ran == [1]
