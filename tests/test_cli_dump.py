"""``oscwire dump`` against liblo's ``oscdump``: the same packets give the same lines.

Children run with logging unconfigured; tests check stdout lines, the stderr lines (bad
packets, the summary) and the exit status, on UDP and TCP loopback with OS-chosen ports.
"""

from __future__ import annotations

import json
import math
import signal
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest

from _support_cli import (
    TIMEOUT,
    LineReader,
    Oscdump,
    OscwireDump,
    ipv6_loopback,
    run_oscsend,
    run_oscwire,
)
from oscwire import oscbuildparse as ob

pytestmark = pytest.mark.interop

#: Seconds between 1900 and 1970.
NTP_UNIX = 2208988800


def message(address: str, tags: str, *arguments: Any) -> ob.OSCMessage:
    return ob.OSCMessage(address, "," + tags if tags is not None else None, list(arguments))


def raw_float32(bits: int) -> float:
    return float(struct.unpack(">f", struct.pack(">I", bits))[0])


def raw_float64(bits: int) -> float:
    return float(struct.unpack(">d", struct.pack(">Q", bits))[0])


#: Packets both tools understand: every type tag liblo knows, edge values, bundles.
PACKETS = [
    message("/ints", "iihh", -(2**31), 2**31 - 1, -(2**63), 2**63 - 1),
    message("/zero", "ifd", 0, 0.0, 0.0),
    message("/noargs", ""),
    message(
        "/floats",
        "ffffffff",
        1.5,
        -0.0,
        1e30,
        1e-8,
        raw_float32(0x7F7FFFFF),  # largest float32
        raw_float32(0x00000001),  # smallest subnormal
        -1 / 3,
        123456.789,
    ),
    message("/nonfinite", "fffdd", math.inf, -math.inf, math.nan, -math.inf, math.nan),
    message("/negnan", "fd", raw_float32(0xFFC00000), raw_float64(0xFFF8000000000001)),
    message("/doubles", "dddd", 1e308, 5e-324, -1 / 3, 2.5),
    message("/strings", "sssS", "", "with space", "h\u00e9 \u2713", "symbol"),
    message("/long", "s", "x" * 200),
    message("/chars", "cccc", "x", " ", "\u00e9", "\0"),
    message(
        "/blobs",
        "bbbbbb",
        b"",
        b"\0",
        b"\x00\x05\xff\x10",
        bytes(range(12)),
        bytes(range(13)),
        bytes(1000),
    ),
    message("/midi", "mm", ob.OSCmidi(0x90, 0x40, 0x3F, 0), ob.OSCmidi(0, 0, 0, 0xFF)),
    message("/timetags", "ttt", (0, 1), (0xFFFFFFFF, 0xFFFFFFFF), (0xEEB69CAB, 0xD4D4FDF2)),
    message("/constants", "TFNI", True, False, None, ob.OSC_INFINITUM),
    message(
        "/all",
        "ifsbhtdScmTFNI",
        1,
        2.0,
        "3",
        b"4",
        5,
        (6, 7),
        8.0,
        "9",
        "a",
        ob.OSCmidi(1, 2, 3, 4),
        True,
        False,
        None,
        ob.OSC_INFINITUM,
    ),
    message("/deep/address/with/many/parts", "i", 1),
    ob.OSCBundle(
        ob.OSC_IMMEDIATELY, [message("/immediate/1", "i", 1), message("/immediate/2", "s", "two")]
    ),
    ob.OSCBundle(ob.OSC_IMMEDIATELY, []),
    # Time tags in the past, nested: each message carries its innermost bundle's tag.
    ob.OSCBundle(
        (0xE0000000, 0x80000000),
        [
            message("/outer/first", "i", 1),
            ob.OSCBundle((0xE0000001, 0x00000010), [message("/inner", "f", 0.5)]),
            message("/outer/after", "i", 3),
            ob.OSCBundle(ob.OSC_IMMEDIATELY, [message("/inner/immediate", "")]),
        ],
    ),
    ob.OSCBundle((0x00000064, 0x000000C8), [message("/era", "i", 100)]),
]
#: Raw packets neither tool prints: not OSC at all, and a message with an unknown tag.
BAD_PACKETS = [b"garbage!", b"/bad\0\0\0\0,x\0\0\0\0\0\0"]
#: Handmade: a string that is not UTF-8 (both print its bytes).
RAW_GOOD = [b"/bytes\0\0,s\0\0\xfe\xff\0\0"]


