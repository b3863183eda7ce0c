"""TCP transport: framings both ways, stream splits, many clients, bad peers, big streams.

Every test runs on loopback with OS-chosen ports and bounded waits. Wire expectations come
from hand-built packets and frames (``_support_tcp``), not from oscwire's own encoders.
"""

from __future__ import annotations

import contextlib
import random
import select
import socket
import struct
import threading
import time
from types import ModuleType
from typing import Any, Callable

import pytest

from _support import POLICIES, pump, reaches, run_for, start_system
from _support_tcp import (
    FRAMERS,
    Recorder,
    client,
    frame_size,
    frame_slip,
    osc_blob_message,
    osc_int_message,
    raw_client,
    recv_exactly,
    serve_and_read,
    server,
    wait_closed,
)
from oscwire import framing, oscstream
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCMessage, decode_packet, encode_packet
from oscwire.oscmethod import OSCARG_DATAUNPACK, OSCARG_PACKOPT
from oscwire.osctcp import TcpChannel, TcpConnection


# ----------------------------------------------------------------- both framings both ways
@pytest.mark.parametrize("system", POLICIES, indirect=True)
@pytest.mark.parametrize("framing", ["size", "slip"])
def test_client_to_server_and_reply_back(system: OSCSystem, framing: str) -> None:
    data, replies = Recorder(), Recorder()

    def answer(value: int, packopt: Any) -> None:
        system.reply(packopt, OSCMessage("/reply", ",i", [value * 2]))

    system.method("/data", data)
    system.method("/ping", answer, argscheme=OSCARG_DATAUNPACK + OSCARG_PACKOPT)
    system.method("/reply", replies)
    srv = server(system, framing=framing)
    cli = client(system, srv.bound_port, framing=framing)
    for i in range(200):
        system.send_packet(OSCMessage("/data", ",i", [i]), "cli")
    system.send_packet(OSCMessage("/ping", ",i", [21]), "cli")
    pump(system, lambda: len(data) == 200 and len(replies) == 1)
    assert data.calls == [(i,) for i in range(200)]
    assert replies.calls == [(42,)]
    assert cli.stats.sent == 201
    (conn,) = srv.connections()
    # The handler thread counts its send after the write returns: the reply may be read
    # before that, so wait for the count too.
    pump(system, lambda: conn.stats.sent == 1)
    assert conn.stats.received == 201


@pytest.mark.parametrize("framing", ["size", "slip"])
def test_client_writes_hand_checked_frames(system: OSCSystem, framing: str) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        cli = client(system, listener.getsockname()[1], framing=framing)
        peer, _ = listener.accept()
        with peer:
            system.send_packet(OSCMessage("/a/b", ",i", [7]), "cli")
            system.send_packet(OSCMessage("/c", ",ii", [-1, 65536]), "cli")
            expected = FRAMERS[framing](osc_int_message("/a/b", 7)) + FRAMERS[framing](
                osc_int_message("/c", -1, 65536)
            )
            assert recv_exactly(peer, len(expected)) == expected
        assert cli.connected
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("framing", "sent_as"), [("size", "size"), ("slip", "slip"), ("auto", "size"), ("auto", "slip")]
)
def test_server_reads_hand_made_frames(system: OSCSystem, framing: str, sent_as: str) -> None:
    got = Recorder()
    system.method("/n", got)
    srv = server(system, framing=framing)
    with raw_client(srv.bound_port) as sock:
        frame = FRAMERS[sent_as]
        sock.sendall(b"".join(frame(osc_int_message("/n", i, -i)) for i in range(20)))
        pump(system, lambda: len(got) == 20)
    assert got.calls == [(i, -i) for i in range(20)]


