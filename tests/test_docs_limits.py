"""What happens when a bound is reached, where no other test module shows it.

Each test reaches one bound (lowered with ``monkeypatch`` where the default would take
long) and asserts what the user sees: the exception and its message, the log line (first
in full, then a counted summary), the counter in ``stats``, what is dropped.
"""

from __future__ import annotations

import time
import tracemalloc
from types import ModuleType

import pytest

from oscwire._errors import OSCTruncatedRawError

MiB = 1 << 20
DEADLINE = 10.0


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """The log lines of the test that contain *text*."""
    return [record.getMessage() for record in caplog.records if text in record.getMessage()]


def wait_for(condition: object, timeout: float = DEADLINE) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def padded(data: bytes) -> bytes:
    return data + b"\0" * (4 - len(data) % 4)


# ----------------------------------------------------------------------------- the codec
def test_distinct_long_type_tag_strings_hold_no_memory(codec_impl: ModuleType) -> None:
    """The pure decoder cached a decoding plan per type tag string, the peer's choice: a
    plan for 30 000 tags held about 2 MiB, and 512 of them stayed cached."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(30):
            # Distinct tag strings: the number written in base 4 with T/F/N/I at the end.
            tail = bytes(b"TFNI"[(number >> shift) & 3] for shift in (0, 2, 4))
            raw = padded(b"/a") + padded(b"," + b"is" * 15000 + tail)
            with pytest.raises(OSCTruncatedRawError, match="int32 argument is truncated"):
                codec_impl.decode_packet(raw)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 4 * MiB, f"{grown / MiB:.1f} MiB held after 30 packets"
