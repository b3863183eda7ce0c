"""Build (encode) and parse (decode) OSC packets: osc4py3's ``oscbuildparse``, faster.

Same names, shapes and keyword names as ``osc4py3.oscbuildparse``: :class:`OSCMessage`,
:class:`OSCBundle`, :class:`OSCtimetag` and friends, :func:`encode_packet`,
:func:`decode_packet`, the time-tag conversions and the ``OSCError`` hierarchy; plus
:func:`encode_message`, which encodes an address and arguments without a message object. The
encoder/decoder is the compiled twin (``oscwire._codec_c``) when it is built, else the
pure-Python one (``oscwire._codec_py``); both behave the same. See ``docs/codec.md`` for
the type tags, the ``oob`` options and where the defaults differ from osc4py3.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any, Callable

from oscwire._accel import NO_EXTENSIONS
from oscwire._unsupported import unsupported

from ._codec_oob import (
    ADVANCED_PACKET_CONTROL,
    DEPTH_LIMIT,
    MAX_ARRAY_DEPTH,
    MAX_BUNDLE_DEPTH,
    dumphex_buffer,
)
from ._errors import (
    OSCCorruptedRawError,
    OSCElementSizeError,
    OSCError,
    OSCInternalBugError,
    OSCInvalidDataError,
    OSCInvalidRawError,
    OSCInvalidSignatureError,
    OSCMissingArgumentError,
    OSCNoTypeError,
    OSCStringDecodeError,
    OSCStringEncodeError,
    OSCTruncatedRawError,
    OSCUnknownTypetagError,
    OSCValueRangeError,
    OSCValueTypeError,
)
from ._types import (
    NTP_UNIX_OFFSET,
    OSC_BANG,
    OSC_IMMEDIATELY,
    OSC_IMPULSE,
    OSC_INFINITUM,
    OSCbang,
    OSCBundle,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
    float2timetag,
    is_immediate,
    timetag2float,
    timetag2unixtime,
    unixtime2timetag,
    use_constructors,
)

# The twin is chosen by literal imports (yarl's and multidict's form), so that type
# checkers see the pure twin and freezers (PyInstaller, Nuitka) find both modules.
if TYPE_CHECKING or NO_EXTENSIONS:
    from oscwire._codec_py import (
        bundle_new,
        decode_packet,
        encode_message,
        encode_packet,
        message_new,
    )
else:
    try:
        from oscwire._codec_c import (
            bundle_new,
            decode_packet,
            encode_message,
            encode_packet,
            message_new,
        )
    except ImportError:  # not built, or stale: a name it imports is gone
        from oscwire._codec_py import (
            bundle_new,
            decode_packet,
            encode_message,
            encode_packet,
            message_new,
        )

use_constructors(message_new, bundle_new)

#: osc4py3's name for the seconds between 1900-01-01 and 1970-01-01.
OSCTIME_1_JAN1970 = NTP_UNIX_OFFSET

#: osc4py3's codes of the type tags (``ord()`` of the tag character).
OSCTYPE_STRING = ord("s")
OSCTYPE_STRINGALT = ord("S")
OSCTYPE_INT32 = ord("i")
OSCTYPE_FLOAT32 = ord("f")
OSCTYPE_BLOB = ord("b")
OSCTYPE_INT64 = ord("h")
OSCTYPE_TIMETAG = ord("t")
OSCTYPE_FLOAT64 = ord("d")
OSCTYPE_CHAR = ord("c")
OSCTYPE_RGBA = ord("r")
OSCTYPE_MIDI = ord("m")
OSCTYPE_TRUE = ord("T")
OSCTYPE_FALSE = ord("F")
OSCTYPE_NIL = ord("N")
OSCTYPE_IMPULSE = ord("I")
OSCTYPE_ARRAYBEGIN = ord("[")
OSCTYPE_ARRAYEND = ord("]")
#: osc4py3's markers of the start of an address, a type tag string and a bundle.
BEGIN_ADDRPATTERN = b"/"
BEGIN_ADDRPATTERN_CODE = ord(BEGIN_ADDRPATTERN)
BEGIN_TYPETAG = b","
BEGIN_TYPETAG_CODE = ord(BEGIN_TYPETAG)
BEGIN_BUNDLE = b"#bundle\0"

# ----- osc4py3's codec tables, kept for its programs: oscwire's codec does not read them --
#: osc4py3's marker of "no default value" in :data:`osctypes_refs` (None is a real one).
NODEFAULT = "nodefault"
#: osc4py3's description of one type tag: its character, name, Python type, size in bytes
#: (None: variable), the value it stands for (tags without data) and how it is decoded and
#: encoded (a :mod:`struct` format; for strings, blobs and chars, functions of osc4py3's
#: codec that oscwire has not: calling them raises, naming what to use).
OSCTypeRef = collections.namedtuple(
    "OSCTypeRef", "typetag typename pytype byteslen defvalue decode encode"
)


def _one_value_codec(name: str, use: str) -> Callable[..., Any]:
    def one_value(*args: Any) -> Any:
        """osc4py3's codec of one argument; oscwire's works on whole packets."""

    one_value.__name__ = one_value.__qualname__ = name
    why = "oscwire's codec encodes and decodes whole packets"
    return unsupported(f"oscbuildparse.{name}", why, use)(one_value)


_DECODE = "oscwire.oscbuildparse.decode_packet()"
_ENCODE = "oscwire.oscbuildparse.encode_packet() or oscwire.oscbuildparse.encode_message()"
_STRING = (_one_value_codec("_decode_str", _DECODE), _one_value_codec("_encode_str", _ENCODE))
_BLOB = (_one_value_codec("_decode_blob", _DECODE), _one_value_codec("_encode_blob", _ENCODE))
_CHAR = (_one_value_codec("_decode_char", _DECODE), _one_value_codec("_encode_char", _ENCODE))

#: osc4py3's table of the type tags with data of their own, by tag code (``ord(tag)``);
#: arrays (``[`` ``]``) are not in it. Descriptive only: changing it changes nothing.
osctypes_refs = {
    OSCTYPE_INT32: OSCTypeRef("i", "int32", int, 4, NODEFAULT, ">i", ">i"),
    OSCTYPE_TIMETAG: OSCTypeRef("t", "timetag", OSCtimetag, 8, NODEFAULT, ">II", ">II"),
    OSCTYPE_FLOAT32: OSCTypeRef("f", "float32", float, 4, NODEFAULT, ">f", ">f"),
    OSCTYPE_STRING: OSCTypeRef("s", "string", str, None, NODEFAULT, *_STRING),
    OSCTYPE_STRINGALT: OSCTypeRef("S", "string", str, None, NODEFAULT, *_STRING),
    OSCTYPE_BLOB: OSCTypeRef("b", "blob", bytes, None, NODEFAULT, *_BLOB),
    OSCTYPE_INT64: OSCTypeRef("h", "int64", int, 8, NODEFAULT, ">q", ">q"),
    OSCTYPE_FLOAT64: OSCTypeRef("d", "float64", float, 8, NODEFAULT, ">d", ">d"),
    OSCTYPE_CHAR: OSCTypeRef("c", "char", str, None, NODEFAULT, *_CHAR),
    OSCTYPE_RGBA: OSCTypeRef("r", "rgba", OSCrgba, 4, NODEFAULT, "BBBB", "BBBB"),
    OSCTYPE_MIDI: OSCTypeRef("m", "midi", OSCmidi, 4, NODEFAULT, "BBBB", "BBBB"),
    OSCTYPE_TRUE: OSCTypeRef("T", "booltrue", bool, 0, True, None, None),
    OSCTYPE_FALSE: OSCTypeRef("F", "boolfalse", bool, 0, False, None, None),
    OSCTYPE_NIL: OSCTypeRef("N", "nil", None, 0, None, None, None),
    OSCTYPE_IMPULSE: OSCTypeRef("I", "impulse", OSCbang, 0, OSC_INFINITUM, None, None),
}
#: osc4py3's automatic type tag (code) of a value of each exact type. oscwire's
#: auto-typing gives these tags too, and goes further: an int outside int32 is ``h``, other
#: numbers (a Decimal, numpy's) are ``f`` (docs/codec.md).
osctypes_encoderefs: dict[type, int] = {
    int: OSCTYPE_INT32,
    float: OSCTYPE_FLOAT32,
    str: OSCTYPE_STRING,
    bytes: OSCTYPE_BLOB,
    bytearray: OSCTYPE_BLOB,
    memoryview: OSCTYPE_BLOB,
    OSCrgba: OSCTYPE_RGBA,
    OSCmidi: OSCTYPE_MIDI,
    OSCtimetag: OSCTYPE_TIMETAG,
    OSCbang: OSCTYPE_IMPULSE,
}
#: osc4py3's zero bytes that align a field to 4 bytes, by count (0 to 4).
padding = {count: b"\0" * count for count in range(5)}
#: The loop variable osc4py3's module leaves behind after building :data:`padding` (4).
i = 4

__all__ = [
    "ADVANCED_PACKET_CONTROL",
    "BEGIN_ADDRPATTERN",
    "BEGIN_ADDRPATTERN_CODE",
    "BEGIN_BUNDLE",
    "BEGIN_TYPETAG",
    "BEGIN_TYPETAG_CODE",
    "DEPTH_LIMIT",
    "MAX_ARRAY_DEPTH",
    "MAX_BUNDLE_DEPTH",
    "OSCTIME_1_JAN1970",
    "OSCTYPE_ARRAYBEGIN",
    "OSCTYPE_ARRAYEND",
    "OSCTYPE_BLOB",
    "OSCTYPE_CHAR",
    "OSCTYPE_FALSE",
    "OSCTYPE_FLOAT32",
    "OSCTYPE_FLOAT64",
    "OSCTYPE_IMPULSE",
    "OSCTYPE_INT32",
    "OSCTYPE_INT64",
    "OSCTYPE_MIDI",
    "OSCTYPE_NIL",
    "OSCTYPE_RGBA",
    "OSCTYPE_STRING",
    "OSCTYPE_STRINGALT",
    "OSCTYPE_TIMETAG",
    "OSCTYPE_TRUE",
    "OSC_BANG",
    "OSC_IMMEDIATELY",
    "OSC_IMPULSE",
    "OSC_INFINITUM",
    "OSCBundle",
    "OSCCorruptedRawError",
    "OSCElementSizeError",
    "OSCError",
    "OSCInternalBugError",
    "OSCInvalidDataError",
    "OSCInvalidRawError",
    "OSCInvalidSignatureError",
    "OSCMessage",
    "OSCMissingArgumentError",
    "OSCNoTypeError",
    "OSCStringDecodeError",
    "OSCStringEncodeError",
    "OSCTruncatedRawError",
    "OSCUnknownTypetagError",
    "OSCValueRangeError",
    "OSCValueTypeError",
    "OSCbang",
    "OSCmidi",
    "OSCrgba",
    "OSCtimetag",
    "decode_packet",
    "dumphex_buffer",
    "encode_message",
    "encode_packet",
    "float2timetag",
    "is_immediate",
    "timetag2float",
    "timetag2unixtime",
    "unixtime2timetag",
]
