"""oscwire.Server: handler forms, matching, replies, serving modes, errors, clean shutdown.

Network tests run on loopback with ports the OS picks, on both twins (``twin`` fixture).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest

from _support import pump
from _support_api import Calls, comm_threads, ipv6_loopback, twin
from oscwire import Client, Form, Matching, Received, Server, oscbuildparse
from oscwire._errors import OSCInvalidAddressError, OSCPatternError
from oscwire.oscbuildparse import OSCBundle, OSCMessage, unixtime2timetag

__all__ = ["twin"]


def raw_send(port: int, packet: Any, host: str = "127.0.0.1") -> socket.socket:
    """Send *packet* from a fresh UDP socket (returned: replies arrive on it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.settimeout(5.0)
    sock.sendto(oscbuildparse.encode_packet(packet), (host, port))
    return sock


def binds_alone(port: int, kind: int = socket.SOCK_DGRAM) -> bool:
    """True when a socket without SO_REUSEADDR can bind 127.0.0.1:*port* (nobody holds it)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            assert error.errno == errno.EADDRINUSE
            return False
    return True


# ----- handler forms ----------------------------------------------------------------------------
def test_default_form_is_python_osc_address_then_args(twin: str) -> None:
    calls = Calls()
    with Server("127.0.0.1", 0) as server:

        @server.method("/synth/freq")
        def on_freq(address: str, *args: Any) -> None:
            calls.add((address, args))

        raw_send(server.port, OSCMessage("/synth/freq", None, [440.0, 3, "sine"])).close()
        assert calls.wait(1) == [("/synth/freq", (440.0, 3, "sine"))]


def test_args_form_gets_only_the_arguments(twin: str) -> None:
    calls = Calls()
    with Server("127.0.0.1", 0) as server:
        server.add_method("/a", lambda *args: calls.add(args), form=Form.ARGS)

        def plain(value: int, text: str) -> None:  # "-> None": the compiled fast path
            calls.add(("plain", value, text))

        method = server.add_method("/b", plain, form=Form.ARGS)
        assert method.fastfunc is plain
        raw_send(server.port, OSCMessage("/a", None, [1, 2.5])).close()
        raw_send(server.port, OSCMessage("/b", None, [7, "x"])).close()
        assert sorted(calls.wait(2), key=repr) == sorted([(1, 2.5), ("plain", 7, "x")], key=repr)


def test_context_form_carries_address_args_source_server(twin: str) -> None:
    calls = Calls()
    with Server("127.0.0.1", 0) as server:

        @server.method("/ctx", form=Form.CONTEXT)
        def on_ctx(message: Received) -> None:
            calls.add(message)

        sock = raw_send(server.port, OSCMessage("/ctx", ",is", [5, "five"]))
        (message,) = calls.wait(1)
        assert message.address == "/ctx"
        assert message.args == (5, "five")
        assert message.typetags == ",is"
        assert message.source == ("127.0.0.1", sock.getsockname()[1])
        assert message.timetag is None and message.time is None
        assert message.server is server
        sock.close()


def test_context_form_sees_the_bundle_time_tag(twin: str) -> None:
    calls = Calls()
    past = time.time() - 2.0  # due: runs at once
    with Server("127.0.0.1", 0) as server:
        server.add_method("/in/bundle", calls.add, form=Form.CONTEXT)
        bundle = OSCBundle(unixtime2timetag(past), [OSCMessage("/in/bundle", None, [1])])
        raw_send(server.port, bundle).close()
        (message,) = calls.wait(1)
        assert message.timetag == unixtime2timetag(past)
        assert message.time == pytest.approx(past, abs=1e-6)


def test_future_bundle_waits_for_its_time(twin: str) -> None:
    calls = Calls()
    with Server("127.0.0.1", 0) as server:
        server.add_method("/later", lambda: calls.add(time.time()), form=Form.ARGS)
        due = time.time() + 0.3
        raw_send(server.port, OSCBundle(unixtime2timetag(due), [OSCMessage("/later", None, [])]))
        (called,) = calls.wait(1)
        assert called >= due - 0.01


# ----- registration checks ----------------------------------------------------------------------
def test_address_form_refuses_a_handler_without_positional_parameter() -> None:
    def no_params() -> None:
        """Nothing."""

    with Server("127.0.0.1", 0) as server, pytest.raises(TypeError) as raised:
        server.add_method("/x", no_params)
    text = str(raised.value)
    assert "no_params() cannot take Form.ADDRESS_ARGS" in text
    assert "form=Form.ARGS" in text


def test_address_form_refuses_a_first_parameter_that_cannot_be_the_address() -> None:
    def on_value(value: float) -> None:
        """An osc4py3-shaped handler registered with python-osc's form."""

    with Server("127.0.0.1", 0) as server:
        with pytest.raises(TypeError) as raised:
            server.add_method("/x", on_value)
        assert "first parameter 'value' (float) cannot take the address" in str(raised.value)
        server.add_method("/x", on_value, form=Form.ARGS)  # the right form is accepted


def test_annotations_of_partials_and_callable_objects_are_checked_too() -> None:
    # python-osc's map(address, handler, extra) becomes a partial; a handler may be an
    # object with __call__: their annotations live on the wrapped function / the class.
    def scaled(scale: float, value: float) -> None:
        """The value after the bound scale."""

    class Meter:
        def __call__(self, level: float) -> None:
            """One level."""

    class Display:
        def __call__(self, text: str) -> None:
            """Not a Received."""

    with Server("127.0.0.1", 0) as server:
        with pytest.raises(TypeError) as raised:
            server.add_method("/x", functools.partial(scaled, 2.0))
        assert "first parameter 'value' (float) cannot take the address" in str(raised.value)
        with pytest.raises(TypeError) as raised:
            server.add_method("/x", Meter())
        assert "first parameter 'level' (float) cannot take the address" in str(raised.value)
        with pytest.raises(TypeError, match=r"'text' \(str\) cannot take the Received"):
            server.add_method("/x", Display(), form=Form.CONTEXT)
        # The right forms are accepted.
        server.add_method("/x", functools.partial(scaled, 2.0), form=Form.ARGS)
        server.add_method("/x", Meter(), form=Form.ARGS)


def test_context_form_refuses_two_required_parameters_or_a_wrong_annotation() -> None:
    def two(address: str, value: float) -> None:
        """python-osc-shaped."""

    def annotated(message: str) -> None:
        """Not a Received."""

    with Server("127.0.0.1", 0) as server:
        with pytest.raises(TypeError, match=r"called with one argument, the Received message"):
            server.add_method("/x", two, form=Form.CONTEXT)  # type: ignore[call-overload]
        with pytest.raises(TypeError, match=r"'message' \(str\) cannot take the Received"):
            server.add_method("/x", annotated, form=Form.CONTEXT)  # type: ignore[call-overload]


def test_required_keyword_only_parameters_are_refused() -> None:
    def needs_key(address: str, *, key: int) -> None:
        """A keyword no message gives."""

    with Server("127.0.0.1", 0) as server, pytest.raises(TypeError, match="keyword-only"):
        server.add_method("/x", needs_key)


def test_not_callable_bad_form_and_bad_pattern_are_refused() -> None:
    with Server("127.0.0.1", 0) as server:
        with pytest.raises(TypeError, match="must be callable"):
            server.add_method("/x", "not a function")  # type: ignore[call-overload]
        with pytest.raises(TypeError, match=r"oscwire\.Form"):
            server.add_method("/x", print, form="args")  # type: ignore[call-overload]
        with pytest.raises(OSCPatternError):
            server.add_method("/x/[unclosed", print)
        with pytest.raises(OSCInvalidAddressError):
            server.add_method("no-slash", print)


def test_async_handler_refused_on_a_server_served_by_threads() -> None:
    async def handler(address: str) -> None:
        """Needs a loop."""

    with Server("127.0.0.1", 0) as server, pytest.raises(TypeError, match="async def"):
        server.add_method("/x", handler)
    unserved = Server("127.0.0.1", 0)
    unserved.add_method("/x", handler)  # accepted: it may be served by asyncio later
    with pytest.raises(TypeError, match="need the server served by asyncio"):
        unserved.start()
    unserved.close()


# ----- matching ---------------------------------------------------------------------------------
def test_spec_matching_delivers_message_side_patterns(twin: str) -> None:
    calls = Calls()
    with Server("127.0.0.1", 0) as server:
        for channel in (1, 2, 3):
            server.add_method(f"/mixer/{channel}/fader", lambda a, v: calls.add((a, v)))
        server.add_method("/mixer/1/mute", lambda a, v: calls.add(("mute", v)))
        raw_send(server.port, OSCMessage("/mixer/*/fader", None, [0.5])).close()
        assert calls.wait(3) == [("/mixer/*/fader", 0.5)] * 3
        time.sleep(0.05)
        assert len(calls.items) == 3  # the mute method was not reached


def test_osc4py3_matching_is_a_prefix_on_request(twin: str) -> None:
    calls = Calls()
    with Server("127.0.0.1", 0, matching=Matching.OSC4PY3) as server:
        server.add_method("/test", lambda address, *args: calls.add(address))
        raw_send(server.port, OSCMessage("/test/sub", None, [])).close()
        assert calls.wait(1) == ["/test/sub"]
    with Server("127.0.0.1", 0) as spec_server:
        spec_server.add_method("/test", lambda address, *args: calls.add(("spec", address)))
        raw_send(spec_server.port, OSCMessage("/test/sub", None, [])).close()
        raw_send(spec_server.port, OSCMessage("/test", None, [])).close()
        assert calls.wait(2)[1] == ("spec", "/test")


def test_remove_method(twin: str) -> None:
    calls = Calls()
    with Server("127.0.0.1", 0) as server:
        method = server.add_method("/x", lambda a: calls.add(a))
        assert server.remove_method(method) is True
        assert server.remove_method(method) is False
        server.add_method("/y", lambda a: calls.add(a))
        raw_send(server.port, OSCMessage("/x", None, [])).close()
        raw_send(server.port, OSCMessage("/y", None, [])).close()
        assert calls.wait(1) == ["/y"]
        pump(None, lambda: server.stats()["dispatcher"]["unmatched"] == 1)  # type: ignore[index]


# ----- replies ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (OSCMessage("/r", None, [1]), [("/r", (1,))]),
        (("/r", 1, "two"), [("/r", (1, "two"))]),
        ("/ack", [("/ack", ())]),
        ([("/r", 1), OSCMessage("/s", ",f", [0.5])], [("/r", (1,)), ("/s", (0.5,))]),
    ],
    ids=["message", "tuple", "address", "list"],
)
def test_returned_replies_go_back_to_the_sender(
    twin: str, returned: Any, expected: list[tuple[str, tuple[Any, ...]]]
) -> None:
    with Server("127.0.0.1", 0) as server:
        server.add_method("/q", lambda address: returned)
        sock = raw_send(server.port, OSCMessage("/q", None, []))
        got = []
        for _ in expected:
            message = oscbuildparse.decode_packet(sock.recv(65536))
            got.append((message.addrpattern, message.arguments))
        assert got == expected
        sock.close()


