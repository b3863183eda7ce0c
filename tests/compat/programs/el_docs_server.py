"""osc4py3's documented server example, event loop policy.

Two handlers on ``/test/*`` (one with ``OSCARG_ADDRESS + OSCARG_DATAUNPACK``) and one on
``/test``: osc4py3 matches handler patterns as prefixes, so ``/test`` also takes
``/test/me`` and ``/test/sub/deep``; ``/testing`` goes only to ``/test``.
"""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3 import oscmethod as osm
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


calls = []


def handlerfunction(s, x, y):
    calls.append("handlerfunction({!r}, {!r}, {!r})".format(s, x, round(y, 3)))


def handlerfunction2(address, s, x, y):
    calls.append("handlerfunction2({!r}, {!r}, {!r}, {!r})".format(address, s, x, round(y, 3)))


def anything(*args):
    calls.append("anything{!r}".format(args))


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "aservername")
osc_udp_client("127.0.0.1", port, "aclientname")

osc_method("/test/*", handlerfunction)
osc_method("/test/*", handlerfunction2, argscheme=osm.OSCARG_ADDRESS + osm.OSCARG_DATAUNPACK)
osc_method("/test", anything)

for address in ("/test/me", "/test/sub/deep", "/testing"):
    osc_send(oscbuildparse.OSCMessage(address, ",sif", ["text", 672, 8.871]), "aclientname")
wait_for(lambda: len(calls) >= 7)
osc_terminate()

for call in calls:
    print(call, flush=True)
