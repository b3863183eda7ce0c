"""Pure-Python OSC encoder/decoder: the specification of the codec twins.

``oscwire._codec_c`` (compiled from ``cext/_codec_c.pyx``) must behave exactly like this
module for every input: same results, same exception types. Decoding walks the raw
buffer in place by offsets (as tinyosc does), checking every size against the bytes that
remain before reading (as liblo does); blobs come out as zero-copy memoryviews of the
input. Encoding appends to one bytearray.
"""

from __future__ import annotations

import struct
from typing import Any

from ._codec_oob import (
    DEFAULT_OPTIONS,
    CodecOptions,
    decode_wrapped,
    dump_value,
    encode_wrapped,
    parse_options,
)
from ._errors import OSCInvalidDataError, OSCInvalidRawError, OSCUnknownTypetagError
from ._types import (
    OSC_IMMEDIATELY,
    OSC_INFINITUM,
    OSCbang,
    OSCBundle,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
)

__all__ = ["decode_packet", "encode_packet"]

_unpack_i = struct.Struct(">i").unpack_from
_unpack_I = struct.Struct(">I").unpack_from
_unpack_f = struct.Struct(">f").unpack_from
_unpack_d = struct.Struct(">d").unpack_from
_unpack_q = struct.Struct(">q").unpack_from
_unpack_II = struct.Struct(">II").unpack_from
_pack_i = struct.Struct(">i").pack
_pack_f = struct.Struct(">f").pack
_pack_d = struct.Struct(">d").pack
_pack_q = struct.Struct(">q").pack
_pack_II = struct.Struct(">II").pack
_pack_into_i = struct.Struct(">i").pack_into
_tuple_new = tuple.__new__

_BUNDLE_HEAD = b"#bundle\0"
# Zero padding after a string of length n (mod 4): always at least one NUL.
_STR_PAD = (b"\0\0\0\0", b"\0\0\0", b"\0\0", b"\0")
_BLOB_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")
_ADDR_BAD_CHARS = frozenset(" #*,/?[]{}")
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1

# ---------------------------------------------------------------------------- decoding


def _raw(message: str, offset: int) -> OSCInvalidRawError:
    return OSCInvalidRawError(f"{message} (at offset {offset})")


def _decode_str(buf: Any, start: int, end: int, options: CodecOptions, what: str) -> Any:
    """(text, next offset) of the OSC-string at *start*; the buffer is 4-aligned there."""
    nul = buf.find(b"\0", start, end)
    if nul < 0:
        raise _raw(f"{what} is not NUL-terminated before the end of its data", start)
    nxt = (nul & ~3) + 4
    if nxt > end:
        raise _raw(f"{what} padding runs past the end of its data", start)
    try:
        if options.str_decode_utf8:
            text = buf[start:nul].decode()
        else:
            text = buf[start:nul].decode(*options.str_decode)
    except UnicodeDecodeError as error:
        raise _raw(f"{what} cannot be decoded ({error.reason})", start + error.start) from None
    except LookupError as error:
        raise OSCInvalidDataError(f"oob str_decode: {error}") from None
    return text, nxt


def _check_address(addr: str, offset: int) -> None:
    for name in addr.split("/"):
        for char in name:
            if not char.isprintable() or char in _ADDR_BAD_CHARS:
                raise _raw(f"address {addr!r} contains the invalid character {char!r}", offset)


def _blob_view(src: Any, start: int, stop: int, options: CodecOptions) -> Any:
    if options.blob_bytes:
        return bytes(src[start:stop])
    return memoryview(src)[start:stop]


# Runs of fixed-size tags decode with one precompiled struct call ("plans"), cached by
# type tag string. A plan is a tuple of steps: (0, unpack_from, size) for a run of
# i/f/h/d, (1,) for a string, (2,) for a blob, (3, value) for T/F/N/I. Tag strings
# with anything else (arrays, t, c, r, m, unknown tags) have no plan: None.
_PLAN_CACHE: dict = {}
_PLAN_CACHE_MAX = 512
_FIXED = {105: ("i", 4), 102: ("f", 4), 104: ("q", 8), 100: ("d", 8)}
_CONSTANT = {84: True, 70: False, 78: None, 73: OSC_INFINITUM}


