"""``oscwire demo``: an OSC server and client in one process, on loopback.

It uses the osc4py3-compatible API (``oscwire.as_eventloop``) the way a program would:
a UDP server on a port the OS picks, a client, handlers with OSC 1.0/1.1 pattern matching,
a message-side wildcard, a bundle timed 250 ms ahead, then a burst of messages for a
throughput figure, and the channel statistics.
"""

from __future__ import annotations

import functools
import time
from typing import Any, Callable

import oscwire
from oscwire import as_eventloop as osc
from oscwire.oscbuildparse import OSCBundle, OSCMessage, unixtime2timetag
from oscwire.oscmethod import OSCARG_ADDRESS, OSCARG_DATAUNPACK


def _reached(items: list[Any], count: int) -> bool:
    return len(items) >= count


def pump(until: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Run the event loop until *until()* is true or *timeout* seconds have passed."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            return False
        osc.osc_process(0.01)
    return True


def run(count: int = 2000) -> int:
    """Run the demo; return the process exit code."""
    print(
        f"oscwire {oscwire.__version__}, implementation {oscwire.IMPLEMENTATION} {oscwire.implementations()}"
    )
    lines: list[str] = []
    burst: list[Any] = []

    def show(*arguments: Any) -> None:
        lines.append("  " + " ".join(str(argument) for argument in arguments))

    osc.osc_startup(patternkind="spec")
    try:
        server = osc.osc_udp_server("127.0.0.1", 0, "demo-server")
        port = server.bound_port
        assert port is not None  # the server is open
        osc.osc_udp_client("127.0.0.1", port, "demo-client")
        print(f"UDP server on 127.0.0.1:{port}, client 'demo-client' sending to it")

        osc.osc_method("/synth/freq", show, argscheme=OSCARG_ADDRESS + OSCARG_DATAUNPACK)
        for channel in (1, 2, 3):
            osc.osc_method(
                f"/mixer/channel/{channel}/fader",
                functools.partial(show, f"(fader {channel} handler)"),
                argscheme=OSCARG_ADDRESS + OSCARG_DATAUNPACK,
            )
        arrivals: list[float] = []
        osc.osc_method("/light/cue", lambda *args: arrivals.append(time.time()))
        osc.osc_method("/burst", lambda *args: burst.append(args), argscheme=OSCARG_DATAUNPACK)

        print("Messages (auto-typed), and /mixer/channel/*/fader reaching every channel's handler:")
        osc.osc_send(OSCMessage("/synth/freq", None, [440.0]), "demo-client")
        osc.osc_send(OSCMessage("/mixer/channel/*/fader", None, [0.75]), "demo-client")
        pump(lambda: len(lines) >= 4)
        print("\n".join(sorted(lines)))

        due = time.time() + 0.25
        osc.osc_send(
            OSCBundle(unixtime2timetag(due), [OSCMessage("/light/cue", None, [1])]), "demo-client"
        )
        pump(lambda: bool(arrivals))
        if arrivals:
            print(
                f"Bundle timed 250 ms ahead ran {1000 * (arrivals[0] - due):+.1f} ms from its time tag"
            )

        message = OSCMessage("/burst", ",ifs", [1, 2.5, "hello"])
        start = time.perf_counter()
        for first in range(0, count, 250):  # bursts the socket buffers can hold
            target = min(first + 250, count)
            for _ in range(target - first):
                osc.osc_send(message, "demo-client")
            pump(functools.partial(_reached, burst, target), timeout=2)
        elapsed = time.perf_counter() - start
        print(
            f"{len(burst)}/{count} messages sent, received, decoded and dispatched in {elapsed * 1e3:.1f} ms ({len(burst) / elapsed:,.0f} msgs/s, one thread)"
        )
        stats = osc.osc_stats("demo-server")
        print(
            f"Server statistics: received {stats['received']}, bad {stats['bad_packets']}, handler errors {stats['handler_errors']}"
        )
        return 0 if len(burst) == count and arrivals else 1
    finally:
        osc.osc_terminate()
