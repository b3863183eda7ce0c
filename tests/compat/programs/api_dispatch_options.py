"""Packet processing options given to Dispatcher.dispatch_packet(): honor_timetag False
runs a future bundle at once, forget_oldmsg True drops a late bundle, timetag_offset moves
time tags, check_subbundle_timetag refuses a sub-bundle timed before its parent."""

import time

from osc4py3 import oscbuildparse as obp
from osc4py3.oscdispatching import Dispatcher
from osc4py3.oscmethod import MethodFilter
from osc4py3.oscpacketoptions import PacketOptions

disp = Dispatcher("options", {})
got = []
disp.add_method(MethodFilter("/o", got.append))


def bundle(offset, label):
    return obp.OSCBundle(
        obp.unixtime2timetag(time.time() + offset), [obp.OSCMessage("/o", None, [label])]
    )


po = PacketOptions()
po.honor_timetag = False
print(
    "honor_timetag False:", disp.dispatch_packet(bundle(60, "future, run now"), po), got, flush=True
)

po = PacketOptions()
po.forget_oldmsg = True
print(
    "forget_oldmsg True:", disp.dispatch_packet(bundle(-60, "late, dropped"), po), got, flush=True
)

po = PacketOptions()
po.timetag_offset = -120
print(
    "timetag_offset -120:",
    disp.dispatch_packet(bundle(60, "moved to the past"), po),
    got,
    flush=True,
)

po = PacketOptions()
po.check_subbundle_timetag = True
parent = obp.OSCBundle(
    obp.unixtime2timetag(time.time() - 10),
    [
        obp.OSCBundle(
            obp.unixtime2timetag(time.time() - 20), [obp.OSCMessage("/o", None, ["older child"])]
        )
    ],
)
try:
    print("check_subbundle_timetag:", disp.dispatch_packet(parent, po), got, flush=True)
except ValueError:
    print("check_subbundle_timetag: ValueError caught", got, flush=True)
