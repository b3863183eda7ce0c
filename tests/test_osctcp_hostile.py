"""TCP against hostile or careless peers: memory, descriptors and log lines stay bounded.

Peers that never read their replies, connect and leave by the thousand, trickle bytes,
hold unfinished packets, or send garbage by the dozen. Every test asserts bounds (bytes
traced by ``tracemalloc``, table sizes, counters, log lines), never wall times, and waits
at most a few seconds on loopback with OS-chosen ports.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
from typing import Any

import pytest

from _support import ALL_POLICIES, POLICIES, pump, reaches, run_for, start_system, stop_system
from _support_tcp import (
    Recorder,
    client,
    frame_size,
    frame_slip,
    osc_blob_message,
    osc_int_message,
    osc_string,
    raw_client,
    recv_exactly,
    server,
    traced_memory,
    wait_closed,
)
from oscwire import osclistener
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCMessage
from oscwire.oscmethod import OSCARG_PACKOPT
from oscwire.oscstreamlimits import ByteBudget

pytestmark = pytest.mark.system(*POLICIES)

MiB = 1024 * 1024


def _calls(system: OSCSystem) -> int:
    """Handler calls made so far by *system*."""
    assert system.dispatcher is not None
    calls: int = system.dispatcher.stats.as_dict()["calls"]
    return calls


def _int_blob_message(address: str, value: int, blob: bytes) -> bytes:
    """``address ,ib value blob``, encoded by hand (OSC 1.0)."""
    tags = osc_blob_message(address, blob)
    head = len(osc_string(address))
    return (
        osc_string(address)
        + osc_string(",ib")
        + struct.pack(">i", value)
        + tags[head + len(osc_string(",b")) :]
    )


def _reason_log(caplog: pytest.LogCaptureFixture, reason: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if f"ended ({reason})" in r.getMessage()]


# --------------------------------------------------------------- [9.6] peers that never read
def test_a_peer_that_never_reads_its_replies_is_closed_and_its_memory_returned(
    system: OSCSystem, caplog: pytest.LogCaptureFixture
) -> None:
    blob = b"\xab" * (64 * 1024)
    lost = Recorder()

    def answer(packopt: Any) -> None:
        system.reply(packopt, OSCMessage("/blob", ",b", [blob]))

    system.method("/req", answer, argscheme=OSCARG_PACKOPT)
    srv = server(system, tcp_writemaxbytes=MiB, actions_handlers={"disconnected": lost})
    peer = socket.socket()
    # A small receive window: the kernel cannot hide what the server keeps queued.
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    peer.connect(("127.0.0.1", srv.bound_port))
    with peer, traced_memory() as measure:
        pump(system, lambda: len(srv.connections()) == 1)
        # 400 replies of 64 KiB (25 MiB) wanted; the peer reads none of them.
        peer.sendall(frame_size(osc_int_message("/req")) * 400)
        pump(system, lambda: len(lost) == 1)
        pump(system, lambda: _calls(system) == 400)
        _, peak = measure()
        current, _ = measure()
    assert lost.calls[0][2][1] == "slow"
    stats = system.channel_stats("srv")
    assert stats["slow_closes"] == 1 and stats["disconnects"] == 1
    assert stats["send_dropped"] >= 1 and stats["queued_bytes"] == 0
    assert srv.write_budget.used == 0
    # The queue never held more than its bound (1 MiB), plus one joined write and the
    # reply being made; without the bound it held what the kernel did not take (~20 MiB).
    assert peak < 3 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert current < MiB // 2, f"{current / MiB:.2f} MiB still held"
    assert len(_reason_log(caplog, "slow")) == 1


def test_the_shared_write_budget_closes_the_biggest_slow_peer_and_serves_readers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    system = start_system("allthreads")  # serves while the test blocks on the reader
    try:
        # 10 MiB of replies per slow peer: more than the kernel keeps for it (4 MiB here).
        blob = b"\xcd" * (256 * 1024)

        def answer(packopt: Any) -> None:
            system.reply(packopt, OSCMessage("/blob", ",b", [blob]))

        system.method("/req", answer, argscheme=OSCARG_PACKOPT)
        srv = server(system, tcp_writemaxbytes=8 * MiB, tcp_writemaxbytes_total=2 * MiB)
        slow = []
        for _ in range(3):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", srv.bound_port))
            slow.append(sock)
        reader = raw_client(srv.bound_port)
        try:
            pump(system, lambda: len(srv.connections()) == 4)
            request = frame_size(osc_int_message("/req"))
            expected = frame_size(osc_blob_message("/blob", blob))
            for _ in range(40):
                for sock in slow:
                    with contextlib.suppress(OSError):  # closed as slow meanwhile
                        sock.send(request)
                reader.sendall(request)
                # The reader takes its reply each round: it never becomes the biggest.
                assert recv_exactly(reader, len(expected)) == expected
                assert srv.write_budget.used <= 2 * MiB
            stats = system.channel_stats("srv")
            assert stats["slow_closes"] >= 1
            assert reader.getsockname() in [c.peer_address for c in srv.connections()]
        finally:
            reader.close()
            for sock in slow:
                sock.close()
        pump(system, lambda: not srv.connections())
        assert srv.write_budget.used == 0
    finally:
        stop_system(system)


def test_a_client_drops_new_packets_past_its_byte_bound_and_keeps_the_rest_in_order(
    caplog: pytest.LogCaptureFixture,
) -> None:
    system = start_system("eventloop")
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        cli = client(system, listener.getsockname()[1], tcp_writemaxbytes=256 * 1024)
        peer, _ = listener.accept()
        blob = bytes(range(256)) * 64  # 16 KiB
        accepted = []
        for i in range(1000):  # 16 MiB: far more than the kernel and the bound hold
            if system.send_packet(OSCMessage("/b", ",ib", [i, blob]), "cli"):
                accepted.append(i)
        stats = cli.stats
        assert stats.write_overflows == 1000 - len(accepted) > 0
        assert stats.send_dropped == stats.write_overflows
        assert cli.queued_bytes <= 256 * 1024 and cli.connected
        full = [r for r in caplog.records if "write queue to" in r.getMessage()]
        assert len(full) == 1 and "packet of" in full[0].getMessage()
        # The peer reads now: every packet that was taken arrives, in order, intact.
        expected = b"".join(frame_size(_int_blob_message("/b", i, blob)) for i in accepted)
        with peer:
            peer.setblocking(False)
            data = bytearray()
            for _ in range(20000):
                if len(data) >= len(expected):
                    break
                run_for(system, 0.004)
                with contextlib.suppress(BlockingIOError):
                    data += peer.recv(1 << 20)
        assert bytes(data) == expected
    finally:
        listener.close()
        stop_system(system)


def test_a_budget_shared_by_two_clients_bounds_them_together() -> None:
    system = start_system("eventloop")
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        shared = ByteBudget(256 * 1024)
        port = listener.getsockname()[1]
        clients = [client(system, port, name=f"c{i}", tcp_writebudget=shared) for i in range(2)]
        peers = [listener.accept()[0] for _ in clients]  # never read
        blob = b"\x01" * (16 * 1024)
        for _ in range(600):  # 9.6 MiB each: more than the kernel takes
            for channel in clients:
                system.send_packet(OSCMessage("/b", ",b", [blob]), channel.chaname)
        assert shared.used <= 256 * 1024
        assert shared.used == sum(c.queued_bytes for c in clients)
        assert all(c.stats.write_overflows > 0 and c.connected for c in clients)
        for channel in clients:
            channel.terminate()
        assert shared.used == 0
        for peer in peers:
            peer.close()
    finally:
        listener.close()
        stop_system(system)


# ------------------------------------------------------------------ [9.7] connection churn
@pytest.mark.system(*ALL_POLICIES)
def test_connect_close_churn_leaves_memory_and_the_table_as_they_were(system: OSCSystem) -> None:
    # A long linger: peers that sent nothing must be gone at once anyway.
    srv = server(system, tcp_eoflinger=30.0)
    port = srv.bound_port
    rounds, batch = 20, 100
    with traced_memory() as measure:
        peak = 0
        for number in range(rounds):
            socks = [raw_client(port) for _ in range(batch)]
            accepted = (number + 1) * batch
            pump(system, reaches(lambda: srv.stats.connections_accepted, accepted))
            peak = max(peak, measure()[1])
            for sock in socks:
                sock.close()
            pump(system, lambda: not srv.connections(), timeout=5)
        pump(system, lambda: set(system.channels) == {"srv"})
        current, peak = measure()
    assert srv.stats.connections_accepted == rounds * batch
    assert srv.stats.disconnects == rounds * batch and srv.stats.connections_refused == 0
    # 100 live connections at a time: each is a few KiB of objects, no read buffer.
    assert peak < 4 * MiB, f"peak {peak / MiB:.1f} MiB for {batch} live connections"
    assert current < MiB // 2, f"{current / MiB:.2f} MiB left after {rounds * batch} pairs"


def test_peers_that_half_close_linger_within_the_connection_bound(system: OSCSystem) -> None:
    srv = server(system, tcp_eoflinger=30.0, tcp_maxconnections=20)
    for number in range(5):
        socks = []
        for _ in range(20):
            sock = raw_client(srv.bound_port)
            sock.sendall(frame_size(osc_int_message("/x", 1)))
            socks.append(sock)
        # Each new peer of a full server takes the place of one that stopped sending.
        accepted = 20 * (number + 1)
        pump(system, reaches(lambda: srv.stats.connections_accepted, accepted))
        for sock in socks:
            sock.shutdown(socket.SHUT_WR)
        pump(system, lambda: all(c.lingering for c in srv.connections()))
        for sock in socks:
            sock.close()
    stats = system.channel_stats("srv")
    assert stats["connections_refused"] == 0
    assert stats["connections_accepted"] == 100
    assert stats["connections_open"] == 20
    assert stats["evictions"] == 80


# ------------------------------------------------------------------------- [9.8] slow loris
@pytest.mark.system(*ALL_POLICIES)
def test_slow_loris_peers_give_their_places_to_a_legitimate_client(
    system: OSCSystem, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    got = Recorder()
    system.method("/hello", got)
    srv = server(system, tcp_maxconnections=40)
    loris = [raw_client(srv.bound_port) for _ in range(40)]
    try:
        for sock in loris:
            sock.sendall(b"\x00")  # one byte of a size header, then nothing
        pump(
            system,
            lambda: sum(c.partial_since is not None for c in srv.connections()) == 40,
        )
        # Stalled for longer than the eviction threshold (not the partial timeout).
        run_for(system, osclistener.EVICT_MIN_AGE + 0.2)
        with raw_client(srv.bound_port) as good:
            good.sendall(frame_size(osc_int_message("/hello", 7)))
            pump(system, lambda: got.calls == [(7,)])
        stats = system.channel_stats("srv")
        assert stats["connections_refused"] == 0 and stats["evictions"] == 1
        assert stats["connections_open"] <= 40
        assert len(_reason_log(caplog, "evicted")) == 1
    finally:
        for sock in loris:
            sock.close()


def test_a_full_server_of_active_peers_still_refuses(
    system: OSCSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Peers that just arrived are not evictable (a long threshold makes it certain here).
    monkeypatch.setattr(osclistener, "EVICT_MIN_AGE", 60.0)
    srv = server(system, tcp_maxconnections=3)
    socks = [raw_client(srv.bound_port) for _ in range(3)]
    try:
        pump(system, lambda: len(srv.connections()) == 3)
        extra = raw_client(srv.bound_port)
        with extra:
            pump(system, lambda: srv.stats.connections_refused == 1)
            assert wait_closed(extra, timeout=2) in ("closed", "reset")
        assert srv.stats.evictions == 0
    finally:
        for sock in socks:
            sock.close()


@pytest.mark.system(*ALL_POLICIES)
def test_idle_and_stalled_peers_time_out(
    system: OSCSystem, caplog: pytest.LogCaptureFixture
) -> None:
    lost = Recorder()
    srv = server(
        system,
        tcp_idle_timeout=0.3,
        tcp_partial_timeout=0.3,
        actions_handlers={"disconnected": lost},
    )
    with raw_client(srv.bound_port) as idle, raw_client(srv.bound_port) as stalled:
        stalled.sendall(frame_size(osc_int_message("/x", 1))[:7])
        pump(system, lambda: len(lost) == 2)
        assert wait_closed(idle) == "closed" and wait_closed(stalled) == "closed"
    verdicts = sorted(params[1] for _name, _verb, params in lost.calls)
    assert verdicts == ["idle", "partial"]
    stats = system.channel_stats("srv")
    assert stats["idle_timeouts"] == 1 and stats["partial_timeouts"] == 1
    assert srv.read_budget.used == 0
    assert len(_reason_log(caplog, "partial")) == 1


def test_a_connection_the_server_keeps_writing_to_is_not_idle(system: OSCSystem) -> None:
    srv = server(system, tcp_idle_timeout=0.3)
    with raw_client(srv.bound_port) as quiet:  # reads, never sends
        pump(system, lambda: len(srv.connections()) == 1)
        (conn,) = srv.connections()
        for value in range(30):  # about 1.5 s of pushes, 50 ms apart
            system.send_packet(OSCMessage("/push", ",i", [value]), conn.chaname)
            run_for(system, 0.05)
        assert conn.connected and srv.stats.idle_timeouts == 0
        expected = b"".join(frame_size(osc_int_message("/push", v)) for v in range(30))
        assert recv_exactly(quiet, len(expected)) == expected
        # Nothing either way now: idle.
        pump(system, lambda: srv.stats.idle_timeouts == 1)


def test_a_busy_stream_cut_mid_packet_at_every_read_never_times_out(system: OSCSystem) -> None:
    got = Recorder()
    system.method("/n", got)
    srv = server(system, tcp_partial_timeout=0.2, tcp_readbuffer=4096)
    wire = b"".join(frame_size(osc_int_message("/n", i)) for i in range(3000))
    with raw_client(srv.bound_port) as sock:
        # 7-byte pieces: nearly every read ends inside a packet, for about a second.
        for start in range(0, len(wire), 700):
            sock.sendall(wire[start : start + 700])
            run_for(system, 0.004)
        pump(system, lambda: len(got) == 3000)
    assert srv.stats.partial_timeouts == 0 and srv.stats.disconnects == 0
    assert got.calls == [(i,) for i in range(3000)]


def test_unfinished_slip_frames_are_bounded_across_connections(
    system: OSCSystem, caplog: pytest.LogCaptureFixture
) -> None:
    srv = server(system, framing="slip", tcp_readmaxbytes_total=MiB)
    socks = [raw_client(srv.bound_port) for _ in range(20)]
    try:
        pump(system, lambda: len(srv.connections()) == 20)
        with traced_memory() as measure:
            # 20 frames of 200 KiB that never end (4 MiB): at most 1 MiB is kept.
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.sendall(b"\xc0/big" + b"a" * (200 * 1024))
            pump(system, lambda: srv.stats.memory_closes >= 15)
            pump(
                system,
                lambda: sum(c.buffered_bytes for c in srv.connections()) == srv.read_budget.used,
            )
            current, _ = measure()
        assert srv.read_budget.used <= MiB
        # What the survivors hold (1 MiB, bytearray slack) and one read buffer.
        assert current < 2 * MiB, f"{current / MiB:.2f} MiB held"
        assert len(_reason_log(caplog, "memory")) == 1
    finally:
        for sock in socks:
            sock.close()
    pump(system, lambda: not srv.connections())
    assert srv.read_budget.used == 0


# ---------------------------------------------------------------- [9.10] throttled log lines
def test_a_crowd_of_bad_peers_logs_one_line_then_a_summary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    system = start_system("eventloop")
    try:
        srv = server(system)
        for _ in range(20):
            with raw_client(srv.bound_port) as bad:
                with contextlib.suppress(OSError):
                    bad.sendall(b"GARBAGE!" * 64)  # "GARB" as a size: far over 1 MiB
                run_for(system, 0.01)
        pump(system, lambda: srv.stats.framing_errors == 20 and not srv.connections())
        assert len(_reason_log(caplog, "framing")) == 1
        full = _reason_log(caplog, "framing")[0]
        assert "exceeds the limit" in full
    finally:
        stop_system(system)
    summaries = [
        r.getMessage() for r in caplog.records if "more connections ended" in r.getMessage()
    ]
    assert summaries == ["…and 19 more connections ended (framing) (only the first are shown)"]


def test_refused_connections_log_one_line_then_a_summary(
    system: OSCSystem, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(name: str, verb: str, params: Any) -> None:
        raise PermissionError("not you")

    srv = server(system, actions_handlers={"conreq": refuse})
    for number in range(12):
        with raw_client(srv.bound_port):
            pump(system, reaches(lambda: srv.stats.connections_refused, number + 1))
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(lines) == 1 and "conreq handler: PermissionError('not you')" in lines[0]
    srv.terminate()
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert lines[-1].startswith("…and 11 more connections refused by 'srv' (conreq)")


def test_peer_triggered_drops_are_warnings(caplog: pytest.LogCaptureFixture) -> None:
    # Visible with no logging configured (Python's last resort shows WARNING and above).
    system = start_system("eventloop")
    try:
        srv = server(system)
        with raw_client(srv.bound_port) as bad:
            bad.sendall(struct.pack(">I", 2 * MiB) + b"\0" * 16)
            pump(system, lambda: srv.stats.framing_errors == 1)
        (record,) = [r for r in caplog.records if "ended (framing)" in r.getMessage()]
        assert record.levelno == logging.WARNING
    finally:
        stop_system(system)


def test_slip_framing_keeps_each_connection_alive_between_frames(system: OSCSystem) -> None:
    # A control: complete SLIP frames with pauses between them are neither partial nor
    # counted against the read budget.
    got = Recorder()
    system.method("/s", got)
    srv = server(system, framing="slip", tcp_readmaxbytes_total=4096)
    with raw_client(srv.bound_port) as sock:
        for i in range(10):
            sock.sendall(frame_slip(osc_int_message("/s", i)))
            pump(system, reaches(lambda: len(got), i + 1))
            assert srv.read_budget.used == 0
    assert srv.stats.memory_closes == 0
