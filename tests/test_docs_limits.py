"""docs/limits.md stays true, and what happens when a bound is reached.

The page: each table row names its source (the first code span of its *change with*
column: a constant such as ``oscwire._runtime.MAX_RECEIVED_BATCHES``, or a key of
:data:`PROBES`, which reads the value the code uses from objects built with their
defaults), and the numbers of its *default* column must be those values. Every numeric
module constant of ``src/oscwire`` whose name says it is a bound (:data:`BOUND_WORDS`) must
appear on the page, so that a new bound cannot be added undocumented.

The bounds: each test reaches a bound that no other test module shows reached, or one
that did not hold before the page was written (lowered with ``monkeypatch`` where the
default would take long), and asserts what the user sees: the exception and its message,
the log line (first in full, then a counted summary), the counter in ``stats``, what is
dropped.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import io
import logging
import re
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, NamedTuple

import pytest

import oscwire
from oscwire import (
    _asyncio_runtime,
    _cli_dump,
    _cli_format,
    _codec_oob,
    _policies,
    _replies,
    _runtime,
    as_asyncio,
)
from oscwire._errors import OSCError, OSCTruncatedRawError, OSCUnknownChannelError
from oscwire._logutil import LogThrottle
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSCBundle, OSCMessage, encode_packet, unixtime2timetag
from oscwire.oscdispatching import MAX_BUNDLE_NESTING, SOURCE_SHARE, Dispatcher
from oscwire.oscdistributing import MAX_NAMES_DEPTH
from oscwire.oscmethod import MethodFilter
from oscwire.oscpacketoptions import PacketOptions
from oscwire.osctcp import TcpChannel
from oscwire.oscudpmc import UdpMcChannel

MiB = 1 << 20
DEADLINE = 10.0


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """The log lines of the test that contain *text*."""
    return [record.getMessage() for record in caplog.records if text in record.getMessage()]


def wait_for(condition: Callable[[], object], timeout: float = DEADLINE) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def padded(data: bytes) -> bytes:
    return data + b"\0" * (4 - len(data) % 4)


# ---------------------------------------------------------------------------- the page
PAGE = Path(__file__).resolve().parent.parent / "docs" / "limits.md"
SOURCE = Path(__file__).resolve().parent.parent / "src" / "oscwire"
HEADER = ("bound", "default", "when reached", "change with")
CODE_SPAN = re.compile(r"`([^`]+)`")
#: A number (thousands separated by spaces: ``65 536``) and its unit, if any.
QUANTITY = re.compile(r"(?<![\w.])(\d{1,3}(?: \d{3})+|\d+(?:\.\d+)?)(?:\s*(GiB|MiB|KiB|B|s)\b)?")
UNITS = {"": 1, "B": 1, "s": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
#: Words of a constant's name (split on ``_``) that make it a bound to document.
BOUND_WORDS = frozenset(
    {"MAX", "LIMIT", "CONGESTED", "DEFAULT", "BATCH", "TOTAL", "SHARE", "BYTES", "SIZE"}
    | {"CAUSES", "DEPTH", "NESTING", "WAITING", "TIMEOUT", "AGE", "PAUSE", "LINGER"}
    | {"CHUNK", "INTERVAL", "DELAY", "BUFSIZE", "RCVBUF", "TAGS", "PEERS", "RECORDS"}
)
#: Numeric constants with such a name that bound nothing, and why.
NOT_BOUNDS = {"_codec_py._FLT_MAX": "the largest float32: a range of values"}


class Row(NamedTuple):
    """One row of a table of the page."""

    line: int
    bound: str
    default: str
    reached: str
    change: str

    @property
    def source(self) -> str:
        spans = CODE_SPAN.findall(self.change)
        return spans[0] if spans else ""


def page_rows() -> list[Row]:
    found: list[Row] = []
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    in_table = False
    for number, line in enumerate(lines, 1):
        if not line.startswith("|"):
            in_table = False
            continue
        cells = tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
        if cells == HEADER:
            in_table = True
        elif in_table and set(line) - set("|- "):
            assert len(cells) == len(HEADER), f"docs/limits.md:{number}: {len(cells)} cells"
            found.append(Row(number, *cells))
    return found


ROWS = page_rows()


def quantities(cell: str) -> list[float]:
    """The numbers of a cell (code spans left out), in bytes or seconds."""
    text = CODE_SPAN.sub("", cell)
    return [float(number.replace(" ", "")) * UNITS[unit] for number, unit in QUANTITY.findall(text)]


def resolve(dotted: str) -> Any:
    """The object named ``oscwire.module[.Class].NAME``."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            target = getattr(target, name)
        return target
    raise ImportError(dotted)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Defaults(NamedTuple):
    """Objects built with their default options: what the probes read."""

    system: OSCSystem
    udp: Any
    server: Any
    client: Any


