"""An OSC message from command-line words, as liblo's ``oscsend`` reads them.

``/addr ifs 1 2.5 hello``: the address, the type tags, then one word per tag that takes a
value. What ``oscsend`` accepts is accepted with the same meaning (decimal integers, C
float syntax, ``m`` as 8 hexadecimal digits, ``T F N I`` without a value), so the same
command line sends the same bytes; oscwire adds ``b`` (hex blob), ``t`` (time tag),
``r`` (RGBA), ``0x`` integers and arrays (``[`` ``]``). Where ``oscsend`` quietly drops
something (extra words, the rest of a ``c`` word) oscwire says so instead.
"""

from __future__ import annotations

import binascii
import math
import re
import struct
from collections.abc import Sequence
from typing import Any, Callable

from oscwire import oscbuildparse
from oscwire._cli_common import UsageError

#: Codec options of what the command line gives: words that are not valid UTF-8 (bytes the
#: shell passed, kept by Python as surrogate escapes) are sent as the very bytes given.
ARGV_OOB: dict[str, Any] = {"str_encode": ("utf-8", "surrogateescape")}

_INT_RANGES = {32: (-(1 << 31), (1 << 31) - 1), 64: (-(1 << 63), (1 << 63) - 1)}
_OSCDUMP_TIME = re.compile(r"[0-9a-fA-F]{8}\.[0-9a-fA-F]{8}")


def _integer(text: str, bits: int) -> int:
    """A decimal integer as ``strtol(text, 10)`` reads it (``010`` is ten); ``0x``, ``0o``,
    ``0b`` prefixes are accepted too."""
    stripped = text.strip()
    try:
        value = int(stripped, 10)
    except ValueError:
        try:
            value = int(stripped, 0)
        except ValueError:
            raise ValueError(f"{text!r} is not an integer") from None
    low, high = _INT_RANGES[bits]
    if not low <= value <= high:
        raise ValueError(f"{text!r} is out of the int{bits} range {low}..{high}")
    return value


def _real(text: str) -> float:
    """A float as ``strtod`` reads it: decimal, ``inf``, ``nan``, or C99 hex (``0x1p3``)."""
    stripped = text.strip()
    try:
        return float(stripped)
    except ValueError:
        pass
    try:
        return float.fromhex(stripped)
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not a number") from None


def parse_int32(text: str) -> int:
    return _integer(text, 32)


def parse_int64(text: str) -> int:
    return _integer(text, 64)


def parse_float32(text: str) -> float:
    value = _real(text)
    try:
        struct.pack(">f", value)
    except OverflowError:
        raise ValueError(f"{text!r} is out of the float32 range (use type d)") from None
    return value


def parse_float64(text: str) -> float:
    return _real(text)


def parse_text(text: str) -> str:
    return text


def parse_char(text: str) -> str:
    if len(text) != 1:
        raise ValueError(f"type c takes one character, not {text!r}")
    return text


def parse_blob(text: str) -> bytes:
    try:
        return binascii.unhexlify("".join(text.split()))
    except (binascii.Error, ValueError):
        raise ValueError(f"type b takes hexadecimal bytes (e.g. 00ff10), not {text!r}") from None


def parse_timetag(text: str) -> oscbuildparse.OSCtimetag:
    """``now``/``immediately``, a Unix time in seconds, or oscdump's ``SSSSSSSS.FFFFFFFF``."""
    word = text.strip()
    if word.lower() in ("now", "immediately"):
        return oscbuildparse.OSC_IMMEDIATELY
    if _OSCDUMP_TIME.fullmatch(word):
        seconds, fraction = word.split(".")
        return oscbuildparse.OSCtimetag._make((int(seconds, 16), int(fraction, 16)))
    value = _real(word)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"type t takes now, a Unix time or SSSSSSSS.FFFFFFFF, not {text!r}")
    return oscbuildparse.unixtime2timetag(value)


