"""Receive through ``oscwire.Server`` against the runtime it is built on, in one run.

Run ``python bench/compare/compare_server.py`` (``--rounds N``, ``--markdown``, ``--json PATH``
for every round and the run's metadata). Two workloads,
each served in the caller's thread:

* UDP burst: 4000 ``/bench/n ,i`` datagrams wait in the socket, then the receiver drains
  them (no sender competes for the CPU);
* TCP: one connection carries 100 000 size-prefixed ``/bench/n ,i`` messages, sent by a
  thread with one ``sendall``.

The baseline is what ``docs/performance.md`` measures: an ``OSCSystem`` in the event
loop policy with a plain ``handler(*args)`` method (osc4py3's form, the compiled
dispatch fast path). Against it, a Server with a handler in each form: ``Form.ARGS``
declared ``-> None`` (the same fast path), ``Form.ARGS`` undeclared (may reply: called
through the form's filter), ``Form.ADDRESS_ARGS`` (python-osc's, the default) and
``Form.CONTEXT``. Rates are messages per second, median of the rounds; the ratio is to
the baseline of the same workload, measured round after round in turn.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import threading
import time
from typing import Any, Callable

# bench/compare/ (_table.py) and bench/ (the workloads shared with bench/suites/).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oscwire
from _results import Results, add_json_option
from _table import format_table
from _tcp_support import ADDRESS, message, send_in_thread, stream
from oscwire import Form, Received, Server, _accel
from oscwire._runtime import OSCSystem
from oscwire.oscudpmc import UdpMcChannel

BURST = 4000
TCP_MESSAGES = 100_000


class Counter:
    """Counts calls; closes what it serves once the expected number arrived."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.last = 0.0
        self.stop: Callable[[], None] = lambda: None

    def hit(self) -> None:
        self.count += 1
        if self.count == self.target:
            self.last = time.perf_counter()
            self.stop()


def handlers(counter: Counter) -> dict[str, tuple[Form, Callable[..., Any]]]:
    """One handler per form, each counting."""
    hit = counter.hit

    def args_none(*args: Any) -> None:
        hit()

    def args_plain(*args):  # type: ignore[no-untyped-def]  # undeclared: may reply
        hit()

    def address_args(address: str, *args: Any) -> None:
        hit()

    def context(message: Received) -> None:
        hit()

    return {
        "Server, Form.ARGS -> None": (Form.ARGS, args_none),
        "Server, Form.ARGS (may reply)": (Form.ARGS, args_plain),
        "Server, Form.ADDRESS_ARGS (default)": (Form.ADDRESS_ARGS, address_args),
        "Server, Form.CONTEXT": (Form.CONTEXT, context),
    }


