"""oscwire.Client / oscwire.Server on asyncio: ``async with``, ``await server.serve()``,
``async def`` handlers, ``await client.query()`` — on asyncio's loop and on uvloop, on
both twins, over UDP and TCP.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable
from typing import Any, Callable, TypeVar

import pytest

from _support_api import twin, udp_listener
from oscwire import Client, Form, Received, Server

__all__ = ["twin"]

T = TypeVar("T")
LOOPS = ("asyncio", "uvloop")


@pytest.fixture(params=LOOPS)
def run(request: pytest.FixtureRequest) -> Callable[[Callable[[], Awaitable[T]]], T]:
    """Run a coroutine function on a fresh loop of the kind asked (uvloop skipped if absent)."""
    if request.param == "uvloop":
        uvloop = pytest.importorskip("uvloop")

        def on_uvloop(main: Callable[[], Awaitable[T]]) -> T:
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            try:
                return loop.run_until_complete(asyncio.wait_for(main(), 30))
            finally:
                loop.close()

        return on_uvloop

    def on_asyncio(main: Callable[[], Awaitable[T]]) -> T:
        return asyncio.run(asyncio.wait_for(main(), 30))

    return on_asyncio


def test_async_handlers_and_awaited_queries(twin: str, run: Any) -> None:
    async def main() -> None:
        async with Server("127.0.0.1", 0) as server:

            @server.method("/slow")
            async def slow(address: str, value: int) -> tuple[str, int]:
                await asyncio.sleep(0.02)
                return ("/slow", value * 2)

            @server.method("/fast", form=Form.ARGS)
            def fast(value: int) -> tuple[str, int]:
                return ("/fast", value + 1)

            async with Client("127.0.0.1", server.port) as client:
                assert (await client.query("/slow", 21)).args == (42,)
                assert (await client.query("/fast", 1)).args == (2,)
                first = client.query("/fast", 10)
                second = client.query("/fast", 20)
                with pytest.raises(RuntimeError, match="has not arrived yet: await"):
                    _ = second.args
                answers = await asyncio.gather(second, first)
                assert [answer.args for answer in answers] == [(21,), (11,)]
                assert isinstance(client.system.policy, type(server.system.policy))
        assert server.closed and client.closed

    run(main)


def test_awaited_query_timeout_is_a_timeout_error(twin: str, run: Any) -> None:
    async def main() -> None:
        async with Server("127.0.0.1", 0) as server, Client("127.0.0.1", server.port) as client:
            with pytest.raises(TimeoutError, match=r"no reply at '/none' to /none .* 0.1 s"):
                await client.query("/none", timeout=0.1)
            assert client.stats()["queries"]["timeouts"] == 1  # type: ignore[index]

    run(main)


def test_a_cancelled_query_leaves_the_next_reply_to_the_next_query(twin: str, run: Any) -> None:
    # The first query gets no reply and is given up by wait_for (its own timeout is long):
    # the reply to the second query must answer the second one, not the cancelled one.
    async def main() -> None:
        async with Server("127.0.0.1", 0) as server:

            @server.method("/job", form=Form.ARGS)
            def job(number: int) -> Any:
                return None if number == 1 else ("/job/done", number)

            async with Client("127.0.0.1", server.port) as client:
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(client.query("/job", 1, reply="/job/done"), 0.1)
                reply = await client.query("/job", 2, reply="/job/done", timeout=2.0)
                assert reply.args == (2,)
                assert client.stats()["queries"]["waiting"] == 0  # type: ignore[index]

    run(main)


def test_close_ends_an_awaited_query_at_once(twin: str, run: Any) -> None:
    async def main() -> None:
        async with Server("127.0.0.1", 0) as server, Client("127.0.0.1", server.port) as client:
            asyncio.get_running_loop().call_later(0.1, client.close)
            started = asyncio.get_running_loop().time()
            with pytest.raises(
                RuntimeError, match=r"no reply at '/none' .*: the client was closed"
            ):
                await client.query("/none", timeout=10.0)
            assert asyncio.get_running_loop().time() - started < 2.0

    run(main)


def test_an_awaited_query_ends_when_the_tcp_peer_closes(twin: str, run: Any) -> None:
    async def main() -> None:
        async def read_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
            await reader.read(100)
            writer.close()

        peer = await asyncio.start_server(read_and_close, "127.0.0.1", 0)
        port = peer.sockets[0].getsockname()[1]
        async with peer, Client("127.0.0.1", port, transport="tcp") as client:
            started = asyncio.get_running_loop().time()
            with pytest.raises(ConnectionError, match="the connection closed while a query"):
                await client.query("/status", timeout=10.0)
            assert asyncio.get_running_loop().time() - started < 5.0

    run(main)


def test_queries_made_in_a_batch_are_awaited_after_it(twin: str, run: Any) -> None:
    async def main() -> None:
        async with Server("127.0.0.1", 0) as server, Client("127.0.0.1", server.port) as client:
            server.add_method("/echo", lambda address, *args: (address, *args))
            with client.batch():
                pending = [client.query("/echo", index, timeout=5.0) for index in range(20)]
            replies = await asyncio.gather(*pending)
            assert [reply.args for reply in replies] == [(index,) for index in range(20)]

    run(main)


def test_serve_until_closed_by_a_handler(twin: str, run: Any) -> None:
    async def main() -> None:
        server = Server("127.0.0.1", 0)
        received: list[Any] = []

        @server.method("/quit", form=Form.CONTEXT)
        async def on_quit(message: Received) -> None:
            received.append(message.args)
            server.close()

        async def send_later() -> None:
            await asyncio.sleep(0.05)
            with Client("127.0.0.1", server.port) as client:
                client.send("/quit", "now")

        sender = asyncio.ensure_future(send_later())
        await server.serve()
        await sender
        assert received == [("now",)] and server.closed

    run(main)


def test_cancelling_serve_closes_the_server(twin: str, run: Any) -> None:
    async def main() -> None:
        server = Server("127.0.0.1", 0)
        task = asyncio.ensure_future(server.serve())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert server.closed
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", server.port))  # released

    run(main)


def test_failing_async_handler_is_logged_and_counted(
    twin: str, run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        async with Server("127.0.0.1", 0) as server:

            @server.method("/boom")
            async def boom(address: str, value: int) -> None:
                raise ValueError(f"boom {value}")

            async with Client("127.0.0.1", server.port) as client:
                for value in range(3):
                    client.send("/boom", value)
                for _ in range(200):
                    await asyncio.sleep(0.01)
                    if server.stats()["dispatcher"]["handler_errors"] == 3:  # type: ignore[index]
                        break
                assert server.stats()["dispatcher"]["handler_errors"] == 3  # type: ignore[index]

    run(main)
    lines = [r for r in caplog.records if "failed on message /boom" in r.getMessage()]
    assert len(lines) == 1 and "boom 0" in str(lines[0].exc_info[1])  # type: ignore[index]


def test_asyncio_server_refuses_thread_serving(run: Any) -> None:
    async def main() -> None:
        async with Server("127.0.0.1", 0) as server:
            with pytest.raises(RuntimeError, match="already served by an asyncio loop"):
                server.start()
            with pytest.raises(RuntimeError, match="already served by an asyncio loop"):
                server.serve_forever()

    run(main)


def test_client_made_outside_the_loop_can_be_awaited(twin: str, run: Any) -> None:
    with Server("127.0.0.1", 0) as server:
        server.add_method("/echo", lambda address, *args: (address, *args))
        client = Client("127.0.0.1", server.port)  # served by its own thread

        async def main() -> None:
            reply = await client.query("/echo", "from a coroutine")
            assert reply.args == ("from a coroutine",)

        run(main)
        client.close()


@pytest.mark.parametrize("framing", ["size", "slip"])
def test_tcp_on_the_loop(twin: str, run: Any, framing: Any) -> None:
    async def main() -> None:
        async with Server("127.0.0.1", 0, transport="tcp") as server:

            @server.method("/mul")
            async def multiply(address: str, a: int, b: int) -> tuple[str, int]:
                await asyncio.sleep(0)
                return ("/product", a * b)

            async with Client("127.0.0.1", server.port, transport="tcp", framing=framing) as c:
                assert (await c.query("/mul", 6, 7, reply="/product", timeout=5.0)).args == (42,)

    run(main)


def test_sends_from_a_coroutine_leave_at_once(twin: str, run: Any) -> None:
    sink = udp_listener()

    async def main() -> None:
        async with Client("127.0.0.1", sink.getsockname()[1]) as client:
            with client.batch():
                for value in range(10):
                    client.send("/v", value)
            client.send("/last")

    run(main)
    datagrams = [sink.recv(1024) for _ in range(11)]
    assert datagrams[-1].startswith(b"/last\0")
    sink.close()
