"""Netting and tallying laid out for threads give the same pence as the plain formulas.

:class:`~pbcmodel.settlement.core.Consortia` groups the practices once; netting then works on
a table of consortium pieces. However the consortia are split into pieces, every practice's
amount must equal the plain per-consortium computation, and two threads each settling and
tallying their own simulations must give what one thread gives.
"""

from __future__ import annotations

import threading

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pbcmodel.overspend import OverspendPolicy
from pbcmodel.scenario.tally import Tally
from pbcmodel.settlement import settle_arrays
from pbcmodel.settlement.core import Consortia
from pbcmodel.sharing import pbc_freed_up, shared_amount

POLICY = OverspendPolicy(tolerance=0.01, practice_share=0.6, net_within_consortium=True)


def plain_netting(budget: np.ndarray, variance: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """One consortium at a time: share its net variance, then divide it by cumulative
    rounding among the practices on the side of the net variance (in their order)."""
    out = np.zeros(variance.shape, dtype=np.int64)
    for code in np.unique(codes):
        members = np.flatnonzero(codes == code)
        for s, row in enumerate(variance):
            net = int(row[members].sum())
            amount = np.rint(shared_amount(np.array([float(budget[members].sum())]),
                                           np.array([float(net)]), pbc_freed_up(0.7).savings_rule,
                                           POLICY.losses_rule))[0]
            weight = np.maximum(row[members] * (1 if net >= 0 else -1), 0)
            total = int(weight.sum())
            ratio = amount / total if total > 0 else 0.0
            cumulative = np.rint(np.cumsum(weight) * ratio).astype(np.int64)
            out[s, members] = np.diff(cumulative, prepend=0)
    return out


@st.composite
def skewed_consortia(draw):
    practices = draw(st.integers(1, 40))
    big = draw(st.integers(0, practices))           # one consortium much larger than the rest
    codes = np.array([0] * big + draw(st.lists(st.integers(1, 8), min_size=practices - big,
                                               max_size=practices - big)))
    codes = codes[np.random.default_rng(draw(st.integers(0, 2**31))).permutation(practices)]
    budget = np.array(draw(st.lists(st.integers(10_000, 10**8), min_size=practices,
                                    max_size=practices)))
    swings = np.array(draw(st.lists(st.floats(-0.3, 0.3), min_size=2 * practices,
                                    max_size=2 * practices))).reshape(2, practices)
    return budget, np.rint(budget * (1 + swings)).astype(np.int64), codes


@settings(max_examples=120, deadline=None)
@given(data=skewed_consortia())
def test_netting_equals_the_plain_formula_however_consortia_are_laid_out(data):
    budget, outturn, codes = data
    consortia = Consortia.from_codes(codes)
    assert consortia.slots.size <= 2 * codes.size
    r = settle_arrays(budget, outturn, savings=pbc_freed_up(0.7), overspend=POLICY,
                      consortium_codes=consortia)
    np.testing.assert_array_equal(r.entitlement, plain_netting(budget, budget - outturn, codes))
    again = settle_arrays(budget, outturn, savings=pbc_freed_up(0.7), overspend=POLICY,
                          consortium_codes=codes)
    np.testing.assert_array_equal(again.entitlement, r.entitlement)


def test_a_large_consortium_is_split_into_pieces_not_padded():
    codes = np.r_[np.zeros(400, dtype=int), np.arange(1, 301)]
    c = Consortia.from_codes(codes)
    assert c.continued is not None and c.slots.size <= 2 * codes.size
    assert Consortia.from_codes(np.repeat(np.arange(50), 15)).continued is None


def test_two_threads_with_their_own_tallies_equal_one_thread():
    rng = np.random.default_rng(3)
    practices, years, sims = 300, 2, 96
    budget = rng.integers(10**6, 10**8, (years, practices))
    outturn = np.rint(budget[:, None, :] * (1 + rng.normal(0, 0.1, (years, sims, practices)))
                      ).astype(np.int64)
    low, width = np.full(practices, -10**8), np.full(practices, 10**5)
    consortia = Consortia.from_codes(rng.integers(0, 20, practices))

    def run(lo: int, hi: int) -> Tally:
        tally = Tally.empty(lo, hi, years, budget, low, width, True)
        for first in range(lo, hi, 16):
            carry = None
            for y in range(years):
                r = settle_arrays(budget[y], outturn[y, first:first + 16],
                                  savings=pbc_freed_up(0.7), overspend=POLICY,
                                  consortium_codes=consortia, carry_forward_pence=carry)
                tally.add(y, first, r.practice_amount, r.net_to_practice,
                          r.commissioner_amount.sum(axis=1),
                          r.recovery_next.sum(axis=(1, 2)), np.zeros(16, dtype=np.int64))
                carry = r.recovery_next
        return tally.finished()

    alone = run(0, sims)
    parts: dict[int, Tally] = {}
    threads = [threading.Thread(target=lambda lo=lo: parts.__setitem__(lo, run(lo, lo + 48)))
               for lo in (0, 48)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    both = parts[0].merge(parts[48])
    for name in ("amount_sum", "freed_sum", "net_sum", "amount_squares", "net_squares",
                 "loss_pounds", "loss_fractions", "histogram", "amount_min", "amount_max",
                 "commissioner", "carried", "full_amount", "full_net"):
        np.testing.assert_array_equal(getattr(both, name), getattr(alone, name), err_msg=name)
