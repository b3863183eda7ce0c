"""Stream connections: framed OSC packets over one connected byte stream.

:class:`StreamConnection` is what every stream transport shares (TCP in
:mod:`oscwire.osctcp`; Unix stream sockets, serial lines and WebSocket later): the read
path (read in large chunks, cut packets out with the compiled :mod:`oscwire.framing`,
bounded partial data), the write path (frame, send at once when nothing waits, else queue
and leave in large ``send`` calls when writable; bounded in packets *and* bytes),
back-pressure, the verdicts on bad peers (framing errors, garbage, idle and stalled peers)
and the counters. It knows nothing of addresses or sockets: it reads and writes a
:class:`ByteStream` (a connected socket is one) that a subclass installs with
:meth:`StreamConnection.install_stream`. Its options are read once into
:class:`StreamSettings`; what it shares with the other connections of a listener is in
:mod:`oscwire.oscstreamlimits`, its counters in :mod:`oscwire.oscstreamstats`.
"""

from __future__ import annotations

import dataclasses
import enum
import errno
import functools
import logging
import threading
import time
from typing import Any, Callable, Optional, Protocol

from oscwire import framing, oscchannel
from oscwire._errors import OSCFramingError
from oscwire._logutil import LogThrottle
from oscwire.oscstreamlimits import (
    DROP_NEW_PACKET,
    ByteBudget,
    ReadBuffer,
    TimeoutWatch,
    WriteOverflowPolicy,
)
from oscwire.oscstreamstats import CloseReason, StreamStats

__all__ = [
    "ByteStream",
    "ConnectionOwner",
    "StreamConnection",
    "StreamSettings",
]

#: Largest read (``<prefix>_readbuffer``): a burst is cut into packets in few calls.
READ_SIZE = 256 * 1024
#: Smallest read size accepted for ``<prefix>_readbuffer``.
MIN_READ_SIZE = 4096
#: Reads per readiness event at most, before other channels get their turn.
READ_BATCH = 4
#: Bytes joined into one ``send`` call at most when packets are queued.
WRITE_CHUNK = 256 * 1024
#: Undecodable packets in a row (no good one among them) after which a peer is dropped.
DEFAULT_MAX_BAD_PACKETS = 100
#: Seconds a connection whose peer shut down its sending side stays open for replies.
DEFAULT_EOF_LINGER = 1.0
#: Seconds a packet may stay incomplete (a peer that stalls mid-packet is closed).
DEFAULT_PARTIAL_TIMEOUT = 30.0
#: Bytes waiting to be written on one connection at most (queue and unsent remainder).
DEFAULT_WRITE_MAXBYTES = 16 * 1024 * 1024

READ_FRAMINGS = ("size", "slip", "auto")
WRITE_FRAMINGS = ("size", "slip", "auto")

#: First bytes of an OSC packet: ``/`` (a message) or ``#`` (``#bundle``).
_PACKET_STARTS = frozenset(b"/#")
_WOULD_BLOCK = (BlockingIOError, InterruptedError)
RESET_ERRNOS = frozenset(
    {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ETIMEDOUT, errno.ENOTCONN}
)

_LOGGER = logging.getLogger("oscwire.oscstream")


# ----------------------------------------------------------------------------- protocols
class ByteStream(Protocol):
    """What a stream connection reads and writes: a connected socket has all of it."""

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int: ...

    def send(self, data: Any) -> int: ...

    def fileno(self) -> int: ...

    def close(self) -> None: ...


class ConnectionOwner(Protocol):
    """What a listener gives the connections it accepted (see :mod:`oscwire.osclistener`)."""

    @property
    def write_budget(self) -> Optional[ByteBudget]: ...

    @property
    def read_budget(self) -> Optional[ByteBudget]: ...

    @property
    def timeout_watch(self) -> Optional[TimeoutWatch]: ...

    @property
    def read_buffer(self) -> ReadBuffer: ...

    @property
    def throttle(self) -> LogThrottle: ...

    def connection_ended(self, connection: StreamConnection) -> None: ...

    def shed_read_memory(self) -> None: ...


class _Enqueued(enum.Enum):
    """What :meth:`StreamConnection._enqueue_locked` did."""

    START = 1  # queued, and no write operation runs: start one
    QUEUED = 2  # queued behind the running write operation
    FULL_OWN = 3  # refused: the connection's own bounds
    FULL_SHARED = 4  # refused: the shared budget


# ----------------------------------------------------------------------------- settings
def _check_framing(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"OSC stream {what} must be one of {allowed}, not {value!r}")
    return str(value)


def _non_negative(value: Any, what: str) -> float:
    number = float(value)
    if number < 0:
        raise ValueError(f"OSC stream option {what} must be >= 0, not {value!r}")
    return number


