"""The module-level dispatching API: register_global_dispatcher(), globdisp(),
register_method()/unregister_method() with MethodFilter objects, and the errors for a
missing or doubled global dispatcher."""

from osc4py3 import oscbuildparse as obp
from osc4py3 import oscdispatching
from osc4py3.oscmethod import MethodFilter
from osc4py3.oscpacketoptions import PacketOptions

try:
    oscdispatching.globdisp()
    print("globdisp() without a dispatcher returned", flush=True)
except RuntimeError:
    print("globdisp() without a dispatcher: RuntimeError caught", flush=True)

oscdispatching.register_global_dispatcher(None)
disp = oscdispatching.globdisp()
print("global dispatcher:", type(disp).__name__, disp.dispname, flush=True)
try:
    oscdispatching.register_global_dispatcher(None)
except RuntimeError:
    print("second register_global_dispatcher: RuntimeError caught", flush=True)

got = []
mf = MethodFilter("/g", lambda x: got.append(x))
oscdispatching.register_method(mf)
print("count:", disp.dispatch_packet(obp.OSCMessage("/g", None, [1]), PacketOptions()), flush=True)
oscdispatching.unregister_method(mf)
print(
    "count after unregister:",
    disp.dispatch_packet(obp.OSCMessage("/g", None, [2]), PacketOptions()),
    flush=True,
)
print("got:", got, flush=True)
oscdispatching.unregister_global_dispatcher()
try:
    oscdispatching.unregister_global_dispatcher()
except RuntimeError:
    print("second unregister_global_dispatcher: RuntimeError caught", flush=True)

mine = oscdispatching.Dispatcher("custom", {})
oscdispatching.register_global_dispatcher(mine)
print("globdisp() is mine:", oscdispatching.globdisp() is mine, flush=True)
oscdispatching.unregister_global_dispatcher()
