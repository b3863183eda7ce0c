"""Handler forms of the object API: how a handler receives a message, checked at registration.

A :class:`~oscwire.Server` (or :class:`~oscwire.Client`) method calls its handler in one
of three forms, chosen once when it is registered (:class:`Form`):

* ``Form.ADDRESS_ARGS`` (the default, python-osc's): ``handler(address, *args)``;
* ``Form.ARGS``: ``handler(*args)``;
* ``Form.CONTEXT``: ``handler(message)``, one :class:`Received` object carrying the
  address, the arguments, the source address, the time tag of the enclosing bundle, the
  receiving server and a :meth:`Received.reply` method.

:func:`check_handler_form` refuses, with a message saying why and what to write instead, a
handler whose signature cannot take its form; the wrong values never reach it. A handler
may return a reply (a message, a bundle, an address, a tuple ``(address, *args)``, or a
list of them): it is sent back to the sender through the socket the message came in on.
An ``async def`` handler (on an endpoint served by asyncio) runs as a task, and what it
returns is sent back the same way.

Each form is a :class:`~oscwire.oscmethod.MethodFilter` subclass whose ``__call__`` builds
that form's call: the dispatcher's compiled loop calls it like any filter. Failures are
logged through a :class:`~oscwire._logutil.LogThrottle` (a peer can trigger them) and
counted in the filter's ``failures`` and the dispatcher's ``handler_errors``.
"""

from __future__ import annotations

import enum
import errno
import functools
import inspect
import logging
import typing
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, Protocol, Union

from oscwire._asyncio_runtime import AsyncioPolicy
from oscwire._errors import OSCSendError
from oscwire._logutil import LogThrottle
from oscwire._message_encoding import encode_outgoing, encode_reply
from oscwire._types import (
    OSCbang,
    OSCBundle,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
    timetag2unixtime,
)
from oscwire.oscmethod import (
    OSCARG_ADDRESS,
    OSCARG_DATAUNPACK,
    OSCARG_MESSAGE,
    MethodFilter,
)
from oscwire.oscpacketoptions import PacketOptions

if TYPE_CHECKING:
    from oscwire._endpoint import Endpoint

__all__ = [
    "ContextHandler",
    "Form",
    "HandlerResult",
    "Matching",
    "MessageHandler",
    "OSCArgument",
    "Received",
    "ReplyPacket",
    "check_handler_form",
    "make_method",
]

#: A value an OSC message carries, as oscwire encodes and decodes it: ``int`` (``i``/``h``),
#: ``float`` (``f``/``d``), ``str`` (``s``/``S``), ``bytes`` and friends (``b``; received
#: blobs are memoryviews), ``bool`` (``T``/``F``), ``None`` (``N``), the named tuples of
#: :mod:`oscwire.oscbuildparse` (time tag, RGBA, MIDI, impulse), and sequences (arrays).
OSCArgument = Union[
    int,
    float,
    str,
    bytes,
    bytearray,
    memoryview,
    bool,
    None,
    OSCtimetag,
    OSCrgba,
    OSCmidi,
    OSCbang,
    Sequence["OSCArgument"],
]

#: One reply a handler may return: a message or bundle, an address alone, or a tuple
#: ``(address, *args)`` (python-osc's form).
ReplyPacket = Union[OSCMessage, OSCBundle, str, tuple[OSCArgument, ...]]
#: What a handler returns: nothing, one reply, or a sequence of replies.
HandlerResult = Union[None, ReplyPacket, Sequence[ReplyPacket]]
#: A handler of the forms ``ADDRESS_ARGS`` and ``ARGS``: its parameters are the message's
#: values, whose number and types only the message tells (checked at registration as far as
#: a signature can say); it returns a :data:`HandlerResult`, or an awaitable of one.
MessageHandler = Callable[..., Union[HandlerResult, Awaitable[HandlerResult]]]


class ContextHandler(Protocol):
    """A handler of the form ``CONTEXT``: one :class:`Received` parameter."""

    def __call__(self, message: Received, /) -> Union[HandlerResult, Awaitable[HandlerResult]]: ...


class Matching(enum.Enum):
    """How registered patterns meet incoming addresses (see ``docs/matching.md``)."""

    #: OSC 1.0/1.1: exact addresses, and message-side patterns (``/mixer/*/fader`` sent
    #: reaches every registered fader); a registered pattern matches in full. The default.
    SPEC = "spec"
    #: osc4py3's: the registered pattern is a prefix (``/test`` also matches ``/test/x``).
    OSC4PY3 = "osc"


