"""The fused draw (pbcmodel.risk.kernel): numba and numpy give the same pence, bit for bit.

The numba leg of each comparison is skipped, with the reason, where numba (the optional
extra ``pbcmodel[fast]``) is not installed; the choice of kernel is tested either way.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.errors import MissingDependencyError, ValidationError
from pbcmodel.risk import kernel, patients
from pbcmodel.risk.draws import spend_sampler
from pbcmodel.risk.effects import PracticeEffects
from pbcmodel.risk.laws import GUIDE_CELLS, LatticeInverse
from pbcmodel.scenario.loop import run_threads
from pbcmodel.scenario.options import SimulationOptions
from pbcmodel.scenario.plan import build_plan

DIXON = PracticeEffects.dixon_2011()


@pytest.fixture(scope="module")
def numba_installed() -> None:
    pytest.importorskip("numba", reason="numba (pbcmodel[fast]) is not installed: the "
                                        "numba kernel cannot be compared with numpy")


def both(draw):  # type: ignore[no-untyped-def]
    """``draw()`` under the numpy kernel and under the numba kernel."""
    with kernel.use_kernel("numpy"):
        reference = draw()
    with kernel.use_kernel("numba"):
        fused = draw()
    return reference, fused


def assert_same_pence(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype == np.int64 and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


# ------------------------------------------------------------------------- the choice

def test_use_kernel_numpy_and_nesting():
    with kernel.use_kernel("numpy") as outer:
        assert outer == kernel.active_kernel() == "numpy"
        with kernel.use_kernel("auto") as inner:
            assert inner == ("numba" if kernel.kernel_available() else "numpy")
            assert kernel.active_kernel() == inner
        assert kernel.active_kernel() == "numpy"


@pytest.mark.parametrize("name", ["fortran", "", None, "NUMBA"])
def test_an_unknown_kernel_is_refused(name):
    with pytest.raises(ValidationError, match="kernel: expected one of auto, numba, numpy"):
        with kernel.use_kernel(name):
            pass


def test_numba_without_numba_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)        # import numba fails
    with pytest.raises(MissingDependencyError, match=r"pip install 'pbcmodel\[fast\]'"):
        with kernel.use_kernel("numba"):
            pass


def test_auto_without_numba_is_numpy(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)
    kernel.kernel_available.cache_clear()
    try:
        with kernel.use_kernel("auto") as chosen:
            assert chosen == "numpy" and not kernel.kernel_available()
    finally:
        kernel.kernel_available.cache_clear()


def reread_environment() -> None:
    """Forget what PBCMODEL_KERNEL said (it is read once a process)."""
    kernel._requested.cache_clear()
    kernel._from_environment.cache_clear()


@pytest.mark.parametrize(("value", "expected"), [("numpy", "numpy"), (" NumPy ", "numpy"),
                                                  ("", "auto"), ("auto", "auto")])
def test_the_environment_variable_is_read_once(monkeypatch, value, expected):
    auto = "numba" if kernel.kernel_available() else "numpy"
    monkeypatch.setenv(kernel.ENVIRONMENT, value)
    reread_environment()
    try:
        assert kernel.active_kernel() == (auto if expected == "auto" else expected)
        monkeypatch.setenv(kernel.ENVIRONMENT, "something else")    # read once: no effect
        assert kernel.active_kernel() == (auto if expected == "auto" else expected)
    finally:
        reread_environment()


@pytest.mark.parametrize("value", ["", "auto"])
def test_auto_uses_numba_for_large_simulations_only(monkeypatch, value):
    # a small simulation is as fast with numpy and would wait for a first compilation
    monkeypatch.setenv(kernel.ENVIRONMENT, value)
    reread_environment()
    try:
        large = "numba" if kernel.kernel_available() else "numpy"
        assert kernel.kernel_for(kernel.AUTO_NUMBA_FROM - 1) == "numpy"
        assert kernel.kernel_for(kernel.AUTO_NUMBA_FROM) == large
        with kernel.use_kernel("numpy"):                  # the user's choice wins
            assert kernel.kernel_for(10**12) == "numpy"
    finally:
        reread_environment()


def test_a_kernel_named_in_the_environment_is_used_at_any_size(monkeypatch):
    monkeypatch.setenv(kernel.ENVIRONMENT, "numpy")
    reread_environment()
    try:
        assert kernel.kernel_for(10**12) == kernel.kernel_for(1) == "numpy"
    finally:
        reread_environment()


@pytest.fixture
def kernels_used(monkeypatch):  # type: ignore[no-untyped-def]
    """The kernels the draws ask for, recorded, under PBCMODEL_KERNEL=auto."""
    seen: list[str] = []
    original = kernel.active_kernel

    def spy() -> str:
        seen.append(original())
        return seen[-1]

    monkeypatch.setattr(kernel, "active_kernel", spy)
    monkeypatch.setenv(kernel.ENVIRONMENT, "auto")
    reread_environment()
    yield seen
    reread_environment()


def test_a_small_simulation_under_auto_runs_numpy(kernels_used):
    pbc.Scenario.example(practice_effects=DIXON).simulate(n=100, years=2, seed=1)
    assert set(kernels_used) == {"numpy"}  # 60 practices × 100 × 2 is far below the mark


def test_every_policy_settled_on_the_draws_counts(numba_installed, kernels_used, monkeypatch):
    # 60 practices × 100 simulations × 2 years = 12,000 practice-years a policy: with the
    # mark at 20,000, one policy runs numpy and two (compared on the same draws) run numba
    monkeypatch.setattr(kernel, "AUTO_NUMBA_FROM", 20_000)
    scn = pbc.Scenario.example()
    scn.simulate(n=100, years=2, seed=1)
    alone = set(kernels_used)
    kernels_used.clear()
    pbc.compare([scn, scn.evolve(overspend=pbc.OverspendPolicy(practice_share=0.3),
                                 name="shared")], n=100, years=2, seed=1)
    assert alone == {"numpy"} and set(kernels_used) == {"numba"}


def test_a_bad_environment_variable_names_it(monkeypatch):
    monkeypatch.setenv(kernel.ENVIRONMENT, "gpu")
    reread_environment()
    try:
        with pytest.raises(ValidationError, match="PBCMODEL_KERNEL: expected one of"):
            kernel.active_kernel()
    finally:
        reread_environment()


# ------------------------------------------------------------- random lattice laws and bits

@st.composite
def lattice_laws(draw):  # type: ignore[no-untyped-def]
    """Lattice inverses with zero masses, cdfs short of 1, and (with many points) guide
    cells holding many steps."""
    units = draw(st.integers(1, 70))
    points = draw(st.sampled_from([1, 2, 3, 17, 300, GUIDE_CELLS + 5, 3 * GUIDE_CELLS]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    pmf = rng.random((units, points)) * (rng.random((units, points)) < 0.7)
    pmf /= np.maximum(pmf.sum(axis=1, keepdims=True), 1e-300)
    short = rng.random(units) < 0.3                       # some cdfs never reach 1
    pmf[short] *= 0.9
    cdf = np.minimum(np.cumsum(pmf, axis=1), 1.0)
    start = rng.integers(-5, 1000, units)
    h = rng.choice([1.0, 0.37, 12.5, 1e-3], units) * rng.random(units).round(3) + 0.01
    return LatticeInverse.of(cdf, start, h, np.zeros(units), np.ones(units))


def edge_bits(law: LatticeInverse, rng: np.random.Generator, k: int) -> np.ndarray:
    """Random 64-bit outputs, with some exactly at the cdf's jumps and at 0 and 2⁶⁴ − 1."""
    units = len(law.cdf)
    raw = rng.integers(0, 2**64, (k, units), dtype=np.uint64, endpoint=False)
    col = rng.integers(0, units, k)
    at = law.cdf[col, rng.integers(0, law.cdf.shape[1], k)]
    raw[np.arange(k), col] = (np.minimum(at, 1 - 2.0**-53) * 2.0**53).astype(np.uint64) \
        << np.uint64(11)
    raw[0, :] = 0
    raw[-1, :] = np.uint64(2**64 - 1)
    return raw


