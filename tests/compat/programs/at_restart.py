"""osc_terminate() then osc_startup() again (all threads policy), receiving from a plain
socket each time, with a method registered again after each startup; twice
osc_startup() and twice osc_terminate() are harmless."""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_allthreads import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for session in (1, 2, 3):
    got = []
    osc_startup()
    osc_startup()
    port = free_port()
    osc_udp_server("127.0.0.1", port, "srv")
    osc_method("/session", got.append)
    peer.sendto(
        oscbuildparse.encode_packet(oscbuildparse.OSCMessage("/session", ",i", [session])),
        ("127.0.0.1", port),
    )
    end = time.time() + 2
    while not got and time.time() < end:
        time.sleep(0.01)
    osc_terminate()
    osc_terminate()
    print("session", session, "received", got, flush=True)
peer.close()
