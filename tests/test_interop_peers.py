"""Interop with real OSC programs: SuperCollider's scsynth and Pure Data.

Each peer runs as a child process on loopback ports, is skipped with a reason when it is not
installed (Debian: supercollider-server + jackd2, puredata-core), and is ended by PID.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from _support import pump
from _support_peers import free_port, running_scsynth, stop
from oscwire import oscbuildparse
from oscwire.oscbuildparse import OSC_IMMEDIATELY, OSCBundle, OSCMessage

pytestmark = pytest.mark.interop

START_TIMEOUT = 20.0
REPLY_TIMEOUT = 5.0


@pytest.fixture(scope="module")
def scsynth() -> Iterator[dict]:
    """A running scsynth: its UDP and TCP ports."""
    with running_scsynth() as ports:
        yield ports


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


@pytest.mark.parametrize("policy", ["eventloop", "comthreads", "allthreads"])
def test_scsynth_through_the_runtime(scsynth, policy):
    """The osc4py3-style API talking to scsynth: requests out, replies to the client's socket."""
    import importlib

    from oscwire.oscmethod import OSCARG_ADDRESS, OSCARG_DATA

    facade = importlib.import_module(f"oscwire.as_{policy}")
    facade.osc_startup()
    try:
        replies: list = []
        facade.osc_method(
            "/*.reply",
            lambda address, data: replies.append((address, data)),
            argscheme=OSCARG_ADDRESS + OSCARG_DATA,
        )
        facade.osc_method(
            "/synced",
            lambda address, data: replies.append((address, data)),
            argscheme=OSCARG_ADDRESS + OSCARG_DATA,
        )
        facade.osc_udp_client("127.0.0.1", scsynth["udp"], "scsynth")
        facade.osc_send(OSCMessage("/status", None, []), "scsynth")
        facade.osc_send(OSCBundle(OSC_IMMEDIATELY, [OSCMessage("/sync", ",i", [99])]), "scsynth")
        pump(facade.osc_process, lambda: len(replies) >= 2, timeout=REPLY_TIMEOUT)
        by_address = dict(replies)
        assert by_address["/status.reply"][0] == 1
        assert by_address["/synced"] == (99,)
    finally:
        facade.osc_terminate()
