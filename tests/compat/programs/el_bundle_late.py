"""A bundle whose time tag is already past is run at once (osc4py3 default packet options:
``forget_oldmsg`` False), as is a bundle timed exactly now or
at the Unix epoch."""

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
osc_method("/late", got.append)
osc_send(
    obp.OSCBundle(
        obp.unixtime2timetag(time.time() - 60), [obp.OSCMessage("/late", None, ["a minute ago"])]
    ),
    "cli",
)
osc_send(obp.OSCBundle(obp.unixtime2timetag(), [obp.OSCMessage("/late", None, ["now"])]), "cli")
osc_send(
    obp.OSCBundle(obp.unixtime2timetag(0), [obp.OSCMessage("/late", None, ["in 1970"])]), "cli"
)
wait_for(lambda: len(got) == 3)
osc_terminate()
print(got, flush=True)
