"""An event loop built from osc4py3's module functions, without any as_* façade (what
as_eventloop does inside): a global dispatcher, a socket monitor, UdpMcChannel objects on
it, oscdistributing.send_packet(), then one pass of each processing loop per turn."""

import socket
import time

from osc4py3 import oscbuildparse, oscchannel, oscdispatching, oscdistributing, oscscheduling
from osc4py3.oscmethod import MethodFilter
from osc4py3.oscudpmc import UdpMcChannel


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


oscdispatching.register_global_dispatcher(oscdispatching.Dispatcher("global", {}))
monitor = oscscheduling.create_platform_socket_monitor()
port = free_port()
UdpMcChannel(
    "loop-reader", "r", {"udpread_host": "127.0.0.1", "udpread_port": port, "monitor": monitor}
)
UdpMcChannel(
    "loop-writer", "w", {"udpwrite_host": "127.0.0.1", "udpwrite_port": port, "monitor": monitor}
)

got = []
oscdispatching.register_method(MethodFilter("/loop", got.append))
for n in range(3):
    oscdistributing.send_packet(oscbuildparse.OSCMessage("/loop", ",i", [n]), "loop-writer")
oscdistributing.send_packet(oscbuildparse.OSCMessage("/loop", ",i", [99]), "_local")

end = time.time() + 3
while len(got) < 4 and time.time() < end:
    oscdistributing.sendingpackets_process_loop(0)
    monitor.monitor_oneloop(0)
    oscdistributing.rawpackets_process_loop(0)
    oscdispatching.delayed_process_loop(0)
    time.sleep(0.005)
print(sorted(got), flush=True)
oscchannel.terminate_all_channels()
monitor.terminate()
oscdispatching.unregister_global_dispatcher()
print("channels left:", len(oscchannel.all_channels), flush=True)