def _make_plan(tags: bytes) -> Any:
    steps: list = []
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


def _decode_args(buf: Any, src: Any, p: int, end: int, tpos: int, tnul: int, options: Any) -> Any:
    """The general argument loop: every tag, arrays, options, precise errors."""
    args: list = []
    append = args.append
    stack: list = []
    restrict = options.restrict
    dumping = options.dump_values
    first = tpos + 1
    for index, tag in enumerate(buf[first:tnul]):
        if restrict is not None and tag not in restrict and tag != 91 and tag != 93:
            raise OSCUnknownTypetagError(
                f"type tag {chr(tag)!r} is not allowed by restrict_typetags"
                f" (at offset {first + index})"
            )
        if tag == 105:  # i
            if p + 4 > end:
                raise _raw("int32 argument is truncated", p)
            value = _unpack_i(buf, p)[0]
            p += 4
        elif tag == 102:  # f
            if p + 4 > end:
                raise _raw("float32 argument is truncated", p)
            value = _unpack_f(buf, p)[0]
            p += 4
        elif tag == 115 or tag == 83:  # s S
            if p >= end:
                raise _raw("string argument is missing", p)
            value, p = _decode_str(buf, p, end, options, "string argument")
        elif tag == 98:  # b
            if p + 4 > end:
                raise _raw("blob size is truncated", p)
            size = _unpack_i(buf, p)[0]
            if size < 0:
                raise _raw(f"blob size {size} is negative", p)
            stop = p + 4 + size
            if stop + (-size & 3) > end:
                raise _raw(f"blob size {size} runs past the end of the message", p)
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
                raise _raw("int64 argument is truncated", p)
            value = _unpack_q(buf, p)[0]
            p += 8
        elif tag == 100:  # d
            if p + 8 > end:
                raise _raw("float64 argument is truncated", p)
            value = _unpack_d(buf, p)[0]
            p += 8
        elif tag == 116:  # t
            if p + 8 > end:
                raise _raw("time tag argument is truncated", p)
            value = _tuple_new(OSCtimetag, _unpack_II(buf, p))
            p += 8
        elif tag == 99:  # c
            if p + 4 > end:
                raise _raw("char argument is truncated", p)
            b0, b1, b2, b3 = buf[p : p + 4]
            if b0 == 0 and b1 == 0 and b2 == 0:
                code = b3
            elif b1 == 0 and b2 == 0 and b3 == 0:
                code = b0
            else:
                raise _raw("char argument has a value outside 0..255", p)
            if options.char_decode == "latin-1":
                value = chr(code)
            else:
                value = bytes((code,)).decode(options.char_decode, "replace")
            p += 4
        elif tag == 114 or tag == 109:  # r m
            if p + 4 > end:
                raise _raw("rgba/midi argument is truncated", p)
            value = _tuple_new(OSCrgba if tag == 114 else OSCmidi, buf[p : p + 4])
            p += 4
        elif tag == 91:  # [
            if len(stack) >= options.max_array_depth:
                raise _raw(
                    f"arrays nested deeper than {options.max_array_depth} levels", first + index
                )
            stack.append(args)
            args = []
            append = args.append
            continue
        elif tag == 93:  # ]
            if not stack:
                raise _raw("']' closes no array", first + index)
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
        if dumping:
            dump_value(value, options)
    if stack:
        raise _raw("'[' without a matching ']'", tpos)
    if p != end:
        raise _raw(f"{end - p} bytes left over after the arguments", p)
    return tuple(args)


