"""PacketOptions seen by a handler (``OSCARG_PACKOPT``) for a packet read from UDP."""

import socket
import time

from osc4py3 import oscbuildparse
from osc4py3 import oscmethod as osm
from osc4py3.as_eventloop import *
from osc4py3.oscpacketoptions import PacketOptions


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


seen = []


def handler(packopt, x):
    seen.append(packopt)
    print("is PacketOptions:", isinstance(packopt, PacketOptions), flush=True)
    print("readername:", packopt.readername, flush=True)
    print(
        "srcident:",
        type(packopt.srcident).__name__,
        len(packopt.srcident),
        packopt.srcident[0],
        flush=True,
    )
    print("readtime recent:", abs(packopt.readtime - time.time()) < 60, flush=True)
    for name in (
        "honor_timetag",
        "forget_oldmsg",
        "timetag_offset",
        "check_subbundle_timetag",
        "chantarget",
        "nodelay",
        "event",
    ):
        print(name + ":", repr(getattr(packopt, name)), flush=True)
    print("argument:", x, flush=True)


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "myserver")
osc_udp_client("127.0.0.1", port, "myclient")
osc_method("/opts", handler, argscheme=osm.OSCARG_PACKOPT + osm.OSCARG_DATAUNPACK)
osc_send(oscbuildparse.OSCMessage("/opts", ",i", [5]), "myclient")
wait_for(lambda: seen)
osc_terminate()