def four_bytes(tag: str, text: str) -> tuple[int, int, int, int]:
    """The 4 bytes of an ``m`` or ``r`` argument: one hexadecimal 32-bit number, first
    byte highest (``90403f00``, what ``oscsend`` takes; ``0x`` allowed), or four
    comma-separated integers (``144,64,63,0``)."""
    parts = text.split(",")
    if len(parts) == 1:
        try:
            value = int(text.strip(), 16)
        except ValueError:
            raise ValueError(f"type {tag} takes 8 hexadecimal digits, not {text!r}") from None
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"type {tag} takes a 32-bit value, not {text!r}")
        return value >> 24, (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF
    if len(parts) != 4:
        raise ValueError(f"type {tag} takes 4 comma-separated bytes or 8 hex digits, not {text!r}")
    try:
        first, second, third, fourth = (int(part, 0) for part in parts)
    except ValueError:
        raise ValueError(f"type {tag} takes integers 0..255, not {text!r}") from None
    if not all(0 <= byte <= 255 for byte in (first, second, third, fourth)):
        raise ValueError(f"type {tag} takes bytes in 0..255, not {text!r}")
    return first, second, third, fourth


def parse_midi(text: str) -> oscbuildparse.OSCmidi:
    return oscbuildparse.OSCmidi(*four_bytes("m", text))


def parse_rgba(text: str) -> oscbuildparse.OSCrgba:
    return oscbuildparse.OSCrgba(*four_bytes("r", text))


#: Type tags that take a word, and how it is read.
VALUE_PARSERS: dict[str, Callable[[str], Any]] = {
    "i": parse_int32,
    "h": parse_int64,
    "f": parse_float32,
    "d": parse_float64,
    "s": parse_text,
    "S": parse_text,
    "c": parse_char,
    "b": parse_blob,
    "t": parse_timetag,
    "m": parse_midi,
    "r": parse_rgba,
}
#: Type tags that take no word, and their value.
CONSTANTS: dict[str, Any] = {
    "T": True,
    "F": False,
    "N": None,
    "I": oscbuildparse.OSC_INFINITUM,
}
#: Type tags that open and close an array.
ARRAY_TAGS = frozenset("[]")
#: One line per type tag, for ``--help``.
TYPE_HELP = """\
  i  32-bit integer (decimal; 0x.. hex too)   h  64-bit integer
  f  32-bit float (1.5, 1e3, inf, nan)        d  64-bit float
  s  string                                   S  symbol
  c  one character                            m  MIDI: 8 hex digits (90403f00) or 144,64,63,0
  b  blob in hex (00ff10)                     r  RGBA: 8 hex digits or 255,128,0,255
  t  time tag: now, a Unix time, or SSSSSSSS.FFFFFFFF as oscdump prints it
  T  true  F  false  N  nil  I  infinitum     (these take no value)
  [ ]  an array of the tags between them"""


def check_types(types: str) -> None:
    """Raise a :class:`UsageError` when *types* (no leading comma) has an unknown tag."""
    for position, tag in enumerate(types, 1):
        if tag not in VALUE_PARSERS and tag not in CONSTANTS and tag not in ARRAY_TAGS:
            if types.startswith("-"):
                raise UsageError(
                    f"{types!r} is not a type tag string (options go before the destination, "
                    "or after the values)"
                )
            raise UsageError(f"type tag {tag!r} (#{position} of {types!r}) is not supported")


def count_values(types: str) -> int:
    """How many words the type tags *types* take."""
    return sum(1 for tag in types if tag in VALUE_PARSERS)


def parse_values(types: str, words: Sequence[str]) -> list[Any]:
    """The arguments of type tags *types* (no leading comma) from exactly the words they
    take; a :class:`UsageError` names the value and the tag that went wrong."""
    arguments: list[Any] = []
    stack: list[list[Any]] = []
    pending = iter(words)
    for position, tag in enumerate(types, 1):
        if tag == "[":
            stack.append(arguments)
            arguments = []
            continue
        if tag == "]":
            if not stack:
                raise UsageError(f"type tags {types!r}: ']' closes no array")
            inner = arguments
            arguments = stack.pop()
            arguments.append(inner)
            continue
        if tag in CONSTANTS:
            arguments.append(CONSTANTS[tag])
            continue
        parser = VALUE_PARSERS.get(tag)
        if parser is None:
            raise UsageError(f"type tag {tag!r} (#{position} of {types!r}) is not supported")
        word = next(pending)
        try:
            arguments.append(parser(word))
        except ValueError as error:
            raise UsageError(f"value for type {tag} (tag #{position}): {error}") from None
    if stack:
        raise UsageError(f"type tags {types!r}: '[' without ']'")
    return arguments


def build_message(address: str, types: str, words: Sequence[str]) -> oscbuildparse.OSCMessage:
    """An OSCMessage from ``oscsend``-style words: ``/addr``, ``ifs``, ``1 2.5 hello``.

    *words* must be exactly the values the tags take (see :func:`count_values`).
    """
    types = types[1:] if types.startswith(",") else types
    wanted = count_values(types)
    if len(words) != wanted:
        raise UsageError(f"type tags {types!r} take {wanted} value(s), {len(words)} given")
    arguments = parse_values(types, words)
    message = oscbuildparse.OSCMessage(address, "," + types, arguments)
    encode_message(message)  # what cannot be encoded is a usage error, said now
    return message


def encode_message(message: oscbuildparse.OSCMessage) -> bytes:
    """The bytes of *message*, encoded as the command sends it (:data:`ARGV_OOB`)."""
    try:
        return bytes(oscbuildparse.encode_packet(message, ARGV_OOB))
    except oscbuildparse.OSCError as error:
        raise UsageError(str(error)) from None
