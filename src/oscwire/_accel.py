"""Pick the compiled or the pure-Python implementation of each hot part, once, at import.

The compiled twins live in ``oscwire._<part>_c`` (built from ``cext/``), the pure ones in
``oscwire._<part>_py``. The compiled twin is used when it imports, unless the environment
variable ``OSCWIRE_NO_EXTENSIONS`` is set to a true value or the interpreter is not CPython.
Public modules get their implementation through :func:`load` only.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import platform
import warnings
from types import ModuleType

#: The parts that have a compiled and a pure twin.
PARTS: tuple[str, ...] = ("framing", "codec", "matcher", "netio")

_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def env_flag(name: str) -> bool:
    """True when the environment variable *name* is set to 1/true/yes/on (any case)."""
    return os.environ.get(name, "").strip().lower() in _TRUE_WORDS


NO_EXTENSIONS: bool = env_flag("OSCWIRE_NO_EXTENSIONS") or (
    platform.python_implementation() != "CPython"
)
REQUIRE_EXTENSIONS: bool = env_flag("OSCWIRE_REQUIRE_EXTENSIONS")


def load_twin(part: str, implementation: str) -> ModuleType:
    """Import one twin of *part* explicitly: ``"cython"`` or ``"python"``.

    Raises :class:`ImportError` when that twin is not available (e.g. not compiled).
    """
    if part not in PARTS:
        raise ValueError(f"unknown accelerated part {part!r}; known: {', '.join(PARTS)}")
    suffix = {"cython": "c", "python": "py"}.get(implementation)
    if suffix is None:
        raise ValueError(f"implementation must be 'cython' or 'python', not {implementation!r}")
    return importlib.import_module(f"oscwire._{part}_{suffix}")


def compiled_available(part: str) -> bool:
    """True when the compiled twin of *part* can be imported."""
    try:
        load_twin(part, "cython")
    except ImportError:
        return False
    return True


def load(part: str) -> ModuleType:
    """The twin of *part* this process uses: compiled when allowed and built, else pure."""
    if not NO_EXTENSIONS:
        try:
            return load_twin(part, "cython")
        except ImportError:
            pass
    return load_twin(part, "python")


def _choose() -> str:
    if NO_EXTENSIONS:
        return "python"
    return "cython" if all(compiled_available(part) for part in PARTS) else "python"


#: ``"cython"`` when every part runs compiled, ``"python"`` otherwise.
IMPLEMENTATION: str = _choose()


def broken_compiled() -> dict[str, str]:
    """The parts whose compiled module is installed for this interpreter but does not
    import (stale, or built against another version), with the ImportError's text."""
    package = os.path.dirname(os.path.abspath(__file__))
    broken: dict[str, str] = {}
    for part in PARTS:
        installed = any(
            os.path.exists(os.path.join(package, f"_{part}_c{suffix}"))
            for suffix in importlib.machinery.EXTENSION_SUFFIXES
        )
        if not installed:
            continue
        try:
            load_twin(part, "cython")
        except ImportError as error:
            broken[part] = str(error)
    return broken


def warn_if_fallen_back() -> None:
    """Warn when oscwire runs pure Python without being asked: the build fell back (no C
    compiler), or a compiled module is installed but does not import. The program works,
    slower, and nothing else would say why."""
    from oscwire._build_info import FALLBACK

    if NO_EXTENSIONS or IMPLEMENTATION == "cython":
        return
    reasons = [FALLBACK] if FALLBACK else []
    reasons += [f"{part}: {error}" for part, error in sorted(broken_compiled().items())]
    if reasons:
        warnings.warn(
            f"oscwire runs without its compiled core ({'; '.join(reasons)}): same API, "
            "slower. Reinstall with a C compiler, or set OSCWIRE_NO_EXTENSIONS=1 to choose "
            "the pure-Python twins and silence this.",
            OSCPerformanceWarning,
            stacklevel=3,
        )


class OSCPerformanceWarning(RuntimeWarning):
    """oscwire runs slower than it could (its compiled core is missing)."""


def implementations() -> dict[str, str]:
    """Which twin each part uses in this process, e.g. ``{"framing": "cython", ...}``."""
    return {part: "cython" if load(part).__name__.endswith("_c") else "python" for part in PARTS}
