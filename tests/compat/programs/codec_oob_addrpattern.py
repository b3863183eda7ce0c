"""Address pattern oob options: ``check_addrpattern`` refuses characters OSC reserves, and
``addrpattern_compression`` / ``addrpattern_decompression`` replace a long address by an
integer key on the wire."""

from osc4py3.oscbuildparse import *

check = {"check_addrpattern": True}
for address in ["/fine/address", "/with space", "/with#hash", "/with,comma"]:
    try:
        encode_packet(OSCMessage(address, None, [1]), check)
        print(repr(address), "accepted", flush=True)
    except OSCInvalidDataError:
        print(repr(address), "refused when encoding", flush=True)
raw = encode_packet(OSCMessage("/with space", None, [1]))
try:
    decode_packet(raw, check)
    print("decoding '/with space': accepted", flush=True)
except OSCInvalidRawError:
    print("decoding '/with space': refused", flush=True)

compression = {"addrpattern_compression": {"/a/very/long/address/pattern": 7}}
raw = encode_packet(OSCMessage("/a/very/long/address/pattern", ",f", [0.5]), compression)
print("compressed:", bytes(raw).hex(), flush=True)
print(
    "decompressed:",
    decode_packet(raw, {"addrpattern_decompression": {7: "/a/very/long/address/pattern"}}),
    flush=True,
)
other = encode_packet(OSCMessage("/other", ",f", [0.5]), compression)
print("not in the map:", bytes(other).hex(), flush=True)
try:
    decode_packet(raw, {"addrpattern_decompression": {8: "/x"}})
except OSCInvalidRawError:
    print("unknown key: OSCInvalidRawError caught", flush=True)
