"""The asyncio policy: an OSC system driven by a running asyncio event loop.

:class:`LoopMonitor` gives channels the :class:`~oscwire.oscscheduling.Monitor` interface on
top of the loop's ``add_reader`` / ``add_writer``, so the channels, the framing, the batched
UDP reads and the compiled decoding path are the very ones the other policies use, with no
thread: the loop tells a channel that its socket is ready, the channel reads a bounded
batch, and :class:`AsyncioSystem` decodes and calls the handlers in a loop callback.
Delayed bundles run from a ``call_later`` timer. Any loop with ``add_reader`` works: the
default selector loop on Linux and macOS, uvloop, and on Windows the selector loop
(``asyncio.WindowsSelectorEventLoopPolicy``); Windows' default proactor loop has no
``add_reader`` and is refused with a clear error.

Functions that other threads may call (sending, registering methods) hand their loop work
over with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Optional

from oscwire import _policies, _runtime
from oscwire._logutil import LogThrottle
from oscwire._monitoring import SteppingMonitor
from oscwire.oscscheduling import POLL_PERIOD, merge_interest

_LOGGER = logging.getLogger("oscwire.asyncio")

#: Handler tasks (``async def`` handlers) alive at once, at most; more are dropped (counted).
MAX_HANDLER_TASKS = 10000


class LoopMonitor:
    """The Monitor interface on an asyncio loop: readiness callbacks instead of a selector.

    Safe to call from any thread: changes made outside the loop's thread are handed to
    the loop with ``call_soon_threadsafe`` and applied there in the order they were made.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        logger: Optional[logging.Logger] = None,
        name: str = "asyncio",
    ) -> None:
        self.loop = loop
        self.logger = logger if logger is not None else _LOGGER
        self.name = name
        self.terminated = False
        # fileno -> [channel, read-ish flags "r"/"e", writing?]; only touched in the loop.
        self._watch: dict[int, list[Any]] = {}
        # Channels without a file descriptor, polled: flags; and the polling timer.
        self._polled: dict[Any, str] = {}
        self._poll_timer: Optional[asyncio.TimerHandle] = None

    @property
    def thread(self) -> None:
        """No thread: the loop runs the monitor (osc4py3 monitors may have one)."""
        return None

    def need_fileno(self) -> bool:
        """Always True: readiness is watched per file descriptor."""
        return True

    def in_loop_thread(self) -> bool:
        """True when the loop may be touched directly: called from inside it, or while it
        does not run at all (set-up before ``run_forever``)."""
        try:
            return asyncio.get_running_loop() is self.loop
        except RuntimeError:
            return not self.loop.is_running()

    def call(self, function: Callable[..., Any], *args: Any) -> None:
        """Run *function* now when in the loop's thread, else soon in the loop."""
        if self.in_loop_thread():
            function(*args)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(function, *args)

    def add_monitoring(self, fileno: int, channel: Any, readwriteevent: str) -> None:
        """Watch *fileno* of *channel* for ``r``, ``w`` and/or ``e``."""
        if self.terminated:
            raise RuntimeError("OSC monitor is terminated")
        self.call(self._change, fileno, channel, readwriteevent, True)

    def remove_monitoring(self, fileno: int, channel: Any, readwriteevent: str) -> None:
        """Stop watching *fileno* for the given flags."""
        self.call(self._change, fileno, channel, readwriteevent, False)

    def _change(self, fileno: int, channel: Any, rwe: str, add: bool) -> None:
        if fileno is None or fileno < 0 or (self.terminated and add):
            return
        entry = self._watch.get(fileno)
        if entry is None or entry[0] is not channel:
            if not add:
                return
            if entry is not None:  # a closed file's number reused by a new channel
                self._forget(fileno, entry)
            entry = [channel, "", False]
        was_reading, was_writing = bool(entry[1]), entry[2]
        readish, entry[2] = merge_interest(entry[1], entry[2], rwe, add)
        entry[1] = readish
        loop = self.loop
        try:
            if readish and not was_reading:
                loop.add_reader(fileno, self._readable, fileno)
            elif was_reading and not readish:
                loop.remove_reader(fileno)
            if entry[2] and not was_writing:
                loop.add_writer(fileno, self._writable, fileno)
            elif was_writing and not entry[2]:
                loop.remove_writer(fileno)
        except (OSError, ValueError) as error:
            self.logger.error("OSC monitor %s: cannot watch fd %s: %s", self.name, fileno, error)
            self._forget(fileno, entry)
            return
        if readish or entry[2]:
            self._watch[fileno] = entry
        else:
            self._watch.pop(fileno, None)

    def _forget(self, fileno: int, entry: list[Any]) -> None:
        self._watch.pop(fileno, None)
        try:
            if entry[1]:
                self.loop.remove_reader(fileno)
            if entry[2]:
                self.loop.remove_writer(fileno)
        except (OSError, ValueError):
            pass

    def _readable(self, fileno: int) -> None:
        entry = self._watch.get(fileno)
        if entry is None:
            return
        channel = entry[0]
        try:
            for flag in entry[1]:
                channel.process_monevents(0, flag)
        except Exception:
            self.logger.exception(
                "OSC monitor %s: failure in channel %r",
                self.name,
                getattr(channel, "chaname", channel),
            )

    def _writable(self, fileno: int) -> None:
        entry = self._watch.get(fileno)
        if entry is None or not entry[2]:
            return
        try:
            entry[0].process_monevents(0, "w")
        except Exception:
            self.logger.exception(
                "OSC monitor %s: failure in channel %r",
                self.name,
                getattr(entry[0], "chaname", entry[0]),
            )

    def add_polling(self, channel: Any, readwriteevent: str) -> None:
        """Poll a channel without a file descriptor (its ``poll_monitor``) every
        :data:`~oscwire.oscscheduling.POLL_PERIOD` from the loop."""
        if self.terminated:
            raise RuntimeError("OSC monitor is terminated")
        self.call(self._change_polling, channel, readwriteevent, True)

    def remove_polling(self, channel: Any, readwriteevent: str) -> None:
        """Stop polling *channel* for the given flags."""
        self.call(self._change_polling, channel, readwriteevent, False)

    def _change_polling(self, channel: Any, rwe: str, add: bool) -> None:
        flags = self._polled.get(channel, "")
        if add:
            flags = "".join(f for f in "rwe" if f in flags or f in rwe)
        else:
            flags = "".join(f for f in flags if f not in rwe)
        if flags:
            self._polled[channel] = flags
        else:
            self._polled.pop(channel, None)
        if self._polled and self._poll_timer is None and not self.terminated:
            self._poll_timer = self.loop.call_later(POLL_PERIOD, self._poll)

    def _poll(self) -> None:
        self._poll_timer = None
        for channel, flags in list(self._polled.items()):
            try:
                ready = channel.poll_monitor(0, flags) or ""
                for flag in "rew":
                    if flag in ready and flag in flags:
                        channel.process_monevents(0, flag)
            except Exception:
                self.logger.exception(
                    "OSC monitor %s: failure polling channel %r",
                    self.name,
                    getattr(channel, "chaname", channel),
                )
        if self._polled and not self.terminated:
            self._poll_timer = self.loop.call_later(POLL_PERIOD, self._poll)

    def watched_count(self) -> int:
        """How many files are watched."""
        return len(self._watch)

    def wake(self) -> None:
        """Nothing to do: changes from other threads already wake the loop."""

    do_wake_up_monitor = wake

    def step(self, timeout: Optional[float] = 0.0) -> int:
        """Nothing to do: the loop serves ready files by itself."""
        return 0

    def stop(self, timeout: Optional[float] = 1.0) -> bool:
        """No thread to stop."""
        return True

    def join(self, timeout: Optional[float] = None) -> None:
        """No thread to join."""

    def terminate(self, timeout: Optional[float] = 1.0) -> None:
        """Stop watching every file."""
        if self.terminated:
            return
        self.terminated = True
        self.call(self._forget_all)

    def _forget_all(self) -> None:
        self._polled.clear()
        if self._poll_timer is not None:
            self._poll_timer.cancel()
            self._poll_timer = None
        for fileno, entry in list(self._watch.items()):
            self._forget(fileno, entry)


