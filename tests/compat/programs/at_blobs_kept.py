"""Blobs kept by a handler (as memoryviews, the way osc4py3 hands them over) and read
after many more packets arrived: each still holds its own bytes (all threads policy).

osc4py3 bug: as_allthreads loses datagrams sent back to back: its write jobs,
    run by a pool of threads, send whatever write_running holds when they run
    (oscudpmc.py:458) while the monitor thread may already have marked it written
    (oscchannel.py:778-798). Expected output: the event loop policy's (el_blobs_kept).
"""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_allthreads import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.002)


kept = []
osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/blob", lambda n, blob: kept.append((n, blob)))
for n in range(100):
    osc_send(oscbuildparse.OSCMessage("/blob", ",ib", [n, bytes([n]) * (n % 7 + 1)]), "cli")
    if n % 10 == 9:
        osc_process()
wait_for(lambda: len(kept) == 100)
osc_terminate()
intact = [n for n, blob in kept if bytes(blob) == bytes([n]) * (n % 7 + 1)]
print("kept:", len(kept), "intact:", len(intact), flush=True)
print("types:", sorted({type(blob).__name__ for n, blob in kept}), flush=True)
