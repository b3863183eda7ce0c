"""TCP transport: OSC 1.0 size-prefixed and OSC 1.1 SLIP streams, client and server.

:class:`TcpChannel` follows osc4py3's construction scheme (seed doc §3.4.3) and plays one
of three roles, chosen from its mode and options:

* **server** (mode ``"e"``, or ``"r"`` / ``"re"`` without ``tcp_consocket``): listens on
  ``tcp_host``/``tcp_port`` and accepts connections; each accepted connection becomes its
  own ``TcpChannel`` named ``<server>__<n>`` (mode ``"rw"``), registered in the same
  system, which reads packets and sends replies back on that connection;
* **client** (a mode with ``"w"``, no ``tcp_consocket``): connects to
  ``tcp_host``/``tcp_port`` (``tcp_connect_timeout``), sends, and reads what the server
  sends back (a client always reads: mode ``"w"`` becomes ``"rw"``);
* **connection** (``tcp_consocket`` given): talks over an already connected socket.

Framing: ``tcp_framing`` sets both directions, ``tcp_readframing`` / ``tcp_writeframing``
each one: ``"size"`` (a 4-byte big-endian length before each packet, OSC 1.0, what liblo
and scsynth use; the default), ``"slip"`` (OSC 1.1, END + escaped packet + END) or, on
read, ``"auto"`` (detected per connection from its first byte; replies then use the framing
the peer used). osc4py3's ``read_withslip`` / ``read_withheader`` / ``write_withslip`` /
``write_withheader`` map to the same choices; ``read_headerunpack``,
``read_headermaxdatasize`` (1 MiB) and ``write_slip_flagatstart`` apply too.

Robustness: reads take large chunks (``tcp_readbuffer``, 256 KiB, up to
``tcp_readbatch`` chunks per wake-up) and cut every complete packet out with the compiled
:mod:`oscwire.framing`. A connection whose framing breaks (an oversize length header, a SLIP
frame longer than the limit without END, an unreadable header) or that sends
``tcp_maxbadpackets`` undecodable packets with no good one among them (or, on SLIP, a frame
whose first byte cannot begin an OSC packet) is logged, counted and closed; the server and
its other connections go on. Writes never block: packets wait in
the channel's queue (``write_maxpending``) and leave, coalesced, when the socket is
writable. A peer that closes or resets is logged and counted (``disconnects``, ``resets``)
and handled: an accepted connection is terminated; a client is closed or, with
``tcp_reconnect``, reconnects after ``tcp_reconnect_delay`` seconds (doubling up to
``tcp_reconnect_maxdelay``), keeping the packets queued meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import socket
import threading
from typing import Any, Callable, Optional

from oscwire import framing, oscchannel
from oscwire._errors import OSCFramingError
from oscwire.oscnettools import AddrInfo, network_getaddrinfo

_LOGGER = logging.getLogger("oscwire.osctcp")

#: Size of one read: large, so that a burst is cut into packets in few calls.
TCPREAD_BUFSIZE = 256 * 1024
#: Reads per readiness event at most, before other channels get their turn.
TCPREAD_BATCH = 4
#: Bytes joined into one ``send`` call at most when packets are queued.
TCPWRITE_CHUNK = 256 * 1024
#: Connections accepted per readiness event of a listening socket at most.
TCPACCEPT_BATCH = 64
#: Seconds a server stops accepting when the process is out of descriptors or memory.
ACCEPT_PAUSE = 0.1
#: Seconds a client waits for its connection to be established.
DEFAULT_CONNECT_TIMEOUT = 5.0
#: Undecodable packets in a row (no good one among them) after which a peer is dropped.
DEFAULT_MAX_BAD_PACKETS = 100
#: First delay and upper bound of the delay between reconnection attempts (seconds).
DEFAULT_RECONNECT_DELAY = 0.5
DEFAULT_EOF_LINGER = 1.0
DEFAULT_RECONNECT_MAXDELAY = 10.0

READ_FRAMINGS = ("size", "slip", "auto")
WRITE_FRAMINGS = ("size", "slip", "auto")

#: First bytes of an OSC packet: ``/`` (a message) or ``#`` (``#bundle``).
_PACKET_STARTS = frozenset(b"/#")
_WOULD_BLOCK = (BlockingIOError, InterruptedError)
_RESET_ERRNOS = frozenset(
    {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ETIMEDOUT, errno.ENOTCONN}
)
_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: Options of a server that its accepted connections do not inherit.
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
        "auto_start",
        "monitor_terminate",
        "write_wqterminate",
    }
)

_TCP_COUNTERS = (
    "connections_accepted",
    "connections_refused",
    "connect_failures",
    "disconnects",
    "resets",
    "reconnects",
)


class TcpStats(oscchannel.ChannelStats):
    """:class:`~oscwire.oscchannel.ChannelStats` plus the TCP counters.

    ``connections_accepted`` / ``connections_refused`` (server: refused by the bound
    ``tcp_maxconnections``, by a ``conreq`` handler or by an error), ``connect_failures``
    (client attempts that failed), ``disconnects`` (connections lost: peer close, reset,
    error, framing or garbage), ``resets`` (those lost by a reset or a broken pipe),
    ``reconnects`` (client connections re-established).
    """

    __slots__ = (*_TCP_COUNTERS, "_bad_packets", "on_bad_packet")
    _ALL = oscchannel.ChannelStats.__slots__ + _TCP_COUNTERS

    def __init__(self) -> None:
        self._bad_packets = 0
        #: Called each time ``bad_packets`` grows (the decoding stage counts them).
        self.on_bad_packet: Optional[Callable[[], None]] = None
        for name in self._ALL:
            setattr(self, name, 0)

    # A property over the base class slot, so that the channel hears of undecodable
    # packets when they are counted rather than at its next read, which may never come.
    @property  # type: ignore[override]
    def bad_packets(self) -> int:
        return self._bad_packets

    @bad_packets.setter
    def bad_packets(self, value: int) -> None:
        grew = value > self._bad_packets
        self._bad_packets = value
        hook = self.on_bad_packet
        if grew and hook is not None:
            hook()

    def as_dict(self) -> dict[str, int]:
        """A snapshot of every counter."""
        return {name: getattr(self, name) for name in self._ALL}


def _check_framing(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"OSC TCP {what} must be one of {allowed}, not {value!r}")
    return str(value)


def _close_quietly(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


class TcpChannel(oscchannel.TransportChannel):
    """OSC over TCP: a listening server, a connected client, or one accepted connection.

    TCP options (seed doc §3.4.3; defaults in parentheses): ``tcp_host`` (``"*"``: every
    interface), ``tcp_port`` (0: any free port, read back ``bound_port``),
    ``tcp_forceipv4``, ``tcp_forceipv6``, ``tcp_dontcache``, ``tcp_reuseaddr`` (True),
    ``tcp_consocket`` (None: a connected socket to use), ``tcp_consocketspec`` (None: an
    :class:`~oscwire.oscnettools.AddrInfo` or address tuple of the peer of
    ``tcp_consocket``), ``tcp_framing`` / ``tcp_readframing`` / ``tcp_writeframing``
    (``"size"``; see the module doc), ``tcp_nodelay`` (True: no Nagle delay),
    ``tcp_keepalive`` (False), ``tcp_readbuffer`` (256 KiB), ``tcp_readbatch`` (4),
    ``tcp_maxbadpackets`` (100; 0: never drop a peer for bad packets), ``tcp_eoflinger``
    (1 s: an accepted connection whose peer shut down its sending side stays open that
    long for the replies to its last packets; 0: close at once).

    Server: ``tcp_backlog`` (``socket.SOMAXCONN``), ``tcp_maxconnections``
    (``read_maxsources``, 500; 0: no bound — connections past it are accepted and closed at
    once, and counted). Accepted connections inherit the server's other options, its
    ``actions_handlers`` included.

    Client: ``tcp_connect_timeout`` (5 s), ``tcp_reconnect`` (False), ``tcp_reconnect_delay``
    (0.5 s), ``tcp_reconnect_maxdelay`` (10 s). Without ``tcp_reconnect`` a failed connection
    raises from the constructor (or :meth:`activate`) and a lost one closes the channel
    (later sends are dropped and counted); with it, attempts go on in a short-lived daemon
    thread until :meth:`terminate`, and packets sent meanwhile wait in the queue.

    Action handlers (seed doc §3.6.3): ``conreq`` on the server, parameters
    ``(address, sockfileno)`` — a callable that raises refuses the connection;
    ``connected`` on each accepted connection and on a client once connected, parameters
    ``(address,)``; ``disconnected`` when a connection ends, parameters
    ``(address, reason)`` with reason ``"closed"`` (by the peer), ``"reset"``, ``"error"``,
    ``"framing"``, ``"garbage"`` (too many bad packets, or a SLIP frame that is not OSC)
    or ``"local"`` (closed here).
    """

    chankindprefix = "tcp"
    option_keys = frozenset(
        [
            "tcp_backlog",
            "tcp_connect_timeout",
            "tcp_consocket",
            "tcp_consocketspec",
            "tcp_dontcache",
            "tcp_eoflinger",
            "tcp_framing",
            "tcp_host",
            "tcp_keepalive",
            "tcp_maxbadpackets",
            "tcp_maxconnections",
            "tcp_nodelay",
            "tcp_port",
            "tcp_readbatch",
            "tcp_readbuffer",
            "tcp_readframing",
            "tcp_reconnect",
            "tcp_reconnect_delay",
            "tcp_reconnect_maxdelay",
            "tcp_reuseaddr",
            "tcp_writeframing",
            "tcp_forceipv4",
            "tcp_forceipv6",
            "tcp_serverenabled",
        ]
    )

    def __init__(self, name: str, mode: str, options: Optional[dict[str, Any]] = None) -> None:
        options = dict(options or {})
        if not mode or not set(mode) <= set("rwe"):
            raise ValueError(f"OSC channel mode must combine 'r', 'w', 'e', not {mode!r}")
        consock = options.get("tcp_consocket")
        if consock is not None:
            if "e" in mode:
                raise ValueError("OSC TCP channel with tcp_consocket cannot listen (mode 'e')")
            self.role = "connection"
            if "r" not in mode:
                mode = "r" + mode
        elif "e" in mode or "w" not in mode:
            if "w" in mode:
                raise ValueError(
                    "OSC TCP channel cannot read/write and listen for connections at once"
                )
            self.role = "server"
        else:
            self.role = "client"
            if "r" not in mode:
                mode = "r" + mode
        self.tcpsock: Optional[socket.socket] = None
        self.tcpsockspec: Any = None
        self.bound_port: Optional[int] = None
        self.peer_address: Any = None
        self.srcident: Any = None
        self.server: Optional[TcpChannel] = None
        self._specs: list[AddrInfo] = []
        self._options = options
        self._io_lock = threading.Lock()
        self._closing = False
        self._connected = False
        self._decoder: Any = None
        self._wremain: Optional[memoryview] = None
        self._wremain_events: list[Any] = []
        self._rbuf: Optional[bytearray] = None
        self._rview: Optional[memoryview] = None
        self._bad_seen = 0
        self._good_seen = 0
        self._bad_streak = 0
        self._connections: dict[str, TcpChannel] = {}
        self._concount = 0
        self._conlock = threading.Lock()
        self._timer: Optional[threading.Timer] = None
        self._tcp_ready = False
        self._announce = False
        self._peer_done = False
        super().__init__(name, mode, options)

    # ----- options ---------------------------------------------------------------------
    def setup_reader_options(self, options: dict[str, Any]) -> None:
        super().setup_reader_options(options)
        self._setup_tcp(options)

    def setup_writer_options(self, options: dict[str, Any]) -> None:
        super().setup_writer_options(options)
        self._setup_tcp(options)

    def setup_event_options(self, options: dict[str, Any]) -> None:
        super().setup_event_options(options)
        self._setup_tcp(options)

    def _setup_tcp(self, options: dict[str, Any]) -> None:
        # Called after each base setup hook (the last call wins, so the write framing
        # set here survives the base writer setup).
        if not isinstance(self.stats, TcpStats):
            self.stats = TcpStats()
            self.stats.on_bad_packet = self._bad_packet_counted
        write = options.get("tcp_writeframing", options.get("tcp_framing"))
        if write is None:
            write = "slip" if options.get("write_withslip") else "size"
        self.tcp_writeframing = _check_framing(write, WRITE_FRAMINGS, "tcp_writeframing")
        read = options.get("tcp_readframing", options.get("tcp_framing"))
        if read is None:
            if options.get("read_withslip"):
                read = "slip"
            elif options.get("read_withheader"):
                read = "size"
            else:
                read = "auto" if write == "auto" else write
        self.tcp_readframing = _check_framing(read, READ_FRAMINGS, "tcp_readframing")
        self.write_slip_flagatstart = bool(options.get("write_slip_flagatstart", True))
        self._set_write_framing("size" if write == "auto" else write)
        self.read_headerunpack = options.get("read_headerunpack", framing.DEFAULT_HEADER)
        self.read_headermaxdatasize = int(
            options.get("read_headermaxdatasize", oscchannel.MAX_PACKET_SIZE_WITH_HEADER)
        )
        self.tcp_nodelay = bool(options.get("tcp_nodelay", True))
        self.tcp_keepalive = bool(options.get("tcp_keepalive", False))
        self.tcp_readbuffer = max(4096, int(options.get("tcp_readbuffer", TCPREAD_BUFSIZE)))
        self.tcp_readbatch = max(1, int(options.get("tcp_readbatch", TCPREAD_BATCH)))
        self.tcp_maxbadpackets = int(options.get("tcp_maxbadpackets", DEFAULT_MAX_BAD_PACKETS))
        self.tcp_reuseaddr = bool(options.get("tcp_reuseaddr", True))
        self.tcp_backlog = int(options.get("tcp_backlog", socket.SOMAXCONN))
        maxsources = options.get("read_maxsources", oscchannel.MAX_SOURCES_ALLOWED)
        self.tcp_maxconnections = int(options.get("tcp_maxconnections", maxsources))
        self.tcp_connect_timeout = float(
            options.get("tcp_connect_timeout", DEFAULT_CONNECT_TIMEOUT)
        )
        self.tcp_reconnect = bool(options.get("tcp_reconnect", False))
        self.tcp_eoflinger = float(options.get("tcp_eoflinger", DEFAULT_EOF_LINGER))
        self.tcp_reconnect_delay = float(
            options.get("tcp_reconnect_delay", DEFAULT_RECONNECT_DELAY)
        )
        self.tcp_reconnect_maxdelay = float(
            options.get("tcp_reconnect_maxdelay", DEFAULT_RECONNECT_MAXDELAY)
        )
        self._next_delay = self.tcp_reconnect_delay
        if self._tcp_ready:
            return
        self._tcp_ready = True
        if self.role == "connection":
            self.tcpsock = options["tcp_consocket"]
            self.tcpsockspec = options.get("tcp_consocketspec")
        else:
            self._specs = network_getaddrinfo(
                options,
                "tcp",
                addrtype=socket.SOCK_STREAM,
                proto=socket.IPPROTO_TCP,
                dnscache=self.system.dnscache,
            )
            self.tcpsockspec = self._specs[0]

    def _set_write_framing(self, kind: str) -> None:
        self.write_withslip = kind == "slip"
        self.write_withheader = kind == "size"

    def _new_decoder(self) -> Any:
        return framing.make_stream_decoder(
            self.tcp_readframing,
            header=self.read_headerunpack,
            max_packet_size=self.read_headermaxdatasize,
        )

    # ----- open / close ----------------------------------------------------------------
    def open(self) -> None:
        self._closing = False
        if self.role == "server":
            self._open_server()
        elif self.role == "connection":
            self._open_connection(self.tcpsock)
        else:
            self._open_client()

    def _open_server(self) -> None:
        spec = self.tcpsockspec
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
        self.tcpsock = sock
        self.bound_port = sock.getsockname()[1]
        self.logger.info(
            "OSC TCP server %r listening on %r (%s framing)",
            self.chaname,
            sock.getsockname(),
            self.tcp_readframing,
        )

    def _open_connection(self, sock: Optional[socket.socket]) -> None:
        if sock is None:
            raise ValueError(f"OSC TCP channel {self.chaname!r}: no socket")
        sock.setblocking(False)
        self._tune(sock)
        spec = self.tcpsockspec
        if isinstance(spec, AddrInfo) or (
            isinstance(spec, tuple) and len(spec) == 5 and isinstance(spec[4], tuple)
        ):
            # A getaddrinfo()-like entry: (family, type, proto, canonname, sockaddr).
            peer = spec[4]
        elif spec is not None:
            peer = tuple(spec)
        else:
            try:
                peer = sock.getpeername()
            except OSError:
                peer = None
        self._install(sock, peer)

    def _open_client(self) -> None:
        try:
            sock, peer = self._connect_blocking()
        except OSError as error:
            self.stats.connect_failures += 1
            if not self.tcp_reconnect:
                raise
            self.logger.warning(
                "OSC TCP client %r: cannot connect to %r (%s), retrying in %.3g s",
                self.chaname,
                self.tcpsockspec.sockaddr,
                error,
                self._next_delay,
            )
            self._schedule_reconnect()
            return
        self._install(sock, peer)
        self.bound_port = sock.getsockname()[1]

    def _connect_blocking(self) -> tuple[socket.socket, Any]:
        """Connect to the first address that answers, within ``tcp_connect_timeout`` each."""
        last: Optional[OSError] = None
        for spec in self._specs:
            sock = socket.socket(spec.family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.tcp_connect_timeout)
                sock.connect(spec.sockaddr)
                sock.setblocking(False)
                self._tune(sock)
            except OSError as error:
                sock.close()
                last = error
                continue
            except BaseException:
                sock.close()
                raise
            return sock, spec.sockaddr
        raise last if last is not None else OSError(errno.EHOSTUNREACH, "no address")

    def _tune(self, sock: socket.socket) -> None:
        try:
            if self.tcp_nodelay:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tcp_keepalive:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        except OSError as error:
            # E.g. an AF_UNIX socketpair given as tcp_consocket: options do not apply.
            self.logger.debug("OSC TCP channel %r: socket options: %s", self.chaname, error)

    def _install(self, sock: socket.socket, peer: Any) -> None:
        """Make *sock* the channel's live connection (reader state reset)."""
        if self._rbuf is None:
            self._rbuf = bytearray(self.tcp_readbuffer)
            self._rview = memoryview(self._rbuf)
        with self._io_lock:
            self.tcpsock = sock
            self.peer_address = peer
            self.srcident = self.identify(peer) if self.is_reader else peer
            self._decoder = self._new_decoder()
            self._bad_seen = self.stats.bad_packets
            self._good_seen = self.stats.decoded
            self._bad_streak = 0
            self._connected = True
        if self.tcp_writeframing == "auto":
            self._set_write_framing("size")
        # One line per accepted connection would flood a busy server's log at info level.
        log = self.logger.debug if self.role == "connection" else self.logger.info
        log("OSC TCP channel %r connected to %r", self.chaname, peer)
        self._announce = True
        if self.is_activated:
            self._announce_connected()

    def activate(self) -> None:
        """Open the channel; ``connected`` fires once it is open, so its handler can send."""
        super().activate()
        self._announce_connected()

    def _announce_connected(self) -> None:
        if self._announce:
            self._announce = False
            self._fire("connected", (self.peer_address,))

    def close(self) -> None:
        self._closing = True
        timer = self._timer
        if timer is not None:
            timer.cancel()
            self._timer = None
        if self.role == "server":
            with self._io_lock:
                sock, self.tcpsock = self.tcpsock, None
            if sock is not None:
                sock.close()
                self.logger.info("OSC TCP server %r closed", self.chaname)
            return
        self._release_socket("local")

    def _release_socket(self, reason: str, sock: Optional[socket.socket] = None) -> bool:
        """Close the live connection once (*sock*: only if it is still the live one).

        Unwatches it, drops partial data, and fires ``disconnected``. False when there was
        nothing to release (another thread did it first).
        """
        with self._io_lock:
            current = self.tcpsock
            if current is None or (sock is not None and current is not sock):
                return False
            fileno = current.fileno()
            self.tcpsock = None
            was_connected = self._connected
            self._connected = False
            decoder, self._decoder = self._decoder, None
            remain, self._wremain = self._wremain, None
            self._wremain_events = []
            # Unwatch before closing: once closed, the number can be reused at once.
            if self.monitor is not None and fileno >= 0:
                try:
                    self.monitor.remove_monitoring(fileno, self, "rwe")
                except Exception as error:
                    self.logger.debug("OSC TCP channel %r: unwatch: %s", self.chaname, error)
            self.monitored_writing = False
            current.close()
        if decoder is not None and decoder.pending:
            self.logger.info(
                "OSC TCP channel %r: %d bytes of an incomplete packet dropped",
                self.chaname,
                decoder.pending,
            )
        if remain is not None:
            self.stats.send_dropped += 1
        if was_connected:
            self._fire("disconnected", (self.peer_address, reason))
        return True

    def terminate(self) -> None:
        """End of life; a server terminates its accepted connections first."""
        if self.role == "server":
            for channel in self.connections():
                try:
                    channel.terminate()
                except Exception:
                    self.logger.exception(
                        "OSC TCP server %r: failure closing %r", self.chaname, channel
                    )
        super().terminate()
        server = self.server
        if server is not None:
            server._forget_connection(self)

    def fileno(self) -> Optional[int]:
        sock = self.tcpsock
        if sock is None:
            return None
        fileno = sock.fileno()
        return fileno if fileno >= 0 else None

    def calc_monitoring_fileno_flags(self) -> tuple[Optional[int], str]:
        if self.role == "server":
            return self.fileno(), "e"
        reads = "" if self.reading_paused else "r"
        return self.fileno(), reads + ("w" if self.monitored_writing else "")

    def _fire(self, verb: str, parameters: tuple) -> None:
        handler = self.actions_handlers.get(verb)
        if handler is None:
            return
        if isinstance(handler, str) and not self.system.running:
            # An OSC-message handler cannot be dispatched by a system shutting down.
            return
        self._lifecycle(verb, parameters)

    # ----- state -----------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """True while a client or connection has a live socket."""
        return self._connected

    def connections(self) -> list[TcpChannel]:
        """The live accepted connections of a server (a snapshot)."""
        with self._conlock:
            return list(self._connections.values())

    def bound_address(self) -> Optional[tuple]:
        """The local socket address once open, else None."""
        sock = self.tcpsock
        try:
            return sock.getsockname() if sock is not None else None
        except OSError:
            return None

    def can_reply(self) -> bool:
        return self._connected or (self.tcp_reconnect and not self._closing)

    def peer_description(self) -> str:
        return repr(self.peer_address)

    # ----- server: accepting -----------------------------------------------------------
    def process_event(self) -> None:
        """Accept the pending connections (at most :data:`TCPACCEPT_BATCH` per event)."""
        listener = self.tcpsock
        if listener is None or self.role != "server":
            return
        for _ in range(TCPACCEPT_BATCH):
            try:
                sock, address = listener.accept()
            except _WOULD_BLOCK:
                return
            except OSError as error:
                if self.tcpsock is None:
                    return
                self.stats.recv_errors += 1
                if oscchannel._rate_limited(self.stats.recv_errors):
                    self.logger.warning("OSC TCP server %r: accept failed: %s", self.chaname, error)
                if error.errno in _RESOURCE_ERRNOS:
                    # The connection stays queued and the listener stays readable: without
                    # a pause the monitor would spin on it until a descriptor is freed.
                    self._pause_accepting()
                return
            self._accept(sock, address)

    def _pause_accepting(self) -> None:
        fileno = self.fileno()
        if self.monitor is None or fileno is None or self._timer is not None:
            return
        self.monitor.remove_monitoring(fileno, self, "e")

        def resume() -> None:
            self._timer = None
            current = self.fileno()
            if current is not None and self.is_scheduled and not self._closing:
                try:
                    self.monitor.add_monitoring(current, self, "e")
                except (RuntimeError, OSError, ValueError) as error:
                    self.logger.warning("OSC TCP server %r: cannot resume: %s", self.chaname, error)

        timer = threading.Timer(ACCEPT_PAUSE, resume)
        timer.daemon = True
        self._timer = timer
        timer.start()

    def _refuse(self, sock: socket.socket, address: Any, why: str) -> None:
        self.stats.connections_refused += 1
        if oscchannel._rate_limited(self.stats.connections_refused):
            self.logger.warning(
                "OSC TCP server %r: connection from %r refused: %s", self.chaname, address, why
            )
        _close_quietly(sock)

    def _accept(self, sock: socket.socket, address: Any) -> None:
        limit = self.tcp_maxconnections
        with self._conlock:
            count = len(self._connections)
            done = [c for c in self._connections.values() if c._peer_done] if limit else []
        if limit and count >= limit:
            if not done:
                self._refuse(sock, address, f"{count} connections already (tcp_maxconnections)")
                return
            # A connection whose peer stopped sending only waits for late replies: end it
            # now rather than keep a new peer out of a full server.
            victim = done[0]
            lingering = victim.tcpsock
            if lingering is not None:
                victim._linger_over(lingering)
        try:
            self.handle_action("conreq", (address, sock.fileno()))
        except Exception as error:
            self._refuse(sock, address, f"conreq handler: {error!r}")
            return
        with self._conlock:
            self._concount += 1
            name = f"{self.chaname}__{self._concount}"
        options = {k: v for k, v in self._options.items() if k not in _SERVER_ONLY}
        options.update(
            tcp_consocket=sock,
            tcp_consocketspec=AddrInfo(sock.family, socket.SOCK_STREAM, 0, "", address),
            osc_system=self.system,
            logger=self.logger,
            monitor=self.monitor,
            auto_start=False,
        )
        channel: Optional[TcpChannel] = None
        try:
            channel = TcpChannel(name, "rw", options)
            channel.server = self
            with self._conlock:
                self._connections[name] = channel
            channel.activate()
            channel.begin_scheduling()
        except Exception as error:
            self._refuse(sock, address, f"cannot make its channel: {error!r}")
            if channel is not None:
                try:
                    channel.terminate()
                except Exception:
                    self.logger.exception("OSC TCP server %r: cleanup failed", self.chaname)
            return
        self.stats.connections_accepted += 1
        self.logger.debug("OSC TCP server %r: connection %r from %r", self.chaname, name, address)

    def _forget_connection(self, channel: TcpChannel) -> None:
        with self._conlock:
            if self._connections.get(channel.chaname) is channel:
                del self._connections[channel.chaname]

    # ----- reading ---------------------------------------------------------------------
    def process_read_raw(self, deadlinetime: Optional[float] = None) -> None:
        """Read up to ``tcp_readbatch`` large chunks and queue every complete packet."""
        sock = self.tcpsock
        if sock is None or self.role == "server":
            return
        stats = self.stats
        decoder = self._decoder
        if self.tcp_maxbadpackets and self._garbage_detected(decoder):
            self._connection_lost(sock, "garbage", None)
            return
        buf = self._rbuf
        view = self._rview
        assert buf is not None and view is not None
        size = len(buf)
        packets: list[bytes] = []
        lost: Optional[str] = None
        problem: Optional[BaseException] = None
        for _ in range(self.tcp_readbatch):
            try:
                with self._io_lock:
                    if self.tcpsock is not sock:
                        return
                    count = sock.recv_into(buf)
            except _WOULD_BLOCK:
                break
            except OSError as error:
                lost = "reset" if error.errno in _RESET_ERRNOS else "error"
                problem = error
                break
            if not count:
                lost = "closed"
                break
            stats.bytes_received += count
            try:
                found = decoder.feed(view[:count])
            except OSCFramingError as error:
                packets.extend(error.packets)
                stats.framing_errors += 1
                lost = "framing"
                problem = error
                break
            if found:
                if packets:
                    packets.extend(found)
                else:
                    packets = found
            pending = decoder.pending
            if (
                pending
                and pending <= count
                and buf[count - pending] not in _PACKET_STARTS
                and self.tcp_maxbadpackets
                and self._reads_slip(decoder)
            ):
                # The SLIP frame begun in this chunk cannot hold an OSC packet: the peer
                # does not speak OSC, and waiting for an END could buffer a whole MiB.
                stats.bad_packets += 1
                lost = "garbage"
                break
            if count < size:
                break
        if (
            lost is None
            and self.tcp_maxbadpackets
            and decoder.dropped
            and self._garbage_detected(decoder)
        ):
            # Frames with bad SLIP escapes are dropped by the decoder itself.
            lost = "garbage"
        if self.tcp_writeframing == "auto" and self.tcp_readframing == "auto":
            detected = getattr(decoder, "framing", None)
            if detected is not None:
                self._set_write_framing(detected)
        if packets:
            ident = self.srcident
            peer = self.peer_address
            self.received_packets([(packet, ident, peer) for packet in packets])
        if lost == "closed" and self.role == "connection" and self.tcp_eoflinger > 0:
            self._peer_finished_sending(sock)
        elif lost is not None:
            self._connection_lost(sock, lost, problem)

    def _peer_finished_sending(self, sock: socket.socket) -> None:
        """End of stream from the peer: stop reading, but keep the connection a while so
        that the replies to its last packets still reach it (a half-closed socket)."""
        if self.monitor is not None and not self.reading_paused:
            fileno = self.fileno()
            if fileno is not None:
                self.monitor.remove_monitoring(fileno, self, "r")
        self.reading_paused = True
        self._peer_done = True
        self.system.linger(self, self.tcp_eoflinger, functools.partial(self._linger_over, sock))

    def _linger_over(self, sock: socket.socket) -> None:
        self._connection_lost(sock, "closed", None)

    def _reads_slip(self, decoder: Any) -> bool:
        return self.tcp_readframing == "slip" or getattr(decoder, "framing", None) == "slip"

    def _bad_packet_counted(self) -> None:
        """A packet of this connection did not decode: drop the peer as soon as it passes
        ``tcp_maxbadpackets`` in a row (runs in the thread that decodes)."""
        sock = self.tcpsock
        if sock is None or not self.tcp_maxbadpackets or self.role == "server":
            return
        if self._garbage_detected(self._decoder):
            try:
                self._connection_lost(sock, "garbage", None)
            except Exception:
                self.logger.exception("OSC TCP channel %r: failure closing", self.chaname)

    def _garbage_detected(self, decoder: Any) -> bool:
        # Decoding happens after the read (in the system's processing stage): compare the
        # channel counters with what they were at the previous read.
        stats = self.stats
        bad = stats.bad_packets + (decoder.dropped if decoder is not None else 0)
        good = stats.decoded
        if good != self._good_seen:
            self._good_seen = good
            self._bad_streak = 0
        self._bad_streak += bad - self._bad_seen
        self._bad_seen = bad
        return self._bad_streak >= self.tcp_maxbadpackets

    def _connection_lost(
        self, sock: socket.socket, reason: str, error: Optional[BaseException]
    ) -> None:
        """The connection on *sock* ended (*reason*): count, log, close, then clean up."""
        if self.tcpsock is not sock:
            return
        stats = self.stats
        if reason != "local":
            stats.disconnects += 1
        if reason == "reset":
            stats.resets += 1
        if reason == "closed":
            log = self.logger.debug if self.role == "connection" else self.logger.info
            log("OSC TCP channel %r: peer %r closed", self.chaname, self.peer_address)
        elif oscchannel._rate_limited(stats.disconnects):
            self.logger.warning(
                "OSC TCP channel %r: connection with %r dropped (%s)%s",
                self.chaname,
                self.peer_address,
                reason,
                f": {error}" if error is not None else "",
            )
        if not self._release_socket(reason, sock):
            return
        if self.role == "connection":
            self.terminate()
        elif self.tcp_reconnect and not self._closing:
            self._schedule_reconnect()
        else:
            with self.write_lock:
                dropped = len(self.write_pending)
                self.write_pending.clear()
            self.stats.send_dropped += dropped
            self.deactivate()

    # ----- client: reconnecting --------------------------------------------------------
    def _schedule_reconnect(self) -> None:
        if self._closing or self.is_terminated:
            return
        delay = self._next_delay
        self._next_delay = min(self.tcp_reconnect_maxdelay, delay * 2)
        timer = threading.Timer(delay, self._reconnect_attempt)
        timer.daemon = True
        timer.name = f"oscwire-tcp-reconnect-{self.chaname}"
        self._timer = timer
        timer.start()

    def _reconnect_attempt(self) -> None:
        if self._closing or self.is_terminated:
            return
        try:
            sock, peer = self._connect_blocking()
        except OSError as error:
            self.stats.connect_failures += 1
            if oscchannel._rate_limited(self.stats.connect_failures):
                self.logger.info(
                    "OSC TCP client %r: reconnection to %r failed (%s), next in %.3g s",
                    self.chaname,
                    self.tcpsockspec.sockaddr,
                    error,
                    self._next_delay,
                )
            self._schedule_reconnect()
            return
        if self._closing or self.is_terminated:
            sock.close()
            return
        self._install(sock, peer)
        self.bound_port = sock.getsockname()[1]
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

    # ----- writing ---------------------------------------------------------------------
    def _send(self, sock: socket.socket, data: Any) -> int:
        with self._io_lock:
            if self.tcpsock is not sock:
                raise ConnectionAbortedError(errno.ECONNABORTED, "connection closed")
            try:
                return sock.send(data)
            except _WOULD_BLOCK:
                return 0

    def _write_failed(self, sock: socket.socket, error: OSError, packets: int) -> None:
        self.stats.send_errors += 1
        self.stats.send_dropped += packets
        if oscchannel._rate_limited(self.stats.send_errors):
            self.logger.warning(
                "OSC TCP channel %r: send to %r failed, %d packets dropped: %s",
                self.chaname,
                self.peer_address,
                packets,
                error,
            )
        reason = "reset" if error.errno in _RESET_ERRNOS else "error"
        self._connection_lost(sock, reason, error)

    def send_immediately(self, rawoscdata: Any) -> bool:
        """Frame and send one packet now when nothing is queued; False when it must queue.

        The fast path of :func:`oscwire.oscdistributing.distribute`: one ``send`` call,
        no queue. Part of a packet the kernel did not take is kept and sent first when the
        socket is writable again.
        """
        sock = self.tcpsock
        if sock is None:
            return False
        with self.write_lock:
            if self._write_active or self.write_pending or self._wremain is not None:
                return False
            self._write_active = True
        data = self.frame_outgoing(rawoscdata)
        try:
            sent = self._send(sock, data)
        except OSError as error:
            with self.write_lock:
                self._write_active = False
            self._write_failed(sock, error, 1)
            return True
        if sent:
            self.stats.sent += 1
            self.stats.bytes_sent += sent
            if sent < len(data):
                self._wremain = memoryview(data)[sent:]
                self._wait_writable()
                return True
            self._end_direct_write()
            return True
        # The kernel buffer is full: let the caller queue this packet.
        self._end_direct_write()
        return False

    def _end_direct_write(self) -> None:
        """After send_immediately: release the write operation, unless others queued
        packets meanwhile, which are written now."""
        with self.write_lock:
            if not self.write_pending:
                self._write_active = False
                return
        self.write_operation()

    def write_operation(self) -> None:
        """Write the queued packets, joined in large chunks, until done or the OS would block.

        One write operation at a time per channel (the base class guarantees it), so that
        bytes of different packets never interleave on the stream.
        """
        pending = self.write_pending
        lock = self.write_lock
        stats = self.stats
        while True:
            sock = self.tcpsock
            if sock is None:
                # Closed, or a client between connections: packets stay queued.
                with lock:
                    self._write_active = False
                return
            remain = self._wremain
            if remain is not None:
                try:
                    sent = self._send(sock, remain)
                except OSError as error:
                    self._write_failed(sock, error, len(self._wremain_events) or 1)
                    with lock:
                        self._write_active = False
                    return
                stats.bytes_sent += sent
                if sent < len(remain):
                    self._wremain = remain[sent:]
                    self._wait_writable()
                    return
                self._wremain = None
                events, self._wremain_events = self._wremain_events, []
                self._signal(events)
            with lock:
                if not pending or not self.is_activated:
                    self._write_active = False
                    return
                batch = [pending.popleft()]
                size = len(batch[0].rawosc)
                while pending and size < TCPWRITE_CHUNK:
                    entry = pending.popleft()
                    batch.append(entry)
                    size += len(entry.rawosc)
            data = batch[0].rawosc if len(batch) == 1 else b"".join(e.rawosc for e in batch)
            try:
                sent = self._send(sock, data)
            except OSError as error:
                self._write_failed(sock, error, len(batch))
                with lock:
                    self._write_active = False
                return
            stats.sent += len(batch)
            stats.bytes_sent += sent
            events = [e.packopt for e in batch if e.packopt is not None and e.packopt.event]
            if sent < len(data):
                self._wremain = memoryview(data)[sent:]
                self._wremain_events = events
                self._wait_writable()
                return
            self._signal(events)

    def _signal(self, packopts: list[Any]) -> None:
        for packopt in packopts:
            try:
                packopt.signal_event()
            except Exception:
                self.logger.exception("OSC TCP channel %r: failure in packet event", self.chaname)

    def __repr__(self) -> str:
        return f"<TcpChannel {self.chaname!r} {self.role} mode={self.mode!r}>"
