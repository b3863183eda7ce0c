"""What types a program gets from decode_packet, and the methods it uses on them (a blob
is a memoryview in osc4py3: programs call ``.tobytes()``; arguments are a tuple)."""

from osc4py3.oscbuildparse import *

raw = encode_packet(
    OSCMessage(
        "/types",
        ",ifsbhdcrmtTFNI[i]",
        [
            1,
            0.5,
            "s",
            b"blob",
            2,
            0.25,
            "c",
            OSCrgba(1, 2, 3, 4),
            OSCmidi(5, 6, 7, 8),
            OSCtimetag(9, 10),
            True,
            False,
            None,
            OSC_INFINITUM,
            [3],
        ],
    )
)
msg = decode_packet(raw)
print(type(msg).__name__, type(msg.arguments).__name__, flush=True)
for tag, value in zip(msg.typetags[1:], msg.arguments):
    print(tag, type(value).__name__, flush=True)
blob = msg.arguments[3]
print("blob.tobytes():", blob.tobytes(), flush=True)
print("bytes(blob):", bytes(blob), len(blob), flush=True)
print(
    "impulse is OSC_INFINITUM:",
    msg.arguments[13] == OSC_INFINITUM,
    isinstance(msg.arguments[13], OSCbang),
    flush=True,
)
print("rgba fields:", msg.arguments[7].red, msg.arguments[7].alpha, flush=True)
print("midi fields:", msg.arguments[8].portid, msg.arguments[8].data2, flush=True)
print(
    "decode from bytes, bytearray, memoryview:",
    [decode_packet(kind(raw)).addrpattern for kind in (bytes, bytearray, memoryview)],
    flush=True,
)