def test_auto_server_answers_each_peer_in_its_framing(system: OSCSystem) -> None:
    def answer(value: int, packopt: Any) -> None:
        system.reply(packopt, OSCMessage("/r", ",i", [value + 1]))

    system.method("/q", answer, argscheme=OSCARG_DATAUNPACK + OSCARG_PACKOPT)
    srv = server(system, framing="auto")
    socks = {kind: raw_client(srv.bound_port) for kind in ("size", "slip")}
    try:
        for value, (kind, sock) in enumerate(socks.items()):
            sock.sendall(FRAMERS[kind](osc_int_message("/q", value * 10)))
        for value, (kind, sock) in enumerate(socks.items()):
            expected = FRAMERS[kind](osc_int_message("/r", value * 10 + 1))
            assert serve_and_read(system, sock, len(expected)) == expected
    finally:
        for sock in socks.values():
            sock.close()


def test_slip_without_leading_end_and_custom_flag(system: OSCSystem) -> None:
    got = Recorder()
    system.method("/s", got)
    srv = server(system, framing="slip")
    cli = client(system, srv.bound_port, framing="slip", write_slip_flagatstart=False)
    # RFC 1055 frames without the leading END, as some senders write them.
    with raw_client(srv.bound_port) as sock:
        sock.sendall(
            frame_slip(osc_int_message("/s", 1))[1:] + frame_slip(osc_int_message("/s", 2))[1:]
        )
        system.send_packet(OSCMessage("/s", ",i", [3]), "cli")
        pump(system, lambda: len(got) == 3)
    assert sorted(got.calls) == [(1,), (2,), (3,)]
    assert cli.stats.bytes_sent == len(frame_slip(osc_int_message("/s", 3))) - 1


def test_ipv6_loopback(system: OSCSystem) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        probe.bind(("::1", 0))
        probe.close()
    except OSError as error:
        pytest.skip(f"no ::1 here: {error}")
    got = Recorder()
    system.method("/v6", got)
    srv = server(system, tcp_host="::1")
    client(system, srv.bound_port, tcp_host="::1")
    system.send_packet(OSCMessage("/v6", ",i", [6]), "cli")
    pump(system, lambda: len(got) == 1)
    assert got.calls == [(6,)]
    (conn,) = srv.connections()
    assert conn.peer_address[0] == "::1"


# ------------------------------------------------------------------ every split of a stream
def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    listener = socket.create_server(("127.0.0.1", 0))
    with listener:
        outside = socket.create_connection(listener.getsockname(), timeout=5)
        inside, _ = listener.accept()
    return inside, outside


def _read_until(
    channel: TcpConnection, collected: list[bytes], count: int, timeout: float = 5.0
) -> None:
    deadline = time.monotonic() + timeout
    while len(collected) < count and time.monotonic() < deadline:
        sock = channel.tcpsock
        assert sock is not None
        if select.select([sock], [], [], 0.05)[0]:
            channel.process_read_raw()


def collected_into(out: list[bytes]) -> Callable[[list[tuple[Any, Any, Any]]], None]:
    """A stand-in for ``received_packets`` that keeps the raw packets in *out*."""

    def received(items: list[tuple[Any, Any, Any]]) -> None:
        out.extend(item[0] for item in items)

    return received


SPLIT_PACKETS = [
    osc_int_message("/a", 1),
    # Bytes that SLIP must escape, inside a blob.
    osc_blob_message("/blob", bytes([0xC0, 0xDB, 1, 0xDC, 0xDD, 0xC0, 0xDB])),
    osc_int_message("/a/b/c", 2, 3),
]


@pytest.mark.parametrize(
    ("framing", "sent_as"), [("size", "size"), ("slip", "slip"), ("auto", "size"), ("auto", "slip")]
)
def test_packets_split_at_every_byte(
    framing_impl: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    system: OSCSystem,
    framing: str,
    sent_as: str,
) -> None:
    monkeypatch.setattr(oscstream, "framing", framing_impl)
    wire = b"".join(FRAMERS[sent_as](p) for p in SPLIT_PACKETS)
    cuts = [[cut] for cut in range(1, len(wire))] + [list(range(1, len(wire)))]
    for number, points in enumerate(cuts):
        inside, outside = _tcp_pair()
        collected: list[bytes] = []
        channel = TcpConnection(
            f"split{number}",
            "rw",
            {
                "tcp_consocket": inside,
                "tcp_framing": framing,
                "osc_system": system,
                "monitor": None,
            },
        )
        monkeypatch.setattr(channel, "received_packets", collected_into(collected))
        try:
            start = 0
            for point in [*points, len(wire)]:
                outside.sendall(wire[start:point])
                start = point
                # Read each piece on its own so that the decoder really sees the split.
                deadline = time.monotonic() + 2
                while select.select([inside], [], [], 0.01)[0] and time.monotonic() < deadline:
                    channel.process_read_raw()
                    if not select.select([inside], [], [], 0)[0]:
                        break
            _read_until(channel, collected, len(SPLIT_PACKETS))
            assert collected == SPLIT_PACKETS, f"split at {points[:3]}..."
        finally:
            channel.terminate()
            outside.close()


