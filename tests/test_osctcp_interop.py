"""TCP interoperability: python-osc (modes 1.0 and 1.1), liblo's tools, pyliblo3, scsynth.

Each peer is an independent implementation of the framings: what it sends must reach our
handlers, what we send must reach its handlers, and replies must come back on the same
connection. Peers that are not installed skip with a reason. Every wait is bounded, every
port is chosen by the OS (or probed free just before a tool that needs a number), and
the processes a test starts are ended by their PID.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

from _support import pump
from _support_peers import running_scsynth
from _support_tcp import Recorder, client, free_port, server
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCMessage
from oscwire.oscmethod import OSCARG_ADDRESS, OSCARG_DATA, OSCARG_DATAUNPACK, OSCARG_PACKOPT

pytestmark = pytest.mark.system("allthreads")

MODES = {"1.0": "size", "1.1": "slip"}


def _answer_with_double(system: OSCSystem) -> Callable[[int, Any], None]:
    def answer(value: int, packopt: Any) -> None:
        system.reply(packopt, OSCMessage("/reply", ",i", [value * 2]))

    return answer


# ------------------------------------------------------------------------------ python-osc
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("server_framing", ["fixed", "auto"])
def test_python_osc_client_to_our_server_and_reply(
    system: OSCSystem, mode: str, server_framing: str
) -> None:
    tcp_client = pytest.importorskip("pythonosc.tcp_client")
    from pythonosc.osc_message import OscMessage

    got = Recorder()
    system.method("/data", got)
    system.method(
        "/ping", _answer_with_double(system), argscheme=OSCARG_DATAUNPACK + OSCARG_PACKOPT
    )
    framing = MODES[mode] if server_framing == "fixed" else "auto"
    srv = server(system, framing=framing)
    peer = tcp_client.SimpleTCPClient("127.0.0.1", srv.bound_port, mode=mode, timeout=5)
    try:
        for i in range(20):
            peer.send_message("/data", [i, 0.5, f"s{i}"])
        peer.send_message("/ping", 21)
        pump(system, lambda: len(got) == 20)
        assert got.calls == [(i, 0.5, f"s{i}") for i in range(20)]
        raw = peer.receive(timeout=5)
        assert len(raw) == 1
        reply = OscMessage(raw[0])
        assert (reply.address, reply.params) == ("/reply", [42])
    finally:
        peer.close()


@pytest.mark.parametrize("mode", list(MODES))
def test_our_client_to_python_osc_server_and_reply(system: OSCSystem, mode: str) -> None:
    osc_tcp_server = pytest.importorskip("pythonosc.osc_tcp_server")
    from pythonosc.dispatcher import Dispatcher

    seen = Recorder()

    def handler(address: str, *args: Any) -> tuple[str, Any]:
        seen(address, *args)
        # python-osc sends a handler's result back on the connection, in the same mode.
        return ("/reply", args[0] * 2)

    dispatcher = Dispatcher()
    dispatcher.map("/data", handler)
    peer = osc_tcp_server.ThreadingOSCTCPServer(("127.0.0.1", 0), dispatcher, mode)
    peer.daemon_threads = True
    thread = threading.Thread(
        target=peer.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        replies = Recorder()
        system.method("/reply", replies)
        client(system, peer.server_address[1], framing=MODES[mode])
        for i in range(10):
            system.send_packet(OSCMessage("/data", ",is", [i, "x"]), "cli")
        pump(system, lambda: len(seen) == 10 and len(replies) == 10)
        assert seen.calls == [("/data", i, "x") for i in range(10)]
        assert replies.calls == [(i * 2,) for i in range(10)]
    finally:
        system.terminate()
        peer.shutdown()
        peer.server_close()
        thread.join(2)


# ------------------------------------------------------------------------ liblo's tools
def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (Debian package liblo-tools)")
    return path


@pytest.mark.parametrize("framing", ["size", "auto"])
def test_liblo_oscsend_to_our_server(system: OSCSystem, framing: str) -> None:
    oscsend = _tool("oscsend")
    got = Recorder()
    system.method("/addr", got)
    srv = server(system, framing=framing)
    url = f"osc.tcp://127.0.0.1:{srv.bound_port}"
    subprocess.run([oscsend, url, "/addr", "i", "1"], check=True, timeout=10)
    subprocess.run([oscsend, url, "/addr", "ifs", "2", "2.5", "three"], check=True, timeout=10)
    pump(system, lambda: len(got) == 2)
    assert sorted(got.calls, key=len) == [(1,), (2, 2.5, "three")]


@pytest.mark.parametrize("framing", ["size", "slip"])
def test_our_client_to_liblo_oscdump(system: OSCSystem, framing: str, tmp_path: Path) -> None:
    # liblo (0.31) detects SLIP on a TCP connection: it checks our escaping of END and ESC.
    oscdump = _tool("oscdump")
    port = free_port()
    dump = tmp_path / "oscdump.txt"
    # The tool gets its own file description: reading through a shared one would move the
    # offset it writes at, and garble its output.
    with open(dump, "w") as output:
        process = subprocess.Popen(
            [oscdump, "-L", f"osc.tcp://:{port}"], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 5
        channel = None
        while channel is None:
            try:
                channel = client(system, port, framing=framing)
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        system.send_packet(OSCMessage("/x", ",ifs", [5, 2.5, "hi"]), "cli")
        system.send_packet(OSCMessage("/y", ",i", [-7]), "cli")
        system.send_packet(OSCMessage("/z", ",b", [b"\xc0\xdb\x01"]), "cli")

        def lines() -> list[str]:
            return [line.split(" ", 1)[1] for line in dump.read_text().splitlines()]

        pump(system, lambda: len(lines()) >= 3)
        assert lines() == ['/x ifs 5 2.500000 "hi"', "/y i -7", "/z b [3b 0xc0 0xdb 0x1]"]
    finally:
        process.kill()
        process.wait(5)


# ------------------------------------------------------------------------------ pyliblo3
def _pyliblo3_server() -> tuple[Any, Any, int]:
    lo = pytest.importorskip("pyliblo3")
    port = free_port()
    try:
        return lo, lo.Server(port, lo.TCP), port
    except Exception as error:  # pyliblo3 raises its own ServerError
        pytest.skip(f"pyliblo3 TCP server unavailable: {error}")


def _recv_until(peer: Any, until: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        peer.recv(20)
    return until()


def test_our_client_to_pyliblo3_server(system: OSCSystem) -> None:
    _lo, peer, port = _pyliblo3_server()
    try:
        seen = Recorder()
        peer.add_method("/x", None, lambda path, args, types, src: seen(path, tuple(args), types))
        client(system, port)
        system.send_packet(OSCMessage("/x", ",ifs", [1, 2.5, "s"]), "cli")
        system.send_packet(OSCMessage("/x", ",ifs", [2, -0.5, ""]), "cli")
        assert _recv_until(peer, lambda: len(seen) == 2)
        assert seen.calls == [("/x", (1, 2.5, "s"), "ifs"), ("/x", (2, -0.5, ""), "ifs")]
    finally:
        peer.free()


def test_pyliblo3_to_our_server_and_reply_on_its_connection(system: OSCSystem) -> None:
    # liblo answers a TCP source by opening a new connection to it, so the reply direction
    # is checked this way round: a pyliblo3 server sends, and reads our reply on the
    # connection it opened.
    lo, peer, _port = _pyliblo3_server()
    try:
        got = Recorder()
        system.method("/from_lo", got)
        system.method(
            "/ping", _answer_with_double(system), argscheme=OSCARG_DATAUNPACK + OSCARG_PACKOPT
        )
        srv = server(system)
        replies = Recorder()
        peer.add_method("/reply", None, lambda path, args, types, src: replies(tuple(args)))
        target = lo.Address("127.0.0.1", srv.bound_port, lo.TCP)
        peer.send(target, "/from_lo", 7, "seven")
        peer.send(target, "/ping", 21)
        assert _recv_until(peer, lambda: len(replies) == 1)
        assert replies.calls == [((42,),)]
        pump(system, lambda: len(got) == 1)
        assert got.calls == [(7, "seven")]
        assert len(srv.connections()) == 1
    finally:
        peer.free()


# ------------------------------------------------------------------------------ scsynth
def _terminate(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


@pytest.fixture
def scsynth_port() -> Iterator[int]:
    """The TCP port of a running scsynth (see ``_support_peers.running_scsynth``)."""
    with running_scsynth() as ports:
        yield ports["tcp"]


def test_scsynth_status_and_version_over_tcp(system: OSCSystem, scsynth_port: int) -> None:
    replies = Recorder()
    system.method("/status.reply", replies, argscheme=OSCARG_ADDRESS + OSCARG_DATA)
    system.method("/version.reply", replies, argscheme=OSCARG_ADDRESS + OSCARG_DATA)
    client(system, scsynth_port, framing="size")
    system.send_packet(OSCMessage("/status", None, []), "cli")
    system.send_packet(OSCMessage("/version", None, []), "cli")
    pump(system, lambda: len(replies) == 2)
    by_address = dict(replies.calls)
    status = by_address["/status.reply"]
    # /status.reply: 1, #UGens, #synths, #groups, #synthdefs, avg CPU, peak CPU,
    # nominal rate, actual rate (SuperCollider server command reference).
    assert len(status) == 9 and status[0] == 1 and status[7] == 44100.0
    version = by_address["/version.reply"]
    assert version[0] == "scsynth" and isinstance(version[1], int)
