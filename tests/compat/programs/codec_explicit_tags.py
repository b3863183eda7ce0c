"""Every type tag of oscbuildparse, given explicitly, encoded then decoded.

Printed per value: what decode_packet gives back (floats rounded, blobs as bytes) and the
encoded packet's length.
"""

from osc4py3.oscbuildparse import *


def show(value):
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(show(v) for v in value)
    return value


cases = [
    (",i", [-2147483648]),
    (",i", [2147483647]),
    (",f", [3.14159]),
    (",d", [2.718281828459045]),
    (",h", [-(2**63)]),
    (",h", [2**40 + 3]),
    (",s", ["hello"]),
    (",s", [""]),
    (",s", ["four"]),
    (",S", ["symbol"]),
    (",b", [b"\x00\x01\x02"]),
    (",b", [b""]),
    (",b", [bytearray(b"abcd")]),
    (",c", ["A"]),
    (",r", [OSCrgba(255, 128, 0, 64)]),
    (",m", [OSCmidi(0, 0x90, 60, 100)]),
    (",t", [OSCtimetag(3900000000, 2**31)]),
    (",TFNI", [True, False, None, OSC_INFINITUM]),
    (",[ii]", [[1, 2]]),
    (",i[s[f]]i", [1, ["x", [0.5]], 2]),
    (",", []),
]
for typetags, arguments in cases:
    raw = encode_packet(OSCMessage("/tags", typetags, arguments))
    msg = decode_packet(raw)
    print(typetags, len(raw), msg.typetags, [show(v) for v in msg.arguments], flush=True)
