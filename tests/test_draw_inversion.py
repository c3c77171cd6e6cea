"""Drawing by inversion straight from stream bits (risk.laws.LatticeInverse.invert of the
streams' uint64 outputs, the path of risk.patients.invert_many).

The guide-table inversion must return exactly the smallest lattice point whose cdf reaches
the uniform ``u = (raw >> 11)·2⁻⁵³`` — what ``np.searchsorted(cdf, u, side="left")`` gives —
including ties (zero-probability atoms), uniforms exactly at the cdf's jumps, cdfs that
never reach 1, and brackets many points wide.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.risk import patients
from pbcmodel.risk.laws import LatticeInverse, NormalLaw

SCALE = 2.0**-53


def inverse(cdf: np.ndarray, start: np.ndarray | None = None,
            h: np.ndarray | None = None) -> LatticeInverse:
    units = len(cdf)
    start = np.zeros(units, dtype=np.int64) if start is None else start
    h = np.ones(units) if h is None else h
    return LatticeInverse.of(cdf, start, h, np.zeros(units), np.ones(units))


def reference(law: LatticeInverse, raw: np.ndarray) -> np.ndarray:
    """Column by column: ``searchsorted`` of the uniforms in the unit's cdf."""
    u = (raw >> np.uint64(11)) * SCALE
    points = law.cdf.shape[1]
    out = np.empty(raw.shape)
    for j in range(raw.shape[1]):
        k = np.minimum(np.searchsorted(law.cdf[j], u[:, j], side="left"), points - 1)
        out[:, j] = (law.start[j] + k) * law.h[j]
    return out


def bits_of(u: np.ndarray) -> np.ndarray:
    """The 64-bit outputs whose uniforms are ``u`` (multiples of 2⁻⁵³ in [0, 1))."""
    return (np.asarray(u * 2.0**53).astype(np.uint64)) << np.uint64(11)


def test_hand_computed_steps_and_jumps():
    # pmf (¼, 0, ½, ¼) on 10, 11, 12, 13 (h = 1, start = 10): cdf (0.25, 0.25, 0.75, 1.0);
    # u < ¼ → 10; u = ¼ exactly → 10 (F(10) reaches it); ¼ < u ≤ ¾ → 12 (11 has no mass);
    # u > ¾ → 13
    law = inverse(np.array([[0.25, 0.25, 0.75, 1.0]]), start=np.array([10]))
    u = np.array([0.0, 0.2, 0.25, 0.25 + SCALE, 0.5, 0.75, 0.75 + SCALE, 1 - SCALE])
    got = law.invert(bits_of(u)[:, None]).ravel()
    assert got.tolist() == [10, 10, 10, 12, 12, 12, 13, 13]


def test_cdf_short_of_one_clips_to_the_last_point():
    # points 0, 3, 6 (h = 3), cdf (0, ¼, ½): u = 0.1 → first F ≥ u at 3; u = ½ → 6;
    # u = 0.9: no point reaches it, the last point (6) is taken
    law = inverse(np.array([[0.0, 0.25, 0.5]]), h=np.array([3.0]))
    got = law.invert(bits_of(np.array([0.1, 0.5, 0.9]))[:, None])
    assert got.ravel().tolist() == [3.0, 6.0, 6.0]


def test_units_slice_and_values_scaled():
    rng = np.random.default_rng(3)
    pmf = rng.random((5, 40))
    cdf = np.minimum(np.cumsum(pmf / pmf.sum(axis=1, keepdims=True), axis=1), 1.0)
    law = inverse(cdf, start=np.arange(5) * 7, h=np.array([0.5, 1.0, 2.0, 3.0, 1e6]))
    raw = rng.integers(0, 2**64, size=(300, 5), dtype=np.uint64)
    expected = reference(law, raw)
    np.testing.assert_array_equal(law.invert(raw), expected)
    got = law.invert(raw[:, 2:4], slice(2, 4))      # units 2 and 3 only
    np.testing.assert_array_equal(got, expected[:, 2:4])


