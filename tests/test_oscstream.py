"""The stream connection without TCP, and the pieces listeners share (budgets, timeouts).

:class:`~oscwire.oscstream.StreamConnection` is meant for Unix stream sockets, serial
lines and WebSocket too: here it runs over an ``AF_UNIX`` socket pair through a ten-line
subclass, on both framing twins, with frames built by hand.
"""

from __future__ import annotations

import socket
import time
from types import ModuleType
from typing import Any, Callable, Optional

import pytest

from _support import pump
from _support_tcp import FRAMERS, Recorder, osc_int_message, recv_exactly
from oscwire import oscstream
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCMessage
from oscwire.oscmethod import OSCARG_DATAUNPACK, OSCARG_PACKOPT
from oscwire.oscstream import StreamConnection, StreamSettings
from oscwire.oscstreamlimits import ByteBudget, ReadBuffer, TimeoutWatch


class PairConnection(StreamConnection):
    """A stream connection over one end of a socket pair (options prefixed ``pair_``)."""

    option_prefix = "pair"

    def __init__(self, name: str, sock: socket.socket, options: dict[str, Any]) -> None:
        self._sock: Optional[socket.socket] = sock
        super().__init__(name, "rw", options)

    def open(self) -> None:
        sock, self._sock = self._sock, None
        assert sock is not None
        sock.setblocking(False)
        self.install_stream(sock, "pair-peer")


@pytest.mark.parametrize("kind", ["size", "slip"])
def test_a_stream_connection_needs_no_tcp(
    system: OSCSystem, framing_impl: ModuleType, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setattr(oscstream, "framing", framing_impl)
    got = Recorder()

    def answer(value: int, packopt: Any) -> None:
        got(value)
        system.reply(packopt, OSCMessage("/back", ",i", [value + 100]))

    system.method("/q", answer, argscheme=OSCARG_DATAUNPACK + OSCARG_PACKOPT)
    inside, outside = socket.socketpair()
    with outside:
        channel = PairConnection("pair", inside, {"pair_framing": kind, "osc_system": system})
        assert channel.connected and not hasattr(channel, "tcpsock")
        frame = FRAMERS[kind]
        outside.sendall(b"".join(frame(osc_int_message("/q", i)) for i in range(5)))
        pump(system, lambda: len(got) == 5)
        expected = b"".join(frame(osc_int_message("/back", i + 100)) for i in range(5))
        assert recv_exactly(outside, len(expected)) == expected
        outside.close()
        pump(system, lambda: not channel.connected)
    assert got.calls == [(i,) for i in range(5)]
    assert channel.stats.received == 5 and channel.stats.sent == 5


def test_settings_map_osc4py3_switches_and_refuse_bad_values() -> None:
    read = StreamSettings.from_options({"read_withslip": True}, "tcp")
    assert (read.readframing, read.writeframing) == ("slip", "size")
    write = StreamSettings.from_options({"write_withslip": True}, "tcp")
    assert (write.readframing, write.writeframing) == ("slip", "slip")
    auto = StreamSettings.from_options({"tcp_framing": "auto"}, "tcp", idle_default=7.0)
    assert (auto.readframing, auto.writeframing, auto.idle_timeout) == ("auto", "auto", 7.0)
    own = StreamSettings.from_options({"x_readframing": "slip", "tcp_framing": "size"}, "x")
    assert own.readframing == "slip"
    with pytest.raises(ValueError, match="tcp_writeframing"):
        StreamSettings.from_options({"tcp_writeframing": "lines"}, "tcp")
    with pytest.raises(ValueError, match="tcp_idle_timeout must be >= 0"):
        StreamSettings.from_options({"tcp_idle_timeout": -1}, "tcp")


def test_a_byte_budget_counts_takes_and_gives_back() -> None:
    budget = ByteBudget(100)
    assert budget.try_take(60) and not budget.try_take(41) and budget.used == 60
    assert budget.fits(40) and not budget.fits(41)
    assert budget.adjust(50) and budget.over() and budget.used == 110
    assert not budget.adjust(-110) and budget.used == 0
    unbounded = ByteBudget(0)
    assert unbounded.try_take(1 << 40) and not unbounded.over()
    with pytest.raises(ValueError):
        ByteBudget(-1)


class _Host:
    """Records call_later requests instead of running them."""

    def __init__(self) -> None:
        self.timers: list[tuple[float, Callable[[], None], _Handle]] = []

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Handle:
        handle = _Handle()
        self.timers.append((delay, callback, handle))
        return handle


class _Handle:
    cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Member:
    def __init__(self, deadline: Optional[float]) -> None:
        self.deadline = deadline
        self.checked: list[float] = []

    def next_deadline(self) -> Optional[float]:
        return self.deadline

    def check_timeouts(self, now: float) -> None:
        self.checked.append(now)
        if self.deadline is not None and now >= self.deadline:
            self.deadline = None  # closed


def test_a_timeout_watch_keeps_one_timer_at_the_earliest_deadline() -> None:
    host = _Host()
    watch = TimeoutWatch(host)  # type: ignore[arg-type]
    start = time.monotonic()
    late, soon, never = _Member(start + 30.0), _Member(start + 5.0), _Member(None)
    for member in (late, never, soon):
        watch.add(member)  # type: ignore[arg-type]
    # Armed for the late one, then once more, earlier, for the soon one; never again.
    assert [delay for delay, _, _ in host.timers] == [
        pytest.approx(30.0, abs=1.0),
        pytest.approx(5.0, abs=1.0),
    ]
    assert host.timers[0][2].cancelled and not host.timers[1][2].cancelled
    watch.arm(start + 10.0)
    assert len(host.timers) == 2
    soon.deadline = start - 1.0  # now past due
    host.timers[1][1]()  # the timer fires
    assert len(soon.checked) == len(late.checked) == len(never.checked) == 1
    assert soon.next_deadline() is None and late.next_deadline() == start + 30.0
    # Set again for the next deadline only.
    assert [delay for delay, _, _ in host.timers[2:]] == [pytest.approx(30.0, abs=1.0)]
    watch.close()
    assert host.timers[2][2].cancelled
    watch.arm(start + 1.0)
    assert len(host.timers) == 3


def test_a_read_buffer_grows_for_bursts_and_shrinks_back() -> None:
    buffers = ReadBuffer()
    buf, view = buffers.get(256 * 1024)
    assert len(buf) == ReadBuffer.SMALL and view.obj is buf
    sizes = []
    for _ in range(4):  # each wake-up filled the buffer: a burst
        buffers.used(len(buffers.get(256 * 1024)[0]), 256 * 1024)
        sizes.append(len(buffers.get(256 * 1024)[0]))
    assert sizes == [64 * 1024, 256 * 1024, 256 * 1024, 256 * 1024]
    for _ in range(ReadBuffer.SHRINK_AFTER - 1):  # small reads: not yet
        buffers.used(100, 256 * 1024)
    assert len(buffers.get(256 * 1024)[0]) == 256 * 1024
    buffers.used(100, 256 * 1024)
    assert len(buffers.get(256 * 1024)[0]) == ReadBuffer.SMALL
    # A smaller read size never makes it grow past that size.
    small = ReadBuffer()
    small.get(4096)
    small.used(4096, 4096)
    assert len(small.get(4096)[0]) == 4096
