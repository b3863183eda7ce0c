"""Side-by-side UDP send rates: ``oscwire.Client.send`` against the senders a user would
otherwise pick, in one run.

Run ``python bench/compare/compare_send.py`` (``--rounds N``, ``--count N``, ``--markdown``,
``--json PATH`` for every round and the run's metadata). Every sender builds a new
``/test/addr ,ifs (i, 2.5, "hello")`` message per call (the integer changes) and sends it
over UDP on loopback to a socket nobody reads (the kernel drops what overflows it, the
same for everyone): ``oscwire.Client.send``, pyliblo3's ``liblo.send`` (to a ready-made
``liblo.Address``), python-osc's ``SimpleUDPClient.send_message``, the osc4py3 façade's
``osc_send(OSCMessage(...))``, osc4py3's own ``osc_send`` (its event loop sends what
was queued in ``osc_process()``, called after every 256 messages), and a raw
``socket.sendto`` of one pre-encoded datagram (no encoding: the floor of one system call
per message). Then 100 000 messages inside ``with client.batch():`` against raw
``sendmmsg`` of pre-encoded datagrams (``oscwire._netio_c.send_batch``, 256 per call).
The oscwire senders are measured on the pure twins too, in a subprocess run after the
others (``OSCWIRE_NO_EXTENSIONS=1``; ``--skip-pure`` leaves it out).

The senders take turns, round after round, so that a busy machine slows them alike; the
table gives each one's median and range over the rounds, its rate per second of the
sending thread's CPU time (user + system: what the kernel does for a loopback send is
done in that thread, so this rate hardly depends on the machine's load), and the ratios
of both medians.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oscwire
from _results import Results, add_json_option, measure_pure_twin
from _table import format_table
from oscwire import _accel
from oscwire.oscbuildparse import OSCMessage, encode_packet

ADDRESS = "/test/addr"


@contextmanager
def sink() -> Iterator[tuple[str, int]]:
    """A UDP socket on loopback that nobody reads: where every sender sends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()
    finally:
        sock.close()


def timed(loop: Callable[[int], None], count: int) -> tuple[float, float]:
    """Messages per second of ``loop(count)``: of wall-clock time, and of this thread's CPU
    time (user and system: the kernel's work for a send on loopback is done in the
    sending thread, so this one hardly depends on what else the machine runs)."""
    started, cpu = time.perf_counter(), time.thread_time()
    loop(count)
    return count / (time.perf_counter() - started), count / (time.thread_time() - cpu)


def oscwire_client(target: tuple[str, int]) -> Callable[[int], None]:
    client = oscwire.Client(*target)

    def loop(count: int) -> None:
        send = client.send
        for index in range(count):
            send(ADDRESS, index, 2.5, "hello")

    return loop


def liblo_send(target: tuple[str, int]) -> Callable[[int], None]:
    import pyliblo3 as liblo  # type: ignore[import-untyped]

    address = liblo.Address(*target)
    send = liblo.send

    def loop(count: int) -> None:
        for index in range(count):
            send(address, ADDRESS, index, 2.5, "hello")

    return loop


def python_osc(target: tuple[str, int]) -> Callable[[int], None]:
    from pythonosc.udp_client import SimpleUDPClient

    client = SimpleUDPClient(*target)

    def loop(count: int) -> None:
        send = client.send_message
        for index in range(count):
            send(ADDRESS, [index, 2.5, "hello"])

    return loop


def facade_osc_send(target: tuple[str, int]) -> Callable[[int], None]:
    from oscwire import as_eventloop

    as_eventloop.osc_startup()
    as_eventloop.osc_udp_client(target[0], target[1], "bench")
    send = as_eventloop.osc_send

    def loop(count: int) -> None:
        for index in range(count):
            send(OSCMessage(ADDRESS, None, [index, 2.5, "hello"]), "bench")

    return loop


