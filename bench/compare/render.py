"""The docs' tables and plot of oscwire's speed, from one committed run of ``run_all.py``.

``python bench/compare/render.py [bench/results/<run-id>]`` (default: the newest run there)
rewrites, in ``README.md`` and ``docs/*.md``, every block between ``<!-- bench:NAME -->``
and ``<!-- /bench -->``: the table :data:`VIEWS` makes for NAME from the run, followed by
the line "run `<run-id>`, `python bench/compare/<script>.py`". It also draws
``docs/_static/performance.svg`` (matplotlib, from the ``dev`` extra): oscwire's compiled
and pure twins against pyliblo3, python-osc and osc4py3 in one figure. ``--check`` writes
nothing and exits 1 when a page is not what the run gives; ``--no-plot`` leaves the
figure alone. A ``--quick`` run is refused: its figures are not measurements.

Everything but :func:`plot` needs only the standard library: ``tests/test_docs_performance.py``
calls :func:`render_page` on the committed run to check the pages.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs"
FIGURE = DOCS / "_static" / "performance.svg"
OPEN = re.compile(r"^<!-- bench:([a-z0-9-]+) -->$")
CLOSE = "<!-- /bench -->"
MISSING = "–"


class RunError(Exception):
    """A run directory that cannot give the figures asked of it."""


# ------------------------------------------------------------------------------- the run
@dataclass
class Run:
    """One run directory: ``run.json`` and each script's result file, by script stem."""

    run_id: str
    info: dict[str, Any]
    documents: dict[str, dict[str, Any]]

    @property
    def quick(self) -> bool:
        return bool(self.info.get("quick")) or any(d["quick"] for d in self.documents.values())

    def measurements(self, script: str, group: str) -> list[dict[str, Any]]:
        if script not in self.documents:
            raise RunError(f"run {self.run_id} has no {script}.json")
        return [m for m in self.documents[script]["measurements"] if m["group"] == group]

    def find(
        self,
        script: str,
        group: str,
        subject: str,
        implementation: str | None = None,
        workload: str | None = None,
    ) -> dict[str, Any] | None:
        """The measurement of *subject* (on oscwire's *implementation*, when given), or None."""
        for m in self.measurements(script, group):
            if (
                m["subject"] == subject
                and (implementation is None or m["implementation"] == implementation)
                and (workload is None or m["workload"] == workload)
            ):
                return m
        return None

    def value(self, *key: Any, **named: Any) -> float | None:
        found = self.find(*key, **named)
        return None if found is None else found["value"]  # type: ignore[no-any-return]


def load_run(directory: Path) -> Run:
    """The run in *directory* (``run.json`` and the result files beside it)."""
    info_path = directory / "run.json"
    if not info_path.is_file():
        raise RunError(f"{directory} holds no run.json: not a run of run_all.py")
    info = json.loads(info_path.read_text(encoding="utf-8"))
    documents = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"))
        if path.name != "run.json"
    }
    return Run(info["run_id"], info, documents)


def newest_run(results: Path = RESULTS) -> Path:
    """The newest real (not quick) run directory under *results*."""
    runs = [
        path.parent
        for path in sorted(results.glob("*/run.json"))
        if not json.loads(path.read_text(encoding="utf-8")).get("quick")
    ]
    if not runs:
        raise RunError(f"no run under {results}: python bench/compare/run_all.py makes one")
    return max(runs, key=lambda path: json.loads((path / "run.json").read_text())["started"])


