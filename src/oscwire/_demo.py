"""``oscwire demo``: OSC over loopback in one process, showing what oscwire does and how fast.

Encodes messages and a bundle, sends them over UDP and over TCP (OSC 1.0 size prefix and
OSC 1.1 SLIP) on loopback ports the OS picks, decodes what arrives and prints it, then
times a burst of messages through the same path.
"""

from __future__ import annotations

import socket
import time

import oscwire
from oscwire import framing, oscbuildparse
from oscwire.oscbuildparse import OSCBundle, OSCMessage


def sample_packets() -> list:
    later = oscbuildparse.unixtime2timetag(time.time() + 0.25)
    return [
        OSCMessage("/synth/freq", None, [440.0]),
        OSCMessage("/mixer/channel/3/fader", ",f", [0.75]),
        OSCMessage("/note", None, [60, 100, True, None, "C4", b"\x01\x02"]),
        OSCBundle(
            later, [OSCMessage("/light/1", None, [255, 128, 0]), OSCMessage("/light/2", None, [0])]
        ),
    ]


def show(label: str, raw: bytes) -> None:
    from oscwire.cli import format_packet

    for line in format_packet(oscbuildparse.decode_packet(raw)):
        print(f"  {label:<5} {line}")


def demo_udp(packets: list) -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client,
    ):
        server.bind(("127.0.0.1", 0))
        server.settimeout(2)
        address = server.getsockname()
        for packet in packets:
            client.sendto(oscbuildparse.encode_packet(packet), address)
        for _ in packets:
            show("udp", server.recv(65536))


def demo_tcp(packets: list, framing_name: str) -> None:
    encode = framing.slip_encode if framing_name == "slip" else framing.size_prefix
    with (
        socket.create_server(("127.0.0.1", 0)) as listener,
        socket.create_connection(listener.getsockname(), timeout=2) as client,
    ):
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(2)
            client.sendall(b"".join(encode(oscbuildparse.encode_packet(p)) for p in packets))
            decoder = framing.make_stream_decoder("auto")
            received: list[bytes] = []
            while len(received) < len(packets):
                received.extend(decoder.feed(connection.recv(65536)))
            print(f"  (tcp framing detected on receive: {decoder.framing})")
            for raw in received:
                show("tcp", raw)


def demo_throughput(count: int) -> None:
    message = OSCMessage("/test/addr", ",ifs", [1, 2.5, "hello"])
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client,
    ):
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        server.bind(("127.0.0.1", 0))
        server.settimeout(1)
        address = server.getsockname()
        start = time.perf_counter()
        received = 0
        batch = 200
        for first in range(0, count, batch):
            for _ in range(min(batch, count - first)):
                client.sendto(oscbuildparse.encode_packet(message), address)
            for _ in range(min(batch, count - first)):
                try:
                    oscbuildparse.decode_packet(server.recv(65536))
                    received += 1
                except socket.timeout:
                    break
        elapsed = time.perf_counter() - start
    print(
        f"  {received}/{count} messages encoded, sent, received and decoded in {elapsed * 1e3:.1f} ms ({received / elapsed:,.0f} msgs/s)"
    )


def run(count: int = 2000) -> int:
    """Run the demo; return the process exit code."""
    print(
        f"oscwire {oscwire.__version__} — implementation: {oscwire.IMPLEMENTATION} {oscwire.implementations()}"
    )
    packets = sample_packets()
    print("UDP, one packet per datagram:")
    demo_udp(packets)
    for framing_name in ("size", "slip"):
        print(f"TCP, {'OSC 1.0 size prefix' if framing_name == 'size' else 'OSC 1.1 SLIP'}:")
        demo_tcp(packets, framing_name)
    print("Throughput on loopback UDP:")
    demo_throughput(count)
    return 0
