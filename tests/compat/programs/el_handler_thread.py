"""Event loop policy: handlers run in the thread that calls osc_process(), never elsewhere."""

import socket
import threading
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


seen = []
osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/where", lambda: seen.append(threading.current_thread() is threading.main_thread()))
osc_send(oscbuildparse.OSCMessage("/where", None, []), "cli")
osc_send(oscbuildparse.OSCMessage("/where", None, []), "_local")
wait_for(lambda: len(seen) == 2)
print("threads before terminate: more than main =", threading.active_count() > 1, flush=True)
osc_terminate()
print("calls:", len(seen), "all in main thread:", all(seen), flush=True)
