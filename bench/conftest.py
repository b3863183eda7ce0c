"""Benchmark fixtures: the same twin fixtures as the tests, so compiled and pure run side by side.

Run: ``python -m pytest bench/ --benchmark-only`` (add ``--benchmark-group-by=func`` to see
each workload's compiled and pure rows next to each other).
"""

from __future__ import annotations

from types import ModuleType

import pytest

from oscwire import _accel


def _twin(request: pytest.FixtureRequest, part: str) -> ModuleType:
    try:
        return _accel.load_twin(part, request.param)
    except ImportError as error:
        pytest.skip(f"{request.param} twin of {part} not available: {error}")


@pytest.fixture(params=["cython", "python"], scope="session")
def framing_impl(request: pytest.FixtureRequest) -> ModuleType:
    return _twin(request, "framing")


@pytest.fixture(params=["cython", "python"], scope="session")
def codec_impl(request: pytest.FixtureRequest) -> ModuleType:
    return _twin(request, "codec")


@pytest.fixture(params=["cython", "python"], scope="session")
def matcher_impl(request: pytest.FixtureRequest) -> ModuleType:
    return _twin(request, "matcher")


@pytest.fixture(params=["cython", "python"], scope="session")
def netio_impl(request: pytest.FixtureRequest) -> ModuleType:
    return _twin(request, "netio")