def send_all(raws: list[bytes], *ports: int) -> int:
    """Send each raw packet to each port, from one socket; return its port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for raw in raws:
            for port in ports:
                sock.sendto(raw, ("127.0.0.1", port))
            time.sleep(0.01)  # one at a time: each tool sees the same order
        return int(sock.getsockname()[1])


def split_time(line: bytes) -> tuple[float, bytes]:
    stamp, rest = line.split(b" ", 1)
    seconds, fraction = stamp.split(b".")
    assert len(seconds) == len(fraction) == 8, line
    return int(seconds, 16) + int(fraction, 16) / 2**32 - NTP_UNIX, rest


def assert_same_lines(theirs: list[bytes], ours: list[bytes], started: float) -> None:
    """Line for line equal; where liblo prints the time of arrival (its clock, not the
    packet's), both times are within a few seconds of the test's clock."""
    assert len(ours) == len(theirs), (theirs, ours)
    for their_line, our_line in zip(theirs, ours):
        their_time, their_rest = split_time(their_line)
        our_time, our_rest = split_time(our_line)
        assert our_rest == their_rest
        if abs(their_time - started) < 60:
            assert abs(our_time - their_time) < 5, (their_line, our_line)
        else:
            assert our_line == their_line


def test_lines_identical_to_liblo_oscdump() -> None:
    raws = [bytes(ob.encode_packet(packet)) for packet in PACKETS] + RAW_GOOD + BAD_PACKETS
    started = time.time()
    with Oscdump("-L") as theirs, OscwireDump("-L", "0", "--host", "127.0.0.1") as ours:
        sender = send_all(raws, theirs.port, ours.port)
        # Wait until both have printed every line, then stop both the same way.
        count = sum(len(list(_messages(packet))) for packet in PACKETS) + len(RAW_GOOD)
        their_lines = [theirs.stdout.line() for _ in range(count)]
        our_lines = [ours.stdout.line() for _ in range(count)]
        their_status, their_rest, _ = theirs.stop()
        our_status, our_rest, our_err = ours.stop()
    assert their_rest == our_rest == []
    assert their_status == our_status == 0
    assert_same_lines(their_lines, our_lines, started)
    # The first bad packet of a peer is shown in full, the next ones are counted.
    assert [line.split(" (")[0] for line in our_err if "bad packet" in line] == [
        f"oscwire dump: bad packet from 127.0.0.1:{sender}",
        f"oscwire dump: …and 1 more bad packets from 127.0.0.1:{sender}",
    ]
    assert our_err[-1] == (
        f"oscwire dump: stopped by SIGINT: {len(raws)} packets (2 bad) from 1 peer"
    )


def _messages(packet: Any) -> Iterator[ob.OSCMessage]:
    if isinstance(packet, ob.OSCBundle):
        for element in packet.elements:
            yield from _messages(element)
    else:
        yield packet


def test_future_bundle_printed_when_due_as_liblo() -> None:
    """A bundle timed ahead waits for its time in both (a later message comes first)."""
    with Oscdump("-L") as theirs, OscwireDump("-L", "0", "--host", "127.0.0.1") as ours:
        due = time.time() + 0.6  # from now: starting the tools may take longer than that
        packets = [
            ob.OSCBundle(ob.unixtime2timetag(due), [message("/later", "i", 1)]),
            message("/sooner", "i", 2),
        ]
        raws = [bytes(ob.encode_packet(packet)) for packet in packets]
        send_all(raws, theirs.port, ours.port)
        their_lines = [theirs.stdout.line(), theirs.stdout.line()]
        our_lines = [ours.stdout.line(), ours.stdout.line()]
        printed = time.time()
        theirs.stop()
        ours.stop()
    assert printed >= due - 0.05
    assert [line.split(b" ", 1)[1] for line in our_lines] == [b"/sooner i 2\n", b"/later i 1\n"]
    assert_same_lines(their_lines, our_lines, time.time())
    assert our_lines[1] == their_lines[1]  # the bundle's own time tag, in both


def test_raw_output_identical_to_oscdump_r() -> None:
    packets = [packet for packet in PACKETS if not isinstance(packet, ob.OSCBundle)][:8]
    packets.append(ob.OSCBundle(ob.OSC_IMMEDIATELY, [message("/b1", "i", 1), message("/b2", "")]))
    marker = message("/end", "s", "\n")  # its bytes end a "line": /end...,s...\n
    packets.append(marker)
    raws = [bytes(ob.encode_packet(packet)) for packet in packets]
    end = raws[-1][: raws[-1].index(b"\n") + 1]
    with Oscdump("-r") as theirs, OscwireDump("-r", "0", "--host", "127.0.0.1") as ours:
        send_all(raws, theirs.port, ours.port)
        # Both flush each message, -L or not (as oscdump -r): the marker comes while running.
        their_out, our_out = _until(theirs.stdout, end), _until(ours.stdout, end)
        their_out += theirs.stop()[1]
        status, rest, _ = ours.stop()
        our_out += rest
    assert status == 0
    assert b"".join(our_out) == b"".join(their_out)
    assert len(b"".join(our_out)) > 100


def _until(reader: LineReader, suffix: bytes) -> list[bytes]:
    """The "lines" of a binary stream, up to one that ends with *suffix*."""
    lines = [reader.line()]
    while not lines[-1].endswith(suffix):
        lines.append(reader.line())
    return lines


def test_tcp_lines_identical_to_liblo_oscdump() -> None:
    """liblo's oscsend over TCP, to liblo's oscdump and to oscwire dump."""
    cases = [("/tcp/one", "ifs", "1", "2.5", "three"), ("/tcp/two", "TFmc", "90403f00", "z")]
    with Oscdump("-L", tcp=True) as theirs, OscwireDump("-L", "osc.tcp://127.0.0.1:0") as ours:
        for case in cases:
            for port in (theirs.port, ours.port):
                assert run_oscsend(f"osc.tcp://127.0.0.1:{port}", *case).returncode == 0
        their_lines = [theirs.stdout.line() for _ in cases]
        our_lines = [ours.stdout.line() for _ in cases]
        theirs.stop()
        status, _, err = ours.stop()
    assert_same_lines(their_lines, our_lines, time.time())
    assert status == 0
    assert err[-1] == "oscwire dump: stopped by SIGINT: 2 packets (0 bad) from 2 peers"


def _frame(raw: bytes) -> bytes:
    return len(raw).to_bytes(4, "big") + raw


def test_tcp_serves_two_connected_peers_interleaved() -> None:
    """Two clients stay connected; each one's messages print as they arrive."""
    with OscwireDump("-L", "--tcp", "--format", "readable", "0", "--host", "127.0.0.1") as dump:
        first = socket.create_connection(("127.0.0.1", dump.port), timeout=TIMEOUT)
        second = socket.create_connection(("127.0.0.1", dump.port), timeout=TIMEOUT)
        with first, second:
            for step in range(3):
                first.sendall(_frame(bytes(ob.encode_packet(message(f"/first/{step}", "i", step)))))
                assert dump.stdout.line(5.0) == f"/first/{step} i {step}\n".encode()
                # The second peer uses SLIP: framing is detected per connection.
                raw = bytes(ob.encode_packet(message(f"/second/{step}", "s", "x")))
                second.sendall(b"\xc0" + raw + b"\xc0")
                assert dump.stdout.line(5.0) == f'/second/{step} s "x"\n'.encode()
            status, rest, err = dump.stop(signal.SIGTERM)
    assert (status, rest) == (0, [])
    assert err[-1] == "oscwire dump: stopped by SIGTERM: 6 packets (0 bad) from 2 peers"


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_summary_on_stop(number: int) -> None:
    good = bytes(ob.encode_packet(message("/good", "")))
    one = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with OscwireDump("-L", "0", "--host", "127.0.0.1") as dump, one, other:
        one.sendto(good, ("127.0.0.1", dump.port))
        for _ in range(5):
            other.sendto(b"not OSC!", ("127.0.0.1", dump.port))
        one.sendto(good, ("127.0.0.1", dump.port))
        other_port = other.getsockname()[1]
        # The second good packet was sent last: once printed, all were read.
        lines = [dump.stdout.line(), dump.stdout.line()]
        status, out, err = dump.stop(number)
    out = lines + out
    assert status == 0
    assert [line.split(b" ", 1)[1] for line in out] == [b"/good \n", b"/good \n"]
    name = signal.Signals(number).name
    assert err[-1] == f"oscwire dump: stopped by {name}: 7 packets (5 bad) from 2 peers"
    # The first bad packet of a peer is shown in full, the others are counted.
    bad = [line for line in err if "bad packet" in line]
    assert bad[0].startswith(f"oscwire dump: bad packet from 127.0.0.1:{other_port} (8 bytes)")
    assert any(f"4 more bad packets from 127.0.0.1:{other_port}" in line for line in bad), err
    assert len(bad) == 2, err


def test_without_L_a_pipe_is_block_buffered_as_oscdump() -> None:
    """Without -L, lines to a pipe wait in the buffer until the end; with -L they come at once."""
    raw = bytes(ob.encode_packet(message("/buffered", "i", 1)))
    with (
        OscwireDump("0", "--host", "127.0.0.1") as plain,
        OscwireDump("-L", "0", "--host", "127.0.0.1") as lined,
    ):
        send_all([raw], plain.port, lined.port)
        assert lined.stdout.line(5.0).endswith(b" /buffered i 1\n")
        assert not plain.stdout.ready(0.5)
        status, out, _ = plain.stop()
    assert status == 0
    assert [line.split(b" ", 1)[1] for line in out] == [b"/buffered i 1\n"]


def test_json_format_from_liblo_oscsend() -> None:
    with OscwireDump("-L", "--format", "json", "0", "--host", "127.0.0.1") as dump:
        sent = run_oscsend(
            "127.0.0.1", str(dump.port), "/json", "ifsTmN", "42", "0.5", "text", "90403f00"
        )
        assert sent.returncode == 0
        document = json.loads(dump.stdout.line())
        bundle = ob.OSCBundle((0xE0000000, 0), [message("/in/bundle", "bt", b"\x01\xff", (1, 2))])
        send_all([bytes(ob.encode_packet(bundle))], dump.port)
        second = json.loads(dump.stdout.line())
        dump.stop()
    assert document["message"] == {
        "address": "/json",
        "types": "ifsTmN",
        "args": [42, 0.5, "text", True, [0x90, 0x40, 0x3F, 0x00], None],
    }
    assert document["source"].startswith("127.0.0.1:")
    assert abs(document["time"] - time.time()) < 60
    inner = second["bundle"]
    assert inner["timetag"] == [0xE0000000, 0]
    assert inner["time"] == 0xE0000000 - NTP_UNIX
    assert inner["elements"] == [
        {"message": {"address": "/in/bundle", "types": "bt", "args": ["01ff", [1, 2]]}}
    ]


def test_readable_format_from_liblo_oscsend() -> None:
    with OscwireDump("-L", "--format", "readable", "0", "--host", "127.0.0.1") as dump:
        sent = run_oscsend("127.0.0.1", str(dump.port), "/liblo", "ifsTc", "42", "0.5", "text", "z")
        assert sent.returncode == 0
        line = dump.stdout.line()
        dump.stop()
    assert line == b"/liblo ifsTc 42 0.5 \"text\" True 'z'\n"


def test_count_and_timeout_stop_with_a_summary() -> None:
    with OscwireDump("--count", "2", "0", "--host", "127.0.0.1") as dump:
        raw = bytes(ob.encode_packet(message("/counted", "")))
        send_all([raw, raw, raw], dump.port)
        assert dump.process.wait(timeout=TIMEOUT) == 0
        out = dump.stdout.rest()
        err = [line.decode().rstrip("\n") for line in dump.stderr.rest()]
    assert len(out) == 2
    assert (
        err[-1] == "oscwire dump: stopped after 2 packets (--count): 2 packets (0 bad) from 1 peer"
    )
    process = run_oscwire("dump", "--timeout", "0.2", "0", "--host", "127.0.0.1")
    assert process.returncode == 0
    assert process.stderr.splitlines()[-1] == (
        "oscwire dump: stopped after 0.2 s (--timeout): 0 packets (0 bad) from 0 peers"
    )


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback here")
def test_ipv6_url() -> None:
    with OscwireDump("-L", "osc.udp://[::1]:0") as dump:
        assert dump.host == "::1"
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.sendto(bytes(ob.encode_packet(message("/v6", "i", 6))), ("::1", dump.port))
        line = dump.stdout.line()
        dump.stop()
    assert line.split(b" ", 1)[1] == b"/v6 i 6\n"


def test_port_in_use_is_one_line_and_status_1() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        process = run_oscwire("dump", str(taken.getsockname()[1]), "--host", "127.0.0.1")
    lines = process.stderr.splitlines()
    assert process.returncode == 1
    assert "Traceback" not in process.stderr
    assert lines[0].startswith("oscwire dump: cannot listen on osc.udp://127.0.0.1:")
    assert "Address already in use" in lines[0]


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["99999"], "port 99999 is out of range"),
        (["nine"], "port 'nine' is not a number"),
        (["osc.unix:///tmp/oscwire.sock"], "not supported yet"),
        (["osc.udp://127.0.0.1:1:2"], "in brackets"),
        (["--tcp", "osc.udp://:0"], "--tcp conflicts"),
        (["0", "10.0.0.1"], "not a multicast group"),
        (["--host", "nosuch.invalid", "0"], "unknown host 'nosuch.invalid'"),
        (["--format", "xml", "0"], "invalid choice: 'xml'"),
        (["--count", "-1", "0"], "argument --count"),
        ([], "the following arguments are required: PORT|URL"),
    ],
)
def test_usage_errors_are_one_line_and_status_2(arguments: list[str], fragment: str) -> None:
    process = run_oscwire("dump", *arguments)
    lines = process.stderr.splitlines()
    assert process.returncode == 2, process.stderr
    assert len(lines) == 1 and "Traceback" not in process.stderr, process.stderr
    assert lines[0].startswith("oscwire dump: ")
    assert fragment in lines[0]