def factor_of(kind: str, rng: np.random.Generator, k: int, units: int) -> np.ndarray | None:
    if kind == "none":
        return None
    width = 1 if kind == "per simulation" else units
    return np.exp(rng.normal(0.0, 0.1, (k, width)))


@settings(max_examples=40, deadline=None)
@given(law=lattice_laws(), seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from(["none", "per simulation", "per unit"]),
       growth=st.sampled_from([1.0, 1.03, 1.0609, 0.97]))
def test_fused_group_equals_the_numpy_inversion_on_any_bits(numba_installed, law, seed, kind,
                                                            growth):
    rng = np.random.default_rng(seed)
    k, units = 40, len(law.cdf)
    raw = edge_bits(law, rng, k)
    factor = factor_of(kind, rng, k, units)
    money = patients.Pence(factor, growth)
    reference = money.apply(law.invert(raw.copy())).astype(np.int64)
    fused = np.empty((1, k, units), dtype=np.int64)        # one key
    draw = kernel._compiled()
    scale = (np.ones((k, 1)) if factor is None else factor,)
    for first in range(0, units, patients.GROUP):
        cols = slice(first, min(first + patients.GROUP, units))
        draw(np.ascontiguousarray(raw[:, cols]), law.cdf.reshape(-1), law.cdf.shape[1],
             law.guide, law.answer, law.start, law.h, first, scale, np.array([growth]), fused)
    fused = fused[0]
    np.testing.assert_array_equal(fused, reference)