@st.composite
def cdfs(draw):
    """Non-decreasing cdfs in [0, 1]: atoms of zero mass, repeated values, long flat runs,
    steep steps (many points in one guide cell) and cdfs that stop short of 1."""
    units = draw(st.integers(1, 4))
    points = draw(st.integers(1, 300))
    rows = []
    for _ in range(units):
        weights = draw(st.lists(st.sampled_from([0.0, 0.0, 1e-9, 1e-4, 0.01, 1.0, 5.0]),
                                min_size=points, max_size=points))
        w = np.array(weights)
        if w.sum() == 0:
            w[-1] = 1.0
        cdf = np.minimum(np.cumsum(w / w.sum()), 1.0)
        cdf *= draw(st.sampled_from([1.0, 1.0, 0.999, 0.5]))
        rows.append(cdf)
    return np.array(rows)


@settings(max_examples=150, deadline=None)
@given(cdf=cdfs(), seed=st.integers(0, 2**32 - 1), at_jumps=st.booleans())
def test_equals_searchsorted(cdf, seed, at_jumps):
    law = inverse(cdf, start=np.arange(len(cdf)), h=np.linspace(1.0, 2.0, len(cdf)))
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 2**64, size=(200, len(cdf)), dtype=np.uint64)
    if at_jumps:      # uniforms on, and just either side of, the cdf's own values
        values = cdf[rng.integers(0, len(cdf), 200), rng.integers(0, cdf.shape[1], 200)]
        grid = np.floor(values * 2.0**53) + rng.integers(-1, 2, 200)
        grid = np.clip(grid, 0, 2.0**53 - 1)
        raw[:, 0] = grid.astype(np.uint64) << np.uint64(11)
    got = law.invert(raw)
    np.testing.assert_array_equal(got, reference(law, raw))
    # and the same as the inversion at those uniforms given as floats
    u = (raw >> np.uint64(11)) * SCALE
    np.testing.assert_array_equal(got, law.invert(u))
    np.testing.assert_array_equal(law.invert(u), reference(law, raw))


