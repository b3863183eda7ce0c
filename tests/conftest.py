"""Shared fixtures: every compiled part is tested against its compiled and its pure twin.

``framing_impl``, ``codec_impl`` and ``matcher_impl`` yield the twin module; test ids end in
``[cython]`` or ``[python]``. A compiled case is skipped when that twin is not built, except
under ``OSCWIRE_REQUIRE_EXTENSIONS=1``, where it fails. ``--no-c-extensions`` deselects the
compiled cases.

``system`` (``tests/_support.py``) is a started system, chosen by the ``system`` marker;
``_support.pump`` waits for it.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from _support import parametrize_system, system
from oscwire import _accel

__all__ = ["system"]

IMPLEMENTATIONS = ("cython", "python")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--no-c-extensions",
        action="store_true",
        help="run only the pure-Python twins",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_system(metafunc)


def load_twin_or_skip(request: pytest.FixtureRequest, part: str) -> ModuleType:
    """The twin of *part* named by the fixture parameter, or a skip/fail when it is missing."""
    implementation = request.param
    if implementation == "cython" and request.config.getoption("--no-c-extensions"):
        pytest.skip("--no-c-extensions")
    try:
        return _accel.load_twin(part, implementation)
    except ImportError as error:
        if implementation == "cython" and _accel.REQUIRE_EXTENSIONS:
            pytest.fail(
                f"OSCWIRE_REQUIRE_EXTENSIONS is set but the compiled {part} is missing: {error}"
            )
        pytest.skip(f"compiled {part} twin not built: {error}")


@pytest.fixture(params=IMPLEMENTATIONS, scope="session")
def framing_impl(request: pytest.FixtureRequest) -> ModuleType:
    return load_twin_or_skip(request, "framing")


@pytest.fixture(params=IMPLEMENTATIONS, scope="session")
def codec_impl(request: pytest.FixtureRequest) -> ModuleType:
    return load_twin_or_skip(request, "codec")


@pytest.fixture(params=IMPLEMENTATIONS, scope="session")
def matcher_impl(request: pytest.FixtureRequest) -> ModuleType:
    return load_twin_or_skip(request, "matcher")


@pytest.fixture(params=IMPLEMENTATIONS, scope="session")
def netio_impl(request: pytest.FixtureRequest) -> ModuleType:
    return load_twin_or_skip(request, "netio")
