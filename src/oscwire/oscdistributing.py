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

from oscwire import oscbuildparse, oscmethod, oscpacketoptions
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
            if packopt is None:
                if system.batching:
                    # Inside OSCSystem.batched_sends(): queue without writing.
                    queues = system.batch_local.channels
                    if queues is not None:
                        entry = queues.get(channel)
                        if entry is not None and len(entry[0]) < entry[1]:
                            entry[0].append((raw, None, None))
                            return 1
                        if system.defer_send(channel, raw):
                            return 1
                if channel.send_immediately(raw):
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
            # As in osc4py3, the handler always gets packet options (its own copy).
            hookopt = (
                packopt.duplicate() if packopt is not None else oscpacketoptions.PacketOptions()
            )
            hookopt.chantarget = name
            try:
                result = channel.handle_action("encodepacket", (packet, hookopt))
                if result is not None:
                    raw, newopt = result
            except Exception:
                stats["encode_errors"] += 1
                system.logger.exception("OSC channel %r: failure in encodepacket handler", name)
                continue
            if result is not None:
                if raw is None:
                    count += 1  # (None, None): the handler did the sending
                    continue
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
            deferred = opt is None and system.batching and system.defer_send(channel, raw)
            if deferred or channel.transmit_data(raw, opt):
                count += 1
    return count


def _encode_failed(system: OSCSystem, packet: Any, error: Exception) -> None:
    system.stats["encode_errors"] += 1
    count = system.stats["encode_errors"]
    if count <= 10 or count % 1000 == 0:
        system.logger.error("OSC send: packet not encodable, dropped: %s (%r)", error, packet)


def process_received(system: OSCSystem, channel: Any, items: list, readtime: float) -> None:
    """Decode and dispatch the raw packets ``(raw, srcident, srcaddress)`` of *channel*.

    The hot path: with no ``decodepacket`` handler, a message goes from bytes to its
    handlers through :func:`oscwire.oscmethod.call_methods_failures` (compiled), without
    any intermediate queue or packet options unless a handler asks for them. In the thread
    policies the calls of the whole batch are grouped per source, as flat lists
    ``[filters, message, packopt, ...]``, and handed over once per source
    (:meth:`OSCSystem.hand_over`, run by :meth:`Dispatcher.execute_flat`): same order, far
    fewer thread hand-offs.
    """
    dispatcher = system.dispatcher
    stats = channel.stats
    name = channel.chaname
    oob = channel.oob
    overrides = channel.packopt_overrides
    decode = oscbuildparse.decode_packet
    make = oscpacketoptions.make_received
    hook = "decodepacket" in channel.actions_handlers
    call = oscmethod.call_methods_failures
    lookup = dispatcher.index.lookup
    dstats = dispatcher.stats
    decoded = 0
    messages = 0
    ncalls = 0
    failures = 0
    lanes: Optional[dict[Any, list]] = None if dispatcher.executor is None else {}
    calls: Any = None
    for raw, srcident, srcaddress in items:
        # Built lazily: a plain function(*arguments) handler never sees it.
        packopt = None
        packet = None
        if hook:
            packopt = make(name, srcident, readtime, srcaddress, channel, overrides)
            try:
                result = channel.handle_action("decodepacket", (raw, packopt))
                if result is not None:
                    packet, newopt = result
            except Exception:
                channel.count_bad_packet()
                channel.logger.exception("OSC channel %r: failure in decodepacket handler", name)
                continue
            if result is not None:
                if packet is None:
                    continue  # (None, None): the handler took the packet over
                if newopt is not None:
                    packopt = newopt
        try:
            if packet is None:
                packet = decode(raw, oob)
        except Exception as error:
            channel.count_bad_packet()
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
                try:
                    calls = lanes[srcident]
                except KeyError:
                    calls = lanes[srcident] = []
                except TypeError:  # unhashable identification: the channel's own lane
                    calls = lanes.setdefault(UNHASHABLE_SOURCE, [])
            if type(packet) is OSCMessage:
                messages += 1
                filters = lookup(packet.addrpattern)
                if not filters:
                    dstats.unmatched += 1
                    continue
                if packopt is None:
                    for method in filters:
                        if method.fastfunc is None:
                            packopt = make(name, srcident, readtime, srcaddress, channel, overrides)
                            break
                if calls is None:
                    ncalls += len(filters)
                    failures += call(filters, packet, packopt)
                else:
                    # Flat, no tuple per message: what is in flight between threads stays
                    # small for the garbage collector.
                    calls += (filters, packet, packopt)
            else:
                if packopt is None:
                    packopt = make(name, srcident, readtime, srcaddress, channel, overrides)
                if calls is None:
                    dispatcher.dispatch_packet(packet, packopt)
                else:
                    entries: list = []
                    dispatcher.collect_packet(packet, packopt, entries)
                    for entry in entries:
                        calls += entry
        except Exception:
            failures += 1
            channel.logger.exception("OSC channel %r: failure while dispatching", name)
    stats.decoded += decoded
    dstats.messages += messages
    if ncalls:
        dstats.calls += ncalls
    if failures:
        dstats.handler_errors += failures
        stats.handler_errors += failures
    if lanes:
        system.hand_over(channel, lanes, sum([len(item[0]) for item in items]))


#: Lane key, within a channel, of sources whose identification cannot be hashed.
UNHASHABLE_SOURCE = object()
