"""The channel registry: get_channel(), all_channels, terminate_all_channels(), and the
ValueError for a reserved or already used channel name (event loop façade)."""

import socket

from osc4py3 import oscchannel
from osc4py3.as_eventloop import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "one")
osc_udp_client("127.0.0.1", port, "two")
print("names:", sorted(oscchannel.all_channels), flush=True)
one = oscchannel.get_channel("one")
print("one:", type(one).__name__, one.chaname, one.is_reader, one.is_writer, flush=True)
print("unknown:", oscchannel.get_channel("three"), flush=True)
for name in ("one", "_private"):
    try:
        osc_udp_client("127.0.0.1", port, name)
        print(name, "accepted", flush=True)
    except ValueError:
        print(name, "refused: ValueError caught", flush=True)
oscchannel.terminate_all_channels()
print(
    "after terminate_all_channels:",
    sorted(oscchannel.all_channels),
    oscchannel.get_channel("one"),
    flush=True,
)
osc_terminate()
