"""Several handlers matching one message are called in registration order (event loop)."""

import time

from osc4py3 import oscbuildparse
from osc4py3.as_eventloop import *

calls = []
osc_startup()
osc_method("/order", lambda x: calls.append(("first", x)))
osc_method("/ord", lambda x: calls.append(("prefix", x)))
osc_method("/order", lambda x: calls.append(("second", x)))
osc_method("/*", lambda x: calls.append(("star", x)))
osc_method("/order", lambda x: calls.append(("third", x)))
for n in range(2):
    osc_send(oscbuildparse.OSCMessage("/order", ",i", [n]), "_local")
end = time.time() + 1
while time.time() < end and len(calls) < 10:
    osc_process()
osc_terminate()
for call in calls:
    print(*call, flush=True)
