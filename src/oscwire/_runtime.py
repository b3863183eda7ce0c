"""The runtime object: one OSC system owns its channels, dispatcher, distributor and policy.

:class:`OSCSystem` is what osc4py3 kept in module globals. Two systems can live in one
process; :func:`default_system` is the one behind the ``as_*`` façades and osc4py3's
module-level functions (the only module-level state). Which thread does what is the
system's *policy* (:mod:`oscwire._policies`: event loop, comm threads, all threads;
:mod:`oscwire._asyncio_runtime`: asyncio), an object the system holds and can change
while it runs (:meth:`OSCSystem.switch_policy`).

What the system itself does, whatever the policy: it registers channels and methods, sends
(:class:`~oscwire.oscdistributing.Distributor`), queues what channels read and hands it to
the :class:`~oscwire.oscdispatching.Dispatcher` (:meth:`OSCSystem.serve_pending`), pauses
readers while the handlers are behind (back-pressure), queues ``"_local"`` packets so that
a handler sending to ``_local`` never recurses (one hop per round), and runs timers
(:meth:`OSCSystem.call_later`).

:meth:`OSCSystem.terminate` returns within its timeout whatever is pending: delayed
bundles and queued handler calls are dropped, threads are daemons and are told to stop.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import itertools
import logging
import threading
import time
import warnings
from typing import Any, Callable, Optional

from oscwire import (
    _logutil,
    oscbuildparse,
    oscchannel,
    oscdispatching,
    oscdistributing,
    oscmethod,
    oscpacketoptions,
)
from oscwire._errors import OSCError
from oscwire._monitoring import SteppingMonitor
from oscwire._policies import Policy, make_policy
from oscwire.oscchannel import TransportChannel
from oscwire.oscdispatching import Dispatcher
from oscwire.oscdistributing import Distributor
from oscwire.oscnettools import DEFAULT_DNS_CACHE, DnsCache
from oscwire.oscpacketoptions import PacketOptions

__all__ = [
    "OPTIONS",
    "OSCSystem",
    "SystemStats",
    "Timer",
    "default_system",
    "install_default_system",
    "replace_default_system",
]

_LOGGER = logging.getLogger("oscwire.runtime")

#: Batches of received packets waiting for processing, at most (then new ones are dropped).
MAX_RECEIVED_BATCHES = 4096
#: ``"_local"`` packets waiting for the next round, at most (then osc_send raises); in the
#: thread policies, handler jobs waiting, at most, for a ``"_local"`` send to be accepted.
MAX_LOCAL_PACKETS = 65536
#: Backpressure: past this many waiting handler jobs (one per source and read batch) or
#: received batches, channels stop reading until the handlers catch up: a TCP peer is
#: then held back by TCP flow control instead of its packets being dropped.
CONGESTED_JOBS = 256
CONGESTED_BATCHES = MAX_RECEIVED_BATCHES // 4
#: ... or past this many bytes of received packets whose handler calls wait: a flood of
#: big datagrams (64 KiB each) cannot pile up gigabytes before the job count says so.
CONGESTED_BYTES = 64 * 1024 * 1024
#: While readers are paused, the I/O loop checks this often for relief (s).
PAUSED_POLL = 0.005

#: The keyword options of :class:`OSCSystem` (and of ``osc_startup``).
OPTIONS = frozenset(
    {
        "logger",
        "execthreadscount",
        "writethreadscount",
        "patternkind",
        "max_delayed",
        "max_delayed_bytes",
        "max_delay",
        "raise_send_errors",
        *oscpacketoptions.PROCESSING_KEYS,
    }
)


class SystemStats:
    """Counters of a system (see :meth:`OSCSystem.all_stats` for the others).

    ``encode_errors`` (packets that could not be encoded), ``unknown_targets`` (sends to
    names that are no writer channel), ``local_dropped`` (``_local`` packets refused: too
    many waiting), ``received_dropped`` (read batches, or handler jobs, dropped: processing
    too late), ``handler_exits`` (handlers that raised ``SystemExit``/``KeyboardInterrupt``
    in a thread of the policy), ``handler_tasks_dropped`` (asyncio: handler tasks over the
    bound), ``log_suppressed`` (log lines counted instead of written, process-wide).
    """

    __slots__ = (
        "encode_errors",
        "handler_exits",
        "handler_tasks_dropped",
        "local_dropped",
        "received_dropped",
        "unknown_targets",
    )

    encode_errors: int
    handler_exits: int
    handler_tasks_dropped: int
    local_dropped: int
    received_dropped: int
    unknown_targets: int

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    # The distributor counts through the mapping protocol.
    def __getitem__(self, name: str) -> int:
        value: int = getattr(self, name)
        return value

    def __setitem__(self, name: str, value: int) -> None:
        setattr(self, name, value)

    def as_dict(self) -> dict[str, int]:
        """A snapshot of every counter (``log_suppressed`` included)."""
        result = {name: getattr(self, name) for name in self.__slots__}
        result["log_suppressed"] = _logutil.suppressed_total()
        return result


class Timer:
    """A callback due at a monotonic time (see :meth:`OSCSystem.call_later`)."""

    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Do not call the callback (no effect once it ran)."""
        self.cancelled = True


