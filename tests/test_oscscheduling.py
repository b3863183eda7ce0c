"""Monitor: selector-based readiness, socketpair wake-ups, threads, failing channels."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from oscwire.oscscheduling import Monitor, deadline2timeout, wait_select_timeout


class FakeChannel:
    chaname = "fake"

    def __init__(self, sock: socket.socket, fail: bool = False) -> None:
        self.sock = sock
        self.fail = fail
        self.events: list[str] = []

    def process_monevents(self, deadline: object, oper: str) -> None:
        self.events.append(oper)
        if oper == "r":
            self.sock.recv(4096)
        if self.fail:
            raise RuntimeError("channel bug")


@pytest.fixture
def monitor():
    mon = Monitor(name="test")
    yield mon
    mon.terminate()


def test_readable_and_writable_are_reported(monitor: Monitor) -> None:
    a, b = socket.socketpair()
    with a, b:
        chan = FakeChannel(a)
        monitor.add_monitoring(a.fileno(), chan, "r")
        assert monitor.step(0) == 0
        b.send(b"x")
        assert monitor.step(1.0) == 1
        assert chan.events == ["r"]
        monitor.add_monitoring(a.fileno(), chan, "w")
        monitor.step(1.0)
        assert "w" in chan.events
        monitor.remove_monitoring(a.fileno(), chan, "w")
        chan.events.clear()
        assert monitor.step(0) == 0
        monitor.remove_monitoring(a.fileno(), chan, "rwe")
        assert monitor.watched_count() == 0


def test_event_flag_reported_as_e(monitor: Monitor) -> None:
    a, b = socket.socketpair()
    with a, b:
        chan = FakeChannel(a)
        monitor.add_monitoring(a.fileno(), chan, "e")
        b.send(b"x")
        monitor.step(1.0)
        assert chan.events == ["e"]


def test_failing_channel_does_not_stop_the_monitor(monitor: Monitor) -> None:
    a, b = socket.socketpair()
    c, d = socket.socketpair()
    with a, b, c, d:
        bad, good = FakeChannel(a, fail=True), FakeChannel(c)
        monitor.add_monitoring(a.fileno(), bad, "r")
        monitor.add_monitoring(c.fileno(), good, "r")
        b.send(b"x")
        d.send(b"y")
        monitor.step(1.0)
        assert bad.events == ["r"] and good.events == ["r"]


def test_wake_interrupts_a_blocked_thread_quickly(monitor: Monitor) -> None:
    monitor.start_thread(period=None)
    a, b = socket.socketpair()
    with a, b:
        chan = FakeChannel(a)
        time.sleep(0.05)  # the thread is now blocked in select()
        t0 = time.monotonic()
        monitor.add_monitoring(a.fileno(), chan, "r")  # from another thread: wakes it
        b.send(b"x")
        deadline = time.monotonic() + 2.0
        while not chan.events and time.monotonic() < deadline:
            time.sleep(0.001)
        assert chan.events == ["r"]
        assert time.monotonic() - t0 < 0.5
        t0 = time.monotonic()
        assert monitor.stop(timeout=1.0)
        assert time.monotonic() - t0 < 0.5


def test_many_wakes_are_coalesced(monitor: Monitor) -> None:
    for _ in range(10000):
        monitor.wake()  # never blocks, never fills the socket pair
    assert monitor.step(0) == 0
    assert monitor.step(0) == 0


def test_idle_thread_does_not_spin(monitor: Monitor) -> None:
    monitor.start_thread(period=None)
    start = time.process_time()
    time.sleep(0.3)
    assert time.process_time() - start < 0.05
    monitor.stop()


def test_thread_is_daemon(monitor: Monitor) -> None:
    thread = monitor.start_thread()
    assert thread.daemon
    monitor.stop()
    assert not thread.is_alive()


def test_deadline2timeout_reads_time_time_deadlines_as_osc4py3() -> None:
    assert deadline2timeout(None) is None
    assert deadline2timeout(0) == 0
    assert deadline2timeout(time.time() - 5) == 0
    assert 0.9 < deadline2timeout(time.time() + 1) <= 1.0


def test_wait_select_timeout() -> None:
    a, b = socket.socketpair()
    with a, b:
        assert wait_select_timeout(a.fileno(), 0, "r") == ""
        b.send(b"x")
        assert wait_select_timeout(a.fileno(), 1.0, "rw") == "rw"


def test_terminated_monitor_refuses_new_files() -> None:
    mon = Monitor()
    mon.terminate()
    with pytest.raises(RuntimeError):
        mon.add_monitoring(0, FakeChannel(None), "r")  # type: ignore[arg-type]
    assert mon.step(0) == 0
    threading.current_thread()


def test_both_monitor_kinds_meet_the_protocols_channels_and_policies_use() -> None:
    import asyncio

    from oscwire._asyncio_runtime import LoopMonitor
    from oscwire._monitoring import ChannelMonitor, SteppingMonitor
    from oscwire.oscscheduling import Monitor

    monitor = Monitor()
    loop = asyncio.new_event_loop()
    try:
        for kind in (monitor, LoopMonitor(loop, None)):
            assert isinstance(kind, SteppingMonitor), kind
            assert isinstance(kind, ChannelMonitor), kind
        assert not isinstance(object(), ChannelMonitor)
    finally:
        monitor.terminate()
        loop.close()
