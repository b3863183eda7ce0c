"""Dispatcher: matching, bundles together and in order, delayed bundles on a heap."""

from __future__ import annotations

import threading
import time
import types

import pytest

from oscwire.oscbuildparse import OSC_IMMEDIATELY, OSCBundle, OSCMessage, unixtime2timetag
from oscwire.oscdispatching import NOW_RESOLUTION, Dispatcher, lane_of
from oscwire.oscmethod import MethodFilter
from oscwire.oscpacketoptions import PacketOptions


def make(executor=None, **options):
    disp = Dispatcher("t", options, executor=executor, register=False)
    seen: list[tuple] = []
    disp.add_method(MethodFilter("/a", lambda *args: seen.append(("a", *args))))
    disp.add_method(MethodFilter("/b", lambda *args: seen.append(("b", *args))))
    return disp, seen


def msg(address: str, *args) -> OSCMessage:
    return OSCMessage(address, None, args)


def bundle_at(when: float, *elements) -> OSCBundle:
    return OSCBundle(unixtime2timetag(when), list(elements))


def run_due(disp: Dispatcher, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while disp.delayed_count() and time.monotonic() < deadline:
        delay = disp.next_delay()
        time.sleep(min(delay or 0, 0.05))
        disp.process_delayed()


def test_message_dispatch_and_unmatched() -> None:
    disp, seen = make()
    assert disp.dispatch_packet(msg("/a", 1, 2), PacketOptions()) == 1
    assert disp.dispatch_packet(msg("/zzz"), PacketOptions()) == 0
    assert seen == [("a", 1, 2)]
    assert disp.stats.messages == 2 and disp.stats.unmatched == 1


class _Executor:
    """Records what a dispatcher hands over (a CallExecutor)."""

    parallel = True

    def __init__(self) -> None:
        self.batches: list[tuple] = []

    def submit(self, lane, calls, channel, nbytes) -> None:
        self.batches.append((lane, calls, channel, nbytes))


def test_bundle_messages_run_together_in_order() -> None:
    executor = _Executor()
    disp, seen = make(executor=executor)
    b = OSCBundle(
        OSC_IMMEDIATELY, [msg("/a", 1), msg("/b", 2), OSCBundle(OSC_IMMEDIATELY, [msg("/a", 3)])]
    )
    po = PacketOptions(readername="srv", srcident=("h", 1))
    assert disp.dispatch_packet(b, po) == 3
    assert len(executor.batches) == 1
    lane, calls, _channel, _nbytes = executor.batches[0]
    assert lane == ("srv", ("h", 1))
    assert [calls[i].arguments for i in range(1, len(calls), 3)] == [(1,), (2,), (3,)]
    assert seen == []
    disp.execute_flat(calls)
    assert seen == [("a", 1), ("b", 2), ("a", 3)]


def test_equal_future_timetags_do_not_deadlock_and_keep_arrival_order() -> None:
    disp, seen = make()
    when = time.time() + 0.1
    for i in range(5):
        disp.dispatch_packet(bundle_at(when, msg("/a", i)), PacketOptions())
    assert disp.delayed_count() == 5 and seen == []
    run_due(disp)
    assert seen == [("a", i) for i in range(5)]


def test_future_bundle_waits_until_due() -> None:
    disp, seen = make()
    when = time.time() + 0.15
    disp.dispatch_packet(bundle_at(when, msg("/a", 1)), PacketOptions())
    assert 0.1 < disp.next_delay() <= 0.15
    disp.process_delayed()
    assert seen == []
    run_due(disp)
    assert seen == [("a", 1)]
    assert abs(time.time() - when) < 0.03


def test_forget_oldmsg_drops_late_bundles_only_when_asked() -> None:
    disp, seen = make()
    late = bundle_at(time.time() - 1.0, msg("/a", 1))
    disp.dispatch_packet(late, PacketOptions())
    assert seen == [("a", 1)]
    disp.dispatch_packet(late, PacketOptions(forget_oldmsg=True))
    assert seen == [("a", 1)]
    assert disp.stats.late_dropped == 1


def test_honor_timetag_false_runs_future_bundles_now() -> None:
    disp, seen = make()
    disp.dispatch_packet(
        bundle_at(time.time() + 60, msg("/a", 1)), PacketOptions(honor_timetag=False)
    )
    assert seen == [("a", 1)] and disp.delayed_count() == 0


def test_timetag_offset_shifts_due_time() -> None:
    disp, seen = make()
    disp.dispatch_packet(
        bundle_at(time.time() + 30, msg("/a", 1)), PacketOptions(timetag_offset=-30)
    )
    assert seen == [("a", 1)]
    disp.dispatch_packet(bundle_at(time.time(), msg("/a", 2)), PacketOptions(timetag_offset=30))
    assert disp.delayed_count() == 1 and 29 < disp.next_delay() <= 30


def test_check_subbundle_timetag() -> None:
    disp, seen = make()
    now = time.time()
    outer = bundle_at(now - 1, msg("/a", 1), bundle_at(now - 2, msg("/a", 2)))
    disp.dispatch_packet(outer, PacketOptions())
    assert seen == [("a", 1), ("a", 2)]
    seen.clear()
    # Called directly, as osc4py3: ValueError, after the calls of what came before it.
    with pytest.raises(ValueError, match="sub-bundle, must be >= parent"):
        disp.dispatch_packet(outer, PacketOptions(check_subbundle_timetag=True))
    assert seen == [("a", 1)]
    assert disp.stats.subbundle_dropped == 1
    # Delivered by the runtime (_local, a received packet): dropped, counted, not raised.
    seen.clear()
    disp.deliver(outer, PacketOptions(check_subbundle_timetag=True))
    assert seen == [("a", 1)]
    assert disp.stats.subbundle_dropped == 2


def test_dispatcher_names_are_unique_until_terminated_as_in_osc4py3() -> None:
    first = Dispatcher("unique-name", {})
    with pytest.raises(ValueError, match="dispatcher name 'unique-name' already used"):
        Dispatcher("unique-name", {})
    first.terminate()
    Dispatcher("unique-name", {}).terminate()
    # Unnamed ones (and the runtime's) are not registered.
    Dispatcher()
    Dispatcher()


def test_a_late_bundle_forgotten_returns_none_as_in_osc4py3() -> None:
    disp, seen = make()
    late = bundle_at(time.time() - 1.0, msg("/a", 1))
    assert disp.dispatch_packet(late, PacketOptions(forget_oldmsg=True)) is None
    assert disp.dispatch_packet(bundle_at(time.time() + 60, msg("/a", 2)), PacketOptions()) == 0
    assert seen == []


def test_future_subbundle_is_held_separately() -> None:
    disp, seen = make()
    outer = OSCBundle(OSC_IMMEDIATELY, [msg("/a", 1), bundle_at(time.time() + 0.1, msg("/b", 2))])
    disp.dispatch_packet(outer, PacketOptions())
    assert seen == [("a", 1)] and disp.delayed_count() == 1
    run_due(disp)
    assert seen == [("a", 1), ("b", 2)]


def from_host(host: str, port: int = 9000) -> PacketOptions:
    return PacketOptions(readername="srv", srcident=(host, port))


def test_delayed_overflow_drops_new_bundles_when_every_source_holds_as_many() -> None:
    disp, _seen = make(max_delayed=8)
    # Eight hosts, one bundle each: the bound in all (8) is reached, not the shares (2).
    for i in range(8):
        disp.dispatch_packet(bundle_at(time.time() + 60, msg("/a", i)), from_host(f"h{i}"))
    assert disp.delayed_count() == 8
    disp.dispatch_packet(bundle_at(time.time() + 60, msg("/a", 9)), from_host("h9"))
    assert disp.delayed_count() == 8
    assert disp.stats.delayed_overflow == 1 and disp.stats.delayed_evicted == 0
    assert disp.clear_delayed() == 8


def test_a_full_queue_evicts_the_biggest_holders_last_bundle_for_a_smaller_source(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Four source hosts (one attacker spoofing four addresses) fill the queue, each within
    its share: a fifth source's bundle due soon was dropped. Now the biggest holder's bundle
    due last makes room for it, and the fifth bundle runs on time."""
    disp, seen = make(max_delayed=8)
    now = time.time()
    for i in range(8):
        disp.dispatch_packet(bundle_at(now + 60 + i, msg("/a", i)), from_host(f"evil{i % 4}"))
    assert disp.delayed_count() == 8
    with caplog.at_level("WARNING", logger="oscwire.oscdispatching"):
        disp.dispatch_packet(bundle_at(now + 0.05, msg("/b", "on time")), from_host("good"))
    assert disp.delayed_count() == 8
    assert disp.stats.delayed_evicted == 1 and disp.stats.delayed_overflow == 0
    assert [r.getMessage() for r in caplog.records] == [
        "OSC dispatcher t: the future bundles wait at their bound (max_delayed): 1 due last "
        "of the biggest holder dropped to make room for ('srv', 'good')"
    ]
    run_due_until(disp, lambda: seen == [("b", "on time")])
    assert seen == [("b", "on time")]
    # The evicted one was a biggest holder's bundle due last (4..7: each host's second).
    waiting = {entry.bundle.elements[0].arguments[0] for entry in disp.delayed._heap if entry.live}
    missing = set(range(8)) - waiting
    assert len(missing) == 1 and missing <= {4, 5, 6, 7}, waiting


def test_eviction_never_makes_the_newcomer_bigger_than_its_victim() -> None:
    disp, _seen = make(max_delayed=8)
    for i in range(8):
        disp.dispatch_packet(bundle_at(time.time() + 60, msg("/a", i)), from_host(f"h{i % 4}"))
    # "new" may take places while it holds fewer than the biggest holder would after.
    for i in range(10):
        disp.dispatch_packet(bundle_at(time.time() + 60, msg("/a", i)), from_host("new"))
    counts = {source: held.count for source, held in disp.delayed._per_source.items()}
    assert sum(counts.values()) == 8 == disp.delayed_count()
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    assert disp.stats.delayed_evicted + disp.stats.delayed_overflow == 10


def test_eviction_also_makes_room_in_bytes() -> None:
    disp, _seen = make(max_delayed_bytes=40_000)
    blob = b"x" * 4000
    for i in range(8):  # two per host: a quarter of 40 000 bytes each, about 32 KB in all
        disp.dispatch_packet(bundle_at(time.time() + 60, msg("/a", blob)), from_host(f"h{i % 4}"))
    big = b"y" * 9000
    disp.dispatch_packet(bundle_at(time.time() + 60, msg("/a", big)), from_host("new"))
    assert disp.stats.delayed_evicted >= 1 and disp.stats.delayed_overflow == 0
    assert disp.delayed.nbytes <= 40_000
    assert ("srv", "new") in disp.delayed._per_source


def test_evictions_that_do_not_make_room_are_still_counted_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Bytes may need several evictions: when the cap stops them short of room, the
    arriving bundle is refused and the bundles evicted on the way were dropped silently."""
    from oscwire.oscdispatching import DelayedBundles

    monkeypatch.setattr(DelayedBundles, "MAX_EVICTIONS_PER_PUSH", 1)
    disp, _seen = make(max_delayed_bytes=1000)  # a share of 250 bytes per host
    later = time.time() + 60
    for i in range(8):  # 960 bytes, two per host
        assert disp.delay(
            later + i, bundle_at(later + i, msg("/a", i)), from_host(f"h{i % 4}"), 120
        )
    with caplog.at_level("WARNING", logger="oscwire.oscdispatching"):
        # 240 bytes need two evictions (40 free, 120 each); only one is allowed.
        assert not disp.delay(later, bundle_at(later, msg("/b", 1)), from_host("new"), 240)
    assert disp.stats.delayed_evicted == 1 and disp.stats.delayed_overflow == 1
    assert disp.delayed_count() == 7
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == (
        "OSC dispatcher t: the future bundles wait at their bound (max_delayed): 1 due last "
        "of the biggest holder dropped to make room for ('srv', 'new')"
    )
    assert "dropped (delayed_overflow)" in lines[1]


def test_bad_packet_hosts_are_kept_for_a_bounded_number_of_channels() -> None:
    """Each accepted TCP connection is a channel: one bad packet from each of thousands of
    connections must not grow the table of channels whose hosts are logged apart."""
    from oscwire._logutil import MAX_CAUSES

    disp, _seen = make()
    for n in range(3 * MAX_CAUSES):
        disp._bad_packet(f"srv__{n}", ("10.0.0.1", 5000 + n), 8, ValueError("bad"))
    assert len(disp._bad_hosts) <= MAX_CAUSES
    assert f"srv__{3 * MAX_CAUSES - 1}" in disp._bad_hosts  # the newest are kept


def test_delayed_queue_agrees_with_a_model_under_random_operations() -> None:
    """Pushes from a few sources, evictions and due pops at random: the counts, bytes,
    per-source holdings and the order bundles run in agree with a plain list model."""
    import random

    from oscwire.oscdispatching import DelayedBundles

    rng = random.Random(1234)
    queue = DelayedBundles(max_count=12, max_bytes=10_000, max_delay=1e9)
    model: list[tuple[float, int, str, int]] = []  # (due, seq, source, size)
    seq = 0
    base = time.monotonic()
    for _ in range(5000):
        if rng.random() < 0.7:
            source = f"s{rng.randrange(6)}"
            size = rng.choice([10, 100, 1000])
            when = time.time() + rng.uniform(1, 1000)
            refused, _earliest, evicted = queue.push(
                when, ("b", seq), PacketOptions(readername="r", srcident=(source, 1)), size
            )
            if refused is None:
                model.append((queue.due_time(when), seq, source, size))
                seq_pushed = seq
            seq += 1
            live = {entry.bundle[1] for entry in queue._heap if entry.live}
            gone = {item[1] for item in model if item[1] not in live}
            assert len(gone) == evicted
            for _ in range(evicted):
                # Each victim: the bundle due last of a source holding the most.
                counts: dict[str, int] = {}
                for item in model:
                    counts[item[2]] = counts.get(item[2], 0) + 1
                top = max(counts.values())
                latest = [
                    max(item for item in model if item[2] == source)
                    for source, count in counts.items()
                    if count == top
                ]
                victims = [item for item in latest if item[1] in gone]
                assert len(victims) == 1, (latest, gone)
                model.remove(victims[0])
                gone.discard(victims[0][1])
            if refused is None:
                assert any(item[1] == seq_pushed for item in model)
        else:
            now = base + rng.uniform(0, 1100)
            entry = queue.pop_due(now)
            due_items = sorted(item for item in model if item[0] <= now + NOW_RESOLUTION)
            if due_items:
                assert entry is not None and entry.bundle[1] == due_items[0][1]
                model.remove(due_items[0])
            else:
                assert entry is None
        assert len(queue) == len(model) <= 12
        assert queue.nbytes == sum(item[3] for item in model) <= 10_000
        holdings = {}
        for _due, _seq, source, size in model:
            count, nbytes = holdings.get(("r", source), (0, 0))
            holdings[("r", source)] = (count + 1, nbytes + size)
        assert {k: (v.count, v.nbytes) for k, v in queue._per_source.items()} == holdings
        assert len(queue._heap) <= 2 * len(model) + 1024 + 1
    assert queue.evicted > 0


def test_one_source_cannot_take_more_than_its_share() -> None:
    """A peer flooding bundles timed far ahead cannot crowd out another one's bundle."""
    disp, seen = make(max_delayed=40)
    for i in range(100):
        # Any port: the share is per host.
        disp.dispatch_packet(bundle_at(time.time() + 600, msg("/a", i)), from_host("evil", i))
    assert disp.delayed_count() == 10
    assert disp.stats.delayed_source_overflow == 90
    disp.dispatch_packet(bundle_at(time.time() + 0.05, msg("/b", "on time")), from_host("good"))
    assert disp.delayed_count() == 11
    run_due_until(disp, lambda: seen == [("b", "on time")])
    assert seen == [("b", "on time")]


def test_share_is_also_counted_in_bytes() -> None:
    disp, _seen = make(max_delayed_bytes=40_000)
    blob = b"x" * 4000
    for _ in range(10):
        disp.dispatch_packet(bundle_at(time.time() + 60, msg("/a", blob)), from_host("big"))
    # A quarter of 40 000 bytes: two bundles of about 4 KB.
    assert disp.delayed_count() == 2
    assert disp.stats.delayed_source_overflow == 8
    assert disp.delayed.nbytes <= 10_000


def test_bundles_timed_too_far_ahead_are_dropped() -> None:
    disp, _seen = make(max_delay=10)
    disp.dispatch_packet(bundle_at(time.time() + 9, msg("/a", 1)), PacketOptions())
    disp.dispatch_packet(bundle_at(time.time() + 11, msg("/a", 2)), PacketOptions())
    assert disp.delayed_count() == 1
    assert disp.stats.delayed_too_far == 1


def test_dropped_bundles_are_logged_once_per_cause_then_counted(caplog) -> None:
    disp, _seen = make(max_delayed=4)
    with caplog.at_level("WARNING", logger="oscwire.oscdispatching"):
        for i in range(50):
            disp.dispatch_packet(bundle_at(time.time() + 60, msg("/a", i)), from_host("evil", i))
    lines = [r.getMessage() for r in caplog.records if "future bundle" in r.getMessage()]
    assert len(lines) == 1 and "('srv', 'evil')" in lines[0] and "share" in lines[0]
    assert disp.stats.delayed_source_overflow == 49


def test_due_times_are_fixed_at_arrival_on_the_monotonic_clock(monkeypatch) -> None:
    """A wall-clock step after arrival moves nothing: the queue runs on the monotonic
    clock, in the order of the due times fixed when the bundles arrived."""
    disp, seen = make()
    now = time.time()
    disp.dispatch_packet(bundle_at(now + 0.2, msg("/a", "second")), PacketOptions())
    disp.dispatch_packet(bundle_at(now + 0.1, msg("/a", "first")), PacketOptions())
    real_time = time.time
    # The wall clock jumps an hour back, then a bundle timed in the new wall time arrives.
    monkeypatch.setattr(time, "time", lambda: real_time() - 3600)
    disp.dispatch_packet(bundle_at(time.time() + 0.15, msg("/a", "middle")), PacketOptions())
    assert 0.05 < (disp.next_delay() or 0) <= 0.1
    run_due_until(disp, lambda: len(seen) == 3)
    assert seen == [("a", "first"), ("a", "middle"), ("a", "second")]


def run_due_until(disp: Dispatcher, done, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(min(disp.next_delay() or 0.005, 0.02))
        disp.process_delayed()


def test_raising_handler_is_counted_and_others_still_run() -> None:
    disp = Dispatcher()
    seen = []

    def boom(*args):
        raise ValueError("bug")

    disp.add_method(MethodFilter("/x", boom))
    disp.add_method(MethodFilter("/x", lambda *a: seen.append(a)))
    disp.dispatch_packet(msg("/x", 1), PacketOptions())
    assert seen == [(1,)]
    assert disp.stats.handler_errors == 1


def test_deeply_nested_bundle_is_bounded() -> None:
    disp, seen = make()
    packet = msg("/a", 0)
    for _ in range(200):
        packet = OSCBundle(OSC_IMMEDIATELY, [packet])
    disp.dispatch_packet(packet, PacketOptions())  # no RecursionError
    assert seen == []
    assert disp.stats.subbundle_dropped == 1


def test_on_delayed_called_for_new_earliest_only() -> None:
    calls = []
    disp = Dispatcher(on_delayed=lambda: calls.append(1))
    disp.dispatch_packet(bundle_at(time.time() + 10, msg("/a")), PacketOptions())
    disp.dispatch_packet(bundle_at(time.time() + 20, msg("/a")), PacketOptions())
    disp.dispatch_packet(bundle_at(time.time() + 5, msg("/a")), PacketOptions())
    assert len(calls) == 2


def test_lane_of() -> None:
    assert lane_of(None) == "_local"
    assert lane_of(PacketOptions(readername="r", srcident=("h", 1))) == ("r", ("h", 1))
    assert lane_of(PacketOptions(readername="r", srcident=["unhashable"])) == "r"


def test_remove_method() -> None:
    disp, seen = make()
    handle = MethodFilter("/c", lambda *a: seen.append(a))
    disp.add_method(handle)
    assert disp.remove_method(handle) is True
    assert disp.remove_method(handle) is False
    disp.dispatch_packet(msg("/c", 1), PacketOptions())
    assert seen == []


def test_now_resolution_is_small() -> None:
    assert 0 < NOW_RESOLUTION <= 0.005
    threading.current_thread()


class _Chan:
    """A stand-in for a reader channel: only its statistics are used."""

    def __init__(self) -> None:
        self.stats = types.SimpleNamespace(handler_errors=0)


def test_execute_flat_runs_in_order_and_counts_failures() -> None:
    disp = Dispatcher()
    seen = []

    def boom(*args):
        raise ValueError("bug")

    ok = MethodFilter("/ok", lambda *a: seen.append(a))
    bad = MethodFilter("/bad", boom)
    channel = _Chan()
    flat = [
        [ok], msg("/ok", 1), None,
        [bad, ok], msg("/bad", 2), None,
        [ok], msg("/ok", 3), PacketOptions(),
    ]  # fmt: skip
    assert disp.execute_flat(flat, channel) == 4
    assert seen == [(1,), (2,), (3,)]
    assert disp.stats.calls == 4 and disp.stats.handler_errors == 1
    assert channel.stats.handler_errors == 1 and bad.failures == 1
    assert disp.execute_flat([]) == 0


def test_execute_calls_attributes_errors_to_the_reader_channel() -> None:
    disp = Dispatcher()

    def boom(*args):
        raise ValueError("bug")

    channel = _Chan()
    options = PacketOptions(readchannel=channel)
    bad = MethodFilter("/bad", boom)
    assert disp.execute_calls([([bad, bad], msg("/bad"), options)]) == 2
    assert channel.stats.handler_errors == 2 and disp.stats.handler_errors == 2


def test_handlers_see_the_time_tag_of_the_bundle_a_message_came_in() -> None:
    from oscwire.oscmethod import OSCARG_DATAUNPACK, OSCARG_PACKOPT

    disp = Dispatcher()
    seen = []
    disp.add_method(
        MethodFilter(
            "/t",
            lambda packopt, value: seen.append((value, packopt.timetag)),
            argscheme=OSCARG_PACKOPT + OSCARG_DATAUNPACK,
        )
    )
    past = unixtime2timetag(time.time() - 10)
    older = unixtime2timetag(time.time() - 20)
    packet = OSCBundle(past, [msg("/t", 1), OSCBundle(older, [msg("/t", 2)])])
    disp.dispatch_packet(packet, PacketOptions())
    disp.dispatch_packet(msg("/t", 3), PacketOptions())
    assert seen == [(1, past), (2, older), (3, None)]
