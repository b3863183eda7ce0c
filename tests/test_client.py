"""oscwire.Client: sending (auto-typed, explicit types, packets), bundles, batches, queries,
errors, and what arrives on the client's socket.

What the client sends is parsed by python-osc's own parser (an independent decoder), on
loopback, on both twins (``twin`` fixture).
"""

from __future__ import annotations

import gc
import signal
import socket
import threading
import time
from typing import Any

import pytest

from _support import pump
from _support_api import Calls, comm_threads, twin, udp_listener
from oscwire import Client, Form, Received, Server
from oscwire._errors import OSCInvalidDataError, OSCSendError
from oscwire.oscbuildparse import OSCBundle, OSCMessage, unixtime2timetag

# python-osc parses what the client sends: an independent decoder.
OscBundle = pytest.importorskip("pythonosc.osc_bundle").OscBundle
OscMessage = pytest.importorskip("pythonosc.osc_message").OscMessage

__all__ = ["twin"]


def received(sock: socket.socket) -> bytes:
    data, _ = sock.recvfrom(65536)
    return data


# ----- sending ----------------------------------------------------------------------------------
def test_send_types_the_arguments_from_python_values(twin: str) -> None:
    sink = udp_listener()
    with Client("127.0.0.1", sink.getsockname()[1]) as client:
        client.send("/test/addr", 1, 2.5, "hello", b"\x01\x02", True, None, 2**40)
        message = OscMessage(received(sink))
    assert message.address == "/test/addr"
    assert message.params == [1, 2.5, "hello", b"\x01\x02", True, None, 2**40]
    assert message.dgram[12:24] == b",ifsbTNh\0\0\0\0"
    sink.close()


def test_send_with_explicit_types(twin: str) -> None:
    sink = udp_listener()
    with Client("127.0.0.1", sink.getsockname()[1]) as client:
        client.send("/n_set", 1000, "freq", 440, types="isd")
        message = OscMessage(received(sink))
    assert message.params == [1000, "freq", 440.0]
    assert isinstance(message.params[2], float)
    assert b",isd\0" in message.dgram
    sink.close()


def test_send_a_message_or_a_bundle_object(twin: str) -> None:
    sink = udp_listener()
    with Client("127.0.0.1", sink.getsockname()[1]) as client:
        client.send(OSCMessage("/m", ",f", [0.5]))
        at = unixtime2timetag(1_700_000_000.25)
        client.send(OSCBundle(at, [OSCMessage("/b", None, [1]), OSCMessage("/c", None, [])]))
        message = OscMessage(received(sink))
        bundle = OscBundle(received(sink))
    assert (message.address, message.params) == ("/m", [0.5])
    assert bundle.timestamp == pytest.approx(1_700_000_000.25, abs=1e-6)
    assert [(m.address, m.params) for m in bundle] == [("/b", [1]), ("/c", [])]
    sink.close()


def test_bundle_builder_sends_a_timed_bundle_when_the_block_ends(twin: str) -> None:
    sink = udp_listener()
    at = time.time() + 0.5
    with Client("127.0.0.1", sink.getsockname()[1]) as client:
        with client.bundle(at=at) as bundle:
            bundle.add("/n_free", 1000).add("/x", 1.5, types="d")
            bundle.add(OSCBundle(unixtime2timetag(at + 1), [OSCMessage("/inner", None, [])]))
        parsed = OscBundle(received(sink))
        with pytest.raises(RuntimeError, match="sent already"):
            bundle.send()
        immediate = client.bundle()
        immediate.add("/now", 1)
        immediate.send()
        now = OscBundle(received(sink))
    assert parsed.timestamp == pytest.approx(at, abs=1e-6)
    contents = list(parsed)
    assert (contents[0].address, contents[0].params) == ("/n_free", [1000])
    assert (contents[1].address, contents[1].params) == ("/x", [1.5])
    assert contents[2].timestamp == pytest.approx(at + 1, abs=1e-6)
    assert now.dgram[8:16] == b"\0\0\0\0\0\0\0\x01"  # "immediately"
    sink.close()


