"""docs/architecture.md says what the code is, and cannot drift from it unnoticed.

The page lists every module of ``src/oscwire`` and ``cext`` in the layer that
``tests/test_layers.py`` gives it; every ``module.name`` it cites exists; its claim that no
import cycle runs at import time holds; the twins it describes expose the same names and
signatures; and its frame and call counts are what the bench script ``frames.py``
measures now, with the compiled twins and with the pure ones.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oscwire import _accel
from test_layers import LAYERS, _imported

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"
TEXT = PAGE.read_text(encoding="utf-8")
LINES = TEXT.splitlines()

_LAYER_HEADING = re.compile(r"^### Layer (\d)\b")
_ROW = re.compile(r"^\|(.*)\|\s*$")
_CITED = re.compile(r"`((?:oscwire|_?[a-z][a-z0-9_]*)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?:\(\))?`")


def _cells(line: str) -> list[str]:
    match = _ROW.match(line)
    return [cell.strip() for cell in match.group(1).split("|")] if match else []


def _first_code(cell: str) -> str:
    match = re.search(r"`([^`]+)`", cell)
    return match.group(1) if match else cell


def inventory() -> list[tuple[str, int]]:
    """``(module, layer)`` for each row of the page's inventory tables."""
    rows: list[tuple[str, int]] = []
    layer = None
    for line in LINES:
        heading = _LAYER_HEADING.match(line)
        if heading:
            layer = int(heading.group(1))
        elif line.startswith(("## ", "# ")):
            layer = None
        elif layer is not None:
            cells = _cells(line)
            if cells and cells[0] not in ("module", "") and not set(cells[0]) <= set("-: "):
                rows.append((_first_code(cells[0]), layer))
    return rows


def modules_in_tree() -> set[str]:
    return {path.stem for path in (ROOT / "src" / "oscwire").glob("*.py")} | {
        path.stem for path in (ROOT / "cext").glob("*.pyx")
    }


def test_every_module_is_on_the_page_once_in_its_layer() -> None:
    rows = inventory()
    named = [module for module, _ in rows]
    assert len(named) == len(set(named)), sorted(m for m in named if named.count(m) > 1)
    assert set(named) == modules_in_tree(), (
        f"missing from docs/architecture.md: {sorted(modules_in_tree() - set(named))}; "
        f"gone from the tree: {sorted(set(named) - modules_in_tree())}"
    )
    wrong = {module: (layer, LAYERS.get(module)) for module, layer in rows}
    wrong = {module: pair for module, pair in wrong.items() if pair[0] != pair[1]}
    assert not wrong, f"page layer != tests/test_layers.py layer: {wrong}"


def test_the_inventory_reader_sees_rows() -> None:
    """The check above can fail: the page's tables are found and read."""
    rows = dict(inventory())
    assert rows["oscbuildparse"] == 0 and rows["_runtime"] == 3 and rows["client"] == 5


def _resolve(dotted: str) -> Any:
    parts = dotted.split(".")
    if parts[0] == "oscwire":
        parts = parts[1:]
        value: Any = importlib.import_module("oscwire")
        if parts and parts[0] in LAYERS:
            value = importlib.import_module(f"oscwire.{parts.pop(0)}")
    else:
        value = importlib.import_module(f"oscwire.{parts.pop(0)}")
    for part in parts:
        value = getattr(value, part)
    return value


def cited_names() -> list[str]:
    """The ``module.name`` references of the page whose module is an oscwire module."""
    found = []
    for match in _CITED.finditer(TEXT):
        dotted = match.group(1)
        head = dotted.split(".")[0]
        if head == "oscwire" or (head in LAYERS and head != "__init__"):
            found.append(dotted)
    return sorted(set(found))


def test_every_name_the_page_cites_exists() -> None:
    names = cited_names()
    assert len(names) > 50, names  # the references are found
    missing = []
    for dotted in names:
        try:
            _resolve(dotted)
        except (AttributeError, ImportError) as error:
            missing.append(f"{dotted}: {error}")
    assert not missing, missing


