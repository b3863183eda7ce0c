"""oscbuildparse: golden vectors, type tags, auto-typing, options and errors, on both twins.

Expected bytes are written by hand from the OSC 1.0 specification (big-endian int32 and
IEEE 754 words, OSC-strings NUL-terminated and padded to 4 bytes), never produced by the
code under test.
"""

from __future__ import annotations

import enum
import io
from fractions import Fraction
from types import ModuleType
from typing import Any

import pytest

from oscwire import oscbuildparse as obp
from oscwire.oscbuildparse import (
    OSC_BANG,
    OSC_IMMEDIATELY,
    OSC_INFINITUM,
    OSCBundle,
    OSCError,
    OSCInvalidDataError,
    OSCInvalidRawError,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
    OSCUnknownTypetagError,
)


def hx(text: str) -> bytes:
    """Bytes from spaced hex, as the OSC spec writes its examples."""
    return bytes.fromhex(text)


# ------------------------------------------------------------------ the OSC 1.0 spec examples

# "/oscillator/4/frequency" ,f 440.0 — the first example of the OSC 1.0 specification.
SPEC_EXAMPLE_1 = hx("2f6f7363 696c6c61 746f722f 342f6672 65717565 6e637900 2c660000 43dc0000")
# "/foo" ,iisff 1000 -1 "hello" 1.234 5.678 — the second example of the specification.
SPEC_EXAMPLE_2 = hx(
    "2f666f6f 00000000 2c696973 66660000 000003e8 ffffffff 68656c6c 6f000000 3f9df3b6 40b5b22d"
)


