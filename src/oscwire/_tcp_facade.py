"""The TCP functions of the ``as_eventloop`` / ``as_allthreads`` / ``as_comthreads`` façades.

They act on the default :class:`~oscwire._runtime.OSCSystem` (started in the event loop
policy if no ``osc_startup()`` ran), like the UDP functions of :mod:`oscwire._facade`, so
the same two functions serve every policy; use them from the policy module::

    from oscwire import as_eventloop as osc
    osc.osc_tcp_server("*", 5000, "tcpserver", framing="auto")
"""

from __future__ import annotations

from typing import Any

from oscwire import _facade
from oscwire.osctcp import TcpClient, TcpListener

__all__ = ["osc_tcp_client", "osc_tcp_server"]

_SERVER_FRAMINGS = ("size", "slip", "auto")
_CLIENT_FRAMINGS = ("size", "slip")


def _options(address: str, port: int, framing: str, extra: dict[str, Any]) -> dict[str, Any]:
    system = _facade.system()
    options: dict[str, Any] = {
        "tcp_host": address,
        "tcp_port": port,
        "tcp_framing": framing,
        "osc_system": system,
        "logger": system.logger,
    }
    options.update(extra)
    return options


def osc_tcp_server(
    address: str, port: int, name: str, framing: str = "size", **options: Any
) -> TcpListener:
    """Accept OSC over TCP on *address*:*port* ("*": every interface; port 0: any free one).

    *framing* is ``"size"`` (a 4-byte big-endian length before each packet, OSC 1.0, as
    liblo and scsynth do), ``"slip"`` (OSC 1.1, double-END SLIP) or ``"auto"`` (detected
    per connection from its first byte; replies use the same framing). Each connection
    becomes a channel ``<name>__<n>``; a handler answers its sender with ``osc_reply`` or
    by sending to that channel. Keyword *options* are :class:`~oscwire.osctcp.TcpChannel`
    options (``tcp_maxconnections``, ``actions_handlers``...). Returns the server channel;
    ``bound_port`` tells the port it listens on.
    """
    if framing not in _SERVER_FRAMINGS:
        raise ValueError(f"OSC TCP server framing must be one of {_SERVER_FRAMINGS}: {framing!r}")
    return TcpListener(name, "e", _options(address, port, framing, options))


def osc_tcp_client(
    address: str, port: int, name: str, framing: str = "size", **options: Any
) -> TcpClient:
    """Connect to an OSC TCP server at *address*:*port* and send through channel *name*.

    *framing* is ``"size"`` (OSC 1.0 length prefix, the default) or ``"slip"`` (OSC 1.1).
    The connection is made now, within ``tcp_connect_timeout`` (5 s): a refusal raises
    :class:`OSError` unless ``tcp_reconnect=True`` is given, which keeps retrying (and
    reconnects after a loss) while sends wait in the queue. What the server sends back is
    dispatched like any received message. Returns the client channel.
    """
    if framing not in _CLIENT_FRAMINGS:
        raise ValueError(f"OSC TCP client framing must be one of {_CLIENT_FRAMINGS}: {framing!r}")
    return TcpClient(name, "rw", _options(address, port, framing, options))