# ---------------------------------------------------------------------------- many clients
def test_hundred_clients_at_once() -> None:
    srv_system = start_system("allthreads")
    cli_system = start_system("eventloop")
    try:
        got = Recorder()
        srv_system.method("/from", got)
        srv = server(srv_system)
        clients = [client(cli_system, srv.bound_port, name=f"c{i}") for i in range(100)]
        pump(cli_system, lambda: len(srv.connections()) == 100)
        for seq in range(5):
            for i in range(100):
                cli_system.send_packet(OSCMessage("/from", ",ii", [i, seq]), f"c{i}")
        pump(cli_system, lambda: len(got) == 500, timeout=20)
        for i in range(100):
            assert [seq for who, seq in got.calls if who == i] == list(range(5))
        assert srv.stats.connections_accepted == 100
        for channel in clients:
            channel.terminate()
        pump(cli_system, lambda: not srv.connections())
        assert srv.stats.connections_accepted == 100
    finally:
        cli_system.terminate()
        srv_system.terminate()


def test_connection_bound_refuses_extra_connections(system: OSCSystem) -> None:
    srv = server(system, tcp_maxconnections=3)
    socks = [raw_client(srv.bound_port) for _ in range(5)]
    try:
        pump(system, lambda: srv.stats.connections_refused == 2)
        assert len(srv.connections()) == 3
        states = []
        for sock in socks:
            run_for(system, 0.05)
            sock.setblocking(False)
            try:
                states.append("closed" if sock.recv(10) == b"" else "data")
            except BlockingIOError:
                states.append("open")
            except ConnectionResetError:
                states.append("closed")
        assert states.count("closed") == 2 and states.count("open") == 3
    finally:
        for sock in socks:
            sock.close()


def test_a_closed_connection_frees_its_place_at_once(system: OSCSystem) -> None:
    # The server keeps a connection whose peer stopped sending open a while for its
    # replies (tcp_eoflinger); that must not keep a new peer out of a full server.
    srv = server(system, tcp_maxconnections=2, tcp_eoflinger=30.0)
    first, second = raw_client(srv.bound_port), raw_client(srv.bound_port)
    try:
        pump(system, lambda: len(srv.connections()) == 2)
        # A peer that sent something lingers for its replies (one that sent nothing would
        # be closed at once).
        first.sendall(frame_size(osc_int_message("/x", 0)))
        pump(system, lambda: sum(c.stats.received for c in srv.connections()) == 1)
        first.close()
        pump(system, lambda: any(c.reading_paused for c in srv.connections()))
        third = raw_client(srv.bound_port)
        with third:
            pump(system, lambda: srv.stats.connections_accepted == 3)
            assert srv.stats.connections_refused == 0
            third.sendall(frame_size(osc_int_message("/x", 1)))
            assert wait_closed(third, timeout=0.3) == "open"
            # The bound still holds: the lingering connection made room and is gone.
            pump(
                system,
                lambda: (
                    len(srv.connections()) == 2
                    and not any(c.reading_paused for c in srv.connections())
                ),
            )
            assert srv.stats.connections_refused == 0
    finally:
        first.close()
        second.close()


