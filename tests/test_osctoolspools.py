"""WorkQueue: blocking workers, failures that do not kill threads, lanes, fast termination."""

from __future__ import annotations

import threading
import time

import pytest

from oscwire.osctoolspools import LAST_JOB, OSCWorkQueueFullError, WorkJob, WorkQueue


def test_workjob_result_and_wait() -> None:
    job = WorkJob(lambda a, b: a + b, (2, 3), needsync=True)
    threading.Thread(target=job).start()
    assert job.wait_finished(2.0)
    assert job.is_finished() and job.result == 5


def test_wait_for_job_timeout_poll_and_last_job() -> None:
    wq = WorkQueue()
    start = time.monotonic()
    assert wq.wait_for_job(0.05) is None
    assert time.monotonic() - start >= 0.04
    assert wq.wait_for_job(0) is None
    wq.send_callable(print, ("x",))
    assert isinstance(wq.wait_for_job(0), WorkJob)
    wq.send_terminate()
    assert wq.wait_for_job(1.0) == LAST_JOB
    # A job sent after termination raises, as in osc4py3 (and is counted).
    with pytest.raises(RuntimeError, match="WorkQueue jobs terminated"):
        wq.send_callable(print, ())
    assert wq.dropped == 1
    assert wq.offer_job(print) is False and wq.dropped == 2


def test_run_pending_runs_only_present_jobs_and_survives_failure() -> None:
    wq = WorkQueue()
    done = []

    def boom() -> None:
        raise RuntimeError("handler bug")

    def again() -> None:
        done.append("again")
        wq.send_callable(again, ())  # a job that keeps re-queueing itself

    wq.send_callable(boom, ())
    wq.send_callable(done.append, (1,))
    wq.send_callable(again, ())
    assert wq.run_pending() == 3
    assert done == [1, "again"]
    assert wq.failures == 1
    assert len(wq) == 1  # the re-queued job waits for the next call


def test_worker_threads_survive_failures_and_are_daemons() -> None:
    wq = WorkQueue()
    wq.add_working_threads(3)
    assert all(t.daemon for t in wq.ownthreads)
    results = []
    finished = threading.Semaphore(0)

    def job(i: int) -> None:
        if i % 2:
            finished.release()
            raise ValueError(i)
        results.append(i)
        finished.release()

    for i in range(40):
        wq.send_callable(job, (i,))
    for _ in range(40):
        assert finished.acquire(timeout=2.0)
    assert sorted(results) == list(range(0, 40, 2))
    assert wq.failures == 20
    wq.terminate(timeout=1.0)
    assert not any(t.is_alive() for t in wq.ownthreads)


def test_lanes_keep_order_per_lane_with_many_workers() -> None:
    wq = WorkQueue()
    wq.add_working_threads(8)
    seen: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    done = threading.Semaphore(0)

    def job(lane: str, i: int) -> None:
        if i % 7 == 0:
            time.sleep(0.001)  # let other workers overtake if lanes were not respected
        seen[lane].append(i)
        done.release()

    for i in range(300):
        for lane in seen:
            wq.send_callable(job, (lane, i), lane=lane)
    for _ in range(900):
        assert done.acquire(timeout=5.0)
    for values in seen.values():
        assert values == list(range(300))
    wq.terminate()


def test_jobs_of_a_busy_lane_wait_behind_it_and_count_in_the_bound() -> None:
    wq = WorkQueue(maxjobs=3)
    wq.add_working_threads(2)
    started, release = threading.Event(), threading.Event()
    order: list[int] = []
    done = threading.Semaphore(0)

    def first() -> None:
        started.set()
        release.wait(5.0)
        order.append(0)
        done.release()

    def later(i: int) -> None:
        order.append(i)
        done.release()

    assert wq.send_job(first, lane="L")
    assert started.wait(5.0)
    for i in (1, 2, 3):
        assert wq.send_job(lambda i=i: later(i), lane="L")
    # Held behind the running job, not offered to the idle worker; the bound counts them.
    assert len(wq) == 3 and not wq._jobs  # the lane has no token: its worker takes them
    with pytest.raises(OSCWorkQueueFullError, match="full"):
        wq.send_job(lambda: later(99), lane="other")
    assert wq.offer_job(lambda: later(99), lane="other") is False
    assert wq.dropped == 2
    release.set()
    for _ in range(4):
        assert done.acquire(timeout=5.0)
    assert order == [0, 1, 2, 3] and len(wq) == 0
    wq.terminate()


