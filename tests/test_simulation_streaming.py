"""Streamed simulation: the same result for a seed whatever the split, exact to the penny.

Streamed statistics (the default, ``keep="stats"``) are compared with the full arrays of
the same simulation (``keep="full"``): sums and counts to the penny, quantiles within the
histogram bound the result reports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel.errors import ValidationError
from pbcmodel.risk import SpendSampler
from pbcmodel.scenario import cluster as on_dask
from pbcmodel.scenario import simulation
from pbcmodel.scenario.simulation import SimulationResult, draw_outturns
from pbcmodel.scenario.variants import compare, headline

#: More than one block of random streams (1,024 simulations), two years, small and fast.
N, YEARS = 1_100, 2


@pytest.fixture(scope="module")
def scn(twelve_practices) -> pbc.Scenario:
    return twelve_practices


@pytest.fixture(scope="module")
def streamed(scn) -> SimulationResult:
    return scn.simulate(n=N, years=YEARS, seed=21)


@pytest.fixture(scope="module")
def full(scn) -> SimulationResult:
    return scn.simulate(n=N, years=YEARS, seed=21, keep="full", chunk_size=97, workers=1)


def _same(a: SimulationResult, b: SimulationResult) -> None:
    pd.testing.assert_frame_equal(a.metrics(), b.metrics(), check_exact=True)
    pd.testing.assert_series_equal(a.summary(), b.summary(), check_exact=True)
    pd.testing.assert_frame_equal(a.by_list_size(), b.by_list_size(), check_exact=True)
    for name in ("commissioner_pence", "carried_pence", "pool_pence", "net_sample"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@settings(max_examples=8, deadline=None)
@given(chunk=st.integers(17, 700), workers=st.sampled_from([1, 2]))
def test_result_does_not_depend_on_chunk_size_or_workers(scn, streamed, chunk, workers):
    _same(scn.simulate(n=N, years=YEARS, seed=21, chunk_size=chunk, workers=workers), streamed)


def test_dask_machines_whose_builds_differ_all_use_the_first_machines(scn, streamed,
                                                                      monkeypatch):
    # one worker on each machine builds the distributions; a machine whose build differs
    # (as another numpy build or CPU could make it) must not change the result: the first
    # machine's plan is used everywhere instead. Each worker here plays a machine of its own.
    distributed = pytest.importorskip("distributed")
    attrs = pytest.importorskip("attrs")
    real = on_dask.build_plan
    odd: set[str] = set()

    def build(*args):
        plan = real(*args)
        if distributed.get_worker().address in odd:          # a build 0.1% different
            plan = attrs.evolve(plan, growth=plan.growth * 1.001)
        return plan

    monkeypatch.setattr(on_dask, "build_plan", build)
    monkeypatch.setattr(on_dask, "_machine", lambda address: address)
    with distributed.LocalCluster(n_workers=3, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, distributed.get_task_stream(client) as log:
        addresses = sorted(client.scheduler_info()["workers"])
        odd.update(addresses[1:])
        remote = scn.simulate(n=N, years=YEARS, seed=21, engine="dask", client=client)
        odd.update(addresses)                        # every build odd: the result moves
        moved = scn.simulate(n=N, years=YEARS, seed=21, engine="dask", client=client)
    _same(remote, streamed)
    assert not np.array_equal(moved.pool_pence, streamed.pool_pence)
    # N simulations are two blocks: two workers simulate, and each (a machine) built twice
    builds = sorted(task["worker"] for task in log.data if str(task["key"]).startswith("build"))
    assert builds == sorted(addresses[:2] * 2)


@pytest.mark.parametrize("workers, threads", [(2, 1), (1, 2)])
def test_dask_engine_equals_local_with_one_build_per_machine(scn, streamed, workers, threads):
    # the first worker builds the distributions once and every worker thread simulates a
    # range of blocks with it (the other worker fetches it); the result is the local one
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=workers, processes=False,
                                  threads_per_worker=threads, dashboard_address=None
                                  ) as cluster, \
            distributed.Client(cluster) as client, distributed.get_task_stream(client) as log:
        remote = scn.simulate(n=N, years=YEARS, seed=21, engine="dask", client=client)
        first = sorted(client.scheduler_info()["workers"])[0]
    _same(remote, streamed)
    builds = [task["worker"] for task in log.data if str(task["key"]).startswith("build_plan")]
    ranges = [task["worker"] for task in log.data if str(task["key"]).startswith("simulate_range")]
    assert builds == [first] and len(ranges) == 2          # one build, two ranges with it


def test_streamed_sums_and_counts_equal_the_full_arrays_to_the_penny(streamed, full):
    amount, net = full.practice_amount_pence, full.net_pence
    assert amount.dtype == np.int32                     # they fit, so they are kept narrow
    count = N * YEARS
    m = streamed.metrics()
    # the streamed means are the exact integer sums of the full arrays, divided once
    np.testing.assert_array_equal(m["expected_net"], net.sum(axis=(0, 2), dtype=np.int64)
                                  / count / 100)
    np.testing.assert_array_equal(m["expected_freed_up"],
                                  np.maximum(amount, 0).sum(axis=(0, 2), dtype=np.int64)
                                  / count / 100)
    np.testing.assert_allclose(m["net_sd"], net.astype(float).std(axis=(0, 2)) / 100,
                               rtol=1e-11)
    budget = np.rint(full.budget * 100).T[None]            # (1, P, years) pence
    np.testing.assert_array_equal(
        m["prob_loss_over_fraction"], np.count_nonzero(amount < -0.02 * budget, axis=(0, 2))
        / count)
    np.testing.assert_array_equal(m["prob_loss_over_pounds"],
                                  np.count_nonzero(amount < -1_000_000, axis=(0, 2)) / count)
    total = streamed.summary()["expected_practice_amount"]
    assert total == int(amount.sum(dtype=np.int64)) / count / 100
    exact = full.metrics()
    pd.testing.assert_frame_equal(m.drop(columns=["p05_amount", "p95_amount"]),
                                  exact.drop(columns=["p05_amount", "p95_amount"]),
                                  check_exact=True)


def test_streamed_quantiles_are_within_their_stated_bound(streamed, full):
    m, exact, bound = streamed.metrics(), full.metrics(), streamed.quantile_bounds()
    by_practice = full.practice_amount_pence.transpose(1, 0, 2).reshape(len(full.practices), -1)
    for column, q in (("p05_amount", 0.05), ("p95_amount", 0.95)):
        np.testing.assert_array_equal(exact[column], np.quantile(by_practice, q, axis=1) / 100)
        assert (np.abs(m[column] - exact[column]) <= bound[column] + 1e-9).all()
        # the bound is one bin of a 2,048-bin grid: small next to the practice's budget
        assert (bound[column] < 1e-3 * m["budget"]).all()
    assert (full.quantile_bounds().to_numpy() == 0).all()


def test_every_simulated_year_is_conserved_to_the_penny(scn, full):
    # budget − outturn (the variance) lands with the practice or the commissioner, exactly:
    # per simulation-year, Σ variance = Σ practice amount + what the commissioner keeps
    budget_pence = np.rint(full.budget * 100).astype(np.int64)
    for y, year in enumerate(draw_outturns(scn, N, YEARS, seed=21)):
        outturn = np.vstack([np.rint(chunk.retained * 100).astype(np.int64) for chunk in year])
        variance = (budget_pence[y] - outturn).sum(axis=1)
        kept = full.practice_amount_pence[:, :, y].sum(axis=1, dtype=np.int64)
        np.testing.assert_array_equal(variance, kept + full.commissioner_pence[:, y])
    assert (full.carried_pence[:, 0] > 0).any()           # liabilities did carry forward


def test_seed_sequence_and_int_seed_agree_and_bad_seeds_name_the_seed(scn):
    a = scn.simulate(n=50, seed=5)
    b = scn.simulate(n=50, seed=np.random.SeedSequence(5))
    np.testing.assert_array_equal(a.commissioner_pence, b.commissioner_pence)
    for bad in (-1, 1.5, True, "7"):
        with pytest.raises(ValidationError, match=r"seed: expected None, a whole number >= 0"):
            scn.simulate(n=10, seed=bad)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"keep": "all"}, r"keep: must be one of \('stats', 'full'\), got 'all'"),
    ({"engine": "spark"}, "engine: must be one of"),
    ({"client": object()}, "client: only used with engine='dask'"),
    ({"workers": 0}, "workers: must be a positive whole number"),
    ({"method": "exact"}, r"method: must be one of \('fft', 'normal', 'mc'\)"),
])
def test_bad_options_name_the_option(scn, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        scn.simulate(n=10, **kwargs)


def test_full_arrays_and_untracked_thresholds_need_keep_full(streamed, full):
    with pytest.raises(ValidationError, match="practice_amount: .*keep='full'"):
        _ = streamed.practice_amount
    with pytest.raises(ValidationError, match="keep='full'"):
        streamed.to_xarray()
    with pytest.raises(ValidationError, match="loss_fraction: 0.03 is not counted"):
        streamed.metrics(loss_fraction=0.03)
    # tracked thresholds are exact in both; any threshold works with the full arrays
    pd.testing.assert_frame_equal(streamed.metrics(loss_fraction=0.05).drop(
        columns=["p05_amount", "p95_amount"]), full.metrics(loss_fraction=0.05).drop(
        columns=["p05_amount", "p95_amount"]), check_exact=True)
    assert full.metrics(loss_fraction=0.03)["prob_loss_over_fraction"].between(0, 1).all()
    assert full.to_xarray()["practice_amount"].shape == (N, 12, YEARS)


def test_policies_that_share_the_drivers_of_spend_are_drawn_once(scn, monkeypatch):
    calls = []
    real = SpendSampler.draw

    def counted(self, root, year, lo, hi):
        calls.append((year, lo, hi))
        return real(self, root, year, lo, hi)

    monkeypatch.setattr(SpendSampler, "draw", counted)
    scn.simulate(n=300, years=2, seed=1)
    once = len(calls)
    calls.clear()
    variants = [scn.evolve(name=f"share {s}", **{"overspend.practice_share": s})
                for s in (0.0, 0.5, 1.0)]
    compare(variants, n=300, years=2, seed=1)
    assert len(calls) == once                     # three policies, one set of draws
    calls.clear()
    compare([scn, scn.evolve(name="pool at 30k", high_cost_threshold=30_000)], n=300,
            years=2, seed=1)
    assert len(calls) == 2 * once                 # a driver of spend changed: drawn again


def test_headline_computes_the_metrics_once(scn, monkeypatch):
    result = scn.simulate(n=100, seed=2)
    calls = []
    real = SimulationResult._metrics

    def counted(self, *args):
        calls.append(args)
        return real(self, *args)

    monkeypatch.setattr(SimulationResult, "_metrics", counted)
    headline(result)
    result.summary()
    assert len(calls) == 1


def test_memory_for_statistics_does_not_grow_with_simulations(scn):
    # per-practice statistics have a fixed size; only the per-simulation totals grow
    small, large = scn.simulate(n=64, years=1, seed=3), scn.simulate(n=2_048, years=1, seed=3)
    assert small.tally.histogram.nbytes == large.tally.histogram.nbytes
    assert large.commissioner_pence.shape == (2_048, 1)
    assert large.net_sample.shape[0] == 256


def test_patient_level_draws_stream_the_same_way(scn):
    small = scn.evolve(population=scn.population.subset(["P001", "P002"]), common_shock_cv=0.0)
    a = small.simulate(n=40, seed=4, method="mc", chunk_size=7)
    b = small.simulate(n=40, seed=4, method="mc", workers=1)
    _same(a, b)
    assert simulation.METHODS == ("fft", "normal", "mc")


def test_simulated_budgets_add_up_like_the_settled_ones():
    """Each simulated year's budgets are allocated to the penny (largest remainder), so year
    one settles exactly the budgets ``Scenario.settle`` settles, and their total is the
    devolved resource rounded to the penny. (Rounding each practice on its own gave the
    example's budgets a total of £494,699,999.96 instead of £494,700,000.00.)"""
    example = pbc.Scenario.example()
    budgets = example.budgets()["total"]
    simulated = example.simulate(n=20, years=2, seed=3, keep="full").budget * 100
    settled = example.settle(budgets).to_frame()["budget"].to_numpy() * 100
    np.testing.assert_array_equal(np.rint(simulated[0]), np.rint(settled))
    assert np.rint(simulated[0]).astype(np.int64).sum() == round(float(budgets.sum()) * 100)
    assert np.rint(simulated[0]).astype(np.int64).sum() == 49_470_000_000
