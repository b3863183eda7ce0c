"""What :class:`~oscwire.Server` and :class:`~oscwire.Client` share: one OSC system, its
methods, and the policy that serves it.

An :class:`Endpoint` owns a private :class:`~oscwire._runtime.OSCSystem` (its channels,
dispatcher and compiled paths: no second engine) whose policy object says who reads and
calls the handlers: nobody yet, the caller's thread (``serve_forever()``), a background
thread (``start()``) or the running asyncio loop (``async with``, ``await serve()``). The
switch is :meth:`~oscwire._runtime.OSCSystem.switch_policy`, so methods and channels made
before serving are kept.
"""

from __future__ import annotations

import asyncio
import logging
import typing
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Callable, Literal, Optional, TypeVar

from oscwire._asyncio_runtime import AsyncioPolicy
from oscwire._handlers import (
    ContextHandler,
    Form,
    Matching,
    MessageHandler,
    describe_handler,
    is_async_handler,
    make_method,
)
from oscwire._logutil import LogThrottle
from oscwire._policies import AllThreadsPolicy, Policy
from oscwire._runtime import OSCSystem
from oscwire.oscmethod import MethodFilter

__all__ = ["Endpoint", "EndpointSystem", "check_host", "running_loop"]

_LOGGER = logging.getLogger("oscwire.api")

_E = TypeVar("_E", bound="Endpoint")
_MH = TypeVar("_MH", bound=MessageHandler)
_CH = TypeVar("_CH", bound=ContextHandler)


def check_host(host: object, kind: str) -> None:
    """Raise :class:`TypeError` for a *host* that is not a str (python-osc's servers take
    an ``(ip, port)`` tuple: without this, the resolver's "Name or service not known")."""
    if isinstance(host, str):
        return
    hint = ""
    if isinstance(host, tuple) and len(host) == 2:
        hint = f" (python-osc's (ip, port) tuple is two parameters: oscwire.{kind}(ip, port))"
    raise TypeError(f"oscwire.{kind}: host must be a str, not {host!r}{hint}")


