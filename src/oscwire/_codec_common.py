"""What both codec twins share: the error wording and the slow paths.

Neither twin owns this module (msgpack's twins share ``exceptions.py`` the same way): the
pure twin ``_codec_py`` and the compiled twin ``_codec_c`` both import these names. The
compiled twin handles the common values inline and hands everything else here, which is
what keeps both twins accepting, converting, rejecting and wording things alike. A stale
compiled module that asks for a name this module no longer has fails with
``ImportError``, and ``oscbuildparse`` then falls back to the pure twin.

Encoding rules for explicit type tags follow osc4py3 1.0.8: ``int()`` for ``i``/``h``,
``float()`` for ``f``/``d``, ``str()`` where a string is due. Every exception a value's
own conversion raises is wrapped in an :class:`~oscwire._errors.OSCInvalidDataError`
subclass that names the argument (the original is its ``__cause__``).
"""

from __future__ import annotations

import operator
import struct
from typing import Any, Callable, Optional

from ._codec_oob import CodecOptions
from ._errors import (
    OSCElementSizeError,
    OSCError,
    OSCInvalidDataError,
    OSCInvalidRawError,
    OSCNoTypeError,
    OSCStringDecodeError,
    OSCStringEncodeError,
    OSCTruncatedRawError,
    OSCUnknownTypetagError,
    OSCValueRangeError,
    OSCValueTypeError,
)
from ._types import OSCbang, OSCmidi, OSCrgba, OSCtimetag

__all__ = [
    "ADDRESS_BAD_CHARS",
    "INT32_MAX",
    "INT32_MIN",
    "INT64_MAX",
    "INT64_MIN",
    "array_items",
    "auto_tag",
    "bad_value",
    "check_address",
    "check_address_to_send",
    "decode_char",
    "decode_text",
    "element_size_error",
    "encode_tagged",
    "encode_timetag",
    "encoding_error",
    "pack_i",
    "path_text",
    "raw_error",
    "restricted_tag",
    "text_error",
    "truncated",
    "where",
]

pack_i = struct.Struct(">i").pack
_pack_q = struct.Struct(">q").pack
_pack_f = struct.Struct(">f").pack
_pack_d = struct.Struct(">d").pack
_pack_II = struct.Struct(">II").pack

#: Characters an address part may not hold when ``check_addrpattern`` is on (osc4py3's set).
ADDRESS_BAD_CHARS = frozenset(" #*,/?[]{}")
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1

_STR_PAD = (b"\0\0\0\0", b"\0\0\0", b"\0\0", b"\0")
_BLOB_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")

# ------------------------------------------------------------------------ decoding errors


def raw_error(message: str, offset: int) -> OSCInvalidRawError:
    """The error for malformed raw data, with the offset where it was found."""
    return OSCInvalidRawError(f"{message} (at offset {offset})")


def truncated(message: str, offset: int) -> OSCTruncatedRawError:
    """The error for a fixed-size field that runs past the end (osc4py3: ``struct.error``)."""
    return OSCTruncatedRawError(f"{message} (at offset {offset})")


def element_size_error(size: int, offset: int) -> OSCInvalidRawError:
    """The error for a bundle element size that is not a positive multiple of 4."""
    message = f"bundle element size {size} is not a positive multiple of 4 (at offset {offset})"
    if size <= 0:  # osc4py3 leaked IndexError for these
        return OSCElementSizeError(message)
    return OSCInvalidRawError(message)


def text_error(error: Exception, what: str, start: int, codec: Any) -> OSCInvalidRawError:
    """The error for an OSC-string at *start* that the ``str_decode`` codec refuses."""
    if isinstance(error, UnicodeDecodeError):
        message = f"{what} cannot be decoded ({error.reason}) (at offset {start + error.start})"
        return OSCStringDecodeError(message, error)
    return OSCInvalidRawError(
        f"{what} cannot be decoded with {codec!r} ({type(error).__name__}: {error})"
        f" (at offset {start})"
    )


# ------------------------------------------------------------------- decoding slow paths


def decode_text(data: bytes, options: CodecOptions, what: str, start: int) -> str:
    """*data* decoded with the ``str_decode`` option (any codec, any error handler)."""
    try:
        text = data.decode(*options.str_decode)
    except Exception as error:  # a codec or an error handler may raise anything
        raise text_error(error, what, start, options.str_decode) from error
    if type(text) is not str:
        raise raw_error(f"{what}: codec {options.str_decode!r} did not give a str", start)
    return text


