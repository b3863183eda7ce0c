"""Codec robustness on both twins: lists that change during encoding, nesting at and past
the depth limits, and exotic codec options on decode.

Issues 9.1 (the compiled encoder read past the end of a list that shrank while a value's
``__index__``/``__float__``/``__str__`` ran: SEGV), 9.2 (raised depth limits: the pure twin
raised RecursionError, the compiled twin overflowed the C stack) and 9.14 (UnicodeError and
other codec errors escaping decode_packet). Expected bytes are written by hand or built
with ``struct``, never produced by the code under test.
"""

from __future__ import annotations

import codecs
import struct
import sys
import threading
import time
from types import ModuleType
from typing import Any, Callable, Optional

import pytest

from oscwire.oscbuildparse import (
    DEPTH_LIMIT,
    MAX_ARRAY_DEPTH,
    OSCBundle,
    OSCError,
    OSCInvalidDataError,
    OSCInvalidRawError,
    OSCMessage,
    OSCStringDecodeError,
)


def osc_string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return data + b"\0" * (-len(data) % 4)


def message_bytes(address: str, tags: str, args: bytes = b"") -> bytes:
    return osc_string(address) + osc_string(tags) + args


def ints(*values: int) -> bytes:
    return struct.pack(f">{len(values)}i", *values)


# -------------------------------------------------- lists that change while encoding (9.1)


class Mutator:
    """An int-like value whose conversion runs *action* on the list it sits in."""

    def __init__(self, number: int, action: Callable[[], None]) -> None:
        self.number = number
        self.action = action

    def __index__(self) -> int:
        self.action()
        return self.number

    def __float__(self) -> float:
        self.action()
        return float(self.number)

    def __str__(self) -> str:
        self.action()
        return str(self.number)


def clear(seq: list[Any]) -> Callable[[], None]:
    return seq.clear


def shrink(seq: list[Any]) -> Callable[[], None]:
    return lambda: seq.__delitem__(slice(1, None))


def extend(seq: list[Any]) -> Callable[[], None]:
    return lambda: seq.extend([7] * 100)


def replace(seq: list[Any]) -> Callable[[], None]:
    return lambda: seq.__setitem__(slice(None), ["x"])