def test_bundle_not_sent_when_the_block_raises(twin: str) -> None:
    sink = udp_listener()
    sink.settimeout(0.3)
    with Client("127.0.0.1", sink.getsockname()[1]) as client:
        with pytest.raises(KeyError), client.bundle() as bundle:
            bundle.add("/never", 1)
            raise KeyError("stop")
        with pytest.raises(TimeoutError):
            sink.recvfrom(65536)
        with pytest.raises(TypeError, match="at= is a Unix time"):
            client.bundle(at="tomorrow")  # type: ignore[arg-type]
    sink.close()


def test_batch_sends_everything_in_order(twin: str) -> None:
    sink = udp_listener()
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    count = 2000
    with Client("127.0.0.1", sink.getsockname()[1]) as client:
        with client.batch():
            for index in range(count):
                client.send("/batch", index)
        values = [OscMessage(received(sink)).params[0] for _ in range(count)]
        assert values == list(range(count))
        assert client.stats()["channels"]["client"]["sent"] == count  # type: ignore[index]
    sink.close()


def test_nested_batches_and_another_thread_sending_meanwhile(twin: str) -> None:
    sink = udp_listener()
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    with Client("127.0.0.1", sink.getsockname()[1]) as client:
        other_done = threading.Event()

        def other() -> None:
            for index in range(300):
                client.send("/other", index)
            other_done.set()

        with client.batch():
            client.send("/mine", 0)
            with client.batch():
                for index in range(1, 300):
                    client.send("/mine", index)
                thread = threading.Thread(target=other)
                thread.start()
                assert other_done.wait(10)  # the other thread's sends did not wait for us
            thread.join()
        got: dict[str, list[Any]] = {"/mine": [], "/other": []}
        for _ in range(600):
            message = OscMessage(received(sink))
            got[message.address].append(message.params[0])
    assert got == {"/mine": list(range(300)), "/other": list(range(300))}
    sink.close()


def test_batch_of_a_client_closed_meanwhile_is_counted_dropped(twin: str) -> None:
    sink = udp_listener()
    client = Client("127.0.0.1", sink.getsockname()[1])
    channel = client.system.channels["client"]
    with client.batch():
        for index in range(10):
            client.send("/lost", index)
        client.close()
        with pytest.raises(RuntimeError, match="closed"):
            client.send("/after", 1)
    assert channel.stats.send_dropped == 10
    sink.settimeout(0.2)
    with pytest.raises(TimeoutError):
        sink.recvfrom(65536)
    sink.close()


# ----- errors ---------------------------------------------------------------------------------
def test_unencodable_values_raise_and_are_counted(twin: str) -> None:
    sink = udp_listener()
    with Client("127.0.0.1", sink.getsockname()[1]) as client:
        with pytest.raises(OSCInvalidDataError, match=r"argument #1 .*no OSC type"):
            client.send("/x", 1, object())  # type: ignore[call-overload]
        with pytest.raises(OSCInvalidDataError, match="does not start with '/'"):
            client.send("no/slash")
        with pytest.raises(OSCInvalidDataError, match="has 2 arguments, its type tags describe 1"):
            client.send("/x", 1, 2, types="i")
        with client.bundle() as bundle:
            bundle.add("/ok", 1)
        with pytest.raises(OSCInvalidDataError), client.bundle() as bad:
            bad.add("/bad", {"a": 1})  # type: ignore[call-overload]
        assert client.stats()["system"]["encode_errors"] == 4  # type: ignore[index]
        with pytest.raises(TypeError, match="an address \\(str\\) and arguments"):
            client.send(42)  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="takes the OSCMessage or OSCBundle alone"):
            client.send(OSCMessage("/m", None, []), 1)  # type: ignore[call-overload]
    sink.close()


