"""An osc4py3 program with its own transport (a TransportChannel subclass written for
osc4py3: start_write_packet / packet_written, fileno() and process_monevents), run by
tests/test_compat_transports.py against osc4py3 and against oscwire (import renamed)."""

import importlib
import os
import socket
import time

from osc4py3 import oscbuildparse, oscchannel, oscmethod, oscscheduling

facade = importlib.import_module("osc4py3.as_" + os.environ.get("OSC_POLICY", "eventloop"))

A, B = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
A.setblocking(False)
B.setblocking(False)


class PairWriter(oscchannel.TransportChannel):
    chankindprefix = "pair"

    def setup_writer_options(self, options):
        super().setup_writer_options(options)
        self.is_writer = True

    def fileno(self):
        return A.fileno()

    def start_write_packet(self):
        A.send(bytes(self.write_running.rawosc))
        self.packet_written()

    def process_monevents(self, deadlinetime, oper):
        pass


class PairReader(oscchannel.TransportChannel):
    chankindprefix = "pair"

    def setup_reader_options(self, options):
        super().setup_reader_options(options)
        self.is_reader = True

    def fileno(self):
        return B.fileno()

    def process_monevents(self, deadlinetime, oper):
        if "r" in oper:
            self.process_read_raw(deadlinetime)

    def process_read_raw(self, deadlinetime):
        try:
            while True:
                self.received_packet("pairsrc", B.recv(65536))
        except BlockingIOError:
            pass


got = []


def handler(address, *args):
    got.append((address, *args))


facade.osc_startup()
facade.osc_method(
    "/pair/*", handler, argscheme=oscmethod.OSCARG_ADDRESS + oscmethod.OSCARG_DATAUNPACK
)
PairReader("pin", "r", {"monitor": oscchannel.SCHED_SELECTTHREAD})
PairWriter("pout", "w", {"monitor": oscchannel.SCHED_SELECTTHREAD})
for i in range(3):
    facade.osc_send(oscbuildparse.OSCMessage("/pair/x", ",is", [i, f"v{i}"]), "pout")
deadline = time.time() + 5
while len(got) < 3 and time.time() < deadline:
    facade.osc_process()
    time.sleep(0.01)
print(sorted(got))
facade.osc_terminate()
oscscheduling.terminate_global_socket_monitor()
