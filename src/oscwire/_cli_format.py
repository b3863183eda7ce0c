"""How ``oscwire dump`` prints a packet: as liblo's ``oscdump``, readable, JSON, or raw.

:class:`OscdumpFormat` writes the lines ``oscdump`` (liblo 0.31, unchanged since) writes
for the same packet, byte for byte: one line per message, ``SSSSSSSS.FFFFFFFF`` (the time
tag of the innermost bundle around it, or the receive time for a message alone or in an
immediate bundle), the address, the type tags, then each value as liblo's ``lo_arg_pp``
prints it (``%f`` floats, ``"string"``, ``'symbol``, ``'c'``, ``[3b 00 0x5 0xff]`` blobs,
``MIDI [0x90 0x40 0x3f 0x00]``, ``#T #F Nil Infinitum``). Strings are written as the bytes
that came in. Messages of a bundle timed in the future are printed when it is due, as
liblo dispatches them (see :attr:`PacketFormat.follows_timetags`). Type tags liblo does not
know (``r``, arrays) are printed in the same style; liblo's ``oscdump`` drops those
packets.

Each format turns one :class:`Arrival` into :class:`Output` pieces: bytes, and when they
are due (None: now).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Optional, Protocol, Union

from oscwire import oscbuildparse
from oscwire.oscbuildparse import OSCBundle, OSCMessage, OSCtimetag

Packet = Union[OSCMessage, OSCBundle]

#: Codec options that give back the very bytes of a string that is not valid UTF-8.
BYTES_OOB: dict[str, Any] = {
    "str_decode": ("utf-8", "surrogateescape"),
    "str_encode": ("utf-8", "surrogateescape"),
}
#: Seconds between 1900 (NTP) and 1970 (Unix).
NTP_UNIX_OFFSET = 2208988800
_TWO32 = 1 << 32


@dataclass(frozen=True)
class Arrival:
    """A decoded packet, when it was read (Unix time) and who sent it."""

    packet: Packet
    readtime: float
    source: Any


@dataclass(frozen=True)
class Output:
    """Bytes to write, and the Unix time they are due (None: at once)."""

    data: bytes
    due: Optional[float] = None


class PacketFormat(Protocol):
    """What a format of ``oscwire dump`` does."""

    #: True: the messages of a future bundle are written when it is due, as liblo does.
    follows_timetags: ClassVar[bool]
    #: True: flushed after each packet even without ``-L`` (``oscdump -r`` does).
    flushes_each: ClassVar[bool]

    def render(self, arrival: Arrival) -> list[Output]:
        """What to write for one received packet."""


def decode(raw: bytes) -> Packet:
    """Decode a received packet; strings that are not UTF-8 keep their bytes (surrogate
    escapes) instead of failing, as a C tool prints whatever bytes came in."""
    try:
        packet: Packet = oscbuildparse.decode_packet(raw)
    except oscbuildparse.OSCInvalidRawError:
        packet = oscbuildparse.decode_packet(raw, BYTES_OOB)  # raises if still invalid
    return packet


def text_bytes(text: str) -> bytes:
    """The bytes a decoded string came from (see :func:`decode`)."""
    return text.encode("utf-8", "surrogateescape")


def ntp_fields(unixtime: float) -> tuple[int, int]:
    """``(sec, frac)`` of a Unix time, as liblo's ``lo_timetag_now`` makes them."""
    seconds = math.floor(unixtime)
    micros = round((unixtime - seconds) * 1e6)
    if micros >= 1000000:
        seconds, micros = seconds + 1, micros - 1000000
    return (seconds + NTP_UNIX_OFFSET) & 0xFFFFFFFF, int(micros * 4294.967295)


def liblo_unixtime(timetag: OSCtimetag) -> float:
    """The Unix time of a time tag with liblo's arithmetic (``lo_timetag_diff``: no NTP
    era), so that a bundle is due exactly when liblo would dispatch it."""
    return timetag[0] - NTP_UNIX_OFFSET + timetag[1] / _TWO32


def messages_with_timetag(
    packet: Packet, timetag: Optional[OSCtimetag] = None
) -> Iterator[tuple[OSCMessage, Optional[OSCtimetag]]]:
    """Every message of *packet*, in order, with the time tag of its innermost bundle
    (None for a message alone). Depth is bounded by the decoder (``MAX_BUNDLE_DEPTH``)."""
    if isinstance(packet, OSCBundle):
        for element in packet.elements:
            yield from messages_with_timetag(element, packet.timetag)
    else:
        yield packet, timetag


def type_tags(message: OSCMessage) -> str:
    """The type tags of *message* without the comma (empty for a message without any)."""
    tags = message.typetags or ""
    return tags[1:] if tags.startswith(",") else tags


