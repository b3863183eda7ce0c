"""Shared fixtures: the twins (``tests/_twins.py``) and the runtime's ``system``
(``tests/_support.py``).

``framing_impl``, ``codec_impl``, ``matcher_impl`` and ``netio_impl`` run a test on the
compiled and on the pure twin (ids end in ``[cython]`` / ``[python]``); the compiled cases
are deselected under ``--no-c-extensions`` and when the compiled twin is not built, unless
``OSCWIRE_REQUIRE_EXTENSIONS=1``. ``system`` is a started system, chosen by the ``system``
marker; :func:`_support.pump` waits for it.
"""

from __future__ import annotations

import pytest

from _support import parametrize_system, system
from _twins import (
    codec_impl,
    codec_twins,
    framing_impl,
    framing_twins,
    matcher_impl,
    netio_impl,
    netio_twins,
    pytest_addoption,
)

__all__ = [
    "codec_impl",
    "codec_twins",
    "framing_impl",
    "framing_twins",
    "matcher_impl",
    "netio_impl",
    "netio_twins",
    "pytest_addoption",
    "system",
]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_system(metafunc)
