"""Channel action handlers given as strings: osc4py3 documents that the verb is then sent
as an OSC message to ``_local``, at address handler + channel identifier + "/" + verb,
with arguments (channel name, verb, parameters).

osc4py3 bug: a string action handler crashes the channel. handle_action() imports its
    dispatcher with an absolute ``import oscdispatching`` (oscchannel.py:427), which fails
    with ModuleNotFoundError inside the channel constructor (activate() calls it), and it
    would then call oscdispatching.send_packet, which does not exist (send_packet is in
    oscdistributing). Expected output: the "activated" and "scheduled" messages are
    dispatched.
"""

import socket
import time

from osc4py3.as_eventloop import *
from osc4py3.oscudpmc import UdpMcChannel


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


got = []
osc_startup()
osc_method(
    "/osc4py3/*",
    lambda address, *args: got.append((address,) + args),
    argscheme=("address", "data_unpack"),
)
try:
    osc_udp_server("127.0.0.1", free_port(), "plain")
    channel = UdpMcChannel(
        "announced",
        "r",
        {
            "udpread_host": "127.0.0.1",
            "udpread_port": free_port(),
            "actions_handlers": {"activated": "/osc4py3", "scheduled": "/osc4py3"},
            "auto_start": False,
        },
    )
    channel.activate()
    channel.begin_scheduling()
except Exception as error:
    print("channel failed:", type(error).__name__, flush=True)
end = time.time() + 1
while time.time() < end and len(got) < 2:
    osc_process()
osc_terminate()
for item in got:
    print(item, flush=True)
