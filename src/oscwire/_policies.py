"""Scheduling policies: who runs what, in which thread, for one :class:`OSCSystem`.

A policy object owns the threads, the monitor and the handler executor of a system, and
does the caller's share of the work in :meth:`Policy.process` (``osc_process()``):

:class:`EventLoopPolicy` (``"eventloop"``)
    No thread. ``process()`` reads ready sockets, decodes, calls the handlers and runs due
    bundles and timers, in the caller's thread.
:class:`ComThreadsPolicy` (``"comthreads"``)
    One daemon thread reads, decodes and matches, and runs delayed bundles and timers on
    time; handlers run in the caller's thread when it calls ``process()``.
:class:`AllThreadsPolicy` (``"allthreads"``)
    The same communication thread, plus ``execthreadscount`` daemon threads for the
    handlers (0: handlers run in the communication thread). Messages of one source keep
    their order (one lane per source); different sources run in parallel.

The asyncio policy lives in :mod:`oscwire._asyncio_runtime`. A handler that raises
``SystemExit`` or ``KeyboardInterrupt`` is never swallowed: in the caller's thread it
propagates out of ``process()``; in a thread of the policy it is logged, counted
(``handler_exits``) and raised again in the thread that next calls ``process()``, while
the thread that ran it keeps serving.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, ClassVar, Optional

from oscwire._monitoring import SteppingMonitor
from oscwire.oscscheduling import Monitor
from oscwire.osctoolspools import WorkQueue

if TYPE_CHECKING:
    from oscwire._runtime import OSCSystem
    from oscwire.oscchannel import TransportChannel
    from oscwire.oscdispatching import CallExecutor

__all__ = [
    "MAX_EXEC_JOBS",
    "AllThreadsPolicy",
    "ComThreadsPolicy",
    "EventLoopPolicy",
    "Policy",
    "make_policy",
]

#: Handler jobs waiting in an execution queue, at most (then new ones are dropped: logged,
#: counted in the system's ``received_dropped`` and the channel's ``dropped_received``).
MAX_EXEC_JOBS = 100000


class Policy:
    """The base of the scheduling policies (see the module doc)."""

    #: The policy's name, as osc4py3's façade modules name them.
    name: ClassVar[str] = ""
    #: True when a thread of the policy reads the sockets (the caller never has to).
    threaded: ClassVar[bool] = False

    def __init__(self) -> None:
        self.system: Optional[OSCSystem] = None
        self.monitor: Optional[SteppingMonitor] = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    @property
    def executor(self) -> Optional[CallExecutor]:
        """Where handler calls run: None for "now, in the thread that dispatches"."""
        return None

    def backlog(self) -> int:
        """Handler jobs waiting to run (for back-pressure)."""
        return 0

    def make_monitor(
        self, system: OSCSystem, previous: Optional[SteppingMonitor]
    ) -> SteppingMonitor:
        """The monitor the system's channels register with (*previous*: the one of the
        policy this one replaces, kept when it fits, else None)."""
        if isinstance(previous, Monitor) and not previous.terminated:
            return previous
        return Monitor(system.logger, name="monitor")

    def attach(self, system: OSCSystem, monitor: SteppingMonitor) -> None:
        """Start serving *system* (threads, executor)."""
        self.system = system
        self.monitor = monitor

    def detach(self, deadline: float) -> None:
        """Stop serving (threads told to stop, joined until the monotonic *deadline*)."""

    def wake(self) -> None:
        """Something is due now (received data, a local packet, a timer): have the loop
        that serves the system look again soon."""

    def process(self, timeout: float) -> None:
        """The caller's share of the work (``osc_process()``), waiting up to *timeout* s."""
        raise NotImplementedError


class EventLoopPolicy(Policy):
    """No thread: everything happens in :meth:`process`, in the caller's thread."""

    name = "eventloop"

    def process(self, timeout: float) -> None:
        system = self.system
        monitor = self.monitor
        if system is None or monitor is None:
            return
        delay = system.next_wait()
        if delay is not None and delay < timeout:
            timeout = delay
        monitor.step(timeout)
        system.serve_pending()


class _CommThreadPolicy(Policy):
    """One daemon thread reads, decodes, matches and runs due bundles and timers."""

    threaded = True

    def __init__(self) -> None:
        super().__init__()
        self._thread: Optional[threading.Thread] = None
        self._stop = False

    @property
    def thread(self) -> Optional[threading.Thread]:
        """The communication thread, while it runs."""
        return self._thread

    def attach(self, system: OSCSystem, monitor: SteppingMonitor) -> None:
        super().attach(system, monitor)
        self._stop = False
        self._thread = threading.Thread(target=self._comm_loop, name="oscwire-comm", daemon=True)
        self._thread.start()

    def detach(self, deadline: float) -> None:
        self._stop = True
        thread = self._thread
        if thread is not None:
            if self.monitor is not None:
                self.monitor.wake()
            if thread is not threading.current_thread():
                thread.join(max(0.0, (deadline - time.monotonic()) * 0.5))
        self._thread = None

    def stopping(self) -> bool:
        """True once :meth:`detach` told the communication thread to stop."""
        return self._stop

    def in_comm_thread(self) -> bool:
        """True when called from the communication thread."""
        return self._thread is threading.current_thread()

    def wake(self) -> None:
        monitor = self.monitor
        if monitor is not None and self._thread is not None and not self.in_comm_thread():
            monitor.wake()

    def _comm_loop(self) -> None:
        system = self.system
        monitor = self.monitor
        assert system is not None and monitor is not None
        while not self._stop:
            try:
                monitor.step(system.next_wait())
                if self.stopping():
                    break
                system.serve_pending()
            except Exception:
                system.logger.exception("OSC communication thread: failure, continuing")
                time.sleep(0.01)
            except BaseException as exit_:  # a handler's SystemExit / KeyboardInterrupt
                system.handler_exit(exit_)


