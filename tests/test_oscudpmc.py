"""UdpMcChannel: IPv6, multicast, broadcast, big datagrams, send errors, options."""

from __future__ import annotations

import errno
import socket
import sys

import pytest

from _support import poll, pump
from _support_runtime import Recorder, raw_sender
from oscwire import framing, oscchannel, oscmethod, oscudpmc
from oscwire._errors import OSCSendError
from oscwire.oscbuildparse import OSCMessage, encode_packet
from oscwire.oscudpmc import DEFAULT_RCVBUF, UdpMcChannel


def chan(system, name, mode, **opts):
    opts["osc_system"] = system
    return UdpMcChannel(name, mode, opts)


def have_ipv6() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_mode_checks(system) -> None:
    with pytest.raises(ValueError):
        chan(system, "x", "rw", udpread_host="127.0.0.1", udpread_port=0)
    with pytest.raises(ValueError):
        chan(system, "y", "re", udpread_host="127.0.0.1", udpread_port=0)


@pytest.mark.skipif(not have_ipv6(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback_and_bracket_literal(system) -> None:
    rec = Recorder()
    system.method("/six", rec, argscheme=oscmethod.OSCARG_SRCIDENT + oscmethod.OSCARG_DATAUNPACK)
    srv = chan(system, "srv6", "r", udpread_host="::1", udpread_port=0)
    assert srv.udpsockspec.family == socket.AF_INET6
    chan(system, "cli6", "w", udpwrite_host="[::1]", udpwrite_port=srv.bound_port)
    system.send_packet(OSCMessage("/six", None, [6]), "cli6")
    pump(system, lambda: len(rec) == 1)
    srcident, value = rec.calls[0]
    assert value == 6 and srcident[0] == "::1" and len(srcident) == 2


def test_star_host_binds_every_interface(system) -> None:
    srv = chan(system, "any", "r", udpread_host="*", udpread_port=0)
    assert srv.bound_address()[0] == "0.0.0.0"
    rec = Recorder()
    system.method("/star", rec)
    chan(system, "c", "w", udpwrite_host="127.0.0.1", udpwrite_port=srv.bound_port)
    system.send_packet(OSCMessage("/star", None, [1]), "c")
    pump(system, lambda: len(rec) == 1)


def test_bound_action_and_large_default_rcvbuf(system) -> None:
    bound = []
    srv = chan(
        system,
        "b",
        "r",
        udpread_host="127.0.0.1",
        udpread_port=0,
        actions_handlers={"bound": lambda name, verb, params: bound.append((name, verb, params))},
    )
    assert bound == [("b", "bound", (srv.bound_port,))]
    rcvbuf = srv.udpsock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    if sys.platform.startswith("linux"):
        with open("/proc/sys/net/core/rmem_max") as f:
            cap = int(f.read())
        # Linux doubles the requested size (bookkeeping) and caps it at rmem_max.
        assert rcvbuf >= 2 * min(DEFAULT_RCVBUF, cap)
    assert isinstance(srv.kernel_drops(), (int, type(None)))


def test_64k_datagram_is_read_whole(system) -> None:
    rec = Recorder()
    system.method("/big", rec)
    srv = chan(system, "srv", "r", udpread_host="127.0.0.1", udpread_port=0)
    chan(system, "cli", "w", udpwrite_host="127.0.0.1", udpwrite_port=srv.bound_port)
    blob = bytes(range(256)) * 250  # 64000 bytes, the packet is 64016
    system.send_packet(OSCMessage("/big", ",b", [blob]), "cli")
    pump(system, lambda: len(rec) == 1)
    assert bytes(rec.calls[0][0]) == blob


def test_oversize_send_is_counted_and_does_not_jam(system) -> None:
    rec = Recorder()
    system.method("/s", rec)
    srv = chan(system, "srv", "r", udpread_host="127.0.0.1", udpread_port=0)
    cli = chan(system, "cli", "w", udpwrite_host="127.0.0.1", udpwrite_port=srv.bound_port)
    with pytest.raises(
        OSCSendError, match="a packet of 70012 bytes is too large for one UDP datagram"
    ) as info:
        system.send_packet(OSCMessage("/s", ",b", [b"x" * 70000]), "cli")  # > 65507
    assert info.value.errno == errno.EMSGSIZE and isinstance(info.value, OSError)
    assert cli.stats.send_errors == 1
    for i in range(5):
        system.send_packet(OSCMessage("/s", ",i", [i]), "cli")
    pump(system, lambda: len(rec) == 5)
    assert cli.stats.sent == 5


def test_write_queue_failure_is_dropped_and_queue_continues(system) -> None:
    cli = chan(system, "cli", "w", udpwrite_host="127.0.0.1", udpwrite_port=9)
    # Queue directly (bypassing the immediate fast path): errors happen inside write_operation.
    cli.transmit_data(b"x" * 70000)
    cli.transmit_data(bytes(encode_packet(OSCMessage("/a", None, []))))
    assert cli.stats.send_errors == 1 and cli.stats.sent == 1
    assert not cli.write_pending


def _multicast_pair(system, group: str, family_opts: dict):
    srv = chan(
        system, "msrv", "r", udpread_host=group, udpread_port=0, mcast_enabled=True, **family_opts
    )
    cli = chan(
        system,
        "mcli",
        "w",
        udpwrite_host=group,
        udpwrite_port=srv.bound_port,
        mcast_enabled=True,
        udpwrite_ttl=1,
        mcast_loop=True,
        **family_opts,
    )
    return srv, cli


def test_multicast_on_loopback(system) -> None:
    rec = Recorder()
    system.method("/mc", rec)
    try:
        _srv, cli = _multicast_pair(system, "239.255.42.99", {"mcast_interface": "127.0.0.1"})
    except OSError as error:
        pytest.skip(f"kernel refuses multicast on loopback: {error}")
    system.send_packet(OSCMessage("/mc", None, [1]), "mcli")
    if cli.stats.send_errors:
        pytest.skip("kernel has no multicast route here")
    if not poll(system, lambda: len(rec) == 1, timeout=2.0):
        pytest.skip("multicast datagram not looped back by this kernel")
    assert rec.calls == [(1,)]
    assert cli.udpsock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL) == 1


@pytest.mark.skipif(not have_ipv6(), reason="no IPv6 on this machine")
def test_ipv6_link_local_group_is_scoped_by_interface_name(system) -> None:
    """ff02:: groups need an interface: a name in mcast_interface (or ``%lo``) scopes them."""
    with pytest.raises(ValueError, match="needs an interface"):
        chan(system, "m6", "r", udpread_host="ff02::1:3", udpread_port=0, mcast_enabled=True)
    with pytest.raises(ValueError, match="no network interface"):
        chan(
            system,
            "m6",
            "w",
            udpwrite_host="ff02::1:3",
            udpwrite_port=9,
            mcast_enabled=True,
            mcast_interface="no-such-if0",
        )
    lo = socket.if_nametoindex("lo") if sys.platform.startswith("linux") else None
    if lo is None:
        pytest.skip("loopback interface name differs on this OS")
    rec = Recorder()
    system.method("/mc6", rec)
    try:
        srv, cli = _multicast_pair(system, "ff02::1:3", {"mcast_interface": "lo"})
    except OSError as error:
        pytest.skip(f"kernel refuses IPv6 multicast on lo: {error}")
    assert srv.udpsockspec.sockaddr[3] == lo
    assert cli.udpsock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF) == lo
    assert cli.udpsock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS) == 1
    system.send_packet(OSCMessage("/mc6", None, [6]), "mcli")
    if cli.stats.send_errors:
        pytest.skip("lo has no IPv6 multicast route here (no MULTICAST flag)")
    if not poll(system, lambda: len(rec) == 1, timeout=2.0):
        pytest.skip("IPv6 multicast datagram not looped back by this kernel")
    assert rec.calls == [(6,)]


