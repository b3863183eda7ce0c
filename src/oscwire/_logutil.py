"""Rate-limited log lines: what a peer can trigger is logged, but never floods the log.

A :class:`LogThrottle` guards one kind of log line (a handler that raises, a bad packet
from a peer...). Per *cause* (a handler, a channel, a source), the first occurrences are
logged in full (traceback included); the following ones are only counted, and a summary
line ``…and 1234 more failures of handler '/x'`` is logged at most once per *interval*
seconds while they go on, and once more by :meth:`LogThrottle.flush` (called when a
system terminates, and at interpreter exit), so that nothing is lost silently. Lines
that were counted instead of logged add up in :func:`suppressed_total`.

No logging configuration is needed to see these lines: oscwire's package logger has no
``NullHandler``, so WARNING and above reach stderr through Python's last-resort handler.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Hashable
from typing import Any, Optional

__all__ = ["LogThrottle", "flush_all", "suppressed_total"]

#: Seconds between two summary lines of one cause.
DEFAULT_INTERVAL = 10.0
#: Causes tracked per throttle at most; past it, new causes share one entry.
MAX_CAUSES = 256

_OTHER_CAUSES = object()
_THROTTLES: weakref.WeakSet[LogThrottle] = weakref.WeakSet()
_REGISTRY_LOCK = threading.Lock()
_suppressed_total = 0


class _Cause:
    __slots__ = ("count", "label", "last", "level", "logger", "pending")

    def __init__(self, label: str, level: int, logger: logging.Logger) -> None:
        self.count = 0  # occurrences seen
        self.pending = 0  # occurrences counted and not yet reported
        self.last = 0.0  # monotonic time of the last line logged
        self.label = label
        self.level = level
        self.logger = logger


class LogThrottle:
    """Log the first *full* occurrences of each cause, then summaries of the counts.

    *logger* receives the lines. Thread-safe; costs one dict lookup per call.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        full: int = 1,
        interval: float = DEFAULT_INTERVAL,
        max_causes: int = MAX_CAUSES,
    ) -> None:
        self.logger = logger
        self.full = max(1, full)
        self.interval = interval
        self.max_causes = max_causes
        #: Lines counted instead of logged, over the throttle's life.
        self.suppressed = 0
        self._causes: dict[Any, _Cause] = {}
        self._lock = threading.Lock()
        with _REGISTRY_LOCK:
            _THROTTLES.add(self)

    def log(
        self,
        level: int,
        cause: Hashable,
        label: str,
        msg: str,
        *args: Any,
        exc_info: bool | BaseException = False,
        logger: Optional[logging.Logger] = None,
    ) -> bool:
        """Log ``msg % args`` for *cause* if it is among its first ones; else count it.

        *label* names the occurrences in the summary line (``"failures of handler '/x'"``);
        *logger* replaces the throttle's own for this cause (a channel's logger). Returns
        True when the line was logged in full.
        """
        logger = logger if logger is not None else self.logger
        global _suppressed_total
        now = time.monotonic()
        summary = 0
        with self._lock:
            entry = self._causes.get(cause)
            if entry is None:
                if len(self._causes) >= self.max_causes:
                    cause = _OTHER_CAUSES
                    entry = self._causes.get(cause)
                    label = "lines of other causes"
                if entry is None:
                    entry = self._causes[cause] = _Cause(label, level, logger)
            entry.count += 1
            if entry.count <= self.full:
                entry.last = now
                full = True
            else:
                full = False
                entry.pending += 1
                self.suppressed += 1
                _suppressed_total += 1
                if now - entry.last >= self.interval:
                    summary = entry.pending
                    entry.pending = 0
                    entry.last = now
        if full:
            logger.log(level, msg, *args, exc_info=exc_info)
        elif summary:
            logger.log(level, "…and %d more %s (only the first are shown)", summary, label)
        return full

    def flush(self) -> None:
        """Log the summary of every cause that has counted lines not yet reported."""
        with self._lock:
            due = [e for e in self._causes.values() if e.pending]
            report = [(e.logger, e.level, e.pending, e.label) for e in due]
            for entry in due:
                entry.pending = 0
        for logger, level, count, label in report:
            logger.log(level, "…and %d more %s (only the first are shown)", count, label)

    def forget(self, cause: Hashable) -> None:
        """Report and drop what is counted for *cause* (a closed connection, a removed
        handler), so that the table of causes stays small."""
        with self._lock:
            entry = self._causes.pop(cause, None)
        if entry is not None and entry.pending:
            entry.logger.log(
                entry.level,
                "…and %d more %s (only the first are shown)",
                entry.pending,
                entry.label,
            )

    def count(self, cause: Hashable) -> int:
        """Occurrences seen for *cause* (logged or not)."""
        entry = self._causes.get(cause)
        return entry.count if entry is not None else 0


def flush_all() -> None:
    """Flush every live throttle (at system termination and interpreter exit)."""
    with _REGISTRY_LOCK:
        throttles = list(_THROTTLES)
    for throttle in throttles:
        with contextlib.suppress(Exception):  # logging itself may fail at exit
            throttle.flush()


def suppressed_total() -> int:
    """Log lines counted instead of logged by every throttle of this process."""
    return _suppressed_total


atexit.register(flush_all)
