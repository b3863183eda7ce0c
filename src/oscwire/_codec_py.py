"""Pure-Python OSC encoder/decoder: the specification of the codec twins.

``oscwire._codec_c`` (compiled from ``cext/_codec_c.pyx``) must behave exactly like this
module for every input: same results, same exception types, same messages. Both share the
neutral ``_codec_common`` (error wording, slow paths) and ``_codec_oob`` (options, dumps).

Decoding walks the raw buffer in place by offsets (as tinyosc does), checking every size
against the bytes that remain before reading (as liblo does); blobs come out as zero-copy
memoryviews of the input. Encoding appends to one bytearray. Nothing recurses: nested
arrays and bundles are walked with explicit stacks, bounded by the ``oob`` depth limits.
Argument lists are read once, as snapshots (tuples): what a value's conversion does to the
list it sits in changes nothing.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any, NoReturn, Optional

from ._codec_common import (
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
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
    path_text,
    raw_error,
    restricted_tag,
    text_error,
    truncated,
    where,
)
from ._codec_oob import (
    DEFAULT_OPTIONS,
    CodecOptions,
    decode_wrapped,
    encode_wrapped,
    parse_options,
)
from ._errors import (
    OSCInternalBugError,
    OSCInvalidDataError,
    OSCMissingArgumentError,
    OSCUnknownTypetagError,
)
from ._types import (
    OSC_IMMEDIATELY,
    OSC_INFINITUM,
    OSCBundle,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
)

__all__ = ["bundle_new", "decode_packet", "encode_message", "encode_packet", "message_new"]

_unpack_i = struct.Struct(">i").unpack_from
_unpack_f = struct.Struct(">f").unpack_from
_unpack_d = struct.Struct(">d").unpack_from
_unpack_q = struct.Struct(">q").unpack_from
_unpack_II = struct.Struct(">II").unpack_from
_pack_i = struct.Struct(">i").pack
_pack_f = struct.Struct(">f").pack
_pack_q = struct.Struct(">q").pack
_pack_into_i = struct.Struct(">i").pack_into
_tuple_new = tuple.__new__

_BUNDLE_HEAD = b"#bundle\0"
_FLT_MAX = struct.unpack(">f", b"\x7f\x7f\xff\xff")[0]
# Zero padding after a string of length n (mod 4): always at least one NUL.
_STR_PAD = (b"\0\0\0\0", b"\0\0\0", b"\0\0", b"\0")
_BLOB_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")

# ---------------------------------------------------------------------------- decoding


def _decode_str(buf: Any, start: int, end: int, options: CodecOptions, what: str) -> Any:
    """(text, next offset) of the OSC-string at *start*; the buffer is 4-aligned there."""
    nul = buf.find(b"\0", start, end)
    if nul < 0:
        raise raw_error(f"{what} is not NUL-terminated before the end of its data", start)
    nxt = (nul & ~3) + 4
    if nxt > end:
        raise raw_error(f"{what} padding runs past the end of its data", start)
    return _decode_text(buf, start, nul, options, what), nxt


def _decode_text(buf: Any, start: int, stop: int, options: CodecOptions, what: str) -> str:
    if options.str_decode_utf8:
        try:
            return buf[start:stop].decode()  # type: ignore[no-any-return]
        except UnicodeDecodeError as error:
            raise text_error(error, what, start, options.str_decode) from error
    return decode_text(buf[start:stop], options, what, start)


def _blob_view(src: Any, start: int, stop: int, options: CodecOptions) -> Any:
    if options.blob_bytes:
        return bytes(src[start:stop])
    return memoryview(src)[start:stop]


# Runs of fixed-size tags decode with one precompiled struct call ("plans"), cached by
# type tag string. A plan is a tuple of steps: (0, unpack_from, size) for a run of
# i/f/h/d, (1,) for a string, (2,) for a blob, (3, value) for T/F/N/I. Tag strings
# with anything else (arrays, t, c, r, m, unknown tags) have no plan: None.
_PLAN_CACHE: dict[bytes, tuple[str, Any]] = {}
_PLAN_CACHE_MAX = 512
# Type tag strings longer than this (bytes, the comma included) get no plan and are never
# cached: the tag string is the peer's choice, and a plan for 60 000 tags holds megabytes.
_PLAN_MAX_TAGS = 64
_FIXED = {105: ("i", 4), 102: ("f", 4), 104: ("q", 8), 100: ("d", 8)}
_CONSTANT = {84: True, 70: False, 78: None, 73: OSC_INFINITUM}


def _make_plan(tags: bytes) -> Any:
    steps: list[tuple[Any, ...]] = []
    run = ""
    size = 0
    for tag in tags:
        fixed = _FIXED.get(tag)
        if fixed is not None:
            run += fixed[0]
            size += fixed[1]
            continue
        if run:
            steps.append((0, struct.Struct(">" + run).unpack_from, size))
            run, size = "", 0
        if tag == 115 or tag == 83:
            steps.append((1,))
        elif tag == 98:
            steps.append((2,))
        elif tag in _CONSTANT:
            steps.append((3, _CONSTANT[tag]))
        else:
            return None
    if run:
        steps.append((0, struct.Struct(">" + run).unpack_from, size))
    return tuple(steps)


def _decode_args(
    buf: Any, src: Any, p: int, end: int, tpos: int, tnul: int, options: CodecOptions
) -> tuple[Any, ...]:
    """The general argument loop: every tag, arrays, options, precise errors."""
    args: list[Any] = []
    append = args.append
    stack: list[list[Any]] = []
    restrict = options.restrict
    first = tpos + 1
    for index, tag in enumerate(buf[first:tnul]):
        if restrict is not None and tag not in restrict and tag != 91 and tag != 93:
            raise OSCUnknownTypetagError(
                f"type tag {chr(tag)!r} is not allowed by restrict_typetags"
                f" (at offset {first + index})"
            )
        if tag == 105:  # i
            if p + 4 > end:
                raise truncated("int32 argument is truncated", p)
            value = _unpack_i(buf, p)[0]
            p += 4
        elif tag == 102:  # f
            if p + 4 > end:
                raise truncated("float32 argument is truncated", p)
            value = _unpack_f(buf, p)[0]
            p += 4
        elif tag == 115 or tag == 83:  # s S
            if p >= end:
                raise raw_error("string argument is missing", p)
            value, p = _decode_str(buf, p, end, options, "string argument")
        elif tag == 98:  # b
            if p + 4 > end:
                raise truncated("blob size is truncated", p)
            size = _unpack_i(buf, p)[0]
            if size < 0:
                raise raw_error(f"blob size {size} is negative", p)
            stop = p + 4 + size
            if stop + (-size & 3) > end:
                raise raw_error(f"blob size {size} runs past the end of the message", p)
            value = _blob_view(src, p + 4, stop, options)
            p = stop + (-size & 3)
        elif tag == 84:  # T
            value = True
        elif tag == 70:  # F
            value = False
        elif tag == 78:  # N
            value = None
        elif tag == 73:  # I
            value = OSC_INFINITUM
        elif tag == 104:  # h
            if p + 8 > end:
                raise truncated("int64 argument is truncated", p)
            value = _unpack_q(buf, p)[0]
            p += 8
        elif tag == 100:  # d
            if p + 8 > end:
                raise truncated("float64 argument is truncated", p)
            value = _unpack_d(buf, p)[0]
            p += 8
        elif tag == 116:  # t
            if p + 8 > end:
                raise truncated("time tag argument is truncated", p)
            value = _tuple_new(OSCtimetag, _unpack_II(buf, p))
            p += 8
        elif tag == 99:  # c
            if p + 4 > end:
                raise truncated("char argument is truncated", p)
            b0, b1, b2, b3 = buf[p : p + 4]
            if b0 == 0 and b1 == 0 and b2 == 0:  # liblo's layout: the char last
                code = b3
            elif b1 == 0 and b2 == 0 and b3 == 0:  # osc4py3's layout: the char first
                code = b0
            else:
                raise raw_error("char argument has a value outside 0..255", p)
            value = decode_char(code, options, p)
            p += 4
        elif tag == 114 or tag == 109:  # r m
            if p + 4 > end:
                raise truncated("rgba/midi argument is truncated", p)
            value = _tuple_new(OSCrgba if tag == 114 else OSCmidi, buf[p : p + 4])
            p += 4
        elif tag == 91:  # [
            if len(stack) >= options.max_array_depth:
                raise raw_error(
                    f"arrays nested deeper than {options.max_array_depth} levels", first + index
                )
            stack.append(args)
            args = []
            append = args.append
            continue
        elif tag == 93:  # ]
            if not stack:
                raise raw_error("']' closes no array", first + index)
            value = tuple(args)
            args = stack.pop()
            append = args.append
            append(value)
            continue
        else:
            raise OSCUnknownTypetagError(
                f"unknown type tag {chr(tag)!r} (at offset {first + index})"
            )
        append(value)
    if stack:
        raise raw_error("'[' without a matching ']'", tpos)
    if p != end:
        raise raw_error(f"{end - p} bytes left over after the arguments", p)
    return tuple(args)


def _decode_message(buf: Any, src: Any, pos: int, end: int, options: CodecOptions) -> Any:
    nul = buf.find(b"\0", pos, end)
    if nul < 0:
        raise raw_error("address is not NUL-terminated before the end of the message", pos)
    p = (nul & ~3) + 4
    if p > end:
        raise raw_error("address padding runs past the end of the message", pos)
    if options.str_decode_utf8:
        try:
            addr = buf[pos:nul].decode()
        except UnicodeDecodeError as error:
            raise text_error(error, "address", pos, options.str_decode) from error
    else:
        addr = decode_text(buf[pos:nul], options, "address", pos)
    if options is not DEFAULT_OPTIONS:
        if addr == "/" and options.decompression is not None:
            if p + 4 > end:
                raise truncated("compressed address key is truncated", p)
            key = _unpack_i(buf, p)[0]
            addr = options.decompression.get(key)
            if addr is None:
                raise raw_error(
                    f"compressed address key {key} is not in addrpattern_decompression", p
                )
            p += 4
        if options.check_addrpattern:
            check_address(addr, pos)
    if p >= end or buf[p] != 44:  # no ',': no type tag string
        if options.force_typetags:
            raise raw_error(f"message {addr!r} has no type tag string", p)
        if p != end:
            raise raw_error(f"message {addr!r} has data but no type tag string", p)
        return _tuple_new(OSCMessage, (addr, ",", ()))
    tpos = p
    tnul = buf.find(b"\0", p, end)
    if tnul < 0:
        raise raw_error("type tag string is not NUL-terminated before the end of the message", p)
    p = (tnul & ~3) + 4
    if p > end:
        raise raw_error("type tag string padding runs past the end of the message", tpos)
    if options is DEFAULT_OPTIONS and tnul - tpos <= _PLAN_MAX_TAGS:
        key = buf[tpos:tnul]
        if type(key) is not bytes:
            key = bytes(key)
        cached = _PLAN_CACHE.get(key)
        if cached is None:
            cached = (key.decode("ascii", "replace"), _make_plan(key[1:]))
            if len(_PLAN_CACHE) >= _PLAN_CACHE_MAX:
                _PLAN_CACHE.clear()
            _PLAN_CACHE[key] = cached
        typetags, plan = cached
        if plan is not None:
            # Inline run of the plan; any irregularity falls back to the general loop.
            args: Any = []
            q = p
            for step in plan:
                kind = step[0]
                if kind == 0:
                    stop = q + step[2]
                    if stop > end:
                        break
                    args += step[1](buf, q)
                    q = stop
                elif kind == 1:
                    nul = buf.find(b"\0", q, end)
                    stop = (nul & ~3) + 4
                    if nul < 0 or stop > end:
                        break
                    try:
                        args.append(buf[q:nul].decode())
                    except UnicodeDecodeError:
                        break
                    q = stop
                elif kind == 2:
                    if q + 4 > end:
                        break
                    size = _unpack_i(buf, q)[0]
                    stop = q + 4 + size
                    if size < 0 or stop + (-size & 3) > end:
                        break
                    args.append(memoryview(src)[q + 4 : stop])
                    q = stop + (-size & 3)
                else:
                    args.append(step[1])
            else:
                if q == end:
                    return _tuple_new(OSCMessage, (addr, typetags, tuple(args)))
    args = _decode_args(buf, src, p, end, tpos, tnul, options)
    return _tuple_new(OSCMessage, (addr, buf[tpos:tnul].decode("ascii"), args))


def _bundle_timetag(buf: Any, pos: int, end: int) -> Any:
    if end - pos < 16:
        raise truncated("bundle time tag is truncated", pos)
    sec, frac = _unpack_II(buf, pos + 8)
    if sec == 0 and frac <= 1:
        return OSC_IMMEDIATELY
    return _tuple_new(OSCtimetag, (sec, frac))


def _decode_bundle(buf: Any, src: Any, pos: int, end: int, options: CodecOptions) -> Any:
    """The bundle at *pos*, its nested bundles walked with an explicit stack."""
    max_depth = options.max_bundle_depth
    if max_depth < 1:
        raise raw_error(f"bundles nested deeper than {max_depth} levels", pos)
    # One frame per open bundle: (elements so far, next element offset, end, time tag).
    stack: list[tuple[list[Any], int, int, Any]] = []
    elements: list[Any] = []
    timetag = _bundle_timetag(buf, pos, end)
    p = pos + 16
    while True:
        if p >= end:
            bundle = _tuple_new(OSCBundle, (timetag, tuple(elements)))
            if not stack:
                return bundle
            elements, p, end, timetag = stack.pop()
            elements.append(bundle)
            continue
        size = _unpack_i(buf, p)[0]
        if size <= 0 or size & 3:
            raise element_size_error(size, p)
        stop = p + 4 + size
        if stop > end:
            raise raw_error(f"bundle element size {size} runs past the end of the bundle", p)
        first = buf[p + 4]
        if first == 47:  # '/'
            elements.append(_decode_message(buf, src, p + 4, stop, options))
            p = stop
        elif first == 35 and size >= 8 and buf[p + 4 : p + 12] == _BUNDLE_HEAD:
            if len(stack) + 2 > max_depth:
                raise raw_error(f"bundles nested deeper than {max_depth} levels", p + 4)
            inner_timetag = _bundle_timetag(buf, p + 4, stop)
            stack.append((elements, stop, end, timetag))
            elements, timetag, end = [], inner_timetag, stop
            p += 4 + 16
        else:
            raise raw_error("bundle element is neither a message nor a bundle", p + 4)


def _as_buffers(raw: Any) -> Any:
    """(searchable bytes-like, blob source) for a raw packet of any bytes-like type."""
    kind = type(raw)
    if kind is bytes or kind is bytearray:
        return raw, raw
    try:
        view = memoryview(raw)
    except TypeError:
        raise TypeError(f"decode_packet needs a bytes-like object, not {kind.__name__}") from None
    if not view.c_contiguous:
        raise TypeError("decode_packet needs a contiguous buffer")
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view.tobytes(), view


def _decode_core(raw: Any, options: CodecOptions) -> Any:
    buf, src = _as_buffers(raw)
    size = len(buf)
    if size == 0 or size & 3:
        raise raw_error(f"packet size {size} is not a positive multiple of 4", 0)
    first = buf[0]
    if first == 47:  # '/'
        return _decode_message(buf, src, 0, size, options)
    if first == 35 and buf[:8] == _BUNDLE_HEAD:
        return _decode_bundle(buf, src, 0, size, options)
    raise raw_error("packet is neither a message ('/') nor a bundle ('#bundle')", 0)


def decode_packet(rawoscdata: Any, oob: Optional[dict[str, Any]] = None) -> Any:
    """Decode one OSC packet (bytes, bytearray or memoryview) into an OSCMessage/OSCBundle.

    Raises an :class:`OSCInvalidRawError` (or :class:`OSCUnknownTypetagError`) that says
    what is wrong and at which offset when *rawoscdata* is not a valid packet.
    """
    if oob:
        options = parse_options(oob)
        if options.wrapped:
            return decode_wrapped(_decode_core, rawoscdata, oob, options)
        return _decode_core(rawoscdata, options)
    kind = type(rawoscdata)
    if kind is bytes or kind is bytearray:
        size = len(rawoscdata)
        if size and not size & 3:
            first = rawoscdata[0]
            if first == 47:
                return _decode_message(rawoscdata, rawoscdata, 0, size, DEFAULT_OPTIONS)
            if first == 35 and rawoscdata[:8] == _BUNDLE_HEAD:
                return _decode_bundle(rawoscdata, rawoscdata, 0, size, DEFAULT_OPTIONS)
    return _decode_core(rawoscdata, DEFAULT_OPTIONS)


# ---------------------------------------------------------------------------- encoding


def _path(stack: list[tuple[tuple[Any, ...], int]], index: int) -> tuple[int, ...]:
    """The position of item *index* of the innermost open array (see ``path_text``)."""
    if not stack:
        return (index,)
    return (*[entry[1] for entry in stack], index)


def _append_tags(out: bytearray, tags: str) -> None:
    """Write ``","`` + *tags* as an OSC-string."""
    data = tags.encode()
    out += b","
    out += data
    out += _STR_PAD[(len(data) + 1) & 3]


def _encode_explicit(
    out: bytearray, tags: str, args: tuple[Any, ...], options: CodecOptions, addr: str
) -> None:
    """Append the arguments *args* typed by *tags* (without the leading ',')."""
    restrict = options.restrict
    max_depth = options.max_array_depth
    stack: list[tuple[tuple[Any, ...], int]] = []  # (items, index) of each open array
    seq = args
    index = 0
    for tag in tags:
        if tag == "]":
            if not stack:
                raise OSCInvalidDataError(f"type tags of {addr!r}: ']' closes no array")
            if index != len(seq):
                raise OSCInvalidDataError(
                    f"type tags of {addr!r}: array has {len(seq)} items, tags describe {index}"
                )
            seq, index = stack.pop()
            index += 1
            continue
        if index >= len(seq):
            raise OSCMissingArgumentError(
                f"type tags of {addr!r} describe more arguments than given"
                f" (argument {path_text(_path(stack, index))} is missing)"
            )
        value = seq[index]
        if tag == "[":
            path = _path(stack, index)
            if len(stack) >= max_depth:
                raise bad_value(path, value, f"arrays nested deeper than {max_depth} levels")
            items = array_items(value, path)
            if items is None:
                raise bad_value(path, value, "'[' needs a list, a tuple or a numpy array")
            stack.append((seq, index))
            seq = items
            index = 0
            continue
        if restrict is not None and ord(tag) not in restrict:
            raise restricted_tag(tag, _path(stack, index), value)
        kind = type(value)
        if tag == "f" and kind is float:
            try:
                out += _pack_f(value)
                index += 1
                continue
            except OverflowError:
                pass  # the slow path words the error
        elif tag == "i" and kind is int and INT32_MIN <= value <= INT32_MAX:
            out += _pack_i(value)
            index += 1
            continue
        elif tag == "s" and kind is str and options.str_encode_utf8 and "\0" not in value:
            try:
                data = value.encode()
            except UnicodeEncodeError:
                pass  # the slow path words the error
            else:
                out += data
                out += _STR_PAD[len(data) & 3]
                index += 1
                continue
        encode_tagged(out, tag, value, _path(stack, index), options)
        index += 1
    if stack:
        raise OSCInvalidDataError(f"type tags of {addr!r}: '[' without a matching ']'")
    if index != len(seq):
        raise OSCInvalidDataError(
            f"message {addr!r} has {len(seq)} arguments, its type tags describe {index}"
        )


def _raise_for(tag: str, value: Any, path: tuple[int, ...], options: CodecOptions) -> NoReturn:
    """Raise the error the slow path gives for a value a fast path could not encode."""
    encode_tagged(bytearray(), tag, value, path, options)
    raise OSCInternalBugError(f"{where(path, value)} failed on a fast path only")


def _encode_auto(
    out: bytearray, tags: list[str], args: tuple[Any, ...], options: CodecOptions
) -> None:
    """Append *args* typed from their Python types, and their tags to *tags* (one pass).

    The common flat case; an array argument goes to :func:`_encode_auto_nested`. Fast
    paths never word an error themselves: the slow path does, for both twins.
    """
    tag_append = tags.append
    for index, value in enumerate(args):
        kind = type(value)
        if kind is int:
            if INT32_MIN <= value <= INT32_MAX:
                tag = "i"
                out += _pack_i(value)
            elif INT64_MIN <= value <= INT64_MAX:
                tag = "h"
                out += _pack_q(value)
            else:
                auto_tag(value, (index,))  # raises: outside int64
                raise OSCInternalBugError(f"{where((index,), value)} was not refused")
        elif kind is float:
            tag = "f"
            try:
                out += _pack_f(value)
            except OverflowError:
                _raise_for(tag, value, (index,), options)
        elif kind is str:
            tag = "s"
            try:
                if not options.str_encode_utf8 or "\0" in value:
                    raise ValueError
                data = value.encode()
            except (ValueError, UnicodeEncodeError):
                encode_tagged(out, tag, value, (index,), options)
            else:
                out += data
                out += _STR_PAD[len(data) & 3]
        elif kind is bool:
            tag = "T" if value else "F"
        elif value is None:
            tag = "N"
        elif kind is bytes or kind is bytearray:
            tag = "b"
            size = len(value)
            if size > INT32_MAX:
                _raise_for(tag, value, (index,), options)
            out += _pack_i(size)
            out += value
            out += _BLOB_PAD[size & 3]
        else:
            if kind is list or kind is tuple:
                _encode_auto_nested(out, tags, tuple(value), options, (index,), value)
                continue
            tag, converted = auto_tag(value, (index,))
            if tag == "[":
                _encode_auto_nested(out, tags, converted, options, (index,), value)
                continue
            encode_tagged(out, tag, converted, (index,), options)
        tag_append(tag)


def _encode_auto_nested(
    out: bytearray,
    tags: list[str],
    items: tuple[Any, ...],
    options: CodecOptions,
    prefix: tuple[int, ...],
    original: Any = None,
) -> None:
    """Auto-type *items* with arrays to any depth and ``restrict_typetags`` (iterative).

    *prefix* is ``()`` for a message's arguments, or ``(index,)`` when *items* are those
    of the array *original* that is argument *index* (whose ``[`` and ``]`` are written
    here too).
    """
    restrict = options.restrict
    max_depth = options.max_array_depth
    stack: list[tuple[tuple[Any, ...], int]] = []  # (items, index) of each open array
    if prefix:
        if max_depth < 1:
            raise bad_value(prefix, original, f"arrays nested deeper than {max_depth} levels")
        tags.append("[")
    index = 0
    while True:
        if index == len(items):
            if not stack:
                if prefix:
                    tags.append("]")
                return
            tags.append("]")
            items, index = stack.pop()
            index += 1
            continue
        value = items[index]
        kind = type(value)
        if restrict is None:
            # Fast paths (as in _encode_auto) for the usual items of an array.
            if kind is int and INT32_MIN <= value <= INT32_MAX:
                out += _pack_i(value)
                tags.append("i")
                index += 1
                continue
            if kind is float and -_FLT_MAX <= value <= _FLT_MAX:
                out += _pack_f(value)
                tags.append("f")
                index += 1
                continue
        path = (*prefix, *[entry[1] for entry in stack], index)
        if kind is list or kind is tuple:
            tag, converted = "[", tuple(value)
        elif kind is int and INT32_MIN <= value <= INT32_MAX:
            tag, converted = "i", value
        elif kind is float:
            tag, converted = "f", value
        elif kind is str:
            tag, converted = "s", value
        else:
            tag, converted = auto_tag(value, path)
        if tag == "[":
            if len(prefix) + len(stack) + 1 > max_depth:
                raise bad_value(path, value, f"arrays nested deeper than {max_depth} levels")
            tags.append("[")
            stack.append((items, index))
            items = converted
            index = 0
            continue
        if restrict is not None and ord(tag) not in restrict:
            raise restricted_tag(tag, path, value)
        encode_tagged(out, tag, converted, path, options)
        tags.append(tag)
        index += 1


def _arguments(addr: str, arguments: Any) -> tuple[Any, ...]:
    """The arguments of a message as a tuple snapshot (None: none)."""
    kind = type(arguments)
    if kind is tuple:
        return arguments  # type: ignore[no-any-return]
    if kind is list or isinstance(arguments, (list, tuple)):
        return tuple(arguments)
    if arguments is None:
        return ()
    raise OSCInvalidDataError(f"arguments of {addr!r} must be a list or tuple, not {kind.__name__}")


def _encode_message(
    out: bytearray, addr: Any, typetags: Any, arguments: Any, options: CodecOptions
) -> None:
    if type(addr) is not str and not isinstance(addr, str):
        raise OSCInvalidDataError(f"address pattern must be a str, not {type(addr).__name__}")
    if not addr.startswith("/"):
        raise OSCInvalidDataError(f"address pattern {addr!r} does not start with '/'")
    if "\0" in addr:
        raise OSCInvalidDataError(f"address pattern {addr!r} contains a NUL character")
    kind = type(arguments)  # the snapshot (see _arguments), inline for the usual kinds
    args = (
        arguments
        if kind is tuple
        else tuple(arguments)
        if kind is list
        else _arguments(addr, arguments)
    )
    key = None
    if options is not DEFAULT_OPTIONS:
        if options.check_addrpattern:
            check_address_to_send(addr)
        if options.compression is not None:
            key = options.compression.get(addr)
    if key is not None:
        out += b"/\0\0\0"
        try:
            out += _pack_i(key)
        except (struct.error, TypeError) as error:
            raise OSCInvalidDataError(f"compression key {key!r} of {addr!r}: {error}") from None
    else:
        try:
            data = addr.encode() if options.str_encode_utf8 else addr.encode(*options.str_encode)
        except Exception as error:  # a codec or an error handler may raise anything
            raise encoding_error(error, f"address pattern {addr!r}") from error
        out += data
        out += _STR_PAD[len(data) & 3]
    if typetags:
        if type(typetags) is not str and not isinstance(typetags, str):
            raise OSCInvalidDataError(
                f"type tags of {addr!r} must be a str, not {type(typetags).__name__}"
            )
        tags = typetags[1:] if typetags[0] == "," else typetags
        if not tags.isascii():
            raise OSCUnknownTypetagError(f"type tags {typetags!r} of {addr!r} are not ASCII")
        _append_tags(out, tags)
        _encode_explicit(out, tags, args, options, addr)
        return
    body = bytearray()
    tag_list = [","]
    if options.restrict is None:
        _encode_auto(body, tag_list, args, options)
    else:
        _encode_auto_nested(body, tag_list, args, options, ())
    data = "".join(tag_list).encode()
    out += data
    out += _STR_PAD[len(data) & 3]
    out += body


def _bundle_head(out: bytearray, bundle: Any) -> tuple[Any, ...]:
    """Write ``#bundle`` and the time tag of *bundle*; its elements as a snapshot."""
    try:
        timetag, elements = bundle
    except (TypeError, ValueError):
        raise OSCInvalidDataError(
            f"a bundle must be an OSCBundle(timetag, elements), not {bundle!r}"
        ) from None
    if timetag is None:
        out += b"#bundle\0\0\0\0\0\0\0\0\1"
    else:
        try:
            head = encode_timetag(timetag)
        except Exception as error:
            raise encoding_error(error, f"bundle time tag {timetag!r}") from error
        out += _BUNDLE_HEAD
        out += b"\0\0\0\0\0\0\0\1" if head == b"\0\0\0\0\0\0\0\0" else head
    if not isinstance(elements, (list, tuple)):
        raise OSCInvalidDataError(
            f"bundle elements must be a list or tuple, not {type(elements).__name__}"
        )
    return tuple(elements)


