"""Use OSC from background threads only: handlers run in a pool of threads.

One communication thread reads, decodes and matches; ``execthreadscount`` threads call
the handlers, keeping the order of each source's messages. ``osc_process()`` does nothing.

Functions keep osc4py3's names and signatures; what they add: ``osc_method`` returns a
handle that ``osc_unmethod`` removes, the ``osc_*_server`` / ``osc_*_client`` functions
return their channel (``channel.bound_port`` tells the port of a server opened on port 0),
``osc_reply`` answers the sender of a message through the socket that received it, and
``osc_stats`` returns the counters. See ``docs/runtime.md``.
"""

from __future__ import annotations

from typing import Any, Optional

from oscwire import _facade
from oscwire._tcp_facade import osc_tcp_client, osc_tcp_server
from oscwire.oscmethod import OSCARG_DATAUNPACK

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

_POLICY = "allthreads"


def osc_startup(**kwargs: Any) -> None:
    """Start OSC processing (allthreads policy); a second call does nothing.

    Keywords: ``logger`` (a :class:`logging.Logger`), ``execthreadscount`` (10: handler
    threads, as_allthreads only), ``writethreadscount`` (accepted; writes never block),
    ``patternkind`` (``"osc"``: osc4py3 matching, the default; ``"spec"``: OSC 1.0/1.1),
    ``max_delayed``, ``honor_timetag``, ``forget_oldmsg``, ``timetag_offset``,
    ``check_subbundle_timetag``.
    """
    _facade.startup(_POLICY, **kwargs)


def osc_terminate() -> None:
    """Stop OSC processing: close channels, drop pending work; returns within a second."""
    _facade.terminate()


def osc_process(timeout: float = 0.0) -> None:
    """Nothing to do in this policy (sleeps up to *timeout* s)."""
    _facade.process(timeout)


def osc_method(
    addrpattern: str, function: Any, argscheme: Any = OSCARG_DATAUNPACK, extra: Any = None
) -> Any:
    """Call *function* for messages matching *addrpattern*; return a handle for osc_unmethod."""
    return _facade.method(addrpattern, function, argscheme, extra)


def osc_unmethod(handle: Any) -> bool:
    """Remove a handler registered by osc_method; False if it was not registered."""
    return _facade.unmethod(handle)


def osc_send(packet: Any, names: Any) -> None:
    """Send a message or bundle to channels *names* (str, list, set, tuple, ``"_local"``,
    ``"_all"``)."""
    _facade.send(packet, names)


def osc_batched_sends() -> Any:
    """``with osc_batched_sends(): ...`` queues this thread's osc_send calls and sends
    them together when the block ends (``sendmmsg`` on Linux: more messages per second)."""
    return _facade.batched_sends()


def osc_reply(packopt: Any, packet: Any) -> bool:
    """Answer the source of a received packet (get *packopt* with OSCARG_PACKOPT)."""
    return _facade.reply(packopt, packet)


def osc_channel(name: str) -> Any:
    """The channel called *name*, or None."""
    return _facade.channel(name)


def osc_stats(name: Optional[str] = None) -> dict[str, Any]:
    """Counters of channel *name*, or of everything when *name* is None."""
    return _facade.stats(name)


def osc_udp_server(address: str, port: int, name: str) -> Any:
    """Receive OSC packets on UDP *address*:*port* ("*": every interface; port 0: any)."""
    return _facade.udp_server(address, port, name)


def osc_udp_client(address: str, port: int, name: str) -> Any:
    """Send OSC packets over UDP to *address*:*port* through channel *name*."""
    return _facade.udp_client(address, port, name)


def osc_multicast_server(address: str, port: int, name: str) -> Any:
    """Receive OSC packets sent to multicast group *address* on *port*."""
    return _facade.multicast_server(address, port, name)


def osc_multicast_client(address: str, port: int, name: str, ttl: int = 1) -> Any:
    """Send OSC packets to multicast group *address*:*port*, with time-to-live *ttl*."""
    return _facade.multicast_client(address, port, name, ttl)


def osc_broadcast_server(address: str, port: int, name: str) -> Any:
    """Receive OSC packets broadcast to *port* (bind *address*, e.g. "0.0.0.0")."""
    return _facade.broadcast_server(address, port, name)


def osc_broadcast_client(address: str, port: int, name: str, ttl: int = 1) -> Any:
    """Broadcast OSC packets to broadcast address *address*:*port*, with *ttl*."""
    return _facade.broadcast_client(address, port, name, ttl)
