"""The ``oob`` dump options of encode_packet/decode_packet: the packet before encoding, the
raw bytes after, the raw bytes before decoding, the decoded packet, each decoded value;
to stdout by default and to ``dumpfile`` when given."""

import io

from osc4py3.oscbuildparse import *

msg = OSCMessage("/dump", ",isfT", [7, "seven", 0.5, True])
raw = encode_packet(msg, {"encode_packet_dumpacket": True, "encode_packet_dumpraw": True})
print("---", flush=True)
decode_packet(
    raw,
    {"decode_packet_dumpraw": True, "decode_packet_dumpacket": True, "dump_decoded_values": True},
)
print("---", flush=True)
bundle = OSCBundle(OSCtimetag(1, 2), [msg, OSCMessage("/blob", ",b", [b"\x01\x02\x03\x04\x05"])])
sink = io.StringIO()
raw = encode_packet(bundle, {"encode_packet_dumpraw": True, "dumpfile": sink})
decode_packet(raw, {"dump_decoded_values": True, "dumpfile": sink})
print(sink.getvalue(), end="", flush=True)
