"""One started system per test, and one bounded way to wait for it: for tests/ and bench/.

``system`` (a fixture) is a started :class:`~oscwire.OSCSystem`, stopped after the test.
The ``system`` marker, on a test or a module (``pytestmark``), chooses it::

    pytestmark = pytest.mark.system(*POLICIES, execthreadscount=4)
    @pytest.mark.system("allthreads")

With several policies the test runs once per policy (ids end in the policy name); with
one, the system has that policy and the test's id is unchanged; without the marker it is
an event loop. Keywords go to :class:`~oscwire.OSCSystem` (default: 2 handler threads, for
a 2-core machine). ``"asyncio"`` is an :class:`~oscwire._asyncio_runtime.AsyncioSystem`
whose loop runs in a daemon thread.

:func:`pump` runs the caller's share of a system until a condition holds, and fails the
test, saying what it waited for, when the time is up; :func:`poll` is the same without the
failure (for "this must *not* happen" and skip-if-unsupported), :func:`run_for` serves a
system for a while.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, Callable, Optional, Union

import pytest

from oscwire._asyncio_runtime import AsyncioSystem
from oscwire._runtime import OSCSystem

POLICIES = ("eventloop", "comthreads", "allthreads")
#: The thread policies plus the asyncio one (its loop runs in a thread of the test).
ALL_POLICIES = (*POLICIES, "asyncio")
DEFAULT_POLICY = "eventloop"
DEFAULT_OPTIONS: dict[str, Any] = {"execthreadscount": 2}

#: What :func:`pump` drives: a system (its ``process()``; an asyncio one serves itself),
#: several systems, a façade's ``osc_process``, or None (the system under test runs in
#: threads of its own: only wait).
Driver = Union[OSCSystem, Iterable[OSCSystem], Callable[[float], Any], None]
#: How long each ``process()`` call of :func:`pump` may wait for work, in seconds.
SLICE = 0.002
#: The default bound of :func:`pump`: generous, a loaded CI machine is slow.
TIMEOUT = 10.0


def start_system(policy: str = DEFAULT_POLICY, **options: Any) -> OSCSystem:
    """A started system of *policy*; end it with :func:`stop_system`."""
    options = {**DEFAULT_OPTIONS, **options}
    if policy != "asyncio":
        return OSCSystem(policy, **options).start()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="test-asyncio", daemon=True)
    thread.start()
    system = AsyncioSystem(loop=loop, **options)

    async def start() -> None:
        system.start()

    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    return system


def stop_system(system: OSCSystem) -> None:
    """Terminate *system* (an asyncio one in its loop, whose thread then ends)."""
    if not isinstance(system, AsyncioSystem) or system.loop is None:
        system.terminate()
        return
    loop = system.loop

    async def stop() -> None:
        system.terminate()

    if loop.is_running():
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        deadline = time.monotonic() + 5
        while loop.is_running() and time.monotonic() < deadline:
            time.sleep(0.01)
    if not loop.is_running():
        loop.close()


@pytest.fixture
def system(request: pytest.FixtureRequest) -> Iterator[OSCSystem]:
    """A started system (see the module's docstring for the ``system`` marker)."""
    marker = request.node.get_closest_marker("system")
    policies = marker.args if marker is not None else ()
    options = dict(marker.kwargs) if marker is not None else {}
    policy = getattr(request, "param", policies[0] if policies else DEFAULT_POLICY)
    current = start_system(policy, **options)
    yield current
    stop_system(current)


def parametrize_system(metafunc: pytest.Metafunc) -> None:
    """``pytest_generate_tests``: one case per policy of a ``system`` marker naming several."""
    if "system" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("system")
    if marker is not None and len(marker.args) > 1:
        metafunc.parametrize("system", marker.args, indirect=True)


def _stepper(driver: Driver) -> Callable[[float], Any]:
    """One step of work (or of waiting) for *driver*, bounded by its argument in seconds."""
    if driver is None:
        return time.sleep
    if isinstance(driver, OSCSystem):
        group = [driver]
    elif callable(driver):
        return driver
    else:
        group = list(driver)
    steps = [time.sleep if isinstance(s, AsyncioSystem) else s.process for s in group]
    if len(steps) == 1:
        return steps[0]

    def step_all(seconds: float) -> None:
        for step in steps:
            step(seconds)

    return step_all


def poll(driver: Driver, until: Callable[[], object], timeout: float = TIMEOUT) -> bool:
    """Serve *driver* until *until()* is true (True) or *timeout* seconds pass (False)."""
    step = _stepper(driver)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if until():
            return True
        step(SLICE)
    return bool(until())


def pump(
    driver: Driver,
    until: Callable[[], object],
    timeout: float = TIMEOUT,
    what: Optional[str] = None,
) -> None:
    """Serve *driver* until *until()* is true; fail the test after *timeout* seconds,
    naming *what* it waited for (by default the source of the *until* lambda)."""
    if not poll(driver, until, timeout):
        pytest.fail(f"waited {timeout:g} s in vain for {what or describe(until)}")


def run_for(driver: Driver, seconds: float) -> None:
    """Serve *driver* for *seconds* (what a program's loop does between two checks)."""
    poll(driver, lambda: False, seconds)


def reaches(read: Callable[[], int], target: int) -> Callable[[], bool]:
    """A condition for :func:`pump`: ``read()`` equals *target* (bound now, read later);
    a timeout says the last value read."""
    return _Reaches(read, target)


class _Reaches:
    def __init__(self, read: Callable[[], int], target: int) -> None:
        self.read = read
        self.target = target

    def __call__(self) -> bool:
        return self.read() == self.target

    def __repr__(self) -> str:
        return f"{describe(self.read)} to reach {self.target} (last read: {self.read()})"


def describe(condition: Callable[[], object]) -> str:
    """The source of a lambda (``lambda: len(calls) == 3``), the name of a function, or
    the ``repr`` of a callable object."""
    name = getattr(condition, "__qualname__", None)
    if name is None:
        return repr(condition)
    if not name.endswith("<lambda>"):
        return f"{name}()"
    try:
        lines, _ = inspect.getsourcelines(condition)
    except (OSError, TypeError):
        return "a lambda whose source is not available"
    text = " ".join(line.strip() for line in lines)
    start = text.find("lambda")
    if start < 0:
        return text
    # The longest text from "lambda" on that parses as a lambda alone: the source line
    # goes on with the call's other arguments and closing brackets.
    for end in range(len(text), start, -1):
        try:
            tree = ast.parse(text[start:end], mode="eval")
        except SyntaxError:
            continue
        if isinstance(tree.body, ast.Lambda):
            # Without the comments and line breaks; Python 3.9 writes "lambda :".
            return ast.unparse(tree.body).replace("lambda :", "lambda:", 1)
    return text
