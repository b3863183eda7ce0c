"""Work queues: jobs run by a pool of threads, or pulled from an event loop.

:class:`WorkQueue` keeps osc4py3's interface (``send_callable``, ``send_job``,
``wait_for_job``, ``add_working_threads``, ``terminate``, ``join``, ``LAST_JOB``) and fixes
its behaviour: workers block on a condition variable (no polling), a job that raises is
logged and never kills its thread, :meth:`WorkQueue.terminate` discards what is still
queued and returns within its timeout whatever a job is doing, and worker threads are
daemons, so they never keep the process alive.

Jobs may name a *lane*: jobs of one lane run one at a time, in the order they were sent,
while jobs of other lanes run in parallel. The runtime uses one lane per packet source, so
a pool of handler threads keeps each sender's messages in order.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Callable, Optional

from oscwire._errors import OSCError
from oscwire._logutil import LogThrottle

_LOGGER = logging.getLogger("oscwire.osctoolspools")

#: Returned by :meth:`WorkQueue.wait_for_job` once the queue is terminated.
LAST_JOB = "last job"

_NO_LANE = object()
_THROTTLE = LogThrottle(_LOGGER)


class OSCWorkQueueFullError(OSCError, RuntimeError):
    """A job sent to a work queue that holds ``maxjobs`` jobs already."""


#: osc4py3's pool of reusable events (kept for its programs; WorkJob makes its own).
events_pool: collections.deque[threading.Event] = collections.deque(maxlen=40)


def allocate_event() -> threading.Event:
    """An Event from the pool, or a new one (osc4py3 API; its state is unknown)."""
    try:
        return events_pool.pop()
    except IndexError:
        return threading.Event()


def release_event(evt: threading.Event) -> None:
    """Give an Event back to the pool (osc4py3 API)."""
    events_pool.append(evt)


class WorkJob:
    """One call to make later: ``function(*paramstuple)``, optionally waitable.

    After the call, ``finished`` is True and ``result`` holds the return value (or the
    exception the function raised). With *needsync*, :meth:`wait_finished` blocks until then.
    """

    __slots__ = ("finished", "finishsync", "function", "paramstuple", "result")

    def __init__(
        self,
        function: Callable[..., Any],
        paramstuple: tuple[Any, ...] = (),
        needsync: bool = False,
    ) -> None:
        self.function = function
        self.paramstuple = paramstuple
        self.finished = False
        self.result: Any = None
        self.finishsync: Optional[threading.Event] = threading.Event() if needsync else None

    def job_finished(self, res: Any) -> None:
        """Store *res* (the call's result, osc4py3's parameter name), mark the job finished
        and wake a waiter."""
        self.result = res
        self.finished = True
        if self.finishsync is not None:
            self.finishsync.set()

    def is_finished(self) -> bool:
        """True once the job has run."""
        return self.finished

    def wait_finished(self, timeout: Optional[float] = None) -> bool:
        """Block until the job has run (or *timeout* seconds); True when it has."""
        if self.finishsync is None:
            raise RuntimeError("OSC work job has no synchronization to wait on")
        return self.finishsync.wait(timeout)

    def dropped(self) -> None:
        """The queue refused or discarded the job: finish it with an error, so that a
        thread in :meth:`wait_finished` does not wait forever."""
        if not self.finished:
            self.job_finished(RuntimeError("OSC work job dropped: work queue terminated or full"))

    def __call__(self) -> Any:
        try:
            result = self.function(*self.paramstuple)
        except BaseException as error:
            self.job_finished(error)
            raise
        self.job_finished(result)
        return result


class WorkQueue:
    """A FIFO of jobs for worker threads, or for an event loop that calls :meth:`run_pending`.

    ``maxjobs`` bounds the queue (0: unbounded); a job sent to a full queue is dropped,
    logged and counted in ``dropped``. ``failures`` counts jobs that raised.
    """

    def __init__(self, logger: Optional[logging.Logger] = None, maxjobs: int = 0) -> None:
        self.logger = logger if logger is not None else _LOGGER
        self.maxjobs = maxjobs
        self.threadcount = 0
        self.ownthreads: list[threading.Thread] = []
        self.terminated = False
        self.dropped = 0
        self.failures = 0
        # Runnable entries, FIFO: ``(job, _NO_LANE)`` for a job without a lane, or
        # ``(None, lane)``: a token saying that *lane* has jobs waiting in ``_lanes[lane]``.
        # A lane has at most one token or one worker at a time, which is what keeps its
        # jobs in order, one at a time.
        self._jobs: collections.deque[tuple[Any, Any]] = collections.deque()
        self._cond = threading.Condition(threading.Lock())
        # Lanes with jobs queued or being run, each with its waiting jobs in order.
        self._lanes: dict[Any, collections.deque[Any]] = {}
        self._count = 0  # jobs queued (not yet started), for len() and the maxjobs bound
        #: Called (in the worker thread) with a ``SystemExit``/``KeyboardInterrupt`` that a
        #: job raised; the worker then goes on serving. None: it is logged.
        self.on_exit: Optional[Callable[[BaseException], None]] = None

    # ----- producers -------------------------------------------------------------------
    def send_callable(
        self,
        function: Callable[..., Any],
        paramstuple: tuple[Any, ...] = (),
        needsync: bool = False,
        lane: Any = _NO_LANE,
    ) -> WorkJob:
        """Queue ``function(*paramstuple)`` and return its :class:`WorkJob`."""
        job = WorkJob(function, paramstuple, needsync)
        self.send_job(job, lane)
        return job

    def send_job(self, newjob: Callable[[], Any], lane: Any = _NO_LANE) -> bool:
        """Queue a callable job (True), or raise as osc4py3 does: :class:`RuntimeError`
        when the queue is terminated (and :class:`OSCWorkQueueFullError`, a RuntimeError
        too, when it is full)."""
        refused = self._queue(newjob, lane)
        if refused is not None:
            raise refused
        return True

    def offer_job(self, newjob: Callable[[], Any], lane: Any = _NO_LANE) -> bool:
        """:meth:`send_job` that returns False instead of raising (the runtime's use: a
        refused job is counted in ``dropped`` and logged, rate-limited)."""
        refused = self._queue(newjob, lane)
        if refused is not None:
            _THROTTLE.log(
                logging.WARNING,
                (id(self), type(refused)),
                "jobs refused by a work queue",
                "OSC workqueue: job dropped: %s",
                refused,
                logger=self.logger,
            )
            return False
        return True

    def _queue(self, newjob: Callable[[], Any], lane: Any) -> Optional[RuntimeError]:
        with self._cond:
            if self.terminated:
                self.dropped += 1
                _release(newjob)
                return RuntimeError("WorkQueue jobs terminated.")
            if self.maxjobs and self._count >= self.maxjobs:
                self.dropped += 1
                _release(newjob)
                return OSCWorkQueueFullError(f"OSC workqueue full ({self.maxjobs} jobs)")
            self._count += 1
            if lane is _NO_LANE:
                self._jobs.append((newjob, _NO_LANE))
            else:
                waiting = self._lanes.get(lane)
                if waiting is not None:
                    # The lane already has a token queued or a worker running it: the job
                    # waits behind the earlier ones, and no other worker needs waking.
                    waiting.append(newjob)
                    return None
                self._lanes[lane] = collections.deque((newjob,))
                self._jobs.append((None, lane))
            self._cond.notify()
        return None

    def send_terminate(self) -> None:
        """Mark the queue terminated and wake every waiting worker (pending jobs are kept)."""
        with self._cond:
            self.terminated = True
            self._cond.notify_all()

    def terminate(self, timeout: Optional[float] = 1.0, discard: bool = True) -> None:
        """Terminate the queue, drop what is still queued (with *discard*), join threads.

        Returns after at most *timeout* seconds even when a job is still running; the
        worker threads are daemons and exit as soon as their current job returns.
        """
        with self._cond:
            self.terminated = True
            if discard:
                if self._count:
                    self.logger.info("OSC workqueue terminating: %d jobs discarded", self._count)
                for job, _lane in self._jobs:
                    _release(job)
                self._jobs.clear()
                for waiting in self._lanes.values():
                    for job in waiting:
                        _release(job)
                    waiting.clear()
                self._count = 0
            self._cond.notify_all()
        self.join(timeout=timeout)

    def __len__(self) -> int:
        return self._count

    # ----- consumers -------------------------------------------------------------------
    def _pop_single(self) -> Any:
        # Called with the condition held, for a single consumer: the next job, or None.
        # A lane's token goes back in front while the lane has jobs, so a lane is drained
        # in order before the next entry (there is no other consumer to run it meanwhile).
        jobs = self._jobs
        while jobs:
            job, lane = jobs.popleft()
            if lane is _NO_LANE:
                self._count -= 1
                return job
            waiting = self._lanes.get(lane)
            if not waiting:
                self._lanes.pop(lane, None)
                continue
            job = waiting.popleft()
            self._count -= 1
            if waiting:
                jobs.appendleft((None, lane))
            else:
                del self._lanes[lane]
            return job
        return None

    def wait_for_job(self, timeout: Optional[float] = None) -> Any:
        """Next job, ``None`` after *timeout* seconds (0: poll), ``LAST_JOB`` once terminated.

        For a single consumer, which runs each lane's jobs in order by itself.
        """
        with self._cond:
            if not self._jobs and not self.terminated and timeout != 0:
                self._cond.wait_for(lambda: self._jobs or self.terminated, timeout)
            job = self._pop_single()
            if job is not None:
                return job
            if self.terminated:
                return LAST_JOB
            return None

    def run_pending(self, maxjobs: int = 0) -> int:
        """Run the jobs queued now (at most *maxjobs*, 0: all present); return how many ran.

        For an event loop: jobs sent while this runs wait for the next call, so a handler
        that keeps sending cannot trap the loop here.
        """
        count = self._count if not maxjobs else min(maxjobs, self._count)
        done = 0
        while done < count:
            with self._cond:
                job = self._pop_single()
            if job is None:
                break
            done += 1
            self._run(job)
        return done

    def run_job(self, job: Callable[[], Any]) -> None:
        """Run one job taken with :meth:`wait_for_job`: an exception it raises is logged
        and counted in ``failures``; ``SystemExit``/``KeyboardInterrupt`` propagate."""
        try:
            job()
        except Exception:
            self.failures += 1
            self.logger.exception("OSC workqueue: failure in job %r", job)

    _run = run_job

    def _run_in_worker(self, job: Callable[[], Any]) -> None:
        # A worker thread never dies of its job: exits go to on_exit (or the log).
        try:
            self.run_job(job)
        except BaseException as exit_:
            handler = self.on_exit
            if handler is not None:
                handler(exit_)
            else:
                self.failures += 1
                self.logger.error(
                    "OSC workqueue: job %r raised %r in a worker thread; the worker goes on",
                    job,
                    exit_,
                )

    def _next_for_worker(self) -> Any:
        # Called with the condition held: the next job and its lane (now owned by the
        # calling worker until its queue is empty), or None.
        jobs = self._jobs
        while jobs:
            job, lane = jobs.popleft()
            if lane is not _NO_LANE:
                waiting = self._lanes.get(lane)
                if not waiting:  # emptied by terminate()
                    self._lanes.pop(lane, None)
                    continue
                job = waiting.popleft()
            self._count -= 1
            return job, lane
        return None

    def _worker_loop(self) -> None:
        cond = self._cond
        while True:
            with cond:
                item = self._next_for_worker()
                while item is None:
                    if self.terminated:
                        return
                    cond.wait()
                    item = self._next_for_worker()
            job, lane = item
            while True:
                self._run_in_worker(job)
                if lane is _NO_LANE:
                    break
                with cond:
                    waiting = self._lanes.get(lane)
                    if waiting:
                        job = waiting.popleft()
                        self._count -= 1
                    else:
                        self._lanes.pop(lane, None)
                        break

    @staticmethod
    def working_thread_loop(wq: WorkQueue) -> None:
        """Entry point of a worker thread (osc4py3 name)."""
        wq._worker_loop()

    def add_working_threads(self, count: int = 1, makejoignable: bool = True) -> None:
        """Start *count* daemon worker threads on this queue."""
        for _ in range(count):
            self.threadcount += 1
            thread = threading.Thread(
                target=self._worker_loop,
                name=f"oscwire-work{id(self):x}.{self.threadcount:02d}",
                daemon=True,
            )
            if makejoignable:
                self.ownthreads.append(thread)
            thread.start()

    def join(self, removethreads: bool = True, timeout: Optional[float] = None) -> bool:
        """Join the worker threads, within *timeout* seconds in all; True when all ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        alive = False
        for thread in list(self.ownthreads):
            if thread is threading.current_thread():
                continue
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(remaining)
            alive = alive or thread.is_alive()
        if removethreads:
            self.ownthreads = [t for t in self.ownthreads if t.is_alive()]
        return not alive


def _release(job: Any) -> None:
    """Wake whoever waits for a job that will never run (see :meth:`WorkJob.dropped`)."""
    if isinstance(job, WorkJob):
        job.dropped()