def osc4py3_send(target: tuple[str, int]) -> Callable[[int], None]:
    from osc4py3 import as_eventloop as o4  # type: ignore[import-untyped]
    from osc4py3 import oscbuildparse as o4b

    o4.osc_startup()
    o4.osc_udp_client(target[0], target[1], "bench")

    def loop(count: int) -> None:
        send, process, message = o4.osc_send, o4.osc_process, o4b.OSCMessage
        for index in range(count):
            send(message(ADDRESS, None, [index, 2.5, "hello"]), "bench")
            if index % 256 == 255:
                process()
        process()

    return loop


def raw_sendto(target: tuple[str, int]) -> Callable[[int], None]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    raw = bytes(encode_packet(OSCMessage(ADDRESS, None, [1, 2.5, "hello"])))

    def loop(count: int) -> None:
        sendto = sock.sendto
        for _ in range(count):
            try:  # noqa: SIM105 - a with block per datagram would slow what is measured
                sendto(raw, target)
            except BlockingIOError:
                pass

    return loop


def client_batch(target: tuple[str, int]) -> Callable[[int], None]:
    client = oscwire.Client(*target)

    def loop(count: int) -> None:
        send = client.send
        with client.batch():
            for index in range(count):
                send(ADDRESS, index, 2.5, "hello")

    return loop


def raw_sendmmsg(target: tuple[str, int]) -> Callable[[int], None]:
    from oscwire._netio_c import send_batch  # type: ignore[import-not-found]

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    raw = bytes(encode_packet(OSCMessage(ADDRESS, None, [1, 2.5, "hello"])))
    batch = [(raw, None, None)] * 256

    def loop(count: int) -> None:
        left = count
        while left > 0:
            chunk = batch if left >= 256 else batch[:left]
            done, _ = send_batch(sock, chunk, target)
            left -= done

    return loop


SENDERS: dict[str, Callable[[tuple[str, int]], Callable[[int], None]]] = {
    "oscwire Client.send": oscwire_client,
    "pyliblo3 liblo.send (Address)": liblo_send,
    "python-osc send_message": python_osc,
    "oscwire osc_send(OSCMessage(...))": facade_osc_send,
    "osc4py3 osc_send + osc_process": osc4py3_send,
    "raw sendto, pre-encoded": raw_sendto,
}
BATCHES: dict[str, Callable[[tuple[str, int]], Callable[[int], None]]] = {
    "oscwire Client.batch()": client_batch,
    "raw sendmmsg, pre-encoded": raw_sendmmsg,
}
PURE = " (pure)"
WORKLOADS = {"send": "one new message per call", "send-batch": "100 000 messages in one batch"}


def oscwire_only(
    senders: dict[str, Callable[[tuple[str, int]], Callable[[int], None]]],
) -> dict[str, Callable[[tuple[str, int]], Callable[[int], None]]]:
    return {name: make for name, make in senders.items() if name.startswith("oscwire")}


def record(group: str, rates: dict[str, list[tuple[float, float]]], results: Results) -> None:
    """The wall-clock rates of each round (the CPU-time ones in extra), median shown."""
    for name, values in rates.items():
        results.add(
            group,
            WORKLOADS[group],
            name,
            unit="msgs/s",
            statistic="median",
            samples=[value[0] for value in values],
            implementation=_accel.IMPLEMENTATION if name.startswith("oscwire") else None,
            cpu_samples=[value[1] for value in values],
        )


def pure_rates(
    measurements: list[dict[str, Any]], group: str
) -> dict[str, list[tuple[float, float]]]:
    """The pure subprocess's rates of *group*, as :func:`measure` gives them, names marked."""
    return {
        m["subject"] + PURE: list(zip(m["samples"], m["extra"]["cpu_samples"]))
        for m in measurements
        if m["group"] == group
    }


