# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Compiled OSC encoder/decoder: the fast twin of ``oscwire._codec_py``.

Same functions, signatures, results, exception types and messages as the pure twin,
which is the specification. Decoding walks the raw buffer in place through the buffer
protocol, with a hand-written bounds check before every read (tinyosc/liblo style), and
builds the Python objects once. Encoding writes into a C buffer (on the stack for usual
packets) and makes one bytearray (or bytes) at the end. Uncommon values and every error
go to the slow paths of the neutral ``oscwire._codec_common``, shared with the pure twin,
so that both twins accept, convert, reject and word things alike.

Boundscheck is off: every sequence indexed here is a tuple snapshot (a list could shrink
while a value's conversion runs Python code), and nothing recurses (nested arrays and
bundles are walked with explicit stacks bounded by the oob depth limits).
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
from libc.string cimport memchr, memcpy, memmove

from oscwire._codec_common import (
    array_items,
    auto_tag,
    bad_value,
    check_address,
    check_address_to_send,
    decode_char,
    decode_text,
    element_size_error,
    encode_tagged,
    encode_timetag,
    encoding_error,
    pack_i,
    path_text,
    raw_error,
    restricted_tag,
    text_error,
    truncated,
)
from oscwire._codec_oob import DEFAULT_OPTIONS, decode_wrapped, encode_wrapped, parse_options
from oscwire._errors import OSCInvalidDataError, OSCMissingArgumentError, OSCUnknownTypetagError
from oscwire._types import (
    OSC_IMMEDIATELY,
    OSC_INFINITUM,
    OSCBundle,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
)

__all__ = ["bundle_new", "decode_packet", "encode_message", "encode_packet", "message_new"]

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
    /* The str of n UTF-8 bytes (a new reference), or NULL with no error set when they
       are not valid UTF-8: the caller then takes the slow path, which words the error. */
    static PyObject *oscw_utf8_or_null(const char *s, Py_ssize_t n) {
        PyObject *text = PyUnicode_DecodeUTF8(s, n, NULL);
        if (text == NULL)
            PyErr_Clear();
        return text;
    }
    /* True when t is a type object and a subtype of base (no Python-level check). */
    static int oscw_is_subtype(PyObject *t, PyObject *base) {
        return PyType_Check(t) && PyType_IsSubtype((PyTypeObject *)t, (PyTypeObject *)base);
    }
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
    int oscw_is_subtype(object t, object base)
    PyObject *oscw_utf8_or_null(const char *s, Py_ssize_t n)
    int oscw_ascii_equals(object s, const unsigned char *p, Py_ssize_t n)

cdef extern from "Python.h":
    ctypedef struct PyObject
    void Py_DecRef(PyObject *o)
    const char *PyUnicode_AsUTF8AndSize(object s, Py_ssize_t *size) except NULL
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
cdef object _Immediately = OSC_IMMEDIATELY
cdef object _Infinitum = OSC_INFINITUM
cdef object _InvalidData = OSCInvalidDataError
cdef object _UnknownTag = OSCUnknownTypetagError
cdef object _DefaultOptions = DEFAULT_OPTIONS

cdef enum:
    STACK_BYTES = 4096
    TAG_STACK_BYTES = 128
    MAX_NESTING = 257  # DEPTH_LIMIT + 1: arrays open at once, at most

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
    cdef tuple str_encode


cdef _Opts _make_opts(object options):
    cdef _Opts o = _Opts.__new__(_Opts)
    o.py = options
    o.is_default = options is _DefaultOptions
    o.str_encode_utf8 = options.str_encode_utf8
    o.str_decode_utf8 = options.str_decode_utf8
    o.str_encode = tuple(options.str_encode)
    o.char_latin1_decode = options.char_decode_latin1
    o.char_latin1_encode = options.char_encode_latin1
    o.char_osc4py3 = options.char_osc4py3
    o.restrict = options.restrict
    o.check_addrpattern = options.check_addrpattern
    o.compression = options.compression
    o.decompression = options.decompression
    o.force_typetags = options.force_typetags
    o.blob_bytes = options.blob_bytes
    o.max_bundle_depth = options.max_bundle_depth
    o.max_array_depth = options.max_array_depth
    if not 0 <= o.max_array_depth < MAX_NESTING:  # DEPTH_LIMIT and MAX_NESTING disagree
        raise ValueError(f"max_array_depth {o.max_array_depth} beyond {MAX_NESTING - 1}")
    return o


cdef _Opts _DEFAULT = _make_opts(DEFAULT_OPTIONS)


# ------------------------------------------------------------------------------ decoding


cdef inline uint32_t _u32(const unsigned char *p) noexcept nogil:
    return ((<uint32_t>p[0]) << 24) | ((<uint32_t>p[1]) << 16) | ((<uint32_t>p[2]) << 8) | p[3]


