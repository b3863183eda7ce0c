"""Monitoring of channels: which socket is readable, writable or has an event.

:class:`Monitor` wraps one :class:`selectors.DefaultSelector` (epoll, kqueue, poll or
select, whatever the platform has best). Other threads change what is watched through
:meth:`Monitor.add_monitoring` / :meth:`Monitor.remove_monitoring` and wake a blocked
:meth:`Monitor.step` through a :func:`socket.socketpair` — one wake-up byte at most is in
flight, however many changes happen. A monitor runs either in its own daemon thread
(:meth:`Monitor.start_thread`) or is stepped from an event loop up to a deadline
(:meth:`Monitor.step`, :meth:`Monitor.run_until`).

When a watched file is ready the monitor calls its channel's
``process_monevents(deadline, oper)`` with ``oper`` in ``"r"``, ``"w"``, ``"e"``; a
channel that raises there is logged and the loop goes on.

Deadlines and timeouts here are on :func:`time.monotonic`.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import select
import selectors
import socket
import threading
import time
from typing import Any, Optional

from oscwire._unsupported import MARK, unsupported

_LOGGER = logging.getLogger("oscwire.oscscheduling")

#: osc4py3's mapping of (read, write, event) flags to a monitoring string.
MONITORING_EVENTS_MAP: dict[tuple[int, int, int], str] = {
    (0, 0, 0): "",
    (0, 0, 1): "e",
    (0, 1, 0): "w",
    (0, 1, 1): "we",
    (1, 0, 0): "r",
    (1, 0, 1): "re",
    (1, 1, 0): "rw",
    (1, 1, 1): "rwe",
}

#: Upper bound of one blocking wait, so that a lost wake-up can never hang a thread.
MAX_WAIT = 1.0
#: Seconds between two polls of channels watched by polling (no file descriptor).
POLL_PERIOD = 0.02
#: osc4py3's wake-up periods of its global monitor threads (kept for its programs).
SOCKMON_GRACE_PERIOD = 60
POLLMON_SLEEP_PERIOD = 0.1

#: Whether the platform has ``select()`` / ``poll()`` (osc4py3 chose its monitor by them;
#: oscwire's monitors use the best :mod:`selectors` selector whatever they say).
SELECT_AVAILABLE = hasattr(select, "select")
POLL_AVAILABLE = hasattr(select, "poll")

#: osc4py3's control operation record (kept for its programs; unused here).
MonitorOperation = collections.namedtuple("MonitorOperation", "operation fileno channel rwe")


def deadline2timeout(deadlinetime: Optional[float]) -> Optional[float]:
    """Seconds from now to *deadlinetime*, an absolute time in :func:`time.time`'s base as
    osc4py3 documents its deadlines: None stays None, 0 stays 0, never < 0. (oscwire's own
    loops use timeouts and the monotonic clock.)"""
    if deadlinetime is None:
        return None
    timeout = deadlinetime - time.time() if deadlinetime != 0 else 0
    return timeout if timeout > 0 else 0


def merge_interest(readish: str, writing: bool, rwe: str, add: bool) -> tuple[str, bool]:
    """A watched file's read-ish flags (``r``, ``e``) and write flag after adding (or
    removing) the flags in *rwe*."""
    for flag in "re":
        if flag in rwe:
            readish = readish.replace(flag, "") + (flag if add else "")
    if "w" in rwe:
        writing = add
    return readish, writing


_STEP = "oscwire.oscscheduling.Monitor.step(timeout), which waits and serves the ready channels"
_ONE_STEP = "one selectors selector waits and serves in one step"
_WATCH = (
    "oscwire.oscscheduling.Monitor.add_monitoring() and "
    "oscwire.oscscheduling.Monitor.remove_monitoring()"
)
_AT_ONCE = "the selector is changed at once, by add_monitoring() and remove_monitoring()"
_THREAD = "oscwire.oscscheduling.Monitor.start_thread() and oscwire.oscscheduling.Monitor.join()"


class Monitor:
    """Watch the files of many channels with one selector; wake-able from any thread.

    ``logger`` receives errors; ``name`` names the thread.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A monitor written for osc4py3 overrides hooks of osc4py3's loop (wait_events,
        # do_fileno_added...) that oscwire's monitor never calls: refuse the class rather
        # than ignore them.
        super().__init_subclass__(**kwargs)
        for name, value in vars(cls).items():
            inherited = getattr(super(cls, cls), name, None)
            if hasattr(inherited, MARK) and not hasattr(value, MARK):
                raise NotImplementedError(
                    f"{cls.__qualname__}.{name} is never called by oscwire's monitor: "
                    + getattr(inherited, MARK)
                )

    def __init__(self, logger: Optional[logging.Logger] = None, name: str = "monitor") -> None:
        self.logger = logger if logger is not None else _LOGGER
        self.name = name
        self.terminated = False
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        # fileno -> [channel, read-ish flags "r"/"e", write flag]
        self._watch: dict[int, list[Any]] = {}
        self._waker_r, self._waker_w = socket.socketpair()
        self._waker_r.setblocking(False)
        self._waker_w.setblocking(False)
        self._wake_pending = False
        self._selector.register(self._waker_r, selectors.EVENT_READ, None)
        self._thread: Optional[threading.Thread] = None
        self._stop = False
        self._stepping = threading.Lock()
        # Channels with no file descriptor, polled with their poll_monitor(): flags.
        self._polled: dict[Any, str] = {}

    # ----- what is watched -------------------------------------------------------------
    def need_fileno(self) -> bool:
        """Always True: this monitor watches file descriptors."""
        return True

    def add_monitoring(self, fileno: int, channel: Any, readwriteevent: str) -> None:
        """Watch *fileno* of *channel* for ``r``, ``w`` and/or ``e`` (callable from any thread)."""
        self._change(fileno, channel, readwriteevent, add=True)

    def remove_monitoring(self, fileno: int, channel: Any, readwriteevent: str) -> None:
        """Stop watching *fileno* for the given flags (callable from any thread)."""
        self._change(fileno, channel, readwriteevent, add=False)

    def _change(self, fileno: int, channel: Any, rwe: str, add: bool) -> None:
        if fileno is None or fileno < 0:
            return
        with self._lock:
            if self.terminated:
                if add:
                    raise RuntimeError("OSC monitor is terminated")
                return
            entry = self._watch.get(fileno)
            if entry is None:
                if not add:
                    return
                entry = [channel, "", False]
            elif entry[0] is not channel:
                if not add:
                    return
                # A closed file's number was reused by a new channel: forget the old one.
                entry = [channel, "", False]
            readish, writing = merge_interest(entry[1], entry[2], rwe, add)
            entry[1], entry[2] = readish, writing
            events = (selectors.EVENT_READ if readish else 0) | (
                selectors.EVENT_WRITE if writing else 0
            )
            try:
                if not events:
                    self._watch.pop(fileno, None)
                    if fileno in self._selector.get_map():
                        self._selector.unregister(fileno)
                else:
                    self._watch[fileno] = entry
                    if fileno in self._selector.get_map():
                        self._selector.modify(fileno, events, entry)
                    else:
                        self._selector.register(fileno, events, entry)
            except (OSError, ValueError, KeyError) as error:
                self._watch.pop(fileno, None)
                self.logger.error(
                    "OSC monitor %s: cannot watch fd %s: %s", self.name, fileno, error
                )
                if add:
                    raise
        if self._thread is not None and threading.current_thread() is not self._thread:
            self.wake()

    def add_polling(self, channel: Any, readwriteevent: str) -> None:
        """Watch a channel that has no file descriptor by calling its
        ``poll_monitor(deadlinetime, rwe)`` every :data:`POLL_PERIOD` (osc4py3's polling
        monitors); it returns the flags that are ready."""
        with self._lock:
            if self.terminated:
                raise RuntimeError("OSC monitor is terminated")
            flags = self._polled.get(channel, "")
            self._polled[channel] = "".join(f for f in "rwe" if f in flags or f in readwriteevent)
        self.wake()

    def remove_polling(self, channel: Any, readwriteevent: str) -> None:
        """Stop polling *channel* for the given flags."""
        with self._lock:
            flags = self._polled.get(channel)
            if flags is None:
                return
            flags = "".join(f for f in flags if f not in readwriteevent)
            if flags:
                self._polled[channel] = flags
            else:
                del self._polled[channel]

    def is_terminated(self) -> bool:
        """True once :meth:`terminate` ran (for threads that read it while it changes)."""
        return self.terminated

    def watched_count(self) -> int:
        """How many files are watched (the wake-up socket excluded)."""
        return len(self._watch)

    # ----- wake-up ---------------------------------------------------------------------
    def wake(self) -> None:
        """Make a blocked :meth:`step` return soon (coalesced: one byte in flight at most)."""
        if self._wake_pending:
            return
        self._wake_pending = True
        # Buffer full (a wake-up is pending anyway) or monitor closed: nothing to do.
        with contextlib.suppress(OSError):
            self._waker_w.send(b"\0")

    def do_wake_up_monitor(self) -> None:
        """osc4py3 name of :meth:`wake`."""
        self.wake()

    def _drain_waker(self) -> None:
        self._wake_pending = False
        try:
            while self._waker_r.recv(4096):
                pass
        except OSError:
            pass

    # ----- osc4py3's loop, which oscwire's monitor does not have -------------------------
    def control_operations(self) -> None:
        """Nothing to do (osc4py3 API): osc4py3 queued the changes of what is watched for
        its monitor thread; here :meth:`add_monitoring` and :meth:`remove_monitoring`
        apply them at once."""

    @unsupported(
        "oscscheduling.Monitor.reference_thread",
        "a monitor runs in the one thread it starts",
        _THREAD,
    )
    def reference_thread(self, thread: threading.Thread) -> None:
        """osc4py3 listed the threads working on a monitor."""

    @unsupported(
        "oscscheduling.Monitor.unreference_thread",
        "a monitor runs in the one thread it starts",
        _THREAD,
    )
    def unreference_thread(self, thread: threading.Thread) -> None:
        """osc4py3 listed the threads working on a monitor."""

    @unsupported("oscscheduling.Monitor.wait_events", _ONE_STEP, _STEP)
    def wait_events(self, timeout: Optional[float]) -> Any:
        """osc4py3's wait for ready files, returning their lists."""

    @unsupported("oscscheduling.Monitor.do_wait_deadline", _ONE_STEP, _STEP)
    def do_wait_deadline(self, deadlinetime: Optional[float]) -> Any:
        """osc4py3's wait for ready files until a deadline (never implemented there)."""

    @unsupported("oscscheduling.Monitor.do_wait_timeout", _ONE_STEP, _STEP)
    def do_wait_timeout(self, timeout: Optional[float]) -> Any:
        """osc4py3's wait for ready files up to a timeout (never implemented there)."""

    @unsupported("oscscheduling.Monitor.do_fileno_added", _AT_ONCE, _WATCH)
    def do_fileno_added(self, fileno: int, rwe: str = "") -> None:
        """osc4py3's hook after a file joined its lists."""

    @unsupported("oscscheduling.Monitor.do_fileno_removed", _AT_ONCE, _WATCH)
    def do_fileno_removed(self, fileno: int, rwe: str = "") -> None:
        """osc4py3's hook after a file left its lists."""

    # ----- running ---------------------------------------------------------------------
    def step(self, timeout: Optional[float] = 0.0) -> int:
        """Wait up to *timeout* seconds (None: until something happens) and serve ready files.

        Returns the number of channel operations served. Safe to call from one thread at a
        time; an error raised by a channel is logged and does not stop the loop.
        """
        if self.terminated:
            return 0
        if timeout is None or timeout > MAX_WAIT:
            timeout = MAX_WAIT
        if self._polled and timeout > POLL_PERIOD:
            timeout = POLL_PERIOD
        with self._stepping:
            try:
                ready = self._selector.select(timeout)
            except (OSError, ValueError) as error:
                # A file closed under us (select-based selectors report it): skip a beat.
                if self.is_terminated():
                    return 0
                self.logger.debug("OSC monitor %s: select failed: %s", self.name, error)
                self._purge_closed()
                return 0
            served = 0
            for key, events in ready:
                entry = key.data
                if entry is None:
                    self._drain_waker()
                    continue
                channel = entry[0]
                try:
                    if events & selectors.EVENT_READ:
                        readish = entry[1]
                        if "r" in readish:
                            channel.process_monevents(0, "r")
                            served += 1
                        if "e" in readish:
                            channel.process_monevents(0, "e")
                            served += 1
                    if events & selectors.EVENT_WRITE and entry[2]:
                        channel.process_monevents(0, "w")
                        served += 1
                except Exception:
                    self.logger.exception(
                        "OSC monitor %s: failure in channel %r",
                        self.name,
                        getattr(channel, "chaname", channel),
                    )
            if self._polled:
                served += self._poll()
        return served

    def _poll(self) -> int:
        served = 0
        for channel, flags in list(self._polled.items()):
            try:
                ready = channel.poll_monitor(0, flags) or ""
                for flag in "rew":
                    if flag in ready and flag in flags:
                        channel.process_monevents(0, flag)
                        served += 1
            except Exception:
                self.logger.exception(
                    "OSC monitor %s: failure polling channel %r",
                    self.name,
                    getattr(channel, "chaname", channel),
                )
        return served

    def _purge_closed(self) -> None:
        with self._lock:
            for fileno in list(self._watch):
                try:
                    os.fstat(fileno)
                except OSError:
                    self._watch.pop(fileno, None)
                    with contextlib.suppress(KeyError, ValueError, OSError):
                        self._selector.unregister(fileno)

    def monitor_oneloop(self, deadlinetime: Optional[float]) -> bool:
        """osc4py3 name: one :meth:`step` bounded by *deadlinetime* (:func:`time.time`
        base, 0: do not wait, None: up to :data:`MAX_WAIT`)."""
        self.step(deadline2timeout(deadlinetime))
        return not self.terminated

    def run_until(self, deadline: float) -> None:
        """Step repeatedly until the monotonic *deadline* (for event loops that can block)."""
        while not self.terminated:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.step(0)
                return
            self.step(remaining)

    def monitoring_loop(self, period: Optional[float] = None) -> None:
        """Step until :meth:`stop` or :meth:`terminate` (the body of the monitor thread)."""
        self.logger.debug("OSC monitor %s: thread started", self.name)
        while not self._stop and not self.terminated:
            try:
                self.step(period)
            except Exception:
                self.logger.exception("OSC monitor %s: failure in loop", self.name)
                time.sleep(0.01)
        self.logger.debug("OSC monitor %s: thread finished", self.name)

    @staticmethod
    def monitoring_function(monitor: Monitor, period: Optional[float]) -> None:
        """Run *monitor*'s :meth:`monitoring_loop` (osc4py3's thread target)."""
        monitor.monitoring_loop(period)

    def start_thread(self, period: Optional[float] = None) -> threading.Thread:
        """Run :meth:`monitoring_loop` in a daemon thread and return it."""
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self._stop = False
        self._thread = threading.Thread(
            target=self.monitoring_loop, args=(period,), name=f"oscwire-{self.name}", daemon=True
        )
        self._thread.start()
        return self._thread

    @property
    def thread(self) -> Optional[threading.Thread]:
        """The monitor thread, when it runs in one."""
        return self._thread

    def stop(self, timeout: Optional[float] = 1.0) -> bool:
        """Stop the monitor thread (if any) and wait up to *timeout*; True when it ended."""
        self._stop = True
        thread = self._thread
        if thread is None:
            return True
        self.wake()
        if thread is not threading.current_thread():
            thread.join(timeout)
        ended = not thread.is_alive()
        if ended:
            self._thread = None
        return ended

    def join(self, timeout: Optional[float] = None) -> None:
        """Wait for the monitor thread to end."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def terminate(self, timeout: Optional[float] = 1.0) -> None:
        """Stop the thread and release the selector and the wake-up sockets."""
        self.stop(timeout)
        with self._lock:
            if self.terminated:
                return
            self.terminated = True
            self._watch.clear()
            self._polled.clear()
        # Let a thread still inside select() return before closing what it uses.
        acquired = self._stepping.acquire(timeout=0.2)
        try:
            self._selector.close()
            self._waker_r.close()
            self._waker_w.close()
        finally:
            if acquired:
                self._stepping.release()


class SocketMonitor(Monitor):
    """osc4py3's name of a monitor of file descriptors (a :class:`Monitor` here)."""

    def __init__(self, logger: Optional[logging.Logger] = None, name: str = "monitor") -> None:
        super().__init__(logger, name)

    @unsupported(
        "oscscheduling.SocketMonitor.create_monitor_sockets",
        "a monitor makes its wake-up socket pair when it is built",
        "oscwire.oscscheduling.Monitor.wake()",
    )
    def create_monitor_sockets(self) -> None:
        """osc4py3 made its wake-up sockets here."""

    @unsupported(
        "oscscheduling.SocketMonitor.do_terminate_monitoring",
        "a monitor closes its sockets when it terminates",
        "oscwire.oscscheduling.Monitor.terminate()",
    )
    def do_terminate_monitoring(self) -> None:
        """osc4py3 closed its wake-up sockets here, in the monitor thread."""

    @unsupported("oscscheduling.SocketMonitor.wait_socket_event", _ONE_STEP, _STEP)
    def wait_socket_event(self, timeout: Optional[float]) -> Any:
        """osc4py3's ``select()`` / ``poll()`` call, returning the ready files' lists."""