def test_a_closed_cell_answering_the_open_mark_is_found_the_same(numba_installed):
    # 70,000 points: the guide is int64, and cell 1 is closed at index 65,535 = OPEN (the
    # first 65,535 points hold 6.6e-6 between them, below 1/4096; point 65,535 jumps to 0.5)
    points = 70_000
    cdf = np.concatenate([np.arange(1, 65_536) * 1e-10, np.linspace(0.5, 1.0, points - 65_535)])
    law = LatticeInverse.of(cdf[None, :], np.array([0]), np.array([1.0]), np.zeros(1),
                            np.ones(1))
    assert law.guide[0, 1] == law.guide[0, 2] == law.answer[0, 1] == 65_535
    cells = np.array([0, 1, 1, 2, 2048, 4095], dtype=np.uint64)
    raw = (cells << np.uint64(52)) + np.arange(6, dtype=np.uint64) * np.uint64(977)
    reference = law.invert(raw[:, None].copy()).ravel()
    fused = np.empty((1, 6, 1), dtype=np.int64)
    kernel._compiled()(raw[:, None].copy(), law.cdf.reshape(-1), points, law.guide,
                       law.answer, law.start, law.h, 0, (np.ones((6, 1)),), np.ones(1), fused)
    # whole pence of the lattice amounts (h = £1): index × 100
    np.testing.assert_array_equal(fused.ravel(), np.rint(reference * 100).astype(np.int64))
    assert fused[0, 1, 0] == fused[0, 2, 0] == 65_535 * 100


@settings(max_examples=25, deadline=None)
@given(law=lattice_laws(), seed=st.integers(0, 2**20),
       kind=st.sampled_from(["none", "per simulation", "per unit"]),
       split=st.sampled_from([1, 7, 300, 1024, 2000]))
def test_invert_pence_is_the_same_from_streams_for_any_split(numba_installed, law, seed, kind,
                                                             split):
    rng = np.random.default_rng(seed)
    n, units = 1100, len(law.cdf)                 # crosses a block of 1,024 simulations
    keys = [(0, patients.RETAINED), (1, patients.RETAINED), (2, patients.RETAINED)]
    factors = [factor_of(kind, rng, n, units) for _ in keys]
    root = np.random.SeedSequence(seed)

    def whole() -> list[np.ndarray]:
        pence = [patients.Pence(f, 1.0 + y / 100) for y, f in enumerate(factors)]
        return kernel.invert_pence(law, root, keys, 0, n, pence)

    def pieces() -> list[np.ndarray]:
        streams = patients.Streams(root)
        parts = []
        for lo, hi in patients.chunks(n, split):
            pence = [patients.Pence(None if f is None else f[lo:hi], 1.0 + y / 100)
                     for y, f in enumerate(factors)]
            parts.append(kernel.invert_pence(law, streams, keys, lo, hi, pence))
        return [np.vstack(p) for p in zip(*parts, strict=True)]

    reference, fused = both(whole)
    assert_same_pence(reference, fused)
    assert_same_pence(reference, both(pieces)[1])


# ------------------------------------------------------------------------- the example

