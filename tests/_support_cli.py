"""The ``oscwire`` command and liblo's ``oscsend``/``oscdump`` as child processes.

Children run with logging unconfigured (a plain ``python -m oscwire``) and the C locale
(liblo prints floats with ``printf``, whose decimal point follows ``LC_NUMERIC``). Every
child is ended by its PID when the test is done; ports are chosen by the OS.
"""

from __future__ import annotations

import errno
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Optional, TypeVar

import pytest

TIMEOUT = 20.0
OSCWIRE = (sys.executable, "-m", "oscwire")
_LISTENING = re.compile(r"^oscwire dump: listening on (\S+?):(\d+)/ \((udp|tcp)\)$")


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child: ours, in the C locale, without oscwire debug switches."""
    env = {k: v for k, v in os.environ.items() if k != "OSCWIRE_DEBUG"}
    env.update(LC_ALL="C", LANG="C", **extra)
    return env


def liblo_tool(name: str) -> str:
    """The path of a liblo tool, or a skip saying it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"liblo-tools ({name}) not installed")
    return path


@dataclass(frozen=True)
class Result:
    """What a finished child did: exit status, stdout bytes, stderr text."""

    returncode: int
    stdout: bytes
    stderr: str


def _run(argv: Sequence[str], timeout: float, env: dict[str, str]) -> Result:
    process = subprocess.run(list(argv), capture_output=True, timeout=timeout, env=env)
    return Result(process.returncode, process.stdout, process.stderr.decode("utf-8", "replace"))


def run_oscwire(
    *args: str, timeout: float = TIMEOUT, env: Optional[dict[str, str]] = None
) -> Result:
    """Run ``oscwire ARGS`` to the end (*env*: extra environment variables)."""
    return _run([*OSCWIRE, *args], timeout, child_env(**(env or {})))


def run_oscsend(*args: str) -> Result:
    """Run liblo's ``oscsend ARGS`` to the end."""
    return _run([liblo_tool("oscsend"), *args], TIMEOUT, child_env())


def stderr_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_one_line_error(result: Result, status: int, *fragments: str) -> str:
    """The command failed with *status* and said why in exactly one line, no traceback;
    return that line."""
    lines = stderr_lines(result.stderr)
    assert result.returncode == status, (result.returncode, result.stderr)
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


class LineReader:
    """Reads a child's stream in a thread, so that tests can wait for a line with a timeout."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._queue: queue.Queue[Optional[bytes]] = queue.Queue()
        self._peeked: list[Optional[bytes]] = []
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[bytes]) -> None:
        for line in iter(stream.readline, b""):
            self._queue.put(line)
        self._queue.put(None)

    def _next(self, timeout: float) -> Optional[bytes]:
        if self._peeked:
            return self._peeked.pop()
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no line within {timeout} s")

    def line(self, timeout: float = TIMEOUT) -> bytes:
        """The next line; fails after *timeout*, or if the stream ends first."""
        line = self._next(timeout)
        if line is None:
            pytest.fail("the stream ended instead of giving a line")
        return line

    def ready(self, wait: float) -> bool:
        """True when a line (or the end) arrives within *wait* seconds (it is kept)."""
        if self._peeked:
            return True
        try:
            self._peeked.append(self._queue.get(timeout=wait))
        except queue.Empty:
            return False
        return True

    def rest(self, timeout: float = TIMEOUT) -> list[bytes]:
        """Every line until the end of the stream."""
        lines: list[bytes] = []
        deadline = time.monotonic() + timeout
        while True:
            line = self._next(max(0.1, deadline - time.monotonic()))
            if line is None:
                return lines
            lines.append(line)


ChildT = TypeVar("ChildT", bound="Child")


class Child:
    """A child process we started, ended by its PID (SIGKILL if it outlives the test)."""

    def __init__(self, argv: Sequence[str], **env: str) -> None:
        self.process = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(**env),
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self.stdout = LineReader(self.process.stdout)
        self.stderr = LineReader(self.process.stderr)

    def signal(self, number: int = signal.SIGINT) -> int:
        """Send *number* to the child and wait for its end; return its exit status."""
        self.process.send_signal(number)
        return self.process.wait(timeout=TIMEOUT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)

    def __enter__(self: ChildT) -> ChildT:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


class OscwireDump(Child):
    """``oscwire dump ARGS``, with the port it listens on read from its first stderr line."""

    def __init__(self, *args: str, **env: str) -> None:
        super().__init__([*OSCWIRE, "dump", *args], **env)
        line = self.stderr.line()
        match = _LISTENING.match(line.decode().rstrip("\n"))
        assert match, line
        self.host = match.group(1).split("://", 1)[1].strip("[]")
        self.port = int(match.group(2))

    def stop(self, number: int = signal.SIGINT) -> tuple[int, list[bytes], list[str]]:
        """Stop it with *number*: ``(exit status, stdout lines, stderr lines)``."""
        status = self.signal(number)
        out = self.stdout.rest()
        err = [line.decode().rstrip("\n") for line in self.stderr.rest()]
        return status, out, err


def wait_bound(port: int, kind: int, timeout: float = TIMEOUT) -> None:
    """Wait until something (a liblo tool, which says nothing when ready) holds *port*."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return
                raise
        time.sleep(0.02)
    pytest.fail(f"nothing bound port {port} within {timeout} s")


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A loopback port the OS says is free now."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Oscdump(Child):
    """liblo's ``oscdump ARGS`` listening on a free port (``-L``: line buffered)."""

    def __init__(self, *args: str, tcp: bool = False) -> None:
        kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
        self.port = free_port(kind)
        where = f"osc.tcp://:{self.port}" if tcp else str(self.port)
        super().__init__([liblo_tool("oscdump"), *args, where])
        wait_bound(self.port, kind)

    def stop(self, number: int = signal.SIGINT) -> tuple[int, list[bytes], list[str]]:
        status = self.signal(number)
        out = self.stdout.rest()
        err = [line.decode(errors="replace").rstrip("\n") for line in self.stderr.rest()]
        return status, out, err


def ipv6_loopback() -> bool:
    """True when ::1 can be bound here."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True
