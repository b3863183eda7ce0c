"""oscwire.oscmethod: MethodFilter, the three pattern kinds, MethodIndex, call_methods.

Compatibility expectations come from osc4py3 itself (its MethodFilter run side by side on
the same input); spec expectations are worked out by hand from the OSC 1.0/1.1 texts.
The ``om`` fixture points oscmethod at each matcher twin in turn.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oscwire import _accel, oscmethod
from oscwire._dispatchable import Dispatchable
from oscwire._errors import OSCInvalidAddressError, OSCPatternError
from oscwire.oscbuildparse import OSCMessage
from oscwire.oscpacketoptions import PacketOptions

osc4py3_method = pytest.importorskip("osc4py3.oscmethod")
osc4py3_parse = pytest.importorskip("osc4py3.oscbuildparse")

FIXTURE_CHECKS = [HealthCheck.function_scoped_fixture]


@pytest.fixture
def om(matcher_impl: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """oscmethod running on the twin under test."""
    monkeypatch.setattr(oscmethod, "_impl", matcher_impl)
    monkeypatch.setattr(oscmethod, "has_wildcards", matcher_impl.has_wildcards)
    monkeypatch.setattr(oscmethod, "call_methods_failures", matcher_impl.call_methods_failures)
    monkeypatch.setattr(oscmethod, "call_flat_failures", matcher_impl.call_flat_failures)
    oscmethod.compile_pattern.cache_clear()
    yield oscmethod
    oscmethod.compile_pattern.cache_clear()


def noop(*args: Any) -> None:
    pass


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> None:
        self.calls.append(args)


SCHEME_NAMES = [
    "OSCARG_DATAUNPACK",
    "OSCARG_DATA",
    "OSCARG_MESSAGE",
    "OSCARG_MESSAGEUNPACK",
    "OSCARG_ADDRESS",
    "OSCARG_TYPETAGS",
    "OSCARG_EXTRAUNPACK",
    "OSCARG_EXTRA",
    "OSCARG_METHODFILTER",
    "OSCARG_PACKOPT",
    "OSCARG_READERNAME",
    "OSCARG_SRCIDENT",
    "OSCARG_READTIME",
]


@pytest.mark.parametrize("name", SCHEME_NAMES)
def test_argscheme_constants_are_osc4py3s(name: str) -> None:
    assert getattr(oscmethod, name) == getattr(osc4py3_method, name)
    assert name in oscmethod.__all__


# --- argument building, side by side with osc4py3 --------------------------------------

COMBINATIONS = [(name,) for name in SCHEME_NAMES if name != "OSCARG_PACKOPT"] + [
    ("OSCARG_ADDRESS", "OSCARG_DATAUNPACK"),
    ("OSCARG_MESSAGEUNPACK", "OSCARG_EXTRA", "OSCARG_TYPETAGS"),
    ("OSCARG_EXTRAUNPACK", "OSCARG_DATA", "OSCARG_READERNAME", "OSCARG_SRCIDENT"),
    ("OSCARG_DATAUNPACK", "OSCARG_DATAUNPACK"),
]


@pytest.mark.parametrize("names", COMBINATIONS)
def test_arguments_as_osc4py3_builds_them(om: ModuleType, names: tuple[str, ...]) -> None:
    scheme = sum((getattr(om, name) for name in names), ())
    ours, theirs = Recorder(), Recorder()
    mine = om.MethodFilter("/a/b", ours, argscheme=scheme, extra=("x", 7))
    peer = osc4py3_method.MethodFilter("/a/b", theirs, argscheme=scheme, extra=("x", 7))
    mine(OSCMessage("/a/b", ",is", (1, "two")), None)
    peer(osc4py3_parse.OSCMessage("/a/b", ",is", (1, "two")), None)
    assert len(ours.calls) == len(theirs.calls) == 1

    # The filter object and message classes differ; compare what they stand for.
    def normal(args: tuple[Any, ...]) -> list[Any]:
        out: list[Any] = []
        for arg in args:
            if isinstance(arg, (om.MethodFilter, osc4py3_method.MethodFilter)):
                out.append("<filter /a/b>")
            elif isinstance(arg, tuple) and len(arg) == 3 and hasattr(arg, "addrpattern"):
                out.append(tuple(arg))
            else:
                out.append(arg)
        return out

    assert normal(ours.calls[0]) == normal(theirs.calls[0])


def test_packet_option_arguments(om: ModuleType) -> None:
    record = Recorder()
    scheme = om.OSCARG_READERNAME + om.OSCARG_SRCIDENT + om.OSCARG_READTIME + om.OSCARG_DATA
    method = om.MethodFilter("/x", record, patternkind="spec", argscheme=scheme)
    options = PacketOptions(readername="udp-in", srcident=("127.0.0.1", 9000), readtime=12.5)
    method(OSCMessage("/x", ",i", (3,)), options)
    method(OSCMessage("/x", ",i", (4,)), None)
    assert record.calls == [("udp-in", ("127.0.0.1", 9000), 12.5, (3,)), (None, None, None, (4,))]


def test_packopt_argument_is_a_filled_copy(om: ModuleType) -> None:
    record = Recorder()
    method = om.MethodFilter("/x", record, argscheme=om.OSCARG_PACKOPT + om.OSCARG_DATAUNPACK)
    assert method.needpackopt
    options = PacketOptions(readername="tcp")
    message = OSCMessage("/x", ",f", (0.5,))
    method(message, options)
    given_options, value = record.calls[0]
    assert value == 0.5
    assert given_options is not options
    assert given_options.readername == "tcp"
    assert given_options.message is message and given_options.method is method
    assert options.message is None and options.method is None
    method(message, None)
    assert record.calls[1] == (None, 0.5)


def test_failing_handler_is_logged_and_counted(
    om: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("handler failure")

    message = OSCMessage("/x", ",i", (1,))
    fast = om.MethodFilter("/x", boom)
    slow = om.MethodFilter("/x", boom, argscheme=om.OSCARG_DATA)
    with caplog.at_level(logging.ERROR, logger="oscwire.oscmethod"):
        fast(message, None)
        slow(message, None)
        assert om.call_methods([fast, slow, fast], message, None) == 3
    assert fast.failures == 3 and slow.failures == 2
    # The first failure of each handler in full, with its traceback; the rest counted.
    assert sum("handler failure" in r.exc_text for r in caplog.records if r.exc_text) == 2


def test_own_logger_receives_failures(om: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.oscmethod.own")
    method = om.MethodFilter("/x", lambda: 1 / 0, argscheme=(), logger=logger)
    with caplog.at_level(logging.ERROR, logger="test.oscmethod.own"):
        method(OSCMessage("/x", ",", ()), None)
    assert [r.name for r in caplog.records] == ["test.oscmethod.own"]


def test_call_methods_counts_and_calls_in_order(om: ModuleType) -> None:
    calls: list[tuple[str, Any]] = []
    a = om.MethodFilter("/x", lambda v: calls.append(("a", v)))
    b = om.MethodFilter("/x", lambda d: calls.append(("b", d)), argscheme=om.OSCARG_DATA)
    message = OSCMessage("/x", ",i", (5,))
    assert om.call_methods([a, b, a], message, None) == 3
    assert om.call_methods([], message, None) == 0
    assert calls == [("a", 5), ("b", (5,)), ("a", 5)]


def test_call_flat_failures_runs_each_triple_in_order_and_counts(
    om: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[Any] = []

    def boom(*args: Any) -> None:
        calls.append(("boom", args))
        raise RuntimeError("handler failure")

    class BrokenFilterError(Exception):
        pass

    class Broken:
        """Not a MethodFilter: calling it raises outside any handler."""

        fastfunc = None
        failures = 0

        def __call__(self, message: Any, packopt: Any) -> None:
            raise BrokenFilterError("not a filter")

    ok = om.MethodFilter("/x", lambda v: calls.append(("ok", v)))
    bad = om.MethodFilter("/x", boom)
    first, second = OSCMessage("/x", ",i", (1,)), OSCMessage("/x", ",i", (2,))
    flat = [[ok, bad], first, None, [Broken()], second, None, [ok], second, None]
    with caplog.at_level(logging.ERROR):
        assert om.call_flat_failures(flat) == (4, 2)  # 4 calls: boom and Broken failed
        assert om.call_flat_failures([]) == (0, 0)
    assert calls == [("ok", 1), ("boom", (1,)), ("ok", 2)]
    assert "not a filter" in caplog.text


def test_call_methods_failures_counts_raising_calls(
    om: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[Any] = []

    def boom(*args: Any) -> None:
        calls.append(("boom", args))
        raise RuntimeError("handler failure")

    fast_ok = om.MethodFilter("/x", lambda v: calls.append(("ok", v)))
    fast_bad = om.MethodFilter("/x", boom)
    slow_bad = om.MethodFilter("/x", boom, argscheme=om.OSCARG_DATA)
    slow_ok = om.MethodFilter("/x", lambda d: calls.append(("data", d)), argscheme=om.OSCARG_DATA)
    message = OSCMessage("/x", ",i", (7,))
    with caplog.at_level(logging.ERROR, logger="oscwire.oscmethod"):
        assert om.call_methods_failures([fast_ok, fast_bad, slow_bad, slow_ok], message, None) == 2
        assert om.call_methods_failures([fast_ok, slow_ok], message, None) == 0
        assert om.call_methods_failures([], message, None) == 0
    assert calls == [
        ("ok", 7),
        ("boom", (7,)),
        ("boom", ((7,),)),
        ("data", (7,)),
        ("ok", 7),
        ("data", (7,)),
    ]
    assert (fast_bad.failures, slow_bad.failures, fast_ok.failures) == (1, 1, 0)
    assert sum("handler failure" in r.exc_text for r in caplog.records if r.exc_text) == 2


def fastfunc(method: Any) -> Any:
    """Read fastfunc afresh (mypy would keep an earlier narrowing of ``method.fastfunc``)."""
    return method.fastfunc


def test_fastfunc_follows_the_call_shape_and_failed_counts(om: ModuleType) -> None:
    def handler(*args: Any) -> None:
        pass

    method: Any = om.MethodFilter("/x", handler)
    assert fastfunc(method) is handler
    method.argscheme = om.OSCARG_DATA
    assert fastfunc(method) is None
    method.argscheme = om.OSCARG_DATAUNPACK
    method.lock = threading.Lock()
    assert fastfunc(method) is None
    method.lock = None
    assert fastfunc(method) is handler
    with pytest.raises(AttributeError):
        method.fastfunc = print
    try:
        raise ValueError("reported by a dispatcher")
    except ValueError:
        method.failed()
    assert method.failures == 1


def test_list_arguments_are_unpacked(om: ModuleType) -> None:
    record = Recorder()
    method = om.MethodFilter("/x", record)
    om.call_methods([method], OSCMessage("/x", ",ii", [1, 2]), None)
    assert record.calls == [(1, 2)]


def test_lock_is_held_during_the_call(om: ModuleType) -> None:
    lock = threading.Lock()
    seen: list[bool] = []
    method = om.MethodFilter("/x", lambda *a: seen.append(lock.locked()), lock=lock)
    om.call_methods([method], OSCMessage("/x", ",i", (1,)), None)
    method(OSCMessage("/x", ",i", (1,)), None)
    assert seen == [True, True] and not lock.locked()
    method.lock = None
    method(OSCMessage("/x", ",i", (1,)), None)
    assert seen == [True, True, False]


class FakeQueue:
    def __init__(self, terminated: bool = False) -> None:
        self.terminated = terminated
        self.jobs: list[tuple[Any, tuple[Any, ...]]] = []

    def send_callable(self, function: Any, args: tuple[Any, ...]) -> None:
        self.jobs.append((function, args))


def test_workqueue_receives_the_call(om: ModuleType) -> None:
    record = Recorder()
    queue = FakeQueue()
    method = om.MethodFilter(
        "/x", record, argscheme=om.OSCARG_ADDRESS + om.OSCARG_DATAUNPACK, workqueue=queue
    )
    om.call_methods([method], OSCMessage("/x", ",i", (9,)), None)
    assert record.calls == [] and len(queue.jobs) == 1
    function, args = queue.jobs[0]
    function(*args)
    assert record.calls == [("/x", 9)]
    stopped = om.MethodFilter("/x", record, workqueue=FakeQueue(terminated=True))
    stopped(OSCMessage("/x", ",i", (1,)), None)
    assert record.calls == [("/x", 9)]


def test_extra_unpack_failure_is_reported(om: ModuleType) -> None:
    record = Recorder()
    method = om.MethodFilter("/x", record, argscheme=om.OSCARG_EXTRAUNPACK, extra=5)
    method(OSCMessage("/x", ",", ()), None)
    assert record.calls == [] and method.failures == 1


def test_constructor_rejects_bad_arguments(om: ModuleType) -> None:
    with pytest.raises(ValueError):
        om.MethodFilter("/x", noop, patternkind="glob")
    with pytest.raises(ValueError):
        om.MethodFilter("/x", noop, argscheme=("nonsense",))
    with pytest.raises(TypeError):
        om.MethodFilter("/x", "not callable")
    with pytest.raises(OSCPatternError):
        om.MethodFilter("/x[", noop, patternkind="re")
    with pytest.raises(OSCPatternError):
        om.MethodFilter("/x/{a,b", noop, patternkind="spec")


@pytest.mark.parametrize("kind", ["osc", "spec", "re"])
def test_repr(om: ModuleType, kind: str) -> None:
    method = om.MethodFilter("/a/b", noop, patternkind=kind, argscheme=om.OSCARG_DATA, extra=1)
    text = repr(method)
    assert text.startswith("MethodFilter('/a/b', ")
    assert "argscheme=('data',)" in text and "extra=1" in text
    assert ("patternkind" in text) is (kind != "osc")


# --- literal address validation ----------------------------------------------------------

BAD_ADDRESSES = ["a/b", "/a b", "/a#b", "/a,b", "/a/", "/", "/a\tb", "/a\x7f"]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_invalid_literal_spec_address(om: ModuleType, address: str) -> None:
    with pytest.raises(OSCInvalidAddressError) as info:
        om.MethodFilter(address, noop, patternkind="spec")
    assert isinstance(info.value, ValueError)
    assert repr(address) in str(info.value)


@pytest.mark.parametrize("address", ["/a", "/a/b/c", "/synth.1/freq-hz", "/été/ß", "/a!$+(.)"])
def test_valid_literal_addresses(om: ModuleType, address: str) -> None:
    assert om.validate_address(address) == address
    assert om.MethodFilter(address, noop, patternkind="spec").match(address)


# --- pattern kinds -----------------------------------------------------------------------

OSC_PATTERNS = [
    "/test",
    "/test/",
    "/",
    "/a/*/b",
    "/a/?",
    "/a//b",
    "//b",
    "/{ab,c}x",
    "/{,a}b",
    "/[!a-c]x",
    "/[a-c]",
    "/[-a]",
    "/a.b",
    "/a+b",
    "/f(x)",
    "/a$",
    "/a|b",
    "/a^b",
    "/x*",
    "/{a,b}/{c,d}",
]
OSC_ADDRESSES = [
    "/test",
    "/testing",
    "/test/sub",
    "/tes",
    "/",
    "/a/x/b",
    "/a/x/b/c",
    "/a/b",
    "/a/x/y/b",
    "/ab/b",
    "/abx",
    "/cx",
    "/dx",
    "/b",
    "/a.b",
    "/axb",
    "/a+b",
    "/f(x)",
    "/a$",
    "/a|b",
    "/a^b",
    "/x",
    "/xyz/w",
    "/a/c",
    "/b/d/e",
    "/-",
    "/test\n",
    "/test\nmore",
    "",
]


@pytest.mark.parametrize("pattern", OSC_PATTERNS)
def test_osc_kind_matches_like_osc4py3(om: ModuleType, pattern: str) -> None:
    mine = om.MethodFilter(pattern, noop)
    peer = osc4py3_method.MethodFilter(pattern, noop)
    for address in OSC_ADDRESSES:
        assert mine.match(address) is peer.match(address), (pattern, address)


def test_osc_kind_prefix_rule() -> None:
    # The example, by hand: '/test' also reaches '/test/sub' and '/testing'.
    method = oscmethod.MethodFilter("/test", noop)
    assert method.match("/test") and method.match("/test/sub") and method.match("/testing")
    assert not method.match("/tes") and not method.match("/other/test")
    spec = oscmethod.MethodFilter("/test", noop, patternkind="spec")
    assert spec.match("/test") and not spec.match("/testing") and not spec.match("/test/sub")


_osc_token = st.one_of(
    st.text(alphabet="ab.+$", min_size=1, max_size=2),
    st.sampled_from(["*", "?", "/", "//", "[ab]", "[!a]", "[a-b]", "{a,b}", "{,a}", "{ab,b}"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_CHECKS)
@given(
    pattern=st.lists(_osc_token, max_size=5).map(lambda t: "/" + "".join(t)),
    address=st.text(alphabet="/ab.+$x", max_size=10),
)
def test_osc_kind_agrees_with_osc4py3(om: ModuleType, pattern: str, address: str) -> None:
    mine = om.MethodFilter(pattern, noop)
    peer = osc4py3_method.MethodFilter(pattern, noop)
    assert mine.match(address) is peer.match(address)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("/mixer/channel-1/fader", "^/mixer/channel-1/fader.*$"),
        ("/my synth/#1", "^/my synth/#1.*$"),
        ("/a.b/*", "^/a\\.b/[^/]*.*$"),
        ("/ch/[!0-9]", "^/ch/[^0-9].*$"),
    ],
)
def test_osc_kind_repattern_reads_as_osc4py3s(om: ModuleType, pattern: str, expected: str) -> None:
    # repattern is one of osc4py3's documented attributes: the same text, not only the
    # same matches (written out by hand from osc4py3's conversion rules).
    assert om.MethodFilter(pattern, noop).repattern == expected
    assert osc4py3_method.MethodFilter(pattern, noop).repattern == expected


@pytest.mark.parametrize("pattern", [r"^/a/\d+$", "/ch(an)?", r"/x\.y"])
def test_re_kind_matches_like_osc4py3(om: ModuleType, pattern: str) -> None:
    mine = om.MethodFilter(pattern, noop, patternkind="re")
    peer = osc4py3_method.MethodFilter(pattern, noop, patternkind="re")
    assert mine.repattern == pattern
    for address in ["/a/12", "/a/1x", "/ch", "/chan", "/chanx", "/x.y", "/xzy", "/b"]:
        assert mine.match(address) is peer.match(address), (pattern, address)


def test_spec_filter_match(om: ModuleType) -> None:
    literal = om.MethodFilter("/mixer/ch1/fader", noop, patternkind="spec")
    assert literal.match("/mixer/ch1/fader")
    assert literal.match("/mixer/*/fader")  # message-side pattern
    assert literal.match("//fader")
    assert not literal.match("/mixer/ch1")
    assert not literal.match("/mixer/[")  # malformed message pattern matches nothing
    handler_side = om.MethodFilter("/mixer/ch[0-9]/*", noop, patternkind="spec")
    assert handler_side.match("/mixer/ch7/gain")
    assert not handler_side.match("/mixer/ch7/gain/x")
    assert literal.reobject is None and handler_side.repattern is None


def test_match_pattern_function(om: ModuleType) -> None:
    assert om.match_pattern("/mixer/channel/*/fader", "/mixer/channel/3/fader")
    assert not om.match_pattern("/qwer/*/zxcv", "/qwer/a/zxcvmore")
    with pytest.raises(OSCPatternError):
        om.match_pattern("/[", "/a")


# --- MethodIndex -------------------------------------------------------------------------


def spec(address: str) -> oscmethod.MethodFilter:
    return oscmethod.MethodFilter(address, noop, patternkind="spec")


def test_index_exact_and_order(om: ModuleType) -> None:
    index = om.MethodIndex()
    a1, b, a2 = spec("/a"), spec("/b"), spec("/a")
    catch_all = om.MethodFilter("/", noop)  # osc kind: prefix of every address
    for method in (a1, catch_all, b, a2):
        index.add(method)
    assert len(index) == 4 and list(index) == [a1, catch_all, b, a2]
    assert index.match("/a") == [a1, catch_all, a2]
    assert index.match("/b") == [catch_all, b]
    assert index.match("/c") == [catch_all]
    assert index.match("nothing") == []


def test_index_add_twice_and_remove(om: ModuleType) -> None:
    index = om.MethodIndex()
    a = spec("/a/b")
    index.add(a)
    index.add(a)
    assert len(index) == 1 and index.match("/a/b") == [a]
    assert index.remove(a) is True
    assert index.remove(a) is False
    assert len(index) == 0 and index.match("/a/b") == [] and index.match("/a/*") == []
    assert index._trie.children == {}  # the branch was pruned


def test_index_cache_follows_changes(om: ModuleType) -> None:
    index = om.MethodIndex()
    a, b = spec("/m/1"), spec("/m/2")
    index.add(a)
    assert index.match("/m/*") == [a]
    assert index.match("/m/2") == []
    index.add(b)
    assert index.match("/m/*") == [a, b]
    assert index.match("/m/2") == [b]
    index.remove(a)
    assert index.match("/m/*") == [b]
    returned = index.match("/m/*")
    returned.append("garbage")
    assert index.match("/m/*") == [b]


def test_index_lookup_is_match_without_a_copy(om: ModuleType) -> None:
    index = om.MethodIndex()
    a, b = spec("/m/1"), spec("/m/2")
    index.add(a)
    index.add(b)
    first = index.lookup("/m/*")
    assert first == (a, b) and isinstance(first, tuple)
    assert index.lookup("/m/*") is first  # cached: nothing allocated the second time
    assert list(first) == index.match("/m/*")
    assert index.lookup("/none") == ()
    long_address = "/" + "z" * 1000  # not cached, still answered
    assert index.lookup(long_address) == () and long_address not in index._cache
    index.remove(a)
    assert index.lookup("/m/*") == (b,)


def test_index_cache_is_bounded(om: ModuleType) -> None:
    index = om.MethodIndex(cache_size=8)
    index.add(spec("/a"))
    for i in range(100):
        index.match(f"/x{i}")
    index.match("/" + "y" * 1000)
    assert len(index._cache) <= 8
    assert all(len(key) <= index.MAX_CACHED_ADDRESS for key in index._cache)


def test_index_message_side_patterns(om: ModuleType) -> None:
    index = om.MethodIndex()
    faders = [spec(f"/mixer/channel/{i}/fader") for i in range(5)]
    gains = [spec(f"/mixer/channel/{i}/gain") for i in range(5)]
    for f, g in zip(faders, gains):
        index.add(f)
        index.add(g)
    assert index.match("/mixer/channel/*/fader") == faders
    assert index.match("/mixer/channel/[13]/*") == [faders[1], gains[1], faders[3], gains[3]]
    assert index.match("//gain") == gains
    assert index.match("/mixer//") == [m for pair in zip(faders, gains) for m in pair]
    assert index.match("/mixer/channel/{0,4}/{fader,gain}") == [
        faders[0],
        gains[0],
        faders[4],
        gains[4],
    ]
    assert index.match("/mixer/channel/[") == []  # malformed: nothing


def test_index_handler_side_kinds(om: ModuleType) -> None:
    index = om.MethodIndex()
    osc_pattern = om.MethodFilter("/s/*/freq", noop)
    regex = om.MethodFilter(r"/s/\d+/amp$", noop, patternkind="re")
    spec_pattern = om.MethodFilter("/s/[0-9]/freq", noop, patternkind="spec")
    prefix = om.MethodFilter("/s/1", noop)
    for method in (osc_pattern, regex, spec_pattern, prefix):
        index.add(method)
    assert index.match("/s/1/freq") == [osc_pattern, spec_pattern, prefix]
    assert index.match("/s/12/amp") == [regex, prefix]
    assert index.match("/s/12/freq/x") == [osc_pattern, prefix]
    assert index.match("/s/1\nx") == []  # osc4py3's '.*$' stops at a newline
    assert osc4py3_method.MethodFilter("/s/1", noop).match("/s/1\nx") is False
    # osc and re filters see a message-side pattern as plain text, as osc4py3 does
    assert index.match("/s/*/freq") == [osc_pattern]


_names = st.sampled_from(["a", "b", "ab", "ch1", "ch2", "x.y"])
_addresses = st.lists(_names, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
_message_patterns = st.lists(
    st.sampled_from(["a", "b", "*", "?", "ch?", "[ab]", "{a,ab}", "", "x.y", "c*"]),
    min_size=1,
    max_size=4,
).map(lambda parts: "/" + "/".join(parts))


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_CHECKS)
@given(addresses=st.lists(_addresses, min_size=1, max_size=12), pattern=_message_patterns)
def test_index_walk_equals_testing_every_method(
    om: ModuleType, addresses: list[str], pattern: str
) -> None:
    index = om.MethodIndex()
    methods = [spec(address) for address in addresses]
    for method in methods:
        index.add(method)
    try:
        expected = [m for m in methods if om.match_pattern(pattern, m.addrpattern)]
    except OSCPatternError:
        expected = []
    assert index.match(pattern) == expected
    assert index.match(pattern) == expected  # from the cache


def test_index_concurrent_add_and_match(om: ModuleType) -> None:
    index = om.MethodIndex(cache_size=16)
    added: list[oscmethod.MethodFilter] = []
    errors: list[BaseException] = []

    def writer() -> None:
        for i in range(200):
            method = spec(f"/t/{i}")
            index.add(method)
            added.append(method)

    def reader() -> None:
        try:
            for i in range(2000):
                index.match(f"/t/{i % 50}")
                index.match("/t/*")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert index.match("/t/*") == added
    assert index.match("/t/7") == [added[7]]


# --- exceptions osc4py3 programs catch ---------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "kind"), [("/x[", "re"), ("(", "re"), ("/[z-a]", "osc"), ("/a/{b,[c-a]}", "osc")]
)
def test_bad_regex_is_also_a_re_error(om: ModuleType, pattern: str, kind: str) -> None:
    with pytest.raises(re.error) as peer:  # what osc4py3 raises, so what its programs catch
        osc4py3_method.MethodFilter(pattern, noop, patternkind=kind)
    with pytest.raises(re.error) as as_re:
        om.MethodFilter(pattern, noop, patternkind=kind)
    with pytest.raises(OSCPatternError) as as_pattern:
        om.MethodFilter(pattern, noop, patternkind=kind)
    assert isinstance(as_pattern.value, ValueError)
    assert repr(pattern) in str(as_re.value)
    if kind == "re":
        assert (as_re.value.pattern, as_re.value.pos) == (peer.value.pattern, peer.value.pos)


def test_bad_argscheme_is_also_a_runtime_error(om: ModuleType) -> None:
    with pytest.raises(RuntimeError, match="unknown argument scheme"):
        osc4py3_method.MethodFilter("/x", noop, argscheme=("nonsense",))
    with pytest.raises(RuntimeError, match="unknown argument scheme 'nonsense'"):
        om.MethodFilter("/x", noop, argscheme=("nonsense",))
    with pytest.raises(ValueError, match="unknown argument scheme 'nonsense'"):
        om.MethodFilter("/x", noop, argscheme=(*om.OSCARG_DATA, "nonsense"))


# --- what the matcher twins use of a filter ----------------------------------------------


def test_method_filter_is_dispatchable_and_fastfunc_read_only(om: ModuleType) -> None:
    method = om.MethodFilter("/x", noop)
    assert isinstance(method, Dispatchable)
    with pytest.raises(AttributeError, match="fastfunc is read-only"):
        method.fastfunc = print  # type: ignore[misc]
    assert method.fastfunc is noop


class OwnDispatchable:
    """Only the public contract: no MethodFilter, no private attribute."""

    __slots__ = ("calls", "failures", "fastfunc", "reported")

    def __init__(self, fastfunc: Any) -> None:
        self.fastfunc = fastfunc
        self.failures = 0
        self.calls: list[Any] = []
        self.reported: list[str] = []

    def failed(self, what: str = "failure") -> None:
        self.failures += 1
        self.reported.append(repr(sys.exc_info()[1]))

    def __call__(self, message: Any, packopt: Any) -> None:
        self.calls.append(message.arguments)
        if message.arguments == (0,):
            self.failures += 1


def test_twins_dispatch_any_dispatchable(om: ModuleType) -> None:
    def boom(value: int) -> None:
        raise ValueError(f"bad {value}")

    fast = OwnDispatchable(boom)
    slow = OwnDispatchable(None)
    assert isinstance(fast, Dispatchable)
    message = OSCMessage("/x", ",i", (0,))
    assert om.call_methods_failures([fast, slow], message, None) == 2
    assert om.call_flat_failures([[fast, slow], message, None]) == (2, 2)
    assert fast.reported == ["ValueError('bad 0')"] * 2 and fast.calls == []
    assert slow.calls == [(0,), (0,)] and slow.failures == 2


def test_oscmethod_uses_the_selected_twin() -> None:
    expected = "python" if _accel.NO_EXTENSIONS else _accel.implementations()["matcher"]
    selected = vars(oscmethod)["_impl"]
    assert selected.__name__ == f"oscwire._matcher_{'c' if expected == 'cython' else 'py'}"
    assert oscmethod.has_wildcards is selected.has_wildcards


# --- failing handlers: the first logged in full, the rest counted -------------------------


def test_failures_are_throttled_per_handler(
    om: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("handler failure")

    method = om.MethodFilter("/x", boom)
    other = om.MethodFilter("/y", boom, argscheme=om.OSCARG_DATA)
    message = OSCMessage("/x", ",i", (1,))
    with caplog.at_level(logging.ERROR, logger="oscwire.oscmethod"):
        for _ in range(1000):
            assert om.call_methods_failures([method, other], message, None) == 2
        full = [r for r in caplog.records if r.exc_text]
        assert [r.getMessage().split(" (")[0] for r in full] == [
            "OSC method '/x'",
            "OSC method '/y'",
        ]
        assert all("RuntimeError: handler failure" in (r.exc_text or "") for r in full)
        method._throttle.flush()
        summary = caplog.records[-1].getMessage()
        other._throttle.flush()
    assert method.failures == other.failures == 1000
    assert summary.startswith("…and 999 more failures of handler '/x' (<function ")
    assert "boom" in summary


def test_first_failure_reaches_stderr_without_logging_configured(tmp_path: Any) -> None:
    script = tmp_path / "failing.py"
    script.write_text(
        textwrap.dedent(
            """
            from oscwire.oscbuildparse import OSCMessage
            from oscwire.oscmethod import MethodFilter, call_methods

            def on_x(value):
                raise ZeroDivisionError("handler bug")

            method = MethodFilter("/x", on_x)
            for i in range(500):
                call_methods([method], OSCMessage("/x", ",i", (i,)), None)
            print("failures", method.failures)
            """
        )
    )
    for no_extensions in ("0", "1"):
        env = dict(os.environ, OSCWIRE_NO_EXTENSIONS=no_extensions)
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "failures 500\n"
        assert done.stderr.count("Traceback (most recent call last)") == 1
        assert "ZeroDivisionError: handler bug" in done.stderr
        assert "OSC method '/x' (<function on_x at " in done.stderr
        assert "…and 499 more failures of handler '/x' (<function on_x at " in done.stderr
        assert len(done.stderr) < 2000  # not 500 tracebacks


class _Replying:
    """A duck-typed filter with a reply function (the object API's forms use the same)."""

    fastfunc = None

    def __init__(self, function: Any, replyaddress: bool, answer_fails: bool = False) -> None:
        self.replyfunc = function
        self.replyaddress = replyaddress
        self.failures = 0
        self.answer_fails = answer_fails
        self.answered: list[tuple[Any, Any, Any]] = []
        self.failed_with: list[tuple[Any, tuple[Any, ...], str]] = []

    def handler_failed(self, message: Any, arguments: tuple[Any, ...], error: Exception) -> None:
        self.failures += 1
        self.failed_with.append((message, arguments, str(error)))

    def answer(self, result: Any, packopt: Any, message: Any) -> None:
        if self.answer_fails:
            self.failures += 1
        self.answered.append((result, packopt, message))

    def __call__(self, message: Any, packopt: Any) -> None:
        raise AssertionError("a filter with a replyfunc is called through it")


def test_reply_functions_are_called_and_their_results_answered(om: ModuleType) -> None:
    message = OSCMessage("/x", ",if", (7, 0.5))
    packopt = object()
    with_address = _Replying(lambda address, *args: ("/back", address, *args), True)
    args_only = _Replying(lambda *args: None, False)
    raising = _Replying(lambda *args: 1 / 0, True)
    reply_lost = _Replying(lambda *args: "/lost", False, answer_fails=True)
    filters = [with_address, args_only, raising, reply_lost]
    assert om.call_methods_failures(filters, message, packopt) == 2  # raising, reply_lost
    assert with_address.answered == [(("/back", "/x", 7, 0.5), packopt, message)]
    assert args_only.answered == []  # None: nothing to send back
    assert raising.failed_with == [(message, ("/x", 7, 0.5), "division by zero")]
    assert reply_lost.answered == [("/lost", packopt, message)]
    assert om.call_flat_failures([filters, message, packopt]) == (4, 2)
    assert len(with_address.answered) == 2


def test_a_message_for_a_terminated_workqueue_is_dismissed_loudly(
    om: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    from oscwire.osctoolspools import WorkQueue

    queue = WorkQueue()
    queue.terminate()
    calls: list[Any] = []
    method = om.MethodFilter("/q", calls.append, workqueue=queue)
    with caplog.at_level(logging.INFO, logger="oscwire.oscmethod"):
        for value in range(3):
            method(OSCMessage("/q", ",i", (value,)), None)
    assert calls == []
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1  # the first in full; the next ones counted in a summary
    assert "message /q dismissed: its workqueue is terminated" in warnings[0].getMessage()
