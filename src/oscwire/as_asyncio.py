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
from typing import Any, Callable, Optional

from oscwire import _asyncio_runtime, _facade, _runtime
from oscwire._facade import (
    osc_batched_sends,
    osc_broadcast_client,
    osc_broadcast_server,
    osc_channel,
    osc_multicast_client,
    osc_multicast_server,
    osc_reply,
    osc_send,
    osc_stats,
    osc_terminate,
    osc_udp_client,
    osc_udp_server,
    osc_unmethod,
)
from oscwire._tcp_facade import osc_tcp_client, osc_tcp_server
from oscwire.oscmethod import OSCARG_DATAUNPACK, MethodFilter

__all__ = [
    "osc_batched_sends",
    "osc_broadcast_client",
    "osc_broadcast_server",
    "osc_channel",
    "osc_method",
    "osc_multicast_client",
    "osc_multicast_server",
    "osc_process",
    "osc_reply",
    "osc_send",
    "osc_startup",
    "osc_stats",
    "osc_tcp_client",
    "osc_tcp_server",
    "osc_terminate",
    "osc_udp_client",
    "osc_udp_server",
    "osc_unmethod",
]


def osc_startup(loop: Optional[asyncio.AbstractEventLoop] = None, **kwargs: Any) -> None:
    """Start OSC processing in *loop* (default: the running loop); a second call does nothing.

    Keywords as for the other policies: ``logger``, ``patternkind`` (``"osc"``, the
    default, or ``"spec"``), ``max_delayed``, ``max_delayed_bytes``, ``max_delay``,
    ``raise_send_errors``, ``honor_timetag``, ``forget_oldmsg``, ``timetag_offset``,
    ``check_subbundle_timetag``; ``execthreadscount`` and ``writethreadscount`` are accepted
    and unused (no thread). Raises RuntimeError outside a running loop when no *loop* is
    given, or for a loop that cannot watch sockets.
    """
    _facade.startup(_asyncio_runtime.AsyncioPolicy(loop), **kwargs)


def osc_process(timeout: float = 0.0) -> None:
    """Nothing to do: the event loop does the work (kept for osc4py3 programs)."""


def osc_method(
    addrpattern: str,
    function: Callable[..., Any],
    argscheme: tuple[str, ...] = OSCARG_DATAUNPACK,
    extra: Any = None,
) -> MethodFilter:
    """Call *function* for messages matching *addrpattern*; return a handle for osc_unmethod.

    An ``async def`` function is run as a task for each message (in arrival order of
    starting; tasks of successive messages may interleave at their ``await`` points).
    """
    policy = _system()
    if inspect.iscoroutinefunction(function):
        function = _as_task(policy, function)
    return _runtime.default_system().method(addrpattern, function, argscheme=argscheme, extra=extra)


def _system() -> _asyncio_runtime.AsyncioPolicy:
    current = _runtime.default_system()
    policy = current.policy
    if not isinstance(policy, _asyncio_runtime.AsyncioPolicy) or not current.running:
        raise RuntimeError("oscwire.as_asyncio: call osc_startup() first, from a coroutine")
    return policy


def _as_task(
    policy: _asyncio_runtime.AsyncioPolicy, function: Callable[..., Any]
) -> Callable[..., None]:
    name = getattr(function, "__qualname__", repr(function))

    @functools.wraps(function)
    def start_task(*args: Any) -> None:
        policy.spawn(function(*args), name)

    return start_task


def __getattr__(name: str) -> Any:
    # osc4py3's module globals (dispatcher, generallogger...), from the default system.
    return _facade.facade_global(__name__, name)
