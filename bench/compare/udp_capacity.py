"""UDP receive capacity, losses and client send rate: oscwire against its peers, one run.

Two processes per measurement: a receiver (an OSC server from one library, with a
handler that counts) and a raw sender that blasts the same datagram
(``/test/addr ,ifs 1 2.5 "hello"``) at it. Run::

    python bench/compare/udp_capacity.py              # everything, 2 s runs, 3 rounds (a few minutes)
    python bench/compare/udp_capacity.py --quick      # 1 s runs, 1 round
    python bench/compare/udp_capacity.py --json PATH  # also every round and the run's metadata

Tables printed:

* **capacity** — the sender blasts for ``--seconds`` (``sendmmsg`` through ctypes on
  Linux, the fastest a Python process can send); the receiver counts what its handler
  got. ``msgs/s`` is handled / (last - first arrival), the median over ``--rounds``
  rounds run interleaved (the machine's load moves between rounds, so each receiver meets
  the same conditions); ``best`` is the best round; ``per CPU-s`` is handled / CPU time
  the receiver process used meanwhile (all its threads), which does not depend on how
  fast the sender is. ``raw recvfrom`` is a plain Python ``recvfrom`` loop without
  decoding: the ceiling of pure-Python reading. When a receiver keeps up, its rate is
  the sender's: compare with the ``sent`` column.
* **paced** — 100 000 msgs/s for ``--seconds``: how many were lost.
* **send** — messages per second a client sends (encode + send) in one process to a
  socket that nobody reads, each variant measured ``--rounds`` times interleaved (best
  shown): oscwire one ``osc_send`` at a time, and inside ``batched_sends()`` (queued,
  handed to ``sendmmsg`` 256 at a time); the raw ceilings of ``sendto`` and of
  ``sendmmsg`` (oscwire's compiled ``send_batch``) for pre-encoded datagrams; the peers.

``oscwire as_eventloop (pure)`` is the event loop receiver on oscwire's pure twins: its
processes run with ``OSCWIRE_NO_EXTENSIONS=1``.

Libraries that are not installed are skipped. Numbers are ratios measured side by side;
run on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import multiprocessing as mp
import os
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# _results imports oscwire only when called: the receiver processes import it themselves,
# after choosing the twin (PURE_RECEIVERS).
from _results import Results, add_json_option, library_of

ADDRESS = "/test/addr"
ARGS = (1, 2.5, "hello")
IDLE_END = 0.5  # the receiver stops after this long without traffic


def datagram() -> bytes:
    from oscwire.oscbuildparse import OSCMessage, encode_packet

    return bytes(encode_packet(OSCMessage(ADDRESS, ",ifs", list(ARGS))))


# ------------------------------------------------------------------------------ senders
class _IOVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class _MsgHdr(ctypes.Structure):
    _fields_ = [
        ("msg_name", ctypes.c_void_p),
        ("msg_namelen", ctypes.c_uint32),
        ("msg_iov", ctypes.POINTER(_IOVec)),
        ("msg_iovlen", ctypes.c_size_t),
        ("msg_control", ctypes.c_void_p),
        ("msg_controllen", ctypes.c_size_t),
        ("msg_flags", ctypes.c_int),
    ]


class _MMsgHdr(ctypes.Structure):
    _fields_ = [("msg_hdr", _MsgHdr), ("msg_len", ctypes.c_uint)]


def _make_batch_sender(sock: socket.socket, payload: bytes, batch: int) -> Callable[[], int]:
    """A function sending *batch* copies of *payload* on a connected socket; returns count."""
    libc_name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(libc_name, use_errno=True) if libc_name else None
    if sys.platform.startswith("linux") and libc is not None and hasattr(libc, "sendmmsg"):
        buf = ctypes.create_string_buffer(payload, len(payload))
        iov = _IOVec(ctypes.cast(buf, ctypes.c_void_p), len(payload))
        msgs = (_MMsgHdr * batch)()
        for m in msgs:
            m.msg_hdr.msg_iov = ctypes.pointer(iov)
            m.msg_hdr.msg_iovlen = 1
        sendmmsg = libc.sendmmsg
        sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
        fd = sock.fileno()
        keep = (buf, iov, msgs)

        def send_batch() -> int:
            sent = sendmmsg(fd, msgs, batch, 0)
            _ = keep
            return max(sent, 0)

        return send_batch
    send = sock.send

    def send_loop() -> int:
        done = 0
        for _ in range(batch):
            try:
                send(payload)
                done += 1
            except OSError:
                break
        return done

    return send_loop


def blast(port: int, seconds: float, rate: float, result: Any) -> None:
    """Sender process: send as fast as possible (rate 0) or paced at *rate* msgs/s."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.connect(("127.0.0.1", port))
    payload = datagram()
    batch = 64 if rate else 256
    send_batch = _make_batch_sender(sock, payload, batch)
    sent = 0
    start = time.perf_counter()
    end = start + seconds
    if rate:
        # Bursts of `batch` every batch/rate seconds, on an absolute schedule.
        period = batch / rate
        next_at = start
        while True:
            now = time.perf_counter()
            if now >= end:
                break
            if now < next_at:
                time.sleep(min(next_at - now, 0.001))
                continue
            sent += send_batch()
            next_at += period
    else:
        while time.perf_counter() < end:
            sent += send_batch()
    result.value = sent
    sock.close()


