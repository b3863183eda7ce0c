"""A peer sends garbage, then valid messages, to an all threads server: the valid
messages are still handled.

osc4py3 bug: one bad packet stops all reception for good in the threaded policies: the
    decoding error escapes the ``while True`` loop of rawpackets_process_loop(), whose
    ``try/except`` is around the whole loop (oscdistributing.py:313-378), so the reader
    thread ends (silently without a logger) and later packets are never dispatched.
    Expected output: the valid messages.
"""

import socket
import threading
import time

from osc4py3 import oscbuildparse
from osc4py3.as_allthreads import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0
got = []
lock = threading.Lock()


def handler(text):
    with lock:
        got.append(text)


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_method("/good", handler)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
    peer.sendto(b"this is not OSC!", ("127.0.0.1", port))
    time.sleep(0.1)
    for n in range(2):
        peer.sendto(
            oscbuildparse.encode_packet(
                oscbuildparse.OSCMessage("/good", ",s", ["after garbage %d" % n])
            ),
            ("127.0.0.1", port),
        )
    while len(got) < 2 and time.time() < END:
        time.sleep(0.01)
osc_terminate()
print(sorted(got), flush=True)