# ---------------------------------------------------------------------------- formatting
def significant(value: float, digits: int = 3) -> str:
    """*value* to *digits* significant digits, never in exponent notation."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        text = f"{float(text):.0f}"
    return text


def rate(value: float | None) -> str:
    """Messages per second: ``1.94M``, ``424k``, ``6.93k``."""
    if value is None:
        return MISSING
    rounded = float(significant(value))
    if rounded >= 1e6:
        return significant(rounded / 1e6) + "M"
    if rounded >= 1e3:
        return significant(rounded / 1e3) + "k"
    return significant(rounded)


def micros(seconds: float | None) -> str:
    """Seconds as microseconds, three significant digits: ``0.13``, ``19.1``, ``110``."""
    return MISSING if seconds is None else significant(seconds * 1e6)


def duration(seconds: float | None) -> str:
    """Seconds in the unit that reads best: ``61.2 ns``, ``1.41 µs``, ``34.1 µs``."""
    if seconds is None:
        return MISSING
    if seconds < 1e-6:
        return f"{significant(seconds * 1e9)} ns"
    if seconds < 1e-3:
        return f"{significant(seconds * 1e6)} µs"
    return f"{significant(seconds * 1e3)} ms"


def ratio(numerator: float | None, denominator: float | None) -> str:
    """``2.5×``, ``0.35×``, ``2.0×``, ``31×``; the missing mark when either is missing."""
    if numerator is None or not denominator:
        return MISSING
    value = numerator / denominator
    return (f"{value:.0f}" if value >= 10 else f"{value:#.2g}") + "×"


def count(value: float | None) -> str:
    return MISSING if value is None else f"{round(value):,}"


# --------------------------------------------------------------------------------- views
class Table(NamedTuple):
    """A rendered table and the script whose results it shows."""

    script: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]


CODEC_ROWS = {
    "msg encode": "message encode",
    "msg decode": "message decode",
    "bundle10 encode": "bundle of 10, encode",
    "bundle10 decode": "bundle of 10, decode",
    "blob1k encode": "1 KiB blob + 64 floats, encode",
    "blob1k decode": "1 KiB blob + 64 floats, decode",
    "send direct": "a sender's message: `encode_message`",
    "send via message": "a sender's message: `encode_packet(OSCMessage(...))`",
}
CODEC_COLUMNS = {
    "oscwire[c]": "compiled",
    "oscwire[py]": "pure",
    "python-osc": "python-osc",
    "osc4py3": "osc4py3",
    "pyliblo3": "pyliblo3",
}


def codec_table(run: Run) -> Table:
    header = ["workload (µs per operation)", *CODEC_COLUMNS.values()]
    rows = [
        [
            label,
            *(micros(run.value("compare_codec", "codec", s, workload=w)) for s in CODEC_COLUMNS),
        ]
        for w, label in CODEC_ROWS.items()
    ]
    return Table("compare_codec", header, rows)


DISPATCH_WORKLOADS = {
    "exact-10": "10 methods",
    "exact-100": "100 methods",
    "exact-1000": "1000 methods",
    "fanout-100": "fan-out to 100",
}
DISPATCH_ROWS = {
    "oscwire cython": "oscwire compiled",
    "oscwire python": "oscwire pure",
    "oscwire cython osc-kind": "oscwire compiled, osc4py3's kind",
    "oscwire python osc-kind": "oscwire pure, osc4py3's kind",
    "python-osc": "python-osc",
    "osc4py3": "osc4py3",
}


def dispatch_table(run: Run) -> Table:
    rows = []
    for subject, label in DISPATCH_ROWS.items():
        cells = [label]
        for workload in DISPATCH_WORKLOADS:
            value = run.value("compare_dispatch", "dispatch", subject, workload=workload)
            reference = run.value("compare_dispatch", "dispatch", "python-osc", workload=workload)
            cell = rate(value) if value is not None else "n/a"
            if value is not None and subject != "python-osc" and reference:
                cell += f" ({ratio(value, reference)})"
            cells.append(cell)
        rows.append(cells)
    return Table("compare_dispatch", ["msgs/s (× python-osc)", *DISPATCH_WORKLOADS.values()], rows)


def pattern_length_table(run: Run) -> Table:
    found = run.measurements("compare_pattern_length", "pattern-length")
    compiled = [m for m in found if m["implementation"] == "cython"] or found
    lengths = sorted({m["extra"]["length"] for m in compiled})
    cases = list(dict.fromkeys(m["workload"] for m in compiled))
    cells = {(m["workload"], m["extra"]["length"]): m for m in compiled}
    rows = []
    for case in cases:
        # The patterns as code: Markdown would read their * and [ ] as emphasis and links.
        row = [re.sub(r"'([^']*)'", r"`\1`", case)]
        for length in lengths:
            m = cells.get((case, length))
            if m is None:
                row.append(MISSING)
            elif m["value"] is None:
                row.append(">budget")
            else:
                row.append(f"{m['value']:.1f}")
        rows.append(row)
    twin = compiled[0]["implementation"] if compiled else "cython"
    header = [f"ns per character ({'compiled' if twin == 'cython' else 'pure'} twin)"]
    return Table("compare_pattern_length", header + [f"{n} B" for n in lengths], rows)


#: (subject, oscwire twin, label) of the UDP receivers, in table order.
UDP_RECEIVERS = (
    ("raw recvfrom (no decode)", None, "raw Python `recvfrom`, no decoding"),
    ("oscwire as_eventloop", "cython", "oscwire `as_eventloop`"),
    ("oscwire as_eventloop (pure)", "python", "oscwire `as_eventloop`, pure"),
    ("oscwire as_allthreads", "cython", "oscwire `as_allthreads` (2 handler threads)"),
    ("oscwire as_comthreads", "cython", "oscwire `as_comthreads`"),
    ("oscwire as_asyncio", "cython", "oscwire `as_asyncio` (asyncio loop)"),
    ("oscwire as_asyncio (uvloop)", "cython", "oscwire `as_asyncio` (uvloop)"),
    ("pyliblo3 Server", None, "pyliblo3 `Server`"),
    ("python-osc BlockingOSCUDPServer", None, "python-osc `BlockingOSCUDPServer`"),
    ("osc4py3 as_eventloop", None, "osc4py3 `as_eventloop`"),
)
LIBLO_SERVER = "pyliblo3 Server"


def _udp(run: Run, group: str, subject: str) -> dict[str, Any] | None:
    return run.find("udp_capacity", group, subject)


def _versus_liblo(run: Run, group: str, subject: str) -> str:
    if subject.startswith("raw"):
        return ""
    return ratio(
        run.value("udp_capacity", group, subject), run.value("udp_capacity", group, LIBLO_SERVER)
    )


def udp_receive_table(run: Run) -> Table:
    """The summary: blasting, bursts and paced losses side by side."""
    rows = []
    for subject, _twin, label in UDP_RECEIVERS:
        capacity, burst = _udp(run, "udp-capacity", subject), _udp(run, "udp-burst", subject)
        if capacity is None and burst is None:
            continue
        paced = _udp(run, "udp-paced", subject)
        rows.append(
            [
                label,
                rate(capacity and capacity["value"]),
                _versus_liblo(run, "udp-capacity", subject),
                rate(burst and burst["value"]),
                _versus_liblo(run, "udp-burst", subject),
                "" if subject.startswith("raw") else count(paced and paced["value"]),
            ]
        )
    header = [
        "receiver",
        "sender blasting, msgs/s",
        "× pyliblo3",
        "burst drain, msgs/s",
        "× pyliblo3",
        "paced 100k/s: lost",
    ]
    return Table("udp_capacity", header, rows)


def _middle_round(m: dict[str, Any]) -> int:
    """The index of the round whose rate is nearest the median (its drops are shown)."""
    samples = m["samples"]
    return min(range(len(samples)), key=lambda i: abs(samples[i] - m["value"]))


def udp_capacity_table(run: Run) -> Table:
    rows = []
    for subject, _twin, label in UDP_RECEIVERS:
        m = _udp(run, "udp-capacity", subject)
        if m is None:
            continue
        drops = m["extra"]["kernel_drops"][_middle_round(m)]
        rows.append(
            [
                label,
                rate(m["value"]),
                rate(max(m["samples"])),
                _versus_liblo(run, "udp-capacity", subject),
                rate(statistics.median(m["extra"]["cpu_samples"])),
                "" if drops is None else count(drops),
            ]
        )
    header = ["receiver", "msgs/s (median)", "best", "× pyliblo3", "per CPU-s", "kernel drops"]
    return Table("udp_capacity", header, rows)


def udp_burst_table(run: Run) -> Table:
    rows = []
    for subject, _twin, label in UDP_RECEIVERS:
        m = _udp(run, "udp-burst", subject)
        if m is None:
            continue
        rows.append(
            [
                label,
                rate(m["value"]),
                rate(max(m["samples"])),
                _versus_liblo(run, "udp-burst", subject),
                rate(statistics.median(m["extra"]["cpu_samples"])),
            ]
        )
    header = ["receiver", "msgs/s (median)", "best", "× pyliblo3", "per CPU-s"]
    return Table("udp_capacity", header, rows)


UDP_SENDERS = {
    "oscwire osc_send (explicit tags)": "oscwire `osc_send` (explicit type tags)",
    "oscwire osc_send (auto tags)": "oscwire `osc_send` (type tags inferred)",
    "oscwire osc_send in batched_sends()": "oscwire `osc_send` inside `osc_batched_sends()`",
    "raw socket.sendto (no encode)": "raw `socket.sendto` of a pre-encoded datagram",
    "raw netio.send_batch cython (sendmmsg)": "raw `sendmmsg` of pre-encoded datagrams (compiled `netio.send_batch`)",
    "raw netio.send_batch python (sendto loop)": "raw `sendto` loop (pure `netio.send_batch`)",
    "pyliblo3 liblo.send": "pyliblo3 `liblo.send`",
    "python-osc send_message": "python-osc `SimpleUDPClient.send_message`",
    "osc4py3 osc_send + osc_process": "osc4py3 `osc_send` + `osc_process`",
}


def udp_send_table(run: Run) -> Table:
    rows = [
        [label, rate(run.value("udp_capacity", "udp-send", subject))]
        for subject, label in UDP_SENDERS.items()
        if run.find("udp_capacity", "udp-send", subject) is not None
    ]
    return Table("udp_capacity", ["sender", "msgs/s (best round)"], rows)


#: (subject, oscwire twin, label) of compare_send.py's senders, by group.
SENDERS = {
    "send": (
        ("oscwire Client.send", "cython", "oscwire `Client.send`"),
        ("oscwire Client.send", "python", "oscwire `Client.send`, pure"),
        ("oscwire osc_send(OSCMessage(...))", "cython", "oscwire `osc_send(OSCMessage(...))`"),
        (
            "oscwire osc_send(OSCMessage(...))",
            "python",
            "oscwire `osc_send(OSCMessage(...))`, pure",
        ),
        ("pyliblo3 liblo.send (Address)", None, "pyliblo3 `liblo.send` (to an `Address`)"),
        ("python-osc send_message", None, "python-osc `SimpleUDPClient.send_message`"),
        ("osc4py3 osc_send + osc_process", None, "osc4py3 `osc_send` + `osc_process`"),
        ("raw sendto, pre-encoded", None, "raw `sendto` of a pre-encoded datagram"),
    ),
    "send-batch": (
        ("oscwire Client.batch()", "cython", "oscwire `with client.batch():`"),
        ("oscwire Client.batch()", "python", "oscwire `with client.batch():`, pure"),
        ("raw sendmmsg, pre-encoded", None, "raw `sendmmsg` of pre-encoded datagrams"),
    ),
}
SEND_REFERENCE = {
    "send": ("pyliblo3 liblo.send (Address)", "× `liblo.send`"),
    "send-batch": ("raw sendmmsg, pre-encoded", "× raw `sendmmsg`"),
}


def _send_table(run: Run, group: str) -> Table:
    reference, title = SEND_REFERENCE[group]
    base = run.value("compare_send", group, reference)
    rows = []
    for subject, twin, label in SENDERS[group]:
        m = run.find("compare_send", group, subject, implementation=twin)
        if m is None:
            continue
        low, high = rate(min(m["samples"])), rate(max(m["samples"]))
        cpu = statistics.median(m["extra"]["cpu_samples"])
        rows.append([label, rate(m["value"]), f"{low}–{high}", rate(cpu), ratio(m["value"], base)])
    header = ["sender", "msgs/s (median)", "range", "per CPU-s", title]
    return Table("compare_send", header, rows)


SERVER_ROWS = {
    "runtime (OSCSystem, eventloop)": "runtime: `OSCSystem`, event loop, plain handler",
    "Server, Form.ARGS -> None": "`Server`, `Form.ARGS` declared `-> None`",
    "Server, Form.ARGS (may reply)": "`Server`, `Form.ARGS` (may reply)",
    "Server, Form.ADDRESS_ARGS (default)": "`Server`, `Form.ADDRESS_ARGS` (the default)",
    "Server, Form.CONTEXT": "`Server`, `Form.CONTEXT`",
}
SERVER_BASE = "runtime (OSCSystem, eventloop)"


def server_table(run: Run) -> Table:
    rows = []
    for subject, label in SERVER_ROWS.items():
        cells = [label]
        for group in ("server-udp", "server-tcp"):
            value = run.value("compare_server", group, subject)
            cells += [rate(value), ratio(value, run.value("compare_server", group, SERVER_BASE))]
        rows.append(cells)
    header = ["receiver", "UDP burst, msgs/s", "× runtime", "TCP, msgs/s", "× runtime"]
    return Table("compare_server", header, rows)


TCP_ROWS = (
    ("oscwire eventloop", "cython", "oscwire event loop"),
    ("oscwire allthreads, no handler threads", "cython", "oscwire all-threads, no handler threads"),
    ("oscwire comthreads", "cython", "oscwire comthreads"),
    ("oscwire allthreads, 10 handler threads", "cython", "oscwire all-threads, 10 handler threads"),
    ("oscwire eventloop", "python", "oscwire event loop, pure"),
    (
        "oscwire allthreads, no handler threads",
        "python",
        "oscwire all-threads, no handler threads, pure",
    ),
    ("oscwire comthreads", "python", "oscwire comthreads, pure"),
    (
        "oscwire allthreads, 10 handler threads",
        "python",
        "oscwire all-threads, 10 handler threads, pure",
    ),
    ("python-osc", None, "python-osc `ThreadingOSCTCPServer`"),
)
TCP_FRAMINGS = {"size": "size prefix (OSC 1.0)", "slip": "SLIP (OSC 1.1)"}


def tcp_table(run: Run) -> Table:
    rows = []
    for subject, twin, label in TCP_ROWS:
        cells = [label]
        for framing in TCP_FRAMINGS:
            value = run.value("compare_tcp", "tcp", subject, implementation=twin, workload=framing)
            reference = run.value("compare_tcp", "tcp", "python-osc", workload=framing)
            cell = rate(value)
            if value is not None and subject != "python-osc":
                cell += f" ({ratio(value, reference)})"
            cells.append(cell)
        rows.append(cells)
    return Table("compare_tcp", ["receiver: msgs/s (× python-osc)", *TCP_FRAMINGS.values()], rows)


FRAMING_ROWS = {
    "bench_framing.py::test_slip_encode[64B]": "SLIP encode, 64 B",
    "bench_framing.py::test_slip_encode[1KiB]": "SLIP encode, 1 KiB",
    "bench_framing.py::test_slip_decode_stream[64B]": "SLIP decode (feed one frame), 64 B",
    "bench_framing.py::test_slip_decode_stream[1KiB]": "SLIP decode (feed one frame), 1 KiB",
    "bench_framing.py::test_slip_decode_1000_packets": "SLIP stream, 1000 × 64 B in one chunk",
    "bench_framing.py::test_header_decode_1000_packets": "size-prefix stream, 1000 × 64 B in one chunk",
    "bench_framing.py::test_header_decode_1000_packets_split": "size-prefix stream, 1000 × 64 B in 1400-byte reads",
}


def framing_table(run: Run) -> Table:
    rows = []
    for workload, label in FRAMING_ROWS.items():
        compiled = run.value("suite_timings", "suites", "oscwire cython", workload=workload)
        pure = run.value("suite_timings", "suites", "oscwire python", workload=workload)
        rows.append([label, duration(compiled), duration(pure), ratio(pure, compiled)])
    return Table(
        "suite_timings", ["workload (median)", "compiled", "pure", "pure / compiled"], rows
    )


#: The tables a page can hold, by the NAME of its ``<!-- bench:NAME -->`` marker.
VIEWS: dict[str, Callable[[Run], Table]] = {
    "codec": codec_table,
    "dispatch": dispatch_table,
    "pattern-length": pattern_length_table,
    "udp-receive": udp_receive_table,
    "udp-capacity": udp_capacity_table,
    "udp-burst": udp_burst_table,
    "udp-send": udp_send_table,
    "send": lambda run: _send_table(run, "send"),
    "send-batch": lambda run: _send_table(run, "send-batch"),
    "server": server_table,
    "tcp": tcp_table,
    "framing": framing_table,
}


# ---------------------------------------------------------------------------------- pages
def source_line(run_id: str, script: str) -> str:
    """The line under every rendered table: which run, which script."""
    return f"run `{run_id}`, `python bench/compare/{script}.py`"


def render_block(name: str, run: Run) -> list[str]:
    """The lines between the markers of block *name*: table, blank line, source line."""
    if name not in VIEWS:
        raise RunError(f"no view named {name!r}: one of {sorted(VIEWS)}")
    table = VIEWS[name](run)
    lines = ["| " + " | ".join(table.header) + " |", "|" + "---|" * len(table.header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in table.rows]
    return [*lines, "", source_line(run.run_id, table.script)]


def render_page(text: str, run: Run, only: Callable[[str], bool] = lambda name: True) -> str:
    """*text* with each marked block (for which *only* is true) rendered from *run*."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        opening = OPEN.match(line)
        if opening is None:
            continue
        try:
            end = lines.index(CLOSE, index)
        except ValueError:
            raise RunError(f"{line} is not closed by {CLOSE}") from None
        if only(opening.group(1)):
            out += render_block(opening.group(1), run)
        else:
            out += lines[index:end]
        out.append(CLOSE)
        index = end + 1
    return "\n".join(out)


