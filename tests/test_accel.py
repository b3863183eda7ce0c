"""The implementation selector: compiled by default, pure on request, never silently pure."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import oscwire
from oscwire import _accel

PROBE = (
    "import oscwire; print(oscwire.IMPLEMENTATION, sorted(set(oscwire.implementations().values())))"
)


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


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def build_with_broken_compiler(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """Run setup.py build_ext on a copy of the sources with a C compiler that always fails."""
    pytest.importorskip("Cython")
    # The build requirement of pyproject.toml (older ones refuse its license field).
    pytest.importorskip("setuptools", minversion="77")
    if not (ROOT / "setup.py").exists() or not (ROOT / "cext").is_dir():
        pytest.skip("the source tree (setup.py, cext/) is not next to the tests")
    import shutil

    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "cext", tmp_path / "cext", ignore=shutil.ignore_patterns("*.c"))
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("*.so", "*.pyd"))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OSCWIRE_")}
    environment.pop("CIBUILDWHEEL", None)
    environment.update(CC="false", LDSHARED="false", **env)
    return subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--build-lib", "lib", "--build-temp", "tmp"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="CC=false is a POSIX trick")
def test_failed_compilation_falls_back_with_one_line(tmp_path):
    result = build_with_broken_compiler(tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("oscwire:")]
    assert len(lines) == 1, lines
    assert "pure-Python" in lines[0]
    assert not list(tmp_path.glob("lib/**/*.so"))
    # The build records why, and importing that build says it (pip hides the build's
    # output unless -v): one warning, naming the cause and how to silence it.
    info = (tmp_path / "lib" / "oscwire" / "_build_info.py").read_text()
    assert "no working C compiler" in info or "failed" in info
    import shutil

    shutil.copytree(tmp_path / "src" / "oscwire", tmp_path / "site" / "oscwire")
    shutil.copy(tmp_path / "lib" / "oscwire" / "_build_info.py", tmp_path / "site" / "oscwire")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OSCWIRE_")}
    environment["PYTHONPATH"] = str(tmp_path / "site")
    imported = subprocess.run(
        [sys.executable, "-c", "import oscwire; print(oscwire.IMPLEMENTATION)"],
        env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert imported.stdout.strip() == "python"
    assert "OSCPerformanceWarning: oscwire runs without its compiled core" in imported.stderr
    assert "OSCWIRE_NO_EXTENSIONS=1" in imported.stderr
    environment["OSCWIRE_NO_EXTENSIONS"] = "1"
    chosen = subprocess.run(
        [sys.executable, "-c", "import oscwire"], env=environment, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert chosen.stderr == ""


@pytest.mark.skipif(sys.platform == "win32", reason="CC=false is a POSIX trick")
def test_failed_compilation_is_an_error_when_extensions_are_required(tmp_path):
    result = build_with_broken_compiler(tmp_path, OSCWIRE_REQUIRE_EXTENSIONS="1")
    assert result.returncode != 0
    assert "OSCWIRE_REQUIRE_EXTENSIONS" in result.stderr


def test_an_installed_compiled_module_that_does_not_import_is_said(tmp_path):
    """A stale or foreign compiled module (here: not a shared object at all) falls back to
    the pure twin, and import oscwire says which one and why; a tree without compiled
    modules (a pure build) stays quiet."""
    import importlib.machinery
    import shutil

    import oscwire

    package = tmp_path / "site" / "oscwire"
    shutil.copytree(
        os.path.dirname(oscwire.__file__), package, ignore=shutil.ignore_patterns("__pycache__")
    )
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for stale in package.glob("_netio_c*"):
        stale.unlink()
    (package / f"_netio_c{suffix}").write_bytes(b"not a shared object")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OSCWIRE_")}
    environment["PYTHONPATH"] = str(tmp_path / "site")
    code = "import oscwire; print(oscwire.implementations()['netio'])"
    broken = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60
    )
    assert broken.returncode == 0, broken.stderr
    assert broken.stdout.strip() == "python"
    assert "OSCPerformanceWarning: oscwire runs without its compiled core (netio:" in broken.stderr
    for compiled in {*package.glob("_*_c*.so"), *package.glob("_*_c*.pyd")}:
        compiled.unlink()
    pure = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60
    )
    assert pure.stdout.strip() == "python"
    assert pure.stderr == ""