cdef inline uint64_t _u64(const unsigned char *p) noexcept nogil:
    return ((<uint64_t>_u32(p)) << 32) | _u32(p + 4)


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
    data = PyBytes_FromStringAndSize(<const char *>b + start, stop - start)
    if o.str_decode_utf8:
        try:
            return data.decode()
        except UnicodeDecodeError as error:
            raise text_error(error, what, start, o.py.str_decode) from error
    return decode_text(data, o.py, what, start)


cdef inline object _decode_utf8(
    const unsigned char *b, Py_ssize_t start, Py_ssize_t stop, _Opts o, str what
):
    """The fast path of :func:`_decode_text` (UTF-8, strict): no bytes object made, no
    exception raised and caught for valid text."""
    cdef PyObject *text
    if o.str_decode_utf8:
        text = oscw_utf8_or_null(<const char *>b + start, stop - start)
        if text != NULL:
            value = <object>text
            Py_DecRef(text)  # <object> took its own reference
            return value
    return _decode_text(b, start, stop, o, what)  # words the error


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
            raise truncated("int32 argument is truncated", p)
        pp[0] = p + 4
        return PyLong_FromLong(<int32_t>_u32(b + p))
    if tag == b"f":
        if p + 4 > end:
            raise truncated("float32 argument is truncated", p)
        pp[0] = p + 4
        return PyFloat_FromDouble(OSCW_UNPACK4(b + p))
    if tag == b"s" or tag == b"S":
        if p >= end:
            raise raw_error("string argument is missing", p)
        nulp = <const unsigned char *>memchr(b + p, 0, end - p)
        if nulp == NULL:
            raise raw_error("string argument is not NUL-terminated before the end of its data", p)
        stop = nulp - b
        nxt = (stop & ~3) + 4
        if nxt > end:
            raise raw_error("string argument padding runs past the end of its data", p)
        value = _decode_utf8(b, p, stop, o, "string argument")
        pp[0] = nxt
        return value
    if tag == b"b":
        if p + 4 > end:
            raise truncated("blob size is truncated", p)
        size = <int32_t>_u32(b + p)
        if size < 0:
            raise raw_error(f"blob size {size} is negative", p)
        stop = p + 4 + size
        if stop + (-size & 3) > end:
            raise raw_error(f"blob size {size} runs past the end of the message", p)
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
            raise truncated("int64 argument is truncated", p)
        pp[0] = p + 8
        return PyLong_FromLongLong(<int64_t>_u64(b + p))
    if tag == b"d":
        if p + 8 > end:
            raise truncated("float64 argument is truncated", p)
        pp[0] = p + 8
        return PyFloat_FromDouble(OSCW_UNPACK8(b + p))
    if tag == b"t":
        if p + 8 > end:
            raise truncated("time tag argument is truncated", p)
        value = oscw_ntuple(_Timetag, 2)
        oscw_set(value, 0, PyLong_FromUnsignedLong(_u32(b + p)))
        oscw_set(value, 1, PyLong_FromUnsignedLong(_u32(b + p + 4)))
        pp[0] = p + 8
        return value
    if tag == b"c":
        if p + 4 > end:
            raise truncated("char argument is truncated", p)
        if b[p] == 0 and b[p + 1] == 0 and b[p + 2] == 0:  # liblo's layout: the char last
            code = b[p + 3]
        elif b[p + 1] == 0 and b[p + 2] == 0 and b[p + 3] == 0:  # osc4py3's: the char first
            code = b[p]
        else:
            raise raw_error("char argument has a value outside 0..255", p)
        if o.char_latin1_decode:
            value = chr(code)
        else:
            value = decode_char(code, o.py, p)
        pp[0] = p + 4
        return value
    if tag == b"r" or tag == b"m":
        if p + 4 > end:
            raise truncated("rgba/midi argument is truncated", p)
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
    cdef object restrict = o.restrict
    nulp = <const unsigned char *>memchr(b + pos, 0, end - pos)
    if nulp == NULL:
        raise raw_error("address is not NUL-terminated before the end of the message", pos)
    nul = nulp - b
    p = (nul & ~3) + 4
    if p > end:
        raise raw_error("address padding runs past the end of the message", pos)
    addr = _decode_utf8(b, pos, nul, o, "address")
    if not o.is_default:
        if o.decompression is not None and addr == "/":
            if p + 4 > end:
                raise truncated("compressed address key is truncated", p)
            key = <int32_t>_u32(b + p)
            addr = o.decompression.get(key)
            if addr is None:
                raise raw_error(
                    f"compressed address key {key} is not in addrpattern_decompression", p
                )
            p += 4
        if o.check_addrpattern:
            check_address(addr, pos)
    if p < end and b[p] == 44:  # ','
        tpos = p
        nulp = <const unsigned char *>memchr(b + p, 0, end - p)
        if nulp == NULL:
            raise raw_error(
                "type tag string is not NUL-terminated before the end of the message", p
            )
        tnul = nulp - b
        p = (tnul & ~3) + 4
        if p > end:
            raise raw_error("type tag string padding runs past the end of the message", tpos)
    else:
        if o.force_typetags:
            raise raw_error(f"message {addr!r} has no type tag string", p)
        if p != end:
            raise raw_error(f"message {addr!r} has data but no type tag string", p)
        msg = oscw_ntuple(_Message, 3)
        oscw_set(msg, 0, addr)
        oscw_set(msg, 1, ",")
        oscw_set(msg, 2, ())
        return msg
    ntags = tnul - tpos - 1
    cdef const char *tags = <const char *>b + tpos + 1
    cdef list stack
    cdef list items
    if memchr(tags, 91, ntags) == NULL and memchr(tags, 93, ntags) == NULL and restrict is None:
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
                    raise raw_error(
                        f"arrays nested deeper than {o.max_array_depth} levels", tpos + 1 + i
                    )
                stack.append(items)
                items = []
                continue
            if tag == b"]":
                if not stack:
                    raise raw_error("']' closes no array", tpos + 1 + i)
                value = tuple(items)
                items = stack.pop()
                items.append(value)
                continue
            items.append(_decode_value(tag, raw, b, &p, end, o, tpos + 1 + i))
        if stack:
            raise raw_error("'[' without a matching ']'", tpos)
        args = tuple(items)
    if p != end:
        raise raw_error(f"{end - p} bytes left over after the arguments", p)
    msg = oscw_ntuple(_Message, 3)
    oscw_set(msg, 0, addr)
    oscw_set(msg, 1, _typetags_str(b + tpos, tnul - tpos))
    oscw_set(msg, 2, args)
    return msg


