"""A message without a type tag string (older OSC senders do that): osc4py3 refuses it by
default (``force_typetags`` True) and accepts it as a message with no arguments when the
``force_typetags`` oob option is False."""

from osc4py3.oscbuildparse import *

raw = b"/old/style\x00\x00"
try:
    print("default:", decode_packet(raw), flush=True)
except OSCInvalidRawError:
    print("default: OSCInvalidRawError caught", flush=True)
print("force_typetags False:", decode_packet(raw, {"force_typetags": False}), flush=True)
print("force_typetags True:", end=" ", flush=True)
try:
    print(decode_packet(raw, {"force_typetags": True}), flush=True)
except OSCInvalidRawError:
    print("OSCInvalidRawError caught", flush=True)
