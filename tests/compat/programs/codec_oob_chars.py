"""The ``c`` type tag: chars encoded and decoded (also with the ``char_encode`` /
``char_decode`` oob options), and the raw bytes an osc4py3 peer would receive."""

from osc4py3.oscbuildparse import *

for value in ["A", "z", 65, b"Q", "é"]:
    try:
        raw = encode_packet(OSCMessage("/c", ",c", [value]))
        print(repr(value), bytes(raw).hex(), repr(decode_packet(raw).arguments[0]), flush=True)
    except OSCError as error:
        print(repr(value), "->", type(error).__name__, flush=True)
latin = {"char_encode": "latin-1", "char_decode": "latin-1"}
raw = encode_packet(OSCMessage("/c", ",c", ["é"]), latin)
print("latin-1", bytes(raw).hex(), repr(decode_packet(raw, latin).arguments[0]), flush=True)
# A char as an osc4py3 peer puts it on the wire (value in the first byte).
print("from the wire:", decode_packet(b"/c\x00\x00,c\x00\x00X\x00\x00\x00").arguments, flush=True)
