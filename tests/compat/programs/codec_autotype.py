"""Automatic type tags (typetags None): the tag chosen for each Python value, as a peer
sees it after decoding, and the raw packet in hex."""

from osc4py3.oscbuildparse import *

values = [
    1,
    -5,
    2.5,
    "text",
    b"bin",
    bytearray(b"ba"),
    memoryview(b"mv"),
    True,
    False,
    None,
    OSCrgba(1, 2, 3, 4),
    OSCmidi(1, 2, 3, 4),
    OSCtimetag(1, 2),
    OSC_IMPULSE,
    OSC_BANG,
    [1, "a"],
    (2.5, [3, None]),
    [],
]
for value in values:
    raw = encode_packet(OSCMessage("/auto", None, [value]))
    msg = decode_packet(raw)
    shown = msg.arguments[0]
    if isinstance(shown, memoryview):
        shown = bytes(shown)
    print(type(value).__name__, "->", msg.typetags, repr(shown), flush=True)

raw = encode_packet(OSCMessage("/all", None, [1, 2.0, "s", b"b", True, None, [1, [2]]]))
print(bytes(raw).hex(), flush=True)
msg = decode_packet(raw)
print(msg.addrpattern, msg.typetags, flush=True)
