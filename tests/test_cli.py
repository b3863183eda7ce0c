"""The ``oscwire`` command line: its parts (URLs, values, formats) and oscwire to oscwire.

The comparisons with liblo's tools are in ``test_cli_send.py`` and ``test_cli_dump.py``,
the bench in ``test_cli_bench.py``.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from _support_cli import OscwireDump, run_oscwire
from oscwire import cli, oscbuildparse
from oscwire._cli_common import UsageError
from oscwire._cli_format import Arrival, JsonFormat, OscdumpFormat, ReadableFormat
from oscwire._cli_message import build_message, four_bytes, parse_timetag
from oscwire._cli_target import Endpoint, Transport, parse_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("osc.udp://localhost:9000", Endpoint(Transport.UDP, "localhost", 9000)),
        ("osc.udp://localhost:9000/", Endpoint(Transport.UDP, "localhost", 9000)),
        ("osc://10.0.0.2:57120", Endpoint(Transport.UDP, "10.0.0.2", 57120)),
        ("osc.tcp://host:0", Endpoint(Transport.TCP, "host", 0)),
        ("osc.udp://[::1]:9000", Endpoint(Transport.UDP, "::1", 9000)),
        ("osc.udp://[fe80::1%eth0]:9000/", Endpoint(Transport.UDP, "fe80::1%eth0", 9000)),
        ("osc.udp://:9000", Endpoint(Transport.UDP, "", 9000)),
        ("OSC.TCP://h:1", Endpoint(Transport.TCP, "h", 1)),
        ("osc.unix:///tmp/sock", Endpoint(Transport.UNIX, path="/tmp/sock")),
    ],
)
def test_parse_url(url: str, expected: Endpoint) -> None:
    assert parse_url(url) == expected


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("osc.udp://host", "has no port"),
        ("osc.udp://host:", "port '' is not a number"),
        ("osc.udp://host:65536", "out of range 0..65535"),
        ("osc.udp://host:http", "port 'http' is not a number"),
        ("osc.udp://[::1]9000", "unexpected '9000'"),
        ("osc.udp://[]:9000", "[address]:port"),
        ("osc.udp://::1:9000", "in brackets"),
        ("osc.udp://h:1/path", "unexpected path '/path'"),
        ("osc.sctp://h:1", "unknown protocol 'osc.sctp'"),
        ("osc.unix://relative", "osc.unix:///absolute/path"),
    ],
)
def test_parse_url_errors(url: str, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_url(url)
    assert fragment in str(caught.value)


def test_dump_url_may_omit_the_port() -> None:
    assert parse_url("osc.udp://", port_required=False) == Endpoint(Transport.UDP, "", 0)


@pytest.mark.parametrize(
    ("types", "words", "arguments"),
    [
        ("i", ["010"], [10]),  # decimal, as oscsend's strtol(.., 10)
        ("i", ["0x10"], [16]),
        ("i", ["-0b101"], [-5]),
        ("h", ["+9223372036854775807"], [2**63 - 1]),
        ("f", ["0x1p-1"], [0.5]),
        ("sSc", ["-x", "--tcp", "-"], ["-x", "--tcp", "-"]),
        ("TFNI", [], [True, False, None, oscbuildparse.OSC_INFINITUM]),
        ("b", ["00ff 10"], [b"\x00\xff\x10"]),
        ("i[is[f]]c", ["1", "2", "x", "0.5", "z"], [1, [2, "x", [0.5]], "z"]),
        ("t", ["eeb69cab.d4d4fdf2"], [(0xEEB69CAB, 0xD4D4FDF2)]),
        ("t", ["now"], [oscbuildparse.OSC_IMMEDIATELY]),
    ],
)
def test_values(types: str, words: list[str], arguments: list[Any]) -> None:
    message = build_message("/v", types, words)
    assert message.typetags == "," + types
    assert _plain(message.arguments) == _plain(arguments)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def test_time_tag_value_is_a_unix_time() -> None:
    (tag,) = build_message("/t", "t", ["1700000000.5"]).arguments
    assert oscbuildparse.timetag2unixtime(tag) == 1700000000.5
    assert parse_timetag("1700000000.5") == tag


@pytest.mark.parametrize(
    ("types", "words", "fragment"),
    [
        ("i", ["2147483648"], "out of the int32 range"),
        ("h", ["9223372036854775808"], "out of the int64 range"),
        ("f", ["3.5e38"], "out of the float32 range"),
        ("f", ["one"], "'one' is not a number"),
        ("c", ["xy"], "one character"),
        ("b", ["0g"], "hexadecimal bytes"),
        ("t", ["-1"], "type t takes"),
        ("m", ["1,2,3"], "4 comma-separated bytes"),
        ("m", ["1ffffffff"], "32-bit value"),
        ("r", ["1,2,3,256"], "bytes in 0..255"),
        ("i]", ["1"], "']' closes no array"),
        ("[i", ["1"], "'[' without ']'"),
        ("ii", ["1"], "take 2 value(s), 1 given"),
    ],
)
def test_value_errors(types: str, words: list[str], fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        build_message("/v", types, words)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90403f00", (0x90, 0x40, 0x3F, 0x00)),  # oscsend's form: hex, first byte highest
        ("0x90403f00", (0x90, 0x40, 0x3F, 0x00)),
        ("ff", (0, 0, 0, 0xFF)),
        ("144,64,63,0", (144, 64, 63, 0)),
        ("0x90,0x40,0x3f,0", (0x90, 0x40, 0x3F, 0)),
    ],
)
def test_four_bytes(text: str, expected: tuple[int, int, int, int]) -> None:
    assert four_bytes("m", text) == expected


def _arrival(packet: Any) -> Arrival:
    return Arrival(packet, 1700000000.25, ("127.0.0.1", 5000))


def test_oscdump_format_of_what_liblo_cannot_read() -> None:
    """Arrays and RGBA (liblo drops such packets) in oscdump's style."""
    message = oscbuildparse.OSCMessage(
        "/x", ",i[is]r", [1, (2, "a"), oscbuildparse.OSCrgba(1, 2, 254, 255)]
    )
    (output,) = OscdumpFormat().render(_arrival(message))
    # 1700000000 + 2208988800 (1900 to 1970) = 0xe8fe6f80 s; 0.25 s is 0x3fffffff with
    # liblo's microsecond arithmetic (250000 * 4294.967295, truncated).
    assert output.data == b'e8fe6f80.3fffffff /x i[is]r 1 [2 "a"] RGBA [0x01 0x02 0xfe 0xff]\n'
    assert output.due is None