def test_a_lane_job_queued_before_its_lane_started_runs_before_later_ones() -> None:
    """Regression: jobs 0 and 1 queued together, job 2 sent while 0 runs: order 0, 1, 2."""
    wq = WorkQueue()
    started, release = threading.Event(), threading.Event()
    order: list[int] = []
    done = threading.Semaphore(0)

    def job(i: int) -> None:
        if i == 0:
            started.set()
            release.wait(5.0)
        order.append(i)
        done.release()

    wq.send_callable(job, (0,), lane="L")
    wq.send_callable(job, (1,), lane="L")  # queued while no worker holds the lane yet
    wq.add_working_threads(1)
    assert started.wait(5.0)
    wq.send_callable(job, (2,), lane="L")  # sent while the lane runs
    release.set()
    for _ in range(3):
        assert done.acquire(timeout=5.0)
    assert order == [0, 1, 2]
    wq.terminate()


def test_single_consumer_runs_each_lane_in_order_and_counts() -> None:
    wq = WorkQueue()
    order: list[tuple[str, int]] = []
    for i in range(3):
        for lane in ("a", "b"):
            wq.send_callable(order.append, ((lane, i),), lane=lane)
    wq.send_callable(order.append, (("none", 0),))
    assert len(wq) == 7
    assert wq.run_pending(maxjobs=2) == 2 and len(wq) == 5
    assert wq.run_pending() == 5 and len(wq) == 0
    for lane in ("a", "b"):
        assert [i for name, i in order if name == lane] == [0, 1, 2]
    assert ("none", 0) in order
    assert wq.wait_for_job(timeout=0) is None
    wq.terminate()


def test_terminate_returns_in_time_with_a_stuck_job_and_discards_the_rest() -> None:
    wq = WorkQueue()
    wq.add_working_threads(1)
    release = threading.Event()
    started = threading.Event()
    ran = []

    def stuck() -> None:
        started.set()
        release.wait(10)

    wq.send_callable(stuck, ())
    for i in range(100):
        wq.send_callable(ran.append, (i,))
    assert started.wait(2.0)
    t0 = time.monotonic()
    wq.terminate(timeout=0.3)
    assert time.monotonic() - t0 < 0.6
    release.set()
    wq.join(timeout=2.0)
    assert ran == []  # queued jobs were discarded, not run after termination


def test_idle_workers_block() -> None:
    # Idle workers must wait on the condition, not poll: their CPU time stays ~0.
    wq = WorkQueue()
    wq.add_working_threads(10)
    start = time.process_time()
    time.sleep(0.3)
    assert time.process_time() - start < 0.05
    wq.terminate()


def test_a_dropped_job_does_not_leave_its_waiter_hanging() -> None:
    """Refused (terminated, full) or discarded jobs finish with an error: wait_finished returns."""
    full = WorkQueue(maxjobs=1)
    kept = full.send_callable(pow, (2, 3), needsync=True)
    refused = WorkJob(pow, (2, 4), needsync=True)
    assert full.offer_job(refused) is False
    assert refused.wait_finished(timeout=1.0)
    assert isinstance(refused.result, RuntimeError)
    laned = WorkJob(pow, (2, 5), needsync=True)
    assert full.offer_job(laned, lane="a") is False  # still full: refused too
    assert laned.wait_finished(timeout=1.0)
    full.terminate(timeout=0.1)  # discards the queued job
    assert kept.wait_finished(timeout=1.0)
    assert isinstance(kept.result, RuntimeError)
    late = WorkJob(pow, (2, 6), needsync=True)
    with pytest.raises(RuntimeError):
        full.send_job(late)
    assert late.wait_finished(timeout=1.0) and isinstance(late.result, RuntimeError)

    queue = WorkQueue()
    first = queue.send_callable(pow, (2, 1), needsync=True, lane="x")
    second = queue.send_callable(pow, (2, 2), needsync=True, lane="x")
    queue.terminate(timeout=0.1)
    assert first.wait_finished(timeout=1.0) and second.wait_finished(timeout=1.0)
    assert isinstance(second.result, RuntimeError)