def test_datagram_too_large_is_the_programs_error(twin: str) -> None:
    sink = udp_listener()
    with Client("127.0.0.1", sink.getsockname()[1]) as client:
        with pytest.raises(OSCSendError, match="too large for one UDP datagram"):
            client.send("/big", b"x" * 70000)
        client.send("/small", 1)  # the client goes on
        assert OscMessage(received(sink)).address == "/small"
    sink.close()


def test_closed_client_refuses_to_send() -> None:
    client = Client("127.0.0.1", 9)
    client.close()
    client.close()
    assert client.closed and "closed" in repr(client)
    with pytest.raises(RuntimeError, match="closed"):
        client.send("/x", 1)
    with pytest.raises(RuntimeError, match="closed"):
        client.query("/x")
    with pytest.raises(RuntimeError, match="closed"):
        client.batch()


def test_tcp_connection_refused_raises() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(ConnectionRefusedError):
            Client("127.0.0.1", port, transport="tcp")
    with pytest.raises(ValueError, match="framing must be one of 'size', 'slip'"):
        Client("127.0.0.1", 1, transport="tcp", framing="auto")  # type: ignore[arg-type]


def test_tcp_send_after_the_server_closed_raises_connection_error(twin: str) -> None:
    server = Server("127.0.0.1", 0, transport="tcp")
    server.start()
    client = Client("127.0.0.1", server.port, transport="tcp")
    client.send("/hello", 1)
    server.close()

    def refused() -> bool:
        try:
            client.send("/more", 2)
        except ConnectionError as error:
            assert "the connection is closed" in str(error)
            return True
        return False

    pump(None, refused)
    client.close()


# ----- queries and what comes back ----------------------------------------------------------
def test_query_returns_the_reply_by_address(twin: str) -> None:
    with Server("127.0.0.1", 0) as server:
        server.add_method("/status", lambda address: ("/status.reply", 1, 0, 3))
        server.add_method("/echo", lambda address, *args: (address, *args))
        with Client("127.0.0.1", server.port) as client:
            status = client.query("/status", reply="/status.reply")
            assert (status.address, status.args) == ("/status.reply", (1, 0, 3))
            assert status.source == ("127.0.0.1", server.port)
            assert status.server is client
            echoed = client.query("/echo", "hi", 2)  # default: the address sent
            assert echoed.args == ("hi", 2)
            assert "Reply /echo" in repr(echoed)


def test_query_timeout_says_what_did_not_come(twin: str) -> None:
    with Server("127.0.0.1", 0) as server, Client("127.0.0.1", server.port) as client:
        started = time.monotonic()
        with pytest.raises(TimeoutError) as raised:
            client.query("/nobody/answers", 1, timeout=0.2)
        assert 0.15 < time.monotonic() - started < 2.0
        assert str(raised.value) == (
            f"no reply at '/nobody/answers' to /nobody/answers from 127.0.0.1:{server.port} "
            "within 0.2 s"
        )
        assert client.stats()["queries"] == {"waiting": 0, "timeouts": 1, "late_replies": 0}


@pytest.mark.parametrize("timeout", [None, 0, -1.0, float("nan"), float("inf"), "1"])
def test_query_timeout_must_be_seconds(twin: str, timeout: object) -> None:
    """timeout=None failed deep inside with "unsupported operand ... NoneType"."""
    with Server("127.0.0.1", 0) as server, Client("127.0.0.1", server.port) as client:
        seen: list[object] = []
        server.add_method("/q", lambda *args: seen.append(args), form=Form.ARGS)
        with pytest.raises(ValueError) as raised:
            client.query("/q", timeout=timeout)  # type: ignore[arg-type]
        assert str(raised.value) == (
            f"Client.query(timeout={timeout!r}): give the seconds to wait for the reply, "
            "more than 0 and at most 86400 (a query never waits forever)"
        )
        assert client.stats()["queries"]["waiting"] == 0  # type: ignore[index]
    assert seen == []  # nothing was sent


