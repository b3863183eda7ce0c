"""A client that sends before anything listens on its port (the peer application is not
started yet), then the peer starts: the packets sent after that arrive, the client channel
keeps working (event loop policy)."""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_eventloop import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_for(seconds):
    end = time.time() + seconds
    while time.time() < end:
        osc_process()
        time.sleep(0.005)


got = []
osc_startup()
port = free_port()
osc_udp_client("127.0.0.1", port, "to-peer")
osc_method("/hello", got.append)
for n in range(3):
    osc_send(oscbuildparse.OSCMessage("/hello", ",i", [n]), "to-peer")
    process_for(0.05)
osc_udp_server("127.0.0.1", port, "peer")
for n in range(3, 6):
    osc_send(oscbuildparse.OSCMessage("/hello", ",i", [n]), "to-peer")
    process_for(0.05)
end = time.time() + 3
while len(got) < 3 and time.time() < end:
    process_for(0.01)
osc_terminate()
print(got, flush=True)
