"""osc4py3 names that cannot mean anything in oscwire, kept so that every one resolves.

An osc4py3 program that names one of them still imports (``from m import name`` and
``hasattr`` work); *using* it raises :class:`NotImplementedError` whose message says why
and what to use instead, with the full oscwire names (``oscwire.<module>.<name>``):

* :func:`unsupported` turns a function into one whose call raises (its signature and
  docstring stay, for ``help()``);
* :class:`UnsupportedClass` is the base of a class whose construction raises;
* :class:`UnsupportedValue` stands for a module variable: calling, iterating, measuring,
  truth-testing, indexing or reading an attribute of it raises.

Each of them carries its message in ``__oscwire_unsupported__``, which is how a program
(or a test) tells them from the names that work.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, ClassVar, NoReturn, TypeVar

__all__ = ["MARK", "UnsupportedClass", "UnsupportedValue", "message", "unsupported"]

#: The attribute holding the message of an unsupported name.
MARK = "__oscwire_unsupported__"

F = TypeVar("F", bound=Callable[..., Any])


def message(name: str, why: str, use: str) -> str:
    """The text of the error: osc4py3's *name*, *why* it has no counterpart, what to *use*."""
    return f"osc4py3's {name} has no counterpart in oscwire ({why}): use {use}"


def unsupported(name: str, why: str, use: str) -> Callable[[F], F]:
    """Decorator: calling the function raises NotImplementedError saying what to use."""
    text = message(name, why, use)

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def refuse(*args: Any, **kwargs: Any) -> NoReturn:
            raise NotImplementedError(text)

        setattr(refuse, MARK, text)
        return refuse  # type: ignore[return-value]  # same signature, as functools.wraps says

    return decorate


class UnsupportedClass:
    """Base of an osc4py3 class that cannot mean anything here: building one raises.

    A subclass names osc4py3's class and says why and what to use::

        class TcpClientChannel(UnsupportedClass, name="osctcp.TcpClientChannel", why=..., use=...):
            ...
    """

    __oscwire_unsupported__: ClassVar[str] = ""

    def __init_subclass__(cls, *, name: str = "", why: str = "", use: str = "", **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if use:
            cls.__oscwire_unsupported__ = message(name or cls.__qualname__, why, use)

    def __new__(cls, *args: Any, **kwargs: Any) -> UnsupportedClass:
        raise NotImplementedError(cls.__oscwire_unsupported__)


class UnsupportedValue:
    """Stands for an osc4py3 module variable that cannot mean anything here.

    Its ``repr()`` says what it is; any use of it raises NotImplementedError. Identity and
    equality are an ordinary object's (``is None`` is False: osc4py3's value is not there).
    """

    __slots__ = ("__oscwire_unsupported__",)

    def __init__(self, name: str, why: str, use: str) -> None:
        object.__setattr__(self, MARK, message(name, why, use))

    def _refuse(self) -> NoReturn:
        raise NotImplementedError(object.__getattribute__(self, MARK))

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, MARK)}>"

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") and attribute.endswith("__"):
            # Protocol probes (copy, pickle, inspect) must see an ordinary object.
            raise AttributeError(attribute)
        self._refuse()

    def __setattr__(self, attribute: str, value: Any) -> None:
        self._refuse()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse()

    def __bool__(self) -> bool:
        self._refuse()

    def __len__(self) -> int:
        self._refuse()

    def __iter__(self) -> Any:
        self._refuse()

    def __contains__(self, item: Any) -> bool:
        self._refuse()

    def __getitem__(self, key: Any) -> Any:
        self._refuse()

    def __setitem__(self, key: Any, value: Any) -> None:
        self._refuse()

    def __delitem__(self, key: Any) -> None:
        self._refuse()

    def __enter__(self) -> Any:
        self._refuse()

    def __exit__(self, *exc_info: Any) -> None:
        self._refuse()
