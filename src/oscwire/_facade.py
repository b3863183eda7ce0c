"""Code shared by the ``as_eventloop``, ``as_allthreads`` and ``as_comthreads`` façades.

Each façade module exposes osc4py3's functions with osc4py3's signatures and forwards
them here with its policy. Everything acts on the default :class:`~oscwire._runtime.OSCSystem`.
"""

from __future__ import annotations

from typing import Any, Optional

from oscwire import _runtime
from oscwire.oscmethod import OSCARG_DATAUNPACK


def startup(policy: str, **kwargs: Any) -> None:
    """Start the default system with *policy*; does nothing when one already runs.

    Keywords: ``logger``, ``execthreadscount``, ``writethreadscount``, ``patternkind``
    (``"osc"``, osc4py3's matching, the default; ``"spec"``: OSC 1.0/1.1 matching),
    ``max_delayed``, and the packet processing options ``honor_timetag``,
    ``forget_oldmsg``, ``timetag_offset``, ``check_subbundle_timetag``.
    """
    current = _runtime.default_system()
    if current.running:
        return
    _runtime.replace_default_system(policy, **kwargs).start()


def terminate() -> None:
    """Terminate the default system: channels closed, pending work dropped, within 1 s."""
    _runtime.default_system().terminate()


def process(timeout: float = 0.0) -> None:
    """Do the caller's share of the work of the default system's policy."""
    _runtime.default_system().process(timeout)


def system() -> _runtime.OSCSystem:
    """The default system, started (in the event loop policy) if it was not."""
    current = _runtime.default_system()
    if not current.running:
        current.start()
    return current


def method(
    addrpattern: str, function: Any, argscheme: Any = OSCARG_DATAUNPACK, extra: Any = None
) -> Any:
    """Register a handler; return its MethodFilter, the handle for :func:`unmethod`."""
    return system().method(addrpattern, function, argscheme=argscheme, extra=extra)


def unmethod(handle: Any) -> bool:
    """Unregister a handler returned by :func:`method`; False when it was not registered."""
    return _runtime.default_system().unmethod(handle)


def send(packet: Any, names: Any) -> int:
    """Send *packet* to the channels *names* (str, list, set, tuple; ``_local``, ``_all``)."""
    return _runtime.default_system().send_packet(packet, names)


def batched_sends() -> Any:
    """Context manager: this thread's sends inside it are queued and leave together
    (``sendmmsg`` on Linux); see :meth:`oscwire._runtime.OSCSystem.batched_sends`."""
    return system().batched_sends()


def reply(packopt: Any, packet: Any) -> bool:
    """Send *packet* back to the source of a received packet, through its socket."""
    return _runtime.default_system().reply(packopt, packet)


def channel(name: str) -> Any:
    """The channel called *name* in the default system, or None."""
    return _runtime.default_system().get_channel(name)


def stats(name: Optional[str] = None) -> dict[str, Any]:
    """Counters of channel *name*, or of the whole default system when *name* is None."""
    current = _runtime.default_system()
    return current.all_stats() if name is None else current.channel_stats(name)


def udp_channel(name: str, mode: str, options: dict[str, Any]) -> Any:
    """Create a :class:`~oscwire.oscudpmc.UdpMcChannel` in the default system."""
    from oscwire.oscudpmc import UdpMcChannel

    current = system()
    options = dict(options)
    options.setdefault("osc_system", current)
    options.setdefault("logger", current.logger)
    return UdpMcChannel(name, mode, options)


def udp_server(address: str, port: int, name: str, **extra: Any) -> Any:
    return udp_channel(name, "r", {"udpread_host": address, "udpread_port": port, **extra})


def udp_client(address: str, port: int, name: str, **extra: Any) -> Any:
    return udp_channel(name, "w", {"udpwrite_host": address, "udpwrite_port": port, **extra})


def multicast_server(address: str, port: int, name: str) -> Any:
    return udp_server(address, port, name, mcast_enabled=True)


def multicast_client(address: str, port: int, name: str, ttl: int = 1) -> Any:
    return udp_client(address, port, name, mcast_enabled=True, udpwrite_ttl=ttl)


def broadcast_server(address: str, port: int, name: str) -> Any:
    return udp_server(address, port, name, bcast_enabled=True)


def broadcast_client(address: str, port: int, name: str, ttl: int = 1) -> Any:
    return udp_client(address, port, name, bcast_enabled=True, udpwrite_ttl=ttl)
