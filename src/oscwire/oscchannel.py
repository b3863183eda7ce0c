"""Transport channels: the base class of every way to send and receive raw OSC packets.

``TransportChannel(name, mode, options)`` follows osc4py3 (seed doc §3.4.1): *mode* holds
``r`` (reader, an OSC server), ``w`` (writer, an OSC client) and/or ``e`` (a stream channel
waiting for connection events); *options* is a dict of the common keys documented on the
class, plus the keys of the subclass. A channel belongs to an
:class:`oscwire._runtime.OSCSystem` (option ``osc_system``, default: the default system
behind the ``as_*`` façades), which owns its name, its monitor and its dispatcher.

Subclasses (UDP in :mod:`oscwire.oscudpmc`, TCP in ``oscwire.osctcp``) implement a few
hooks, documented on each method below:

* ``open()`` / ``close()`` — acquire and release the OS resources;
* ``fileno()`` — the descriptor the monitor watches;
* ``process_monevents(deadline, oper)`` — called by the monitor with ``"r"`` (readable),
  ``"w"`` (writable) or ``"e"`` (event, e.g. a listening socket has a connection);
  the base implementation calls ``process_read_raw()``, ``handle_writable()`` and
  ``process_event()``;
* ``write_packet(rawoscdata, packopt, destination) -> bool`` — hand one packet to the OS;
* ``can_reply()`` — whether packets can be sent back to the source of a received packet.

On the read side a subclass calls :meth:`TransportChannel.received_packets` with complete
packets (datagrams) or :meth:`TransportChannel.received_data` with stream chunks (framed by
SLIP or a size header, per source, with the compiled :mod:`oscwire.framing`). Decoding and
dispatching happen later, in the system's processing stage.

Every channel keeps :class:`ChannelStats` counters in ``channel.stats``.
"""

from __future__ import annotations

import collections
import logging
import queue
import sys
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, Protocol

from oscwire import framing
from oscwire._channel_options import (
    MAX_PACKET_SIZE_WITH_HEADER,
    MAX_PENDING_WRITES,
    MAX_SOURCES_ALLOWED,
    UNSET,
    ChannelOptions,
    OSCOptionWarning,
)
from oscwire._errors import OSCFramingError
from oscwire._logutil import LogThrottle
from oscwire._monitoring import ChannelMonitor

if TYPE_CHECKING:
    from oscwire.oscnettools import DnsCache


class TimerHandle(Protocol):
    """What :meth:`ChannelHost.call_later` returns."""

    def cancel(self) -> None: ...


class ChannelHost(Protocol):
    """What a channel uses of the system that owns it (an ``OSCSystem``).

    The contract between the channel layer and the runtime above it: a channel never
    imports the runtime, it calls these.
    """

    running: bool
    #: True once terminated (until started again).
    terminated: bool
    logger: logging.Logger
    dnscache: DnsCache

    @property
    def channels(self) -> Mapping[str, Any]: ...

    def get_channel(self, name: str) -> Any: ...

    def post_rawpacket(self, rawoscdata: Any, packopt: Any) -> None:
        """Queue one raw packet received by other means (osc4py3)."""

    def raw_pending(self) -> int:
        """Raw packets read and not processed yet."""

    def take_rawpacket(self) -> Optional[tuple[Any, Any]]:
        """Take the oldest raw packet read and not processed yet, or None."""

    @property
    def monitor(self) -> Optional[ChannelMonitor]: ...

    def start(self) -> Any: ...

    def register_channel(self, channel: Any) -> None: ...

    def unregister_channel(self, channel: Any) -> None: ...

    def post_received(self, channel: Any, items: list[Any], readtime: float) -> None:
        """Queue raw packets ``(raw, srcident, srcaddress)`` for decoding and dispatching."""

    def send_packet(self, packet: Any, names: Any, packopt: Any = None) -> int: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Call *callback* in about *delay* seconds, from the loop running the I/O."""

    def linger(self, channel: Any, seconds: float, finish: Callable[[], None]) -> None: ...


__all__ = [
    "LAST_RAWPACKET",
    "MAX_PACKET_SIZE_WITH_HEADER",
    "MAX_PENDING_WRITES",
    "MAX_SOURCES_ALLOWED",
    "SCHED_OWNTHREAD",
    "SCHED_POLLTHREAD",
    "SCHED_SELECTTHREAD",
    "ChannelHost",
    "ChannelOptions",
    "ChannelStats",
    "OSCOptionWarning",
    "PendingPacket",
    "ReceivedPacket",
    "TransportChannel",
    "get_channel",
    "next_rawpacket",
    "post_rawpacket",
    "received_rawpackets",
    "terminate_all_channels",
]

_LOGGER = logging.getLogger("oscwire.oscchannel")


#: osc4py3's monitor names; each selects the system's monitor here.
SCHED_SELECTTHREAD = "selectthread"
SCHED_POLLTHREAD = "pollthread"
SCHED_OWNTHREAD = "ownthread"
_SCHED_NAMES = frozenset({SCHED_SELECTTHREAD, SCHED_POLLTHREAD, SCHED_OWNTHREAD})

#: A received raw packet and its options (osc4py3 name).
ReceivedPacket = collections.namedtuple("ReceivedPacket", "rawosc packopt")
#: A packet waiting to be written: raw bytes, options (or None), destination (or None).
PendingPacket = collections.namedtuple(
    "PendingPacket", "rawosc packopt destination", defaults=(None,)
)

_MODE_CHARS = frozenset("rwe")

#: Verbs whose handler runs around lifecycle changes; a failing handler is only logged.
LIFECYCLE_VERBS = (
    "activating",
    "activated",
    "deactivating",
    "deactivated",
    "scheduling",
    "scheduled",
    "unscheduling",
    "unscheduled",
)


class ChannelStats:
    """Counters of one channel; read them as attributes or with :meth:`as_dict`.

    ``received`` packets read (datagrams or framed packets), ``bytes_received``,
    ``decoded`` packets decoded, ``bad_packets`` that failed to decode, ``framing_errors``
    on streams, ``sources_refused`` (``read_maxsources`` reached), ``recv_errors`` (OS
    errors while reading), ``dropped_received`` (processing queue full), ``handler_errors``
    (handlers that raised for packets of this channel), ``sent`` packets handed to the OS,
    ``bytes_sent``, ``send_errors`` (OS refused: EMSGSIZE, unreachable...), ``send_dropped``
    (write queue full, channel closed), ``encode_errors`` (unencodable replies),
    ``read_pauses`` (times reading was paused because the handlers fell behind).
    Counters are plain ints written by one thread each, so reads are cheap and never block.
    """

    __slots__ = (
        "bad_packets",
        "bytes_received",
        "bytes_sent",
        "decoded",
        "dropped_received",
        "encode_errors",
        "framing_errors",
        "handler_errors",
        "read_pauses",
        "received",
        "recv_errors",
        "send_dropped",
        "send_errors",
        "sent",
        "sources_refused",
    )

    bad_packets: int
    bytes_received: int
    bytes_sent: int
    decoded: int
    dropped_received: int
    encode_errors: int
    framing_errors: int
    handler_errors: int
    read_pauses: int
    received: int
    recv_errors: int
    send_dropped: int
    send_errors: int
    sent: int
    sources_refused: int

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        """A snapshot of every counter."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.as_dict().items() if v)
        return f"ChannelStats({inner})"


