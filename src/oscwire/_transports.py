"""The transports of the object API: which channel a Client or a Server opens, by name.

``Client(..., transport="udp")`` and ``Server(..., transport="tcp")`` name a
:class:`Transport` of :data:`TRANSPORTS`; the name is looked up once, and the transport
object makes the channel (UDP: :class:`~oscwire.oscudpmc.UdpMcChannel`; TCP:
:class:`~oscwire.osctcp.TcpChannel`) in the endpoint's system and checks the framing. A new
transport is one more entry.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Optional

from oscwire._runtime import OSCSystem
from oscwire.oscchannel import TransportChannel
from oscwire.osctcp import TcpChannel, TcpClient, TcpListener
from oscwire.oscudpmc import UdpMcChannel

__all__ = ["TRANSPORTS", "ClientFraming", "ServerFraming", "Transport", "TransportName", "named"]

#: The transports by name.
TransportName = Literal["udp", "tcp"]
#: Stream framings a client writes: OSC 1.0's size prefix or OSC 1.1's SLIP.
ClientFraming = Literal["size", "slip"]
#: Stream framings a server reads: those, or detected per connection.
ServerFraming = Literal["size", "slip", "auto"]


class Transport:
    """Makes the channels of one transport (the base class; see the subclasses)."""

    name: ClassVar[str] = ""
    #: The framings a client / a server accepts (None: not a stream, no framing).
    client_framings: ClassVar[tuple[Optional[str], ...]] = (None,)
    server_framings: ClassVar[tuple[Optional[str], ...]] = (None,)
    #: The framing used when none is given.
    default_client_framing: ClassVar[Optional[str]] = None
    default_server_framing: ClassVar[Optional[str]] = None

    #: The channel classes a client / a server of this transport makes (their option keys).
    client_class: ClassVar[type[TransportChannel]] = TransportChannel
    server_class: ClassVar[type[TransportChannel]] = TransportChannel
    #: Option keys the endpoint's own parameters set (host, port, framing).
    reserved_keys: ClassVar[frozenset[str]] = frozenset()

    def channel_options(
        self, options: Optional[Mapping[str, Any]], server: bool, owner: str
    ) -> dict[str, Any]:
        """The channel options a user gave to a Client or Server, checked: an unknown key
        (a likely misspelling, with a suggestion) or one its parameters already set raises
        ValueError: new code gets an error where osc4py3's dict only gets a warning."""
        if options is None:
            return {}
        if not isinstance(options, Mapping):
            raise TypeError(f"{owner}: options must be a mapping, not {options!r}")
        channel_class = self.server_class if server else self.client_class
        known = (
            (channel_class.options_class.keys() | channel_class.extra_option_keys())
            - self.reserved_keys
            - _ENDPOINT_KEYS
        )
        for key in options:
            if key in self.reserved_keys or key in _ENDPOINT_KEYS:
                raise ValueError(
                    f"{owner}: option {key!r} is set by the endpoint itself (its host, port, "
                    "framing and system parameters)"
                )
            if key not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(
                    f"{owner}: unknown option {key!r} for a {self.name} "
                    f"{'server' if server else 'client'}{hint} (see docs/limits.md)"
                )
        return dict(options)

    def client_framing(self, framing: Optional[str]) -> Optional[str]:
        """The framing a client uses (*framing*, or the default); ValueError if refused."""
        return self._framing(framing, self.client_framings, self.default_client_framing)

    def server_framing(self, framing: Optional[str]) -> Optional[str]:
        """The framing a server reads (*framing*, or the default); ValueError if refused."""
        return self._framing(framing, self.server_framings, self.default_server_framing)

    def _framing(
        self, framing: Optional[str], allowed: tuple[Optional[str], ...], default: Optional[str]
    ) -> Optional[str]:
        chosen = default if framing is None else framing
        if chosen not in allowed:
            names = ", ".join(repr(name) for name in allowed if name is not None)
            raise ValueError(
                f"OSC over {self.name}: framing must be one of {names}, not {framing!r}"
            )
        return chosen

    def open_client(
        self,
        system: OSCSystem,
        name: str,
        host: str,
        port: int,
        framing: Optional[str],
        options: Mapping[str, Any],
    ) -> TransportChannel:
        """The channel that sends to *host*:*port* (and reads what comes back); *options*
        are checked channel options (:meth:`channel_options`)."""
        given = {**options, **self.address_options(False, host, port, framing)}
        return self.make_channel(name, False, {**given, **_common(system)})

    def open_server(
        self,
        system: OSCSystem,
        name: str,
        host: str,
        port: int,
        framing: Optional[str],
        options: Mapping[str, Any],
    ) -> TransportChannel:
        """The channel that receives on *host*:*port* (0: a port the OS picks)."""
        given = {**options, **self.address_options(True, host, port, framing)}
        return self.make_channel(name, True, {**given, **_common(system)})

    def address_options(
        self, server: bool, host: str, port: int, framing: Optional[str]
    ) -> dict[str, Any]:
        """The channel options that say where a client sends or a server listens."""
        raise NotImplementedError

    def make_channel(self, name: str, server: bool, options: dict[str, Any]) -> TransportChannel:
        """A client's or a server's channel, made from its options dict."""
        raise NotImplementedError

    def local_port(self, channel: TransportChannel) -> int:
        """The local port of a channel this transport opened."""
        bound = getattr(channel, "bound_address", None)
        address: Any = bound() if bound is not None else None
        if not address:
            raise OSError(f"OSC channel {channel.chaname!r} is closed")
        port: int = address[1]
        return port


