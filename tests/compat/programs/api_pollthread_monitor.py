"""A UDP reader scheduled on osc4py3's global polling thread (``SCHED_POLLTHREAD``, the
monitor that calls ``poll_monitor()`` on each channel) in an all threads system.

osc4py3 bug: polling monitors cannot monitor anything: Monitor.control_operations() calls
    ``do_fileno_added(fileno, rwe)`` (oscscheduling.py:259) but PollingMonitor defines
    ``do_fileno_added(self, fileno)`` (oscscheduling.py:554), so the polling thread dies
    with TypeError on its first operation; UdpMcChannel.poll_monitor() would then fail too,
    wait_select_deadline() calling wait_select_timeout() without its stray ``self``
    parameter (oscscheduling.py:827, :831). Expected output: both messages received.
"""

import socket
import threading
import time

from osc4py3 import oscbuildparse, oscchannel
from osc4py3.as_allthreads import *
from osc4py3.oscudpmc import UdpMcChannel


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0
got = []
lock = threading.Lock()


def handler(n):
    with lock:
        got.append(n)


osc_startup()
port = free_port()
UdpMcChannel(
    "polled",
    "r",
    {"udpread_host": "127.0.0.1", "udpread_port": port, "monitor": oscchannel.SCHED_POLLTHREAD},
)
osc_method("/polled", handler)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
    for n in (1, 2):
        peer.sendto(
            oscbuildparse.encode_packet(oscbuildparse.OSCMessage("/polled", ",i", [n])),
            ("127.0.0.1", port),
        )
while len(got) < 2 and time.time() < END:
    time.sleep(0.01)
osc_terminate()
print(sorted(got), flush=True)