def test_broadcast_on_loopback(system) -> None:
    rec = Recorder()
    system.method("/bc", rec)
    srv = chan(system, "bsrv", "r", udpread_host="0.0.0.0", udpread_port=0, bcast_enabled=True)
    try:
        cli = chan(
            system,
            "bcli",
            "w",
            udpwrite_host="127.255.255.255",
            udpwrite_port=srv.bound_port,
            bcast_enabled=True,
            udpwrite_ttl=1,
        )
    except OSError as error:
        pytest.skip(f"kernel refuses broadcast: {error}")
    assert cli.udpsock.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST) == 1
    system.send_packet(OSCMessage("/bc", None, [2]), "bcli")
    if cli.stats.send_errors:
        pytest.skip("kernel refused the broadcast send")
    if not poll(system, lambda: len(rec) == 1, timeout=2.0):
        pytest.skip("broadcast datagram not delivered on loopback by this kernel")
    assert rec.calls == [(2,)]


def test_broadcast_refused_in_ipv6(system) -> None:
    with pytest.raises(ValueError):
        chan(system, "b6", "w", udpwrite_host="::1", udpwrite_port=9, bcast_enabled=True)


def test_asstream_with_slip_across_datagrams(system) -> None:
    rec = Recorder()
    system.method("/st", rec)
    srv = chan(
        system,
        "st",
        "r",
        udpread_host="127.0.0.1",
        udpread_port=0,
        udpread_asstream=True,
        read_withslip=True,
    )
    stream = b"".join(
        framing.slip_encode(bytes(encode_packet(OSCMessage("/st", ",i", [i])))) for i in range(5)
    )
    with raw_sender() as sock:
        for k in range(0, len(stream), 7):  # split at arbitrary points
            sock.sendto(stream[k : k + 7], ("127.0.0.1", srv.bound_port))
        pump(system, lambda: len(rec) == 5)
    assert [c[0] for c in rec.calls] == list(range(5))


