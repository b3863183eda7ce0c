"""Channel options, parsed once into typed, frozen objects.

osc4py3 configures a channel with a dict (``ChannelClass("name", mode, {options})``);
oscwire keeps that input and turns it, once, into a frozen dataclass per channel kind
(:class:`ChannelOptions`, :class:`UdpOptions`, and the TCP ones in :mod:`oscwire.osctcp`):
each value converted to its type, absent keys at their documented default. osc4py3
ignored unknown keys silently; here a key the channel kind does not know is ignored with a
warning, which names the closest known key (``udpread_rcvbuff`` -> ``udpread_rcvbuf``).
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, Optional, TypeVar

from oscwire._framing_common import DEFAULT_HEADER

__all__ = [
    "MAX_PACKET_SIZE_WITH_HEADER",
    "MAX_PENDING_WRITES",
    "MAX_SOURCES_ALLOWED",
    "UNSET",
    "ChannelOptions",
    "OSCOptionWarning",
    "UdpOptions",
]

#: Default bound of a packet announced by a size header (``read_headermaxdatasize``).
MAX_PACKET_SIZE_WITH_HEADER = 1024 * 1024
#: Default bound of sources with partial data buffered at once (``read_maxsources``).
MAX_SOURCES_ALLOWED = 500
#: Default bound of packets waiting in one channel's write queue (``write_maxpending``).
MAX_PENDING_WRITES = 65536


class _Unset:
    """The value of an option that was not given (where "not given" means something)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class OSCOptionWarning(UserWarning):
    """A channel option that the channel does not know (it is ignored)."""


_Options = TypeVar("_Options", bound="ChannelOptions")


def _as_int(value: Any) -> int:
    return int(value) if value is not None else 0


@dataclasses.dataclass(frozen=True)
class ChannelOptions:
    """The options every channel takes (seed doc §3.4.1; see :class:`TransportChannel`)."""

    auto_start: bool = True
    logger: Optional[logging.Logger] = None
    actions_handlers: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    monitor: Any = UNSET
    monitor_terminate: bool = False
    monitor_period: float = 0.1
    osc_system: Any = None
    oob: Optional[dict[str, Any]] = None
    read_forceident: Optional[Mapping[Any, Any]] = None
    read_dnsident: bool = True
    read_datagram: bool = False
    read_maxsources: int = MAX_SOURCES_ALLOWED
    read_buffersize: int = 65536
    read_withslip: bool = False
    read_withheader: bool = False
    read_headerunpack: Any = DEFAULT_HEADER
    read_headermaxdatasize: int = MAX_PACKET_SIZE_WITH_HEADER
    write_workqueue: Any = None
    write_wqterminate: bool = False
    write_withslip: bool = False
    write_slip_flagatstart: bool = True
    write_withheader: bool = False
    write_maxpending: int = MAX_PENDING_WRITES
    # Packet processing options: None when not given (the system's default applies).
    honor_timetag: Optional[bool] = None
    forget_oldmsg: Optional[bool] = None
    timetag_offset: Optional[float] = None
    check_subbundle_timetag: Optional[bool] = None

    #: Conversions applied to given values, by field type.
    _CONVERT: ClassVar[dict[str, Any]] = {"bool": bool, "int": _as_int, "float": float}

    @classmethod
    def keys(cls) -> frozenset[str]:
        """The option keys this channel kind knows."""
        return frozenset(field.name for field in dataclasses.fields(cls))

    @classmethod
    def parse(
        cls: type[_Options],
        options: Mapping[str, Any],
        owner: str,
        *,
        extra_keys: frozenset[str] = frozenset(),
        strict: bool = True,
        stacklevel: int = 4,
    ) -> _Options:
        """The options of *options* (osc4py3's dict), converted; unknown keys warned about.

        *extra_keys* are known to the caller (a subclass's own options). With *strict*
        False (a channel class written outside oscwire, which may read keys of its own)
        only keys close to a known one are reported, as likely misspellings.
        """
        known = cls.keys()
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            if field.name not in options:
                continue
            value = options[field.name]
            convert = cls._CONVERT.get(str(field.type))
            if convert is not None and value is not None:
                try:
                    value = convert(value)
                except (TypeError, ValueError) as error:
                    kind = {"int": "an int", "float": "a float"}.get(str(field.type), "a bool")
                    raise ValueError(
                        f"OSC channel {owner!r}: option {field.name!r} must be {kind}, "
                        f"not {value!r} ({error})"
                    ) from None
            values[field.name] = value
        for key in options:
            if key in known or key in extra_keys:
                continue
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
            if not close and not strict:
                continue
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            warnings.warn(
                f"OSC channel {owner!r}: unknown option {key!r} ignored{hint}",
                OSCOptionWarning,
                stacklevel=stacklevel,
            )
        return cls(**values)

    def processing(self) -> Optional[dict[str, Any]]:
        """The packet processing options given, or None."""
        given = {
            name: getattr(self, name)
            for name in (
                "honor_timetag",
                "forget_oldmsg",
                "timetag_offset",
                "check_subbundle_timetag",
            )
            if getattr(self, name) is not None
        }
        return given or None


@dataclasses.dataclass(frozen=True)
class UdpOptions(ChannelOptions):
    """The options of a UDP channel (seed doc §3.4.2; see :class:`UdpMcChannel`)."""

    udpread_host: Any = None
    udpread_port: Any = None
    udpread_forceipv4: bool = False
    udpread_forceipv6: bool = False
    udpread_dontcache: bool = False
    udpread_reuseaddr: bool = True
    udpread_nonblocking: bool = True
    udpread_identusedns: bool = False
    udpread_identfields: int = 2
    udpread_asstream: bool = False
    udpread_buffersize: int = 65536
    udpread_rcvbuf: Any = UNSET
    udpread_batch: int = 512
    udpwrite_host: Any = None
    udpwrite_port: Any = None
    udpwrite_outport: int = 0
    udpwrite_forceipv4: bool = False
    udpwrite_forceipv6: bool = False
    udpwrite_dontcache: bool = False
    udpwrite_reuseaddr: bool = False
    udpwrite_ttl: Optional[int] = None
    udpwrite_nonblocking: bool = True
    udpwrite_sndbuf: Optional[int] = None
    udpwrite_replies: bool = True
    mcast_enabled: bool = False
    mcast_loop: Optional[bool] = None
    mcast_interface: Any = None
    mcast_ttl: Optional[int] = None  # osc4py3 reads it and never uses it
    bcast_enabled: bool = False