def test_returned_bundle_and_reply_method(twin: str) -> None:
    with Server("127.0.0.1", 0) as server:

        @server.method("/q", form=Form.CONTEXT)
        def on_q(message: Received) -> OSCBundle:
            message.reply("/first", *message.args, types="i")
            return OSCBundle(unixtime2timetag(1.5e9), [OSCMessage("/second", None, [])])

        sock = raw_send(server.port, OSCMessage("/q", None, [3]))
        first = oscbuildparse.decode_packet(sock.recv(65536))
        second = oscbuildparse.decode_packet(sock.recv(65536))
        assert (first.addrpattern, first.typetags, first.arguments) == ("/first", ",i", (3,))
        assert isinstance(second, OSCBundle)
        assert second.timetag == unixtime2timetag(1.5e9)
        sock.close()


def test_bad_return_value_is_logged_and_counted(
    twin: str, caplog: pytest.LogCaptureFixture
) -> None:
    with Server("127.0.0.1", 0) as server:
        server.add_method("/q", lambda address: 42)  # type: ignore[arg-type, return-value]
        raw_send(server.port, OSCMessage("/q", None, [])).close()
        pump(None, lambda: "its reply to /q cannot be sent" in caplog.text)
    assert "a handler returned 42: return None, an OSCMessage" in caplog.text


