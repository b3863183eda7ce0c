"""Wildcards in the *message* address: osc4py3 matches the handler's pattern against the
message address as a string, it does not expand the message's wildcards."""

import time

from osc4py3 import oscbuildparse
from osc4py3.as_eventloop import *

hits = []
osc_startup()
osc_method("/mixer/1/volume", lambda *a: hits.append(("/mixer/1/volume", a)))
osc_method("/mixer/*/volume", lambda *a: hits.append(("/mixer/*/volume", a)))
osc_method("/mixer/{1,2}/mute", lambda *a: hits.append(("/mixer/{1,2}/mute", a)))
for address, value in [
    ("/mixer/*/volume", 1),
    ("/mixer/?/volume", 2),
    ("/mixer/[12]/mute", 3),
    ("/mixer/{1,2}/mute", 4),
    ("/mixer/2/volume", 5),
]:
    osc_send(oscbuildparse.OSCMessage(address, ",i", [value]), "_local")
end = time.time() + 1
while time.time() < end:
    osc_process()
osc_terminate()
for hit in sorted(hits):
    print(hit, flush=True)
