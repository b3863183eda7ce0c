"""A common mistake: a handler that takes fewer parameters than the message has arguments.
The call fails with TypeError; the program sees it on its stderr (captured to check) and
the next, well-formed message is still handled.

osc4py3 bug: a failing handler is silent: MethodFilter.protected_call() catches every
    exception and logs it only when a logger was given (oscmethod.py:276-278), so with
    osc_startup() and no logger the TypeError never shows. Expected output: stderr names
    the TypeError and the second message is handled.
"""

import io
import socket
import sys
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


def on_level(level):
    got.append(level)


captured = io.StringIO()
real_stderr, sys.stderr = sys.stderr, captured
try:
    osc_startup()
    port = free_port()
    osc_udp_server("127.0.0.1", port, "srv")
    osc_udp_client("127.0.0.1", port, "cli")
    osc_method("/level", on_level)
    osc_send(oscbuildparse.OSCMessage("/level", ",fs", [0.5, "extra argument"]), "cli")
    osc_send(oscbuildparse.OSCMessage("/level", ",f", [0.75]), "cli")
    wait_for(lambda: got)
    osc_terminate()
finally:
    sys.stderr = real_stderr
print("handled:", got, flush=True)
print("stderr names the error:", "TypeError" in captured.getvalue(), flush=True)