def test_help_is_complete() -> None:
    process = run_oscwire("dump", "--help")
    assert process.returncode == 0
    text = process.stdout.decode()
    for needed in (
        "-L",
        "-r",
        "--format",
        "oscdump",
        "readable",
        "json",
        "raw",
        "GROUP",
        "osc.tcp://",
        "--framing",
        "--count",
        "--timeout",
        "SIGTERM",
        "exit status",
    ):
        assert needed in text, needed


GROUP = "224.0.1.9"


def _multicast_loops_back() -> bool:
    """True when a datagram sent to a multicast group comes back to a member here."""
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as member,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender,
    ):
        try:
            member.bind((GROUP, 0))
            request = socket.inet_aton(GROUP) + socket.inet_aton("0.0.0.0")
            member.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, request)
            sender.sendto(b"probe", (GROUP, member.getsockname()[1]))
            member.settimeout(1.0)
            return member.recv(16) == b"probe"
        except OSError:
            return False


@pytest.mark.parametrize("form", ["group", "url"])
def test_multicast_group(form: str) -> None:
    if not _multicast_loops_back():
        pytest.skip("multicast does not loop back on this host")
    where = ["0", GROUP] if form == "group" else [f"osc.udp://{GROUP}:0"]
    with OscwireDump("-L", *where) as dump:
        assert dump.host == GROUP
        url = f"osc.udp://{GROUP}:{dump.port}"
        sent = run_oscwire("send", url, "/group", "i", "1")
        assert (sent.returncode, sent.stderr) == (0, "")
        assert run_oscsend(url, "/group", "i", "2").returncode == 0
        lines = [dump.stdout.line(), dump.stdout.line()]
        dump.stop()
    assert [line.split(b" ", 1)[1] for line in lines] == [b"/group i 1\n", b"/group i 2\n"]