def test_identfields_and_forceident(system) -> None:
    rec = Recorder()
    system.method("/id", rec, argscheme=oscmethod.OSCARG_SRCIDENT)
    srv1 = chan(system, "i1", "r", udpread_host="127.0.0.1", udpread_port=0, udpread_identfields=1)
    srv2 = chan(
        system,
        "i2",
        "r",
        udpread_host="127.0.0.1",
        udpread_port=0,
        read_forceident={"127.0.0.1": "the-desk"},
    )
    packet = bytes(encode_packet(OSCMessage("/id", None, [])))
    with raw_sender() as sock:
        sock.sendto(packet, ("127.0.0.1", srv1.bound_port))
        pump(system, lambda: len(rec) == 1)
        sock.sendto(packet, ("127.0.0.1", srv2.bound_port))
        pump(system, lambda: len(rec) == 2)
    assert rec.calls == [("127.0.0.1",), ("the-desk",)]


def test_batch_drain_serves_many_datagrams_per_wakeup(system) -> None:
    rec = Recorder()
    system.method("/d", rec)
    srv = chan(system, "d", "r", udpread_host="127.0.0.1", udpread_port=0, udpread_batch=100)
    packet = bytes(encode_packet(OSCMessage("/d", None, [])))
    with raw_sender() as sock:
        for _ in range(250):
            sock.sendto(packet, ("127.0.0.1", srv.bound_port))
    system.process(1.0)
    assert len(rec) == 100  # one wake-up: one bounded batch
    pump(system, lambda: len(rec) == 250)


def test_closed_channel_drops_sends(system) -> None:
    cli = chan(system, "gone", "w", udpwrite_host="127.0.0.1", udpwrite_port=9)
    cli.terminate()
    assert cli.transmit_data(b"x") is False
    assert cli.stats.send_dropped == 1
    assert system.get_channel("gone") is None


def _listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Room for every datagram of a test (the default buffer holds a few hundred).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    return sock


def _drain(sock: socket.socket, count: int) -> list[bytes]:
    got = []
    for _ in range(count):
        got.append(sock.recv(70000))
    return got