# ----- failures -------------------------------------------------------------------------------
def test_failing_handler_is_logged_once_then_counted(
    twin: str, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(address: str, value: int) -> None:
        raise ValueError(f"broken by {value}")

    with Server("127.0.0.1", 0) as server:
        server.add_method("/broken", broken)
        for value in range(5):
            raw_send(server.port, OSCMessage("/broken", None, [value])).close()
        pump(
            None,
            lambda: server.stats()["dispatcher"]["handler_errors"] == 5,  # type: ignore[index]
        )
        assert server.stats()["channels"]["server"]["handler_errors"] == 5  # type: ignore[index]
    failures = [r for r in caplog.records if "failed on message /broken" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].exc_info is not None and "broken by 0" in str(failures[0].exc_info[1])
    assert "…and 4 more failures of OSC handler" in caplog.text  # the summary at close


def test_arguments_that_do_not_fit_the_handler_are_reported_plainly(
    twin: str, caplog: pytest.LogCaptureFixture
) -> None:
    def two_values(address: str, x: int, y: int) -> None:
        """Needs two arguments."""

    with Server("127.0.0.1", 0) as server:
        server.add_method("/fit", two_values)
        raw_send(server.port, OSCMessage("/fit", None, [1])).close()
        pump(None, lambda: "does not fit its parameters" in caplog.text)
    line = next(r for r in caplog.records if "does not fit" in r.getMessage())
    assert "message /fit ,i (1,)" in line.getMessage()
    assert "missing a required argument: 'y'" in line.getMessage()
    assert line.levelno == logging.ERROR and not line.exc_info  # no traceback


# ----- serving modes and shutdown -------------------------------------------------------------
def test_port_is_bound_at_construction_and_released_by_close(twin: str) -> None:
    server = Server("127.0.0.1", 0)
    assert server.port > 0
    assert not binds_alone(server.port)
    server.close()
    assert server.closed
    assert binds_alone(server.port)
    server.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        server.add_method("/x", print)


def test_messages_wait_in_the_socket_until_served(twin: str) -> None:
    calls = Calls()
    server = Server("127.0.0.1", 0)
    server.add_method("/early", lambda address, value: calls.add(value))
    raw_send(server.port, OSCMessage("/early", None, [1])).close()
    time.sleep(0.1)
    assert calls.items == []  # nobody reads before serving
    server.start()
    assert calls.wait(1) == [1]
    server.close()


def test_start_runs_a_thread_that_close_ends(twin: str) -> None:
    before = len(comm_threads())
    server = Server("127.0.0.1", 0)
    server.start()
    assert len(comm_threads()) == before + 1
    with pytest.raises(RuntimeError, match="already served by a background thread"):
        server.serve_forever()
    server.close()
    pump(None, lambda: len(comm_threads()) == before)
    assert binds_alone(server.port)


def test_handler_threads_pool(twin: str) -> None:
    calls = Calls()
    server = Server("127.0.0.1", 0)
    server.add_method("/p", lambda address, v: calls.add(threading.current_thread().name))
    server.start(handler_threads=2)
    for value in range(4):
        raw_send(server.port, OSCMessage("/p", None, [value])).close()
    names = calls.wait(4)
    server.close()
    assert "oscwire-comm" not in names  # handlers ran in the pool, not the I/O thread


def test_serve_forever_in_a_thread_ends_on_close_from_another(twin: str) -> None:
    calls = Calls()
    server = Server("127.0.0.1", 0)
    server.add_method("/x", lambda address, v: calls.add(v))
    runner = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 30.0})
    runner.start()
    raw_send(server.port, OSCMessage("/x", None, [1])).close()
    assert calls.wait(1) == [1]
    started = time.monotonic()
    server.close()
    runner.join(5.0)
    assert not runner.is_alive()
    assert time.monotonic() - started < 2.0  # woken, not waiting out the 30 s poll
    assert binds_alone(server.port)


