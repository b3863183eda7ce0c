"""Explicit type tags convert values as osc4py3 1.0.8 does, on both twins (issue 10.1),
values that contradict ``T``/``F``/``N``/``I`` are refused and a value's own failing
conversion is wrapped (issue 9.14).

The reference is osc4py3 itself: the same message is encoded by
``osc4py3.oscbuildparse.encode_packet`` and by ours, for many value kinds under every
type tag, and the bytes must match; where osc4py3 refuses, ours must refuse too with an
``OSCInvalidDataError`` naming the argument, the tag and the value. The few places where
oscwire deliberately differs are listed in ``DIVERGENCES`` with the reason.
"""

from __future__ import annotations

import enum
import struct
from decimal import Decimal
from fractions import Fraction
from types import ModuleType
from typing import Any

import pytest

from oscwire.oscbuildparse import (
    OSC_BANG,
    OSCInvalidDataError,
    OSCMessage,
    OSCtimetag,
    OSCValueRangeError,
    OSCValueTypeError,
)

osc4py3 = pytest.importorskip("osc4py3.oscbuildparse")
np: Any
try:
    import numpy as np
except ImportError:  # numpy is optional: its values are left out of the grid
    np = None


class Level(enum.IntEnum):
    LOUD = 11


VALUES: list[Any] = [
    0,
    -1,
    255,
    256,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**70,
    True,
    False,
    Level.LOUD,
    3.0,
    2.7,
    -2.7,
    0.7 * 127,  # "velocity * 127"
    1e-45,
    1e39,
    -1e39,
    1e300,
    float("nan"),
    float("inf"),
    "42",
    " 7 ",
    "2.5",
    "nan",
    "1e39",
    "x",
    "",
    "A",
    b"42",
    b"A",
    b"",
    b"\0ab",
    bytearray(b"x"),
    Decimal("1.5"),
    Decimal("-7"),
    Decimal("1e400"),
    Decimal("nan"),
    Fraction(7, 2),
    Fraction(1, 3),
    None,
    1j,
    [1, 2, 3],
    [65],
    (1, 2),
    (1, 2, 3, 4),
    OSCtimetag(1, 2),
    OSC_BANG,
    object(),
]
if np is not None:
    VALUES += [
        np.float32(0.5),
        np.float32(2.75),
        np.float64(2.5),
        np.int64(5),
        np.int8(-3),
        np.uint8(200),
        np.int64(2**40),
    ]

TAGS = "ihfdsScbtrmTFNI"


def their_message(tag: str, value: Any) -> Any:
    """The same message for osc4py3 (its own named tuples for the OSC types)."""
    if isinstance(value, OSCtimetag):
        value = osc4py3.OSCtimetag(*value)
    elif value is OSC_BANG:
        value = osc4py3.OSC_BANG
    return osc4py3.OSCMessage("/a", "," + tag, [value])


def divergence(tag: str, value: Any) -> str:
    """Why oscwire deliberately differs from osc4py3 for this value and tag ("" if not)."""
    kind = type(value)
    if tag in "sS" and kind in (bytes, bytearray) and (value == b"" or b"\0" in value[:-1]):
        return "osc4py3 raises IndexError for b'' and sends an inner NUL (b'\\0ab')"
    numpy_number = np is not None and isinstance(value, np.number) and kind is not np.float64
    if tag == "c" and numpy_number:
        return "oscwire takes a numpy number as the Python number; osc4py3 its str()"
    if tag == "b" and value == "":
        return "osc4py3 sends '' as an empty blob (bytearray.extend('')); oscwire refuses str"
    if tag in "TFNI" and (kind is bool or (np is not None and isinstance(value, np.bool_))):
        truth = bool(value)
        if not ((tag == "T" and truth) or (tag == "F" and not truth)):
            return "oscwire refuses a bool that contradicts T/F/N/I; osc4py3 ignores it"
    if tag == "t" and kind in (bytes, bytearray) and len(value) == 2:
        return "osc4py3 takes two bytes as a time tag's two fields; oscwire refuses"
    return ""


def theirs(tag: str, value: Any, oob: Any) -> Any:
    try:
        return bytes(osc4py3.encode_packet(their_message(tag, value), oob))
    except Exception as error:  # what osc4py3 raised is recorded, compared by kind
        return error


CASES = [(tag, value) for tag in TAGS for value in VALUES]


def case_id(case: Any) -> str:
    tag, value = case
    return f"{tag}-{type(value).__name__}-{value!r:.20}"


