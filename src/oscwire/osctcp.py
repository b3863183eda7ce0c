"""TCP transport: OSC 1.0 size-prefixed and OSC 1.1 SLIP streams; servers, clients, connections.

``TcpChannel(name, mode, options)`` keeps osc4py3's construction scheme (seed doc
§3.4.3) and makes the channel of the role the mode and options ask for; each is a
:class:`TcpChannel`:

* :class:`TcpListener` — mode ``"e"`` (or ``"r"`` / ``"re"`` without ``tcp_consocket``):
  listens on ``tcp_host``/``tcp_port`` and accepts; each accepted connection becomes a
  :class:`TcpConnection` named ``<server>__<n>`` (mode ``"rw"``) in the same system, which
  reads packets and sends replies back (the accepting and owning are
  :class:`oscwire.osclistener.StreamListener`'s);
* :class:`TcpClient` — a mode with ``"w"``, no ``tcp_consocket``: connects to
  ``tcp_host``/``tcp_port``, resolving the name at each attempt, and reconnects with
  ``tcp_reconnect`` (a client always reads: mode ``"w"`` becomes ``"rw"``);
* :class:`TcpConnection` — ``tcp_consocket`` given: talks over that connected socket.

Framing, the bounded read and write paths, back-pressure, timeouts and the verdicts on
bad peers are :class:`oscwire.oscstream.StreamConnection`'s; what is here is TCP's:
addresses, listening and connecting, socket options. Options, handlers and counters are
documented in ``docs/tcp.md``.
"""

from __future__ import annotations

import functools
import logging
import socket
import threading
from typing import Any, Optional

from oscwire import oscchannel
from oscwire._unsupported import UnsupportedClass
from oscwire.osclistener import StreamListener
from oscwire.oscnettools import AddrInfo, network_getaddrinfo
from oscwire.oscstream import (
    READ_FRAMINGS,
    READ_SIZE,
    WRITE_FRAMINGS,
    ByteStream,
    ConnectionOwner,
    StreamConnection,
    StreamSettings,
)
from oscwire.oscstreamstats import CloseReason, StreamStats

__all__ = [
    "READ_FRAMINGS",
    "WRITE_FRAMINGS",
    "TcpChannel",
    "TcpClient",
    "TcpConnection",
    "TcpListener",
    "TcpStats",
]

#: Seconds a client waits for its connection to be established.
DEFAULT_CONNECT_TIMEOUT = 5.0
#: First delay and upper bound of the delay between reconnection attempts (seconds).
DEFAULT_RECONNECT_DELAY = 0.5
DEFAULT_RECONNECT_MAXDELAY = 10.0

#: The counters of every TCP channel (the name osc4py3 programs and older code use).
TcpStats = StreamStats
#: osc4py3's largest read of a TCP socket: here the default of ``tcp_readbuffer``.
TCPREAD_BUFSIZE = READ_SIZE

#: Options of a server that the connections it accepts do not inherit.
_SERVER_ONLY = frozenset(
    {
        "tcp_host",
        "tcp_port",
        "tcp_forceipv4",
        "tcp_forceipv6",
        "tcp_dontcache",
        "tcp_reuseaddr",
        "tcp_backlog",
        "tcp_maxconnections",
        "tcp_consocket",
        "tcp_consocketspec",
        "tcp_reconnect",
        "tcp_writemaxbytes_total",
        "tcp_readmaxbytes_total",
        "tcp_writebudget",
        "tcp_readbudget",
        "auto_start",
        "monitor_terminate",
        "write_wqterminate",
    }
)
_MODE_CHARS = frozenset("rwe")


def _role_class(mode: str, options: dict[str, Any]) -> type[TcpChannel]:
    """The class of the channel that *mode* and *options* ask for (osc4py3's scheme)."""
    if not mode or not set(mode) <= _MODE_CHARS:
        raise ValueError(f"OSC channel mode must combine 'r', 'w', 'e', not {mode!r}")
    if options.get("tcp_consocket") is not None:
        return TcpConnection
    if "e" in mode or "w" not in mode:
        return TcpListener
    return TcpClient


