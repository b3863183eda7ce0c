"""Side-by-side TCP receive rates: oscwire against python-osc's TCP server, in one run.

Run ``python bench/compare/compare_tcp.py`` (``--rounds N``, ``--markdown``, ``--json PATH`` for
every round and the run's metadata). For each framing —
``size`` (OSC 1.0, python-osc mode "1.0") and ``slip`` (OSC 1.1, mode "1.1") — one
connection carries 100 000 ``/bench/n ,i`` messages sent by a thread with one
``sendall``; the rate counts messages received, cut, decoded and dispatched to a no-op
handler per second, best of the rounds. oscwire runs its event-loop policy (the caller's
thread reads and dispatches), its all-threads policy with no handler threads (a
communication thread does all) and with the façade's 10 handler threads (the calls are
handed over to them), and its comthreads policy (the caller's thread runs the handlers).
The ratio column divides by python-osc's rate for the same framing, measured in the same
process minutes apart, so that it means something on a shared machine. The oscwire
receivers are measured on the pure twins too, in a subprocess run after the others
(``OSCWIRE_NO_EXTENSIONS=1``; ``--skip-pure`` leaves it out).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any

# bench/compare/ (_table.py) and bench/ (the workloads shared with bench/suites/).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _results import Results, add_json_option, measure_pure_twin
from _table import format_table
from _tcp_support import MESSAGES, OscwireReceiver, PythonOscReceiver
from oscwire import _accel

#: (row label, policy, execthreadscount): the last two are what ``osc_startup()`` of the
#: comthreads / allthreads façades gives (handlers in the caller's thread / in 10 threads).
RECEIVERS = (
    ("oscwire eventloop", "eventloop", 0),
    ("oscwire allthreads, no handler threads", "allthreads", 0),
    ("oscwire comthreads", "comthreads", 0),
    ("oscwire allthreads, 10 handler threads", "allthreads", 10),
)


PURE = " (pure)"


def round_rates(receiver: Any, rounds: int) -> list[float]:
    """Messages per second of each timed round, after a warm-up (the table shows the best)."""
    try:
        receiver.run()  # warm-up: connection buffers, caches
        return [MESSAGES / receiver.run() for _ in range(rounds)]
    finally:
        receiver.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per case (best)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--skip-pure", action="store_true", help="no pure-twin subprocess")
    parser.add_argument("--oscwire-only", action="store_true", help="no python-osc receiver")
    add_json_option(parser)
    options = parser.parse_args(argv)
    results = (
        Results(
            "compare_tcp.py",
            f"one TCP connection carrying {MESSAGES} /bench/n ,i messages, size-prefixed or "
            "SLIP, sent with one sendall; received, cut, decoded and dispatched to a no-op "
            f"handler. Messages per second, best of {options.rounds} rounds after a warm-up",
            sys.argv[1:] if argv is None else argv,
            False,
        )
        if options.json
        else None
    )

    rates: dict[str, dict[str, list[float]]] = {}
    for framing in ("size", "slip"):
        rates[framing] = {}
        for label, policy, threads in RECEIVERS:
            receiver = OscwireReceiver(framing, policy, threads)
            rates[framing][label] = round_rates(receiver, options.rounds)
            if results is not None:
                results.add(
                    "tcp",
                    framing,
                    label,
                    unit="msgs/s",
                    statistic="max",
                    samples=rates[framing][label],
                    implementation=_accel.IMPLEMENTATION,
                    policy=policy,
                    execthreadscount=threads,
                )
        if options.oscwire_only:
            continue
        with contextlib.suppress(ImportError):  # python-osc not installed: no column
            rates[framing]["python-osc"] = round_rates(PythonOscReceiver(framing), options.rounds)
            if results is not None:
                results.add(
                    "tcp",
                    framing,
                    "python-osc",
                    unit="msgs/s",
                    statistic="max",
                    samples=rates[framing]["python-osc"],
                )
    if not (options.skip_pure or options.oscwire_only or _accel.IMPLEMENTATION == "python"):
        pure = measure_pure_twin(__file__, ["--oscwire-only", "--rounds", str(options.rounds)])
        for measurement in pure:
            rates[measurement["workload"]][measurement["subject"] + PURE] = measurement["samples"]
        if results is not None:
            results.extend(pure)

    rows: list[list[str]] = []
    for framing, receivers in rates.items():
        reference = max(receivers["python-osc"]) if "python-osc" in receivers else None
        for name, samples in receivers.items():
            rate = max(samples)
            ratio = f"{rate / reference:.1f}x" if reference and name != "python-osc" else ""
            rows.append([framing, name, f"{rate:,.0f}", ratio])

    header = ["framing", "receiver", "msgs/s", "vs python-osc"]
    print(
        f"{MESSAGES:,} messages over one TCP connection; oscwire twins: {_accel.implementations()}"
    )
    print(format_table(header, rows, options.markdown))
    if results is not None:
        results.write(options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
