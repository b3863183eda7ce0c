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

from oscwire import _runtime
from oscwire.oscscheduling import merge_interest

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
        for fileno, entry in list(self._watch.items()):
            self._forget(fileno, entry)


class AsyncioSystem(_runtime.OSCSystem):
    """An :class:`~oscwire._runtime.OSCSystem` whose I/O and handlers run in an asyncio loop.

    *loop* defaults to the running loop when :meth:`start` is called. Handlers run in the
    loop (a coroutine handler registered through :mod:`oscwire.as_asyncio` becomes a task);
    :meth:`process` does nothing, the loop does the work. Other options are those of
    :class:`~oscwire._runtime.OSCSystem`.
    """

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None, **options: Any) -> None:
        options.pop("execthreadscount", None)  # no thread here; accepted for osc4py3 programs
        super().__init__("eventloop", **options)
        # No thread and no handler queue, as in the event loop policy; the loop does the
        # rest (see process(), post_received() and the timer).
        self.policy = "asyncio"
        self.loop = loop
        self._scheduled = False
        self._timer: Optional[asyncio.TimerHandle] = None
        self._timer_due = 0.0
        self.tasks: set[asyncio.Task] = set()

    def start(self) -> AsyncioSystem:
        """Attach to the loop (the running one unless given) and start (idempotent)."""
        with self._lock:
            if self.running:
                return self
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
            super().start()
            plain, self.monitor = self.monitor, LoopMonitor(loop, self.logger)
            if plain is not None:
                plain.terminate(timeout=0)
            self._scheduled = False
        return self

    def terminate(self, timeout: float = 1.0) -> None:
        """Close the channels, drop pending bundles, cancel handler tasks still running."""
        with self._lock:
            if not self.running:
                return
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            for task in list(self.tasks):
                task.cancel()
            self.tasks.clear()
        super().terminate(timeout)

    def process(self, timeout: float = 0.0) -> None:
        """Nothing: the event loop reads, decodes, dispatches and runs bundles by itself."""

    # ----- hooks called by channels and the dispatcher -----------------------------------
    def post_received(self, channel: Any, items: list, readtime: float) -> None:
        """Queue raw packets read by *channel* and have the loop process them soon."""
        super().post_received(channel, items, readtime)
        self._schedule()

    def _wake_for_delayed(self) -> None:
        # A bundle for later was queued (maybe from another thread): re-arm the timer.
        self._schedule()

    def _schedule(self) -> None:
        if self._scheduled or not self.running:
            return
        self._scheduled = True
        monitor = self.monitor
        loop = self.loop
        if isinstance(monitor, LoopMonitor) and monitor.in_loop_thread():
            loop.call_soon(self._run)  # type: ignore[union-attr]
        elif loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._run)

    def _run(self) -> None:
        """One round in the loop: process what was read, due bundles, housekeeping."""
        self._scheduled = False
        if not self.running:
            return
        try:
            self.serve_pending()
        except Exception:
            self.logger.exception("OSC asyncio policy: failure while processing, continuing")
        self._arm_timer()

    def _arm_timer(self) -> None:
        dispatcher = self.dispatcher
        loop = self.loop
        if dispatcher is None or loop is None or not self.running:
            return
        delay = self.next_wait()
        if self._received:
            delay = 0.0  # more came in meanwhile (processing takes a bounded share)
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
    def spawn(self, coroutine: Any, name: str = "") -> Optional[asyncio.Task]:
        """Run a handler's coroutine as a task of this system (cancelled at terminate).

        Tasks are bounded (:data:`MAX_HANDLER_TASKS`): past that the coroutine is closed,
        logged and counted in ``stats["handler_tasks_dropped"]``.
        """
        loop = self.loop
        if loop is None or not self.running or len(self.tasks) >= MAX_HANDLER_TASKS:
            coroutine.close()
            self.stats["handler_tasks_dropped"] = self.stats.get("handler_tasks_dropped", 0) + 1
            self.logger.warning("OSC asyncio: handler task for %s dropped", name or "?")
            return None
        task = loop.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            if self.dispatcher is not None:
                self.dispatcher.stats.handler_errors += 1
            self.logger.error("OSC asyncio: failure in handler task %r", task, exc_info=error)


def probe_reader(loop: asyncio.AbstractEventLoop) -> None:
    """Refuse, with advice, a loop that cannot watch sockets (Windows' proactor loop)."""
    if type(loop).__name__ == "ProactorEventLoop" or not hasattr(loop, "add_reader"):
        raise RuntimeError(
            "oscwire asyncio policy needs an event loop with add_reader (the selector loop, "
            "uvloop); on Windows: asyncio.set_event_loop_policy("
            "asyncio.WindowsSelectorEventLoopPolicy())"
        )