def test_a_query_interrupted_by_ctrl_c_leaves_the_next_reply_to_the_next_query(twin: str) -> None:
    with Server("127.0.0.1", 0) as server:
        server.add_method(
            "/job", lambda number: None if number == 1 else ("/job/done", number), form=Form.ARGS
        )
        with Client("127.0.0.1", server.port) as client:
            # Ctrl-C (a real SIGINT, which wakes the wait) while the first query waits for a
            # reply that never comes.
            previous = signal.signal(signal.SIGINT, signal.default_int_handler)
            ctrl_c = (threading.main_thread().ident, signal.SIGINT)
            timer = threading.Timer(0.1, signal.pthread_kill, ctrl_c)
            try:
                timer.start()
                started = time.monotonic()
                with pytest.raises(KeyboardInterrupt):
                    client.query("/job", 1, reply="/job/done", timeout=5.0)
                assert time.monotonic() - started < 4.0
            finally:
                timer.join()
                signal.signal(signal.SIGINT, previous)
            assert client.query("/job", 2, reply="/job/done", timeout=2.0).args == (2,)
            assert client.stats()["queries"]["waiting"] == 0  # type: ignore[index]


def test_close_ends_a_query_waiting_in_another_thread_at_once(twin: str) -> None:
    outcome: list[BaseException] = []

    def ask(client: Client) -> None:
        try:
            client.query("/nobody/answers", timeout=10.0)
        except BaseException as error:  # what the waiting thread sees
            outcome.append(error)

    with Server("127.0.0.1", 0) as server:
        client = Client("127.0.0.1", server.port)
        asking = threading.Thread(target=ask, args=(client,))
        asking.start()
        pump(None, lambda: client.stats()["queries"]["waiting"] == 1)  # type: ignore[index]
        started = time.monotonic()
        client.close()
        asking.join(5.0)
        assert time.monotonic() - started < 2.0
        (error,) = outcome
        assert type(error) is RuntimeError
        assert str(error) == (
            f"no reply at '/nobody/answers' to /nobody/answers from 127.0.0.1:{server.port}: "
            "the client was closed meanwhile"
        )