def pages(root: Path = ROOT) -> list[Path]:
    """README.md and the docs pages (the ones that may hold marked blocks)."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


# ----------------------------------------------------------------------------------- plot
#: The bars of the plot: (library, oscwire twin) → label and colour.
SERIES = {
    ("oscwire", "cython"): ("oscwire, compiled", "#1f5fa8"),
    ("oscwire", "python"): ("oscwire, pure Python", "#7fb0e0"),
    ("pyliblo3", None): ("pyliblo3 (C)", "#d08020"),
    ("python-osc", None): ("python-osc", "#3a9a50"),
    ("osc4py3", None): ("osc4py3", "#b04040"),
}


RATE_UNIT = "msgs/s (higher is better)"


class Panel(NamedTuple):
    """One panel: a title, a unit, and (group label → bars by series) to draw."""

    title: str
    unit: str
    groups: dict[str, dict[tuple[str, str | None], float]]


def _bars(
    run: Run, script: str, group: str, subjects: dict[tuple[str, str | None], str], **named: Any
) -> dict[tuple[str, str | None], float]:
    """The value of each series' subject, those measured."""
    found: dict[tuple[str, str | None], float] = {}
    for series, subject in subjects.items():
        value = run.value(script, group, subject, implementation=series[1], **named)
        if value is not None:
            found[series] = value
    return found