def _decode_message(buf: Any, src: Any, pos: int, end: int, options: CodecOptions) -> Any:
    nul = buf.find(b"\0", pos, end)
    if nul < 0:
        raise _raw("address is not NUL-terminated before the end of the message", pos)
    p = (nul & ~3) + 4
    if p > end:
        raise _raw("address padding runs past the end of the message", pos)
    try:
        if options.str_decode_utf8:
            addr = buf[pos:nul].decode()
        else:
            addr = buf[pos:nul].decode(*options.str_decode)
    except UnicodeDecodeError as error:
        raise _raw(f"address cannot be decoded ({error.reason})", pos + error.start) from None
    if options is not DEFAULT_OPTIONS:
        if addr == "/" and options.decompression is not None:
            if p + 4 > end:
                raise _raw("compressed address key is truncated", p)
            key = _unpack_i(buf, p)[0]
            addr = options.decompression.get(key)
            if addr is None:
                raise _raw(f"compressed address key {key} is not in addrpattern_decompression", p)
            p += 4
        if options.check_addrpattern:
            _check_address(addr, pos)
    if p >= end or buf[p] != 44:  # no ',': no type tag string
        if options.force_typetags:
            raise _raw(f"message {addr!r} has no type tag string", p)
        if p != end:
            raise _raw(f"message {addr!r} has data but no type tag string", p)
        return _tuple_new(OSCMessage, (addr, ",", ()))
    tpos = p
    tnul = buf.find(b"\0", p, end)
    if tnul < 0:
        raise _raw("type tag string is not NUL-terminated before the end of the message", p)
    p = (tnul & ~3) + 4
    if p > end:
        raise _raw("type tag string padding runs past the end of the message", tpos)
    if options is DEFAULT_OPTIONS:
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


def _decode_bundle(
    buf: Any, src: Any, pos: int, end: int, options: CodecOptions, depth: int
) -> Any:
    if depth > options.max_bundle_depth:
        raise _raw(f"bundles nested deeper than {options.max_bundle_depth} levels", pos)
    if end - pos < 16:
        raise _raw("bundle time tag is truncated", pos)
    sec, frac = _unpack_II(buf, pos + 8)
    timetag = OSC_IMMEDIATELY if sec == 0 and frac <= 1 else _tuple_new(OSCtimetag, (sec, frac))
    p = pos + 16
    elements = []
    while p < end:
        size = _unpack_i(buf, p)[0]
        if size <= 0 or size & 3:
            raise _raw(f"bundle element size {size} is not a positive multiple of 4", p)
        stop = p + 4 + size
        if stop > end:
            raise _raw(f"bundle element size {size} runs past the end of the bundle", p)
        first = buf[p + 4]
        if first == 47:  # '/'
            elements.append(_decode_message(buf, src, p + 4, stop, options))
        elif first == 35 and buf[p + 4 : p + 12] == _BUNDLE_HEAD:
            elements.append(_decode_bundle(buf, src, p + 4, stop, options, depth + 1))
        else:
            raise _raw("bundle element is neither a message nor a bundle", p + 4)
        p = stop
    return _tuple_new(OSCBundle, (timetag, tuple(elements)))


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
        raise _raw(f"packet size {size} is not a positive multiple of 4", 0)
    first = buf[0]
    if first == 47:  # '/'
        return _decode_message(buf, src, 0, size, options)
    if first == 35 and buf[:8] == _BUNDLE_HEAD:
        return _decode_bundle(buf, src, 0, size, options, 1)
    raise _raw("packet is neither a message ('/') nor a bundle ('#bundle')", 0)


def decode_packet(raw: Any, oob: dict[str, Any] | None = None) -> Any:
    """Decode one OSC packet (bytes, bytearray or memoryview) into an OSCMessage/OSCBundle.

    Raises an :class:`OSCInvalidRawError` (or :class:`OSCUnknownTypetagError`) that says
    what is wrong and at which offset when *raw* is not a valid packet.
    """
    if oob:
        options = parse_options(oob)
        if options.wrapped:
            return decode_wrapped(_decode_core, raw, oob, options)
        return _decode_core(raw, options)
    kind = type(raw)
    if kind is bytes or kind is bytearray:
        size = len(raw)
        if size and not size & 3:
            first = raw[0]
            if first == 47:
                return _decode_message(raw, raw, 0, size, DEFAULT_OPTIONS)
            if first == 35 and raw[:8] == _BUNDLE_HEAD:
                return _decode_bundle(raw, raw, 0, size, DEFAULT_OPTIONS, 1)
    return _decode_core(raw, DEFAULT_OPTIONS)