cdef object _bundle_timetag(const unsigned char *b, Py_ssize_t pos, Py_ssize_t end):
    cdef uint32_t sec, frac
    if end - pos < 16:
        raise truncated("bundle time tag is truncated", pos)
    sec = _u32(b + pos + 8)
    frac = _u32(b + pos + 12)
    if sec == 0 and frac <= 1:
        return _Immediately
    timetag = oscw_ntuple(_Timetag, 2)
    oscw_set(timetag, 0, PyLong_FromUnsignedLong(sec))
    oscw_set(timetag, 1, PyLong_FromUnsignedLong(frac))
    return timetag


cdef object _decode_bundle(
    object raw, const unsigned char *b, Py_ssize_t pos, Py_ssize_t end, _Opts o
):
    """The bundle at *pos*, its nested bundles walked with an explicit stack."""
    cdef Py_ssize_t p, stop
    cdef Py_ssize_t max_depth = o.max_bundle_depth
    cdef int32_t size
    cdef list elements = []
    cdef list stack = []  # one (elements, next offset, end, time tag) per open bundle
    cdef tuple frame
    if max_depth < 1:
        raise raw_error(f"bundles nested deeper than {max_depth} levels", pos)
    timetag = _bundle_timetag(b, pos, end)
    p = pos + 16
    while True:
        if p >= end:
            bundle = oscw_ntuple(_Bundle, 2)
            oscw_set(bundle, 0, timetag)
            oscw_set(bundle, 1, tuple(elements))
            if not stack:
                return bundle
            frame = stack.pop()
            elements = frame[0]
            p = frame[1]
            end = frame[2]
            timetag = frame[3]
            elements.append(bundle)
            continue
        size = <int32_t>_u32(b + p)
        if size <= 0 or size & 3:
            raise element_size_error(size, p)
        stop = p + 4 + size
        if stop > end:
            raise raw_error(f"bundle element size {size} runs past the end of the bundle", p)
        if b[p + 4] == 47:  # '/'
            elements.append(_decode_message(raw, b, p + 4, stop, o))
            p = stop
        elif b[p + 4] == 35 and size >= 8 and memcmp8(b + p + 4):
            if len(stack) + 2 > max_depth:
                raise raw_error(f"bundles nested deeper than {max_depth} levels", p + 4)
            inner_timetag = _bundle_timetag(b, p + 4, stop)
            stack.append((elements, stop, end, timetag))
            elements = []
            timetag = inner_timetag
            end = stop
            p += 4 + 16
        else:
            raise raw_error("bundle element is neither a message nor a bundle", p + 4)


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
        raise raw_error(f"packet size {size} is not a positive multiple of 4", 0)
    if b[0] == 47:
        return _decode_message(raw, b, 0, size, o)
    if b[0] == 35 and size >= 8 and memcmp8(b):
        return _decode_bundle(raw, b, 0, size, o)
    raise raw_error("packet is neither a message ('/') nor a bundle ('#bundle')", 0)


def _decode_core(raw, options):
    """Decode with parsed CodecOptions (used by the oob wrappers)."""
    return _decode(raw, _make_opts(options))


def decode_packet(rawoscdata, oob=None):
    """Decode one OSC packet (bytes, bytearray or memoryview) into an OSCMessage/OSCBundle.

    Raises an :class:`OSCInvalidRawError` (or :class:`OSCUnknownTypetagError`) that says
    what is wrong and at which offset when *rawoscdata* is not a valid packet.
    """
    if oob:
        options = parse_options(oob)
        if options.wrapped:
            return decode_wrapped(_decode_core, rawoscdata, oob, options)
        return _decode(rawoscdata, _make_opts(options))
    return _decode(rawoscdata, _DEFAULT)


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