def _rate_limited(count: int) -> bool:
    # Log the first ten occurrences, then one in a thousand: a flood stays visible
    # without flooding the log. (Kept for callers not yet on LogThrottle.)
    return count <= 10 or count % 1000 == 0


#: The rate limit of every channel's log lines that a peer (or the network) can trigger:
#: the first occurrence of each cause in full, then counted summaries (see _logutil).
CHANNEL_LOG = LogThrottle(_LOGGER)


_default_host: Optional[Callable[[], ChannelHost]] = None


def set_default_host_provider(provider: Callable[[], ChannelHost]) -> None:
    """Tell where channels made without an ``osc_system`` option belong (the runtime
    registers its default system at import: this layer never imports the runtime)."""
    global _default_host
    _default_host = provider


def default_host() -> ChannelHost:
    """The system of channels made without an ``osc_system`` option."""
    if _default_host is None:
        raise RuntimeError("no OSC system: import oscwire (or an oscwire.as_* module) first")
    return _default_host()


class TransportChannel:
    """A way to send and/or receive OSC packets (abstract; see the module doc for hooks).

    Common options (seed doc §3.4.1; defaults in parentheses): ``auto_start`` (True: open
    and start monitoring now), ``logger`` (the ``oscwire.oscchannel`` logger),
    ``actions_handlers`` ({} — verb to callable or OSC address prefix, see
    :meth:`handle_action`), ``monitor`` (the system's monitor; an osc4py3 ``SCHED_*`` name
    selects it too; None: no monitor, call :meth:`process_monevents` yourself),
    ``monitor_terminate`` (False), ``read_forceident`` (None: map source address or host to
    the identification to use), ``read_dnsident`` (True: allow DNS-cache identification
    when the transport asks for it, e.g. ``udpread_identusedns``), ``read_datagram``
    (False: on a stream, take each chunk as one packet), ``read_maxsources`` (500, 0: no
    limit), ``read_withslip`` (False), ``read_withheader`` (False), ``read_headerunpack``
    (``("!I", 4, 0)`` or a callable), ``read_headermaxdatasize`` (1 MiB, 0: no limit),
    ``write_workqueue`` (None: write from the sending thread), ``write_wqterminate``
    (False), ``write_withslip`` (False), ``write_slip_flagatstart`` (True),
    ``write_withheader`` (False), ``write_maxpending`` (65536 queued packets; more are
    dropped and counted), ``oob`` (None: codec options used to encode and decode this
    channel's packets), and the processing options of
    :class:`~oscwire.oscpacketoptions.PacketOptions` (``honor_timetag``,
    ``forget_oldmsg``, ``timetag_offset``, ``check_subbundle_timetag``) applied to the
    packets it receives. ``osc_system`` picks the owning system.
    """

    #: Kind prefix in the OSC addresses of action messages ("udpmc", "tcp"...).
    chankindprefix = "chan"
    #: The options this kind of channel takes (a frozen dataclass, parsed once).
    options_class: ClassVar[type[ChannelOptions]] = ChannelOptions
    #: Further option keys a subclass reads itself (not warned about).
    option_keys: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def extra_option_keys(cls) -> frozenset[str]:
        """The keys this class reads beyond :attr:`options_class`'s (:attr:`option_keys`;
        a subclass may compute them, e.g. from a prefix)."""
        return cls.option_keys

    def __init__(self, name: str, mode: str, options: Optional[dict[str, Any]] = None) -> None:
        options = dict(options or {})
        if not isinstance(name, str) or not name:
            raise ValueError(f"OSC channel name must be a non-empty str, not {name!r}")
        if name.startswith("_"):
            raise ValueError(f"OSC channel name {name!r} beginning with _ is reserved")
        if not mode or not set(mode) <= _MODE_CHARS:
            raise ValueError(f"OSC channel mode must combine 'r', 'w', 'e', not {mode!r}")
        #: The options, parsed once (the dict is osc4py3's input form).
        self.options = self.options_class.parse(
            options,
            name,
            extra_keys=type(self).extra_option_keys(),
            strict=type(self).__module__.startswith("oscwire."),
        )
        opts = self.options
        system = opts.osc_system
        if system is None:
            system = default_host()
        if not system.running:
            if system.terminated:
                # Made while (or after) its system terminated: it would restart it.
                raise RuntimeError(
                    f"OSC channel {name!r}: its system was terminated (osc_terminate()); "
                    "start it again first (osc_startup(), or system.start())"
                )
            # osc4py3 programs may build channels before osc_startup(): start the system.
            system.start()
        self.system: ChannelHost = system
        self.chaname = name
        self.mode = mode
        self.logger: logging.Logger = opts.logger or system.logger or _LOGGER
        self.actions_handlers: dict[str, Any] = dict(opts.actions_handlers or {})
        self.oob: Optional[dict[str, Any]] = opts.oob
        monitor = opts.monitor
        if monitor is UNSET or (isinstance(monitor, str) and monitor in _SCHED_NAMES):
            monitor = system.monitor
        #: The monitor this channel registers with (None: the program serves it).
        self.monitor: Optional[ChannelMonitor] = monitor
        self.monitor_terminate: bool = opts.monitor_terminate
        self.monitored_writing = False
        #: Called once, with the channel, when it has ended: terminated, or a client's
        #: connection lost for good (for whoever must know that nothing more will be read:
        #: an object API client's waiting queries).
        self.on_ended: Optional[Callable[[TransportChannel], None]] = None
        #: True while the system is congested: the socket is not watched for reading, so
        #: a TCP peer is slowed down by TCP's own flow control (UDP: the kernel drops).
        self.reading_paused = False
        self.is_reader = "r" in mode
        self.is_writer = "w" in mode
        self.is_event = "e" in mode
        self.is_activated = False
        self.is_scheduled = False
        self.is_terminated = False
        self.stats = ChannelStats()
        #: Processing options set on the PacketOptions of every packet read here.
        self.packopt_overrides: Optional[dict[str, Any]] = opts.processing()
        # Write state exists for every channel: readers can send replies.
        # Entries are PendingPacket(rawosc, packopt, destination) or plain 3-tuples (the
        # batched fast path appends those: cheaper to build).
        self.write_pending: collections.deque[tuple[Any, Any, Any]] = collections.deque()
        self.write_lock = threading.Lock()
        self.write_maxpending: int = opts.write_maxpending
        self.write_workqueue = opts.write_workqueue
        self.write_wqterminate: bool = opts.write_wqterminate
        self.write_withslip = False
        self.write_slip_flagatstart = True
        self.write_withheader = False
        self._write_active = False
        #: osc4py3's packet being written by start_write_packet() (its transports only).
        self.write_running: Optional[PendingPacket] = None
        self._decoders: Optional[dict[Any, Any]] = None
        if self.is_reader:
            self.setup_reader_options(options)
        if self.is_writer:
            self.setup_writer_options(options)
        if self.is_event:
            self.setup_event_options(options)
        system.register_channel(self)
        if opts.auto_start:
            try:
                self.activate()
                self.begin_scheduling()
            except BaseException:
                self.terminate()
                raise

    # ----- options ---------------------------------------------------------------------
    def setup_reader_options(self, options: dict[str, Any]) -> None:
        """Set the ``read_*`` attributes from :attr:`options` (osc4py3's hook: subclasses
        extend it and call the parent; *options* is the dict the channel was made with)."""
        opts = self.options
        self.read_forceident: Optional[Mapping[Any, Any]] = opts.read_forceident
        self.read_dnsident: bool = opts.read_dnsident
        self.read_datagram: bool = opts.read_datagram
        self.read_maxsources: int = opts.read_maxsources
        self.read_buffersize: int = opts.read_buffersize
        self.read_withslip: bool = opts.read_withslip
        self.read_withheader: bool = opts.read_withheader
        self.read_headerunpack: Any = opts.read_headerunpack
        self.read_headermaxdatasize: int = opts.read_headermaxdatasize
        if self.read_withslip and self.read_withheader:
            raise ValueError(f"OSC channel {self.chaname!r}: read_withslip and read_withheader")

    def setup_writer_options(self, options: dict[str, Any]) -> None:
        """Set the ``write_*`` attributes from :attr:`options` (osc4py3's hook)."""
        opts = self.options
        self.write_withslip = opts.write_withslip
        self.write_slip_flagatstart = opts.write_slip_flagatstart
        self.write_withheader = opts.write_withheader
        if self.write_withslip and self.write_withheader:
            raise ValueError(f"OSC channel {self.chaname!r}: write_withslip and write_withheader")

    def setup_event_options(self, options: dict[str, Any]) -> None:
        """Read the options of event ('e') channels (nothing in the base class)."""

    # ----- actions ---------------------------------------------------------------------
    def oscidentifier(self) -> str:
        """The channel as OSC address parts: ``/<chankindprefix>/<name>``."""
        return "/" + self.chankindprefix + "/" + self.chaname

    def handle_action(self, verb: str, parameters: tuple[Any, ...]) -> Any:
        """Run the handler of *verb* in ``actions_handlers``, if any, and return its result.

        A callable is called as ``handler(channel_name, verb, parameters)`` and its result
        returned (exceptions propagate to the caller, which decides: lifecycle verbs only log
        them, ``encodepacket``/``decodepacket`` drop the packet, ``conreq`` refuses the
        connection). A str is an OSC address prefix: the message
        ``<str>/<kind>/<name>/<verb>`` with arguments ``(name, verb, parameters)`` is
        dispatched locally (``"_local"``) and None is returned.
        """
        handler = self.actions_handlers.get(verb)
        if handler is None:
            return None
        if isinstance(handler, str):
            from oscwire.oscbuildparse import OSCMessage

            address = handler + self.oscidentifier() + "/" + verb
            message = OSCMessage(address, None, (self.chaname, verb, tuple(parameters)))
            self.system.send_packet(message, "_local")
            return None
        if callable(handler):
            return handler(self.chaname, verb, parameters)
        raise ValueError(f"OSC channel {self.chaname!r}: unusable handler for {verb!r}")

    def _lifecycle(self, verb: str, parameters: tuple[Any, ...] = ()) -> None:
        try:
            self.handle_action(verb, parameters)
        except Exception:
            self.logger.exception(
                "OSC channel %r: failure in %r action handler", self.chaname, verb
            )

    # ----- lifecycle -------------------------------------------------------------------
    def activate(self) -> None:
        """Open the channel (``activating``, ``open()``, ``activated``)."""
        if self.is_activated:
            return
        self._lifecycle("activating")
        self.open()
        self.is_activated = True
        self._lifecycle("activated")
        self.logger.debug("OSC channel %r activated", self.chaname)

    def deactivate(self) -> None:
        """Close the channel (``deactivating``, ``close()``, ``deactivated``)."""
        if not self.is_activated:
            return
        if self.is_scheduled:
            self.end_scheduling()
        self._lifecycle("deactivating")
        try:
            self.close()
        except Exception:
            self.logger.exception("OSC channel %r: failure while closing", self.chaname)
        self.is_activated = False
        self._lifecycle("deactivated")
        self.logger.debug("OSC channel %r deactivated", self.chaname)

    def begin_scheduling(self) -> None:
        """Start monitoring the channel (``scheduling``, monitor registration, ``scheduled``)."""
        if self.is_scheduled:
            return
        if not self.is_activated:
            raise RuntimeError(f"OSC channel {self.chaname!r} must be activated first")
        self._lifecycle("scheduling")
        if self.monitor is not None:
            fileno, rwe = self.calc_monitoring_fileno_flags()
            if rwe and fileno is not None:
                self.monitor.add_monitoring(fileno, self, rwe)
            elif rwe and self.polled:
                self.monitor.add_polling(self, rwe)
        self.is_scheduled = True
        self._lifecycle("scheduled")

    def end_scheduling(self) -> None:
        """Stop monitoring the channel (``unscheduling``, unregistration, ``unscheduled``)."""
        if not self.is_scheduled:
            return
        self._lifecycle("unscheduling")
        if self.monitor is not None:
            fileno = self.fileno()
            if fileno is not None:
                self.monitor.remove_monitoring(fileno, self, "rwe")
            elif self.polled:
                self.monitor.remove_polling(self, "rwe")
        self.monitored_writing = False
        self.is_scheduled = False
        self._lifecycle("unscheduled")

    def terminate(self) -> None:
        """End of life: stop monitoring, close, forget pending writes, leave the system."""
        if self.is_terminated:
            return
        self.is_terminated = True
        if self.write_wqterminate and self.write_workqueue is not None:
            try:
                self.write_workqueue.terminate()
            except Exception:
                self.logger.exception("OSC channel %r: write workqueue termination", self.chaname)
        try:
            self.end_scheduling()
        finally:
            if self.monitor_terminate and self.monitor is not None:
                if self.monitor is self.system.monitor:
                    # Other channels share it: it ends with the system, not with us.
                    self.logger.info(
                        "OSC channel %r: monitor_terminate ignored for the system's monitor",
                        self.chaname,
                    )
                else:
                    self.monitor.terminate()
            self.deactivate()
            with self.write_lock:
                dropped = len(self.write_pending)
                self.write_pending.clear()
            if dropped:
                self.stats.send_dropped += dropped
                self.logger.info(
                    "OSC channel %r terminated with %d unsent packets", self.chaname, dropped
                )
            self.system.unregister_channel(self)
            self.notify_ended()

    def notify_ended(self) -> None:
        """Nothing more will be read nor written: call :attr:`on_ended` (once)."""
        callback, self.on_ended = self.on_ended, None
        if callback is not None:
            try:
                callback(self)
            except Exception:
                self.logger.exception("OSC channel %r: on_ended failed", self.chaname)

    def calc_monitoring_fileno_flags(self) -> tuple[Optional[int], str]:
        """``(fileno, flags)`` to register: ``r`` for readers (and repliers), ``e`` for events."""
        reads = self.is_reader and not self.reading_paused
        flags = ("r" if reads else "") + ("e" if self.is_event else "")
        if self.monitored_writing:
            flags += "w"
        return self.fileno(), flags

    def move_to_monitor(self, monitor: Optional[ChannelMonitor]) -> None:
        """Register with *monitor* instead of the current one (the system changed policy)."""
        if self.monitor is monitor:
            return
        scheduled = self.is_scheduled
        if scheduled:
            self.end_scheduling()
        self.monitor = monitor
        self.reading_paused = False
        if scheduled and not self.is_terminated:
            self.begin_scheduling()

    def log_limited(self, level: int, kind: str, label: str, msg: str, *args: Any) -> None:
        """Log a line a peer or the network can trigger, rate-limited per channel and
        *kind* (:data:`CHANNEL_LOG`): the first in full, then counted summaries."""
        CHANNEL_LOG.log(
            level,
            (self.chaname, kind),
            f"{label} on channel {self.chaname!r}",
            msg,
            *args,
            logger=self.logger,
        )

    def log_send_failure(self, size: int, destination: Any, error: BaseException) -> None:
        """Log (rate-limited) a packet of *size* bytes the OS refused, which was dropped."""
        self.log_limited(
            logging.WARNING,
            "send",
            "failed sends",
            "OSC channel %r: send of %d bytes to %s failed, packet dropped: %s",
            self.chaname,
            size,
            repr(destination) if destination is not None else self.peer_description(),
            error,
        )

    def stats_dict(self) -> dict[str, Any]:
        """The counters of this channel (what ``osc_stats(name)`` returns)."""
        return self.stats.as_dict()

    # ----- hooks for subclasses --------------------------------------------------------
    def open(self) -> None:
        """Hook: acquire the OS resources (sockets...). Raise to fail the activation."""

    def close(self) -> None:
        """Hook: release the OS resources; called once, errors are logged."""

    def fileno(self) -> Optional[int]:
        """Hook: the descriptor to monitor, or None."""
        return None

    def can_reply(self) -> bool:
        """Hook: True when :meth:`reply_packet` can reach the source of received packets."""
        return False

    def process_monevents(self, deadlinetime: Any, oper: str) -> None:
        """Called by the monitor: ``r`` readable, ``w`` writable, ``e`` event.

        Dispatches to :meth:`process_read_raw`, :meth:`handle_writable` and
        :meth:`process_event`; subclasses usually override those three instead.
        """
        if "r" in oper:
            self.process_read_raw(deadlinetime)
        if "e" in oper:
            self.process_event()
        if "w" in oper:
            self.handle_writable()

    def process_read_raw(self, deadlinetime: Optional[float] = None) -> None:
        """Hook: read what is available (bounded) and pass it to :meth:`received_packets`.

        *deadlinetime* is osc4py3's: a time not to pass over (None: none, 0: return soon).
        """

    def poll_monitor(self, deadlinetime: Optional[float], rwe: str) -> str:
        """Hook of channels without a file descriptor (osc4py3): return which of the
        flags in *rwe* (``r``, ``w``, ``e``) are ready now. A channel that overrides it is
        polled by its monitor every few milliseconds."""
        raise NotImplementedError("poll_monitor must be overridden to poll a channel")

    @property
    def polled(self) -> bool:
        """True for a channel its monitor polls (it overrides :meth:`poll_monitor`)."""
        return type(self).poll_monitor is not TransportChannel.poll_monitor

    def process_event(self) -> None:
        """Hook: handle an event on an 'e' channel (a stream server accepts here)."""

    def write_packet(self, rawoscdata: Any, packopt: Any, destination: Any) -> bool:
        """Hook: hand one packet to the OS, without blocking.

        Return True when the packet is gone (fully written), False when the OS would block:
        the base class keeps the packet at the head of the queue, watches for writability
        and calls again. A stream subclass that wrote part of the packet keeps its own
        offset and returns False until the rest is written. Raise :class:`OSError` for a
        failure: the base class logs it, counts it in ``send_errors`` and drops that packet
        only. *destination* is None for the channel's own peer, else a socket address
        (replies).
        """
        raise NotImplementedError("write_packet must be overridden")

    # ----- reading ---------------------------------------------------------------------
    def identify(self, address: Any) -> Any:
        """The source identification of a peer *address* (``read_forceident`` applies)."""
        forced = self.read_forceident
        if forced:
            if address in forced:
                return forced[address]
            host = address[0] if isinstance(address, tuple) and address else address
            if host in forced:
                return forced[host]
        return address

    def count_bad_packet(self) -> None:
        """The receive path could not decode a packet read by this channel: count it.

        A hook: a stream connection also drops a peer that sends nothing but garbage.
        """
        self.stats.bad_packets += 1

    def received_packet(
        self, sourceidentifier: Any, rawoscdata: Any, srcaddress: Any = None
    ) -> None:
        """Called by subclasses with one complete raw packet (osc4py3 name)."""
        self.received_packets([(rawoscdata, sourceidentifier, srcaddress)])

    def received_packets(self, items: list[tuple[Any, Any, Any]]) -> None:
        """Called by subclasses with complete packets ``(raw, srcident, srcaddress)``.

        They are queued, as one batch, for decoding and dispatching by the system.
        """
        self.stats.received += len(items)
        self.system.post_received(self, items, time.time())

    def _stream_decoder(self) -> Any:
        maxsize = self.read_headermaxdatasize
        if self.read_withslip:
            return framing.make_stream_decoder("slip", max_packet_size=maxsize)
        if self.read_withheader:
            return framing.make_stream_decoder(
                "size", header=self.read_headerunpack, max_packet_size=maxsize
            )
        return framing.make_stream_decoder("auto", max_packet_size=maxsize)

    def received_data(self, identifier: Any, data: Any, srcaddress: Any = None) -> None:
        """Called by subclasses with a chunk of stream data from source *identifier*.

        Complete packets are cut out with SLIP (``read_withslip``), a size header
        (``read_withheader``, ``read_headerunpack``, ``read_headermaxdatasize``) or, when
        neither is set, the framing detected from the first bytes; with ``read_datagram``
        and no framing, the chunk is one packet. Partial data is kept per source, for at
        most ``read_maxsources`` sources. A framing error is logged, counted and raised
        (:class:`OSCFramingError`, a ValueError, as osc4py3 raises) after the complete
        packets before it were queued; the decoder resynchronises.
        """
        if self.read_datagram and not (self.read_withslip or self.read_withheader):
            self.received_packets([(data, identifier, srcaddress)])
            return
        decoders = self._decoders
        if decoders is None:
            decoders = self._decoders = {}
        decoder = decoders.get(identifier)
        if decoder is None:
            if self.read_maxsources and len(decoders) >= self.read_maxsources:
                self.stats.sources_refused += 1
                self.log_limited(
                    logging.WARNING,
                    "sources",
                    "refusals of sources over read_maxsources",
                    "OSC channel %r: %d sources with partial data, data from %r refused",
                    self.chaname,
                    len(decoders),
                    identifier,
                )
                return
            decoder = decoders[identifier] = self._stream_decoder()
        try:
            packets = decoder.feed(data)
        except OSCFramingError as error:
            packets = error.packets
            self.stats.framing_errors += 1
            self.log_limited(
                logging.WARNING,
                "framing",
                "framing errors",
                "OSC channel %r: framing error from %r: %s",
                self.chaname,
                identifier,
                error,
            )
            failure: Optional[OSCFramingError] = error
        else:
            failure = None
        if decoder.idle:
            # Between packets: release the slot so that read_maxsources counts live partials.
            # (A decoder skipping an oversize packet has nothing buffered but must be kept.)
            del decoders[identifier]
        if packets:
            self.received_packets([(p, identifier, srcaddress) for p in packets])
        if failure is not None:
            # Counted and logged; raised too, as osc4py3's received_data raises for a bad
            # header (a transport sees it; the packets before it were kept).
            raise failure

    @property
    def read_buffers(self) -> Optional[dict[Any, Any]]:
        """osc4py3's per-source partial data: the stream decoders of the sources with
        data buffered (None until stream data came)."""
        return self._decoders

    def forget_source(self, identifier: Any) -> None:
        """Drop the partial data buffered for *identifier* (a stream closed)."""
        if self._decoders:
            self._decoders.pop(identifier, None)

    # ----- writing ---------------------------------------------------------------------
    def frame_outgoing(self, rawoscdata: Any) -> Any:
        """Apply the write framing options (SLIP or size header) to one raw packet."""
        if self.write_withslip:
            return framing.slip_encode(rawoscdata, self.write_slip_flagatstart)
        if self.write_withheader:
            return framing.size_prefix(rawoscdata)
        return rawoscdata

    def send_immediately(self, rawoscdata: Any) -> bool:
        """Write one raw packet now if the transport can without queueing; False when it
        must go through :meth:`transmit_data` (the base class never writes directly)."""
        return False

    def batch_queue(self) -> Optional[tuple[Any, int]]:
        """``(queue, limit)`` while a batching sender may append to the write queue
        directly (see :meth:`oscwire.oscdistributing.Distributor.batched`); None here."""
        return None

    def queue_packet(self, rawoscdata: Any) -> bool:
        """Queue one raw packet during a batch (the base class just sends it)."""
        return self.transmit_data(rawoscdata)

    def flush_batch(self) -> None:
        """Send what a batching sender queued (nothing in the base class)."""

    def transmit_data(self, rawoscdata: Any, packopt: Any = None, destination: Any = None) -> bool:
        """Queue a raw packet for writing and write what can be written now.

        With ``packopt.nodelay`` the packet goes to the head of the queue. Returns False
        when the packet was dropped (channel terminated, queue full), which is logged and
        counted in ``send_dropped``.
        """
        if self.write_withslip or self.write_withheader:
            rawoscdata = self.frame_outgoing(rawoscdata)
        entry = PendingPacket(rawoscdata, packopt, destination)
        with self.write_lock:
            if self.is_terminated or not self.is_activated:
                self.stats.send_dropped += 1
                self.log_limited(
                    logging.WARNING,
                    "closed",
                    "packets dropped on a closed channel",
                    "OSC channel %r is closed: packet dropped",
                    self.chaname,
                )
                return False
            pending = self.write_pending
            if len(pending) >= self.write_maxpending:
                self.stats.send_dropped += 1
                self.log_limited(
                    logging.WARNING,
                    "full",
                    "packets dropped on a full write queue",
                    "OSC channel %r: %d packets waiting, packet dropped",
                    self.chaname,
                    len(pending),
                )
                return False
            if packopt is not None and packopt.nodelay:
                pending.appendleft(entry)
            else:
                pending.append(entry)
            if self._write_active:
                return True
            self._write_active = True
        self._start_writing()
        return True

    def schedule_write_packet(self) -> None:
        """Start a write operation when packets wait and none is running (osc4py3 name)."""
        with self.write_lock:
            if self._write_active or not self.write_pending:
                return
            self._write_active = True
        self._start_writing()

    def _start_writing(self) -> None:
        workqueue = self.write_workqueue
        if workqueue is None:
            self.write_operation()
        elif not workqueue.offer_job(self.write_operation):
            with self.write_lock:
                self._write_active = False

    @property
    def _osc4py3_writer(self) -> bool:
        # A transport written for osc4py3 writes in start_write_packet() and calls
        # packet_written() when the packet is gone.
        return type(self).start_write_packet is not TransportChannel.start_write_packet

    def start_write_packet(self) -> None:
        """osc4py3's write hook: write ``self.write_running.rawosc`` and call
        :meth:`packet_written` once it is gone (now, or later from :meth:`process_monevents`
        with ``"w"``). Channels written for oscwire implement :meth:`write_packet`."""
        raise NotImplementedError("start_write_packet must be overridden")

    def packet_written(self) -> None:
        """osc4py3's notification that the packet in ``write_running`` is written: count it,
        signal its event, and start the next one."""
        with self.write_lock:
            entry = self.write_running
            self.write_running = None
        if entry is None:
            self.logger.warning(
                "OSC channel %r: packet_written() with no packet running", self.chaname
            )
            return
        self.stats.sent += 1
        self.stats.bytes_sent += len(entry.rawosc)
        packopt = entry.packopt
        if packopt is not None and packopt.event is not None:
            try:
                packopt.signal_event()
            except Exception:
                self.logger.exception("OSC channel %r: failure in packet event", self.chaname)
        self._osc4py3_next()

    def _osc4py3_next(self) -> None:
        # Start the next packet of an osc4py3-style transport, or end the write operation.
        with self.write_lock:
            if self.write_running is not None:
                return
            if not self.write_pending or not self.is_activated:
                self._write_active = False
                entry = None
            else:
                entry = self.write_running = PendingPacket(*self.write_pending.popleft())
        if entry is None:
            self.enable_write_monitoring(False)
            return
        try:
            self.start_write_packet()
        except Exception as error:
            with self.write_lock:
                self.write_running = None
            self.stats.send_errors += 1
            self.logger.warning(
                "OSC channel %r: start_write_packet failed, packet dropped: %s", self.chaname, error
            )
            self._osc4py3_next()
            return
        if self.write_running is not None:
            self.enable_write_monitoring(True)

    def write_operation(self) -> None:
        """Write queued packets until the queue is empty or the OS would block.

        Only one write operation runs per channel at a time, which keeps packets in order
        whatever thread sends them.
        """
        if self._osc4py3_writer:
            self._osc4py3_next()
            return
        pending = self.write_pending
        lock = self.write_lock
        stats = self.stats
        write = self.write_packet
        while True:
            with lock:
                if not pending or not self.is_activated:
                    self._write_active = False
                    return
                entry = pending.popleft()
            rawoscdata, packopt, destination = entry
            try:
                done = write(rawoscdata, packopt, destination)
            except OSError as error:
                stats.send_errors += 1
                self.log_send_failure(len(rawoscdata), destination, error)
                done = True
            except Exception:
                stats.send_errors += 1
                self.logger.exception(
                    "OSC channel %r: failure in write, packet dropped", self.chaname
                )
                done = True
            else:
                if done:
                    stats.sent += 1
                    stats.bytes_sent += len(rawoscdata)
            if not done:
                with lock:
                    pending.appendleft(entry)
                self._wait_writable()
                return
            if packopt is not None and packopt.event is not None:
                try:
                    packopt.signal_event()
                except Exception:
                    self.logger.exception("OSC channel %r: failure in packet event", self.chaname)

    def _wait_writable(self) -> None:
        """The socket would block: resume the write operation when it becomes writable."""
        if self.monitor is None:
            # Nobody tells us when it is writable: the next send resumes (never spin).
            with self.write_lock:
                self._write_active = False
            return
        self.enable_write_monitoring(True)

    def handle_writable(self) -> None:
        """The monitor saw the channel writable: resume the write operation."""
        if self._osc4py3_writer:
            # An osc4py3 transport finishes its write in its own process_monevents.
            return
        self.enable_write_monitoring(False)
        self._start_writing()

    def pause_reading(self) -> bool:
        """Stop watching the socket for reading (backpressure); True if it was watched."""
        if self.reading_paused or self.monitor is None or not self.is_scheduled:
            return False
        fileno = self.fileno()
        if fileno is None:
            return False
        self.reading_paused = True
        self.stats.read_pauses += 1
        self.monitor.remove_monitoring(fileno, self, "r")
        return True

    def resume_reading(self) -> None:
        """Watch the socket for reading again after :meth:`pause_reading`."""
        if not self.reading_paused:
            return
        self.reading_paused = False
        fileno = self.fileno()
        if fileno is None or self.monitor is None or not self.is_scheduled:
            return
        try:
            self.monitor.add_monitoring(fileno, self, "r")
        except (RuntimeError, OSError, ValueError) as error:  # closed or terminated meanwhile
            self.logger.debug("OSC channel %r: cannot resume reading: %s", self.chaname, error)

    def enable_write_monitoring(self, enable: bool) -> None:
        """Watch (or stop watching) the channel for writability."""
        if self.monitor is None or enable == self.monitored_writing:
            return
        fileno = self.fileno()
        if fileno is None:
            if not self.polled:
                return
            self.monitored_writing = enable
            if enable:
                self.monitor.add_polling(self, "w")
            else:
                self.monitor.remove_polling(self, "w")
            return
        self.monitored_writing = enable
        if enable:
            self.monitor.add_monitoring(fileno, self, "w")
        else:
            self.monitor.remove_monitoring(fileno, self, "w")

    def peer_description(self) -> str:
        """Where packets written without destination go (for log lines)."""
        return "peer"

    def reply_packet(self, packet: Any, destination: Any) -> bool:
        """Encode *packet* and send it to *destination* through this channel's socket."""
        if not self.can_reply():
            self.logger.warning("OSC channel %r cannot send replies", self.chaname)
            self.stats.send_dropped += 1
            return False
        from oscwire.oscbuildparse import encode_packet

        try:
            raw = encode_packet(packet, self.oob)
        except Exception as error:
            self.stats.encode_errors += 1
            self.logger.warning("OSC channel %r: reply not encodable: %s", self.chaname, error)
            return False
        return self.transmit_data(raw, None, destination)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.chaname!r} mode={self.mode!r}>"


