"""A bundle timed 0.4 s in the future (``unixtime2timetag(time.time() + 0.4)``), then an
immediate message: the message is handled first, the bundle's messages together, in
order, not before their time (event loop policy)."""

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


events = []


def handler(address, label):
    events.append((address, label, time.time()))


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/ev/*", handler, argscheme=(("address", "data_unpack")))

due = time.time() + 0.4
bundle = oscbuildparse.OSCBundle(
    oscbuildparse.unixtime2timetag(due),
    [
        oscbuildparse.OSCMessage("/ev/timed", None, ["first in bundle"]),
        oscbuildparse.OSCMessage("/ev/timed", None, ["second in bundle"]),
    ],
)
osc_send(bundle, "cli")
osc_send(oscbuildparse.OSCMessage("/ev/now", None, ["immediate"]), "cli")
wait_for(lambda: len(events) == 3)
osc_terminate()

for address, label, when in events:
    timing = "" if address == "/ev/now" else ("on time" if when >= due - 0.01 else "EARLY")
    print(address, label, timing, flush=True)