class Form(enum.Enum):
    """How a handler receives a message: chosen once per method, checked at registration."""

    #: ``handler(address, *args)``: python-osc's form, the default.
    ADDRESS_ARGS = "address_args"
    #: ``handler(*args)``: the message's arguments only (osc4py3's default).
    ARGS = "args"
    #: ``handler(message)``: one :class:`Received` (address, args, source, time tag,
    #: server, ``reply()``).
    CONTEXT = "context"


class Received:
    """A received message with where it came from: what a ``Form.CONTEXT`` handler gets.

    ``address`` (as sent, a pattern included), ``args`` (a tuple), ``typetags`` (``",ifs"``),
    ``source`` (the sender's ``(host, port)``, None for a message made in this process),
    ``timetag`` (the time tag of the bundle the message came in, the innermost one; None
    for a message sent alone), ``server`` (the :class:`~oscwire.Server` or
    :class:`~oscwire.Client` that received it). :meth:`reply` answers the sender.
    """

    __slots__ = ("_packopt", "address", "args", "server", "source", "timetag", "typetags")

    address: str
    args: tuple[OSCArgument, ...]
    typetags: str
    source: Optional[tuple[str, int]]
    timetag: Optional[OSCtimetag]
    server: Endpoint

    def __init__(
        self, message: OSCMessage, packopt: Optional[PacketOptions], server: Endpoint
    ) -> None:
        self.address = message.addrpattern
        self.args = message.arguments
        self.typetags = message.typetags or ","
        self.server = server
        self._packopt = packopt
        if packopt is None:
            self.source = None
            self.timetag = None
        else:
            address = packopt.srcaddress
            self.source = (address[0], address[1]) if address else None
            self.timetag = packopt.timetag

    @property
    def time(self) -> Optional[float]:
        """The Unix time of :attr:`timetag` (None without one)."""
        timetag = self.timetag
        return None if timetag is None else timetag2unixtime(timetag)

    def __repr__(self) -> str:
        extra = f" at {self.timetag}" if self.timetag is not None else ""
        return f"<Received {self.address} {self.typetags} {self.args!r} from {self.source}{extra}>"

    @typing.overload
    def reply(self, packet: Union[OSCMessage, OSCBundle], /) -> None: ...

    @typing.overload
    def reply(self, address: str, /, *args: OSCArgument, types: Optional[str] = None) -> None: ...

    def reply(self, target: Any, /, *args: Any, types: Optional[str] = None) -> None:
        """Send a message back to the sender, through the socket this one came in on.

        ``reply(address, *args)`` (``types="ifs"`` to give the type tags) or
        ``reply(packet)``. Raises the codec's error for values that cannot be encoded, and
        :class:`~oscwire._errors.OSCSendError` when the reply cannot leave (a message made
        in this process, a closed connection, a full write queue).
        """
        send_to_source(self._packopt, encode_outgoing, (target, args, types))


def send_to_source(
    packopt: Optional[PacketOptions],
    encode: Callable[..., Any],
    encode_args: tuple[Any, ...],
) -> None:
    """Encode a reply with the receiving channel's codec options and send it back."""
    channel = packopt.readchannel if packopt is not None else None
    destination = packopt.srcaddress if packopt is not None else None
    if channel is None or destination is None:
        raise OSCSendError(errno.EDESTADDRREQ, "OSC reply: the message came from no socket")
    if not channel.can_reply():
        raise OSCSendError(
            errno.ENOTCONN, f"OSC reply to {destination}: channel {channel.chaname!r} is closed"
        )
    raw = encode(*encode_args, channel.oob)
    if not channel.transmit_data(raw, None, destination):
        raise OSCSendError(
            errno.ENOBUFS,
            f"OSC reply to {destination}: channel {channel.chaname!r} dropped it (closed, "
            "or its write queue is full)",
        )


# ----- registration checks -------------------------------------------------------------------
def describe_handler(function: Callable[..., Any]) -> str:
    """A handler as its name and signature, for messages."""
    name = getattr(function, "__qualname__", None) or repr(function)
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return str(name)
    return f"{name}{signature.replace(return_annotation=inspect.Signature.empty)}"


