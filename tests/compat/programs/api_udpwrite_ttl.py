"""``udpwrite_ttl`` on UDP writer channels, documented as "time to leave counter for
packets, also used for multicast hops with IPV6": the TTL the socket gives unicast
packets, and the multicast TTL of a multicast writer.

osc4py3 bug: udpwrite_ttl never reaches unicast or broadcast packets: UdpMcChannel.open()
    only sets IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS from it (oscudpmc.py:301-308), so
    the socket keeps the system's default TTL (64 on Linux). Expected output: IP_TTL is
    the option's value where given.
"""

import socket

from osc4py3 import oscchannel
from osc4py3.as_allthreads import *
from osc4py3.oscudpmc import UdpMcChannel

osc_startup()
plain = UdpMcChannel(
    "ttl-writer",
    "w",
    {
        "udpwrite_host": "127.0.0.1",
        "udpwrite_port": 9,
        "udpwrite_ttl": 3,
        "monitor": oscchannel.SCHED_SELECTTHREAD,
    },
)
multicast = UdpMcChannel(
    "mc-writer",
    "w",
    {
        "udpwrite_host": "224.3.29.71",
        "udpwrite_port": 9,
        "udpwrite_ttl": 2,
        "mcast_enabled": True,
        "monitor": oscchannel.SCHED_SELECTTHREAD,
    },
)
default = UdpMcChannel(
    "default-writer",
    "w",
    {
        "udpwrite_host": "127.0.0.1",
        "udpwrite_port": 9,
        "monitor": oscchannel.SCHED_SELECTTHREAD,
    },
)
for channel in (plain, multicast, default):
    sock = channel.udpsock
    print(
        channel.chaname,
        "udpwrite_ttl:",
        channel.udpwrite_ttl,
        "IP_TTL:",
        sock.getsockopt(socket.IPPROTO_IP, socket.IP_TTL),
        flush=True,
    )
print(
    "multicast writer IP_MULTICAST_TTL:",
    multicast.udpsock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL),
    flush=True,
)
osc_terminate()
