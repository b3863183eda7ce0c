"""osc_terminate() then osc_startup() again, with channels of the same names and a method
registered again (event loop policy); twice osc_startup() and twice osc_terminate() are
harmless."""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_eventloop import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds=2.0):
    end = time.time() + seconds
    while not condition() and time.time() < end:
        osc_process()
        time.sleep(0.005)


for session in (1, 2, 3):
    got = []
    osc_startup()
    osc_startup()
    port = free_port()
    osc_udp_server("127.0.0.1", port, "srv")
    osc_udp_client("127.0.0.1", port, "cli")
    osc_method("/session", got.append)
    osc_send(oscbuildparse.OSCMessage("/session", ",i", [session]), "cli")
    wait_for(lambda: got)
    osc_terminate()
    osc_terminate()
    print("session", session, "received", got, flush=True)