def test_spec_example_1_encodes_to_spec_bytes(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_packet(OSCMessage("/oscillator/4/frequency", ",f", [440.0]))
    assert bytes(raw) == SPEC_EXAMPLE_1


def test_spec_example_1_auto_typed(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_packet(OSCMessage("/oscillator/4/frequency", None, [440.0]))
    assert bytes(raw) == SPEC_EXAMPLE_1


def test_spec_example_1_decodes(codec_impl: ModuleType) -> None:
    msg = codec_impl.decode_packet(SPEC_EXAMPLE_1)
    assert msg == ("/oscillator/4/frequency", ",f", (440.0,))
    assert type(msg) is OSCMessage


def test_spec_example_2_encodes_to_spec_bytes(codec_impl: ModuleType) -> None:
    msg = OSCMessage("/foo", ",iisff", [1000, -1, "hello", 1.234, 5.678])
    assert bytes(codec_impl.encode_packet(msg)) == SPEC_EXAMPLE_2
    assert bytes(codec_impl.encode_packet(msg._replace(typetags=None))) == SPEC_EXAMPLE_2


def test_spec_example_2_decodes(codec_impl: ModuleType) -> None:
    msg = codec_impl.decode_packet(SPEC_EXAMPLE_2)
    assert msg.addrpattern == "/foo"
    assert msg.typetags == ",iisff"
    assert msg.arguments[:3] == (1000, -1, "hello")
    assert msg.arguments[3] == pytest.approx(1.234, rel=1e-7)
    assert msg.arguments[4] == pytest.approx(5.678, rel=1e-7)


def test_encode_returns_bytearray(codec_impl: ModuleType) -> None:
    assert type(codec_impl.encode_packet(OSCMessage("/a", None, []))) is bytearray


# ------------------------------------------------------------------------- every type tag

# (typetags, arguments, argument bytes as hex, decoded arguments)
TYPE_CASES = [
    (",i", [1], "00000001", (1,)),
    (",i", [-1], "ffffffff", (-1,)),
    (",i", [-(2**31)], "80000000", (-(2**31),)),
    (",f", [1.0], "3f800000", (1.0,)),
    (",f", [-2.5], "c0200000", (-2.5,)),
    (",s", [""], "00000000", ("",)),
    (",s", ["abc"], "61626300", ("abc",)),
    (",s", ["abcd"], "61626364 00000000", ("abcd",)),
    (",S", ["sym"], "73796d00", ("sym",)),
    (",s", ["é"], "c3a90000", ("é",)),
    (",b", [b""], "00000000", (b"",)),
    (",b", [b"\x01"], "00000001 01000000", (b"\x01",)),
    (",b", [b"abcd"], "00000004 61626364", (b"abcd",)),
    (",h", [2**40], "00000100 00000000", (2**40,)),
    (",h", [-1], "ffffffff ffffffff", (-1,)),
    (",d", [1.0], "3ff00000 00000000", (1.0,)),
    (",t", [OSCtimetag(1, 2)], "00000001 00000002", (OSCtimetag(1, 2),)),
    (",c", ["A"], "00000041", ("A",)),
    (",r", [OSCrgba(1, 2, 3, 4)], "01020304", (OSCrgba(1, 2, 3, 4),)),
    (",m", [OSCmidi(0x90, 0x3C, 0x7F, 0)], "903c7f00", (OSCmidi(0x90, 0x3C, 0x7F, 0),)),
    (",T", [True], "", (True,)),
    (",F", [False], "", (False,)),
    (",N", [None], "", (None,)),
    (",I", [OSC_INFINITUM], "", (OSC_BANG,)),
    (",[]", [[]], "", ((),)),
    (",[i]", [[7]], "00000007", ((7,),)),
    (",i[f[s]]T", [1, [2.0, ["x"]], True], "00000001 40000000 78000000", (1, (2.0, ("x",)), True)),
]


def message_bytes(address_hex: str, tags: str, args_hex: str) -> bytes:
    tag_bytes = tags.encode() + b"\0"
    tag_bytes += b"\0" * (-len(tag_bytes) % 4)
    return hx(address_hex) + tag_bytes + hx(args_hex)


@pytest.mark.parametrize(("tags", "args", "args_hex", "decoded"), TYPE_CASES)
def test_every_type_tag_encodes(
    codec_impl: ModuleType, tags: Any, args: Any, args_hex: Any, decoded: Any
) -> None:
    raw = codec_impl.encode_packet(OSCMessage("/a", tags, args))
    assert bytes(raw) == message_bytes("2f610000", tags, args_hex)


@pytest.mark.parametrize(("tags", "args", "args_hex", "decoded"), TYPE_CASES)
def test_every_type_tag_decodes(
    codec_impl: ModuleType, tags: Any, args: Any, args_hex: Any, decoded: Any
) -> None:
    msg = codec_impl.decode_packet(message_bytes("2f610000", tags, args_hex))
    assert msg.typetags == tags
    got = tuple(bytes(v) if isinstance(v, memoryview) else v for v in msg.arguments)
    assert got == decoded


def test_decoded_types(codec_impl: ModuleType) -> None:
    raw = message_bytes(
        "2f610000", ",tcrmIb", "00000001 00000002 00000041 01020304 05060708 00000001 ff000000"
    )
    msg = codec_impl.decode_packet(raw)
    assert type(msg.arguments) is tuple
    t, c, r, m, i, b = msg.arguments
    assert type(t) is OSCtimetag
    assert type(c) is str and c == "A"
    assert type(r) is OSCrgba and type(m) is OSCmidi
    assert i is OSC_INFINITUM
    assert type(b) is memoryview


def test_blob_is_zero_copy_view_of_input(codec_impl: ModuleType) -> None:
    raw = message_bytes("2f610000", ",b", "00000003 78797a00")
    blob = codec_impl.decode_packet(raw).arguments[0]
    assert isinstance(blob, memoryview)
    assert blob.obj is raw
    assert blob.tobytes() == b"xyz"


def test_blob_bytes_option(codec_impl: ModuleType) -> None:
    raw = message_bytes("2f610000", ",b", "00000003 78797a00")
    blob = codec_impl.decode_packet(raw, {"blob_bytes": True}).arguments[0]
    assert type(blob) is bytes and blob == b"xyz"


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_decode_accepts_bytes_like(codec_impl: ModuleType, kind: Any) -> None:
    msg = codec_impl.decode_packet(kind(SPEC_EXAMPLE_2))
    assert msg.arguments[:3] == (1000, -1, "hello")


def test_decode_memoryview_slice(codec_impl: ModuleType) -> None:
    data = b"\xff" * 8 + SPEC_EXAMPLE_1 + b"\xee" * 4
    msg = codec_impl.decode_packet(memoryview(data)[8:-4])
    assert msg.arguments == (440.0,)


def test_decode_rejects_non_buffer(codec_impl: ModuleType) -> None:
    with pytest.raises(TypeError):
        codec_impl.decode_packet("/a\0\0,\0\0\0")


# ---------------------------------------------------------------------------- char layout


def test_char_decodes_both_layouts(codec_impl: ModuleType) -> None:
    liblo = message_bytes("2f610000", ",c", "00000041")
    osc4py3 = message_bytes("2f610000", ",c", "41000000")
    assert codec_impl.decode_packet(liblo).arguments == ("A",)
    assert codec_impl.decode_packet(osc4py3).arguments == ("A",)
    nul = message_bytes("2f610000", ",c", "00000000")
    assert codec_impl.decode_packet(nul).arguments == ("\0",)


def test_char_outside_a_byte_is_an_error(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidRawError, match="offset 8"):
        codec_impl.decode_packet(message_bytes("2f610000", ",c", "00000141"))


def test_char_osc4py3_layout_option(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_packet(OSCMessage("/a", ",c", ["A"]), {"char_layout": "osc4py3"})
    assert bytes(raw) == message_bytes("2f610000", ",c", "41000000")


@pytest.mark.parametrize("value", ["A", b"A", 65])
def test_char_accepted_values(codec_impl: ModuleType, value: Any) -> None:
    raw = codec_impl.encode_packet(OSCMessage("/a", ",c", [value]))
    assert bytes(raw) == message_bytes("2f610000", ",c", "00000041")


@pytest.mark.parametrize("value", ["AB", "", 256, -1, "€", b"AB", float("nan")])
def test_char_rejected_values(codec_impl: ModuleType, value: Any) -> None:
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCMessage("/a", ",c", [value]))


# ------------------------------------------------------------------------------- bundles

EMPTY_BUNDLE = hx("2362756e 646c6500 00000000 00000001")


def test_empty_bundle(codec_impl: ModuleType) -> None:
    assert bytes(codec_impl.encode_packet(OSCBundle(OSC_IMMEDIATELY, []))) == EMPTY_BUNDLE
    assert codec_impl.decode_packet(EMPTY_BUNDLE) == OSCBundle(OSC_IMMEDIATELY, ())


def test_bundle_immediately_encodes_as_one(codec_impl: ModuleType) -> None:
    assert bytes(codec_impl.encode_packet(OSCBundle(None, []))) == EMPTY_BUNDLE
    assert bytes(codec_impl.encode_packet(OSCBundle(OSCtimetag(0, 0), []))) == EMPTY_BUNDLE


def test_bundle_timetag_zero_decodes_as_immediately(codec_impl: ModuleType) -> None:
    raw = hx("2362756e 646c6500 00000000 00000000")
    assert codec_impl.decode_packet(raw).timetag == OSC_IMMEDIATELY


def test_bundle_with_messages_and_nested_bundle(codec_impl: ModuleType) -> None:
    inner_msg = hx("2f620000 2c690000 00000002")  # /b ,i 2
    inner = hx("2362756e 646c6500 00000003 00000004") + hx("0000000c") + inner_msg
    outer_msg = hx("2f610000 2c000000")  # /a ,
    expected = (
        hx("2362756e 646c6500 00000001 00000002")
        + hx("00000008")
        + outer_msg
        + len(inner).to_bytes(4, "big")
        + inner
    )
    packet = OSCBundle(
        OSCtimetag(1, 2),
        [OSCMessage("/a", None, []), OSCBundle(OSCtimetag(3, 4), [OSCMessage("/b", ",i", [2])])],
    )
    assert bytes(codec_impl.encode_packet(packet)) == expected
    decoded = codec_impl.decode_packet(expected)
    assert decoded == (
        OSCtimetag(1, 2),
        (("/a", ",", ()), (OSCtimetag(3, 4), (("/b", ",i", (2,)),))),
    )
    assert type(decoded.elements[1]) is OSCBundle


def test_bundle_elements_must_be_packets(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCBundle(None, [("/a", None, [])]))


def test_bundle_timetag_must_be_a_timetag(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCBundle(12.5, []))
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCBundle((2**32, 0), []))


def nested_bundles(depth: int) -> bytes:
    raw = EMPTY_BUNDLE
    for _ in range(depth - 1):
        raw = hx("2362756e 646c6500 00000000 00000001") + len(raw).to_bytes(4, "big") + raw
    return raw


def test_bundle_nesting_limit(codec_impl: ModuleType) -> None:
    assert obp.MAX_BUNDLE_DEPTH == 32
    packet = codec_impl.decode_packet(nested_bundles(32))
    depth = 1
    while packet.elements:
        packet = packet.elements[0]
        depth += 1
    assert depth == 32
    with pytest.raises(OSCInvalidRawError, match="nested deeper"):
        codec_impl.decode_packet(nested_bundles(33))


def test_bundle_nesting_limit_on_encode(codec_impl: ModuleType) -> None:
    packet = OSCBundle(None, [])
    for _ in range(32):
        packet = OSCBundle(None, [packet])
    with pytest.raises(OSCInvalidDataError, match="nested deeper"):
        codec_impl.encode_packet(packet)


def test_array_nesting_limit(codec_impl: ModuleType) -> None:
    assert obp.MAX_ARRAY_DEPTH == 32
    ok = "[" * 32 + "]" * 32
    raw = message_bytes("2f610000", "," + ok, "")
    value = codec_impl.decode_packet(raw).arguments
    for _ in range(32):
        (value,) = value
    assert value == ()
    deep = "[" * 33 + "]" * 33
    with pytest.raises(OSCInvalidRawError, match="nested deeper"):
        codec_impl.decode_packet(message_bytes("2f610000", "," + deep, ""))
    nested: list[Any] = []
    for _ in range(33):
        nested = [nested]
    with pytest.raises(OSCInvalidDataError, match="nested deeper"):
        codec_impl.encode_packet(OSCMessage("/a", None, nested))


def test_self_referencing_list_is_bounded(codec_impl: ModuleType) -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCMessage("/a", None, [loop]))