def _first_positional(signature: inspect.Signature) -> Optional[inspect.Parameter]:
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            return parameter
        return None
    return None


def _resolved_hint(function: Callable[..., Any], name: str) -> Any:
    """The evaluated annotation of parameter *name*, or None when there is none or it
    cannot be evaluated (a check then gives the handler the benefit of the doubt)."""
    target: Any = function
    # A partial keeps the names of the function it wraps; an object is called through
    # its class's __call__: both are annotated there, not on themselves.
    while isinstance(target, functools.partial):
        target = target.func
    if not inspect.isroutine(target) and not isinstance(target, type):
        target = type(target).__call__
    target = getattr(target, "__func__", target)
    try:
        hints = typing.get_type_hints(target)
    except Exception:
        return None
    return hints.get(name)


def _refuses(hint: Any, value_type: type) -> bool:
    """True when annotation *hint* is a class that a *value_type* instance is not."""
    # typing.Any is a class since Python 3.11: it accepts everything all the same.
    return hint is not Any and isinstance(hint, type) and not issubclass(value_type, hint)


def check_handler_form(function: Callable[..., Any], form: Form) -> None:
    """Raise :class:`TypeError` when *function* cannot be called in *form*.

    The checks are what a signature can tell: the positional parameters it takes (the
    address first for ``ADDRESS_ARGS``, the one :class:`Received` for ``CONTEXT``), its
    required keyword-only parameters (never given), and the annotation of the first
    parameter (``def h(value: float)`` cannot take the address, a str). A callable whose
    signature cannot be read is accepted.
    """
    if not callable(function):
        raise TypeError(f"an OSC handler must be callable, not {function!r}")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    parameters = list(signature.parameters.values())
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    required = sum(1 for p in positional if p.default is p.empty)
    kwonly = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    shown = describe_handler(function)
    if kwonly:
        raise TypeError(
            f"OSC handler {shown} requires the keyword-only parameters {', '.join(kwonly)}, "
            "which no message gives"
        )
    first = _first_positional(signature)
    hint = _resolved_hint(function, first.name) if first is not None else None
    if form is Form.ADDRESS_ARGS:
        if not positional and not varargs:
            raise TypeError(
                f"OSC handler {shown} cannot take Form.ADDRESS_ARGS: it is called as "
                "handler(address, *args) and takes no positional parameter; register it "
                "with form=Form.ARGS to call it with the arguments only"
            )
        if first is not None and _refuses(hint, str):
            raise TypeError(
                f"OSC handler {shown} cannot take Form.ADDRESS_ARGS: it is called as "
                f"handler(address, *args), and its first parameter {first.name!r} "
                f"({getattr(hint, '__name__', hint)}) cannot take the address (a str); "
                "register it with form=Form.ARGS to call it with the arguments only"
            )
    elif form is Form.CONTEXT:
        if (not positional and not varargs) or required > 1:
            raise TypeError(
                f"OSC handler {shown} cannot take Form.CONTEXT: it is called with one "
                "argument, the Received message"
                + (f", and it requires {required}" if required > 1 else "")
            )
        if first is not None and _refuses(hint, Received):
            raise TypeError(
                f"OSC handler {shown} cannot take Form.CONTEXT: its parameter {first.name!r} "
                f"({getattr(hint, '__name__', hint)}) cannot take the Received message"
            )


def _returns_none(function: Callable[..., Any]) -> bool:
    """True when *function* is annotated to return None (``def h(...) -> None``)."""
    target = getattr(function, "__func__", function)
    if not inspect.isfunction(target):
        return False
    try:
        hints = typing.get_type_hints(target)
    except Exception:
        return False
    return hints.get("return", object) is type(None)


def is_async_handler(function: Callable[..., Any]) -> bool:
    """True for an ``async def`` function (or a partial of one, or an object whose
    ``__call__`` is one)."""
    if inspect.iscoroutinefunction(function):
        return True
    return inspect.iscoroutinefunction(type(function).__call__)