def test_close_from_a_handler_ends_serve_forever(twin: str) -> None:
    server = Server("127.0.0.1", 0)

    @server.method("/quit")
    def on_quit(address: str) -> None:
        server.close()

    timer = threading.Timer(0.1, lambda: raw_send(server.port, OSCMessage("/quit", None, [])))
    timer.start()
    started = time.monotonic()
    server.serve_forever()
    timer.join()
    assert server.closed and time.monotonic() - started < 5.0
    assert binds_alone(server.port)


def test_exception_in_serve_forever_closes_the_server(twin: str) -> None:
    server = Server("127.0.0.1", 0)

    @server.method("/exit")
    def on_exit(address: str) -> None:
        raise SystemExit(3)  # not a handler failure: it ends the program

    threading.Timer(0.1, lambda: raw_send(server.port, OSCMessage("/exit", None, []))).start()
    with pytest.raises(SystemExit):
        server.serve_forever()
    assert server.closed and binds_alone(server.port)


def test_a_closed_server_is_never_started_again() -> None:
    from oscwire.oscudpmc import UdpMcChannel

    before = len(comm_threads())
    server = Server("127.0.0.1", 0)
    server.start()
    server.close()
    # A channel made in a stopped system would start it (osc4py3's habit): not this one.
    with pytest.raises(
        RuntimeError, match=r"its system was terminated|closed oscwire endpoint is not restarted"
    ):
        UdpMcChannel(
            "late",
            "w",
            {"udpwrite_host": "127.0.0.1", "udpwrite_port": 9, "osc_system": server.system},
        )
    assert not server.system.running
    pump(None, lambda: len(comm_threads()) == before)


