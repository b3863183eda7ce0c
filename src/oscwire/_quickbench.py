"""``oscwire bench``: the compiled twins against the pure ones, measured side by side.

A quick look, not the benchmark suite (that is ``bench/``, with pytest-benchmark): each
workload runs on both twins in alternating rounds and the best round counts, so that a
noisy machine hurts both sides alike.
"""

from __future__ import annotations

import time
from typing import Callable

from oscwire import _accel

Workload = Callable[[], object]


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


def workloads(part: str, module) -> dict[str, Workload]:
    """The workloads of one twin of *part*, by name."""
    if part == "framing":
        payload = (bytes(range(64)) + b"\xc0\xdb")[:64]
        frame = module.slip_encode(payload)
        stream = module.size_prefix(payload) * 1000
        return {
            "SLIP encode 64 B": lambda: module.slip_encode(payload),
            "SLIP decode 64 B": lambda: module.SlipDecoder().feed(frame),
            "size-prefix stream, 1000 packets": lambda: module.HeaderDecoder().feed(stream),
        }
    if part == "codec":
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
    if part == "matcher" and hasattr(module, "match_pattern"):
        return {
            "match /mixer/*/fader{1,2}": lambda: module.match_pattern(
                "/mixer/*/fader{1,2}", "/mixer/ch3/fader2"
            ),
        }
    return {}


def run(seconds: float = 0.2) -> None:
    """Print a table: workload, compiled µs, pure µs, ratio."""
    import oscwire

    print(f"oscwire {oscwire.__version__}, in use: {oscwire.IMPLEMENTATION}")
    print(f"{'workload':<36} {'compiled µs':>12} {'pure µs':>10} {'ratio':>7}")
    for part in _accel.PARTS:
        pure = _accel.load_twin(part, "python")
        compiled = _accel.load_twin(part, "cython") if _accel.compiled_available(part) else None
        pure_loads = workloads(part, pure)
        compiled_loads = workloads(part, compiled) if compiled is not None else {}
        for name, pure_load in pure_loads.items():
            pure_time = best_time_per_call(pure_load, seconds)
            if name in compiled_loads:
                compiled_time = best_time_per_call(compiled_loads[name], seconds)
                print(
                    f"{name:<36} {compiled_time * 1e6:>12.3f} {pure_time * 1e6:>10.3f} {pure_time / compiled_time:>6.1f}×"
                )
            else:
                print(f"{name:<36} {'(not built)':>12} {pure_time * 1e6:>10.3f} {'':>7}")
