# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Compiled OSC encoder/decoder: the fast twin of ``oscwire._codec_py``.

Same functions, same results and same exception types as the pure twin, which is the
specification. Decoding walks the raw buffer in place through the buffer protocol, with
a hand-written bounds check before every read (tinyosc/liblo style), and builds the
Python objects once. Encoding writes into a C buffer (on the stack for usual packets)
and makes one bytearray at the end. Uncommon value types and every error are handed to
the pure twin's helpers, so that both twins accept, reject and word things alike.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_FromStringAndSize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_FromDouble
from cpython.long cimport PyLong_FromLong, PyLong_FromLongLong, PyLong_FromUnsignedLong
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.tuple cimport PyTuple_New
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.float cimport FLT_MAX
from libc.math cimport isinf
from libc.string cimport memchr, memcpy

from oscwire import _codec_py as _spec
from oscwire._codec_oob import (
    DEFAULT_OPTIONS,
    decode_wrapped,
    dump_value,
    encode_wrapped,
    parse_options,
)
from oscwire._errors import OSCInvalidDataError, OSCInvalidRawError, OSCUnknownTypetagError
from oscwire._types import (
    OSC_IMMEDIATELY,
    OSC_INFINITUM,
    OSCbang,
    OSCBundle,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
)

cdef extern from *:
    """
    #if PY_VERSION_HEX < 0x030B0000
    #define OSCW_PACK4(x, p) _PyFloat_Pack4((x), (unsigned char *)(p), 0)
    #define OSCW_PACK8(x, p) _PyFloat_Pack8((x), (unsigned char *)(p), 0)
    #define OSCW_UNPACK4(p) _PyFloat_Unpack4((const unsigned char *)(p), 0)
    #define OSCW_UNPACK8(p) _PyFloat_Unpack8((const unsigned char *)(p), 0)
    #else
    #define OSCW_PACK4(x, p) PyFloat_Pack4((x), (char *)(p), 0)
    #define OSCW_PACK8(x, p) PyFloat_Pack8((x), (char *)(p), 0)
    #define OSCW_UNPACK4(p) PyFloat_Unpack4((const char *)(p), 0)
    #define OSCW_UNPACK8(p) PyFloat_Unpack8((const char *)(p), 0)
    #endif

    /* A named tuple (a tuple subclass without __dict__) built without calling
       its Python-level __new__: allocate through the type, fill the slots. */
    static PyObject *oscw_ntuple(PyObject *type, Py_ssize_t n) {
        PyTypeObject *tp = (PyTypeObject *)type;
        return tp->tp_alloc(tp, n);
    }
    static void oscw_set(PyObject *tuple, Py_ssize_t i, PyObject *value) {
        Py_INCREF(value);
        PyTuple_SET_ITEM(tuple, i, value);
    }
    static int oscw_is_ascii(PyObject *s) { return PyUnicode_IS_ASCII(s); }
    /* True when the ASCII str s holds exactly the n bytes at p. */
    static int oscw_ascii_equals(PyObject *s, const unsigned char *p, Py_ssize_t n) {
        return PyUnicode_IS_ASCII(s) && PyUnicode_GET_LENGTH(s) == n
            && memcmp(PyUnicode_1BYTE_DATA(s), p, (size_t)n) == 0;
    }
    """
    int OSCW_PACK4(double x, unsigned char *p) except -1
    int OSCW_PACK8(double x, unsigned char *p) except -1
    double OSCW_UNPACK4(const unsigned char *p) except? -1.0
    double OSCW_UNPACK8(const unsigned char *p) except? -1.0
    object oscw_ntuple(object type, Py_ssize_t n)
    void oscw_set(object tuple, Py_ssize_t i, object value)
    int oscw_is_ascii(object s)
    int oscw_ascii_equals(object s, const unsigned char *p, Py_ssize_t n)

cdef extern from "Python.h":
    const char *PyUnicode_AsUTF8AndSize(object s, Py_ssize_t *size) except NULL
    object PyUnicode_DecodeUTF8(const char *s, Py_ssize_t size, const char *errors)
    object PyUnicode_DecodeASCII(const char *s, Py_ssize_t size, const char *errors)
    bint PyUnicode_CheckExact(object o)
    bint PyUnicode_Check(object o)
    bint PyLong_CheckExact(object o)
    bint PyFloat_CheckExact(object o)
    bint PyBytes_CheckExact(object o)
    bint PyByteArray_CheckExact(object o)
    bint PyList_CheckExact(object o)
    bint PyTuple_CheckExact(object o)
    bint PyList_Check(object o)
    bint PyTuple_Check(object o)
    char *PyByteArray_AS_STRING(object o)
    Py_ssize_t PyByteArray_GET_SIZE(object o)
    long long PyLong_AsLongLongAndOverflow(object o, int *overflow) except? -1
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    Py_ssize_t PyObject_Length(object o) except -1

