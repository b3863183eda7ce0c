"""Every ``python`` code block of README.md and docs/*.md runs, alone, in a fresh interpreter.

A block runs as a program in a temporary directory, within :data:`TIMEOUT` seconds, and
must exit with status 0 (examples use loopback and ports the OS picks). A block that cannot
run alone is marked in the Markdown, on the line just before its fence, with a visible
reason: ``<!-- fragment: continues the example above -->``; it is skipped with that reason
(``pytest -ra`` lists them) and counted by :func:`test_fragments_have_reasons`.

Pages other engineers are rewriting are run too; the failures of those listed in
:data:`EXPECTED_FAILURES` are expected (xfail, not strict): the list is meant to shrink.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TIMEOUT = 60.0
FENCE = re.compile(r"^```(\w*)\s*$")
FRAGMENT = re.compile(r"^<!--\s*fragment:\s*(.*?)\s*-->$")

#: Libraries of the test extra that examples compare with: a block importing one that is
#: not installed (pyliblo3 has no wheel everywhere) is skipped, not failed.
OPTIONAL_PEERS = ("pythonosc", "pyliblo3", "uvloop")

#: Pages whose failing blocks are expected, for now: other branches rewrite them.
EXPECTED_FAILURES: dict[str, str] = {}


class Block(NamedTuple):
    """One fenced code block of a page."""

    page: str
    line: int
    language: str
    code: str
    fragment: str | None  # the reason, when marked as a fragment


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, with their fragment marks."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    page = str(path.relative_to(ROOT))
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None or not opening.group(1):
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        previous = next((text for text in reversed(lines[:start]) if text.strip()), "")
        mark = FRAGMENT.match(previous.strip())
        found.append(
            Block(page, start + 1, opening.group(1), "\n".join(body) + "\n", mark and mark[1])
        )
        index += 1
    return found


ALL_BLOCKS = [block for path in PAGES for block in blocks(path)]
PYTHON_BLOCKS = [block for block in ALL_BLOCKS if block.language == "python"]


def _param(block: Block) -> object:
    marks = []
    if block.page in EXPECTED_FAILURES and block.fragment is None:
        marks.append(pytest.mark.xfail(reason=EXPECTED_FAILURES[block.page], strict=False))
    return pytest.param(block, id=f"{block.page}:{block.line}", marks=marks)


@pytest.mark.parametrize("block", [_param(block) for block in PYTHON_BLOCKS])
def test_block_runs(block: Block, tmp_path: Path) -> None:
    if block.fragment is not None:
        pytest.skip(f"fragment: {block.fragment}")
    for module in OPTIONAL_PEERS:
        if re.search(rf"^\s*(import|from) {module}\b", block.code, re.MULTILINE) and (
            importlib.util.find_spec(module) is None
        ):
            pytest.skip(f"needs {module}, not installed here")
    program = tmp_path / "example.py"
    program.write_text(block.code, encoding="utf-8")
    # The interpreter running the tests, with the oscwire it has installed.
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    try:
        result = subprocess.run(
            [sys.executable, str(program)],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{block.page}:{block.line} still ran after {TIMEOUT} s")
    assert result.returncode == 0, (
        f"{block.page}:{block.line} exited with {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


def test_fragments_have_reasons() -> None:
    fragments = [block for block in PYTHON_BLOCKS if block.fragment is not None]
    assert all(block.fragment for block in fragments), [
        f"{block.page}:{block.line}" for block in fragments if not block.fragment
    ]
    runnable = len(PYTHON_BLOCKS) - len(fragments)
    print(f"{len(PYTHON_BLOCKS)} python blocks: {runnable} run, {len(fragments)} fragments:")
    for block in fragments:
        print(f"  {block.page}:{block.line}: {block.fragment}")
    assert runnable > 0


@pytest.mark.slow
def test_blocks_type_check(tmp_path: Path) -> None:
    """The runnable blocks that use oscwire pass mypy: names, signatures and argument types
    of the documented API are what the code declares. Optional results (``bound_port``
    before a channel opens, ``Received.time`` outside a bundle) are not checked: examples are
    short programs, and a typed user program is checked strictly by test_api_typing.py.
    Blocks showing a peer's own code (python-osc, pyliblo3) are left to that peer."""
    pytest.importorskip("mypy")
    files = []
    for block in PYTHON_BLOCKS:
        peer = re.search(r"^\s*(import|from) (pythonosc|pyliblo3|liblo)\b", block.code, re.M)
        if block.fragment is not None or peer or "oscwire" not in block.code:
            continue
        name = re.sub(r"\W", "_", f"{block.page}_{block.line}") + ".py"
        (tmp_path / name).write_text(block.code, encoding="utf-8")
        files.append(name)
    assert len(files) >= 20, files  # the pages' examples are found
    (tmp_path / "mypy.ini").write_text("[mypy]\n")
    command = [
        sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--no-strict-optional",
        "--check-untyped-defs", "--ignore-missing-imports", "--cache-dir", "cache",
        "--no-error-summary", "--hide-error-context", *files,
    ]  # fmt: skip
    environment = dict(os.environ, MYPYPATH=str(ROOT / "src"))
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, env=environment
    )
    assert result.returncode == 0, result.stdout + result.stderr
