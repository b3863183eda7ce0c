"""Answering a peer: the server's handler learns the peer's reply port from the message
and the peer's host from the source (``OSCARG_SRCIDENT``), creates a client channel to it
once, and sends the answer there (event loop policy)."""

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


answers = []
peers = set()


def on_ping(srcident, reply_port, n):
    name = "reply-%d" % reply_port
    if name not in peers:
        osc_udp_client(srcident[0], reply_port, name)
        peers.add(name)
    osc_send(oscbuildparse.OSCMessage("/pong", ",i", [n * 10]), name)


osc_startup()
server_port, reply_port = free_port(), free_port()
osc_udp_server("127.0.0.1", server_port, "server")
osc_udp_server("127.0.0.1", reply_port, "replies")
osc_udp_client("127.0.0.1", server_port, "to-server")
osc_method("/ping", on_ping, argscheme=("srcident", "data_unpack"))
osc_method("/pong", answers.append)
for n in range(3):
    osc_send(oscbuildparse.OSCMessage("/ping", ",ii", [reply_port, n]), "to-server")
wait_for(lambda: len(answers) == 3)
osc_terminate()
print("answers:", answers, "reply channels:", len(peers), flush=True)
