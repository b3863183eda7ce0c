"""osc4py3's "simple use" example, event loop policy: one UDP server, one client, one process.

A message with explicit type tags (``,sif``) and an immediate bundle of three messages go
out through the client channel and come back through the server channel; the handlers,
registered with osc4py3's prefix patterns, print what they get in arrival order.
"""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_eventloop import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0  # the whole program ends within a few seconds


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


received = []


def handlerfunction(s, x, y):
    received.append(("handlerfunction", s, x, round(y, 3)))


def bundled(*args):
    received.append(("bundled",) + args)


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "aservername")
osc_udp_client("127.0.0.1", port, "aclientname")
osc_method("/test/me", handlerfunction)
osc_method("/bundle/*", bundled)

msg = oscbuildparse.OSCMessage("/test/me", ",sif", ["text", 672, 8.871])
osc_send(msg, "aclientname")
wait_for(lambda: len(received) == 1)

bun = oscbuildparse.OSCBundle(
    oscbuildparse.OSC_IMMEDIATELY,
    [
        oscbuildparse.OSCMessage("/bundle/one", None, [1]),
        oscbuildparse.OSCMessage("/bundle/two", None, ["two", 2.5]),
        oscbuildparse.OSCMessage("/bundle/three", ",s", ["three"]),
    ],
)
osc_send(bun, "aclientname")
wait_for(lambda: len(received) == 4)
osc_terminate()

for item in received:
    print(item, flush=True)
