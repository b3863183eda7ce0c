"""The as_* façades: osc4py3's documented usage runs with only the import renamed."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from _support import POLICIES, pump
from _support_runtime import Recorder, non_daemon_threads
from oscwire import _runtime
from oscwire.oscbuildparse import OSCMessage


@pytest.fixture(params=POLICIES)
def facade(request):
    module = importlib.import_module(f"oscwire.as_{request.param}")
    yield module
    module.osc_terminate()


def test_facades_share_signatures() -> None:
    import inspect

    names = importlib.import_module("oscwire.as_eventloop").__all__
    for policy in POLICIES[1:]:
        module = importlib.import_module(f"oscwire.as_{policy}")
        assert module.__all__ == names
        for name in names:
            ours = inspect.signature(getattr(module, name))
            assert ours == inspect.signature(
                getattr(importlib.import_module("oscwire.as_eventloop"), name)
            )


def test_osc4py3_signatures_are_kept() -> None:
    # Compare with osc4py3 itself: every function it has, with compatible parameters.
    import inspect

    osc4py3_mod = pytest.importorskip("osc4py3.as_eventloop")
    ours = importlib.import_module("oscwire.as_eventloop")
    for name in osc4py3_mod.__all__:
        theirs = inspect.signature(getattr(osc4py3_mod, name)).parameters
        mine = inspect.signature(getattr(ours, name)).parameters
        assert list(mine)[: len(theirs)] == list(theirs), name
        for param in theirs.values():
            assert mine[param.name].default == param.default, (name, param.name)


def test_method_unmethod_send_and_restart(facade) -> None:
    facade.osc_startup(execthreadscount=2)
    assert _runtime.default_system().policy.name == facade.__name__.split("as_")[1]
    rec = Recorder()
    handle = facade.osc_method("/f/*", rec)
    srv = facade.osc_udp_server("127.0.0.1", 0, "srv")
    facade.osc_udp_client("127.0.0.1", srv.bound_port, "cli")
    facade.osc_send(OSCMessage("/f/a", None, [1]), "cli")
    pump(facade.osc_process, lambda: len(rec) == 1)
    assert facade.osc_unmethod(handle) is True
    assert facade.osc_unmethod(handle) is False
    facade.osc_send(OSCMessage("/f/a", None, [2]), "cli")
    pump(facade.osc_process, lambda: facade.osc_stats("srv")["decoded"] == 2)
    assert len(rec) == 1
    t0 = time.monotonic()
    facade.osc_terminate()
    assert time.monotonic() - t0 < 1.0
    assert facade.osc_channel("srv") is None
    facade.osc_startup()  # start again after terminate
    srv = facade.osc_udp_server("127.0.0.1", 0, "srv")
    facade.osc_udp_client("127.0.0.1", srv.bound_port, "cli")
    facade.osc_method("/g", rec)
    facade.osc_send(OSCMessage("/g", None, [3]), "cli")
    pump(facade.osc_process, lambda: len(rec) == 2)
    facade.osc_terminate()
    assert non_daemon_threads() == []


def test_batched_sends_in_every_policy(facade) -> None:
    facade.osc_startup(execthreadscount=2)
    rec = Recorder()
    facade.osc_method("/batch", rec)
    srv = facade.osc_udp_server("127.0.0.1", 0, "srv")
    facade.osc_udp_client("127.0.0.1", srv.bound_port, "cli")
    with facade.osc_batched_sends():
        for i in range(300):  # more than one sendmmsg batch
            facade.osc_send(OSCMessage("/batch", None, [i]), "cli")
    pump(facade.osc_process, lambda: len(rec) == 300)
    assert [call[0] for call in rec.calls] == list(range(300))
    assert facade.osc_stats("cli")["sent"] == 300


def test_second_startup_is_ignored(facade) -> None:
    facade.osc_startup()
    first = _runtime.default_system()
    facade.osc_startup()
    assert _runtime.default_system() is first


def test_patternkind_option(facade) -> None:
    facade.osc_startup(patternkind="spec")
    rec = Recorder()
    facade.osc_method("/exact", rec)
    facade.osc_send(OSCMessage("/exact/more", None, [1]), "_local")  # osc kind would match
    facade.osc_send(OSCMessage("/ex*", None, [2]), "_local")  # message-side pattern
    pump(facade.osc_process, lambda: len(rec) == 1)
    time.sleep(0.05)
    facade.osc_process()
    assert rec.calls == [(2,)]


OSC4PY3_EXAMPLE = """
import time

# Import needed modules from osc4py3
from {pkg}.as_eventloop import *
from {pkg} import oscbuildparse
from {pkg} import oscmethod as osm

received = []

def handlerfunction(s, x, y):
    # Will receive message data unpacked in s, x, y
    received.append(("h1", s, x, y))

def handlerfunction2(address, s, x, y):
    # Will receive message address, and message data flattened in s, x, y
    received.append(("h2", address, s, x, y))

# Start the system.
osc_startup()

# Make server channels to receive packets.
osc_udp_server("127.0.0.1", {port}, "aservername")

# Associate Python functions with message address patterns, using default
# argument scheme OSCARG_DATAUNPACK.
osc_method("/test/*", handlerfunction)
# Too, but request the message address pattern before in argscheme
osc_method("/test/*", handlerfunction2, argscheme=osm.OSCARG_ADDRESS + osm.OSCARG_DATAUNPACK)

# Make client channels to send packets.
osc_udp_client("127.0.0.1", {port}, "aclientname")

# Build a simple message and send it.
msg = oscbuildparse.OSCMessage("/test/me", ",sif", ["text", 672, 8.871])
osc_send(msg, "aclientname")