class OSCSystem:
    """An OSC runtime: channels, a dispatcher, a distributor and a scheduling policy.

    *policy* is a :class:`~oscwire._policies.Policy` or the name of one (``"eventloop"``,
    ``"comthreads"``, ``"allthreads"``). Keyword options: ``logger`` (default
    ``oscwire.runtime``), ``execthreadscount`` (10: handler threads of ``"allthreads"``),
    ``writethreadscount`` (accepted for osc4py3; writes never block, so no writer thread
    is needed), ``patternkind`` (``"osc"``: osc4py3 matching for :meth:`method`;
    ``"spec"``: OSC 1.0/1.1 exact matching), ``max_delayed``, ``max_delayed_bytes`` and
    ``max_delay`` (bounds of future bundles, see :mod:`oscwire.oscdispatching`),
    ``raise_send_errors`` (True: :meth:`send_packet` raises for an unencodable packet or an
    unknown channel; False: logs and counts, osc4py3's way), and default processing options
    for received packets (``honor_timetag``, ``forget_oldmsg``, ``timetag_offset``,
    ``check_subbundle_timetag``), which channel options override.
    """

    def __init__(self, policy: Any = "eventloop", **options: Any) -> None:
        unknown = set(options) - OPTIONS
        if unknown:
            raise TypeError(f"unknown OSC system options: {', '.join(sorted(unknown))}")
        self.logger: logging.Logger = options.get("logger") or _LOGGER
        self.execthreadscount = int(options.get("execthreadscount", 10))
        self.writethreadscount = int(options.get("writethreadscount", 10))
        self.policy: Policy = make_policy(policy, self.execthreadscount)
        self.patternkind: str = options.get("patternkind", "osc")
        if self.patternkind not in oscmethod.PATTERN_KINDS:
            raise ValueError(
                f"OSC patternkind must be one of {oscmethod.PATTERN_KINDS}: {self.patternkind!r}"
            )
        self.delay_options = {
            key: options[key]
            for key in ("max_delayed", "max_delayed_bytes", "max_delay")
            if options.get(key) is not None
        }
        self.raise_send_errors = bool(options.get("raise_send_errors", True))
        self.processing_defaults = {
            k: options[k] for k in oscpacketoptions.PROCESSING_KEYS if k in options
        }
        self.dnscache: DnsCache = DEFAULT_DNS_CACHE
        self.channels: dict[str, TransportChannel] = {}
        self.stats = SystemStats()
        self.dispatcher: Optional[Dispatcher] = None
        self._own_dispatcher: Optional[Dispatcher] = None
        self.distributor = Distributor(self)
        self.running = False
        #: True once terminated, until started again: channels made then do not restart it.
        self.terminated = False
        #: True when osc_startup() started it (not a channel or method created before).
        self.started_by_facade = False
        self._lock = threading.RLock()
        self._received: collections.deque[tuple[TransportChannel, list[Any], float]] = (
            collections.deque()
        )
        self._local: collections.deque[tuple[Any, PacketOptions]] = collections.deque()
        self._paused: set[TransportChannel] = set()
        self._house_lock = threading.Lock()
        #: Bytes of received packets whose handler jobs are queued (see count_waiting_bytes).
        self.waiting_bytes = 0
        self._bytes_lock = threading.Lock()
        # Timers of call_later: a heap of (monotonic due time, sequence, timer).
        self._timers: list[tuple[float, int, Timer]] = []
        self._timer_seq = itertools.count()
        # Channels kept open a while (see linger), with their timer.
        self._lingering: dict[Any, Timer] = {}
        # A handler's SystemExit/KeyboardInterrupt in a policy thread, for process().
        self._pending_exit: Optional[BaseException] = None
        self._exit_throttle = _logutil.LogThrottle(self.logger)

    def configure(self, **options: Any) -> None:
        """Change options of a running system (what ``osc_startup()`` gives to a system that
        channels made before it started): the same keywords as the constructor."""
        unknown = set(options) - OPTIONS
        if unknown:
            raise TypeError(f"unknown OSC system options: {', '.join(sorted(unknown))}")
        if options.get("logger") is not None:
            self.logger = options["logger"]
        if "execthreadscount" in options:
            self.execthreadscount = int(options["execthreadscount"])
        if "writethreadscount" in options:
            self.writethreadscount = int(options["writethreadscount"])
        if "patternkind" in options:
            kind = options["patternkind"]
            if kind not in oscmethod.PATTERN_KINDS:
                raise ValueError(f"OSC patternkind must be one of {oscmethod.PATTERN_KINDS}")
            self.patternkind = kind
        if "raise_send_errors" in options:
            self.raise_send_errors = bool(options["raise_send_errors"])
        processing = {k: options[k] for k in oscpacketoptions.PROCESSING_KEYS if k in options}
        if processing:
            self.processing_defaults.update(processing)
            for channel in list(self.channels.values()):
                merged = dict(processing)
                merged.update(channel.packopt_overrides or {})
                channel.packopt_overrides = merged
        delays = {
            key: options[key]
            for key in ("max_delayed", "max_delayed_bytes", "max_delay")
            if options.get(key) is not None
        }
        if delays:
            self.delay_options.update(delays)
            if self.dispatcher is not None:
                self.dispatcher.delayed.configure(**delays)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<OSCSystem {self.policy.name} {state}, {len(self.channels)} channels>"

    # ----- lifecycle -------------------------------------------------------------------
    @property
    def monitor(self) -> Optional[SteppingMonitor]:
        """The monitor channels register with (the policy's), or None when stopped."""
        return self.policy.monitor

    @property
    def batching(self) -> int:
        """Threads inside :meth:`batched_sends`."""
        return self.distributor.batching

    def start(self) -> OSCSystem:
        """Create the dispatcher, monitor and threads of the policy (idempotent)."""
        with self._lock:
            if self.running:
                return self
            self.started_by_facade = False
            self._own_dispatcher = Dispatcher(
                "global",
                {"logger": self.logger, **self.delay_options},
                executor=None,
                on_delayed=self.wake,
                register=False,
            )
            self.dispatcher = self._own_dispatcher
            if self is _DEFAULT and oscdispatching.registered_dispatcher() is not None:
                # osc4py3's register_global_dispatcher() ran first: that one dispatches.
                self.dispatcher = oscdispatching.registered_dispatcher()
            self._clear_queues()
            self.running = True
            self.terminated = False
            try:
                self._attach(self.policy, None)
            except BaseException:
                self.running = False
                self.dispatcher = None
                raise
        return self

    def _attach(self, policy: Policy, previous_monitor: Optional[SteppingMonitor]) -> None:
        monitor = policy.make_monitor(self, previous_monitor)
        policy.attach(self, monitor)
        if self.dispatcher is not None:
            self.dispatcher.executor = policy.executor
            self.dispatcher.on_delayed = self.wake

    def use_dispatcher(self, dispatcher: Optional[Dispatcher]) -> None:
        """Dispatch with *dispatcher* from now on (osc4py3's
        ``register_global_dispatcher()`` on the default system); None: the system's own."""
        with self._lock:
            chosen = dispatcher if dispatcher is not None else self._own_dispatcher
            if chosen is None or not self.running:
                return
            chosen.executor = self.policy.executor
            chosen.on_delayed = self.wake
            self.dispatcher = chosen

    def switch_policy(self, policy: Any) -> Policy:
        """Serve this system with another policy from now on, keeping its channels,
        methods and waiting bundles (``osc_startup()`` after channels were made).

        Handler calls still queued in the old policy are run first, in this thread.
        """
        new = make_policy(policy, self.execthreadscount)
        with self._lock:
            old = self.policy
            if not self.running:
                self.policy = new
                return new
            old.detach(time.monotonic() + 0.5)
            leftover = getattr(old, "queue", None)
            if leftover is not None:
                leftover.run_pending()
            self.policy = new
            monitor = old.monitor
            self._attach(new, monitor)
            if new.monitor is not monitor:
                # Another kind of monitor: channels move over to it.
                for channel in list(self.channels.values()):
                    channel.move_to_monitor(new.monitor)
                if monitor is not None:
                    monitor.terminate(timeout=0)
        return new

    def terminate(self, timeout: float = 0.5) -> None:
        """Close every channel, drop pending work, stop the threads; return within *timeout*.

        Handlers still running get that long to return (their daemon threads are left to
        finish alone after it): well inside the second osc_terminate() promises.
        """
        with self._lock:
            if not self.running:
                return
            self.running = False
            self.terminated = True
            deadline = time.monotonic() + timeout
            policy = self.policy
            policy.detach(deadline)
            for channel in list(self.channels.values()):
                try:
                    channel.terminate()
                except Exception:
                    self.logger.exception("OSC terminate: failure closing channel %r", channel)
            self.channels.clear()
            own = self._own_dispatcher
            if own is not None:
                dropped = own.clear_delayed()
                if dropped:
                    self.logger.info("OSC terminate: %d delayed bundles dropped", dropped)
                own.terminate()
            # A dispatcher registered by the program (osc4py3's global one) is its own.
            self.dispatcher = None
            monitor = policy.monitor
            if monitor is not None:
                monitor.terminate(timeout=max(0.0, deadline - time.monotonic()))
            policy.monitor = None
            self._clear_queues()
            _logutil.flush_all()

    def _clear_queues(self) -> None:
        self._received.clear()
        self._local.clear()
        self._paused.clear()
        self._lingering.clear()
        self._timers.clear()
        self.waiting_bytes = 0

    def __enter__(self) -> OSCSystem:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.terminate()

    # ----- channels (the ChannelHost protocol) ----------------------------------------
    def register_channel(self, channel: TransportChannel) -> None:
        """Called by a new channel: reserve its name (the system must be started)."""
        with self._lock:
            if not self.running:
                raise RuntimeError("OSC system not started")
            if channel.chaname in self.channels:
                raise ValueError(f"OSC channel name {channel.chaname!r} already used")
            self.channels[channel.chaname] = channel
            if self.processing_defaults:
                merged = dict(self.processing_defaults)
                merged.update(channel.packopt_overrides or {})
                channel.packopt_overrides = merged

    def unregister_channel(self, channel: TransportChannel) -> None:
        """Called by a terminated channel: free its name."""
        with self._lock:
            if self.channels.get(channel.chaname) is channel:
                del self.channels[channel.chaname]

    def get_channel(self, name: str) -> Optional[TransportChannel]:
        """The channel called *name*, or None."""
        return self.channels.get(name)

    # ----- methods ---------------------------------------------------------------------
    def method(
        self,
        addrpattern: str,
        function: Callable[..., Any],
        argscheme: Optional[tuple[str, ...]] = None,
        extra: Any = None,
        patternkind: Optional[str] = None,
    ) -> oscmethod.MethodFilter:
        """Register *function* for *addrpattern*; return the MethodFilter (a handle)."""
        if not self.running:
            self.start()
        assert self.dispatcher is not None
        method = oscmethod.MethodFilter(
            addrpattern,
            function,
            patternkind=patternkind or self.patternkind,
            argscheme=oscmethod.OSCARG_DATAUNPACK if argscheme is None else argscheme,
            extra=extra,
            logger=self.logger if self.logger is not _LOGGER else None,
        )
        self.dispatcher.add_method(method)
        return method

    def unmethod(self, handle: oscmethod.MethodFilter) -> bool:
        """Unregister a method returned by :meth:`method`; False if it was not registered."""
        if self.dispatcher is None:
            return False
        return self.dispatcher.remove_method(handle)

    # ----- sending ---------------------------------------------------------------------
    def send_packet(self, packet: Any, names: Any, packopt: Optional[PacketOptions] = None) -> int:
        """Send *packet* to the channels *names* (see :class:`~oscwire.oscdistributing.
        Distributor`); return how many took it. Raises RuntimeError when not started."""
        if not self.running:
            raise RuntimeError("OSC send: the system is not started (call osc_startup())")
        return self.distributor.send(packet, names, packopt)

    def reply(self, packopt: Optional[PacketOptions], packet: Any) -> bool:
        """Send *packet* back to the source of the packet *packopt* describes."""
        if packopt is None:
            raise ValueError("OSC reply needs the packet options (argscheme OSCARG_PACKOPT)")
        return bool(packopt.reply(packet))

    def batched_sends(self) -> contextlib.AbstractContextManager[None]:
        """Within the block, this thread's sends are queued and leave together (see
        :meth:`oscwire.oscdistributing.Distributor.batched`)."""
        return self.distributor.batched()

    def deliver_local(self, packet: Any, packopt: PacketOptions) -> None:
        """Dispatch *packet* in this process (the ``"_local"`` name), never inside the send.

        Where handlers run in threads of the policy (comthreads, allthreads), the calls
        are queued for them now, as osc4py3 does. Elsewhere the packet waits for the next
        round of the loop that serves the system (the next ``osc_process()`` in the event
        loop policy): a handler that sends to ``_local`` makes one hop per round, however
        long the chain, and never recurses.
        """
        dispatcher = self.dispatcher
        if dispatcher is not None and dispatcher.executor is not None and self.running:
            # The handler jobs are the queue here: refused at the same bound, and raised,
            # before the executor's own bound would drop the job with only a log line.
            waiting = self.policy.backlog()
            if waiting >= MAX_LOCAL_PACKETS:
                self.stats.local_dropped += 1
                raise OSCError(
                    f"OSC send to '_local': {waiting} handler jobs already wait "
                    "(is osc_process() called? are the handlers stuck?)"
                )
            dispatcher.deliver(packet, packopt)
            return
        if len(self._local) >= MAX_LOCAL_PACKETS:
            self.stats.local_dropped += 1
            raise OSCError(
                f"OSC send to '_local': {MAX_LOCAL_PACKETS} local packets already wait "
                "(is osc_process() called?)"
            )
        self._local.append((packet, packopt))
        self.policy.wake()

    def post_rawpacket(self, rawoscdata: Any, packopt: Optional[PacketOptions]) -> None:
        """Queue one raw packet received by other means (osc4py3's
        ``oscchannel.post_rawpacket``) as if its reader channel (``packopt.readername``)
        had read it; with no such channel it is decoded now and dispatched as a
        ``"_local"`` packet."""
        packopt = packopt if packopt is not None else PacketOptions()
        channel = self.channels.get(packopt.readername)
        if channel is not None:
            self.post_received(channel, [(rawoscdata, packopt.srcident, None)], time.time())
            return
        self.deliver_local(oscbuildparse.decode_packet(rawoscdata), packopt)

    def raw_pending(self) -> int:
        """Raw packets read and not processed yet (osc4py3's ``received_rawpackets``)."""
        return sum(len(batch[1]) for batch in list(self._received))

    def take_rawpacket(self) -> Optional[tuple[Any, PacketOptions]]:
        """Take the oldest raw packet read and not processed yet, with its packet options
        (osc4py3's ``next_rawpacket``), or None: the program processes it itself."""
        received = self._received
        while received:
            try:
                channel, items, readtime = received[0]
            except IndexError:
                return None
            if not items:
                with contextlib.suppress(IndexError):
                    received.popleft()
                continue
            raw, srcident, srcaddress = items.pop(0)
            if not items:
                with contextlib.suppress(IndexError):
                    received.popleft()
            packopt = oscpacketoptions.make_received(
                channel.chaname, srcident, readtime, srcaddress, channel,
                channel.packopt_overrides,
            )  # fmt: skip
            return raw, packopt
        return None

    def serve_local(self) -> None:
        """Dispatch the ``"_local"`` packets queued before this call (osc4py3's
        ``sendingpackets_process_loop``)."""
        if self._local:
            self._serve_local()

    def _serve_local(self) -> None:
        dispatcher = self.dispatcher
        local = self._local
        if dispatcher is None:
            return
        # Only what is there now: what these handlers send to _local waits for next round.
        for _ in range(len(local)):
            try:
                packet, packopt = local.popleft()
            except IndexError:
                return
            dispatcher.deliver(packet, packopt)

    # ----- receiving -------------------------------------------------------------------
    def post_received(self, channel: TransportChannel, items: list[Any], readtime: float) -> None:
        """Called by channels with raw packets read; processed by :meth:`serve_pending`."""
        received = self._received
        if len(received) >= MAX_RECEIVED_BATCHES:
            channel.stats.dropped_received += len(items)
            self.stats.received_dropped += 1
            self._exit_throttle.log(
                logging.WARNING,
                ("late", channel.chaname),
                f"batches dropped by channel {channel.chaname!r} (processing late)",
                "OSC channel %r: processing is late, %d packets dropped",
                channel.chaname,
                len(items),
            )
            return
        received.append((channel, items, readtime))
        if self.congested() and channel.pause_reading():
            with self._house_lock:
                self._paused.add(channel)
        self.policy.wake()

    def congested(self) -> bool:
        """True when the handlers are behind: readers pause until it is false again."""
        if len(self._received) >= CONGESTED_BATCHES or self.waiting_bytes >= CONGESTED_BYTES:
            return True
        return self.policy.backlog() >= CONGESTED_JOBS

    def count_waiting_bytes(self, delta: int) -> None:
        """Bytes of received packets whose handler calls wait in an executor (+ or -)."""
        with self._bytes_lock:
            self.waiting_bytes += delta

    def _resume_readers(self) -> None:
        """Let paused channels read again once the handlers have caught up."""
        if not self._paused or self.congested():
            return
        with self._house_lock:
            channels = list(self._paused)
            self._paused.clear()
        for channel in channels:
            channel.resume_reading()

    def handler_exit(self, exit_: BaseException) -> None:
        """A handler raised ``SystemExit``/``KeyboardInterrupt`` in a thread of the policy:
        count and log it, and raise it again in the thread that next calls :meth:`process`
        (the thread that ran it goes on serving)."""
        self.stats.handler_exits += 1
        self._exit_throttle.log(
            logging.ERROR,
            ("exit", type(exit_)),
            f"{type(exit_).__name__} raised by handlers",
            "OSC handler raised %r in a thread of the %s policy: raised again in the thread "
            "that calls osc_process()",
            exit_,
            self.policy.name,
            exc_info=exit_,
        )
        if self._pending_exit is None:
            self._pending_exit = exit_

    # ----- timers ----------------------------------------------------------------------
    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Call *callback* in about *delay* seconds, from the loop that runs this system's
        I/O (the communication thread, ``osc_process()`` or the asyncio loop).

        Returns a :class:`Timer` whose ``cancel()`` stops it. Callable from any thread; an
        exception raised by *callback* is logged. Timers are dropped at :meth:`terminate`.
        """
        timer = Timer(time.monotonic() + max(0.0, delay), callback)
        with self._house_lock:
            heapq.heappush(self._timers, (timer.when, next(self._timer_seq), timer))
            earliest = self._timers[0][2] is timer
        if earliest:
            self.wake()
        return timer

    def next_timer_delay(self) -> Optional[float]:
        """Seconds until the next timer of :meth:`call_later` is due (None: no timer)."""
        timers = self._timers
        if not timers:
            return None
        try:
            return max(0.0, timers[0][0] - time.monotonic())
        except IndexError:
            return None

    def _run_timers(self, maxcount: int = 1000) -> None:
        now = time.monotonic()
        timers = self._timers
        for _ in range(maxcount):
            with self._house_lock:
                if not timers or timers[0][0] > now:
                    return
                timer = heapq.heappop(timers)[2]
            if timer.cancelled:
                continue
            timer.cancelled = True  # ran: a late cancel() does nothing
            try:
                timer.callback()
            except Exception:
                self.logger.exception("OSC system: failure in timer callback %r", timer.callback)

    def linger(self, channel: Any, seconds: float, finish: Callable[[], None]) -> None:
        """Call *finish* in about *seconds* (from the loop that runs this system's I/O).

        Used by a TCP connection whose peer stopped sending: it stays open for the replies.
        A second call for the same channel replaces the first.
        """

        def done() -> None:
            with self._house_lock:
                if self._lingering.get(channel) is timer:
                    del self._lingering[channel]
            finish()

        timer = self.call_later(seconds, done)
        with self._house_lock:
            old = self._lingering.get(channel)
            self._lingering[channel] = timer
        if old is not None:
            old.cancel()

    # ----- running ---------------------------------------------------------------------
    def wake(self) -> None:
        """Have the loop that serves the system look again soon (from any thread)."""
        self.policy.wake()

    def next_wait(self) -> Optional[float]:
        """How long the I/O loop may sleep: 0 when work waits, else until the next delayed
        bundle or timer, and :data:`PAUSED_POLL` at most while readers are paused (None:
        no deadline)."""
        if self._local or self._received:
            return 0.0
        delays = [PAUSED_POLL] if self._paused else []
        dispatcher = self.dispatcher
        if dispatcher is not None and len(dispatcher.delayed):
            delays.append(dispatcher.next_delay() or 0.0)
        if self._timers:
            delays.append(self.next_timer_delay() or 0.0)
        return min(delays) if delays else None

    def serve_pending(self) -> None:
        """One round of work after the I/O: ``_local`` packets queued before this round,
        what channels read, due bundles, then paused readers and due timers (each only
        when there is something to do)."""
        if self._local:
            self._serve_local()
        if self._received:
            self._process_received()
        dispatcher = self.dispatcher
        if dispatcher is not None and len(dispatcher.delayed):
            dispatcher.process_delayed()
        if self._paused:
            self._resume_readers()
        timers = self._timers
        if timers and timers[0][0] <= time.monotonic():
            self._run_timers()

    def _process_received(self) -> None:
        received = self._received
        dispatcher = self.dispatcher
        if dispatcher is None:
            return
        # Only what is there now: a flood cannot trap the caller here.
        for _ in range(len(received)):
            try:
                channel, items, readtime = received.popleft()
            except IndexError:
                return
            try:
                dispatcher.receive(channel, items, readtime)
            except Exception:
                self.logger.exception("OSC failure while processing received packets")

    def process(self, timeout: float = 0.0) -> None:
        """The policy's share of work for the caller's thread (``osc_process()``).

        eventloop: read, decode, dispatch and run due bundles, waiting up to *timeout*
        seconds for something to read (0: never wait). comthreads: run the handler calls
        queued so far (waiting up to *timeout* for one). allthreads: nothing (sleeps up to
        *timeout*). In every policy, a ``SystemExit``/``KeyboardInterrupt`` a handler raised
        in a thread of the policy is raised here.
        """
        exit_ = self._pending_exit
        if exit_ is not None:
            self._pending_exit = None
            raise exit_
        if not self.running:
            return
        self.policy.process(timeout)

    # ----- statistics ------------------------------------------------------------------
    def channel_stats(self, name: str) -> dict[str, Any]:
        """The counters of channel *name* (plus ``kernel_drops`` where the OS tells)."""
        channel = self.channels.get(name)
        if channel is None:
            raise KeyError(f"no OSC channel named {name!r}")
        return channel.stats_dict()

    def all_stats(self) -> dict[str, Any]:
        """System, dispatcher and per-channel counters in one dict (channels that close
        while it is being built are left out)."""
        result: dict[str, Any] = {"system": self.stats.as_dict()}
        if self.dispatcher is not None:
            result["dispatcher"] = self.dispatcher.stats.as_dict()
            result["dispatcher"]["delayed_waiting"] = self.dispatcher.delayed_count()
        channels: dict[str, Any] = {}
        for name, channel in list(self.channels.items()):
            channels[name] = channel.stats_dict()
        result["channels"] = channels
        return result


_DEFAULT: Optional[OSCSystem] = None
_DEFAULT_LOCK = threading.Lock()


def default_system() -> OSCSystem:
    """The system behind the ``as_*`` façades (created, not started, on first use)."""
    global _DEFAULT
    current = _DEFAULT
    if current is not None:
        # Every osc_send goes through here: no lock once the system exists (a reader
        # racing replace_default_system gets the old or the new one, as with a lock).
        return current
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = OSCSystem("eventloop")
        return _DEFAULT


def started_default_system() -> OSCSystem:
    """The default system, started (in its policy, the event loop unless osc_startup()
    chose another) if it was not."""
    current = default_system()
    if not current.running:
        current.start()
    return current


def replace_default_system(policy: Any, **options: Any) -> OSCSystem:
    """Terminate the default system if it runs and install a new one with *policy*."""
    return install_default_system(OSCSystem(policy, **options))


def install_default_system(system: OSCSystem) -> OSCSystem:
    """Make *system* the one behind the ``as_*`` façades, terminating the previous one."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        old = _DEFAULT
        _DEFAULT = system
    if old is not None and old is not system:
        old.terminate()
    return system


def _default_dispatcher() -> Optional[Dispatcher]:
    # osc4py3's osc_startup() registers the global dispatcher: a default system that
    # channels started on their own has none to show yet.
    system = default_system()
    return system.dispatcher if system.running and system.started_by_facade else None


def _default_send(packet: Any, names: Any, packopt: Optional[PacketOptions]) -> int:
    # osc4py3's module-level send_packet() works before osc_startup(), as channels do.
    return started_default_system().send_packet(packet, names, packopt)


def warn_unknown_options(options: dict[str, Any], stacklevel: int = 3) -> dict[str, Any]:
    """*options* without the keys :class:`OSCSystem` does not know, each with a warning
    (osc4py3 ignored unknown ``osc_startup`` keywords silently)."""
    known = {key: value for key, value in options.items() if key in OPTIONS}
    for key in sorted(set(options) - OPTIONS):
        warnings.warn(
            f"osc_startup: unknown keyword {key!r} ignored (known: {', '.join(sorted(OPTIONS))})",
            stacklevel=stacklevel,
        )
    return known


# The layers below reach the default system only through these hooks.
oscchannel.set_default_host_provider(started_default_system)
oscdispatching.set_default_provider(
    _default_dispatcher, lambda disp: default_system().use_dispatcher(disp)
)
oscdistributing.set_default_sender(
    _default_send,
    lambda: started_default_system().serve_pending(),
    lambda: started_default_system().serve_local(),
)
