"""comthreads policy, a future bundle sent to ``_local``: osc4py3's delayed-bundle thread
holds it, then its messages run inside osc_process(), after an immediate message."""

import threading
import time

from osc4py3 import oscbuildparse
from osc4py3.as_comthreads import *

END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


events = []
osc_startup()
osc_method(
    "/ev/*",
    lambda address, label: events.append(
        (address, label, time.time(), threading.current_thread() is threading.main_thread())
    ),
    argscheme=("address", "data_unpack"),
)
due = time.time() + 0.4
osc_send(
    oscbuildparse.OSCBundle(
        oscbuildparse.unixtime2timetag(due),
        [oscbuildparse.OSCMessage("/ev/timed", ",s", ["later"])],
    ),
    "_local",
)
osc_send(oscbuildparse.OSCMessage("/ev/now", ",s", ["now"]), "_local")
wait_for(lambda: len(events) == 2)
osc_terminate()
for address, label, when, in_main in events:
    print(
        address,
        label,
        "not early" if when >= due - 0.01 or address == "/ev/now" else "EARLY",
        "main thread" if in_main else "other thread",
        flush=True,
    )
