"""Multicast on the loopback interface (all threads policy): osc4py3's demo group
224.3.29.71, a multicast server and a multicast client with ttl 1 in one process.
# compat: needs multicast

osc4py3 bug: as_allthreads loses datagrams: its write jobs, run by a pool of threads, send
    whatever write_running holds when they run (oscudpmc.py:458) while the monitor thread
    may already have marked it written (oscchannel.py:778-798), so some packets are never
    sent and others twice. Expected output: the three messages.
"""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_allthreads import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


got = []
osc_startup()
port = free_port()
osc_multicast_server("224.3.29.71", port, "mcserver")
osc_multicast_client("224.3.29.71", port, "mcclient", ttl=1)
osc_method(
    "/mc", lambda reader, x: got.append((reader, x)), argscheme=("readername", "data_unpack")
)
for n in range(3):
    osc_send(oscbuildparse.OSCMessage("/mc", ",i", [n]), "mcclient")
    time.sleep(0.05)
wait_for(lambda: len(got) == 3)
osc_terminate()
print(sorted(got), flush=True)