def same(*values: Any) -> tuple[Any]:
    """One value that several objects must agree on (the default of a shared option)."""
    assert len(set(values)) == 1, values
    return (values[0],)


#: Sources that are not a constant: how to read the value the code uses.
PROBES: dict[str, Callable[[Defaults], tuple[Any, ...]]] = {
    "udpread_buffersize": lambda d: (d.udp.udpread_buffersize,),
    "udpread_rcvbuf": lambda d: (d.udp.udpread_rcvbuf,),
    "udpread_batch": lambda d: (d.udp.udpread_batch,),
    "write_maxpending": lambda d: same(d.udp.write_maxpending, d.client.write_maxpending),
    "read_maxsources": lambda d: (d.udp.read_maxsources,),
    "read_headermaxdatasize": lambda d: same(
        d.udp.read_headermaxdatasize, d.server.settings.maxpacket, d.client.settings.maxpacket
    ),
    "tcp_maxconnections": lambda d: (d.server.maxconnections,),
    "tcp_readmaxbytes_total": lambda d: (d.server.read_budget.limit,),
    "tcp_writemaxbytes_total": lambda d: (d.server.write_budget.limit,),
    "tcp_partial_timeout": lambda d: same(
        d.server.settings.partial_timeout, d.client.settings.partial_timeout
    ),
    "tcp_idle_timeout": lambda d: (d.server.settings.idle_timeout, d.client.settings.idle_timeout),
    "tcp_writemaxbytes": lambda d: same(
        d.server.settings.write_maxbytes, d.client.settings.write_maxbytes
    ),
    "tcp_maxbadpackets": lambda d: same(
        d.server.settings.maxbadpackets, d.client.settings.maxbadpackets
    ),
    "tcp_eoflinger": lambda d: same(d.server.settings.eoflinger, d.client.settings.eoflinger),
    "tcp_readbuffer": lambda d: same(d.server.settings.readsize, d.client.settings.readsize),
    "tcp_readbatch": lambda d: same(d.server.settings.readbatch, d.client.settings.readbatch),
    "tcp_connect_timeout": lambda d: (d.client.tcp_connect_timeout,),
    "tcp_reconnect_delay": lambda d: (
        d.client.tcp_reconnect_delay,
        d.client.tcp_reconnect_maxdelay,
    ),
    "max_bundle_depth": lambda d: (_codec_oob.parse_options({}).max_bundle_depth,),
    "max_array_depth": lambda d: (_codec_oob.parse_options({}).max_array_depth,),
    "max_pattern_address": lambda d: (d.system.dispatcher.index.max_pattern_address,),
    "MethodIndex(cache_size=…)": lambda d: (d.system.dispatcher.index._cache_size,),
    "MethodIndex(cache_bytes=…)": lambda d: (d.system.dispatcher.index.cache_bytes,),
    "max_delayed": lambda d: (d.system.dispatcher.delayed.max_count,),
    "max_delayed_bytes": lambda d: (d.system.dispatcher.delayed.max_bytes,),
    "max_delay": lambda d: (d.system.dispatcher.delayed.max_delay,),
    "oscwire.oscdispatching.SOURCE_SHARE": lambda d: (
        SOURCE_SHARE,
        d.system.dispatcher.delayed.source_count,
        d.system.dispatcher.delayed.source_bytes,
    ),
    "DnsCache(maxsize=…)": lambda d: (d.system.dnscache.maxsize,),
    "Client.query(timeout=…)": lambda d: (
        inspect.signature(oscwire.Client.query).parameters["timeout"].default,
    ),
    "LogThrottle(full=…)": lambda d: (LogThrottle(logging.getLogger("oscwire.test")).full,),
}


