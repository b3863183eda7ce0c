"""Distribution: encode packets and hand them to channels; decode received raw packets.

Sending: :func:`send_packet` takes a message or bundle and channel *names* — a str, or a
list, set or tuple of them (nested containers are flattened) — plus the reserved names
``"_local"`` (dispatch in this process, no network) and ``"_all"`` (every writer channel).
The packet is encoded once per distinct codec ``oob`` of the target channels, then queued
on each; the ``encodepacket`` action handler of a channel may take over (seed doc §3.6.1).
An unencodable packet or an unknown name is logged and counted in the system statistics
(``encode_errors``, ``unknown_targets``) and never raises.

Receiving: :func:`process_received` decodes the raw packets a channel read (the
``decodepacket`` action handler may take over) and gives them to the dispatcher. A packet
that does not decode is logged (rate-limited) and counted in the channel's ``bad_packets``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Optional

from oscwire import oscbuildparse, oscpacketoptions
from oscwire.oscbuildparse import OSCMessage

if TYPE_CHECKING:
    from oscwire._runtime import OSCSystem

_LOGGER = logging.getLogger("oscwire.oscdistributing")

#: Names that no channel can take.
RESERVED_NAMES = frozenset({"_all", "_local"})
#: How deep nested name containers may go.
MAX_NAMES_DEPTH = 16


def flat_names(names: Any, _out: Optional[dict[str, None]] = None, _depth: int = 0) -> list[str]:
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
                flat_names(name, out, _depth + 1)
    return list(out)


def send_packet(
    packet: Any, names: Any, packopt: Any = None, system: Optional[OSCSystem] = None
) -> int:
    """Send a message or bundle to the channels *names*; return how many got it.

    *system* defaults to the default system of the ``as_*`` façades.
    """
    if system is None:
        from oscwire import _runtime

        system = _runtime.default_system()
    return system.send_packet(packet, names, packopt)


def distribute(system: OSCSystem, packet: Any, names: Any, packopt: Any) -> int:
    """The body of :meth:`OSCSystem.send_packet` (see :func:`send_packet`)."""
    stats = system.stats
    # Fast path: one plain channel name.
    if type(names) is str and names not in RESERVED_NAMES:
        channel = system.channels.get(names)
        if channel is not None and channel.is_writer and not channel.actions_handlers:
            try:
                raw = oscbuildparse.encode_packet(packet, channel.oob)
            except Exception as error:
                _encode_failed(system, packet, error)
                return 0
            if packopt is None and channel.send_immediately(raw):
                return 1
            return 1 if channel.transmit_data(raw, packopt) else 0
    try:
        targets = flat_names(names)
    except (TypeError, ValueError) as error:
        stats["unknown_targets"] += 1
        system.logger.error("OSC send: bad channel names %r: %s", names, error)
        return 0
    count = 0
    if "_local" in targets:
        targets.remove("_local")
        local = packopt.duplicate() if packopt is not None else oscpacketoptions.PacketOptions()
        local.readername = "_local"
        local.srcident = "_local"
        system.dispatcher.dispatch_packet(packet, local)
        count += 1
    if "_all" in targets:
        targets.remove("_all")
        for name, channel in list(system.channels.items()):
            if channel.is_writer and name not in targets:
                targets.append(name)
    # Group standard channels by codec options so that each distinct encoding is done once.
    encodings: dict[int, tuple[Any, list[Any]]] = {}
    for name in targets:
        channel = system.channels.get(name)
        if channel is None or not channel.is_writer:
            stats["unknown_targets"] += 1
            system.logger.error("OSC send: no writer channel named %r", name)
            continue
        if "encodepacket" in channel.actions_handlers:
            try:
                result = channel.handle_action("encodepacket", (packet, packopt))
            except Exception:
                stats["encode_errors"] += 1
                system.logger.exception("OSC channel %r: failure in encodepacket handler", name)
                continue
            if result is not None:
                if tuple(result) == (None, None):
                    count += 1
                    continue
                raw, newopt = result
                if channel.transmit_data(raw, newopt):
                    count += 1
                continue
        encodings.setdefault(id(channel.oob), (channel.oob, []))[1].append(channel)
    for oob, channels in encodings.values():
        try:
            raw = oscbuildparse.encode_packet(packet, oob)
        except Exception as error:
            _encode_failed(system, packet, error)
            continue
        for channel in channels:
            opt = packopt
            if packopt is not None and len(channels) > 1:
                opt = packopt.duplicate()
                opt.chantarget = channel.chaname
            if channel.transmit_data(raw, opt):
                count += 1
    return count


def _encode_failed(system: OSCSystem, packet: Any, error: Exception) -> None:
    system.stats["encode_errors"] += 1
    count = system.stats["encode_errors"]
    if count <= 10 or count % 1000 == 0:
        system.logger.error("OSC send: packet not encodable, dropped: %s (%r)", error, packet)


def process_received(system: OSCSystem, channel: Any, items: list, readtime: float) -> None:
    """Decode and dispatch the raw packets ``(raw, srcident, srcaddress)`` of *channel*.

    The hot path: with no ``decodepacket`` handler and a dispatcher that calls methods
    directly, a message goes from bytes to handler without any intermediate queue.
    """
    dispatcher = system.dispatcher
    stats = channel.stats
    name = channel.chaname
    oob = channel.oob
    overrides = channel.packopt_overrides
    decode = oscbuildparse.decode_packet
    make = oscpacketoptions.make_received
    hook = "decodepacket" in channel.actions_handlers
    direct = dispatcher.executor is None
    match = dispatcher.index.match
    dstats = dispatcher.stats
    decoded = 0
    # With an executor (thread policies) the calls of the whole batch are grouped per
    # source and handed over once per source: same order, far fewer thread hand-offs.
    lanes: Optional[dict[Any, list]] = None if direct else {}
    for raw, srcident, srcaddress in items:
        # Built lazily: a plain function(*arguments) handler never sees it.
        packopt = None
        packet = None
        if hook:
            packopt = make(name, srcident, readtime, srcaddress, channel, overrides)
            try:
                result = channel.handle_action("decodepacket", (raw, packopt))
            except Exception:
                stats.bad_packets += 1
                channel.logger.exception("OSC channel %r: failure in decodepacket handler", name)
                continue
            if result is not None:
                packet, newopt = result
                if packet is None:
                    continue  # (None, None): the handler took the packet over
                if newopt is not None:
                    packopt = newopt
        try:
            if packet is None:
                packet = decode(raw, oob)
        except Exception as error:
            stats.bad_packets += 1
            if stats.bad_packets <= 10 or stats.bad_packets % 1000 == 0:
                channel.logger.warning(
                    "OSC channel %r: bad packet from %r (%d bytes), dropped: %s",
                    name,
                    srcident,
                    len(raw),
                    error,
                )
            continue
        decoded += 1
        try:
            if lanes is not None:
                if packopt is None:
                    packopt = make(name, srcident, readtime, srcaddress, channel, overrides)
                key = (name, srcident)
                calls = lanes.get(key)
                if calls is None:
                    try:
                        calls = lanes[key] = []
                    except TypeError:  # unhashable identification
                        key = name
                        calls = lanes.setdefault(key, [])
                dispatcher.collect_packet(packet, packopt, calls)
            elif type(packet) is OSCMessage:
                # Inline of Dispatcher.dispatch_packet + execute_calls for one message.
                dstats.messages += 1
                filters = match(packet.addrpattern)
                if not filters:
                    dstats.unmatched += 1
                    continue
                for method in filters:
                    fast = getattr(method, "_fastfunc", None)
                    if fast is not None:
                        # MethodFilter's own fast path, inlined: function(*arguments).
                        try:
                            fast(*packet.arguments)
                        except Exception:
                            method._failed()
                            dstats.handler_errors += 1
                            stats.handler_errors += 1
                        continue
                    if packopt is None:
                        packopt = make(name, srcident, readtime, srcaddress, channel, overrides)
                    before = method.failures
                    method(packet, packopt)
                    if method.failures != before:
                        dstats.handler_errors += 1
                        stats.handler_errors += 1
                dstats.calls += len(filters)
            else:
                if packopt is None:
                    packopt = make(name, srcident, readtime, srcaddress, channel, overrides)
                dispatcher.dispatch_packet(packet, packopt)
        except Exception:
            stats.handler_errors += 1
            channel.logger.exception("OSC channel %r: failure while dispatching", name)
    stats.decoded += decoded
    if lanes:
        executor = dispatcher.executor
        for key, calls in lanes.items():
            if calls:
                executor(key, calls)
