"""Use OSC from your own event loop, with no thread at all.

Call ``osc_process()`` often (or ``osc_process(timeout)`` to wait for traffic): it reads
the sockets, decodes, calls the handlers and runs due bundles, all in your thread.

Functions keep osc4py3's names and signatures; what they add: ``osc_method`` returns a
handle that ``osc_unmethod`` removes, the ``osc_*_server`` / ``osc_*_client`` functions
return their channel (``channel.bound_port`` tells the port of a server opened on port 0),
``osc_reply`` answers the sender of a message through the socket that received it, and
``osc_stats`` returns the counters. See ``docs/runtime.md``.
"""

from __future__ import annotations

from typing import Any

from oscwire import _facade, _policies
from oscwire._facade import (
    osc_batched_sends,
    osc_broadcast_client,
    osc_broadcast_server,
    osc_channel,
    osc_method,
    osc_multicast_client,
    osc_multicast_server,
    osc_reply,
    osc_send,
    osc_stats,
    osc_terminate,
    osc_udp_client,
    osc_udp_server,
    osc_unmethod,
)
from oscwire._tcp_facade import osc_tcp_client, osc_tcp_server

__all__ = [
    "osc_batched_sends",
    "osc_broadcast_client",
    "osc_broadcast_server",
    "osc_channel",
    "osc_method",
    "osc_multicast_client",
    "osc_multicast_server",
    "osc_process",
    "osc_reply",
    "osc_send",
    "osc_startup",
    "osc_stats",
    "osc_tcp_client",
    "osc_tcp_server",
    "osc_terminate",
    "osc_udp_client",
    "osc_udp_server",
    "osc_unmethod",
]

_POLICY = _policies.EventLoopPolicy


def osc_startup(**kwargs: Any) -> None:
    """Start OSC processing (eventloop policy); a second call does nothing.

    Keywords: see :func:`oscwire._facade.startup` (``logger``, ``execthreadscount``,
    ``patternkind``, ``raise_send_errors``, the bounds of future bundles...).
    """
    _facade.startup(_POLICY, **kwargs)


def osc_process(timeout: float = 0.0) -> None:
    """Read ready sockets, decode, call handlers, run due bundles; wait up to *timeout* s for
    traffic (0: never wait)."""
    _facade.process(timeout)


def __getattr__(name: str) -> Any:
    # osc4py3's module globals (dispatcher, generallogger...), from the default system.
    return _facade.facade_global(__name__, name)
