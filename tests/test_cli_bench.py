"""``oscwire bench``: one JSON document with ``--json``, progress while the table is made."""

from __future__ import annotations

import json
import platform
import re
import subprocess
from typing import Any

import oscwire
from _support_cli import OSCWIRE, TIMEOUT, LineReader, child_env, run_oscwire
from oscwire import _accel

#: Workloads per part that the bench times (each on both twins when compiled).
PARTS = {"framing", "codec", "matcher"}


def _document(*extra: str, **env: str) -> dict[str, Any]:
    process = run_oscwire("bench", "--json", "--seconds", "0.01", *extra, env=env)
    assert process.returncode == 0, process.stderr
    document: dict[str, Any] = json.loads(process.stdout)
    return document


def test_json_document() -> None:
    document = _document("--quiet")
    assert document["oscwire"] == oscwire.__version__
    assert document["python"] == platform.python_version()
    assert document["python_implementation"] == platform.python_implementation()
    assert document["implementation"] == oscwire.IMPLEMENTATION
    assert document["implementations"] == oscwire.implementations()
    assert document["seconds_per_measurement"] == 0.01
    measurements = document["measurements"]
    assert {m["part"] for m in measurements} == PARTS
    twins = {"python", "cython"} if _accel.compiled_available("codec") else {"python"}
    assert {m["twin"] for m in measurements} == twins
    for measurement in measurements:
        assert measurement["unit"] == "us"
        assert 0 < measurement["time_per_call"] < 1e6
    for ratio in document["ratios"]:
        assert ratio["unit"] == "ratio" and ratio["pure_over_compiled"] > 0
    workloads = {(m["part"], m["workload"]) for m in measurements}
    if twins == {"python", "cython"}:
        assert {(r["part"], r["workload"]) for r in document["ratios"]} == workloads


def test_json_says_when_the_pure_twins_are_in_use() -> None:
    document = _document("--quiet", OSCWIRE_NO_EXTENSIONS="1")
    assert document["implementation"] == "python"
    assert set(document["implementations"].values()) == {"python"}


def test_json_progress_goes_to_stderr_only() -> None:
    process = run_oscwire("bench", "--json", "--seconds", "0.01")
    document = json.loads(process.stdout)  # stdout is the JSON document alone
    progress = process.stderr.splitlines()
    assert len(progress) == len(document["measurements"])
    assert progress[0] == f"[1/{len(progress)}] framing: SLIP encode 64 B (python)"


def test_text_shows_progress_while_it_runs() -> None:
    process = subprocess.Popen(
        [*OSCWIRE, "bench", "--seconds", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        out, err = LineReader(process.stdout), LineReader(process.stderr)
        first = err.line()
        assert process.poll() is None  # announced before the measurements are done
        match = re.fullmatch(rb"\[1/(\d+)\] framing: SLIP encode 64 B \(python\)\n", first)
        assert match, first
        total = int(match.group(1))
        assert out.line().startswith(b"oscwire ")
        assert out.line().split() == [
            b"workload",
            b"compiled",
            b"\xc2\xb5s",
            b"pure",
            b"\xc2\xb5s",
            b"ratio",
        ]
        rows = out.rest()
        steps = [first, *err.rest()]
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert len(steps) == total
    assert steps[-1].startswith(b"[%d/%d] matcher: " % (total, total))
    assert len(rows) == 8
    assert rows[0].startswith(b"SLIP encode 64 B ")
