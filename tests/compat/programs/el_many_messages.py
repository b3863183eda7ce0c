"""Event loop policy: 300 messages sent in a burst arrive complete, once, in order."""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_eventloop import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.002)


got = []
osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/n", got.append)
for n in range(300):
    osc_send(oscbuildparse.OSCMessage("/n", ",i", [n]), "cli")
    if n % 50 == 49:
        osc_process()
wait_for(lambda: len(got) >= 300)
osc_terminate()
print("received", len(got), "distinct", len(set(got)), "in order", got == sorted(got), flush=True)
print("first", got[:3], "last", got[-3:], flush=True)
