"""Network tools: SLIP helpers (osc4py3-compatible) and address resolution for channels.

:func:`network_getaddrinfo` reads ``<prefix>_host``, ``<prefix>_port``,
``<prefix>_forceipv4``, ``<prefix>_forceipv6`` and ``<prefix>_dontcache`` from a channel's
options and resolves them; :class:`DnsCache` maps addresses to names to identify sources.

``packet2slip`` / ``slip2packet`` and the ``SLIP_*`` constants keep osc4py3's names and
results; they run on the compiled framing when it is built.
"""

from __future__ import annotations

import collections
import socket
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, Optional, Union

from oscwire import framing

# ============================== SLIP (RFC 1055) ==============================
SLIP_END_CODE = 192
SLIP_END_CHAR = b"\xc0"
SLIP_ESC_CODE = 219
SLIP_ESC_CHAR = b"\xdb"
SLIP_END_REPL = b"\xdb\xdc"
SLIP_ESC_REPL = b"\xdb\xdd"

BytesLike = Union[bytes, bytearray, memoryview]


def packet2slip(rawdata: BytesLike, flagsatstart: bool = True) -> bytes:
    """Encode *rawdata* as a SLIP frame, with an END before it too when *flagsatstart*."""
    return framing.slip_encode(bytes(rawdata), flagsatstart)


def slip2packet(rawdata: BytesLike) -> tuple[Optional[bytes], BytesLike]:
    """Split off the first SLIP frame of *rawdata*: ``(packet, remaining)``.

    As in osc4py3: ``(None, rawdata)`` when there is no END yet; an END at the start gives
    an empty packet. A bad escape raises :class:`oscwire.framing.OSCFramingError`.
    """
    end = bytes(rawdata).find(SLIP_END_CHAR)
    if end < 0:
        return None, rawdata
    return framing.slip_decode(bytes(rawdata[:end])), rawdata[end + 1 :]


# ========================= NETWORK ADDRESS RESOLUTION =========================
#: One result of :func:`network_getaddrinfo`, with readable field names.
AddrInfo = collections.namedtuple("AddrInfo", "family socktype proto canonname sockaddr")


def _option(options: Mapping[str, Any], prefix: str, key: str, default: Any = None) -> Any:
    return options.get(f"{prefix}_{key}", default)


def split_host(host: str) -> str:
    """Strip blanks and the brackets of an ``[IPv6]`` literal (URL style)."""
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def parse_port(port: Any) -> Union[int, str]:
    """A port number from an int or a str; ``None``, ``"None"`` and ``""`` mean 0 (any port).

    A str that is not a number is returned stripped: :func:`socket.getaddrinfo` resolves
    service names (``"osc"`` is not standard, ``"domain"`` is).
    """
    if port is None:
        return 0
    if isinstance(port, str):
        text = port.strip()
        if text == "" or text.lower() == "none":
            return 0
        return int(text) if text.isdigit() else text
    port = int(port)
    assert isinstance(port, int)
    if not 0 <= port <= 65535:
        raise ValueError(f"OSC port {port} out of range 0..65535")
    return port


def network_getaddrinfo(
    options: Mapping[str, Any],
    prefix: str,
    family: int = 0,
    addrtype: int = 0,
    proto: int = 0,
    dnscache: Optional[DnsCache] = None,
) -> list[AddrInfo]:
    """Resolve the address given by ``<prefix>_host`` / ``<prefix>_port`` in *options*.

    ``<prefix>_forceipv4`` / ``<prefix>_forceipv6`` restrict the family (both: error);
    a ``"*"`` (or empty, as for :meth:`socket.socket.bind`) host means every local interface
    (the wildcard of the family: IPv4 ``0.0.0.0`` unless IPv6 is forced, which gives
    ``::``); ``[v6]`` literals are accepted.
    Unless ``<prefix>_dontcache`` is true, the resolution feeds the DNS identification cache
    (*dnscache*, default the process-wide one). Returns :class:`AddrInfo` tuples, IPv4
    first when both families answer and none is forced. Raises :class:`ValueError` for
    missing or contradictory options and :class:`OSError` when resolution fails.
    """
    forceipv4 = bool(_option(options, prefix, "forceipv4", False))
    forceipv6 = bool(_option(options, prefix, "forceipv6", False))
    if forceipv4 and forceipv6:
        raise ValueError(f"OSC {prefix}: forceipv4 and forceipv6 are both set")
    host = _option(options, prefix, "host")
    if host is None:
        raise ValueError(f"OSC {prefix}: missing host option {prefix}_host")
    port = parse_port(_option(options, prefix, "port"))
    if forceipv4:
        family = socket.AF_INET
    elif forceipv6:
        family = socket.AF_INET6
    flags = socket.AI_CANONNAME
    host = str(host)
    if host.strip() in ("*", ""):  # "": the wildcard too, as for socket.bind()
        # getaddrinfo(None, ..., AI_PASSIVE) answers with both "::" and "0.0.0.0" in an
        # order that varies between systems; pick the wildcard of the family explicitly.
        resolved_host: Optional[str] = "::" if family == socket.AF_INET6 else "0.0.0.0"
        if family == 0:
            family = socket.AF_INET
        flags = socket.AI_PASSIVE | socket.AI_NUMERICHOST
    else:
        resolved_host = split_host(host)
    results = socket.getaddrinfo(resolved_host, port, family, addrtype, proto, flags)
    if not results:
        raise ValueError(f"OSC {prefix}: no address for {host!r} port {port!r}")
    infos = [AddrInfo(*entry) for entry in results]
    # Prefer IPv4 when a name resolves to both, as osc4py3 does: most OSC peers listen there.
    infos.sort(key=lambda info: 0 if info.family == socket.AF_INET else 1)
    if not _option(options, prefix, "dontcache", False):
        (dnscache if dnscache is not None else DEFAULT_DNS_CACHE).cache_from_addr_info(infos)
    return infos