# ------------------------------------------------------------------------------- bad peers
GARBAGE_CASES = {
    # "GARB" read as a size is 1 195 463 234 bytes: far over the 1 MiB limit.
    "size-garbage": ("size", b"GARBAGE!" * 512, {}),
    "size-oversize-header": ("size", struct.pack(">I", (1 << 20) + 1) + b"\0" * 64, {}),
    "auto-garbage": ("auto", b"GARBAGE!" * 512, {}),
    # A SLIP frame that never ends: dropped once past the limit (1 MiB by default).
    "slip-no-end-default-limit": ("slip", b"/abc" * ((1 << 18) + 16), {}),
    "slip-no-end-small-limit": ("slip", b"/abc" * 2048, {"read_headermaxdatasize": 4096}),
}


@pytest.mark.parametrize("case", list(GARBAGE_CASES))
def test_bad_peer_is_dropped_and_others_served(
    framing_impl: ModuleType, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.setattr(oscstream, "framing", framing_impl)
    framing, garbage, options = GARBAGE_CASES[case]
    assert isinstance(framing, str) and isinstance(garbage, bytes) and isinstance(options, dict)
    extra: dict[str, Any] = options
    system = start_system("allthreads")
    lost = Recorder()
    try:
        got = Recorder()
        system.method("/ok", got)
        srv = server(system, framing=framing, actions_handlers={"disconnected": lost}, **extra)
        sent_as = "size" if framing == "auto" else framing
        with raw_client(srv.bound_port) as good, raw_client(srv.bound_port) as bad:
            bad_address = bad.getsockname()
            good.sendall(FRAMERS[sent_as](osc_int_message("/ok", 1)))
            pump(system, lambda: len(got) == 1)
            # The server may close the connection before it has taken everything.
            with contextlib.suppress(OSError):
                bad.sendall(garbage)
            assert wait_closed(bad) in ("closed", "reset")
            pump(
                system, lambda: srv.stats.connections_accepted == 2 and len(srv.connections()) == 1
            )
            good.sendall(FRAMERS[sent_as](osc_int_message("/ok", 2)))
            pump(system, lambda: len(got) == 2)
        assert got.calls == [(1,), (2,)]
        verdicts = [
            (verb, params[1]) for _name, verb, params in lost.calls if params[0] == bad_address
        ]
        assert verdicts == [("disconnected", "framing")]
    finally:
        system.terminate()


@pytest.mark.parametrize("framing", ["size", "slip"])
def test_peer_sending_undecodable_packets_is_dropped(
    framing_impl: ModuleType, monkeypatch: pytest.MonkeyPatch, system: OSCSystem, framing: str
) -> None:
    # Well-framed packets that are not OSC, then silence: the verdict must not wait for a
    # next read that never comes.
    monkeypatch.setattr(oscstream, "framing", framing_impl)
    got = Recorder()
    system.method("/ok", got)
    srv = server(system, framing=framing, tcp_maxbadpackets=20)
    junk = b"".join(FRAMERS[framing](b"junk%04d" % i) for i in range(25))
    with raw_client(srv.bound_port) as good, raw_client(srv.bound_port) as bad:
        pump(system, lambda: len(srv.connections()) == 2)
        badconn = next(c for c in srv.connections() if c.peer_address == bad.getsockname())
        bad.sendall(junk)
        pump(system, lambda: len(srv.connections()) == 1)
        assert wait_closed(bad) in ("closed", "reset")
        good.sendall(FRAMERS[framing](osc_int_message("/ok", 5)))
        pump(system, lambda: len(got) == 1)
    assert badconn.stats.disconnects == 1 and badconn.stats.bad_packets >= 20
    assert got.calls == [(5,)]


SLIP_GARBAGE = {
    # No END at all: without a check the server would buffer up to 1 MiB, waiting.
    "text-without-end": b"GARBAGE!" * 512,
    "random": random.Random(7).randbytes(64 * 1024),
    "after-a-good-frame": frame_slip(osc_int_message("/ok", 1)) + b"\xff" * 5000,
}


@pytest.mark.parametrize("framing", ["slip", "auto"])
@pytest.mark.parametrize("case", list(SLIP_GARBAGE))
def test_slip_frame_that_cannot_be_osc_drops_the_peer(
    framing_impl: ModuleType, monkeypatch: pytest.MonkeyPatch, framing: str, case: str
) -> None:
    # A SLIP frame holds an OSC packet, which starts with "/" or "#": anything else is not
    # an OSC peer, known from the frame's first byte.
    monkeypatch.setattr(oscstream, "framing", framing_impl)
    system = start_system("allthreads")
    lost = Recorder()
    try:
        got = Recorder()
        system.method("/ok", got)
        srv = server(system, framing=framing, actions_handlers={"disconnected": lost})
        with raw_client(srv.bound_port) as good, raw_client(srv.bound_port) as bad:
            bad_address = bad.getsockname()
            garbage = SLIP_GARBAGE[case]
            if framing == "auto":
                garbage = b"\xc0" + garbage  # detected as SLIP
            with contextlib.suppress(OSError):
                bad.sendall(garbage)
            assert wait_closed(bad) in ("closed", "reset")
            good.sendall(frame_slip(osc_int_message("/ok", 2)))
            pump(system, lambda: (2,) in got.calls)
            pump(system, lambda: len(srv.connections()) == 1)
        verdicts = [params[1] for _name, _verb, params in lost.calls if params[0] == bad_address]
        assert verdicts == ["garbage"]
    finally:
        system.terminate()


def test_bad_packets_among_good_ones_keep_the_peer(system: OSCSystem) -> None:
    got = Recorder()
    system.method("/ok", got)
    srv = server(system, tcp_maxbadpackets=3)
    with raw_client(srv.bound_port) as sock:
        for i in range(10):
            # Two undecodable packets, then a good one: never three bad in a row.
            sock.sendall(
                frame_size(b"/x\0\0,Q\0\0")
                + frame_size(b"nope")
                + frame_size(osc_int_message("/ok", i))
            )
            pump(system, reaches(lambda: len(got), i + 1))
    assert got.calls == [(i,) for i in range(10)]
    assert srv.stats.disconnects == 0


# ------------------------------------------------------------------------ volume and order
def test_hundred_thousand_messages_in_order() -> None:
    receiver = start_system("allthreads")
    sender = start_system("eventloop")
    try:
        count = 100_000
        seen: list[int] = []
        receiver.method("/seq", seen.append)
        srv = server(receiver)
        client(sender, srv.bound_port)
        for i in range(count):
            sender.send_packet(OSCMessage("/seq", ",i", [i]), "cli")
            if not i % 2000:
                sender.process(0)
        pump(sender, lambda: len(seen) == count, timeout=60)
        assert seen == list(range(count))
        (conn,) = srv.connections()
        assert conn.stats.received == count and conn.stats.framing_errors == 0
    finally:
        sender.terminate()
        receiver.terminate()


def test_slow_peer_queue_then_drain_without_spinning() -> None:
    system = start_system("allthreads")
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        cli = client(system, listener.getsockname()[1], write_maxpending=1_000_000)
        peer, _ = listener.accept()
        blob = bytes(range(256)) * 16
        packet = osc_blob_message("/fill", blob)
        count = 4000  # 16 MB: more than the kernel buffers of a loopback connection
        for _ in range(count):
            system.send_packet(OSCMessage("/fill", ",b", [blob]), "cli")
        # The peer does not read: the kernel buffers fill and the rest waits in our queue.
        assert cli.write_pending or cli._wremain is not None
        cpu = time.process_time()
        time.sleep(0.5)
        spent = time.process_time() - cpu
        assert spent < 0.2, f"{spent:.3f} s of CPU while waiting for a blocked peer"
        expected = frame_size(packet) * count
        data = recv_exactly(peer, len(expected), timeout=20)
        assert data == expected
        assert cli.stats.sent == count and cli.stats.send_dropped == 0
        peer.close()
    finally:
        listener.close()
        system.terminate()


# ------------------------------------------------------------- handlers, close and reset
def test_conreq_can_refuse_and_connected_disconnected_fire(system: OSCSystem) -> None:
    events = Recorder()

    def conreq(name: str, verb: str, params: Any) -> None:
        events(name, verb, params)
        if len([e for e in events.calls if e[1] == "conreq"]) == 2:
            raise PermissionError("second one refused")

    handlers = {"conreq": conreq, "connected": events, "disconnected": events}
    srv = server(system, actions_handlers=handlers)
    first = raw_client(srv.bound_port)
    second = raw_client(srv.bound_port)
    try:
        pump(system, lambda: srv.stats.connections_refused == 1)
        assert wait_closed(second, timeout=2) == "closed"
        verbs = [e[1] for e in events.calls]
        assert verbs == ["conreq", "connected", "conreq"]
        assert events.calls[0][0] == "srv" and events.calls[0][2][0] == first.getsockname()
        assert events.calls[1][0] == "srv__1" and events.calls[1][2] == (first.getsockname(),)
        first_address = first.getsockname()
        first.close()
        pump(system, lambda: len(events) == 4)
        assert events.calls[3] == ("srv__1", "disconnected", (first_address, "closed"))
        assert srv.connections() == [] and system.get_channel("srv__1") is None
    finally:
        first.close()
        second.close()


def test_peer_reset_is_counted(system: OSCSystem) -> None:
    events = Recorder()
    srv = server(system, actions_handlers={"disconnected": events})
    sock = raw_client(srv.bound_port)
    pump(system, lambda: len(srv.connections()) == 1)
    (conn,) = srv.connections()
    # SO_LINGER 0: close() sends a RST instead of a FIN.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    pump(system, lambda: len(events) == 1)
    assert events.calls[0][2][1] == "reset"
    assert conn.stats.resets == 1 and conn.stats.disconnects == 1


def test_client_without_reconnect_closes_when_server_goes(system: OSCSystem) -> None:
    events = Recorder()
    srv = server(system)
    cli = client(
        system, srv.bound_port, actions_handlers={"disconnected": events, "connected": events}
    )
    pump(system, lambda: len(srv.connections()) == 1)
    srv.terminate()
    pump(system, lambda: not cli.connected)
    assert [e[1] for e in events.calls] == ["connected", "disconnected"]
    assert events.calls[1][2][1] in ("closed", "reset")
    assert cli.stats.disconnects == 1
    assert system.send_packet(OSCMessage("/x", ",i", [1]), "cli") == 0
    assert cli.stats.send_dropped == 1


def test_client_refused_raises_and_leaves_no_channel(system: OSCSystem) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        client(system, port)
    assert system.get_channel("cli") is None


def test_connect_timeout() -> None:
    system = start_system("eventloop")
    # A listener that never accepts, whose queue is full: SYNs get no answer.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            fillers.append(filler)
        time.sleep(0.1)
        start = time.monotonic()
        try:
            channel = client(system, listener.getsockname()[1], tcp_connect_timeout=0.3)
        except OSError:
            assert time.monotonic() - start < 2.5
        else:
            channel.terminate()
            pytest.skip("this kernel completed the handshake despite the full listen queue")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
        system.terminate()


def test_client_reconnects_and_keeps_queued_packets() -> None:
    receiver = start_system("allthreads")
    sender = start_system("eventloop")
    try:
        got = Recorder()
        receiver.method("/r", got)
        srv = server(receiver)
        port = srv.bound_port
        cli = client(sender, port, tcp_reconnect=True, tcp_reconnect_delay=0.05)
        sender.send_packet(OSCMessage("/r", ",i", [1]), "cli")
        pump(sender, lambda: len(got) == 1)
        srv.terminate()
        pump(sender, lambda: not cli.connected)
        for value in (2, 3):
            sender.send_packet(OSCMessage("/r", ",i", [value]), "cli")
        assert len(cli.write_pending) == 2
        server(receiver, name="srv2", tcp_port=port)
        pump(sender, lambda: len(got) == 3)
        assert got.calls == [(1,), (2,), (3,)]
        assert cli.stats.reconnects == 1 and cli.stats.disconnects == 1
    finally:
        sender.terminate()
        receiver.terminate()


def test_client_reconnect_waits_for_a_late_server() -> None:
    receiver = start_system("allthreads")
    sender = start_system("eventloop")
    try:
        with socket.create_server(("127.0.0.1", 0)) as probe:
            port = probe.getsockname()[1]
        got = Recorder()
        receiver.method("/late", got)
        cli = client(sender, port, tcp_reconnect=True, tcp_reconnect_delay=0.05)
        assert not cli.connected and cli.stats.connect_failures == 1
        sender.send_packet(OSCMessage("/late", ",i", [9]), "cli")
        server(receiver, tcp_port=port)
        pump(sender, lambda: len(got) == 1)
        assert got.calls == [(9,)]
    finally:
        sender.terminate()
        receiver.terminate()


def test_terminate_returns_fast_and_closes_every_connection() -> None:
    system = start_system("allthreads")
    srv = server(system)
    socks = [raw_client(srv.bound_port) for _ in range(10)]
    try:
        pump(system, lambda: len(srv.connections()) == 10)
        start = time.monotonic()
        system.terminate()
        assert time.monotonic() - start < 1.5
        assert all(wait_closed(sock, timeout=2) == "closed" for sock in socks)
        assert not [
            t
            for t in threading.enumerate()
            if t.name.startswith("oscwire") and t.is_alive() and not t.daemon
        ]
    finally:
        for sock in socks:
            sock.close()
        system.terminate()


# ------------------------------------------------------------------------------- options
@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("we", {}),
        ("rw", {"tcp_framing": "lines"}),
        ("w", {"tcp_writeframing": "auto-ish"}),
        ("e", {"tcp_forceipv4": True, "tcp_forceipv6": True}),
    ],
)
def test_bad_options_are_refused(system: OSCSystem, mode: str, options: dict[str, Any]) -> None:
    opts = {"tcp_host": "127.0.0.1", "tcp_port": 0, "osc_system": system, **options}
    with pytest.raises(ValueError):
        TcpChannel("bad", mode, opts)
    assert system.get_channel("bad") is None