@pytest.fixture(scope="module")
def defaults() -> Iterator[Defaults]:
    """A started system and channels of each kind, made with default options, unopened."""
    system = OSCSystem("eventloop").start()
    common = {"osc_system": system, "auto_start": False}
    channels = [
        UdpMcChannel("udp", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, **common}),
        TcpChannel("server", "e", {"tcp_host": "127.0.0.1", "tcp_port": 0, **common}),
        TcpChannel("client", "w", {"tcp_host": "127.0.0.1", "tcp_port": 9, **common}),
    ]
    yield Defaults(system, *channels)
    for channel in channels:
        channel.terminate()
    system.terminate()


def test_the_page_has_tables_and_every_row_a_source() -> None:
    assert len(ROWS) > 50
    for row in ROWS:
        assert row.source, f"docs/limits.md:{row.line}: no code span in 'change with'"
        assert quantities(row.default), f"docs/limits.md:{row.line}: no number in 'default'"


@pytest.mark.parametrize("row", ROWS, ids=[row.bound for row in ROWS])
def test_each_documented_default_is_the_value_the_code_uses(row: Row, defaults: Defaults) -> None:
    if row.source in PROBES:
        expected = PROBES[row.source](defaults)
    else:
        assert row.source.startswith("oscwire."), f"{row.source!r}: not a constant nor a probe"
        expected = (resolve(row.source),)
    assert all(is_number(value) for value in expected), (row.source, expected)
    assert quantities(row.default) == pytest.approx(expected), f"docs/limits.md:{row.line}"
    # The other constants a row names are among its numbers (an option and its default).
    for span in CODE_SPAN.findall(row.change)[1:]:
        if span.startswith("oscwire."):
            value = resolve(span)
            if is_number(value):
                assert value in quantities(row.default), f"{span} = {value}, {row.default!r}"


def test_every_probe_is_the_source_of_a_row() -> None:
    assert sorted(set(PROBES) - {row.source for row in ROWS}) == []


