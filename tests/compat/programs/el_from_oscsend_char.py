"""A char (``c`` tag) from liblo's ``oscsend``: liblo, like SuperCollider, puts the char in
the low byte of a big-endian 32-bit integer.
# compat: needs oscsend

osc4py3 bug: chars from liblo and SuperCollider decode as NUL: _decode_char() reads the
    first of the four bytes (oscbuildparse.py:427) where those peers put the character in
    the last one. Expected output: the characters sent.
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
osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_method("/liblo/char", lambda *chars: got.append(chars))
subprocess.run(["oscsend", "127.0.0.1", str(port), "/liblo/char", "cc", "A", "z"], check=True)
wait_for(lambda: got)
osc_terminate()
print(got, flush=True)
