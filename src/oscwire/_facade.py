"""The functions shared by the ``as_eventloop``, ``as_allthreads`` and ``as_comthreads`` façades.

Every façade exposes osc4py3's functions with osc4py3's signatures. Only ``osc_startup``
(which picks the policy) and ``osc_process`` (whose work depends on it) are written in each
façade module; all the others are these, and act on the default
:class:`~oscwire._runtime.OSCSystem`.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Callable, Optional, Union

from oscwire import _policies, _runtime
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCBundle, OSCMessage
from oscwire.oscchannel import TransportChannel
from oscwire.oscmethod import OSCARG_DATAUNPACK, MethodFilter
from oscwire.oscpacketoptions import PacketOptions
from oscwire.oscudpmc import UdpMcChannel

#: What osc_send takes: a message or a bundle.
Packet = Union[OSCMessage, OSCBundle]

#: What every façade re-exports as it is (``from oscwire._facade import *``).
__all__ = [
    "osc_batched_sends",
    "osc_broadcast_client",
    "osc_broadcast_server",
    "osc_channel",
    "osc_method",
    "osc_multicast_client",
    "osc_multicast_server",
    "osc_reply",
    "osc_send",
    "osc_stats",
    "osc_terminate",
    "osc_udp_client",
    "osc_udp_server",
    "osc_unmethod",
]


def startup(policy: Any, **kwargs: Any) -> OSCSystem:
    """Start the default system with *policy*; does nothing when one already runs with it.

    Channels and methods created before ``osc_startup()`` started the default system on
    their own: it keeps them and now runs *policy* (with *kwargs*). A system left running
    by another façade (no ``osc_terminate()``) is terminated and replaced, with a warning.
    Unknown keywords are ignored with a warning, as osc4py3 ignores them (silently).

    Keywords: ``logger``, ``execthreadscount``, ``writethreadscount``, ``patternkind``
    (``"osc"``, osc4py3's matching, the default; ``"spec"``: OSC 1.0/1.1 matching),
    ``max_delayed``, ``max_delayed_bytes``, ``max_delay``, ``raise_send_errors``, and the
    packet processing options ``honor_timetag``, ``forget_oldmsg``, ``timetag_offset``,
    ``check_subbundle_timetag``.
    """
    kwargs = _runtime.warn_unknown_options(kwargs, stacklevel=4)
    wanted = _policies.make_policy(policy, int(kwargs.get("execthreadscount", 10)))
    current = _runtime.default_system()
    if current.running:
        if not current.started_by_facade:
            # Started on its own by a channel or method made before osc_startup: it runs
            # the policy asked now, with its channels and methods.
            current.configure(**kwargs)
            if type(current.policy) is not type(wanted):
                current.switch_policy(wanted)
            current.started_by_facade = True
            return current
        if type(current.policy) is type(wanted):
            return current
        # Left running by another façade (no osc_terminate): the policy asked now wins.
        current.logger.warning(
            "OSC startup: terminating the running %s system for the %s policy",
            current.policy.name,
            wanted.name,
        )
    new = _runtime.install_default_system(OSCSystem(wanted, **kwargs))
    new.start()
    new.started_by_facade = True
    return new


def process(timeout: float = 0.0) -> None:
    """Do the caller's share of the work of the default system's policy."""
    _runtime.default_system().process(timeout)


def system() -> OSCSystem:
    """The default system, started (in the event loop policy) if it was not."""
    return _runtime.started_default_system()


def facade_global(module: str, name: str) -> Any:
    """osc4py3's module globals of the façade modules (``dispatcher``, ``generallogger``,
    ``execute_queue``, ``write_queue``, ``select_monitor``, ``pool_monitors``), read from
    the default system: osc4py3 programs sometimes look at them."""
    current = _runtime.default_system()
    running = current.running
    if name == "dispatcher":
        return current.dispatcher if running else None
    if name == "generallogger":
        return current.logger if current.logger is not _runtime._LOGGER else None
    if name == "execute_queue":
        return getattr(current.policy, "queue", None) if running else None
    if name == "write_queue":
        return None  # writes never wait for a queue in oscwire
    if name == "select_monitor":
        return current.monitor if running else None
    if name == "pool_monitors":
        return []
    raise AttributeError(f"module {module!r} has no attribute {name!r}")


def osc_terminate() -> None:
    """Stop OSC processing: close channels, drop pending work; returns within a second."""
    _runtime.default_system().terminate()


def osc_method(
    addrpattern: str,
    function: Callable[..., Any],
    argscheme: tuple[str, ...] = OSCARG_DATAUNPACK,
    extra: Any = None,
) -> MethodFilter:
    """Call *function* for messages matching *addrpattern*; return a handle for osc_unmethod."""
    return system().method(addrpattern, function, argscheme=argscheme, extra=extra)


def osc_unmethod(handle: MethodFilter) -> bool:
    """Remove a handler registered by osc_method; False if it was not registered."""
    return _runtime.default_system().unmethod(handle)


def osc_send(packet: Packet, names: Union[str, Iterable[Any]]) -> None:
    """Send a message or bundle to channels *names* (str, list, set, tuple, ``"_local"``,
    ``"_all"``)."""
    _runtime.default_system().send_packet(packet, names)


def osc_batched_sends() -> AbstractContextManager[None]:
    """``with osc_batched_sends(): ...`` queues this thread's osc_send calls and sends
    them together when the block ends (``sendmmsg`` on Linux: more messages per second)."""
    return system().batched_sends()


def osc_reply(packopt: PacketOptions, packet: Packet) -> bool:
    """Answer the source of a received packet (get *packopt* with OSCARG_PACKOPT)."""
    return _runtime.default_system().reply(packopt, packet)


def osc_channel(name: str) -> Optional[TransportChannel]:
    """The channel called *name*, or None."""
    return _runtime.default_system().get_channel(name)


def osc_stats(name: Optional[str] = None) -> dict[str, Any]:
    """Counters of channel *name*, or of everything when *name* is None."""
    current = _runtime.default_system()
    return current.all_stats() if name is None else current.channel_stats(name)


def udp_channel(name: str, mode: str, options: dict[str, Any]) -> UdpMcChannel:
    """Create a :class:`~oscwire.oscudpmc.UdpMcChannel` in the default system."""
    current = system()
    options = dict(options)
    options.setdefault("osc_system", current)
    options.setdefault("logger", current.logger)
    return UdpMcChannel(name, mode, options)


def osc_udp_server(address: str, port: int, name: str) -> UdpMcChannel:
    """Receive OSC packets on UDP *address*:*port* ("*": every interface; port 0: any)."""
    return udp_channel(name, "r", {"udpread_host": address, "udpread_port": port})


def osc_udp_client(address: str, port: int, name: str) -> UdpMcChannel:
    """Send OSC packets over UDP to *address*:*port* through channel *name* (replies sent
    back to its socket are dispatched too)."""
    return udp_channel(name, "w", {"udpwrite_host": address, "udpwrite_port": port})


def osc_multicast_server(address: str, port: int, name: str) -> UdpMcChannel:
    """Receive OSC packets sent to multicast group *address* on *port*."""
    return udp_channel(
        name, "r", {"udpread_host": address, "udpread_port": port, "mcast_enabled": True}
    )


def osc_multicast_client(address: str, port: int, name: str, ttl: int = 1) -> UdpMcChannel:
    """Send OSC packets to multicast group *address*:*port*, with time-to-live *ttl*."""
    return udp_channel(
        name,
        "w",
        {
            "udpwrite_host": address,
            "udpwrite_port": port,
            "mcast_enabled": True,
            "udpwrite_ttl": ttl,
        },
    )


def osc_broadcast_server(address: str, port: int, name: str) -> UdpMcChannel:
    """Receive OSC packets broadcast to *port* (bind *address*, e.g. "0.0.0.0")."""
    return udp_channel(
        name, "r", {"udpread_host": address, "udpread_port": port, "bcast_enabled": True}
    )


def osc_broadcast_client(address: str, port: int, name: str, ttl: int = 1) -> UdpMcChannel:
    """Broadcast OSC packets to broadcast address *address*:*port*, with *ttl*."""
    return udp_channel(
        name,
        "w",
        {
            "udpwrite_host": address,
            "udpwrite_port": port,
            "bcast_enabled": True,
            "udpwrite_ttl": ttl,
        },
    )


#: The functions every façade re-exports as they are (tests check each façade has them).
COMMON = tuple(__all__)
