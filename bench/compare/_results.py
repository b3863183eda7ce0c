"""Machine-readable results of the comparison scripts: one JSON layout, the same metadata.

Every script of ``bench/compare/`` takes ``--json PATH`` (:func:`add_json_option`) and
writes its figures through a :class:`Results`::

    {"format": 1, "script": "compare_codec.py", "argv": [...], "quick": false,
     "workload": "what was run", "meta": {...}, "measurements": [{...}, ...]}

``meta`` (:func:`metadata`) says where and with what the figures were measured: date,
Python, platform, CPU count, load average at the start and at the end of the script,
the versions of oscwire and its peers, and which twin oscwire used for each compiled part.

One measurement is one cell of a table: ``group`` (the table: ``"codec"``), ``workload``
(the row: ``"msg encode"``), ``subject`` (who was measured, as the script's own table
labels it), ``library`` (one of :data:`LIBRARIES`), ``implementation`` (the oscwire twin
measured, ``"cython"`` or ``"python"``; null for the others), ``unit``, ``value`` (the
figure a table shows), ``statistic`` (how ``value`` comes from ``samples``: ``"min"``,
``"max"``, ``"median"``, or ``"total"`` for a count), ``samples`` (every timed repeat, or
the statistics pytest-benchmark keeps) and ``extra`` (what else the script knows of it:
losses, CPU-time rates, a parameter).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

FORMAT = 1

#: The libraries a measurement can belong to: oscwire, its peers, and "raw" for the plain
#: socket loops that show the floor a library cannot go below.
LIBRARIES = ("oscwire", "pyliblo3", "python-osc", "osc4py3", "raw")

#: Statistics a measurement's value may be of its samples.
STATISTICS: dict[str, Callable[[list[float]], float]] = {
    "min": min,
    "max": max,
    "median": statistics.median,
    "total": sum,
}

#: Distributions whose versions every result file records (None when not installed).
DISTRIBUTIONS = ("python-osc", "osc4py3", "pyliblo3", "uvloop", "pytest-benchmark")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """The ``--json PATH`` option every comparison script has."""
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        help="also write the results, with the run's metadata, as JSON to PATH",
    )


def _versions() -> dict[str, str | None]:
    import oscwire

    found: dict[str, str | None] = {"oscwire": oscwire.__version__}
    for name in DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def metadata() -> dict[str, Any]:
    """Where and with what this process measures: host, Python, versions, oscwire's twins."""
    import oscwire

    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_start": list(os.getloadavg()),
        "versions": _versions(),
        "oscwire_implementations": oscwire.implementations(),
        "oscwire_no_extensions": os.environ.get("OSCWIRE_NO_EXTENSIONS", ""),
    }


def library_of(subject: str) -> str:
    """The library of a subject labelled by its library's name first (``"python-osc …"``)."""
    for library in LIBRARIES:
        if subject.startswith(library):
            return library
    raise ValueError(f"no library of {LIBRARIES} starts the label {subject!r}")


def _without_directories(argv: list[str]) -> list[str]:
    """*argv* with the ``--json`` path cut to its file name (where a run was kept is no
    figure of it)."""
    return [
        Path(arg).name if index and argv[index - 1] == "--json" else arg
        for index, arg in enumerate(argv)
    ]


class Results:
    """The measurements of one script run, written as JSON by :meth:`write`."""

    def __init__(self, script: str, workload: str, argv: list[str], quick: bool) -> None:
        self.document: dict[str, Any] = {
            "format": FORMAT,
            "script": script,
            "argv": _without_directories(argv),
            "quick": quick,
            "workload": workload,
            "meta": metadata(),
            "measurements": [],
        }

    @property
    def measurements(self) -> list[dict[str, Any]]:
        return self.document["measurements"]  # type: ignore[no-any-return]

    def add(
        self,
        group: str,
        workload: str,
        subject: str,
        *,
        unit: str,
        statistic: str,
        samples: list[float],
        library: str | None = None,
        implementation: str | None = None,
        value: float | None = None,
        **extra: Any,
    ) -> None:
        """One cell: *statistic* of *samples* is its value, unless *value* is given (a
        tool that keeps statistics, not samples); None when there is neither (a case
        that was skipped says why in *extra*)."""
        library = library or library_of(subject)
        if library not in LIBRARIES:
            raise ValueError(f"unknown library {library!r}: one of {LIBRARIES}")
        if (library == "oscwire") != (implementation is not None):
            raise ValueError(f"{subject!r}: an oscwire twin, and only oscwire's, is named")
        if statistic not in STATISTICS:
            raise ValueError(f"unknown statistic {statistic!r}: one of {list(STATISTICS)}")
        if value is None and samples:
            value = STATISTICS[statistic](samples)
        self.measurements.append(
            {
                "group": group,
                "workload": workload,
                "subject": subject,
                "library": library,
                "implementation": implementation,
                "unit": unit,
                "value": value,
                "statistic": statistic,
                "samples": samples,
                "extra": extra,
            }
        )

    def extend(self, measurements: list[dict[str, Any]]) -> None:
        """Measurements made by another process (:func:`measure_pure_twin`)."""
        self.measurements.extend(measurements)

    def write(self, path: Path) -> None:
        self.document["meta"]["load_average_end"] = list(os.getloadavg())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.document, indent=1) + "\n", encoding="utf-8")


def measure_pure_twin(script: str, argv: list[str]) -> list[dict[str, Any]]:
    """Run *script* with *argv* in a subprocess on oscwire's pure twins
    (``OSCWIRE_NO_EXTENSIONS=1``) and return its measurements.

    Raises RuntimeError when it fails or when oscwire did not run pure in it.
    """
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "pure.json"
        env = {**os.environ, "OSCWIRE_NO_EXTENSIONS": "1"}
        done = subprocess.run(
            [sys.executable, script, *argv, "--json", str(path)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{Path(script).name} on the pure twins exited {done.returncode}:\n{done.stderr}"
            )
        sys.stderr.write(done.stderr)
        document = json.loads(path.read_text(encoding="utf-8"))
    used = set(document["meta"]["oscwire_implementations"].values())
    if used != {"python"}:
        raise RuntimeError(f"{Path(script).name} was to run on the pure twins, ran on {used}")
    return document["measurements"]  # type: ignore[no-any-return]
