"""Benchmark fixtures: the tests' own twin fixtures and ``system``, so that compiled and
pure run side by side under the same ids (``[cython]`` / ``[python]``).

Run: ``python -m pytest bench/suites --benchmark-only`` (add ``--benchmark-group-by=func``
to see each workload's compiled and pure rows next to each other; ``--no-c-extensions``
deselects the compiled rows, as in the tests).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent
# The workloads shared with bench/compare/ (bench/), and the tests' fixtures (tests/).
for directory in (BENCH, BENCH.parent / "tests"):
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))

from _support import parametrize_system, system  # noqa: E402
from _twins import (  # noqa: E402
    codec_impl,
    framing_impl,
    matcher_impl,
    netio_impl,
    pytest_addoption,
)

__all__ = [
    "codec_impl",
    "framing_impl",
    "matcher_impl",
    "netio_impl",
    "pytest_addoption",
    "system",
]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_system(metafunc)
