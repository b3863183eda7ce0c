"""The asyncio policy: the running loop reads, decodes and calls handlers (asyncio and uvloop)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Any, Callable

import pytest

from _support import pump
from oscwire import _asyncio_runtime, _runtime, as_asyncio
from oscwire.oscbuildparse import OSCBundle, OSCMessage, encode_packet, unixtime2timetag
from oscwire.oscmethod import OSCARG_DATAUNPACK, OSCARG_PACKOPT

DEADLINE = 10.0


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request) -> Callable[[Any], Any]:
    """Run a coroutine to completion on the loop kind of the test id, then reset the façade."""
    if request.param == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        new_loop = uvloop.new_event_loop
    else:
        new_loop = asyncio.new_event_loop

    def runner(coroutine: Any) -> Any:
        loop = new_loop()
        try:
            return loop.run_until_complete(asyncio.wait_for(coroutine, DEADLINE * 2))
        finally:
            as_asyncio.osc_terminate()
            loop.close()

    yield runner
    _runtime.replace_default_system("eventloop")


async def until(condition: Callable[[], bool], timeout: float = DEADLINE) -> bool:
    """Let the loop run until *condition* holds (True) or *timeout* passes (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.002)
    return True


def udp_pair() -> Any:
    server = as_asyncio.osc_udp_server("127.0.0.1", 0, "srv")
    as_asyncio.osc_udp_client("127.0.0.1", server.bound_port, "cli")
    return server


def test_plain_and_async_handlers_run_in_the_loop(run) -> None:
    threads: set = set()
    plain: list = []
    awaited: list = []

    def on_plain(value: int) -> None:
        threads.add(threading.get_ident())
        plain.append(value)

    async def on_async(value: int) -> None:
        threads.add(threading.get_ident())
        await asyncio.sleep(0.001)
        awaited.append(value)

    async def scenario() -> None:
        as_asyncio.osc_startup()
        udp_pair()
        as_asyncio.osc_method("/plain", on_plain)
        as_asyncio.osc_method("/async", on_async)
        for value in range(100):
            as_asyncio.osc_send(OSCMessage("/plain", None, [value]), "cli")
            as_asyncio.osc_send(OSCMessage("/async", None, [value]), "cli")
        assert await until(lambda: len(plain) == 100 and len(awaited) == 100)

    run(scenario())
    assert plain == list(range(100))  # one source, one loop: arrival order
    assert sorted(awaited) == list(range(100))
    assert threads == {threading.get_ident()}  # no other thread ran a handler


def test_reply_goes_back_to_the_sender(run) -> None:
    answers: list = []

    def ping(packopt: Any, value: int) -> None:
        as_asyncio.osc_reply(packopt, OSCMessage("/pong", None, [value + 1]))

    async def scenario() -> None:
        as_asyncio.osc_startup(patternkind="spec")
        udp_pair()
        as_asyncio.osc_method("/ping", ping, argscheme=OSCARG_PACKOPT + OSCARG_DATAUNPACK)
        as_asyncio.osc_method("/pong", answers.append)
        as_asyncio.osc_send(OSCMessage("/ping", None, [41]), "cli")
        assert await until(lambda: answers == [42])

    run(scenario())


@pytest.mark.parametrize("framing", ["size", "slip"])
def test_tcp_server_and_client_in_the_loop(run, framing) -> None:
    values: list = []
    answers: list = []

    def ping(packopt: Any, value: int) -> None:
        values.append(value)
        as_asyncio.osc_reply(packopt, OSCMessage("/pong", None, [value * 2]))

    async def scenario() -> None:
        as_asyncio.osc_startup()
        as_asyncio.osc_method("/ping", ping, argscheme=OSCARG_PACKOPT + OSCARG_DATAUNPACK)
        as_asyncio.osc_method("/pong", answers.append)
        server = as_asyncio.osc_tcp_server("127.0.0.1", 0, "tsrv", framing=framing)
        as_asyncio.osc_tcp_client("127.0.0.1", server.bound_port, "tcli", framing=framing)
        for value in range(1000):
            as_asyncio.osc_send(OSCMessage("/ping", None, [value]), "tcli")
        assert await until(lambda: len(answers) == 1000)

    run(scenario())
    assert values == list(range(1000))
    assert answers == [value * 2 for value in range(1000)]


