"""``oscwire send`` against liblo's ``oscsend``: same command line, same bytes.

Each test runs the command as a child process (logging unconfigured) and checks what a
user sees: the bytes a listener receives, stdout, the one stderr line and the exit status.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from _support_cli import (
    TIMEOUT,
    Oscdump,
    assert_one_line_error,
    free_port,
    ipv6_loopback,
    liblo_tool,
    run_oscsend,
    run_oscwire,
)

pytestmark = pytest.mark.interop

#: Command lines after the destination, valid for both tools, meaning the same to both.
SEND_CASES = [
    ("/a",),
    ("/a", ""),
    ("/ints", "iih", "-2147483648", "2147483647", "-9223372036854775808"),
    ("/decimal", "iih", "010", "+7", " 12"),
    ("/negative", "is", "-5", "-5"),
    ("/dashes", "sss", "-x", "--tcp", "-"),
    ("/floats", "ffdd", "1.5", "-0.0", "1e30", "3.141592653589793"),
    ("/special", "ffdd", "inf", "-inf", "nan", "1e-310"),
    ("/hexfloat", "fd", "0x1p3", "0x1.8p-2"),
    ("/text", "sSc", "hello world", "sym", "x"),
    ("/utf8", "s", "h\u00e9 \u2713"),
    ("/empty", "s", ""),
    ("/midi", "mm", "90403f00", "ff"),
    ("/constants", "TFNI"),
    ("/mixed", "TiFsN", "3", "x"),
]


def _ids(case: tuple[str, ...]) -> str:
    return case[0].strip("/") + ("-empty-types" if case[1:] == ("",) else "")


def received(sock: socket.socket) -> bytes:
    sock.settimeout(TIMEOUT)
    data, _ = sock.recvfrom(65536)
    return data


@pytest.fixture
def udp_listener() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


@pytest.mark.parametrize("case", SEND_CASES, ids=_ids)
def test_stdout_bytes_match_oscsend(case: tuple[str, ...]) -> None:
    """``-`` writes the encoded message to stdout, as ``oscsend -``: same bytes."""
    theirs = run_oscsend("-", *case)
    assert theirs.returncode == 0, theirs.stderr
    ours = run_oscwire("send", "-", *case)
    assert ours.returncode == 0, ours.stderr
    assert ours.stderr == ""
    assert ours.stdout == theirs.stdout


@pytest.mark.parametrize("form", ["host-port", "url"])
@pytest.mark.parametrize("case", SEND_CASES[2:8], ids=_ids)
def test_udp_bytes_match_oscsend(
    udp_listener: socket.socket, form: str, case: tuple[str, ...]
) -> None:
    """The same command line through oscsend and oscwire send, to one UDP listener."""
    port = udp_listener.getsockname()[1]
    destination = (
        ["127.0.0.1", str(port)] if form == "host-port" else [f"osc.udp://127.0.0.1:{port}"]
    )
    theirs = run_oscsend(*destination, *case)
    assert theirs.returncode == 0, theirs.stderr
    expected = received(udp_listener)
    ours = run_oscwire("send", *destination, *case)
    assert (ours.returncode, ours.stderr) == (0, "")
    assert received(udp_listener) == expected


def _tcp_stream(listener: socket.socket) -> bytes:
    connection, _ = listener.accept()
    with connection:
        connection.settimeout(TIMEOUT)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_tcp_bytes_match_oscsend() -> None:
    """``osc.tcp://``: the same stream (size prefix and message) as oscsend's."""
    case = ("/tcp", "ifsT", "-3", "0.25", "-x")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(TIMEOUT)
        url = f"osc.tcp://127.0.0.1:{listener.getsockname()[1]}"
        theirs = run_oscsend(url, *case)
        assert theirs.returncode == 0, theirs.stderr
        expected = _tcp_stream(listener)
        ours = run_oscwire("send", url, *case)
        assert (ours.returncode, ours.stderr) == (0, "")
        assert _tcp_stream(listener) == expected
    assert expected[:4] == (len(expected) - 4).to_bytes(4, "big")


def test_file_destination_matches_oscsend(tmp_path: Path) -> None:
    case = ("/file", "is", "7", "seven")
    theirs, ours = tmp_path / "theirs.osc", tmp_path / "ours.osc"
    assert run_oscsend(f"file://{theirs}", *case).returncode == 0
    assert run_oscwire("send", f"file://{ours}", *case).returncode == 0
    assert ours.read_bytes() == theirs.read_bytes()


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback here")
def test_ipv6_literal_in_url(udp_listener: socket.socket) -> None:
    """``osc.udp://[::1]:PORT`` reaches an IPv6 listener with oscsend's bytes (this liblo
    has no IPv6, so its bytes come over IPv4)."""
    case = ("/v6", "is", "-1", "-x")
    assert run_oscsend("127.0.0.1", str(udp_listener.getsockname()[1]), *case).returncode == 0
    expected = received(udp_listener)
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock6:
        sock6.bind(("::1", 0))
        ours = run_oscwire("send", f"osc.udp://[::1]:{sock6.getsockname()[1]}", *case)
        assert (ours.returncode, ours.stderr) == (0, "")
        assert received(sock6) == expected


