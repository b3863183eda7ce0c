"""oscwire.Client / oscwire.Server against the peers their users come from, on loopback:
python-osc (UDP, TCP in both framings, asyncio), pyliblo3 (``liblo.send``,
``ServerThread``, TCP), liblo's ``oscsend`` / ``oscdump``, and scsynth (a real
request/response peer: ``/status`` -> ``/status.reply``).

The python-osc tests are differential: the same handler, registered on python-osc's
dispatcher and on an oscwire Server, must see the same calls and send the same replies.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("pythonosc")

from pythonosc import dispatcher as posc_dispatcher
from pythonosc import osc_server, osc_tcp_server, tcp_client, udp_client

from _support import pump
from _support_api import Calls, twin
from _support_peers import running_scsynth, stop
from oscwire import Client, Form, Received, Server

try:
    import pyliblo3 as liblo  # type: ignore[import-untyped]
except ImportError:  # no wheel on this platform: its tests skip, the others run
    liblo = None

needs_liblo = pytest.mark.skipif(liblo is None, reason="pyliblo3 not installed")

pytestmark = pytest.mark.interop

__all__ = ["twin"]

#: What a python-osc user sends: one value, several, each type python-osc encodes.
PYTHON_OSC_SENDS: list[tuple[str, Any]] = [
    ("/filter", 0.25),
    ("/synth/1/note", [60, 100]),
    ("/label", "hello"),
    ("/flags", [True, False]),
    ("/blob", b"\x00\x01\x02"),
    ("/nothing", []),
    ("/mixed", [1, 2.5, "three", 4]),
]


@pytest.fixture
def python_osc_udp_server() -> Iterator[tuple[int, Calls]]:
    """python-osc's ThreadingOSCUDPServer recording every (address, *args), replying to
    ``/ping`` by a returned tuple (python-osc 1.9's reply form)."""
    calls = Calls()
    mapping = posc_dispatcher.Dispatcher()
    mapping.map("/ping", lambda address, *args: ("/pong", *args))
    mapping.set_default_handler(lambda address, *args: calls.add((address, *args)))
    server = osc_server.ThreadingOSCUDPServer(("127.0.0.1", 0), mapping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], calls
    server.shutdown()
    server.server_close()
    thread.join(5)


# ----- python-osc --------------------------------------------------------------------------------
def test_python_osc_client_to_server_same_calls_as_python_osc(
    twin: str, python_osc_udp_server: tuple[int, Calls]
) -> None:
    peer_port, peer_calls = python_osc_udp_server
    ours = Calls()
    with Server("127.0.0.1", 0) as server:
        server.add_method("//*", lambda address, *args: ours.add((address, *args)))
        for port in (server.port, peer_port):
            client = udp_client.SimpleUDPClient("127.0.0.1", port)
            for address, value in PYTHON_OSC_SENDS:
                client.send_message(address, value)
        expected = peer_calls.wait(len(PYTHON_OSC_SENDS))
        assert ours.wait(len(PYTHON_OSC_SENDS)) == expected


def test_handler_replies_as_python_osc_does(twin: str, python_osc_udp_server: Any) -> None:
    peer_port, _ = python_osc_udp_server
    with Server("127.0.0.1", 0) as server:
        server.add_method("/ping", lambda address, *args: ("/pong", *args))
        replies = []
        for port in (server.port, peer_port):
            client = udp_client.SimpleUDPClient("127.0.0.1", port)
            client.send_message("/ping", [1, "two", 3.5])
            reply = next(client.get_messages(5.0))
            replies.append((reply.address, reply.params))
        assert replies[0] == replies[1] == ("/pong", [1, "two", 3.5])


def test_client_to_python_osc_server(twin: str, python_osc_udp_server: Any) -> None:
    peer_port, peer_calls = python_osc_udp_server
    with Client("127.0.0.1", peer_port) as client:
        client.send("/a", 1, 2.5, "x")
        client.send("/b", 7, types="d")
        with client.batch():
            for value in range(50):
                client.send("/c", value)
        got = peer_calls.wait(52)
        assert got[:2] == [("/a", 1, 2.5, "x"), ("/b", 7.0)]
        assert sorted(call[1] for call in got[2:]) == list(range(50))
        # python-osc sends a handler's returned tuple back to the sender's port.
        assert client.query("/ping", 5, "five", reply="/pong", timeout=5.0).args == (5, "five")


@pytest.mark.parametrize(("mode", "framing"), [("1.0", "size"), ("1.1", "slip")])
def test_python_osc_tcp_client_to_server(twin: str, mode: str, framing: Any) -> None:
    with Server("127.0.0.1", 0, transport="tcp") as server:  # framing detected per connection
        server.add_method("/sum", lambda address, *values: ("/sum", sum(values)))
        client = tcp_client.SimpleTCPClient("127.0.0.1", server.port, mode=mode)  # type: ignore[no-untyped-call]
        try:
            client.send_message("/sum", [1, 2, 3, 4])
            reply = next(client.get_messages(5.0))
        finally:
            client.close()  # type: ignore[no-untyped-call]
        assert (reply.address, reply.params) == ("/sum", [10])


@pytest.mark.parametrize(("mode", "framing"), [("1.0", "size"), ("1.1", "slip")])
def test_client_to_python_osc_tcp_server(twin: str, mode: str, framing: Any) -> None:
    calls = Calls()
    mapping = posc_dispatcher.Dispatcher()
    mapping.map("/double", lambda address, value: ("/doubled", value * 2))
    mapping.set_default_handler(lambda address, *args: calls.add((address, *args)))
    peer = osc_tcp_server.ThreadingOSCTCPServer(("127.0.0.1", 0), mapping, mode=mode)
    thread = threading.Thread(target=peer.serve_forever, daemon=True)
    thread.start()
    try:
        port = peer.server_address[1]
        with Client("127.0.0.1", port, transport="tcp", framing=framing) as client:
            client.send("/hello", "tcp", 1)
            assert calls.wait(1) == [("/hello", "tcp", 1)]
            assert client.query("/double", 21, reply="/doubled", timeout=5.0).args == (42,)
    finally:
        peer.shutdown()
        peer.server_close()
        thread.join(5)


def test_asyncio_client_to_python_osc_asyncio_server(twin: str) -> None:
    calls = Calls()

    async def main() -> None:
        mapping = posc_dispatcher.Dispatcher()
        mapping.set_default_handler(lambda address, *args: calls.add((address, *args)))
        loop: Any = asyncio.get_running_loop()  # python-osc asks for a BaseEventLoop
        peer = osc_server.AsyncIOOSCUDPServer(("127.0.0.1", 0), mapping, loop)
        transport, _ = await peer.create_serve_endpoint()
        try:
            port = transport.get_extra_info("sockname")[1]
            async with Client("127.0.0.1", port) as client:
                client.send("/async", 1, "two")
                for _ in range(500):
                    await asyncio.sleep(0.01)
                    if calls.items:
                        break
        finally:
            transport.close()

    asyncio.run(main())
    assert calls.items == [("/async", 1, "two")]


def test_python_osc_client_to_asyncio_server(twin: str) -> None:
    async def main() -> list[Any]:
        got: list[Any] = []
        async with Server("127.0.0.1", 0) as server:

            @server.method("/note")
            async def on_note(address: str, pitch: int, velocity: int) -> None:
                got.append((pitch, velocity))

            sender = udp_client.SimpleUDPClient("127.0.0.1", server.port)
            sender.send_message("/note", [60, 90])
            for _ in range(500):
                await asyncio.sleep(0.01)
                if got:
                    break
        return got

    assert asyncio.run(main()) == [(60, 90)]


# ----- pyliblo3 ----------------------------------------------------------------------------------
@pytest.fixture
def liblo_server() -> Iterator[tuple[Any, Calls]]:
    """A pyliblo3 ServerThread recording (path, args, types); it answers ``/ping`` with
    ``/pong`` to the sender (liblo's reply-to-source)."""
    calls = Calls()
    server = liblo.ServerThread()

    def record(path: str, args: list[Any], types: str, source: Any) -> None:
        if path == "/ping":
            server.send(source, "/pong", *args)
        else:
            calls.add((path, tuple(args), types))

    server.add_method(None, None, record)
    server.start()
    yield server, calls
    server.stop()
    server.free()


@needs_liblo
def test_liblo_send_to_server_and_reply_to_liblo(twin: str, liblo_server: Any) -> None:
    peer, peer_calls = liblo_server
    ours = Calls()
    with Server("127.0.0.1", 0) as server:

        @server.method("/liblo", form=Form.CONTEXT)
        def from_liblo(message: Received) -> tuple[str, int]:
            ours.add((message.address, message.args, message.typetags))
            return ("/answer", len(message.args))

        peer.send(("127.0.0.1", server.port), "/liblo", 1, 2.5, "s", ("d", 0.125))
        liblo.send(("127.0.0.1", server.port), "/liblo", ("h", 2**40))
        got = ours.wait(2)
        assert got[0] == ("/liblo", (1, 2.5, "s", 0.125), ",ifsd")
        assert got[1] == ("/liblo", (2**40,), ",h")
        # The reply to the ServerThread's message went back to its port (liblo.send's
        # may arrive there too: liblo sends from the socket of a server it has).
        assert ("/answer", (4,), "i") in peer_calls.wait(1)


@needs_liblo
def test_client_to_liblo_and_query(twin: str, liblo_server: Any) -> None:
    peer, peer_calls = liblo_server
    with Client("127.0.0.1", peer.port) as client:
        client.send("/from/oscwire", 1, 2.5, "three", b"\x04", True)
        client.send("/typed", 1, 2, types="hd")
        got = peer_calls.wait(2)
        assert got[0] == ("/from/oscwire", (1, 2.5, "three", b"\x04", True), "ifsbT")
        assert got[1] == ("/typed", (1, 2.0), "hd")
        assert client.query("/ping", 9, reply="/pong", timeout=5.0).args == (9,)


@needs_liblo
def test_client_to_liblo_tcp(twin: str) -> None:
    calls = Calls()
    peer = liblo.ServerThread(proto=liblo.TCP)
    peer.add_method(None, None, lambda path, args: calls.add((path, tuple(args))))
    peer.start()
    try:
        with Client("127.0.0.1", peer.port, transport="tcp") as client:  # size prefix
            for value in range(20):
                client.send("/tcp", value)
            assert calls.wait(20) == [("/tcp", (value,)) for value in range(20)]
    finally:
        peer.stop()
        peer.free()


# ----- liblo's command-line tools -----------------------------------------------------------
def test_oscsend_to_server(twin: str) -> None:
    oscsend = shutil.which("oscsend")
    if oscsend is None:
        pytest.skip("oscsend not installed (Debian liblo-tools)")
    calls = Calls()
    with Server("127.0.0.1", 0) as server:
        server.add_method("/cli", lambda address, *args: calls.add(args))
        subprocess.run(
            [oscsend, "127.0.0.1", str(server.port), "/cli", "ifs", "1", "2.5", "three"],
            check=True,
            timeout=20,
        )
        assert calls.wait(1) == [(1, 2.5, "three")]


def test_client_to_oscdump(twin: str) -> None:
    oscdump = shutil.which("oscdump")
    if oscdump is None:
        pytest.skip("oscdump not installed (Debian liblo-tools)")
    from _support_peers import free_port

    port = free_port()
    dump = subprocess.Popen([oscdump, "-L", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        assert dump.poll() is None, "oscdump did not start"
        with Client("127.0.0.1", port) as client:
            assert dump.stdout is not None
            lines: list[str] = []

            def read() -> None:
                assert dump.stdout is not None
                lines.append(dump.stdout.readline())

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            deadline = time.monotonic() + 10
            while reader.is_alive() and time.monotonic() < deadline:
                client.send("/dump/me", 1, 2.5, "x")  # until oscdump has bound its port
                reader.join(0.2)
            # oscdump prints the time tag first, then the message.
        assert lines and lines[0].split()[1:] == ["/dump/me", "ifs", "1", "2.500000", '"x"']
    finally:
        stop(dump)


# ----- scsynth -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scsynth() -> Iterator[dict[str, int]]:
    with running_scsynth() as ports:
        yield ports


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_query_scsynth_status(scsynth: dict[str, int], transport: Any) -> None:
    with Client("127.0.0.1", scsynth[transport], transport=transport) as client:
        status = client.query("/status", reply="/status.reply", timeout=5.0)
        assert status.address == "/status.reply"
        assert len(status.args) == 9 and status.args[0] == 1  # scsynth's status fields
        version = client.query("/version", reply="/version.reply", timeout=5.0)
        assert version.args[0] == "scsynth"


def test_scsynth_notifications_reach_client_methods(scsynth: dict[str, int]) -> None:
    calls = Calls()
    with Client("127.0.0.1", scsynth["udp"]) as client:
        client.add_method("/n_go", lambda address, *args: calls.add(args[0]))
        client.add_method("/n_end", lambda address, *args: calls.add(-args[0]))
        assert client.query("/notify", 1, reply="/done", timeout=5.0).args[0] == "/notify"
        client.send("/g_new", 4242, 0, 0)
        client.send("/n_free", 4242)
        pump(None, lambda: calls.items[:2] == [4242, -4242])
        client.query("/notify", 0, reply="/done", timeout=5.0)
