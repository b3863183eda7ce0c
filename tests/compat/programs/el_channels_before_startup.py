"""Channels created before osc_startup() (osc4py3 accepts it: the event loop façade makes
its socket monitor on demand); methods after startup."""

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
        time.sleep(0.005)


got = []
port = free_port()
osc_udp_server("127.0.0.1", port, "early-server")
osc_udp_client("127.0.0.1", port, "early-client")
osc_startup()
osc_method("/early", got.append)
osc_send(oscbuildparse.OSCMessage("/early", None, ["made it"]), "early-client")
wait_for(lambda: got)
osc_terminate()
print(got, flush=True)