@pytest.mark.interop
@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_explicit_tags_encode_as_osc4py3(codec_impl: ModuleType, case: Any) -> None:
    tag, value = case
    # osc4py3 writes chars in the first byte: ask for that layout to compare bytes.
    expected = theirs(tag, value, None)
    ours_oob = {"char_layout": "osc4py3"} if tag == "c" else None
    why = divergence(tag, value)
    try:
        got: Any = bytes(codec_impl.encode_packet(OSCMessage("/a", "," + tag, [value]), ours_oob))
    except OSCInvalidDataError as error:
        got = error
    if why:
        assert got != expected, f"listed as a divergence but both agree: {why}"
        return
    if isinstance(expected, bytes):
        assert got == expected, f"osc4py3 gives {expected.hex()}, oscwire {got!r}"
    else:
        assert isinstance(got, OSCInvalidDataError), (
            f"osc4py3 refuses ({type(expected).__name__}: {expected}), oscwire gives {got!r}"
        )
        text = str(got)
        assert "argument #0" in text and f"{value!r:.60}" in text, text
        assert repr(tag) in text or "type tag" in text, text


@pytest.mark.interop
@pytest.mark.parametrize("tag", "sSc")
@pytest.mark.parametrize("value", ["é", "€", "naïve", "\u00ff"])
def test_text_encodes_as_osc4py3_with_the_same_codec_options(
    codec_impl: ModuleType, tag: Any, value: Any
) -> None:
    oob = {"str_encode": ("utf-8", "strict"), "char_encode": "latin-1"}
    expected = theirs(tag, value, oob)
    ours_oob = dict(oob, char_layout="osc4py3")
    try:
        got: Any = bytes(codec_impl.encode_packet(OSCMessage("/a", "," + tag, [value]), ours_oob))
    except OSCInvalidDataError as error:
        got = error
    if tag == "c" and value in ("€", "naïve"):
        # osc4py3 encodes chars with errors="replace" and sends "?" for "€" silently.
        assert isinstance(got, OSCInvalidDataError)
        return
    assert got == expected


@pytest.mark.parametrize(
    ("tags", "value", "expected"),
    [
        (",i", 3.0, "00000003"),
        (",i", 2.7, "00000002"),
        (",i", -2.7, "fffffffe"),
        (",i", "42", "0000002a"),
        (",i", b"42", "0000002a"),
        (",i", Decimal("1.5"), "00000001"),
        (",i", Fraction(7, 2), "00000003"),
        (",i", 0.7 * 127, "00000058"),
        (",h", 2.7, "00000000 00000002"),
        (",f", "2.5", "40200000"),
        (",f", Decimal("1.5"), "3fc00000"),
        (",f", Fraction(1, 4), "3e800000"),
        (",d", "2.5", "40040000 00000000"),
        (",c", 65.9, "00000041"),
        (",c", True, "00000001"),
        (",b", [1, 2, 3], "00000003 01020300"),
        (",[ii]", ["1", 2.5], "00000001 00000002"),
    ],
)
def test_conversions_by_hand(codec_impl: ModuleType, tags: Any, value: Any, expected: Any) -> None:
    """A few of the grid's cases with their bytes written by hand (struct/spec layout)."""
    raw = codec_impl.encode_packet(OSCMessage("/a", tags, [value]))
    tag_bytes = tags.encode() + b"\0" * (4 - len(tags) % 4)
    assert bytes(raw) == b"/a\0\0" + tag_bytes + bytes.fromhex(expected)


@pytest.mark.parametrize(
    ("tags", "args", "where", "kind"),
    [
        (",iii", [1, 2, "x"], "#2", OSCInvalidDataError),
        (",iii", [1, 2, None], "#2", OSCValueTypeError),
        (",ii", [1, 2**31], "#1", OSCValueRangeError),
        (",f", [1e39], "#0", OSCValueRangeError),
        (",i", [float("inf")], "#0", OSCValueRangeError),
        (",i[if]", [1, [2, "y"]], r"#1\[1\]", OSCInvalidDataError),
        (",d", [object()], "#0", OSCValueTypeError),
        (",b", [5], "#0", OSCValueTypeError),
    ],
)
def test_refusals_name_argument_tag_and_value(
    codec_impl: ModuleType, tags: Any, args: Any, where: Any, kind: Any
) -> None:
    with pytest.raises(kind, match=f"argument {where} ") as info:
        codec_impl.encode_packet(OSCMessage("/a", tags, args))
    bad = args[int(where[1])] if "[" not in where else args[1][1]
    assert f"{bad!r:.60}" in str(info.value)
    assert "cannot encode as" in str(info.value)


