"""What stream connections count, and why a connection ends.

:class:`StreamStats` are the counters of every stream channel (TCP and the stream
transports to come; every counter is documented in ``docs/tcp.md``, *Counters*), and
:class:`CloseReason` names the end of a connection: the *reason* its ``disconnected``
handler gets, the counter it adds to and the level of its log line.
"""

from __future__ import annotations

import enum
import logging
from typing import Any

from oscwire import oscchannel

__all__ = ["CloseReason", "StreamStats"]


_STREAM_COUNTERS = (
    "connections_accepted",
    "connections_refused",
    "connect_failures",
    "resolve_failures",
    "reconnects",
    "disconnects",
    "resets",
    "idle_timeouts",
    "partial_timeouts",
    "evictions",
    "slow_closes",
    "memory_closes",
    "write_overflows",
)


class StreamStats(oscchannel.ChannelStats):
    """:class:`~oscwire.oscchannel.ChannelStats` plus the counters of stream connections.

    Every counter is documented in ``docs/tcp.md`` (*Counters*).
    """

    __slots__ = _STREAM_COUNTERS
    #: Every counter, in :meth:`as_dict` order.
    ALL = oscchannel.ChannelStats.__slots__ + _STREAM_COUNTERS

    connections_accepted: int
    connections_refused: int
    connect_failures: int
    resolve_failures: int
    reconnects: int
    disconnects: int
    resets: int
    idle_timeouts: int
    partial_timeouts: int
    evictions: int
    slow_closes: int
    memory_closes: int
    write_overflows: int

    def __init__(self) -> None:
        for name in self.ALL:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        """A snapshot of every counter."""
        return {name: getattr(self, name) for name in self.ALL}

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.as_dict().items() if v)
        return f"{type(self).__name__}({inner})"

    def forwarding_to(self, target: StreamStats) -> StreamStats:
        """A copy of these counters that adds every later change to *target* too.

        What a listener gives a connection that ended, once its totals are carried over:
        packets it read are still being decoded, replies to it are still being dropped,
        and the listener's totals must see those too.
        """
        copy = _ForwardingStats(target)
        for name in self.ALL:
            object.__setattr__(copy, name, getattr(self, name))
        return copy

    def add(self, other: StreamStats) -> None:
        """Add the counters of *other* to these (a closed connection's totals)."""
        for name in self.ALL:
            value = getattr(other, name)
            if value:  # leave alone what *other* never counted (written by other threads)
                setattr(self, name, getattr(self, name) + value)


class _ForwardingStats(StreamStats):
    """Counters that pass on every change to another :class:`StreamStats` (slow: for
    ended connections only)."""

    __slots__ = ("_target",)
    _COUNTERS = frozenset(StreamStats.ALL)
    _target: StreamStats

    def __init__(self, target: StreamStats) -> None:
        object.__setattr__(self, "_target", target)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._COUNTERS:
            delta = value - getattr(self, name, 0)
            if delta:
                target = self._target
                setattr(target, name, getattr(target, name) + delta)
        object.__setattr__(self, name, value)


class CloseReason(enum.Enum):
    """Why a connection ended: the ``disconnected`` handler's *reason*, the counter it
    adds to (besides ``disconnects``) and the level of its log line."""

    CLOSED = ("closed", "", logging.DEBUG)  # the peer closed normally
    RESET = ("reset", "resets", logging.WARNING)
    ERROR = ("error", "", logging.WARNING)
    FRAMING = ("framing", "", logging.WARNING)
    GARBAGE = ("garbage", "", logging.WARNING)
    IDLE = ("idle", "idle_timeouts", logging.INFO)
    PARTIAL = ("partial", "partial_timeouts", logging.WARNING)
    EVICTED = ("evicted", "evictions", logging.WARNING)  # the server is full
    SLOW = ("slow", "slow_closes", logging.WARNING)
    MEMORY = ("memory", "memory_closes", logging.WARNING)
    LOCAL = ("local", "", logging.DEBUG)  # closed here (terminate, deactivate)

    def __init__(self, label: str, counter: str, level: int) -> None:
        self.label = label
        self.counter = counter
        self.level = level
