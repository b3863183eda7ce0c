"""oscwire: Open Sound Control for Python, complete, correct and fast.

A C-accelerated (Cython) implementation of OSC 1.0 and 1.1. New code starts with
:class:`Client` and :class:`Server`; osc4py3 programs keep working through osc4py3's
module names and signatures (``oscwire.as_eventloop``...). ``IMPLEMENTATION`` tells
whether the compiled core is in use (``"cython"``) or the pure-Python twins
(``"python"``); set ``OSCWIRE_NO_EXTENSIONS=1`` to force the latter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._accel import IMPLEMENTATION, implementations, warn_if_fallen_back
from ._runtime import OSCSystem
from ._version import __version__

if TYPE_CHECKING:
    from ._endpoint import Endpoint
    from ._handlers import (
        ContextHandler,
        Form,
        HandlerResult,
        Matching,
        MessageHandler,
        OSCArgument,
        Received,
        ReplyPacket,
    )
    from ._replies import Reply
    from .client import Bundle, Client
    from .server import Server

# No NullHandler on the package logger (unlike many libraries): with no logging
# configured, oscwire's warnings and errors reach stderr through Python's last resort, as
# asyncio's do. Configure logging to route or silence them (``oscwire.*`` loggers).

# The object API is imported on first use: ``import oscwire`` alone (the osc4py3 façades,
# the command line) does not pay for asyncio and TCP.
_LAZY = {
    "Bundle": ".client",
    "Client": ".client",
    "ContextHandler": "._handlers",
    "Endpoint": "._endpoint",
    "Form": "._handlers",
    "HandlerResult": "._handlers",
    "Matching": "._handlers",
    "MessageHandler": "._handlers",
    "OSCArgument": "._handlers",
    "Received": "._handlers",
    "Reply": "._replies",
    "ReplyPacket": "._handlers",
    "Server": ".server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'oscwire' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "IMPLEMENTATION",
    "Bundle",
    "Client",
    "ContextHandler",
    "Endpoint",
    "Form",
    "HandlerResult",
    "Matching",
    "MessageHandler",
    "OSCArgument",
    "OSCSystem",
    "Received",
    "Reply",
    "ReplyPacket",
    "Server",
    "__version__",
    "implementations",
]

warn_if_fallen_back()