# ---------------------------------------------------------------------------- encoding


def _path_text(path: tuple) -> str:
    """``#2[0][1]`` for the argument at index 2, item 0, item 1."""
    return f"#{path[0]}" + "".join(f"[{i}]" for i in path[1:])


def _where(path: tuple, value: Any) -> str:
    return f"argument {_path_text(path)} ({type(value).__name__} {value!r:.60})"


def _bad(path: tuple, value: Any, reason: str) -> OSCInvalidDataError:
    return OSCInvalidDataError(f"{_where(path, value)}: {reason}")


def _encode_string(value: Any, options: CodecOptions) -> bytes:
    """The bytes of an OSC-string value, without padding (raises ValueError when invalid)."""
    if type(value) is str or isinstance(value, str):
        if "\0" in value:
            raise ValueError("a string cannot contain a NUL character")
        if options.str_encode_utf8:
            return value.encode()
        return value.encode(*options.str_encode)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(memoryview(value).cast("B"))
        if data.endswith(b"\0"):
            data = data[:-1]
        if b"\0" in data:
            raise ValueError("a string cannot contain a NUL byte")
        return data
    return _encode_string(str(value), options)


def _encode_char(value: Any, options: CodecOptions) -> bytes:
    if isinstance(value, str):
        if len(value) != 1:
            raise ValueError("a char must be a 1-character string")
        data = value.encode(options.char_encode)
        if len(data) != 1:
            raise ValueError(f"a char must encode to one byte in {options.char_encode}")
        code = data[0]
    elif isinstance(value, (bytes, bytearray)):
        if len(value) != 1:
            raise ValueError("a char must be one byte")
        code = value[0]
    elif hasattr(value, "__index__") and not isinstance(value, bool):
        code = value.__index__()
        if not 0 <= code <= 255:
            raise ValueError("a char code must be within 0..255")
    else:
        raise ValueError("a char must be a 1-character str, a 1-byte bytes or an int")
    if options.char_osc4py3:
        return bytes((code, 0, 0, 0))
    return bytes((0, 0, 0, code))


def _encode_four(value: Any) -> bytes:
    if not isinstance(value, (tuple, list, bytes, bytearray)) or len(value) != 4:
        raise ValueError("rgba/midi needs four integers 0..255")
    try:
        return bytes(value)
    except (TypeError, ValueError):
        raise ValueError("rgba/midi needs four integers 0..255") from None


def _encode_timetag(value: Any) -> bytes:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError("a time tag must be an OSCtimetag or a (sec, frac) pair")
    sec, frac = value
    if not (hasattr(sec, "__index__") and hasattr(frac, "__index__")):
        raise ValueError("time tag fields must be integers")
    sec = sec.__index__()
    frac = frac.__index__()
    if not (0 <= sec <= 0xFFFFFFFF and 0 <= frac <= 0xFFFFFFFF):
        raise ValueError("time tag fields must be within 0..2**32-1")
    return _pack_II(sec, frac)


def _encode_blob(value: Any) -> bytes:
    """Size-prefixed, padded blob bytes (raises ValueError/TypeError when invalid)."""
    view = memoryview(value)
    if not view.c_contiguous:
        raise ValueError("a blob must be a contiguous buffer")
    size = view.nbytes
    if size > _INT32_MAX:
        raise ValueError("a blob cannot exceed 2**31-1 bytes")
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return b"".join((_pack_i(size), view, _BLOB_PAD[size & 3]))


