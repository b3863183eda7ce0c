"""Values osc4py3 converts when the type tag says so: ``int()`` for i/h, ``float()`` for
f/d, ``str()`` for s/S, ``int()`` for c given a number. Each value is encoded with the
tag, decoded, and printed (floats rounded)."""

from decimal import Decimal
from fractions import Fraction

from osc4py3.oscbuildparse import OSCMessage, decode_packet, encode_packet

cases = [
    (",i", 3.0),
    (",i", 3.9),
    (",i", -3.9),
    (",i", "42"),
    (",i", True),
    (",i", Decimal("7")),
    (",h", 5.0),
    (",h", "-12"),
    (",f", 2),
    (",f", "2.5"),
    (",f", Decimal("1.25")),
    (",f", Fraction(1, 4)),
    (",f", True),
    (",d", 1),
    (",d", "0.1"),
    (",s", 42),
    (",s", 1.5),
    (",s", None),
    (",s", b"raw"),
    (",S", 99),
    (",c", 65),
    (",c", "z"),
    (",c", b"Q"),
]
for typetags, value in cases:
    try:
        msg = decode_packet(encode_packet(OSCMessage("/conv", typetags, [value])))
        result = msg.arguments[0]
        if isinstance(result, float):
            result = round(result, 5)
        print(typetags, repr(value), "->", type(result).__name__, repr(result), flush=True)
    except Exception as error:
        print(typetags, repr(value), "-> error", type(error).__name__, flush=True)
