"""comthreads policy receiving from a plain UDP socket: handlers run inside osc_process().

A peer (here a stdlib socket sending packets built with ``encode_packet``) sends five
messages; the handler records whether it runs in the main thread (comthreads promises
that methods are called from ``osc_process()``).
"""

import socket
import threading
import time

from osc4py3 import oscbuildparse
from osc4py3.as_comthreads import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


received = []


def handler(n, label):
    received.append((n, label, threading.current_thread() is threading.main_thread()))


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "listen")
osc_method("/peer/value", handler)

peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in range(5):
    raw = oscbuildparse.encode_packet(
        oscbuildparse.OSCMessage("/peer/value", ",is", [n, "v%d" % n])
    )
    peer.sendto(raw, ("127.0.0.1", port))
wait_for(lambda: len(received) == 5)
peer.close()
osc_terminate()

for item in received:
    print("n={} label={} in main thread={}".format(*item), flush=True)
