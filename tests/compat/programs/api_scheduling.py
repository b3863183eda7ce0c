"""oscscheduling's helpers and monitor classes used directly: deadline2timeout(),
MONITORING_EVENTS_MAP, a platform socket monitor watching a UDP reader, one
monitor_oneloop() pass by hand, and monitoring threads started and stopped."""

import socket
import time

from osc4py3 import oscchannel, oscscheduling
from osc4py3.oscudpmc import UdpMcChannel


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


print("deadline2timeout(None):", oscscheduling.deadline2timeout(None), flush=True)
print("deadline2timeout(0):", oscscheduling.deadline2timeout(0), flush=True)
print("deadline2timeout(past):", oscscheduling.deadline2timeout(time.time() - 5), flush=True)
print(
    "deadline2timeout(future) in (0, 10]:",
    0 < oscscheduling.deadline2timeout(time.time() + 10) <= 10,
    flush=True,
)
print("events map:", sorted(oscscheduling.MONITORING_EVENTS_MAP.items()), flush=True)

monitor = oscscheduling.create_platform_socket_monitor()
print(
    "monitor is a Monitor:",
    isinstance(monitor, oscscheduling.Monitor),
    monitor.need_fileno(),
    flush=True,
)
port = free_port()
reader = UdpMcChannel(
    "sched-reader", "r", {"udpread_host": "127.0.0.1", "udpread_port": port, "monitor": monitor}
)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
    peer.sendto(b"/sched\x00\x00,\x00\x00\x00", ("127.0.0.1", port))
time.sleep(0.05)
print("loop continues:", monitor.monitor_oneloop(0), flush=True)
packet = oscchannel.received_rawpackets.get(timeout=1)
print("read by the monitor:", bytes(packet.rawosc), packet.packopt.readername, flush=True)
reader.terminate()
monitor.terminate()

poller = oscscheduling.create_polling_monitor()
print(
    "polling monitor:", isinstance(poller, oscscheduling.Monitor), poller.need_fileno(), flush=True
)
global_monitor = oscscheduling.get_global_socket_monitor()
print(
    "global monitor reused:",
    oscscheduling.get_global_socket_monitor() is global_monitor,
    flush=True,
)
oscscheduling.terminate_global_socket_monitor()
oscscheduling.terminate_global_polling_monitor()
print("done", flush=True)