# Module-level caches of the types and constants used on every call.
cdef object _Message = OSCMessage
cdef object _Bundle = OSCBundle
cdef object _Timetag = OSCtimetag
cdef object _Rgba = OSCrgba
cdef object _Midi = OSCmidi
cdef object _Bang = OSCbang
cdef object _Immediately = OSC_IMMEDIATELY
cdef object _Infinitum = OSC_INFINITUM
cdef object _InvalidRaw = OSCInvalidRawError
cdef object _InvalidData = OSCInvalidDataError
cdef object _UnknownTag = OSCUnknownTypetagError
cdef object _DefaultOptions = DEFAULT_OPTIONS
cdef object _encode_tagged = _spec._encode_tagged
cdef object _auto_tag = _spec._auto_tag
cdef object _bad = _spec._bad
cdef object _where = _spec._where
cdef object _path_text = _spec._path_text
cdef object _check_address = _spec._check_address
cdef object _encode_timetag = _spec._encode_timetag

cdef enum:
    STACK_BYTES = 4096
    TAG_STACK_BYTES = 128

cdef int64_t INT32_MIN = -(<int64_t>1 << 31)
cdef int64_t INT32_MAX = (<int64_t>1 << 31) - 1


@cython.final
cdef class _Opts:
    """The options of one call, as C fields (built from a CodecOptions)."""

    cdef object py
    cdef bint is_default
    cdef bint str_encode_utf8
    cdef bint str_decode_utf8
    cdef bint char_latin1_decode
    cdef bint char_latin1_encode
    cdef bint char_osc4py3
    cdef object restrict
    cdef bint check_addrpattern
    cdef object compression
    cdef object decompression
    cdef bint force_typetags
    cdef bint blob_bytes
    cdef Py_ssize_t max_bundle_depth
    cdef Py_ssize_t max_array_depth
    cdef bint dump_values
    cdef tuple str_encode
    cdef tuple str_decode


cdef _Opts _make_opts(object options):
    cdef _Opts o = _Opts.__new__(_Opts)
    o.py = options
    o.is_default = options is _DefaultOptions
    o.str_encode_utf8 = options.str_encode_utf8
    o.str_decode_utf8 = options.str_decode_utf8
    o.str_encode = tuple(options.str_encode)
    o.str_decode = tuple(options.str_decode)
    o.char_latin1_decode = options.char_decode == "latin-1"
    o.char_latin1_encode = options.char_encode == "latin-1"
    o.char_osc4py3 = options.char_osc4py3
    o.restrict = options.restrict
    o.check_addrpattern = options.check_addrpattern
    o.compression = options.compression
    o.decompression = options.decompression
    o.force_typetags = options.force_typetags
    o.blob_bytes = options.blob_bytes
    o.max_bundle_depth = options.max_bundle_depth
    o.max_array_depth = options.max_array_depth
    o.dump_values = options.dump_values
    return o


cdef _Opts _DEFAULT = _make_opts(DEFAULT_OPTIONS)


# ------------------------------------------------------------------------------ decoding


cdef inline uint32_t _u32(const unsigned char *p) noexcept nogil:
    return ((<uint32_t>p[0]) << 24) | ((<uint32_t>p[1]) << 16) | ((<uint32_t>p[2]) << 8) | p[3]


cdef inline uint64_t _u64(const unsigned char *p) noexcept nogil:
    return ((<uint64_t>_u32(p)) << 32) | _u32(p + 4)


cdef object _raw(str message, Py_ssize_t offset):
    return _InvalidRaw(f"{message} (at offset {offset})")


cdef object _blob(object raw, const unsigned char *b, Py_ssize_t start, Py_ssize_t stop, _Opts o):
    """A blob: a zero-copy memoryview slice of the packet (bytes with ``blob_bytes``)."""
    if o.blob_bytes:
        return PyBytes_FromStringAndSize(<const char *>b + start, stop - start)
    view = memoryview(raw)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view[start:stop]


cdef object _decode_text(
    const unsigned char *b, Py_ssize_t start, Py_ssize_t stop, _Opts o, str what
):
    try:
        if o.str_decode_utf8:
            return PyUnicode_DecodeUTF8(<const char *>b + start, stop - start, NULL)
        return PyBytes_FromStringAndSize(<const char *>b + start, stop - start).decode(
            *o.str_decode
        )
    except UnicodeDecodeError as error:
        raise _raw(f"{what} cannot be decoded ({error.reason})", start + error.start) from None


