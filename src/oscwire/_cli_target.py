"""Where ``oscwire send`` sends and ``oscwire dump`` listens: liblo's URLs and ``HOST PORT``.

liblo's tools name an endpoint ``osc.udp://host:port``, ``osc.tcp://host:port`` or
``osc.unix:///path`` (``osc://host:port`` is UDP), IPv6 literals in brackets
(``osc.udp://[::1]:9000``), with an optional trailing ``/`` as ``lo_server_get_url``
writes it. :func:`parse_url` reads them into an :class:`Endpoint`; the commands refuse
what they cannot do yet (Unix sockets) with a :class:`UsageError`, as they do for a bad
port or URL.
"""

from __future__ import annotations

import enum
import ipaddress
import socket
from dataclasses import dataclass
from typing import Optional

from oscwire._cli_common import UsageError, parse_port


class Transport(enum.Enum):
    """The transport of an endpoint."""

    UDP = "udp"
    TCP = "tcp"
    UNIX = "unix"


#: URL schemes liblo knows, and their transport (``osc:`` is UDP in liblo too).
SCHEMES = {
    "osc": Transport.UDP,
    "osc.udp": Transport.UDP,
    "osc.tcp": Transport.TCP,
    "osc.unix": Transport.UNIX,
}


@dataclass(frozen=True)
class Endpoint:
    """A transport and an address: *host* (empty: every interface) and *port*, or the
    *path* of a Unix socket."""

    transport: Transport
    host: str = ""
    port: int = 0
    path: str = ""

    @property
    def url(self) -> str:
        """The endpoint as a liblo URL (what the commands print)."""
        scheme = f"osc.{self.transport.value}://"
        if self.transport is Transport.UNIX:
            return scheme + self.path
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}{host}:{self.port}/"

    @property
    def is_multicast(self) -> bool:
        """True when the host is a multicast group address (IPv4 or IPv6)."""
        try:
            return ipaddress.ip_address(self.host.split("%", 1)[0]).is_multicast
        except ValueError:
            return False


def is_url(text: str) -> bool:
    """True when *text* is written as a URL (``scheme://...``), not as a host name."""
    return "://" in text


def parse_url(text: str, *, port_required: bool = True) -> Endpoint:
    """The :class:`Endpoint` of a liblo URL; a :class:`UsageError` says what is wrong."""
    scheme, separator, rest = text.partition("://")
    if not separator:
        raise UsageError(f"{text!r} is not a URL like osc.udp://host:port")
    transport = SCHEMES.get(scheme.lower())
    if transport is None:
        known = ", ".join(f"{name}://" for name in SCHEMES)
        raise UsageError(f"unknown protocol {scheme!r} in {text!r} (known: {known})")
    if transport is Transport.UNIX:
        if not rest.startswith("/"):
            raise UsageError(f"{text!r}: a Unix socket URL is osc.unix:///absolute/path")
        return Endpoint(transport, path=rest)
    netloc, _, path = rest.partition("/")
    if path:
        raise UsageError(f"{text!r}: unexpected path {'/' + path!r} after host:port")
    host, port_text = _split_netloc(netloc, text)
    if port_text is None:
        if port_required:
            raise UsageError(f"{text!r} has no port (write {scheme}://host:port)")
        return Endpoint(transport, host, 0)
    try:
        port = parse_port(port_text)
    except UsageError as error:
        raise UsageError(f"{text!r}: {error}") from None
    return Endpoint(transport, host, port)


def _split_netloc(netloc: str, text: str) -> tuple[str, Optional[str]]:
    """``(host, port text or None)`` of ``host:port``, ``[v6]:port``, ``:port``, ``host``."""
    if netloc.startswith("["):
        inside, bracket, after = netloc[1:].partition("]")
        if not bracket or not inside:
            raise UsageError(f"{text!r}: an IPv6 address is written [address]:port")
        if after and not after.startswith(":"):
            raise UsageError(f"{text!r}: unexpected {after!r} after [{inside}]")
        return inside, after[1:] if after else None
    if netloc.count(":") > 1:
        raise UsageError(f"{text!r}: write an IPv6 address in brackets, e.g. osc.udp://[::1]:9000")
    host, colon, port_text = netloc.partition(":")
    return host, port_text if colon else None


@dataclass(frozen=True)
class Resolved:
    """A resolved endpoint: socket family and numeric address, for the channels."""

    family: int
    address: str
    port: int


def resolve(endpoint: Endpoint, socktype: int) -> Resolved:
    """Resolve the host of *endpoint* once (IPv4 first, as the channels do); an unknown
    host is a :class:`UsageError`."""
    host = endpoint.host or "0.0.0.0"
    try:
        infos = socket.getaddrinfo(host, endpoint.port, 0, socktype)
    except socket.gaierror as error:
        raise UsageError(f"unknown host {endpoint.host!r} ({error.strerror})") from None
    except UnicodeError as error:
        raise UsageError(f"bad host name {endpoint.host!r} ({error})") from None
    infos.sort(key=lambda info: 0 if info[0] == socket.AF_INET else 1)
    family, _, _, _, sockaddr = infos[0]
    return Resolved(family, str(sockaddr[0]), endpoint.port)
