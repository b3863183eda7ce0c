"""oscbuildparse against osc4py3 1.0.8 itself, on both twins (issues 10.9 and 10.10).

The ``c`` layouts, ``restrict_typetags``, the dump options' lines, the keyword names of
the public functions, and the exceptions an osc4py3 program catches: each is checked by
giving the same input to osc4py3 and to oscwire.
"""

from __future__ import annotations

import inspect
import io
import struct
from types import ModuleType
from typing import Any

import pytest

from oscwire import oscbuildparse as obp
from oscwire._errors import OSCError
from oscwire.oscbuildparse import (
    OSC_BANG,
    OSCBundle,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
)

osc4py3 = pytest.importorskip("osc4py3.oscbuildparse")
pytestmark = pytest.mark.interop


def hx(text: str) -> bytes:
    return bytes.fromhex(text)


# ------------------------------------------------------------------ the c layouts (10.9)


@pytest.mark.parametrize("char", ["A", "z", "\0", " ", "~", "\x7f", "é", "\xff", 66, b"\x01"])
def test_chars_osc4py3_encodes_decode_to_the_same_char(codec_impl: ModuleType, char: Any) -> None:
    """osc4py3 puts the char in the first byte; oscwire reads that layout as well."""
    raw = bytes(
        osc4py3.encode_packet(osc4py3.OSCMessage("/c", ",c", [char]), {"char_encode": "latin-1"})
    )
    code = raw[-4]
    assert raw[-3:] == b"\0\0\0"  # the layout this test is about
    assert codec_impl.decode_packet(raw).arguments == (chr(code),)
    assert osc4py3.decode_packet(raw, {"char_decode": "latin-1"}).arguments == (chr(code),)


def test_oscwire_writes_liblos_char_layout_by_default(codec_impl: ModuleType) -> None:
    # The char in the last byte (a big-endian int32), what liblo and SuperCollider read.
    raw = bytes(codec_impl.encode_packet(OSCMessage("/c", ",c", ["A"])))
    assert raw[-4:] == b"\0\0\0A"
    # osc4py3 reads its own layout only: liblo's gives it a NUL (hence char_layout).
    assert osc4py3.decode_packet(raw).arguments == ("\0",)
    theirs = codec_impl.encode_packet(OSCMessage("/c", ",c", ["A"]), {"char_layout": "osc4py3"})
    assert osc4py3.decode_packet(bytes(theirs)).arguments == ("A",)


# ------------------------------------------------------------- restrict_typetags (10.10)

RESTRICT_MESSAGES = [
    ("/m", ",ifs", [1, 2.5, "x"]),
    ("/m", ",d", [2.5]),
    ("/m", ",T", [True]),
    ("/m", ",[i]", [[1]]),
    ("/m", ",i[f]", [1, [2.0]]),
    ("/m", ",sN", ["x", None]),
    ("/m", ",h", [2**40]),
    ("/m", ",is", [1, "x"]),
]
# osc4py3 also checks the packet's own fields: the address and type tag strings count as
# 's', so every restriction the test uses holds 's' (see docs/codec.md).
RESTRICTIONS = ["s", "is", "ifs", "sT", "sd", "ifsN", "shd"]


def outcome(function: Any, *args: Any) -> str:
    try:
        function(*args)
    except Exception as error:  # compared by the name of the class
        return type(error).__name__
    return "ok"


@pytest.mark.parametrize("restrict", RESTRICTIONS)
@pytest.mark.parametrize(("address", "tags", "args"), RESTRICT_MESSAGES)
def test_restrict_typetags_refuses_what_osc4py3_refuses(
    codec_impl: ModuleType, restrict: Any, address: Any, tags: Any, args: Any
) -> None:
    oob = {"restrict_typetags": restrict}
    for typed in (tags, None):
        theirs = outcome(osc4py3.encode_packet, osc4py3.OSCMessage(address, typed, args), oob)
        ours = outcome(codec_impl.encode_packet, OSCMessage(address, typed, args), oob)
        if typed is None and tags == ",h":
            continue  # osc4py3 auto-types every int as 'i' (and fails); oscwire uses 'h'
        assert ours == theirs, (typed, restrict)
    raw = bytes(osc4py3.encode_packet(osc4py3.OSCMessage(address, tags, args)))
    theirs = outcome(osc4py3.decode_packet, raw, oob)
    ours = outcome(codec_impl.decode_packet, raw, oob)
    assert ours == theirs, restrict