@pytest.mark.parametrize("framing", ["size", "slip"])
def test_a_query_ends_when_the_tcp_peer_closes_the_connection(twin: str, framing: str) -> None:
    """The peer read the request and closed: the query waited its whole timeout and then
    blamed a missing reply."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def read_and_close() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(100)

        peer = threading.Thread(target=read_and_close)
        peer.start()
        with Client("127.0.0.1", port, transport="tcp", framing=framing) as client:
            started = time.monotonic()
            with pytest.raises(ConnectionError) as raised:
                client.query("/status", timeout=10.0)
            assert time.monotonic() - started < 5.0
            assert str(raised.value) == (
                f"OSC tcp client to 127.0.0.1:{port}: the connection closed while a query "
                "waited for its reply (see the log for why); make a new Client"
            )
            assert client.stats()["queries"]["waiting"] == 0  # type: ignore[index]
            with pytest.raises(ConnectionError):
                client.send("/after")
        peer.join(5.0)


def test_a_blocking_query_inside_a_batch_is_refused(twin: str) -> None:
    # Its request would wait in the batch until the block ends: the wait could only time out.
    with Server("127.0.0.1", 0) as server, Client("127.0.0.1", server.port) as client:
        server.add_method("/echo", lambda address, *args: (address, *args))
        started = time.monotonic()
        with client.batch(), pytest.raises(RuntimeError) as raised:
            client.query("/echo", 1, timeout=2.0)
        assert time.monotonic() - started < 1.0
        assert str(raised.value) == (
            "Client.query() inside this thread's client.batch() block would wait for a "
            "request the batch holds back until the block ends; query outside it"
        )
        assert client.query("/echo", 2).args == (2,)


def test_late_reply_is_counted(twin: str) -> None:
    with Server("127.0.0.1", 0) as server:

        @server.method("/slow")
        def slow(address: str) -> str:
            time.sleep(0.3)
            return "/slow"

        with Client("127.0.0.1", server.port) as client:
            with pytest.raises(TimeoutError):
                client.query("/slow", timeout=0.05)
            pump(
                None,
                lambda: client.stats()["queries"]["late_replies"] == 1,  # type: ignore[index]
            )


def test_client_methods_get_what_the_peer_sends_back(twin: str) -> None:
    calls = Calls()
    with Server("127.0.0.1", 0) as server:

        @server.method("/subscribe", form=Form.CONTEXT)
        def subscribe(message: Received) -> None:
            for value in range(3):
                message.reply("/update", value)

        with Client("127.0.0.1", server.port) as client:
            client.add_method("/update", lambda address, value: calls.add(value))
            client.send("/subscribe")
            assert calls.wait(3) == [0, 1, 2]


def test_query_from_a_handler_of_the_same_client_is_refused(
    twin: str, caplog: pytest.LogCaptureFixture
) -> None:
    with Client("127.0.0.1", 9) as client:

        @client.method("/trigger")
        def trigger(address: str) -> None:
            client.query("/x")

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            peer.sendto(b"/trigger\0\0\0\0,\0\0\0", ("127.0.0.1", client.local_port))
            pump(None, lambda: "would wait for itself" in caplog.text)


def test_tcp_query_both_framings(twin: str) -> None:
    with Server("127.0.0.1", 0, transport="tcp") as server:
        server.add_method("/add", lambda address, a, b: ("/sum", a + b))
        for framing in ("size", "slip"):
            with Client("127.0.0.1", server.port, transport="tcp", framing=framing) as client:
                assert client.query("/add", 2, 3, reply="/sum", timeout=5.0).args == (5,)


# ----- threads and lifetime -------------------------------------------------------------------
def test_client_thread_ends_with_close_or_when_dropped() -> None:
    before = len(comm_threads())
    client = Client("127.0.0.1", 9)
    assert len(comm_threads()) == before + 1
    client.close()
    pump(None, lambda: len(comm_threads()) == before)
    Client("127.0.0.1", 9).send("/fire-and-forget", 1)  # never closed, dropped at once
    gc.collect()
    pump(None, lambda: len(comm_threads()) == before)


def test_sends_from_many_threads(twin: str) -> None:
    sink = udp_listener()
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    with Client("127.0.0.1", sink.getsockname()[1]) as client:

        def sender(name: str) -> None:
            for index in range(200):
                client.send("/t", name, index)

        threads = [threading.Thread(target=sender, args=(f"t{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        got: dict[str, list[Any]] = {}
        for _ in range(800):
            name, index = OscMessage(received(sink)).params
            got.setdefault(name, []).append(index)
    assert got == {f"t{n}": list(range(200)) for n in range(4)}  # each thread's order kept
    sink.close()


def test_queries_from_many_threads_each_get_their_own_reply(twin: str) -> None:
    # Replies to one address answer the waiting queries in order: each thread must get the
    # echo of its own request, not the one of a request another thread sent meanwhile.
    with Server("127.0.0.1", 0) as server, Client("127.0.0.1", server.port) as client:
        server.add_method("/echo", lambda address, *args: (address, *args))
        wrong: list[tuple[Any, ...]] = []

        def asker(name: str) -> None:
            for index in range(50):
                reply = client.query("/echo", name, index, timeout=5.0)
                if reply.args != (name, index):
                    wrong.append(((name, index), reply.args))

        threads = [threading.Thread(target=asker, args=(f"t{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert wrong == []
        assert client.stats()["queries"] == {"waiting": 0, "timeouts": 0, "late_replies": 0}
