"""The encodes of the object API: an address and arguments, a packet, or a handler's reply.

:func:`encode_message` is what ``Client.send(address, *args)``, ``Received.reply`` and the
bundle builder call. It is the codec's direct encode of an address and arguments
(``oscbuildparse.encode_message``, no message object in between, in both twins).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from oscwire import oscbuildparse
from oscwire._types import OSCBundle, OSCMessage

__all__ = ["encode_message", "encode_outgoing", "encode_reply", "new_message"]

_tuple_new = tuple.__new__


def new_message(address: str, types: Optional[str], args: Any) -> OSCMessage:
    """An :class:`OSCMessage` built without its constructor's Python-level ``__new__``.

    A named tuple's constructor is a Python function, which costs more than encoding the
    message; ``tuple.__new__`` makes the very same object for about half of it.
    """
    message: OSCMessage = _tuple_new(OSCMessage, (address, types, args))
    return message


#: ``encode_message(address, args, types=None, oob=None)``: the raw bytes of one message,
#: straight from the address and arguments (no message object), by the codec twin in use.
#: Raises :class:`~oscwire._errors.OSCInvalidDataError` for an address or values that
#: cannot be encoded (the codec's messages, naming the argument at fault).
encode_message: Callable[..., Any] = oscbuildparse.encode_message


def encode_outgoing(
    target: Any, args: tuple[Any, ...], types: Optional[str], oob: Optional[dict[str, Any]]
) -> Any:
    """The raw bytes of ``send(address, *args, types=...)`` or of ``send(packet)``.

    Raises :class:`TypeError` for a target that is neither an address nor a packet, or a
    packet given with further arguments, and the codec's errors for what cannot be encoded.
    """
    if type(target) is str:
        return encode_message(target, args, types, oob)
    if isinstance(target, (OSCMessage, OSCBundle)):
        if args or types is not None:
            raise TypeError(
                "send(packet) takes the OSCMessage or OSCBundle alone: its arguments are in it"
            )
        return oscbuildparse.encode_packet(target, oob)
    raise TypeError(
        "send() takes an address (str) and arguments, or an OSCMessage or OSCBundle, "
        f"not {type(target).__name__}"
    )


def encode_reply(reply: Any, oob: Optional[dict[str, Any]]) -> Any:
    """The raw bytes of one reply a handler returned.

    A reply is an :class:`OSCMessage` or :class:`OSCBundle`, an address alone (``"/ack"``)
    or a tuple ``(address, *args)`` (python-osc's form of a returned reply). Anything else
    raises :class:`TypeError` saying what is accepted.
    """
    if isinstance(reply, (OSCMessage, OSCBundle)):
        return oscbuildparse.encode_packet(reply, oob)
    if type(reply) is str:
        return encode_message(reply, (), None, oob)
    if isinstance(reply, tuple) and reply and type(reply[0]) is str:
        return encode_message(reply[0], reply[1:], None, oob)
    raise TypeError(
        f"a handler returned {reply!r}: return None, an OSCMessage or OSCBundle, an address, "
        "a tuple (address, *args), or a list of those"
    )