def test_queued_packets_leave_in_one_batch_in_order_with_errors_alone(system) -> None:
    with _listener() as peer:
        cli = chan(
            system, "cli", "w", udpwrite_host="127.0.0.1", udpwrite_port=peer.getsockname()[1]
        )
        packets = [b"p%03d" % i for i in range(300)]
        with cli.write_lock:
            # Queue as if the socket had been busy: the next write operation sends them all.
            for index, raw in enumerate(packets):
                cli.write_pending.append(oscchannel.PendingPacket(raw, None, None))
                if index == 150:
                    cli.write_pending.append(oscchannel.PendingPacket(b"x" * 70000, None, None))
        cli.schedule_write_packet()
        assert not cli.write_pending
        assert (cli.stats.sent, cli.stats.send_errors) == (300, 1)
        assert cli.stats.bytes_sent == sum(map(len, packets))
        assert _drain(peer, 300) == packets


def test_batched_sends_hold_packets_until_the_block_ends(system) -> None:
    with _listener() as peer:
        chan(system, "cli", "w", udpwrite_host="127.0.0.1", udpwrite_port=peer.getsockname()[1])
        peer.settimeout(0.05)
        with system.batched_sends():
            for i in range(10):
                assert system.send_packet(OSCMessage("/b", ",i", [i]), "cli") == 1
            with system.batched_sends():  # nested: the outer block flushes
                system.send_packet(OSCMessage("/b", ",i", [10]), ["cli"])
            with pytest.raises(socket.timeout):
                peer.recv(100)
        peer.settimeout(2.0)
        got = [OSCMessage("/b", ",i", [i]) for i in range(11)]
        assert _drain(peer, 11) == [bytes(encode_packet(m)) for m in got]
        assert system.get_channel("cli").stats.sent == 11


def test_batched_sends_flush_full_batches_and_on_exceptions(system) -> None:
    with _listener() as peer:
        cli = chan(
            system, "cli", "w", udpwrite_host="127.0.0.1", udpwrite_port=peer.getsockname()[1]
        )
        count = 2 * oscudpmc.UDPWRITE_BATCH + 7
        with pytest.raises(RuntimeError), system.batched_sends():
            for i in range(count):
                system.send_packet(OSCMessage("/f", ",i", [i]), "cli")
                # Never more than one batch waits.
                assert len(cli.write_pending) <= oscudpmc.UDPWRITE_BATCH
            raise RuntimeError("the block fails: queued packets still leave")
        expected = [bytes(encode_packet(OSCMessage("/f", ",i", [i]))) for i in range(count)]
        assert _drain(peer, count) == expected
        assert cli.stats.sent == count and not cli.write_pending
        # Other threads are not batched: they send at once.
        assert system.batching == 0


def test_batched_sends_do_not_hold_other_threads_sends(system) -> None:
    import threading

    with _listener() as peer:
        chan(system, "cli", "w", udpwrite_host="127.0.0.1", udpwrite_port=peer.getsockname()[1])
        with system.batched_sends():
            system.send_packet(OSCMessage("/held", None, []), "cli")
            worker = threading.Thread(
                target=system.send_packet, args=(OSCMessage("/now", None, []), "cli")
            )
            worker.start()
            worker.join()
            # The other thread's packet leaves at once, after what was queued before it
            # (one channel keeps its order whatever thread sends).
            assert peer.recv(100) == bytes(encode_packet(OSCMessage("/held", None, [])))
            assert peer.recv(100) == bytes(encode_packet(OSCMessage("/now", None, [])))


def test_blocking_sockets_still_read_and_write(system) -> None:
    rec = Recorder()
    system.method("/blk", rec)
    srv = chan(
        system, "srv", "r", udpread_host="127.0.0.1", udpread_port=0, udpread_nonblocking=False
    )
    cli = chan(
        system,
        "cli",
        "w",
        udpwrite_host="127.0.0.1",
        udpwrite_port=srv.bound_port,
        udpwrite_nonblocking=False,
    )
    with system.batched_sends():
        for i in range(20):
            system.send_packet(OSCMessage("/blk", None, [i]), "cli")
    pump(system, lambda: len(rec) == 20)
    assert [c[0] for c in rec.calls] == list(range(20))
    assert cli.stats.sent == 20


