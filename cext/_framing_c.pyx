# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Stream framing for OSC, compiled twin of ``oscwire._framing_py``.

Same functions, classes, results and exceptions as the pure twin, which is the
specification; this one scans with C loops and ``memchr`` and, when nothing is buffered,
decodes straight from the caller's chunk without copying it first.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.string cimport memchr, memcpy

from oscwire._errors import OSCFramingError, OSCPacketTooLargeError
from oscwire._framing_common import DEFAULT_HEADER, parse_header_spec  # no-cython-lint

MAX_PACKET_SIZE = 1 << 20
HEADER_VIEW_LIMIT = 1 << 16

SLIP_END = 0xC0
SLIP_ESC = 0xDB
SLIP_ESC_END = 0xDC
SLIP_ESC_ESC = 0xDD

cdef unsigned char END = 0xC0
cdef unsigned char ESC = 0xDB
cdef unsigned char ESC_END = 0xDC
cdef unsigned char ESC_ESC = 0xDD
cdef Py_ssize_t VIEW_LIMIT = 1 << 16
cdef Py_ssize_t HUGE = (<Py_ssize_t>1) << 60


cdef inline Py_ssize_t _find(const unsigned char* src, unsigned char byte, Py_ssize_t start,
                             Py_ssize_t n):
    """Index of *byte* in src[start:n], or n when absent (memchr: SIMD in libc)."""
    cdef const void* hit
    if start >= n:
        return n
    hit = memchr(src + start, byte, n - start)
    return n if hit == NULL else <const unsigned char*>hit - src


cdef bytes _unescape(const unsigned char* src, Py_ssize_t n):
    """Unescape one frame body (no END inside); raise OSCFramingError on a bad escape."""
    cdef Py_ssize_t i, j, run, escapes = 0
    cdef unsigned char follower
    i = _find(src, ESC, 0, n)
    if i == n:
        return PyBytes_FromStringAndSize(<const char*>src, n)
    while i < n:
        if i + 1 >= n:
            raise OSCFramingError(f"bad SLIP escape: 0xDB followed by end of frame at offset {i}")
        follower = src[i + 1]
        if follower != ESC_END and follower != ESC_ESC:
            raise OSCFramingError(
                f"bad SLIP escape: 0xDB followed by 0x{follower:02X} at offset {i}")
        escapes += 1
        i = _find(src, ESC, i + 2, n)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, n - escapes)
    cdef unsigned char* dst = <unsigned char*>PyBytes_AS_STRING(out)
    i = 0
    j = 0
    while i < n:
        run = _find(src, ESC, i, n) - i
        memcpy(dst + j, src + i, run)
        i += run
        j += run
        if i < n:
            dst[j] = END if src[i + 1] == ESC_END else ESC
            i += 2
            j += 1
    return out


def slip_encode(packet, bint flag_at_start=True):
    """Encode *packet* as one SLIP frame: END + escaped packet + END (OSC 1.1).

    With ``flag_at_start=False`` the leading END is left out (RFC 1055's original form,
    osc4py3's ``write_slip_flagatstart=False``).
    """
    cdef Py_buffer view
    cdef const unsigned char* src
    cdef unsigned char* dst
    cdef Py_ssize_t i, j, n, next_end, next_esc, special, extra = 0
    PyObject_GetBuffer(packet, &view, PyBUF_SIMPLE)
    try:
        src = <const unsigned char*>view.buf
        n = view.len
        i = _find(src, END, 0, n)
        while i < n:
            extra += 1
            i = _find(src, END, i + 1, n)
        i = _find(src, ESC, 0, n)
        while i < n:
            extra += 1
            i = _find(src, ESC, i + 1, n)
        out = PyBytes_FromStringAndSize(NULL, n + extra + 1 + flag_at_start)
        dst = <unsigned char*>PyBytes_AS_STRING(out)
        j = 0
        if flag_at_start:
            dst[0] = END
            j = 1
        if extra == 0:
            memcpy(dst + j, src, n)
            j += n
        else:
            # Copy the runs between special bytes; remember where the next of each is.
            i = 0
            next_end = _find(src, END, 0, n)
            next_esc = _find(src, ESC, 0, n)
            while True:
                special = next_end if next_end < next_esc else next_esc
                memcpy(dst + j, src + i, special - i)
                j += special - i
                if special == n:
                    break
                dst[j] = ESC
                if special == next_end:
                    dst[j + 1] = ESC_END
                    next_end = _find(src, END, special + 1, n)
                else:
                    dst[j + 1] = ESC_ESC
                    next_esc = _find(src, ESC, special + 1, n)
                j += 2
                i = special + 1
        dst[j] = END
        return out
    finally:
        PyBuffer_Release(&view)


