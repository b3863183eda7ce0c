"""PacketOptions on its own: defaults, duplicate(), setup_processing() from a dict,
update_processing() from another object, signal_event() with an Event, a Semaphore and a
callable, and the ordering used when packet options are sorted with bundles."""

import threading

from osc4py3.oscpacketoptions import PacketOptions

po = PacketOptions()
for name in (
    "honor_timetag",
    "forget_oldmsg",
    "timetag_offset",
    "check_subbundle_timetag",
    "readername",
    "srcident",
    "readtime",
    "message",
    "method",
    "chantarget",
    "nodelay",
    "event",
):
    print(name, repr(getattr(po, name)), flush=True)

po.setup_processing({"honor_timetag": False, "timetag_offset": 1.5, "unknown": 1})
copy = po.duplicate()
print("duplicate is new:", copy is not po, copy.honor_timetag, copy.timetag_offset, flush=True)
other = PacketOptions()
other.update_processing(po)
print(
    "update_processing:", other.honor_timetag, other.forget_oldmsg, other.timetag_offset, flush=True
)

event = threading.Event()
po.event = event
po.signal_event()
print("Event set:", event.is_set(), flush=True)
semaphore = threading.Semaphore(0)
po.event = semaphore
po.signal_event()
print("Semaphore released:", semaphore.acquire(blocking=False), flush=True)
calls = []
po.event = calls.append
po.signal_event()
print("callable called with the options:", calls == [po], flush=True)
po.event = None
po.signal_event()
print("no event: fine", flush=True)
a, b = PacketOptions(), PacketOptions()
print("sortable:", len(sorted([a, b])) == 2, (a < b) != (b < a), flush=True)