#: Signature of a decodepacket/encodepacket action handler.
ActionHandler = Callable[[str, str, tuple[Any, ...]], Any]


# ----- osc4py3's module-level functions, on the default system ---------------------------
#: osc4py3's end marker of its queue of raw received packets (kept for its programs).
LAST_RAWPACKET = ReceivedPacket(None, None)


def get_channel(name: str) -> Optional[TransportChannel]:
    """The channel called *name* in the default system, or None (osc4py3 API)."""
    channel: Optional[TransportChannel] = default_host().get_channel(name)
    return channel


def terminate_all_channels() -> None:
    """Terminate every channel of the default system (osc4py3 API)."""
    for channel in list(default_host().channels.values()):
        channel.terminate()


def post_rawpacket(receivedpacket: ReceivedPacket) -> None:
    """Decode and dispatch a raw packet received by other means (osc4py3 API):
    ``ReceivedPacket(rawosc, packopt)``, *packopt* saying where it came from."""
    rawosc, packopt = receivedpacket
    default_host().post_rawpacket(rawosc, packopt)


def next_rawpacket(timeout: Optional[float]) -> Optional[ReceivedPacket]:
    """Take the oldest raw packet the default system's channels read and did not process
    yet, ``ReceivedPacket(rawosc, packopt)``, waiting up to *timeout* seconds (0: do not
    wait; None: up to 10 s at a time) for one; None when there is none (osc4py3 API).

    The program then processes it itself: the system will not. In the thread policies
    the system's own thread takes what is read first; this is for programs that read
    channels by hand, as osc4py3's tests do.
    """
    host = default_host()
    deadline = time.monotonic() + (10.0 if timeout is None else max(0.0, timeout))
    while True:
        taken = host.take_rawpacket()
        if taken is not None:
            return ReceivedPacket(*taken)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.002)


