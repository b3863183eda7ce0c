"""dumphex_buffer(): the hex dump osc4py3 programs print while debugging."""

import io

from osc4py3.oscbuildparse import *

raw = encode_packet(OSCMessage("/dump/me", ",isf", [258, "abcdefgh", 1.0]))
dumphex_buffer(raw)
out = io.StringIO()
dumphex_buffer(bytes(range(40)), out)
print(out.getvalue(), end="", flush=True)
dumphex_buffer(b"")
print("done", flush=True)
