"""How many Python frames a received datagram and an osc_send go through (for
docs/architecture.md): ``python bench/compare/frames.py``.

The receive path is counted from ``osc_process()`` down to the handler (the handler's own
frame excluded), the send path from ``osc_send()`` down to the channel method that calls
the socket. Compiled functions (codec, matcher loop, netio) have no Python frame.
"""

from __future__ import annotations

import inspect
import sys

import oscwire
from oscwire import _runtime
from oscwire import as_eventloop as osc
from oscwire.oscbuildparse import OSCMessage


def frames_between(top: str) -> list[str]:
    """The Python frames above the caller, up to (and including) the function *top*."""
    names = []
    for info in inspect.stack()[2:]:
        owner = info.frame.f_locals.get("self")
        where = type(owner).__name__ + "." if owner is not None else ""
        names.append(f"{info.frame.f_globals.get('__name__')}.{where}{info.function}")
        if info.function == top:
            break
    return list(reversed(names))


def main() -> None:
    osc.osc_startup()
    seen: list[list[str]] = []
    osc.osc_method("/f", lambda value: seen.append(frames_between("osc_process")))
    server = osc.osc_udp_server("127.0.0.1", 0, "srv")
    client = osc.osc_udp_client("127.0.0.1", server.bound_port, "cli")
    sent: list[list[str]] = []
    real = client.send_immediately

    def spy(raw: bytes) -> bool:
        sent.append(frames_between("osc_send"))
        return real(raw)

    client.send_immediately = spy  # type: ignore[method-assign]
    default = _runtime.default_system()
    read: list[list[str]] = []
    post = default.post_received

    def spy_post(channel: object, items: list[object], readtime: float) -> None:
        read.append(frames_between("osc_process"))
        post(channel, items, readtime)  # type: ignore[arg-type]

    default.post_received = spy_post  # type: ignore[method-assign]
    osc.osc_send(OSCMessage("/f", None, [1]), "cli")
    while not seen:
        osc.osc_process(0.01)
    osc.osc_terminate()
    print(
        f"oscwire {oscwire.__version__} ({oscwire.IMPLEMENTATION}), Python {sys.version.split()[0]}"
    )
    print(f"read: {len(read[0]) + 1} Python frames from osc_process() to the received queue:")
    for name in [*read[0], "oscwire._runtime.OSCSystem.post_received"]:
        print(f"  {name}")
    print(f"dispatch: {len(seen[0])} Python frames from osc_process() to the handler:")
    for name in seen[0]:
        print(f"  {name}")
    print(f"send: {len(sent[0]) + 1} Python frames from osc_send() to socket.sendto:")
    for name in [*sent[0], "oscwire.oscudpmc.UdpMcChannel.send_immediately"]:
        print(f"  {name}")


if __name__ == "__main__":
    main()
