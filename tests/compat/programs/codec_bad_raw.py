"""Malformed raw packets: decode_packet raises an OSCError subclass a program catches
(osc4py3's type for each case is printed, with whether it is an OSCError)."""

import struct

from osc4py3.oscbuildparse import *

good = bytes(encode_packet(OSCMessage("/ok", ",is", [1, "abc"])))
cases = {
    "empty": b"",
    "length not multiple of 4": b"/ok\x00\x00",
    "no leading slash": b"ok\x00\x00,\x00\x00\x00",
    "unterminated string": b"/okk",
    "truncated arguments": good[:-4],
    "unknown type tag": b"/ok\x00,x\x00\x00",
    "bundle element too long": b"#bundle\x00" + bytes(8) + struct.pack(">i", 64) + good,
    "bad bundle header": b"#bundlx\x00" + bytes(8),
    "trailing bytes": good + b"\x00\x00\x00\x00",
    "blob size too big": b"/ok\x00,b\x00\x00" + struct.pack(">i", 100),
}
for label, raw in cases.items():
    try:
        decode_packet(raw)
        print(label, "-> decoded", flush=True)
    except OSCError as error:
        print(label, "->", type(error).__name__, flush=True)
    except Exception as error:
        print(label, "-> UNCAUGHT", type(error).__name__, flush=True)