# ----- the forms as method filters -------------------------------------------------------------
class _FormMethod(MethodFilter):
    """A method filter that calls its handler in one form and sends back what it returns."""

    #: The argument scheme that says, in osc4py3's terms, what the handler is given.
    scheme: tuple[str, ...] = OSCARG_DATAUNPACK
    form: Form
    #: True when the handler takes the message's values (and the address when
    #: ``replyaddress``), so that the matcher twins may call it themselves.
    direct: ClassVar[bool] = True

    def __init__(
        self,
        pattern: str,
        handler: Callable[..., Any],
        matching: Matching,
        endpoint: Callable[[], Optional[Endpoint]],
        throttle: LogThrottle,
    ) -> None:
        super().__init__(pattern, handler, patternkind=matching.value, argscheme=self.scheme)
        # Not the plain function(*arguments) fast path: the dispatcher builds the packet
        # options (for replies) and calls __call__.
        self._handler = handler
        self._endpoint = endpoint
        self._endpoint_throttle = throttle
        self._name = getattr(handler, "__qualname__", None) or repr(handler)
        if self.direct:
            # The matcher twins call the handler and pass its result to answer(): what
            # __call__ does, without its Python frame (see oscwire._dispatchable).
            self.replyfunc = handler

    def __call__(self, message: Any, packopt: Any) -> None:
        raise NotImplementedError

    def plain_call(self) -> bool:
        """True when the compiled loop's plain ``handler(*arguments)`` call does this
        form's whole job (no address, no context, nothing to send back)."""
        return False

    def failed(self, what: str = "failure in handler") -> None:
        # Logged through the endpoint's throttle, with the handler's name.
        self.failures += 1
        self._endpoint_throttle.log(
            logging.ERROR,
            (self.addrpattern, self._name, what),
            f"{what} of OSC handler {self._name} for {self.addrpattern!r}",
            "OSC handler %s for %r: %s",
            self._name,
            self.addrpattern,
            what,
            exc_info=True,
        )

    def handler_failed(self, message: Any, call_args: tuple[Any, ...], error: Exception) -> None:
        """Count and log (throttled) a call that raised *error*."""
        self.failures += 1
        cause = (self.addrpattern, self._name, type(error))
        label = f"failures of OSC handler {self._name} for {self.addrpattern!r}"
        mismatch = self._mismatch(call_args) if isinstance(error, TypeError) else None
        if mismatch is not None:
            self._endpoint_throttle.log(
                logging.ERROR,
                cause,
                label,
                "OSC handler %s for %r: message %s %s %r does not fit its parameters: %s",
                describe_handler(self._handler),
                self.addrpattern,
                message.addrpattern,
                message.typetags,
                message.arguments,
                mismatch,
            )
            return
        self._endpoint_throttle.log(
            logging.ERROR,
            cause,
            label,
            "OSC handler %s for %r failed on message %s %s %r",
            self._name,
            self.addrpattern,
            message.addrpattern,
            message.typetags,
            message.arguments,
            exc_info=error,
        )

    def _mismatch(self, call_args: tuple[Any, ...]) -> Optional[str]:
        # A TypeError raised by the call itself (wrong number of values) rather than inside
        # the handler: say so plainly instead of showing a one-line traceback.
        try:
            inspect.signature(self._handler).bind(*call_args)
        except TypeError as error:
            return str(error)
        except ValueError:
            return None
        return None

    def answer(self, result: Any, packopt: Any, message: Any) -> None:
        """Send back what the handler returned (or run its coroutine, then do so)."""
        if inspect.isawaitable(result):
            self._spawn(result, packopt, message)
            return
        try:
            replies = _replies_of(result)
            for reply in replies:
                send_to_source(packopt, encode_reply, (reply,))
        except Exception as error:
            self.failures += 1
            self._endpoint_throttle.log(
                logging.ERROR,
                (self.addrpattern, self._name, "reply", type(error)),
                f"failed replies of OSC handler {self._name} for {self.addrpattern!r}",
                "OSC handler %s for %r: its reply to %s cannot be sent: %s",
                self._name,
                self.addrpattern,
                message.addrpattern,
                error,
            )

    def _spawn(self, awaitable: Any, packopt: Any, message: Any) -> None:
        endpoint = self._endpoint()
        policy = endpoint.system.policy if endpoint is not None else None
        if not isinstance(policy, AsyncioPolicy):
            close = getattr(awaitable, "close", None)
            if close is not None:
                close()
            self.failures += 1
            self._endpoint_throttle.log(
                logging.ERROR,
                (self.addrpattern, self._name, "async"),
                f"coroutines of OSC handler {self._name} not run",
                "OSC handler %s for %r returned a coroutine, but the endpoint is not served "
                "by asyncio (use 'async with' or 'await server.serve()'); not run",
                self._name,
                self.addrpattern,
            )
            return
        policy.spawn(self._run_task(awaitable, packopt, message), self._name)

    async def _run_task(self, awaitable: Any, packopt: Any, message: Any) -> None:
        try:
            result = await awaitable
        except Exception as error:
            self.handler_failed(message, (), error)
            endpoint = self._endpoint()
            dispatcher = endpoint.system.dispatcher if endpoint is not None else None
            if dispatcher is not None:
                dispatcher.stats.handler_errors += 1
            return
        if result is not None:
            self.answer(result, packopt, message)


