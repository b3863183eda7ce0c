"""Runtime speed in one process: the receive processing stage, UDP loopback, sending.

``python -m pytest bench/suites/bench_udp.py --benchmark-only``

Each benchmark handles a batch of 1000 messages (divide the mean by 1000 for one message),
the ``netio`` ones a batch of 256 datagrams, on both twins.
The two-process capacity comparison with pyliblo3, python-osc and osc4py3 is
``bench/compare/udp_capacity.py``.
"""

from __future__ import annotations

import socket
import time

import pytest

from _support import pump
from oscwire import oscmethod
from oscwire.oscbuildparse import OSCMessage, encode_packet
from oscwire.oscudpmc import UdpMcChannel

BATCH = 1000
MESSAGE = OSCMessage("/test/addr", ",ifs", [1, 2.5, "hello"])


def _server(system, **opts):
    return UdpMcChannel(
        "srv", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system, **opts}
    )


@pytest.mark.parametrize("argscheme", ["dataunpack", "packopt"])
def test_process_received(benchmark, system, argscheme):
    """Decode + match + call for a batch of datagrams already read (no socket)."""
    counter = [0]

    def handler(*args):
        counter[0] += 1

    scheme = (
        oscmethod.OSCARG_DATAUNPACK
        if argscheme == "dataunpack"
        else (oscmethod.OSCARG_PACKOPT + oscmethod.OSCARG_DATAUNPACK)
    )
    system.method("/test/addr", handler, argscheme=scheme)
    channel = _server(system)
    raw = bytes(encode_packet(MESSAGE))
    items = [(raw, ("127.0.0.1", 5000), ("127.0.0.1", 5000))] * BATCH
    benchmark(system.dispatcher.receive, channel, items, time.time())
    assert counter[0] % BATCH == 0 and counter[0] > 0


def test_loopback_send_and_receive(benchmark, system):
    """osc_send of 1000 messages to a loopback server and their handling (eventloop)."""
    counter = [0]
    system.method("/test/addr", lambda *a: counter.__setitem__(0, counter[0] + 1))
    srv = _server(system, udpread_batch=BATCH)
    UdpMcChannel(
        "cli",
        "w",
        {"udpwrite_host": "127.0.0.1", "udpwrite_port": srv.bound_port, "osc_system": system},
    )

    def round_trip():
        target = counter[0] + BATCH
        for _ in range(BATCH):
            system.send_packet(MESSAGE, "cli")
        pump(system, lambda: counter[0] >= target, timeout=5)

    benchmark(round_trip)


def test_send_packet(benchmark, system):
    """Encode + sendto of 1000 messages through a client channel."""
    sink = _server(system)
    UdpMcChannel(
        "cli",
        "w",
        {"udpwrite_host": "127.0.0.1", "udpwrite_port": sink.bound_port, "osc_system": system},
    )
    send = system.send_packet

    def send_batch():
        for _ in range(BATCH):
            send(MESSAGE, "cli")
        sink.udpsock.setblocking(False)
        try:
            while True:
                sink.udpsock.recv(65536)
        except BlockingIOError:
            pass

    benchmark(send_batch)
    assert system.channel_stats("cli")["send_errors"] == 0


def test_send_packet_batched(benchmark, system):
    """Encode + queue of 1000 messages inside batched_sends(), sent with sendmmsg."""
    sink = _server(system, udpread_rcvbuf=8 << 20)
    UdpMcChannel(
        "cli",
        "w",
        {"udpwrite_host": "127.0.0.1", "udpwrite_port": sink.bound_port, "osc_system": system},
    )
    send = system.send_packet

    def send_batch():
        with system.batched_sends():
            for _ in range(BATCH):
                send(MESSAGE, "cli")
        sink.udpsock.setblocking(False)
        try:
            while True:
                sink.udpsock.recv(65536)
        except BlockingIOError:
            pass

    benchmark(send_batch)
    assert system.channel_stats("cli")["send_errors"] == 0


NETIO_BATCH = 256


@pytest.fixture
def udp_pair():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.setblocking(False)
    yield receiver, sender
    receiver.close()
    sender.close()


def test_netio_send_batch(benchmark, netio_impl, udp_pair):
    """send_batch of 256 datagrams (sendmmsg in the compiled twin on Linux)."""
    receiver, sender = udp_pair
    items = [(bytes(encode_packet(MESSAGE)), receiver.getsockname())] * NETIO_BATCH

    def send_and_drop():
        done, _errors = netio_impl.send_batch(sender, items)
        netio_impl.recv_batch(receiver, NETIO_BATCH)  # keep the receive buffer from filling
        return done

    assert benchmark(send_and_drop) == NETIO_BATCH


def test_netio_recv_batch(benchmark, netio_impl, udp_pair):
    """recv_batch of 256 waiting datagrams (recvmmsg in the compiled twin on Linux)."""
    receiver, sender = udp_pair
    raw = bytes(encode_packet(MESSAGE))
    target = receiver.getsockname()
    buffers = netio_impl.RecvBuffers(65536)

    def fill():
        for _ in range(NETIO_BATCH):
            sender.sendto(raw, target)
        return (), {}

    def drain():
        return len(netio_impl.recv_batch(receiver, NETIO_BATCH, 65536, buffers)[0])

    benchmark.pedantic(drain, setup=fill, rounds=200)
