"""SLIP and size-header framing, on both twins (``framing_impl``)."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oscwire import _accel, framing, oscnettools
from oscwire._errors import OSCError, OSCFramingError, OSCPacketTooLargeError

END, ESC = 0xC0, 0xDB

# Payloads rich in the two special bytes, so that every escape path is exercised.
special_bytes = st.binary(max_size=300) | st.lists(
    st.sampled_from([0xC0, 0xDB, 0xDC, 0xDD, 0x2F, 0x00]), max_size=200
).map(bytes)


def feed_in_pieces(decoder, stream: bytes, cuts: list[int]) -> list[bytes]:
    packets: list[bytes] = []
    previous = 0
    for cut in [*sorted(cuts), len(stream)]:
        packets.extend(decoder.feed(stream[previous:cut]))
        previous = cut
    return packets


# ---------------------------------------------------------------- SLIP, one frame


@pytest.mark.parametrize(
    ("packet", "double_end", "end_only"),
    [
        # RFC 1055: END -> ESC ESC_END, ESC -> ESC ESC_ESC; other bytes as they are.
        (b"", b"\xc0\xc0", b"\xc0"),
        (b"abc", b"\xc0abc\xc0", b"abc\xc0"),
        (b"\xc0", b"\xc0\xdb\xdc\xc0", b"\xdb\xdc\xc0"),
        (b"\xdb", b"\xc0\xdb\xdd\xc0", b"\xdb\xdd\xc0"),
        (b"\xdb\xdc", b"\xc0\xdb\xdd\xdc\xc0", b"\xdb\xdd\xdc\xc0"),
        (b"a\xc0\xc0b", b"\xc0a\xdb\xdc\xdb\xdcb\xc0", b"a\xdb\xdc\xdb\xdcb\xc0"),
    ],
)
def test_slip_encode_golden(framing_impl, packet, double_end, end_only):
    assert framing_impl.slip_encode(packet) == double_end
    assert framing_impl.slip_encode(packet, flag_at_start=False) == end_only
    assert framing_impl.slip_decode(double_end) == packet
    assert framing_impl.slip_decode(end_only) == packet


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_slip_accepts_bytes_like(framing_impl, kind):
    assert framing_impl.slip_encode(kind(b"x\xc0")) == b"\xc0x\xdb\xdc\xc0"
    assert framing_impl.slip_decode(kind(b"x\xdb\xdc")) == b"x\xc0"


def test_slip_rejects_non_buffers(framing_impl):
    for value in ("text", 5, None):
        with pytest.raises(TypeError):
            framing_impl.slip_encode(value)


@pytest.mark.parametrize(
    ("frame", "offset"),
    [(b"\xdb", 0), (b"ab\xdbx", 2), (b"\xdb\xdb\xdd", 0), (b"\xdb\xdd\xdbZ", 2)],
)
def test_slip_decode_bad_escape(framing_impl, frame, offset):
    with pytest.raises(OSCFramingError, match=f"offset {offset}"):
        framing_impl.slip_decode(frame)


def test_slip_decode_refuses_several_frames(framing_impl):
    with pytest.raises(OSCFramingError, match="END byte"):
        framing_impl.slip_decode(b"ab\xc0cd")


@settings(max_examples=150, deadline=None)
@given(packet=special_bytes, flag=st.booleans())
def test_slip_round_trip(framing_impl, packet, flag):
    frame = framing_impl.slip_encode(packet, flag)
    body = frame[1:-1] if flag else frame[:-1]
    assert frame[-1] == END
    assert frame[0] == END or not flag
    assert END not in body
    assert len(body) == len(packet) + packet.count(b"\xc0") + packet.count(b"\xdb")
    assert framing_impl.slip_decode(frame) == packet


# ---------------------------------------------------------------- SLIP, streams


@settings(max_examples=80, deadline=None)
@given(
    packets=st.lists(special_bytes.filter(bool), max_size=8),
    flag=st.booleans(),
    data=st.data(),
)
def test_slip_stream_any_split(framing_impl, packets, flag, data):
    stream = b"".join(framing_impl.slip_encode(p, flag) for p in packets)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=10))
    decoder = framing_impl.SlipDecoder()
    assert feed_in_pieces(decoder, stream, cuts) == packets
    assert decoder.pending == 0
    assert decoder.dropped == 0


def test_slip_stream_byte_by_byte(framing_impl):
    packets = [b"/a\x00\x00,\x00\x00\x00", b"\xc0\xdb" * 10, b"x"]
    stream = b"".join(framing_impl.slip_encode(p) for p in packets)
    decoder = framing_impl.SlipDecoder()
    out = []
    for i in range(len(stream)):
        out.extend(decoder.feed(stream[i : i + 1]))
    assert out == packets


def test_slip_stream_ignores_empty_frames(framing_impl):
    decoder = framing_impl.SlipDecoder()
    assert decoder.feed(b"\xc0\xc0\xc0abc\xc0\xc0\xc0\xc0def\xc0") == [b"abc", b"def"]
    assert decoder.dropped == 0


def test_slip_stream_bad_escape_drops_frame_and_resyncs(framing_impl):
    decoder = framing_impl.SlipDecoder()
    assert decoder.feed(b"\xc0good1\xc0bad\xdbX\xc0good2\xc0") == [b"good1", b"good2"]
    assert decoder.dropped == 1


def test_slip_stream_frame_limit(framing_impl):
    decoder = framing_impl.SlipDecoder(max_packet_size=8)
    with pytest.raises(OSCPacketTooLargeError) as caught:
        decoder.feed(b"\xc0ok\xc0" + b"x" * 9 + b"\xc0fine\xc0")
    # The packets around the oversize frame are not lost.
    assert caught.value.packets == [b"ok", b"fine"]
    assert decoder.dropped == 1
    assert decoder.feed(b"next\xc0") == [b"next"]


def test_slip_stream_partial_oversize_is_bounded_and_resyncs(framing_impl):
    decoder = framing_impl.SlipDecoder(max_packet_size=100)
    with pytest.raises(OSCPacketTooLargeError):
        decoder.feed(b"\xc0" + b"y" * 150)
    assert decoder.pending == 0
    # Still in the oversize frame: discarded without another error, memory stays bounded.
    for _ in range(50):
        assert decoder.feed(b"z" * 1000) == []
        assert decoder.pending == 0
    assert decoder.feed(b"tail\xc0next\xc0") == [b"next"]


def test_idle_tells_a_decoder_between_packets(framing_impl):
    slip = framing_impl.SlipDecoder(max_packet_size=8)
    assert slip.idle
    slip.feed(b"\xc0abc")
    assert not slip.idle
    slip.feed(b"\xc0")
    assert slip.idle
    with pytest.raises(OSCPacketTooLargeError):
        slip.feed(b"\xc0" + b"x" * 20)
    assert slip.pending == 0
    assert not slip.idle  # still skipping the oversize frame: its state must be kept
    slip.feed(b"\xc0")
    assert slip.idle
    header = framing_impl.HeaderDecoder(max_packet_size=8)
    with pytest.raises(OSCPacketTooLargeError):
        header.feed(b"\x00\x00\x00\x10abc")
    assert header.pending == 0
    assert not header.idle
    assert header.feed(b"d" * 13 + b"\x00\x00\x00\x01z") == [b"z"]
    assert header.idle
    auto = framing_impl.AutoDecoder()
    assert auto.idle
    auto.feed(b"\x00\x00")
    assert not auto.idle


def test_slip_stream_no_limit(framing_impl):
    decoder = framing_impl.SlipDecoder(max_packet_size=0)
    big = bytes(range(256)) * 8192  # 2 MiB, over the default limit
    assert decoder.feed(framing_impl.slip_encode(big)) == [big]


def test_slip_negative_limit_rejected(framing_impl):
    with pytest.raises(ValueError):
        framing_impl.SlipDecoder(max_packet_size=-1)


def test_slip_reset(framing_impl):
    decoder = framing_impl.SlipDecoder()
    decoder.feed(b"\xc0partial")
    assert decoder.pending == 7
    decoder.reset()
    assert decoder.pending == 0
    assert decoder.feed(b"\xc0whole\xc0") == [b"whole"]


# ---------------------------------------------------------------- size headers


def test_size_prefix_golden(framing_impl):
    assert framing_impl.size_prefix(b"") == b"\x00\x00\x00\x00"
    assert framing_impl.size_prefix(b"/abc") == b"\x00\x00\x00\x04/abc"
    assert framing_impl.size_prefix(bytearray(300)) == b"\x00\x00\x01\x2c" + bytes(300)


@settings(max_examples=80, deadline=None)
@given(packets=st.lists(st.binary(min_size=1, max_size=200), max_size=10), data=st.data())
def test_header_stream_any_split(framing_impl, packets, data):
    stream = b"".join(framing_impl.size_prefix(p) for p in packets)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12))
    decoder = framing_impl.HeaderDecoder()
    assert feed_in_pieces(decoder, stream, cuts) == packets
    assert decoder.pending == 0


def test_header_stream_byte_by_byte(framing_impl):
    packets = [b"/one", b"/two\x00\x00\x00\x00", b"\x00" * 17]
    stream = b"".join(framing_impl.size_prefix(p) for p in packets)
    decoder = framing_impl.HeaderDecoder()
    out = []
    for i in range(len(stream)):
        out.extend(decoder.feed(stream[i : i + 1]))
    assert out == packets
    assert decoder.pending == 0


def test_header_zero_size_packets_are_skipped(framing_impl):
    decoder = framing_impl.HeaderDecoder()
    assert decoder.feed(b"\x00\x00\x00\x00\x00\x00\x00\x02hi\x00\x00\x00\x00") == [b"hi"]


def test_header_limit_skips_packet_and_resyncs(framing_impl):
    decoder = framing_impl.HeaderDecoder(max_packet_size=10)
    stream = b"\x00\x00\x00\x02ok" + b"\x00\x00\x00\x0b" + b"B" * 11 + b"\x00\x00\x00\x02hi"
    with pytest.raises(OSCPacketTooLargeError) as caught:
        decoder.feed(stream[:10])
    assert caught.value.packets == [b"ok"]
    # The oversize body is skipped as it arrives, never buffered.
    assert decoder.pending == 0
    assert decoder.feed(stream[10:]) == [b"hi"]
    assert decoder.dropped == 1


def test_header_huge_length_does_not_allocate(framing_impl):
    decoder = framing_impl.HeaderDecoder()
    with pytest.raises(OSCPacketTooLargeError, match="4294967295"):
        decoder.feed(b"\xff\xff\xff\xff" + b"x" * 100)
    assert decoder.pending == 0


def test_header_struct_formats(framing_impl):
    # Little-endian 2-byte size with a 2-byte tag after it: (format, size, index).
    decoder = framing_impl.HeaderDecoder(("<HH", 4, 0))
    stream = struct.pack("<HH", 3, 0xBEEF) + b"abc" + struct.pack("<HH", 1, 0) + b"z"
    assert decoder.feed(stream) == [b"abc", b"z"]
    # Header wider than its struct: padding bytes skipped.
    decoder = framing_impl.HeaderDecoder((">I", 8, 0))
    assert decoder.feed(b"\x00\x00\x00\x02PADDhi") == [b"hi"]


def test_header_signed_negative_size(framing_impl):
    decoder = framing_impl.HeaderDecoder(("!i", 4, 0))
    with pytest.raises(OSCFramingError, match="invalid length header") as caught:
        decoder.feed(b"\x00\x00\x00\x01a" + b"\xff\xff\xff\xfe" + b"rest")
    assert caught.value.packets == [b"a"]
    assert decoder.pending == 0


def test_header_function_conventions(framing_impl):
    # A text header "<size>:" like netstrings; (0, 0) = need more, (0, n) = skip n bytes.
    def unpack(data):
        if data[:1] == b"#":
            return 0, 1  # a junk byte to skip
        colon = data.find(b":")
        if colon < 0:
            return 0, 0
        return int(data[:colon]), colon + 1

    decoder = framing_impl.HeaderDecoder(unpack)
    stream = b"#3:abc##11:hello world0:2:ok"
    cuts = list(range(0, len(stream), 2))
    assert feed_in_pieces(decoder, stream, cuts) == [b"abc", b"hello world", b"ok"]


def test_header_function_failure_is_a_framing_error(framing_impl):
    def broken(data):
        raise KeyError("nope")

    decoder = framing_impl.HeaderDecoder(broken)
    with pytest.raises(OSCFramingError, match="header function failed"):
        decoder.feed(b"anything")


def test_header_function_never_answering_is_bounded(framing_impl):
    decoder = framing_impl.HeaderDecoder(lambda data: (0, 0), max_packet_size=1000)
    with pytest.raises(OSCPacketTooLargeError):
        for _ in range(200):
            decoder.feed(b"w" * 1000)
    assert decoder.pending == 0


@pytest.mark.parametrize("header", [("!I",), ("nope", 4, 0), ("!I", 2, 0), ("!I", 4, 3), 42])
def test_header_spec_validation(framing_impl, header):
    with pytest.raises(ValueError):
        framing_impl.HeaderDecoder(header)


# ---------------------------------------------------------------- auto-detection


@pytest.mark.parametrize(
    ("first", "expected"),
    [(b"", None), (b"\xc0", "slip"), (b"/a", "slip"), (b"#bundle", "slip"), (b"\x00\x00", "size")],
)
def test_detect_framing(framing_impl, first, expected):
    assert framing_impl.detect_framing(first) == expected


@pytest.mark.parametrize("framing_name", ["slip", "slip-noflag", "size"])
def test_auto_decoder(framing_impl, framing_name):
    packets = [b"/x\x00\x00,i\x00\x00\x00\x00\x00\x01", b"/y\xc0\xdb\x00"]
    if framing_name == "size":
        stream = b"".join(framing_impl.size_prefix(p) for p in packets)
    else:
        flag = framing_name == "slip"
        stream = b"".join(framing_impl.slip_encode(p, flag) for p in packets)
    decoder = framing_impl.make_stream_decoder("auto")
    assert decoder.feed(b"") == []
    assert decoder.framing is None
    out = []
    for i in range(len(stream)):
        out.extend(decoder.feed(stream[i : i + 1]))
    assert out == packets
    assert decoder.framing == framing_name.split("-")[0]


def test_make_stream_decoder_rejects_unknown(framing_impl):
    with pytest.raises(ValueError, match="framing"):
        framing_impl.make_stream_decoder("morse")


# ---------------------------------------------------------------- garbage and twins


@settings(max_examples=150, deadline=None)
@given(
    chunks=st.lists(st.binary(max_size=64), max_size=8),
    kind=st.sampled_from(["slip", "size", "auto"]),
)
def test_garbage_never_escapes_oscerror(framing_impl, chunks, kind):
    decoder = framing_impl.make_stream_decoder(kind, max_packet_size=512)
    for chunk in chunks:
        with contextlib.suppress(OSCError):
            decoder.feed(chunk)
        assert decoder.pending <= 512 + 64


def run_stream(module, kind, chunks):
    """Everything a decoder says about a stream: packets, errors, state after each chunk."""
    decoder = module.make_stream_decoder(kind, max_packet_size=64)
    trace = []
    for chunk in chunks:
        try:
            trace.append(("ok", decoder.feed(chunk)))
        except OSCError as error:
            trace.append((type(error).__name__, str(error), error.packets))
        trace.append((decoder.pending, decoder.dropped))
    return trace


@settings(max_examples=200, deadline=None)
@given(
    chunks=st.lists(
        st.lists(
            st.sampled_from([0xC0, 0xDB, 0xDC, 0xDD, 0x00, 0x01, 0x2F, 0x41]), max_size=90
        ).map(bytes),
        max_size=8,
    ),
    kind=st.sampled_from(["slip", "size", "auto"]),
)
def test_differential_twins(framing_twins, chunks, kind):
    """The compiled twin says exactly what the pure twin says, errors included."""
    compiled, pure = framing_twins
    assert run_stream(compiled, kind, chunks) == run_stream(pure, kind, chunks)


# ---------------------------------------------------------------- public modules


def test_public_module_uses_selected_twin():
    assert framing.SlipDecoder is _accel.load("framing").SlipDecoder
    assert framing.MAX_PACKET_SIZE == 1 << 20


def test_oscnettools_osc4py3_helpers():
    assert oscnettools.SLIP_END_CODE == 192
    assert oscnettools.SLIP_ESC_CODE == 219
    assert oscnettools.packet2slip(b"a\xc0") == b"\xc0a\xdb\xdc\xc0"
    assert oscnettools.packet2slip(b"a", flagsatstart=False) == b"a\xc0"
    assert oscnettools.slip2packet(b"abc") == (None, b"abc")
    assert oscnettools.slip2packet(b"\xc0abc\xc0") == (b"", b"abc\xc0")
    assert oscnettools.slip2packet(b"a\xdb\xdd\xc0rest") == (b"a\xdb", b"rest")


def test_oscnettools_matches_osc4py3():
    osc4py3_tools = pytest.importorskip("osc4py3.oscnettools")
    for packet in [b"", b"plain", b"\xc0\xdb\xdc\xdd", bytes(range(256))]:
        for flag in (True, False):
            assert oscnettools.packet2slip(packet, flag) == osc4py3_tools.packet2slip(packet, flag)
        ours = oscnettools.slip2packet(osc4py3_tools.packet2slip(packet, False) + b"tail")
        theirs = osc4py3_tools.slip2packet(
            bytearray(osc4py3_tools.packet2slip(packet, False) + b"tail")
        )
        assert (bytes(ours[0]), bytes(ours[1])) == (bytes(theirs[0]), bytes(theirs[1]))
