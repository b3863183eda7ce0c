"""Time tags: exact 64-bit arithmetic, NTP eras, and the float/unix conversions.

Expected values are computed by hand from the NTP definition: seconds since 1900-01-01
in the high 32 bits, 2**-32 s in the low 32 bits, 2208988800 s between 1900 and 1970,
era 0 ending at 2**32 s (2036-02-07T06:28:16Z, unix time 2085978496).
"""

from __future__ import annotations

import calendar
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oscwire.oscbuildparse import (
    OSC_IMMEDIATELY,
    OSCInvalidDataError,
    OSCtimetag,
    float2timetag,
    is_immediate,
    timetag2float,
    timetag2unixtime,
    unixtime2timetag,
)

ERA1_START_UNIX = 2**32 - 2208988800  # 2036-02-07T06:28:16Z


def test_immediately_constant():
    assert OSC_IMMEDIATELY == (0, 1)
    assert is_immediate(OSCtimetag(0, 1)) and is_immediate(OSCtimetag(0, 0))
    assert not is_immediate(OSCtimetag(0, 2)) and not is_immediate(OSCtimetag(1, 0))


def test_era_boundary_date_matches_calendar():
    assert calendar.timegm((2036, 2, 7, 6, 28, 16)) == ERA1_START_UNIX


def test_unix_epoch():
    assert unixtime2timetag(0) == OSCtimetag(2208988800, 0)
    assert timetag2unixtime(OSCtimetag(2208988800, 0)) == 0.0


def test_half_second_is_exact():
    assert unixtime2timetag(0.5) == OSCtimetag(2208988800, 2**31)
    assert float2timetag(1.25) == OSCtimetag(1, 2**30)
    assert timetag2float(OSCtimetag(1, 2**30)) == 1.25


def test_float2timetag_never_overflows_fraction():
    just_below = 1.0 - 2**-40  # rounds up to the next second, not to frac == 2**32
    assert float2timetag(just_below) == OSCtimetag(1, 0)
    assert float2timetag(5 - 2**-34) == OSCtimetag(5, 0)


@given(st.floats(min_value=0, max_value=2**32 - 1, allow_nan=False))
def test_float2timetag_fields_in_range(value):
    sec, frac = float2timetag(value)
    assert 0 <= sec < 2**32 and 0 <= frac < 2**32
    assert abs((sec + frac / 2**32) - value) <= 2**-32 + abs(value) * 2**-52


def test_float2timetag_rejects_bad_times():
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(OSCInvalidDataError):
            float2timetag(bad)


def test_era_1_times_wrap_like_ntp():
    tt = unixtime2timetag(ERA1_START_UNIX + 10)  # 2036-02-07T06:28:26Z
    assert tt == OSCtimetag(10, 0)
    assert timetag2unixtime(tt) == ERA1_START_UNIX + 10
    # 2040-01-01 round trip
    t2040 = calendar.timegm((2040, 1, 1, 0, 0, 0))
    assert timetag2unixtime(unixtime2timetag(t2040)) == t2040


def test_era_0_times_before_2036():
    t2026 = calendar.timegm((2026, 11, 23, 12, 0, 0))
    tt = unixtime2timetag(t2026)
    assert tt.sec == t2026 + 2208988800
    assert timetag2unixtime(tt) == t2026


def test_add_and_subtract_seconds_exactly():
    tt = OSCtimetag(100, 2**31)
    assert tt + 1 == OSCtimetag(101, 2**31)
    assert 1 + tt == OSCtimetag(101, 2**31)
    assert tt + 0.5 == OSCtimetag(101, 0)
    assert tt - 0.75 == OSCtimetag(99, 2**31 + 2**30)
    assert tt + Fraction(1, 4) == OSCtimetag(100, 2**31 + 2**30)
    assert tt + Decimal("0.25") == OSCtimetag(100, 2**31 + 2**30)
    assert type(tt + 1) is OSCtimetag


def test_add_is_exact_for_large_times():
    # 3.9e9 s: a float has only ~2**-20 s resolution there; integer maths keeps the tick.
    tt = OSCtimetag(3_900_000_000, 1)
    assert tt + 1 == OSCtimetag(3_900_000_001, 1)
    assert (tt + 1) - tt == 1.0


def test_arithmetic_wraps_across_the_era():
    last = OSCtimetag(2**32 - 1, 2**31)
    assert last + 1 == OSCtimetag(0, 2**31)
    assert OSCtimetag(0, 2**31) - last == 1.0
    assert last - OSCtimetag(0, 2**31) == -1.0


def test_timetag_difference():
    assert OSCtimetag(10, 0) - OSCtimetag(7, 2**31) == 2.5
    assert OSCtimetag(7, 2**31) - OSCtimetag(10, 0) == -2.5


def test_tuple_concatenation_is_not_hijacked():
    with pytest.raises(TypeError):
        OSCtimetag(1, 2) + (3,)  # noqa: RUF005 (the point of the test)
    with pytest.raises(TypeError):
        OSCtimetag(1, 2) + "x"


def test_compatible_with_osc4py3_conversions():
    osc4py3 = pytest.importorskip("osc4py3.oscbuildparse")
    for value in (0.0, 1.5, 3_900_000_000.25, 12345.678):
        assert tuple(float2timetag(value)) == tuple(osc4py3.float2timetag(value))
    assert timetag2float(OSCtimetag(5, 2**31)) == osc4py3.timetag2float((5, 2**31))