cdef object _decode_value(
    char tag, object raw, const unsigned char *b, Py_ssize_t *pp, Py_ssize_t end, _Opts o,
    Py_ssize_t tag_offset
):
    """Decode the (non-array) argument *tag* at *pp[0], advancing it."""
    cdef Py_ssize_t p = pp[0]
    cdef Py_ssize_t stop, nxt
    cdef int32_t size
    cdef const unsigned char *nulp
    cdef unsigned char code
    if tag == b"i":
        if p + 4 > end:
            raise _raw("int32 argument is truncated", p)
        pp[0] = p + 4
        return PyLong_FromLong(<int32_t>_u32(b + p))
    if tag == b"f":
        if p + 4 > end:
            raise _raw("float32 argument is truncated", p)
        pp[0] = p + 4
        return PyFloat_FromDouble(OSCW_UNPACK4(b + p))
    if tag == b"s" or tag == b"S":
        if p >= end:
            raise _raw("string argument is missing", p)
        nulp = <const unsigned char *>memchr(b + p, 0, end - p)
        if nulp == NULL:
            raise _raw("string argument is not NUL-terminated before the end of its data", p)
        stop = nulp - b
        nxt = (stop & ~3) + 4
        if nxt > end:
            raise _raw("string argument padding runs past the end of its data", p)
        value = _decode_text(b, p, stop, o, "string argument")
        pp[0] = nxt
        return value
    if tag == b"b":
        if p + 4 > end:
            raise _raw("blob size is truncated", p)
        size = <int32_t>_u32(b + p)
        if size < 0:
            raise _raw(f"blob size {size} is negative", p)
        stop = p + 4 + size
        if stop + (-size & 3) > end:
            raise _raw(f"blob size {size} runs past the end of the message", p)
        pp[0] = stop + (-size & 3)
        return _blob(raw, b, p + 4, stop, o)
    if tag == b"T":
        return True
    if tag == b"F":
        return False
    if tag == b"N":
        return None
    if tag == b"I":
        return _Infinitum
    if tag == b"h":
        if p + 8 > end:
            raise _raw("int64 argument is truncated", p)
        pp[0] = p + 8
        return PyLong_FromLongLong(<int64_t>_u64(b + p))
    if tag == b"d":
        if p + 8 > end:
            raise _raw("float64 argument is truncated", p)
        pp[0] = p + 8
        return PyFloat_FromDouble(OSCW_UNPACK8(b + p))
    if tag == b"t":
        if p + 8 > end:
            raise _raw("time tag argument is truncated", p)
        value = oscw_ntuple(_Timetag, 2)
        oscw_set(value, 0, PyLong_FromUnsignedLong(_u32(b + p)))
        oscw_set(value, 1, PyLong_FromUnsignedLong(_u32(b + p + 4)))
        pp[0] = p + 8
        return value
    if tag == b"c":
        if p + 4 > end:
            raise _raw("char argument is truncated", p)
        if b[p] == 0 and b[p + 1] == 0 and b[p + 2] == 0:
            code = b[p + 3]
        elif b[p + 1] == 0 and b[p + 2] == 0 and b[p + 3] == 0:
            code = b[p]
        else:
            raise _raw("char argument has a value outside 0..255", p)
        pp[0] = p + 4
        if o.char_latin1_decode:
            return chr(code)
        return bytes((code,)).decode(o.py.char_decode, "replace")
    if tag == b"r" or tag == b"m":
        if p + 4 > end:
            raise _raw("rgba/midi argument is truncated", p)
        value = oscw_ntuple(_Rgba if tag == b"r" else _Midi, 4)
        oscw_set(value, 0, PyLong_FromLong(b[p]))
        oscw_set(value, 1, PyLong_FromLong(b[p + 1]))
        oscw_set(value, 2, PyLong_FromLong(b[p + 2]))
        oscw_set(value, 3, PyLong_FromLong(b[p + 3]))
        pp[0] = p + 4
        return value
    raise _UnknownTag(f"unknown type tag {chr(<unsigned char>tag)!r} (at offset {tag_offset})")


# Decoded type tag strings, reused when the same tags come again (most streams repeat a
# few signatures): saves making a new str per message. Slot chosen by a cheap hash.
cdef list _TAGS_CACHE = [None] * 64