def slip_decode(frame):
    """Unescape one SLIP frame; END bytes at either end are ignored.

    Raises :class:`OSCFramingError` on an ESC not followed by ESC_END/ESC_ESC, or on an END
    inside the frame (that is several frames: use :class:`SlipDecoder`).
    """
    cdef Py_buffer view
    cdef const unsigned char* src
    cdef const unsigned char* inner
    cdef Py_ssize_t start = 0, stop
    PyObject_GetBuffer(frame, &view, PyBUF_SIMPLE)
    try:
        src = <const unsigned char*>view.buf
        stop = view.len
        while start < stop and src[start] == END:
            start += 1
        while stop > start and src[stop - 1] == END:
            stop -= 1
        inner = <const unsigned char*>memchr(src + start, END, stop - start)
        if inner != NULL:
            raise OSCFramingError(
                f"SLIP frame holds an END byte at offset {inner - (src + start)}")
        return _unescape(src + start, stop - start)
    finally:
        PyBuffer_Release(&view)


def size_prefix(packet):
    """Frame *packet* the OSC 1.0 way: a 4-byte big-endian size, then the packet."""
    cdef Py_buffer view
    cdef unsigned char* dst
    cdef Py_ssize_t n
    PyObject_GetBuffer(packet, &view, PyBUF_SIMPLE)
    try:
        n = view.len
        if n > 0xFFFFFFFF:
            raise OSCFramingError(f"packet of {n} bytes is too large for a 4-byte size")
        out = PyBytes_FromStringAndSize(NULL, n + 4)
        dst = <unsigned char*>PyBytes_AS_STRING(out)
        dst[0] = (n >> 24) & 0xFF
        dst[1] = (n >> 16) & 0xFF
        dst[2] = (n >> 8) & 0xFF
        dst[3] = n & 0xFF
        memcpy(dst + 4, view.buf, n)
        return out
    finally:
        PyBuffer_Release(&view)


def detect_framing(data):
    """Guess the framing of a new stream from its first bytes.

    ``"slip"`` when it starts with END, or with ``/`` or ``#`` (SLIP without a leading END:
    an OSC message or bundle), ``"size"`` otherwise, ``None`` when *data* is empty.
    """
    if not data:
        return None
    first = data[0]
    return "slip" if first in (SLIP_END, 0x2F, 0x23) else "size"


cdef Py_ssize_t _check_limit(max_packet_size) except -1:
    limit = int(max_packet_size)
    if limit < 0:
        raise ValueError(f"max_packet_size must be >= 0 (0 = no limit), not {limit}")
    return limit


