"""What the matcher twins' ``call_methods*`` functions use of a method filter.

Both twins (``oscwire._matcher_c`` and ``oscwire._matcher_py``) call the filters they are
given through this contract and nothing else, so any object that has these members can be
dispatched: :class:`oscwire.oscmethod.MethodFilter` is one, and a typed API may add its
own. The contract:

* ``fastfunc`` — the function to call as ``fastfunc(*message.arguments)`` when that is
  all a call does (no lock, no work queue, arguments unpacked), else None. The twins then
  skip ``__call__`` and its argument building. Read-only for the dispatcher.
* ``failed()`` — called from inside the ``except`` block when a ``fastfunc`` call raised:
  the filter counts and logs it (the exception is the current one).
* ``failures`` — how many calls of this filter raised so far; the twins compare it before
  and after ``__call__`` to count failures of filters without a ``fastfunc``.
* ``replyfunc``, ``replyaddress``, ``handler_failed(message, arguments, error)``,
  ``answer(result, packopt, message)`` — for a filter whose handler's result is a reply
  (the object API's forms): when ``replyfunc`` is not None (read with a None default, so
  objects without it are called through ``__call__``), the twins call
  ``replyfunc(*arguments)`` (``replyfunc(address, *arguments)`` when ``replyaddress``);
  a raising call goes to ``handler_failed``, a result that is not None to ``answer``,
  which sends it back and counts its own failures in ``failures``.
* ``__call__(message, packopt)`` — the full call (argument scheme, lock, work queue); it
  reports its own failures (``failures`` grows) and never raises for a handler's error.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Protocol, runtime_checkable

__all__ = ["Dispatchable"]


@runtime_checkable
class Dispatchable(Protocol):
    """A method filter as the ``call_methods*`` functions of both matcher twins use it."""

    @property
    def fastfunc(self) -> Optional[Callable[..., Any]]:
        """``function`` when a call is just ``function(*message.arguments)``, else None."""

    @property
    def failures(self) -> int:
        """Calls of this filter that raised so far."""

    def failed(self, what: str = ...) -> None:
        """Count and log a call that raised (call it from the ``except`` block)."""

    def __call__(self, message: Any, packopt: Any) -> None:
        """Build the handler's arguments, call it (or queue the call), report failures."""