def test_connections_arriving_while_a_tcp_server_closes_leave_no_thread(twin: str) -> None:
    before = len(comm_threads())
    for _ in range(10):
        server = Server("127.0.0.1", 0, transport="tcp")
        server.start()
        stop = threading.Event()

        def connect(port: int, stop: threading.Event) -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()

        connector = threading.Thread(target=connect, args=(server.port, stop))
        connector.start()
        time.sleep(0.02)
        server.close()
        stop.set()
        connector.join(5)
    pump(None, lambda: len(comm_threads()) == before)
    started = time.process_time()
    time.sleep(0.2)
    assert time.process_time() - started < 0.1  # nothing spins


def test_with_block_serves_in_background_and_closes() -> None:
    unserved = Server("127.0.0.1", 0)
    assert repr(unserved) == f"<oscwire.Server udp 127.0.0.1:{unserved.port}, not served yet>"
    unserved.close()
    with Server("127.0.0.1", 0) as server:
        assert "background thread" in repr(server)
    assert server.closed and "closed" in repr(server)


def test_bind_conflict_raises_oserror() -> None:
    with Server("127.0.0.1", 0) as server:
        taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            Server("127.0.0.1", port)
        taken.close()
        assert server.port != port


def test_unknown_transport_and_framing() -> None:
    with pytest.raises(ValueError, match="transport must be one of 'udp', 'tcp'"):
        Server("127.0.0.1", 0, transport="sctp")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="OSC over udp has no framing"):
        Server("127.0.0.1", 0, framing="slip")
    with pytest.raises(ValueError, match="framing must be one of 'size', 'slip', 'auto'"):
        Server("127.0.0.1", 0, transport="tcp", framing="cobs")  # type: ignore[arg-type]


