"""Shared workload of the TCP benchmarks: one connection, N small messages, one framing.

A sender thread pushes a pre-framed stream with one ``sendall`` (the kernel copy runs
without the GIL); the receiver under test reads, cuts, decodes and dispatches every
message to a no-op handler. The rate is messages per second from the first byte sent to
the last message dispatched.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Any, Callable

from oscwire._policies import AllThreadsPolicy
from oscwire._runtime import OSCSystem
from oscwire.osctcp import TcpChannel

MESSAGES = 100_000
ADDRESS = "/bench/n"


def _osc_string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return raw + b"\0" * (-len(raw) % 4)


def message(value: int) -> bytes:
    """``/bench/n ,i value``, encoded by hand (20 bytes)."""
    return _osc_string(ADDRESS) + _osc_string(",i") + struct.pack(">i", value)


def frame(packet: bytes, framing: str) -> bytes:
    """Size prefix (OSC 1.0) or double-END SLIP with RFC 1055 escapes (OSC 1.1)."""
    if framing == "size":
        return struct.pack(">I", len(packet)) + packet
    escaped = packet.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")
    return b"\xc0" + escaped + b"\xc0"


def stream(framing: str, count: int = MESSAGES) -> bytes:
    """*count* framed messages, values 0..count-1."""
    return b"".join(frame(message(i), framing) for i in range(count))


def send_in_thread(sock: socket.socket, data: bytes) -> threading.Thread:
    """Start a thread that sends *data* on *sock*; return it (join it after)."""
    thread = threading.Thread(target=sock.sendall, args=(data,), daemon=True)
    thread.start()
    return thread


class OscwireReceiver:
    """An oscwire system with a TCP server and one connected raw sender.

    *execthreadscount* 0 (the default here) runs the handlers in the thread that decodes;
    the façades' all-threads policy starts 10 handler threads (``osc_startup()``'s default).
    """

    def __init__(self, framing: str, policy: str = "eventloop", execthreadscount: int = 0) -> None:
        self.system = OSCSystem(policy, execthreadscount=execthreadscount).start()
        self.system.method(ADDRESS, _noop, patternkind="spec")
        self.server = TcpChannel(
            "bench",
            "e",
            {
                "tcp_host": "127.0.0.1",
                "tcp_port": 0,
                "tcp_framing": framing,
                "osc_system": self.system,
            },
        )
        self.sock = socket.create_connection(("127.0.0.1", self.server.bound_port))
        deadline = time.monotonic() + 5
        while not self.server.connections() and time.monotonic() < deadline:
            self.system.process(0.01)
        assert self.server.connections(), "no connection"
        self.data = stream(framing)

    def run(self, count: int = MESSAGES, timeout: float = 60.0) -> float:
        """Send and wait for *count* dispatched messages; return the elapsed seconds."""
        stats = self.system.dispatcher.stats
        target = stats.calls + count
        process = self.system.process
        # The event loop reads in the caller's thread, comthreads runs the handlers there.
        eventloop = not isinstance(self.system.policy, AllThreadsPolicy)
        start = time.perf_counter()
        sender = send_in_thread(self.sock, self.data)
        deadline = time.monotonic() + timeout
        while stats.calls < target:
            if eventloop:
                process(0.01)
            else:
                time.sleep(0.0005)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{target - stats.calls} messages missing")
        elapsed = time.perf_counter() - start
        sender.join()
        return elapsed

    def close(self) -> None:
        self.sock.close()
        self.system.terminate()


def _noop(*args: Any) -> None:
    pass


class PythonOscReceiver:
    """python-osc's ThreadingOSCTCPServer in mode 1.0 (size) or 1.1 (SLIP)."""

    def __init__(self, framing: str) -> None:
        from pythonosc.dispatcher import Dispatcher
        from pythonosc.osc_tcp_server import ThreadingOSCTCPServer

        self.count = 0
        self.target = 0
        self.done = threading.Event()
        dispatcher = Dispatcher()
        dispatcher.map(ADDRESS, self._handler)
        mode = "1.0" if framing == "size" else "1.1"
        self.server = ThreadingOSCTCPServer(("127.0.0.1", 0), dispatcher, mode)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.sock = socket.create_connection(self.server.server_address)
        self.data = stream(framing)

    def _handler(self, address: str, *args: Any) -> None:
        self.count += 1
        if self.count >= self.target:
            self.done.set()

    def run(self, count: int = MESSAGES, timeout: float = 120.0) -> float:
        self.done.clear()
        self.target = self.count + count
        start = time.perf_counter()
        sender = send_in_thread(self.sock, self.data)
        if not self.done.wait(timeout):
            raise TimeoutError(f"{self.target - self.count} messages missing")
        elapsed = time.perf_counter() - start
        sender.join()
        return elapsed

    def close(self) -> None:
        self.sock.close()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(2)


RECEIVERS: dict[str, Callable[[str], Any]] = {
    "oscwire": OscwireReceiver,
    "python-osc": PythonOscReceiver,
}
