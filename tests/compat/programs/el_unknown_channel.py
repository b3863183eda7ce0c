"""osc_send() to a channel name that does not exist, then to a real one: what the program
sees (an exception, or nothing) and whether the good packet still arrives.

osc4py3 bug: a send to a name that is no channel is dropped without a word when no
    logger is configured (oscdistributing.py:224-228, "Dismiss the packet"): a typo in a
    channel name loses every message. oscwire raises OSCUnknownChannelError at the call
    (osc_startup(raise_send_errors=False) logs and counts instead).
"""

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
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/x", got.append)
try:
    osc_send(oscbuildparse.OSCMessage("/x", None, ["lost"]), "no-such-channel")
    print("osc_send to an unknown name returned", flush=True)
except Exception as error:
    print("osc_send to an unknown name raised", type(error).__name__, flush=True)
try:
    osc_process()
    print("osc_process after it returned", flush=True)
except Exception as error:
    print("osc_process after it raised", type(error).__name__, flush=True)
osc_send(oscbuildparse.OSCMessage("/x", None, ["delivered"]), "cli")
wait_for(lambda: got)
osc_terminate()
print(got, flush=True)