def test_python_osc_address_tuple_is_refused_with_the_oscwire_spelling() -> None:
    # BlockingOSCUDPServer(("127.0.0.1", 9000), dispatcher) muscle memory: the resolver's
    # "Name or service not known" said nothing of it.
    with pytest.raises(TypeError) as raised:
        Server(("127.0.0.1", 9000))  # type: ignore[arg-type]
    assert str(raised.value) == (
        "oscwire.Server: host must be a str, not ('127.0.0.1', 9000) (python-osc's (ip, port) "
        "tuple is two parameters: oscwire.Server(ip, port))"
    )
    with pytest.raises(TypeError, match=r"^oscwire.Client: host must be a str, not None$"):
        Client(None, 9000)  # type: ignore[arg-type]


# ----- transports -------------------------------------------------------------------------------
@pytest.mark.parametrize("framing", ["size", "slip"])
def test_tcp_server_auto_framing_replies_in_kind(twin: str, framing: Any) -> None:
    calls = Calls()
    with Server("127.0.0.1", 0, transport="tcp") as server:

        @server.method("/tcp", form=Form.CONTEXT)
        def on_tcp(message: Received) -> tuple[str, int]:
            calls.add((message.args, message.source))
            return ("/tcp/ok", len(message.args))

        with Client("127.0.0.1", server.port, transport="tcp", framing=framing) as client:
            reply = client.query("/tcp", 1, 2, 3, reply="/tcp/ok", timeout=5.0)
            assert reply.args == (3,)
            ((args, source),) = calls.wait(1)
            assert args == (1, 2, 3) and source == ("127.0.0.1", client.local_port)


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback here")
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_ipv6_loopback(twin: str, transport: Any) -> None:
    with Server("::1", 0, transport=transport) as server:
        server.add_method("/six", lambda address, value: ("/six", value * 2))
        with Client("::1", server.port, transport=transport) as client:
            assert client.query("/six", 21, timeout=5.0).args == (42,)


# ----- Ctrl-C -----------------------------------------------------------------------------------
_INTERRUPTED = """
import socket, sys
import oscwire

server = oscwire.Server("127.0.0.1", 0)

@server.method("/hello")
def hello(address, value):
    print("got", value, flush=True)

print(server.port, flush=True)
try:
    {serve}
except KeyboardInterrupt:
    print("interrupted, closed:", server.closed, flush=True)
probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
probe.bind(("127.0.0.1", server.port))
print("port released", flush=True)
"""

_SERVE_FOREVER = "server.serve_forever()"
_SERVE_ASYNCIO = "import asyncio; asyncio.run(server.serve())"


@pytest.mark.parametrize("serve", [_SERVE_FOREVER, _SERVE_ASYNCIO], ids=["threads", "asyncio"])
def test_ctrl_c_ends_serving_cleanly(serve: str) -> None:
    program = textwrap.dedent(_INTERRUPTED).replace("{serve}", serve)
    child = subprocess.Popen(  # the interpreter running the tests, with its oscwire
        [sys.executable, "-c", program],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        raw_send(port, OSCMessage("/hello", None, [1])).close()
        assert child.stdout.readline().strip() == "got 1"
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, stderr
    assert stdout.splitlines() == ["interrupted, closed: True", "port released"]
    assert "Traceback" not in stderr, stderr