# ---------------------------------------------------------------------------- receivers
class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.cpu_first = 0.0

    def hit(self, *args: Any) -> None:
        now = time.perf_counter()
        if not self.count:
            self.first = now
            self.cpu_first = time.process_time()
        self.count += 1
        self.last = now

    def idle(self) -> bool:
        return self.count > 0 and time.perf_counter() - self.last > IDLE_END

    def result(self, *extra: Any) -> tuple:
        # CPU time from the first message to now: the idle tail waits in select(), ~0 CPU.
        cpu = time.process_time() - self.cpu_first if self.count else 0.0
        return (self.count, self.first, self.last, cpu, *extra)


def _big_rcvbuf(fd: int) -> None:
    # The same 4 MiB receive buffer for every library (oscwire asks for it by default).
    sock = socket.socket(fileno=os.dup(fd))
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    finally:
        sock.close()


class Receiver:
    """One library's OSC server counting ``/test/addr`` messages, driven step by step."""

    def __init__(self) -> None:
        self.counter = Counter()
        self.port = 0

    def pump(self, timeout: float) -> None:
        """Serve for up to *timeout* seconds (one step of the library's own loop)."""
        raise NotImplementedError

    def hold(self) -> None:
        """Stop reading the socket (receivers that read in a thread of their own)."""

    def release(self) -> None:
        """Read the socket again."""

    def close(self) -> Any:
        """Stop; return the kernel drop count when known."""
        return None


class RawReceiver(Receiver):
    def __init__(self) -> None:
        super().__init__()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def pump(self, timeout: float) -> None:
        self.sock.settimeout(timeout)
        recvfrom = self.sock.recvfrom
        hit = self.counter.hit
        try:
            while True:
                recvfrom(65536)
                hit()
                self.sock.settimeout(0)
        except OSError:  # timeout or would block
            pass


class OscwireReceiver(Receiver):
    def __init__(self, policy: str) -> None:
        super().__init__()
        import importlib

        self.facade = facade = importlib.import_module(f"oscwire.as_{policy}")
        lock = threading.Lock()
        counter = self.counter

        def locked_hit(*args: Any) -> None:
            with lock:
                counter.hit()

        facade.osc_startup(execthreadscount=2)
        # Handlers of the thread pool may run in two threads at once: count under a lock.
        facade.osc_method(ADDRESS, locked_hit if policy == "allthreads" else counter.hit)
        self.channel = facade.osc_udp_server("127.0.0.1", 0, "srv")
        self.port = self.channel.bound_port

    def pump(self, timeout: float) -> None:
        self.facade.osc_process(timeout)

    def hold(self) -> None:
        self.channel.end_scheduling()

    def release(self) -> None:
        self.channel.begin_scheduling()

    def close(self) -> Any:
        drops = self.facade.osc_stats("srv").get("kernel_drops")
        self.facade.osc_terminate()
        return drops


