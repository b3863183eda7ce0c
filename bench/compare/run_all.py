"""Run every comparison script once, one after the other, into one run directory.

``python bench/compare/run_all.py`` writes ``bench/results/<run-id>/<script>.json`` for
each script of :data:`STEPS` (``--json``, see ``_results.py``) and ``run.json``: the run
id, when it started and ended, the machine's load before and after (``uptime``), the git
commit measured, and each step's command, duration and exit status. The run id is the
date and a short tag of the host (``2026-11-29-vm-2cpu``); ``render.py`` turns a run
directory into the tables of ``docs/`` and the plot.

The scripts run in sequence, never two at once (on a 2-core machine two benchmarks would
measure each other), and take several minutes in all: run it on an otherwise idle
machine. ``--quick`` runs each for seconds, to test the pipeline, into a temporary
directory unless ``--out`` is given; its files say ``"quick": true`` and ``render.py``
refuses them for the docs. ``--only codec,tcp`` runs the scripts whose names contain
those words.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = ROOT / "bench" / "results"


class Step(NamedTuple):
    """One script and its arguments, for a real run and for a quick one."""

    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]


#: The UDP receivers of a quick run: oscwire's event loop on both twins, and the reference.
QUICK_UDP = "oscwire as_eventloop,pyliblo3"

STEPS = (
    Step("compare_codec.py", (), ("--quick",)),
    Step("compare_dispatch.py", (), ("--quick",)),
    Step("compare_pattern_length.py", (), ("--twin", "cython", "--budget", "0.01")),
    Step("compare_send.py", (), ("--rounds", "1", "--count", "2000", "--batch-count", "5000")),
    Step("compare_server.py", (), ("--rounds", "1")),
    Step("compare_tcp.py", (), ("--rounds", "1", "--skip-pure")),
    Step(
        "udp_capacity.py",
        (),
        ("--seconds", "0.3", "--rounds", "1", "--burst-rounds", "2", "--only", QUICK_UDP),
    ),
    Step("suite_timings.py", (), ("--quick",)),
)


def host_tag() -> str:
    """A short tag of this host: its name (letters, digits, dashes) and its CPU count."""
    name = re.sub(r"[^a-z0-9-]+", "-", platform.node().lower()).strip("-")[:16] or "host"
    return f"{name}-{os.cpu_count()}cpu"


def run_id() -> str:
    return f"{datetime.now(timezone.utc):%Y-%m-%d}-{host_tag()}"


def uptime() -> str:
    """``uptime``'s line (the load averages the brief of a run asks for), or /proc's."""
    try:
        return subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()
    except OSError:
        return Path("/proc/loadavg").read_text(encoding="utf-8").strip()


def git_state() -> dict[str, Any]:
    """The commit measured, and whether the work tree had changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        return done.stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except OSError:
        return {"commit": None, "dirty": None}


def selected(only: str) -> list[Step]:
    words = [word for word in only.split(",") if word]
    steps = [step for step in STEPS if not words or any(w in step.script for w in words)]
    if not steps:
        raise SystemExit(f"--only {only!r} selects none of {[s.script for s in STEPS]}")
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seconds per script: a test")
    parser.add_argument("--out", type=Path, help="the run directory (default: see above)")
    parser.add_argument("--run-id", help="default: the date and a tag of this host")
    parser.add_argument("--only", default="", help="comma-separated words of script names")
    options = parser.parse_args(argv)

    identifier = options.run_id or run_id()
    if options.out:
        out = options.out
    elif options.quick:
        out = Path(tempfile.mkdtemp(prefix="oscwire-quick-run-")) / identifier
    else:
        out = RESULTS / identifier
    if out.exists() and any(out.iterdir()):
        parser.error(f"{out} holds a run already: give another --run-id or --out")
    out.mkdir(parents=True, exist_ok=True)

    run: dict[str, Any] = {
        "run_id": identifier,
        "quick": options.quick,
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "uptime_before": uptime(),
        "load_average_before": list(os.getloadavg()),
        "git": git_state(),
        "python": sys.version,
        "steps": [],
    }
    failed = []
    for step in selected(options.only):
        name = Path(step.script).stem + ".json"
        arguments = [*(step.quick if options.quick else step.full), "--json", name]
        command = [sys.executable, str(HERE / step.script), *arguments[:-1], str(out / name)]
        print(f"\n=== {step.script} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.run(command).returncode
        run["steps"].append(
            {
                "script": step.script,
                "argv": arguments,
                "seconds": round(time.perf_counter() - started, 1),
                "returncode": code,
            }
        )
        if code != 0:
            failed.append(step.script)
    run["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    run["uptime_after"] = uptime()
    run["load_average_after"] = list(os.getloadavg())
    (out / "run.json").write_text(json.dumps(run, indent=1) + "\n", encoding="utf-8")
    print(f"\nrun {identifier} in {out}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
