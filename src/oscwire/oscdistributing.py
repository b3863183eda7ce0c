"""Distribution: the send side — encode packets and hand them to the channels named.

A :class:`Distributor` takes a message or bundle and channel *names* — a str, or a list,
set or tuple of them (nested containers are flattened) — plus the reserved names
``"_local"`` (dispatch in this process, no network) and ``"_all"`` (every writer channel).
The packet is encoded once per distinct codec ``oob`` of the target channels, then written
at once when the socket takes it or queued on each channel; the ``encodepacket`` action
handler of a channel may take over (seed doc §3.6.1).

Errors a program makes are raised to it, at the call: a packet that cannot be encoded
raises its :class:`~oscwire.oscbuildparse.OSCInvalidDataError`, an unknown channel name
raises :class:`~oscwire._errors.OSCUnknownChannelError` listing the known names — before
anything is sent. Both are also counted (``encode_errors``, ``unknown_targets``). A system
started with ``raise_send_errors=False`` logs and counts them instead (osc4py3's way).

:meth:`Distributor.batched` holds a thread's sends so that they leave together (one
``sendmmsg`` per UDP channel on Linux). :func:`send_packet` is osc4py3's module-level
function, on the default system.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol

from oscwire import oscbuildparse, oscchannel
from oscwire._errors import OSCError, OSCInvalidDataError, OSCUnknownChannelError
from oscwire._logutil import LogThrottle
from oscwire._unsupported import UnsupportedValue, unsupported
from oscwire.oscpacketoptions import PacketOptions

if TYPE_CHECKING:
    from oscwire.oscchannel import TransportChannel

__all__ = [
    "MAX_NAMES_DEPTH",
    "RESERVED_NAMES",
    "Distributor",
    "flat_names",
    "ordered_names",
    "send_packet",
]

_LOGGER = logging.getLogger("oscwire.oscdistributing")

#: Names that no channel can take.
RESERVED_NAMES = frozenset({"_all", "_local"})
#: How deep nested name containers may go.
MAX_NAMES_DEPTH = 16


def flat_names(names: Any, _out: Optional[set[str]] = None) -> set[str]:
    """The set of channel names in a str or nested containers of str (osc4py3 API); with
    *_out* (osc4py3's accumulator), the names are added to that set, which is returned."""
    found = set(ordered_names(names))
    if _out is None:
        return found
    _out.update(found)
    return _out


def ordered_names(names: Any, _out: Optional[dict[str, None]] = None, _depth: int = 0) -> list[str]:
    """Flatten a str or nested containers of str into a list of unique names, in order."""
    out: dict[str, None] = {} if _out is None else _out
    if isinstance(names, str):
        out[names] = None
    elif _depth >= MAX_NAMES_DEPTH:
        raise ValueError("OSC channel names nested too deep")
    else:
        for name in names:
            if isinstance(name, str):
                out[name] = None
            else:
                ordered_names(name, out, _depth + 1)
    return list(out)


class SendCounters(Protocol):
    """The counters a distributor adds to."""

    encode_errors: int
    unknown_targets: int


class DistributorHost(Protocol):
    """What a distributor uses of its system."""

    logger: logging.Logger
    raise_send_errors: bool

    @property
    def stats(self) -> SendCounters: ...

    @property
    def channels(self) -> Mapping[str, TransportChannel]: ...

    def deliver_local(self, packet: Any, packopt: PacketOptions) -> None:
        """Dispatch *packet* in this process (the ``"_local"`` name)."""


class _BatchState(threading.local):
    """Per-thread state of :meth:`Distributor.batched`."""

    #: Channels this thread queued on in its open batch, each with what
    #: ``batch_queue()`` returned; None outside a batch. A class default, so that reading
    #: it in a thread that never batched costs no AttributeError.
    channels: Optional[dict[Any, Any]] = None


class Distributor:
    """Encodes packets and hands them to the channels of one system (see the module doc)."""

    def __init__(self, host: DistributorHost) -> None:
        self.host = host
        #: Threads inside :meth:`batched` (a cheap test before the thread-local one).
        self.batching = 0
        self.batch_local = _BatchState()
        self._lock = threading.Lock()
        self._throttle = LogThrottle(host.logger)

    # ----- sending ---------------------------------------------------------------------
    def send(self, packet: Any, names: Any, packopt: Optional[PacketOptions] = None) -> int:
        """Send *packet* to the channels *names*; return how many took it.

        Raises (see the module doc) for an unencodable packet or an unknown name, unless
        the system logs them instead.
        """
        host = self.host
        # Fast path: one plain channel name.
        if type(names) is str and names not in RESERVED_NAMES:
            channel = host.channels.get(names)
            if channel is not None and channel.is_writer and not channel.actions_handlers:
                try:
                    raw = oscbuildparse.encode_packet(packet, channel.oob)
                except OSCError as error:
                    return self._encode_failed(packet, error)
                if packopt is None:
                    # send_encoded(channel, raw), inlined: a call costs 5 % of this path.
                    if self.batching:
                        # Inside batched(): queue without writing.
                        queues = self.batch_local.channels
                        if queues is not None:
                            entry = queues.get(channel)
                            if entry is not None and len(entry[0]) < entry[1]:
                                entry[0].append((raw, None, None))
                                return 1
                            if self.defer_send(channel, raw):
                                return 1
                    try:
                        if channel.send_immediately(raw):
                            return 1
                    except OSCError as error:
                        return self._send_failed(error)
                return 1 if channel.transmit_data(raw, packopt) else 0
        try:
            targets = ordered_names(names)
        except (TypeError, ValueError) as error:
            return self._bad_names(names, f"bad channel names {names!r}: {error}")
        channels = host.channels
        local = "_local" in targets
        if local:
            targets.remove("_local")
        if "_all" in targets:
            targets.remove("_all")
            for name, channel in list(channels.items()):
                if channel.is_writer and name not in targets:
                    targets.append(name)
        resolved: list[TransportChannel] = []
        unknown: list[str] = []
        for name in targets:
            channel = channels.get(name)
            if channel is None or not channel.is_writer:
                unknown.append(name)
            else:
                resolved.append(channel)
        if unknown:
            return self._bad_names(names, self._unknown_text(unknown))
        # Encode first, once per distinct codec options: nothing leaves if it fails.
        encodings: dict[int, tuple[Any, list[TransportChannel]]] = {}
        hooked: list[TransportChannel] = []
        for channel in resolved:
            if "encodepacket" in channel.actions_handlers:
                hooked.append(channel)
            else:
                encodings.setdefault(id(channel.oob), (channel.oob, []))[1].append(channel)
        raws: list[tuple[Any, list[TransportChannel]]] = []
        for oob, group in encodings.values():
            try:
                raws.append((oscbuildparse.encode_packet(packet, oob), group))
            except OSCError as error:
                return self._encode_failed(packet, error)
        count = 0
        if local:
            local_opt = packopt.duplicate() if packopt is not None else PacketOptions()
            host.deliver_local(packet, local_opt)
            count += 1
        for channel in hooked:
            count += self._send_hooked(channel, packet, packopt)
        for raw, group in raws:
            for channel in group:
                opt = packopt
                if packopt is not None and len(group) > 1:
                    opt = packopt.duplicate()
                    opt.chantarget = channel.chaname
                deferred = opt is None and self.batching and self.defer_send(channel, raw)
                if deferred or channel.transmit_data(raw, opt):
                    count += 1
        return count

    def send_encoded(self, channel: TransportChannel, raw: Any) -> int:
        """Send the already encoded packet *raw* to writer *channel*; 1 when it took it.

        What :meth:`send`'s fast path does after encoding (inlined there), for callers that
        encode themselves (``oscwire.Client.send``): queued inside :meth:`batched`, else
        written at once when the socket takes it, else queued on the channel. 0 when the
        channel dropped it (closed, queue full: logged and counted by the channel); a
        refused send raises as :meth:`send` does.
        """
        if self.batching:
            # Inside batched(): queue without writing.
            queues = self.batch_local.channels
            if queues is not None:
                entry = queues.get(channel)
                if entry is not None and len(entry[0]) < entry[1]:
                    entry[0].append((raw, None, None))
                    return 1
                if self.defer_send(channel, raw):
                    return 1
        try:
            if channel.send_immediately(raw):
                return 1
        except OSCError as error:
            return self._send_failed(error)
        return 1 if channel.transmit_data(raw, None) else 0

    def _send_hooked(
        self, channel: TransportChannel, packet: Any, packopt: Optional[PacketOptions]
    ) -> int:
        # As in osc4py3, the encodepacket handler always gets packet options (its copy).
        hookopt = packopt.duplicate() if packopt is not None else PacketOptions()
        hookopt.chantarget = channel.chaname
        raw: Any
        try:
            result = channel.handle_action("encodepacket", (packet, hookopt))
            if result is None:
                raw, newopt = oscbuildparse.encode_packet(packet, channel.oob), packopt
            else:
                raw, newopt = result
        except OSCError as error:
            return self._encode_failed(packet, error)
        except Exception as error:
            failure = OSCInvalidDataError(
                f"the encodepacket handler of channel {channel.chaname!r} failed: {error!r}"
                " (it returns None or a (raw, packopt) pair)"
            )
            failure.__cause__ = error
            return self._encode_failed(packet, failure)
        if raw is None:
            return 1  # (None, None): the handler did the sending
        return 1 if channel.transmit_data(raw, newopt) else 0

    def _unknown_text(self, unknown: list[str]) -> str:
        channels = self.host.channels
        known = sorted(name for name, channel in list(channels.items()) if channel.is_writer)
        readers = [name for name in unknown if name in channels]
        missing = [name for name in unknown if name not in channels]
        parts = []
        if missing:
            parts.append(f"no OSC channel named {', '.join(map(repr, missing))}")
        if readers:
            parts.append(f"{', '.join(map(repr, readers))} cannot send (a reader)")
        where = ", ".join(map(repr, known)) if known else "none"
        return "; ".join(parts) + f"; writer channels: {where} (and '_local', '_all')"

    def _bad_names(self, names: Any, text: str) -> int:
        host = self.host
        host.stats.unknown_targets += 1
        if host.raise_send_errors:
            raise OSCUnknownChannelError(f"OSC send: {text}")
        self._throttle.log(
            logging.ERROR, "names", "sends to unknown channels", "OSC send: %s", text
        )
        return 0

    def _send_failed(self, error: OSCError) -> int:
        # The channel counted it (send_errors); raise it, or log it.
        if self.host.raise_send_errors:
            raise error
        self._throttle.log(logging.ERROR, "send", "failed sends", "OSC send: %s", error)
        return 0

    def _encode_failed(self, packet: Any, error: OSCError) -> int:
        host = self.host
        host.stats.encode_errors += 1
        if host.raise_send_errors:
            raise error
        self._throttle.log(
            logging.ERROR,
            "encode",
            "unencodable packets dropped",
            "OSC send: packet not encodable, dropped: %s (%r)",
            error,
            packet,
        )
        return 0

    # ----- batching --------------------------------------------------------------------
    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """Within the block, this thread's sends are queued and leave together.

        On Linux a UDP channel then hands its queue to the kernel with ``sendmmsg``
        (up to :data:`oscwire.oscudpmc.UDPWRITE_BATCH` datagrams per batch) instead of one
        ``sendto`` per packet. Packets leave when the outermost block ends (also on an
        exception), or earlier each time a channel has a full batch waiting. Only packets
        sent without packet options to UDP channels are held. Blocks nest.
        """
        local = self.batch_local
        touched = local.channels
        outermost = touched is None
        if outermost:
            touched = local.channels = {}
            with self._lock:
                self.batching += 1
        try:
            yield
        finally:
            if outermost:
                local.channels = None
                with self._lock:
                    self.batching -= 1
                for channel in touched or ():
                    try:
                        channel.flush_batch()
                    except Exception:
                        self.host.logger.exception("OSC batched send: failure flushing %r", channel)

    def batch_entry(self, channel: TransportChannel) -> Optional[tuple[Any, int]]:
        """``(queue, limit)`` of *channel* in this thread's open :meth:`batched` block.

        The channel is flushed when the block ends; until then a sender may append
        ``(raw, None, None)`` to *queue* while ``len(queue) < limit``, and must send the
        usual way otherwise. None outside a block, or for a channel that cannot batch.
        """
        touched = self.batch_local.channels
        if touched is None:
            return None
        if channel not in touched:
            touched[channel] = channel.batch_queue()
        entry: Optional[tuple[Any, int]] = touched[channel]
        return entry

    def defer_send(self, channel: TransportChannel, raw: Any) -> bool:
        """Queue *raw* on *channel* when this thread is in :meth:`batched`.

        False when the packet was not taken (no batch open in this thread, or a channel
        that does not batch): send it the usual way.
        """
        touched = self.batch_local.channels
        if touched is None:
            return False
        queue: Optional[Callable[[Any], bool]] = getattr(channel, "queue_packet", None)
        if queue is None:
            return False
        if channel not in touched:
            # What the fast path of send() appends to directly (None: never).
            touched[channel] = channel.batch_queue()
        queue(raw)
        return True


# ----- osc4py3's module-level function ------------------------------------------------------
_default_sender: Optional[Callable[[Any, Any, Optional[PacketOptions]], int]] = None
_default_round: Optional[Callable[[], None]] = None
_default_local: Optional[Callable[[], None]] = None


def set_default_sender(
    sender: Callable[[Any, Any, Optional[PacketOptions]], int],
    serve_round: Optional[Callable[[], None]] = None,
    serve_local: Optional[Callable[[], None]] = None,
) -> None:
    """Tell :func:`send_packet` how to send on the default system, and the
    ``*_process_loop`` functions how to run its received packets (*serve_round*) and its
    ``"_local"`` packets (*serve_local*) (the runtime registers them at import: this layer
    never imports the runtime)."""
    global _default_sender, _default_round, _default_local
    _default_sender = sender
    _default_round = serve_round
    _default_local = serve_local


def send_packet(packet: Any, names: Any, packopt: Optional[PacketOptions] = None) -> int:
    """Send a message or bundle to the channels *names* of the default system (osc4py3);
    return how many took it."""
    if _default_sender is None:
        raise RuntimeError("no OSC system: call osc_startup() (from an oscwire.as_* module)")
    return _default_sender(packet, names, packopt)


#: osc4py3's record of a packet waiting to be sent (kept for its programs).
SendingPacket = collections.namedtuple("SendingPacket", "packet packopt targets")
#: osc4py3's end marker of its sending queue.
LAST_SENDINGPACKET = SendingPacket(None, None, None)


def post_sendpacket(sendingpacket: SendingPacket) -> None:
    """Send ``SendingPacket(packet, packopt, targets)`` now (osc4py3 queued it for its
    sending thread; oscwire sends without a queue)."""
    packet, packopt, targets = sendingpacket
    send_packet(packet, targets, packopt)


def packet_send_function(packet: Any, packopt: Any, targets: Any, logger: Any = None) -> None:
    """Send *packet* to the channel names *targets* (osc4py3 API)."""
    send_packet(packet, targets, packopt)


def transmit_rawpacket(rawpacket: Any, packopt: Any, writersnames: Any, logger: Any = None) -> None:
    """Queue an already encoded packet on the writer channels *writersnames* of the
    default system (osc4py3 API; unknown names raise, as every send does)."""
    for name in ordered_names(writersnames):
        channel = oscchannel.get_channel(name)
        if channel is None or not channel.is_writer:
            raise OSCUnknownChannelError(f"OSC transmit_rawpacket: no writer channel {name!r}")
        options = packopt.duplicate() if packopt is not None else PacketOptions()
        options.chantarget = name
        channel.transmit_data(rawpacket, options)


def sendingpackets_process_loop(deadlinetime: Any = 0, logger: Any = None) -> None:
    """Dispatch the ``"_local"`` packets sent so far (osc4py3 API; network sends leave at
    once in oscwire, they are never queued here)."""
    if deadlinetime is None:
        raise NotImplementedError("oscwire has no sending thread: sends leave at once")
    if _default_local is not None:
        _default_local()


def rawpackets_process_loop(deadlinetime: Any = 0, logger: Any = None) -> None:
    """Decode and dispatch what the default system's channels read so far (osc4py3 API,
    what ``osc_process()`` does after reading)."""
    if deadlinetime is None or _default_round is None:
        raise NotImplementedError(
            "oscwire's policies process received packets: no thread loop to start here"
        )
    _default_round()


_SENDS_AT_ONCE = "sends leave at once, in the caller's thread"
_OSC_SEND = "oscwire.as_eventloop.osc_send() (the osc_send of any as_* module)"
_POLICIES_READ = (
    "the policies process what is read: oscwire.as_comthreads or oscwire.as_allthreads "
    "(a communication thread), oscwire.as_eventloop.osc_process() (your loop)"
)


@unsupported("oscdistributing.next_sendpacket", "no sending queue: " + _SENDS_AT_ONCE, _OSC_SEND)
def next_sendpacket(timeout: Optional[float]) -> Any:
    """osc4py3's access to its sending queue: no such queue in oscwire."""


@unsupported(
    "oscdistributing.create_rawpackets_thread", "no raw-packets thread to create", _POLICIES_READ
)
def create_rawpackets_thread(logger: Any = None) -> Any:
    """osc4py3 decoded received packets in a thread of its own; oscwire's policies do it."""


@unsupported(
    "oscdistributing.create_sendingpackets_thread",
    "no sending thread to create: " + _SENDS_AT_ONCE,
    _OSC_SEND,
)
def create_sendingpackets_thread(logger: Any = None) -> Any:
    """osc4py3 sent packets from a thread of its own; oscwire sends in osc_send()."""


def terminate_rawpackets_thread() -> None:
    """Nothing to terminate: oscwire has no raw-packets thread (osc4py3 API)."""


def terminate_sendingpackets_thread() -> None:
    """Nothing to terminate: oscwire has no sending thread (osc4py3 API)."""


#: osc4py3's module state of its sending and raw-packets threads, which oscwire does not have.
sending_packets = UnsupportedValue(
    "oscdistributing.sending_packets", "no sending queue: " + _SENDS_AT_ONCE, _OSC_SEND
)
sendpackets_thread = UnsupportedValue(
    "oscdistributing.sendpackets_thread", "no sending thread: " + _SENDS_AT_ONCE, _OSC_SEND
)
rawpackets_thread = UnsupportedValue(
    "oscdistributing.rawpackets_thread", "no raw-packets thread", _POLICIES_READ
)
#: osc4py3's stop requests to those threads: never set, as there are no such threads.
rawpackets_terminate = False
sendpackets_terminate = False
