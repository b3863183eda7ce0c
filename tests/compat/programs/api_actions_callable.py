"""Channel action handlers (``actions_handlers`` option) given as callables: osc4py3 calls
them with (channel name, verb, parameters) around activation, scheduling and closing."""

import socket

from osc4py3 import oscchannel
from osc4py3.as_allthreads import *
from osc4py3.oscudpmc import UdpMcChannel


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


log = []


def action(name, verb, parameters):
    log.append((name, verb, parameters))


verbs = [
    "activating",
    "activated",
    "scheduling",
    "scheduled",
    "unscheduling",
    "unscheduled",
    "deactivating",
    "deactivated",
]
osc_startup()
channel = UdpMcChannel(
    "watched",
    "r",
    {
        "udpread_host": "127.0.0.1",
        "udpread_port": free_port(),
        "monitor": oscchannel.SCHED_SELECTTHREAD,
        "actions_handlers": {verb: action for verb in verbs},
    },
)
print("after construction:", log, flush=True)
del log[:]
channel.terminate()
print("after terminate:", log, flush=True)
osc_terminate()
