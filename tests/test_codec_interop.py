"""Cross-checks with independent OSC implementations, in both directions where possible.

python-osc and osc4py3 encode and decode in-process; pyliblo3 has no public encoder, so
its packets are captured from ``liblo.send`` on a loopback UDP socket (127.0.0.1, port
chosen by the OS). Skipped when a peer is not installed.
"""

from __future__ import annotations

import socket
import time

import pytest

from oscwire.oscbuildparse import (
    OSC_BANG,
    OSC_IMMEDIATELY,
    OSCBundle,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
)

pytestmark = pytest.mark.interop


def plain(values):
    """Arguments with blob views as bytes and arrays as lists, for comparisons."""
    out = []
    for value in values:
        if isinstance(value, memoryview):
            value = bytes(value)
        elif type(value) is tuple:
            value = plain(value)
        out.append(value)
    return out


# ----------------------------------------------------------------------------- python-osc


def test_oscwire_to_pythonosc(codec_impl):
    pythonosc = pytest.importorskip("pythonosc.osc_message")
    msg = OSCMessage(
        "/mixer/ch",
        ",ihfdsbTFN[is]m",
        [
            7,
            -(2**40),
            0.5,
            1e100,
            "héllo",
            b"\x00\x01\x02",
            True,
            False,
            None,
            [3, "x"],
            OSCmidi(0x90, 60, 127, 0),
        ],
    )
    theirs = pythonosc.OscMessage(bytes(codec_impl.encode_packet(msg)))
    assert theirs.address == "/mixer/ch"
    assert theirs.params == [
        7,
        -(2**40),
        0.5,
        1e100,
        "héllo",
        b"\x00\x01\x02",
        True,
        False,
        None,
        [3, "x"],
        (0x90, 60, 127, 0),
    ]


def test_pythonosc_to_oscwire(codec_impl):
    builder_mod = pytest.importorskip("pythonosc.osc_message_builder")
    builder = builder_mod.OscMessageBuilder("/synth/1")
    for value, tag in [
        (7, "i"),
        (2**40, "h"),
        (0.25, "f"),
        (1e-300, "d"),
        ("héllo", "s"),
        (b"\xff\xfe", "b"),
        (True, "T"),
        (False, "F"),
        (None, "N"),
        (0x01020304, "r"),
        ((1, 2, 3, 4), "m"),
    ]:
        builder.add_arg(value, tag)
    builder.add_arg([1, [2.5, "z"]])
    raw = builder.build().dgram
    msg = codec_impl.decode_packet(raw)
    assert msg.addrpattern == "/synth/1"
    assert msg.typetags == ",ihfdsbTFNrm[i[fs]]"
    assert plain(msg.arguments) == [
        7,
        2**40,
        0.25,
        1e-300,
        "héllo",
        b"\xff\xfe",
        True,
        False,
        None,
        OSCrgba(1, 2, 3, 4),
        OSCmidi(1, 2, 3, 4),
        [1, [2.5, "z"]],
    ]


def test_bundles_with_pythonosc(codec_impl):
    bundle_mod = pytest.importorskip("pythonosc.osc_bundle")
    builder_mod = pytest.importorskip("pythonosc.osc_bundle_builder")
    message_builder = pytest.importorskip("pythonosc.osc_message_builder")
    ours = OSCBundle(OSC_IMMEDIATELY, [OSCMessage("/a", None, [1]), OSCMessage("/b", None, ["x"])])
    theirs = bundle_mod.OscBundle(bytes(codec_impl.encode_packet(ours)))
    assert [(m.address, m.params) for m in theirs] == [("/a", [1]), ("/b", ["x"])]
    builder = builder_mod.OscBundleBuilder(builder_mod.IMMEDIATELY)
    builder.add_content(message_builder.build_msg("/c", [1.5, "y"]))
    decoded = codec_impl.decode_packet(builder.build().dgram)
    assert decoded.timetag == OSC_IMMEDIATELY
    assert decoded.elements == (("/c", ",fs", (1.5, "y")),)


# -------------------------------------------------------------------------------- osc4py3

ALL_OSC4PY3_TAGS = ",ifsSbhdtrmTFNI[is]"


def osc4py3_values(o4):
    return [
        -5,
        0.5,
        "text",
        "sym",
        b"\x01\x02\x03",
        2**40,
        2.25,
        o4.OSCtimetag(3, 4),
        o4.OSCrgba(1, 2, 3, 4),
        o4.OSCmidi(5, 6, 7, 8),
        True,
        False,
        None,
        o4.OSC_IMPULSE,
        [1, "x"],
    ]


def test_oscwire_to_osc4py3(codec_impl):
    o4 = pytest.importorskip("osc4py3.oscbuildparse")
    values = osc4py3_values(o4)
    raw = codec_impl.encode_packet(OSCMessage("/a/b", ALL_OSC4PY3_TAGS, values))
    theirs = o4.decode_packet(bytes(raw))
    assert theirs.addrpattern == "/a/b"
    assert theirs.typetags == ALL_OSC4PY3_TAGS
    got = [bytes(v) if isinstance(v, memoryview) else v for v in theirs.arguments]
    assert got[:-1] == values[:-1]
    assert got[-1] == (1, "x")