def test_osc4py3_framing_options_map_to_tcp_framing(system: OSCSystem) -> None:
    got = Recorder()
    system.method("/m", got)
    srv = TcpChannel(
        "srv",
        "r",
        {"tcp_host": "127.0.0.1", "tcp_port": 0, "read_withslip": True, "osc_system": system},
    )
    assert srv.role == "server" and srv.tcp_readframing == "slip"
    cli = TcpChannel(
        "cli",
        "w",
        {
            "tcp_host": "127.0.0.1",
            "tcp_port": srv.bound_port,
            "write_withslip": True,
            "osc_system": system,
        },
    )
    assert cli.mode == "rw" and cli.write_withslip and not cli.write_withheader
    system.send_packet(OSCMessage("/m", ",i", [4]), "cli")
    pump(system, lambda: len(got) == 1)


# ------------------------------------------------------------------------------ façades
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("framing", ["size", "slip"])
def test_facade_functions_in_every_policy(policy: str, framing: str) -> None:
    from oscwire import _facade
    from oscwire._tcp_facade import osc_tcp_client, osc_tcp_server

    _facade.startup(policy, execthreadscount=2)
    try:
        got = Recorder()
        _facade.osc_method("/f", got)
        srv = osc_tcp_server(
            "127.0.0.1", 0, "tcpsrv", framing=framing if policy != "allthreads" else "auto"
        )
        assert srv.bound_port
        osc_tcp_client("127.0.0.1", srv.bound_port, "tcpcli", framing=framing)
        _facade.osc_send(OSCMessage("/f", ",i", [11]), "tcpcli")
        pump(_facade.process, lambda: got.calls)
        assert got.calls == [(11,)]
        with pytest.raises(ValueError):
            osc_tcp_client("127.0.0.1", srv.bound_port, "x", framing="auto")
    finally:
        _facade.osc_terminate()