def decode_char(code: int, options: CodecOptions, offset: int) -> str:
    """A ``c`` argument's character, decoded with ``char_decode`` (errors replaced)."""
    if options.char_decode_latin1:
        return chr(code)
    try:
        text = bytes((code,)).decode(options.char_decode, "replace")
    except Exception as error:  # e.g. "idna" supports no error handler but "strict"
        raise OSCInvalidRawError(
            f"char argument {code} cannot be decoded with {options.char_decode!r}"
            f" ({type(error).__name__}: {error}) (at offset {offset})"
        ) from error
    if type(text) is not str:
        raise raw_error(f"char argument: codec {options.char_decode!r} did not give a str", offset)
    return text


def _bad_address_char(addr: str) -> Optional[str]:
    for name in addr.split("/"):
        for char in name:
            if not char.isprintable() or char in ADDRESS_BAD_CHARS:
                return char
    return None


def check_address(addr: str, offset: int) -> None:
    """Refuse a received address holding a character ``check_addrpattern`` forbids."""
    char = _bad_address_char(addr)
    if char is not None:
        raise raw_error(f"address {addr!r} contains the invalid character {char!r}", offset)


# ------------------------------------------------------------------------ encoding errors


def path_text(path: tuple[int, ...]) -> str:
    """``#2[0][1]`` for the argument at index 2, item 0, item 1 (deep paths shortened)."""
    if len(path) > 12:  # up to DEPTH_LIMIT levels: keep messages readable
        inner = "".join(f"[{i}]" for i in path[1:5]) + "..." + "".join(f"[{i}]" for i in path[-4:])
        return f"#{path[0]}{inner} ({len(path) - 1} levels deep)"
    return f"#{path[0]}" + "".join(f"[{i}]" for i in path[1:])


def where(path: tuple[int, ...], value: Any) -> str:
    """``argument #2 (float 1e+39)``: the argument at fault, its type and its value."""
    try:
        text = f"{value!r:.60}"
    except Exception:  # a value whose __repr__ fails still gets named
        text = f"<{type(value).__name__} object>"
    return f"argument {path_text(path)} ({type(value).__name__} {text})"


def bad_value(
    path: tuple[int, ...],
    value: Any,
    reason: str,
    kind: type[OSCInvalidDataError] = OSCInvalidDataError,
) -> OSCInvalidDataError:
    """The error for an argument that cannot be encoded."""
    return kind(f"{where(path, value)}: {reason}")


def encoding_error(error: Exception, context: str) -> OSCInvalidDataError:
    """*error* (raised while converting a value) as the OSC error osc4py3 users expect.

    The class keeps what osc4py3 leaked catchable: ``struct.error``/``OverflowError`` for
    a number out of range, ``TypeError`` for a value of the wrong type,
    ``UnicodeEncodeError`` for text the codec refuses.
    """
    if isinstance(error, OSCInvalidDataError):
        return error
    message = f"{context}: {error}" if str(error) else f"{context}: {type(error).__name__}"
    if isinstance(error, UnicodeEncodeError):
        return OSCStringEncodeError(message, error)
    if isinstance(error, (struct.error, OverflowError)):
        return OSCValueRangeError(message)
    if isinstance(error, TypeError):
        return OSCValueTypeError(message)
    return OSCInvalidDataError(message)


def restricted_tag(tag: str, path: tuple[int, ...], value: Any) -> OSCUnknownTypetagError:
    """The error for a type tag ``restrict_typetags`` does not allow."""
    return OSCUnknownTypetagError(
        f"type tag {tag!r} is not allowed by restrict_typetags ({where(path, value)})"
    )


def check_address_to_send(addr: str) -> None:
    """Refuse an address to send holding a character ``check_addrpattern`` forbids."""
    char = _bad_address_char(addr)
    if char is not None:
        raise OSCInvalidDataError(f"address {addr!r} contains the invalid character {char!r}")


# ------------------------------------------------------------------- encoding slow paths


def _numpy_like(value: Any) -> bool:
    """True for numpy arrays and scalars (and look-alikes): duck-typed, numpy not imported."""
    kind = type(value)
    return hasattr(kind, "tolist") and hasattr(kind, "ndim") and not isinstance(value, memoryview)


def _truth_of(value: Any) -> Optional[bool]:
    """The bool a value *is* (``bool`` or a numpy bool), None for anything else."""
    if type(value) is bool:
        return value
    if _numpy_like(value) and getattr(value, "ndim", None) == 0:
        plain = value.tolist()
        if type(plain) is bool:
            return plain
    return None


def _check_constant(tag: str, value: Any) -> None:
    """A ``T``/``F``/``N``/``I`` tag consumes its argument, unless the value says otherwise.

    osc4py3 ignores the value; a bool of the other truth (``",T"`` with ``False``) or a bool
    under ``N``/``I`` is a contradiction oscwire refuses. Any other value (``None``, ``0``,
    ``OSC_BANG``, the matching bool...) is taken as a placeholder, as in osc4py3.
    """
    truth = _truth_of(value)
    if truth is None:
        return
    if (tag == "T" and truth) or (tag == "F" and not truth):
        return
    raise ValueError(f"contradicts the type tag {tag!r}, which sends {_CONSTANT_MEANING[tag]}")


