"""Dispatcher: matching, bundles together and in order, delayed bundles on a heap."""

from __future__ import annotations

import threading
import time
import types

from oscwire.oscbuildparse import OSC_IMMEDIATELY, OSCBundle, OSCMessage, unixtime2timetag
from oscwire.oscdispatching import NOW_RESOLUTION, Dispatcher, lane_of
from oscwire.oscmethod import MethodFilter
from oscwire.oscpacketoptions import PacketOptions


def make(executor=None, **options):
    disp = Dispatcher("t", options, executor=executor)
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


def test_bundle_messages_run_together_in_order() -> None:
    batches = []
    disp, _ = make(executor=lambda lane, calls: batches.append((lane, calls)))
    b = OSCBundle(
        OSC_IMMEDIATELY, [msg("/a", 1), msg("/b", 2), OSCBundle(OSC_IMMEDIATELY, [msg("/a", 3)])]
    )
    po = PacketOptions(readername="srv", srcident=("h", 1))
    assert disp.dispatch_packet(b, po) == 3
    assert len(batches) == 1
    lane, calls = batches[0]
    assert lane == ("srv", ("h", 1))
    assert [c[1].arguments for c in calls] == [(1,), (2,), (3,)]
    disp.execute_calls(calls)


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
    disp.dispatch_packet(outer, PacketOptions(check_subbundle_timetag=True))
    assert seen == [("a", 1)]
    assert disp.stats.subbundle_dropped == 1


def test_future_subbundle_is_held_separately() -> None:
    disp, seen = make()
    outer = OSCBundle(OSC_IMMEDIATELY, [msg("/a", 1), bundle_at(time.time() + 0.1, msg("/b", 2))])
    disp.dispatch_packet(outer, PacketOptions())
    assert seen == [("a", 1)] and disp.delayed_count() == 1
    run_due(disp)
    assert seen == [("a", 1), ("b", 2)]


def test_delayed_overflow_drops_new_bundles() -> None:
    disp, _seen = make(max_delayed=3)
    for i in range(5):
        disp.dispatch_packet(bundle_at(time.time() + 60, msg("/a", i)), PacketOptions())
    assert disp.delayed_count() == 3
    assert disp.stats.delayed_overflow == 2
    assert disp.clear_delayed() == 3


def test_raising_handler_is_counted_and_others_still_run() -> None:
    disp = Dispatcher("t")
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
    disp = Dispatcher("t", on_delayed=lambda: calls.append(1))
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
    disp = Dispatcher("t")
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
    disp = Dispatcher("t")

    def boom(*args):
        raise ValueError("bug")

    channel = _Chan()
    options = PacketOptions(readchannel=channel)
    bad = MethodFilter("/bad", boom)
    assert disp.execute_calls([([bad, bad], msg("/bad"), options)]) == 2
    assert channel.stats.handler_errors == 2 and disp.stats.handler_errors == 2
