"""Shared set-up for the dispatch benchmarks: an oscwire receive path on one chosen twin.

``use_twin(name)`` points :mod:`oscwire.oscmethod` at the matcher twin *name* and returns
the decode function of the codec twin of the same name (the pure codec when the compiled
one is not built). The receive path measured is what a dispatcher does per packet:
``decode_packet`` → ``MethodIndex.match(address)`` → ``call_methods(...)``.
"""

from __future__ import annotations

from typing import Any, Callable

from oscwire import _accel, oscmethod


def use_twin(name: str) -> tuple[Callable[[bytes], Any], str]:
    """Switch oscmethod to matcher twin *name*; return (decode_packet, codec twin name)."""
    matcher = _accel.load_twin("matcher", name)
    oscmethod._impl = matcher
    oscmethod.has_wildcards = matcher.has_wildcards
    oscmethod.compile_pattern.cache_clear()
    try:
        codec = _accel.load_twin("codec", name)
        codec_name = name
    except ImportError:
        codec = _accel.load_twin("codec", "python")
        codec_name = "python"
    return codec.decode_packet, codec_name


def noop(*args: Any) -> None:
    """The handler: does nothing, so the numbers are the library's own cost."""


def exact_index(count: int) -> tuple[oscmethod.MethodIndex, list[str]]:
    """An index of *count* spec methods ``/synth/<i>/freq``; also returns their addresses."""
    index = oscmethod.MethodIndex()
    addresses = [f"/synth/{i}/freq" for i in range(count)]
    for address in addresses:
        index.add(oscmethod.MethodFilter(address, noop, patternkind="spec"))
    return index, addresses


def fanout_index(count: int = 100) -> oscmethod.MethodIndex:
    """An index of *count* spec methods ``/mixer/channel/<i>/fader``."""
    index = oscmethod.MethodIndex()
    for i in range(count):
        index.add(oscmethod.MethodFilter(f"/mixer/channel/{i}/fader", noop, patternkind="spec"))
    return index


def dispatch_all(
    decode: Callable[[bytes], Any], index: oscmethod.MethodIndex, packets: list[bytes]
) -> int:
    """Decode each packet, find its methods, call them; return the number of calls."""
    match = index.match
    call = oscmethod.call_methods
    calls = 0
    for raw in packets:
        message = decode(raw)
        calls += call(match(message.addrpattern), message, None)
    return calls
