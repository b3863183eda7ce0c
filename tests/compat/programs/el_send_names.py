"""osc_send() to several channels at once, named by a list, a set or a tuple (the
documented ``names: str or list or set``), including ``_local``.

osc4py3 bug: flat_names() adds the whole container instead of each name when the names
    are strings (``_out.add(names)`` at oscdistributing.py:93): a list or a set raises
    TypeError (unhashable) from osc_send(), a tuple becomes one unknown channel name and the
    packet is silently dropped. Expected output: every target receives each packet.
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
for n in (1, 2):
    port = free_port()
    osc_udp_server("127.0.0.1", port, "server%d" % n)
    osc_udp_client("127.0.0.1", port, "client%d" % n)
# Locally dispatched packets have no reader channel: print "local" for them.
osc_method(
    "/to",
    lambda reader, text: got.append((text, reader if reader.startswith("server") else "local")),
    argscheme=("readername", "data_unpack"),
)
for label, names in [
    ("list", ["client1", "client2"]),
    ("set", {"client1", "_local"}),
    ("tuple", ("client2", "_local")),
    ("nested", [["client1"], ("client2",)]),
]:
    try:
        osc_send(oscbuildparse.OSCMessage("/to", None, [label]), names)
    except Exception as error:
        print(label, "osc_send raised", type(error).__name__, flush=True)
wait_for(lambda: len(got) == 8)
time.sleep(0.1)
osc_process()
osc_terminate()
for item in sorted(got):
    print(*item, flush=True)