@pytest.mark.parametrize("effects", [None, DIXON], ids=["effects off", "effects on"])
@pytest.mark.parametrize("split", [1, 333, 2048])
def test_example_draws_in_pence_are_identical(numba_installed, effects, split):
    sampler = spend_sampler(pbc.datasets.example_population(), pbc.datasets.example_cost_model(),
                            high_cost_threshold=50_000, common_shock_cv=0.02,
                            practice_effects=effects)
    root, years, growth, n = np.random.SeedSequence(11), [0, 1, 2], [1.0, 1.03, 1.0609], 2048

    def draw() -> list[np.ndarray]:
        streams = patients.Streams(root)
        chunks = [sampler.pence_years(streams, years, lo, hi, growth)
                  for lo, hi in patients.chunks(n, split)]
        return [np.vstack([chunk[y][part] for chunk in chunks])
                for y in years for part in (0, 1)]

    reference, fused = both(draw)
    assert_same_pence(reference, fused)
    with kernel.use_kernel("numpy"):        # the split changes nothing either
        whole = sampler.pence_years(root, years, 0, n, growth)
    assert_same_pence([a for pair in whole for a in pair], reference)


def same_results(a: pbc.SimulationResult, b: pbc.SimulationResult) -> None:
    pd.testing.assert_frame_equal(a.metrics(), b.metrics(), check_exact=True)
    pd.testing.assert_series_equal(a.summary(), b.summary(), check_exact=True)
    pd.testing.assert_frame_equal(a.quantile_bounds(), b.quantile_bounds(), check_exact=True)
    np.testing.assert_array_equal(a.commissioner_pence, b.commissioner_pence)
    if a.keep == "full":
        np.testing.assert_array_equal(a.practice_amount_pence, b.practice_amount_pence)
        np.testing.assert_array_equal(a.net_pence, b.net_pence)


@pytest.mark.parametrize("effects", [None, DIXON], ids=["effects off", "effects on"])
@pytest.mark.parametrize(("workers", "chunk_size", "keep"),
                         [(1, None, "stats"), (2, 100, "stats"), (2, None, "full")])
def test_scenario_simulate_is_identical(numba_installed, effects, workers, chunk_size, keep):
    scn = pbc.Scenario.example(practice_effects=effects, high_cost_threshold=50_000,
                               common_shock_cv=0.02)

    def run() -> pbc.SimulationResult:
        return scn.simulate(n=2100, years=3, seed=5, workers=workers, chunk_size=chunk_size,
                            keep=keep)

    reference, fused = both(run)
    same_results(reference, fused)


def test_tallies_are_identical_for_any_thread_count(numba_installed):
    scn = pbc.Scenario.example(practice_effects=DIXON, common_shock_cv=0.02)
    tallies = []
    for name, threads in (("numpy", 1), ("numba", 1), ("numba", 2), ("numba", 3)):
        options = SimulationOptions(n=3100, years=2, seed=2, workers=threads)
        plan = build_plan([scn], [options.tally_keep()], options)
        with kernel.use_kernel(name):
            [[tally]] = run_threads([plan], options)
        tallies.append(tally)
    for tally in tallies[1:]:
        assert tally.count == tallies[0].count
        np.testing.assert_array_equal(tally.amount_sum, tallies[0].amount_sum)


# ------------------------------------------------------------------------- practice effects

@st.composite
def practice_effects(draw: st.DrawFn) -> tuple[PracticeEffects, pd.Index]:
    """Effects with any spread and persistence, some practices' effects known."""
    codes = pd.Index([f"P{i}" for i in range(draw(st.integers(1, 9)))])
    known = draw(st.lists(st.sampled_from(list(codes)), unique=True, max_size=len(codes)))
    values = st.floats(0.0, 0.5, allow_nan=False)
    centre = pd.Series({c: draw(st.floats(-0.3, 0.3)) for c in known}, dtype=float)
    spread = pd.Series({c: draw(values) for c in known}, dtype=float)
    effects = PracticeEffects(sd=draw(values), persistence=draw(st.floats(0.0, 1.0)),
                              centre=centre if known else None,
                              uncertainty=spread if known else None)
    return effects, codes


@settings(max_examples=40, deadline=None)
@given(effects=practice_effects(), seed=st.integers(0, 2**32 - 1), years=st.integers(1, 4),
       lo=st.integers(0, 40), k=st.integers(1, 60))
def test_effect_factors_are_bit_identical_for_any_rows(numba_installed, effects, seed, years,
                                                       lo, k):
    # rows lo … lo + k − 1 start and stop anywhere inside the streams' groups of 16 rows
    eff, codes = effects
    root = np.random.SeedSequence(seed)
    reference, fused = both(lambda: kernel.effect_factors(eff, root, years, lo, lo + k, codes))
    assert len(reference) == len(fused) == years
    for a, b in zip(reference, fused, strict=True):
        assert a.shape == b.shape == (k, len(codes))
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(reference[0], eff.factors(root, years, lo, lo + k, codes)[0])
