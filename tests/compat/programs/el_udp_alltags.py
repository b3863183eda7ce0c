"""One message with every type tag, sent over UDP and decoded by the receiving side's
handler (``OSCARG_MESSAGE``): what the handler gets for each tag (blobs are shown with
``.tobytes()``, as osc4py3 hands them over as memoryviews)."""

import socket
import time

from osc4py3 import oscbuildparse as obp
from osc4py3.as_eventloop import *


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


END = time.time() + 5.0


def wait_for(condition):
    while not condition() and time.time() < END:
        osc_process()
        time.sleep(0.005)


got = []
osc_startup()
port = free_port()
osc_udp_server("127.0.0.1", port, "srv")
osc_udp_client("127.0.0.1", port, "cli")
osc_method("/all", got.append, argscheme=("message",))
values = [
    1,
    0.5,
    "str",
    "sym",
    b"\x00blob\xff",
    2**40,
    0.1,
    "c",
    obp.OSCrgba(1, 2, 3, 4),
    obp.OSCmidi(0, 144, 60, 127),
    obp.OSCtimetag(3900000000, 5),
    True,
    False,
    None,
    obp.OSC_INFINITUM,
    [1, ["nested", 2.5]],
]
osc_send(obp.OSCMessage("/all", ",ifsSbhdcrmtTFNI[i[sf]]", values), "cli")
wait_for(lambda: got)
osc_terminate()
msg = got[0]
print(msg.addrpattern, msg.typetags, flush=True)
for tag, value in zip(msg.typetags[1:].replace("[", "").replace("]", ""), msg.arguments):
    if tag == "b":
        value = value.tobytes()
    elif isinstance(value, float):
        value = round(value, 6)
    print(tag, repr(value), flush=True)
print("array:", msg.arguments[-1], flush=True)