# --------------------------------------------------------------------------- type tag forms


def test_typetags_decoded_with_leading_comma(codec_impl: ModuleType) -> None:
    assert codec_impl.decode_packet(SPEC_EXAMPLE_1).typetags == ",f"


@pytest.mark.parametrize("tags", [",iisff", "iisff"])
def test_typetags_accepted_with_or_without_comma(codec_impl: ModuleType, tags: Any) -> None:
    msg = OSCMessage("/foo", tags, [1000, -1, "hello", 1.234, 5.678])
    assert bytes(codec_impl.encode_packet(msg)) == SPEC_EXAMPLE_2


def test_message_without_typetags_is_accepted_by_default(codec_impl: ModuleType) -> None:
    msg = codec_impl.decode_packet(hx("2f787265 6d6f7465 00000000"))  # "/xremote"
    assert msg == ("/xremote", ",", ())


def test_message_without_typetags_rejected_when_forced(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidRawError, match="no type tag"):
        codec_impl.decode_packet(hx("2f787265 6d6f7465 00000000"), {"force_typetags": True})


def test_message_without_typetags_but_data_is_an_error(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidRawError, match="offset 4"):
        codec_impl.decode_packet(hx("2f610000 00000001"))


def test_empty_typetags_string(codec_impl: ModuleType) -> None:
    raw = hx("2f610000 2c000000")
    assert bytes(codec_impl.encode_packet(OSCMessage("/a", ",", []))) == raw
    assert bytes(codec_impl.encode_packet(OSCMessage("/a", None, ()))) == raw
    assert bytes(codec_impl.encode_packet(OSCMessage("/a", "", None))) == raw
    assert codec_impl.decode_packet(raw) == ("/a", ",", ())