def _close_element(out: bytearray, at: int) -> None:
    """Write the size of the element whose size field is at *at*."""
    size = len(out) - at - 4
    if size > INT32_MAX:
        raise OSCInvalidDataError("bundle element larger than 2**31-1 bytes")
    _pack_into_i(out, at, size)


def _encode_bundle(out: bytearray, bundle: Any, options: CodecOptions) -> None:
    """Append *bundle*, its nested bundles walked with an explicit stack."""
    max_depth = options.max_bundle_depth
    if max_depth < 1:
        raise OSCInvalidDataError(f"bundles nested deeper than {max_depth} levels")
    # One frame per open nested bundle: (the rest of its elements, offset of its size).
    stack: list[tuple[Iterator[Any], int]] = []
    elements = iter(_bundle_head(out, bundle))
    at = -1
    while True:
        for element in elements:
            start = len(out)
            out += b"\0\0\0\0"
            if isinstance(element, OSCMessage):
                addr, typetags, arguments = element
                _encode_message(out, addr, typetags, arguments, options)
                _close_element(out, start)
            elif isinstance(element, OSCBundle):
                if len(stack) + 2 > max_depth:
                    raise OSCInvalidDataError(f"bundles nested deeper than {max_depth} levels")
                stack.append((elements, at))
                elements = iter(_bundle_head(out, element))
                at = start
                break
            else:
                raise OSCInvalidDataError(
                    f"bundle element {type(element).__name__} is not an OSCMessage or OSCBundle"
                )
        else:  # this bundle's elements are done
            if not stack:
                return
            _close_element(out, at)
            elements, at = stack.pop()


