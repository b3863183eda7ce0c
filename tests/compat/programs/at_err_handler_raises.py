"""A handler that raises: the next messages are still handled, and the error is not
silent (with no logging configured, the program's stderr shows it: the program captures
its own stderr to check).

osc4py3 bug: a failing handler is silent: MethodFilter.protected_call() catches every
    exception and logs it only when a logger was given (oscmethod.py:276-278), so with
    osc_startup() and no logger nothing reaches stderr; and as_allthreads loses datagrams
    sent back to back (its write jobs, run by a pool of threads, send whatever
    write_running holds when they run, oscudpmc.py:458, while the monitor thread already
    marked it written, oscchannel.py:778-798). Expected output: the three messages are
    handled and stderr names the ZeroDivisionError.
"""

import io
import socket
import sys
import time

from osc4py3 import oscbuildparse
from osc4py3.as_allthreads import *


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


def handler(x):
    got.append(x)
    if x == 1:
        return 1 / 0


captured = io.StringIO()
real_stderr, sys.stderr = sys.stderr, captured
try:
    osc_startup(execthreadscount=1)
    port = free_port()
    osc_udp_server("127.0.0.1", port, "srv")
    osc_udp_client("127.0.0.1", port, "cli")
    osc_method("/h", handler)
    for n in range(3):
        osc_send(oscbuildparse.OSCMessage("/h", ",i", [n]), "cli")
    wait_for(lambda: len(got) == 3)
    osc_terminate()
finally:
    sys.stderr = real_stderr
print("handled:", got, flush=True)
print("stderr names the error:", "ZeroDivisionError" in captured.getvalue(), flush=True)
