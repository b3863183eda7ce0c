"""Side-by-side receive-path timings: oscwire (compiled and pure) against python-osc and osc4py3.

Run ``python bench/compare/compare_dispatch.py`` (``--quick`` for a shorter run, ``--markdown`` for
a table to paste into docs, ``--json PATH`` for every repeat and the run's metadata). Every number is messages per second, the best of several
repeats, measured in this one process so that ratios are fair on a shared machine.

One message costs: decode the packet, find the handlers of its address, call each with the
message's arguments (a no-op handler). The libraries are used the way their users do:

* oscwire: ``decode_packet`` → ``MethodIndex.match`` → ``call_methods``, spec-kind methods
  (and, in the ``osc-kind`` rows, osc4py3-compatible "osc" filters, the ``as_*`` default);
* python-osc: ``Dispatcher.call_handlers_for_packet(data, client)``;
* osc4py3: ``decode_packet`` then its dispatcher's loop (test every ``MethodFilter``,
  call the matching ones), as ``oscdispatching.Dispatcher.execute_message`` does.

Workloads: ``exact-N`` — N methods ``/synth/<i>/freq``, 1000 messages cycling over them;
``fanout-100`` — 100 methods ``/mixer/channel/<i>/fader`` and the message-side pattern
``/mixer/channel/*/fader`` reaching all of them (osc4py3 cannot match a message-side
pattern: n/a).
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from typing import Any, Callable

# bench/compare/ (_table.py) and bench/ (the workloads shared with bench/suites/).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _dispatch_support import dispatch_all, use_twin
from _results import Results, add_json_option
from _table import format_table
from oscwire import _accel, oscmethod
from oscwire.oscbuildparse import OSCMessage, encode_packet

BATCH = 1000
FANOUT_BATCH = 100


def _noop(*args: Any) -> None:
    pass


def _exact_packets(count: int) -> list[bytes]:
    return [
        encode_packet(OSCMessage(f"/synth/{i % count}/freq", ",f", (440.0,))) for i in range(BATCH)
    ]


def _fanout_packets() -> list[bytes]:
    return [encode_packet(OSCMessage("/mixer/channel/*/fader", ",f", (0.5,)))] * FANOUT_BATCH


def oscwire_cases(twin: str, kind: str) -> dict[str, tuple[Callable[[], int], int]]:
    decode, _codec = use_twin(twin)
    cases: dict[str, tuple[Callable[[], int], int]] = {}
    for count in (10, 100, 1000):
        index = oscmethod.MethodIndex()
        for i in range(count):
            index.add(oscmethod.MethodFilter(f"/synth/{i}/freq", _noop, patternkind=kind))
        packets = _exact_packets(count)
        cases[f"exact-{count}"] = (
            lambda index=index, packets=packets: dispatch_all(decode, index, packets),
            BATCH,
        )
    if kind == "spec":
        index = oscmethod.MethodIndex()
        for i in range(100):
            index.add(
                oscmethod.MethodFilter(f"/mixer/channel/{i}/fader", _noop, patternkind="spec")
            )
        packets = _fanout_packets()
        cases["fanout-100"] = (
            lambda index=index, packets=packets: dispatch_all(decode, index, packets),
            FANOUT_BATCH,
        )
    return cases


def pythonosc_cases() -> dict[str, tuple[Callable[[], Any], int]]:
    from pythonosc.dispatcher import Dispatcher

    client = ("127.0.0.1", 9000)
    cases: dict[str, tuple[Callable[[], Any], int]] = {}

    def make(dispatcher: Any, packets: list[bytes]) -> Callable[[], None]:
        call = dispatcher.call_handlers_for_packet

        def run() -> None:
            for raw in packets:
                call(raw, client)

        return run

    for count in (10, 100, 1000):
        dispatcher = Dispatcher()
        for i in range(count):
            dispatcher.map(f"/synth/{i}/freq", _noop)
        cases[f"exact-{count}"] = (make(dispatcher, _exact_packets(count)), BATCH)
    dispatcher = Dispatcher()
    for i in range(100):
        dispatcher.map(f"/mixer/channel/{i}/fader", _noop)
    cases["fanout-100"] = (make(dispatcher, _fanout_packets()), FANOUT_BATCH)
    return cases


def osc4py3_cases() -> dict[str, tuple[Callable[[], Any], int]]:
    from osc4py3.oscbuildparse import decode_packet
    from osc4py3.oscmethod import MethodFilter

    cases: dict[str, tuple[Callable[[], Any], int]] = {}
    for count in (10, 100, 1000):
        filters = [MethodFilter(f"/synth/{i}/freq", _noop) for i in range(count)]
        packets = _exact_packets(count)

        def run(filters: list[Any] = filters, packets: list[bytes] = packets) -> None:
            for raw in packets:
                message = decode_packet(raw)
                for method in filters[:]:
                    if method.match(message.addrpattern):
                        method(message, None)

        cases[f"exact-{count}"] = (run, BATCH)
    return cases


def repeat_rates(
    function: Callable[[], Any], messages: int, repeat: int, target: float
) -> list[float]:
    """Messages per second in each of *repeat* timings of about *target* seconds (the
    table shows the best)."""
    timer = timeit.Timer(function)
    loops, elapsed = timer.autorange()
    loops = max(1, int(loops * target / max(elapsed, 1e-9)))
    return [messages * loops / elapsed for elapsed in timer.repeat(repeat=repeat, number=loops)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    add_json_option(parser)
    options = parser.parse_args(argv)
    results = (
        Results(
            "compare_dispatch.py",
            "decode + find the methods + call a no-op handler: exact-N, N methods "
            "/synth/<i>/freq and 1000 messages cycling over them; fanout-100, the message "
            "/mixer/channel/*/fader reaching 100 methods. Messages per second, best repeat",
            sys.argv[1:] if argv is None else argv,
            options.quick,
        )
        if options.json
        else None
    )
    repeat, target = (3, 0.1) if options.quick else (5, 0.3)

    columns: dict[str, Callable[[], dict[str, tuple[Callable[[], Any], int]]]] = {}
    twin_of: dict[str, str] = {}
    twins = ["cython", "python"] if _accel.compiled_available("matcher") else ["python"]
    for twin in twins:
        columns[f"oscwire {twin}"] = lambda twin=twin: oscwire_cases(twin, "spec")
        twin_of[f"oscwire {twin}"] = twin
    for twin in twins:
        columns[f"oscwire {twin} osc-kind"] = lambda twin=twin: oscwire_cases(twin, "osc")
        twin_of[f"oscwire {twin} osc-kind"] = twin
    for name, factory in (("python-osc", pythonosc_cases), ("osc4py3", osc4py3_cases)):
        try:
            factory()
        except ImportError:
            continue
        columns[name] = factory

    workloads = ["exact-10", "exact-100", "exact-1000", "fanout-100"]
    rates: dict[str, dict[str, float]] = {}
    for column, factory in columns.items():
        cases = factory()
        rates[column] = {}
        for workload in workloads:
            if workload not in cases:
                continue
            samples = repeat_rates(cases[workload][0], cases[workload][1], repeat, target)
            rates[column][workload] = max(samples)
            if results is not None:
                results.add(
                    "dispatch",
                    workload,
                    column,
                    unit="msgs/s",
                    statistic="max",
                    samples=samples,
                    implementation=twin_of.get(column),
                )
    use_twin("cython" if "cython" in twins else "python")

    reference = rates.get("python-osc", {})
    header = ["library", *workloads]
    rows = []
    for column, column_rates in rates.items():
        cells = [column]
        for workload in workloads:
            rate = column_rates.get(workload)
            if rate is None:
                cells.append("n/a")
            elif column != "python-osc" and workload in reference:
                cells.append(f"{rate:,.0f} ({rate / reference[workload]:.1f}x)")
            else:
                cells.append(f"{rate:,.0f}")
        rows.append(cells)
    print(f"messages/s (ratio to python-osc); codec twins: {_accel.implementations()}")
    print(format_table(header, rows, options.markdown))
    if results is not None:
        results.write(options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