cdef inline void _put64(unsigned char *p, uint64_t v) noexcept nogil:
    _put32(p, <uint32_t>(v >> 32))
    _put32(p + 4, <uint32_t>v)


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


cdef int _write_tags(
    Buf *w, Py_ssize_t at, Py_ssize_t room, const unsigned char *tags, Py_ssize_t n
) except -1:
    """Write the type tag string *tags* (with its ',', n bytes) in the *room* bytes kept
    for it at offset *at* of *w*, in front of the arguments written since.

    The auto-typed encoder learns the tags while it writes the arguments; the room kept
    fits flat arguments, and arrays (more tags) move the arguments once.
    """
    cdef Py_ssize_t total = (n & ~3) + 4
    cdef Py_ssize_t tail = w.size - at - room
    cdef unsigned char *start
    if total > room:
        _reserve(w, total - room)
    elif total < room:
        w.size -= room - total
    start = w.data + at
    if total != room:
        memmove(start + total, start + room, tail)
    start[total - 4] = 0
    start[total - 3] = 0
    start[total - 2] = 0
    start[total - 1] = 0
    memcpy(start, tags, n)
    return 0


cdef tuple _path(const Py_ssize_t *indexes, Py_ssize_t depth, Py_ssize_t index):
    """The position of item *index* of the innermost open array (see ``path_text``):
    *indexes[:depth]* are the positions of the open arrays."""
    cdef Py_ssize_t level
    path = PyTuple_New(depth + 1)
    for level in range(depth):
        oscw_set(path, level, indexes[level])
    oscw_set(path, depth, index)
    return path


cdef int _slow_value(
    Buf *w, char tag, object value, const Py_ssize_t *indexes, Py_ssize_t depth,
    Py_ssize_t index, _Opts o
) except -1:
    """Encode through the shared slow path (uncommon values, conversions, every error)."""
    out = bytearray()
    encode_tagged(out, chr(<unsigned char>tag), value, _path(indexes, depth, index), o.py)
    _write(w, PyByteArray_AS_STRING(out), PyByteArray_GET_SIZE(out))
    return 0


# The argument list of a message is read as a snapshot. The compiled twin takes it lazily:
# while only the fast paths below run (no Python code, no allocation of a Python object,
# hence no garbage collection and no finalizer), nothing can change the caller's list, so
# it is read in place; before anything that can run Python code, the list is copied into
# a tuple (it is still what it was when the call started), and that tuple is read from
# then on. Nested arrays are always tuples. Boundscheck is off: no list is indexed after
# Python code may have run.


cdef inline bint _fast_value(Buf *w, char tag, object value, _Opts o) except -1:
    """Append *value* as tag *tag* when it is an exact built-in type that runs no Python
    code and allocates no Python object (True), or leave it to the caller (False)."""
    cdef long long number
    cdef double number_d
    cdef int overflow = 0
    cdef unsigned char *at
    cdef const char *text
    cdef Py_ssize_t size
    cdef Py_ssize_t i
    if tag == b"i":
        if PyLong_CheckExact(value):
            number = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow == 0 and INT32_MIN <= number <= INT32_MAX:
                _put32(_reserve(w, 4), <uint32_t>number)
                return True
    elif tag == b"f":
        if PyFloat_CheckExact(value):
            number_d = PyFloat_AS_DOUBLE(value)
            # Values that round beyond float32 go the slow way, which raises.
            if -FLT_MAX <= number_d <= FLT_MAX or number_d != number_d or isinf(number_d):
                OSCW_PACK4(number_d, _reserve(w, 4))
                return True
    elif tag == b"s" or tag == b"S":
        # ASCII text is its own UTF-8 (no conversion, no allocation, no error possible).
        if PyUnicode_CheckExact(value) and o.str_encode_utf8 and oscw_is_ascii(value):
            text = PyUnicode_AsUTF8AndSize(value, &size)
            if memchr(text, 0, size) == NULL:
                _write_padded(w, text, size)
                return True
    elif tag == b"b":
        if PyBytes_CheckExact(value):
            if PyBytes_GET_SIZE(value) <= INT32_MAX:
                _write_blob(w, PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value))
                return True
        elif PyByteArray_CheckExact(value):
            if PyByteArray_GET_SIZE(value) <= INT32_MAX:
                _write_blob(w, PyByteArray_AS_STRING(value), PyByteArray_GET_SIZE(value))
                return True
    elif tag == b"T":
        return value is True
    elif tag == b"F":
        return value is False
    elif tag == b"N" or tag == b"I":
        # Only a bool can contradict these (numpy bools too: the slow path checks).
        return value is None or value is _Infinitum or PyLong_CheckExact(value)
    elif tag == b"h":
        if PyLong_CheckExact(value):
            number = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow == 0:
                _put64(_reserve(w, 8), <uint64_t>number)
                return True
    elif tag == b"d":
        if PyFloat_CheckExact(value):
            OSCW_PACK8(PyFloat_AS_DOUBLE(value), _reserve(w, 8))
            return True
    elif tag == b"t":
        if type(value) is _Timetag:
            sec = (<tuple>value)[0]
            frac = (<tuple>value)[1]
            if PyLong_CheckExact(sec) and PyLong_CheckExact(frac):
                if 0 <= sec <= 0xFFFFFFFF and 0 <= frac <= 0xFFFFFFFF:
                    at = _reserve(w, 8)
                    _put32(at, <uint32_t>(<uint64_t>sec))
                    _put32(at + 4, <uint32_t>(<uint64_t>frac))
                    return True
    elif tag == b"c":
        if PyUnicode_CheckExact(value) and o.char_latin1_encode:
            if PyUnicode_GET_LENGTH(value) == 1 and ord(value) < 256:
                at = _reserve(w, 4)
                at[0] = at[1] = at[2] = at[3] = 0
                at[0 if o.char_osc4py3 else 3] = <unsigned char>ord(value)
                return True
    elif tag == b"r" or tag == b"m":
        if type(value) is _Rgba or type(value) is _Midi:
            for i in range(4):
                item = (<tuple>value)[i]
                if not PyLong_CheckExact(item) or not 0 <= item <= 255:
                    return False
            at = _reserve(w, 4)
            for i in range(4):
                at[i] = <unsigned char>(<long>(<tuple>value)[i])
            return True
    return False


