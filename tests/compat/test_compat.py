"""osc4py3 programs run with osc4py3 1.0.8 and, import renamed, with oscwire (both twins).

Every program of ``programs/`` and every run of osc4py3's own demos (``_demos.py``) is run
once with osc4py3 and once per oscwire twin (``[cython]``: compiled core, ``[python]``:
``OSCWIRE_NO_EXTENSIONS=1``). The oscwire run must print what osc4py3 printed (stdout and
exit status) or, where osc4py3 is broken, the program's ``.expected`` output. Programs
that differ today because of an oscwire gap are ``xfail(strict=True)`` with the gap as
reason (``_gaps.py``): a fix turns them into XPASS failures, and the mark must go.

All runs of a session start together on first use (``OSCWIRE_COMPAT_JOBS`` at once,
default 4), each bounded by ``timeout``; see ``_runner.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from _demos import normalize_rundemo
from _gaps import GAPS_BY_KEY, PROGRAM_GAPS, xfail_reason
from _runner import (
    OSC4PY3_VERSION,
    TWINS,
    Program,
    RunResult,
    Variant,
    all_programs,
    environment,
    judge,
    missing_needs,
    run,
    run_many,
)

from oscwire import _accel

osc4py3 = pytest.importorskip("osc4py3", reason="osc4py3 (test extra) is not installed")
if osc4py3.__version__ != OSC4PY3_VERSION:
    pytest.skip(
        f"the compat suite is written against osc4py3 {OSC4PY3_VERSION}, not {osc4py3.__version__}",
        allow_module_level=True,
    )

pytestmark = [pytest.mark.compat, pytest.mark.interop]

PROGRAMS: dict[str, Program] = {program.name: program for program in all_programs()}


def _cases() -> Iterator[object]:
    for program in PROGRAMS.values():
        for twin in TWINS:
            marks = []
            if program.name in PROGRAM_GAPS:
                marks.append(pytest.mark.xfail(strict=True, reason=xfail_reason(program.name)))
            yield pytest.param(program.name, twin, id=f"{program.name}-{twin.value}", marks=marks)


def twin_available(twin: Variant) -> bool:
    """The pure twin always is; the compiled one when every compiled part imports."""
    return twin is Variant.PYTHON or all(_accel.compiled_available(part) for part in _accel.PARTS)


def twin_deselected(config: pytest.Config, twin: Variant) -> bool:
    """True for the compiled twin under ``--no-c-extensions`` (tests/conftest.py)."""
    return twin is Variant.CYTHON and bool(config.getoption("--no-c-extensions"))


def skip_unless_runnable(config: pytest.Config, program: Program, twin: Variant) -> None:
    missing = missing_needs(program)
    if missing:
        pytest.skip(f"needs {', '.join(need.value for need in missing)} (not available here)")
    if twin_deselected(config, twin):
        pytest.skip("--no-c-extensions")
    if not twin_available(twin):
        if _accel.REQUIRE_EXTENSIONS:
            pytest.fail("OSCWIRE_REQUIRE_EXTENSIONS is set but the compiled twins are missing")
        pytest.skip("compiled twins not built")


@pytest.fixture(scope="session")
def compat_results(request: pytest.FixtureRequest) -> dict[tuple[str, Variant], RunResult]:
    """Every run the selected tests need, started together, once per session."""
    jobs: dict[tuple[str, Variant], Program] = {}
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or getattr(item, "originalname", None) != "test_program":
            continue
        params = callspec.params
        program, twin = PROGRAMS[params["program_name"]], params["twin"]
        if (
            missing_needs(program)
            or twin_deselected(request.config, twin)
            or not twin_available(twin)
        ):
            continue
        jobs[program.name, Variant.OSC4PY3] = program
        jobs[program.name, twin] = program
    return run_many((program, variant) for (name, variant), program in jobs.items())


@pytest.mark.parametrize(("program_name", "twin"), list(_cases()))
def test_program(
    program_name: str,
    twin: Variant,
    compat_results: dict[tuple[str, Variant], RunResult],
    request: pytest.FixtureRequest,
) -> None:
    """The oscwire run prints what the osc4py3 run printed (or the .expected output)."""
    program = PROGRAMS[program_name]
    skip_unless_runnable(request.config, program, twin)
    reference = compat_results[program.name, Variant.OSC4PY3]
    result = compat_results[program.name, twin]
    if not judge(program, reference, result).ok or reference.timed_out:
        # The runs of a session share two cores, and osc4py3's thread policies are racy
        # on their own (busy-spinning threads, a monitor that can die at terminate): a
        # disagreement is run again, alone, before it counts.
        reference, result = run(program, Variant.OSC4PY3), run(program, twin)
    if program.expected is None:
        assert not reference.timed_out, (
            f"the osc4py3 run timed out: the program is broken\n{reference.stderr[-2000:]}"
        )
    verdict = judge(program, reference, result)
    assert verdict.ok, verdict.explain()


@pytest.mark.parametrize("twin", TWINS, ids=[twin.value for twin in TWINS])
def test_run_environment_selects_the_twin(twin: Variant) -> None:
    """A run's environment makes oscwire use the twin the test id names."""
    if not twin_available(twin):
        pytest.skip("compiled twins not built")
    probe = "import oscwire; print(sorted(set(oscwire.implementations().values())))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=environment(twin),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == repr([twin.value]), result.stderr


