"""Every argument scheme of oscmethod alone, on messages received over UDP (event loop).

Source identification, read time and packet options vary from run to run: the handlers
print what a program can rely on (host part of the source, type and sign of read time,
the reader channel's name).
"""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3 import oscmethod as osm
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


lines = []


def show(label):
    def handler(*args):
        lines.append((label, args))

    return handler


def srcident(ident):
    lines.append(("OSCARG_SRCIDENT", type(ident).__name__, ident[0], type(ident[1]).__name__))


def readtime(when):
    lines.append(("OSCARG_READTIME", type(when).__name__, abs(when - time.time()) < 60))


def methodfilter(mf):
    lines.append(("OSCARG_METHODFILTER", mf.addrpattern))


def packopt(po):
    lines.append(("OSCARG_PACKOPT", type(po).__name__, po.readername, po.srcident[0]))


def message(msg):
    lines.append(
        ("OSCARG_MESSAGE", type(msg).__name__, msg.addrpattern, msg.typetags, msg.arguments)
    )


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "reader")
osc_udp_client("127.0.0.1", port, "writer")
schemes = [
    (show("OSCARG_DATAUNPACK"), osm.OSCARG_DATAUNPACK, None),
    (show("OSCARG_DATA"), osm.OSCARG_DATA, None),
    (message, osm.OSCARG_MESSAGE, None),
    (show("OSCARG_MESSAGEUNPACK"), osm.OSCARG_MESSAGEUNPACK, None),
    (show("OSCARG_ADDRESS"), osm.OSCARG_ADDRESS, None),
    (show("OSCARG_TYPETAGS"), osm.OSCARG_TYPETAGS, None),
    (show("OSCARG_EXTRA"), osm.OSCARG_EXTRA, {"k": 1}),
    (show("OSCARG_EXTRAUNPACK"), osm.OSCARG_EXTRAUNPACK, ("x", 2)),
    (methodfilter, osm.OSCARG_METHODFILTER, None),
    (packopt, osm.OSCARG_PACKOPT, None),
    (show("OSCARG_READERNAME"), osm.OSCARG_READERNAME, None),
    (srcident, osm.OSCARG_SRCIDENT, None),
    (readtime, osm.OSCARG_READTIME, None),
]
# One-letter addresses: osc4py3 patterns match as prefixes ("/s/data" would take "/s/dataunpack").
for letter, (function, scheme, extra) in zip("abcdefghijklm", schemes):
    osc_method("/s/" + letter, function, argscheme=scheme, extra=extra)
for n, letter in enumerate("abcdefghijklm"):
    osc_send(oscbuildparse.OSCMessage("/s/" + letter, ",sih", ["arg", 7, 1 << 40]), "writer")
    wait_for(lambda: len(lines) == n + 1)
osc_terminate()

for line in lines:
    print(*line, flush=True)
