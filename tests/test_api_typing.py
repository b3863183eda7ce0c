"""The object API is typed: a correct user program passes ``mypy --strict`` and each wrong
handler or call of a wrong one is an error (mypy runs in a subprocess, on
``tests/typing_programs``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "typing_programs"
ERROR_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<text>.*)$")


def test_correct_program_passes_and_wrong_one_fails(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n")
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(config),
        "--strict",
        "--follow-imports=silent",  # oscwire's own modules are checked by their own runs
        "--cache-dir",
        str(tmp_path / "cache"),
        "--no-error-summary",
        "--hide-error-context",
        "--no-pretty",
        str(PROGRAMS / "api_correct.py"),
        str(PROGRAMS / "api_wrong.py"),
    ]
    environment = dict(os.environ, MYPYPATH=str(ROOT / "src"))
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=environment, cwd=tmp_path
    )
    errors: dict[str, set[int]] = {}
    for line in result.stdout.splitlines():
        match = ERROR_LINE.match(line)
        if match:
            errors.setdefault(Path(match["file"]).name, set()).add(int(match["line"]))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "api_correct.py" not in errors, result.stdout
    wrong = (PROGRAMS / "api_wrong.py").read_text().splitlines()
    marked = {number for number, text in enumerate(wrong, 1) if "# error:" in text}
    assert len(marked) == 9
    assert errors.get("api_wrong.py") == marked, result.stdout
