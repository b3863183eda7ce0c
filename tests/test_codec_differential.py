"""Hypothesis: round trips on both twins, and compiled == pure on valid and malformed input.

The differential tests feed the same random packets, random values with random type
tags, random bytes and mutated valid packets to both twins and require the same result
or the same exception type. Decoding must only ever raise ``OSCError`` subclasses.
"""

from __future__ import annotations

import struct
from types import ModuleType
from typing import Any, Callable, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oscwire.oscbuildparse import (
    OSC_BANG,
    OSC_IMMEDIATELY,
    OSCBundle,
    OSCError,
    OSCInvalidDataError,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
)

SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("CODEC_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

u8 = st.integers(0, 255)
u32 = st.integers(0, 2**32 - 1)
float32 = st.floats(width=32, allow_nan=False)
no_nul_text = st.text(st.characters(codec="utf-8", exclude_characters="\0"))
leaf = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    float32,
    no_nul_text,
    st.binary(max_size=40),
    st.booleans(),
    st.none(),
    st.builds(OSCtimetag, u32, u32),
    st.builds(OSCrgba, u8, u8, u8, u8),
    st.builds(OSCmidi, u8, u8, u8, u8),
    st.just(OSC_BANG),
)
value = st.recursive(leaf, lambda inner: st.lists(inner, max_size=4), max_leaves=12)
address = no_nul_text.map(lambda text: "/" + text)
message = st.builds(OSCMessage, address, st.just(None), st.lists(value, max_size=6))
packet = st.recursive(
    message,
    lambda inner: st.builds(
        OSCBundle, st.builds(OSCtimetag, u32, u32), st.lists(inner, max_size=4)
    ),
    max_leaves=8,
)


def normalize(item: Any) -> Any:
    """Decoded form of a Python value: tuples for lists, bytes for blob views."""
    if isinstance(item, memoryview):
        return bytes(item)
    if isinstance(item, (bytearray, bytes)):
        return bytes(item)
    if isinstance(item, OSCBundle):
        timetag = OSC_IMMEDIATELY if tuple(item.timetag) in ((0, 0), (0, 1)) else item.timetag
        return ("bundle", tuple(timetag), tuple(normalize(e) for e in item.elements))
    if isinstance(item, OSCMessage):
        return ("message", item.addrpattern, normalize(list(item.arguments)))
    if isinstance(item, float):  # compare bits, so that NaN equals itself
        return ("float", struct.pack(">d", item))
    if type(item) in (list, tuple):
        return tuple(normalize(v) for v in item)
    return item


