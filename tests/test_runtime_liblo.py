"""Black-box interop of the runtime with liblo's ``oscsend`` / ``oscdump``, in each policy."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import socket
import subprocess
import threading
import time

import pytest

from _support import POLICIES, pump
from oscwire import oscmethod
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSC_IMMEDIATELY, OSCBundle, OSCMessage
from oscwire.oscudpmc import UdpMcChannel

pytestmark = [pytest.mark.interop, pytest.mark.system(*POLICIES)]

OSCSEND = shutil.which("oscsend")
OSCDUMP = shutil.which("oscdump")


@pytest.mark.skipif(OSCSEND is None, reason="liblo-tools (oscsend) not installed")
def test_oscsend_to_a_runtime_server(system: OSCSystem) -> None:
    got: list = []
    system.method(
        "/liblo/*",
        lambda *args: got.append(args),
        argscheme=oscmethod.OSCARG_ADDRESS + oscmethod.OSCARG_DATA,
    )
    srv = UdpMcChannel(
        "srv", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
    )

    def values(i: int) -> list[str]:
        return [str(i), "0.5", "txt", "2.25", "5000000000", "c"]

    for i in range(3):
        subprocess.run(
            [OSCSEND, "127.0.0.1", str(srv.bound_port), f"/liblo/{i}", "ifsdhTFNc", *values(i)],
            check=True,
            timeout=10,
        )
    pump(system, lambda: len(got) == 3)
    # Values as oscsend's command line gives them, types from its type string.
    assert got == [
        (f"/liblo/{i}", (i, 0.5, "txt", 2.25, 5000000000, True, False, None, "c")) for i in range(3)
    ]


@pytest.mark.skipif(OSCDUMP is None, reason="liblo-tools (oscdump) not installed")
def test_runtime_client_to_oscdump(system: OSCSystem) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dump = subprocess.Popen(
        [OSCDUMP, "-L", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "LANG": "C"},
    )
    lines: queue.Queue = queue.Queue()

    def reader() -> None:
        assert dump.stdout is not None
        for line in dump.stdout:
            lines.put(line.split(" ", 1)[1].rstrip("\n"))  # drop oscdump's timetag

    threading.Thread(target=reader, daemon=True).start()
    try:
        UdpMcChannel(
            "cli", "w", {"udpwrite_host": "127.0.0.1", "udpwrite_port": port, "osc_system": system}
        )
        # oscdump prints nothing when ready: knock until it answers.
        deadline = time.monotonic() + 10
        first = None
        while first is None and time.monotonic() < deadline:
            system.send_packet(OSCMessage("/ready", None, []), "cli")
            with contextlib.suppress(queue.Empty):
                first = lines.get(timeout=0.1)
        assert first == "/ready "
        system.send_packet(
            OSCMessage(
                "/to/liblo", ",ifsTFNhdc", [1, 0.5, "x", True, False, None, 2**33, 2.5, "z"]
            ),
            "cli",
        )
        bundle = [OSCMessage("/b/1", None, [1]), OSCMessage("/b/2", None, ["two"])]
        system.send_packet(OSCBundle(OSC_IMMEDIATELY, bundle), "cli")
        wanted = [
            "/to/liblo ifsTFNhdc 1 0.500000 \"x\" #T #F Nil 8589934592 2.500000 'z'",
            "/b/1 i 1",
            '/b/2 s "two"',
        ]
        seen: list = []
        while len(seen) < len(wanted) and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line != "/ready ":
                seen.append(line)
        assert seen == wanted
    finally:
        dump.terminate()
        dump.wait(5)


def _echo_server(system: OSCSystem) -> UdpMcChannel:
    """A server whose /ping handler answers /pong to the sender, through its own socket."""

    def ping(packopt, value):
        packopt.reply(OSCMessage("/pong", None, [value + 1]))

    system.method("/ping", ping, argscheme=oscmethod.OSCARG_PACKOPT + oscmethod.OSCARG_DATAUNPACK)
    return UdpMcChannel(
        "srv", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
    )


def test_reply_reaches_a_pyliblo3_server_at_its_source_port(system: OSCSystem) -> None:
    liblo = pytest.importorskip("pyliblo3")
    srv = _echo_server(system)
    peer = liblo.Server(0, proto=liblo.UDP)
    try:
        answers: list = []
        peer.add_method("/pong", "i", lambda path, args: answers.append(args[0]))
        for value in range(5):
            peer.send(liblo.Address("127.0.0.1", srv.bound_port, liblo.UDP), "/ping", value)

        def serve_both(seconds: float) -> None:
            system.process(seconds)
            peer.recv(5)  # liblo's server reads the replies (waits up to 5 ms)

        pump(serve_both, lambda: len(answers) >= 5)
        assert answers == [1, 2, 3, 4, 5]
    finally:
        peer.free()


def test_reply_reaches_a_python_osc_client(system: OSCSystem) -> None:
    udp_client = pytest.importorskip("pythonosc.udp_client")
    srv = _echo_server(system)
    client = udp_client.SimpleUDPClient("127.0.0.1", srv.bound_port)
    client.send_message("/ping", 41)
    answers: list = []

    def answered() -> bool:
        answers.extend(client.get_messages(0.01))
        return bool(answers)

    pump(system, answered)
    assert [(m.address, m.params) for m in answers] == [("/pong", [42])]
