"""Stream framing for OSC, pure-Python twin (the specification of ``_framing_c``).

Two framings carry OSC packets over byte streams (TCP, serial lines):

- SLIP (RFC 1055), as OSC 1.1 asks: each packet between END bytes (0xC0), with END and ESC
  (0xDB) inside the packet escaped as ESC ESC_END (0xDB 0xDC) and ESC ESC_ESC (0xDB 0xDD).
- A length header before each packet, as OSC 1.0 does: by default a 4-byte big-endian
  unsigned size (``("!I", 4, 0)``), or any ``(struct_format, header_size, length_index)``
  tuple, or a function ``fn(data) -> (packet_size, header_size)``.

The decoders are fed chunks as they arrive and return the complete packets. Their memory is
bounded by ``max_packet_size`` plus one chunk; an over-limit packet raises
:class:`OSCPacketTooLargeError` after every other packet of the chunk has been decoded (they
are in the exception's ``packets``), and the decoder resynchronises by itself.
"""

from __future__ import annotations

import re
from typing import Optional, Union

from oscwire._errors import OSCFramingError, OSCPacketTooLargeError
from oscwire._framing_common import DEFAULT_HEADER, HeaderSpec, parse_header_spec

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
    "SlipDecoder",
    "detect_framing",
    "make_stream_decoder",
    "size_prefix",
    "slip_decode",
    "slip_encode",
]

#: Default bound on one packet (size framing) or one escaped frame (SLIP): 1 MiB.
MAX_PACKET_SIZE = 1 << 20
#: A header function is shown at most this many pending bytes (headers are short).
HEADER_VIEW_LIMIT = 1 << 16

SLIP_END = 0xC0
SLIP_ESC = 0xDB
SLIP_ESC_END = 0xDC
SLIP_ESC_ESC = 0xDD

_END = b"\xc0"
_ESC = b"\xdb"
_ESCAPED_END = b"\xdb\xdc"
_ESCAPED_ESC = b"\xdb\xdd"
_BAD_ESCAPE = re.compile(b"\xdb(?![\xdc\xdd])")


def slip_encode(packet: bytes, flag_at_start: bool = True) -> bytes:
    """Encode *packet* as one SLIP frame: END + escaped packet + END (OSC 1.1).

    With ``flag_at_start=False`` the leading END is left out (RFC 1055's original form,
    osc4py3's ``write_slip_flagatstart=False``).
    """
    body = memoryview(packet).tobytes().replace(_ESC, _ESCAPED_ESC).replace(_END, _ESCAPED_END)
    return _END + body + _END if flag_at_start else body + _END


def slip_decode(frame: bytes) -> bytes:
    """Unescape one SLIP frame; END bytes at either end are ignored.

    Raises :class:`OSCFramingError` on an ESC not followed by ESC_END/ESC_ESC, or on an END
    inside the frame (that is several frames: use :class:`SlipDecoder`).
    """
    data = memoryview(frame).tobytes().strip(_END)
    if _END in data:
        raise OSCFramingError(f"SLIP frame holds an END byte at offset {data.index(_END)}")
    return _unescape(data)


def _unescape(data: bytes) -> bytes:
    if _ESC not in data:
        return data
    bad = _BAD_ESCAPE.search(data)
    if bad is not None:
        offset = bad.start()
        follower = data[offset + 1 : offset + 2]
        what = f"0x{follower[0]:02X}" if follower else "end of frame"
        raise OSCFramingError(f"bad SLIP escape: 0xDB followed by {what} at offset {offset}")
    # ESC ESC_END first: after it no ESC ESC_ESC can turn into a false ESC ESC_END.
    return data.replace(_ESCAPED_END, _END).replace(_ESCAPED_ESC, _ESC)


def size_prefix(packet: bytes) -> bytes:
    """Frame *packet* the OSC 1.0 way: a 4-byte big-endian size, then the packet."""
    data = memoryview(packet).tobytes()
    if len(data) > 0xFFFFFFFF:
        raise OSCFramingError(f"packet of {len(data)} bytes is too large for a 4-byte size")
    return len(data).to_bytes(4, "big") + data


def detect_framing(data: bytes) -> Optional[str]:
    """Guess the framing of a new stream from its first bytes.

    ``"slip"`` when it starts with END, or with ``/`` or ``#`` (SLIP without a leading END:
    an OSC message or bundle), ``"size"`` otherwise, ``None`` when *data* is empty.
    """
    if not data:
        return None
    first = data[0]
    return "slip" if first in (SLIP_END, 0x2F, 0x23) else "size"