def test_a_bundle_for_later_runs_on_time_and_terminate_does_not_wait_for_one_far_ahead(
    run,
) -> None:
    arrivals: list = []

    async def scenario() -> float:
        as_asyncio.osc_startup()
        udp_pair()
        as_asyncio.osc_method("/due", lambda: arrivals.append(time.time()))
        as_asyncio.osc_method("/never", lambda: arrivals.append(None))
        sent = time.time()
        later = OSCBundle(unixtime2timetag(sent + 0.15), [OSCMessage("/due", ",", [])])
        far = OSCBundle(unixtime2timetag(sent + 3600), [OSCMessage("/never", ",", [])])
        as_asyncio.osc_send(far, "cli")
        as_asyncio.osc_send(later, "cli")
        assert await until(lambda: len(arrivals) == 1)
        assert arrivals[0] - sent >= 0.14  # not before its time tag
        assert as_asyncio.osc_stats()["dispatcher"]["delayed_waiting"] == 1
        start = time.monotonic()
        as_asyncio.osc_terminate()
        return time.monotonic() - start

    assert run(scenario()) < 1.0
    assert None not in arrivals


def test_sends_from_other_threads_reach_the_loop(run) -> None:
    got: list = []

    async def scenario() -> None:
        as_asyncio.osc_startup()
        udp_pair()
        as_asyncio.osc_method("/t", got.append)
        loop = asyncio.get_running_loop()

        def send_many(first: int) -> None:
            for value in range(first, first + 200):
                as_asyncio.osc_send(OSCMessage("/t", None, [value]), "cli")

        await asyncio.gather(*(loop.run_in_executor(None, send_many, n * 1000) for n in range(3)))
        assert await until(lambda: len(got) == 600)

    run(scenario())
    for first in (0, 1000, 2000):
        assert [v for v in got if first <= v < first + 200] == list(range(first, first + 200))


def test_bad_packets_and_failing_handlers_are_counted_and_the_loop_keeps_serving(
    run, caplog
) -> None:
    good: list = []

    def broken(value: int) -> None:
        raise ValueError("handler bug")

    async def broken_async(value: int) -> None:
        await asyncio.sleep(0)
        raise ValueError("async handler bug")

    async def scenario() -> Any:
        as_asyncio.osc_startup(patternkind="spec")  # "/bad" must not match "/badasync"
        server = udp_pair()
        as_asyncio.osc_method("/ok", good.append)
        as_asyncio.osc_method("/bad", broken)
        as_asyncio.osc_method("/badasync", broken_async)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
            for junk in (b"", b"garbage", b"/x\0\0,i\0\0\0", b"#bundle\0" + b"\xff" * 12):
                raw.sendto(junk, ("127.0.0.1", server.bound_port))
            raw.sendto(
                bytes(encode_packet(OSCMessage("/bad", None, [1]))),
                ("127.0.0.1", server.bound_port),
            )
            raw.sendto(
                bytes(encode_packet(OSCMessage("/badasync", None, [1]))),
                ("127.0.0.1", server.bound_port),
            )
            raw.sendto(
                bytes(encode_packet(OSCMessage("/ok", None, [7]))), ("127.0.0.1", server.bound_port)
            )
        dispatcher = _runtime.default_system().dispatcher
        assert await until(lambda: good == [7] and dispatcher.stats.handler_errors == 2)
        return server.stats.bad_packets

    with caplog.at_level(logging.ERROR, logger="oscwire"):
        bad = run(scenario())
    assert bad == 4  # each malformed datagram, the empty one included
    assert "handler bug" in caplog.text and "async handler bug" in caplog.text