def test_osc4py3_to_oscwire(codec_impl):
    o4 = pytest.importorskip("osc4py3.oscbuildparse")
    values = osc4py3_values(o4)
    raw = o4.encode_packet(o4.OSCMessage("/a/b", ALL_OSC4PY3_TAGS, values))
    msg = codec_impl.decode_packet(bytes(raw))
    assert msg.typetags == ALL_OSC4PY3_TAGS
    got = plain(msg.arguments)
    assert got[:7] == values[:7]
    assert got[7] == OSCtimetag(3, 4) and got[8] == OSCrgba(1, 2, 3, 4)
    assert got[9] == OSCmidi(5, 6, 7, 8) and got[13] == OSC_BANG
    assert got[10:13] == [True, False, None] and got[14] == [1, "x"]


def test_char_with_osc4py3(codec_impl):
    o4 = pytest.importorskip("osc4py3.oscbuildparse")
    theirs = o4.encode_packet(o4.OSCMessage("/c", ",c", ["Z"]))
    assert codec_impl.decode_packet(bytes(theirs)).arguments == ("Z",)
    ours = codec_impl.encode_packet(OSCMessage("/c", ",c", ["Z"]), {"char_layout": "osc4py3"})
    assert o4.decode_packet(bytes(ours)).arguments == ("Z",)


def test_bundles_with_osc4py3(codec_impl):
    o4 = pytest.importorskip("osc4py3.oscbuildparse")
    inner = o4.OSCBundle(o4.OSCtimetag(10, 20), [o4.OSCMessage("/in", None, [1])])
    theirs = o4.OSCBundle(o4.OSC_IMMEDIATELY, [o4.OSCMessage("/out", None, ["s"]), inner])
    decoded = codec_impl.decode_packet(bytes(o4.encode_packet(theirs)))
    assert decoded == (
        OSC_IMMEDIATELY,
        (("/out", ",s", ("s",)), (OSCtimetag(10, 20), (("/in", ",i", (1,)),))),
    )
    ours = OSCBundle(OSCtimetag(10, 20), [OSCMessage("/x", None, [1.5, [2]])])
    back = o4.decode_packet(bytes(codec_impl.encode_packet(ours)))
    assert tuple(back.timetag) == (10, 20)
    assert back.elements[0].arguments == (1.5, (2,))


def test_same_bytes_as_osc4py3_for_common_types(codec_impl):
    o4 = pytest.importorskip("osc4py3.oscbuildparse")
    values = osc4py3_values(o4)
    ours = codec_impl.encode_packet(OSCMessage("/a/b", ALL_OSC4PY3_TAGS, values))
    assert ours == o4.encode_packet(o4.OSCMessage("/a/b", ALL_OSC4PY3_TAGS, values))


# ------------------------------------------------------------------------------- pyliblo3


def test_pyliblo3_to_oscwire(codec_impl):
    liblo = pytest.importorskip("pyliblo3")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        port = sock.getsockname()[1]
        message = liblo.Message(
            "/liblo",
            ("c", "A"),
            ("i", -3),
            ("h", 2**40),
            ("f", 1.5),
            ("d", 2.5),
            ("s", "hé"),
            ("S", "sym"),
            ("b", b"ab"),
            ("T",),
            ("F",),
            ("N",),
            ("I",),
            ("m", (1, 2, 3, 4)),
        )
        liblo.send(liblo.Address("127.0.0.1", port, liblo.UDP), message)
        raw = sock.recv(65536)
    assert raw[24:28] == b"\0\0\0A"  # liblo's char layout: a big-endian int32
    msg = codec_impl.decode_packet(raw)
    assert msg.addrpattern == "/liblo"
    assert msg.typetags == ",cihfdsSbTFNIm"
    assert plain(msg.arguments) == [
        "A",
        -3,
        2**40,
        1.5,
        2.5,
        "hé",
        "sym",
        b"ab",
        True,
        False,
        None,
        OSC_BANG,
        OSCmidi(1, 2, 3, 4),
    ]


def test_oscwire_to_pyliblo3(codec_impl):
    # liblo (0.31) knows every tag but 'r' and arrays; each message is checked by its own
    # decoder, through a pyliblo3 server on a port liblo picks.
    liblo = pytest.importorskip("pyliblo3")
    server = liblo.Server()
    got = []
    server.add_method(None, None, lambda path, args, types, src: got.append((path, types, args)))
    try:
        message = OSCMessage(
            "/liblo",
            ",cihfdsSbtTFNIm",
            [
                "A",
                -3,
                2**40,
                1.5,
                2.5,
                "hé",
                "sym",
                b"\x00\xffab\x01",
                OSCtimetag(3900000000, 2**31),
                True,
                False,
                None,
                OSC_BANG,
                OSCmidi(0x90, 60, 127, 0),
            ],
        )
        empty = OSCMessage("/empty", ",sb", ["", b""])
        bundle = OSCBundle(OSCtimetag(1, 0), [OSCMessage("/in", ",i", [7])])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for packet in (message, empty, bundle):
                sock.sendto(bytes(codec_impl.encode_packet(packet)), ("127.0.0.1", server.port))
        deadline = time.monotonic() + 5
        while len(got) < 3 and time.monotonic() < deadline:
            server.recv(20)
    finally:
        server.free()
    assert got[0] == (
        "/liblo",
        "cihfdsSbtTFNIm",
        [
            "A",
            -3,
            2**40,
            1.5,
            2.5,
            "hé",
            "sym",
            b"\x00\xffab\x01",
            3900000000.5,  # pyliblo3 gives a time tag as NTP seconds
            True,
            False,
            None,
            float("inf"),  # and 'I' as infinity
            (0x90, 60, 127, 0),
        ],
    )
    assert got[1:] == [("/empty", "sb", ["", b""]), ("/in", "i", [7])]
