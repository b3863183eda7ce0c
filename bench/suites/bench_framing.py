"""Framing speed, compiled against pure: SLIP encode/decode and a size-prefixed stream.

``python -m pytest bench/suites/bench_framing.py --benchmark-only --benchmark-group-by=func``
"""

from __future__ import annotations

import pytest

# Payloads with a few bytes to escape, as real OSC data (floats, blobs) has.
PAYLOADS = {
    "64B": (bytes(range(64)) + b"\xc0\xdb")[:64],
    "1KiB": (bytes(range(256)) * 4)[:1024],
}


@pytest.mark.parametrize("size", PAYLOADS)
def test_slip_encode(benchmark, framing_impl, size):
    payload = PAYLOADS[size]
    frame = benchmark(framing_impl.slip_encode, payload)
    assert framing_impl.slip_decode(frame) == payload


@pytest.mark.parametrize("size", PAYLOADS)
def test_slip_decode_stream(benchmark, framing_impl, size):
    payload = PAYLOADS[size]
    frame = framing_impl.slip_encode(payload)
    decoder = framing_impl.SlipDecoder()
    packets = benchmark(decoder.feed, frame)
    assert packets == [payload]


def test_slip_decode_1000_packets(benchmark, framing_impl):
    payload = PAYLOADS["64B"]
    stream = framing_impl.slip_encode(payload) * 1000
    decoder = framing_impl.SlipDecoder()
    packets = benchmark(decoder.feed, stream)
    assert len(packets) == 1000


def test_header_decode_1000_packets(benchmark, framing_impl):
    payload = PAYLOADS["64B"]
    stream = framing_impl.size_prefix(payload) * 1000
    decoder = framing_impl.HeaderDecoder()
    packets = benchmark(decoder.feed, stream)
    assert len(packets) == 1000


def test_header_decode_1000_packets_split(benchmark, framing_impl):
    """The same stream in 1400-byte reads (a TCP segment each), so partial packets carry over."""
    payload = PAYLOADS["64B"]
    stream = framing_impl.size_prefix(payload) * 1000
    chunks = [stream[i : i + 1400] for i in range(0, len(stream), 1400)]
    decoder = framing_impl.HeaderDecoder()

    def run():
        count = 0
        for chunk in chunks:
            count += len(decoder.feed(chunk))
        return count

    assert benchmark(run) == 1000
