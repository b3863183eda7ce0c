"""The ``encodepacket`` and ``decodepacket`` action verbs, on channels made directly with
``actions_handlers`` in their options (all threads policy): the writer's handler encodes
packets itself (returning (raw, packopt)) or takes one over completely (returning
(None, None)); the reader's handler decodes packets itself."""

import socket
import threading
import time

from osc4py3 import oscbuildparse, oscchannel
from osc4py3.as_allthreads import *
from osc4py3.oscudpmc import UdpMcChannel


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 6.0
lock = threading.Lock()
log = []
got = []


def encoder(name, verb, parameters):
    packet, packopt = parameters
    with lock:
        log.append(("encoder", name, verb, packet.addrpattern))
    if packet.addrpattern == "/swallowed":
        return (None, None)
    renamed = oscbuildparse.OSCMessage(
        packet.addrpattern + "/encoded", packet.typetags, packet.arguments
    )
    return (oscbuildparse.encode_packet(renamed), packopt)


def decoder(name, verb, parameters):
    raw, packopt = parameters
    packet = oscbuildparse.decode_packet(raw)
    with lock:
        log.append(("decoder", name, verb, packet.addrpattern))
    return (
        oscbuildparse.OSCMessage(
            packet.addrpattern + "/decoded", packet.typetags, packet.arguments
        ),
        packopt,
    )


def handler(address, x):
    with lock:
        got.append((address, x))


osc_startup(execthreadscount=1)
port = free_port()
UdpMcChannel(
    "hooked-reader",
    "r",
    {
        "udpread_host": "127.0.0.1",
        "udpread_port": port,
        "monitor": oscchannel.SCHED_SELECTTHREAD,
        "actions_handlers": {"decodepacket": decoder},
    },
)
UdpMcChannel(
    "hooked-writer",
    "w",
    {
        "udpwrite_host": "127.0.0.1",
        "udpwrite_port": port,
        "monitor": oscchannel.SCHED_SELECTTHREAD,
        "actions_handlers": {"encodepacket": encoder},
    },
)
osc_method("/", handler, argscheme=("address", "data_unpack"))
osc_send(oscbuildparse.OSCMessage("/hello", ",i", [1]), "hooked-writer")
while not got and time.time() < END:
    time.sleep(0.01)
osc_send(oscbuildparse.OSCMessage("/swallowed", ",i", [2]), "hooked-writer")
time.sleep(0.2)
osc_terminate()
for item in log + got:
    print(item, flush=True)
