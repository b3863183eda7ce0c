"""OSCSystem.call_later: timers run from the loop that runs the system's I/O, in each policy."""

from __future__ import annotations

import threading
import time

import pytest

from _support import POLICIES, pump
from oscwire._runtime import OSCSystem

pytestmark = pytest.mark.system(*POLICIES)


def test_timers_run_in_order_and_cancel_works(system: OSCSystem) -> None:
    fired: list[str] = []
    lock = threading.Lock()

    def mark(name: str):
        def callback() -> None:
            with lock:
                fired.append(name)

        return callback

    start = time.monotonic()
    system.call_later(0.15, mark("late"))
    system.call_later(0.05, mark("early"))
    cancelled = system.call_later(0.1, mark("cancelled"))
    cancelled.cancel()
    pump(system, lambda: len(fired) >= 2, timeout=3.0)
    elapsed = time.monotonic() - start
    assert fired == ["early", "late"]
    assert elapsed >= 0.15


def test_a_long_timer_does_not_make_the_loop_spin(system: OSCSystem) -> None:
    system.call_later(60.0, lambda: None)
    assert 59.0 < (system.next_wait() or 0.0) <= 60.0


def test_failing_timer_is_logged_and_the_next_one_runs(system: OSCSystem, caplog) -> None:
    fired = threading.Event()

    def boom() -> None:
        raise RuntimeError("timer boom")

    system.call_later(0.0, boom)
    system.call_later(0.01, fired.set)
    pump(system, fired.is_set, timeout=3.0)
    assert any("timer boom" in (record.exc_text or "") for record in caplog.records)


def test_terminate_drops_timers() -> None:
    system = OSCSystem("comthreads").start()
    fired = threading.Event()
    system.call_later(0.05, fired.set)
    system.terminate()
    time.sleep(0.1)
    assert not fired.is_set()
    assert system.next_timer_delay() is None
