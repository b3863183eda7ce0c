"""The test harness itself: the ``system`` fixture and its marker, and ``pump``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _support import poll, pump, reaches, run_for
from oscwire._asyncio_runtime import AsyncioSystem
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCMessage


def test_the_default_system_is_a_started_event_loop(
    system: OSCSystem, request: pytest.FixtureRequest
) -> None:
    assert system.running and system.policy.name == "eventloop"
    assert request.node.name == "test_the_default_system_is_a_started_event_loop"


@pytest.mark.system("allthreads", execthreadscount=3)
def test_one_policy_and_options_keep_the_id(
    system: OSCSystem, request: pytest.FixtureRequest
) -> None:
    assert system.policy.name == "allthreads" and system.execthreadscount == 3
    assert request.node.name == "test_one_policy_and_options_keep_the_id"


@pytest.mark.system("eventloop", "comthreads")
def test_several_policies_make_one_case_each(
    system: OSCSystem, request: pytest.FixtureRequest
) -> None:
    policy = request.node.callspec.params["system"]
    assert request.node.name.endswith(f"[{policy}]")
    assert system.policy.name == policy


@pytest.mark.system("asyncio")
def test_an_asyncio_system_runs_in_a_loop_of_its_own(system: OSCSystem) -> None:
    assert isinstance(system, AsyncioSystem)
    assert system.loop is not None and system.loop.is_running()


def test_pump_serves_the_system_until_the_condition_holds(system: OSCSystem) -> None:
    calls: list[int] = []
    system.method("/n", calls.append)
    system.send_packet(OSCMessage("/n", ",i", [7]), "_local")
    assert calls == []  # an event loop runs handlers only in process()
    pump(system, lambda: calls == [7])


def test_pump_that_times_out_fails_saying_what_it_waited_for(system: OSCSystem) -> None:
    calls: list[int] = []
    with pytest.raises(pytest.fail.Exception) as failure:
        pump(system, lambda: len(calls) == 3, timeout=0.05)
    assert str(failure.value) == "waited 0.05 s in vain for lambda: len(calls) == 3"
    with pytest.raises(pytest.fail.Exception, match=r"^waited 0.01 s in vain for the reply$"):
        pump(system, lambda: False, timeout=0.01, what="the reply")


def test_a_condition_that_reads_a_value_says_the_last_one_read(system: OSCSystem) -> None:
    calls: list[int] = []
    expected = "waited 0.01 s in vain for lambda: len(calls) to reach 2 (last read: 0)"
    with pytest.raises(pytest.fail.Exception, match=f"^{re.escape(expected)}$"):
        pump(system, reaches(lambda: len(calls), 2), timeout=0.01)


def test_a_named_condition_is_named(system: OSCSystem) -> None:
    def answered() -> bool:
        return False

    with pytest.raises(pytest.fail.Exception, match=r"in vain for .*answered\(\)$"):
        pump(system, answered, timeout=0.01)


def test_poll_says_false_and_run_for_serves_for_the_time_given(system: OSCSystem) -> None:
    calls: list[int] = []
    system.method("/n", calls.append)
    start = time.monotonic()
    assert poll(system, lambda: bool(calls), timeout=0.05) is False
    assert time.monotonic() - start >= 0.05
    system.send_packet(OSCMessage("/n", ",i", [1]), "_local")
    start = time.monotonic()
    run_for(system, 0.05)
    assert time.monotonic() - start >= 0.05
    assert calls == [1]


def test_pump_drives_a_facade_function_or_only_waits() -> None:
    steps: list[float] = []
    assert poll(steps.append, lambda: len(steps) == 3, timeout=5) is True
    assert all(0 < seconds <= 0.01 for seconds in steps)  # short steps: a prompt check
    start = time.monotonic()
    assert poll(None, lambda: time.monotonic() - start > 0.02, timeout=5) is True


# ------------------------------------------------------------------ twin selection
ROOT = Path(__file__).resolve().parent.parent
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/test_framing.py")
#: An id parameter naming the compiled twin: ``[cython]``, ``[cython-size]``, ``[x-cython]``.
COMPILED_ID = re.compile(r"[\[-]cython[-\]]")


def run_pytest(*args: str, pythonpath: str | None = None, **env: str) -> list[str]:
    """The output lines of pytest on tests/test_framing.py, run from the checkout."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OSCWIRE_")}
    if pythonpath is not None:
        environment["PYTHONPATH"] = pythonpath
    environment.update(env)
    result = subprocess.run(
        [*PYTEST, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.stdout.splitlines()


def test_no_c_extensions_deselects_the_compiled_cases_without_a_skip() -> None:
    # Extensions required: every case is collected, whether the compiled twins are built.
    everything = [
        line
        for line in run_pytest("--collect-only", "-q", OSCWIRE_REQUIRE_EXTENSIONS="1")
        if "::" in line
    ]
    compiled = [i for i in everything if COMPILED_ID.search(i) or "differential_twins" in i]
    assert compiled, "nothing to deselect: the test has no compiled case"
    lines = run_pytest("--collect-only", "-q", "--no-c-extensions")
    kept = [line for line in lines if "::" in line]
    assert sorted(kept) == sorted(set(everything) - set(compiled))
    assert f"oscwire: {len(compiled)} compiled-twin cases deselected (--no-c-extensions)" in lines
    assert f"({len(compiled)} deselected)" in lines[-1]
    ran = run_pytest("-q", "-ra", "--no-c-extensions", "-k", "slip")
    assert not [line for line in ran if "SKIPPED" in line], ran
    assert "deselected" in ran[-1] and "failed" not in ran[-1]


@pytest.fixture(scope="module")
def pure_package(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the oscwire under test without its compiled modules (a pure install)."""
    import oscwire

    site = tmp_path_factory.mktemp("pure-site")
    shutil.copytree(
        Path(oscwire.__file__).parent,
        site / "oscwire",
        ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"),
    )
    return str(site)


def test_a_pure_install_runs_the_pure_cases_and_says_so(pure_package: str) -> None:
    lines = run_pytest("--collect-only", "-q", pythonpath=pure_package)
    expected = "compiled twin not built: codec, framing, matcher, netio)"
    assert next(line for line in lines if line.startswith("oscwire: ")).endswith(expected)
    kept = [line for line in lines if "::" in line]
    assert kept and not [i for i in kept if COMPILED_ID.search(i)]


def test_a_pure_install_fails_the_compiled_cases_when_they_are_required(
    pure_package: str,
) -> None:
    lines = run_pytest(
        "-q", "-k", "cython and slip", pythonpath=pure_package, OSCWIRE_REQUIRE_EXTENSIONS="1"
    )
    errors = [line for line in lines if line.startswith("ERROR tests/test_framing.py::")]
    assert errors and all(COMPILED_ID.search(line) for line in errors)
    assert any(
        "Failed: OSCWIRE_REQUIRE_EXTENSIONS is set but the compiled framing twin is missing: "
        "No module named 'oscwire._framing_c'" in line
        for line in lines
    ), lines
