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

from typing import TYPE_CHECKING

from oscwire._accel import NO_EXTENSIONS

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
