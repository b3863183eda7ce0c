"""The received raw packets queue: post_rawpacket() a ReceivedPacket by hand, then
oscdistributing.rawpackets_process_loop(0) decodes and dispatches it to the global
dispatcher; next_rawpacket(0) returns None on an empty queue."""

from osc4py3 import oscbuildparse as obp
from osc4py3 import oscchannel, oscdispatching, oscdistributing
from osc4py3.oscmethod import MethodFilter
from osc4py3.oscpacketoptions import PacketOptions
from osc4py3.oscudpmc import UdpMcChannel

print("empty:", oscchannel.next_rawpacket(0), flush=True)
oscdispatching.register_global_dispatcher(None)
got = []
oscdispatching.register_method(
    MethodFilter(
        "/q", lambda reader, x: got.append((reader, x)), argscheme=("readername", "data_unpack")
    )
)
# The reader must exist: the loop looks the channel up by the packet's reader name.
reader = UdpMcChannel(
    "fake-reader", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "auto_start": False}
)
packopt = PacketOptions()
packopt.readername = "fake-reader"
packopt.srcident = ("10.0.0.1", 9)
oscchannel.post_rawpacket(
    oscchannel.ReceivedPacket(obp.encode_packet(obp.OSCMessage("/q", None, [1])), packopt)
)
print("queued:", oscchannel.received_rawpackets.qsize(), flush=True)
oscdistributing.rawpackets_process_loop(0)
print("got:", got, flush=True)
print("empty again:", oscchannel.next_rawpacket(0), flush=True)
reader.terminate()
oscdispatching.unregister_global_dispatcher()
