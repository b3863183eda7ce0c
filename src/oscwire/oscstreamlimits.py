"""Bounds that stream connections share: bytes, time and read buffers.

A listener gives every connection it accepts the same :class:`ByteBudget` for bytes
waiting to be written (and one for bytes of incomplete packets), the same
:class:`TimeoutWatch` (one timer of the system for all their idle and partial-packet
timeouts) and the same :class:`ReadBuffer` (one per reading thread). What a connection
does with a packet its write bounds cannot take is its :class:`WriteOverflowPolicy`:
:data:`CLOSE_SLOW_PEER` for accepted connections, :data:`DROP_NEW_PACKET` for clients.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import TYPE_CHECKING, Optional

from oscwire import oscchannel
from oscwire.oscstreamstats import CloseReason

if TYPE_CHECKING:
    from oscwire.oscstream import StreamConnection

__all__ = [
    "CLOSE_SLOW_PEER",
    "DROP_NEW_PACKET",
    "ByteBudget",
    "CloseSlowPeer",
    "DropNewPacket",
    "ReadBuffer",
    "TimeoutWatch",
    "WriteOverflowPolicy",
]


class ByteBudget:
    """A bound of bytes shared by several connections (queued writes, or partial reads).

    *limit* 0 means no bound. Members (connections) join so that an overflow policy can
    find the one that holds the most. Thread-safe; the lock is never held while calling out.
    """

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"byte budget must be >= 0 (0: no bound), not {limit}")
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()
        #: Held while a connection is closed to make room (see :class:`CloseSlowPeer`).
        self.shed_lock = threading.RLock()
        self._members: weakref.WeakSet[StreamConnection] = weakref.WeakSet()

    def try_take(self, nbytes: int) -> bool:
        """Count *nbytes* more if they fit under the limit; False (nothing counted) if not."""
        with self._lock:
            if self.limit and self.used + nbytes > self.limit:
                return False
            self.used += nbytes
            return True

    def fits(self, nbytes: int) -> bool:
        """True when *nbytes* more would fit now (nothing counted)."""
        return not self.limit or self.used + nbytes <= self.limit

    def adjust(self, delta: int) -> bool:
        """Count *delta* more (or fewer) bytes, fitting or not; True when over the limit."""
        with self._lock:
            self.used += delta
            return bool(self.limit) and self.used > self.limit

    def over(self) -> bool:
        """True while more than the limit is counted."""
        return bool(self.limit) and self.used > self.limit

    def join(self, member: StreamConnection) -> None:
        with self._lock:
            self._members.add(member)

    def leave(self, member: StreamConnection) -> None:
        with self._lock:
            self._members.discard(member)

    def members(self) -> list[StreamConnection]:
        """A snapshot of the members."""
        with self._lock:
            return list(self._members)


class WriteOverflowPolicy:
    """What a connection does with a packet that its write bounds cannot take."""

    def overflow(self, connection: StreamConnection, nbytes: int, shared: bool) -> bool:
        """Handle a packet of *nbytes* refused by the connection's own bound (*shared*
        False) or by the budget shared with other connections (*shared* True).

        Return True when room was made (the packet is tried once more), False when the
        packet is dropped — counted and logged here."""
        raise NotImplementedError


class DropNewPacket(WriteOverflowPolicy):
    """Drop the packet that does not fit; what is queued stays (clients: the program's own
    link to a server, whose queue it wants kept)."""

    def overflow(self, connection: StreamConnection, nbytes: int, shared: bool) -> bool:
        connection.refuse_packet(nbytes, shared)
        return False


class CloseSlowPeer(WriteOverflowPolicy):
    """Close the peer that does not read (accepted connections: a server's replies).

    A peer whose replies pile up is not being served anyway: closing it frees all its
    memory at once and tells it clearly (a disconnection it can see and count), where
    dropping packets from the middle of its reply stream would break request/reply
    pairing silently and keep its memory held. When the budget shared by all connections
    is full, the connection holding the most queued bytes is the one closed (one thread at
    a time per budget, so that two do not both see it full while the first frees it). A
    packet larger than the bound by itself is only dropped.
    """

    def overflow(self, connection: StreamConnection, nbytes: int, shared: bool) -> bool:
        budget = connection.write_budget
        if not shared or budget is None:
            if connection.queued_bytes == 0:
                connection.refuse_packet(nbytes, shared)  # too big by itself
                return False
            return self._close_self(connection)
        with budget.shed_lock:
            if budget.fits(nbytes):
                return True  # another thread made room meanwhile
            holders = [
                member
                for member in budget.members()
                if isinstance(member.write_overflow, CloseSlowPeer) and member.queued_bytes
            ]
            if not holders:
                # The budget is held by connections that this policy does not close.
                connection.refuse_packet(nbytes, shared)
                return False
            victim = max(holders, key=lambda member: member.queued_bytes)
            if victim is connection:
                return self._close_self(connection)
            victim.close_stream(CloseReason.SLOW)  # gives its bytes back before returning
            return True

    @staticmethod
    def _close_self(connection: StreamConnection) -> bool:
        connection.stats.send_dropped += 1
        connection.stats.write_overflows += 1
        connection.close_stream(CloseReason.SLOW)
        return False


#: The policies (stateless: one instance each).
DROP_NEW_PACKET = DropNewPacket()
CLOSE_SLOW_PEER = CloseSlowPeer()


# ----------------------------------------------------------------------------- timeouts
class TimeoutWatch:
    """One timer of the system (``call_later``) for the timeouts of many connections.

    The timer is due at the earliest deadline of its members; when it fires, members past
    a deadline are closed and it is set again for the next one. A connection whose deadline
    moves later (it was active) costs nothing until then; one whose deadline comes sooner
    calls :meth:`arm`. No thread, no polling, and at most one live timer per watch.
    """

    def __init__(self, host: oscchannel.ChannelHost) -> None:
        self._host = host
        self._members: set[StreamConnection] = set()
        self._lock = threading.Lock()
        self._timer: Optional[oscchannel.TimerHandle] = None
        #: Monotonic time the timer is due (inf: not set).
        self.due = float("inf")
        self._closed = False

    def add(self, connection: StreamConnection) -> None:
        with self._lock:
            self._members.add(connection)
        self.arm(connection.next_deadline())

    def discard(self, connection: StreamConnection) -> None:
        with self._lock:
            self._members.discard(connection)

    def __len__(self) -> int:
        return len(self._members)

    def arm(self, deadline: Optional[float]) -> None:
        """Make sure the timer fires by *deadline* (monotonic; None: no deadline)."""
        if deadline is None or deadline >= self.due:
            return
        with self._lock:
            if self._closed or deadline >= self.due:
                return
            old = self._timer
            self.due = deadline
            self._timer = self._host.call_later(deadline - time.monotonic(), self._fire)
        if old is not None:
            old.cancel()

    def close(self) -> None:
        """Cancel the timer and forget the members."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
            self._members.clear()
        if timer is not None:
            timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
            self.due = float("inf")
            members = list(self._members)
        now = time.monotonic()
        for connection in members:
            connection.check_timeouts(now)
        upcoming = [d for d in (c.next_deadline() for c in members) if d is not None]
        if upcoming:
            self.arm(min(upcoming))


class ReadBuffer(threading.local):
    """The read buffer of each thread that reads, shared by the connections of one owner.

    An accepted connection holds no read buffer of its own: what a read brings is cut
    into packets (copies) before the next read, so the bytes are free again at once, and
    5 000 connections cost nothing here. The buffer starts small, grows (x4, up to the
    read size) when a read fills it, and shrinks back after :attr:`SHRINK_AFTER` wake-ups
    in a row that used less than an eighth of it: a burst gets large reads, a quiet
    client keeps 16 KiB.
    """

    #: Size of a new buffer, and what it shrinks back to.
    SMALL = 16 * 1024
    #: Wake-ups in a row that used little of a grown buffer before it shrinks back.
    SHRINK_AFTER = 16

    buffer: Optional[bytearray] = None
    view: Optional[memoryview] = None
    quiet = 0

    def get(self, limit: int) -> tuple[bytearray, memoryview]:
        """The buffer of this thread (allocated at its first read) and a view of it."""
        buffer = self.buffer
        view = self.view
        if buffer is None or view is None:
            return self._resize(min(self.SMALL, limit))
        return buffer, view

    def used(self, largest: int, limit: int) -> None:
        """After a wake-up whose largest read took *largest* bytes (reads of *limit* at
        most): grow the buffer if a read filled it, shrink it back if it stays idle."""
        buffer = self.buffer
        if buffer is None:
            return
        size = len(buffer)
        if largest >= size and size < limit:
            self.quiet = 0
            self._resize(min(limit, size * 4))
        elif largest <= size >> 3 and size > self.SMALL:
            self.quiet += 1
            if self.quiet >= self.SHRINK_AFTER:
                self.quiet = 0
                self._resize(self.SMALL)
        else:
            self.quiet = 0

    def _resize(self, size: int) -> tuple[bytearray, memoryview]:
        # A new buffer: views of the old one (none outlive a read) keep it alive alone.
        buffer = self.buffer = bytearray(size)
        view = self.view = memoryview(buffer)
        return buffer, view