cdef class SlipDecoder:
    """Reassemble SLIP frames from a byte stream.

    Empty frames (the double END of OSC 1.1) are ignored. A frame with a bad escape is
    dropped (counted in ``dropped``) and decoding goes on at the next END. A frame whose
    escaped length exceeds ``max_packet_size`` (0 = no limit) is dropped too and makes
    :meth:`feed` raise :class:`OSCPacketTooLargeError` once the chunk is processed.
    """

    cdef public Py_ssize_t max_packet_size
    cdef public Py_ssize_t dropped
    cdef bytearray _buffer
    cdef bint _skipping

    def __init__(self, max_packet_size=MAX_PACKET_SIZE):
        self.max_packet_size = _check_limit(max_packet_size)
        self.dropped = 0
        self._buffer = bytearray()
        self._skipping = False

    @property
    def pending(self):
        """Bytes received and not yet part of a complete frame."""
        return PyByteArray_GET_SIZE(self._buffer)

    @property
    def idle(self):
        """True between packets: nothing buffered and no oversize frame being skipped."""
        return PyByteArray_GET_SIZE(self._buffer) == 0 and not self._skipping

    def reset(self):
        """Forget any partial frame."""
        del self._buffer[:]
        self._skipping = False

    def feed(self, data):
        """Add a chunk of the stream; return the packets it completed, in order."""
        cdef Py_buffer view
        cdef const unsigned char* base
        cdef const unsigned char* hit
        cdef Py_ssize_t total, start = 0, end, size, oversize = 0
        cdef Py_ssize_t limit = self.max_packet_size
        cdef bint direct = PyByteArray_GET_SIZE(self._buffer) == 0
        cdef list packets = []
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            if direct:
                base = <const unsigned char*>view.buf
                total = view.len
            else:
                self._buffer += (<const char*>view.buf)[:view.len]
                base = <const unsigned char*>PyByteArray_AS_STRING(self._buffer)
                total = PyByteArray_GET_SIZE(self._buffer)
            while start < total:
                hit = <const unsigned char*>memchr(base + start, END, total - start)
                if hit == NULL:
                    break
                end = hit - base
                size = end - start
                if self._skipping:
                    self._skipping = False
                elif limit and size > limit:
                    oversize = size
                    self.dropped += 1
                elif size:
                    try:
                        packets.append(_unescape(base + start, size))
                    except OSCFramingError:
                        self.dropped += 1
                start = end + 1
            if direct:
                if start < total and not self._skipping:
                    self._buffer += (<const char*>base)[start:total]
            else:
                del self._buffer[:start]
        finally:
            PyBuffer_Release(&view)
        if self._skipping:
            del self._buffer[:]
        elif limit and PyByteArray_GET_SIZE(self._buffer) > limit:
            oversize = PyByteArray_GET_SIZE(self._buffer)
            del self._buffer[:]
            self.dropped += 1
            self._skipping = True
        if oversize:
            raise OSCPacketTooLargeError(
                f"SLIP frame of {oversize}+ bytes exceeds the limit of {limit} bytes", packets)
        return packets