# Build a message with autodetection of data types, and send it.
msg = oscbuildparse.OSCMessage("/test/me", None, ["text", 672, 8.871])
osc_send(msg, "aclientname")

# Buils a complex bundle, and send it.
bun = oscbuildparse.OSCBundle(oscbuildparse.unixtime2timetag(time.time()+30),
                    [msg, oscbuildparse.OSCMessage("/test/me", None, ["x", 1, 2.5])])
osc_send(bun, "aclientname")

# Periodically call osc4py3 processing method in your event loop.
finished = False
deadline = time.time() + 3
while not finished:
    osc_process()
    time.sleep(0.001)
    finished = len(received) >= 4 or time.time() > deadline

# Properly close the system.
start = time.time()
osc_terminate()
import json
print(json.dumps({{"received": received, "terminate": time.time() - start}}))
"""


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_osc4py3_usage_example_runs_with_the_import_renamed() -> None:
    code = textwrap.dedent(OSC4PY3_EXAMPLE).format(pkg="oscwire", port=_free_port())
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    received = report["received"]
    assert len(received) == 4
    assert sorted(r[0] for r in received) == ["h1", "h1", "h2", "h2"]
    h1 = next(r for r in received if r[0] == "h1")
    h2 = next(r for r in received if r[0] == "h2")
    assert h1[1:3] == ["text", 672] and abs(h1[3] - 8.871) < 1e-5
    assert h2[1:4] == ["/test/me", "text", 672]
    assert report["terminate"] < 1.0  # the bundle due in 30 s does not hold osc_terminate()


@pytest.mark.parametrize(("server_framing", "client_framing"), [("size", "size"), ("auto", "slip")])
def test_tcp_through_every_facade(facade, server_framing, client_framing) -> None:
    """osc_tcp_server / osc_tcp_client are part of each façade, with replies on the connection."""
    assert {"osc_tcp_server", "osc_tcp_client"} <= set(facade.__all__)
    facade.osc_startup(execthreadscount=2)
    values: list = []
    answers: list = []

    def ping(packopt, value):
        values.append(value)
        facade.osc_reply(packopt, OSCMessage("/pong", None, [value * 2]))

    from oscwire.oscmethod import OSCARG_DATAUNPACK, OSCARG_PACKOPT

    facade.osc_method("/ping", ping, argscheme=OSCARG_PACKOPT + OSCARG_DATAUNPACK)
    facade.osc_method("/pong", answers.append)
    server = facade.osc_tcp_server("127.0.0.1", 0, "tcpsrv", framing=server_framing)
    facade.osc_tcp_client("127.0.0.1", server.bound_port, "tcpcli", framing=client_framing)
    for value in range(50):
        facade.osc_send(OSCMessage("/ping", None, [value]), "tcpcli")
    pump(facade.osc_process, lambda: len(answers) == 50)
    assert values == list(range(50))
    assert answers == [value * 2 for value in range(50)]


def test_every_facade_exports_the_common_functions() -> None:
    from oscwire import _facade

    for policy in POLICIES:
        module = importlib.import_module(f"oscwire.as_{policy}")
        for name in _facade.COMMON:
            assert name in module.__all__
            assert getattr(module, name) is getattr(_facade, name)
        assert module.osc_startup is not _facade.startup


def test_startup_of_another_policy_replaces_a_system_left_running() -> None:
    from oscwire import as_allthreads, as_eventloop

    try:
        as_eventloop.osc_startup()
        as_eventloop.osc_udp_server("127.0.0.1", 0, "left")  # never terminated
        as_allthreads.osc_startup(execthreadscount=2)
        current = _runtime.default_system()
        assert current.policy.name == "allthreads"
        rec = Recorder()
        as_allthreads.osc_method("/t", rec)
        srv = as_allthreads.osc_udp_server("127.0.0.1", 0, "left")  # the name is free again
        as_allthreads.osc_udp_client("127.0.0.1", srv.bound_port, "cli")
        as_allthreads.osc_send(OSCMessage("/t", None, [1]), "cli")
        pump(None, lambda: rec.calls)  # no osc_process(): threads only
        assert rec.calls == [(1,)]
    finally:
        as_allthreads.osc_terminate()


@pytest.mark.parametrize("policy", ["comthreads", "allthreads"])
def test_startup_after_channels_applies_the_policy_to_them(policy: str) -> None:
    """osc4py3 lets a program make channels, then call osc_startup(): the policy it asks
    for serves those channels (their handlers run as that policy says)."""
    facade = importlib.import_module(f"oscwire.as_{policy}")
    _runtime.replace_default_system("eventloop")  # as in a fresh process
    try:
        srv = facade.osc_udp_server("127.0.0.1", 0, "early")  # before osc_startup
        cli = facade.osc_udp_client("127.0.0.1", srv.bound_port, "early_cli")
        facade.osc_startup(execthreadscount=2)
        current = _runtime.default_system()
        assert current.policy.name == policy
        assert facade.osc_channel("early") is srv and facade.osc_channel("early_cli") is cli
        threads: list[str] = []
        facade.osc_method("/t", lambda value: threads.append(threading.current_thread().name))
        facade.osc_send(OSCMessage("/t", None, [1]), "early_cli")
        # comthreads: the handlers run in osc_process(), in this thread (allthreads: it waits).
        pump(facade.osc_process, lambda: threads)
        expected = "MainThread" if policy == "comthreads" else "oscwire-work"
        assert threads and threads[0].startswith(expected)
    finally:
        facade.osc_terminate()
