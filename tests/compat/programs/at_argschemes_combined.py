"""Argument schemes combined with ``+`` (osc4py3 passes them in the order given), all threads policy.

osc4py3 bug: as_allthreads loses and duplicates datagrams: its write jobs, run by a
    pool of write threads (as_allthreads.py:66-70), send whatever write_running holds when
    they run (oscudpmc.py:458) while the socket monitor thread may already have marked it
    written as soon as the socket was writable (oscudpmc.py:465-469 ->
    oscchannel.py:778-798), so some packets are never sent and others twice. Expected output:
    osc4py3's output for the event loop policy (el_argschemes_combined).
"""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3.as_allthreads import *
from osc4py3.oscmethod import *


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


def record(label):
    def handler(*args):
        shown = []
        for arg in args:
            if isinstance(arg, MethodFilter):
                shown.append("MethodFilter(%s)" % arg.addrpattern)
            elif (
                isinstance(arg, tuple)
                and len(arg) == 2
                and isinstance(arg[1], int)
                and arg[0] == "127.0.0.1"
            ):
                shown.append("(host, port)")
            elif hasattr(arg, "readername"):
                shown.append("PacketOptions(%s)" % arg.readername)
            else:
                shown.append(repr(arg))
        lines.append(label + ": " + ", ".join(shown))

    return handler


combos = [
    ("address+data", OSCARG_ADDRESS + OSCARG_DATA, None),
    ("address+dataunpack+extra", OSCARG_ADDRESS + OSCARG_DATAUNPACK + OSCARG_EXTRA, "EXTRA"),
    ("messageunpack+readername", OSCARG_MESSAGEUNPACK + OSCARG_READERNAME, None),
    ("extraunpack+dataunpack", OSCARG_EXTRAUNPACK + OSCARG_DATAUNPACK, [10, 20]),
    ("typetags+dataunpack+srcident", OSCARG_TYPETAGS + OSCARG_DATAUNPACK + OSCARG_SRCIDENT, None),
    ("methodfilter+packopt+data", OSCARG_METHODFILTER + OSCARG_PACKOPT + OSCARG_DATA, None),
    ("data+data", OSCARG_DATA + OSCARG_DATA, None),
    ("readername+address+typetags", OSCARG_READERNAME + OSCARG_ADDRESS + OSCARG_TYPETAGS, None),
    ("empty", (), None),
]

osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
for n, (label, scheme, extra) in enumerate(combos):
    osc_method("/combo/%d" % n, record(label), argscheme=scheme, extra=extra)
for n in range(len(combos)):
    osc_send(oscbuildparse.OSCMessage("/combo/%d" % n, ",fs", [0.5, "s%d" % n]), "cli")
    wait_for(lambda: len(lines) == n + 1)
osc_terminate()

for line in lines:
    print(line, flush=True)
