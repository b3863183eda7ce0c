"""Dispatching: call the methods that match each received message, at the right time.

A :class:`Dispatcher` finds the :class:`~oscwire.oscmethod.MethodFilter` objects of a
message through a :class:`~oscwire.oscmethod.MethodIndex` and calls them. Bundles are
honoured as the seed doc and OSC 1.0 describe:

* a bundle whose time tag is in the future waits in a heap ordered by time tag, and is
  run when its due time on the monotonic clock comes (a wall-clock jump does not move
  it); ties keep arrival order and bundles are never compared, so equal time tags never
  fail or deadlock; :meth:`Dispatcher.process_delayed` runs what is due and
  :meth:`Dispatcher.next_delay` tells how long to sleep;
* the heap is bounded (``max_delayed``, default :data:`MAX_DELAYED_BUNDLES`); when it is
  full a new future bundle is **dropped**, logged and counted (``delayed_overflow``) —
  running it early would break its timing, and dropping the oldest would punish the
  well-behaved sender;
* the messages of one bundle (and of its immediate sub-bundles) are called together, in
  order, in one go — never interleaved with other packets;
* :class:`~oscwire.oscpacketoptions.PacketOptions` decides: ``honor_timetag`` (False runs
  every bundle at once), ``forget_oldmsg`` (True drops bundles already late by more than
  :data:`NOW_RESOLUTION`), ``timetag_offset`` (seconds added to time tags),
  ``check_subbundle_timetag`` (True drops a sub-bundle timed before its parent).

Where the calls run is the policy's choice: ``executor`` is None (call now, in this
thread) or a callable ``executor(lane, calls)`` that runs the list of
``(methodfilters, message, packopt)`` later or elsewhere — each entry one message and the
filters it matched, run by :meth:`Dispatcher.execute_calls` — keeping the order of one
lane (the runtime uses one lane per source). Filters are called through
:func:`oscwire.oscmethod.call_methods_failures`, the compiled fast path that calls plain
``function(*arguments)`` handlers directly.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any, Callable, Optional

from oscwire import oscmethod
from oscwire.oscbuildparse import OSCBundle, OSCMessage, is_immediate, timetag2unixtime

_LOGGER = logging.getLogger("oscwire.oscdispatching")

#: Seconds around "now" that count as now (a bundle due within it runs at once).
NOW_RESOLUTION = 0.001
#: Default bound of bundles waiting for their time tag.
MAX_DELAYED_BUNDLES = 10000
#: Deepest nesting of bundles executed (deeper sub-bundles are dropped and logged).
MAX_BUNDLE_NESTING = 64

#: Entries ``(methodfilters, message, packopt)``: one message and the filters it matched.
Calls = list[tuple[Any, Any, Any]]
Executor = Callable[[Any, Calls], None]


class DispatchStats:
    """Counters of a dispatcher: ``messages`` dispatched, ``unmatched`` (no method),
    ``calls`` made, ``handler_errors``, ``delayed`` bundles queued, ``delayed_overflow``,
    ``late_dropped`` (``forget_oldmsg``), ``subbundle_dropped``, ``bad_packets``
    (objects that are neither message nor bundle)."""

    __slots__ = (
        "bad_packets",
        "calls",
        "delayed",
        "delayed_overflow",
        "handler_errors",
        "late_dropped",
        "messages",
        "subbundle_dropped",
        "unmatched",
    )

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        """A snapshot of every counter."""
        return {name: getattr(self, name) for name in self.__slots__}


def lane_of(packopt: Any) -> Any:
    """The ordering lane of a packet: its reader channel and source (hashable)."""
    if packopt is None:
        return "_local"
    key = (packopt.readername, packopt.srcident)
    try:
        hash(key)
    except TypeError:
        return packopt.readername
    return key


class Dispatcher:
    """Route messages to methods, hold future bundles, run calls through an executor.

    ``options``: ``logger``, ``max_delayed``. ``executor``: see the module doc.
    ``on_delayed``: called (from the thread that queued it) when a bundle becomes the
    earliest one waiting, so that a sleeping loop can shorten its sleep.
    """

    def __init__(
        self,
        dispname: str = "global",
        options: Optional[dict[str, Any]] = None,
        executor: Optional[Executor] = None,
        on_delayed: Optional[Callable[[], None]] = None,
    ) -> None:
        options = options or {}
        self.dispname = dispname
        self.logger: logging.Logger = options.get("logger") or _LOGGER
        self.max_delayed: int = int(options.get("max_delayed", MAX_DELAYED_BUNDLES))
        self.index = oscmethod.MethodIndex()
        self.executor = executor
        self.on_delayed = on_delayed
        self.stats = DispatchStats()
        # Entries: (time tag as Unix time, arrival number, monotonic due time, bundle,
        # packopt). Ordered by time tag then arrival, so equal time tags keep arrival
        # order and bundles are never compared; readiness uses the monotonic due time.
        self._heap: list[tuple[float, int, float, Any, Any]] = []
        self._seq = itertools.count()
        self._heap_lock = threading.Lock()

    # ----- methods ---------------------------------------------------------------------
    def add_method(self, method: Any) -> None:
        """Register a :class:`~oscwire.oscmethod.MethodFilter`."""
        self.index.add(method)

    def remove_method(self, method: Any) -> bool:
        """Unregister a filter; False when it was not registered."""
        return self.index.remove(method)

    @property
    def methodfilters(self) -> list[Any]:
        """The registered filters, in registration order (osc4py3 attribute)."""
        return list(self.index)

    def terminate(self) -> None:
        """Forget the delayed bundles (the methods stay registered)."""
        self.clear_delayed()

    # ----- dispatching -----------------------------------------------------------------
    def dispatch_packet(self, packet: Any, packopt: Any) -> int:
        """Dispatch a decoded message or bundle; return the number of calls made or queued.

        Future bundles are held (0 calls now). Never raises for a bad packet or a failing
        handler: both are logged and counted.
        """
        if type(packet) is OSCMessage or isinstance(packet, OSCMessage):
            filters = self.index.match(packet.addrpattern)
            self.stats.messages += 1
            if not filters:
                self.stats.unmatched += 1
                return 0
            self.run_calls([(filters, packet, packopt)], packopt)
            return len(filters)
        if isinstance(packet, OSCBundle):
            return self._dispatch_bundle(packet, packopt)
        self.stats.bad_packets += 1
        self.logger.error("OSC dispatcher %s: not a packet: %r", self.dispname, packet)
        return 0

    def _due(self, timetag: Any, packopt: Any) -> Optional[float]:
        # Wall-clock due time of a time tag, or None for "now".
        if packopt is not None and not packopt.honor_timetag:
            return None
        if is_immediate(timetag):
            return None
        offset = packopt.timetag_offset if packopt is not None else 0
        return timetag2unixtime(timetag) + offset

    def collect_packet(self, packet: Any, packopt: Any, calls: Calls) -> int:
        """Append the calls *packet* makes now to *calls*; hold its future bundles.

        What :meth:`dispatch_packet` does, minus running the calls: the processing stage
        uses it to hand one batch of calls per source to a thread pool. Returns the number
        of filter calls appended.
        """
        if isinstance(packet, OSCMessage):
            self.stats.messages += 1
            filters = self.index.match(packet.addrpattern)
            if not filters:
                self.stats.unmatched += 1
                return 0
            calls.append((filters, packet, packopt))
            return len(filters)
        if isinstance(packet, OSCBundle):
            when = self._bundle_due_now(packet, packopt)
            if when is not False:
                return self._collect_bundle(packet, packopt, when, calls, 0)
            return 0
        self.stats.bad_packets += 1
        self.logger.error("OSC dispatcher %s: not a packet: %r", self.dispname, packet)
        return 0

    def _bundle_due_now(self, bundle: Any, packopt: Any) -> Any:
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
                self.logger.info(
                    "OSC dispatcher %s: bundle %.3f s late, dropped (forget_oldmsg)",
                    self.dispname,
                    -delay,
                )
                return False
            if delay > NOW_RESOLUTION:
                self._delay(delay, bundle, packopt, when)
                return False
        return when

    def _dispatch_bundle(self, bundle: Any, packopt: Any) -> int:
        when = self._bundle_due_now(bundle, packopt)
        if when is False:
            return 0
        calls: Calls = []
        count = self._collect_bundle(bundle, packopt, when, calls, 0)
        if calls:
            self.run_calls(calls, packopt)
        return count

    def _collect_bundle(
        self, bundle: Any, packopt: Any, when: Optional[float], calls: Calls, depth: int
    ) -> int:
        """Append the calls of a bundle due now; hold its future sub-bundles; count calls."""
        if depth >= MAX_BUNDLE_NESTING:
            self.stats.subbundle_dropped += 1
            self.logger.warning("OSC dispatcher %s: bundles nested too deep", self.dispname)
            return 0
        match = self.index.match
        stats = self.stats
        count = 0
        for element in bundle.elements:
            if isinstance(element, OSCMessage):
                stats.messages += 1
                filters = match(element.addrpattern)
                if filters:
                    calls.append((filters, element, packopt))
                    count += len(filters)
                else:
                    stats.unmatched += 1
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
                    self.logger.warning(
                        "OSC dispatcher %s: sub-bundle timed before its parent, dropped",
                        self.dispname,
                    )
                    continue
                if subwhen is not None:
                    delay = subwhen - time.time()
                    if delay > NOW_RESOLUTION:
                        self._delay(delay, element, packopt, subwhen)
                        continue
                count += self._collect_bundle(element, packopt, subwhen, calls, depth + 1)
            else:
                stats.bad_packets += 1
                self.logger.error(
                    "OSC dispatcher %s: bad bundle element %r", self.dispname, element
                )
        return count

    def run_calls(self, calls: Calls, packopt: Any) -> None:
        """Run *calls* now or hand them to the executor, in the lane of *packopt*."""
        executor = self.executor
        if executor is None:
            self.execute_calls(calls)
        else:
            executor(lane_of(packopt), calls)

    def execute_calls(self, calls: Iterable[tuple[Any, Any, Any]], channel: Any = None) -> int:
        """Run each ``(methodfilters, message, packopt)`` in order; return the calls made.

        Filters log and count (``failures``) what their function raises;
        :func:`~oscwire.oscmethod.call_methods_failures` tells how many did, which is added
        to the dispatcher's statistics and to the reader channel's: *channel* when given,
        else the ``readchannel`` of each entry's packet options.
        """
        call = oscmethod.call_methods_failures
        count = 0
        errors = 0
        for filters, message, packopt in calls:
            count += len(filters)
            try:
                failed = call(filters, message, packopt)
            except Exception:
                failed = 1
                self.logger.exception("OSC dispatcher %s: failure in method call", self.dispname)
            if failed:
                errors += failed
                reader = channel
                if reader is None and packopt is not None:
                    reader = packopt.readchannel
                if reader is not None:
                    reader.stats.handler_errors += failed
        self.stats.calls += count
        if errors:
            self.stats.handler_errors += errors
        return count

    def execute_flat(self, flat: list, channel: Any = None) -> int:
        """:meth:`execute_calls` for a flat list ``[methodfilters, message, packopt, ...]``.

        What the processing stage hands to worker threads: one list per source and batch,
        no tuple per message (fewer objects in flight for the garbage collector).
        """
        if channel is None:
            items = iter(flat)
            # zip reuses its result tuple: nothing is allocated per message here either.
            return self.execute_calls(zip(items, items, items), channel)
        # One channel: the whole batch in the compiled loop, counted once.
        count, errors = oscmethod.call_flat_failures(flat)
        self.stats.calls += count
        if errors:
            self.stats.handler_errors += errors
            channel.stats.handler_errors += errors
        return count

    # ----- delayed bundles -------------------------------------------------------------
    def _delay(self, delay: float, bundle: Any, packopt: Any, when: float) -> None:
        due = time.monotonic() + delay
        with self._heap_lock:
            if len(self._heap) >= self.max_delayed:
                self.stats.delayed_overflow += 1
                overflow = self.stats.delayed_overflow
                earliest = False
            else:
                entry = (when, next(self._seq), due, bundle, packopt)
                heapq.heappush(self._heap, entry)
                self.stats.delayed += 1
                overflow = 0
                earliest = self._heap[0] is entry
        if overflow:
            if overflow <= 10 or overflow % 1000 == 0:
                self.logger.warning(
                    "OSC dispatcher %s: %d bundles already waiting, future bundle dropped",
                    self.dispname,
                    self.max_delayed,
                )
            return
        if earliest and self.on_delayed is not None:
            self.on_delayed()

    def delayed_count(self) -> int:
        """How many bundles wait for their time tag."""
        return len(self._heap)

    def next_delay(self) -> Optional[float]:
        """Seconds until the next delayed bundle is due (0 when due), None when none waits."""
        heap = self._heap
        if not heap:
            return None
        return max(0.0, heap[0][2] - time.monotonic())

    def process_delayed(self, maxcount: int = 1000) -> int:
        """Run the delayed bundles that are due (at most *maxcount*); return how many ran."""
        heap = self._heap
        done = 0
        while heap and done < maxcount:
            now = time.monotonic()
            with self._heap_lock:
                if not heap or heap[0][2] > now + NOW_RESOLUTION:
                    break
                _when, _seq, _due, bundle, packopt = heapq.heappop(heap)
            done += 1
            calls: Calls = []
            try:
                when = self._due(bundle.timetag, packopt)
                self._collect_bundle(bundle, packopt, when, calls, 0)
            except Exception:
                self.logger.exception("OSC dispatcher %s: failure in delayed bundle", self.dispname)
                continue
            if calls:
                self.run_calls(calls, packopt)
        return done

    def clear_delayed(self) -> int:
        """Forget every waiting bundle; return how many were dropped."""
        with self._heap_lock:
            count = len(self._heap)
            self._heap.clear()
        return count
