"""Broadcast on the loopback network (event loop policy): a broadcast server bound to all
interfaces and a broadcast client sending to 127.255.255.255."""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_eventloop import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


got = []
osc_startup()
port = free_port()
osc_broadcast_server("0.0.0.0", port, "bcserver")
osc_broadcast_client("127.255.255.255", port, "bcclient", ttl=1)
osc_method(
    "/bc", lambda reader, x: got.append((reader, x)), argscheme=("readername", "data_unpack")
)
osc_send(oscbuildparse.OSCMessage("/bc", ",s", ["to everyone"]), "bcclient")
wait_for(lambda: got)
osc_terminate()
print(got, flush=True)
