"""Build script: compiles ``cext/*.pyx`` into ``oscwire.<name>`` extensions with Cython.

The compiled core is optional at install time. When Cython or a C compiler is missing,
or compilation fails, the pure-Python package is installed and one line says so, unless
``OSCWIRE_REQUIRE_EXTENSIONS=1`` (or ``CIBUILDWHEEL=1``) is set: then the build fails.
``OSCWIRE_NO_EXTENSIONS=1`` skips compilation altogether (a pure build).
``OSCWIRE_BUILD_ONLY=_codec_c,_framing_c`` limits a build to some extensions (development).
``OSCWIRE_SANITIZE=address,undefined`` builds them for the sanitizer job (``.ci/sanitize``):
``-fsanitize=...`` at compile and link time, ``-O1 -g -fno-omit-frame-pointer`` for
readable reports. Never for a shipped build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Typed without setuptools' stubs (not a dependency): mypy sees Any here.
from setuptools import Extension, setup  # type: ignore[import-untyped, unused-ignore]
from setuptools.command.build_ext import (  # type: ignore[import-untyped, unused-ignore]
    build_ext,
)

HERE = Path(__file__).parent
TRUE_WORDS = {"1", "true", "yes", "on"}


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in TRUE_WORDS


REQUIRE = env_flag("OSCWIRE_REQUIRE_EXTENSIONS") or env_flag("CIBUILDWHEEL")
NO_EXTENSIONS = env_flag("OSCWIRE_NO_EXTENSIONS")


def say(message: str) -> None:
    print(f"oscwire: {message}", file=sys.stderr)


#: Why the build fell back to pure Python (None: it did not); written into the package.
FALLBACKS: list[str] = []


def fall_back(reason: str, outcome: str = "installing the pure-Python package") -> None:
    if REQUIRE:
        raise SystemExit(f"oscwire: {reason}, and OSCWIRE_REQUIRE_EXTENSIONS is set")
    say(f"{reason}; {outcome} (same API, slower)")
    FALLBACKS.append(f"{reason}; {outcome}")


def extension_modules() -> list[Extension]:
    if NO_EXTENSIONS:
        if REQUIRE:
            raise SystemExit(
                "oscwire: OSCWIRE_NO_EXTENSIONS and OSCWIRE_REQUIRE_EXTENSIONS conflict"
            )
        say("OSCWIRE_NO_EXTENSIONS is set; building the pure-Python package")
        return []
    sources = sorted(HERE.glob("cext/*.pyx"))
    only = {
        name.strip() for name in os.environ.get("OSCWIRE_BUILD_ONLY", "").split(",") if name.strip()
    }
    if only:
        sources = [path for path in sources if path.stem in only]
    try:
        from Cython.Build import cythonize
    except ImportError:
        fall_back("Cython is not available")
        return []
    # No debug info in the shipped modules (-g0): a fifth of the size, the same speed.
    flags = [] if sys.platform == "win32" else ["-O3", "-g0"]
    link_flags: list[str] = []
    sanitize = os.environ.get("OSCWIRE_SANITIZE", "").strip()
    if sanitize:
        flags = ["-O1", "-g", "-fno-omit-frame-pointer", f"-fsanitize={sanitize}"]
        link_flags = [f"-fsanitize={sanitize}"]
        say(f"building with -fsanitize={sanitize} (sanitizer job only, not for shipping)")
    extensions = [
        Extension(
            f"oscwire.{path.stem}",
            [str(path.relative_to(HERE))],
            extra_compile_args=flags,
            extra_link_args=link_flags,
        )
        for path in sources
    ]
    try:
        return cythonize(  # type: ignore[no-any-return, no-untyped-call, unused-ignore]
            extensions,
            compiler_directives={
                "language_level": 3,
                "boundscheck": False,
                "wraparound": False,
                "cdivision": True,
                "embedsignature": True,
            },
            quiet=True,
        )
    except Exception as error:  # a Cython compile error: fall back like a C compile error
        fall_back(f"Cython could not translate the accelerators ({error})")
        return []


class OptionalBuildExt(build_ext):  # type: ignore[misc, unused-ignore]
    """build_ext that falls back to pure Python when the C compiler fails.

    Each extension that fails is left out (its part uses the pure twin) and a stale copy
    from an earlier build is removed, so it cannot be shipped; one line sums it up.
    """

    def run(self) -> None:
        self.failed: list[str] = []
        self.first_error = ""
        try:
            super().run()
        except Exception as error:
            fall_back(f"no working C compiler ({error})")
        else:
            if self.failed:
                every = len(self.failed) == len(self.extensions)
                fall_back(
                    f"compiling {', '.join(self.failed)} failed (first error: {self.first_error})",
                    "installing the pure-Python package"
                    if every
                    else "those parts use pure Python",
                )
        self.write_build_info()

    def write_build_info(self) -> None:
        """Record in the package why the build fell back, so that ``import oscwire`` can
        say it (pip shows a successful build's output only with -v)."""
        base = HERE / "src" if self.inplace else Path(self.build_lib)
        target = base / "oscwire" / "_build_info.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        source = (HERE / "src" / "oscwire" / "_build_info.py").read_text()
        reason = "; ".join(FALLBACKS) if FALLBACKS else None
        target.write_text(
            source.replace(
                "FALLBACK: Optional[str] = None", f"FALLBACK: Optional[str] = {reason!r}"
            )
        )

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            if REQUIRE:
                fall_back(f"compiling {ext.name} failed ({error})")
            self.failed.append(ext.name)
            self.first_error = self.first_error or str(error)
            stale = Path(self.get_ext_fullpath(ext.name))
            if stale.exists():
                stale.unlink()


setup(ext_modules=extension_modules(), cmdclass={"build_ext": OptionalBuildExt})