def test_terminate_cancels_handler_tasks_still_running(run) -> None:
    started: list = []
    cancelled: list = []

    async def slow(value: int) -> None:
        started.append(value)
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(value)
            raise

    async def scenario() -> None:
        as_asyncio.osc_startup()
        udp_pair()
        as_asyncio.osc_method("/slow", slow)
        as_asyncio.osc_send(OSCMessage("/slow", None, [1]), "cli")
        assert await until(lambda: started == [1])
        as_asyncio.osc_terminate()
        await asyncio.sleep(0)  # the cancellation is delivered at the task's next step
        assert await until(lambda: cancelled == [1])

    run(scenario())


def test_startup_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="running event loop"):
        as_asyncio.osc_startup()
    assert not _runtime.default_system().running


def test_methods_need_startup_first() -> None:
    _runtime.replace_default_system("eventloop")
    with pytest.raises(RuntimeError, match="osc_startup"):
        as_asyncio.osc_method("/x", print)


def test_startup_with_an_explicit_loop_run_in_another_thread() -> None:
    """A loop running in a thread of its own, started and fed from the main thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    got: list = []
    pump(None, loop.is_running, timeout=DEADLINE)
    try:
        as_asyncio.osc_startup(loop=loop)
        udp_pair()
        as_asyncio.osc_method("/x", lambda value: got.append((value, threading.get_ident())))
        as_asyncio.osc_send(OSCMessage("/x", None, [5]), "cli")
        pump(None, lambda: got, timeout=DEADLINE)  # the loop's thread serves the system
        assert got == [(5, thread.ident)]
    finally:
        as_asyncio.osc_terminate()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(DEADLINE)
        loop.close()
        _runtime.replace_default_system("eventloop")


def test_loop_monitor_refuses_a_loop_without_add_reader() -> None:
    class NoReaders:
        pass

    with pytest.raises(RuntimeError, match="WindowsSelectorEventLoopPolicy"):
        _asyncio_runtime.probe_reader(NoReaders())  # type: ignore[arg-type]


def test_async_handler_tasks_are_bounded(run, monkeypatch) -> None:
    monkeypatch.setattr(_asyncio_runtime, "MAX_HANDLER_TASKS", 5)
    release = asyncio.Event

    async def scenario() -> Any:
        gate = release()

        async def wait(value: int) -> None:
            await gate.wait()

        as_asyncio.osc_startup()
        udp_pair()
        as_asyncio.osc_method("/w", wait)
        for value in range(20):
            as_asyncio.osc_send(OSCMessage("/w", None, [value]), "cli")
        system = _runtime.default_system()
        assert await until(lambda: system.stats.handler_tasks_dropped == 15)
        alive = len(system.policy.tasks)
        gate.set()
        assert await until(lambda: not system.policy.tasks)
        return alive

    assert run(scenario()) == 5


def test_startup_of_another_policy_replaces_an_asyncio_system_left_running(run) -> None:
    from oscwire import as_eventloop

    async def scenario() -> Any:
        as_asyncio.osc_startup()
        first = _runtime.default_system()
        as_eventloop.osc_startup()  # no osc_terminate() in between
        second = _runtime.default_system()
        return first, second

    first, second = run(scenario())
    assert not first.running and first.policy.name == "asyncio"
    assert second.policy.name == "eventloop"


def test_asyncio_startup_replaces_a_system_another_facade_left_running(run) -> None:
    from oscwire import as_allthreads

    as_allthreads.osc_startup(execthreadscount=1)
    first = _runtime.default_system()

    async def scenario() -> Any:
        as_asyncio.osc_startup()
        return _runtime.default_system()

    second = run(scenario())
    assert not first.running and first.policy.name == "allthreads"
    assert isinstance(second.policy, _asyncio_runtime.AsyncioPolicy)
