"""A peer sends garbage, then a valid message, to an event loop server: the valid message
is still handled (osc4py3 drops the bad packet)."""

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
osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_method("/good", got.append)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
    peer.sendto(b"this is not OSC!", ("127.0.0.1", port))
    peer.sendto(b"/trunc\x00\x00,i\x00\x00", ("127.0.0.1", port))
    time.sleep(0.05)
    osc_process()
    peer.sendto(
        oscbuildparse.encode_packet(oscbuildparse.OSCMessage("/good", ",s", ["after garbage"])),
        ("127.0.0.1", port),
    )
    wait_for(lambda: got)
osc_terminate()
print(got, flush=True)