def test_receive_error_is_counted_and_reading_goes_on(system) -> None:
    rec = Recorder()
    system.method("/e", rec)
    srv = chan(system, "srv", "r", udpread_host="127.0.0.1", udpread_port=0)
    # A reply to a closed port: Linux reports the ICMP error on the reader's next receive
    # only for connected sockets, so provoke it the portable way: a failing recv hook.
    calls = {"n": 0}
    real = oscudpmc.recv_batch

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 1:
            return [], ConnectionResetError(errno.ECONNRESET, "reset by peer")
        return real(*args)

    oscudpmc.recv_batch = failing
    try:
        with raw_sender() as sock:
            sock.sendto(
                bytes(encode_packet(OSCMessage("/e", None, [1]))), ("127.0.0.1", srv.bound_port)
            )
        pump(system, lambda: len(rec) == 1)
    finally:
        oscudpmc.recv_batch = real
    assert srv.stats.recv_errors == 1


def test_channel_closed_during_a_batch_counts_its_queue_as_dropped(system) -> None:
    with _listener() as peer:
        cli = chan(
            system, "cli", "w", udpwrite_host="127.0.0.1", udpwrite_port=peer.getsockname()[1]
        )
        assert cli.batch_queue() == (cli.write_pending, oscudpmc.UDPWRITE_BATCH)
        with system.batched_sends():
            for i in range(5):
                system.send_packet(OSCMessage("/gone", None, [i]), "cli")
            cli.deactivate()  # closed under the batch: nothing can leave
            assert cli.batch_queue() is None
        assert cli.stats.send_dropped == 5 and cli.stats.sent == 0
        assert not cli.write_pending


@pytest.mark.parametrize("family", ["127.0.0.1", "::1"])
def test_client_reads_the_replies_sent_to_its_socket(system, family) -> None:
    """A server such as scsynth answers to the address a request came from: the client."""
    if family == "::1" and not have_ipv6():
        pytest.skip("no IPv6 loopback on this machine")
    peer = socket.socket(socket.AF_INET6 if ":" in family else socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((family, 0))
    peer.settimeout(2)
    rec = Recorder()
    system.method(
        "/status.reply", rec, argscheme=oscmethod.OSCARG_READERNAME + oscmethod.OSCARG_DATAUNPACK
    )
    chan(system, "cli", "w", udpwrite_host=family, udpwrite_port=peer.getsockname()[1])
    system.send_packet(OSCMessage("/status", None, []), "cli")
    request, client_address = peer.recvfrom(65536)
    assert request == bytes(encode_packet(OSCMessage("/status", ",", [])))
    peer.sendto(bytes(encode_packet(OSCMessage("/status.reply", ",ii", [1, 7]))), client_address)
    peer.close()
    pump(system, lambda: len(rec) == 1)
    assert rec.calls == [("cli", 1, 7)]
    assert system.channel_stats("cli")["received"] == 1


def test_client_replies_can_be_turned_off(system) -> None:
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.settimeout(2)
    rec = Recorder()
    system.method("/reply", rec)
    client = chan(
        system,
        "cli",
        "w",
        udpwrite_host="127.0.0.1",
        udpwrite_port=peer.getsockname()[1],
        udpwrite_replies=False,
    )
    system.send_packet(OSCMessage("/ask", None, []), "cli")
    _, client_address = peer.recvfrom(65536)
    peer.sendto(bytes(encode_packet(OSCMessage("/reply", None, [1]))), client_address)
    peer.close()
    assert not poll(system, lambda: len(rec) == 1, timeout=0.3)
    assert client.stats.received == 0


def test_write_workqueue_runs_the_writes_and_wqterminate_ends_it(system) -> None:
    from oscwire.osctoolspools import WorkQueue

    rec = Recorder()
    system.method("/wq", rec)
    srv = chan(system, "srv", "r", udpread_host="127.0.0.1", udpread_port=0)
    queue = WorkQueue()  # no thread: the writes wait until we run them
    cli = chan(
        system,
        "cli",
        "w",
        udpwrite_host="127.0.0.1",
        udpwrite_port=srv.bound_port,
        write_workqueue=queue,
        write_wqterminate=True,
    )
    for value in range(3):
        system.send_packet(OSCMessage("/wq", None, [value]), "cli")
    assert cli.stats.sent == 0 and len(queue) == 1  # one write operation for the channel
    queue.run_pending()
    assert cli.stats.sent == 3
    pump(system, lambda: len(rec) == 3)
    assert rec.calls == [(0,), (1,), (2,)]
    cli.terminate()
    assert queue.terminated


def test_monitor_options(system) -> None:
    from oscwire.oscscheduling import Monitor

    rec = Recorder()
    system.method("/mon", rec)
    raw = bytes(encode_packet(OSCMessage("/mon", None, [1])))
    sender = raw_sender()
    # A monitor of one's own, in its own thread, ended with the channel.
    own = Monitor()
    own.start_thread()
    srv = chan(
        system,
        "own",
        "r",
        udpread_host="127.0.0.1",
        udpread_port=0,
        monitor=own,
        monitor_terminate=True,
    )
    sender.sendto(raw, ("127.0.0.1", srv.bound_port))
    pump(system, lambda: len(rec) == 1)
    srv.terminate()
    assert own.terminated
    # No monitor: the program reads when it wants.
    manual = chan(system, "manual", "r", udpread_host="127.0.0.1", udpread_port=0, monitor=None)
    sender.sendto(raw, ("127.0.0.1", manual.bound_port))
    system.process(0.05)
    assert len(rec) == 1
    manual.process_monevents(0, "r")
    pump(system, lambda: len(rec) == 2)
    # monitor_terminate on a channel of the system's monitor must not stop the others.
    other = chan(system, "other", "r", udpread_host="127.0.0.1", udpread_port=0)
    chan(
        system, "short", "r", udpread_host="127.0.0.1", udpread_port=0, monitor_terminate=True
    ).terminate()
    assert not system.monitor.terminated
    sender.sendto(raw, ("127.0.0.1", other.bound_port))
    pump(system, lambda: len(rec) == 3)
    sender.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "239.255.42.98"])