# ----------------------------------------------------------------------------- auto-typing


class Color(enum.IntEnum):
    RED = 3


class Index:
    def __index__(self) -> int:
        return 5


class Floaty:
    def __float__(self) -> float:
        return 0.5


class Nothing:
    pass


@pytest.mark.parametrize(
    ("value", "tag", "data"),
    [
        (True, "T", ""),
        (False, "F", ""),
        (None, "N", ""),
        (0, "i", "00000000"),
        (2**31 - 1, "i", "7fffffff"),
        (2**31, "h", "00000000 80000000"),
        (-(2**31) - 1, "h", "ffffffff 7fffffff"),
        (-(2**63), "h", "80000000 00000000"),
        (1.5, "f", "3fc00000"),
        ("hi", "s", "68690000"),
        (b"\x01\x02", "b", "00000002 01020000"),
        (bytearray(b"\x01"), "b", "00000001 01000000"),
        (memoryview(b"\x01"), "b", "00000001 01000000"),
        (OSCrgba(1, 2, 3, 4), "r", "01020304"),
        (OSCmidi(1, 2, 3, 4), "m", "01020304"),
        (OSCtimetag(1, 2), "t", "00000001 00000002"),
        (OSC_BANG, "I", ""),
        (Color.RED, "i", "00000003"),
        (Index(), "i", "00000005"),
        (Floaty(), "f", "3f000000"),
        (Fraction(1, 4), "f", "3e800000"),
        ([1, "x"], "[is]", "00000001 78000000"),
        ((), "[]", ""),
    ],
)
def test_auto_typing(codec_impl: ModuleType, value: Any, tag: Any, data: Any) -> None:
    raw = codec_impl.encode_packet(OSCMessage("/a", None, [value]))
    assert bytes(raw) == message_bytes("2f610000", "," + tag, data)


