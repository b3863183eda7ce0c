"""osc4py3 address patterns (``patternkind="osc"``, the default) on handler side.

Each handler pattern uses one OSC pattern feature: ``?``, ``*``, ``[a-c]``, ``[!a-c]``,
``{x,y}``, OSC 1.1's ``//`` and plain prefixes. Messages dispatched locally (``_local``)
with literal addresses; the program prints which patterns took which address.
"""

import time

from osc4py3 import oscbuildparse
from osc4py3.as_eventloop import *

patterns = [
    "/synth/?/freq",
    "/synth/*/freq",
    "/synth/[a-c]/gain",
    "/synth/[!a-c]/gain",
    "/synth/{left,right}/pan",
    "//pan",
    "/synth/1",
    "/mix/*",
    "/mix/ch*/mute",
    "/a.b",
]
addresses = [
    "/synth/1/freq",
    "/synth/10/freq",
    "/synth/b/gain",
    "/synth/d/gain",
    "/synth/left/pan",
    "/synth/right/pan",
    "/synth/up/pan",
    "/synth/1",
    "/synth/12/x",
    "/mix/ch3/mute",
    "/mix",
    "/aXb",
    "/a.b",
    "/deep/in/the/tree/pan",
]

hits = []


def make(pattern):
    return lambda address: hits.append((address, pattern))


osc_startup()
for pattern in patterns:
    osc_method(pattern, make(pattern), argscheme=(("address",)))
for address in addresses:
    osc_send(oscbuildparse.OSCMessage(address, None, []), "_local")
end = time.time() + 2
while time.time() < end and len(hits) < 18:
    osc_process()
osc_process()
osc_terminate()

for address in addresses:
    taken = sorted(pattern for hit_address, pattern in hits if hit_address == address)
    print(address, "->", taken, flush=True)