def _check_limit(max_packet_size: int) -> int:
    limit = int(max_packet_size)
    if limit < 0:
        raise ValueError(f"max_packet_size must be >= 0 (0 = no limit), not {limit}")
    return limit


class SlipDecoder:
    """Reassemble SLIP frames from a byte stream.

    Empty frames (the double END of OSC 1.1) are ignored. A frame with a bad escape is
    dropped (counted in ``dropped``) and decoding goes on at the next END. A frame whose
    escaped length exceeds ``max_packet_size`` (0 = no limit) is dropped too and makes
    :meth:`feed` raise :class:`OSCPacketTooLargeError` once the chunk is processed.
    """

    def __init__(self, max_packet_size: int = MAX_PACKET_SIZE) -> None:
        self.max_packet_size = _check_limit(max_packet_size)
        self.dropped = 0
        self._buffer = bytearray()
        self._skipping = False

    @property
    def pending(self) -> int:
        """Bytes received and not yet part of a complete frame."""
        return len(self._buffer)

    @property
    def idle(self) -> bool:
        """True between packets: nothing buffered and no oversize frame being skipped."""
        return not self._buffer and not self._skipping

    def reset(self) -> None:
        """Forget any partial frame."""
        self._buffer.clear()
        self._skipping = False

    def feed(self, data: bytes) -> list[bytes]:
        """Add a chunk of the stream; return the packets it completed, in order."""
        buffer = self._buffer
        buffer += data
        limit = self.max_packet_size
        packets: list[bytes] = []
        oversize = 0
        start = 0
        while True:
            end = buffer.find(_END, start)
            if end < 0:
                break
            size = end - start
            if self._skipping:
                self._skipping = False
            elif limit and size > limit:
                oversize = size
                self.dropped += 1
            elif size:
                try:
                    packets.append(_unescape(bytes(buffer[start:end])))
                except OSCFramingError:
                    self.dropped += 1
            start = end + 1
        del buffer[:start]
        if self._skipping:
            buffer.clear()
        elif limit and len(buffer) > limit:
            # A partial frame already too long: drop it and skip the rest of it.
            oversize = len(buffer)
            buffer.clear()
            self.dropped += 1
            self._skipping = True
        if oversize:
            raise OSCPacketTooLargeError(
                f"SLIP frame of {oversize}+ bytes exceeds the limit of {limit} bytes", packets
            )
        return packets