def test_there_are_at_least_70_programs() -> None:
    assert sum(program.kind == "program" for program in PROGRAMS.values()) >= 70


@pytest.mark.parametrize(
    "program_name",
    sorted(name for name, program in PROGRAMS.items() if program.expected is not None),
)
def test_expected_output_names_the_osc4py3_bug(program_name: str) -> None:
    """A hand-written expectation replaces osc4py3's output only where osc4py3 is broken,
    and says how: the bug, with osc4py3 file:line references."""
    bug = PROGRAMS[program_name].osc4py3_bug
    assert bug, "a program with an expected output must name the osc4py3 bug it works around"
    assert re.search(r"\b\w+\.py:\d+", bug), f"no osc4py3 file:line in: {bug}"


def test_every_gap_names_existing_programs() -> None:
    for name, keys in PROGRAM_GAPS.items():
        assert name in PROGRAMS, name
        assert keys and all(key in GAPS_BY_KEY for key in keys), name
    used = {key for keys in PROGRAM_GAPS.values() for key in keys}
    fixed = {key for key, gap in GAPS_BY_KEY.items() if gap.fixed}
    assert not used & fixed, used & fixed  # a fixed gap marks no program any more
    assert used | fixed == set(GAPS_BY_KEY), set(GAPS_BY_KEY) - used - fixed


def test_rundemo_normalization() -> None:
    """Handler lines glued by concurrent print() calls are split, unnumbered and sorted
    before the next menu answer; the timed bundle's send time is masked."""
    raw = (
        "Action:m\n"
        "##### 2 handler function called with: ('b', 1)##### 1 handler function called with: ('a', 2)\n"
        "\n"
        "menu\n"
        "##### 3 handler function called with: ('t', 8, 1700000000.25)Action:q\n"
        "##### 4 handler function called with: ('c', 3)Au menu\n"
    )
    assert normalize_rundemo(raw) == (
        "Action:m\n"
        "menu\n"
        "##### handler function called with: ('a', 2)\n"
        "##### handler function called with: ('b', 1)\n"
        "##### handler function called with: ('t', 8, <time>)\n"
        "Action:q\n"
        "Au menu\n"
        "##### handler function called with: ('c', 3)\n"
    )


def test_signature_comparison() -> None:
    """public_names' rules: extra optional parameters keep a signature compatible; a
    renamed, missing or newly required parameter makes it differ."""
    from public_names import Status, compare_callable

    def theirs(a, b=1):  # type: ignore[no-untyped-def]
        pass

    def same(a, b=1):  # type: ignore[no-untyped-def]
        pass

    def extra_optional(a, b=2, c=None):  # type: ignore[no-untyped-def]
        pass

    def renamed(x, b=1):  # type: ignore[no-untyped-def]
        pass

    def required(a, b=1, *, c):  # type: ignore[no-untyped-def]
        pass

    def no_default(a, b):  # type: ignore[no-untyped-def]
        pass

    assert compare_callable(theirs, same)[0] is Status.SAME
    assert compare_callable(theirs, extra_optional)[0] is Status.COMPATIBLE
    for other in (renamed, required, no_default):
        assert compare_callable(theirs, other)[0] is Status.DIFFERS, other.__name__


def test_names_table_in_the_report_is_current() -> None:
    """docs/compat-report.md ends with public_names' table for the installed versions:
    regenerate it (make_report.py) when oscwire's public names change."""
    from make_report import REPORT
    from public_names import markdown

    heading = "## Public names of osc4py3 1.0.8\n\n"
    text = REPORT.read_text(encoding="utf-8")
    assert heading in text
    assert text.split(heading, 1)[1] == markdown()
