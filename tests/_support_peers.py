"""Real OSC peer programs for interop tests: scsynth on a private dummy JACK server.

Used by ``test_interop_peers.py`` (UDP) and ``test_osctcp_interop.py`` (TCP). Skips with a
reason when the programs are missing (Debian supercollider-server, jackd2) and ends
exactly the processes it started, by PID.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest

#: One fixed JACK server name: an entry left by a crashed run is reclaimed by the next run
#: instead of using up one of JACK's few server slots.
JACK_SERVER_NAME = "oscwire-tests"
READY_TIMEOUT = 20.0
QUIT_MESSAGE = b"/quit\0\0\0,\0\0\0"


def _read_shared(logs: typing.IO[str]) -> str:
    """What the children wrote to *logs*, read without moving the file offset they share
    with us (a seek there would make their next write land over earlier lines)."""
    return os.pread(logs.fileno(), 1 << 20, 0).decode(errors="replace")


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A loopback port the OS says is free now (the peer binds it right after)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen, timeout: float = 5.0) -> None:
    """End a child we started, by its PID: politely, then firmly."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _quit(process: subprocess.Popen, udp_port: int) -> None:
    """Ask scsynth to quit: it then leaves JACK and frees its shared memory cleanly."""
    if process.poll() is not None:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(QUIT_MESSAGE, ("127.0.0.1", udp_port))
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@contextmanager
def running_scsynth() -> Iterator[dict[str, int]]:
    """Start jackd (dummy driver) and scsynth; yield ``{"udp": port, "tcp": port}``."""
    jackd, scsynth = shutil.which("jackd"), shutil.which("scsynth")
    if jackd is None or scsynth is None:
        pytest.skip("scsynth and jackd not installed (Debian supercollider-server, jackd2)")
    environment = dict(
        os.environ, JACK_DEFAULT_SERVER=JACK_SERVER_NAME, JACK_NO_AUDIO_RESERVATION="1"
    )
    with tempfile.TemporaryFile("w+") as logs:
        jack = subprocess.Popen(
            [
                jackd,
                "-n",
                JACK_SERVER_NAME,
                "--no-realtime",
                "-d",
                "dummy",
                "-r",
                "44100",
                "-p",
                "256",
            ],
            stdout=logs,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        synth = None
        ports = {"udp": free_port(), "tcp": free_port(socket.SOCK_STREAM)}
        try:
            time.sleep(0.5)
            if jack.poll() is not None:
                pytest.skip(f"jackd did not start: {_read_shared(logs)[-500:]}")
            synth = subprocess.Popen(
                [
                    scsynth,
                    "-u",
                    str(ports["udp"]),
                    "-t",
                    str(ports["tcp"]),
                    "-B",
                    "127.0.0.1",
                    "-R",
                    "0",
                    "-i",
                    "0",
                    "-o",
                    "2",
                ],
                stdout=logs,
                stderr=subprocess.STDOUT,
                env=environment,
            )
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                output = _read_shared(logs)
                if "server ready" in output:
                    break
                if synth.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"scsynth did not start here: {output[-500:]}")
                time.sleep(0.1)
            yield ports
        finally:
            if synth is not None:
                _quit(synth, ports["udp"])
                stop(synth)
            # After a clean /quit jackd stops at once; after a killed client it waits a while.
            stop(jack, timeout=15.0)
