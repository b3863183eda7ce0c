"""``oscwire bench``: the compiled twins against the pure ones, measured side by side.

A quick look, not the benchmark suite (that is ``bench/``, with pytest-benchmark): each
workload runs on both twins, the best of a few rounds counting, so that a noisy machine
hurts both sides alike. The table is printed row by row as the measurements come, with a
progress line on stderr before each one; ``--json`` prints one JSON document instead:
versions, implementation in use, and every measurement with its unit.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Optional, TextIO

import oscwire
from oscwire import _accel

Workload = Callable[[], object]
#: Unit of the time per call in the results.
TIME_UNIT = "us"


def best_time_per_call(function: Workload, seconds: float, rounds: int = 5) -> float:
    """Seconds per call of *function*: the best of *rounds* rounds of about *seconds* each."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            function()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds / rounds / 4:
            break
        calls *= 4
    best = elapsed / calls
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def _framing_workloads(module: Any) -> dict[str, Workload]:
    payload = (bytes(range(64)) + b"\xc0\xdb")[:64]
    frame = module.slip_encode(payload)
    stream = module.size_prefix(payload) * 1000
    return {
        "SLIP encode 64 B": lambda: module.slip_encode(payload),
        "SLIP decode 64 B": lambda: module.SlipDecoder().feed(frame),
        "size-prefix stream, 1000 packets": lambda: module.HeaderDecoder().feed(stream),
    }


def _codec_workloads(module: Any) -> dict[str, Workload]:
    from oscwire.oscbuildparse import OSC_IMMEDIATELY, OSCBundle, OSCMessage

    message = OSCMessage("/test/addr", ",ifs", [1, 2.5, "hello"])
    bundle = OSCBundle(OSC_IMMEDIATELY, [message] * 10)
    raw_message = bytes(module.encode_packet(message))
    raw_bundle = bytes(module.encode_packet(bundle))
    return {
        "encode /test/addr ,ifs": lambda: module.encode_packet(message),
        "decode /test/addr ,ifs": lambda: module.decode_packet(raw_message),
        "encode bundle of 10": lambda: module.encode_packet(bundle),
        "decode bundle of 10": lambda: module.decode_packet(raw_bundle),
    }


def _matcher_workloads(module: Any) -> dict[str, Workload]:
    if not hasattr(module, "match_pattern"):
        return {}
    return {
        "match /mixer/*/fader{1,2}": lambda: module.match_pattern(
            "/mixer/*/fader{1,2}", "/mixer/ch3/fader2"
        ),
    }


#: The workloads of each part, built from one of its twins.
WORKLOADS: dict[str, Callable[[Any], dict[str, Workload]]] = {
    "framing": _framing_workloads,
    "codec": _codec_workloads,
    "matcher": _matcher_workloads,
}


def workloads(part: str, module: ModuleType) -> dict[str, Workload]:
    """The workloads of one twin of *part*, by name (none for a part not timed here)."""
    build = WORKLOADS.get(part)
    return build(module) if build is not None else {}


@dataclass(frozen=True)
class Measurement:
    """The time per call of one workload on one twin."""

    part: str
    workload: str
    twin: str
    seconds_per_call: float

    def as_json(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "workload": self.workload,
            "twin": self.twin,
            "time_per_call": round(self.seconds_per_call * 1e6, 6),
            "unit": TIME_UNIT,
        }


@dataclass(frozen=True)
class Workpiece:
    """One workload of one part, on the pure twin and (when built) the compiled one."""

    part: str
    workload: str
    pure: Workload
    compiled: Optional[Workload]

    @property
    def twins(self) -> list[tuple[str, Workload]]:
        """``(twin name, function)`` to measure, pure first."""
        pairs = [("python", self.pure)]
        if self.compiled is not None:
            pairs.append(("cython", self.compiled))
        return pairs


def plan() -> list[Workpiece]:
    """Every workload of every part, with the twins it runs on."""
    pieces: list[Workpiece] = []
    for part in _accel.PARTS:
        pure = workloads(part, _accel.load_twin(part, "python"))
        compiled = (
            workloads(part, _accel.load_twin(part, "cython"))
            if _accel.compiled_available(part)
            else {}
        )
        for name, function in pure.items():
            pieces.append(Workpiece(part, name, function, compiled.get(name)))
    return pieces


class Progress:
    """``[3/16] codec: encode bundle of 10 (cython)`` on stderr before each measurement:
    rewritten in place on a terminal, one line each otherwise."""

    def __init__(self, stream: Optional[TextIO], total: int) -> None:
        self.stream = stream
        self.total = total
        self.done = 0
        self.in_place = bool(stream is not None and stream.isatty())
        self._width = 0

    def step(self, piece: Workpiece, twin: str) -> None:
        self.done += 1
        if self.stream is None:
            return
        text = f"[{self.done}/{self.total}] {piece.part}: {piece.workload} ({twin})"
        if self.in_place:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """Erase the in-place line (before a table row is printed)."""
        if self.stream is not None and self.in_place and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def measure(piece: Workpiece, seconds: float, progress: Progress) -> list[Measurement]:
    """Measure *piece* on each of its twins, announcing each measurement first."""
    results = []
    for twin, function in piece.twins:
        progress.step(piece, twin)
        results.append(
            Measurement(piece.part, piece.workload, twin, best_time_per_call(function, seconds))
        )
    return results


def environment() -> dict[str, Any]:
    """Versions and the implementation in use, for the JSON document."""
    return {
        "oscwire": oscwire.__version__,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "implementation": oscwire.IMPLEMENTATION,
        "implementations": oscwire.implementations(),
    }


def ratios(measurements: list[Measurement]) -> list[dict[str, Any]]:
    """Pure time over compiled time per workload measured on both."""
    times = {(m.part, m.workload, m.twin): m.seconds_per_call for m in measurements}
    result = []
    for m in measurements:
        compiled = times.get((m.part, m.workload, "cython"))
        if m.twin == "python" and compiled:
            result.append(
                {
                    "part": m.part,
                    "workload": m.workload,
                    "pure_over_compiled": round(m.seconds_per_call / compiled, 3),
                    "unit": "ratio",
                }
            )
    return result


def _row(name: str, measurements: list[Measurement]) -> str:
    pure = measurements[0].seconds_per_call
    if len(measurements) < 2:
        return f"{name:<36} {'(not built)':>12} {pure * 1e6:>10.3f} {'':>7}"
    compiled = measurements[1].seconds_per_call
    return f"{name:<36} {compiled * 1e6:>12.3f} {pure * 1e6:>10.3f} {pure / compiled:>6.1f}×"


def run(seconds: float = 0.2, as_json: bool = False, quiet: bool = False) -> int:
    """Measure and print (a table, or one JSON document); return the exit status."""
    pieces = plan()
    total = sum(len(piece.twins) for piece in pieces)
    progress = Progress(None if quiet else sys.stderr, total)
    if as_json:
        measurements = [m for piece in pieces for m in measure(piece, seconds, progress)]
        progress.clear()
        document = {
            **environment(),
            "seconds_per_measurement": seconds,
            "measurements": [m.as_json() for m in measurements],
            "ratios": ratios(measurements),
        }
        print(json.dumps(document, indent=2))
        return 0
    print(f"oscwire {oscwire.__version__}, in use: {oscwire.IMPLEMENTATION}", flush=True)
    print(f"{'workload':<36} {'compiled µs':>12} {'pure µs':>10} {'ratio':>7}", flush=True)
    for piece in pieces:
        measurements = measure(piece, seconds, progress)
        progress.clear()
        print(_row(piece.workload, measurements), flush=True)
    return 0
