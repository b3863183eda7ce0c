"""A live server in each policy, a legitimate client, and an attacker, for test_attack.py.

:class:`LiveServer` runs an :class:`~oscwire.OSCSystem` the way a program serves: the event
loop and comthreads policies are driven by a thread calling ``process()`` in a loop, the
all-threads policy by its own threads, the asyncio policy by a loop in a thread.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any, Callable, Optional

from _support import poll
from oscwire._asyncio_runtime import AsyncioPolicy
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCMessage, encode_packet
from oscwire.oscudpmc import UdpMcChannel

POLICIES = ("eventloop", "comthreads", "allthreads", "asyncio")


class LiveServer:
    """An OSC server (UDP on 127.0.0.1, port chosen by the OS) serving in *policy*.

    ``legit`` counts the ``/legit`` messages handled, in order of their argument.
    """

    def __init__(self, policy: str, **options: Any) -> None:
        self.policy = policy
        self.options = options
        self.legit: list[int] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self.system: Optional[OSCSystem] = None
        self.port = 0

    def _legit(self, value: int) -> None:
        with self._lock:
            self.legit.append(value)

    def _setup(self, system: OSCSystem) -> None:
        system.method("/legit", self._legit)
        channel = UdpMcChannel(
            "srv", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
        )
        self.port = channel.bound_port or 0
        self.system = system

    def __enter__(self) -> LiveServer:
        ready = threading.Event()
        if self.policy == "asyncio":

            def serve_asyncio() -> None:
                loop = asyncio.new_event_loop()
                self._loop = loop

                async def main() -> None:
                    system = OSCSystem(AsyncioPolicy(), **self.options).start()
                    self._setup(system)
                    ready.set()
                    while not self._stop.is_set():
                        await asyncio.sleep(0.01)
                    system.terminate()

                loop.run_until_complete(main())
                loop.close()

            self._thread = threading.Thread(target=serve_asyncio, daemon=True)
            self._thread.start()
        else:
            system = OSCSystem(self.policy, execthreadscount=4, **self.options).start()
            self._setup(system)
            if self.policy != "allthreads":

                def serve() -> None:
                    while not self._stop.is_set():
                        system.process(0.01)

                self._thread = threading.Thread(target=serve, daemon=True)
                self._thread.start()
            ready.set()
        assert ready.wait(10), "the server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self.policy != "asyncio" and self.system is not None:
            self.system.terminate()

    def method(self, pattern: str, function: Callable[..., Any]) -> None:
        """Register a handler (from the serving thread's point of view, any thread)."""
        assert self.system is not None
        if self.policy == "asyncio" and self._loop is not None:
            done = threading.Event()

            def register() -> None:
                assert self.system is not None
                self.system.method(pattern, function)
                done.set()

            self._loop.call_soon_threadsafe(register)
            assert done.wait(5)
        else:
            self.system.method(pattern, function)

    def wait_legit(self, count: int, timeout: float = 10.0) -> bool:
        """Whether *count* ``/legit`` messages were handled within *timeout* seconds (the
        server serves in its own thread: this only waits)."""

        def served() -> bool:
            with self._lock:
                return len(self.legit) >= count

        return poll(None, served, timeout)


def legit_client(port: int, count: int, interval: float = 0.002) -> None:
    """Send ``/legit 0..count-1``, paced (a well-behaved peer)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for index in range(count):
            sock.sendto(
                bytes(encode_packet(OSCMessage("/legit", ",i", [index]))), ("127.0.0.1", port)
            )
            time.sleep(interval)


def flood(port: int, datagrams: list[bytes], seconds: float) -> int:
    """Send *datagrams* round-robin for *seconds* (an attacker); return how many."""
    sent = 0
    deadline = time.monotonic() + seconds
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        while time.monotonic() < deadline:
            for data in datagrams:
                try:
                    sock.sendto(data, ("127.0.0.1", port))
                except OSError:
                    time.sleep(0.001)
                sent += 1
            time.sleep(0.001)
    return sent


def in_thread(function: Callable[..., Any], *args: Any) -> threading.Thread:
    thread = threading.Thread(target=function, args=args, daemon=True)
    thread.start()
    return thread