def _encode_tagged(
    out: bytearray, tag: str, value: Any, path: tuple, options: CodecOptions
) -> None:
    """Append *value* encoded as the single (non-array) type tag *tag*."""
    try:
        if tag == "i":
            out += _pack_i(value)
        elif tag == "f":
            out += _pack_f(value)
        elif tag == "s" or tag == "S":
            data = _encode_string(value, options)
            out += data
            out += _STR_PAD[len(data) & 3]
        elif tag == "b":
            if isinstance(value, str):
                raise ValueError("a blob must be bytes-like, not str")
            out += _encode_blob(value)
        elif tag == "h":
            out += _pack_q(value)
        elif tag == "d":
            out += _pack_d(value)
        elif tag == "t":
            out += _encode_timetag(value)
        elif tag == "c":
            out += _encode_char(value, options)
        elif tag == "r" or tag == "m":
            out += _encode_four(value)
        elif tag in "TFNI":
            pass
        else:
            raise OSCUnknownTypetagError(f"unknown type tag {tag!r} for {_where(path, value)}")
    except (struct.error, OverflowError, ValueError, TypeError) as error:
        if isinstance(error, (OSCInvalidDataError, OSCUnknownTypetagError)):
            raise
        raise _bad(path, value, f"cannot encode as {tag!r}: {error}") from None
    except LookupError as error:  # an unknown codec in the options
        raise OSCInvalidDataError(f"{_where(path, value)}: {error}") from None


def _encode_explicit(
    out: bytearray, tags: str, args: Any, options: CodecOptions, addr: str
) -> None:
    """Append the arguments *args* typed by *tags* (without the leading ',')."""
    restrict = options.restrict
    max_depth = options.max_array_depth
    stack: list = []
    seq = args
    index = 0
    count = len(seq)
    for tag in tags:
        if tag == "]":
            if not stack:
                raise OSCInvalidDataError(f"type tags of {addr!r}: ']' closes no array")
            if index != count:
                raise OSCInvalidDataError(
                    f"type tags of {addr!r}: array has {count} items, tags describe {index}"
                )
            seq, index, count = stack.pop()
            index += 1
            continue
        path = (*(entry[1] for entry in stack), index) if stack else (index,)
        if index >= count:
            raise OSCInvalidDataError(
                f"type tags of {addr!r} describe more arguments than given"
                f" (argument {_path_text(path)} is missing)"
            )
        value = seq[index]
        if tag == "[":
            if len(stack) >= max_depth:
                raise _bad(path, value, f"arrays nested deeper than {max_depth} levels")
            if not isinstance(value, (list, tuple)):
                raise _bad(path, value, "'[' needs a list or tuple")
            stack.append((seq, index, count))
            seq = value
            index = 0
            count = len(seq)
            continue
        if restrict is not None and ord(tag) not in restrict:
            raise OSCUnknownTypetagError(
                f"type tag {tag!r} is not allowed by restrict_typetags ({_where(path, value)})"
            )
        _encode_tagged(out, tag, value, path, options)
        index += 1
    if stack:
        raise OSCInvalidDataError(f"type tags of {addr!r}: '[' without a matching ']'")
    if index != count:
        raise OSCInvalidDataError(
            f"message {addr!r} has {count} arguments, its type tags describe {index}"
        )


def _auto_tag(value: Any) -> str:
    """The type tag auto-typing gives *value* (a slow path for uncommon types)."""
    if value is True:
        return "T"
    if value is False:
        return "F"
    if value is None:
        return "N"
    if isinstance(value, OSCtimetag):
        return "t"
    if isinstance(value, OSCrgba):
        return "r"
    if isinstance(value, OSCmidi):
        return "m"
    if isinstance(value, OSCbang):
        return "I"
    if isinstance(value, bool):  # numpy-like bools are not bool; plain bools handled above
        return "T" if value else "F"
    if isinstance(value, str):
        return "s"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "b"
    if isinstance(value, (list, tuple)):
        return "["
    if isinstance(value, float):
        return "f"
    if hasattr(type(value), "__index__"):
        number = value.__index__()
        return "i" if _INT32_MIN <= number <= _INT32_MAX else "h"
    if hasattr(type(value), "__float__"):
        return "f"
    return ""


