"""TcpChannel made with the ``ChannelClass(name, mode, options)`` scheme, following
osctcp's docstrings: a server channel (``tcp_serverenabled``) and a client channel to it,
packets framed with the OSC 1.0 size header (``read_withheader``/``write_withheader``),
scheduled on the global socket monitor thread, in an all threads system.

osc4py3 bug: TCP cannot be used at all: osctcp.py:222 redefines ``TcpChannel`` as an empty
    class that takes no arguments (the real one, osctcp.py:21, is unfinished anyway:
    process_read_raw and start_write_packet do nothing, osctcp.py:164-168), so
    constructing a channel raises TypeError. Expected output: the messages sent by the
    client reach the server's handler.
"""

import socket
import threading
import time

from osc4py3 import oscbuildparse, oscchannel
from osc4py3.as_allthreads import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 6.0
got = []
lock = threading.Lock()


def handler(n, text):
    with lock:
        got.append((n, text))


osc_startup()
try:
    from osc4py3.osctcp import TcpChannel

    port = free_port()
    server = TcpChannel(
        "tcpserver",
        "r",
        {
            "tcp_host": "127.0.0.1",
            "tcp_port": port,
            "tcp_serverenabled": True,
            "read_withheader": True,
            "monitor": oscchannel.SCHED_SELECTTHREAD,
        },
    )
    client = TcpChannel(
        "tcpclient",
        "w",
        {
            "tcp_host": "127.0.0.1",
            "tcp_port": port,
            "write_withheader": True,
            "monitor": oscchannel.SCHED_SELECTTHREAD,
        },
    )
    osc_method("/tcp", handler)
    for n in range(3):
        osc_send(oscbuildparse.OSCMessage("/tcp", ",is", [n, "over tcp"]), "tcpclient")
    while len(got) < 3 and time.time() < END:
        time.sleep(0.01)
except Exception as error:
    print("TCP failed:", type(error).__name__, flush=True)
finally:
    osc_terminate()
print(sorted(got), flush=True)
