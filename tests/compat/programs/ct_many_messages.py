"""comthreads policy: 300 messages from a plain socket peer, handled inside osc_process(),
complete, once and in order."""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_comthreads import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0
got = []
osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_method("/n", got.append)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
    for n in range(300):
        peer.sendto(
            oscbuildparse.encode_packet(oscbuildparse.OSCMessage("/n", ",i", [n])),
            ("127.0.0.1", port),
        )
        if n % 50 == 49:
            time.sleep(0.01)
    while len(got) < 300 and time.time() < END:
        osc_process()
        time.sleep(0.002)
osc_terminate()
print("received", len(got), "distinct", len(set(got)), "in order", got == sorted(got), flush=True)
