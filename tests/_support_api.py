"""Helpers for the tests of the object API (``oscwire.Client`` / ``oscwire.Server``).

:func:`twin` is a fixture (import it into a test module) that runs each test once with
the compiled twins and once with the pure ones (ids ``[cython]`` / ``[python]``): it points
every module of the runtime that holds a twin's function (codec, matcher, datagram I/O,
framing) at the chosen twin, and checks that it did. Its compiled cases are deselected
like those of the twin fixtures (``_twins.py``).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from _support import poll
from _twins import IMPLEMENTATIONS, load
from oscwire import (
    _message_encoding,
    client,
    oscbuildparse,
    oscchannel,
    oscdispatching,
    oscmethod,
    oscstream,
    oscudpmc,
)


@pytest.fixture(params=IMPLEMENTATIONS)
def twin(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test on the compiled twins, then on the pure ones; yields the name."""
    implementation: str = request.param
    codec = load("codec", implementation)
    matcher = load("matcher", implementation)
    netio = load("netio", implementation)
    framing = load("framing", implementation)
    # Codec: the public module, the dispatcher's decode, the API's encode.
    monkeypatch.setattr(oscbuildparse, "encode_packet", codec.encode_packet)
    monkeypatch.setattr(oscbuildparse, "decode_packet", codec.decode_packet)
    monkeypatch.setattr(oscdispatching, "decode_packet", codec.decode_packet)
    direct = getattr(codec, "encode_message", None)
    if direct is not None:
        monkeypatch.setattr(_message_encoding, "encode_message", direct)
        monkeypatch.setattr(client, "encode_message", direct)
    # Matcher: what the method filters, the index and the dispatcher call.
    oscmethod.compile_pattern.cache_clear()
    monkeypatch.setattr(oscmethod, "_impl", matcher)
    for name in ("has_wildcards", "call_methods_failures", "call_flat_failures"):
        monkeypatch.setattr(oscmethod, name, getattr(matcher, name))
    # Datagram I/O and stream framing.
    for name in ("recv_batch", "send_batch", "RecvBuffers", "SYSCALL_BATCH"):
        monkeypatch.setattr(oscudpmc, name, getattr(netio, name))
    monkeypatch.setattr(oscchannel, "framing", framing)
    monkeypatch.setattr(oscstream, "framing", framing)
    suffix = "_c" if implementation == "cython" else "_py"
    for function in (
        oscdispatching.decode_packet,  # type: ignore[attr-defined]
        oscbuildparse.encode_packet,
        oscmethod.call_flat_failures,
        oscudpmc.recv_batch,  # type: ignore[attr-defined]
    ):
        assert function.__module__.endswith(suffix), (function, implementation)
    yield implementation
    oscmethod.compile_pattern.cache_clear()


class Calls:
    """A thread-safe record of handler calls, with a way to wait for a number of them."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._lock = threading.Lock()

    def add(self, item: Any) -> None:
        with self._lock:
            self.items.append(item)

    def wait(self, count: int, timeout: float = 5.0) -> list[Any]:
        """The calls, once there are *count* of them (fails the test after *timeout*)."""
        assert poll(None, lambda: len(self.items) >= count, timeout), (
            f"{len(self.items)} calls of {count} arrived: {self.items!r}"
        )
        return list(self.items)


def udp_listener(host: str = "127.0.0.1") -> socket.socket:
    """A plain bound UDP socket with a 5 s timeout, to read what a client sends."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.settimeout(5.0)
    return sock


def comm_threads() -> list[threading.Thread]:
    """The live communication threads of oscwire systems."""
    return [thread for thread in threading.enumerate() if thread.name == "oscwire-comm"]


def ipv6_loopback() -> bool:
    """True when ::1 can be bound here."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True
