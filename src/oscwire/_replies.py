"""Replies to queries: ``Client.query()`` waits for the message the peer sends back.

A query registers a :class:`_Waiter` under the reply's address (a method of the client's
own dispatcher, one per address while queries wait for it), sends, and waits: blocking
the calling thread, or, when called in a coroutine, in a :class:`Reply` the caller awaits.
Replies to one address go to the waiting queries in the order they were made. Waiting is
bounded (in time by each query's timeout, in count by :data:`MAX_WAITING`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import threading
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Callable, Optional

from oscwire._handlers import Form, Matching, Received, make_method
from oscwire._logutil import LogThrottle
from oscwire._runtime import OSCSystem
from oscwire.oscmethod import MethodFilter

if TYPE_CHECKING:
    from oscwire._endpoint import Endpoint

__all__ = ["MAX_WAITING", "Reply", "ReplyRouter"]

#: Queries waiting for a reply at once, at most, per client.
MAX_WAITING = 10000
#: Reply addresses kept registered with no query waiting (so that a reply arriving after
#: its query gave up is counted as late, not as unmatched), at most, per client.
MAX_IDLE_ADDRESSES = 64


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Waiter:
    """One query waiting for its reply."""

    __slots__ = ("deadline", "error", "event", "future", "loop", "received")

    def __init__(self, deadline: float, loop: Optional[asyncio.AbstractEventLoop]) -> None:
        self.deadline = deadline
        self.event = threading.Event()
        self.received: Optional[Received] = None
        #: Why the wait ended without a reply (None: the client was closed).
        self.error: Optional[Exception] = None
        self.loop = loop
        self.future: Optional[asyncio.Future[None]] = None if loop is None else loop.create_future()

    def resolve(self, received: Received) -> None:
        self.received = received
        self.wake()

    def wake(self) -> None:
        """End the wait (with :attr:`received` still None when the client closed)."""
        self.event.set()
        future, loop = self.future, self.loop
        if future is not None and loop is not None:
            # A closed loop raises RuntimeError: nobody awaits any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_wake, future)


class ReplyRouter:
    """The queries of one client waiting for replies, by reply address."""

    def __init__(
        self,
        system: OSCSystem,
        matching: Matching,
        owner: Callable[[], Optional[Endpoint]],
        throttle: LogThrottle,
    ) -> None:
        self._system = system
        self._matching = matching
        self._owner = owner
        self._throttle = throttle
        self._lock = threading.Lock()
        self._waiting: dict[str, collections.deque[_Waiter]] = {}
        self._methods: dict[str, MethodFilter] = {}
        # Reply addresses no query waits for, oldest first.
        self._idle: dict[str, None] = {}
        self._count = 0
        self._closed = False
        #: Replies that arrived when no query waited for them any more.
        self.late_replies = 0
        #: Queries that timed out.
        self.timeouts = 0

    @property
    def waiting(self) -> int:
        """Queries waiting now."""
        return self._count

    def expect(
        self, pattern: str, timeout: float, loop: Optional[asyncio.AbstractEventLoop]
    ) -> _Waiter:
        """Register a query waiting up to *timeout* s for a message matching *pattern*."""
        waiter = _Waiter(time.monotonic() + timeout, loop)
        with self._lock:
            if self._closed:
                raise RuntimeError("OSC query: the client is closed")
            if self._count >= MAX_WAITING:
                self._drop_expired(time.monotonic())
                if self._count >= MAX_WAITING:
                    raise RuntimeError(
                        f"OSC query: {MAX_WAITING} queries already wait for replies "
                        "(are their replies awaited?)"
                    )
            queue = self._waiting.get(pattern)
            if queue is None:
                method = make_method(
                    pattern,
                    functools.partial(self._arrived, pattern),
                    Form.CONTEXT,
                    self._matching,
                    self._owner,
                    self._throttle,
                )
                dispatcher = self._system.dispatcher
                if dispatcher is None:
                    raise RuntimeError("OSC query: the client is closed")
                dispatcher.add_method(method)
                queue = self._waiting[pattern] = collections.deque()
                self._methods[pattern] = method
            self._idle.pop(pattern, None)
            queue.append(waiter)
            self._count += 1
        return waiter

    def close(self) -> None:
        """The client closes: the waiting queries end at once (they raise)."""
        self._end_all(None, closing=True)

    def abandon(self, error: Exception) -> None:
        """No reply can come any more (the connection ended): the waiting queries raise
        *error* now, not at their timeout."""
        self._end_all(error, closing=False)

    def _end_all(self, error: Optional[Exception], closing: bool) -> None:
        with self._lock:
            if closing:
                self._closed = True
            waiters = [waiter for queue in self._waiting.values() for waiter in queue]
            for queue in self._waiting.values():
                queue.clear()
            self._count = 0
        for waiter in waiters:
            waiter.error = error
            waiter.wake()

    def forget(self, pattern: str, waiter: _Waiter) -> None:
        """Stop waiting (the query timed out or failed to send)."""
        with self._lock:
            queue = self._waiting.get(pattern)
            if queue is None:
                return
            try:
                queue.remove(waiter)
            except ValueError:
                return
            self._count -= 1
            if not queue:
                self._now_idle(pattern)

    def _now_idle(self, pattern: str) -> None:
        # Called with the lock held, when no query waits for *pattern* any more: keep it
        # registered a while (late replies), unregistering the oldest idle ones.
        self._idle[pattern] = None
        while len(self._idle) > MAX_IDLE_ADDRESSES:
            oldest = next(iter(self._idle))
            del self._idle[oldest]
            del self._waiting[oldest]
            self._system.unmethod(self._methods.pop(oldest))

    def _drop_expired(self, now: float) -> None:
        # Called with the lock held: queries whose time is over (never awaited ones).
        for pattern in list(self._waiting):
            queue = self._waiting[pattern]
            kept = collections.deque(waiter for waiter in queue if waiter.deadline > now)
            self._count -= len(queue) - len(kept)
            self._waiting[pattern] = kept
            if queue and not kept:
                self._now_idle(pattern)

    def _arrived(self, pattern: str, received: Received) -> None:
        """A message matching *pattern* arrived: it answers the oldest waiting query."""
        now = time.monotonic()
        waiter = None
        with self._lock:
            queue = self._waiting.get(pattern)
            while queue:
                candidate = queue.popleft()
                self._count -= 1
                if candidate.deadline > now:
                    waiter = candidate
                    break
            if queue is not None and not queue and pattern not in self._idle:
                self._now_idle(pattern)
        if waiter is None:
            self.late_replies += 1
            return
        waiter.resolve(received)


_FIELDS = ("address", "args", "typetags", "source", "timetag", "server", "_packopt")


class Reply(Received):
    """The reply :meth:`oscwire.Client.query` returns: a :class:`~oscwire.Received`.

    Called outside a coroutine, ``query()`` waits and returns it filled in. Called in a
    coroutine it returns at once, and ``await`` fills it in (or raises
    :class:`TimeoutError`); reading it before raises :class:`RuntimeError`.
    """

    __slots__ = ("_description", "_pattern", "_router", "_timeout", "_waiter")

    def __init__(
        self, waiter: _Waiter, router: ReplyRouter, pattern: str, description: str, timeout: float
    ) -> None:
        # The Received fields stay unset until the reply is there (see __getattr__).
        self._waiter = waiter
        self._router = router
        self._pattern = pattern
        self._description = description
        self._timeout = timeout

    if not TYPE_CHECKING:  # at run time only: type checkers keep refusing unknown names

        def __getattr__(self, name: str) -> Any:
            if name in _FIELDS:
                raise RuntimeError(
                    f"the {self._description} has not arrived yet: await client.query(...)"
                )
            raise AttributeError(f"'Reply' object has no attribute {name!r}")

    def __repr__(self) -> str:
        if self._waiter.received is None:
            return f"<Reply pending: {self._description}>"
        return super().__repr__().replace("<Received", "<Reply", 1)

    def _fill(self) -> Reply:
        received = self._waiter.received
        if received is None:
            error = self._waiter.error
            if error is not None:
                raise error
            raise RuntimeError(f"no {self._description}: the client was closed meanwhile")
        for name in _FIELDS:
            setattr(self, name, getattr(received, name))
        return self

    def _timed_out(self) -> TimeoutError:
        self._router.forget(self._pattern, self._waiter)
        self._router.timeouts += 1
        return TimeoutError(f"no {self._description} within {self._timeout} s")

    def wait(self) -> Reply:
        """Block until the reply is there (or raise :class:`TimeoutError`)."""
        waiter = self._waiter
        try:
            arrived = waiter.event.wait(max(0.0, waiter.deadline - time.monotonic()))
        except BaseException:
            # Ctrl-C: this query gives up its place, or it would take the next reply.
            self._router.forget(self._pattern, waiter)
            raise
        if not arrived:
            raise self._timed_out()
        return self._fill()

    def __await__(self) -> Generator[Any, None, Reply]:
        return self._wait_async().__await__()

    async def _wait_async(self) -> Reply:
        waiter = self._waiter
        if waiter.received is None:
            try:
                await self._arrival(waiter)
            except asyncio.TimeoutError:
                raise self._timed_out() from None
            except BaseException:
                # Cancelled (asyncio.wait_for, task.cancel()): this query gives up its
                # place in the queue, or it would take the reply of the next one.
                self._router.forget(self._pattern, waiter)
                raise
        return self._fill()

    @staticmethod
    async def _arrival(waiter: _Waiter) -> None:
        """Wait for *waiter*'s reply; :class:`asyncio.TimeoutError` at its deadline."""
        remaining = max(0.0, waiter.deadline - time.monotonic())
        future = waiter.future
        if future is None:
            # Made outside a coroutine and awaited inside one: wait in a thread.
            loop = asyncio.get_running_loop()
            if not await loop.run_in_executor(None, waiter.event.wait, remaining):
                raise asyncio.TimeoutError
        else:
            await asyncio.wait_for(asyncio.shield(future), remaining)
