"""A Dispatcher used directly, as osc4py3's tests/dispatching.py does: MethodFilters added
with ``add_method``, messages and an immediate bundle given to ``dispatch_packet`` with
fresh PacketOptions; the return value counts the handlers called."""

from osc4py3 import oscbuildparse as obp
from osc4py3.oscdispatching import Dispatcher
from osc4py3.oscmethod import *
from osc4py3.oscpacketoptions import PacketOptions


def matchfct(*args):
    mf = args[-1]
    print("Called for MethodFilter({!r}) with:".format(mf.addrpattern), args[:-1], flush=True)


disp = Dispatcher("mydispatcher", {})
filters = [
    MethodFilter(
        "/*", matchfct, argscheme=OSCARG_ADDRESS + OSCARG_DATAUNPACK + OSCARG_METHODFILTER
    ),
    MethodFilter("/just", matchfct, argscheme=OSCARG_DATAUNPACK + OSCARG_METHODFILTER),
    MethodFilter("//test", matchfct, argscheme=OSCARG_DATAUNPACK + OSCARG_METHODFILTER),
    MethodFilter("/just/[a-c]/test", matchfct, argscheme=OSCARG_DATAUNPACK + OSCARG_METHODFILTER),
    MethodFilter("/*/c/", matchfct, argscheme=OSCARG_DATAUNPACK + OSCARG_METHODFILTER),
]
for mf in filters:
    disp.add_method(mf)

msg = obp.OSCMessage("/just/a/test", None, [1, 2, 3])
print("count:", disp.dispatch_packet(msg, PacketOptions()), flush=True)
bun = obp.OSCBundle(
    obp.OSC_IMMEDIATELY,
    [
        obp.OSCMessage("/just/c/test", None, ["Hello"]),
        obp.OSCMessage("/just/d/test/here", None, [3.13, "is", "pi"]),
    ],
)
print("count:", disp.dispatch_packet(bun, PacketOptions()), flush=True)
disp.remove_method(filters[0])
print("count after remove:", disp.dispatch_packet(msg, PacketOptions()), flush=True)
print("methodfilters:", [mf.addrpattern for mf in disp.methodfilters], flush=True)
try:
    Dispatcher("mydispatcher", {})
    print("a second dispatcher with the same name was accepted", flush=True)
except ValueError:
    print("same dispatcher name twice: ValueError caught", flush=True)
disp.terminate()
Dispatcher("mydispatcher", {}).terminate()
print("name free again after terminate", flush=True)