def test_bool_is_not_int(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_packet(OSCMessage("/a", None, [True, 1, False, 0]))
    assert codec_impl.decode_packet(raw).typetags == ",TiFi"


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, Nothing(), {1: 2}, {1}, 1j])
def test_auto_typing_rejects_with_position(codec_impl: ModuleType, value: Any) -> None:
    with pytest.raises(OSCInvalidDataError, match="#2"):
        codec_impl.encode_packet(OSCMessage("/a", None, [1, "x", value]))


def test_rejection_names_nested_position(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidDataError, match=r"#1\[0\]\[2\]"):
        codec_impl.encode_packet(OSCMessage("/a", None, [1, [[1, 2, Nothing()]]]))


def test_float_outside_float32_rejected(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidDataError, match="#0"):
        codec_impl.encode_packet(OSCMessage("/a", None, [1e39]))
    assert codec_impl.decode_packet(
        codec_impl.encode_packet(OSCMessage("/a", None, [float("inf")]))
    ).arguments == (float("inf"),)


class Address(str, enum.Enum):
    """Addresses named the way applications often do: a str enum."""

    FADER = "/mixer/fader"


def test_str_subclass_address_and_typetags(codec_impl: ModuleType) -> None:
    expected = hx("2f6d6978 65722f66 61646572 00000000 2c730000") + b"/mixer/fader\0\0\0\0"
    raw = codec_impl.encode_packet(OSCMessage(Address.FADER, None, [Address.FADER]))
    assert bytes(raw) == expected
    bundle = codec_impl.encode_packet(OSCBundle(None, [OSCMessage(Address.FADER, ",s", ["x"])]))
    assert bytes(bundle[20:36]) == b"/mixer/fader\0\0\0\0"
    compressed = codec_impl.encode_packet(
        OSCMessage(Address.FADER, None, []), {"addrpattern_compression": {"/mixer/fader": 3}}
    )
    assert bytes(compressed) == hx("2f000000 00000003 2c000000")


def test_string_with_nul_rejected(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCMessage("/a", None, ["a\0b"]))
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCMessage("/a\0", None, []))


# --------------------------------------------------------------------- explicit type tags


@pytest.mark.parametrize(
    ("tags", "value"),
    [
        (",i", 2**31),
        (",i", "1.5"),
        (",i", None),
        (",i", float("nan")),
        (",h", 2**63),
        (",f", "x"),
        (",d", None),
        (",b", "text"),
        (",b", 5),
        (",t", 1.5),
        (",t", (1, 2, 3)),
        (",t", (-1, 0)),
        (",r", (1, 2, 3)),
        (",r", (1, 2, 3, 256)),
        (",m", "abcd"),
        (",[i]", 5),
    ],
)
def test_explicit_tags_reject_bad_values(codec_impl: ModuleType, tags: Any, value: Any) -> None:
    with pytest.raises(OSCInvalidDataError, match="#0"):
        codec_impl.encode_packet(OSCMessage("/a", tags, [value]))