cdef int _encode_value(
    Buf *w, char tag, object value, const Py_ssize_t *indexes, Py_ssize_t depth,
    Py_ssize_t index, _Opts o
) except -1:
    """Append *value* as the (non-array) tag *tag*; may run Python code."""
    cdef const char *text
    cdef Py_ssize_t size
    if (tag == b"s" or tag == b"S") and PyUnicode_CheckExact(value) and o.str_encode_utf8:
        # Non-ASCII text: its UTF-8 (made and cached by the str; fails on surrogates).
        try:
            text = PyUnicode_AsUTF8AndSize(value, &size)
        except UnicodeError:
            pass  # the slow path words the error
        else:
            if memchr(text, 0, size) == NULL:
                _write_padded(w, text, size)
                return 0
    return _slow_value(w, tag, value, indexes, depth, index, o)


cdef inline bint _fast_float(Buf *w, object value) except -1:
    """The hottest case inline: an exact float that float32 holds (finite)."""
    cdef double number_d
    cdef float single
    cdef uint32_t word
    if not PyFloat_CheckExact(value):
        return False
    number_d = PyFloat_AS_DOUBLE(value)
    if not -FLT_MAX <= number_d <= FLT_MAX:
        return False
    single = <float>number_d  # the rounding PyFloat_Pack4 does
    memcpy(&word, &single, 4)
    _put32(_reserve(w, 4), word)
    return True


cdef tuple _array_items(
    object value, const Py_ssize_t *indexes, Py_ssize_t depth, Py_ssize_t index
):
    """The items of an array argument as a tuple snapshot, or None (not an array)."""
    if PyTuple_CheckExact(value):
        return <tuple>value
    if PyList_CheckExact(value):
        return tuple(value)
    return array_items(value, _path(indexes, depth, index))


cdef int _check_depth(
    _Opts o, Py_ssize_t depth, const Py_ssize_t *indexes, Py_ssize_t index, object value
) except -1:
    """Refuse to open an array beyond ``max_array_depth`` (*depth* are open already)."""
    if depth >= o.max_array_depth:
        raise bad_value(
            _path(indexes, depth, index), value,
            f"arrays nested deeper than {o.max_array_depth} levels",
        )
    return 0


