"""all threads policy: 300 messages sent in a burst arrive complete and once (any order).

osc4py3 bug: as_allthreads loses and duplicates datagrams. Its write jobs run in a
    pool of write threads (as_allthreads.py:66-70) while the socket monitor thread marks the
    running packet written as soon as the socket is writable (oscudpmc.py:465-469 ->
    oscchannel.py:778-798), often before the pool thread has run the job queued for it
    (oscchannel.py:843); that job then sends whatever write_running holds by then
    (oscudpmc.py:458): some packets are never sent, others twice. Expected output: 300
    received, 300 distinct, all of 0..299.
"""

import socket
import threading
import time

from osc4py3 import oscbuildparse
from osc4py3.as_allthreads import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 6.0
lock = threading.Lock()
got = []


def handler(n):
    with lock:
        got.append(n)


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/n", handler)
for n in range(300):
    osc_send(oscbuildparse.OSCMessage("/n", ",i", [n]), "cli")
while len(got) < 300 and time.time() < END:
    time.sleep(0.01)
time.sleep(0.2)  # anything arriving twice would arrive now
osc_terminate()
print("received", len(got), "distinct", len(set(got)), flush=True)
print("all of 0..299:", sorted(set(got)) == list(range(300)), flush=True)
