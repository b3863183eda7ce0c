"""What a peer can make oscmethod keep or compute is bounded: caches in bytes, pattern
matching in address length.

The issue: every distinct wildcard address was compiled and kept (``lru_cache(1024)``,
about 6 MB for a 60 KB pattern): 150 datagrams took the process from 36 to 955 MB. Memory
is measured with tracemalloc (every Python allocation, the compiled twin's objects
included).
"""

from __future__ import annotations

import gc
import logging
import tracemalloc
from collections.abc import Iterator
from types import ModuleType
from typing import Any, Callable

import pytest

from oscwire import oscmethod


def noop(*args: Any) -> None:
    pass


@pytest.fixture
def om(matcher_impl: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """oscmethod running on the twin under test."""
    monkeypatch.setattr(oscmethod, "_impl", matcher_impl)
    monkeypatch.setattr(oscmethod, "has_wildcards", matcher_impl.has_wildcards)
    oscmethod.compile_pattern.cache_clear()
    yield oscmethod
    oscmethod.compile_pattern.cache_clear()


def growth(work: Callable[[], object]) -> int:
    """Bytes still allocated after *work* (what it kept), measured with tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = work()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return after - before


def distinct_patterns(count: int, length: int) -> Iterator[str]:
    """*count* distinct message-side patterns of *length* characters (many small parts)."""
    for i in range(count):
        head = f"/{i}/"
        yield head + "/?" * ((length - len(head)) // 2)


def test_index_keeps_nothing_of_thousands_of_large_patterns(om: ModuleType) -> None:
    index = om.MethodIndex()
    for i in range(10):
        index.add(om.MethodFilter(f"/{i}/a", noop, patternkind="spec"))
    index.add(om.MethodFilter("/*", noop))  # an "osc" pattern filter: scanned

    def work() -> object:
        for pattern in distinct_patterns(1000, 600):
            index.match(pattern)
        return None

    # Before: every one compiled and kept (up to 1024), about 60 MB here.
    assert growth(work) < 64 * 1024
    assert index.too_long == 0


def test_index_result_cache_stays_within_its_bytes(om: ModuleType) -> None:
    index = om.MethodIndex(cache_bytes=32 * 1024)
    for i in range(50):
        index.add(om.MethodFilter(f"/mixer/{i}/fader", noop, patternkind="spec"))

    def work() -> object:
        # Short patterns (cached) whose results are large tuples: many bytes per entry.
        for i in range(600):
            assert len(index.match(f"/mixer/*/{{fader,x{i}}}")) == 50
        return None

    # Before: up to 4096 entries of about 600 bytes each, whatever their size.
    assert growth(work) < 32 * 1024 + 16 * 1024
    assert 0 < index._cache_bytes <= index.cache_bytes
    assert 0 < len(index._cache) < 600


def test_compile_pattern_cache_is_bounded_in_bytes(om: ModuleType) -> None:
    def work() -> object:
        for pattern in distinct_patterns(3000, om.PATTERN_CACHE_MAX_LENGTH):
            om.match_pattern(pattern, "/a")
        return None

    # Before: lru_cache(1024) of 256-character patterns, about 30 MB.
    assert growth(work) < om.PATTERN_CACHE_BYTES + 64 * 1024
    assert 0 < om.compile_pattern.cached_bytes <= om.PATTERN_CACHE_BYTES
    assert len(om.compile_pattern) < 3000


def test_footprint_estimate_covers_the_real_size(matcher_impl: ModuleType) -> None:
    # The byte bound is only as good as this estimate: check it on the costliest shapes.
    for unit in ("/?", "/a", "?", "*a", "/{,}", "/[!a-b]"):
        pattern = "/" + unit * (oscmethod.PATTERN_CACHE_MAX_LENGTH // len(unit))

        def compile_ten(pattern: str = pattern) -> object:
            return [matcher_impl.compile_pattern(pattern) for _ in range(10)]

        size = growth(compile_ten)
        assert size / 10 < oscmethod.pattern_footprint(pattern), unit


def test_long_patterns_are_never_cached(om: ModuleType) -> None:
    spec = om.MethodFilter("/a/b", noop, patternkind="spec")

    def work() -> object:
        for pattern in distinct_patterns(5, 20_000):
            om.match_pattern(pattern, "/a")
            spec.match(pattern)  # a peer's pattern tried against a literal filter
        return None

    assert growth(work) < 64 * 1024
    assert len(om.compile_pattern) == 0


# --- addresses too long for pattern matching ------------------------------------------


def test_long_addresses_get_exact_lookups_only(
    om: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    index = om.MethodIndex(max_pattern_address=100)
    exact = om.MethodFilter("/" + "a" * 200, noop, patternkind="spec")
    prefix = om.MethodFilter("/", noop)  # literal "osc" prefix: an exact lookup too
    regex = om.MethodFilter("^/a+$", noop, patternkind="re")
    wildcard = om.MethodFilter("/*", noop)
    for method in (exact, prefix, regex, wildcard):
        index.add(method)
    assert index.match("/" + "a" * 99) == [prefix, regex, wildcard]
    assert index.too_long == 0
    with caplog.at_level(logging.WARNING, logger="oscwire.oscmethod"):
        assert index.match("/" + "a" * 200) == [exact, prefix]
        assert index.match("/" + "a" * 300) == [prefix]
        assert index.match("/" + "a*" * 100) == [prefix]  # a message-side pattern: not walked
    assert index.too_long == 3
    lines = [r.getMessage() for r in caplog.records if r.name == "oscwire.oscmethod"]
    assert lines == [
        "OSC address of 201 characters is longer than max_pattern_address (100): "
        "only exact lookups, no pattern matching"
    ]
    index._throttle.flush()
    assert "…and 2 more addresses too long for pattern matching" in caplog.text


def test_default_bound_keeps_a_quadratic_regex_small(om: ModuleType) -> None:
    # osc4py3's old regex as a user's "re" filter: quadratic, so only addresses up to the
    # bound ever reach it through the dispatcher's index.
    calls: list[int] = []

    class CountingRegex:
        def match(self, address: str) -> None:
            calls.append(len(address))

    index = om.MethodIndex()
    regex = om.MethodFilter("^/[^/]*.*$", noop, patternkind="re")
    regex.reobject = CountingRegex()
    index.add(regex)
    for length in (10, om.MAX_PATTERN_ADDRESS, om.MAX_PATTERN_ADDRESS + 1, 65536):
        index.match("/" + "a" * (length - 4) + "/\n\n")
    assert calls == [10, om.MAX_PATTERN_ADDRESS]
    assert index.too_long == 2
