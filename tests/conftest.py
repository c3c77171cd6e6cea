"""Shared fixtures and hypothesis settings."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

import pbcmodel as pbc

matplotlib.use("Agg")

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

DATA = Path(__file__).parent / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-long", action="store_true",
                     help="run many more fuzz examples (same as PBCMODEL_FUZZ_LONG=1)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--fuzz-long"):
        os.environ["PBCMODEL_FUZZ_LONG"] = "1"     # read by tests/test_fuzz.py


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def twelve_practices() -> pbc.Scenario:
    """The example policy (70/30 gated, tolerance, cap, two-year recovery, incentives,
    threshold, common shock) on twelve practices, with liabilities carried between years:
    simulations small and fast enough to compare in full (streaming, stores)."""
    population = pbc.datasets.example_population().subset([f"P{i:03d}" for i in range(1, 13)])
    return pbc.Scenario.example(population=population, historic=None, resource=95e6,
                                cost_growth=0.02)
