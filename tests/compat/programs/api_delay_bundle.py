"""Delayed bundles through the module API: dispatch_packet() holds a future bundle,
delay_bundle() queues one by hand, delayed_process_loop(0) runs them when due."""

import time

from osc4py3 import oscbuildparse as obp
from osc4py3 import oscdispatching
from osc4py3.oscmethod import MethodFilter
from osc4py3.oscpacketoptions import PacketOptions

disp = oscdispatching.Dispatcher("delays", {})
got = []
disp.add_method(MethodFilter("/d", lambda x: got.append((x, time.time()))))
start = time.time()
future = obp.OSCBundle(
    obp.unixtime2timetag(start + 0.3), [obp.OSCMessage("/d", None, ["via dispatch"])]
)
print("immediate count:", disp.dispatch_packet(future, PacketOptions()), flush=True)
oscdispatching.delay_bundle(
    start + 0.15,
    disp,
    obp.OSCBundle(obp.OSC_IMMEDIATELY, [obp.OSCMessage("/d", None, ["by hand"])]),
    PacketOptions(),
)
oscdispatching.delayed_process_loop(0)
print("before due:", [x for x, _ in got], flush=True)
end = time.time() + 2
while len(got) < 2 and time.time() < end:
    oscdispatching.delayed_process_loop(0)
    time.sleep(0.005)
for label, when in got:
    print(
        label,
        "on time" if when >= start + (0.15 if label == "by hand" else 0.3) - 0.01 else "EARLY",
        flush=True,
    )
