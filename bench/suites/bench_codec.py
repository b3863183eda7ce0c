"""Codec speed, compiled twin against pure twin (pytest-benchmark).

``python -m pytest bench/suites/bench_codec.py --benchmark-only --benchmark-group-by=func``

Workloads: ``/test/addr ,ifs 1 2.5 "hello"``; a bundle of 10 such messages; a message
with a 1 KiB blob and 64 floats; plus one message of every type tag; and a sender's path
(``encode_message`` against building an ``OSCMessage`` and encoding it). The side-by-side
comparison with python-osc, osc4py3 and pyliblo3 is ``bench/compare/compare_codec.py``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from oscwire.oscbuildparse import (
    OSC_BANG,
    OSC_IMMEDIATELY,
    OSCBundle,
    OSCMessage,
    OSCmidi,
    OSCrgba,
    OSCtimetag,
)

MESSAGE = OSCMessage("/test/addr", None, [1, 2.5, "hello"])
WORKLOADS = {
    "msg": MESSAGE,
    "bundle10": OSCBundle(OSC_IMMEDIATELY, [MESSAGE] * 10),
    "blob1k": OSCMessage("/test/blob", None, [bytes(1024), *(i / 8 for i in range(64))]),
    "alltags": OSCMessage(
        "/all",
        ",ifsSbhdtcrmTFNI[if]",
        [
            1,
            2.0,
            "s",
            "S",
            b"blob",
            2**40,
            0.1,
            OSCtimetag(1, 2),
            "c",
            OSCrgba(1, 2, 3, 4),
            OSCmidi(1, 2, 3, 4),
            True,
            False,
            None,
            OSC_BANG,
            [1, 2.0],
        ],
    ),
}


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_encode(benchmark: Any, codec_impl: ModuleType, workload: Any) -> None:
    packet = WORKLOADS[workload]
    raw = benchmark(codec_impl.encode_packet, packet)
    assert len(raw) % 4 == 0


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_decode(benchmark: Any, codec_impl: ModuleType, workload: Any) -> None:
    raw = bytes(codec_impl.encode_packet(WORKLOADS[workload]))
    packet = benchmark(codec_impl.decode_packet, raw)
    assert type(packet) is type(WORKLOADS[workload])


def test_encode_explicit_typetags(benchmark: Any, codec_impl: ModuleType) -> None:
    packet = MESSAGE._replace(typetags=",ifs")
    benchmark(codec_impl.encode_packet, packet)


SEND_ARGS = (1, 2.5, "hi")


def test_encode_message(benchmark: Any, codec_impl: ModuleType) -> None:
    """A sender's path: address and values to bytes, no message object."""
    raw = benchmark(codec_impl.encode_message, "/test/addr", SEND_ARGS)
    assert type(raw) is bytes


def test_build_and_encode_message(benchmark: Any, codec_impl: ModuleType) -> None:
    """The osc4py3 way: build an OSCMessage, then encode it."""
    encode = codec_impl.encode_packet
    benchmark(lambda: encode(OSCMessage("/test/addr", None, SEND_ARGS)))


def test_build_message(benchmark: Any) -> None:
    """OSCMessage construction (the selected twin's constructor)."""
    benchmark(OSCMessage, "/test/addr", None, SEND_ARGS)
