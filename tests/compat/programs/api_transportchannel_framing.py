"""TransportChannel's stream support used directly, as osc4py3's tests/channel.py does:
packets with a 4-byte size header, SLIP-framed packets and datagrams, each fed in two
parts through ``received_data()``, read back from the received raw packets queue."""

import struct

from osc4py3.oscbuildparse import OSCMessage, decode_packet, encode_packet
from osc4py3.oscchannel import TransportChannel, next_rawpacket, received_rawpackets
from osc4py3.oscnettools import packet2slip, slip2packet

data = bytes(encode_packet(OSCMessage("/framed", ",s", ["ABCDEFGH"])))
half = len(data) // 2

headreader = TransportChannel("headreader", "r", {"read_withheader": True})
framed = struct.pack("!I", len(data)) + data
for n in range(1, 3):
    headreader.received_data("withheader%d" % n, framed[:half])
    headreader.received_data("withheader%d" % n, framed[half:])

slipreader = TransportChannel("slipreader", "r", {"read_withslip": True})
slipped = packet2slip(data)
print("slip encoded:", slipped.hex(), flush=True)
print(
    "slip decoded:",
    [bytes(part) if part is not None else None for part in slip2packet(bytearray(slipped[1:]))],
    flush=True,
)
for n in range(1, 3):
    slipreader.received_data("withslip%d" % n, slipped[:half])
    slipreader.received_data("withslip%d" % n, slipped[half:])

datagramreader = TransportChannel("datagramreader", "r", {"read_datagram": True})
datagramreader.received_data("datagram1", data)

print("queue size:", received_rawpackets.qsize(), flush=True)
while True:
    packet = next_rawpacket(0)
    if packet is None:
        break
    raw, packopt = packet
    print(packopt.srcident, packopt.readername, decode_packet(raw), flush=True)
for reader in (headreader, slipreader, datagramreader):
    print(reader.chaname, "buffers:", reader.read_buffers, flush=True)

try:
    headreader.received_data("huge", struct.pack("!I", 5 * 1024 * 1024) + b"xxxx")
    print("oversized header accepted", flush=True)
except ValueError:
    print("oversized header: ValueError caught", flush=True)