# ---------------------------------------------------------------- the dump lines (10.10)


def dumps(module: Any, function: str, packet: Any, oob: dict[str, Any]) -> str:
    out = io.StringIO()
    getattr(module, function)(packet, dict(oob, dumpfile=out))
    return out.getvalue()


def theirs_of(value: Any) -> Any:
    """A value as osc4py3's own types (its named tuples for time tags, rgba, midi, bang)."""
    if isinstance(value, OSCtimetag):
        return osc4py3.OSCtimetag(*value)
    if isinstance(value, OSCrgba):
        return osc4py3.OSCrgba(*value)
    if isinstance(value, OSCmidi):
        return osc4py3.OSCmidi(*value)
    if value is OSC_BANG:
        return osc4py3.OSC_BANG
    if isinstance(value, list):
        return [theirs_of(item) for item in value]
    return value


def theirs_packet(packet: Any) -> Any:
    if isinstance(packet, OSCBundle):
        return osc4py3.OSCBundle(
            osc4py3.OSCtimetag(*packet.timetag), [theirs_packet(e) for e in packet.elements]
        )
    return osc4py3.OSCMessage(
        packet.addrpattern, packet.typetags, [theirs_of(v) for v in packet.arguments]
    )


ALL_VALUES = [7, 2**40, 0.5, 1e100, "x", "sym", b"\x00\x01\x02", OSCtimetag(3, 4), "Z"]
ALL_VALUES += [OSCrgba(1, 2, 3, 4), OSCmidi(5, 6, 7, 8), True, False, None, OSC_BANG]
DUMP_PACKETS = [
    OSCMessage("/foo", ",iisff", [1000, -1, "hello", 1.25, 2.5]),
    OSCMessage("/all", ",ihfdsSbtcrmTFNI", ALL_VALUES),
    OSCMessage("/arr", ",i[f[s]b]T", [1, [2.0, ["deep"], b"z" * 70], True]),
    OSCMessage("/blob", ",b", [bytes(range(60))]),
    OSCBundle(
        OSCtimetag(5, 6),
        [
            OSCMessage("/a", ",i", [1]),
            OSCBundle(OSCtimetag(7, 8), [OSCMessage("/b", ",s", ["in"])]),
            OSCMessage("/c", ",", []),
        ],
    ),
]


@pytest.mark.parametrize("packet", DUMP_PACKETS, ids=lambda p: type(p).__name__)
def test_decode_dumps_print_osc4py3s_lines(codec_impl: ModuleType, packet: Any) -> None:
    raw = bytes(osc4py3.encode_packet(theirs_packet(packet), {"char_layout": "osc4py3"}))
    oob = {"dump_decoded_values": True, "decode_packet_dumpraw": True}
    assert dumps(codec_impl, "decode_packet", raw, oob) == dumps(osc4py3, "decode_packet", raw, oob)


def test_decode_dumps_of_a_compressed_address(codec_impl: ModuleType) -> None:
    raw = hx("2f000000 00000007 2c690000 00000001")
    oob = {"dump_decoded_values": True, "addrpattern_decompression": {7: "/long/name"}}
    ours = dumps(codec_impl, "decode_packet", raw, oob)
    assert ours == dumps(osc4py3, "decode_packet", raw, oob)
    assert ours.splitlines()[:2] == ["Decoded str: /", "Decoded int: 7"]


@pytest.mark.parametrize("packet", DUMP_PACKETS[:1] + DUMP_PACKETS[4:])
def test_packet_dumps_print_osc4py3s_lines(codec_impl: ModuleType, packet: Any) -> None:
    oob = {
        "encode_packet_dumpacket": True,
        "encode_packet_dumpraw": True,
        "decode_packet_dumpacket": True,
    }
    ours = dumps(codec_impl, "encode_packet", packet, oob)
    assert ours == dumps(osc4py3, "encode_packet", theirs_packet(packet), oob)
    raw = bytes(codec_impl.encode_packet(packet))
    assert dumps(codec_impl, "decode_packet", raw, oob) == dumps(osc4py3, "decode_packet", raw, oob)


# -------------------------------------------------------------- keyword names (10.10)


def public_functions() -> list[str]:
    return sorted(
        name
        for name in osc4py3.__all__
        if inspect.isfunction(getattr(osc4py3, name)) and not name.startswith("_")
    )