#: The stream options, each read as ``<prefix>_<name>`` (``tcp_framing``...).
STREAM_OPTIONS = (
    "framing",
    "readframing",
    "writeframing",
    "maxbadpackets",
    "readbuffer",
    "readbatch",
    "eoflinger",
    "idle_timeout",
    "partial_timeout",
    "writemaxbytes",
    "writebudget",
    "readbudget",
    "maxconnections",
    "readmaxbytes_total",
    "writemaxbytes_total",
)


def stream_option_keys(prefix: str) -> frozenset[str]:
    """The option keys of the stream options under *prefix*."""
    return frozenset(f"{prefix}_{name}" for name in STREAM_OPTIONS)


@dataclasses.dataclass(frozen=True)
class StreamSettings:
    """The stream options of a connection, read once (a listener shares one with all the
    connections it accepts). Option names are ``<prefix>_<name>`` (prefix ``tcp``...)."""

    readframing: str
    writeframing: str
    slip_flagatstart: bool
    headerunpack: Any
    maxpacket: int
    maxbadpackets: int
    readsize: int
    readbatch: int
    eoflinger: float
    idle_timeout: float
    partial_timeout: float
    write_maxbytes: int

    @classmethod
    def from_options(
        cls, options: dict[str, Any], prefix: str, idle_default: float = 0.0
    ) -> StreamSettings:
        """Read the options (see ``docs/tcp.md``); raise ValueError for a bad one.

        osc4py3's ``read_withslip`` / ``read_withheader`` / ``write_withslip`` /
        ``write_withheader`` map to the framings when ``<prefix>_framing`` and the
        per-direction options are not given.
        """

        def get(name: str, default: Any) -> Any:
            return options.get(f"{prefix}_{name}", default)

        both = get("framing", None)
        write = get("writeframing", both)
        if write is None:
            write = "slip" if options.get("write_withslip") else "size"
        write = _check_framing(write, WRITE_FRAMINGS, f"{prefix}_writeframing")
        read = get("readframing", both)
        if read is None:
            if options.get("read_withslip"):
                read = "slip"
            elif options.get("read_withheader"):
                read = "size"
            else:
                read = "auto" if write == "auto" else write
        return cls(
            readframing=_check_framing(read, READ_FRAMINGS, f"{prefix}_readframing"),
            writeframing=write,
            slip_flagatstart=bool(options.get("write_slip_flagatstart", True)),
            headerunpack=options.get("read_headerunpack", framing.DEFAULT_HEADER),
            maxpacket=int(
                options.get("read_headermaxdatasize", oscchannel.MAX_PACKET_SIZE_WITH_HEADER)
            ),
            maxbadpackets=int(get("maxbadpackets", DEFAULT_MAX_BAD_PACKETS)),
            readsize=max(MIN_READ_SIZE, int(get("readbuffer", READ_SIZE))),
            readbatch=max(1, int(get("readbatch", READ_BATCH))),
            eoflinger=float(get("eoflinger", DEFAULT_EOF_LINGER)),
            idle_timeout=_non_negative(get("idle_timeout", idle_default), f"{prefix}_idle_timeout"),
            partial_timeout=_non_negative(
                get("partial_timeout", DEFAULT_PARTIAL_TIMEOUT), f"{prefix}_partial_timeout"
            ),
            write_maxbytes=int(
                _non_negative(
                    get("writemaxbytes", DEFAULT_WRITE_MAXBYTES), f"{prefix}_writemaxbytes"
                )
            ),
        )

    def new_decoder(self) -> Any:
        """A stream decoder of the read framing."""
        return framing.make_stream_decoder(
            self.readframing, header=self.headerunpack, max_packet_size=self.maxpacket
        )

    def framer(self, kind: str) -> Callable[[Any], Any]:
        """The function that frames one outgoing packet in *kind* (``"size"``/``"slip"``)."""
        if kind == "slip":
            return functools.partial(framing.slip_encode, flag_at_start=self.slip_flagatstart)
        return framing.size_prefix