class SelectSocketMonitor(SocketMonitor):
    """osc4py3's ``select()`` monitor: the :class:`Monitor` (the best selector here)."""


class PollSocketMonitor(SocketMonitor):
    """osc4py3's ``poll()`` monitor: the :class:`Monitor` (the best selector here)."""

    @unsupported("oscscheduling.PollSocketMonitor.poll_add", _AT_ONCE, _WATCH)
    def poll_add(self, fileno: int) -> None:
        """osc4py3 registered a file with its ``poll()`` object here."""

    @unsupported("oscscheduling.PollSocketMonitor.poll_remove", _AT_ONCE, _WATCH)
    def poll_remove(self, fileno: int) -> None:
        """osc4py3 unregistered a file from its ``poll()`` object here."""

    @unsupported("oscscheduling.PollSocketMonitor.poll_mask", _AT_ONCE, _WATCH)
    def poll_mask(self, fileno: int) -> Any:
        """osc4py3's ``poll()`` event mask of a file."""


class PollingMonitor(Monitor):
    """osc4py3's monitor of channels without file descriptors: the :class:`Monitor`, which
    polls such channels (:meth:`Monitor.add_polling`) and watches files too."""

    def need_fileno(self) -> bool:
        """False: channels registered here are polled."""
        return False

    def add_monitoring(self, fileno: int, channel: Any, readwriteevent: str) -> None:
        """Poll *channel* (osc4py3 passes a channel id for *fileno* here)."""
        if getattr(channel, "fileno", lambda: None)() is None:
            self.add_polling(channel, readwriteevent)
        else:
            super().add_monitoring(fileno, channel, readwriteevent)

    def remove_monitoring(self, fileno: int, channel: Any, readwriteevent: str) -> None:
        """Stop polling (or watching) *channel* for the given flags."""
        if channel in self._polled:
            self.remove_polling(channel, readwriteevent)
        else:
            super().remove_monitoring(fileno, channel, readwriteevent)

    @unsupported("oscscheduling.PollingMonitor.poll_events", _ONE_STEP, _STEP)
    def poll_events(self) -> Any:
        """osc4py3 called each polled channel's ``poll_monitor()`` here."""

    @unsupported(
        "oscscheduling.PollingMonitor.setup_rweflags",
        "polled channels are kept by add_polling() and remove_polling()",
        "oscwire.oscscheduling.Monitor.add_polling() and "
        "oscwire.oscscheduling.Monitor.remove_polling()",
    )
    def setup_rweflags(self, fileno: int, rwe: str) -> None:
        """osc4py3 recorded the flags a polled channel is watched for here."""