cdef int _encode_explicit(
    Buf *w, const char *tags, Py_ssize_t ntags, object args, _Opts o, str addr
) except -1:
    """Encode *args* (a tuple, or a list read lazily) typed by tags[:ntags]."""
    cdef object seq = args
    cdef bint settled = PyTuple_CheckExact(args)
    cdef tuple items
    cdef Py_ssize_t index = 0
    cdef Py_ssize_t count = len(seq)
    cdef Py_ssize_t ti
    cdef Py_ssize_t depth = 0
    cdef list stack = None  # the sequences of the open arrays' parents, made at the first '['
    cdef Py_ssize_t indexes[MAX_NESTING]  # their positions in those parents
    cdef char tag
    cdef object restrict = o.restrict
    cdef long long number
    cdef int overflow = 0
    for ti in range(ntags):
        tag = tags[ti]
        if tag == b"]":
            if depth == 0:
                raise _InvalidData(f"type tags of {addr!r}: ']' closes no array")
            if index != count:
                raise _InvalidData(
                    f"type tags of {addr!r}: array has {count} items, tags describe {index}"
                )
            depth -= 1
            seq = stack.pop()
            index = indexes[depth] + 1
            count = len(seq)
            continue
        if index >= count:
            raise OSCMissingArgumentError(
                f"type tags of {addr!r} describe more arguments than given"
                f" (argument {path_text(_path(indexes, depth, index))} is missing)"
            )
        value = seq[index]
        if restrict is None:
            # Inline fast paths for the commonest arguments (long runs of floats or ints
            # in sensor and mixer messages), then the other exact built-in types.
            if tag == b"f":
                if _fast_float(w, value):
                    index += 1
                    continue
            elif tag == b"i":
                if PyLong_CheckExact(value):
                    number = PyLong_AsLongLongAndOverflow(value, &overflow)
                    if overflow == 0 and INT32_MIN <= number <= INT32_MAX:
                        _put32(_reserve(w, 4), <uint32_t>number)
                        index += 1
                        continue
            elif tag != b"[" and _fast_value(w, tag, value, o):
                index += 1
                continue
        if not settled:  # Python code may run from here on
            seq = tuple(seq)
            settled = True
        if tag == b"[":
            _check_depth(o, depth, indexes, index, value)
            items = _array_items(value, indexes, depth, index)
            if items is None:
                raise bad_value(
                    _path(indexes, depth, index), value,
                    "'[' needs a list, a tuple or a numpy array",
                )
            if stack is None:
                stack = []
            stack.append(seq)
            indexes[depth] = index
            depth += 1
            seq = items
            index = 0
            count = len(items)
            continue
        if restrict is not None:
            if <unsigned char>tag not in restrict:
                raise restricted_tag(
                    chr(<unsigned char>tag), _path(indexes, depth, index), value
                )
            if _fast_value(w, tag, value, o):
                index += 1
                continue
        _encode_value(w, tag, value, indexes, depth, index, o)
        index += 1
    if depth:
        raise _InvalidData(f"type tags of {addr!r}: '[' without a matching ']'")
    if index != count:
        raise _InvalidData(f"message {addr!r} has {count} arguments, its type tags describe {index}")
    return 0


cdef int _encode_auto(Buf *w, Buf *t, object args, _Opts o) except -1:
    """Encode *args* (a tuple, or a list read lazily) typed from their Python types, in
    one pass, their tags into *t*.

    Arrays to any depth with an explicit stack; the same order of checks as the pure
    twin: the tag (and any conversion) first, then the depth of an array or the
    ``restrict_typetags`` check, then the value's bytes.
    """
    cdef object items = args
    cdef bint settled = PyTuple_CheckExact(args)
    cdef Py_ssize_t index = 0
    cdef Py_ssize_t count = len(items)
    cdef Py_ssize_t depth = 0
    cdef list stack = None  # the sequences of the open arrays' parents, made at the first one
    cdef Py_ssize_t indexes[MAX_NESTING]  # their positions in those parents
    cdef object restrict = o.restrict
    cdef unsigned char tag
    cdef long long number
    cdef int overflow = 0
    while True:
        if index >= count:
            if depth == 0:
                return 0
            _reserve(t, 1)[0] = b"]"
            depth -= 1
            items = stack.pop()
            index = indexes[depth] + 1
            count = len(items)
            continue
        value = items[index]
        kind = type(value)
        # Fast: the tag of an exact built-in type, and its bytes when no Python code runs.
        if kind is float:
            tag = b"f"
            if restrict is None and _fast_float(w, value):
                _reserve(t, 1)[0] = tag
                index += 1
                continue
        elif kind is int:
            number = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow:
                tag = 0
            elif INT32_MIN <= number <= INT32_MAX:
                tag = b"i"
                if restrict is None:
                    _put32(_reserve(w, 4), <uint32_t>number)
                    _reserve(t, 1)[0] = tag
                    index += 1
                    continue
            else:
                tag = b"h"
        elif kind is str:
            tag = b"s"
        elif kind is bool:
            tag = b"T" if value is True else b"F"
        elif value is None:
            tag = b"N"
        elif kind is bytes or kind is bytearray:
            tag = b"b"
        else:
            tag = 0
        if tag and restrict is None and _fast_value(w, tag, value, o):
            _reserve(t, 1)[0] = tag
            index += 1
            continue
        if not settled:  # Python code may run from here on
            items = tuple(items)
            settled = True
        if tag:
            converted = value
        else:
            if kind is list or kind is tuple:
                stag = "["
                converted = tuple(value)
            else:
                stag, converted = auto_tag(value, _path(indexes, depth, index))
            tag = ord(stag)
        if tag == b"[":
            _check_depth(o, depth, indexes, index, value)
            _reserve(t, 1)[0] = b"["
            if stack is None:
                stack = []
            stack.append(items)
            indexes[depth] = index
            depth += 1
            items = converted
            index = 0
            count = len(items)
            continue
        if restrict is not None:
            if tag not in restrict:
                raise restricted_tag(chr(tag), _path(indexes, depth, index), value)
            if _fast_value(w, tag, converted, o):
                _reserve(t, 1)[0] = tag
                index += 1
                continue
        _encode_value(w, tag, converted, indexes, depth, index, o)
        _reserve(t, 1)[0] = tag
        index += 1