class DnsCache:
    """Map IP addresses to host names, to identify packet sources by name.

    Filled from resolutions (:func:`network_getaddrinfo`) and by hand
    (:meth:`cache_dns_identification`); a failed reverse lookup is remembered as None so
    that it is not retried for every packet. Bounded to *maxsize* entries (oldest out).
    """

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._map: collections.OrderedDict[str, Optional[str]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, address: object) -> bool:
        return address in self._map

    def __len__(self) -> int:
        return len(self._map)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._map.clear()

    def cache_dns_identification(
        self, address: str, identification: Optional[str], override: bool = False
    ) -> None:
        """Map *address* to *identification*; an existing entry stays unless *override*."""
        with self._lock:
            if address in self._map and not override:
                return
            self._map[address] = identification
            while len(self._map) > self.maxsize:
                self._map.popitem(last=False)

    def cache_from_addr_info(self, addrinfo: list[Any]) -> None:
        """Map every address of a :func:`socket.getaddrinfo` result to its canonical name."""
        canonname = next((entry[3] for entry in addrinfo if entry[3]), None)
        if not canonname:
            return
        for entry in addrinfo:
            self.cache_dns_identification(entry[4][0], canonname)

    def resolve_dns_identification(
        self, address: str, forceresolution: bool = False
    ) -> Optional[str]:
        """The cached name of *address*; with *forceresolution*, resolve it once if unknown."""
        try:
            return self._map[address]
        except KeyError:
            pass
        if not forceresolution:
            return None
        name: Optional[str]
        try:
            name = socket.getnameinfo((address, 0), socket.NI_NAMEREQD)[0]
        except (OSError, UnicodeError):
            name = None
        self.cache_dns_identification(address, name)
        return name


#: The process-wide DNS identification cache (osc4py3 kept it in module variables).
DEFAULT_DNS_CACHE = DnsCache()


class _DnsCacheView(MutableMapping[str, Optional[str]]):
    """A dict-like view of a :class:`DnsCache` (address -> name, None: no name found),
    for programs that read or fill osc4py3's ``dns_cache`` dict directly. Setting an
    entry replaces it, as assigning to osc4py3's dict did."""

    def __init__(self, cache: DnsCache) -> None:
        self._cache = cache

    def __getitem__(self, address: str) -> Optional[str]:
        return self._cache._map[address]

    def __setitem__(self, address: str, identification: Optional[str]) -> None:
        self._cache.cache_dns_identification(address, identification, override=True)

    def __delitem__(self, address: str) -> None:
        with self._cache._lock:
            del self._cache._map[address]

    def __iter__(self) -> Iterator[str]:
        with self._cache._lock:
            return iter(list(self._cache._map))

    def __len__(self) -> int:
        return len(self._cache)

    def __repr__(self) -> str:
        with self._cache._lock:
            return repr(dict(self._cache._map))


# osc4py3's ``dns_cache`` dict: the process-wide cache, which the default system uses
# (left out of the API reference: new code uses DEFAULT_DNS_CACHE).
dns_cache = _DnsCacheView(DEFAULT_DNS_CACHE)


def cache_dns_identification(
    address: str, identification: Optional[str], override: bool = False
) -> None:
    """Map *address* to *identification* in the process-wide cache (osc4py3 function)."""
    DEFAULT_DNS_CACHE.cache_dns_identification(address, identification, override)


def cache_from_addr_info(addrinfo: list[Any]) -> None:
    """Feed the process-wide cache from a :func:`socket.getaddrinfo` result."""
    DEFAULT_DNS_CACHE.cache_from_addr_info(addrinfo)


def resolve_dns_identification(address: str, forceresolution: bool = False) -> Optional[str]:
    """The name of *address* from the process-wide cache (osc4py3 function)."""
    return DEFAULT_DNS_CACHE.resolve_dns_identification(address, forceresolution)
