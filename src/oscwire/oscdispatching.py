"""Dispatching: the receive side — decode raw packets, match methods, call them on time.

A :class:`Dispatcher` owns the registered :class:`~oscwire.oscmethod.MethodFilter` objects
(in a :class:`~oscwire.oscmethod.MethodIndex`), the bundles waiting for their time tag
(:class:`DelayedBundles`) and the one path from a received packet to its handler calls:

* :meth:`Dispatcher.receive` takes the raw packets a channel read, decodes them (the
  channel's ``decodepacket`` action handler may take over), and turns each message into
  one flat entry ``filters, message, packopt`` of a list of calls (:meth:`Dispatcher.collect`
  does the same for decoded packets, bundles included: look up the filters, count what
  matches nothing, append); :meth:`Dispatcher.dispatch_packet` is osc4py3's entry point
  for one decoded packet (``_local`` delivery uses it).
* The calls of one batch then run in one go: now, in this thread (no executor), or handed
  to an executor (:class:`CallExecutor`, the runtime's thread pool or queue) one list per
  source, so that a pool of threads keeps each sender's messages in order.

Bundles are honoured as OSC 1.0 and the seed doc describe: a bundle whose time tag is in the
future waits, ordered by its due time on the monotonic clock fixed at arrival (a wall-clock
jump moves nothing), and runs when due; ties keep arrival order; the messages of a bundle
run together, in order. :class:`~oscwire.oscpacketoptions.PacketOptions` decides:
``honor_timetag``, ``forget_oldmsg``, ``timetag_offset``, ``check_subbundle_timetag``.

Waiting bundles are bounded so that no peer can hold memory or starve the others: in
count and bytes in all (``max_delayed``, ``max_delayed_bytes``), in count and bytes per
source host (a quarter of each), and in lead time (``max_delay`` seconds ahead at most).
A bundle past a bound is dropped, counted and logged (rate-limited) — running it early would
break its timing.

The module also keeps osc4py3's module-level functions (:func:`register_method`,
:func:`globdisp`...), which act on the dispatcher of the default system.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol

from oscwire import oscmethod
from oscwire._logutil import MAX_CAUSES, LogThrottle
from oscwire._unsupported import UnsupportedValue, unsupported
from oscwire.oscbuildparse import (
    OSCBundle,
    OSCMessage,
    decode_packet,
    is_immediate,
    timetag2unixtime,
)
from oscwire.oscpacketoptions import PacketOptions, make_received

if TYPE_CHECKING:
    from oscwire.oscchannel import TransportChannel

__all__ = [
    "LAST_PENDINGBUNDLE",
    "MAX_BUNDLE_NESTING",
    "MAX_DELAY",
    "MAX_DELAYED_BUNDLES",
    "MAX_DELAYED_BYTES",
    "NOW_RESOLUTION",
    "CallExecutor",
    "DelayedBundles",
    "DispatchStats",
    "Dispatcher",
    "PendingBundle",
    "create_delayed_thread",
    "delay_bundle",
    "delayed_process_loop",
    "globdisp",
    "lane_of",
    "next_bundle",
    "register_global_dispatcher",
    "register_method",
    "registered_dispatcher",
    "terminate_delayed_thread",
    "unregister_global_dispatcher",
    "unregister_method",
]

_LOGGER = logging.getLogger("oscwire.oscdispatching")

#: Seconds around "now" that count as now (a bundle due within it runs at once).
NOW_RESOLUTION = 0.001
#: Default bound of bundles waiting for their time tag, in all.
MAX_DELAYED_BUNDLES = 10000
#: Default bound of the bytes of the bundles waiting for their time tag, in all.
MAX_DELAYED_BYTES = 64 * 1024 * 1024
#: Share of each bound one source host may take.
SOURCE_SHARE = 4
#: Default bound of how far ahead a bundle may be timed (seconds); later ones are dropped.
MAX_DELAY = 3600.0
#: Deepest nesting of bundles executed (deeper sub-bundles are dropped and logged).
MAX_BUNDLE_NESTING = 64
#: Source hosts whose bad packets are logged apart, per channel; the others share one
#: line (a peer that spoofs many source addresses cannot make many log lines).
MAX_BAD_PACKET_HOSTS = 16


class DispatchStats:
    """Counters of a dispatcher (plain ints; read them, or :meth:`as_dict`).

    ``messages`` dispatched, ``unmatched`` (no method), ``calls`` made,
    ``handler_errors`` (calls that raised), ``handler_exits`` (calls that raised
    ``SystemExit``/``KeyboardInterrupt``), ``delayed`` bundles queued for later,
    ``delayed_overflow`` (dropped: the bounds in all were reached), ``delayed_evicted`` (a
    waiting bundle dropped to make room for a source that held fewer),
    ``delayed_source_overflow`` (dropped: the source's share was reached),
    ``delayed_too_far`` (dropped: timed more than
    ``max_delay`` ahead), ``late_dropped`` (``forget_oldmsg``), ``subbundle_dropped``
    (timed before its parent, or nested too deep), ``bad_packets`` (undecodable, or
    objects that are neither message nor bundle, or bad time tags).
    """

    __slots__ = (
        "bad_packets",
        "calls",
        "delayed",
        "delayed_evicted",
        "delayed_overflow",
        "delayed_source_overflow",
        "delayed_too_far",
        "handler_errors",
        "handler_exits",
        "late_dropped",
        "messages",
        "subbundle_dropped",
        "unmatched",
    )

    bad_packets: int
    calls: int
    delayed: int
    delayed_evicted: int
    delayed_overflow: int
    delayed_source_overflow: int
    delayed_too_far: int
    handler_errors: int
    handler_exits: int
    late_dropped: int
    messages: int
    subbundle_dropped: int
    unmatched: int

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        """A snapshot of every counter."""
        return {name: getattr(self, name) for name in self.__slots__}


class CallExecutor(Protocol):
    """Runs a dispatcher's handler calls elsewhere or later (the runtime's policies).

    *calls* is a flat list ``[filters, message, packopt, ...]`` to run in order with
    :meth:`Dispatcher.execute_flat`; calls of one *lane* must run in the order submitted.
    *channel* is the reader channel (its statistics count handler errors), *nbytes* the raw
    size the calls stand for (for back-pressure accounting).
    """

    #: True when lanes run in parallel (then each source gets its own lane).
    parallel: bool

    def submit(
        self, lane: Hashable, calls: list[Any], channel: Optional[TransportChannel], nbytes: int
    ) -> None: ...


def lane_of(packopt: Optional[PacketOptions]) -> Hashable:
    """The ordering lane of a packet: its reader channel and source (hashable)."""
    if packopt is None:
        return "_local"
    key = (packopt.readername, packopt.srcident)
    try:
        hash(key)
    except TypeError:
        return packopt.readername
    return key


def source_key(packopt: Optional[PacketOptions]) -> Hashable:
    """Who a packet counts against in the per-source bounds: its reader and source host
    (the port is left out: a peer may send from any number of ports)."""
    if packopt is None:
        return "_local"
    ident = packopt.srcident
    host = ident[0] if isinstance(ident, tuple) and ident else ident
    key = (packopt.readername, host)
    try:
        hash(key)
    except TypeError:
        return packopt.readername
    return key


def estimate_size(packet: Any, _depth: int = 0) -> int:
    """About how many bytes a decoded packet holds (for the delayed-bundle bounds)."""
    if isinstance(packet, OSCMessage):
        size = 16 + len(packet.addrpattern) + len(packet.typetags or "")
        for value in packet.arguments or ():
            if isinstance(value, (str, bytes, bytearray, memoryview)):
                size += 8 + len(value)
            elif isinstance(value, tuple):
                size += 8 * (1 + len(value))
            else:
                size += 8
        return size
    if isinstance(packet, OSCBundle) and _depth < MAX_BUNDLE_NESTING:
        return 16 + sum(estimate_size(element, _depth + 1) for element in packet.elements)
    return 16


class _Delayed:
    """One waiting bundle (ordered by due time, then arrival)."""

    __slots__ = ("bundle", "due", "live", "nbytes", "packopt", "seq", "source")

    def __init__(
        self,
        due: float,
        seq: int,
        bundle: Any,
        packopt: Optional[PacketOptions],
        source: Hashable,
        nbytes: int,
    ) -> None:
        self.due = due
        self.seq = seq
        self.bundle = bundle
        self.packopt = packopt
        self.source = source
        self.nbytes = nbytes
        #: False once run or evicted: the heaps drop such entries lazily.
        self.live = True

    def __lt__(self, other: _Delayed) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


class _SourceHoldings:
    """What one source host holds in a :class:`DelayedBundles`: counts and its entries,
    latest due first (a heap on ``(-due, -seq)``, with the entries no longer live dropped
    lazily)."""

    __slots__ = ("count", "latest", "nbytes", "stale")

    def __init__(self) -> None:
        self.count = 0
        self.nbytes = 0
        self.latest: list[tuple[float, int, _Delayed]] = []
        self.stale = 0  # entries of `latest` no longer live

    def add(self, entry: _Delayed) -> None:
        heapq.heappush(self.latest, (-entry.due, -entry.seq, entry))

    def pop_latest(self) -> _Delayed:
        """The live entry due last (the source holds one: ``count > 0``)."""
        while True:
            entry = heapq.heappop(self.latest)[2]
            if entry.live:
                return entry
            self.stale -= 1

    def forget_one(self) -> None:
        """One of the entries left the queue otherwise (it ran): compact now and then."""
        self.stale += 1
        if self.stale > self.count + 16:
            self.latest = [item for item in self.latest if item[2].live]
            heapq.heapify(self.latest)
            self.stale = 0


class DelayedBundles:
    """Bundles waiting for their time tag: a heap on the monotonic due time, bounded.

    Thread-safe. :meth:`push` refuses (returns the reason, a ``DispatchStats`` counter
    name) what would pass a bound: a source host's share (1/:data:`SOURCE_SHARE` of the
    count and of the bytes), the lead time, or the count or bytes in all. When the bounds
    in all are reached, a source that holds fewer bundles than the biggest holder still
    gets its place: the biggest holder's bundle due last is dropped (``delayed_evicted``),
    so that several sources (one attacker with several addresses) cannot starve another.
    """

    #: Bundles dropped at most to make room for one (bytes may need several).
    MAX_EVICTIONS_PER_PUSH = 16

    def __init__(
        self,
        max_count: int = MAX_DELAYED_BUNDLES,
        max_bytes: int = MAX_DELAYED_BYTES,
        max_delay: float = MAX_DELAY,
    ) -> None:
        self.configure(max_count, max_bytes, max_delay)
        self.nbytes = 0
        #: Waiting bundles dropped to make room for another source's.
        self.evicted = 0
        self._offset = 0.0
        self._heap: list[_Delayed] = []
        self._count = 0  # live entries of the heap
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._per_source: dict[Hashable, _SourceHoldings] = {}
        # Sources by the number of bundles they hold, and the largest such number.
        self._by_count: dict[int, dict[Hashable, None]] = {}
        self._top = 0

    def configure(
        self,
        max_delayed: Optional[int] = None,
        max_delayed_bytes: Optional[int] = None,
        max_delay: Optional[float] = None,
    ) -> None:
        """Set the bounds (None keeps one); bundles already waiting stay."""
        if max_delayed is not None:
            self.max_count = max(1, int(max_delayed))
            self.source_count = max(1, self.max_count // SOURCE_SHARE)
        if max_delayed_bytes is not None:
            self.max_bytes = max(1, int(max_delayed_bytes))
            self.source_bytes = max(1, self.max_bytes // SOURCE_SHARE)
        if max_delay is not None:
            self.max_delay = float(max_delay)

    def __len__(self) -> int:
        return self._count

    def due_time(self, when: float) -> float:
        """The monotonic time of the wall-clock (Unix) time *when*, fixed now.

        The offset between the two clocks is kept until it moves by more than a
        millisecond (a clock step), so that equal time tags get equal due times and keep
        their arrival order.
        """
        offset = time.time() - time.monotonic()
        if abs(offset - self._offset) > 0.001:
            self._offset = offset
        return when - self._offset

    def push(
        self,
        when: float,
        bundle: Any,
        packopt: Optional[PacketOptions],
        nbytes: int,
    ) -> tuple[Optional[str], bool, int]:
        """Queue *bundle* to run at the Unix time *when*; ``(refusal reason or None,
        earliest, bundles of other sources evicted to make room)``."""
        due = self.due_time(when)
        if due - time.monotonic() > self.max_delay:
            return "delayed_too_far", False, 0
        source = source_key(packopt)
        with self._lock:
            held = self._per_source.get(source)
            count = 0 if held is None else held.count
            if count >= self.source_count or (
                held is not None and held.nbytes + nbytes > self.source_bytes
            ):
                return "delayed_source_overflow", False, 0
            evicted, room = self._make_room(count, nbytes)
            if not room:
                # What was evicted on the way stays evicted: it is reported all the same.
                return "delayed_overflow", False, evicted
            if held is None:
                held = self._per_source[source] = _SourceHoldings()
            self._recount(source, held.count, held.count + 1)
            held.count += 1
            held.nbytes += nbytes
            self.nbytes += nbytes
            entry = _Delayed(due, next(self._seq), bundle, packopt, source, nbytes)
            held.add(entry)
            heapq.heappush(self._heap, entry)
            self._count += 1
            return None, self._heap[0] is entry, evicted

    def _full(self, nbytes: int) -> bool:
        return self._count >= self.max_count or self.nbytes + nbytes > self.max_bytes

    def _make_room(self, count: int, nbytes: int) -> tuple[int, bool]:
        """Room for a bundle of *nbytes* from a source holding *count*, evicting from the
        biggest holder while it holds more than this source would (lock held):
        ``(bundles evicted, room made)``. Bytes may need several evictions and still fail."""
        evictions = 0
        room = True
        while self._full(nbytes):
            if self._top <= count + 1 or evictions >= self.MAX_EVICTIONS_PER_PUSH:
                room = False
                break
            biggest = next(iter(self._by_count[self._top]))
            self._release(self._per_source[biggest].pop_latest())
            evictions += 1
        self.evicted += evictions
        return evictions, room

    def _recount(self, source: Hashable, old: int, new: int) -> None:
        """Move *source* from the sources holding *old* bundles to those holding *new*."""
        if old:
            bucket = self._by_count[old]
            del bucket[source]
            if not bucket:
                del self._by_count[old]
                if self._top == old and new < old:
                    self._top = new
        if new:
            self._by_count.setdefault(new, {})[source] = None
            if new > self._top:
                self._top = new

    def _release(self, entry: _Delayed) -> None:
        """*entry* leaves the queue (run or evicted): its counts go (lock held). The heaps
        keep it until it reaches their top."""
        entry.live = False
        entry.bundle = None  # the memory goes now
        self._count -= 1
        self.nbytes -= entry.nbytes
        held = self._per_source[entry.source]
        self._recount(entry.source, held.count, held.count - 1)
        held.count -= 1
        held.nbytes -= entry.nbytes
        if held.count <= 0:
            del self._per_source[entry.source]
        if len(self._heap) > 2 * self._count + 1024:
            self._heap = [item for item in self._heap if item.live]
            heapq.heapify(self._heap)

    def _drop_dead_head(self) -> None:
        # Lock held.
        heap = self._heap
        while heap and not heap[0].live:
            heapq.heappop(heap)

    def pop_due(self, now: float) -> Optional[_Delayed]:
        """The earliest bundle due by *now* (within :data:`NOW_RESOLUTION`), or None."""
        heap = self._heap
        if not heap or heap[0].due > now + NOW_RESOLUTION:
            return None
        with self._lock:
            self._drop_dead_head()
            heap = self._heap
            if not heap or heap[0].due > now + NOW_RESOLUTION:
                return None
            entry = heapq.heappop(heap)
            bundle = entry.bundle
            held = self._per_source[entry.source]
            self._release(entry)
            held.forget_one()
            entry.bundle = bundle  # for the caller, which runs it
            return entry

    def next_delay(self) -> Optional[float]:
        """Seconds until the earliest bundle is due (0 when due), None when none waits."""
        heap = self._heap
        if not heap:
            return None
        try:
            head = heap[0]
        except IndexError:  # emptied by another thread meanwhile
            return None
        if not head.live:
            with self._lock:
                self._drop_dead_head()
                if not self._heap:
                    return None
                head = self._heap[0]
        return max(0.0, head.due - time.monotonic())

    def clear(self) -> int:
        """Forget every waiting bundle; return how many were dropped."""
        with self._lock:
            count = self._count
            self._heap.clear()
            self._per_source.clear()
            self._by_count.clear()
            self._top = 0
            self._count = 0
            self.nbytes = 0
        return count


class Dispatcher:
    """Route messages to methods, hold future bundles, run calls now or through an executor.

    ``options``: ``logger``, ``max_delayed`` (count), ``max_delayed_bytes``, ``max_delay``
    (seconds ahead). ``executor``: a :class:`CallExecutor`, or None to call handlers now
    in the thread that dispatches. ``on_delayed``: called (from the thread that queued it)
    when a bundle becomes the earliest one waiting, so that a sleeping loop can wake up.
    """

    def __init__(
        self,
        dispname: Optional[str] = None,
        options: Optional[dict[str, Any]] = None,
        executor: Optional[CallExecutor] = None,
        on_delayed: Optional[Callable[[], None]] = None,
        *,
        register: Optional[bool] = None,
    ) -> None:
        options = options or {}
        # A name given registers it, as osc4py3 does (register=False: never).
        register = dispname is not None if register is None else register
        dispname = "global" if dispname is None else dispname
        self.dispname = dispname
        self._registered = False
        if register:
            # osc4py3 names its dispatchers uniquely (all_dispatchers), until terminate().
            with _NAMES_LOCK:
                if dispname in _NAMED:
                    raise ValueError(f"OSC dispatcher name {dispname!r} already used")
                _NAMED[dispname] = self
            self._registered = True
        self.logger: logging.Logger = options.get("logger") or _LOGGER
        self.delayed = DelayedBundles()
        # As configure() reads them later: None keeps the default, 0 is a value (max_delay=0
        # drops every future bundle), never the default in disguise.
        self.delayed.configure(
            options.get("max_delayed"), options.get("max_delayed_bytes"), options.get("max_delay")
        )
        self.index = oscmethod.MethodIndex()
        self.executor = executor
        self.on_delayed = on_delayed
        self.stats = DispatchStats()
        self._throttle = LogThrottle(self.logger)
        #: Per channel (the latest MAX_CAUSES), the source hosts whose bad packets are
        #: logged apart (MAX_BAD_PACKET_HOSTS each).
        self._bad_hosts: dict[str, set[Hashable]] = {}

    @property
    def max_delayed(self) -> int:
        """The bound of waiting bundles, in all."""
        return self.delayed.max_count

    # ----- methods ---------------------------------------------------------------------
    def add_method(self, method: oscmethod.MethodFilter) -> None:
        """Register a :class:`~oscwire.oscmethod.MethodFilter`."""
        self.index.add(method)

    def remove_method(self, method: oscmethod.MethodFilter) -> bool:
        """Unregister a filter; False when it was not registered."""
        return self.index.remove(method)

    @property
    def methodfilters(self) -> list[oscmethod.MethodFilter]:
        """The registered filters, in registration order (osc4py3 attribute)."""
        return list(self.index)

    def terminate(self) -> None:
        """Forget the delayed bundles, report what the log left out and free the name
        (methods stay)."""
        self.clear_delayed()
        self._throttle.flush()
        if self._registered:
            with _NAMES_LOCK:
                if _NAMED.get(self.dispname) is self:
                    del _NAMED[self.dispname]
            self._registered = False

    # ----- receiving raw packets (the hot path) ----------------------------------------
    def receive(self, channel: TransportChannel, items: list[Any], readtime: float) -> None:
        """Decode the raw packets ``(raw, srcident, srcaddress)`` *channel* read, and run
        (or hand to the executor) the calls they make.

        With no ``decodepacket`` handler a message goes from bytes to its handlers with
        no intermediate object but the flat list of calls, and packet options only when a
        handler asks for them. Undecodable packets are counted (``bad_packets`` of the
        channel) and logged, rate-limited per source.
        """
        name = channel.chaname
        oob = channel.oob
        overrides = channel.packopt_overrides
        hook = "decodepacket" in channel.actions_handlers
        lookup = self.index.lookup
        stats = self.stats
        executor = self.executor
        by_source = executor is not None and executor.parallel
        lanes: dict[Any, list[Any]] = {}
        sizes: dict[Any, int] = {}
        calls: list[Any] = []
        decoded = 0
        messages = 0
        unmatched = 0
        # One packet options object per source within this read: filters only read it
        # (MethodFilter copies it for a handler that asks for it, a bundle duplicates it),
        # and one allocation per message is what the garbage collector pays for when a
        # burst of messages is in flight.
        shared: Optional[PacketOptions] = None
        shared_ident: Any = _NO_SOURCE
        shared_address: Any = _NO_SOURCE
        for raw, srcident, srcaddress in items:
            packopt: Optional[PacketOptions] = None
            packet: Any = None
            if hook:
                packopt = make_received(name, srcident, readtime, srcaddress, channel, overrides)
                try:
                    result = channel.handle_action("decodepacket", (raw, packopt))
                    if result is not None:
                        packet, newopt = result
                except Exception:
                    channel.count_bad_packet()
                    self._throttle.log(
                        logging.ERROR,
                        (name, "decodepacket"),
                        f"failures of the decodepacket handler of channel {name!r}",
                        "OSC channel %r: failure in decodepacket handler",
                        name,
                        exc_info=True,
                    )
                    continue
                if result is not None:
                    if packet is None:
                        continue  # (None, None): the handler took the packet over
                    if newopt is not None:
                        packopt = newopt
            if packet is None:
                try:
                    packet = decode_packet(raw, oob)
                except Exception as error:
                    channel.count_bad_packet()
                    self._bad_packet(name, srcident, len(raw), error)
                    continue
            decoded += 1
            if by_source:
                lane_key = srcident
                try:
                    calls = lanes[lane_key]
                except KeyError:
                    calls = lanes[lane_key] = []
                    sizes[lane_key] = 0
                except TypeError:  # unhashable identification: the channel's own lane
                    lane_key = _UNHASHABLE
                    calls = lanes.setdefault(lane_key, [])
                    sizes.setdefault(lane_key, 0)
                sizes[lane_key] += len(raw)
            if type(packet) is OSCMessage:
                messages += 1
                filters = lookup(packet.addrpattern)
                if not filters:
                    unmatched += 1
                    continue
                if packopt is None:
                    for method in filters:
                        if method.fastfunc is None:
                            if shared is None or not (
                                srcident == shared_ident and srcaddress == shared_address
                            ):
                                shared = make_received(
                                    name, srcident, readtime, srcaddress, channel, overrides
                                )
                                shared_ident = srcident
                                shared_address = srcaddress
                            packopt = shared
                            break
                # Flat, no tuple per message: what is in flight between threads stays
                # small for the garbage collector.
                calls += (filters, packet, packopt)
            else:
                if packopt is None:
                    packopt = make_received(
                        name, srcident, readtime, srcaddress, channel, overrides
                    )
                try:
                    self.collect(packet, packopt, calls, len(raw))
                except Exception:
                    self.stats.bad_packets += 1
                    self._throttle.log(
                        logging.ERROR,
                        (name, "dispatch"),
                        f"failures while dispatching packets of channel {name!r}",
                        "OSC channel %r: failure while dispatching",
                        name,
                        exc_info=True,
                    )
        channel.stats.decoded += decoded
        stats.messages += messages
        if unmatched:
            stats.unmatched += unmatched
        if by_source:
            for source, lane_calls in lanes.items():
                if lane_calls:
                    lane = name if source is _UNHASHABLE else (name, source)
                    self.run(lane, lane_calls, channel, sizes[source])
        elif calls:
            nbytes = 0 if executor is None else sum([len(item[0]) for item in items])
            self.run(name, calls, channel, nbytes)

    def _bad_packet(self, name: str, srcident: Any, size: int, error: Exception) -> None:
        host = srcident[0] if isinstance(srcident, tuple) and srcident else srcident
        label = f"bad packets from {host!r} on channel {name!r}"
        try:
            hash(host)
        except TypeError:
            host = _UNHASHABLE
        hosts = self._bad_hosts.get(name)
        if hosts is None:
            # Accepted TCP connections are channels of their own: forget the oldest
            # channels past what the throttle tracks anyway.
            while len(self._bad_hosts) >= MAX_CAUSES:
                with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                    del self._bad_hosts[next(iter(self._bad_hosts))]
            hosts = self._bad_hosts.setdefault(name, set())
        if host not in hosts:
            if len(hosts) < MAX_BAD_PACKET_HOSTS:
                hosts.add(host)
            else:
                host = _OTHER_HOSTS
                label = f"bad packets from other hosts on channel {name!r}"
        self._throttle.log(
            logging.WARNING,
            (name, host),
            label,
            "OSC channel %r: bad packet from %r (%d bytes), dropped: %s",
            name,
            srcident,
            size,
            error,
        )

    # ----- dispatching decoded packets -------------------------------------------------
    def dispatch_packet(self, packet: Any, packopt: Optional[PacketOptions]) -> Optional[int]:
        """Dispatch a decoded message or bundle, as osc4py3 does: return the number of calls
        made or queued (future bundles are held: 0), or None for a late bundle forgotten
        (``forget_oldmsg``). A failing handler is logged and counted; a sub-bundle timed
        before its parent (``check_subbundle_timetag``) raises ValueError, after the calls
        of what came before it.
        """
        calls: list[Any] = []
        try:
            count = self.collect(packet, packopt, calls, strict=True)
        finally:
            if calls:
                self.run(lane_of(packopt), calls, None, 0)
        return None if count is _FORGOTTEN else count

    def deliver(self, packet: Any, packopt: Optional[PacketOptions]) -> None:
        """Dispatch a decoded packet on behalf of the runtime (``_local`` delivery): like
        :meth:`dispatch_packet`, but what is wrong with the packet is only logged and
        counted, never raised into the loop."""
        calls: list[Any] = []
        self.collect(packet, packopt, calls)
        if calls:
            self.run(lane_of(packopt), calls, None, 0)

    def collect(
        self,
        packet: Any,
        packopt: Optional[PacketOptions],
        calls: list[Any],
        nbytes: int = 0,
        strict: bool = False,
    ) -> Any:
        """Append the calls *packet* makes now to the flat list *calls*; hold its future
        bundles (*nbytes*: its raw size, if known, for the bounds). Returns the number of
        filter calls appended (:data:`_FORGOTTEN` for a late bundle forgotten). With
        *strict*, a sub-bundle timed before its parent raises ValueError (osc4py3)."""
        if isinstance(packet, OSCMessage):
            return self._collect_message(packet, packopt, calls)
        if isinstance(packet, OSCBundle):
            when = self._bundle_due_now(packet, packopt, nbytes)
            if when is False or when is _FORGOTTEN:
                return 0 if when is False else _FORGOTTEN
            return self._collect_bundle(packet, packopt, when, calls, 0, strict)
        self.stats.bad_packets += 1
        self.logger.error("OSC dispatcher %s: not a packet: %r", self.dispname, packet)
        return 0

    def _collect_message(
        self, message: OSCMessage, packopt: Optional[PacketOptions], calls: list[Any]
    ) -> int:
        # The one "look up filters, count unmatched, queue the call" of decoded messages.
        self.stats.messages += 1
        filters = self.index.lookup(message.addrpattern)
        if not filters:
            self.stats.unmatched += 1
            return 0
        calls += (filters, message, packopt)
        return len(filters)

    def _due(self, timetag: Any, packopt: Optional[PacketOptions]) -> Optional[float]:
        # Wall-clock due time of a time tag, or None for "now".
        if packopt is not None and not packopt.honor_timetag:
            return None
        if is_immediate(timetag):
            return None
        offset = packopt.timetag_offset if packopt is not None else 0
        return timetag2unixtime(timetag) + offset

    def _bundle_due_now(self, bundle: Any, packopt: Optional[PacketOptions], nbytes: int) -> Any:
        # The due time of a bundle to run now (None: immediate), or False when it was
        # delayed, dropped as late, or has a bad time tag.
        try:
            when = self._due(bundle.timetag, packopt)
        except Exception as error:
            self.stats.bad_packets += 1
            self.logger.warning("OSC dispatcher %s: bad bundle time tag: %s", self.dispname, error)
            return False
        if when is not None:
            delay = when - time.time()
            if packopt is not None and packopt.forget_oldmsg and delay < -NOW_RESOLUTION:
                self.stats.late_dropped += 1
                self._throttle.log(
                    logging.INFO,
                    "late",
                    "late bundles dropped (forget_oldmsg)",
                    "OSC dispatcher %s: bundle %.3f s late, dropped (forget_oldmsg)",
                    self.dispname,
                    -delay,
                )
                return _FORGOTTEN
            if delay > NOW_RESOLUTION:
                self.delay(when, bundle, packopt, nbytes)
                return False
        return when

    def _collect_bundle(
        self,
        bundle: Any,
        packopt: Optional[PacketOptions],
        when: Optional[float],
        calls: list[Any],
        depth: int,
        strict: bool = False,
    ) -> int:
        """Append the calls of a bundle due now; hold its future sub-bundles; count calls."""
        if depth >= MAX_BUNDLE_NESTING:
            self.stats.subbundle_dropped += 1
            # A peer can send such a bundle over and over (when the codec's
            # max_bundle_depth is raised past MAX_BUNDLE_NESTING): rate-limited.
            self._throttle.log(
                logging.WARNING,
                "nesting",
                "bundles nested too deep",
                "OSC dispatcher %s: bundles nested more than %d deep, the deeper ones dropped",
                self.dispname,
                MAX_BUNDLE_NESTING,
            )
            return 0
        if packopt is not None:
            # Its messages' handlers see the time tag of the bundle they came in.
            packopt = packopt.duplicate()
            packopt.timetag = bundle.timetag
        stats = self.stats
        count = 0
        for element in bundle.elements:
            if isinstance(element, OSCMessage):
                count += self._collect_message(element, packopt, calls)
            elif isinstance(element, OSCBundle):
                try:
                    subwhen = self._due(element.timetag, packopt)
                except Exception as error:
                    stats.bad_packets += 1
                    self.logger.warning("OSC dispatcher: bad sub-bundle time tag: %s", error)
                    continue
                if (
                    subwhen is not None
                    and when is not None
                    and packopt is not None
                    and packopt.check_subbundle_timetag
                    and subwhen < when
                ):
                    stats.subbundle_dropped += 1
                    if strict:
                        raise ValueError(
                            "OSC invalid timetag in sub-bundle, must be >= parent bundle timetag"
                        )
                    self._throttle.log(
                        logging.WARNING,
                        "subbundle",
                        "sub-bundles timed before their parent dropped",
                        "OSC dispatcher %s: sub-bundle timed before its parent, dropped",
                        self.dispname,
                    )
                    continue
                if subwhen is not None:
                    delay = subwhen - time.time()
                    if delay > NOW_RESOLUTION:
                        self.delay(subwhen, element, packopt, estimate_size(element))
                        continue
                count += self._collect_bundle(element, packopt, subwhen, calls, depth + 1, strict)
            else:
                stats.bad_packets += 1
                self.logger.error(
                    "OSC dispatcher %s: bad bundle element %r", self.dispname, element
                )
        return count

    # ----- osc4py3's finer-grained entry points ------------------------------------------
    def dispatch_bundle(self, bundle: Any, packopt: Optional[PacketOptions]) -> Optional[int]:
        """Run *bundle* now when due (or with no time tag), else hold it (osc4py3 API)."""
        return self.dispatch_packet(bundle, packopt)

    def execute_bundle(self, bundle: Any, packopt: Optional[PacketOptions]) -> int:
        """Run the elements of *bundle* now, whatever its time tag (osc4py3 API); future
        sub-bundles are held. Returns the number of calls made."""
        calls: list[Any] = []
        try:
            count = self._collect_bundle(bundle, packopt, None, calls, 0, strict=True)
        finally:
            if calls:
                self.run(lane_of(packopt), calls, None, 0)
        return count

    def execute_message(self, msg: Any, packopt: Optional[PacketOptions]) -> int:
        """Call the methods matching message *msg* now or through the executor (osc4py3
        API); return how many matched."""
        calls: list[Any] = []
        count = self._collect_message(msg, packopt, calls)
        if calls:
            self.run(lane_of(packopt), calls, None, 0)
        return count

    # ----- running calls ---------------------------------------------------------------
    def run(
        self, lane: Hashable, calls: list[Any], channel: Optional[TransportChannel], nbytes: int
    ) -> None:
        """Run the flat list *calls* now, or hand it to the executor in *lane*."""
        executor = self.executor
        if executor is None:
            self.execute_flat(calls, channel)
        else:
            executor.submit(lane, calls, channel, nbytes)

    def execute_flat(self, flat: list[Any], channel: Optional[TransportChannel] = None) -> int:
        """Run each ``filters, message, packopt`` triple of the flat list, in order;
        return the calls made.

        A handler that raises is logged and counted by its filter (``failures``), in this
        dispatcher's ``handler_errors`` and in the reader channel's: *channel* when given,
        else the ``readchannel`` of each entry's packet options. ``SystemExit`` and
        ``KeyboardInterrupt`` propagate (the policy decides what they mean).
        """
        if channel is None:
            count = 0
            items = iter(flat)
            call = oscmethod.call_methods_failures
            errors = 0
            # zip reuses its result tuple: nothing is allocated per message.
            for filters, message, packopt in zip(items, items, items):
                count += len(filters)
                try:
                    failed = call(filters, message, packopt)
                except Exception:
                    failed = 1
                    self.logger.exception(
                        "OSC dispatcher %s: failure in method call", self.dispname
                    )
                if failed:
                    errors += failed
                    reader = packopt.readchannel if packopt is not None else None
                    if reader is not None:
                        reader.stats.handler_errors += failed
            self.stats.calls += count
            if errors:
                self.stats.handler_errors += errors
            return count
        # One channel: the whole batch in the compiled loop, counted once.
        count, errors = oscmethod.call_flat_failures(flat)
        self.stats.calls += count
        if errors:
            self.stats.handler_errors += errors
            channel.stats.handler_errors += errors
        return count

    def execute_calls(
        self, calls: Iterable[tuple[Any, Any, Any]], channel: Optional[TransportChannel] = None
    ) -> int:
        """:meth:`execute_flat` for ``(filters, message, packopt)`` tuples."""
        flat: list[Any] = []
        for entry in calls:
            flat += entry
        return self.execute_flat(flat, channel)

    # ----- delayed bundles -------------------------------------------------------------
    def delay(
        self, when: float, bundle: Any, packopt: Optional[PacketOptions], nbytes: int = 0
    ) -> bool:
        """Hold *bundle* until the Unix time *when* (within the bounds); False when dropped."""
        if not nbytes:
            nbytes = estimate_size(bundle)
        refused, earliest, evicted = self.delayed.push(when, bundle, packopt, nbytes)
        if evicted:
            self.stats.delayed_evicted += evicted
            source = source_key(packopt)
            self._throttle.log(
                logging.WARNING,
                "delayed_evicted",
                "future bundles evicted for sources holding fewer",
                "OSC dispatcher %s: the future bundles wait at their bound (max_delayed): "
                "%d due last of the biggest holder dropped to make room for %r",
                self.dispname,
                evicted,
                source,
            )
        if refused is not None:
            setattr(self.stats, refused, getattr(self.stats, refused) + 1)
            source = source_key(packopt)
            self._throttle.log(
                logging.WARNING,
                (refused, source),
                f"future bundles dropped from {source!r} ({refused})",
                "OSC dispatcher %s: future bundle from %r dropped (%s): %s",
                self.dispname,
                source,
                refused,
                _REFUSALS[refused].format(delayed=self.delayed),
            )
            return False
        self.stats.delayed += 1
        if earliest and self.on_delayed is not None:
            self.on_delayed()
        return True

    def delayed_count(self) -> int:
        """How many bundles wait for their time tag."""
        return len(self.delayed)

    def next_delay(self) -> Optional[float]:
        """Seconds until the next delayed bundle is due (0 when due), None when none waits."""
        return self.delayed.next_delay()

    def process_delayed(self, maxcount: int = 1000) -> int:
        """Run the delayed bundles that are due (at most *maxcount*); return how many ran."""
        done = 0
        delayed = self.delayed
        while done < maxcount and len(delayed):
            entry = delayed.pop_due(time.monotonic())
            if entry is None:
                break
            done += 1
            calls: list[Any] = []
            try:
                when = self._due(entry.bundle.timetag, entry.packopt)
                self._collect_bundle(entry.bundle, entry.packopt, when, calls, 0)
            except Exception:
                self.logger.exception("OSC dispatcher %s: failure in delayed bundle", self.dispname)
                continue
            if calls:
                self.run(lane_of(entry.packopt), calls, None, 0)
        return done

    def clear_delayed(self) -> int:
        """Forget every waiting bundle; return how many were dropped."""
        return self.delayed.clear()


#: What each refusal of :meth:`DelayedBundles.push` means, for the log line.
_REFUSALS = {
    "delayed_too_far": "timed more than {delayed.max_delay:g} s ahead (max_delay)",
    "delayed_overflow": (
        "{delayed.max_count} bundles / {delayed.max_bytes} bytes already wait (max_delayed)"
    ),
    "delayed_source_overflow": (
        "this source already holds its share of the waiting bundles "
        "({delayed.source_count} / {delayed.source_bytes} bytes)"
    ),
}

#: Lane key, within a channel, of sources whose identification cannot be hashed.
_UNHASHABLE = object()
_OTHER_HOSTS = object()  # the cause of bad packets past MAX_BAD_PACKET_HOSTS hosts
#: No source seen yet in a read (receive()'s shared packet options).
_NO_SOURCE: Any = object()
#: What collect() returns for a late bundle forgotten (forget_oldmsg).
_FORGOTTEN: Any = object()


# ----- osc4py3's module-level functions ----------------------------------------------------
#: Dispatchers made with a name (osc4py3's all_dispatchers), until they terminate.
_NAMED: weakref.WeakValueDictionary[str, Dispatcher] = weakref.WeakValueDictionary()
_NAMES_LOCK = threading.Lock()
_registered: Optional[Dispatcher] = None
_default_provider: Optional[Callable[[], Optional[Dispatcher]]] = None
_default_adopter: Optional[Callable[[Optional[Dispatcher]], None]] = None


def set_default_provider(
    provider: Callable[[], Optional[Dispatcher]],
    adopter: Optional[Callable[[Optional[Dispatcher]], None]] = None,
) -> None:
    """Tell where the default system's dispatcher comes from (it returns None while that
    system is not running), and how to make the default system dispatch with the one a
    program registers (the runtime injects both at import: this layer never imports it)."""
    global _default_provider, _default_adopter
    _default_provider = provider
    _default_adopter = adopter


def registered_dispatcher() -> Optional[Dispatcher]:
    """The dispatcher registered with :func:`register_global_dispatcher`, or None."""
    return _registered


def _current_global() -> Optional[Dispatcher]:
    if _registered is not None:
        return _registered
    return _default_provider() if _default_provider is not None else None


def globdisp() -> Dispatcher:
    """The global dispatcher (osc4py3): the one registered, else the one of the running
    default system (``osc_startup()`` registers it); RuntimeError when there is none."""
    disp = _current_global()
    if disp is None:
        raise RuntimeError("OSC no global dispatcher registered (call osc_startup())")
    return disp


def register_global_dispatcher(disp: Optional[Dispatcher]) -> None:
    """Make *disp* (None: a new ``Dispatcher("global")``) the global dispatcher (osc4py3
    API); RuntimeError when one is registered already (a running default system's
    counts, as after osc4py3's ``osc_startup()``)."""
    global _registered
    if _current_global() is not None:
        raise RuntimeError("OSC global dispatcher already registered")
    _registered = disp if disp is not None else Dispatcher("global", {})
    if _default_adopter is not None:
        _default_adopter(_registered)


def unregister_global_dispatcher() -> None:
    """Terminate and forget the dispatcher registered with
    :func:`register_global_dispatcher` (osc4py3 API); RuntimeError when there is none."""
    global _registered
    if _registered is None:
        if _current_global() is not None:
            raise RuntimeError(
                "OSC global dispatcher belongs to the running system: call osc_terminate()"
            )
        raise RuntimeError("OSC no global dispatcher registered")
    _registered.terminate()
    _registered = None
    if _default_adopter is not None:
        _default_adopter(None)


def register_method(method: oscmethod.MethodFilter) -> None:
    """Register a :class:`~oscwire.oscmethod.MethodFilter` with the global dispatcher
    (osc4py3's way to use ``patternkind="re"`` or a filter built by hand)."""
    globdisp().add_method(method)


def unregister_method(method: oscmethod.MethodFilter) -> None:
    """Unregister a filter from the global dispatcher (osc4py3 raises ValueError when it
    is not registered; so does this)."""
    if not globdisp().remove_method(method):
        raise ValueError(f"OSC method {method!r} is not registered")


def delay_bundle(
    when: float, disp: Optional[Dispatcher], bundle: Any, packopt: Optional[PacketOptions]
) -> None:
    """Hold *bundle* until the Unix time *when*, then run it with *disp* (osc4py3 API)."""
    (disp if disp is not None else globdisp()).delay(when, bundle, packopt)


#: osc4py3's record of a delayed bundle (kept for its programs).
PendingBundle = collections.namedtuple("PendingBundle", "when disp bundle packopt")
#: osc4py3's end marker of its delayed-bundles queue.
LAST_PENDINGBUNDLE = PendingBundle(0, None, None, None)


def delayed_process_loop(deadlinetime: Any = 0, logger: Any = None) -> None:
    """Run the delayed bundles that are due, of the global dispatcher and of every named
    one (osc4py3 kept them all in one queue; the policies of oscwire run the default
    system's themselves)."""
    if deadlinetime is None:
        raise NotImplementedError(
            "oscwire runs delayed bundles in its policies: no thread loop to start here"
        )
    with _NAMES_LOCK:
        dispatchers = dict.fromkeys(_NAMED.values())
    current = _current_global()
    if current is not None:
        dispatchers[current] = None
    for disp in dispatchers:
        disp.process_delayed()


@unsupported(
    "oscdispatching.next_bundle",
    "delayed bundles wait in each dispatcher, not in one module queue",
    "oscwire.oscdispatching.Dispatcher.delayed_count() and "
    "oscwire.oscdispatching.Dispatcher.process_delayed()",
)
def next_bundle(timeout: Optional[float]) -> Any:
    """osc4py3's access to its delayed-bundles queue: no such queue in oscwire."""


@unsupported(
    "oscdispatching.create_delayed_thread",
    "the policies run delayed bundles: no delayed thread to create",
    "oscwire.as_comthreads or oscwire.as_allthreads, whose communication thread runs them",
)
def create_delayed_thread(logger: Any = None) -> Any:
    """osc4py3 ran delayed bundles in a thread of their own; oscwire's policies run them."""


def terminate_delayed_thread() -> None:
    """Nothing to terminate: oscwire has no delayed-bundles thread (osc4py3 API)."""


_DELAYED_BY_DISPATCHER = (
    "oscwire.oscdispatching.Dispatcher.delayed_count() and "
    "oscwire.oscdispatching.Dispatcher.process_delayed()"
)
#: osc4py3's module state of its delayed-bundles thread, which oscwire does not have.
pending_bundles = UnsupportedValue(
    "oscdispatching.pending_bundles",
    "each dispatcher keeps its delayed bundles in a bounded heap",
    _DELAYED_BY_DISPATCHER,
)
pending_mutex = UnsupportedValue(
    "oscdispatching.pending_mutex",
    "each dispatcher locks its own delayed bundles",
    _DELAYED_BY_DISPATCHER,
)
pending_condvar = UnsupportedValue(
    "oscdispatching.pending_condvar",
    "the policies wake up for delayed bundles themselves",
    _DELAYED_BY_DISPATCHER,
)
delayed_thread = UnsupportedValue(
    "oscdispatching.delayed_thread",
    "the policies run delayed bundles: there is no delayed thread",
    "oscwire.as_comthreads or oscwire.as_allthreads, whose communication thread runs them",
)
#: osc4py3's stop request to its delayed thread: never set, as there is no such thread.
delayed_terminate = False


def __getattr__(name: str) -> Any:
    # osc4py3's module globals, as views of the default system where they mean something.
    if name == "global_dispatcher":
        return _current_global()
    if name == "all_dispatchers":
        with _NAMES_LOCK:
            named = dict(_NAMED)
        disp = _current_global()
        if disp is not None:
            named.setdefault(disp.dispname, disp)
        return named
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
