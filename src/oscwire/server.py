"""``oscwire.Server``: receive OSC messages over UDP or TCP and answer their senders.

::

    server = oscwire.Server("127.0.0.1", 9000)

    @server.method("/mixer/*/fader")
    def on_fader(address, value):
        print(address, value)

    server.serve_forever()          # or server.start(), with Server(...), await server.serve()

The socket is bound when the server is made (``server.port`` tells a port the OS picked);
nothing is read until it is served: in the caller's thread (:meth:`Server.serve_forever`),
in a background thread (:meth:`Server.start`, or ``with Server(...) as server:``), or by
the running asyncio loop (``async with Server(...)``, ``await server.serve()``).
"""

from __future__ import annotations

import asyncio
import enum
import threading
from collections.abc import Mapping
from typing import Callable, Optional

from oscwire import _transports
from oscwire._endpoint import (
    Endpoint,
    check_host,
    running_loop,
    serve_in_loop,
    serve_in_threads,
)
from oscwire._handlers import Matching
from oscwire._policies import EventLoopPolicy
from oscwire._transports import ServerFraming, TransportName

__all__ = ["Server"]


class _Serving(enum.Enum):
    """Who serves a server."""

    NOBODY = "not served yet"
    CALLER = "serve_forever() in a thread"
    THREADS = "a background thread (start())"
    ASYNCIO = "an asyncio loop"


class Server(Endpoint):
    """An OSC server: methods called for the messages that arrive on one socket.

    *host* and *port* say where to listen (``"0.0.0.0"``: every IPv4 interface, ``"::"``
    IPv6; port 0: one the OS picks, read back in :attr:`port`). *transport* is ``"udp"``
    or ``"tcp"``; *framing* (TCP) is ``"auto"`` (each connection's framing detected from
    its first byte; replies use it), ``"size"`` (OSC 1.0) or ``"slip"`` (OSC 1.1).
    *matching* is :attr:`Matching.SPEC` (OSC 1.0/1.1, message-side patterns; the default)
    or :attr:`Matching.OSC4PY3`. *options* are channel options by osc4py3's keys, for the
    bounds of ``docs/limits.md`` (``{"tcp_maxconnections": 16, "tcp_idle_timeout": 60}``,
    ``{"udpread_rcvbuf": 8 << 20}``); an unknown key raises :class:`ValueError`. Raises
    :class:`OSError` when the address cannot be bound.
    """

    #: The local port the server listens on.
    port: int
    #: The host it was asked to listen on.
    host: str

    def __init__(
        self,
        host: str = "0.0.0.0",
        port: int = 0,
        *,
        transport: TransportName = "udp",
        framing: ServerFraming = "auto",
        matching: Matching = Matching.SPEC,
        options: Optional[Mapping[str, object]] = None,
    ) -> None:
        check_host(host, "Server")
        chosen = _transports.named(transport)
        used_framing = chosen.server_framing(framing)
        channel_options = chosen.channel_options(options, True, "oscwire.Server")
        super().__init__(EventLoopPolicy(), matching)
        self._serving = _Serving.NOBODY
        self._serving_thread: Optional[threading.Thread] = None
        self._stop_event: Optional[asyncio.Event] = None
        self._stop_loop: Optional[asyncio.AbstractEventLoop] = None
        try:
            self._channel = chosen.open_server(
                self._system, "server", host, port, used_framing, channel_options
            )
            self.port = chosen.local_port(self._channel)
        except BaseException:
            self._system.terminate()
            raise
        self.host = host
        self.transport = chosen.name

    def __repr__(self) -> str:
        if self._closed:
            state = "closed"
        elif self._serving is _Serving.NOBODY:
            state = _Serving.NOBODY.value
        else:
            state = f"served by {self._serving.value}"
        return f"<oscwire.Server {self.transport} {self.host}:{self.port}, {state}>"

    def _owner(self) -> Callable[[], Optional[Endpoint]]:
        # Held strongly: a server serving in a thread or a loop lives until close(), even
        # when the program keeps no reference to it (as python-osc's and liblo's do).
        return lambda: self

    def _async_allowed(self) -> bool:
        return self._serving in (_Serving.NOBODY, _Serving.ASYNCIO)

    # ----- serving -----------------------------------------------------------------------
    def _begin(self, mode: _Serving) -> None:
        self._check_open()
        if self._serving is not _Serving.NOBODY:
            if self._serving is mode and mode is _Serving.ASYNCIO:
                return
            raise RuntimeError(f"this oscwire.Server is already served by {self._serving.value}")
        if mode is not _Serving.ASYNCIO and self._async_handlers:
            raise TypeError(
                "async def handlers need the server served by asyncio ('async with', "
                f"'await server.serve()'): {', '.join(self._async_handlers)}"
            )
        self._serving = mode

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve in this thread until :meth:`close` (from a handler or another thread).

        Ctrl-C (:class:`KeyboardInterrupt`) closes the server and propagates, as any
        exception does: the sockets are released whatever ends the loop. *poll_interval*
        bounds each wait (close() wakes it at once anyway).
        """
        self._begin(_Serving.CALLER)
        self._serving_thread = threading.current_thread()
        system = self._system
        try:
            while not self._closed:
                system.process(poll_interval)
        finally:
            self._serving_thread = None
            self.close()

    def start(self, *, handler_threads: int = 0) -> None:
        """Serve in a background thread until :meth:`close`; return at once.

        Handlers run in that thread, in arrival order (*handler_threads* > 0: in a pool of
        that many threads; each sender's messages still run in order).
        """
        self._begin(_Serving.THREADS)
        serve_in_threads(self._system, handler_threads)

    async def serve(self) -> None:
        """Serve from the running asyncio loop until :meth:`close` (or cancellation)."""
        loop = asyncio.get_running_loop()
        self._serve_in_loop(loop)
        event = asyncio.Event()
        self._stop_event, self._stop_loop = event, loop
        if self._closed:
            return
        try:
            await event.wait()
        finally:
            self.close()

    def _serve_in_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        already = self._serving is _Serving.ASYNCIO
        self._begin(_Serving.ASYNCIO)
        if not already:
            serve_in_loop(self._system, loop)

    def _wake_server_loop(self) -> None:
        monitor = self._system.policy.monitor
        wake = getattr(monitor, "wake", None)
        if wake is not None and self._serving_thread is not None:
            wake()
        event, loop = self._stop_event, self._stop_loop
        if event is not None and loop is not None and not loop.is_closed():
            if running_loop() is loop:
                event.set()
            else:
                loop.call_soon_threadsafe(event.set)

    # ----- context managers ---------------------------------------------------------------
    def __enter__(self) -> Server:
        """``with Server(...) as server:`` serves in a background thread until the block
        ends (unless it is served already)."""
        if self._serving is _Serving.NOBODY:
            self.start()
        return self

    async def __aenter__(self) -> Server:
        """``async with Server(...) as server:`` serves from the running loop until the
        block ends."""
        self._serve_in_loop(asyncio.get_running_loop())
        return self