class AsyncioReceiver(OscwireReceiver):
    """oscwire.as_asyncio on a loop (asyncio's or uvloop's) run for each pump()."""

    def __init__(self, kind: str) -> None:
        Receiver.__init__(self)
        import asyncio

        from oscwire import as_asyncio

        if kind == "uvloop":
            import uvloop

            self.loop = uvloop.new_event_loop()
        else:
            self.loop = asyncio.new_event_loop()
        self.facade = as_asyncio
        self.sleep = asyncio.sleep
        as_asyncio.osc_startup(loop=self.loop)
        as_asyncio.osc_method(ADDRESS, self.counter.hit)
        self.channel = as_asyncio.osc_udp_server("127.0.0.1", 0, "srv")
        self.port = self.channel.bound_port

    def pump(self, timeout: float) -> None:
        self.loop.run_until_complete(self.sleep(timeout))

    def close(self) -> Any:
        drops = super().close()
        self.loop.close()
        return drops


class PythonOscReceiver(Receiver):
    def __init__(self) -> None:
        super().__init__()
        from pythonosc.dispatcher import Dispatcher
        from pythonosc.osc_server import BlockingOSCUDPServer

        dispatcher = Dispatcher()
        dispatcher.map(ADDRESS, self.counter.hit)
        self.server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
        self.server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.port = self.server.server_address[1]

    def pump(self, timeout: float) -> None:
        self.server.timeout = timeout
        self.server.handle_request()

    def close(self) -> Any:
        self.server.server_close()


class Osc4py3Receiver(Receiver):
    def __init__(self) -> None:
        super().__init__()
        from osc4py3 import as_eventloop as osc
        from osc4py3 import oscchannel

        self.osc = osc
        self.port = _free_port()
        osc.osc_startup()
        osc.osc_method(ADDRESS, self.counter.hit)
        osc.osc_udp_server("127.0.0.1", self.port, "srv")
        _big_rcvbuf(oscchannel.all_channels["srv"].udpsock.fileno())

    def pump(self, timeout: float) -> None:
        # osc_process never waits and reads little per call: call it for the whole step.
        end = time.perf_counter() + timeout
        process = self.osc.osc_process
        while True:
            process()
            if time.perf_counter() >= end:
                break

    def close(self) -> Any:
        self.osc.osc_terminate()


class LibloReceiver(Receiver):
    def __init__(self) -> None:
        super().__init__()
        import pyliblo3 as liblo

        hit = self.counter.hit
        self.server = liblo.Server(proto=liblo.UDP)
        self.server.add_method(ADDRESS, "ifs", lambda path, args: hit())
        _big_rcvbuf(self.server.fileno())
        self.port = self.server.port

    def pump(self, timeout: float) -> None:
        self.server.recv(int(timeout * 1000))

    def close(self) -> Any:
        self.server.free()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RECEIVERS: dict[str, tuple[Callable[[], Receiver], str]] = {
    "raw recvfrom (no decode)": (RawReceiver, ""),
    "oscwire as_eventloop": (lambda: OscwireReceiver("eventloop"), "oscwire"),
    "oscwire as_eventloop (pure)": (lambda: OscwireReceiver("eventloop"), "oscwire"),
    "oscwire as_allthreads": (lambda: OscwireReceiver("allthreads"), "oscwire"),
    "oscwire as_comthreads": (lambda: OscwireReceiver("comthreads"), "oscwire"),
    "oscwire as_asyncio": (lambda: AsyncioReceiver("asyncio"), "oscwire"),
    "oscwire as_asyncio (uvloop)": (lambda: AsyncioReceiver("uvloop"), "uvloop"),
    "pyliblo3 Server": (LibloReceiver, "pyliblo3"),
    "python-osc BlockingOSCUDPServer": (PythonOscReceiver, "pythonosc"),
    "osc4py3 as_eventloop": (Osc4py3Receiver, "osc4py3"),
}


#: Receivers whose processes run on oscwire's pure twins.
PURE_RECEIVERS = {"oscwire as_eventloop (pure)"}