#: The process-wide monitors and their threads, under their locks (osc4py3's names):
#: set by get_global_socket_monitor() / get_global_polling_monitor(), None once terminated.
sockmon_lock = threading.Lock()
sockmon_monitor: Optional[Monitor] = None
sockmon_thread: Optional[threading.Thread] = None
pollmon_lock = threading.Lock()
pollmon_monitor: Optional[Monitor] = None
pollmon_thread: Optional[threading.Thread] = None


def create_platform_socket_monitor(logger: Optional[logging.Logger] = None) -> Monitor:
    """A new monitor of file descriptors (osc4py3 API)."""
    return SelectSocketMonitor(logger)


def create_polling_monitor(logger: Optional[logging.Logger] = None) -> Monitor:
    """A new polling monitor (osc4py3 API)."""
    return PollingMonitor(logger)


def create_monitoring_thread(monitor: Monitor, threadperiod: Any, threadname: str) -> Any:
    """Run *monitor* in a daemon thread named *threadname* (osc4py3 API); return it."""
    monitor.name = threadname
    return monitor.start_thread(threadperiod)


def get_global_socket_monitor(logger: Optional[logging.Logger] = None) -> Monitor:
    """The process-wide monitor of sockets, in its own daemon thread (osc4py3 API): a
    channel made with ``{"monitor": get_global_socket_monitor()}`` is served there."""
    global sockmon_monitor, sockmon_thread
    with sockmon_lock:
        if sockmon_monitor is None or sockmon_monitor.terminated:
            sockmon_monitor = create_platform_socket_monitor(logger)
            sockmon_thread = sockmon_monitor.start_thread(SOCKMON_GRACE_PERIOD)
        return sockmon_monitor


