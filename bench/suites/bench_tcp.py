"""TCP receive speed: one connection, 100 000 small messages, each framing.

``python -m pytest bench/suites/bench_tcp.py --benchmark-only`` — one round is one stream of
100 000 ``/bench/n ,i`` messages received, cut, decoded and dispatched (to a no-op
handler) by an oscwire TCP server; divide 100 000 by the time for messages per second.
``python bench/compare/compare_tcp.py`` puts the rate next to python-osc's TCP server.
"""

from __future__ import annotations

import pytest

from _tcp_support import MESSAGES, OscwireReceiver


@pytest.mark.parametrize(
    ("policy", "threads"),
    [("eventloop", 0), ("allthreads", 0), ("comthreads", 0), ("allthreads", 10)],
    ids=["eventloop", "allthreads", "comthreads", "allthreads-10-handler-threads"],
)
@pytest.mark.parametrize("framing", ["size", "slip"])
def test_tcp_receive_100k(benchmark, framing, policy, threads):
    receiver = OscwireReceiver(framing, policy, threads)
    try:
        elapsed = benchmark.pedantic(receiver.run, rounds=5, iterations=1, warmup_rounds=1)
        benchmark.extra_info["messages"] = MESSAGES
        benchmark.extra_info["msgs_per_s_last"] = round(MESSAGES / elapsed)
        connection = receiver.server.connections()[0]
        assert connection.stats.framing_errors == 0
        assert connection.stats.decoded == MESSAGES * 6
    finally:
        receiver.close()
