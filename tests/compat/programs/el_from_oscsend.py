"""Messages from a real peer, liblo's ``oscsend`` command, to an event loop server: every
type it can send except chars (see el_from_oscsend_char), decoded by the handler.
# compat: needs oscsend
"""

import socket
import subprocess
import time

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


def handler(address, typetags, arguments):
    shown = [round(a, 4) if isinstance(a, float) else a for a in arguments]
    got.append((address, typetags, shown))


osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_method("/liblo", handler, argscheme=("message_unpack",))
commands = [
    ["/liblo/numbers", "ihfd", "-7", "1099511627776", "0.25", "2.5"],
    ["/liblo/strings", "sS", "hello world", "sym"],
    ["/liblo/flags", "TFNI"],
    ["/liblo/midi", "m", "0090407f"],
    ["/liblo/empty", ""],
]
for command in commands:
    subprocess.run(["oscsend", "127.0.0.1", str(port)] + command, check=True)
wait_for(lambda: len(got) == len(commands))
osc_terminate()
for item in got:
    print(*item, flush=True)