def make_receiver(name: str) -> tuple[Receiver, str | None]:
    """In a receiver process: the receiver *name*, and the oscwire twin it runs on (None
    for the others)."""
    if name in PURE_RECEIVERS:
        os.environ["OSCWIRE_NO_EXTENSIONS"] = "1"  # before this process imports oscwire
    receiver = RECEIVERS[name][0]()
    if not name.startswith("oscwire"):
        return receiver, None
    import oscwire

    expected = "python" if name in PURE_RECEIVERS else oscwire.IMPLEMENTATION
    if expected != oscwire.IMPLEMENTATION:
        raise RuntimeError(f"{name} runs on oscwire's {oscwire.IMPLEMENTATION} twins")
    return receiver, oscwire.IMPLEMENTATION


def blast_receiver(name: str, ready: Any, out: Any) -> None:
    """Receiver process of the blast and paced runs: serve until traffic stops."""
    receiver, implementation = make_receiver(name)
    counter = receiver.counter
    ready.send((receiver.port, implementation))
    deadline = time.perf_counter() + 30
    while not counter.idle() and time.perf_counter() < deadline:
        receiver.pump(0.05)
    result = counter.result()
    out.send((*result, receiver.close()))


def burst_receiver(name: str, ready: Any, control: Any) -> None:
    """Receiver process of the burst runs: drain a socket filled while it did not read.

    For each ``n`` received on *control*: read until ``n`` more messages were handled
    (or 3 s), reply ``(handled, seconds from start to the last message, CPU seconds)``.
    """
    receiver, implementation = make_receiver(name)
    counter = receiver.counter
    receiver.hold()
    ready.send((receiver.port, implementation))
    while True:
        burst = control.recv()
        if burst is None:
            break
        start = counter.count
        target = start + burst
        cpu = time.process_time()
        began = time.perf_counter()
        receiver.release()
        deadline = began + 3.0
        while counter.count < target and time.perf_counter() < deadline:
            receiver.pump(0.01)
        receiver.hold()
        # A receiver that reads in a thread may still be finishing a handler call.
        cpu = time.process_time() - cpu
        control.send((counter.count - start, max(counter.last - began, 1e-9), cpu))
    receiver.close()


def available(module: str) -> bool:
    if not module:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def measure(name: str, seconds: float, rate: float) -> dict[str, Any]:
    """Blast (rate 0) or pace (msgs/s) the receiver *name* from another process."""
    ctx = mp.get_context("spawn")
    ready_r, ready_w = ctx.Pipe(duplex=False)
    out_r, out_w = ctx.Pipe(duplex=False)
    receiver = ctx.Process(target=blast_receiver, args=(name, ready_w, out_w))
    receiver.start()
    port, implementation = _ready(ready_r, receiver, name)
    time.sleep(0.2)
    sent = ctx.Value("q", 0)
    sender = ctx.Process(target=blast, args=(port, seconds, rate, sent))
    sender.start()
    sender.join()
    result = out_r.recv() if out_r.poll(40) else None
    receiver.join(5)
    if receiver.is_alive():
        receiver.kill()
    if result is None:
        raise RuntimeError(f"receiver {name!r} sent no result (exit code {receiver.exitcode})")
    count, first, last, cpu, drops = result
    span = max(last - first, 1e-9)
    return {
        "sent": sent.value,
        "handled": count,
        "rate": count / span if count > 1 else 0.0,
        "cpu_rate": count / cpu if count > 1 and cpu > 0 else 0.0,
        "lost": sent.value - count,
        "kernel_drops": drops,
        "implementation": implementation,
    }


def _ready(ready: Any, process: Any, name: str) -> tuple[int, str | None]:
    """The (port, oscwire twin) a receiver process reports once it serves."""
    if not ready.poll(30):
        process.kill()
        raise RuntimeError(f"receiver {name!r} did not start (exit code {process.exitcode})")
    return ready.recv()  # type: ignore[no-any-return]


BURST = 8000  # fits in the 4 MiB receive buffers (about 10 000 small datagrams on Linux)


