"""The implementation selector: compiled by default, pure on request, never silently pure."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import oscwire
from oscwire import _accel

PROBE = "import oscwire; print(oscwire.IMPLEMENTATION, sorted(set(oscwire.implementations().values())))"


def run_probe(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OSCWIRE_")}
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_no_extensions_selects_pure_twins(value):
    assert run_probe(OSCWIRE_NO_EXTENSIONS=value) == "python ['python']"


def test_default_selection_matches_what_is_built():
    built = all(_accel.compiled_available(part) for part in _accel.PARTS)
    expected = "cython ['cython']" if built else "python"
    assert run_probe().startswith(expected)


def test_required_extensions_are_in_use():
    """Under OSCWIRE_REQUIRE_EXTENSIONS=1 (CI, wheels) a missing compiled core is a failure."""
    if not _accel.REQUIRE_EXTENSIONS:
        pytest.skip("OSCWIRE_REQUIRE_EXTENSIONS is not set")
    assert oscwire.IMPLEMENTATION == "cython"
    assert set(oscwire.implementations().values()) == {"cython"}


def test_load_twin_rejects_unknown_names():
    with pytest.raises(ValueError):
        _accel.load_twin("nothing", "python")
    with pytest.raises(ValueError):
        _accel.load_twin("framing", "rust")


def test_every_part_has_a_pure_twin():
    for part in _accel.PARTS:
        assert _accel.load_twin(part, "python").__name__ == f"oscwire._{part}_py"


def test_twins_expose_the_same_names():
    for part in _accel.PARTS:
        if not _accel.compiled_available(part):
            continue
        pure = _accel.load_twin(part, "python")
        compiled = _accel.load_twin(part, "cython")
        public = set(getattr(pure, "__all__", [n for n in dir(pure) if not n.startswith("_")]))
        missing = {name for name in public if not hasattr(compiled, name)}
        assert not missing, f"{part}: compiled twin lacks {sorted(missing)}"


def test_version():
    assert oscwire.__version__.count(".") >= 2
