"""The OSC value types shared by the compiled and the pure codec, and exact time-tag maths.

The named tuples keep osc4py3's names and field names, so code written against
``osc4py3.oscbuildparse`` reads them unchanged. Time tags are 64-bit NTP fixed-point
numbers (32 bits of seconds since 1900-01-01, 32 bits of fraction); every conversion and
every ``+``/``-`` here works on the exact 64-bit integer, never through a float round trip,
and is aware of the NTP era roll-over of 2036-02-07.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import Any, NamedTuple, Union

from ._errors import OSCInvalidDataError

__all__ = [
    "NTP_UNIX_OFFSET",
    "OSC_BANG",
    "OSC_IMMEDIATELY",
    "OSC_IMPULSE",
    "OSC_INFINITUM",
    "OSCBundle",
    "OSCMessage",
    "OSCbang",
    "OSCmidi",
    "OSCrgba",
    "OSCtimetag",
    "float2timetag",
    "is_immediate",
    "seconds2ticks",
    "ticks2timetag",
    "timetag2float",
    "timetag2ticks",
    "timetag2unixtime",
    "unixtime2timetag",
]

#: Seconds between the NTP epoch (1900-01-01) and the Unix epoch (1970-01-01).
NTP_UNIX_OFFSET = 2208988800

_TICKS_PER_SECOND = 1 << 32
_ERA_TICKS = 1 << 64  # one NTP era: 2**32 seconds of 2**32 ticks
_HALF_ERA_TICKS = 1 << 63


class OSCMessage(NamedTuple):
    """``OSCMessage(addrpattern, typetags, arguments)``: one OSC message.

    ``addrpattern`` is the address (``"/a/b"``); ``typetags`` the type tag string, with its
    leading ``","`` when decoded (on encode ``",ifs"``, ``"ifs"``, or ``None``/``""`` to
    type the arguments automatically); ``arguments`` a tuple (decoded) or a list/tuple.
    """

    addrpattern: str
    typetags: Union[str, None]
    arguments: Any


class OSCBundle(NamedTuple):
    """``OSCBundle(timetag, elements)``: a time tag and a sequence of messages/bundles."""

    timetag: Any
    elements: Any


class OSCrgba(NamedTuple):
    """A 32-bit RGBA colour (``r`` type tag): four integers 0..255."""

    red: int
    green: int
    blue: int
    alpha: int


class OSCmidi(NamedTuple):
    """A 4-byte MIDI message (``m`` type tag): port id, status byte, data1, data2."""

    portid: int
    status: int
    data1: int
    data2: int


class OSCbang(NamedTuple):
    """The argument-less ``I`` type tag (Impulse in OSC 1.1, Infinitum in OSC 1.0)."""


OSC_BANG = OSCbang()
OSC_IMPULSE = OSC_BANG
OSC_INFINITUM = OSC_BANG


def _as_ticks(seconds: Any) -> int:
    """Exact number of 2**-32 s ticks in *seconds* (int, float, Fraction, Decimal...)."""
    if isinstance(seconds, bool):
        raise TypeError("a time offset cannot be a bool")
    if isinstance(seconds, int):
        return int(seconds) << 32
    if isinstance(seconds, float):
        if not math.isfinite(seconds):
            raise OSCInvalidDataError(f"time offset {seconds!r} is not finite")
        # Scaling a float by a power of two is exact, so only the final rounding happens.
        return round(seconds * 4294967296.0)
    if hasattr(seconds, "__index__"):
        return int(seconds.__index__()) << 32
    try:
        exact = Fraction(seconds)
    except (TypeError, ValueError) as error:
        raise TypeError(f"cannot use {type(seconds).__name__} as seconds") from error
    return round(exact * _TICKS_PER_SECOND)


class OSCtimetag(NamedTuple):
    """``OSCtimetag(sec, frac)``: a 64-bit NTP time tag (seconds since 1900, 2**-32 s).

    ``tt + seconds``, ``seconds + tt`` and ``tt - seconds`` give an ``OSCtimetag`` (exact,
    modulo one NTP era, so 2036's roll-over wraps as NTP does); ``tt1 - tt2`` gives the
    difference in seconds as a float, taking the nearest era interpretation.
    """

    sec: int
    frac: int

    def __add__(self, other: Any) -> OSCtimetag:
        if isinstance(other, tuple):
            return NotImplemented
        try:
            delta = _as_ticks(other)
        except TypeError:
            return NotImplemented
        return ticks2timetag(timetag2ticks(self) + delta)

    def __radd__(self, other: Any) -> OSCtimetag:
        return self.__add__(other)

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, tuple):
            if len(other) != 2:
                return NotImplemented
            diff = (timetag2ticks(self) - timetag2ticks(other)) % _ERA_TICKS
            if diff >= _HALF_ERA_TICKS:
                diff -= _ERA_TICKS
            return diff / _TICKS_PER_SECOND
        try:
            delta = _as_ticks(other)
        except TypeError:
            return NotImplemented
        return ticks2timetag(timetag2ticks(self) - delta)


def use_constructors(message_new: Any, bundle_new: Any) -> None:
    """Build ``OSCMessage(...)`` and ``OSCBundle(...)`` with the selected codec twin's
    constructors (``oscbuildparse`` calls this once, at import).

    They take the named tuple's arguments, positional or by keyword, and return the same
    tuple; the compiled twin's are C functions (about half the cost of the named tuple's
    Python ``__new__``). Nothing else about the classes changes.
    """
    # Assigned after class creation, __new__ must be wrapped by hand (type() does it
    # inside a class body).
    setattr(OSCMessage, "__new__", staticmethod(message_new))  # noqa: B010
    setattr(OSCBundle, "__new__", staticmethod(bundle_new))  # noqa: B010


#: The "immediately" time tag: 63 zero bits and a one (what encoding emits for now).
OSC_IMMEDIATELY = OSCtimetag(0, 1)


def timetag2ticks(timetag: Any) -> int:
    """The 64-bit integer (``sec << 32 | frac``) of a time tag, checking both fields."""
    sec, frac = timetag
    if not (0 <= sec <= 0xFFFFFFFF and 0 <= frac <= 0xFFFFFFFF):
        raise OSCInvalidDataError(f"time tag fields out of 0..2**32-1: {timetag!r}")
    return (int(sec) << 32) | int(frac)


def ticks2timetag(ticks: int) -> OSCtimetag:
    """The time tag of a tick count, wrapped into one NTP era (modulo 2**64)."""
    ticks %= _ERA_TICKS
    return OSCtimetag(ticks >> 32, ticks & 0xFFFFFFFF)


def seconds2ticks(seconds: Any) -> int:
    """Exact tick count (2**-32 s) of a number of seconds, rounded to the nearest tick."""
    return _as_ticks(seconds)


def is_immediate(timetag: Any) -> bool:
    """True for the two time tags that mean "immediately" on receive: 0 and 1."""
    return timetag[0] == 0 and timetag[1] in (0, 1)


def timetag2float(timetag: Any) -> float:
    """Seconds since 1900-01-01 in the time tag's own era, as a float (osc4py3's function)."""
    return timetag2ticks(timetag) / _TICKS_PER_SECOND


def float2timetag(ftime: Any) -> OSCtimetag:
    """Time tag of *ftime* seconds since 1900-01-01, rounded to the nearest tick.

    The fraction never reaches 2**32 (rounding carries into the seconds), and times past
    2036-02-07 wrap into NTP era 1 as NTP does. Negative or non-finite times raise
    :class:`OSCInvalidDataError`.
    """
    if isinstance(ftime, float) and not math.isfinite(ftime):
        raise OSCInvalidDataError(f"time {ftime!r} is not finite")
    try:
        ticks = _as_ticks(ftime)
    except TypeError as error:
        raise OSCInvalidDataError(str(error)) from None
    if ticks < 0:
        raise OSCInvalidDataError(f"time {ftime!r} is before 1900-01-01")
    return ticks2timetag(ticks)


def timetag2unixtime(timetag: Any) -> float:
    """Unix time (seconds since 1970-01-01) of a time tag, era-aware.

    Following RFC 4330, a time tag whose seconds have the top bit clear is taken in NTP
    era 1 (2036-02-07 to 2104), one with the top bit set in era 0 (1968 to 2036).
    """
    ticks = timetag2ticks(timetag)
    if ticks < _HALF_ERA_TICKS:
        ticks += _ERA_TICKS
    return ticks / _TICKS_PER_SECOND - NTP_UNIX_OFFSET


def unixtime2timetag(ftime: Any = None) -> OSCtimetag:
    """Time tag of a Unix time (default: now, from :func:`time.time`), era-aware."""
    if ftime is None:
        ftime = time.time()
    if isinstance(ftime, float) and not math.isfinite(ftime):
        raise OSCInvalidDataError(f"time {ftime!r} is not finite")
    try:
        ticks = _as_ticks(ftime) + (NTP_UNIX_OFFSET << 32)
    except TypeError as error:
        raise OSCInvalidDataError(str(error)) from None
    if ticks < 0:
        raise OSCInvalidDataError(f"unix time {ftime!r} is before 1900-01-01")
    return ticks2timetag(ticks)
