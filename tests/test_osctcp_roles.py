"""TCP by role: osc4py3's factory, clients that resolve and retry, servers that keep count.

[12.2] ``TcpChannel(name, mode, options)`` makes a listener, a client or a connection,
each a ``TcpChannel``; the undecodable-packet verdict is the ``count_bad_packet()`` hook.
[9.13] A client resolves its host at each attempt and, with ``tcp_reconnect``, retries
what does not resolve or refuses. [11.8] A server's counters carry the totals of the
connections that ended. Loopback only, OS-chosen ports, bounded waits.
"""

from __future__ import annotations

import ast
import inspect
import logging
import socket
import struct

import pytest

from _support import ALL_POLICIES, POLICIES, pump, start_system, stop_system
from _support_tcp import (
    FakeResolver,
    Recorder,
    client,
    frame_size,
    osc_int_message,
    raw_client,
    server,
    wait_closed,
)
from oscwire import osclistener, oscstream, oscstreamlimits, oscstreamstats, osctcp
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCMessage
from oscwire.osclistener import StreamListener
from oscwire.oscstream import StreamConnection
from oscwire.osctcp import TcpChannel, TcpClient, TcpConnection, TcpListener

pytestmark = pytest.mark.system(*POLICIES)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    """Names ending in ``.oscwire-test`` resolve to what the test says (or fail)."""
    fake = FakeResolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


# ------------------------------------------------------------------------ [12.2] the roles
def test_the_factory_makes_the_class_of_each_role(system: OSCSystem) -> None:
    base = {"tcp_host": "127.0.0.1", "tcp_port": 0, "osc_system": system}
    listeners = [TcpChannel(f"srv{mode}", mode, base) for mode in ("e", "r", "re")]
    for listener in listeners:
        assert type(listener) is TcpListener and listener.role == "server"
        assert isinstance(listener, TcpChannel) and isinstance(listener, StreamListener)
        assert StreamConnection not in type(listener).__mro__
    first = listeners[0]
    assert isinstance(first, TcpListener) and first.bound_port
    cli = TcpChannel("cli", "w", {**base, "tcp_port": first.bound_port})
    assert type(cli) is TcpClient and cli.mode == "rw" and cli.role == "client"
    assert isinstance(cli, TcpChannel) and isinstance(cli, StreamConnection)
    pump(system, lambda: len(first.connections()) == 1)
    (accepted,) = first.connections()
    assert type(accepted) is TcpConnection and isinstance(accepted, TcpChannel)
    assert accepted.mode == "rw" and accepted.owner is first
    inside, outside = socket.socketpair()
    with outside:
        given = TcpChannel("given", "w", {"tcp_consocket": inside, "osc_system": system})
        assert type(given) is TcpConnection and given.mode == "rw"
        assert given.owner is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: TcpListener("x", "rw", {"osc_system": s}), "listen for connections"),
        (lambda s: TcpClient("x", "we", {"osc_system": s}), "cannot listen"),
        (lambda s: TcpChannel("x", "q", {"osc_system": s}), "must combine"),
        (lambda s: TcpChannel("x", "e", {"tcp_consocket": socket.socket()}), "cannot listen"),
        (lambda s: TcpChannel("x", "w", {"tcp_host": "h", "tcp_framing": "rot13"}), "framing"),
    ],
)
def test_each_role_refuses_what_it_cannot_be(system: OSCSystem, make: object, message: str) -> None:
    assert callable(make)
    with pytest.raises(ValueError, match=message):
        make(system)
    assert system.get_channel("x") is None


def test_no_behaviour_is_chosen_by_comparing_the_role_string() -> None:
    for module in (osctcp, oscstream, osclistener, oscstreamlimits, oscstreamstats):
        tree = ast.parse(inspect.getsource(module))
        compared = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Compare)
            and any(
                isinstance(side, ast.Attribute) and side.attr == "role"
                for side in (node.left, *node.comparators)
            )
        ]
        assert compared == [], f"{module.__name__} compares .role at lines {compared}"


def test_undecodable_packets_are_judged_by_count_bad_packet_not_by_the_counter(
    system: OSCSystem,
) -> None:
    lost = Recorder()
    srv = server(system, tcp_maxbadpackets=3, actions_handlers={"disconnected": lost})
    with raw_client(srv.bound_port) as peer:
        pump(system, lambda: len(srv.connections()) == 1)
        (conn,) = srv.connections()
        # The counter is a plain counter: writing it (a program resetting or adjusting
        # its statistics) closes nothing.
        conn.stats.bad_packets += 50
        assert conn.connected
        peer.sendall(b"".join(frame_size(b"nope%04d" % i) for i in range(3)))
        pump(system, lambda: len(lost) == 1)
        assert wait_closed(peer) in ("closed", "reset")
    assert lost.calls[0][2][1] == "garbage"
    assert system.channel_stats("srv")["bad_packets"] == 53


# -------------------------------------------------------------- [9.13] resolve at each attempt
def test_an_unresolvable_host_without_reconnect_raises_a_clear_error(
    system: OSCSystem, resolver: FakeResolver
) -> None:
    with pytest.raises(
        socket.gaierror,
        match=r"OSC TCP client 'cli': cannot resolve 'nowhere\.oscwire-test': Name or service",
    ):
        client(system, 5000, tcp_host="nowhere.oscwire-test")
    assert system.get_channel("cli") is None
    assert resolver.lookups == {"nowhere.oscwire-test": 1}


def test_a_refused_connection_without_reconnect_raises_a_clear_error(system: OSCSystem) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(
        ConnectionRefusedError,
        match=rf"OSC TCP client 'cli': cannot connect to \('127\.0\.0\.1', {port}\): Connection refused",
    ):
        client(system, port)
    assert system.get_channel("cli") is None