def test_packet_event_is_signalled_once_written(system: OSCSystem) -> None:
    from oscwire.oscpacketoptions import PacketOptions

    listener = socket.create_server(("127.0.0.1", 0))
    try:
        client(system, listener.getsockname()[1])
        peer, _ = listener.accept()
        with peer:
            done = threading.Event()
            system.send_packet(OSCMessage("/e", ",i", [1]), "cli", PacketOptions(event=done))
            assert done.wait(5)
            expected = frame_size(osc_int_message("/e", 1))
            assert recv_exactly(peer, len(expected)) == expected
    finally:
        listener.close()


def test_connection_from_an_existing_socket_with_addrinfo_tuple(system: OSCSystem) -> None:
    got = Recorder()
    system.method("/c", got, argscheme=OSCARG_DATAUNPACK + OSCARG_PACKOPT)
    listener = socket.create_server(("127.0.0.1", 0))
    with listener:
        outside = socket.create_connection(listener.getsockname(), timeout=5)
        inside, address = listener.accept()
    spec = (socket.AF_INET, socket.SOCK_STREAM, 6, "", address)
    channel = TcpChannel(
        "given", "rw", {"tcp_consocket": inside, "tcp_consocketspec": spec, "osc_system": system}
    )
    assert isinstance(channel, TcpConnection)
    with outside:
        assert channel.role == "connection" and channel.peer_address == address
        outside.sendall(frame_size(osc_int_message("/c", 3)))
        pump(system, lambda: len(got) == 1)
        ((value, packopt),) = got.calls
        assert value == 3 and packopt.srcident == address and packopt.readername == "given"
        # Replies go back on the very same socket.
        assert packopt.reply(OSCMessage("/back", ",i", [4]))
        expected = frame_size(osc_int_message("/back", 4))
        assert recv_exactly(outside, len(expected)) == expected


