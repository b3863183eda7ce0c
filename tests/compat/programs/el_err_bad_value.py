"""osc_send() of a message whose value does not fit its type tag, then a good message:
what the program sees, whether the error shows on stderr (captured by the program) and
whether the good message still goes through.

osc4py3 bug: a packet that fails to encode is dropped silently and delays the next ones:
    encoding happens later, in osc_process(), whose sending loop swallows every exception
    when there is no logger (oscdistributing.py:292-294) and stops there. Expected output:
    the error is reported (raised by osc_send or printed on stderr) and the good message
    arrives.
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
captured = io.StringIO()
real_stderr, sys.stderr = sys.stderr, captured
raised = False
try:
    osc_startup()
    port = free_port()
    osc_udp_server("127.0.0.1", port, "srv")
    osc_udp_client("127.0.0.1", port, "cli")
    osc_method("/v", got.append)
    try:
        osc_send(oscbuildparse.OSCMessage("/v", ",i", ["not a number"]), "cli")
    except Exception:
        raised = True
    osc_send(oscbuildparse.OSCMessage("/v", ",i", [7]), "cli")
    wait_for(lambda: got)
    osc_terminate()
finally:
    sys.stderr = real_stderr
print(
    "error reported:",
    raised or "not a number" in captured.getvalue() or "ValueError" in captured.getvalue(),
    flush=True,
)
print("good message:", got, flush=True)