#: Channel options every endpoint sets itself.
_ENDPOINT_KEYS = frozenset({"osc_system", "logger", "auto_start"})


def _common(system: OSCSystem) -> dict[str, Any]:
    return {"osc_system": system, "logger": system.logger}


class UdpTransport(Transport):
    """UDP datagrams, one OSC packet each (IPv4 or IPv6)."""

    name = "udp"
    client_class = UdpMcChannel
    server_class = UdpMcChannel
    reserved_keys = frozenset({"udpwrite_host", "udpwrite_port", "udpread_host", "udpread_port"})

    def _framing(
        self, framing: Optional[str], allowed: tuple[Optional[str], ...], default: Optional[str]
    ) -> Optional[str]:
        # "auto" is the Server's default for every transport: nothing to detect here.
        if framing is None or framing == "auto":
            return None
        raise ValueError(
            f"OSC over udp has no framing (one packet per datagram): framing={framing!r} "
            "is for stream transports (tcp)"
        )

    def address_options(
        self, server: bool, host: str, port: int, framing: Optional[str]
    ) -> dict[str, Any]:
        if server:
            return {"udpread_host": host, "udpread_port": port}
        return {"udpwrite_host": host, "udpwrite_port": port}

    def make_channel(self, name: str, server: bool, options: dict[str, Any]) -> TransportChannel:
        return UdpMcChannel(name, "r" if server else "w", options)


class TcpTransport(Transport):
    """TCP streams framed by a 4-byte size prefix (OSC 1.0) or SLIP (OSC 1.1)."""

    name = "tcp"
    client_framings = ("size", "slip")
    server_framings = ("size", "slip", "auto")
    default_client_framing = "size"
    default_server_framing = "auto"
    client_class = TcpClient
    server_class = TcpListener
    reserved_keys = frozenset({"tcp_host", "tcp_port", "tcp_framing"})

    def address_options(
        self, server: bool, host: str, port: int, framing: Optional[str]
    ) -> dict[str, Any]:
        return {"tcp_host": host, "tcp_port": port, "tcp_framing": framing}

    def make_channel(self, name: str, server: bool, options: dict[str, Any]) -> TransportChannel:
        # "e": a listener making a connection per peer; "rw": a connection to the peer.
        return TcpChannel(name, "e" if server else "rw", options)


#: The transports, by the name ``transport=`` gives.
TRANSPORTS: dict[str, Transport] = {
    transport.name: transport for transport in (UdpTransport(), TcpTransport())
}


def named(name: str) -> Transport:
    """The transport called *name*; ValueError naming the known ones otherwise."""
    transport = TRANSPORTS.get(name) if isinstance(name, str) else None
    if transport is None:
        known = ", ".join(repr(known) for known in TRANSPORTS)
        raise ValueError(f"OSC transport must be one of {known}, not {name!r}")
    return transport
