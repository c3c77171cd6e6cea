"""SimulationOptions: checked once where it is made, with the public entry points' messages."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import pbcmodel as pbc
from pbcmodel.errors import ValidationError
from pbcmodel.scenario import simulation
from pbcmodel.scenario.options import SimulationOptions, check_counts


@pytest.mark.parametrize("changes, match", [
    ({"n": 0}, r"^n: must be a positive whole number, got 0$"),
    ({"years": 2.5}, r"^years: must be a positive whole number, got 2\.5$"),
    ({"n": True}, r"^n: must be a positive whole number, got True$"),
    ({"chunk_size": -1}, r"^chunk_size: must be a positive whole number, got -1$"),
    ({"workers": 0}, r"^workers: must be a positive whole number, got 0$"),
    ({"method": "exact"}, r"^method: must be one of \('fft', 'normal', 'mc'\), got 'exact'$"),
    ({"keep": "all"}, r"^keep: must be one of \('stats', 'full'\), got 'all'$"),
    ({"engine": "spark"}, r"^engine: must be one of \('local', 'dask'\), got 'spark'$"),
    ({"client": object()}, r"^client: only used with engine='dask'$"),
    ({"track_losses": [0.03]}, r"^track_losses: expected a mapping"),
    ({"stores": ["run.zarr"]}, r"^store: the per-practice arrays are written to a store only "
                               r"with keep='full'"),
    ({"seed": -1}, r"^seed: expected None, a whole number >= 0"),
])
def test_each_option_is_refused_with_the_message_of_the_entry_points(changes, match):
    with pytest.raises(ValidationError, match=match):
        SimulationOptions(**changes)
    # the public door says the same, before any work
    with pytest.raises(ValidationError, match=match):
        simulation.run([pbc.Scenario.example()], **{"n": 5, "years": 1, "seed": 0, **changes})


def test_counts_are_checked_first_as_the_entry_points_always_did():
    with pytest.raises(ValidationError, match="^n: "):
        SimulationOptions(n=0, method="exact", engine="spark")
    with pytest.raises(ValidationError, match="^method: "):
        SimulationOptions(method="exact", engine="spark", seed=-1)


def test_numpy_counts_become_python_integers():
    options = SimulationOptions(n=np.int64(7), years=np.int32(2), chunk_size=np.int16(3),
                                workers=np.int64(2))
    assert (options.n, options.years, options.chunk_size, options.workers) == (7, 2, 3, 2)
    assert all(type(v) is int for v in (options.n, options.years, options.chunk_size,
                                         options.workers))
    assert check_counts(np.int64(3), 1) == (3, 1)


def test_a_fresh_seed_is_drawn_once_and_shared_by_every_scenario():
    options = SimulationOptions(n=50, seed=None)
    assert options.root is options.root
    a, b = simulation.run_with([pbc.Scenario.example(), pbc.Scenario.example(name="b")],
                               options)
    np.testing.assert_array_equal(a.pool_pence, b.pool_pence)
    assert a.seed is None


def test_options_sent_to_a_worker_leave_the_client_behind_and_keep_the_root():
    class Client:                            # stands in for a distributed.Client
        def __reduce__(self):
            raise TypeError("a client does not travel")

    options = SimulationOptions(n=10, seed=None, engine="dask", client=Client(),
                                track_losses={"loss_fraction": [0.03]})
    sent = pickle.loads(pickle.dumps(options))
    assert sent.client is None
    assert sent.root.entropy == options.root.entropy
    assert sent.loss_fractions == options.loss_fractions == (0.01, 0.02, 0.03, 0.05, 0.1)
    assert (sent.n, sent.engine) == (10, "dask")


def test_stores_are_counted_against_the_scenarios(tmp_path):
    options = SimulationOptions(keep="full", stores=[tmp_path / "a.zarr", None])
    assert options.targets(2) == [tmp_path / "a.zarr", None]
    with pytest.raises(ValidationError, match=r"^stores: expected one store path \(or None\) "
                                              r"per scenario, 3 in all"):
        options.targets(3)
    with pytest.raises(ValidationError, match="the same path is given for two scenarios"):
        SimulationOptions(keep="full", stores=[tmp_path / "a.zarr", tmp_path / "a.zarr"])
    with pytest.raises(ValidationError, match="per scenario, 1 in all, got 'run.zarr'"):
        simulation.run([pbc.Scenario.example()], 5, 1, 0, keep="full", stores="run.zarr")