def bound_constants() -> dict[str, object]:
    """``module.NAME`` (or ``module.Class.NAME``) -> value, for every numeric constant of
    ``src/oscwire`` named like a bound."""
    found: dict[str, object] = {}

    def walk(module: str, body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                walk(module, node.body, f"{prefix}{node.name}.")
                continue
            names = []
            if isinstance(node, ast.Assign):
                names = [target.id for target in node.targets if isinstance(target, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id] if node.value is not None else []
            for name in names:
                words = set(name.strip("_").split("_"))
                if name.lstrip("_").isupper() and words & BOUND_WORDS:
                    value = resolve(f"oscwire.{module}.{prefix}{name}")
                    if is_number(value):
                        found[f"{module}.{prefix}{name}"] = value

    for path in sorted(SOURCE.glob("*.py")):
        walk(path.stem, ast.parse(path.read_text(encoding="utf-8")).body, "")
    return found


def test_every_bound_constant_of_the_code_is_on_the_page() -> None:
    """A constant counts as documented under its own module, or under a module that
    exports it with the same name and value (``oscwire.framing.MAX_PACKET_SIZE``)."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    spans = {
        span for line in lines if not line.startswith("```") for span in CODE_SPAN.findall(line)
    }
    constants = bound_constants()
    assert set(NOT_BOUNDS) <= set(constants), "NOT_BOUNDS names a constant that is gone"
    missing = []
    for qualified, value in constants.items():
        if qualified in NOT_BOUNDS:
            continue
        name = qualified.split(".", 1)[1]
        candidates = [
            span
            for span in spans
            if span == f"oscwire.{qualified}"
            or (span.startswith("oscwire.") and span.endswith(f".{name}") and "." in span)
        ]
        if not any(resolve(span) == value for span in candidates):
            missing.append(f"oscwire.{qualified} = {value!r}")
    assert missing == []


@pytest.mark.parametrize("name", ["MAX_PACKET_SIZE", "HEADER_VIEW_LIMIT"])
def test_both_framing_twins_use_the_documented_bounds(framing_impl: ModuleType, name: str) -> None:
    assert getattr(framing_impl, name) == resolve(f"oscwire.framing.{name}")
    rows = [row for row in ROWS if f"`oscwire.framing.{name}`" in row.change]
    assert rows and all(quantities(row.default) == [getattr(framing_impl, name)] for row in rows)


def test_both_datagram_twins_use_the_documented_batch(netio_impl: ModuleType) -> None:
    (row,) = [row for row in ROWS if row.source == "oscwire._netio_py.SYSCALL_BATCH"]
    assert quantities(row.default) == [netio_impl.SYSCALL_BATCH]


# ----------------------------------------------------------------------------- the codec
def test_distinct_long_type_tag_strings_hold_no_memory(codec_impl: ModuleType) -> None:
    """The pure decoder cached a decoding plan per type tag string, the peer's choice: a
    plan for 30 000 tags held about 2 MiB, and 512 of them stayed cached."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(30):
            # Distinct tag strings: the number written in base 4 with T/F/N/I at the end.
            tail = bytes(b"TFNI"[(number >> shift) & 3] for shift in (0, 2, 4))
            raw = padded(b"/a") + padded(b"," + b"is" * 15000 + tail)
            with pytest.raises(OSCTruncatedRawError, match="int32 argument is truncated"):
                codec_impl.decode_packet(raw)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 4 * MiB, f"{grown / MiB:.1f} MiB held after 30 packets"


# ------------------------------------------------------------------------- dispatching
def test_sub_bundles_timed_before_their_parent_log_one_line_then_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """check_subbundle_timetag: each refused sub-bundle logged a line (a peer repeats it)."""
    dispatcher = Dispatcher()
    dispatcher.add_method(MethodFilter("/a", lambda *args: None))
    now = time.time()
    child = OSCBundle(unixtime2timetag(now - 2), [OSCMessage("/a", None, [1])])
    parent = OSCBundle(unixtime2timetag(now - 1), [child])
    with caplog.at_level(logging.WARNING, logger="oscwire.oscdispatching"):
        for _ in range(20):
            dispatcher.deliver(parent, PacketOptions(check_subbundle_timetag=True))
        dispatcher.terminate()  # reports what the log left out
    assert dispatcher.stats.subbundle_dropped == 20
    assert messages(caplog, "sub-bundle timed") == [
        "OSC dispatcher global: sub-bundle timed before its parent, dropped",
    ]
    assert messages(caplog, "…and") == [
        "…and 19 more sub-bundles timed before their parent dropped (only the first are shown)"
    ]


def test_bundles_nested_past_the_dispatch_bound_log_one_line_then_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher = Dispatcher()
    seen: list[int] = []
    dispatcher.add_method(MethodFilter("/a", seen.append))
    packet: object = OSCMessage("/a", None, [1])
    for _ in range(MAX_BUNDLE_NESTING + 1):
        packet = OSCBundle((0, 1), [packet])
    with caplog.at_level(logging.WARNING, logger="oscwire.oscdispatching"):
        for _ in range(10):
            dispatcher.deliver(packet, PacketOptions())
        dispatcher.terminate()
    assert seen == [] and dispatcher.stats.subbundle_dropped == 10
    assert messages(caplog, "nested") == [
        f"OSC dispatcher global: bundles nested more than {MAX_BUNDLE_NESTING} deep, "
        "the deeper ones dropped",
        "…and 9 more bundles nested too deep (only the first are shown)",
    ]


def test_dispatcher_options_of_zero_are_values_not_the_defaults() -> None:
    """osc_startup(max_delay=0) gave 3600 s at start and 0 through configure()."""
    started = OSCSystem("eventloop", max_delay=0, max_delayed_bytes=4096).start()
    configured = OSCSystem("eventloop").start()
    try:
        configured.configure(max_delay=0, max_delayed_bytes=4096)
        for system in (started, configured):
            dispatcher = system.dispatcher
            assert dispatcher is not None
            assert (dispatcher.delayed.max_delay, dispatcher.delayed.max_bytes) == (0.0, 4096)
            later = OSCBundle(unixtime2timetag(time.time() + 1), [OSCMessage("/a", None, [])])
            dispatcher.deliver(later, PacketOptions())
            assert dispatcher.stats.delayed_too_far == 1 and dispatcher.delayed_count() == 0
    finally:
        started.terminate()
        configured.terminate()


# ----------------------------------------------------------------------------- runtime
@pytest.mark.parametrize("policy", ["eventloop", "comthreads", "allthreads"])
def test_local_sends_past_the_bound_raise_in_every_policy(
    policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the thread policies a '_local' send went straight to the handler jobs, where
    the job bound dropped it with a log line: no exception, no counter in stats."""
    monkeypatch.setattr(_runtime, "MAX_LOCAL_PACKETS", 20)
    gate = threading.Event()
    system = OSCSystem(policy, execthreadscount=1).start()
    try:
        system.method("/x", lambda value: gate.wait(DEADLINE))
        sent = 0
        with pytest.raises(OSCError) as raised:
            for sent in range(100):
                system.send_packet(OSCMessage("/x", None, [sent]), "_local")
        # At most one job runs (allthreads) besides the 20 waiting.
        assert 20 <= sent <= 21
        waiting = "handler jobs" if policy != "eventloop" else "local packets"
        assert str(raised.value) == (
            f"OSC send to '_local': 20 {waiting} already wait (is osc_process() called?"
            + (" are the handlers stuck?)" if policy != "eventloop" else ")")
        )
        assert system.stats.local_dropped == 1
    finally:
        gate.set()
        system.terminate()


def test_handler_jobs_refused_past_the_bound_are_counted_in_stats(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A job the executor's bound refused was counted only in the queue's own counter."""
    monkeypatch.setattr(_policies, "MAX_EXEC_JOBS", 3)
    gate = threading.Event()
    system = OSCSystem("allthreads", execthreadscount=1).start()
    try:
        system.method("/x", lambda value: gate.wait(DEADLINE))
        channel = UdpMcChannel(
            "srv", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
        )
        raw = bytes(encode_packet(OSCMessage("/x", ",i", [1])))
        # Ten sources: ten jobs (one lane each) from one read.
        items = [(raw, (f"10.0.0.{n}", 9000), (f"10.0.0.{n}", 9000)) for n in range(10)]
        assert system.dispatcher is not None
        with caplog.at_level(logging.WARNING):
            system.dispatcher.receive(channel, items, time.time())
        queue = system.policy.queue  # type: ignore[attr-defined]
        # One job may start before the others are offered: 6 or 7 refused.
        assert queue.dropped in (6, 7)
        assert system.stats.received_dropped == queue.dropped
        assert channel.stats.dropped_received == queue.dropped
        assert system.all_stats()["channels"]["srv"]["dropped_received"] == queue.dropped
        assert messages(caplog, "job dropped") == [
            "OSC workqueue: job dropped: OSC workqueue full (3 jobs)"
        ]
    finally:
        gate.set()
        system.terminate()


# ----------------------------------------------------------------------------- asyncio
def test_failing_and_dropped_async_handler_tasks_log_one_line_then_a_count(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every failing task logged its traceback, every dropped task a line: a peer that
    sends 20 000 messages to a failing async handler wrote 20 000 tracebacks."""
    monkeypatch.setattr(_asyncio_runtime, "MAX_HANDLER_TASKS", 10)

    async def scenario() -> tuple[int, int, str, str]:
        gate = asyncio.Event()

        async def slow(value: int) -> None:
            await gate.wait()

        async def broken(value: int) -> None:
            raise ValueError(f"bad {value}")

        as_asyncio.osc_startup()
        try:
            server = as_asyncio.osc_udp_server("127.0.0.1", 0, "srv")
            as_asyncio.osc_udp_client("127.0.0.1", server.bound_port, "cli")
            as_asyncio.osc_method("/slow", slow)
            as_asyncio.osc_method("/broken", broken)
            stats = _runtime.default_system().all_stats
            deadline = time.monotonic() + DEADLINE
            # Fewer at once than the bound: every one fails (and is logged, or counted).
            for value in range(8):
                as_asyncio.osc_send(OSCMessage("/broken", ",i", [value]), "cli")
            while stats()["dispatcher"]["handler_errors"] < 8 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            for value in range(25):
                as_asyncio.osc_send(OSCMessage("/slow", ",i", [value]), "cli")
            while stats()["system"]["handler_tasks_dropped"] < 15 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            gate.set()
            counts = stats()
            errors = counts["dispatcher"]["handler_errors"]
            dropped = counts["system"]["handler_tasks_dropped"]
            return errors, dropped, broken.__qualname__, slow.__qualname__
        finally:
            as_asyncio.osc_terminate()  # reports what the log left out

    with caplog.at_level(logging.WARNING):
        try:
            errors, dropped, broken, slow = asyncio.run(asyncio.wait_for(scenario(), DEADLINE * 2))
        finally:
            _runtime.replace_default_system("eventloop")
    assert (errors, dropped) == (8, 15)
    failures = [r for r in caplog.records if "failure in handler task" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert "ValueError: bad 0" in caplog.text
    assert messages(caplog, "handler task for") == [
        f"OSC asyncio: handler task for {slow} dropped (10 tasks alive, the bound)"
    ]
    assert sorted(messages(caplog, "…and")) == [
        f"…and 14 more handler tasks for {slow} dropped (only the first are shown)",
        f"…and 7 more failures of handler task {broken} (ValueError) (only the first are shown)",
    ]


def test_received_batches_past_the_bound_are_dropped_counted_and_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The event loop policy, and a program that stops calling osc_process()."""
    monkeypatch.setattr(_runtime, "MAX_RECEIVED_BATCHES", 4)
    system = OSCSystem("eventloop").start()
    try:
        channel = UdpMcChannel(
            "srv", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
        )
        raw = bytes(encode_packet(OSCMessage("/x", ",i", [1])))
        items = [(raw, ("10.0.0.1", 9000), ("10.0.0.1", 9000))] * 3
        with caplog.at_level(logging.WARNING, logger="oscwire.runtime"):
            for _ in range(6):  # what six reads would queue
                system.post_received(channel, list(items), time.time())
            system.terminate()  # reports what the log left out
    finally:
        system.terminate()
    assert channel.stats.dropped_received == 6 and system.stats.received_dropped == 2
    assert messages(caplog, "processing is late") == [
        "OSC channel 'srv': processing is late, 3 packets dropped"
    ]
    assert messages(caplog, "…and") == [
        "…and 1 more batches dropped by channel 'srv' (processing late) (only the first are shown)"
    ]


def test_channel_names_nested_past_the_bound_raise() -> None:
    system = OSCSystem("eventloop").start()
    try:
        UdpMcChannel(
            "cli", "w", {"udpwrite_host": "127.0.0.1", "udpwrite_port": 9, "osc_system": system}
        )
        names: object = "cli"
        for _ in range(MAX_NAMES_DEPTH):
            names = [names]
        assert system.send_packet(OSCMessage("/x", None, []), names) == 1
        with pytest.raises(OSCUnknownChannelError) as raised:
            system.send_packet(OSCMessage("/x", None, []), [names])
        assert str(raised.value).endswith(": OSC channel names nested too deep")
        assert system.stats.unknown_targets == 1
    finally:
        system.terminate()


# -------------------------------------------------------------------------- datagrams
def test_a_datagram_longer_than_the_read_size_is_cut_and_fails_to_decode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    system = OSCSystem("eventloop").start()
    try:
        system.method("/x", lambda *args: None)
        options = {"udpread_host": "127.0.0.1", "udpread_port": 0, "osc_system": system}
        server = UdpMcChannel("srv", "r", {**options, "udpread_buffersize": 32})
        raw = bytes(encode_packet(OSCMessage("/x", ",s", ["a" * 100])))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            peer.bind(("127.0.0.1", 0))
            peer.sendto(raw, ("127.0.0.1", server.bound_port))
            with caplog.at_level(logging.WARNING):
                assert wait_for(lambda: system.process(0.01) or server.stats.bad_packets == 1)
            source = peer.getsockname()
    finally:
        system.terminate()
    assert server.stats.bytes_received == 32
    assert messages(caplog, "bad packet") == [
        f"OSC channel 'srv': bad packet from {source!r} (32 bytes), dropped: "
        "string argument is not NUL-terminated before the end of its data (at offset 8)"
    ]


# --------------------------------------------------------------------------- object API
def test_queries_past_the_bound_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_replies, "MAX_WAITING", 3)

    async def scenario() -> str:
        with oscwire.Server("127.0.0.1", 0) as server:
            async with oscwire.Client("127.0.0.1", server.port) as client:
                waiting = [client.query("/q", timeout=DEADLINE) for _ in range(3)]
                with pytest.raises(RuntimeError) as raised:
                    client.query("/q", timeout=DEADLINE)
                assert client.stats()["queries"] == {  # type: ignore[comparison-overlap]
                    "waiting": 3,
                    "timeouts": 0,
                    "late_replies": 0,
                }
                del waiting
                return str(raised.value)

    assert asyncio.run(scenario()) == (
        "OSC query: 3 queries already wait for replies (are their replies awaited?)"
    )


# -------------------------------------------------------------------------------- CLI
class _Timers:
    """What DelayedOutputs needs of a system: call_later, recorded."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def call_later(self, delay: float, callback: object) -> None:
        self.delays.append(delay)


def test_dump_writes_future_messages_early_past_its_bounds(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_cli_dump, "MAX_DELAYED", 2)
    stream = io.BytesIO()
    writer = _cli_dump.Writer(stream, line_buffered=True)
    counters = _cli_dump.DumpCounters()
    timers = _Timers()
    logger = logging.getLogger("oscwire.test.dump")
    delayed = _cli_dump.DelayedOutputs(timers, writer, counters, logger)
    due = time.time() + 60
    with caplog.at_level(logging.WARNING, logger="oscwire.test.dump"):
        for number in range(4):
            delayed.add(_cli_format.Output(b"line %d\n" % number, due))
    assert len(delayed) == 2 and len(timers.delays) == 2
    assert stream.getvalue() == b"line 2\nline 3\n"
    assert counters.early == 2
    lines = messages(caplog, "future bundles")
    assert len(lines) == 1 and lines[0].startswith(
        "2 messages of future bundles already wait for their time: this one is written now, "
    )
    assert counters.summary() == (
        "0 packets (0 bad) from 0 peers, 2 message(s) of future bundles written before their time"
    )


def test_dump_counts_peers_up_to_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_cli_dump, "MAX_PEERS", 2)
    counters = _cli_dump.DumpCounters()
    for port in range(5):
        counters.packets += 1
        counters.saw_peer(("127.0.0.1", port))
    assert len(counters.peers) == 2
    assert counters.summary() == "5 packets (0 bad) from at least 2 peers"
