"""Network tools: SLIP helpers (osc4py3-compatible) and address resolution for channels.

``packet2slip`` / ``slip2packet`` and the ``SLIP_*`` constants keep osc4py3's names and
results; they run on the compiled framing when it is built.
"""

from __future__ import annotations

from typing import Optional, Union

from oscwire import framing

# ============================== SLIP (RFC 1055) ==============================
SLIP_END_CODE = 192
SLIP_END_CHAR = b"\xc0"
SLIP_ESC_CODE = 219
SLIP_ESC_CHAR = b"\xdb"
SLIP_END_REPL = b"\xdb\xdc"
SLIP_ESC_REPL = b"\xdb\xdd"

BytesLike = Union[bytes, bytearray, memoryview]


def packet2slip(rawdata: BytesLike, flagsatstart: bool = True) -> bytes:
    """Encode *rawdata* as a SLIP frame, with an END before it too when *flagsatstart*."""
    return framing.slip_encode(rawdata, flagsatstart)


def slip2packet(rawdata: BytesLike) -> tuple[Optional[bytes], BytesLike]:
    """Split off the first SLIP frame of *rawdata*: ``(packet, remaining)``.

    As in osc4py3: ``(None, rawdata)`` when there is no END yet; an END at the start gives
    an empty packet. A bad escape raises :class:`oscwire.framing.OSCFramingError`.
    """
    end = bytes(rawdata).find(SLIP_END_CHAR)
    if end < 0:
        return None, rawdata
    return framing.slip_decode(rawdata[:end]), rawdata[end + 1 :]
