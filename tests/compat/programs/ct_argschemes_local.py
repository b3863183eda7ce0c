"""comthreads policy, ``_local`` delivery with every argument scheme that describes the
reading side: a packet dispatched locally has default packet options (osc4py3 reports the
reader as "undefined", the source as "undefined", the read time as 0)."""

import time

from osc4py3 import oscbuildparse
from osc4py3 import oscmethod as osm
from osc4py3.as_comthreads import *

END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


lines = []
osc_startup()
osc_method(
    "/l/a",
    lambda *a: lines.append(("readername+srcident+readtime", a)),
    argscheme=osm.OSCARG_READERNAME + osm.OSCARG_SRCIDENT + osm.OSCARG_READTIME,
)
osc_method(
    "/l/b",
    lambda *a: lines.append(("address+dataunpack", a)),
    argscheme=osm.OSCARG_ADDRESS + osm.OSCARG_DATAUNPACK,
)
osc_method(
    "/l/c",
    lambda po: lines.append(("packopt", po.readername, po.srcident, po.readtime, po.honor_timetag)),
    argscheme=osm.OSCARG_PACKOPT,
)
for name in "abc":
    osc_send(oscbuildparse.OSCMessage("/l/" + name, None, [name, 1.5]), "_local")
wait_for(lambda: len(lines) == 3)
osc_terminate()
for line in sorted(lines):
    print(*line, flush=True)
