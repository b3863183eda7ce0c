"""The compat suite's marker (``pytest -m compat`` runs only it, ``-m 'not compat'`` skips it)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "compat: an osc4py3 program run with osc4py3 and, import renamed, with oscwire",
    )
