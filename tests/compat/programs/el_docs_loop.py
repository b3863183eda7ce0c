"""The shape of most osc4py3 event loop programs: a main loop that calls osc_process()
regularly, sends a counter every few turns and stops on a "quit" message it sends itself."""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_eventloop import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


finished = False
values = []


def on_value(v):
    values.append(v)


def on_quit():
    global finished
    finished = True


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "app")
osc_udp_client("127.0.0.1", port, "self")
osc_method("/app/value", on_value)
osc_method("/app/quit", on_quit)
turn = 0
end = time.time() + 5
while not finished and time.time() < end:
    turn += 1
    if turn % 3 == 0 and turn <= 30:
        osc_send(oscbuildparse.OSCMessage("/app/value", ",i", [turn]), "self")
    if turn == 31:
        osc_send(oscbuildparse.OSCMessage("/app/quit", None, []), "self")
    osc_process()
    time.sleep(0.01)
osc_terminate()
print("finished:", finished, flush=True)
print("values:", values, flush=True)