def test_range_errors_are_also_what_osc4py3_leaked(codec_impl: ModuleType) -> None:
    with pytest.raises(struct.error):
        codec_impl.encode_packet(OSCMessage("/a", ",i", [2**31]))
    with pytest.raises(OverflowError):
        codec_impl.encode_packet(OSCMessage("/a", ",f", [1e39]))
    with pytest.raises(TypeError):
        codec_impl.encode_packet(OSCMessage("/a", ",f", [None]))
    with pytest.raises(UnicodeEncodeError):
        codec_impl.encode_packet(OSCMessage("/a", ",s", ["é"]), {"str_encode": ("ascii", "strict")})


def test_auto_typing_is_unchanged_by_conversions(codec_impl: ModuleType) -> None:
    # A str stays a string and a float a float32 without type tags.
    raw = codec_impl.encode_packet(OSCMessage("/a", None, ["42", 2.7, Decimal("1.5")]))
    assert codec_impl.decode_packet(bytes(raw)).typetags == ",sff"


# ------------------------------------------------------------------ T F N I contradictions


@pytest.mark.parametrize(
    ("tag", "value"),
    [("T", False), ("F", True), ("N", True), ("N", False), ("I", True), ("I", False)],
)
def test_contradicting_bools_are_refused(codec_impl: ModuleType, tag: Any, value: Any) -> None:
    with pytest.raises(
        OSCInvalidDataError, match=f"argument #1 .*contradicts the type tag '{tag}'"
    ):
        codec_impl.encode_packet(OSCMessage("/a", ",i" + tag, [1, value]))


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        ("T", True),
        ("F", False),
        ("T", None),
        ("F", None),
        ("N", None),
        ("I", None),
        ("I", OSC_BANG),
        ("T", 1),
        ("F", 0),
        ("N", 0),
        ("T", "x"),
        ("N", ""),
    ],
)
def test_placeholders_are_accepted(codec_impl: ModuleType, tag: Any, value: Any) -> None:
    """Values osc4py3 programs pass for the value-less tags (osc4py3 ignores them)."""
    raw = codec_impl.encode_packet(OSCMessage("/a", ",i" + tag, [1, value]))
    assert bytes(raw) == b"/a\0\0,i" + tag.encode() + b"\0" + struct.pack(">i", 1)


@pytest.mark.skipif(np is None, reason="numpy not installed")
def test_numpy_bools_contradict_too(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidDataError, match="contradicts"):
        codec_impl.encode_packet(OSCMessage("/a", ",T", [np.False_]))
    assert codec_impl.encode_packet(OSCMessage("/a", ",TF", [np.True_, np.False_]))


# --------------------------------------------------------- a value's own conversion fails


class Boom(Exception):
    pass


class Failing:
    """A value whose every conversion raises its own exception."""

    def __index__(self) -> int:
        raise Boom("index")

    def __int__(self) -> int:
        raise Boom("int")

    def __float__(self) -> float:
        raise Boom("float")

    def __str__(self) -> str:
        raise Boom("str")

    def __repr__(self) -> str:
        raise Boom("repr")


class FailingList(list):  # type: ignore[type-arg]
    def __iter__(self) -> Any:
        raise Boom("iter")


@pytest.mark.parametrize(
    ("tags", "value"),
    [
        (",i", Failing()),
        (",h", Failing()),
        (",f", Failing()),
        (",d", Failing()),
        (",s", Failing()),
        (",S", Failing()),
        (",c", Failing()),
        (",t", (Failing(), 0)),
        (None, Failing()),
        (",[i]", FailingList([1])),
        (None, FailingList([1])),
    ],
)
def test_a_values_own_exception_is_wrapped_with_its_cause(
    codec_impl: ModuleType, tags: Any, value: Any
) -> None:
    with pytest.raises(OSCInvalidDataError, match="argument #1") as info:
        codec_impl.encode_packet(
            OSCMessage("/a", None if tags is None else ",i" + tags[1:], [0, value])
        )
    assert isinstance(info.value.__cause__, Boom)
    # A failing __repr__ still names the argument by its type.
    if isinstance(value, Failing):
        assert "(Failing <Failing object>)" in str(info.value)


def test_failing_conversion_in_encode_message(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidDataError) as info:
        codec_impl.encode_message("/a", [Failing()], ",f")
    assert isinstance(info.value.__cause__, Boom)
