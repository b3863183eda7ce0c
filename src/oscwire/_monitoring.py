"""What channels and policies use of a monitor: the two kinds meet these Protocols.

A monitor watches channels' file descriptors (``selectors`` in
:class:`oscwire.oscscheduling.Monitor`, the running loop's readers and writers in
:class:`oscwire._asyncio_runtime.LoopMonitor`) and calls their ``process_monevents``;
channels without a descriptor are polled (``poll_monitor``). A channel registers and
unregisters itself through :class:`ChannelMonitor`; a policy that serves a monitor in a
thread or in ``process()`` also calls :meth:`SteppingMonitor.step`. An osc4py3 program
may give a channel a monitor object of its own (the ``monitor`` option): it must have
these methods.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol, runtime_checkable

__all__ = ["ChannelMonitor", "SteppingMonitor"]


@runtime_checkable
class ChannelMonitor(Protocol):
    """What a channel calls on its monitor (from any thread)."""

    def add_monitoring(self, fileno: int, channel: Any, readwriteevent: str) -> None:
        """Watch *fileno* of *channel* for ``r``, ``w`` and/or ``e``."""

    def remove_monitoring(self, fileno: int, channel: Any, readwriteevent: str) -> None:
        """Stop watching *fileno* for the given flags."""

    def add_polling(self, channel: Any, readwriteevent: str) -> None:
        """Poll a channel that has no file descriptor (its ``poll_monitor``)."""

    def remove_polling(self, channel: Any, readwriteevent: str) -> None:
        """Stop polling *channel* for the given flags."""

    def wake(self) -> None:
        """Have a blocked wait return soon (a change was made from another thread)."""

    def terminate(self, timeout: Optional[float] = 1.0) -> None:
        """Stop watching everything and release what the monitor holds."""


@runtime_checkable
class SteppingMonitor(ChannelMonitor, Protocol):
    """A monitor a policy serves: one :meth:`step` per round of its loop."""

    def step(self, timeout: Optional[float] = 0.0) -> int:
        """Wait up to *timeout* seconds (None: until something happens) and serve the
        ready channels; return how many events were served."""
