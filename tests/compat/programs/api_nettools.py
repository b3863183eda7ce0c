"""oscnettools' helpers: SLIP encoding/decoding, network_getaddrinfo() with the osc4py3
option keys, and the DNS identification cache.

osc4py3 bug: network_getaddrinfo() fails for host "*", documented as "our match
    for all interfaces": it passes AI_CANONNAME together with a None host
    (oscnettools.py:129, :145-147) and getaddrinfo() refuses it with socket.gaierror "Bad
    value for ai_flags". Expected output: the wildcard address and the rest of the run.
"""

import socket

from osc4py3 import oscnettools

raw = b"ab\xc0cd\xdbef"
encoded = oscnettools.packet2slip(raw)
print("packet2slip:", encoded.hex(), oscnettools.packet2slip(raw, False).hex(), flush=True)
packet, remain = oscnettools.slip2packet(bytearray(encoded[1:] + b"rest"))
print("slip2packet:", bytes(packet), bytes(remain), flush=True)
print("no END yet:", oscnettools.slip2packet(bytearray(b"abc")), flush=True)
print(
    "constants:",
    oscnettools.SLIP_END_CODE,
    oscnettools.SLIP_ESC_CODE,
    oscnettools.SLIP_END_CHAR,
    oscnettools.SLIP_ESC_CHAR,
    oscnettools.SLIP_END_REPL,
    oscnettools.SLIP_ESC_REPL,
    flush=True,
)

infos = oscnettools.network_getaddrinfo(
    {"udp_host": "127.0.0.1", "udp_port": 5005}, "udp", addrtype=socket.SOCK_DGRAM
)
info = infos[0]
print("getaddrinfo:", type(info).__name__, info.family == socket.AF_INET, info.sockaddr, flush=True)
infos = oscnettools.network_getaddrinfo(
    {"x_host": "[::1]", "x_port": "none"}, "x", addrtype=socket.SOCK_DGRAM
)
print("ipv6 in brackets, port none:", infos[0].sockaddr[:2], flush=True)
infos = oscnettools.network_getaddrinfo(
    {"x_host": "*", "x_port": 7000, "x_forceipv4": True}, "x", addrtype=socket.SOCK_DGRAM
)
print("all interfaces, forced IPv4:", infos[0].sockaddr, flush=True)
for options, label in [
    ({"x_port": 1}, "missing host"),
    (
        {"x_host": "127.0.0.1", "x_port": 1, "x_forceipv4": True, "x_forceipv6": True},
        "both families",
    ),
]:
    try:
        oscnettools.network_getaddrinfo(options, "x")
    except ValueError:
        print(label + ": ValueError caught", flush=True)

oscnettools.cache_dns_identification("10.1.2.3", "stage-left")
print("cached:", oscnettools.resolve_dns_identification("10.1.2.3"), flush=True)
oscnettools.cache_dns_identification("10.1.2.3", "other")
print("kept first:", oscnettools.resolve_dns_identification("10.1.2.3"), flush=True)
oscnettools.cache_dns_identification("10.1.2.3", "other", override=True)
print("override:", oscnettools.resolve_dns_identification("10.1.2.3"), flush=True)
print("unknown, no resolution:", oscnettools.resolve_dns_identification("10.9.9.9"), flush=True)
