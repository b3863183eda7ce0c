"""Stream framing for OSC over TCP and serial lines: SLIP (OSC 1.1) and size headers (OSC 1.0).

The functions and classes come from the compiled twin when it is built, else from the
pure-Python one (``OSCWIRE_NO_EXTENSIONS=1`` forces it); both behave the same.

- :func:`slip_encode` / :func:`slip_decode`: one SLIP frame (RFC 1055, OSC 1.1 double END).
- :func:`size_prefix`: a 4-byte big-endian size then the packet (OSC 1.0 streams).
- :class:`SlipDecoder`, :class:`HeaderDecoder`, :class:`AutoDecoder`: fed chunks of a
  stream, they return the complete packets, keep partial data across any split and bound
  their memory (``max_packet_size``, default :data:`MAX_PACKET_SIZE` = 1 MiB, 0 = no limit).
- :func:`detect_framing`, :func:`make_stream_decoder`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oscwire._accel import NO_EXTENSIONS
from oscwire._framing_common import DEFAULT_HEADER

# The yarl/multidict form: literal imports, so that type checkers see the pure twin's
# signatures and freezers (PyInstaller, Nuitka) see the compiled module.
if TYPE_CHECKING or NO_EXTENSIONS:
    from oscwire._framing_py import (
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
    try:
        from oscwire._framing_c import (
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
    except ImportError:  # not compiled here: the pure twin
        from oscwire._framing_py import (
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