def measure_bursts(name: str, rounds: int) -> dict[str, Any]:
    """Fill the receiver's socket with BURST datagrams, then time how fast it drains them.

    The sender is not running while the receiver works, so the rate does not depend on
    how fast a sender can go or on sharing the CPU with it: the receiver's own capacity.
    """
    ctx = mp.get_context("spawn")
    ready_r, ready_w = ctx.Pipe(duplex=False)
    control, control_child = ctx.Pipe()
    receiver = ctx.Process(target=burst_receiver, args=(name, ready_w, control_child))
    receiver.start()
    port, implementation = _ready(ready_r, receiver, name)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    payload = datagram()
    rates, cpu_rates, lost = [], [], 0
    for _ in range(rounds):
        for _ in range(BURST):
            sock.send(payload)
        time.sleep(0.01)
        control.send(BURST)
        if not control.poll(10):
            break
        handled, span, cpu = control.recv()
        lost += BURST - handled
        rates.append(handled / span)
        cpu_rates.append(handled / cpu if cpu > 0 else 0.0)
        # Let the socket empty of anything left over before the next burst.
        time.sleep(0.05)
    control.send(None)
    receiver.join(5)
    if receiver.is_alive():
        receiver.kill()
    sock.close()
    return {
        "rate": statistics.median(rates) if rates else 0.0,
        "best": max(rates, default=0.0),
        "cpu_rate": statistics.median(cpu_rates) if cpu_rates else 0.0,
        "lost": lost,
        "rates": rates,
        "cpu_rates": cpu_rates,
        "implementation": implementation,
    }


# ------------------------------------------------------------------------- send rates
def _send_rate(
    send: Callable[[], None], seconds: float, flush: Callable[[], None] | None = None
) -> float:
    count = 0
    start = time.perf_counter()
    end = start + seconds
    while True:
        for _ in range(256):
            send()
        count += 256
        if flush is not None:
            flush()
        if time.perf_counter() >= end:
            break
    return count / (time.perf_counter() - start)


def _batch_rate(send_block: Callable[[], int], seconds: float) -> float:
    count = 0
    start = time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        count += send_block()
    return count / (time.perf_counter() - start)


def send_senders(port: int) -> dict[str, tuple[Callable[[float], float], Callable[[], None]]]:
    """name -> (measure(seconds) -> msgs/s, cleanup) for every sender available."""
    senders: dict[str, tuple[Callable[[float], float], Callable[[], None]]] = {}
    target = ("127.0.0.1", port)
    raw = datagram()

    from oscwire import _accel
    from oscwire import as_eventloop as ow
    from oscwire.oscbuildparse import OSCMessage

    ow.osc_startup()
    channel = ow.osc_udp_client("127.0.0.1", port, "cli")
    system = ow.osc_channel("cli").system
    message = OSCMessage(ADDRESS, ",ifs", list(ARGS))
    auto = OSCMessage(ADDRESS, None, list(ARGS))
    senders["oscwire osc_send (explicit tags)"] = (
        lambda s: _send_rate(lambda: ow.osc_send(message, "cli"), s),
        lambda: None,
    )
    senders["oscwire osc_send (auto tags)"] = (
        lambda s: _send_rate(lambda: ow.osc_send(auto, "cli"), s),
        lambda: None,
    )

    def batched(seconds: float) -> float:
        send = ow.osc_send

        def block() -> int:
            with system.batched_sends():
                for _ in range(256):
                    send(message, "cli")
            return 256

        return _batch_rate(block, seconds)

    senders["oscwire osc_send in batched_sends()"] = (batched, ow.osc_terminate)
    _ = channel

    plain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    senders["raw socket.sendto (no encode)"] = (
        lambda s: _send_rate(lambda: plain.sendto(raw, target), s),
        plain.close,
    )
    for twin in ("cython", "python"):
        try:
            netio = _accel.load_twin("netio", twin)
        except ImportError:
            continue
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        syscall = "sendmmsg" if netio.HAVE_MMSG else "sendto loop"

        def block(
            netio: Any = netio, sock: socket.socket = sock, items: Any = [(raw, target)] * 256
        ) -> int:
            return netio.send_batch(sock, items)[0]

        senders[f"raw netio.send_batch {twin} ({syscall})"] = (
            lambda s, block=block: _batch_rate(block, s),
            sock.close,
        )
    if available("pyliblo3"):
        import pyliblo3 as liblo

        address = liblo.Address("127.0.0.1", port)
        senders["pyliblo3 liblo.send"] = (
            lambda s: _send_rate(lambda: liblo.send(address, ADDRESS, *ARGS), s),
            lambda: None,
        )
    if available("pythonosc"):
        from pythonosc.udp_client import SimpleUDPClient

        client = SimpleUDPClient("127.0.0.1", port)
        senders["python-osc send_message"] = (
            lambda s: _send_rate(lambda: client.send_message(ADDRESS, list(ARGS)), s),
            lambda: None,
        )
    return senders


