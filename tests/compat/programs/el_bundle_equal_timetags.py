"""Two bundles of blobs with the same future time tag (computed once, used twice): both
run, in the order they were sent, after a message sent in between.

osc4py3 bug: two pending bundles with equal time tags hang the program. delay_bundle()
    sorts PendingBundle tuples (oscdispatching.py:277); equal ``when`` fields make Python
    compare the rest (the same Dispatcher, then the bundles' contents: here blobs, decoded
    as memoryviews, which have no order) and raise TypeError while pending_condvar is held
    (acquired at oscdispatching.py:275, released at :280, no try/finally), so the next
    osc_process() blocks for ever in next_bundle() (oscdispatching.py:296). Expected
    output: both bundles, in the order sent, after the immediate message.
"""

import socket
import time

from osc4py3 import oscbuildparse as obp
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
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/b", lambda blob: got.append(bytes(blob)))
when = obp.unixtime2timetag(time.time() + 0.3)
osc_send(obp.OSCBundle(when, [obp.OSCMessage("/b", None, [b"blob one"])]), "cli")
osc_send(obp.OSCMessage("/b", None, [b"immediate"]), "cli")
osc_send(obp.OSCBundle(when, [obp.OSCMessage("/b", None, [b"blob two"])]), "cli")
wait_for(lambda: len(got) == 3)
osc_terminate()
print(got, flush=True)
