"""The ``restrict_typetags`` oob option: only the listed type tags may be encoded or
decoded (OSCUnknownTypetagError otherwise)."""

from osc4py3.oscbuildparse import *

restrict = {"restrict_typetags": "ifs"}
raw = encode_packet(OSCMessage("/ok", ",ifs", [1, 0.5, "s"]), restrict)
print("allowed:", decode_packet(raw, restrict), flush=True)
for typetags, args in [(",d", [0.5]), (",ib", [1, b"x"]), (",T", [True])]:
    try:
        encode_packet(OSCMessage("/no", typetags, args), restrict)
        print(typetags, "encoded", flush=True)
    except OSCUnknownTypetagError:
        print(typetags, "refused when encoding", flush=True)
    try:
        decode_packet(encode_packet(OSCMessage("/no", typetags, args)), restrict)
        print(typetags, "decoded", flush=True)
    except OSCUnknownTypetagError:
        print(typetags, "refused when decoding", flush=True)
print(
    "without restriction:",
    decode_packet(encode_packet(OSCMessage("/all", ",d", [0.5]))),
    flush=True,
)