@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_reconnect_retries_an_unresolvable_host_and_resolves_again_each_time(
    policy: str, resolver: FakeResolver, caplog: pytest.LogCaptureFixture
) -> None:
    name = "peer.oscwire-test"
    receiver = start_system("allthreads")
    sender = start_system(policy)
    try:
        got = Recorder()
        receiver.method("/r", got)
        first = server(receiver, name="first")
        port = first.bound_port
        assert port
        cli = client(
            sender,
            port,
            tcp_host=name,
            tcp_reconnect=True,
            tcp_reconnect_delay=0.02,
            tcp_reconnect_maxdelay=0.05,
        )
        assert not cli.connected
        assert sender.send_packet(OSCMessage("/r", ",i", [1]), "cli") == 1  # waits, queued
        # Counted by the attempt thread (resolution) and by the loop (the failure).
        pump(sender, lambda: cli.stats.connect_failures >= 4)
        stats = cli.stats
        assert stats.resolve_failures >= 4 and resolver.lookups[name] >= 4
        full = [r for r in caplog.records if "cannot resolve 'peer.oscwire-test'" in r.getMessage()]
        assert len(full) == 1 and full[0].levelno == logging.WARNING
        resolver.addresses[name] = "127.0.0.1"
        pump([sender, receiver], lambda: got.calls == [(1,)])
        assert stats.reconnects == 1
        # The name moves to another address: the next connection goes there.
        try:
            second = server(receiver, name="second", tcp_host="127.0.0.2", tcp_port=port)
        except OSError as error:
            pytest.skip(f"127.0.0.2:{port} not available here: {error}")
        resolver.addresses[name] = "127.0.0.2"
        first.terminate()
        pump(sender, lambda: not cli.connected or cli.peer_address[0] == "127.0.0.2")
        sender.send_packet(OSCMessage("/r", ",i", [2]), "cli")
        pump([sender, receiver], lambda: got.calls == [(1,), (2,)])
        assert cli.peer_address == ("127.0.0.2", port)
        assert second.stats.connections_accepted == 1 and stats.reconnects == 2
    finally:
        stop_system(sender)
        stop_system(receiver)


def test_packets_wait_in_the_bounded_queue_while_the_host_does_not_resolve(
    resolver: FakeResolver,
) -> None:
    system = start_system("eventloop")
    try:
        cli = client(
            system,
            5000,
            tcp_host="late.oscwire-test",
            tcp_reconnect=True,
            tcp_reconnect_delay=10.0,
            tcp_writemaxbytes=1000,
        )
        sent = [system.send_packet(OSCMessage("/q", ",i", [i]), "cli") for i in range(100)]
        framed = len(frame_size(osc_int_message("/q", 0)))
        assert sum(sent) == 1000 // framed and cli.queued_bytes <= 1000
        assert cli.stats.write_overflows == 100 - sum(sent)
    finally:
        stop_system(system)


# ------------------------------------------------------------ [11.8] a server's whole story
def test_a_server_counts_what_its_ended_connections_did(system: OSCSystem) -> None:
    srv = server(system, tcp_partial_timeout=0.3, tcp_eoflinger=0)
    listener_port = srv.bound_port
    assert listener_port
    sent = 0

    def ended(count: int) -> bool:
        return srv.stats.disconnects == count and len(srv.connections()) == 0

    # A: ten good packets, then a normal close.
    with raw_client(listener_port) as peer:
        data = b"".join(frame_size(osc_int_message("/a", i)) for i in range(10))
        peer.sendall(data)
        sent += len(data)
        pump(system, lambda: srv.stats.as_dict()["received"] == 10)
    pump(system, lambda: ended(1))
    # B: five good packets, then a size far over the limit (a framing error).
    with raw_client(listener_port) as peer:
        data = b"".join(frame_size(osc_int_message("/b", i)) for i in range(5))
        data += struct.pack(">I", 1 << 30) + b"\0" * 12
        peer.sendall(data)
        sent += len(data)
        pump(system, lambda: ended(2))
    # C: three good packets, read, then a reset.
    peer = raw_client(listener_port)
    data = b"".join(frame_size(osc_int_message("/c", i)) for i in range(3))
    peer.sendall(data)
    sent += len(data)
    pump(system, lambda: srv.stats.as_dict()["received"] == 18)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()
    pump(system, lambda: ended(3))
    # D: two packets that do not decode, then a normal close.
    with raw_client(listener_port) as peer:
        data = frame_size(b"/d\0\0,Q\0\0") + frame_size(b"nope")
        peer.sendall(data)
        sent += len(data)
        pump(system, lambda: srv.stats.as_dict()["bad_packets"] == 2)
    pump(system, lambda: ended(4))
    # E: half a packet, then silence (the partial-packet timeout).
    with raw_client(listener_port) as peer:
        peer.sendall(b"\0\0")
        sent += 2
        pump(system, lambda: ended(5))
    # F: still connected when the counters are read.
    with raw_client(listener_port) as peer:
        data = frame_size(osc_int_message("/f", 1))
        peer.sendall(data)
        pump(system, lambda: srv.stats.as_dict()["received"] == 21)
        whole = system.channel_stats("srv")
        assert whole["connections_open"] == 1 and srv.stats.received == 20
    expected = {
        "connections_accepted": 6,
        "received": 21,
        "decoded": 19,
        "bad_packets": 2,
        "framing_errors": 1,
        "disconnects": 5,
        "resets": 1,
        "partial_timeouts": 1,
        "bytes_received": sent + len(data),
    }
    assert {key: whole[key] for key in expected} == expected
