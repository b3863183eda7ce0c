"""The runtime object: one OSC system owns its channels, monitor, dispatcher and threads.

:class:`OSCSystem` is what osc4py3 kept in module globals. Two systems can live in one
process; :func:`default_system` is the one behind the ``as_*`` façades (the only
module-level state). A system runs one of three policies:

``"eventloop"``
    No thread. :meth:`OSCSystem.process` (``osc_process()``) reads ready sockets, decodes,
    calls the handlers and runs due bundles, in the caller's thread.
``"comthreads"``
    One daemon thread reads, decodes and matches, and runs delayed bundles on time;
    handlers run in the caller's thread when it calls :meth:`OSCSystem.process`.
``"allthreads"``
    The same communication thread, plus ``execthreadscount`` daemon threads for the
    handlers (0: handlers run in the communication thread). Messages of one source keep
    their order (one lane per source); different sources run in parallel.

Sending never waits for another thread: :meth:`OSCSystem.send_packet` encodes in the
caller's thread and writes at once when the socket accepts it, else queues the packet on
the channel, which the monitor flushes when writable.

:meth:`OSCSystem.terminate` returns within its timeout whatever is pending: delayed
bundles and queued handler calls are dropped, threads are daemons and are told to stop.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable, Optional

from oscwire import oscdistributing, oscpacketoptions
from oscwire.oscdispatching import Dispatcher
from oscwire.oscnettools import DEFAULT_DNS_CACHE
from oscwire.oscscheduling import Monitor
from oscwire.osctoolspools import WorkQueue

_LOGGER = logging.getLogger("oscwire.runtime")

POLICIES = ("eventloop", "comthreads", "allthreads")
#: Batches of received packets waiting for processing, at most (then new ones are dropped).
MAX_RECEIVED_BATCHES = 4096
#: Handler jobs waiting in the execution queue, at most (then new ones are dropped).
MAX_EXEC_JOBS = 100000
#: Backpressure: past this many waiting handler jobs (one per source and read batch) or
#: received batches, channels stop reading until the handlers catch up: a TCP peer is
#: then held back by TCP flow control instead of its packets being dropped.
CONGESTED_JOBS = 256
CONGESTED_BATCHES = MAX_RECEIVED_BATCHES // 4
#: ... or past this many bytes of received packets whose handler calls wait: a flood of
#: big datagrams (64 KiB each) cannot pile up gigabytes before the job count says so.
CONGESTED_BYTES = 64 * 1024 * 1024
#: While readers are paused, the communication thread checks this often for relief (s).
PAUSED_POLL = 0.005


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


class _BatchState(threading.local):
    """Per-thread state of :meth:`OSCSystem.batched_sends`."""

    #: Channels this thread queued on in its open batch, each with what
    #: ``batch_queue()`` returned; None outside a batch. A class default, so that reading
    #: it in a thread that never batched costs no AttributeError.
    channels: Optional[dict[Any, Any]] = None


class OSCSystem:
    """An OSC runtime: channels, a monitor, a dispatcher and the threads of a policy.

    Keyword options: ``logger`` (default ``oscwire.runtime``), ``execthreadscount`` (10,
    allthreads), ``writethreadscount`` (accepted for osc4py3 compatibility; writes never
    block, so no writer thread is needed), ``patternkind`` (``"osc"``: osc4py3 matching
    for :meth:`method`; ``"spec"``: OSC 1.0/1.1 exact matching), ``max_delayed`` (bound of
    future bundles), and default processing options for received packets
    (``honor_timetag``, ``forget_oldmsg``, ``timetag_offset``,
    ``check_subbundle_timetag``), which channel options override.
    """

    def __init__(self, policy: str = "eventloop", **options: Any) -> None:
        if policy not in POLICIES:
            raise ValueError(f"OSC policy must be one of {POLICIES}, not {policy!r}")
        unknown = set(options) - {
            "logger",
            "execthreadscount",
            "writethreadscount",
            "patternkind",
            "max_delayed",
            *oscpacketoptions.PROCESSING_KEYS,
        }
        if unknown:
            raise TypeError(f"unknown OSC system options: {', '.join(sorted(unknown))}")
        self.policy = policy
        self.logger: logging.Logger = options.get("logger") or _LOGGER
        self.execthreadscount = int(options.get("execthreadscount", 10))
        self.writethreadscount = int(options.get("writethreadscount", 10))
        self.patternkind: str = options.get("patternkind", "osc")
        if self.patternkind not in ("osc", "spec", "re"):
            raise ValueError(f"OSC patternkind must be 'osc', 'spec' or 're': {self.patternkind!r}")
        self.max_delayed = options.get("max_delayed")
        self.processing_defaults = {
            k: options[k] for k in oscpacketoptions.PROCESSING_KEYS if k in options
        }
        self.dnscache = DEFAULT_DNS_CACHE
        self.channels: dict[str, Any] = {}
        self.stats: dict[str, int] = {"encode_errors": 0, "unknown_targets": 0}
        self.monitor: Optional[Monitor] = None
        self.dispatcher: Optional[Dispatcher] = None
        self.exec_queue: Optional[WorkQueue] = None
        self.running = False
        #: True when osc_startup() started it (not a channel or method created before).
        self.started_by_facade = False
        self._lock = threading.RLock()
        self._received: collections.deque = collections.deque()
        self._paused: set = set()
        self._paused_lock = threading.Lock()
        #: Bytes of received packets whose handler jobs are queued (see hand_over).
        self.waiting_bytes = 0
        self._bytes_lock = threading.Lock()
        # Timers of call_later: a heap of (monotonic due time, sequence, timer).
        self._timers: list[tuple[float, int, Timer]] = []
        self._timer_seq = itertools.count()
        # Channels kept open a while (see linger), with their timer.
        self._lingering: dict[Any, Timer] = {}
        self._comm_thread: Optional[threading.Thread] = None
        self._stop = False
        #: Threads inside :meth:`batched_sends` (a cheap test before the thread-local one).
        self.batching = 0
        self.batch_local = _BatchState()

    # ----- lifecycle -------------------------------------------------------------------
    def start(self) -> OSCSystem:
        """Create the monitor, dispatcher and threads of the policy (idempotent)."""
        with self._lock:
            if self.running:
                return self
            self._stop = False
            self.started_by_facade = False
            self.monitor = Monitor(self.logger, name="monitor")
            executor = None
            if self.policy == "comthreads":
                self.exec_queue = WorkQueue(self.logger, maxjobs=MAX_EXEC_JOBS)
                executor = self._queue_calls
            elif self.policy == "allthreads" and self.execthreadscount > 0:
                self.exec_queue = WorkQueue(self.logger, maxjobs=MAX_EXEC_JOBS)
                self.exec_queue.add_working_threads(self.execthreadscount)
                executor = self._queue_calls
            dispoptions: dict[str, Any] = {"logger": self.logger}
            if self.max_delayed is not None:
                dispoptions["max_delayed"] = self.max_delayed
            self.dispatcher = Dispatcher(
                "global", dispoptions, executor=executor, on_delayed=self._wake_for_delayed
            )
            self._received.clear()
            self._paused.clear()
            self._lingering.clear()
            self._timers.clear()
            self.waiting_bytes = 0
            self.running = True
            if self.policy in ("comthreads", "allthreads"):
                self._comm_thread = threading.Thread(
                    target=self._comm_loop, name="oscwire-comm", daemon=True
                )
                self._comm_thread.start()
        return self

    def terminate(self, timeout: float = 0.5) -> None:
        """Close every channel, drop pending work, stop the threads; return within *timeout*.

        Handlers still running get that long to return (their daemon threads are left to
        finish alone after it): well inside the second osc_terminate() promises.
        """
        with self._lock:
            if not self.running:
                return
            self.running = False
            self._stop = True
            deadline = time.monotonic() + timeout
            monitor = self.monitor
            thread = self._comm_thread
            if thread is not None and monitor is not None:
                monitor.wake()
                if thread is not threading.current_thread():
                    thread.join(max(0.0, (deadline - time.monotonic()) * 0.5))
            for channel in list(self.channels.values()):
                try:
                    channel.terminate()
                except Exception:
                    self.logger.exception("OSC terminate: failure closing channel %r", channel)
            self.channels.clear()
            if self.dispatcher is not None:
                dropped = self.dispatcher.clear_delayed()
                if dropped:
                    self.logger.info("OSC terminate: %d delayed bundles dropped", dropped)
            if self.exec_queue is not None:
                self.exec_queue.terminate(timeout=max(0.0, deadline - time.monotonic()))
                self.exec_queue = None
            if monitor is not None:
                monitor.terminate(timeout=max(0.0, deadline - time.monotonic()))
            self._received.clear()
            self._paused.clear()
            self._lingering.clear()
            self._timers.clear()
            self._comm_thread = None

    def __enter__(self) -> OSCSystem:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.terminate()

    # ----- channels --------------------------------------------------------------------
    def register_channel(self, channel: Any) -> None:
        """Called by a new channel: reserve its name (and start the system if needed)."""
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

    def unregister_channel(self, channel: Any) -> None:
        """Called by a terminated channel: free its name."""
        with self._lock:
            if self.channels.get(channel.chaname) is channel:
                del self.channels[channel.chaname]

    def get_channel(self, name: str) -> Any:
        """The channel called *name*, or None."""
        return self.channels.get(name)

    # ----- methods ---------------------------------------------------------------------
    def method(
        self,
        addrpattern: str,
        function: Callable[..., Any],
        argscheme: Any = None,
        extra: Any = None,
        patternkind: Optional[str] = None,
    ) -> Any:
        """Register *function* for *addrpattern*; return the MethodFilter (a handle)."""
        from oscwire import oscmethod

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

    def unmethod(self, handle: Any) -> bool:
        """Unregister a method returned by :meth:`method`; False if it was not registered."""
        if self.dispatcher is None:
            return False
        return self.dispatcher.remove_method(handle)

    # ----- sending ---------------------------------------------------------------------
    def send_packet(self, packet: Any, names: Any, packopt: Any = None) -> int:
        """Send *packet* to the channels *names* (see :func:`oscdistributing.send_packet`)."""
        if not self.running:
            self.logger.error("OSC send: the system is not started, packet dropped")
            return 0
        return oscdistributing.distribute(self, packet, names, packopt)

    def reply(self, packopt: Any, packet: Any) -> bool:
        """Send *packet* back to the source of the packet *packopt* describes."""
        if packopt is None:
            self.logger.warning("OSC reply: no packet options (use OSCARG_PACKOPT)")
            return False
        return bool(packopt.reply(packet))

    @contextlib.contextmanager
    def batched_sends(self) -> Iterator[None]:
        """Within the block, this thread's sends are queued and leave together.

        On Linux a UDP channel then hands its queue to the kernel with ``sendmmsg``
        (up to :data:`oscwire.oscudpmc.UDPWRITE_BATCH` datagrams per batch) instead of one
        ``sendto`` per packet: more messages per second for a burst. Packets leave when the
        outermost block ends (also on an exception), or earlier each time a channel has a
        full batch waiting. Only packets sent without packet options to UDP channels are
        held; everything else goes out as usual. Blocks nest.
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
                for channel in touched:
                    try:
                        channel.flush_batch()
                    except Exception:
                        self.logger.exception("OSC batched send: failure flushing %r", channel)

    def defer_send(self, channel: Any, raw: Any) -> bool:
        """Queue *raw* on *channel* when this thread is in :meth:`batched_sends`.

        False when the packet was not taken (no batch open in this thread, or a channel
        that does not batch): send it the usual way.
        """
        touched = self.batch_local.channels
        if touched is None:
            return False
        try:
            queue = channel.queue_packet
        except AttributeError:
            return False
        if channel not in touched:
            # What oscdistributing's fast path appends to directly (None: never).
            touched[channel] = channel.batch_queue()
        queue(raw)
        return True

    # ----- receiving -------------------------------------------------------------------
    def post_received(self, channel: Any, items: list, readtime: float) -> None:
        """Called by channels with raw packets read; processed by :meth:`_process_received`."""
        received = self._received
        if len(received) >= MAX_RECEIVED_BATCHES:
            channel.stats.dropped_received += len(items)
            if channel.stats.dropped_received <= 10 or channel.stats.dropped_received % 1000 == 0:
                self.logger.warning(
                    "OSC channel %r: processing is late, %d packets dropped",
                    channel.chaname,
                    len(items),
                )
            return
        received.append((channel, items, readtime))
        if self.congested() and channel.pause_reading():
            with self._paused_lock:
                self._paused.add(channel)
        thread = self._comm_thread
        if thread is not None and thread is not threading.current_thread():
            monitor = self.monitor
            if monitor is not None:
                monitor.wake()

    def congested(self) -> bool:
        """True when the handlers are behind: readers pause until it is false again."""
        if len(self._received) >= CONGESTED_BATCHES or self.waiting_bytes >= CONGESTED_BYTES:
            return True
        queue = self.exec_queue
        return queue is not None and len(queue) >= CONGESTED_JOBS

    def _resume_readers(self) -> None:
        """Let paused channels read again once the handlers have caught up."""
        if not self._paused or self.congested():
            return
        with self._paused_lock:
            channels = list(self._paused)
            self._paused.clear()
        for channel in channels:
            channel.resume_reading()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Call *callback* in about *delay* seconds, from the loop that runs this system's
        I/O (the communication thread, ``osc_process()`` or the asyncio loop).

        Returns a :class:`Timer` whose ``cancel()`` stops it. Callable from any thread; an
        exception raised by *callback* is logged. Timers are dropped at :meth:`terminate`.
        """
        timer = Timer(time.monotonic() + max(0.0, delay), callback)
        with self._paused_lock:
            heapq.heappush(self._timers, (timer.when, next(self._timer_seq), timer))
            earliest = self._timers[0][2] is timer
        if earliest:
            self._wake_for_delayed()
        return timer

    def next_timer_delay(self) -> Optional[float]:
        """Seconds until the next timer of :meth:`call_later` is due (None: no timer)."""
        timers = self._timers
        if not timers:
            return None
        return max(0.0, timers[0][0] - time.monotonic())

    def _run_timers(self, maxcount: int = 1000) -> None:
        now = time.monotonic()
        timers = self._timers
        for _ in range(maxcount):
            with self._paused_lock:
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
            with self._paused_lock:
                if self._lingering.get(channel) is timer:
                    del self._lingering[channel]
            finish()

        timer = self.call_later(seconds, done)
        with self._paused_lock:
            old = self._lingering.get(channel)
            self._lingering[channel] = timer
        if old is not None:
            old.cancel()

    def _housekeeping(self) -> None:
        """Resume paused readers, run the timers that are due."""
        if self._paused:
            self._resume_readers()
        timers = self._timers
        if timers and timers[0][0] <= time.monotonic():
            self._run_timers()

    def _process_received(self) -> None:
        received = self._received
        # Only what is there now: a flood cannot trap the caller here.
        for _ in range(len(received)):
            try:
                channel, items, readtime = received.popleft()
            except IndexError:
                return
            try:
                oscdistributing.process_received(self, channel, items, readtime)
            except Exception:
                self.logger.exception("OSC failure while processing received packets")

    def _queue_calls(self, lane: Any, calls: list) -> None:
        queue = self.exec_queue
        dispatcher = self.dispatcher
        if queue is None or dispatcher is None:
            return
        queue.send_job(functools.partial(dispatcher.execute_calls, calls), lane)

    def hand_over(self, channel: Any, lanes: dict[Any, list], nbytes: int = 0) -> None:
        """Queue the calls of one processed batch of *channel*: one job per source.

        *lanes* maps a source identification to its flat list of calls
        ``[methodfilters, message, packopt, ...]`` (see
        :func:`oscdistributing.process_received`); *nbytes*, the size of the batch's raw
        packets, counts in :attr:`waiting_bytes` until the jobs have run.
        """
        queue = self.exec_queue
        dispatcher = self.dispatcher
        if queue is None or dispatcher is None:
            return
        name = channel.chaname
        execute = dispatcher.execute_flat
        share = nbytes // len(lanes) if nbytes else 0
        for source, calls in lanes.items():
            if calls:
                lane = name if source is oscdistributing.UNHASHABLE_SOURCE else (name, source)
                job = functools.partial(execute, calls, channel)
                if not share:
                    queue.send_job(job, lane)
                    continue
                self._count_bytes(share)
                if not queue.send_job(functools.partial(self._run_counted, job, share), lane):
                    self._count_bytes(-share)

    def _count_bytes(self, delta: int) -> None:
        with self._bytes_lock:
            self.waiting_bytes += delta

    def _run_counted(self, job: Callable[[], Any], nbytes: int) -> None:
        try:
            job()
        finally:
            self._count_bytes(-nbytes)

    def _wake_for_delayed(self) -> None:
        thread = self._comm_thread
        if thread is not None and thread is not threading.current_thread():
            monitor = self.monitor
            if monitor is not None:
                monitor.wake()

    # ----- running ---------------------------------------------------------------------
    def serve_pending(self) -> None:
        """After reading: process what was read, run due bundles, resume paused readers and
        end lingering channels (each only when there is something to do)."""
        if self._received:
            self._process_received()
        dispatcher = self.dispatcher
        if dispatcher is not None and dispatcher._heap:
            dispatcher.process_delayed()
        if self._paused or self._timers:
            self._housekeeping()

    def next_wait(self) -> Optional[float]:
        """How long the I/O loop may sleep: until the next delayed bundle or timer, and
        :data:`PAUSED_POLL` at most while readers are paused (None: no deadline)."""
        delays = [PAUSED_POLL] if self._paused else []
        dispatcher = self.dispatcher
        if dispatcher is not None and dispatcher._heap:
            delays.append(dispatcher.next_delay() or 0.0)
        if self._timers:
            delays.append(self.next_timer_delay() or 0.0)
        return min(delays) if delays else None

    def _comm_loop(self) -> None:
        monitor = self.monitor
        dispatcher = self.dispatcher
        assert monitor is not None and dispatcher is not None
        while not self._stop:
            try:
                delay = self.next_wait()
                monitor.step(delay)
                if self._stop:
                    break
                self.serve_pending()
            except Exception:
                self.logger.exception("OSC communication thread: failure, continuing")
                time.sleep(0.01)

    def process(self, timeout: float = 0.0) -> None:
        """The policy's share of work for the caller's thread (``osc_process()``).

        eventloop: read, decode, dispatch and run due bundles, waiting up to *timeout*
        seconds for something to read (0: never wait). comthreads: run the handler calls
        queued so far (waiting up to *timeout* for one). allthreads: nothing (sleeps up to
        *timeout*).
        """
        if not self.running:
            return
        if self.policy == "eventloop":
            monitor = self.monitor
            dispatcher = self.dispatcher
            assert monitor is not None and dispatcher is not None
            delay = self.next_wait()
            if delay is not None and delay < timeout:
                timeout = delay
            monitor.step(timeout)
            self.serve_pending()
        elif self.policy == "comthreads":
            queue = self.exec_queue
            if queue is None:
                return
            if timeout and not len(queue):
                job = queue.wait_for_job(timeout)
                if job is None or isinstance(job, str):
                    return
                queue._run(job)
            queue.run_pending()
            if self._paused or self._timers:
                self._housekeeping()
        elif timeout:
            time.sleep(timeout)

    # ----- statistics ------------------------------------------------------------------
    def channel_stats(self, name: str) -> dict[str, Any]:
        """The counters of channel *name* (plus ``kernel_drops`` where the OS tells)."""
        channel = self.channels.get(name)
        if channel is None:
            raise KeyError(f"no OSC channel named {name!r}")
        result: dict[str, Any] = channel.stats.as_dict()
        drops = getattr(channel, "kernel_drops", None)
        if drops is not None:
            result["kernel_drops"] = drops()
        return result

    def all_stats(self) -> dict[str, Any]:
        """System, dispatcher and per-channel counters in one dict."""
        result: dict[str, Any] = {"system": dict(self.stats)}
        if self.dispatcher is not None:
            result["dispatcher"] = self.dispatcher.stats.as_dict()
            result["dispatcher"]["delayed_waiting"] = self.dispatcher.delayed_count()
        result["channels"] = {name: self.channel_stats(name) for name in list(self.channels)}
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


def replace_default_system(policy: str, **options: Any) -> OSCSystem:
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