def _encode_auto(
    out: bytearray,
    tags: list,
    args: Any,
    options: CodecOptions,
    path: tuple,
    depth: int,
) -> None:
    """Append *args* typed from their Python types, and their tags to *tags* (one pass)."""
    tag_append = tags.append
    for index, value in enumerate(args):
        kind = type(value)
        if kind is int:
            if _INT32_MIN <= value <= _INT32_MAX:
                tag = "i"
                out += _pack_i(value)
            elif _INT64_MIN <= value <= _INT64_MAX:
                tag = "h"
                out += _pack_q(value)
            else:
                raise _bad((*path, index), value, "integer outside the int64 range")
        elif kind is float:
            tag = "f"
            try:
                out += _pack_f(value)
            except OverflowError:
                raise _bad((*path, index), value, "float outside the float32 range") from None
        elif kind is str:
            tag = "s"
            if "\0" in value:
                raise _bad((*path, index), value, "a string cannot contain a NUL character")
            try:
                data = (
                    value.encode() if options.str_encode_utf8 else value.encode(*options.str_encode)
                )
            except (UnicodeError, LookupError) as error:
                raise _bad((*path, index), value, str(error)) from None
            out += data
            out += _STR_PAD[len(data) & 3]
        elif kind is bool:
            tag = "T" if value else "F"
        elif value is None:
            tag = "N"
        elif kind is bytes or kind is bytearray:
            tag = "b"
            size = len(value)
            if size > _INT32_MAX:
                raise _bad((*path, index), value, "a blob cannot exceed 2**31-1 bytes")
            out += _pack_i(size)
            out += value
            out += _BLOB_PAD[size & 3]
        else:
            tag = _auto_tag(value)
            where = (*path, index)
            if tag == "[":
                if depth >= options.max_array_depth:
                    raise _bad(where, value, f"arrays nested deeper than {options.max_array_depth}")
                tag_append("[")
                _encode_auto(out, tags, value, options, where, depth + 1)
                tag = "]"
            elif not tag:
                raise _bad(where, value, "no OSC type for this Python type")
            else:
                _encode_tagged(out, tag, value, where, options)
        tag_append(tag)


def _auto_tags(args: Any, options: CodecOptions, path: tuple, depth: int) -> str:
    """The type tags auto-typing gives *args*, without encoding anything (first pass of
    the two-pass encoding used when ``restrict_typetags`` is set, as the compiled twin
    always does)."""
    tags = []
    for index, value in enumerate(args):
        kind = type(value)
        if kind is int:
            if _INT32_MIN <= value <= _INT32_MAX:
                tag = "i"
            elif _INT64_MIN <= value <= _INT64_MAX:
                tag = "h"
            else:
                raise _bad((*path, index), value, "integer outside the int64 range")
        elif kind is list or kind is tuple:
            tag = "["
        else:
            tag = _auto_tag(value)
            if not tag:
                raise _bad((*path, index), value, "no OSC type for this Python type")
        if tag == "[":
            if depth >= options.max_array_depth:
                raise _bad(
                    (*path, index), value, f"arrays nested deeper than {options.max_array_depth}"
                )
            tag = "[" + _auto_tags(value, options, (*path, index), depth + 1) + "]"
        tags.append(tag)
    return "".join(tags)


