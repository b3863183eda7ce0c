"""Use OSC from asyncio: the running event loop reads, decodes and calls the handlers.

Call ``osc_startup()`` from a coroutine (or give ``loop=``); servers, clients, methods and
sends are the same functions as in the other ``as_*`` modules, with osc4py3's names and
signatures. A handler may be a plain function (called in the loop) or an ``async def``
(each call runs as a task; ``osc_terminate()`` cancels those still running). Sending is
never awaited: it writes at once when the socket accepts it, else queues the packet and the
loop flushes it. Nothing runs in another thread; ``osc_process()`` exists for osc4py3
programs and does nothing. Works with the default selector loop and with uvloop; on
Windows, use ``asyncio.WindowsSelectorEventLoopPolicy`` (the proactor loop cannot watch
sockets). See ``docs/runtime.md``.

Example::

    async def main():
        osc_startup()
        osc_udp_server("127.0.0.1", 9000, "in")
        osc_method("/note", on_note)          # def or async def
        await asyncio.sleep(60)
        osc_terminate()
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any, Optional

from oscwire import _asyncio_runtime, _facade, _runtime
from oscwire._facade import *  # noqa: F403  (the functions every policy shares)
from oscwire._tcp_facade import osc_tcp_client, osc_tcp_server
from oscwire.oscmethod import OSCARG_DATAUNPACK

__all__ = ["osc_process", "osc_startup", "osc_tcp_client", "osc_tcp_server"]
__all__ += _facade.__all__


def osc_startup(loop: Optional[asyncio.AbstractEventLoop] = None, **kwargs: Any) -> None:
    """Start OSC processing in *loop* (default: the running loop); a second call does nothing.

    Keywords as for the other policies: ``logger``, ``patternkind`` (``"osc"``, the
    default, or ``"spec"``), ``max_delayed``, ``honor_timetag``, ``forget_oldmsg``,
    ``timetag_offset``, ``check_subbundle_timetag``; ``execthreadscount`` and
    ``writethreadscount`` are accepted and unused (no thread). Raises RuntimeError outside
    a running loop when no *loop* is given, or for a loop that cannot watch sockets.
    """
    current = _runtime.default_system()
    if current.running:
        if isinstance(current, _asyncio_runtime.AsyncioSystem):
            return
        # Left running by another façade (or auto-started by an early call): replaced, as
        # the other façades do for a system another one left running.
        current.logger.warning(
            "OSC startup: terminating the running %s system for the asyncio policy",
            current.policy,
        )
    system = _asyncio_runtime.AsyncioSystem(loop, **kwargs)
    system.start()
    system.started_by_facade = True
    _runtime.install_default_system(system)


def osc_process(timeout: float = 0.0) -> None:
    """Nothing to do: the event loop does the work (kept for osc4py3 programs)."""


def osc_method(
    addrpattern: str, function: Any, argscheme: Any = OSCARG_DATAUNPACK, extra: Any = None
) -> Any:
    """Call *function* for messages matching *addrpattern*; return a handle for osc_unmethod.

    An ``async def`` function is run as a task for each message (in arrival order of
    starting; tasks of successive messages may interleave at their ``await`` points).
    """
    system = _system()
    if inspect.iscoroutinefunction(function):
        function = _as_task(system, function)
    return system.method(addrpattern, function, argscheme=argscheme, extra=extra)


def _system() -> _asyncio_runtime.AsyncioSystem:
    current = _runtime.default_system()
    if not isinstance(current, _asyncio_runtime.AsyncioSystem) or not current.running:
        raise RuntimeError("oscwire.as_asyncio: call osc_startup() first, from a coroutine")
    return current


def _as_task(system: _asyncio_runtime.AsyncioSystem, function: Any) -> Any:
    name = getattr(function, "__qualname__", repr(function))

    @functools.wraps(function)
    def start_task(*args: Any) -> None:
        system.spawn(function(*args), name)

    return start_task