def _replies_of(result: Any) -> Sequence[Any]:
    """The replies in what a handler returned: one, or each of a list of them."""
    if isinstance(result, (OSCMessage, OSCBundle, str)):
        return (result,)
    if isinstance(result, tuple) and result and type(result[0]) is str:
        return (result,)
    if isinstance(result, (list, tuple)):
        return result
    raise TypeError(
        f"a handler returned {result!r}: return None, an OSCMessage or OSCBundle, an address, "
        "a tuple (address, *args), or a list of those"
    )


class _AddressArgsMethod(_FormMethod):
    scheme = OSCARG_ADDRESS + OSCARG_DATAUNPACK
    form = Form.ADDRESS_ARGS
    replyaddress = True

    def __call__(self, message: Any, packopt: Any) -> None:
        try:
            result = self._handler(message.addrpattern, *message.arguments)
        except Exception as error:
            self.handler_failed(message, (message.addrpattern, *message.arguments), error)
            return
        if result is not None:
            self.answer(result, packopt, message)


class _ArgsMethod(_FormMethod):
    scheme = OSCARG_DATAUNPACK
    form = Form.ARGS

    def __init__(
        self,
        pattern: str,
        handler: Callable[..., Any],
        matching: Matching,
        endpoint: Callable[[], Optional[Endpoint]],
        throttle: LogThrottle,
    ) -> None:
        super().__init__(pattern, handler, matching, endpoint, throttle)
        # A plain def declared "-> None" cannot reply: the compiled loop may call it
        # directly, as osc4py3's handlers are (no packet options built, no Python frame
        # in between).
        self._plain = not is_async_handler(handler) and _returns_none(handler)
        self._refresh()
        if self._plain:
            self.replyfunc = None  # nothing to answer: the plain fastfunc path instead

    def plain_call(self) -> bool:
        return bool(self.__dict__.get("_plain", False))

    def __call__(self, message: Any, packopt: Any) -> None:
        try:
            result = self._handler(*message.arguments)
        except Exception as error:
            self.handler_failed(message, tuple(message.arguments), error)
            return
        if result is not None:
            self.answer(result, packopt, message)


class _ContextMethod(_FormMethod):
    scheme = OSCARG_MESSAGE
    form = Form.CONTEXT
    direct = False  # its handler takes a Received, built in __call__

    def __call__(self, message: Any, packopt: Any) -> None:
        endpoint = self._endpoint()
        if endpoint is None:
            return  # the endpoint is gone: its system is being torn down
        received = Received(message, packopt, endpoint)
        try:
            result = self._handler(received)
        except Exception as error:
            self.handler_failed(message, (received,), error)
            return
        if result is not None:
            self.answer(result, packopt, message)


_METHOD_CLASSES: dict[Form, type[_FormMethod]] = {
    Form.ADDRESS_ARGS: _AddressArgsMethod,
    Form.ARGS: _ArgsMethod,
    Form.CONTEXT: _ContextMethod,
}


def make_method(
    pattern: str,
    handler: Callable[..., Any],
    form: Form,
    matching: Matching,
    endpoint: Callable[[], Optional[Endpoint]],
    throttle: LogThrottle,
) -> MethodFilter:
    """A method filter calling *handler* in *form* (checked here: :func:`check_handler_form`).

    *endpoint* returns the endpoint (Server or Client) the method belongs to, or None once
    it is gone; *throttle* logs the handler's failures.
    """
    if not isinstance(form, Form):
        raise TypeError(f"form must be a oscwire.Form, not {form!r}")
    if not isinstance(matching, Matching):
        raise TypeError(f"matching must be a oscwire.Matching, not {matching!r}")
    check_handler_form(handler, form)
    return _METHOD_CLASSES[form](pattern, handler, matching, endpoint, throttle)
