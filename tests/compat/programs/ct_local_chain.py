"""A handler that sends to ``_local``: a chain /step/1 -> /step/2 -> /step/3 dispatched in
this process, plus a bundle sent to ``_local`` (comthreads policy)."""

import time

from osc4py3 import oscbuildparse as obp
from osc4py3.as_comthreads import *

END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


trace = []


def step(address, n, payload):
    trace.append((address, n, payload))
    if n < 3:
        osc_send(obp.OSCMessage("/step/%d" % (n + 1), None, [n + 1, payload + "+"]), "_local")


osc_startup()
osc_method("/step/*", step, argscheme=("address", "data_unpack"))
osc_send(obp.OSCMessage("/step/1", None, [1, "go"]), "_local")
wait_for(lambda: len(trace) == 3)
osc_send(
    obp.OSCBundle(
        obp.OSC_IMMEDIATELY,
        [obp.OSCMessage("/step/3", None, [3, "b1"]), obp.OSCMessage("/step/3", None, [3, "b2"])],
    ),
    "_local",
)
wait_for(lambda: len(trace) == 5)
osc_terminate()
for item in trace:
    print(*item, flush=True)
