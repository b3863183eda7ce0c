"""UdpMcChannel objects made directly with the ``ChannelClass(name, mode, options)`` scheme
inside an all threads system: the reader scheduled on osc4py3's global socket monitor
thread (``oscchannel.SCHED_SELECTTHREAD``), the writer too, and osc_send() by name."""

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


END = time.time() + 6.0
got = []
lock = threading.Lock()


def handler(reader, n):
    with lock:
        got.append((reader, n))


osc_startup(execthreadscount=1)
port = free_port()
reader = UdpMcChannel(
    "direct-reader",
    "r",
    {
        "udpread_host": "127.0.0.1",
        "udpread_port": port,
        "monitor": oscchannel.SCHED_SELECTTHREAD,
        "auto_start": True,
    },
)
writer = UdpMcChannel(
    "direct-writer",
    "w",
    {
        "udpwrite_host": "127.0.0.1",
        "udpwrite_port": port,
        "monitor": oscchannel.SCHED_SELECTTHREAD,
        "auto_start": True,
    },
)
print("scheduled:", reader.is_scheduled, writer.is_scheduled, flush=True)
osc_method("/direct", handler, argscheme=("readername", "data_unpack"))
for n in range(3):
    osc_send(oscbuildparse.OSCMessage("/direct", ",i", [n]), "direct-writer")
    end = time.time() + 2
    while len(got) <= n and time.time() < END:
        time.sleep(0.01)
osc_terminate()
print(sorted(got), flush=True)
