"""What happens when a bound is reached, where no other test module shows it.

Each test reaches one bound (lowered with ``monkeypatch`` where the default would take
long) and asserts what the user sees: the exception and its message, the log line (first
in full, then a counted summary), the counter in ``stats``, what is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import tracemalloc
from types import ModuleType

import pytest

from oscwire import _asyncio_runtime, _policies, _runtime, as_asyncio
from oscwire._errors import OSCError, OSCTruncatedRawError
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCBundle, OSCMessage, encode_packet, unixtime2timetag
from oscwire.oscdispatching import MAX_BUNDLE_NESTING, Dispatcher
from oscwire.oscmethod import MethodFilter
from oscwire.oscpacketoptions import PacketOptions
from oscwire.oscudpmc import UdpMcChannel

MiB = 1 << 20
DEADLINE = 10.0


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """The log lines of the test that contain *text*."""
    return [record.getMessage() for record in caplog.records if text in record.getMessage()]


def wait_for(condition: object, timeout: float = DEADLINE) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def padded(data: bytes) -> bytes:
    return data + b"\0" * (4 - len(data) % 4)


# ----------------------------------------------------------------------------- the codec
def test_distinct_long_type_tag_strings_hold_no_memory(codec_impl: ModuleType) -> None:
    """The pure decoder cached a decoding plan per type tag string, the peer's choice: a
    plan for 30 000 tags held about 2 MiB, and 512 of them stayed cached."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(30):
            # Distinct tag strings: the number written in base 4 with T/F/N/I at the end.
            tail = bytes(b"TFNI"[(number >> shift) & 3] for shift in (0, 2, 4))
            raw = padded(b"/a") + padded(b"," + b"is" * 15000 + tail)
            with pytest.raises(OSCTruncatedRawError, match="int32 argument is truncated"):
                codec_impl.decode_packet(raw)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 4 * MiB, f"{grown / MiB:.1f} MiB held after 30 packets"


# ------------------------------------------------------------------------- dispatching
def test_sub_bundles_timed_before_their_parent_log_one_line_then_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """check_subbundle_timetag: each refused sub-bundle logged a line (a peer repeats it)."""
    dispatcher = Dispatcher()
    dispatcher.add_method(MethodFilter("/a", lambda *args: None))
    now = time.time()
    child = OSCBundle(unixtime2timetag(now - 2), [OSCMessage("/a", None, [1])])
    parent = OSCBundle(unixtime2timetag(now - 1), [child])
    with caplog.at_level(logging.WARNING, logger="oscwire.oscdispatching"):
        for _ in range(20):
            dispatcher.deliver(parent, PacketOptions(check_subbundle_timetag=True))
        dispatcher.terminate()  # reports what the log left out
    assert dispatcher.stats.subbundle_dropped == 20
    assert messages(caplog, "sub-bundle timed") == [
        "OSC dispatcher global: sub-bundle timed before its parent, dropped",
    ]
    assert messages(caplog, "…and") == [
        "…and 19 more sub-bundles timed before their parent dropped (only the first are shown)"
    ]


def test_bundles_nested_past_the_dispatch_bound_log_one_line_then_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher = Dispatcher()
    seen: list[int] = []
    dispatcher.add_method(MethodFilter("/a", seen.append))
    packet: object = OSCMessage("/a", None, [1])
    for _ in range(MAX_BUNDLE_NESTING + 1):
        packet = OSCBundle((0, 1), [packet])
    with caplog.at_level(logging.WARNING, logger="oscwire.oscdispatching"):
        for _ in range(10):
            dispatcher.deliver(packet, PacketOptions())
        dispatcher.terminate()
    assert seen == [] and dispatcher.stats.subbundle_dropped == 10
    assert messages(caplog, "nested") == [
        f"OSC dispatcher global: bundles nested more than {MAX_BUNDLE_NESTING} deep, "
        "the deeper ones dropped",
        "…and 9 more bundles nested too deep (only the first are shown)",
    ]


def test_dispatcher_options_of_zero_are_values_not_the_defaults() -> None:
    """osc_startup(max_delay=0) gave 3600 s at start and 0 through configure()."""
    started = OSCSystem("eventloop", max_delay=0, max_delayed_bytes=4096).start()
    configured = OSCSystem("eventloop").start()
    try:
        configured.configure(max_delay=0, max_delayed_bytes=4096)
        for system in (started, configured):
            dispatcher = system.dispatcher
            assert dispatcher is not None
            assert (dispatcher.delayed.max_delay, dispatcher.delayed.max_bytes) == (0.0, 4096)
            later = OSCBundle(unixtime2timetag(time.time() + 1), [OSCMessage("/a", None, [])])
            dispatcher.deliver(later, PacketOptions())
            assert dispatcher.stats.delayed_too_far == 1 and dispatcher.delayed_count() == 0
    finally:
        started.terminate()
        configured.terminate()


