"""PacketOptions.message and .method, documented as "message being processed" and "method
filter which activate the message execution", seen by an ``OSCARG_PACKOPT`` handler.

osc4py3 bug: MethodFilter never fills packopt.message and packopt.method:
    needpackopt is computed as ``OSCARG_PACKOPT in self.argscheme`` (oscmethod.py:171),
    which looks for the tuple ("packopt",) among the scheme's strings and is always False,
    so the copy that should carry them (oscmethod.py:204-207) is never made and handlers see
    None. Expected output: the message and the filter's pattern.
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


seen = []


def handler(packopt):
    seen.append(packopt)
    message = packopt.message
    method = packopt.method
    print(
        "message:",
        None
        if message is None
        else (message.addrpattern, message.typetags, tuple(message.arguments)),
        flush=True,
    )
    print("method pattern:", None if method is None else method.addrpattern, flush=True)


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "myserver")
osc_udp_client("127.0.0.1", port, "myclient")
osc_method("/opts/*", handler, argscheme=osm.OSCARG_PACKOPT)
osc_send(oscbuildparse.OSCMessage("/opts/one", ",is", [5, "five"]), "myclient")
wait_for(lambda: seen)
osc_send(oscbuildparse.OSCMessage("/opts/two", ",f", [0.5]), "_local")
wait_for(lambda: len(seen) == 2)
osc_terminate()