def _encode_message(out: bytearray, message: Any, options: CodecOptions) -> None:
    try:
        addr, typetags, args = message
    except (TypeError, ValueError):
        raise OSCInvalidDataError(
            f"a message must be an OSCMessage(addrpattern, typetags, arguments), not {message!r}"
        ) from None
    if type(addr) is not str and not isinstance(addr, str):
        raise OSCInvalidDataError(f"address pattern must be a str, not {type(addr).__name__}")
    if not addr.startswith("/"):
        raise OSCInvalidDataError(f"address pattern {addr!r} does not start with '/'")
    if "\0" in addr:
        raise OSCInvalidDataError(f"address pattern {addr!r} contains a NUL character")
    if args is None:
        args = ()
    elif not isinstance(args, (list, tuple)):
        raise OSCInvalidDataError(
            f"arguments of {addr!r} must be a list or tuple, not {type(args).__name__}"
        )
    key = None
    if options is not DEFAULT_OPTIONS:
        if options.check_addrpattern:
            for name in addr.split("/"):
                for char in name:
                    if not char.isprintable() or char in _ADDR_BAD_CHARS:
                        raise OSCInvalidDataError(
                            f"address {addr!r} contains the invalid character {char!r}"
                        )
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
        except (UnicodeError, LookupError) as error:
            raise OSCInvalidDataError(f"address pattern {addr!r}: {error}") from None
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
        data = tags.encode()
        out += b","
        out += data
        out += _STR_PAD[(len(data) + 1) & 3]
        _encode_explicit(out, tags, args, options, addr)
    elif options.restrict is not None:
        tags = _auto_tags(args, options, (), 0)
        data = tags.encode()
        out += b","
        out += data
        out += _STR_PAD[(len(data) + 1) & 3]
        _encode_explicit(out, tags, args, options, addr)
    else:
        body = bytearray()
        tag_list = [","]
        _encode_auto(body, tag_list, args, options, (), 0)
        data = "".join(tag_list).encode()
        out += data
        out += _STR_PAD[len(data) & 3]
        out += body


def _encode_bundle(out: bytearray, bundle: Any, options: CodecOptions, depth: int) -> None:
    if depth > options.max_bundle_depth:
        raise OSCInvalidDataError(f"bundles nested deeper than {options.max_bundle_depth} levels")
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
            head = _encode_timetag(timetag)
        except (TypeError, ValueError) as error:
            raise OSCInvalidDataError(f"bundle time tag {timetag!r}: {error}") from None
        out += _BUNDLE_HEAD
        out += b"\0\0\0\0\0\0\0\1" if head == b"\0\0\0\0\0\0\0\0" else head
    if not isinstance(elements, (list, tuple)):
        raise OSCInvalidDataError(
            f"bundle elements must be a list or tuple, not {type(elements).__name__}"
        )
    for element in elements:
        at = len(out)
        out += b"\0\0\0\0"
        if isinstance(element, OSCMessage):
            _encode_message(out, element, options)
        elif isinstance(element, OSCBundle):
            _encode_bundle(out, element, options, depth + 1)
        else:
            raise OSCInvalidDataError(
                f"bundle element {type(element).__name__} is not an OSCMessage or OSCBundle"
            )
        size = len(out) - at - 4
        if size > _INT32_MAX:
            raise OSCInvalidDataError("bundle element larger than 2**31-1 bytes")
        _pack_into_i(out, at, size)


def _encode_core(packet: Any, options: CodecOptions) -> bytearray:
    out = bytearray()
    if isinstance(packet, OSCMessage):
        _encode_message(out, packet, options)
    elif isinstance(packet, OSCBundle):
        _encode_bundle(out, packet, options, 1)
    else:
        raise OSCInvalidDataError(
            f"packet must be an OSCMessage or OSCBundle, not {type(packet).__name__}"
        )
    return out


def encode_packet(packet: Any, oob: dict[str, Any] | None = None) -> bytearray:
    """Encode an OSCMessage or OSCBundle into the bytes of one OSC packet (a bytearray).

    Bad Python values raise :class:`OSCInvalidDataError` naming the argument at fault.
    """
    if oob:
        options = parse_options(oob)
        if options.wrapped:
            return encode_wrapped(_encode_core, packet, oob, options)
        return _encode_core(packet, options)
    return _encode_core(packet, DEFAULT_OPTIONS)