def _peer_of(spec: Any, sock: socket.socket) -> Any:
    """The peer address from a ``tcp_consocketspec`` (AddrInfo, getaddrinfo 5-tuple or an
    address), else from the socket."""
    if isinstance(spec, AddrInfo) or (
        isinstance(spec, tuple) and len(spec) == 5 and isinstance(spec[4], tuple)
    ):
        return spec[4]
    if spec is not None:
        return tuple(spec)
    try:
        return sock.getpeername()
    except OSError:
        return None


class TcpChannel(oscchannel.TransportChannel):
    """OSC over TCP: ``TcpChannel(name, mode, options)`` makes a :class:`TcpListener`, a
    :class:`TcpClient` or a :class:`TcpConnection` (see the module doc), all instances of
    this class, as osc4py3's channel factory expects."""

    chankindprefix = "tcp"
    option_prefix = "tcp"
    #: The socket options of TCP channels (the stream options come from the prefix).
    option_keys = frozenset(
        {
            "tcp_host",
            "tcp_port",
            "tcp_forceipv4",
            "tcp_forceipv6",
            "tcp_dontcache",
            "tcp_reuseaddr",
            "tcp_backlog",
            "tcp_consocket",
            "tcp_consocketspec",
            "tcp_nodelay",
            "tcp_keepalive",
            "tcp_connect_timeout",
            "tcp_reconnect",
            "tcp_reconnect_delay",
            "tcp_reconnect_maxdelay",
            "tcp_serverenabled",
        }
    )
    settings: StreamSettings
    #: The local port once open (a server's listening port, a client's own port).
    bound_port: Optional[int]
    #: ``"server"``, ``"client"`` or ``"connection"``: for people, never for decisions.
    role: str

    def __new__(
        cls, name: str, mode: str, options: Optional[dict[str, Any]] = None, **kwargs: Any
    ) -> TcpChannel:
        if cls is TcpChannel:
            cls = _role_class(mode, options or {})
        return super().__new__(cls)

    @property
    def tcp_readframing(self) -> str:
        """``"size"``, ``"slip"`` or ``"auto"``."""
        return self.settings.readframing

    @property
    def tcp_writeframing(self) -> str:
        """``"size"``, ``"slip"`` or ``"auto"`` (replies follow the peer's framing)."""
        return self.settings.writeframing


