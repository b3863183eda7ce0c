"""oscdistributing's public functions: flat_names() on a plain name and on nested names,
send_packet() to ``_local`` with explicit PacketOptions, and the reserved names."""

from osc4py3 import oscbuildparse as obp
from osc4py3 import oscdispatching, oscdistributing
from osc4py3.oscmethod import MethodFilter
from osc4py3.oscpacketoptions import PacketOptions

print("flat_names('a'):", oscdistributing.flat_names("a"), flush=True)
print("flat_names([]) is a set:", isinstance(oscdistributing.flat_names([]), set), flush=True)
print("reserved:", sorted(oscdistributing.RESERVED_NAMES), flush=True)

oscdispatching.register_global_dispatcher(None)
got = []
oscdispatching.register_method(
    MethodFilter(
        "/dist",
        lambda po, x: got.append((po.honor_timetag, x)),
        argscheme=("packopt", "data_unpack"),
    )
)
opts = PacketOptions()
oscdistributing.send_packet(obp.OSCMessage("/dist", None, ["queued"]), "_local", opts)
print("before processing:", got, flush=True)
oscdistributing.sendingpackets_process_loop(0)
print("after processing:", got, flush=True)
oscdispatching.unregister_global_dispatcher()
