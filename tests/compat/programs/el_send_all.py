"""``_all`` sends to every writer channel: two clients to two servers, one send."""

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


got = []
osc_startup()
for n in (1, 2):
    port = free_port()
    osc_udp_server("127.0.0.1", port, "server%d" % n)
    osc_udp_client("127.0.0.1", port, "client%d" % n)
osc_method(
    "/everyone",
    lambda reader, text: got.append((reader, text)),
    argscheme=("readername", "data_unpack"),
)
osc_send(oscbuildparse.OSCMessage("/everyone", None, ["hello"]), "_all")
wait_for(lambda: len(got) == 2)
time.sleep(0.1)
osc_process()
osc_terminate()
print(sorted(got), flush=True)
