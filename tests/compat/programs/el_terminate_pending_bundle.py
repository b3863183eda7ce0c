"""osc_terminate() while a future bundle sent to ``_local`` is still waiting, then a new
session: nothing from the old session runs in the new one.

osc4py3 bug: future bundles outlive osc_terminate(): they wait in the module global
    oscdispatching.pending_bundles (oscdispatching.py:54), which as_eventloop's
    osc_terminate() never clears (as_eventloop.py:62-88); the next session's osc_process()
    runs them with the old dispatcher and its handlers. Expected output: the old handler is
    never called.
"""

import time

from osc4py3 import oscbuildparse as obp
from osc4py3.as_eventloop import *

calls = []
osc_startup()
osc_method("/old", lambda: calls.append("old handler"))
osc_send(
    obp.OSCBundle(obp.unixtime2timetag(time.time() + 0.2), [obp.OSCMessage("/old", None, [])]),
    "_local",
)
osc_process()
osc_terminate()

osc_startup()
osc_method("/new", lambda: calls.append("new handler"))
osc_send(obp.OSCMessage("/new", None, []), "_local")
end = time.time() + 0.6
while time.time() < end:
    osc_process()
    time.sleep(0.01)
osc_terminate()
print(calls, flush=True)
