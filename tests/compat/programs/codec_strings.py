"""Strings: ASCII by default in osc4py3 (a non-ASCII character raises UnicodeEncodeError,
which a program catches), and the ``str_encode``/``str_decode`` oob options for other
encodings."""

from osc4py3.oscbuildparse import *

try:
    encode_packet(OSCMessage("/s", ",s", ["héllo"]))
    print("non-ASCII: encoded", flush=True)
except UnicodeEncodeError:
    print("non-ASCII: UnicodeEncodeError caught", flush=True)

utf8 = {"str_encode": ("utf-8", "strict"), "str_decode": ("utf-8", "strict")}
raw = encode_packet(OSCMessage("/s", ",s", ["héllo ✓"]), utf8)
print(bytes(raw).hex(), flush=True)
print(decode_packet(raw, utf8).arguments, flush=True)

latin = {"str_encode": ("latin-1", "strict"), "str_decode": ("latin-1", "strict")}
raw = encode_packet(OSCMessage("/s", ",s", ["café"]), latin)
print(bytes(raw).hex(), decode_packet(raw, latin).arguments, flush=True)

replace = {"str_encode": ("ascii", "replace"), "str_decode": ("ascii", "replace")}
raw = encode_packet(OSCMessage("/s", ",s", ["naïve"]), replace)
print(bytes(raw).hex(), decode_packet(raw, replace).arguments, flush=True)

try:
    decode_packet(encode_packet(OSCMessage("/s", ",s", ["ok"]))[:-4] + b"\xe9\x00\x00\x00")
    print("non-ASCII byte: decoded", flush=True)
except UnicodeDecodeError:
    print("non-ASCII byte: UnicodeDecodeError caught", flush=True)
except OSCError as error:
    print("non-ASCII byte: OSCError caught", type(error).__name__, flush=True)

print(
    bytes(encode_packet(OSCMessage("/s", ",ss", [b"bytes\x00", bytearray(b"ba")]))).hex(),
    flush=True,
)
