"""UDP receive capacity, losses and client send rate: oscwire against its peers, one run.

Two processes per measurement: a receiver (an OSC server from one library, with a
handler that counts) and a raw sender that blasts the same datagram
(``/test/addr ,ifs 1 2.5 "hello"``) at it. Run::

    python bench/udp_capacity.py              # everything (about a minute)
    python bench/udp_capacity.py --quick      # 1 s runs

Tables printed:

* **capacity** — the sender blasts for ``--seconds`` (``sendmmsg`` through ctypes on
  Linux, so that the sender is faster than any receiver); the receiver counts what its
  handler got, and the rate is handled / (last - first arrival). ``raw recvfrom`` is a
  plain Python ``recvfrom`` loop without decoding: the ceiling of pure-Python reading.
* **paced** — 100 000 msgs/s for ``--seconds``: how many were lost.
* **send** — how many messages per second a client of each library sends (encode +
  send), in one process, to a socket that nobody reads.

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
import sys
import threading
import time
from typing import Any, Callable

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

    def hit(self, *args: Any) -> None:
        now = time.perf_counter()
        if not self.count:
            self.first = now
        self.count += 1
        self.last = now

    def idle(self) -> bool:
        return self.count > 0 and time.perf_counter() - self.last > IDLE_END


def serve_raw(ready: Any, out: Any) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.05)
    counter = Counter()
    ready.send(sock.getsockname()[1])
    recvfrom = sock.recvfrom
    deadline = time.perf_counter() + 30
    while not counter.idle() and time.perf_counter() < deadline:
        try:
            recvfrom(65536)
        except socket.timeout:
            continue
        counter.hit()
    out.send((counter.count, counter.first, counter.last))


def _serve_oscwire(policy: str, ready: Any, out: Any) -> None:
    import importlib

    facade = importlib.import_module(f"oscwire.as_{policy}")
    counter = Counter()
    lock = threading.Lock()

    def handler(*args: Any) -> None:
        with lock:
            counter.hit()

    facade.osc_startup(execthreadscount=2)
    facade.osc_method(ADDRESS, handler if policy == "allthreads" else counter.hit)
    channel = facade.osc_udp_server("127.0.0.1", 0, "srv")
    ready.send(channel.bound_port)
    deadline = time.perf_counter() + 30
    while not counter.idle() and time.perf_counter() < deadline:
        facade.osc_process(0.05)
    stats = facade.osc_stats("srv")
    facade.osc_terminate()
    out.send((counter.count, counter.first, counter.last, stats.get("kernel_drops")))


def serve_oscwire_eventloop(ready: Any, out: Any) -> None:
    _serve_oscwire("eventloop", ready, out)


def serve_oscwire_allthreads(ready: Any, out: Any) -> None:
    _serve_oscwire("allthreads", ready, out)


def serve_pythonosc(ready: Any, out: Any) -> None:
    from pythonosc.dispatcher import Dispatcher
    from pythonosc.osc_server import BlockingOSCUDPServer

    counter = Counter()
    dispatcher = Dispatcher()
    dispatcher.map(ADDRESS, counter.hit)
    server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    server.timeout = 0.05
    ready.send(server.server_address[1])
    deadline = time.perf_counter() + 30
    while not counter.idle() and time.perf_counter() < deadline:
        server.handle_request()
    server.server_close()
    out.send((counter.count, counter.first, counter.last))


def serve_osc4py3(ready: Any, out: Any) -> None:
    from osc4py3 import as_eventloop as osc

    counter = Counter()
    port = _free_port()
    osc.osc_startup()
    osc.osc_method(ADDRESS, counter.hit)
    osc.osc_udp_server("127.0.0.1", port, "srv")
    ready.send(port)
    deadline = time.perf_counter() + 30
    while not counter.idle() and time.perf_counter() < deadline:
        osc.osc_process()
    osc.osc_terminate()
    out.send((counter.count, counter.first, counter.last))


def serve_pyliblo3(ready: Any, out: Any) -> None:
    import pyliblo3 as liblo

    counter = Counter()
    server = liblo.Server(proto=liblo.UDP)
    server.add_method(ADDRESS, "ifs", lambda path, args: counter.hit())
    ready.send(server.port)
    deadline = time.perf_counter() + 30
    while not counter.idle() and time.perf_counter() < deadline:
        server.recv(50)
    server.free()
    out.send((counter.count, counter.first, counter.last))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RECEIVERS: dict[str, tuple[Callable[..., None], str]] = {
    "raw recvfrom (no decode)": (serve_raw, ""),
    "oscwire as_eventloop": (serve_oscwire_eventloop, "oscwire"),
    "oscwire as_allthreads": (serve_oscwire_allthreads, "oscwire"),
    "pyliblo3 Server": (serve_pyliblo3, "pyliblo3"),
    "python-osc BlockingOSCUDPServer": (serve_pythonosc, "pythonosc"),
    "osc4py3 as_eventloop": (serve_osc4py3, "osc4py3"),
}


def available(module: str) -> bool:
    if not module:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def measure(serve: Callable[..., None], seconds: float, rate: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ready_r, ready_w = ctx.Pipe(duplex=False)
    out_r, out_w = ctx.Pipe(duplex=False)
    receiver = ctx.Process(target=serve, args=(ready_w, out_w))
    receiver.start()
    port = ready_r.recv()
    time.sleep(0.2)
    sent = ctx.Value("q", 0)
    sender = ctx.Process(target=blast, args=(port, seconds, rate, sent))
    sender.start()
    sender.join()
    result = out_r.recv() if out_r.poll(40) else (0, 0.0, 0.0)
    receiver.join(5)
    if receiver.is_alive():
        receiver.kill()
    count, first, last = result[:3]
    span = max(last - first, 1e-9)
    return {
        "sent": sent.value,
        "handled": count,
        "rate": count / span if count > 1 else 0.0,
        "lost": sent.value - count,
        "kernel_drops": result[3] if len(result) > 3 else None,
    }


# ------------------------------------------------------------------------- send rates
def _send_rate(
    send: Callable[[], None], seconds: float, flush: Callable[[], None] | None = None
) -> float:
    count = 0
    start = time.perf_counter()
    end = start + seconds
    while True:
        for _ in range(200):
            send()
        count += 200
        if flush is not None:
            flush()
        if time.perf_counter() >= end:
            break
    return count / (time.perf_counter() - start)


def send_rates(seconds: float) -> dict[str, float]:
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    port = sink.getsockname()[1]
    rates: dict[str, float] = {}

    from oscwire import as_eventloop as ow
    from oscwire.oscbuildparse import OSCMessage

    ow.osc_startup()
    ow.osc_udp_client("127.0.0.1", port, "cli")
    message = OSCMessage(ADDRESS, ",ifs", list(ARGS))
    rates["oscwire osc_send (explicit tags)"] = _send_rate(
        lambda: ow.osc_send(message, "cli"), seconds
    )
    auto = OSCMessage(ADDRESS, None, list(ARGS))
    rates["oscwire osc_send (auto tags)"] = _send_rate(lambda: ow.osc_send(auto, "cli"), seconds)
    ow.osc_terminate()
    raw = datagram()
    plain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rates["raw socket.sendto (no encode)"] = _send_rate(
        lambda: plain.sendto(raw, ("127.0.0.1", port)), seconds
    )
    plain.close()
    if available("pyliblo3"):
        import pyliblo3 as liblo

        target = liblo.Address("127.0.0.1", port)
        rates["pyliblo3 liblo.send"] = _send_rate(
            lambda: liblo.send(target, ADDRESS, *ARGS), seconds
        )
    if available("pythonosc"):
        from pythonosc.udp_client import SimpleUDPClient

        client = SimpleUDPClient("127.0.0.1", port)
        rates["python-osc send_message"] = _send_rate(
            lambda: client.send_message(ADDRESS, list(ARGS)), seconds
        )
    if available("osc4py3"):
        from osc4py3 import as_eventloop as o4
        from osc4py3 import oscbuildparse as o4b

        o4.osc_startup()
        o4.osc_udp_client("127.0.0.1", port, "cli")
        o4msg = o4b.OSCMessage(ADDRESS, ",ifs", list(ARGS))
        rates["osc4py3 osc_send + osc_process"] = _send_rate(
            lambda: o4.osc_send(o4msg, "cli"), min(seconds, 1.0), flush=o4.osc_process
        )
        o4.osc_terminate()
    sink.close()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--quick", action="store_true", help="1 s runs")
    parser.add_argument("--only", default="", help="comma-separated receiver name filter")
    args = parser.parse_args()
    seconds = 1.0 if args.quick else args.seconds
    import oscwire

    print(
        f"oscwire {oscwire.__version__} ({oscwire.implementations()}), Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    chosen = [
        (name, spec)
        for name, spec in RECEIVERS.items()
        if available(spec[1]) and (not args.only or any(k in name for k in args.only.split(",")))
    ]

    print(f"\n== capacity: raw sender blasting for {seconds:g} s ==")
    print(f"{'receiver':34} {'sent':>10} {'handled':>10} {'msgs/s':>10}")
    results = {}
    for name, (serve, _module) in chosen:
        r = measure(serve, seconds, 0)
        results[name] = r
        print(f"{name:34} {r['sent']:>10} {r['handled']:>10} {r['rate']:>10.0f}")
    ref = results.get("pyliblo3 Server")
    if ref and ref["rate"]:
        for name, r in results.items():
            if name.startswith("oscwire"):
                print(f"  {name} / pyliblo3: {r['rate'] / ref['rate']:.2f}x")

    print(f"\n== paced: 100000 msgs/s for {seconds:g} s ==")
    print(f"{'receiver':34} {'sent':>10} {'handled':>10} {'lost':>8}")
    for name, (serve, _module) in chosen:
        if name.startswith("raw"):
            continue
        r = measure(serve, seconds, 100000)
        print(f"{name:34} {r['sent']:>10} {r['handled']:>10} {r['lost']:>8}")

    print(f"\n== send: messages per second from one client, {seconds:g} s ==")
    for name, rate in send_rates(seconds).items():
        print(f"{name:34} {rate:>10.0f}")


if __name__ == "__main__":
    main()
