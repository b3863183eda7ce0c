"""Bundles: immediate, timed and nested, encoded (printed in hex) and decoded back."""

from osc4py3.oscbuildparse import *

inner = OSCBundle(OSCtimetag(3900000001, 0), [OSCMessage("/inner", ",s", ["deep"])])
outer = OSCBundle(
    OSCtimetag(3900000000, 1 << 31),
    [OSCMessage("/first", ",i", [1]), inner, OSCMessage("/last", None, [2.5])],
)
raw = encode_packet(outer)
print(len(raw), bytes(raw).hex(), flush=True)
back = decode_packet(raw)
print(back, flush=True)
print(
    type(back).__name__,
    type(back.elements).__name__,
    [type(e).__name__ for e in back.elements],
    flush=True,
)
empty = OSCBundle(OSC_IMMEDIATELY, [])
print(bytes(encode_packet(empty)).hex(), decode_packet(encode_packet(empty)), flush=True)
print(decode_packet(encode_packet(OSCMessage("/m", ",if", [1, 0.5]))), flush=True)
