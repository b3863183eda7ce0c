"""Run one osc4py3 program with osc4py3 1.0.8 and, import renamed, with oscwire; compare.

A *program* is a small osc4py3 script (``programs/<name>.py``) or a patched copy of one of
osc4py3's own demos (``_demos.py``). Each run happens in a subprocess under ``timeout``,
from a private temporary directory holding the (renamed) source. When this process is
root and ``unshare``/``ip`` work, the run gets its own network namespace with only ``lo``
up (plus a multicast route on it), so programs may use fixed ports; otherwise it runs on
the host's loopback, and programs that need fixed ports or multicast are skipped.

The oscwire run must print what the osc4py3 run printed (stdout and exit status, with the
same ``osc4py3`` -> ``oscwire`` rename applied to that output), or, where osc4py3 1.0.8 is
broken, what ``programs/<name>.expected`` says (each such program names the osc4py3 bug in
its docstring). ``python tests/compat/_runner.py NAME...`` runs programs by hand.
"""

from __future__ import annotations

import ast
import enum
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
PROGRAMS_DIR = HERE / "programs"
#: Seconds one run may take (``timeout`` ends it after that; exit status 124).
RUN_TIMEOUT = 10.0
#: Extra seconds before this process gives up on a run that ``timeout`` did not end.
GRACE = 5.0
#: Environment variable that sets how many runs go on at once (default below).
JOBS_VARIABLE = "OSCWIRE_COMPAT_JOBS"
DEFAULT_JOBS = 4
OSC4PY3_VERSION = "1.0.8"

#: Brings up ``lo`` (and a multicast route on it) inside a fresh network namespace.
_NETNS_SETUP = 'ip link set lo up && ip route add 224.0.0.0/4 dev lo && exec "$@"'
#: The program header line that marks a requirement: ``# compat: needs netns``.
_NEEDS_LINE = re.compile(r"^# compat: needs (?P<needs>[a-z ]+)$", re.MULTILINE)
#: The docstring line that names the osc4py3 bug a ``.expected`` file works around.
BUG_LINE = re.compile(r"^osc4py3 bug: (?P<bug>.+(?:\n    .+)*)", re.MULTILINE)


class Variant(enum.Enum):
    """Which library a run uses: osc4py3 itself, or oscwire with one of its twins."""

    OSC4PY3 = "osc4py3"
    CYTHON = "cython"
    PYTHON = "python"

    @property
    def renamed(self) -> bool:
        """True for the oscwire runs (the source says ``oscwire`` instead of ``osc4py3``)."""
        return self is not Variant.OSC4PY3


TWINS = (Variant.CYTHON, Variant.PYTHON)


class Need(enum.Enum):
    """What a program needs beyond Python, osc4py3/oscwire and OS-chosen loopback ports."""

    NETNS = "netns"  # fixed ports: only safe in a private network namespace
    MULTICAST = "multicast"  # a multicast route on lo (set up in the namespace)
    OSCSEND = "oscsend"  # liblo's oscsend command (Debian liblo-tools), a real peer

    def available(self) -> bool:
        """True when this machine meets the need."""
        if self is Need.OSCSEND:
            return shutil.which("oscsend") is not None
        return netns_available()


class Outcome(enum.Enum):
    """How an oscwire run compares with osc4py3's (or with the hand-written expectation)."""

    SAME = "same"
    FIXED = "fixed"  # prints the .expected output where osc4py3 is broken
    DIFFERENT = "different"
    CRASH = "crash"  # exits non-zero (traceback or timeout) where the reference does not


def rename(text: str) -> str:
    """The import rename a user makes: every ``osc4py3`` becomes ``oscwire``."""
    return text.replace("osc4py3", "oscwire")


@dataclass(frozen=True)
class Program:
    """Files to copy into a fresh directory and how to run them."""

    name: str
    files: Mapping[str, str]  # file name -> source text (osc4py3 spelling)
    entry: str
    argv: tuple[str, ...] = ()
    stdin: str = ""
    needs: frozenset[Need] = frozenset()
    expected: Optional[str] = None  # stdout where osc4py3 is broken (osc4py3 spelling)
    osc4py3_bug: Optional[str] = None
    normalize: Optional[Callable[[str], str]] = None  # for demos that print timings
    kind: str = "program"
    summary: str = ""  # what the program does, for the report

    def source(self) -> str:
        return self.files[self.entry]


@dataclass(frozen=True)
class RunResult:
    """What one run printed and how it ended."""

    variant: Variant
    stdout: str
    stderr: str
    returncode: int
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode in (124, 137, -signal.SIGKILL)


@dataclass(frozen=True)
class Verdict:
    """The comparison of one oscwire run with its reference."""

    outcome: Outcome
    wanted_stdout: str
    wanted_returncode: int
    result: RunResult
    reference: RunResult = field(repr=False)

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.SAME, Outcome.FIXED)

    def explain(self) -> str:
        """A readable account of a mismatch: status, a diff of stdout, stderr's tail."""
        import difflib

        lines = [
            f"{self.outcome.value}: exit status {self.result.returncode} "
            f"(wanted {self.wanted_returncode}) after {self.result.seconds:.1f} s",
        ]
        diff = difflib.unified_diff(
            self.wanted_stdout.splitlines(),
            self.result.stdout.splitlines(),
            "wanted",
            self.result.variant.value,
            lineterm="",
        )
        lines.extend(diff)
        if self.result.stderr.strip():
            lines.append("--- stderr (last 30 lines):")
            lines.extend(self.result.stderr.rstrip().splitlines()[-30:])
        return "\n".join(lines)


