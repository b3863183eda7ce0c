"""The layers of DESIGN.md as a checked contract: nothing imports a module of a higher layer.

core < channels and monitor < distributing and dispatching < runtime and policies
< façades < the package's front (``oscwire``, the object API, the command line).

Every import counts, including those inside functions and ``TYPE_CHECKING`` blocks, and
the ``cext/*.pyx`` sources too. A module that is in no layer fails the test: a new module
must say where it belongs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "oscwire"
CEXT = ROOT / "cext"

#: Layer of each module, lowest first. Twins (``_x_py`` / ``_x_c``) are core.
LAYERS: dict[str, int] = {}
_LAYER_MODULES = [
    # 0: the core, no I/O, no threads.
    (
        "_accel _build_info _version _errors _unsupported _types _logutil _osckind _dispatchable _monitoring _codec_common _codec_oob _codec_py _codec_c _framing_common _framing_py "
        "_framing_c _matcher_py _matcher_c _netio_py _netio_c oscbuildparse oscmethod framing "
        "oscnettools oscpacketoptions osctoolspools"
    ),
    # 1: channels and monitoring.
    "_channel_options oscscheduling oscchannel oscudpmc oscstreamlimits oscstreamstats oscstream osclistener osctcp",
    # 2: distributing (send) and dispatching (receive).
    "oscdistributing oscdispatching oscpeeradapt",
    # 3: the runtime and its policies.
    "_runtime _policies _asyncio_runtime",
    # 4: osc4py3's façades.
    "_facade _tcp_facade as__common as_eventloop as_comthreads as_allthreads as_asyncio",
    # 5: the package's front: the package itself, the object API (Client, Server), the
    # command line and the demo.
    "__init__ __main__ cli _cli_common _cli_target _cli_message _cli_send _cli_format _cli_dump _demo _quickbench "
    "_message_encoding _handlers _transports _endpoint _replies client server",
]
for _level, _names in enumerate(_LAYER_MODULES):
    for _name in _names.split():
        LAYERS[_name] = _level


def _module_name(path: Path) -> str:
    return path.stem


def _imported(tree: ast.AST, current: str) -> set[str]:
    """oscwire modules imported anywhere in *tree* (first component under oscwire)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "oscwire" and len(parts) > 1:
                    found.add(parts[1])
                elif parts[0] == "oscwire":
                    found.add("__init__")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: from . import x / from .x import y
                if module:
                    found.add(module.split(".")[0])
                else:
                    found.update(alias.name for alias in node.names)
            elif module == "oscwire":
                found.update(alias.name for alias in node.names)
            elif module.startswith("oscwire."):
                found.add(module.split(".")[1])
    found.discard(current)
    return found


_PYX_IMPORT = re.compile(
    r"^\s*(?:from\s+oscwire(?:\.(\w+))?\s+(?:c?import)\s+([\w, ()]+)|"
    r"import\s+oscwire\.(\w+))",
    re.MULTILINE,
)


def _pyx_imports(text: str) -> set[str]:
    found: set[str] = set()
    for match in _PYX_IMPORT.finditer(text):
        module, names, plain = match.groups()
        if plain:
            found.add(plain)
        elif module:
            found.add(module)
        else:
            for name in names.split(","):
                name = name.strip(" ()").split(" as ")[0].strip()
                if name:
                    found.add(name)
    return found


def _sources() -> list[tuple[str, set[str]]]:
    result = []
    for path in sorted(PACKAGE.glob("*.py")):
        name = _module_name(path)
        result.append((name, _imported(ast.parse(path.read_text()), name)))
    for path in sorted(CEXT.glob("*.pyx")):
        result.append((path.stem, _pyx_imports(path.read_text())))
    return result


@pytest.mark.parametrize(("module", "imports"), _sources(), ids=lambda value: str(value))
def test_no_module_imports_a_higher_layer(module: str, imports: set[str]) -> None:
    assert module in LAYERS, f"oscwire.{module} is in no layer: add it to LAYERS"
    level = LAYERS[module]
    upward = sorted(name for name in imports if LAYERS.get(name, -1) > level)
    unknown = sorted(name for name in imports if name not in LAYERS)
    assert not unknown, f"oscwire.{module} imports modules in no layer: {unknown}"
    assert not upward, f"oscwire.{module} (layer {level}) imports higher layers: " + ", ".join(
        f"{name} (layer {LAYERS[name]})" for name in upward
    )


def _twins() -> list[object]:
    cases: list[object] = []
    for name, imports in _sources():
        for suffix, other in (("_c", "_py"), ("_py", "_c")):
            if name.endswith(suffix):
                cases.append((name, name[: -len(suffix)] + other, imports))
    return cases


@pytest.mark.parametrize(("module", "twin", "imports"), _twins(), ids=lambda value: str(value)[:20])
def test_twins_do_not_import_each_other(module: str, twin: str, imports: set[str]) -> None:
    """The twins share only neutral modules: neither reads the other's names."""
    assert twin not in imports, f"oscwire.{module} imports its twin {twin}"


def test_the_checker_sees_an_upward_import() -> None:
    """The contract can fail: an upward import in a core module is reported."""
    tree = ast.parse("def f():\n    from oscwire import _runtime\n")
    assert _imported(tree, "oscbuildparse") == {"_runtime"}
    assert _pyx_imports("from oscwire import _codec_py as _spec\n") == {"_codec_py"}
    assert _pyx_imports("from oscwire._codec_oob import (\n    A,\n)\n") == {"_codec_oob"}