def terminate_global_socket_monitor() -> None:
    """Stop the monitor of :func:`get_global_socket_monitor` (osc4py3 API)."""
    global sockmon_monitor, sockmon_thread
    with sockmon_lock:
        monitor, sockmon_monitor, sockmon_thread = sockmon_monitor, None, None
    if monitor is not None:
        monitor.terminate()


def get_global_polling_monitor(logger: Optional[logging.Logger] = None) -> Monitor:
    """The process-wide polling monitor, in its own daemon thread (osc4py3 API)."""
    global pollmon_monitor, pollmon_thread
    with pollmon_lock:
        if pollmon_monitor is None or pollmon_monitor.terminated:
            pollmon_monitor = create_polling_monitor(logger)
            pollmon_thread = pollmon_monitor.start_thread(POLLMON_SLEEP_PERIOD)
        return pollmon_monitor


def terminate_global_polling_monitor() -> None:
    """Stop the monitor of :func:`get_global_polling_monitor` (osc4py3 API)."""
    global pollmon_monitor, pollmon_thread
    with pollmon_lock:
        monitor, pollmon_monitor, pollmon_thread = pollmon_monitor, None, None
    if monitor is not None:
        monitor.terminate()


def wait_select_deadline(fileno: int, deadlinetime: Optional[float], waitevents: str) -> str:
    """Wait on one file for *waitevents* (``r``/``w``) until *deadlinetime* (a
    :func:`time.time` time, as in osc4py3); return the ready flags."""
    return wait_select_timeout(fileno, deadline2timeout(deadlinetime), waitevents)


def wait_select_timeout(fileno: int, timeout: Optional[float], waitevents: str) -> str:
    """Wait on one file for *waitevents* (``r``/``w``) up to *timeout*; return ready flags."""
    events = (selectors.EVENT_READ if "r" in waitevents else 0) | (
        selectors.EVENT_WRITE if "w" in waitevents else 0
    )
    if not events:
        return ""
    with selectors.DefaultSelector() as selector:
        selector.register(fileno, events)
        ready = selector.select(timeout)
    flags = 0
    for _key, mask in ready:
        flags |= mask
    return ("r" if flags & selectors.EVENT_READ else "") + (
        "w" if flags & selectors.EVENT_WRITE else ""
    )
