"""Encoding mistakes and the exceptions a program catches, with osc4py3's types:
struct.error for a number that does not fit its tag, IndexError for fewer arguments than
tags, OSCInvalidDataError for more, TypeError for a str given to a blob, RuntimeError for a
value with no automatic tag, OSCUnknownTypetagError for an unknown tag. A program that
catches only those types would crash on anything else: each check prints such a type as
UNCAUGHT."""

import struct
from decimal import Decimal

from osc4py3.oscbuildparse import *

NAMES = {struct.error: "struct.error"}


def check(label, expected, message):
    try:
        encode_packet(message)
        print(label, "-> no error", flush=True)
    except expected:
        print(label, "->", NAMES.get(expected, expected.__name__), "caught", flush=True)
    except Exception as error:
        print(label, "-> UNCAUGHT", type(error).__name__, flush=True)


check("i out of range", struct.error, OSCMessage("/e", ",i", [2**31]))
check("h out of range", struct.error, OSCMessage("/e", ",h", [2**63]))
check("r component > 255", struct.error, OSCMessage("/e", ",r", [OSCrgba(256, 0, 0, 0)]))
check("i from a word", ValueError, OSCMessage("/e", ",i", ["forty-two"]))
check("f from a word", ValueError, OSCMessage("/e", ",f", ["pi"]))
check("fewer arguments than tags", IndexError, OSCMessage("/e", ",ii", [1]))
check("more arguments than tags", OSCInvalidDataError, OSCMessage("/e", ",i", [1, 2]))
check("str for a blob", TypeError, OSCMessage("/e", ",b", ["text"]))
check("Decimal without tags", RuntimeError, OSCMessage("/e", None, [Decimal("1.5")]))
check("dict without tags", RuntimeError, OSCMessage("/e", None, [{"a": 1}]))
check("unknown tag", OSCUnknownTypetagError, OSCMessage("/e", ",x", [1]))
check("address without /", OSCInvalidDataError, OSCMessage("e", None, []))
check("type tags without ,", OSCInvalidDataError, OSCMessage("/e", "i", [1]))
check("not a packet", OSCInvalidDataError, ("/e", None, []))
check("two chars for c", OSCInvalidDataError, OSCMessage("/e", ",c", ["ab"]))
check("OSCError base", OSCError, OSCMessage("/e", ",x", [1]))