def outcome(func: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    """('ok', normalized result) or ('error', exception type, message)."""
    try:
        return ("ok", normalize(func(*args)))
    except Exception as error:  # compared between twins, so any type is recorded
        return ("error", type(error), str(error))


@SETTINGS
@given(packet)
def test_round_trip(codec_impl: ModuleType, item: Any) -> None:
    raw = codec_impl.encode_packet(item)
    assert len(raw) % 4 == 0
    assert normalize(codec_impl.decode_packet(bytes(raw))) == normalize(item)


@SETTINGS
@given(packet)
def test_twins_encode_and_decode_alike(codec_twins: tuple[Any, Any], item: Any) -> None:
    compiled, pure = codec_twins
    raw = compiled.encode_packet(item)
    assert raw == pure.encode_packet(item)
    assert normalize(compiled.decode_packet(raw)) == normalize(pure.decode_packet(raw))


class Weird:
    pass


def numpy_values() -> list[Any]:
    """A few numpy scalars and arrays when numpy is installed (the codec duck-types them)."""
    try:
        import numpy as np
    except ImportError:
        return [None]
    return [np.True_, np.float32(0.5), np.int64(2**40), np.array([1, 2]), np.zeros((2, 2))]


odd_value = st.one_of(
    value,
    st.integers(),
    st.floats(),
    st.text(),
    st.decimals(),
    st.fractions(),
    st.sampled_from(["42", " 7 ", "2.5", b"42", 2.7, -0.5, True, False]),
    st.sampled_from(numpy_values()),
    st.just(Weird()),
    st.tuples(st.integers(), st.integers()),
    st.lists(st.integers(-300, 300), min_size=3, max_size=5),
)
tag_chars = st.sampled_from(list("ifsSbhdtcrmTFNI[]x,"))


@SETTINGS
@given(
    st.lists(odd_value, max_size=5),
    st.one_of(st.none(), st.text(tag_chars, max_size=8)),
    st.sampled_from([None, {"restrict_typetags": "ifs[]"}, {"char_layout": "osc4py3"}]),
)
def test_twins_agree_on_any_values(
    codec_twins: tuple[Any, Any], args: Any, typetags: Any, oob: Any
) -> None:
    compiled, pure = codec_twins
    item = OSCMessage("/x", typetags, args)
    assert outcome(compiled.encode_packet, item, oob) == outcome(pure.encode_packet, item, oob)


def mutate(packet: bytes, data: Any) -> bytes:
    raw = bytearray(packet)
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "word"]))
        if action == "flip" and raw:
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(u8)
        elif action == "cut" and raw:
            del raw[data.draw(st.integers(0, len(raw) - 1)) :]
        elif action == "insert":
            at = data.draw(st.integers(0, len(raw)))
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        elif raw and len(raw) >= 4:
            at = data.draw(st.integers(0, len(raw) // 4 - 1)) * 4
            raw[at : at + 4] = struct.pack(
                ">i", data.draw(st.sampled_from([-4, -1, 0, 4, 2**31 - 1]))
            )
    return bytes(raw)


def check_decode(
    twins: tuple[ModuleType, ModuleType], raw: bytes, oob: Optional[dict[str, Any]] = None
) -> None:
    compiled, pure = twins
    got_c = outcome(compiled.decode_packet, raw, oob)
    got_p = outcome(pure.decode_packet, raw, oob)
    assert got_c == got_p
    if got_c[0] == "error":
        assert issubclass(got_c[1], OSCError), got_c


@SETTINGS
@given(packet, st.data())
def test_twins_agree_on_mutated_packets(codec_twins: tuple[Any, Any], item: Any, data: Any) -> None:
    raw = mutate(bytes(codec_twins[1].encode_packet(item)), data)
    check_decode(codec_twins, raw)
    check_decode(codec_twins, raw, {"force_typetags": True, "restrict_typetags": "ifsb"})


def test_a_bundle_element_too_short_for_a_bundle_head_is_neither(
    codec_twins: tuple[Any, Any],
) -> None:
    """A 4-byte element ``#bun`` whose enclosing packet goes on with ``dle\\0``: the pure
    twin read the head past the element's end (hypothesis found it)."""
    inner = b"#bundle\0" + bytes(8)
    raw = b"#bundle\0" + bytes(8) + struct.pack(">i", 4) + inner
    check_decode(codec_twins, raw)
    with pytest.raises(OSCError, match="neither a message nor a bundle"):
        codec_twins[1].decode_packet(raw)


@SETTINGS
@given(st.binary(max_size=64))
def test_twins_agree_on_random_bytes(codec_twins: tuple[Any, Any], raw: Any) -> None:
    check_decode(codec_twins, raw)


osc_word = st.sampled_from(
    [
        b"/a\0\0",
        b",ifs",
        b",[]\0",
        b",bhd",
        b",tcr",
        b"#bun",
        b"dle\0",
        b"\0\0\0\0",
        b"\0\0\0\1",
        b"\xff\xff\xff\xff",
        b"\0\0\0\x08",
        b"\x7f\xff\xff\xff",
        b"abcd",
        b"x\0\0\0",
        b",[[\0",
    ]
)


@SETTINGS
@given(st.lists(osc_word, max_size=12))
def test_twins_agree_on_osc_like_bytes(codec_twins: tuple[Any, Any], words: Any) -> None:
    check_decode(codec_twins, b"".join(words))
    check_decode(codec_twins, b"#bundle\0" + b"".join(words))


FLT_MAX = struct.unpack(">f", b"\x7f\x7f\xff\xff")[0]
FLOAT_EDGES = [
    0.0,
    -0.0,
    FLT_MAX,
    -FLT_MAX,
    float.fromhex("0x1.fffffefffffffp+127"),  # just above FLT_MAX, still rounds down to it
    1e-45,  # rounds to the smallest float32 subnormal
    1e-50,  # rounds to zero
    5e-324,
    0.1,
    1 / 3,
    float("inf"),
    float("-inf"),
]
INT_EDGES = [0, -1, 2**31 - 1, -(2**31)]


@pytest.mark.parametrize("value", FLOAT_EDGES, ids=repr)
def test_float32_arguments_round_as_struct_does(codec_impl: ModuleType, value: Any) -> None:
    """The compiled encoder's inline float path gives struct's float32 bytes, as the pure twin."""
    message = OSCMessage("/f", None, [value, value])
    expected = b"/f\0\0,ff\0" + struct.pack(">ff", value, value)
    assert bytes(codec_impl.encode_packet(message)) == expected
    tagged = OSCMessage("/f", ",ff", [value, value])
    assert bytes(codec_impl.encode_packet(tagged)) == expected


@pytest.mark.parametrize("value", [3.5e38, -3.5e38, float.fromhex("0x1.ffffffp+127")], ids=repr)
def test_float32_overflow_is_an_error_in_both_twins(codec_impl: ModuleType, value: Any) -> None:
    with pytest.raises(OSCInvalidDataError, match="argument #0"):
        codec_impl.encode_packet(OSCMessage("/f", ",f", [value]))


@pytest.mark.parametrize("value", INT_EDGES)
def test_int32_edges(codec_impl: ModuleType, value: Any) -> None:
    expected = b"/i\0\0,i\0\0" + struct.pack(">i", value)
    assert bytes(codec_impl.encode_packet(OSCMessage("/i", ",i", [value]))) == expected
    assert bytes(codec_impl.encode_packet(OSCMessage("/i", None, [value]))) == expected


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**63])
def test_int32_tag_refuses_what_does_not_fit(codec_impl: ModuleType, value: Any) -> None:
    with pytest.raises(OSCInvalidDataError, match="argument #0"):
        codec_impl.encode_packet(OSCMessage("/i", ",i", [value]))
