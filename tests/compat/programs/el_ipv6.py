"""UDP over IPv6 loopback (``::1``) with the event loop policy."""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_eventloop import *


def free_port():
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
        probe.bind(("::1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


got = []
osc_startup()
port = free_port()
osc_udp_server("::1", port, "srv6")
osc_udp_client("::1", port, "cli6")
osc_method("/six", lambda x, src: got.append((x, src[0])), argscheme=("data_unpack", "srcident"))
osc_send(oscbuildparse.OSCMessage("/six", ",i", [6]), "cli6")
wait_for(lambda: got)
osc_terminate()
print(got, flush=True)