# ---------------------------------------------------------------------------- connection
class StreamConnection(oscchannel.TransportChannel):
    """Framed OSC packets over one connected byte stream (abstract over the stream).

    Subclasses open the stream and call :meth:`install_stream`; everything else is here:
    reading and framing, the bounded write queue, the bad-peer verdicts, the timeouts and
    the ``connected`` / ``disconnected`` handlers. *settings* (a :class:`StreamSettings`)
    replaces the reading of the options; *owner* is the listener that accepted the
    connection, which shares its log throttle, budgets and timeout watch and hears of the
    end of the connection.
    """

    #: Prefix of the stream option names (``tcp_framing``...).
    option_prefix = "stream"

    @classmethod
    def extra_option_keys(cls) -> frozenset[str]:
        return stream_option_keys(cls.option_prefix) | cls.option_keys

    #: Idle timeout when the options give none (0: none).
    default_idle_timeout = 0.0
    #: Shown by repr() and the docs; never used to choose behaviour.
    role = "connection"

    stats: StreamStats

    def __init__(
        self,
        name: str,
        mode: str,
        options: Optional[dict[str, Any]] = None,
        *,
        settings: Optional[StreamSettings] = None,
        owner: Optional[ConnectionOwner] = None,
    ) -> None:
        options = dict(options or {})
        if settings is None:
            settings = StreamSettings.from_options(
                options, self.option_prefix, self.default_idle_timeout
            )
        self.settings = settings
        self.owner = owner
        #: The live stream (None: not connected).
        self.stream: Optional[ByteStream] = None
        self.peer_address: Any = None
        self.srcident: Any = None
        self._io_lock = threading.Lock()
        self._closing = False
        self._connected = False
        self._announce = False
        self._peer_done = False
        self._decoder: Any = None
        self._frame: Callable[[Any], Any] = settings.framer(
            "slip" if settings.writeframing == "slip" else "size"
        )
        self._wremain: Optional[memoryview] = None
        self._wremain_events: list[Any] = []
        #: Bytes waiting to be written: the queue plus the unsent rest of a packet.
        self.queued_bytes = 0
        self.write_maxbytes = settings.write_maxbytes
        self.write_overflow: WriteOverflowPolicy = DROP_NEW_PACKET
        self.write_budget: Optional[ByteBudget] = None
        self.read_budget: Optional[ByteBudget] = None
        self.timeout_watch: Optional[TimeoutWatch] = None
        self._throttle: Optional[LogThrottle] = None
        self.read_buffer: ReadBuffer = ReadBuffer()
        #: Bytes charged to ``write_budget`` (given back exactly at the end).
        self._budget_held = 0
        self._budget_closed = False
        #: The stream a half-written packet belongs to (its rest is dropped on another).
        self._wremain_stream: Optional[ByteStream] = None
        #: The framing detected on read that replies follow (``"auto"`` write framing).
        self._followed: Optional[str] = None
        #: Partial-packet bytes counted in ``read_budget`` for this connection.
        self._read_held = 0
        self._good_seen = 0
        self._bad_streak = 0
        self._dropped_seen = 0
        #: Monotonic time of the last byte read, or of the first look at the counters
        #: that saw bytes written since the previous look (idle timeout, eviction): the
        #: send path stays free of clock reads.
        self.last_activity = time.monotonic()
        self._sent_seen = 0
        #: Monotonic time the packet being received began (None: between packets).
        self.partial_since: Optional[float] = None
        if owner is None:
            # A budget shared with other channels (one bound for several clients...).
            self.write_budget = options.get(f"{self.option_prefix}_writebudget")
        else:
            self._throttle = owner.throttle
            self.write_budget = owner.write_budget
            self.read_budget = owner.read_budget
            self.timeout_watch = owner.timeout_watch
            self.read_buffer = owner.read_buffer
        super().__init__(name, mode, options)

    # ----- options ---------------------------------------------------------------------
    def setup_reader_options(self, options: dict[str, Any]) -> None:
        super().setup_reader_options(options)
        self._stream_setup()

    def setup_writer_options(self, options: dict[str, Any]) -> None:
        super().setup_writer_options(options)
        self._stream_setup()

    def _stream_setup(self) -> None:
        # After the base hooks, which set the osc4py3 framing switches from the options.
        current: oscchannel.ChannelStats = self.stats
        if not isinstance(current, StreamStats):
            self.stats = StreamStats()
        self._show_write_framing(self._frame)
        self.read_headermaxdatasize = self.settings.maxpacket
        self.read_headerunpack = self.settings.headerunpack
        self.write_slip_flagatstart = self.settings.slip_flagatstart

    def _show_write_framing(self, frame: Callable[[Any], Any]) -> None:
        # The osc4py3 attributes, kept true for programs that read them.
        self.write_withheader = frame is framing.size_prefix
        self.write_withslip = not self.write_withheader

    @property
    def throttle(self) -> LogThrottle:
        """The log throttle of this connection (its listener's, for accepted ones)."""
        throttle = self._throttle
        if throttle is None:
            throttle = self._throttle = LogThrottle(self.logger)
        return throttle

    # ----- the stream ------------------------------------------------------------------
    def install_stream(self, stream: ByteStream, peer: Any) -> None:
        """Make *stream* the live one (a new connection, or a client's reconnection)."""
        with self._io_lock:
            self.stream = stream
            self.peer_address = peer
            self.srcident = self.identify(peer) if self.is_reader else peer
            self._decoder = self.settings.new_decoder()
            self._dropped_seen = 0
            self._good_seen = self.stats.decoded
            self._bad_streak = 0
            self._peer_done = False
            self.partial_since = None
            self.last_activity = time.monotonic()
            self._connected = True
        if self.settings.writeframing == "auto":
            self._followed = None
            self._frame = framing.size_prefix  # until the peer's first byte tells
            self._show_write_framing(self._frame)
        for budget in (self.write_budget, self.read_budget):
            if budget is not None:
                budget.join(self)
        settings = self.settings
        if self.timeout_watch is None and (settings.idle_timeout or settings.partial_timeout):
            self.timeout_watch = TimeoutWatch(self.system)  # its own: no listener
        if self.timeout_watch is not None:
            self.timeout_watch.add(self)
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

    def _fire(self, verb: str, parameters: tuple[Any, ...]) -> None:
        handler = self.actions_handlers.get(verb)
        if handler is None:
            return
        if isinstance(handler, str) and not self.system.running:
            # An OSC-message handler cannot be dispatched by a system shutting down.
            return
        self._lifecycle(verb, parameters)

    @property
    def connected(self) -> bool:
        """True while a stream is live."""
        return self._connected

    def fileno(self) -> Optional[int]:
        stream = self.stream
        if stream is None:
            return None
        fileno = stream.fileno()
        return fileno if fileno >= 0 else None

    def calc_monitoring_fileno_flags(self) -> tuple[Optional[int], str]:
        reads = "" if self.reading_paused else "r"
        return self.fileno(), reads + ("w" if self.monitored_writing else "")

    def can_reply(self) -> bool:
        return self._connected

    def peer_description(self) -> str:
        return repr(self.peer_address)

    @property
    def buffered_bytes(self) -> int:
        """Bytes of an incomplete packet held for the live stream."""
        decoder = self._decoder
        return decoder.pending if decoder is not None else 0

    # ----- reading ---------------------------------------------------------------------
    def process_read_raw(self, deadlinetime: Optional[float] = None) -> None:
        """Read up to ``readbatch`` large chunks and queue every complete packet."""
        stream = self.stream
        decoder = self._decoder
        if stream is None or decoder is None:
            return
        settings = self.settings
        readbuffer = self.read_buffer
        buf, view = readbuffer.get(settings.readsize)
        size = min(len(buf), settings.readsize)
        largest = 0
        stats = self.stats
        packets: list[bytes] = []
        lost: Optional[CloseReason] = None
        problem: Optional[BaseException] = None
        for _ in range(settings.readbatch):
            try:
                with self._io_lock:
                    if self.stream is not stream:
                        return
                    count = stream.recv_into(buf, size)
            except _WOULD_BLOCK:
                break
            except OSError as error:
                lost = CloseReason.RESET if error.errno in RESET_ERRNOS else CloseReason.ERROR
                problem = error
                break
            if not count:
                lost = CloseReason.CLOSED
                break
            stats.bytes_received += count
            if count > largest:
                largest = count
            try:
                found = decoder.feed(view[:count])
            except OSCFramingError as error:
                packets.extend(error.packets)
                stats.framing_errors += 1
                lost = CloseReason.FRAMING
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
                and settings.maxbadpackets
                and self._reads_slip(decoder)
            ):
                # The SLIP frame begun in this chunk cannot hold an OSC packet: the peer
                # does not speak OSC, and waiting for an END could buffer a whole MiB.
                stats.bad_packets += 1
                lost = CloseReason.GARBAGE
                break
            if count < size:
                break
        if largest:
            readbuffer.used(largest, settings.readsize)
            self._after_read(decoder, bool(packets))
        if packets:
            ident = self.srcident
            peer = self.peer_address
            self.received_packets([(packet, ident, peer) for packet in packets])
        if lost is None and decoder.dropped != self._dropped_seen:
            # Frames with bad SLIP escapes are dropped by the decoder itself.
            dropped = decoder.dropped
            if self._note_bad(dropped - self._dropped_seen):
                lost = CloseReason.GARBAGE
            self._dropped_seen = dropped
        if lost is CloseReason.CLOSED:
            self._peer_finished_sending(stream)
        elif lost is not None:
            self.connection_lost(stream, lost, problem)
        elif self.read_budget is not None and self.read_budget.over() and self.owner is not None:
            self.owner.shed_read_memory()

    def _after_read(self, decoder: Any, completed: bool) -> None:
        """Bookkeeping after a read: activity, partial packet, read budget, write framing."""
        now = time.monotonic()
        self.last_activity = now
        pending = decoder.pending
        if not pending:
            self.partial_since = None
        elif completed or self.partial_since is None:
            # A new packet began: its own time to complete starts now.
            self.partial_since = now
            watch = self.timeout_watch
            timeout = self.settings.partial_timeout
            if watch is not None and timeout and now + timeout < watch.due:
                watch.arm(now + timeout)
        budget = self.read_budget
        if budget is not None and pending != self._read_held:
            budget.adjust(pending - self._read_held)
            self._read_held = pending
        if self.settings.writeframing == "auto":
            detected = getattr(decoder, "framing", None)
            if detected is not None and detected != self._followed:
                # Replies follow the framing the peer was detected to use.
                self._followed = detected
                self._frame = self.settings.framer(detected)
                self._show_write_framing(self._frame)

    def _reads_slip(self, decoder: Any) -> bool:
        return self.settings.readframing == "slip" or getattr(decoder, "framing", None) == "slip"

    def count_bad_packet(self) -> None:
        """A packet of this connection did not decode: count it, and drop the peer once
        ``maxbadpackets`` came in a row (runs in the thread that decodes)."""
        self.stats.bad_packets += 1
        if self._note_bad(1):
            stream = self.stream
            if stream is not None:
                self.connection_lost(stream, CloseReason.GARBAGE, None)

    def _note_bad(self, count: int) -> bool:
        """Add *count* bad packets to the streak; True when the peer is to be dropped."""
        limit = self.settings.maxbadpackets
        if not limit or count <= 0:
            return False
        good = self.stats.decoded
        if good != self._good_seen:
            self._good_seen = good
            self._bad_streak = 0
        self._bad_streak += count
        return self._bad_streak >= limit

    def _peer_finished_sending(self, stream: ByteStream) -> None:
        """End of stream from the peer. With nothing received and nothing to send, close at
        once; else stop reading and keep the connection ``eoflinger`` seconds at most (a
        half-closed socket) so that the replies to its last packets still reach it."""
        linger = self.settings.eoflinger
        if linger <= 0 or (self.stats.received == 0 and not self.queued_bytes):
            self.connection_lost(stream, CloseReason.CLOSED, None)
            return
        if self.monitor is not None and not self.reading_paused:
            fileno = self.fileno()
            if fileno is not None:
                self.monitor.remove_monitoring(fileno, self, "r")
        self.reading_paused = True
        self._peer_done = True
        self._drop_partial()
        self.system.linger(
            self, linger, functools.partial(self.connection_lost, stream, CloseReason.CLOSED, None)
        )

    @property
    def lingering(self) -> bool:
        """True while the peer has stopped sending and the connection waits for replies."""
        return self._peer_done

    def _drop_partial(self) -> None:
        """Forget the incomplete packet (and its share of the read budget)."""
        decoder = self._decoder
        if decoder is not None and decoder.pending:
            self.throttle.log(
                logging.INFO,
                ("partial", self.chaname if self.owner is None else None),
                "incomplete packets dropped at close",
                "OSC stream %r: %d bytes of an incomplete packet from %r dropped",
                self.chaname,
                decoder.pending,
                self.peer_address,
            )
            decoder.reset()
        self.partial_since = None
        held, self._read_held = self._read_held, 0
        if held and self.read_budget is not None:
            self.read_budget.adjust(-held)

    # ----- timeouts and eviction -------------------------------------------------------
    def next_deadline(self) -> Optional[float]:
        """The monotonic time of this connection's next timeout check (None: none)."""
        if self.stream is None or self._peer_done:
            return None
        settings = self.settings
        deadline: Optional[float] = None
        if settings.idle_timeout:
            deadline = self.last_activity + settings.idle_timeout
        since = self.partial_since
        if since is not None and settings.partial_timeout:
            partial = since + settings.partial_timeout
            deadline = partial if deadline is None else min(deadline, partial)
        return deadline

    def _saw_sends(self, now: float) -> None:
        sent = self.stats.bytes_sent
        if sent != self._sent_seen:
            self._sent_seen = sent
            self.last_activity = now

    def check_timeouts(self, now: float) -> None:
        """Close the connection if its peer was idle or stalled mid-packet for too long
        (called by the :class:`TimeoutWatch`, from the loop that runs the I/O)."""
        stream = self.stream
        if stream is None or self._peer_done:
            return
        self._saw_sends(now)
        if self.reading_paused:
            # Reading is paused here (the handlers are behind): the peer waits for us.
            self.last_activity = now
            if self.partial_since is not None:
                self.partial_since = now
            return
        settings = self.settings
        since = self.partial_since
        if (
            since is not None
            and settings.partial_timeout
            and now - since >= settings.partial_timeout
        ):
            self.connection_lost(stream, CloseReason.PARTIAL, None)
        elif settings.idle_timeout and now - self.last_activity >= settings.idle_timeout:
            self.connection_lost(stream, CloseReason.IDLE, None)

    def eviction_rank(self, now: float, min_age: float) -> Optional[tuple[int, float]]:
        """How willingly this connection gives its place to a new one (lower first; None:
        never): lingering for replies, then stalled mid-packet, then never sent a packet,
        then idle — each for at least *min_age* seconds, the oldest first."""
        if self.stream is None:
            return None
        if self._peer_done:
            return (0, self.last_activity)
        self._saw_sends(now)
        since = self.partial_since
        if since is not None:
            return (1, since) if now - since >= min_age else None
        if self.queued_bytes or now - self.last_activity < min_age:
            return None
        return (2 if self.stats.received == 0 else 3, self.last_activity)

    # ----- closing ---------------------------------------------------------------------
    def close_stream(self, reason: CloseReason) -> None:
        """End the live stream for *reason* (counted and logged like a loss)."""
        stream = self.stream
        if stream is not None:
            self.connection_lost(stream, reason, None)

    def connection_lost(
        self, stream: ByteStream, reason: CloseReason, error: Optional[BaseException]
    ) -> None:
        """The connection on *stream* ended: release it, count, log, tell, clean up.

        Only the first call for a stream does anything (several threads may see the end).
        """
        released = self._release_stream(stream)
        if not released:
            return
        stats = self.stats
        if reason is not CloseReason.LOCAL:
            stats.disconnects += 1
        if reason.counter:
            setattr(stats, reason.counter, getattr(stats, reason.counter) + 1)
        self._log_loss(reason, error)
        self._fire("disconnected", (self.peer_address, reason.label))
        if reason is not CloseReason.LOCAL:  # else the caller is closing the channel
            self.after_loss(reason)

    def _log_loss(self, reason: CloseReason, error: Optional[BaseException]) -> None:
        level = self.loss_log_level(reason)
        if not self.logger.isEnabledFor(level):
            return
        # One cause per reason (per listener): a flood of bad peers gives one line in
        # full, then counted summaries.
        self.throttle.log(
            level,
            ("lost", reason, self.chaname if self.owner is None else None),
            f"connections ended ({reason.label})",
            "OSC stream %r: connection with %r ended (%s)%s",
            self.chaname,
            self.peer_address,
            reason.label,
            f": {error}" if error is not None else "",
        )

    def loss_log_level(self, reason: CloseReason) -> int:
        """The level of the log line for a loss (a hook: a client says more)."""
        return reason.level

    def after_loss(self, reason: CloseReason) -> None:
        """Hook: what follows the end of the stream (a connection leaves its system)."""
        self.terminate()

    def _release_stream(self, stream: Optional[ByteStream] = None) -> bool:
        """Close the live stream once (*stream*: only if it is still the live one).

        Unwatches it and drops partial data. False when there was nothing to release
        (another thread did it first). The rest of a half-written packet is dropped by the
        next write operation, which sees that its stream is gone.
        """
        with self._io_lock:
            current = self.stream
            if current is None or (stream is not None and current is not stream):
                return False
            fileno = current.fileno()
            self.stream = None
            self._connected = False
            # Unwatch before closing: once closed, the number can be reused at once.
            if self.monitor is not None and fileno >= 0:
                try:
                    self.monitor.remove_monitoring(fileno, self, "rwe")
                except Exception as error:
                    self.logger.debug("OSC stream %r: unwatch: %s", self.chaname, error)
            self.monitored_writing = False
            try:
                current.close()
            except OSError as error:
                self.logger.debug("OSC stream %r: close: %s", self.chaname, error)
        if self.timeout_watch is not None:
            self.timeout_watch.discard(self)
        self._drop_partial()
        self._decoder = None
        return True

    def close(self) -> None:
        self._closing = True
        stream = self.stream
        if stream is not None:
            self.connection_lost(stream, CloseReason.LOCAL, None)

    def terminate(self) -> None:
        """End of life: close, drop the queue and give its bytes back, tell the owner."""
        if self.is_terminated:
            return
        super().terminate()
        self.drop_queue(final=True)
        for budget in (self.write_budget, self.read_budget):
            if budget is not None:
                budget.leave(self)
        if self.owner is not None:
            self.owner.connection_ended(self)
        elif self.timeout_watch is not None:
            self.timeout_watch.close()

    def drop_queue(self, final: bool = False) -> None:
        """Drop every packet waiting to be written (counted) and give their bytes back.

        *final* (at terminate): also the rest of a half-written packet, and the write
        budget gets back exactly what this connection took, whatever is still in flight.
        """
        with self.write_lock:
            dropped = len(self.write_pending)
            self.write_pending.clear()
            if final:
                if self._wremain is not None:
                    dropped += 1
                self._wremain = None
                self._wremain_events = []
                self.queued_bytes = 0
                held, self._budget_held = self._budget_held, 0
                self._budget_closed = True
                if held and self.write_budget is not None:
                    self.write_budget.adjust(-held)
            else:
                rest = len(self._wremain) if self._wremain is not None else 0
                self._charge_locked(rest - self.queued_bytes)
        self.stats.send_dropped += dropped

    def _charge_locked(self, delta: int) -> None:
        """Count *delta* more queued bytes, in the write budget too (write_lock held)."""
        self.queued_bytes += delta
        budget = self.write_budget
        if budget is not None and not self._budget_closed and delta:
            budget.adjust(delta)
            self._budget_held += delta

    def reply_packet(self, packet: Any, destination: Any) -> bool:
        """Encode *packet* and queue it back to the peer (dropped, counted and logged once
        per cause when the connection has ended meanwhile)."""
        if not self.can_reply():
            self.stats.send_dropped += 1
            self.throttle.log(
                logging.WARNING,
                ("noreply", self.chaname if self.owner is None else None),
                "replies dropped on ended connections",
                "OSC stream %r: connection with %r ended, reply dropped",
                self.chaname,
                self.peer_address,
            )
            return False
        return super().reply_packet(packet, destination)

    # ----- writing ---------------------------------------------------------------------
    def frame_outgoing(self, rawoscdata: Any) -> Any:
        """Frame one raw packet for the stream (size prefix or SLIP)."""
        return self._frame(rawoscdata)

    def refuse_packet(self, nbytes: int, shared: bool) -> None:
        """Count and log a packet that the write bounds cannot take (dropped)."""
        stats = self.stats
        stats.send_dropped += 1
        stats.write_overflows += 1
        bound = "the shared budget" if shared else f"{self.write_maxbytes} bytes"
        self.throttle.log(
            logging.WARNING,
            ("overflow", self.chaname if self.owner is None else None),
            "packets dropped: write queue full",
            "OSC stream %r: write queue to %r full (%d bytes waiting, bound %s): "
            "packet of %d bytes dropped",
            self.chaname,
            self.peer_address,
            self.queued_bytes,
            bound,
            nbytes,
        )

    def transmit_data(self, rawoscdata: Any, packopt: Any = None, destination: Any = None) -> bool:
        """Frame and queue a packet, then write what can be written now.

        Bounded by ``write_maxpending`` packets and ``writemaxbytes`` bytes per connection,
        and by the shared write budget; past them the write-overflow policy decides.
        Returns False when the packet was dropped (counted in ``send_dropped``).
        """
        data = self._frame(rawoscdata)
        nbytes = len(data)
        entry = oscchannel.PendingPacket(data, packopt, destination)
        for attempt in range(2):
            with self.write_lock:
                if self.is_terminated or not self.is_activated:
                    break
                verdict = self._enqueue_locked(entry, nbytes)
            if verdict is _Enqueued.QUEUED:
                return True
            if verdict is _Enqueued.START:
                self._start_writing()
                return True
            shared = verdict is _Enqueued.FULL_SHARED
            if attempt:
                self.refuse_packet(nbytes, shared)
                return False
            if not self.write_overflow.overflow(self, nbytes, shared):
                return False
        self.stats.send_dropped += 1
        self.throttle.log(
            logging.WARNING,
            ("closed", self.chaname),
            f"packets dropped: channel {self.chaname!r} closed",
            "OSC stream %r is closed: packet dropped",
            self.chaname,
        )
        return False

    def _enqueue_locked(self, entry: Any, nbytes: int) -> _Enqueued:
        """Queue *entry* if the bounds allow it (write_lock held)."""
        pending = self.write_pending
        if len(pending) >= self.write_maxpending or (
            self.write_maxbytes and self.queued_bytes + nbytes > self.write_maxbytes
        ):
            return _Enqueued.FULL_OWN
        budget = self.write_budget
        if budget is not None and not self._budget_closed:
            if not budget.try_take(nbytes):
                return _Enqueued.FULL_SHARED
            self._budget_held += nbytes
        self.queued_bytes += nbytes
        if entry.packopt is not None and entry.packopt.nodelay:
            pending.appendleft(entry)
        else:
            pending.append(entry)
        if self._write_active:
            return _Enqueued.QUEUED
        self._write_active = True
        return _Enqueued.START

    def _send(self, stream: ByteStream, data: Any) -> int:
        with self._io_lock:
            if self.stream is not stream:
                raise ConnectionAbortedError(errno.ECONNABORTED, "connection closed")
            try:
                return stream.send(data)
            except _WOULD_BLOCK:
                return 0

    def _write_failed(self, stream: ByteStream, error: OSError, packets: int) -> None:
        self.stats.send_dropped += packets
        if self.stream is not stream:
            return  # closed here meanwhile (by another thread): not a send failure
        self.stats.send_errors += 1
        self.throttle.log(
            logging.WARNING,
            ("send", self.chaname if self.owner is None else None),
            "failed sends",
            "OSC stream %r: send to %r failed, %d packets dropped: %s",
            self.chaname,
            self.peer_address,
            packets,
            error,
        )
        reason = CloseReason.RESET if error.errno in RESET_ERRNOS else CloseReason.ERROR
        self.connection_lost(stream, reason, error)

    def send_immediately(self, rawoscdata: Any) -> bool:
        """Frame and send one packet now when nothing is queued; False when it must queue.

        The fast path of :func:`oscwire.oscdistributing.distribute`: one ``send`` call,
        no queue. Part of a packet the stream did not take is kept (and counted in
        ``queued_bytes``) and sent first when the stream is writable again.
        """
        stream = self.stream
        if stream is None:
            return False
        with self.write_lock:
            if self._write_active or self.write_pending or self._wremain is not None:
                return False
            self._write_active = True
        data = self._frame(rawoscdata)
        try:
            sent = self._send(stream, data)
        except OSError as error:
            with self.write_lock:
                self._write_active = False
            self._write_failed(stream, error, 1)
            return True
        if sent:
            stats = self.stats
            stats.sent += 1
            stats.bytes_sent += sent
            rest = len(data) - sent
            if rest:
                # Committed to the stream: the rest is kept whatever the bounds say.
                with self.write_lock:
                    self._wremain = memoryview(data)[sent:]
                    self._wremain_stream = stream
                    self._charge_locked(rest)
                self._wait_writable()
                return True
            self._end_direct_write()
            return True
        # The stream buffer is full: let the caller queue this packet.
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
        """Write the queued packets, joined in large chunks, until done or it would block.

        One write operation at a time per channel (the base class guarantees it), so that
        bytes of different packets never interleave on the stream.
        """
        pending = self.write_pending
        lock = self.write_lock
        stats = self.stats
        done = 0  # bytes written or dropped, still counted in queued_bytes
        try:
            while True:
                stream = self.stream
                if stream is None:
                    # Closed, or a client between connections: packets stay queued.
                    with lock:
                        self._write_active = False
                    return
                remain = self._wremain
                if remain is not None:
                    if self._wremain_stream is not stream:
                        # The rest of a packet begun on a stream that is gone.
                        done += len(remain)
                        stats.send_dropped += 1
                        sent = len(remain)
                        self._wremain_events = []
                    else:
                        try:
                            sent = self._send(stream, remain)
                        except OSError as error:
                            done += len(remain)
                            self._wremain = None
                            with lock:
                                self._write_active = False
                            self._write_failed(stream, error, len(self._wremain_events) or 1)
                            return
                        done += sent
                        stats.bytes_sent += sent
                    if sent < len(remain):
                        self._wremain = remain[sent:]
                        self._wait_writable()
                        return
                    self._wremain = None
                    events, self._wremain_events = self._wremain_events, []
                    self._signal(events)
                with lock:
                    if done:
                        self._charge_locked(-done)
                        done = 0
                    if not pending or not self.is_activated:
                        self._write_active = False
                        return
                    # Entries are (rawosc, packopt, destination) (PendingPacket or tuples).
                    batch = [pending.popleft()]
                    size = len(batch[0][0])
                    while pending and size < WRITE_CHUNK:
                        entry = pending.popleft()
                        batch.append(entry)
                        size += len(entry[0])
                data = batch[0][0] if len(batch) == 1 else b"".join(e[0] for e in batch)
                try:
                    sent = self._send(stream, data)
                except OSError as error:
                    done += len(data)
                    with lock:
                        self._write_active = False
                    self._write_failed(stream, error, len(batch))
                    return
                done += sent
                stats.sent += len(batch)
                stats.bytes_sent += sent
                events = [e[1] for e in batch if e[1] is not None and e[1].event]
                if sent < len(data):
                    self._wremain = memoryview(data)[sent:]
                    self._wremain_stream = stream
                    self._wremain_events = events
                    self._wait_writable()
                    return
                self._signal(events)
        finally:
            if done:
                with lock:
                    self._charge_locked(-done)

    def _signal(self, packopts: list[Any]) -> None:
        for packopt in packopts:
            try:
                packopt.signal_event()
            except Exception:
                self.logger.exception("OSC stream %r: failure in packet event", self.chaname)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.chaname!r} {self.role} mode={self.mode!r}>"
