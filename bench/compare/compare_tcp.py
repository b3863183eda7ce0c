"""Side-by-side TCP receive rates: oscwire against python-osc's TCP server, in one run.

Run ``python bench/compare/compare_tcp.py`` (``--rounds N``, ``--markdown``). For each framing —
``size`` (OSC 1.0, python-osc mode "1.0") and ``slip`` (OSC 1.1, mode "1.1") — one
connection carries 100 000 ``/bench/n ,i`` messages sent by a thread with one
``sendall``; the rate counts messages received, cut, decoded and dispatched to a no-op
handler per second, best of the rounds. oscwire runs its event-loop policy (the caller's
thread reads and dispatches), its all-threads policy with no handler threads (a
communication thread does all) and with the façade's 10 handler threads (the calls are
handed over to them), and its comthreads policy (the caller's thread runs the handlers).
The ratio column divides by python-osc's rate for the same framing, measured in the same
process minutes apart, so that it means something on a shared machine.
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


def best_rate(receiver: Any, rounds: int) -> float:
    try:
        receiver.run()  # warm-up: connection buffers, caches
        return MESSAGES / min(receiver.run() for _ in range(rounds))
    finally:
        receiver.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per case (best)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    options = parser.parse_args(argv)

    rows: list[list[str]] = []
    for framing in ("size", "slip"):
        results: dict[str, float] = {}
        for label, policy, threads in RECEIVERS:
            results[label] = best_rate(OscwireReceiver(framing, policy, threads), options.rounds)
        with contextlib.suppress(ImportError):  # python-osc not installed: no column
            results["python-osc"] = best_rate(PythonOscReceiver(framing), options.rounds)
        reference = results.get("python-osc")
        for name, rate in results.items():
            ratio = f"{rate / reference:.1f}x" if reference and name != "python-osc" else ""
            rows.append([framing, name, f"{rate:,.0f}", ratio])

    header = ["framing", "receiver", "msgs/s", "vs python-osc"]
    print(
        f"{MESSAGES:,} messages over one TCP connection; oscwire twins: {_accel.implementations()}"
    )
    print(format_table(header, rows, options.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