cdef class HeaderDecoder:
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

    cdef public Py_ssize_t max_packet_size
    cdef public Py_ssize_t dropped
    cdef bytearray _buffer
    cdef Py_ssize_t _skip
    cdef object _function
    cdef object _struct
    cdef Py_ssize_t _header_size
    cdef Py_ssize_t _index
    cdef bint _fast

    def __init__(self, header=None, max_packet_size=MAX_PACKET_SIZE):
        self.max_packet_size = _check_limit(max_packet_size)
        self.dropped = 0
        self._buffer = bytearray()
        self._skip = 0
        self._function, self._struct, self._header_size, self._index = parse_header_spec(header)
        self._fast = False
        if self._function is not None:
            return
        fields = len(self._struct.unpack(bytes(self._struct.size)))
        self._fast = (
            self._struct.format in ("!I", ">I") and self._header_size == 4 and fields == 1
        )

    @property
    def pending(self):
        """Bytes received and not yet part of a complete packet."""
        return PyByteArray_GET_SIZE(self._buffer)

    @property
    def idle(self):
        """True between packets: nothing buffered and no oversize packet being skipped."""
        return PyByteArray_GET_SIZE(self._buffer) == 0 and self._skip == 0

    def reset(self):
        """Forget any partial packet."""
        del self._buffer[:]
        self._skip = 0

    cdef tuple _read_header(self, source, const unsigned char* base, Py_ssize_t pos,
                            Py_ssize_t available):
        """(packet_size, header_size) at *pos*, or (0, 0) when more data is needed."""
        if self._function is None:
            if available < self._header_size:
                return 0, 0
            size = self._struct.unpack_from(source, pos)[self._index]
            try:
                return int(size), self._header_size
            except (TypeError, ValueError, OverflowError) as error:
                raise OSCFramingError(
                    f"length header at stream offset {pos} is not a size: {size!r}") from error
        view = PyBytes_FromStringAndSize(<const char*>base + pos, min(available, VIEW_LIMIT))
        try:
            size, header_size = self._function(view)
            return int(size), int(header_size)
        except Exception as error:
            raise OSCFramingError(
                f"header function failed at stream offset {pos}: {error!r}") from error

    def feed(self, data):
        """Add a chunk of the stream; return the packets it completed, in order."""
        cdef Py_buffer view
        cdef const unsigned char* base
        cdef Py_ssize_t total, pos = 0, available, skipped
        cdef Py_ssize_t limit = self.max_packet_size
        cdef Py_ssize_t size, header_size, oversize = 0
        cdef bint direct = PyByteArray_GET_SIZE(self._buffer) == 0
        cdef list packets = []
        cdef object source
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            if direct:
                base = <const unsigned char*>view.buf
                total = view.len
                source = data
            else:
                self._buffer += (<const char*>view.buf)[:view.len]
                base = <const unsigned char*>PyByteArray_AS_STRING(self._buffer)
                total = PyByteArray_GET_SIZE(self._buffer)
                source = self._buffer
            while pos < total:
                if self._skip:
                    skipped = min(self._skip, total - pos)
                    self._skip -= skipped
                    pos += skipped
                    continue
                available = total - pos
                if self._fast:
                    if available < 4:
                        break
                    size = <Py_ssize_t>(
                        (<unsigned long long>base[pos] << 24)
                        | (<unsigned long long>base[pos + 1] << 16)
                        | (<unsigned long long>base[pos + 2] << 8)
                        | <unsigned long long>base[pos + 3]
                    )
                    header_size = 4
                else:
                    try:
                        py_size, py_header = self._read_header(source, base, pos, available)
                    except OSCFramingError as error:
                        del self._buffer[:]
                        raise OSCFramingError(str(error), packets) from error
                    if py_size < 0 or py_header < 0:
                        del self._buffer[:]
                        raise OSCFramingError(
                            f"invalid length header at stream offset {pos}: "
                            f"size {py_size}, header {py_header}",
                            packets,
                        )
                    if py_header == 0:
                        if py_size:
                            del self._buffer[:]
                            raise OSCFramingError(
                                f"header function gave size {py_size} with header size 0", packets)
                        if limit and available > limit + VIEW_LIMIT:
                            del self._buffer[:]
                            raise OSCPacketTooLargeError(
                                f"{available} bytes buffered without a complete header", packets
                            )
                        break
                    # Sizes past any real stream are clamped: they can only mean "wait".
                    size = min(py_size, HUGE)
                    header_size = min(py_header, HUGE)
                if limit and size > limit:
                    oversize = size
                    self.dropped += 1
                    self._skip = size
                    pos += header_size
                    if pos > total:
                        self._skip += pos - total
                        pos = total
                    continue
                if header_size + size > available:
                    break
                if size:
                    packets.append(PyBytes_FromStringAndSize(
                        <const char*>base + pos + header_size, size))
                pos += header_size + size
            if direct:
                if pos < total:
                    self._buffer += (<const char*>base)[pos:total]
            else:
                del self._buffer[:pos]
        finally:
            PyBuffer_Release(&view)
        if oversize:
            raise OSCPacketTooLargeError(
                f"packet size {oversize} exceeds the limit of {limit} bytes", packets)
        return packets


class AutoDecoder:
    """Detect the framing of a stream from its first byte, then decode it.

    ``framing`` is ``None`` until the first byte arrives, then ``"slip"`` or ``"size"``.
    """

    def __init__(self, max_packet_size=MAX_PACKET_SIZE, header=None):
        self.max_packet_size = _check_limit(max_packet_size)
        self.framing = None
        self._header = header
        self._decoder = None

    @property
    def pending(self):
        return 0 if self._decoder is None else self._decoder.pending

    @property
    def dropped(self):
        return 0 if self._decoder is None else self._decoder.dropped

    @property
    def idle(self):
        """True between packets (the detected framing is kept until :meth:`reset`)."""
        return self._decoder is None or self._decoder.idle

    def reset(self):
        if self._decoder is not None:
            self._decoder.reset()

    def feed(self, data):
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


def make_stream_decoder(framing="size", *, header=None, max_packet_size=MAX_PACKET_SIZE):
    """A stream decoder for *framing*: ``"size"`` (length header), ``"slip"`` or ``"auto"``."""
    if framing == "size":
        return HeaderDecoder(header, max_packet_size)
    if framing == "slip":
        return SlipDecoder(max_packet_size)
    if framing == "auto":
        return AutoDecoder(max_packet_size, header)
    raise ValueError(f"framing must be 'size', 'slip' or 'auto', not {framing!r}")
