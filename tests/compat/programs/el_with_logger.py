"""osc4py3's documented setup with a logger (``osc_startup(logger=logger)``): logging to a
handler the program keeps, the usual traffic, and nothing but logging changes (the
program prints what it received and whether the logger was used)."""

import logging
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


class Keep(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


keep = Keep()
logger = logging.getLogger("osc")
logger.setLevel(logging.DEBUG)
logger.addHandler(keep)
logger.propagate = False

got = []
osc_startup(logger=logger)
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/logged", got.append)
osc_send(oscbuildparse.OSCMessage("/logged", ",s", ["with a logger"]), "cli")
osc_send(oscbuildparse.OSCMessage("/logged", ",s", ["local"]), "_local")
wait_for(lambda: len(got) == 2)
osc_terminate()
print(sorted(got), flush=True)
print("logger used:", len(keep.records) > 0, flush=True)
print(
    "errors logged:",
    [r.getMessage() for r in keep.records if r.levelno >= logging.ERROR],
    flush=True,
)
