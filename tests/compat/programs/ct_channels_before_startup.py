"""A server channel created before osc_startup() with the comthreads policy (osc4py3
accepts it: the channel starts the global socket monitor thread that osc_startup() then
reuses); the method registered after startup runs inside osc_process()."""

import socket
import threading
import time

from osc4py3 import oscbuildparse
from osc4py3.as_comthreads import *


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
osc_startup()
osc_method(
    "/early", lambda text: got.append((text, threading.current_thread() is threading.main_thread()))
)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
    peer.sendto(
        oscbuildparse.encode_packet(oscbuildparse.OSCMessage("/early", None, ["made it"])),
        ("127.0.0.1", port),
    )
wait_for(lambda: got)
osc_terminate()
print(got, flush=True)