def test_readable_format() -> None:
    bundle = oscbuildparse.OSCBundle(
        oscbuildparse.OSC_IMMEDIATELY,
        [oscbuildparse.OSCMessage("/x", ",i[s[f]]c", [1, ("a", (2.5,)), "z"])],
    )
    (output,) = ReadableFormat().render(_arrival(bundle))
    assert output.data == b"#bundle immediately\n  /x i[s[f]]c 1 [\"a\" [2.5]] 'z'\n"


def test_json_format_non_finite_floats() -> None:
    message = oscbuildparse.OSCMessage("/f", ",ffd", [float("nan"), float("-inf"), 1.0])
    (output,) = JsonFormat().render(_arrival(message))
    document = json.loads(output.data)
    assert document == {
        "time": 1700000000.25,
        "source": "127.0.0.1:5000",
        "message": {"address": "/f", "types": "ffd", "args": ["NaN", "-Infinity", 1.0]},
    }


@pytest.mark.parametrize("framing", [[], ["--tcp"], ["--slip"]])
def test_oscwire_send_to_oscwire_dump(framing: list[str]) -> None:
    """Types liblo lacks (arrays, RGBA, blobs, time tags) from one oscwire to the other."""
    dump_options = ["--tcp"] if framing else []
    with OscwireDump("-L", "0", "--host", "127.0.0.1", *dump_options) as dump:
        words = ["/arr", "i[is]rbt", "1", "2", "-x", "1,2,254,255", "00ff", "00000005.00000007"]
        sent = run_oscwire("send", "127.0.0.1", str(dump.port), *words, *framing)
        assert (sent.returncode, sent.stderr) == (0, "")
        line = dump.stdout.line()
        dump.stop()
    expected = (
        b'/arr i[is]rbt 1 [2 "-x"] RGBA [0x01 0x02 0xfe 0xff] [2b 00 0xff] 00000005.00000007\n'
    )
    assert line.split(b" ", 1)[1] == expected


def test_main_reports_errors_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["send", "127.0.0.1", "9", "/x", "i", "notanumber"]) == 2
    captured = capsys.readouterr()
    assert (
        captured.err == "oscwire send: value for type i (tag #1): 'notanumber' is not an integer\n"
    )
    assert cli.main(["nosuchcommand"]) == 2
    assert capsys.readouterr().err.startswith("oscwire: argument COMMAND: invalid choice")


def test_main_version_and_help_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("oscwire ")
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("send", "dump", "bench", "demo"):
        assert command in out


def test_top_level_usage_error_is_one_line() -> None:
    process = run_oscwire()
    assert process.returncode == 2
    assert process.stderr == (
        "oscwire: the following arguments are required: COMMAND (see 'oscwire --help')\n"
    )


def test_send_to_stdout_in_process(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert cli.main(["send", "-", "/s", "s", "-x"]) == 0
    assert capsysbinary.readouterr().out == b"/s\0\0,s\0\0-x\0\0"


def test_demo_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--count", "500"]) == 0
    out = capsys.readouterr().out
    for channel in (1, 2, 3):
        assert f"(fader {channel} handler) /mixer/channel/*/fader 0.75" in out
    assert "500/500 messages" in out
    late_ms = float(out.split("ran ")[1].split(" ms")[0])
    assert abs(late_ms) < 100


def test_send_in_process_reaches_a_udp_listener() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        assert cli.main(["send", "127.0.0.1", str(sock.getsockname()[1]), "/in", "i", "1"]) == 0
        sock.settimeout(5)
        assert sock.recv(64) == b"/in\0,i\0\0\0\0\0\x01"


def test_internal_error_is_one_line_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*arguments: Any, **options: Any) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "run_send", broken)
    monkeypatch.delenv("OSCWIRE_DEBUG", raising=False)
    assert cli.main(["send", "-", "/x"]) == 1
    assert capsys.readouterr().err == (
        "oscwire send: internal error: RuntimeError: a bug "
        "(OSCWIRE_DEBUG=1 shows the traceback; please report it)\n"
    )
    monkeypatch.setenv("OSCWIRE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["send", "-", "/x"])