def test_explicit_tags_accept_index_and_float_objects(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_packet(OSCMessage("/a", ",ifhd", [Index(), Floaty(), Color.RED, 2]))
    assert codec_impl.decode_packet(raw).arguments == (5, 0.5, 3, 2.0)


def test_explicit_tag_s_converts_like_osc4py3(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_packet(OSCMessage("/a", ",ss", [42, b"raw\0"]))
    assert codec_impl.decode_packet(raw).arguments == ("42", "raw")


def test_explicit_tfni_consume_an_argument(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_packet(OSCMessage("/a", ",TiN", [True, 1, None]))
    assert bytes(raw) == message_bytes("2f610000", ",TiN", "00000001")


@pytest.mark.parametrize(
    ("tags", "args"),
    [
        (",ii", [1]),
        (",i", [1, 2]),
        (",[i", [[1]]),
        (",i]", [1]),
        (",[i]", [[1, 2]]),
    ],
)
def test_argument_count_mismatch(codec_impl: ModuleType, tags: Any, args: Any) -> None:
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCMessage("/a", tags, args))


def test_unknown_tag_on_encode(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCUnknownTypetagError):
        codec_impl.encode_packet(OSCMessage("/a", ",x", [1]))
    with pytest.raises(OSCUnknownTypetagError):
        codec_impl.encode_packet(OSCMessage("/a", ",é", [1]))


@pytest.mark.parametrize(
    "packet",
    [
        OSCMessage("a", None, []),
        OSCMessage(b"/a", None, []),  # type: ignore[arg-type]  # the wrong types on purpose
        OSCMessage("/a", None, 5),
        OSCMessage("/a", 5, [1]),  # type: ignore[arg-type]
        ("/a", None, []),
        "/a",
        None,
    ],
)
def test_bad_packets_rejected(codec_impl: ModuleType, packet: Any) -> None:
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(packet)


# ----------------------------------------------------------------------- malformed input

BAD_RAW = [
    (b"", "positive multiple of 4", 0),
    (b"/ab", "positive multiple of 4", 0),
    (b"abcd", "neither", 0),
    (b"/abc", "NUL-terminated", 0),
    (hx("2f610000 2c690000"), "int32 argument is truncated", 8),
    (hx("2f610000 2c660000"), "float32 argument is truncated", 8),
    (hx("2f610000 2c680000 00000000"), "int64 argument is truncated", 8),
    (hx("2f610000 2c640000 00000000"), "float64 argument is truncated", 8),
    (hx("2f610000 2c740000 00000000"), "time tag argument is truncated", 8),
    (hx("2f610000 2c730000"), "string argument is missing", 8),
    (hx("2f610000 2c730000 61626364"), "string argument is not NUL", 8),
    (hx("2f610000 2c620000"), "blob size is truncated", 8),
    (hx("2f610000 2c620000 ffffffff"), "blob size -1 is negative", 8),
    (hx("2f610000 2c620000 7fffffff"), "runs past the end", 8),
    (hx("2f610000 2c620000 00000005 61626364"), "runs past the end", 8),
    (hx("2f610000 2c690000 00000001 00000002"), "left over", 12),
    (hx("2f610000 2c5d0000"), "closes no array", 5),
    (hx("2f610000 2c5b0000"), "without a matching", 4),
    (hx("2f610000 2c6900"), "positive multiple of 4", 0),
    (hx("2f610000 2c696969"), "type tag string is not NUL", 4),
    (hx("2362756e 646c6500 00000000"), "time tag is truncated", 0),
    (hx("2362756e 646c6500 00000000 00000001 00000008"), "runs past the end", 16),
    (hx("2362756e 646c6500 00000000 00000001 00000000"), "positive multiple of 4", 16),
    (hx("2362756e 646c6500 00000000 00000001 fffffffc 00000000"), "positive multiple", 16),
    (hx("2362756e 646c6500 00000000 00000001 00000006 2f610000"), "positive multiple", 16),
    (hx("2362756e 646c6500 00000000 00000001 00000004 61626300"), "neither", 20),
    (hx("2362756e 646c6500 00000000 00000001 00000004 2f616263"), "NUL-terminated", 20),
    (hx("23627566 646c6500"), "neither", 0),
    (hx("2fff0000 2c000000"), "cannot be decoded", 1),
]


@pytest.mark.parametrize(("raw", "what", "offset"), BAD_RAW)
def test_malformed_raises_with_offset(
    codec_impl: ModuleType, raw: Any, what: Any, offset: Any
) -> None:
    with pytest.raises(OSCInvalidRawError) as info:
        codec_impl.decode_packet(raw)
    assert what in str(info.value)
    assert f"offset {offset})" in str(info.value)


def test_unknown_tag_on_decode(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCUnknownTypetagError, match=r"'x'.*offset 6"):
        codec_impl.decode_packet(hx("2f610000 2c697800 00000001"))


def test_errors_are_value_errors_too(codec_impl: ModuleType) -> None:
    with pytest.raises(ValueError):
        codec_impl.decode_packet(b"abcd")
    assert issubclass(OSCInvalidRawError, OSCError)


def test_huge_blob_size_does_not_allocate(codec_impl: ModuleType) -> None:
    raw = hx("2f610000 2c620000 7ffffffc")
    with pytest.raises(OSCInvalidRawError):
        codec_impl.decode_packet(raw)


def test_many_arguments(codec_impl: ModuleType) -> None:
    tags = "," + "T" * 10000
    raw = message_bytes("2f610000", tags, "")
    assert codec_impl.decode_packet(raw).arguments == (True,) * 10000


# ------------------------------------------------------------------------------ oob options


def test_str_encode_decode_options(codec_impl: ModuleType) -> None:
    oob = {"str_encode": ("latin-1", "strict"), "str_decode": ("latin-1", "strict")}
    raw = codec_impl.encode_packet(OSCMessage("/a", None, ["é"]), oob)
    assert bytes(raw) == message_bytes("2f610000", ",s", "e9000000")
    assert codec_impl.decode_packet(raw, oob).arguments == ("é",)


def test_utf8_is_the_default_and_ascii_is_strict_by_option(codec_impl: ModuleType) -> None:
    raw = message_bytes("2f610000", ",s", "c3a90000")
    assert codec_impl.decode_packet(raw).arguments == ("é",)
    with pytest.raises(OSCInvalidRawError, match="offset 8"):
        codec_impl.decode_packet(raw, {"str_decode": ("ascii", "strict")})
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCMessage("/a", None, ["é"]), {"str_encode": ("ascii", "strict")})


def test_unknown_codec_option(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidDataError):
        codec_impl.decode_packet(SPEC_EXAMPLE_1, {"str_decode": ("no-such-codec", "strict")})


def test_char_decode_option(codec_impl: ModuleType) -> None:
    raw = message_bytes("2f610000", ",c", "000000e9")
    assert codec_impl.decode_packet(raw).arguments == ("é",)
    assert codec_impl.decode_packet(raw, {"char_decode": "ascii"}).arguments == ("\ufffd",)


def test_restrict_typetags(codec_impl: ModuleType) -> None:
    oob = {"restrict_typetags": "ifs"}
    assert codec_impl.decode_packet(SPEC_EXAMPLE_2, oob).arguments[0] == 1000
    with pytest.raises(OSCUnknownTypetagError):
        codec_impl.decode_packet(message_bytes("2f610000", ",d", "00000000 00000000"), oob)
    with pytest.raises(OSCUnknownTypetagError):
        codec_impl.encode_packet(OSCMessage("/a", None, [1, 2.0, b"x"]), oob)
    with pytest.raises(OSCUnknownTypetagError):
        codec_impl.encode_packet(OSCMessage("/a", ",b", [b"x"]), oob)
    raw = codec_impl.encode_packet(OSCMessage("/a", None, [1, [2.0]]), oob)
    assert codec_impl.decode_packet(raw, oob).arguments == (1, (2.0,))


def test_check_addrpattern(codec_impl: ModuleType) -> None:
    oob = {"check_addrpattern": True}
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCMessage("/a b", None, []), oob)
    with pytest.raises(OSCInvalidRawError):
        codec_impl.decode_packet(hx("2f612a00 2c000000"), oob)
    assert codec_impl.decode_packet(hx("2f612a00 2c000000")).addrpattern == "/a*"


