"""Stream framing for OSC over TCP and serial lines: SLIP (OSC 1.1) and size headers (OSC 1.0).

The functions and classes come from the compiled twin when it is built (see
:mod:`oscwire._accel`), else from the pure-Python one; both behave the same.

- :func:`slip_encode` / :func:`slip_decode`: one SLIP frame (RFC 1055, OSC 1.1 double END).
- :func:`size_prefix`: a 4-byte big-endian size then the packet (OSC 1.0 streams).
- :class:`SlipDecoder`, :class:`HeaderDecoder`, :class:`AutoDecoder`: fed chunks of a
  stream, they return the complete packets, keep partial data across any split and bound
  their memory (``max_packet_size``, default :data:`MAX_PACKET_SIZE` = 1 MiB, 0 = no limit).
- :func:`detect_framing`, :func:`make_stream_decoder`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oscwire import _accel

if TYPE_CHECKING:
    from oscwire._framing_py import (
        DEFAULT_HEADER,
        HEADER_VIEW_LIMIT,
        MAX_PACKET_SIZE,
        SLIP_END,
        SLIP_ESC,
        SLIP_ESC_END,
        SLIP_ESC_ESC,
        AutoDecoder,
        HeaderDecoder,
        SlipDecoder,
        detect_framing,
        make_stream_decoder,
        size_prefix,
        slip_decode,
        slip_encode,
    )
else:
    _impl = _accel.load("framing")
    DEFAULT_HEADER = _impl.DEFAULT_HEADER
    HEADER_VIEW_LIMIT = _impl.HEADER_VIEW_LIMIT
    MAX_PACKET_SIZE = _impl.MAX_PACKET_SIZE
    SLIP_END = _impl.SLIP_END
    SLIP_ESC = _impl.SLIP_ESC
    SLIP_ESC_END = _impl.SLIP_ESC_END
    SLIP_ESC_ESC = _impl.SLIP_ESC_ESC
    AutoDecoder = _impl.AutoDecoder
    HeaderDecoder = _impl.HeaderDecoder
    SlipDecoder = _impl.SlipDecoder
    detect_framing = _impl.detect_framing
    make_stream_decoder = _impl.make_stream_decoder
    size_prefix = _impl.size_prefix
    slip_decode = _impl.slip_decode
    slip_encode = _impl.slip_encode

from oscwire._errors import OSCFramingError, OSCPacketTooLargeError

__all__ = [
    "DEFAULT_HEADER",
    "HEADER_VIEW_LIMIT",
    "MAX_PACKET_SIZE",
    "SLIP_END",
    "SLIP_ESC",
    "SLIP_ESC_END",
    "SLIP_ESC_ESC",
    "AutoDecoder",
    "HeaderDecoder",
    "OSCFramingError",
    "OSCPacketTooLargeError",
    "SlipDecoder",
    "detect_framing",
    "make_stream_decoder",
    "size_prefix",
    "slip_decode",
    "slip_encode",
]
