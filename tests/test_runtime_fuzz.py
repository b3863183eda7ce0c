"""A running server survives garbage: every policy, thousands of mutated datagrams.

Each datagram is either decoded or counted as bad; handlers that raise on what did decode
are counted too; afterwards the server still serves a good message.
"""

from __future__ import annotations

import random
import socket
import time

import pytest

from _support import POLICIES, pump, run_for
from oscwire._runtime import OSCSystem
from oscwire.oscbuildparse import OSC_IMMEDIATELY, OSCBundle, OSCMessage, encode_packet
from oscwire.oscudpmc import UdpMcChannel

DATAGRAMS = 3000

SEEDS = [
    bytes(
        encode_packet(
            OSCMessage("/fuzz/a", None, [1, 2.5, "text", b"blob", True, None, [1, [2.0, "s"]]])
        )
    ),
    bytes(
        encode_packet(
            OSCBundle(
                OSC_IMMEDIATELY,
                [
                    OSCMessage("/fuzz/b", ",i", [7]),
                    OSCBundle(OSC_IMMEDIATELY, [OSCMessage("/fuzz/c", ",s", ["q"])]),
                ],
            )
        )
    ),
    bytes(
        encode_packet(
            OSCMessage(
                "/fuzz/d",
                ",tcrmhdSI",
                [OSC_IMMEDIATELY, "c", (1, 2, 3, 4), (1, 2, 3, 4), 5, 6.0, "S", None],
            )
        )
    ),
]


def mutate(rng: random.Random) -> bytes:
    data = bytearray(rng.choice(SEEDS))
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        if choice < 0.4 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice < 0.6:
            del data[rng.randrange(len(data) + 1) :]
        elif choice < 0.8:
            data.insert(rng.randrange(len(data) + 1), rng.choice([0, 0x5B, 0x5D, 0x2C, 0x23, 0xFF]))
        else:
            data = bytearray(rng.randbytes(rng.randint(0, 64)))
    return bytes(data)


@pytest.mark.parametrize("policy", POLICIES)
def test_server_survives_mutated_datagrams(policy) -> None:
    system = OSCSystem(policy, execthreadscount=2, patternkind="spec").start()
    try:
        calls: list = []

        def handler(*arguments):
            calls.append(arguments)
            if len(calls) % 7 == 0:
                raise RuntimeError("a handler that fails sometimes")

        for address in ("/fuzz/a", "/fuzz/b", "/fuzz/c", "/fuzz/d", "/done"):
            system.method(address, handler)
        server = UdpMcChannel(
            "srv", "r", {"osc_system": system, "udpread_host": "127.0.0.1", "udpread_port": 0}
        )
        rng = random.Random(20261124)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for index in range(DATAGRAMS):
                sender.sendto(mutate(rng), ("127.0.0.1", server.bound_port))
                if index % 200 == 0:  # stay within the socket buffer on a slow machine
                    run_for(system, 0.01)
            time.sleep(0.05)
            sender.sendto(
                bytes(encode_packet(OSCMessage("/done", None, [1]))),
                ("127.0.0.1", server.bound_port),
            )
        pump(system, lambda: (1,) in calls, timeout=10)
        stats = system.channel_stats("srv")
        assert stats["received"] == DATAGRAMS + 1 - stats.get("kernel_drops", 0)
        assert stats["decoded"] + stats["bad_packets"] == stats["received"]
        assert stats["bad_packets"] > 0 and stats["decoded"] > 0
        assert stats["handler_errors"] > 0  # counted, and nothing stopped
        assert system.running
    finally:
        system.terminate()
