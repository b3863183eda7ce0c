"""A server on port 0 (the OS picks a free port): the program finds the port through the
channel object, ``oscchannel.get_channel(name).udpsock``, and sends to it (event loop)."""

import time

from osc4py3 import oscbuildparse, oscchannel
from osc4py3.as_eventloop import *

END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


got = []
osc_startup()
osc_udp_server("127.0.0.1", 0, "anyport")
channel = oscchannel.get_channel("anyport")
port = channel.udpsock.getsockname()[1]
print("bound to a real port:", port > 0, flush=True)
osc_udp_client("127.0.0.1", port, "toit")
osc_method("/p0", got.append)
osc_send(oscbuildparse.OSCMessage("/p0", None, ["found"]), "toit")
wait_for(lambda: got)
osc_terminate()
print(got, flush=True)