_CONSTANT_MEANING = {"T": "True", "F": "False", "N": "None (nil)", "I": "an impulse"}


def _encode_string(value: Any, options: CodecOptions) -> bytes:
    """The bytes of an OSC-string value, without padding."""
    if isinstance(value, str):
        if "\0" in value:
            raise ValueError("a string cannot contain a NUL character")
        if options.str_encode_utf8:
            return value.encode()
        data = value.encode(*options.str_encode)
        if type(data) is not bytes:
            raise TypeError(f"codec {options.str_encode!r} did not give bytes")
        return data
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(memoryview(value).cast("B"))
        if data.endswith(b"\0"):
            data = data[:-1]
        if b"\0" in data:
            raise ValueError("a string cannot contain a NUL byte")
        return data
    return _encode_string(str(value), options)


def _encode_blob(value: Any) -> bytes:
    """Size-prefixed, padded blob bytes."""
    if isinstance(value, str):
        raise TypeError("a blob must be bytes-like, not str")
    if isinstance(value, (list, tuple)):
        value = bytes(value)  # osc4py3 takes a sequence of byte values too
    elif _numpy_like(value) and getattr(value, "ndim", None) == 0:
        raise TypeError("a numpy scalar is not a blob (its .tobytes() is)")
    view = memoryview(value)
    if not view.c_contiguous:
        raise ValueError("a blob must be a contiguous buffer")
    size = view.nbytes
    if size > INT32_MAX:
        raise OverflowError("a blob cannot exceed 2**31-1 bytes")
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return b"".join((pack_i(size), view, _BLOB_PAD[size & 3]))


def _encode_char(value: Any, options: CodecOptions) -> bytes:
    if _numpy_like(value):
        value = value.tolist()
    if isinstance(value, str):
        if len(value) != 1:
            raise ValueError("a char must be a 1-character string")
        data = value.encode(options.char_encode)
        if len(data) != 1:
            raise ValueError(f"a char must encode to one byte in {options.char_encode}")
        code = data[0]
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(memoryview(value).cast("B"))
        if len(data) != 1:
            raise ValueError("a char must be one byte")
        code = data[0]
    elif isinstance(value, (int, float)):  # bool too: osc4py3 applies int()
        code = int(value)
    elif hasattr(type(value), "__index__"):
        code = operator.index(value)
    else:  # osc4py3: any other object through str()
        return _encode_char(str(value), options)
    if not 0 <= code <= 255:
        raise OverflowError(f"a char code must be within 0..255, not {code}")
    if options.char_osc4py3:
        return bytes((code, 0, 0, 0))
    return bytes((0, 0, 0, code))


def _encode_four(value: Any) -> bytes:
    if not isinstance(value, (tuple, list, bytes, bytearray)):
        raise TypeError("rgba/midi needs four integers 0..255")
    if len(value) != 4:
        raise ValueError(f"rgba/midi needs four integers 0..255, not {len(value)} items")
    try:
        return bytes(value)
    except ValueError:
        raise OverflowError("rgba/midi needs four integers 0..255") from None


def encode_timetag(value: Any) -> bytes:
    """The 8 bytes of a time tag given as an ``OSCtimetag`` or a ``(sec, frac)`` pair."""
    if not isinstance(value, (tuple, list)):
        raise TypeError("a time tag must be an OSCtimetag or a (sec, frac) pair")
    if len(value) != 2:
        raise ValueError("a time tag must be an OSCtimetag or a (sec, frac) pair")
    sec, frac = value
    sec = operator.index(sec)
    frac = operator.index(frac)
    if not (0 <= sec <= 0xFFFFFFFF and 0 <= frac <= 0xFFFFFFFF):
        raise OverflowError("time tag fields must be within 0..2**32-1")
    return _pack_II(sec, frac)


def _int_of(value: Any) -> int:
    return value if type(value) is int else int(value)


def _float_of(value: Any) -> float:
    return value if type(value) is float else float(value)


def _append_string(out: bytearray, value: Any, options: CodecOptions) -> None:
    data = _encode_string(value, options)
    out += data
    out += _STR_PAD[len(data) & 3]


def _append_blob(out: bytearray, value: Any, options: CodecOptions) -> None:
    out += _encode_blob(value)


def _append_char(out: bytearray, value: Any, options: CodecOptions) -> None:
    out += _encode_char(value, options)


def _append_four(out: bytearray, value: Any, options: CodecOptions) -> None:
    out += _encode_four(value)


def _append_timetag(out: bytearray, value: Any, options: CodecOptions) -> None:
    out += encode_timetag(value)


