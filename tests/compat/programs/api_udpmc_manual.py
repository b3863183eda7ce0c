"""UdpMcChannel used directly with no façade, as osc4py3's own channel tests do: a reader
activated and polled by hand with ``process_monevents(0, 'r')``, a blocking writer
(``udpwrite_nonblocking`` False, no monitor) fed with ``transmit_data``, the raw packets
taken from ``oscchannel.received_rawpackets``."""

import socket
import time

from osc4py3 import oscchannel
from osc4py3.oscbuildparse import OSCMessage, decode_packet, encode_packet
from osc4py3.oscpacketoptions import PacketOptions
from osc4py3.oscudpmc import UdpMcChannel


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


port = free_port()
reader = UdpMcChannel(
    "testreader",
    "r",
    {
        "udpread_host": "127.0.0.1",
        "udpread_port": port,
        "auto_start": False,
    },
)
reader.activate()
writer = UdpMcChannel(
    "testwriter",
    "w",
    {
        "udpwrite_host": "127.0.0.1",
        "udpwrite_port": port,
        "udpwrite_nonblocking": False,
        "auto_start": False,
    },
)
writer.activate()
print(
    "reader",
    reader.chaname,
    reader.mode,
    reader.is_reader,
    reader.is_writer,
    reader.is_activated,
    flush=True,
)
print(
    "writer",
    writer.chaname,
    writer.mode,
    writer.is_reader,
    writer.is_writer,
    writer.is_activated,
    flush=True,
)

for n in range(3):
    writer.transmit_data(encode_packet(OSCMessage("/raw", ",i", [n])), PacketOptions())
    time.sleep(0.05)
    reader.process_monevents(0, "r")

received = []
deadline = time.time() + 3
while len(received) < 3 and time.time() < deadline:
    packet = oscchannel.next_rawpacket(0.1)
    if packet is not None:
        received.append(packet)
for rawosc, packopt in received:
    print(decode_packet(rawosc), packopt.readername, packopt.srcident[0], flush=True)
print("queue empty:", oscchannel.next_rawpacket(0) is None, flush=True)
writer.terminate()
reader.terminate()
print("terminated:", reader.is_activated, writer.is_activated, flush=True)