def measure(
    senders: dict[str, Callable[[tuple[str, int]], Callable[[int], None]]],
    target: tuple[str, int],
    count: int,
    rounds: int,
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) rates of each sender over *rounds* interleaved rounds (senders that
    cannot be imported are left out)."""
    loops: dict[str, Callable[[int], None]] = {}
    for name, make in senders.items():
        try:
            loops[name] = make(target)
        except ImportError as error:
            print(f"skipped {name}: {error}", file=sys.stderr)
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in loops}
    for loop in loops.values():
        loop(min(count, 2000))  # warm up
    for _ in range(rounds):
        for name, loop in loops.items():
            rates[name].append(timed(loop, count))
    return rates


def rows(
    rates: dict[str, list[tuple[float, float]]], reference: str, label: str
) -> list[list[str]]:
    """Table rows: median and range of the wall-clock rates, median of the CPU-time
    rates, and the ratios of both medians to *reference*'s."""
    medians = {
        name: (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values))
        for name, values in rates.items()
    }
    base = medians.get(reference)
    table = []
    for name, values in rates.items():
        wall, cpu = medians[name]
        walls = [value[0] for value in values]
        ratios = f"{wall / base[0]:.2f}× / {cpu / base[1]:.2f}×" if base else "–"
        table.append(
            [
                name,
                f"{wall / 1000:.0f}k",
                f"{min(walls) / 1000:.0f}k–{max(walls) / 1000:.0f}k",
                f"{cpu / 1000:.0f}k",
                ratios,
            ]
        )
    header = ["sender", "msgs/s (median)", "range", "msgs per CPU-s", f"{label} (wall / CPU)"]
    return [header, *table]


def main(argv: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=50000, help="messages per sender and round")
    parser.add_argument("--batch-count", type=int, default=100000)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--skip-pure", action="store_true", help="no pure-twin subprocess")
    parser.add_argument(
        "--oscwire-only", action="store_true", help="the oscwire senders only (no peer, no raw)"
    )
    add_json_option(parser)
    args = parser.parse_args(argv)
    results = (
        Results(
            "compare_send.py",
            "UDP send over loopback to a socket nobody reads, a new /test/addr ,ifs "
            f"(i, 2.5, 'hello') message per call: {args.count} per sender and round; then "
            f"{args.batch_count} in one batch. Messages per second, median of "
            f"{args.rounds} interleaved rounds (CPU-time rates in extra)",
            sys.argv[1:] if argv is None else argv,
            False,
        )
        if args.json
        else None
    )
    print(f"oscwire {oscwire.__version__}, {_accel.IMPLEMENTATION}; {args.rounds} rounds")
    senders, batches = SENDERS, BATCHES
    if args.oscwire_only:
        senders, batches = oscwire_only(SENDERS), oscwire_only(BATCHES)
    with sink() as target:
        single = measure(senders, target, args.count, args.rounds)
        batched = measure(batches, target, args.batch_count, args.rounds)
    if results is not None:
        record("send", single, results)
        record("send-batch", batched, results)
    if not (args.skip_pure or args.oscwire_only or _accel.IMPLEMENTATION == "python"):
        counts = ["--count", str(args.count), "--batch-count", str(args.batch_count)]
        pure = measure_pure_twin(
            __file__, ["--oscwire-only", "--rounds", str(args.rounds), *counts]
        )
        single.update(pure_rates(pure, "send"))
        batched.update(pure_rates(pure, "send-batch"))
        if results is not None:
            results.extend(pure)
    header, *body = rows(single, "pyliblo3 liblo.send (Address)", "vs liblo.send")
    print(format_table(header, body, args.markdown))
    print()
    header, *body = rows(batched, "raw sendmmsg, pre-encoded", "vs raw sendmmsg")
    print(format_table(header, body, args.markdown))
    if "oscwire osc_send(OSCMessage(...))" in single:
        façade = single["oscwire osc_send(OSCMessage(...))"]
        client = single["oscwire Client.send"]
        wall = statistics.median(v[0] for v in client) / statistics.median(v[0] for v in façade)
        cpu = statistics.median(v[1] for v in client) / statistics.median(v[1] for v in façade)
        print(f"\nClient.send / osc_send(OSCMessage(...)): {wall:.2f}× wall, {cpu:.2f}× CPU")
    if results is not None:
        results.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