def fill(port: int, datagrams: list[bytes]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for datagram in datagrams:
            sender.sendto(datagram, ("127.0.0.1", port))


def udp_baseline(datagrams: list[bytes]) -> float:
    counter = Counter()
    system = OSCSystem("eventloop").start()
    try:
        system.method(ADDRESS, lambda *args: counter.hit(), patternkind="spec")
        channel = UdpMcChannel(
            "bench", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
        )
        assert channel.bound_port is not None
        fill(channel.bound_port, datagrams)
        counter.target = len(datagrams)
        start = time.perf_counter()
        deadline = time.monotonic() + 30
        while counter.count < counter.target and time.monotonic() < deadline:
            system.process(0.01)
        return counter.count / (counter.last - start)
    finally:
        system.terminate()


def udp_server(
    form: Form, make: Callable[[Counter], Callable[..., Any]]
) -> Callable[[list[bytes]], float]:
    def run(datagrams: list[bytes]) -> float:
        counter = Counter()
        server = Server("127.0.0.1", 0)
        server.add_method(ADDRESS, make(counter), form=form)  # type: ignore[call-overload]
        counter.target = len(datagrams)
        counter.stop = server.close
        fill(server.port, datagrams)
        timer = threading.Timer(30, server.close)
        timer.start()
        start = time.perf_counter()
        server.serve_forever(poll_interval=0.05)
        timer.cancel()
        return counter.count / (counter.last - start)

    return run


def tcp_baseline(data: bytes) -> float:
    counter = Counter()
    system = OSCSystem("eventloop").start()
    try:
        system.method(ADDRESS, lambda *args: counter.hit(), patternkind="spec")
        from oscwire.osctcp import TcpChannel

        channel = TcpChannel(
            "bench",
            "e",
            {"tcp_host": "127.0.0.1", "tcp_port": 0, "tcp_framing": "size", "osc_system": system},
        )
        assert channel.bound_port is not None
        sock = socket.create_connection(("127.0.0.1", channel.bound_port))
        counter.target = TCP_MESSAGES
        start = time.perf_counter()
        sender = send_in_thread(sock, data)
        deadline = time.monotonic() + 60
        while counter.count < counter.target and time.monotonic() < deadline:
            system.process(0.01)
        sender.join()
        sock.close()
        return counter.count / (counter.last - start)
    finally:
        system.terminate()


def tcp_server(
    form: Form, make: Callable[[Counter], Callable[..., Any]]
) -> Callable[[bytes], float]:
    def run(data: bytes) -> float:
        counter = Counter()
        server = Server("127.0.0.1", 0, transport="tcp", framing="size")
        server.add_method(ADDRESS, make(counter), form=form)  # type: ignore[call-overload]
        counter.target = TCP_MESSAGES
        counter.stop = server.close
        sock = socket.create_connection(("127.0.0.1", server.port))
        timer = threading.Timer(60, server.close)
        timer.start()
        start = time.perf_counter()
        sender = send_in_thread(sock, data)
        server.serve_forever(poll_interval=0.05)
        timer.cancel()
        sender.join()
        sock.close()
        return counter.count / (counter.last - start)

    return run


def compare(
    runs: dict[str, Callable[[Any], float]], workload: Any, rounds: int
) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            rates[name].append(run(workload))
    return rates


def table(rates: dict[str, list[float]], baseline: str, markdown: bool) -> str:
    base = statistics.median(rates[baseline])
    rows = []
    for name, values in rates.items():
        median = statistics.median(values)
        rows.append(
            [
                name,
                f"{median / 1000:.0f}k",
                f"{min(values) / 1000:.0f}k–{max(values) / 1000:.0f}k",
                f"{median / base:.2f}×",
            ]
        )
    return format_table(["receiver", "msgs/s (median)", "range", "vs runtime"], rows, markdown)


def record(group: str, workload: str, rates: dict[str, list[float]], results: Results) -> None:
    for name, values in rates.items():
        results.add(
            group,
            workload,
            name,
            unit="msgs/s",
            statistic="median",
            samples=values,
            library="oscwire",
            implementation=_accel.IMPLEMENTATION,
        )


def main(argv: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    add_json_option(parser)
    args = parser.parse_args(argv)
    results = (
        Results(
            "compare_server.py",
            f"oscwire.Server with a handler of each form against the runtime under it: a "
            f"burst of {BURST} UDP datagrams drained; {TCP_MESSAGES} size-prefixed messages "
            f"on one TCP connection. Messages per second, median of {args.rounds} rounds",
            sys.argv[1:] if argv is None else argv,
            False,
        )
        if args.json
        else None
    )
    print(f"oscwire {oscwire.__version__}, {_accel.IMPLEMENTATION}; {args.rounds} rounds")

    def maker(index: int) -> Callable[[Counter], Callable[..., Any]]:
        return lambda counter: list(handlers(counter).values())[index][1]

    names = list(handlers(Counter()))
    forms = [form for form, _ in handlers(Counter()).values()]
    udp: dict[str, Callable[[Any], float]] = {"runtime (OSCSystem, eventloop)": udp_baseline}
    tcp: dict[str, Callable[[Any], float]] = {"runtime (OSCSystem, eventloop)": tcp_baseline}
    for index, (name, form) in enumerate(zip(names, forms)):
        udp[name] = udp_server(form, maker(index))
        tcp[name] = tcp_server(form, maker(index))
    datagrams = [message(i) for i in range(BURST)]
    print(f"\nUDP, burst of {BURST} datagrams drained")
    udp_rates = compare(udp, datagrams, args.rounds)
    print(table(udp_rates, "runtime (OSCSystem, eventloop)", args.markdown))
    print(f"\nTCP, {TCP_MESSAGES} size-prefixed messages on one connection")
    data = stream("size", TCP_MESSAGES)
    tcp_rates = compare(tcp, data, args.rounds)
    print(table(tcp_rates, "runtime (OSCSystem, eventloop)", args.markdown))
    if results is not None:
        record("server-udp", f"burst of {BURST} datagrams", udp_rates, results)
        record("server-tcp", f"{TCP_MESSAGES} messages, size prefix", tcp_rates, results)
        results.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
