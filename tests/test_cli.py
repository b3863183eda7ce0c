"""The ``oscwire`` command line: send and dump over loopback, and against liblo's tools."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from oscwire import cli, oscbuildparse

TIMEOUT = 20


def test_build_message_types():
    message = cli.build_message("/a", "ifsTNhc", ["7", "2.5", "hi", "0x10", "x"])
    assert message.addrpattern == "/a"
    assert message.typetags == ",ifsTNhc"
    assert list(message.arguments) == [7, 2.5, "hi", True, None, 16, "x"]


def test_build_message_argument_count_mismatch():
    with pytest.raises(ValueError, match="want more"):
        cli.build_message("/a", "ii", ["1"])
    with pytest.raises(ValueError, match="left over"):
        cli.build_message("/a", "i", ["1", "2"])


def test_format_arguments_arrays():
    assert cli.format_arguments("i[s[f]]c", [1, ("a", (2.5,)), "z"]) == "1 [\"a\" [2.5]] 'z'"


def test_format_packet_bundle():
    bundle = oscbuildparse.OSCBundle(
        oscbuildparse.OSC_IMMEDIATELY, [oscbuildparse.OSCMessage("/x", ",is", [1, "a"])]
    )
    assert cli.format_packet(bundle) == ["#bundle immediately", '  /x is 1 "a"']


def start_dump(*arguments: str) -> tuple[subprocess.Popen, int]:
    """Start ``oscwire dump`` on an OS-chosen port; return the process and its port."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oscwire",
            "dump",
            "0",
            "--host",
            "127.0.0.1",
            "--timeout",
            "15",
            *arguments,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stderr.readline()
    assert line.startswith("listening on"), line
    return process, int(line.split()[-1])


def finish(process: subprocess.Popen) -> list[str]:
    try:
        out, _ = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return out.splitlines()


@pytest.mark.parametrize("transport", [[], ["--tcp"], ["--slip"]])
def test_send_then_dump(transport):
    dump_options = ["--tcp", "--framing", "auto"] if transport else []
    process, port = start_dump("--count", "2", *dump_options)
    assert (
        cli.main(["send", "127.0.0.1", str(port), "/first", "ifs", "1", "2.5", "hello", *transport])
        == 0
    )
    if transport:
        time.sleep(0.2)  # dump serves one connection at a time
    assert cli.main(["send", "127.0.0.1", str(port), "/second", *transport]) == 0
    assert finish(process) == ['/first ifs 1 2.5 "hello"', "/second"]


def test_send_reports_bad_arguments(capsys):
    assert cli.main(["send", "127.0.0.1", "9", "/x", "i", "notanumber"]) == 2
    assert "oscwire send" in capsys.readouterr().err


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.interop
def test_liblo_oscsend_to_oscwire_dump():
    oscsend = shutil.which("oscsend")
    if oscsend is None:
        pytest.skip("liblo-tools (oscsend) not installed")
    process, port = start_dump("--count", "1")
    subprocess.run(
        [oscsend, "127.0.0.1", str(port), "/liblo", "ifsTc", "42", "0.5", "text", "z"],
        check=True,
        timeout=TIMEOUT,
    )
    assert finish(process) == ["/liblo ifsTc 42 0.5 \"text\" True 'z'"]


@pytest.mark.interop
def test_oscwire_send_to_liblo_oscdump():
    oscdump = shutil.which("oscdump")
    if oscdump is None:
        pytest.skip("liblo-tools (oscdump) not installed")
    port = free_udp_port()
    process = subprocess.Popen(
        [oscdump, "-L", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "LANG": "C"},
    )
    try:
        time.sleep(0.5)  # oscdump prints nothing when ready
        assert (
            cli.main(
                [
                    "send",
                    "127.0.0.1",
                    str(port),
                    "/to/liblo",
                    "ihdsc",
                    "-3",
                    "5000000000",
                    "0.25",
                    "hé",
                    "q",
                ]
            )
            == 0
        )
        line = process.stdout.readline().strip()
    finally:
        process.kill()
        process.wait()
    # oscdump prints "<timetag> /to/liblo ihdsc -3 5000000000 0.250000 "hé" 'q'" (liblo 0.31).
    fields = line.split()
    if fields and not fields[0].startswith("/"):
        fields = fields[1:]  # the receive time stamp
    assert fields[:4] == ["/to/liblo", "ihdsc", "-3", "5000000000"]
    assert float(fields[4]) == 0.25
    assert fields[5] == '"hé"'
    assert fields[6].strip("'") == "q"


def test_demo_runs_end_to_end(capsys):
    assert cli.main(["demo", "--count", "500"]) == 0
    out = capsys.readouterr().out
    for channel in (1, 2, 3):
        assert f"(fader {channel} handler) /mixer/channel/*/fader 0.75" in out
    assert "500/500 messages" in out
    late_ms = float(out.split("ran ")[1].split(" ms")[0])
    assert abs(late_ms) < 100


def test_bench_command_prints_every_part(capsys):
    assert cli.main(["bench", "--seconds", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "SLIP encode 64 B" in out
    assert "decode /test/addr ,ifs" in out


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
def test_midi_and_rgba_arguments(text, expected):
    (midi,) = cli.build_message("/m", "m", [text]).arguments
    (rgba,) = cli.build_message("/r", "r", [text]).arguments
    assert tuple(midi) == expected and tuple(rgba) == expected


@pytest.mark.parametrize("text", ["1,2,3", "1,2,3,256", "1ffffffff", "zz"])
def test_bad_midi_argument_is_a_clear_error(text, capsys):
    assert cli.main(["send", "127.0.0.1", "9", "/x", "m", text]) == 2
    assert "oscwire send" in capsys.readouterr().err


@pytest.mark.interop
def test_midi_argument_matches_liblo_oscsend():
    """The same command line gives the same bytes as liblo's oscsend."""
    oscsend = shutil.which("oscsend")
    if oscsend is None:
        pytest.skip("liblo-tools (oscsend) not installed")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(TIMEOUT)
        port = sock.getsockname()[1]
        subprocess.run(
            [oscsend, "127.0.0.1", str(port), "/x", "mi", "90403f00", "7"],
            check=True,
            timeout=TIMEOUT,
        )
        theirs = sock.recv(1024)
        assert cli.main(["send", "127.0.0.1", str(port), "/x", "mi", "90403f00", "7"]) == 0
        assert sock.recv(1024) == theirs
