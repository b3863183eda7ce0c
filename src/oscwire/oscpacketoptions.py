"""Options and context that travel with one OSC packet through the runtime.

A :class:`PacketOptions` goes with every packet: on receive it says where the packet came
from (``readername``, ``srcident``, ``readtime``) and how its time tags are honoured; on
send it carries ``nodelay``, ``chantarget`` and an optional completion ``event``. It also
knows the channel and socket address a packet came from, so that a handler can answer the
sender through the very socket that received the message (:meth:`PacketOptions.reply`).

Field names and defaults are osc4py3's. Defaults live on the class and an instance only
stores what differs, because one object is built per received datagram.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Optional

_LOGGER = logging.getLogger("oscwire.oscpacketoptions")

#: Keys of an options mapping that :meth:`PacketOptions.setup_processing` reads.
PROCESSING_KEYS: tuple[str, ...] = (
    "honor_timetag",
    "forget_oldmsg",
    "timetag_offset",
    "check_subbundle_timetag",
)

_REPR_FIELDS: tuple[str, ...] = (
    "honor_timetag",
    "forget_oldmsg",
    "timetag_offset",
    "check_subbundle_timetag",
    "readername",
    "srcident",
    "readtime",
    "message",
    "method",
    "chantarget",
    "nodelay",
    "event",
)


class PacketOptions:
    """Packet processing options passed among packets, messages and bundles.

    Processing: ``honor_timetag`` (True: bundles with a future time tag wait for it),
    ``forget_oldmsg`` (False: True drops bundles whose time tag is already past),
    ``timetag_offset`` (0: seconds added to incoming time tags), ``check_subbundle_timetag``
    (False: True drops a sub-bundle whose time tag is before its parent's).
    Reception: ``readername`` (name of the channel that read the packet, ``"undefined"``),
    ``srcident`` (identification of the source, typically ``(host, port)``), ``readtime``
    (``time.time()`` of the read), ``srcaddress`` (the raw socket address, for replies),
    ``readchannel`` (the channel object, for replies), ``message`` / ``method`` (filled
    while a handler runs), ``timetag`` (the time tag of the bundle a message came in, the
    innermost one; None for a message sent alone). Sending: ``chantarget``, ``nodelay`` (True puts the packet at
    the head of the write queue) and ``event`` (an Event, Semaphore or callable signalled
    when the packet has been handed to the OS).
    """

    honor_timetag: bool = True
    forget_oldmsg: bool = False
    timetag_offset: float = 0
    check_subbundle_timetag: bool = False
    readername: str = "undefined"
    srcident: Any = "undefined"
    readtime: float = 0
    srcaddress: Any = None
    readchannel: Any = None
    message: Any = None
    method: Any = None
    chantarget: str = ""
    nodelay: bool = False
    event: Any = None
    timetag: Any = None

    def __init__(self, **fields: Any) -> None:
        # Every field is an instance attribute, as in osc4py3 (vars() shows them all).
        attrs = self.__dict__
        attrs.update(_DEFAULTS)
        for key, value in fields.items():
            if key not in _DEFAULTS:
                raise TypeError(f"PacketOptions has no field {key!r}")
            attrs[key] = value

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in _REPR_FIELDS)
        return f"PacketOptions({inner})"

    __str__ = __repr__

    def __lt__(self, other: PacketOptions) -> bool:
        # Only so that tuples that contain packet options never fail to sort.
        return id(self) < id(other)

    def setup_processing(self, options: dict[str, Any]) -> None:
        """Take the processing options present in *options*; absent keys keep their value."""
        for key in PROCESSING_KEYS:
            if key in options:
                setattr(self, key, options[key])

    def update_processing(self, procopt: PacketOptions) -> None:
        """Copy the four processing options of *procopt* into this object."""
        for key in PROCESSING_KEYS:
            setattr(self, key, getattr(procopt, key))

    def duplicate(self) -> PacketOptions:
        """A first-level copy of this object."""
        new = PacketOptions.__new__(PacketOptions)
        new.__dict__.update(self.__dict__)
        return new

    def signal_event(self) -> None:
        """Signal ``event``: ``set()`` an Event, ``release()`` a Semaphore, call a callable."""
        event = self.event
        if event is None:
            return
        if isinstance(event, threading.Event):
            event.set()
        elif isinstance(event, (threading.Semaphore, threading.BoundedSemaphore)):
            event.release()
        elif callable(event):
            event(self)

    def can_reply(self) -> bool:
        """True when this packet came from a channel that can answer its source."""
        channel = self.readchannel
        return channel is not None and self.srcaddress is not None and channel.can_reply()

    def reply(self, packet: Any) -> bool:
        """Send *packet* (message or bundle) back to the source of this packet.

        The packet leaves through the channel (and socket) that received the original one,
        so the peer sees it coming from the port it sent to — what Behringer mixers and
        other "reply to sender" devices expect. Returns False, after logging the reason,
        when it cannot be sent (local packet, channel closed, unencodable packet).
        """
        channel = self.readchannel
        if channel is None or self.srcaddress is None:
            _LOGGER.warning("OSC reply impossible: packet has no source channel/address")
            return False
        return bool(channel.reply_packet(packet, self.srcaddress))


#: Every field and its default value.
_DEFAULTS: dict[str, Any] = {
    name: getattr(PacketOptions, name)
    for name in (*_REPR_FIELDS, "srcaddress", "readchannel", "timetag")
}


def make_received(
    readername: str,
    srcident: Any,
    readtime: float,
    srcaddress: Any,
    readchannel: Any,
    overrides: Optional[dict[str, Any]] = None,
) -> PacketOptions:
    """Build the options of one received packet as cheaply as possible (hot path)."""
    packopt = PacketOptions.__new__(PacketOptions)
    # Every field in the instance, as osc4py3 has them (vars(packopt)); a dict copy is
    # the cheapest way there.
    attrs = _DEFAULTS.copy()
    packopt.__dict__ = attrs
    attrs["readername"] = readername
    attrs["srcident"] = srcident
    attrs["readtime"] = readtime
    attrs["srcaddress"] = srcaddress
    attrs["readchannel"] = readchannel
    if overrides:
        attrs.update(overrides)
    return packopt