cdef object _arguments(str addr, object arguments, bint lazy):
    """The arguments of a message: a tuple snapshot (None: none), or with *lazy* the
    list itself, for the encoders to copy when Python code may run (see above)."""
    if PyTuple_CheckExact(arguments):
        return arguments
    if PyList_CheckExact(arguments):
        return arguments if lazy else tuple(arguments)
    if PyList_Check(arguments) or PyTuple_Check(arguments):
        return tuple(arguments)
    if arguments is None:
        return ()
    raise _InvalidData(
        f"arguments of {addr!r} must be a list or tuple, not {type(arguments).__name__}"
    )


cdef int _encode_message(Buf *w, object addr, object typetags, object arguments, _Opts o) except -1:
    cdef const char *text = NULL
    cdef Py_ssize_t size, start, room
    cdef unsigned char *at
    cdef Buf t
    cdef unsigned char tag_stack[TAG_STACK_BYTES]
    if not PyUnicode_Check(addr):
        raise _InvalidData(f"address pattern must be a str, not {type(addr).__name__}")
    if type(addr) is not str:
        # A str subclass (a StrEnum address): its plain text, as the pure twin encodes it.
        addr = str.__str__(addr)
    if PyUnicode_GET_LENGTH(addr) == 0 or (<str>addr)[0] != "/":
        raise _InvalidData(f"address pattern {addr!r} does not start with '/'")
    if o.is_default:
        try:
            text = PyUnicode_AsUTF8AndSize(addr, &size)
        except UnicodeEncodeError as error:
            # The pure twin's order of checks: NUL, arguments, then the encoding error.
            if "\0" in addr:
                raise _InvalidData(f"address pattern {addr!r} contains a NUL character") from None
            _arguments(addr, arguments, False)
            raise encoding_error(error, f"address pattern {addr!r}") from error
        if memchr(text, 0, size) != NULL:
            raise _InvalidData(f"address pattern {addr!r} contains a NUL character")
        args = _arguments(addr, arguments, True)
        _write_padded(w, text, size)
    else:
        if "\0" in addr:
            raise _InvalidData(f"address pattern {addr!r} contains a NUL character")
        # Options run Python code (check_addrpattern, compression lookups): snapshot now.
        args = _arguments(addr, arguments, False)
        if o.check_addrpattern:
            check_address_to_send(addr)
        key = o.compression.get(addr) if o.compression is not None else None
        if key is not None:
            _write(w, b"/\0\0\0", 4)
            try:
                data = pack_i(key)
            except Exception as error:
                raise _InvalidData(f"compression key {key!r} of {addr!r}: {error}") from None
            _write(w, PyBytes_AS_STRING(data), 4)
        else:
            try:
                if o.str_encode_utf8:
                    data = addr.encode()
                else:
                    data = addr.encode(*o.str_encode)
            except Exception as error:  # a codec or an error handler may raise anything
                raise encoding_error(error, f"address pattern {addr!r}") from error
            _write_padded(w, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
    if typetags is not None and not PyUnicode_CheckExact(typetags):
        args = _arguments(addr, args, False)  # its truth test may run Python code
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
        _encode_explicit(w, text, size, args, o, addr)
        return 0
    t.data = tag_stack
    t.size = 0
    t.cap = TAG_STACK_BYTES
    t.heap = False
    try:
        _reserve(&t, 1)[0] = b","
        # Room for the tags of flat arguments (one each): arrays make it grow, below. Read
        # before encoding: a lazily read list may change once Python code runs.
        start = w.size
        room = (len(args) + 1 & ~3) + 4
        _reserve(w, room)
        _encode_auto(w, &t, args, o)
        _write_tags(w, start, room, t.data, t.size)
    finally:
        if t.heap:
            PyMem_Free(t.data)
    return 0


cdef tuple _bundle_head(Buf *w, object bundle):
    """Write ``#bundle`` and the time tag of *bundle*; its elements as a snapshot."""
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
            head = encode_timetag(timetag)
        except Exception as error:
            raise encoding_error(error, f"bundle time tag {timetag!r}") from error
        if head == b"\0\0\0\0\0\0\0\0":
            head = b"\0\0\0\0\0\0\0\1"
        _write(w, b"#bundle\0", 8)
        _write(w, PyBytes_AS_STRING(head), 8)
    if not (PyList_Check(elements) or PyTuple_Check(elements)):
        raise _InvalidData(
            f"bundle elements must be a list or tuple, not {type(elements).__name__}"
        )
    return tuple(elements)


cdef int _close_element(Buf *w, Py_ssize_t at) except -1:
    """Write the size of the element whose size field is at offset *at*."""
    cdef Py_ssize_t size = w.size - at - 4
    if size > INT32_MAX:
        raise _InvalidData("bundle element larger than 2**31-1 bytes")
    _put32(w.data + at, <uint32_t>size)
    return 0


cdef int _encode_bundle(Buf *w, object bundle, _Opts o) except -1:
    """Append *bundle*, its nested bundles walked with an explicit stack."""
    cdef Py_ssize_t max_depth = o.max_bundle_depth
    cdef Py_ssize_t index = 0
    cdef Py_ssize_t at = -1
    cdef Py_ssize_t start
    cdef tuple elements
    cdef tuple frame
    cdef list stack = []  # (elements, next index, offset of its size field) per open bundle
    if max_depth < 1:
        raise _InvalidData(f"bundles nested deeper than {max_depth} levels")
    elements = _bundle_head(w, bundle)
    while True:
        if index == len(elements):
            if not stack:
                return 0
            _close_element(w, at)
            frame = stack.pop()
            elements = frame[0]
            index = frame[1]
            at = frame[2]
            continue
        element = elements[index]
        index += 1
        start = w.size
        _reserve(w, 4)
        if isinstance(element, _Message):
            _encode_message(
                w, (<tuple>element)[0], (<tuple>element)[1], (<tuple>element)[2], o
            )
            _close_element(w, start)
        elif isinstance(element, _Bundle):
            if len(stack) + 2 > max_depth:
                raise _InvalidData(f"bundles nested deeper than {max_depth} levels")
            stack.append((elements, index, at))
            elements = _bundle_head(w, element)
            index = 0
            at = start
        else:
            raise _InvalidData(
                f"bundle element {type(element).__name__} is not an OSCMessage or OSCBundle"
            )


cdef int _encode_into(Buf *w, object packet, _Opts o) except -1:
    if isinstance(packet, _Message):
        _encode_message(w, (<tuple>packet)[0], (<tuple>packet)[1], (<tuple>packet)[2], o)
    elif isinstance(packet, _Bundle):
        _encode_bundle(w, packet, o)
    else:
        raise _InvalidData(
            f"packet must be an OSCMessage or OSCBundle, not {type(packet).__name__}"
        )
    return 0


cdef object _encode(object packet, _Opts o):
    cdef unsigned char stack[STACK_BYTES]
    cdef Buf w
    w.data = stack
    w.size = 0
    w.cap = STACK_BYTES
    w.heap = False
    try:
        _encode_into(&w, packet, o)
        return PyByteArray_FromStringAndSize(<char *>w.data, w.size)
    finally:
        if w.heap:
            PyMem_Free(w.data)


def _encode_core(packet, options):
    """Encode with parsed CodecOptions (used by the oob wrappers)."""
    return _encode(packet, _make_opts(options))


def encode_packet(content, oob=None):
    """Encode an OSCMessage or OSCBundle into the bytes of one OSC packet (a bytearray).

    Bad Python values raise :class:`OSCInvalidDataError` naming the argument at fault.
    """
    if oob:
        options = parse_options(oob)
        if options.wrapped:
            return encode_wrapped(_encode_core, content, oob, options)
        return _encode(content, _make_opts(options))
    return _encode(content, _DEFAULT)


def encode_message(addrpattern, arguments, typetags=None, oob=None):
    """Encode one message straight from its address and arguments (no OSCMessage made).

    The same bytes and the same errors as
    ``encode_packet(OSCMessage(addrpattern, typetags, arguments), oob)``, as ``bytes``:
    auto-typed when *typetags* is None or empty, typed by it otherwise.
    """
    cdef unsigned char stack[STACK_BYTES]
    cdef Buf w
    cdef _Opts o = _DEFAULT
    if oob:
        options = parse_options(oob)
        if options.wrapped:
            message = _Message(addrpattern, typetags, arguments)
            return bytes(encode_wrapped(_encode_core, message, oob, options))
        o = _make_opts(options)
    w.data = stack
    w.size = 0
    w.cap = STACK_BYTES
    w.heap = False
    try:
        _encode_message(&w, addrpattern, typetags, arguments, o)
        return PyBytes_FromStringAndSize(<char *>w.data, w.size)
    finally:
        if w.heap:
            PyMem_Free(w.data)


# ---------------------------------------------------------------------- constructors


def message_new(cls, addrpattern, typetags, arguments):
    """``OSCMessage.__new__`` when this twin is selected: the same message, built by C.

    ``oscbuildparse`` installs it (see ``_types.use_constructors``): a named tuple's own
    ``__new__`` is a Python function, and building the message cost more than encoding it.
    """
    if cls is not _Message and not oscw_is_subtype(cls, _Message):
        raise TypeError(f"message_new({cls!r}): not a subtype of OSCMessage")
    msg = oscw_ntuple(cls, 3)
    oscw_set(msg, 0, addrpattern)
    oscw_set(msg, 1, typetags)
    oscw_set(msg, 2, arguments)
    return msg


def bundle_new(cls, timetag, elements):
    """``OSCBundle.__new__`` when this twin is selected: the same bundle, built by C."""
    if cls is not _Bundle and not oscw_is_subtype(cls, _Bundle):
        raise TypeError(f"bundle_new({cls!r}): not a subtype of OSCBundle")
    bundle = oscw_ntuple(cls, 2)
    oscw_set(bundle, 0, timetag)
    oscw_set(bundle, 1, elements)
    return bundle