cdef object _typetags_str(const unsigned char *p, Py_ssize_t n):
    cdef Py_ssize_t slot = (n * 7 + p[n - 1] + p[n // 2] * 3) & 63
    cached = _TAGS_CACHE[slot]
    if cached is not None and oscw_ascii_equals(cached, p, n):
        return cached
    text = PyUnicode_DecodeASCII(<const char *>p, n, NULL)
    _TAGS_CACHE[slot] = text
    return text


cdef object _decode_message(
    object raw, const unsigned char *b, Py_ssize_t pos, Py_ssize_t end, _Opts o
):
    cdef const unsigned char *nulp
    cdef Py_ssize_t nul, p, tpos, tnul, ntags, i
    cdef char tag
    cdef int32_t key
    cdef bint dumping = o.dump_values
    cdef object restrict = o.restrict
    nulp = <const unsigned char *>memchr(b + pos, 0, end - pos)
    if nulp == NULL:
        raise _raw("address is not NUL-terminated before the end of the message", pos)
    nul = nulp - b
    p = (nul & ~3) + 4
    if p > end:
        raise _raw("address padding runs past the end of the message", pos)
    addr = _decode_text(b, pos, nul, o, "address")
    if not o.is_default:
        if o.decompression is not None and addr == "/":
            if p + 4 > end:
                raise _raw("compressed address key is truncated", p)
            key = <int32_t>_u32(b + p)
            addr = o.decompression.get(key)
            if addr is None:
                raise _raw(f"compressed address key {key} is not in addrpattern_decompression", p)
            p += 4
        if o.check_addrpattern:
            _check_address(addr, pos)
    if p < end and b[p] == 44:  # ','
        tpos = p
        nulp = <const unsigned char *>memchr(b + p, 0, end - p)
        if nulp == NULL:
            raise _raw("type tag string is not NUL-terminated before the end of the message", p)
        tnul = nulp - b
        p = (tnul & ~3) + 4
        if p > end:
            raise _raw("type tag string padding runs past the end of the message", tpos)
    else:
        if o.force_typetags:
            raise _raw(f"message {addr!r} has no type tag string", p)
        if p != end:
            raise _raw(f"message {addr!r} has data but no type tag string", p)
        msg = oscw_ntuple(_Message, 3)
        oscw_set(msg, 0, addr)
        oscw_set(msg, 1, ",")
        oscw_set(msg, 2, ())
        return msg
    ntags = tnul - tpos - 1
    cdef const char *tags = <const char *>b + tpos + 1
    cdef list stack
    cdef list items
    if (
        memchr(tags, 91, ntags) == NULL
        and memchr(tags, 93, ntags) == NULL
        and restrict is None
        and not dumping
    ):
        # The usual case: no arrays, no options; fill the arguments tuple in place.
        args = PyTuple_New(ntags)
        for i in range(ntags):
            value = _decode_value(tags[i], raw, b, &p, end, o, tpos + 1 + i)
            oscw_set(args, i, value)
    else:
        stack = []
        items = []
        for i in range(ntags):
            tag = tags[i]
            if restrict is not None and tag != b"[" and tag != b"]":
                if <unsigned char>tag not in restrict:
                    raise _UnknownTag(
                        f"type tag {chr(<unsigned char>tag)!r} is not allowed by"
                        f" restrict_typetags (at offset {tpos + 1 + i})"
                    )
            if tag == b"[":
                if len(stack) >= o.max_array_depth:
                    raise _raw(
                        f"arrays nested deeper than {o.max_array_depth} levels", tpos + 1 + i
                    )
                stack.append(items)
                items = []
                continue
            if tag == b"]":
                if not stack:
                    raise _raw("']' closes no array", tpos + 1 + i)
                value = tuple(items)
                items = stack.pop()
                items.append(value)
                continue
            value = _decode_value(tag, raw, b, &p, end, o, tpos + 1 + i)
            items.append(value)
            if dumping:
                dump_value(value, o.py)
        if stack:
            raise _raw("'[' without a matching ']'", tpos)
        args = tuple(items)
    if p != end:
        raise _raw(f"{end - p} bytes left over after the arguments of message {addr!r}", p)
    msg = oscw_ntuple(_Message, 3)
    oscw_set(msg, 0, addr)
    oscw_set(msg, 1, _typetags_str(b + tpos, tnul - tpos))
    oscw_set(msg, 2, args)
    return msg


cdef object _decode_bundle(
    object raw, const unsigned char *b, Py_ssize_t pos, Py_ssize_t end, _Opts o, Py_ssize_t depth
):
    cdef uint32_t sec, frac
    cdef Py_ssize_t p, stop
    cdef int32_t size
    cdef list elements = []
    if depth > o.max_bundle_depth:
        raise _raw(f"bundles nested deeper than {o.max_bundle_depth} levels", pos)
    if end - pos < 16:
        raise _raw("bundle time tag is truncated", pos)
    sec = _u32(b + pos + 8)
    frac = _u32(b + pos + 12)
    if sec == 0 and frac <= 1:
        timetag = _Immediately
    else:
        timetag = oscw_ntuple(_Timetag, 2)
        oscw_set(timetag, 0, PyLong_FromUnsignedLong(sec))
        oscw_set(timetag, 1, PyLong_FromUnsignedLong(frac))
    p = pos + 16
    while p < end:
        size = <int32_t>_u32(b + p)
        if size <= 0 or size & 3:
            raise _raw(f"bundle element size {size} is not a positive multiple of 4", p)
        stop = p + 4 + size
        if stop > end:
            raise _raw(f"bundle element size {size} runs past the end of the bundle", p)
        if b[p + 4] == 47:  # '/'
            elements.append(_decode_message(raw, b, p + 4, stop, o))
        elif b[p + 4] == 35 and size >= 8 and memcmp8(b + p + 4):
            elements.append(_decode_bundle(raw, b, p + 4, stop, o, depth + 1))
        else:
            raise _raw("bundle element is neither a message nor a bundle", p + 4)
        p = stop
    bundle = oscw_ntuple(_Bundle, 2)
    oscw_set(bundle, 0, timetag)
    oscw_set(bundle, 1, tuple(elements))
    return bundle


cdef inline bint memcmp8(const unsigned char *p) noexcept nogil:
    return (
        p[0] == 35 and p[1] == 98 and p[2] == 117 and p[3] == 110
        and p[4] == 100 and p[5] == 108 and p[6] == 101 and p[7] == 0
    )


cdef object _decode(object raw, _Opts o):
    cdef Py_buffer view
    cdef const unsigned char *b
    cdef Py_ssize_t size
    if PyBytes_CheckExact(raw):
        b = <const unsigned char *>PyBytes_AS_STRING(raw)
        size = PyBytes_GET_SIZE(raw)
        return _decode_buffer(raw, b, size, o)
    try:
        PyObject_GetBuffer(raw, &view, PyBUF_SIMPLE)
    except BufferError:
        raise TypeError("decode_packet needs a contiguous buffer") from None
    except TypeError:
        raise TypeError(
            f"decode_packet needs a bytes-like object, not {type(raw).__name__}"
        ) from None
    try:
        return _decode_buffer(raw, <const unsigned char *>view.buf, view.len, o)
    finally:
        PyBuffer_Release(&view)


cdef object _decode_buffer(object raw, const unsigned char *b, Py_ssize_t size, _Opts o):
    if size == 0 or size & 3:
        raise _raw(f"packet size {size} is not a positive multiple of 4", 0)
    if b[0] == 47:
        return _decode_message(raw, b, 0, size, o)
    if b[0] == 35 and size >= 8 and memcmp8(b):
        return _decode_bundle(raw, b, 0, size, o, 1)
    raise _raw("packet is neither a message ('/') nor a bundle ('#bundle')", 0)


def _decode_core(raw, options):
    """Decode with parsed CodecOptions (used by the oob wrappers)."""
    return _decode(raw, _make_opts(options))


def decode_packet(raw, oob=None):
    """Decode one OSC packet (bytes, bytearray or memoryview) into an OSCMessage/OSCBundle.

    Raises an :class:`OSCInvalidRawError` (or :class:`OSCUnknownTypetagError`) that says
    what is wrong and at which offset when *raw* is not a valid packet.
    """
    if oob:
        options = parse_options(oob)
        if options.wrapped:
            return decode_wrapped(_decode_core, raw, oob, options)
        return _decode(raw, _make_opts(options))
    return _decode(raw, _DEFAULT)


# ------------------------------------------------------------------------------ encoding


cdef struct Buf:
    unsigned char *data
    Py_ssize_t size
    Py_ssize_t cap
    bint heap


cdef int _grow(Buf *w, Py_ssize_t need) except -1:
    cdef Py_ssize_t cap = w.cap * 2
    cdef unsigned char *data
    while cap < w.size + need:
        cap *= 2
    if w.heap:
        data = <unsigned char *>PyMem_Realloc(w.data, cap)
        if data == NULL:
            raise MemoryError()
    else:
        data = <unsigned char *>PyMem_Malloc(cap)
        if data == NULL:
            raise MemoryError()
        memcpy(data, w.data, w.size)
        w.heap = True
    w.data = data
    w.cap = cap
    return 0


cdef inline unsigned char *_reserve(Buf *w, Py_ssize_t n) except NULL:
    cdef unsigned char *at
    if w.size + n > w.cap:
        _grow(w, n)
    at = w.data + w.size
    w.size += n
    return at


cdef inline void _put32(unsigned char *p, uint32_t v) noexcept nogil:
    p[0] = <unsigned char>(v >> 24)
    p[1] = <unsigned char>(v >> 16)
    p[2] = <unsigned char>(v >> 8)
    p[3] = <unsigned char>v


cdef inline int _write(Buf *w, const void *data, Py_ssize_t n) except -1:
    memcpy(_reserve(w, n), data, n)
    return 0


cdef inline int _write_padded(Buf *w, const void *data, Py_ssize_t n) except -1:
    """Write an OSC-string body: the bytes, then 1 to 4 NULs up to a multiple of 4."""
    cdef Py_ssize_t total = (n & ~3) + 4
    cdef unsigned char *at = _reserve(w, total)
    # Zero the last word first: the copy then overwrites what is not padding.
    at[total - 4] = 0
    at[total - 3] = 0
    at[total - 2] = 0
    at[total - 1] = 0
    memcpy(at, data, n)
    return 0


cdef inline int _write_blob(Buf *w, const void *data, Py_ssize_t n) except -1:
    cdef Py_ssize_t total = 4 + ((n + 3) & ~3)
    cdef unsigned char *at = _reserve(w, total)
    at[total - 1] = 0
    at[total - 2] = 0
    at[total - 3] = 0
    _put32(at, <uint32_t>n)
    memcpy(at + 4, data, n)
    return 0


cdef int _slow_value(Buf *w, str tag, object value, tuple path, _Opts o) except -1:
    """Encode through the pure twin (uncommon types, and every error)."""
    out = bytearray()
    _encode_tagged(out, tag, value, path, o.py)
    _write(w, PyByteArray_AS_STRING(out), PyByteArray_GET_SIZE(out))
    return 0


cdef int _encode_value(Buf *w, char tag, object value, tuple prefix, Py_ssize_t index, _Opts o) except -1:
    cdef long long number
    cdef double number_d
    cdef int overflow = 0
    cdef unsigned char *at
    cdef const char *text
    cdef Py_ssize_t size
    if tag == b"i":
        if PyLong_CheckExact(value):
            number = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow == 0 and INT32_MIN <= number <= INT32_MAX:
                _put32(_reserve(w, 4), <uint32_t>number)
                return 0
    elif tag == b"f":
        if PyFloat_CheckExact(value):
            number_d = PyFloat_AS_DOUBLE(value)
            # Values that round beyond float32 go the slow way, which raises.
            if -FLT_MAX <= number_d <= FLT_MAX or number_d != number_d or isinf(number_d):
                OSCW_PACK4(number_d, _reserve(w, 4))
                return 0
    elif tag == b"s" or tag == b"S":
        if PyUnicode_CheckExact(value) and o.str_encode_utf8:
            try:
                text = PyUnicode_AsUTF8AndSize(value, &size)
            except UnicodeError:
                pass
            else:
                if memchr(text, 0, size) == NULL:
                    _write_padded(w, text, size)
                    return 0
    elif tag == b"b":
        if PyBytes_CheckExact(value):
            _write_blob(w, PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value))
            return 0
        if PyByteArray_CheckExact(value):
            _write_blob(w, PyByteArray_AS_STRING(value), PyByteArray_GET_SIZE(value))
            return 0
    elif tag == b"T" or tag == b"F" or tag == b"N" or tag == b"I":
        return 0
    elif tag == b"h":
        if PyLong_CheckExact(value):
            number = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow == 0:
                at = _reserve(w, 8)
                _put32(at, <uint32_t>(<uint64_t>number >> 32))
                _put32(at + 4, <uint32_t>(<uint64_t>number))
                return 0
    elif tag == b"d":
        if PyFloat_CheckExact(value):
            OSCW_PACK8(PyFloat_AS_DOUBLE(value), _reserve(w, 8))
            return 0
    elif tag == b"t":
        if type(value) is _Timetag:
            sec = (<tuple>value)[0]
            frac = (<tuple>value)[1]
            if PyLong_CheckExact(sec) and PyLong_CheckExact(frac):
                if 0 <= sec <= 0xFFFFFFFF and 0 <= frac <= 0xFFFFFFFF:
                    at = _reserve(w, 8)
                    _put32(at, <uint32_t>(<uint64_t>sec))
                    _put32(at + 4, <uint32_t>(<uint64_t>frac))
                    return 0
    elif tag == b"c":
        if PyUnicode_CheckExact(value) and o.char_latin1_encode:
            if PyUnicode_GET_LENGTH(value) == 1 and ord(value) < 256:
                at = _reserve(w, 4)
                at[0] = at[1] = at[2] = at[3] = 0
                at[0 if o.char_osc4py3 else 3] = <unsigned char>ord(value)
                return 0
    elif tag == b"r" or tag == b"m":
        if type(value) is _Rgba or type(value) is _Midi:
            at = _reserve(w, 4)
            try:
                for size in range(4):
                    item = (<tuple>value)[size]
                    if not PyLong_CheckExact(item) or not 0 <= item <= 255:
                        raise ValueError
                    at[size] = <unsigned char>(<long>item)
                return 0
            except ValueError:
                w.size -= 4
    return _slow_value(w, chr(<unsigned char>tag), value, prefix + (index,), o)


cdef Py_ssize_t _encode_explicit(
    Buf *w, const char *tags, Py_ssize_t ntags, Py_ssize_t ti, object seq,
    tuple prefix, Py_ssize_t depth, _Opts o, str addr
) except -1:
    """Encode *seq* as tags[ti:], up to the matching ']' (or the end at depth 0).

    Returns the index of the tag after the closing ']' (or *ntags*).
    """
    cdef Py_ssize_t index = 0
    cdef Py_ssize_t count = len(seq)
    cdef char tag
    cdef object restrict = o.restrict
    cdef double number_d
    cdef float single
    cdef uint32_t word
    cdef long long number
    cdef int overflow = 0
    while ti < ntags:
        tag = tags[ti]
        if tag == b"]":
            if depth == 0:
                raise _InvalidData(f"type tags of {addr!r}: ']' closes no array")
            if index != count:
                raise _InvalidData(
                    f"type tags of {addr!r}: array has {count} items, tags describe {index}"
                )
            return ti + 1
        if index >= count:
            raise _InvalidData(
                f"type tags of {addr!r} describe more arguments than given"
                f" (argument {_path_text(prefix + (index,))} is missing)"
            )
        value = seq[index]
        if tag == b"[":
            if depth >= o.max_array_depth:
                raise _bad(prefix + (index,), value, f"arrays nested deeper than {o.max_array_depth} levels")
            if not (PyList_Check(value) or PyTuple_Check(value)):
                raise _bad(prefix + (index,), value, "'[' needs a list or tuple")
            ti = _encode_explicit(w, tags, ntags, ti + 1, value, prefix + (index,), depth + 1, o, addr)
            index += 1
            continue
        if restrict is not None and <unsigned char>tag not in restrict:
            raise _UnknownTag(
                f"type tag {chr(<unsigned char>tag)!r} is not allowed by restrict_typetags"
                f" ({_where(prefix + (index,), value)})"
            )
        # Inline fast paths for the commonest arguments (long runs of floats or ints in
        # sensor and mixer messages); anything unusual goes through _encode_value.
        if tag == b"f" and PyFloat_CheckExact(value):
            number_d = PyFloat_AS_DOUBLE(value)
            if -FLT_MAX <= number_d <= FLT_MAX:  # finite, and float32 can hold it
                single = <float>number_d  # the rounding PyFloat_Pack4 does
                memcpy(&word, &single, 4)
                _put32(_reserve(w, 4), word)
                index += 1
                ti += 1
                continue
        elif tag == b"i" and PyLong_CheckExact(value):
            number = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow == 0 and INT32_MIN <= number <= INT32_MAX:
                _put32(_reserve(w, 4), <uint32_t>number)
                index += 1
                ti += 1
                continue
        _encode_value(w, tag, value, prefix, index, o)
        index += 1
        ti += 1
    if depth > 0:
        raise _InvalidData(f"type tags of {addr!r}: '[' without a matching ']'")
    if index != count:
        raise _InvalidData(f"message {addr!r} has {count} arguments, its type tags describe {index}")
    return ti


cdef int _auto_tags(Buf *t, object args, tuple prefix, Py_ssize_t depth, _Opts o) except -1:
    """Append the type tags auto-typing gives *args* (no encoding yet)."""
    cdef Py_ssize_t index = 0
    cdef long long number
    cdef int overflow
    cdef unsigned char tag
    for value in args:
        kind = type(value)
        if kind is int:
            number = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow:
                raise _bad(prefix + (index,), value, "integer outside the int64 range")
            tag = b"i" if INT32_MIN <= number <= INT32_MAX else b"h"
        elif kind is float:
            tag = b"f"
        elif kind is str:
            tag = b"s"
        elif kind is bool:
            tag = b"T" if value is True else b"F"
        elif value is None:
            tag = b"N"
        elif kind is bytes or kind is bytearray or kind is memoryview:
            tag = b"b"
        elif kind is _Timetag:
            tag = b"t"
        elif kind is _Rgba:
            tag = b"r"
        elif kind is _Midi:
            tag = b"m"
        elif kind is _Bang:
            tag = b"I"
        elif kind is list or kind is tuple:
            tag = b"["
        else:
            stag = _auto_tag(value)
            if not stag:
                raise _bad(prefix + (index,), value, "no OSC type for this Python type")
            tag = ord(stag)
        if tag == b"[":
            if depth >= o.max_array_depth:
                raise _bad(prefix + (index,), value, f"arrays nested deeper than {o.max_array_depth}")
            _reserve(t, 1)[0] = b"["
            _auto_tags(t, value, prefix + (index,), depth + 1, o)
            _reserve(t, 1)[0] = b"]"
        else:
            _reserve(t, 1)[0] = tag
        index += 1
    return 0


cdef int _encode_message(Buf *w, object message, _Opts o) except -1:
    cdef const char *text
    cdef Py_ssize_t size
    cdef unsigned char *at
    cdef Buf t
    cdef unsigned char tag_stack[TAG_STACK_BYTES]
    if type(message) is _Message:
        addr = (<tuple>message)[0]
        typetags = (<tuple>message)[1]
        args = (<tuple>message)[2]
    else:
        try:
            addr, typetags, args = message
        except (TypeError, ValueError):
            raise _InvalidData(
                "a message must be an OSCMessage(addrpattern, typetags, arguments),"
                f" not {message!r}"
            ) from None
    if not PyUnicode_Check(addr):
        raise _InvalidData(f"address pattern must be a str, not {type(addr).__name__}")
    if type(addr) is not str:
        # A str subclass (a StrEnum address): its plain text, as the pure twin encodes it.
        addr = str.__str__(addr)
    if PyUnicode_GET_LENGTH(addr) == 0 or (<str>addr)[0] != "/":
        raise _InvalidData(f"address pattern {addr!r} does not start with '/'")
    if args is None:
        args = ()
    key = None
    if o.str_encode_utf8 and o.is_default:
        try:
            text = PyUnicode_AsUTF8AndSize(addr, &size)
        except UnicodeError as error:
            if "\0" in addr:
                raise _InvalidData(f"address pattern {addr!r} contains a NUL character") from None
            if not (PyList_Check(args) or PyTuple_Check(args)):
                raise _InvalidData(
                    f"arguments of {addr!r} must be a list or tuple, not {type(args).__name__}"
                ) from None
            raise _InvalidData(f"address pattern {addr!r}: {error}") from None
        if memchr(text, 0, size) != NULL:
            raise _InvalidData(f"address pattern {addr!r} contains a NUL character")
        if not (PyList_Check(args) or PyTuple_Check(args)):
            raise _InvalidData(
                f"arguments of {addr!r} must be a list or tuple, not {type(args).__name__}"
            )
        _write_padded(w, text, size)
    else:
        if "\0" in addr:
            raise _InvalidData(f"address pattern {addr!r} contains a NUL character")
        if not (PyList_Check(args) or PyTuple_Check(args)):
            raise _InvalidData(
                f"arguments of {addr!r} must be a list or tuple, not {type(args).__name__}"
            )
        if o.check_addrpattern:
            for name in addr.split("/"):
                for char in name:
                    if not char.isprintable() or char in " #*,/?[]{}":
                        raise _InvalidData(
                            f"address {addr!r} contains the invalid character {char!r}"
                        )
        if o.compression is not None:
            key = o.compression.get(addr)
        if key is not None:
            _write(w, b"/\0\0\0", 4)
            try:
                data = _spec._pack_i(key)
            except Exception as error:
                raise _InvalidData(f"compression key {key!r} of {addr!r}: {error}") from None
            _write(w, PyBytes_AS_STRING(data), 4)
        else:
            try:
                if o.str_encode_utf8:
                    data = addr.encode()
                else:
                    data = addr.encode(*o.str_encode)
            except (UnicodeError, LookupError) as error:
                raise _InvalidData(f"address pattern {addr!r}: {error}") from None
            _write_padded(w, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
    if typetags:
        if not PyUnicode_Check(typetags):
            raise _InvalidData(
                f"type tags of {addr!r} must be a str, not {type(typetags).__name__}"
            )
        if not oscw_is_ascii(typetags):
            raise _UnknownTag(f"type tags {typetags!r} of {addr!r} are not ASCII")
        text = PyUnicode_AsUTF8AndSize(typetags, &size)
        if text[0] == b",":
            text += 1
            size -= 1
        at = _reserve(w, (size + 1 & ~3) + 4)
        at[0] = b","
        memcpy(at + 1, text, size)
        for i in range(size + 1, (size + 1 & ~3) + 4):
            at[i] = 0
        _encode_explicit(w, text, size, 0, args, (), 0, o, addr)
        return 0
    t.data = tag_stack
    t.size = 0
    t.cap = TAG_STACK_BYTES
    t.heap = False
    try:
        _reserve(&t, 1)[0] = b","
        _auto_tags(&t, args, (), 0, o)
        size = t.size
        at = _reserve(w, (size & ~3) + 4)
        memcpy(at, t.data, size)
        for i in range(size, (size & ~3) + 4):
            at[i] = 0
        _encode_explicit(w, <const char *>t.data + 1, size - 1, 0, args, (), 0, o, addr)
    finally:
        if t.heap:
            PyMem_Free(t.data)
    return 0


cdef int _encode_bundle(Buf *w, object bundle, _Opts o, Py_ssize_t depth) except -1:
    cdef Py_ssize_t at, size
    if depth > o.max_bundle_depth:
        raise _InvalidData(f"bundles nested deeper than {o.max_bundle_depth} levels")
    if type(bundle) is _Bundle:
        timetag = (<tuple>bundle)[0]
        elements = (<tuple>bundle)[1]
    else:
        try:
            timetag, elements = bundle
        except (TypeError, ValueError):
            raise _InvalidData(
                f"a bundle must be an OSCBundle(timetag, elements), not {bundle!r}"
            ) from None
    if timetag is None:
        _write(w, b"#bundle\0\0\0\0\0\0\0\0\1", 16)
    else:
        try:
            head = _encode_timetag(timetag)
        except (TypeError, ValueError) as error:
            raise _InvalidData(f"bundle time tag {timetag!r}: {error}") from None
        if head == b"\0\0\0\0\0\0\0\0":
            head = b"\0\0\0\0\0\0\0\1"
        _write(w, b"#bundle\0", 8)
        _write(w, PyBytes_AS_STRING(head), 8)
    if not (PyList_Check(elements) or PyTuple_Check(elements)):
        raise _InvalidData(
            f"bundle elements must be a list or tuple, not {type(elements).__name__}"
        )
    for element in elements:
        at = w.size
        _reserve(w, 4)
        if isinstance(element, _Message):
            _encode_message(w, element, o)
        elif isinstance(element, _Bundle):
            _encode_bundle(w, element, o, depth + 1)
        else:
            raise _InvalidData(
                f"bundle element {type(element).__name__} is not an OSCMessage or OSCBundle"
            )
        size = w.size - at - 4
        if size > INT32_MAX:
            raise _InvalidData("bundle element larger than 2**31-1 bytes")
        _put32(w.data + at, <uint32_t>size)
    return 0


cdef object _encode(object packet, _Opts o):
    cdef unsigned char stack[STACK_BYTES]
    cdef Buf w
    w.data = stack
    w.size = 0
    w.cap = STACK_BYTES
    w.heap = False
    try:
        if isinstance(packet, _Message):
            _encode_message(&w, packet, o)
        elif isinstance(packet, _Bundle):
            _encode_bundle(&w, packet, o, 1)
        else:
            raise _InvalidData(
                f"packet must be an OSCMessage or OSCBundle, not {type(packet).__name__}"
            )
        return PyByteArray_FromStringAndSize(<char *>w.data, w.size)
    finally:
        if w.heap:
            PyMem_Free(w.data)


def _encode_core(packet, options):
    """Encode with parsed CodecOptions (used by the oob wrappers)."""
    return _encode(packet, _make_opts(options))


def encode_packet(packet, oob=None):
    """Encode an OSCMessage or OSCBundle into the bytes of one OSC packet (a bytearray).

    Bad Python values raise :class:`OSCInvalidDataError` naming the argument at fault.
    """
    if oob:
        options = parse_options(oob)
        if options.wrapped:
            return encode_wrapped(_encode_core, packet, oob, options)
        return _encode(packet, _make_opts(options))
    return _encode(packet, _DEFAULT)
