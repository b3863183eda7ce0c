"""Interop with real OSC programs: SuperCollider's scsynth and Pure Data.

Each peer runs as a child process on loopback ports, is skipped with a reason when it is not
installed (Debian: supercollider-server + jackd2, puredata-core), and is ended by PID.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from oscwire import oscbuildparse
from oscwire.oscbuildparse import OSC_IMMEDIATELY, OSCBundle, OSCMessage

pytestmark = pytest.mark.interop

START_TIMEOUT = 20.0
REPLY_TIMEOUT = 5.0


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A loopback port the OS says is free now (the peer binds it right after)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """End a child we started, by its PID: politely, then firmly."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_for_line(process: subprocess.Popen, needle: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line.rstrip())
        if needle in line:
            return
    raise RuntimeError(f"{needle!r} not seen; output: {seen[-10:]}")


@pytest.fixture(scope="module")
def scsynth() -> Iterator[dict]:
    """A running scsynth (on a private dummy JACK server): its UDP and TCP ports."""
    jackd, scsynth_path = shutil.which("jackd"), shutil.which("scsynth")
    if not jackd or not scsynth_path:
        pytest.skip("scsynth and jackd not installed (Debian supercollider-server, jackd2)")
    server_name = f"oscwire-test-{os.getpid()}"
    environment = {
        **os.environ,
        "JACK_DEFAULT_SERVER": server_name,
        "JACK_NO_AUDIO_RESERVATION": "1",
    }
    jack = subprocess.Popen(
        [jackd, "-n", server_name, "--no-realtime", "-d", "dummy", "-r", "44100", "-p", "256"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment,
    )
    udp_port, tcp_port = free_port(), free_port(socket.SOCK_STREAM)
    synth = None
    try:
        time.sleep(1.0)
        synth = subprocess.Popen(
            [
                scsynth_path,
                "-u",
                str(udp_port),
                "-t",
                str(tcp_port),
                "-B",
                "127.0.0.1",
                "-i",
                "0",
                "-o",
                "2",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        try:
            wait_for_line(synth, "server ready", START_TIMEOUT)
        except RuntimeError as error:
            pytest.skip(f"scsynth did not start here: {error}")
        yield {"udp": udp_port, "tcp": tcp_port}
    finally:
        if synth is not None:
            stop(synth)
        stop(jack)


def udp_exchange(port: int, packet, expect: str, timeout: float = REPLY_TIMEOUT):
    """Send *packet* from a fresh socket and return the first reply whose address is *expect*."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(oscbuildparse.encode_packet(packet), ("127.0.0.1", port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = oscbuildparse.decode_packet(sock.recv(65536))
            if isinstance(reply, OSCMessage) and reply.addrpattern == expect:
                return reply
    raise AssertionError(f"no {expect} reply")


def test_scsynth_status(scsynth):
    reply = udp_exchange(scsynth["udp"], OSCMessage("/status", None, []), "/status.reply")
    # scsynth's documented reply: 1, #ugens, #synths, #groups, #synthdefs, avg cpu, peak cpu,
    # nominal sample rate, actual sample rate.
    assert reply.typetags == ",iiiiiffdd"
    assert reply.arguments[0] == 1
    assert reply.arguments[3] >= 1  # the root group
    assert reply.arguments[7] == 44100.0


def test_scsynth_version(scsynth):
    reply = udp_exchange(scsynth["udp"], OSCMessage("/version", None, []), "/version.reply")
    assert reply.arguments[0] == "scsynth"
    assert reply.arguments[1] >= 3


def test_scsynth_sync_in_nested_bundle(scsynth):
    inner = OSCBundle(OSC_IMMEDIATELY, [OSCMessage("/sync", ",i", [4242])])
    reply = udp_exchange(scsynth["udp"], OSCBundle(OSC_IMMEDIATELY, [inner]), "/synced")
    assert reply.arguments == (4242,)


def test_scsynth_group_tree(scsynth):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(
            oscbuildparse.encode_packet(OSCMessage("/g_new", ",iii", [7001, 0, 0])),
            ("127.0.0.1", scsynth["udp"]),
        )
    reply = udp_exchange(
        scsynth["udp"], OSCMessage("/g_queryTree", ",ii", [0, 0]), "/g_queryTree.reply"
    )
    assert 7001 in reply.arguments


PD_ECHO_PATCH = """#N canvas 0 0 450 300 12;
#X obj 10 10 netreceive -u -b {listen};
#X obj 10 40 oscparse;
#X obj 10 70 list trim;
#X obj 10 100 route ping;
#X obj 10 130 oscformat pong;
#X obj 10 160 list prepend send;
#X obj 10 190 list trim;
#X obj 10 220 netsend -u -b;
#X obj 200 10 loadbang;
#X msg 200 40 connect 127.0.0.1 {reply};
#X connect 0 0 1 0;
#X connect 1 0 2 0;
#X connect 2 0 3 0;
#X connect 3 0 4 0;
#X connect 4 0 5 0;
#X connect 5 0 6 0;
#X connect 6 0 7 0;
#X connect 8 0 9 0;
#X connect 9 0 7 0;
"""


@pytest.fixture(scope="module")
def pd_echo(tmp_path_factory) -> Iterator[tuple[int, socket.socket]]:
    """Pure Data running a patch that answers /ping ARGS... with /pong ARGS... (oscparse/oscformat)."""
    pd = shutil.which("pd")
    if pd is None:
        pytest.skip("Pure Data not installed (Debian puredata-core)")
    replies = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    replies.bind(("127.0.0.1", 0))
    replies.settimeout(REPLY_TIMEOUT)
    listen = free_port()
    patch = tmp_path_factory.mktemp("pd") / "echo.pd"
    patch.write_text(PD_ECHO_PATCH.format(listen=listen, reply=replies.getsockname()[1]))
    process = subprocess.Popen(
        [pd, "-nogui", "-noaudio", "-nomidi", "-nrt", "-open", str(Path(patch))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Pd gives no ready signal: ping until the patch answers.
        deadline = time.monotonic() + START_TIMEOUT
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            replies.settimeout(0.3)
            while True:
                sender.sendto(
                    oscbuildparse.encode_packet(OSCMessage("/ping", None, [0])),
                    ("127.0.0.1", listen),
                )
                try:
                    replies.recv(65536)
                    break
                except socket.timeout:
                    if time.monotonic() > deadline or process.poll() is not None:
                        pytest.skip("Pure Data did not start here")
        # Pings sent while Pd was starting may still be answered: drain those answers.
        replies.settimeout(0.5)
        while True:
            try:
                replies.recv(65536)
            except socket.timeout:
                break
        replies.settimeout(REPLY_TIMEOUT)
        yield listen, replies
    finally:
        stop(process)
        replies.close()


def test_pd_round_trip(pd_echo):
    listen, replies = pd_echo
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(
            oscbuildparse.encode_packet(OSCMessage("/ping", None, [0.25, "symbol", 7, -1.5])),
            ("127.0.0.1", listen),
        )
    reply = oscbuildparse.decode_packet(replies.recv(65536))
    # Pd's atoms are floats and symbols: ints come back as floats.
    assert reply.addrpattern == "/pong"
    assert reply.typetags == ",fsff"
    assert reply.arguments == (0.25, "symbol", 7.0, -1.5)