def panels(run: Run) -> list[Panel]:
    """What the figure shows, from *run*: the headline workload of each script."""
    c, p = ("oscwire", "cython"), ("oscwire", "python")
    liblo, pyosc, o4 = ("pyliblo3", None), ("python-osc", None), ("osc4py3", None)
    codec = {
        c: "oscwire[c]",
        p: "oscwire[py]",
        liblo: "pyliblo3",
        pyosc: "python-osc",
        o4: "osc4py3",
    }
    dispatch = {c: "oscwire cython", p: "oscwire python", pyosc: "python-osc", o4: "osc4py3"}
    udp = {
        c: "oscwire as_eventloop",
        p: "oscwire as_eventloop (pure)",
        liblo: "pyliblo3 Server",
        pyosc: "python-osc BlockingOSCUDPServer",
        o4: "osc4py3 as_eventloop",
    }
    tcp = {c: "oscwire eventloop", p: "oscwire eventloop", pyosc: "python-osc"}
    send = {
        c: "oscwire Client.send",
        p: "oscwire Client.send",
        liblo: "pyliblo3 liblo.send (Address)",
        pyosc: "python-osc send_message",
        o4: "osc4py3 osc_send + osc_process",
    }
    return [
        Panel(
            "Codec: one operation",
            "µs (lower is better)",
            {
                f"{label}": {
                    k: v * 1e6
                    for k, v in _bars(run, "compare_codec", "codec", codec, workload=w).items()
                }
                for w, label in (
                    ("msg encode", "message\nencode"),
                    ("msg decode", "message\ndecode"),
                    ("bundle10 encode", "bundle of 10\nencode"),
                    ("bundle10 decode", "bundle of 10\ndecode"),
                )
            },
        ),
        Panel(
            "Dispatch: decode + match + call",
            RATE_UNIT,
            {
                label: _bars(run, "compare_dispatch", "dispatch", dispatch, workload=w)
                for w, label in (("exact-10", "10 methods"), ("exact-1000", "1000 methods"))
            },
        ),
        Panel(
            "UDP receive, two processes",
            RATE_UNIT,
            {
                "sender\nblasting": _bars(run, "udp_capacity", "udp-capacity", udp),
                "burst\ndrain": _bars(run, "udp_capacity", "udp-burst", udp),
            },
        ),
        Panel(
            "TCP receive, one connection",
            RATE_UNIT,
            {
                label: _bars(run, "compare_tcp", "tcp", tcp, workload=w)
                for w, label in (("size", "size prefix"), ("slip", "SLIP"))
            },
        ),
        Panel(
            "UDP send",
            RATE_UNIT,
            {"a new message\nper call": _bars(run, "compare_send", "send", send)},
        ),
    ]


