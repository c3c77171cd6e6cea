"""The fused draw (numba) against the numpy draw, at national scale, and its compile cost.

Run: ``python benchmarks/bench_kernel.py`` (``--quick`` for a small smoke run; from a
checkout, ``PYTHONPATH=src`` so that the checkout's pbcmodel is measured). Needs numba
(``pbcmodel[fast]``).

1. The national run of ``bench_simulation.py`` (``synthetic_commissioner(8000)``, £50,000
   high-cost threshold, common shock, 70/30 freed-up resources, an overspend policy with
   netting and recovery) × 10,000 simulations × 3 years, streamed, with practice effects off
   and on (``PracticeEffects.dixon_2011()``), each with the numpy and the numba kernel, each
   in a fresh process: wall time, peak RSS, the ratio to the floor (numpy drawing as many
   normal variates, measured in the same run), and the CPU time of the draw stage
   (``SpendSampler.pence_years``, summed over threads). The results of the two kernels are
   checked to be identical (summary figures, exactly).
2. The compile cost: in a fresh process, the first simulation of the example commissioner
   with practice effects under the numba kernels with an empty numba cache (compilation
   included), the first with the cache filled by the previous process (loading it), and a
   warm one, against the same simulation by numpy.

The load average is printed before and after: the machine may be shared, and wall times
are only comparable within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from _measure import in_fresh_process
from bench_simulation import floor_seconds, national_scenario, peak_rss_mb

import pbcmodel as pbc

KERNELS = ("numpy", "numba")


def scenario(effects: str, practices: int) -> pbc.Scenario:
    scn = national_scenario(practices)
    if effects == "on":
        scn = scn.evolve(practice_effects=pbc.risk.PracticeEffects.dixon_2011())
    return scn


def run_kernel(kernel: str, effects: str, n: int, practices: int, years: int) -> dict[str, Any]:
    """One national simulation with ``kernel`` in this (fresh) process: wall time, peak RSS,
    CPU time of the draw stage, and figures to compare between kernels."""
    from pbcmodel.risk import kernel as kernels
    from pbcmodel.risk.draws import SpendSampler

    drawing = [0.0]
    lock = threading.Lock()
    original = SpendSampler.pence_years

    def timed(self: SpendSampler, *args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            with lock:
                drawing[0] += time.thread_time() - start

    SpendSampler.pence_years = timed  # type: ignore[method-assign]
    scn = scenario(effects, practices)
    with kernels.use_kernel(kernel):
        if kernel == "numba":          # the compiled loop loaded before the clock starts
            scn.simulate(n=8, years=1, seed=0)
        drawing[0] = 0.0
        start = time.perf_counter()
        result = scn.simulate(n=n, years=years, seed=0)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "draw_cpu": drawing[0],
            "summary": [float(x) for x in result.summary().to_numpy()],
            "pbcmodel": os.path.dirname(pbc.__file__)}


def first_calls() -> dict[str, float]:
    """In this (fresh) process: the first simulation with the numba kernels (import, compile
    or cache load included), a warm one, and numpy's."""
    scn = pbc.Scenario.example(practice_effects=pbc.risk.PracticeEffects.dixon_2011(),
                               high_cost_threshold=50_000, common_shock_cv=0.02)
    from pbcmodel.risk import kernel

    def run(name: str) -> float:
        with kernel.use_kernel(name):
            start = time.perf_counter()
            scn.simulate(n=2048, years=3, seed=0)
            return time.perf_counter() - start

    first = run("numba")
    return {"first": first, "warm": min(run("numba") for _ in range(3)),
            "numpy": min(run("numpy") for _ in range(3))}


def compile_cost() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        code = ("import json, sys; sys.path.insert(0, 'benchmarks'); "
                "from bench_kernel import first_calls; print(json.dumps(first_calls()))")
        runs = []
        for _ in range(2):     # an empty cache (compiles), then the cache it filled (loads)
            out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                 text=True, env=env)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    cold, cached = runs
    print("compile cost: Scenario.example() with practice effects, 2,048 simulations × 3 years")
    print(f"  first simulate() in a fresh process, empty numba cache (compiles) "
          f"{cold['first']:6.2f} s")
    print(f"  first simulate() in a fresh process, cache filled (loads)         "
          f"{cached['first']:6.2f} s")
    print(f"  warm simulate() {cached['warm'] * 1000:7.1f} ms   the same by numpy "
          f"{cached['numpy'] * 1000:7.1f} ms")


def national(n: int, practices: int, years: int) -> None:
    cells = n * practices * years
    floor = floor_seconds(n, practices, years, "normal")
    print(f"national: {practices:,} practices × {n:,} simulations × {years} years "
          f"({cells:,} practice-years), streamed; numpy floor {floor:.1f} s (normal variates)")
    for effects in ("off", "on"):
        runs = {k: in_fresh_process("bench_kernel", "run_kernel", kernel=k, effects=effects,
                                    n=n, practices=practices, years=years) for k in KERNELS}
        for k, r in runs.items():
            print(f"  effects {effects:3}  {k:5}  {r['seconds']:6.1f} s  peak RSS "
                  f"{r['peak_mb']:6.0f} MB  {r['seconds'] / floor:4.1f}× floor  draw stage "
                  f"{r['draw_cpu']:5.1f} s CPU ({r['draw_cpu'] / cells * 1e9:4.1f} ns per "
                  f"practice-year)")
        fused, reference = runs["numba"], runs["numpy"]
        same = fused["summary"] == reference["summary"]
        print(f"  effects {effects:3}  numba ÷ numpy {fused['seconds'] / reference['seconds']:.2f} "
              f"(draw stage {fused['draw_cpu'] / reference['draw_cpu']:.2f}); "
              f"summaries {'identical' if same else 'DIFFERENT'}")
    print(f"  pbcmodel measured: {runs['numba']['pbcmodel']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args(argv)
    n, practices, years = (500, 500, 3) if args.quick else (10_000, 8_000, 3)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    compile_cost()
    if not args.skip_national:
        national(n, practices, years)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