class QueueExecutor:
    """A :class:`~oscwire.oscdispatching.CallExecutor` over a :class:`WorkQueue`: handler
    calls become jobs, one lane per source, their raw bytes counted for back-pressure."""

    def __init__(self, policy: Policy, queue: WorkQueue, parallel: bool) -> None:
        self.policy = policy
        self.queue = queue
        self.parallel = parallel

    def submit(
        self, lane: Hashable, calls: list[Any], channel: Optional[TransportChannel], nbytes: int
    ) -> None:
        system = self.policy.system
        if system is None:
            return
        job = functools.partial(self._run, system, calls, channel, nbytes)
        if nbytes:
            system.count_waiting_bytes(nbytes)
        if not self.queue.offer_job(job, lane):
            # Refused (MAX_EXEC_JOBS, or terminating): logged by the queue; counted where
            # osc_stats() shows it, as the received batches dropped by the runtime are.
            if nbytes:
                system.count_waiting_bytes(-nbytes)
            system.stats.received_dropped += 1
            if channel is not None:
                channel.stats.dropped_received += len(calls) // 3

    @staticmethod
    def _run(
        system: OSCSystem, calls: list[Any], channel: Optional[TransportChannel], nbytes: int
    ) -> None:
        try:
            dispatcher = system.dispatcher
            if dispatcher is not None:
                dispatcher.execute_flat(calls, channel)
        finally:
            if nbytes:
                system.count_waiting_bytes(-nbytes)


class _QueuedPolicy(_CommThreadPolicy):
    """A communication thread, and handler calls queued in a :class:`WorkQueue` (whose
    consumers the subclass chooses)."""

    def __init__(self) -> None:
        super().__init__()
        self.queue: Optional[WorkQueue] = None
        self._executor: Optional[QueueExecutor] = None

    @property
    def executor(self) -> Optional[CallExecutor]:
        return self._executor

    def backlog(self) -> int:
        return len(self.queue) if self.queue is not None else 0

    def _make_queue(self, system: OSCSystem, parallel: bool) -> WorkQueue:
        self.queue = WorkQueue(system.logger, maxjobs=MAX_EXEC_JOBS)
        self._executor = QueueExecutor(self, self.queue, parallel=parallel)
        return self.queue

    def detach(self, deadline: float) -> None:
        super().detach(deadline)
        if self.queue is not None:
            self.queue.terminate(timeout=max(0.0, deadline - time.monotonic()))


class ComThreadsPolicy(_QueuedPolicy):
    """Communication thread; handlers run in the thread that calls :meth:`process`."""

    name = "comthreads"

    def attach(self, system: OSCSystem, monitor: SteppingMonitor) -> None:
        self._make_queue(system, parallel=False)
        super().attach(system, monitor)

    def process(self, timeout: float) -> None:
        queue = self.queue
        if queue is None:
            return
        if timeout and not len(queue):
            job = queue.wait_for_job(timeout)
            if job is None or isinstance(job, str):
                return
            queue.run_job(job)
        queue.run_pending()


class AllThreadsPolicy(_QueuedPolicy):
    """Communication thread plus *execthreadscount* handler threads (0: handlers run in the
    communication thread)."""

    name = "allthreads"

    def __init__(self, execthreadscount: int = 10) -> None:
        super().__init__()
        self.execthreadscount = max(0, int(execthreadscount))

    def attach(self, system: OSCSystem, monitor: SteppingMonitor) -> None:
        if self.execthreadscount:
            queue = self._make_queue(system, parallel=True)
            queue.on_exit = system.handler_exit
            queue.add_working_threads(self.execthreadscount)
        super().attach(system, monitor)

    def process(self, timeout: float) -> None:
        if timeout:
            time.sleep(timeout)


#: The policies the osc4py3 façades name.
POLICY_CLASSES: dict[str, type[Policy]] = {
    EventLoopPolicy.name: EventLoopPolicy,
    ComThreadsPolicy.name: ComThreadsPolicy,
    AllThreadsPolicy.name: AllThreadsPolicy,
}


def make_policy(policy: Any, execthreadscount: int = 10) -> Policy:
    """A policy object from a :class:`Policy`, a Policy class, or one of the names of
    :data:`POLICY_CLASSES`."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, type) and issubclass(policy, Policy):
        cls: Optional[type[Policy]] = policy
    else:
        cls = POLICY_CLASSES.get(policy) if isinstance(policy, str) else None
    if cls is None:
        raise ValueError(
            f"OSC policy must be one of {tuple(POLICY_CLASSES)} or a Policy, not {policy!r}"
        )
    if cls is AllThreadsPolicy:
        return AllThreadsPolicy(execthreadscount)
    return cls()