def walk_arguments(
    tags: str, arguments: Sequence[Any], render: Callable[[str, Any], bytes]
) -> list[bytes]:
    """*render(tag, value)* of each argument, an array as one ``[a b c]`` piece."""
    pieces: list[bytes] = []
    stack: list[tuple[list[bytes], Sequence[Any], int]] = []
    values, index = arguments, 0
    for tag in tags:
        if tag == "[":
            stack.append((pieces, values, index + 1))
            pieces, values, index = [], values[index], 0
        elif tag == "]":
            inner = b"[" + b" ".join(pieces) + b"]"
            pieces, values, index = stack.pop()
            pieces.append(inner)
        else:
            pieces.append(render(tag, values[index]))
            index += 1
    return pieces


# ----------------------------------------------------------------- liblo's lo_arg_pp


def c_float(value: float) -> bytes:
    """``printf("%f")`` as glibc writes it (``-nan`` for a NaN with its sign bit set)."""
    if math.isnan(value):
        return b"-nan" if math.copysign(1.0, value) < 0 else b"nan"
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    return b"%f" % value


def c_hex_byte(byte: int) -> bytes:
    """``printf("%#02x")``: ``0x5``, ``0xff``, and ``00`` for zero (``#`` adds no ``0x``
    to a zero, the width pads it)."""
    return b"00" if byte == 0 else b"%#x" % byte


def liblo_blob(value: Any) -> bytes:
    data = bytes(value)
    if len(data) > 12:
        return b"[%d byte blob]" % len(data)
    return b"[%db " % len(data) + b" ".join(c_hex_byte(byte) for byte in data) + b"]"


def liblo_four(label: bytes, value: Sequence[int]) -> bytes:
    return label + b" [" + b" ".join(b"0x%02x" % byte for byte in value) + b"]"


#: ``lo_arg_pp`` per type tag (``r`` in the style of ``m``: liblo has no RGBA).
LIBLO_VALUES: dict[str, Callable[[Any], bytes]] = {
    "i": lambda value: b"%d" % value,
    "h": lambda value: b"%d" % value,
    "f": c_float,
    "d": c_float,
    "s": lambda value: b'"' + text_bytes(value) + b'"',
    "S": lambda value: b"'" + text_bytes(value),
    "c": lambda value: b"'" + value.encode("latin-1", "replace") + b"'",
    "b": liblo_blob,
    "t": lambda value: b"%08x.%08x" % (value[0], value[1]),
    "m": lambda value: liblo_four(b"MIDI", value),
    "r": lambda value: liblo_four(b"RGBA", value),
    "T": lambda value: b"#T",
    "F": lambda value: b"#F",
    "N": lambda value: b"Nil",
    "I": lambda value: b"Infinitum",
}


def liblo_value(tag: str, value: Any) -> bytes:
    """One argument as liblo's ``lo_arg_pp`` prints it."""
    return LIBLO_VALUES[tag](value)


class OscdumpFormat:
    """liblo's ``oscdump``, line for line (see the module doc)."""

    follows_timetags: ClassVar[bool] = True
    flushes_each: ClassVar[bool] = False

    def render(self, arrival: Arrival) -> list[Output]:
        outputs = []
        for message, timetag in messages_with_timetag(arrival.packet):
            if timetag is None or oscbuildparse.is_immediate(timetag):
                stamp, due = ntp_fields(arrival.readtime), None
            else:
                stamp, due = (timetag[0], timetag[1]), liblo_unixtime(timetag)
            tags = type_tags(message)
            values = walk_arguments(tags, message.arguments, liblo_value)
            line = b"%08x.%08x %s %s" % (
                stamp[0],
                stamp[1],
                text_bytes(message.addrpattern),
                tags.encode(),
            )
            outputs.append(Output(b" ".join([line, *values]) + b"\n", due))
        return outputs


class RawFormat:
    """``oscdump -r``: each message's bytes, one after the other, bundles unpacked, each
    message when it is due (as liblo re-serialises what it dispatches), flushed after
    each message as ``oscdump -r`` does."""

    follows_timetags: ClassVar[bool] = True
    flushes_each: ClassVar[bool] = True

    def render(self, arrival: Arrival) -> list[Output]:
        outputs = []
        for message, timetag in messages_with_timetag(arrival.packet):
            due = None
            if timetag is not None and not oscbuildparse.is_immediate(timetag):
                due = liblo_unixtime(timetag)
            data = bytes(oscbuildparse.encode_packet(message, BYTES_OOB))
            outputs.append(Output(data, due))
        return outputs


# ------------------------------------------------------------------------ readable


def _readable_blob(value: Any) -> bytes:
    data = bytes(value)
    more = "…" if len(data) > 16 else ""
    return f"[{len(data)} byte blob: {data[:16].hex()}{more}]".encode()


