"""oscmethod used alone, as its module documentation shows: build a MethodFilter, test it
with ``match()`` and call it with a message and no packet options."""

from osc4py3.oscbuildparse import OSCMessage, decode_packet, encode_packet
from osc4py3.oscmethod import *


def handler(*args):
    print("Received", args, flush=True)


methfilter = MethodFilter("/test", handler)
msg = OSCMessage("/test/1/go", None, ["One", "Two", 3])
if methfilter.match(msg.addrpattern):
    methfilter(msg, None)

msg = decode_packet(encode_packet(OSCMessage("/test/2", ",sf", ["x", 0.25])))
if methfilter.match(msg.addrpattern):
    methfilter(msg, None)

reader = MethodFilter(
    "/r", handler, argscheme=OSCARG_READERNAME + OSCARG_SRCIDENT + OSCARG_READTIME + OSCARG_PACKOPT
)
reader(OSCMessage("/r", None, []), None)

for pattern, address in [
    ("/x/*", "/x/y"),
    ("/x/*", "/x"),
    ("/x?", "/xy"),
    ("/x", "/xyz"),
    ("/x/[0-9]", "/x/5"),
    ("/x/[!0-9]", "/x/5"),
    ("/{a,bc}/d", "/bc/d"),
    ("//d", "/a/b/c/d"),
    ("/x/y", "/x/Y"),
]:
    print(pattern, address, MethodFilter(pattern, handler).match(address), flush=True)
print("re:", MethodFilter("^/a+$", handler, patternkind="re").match("/aaa"), flush=True)
print("re prefix:", MethodFilter("/a", handler, patternkind="re").match("/abc"), flush=True)
print(
    "attributes:",
    methfilter.addrpattern,
    methfilter.patternkind,
    methfilter.argscheme,
    methfilter.extra,
    methfilter.workqueue,
    methfilter.lock,
    methfilter.logger,
    flush=True,
)
