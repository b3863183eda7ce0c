"""Backpressure: when handlers fall behind, channels stop reading instead of dropping.

A TCP peer is then held back by TCP's own flow control; once the handlers catch up,
reading resumes and every message arrives, in order.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from _support import pump, reaches
from oscwire import _policies, _runtime, as_comthreads, framing
from oscwire.oscbuildparse import OSCMessage, encode_packet

MESSAGES = 3000
CHUNKS = 150


@pytest.fixture
def low_thresholds(monkeypatch):
    monkeypatch.setattr(_runtime, "CONGESTED_JOBS", 8)
    # A small hard bound: without backpressure the queue would overflow and drop.
    monkeypatch.setattr(_policies, "MAX_EXEC_JOBS", 40)
    yield
    as_comthreads.osc_terminate()


def send_in_chunks(port: int, done: threading.Event) -> None:
    """A plain TCP peer: size-prefixed messages in many small writes (many reads there)."""
    stream = b"".join(
        framing.size_prefix(bytes(encode_packet(OSCMessage("/n", ",i", [i]))))
        for i in range(MESSAGES)
    )
    step = len(stream) // CHUNKS + 1
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for start in range(0, len(stream), step):
            sock.sendall(stream[start : start + step])
            time.sleep(0.001)
        done.set()
        time.sleep(0.5)  # keep the connection until the receiver has read it all


def test_tcp_reading_pauses_while_handlers_are_behind(low_thresholds) -> None:
    as_comthreads.osc_startup()
    received: list[int] = []
    as_comthreads.osc_method("/n", received.append)
    server = as_comthreads.osc_tcp_server("127.0.0.1", 0, "srv")
    sent = threading.Event()
    sender = threading.Thread(target=send_in_chunks, args=(server.bound_port, sent), daemon=True)
    sender.start()

    # Handlers run only in osc_process(): not calling it lets their queue grow.
    def paused() -> list:
        return [c for c in _runtime.default_system().channels.values() if c.reading_paused]

    pump(None, paused, what="a connection to pause its reading")
    connection = paused()[0]
    assert received == []
    pump(as_comthreads.osc_process, lambda: len(received) >= MESSAGES, timeout=20)
    assert received == list(range(MESSAGES))
    stats = connection.stats
    assert stats.read_pauses >= 1
    assert stats.dropped_received == 0
    assert _runtime.default_system().policy.queue.dropped == 0
    sender.join(timeout=5)


def test_big_datagrams_pause_reading_by_bytes_waiting(monkeypatch) -> None:
    """A flood of big datagrams is bounded by the bytes waiting for handlers, not only by
    the job count (a few jobs of 64 KiB datagrams would otherwise pile up gigabytes)."""
    from oscwire._runtime import OSCSystem
    from oscwire.oscudpmc import UdpMcChannel

    monkeypatch.setattr(_runtime, "CONGESTED_BYTES", 200_000)
    system = OSCSystem("comthreads").start()
    try:
        received: list[int] = []
        system.method("/big", lambda blob: received.append(len(blob)))
        server = UdpMcChannel(
            "srv", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
        )
        raw = bytes(encode_packet(OSCMessage("/big", ",b", [b"x" * 50_000])))
        deadline = time.monotonic() + 10
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            # One at a time, each read before the next: far fewer jobs than CONGESTED_JOBS.
            sent = 0
            while not server.reading_paused and sent < 20 and time.monotonic() < deadline:
                peer.sendto(raw, ("127.0.0.1", server.bound_port))
                sent += 1
                # The communication thread reads; handlers must not run yet.
                pump(None, reaches(lambda: server.stats.received, sent))
        assert server.reading_paused, "reading never paused"
        # The check runs when a batch arrives, before it counts: one more may pass.
        assert 200_000 <= system.waiting_bytes < 200_000 + 2 * len(raw)
        assert received == []
        pump(system, lambda: len(received) >= sent)
        assert received == [50_000] * sent
        assert system.waiting_bytes == 0
        pump(system, lambda: not server.reading_paused)
    finally:
        system.terminate()
