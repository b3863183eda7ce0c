"""Stream listeners: a listening socket that accepts connections and owns them.

:class:`StreamListener` is the part of every stream server that is not a transport (as
asyncio keeps its ``Server`` apart from its transports): it accepts, bounds the number of
connections (making room by evicting idle or stalled peers before refusing new ones),
names each connection ``<listener>__<n>``, shares with them one log throttle, one write
budget, one read budget, one timeout watch and one read buffer per reading thread, and
keeps the totals of the connections that ended in its own counters. A subclass opens the
listening socket (:meth:`StreamListener.open_listener`) and makes the connection of an
accepted socket (:meth:`StreamListener.make_connection`): TCP in :mod:`oscwire.osctcp`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import threading
import time
from typing import Any, Callable, Optional

from oscwire import oscchannel
from oscwire._logutil import LogThrottle
from oscwire.oscstream import StreamConnection, StreamSettings, stream_option_keys
from oscwire.oscstreamlimits import CLOSE_SLOW_PEER, ByteBudget, ReadBuffer, TimeoutWatch
from oscwire.oscstreamstats import CloseReason, StreamStats

__all__ = ["ListenerStats", "StreamListener"]

#: Connections accepted per readiness event of a listening socket at most.
ACCEPT_BATCH = 64
#: Seconds a listener stops accepting when the process is out of descriptors or memory.
ACCEPT_PAUSE = 0.1
#: Idle timeout of accepted connections when the options give none (seconds).
DEFAULT_IDLE_TIMEOUT = 300.0
#: Bytes waiting to be written, summed over all the connections of a listener, at most.
DEFAULT_WRITE_TOTAL = 64 * 1024 * 1024
#: Bytes of incomplete packets, summed over all the connections of a listener, at most.
DEFAULT_READ_TOTAL = 64 * 1024 * 1024
#: A connection must have been idle, or stalled mid-packet, this long (seconds) before it
#: can be evicted to make room for a new one: a peer between two packets keeps its place.
EVICT_MIN_AGE = 0.5

_WOULD_BLOCK = (BlockingIOError, InterruptedError)
_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class ListenerStats(StreamStats):
    """Counters of a listener: its own, plus the totals of the connections that ended.

    The attributes hold those; :meth:`as_dict` (what ``osc_stats(name)`` shows) adds the
    live connections' counters and three gauges: ``connections_open``, ``queued_bytes``
    (waiting to be written) and ``buffered_bytes`` (incomplete packets).
    """

    __slots__ = ("_live",)

    def __init__(self, live: Callable[[], list[StreamConnection]]) -> None:
        super().__init__()
        self._live = live

    def as_dict(self) -> dict[str, int]:
        """A snapshot of every counter, live connections included."""
        result = super().as_dict()
        live = self._live()
        for connection in live:
            stats = connection.stats
            for name in self.ALL:
                result[name] += getattr(stats, name)
        result["connections_open"] = len(live)
        result["queued_bytes"] = sum(c.queued_bytes for c in live)
        result["buffered_bytes"] = sum(c.buffered_bytes for c in live)
        return result


def _close_quietly_socket(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


class StreamListener(oscchannel.TransportChannel):
    """Accept stream connections and own them (abstract over the kind of socket).

    Options (prefix ``tcp`` for TCP; defaults in parentheses): ``<prefix>_maxconnections``
    (``read_maxsources``, 500; 0: no bound), ``<prefix>_writemaxbytes_total`` (64 MiB)
    and ``<prefix>_readmaxbytes_total`` (64 MiB; 0: no bound), or
    ``<prefix>_writebudget`` / ``<prefix>_readbudget``: a :class:`ByteBudget` to share
    with other listeners (one bound for several servers). The stream options of the
    connections (framing, timeouts...) are read once here.
    """

    option_prefix = "stream"
    #: Shown by repr() and the docs; never used to choose behaviour.
    role = "server"

    @classmethod
    def extra_option_keys(cls) -> frozenset[str]:
        return stream_option_keys(cls.option_prefix) | cls.option_keys

    stats: ListenerStats

    def __init__(self, name: str, mode: str, options: Optional[dict[str, Any]] = None) -> None:
        options = dict(options or {})
        prefix = self.option_prefix

        def get(key: str, default: Any) -> Any:
            return options.get(f"{prefix}_{key}", default)

        self.settings = StreamSettings.from_options(options, prefix, DEFAULT_IDLE_TIMEOUT)
        maxsources = options.get("read_maxsources", oscchannel.MAX_SOURCES_ALLOWED)
        self.maxconnections = int(get("maxconnections", maxsources))
        self.write_budget: ByteBudget = get("writebudget", None) or ByteBudget(
            int(get("writemaxbytes_total", DEFAULT_WRITE_TOTAL))
        )
        self.read_budget: ByteBudget = get("readbudget", None) or ByteBudget(
            int(get("readmaxbytes_total", DEFAULT_READ_TOTAL))
        )
        self.read_buffer = ReadBuffer()
        self.timeout_watch: Optional[TimeoutWatch] = None
        self.listen_socket: Optional[socket.socket] = None
        self.bound_port: Optional[int] = None
        self._options = options
        self._connections: dict[str, StreamConnection] = {}
        self._conlock = threading.Lock()
        self._concount = 0
        self._accept_timer: Optional[oscchannel.TimerHandle] = None
        self._closing = False
        self._throttle: Optional[LogThrottle] = None
        super().__init__(name, mode, options)

    # ----- options ---------------------------------------------------------------------
    def setup_reader_options(self, options: dict[str, Any]) -> None:
        super().setup_reader_options(options)
        self._listener_stats()

    def setup_event_options(self, options: dict[str, Any]) -> None:
        super().setup_event_options(options)
        self._listener_stats()

    def _listener_stats(self) -> None:
        current: oscchannel.ChannelStats = self.stats
        if not isinstance(current, ListenerStats):
            self.stats = ListenerStats(self.connections)

    @property
    def throttle(self) -> LogThrottle:
        """The log throttle of the listener and of every connection it accepted."""
        throttle = self._throttle
        if throttle is None:
            throttle = self._throttle = LogThrottle(self.logger)
        return throttle

    # ----- hooks for subclasses --------------------------------------------------------
    def open_listener(self) -> socket.socket:
        """Hook: a bound, listening, non-blocking socket."""
        raise NotImplementedError

    def make_connection(self, name: str, sock: socket.socket, address: Any) -> StreamConnection:
        """Hook: the connection channel of an accepted socket, not activated yet, made with
        ``settings=self.settings`` and ``owner=self``."""
        raise NotImplementedError

    # ----- open / close ----------------------------------------------------------------
    def open(self) -> None:
        self._closing = False
        self.timeout_watch = TimeoutWatch(self.system)
        sock = self.open_listener()
        self.listen_socket = sock
        self.bound_port = sock.getsockname()[1]

    def close(self) -> None:
        self._closing = True
        timer, self._accept_timer = self._accept_timer, None
        if timer is not None:
            timer.cancel()
        sock, self.listen_socket = self.listen_socket, None
        if sock is not None:
            sock.close()
            self.logger.info("OSC stream listener %r closed", self.chaname)
        if self.timeout_watch is not None:
            self.timeout_watch.close()
        if self._throttle is not None:
            self._throttle.flush()

    def terminate(self) -> None:
        """End of life: the connections first, then the listener."""
        for connection in self.connections():
            try:
                connection.terminate()
            except Exception:
                self.logger.exception(
                    "OSC stream listener %r: failure closing %r", self.chaname, connection
                )
        super().terminate()

    def fileno(self) -> Optional[int]:
        sock = self.listen_socket
        if sock is None:
            return None
        fileno = sock.fileno()
        return fileno if fileno >= 0 else None

    def calc_monitoring_fileno_flags(self) -> tuple[Optional[int], str]:
        return self.fileno(), "e"

    def bound_address(self) -> Optional[Any]:
        """The local socket address once open, else None."""
        sock = self.listen_socket
        try:
            return sock.getsockname() if sock is not None else None
        except OSError:
            return None

    # ----- connections -----------------------------------------------------------------
    def connections(self) -> list[StreamConnection]:
        """The live accepted connections (a snapshot)."""
        with self._conlock:
            return list(self._connections.values())

    def connection_ended(self, connection: StreamConnection) -> None:
        """Called by a connection at its end: forget it, keep its counters."""
        with self._conlock:
            if self._connections.get(connection.chaname) is connection:
                del self._connections[connection.chaname]
                self.stats.add(connection.stats)
                # Its packets may still be decoded, its replies dropped: count them here.
                connection.stats = connection.stats.forwarding_to(self.stats)
        if self.timeout_watch is not None:
            self.timeout_watch.discard(connection)

    def shed_read_memory(self) -> None:
        """The incomplete packets of all connections pass the read budget: close the
        connections stalled mid-packet the longest until they fit again (each at most
        once: one that another thread is closing gives its bytes back by itself)."""
        budget = self.read_budget
        stalled = [c for c in self.connections() if c.partial_since is not None]
        stalled.sort(key=lambda c: c.partial_since or 0.0)
        for victim in stalled:
            if not budget.over():
                return
            victim.close_stream(CloseReason.MEMORY)

    def _make_room(self) -> bool:
        """Evict the connection that gives its place most willingly; False if none may."""
        now = time.monotonic()
        best: Optional[tuple[tuple[int, float], StreamConnection]] = None
        for connection in self.connections():
            rank = connection.eviction_rank(now, EVICT_MIN_AGE)
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, connection)
        if best is None:
            return False
        best[1].close_stream(CloseReason.EVICTED)
        return True

    # ----- accepting -------------------------------------------------------------------
    def process_event(self) -> None:
        """Accept the pending connections (at most :data:`ACCEPT_BATCH` per event)."""
        listener = self.listen_socket
        if listener is None:
            return
        for _ in range(ACCEPT_BATCH):
            try:
                sock, address = listener.accept()
            except _WOULD_BLOCK:
                return
            except OSError as error:
                if self.listen_socket is None:
                    return
                self.stats.recv_errors += 1
                self.throttle.log(
                    logging.WARNING,
                    ("accept", self.chaname),
                    f"failed accepts on {self.chaname!r}",
                    "OSC stream listener %r: accept failed: %s",
                    self.chaname,
                    error,
                )
                if error.errno in _RESOURCE_ERRNOS:
                    # The connection stays queued and the listener stays readable: without
                    # a pause the monitor would spin on it until a descriptor is freed.
                    self._pause_accepting()
                return
            self._accept(sock, address)

    def _pause_accepting(self) -> None:
        fileno = self.fileno()
        if self.monitor is None or fileno is None or self._accept_timer is not None:
            return
        self.monitor.remove_monitoring(fileno, self, "e")
        self._accept_timer = self.system.call_later(ACCEPT_PAUSE, self._resume_accepting)

    def _resume_accepting(self) -> None:
        self._accept_timer = None
        current = self.fileno()
        if current is None or not self.is_scheduled or self._closing or self.monitor is None:
            return
        try:
            self.monitor.add_monitoring(current, self, "e")
        except (RuntimeError, OSError, ValueError) as error:
            self.logger.warning("OSC stream listener %r: cannot resume: %s", self.chaname, error)

    def _refuse(self, sock: socket.socket, address: Any, cause: str, why: str) -> None:
        with self._conlock:
            self.stats.connections_refused += 1
        self.throttle.log(
            logging.WARNING,
            ("refused", cause, self.chaname),
            f"connections refused by {self.chaname!r} ({cause})",
            "OSC stream listener %r: connection from %r refused: %s",
            self.chaname,
            address,
            why,
        )
        with contextlib.suppress(OSError):
            sock.close()

    def _accept(self, sock: socket.socket, address: Any) -> None:
        if not self.system.running or self.is_terminated:
            # Terminating: a connection made now would outlive its system.
            _close_quietly_socket(sock)
            return
        limit = self.maxconnections
        if limit:
            count = len(self._connections)
            if count >= limit and not self._make_room():
                self._refuse(sock, address, "full", f"{count} connections already (maxconnections)")
                return
        try:
            self.handle_action("conreq", (address, sock.fileno()))
        except Exception as error:
            self._refuse(sock, address, "conreq", f"conreq handler: {error!r}")
            return
        with self._conlock:
            self._concount += 1
            name = f"{self.chaname}__{self._concount}"
        connection: Optional[StreamConnection] = None
        try:
            connection = self.make_connection(name, sock, address)
            connection.write_overflow = CLOSE_SLOW_PEER
            with self._conlock:
                self._connections[name] = connection
            connection.activate()
            connection.begin_scheduling()
        except Exception as error:
            self._refuse(sock, address, "error", f"cannot make its channel: {error!r}")
            if connection is not None:
                try:
                    connection.terminate()
                except Exception:
                    self.logger.exception("OSC stream listener %r: cleanup failed", self.chaname)
            return
        with self._conlock:
            self.stats.connections_accepted += 1

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.chaname!r} {self.role} mode={self.mode!r}>"
