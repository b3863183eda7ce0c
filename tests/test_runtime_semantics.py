"""Runtime semantics that osc4py3 programs and hostile peers rely on: '_local' hops,
handler exits in each policy, warnings for unknown startup keywords, stats under churn."""

from __future__ import annotations

import importlib
import threading
import time
import warnings

import pytest

from _support import POLICIES, pump, run_for
from _support_runtime import raw_sender
from oscwire import _runtime
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCMessage
from oscwire.oscudpmc import UdpMcChannel

pytestmark = pytest.mark.system(*POLICIES)


def test_local_is_queued_and_runs_at_the_next_process_in_the_event_loop() -> None:
    system = OSCSystem("eventloop").start()
    try:
        seen: list[int] = []
        system.method("/l", seen.append)
        system.send_packet(OSCMessage("/l", None, [1]), "_local")
        assert seen == []  # not inside the send
        system.process()
        assert seen == [1]
    finally:
        system.terminate()


def test_a_local_chain_makes_one_hop_per_round_and_never_recurses() -> None:
    system = OSCSystem("eventloop").start()
    try:
        hops: list[int] = []

        def hop(n: int) -> None:
            hops.append(n)
            if n < 5000:
                system.send_packet(OSCMessage("/hop", None, [n + 1]), "_local")

        system.method("/hop", hop)
        system.send_packet(OSCMessage("/hop", None, [0]), "_local")
        system.process()
        assert hops == [0]
        system.process()
        assert hops == [0, 1]
        for _ in range(5000):
            system.process()
        # 5001 hops, far past the recursion limit: each ran in its own round.
        assert hops == list(range(5001))
    finally:
        system.terminate()


def test_local_chain_in_every_policy(system: OSCSystem) -> None:
    hops: list[int] = []
    lock = threading.Lock()

    def hop(n: int) -> None:
        with lock:
            hops.append(n)
        if n < 200:
            system.send_packet(OSCMessage("/hop", None, [n + 1]), "_local")

    system.method("/hop", hop)
    system.send_packet(OSCMessage("/hop", None, [0]), "_local")
    pump(system, lambda: len(hops) == 201, timeout=10)
    assert hops == list(range(201))


@pytest.mark.parametrize("exit_type", [SystemExit, KeyboardInterrupt])
def test_handler_exit_in_the_callers_thread_propagates(exit_type: type) -> None:
    for policy in ("eventloop", "comthreads"):
        system = OSCSystem(policy).start()
        try:

            def leave(value: int) -> None:
                raise exit_type(value)

            system.method("/quit", leave)
            system.send_packet(OSCMessage("/quit", None, [3]), "_local")
            with pytest.raises(exit_type):
                run_for(system, 5)
        finally:
            system.terminate()


@pytest.mark.parametrize("threads", [0, 2])
def test_handler_exit_in_a_policy_thread_is_raised_at_process_and_nothing_stalls(
    threads: int, caplog
) -> None:
    """SystemExit in an allthreads handler: the thread survives, its source is served
    again, the exit is counted, shown, and raised in the thread calling osc_process()."""
    system = OSCSystem("allthreads", execthreadscount=threads).start()
    try:
        seen: list[int] = []

        def handler(value: int) -> None:
            if value == 0:
                raise SystemExit("bye")
            seen.append(value)

        system.method("/x", handler)
        srv = UdpMcChannel(
            "srv", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
        )
        UdpMcChannel(
            "cli",
            "w",
            {"udpwrite_host": "127.0.0.1", "udpwrite_port": srv.bound_port, "osc_system": system},
        )
        system.send_packet(OSCMessage("/x", None, [0]), "cli")
        # The policy's threads serve it: process() would raise the exit here, so only wait.
        pump(None, lambda: system.stats.handler_exits > 0)
        assert system.stats.handler_exits == 1
        # The same source (one lane) is served again: the worker did not die.
        for value in range(1, 300):
            system.send_packet(OSCMessage("/x", None, [value]), "cli")
        pump(None, lambda: len(seen) >= 299)
        assert seen == list(range(1, 300))
        assert not system.congested()
        with pytest.raises(SystemExit, match="bye"):
            system.process()
        system.process()  # raised once
        assert "SystemExit('bye') in a thread of the allthreads policy" in caplog.text
    finally:
        system.terminate()


@pytest.mark.parametrize("policy", ["eventloop", "comthreads", "allthreads"])
def test_unknown_startup_keywords_warn_and_are_ignored(policy: str) -> None:
    facade = importlib.import_module(f"oscwire.as_{policy}")
    try:
        with pytest.warns(UserWarning, match="unknown keyword 'logfile' ignored"):
            facade.osc_startup(logfile="x.log", execthreadscount=1)
        assert _runtime.default_system().running
    finally:
        facade.osc_terminate()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        facade.osc_startup(execthreadscount=1)
        facade.osc_terminate()


def test_stats_while_channels_come_and_go() -> None:
    system = OSCSystem("eventloop").start()
    stop = threading.Event()
    failures: list[BaseException] = []

    def churn() -> None:
        n = 0
        while not stop.is_set():
            channel = UdpMcChannel(
                f"c{n}", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
            )
            channel.terminate()
            n += 1

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            try:
                system.all_stats()
            except BaseException as error:
                failures.append(error)
                break
    finally:
        stop.set()
        thread.join(5)
        system.terminate()
    assert failures == []


def test_packet_options_are_per_message_for_handlers_within_one_read(system) -> None:
    """The receive path shares one packet options object per source within a read; what a
    handler is given must not show it: its own copy, its own message, its own source."""
    from oscwire.oscbuildparse import encode_packet
    from oscwire.oscmethod import OSCARG_DATAUNPACK, OSCARG_PACKOPT

    seen: list[tuple[int, object, object, object]] = []
    lock = threading.Lock()

    def handler(packopt, value):
        with lock:
            seen.append((value, packopt, packopt.message.arguments, packopt.srcident))

    system.method("/v", handler, argscheme=OSCARG_PACKOPT + OSCARG_DATAUNPACK)
    channel = UdpMcChannel(
        "in", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
    )
    senders = [raw_sender(), raw_sender()]
    try:
        for value in range(6):  # interleaved, all waiting in the socket: one read
            datagram = encode_packet(OSCMessage("/v", ",i", [value]))
            senders[value % 2].sendto(datagram, ("127.0.0.1", channel.bound_port))
        ports = [sender.getsockname()[1] for sender in senders]  # bound by the first send
        pump(system, lambda: len(seen) == 6, timeout=5.0)
    finally:
        for sender in senders:
            sender.close()
    assert sorted(value for value, *_ in seen) == list(range(6))
    assert len({id(packopt) for _, packopt, _, _ in seen}) == 6  # a copy per call
    for value, _, arguments, ident in seen:
        assert tuple(arguments) == (value,)
        assert ident[1] == ports[value % 2]