def test_invert_rows_uses_the_streams_uniforms():
    """invert_rows on a lattice law = the law's inversion at the uniforms of the same streams,
    group by group, whatever the range of simulations."""
    rng = np.random.default_rng(5)
    pmf = rng.random((150, 64))
    cdf = np.minimum(np.cumsum(pmf / pmf.sum(axis=1, keepdims=True), axis=1), 1.0)
    law = inverse(cdf, start=rng.integers(0, 100, 150), h=rng.uniform(1, 10, 150))
    root = np.random.SeedSequence(9)
    lo, hi = 1000, 1100            # crosses no block edge; 1020 … 1030 below crosses one
    got = patients.invert_rows(law, root, (2, patients.RETAINED), lo, hi)
    for first in range(0, 150, patients.GROUP):
        cols = slice(first, min(first + patients.GROUP, 150))
        u = patients.uniforms(root, (2, patients.RETAINED, first // patients.GROUP), lo, hi,
                              cols.stop - first)
        np.testing.assert_array_equal(got[:, cols], law.invert(u, cols))
    across = patients.invert_rows(law, root, (2, patients.RETAINED), 1020, 1030)
    np.testing.assert_array_equal(across, np.vstack([
        patients.invert_rows(law, root, (2, patients.RETAINED), 1020, 1024),
        patients.invert_rows(law, root, (2, patients.RETAINED), 1024, 1030)]))


def test_random_bits_are_the_uniforms_bits():
    root = np.random.SeedSequence(11)
    raw = patients.random_bits(root, (0, patients.SHOCK), 1000, 1030, 2)   # across a block
    u = patients.uniforms(root, (0, patients.SHOCK), 1000, 1030, 2)
    assert raw.dtype == np.uint64 and raw.shape == (30, 2)
    np.testing.assert_array_equal((raw >> np.uint64(11)) * SCALE, u)


def test_normal_law_still_inverts_uniforms():
    law = NormalLaw(np.array([0.0, 100.0]), np.array([1.0, 4.0]))
    root = np.random.SeedSequence(1)
    got = patients.invert_rows(law, root, (0, patients.RETAINED), 0, 50)
    u = patients.uniforms(root, (0, patients.RETAINED, 0), 0, 50, 2)
    np.testing.assert_array_equal(got, law.invert(u))


@pytest.mark.parametrize("lo,hi", [(0, 1), (1023, 1025), (0, 2049)])
def test_random_bits_any_range(lo, hi):
    root = np.random.SeedSequence(2)
    whole = patients.random_bits(root, (1, 0, 0), 0, 2049, 3)
    np.testing.assert_array_equal(patients.random_bits(root, (1, 0, 0), lo, hi, 3),
                                  whole[lo:hi])


def test_wide_brackets_of_a_slice_of_units():
    """Cells holding many steps of the cdf (searched at the end) in units after the first."""
    rng = np.random.default_rng(8)
    steep = np.full((4, 400), 1e-9)
    steep[:, 100:110] = 1.0                     # ten steps inside one or two guide cells
    cdf = np.minimum(np.cumsum(steep / steep.sum(axis=1, keepdims=True), axis=1), 1.0)
    law = inverse(cdf, start=np.array([0, 10, 20, 30]), h=np.array([1.0, 2.0, 3.0, 4.0]))
    raw = rng.integers(0, 2**64, size=(500, 4), dtype=np.uint64)
    expected = reference(law, raw)
    assert len(np.unique(expected[:, 2])) > 5          # many distinct steps were hit
    np.testing.assert_array_equal(law.invert(raw[:, 2:], slice(2, 4)),
                                  expected[:, 2:])


def test_pence_finishing_equals_the_plain_arithmetic():
    """Draws in whole pence = rint(amount × shock × growth × 100), the order of the
    operations kept, for lattice (guided, with searched draws) and other laws."""
    rng = np.random.default_rng(4)
    steep = np.full((70, 300), 1e-9)
    steep[:, 50:60] = 1.0
    steep[:35] = rng.random((35, 300))
    cdf = np.minimum(np.cumsum(steep / steep.sum(axis=1, keepdims=True), axis=1), 1.0)
    law = inverse(cdf, start=rng.integers(0, 10**6, 70), h=rng.uniform(50, 500, 70))
    root = np.random.SeedSequence(6)
    keys = [(0, patients.RETAINED), (1, patients.RETAINED)]
    shock = rng.lognormal(0, 0.02, (40, 1))
    money = [patients.Pence(shock, 1.03), patients.Pence(None, 1.0609)]
    got = patients.invert_many(law, root, keys, 1000, 1040, pence=money)
    plain = patients.invert_many(law, root, keys, 1000, 1040)
    for g, p, m in zip(got, plain, money, strict=True):
        values = p * m.factor if m.factor is not None else p.copy()
        values *= m.growth
        values *= 100
        assert g.dtype == np.int64
        np.testing.assert_array_equal(g, np.rint(values).astype(np.int64))
    normal = NormalLaw(np.full(3, 1e6), np.full(3, 1e8))
    (g,) = patients.invert_many(normal, root, keys[:1], 0, 10,
                                pence=[patients.Pence(shock[:10], 1.03)])
    p = patients.invert_rows(normal, root, keys[0], 0, 10) * shock[:10] * 1.03 * 100
    np.testing.assert_array_equal(g, np.rint(p).astype(np.int64))


@settings(max_examples=40, deadline=None)
@given(ranges=st.lists(st.tuples(st.integers(0, 2100), st.integers(1, 300)), min_size=1,
                       max_size=8),
       size=st.integers(1, 3))
def test_open_streams_give_the_plain_draws_in_any_order(ranges, size):
    """Kept-open block streams (patients.Streams) return exactly the plain root's bits for
    any sequence of ranges: forwards, backwards, across blocks, with generators forgotten."""
    root = np.random.SeedSequence(12)
    streams = patients.Streams(root, size=size)
    for lo, length in ranges:
        for key in ((0, patients.RETAINED, 0), (1, patients.EXCESS, 3)):
            np.testing.assert_array_equal(
                patients.random_bits(streams, key, lo, lo + length, 3),
                patients.random_bits(root, key, lo, lo + length, 3))