def test_out_of_descriptors_pauses_accepting_without_spinning(
    system: OSCSystem, caplog: pytest.LogCaptureFixture
) -> None:
    import errno

    srv = server(system)
    real = srv.listen_socket
    monitor = system.monitor
    assert real is not None and monitor is not None

    class Exhausted(socket.socket):
        def accept(self) -> tuple[socket.socket, Any]:
            raise OSError(errno.EMFILE, "Too many open files")

        def fileno(self) -> int:
            assert real is not None
            return real.fileno()

    watched = monitor.watched_count()
    exhausted = Exhausted()
    srv.listen_socket = exhausted
    try:
        srv.process_event()
        assert monitor.watched_count() == watched - 1
        assert srv.stats.recv_errors == 1
        assert "accept failed: [Errno 24] Too many open files" in caplog.text
    finally:
        srv.listen_socket = real
        socket.socket.close(exhausted)
    # The pause ends by a timer of the system (run by osc_process() in this policy).
    pump(system, lambda: monitor.watched_count() == watched, timeout=2)
    with raw_client(srv.bound_port):
        pump(system, lambda: len(srv.connections()) == 1)


def test_connected_handler_can_greet_the_new_peer(system: OSCSystem) -> None:
    def greet(name: str, verb: str, params: Any) -> None:
        system.send_packet(OSCMessage("/hello", ",i", [len(name)]), name)

    srv = server(system, actions_handlers={"connected": greet})
    with raw_client(srv.bound_port) as sock:
        expected = frame_size(osc_int_message("/hello", len("srv__1")))
        assert serve_and_read(system, sock, len(expected)) == expected


@pytest.mark.system(*POLICIES)
def test_replies_reach_a_peer_that_half_closed(system: OSCSystem) -> None:
    """A client that sends, then shuts down its sending side, still gets its replies."""
    system.method(
        "/ping",
        lambda packopt, value: system.reply(packopt, OSCMessage("/pong", None, [value + 1])),
        argscheme=OSCARG_PACKOPT + OSCARG_DATAUNPACK,
    )
    server = TcpChannel(
        "srv",
        "e",
        {"osc_system": system, "tcp_host": "127.0.0.1", "tcp_port": 0, "tcp_eoflinger": 2.0},
    )
    replies: list[int] = []
    port = server.bound_port
    assert port

    def client() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            for value in range(3):
                sock.sendall(
                    framing.size_prefix(bytes(encode_packet(OSCMessage("/ping", None, [value]))))
                )
            sock.shutdown(socket.SHUT_WR)
            decoder = framing.HeaderDecoder()
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break  # the server closed after its linger
                replies.extend(decode_packet(raw).arguments[0] for raw in decoder.feed(chunk))

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    pump(
        system,
        lambda: not thread.is_alive(),
        what="the server to close the half-closed connection after its linger",
    )
    assert replies == [1, 2, 3]
