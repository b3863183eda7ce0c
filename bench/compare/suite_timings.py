"""The pytest-benchmark timings the docs quote, compiled twin against pure, as one result file.

Run ``python bench/compare/suite_timings.py`` (``--quick`` for a shorter run, ``--json PATH``
for the figures and the run's metadata) from anywhere: it runs, from the repository root,

    python -m pytest <SELECTION> --benchmark-only --benchmark-json <file>

on the benchmarks of ``bench/suites/`` that ``docs/`` quotes (:data:`SELECTION`: SLIP and
size-prefix framing, a compiled pattern's match, a batch read of 256 datagrams, the
dispatcher's decode + match + call of 1000 datagrams already read), and prints and keeps
each one's median, with pytest-benchmark's min, max, mean and round count. Benchmarks
without a twin parameter (the ``system`` fixture's) run on the twins this process has.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _results import Results, add_json_option
from _table import format_table
from oscwire import _accel

ROOT = Path(__file__).resolve().parents[2]

#: The benchmarks the docs quote, by pytest node id relative to the repository root.
SELECTION = (
    "bench/suites/bench_framing.py",
    "bench/suites/bench_matching.py::test_compiled_pattern_match",
    "bench/suites/bench_udp.py::test_netio_recv_batch",
    "bench/suites/bench_udp.py::test_process_received",
)
TWINS = ("cython", "python")


def run_suites(quick: bool) -> list[dict[str, Any]]:
    """pytest-benchmark's records of :data:`SELECTION` (raises when pytest fails)."""
    timing = ["--benchmark-max-time=0.02", "--benchmark-min-rounds=3"] if quick else []
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "suites.json"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SELECTION]
        command += ["--benchmark-only", f"--benchmark-json={path}", *timing]
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pytest exited {done.returncode}:\n{done.stdout}")
        return json.loads(path.read_text(encoding="utf-8"))["benchmarks"]  # type: ignore[no-any-return]


def split(benchmark: dict[str, Any]) -> tuple[str, str]:
    """(workload, twin): the node id without its twin parameter, and that twin."""
    params = benchmark.get("params") or {}
    twin = next((value for value in params.values() if value in TWINS), _accel.IMPLEMENTATION)
    others = [str(value) for value in params.values() if value not in TWINS]
    test = benchmark["fullname"].split("[")[0].removeprefix("bench/suites/")
    return (f"{test}[{'-'.join(others)}]" if others else test), twin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few short rounds each")
    add_json_option(parser)
    options = parser.parse_args(argv)
    results = Results(
        "suite_timings.py",
        "pytest-benchmark over " + ", ".join(SELECTION) + ": seconds per call, median",
        sys.argv[1:] if argv is None else argv,
        options.quick,
    )
    rows = []
    for benchmark in run_suites(options.quick):
        workload, twin = split(benchmark)
        stats = benchmark["stats"]
        results.add(
            "suites",
            workload,
            f"oscwire {twin}",
            unit="s/op",
            statistic="median",
            samples=[],
            value=stats["median"],
            implementation=twin,
            **{key: stats[key] for key in ("min", "max", "mean", "rounds", "iterations")},
        )
        rows.append([workload, twin, f"{stats['median'] * 1e6:.3f}", str(stats["rounds"])])
    print(format_table(["benchmark", "twin", "median µs", "rounds"], rows, markdown=False))
    if options.json:
        results.write(options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
