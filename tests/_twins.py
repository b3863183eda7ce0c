"""The compiled and pure twins as fixtures, for tests/ and bench/suites/ alike.

``codec_impl``, ``framing_impl``, ``matcher_impl`` and ``netio_impl`` yield one twin module
of their part: a test that takes one runs once per twin, its ids ending in ``[cython]`` or
``[python]``. ``codec_twins``, ``framing_twins`` and ``netio_twins`` yield the pair
``(compiled, pure)`` for the differential tests.

A case that needs a compiled twin is *deselected* at collection (pytest counts it under
"deselected"; ``-ra`` lists no skip for it) under ``--no-c-extensions``, and when that
compiled twin is not built (a pure install) unless ``OSCWIRE_REQUIRE_EXTENSIONS=1`` is set:
then the case stays and fails, naming the missing module. A line after the collection
says how many cases were deselected and why.

A conftest uses this module by importing the fixtures and :func:`pytest_addoption`; the
option and the selection are registered once however many conftests import them.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

import pytest

from oscwire import _accel

IMPLEMENTATIONS = ("cython", "python")
COMPILED = "cython"
OPTION = "--no-c-extensions"
_PLUGIN = "oscwire-twin-selection"

#: Parameters whose value names a twin, and the parts that value loads. ``twin`` is the
#: whole runtime on one twin: the fixture of ``tests/_support_api.py`` (a str) and the
#: parameter of ``tests/compat/`` (an enum whose value is the name).
TWIN_PARAMETERS: dict[str, tuple[str, ...]] = {
    "codec_impl": ("codec",),
    "framing_impl": ("framing",),
    "matcher_impl": ("matcher",),
    "netio_impl": ("netio",),
    "twin": _accel.PARTS,
}
#: Fixtures that always load the compiled twin of a part (the differential pairs).
PAIR_FIXTURES: dict[str, str] = {
    "codec_twins": "codec",
    "framing_twins": "framing",
    "netio_twins": "netio",
}


def load(part: str, implementation: str) -> ModuleType:
    """The *implementation* twin of *part*; a missing compiled twin fails the test when
    ``OSCWIRE_REQUIRE_EXTENSIONS`` is set (otherwise its cases were deselected)."""
    try:
        return _accel.load_twin(part, implementation)
    except ImportError as error:
        if implementation == COMPILED and _accel.REQUIRE_EXTENSIONS:
            pytest.fail(
                f"OSCWIRE_REQUIRE_EXTENSIONS is set but the compiled {part} twin is missing: "
                f"{error}"
            )
        raise


@pytest.fixture(params=IMPLEMENTATIONS, scope="session")
def framing_impl(request: pytest.FixtureRequest) -> ModuleType:
    return load("framing", request.param)


@pytest.fixture(params=IMPLEMENTATIONS, scope="session")
def codec_impl(request: pytest.FixtureRequest) -> ModuleType:
    return load("codec", request.param)


@pytest.fixture(params=IMPLEMENTATIONS, scope="session")
def matcher_impl(request: pytest.FixtureRequest) -> ModuleType:
    return load("matcher", request.param)


@pytest.fixture(params=IMPLEMENTATIONS, scope="session")
def netio_impl(request: pytest.FixtureRequest) -> ModuleType:
    return load("netio", request.param)


@pytest.fixture(scope="session")
def codec_twins() -> tuple[ModuleType, ModuleType]:
    return load("codec", COMPILED), load("codec", "python")


@pytest.fixture(scope="session")
def framing_twins() -> tuple[ModuleType, ModuleType]:
    return load("framing", COMPILED), load("framing", "python")


@pytest.fixture(scope="session")
def netio_twins() -> tuple[ModuleType, ModuleType]:
    return load("netio", COMPILED), load("netio", "python")


def compiled_parts(item: pytest.Item) -> set[str]:
    """The parts whose compiled twin the test case *item* runs on."""
    parts: set[str] = set()
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        for name, needs in TWIN_PARAMETERS.items():
            value = callspec.params.get(name)
            if getattr(value, "value", value) == COMPILED:
                parts.update(needs)
    fixtures: Iterable[str] = getattr(item, "fixturenames", ())
    parts.update(PAIR_FIXTURES[name] for name in fixtures if name in PAIR_FIXTURES)
    return parts


def unbuilt_parts() -> set[str]:
    """The parts whose compiled twin is not built (its import raises ImportError). Any
    other error of a compiled module keeps its cases, which then raise it."""
    unbuilt = set()
    for part in _accel.PARTS:
        try:
            _accel.load_twin(part, COMPILED)
        except ImportError:
            unbuilt.add(part)
        except Exception:
            continue  # built but broken: its cases stay, and each raises this error
    return unbuilt


class TwinSelection:
    """The plugin that deselects the compiled cases (registered once per run)."""

    def __init__(self) -> None:
        self.deselected = 0
        self.reason = ""

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if config.getoption(OPTION):
            unwanted = set(_accel.PARTS)
            self.reason = OPTION
        elif _accel.REQUIRE_EXTENSIONS:
            return
        else:
            unwanted = unbuilt_parts()
            self.reason = "compiled twin not built: " + ", ".join(sorted(unwanted))
        if not unwanted:
            return
        kept, dropped = [], []
        for item in items:
            (dropped if compiled_parts(item) & unwanted else kept).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
            self.deselected += len(dropped)

    def pytest_report_collectionfinish(self) -> list[str]:
        if not self.deselected:
            return []
        return [f"oscwire: {self.deselected} compiled-twin cases deselected ({self.reason})"]


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Add ``--no-c-extensions`` and the selection plugin, unless another conftest did."""
    if pluginmanager.has_plugin(_PLUGIN):
        return
    parser.addoption(
        OPTION,
        action="store_true",
        help="run only the pure-Python twins: the compiled-twin cases are deselected",
    )
    pluginmanager.register(TwinSelection(), _PLUGIN)