# ----------------------------------------------------------------------------- runtime
@pytest.mark.parametrize("policy", ["eventloop", "comthreads", "allthreads"])
def test_local_sends_past_the_bound_raise_in_every_policy(
    policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the thread policies a '_local' send went straight to the handler jobs, where
    the job bound dropped it with a log line: no exception, no counter in stats."""
    monkeypatch.setattr(_runtime, "MAX_LOCAL_PACKETS", 20)
    gate = threading.Event()
    system = OSCSystem(policy, execthreadscount=1).start()
    try:
        system.method("/x", lambda value: gate.wait(DEADLINE))
        sent = 0
        with pytest.raises(OSCError) as raised:
            for sent in range(100):
                system.send_packet(OSCMessage("/x", None, [sent]), "_local")
        # At most one job runs (allthreads) besides the 20 waiting.
        assert 20 <= sent <= 21
        waiting = "handler jobs" if policy != "eventloop" else "local packets"
        assert str(raised.value) == (
            f"OSC send to '_local': 20 {waiting} already wait (is osc_process() called?"
            + (" are the handlers stuck?)" if policy != "eventloop" else ")")
        )
        assert system.stats.local_dropped == 1
    finally:
        gate.set()
        system.terminate()


def test_handler_jobs_refused_past_the_bound_are_counted_in_stats(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A job the executor's bound refused was counted only in the queue's own counter."""
    monkeypatch.setattr(_policies, "MAX_EXEC_JOBS", 3)
    gate = threading.Event()
    system = OSCSystem("allthreads", execthreadscount=1).start()
    try:
        system.method("/x", lambda value: gate.wait(DEADLINE))
        channel = UdpMcChannel(
            "srv", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
        )
        raw = bytes(encode_packet(OSCMessage("/x", ",i", [1])))
        # Ten sources: ten jobs (one lane each) from one read.
        items = [(raw, (f"10.0.0.{n}", 9000), (f"10.0.0.{n}", 9000)) for n in range(10)]
        assert system.dispatcher is not None
        with caplog.at_level(logging.WARNING):
            system.dispatcher.receive(channel, items, time.time())
        queue = system.policy.queue  # type: ignore[attr-defined]
        # One job may start before the others are offered: 6 or 7 refused.
        assert queue.dropped in (6, 7)
        assert system.stats.received_dropped == queue.dropped
        assert channel.stats.dropped_received == queue.dropped
        assert system.all_stats()["channels"]["srv"]["dropped_received"] == queue.dropped
        assert messages(caplog, "job dropped") == [
            "OSC workqueue: job dropped: OSC workqueue full (3 jobs)"
        ]
    finally:
        gate.set()
        system.terminate()


# ----------------------------------------------------------------------------- asyncio
def test_failing_and_dropped_async_handler_tasks_log_one_line_then_a_count(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every failing task logged its traceback, every dropped task a line: a peer that
    sends 20 000 messages to a failing async handler wrote 20 000 tracebacks."""
    monkeypatch.setattr(_asyncio_runtime, "MAX_HANDLER_TASKS", 10)

    async def scenario() -> tuple[int, int, str, str]:
        gate = asyncio.Event()

        async def slow(value: int) -> None:
            await gate.wait()

        async def broken(value: int) -> None:
            raise ValueError(f"bad {value}")

        as_asyncio.osc_startup()
        try:
            server = as_asyncio.osc_udp_server("127.0.0.1", 0, "srv")
            as_asyncio.osc_udp_client("127.0.0.1", server.bound_port, "cli")
            as_asyncio.osc_method("/slow", slow)
            as_asyncio.osc_method("/broken", broken)
            stats = _runtime.default_system().all_stats
            deadline = time.monotonic() + DEADLINE
            # Fewer at once than the bound: every one fails (and is logged, or counted).
            for value in range(8):
                as_asyncio.osc_send(OSCMessage("/broken", ",i", [value]), "cli")
            while stats()["dispatcher"]["handler_errors"] < 8 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            for value in range(25):
                as_asyncio.osc_send(OSCMessage("/slow", ",i", [value]), "cli")
            while stats()["system"]["handler_tasks_dropped"] < 15 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            gate.set()
            counts = stats()
            errors = counts["dispatcher"]["handler_errors"]
            dropped = counts["system"]["handler_tasks_dropped"]
            return errors, dropped, broken.__qualname__, slow.__qualname__
        finally:
            as_asyncio.osc_terminate()  # reports what the log left out

    with caplog.at_level(logging.WARNING):
        try:
            errors, dropped, broken, slow = asyncio.run(asyncio.wait_for(scenario(), DEADLINE * 2))
        finally:
            _runtime.replace_default_system("eventloop")
    assert (errors, dropped) == (8, 15)
    failures = [r for r in caplog.records if "failure in handler task" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert "ValueError: bad 0" in caplog.text
    assert messages(caplog, "handler task for") == [
        f"OSC asyncio: handler task for {slow} dropped (10 tasks alive, the bound)"
    ]
    assert sorted(messages(caplog, "…and")) == [
        f"…and 14 more handler tasks for {slow} dropped (only the first are shown)",
        f"…and 7 more failures of handler task {broken} (ValueError) (only the first are shown)",
    ]