class AsyncioPolicy(_policies.Policy):
    """The asyncio policy: the loop watches the sockets (:class:`LoopMonitor`), and each
    round of work (decoding, handlers, due bundles, timers) runs in a loop callback.

    *loop* defaults to the running loop when the system starts. Handlers run in the
    loop; a coroutine handler (registered through :mod:`oscwire.as_asyncio`) becomes a
    task (:meth:`spawn`), cancelled at termination.
    """

    name = "asyncio"

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        super().__init__()
        self.loop = loop
        self.tasks: set[asyncio.Task[Any]] = set()
        #: What a peer can repeat for every message (a failing or a dropped task): the
        #: first line in full, then counted summaries, per handler.
        self.throttle = LogThrottle(_LOGGER)
        self._scheduled = False
        self._timer: Optional[asyncio.TimerHandle] = None
        self._timer_due = 0.0

    def make_monitor(
        self, system: _runtime.OSCSystem, previous: Optional[SteppingMonitor]
    ) -> LoopMonitor:
        loop = self.loop
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError(
                    "oscwire asyncio policy: start it from a coroutine (a running event "
                    "loop), or give the loop: osc_startup(loop=...)"
                ) from None
        probe_reader(loop)
        self.loop = loop
        return LoopMonitor(loop, system.logger)

    def attach(self, system: _runtime.OSCSystem, monitor: SteppingMonitor) -> None:
        super().attach(system, monitor)
        self._scheduled = False
        self.wake()

    def detach(self, deadline: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self.tasks):
            task.cancel()
        self.tasks.clear()

    def process(self, timeout: float) -> None:
        """Nothing: the event loop reads, decodes, dispatches and runs bundles by itself."""

    def wake(self) -> None:
        """Have the loop run a round of work soon (from any thread)."""
        system = self.system
        if self._scheduled or system is None or not system.running:
            return
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        self._scheduled = True
        monitor = self.monitor
        if isinstance(monitor, LoopMonitor) and monitor.in_loop_thread():
            loop.call_soon(self._run)
        else:
            loop.call_soon_threadsafe(self._run)

    def _run(self) -> None:
        """One round in the loop: process what was read, due bundles, timers."""
        self._scheduled = False
        system = self.system
        if system is None or not system.running:
            return
        try:
            system.serve_pending()
        except Exception:
            system.logger.exception("OSC asyncio policy: failure while processing, continuing")
        self._arm_timer()

    def _arm_timer(self) -> None:
        system = self.system
        loop = self.loop
        if system is None or loop is None or not system.running:
            return
        delay = system.next_wait()
        timer = self._timer
        if delay is None:
            if timer is not None:
                timer.cancel()
                self._timer = None
            return
        due = loop.time() + max(0.0, delay)
        if timer is not None:
            if not timer.cancelled() and abs(self._timer_due - due) < 0.0005:
                return
            timer.cancel()
        self._timer_due = due
        self._timer = loop.call_at(due, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._run()

    # ----- coroutine handlers ------------------------------------------------------------
    def spawn(self, coroutine: Any, name: str = "") -> Optional[asyncio.Task[Any]]:
        """Run a handler's coroutine as a task of this system (cancelled at terminate).

        Tasks are bounded (:data:`MAX_HANDLER_TASKS`): past that the coroutine is closed,
        logged (rate-limited per handler) and counted in ``stats.handler_tasks_dropped``.
        """
        system = self.system
        loop = self.loop
        if (
            system is None
            or loop is None
            or not system.running
            or len(self.tasks) >= MAX_HANDLER_TASKS
        ):
            coroutine.close()
            if system is not None:
                system.stats.handler_tasks_dropped += 1
                running = loop is not None and system.running
                self.throttle.log(
                    logging.WARNING,
                    ("dropped", name),
                    f"handler tasks for {name or '?'} dropped",
                    "OSC asyncio: handler task for %s dropped (%s)",
                    name or "?",
                    f"{len(self.tasks)} tasks alive, the bound" if running else "not running",
                    logger=system.logger,
                )
            return None
        task = loop.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        system = self.system
        if error is not None and system is not None:
            if system.dispatcher is not None:
                system.dispatcher.stats.handler_errors += 1
            name = getattr(task.get_coro(), "__qualname__", "?")
            self.throttle.log(
                logging.ERROR,
                ("failed", name, type(error)),
                f"failures of handler task {name} ({type(error).__name__})",
                "OSC asyncio: failure in handler task %r",
                task,
                exc_info=error,
                logger=system.logger,
            )


class AsyncioSystem(_runtime.OSCSystem):
    """An :class:`~oscwire._runtime.OSCSystem` served by :class:`AsyncioPolicy`.

    *loop* defaults to the running loop when :meth:`start` is called. Other options are
    those of :class:`~oscwire._runtime.OSCSystem` (``execthreadscount`` is accepted and
    unused: no thread).
    """

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None, **options: Any) -> None:
        super().__init__(AsyncioPolicy(loop), **options)

    @property
    def asyncio_policy(self) -> AsyncioPolicy:
        """The policy (the asyncio one, unless switched)."""
        policy = self.policy
        assert isinstance(policy, AsyncioPolicy)
        return policy

    @property
    def loop(self) -> Optional[asyncio.AbstractEventLoop]:
        """The loop that serves this system."""
        return self.asyncio_policy.loop

    @property
    def tasks(self) -> set[asyncio.Task[Any]]:
        """Handler tasks still running."""
        return self.asyncio_policy.tasks

    def spawn(self, coroutine: Any, name: str = "") -> Optional[asyncio.Task[Any]]:
        """Run a handler's coroutine as a task (see :meth:`AsyncioPolicy.spawn`)."""
        return self.asyncio_policy.spawn(coroutine, name)


def probe_reader(loop: asyncio.AbstractEventLoop) -> None:
    """Refuse, with advice, a loop that cannot watch sockets (Windows' proactor loop)."""
    if type(loop).__name__ == "ProactorEventLoop" or not hasattr(loop, "add_reader"):
        raise RuntimeError(
            "oscwire asyncio policy needs an event loop with add_reader (the selector loop, "
            "uvloop); on Windows: asyncio.set_event_loop_policy("
            "asyncio.WindowsSelectorEventLoopPolicy())"
        )
