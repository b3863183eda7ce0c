"""Handlers whose signature cannot take what their argument scheme passes are refused
when the MethodFilter is made (``oscmethod.check_handler``), not called with wrong values.

What each scheme passes is osc4py3's (``MethodFilter.__call__``); the refused and accepted
shapes come from osc4py3's documentation and python-osc's (``def handler(address, *args)``).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable

import pytest

from oscwire import oscmethod
from oscwire._errors import OSCError, OSCHandlerSignatureError
from oscwire.oscbuildparse import OSCMessage
from oscwire.oscmethod import (
    OSCARG_ADDRESS,
    OSCARG_DATA,
    OSCARG_DATAUNPACK,
    OSCARG_EXTRA,
    OSCARG_EXTRAUNPACK,
    OSCARG_MESSAGE,
    OSCARG_MESSAGEUNPACK,
    OSCARG_TYPETAGS,
    MethodFilter,
    check_handler,
)


def pythonosc_handler(address: str, *args: Any) -> None:
    pass


def pythonosc_volume(unused_addr: str, args: Any, volume: float) -> None:
    pass


def two(a: Any, b: Any) -> None:
    pass


def needs_keyword(x: Any, *, key: Any) -> None:
    pass


def refused(function: Callable[..., Any], argscheme: Any, extra: Any = None) -> str:
    """The message of the error both check_handler and MethodFilter raise."""
    with pytest.raises(OSCHandlerSignatureError) as direct:
        check_handler(function, argscheme, extra)
    with pytest.raises(TypeError) as built:
        MethodFilter("/x", function, argscheme=argscheme, extra=extra)
    assert isinstance(built.value, OSCError)
    assert str(built.value) == str(direct.value)
    return str(direct.value)


def test_pythonosc_handler_is_refused_with_the_fix() -> None:
    # Today's silent failure: called with address=0.5 for the message "/x 0.5".
    text = refused(pythonosc_handler, OSCARG_DATAUNPACK)
    assert "'pythonosc_handler'" in text
    assert "(address: 'str', *args: 'Any')" in text
    assert "the message's arguments, one parameter each" in text
    assert "argscheme=OSCARG_ADDRESS + OSCARG_DATAUNPACK" in text
    assert "rename it" in text


def test_pythonosc_handler_with_the_address_scheme_is_accepted() -> None:
    record: list[tuple[Any, ...]] = []

    def handler(address: str, *args: Any) -> None:
        record.append((address, *args))

    method = MethodFilter("/x", handler, argscheme=OSCARG_ADDRESS + OSCARG_DATAUNPACK)
    method(OSCMessage("/x", ",f", (0.5,)), None)
    assert record == [("/x", 0.5)]


def test_pythonosc_fixed_argument_handler_is_refused() -> None:
    text = refused(pythonosc_volume, OSCARG_DATAUNPACK)
    assert "'unused_addr'" in text


@pytest.mark.parametrize(
    ("function", "argscheme", "extra", "says"),
    [
        (two, OSCARG_MESSAGE, None, "missing a required argument: 'b'"),
        (lambda: None, OSCARG_DATA, None, "too many positional arguments"),
        (two, OSCARG_MESSAGEUNPACK, None, "too many positional arguments"),
        (two, OSCARG_EXTRAUNPACK, (1, 2, 3), "too many positional arguments"),
        (lambda a: None, OSCARG_EXTRAUNPACK + OSCARG_TYPETAGS, ("x",), "too many"),
        (needs_keyword, OSCARG_DATAUNPACK, None, "keyword-only parameter(s) key"),
        (lambda a: None, OSCARG_ADDRESS + OSCARG_TYPETAGS + OSCARG_DATAUNPACK, None, "at most 1"),
        (functools.partial(two, 1, 2), OSCARG_DATA, None, "too many positional arguments"),
    ],
)
def test_refused_shapes(function: Any, argscheme: Any, extra: Any, says: str) -> None:
    text = refused(function, argscheme, extra)
    assert says in text
    assert re.search(r"argscheme \(.*\) passes \(", text)


class Synth:
    def set_freq(self, value: float) -> None:
        self.value = value

    def __call__(self, a: Any, b: Any) -> None:
        pass


class Note:
    def __init__(self, pitch: int, velocity: int = 64) -> None:
        self.pitch = pitch


@pytest.mark.parametrize(
    ("function", "argscheme", "extra"),
    [
        # osc4py3's documented handlers
        (lambda s, x, y: None, OSCARG_DATAUNPACK, None),
        (lambda address, s, x, y: None, OSCARG_ADDRESS + OSCARG_DATAUNPACK, None),
        # an OSC argument may be called "address" (an IP address, a target address)
        (lambda address, port: None, OSCARG_DATAUNPACK, None),
        (lambda address: None, OSCARG_DATAUNPACK, None),
        (lambda *args, **kwargs: None, OSCARG_MESSAGEUNPACK, None),
        (lambda data=(): None, OSCARG_DATA, None),
        (lambda a, b=1: None, OSCARG_DATA, None),
        (two, OSCARG_EXTRA + OSCARG_DATA, "x"),
        (two, OSCARG_EXTRAUNPACK, ("x", "y")),
        (lambda a: None, OSCARG_EXTRAUNPACK + OSCARG_DATAUNPACK, None),  # extra set later
        # callables of every kind
        (max, OSCARG_DATAUNPACK, None),  # no signature: not checked
        (print, OSCARG_MESSAGE, None),
        (functools.partial(two, 1), OSCARG_DATAUNPACK, None),
        (functools.partial(two, 1), OSCARG_DATA, None),
        (Synth().set_freq, OSCARG_DATAUNPACK, None),
        (Synth(), OSCARG_DATA + OSCARG_ADDRESS, None),
        (Note, OSCARG_DATAUNPACK, None),
        (Note, OSCARG_DATA, None),
    ],
)
def test_accepted_shapes(function: Any, argscheme: Any, extra: Any) -> None:
    check_handler(function, argscheme, extra)
    MethodFilter("/x", function, argscheme=argscheme, extra=extra)


def test_refused_by_the_osc4py3_facade() -> None:
    from oscwire import as_eventloop

    try:
        with pytest.raises(OSCHandlerSignatureError, match="'pythonosc_handler'"):
            as_eventloop.osc_method("/x", pythonosc_handler)
        handle = as_eventloop.osc_method(
            "/x", pythonosc_handler, argscheme=OSCARG_ADDRESS + OSCARG_DATAUNPACK
        )
        assert handle is not None
    finally:
        as_eventloop.osc_terminate()


def test_spec_and_re_kinds_are_checked_too() -> None:
    for kind in ("spec", "re"):
        with pytest.raises(OSCHandlerSignatureError):
            oscmethod.MethodFilter("/x", pythonosc_handler, patternkind=kind)
