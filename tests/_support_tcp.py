"""Helpers for the TCP tests: hand-made OSC packets and frames, peers, channels.

Systems and bounded waiting are in ``_support.py`` (the ``system`` fixture, ``pump``).

The packets and frames here are built by hand from the OSC 1.0 / 1.1 specifications
(padding, big-endian sizes, RFC 1055 escapes), not with oscwire's codec or framing, so that
tests compare oscwire against an independent encoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import struct
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Iterator
from typing import Any, Callable

from _support import pump
from oscwire._asyncio_runtime import AsyncioSystem
from oscwire._runtime import OSCSystem
from oscwire.osctcp import TcpChannel, TcpClient, TcpListener

END = 0xC0
ESC = 0xDB


def osc_string(text: str) -> bytes:
    """An OSC string: the bytes, a NUL, then NULs up to a multiple of 4."""
    raw = text.encode() + b"\0"
    return raw + b"\0" * (-len(raw) % 4)


def osc_int_message(address: str, *values: int) -> bytes:
    """An OSC message with int32 arguments, encoded by hand."""
    return (
        osc_string(address)
        + osc_string("," + "i" * len(values))
        + b"".join(struct.pack(">i", v) for v in values)
    )


def osc_blob_message(address: str, blob: bytes) -> bytes:
    """An OSC message with one blob argument, encoded by hand."""
    return (
        osc_string(address)
        + osc_string(",b")
        + struct.pack(">i", len(blob))
        + blob
        + b"\0" * (-len(blob) % 4)
    )


def frame_size(packet: bytes) -> bytes:
    """OSC 1.0 stream framing: 4-byte big-endian size, then the packet."""
    return struct.pack(">I", len(packet)) + packet


def frame_slip(packet: bytes) -> bytes:
    """OSC 1.1 stream framing: END, the packet with END/ESC escaped (RFC 1055), END."""
    out = bytearray([END])
    for byte in packet:
        if byte == END:
            out += bytes([ESC, 0xDC])
        elif byte == ESC:
            out += bytes([ESC, 0xDD])
        else:
            out.append(byte)
    out.append(END)
    return bytes(out)


FRAMERS: dict[str, Callable[[bytes], bytes]] = {"size": frame_size, "slip": frame_slip}


def unframe_size(data: bytes) -> list[bytes]:
    """Split a complete size-framed stream into its packets (test oracle)."""
    packets = []
    pos = 0
    while pos + 4 <= len(data):
        (size,) = struct.unpack_from(">I", data, pos)
        packets.append(data[pos + 4 : pos + 4 + size])
        pos += 4 + size
    assert pos == len(data), "trailing partial packet"
    return packets


def unframe_slip(data: bytes) -> list[bytes]:
    """Split a complete SLIP stream into its unescaped packets (test oracle)."""
    packets = []
    for frame in data.split(bytes([END])):
        if frame:
            packets.append(frame.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb"))
    return packets


def run_coroutine(system: OSCSystem, coroutine: Awaitable[Any], timeout: float = 10.0) -> Any:
    """Run *coroutine* in the loop of an asyncio *system* (what must run in the loop)."""
    assert isinstance(system, AsyncioSystem) and system.loop is not None
    return asyncio.run_coroutine_threadsafe(coroutine, system.loop).result(timeout)  # type: ignore[arg-type]


@contextlib.contextmanager
def traced_memory() -> Iterator[Callable[[], tuple[int, int]]]:
    """Trace Python allocations; yields ``measure() -> (current, peak)`` in bytes, relative
    to the start (peak since the start)."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()

    def measure() -> tuple[int, int]:
        current, peak = tracemalloc.get_traced_memory()
        return current - base, peak - base

    try:
        yield measure
    finally:
        if started:
            tracemalloc.stop()


class FakeResolver:
    """Stands in for :func:`socket.getaddrinfo` for names ending in ``.oscwire-test``:
    each resolves to the loopback address set in :attr:`addresses` (a missing name fails
    like an unknown host); every other name goes to the real resolver. Counts lookups."""

    SUFFIX = ".oscwire-test"

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.addresses: dict[str, str] = {}
        self.lookups: dict[str, int] = {}

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not (isinstance(host, str) and host.endswith(self.SUFFIX)):
            return self.real(host, port, *args, **kwargs)
        self.lookups[host] = self.lookups.get(host, 0) + 1
        address = self.addresses.get(host)
        if address is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.real(address, port, *args, **kwargs)


class Recorder:
    """A handler that records its arguments, thread-safely."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.lock = threading.Lock()

    def __call__(self, *args: Any) -> None:
        with self.lock:
            self.calls.append(args)

    def __len__(self) -> int:
        return len(self.calls)


def server(
    system: OSCSystem, name: str = "srv", framing: str = "size", **options: Any
) -> TcpListener:
    """A TCP server channel on 127.0.0.1, OS-chosen port (made by osc4py3's factory)."""
    opts = {"tcp_host": "127.0.0.1", "tcp_port": 0, "tcp_framing": framing, "osc_system": system}
    opts.update(options)
    channel = TcpChannel(name, "e", opts)
    assert isinstance(channel, TcpListener)
    return channel


def client(
    system: OSCSystem,
    port: int | None,
    name: str = "cli",
    framing: str = "size",
    **options: Any,
) -> TcpClient:
    """A TCP client channel to 127.0.0.1:*port* (made by osc4py3's factory)."""
    assert port is not None
    opts = {"tcp_host": "127.0.0.1", "tcp_port": port, "tcp_framing": framing, "osc_system": system}
    opts.update(options)
    channel = TcpChannel(name, "w", opts)
    assert isinstance(channel, TcpClient)
    return channel


def raw_client(port: int | None, host: str = "127.0.0.1", timeout: float = 5.0) -> socket.socket:
    """A plain connected TCP socket (to a port read from ``bound_port``)."""
    assert port is not None
    return socket.create_connection((host, port), timeout=timeout)


def wait_closed(sock: socket.socket, timeout: float = 5.0) -> str:
    """Read and discard until the peer closes; ``"closed"``, ``"reset"`` or ``"open"``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            continue
        try:
            if not sock.recv(65536):
                return "closed"
        except ConnectionResetError:
            return "reset"
        except OSError:
            return "reset"
    return "open"


def serve_and_read(system: OSCSystem, sock: socket.socket, size: int) -> bytes:
    """Serve *system* until *size* bytes (or more) arrived on *sock*; what arrived."""
    got = bytearray()

    def read_ready() -> bool:
        if select.select([sock], [], [], 0)[0]:
            got.extend(sock.recv(4096))
        return len(got) >= size

    pump(system, read_ready, what=f"{size} bytes on the socket")
    return bytes(got)


def recv_exactly(sock: socket.socket, count: int, timeout: float = 5.0) -> bytes:
    """Read *count* bytes (or fail after *timeout*)."""
    sock.settimeout(timeout)
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} of {count} bytes")
        data += chunk
    return bytes(data)


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (for programs that cannot take port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