class TcpConnection(StreamConnection, TcpChannel):
    """One TCP connection over a connected socket (``tcp_consocket``), e.g. one a
    :class:`TcpListener` accepted. Reads always (mode gains ``"r"``); cannot listen.

    TCP options: ``tcp_consocket``, ``tcp_consocketspec`` (the peer: an AddrInfo, a
    getaddrinfo-style 5-tuple or an address tuple), ``tcp_nodelay`` (True),
    ``tcp_keepalive`` (False), and the stream options of :mod:`oscwire.oscstream`.
    """

    option_prefix = "tcp"

    def __init__(
        self,
        name: str,
        mode: str,
        options: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        options = options or {}
        if "e" in mode:
            raise ValueError(
                f"OSC TCP channel {name!r}: a connection or client cannot listen (mode 'e')"
            )
        if "r" not in mode:
            mode = "r" + mode
        self.tcp_nodelay = bool(options.get("tcp_nodelay", True))
        self.tcp_keepalive = bool(options.get("tcp_keepalive", False))
        self.bound_port: Optional[int] = None
        self._consocket: Optional[socket.socket] = options.get("tcp_consocket")
        self._consocketspec: Any = options.get("tcp_consocketspec")
        super().__init__(name, mode, options, **kwargs)

    @property
    def tcpsock(self) -> Optional[socket.socket]:
        """The live socket (None: not connected)."""
        stream = self.stream
        return stream if isinstance(stream, socket.socket) else None

    def open(self) -> None:
        self._closing = False
        sock, self._consocket = self._consocket, None
        if sock is None:
            raise ValueError(f"OSC TCP channel {self.chaname!r}: no socket (tcp_consocket)")
        sock.setblocking(False)
        self.tune(sock)
        self.install_stream(sock, _peer_of(self._consocketspec, sock))

    def tune(self, sock: socket.socket) -> None:
        """Apply ``tcp_nodelay`` and ``tcp_keepalive`` to *sock*."""
        try:
            if self.tcp_nodelay:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tcp_keepalive:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        except OSError as error:
            # E.g. an AF_UNIX socketpair given as tcp_consocket: options do not apply.
            self.logger.debug("OSC TCP channel %r: socket options: %s", self.chaname, error)

    def bound_address(self) -> Optional[Any]:
        """The local socket address while connected, else None."""
        sock = self.tcpsock
        try:
            return sock.getsockname() if sock is not None else None
        except OSError:
            return None


class TcpClient(TcpConnection):
    """A TCP client: connects to ``tcp_host``/``tcp_port`` (and reconnects).

    Client options: ``tcp_connect_timeout`` (5 s), ``tcp_reconnect`` (False),
    ``tcp_reconnect_delay`` (0.5 s), ``tcp_reconnect_maxdelay`` (10 s), ``tcp_forceipv4``,
    ``tcp_forceipv6``, ``tcp_dontcache``. The name is resolved at each attempt. Without
    ``tcp_reconnect`` a failed first attempt raises from the constructor (or
    :meth:`activate`) and a lost connection closes the channel; with it, a failed
    resolution, a refusal or a loss is counted, logged (throttled) and retried after
    ``tcp_reconnect_delay`` seconds (doubling up to ``tcp_reconnect_maxdelay``), in a
    short-lived daemon thread started by a timer of the system, while sends wait in the
    bounded queue.
    """

    role = "client"

    def __init__(
        self,
        name: str,
        mode: str,
        options: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        options = dict(options or {})
        if options.get("tcp_consocket") is not None:
            raise ValueError(f"OSC TCP client {name!r}: tcp_consocket makes a TcpConnection")
        self.tcp_connect_timeout = float(
            options.get("tcp_connect_timeout", DEFAULT_CONNECT_TIMEOUT)
        )
        self.tcp_reconnect = bool(options.get("tcp_reconnect", False))
        self.tcp_reconnect_delay = float(
            options.get("tcp_reconnect_delay", DEFAULT_RECONNECT_DELAY)
        )
        self.tcp_reconnect_maxdelay = float(
            options.get("tcp_reconnect_maxdelay", DEFAULT_RECONNECT_MAXDELAY)
        )
        self._next_delay = self.tcp_reconnect_delay
        self._address_options = options
        self._retry_timer: Optional[oscchannel.TimerHandle] = None
        #: A socket connected by the attempt thread, waiting for the loop to install it.
        self._arrived: Optional[tuple[socket.socket, Any]] = None
        super().__init__(name, mode, options, **kwargs)

    # ----- connecting ------------------------------------------------------------------
    def open(self) -> None:
        """Connect now (a first attempt in the caller's thread)."""
        self._closing = False
        try:
            sock, peer = self.connect_now()
        except OSError as error:
            self._attempt_failed(error, first=True)
            return
        self._connected_with(sock, peer)

    def connect_now(self) -> tuple[socket.socket, Any]:
        """Resolve ``tcp_host`` now and connect to the first address that answers, within
        ``tcp_connect_timeout`` each. Raises OSError with the channel and address in it."""
        options = self._address_options
        try:
            specs = network_getaddrinfo(
                options,
                "tcp",
                addrtype=socket.SOCK_STREAM,
                proto=socket.IPPROTO_TCP,
                dnscache=self.system.dnscache,
            )
        except socket.gaierror as error:
            self.stats.resolve_failures += 1
            raise socket.gaierror(
                error.errno,
                f"OSC TCP client {self.chaname!r}: cannot resolve "
                f"{options.get('tcp_host')!r}: {error.strerror}",
            ) from error
        last: Optional[OSError] = None
        for spec in specs:
            sock = socket.socket(spec.family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.tcp_connect_timeout)
                sock.connect(spec.sockaddr)
                sock.setblocking(False)
                self.tune(sock)
            except OSError as error:
                sock.close()
                last = error
                continue
            except BaseException:
                sock.close()
                raise
            return sock, spec.sockaddr
        what = f"OSC TCP client {self.chaname!r}: cannot connect to {specs[-1].sockaddr!r}"
        if last is None:
            raise OSError(f"{what}: no address")
        if last.errno is None:  # a timeout
            raise type(last)(f"{what}: {last}") from last
        # OSError(errno, ...) makes the subclass of the errno: ConnectionRefusedError...
        raise OSError(last.errno, f"{what}: {last.strerror}") from last

    def _connected_with(self, sock: socket.socket, peer: Any) -> None:
        self.install_stream(sock, peer)
        self.bound_port = sock.getsockname()[1]
        # A server that accepts and drops us over and over must not flood the log either.
        self.throttle.log(
            logging.INFO,
            ("connected", self.chaname),
            f"connections of {self.chaname!r}",
            "OSC TCP client %r connected to %r",
            self.chaname,
            peer,
        )

    def _attempt_failed(self, error: OSError, first: bool = False) -> None:
        self.stats.connect_failures += 1
        if first and not self.tcp_reconnect:
            raise error
        self.throttle.log(
            logging.WARNING,
            ("connect", self.chaname),
            f"failed connection attempts of {self.chaname!r}",
            "%s; next attempt in %.3g s",  # the error names the client and the address
            error,
            self._next_delay,
        )
        self._schedule_attempt()

    def _schedule_attempt(self) -> None:
        if self._closing or self.is_terminated:
            return
        delay = self._next_delay
        self._next_delay = min(self.tcp_reconnect_maxdelay, delay * 2)
        self._retry_timer = self.system.call_later(delay, self._start_attempt)

    def _start_attempt(self) -> None:
        """Timer (in the loop that runs the I/O): resolve and connect in a short-lived
        thread, so that neither DNS nor a slow handshake blocks the loop."""
        self._retry_timer = None
        if self._closing or self.is_terminated:
            return
        thread = threading.Thread(
            target=self._attempt, name=f"oscwire-tcp-connect-{self.chaname}", daemon=True
        )
        thread.start()

    def _attempt(self) -> None:
        try:
            sock, peer = self.connect_now()
        except OSError as error:
            self.system.call_later(0.0, functools.partial(self._attempt_failed, error))
            return
        except Exception:
            self.logger.exception("OSC TCP client %r: connection attempt failed", self.chaname)
            self.system.call_later(0.0, self._schedule_attempt)
            return
        with self._io_lock:
            if self._closing or self.is_terminated:
                sock.close()
                return
            self._arrived = (sock, peer)
        self.system.call_later(0.0, self._attempt_succeeded)

    def _attempt_succeeded(self) -> None:
        with self._io_lock:
            arrived, self._arrived = self._arrived, None
        if arrived is None:
            return
        sock, peer = arrived
        if self._closing or self.is_terminated:
            sock.close()
            return
        self._connected_with(sock, peer)
        self.stats.reconnects += 1
        self._next_delay = self.tcp_reconnect_delay
        if self.is_scheduled and self.monitor is not None and not self.reading_paused:
            try:
                self.monitor.add_monitoring(sock.fileno(), self, "r")
            except (RuntimeError, OSError, ValueError) as error:
                self.logger.warning("OSC TCP client %r: cannot watch: %s", self.chaname, error)
        # A write that waited for the old socket will never be woken: restart writing.
        with self.write_lock:
            self._write_active = False
        self.schedule_write_packet()

    # ----- losing ----------------------------------------------------------------------
    def _peer_finished_sending(self, stream: ByteStream) -> None:
        # The server closed: nothing will answer on this connection any more.
        self.connection_lost(stream, CloseReason.CLOSED, None)

    def loss_log_level(self, reason: CloseReason) -> int:
        # A client losing its server is news, even when the server closed normally.
        return max(logging.INFO, reason.level)

    def after_loss(self, reason: CloseReason) -> None:
        if self.tcp_reconnect and not self._closing:
            self._schedule_attempt()
            return
        self.drop_queue()
        self.deactivate()
        self.notify_ended()

    def can_reply(self) -> bool:
        return self._connected or (self.tcp_reconnect and not self._closing)

    def close(self) -> None:
        self._closing = True
        timer, self._retry_timer = self._retry_timer, None
        if timer is not None:
            timer.cancel()
        with self._io_lock:
            arrived, self._arrived = self._arrived, None
        if arrived is not None:
            arrived[0].close()
        super().close()


class TcpListener(StreamListener, TcpChannel):
    """A TCP server: listens on ``tcp_host``/``tcp_port`` and accepts connections.

    Server options: ``tcp_host`` (``"*"``: every interface), ``tcp_port`` (0: any free
    port, read back ``bound_port``), ``tcp_forceipv4``, ``tcp_forceipv6``,
    ``tcp_dontcache``, ``tcp_reuseaddr`` (True), ``tcp_backlog`` (``SOMAXCONN``), and those
    of :class:`~oscwire.osclistener.StreamListener` (``tcp_maxconnections``, byte
    budgets). The connections it accepts inherit its other options, handlers included.
    """

    option_prefix = "tcp"

    def __init__(self, name: str, mode: str, options: Optional[dict[str, Any]] = None) -> None:
        options = dict(options or {})
        if "w" in mode:
            raise ValueError(
                f"OSC TCP channel {name!r} cannot read/write and listen for connections at once"
            )
        if options.get("tcp_consocket") is not None:
            raise ValueError(f"OSC TCP server {name!r}: tcp_consocket makes a TcpConnection")
        self.tcp_reuseaddr = bool(options.get("tcp_reuseaddr", True))
        self.tcp_backlog = int(options.get("tcp_backlog", socket.SOMAXCONN))
        self._connection_options = {k: v for k, v in options.items() if k not in _SERVER_ONLY}
        super().__init__(name, mode, options)

    @property
    def tcpsock(self) -> Optional[socket.socket]:
        """The listening socket (None: closed)."""
        return self.listen_socket

    @property
    def tcp_maxconnections(self) -> int:
        return self.maxconnections

    def open_listener(self) -> socket.socket:
        specs = network_getaddrinfo(
            self._options,
            "tcp",
            addrtype=socket.SOCK_STREAM,
            proto=socket.IPPROTO_TCP,
            dnscache=self.system.dnscache,
        )
        spec = specs[0]
        sock = socket.socket(spec.family, socket.SOCK_STREAM)
        try:
            if self.tcp_reuseaddr:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(spec.sockaddr)
            sock.listen(self.tcp_backlog)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.logger.info(
            "OSC TCP server %r listening on %r (%s framing)",
            self.chaname,
            sock.getsockname(),
            self.settings.readframing,
        )
        return sock

    def make_connection(self, name: str, sock: socket.socket, address: Any) -> StreamConnection:
        options = dict(self._connection_options)
        options.update(
            tcp_consocket=sock,
            tcp_consocketspec=AddrInfo(sock.family, socket.SOCK_STREAM, 0, "", address),
            osc_system=self.system,
            logger=self.logger,
            monitor=self.monitor,
            auto_start=False,
        )
        owner: ConnectionOwner = self
        return TcpConnection(name, "rw", options, settings=self.settings, owner=owner)


# osc4py3 1.0.8 declares these classes and leaves them empty (its TCP was unfinished).
_TCP_UNFINISHED = "an empty class in osc4py3 1.0.8, whose TCP was unfinished"


class TcpEndPointChannel(
    UnsupportedClass,
    name="osctcp.TcpEndPointChannel",
    why=_TCP_UNFINISHED,
    use="oscwire.osctcp.TcpConnection (a connected TCP channel), made by "
    "oscwire.osctcp.TcpChannel(name, mode, options)",
):
    """osc4py3's empty class for a connected TCP channel: see :class:`TcpConnection`."""


class TcpClientChannel(
    UnsupportedClass,
    name="osctcp.TcpClientChannel",
    why=_TCP_UNFINISHED,
    use='oscwire.osctcp.TcpClient, made by oscwire.osctcp.TcpChannel(name, "w", options)',
):
    """osc4py3's empty class for a TCP client channel: see :class:`TcpClient`."""


class TcpCxPointChannel(
    UnsupportedClass,
    name="osctcp.TcpCxPointChannel",
    why=_TCP_UNFINISHED,
    use='oscwire.osctcp.TcpListener, made by oscwire.osctcp.TcpChannel(name, "e", options)',
):
    """osc4py3's empty class for a TCP server channel: see :class:`TcpListener`."""
