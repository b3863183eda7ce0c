"""Nested bundles over UDP: an immediate bundle holding a message, an immediate sub-bundle
and a sub-bundle timed 0.3 s later; all messages arrive, the timed one last."""

import socket
import time

from osc4py3 import oscbuildparse as obp
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


got = []
osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/n", got.append)

later = obp.unixtime2timetag(time.time() + 0.3)
packet = obp.OSCBundle(
    obp.OSC_IMMEDIATELY,
    [
        obp.OSCMessage("/n", None, ["outer 1"]),
        obp.OSCBundle(later, [obp.OSCMessage("/n", None, ["timed inner"])]),
        obp.OSCBundle(
            obp.OSC_IMMEDIATELY,
            [
                obp.OSCMessage("/n", None, ["inner 1"]),
                obp.OSCBundle(obp.OSC_IMMEDIATELY, [obp.OSCMessage("/n", None, ["innermost"])]),
            ],
        ),
        obp.OSCMessage("/n", None, ["outer 2"]),
    ],
)
osc_send(packet, "cli")
wait_for(lambda: len(got) == 5)
osc_terminate()
print(got, flush=True)