def send_rate_osc4py3(port: int, seconds: float) -> float:
    # osc4py3 keeps module-level state: measured on its own, after the others.
    from osc4py3 import as_eventloop as o4
    from osc4py3 import oscbuildparse as o4b

    o4.osc_startup()
    o4.osc_udp_client("127.0.0.1", port, "cli")
    o4msg = o4b.OSCMessage(ADDRESS, ",ifs", list(ARGS))
    rate = _send_rate(lambda: o4.osc_send(o4msg, "cli"), seconds, flush=o4.osc_process)
    o4.osc_terminate()
    return rate


def send_rates(seconds: float, rounds: int) -> dict[str, list[float]]:
    """The rates of each sender in *rounds* interleaved rounds (osc4py3: one round)."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    port = sink.getsockname()[1]
    senders = send_senders(port)
    rates: dict[str, list[float]] = {name: [] for name in senders}
    for _ in range(rounds):
        for name, (measure, _cleanup) in senders.items():
            rates[name].append(measure(seconds))
    for _measure, cleanup in senders.values():
        cleanup()
    if available("osc4py3"):
        rates["osc4py3 osc_send + osc_process"] = [send_rate_osc4py3(port, min(seconds, 1.0))]
    sink.close()
    return rates


def _twin(name: str, reported: str | None) -> dict[str, Any]:
    """The library and oscwire twin of a receiver or sender label."""
    library = library_of(name)
    if library != "oscwire":
        return {"library": library, "implementation": None}
    if reported is None:
        import oscwire

        reported = oscwire.IMPLEMENTATION
    return {"library": library, "implementation": reported}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--quick", action="store_true", help="1 s runs, 1 round")
    parser.add_argument("--only", default="", help="comma-separated receiver name filter")
    parser.add_argument("--skip", default="", help="comma-separated sections to skip")
    parser.add_argument("--burst-rounds", type=int, help="bursts per receiver (15, quick: 5)")
    add_json_option(parser)
    args = parser.parse_args(argv)
    seconds = 1.0 if args.quick else args.seconds
    rounds = 1 if args.quick else max(1, args.rounds)
    skip = set(filter(None, args.skip.split(",")))
    import oscwire

    saved = (
        Results(
            "udp_capacity.py",
            "UDP over loopback, receiver and raw sender in two processes, the datagram "
            f"/test/addr ,ifs 1 2.5 'hello': capacity with the sender blasting for {seconds:g} s "
            f"(median of {rounds} interleaved rounds); bursts of {BURST} queued datagrams "
            f"drained (median); paced at 100000 msgs/s for {seconds:g} s (lost); client send "
            f"rates to a socket nobody reads (best of {rounds} x {seconds:g} s)",
            sys.argv[1:] if argv is None else argv,
            args.quick,
        )
        if args.json
        else None
    )

    print(
        f"oscwire {oscwire.__version__} ({oscwire.implementations()}), Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    chosen = [
        (name, spec)
        for name, spec in RECEIVERS.items()
        if available(spec[1]) and (not args.only or any(k in name for k in args.only.split(",")))
    ]

    if "capacity" not in skip:
        print(f"\n== capacity: raw sender blasting for {seconds:g} s, median of {rounds} ==")
        print(
            f"{'receiver':34} {'sent':>9} {'handled':>9} {'msgs/s':>9} {'best':>9}"
            f" {'per CPU-s':>10} {'kernel drops':>12}"
        )
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in chosen}
        for _ in range(rounds):
            for name, _spec in chosen:
                runs[name].append(measure(name, seconds, 0))
        medians = {}
        for name, results in runs.items():
            rates = sorted(r["rate"] for r in results)
            median = statistics.median(rates)
            medians[name] = median
            middle = min(results, key=lambda r: abs(r["rate"] - median))
            cpu = statistics.median(r["cpu_rate"] for r in results)
            drops = middle["kernel_drops"]
            print(
                f"{name:34} {middle['sent']:>9} {middle['handled']:>9} {median:>9.0f}"
                f" {rates[-1]:>9.0f} {cpu:>10.0f} {'' if drops is None else drops:>12}"
            )
            if saved is not None:
                saved.add(
                    "udp-capacity",
                    f"sender blasting for {seconds:g} s",
                    name,
                    unit="msgs/s",
                    statistic="median",
                    samples=[r["rate"] for r in runs[name]],
                    cpu_samples=[r["cpu_rate"] for r in runs[name]],
                    kernel_drops=[r["kernel_drops"] for r in runs[name]],
                    sent=[r["sent"] for r in runs[name]],
                    handled=[r["handled"] for r in runs[name]],
                    **_twin(name, runs[name][0]["implementation"]),
                )
        ref = medians.get("pyliblo3 Server")
        if ref:
            for name, rate in medians.items():
                if name.startswith("oscwire"):
                    print(f"  {name} / pyliblo3: {rate / ref:.2f}x")

    if "burst" not in skip:
        burst_rounds = args.burst_rounds or (5 if args.quick else 15)
        print(
            f"\n== burst: drain {BURST} datagrams queued while the receiver waited,"
            f" median of {burst_rounds} =="
        )
        print(f"{'receiver':34} {'msgs/s':>9} {'best':>9} {'per CPU-s':>10} {'lost':>6}")
        bursts = {}
        for name, _spec in chosen:
            r = bursts[name] = measure_bursts(name, burst_rounds)
            print(
                f"{name:34} {r['rate']:>9.0f} {r['best']:>9.0f} {r['cpu_rate']:>10.0f}"
                f" {r['lost']:>6}"
            )
            if saved is not None:
                saved.add(
                    "udp-burst",
                    f"bursts of {BURST} datagrams",
                    name,
                    unit="msgs/s",
                    statistic="median",
                    samples=r["rates"],
                    cpu_samples=r["cpu_rates"],
                    lost=r["lost"],
                    **_twin(name, r["implementation"]),
                )
        ref = bursts.get("pyliblo3 Server", {}).get("rate")
        if ref:
            for name, r in bursts.items():
                if name.startswith("oscwire"):
                    print(f"  {name} / pyliblo3: {r['rate'] / ref:.2f}x")

    if "paced" not in skip:
        print(f"\n== paced: 100000 msgs/s for {seconds:g} s ==")
        print(f"{'receiver':34} {'sent':>10} {'handled':>10} {'lost':>8}")
        for name, _spec in chosen:
            if name.startswith("raw"):
                continue
            r = measure(name, seconds, 100000)
            print(f"{name:34} {r['sent']:>10} {r['handled']:>10} {r['lost']:>8}")
            if saved is not None:
                saved.add(
                    "udp-paced",
                    f"100000 msgs/s for {seconds:g} s",
                    name,
                    unit="msgs lost",
                    statistic="total",
                    samples=[r["lost"]],
                    sent=r["sent"],
                    handled=r["handled"],
                    kernel_drops=r["kernel_drops"],
                    **_twin(name, r["implementation"]),
                )

    if "send" not in skip:
        print(
            f"\n== send: messages per second from one client, best of {rounds} x {seconds:g} s =="
        )
        for name, send_samples in send_rates(seconds, rounds).items():
            print(f"{name:44} {max(send_samples):>10.0f}")
            if saved is not None:
                saved.add(
                    "udp-send",
                    f"{seconds:g} s of sending",
                    name,
                    unit="msgs/s",
                    statistic="max",
                    samples=send_samples,
                    **_twin(name, None),
                )
    if saved is not None:
        saved.write(Path(args.json))


if __name__ == "__main__":
    main()
