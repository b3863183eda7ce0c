"""An osc4py3 program with its own transport (a TransportChannel subclass written for
osc4py3: start_write_packet / packet_written, no file descriptor: poll_monitor), run by
tests/test_compat_transports.py against oscwire (osc4py3's polling monitor is broken)."""

import collections
import importlib
import os
import time

from osc4py3 import oscbuildparse, oscchannel, oscscheduling

facade = importlib.import_module("osc4py3.as_" + os.environ.get("OSC_POLICY", "eventloop"))
WIRE = collections.deque()


class MemWriter(oscchannel.TransportChannel):
    chankindprefix = "mem"

    def setup_writer_options(self, options):
        super().setup_writer_options(options)
        self.is_writer = True

    def start_write_packet(self):
        WIRE.append(bytes(self.write_running.rawosc))
        self.packet_written()

    def poll_monitor(self, deadlinetime, rwe):
        return ""

    def process_monevents(self, deadlinetime, oper):
        pass


class MemReader(oscchannel.TransportChannel):
    chankindprefix = "mem"

    def setup_reader_options(self, options):
        super().setup_reader_options(options)
        self.is_reader = True

    def poll_monitor(self, deadlinetime, rwe):
        return "r" if WIRE else ""

    def process_monevents(self, deadlinetime, oper):
        while WIRE:
            self.received_packet("memsrc", WIRE.popleft())


got = []


def handler(*args):
    got.append(args)


facade.osc_startup()
facade.osc_method("/mem/*", handler)
MemReader("memin", "r", {"monitor": oscchannel.SCHED_POLLTHREAD})
MemWriter("memout", "w", {"monitor": oscchannel.SCHED_POLLTHREAD})
for i in range(3):
    facade.osc_send(oscbuildparse.OSCMessage("/mem/x", ",is", [i, f"v{i}"]), "memout")
deadline = time.time() + 5
while len(got) < 3 and time.time() < deadline:
    facade.osc_process()
    time.sleep(0.01)
print(sorted(got))
facade.osc_terminate()
oscscheduling.terminate_global_polling_monitor()