def _encode_core(packet: Any, options: CodecOptions) -> bytearray:
    out = bytearray()
    if isinstance(packet, OSCMessage):
        addr, typetags, arguments = packet
        _encode_message(out, addr, typetags, arguments, options)
    elif isinstance(packet, OSCBundle):
        _encode_bundle(out, packet, options)
    else:
        raise OSCInvalidDataError(
            f"packet must be an OSCMessage or OSCBundle, not {type(packet).__name__}"
        )
    return out


def encode_packet(content: Any, oob: Optional[dict[str, Any]] = None) -> bytearray:
    """Encode an OSCMessage or OSCBundle into the bytes of one OSC packet (a bytearray).

    Bad Python values raise :class:`OSCInvalidDataError` naming the argument at fault.
    """
    if oob:
        options = parse_options(oob)
        if options.wrapped:
            return encode_wrapped(_encode_core, content, oob, options)  # type: ignore[no-any-return]
        return _encode_core(content, options)
    return _encode_core(content, DEFAULT_OPTIONS)


def encode_message(
    addrpattern: Any,
    arguments: Any,
    typetags: Any = None,
    oob: Optional[dict[str, Any]] = None,
) -> bytes:
    """Encode one message straight from its address and arguments (no OSCMessage made).

    The same bytes and the same errors as
    ``encode_packet(OSCMessage(addrpattern, typetags, arguments), oob)``, as ``bytes``:
    auto-typed when *typetags* is None or empty, typed by it otherwise.
    """
    if oob:
        options = parse_options(oob)
        if options.wrapped:
            message = OSCMessage(addrpattern, typetags, arguments)
            return bytes(encode_wrapped(_encode_core, message, oob, options))
    else:
        options = DEFAULT_OPTIONS
    out = bytearray()
    _encode_message(out, addrpattern, typetags, arguments, options)
    return bytes(out)


# -------------------------------------------------------------------------- constructors


def message_new(cls: Any, addrpattern: Any, typetags: Any, arguments: Any) -> Any:
    """``OSCMessage.__new__`` when this twin is selected (what the named tuple does).

    ``oscbuildparse`` installs the selected twin's constructors (``_types.use_constructors``);
    the compiled twin's build the same tuples without a Python frame.
    """
    return _tuple_new(cls, (addrpattern, typetags, arguments))


def bundle_new(cls: Any, timetag: Any, elements: Any) -> Any:
    """``OSCBundle.__new__`` when this twin is selected (what the named tuple does)."""
    return _tuple_new(cls, (timetag, elements))
