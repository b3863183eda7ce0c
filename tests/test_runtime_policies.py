"""End-to-end runtime tests over loopback UDP, in each of the three policies."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from _support import POLICIES, pump
from _support_runtime import Recorder, non_daemon_threads, raw_sender, udp_listener
from oscwire import oscmethod
from oscwire._errors import OSCInvalidDataError, OSCUnknownChannelError
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import (
    OSCBundle,
    OSCMessage,
    decode_packet,
    encode_packet,
    unixtime2timetag,
)
from oscwire.oscudpmc import UdpMcChannel

pytestmark = pytest.mark.system(*POLICIES, execthreadscount=4)


def server(system: OSCSystem, name: str = "srv", host: str = "127.0.0.1", **opts) -> UdpMcChannel:
    return UdpMcChannel(
        name, "r", {"udpread_host": host, "udpread_port": 0, "osc_system": system, **opts}
    )


def client(
    system: OSCSystem, port: int, name: str = "cli", host: str = "127.0.0.1", **opts
) -> UdpMcChannel:
    return UdpMcChannel(
        name, "w", {"udpwrite_host": host, "udpwrite_port": port, "osc_system": system, **opts}
    )


def test_2000_messages_arrive_complete_in_order(system: OSCSystem) -> None:
    rec = Recorder()
    system.method("/test/num", rec)
    srv = server(system)
    client(system, srv.bound_port)
    for i in range(2000):
        system.send_packet(OSCMessage("/test/num", ",i", [i]), "cli")
        if i % 200 == 0:
            system.process(0)
    pump(system, lambda: len(rec) >= 2000)
    time.sleep(0.05)
    system.process(0)
    assert [args[0] for args in rec.calls] == list(range(2000))
    stats = system.channel_stats("srv")
    assert stats["received"] == stats["decoded"] == 2000
    assert system.channel_stats("cli")["sent"] == 2000


def test_future_bundles_run_on_time(system: OSCSystem) -> None:
    rec = Recorder()
    system.method("/t", rec)
    srv = server(system)
    client(system, srv.bound_port)
    base = time.time()
    offsets = [0.25, 0.15, 0.35, 0.15]
    for i, off in enumerate(offsets):
        bundle = OSCBundle(unixtime2timetag(base + off), [OSCMessage("/t", None, [i, off])])
        system.send_packet(bundle, "cli")
    pump(system, lambda: len(rec) >= 4, timeout=3.0)
    for (i, off), at in zip(rec.calls, rec.times):
        # Never early (1 ms for clock rounding); late only by scheduling, which a shared
        # CI machine stretches (20 ms failed there under load).
        assert -0.001 < at - (base + off) < 0.1, (i, off, at - base)
    # Equal time tags keep their arrival order.
    assert [c[0] for c in rec.calls] == [1, 3, 0, 2]


def test_terminate_does_not_wait_for_future_bundles() -> None:
    for policy in POLICIES:
        system = OSCSystem(policy).start()
        rec = Recorder()
        system.method("/late", rec)
        srv = server(system)
        client(system, srv.bound_port)
        bundle = OSCBundle(unixtime2timetag(time.time() + 30), [OSCMessage("/late", None, [1])])
        system.send_packet(bundle, "cli")
        pump(system, lambda s=system: s.dispatcher.delayed_count() == 1, timeout=2.0)
        t0 = time.monotonic()
        system.terminate()
        assert time.monotonic() - t0 < 1.0
        assert rec.calls == []
        assert not [
            t for t in threading.enumerate() if t.name.startswith("oscwire") and t.is_alive()
        ]


@pytest.mark.parametrize("threads", [0, 2])
def test_terminate_returns_within_a_second_while_a_handler_blocks(threads: int) -> None:
    system = OSCSystem("allthreads", execthreadscount=threads).start()
    running = threading.Event()
    release = threading.Event()

    def stuck(value):
        running.set()
        release.wait(10)

    system.method("/stuck", stuck)
    srv = server(system)
    client(system, srv.bound_port)
    system.send_packet(OSCMessage("/stuck", None, [1]), "cli")
    try:
        assert running.wait(5)
        t0 = time.monotonic()
        system.terminate()
        assert time.monotonic() - t0 < 0.9
    finally:
        release.set()


def test_local_delivery(system: OSCSystem) -> None:
    rec = Recorder()
    system.method("/loc", rec, argscheme=oscmethod.OSCARG_READERNAME + oscmethod.OSCARG_DATAUNPACK)
    assert system.send_packet(OSCMessage("/loc", None, [7]), "_local") == 1
    pump(system, lambda: len(rec) == 1)
    # osc4py3's values for a local packet (PacketOptions defaults).
    assert rec.calls == [("undefined", 7)]


def test_bad_packets_then_good_ones(system: OSCSystem) -> None:
    rec = Recorder()
    system.method("/ok", rec)
    srv = server(system)
    with raw_sender() as sock:
        target = ("127.0.0.1", srv.bound_port)
        for junk in (
            b"garbage!",
            b"",
            b"/ok\x00,i\x00\x00\x00\x00",
            b"#bundle\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x40",
        ):
            sock.sendto(junk, target)
        for i in range(10):
            sock.sendto(bytes(encode_packet(OSCMessage("/ok", ",i", [i]))), target)
        pump(system, lambda: len(rec) == 10)
    assert [c[0] for c in rec.calls] == list(range(10))
    assert system.channel_stats("srv")["bad_packets"] == 4


def test_raising_handler_does_not_stop_anything(system: OSCSystem) -> None:
    rec = Recorder()

    def flaky(i: int) -> None:
        if i % 3 == 0:
            raise RuntimeError("handler bug")
        rec(i)

    system.method("/f", flaky)
    srv = server(system)
    client(system, srv.bound_port)
    for i in range(30):
        system.send_packet(OSCMessage("/f", ",i", [i]), "cli")
    pump(system, lambda: len(rec) == 20)
    pump(system, lambda: system.channel_stats("srv")["handler_errors"] == 10)
    assert [c[0] for c in rec.calls] == [i for i in range(30) if i % 3]


def test_names_as_str_list_set_tuple_and_all(system: OSCSystem) -> None:
    rec = Recorder()
    system.method("/n", rec, argscheme=oscmethod.OSCARG_DATAUNPACK + oscmethod.OSCARG_READERNAME)
    srv = server(system)
    client(system, srv.bound_port, "c1")
    client(system, srv.bound_port, "c2")
    message = OSCMessage("/n", None, [1])
    assert system.send_packet(message, "c1") == 1
    assert system.send_packet(message, ["c1", "c2"]) == 2
    assert system.send_packet(message, {"c2"}) == 1
    assert system.send_packet(message, ("c1", ["c2", ("c1",)])) == 2
    assert system.send_packet(message, "_all") == 2
    assert system.send_packet(message, ["_all", "_local"]) == 3
    with pytest.raises(OSCUnknownChannelError, match=r"no OSC channel named 'nobody'.*'c1', 'c2'"):
        system.send_packet(message, "nobody")
    # Nothing leaves when one name is unknown, and a reader is no target either.
    with pytest.raises(OSCUnknownChannelError, match=r"'srv' cannot send \(a reader\)"):
        system.send_packet(message, ["c1", "srv"])
    assert system.stats["unknown_targets"] == 2
    pump(system, lambda: len(rec) == 11)
    time.sleep(0.05)
    system.process(0.01)
    assert len(rec) == 11


def test_send_errors_can_be_logged_instead_of_raised(caplog) -> None:
    system = OSCSystem("eventloop", raise_send_errors=False).start()
    try:
        srv = server(system)
        client(system, srv.bound_port)
        assert system.send_packet(OSCMessage("/n", None, [1]), "nobody") == 0
        assert system.send_packet(OSCMessage("/u", None, [object()]), "cli") == 0
        assert system.stats.unknown_targets == 1 and system.stats.encode_errors == 1
        messages = [record.getMessage() for record in caplog.records]
        assert any("no OSC channel named 'nobody'" in text for text in messages)
        assert any("packet not encodable" in text for text in messages)
    finally:
        system.terminate()


def test_unencodable_packet_is_raised_and_counted(system: OSCSystem) -> None:
    rec = Recorder()
    system.method("/u", rec)
    srv = server(system)
    client(system, srv.bound_port)
    with pytest.raises(OSCInvalidDataError, match=r"argument #0 .*no OSC type"):
        system.send_packet(OSCMessage("/u", None, [object()]), "cli")
    with pytest.raises(OSCInvalidDataError, match="argument #0"):
        system.send_packet(OSCMessage("/u", ",i", ["not an int"]), ["cli", "_local"])
    assert system.stats["encode_errors"] == 2
    system.send_packet(OSCMessage("/u", None, [1]), "cli")
    pump(system, lambda: len(rec) == 1)


def test_reply_to_sender_through_the_receiving_socket(system: OSCSystem) -> None:
    def ping(packopt, value):
        packopt.reply(OSCMessage("/pong", None, [value + 1]))

    system.method("/ping", ping, argscheme=oscmethod.OSCARG_PACKOPT + oscmethod.OSCARG_DATAUNPACK)
    srv = server(system)
    with udp_listener() as peer:
        peer.sendto(
            bytes(encode_packet(OSCMessage("/ping", None, [41]))), ("127.0.0.1", srv.bound_port)
        )
        got = []

        def receive() -> None:
            data, source = peer.recvfrom(65536)
            got.append((data, source))

        reader = threading.Thread(target=receive)
        reader.start()
        pump(system, lambda: bool(got), timeout=3.0)
        reader.join(2.0)
    data, source = got[0]
    assert decode_packet(data) == OSCMessage("/pong", ",i", (42,))
    assert source[1] == srv.bound_port  # it came from the server's own socket


def test_start_terminate_start(system: OSCSystem) -> None:
    for _ in range(2):
        system.terminate()
        assert not system.running
        system.start()
        rec = Recorder()
        system.method("/r", rec)
        srv = server(system)
        client(system, srv.bound_port)
        system.send_packet(OSCMessage("/r", None, [1]), "cli")
        pump(system, lambda r=rec: len(r) == 1)
    assert non_daemon_threads() == []


def test_channel_names_are_unique_and_unreserved(system: OSCSystem) -> None:
    server(system, "dup")
    with pytest.raises(ValueError):
        server(system, "dup")
    with pytest.raises(ValueError):
        server(system, "_mine")
    # A failed construction leaves no half-registered channel behind.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        with pytest.raises(OSError):
            UdpMcChannel(
                "busy",
                "r",
                {
                    "udpread_host": "127.0.0.1",
                    "udpread_port": taken.getsockname()[1],
                    "udpread_reuseaddr": False,
                    "osc_system": system,
                },
            )
    assert system.get_channel("busy") is None


def test_idle_threads_do_not_spin() -> None:
    for policy in ("comthreads", "allthreads"):
        system = OSCSystem(policy, execthreadscount=20).start()
        server(system)
        start = time.process_time()
        time.sleep(0.3)
        used = time.process_time() - start
        system.terminate()
        assert used < 0.05, (policy, used)
