"""Regular expression patterns: ``MethodFilter(..., patternkind="re")`` registered with
``oscdispatching.register_method`` (what osc_method does for "osc" patterns)."""

import time

from osc4py3 import oscbuildparse, oscdispatching
from osc4py3.as_eventloop import *
from osc4py3.oscmethod import OSCARG_ADDRESS, OSCARG_DATAUNPACK, MethodFilter

hits = []


def handler(address, *args):
    hits.append((address, args))


osc_startup()
filters = [
    MethodFilter(
        r"/track/\d+/volume$",
        handler,
        patternkind="re",
        argscheme=OSCARG_ADDRESS + OSCARG_DATAUNPACK,
    ),
    MethodFilter(
        r"/(left|right)/", handler, patternkind="re", argscheme=OSCARG_ADDRESS + OSCARG_DATAUNPACK
    ),
    MethodFilter(
        r".*/reset", handler, patternkind="re", argscheme=OSCARG_ADDRESS + OSCARG_DATAUNPACK
    ),
]
for mf in filters:
    oscdispatching.register_method(mf)
    print("registered", mf.addrpattern, mf.patternkind, flush=True)

for address in [
    "/track/12/volume",
    "/track/x/volume",
    "/track/3/volume/extra",
    "/left/level",
    "/right",
    "/center/left/x",
    "/mixer/reset",
    "/resetall",
]:
    osc_send(oscbuildparse.OSCMessage(address, ",i", [1]), "_local")
end = time.time() + 1
while time.time() < end:
    osc_process()
osc_terminate()
for hit in sorted(hits):
    print(hit, flush=True)
