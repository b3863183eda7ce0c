"""Build (encode) and parse (decode) OSC packets: osc4py3's ``oscbuildparse``, faster.

Same names and shapes as ``osc4py3.oscbuildparse``: :class:`OSCMessage`,
:class:`OSCBundle`, :class:`OSCtimetag` and friends, :func:`encode_packet`,
:func:`decode_packet`, the time-tag conversions and the ``OSCError`` hierarchy. The
encoder/decoder is the compiled twin (``oscwire._codec_c``) when it is built, else the
pure-Python one (``oscwire._codec_py``); both behave the same. See ``docs/codec.md`` for
the type tags, the ``oob`` options and where the defaults differ from osc4py3.
"""

from __future__ import annotations

from . import _accel
from ._codec_oob import (
    ADVANCED_PACKET_CONTROL,
    MAX_ARRAY_DEPTH,
    MAX_BUNDLE_DEPTH,
    dumphex_buffer,
)
from ._errors import (
    OSCCorruptedRawError,
    OSCError,
    OSCInternalBugError,
    OSCInvalidDataError,
    OSCInvalidRawError,
    OSCInvalidSignatureError,
    OSCUnknownTypetagError,
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
)

_impl = _accel.load("codec")

#: Encode an OSCMessage/OSCBundle into a bytearray (see the twin's docstring).
encode_packet = _impl.encode_packet
#: Decode one raw packet into an OSCMessage/OSCBundle (see the twin's docstring).
decode_packet = _impl.decode_packet

#: osc4py3's name for the seconds between 1900-01-01 and 1970-01-01.
OSCTIME_1_JAN1970 = NTP_UNIX_OFFSET

__all__ = [
    "ADVANCED_PACKET_CONTROL",
    "MAX_ARRAY_DEPTH",
    "MAX_BUNDLE_DEPTH",
    "OSCTIME_1_JAN1970",
    "OSC_BANG",
    "OSC_IMMEDIATELY",
    "OSC_IMPULSE",
    "OSC_INFINITUM",
    "OSCBundle",
    "OSCCorruptedRawError",
    "OSCError",
    "OSCInternalBugError",
    "OSCInvalidDataError",
    "OSCInvalidRawError",
    "OSCInvalidSignatureError",
    "OSCMessage",
    "OSCUnknownTypetagError",
    "OSCbang",
    "OSCmidi",
    "OSCrgba",
    "OSCtimetag",
    "decode_packet",
    "dumphex_buffer",
    "encode_packet",
    "float2timetag",
    "is_immediate",
    "timetag2float",
    "timetag2unixtime",
    "unixtime2timetag",
]