class HeaderDecoder:
    """Reassemble packets that each follow a length header (OSC 1.0 streams).

    *header* is ``("!I", 4, 0)`` by default, or a ``(struct_format, header_size,
    length_index)`` tuple, or a function ``fn(data) -> (packet_size, header_size)`` that
    returns ``(0, 0)`` when it needs more data and ``(0, n)`` to skip n bytes. Packets of
    size 0 are ignored. A size over ``max_packet_size`` (0 = no limit) raises
    :class:`OSCPacketTooLargeError` once the chunk is processed, and that packet's bytes are
    skipped as they arrive. A header that cannot be read (negative size, failing function)
    raises :class:`OSCFramingError` and discards everything buffered: such a stream cannot
    be resynchronised, and stream channels close it.
    """

    def __init__(
        self, header: Optional[HeaderSpec] = None, max_packet_size: int = MAX_PACKET_SIZE
    ) -> None:
        self.max_packet_size = _check_limit(max_packet_size)
        self.dropped = 0
        self._buffer = bytearray()
        self._skip = 0
        self._function, self._struct, self._header_size, self._index = parse_header_spec(header)

    @property
    def pending(self) -> int:
        """Bytes received and not yet part of a complete packet."""
        return len(self._buffer)

    @property
    def idle(self) -> bool:
        """True between packets: nothing buffered and no oversize packet being skipped."""
        return not self._buffer and not self._skip

    def reset(self) -> None:
        """Forget any partial packet."""
        self._buffer.clear()
        self._skip = 0

    def _read_header(self, buffer: bytearray, pos: int, available: int) -> tuple[int, int]:
        """(packet_size, header_size) at *pos*, or (0, 0) when more data is needed."""
        if self._function is None:
            if available < self._header_size:
                return 0, 0
            assert self._struct is not None  # no function: a struct header
            size = self._struct.unpack_from(buffer, pos)[self._index]
            try:
                return int(size), self._header_size
            except (TypeError, ValueError, OverflowError) as error:
                raise OSCFramingError(
                    f"length header at stream offset {pos} is not a size: {size!r}"
                ) from error
        view = bytes(buffer[pos : pos + HEADER_VIEW_LIMIT])
        try:
            size, header_size = self._function(view)
            return int(size), int(header_size)
        except Exception as error:
            raise OSCFramingError(
                f"header function failed at stream offset {pos}: {error!r}"
            ) from error

    def feed(self, data: bytes) -> list[bytes]:
        """Add a chunk of the stream; return the packets it completed, in order."""
        buffer = self._buffer
        buffer += data
        limit = self.max_packet_size
        packets: list[bytes] = []
        oversize = 0
        pos = 0
        total = len(buffer)
        while pos < total:
            if self._skip:
                skipped = min(self._skip, total - pos)
                self._skip -= skipped
                pos += skipped
                continue
            available = total - pos
            try:
                size, header_size = self._read_header(buffer, pos, available)
            except OSCFramingError as error:
                buffer.clear()
                raise OSCFramingError(str(error), packets) from error
            if size < 0 or header_size < 0:
                buffer.clear()
                raise OSCFramingError(
                    f"invalid length header at stream offset {pos}: size {size}, header {header_size}",
                    packets,
                )
            if header_size == 0:
                if size:
                    buffer.clear()
                    raise OSCFramingError(
                        f"header function gave size {size} with header size 0", packets
                    )
                if limit and available > limit + HEADER_VIEW_LIMIT:
                    buffer.clear()
                    raise OSCPacketTooLargeError(
                        f"{available} bytes buffered without a complete header", packets
                    )
                break
            if limit and size > limit:
                oversize = size
                self.dropped += 1
                self._skip = size
                pos += header_size
                if pos > total:
                    self._skip += pos - total
                    pos = total
                continue
            end = pos + header_size + size
            if end > total:
                break
            if size:
                packets.append(bytes(buffer[pos + header_size : end]))
            pos = end
        del buffer[:pos]
        if oversize:
            raise OSCPacketTooLargeError(
                f"packet size {oversize} exceeds the limit of {limit} bytes", packets
            )
        return packets


class AutoDecoder:
    """Detect the framing of a stream from its first byte, then decode it.

    ``framing`` is ``None`` until the first byte arrives, then ``"slip"`` or ``"size"``.
    """

    def __init__(
        self, max_packet_size: int = MAX_PACKET_SIZE, header: Optional[HeaderSpec] = None
    ) -> None:
        self.max_packet_size = _check_limit(max_packet_size)
        self.framing: Optional[str] = None
        self._header = header
        self._decoder: Union[SlipDecoder, HeaderDecoder, None] = None

    @property
    def pending(self) -> int:
        return 0 if self._decoder is None else self._decoder.pending

    @property
    def dropped(self) -> int:
        return 0 if self._decoder is None else self._decoder.dropped

    @property
    def idle(self) -> bool:
        """True between packets (the detected framing is kept until :meth:`reset`)."""
        return self._decoder is None or self._decoder.idle

    def reset(self) -> None:
        if self._decoder is not None:
            self._decoder.reset()

    def feed(self, data: bytes) -> list[bytes]:
        """Add a chunk of the stream; return the packets it completed, in order."""
        if self._decoder is None:
            self.framing = detect_framing(data)
            if self.framing is None:
                return []
            if self.framing == "slip":
                self._decoder = SlipDecoder(self.max_packet_size)
            else:
                self._decoder = HeaderDecoder(self._header, self.max_packet_size)
        return self._decoder.feed(data)


def make_stream_decoder(
    framing: str = "size",
    *,
    header: Optional[HeaderSpec] = None,
    max_packet_size: int = MAX_PACKET_SIZE,
) -> Union[SlipDecoder, HeaderDecoder, AutoDecoder]:
    """A stream decoder for *framing*: ``"size"`` (length header), ``"slip"`` or ``"auto"``."""
    if framing == "size":
        return HeaderDecoder(header, max_packet_size)
    if framing == "slip":
        return SlipDecoder(max_packet_size)
    if framing == "auto":
        return AutoDecoder(max_packet_size, header)
    raise ValueError(f"framing must be 'size', 'slip' or 'auto', not {framing!r}")