def test_addrpattern_compression_round_trip(codec_impl: ModuleType) -> None:
    msg = OSCMessage("/a/long/address", ",i", [1])
    raw = codec_impl.encode_packet(msg, {"addrpattern_compression": {"/a/long/address": 7}})
    assert bytes(raw) == hx("2f000000 00000007 2c690000 00000001")
    decoded = codec_impl.decode_packet(raw, {"addrpattern_decompression": {7: "/a/long/address"}})
    assert decoded == ("/a/long/address", ",i", (1,))
    with pytest.raises(OSCInvalidRawError):
        codec_impl.decode_packet(raw, {"addrpattern_decompression": {8: "/x"}})


def test_dumps(codec_impl: ModuleType) -> None:
    out = io.StringIO()
    oob = {
        "dumpfile": out,
        "encode_packet_dumpacket": True,
        "encode_packet_dumpraw": True,
        "decode_packet_dumpraw": True,
        "decode_packet_dumpacket": True,
        "dump_decoded_values": True,
    }
    raw = codec_impl.encode_packet(
        OSCMessage("/foo", ",iisff", [1000, -1, "hello", 1.25, 2.5]), oob
    )
    codec_impl.decode_packet(raw, oob)
    text = out.getvalue()
    assert "OSC encoding packet:" in text
    assert "OSC decoded packet:" in text
    assert "000:2f666f6f 00000000 2c696973 66660000     /foo .... ,iis ff.." in text
    # osc4py3's lines: str() of each value, the address and type tags included.
    assert "Decoded str: /foo\nDecoded str: ,iisff\nDecoded int: 1000\n" in text
    assert "Decoded str: hello\n" in text


