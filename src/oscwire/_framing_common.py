"""What both framing twins share (neutral: neither twin owns it): header specifications.

A size header is described as osc4py3's ``read_headerunpack`` does: a
``(struct_format, header_size, length_index)`` tuple, or a function that gets the
buffered bytes and returns ``(packet_size, header_size)`` (``(0, 0)``: not enough yet).
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Optional, Union

__all__ = ["DEFAULT_HEADER", "HeaderSpec", "parse_header_spec"]

#: The OSC 1.0 stream header: a 4-byte big-endian unsigned packet size.
DEFAULT_HEADER = ("!I", 4, 0)

#: A header specification (see the module doc).
HeaderSpec = Union[tuple[Any, ...], Callable[[bytes], tuple[int, int]]]


def parse_header_spec(
    header: Optional[HeaderSpec],
) -> tuple[Optional[Callable[[bytes], tuple[int, int]]], Optional[struct.Struct], int, int]:
    """Check a ``read_headerunpack`` value; ``(function, struct, header_size, index)``.

    Shared by both twins, so that they accept and refuse the same specifications.
    """
    spec = DEFAULT_HEADER if header is None else header
    if callable(spec):
        return spec, None, 0, 0
    try:
        fmt, size, index = spec
        unpacker = struct.Struct(fmt)
    except (TypeError, ValueError, struct.error) as error:
        raise ValueError(
            f"header must be (struct_format, header_size, length_index) or a function, not {spec!r}"
        ) from error
    header_size, length_index = int(size), int(index)
    if header_size < unpacker.size:
        raise ValueError(
            f"header_size {size} is smaller than struct format {fmt!r} ({unpacker.size} bytes)"
        )
    fields = len(unpacker.unpack(bytes(unpacker.size)))
    if not -fields <= length_index < fields:
        raise ValueError(f"length_index {index} out of range for struct format {fmt!r}")
    return None, unpacker, header_size, length_index