ACTIONS: dict[str, Callable[[list[Any]], Callable[[], None]]] = {
    "clear": clear,
    "shrink": shrink,
    "extend": extend,
    "replace": replace,
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("tags", [",iiiiiiii", None])
def test_argument_list_changed_by_index_encodes_the_snapshot(
    codec_impl: ModuleType, action: Any, tags: Any
) -> None:
    args: list[Any] = []
    args += [Mutator(9, ACTIONS[action](args)), *range(1, 8)]
    raw = codec_impl.encode_packet(OSCMessage("/a", tags, args))
    assert bytes(raw) == message_bytes("/a", ",iiiiiiii", ints(9, 1, 2, 3, 4, 5, 6, 7))


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize(("tags", "expected"), [(",fssf", None), (None, None)])
def test_float_and_str_conversions_changing_the_list(
    codec_impl: ModuleType, action: Any, tags: Any, expected: Any
) -> None:
    args: list[Any] = []
    mutator = Mutator(2, ACTIONS[action](args))
    args += [1.5, mutator, "end", 0.5]
    if tags is None:
        # Auto-typing: an __index__ object is an int (its __index__ runs once).
        raw = codec_impl.encode_packet(OSCMessage("/a", None, args))
        tail = struct.pack(">fi", 1.5, 2) + osc_string("end") + struct.pack(">f", 0.5)
        assert bytes(raw) == message_bytes("/a", ",fisf", tail)
    else:
        raw = codec_impl.encode_packet(OSCMessage("/a", tags, args))
        tail = struct.pack(">f", 1.5) + osc_string("2") + osc_string("end")
        assert bytes(raw) == message_bytes("/a", tags, tail + struct.pack(">f", 0.5))


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("tags", [",i[ii[i]i]i", None])
def test_nested_array_changed_by_index_encodes_the_snapshot(
    codec_impl: ModuleType, action: Any, tags: Any
) -> None:
    inner: list[Any] = []
    inner += [Mutator(4, ACTIONS[action](inner))]
    middle: list[Any] = [2, 3, inner, 5]
    outer: list[Any] = [1, middle, 6]
    first_action = inner[0].action

    def change_all() -> None:  # the outer lists change too, from the innermost conversion
        first_action()
        middle.clear()
        outer.clear()

    inner[0].action = change_all
    raw = codec_impl.encode_packet(OSCMessage("/a", tags, outer))
    assert bytes(raw) == message_bytes("/a", ",i[ii[i]i]i", ints(1, 2, 3, 4, 5, 6))


def test_bundle_elements_changed_during_encoding(codec_impl: ModuleType) -> None:
    elements: list[Any] = []
    grow = Mutator(1, lambda: elements.append(OSCMessage("/late", None, [])))
    shrink = Mutator(2, elements.clear)
    elements += [OSCMessage("/a", None, [grow]), OSCMessage("/b", None, [shrink])]
    raw = codec_impl.encode_packet(OSCBundle((0, 1), elements))
    first = message_bytes("/a", ",i", ints(1))
    second = message_bytes("/b", ",i", ints(2))
    expected = b"#bundle\0" + ints(0, 1) + ints(len(first)) + first + ints(len(second)) + second
    assert bytes(raw) == expected


@pytest.mark.parametrize("tags", [None, ",ii"])
def test_encode_message_with_a_changing_list(codec_impl: ModuleType, tags: Any) -> None:
    args: list[Any] = []
    args += [Mutator(3, args.clear), 4]
    assert codec_impl.encode_message("/a", args, tags) == message_bytes("/a", ",ii", ints(3, 4))
    assert args == []


def test_two_threads_changing_a_list_while_it_encodes(codec_impl: ModuleType) -> None:
    """Bounded stress: one thread resizes the list that another encodes (about 1 s).

    Python switches threads at conversions (a Python ``__index__``) and allocations; a
    twin that trusts a length read before them reads freed memory. Every result must be a
    well-formed message of some snapshot, or a clean error (never a crash).
    """
    shared: list[Any] = [1, 2.5, "x"] * 20
    stop = threading.Event()
    resizes = 0

    class Slow:
        def __index__(self) -> int:
            time.sleep(0)  # let the other thread run
            return 5

    def resize() -> None:
        nonlocal resizes
        while not stop.is_set():
            shared[:] = [Slow(), 2.5, "x", [1, Slow()]] * (resizes % 17)
            resizes += 1

    thread = threading.Thread(target=resize, daemon=True)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: more interleavings per second
    thread.start()
    encoded = 0
    try:
        busy_until = time.monotonic() + 1.0  # at least a second of interleavings
        deadline = busy_until + 14.0  # bounded; a sanitizer build is slow
        while time.monotonic() < deadline and (
            time.monotonic() < busy_until or encoded < 200 or resizes < 20
        ):
            for tags in (None, "," + "ifs" * 20):
                try:
                    raw = codec_impl.encode_packet(OSCMessage("/stress", tags, shared))
                except OSCInvalidDataError:
                    continue  # explicit tags that no longer match the list: a clean error
                assert codec_impl.decode_packet(bytes(raw)).addrpattern == "/stress"
                encoded += 1
    finally:
        stop.set()
        thread.join(5.0)
        sys.setswitchinterval(interval)
    assert encoded >= 200 and resizes >= 20


# ----------------------------------------------------------------- depth limits (9.2)


def nested_bundles(depth: int) -> bytes:
    """*depth* empty bundles, each inside the previous one, built by hand."""
    raw = b"#bundle\0" + ints(0, 1)
    for _ in range(depth - 1):
        raw = b"#bundle\0" + ints(0, 1) + ints(len(raw)) + raw
    return raw


def bundle_depth(packet: Any) -> int:
    depth = 1
    while packet.elements:
        (packet,) = packet.elements
        depth += 1
    return depth


def test_depth_limit_is_a_hard_maximum_of_the_options(codec_impl: ModuleType) -> None:
    assert DEPTH_LIMIT == 256
    for name in ("max_bundle_depth", "max_array_depth"):
        for bad in (DEPTH_LIMIT + 1, 10**6, -1):
            with pytest.raises(OSCInvalidDataError, match=rf"{name}.*0\.\.256"):
                codec_impl.decode_packet(nested_bundles(1), {name: bad})
            with pytest.raises(OSCInvalidDataError, match=rf"{name}.*0\.\.256"):
                codec_impl.encode_packet(OSCMessage("/a", None, []), {name: bad})
        with pytest.raises(OSCInvalidDataError, match=f"{name}.*must be an int"):
            codec_impl.decode_packet(nested_bundles(1), {name: "deep"})


def test_bundles_decode_at_the_limit_and_fail_past_it(codec_impl: ModuleType) -> None:
    oob = {"max_bundle_depth": DEPTH_LIMIT}
    assert bundle_depth(codec_impl.decode_packet(nested_bundles(DEPTH_LIMIT), oob)) == DEPTH_LIMIT
    with pytest.raises(OSCInvalidRawError, match="bundles nested deeper than 256 levels"):
        codec_impl.decode_packet(nested_bundles(DEPTH_LIMIT + 1), oob)
    # Far past the limit: still an OSC error, no recursion at all.
    with pytest.raises(OSCInvalidRawError, match="nested deeper"):
        codec_impl.decode_packet(nested_bundles(5000), oob)


def test_bundles_encode_at_the_limit_and_fail_past_it(codec_impl: ModuleType) -> None:
    oob = {"max_bundle_depth": DEPTH_LIMIT}
    packet = OSCBundle(None, [])
    for _ in range(DEPTH_LIMIT - 1):
        packet = OSCBundle(None, [packet])
    assert bytes(codec_impl.encode_packet(packet, oob)) == nested_bundles(DEPTH_LIMIT)
    with pytest.raises(OSCInvalidDataError, match="bundles nested deeper than 256 levels"):
        codec_impl.encode_packet(OSCBundle(None, [packet]), oob)


def nested_array(depth: int) -> bytes:
    return message_bytes("/a", "," + "[" * depth + "i" + "]" * depth, ints(7))


def test_arrays_decode_at_the_limit_and_fail_past_it(codec_impl: ModuleType) -> None:
    oob = {"max_array_depth": DEPTH_LIMIT}
    value = codec_impl.decode_packet(nested_array(DEPTH_LIMIT), oob).arguments
    for _ in range(DEPTH_LIMIT):
        (value,) = value
    assert value == (7,)
    with pytest.raises(OSCInvalidRawError, match="arrays nested deeper than 256 levels"):
        codec_impl.decode_packet(nested_array(DEPTH_LIMIT + 1), oob)


@pytest.mark.parametrize("typed", [False, True])
def test_arrays_encode_at_the_limit_and_fail_past_it(codec_impl: ModuleType, typed: Any) -> None:
    oob = {"max_array_depth": DEPTH_LIMIT}
    value: Any = [7]
    for _ in range(DEPTH_LIMIT - 1):
        value = [value]
    tags = "," + "[" * DEPTH_LIMIT + "i" + "]" * DEPTH_LIMIT if typed else None
    assert bytes(codec_impl.encode_packet(OSCMessage("/a", tags, [value]), oob)) == (
        nested_array(DEPTH_LIMIT)
    )
    deeper = "," + "[" * (DEPTH_LIMIT + 1) + "i" + "]" * (DEPTH_LIMIT + 1) if typed else None
    with pytest.raises(OSCInvalidDataError, match="arrays nested deeper than 256 levels"):
        codec_impl.encode_packet(OSCMessage("/a", deeper, [[value]]), oob)


@pytest.mark.parametrize("limit", [MAX_ARRAY_DEPTH, DEPTH_LIMIT])
@pytest.mark.parametrize("tags", [None, ",[[[i]]]"])
def test_self_containing_list_is_refused_at_the_limit(
    codec_impl: ModuleType, limit: Any, tags: Any
) -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(OSCInvalidDataError, match=f"nested deeper than {limit} levels") as info:
        codec_impl.encode_packet(OSCMessage("/a", None, [1, loop]), {"max_array_depth": limit})
    assert "argument #1[0][0]" in str(info.value)
    if tags:  # explicit tags walk only as deep as they say, then find the list
        with pytest.raises(OSCInvalidDataError, match=r"#0\[0\]\[0\]"):
            codec_impl.encode_packet(OSCMessage("/a", tags, [loop]))


def test_zero_depth_refuses_bundles_and_arrays(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidRawError, match="nested deeper than 0"):
        codec_impl.decode_packet(nested_bundles(1), {"max_bundle_depth": 0})
    with pytest.raises(OSCInvalidRawError, match="nested deeper than 0"):
        codec_impl.decode_packet(nested_array(1), {"max_array_depth": 0})
    with pytest.raises(OSCInvalidDataError, match="nested deeper than 0"):
        codec_impl.encode_packet(OSCMessage("/a", None, [[1]]), {"max_array_depth": 0})
    assert codec_impl.decode_packet(message_bytes("/a", ",i", ints(1)), {"max_array_depth": 0})


# ---------------------------------------------------- exotic codec options on decode (9.14)

CHAR_E9 = message_bytes("/a", ",c", bytes.fromhex("000000e9"))
STRING_FF = message_bytes("/a", ",s", b"\xff\0\0\0")


def test_char_decode_idna_is_refused_when_the_call_starts(codec_impl: ModuleType) -> None:
    # idna supports no error handler but "strict", and chars decode with "replace".
    with pytest.raises(OSCInvalidDataError, match="'char_decode': 'idna' cannot decode"):
        codec_impl.decode_packet(CHAR_E9, {"char_decode": "idna"})


def _ascii_only_search(name: str) -> Optional[codecs.CodecInfo]:
    """A codec that decodes ASCII and raises for any other byte, whatever the error handler
    (as punycode did before Python 3.13: a quirk no test should lean on)."""
    if name != "oscwire_test_ascii_only":
        return None

    def decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
        raw = bytes(data)
        if any(byte >= 0x80 for byte in raw):
            raise ValueError(f"byte outside ASCII ({errors=} ignored)")
        return raw.decode("ascii"), len(raw)

    def encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
        return text.encode("ascii", errors), len(text)

    return codecs.CodecInfo(encode, decode, name="oscwire_test_ascii_only")


def test_char_decode_failing_on_one_byte_is_an_osc_error(codec_impl: ModuleType) -> None:
    codecs.register(_ascii_only_search)
    try:
        with pytest.raises(
            OSCInvalidRawError, match=r"char argument 233 cannot be decoded.*offset 8"
        ):
            codec_impl.decode_packet(CHAR_E9, {"char_decode": "oscwire_test_ascii_only"})
    finally:
        if sys.version_info >= (3, 10):  # 3.9 cannot unregister; the search is harmless
            codecs.unregister(_ascii_only_search)


@pytest.mark.parametrize(
    ("str_decode", "what"),
    [
        (("punycode", "strict"), "address"),  # '/' is not punycode
        (("utf-8", "xmlcharrefreplace"), "string argument"),  # an encode-only handler
        (("idna", "strict"), "string argument"),
    ],
)
def test_str_decode_failures_are_osc_errors(
    codec_impl: ModuleType, str_decode: Any, what: Any
) -> None:
    raw = STRING_FF if what == "string argument" else message_bytes("/a", ",")
    if str_decode[0] == "idna":
        raw = message_bytes("/a", ",s", osc_string("a" * 64 + "." + "\u00e9"))
    with pytest.raises(OSCInvalidRawError, match=f"{what} cannot be decoded") as info:
        codec_impl.decode_packet(raw, {"str_decode": str_decode})
    assert info.value.__cause__ is not None


def test_bad_utf8_is_an_osc_error_and_a_unicode_decode_error(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCStringDecodeError) as info:
        codec_impl.decode_packet(STRING_FF)
    error = info.value
    assert isinstance(error, OSCInvalidRawError) and isinstance(error, UnicodeDecodeError)
    assert str(error) == "string argument cannot be decoded (invalid start byte) (at offset 8)"
    assert (error.encoding, error.start, error.reason) == ("utf-8", 0, "invalid start byte")


def test_error_handlers_that_work_on_decode(codec_impl: ModuleType) -> None:
    assert codec_impl.decode_packet(STRING_FF, {"str_decode": ("utf-8", "replace")}).arguments == (
        "\ufffd",
    )
    assert codec_impl.decode_packet(
        STRING_FF, {"str_decode": ("utf-8", "surrogateescape")}
    ).arguments == ("\udcff",)
    assert codec_impl.decode_packet(CHAR_E9, {"char_decode": "ascii"}).arguments == ("\ufffd",)


@pytest.mark.parametrize(
    "oob",
    [
        {"char_decode": "utf-16"},
        {"char_decode": "utf-8"},
        {"str_decode": ("utf-16", "strict")},
        {"str_decode": ("punycode", "ignore")},
        {"str_decode": ("ascii", "backslashreplace")},
        {"str_decode": ("cp037", "strict")},
    ],
)
def test_decoding_with_any_codec_raises_only_osc_errors(codec_impl: ModuleType, oob: Any) -> None:
    packets = [CHAR_E9, STRING_FF, b"/\xe9\0\0,\0\0\0"]
    packets.append(message_bytes("/a", ",sc", osc_string("a\u00e9") + bytes.fromhex("000000ff")))
    for raw in packets:
        try:
            result = codec_impl.decode_packet(raw, oob)
        except OSCError:
            continue
        assert isinstance(result, OSCMessage)