def test_advanced_packet_control_round_trip(codec_impl: ModuleType) -> None:
    def checksum(data: Any, prot: str, oob: Any) -> bytes:
        return sum(bytes(data)).to_bytes(4, "big")

    def check(data: Any, value: Any, prot: str, oob: Any) -> None:
        if sum(bytes(data)).to_bytes(4, "big") != bytes(value):
            raise obp.OSCCorruptedRawError("bad checksum")

    def xor(data: Any, prot: str, oob: Any) -> bytes:
        return bytes(b ^ 0x55 for b in bytes(data))

    oob = {
        "advanced_packet_control": True,
        "packet_mkchecksum_fct": checksum,
        "packet_checksum_prot": "sum32",
        "packet_encrypt_fct": xor,
        "packet_crypt_prot": "xor",
        "packet_decrypt_fct": lambda data, prot, oob: xor(data, prot, oob),
        "packet_ckcheksum_fct": check,
    }
    raw = codec_impl.encode_packet(OSCMessage("/foo", None, [1, "x"]), oob)
    wrapper = codec_impl.decode_packet(raw)
    assert wrapper.addrpattern == "/packet" and wrapper.typetags == ",sbsbsb"
    assert wrapper.arguments[0] == "sum32" and wrapper.arguments[4] == "xor"
    assert codec_impl.decode_packet(raw, oob) == ("/foo", ",is", (1, "x"))
    tampered = bytearray(raw)
    tampered[-5] ^= 1
    with pytest.raises(obp.OSCCorruptedRawError):
        codec_impl.decode_packet(bytes(tampered), oob)
    with pytest.raises(OSCInvalidRawError):
        codec_impl.decode_packet(SPEC_EXAMPLE_1, oob)


def test_dumphex_buffer_format() -> None:
    out = io.StringIO()
    obp.dumphex_buffer(SPEC_EXAMPLE_2, out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "000:2f666f6f 00000000 2c696973 66660000     /foo .... ,iis ff.."
    assert lines[2] == "032:3f9df3b6 40b5b22d                       ?... @..-"
    osc4py3 = pytest.importorskip("osc4py3.oscbuildparse")
    theirs = io.StringIO()
    osc4py3.dumphex_buffer(SPEC_EXAMPLE_2, theirs)
    assert out.getvalue() == theirs.getvalue()


def test_public_module_uses_selected_twin() -> None:
    from oscwire import _accel

    assert obp.encode_packet is _accel.load("codec").encode_packet
    assert obp.decode_packet is _accel.load("codec").decode_packet


def test_float32_boundary(codec_impl: ModuleType) -> None:
    # 3.4028235e38 is just above FLT_MAX as a double but rounds to FLT_MAX (0x7f7fffff);
    # 3.5e38 does not fit a float32 at all.
    raw = codec_impl.encode_packet(OSCMessage("/a", ",f", [3.4028235e38]))
    assert bytes(raw) == message_bytes("2f610000", ",f", "7f7fffff")
    with pytest.raises(OSCInvalidDataError):
        codec_impl.encode_packet(OSCMessage("/a", ",f", [3.5e38]))
    raw = codec_impl.encode_packet(OSCMessage("/a", ",ff", [float("-inf"), float("nan")]))
    assert bytes(raw)[-8:-4] == hx("ff800000")
    assert bytes(raw)[-4:-3] in (b"\x7f", b"\xff")
