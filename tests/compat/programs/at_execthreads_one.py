"""all threads policy with one handler thread: messages from one peer keep their order.

osc4py3 bug: as_allthreads loses and duplicates datagrams. Its write jobs run in a
    pool of write threads (as_allthreads.py:66-70) while the socket monitor thread marks the
    running packet written as soon as the socket is writable (oscudpmc.py:465-469 ->
    oscchannel.py:778-798), often before the pool thread has run the job queued for it
    (oscchannel.py:843); that job then sends whatever write_running holds by then
    (oscudpmc.py:458): some packets are never sent, others twice. Expected output: the 30
    numbers in order.
"""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_allthreads import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 6.0


def wait_for(condition):
    while not condition() and time.time() < END:
        time.sleep(0.01)


order = []
osc_startup(execthreadscount=1, writethreadscount=1)
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/seq", order.append)
for n in range(30):
    osc_send(oscbuildparse.OSCMessage("/seq", ",i", [n]), "cli")
    time.sleep(0.002)
wait_for(lambda: len(order) == 30)
osc_terminate()
print(order, flush=True)