def _appender(pack: Callable[[Any], bytes], convert: Callable[[Any], Any]) -> Any:
    def append(out: bytearray, value: Any, options: CodecOptions) -> None:
        out += pack(convert(value))

    return append


def _constant(tag: str) -> Any:
    def append(out: bytearray, value: Any, options: CodecOptions) -> None:
        _check_constant(tag, value)

    return append


_ENCODERS: dict[str, Callable[[bytearray, Any, CodecOptions], None]] = {
    "i": _appender(pack_i, _int_of),
    "h": _appender(_pack_q, _int_of),
    "f": _appender(_pack_f, _float_of),
    "d": _appender(_pack_d, _float_of),
    "s": _append_string,
    "S": _append_string,
    "b": _append_blob,
    "t": _append_timetag,
    "c": _append_char,
    "r": _append_four,
    "m": _append_four,
    "T": _constant("T"),
    "F": _constant("F"),
    "N": _constant("N"),
    "I": _constant("I"),
}


def encode_tagged(
    out: bytearray, tag: str, value: Any, path: tuple[int, ...], options: CodecOptions
) -> None:
    """Append *value* encoded as the single (non-array) type tag *tag*, as osc4py3 converts.

    Raises an :class:`OSCInvalidDataError` subclass naming the argument, the tag and the
    value when the value does not convert or does not fit; anything the value's own
    ``__index__``/``__int__``/``__float__``/``__str__`` raises is wrapped the same way.
    """
    encode = _ENCODERS.get(tag)
    if encode is None:
        raise OSCUnknownTypetagError(f"unknown type tag {tag!r} for {where(path, value)}")
    try:
        encode(out, value, options)
    except OSCError:
        raise
    except Exception as error:
        raise encoding_error(error, f"{where(path, value)}: cannot encode as {tag!r}") from error


def array_items(value: Any, path: tuple[int, ...]) -> Optional[tuple[Any, ...]]:
    """The items of an array argument, as a snapshot; None when *value* is not an array.

    Lists and tuples are arrays, and so are numpy arrays (``tolist()``: nested lists for
    N-D arrays). The snapshot is what gets encoded, whatever the values' conversions do
    to the list afterwards.
    """
    kind = type(value)
    if kind is tuple:
        return value  # type: ignore[no-any-return]
    try:
        if kind is list or isinstance(value, (list, tuple)):
            return tuple(value)
        if _numpy_like(value) and getattr(value, "ndim", 0) > 0:
            return tuple(value.tolist())
    except OSCError:
        raise
    except Exception as error:
        raise encoding_error(error, f"{where(path, value)}: cannot read the array") from error
    return None


def auto_tag(value: Any, path: tuple[int, ...]) -> tuple[str, Any]:
    """The type tag auto-typing gives *value*, and the value to encode with it.

    The slow path of auto-typing (the twins handle exact int, float, str, bool, None,
    bytes, bytearray, list and tuple inline). ``"["`` comes with the array's items as a
    tuple. Numbers are converted here, once: an ``__index__`` object becomes the int it
    gives, a ``__float__`` one the float, a numpy value its Python value.
    """
    try:
        return _auto_tag(value, path)
    except OSCError:
        raise
    except Exception as error:
        raise encoding_error(error, f"{where(path, value)}: cannot type it") from error


def _auto_tag(value: Any, path: tuple[int, ...]) -> tuple[str, Any]:
    if value is True:
        return "T", value
    if value is False:
        return "F", value
    if value is None:
        return "N", value
    if isinstance(value, OSCtimetag):
        return "t", value
    if isinstance(value, OSCrgba):
        return "r", value
    if isinstance(value, OSCmidi):
        return "m", value
    if isinstance(value, OSCbang):
        return "I", value
    if isinstance(value, str):
        return "s", value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "b", value
    if isinstance(value, float):
        return "f", value
    items = array_items(value, path)
    if items is not None:
        return "[", items
    if _numpy_like(value):
        plain = value.tolist()
        if type(plain) in _PLAIN_TAGS:  # a numpy scalar: its Python value's tag
            return _auto_tag(plain, path)
        if isinstance(plain, complex):  # numpy's __float__ would drop the imaginary part
            raise bad_value(path, value, "no OSC type for complex numbers", OSCValueTypeError)
    if hasattr(type(value), "__index__"):
        number = operator.index(value)
        if INT32_MIN <= number <= INT32_MAX:
            return "i", number
        if INT64_MIN <= number <= INT64_MAX:
            return "h", number
        raise bad_value(path, value, "integer outside the int64 range", OSCValueRangeError)
    if hasattr(type(value), "__float__"):
        return "f", float(value)
    raise bad_value(path, value, "no OSC type for this Python type", OSCNoTypeError)


_PLAIN_TAGS = frozenset({bool, int, float, str, bytes})