def load_program(path: Path) -> Program:
    """A program from ``programs/<name>.py`` and its optional ``<name>.expected``."""
    source = path.read_text(encoding="utf-8")
    needs: set[Need] = set()
    for line in _NEEDS_LINE.finditer(source):
        needs.update(Need(word) for word in line["needs"].split())
    expected_path = path.with_suffix(".expected")
    bug = BUG_LINE.search(source)
    docstring = ast.get_docstring(ast.parse(source)) or ""
    return Program(
        name=path.stem,
        files={path.name: source},
        entry=path.name,
        needs=frozenset(needs),
        expected=expected_path.read_text(encoding="utf-8") if expected_path.exists() else None,
        osc4py3_bug=" ".join(bug["bug"].split()) if bug else None,
        summary=" ".join(docstring.split("\n\n")[0].split()),
    )


def all_programs() -> list[Program]:
    """Every program of ``programs/`` then every demo run, in a stable order."""
    from _demos import demo_programs  # sibling module; imported late: it imports this one

    programs = [load_program(path) for path in sorted(PROGRAMS_DIR.glob("*.py"))]
    return programs + demo_programs()


#: Set to 1 to run on the host's loopback even where namespaces work (tests the fallback).
NO_NETNS_VARIABLE = "OSCWIRE_COMPAT_NO_NETNS"


@functools.cache
def netns_available() -> bool:
    """True when runs can get a private network namespace (root, unshare and ip work)."""
    if os.environ.get(NO_NETNS_VARIABLE, "") not in ("", "0"):
        return False
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = ["unshare", "-n", "sh", "-c", _NETNS_SETUP, "_", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def missing_needs(program: Program) -> list[Need]:
    """The needs of *program* this machine cannot meet (the run is skipped)."""
    return sorted((need for need in program.needs if not need.available()), key=lambda n: n.value)


def environment(variant: Variant) -> dict[str, str]:
    """The run's environment: ours, fixed hash seed, the twin chosen by variable."""
    env = dict(os.environ)
    env.pop("OSCWIRE_NO_EXTENSIONS", None)
    env.pop("OSCWIRE_REQUIRE_EXTENSIONS", None)
    env.update(PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
    if variant is Variant.PYTHON:
        env["OSCWIRE_NO_EXTENSIONS"] = "1"
    elif variant is Variant.CYTHON:
        env["OSCWIRE_REQUIRE_EXTENSIONS"] = "1"
    return env


def command(program: Program) -> list[str]:
    """The command line of one run (in a network namespace when available)."""
    run = ["timeout", "-k", "2", str(RUN_TIMEOUT), sys.executable, program.entry, *program.argv]
    if netns_available():
        return ["unshare", "-n", "sh", "-c", _NETNS_SETUP, "_", *run]
    return run


def run(program: Program, variant: Variant) -> RunResult:
    """Run *program* once with *variant* and return what it printed."""
    with tempfile.TemporaryDirectory(prefix=f"compat-{program.name}-") as directory:
        for name, text in program.files.items():
            (Path(directory) / name).write_text(
                rename(text) if variant.renamed else text, encoding="utf-8"
            )
        started = time.monotonic()
        process = subprocess.Popen(
            command(program),
            cwd=directory,
            env=environment(variant),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = process.communicate(program.stdin.encode(), timeout=RUN_TIMEOUT + GRACE)
        except subprocess.TimeoutExpired:
            # timeout(1) should have ended it: end the session we started, by its id.
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
        seconds = time.monotonic() - started
    stdout = out.decode("utf-8", "replace")
    if program.normalize is not None:
        stdout = program.normalize(stdout)
    return RunResult(variant, stdout, err.decode("utf-8", "replace"), process.returncode, seconds)


def judge(program: Program, reference: RunResult, result: RunResult) -> Verdict:
    """Compare an oscwire run with the osc4py3 run (or with the expected output)."""
    if program.expected is not None:
        wanted, wanted_status = rename(program.expected), 0
    else:
        wanted, wanted_status = rename(reference.stdout), reference.returncode
    if result.stdout == wanted and result.returncode == wanted_status:
        outcome = Outcome.SAME if program.expected is None else Outcome.FIXED
    elif result.returncode != wanted_status and (result.returncode != 0 or result.timed_out):
        outcome = Outcome.CRASH
    else:
        outcome = Outcome.DIFFERENT
    return Verdict(outcome, wanted, wanted_status, result, reference)


def run_many(
    jobs: Iterable[tuple[Program, Variant]], workers: Optional[int] = None
) -> dict[tuple[str, Variant], RunResult]:
    """Run every (program, variant) pair, several at once; results by (name, variant)."""
    from concurrent.futures import ThreadPoolExecutor

    workers = workers or int(os.environ.get(JOBS_VARIABLE, DEFAULT_JOBS))
    pairs = list(jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda pair: run(*pair), pairs)
        return {
            (program.name, variant): result for (program, variant), result in zip(pairs, results)
        }


def main(argv: list[str]) -> int:
    """Run the programs named on the command line (all when none) and print verdicts."""
    programs = {program.name: program for program in all_programs()}
    chosen = [programs[name] for name in argv] if argv else list(programs.values())
    variants = (Variant.OSC4PY3, *TWINS)
    results = run_many((program, variant) for program in chosen for variant in variants)
    status = 0
    for program in chosen:
        reference = results[program.name, Variant.OSC4PY3]
        print(
            f"=== {program.name} (osc4py3: exit {reference.returncode}, {reference.seconds:.1f} s)"
        )
        if len(argv) == 1:
            print(reference.stdout, end="")
            print(reference.stderr[-3000:], end="")
        for twin in TWINS:
            verdict = judge(program, reference, results[program.name, twin])
            print(f"--- {twin.value}: {verdict.outcome.value} ({verdict.result.seconds:.1f} s)")
            if not verdict.ok:
                status = 1
                print(verdict.explain())
    return status


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main(sys.argv[1:]))
