"""all threads policy: handlers run in background threads, osc_process() does nothing.

With the default startup the handler runs off the main thread; with
``execthreadscount=0`` too (no handler pool: osc4py3 calls it from its reader thread).
A plain socket peer sends the messages.
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


END = time.time() + 6.0
peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for kwargs in ({}, {"execthreadscount": 0}):
    seen = []
    osc_startup(**kwargs)
    port = free_port()
    osc_udp_server("127.0.0.1", port, "srv")
    osc_method(
        "/where", lambda x: seen.append((x, threading.current_thread() is threading.main_thread()))
    )
    peer.sendto(
        oscbuildparse.encode_packet(oscbuildparse.OSCMessage("/where", None, [1])),
        ("127.0.0.1", port),
    )
    while not seen and time.time() < END:
        osc_process()
        time.sleep(0.01)
    osc_terminate()
    print(kwargs, "->", seen, flush=True)
peer.close()
