"""A relay: the handler of one server forwards each message, changed, to another channel
(event loop policy); the second server prints what arrives."""

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


out = []


def relay(address, *args):
    osc_send(
        oscbuildparse.OSCMessage("/out" + address[3:], None, list(args) + ["relayed"]), "to-out"
    )


osc_startup()
in_port, out_port = free_port(), free_port()
osc_udp_server("127.0.0.1", in_port, "in")
osc_udp_server("127.0.0.1", out_port, "out")
osc_udp_client("127.0.0.1", in_port, "to-in")
osc_udp_client("127.0.0.1", out_port, "to-out")
osc_method("/in/*", relay, argscheme=("address", "data_unpack"))
osc_method(
    "/out/*",
    lambda address, *args: out.append((address,) + args),
    argscheme=("address", "data_unpack"),
)
for n in range(3):
    osc_send(oscbuildparse.OSCMessage("/in/%d" % n, ",i", [n]), "to-in")
wait_for(lambda: len(out) == 3)
osc_terminate()
for item in sorted(out):
    print(item, flush=True)