def running_loop() -> Optional[asyncio.AbstractEventLoop]:
    """The asyncio loop running in this thread, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class EndpointSystem(OSCSystem):
    """The :class:`~oscwire.OSCSystem` of one endpoint: once the endpoint closes, nothing
    starts it again.

    A channel made in a stopped system starts it (osc4py3 programs make channels before
    ``osc_startup()``); for an endpoint that would mean a connection accepted while it
    closes bringing the system back to life with a new thread nobody would stop.
    """

    closing = False

    def start(self) -> OSCSystem:
        if self.closing:
            raise RuntimeError("the OSC system of a closed oscwire endpoint is not restarted")
        return super().start()


class Endpoint:
    """The base of :class:`~oscwire.Server` and :class:`~oscwire.Client` (not made directly).

    *policy* serves the system from the start; *owner* returns the endpoint to the methods
    that need it (a weak reference, or a function holding it: see the subclasses).
    """

    _system: EndpointSystem

    def __init__(self, policy: Policy, matching: Matching) -> None:
        if not isinstance(matching, Matching):
            raise TypeError(f"matching must be a oscwire.Matching, not {matching!r}")
        system = EndpointSystem(policy, patternkind=matching.value)
        system.start()
        self._system = system
        self._matching = matching
        self._throttle = LogThrottle(_LOGGER)
        self._closed = False
        # async def handlers registered so far (they need the asyncio policy).
        self._async_handlers: list[str] = []

    # ----- what a subclass says ----------------------------------------------------------
    def _owner(self) -> Callable[[], Optional[Endpoint]]:
        """How the methods reach this endpoint (see the subclasses)."""
        raise NotImplementedError

    def _async_allowed(self) -> bool:
        """True when ``async def`` handlers can run (now, or once served)."""
        return isinstance(self._system.policy, AsyncioPolicy)

    def _kind(self) -> str:
        return type(self).__name__

    # ----- state -------------------------------------------------------------------------
    @property
    def system(self) -> OSCSystem:
        """The :class:`~oscwire.OSCSystem` under this endpoint (channels, dispatcher...)."""
        return self._system

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"this oscwire.{self._kind()} is closed")

    def stats(self) -> Mapping[str, object]:
        """The counters of the system, its dispatcher and its channels (see
        :meth:`oscwire.OSCSystem.all_stats`)."""
        stats: Mapping[str, object] = self._system.all_stats()
        return stats

    # ----- methods -----------------------------------------------------------------------
    @typing.overload
    def add_method(
        self,
        pattern: str,
        handler: MessageHandler,
        *,
        form: Literal[Form.ADDRESS_ARGS, Form.ARGS] = ...,
    ) -> MethodFilter: ...

    @typing.overload
    def add_method(
        self, pattern: str, handler: ContextHandler, *, form: Literal[Form.CONTEXT]
    ) -> MethodFilter: ...

    def add_method(
        self, pattern: str, handler: Callable[..., Any], *, form: Form = Form.ADDRESS_ARGS
    ) -> MethodFilter:
        """Call *handler* for the messages whose address matches *pattern*, in *form*.

        Returns the method (give it to :meth:`remove_method`). Raises :class:`TypeError`
        when the handler's signature cannot take *form* (or an ``async def`` handler on an
        endpoint served by threads), and :class:`~oscwire._errors.OSCPatternError` /
        :class:`~oscwire._errors.OSCInvalidAddressError` for a bad pattern.
        """
        return self._register(pattern, handler, form)

    def _register(self, pattern: str, handler: Callable[..., Any], form: Form) -> MethodFilter:
        self._check_open()
        method = make_method(pattern, handler, form, self._matching, self._owner(), self._throttle)
        if is_async_handler(handler):
            if not self._async_allowed():
                raise TypeError(
                    f"OSC handler {describe_handler(handler)} is an async def, and this "
                    f"{self._kind()} is served by threads: serve it with asyncio "
                    "('async with', 'await server.serve()'), or make the handler a plain def"
                )
            self._async_handlers.append(describe_handler(handler))
        dispatcher = self._system.dispatcher
        if dispatcher is None:
            raise RuntimeError(f"this oscwire.{self._kind()} is closed")
        dispatcher.add_method(method)
        return method

    @typing.overload
    def method(
        self, pattern: str, *, form: Literal[Form.ADDRESS_ARGS, Form.ARGS] = ...
    ) -> Callable[[_MH], _MH]: ...

    @typing.overload
    def method(self, pattern: str, *, form: Literal[Form.CONTEXT]) -> Callable[[_CH], _CH]: ...

    def method(self, pattern: str, *, form: Form = Form.ADDRESS_ARGS) -> Callable[[Any], Any]:
        """Decorator: ``@server.method("/mixer/*/fader")`` registers the function below
        (see :meth:`add_method`) and leaves it as it is."""

        def register(handler: Any) -> Any:
            self._register(pattern, handler, form)
            return handler

        return register

    def remove_method(self, method: MethodFilter) -> bool:
        """Unregister a method :meth:`add_method` returned; False if it was not registered."""
        return self._system.unmethod(method)

    # ----- closing -----------------------------------------------------------------------
    def _wake_server_loop(self) -> None:
        """Let a loop waiting for this endpoint see that it closes (subclasses)."""

    def close(self) -> None:
        """Close the sockets and stop the threads of this endpoint (idempotent).

        Callable from any thread, a handler included; returns within about a second.
        """
        if self._closed:
            return
        self._closed = True
        self._system.closing = True
        self._wake_server_loop()
        self._system.terminate()

    def __enter__(self: _E) -> _E:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    async def __aenter__(self: _E) -> _E:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()


def serve_in_threads(system: OSCSystem, handler_threads: int) -> None:
    """Serve *system* from a background communication thread (and *handler_threads*
    handler threads; 0: the handlers run in the communication thread, in order)."""
    system.switch_policy(AllThreadsPolicy(handler_threads))


def serve_in_loop(system: OSCSystem, loop: asyncio.AbstractEventLoop) -> None:
    """Serve *system* from asyncio loop *loop* (no thread)."""
    system.switch_policy(AsyncioPolicy(loop))
