"""The shape of most osc4py3 all threads programs: start, declare, send now and then from
the main thread, sleep, terminate; handlers run on their own.

osc4py3 bug: as_allthreads loses and duplicates datagrams: its write jobs, run by a
    pool of write threads (as_allthreads.py:66-70), send whatever write_running holds when
    they run (oscudpmc.py:458) while the socket monitor thread may already have marked it
    written as soon as the socket was writable (oscudpmc.py:465-469 ->
    oscchannel.py:778-798), so some packets are never sent and others twice. Expected output: the five
    ticks.
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


lock = threading.Lock()
values = []


def on_value(v, label):
    with lock:
        values.append((v, label))


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "app")
osc_udp_client("127.0.0.1", port, "self")
osc_method("/app/value", on_value)
for n in range(5):
    osc_send(oscbuildparse.OSCMessage("/app/value", ",is", [n, "tick"]), "self")
    time.sleep(0.1)
time.sleep(0.3)
osc_terminate()
print(sorted(values), flush=True)
