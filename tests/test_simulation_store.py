"""Full per-practice arrays in an on-disk zarr store, losses counted on request, and the
memory estimate checked before a simulation starts (issue 14, results side).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbcmodel as pbc
from pbcmodel import risk
from pbcmodel.design import optimise
from pbcmodel.errors import MissingDependencyError, ValidationError
from pbcmodel.scenario import memory, simulation, store

pytest.importorskip("zarr")
xr = pytest.importorskip("xarray")

#: More than one block of random streams (1,024 simulations), two years, small and fast.
N, YEARS = 1_100, 2


@pytest.fixture(scope="module")
def scn(twelve_practices) -> pbc.Scenario:
    return twelve_practices


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("stores")


@pytest.fixture(scope="module")
def in_memory(scn) -> simulation.SimulationResult:
    return simulation.simulate(scn, n=N, years=YEARS, seed=21, keep="full")


@pytest.fixture(scope="module")
def on_disk(scn, folder) -> simulation.SimulationResult:
    # two threads and a chunk size that does not divide a store chunk: writers never share one
    return simulation.simulate(scn, n=N, years=YEARS, seed=21, keep="full", chunk_size=97,
                               workers=2, store=folder / "run.zarr")


def test_the_store_holds_exactly_the_in_memory_arrays(in_memory, on_disk, folder):
    assert on_disk.store == folder / "run.zarr" and on_disk.keep == "full"
    assert on_disk.tally.full_amount is None                 # nothing kept in memory
    np.testing.assert_array_equal(on_disk.practice_amount_pence,
                                  in_memory.practice_amount_pence)
    np.testing.assert_array_equal(on_disk.net_pence, in_memory.net_pence)
    # nothing but the store beside it: the staging folder was renamed, not left behind
    assert sorted(p.name for p in folder.iterdir()) == ["run.zarr"]


def test_to_xarray_opens_the_store_lazily_in_pounds(in_memory, on_disk):
    ds = on_disk.to_xarray()
    assert ds["practice_amount"].chunks is not None          # dask: nothing read yet
    assert ds["practice_amount"].dims == ("simulation", "practice", "year")
    assert ds["practice"].values.tolist() == [f"P{i:03d}" for i in range(1, 13)]
    assert ds["consortium"].values.tolist() == in_memory.consortium.tolist()
    mem = in_memory.to_xarray()
    # pence × 0.01 on disk, pence / 100 in memory: the same pounds to the penny
    np.testing.assert_array_equal(np.rint(ds["practice_amount"].values * 100),
                                  in_memory.practice_amount_pence)
    np.testing.assert_allclose(ds["budget"].values, mem["budget"].values, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ds["list_size"].values, in_memory.list_size.to_numpy())


def test_streamed_statistics_equal_those_of_the_stored_arrays(on_disk):
    amount = on_disk.practice_amount_pence.astype(np.int64)
    net = on_disk.net_pence.astype(np.int64)
    count = N * YEARS
    m = on_disk.metrics()
    # sums to the penny: the streamed sums are the exact integer sums of the stored arrays
    np.testing.assert_array_equal(on_disk.tally.amount_sum, amount.sum(axis=(0, 2)))
    np.testing.assert_array_equal(m["expected_net"], net.sum(axis=(0, 2)) / count / 100)
    np.testing.assert_array_equal(m["expected_freed_up"],
                                  np.maximum(amount, 0).sum(axis=(0, 2)) / count / 100)
    budget = np.rint(on_disk.budget * 100).astype(np.int64).T[None]     # (1, P, years)
    np.testing.assert_array_equal(m["prob_loss_over_fraction"],
                                  (amount < -0.02 * budget).sum(axis=(0, 2)) / count)
    # quantiles within the bound the result states
    per_practice = amount.transpose(1, 0, 2).reshape(len(on_disk.practices), -1)
    bounds = on_disk.quantile_bounds()
    for q, column in ((0.05, "p05_amount"), (0.95, "p95_amount")):
        exact = np.quantile(per_practice, q, axis=1) / 100
        assert (np.abs(m[column].to_numpy() - exact) <= bounds[column].to_numpy() + 1e-9).all()


def test_streamed_metrics_equal_in_memory_full_ones(in_memory, on_disk):
    a, b = on_disk.metrics(), in_memory.metrics()
    exact = ["expected_net", "net_sd", "expected_freed_up", "prob_loss_over_pounds",
             "prob_loss_over_fraction"]
    pd.testing.assert_frame_equal(a[exact], b[exact], check_exact=True)
    np.testing.assert_array_equal(on_disk.commissioner_pence, in_memory.commissioner_pence)


@pytest.mark.parametrize("make, match", [
    (lambda tmp: tmp / "exists.zarr", r"store: .*exists\.zarr' already exists"),
    (lambda tmp: tmp / "a-file" / "run.zarr", r"store: .*a-file' is a file"),
    (lambda tmp: 5, r"store: expected a path .*got int"),
    (lambda tmp: tmp / "..", r"store: .* is not a path a store can be made at"),
])
def test_bad_store_paths_are_refused_with_nothing_written(scn, tmp_path, make, match):
    (tmp_path / "exists.zarr").mkdir()
    (tmp_path / "a-file").write_text("mine")
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ValidationError, match=match):
        simulation.simulate(scn, n=10, keep="full", store=make(tmp_path))
    assert sorted(os.listdir(tmp_path)) == before
    assert os.listdir(tmp_path / "exists.zarr") == []


def test_a_store_needs_keep_full(scn, tmp_path):
    with pytest.raises(ValidationError, match=r"store: .*only with keep='full'"):
        simulation.simulate(scn, n=10, store=tmp_path / "run.zarr")
    assert os.listdir(tmp_path) == []


def test_a_failure_half_way_leaves_no_store(scn, tmp_path, monkeypatch):
    calls = []
    real = store._Writer.add

    def failing(self, first, year, *arrays):
        calls.append(first)
        if len(calls) > 3:
            raise OSError("disk full")
        real(self, first, year, *arrays)

    monkeypatch.setattr(store._Writer, "add", failing)
    with pytest.raises(OSError, match="disk full"):
        simulation.simulate(scn, n=N, years=YEARS, seed=1, keep="full", chunk_size=100,
                            workers=1, store=tmp_path / "deep" / "run.zarr")
    assert os.listdir(tmp_path) == []          # no store, no staging folder, no parent made


def test_missing_zarr_names_the_extra(scn, tmp_path, monkeypatch):
    import importlib

    real = importlib.import_module

    def no_zarr(name, *args):
        if name == "zarr":
            raise ImportError("no zarr")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_zarr)
    with pytest.raises(MissingDependencyError, match=r"pbcmodel\[store\]"):
        simulation.simulate(scn, n=10, keep="full", store=tmp_path / "run.zarr")
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------- losses
def test_losses_counted_on_request_equal_the_full_arrays(scn, in_memory):
    asked = simulation.simulate(scn, n=N, years=YEARS, seed=21,
                                track_losses={"loss_fraction": [0.03, 0.075],
                                              "loss_pounds": [2_500.0]})
    for kwargs in ({"loss_fraction": 0.03}, {"loss_fraction": 0.075},
                   {"loss_pounds": 2_500.0, "loss_fraction": 0.02}):
        got = asked.metrics(**kwargs)
        want = in_memory.metrics(**kwargs)
        for column in ("prob_loss_over_pounds", "prob_loss_over_fraction"):
            np.testing.assert_array_equal(got[column], want[column])
    # hand check of one count: years of P001 with amount < −3% of its budget
    amount = in_memory.practice_amount_pence[:, 0, :].astype(np.int64)
    budget = np.rint(in_memory.budget[:, 0] * 100)
    assert asked.metrics(loss_fraction=0.03)["prob_loss_over_fraction"].iloc[0] == \
        (amount < -0.03 * budget[None, :]).sum() / (N * YEARS)


def test_an_untracked_loss_says_how_to_ask_for_it(scn):
    res = simulation.simulate(scn, n=50, seed=1)
    with pytest.raises(ValidationError, match=r"loss_fraction: 0\.03 is not counted by this "
                                              r"simulation .*track_losses=\{'loss_fraction': "
                                              r"\[0\.03\]\}"):
        res.metrics(loss_fraction=0.03)
    with pytest.raises(ValidationError, match=r"track_losses=\{'loss_pounds': \[500\]\}"):
        res.metrics(loss_pounds=500)


@pytest.mark.parametrize("value, match", [
    ({"loss_fraction": 1.5}, r"track_losses\['loss_fraction'\]: must be in \(0\.0, 1\.0\]"),
    ({"loss_pounds": -1}, r"track_losses\['loss_pounds'\]: must be between £0"),
    ({"loss_fractions": [0.1]}, r"track_losses: expected a mapping of 'loss_fraction'"),
    ({"loss_fraction": "3%"}, r"track_losses\['loss_fraction'\]: expected finite numbers"),
    ([0.03], r"track_losses: expected a mapping"),
])
def test_bad_track_losses_are_refused(scn, value, match):
    with pytest.raises(ValidationError, match=match):
        simulation.simulate(scn, n=10, track_losses=value)


def test_design_asks_for_the_losses_its_aims_need(monkeypatch):
    scn = pbc.Scenario.example(high_cost_threshold=None)
    asked = []
    real = simulation.run_with

    def spy(scenarios, options):
        asked.append(options.loss_fractions)
        return real(scenarios, options)

    monkeypatch.setattr(simulation, "run_with", spy)
    best = optimise(scn, {"overspend.practice_share": (0.0, 1.0, 0.5)},
                    objective="max_practice_prob_loss_over_3pct",
                    constraints={"max_band_prob_loss_over_7.5pct": {"max": 0.5}},
                    years=1, n=100, method="normal", max_evaluations=8, replicates=2)
    assert all(0.03 in f and 0.075 in f for f in asked)
    assert 0 <= best.figures.loc["max_practice_prob_loss_over_3pct", "fresh"] <= 1


# ----------------------------------------------------------------------------- memory
def test_memory_parts_by_hand():
    # 10,000 simulations × 60 practices × 3 years kept in memory: amount and net cash int32,
    # outturn int64 = 10,000 × 60 × 3 × (4 + 4 + 8) B = 28,800,000 B, not copied on one
    # thread
    parts = memory.simulation_parts(10_000, 60, 3, keep="full")
    assert parts["full"] == 28_800_000 and parts["finish"] == 0
    # two local threads write their rows into one set of arrays: nothing to join at the end
    assert memory.simulation_parts(10_000, 60, 3, keep="full", workers=2)["finish"] == 0
    # dask workers' ranges are joined here one array at a time: room for the largest, the
    # outturn, 10,000 × 60 × 3 × 8 B
    assert memory.simulation_parts(10_000, 60, 3, keep="full", workers=2,
                                   engine="client")["finish"] == 14_400_000
    # a store keeps nothing per simulation in memory
    assert memory.simulation_parts(10_000, 60, 3, keep="full", on_disk=1)["full"] == 0
    # streamed: the commissioner's three int64 totals per simulation-year, twice (merge)
    small = memory.simulation_parts(10_000, 60, 3)["tallies"]
    large = memory.simulation_parts(20_000, 60, 3)["tallies"]
    assert large - small == 10_000 * 3 * 3 * 8 * 2


def test_a_users_cluster_leaves_only_the_results_in_this_process():
    # national size on a user's cluster: the distributions (50 KB a practice, ~380 MiB)
    # and work arrays live on the workers; here only two tallies at a time
    client = memory.simulation_parts(10_000, 8_000, 3, engine="client", workers=2)
    local = memory.simulation_parts(10_000, 8_000, 3, workers=2)
    for part in ("build", "distributions", "draws", "drawing", "settlement"):
        assert client[part] == 0 and local[part] > 0, part
    assert client["tallies"] == local["tallies"]
    # a laptop with 600 MiB free can drive it; it could not run it itself
    memory.check_simulation_memory(10_000, 8_000, 3, engine="client", workers=2,
                                   available=600 * 2**20)
    with pytest.raises(ValidationError, match=r"^--n 10,000: this simulation needs about"):
        memory.check_simulation_memory(10_000, 8_000, 3, workers=2, available=600 * 2**20)
    # a LocalCluster on this machine: every worker process holds a copy
    dask = memory.simulation_parts(10_000, 8_000, 3, engine="dask", workers=2)
    assert dask["distributions"] == 2 * local["distributions"]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 10**7), practices=st.integers(1, 10_000), years=st.integers(1, 10),
       keep=st.sampled_from(["stats", "full"]))
def test_estimate_grows_with_n_and_full_costs_more(n, practices, years, keep):
    a = memory.simulation_bytes(n, practices, years, keep=keep)
    assert memory.simulation_bytes(n + 1_000, practices, years, keep=keep) >= a
    assert memory.simulation_bytes(n, practices, years, keep="full") >= \
        memory.simulation_bytes(n, practices, years)


def test_simulate_refuses_an_impossible_request_before_work(scn, monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: 2 * 2**30)     # a 2 GiB machine
    monkeypatch.setattr(risk, "spend_sampler", lambda *a, **k: pytest.fail("work started"))
    with pytest.raises(ValidationError, match=r"^n 5,000,000: this simulation needs about "
                                              r"[\d.,]+ GiB .*keeping every practice's amounts"
                                              r".*use n [\d,]+ or fewer, keep='stats' .*"
                                              r"store='run\.zarr'.*or fewer years$"):
        simulation.simulate(scn, n=5_000_000, years=3, keep="full")
    # streamed, the same run fits: only the commissioner's totals grow with n
    assert memory.simulation_bytes(5_000_000, scn.population.n_practices, 3) < 0.8 * 2 * 2**30


def test_largest_n_suggested_fits_and_one_more_does_not():
    room = 0.8 * 4 * 2**30
    with pytest.raises(ValidationError) as info:
        memory.check_simulation_memory(10**8, 8_000, 3, keep="full", available=4 * 2**30)
    largest = int(str(info.value).split("use --n ")[1].split(" ")[0].replace(",", ""))
    assert memory.simulation_bytes(largest, 8_000, 3, keep="full") <= room
    assert memory.simulation_bytes(largest + 1, 8_000, 3, keep="full") > room


def test_dask_workers_write_the_same_store(scn, in_memory, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = simulation.simulate(scn, n=N, years=YEARS, seed=21, keep="full",
                                     engine="dask", client=client, store=tmp_path / "d.zarr")
    np.testing.assert_array_equal(remote.practice_amount_pence, in_memory.practice_amount_pence)
    np.testing.assert_array_equal(remote.net_pence, in_memory.net_pence)


def test_any_loss_is_counted_from_the_store(in_memory, on_disk):
    # not tracked while simulating: read from the store block by block, equal to in memory
    for kwargs in ({"loss_fraction": 0.037}, {"loss_pounds": 1_234.5}):
        np.testing.assert_array_equal(on_disk.metrics(**kwargs)["prob_loss_over_fraction"],
                                      in_memory.metrics(**kwargs)["prob_loss_over_fraction"])
        np.testing.assert_array_equal(on_disk.metrics(**kwargs)["prob_loss_over_pounds"],
                                      in_memory.metrics(**kwargs)["prob_loss_over_pounds"])


def test_scenario_simulate_passes_the_store_and_tracked_losses_on(scn, in_memory, tmp_path):
    """``Scenario.simulate`` is the same door as ``simulation.simulate``, options included."""
    res = scn.simulate(n=N, years=YEARS, seed=21, keep="full", store=tmp_path / "s.zarr",
                       track_losses={"loss_fraction": [0.03]})
    assert (tmp_path / "s.zarr").is_dir()
    np.testing.assert_array_equal(res.practice_amount_pence, in_memory.practice_amount_pence)
    np.testing.assert_array_equal(res.metrics(loss_fraction=0.03)["prob_loss_over_fraction"],
                                  in_memory.metrics(loss_fraction=0.03)["prob_loss_over_fraction"])