def test_ttl_zero_is_accepted_and_sets_only_the_multicast_ttl(system, host: str) -> None:
    """udpwrite_ttl=0 sets IP_MULTICAST_TTL (0: this host only); IP_TTL, which refuses
    0, stays as the OS has it. (A TTL of 1 or more sets both: see api_udpwrite_ttl in
    tests/compat.)"""
    multicast = host.startswith("239.")
    cli = chan(
        system, "cli", "w", udpwrite_host=host, udpwrite_port=9, udpwrite_ttl=0,
        mcast_enabled=multicast,
    )  # fmt: skip
    sock = cli.udpsock
    assert sock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL) == 0
    assert sock.getsockopt(socket.IPPROTO_IP, socket.IP_TTL) == 64 or not multicast
    if not multicast:
        rec = Recorder()
        system.method("/ttl0", rec)
        srv = chan(system, "srv", "r", udpread_host="127.0.0.1", udpread_port=0)
        cli2 = chan(
            system, "cli2", "w", udpwrite_host="127.0.0.1", udpwrite_port=srv.bound_port,
            udpwrite_ttl=0,
        )  # fmt: skip
        assert cli2.udpsock.getsockopt(socket.IPPROTO_IP, socket.IP_TTL) > 0
        system.send_packet(OSCMessage("/ttl0", None, [1]), "cli2")
        pump(system, lambda: len(rec) == 1)


def test_a_failed_queued_datagram_still_signals_its_event(system) -> None:
    """The batched write loop signals the event of a packet it drops, as the base one does:
    a sender waiting on it (oscwire send) does not hang."""
    import threading

    from oscwire.oscpacketoptions import PacketOptions

    cli = chan(system, "cli", "w", udpwrite_host="127.0.0.1", udpwrite_port=9)
    done = threading.Event()
    cli.transmit_data(b"x" * 70000, PacketOptions(event=done))  # EMSGSIZE in the write loop
    assert done.wait(2) and cli.stats.send_errors == 1