def _import_time_imports(path: Path) -> set[str]:
    """oscwire modules that importing *path* imports: its module body, both branches of a
    twin selection, not ``if TYPE_CHECKING:`` blocks nor function bodies."""
    found: set[str] = set()

    def walk(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.update(_imported(ast.Module(body=[node], type_ignores=[]), path.stem))
            elif isinstance(node, ast.If):
                if ast.unparse(node.test) != "TYPE_CHECKING":
                    walk(node.body)
                walk(node.orelse)
            elif isinstance(node, ast.Try):
                walk(node.body)
                for handler in node.handlers:
                    walk(handler.body)
                walk(node.orelse)
                walk(node.finalbody)

    walk(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def test_no_import_cycle_runs_at_import_time() -> None:
    """The page says the loops between modules are closed by type-only imports."""
    graph = {
        path.stem: _import_time_imports(path) for path in (ROOT / "src" / "oscwire").glob("*.py")
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        stack.append(module)
        for other in sorted(graph.get(module, ())):
            if state.get(other) == 1:
                cycles.append([*stack[stack.index(other) :], other])
            elif other in graph and other not in state:
                visit(other, stack)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert not cycles, cycles
    # The type-only loops the page names are there (else the page is out of date).
    for module, imported in (("_policies", "_runtime"), ("_handlers", "_endpoint")):
        assert imported not in graph[module]
        assert module in graph[imported]


# ----- twins ---------------------------------------------------------------------------------
#: Arguments to build an instance of a twin's class whose constructor requires them.
_SAMPLE_ARGUMENTS = {"pattern": "/a*", "text": "a*"}
#: Constants that say which twin is which: their values differ on purpose.
_TWIN_IDENTITY = {"HAVE_MMSG"}


def _shape(function: Any) -> list[tuple[str, Any, Any]]:
    """Names, kinds and defaults of the parameters (Cython keeps no annotations)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def _required(spec: type) -> dict[str, Any]:
    """Sample values for the parameters the pure twin's class requires (a compiled class
    shows no signature)."""
    return {
        p.name: _SAMPLE_ARGUMENTS[p.name]
        for p in inspect.signature(spec).parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


@pytest.mark.parametrize("part", _accel.PARTS)
def test_twins_have_the_same_names_and_signatures(part: str) -> None:
    """Every name of the pure twin's ``__all__`` is in the compiled twin, with the same
    parameters (functions and methods of instances) or value (constants)."""
    pure = _accel.load_twin(part, "python")
    try:
        compiled = _accel.load_twin(part, "cython")
    except ImportError as error:
        if _accel.REQUIRE_EXTENSIONS:
            pytest.fail(f"OSCWIRE_REQUIRE_EXTENSIONS is set but the compiled {part} is missing")
        pytest.skip(f"compiled {part} twin not built: {error}")
    for name in pure.__all__:
        spec = getattr(pure, name)
        assert hasattr(compiled, name), f"{compiled.__name__} lacks {name}"
        ours = getattr(compiled, name)
        if inspect.isclass(spec):
            arguments = _required(spec)
            built, model = ours(**arguments), spec(**arguments)
            public = {a for a in dir(model) if not a.startswith("_")}
            assert public == {a for a in dir(built) if not a.startswith("_")}, name
            for attribute in sorted(public):
                if callable(getattr(model, attribute)):
                    assert _shape(getattr(built, attribute)) == _shape(getattr(model, attribute)), (
                        f"{name}.{attribute}"
                    )
        elif callable(spec):
            assert _shape(ours) == _shape(spec), name
        elif name not in _TWIN_IDENTITY:
            assert ours == spec, name


# ----- frames and calls ----------------------------------------------------------------------
def _frames_script() -> Path:
    found = sorted((ROOT / "bench").rglob("frames.py"))
    assert found, "bench/**/frames.py, which measures the page's counts, is missing"
    return found[0]


def measured(implementation: str) -> dict[str, Any]:
    environment = {k: v for k, v in os.environ.items() if k != "OSCWIRE_NO_EXTENSIONS"}
    if implementation == "python":
        environment["OSCWIRE_NO_EXTENSIONS"] = "1"
    result = subprocess.run(
        [sys.executable, str(_frames_script()), "--json"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert set(data["implementations"].values()) == {implementation}, data["implementations"]
    return data


def marked_table(mark: str) -> list[list[str]]:
    """The rows (cells) of the table right after the line ``<!-- mark -->``."""
    start = LINES.index(f"<!-- {mark} -->")
    rows: list[list[str]] = []
    for line in LINES[start + 1 :]:
        cells = _cells(line)
        if not cells:
            if rows:
                break
            continue
        rows.append(cells)
    return rows[2:]  # no header, no --- line


def page_python() -> tuple[int, int]:
    """The CPython version the page's counts were measured with."""
    match = re.search(r"measured on CPython (\d+)\.(\d+)", TEXT)
    assert match, "the page says which CPython its counts come from"
    return int(match.group(1)), int(match.group(2))


def _short(name: str) -> str:
    return name[len("oscwire.") :] if name.startswith("oscwire.") else name


@pytest.mark.parametrize("implementation", ["cython", "python"])
def test_the_pages_counts_are_measured(implementation: str) -> None:
    if implementation == "cython" and not all(map(_accel.compiled_available, _accel.PARTS)):
        if _accel.REQUIRE_EXTENSIONS:
            pytest.fail("OSCWIRE_REQUIRE_EXTENSIONS is set but the compiled core is missing")
        pytest.skip("the compiled twins are not built")
    data = measured(implementation)
    column = 1 if implementation == "cython" else 2
    frames = {_first_code(row[0]): int(row[column]) for row in marked_table("measured: frames")}
    assert frames == {label: len(chain) for label, chain in data["frames"].items()}

    if implementation == "cython":
        # The chains shown on the page are the compiled twins' ones.
        for index, line in enumerate(LINES):
            match = re.fullmatch(r"<!-- frames: (.+) -->", line)
            if match:
                shown = [_first_code(row[1]) for row in marked_table(line[5:-4])]
                assert shown == [_short(name) for name in data["frames"][match.group(1)]], (
                    f"docs/architecture.md:{index + 1}"
                )

    same_python = sys.version_info[:2] == page_python()
    calls = data["calls"]
    rows = marked_table("measured: calls")
    assert {_first_code(row[0]) for row in rows} == set(calls)
    for row in rows:
        measure = calls[_first_code(row[0])]
        shown_message = int(row[1] if implementation == "cython" else row[3])
        assert shown_message == measure["message"], row[0]
        if implementation == "cython" and same_python:
            # Per batch counts the standard library's functions too, and comprehension
            # frames: they change with the Python version.
            assert int(row[2]) == measure["batch"], row[0]
            shown = sorted(re.findall(r"`([^`]+)`", row[4]))
            assert shown == sorted(_short(name) for name in measure["functions"]), row[0]