def _short(value: float) -> str:
    """A bar's or a tick's label: ``2.1M``, ``424k``, ``0.13``."""
    return rate(value) if value >= 1000 else significant(value, 2)


def plot(run: Run, path: Path) -> None:
    """Draw :func:`panels` of *run* into *path* (SVG, text kept as text: small, sharp)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": run.run_id, "font.size": 9})
    figure = plt.figure(figsize=(10, 10.5))
    grid = figure.add_gridspec(3, 2, hspace=0.55, wspace=0.25)
    places = [grid[0, :], grid[1, 0], grid[1, 1], grid[2, 0], grid[2, 1]]
    for place, panel in zip(places, panels(run)):
        axes = figure.add_subplot(place)
        _draw(axes, panel)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for _label, colour in SERIES.values()]
    figure.legend(handles, [label for label, _ in SERIES.values()], loc="upper center", ncol=5)
    figure.suptitle(
        f"oscwire against its peers, run {run.run_id} (bench/results/{run.run_id})", y=0.965
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)


def _draw(axes: Any, panel: Panel) -> None:
    from matplotlib import ticker

    values = [v for bars in panel.groups.values() for v in bars.values()]
    width = 0.8 / len(SERIES)
    for group_index, bars in enumerate(panel.groups.values()):
        present = [series for series in SERIES if series in bars]
        for slot, series in enumerate(present):
            x = group_index + (slot - (len(present) - 1) / 2) * width
            value = bars[series]
            axes.bar(x, value, width * 0.95, color=SERIES[series][1])
            axes.annotate(
                _short(value),
                (x, value),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                rotation=90,
            )
    axes.set_xticks(range(len(panel.groups)), list(panel.groups))
    axes.set_title(panel.title)
    axes.set_ylabel(panel.unit)
    if values and max(values) / min(values) > 10:  # spans a decade or more
        axes.set_yscale("log")
        axes.set_ylim(min(values) / 2, max(values) * 8)
    elif values:
        axes.set_ylim(0, max(values) * 1.3)
    axes.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _pos: _short(value)))
    axes.yaxis.set_minor_formatter(ticker.NullFormatter())
    axes.spines[["top", "right"]].set_visible(False)


# ------------------------------------------------------------------------------------ CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", type=Path, help="a run directory (default: newest)")
    parser.add_argument("--check", action="store_true", help="change nothing; 1 if stale")
    parser.add_argument("--no-plot", action="store_true", help="leave the figure alone")
    options = parser.parse_args(argv)
    try:
        run = load_run(options.run or newest_run())
    except RunError as error:
        parser.error(str(error))
    if run.quick:
        parser.error(f"run {run.run_id} is a --quick run: its figures are no measurements")
    stale = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        try:
            rendered = render_page(text, run)
        except RunError as error:
            parser.error(f"{page.relative_to(ROOT)}: {error}")
        if rendered != text:
            stale.append(page.relative_to(ROOT))
            if not options.check:
                page.write_text(rendered, encoding="utf-8")
    if options.check:
        for page in stale:
            print(f"{page}: not what run {run.run_id} gives", file=sys.stderr)
        return 1 if stale else 0
    for page in stale:
        print(f"rewrote {page}")
    if not options.no_plot:
        plot(run, FIGURE)
        print(f"drew {FIGURE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
