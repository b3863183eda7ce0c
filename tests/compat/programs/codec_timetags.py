"""Time tag helpers: conversions between Unix time, NTP seconds and OSCtimetag, arithmetic
on OSCtimetag, OSC_IMMEDIATELY, and time tags through encode/decode."""

from osc4py3.oscbuildparse import *

print("OSC_IMMEDIATELY", OSC_IMMEDIATELY, tuple(OSC_IMMEDIATELY), flush=True)
print("1970 in NTP seconds", unixtime2timetag(0), flush=True)
tt = unixtime2timetag(1700000000.25)
print("unixtime2timetag(1700000000.25)", tt, flush=True)
print("timetag2unixtime", timetag2unixtime(tt), flush=True)
print("timetag2float", timetag2float(tt), flush=True)
print("float2timetag(1.5)", float2timetag(1.5), flush=True)
print("float2timetag(0.0)", float2timetag(0.0), flush=True)
print("tt + 0.75", tt + 0.75, flush=True)
print("tt - 0.25", tt - 0.25, flush=True)
print("isinstance", isinstance(tt, tuple), type(tt).__name__, tt.sec, tt.frac, flush=True)
now = unixtime2timetag()
print("now is an OSCtimetag", isinstance(now, OSCtimetag), flush=True)
bundle = OSCBundle(tt, [OSCMessage("/t", ",t", [tt])])
decoded = decode_packet(encode_packet(bundle))
print("bundle time tag", decoded.timetag, type(decoded.timetag).__name__, flush=True)
print("argument time tag", decoded.elements[0].arguments[0], flush=True)