def test_every_osc4py3_function_exists() -> None:
    assert public_functions() == [
        "decode_packet",
        "dumphex_buffer",
        "encode_packet",
        "float2timetag",
        "timetag2float",
        "timetag2unixtime",
        "unixtime2timetag",
    ]
    for name in osc4py3.__all__:
        assert hasattr(obp, name), name


def parameters(function: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("name", public_functions())
def test_keyword_names_match_osc4py3(codec_impl: ModuleType, name: Any) -> None:
    ours = getattr(codec_impl, name, None) or getattr(obp, name)
    assert parameters(ours) == parameters(getattr(osc4py3, name))


def test_keyword_calls_as_osc4py3_programs_write_them(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_packet(content=OSCMessage("/a", None, [1]), oob=None)
    assert codec_impl.decode_packet(rawoscdata=raw, oob={}) == ("/a", ",i", (1,))
    assert obp.timetag2float(timetag=OSCtimetag(1, 2**31)) == 1.5
    assert obp.float2timetag(ftime=1.5) == (1, 2**31)
    assert obp.unixtime2timetag(ftime=0) == (obp.OSCTIME_1_JAN1970, 0)
    assert obp.timetag2unixtime(timetag=OSCtimetag(obp.OSCTIME_1_JAN1970, 0)) == 0
    out = io.StringIO()
    obp.dumphex_buffer(rawdata=b"/a\0\0", tofile=out)
    assert out.getvalue() == "000:2f610000                                /a..\n"


# ---------------------------------------------------- exceptions that still catch (10.10)

MALFORMED = [
    hx("2f610000 2c690000"),  # truncated int32: struct.error in osc4py3
    hx("2f610000 2c660000"),
    hx("2f610000 2c680000 00000000"),
    hx("2f610000 2c640000 00000000"),
    hx("2f610000 2c740000 00000000"),
    hx("2f610000 2c620000"),
    hx("2f610000 2c720000"),
    hx("2362756e 646c6500"),  # bundle without a time tag
    hx("2362756e 646c6500 00000000"),
    hx("2362756e 646c6500 00000000 00000001 00000000"),  # element size 0: IndexError
    hx("2362756e 646c6500 00000000 00000001 fffffffc 00000000"),
    hx("2fff0000 2c000000"),  # not ASCII (osc4py3) / not UTF-8 (oscwire)
    hx("2f610000 2c730000 ff000000"),
    hx("2f610000 2c697800 00000001"),  # unknown tag
    hx("2f616263"),
    b"abcd",
    b"/ab",
    hx("2f610000 2c620000 7fffffff"),
    hx("2f610000 2c690000 00000001 00000002"),
    hx("2362756e 646c6500 00000000 00000001 00000008"),
]

# osc4py3's own exception classes: ours have the same names.
THEIR_OSC_ERRORS = {
    osc4py3.OSCInvalidRawError: obp.OSCInvalidRawError,
    osc4py3.OSCUnknownTypetagError: obp.OSCUnknownTypetagError,
    osc4py3.OSCInvalidDataError: obp.OSCInvalidDataError,
}


@pytest.mark.parametrize("raw", MALFORMED, ids=lambda raw: raw.hex()[:32])
def test_what_osc4py3_programs_catch_still_catches(codec_impl: ModuleType, raw: Any) -> None:
    try:
        osc4py3.decode_packet(raw)
    except Exception as error:
        theirs = type(error)
    else:
        pytest.fail("osc4py3 accepts this packet: not a malformed input for this test")
    with pytest.raises(OSCError) as info:
        codec_impl.decode_packet(raw)
    expected = THEIR_OSC_ERRORS.get(theirs, theirs)
    assert isinstance(info.value, expected), (type(info.value).__mro__, theirs)


def test_the_mapping_for_the_migration_guide(codec_impl: ModuleType) -> None:
    """The classes named in the report and docs, one input each."""
    cases = {
        hx("2f610000 2c690000"): (obp.OSCTruncatedRawError, struct.error),
        hx("2362756e 646c6500 00000000 00000001 00000000"): (obp.OSCElementSizeError, IndexError),
        hx("2f610000 2c730000 ff000000"): (obp.OSCStringDecodeError, UnicodeDecodeError),
    }
    for raw, (ours, leaked) in cases.items():
        with pytest.raises(ours) as info:
            codec_impl.decode_packet(raw)
        assert isinstance(info.value, leaked) and isinstance(info.value, obp.OSCInvalidRawError)