class RawPacketsQueue:
    """osc4py3's ``received_rawpackets`` queue, as a view of the default system's packets
    read and not processed yet (``qsize``, ``empty``, ``get``, ``get_nowait``, ``put``)."""

    def qsize(self) -> int:
        return default_host().raw_pending()

    def empty(self) -> bool:
        return self.qsize() == 0

    def get(self, block: bool = True, timeout: Optional[float] = None) -> ReceivedPacket:
        packet = next_rawpacket(timeout if block else 0)
        if packet is None:
            raise queue.Empty
        return packet

    def get_nowait(self) -> ReceivedPacket:
        return self.get(False)

    def put(
        self, item: ReceivedPacket, block: bool = True, timeout: Optional[float] = None
    ) -> None:
        post_rawpacket(item)

    def task_done(self) -> None:
        """Nothing to count (osc4py3 API)."""


#: osc4py3's queue of raw received packets, on the default system.
received_rawpackets = RawPacketsQueue()


def __getattr__(name: str) -> Any:
    # osc4py3's module globals, as views of the default system.
    if name == "all_channels":
        return default_host().channels
    if name == "all_channels_peers":
        return {}
    if name == "oscdispatching":
        # osc4py3 imported its dispatching module here on first use (to avoid an import
        # cycle). Importing the package has loaded oscwire's already; looking it up keeps
        # this layer from importing the one above it.
        return sys.modules.get("oscwire.oscdispatching")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