@pytest.mark.parametrize("framing", ["--slip", "--tcp"])
def test_tcp_framings_reach_liblo_oscdump(framing: str) -> None:
    """liblo's TCP server reads both framings (it detects SLIP)."""
    with Oscdump("-L", tcp=True) as dump:
        url = f"osc.tcp://127.0.0.1:{dump.port}"
        ours = run_oscwire("send", url, "/framed", "is", "5", "-x", framing)
        assert (ours.returncode, ours.stderr) == (0, "")
        line = dump.stdout.line()
        dump.stop()
    assert line.split(b" ", 1)[1] == b'/framed is 5 "-x"\n'


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["127.0.0.1", "70000", "/a"], ["port 70000 is out of range 0..65535"]),
        (["127.0.0.1", "-1", "/a"], ["port '-1' is not a number"]),
        (["osc.udp://127.0.0.1:65536", "/a"], ["out of range 0..65535"]),
        (["nosuch.invalid", "9000", "/a"], ["unknown host 'nosuch.invalid'"]),
        (["osc.udp://nosuch.invalid:9000", "/a"], ["unknown host 'nosuch.invalid'"]),
        (["osc.udp://127.0.0.1", "/a"], ["has no port"]),
        (["osc.udp://[::1", "/a"], ["IPv6 address is written [address]:port"]),
        (["osc.udp://::1:9000", "/a"], ["in brackets"]),
        (["osc.http://host:80", "/a"], ["unknown protocol 'osc.http'"]),
        (["osc.unix:///tmp/oscwire.sock", "/a"], ["not supported yet"]),
        (["127.0.0.1"], ["no port given"]),
        (["127.0.0.1", "9"], ["no OSC address"]),
        (["127.0.0.1", "9", "/a", "i", "x"], ["'x' is not an integer"]),
        (["127.0.0.1", "9", "/a", "i", "2147483648"], ["out of the int32 range"]),
        (["127.0.0.1", "9", "/a", "f", "1e39"], ["out of the float32 range"]),
        (["127.0.0.1", "9", "/a", "ii", "1"], ["take 2 value(s), only 1 given"]),
        (["127.0.0.1", "9", "/a", "i", "1", "2"], ["left over after the values: 2"]),
        (["127.0.0.1", "9", "/a", "q"], ["type tag 'q'"]),
        (["127.0.0.1", "9", "/a", "--bogus"], ["not a type tag string"]),
        (["127.0.0.1", "9", "nopath"], ["does not start with '/'"]),
        (["--tcp", "osc.udp://127.0.0.1:9", "/a"], ["conflict"]),
        (["--timeout", "soon", "-", "/a"], ["argument --timeout"]),
        ([], ["no destination"]),
    ],
)
def test_usage_errors_are_one_line_and_status_2(arguments: list[str], fragments: list[str]) -> None:
    process = run_oscwire("send", *arguments)
    line = assert_one_line_error(process, 2, *fragments)
    assert line.startswith("oscwire send: ")
    assert process.stdout == b""


def test_refused_tcp_connection_is_one_line_and_status_1() -> None:
    port = free_port(socket.SOCK_STREAM)
    process = run_oscwire("send", f"osc.tcp://127.0.0.1:{port}", "/a")
    assert_one_line_error(process, 1, "oscwire send: cannot connect to", "Connection refused")


def test_datagram_too_long_is_one_line_and_status_1(udp_listener: socket.socket) -> None:
    port = udp_listener.getsockname()[1]
    process = run_oscwire("send", "127.0.0.1", str(port), "/big", "s", "x" * 66000)
    assert_one_line_error(process, 1, "oscwire send: sending to osc.udp://127.0.0.1:", "too long")


def test_help_is_complete() -> None:
    process = run_oscwire("send", "--help")
    assert process.returncode == 0
    text = process.stdout.decode()
    for needed in (
        "osc.udp://",
        "osc.tcp://",
        "[::1]",
        "osc.unix://",
        "file:///",
        "--slip",
        "--tcp",
        "--timeout",
        "-5 and -x",
        "exit status",
    ):
        assert needed in text, needed
    for tag in "ihfdsScmbrtTFNI":
        assert f"  {tag}  " in text, tag


def test_oscsend_help_lists_no_type_we_lack() -> None:
    """Every type tag oscsend documents is one oscwire send takes."""
    text = subprocess.run(
        [liblo_tool("oscsend")], capture_output=True, text=True, timeout=TIMEOUT
    ).stdout
    tags = [
        line.split()[0] for line in text.splitlines() if " - " in line and len(line.split()[0]) == 1
    ]
    assert len(tags) >= 12, text
    ours = run_oscwire("send", "--help").stdout.decode()
    for tag in tags:
        assert f"  {tag}  " in ours, tag