#: Arguments for people: strings in double quotes, chars in single quotes, blobs in hex;
#: the other tags as Python prints their value.
READABLE_VALUES: dict[str, Callable[[Any], bytes]] = {
    "s": lambda value: b'"' + text_bytes(value) + b'"',
    "S": lambda value: b'"' + text_bytes(value) + b'"',
    "c": lambda value: b"'" + value.encode("utf-8", "replace") + b"'",
    "b": _readable_blob,
}


def readable_value(tag: str, value: Any) -> bytes:
    """One argument for people (see :data:`READABLE_VALUES`)."""
    render = READABLE_VALUES.get(tag)
    return render(value) if render is not None else str(value).encode()


class ReadableFormat:
    """``ADDRESS TYPES VALUES`` per message, bundles as ``#bundle TIME`` with their
    elements indented under them; printed as they arrive."""

    follows_timetags: ClassVar[bool] = False
    flushes_each: ClassVar[bool] = False

    def render(self, arrival: Arrival) -> list[Output]:
        return [Output(b"".join(line + b"\n" for line in self.lines(arrival.packet)))]

    def lines(self, packet: Packet, indent: bytes = b"") -> list[bytes]:
        """The lines of *packet*, indented by *indent*."""
        if isinstance(packet, OSCBundle):
            when = packet.timetag
            stamp = (
                b"immediately"
                if oscbuildparse.is_immediate(when)
                else b"%.6f" % oscbuildparse.timetag2unixtime(when)
            )
            lines = [indent + b"#bundle " + stamp]
            for element in packet.elements:
                lines.extend(self.lines(element, indent + b"  "))
            return lines
        tags = type_tags(packet)
        pieces = [text_bytes(packet.addrpattern)]
        if tags:
            pieces.append(tags.encode())
            pieces.extend(walk_arguments(tags, packet.arguments, readable_value))
        return [indent + b" ".join(pieces)]


# ---------------------------------------------------------------------------- JSON


def _json_float(value: float) -> Any:
    # JSON has no NaN or infinities: spelled as JavaScript (and Python's json) names them.
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


JSON_VALUES: dict[str, Callable[[Any], Any]] = {
    "i": int,
    "h": int,
    "f": _json_float,
    "d": _json_float,
    "s": str,
    "S": str,
    "c": str,
    "b": lambda value: bytes(value).hex(),
    "t": lambda value: [value[0], value[1]],
    "m": list,
    "r": list,
    "T": lambda value: True,
    "F": lambda value: False,
    "N": lambda value: None,
    "I": lambda value: "Infinitum",
}


def json_arguments(tags: str, arguments: Sequence[Any]) -> list[Any]:
    """The arguments as JSON values (arrays as lists), read with their type tags."""
    result: list[Any] = []
    stack: list[tuple[list[Any], Sequence[Any], int]] = []
    values, index = arguments, 0
    for tag in tags:
        if tag == "[":
            stack.append((result, values, index + 1))
            result, values, index = [], values[index], 0
        elif tag == "]":
            inner = result
            result, values, index = stack.pop()
            result.append(inner)
        else:
            result.append(JSON_VALUES[tag](values[index]))
            index += 1
    return result


def json_packet(packet: Packet) -> dict[str, Any]:
    """``{"message": {...}}`` or ``{"bundle": {...}}``, elements nested."""
    if isinstance(packet, OSCBundle):
        when = packet.timetag
        immediate = oscbuildparse.is_immediate(when)
        return {
            "bundle": {
                "timetag": [when[0], when[1]],
                "time": None if immediate else oscbuildparse.timetag2unixtime(when),
                "elements": [json_packet(element) for element in packet.elements],
            }
        }
    tags = type_tags(packet)
    return {
        "message": {
            "address": packet.addrpattern,
            "types": tags,
            "args": json_arguments(tags, packet.arguments),
        }
    }


def describe_source(source: Any) -> str:
    """``host:port`` (``[v6]:port``) of a source identification, else its ``str``."""
    if isinstance(source, tuple) and len(source) >= 2:
        host, port = source[0], source[1]
        host = f"[{host}]" if ":" in str(host) else host
        return f"{host}:{port}"
    return str(source)


class JsonFormat:
    """One JSON object per packet and line: ``time`` (Unix time of the read), ``source``
    (``host:port``) and the ``message`` or ``bundle``; printed as they arrive."""

    follows_timetags: ClassVar[bool] = False
    flushes_each: ClassVar[bool] = False

    def render(self, arrival: Arrival) -> list[Output]:
        document = {
            "time": arrival.readtime,
            "source": describe_source(arrival.source),
            **json_packet(arrival.packet),
        }
        return [Output(json.dumps(document, ensure_ascii=True).encode() + b"\n")]


#: ``--format`` names and their format.
FORMATS: dict[str, Callable[[], PacketFormat]] = {
    "oscdump": OscdumpFormat,
    "readable": ReadableFormat,
    "json": JsonFormat,
    "raw": RawFormat,
}
