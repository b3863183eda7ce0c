"""Matching and dispatch speed, compiled twin against pure twin.

``python -m pytest bench/suites/bench_matching.py --benchmark-only --benchmark-group-by=func``

Each dispatch benchmark handles a batch of 1000 packets (divide the mean by 1000 for one
message): decode + ``MethodIndex.match`` + ``call_methods`` with a no-op handler.
The side-by-side comparison with python-osc and osc4py3 is ``bench/compare/compare_dispatch.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any, Callable

import pytest

from _dispatch_support import dispatch_all, exact_index, fanout_index, use_twin
from oscwire import _accel, oscmethod
from oscwire.oscbuildparse import OSCMessage, encode_packet

BATCH = 1000


@pytest.fixture
def twin(matcher_impl: ModuleType) -> Iterator[Callable[[bytes], Any]]:
    name = "cython" if matcher_impl.__name__.endswith("_c") else "python"
    decode, _ = use_twin(name)
    yield decode
    use_twin("cython" if _accel.compiled_available("matcher") else "python")


@pytest.mark.parametrize("methods", [10, 100, 1000])
def test_exact_dispatch(benchmark: Any, twin: Callable[[bytes], Any], methods: int) -> None:
    index, addresses = exact_index(methods)
    packets = [
        encode_packet(OSCMessage(addresses[i % methods], ",f", (440.0,))) for i in range(BATCH)
    ]
    calls = benchmark(dispatch_all, twin, index, packets)
    assert calls == BATCH


@pytest.mark.parametrize("methods", [10, 100, 1000])
def test_exact_lookup_and_call(benchmark: Any, twin: Callable[[bytes], Any], methods: int) -> None:
    index, addresses = exact_index(methods)
    message = OSCMessage(addresses[methods // 2], ",f", (440.0,))
    match, call = index.match, oscmethod.call_methods

    def run() -> int:
        calls = 0
        for _ in range(BATCH):
            calls += call(match(message.addrpattern), message, None)
        return calls

    assert benchmark(run) == BATCH


def test_fanout_pattern_100(benchmark: Any, twin: Callable[[bytes], Any]) -> None:
    index = fanout_index(100)
    packets = [encode_packet(OSCMessage("/mixer/channel/*/fader", ",f", (0.5,)))] * 100
    calls = benchmark(dispatch_all, twin, index, packets)
    assert calls == 100 * 100


def test_fanout_pattern_uncached_walk(benchmark: Any, twin: Callable[[bytes], Any]) -> None:
    """Every message a different pattern: the trie walk itself, no result cache."""
    index = fanout_index(100)
    patterns = [f"/mixer/channel/{i}*/fader" for i in range(10)] * 10

    def run() -> int:
        found = 0
        for pattern in patterns:
            index.clear_cache()
            found += len(index.match(pattern))
        return found

    # "0*" reaches channel 0 only; "1*" to "9*" reach 11 channels each (1, 10-19...).
    assert benchmark(run) == 10 * (1 + 9 * 11)


PATTERNS = [
    ("/mixer/channel/*/fader", "/mixer/channel/12/fader"),
    ("/a//b/[0-9]*", "/a/x/y/b/7q"),
    ("/{foo,bar,baz}/[!a-c]?x", "/baz/dqx"),
]


@pytest.mark.parametrize(("pattern", "address"), PATTERNS)
def test_compiled_pattern_match(
    benchmark: Any, matcher_impl: ModuleType, pattern: str, address: str
) -> None:
    compiled = matcher_impl.compile_pattern(pattern)
    assert benchmark(compiled.match, address)


@pytest.mark.parametrize(("pattern", "address"), PATTERNS)
def test_match_pattern_uncompiled(
    benchmark: Any, matcher_impl: ModuleType, pattern: str, address: str
) -> None:
    assert benchmark(matcher_impl.match_pattern, pattern, address)
