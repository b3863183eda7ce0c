"""Short versions of the attacks of issue 9 against a live server in each policy.

Each test floods a live server (see :mod:`_support_attack`) while a legitimate client sends
300 paced messages, and asserts that the legitimate client is fully served and that the
bound that defeats the attack was what acted (a counter), never a wall time. The TCP
attacks (slow readers, churn, slow-loris) are in ``test_osctcp_hostile.py``.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

from _support import pump
from _support_attack import POLICIES, LiveServer, flood, in_thread, legit_client
from oscwire.oscbuildparse import OSCBundle, OSCMessage, encode_packet, unixtime2timetag
from oscwire.oscdispatching import MAX_BAD_PACKET_HOSTS

LEGIT = 300


def rss_bytes() -> int:
    """Resident memory of this process (Linux), or 0 where it cannot be read."""
    try:
        with open(f"/proc/{os.getpid()}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def serve_legit_during(server: LiveServer, attack: list[bytes], seconds: float = 0.8) -> int:
    """Run the attack and the legitimate client together; return the datagrams sent."""
    attacker = in_thread(flood, server.port, attack, seconds)
    legit_client(server.port, LEGIT)
    attacker.join(30)
    assert server.wait_legit(LEGIT, timeout=20), f"{len(server.legit)}/{LEGIT} served"
    assert server.legit == list(range(LEGIT))
    return LEGIT


def raw(address: str, *args: object) -> bytes:
    return bytes(encode_packet(OSCMessage(address, None, list(args))))


@pytest.mark.parametrize("policy", POLICIES)
def test_huge_addresses_against_a_catch_all_pattern(policy: str) -> None:
    """64 KB addresses sent to a server with osc4py3's catch-all '/*' (a backtracking regex
    before): matching is linear and the long ones only get exact lookups."""
    with LiveServer(policy) as server:
        seen: list[int] = []
        server.method("/*", lambda *args: seen.append(len(args)))
        address = "/" + "a" * 60000
        serve_legit_during(server, [raw(address), raw(address + "b")])
        assert server.system is not None and server.system.dispatcher is not None
        assert server.system.dispatcher.index.too_long > 0


@pytest.mark.parametrize("policy", POLICIES)
def test_distinct_huge_patterns_do_not_fill_memory(policy: str) -> None:
    """Every distinct wildcard address compiled and cached took ~6 MB before."""
    with LiveServer(policy) as server:
        server.method("/mixer/fader", lambda *args: None)
        before = rss_bytes()
        attack = [raw("/" + "*?" * 4000 + f"{n}" + "x" * 50000) for n in range(150)]
        serve_legit_during(server, attack, seconds=0.5)
        grown = rss_bytes() - before
    assert grown < 100 * 1024 * 1024, f"RSS grew by {grown >> 20} MiB"


def due_bundle_runs_on_time(server: LiveServer, due: list[float]) -> None:
    """A good peer sends a bundle due in 0.3 s to ``/due`` (whose handler appends the time
    to *due*) while the legitimate client is served: it runs on time."""
    at = time.time() + 0.3
    bundle = OSCBundle(unixtime2timetag(at), [OSCMessage("/due", None, [1])])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as good:
        good.sendto(bytes(encode_packet(bundle)), ("127.0.0.1", server.port))
    legit_client(server.port, LEGIT)
    assert server.wait_legit(LEGIT)
    pump(None, lambda: due, timeout=5)
    assert due and abs(due[0] - at) < 0.25


@pytest.mark.parametrize("policy", POLICIES)
def test_future_bundles_from_one_source_cannot_starve_another(policy: str) -> None:
    """A peer fills the queue with bundles timed far ahead; another peer's bundle due in
    a moment still runs (each source host gets a quarter of the bounds)."""
    with LiveServer(policy, max_delayed=400) as server:
        due: list[float] = []
        server.method("/due", lambda value: due.append(time.time()))
        far = unixtime2timetag(time.time() + 3000)
        attack = [
            bytes(encode_packet(OSCBundle(far, [OSCMessage("/x", None, [n])]))) for n in range(50)
        ]
        # From another loopback address: another source host.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as evil:
            evil.bind(("127.0.0.2", 0))
            for _ in range(20):
                for data in attack:
                    evil.sendto(data, ("127.0.0.1", server.port))
                time.sleep(0.005)
        due_bundle_runs_on_time(server, due)
        stats = server.system.dispatcher.stats  # type: ignore[union-attr]
        assert stats.delayed_source_overflow > 0
        assert server.system.dispatcher.delayed_count() <= 101  # type: ignore[union-attr]


@pytest.mark.parametrize("policy", POLICIES)
def test_future_bundles_from_four_spoofed_sources_cannot_starve_a_fifth(policy: str) -> None:
    """Four source addresses, each within its share (a quarter), filled the queue in all,
    and another peer's bundle due in a moment was dropped: now the biggest holder's bundle
    due last makes room for it."""
    with LiveServer(policy, max_delayed=400) as server:
        due: list[float] = []
        server.method("/due", lambda value: due.append(time.time()))
        far = unixtime2timetag(time.time() + 3000)
        attack = [
            bytes(encode_packet(OSCBundle(far, [OSCMessage("/x", None, [n])]))) for n in range(50)
        ]
        dispatcher = server.system.dispatcher  # type: ignore[union-attr]
        for host in ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as evil:
                evil.bind((host, 0))
                for _ in range(3):  # 150 each, past the share of 100
                    for data in attack:
                        evil.sendto(data, ("127.0.0.1", server.port))
                    time.sleep(0.01)
        pump(None, lambda: dispatcher.delayed_count() == 400, timeout=10)
        due_bundle_runs_on_time(server, due)
        assert dispatcher.stats.delayed_evicted == 1
        assert dispatcher.delayed_count() == 400 - 1  # the fifth bundle ran


@pytest.mark.parametrize("policy", POLICIES)
def test_a_flood_of_failing_calls_does_not_flood_the_log(policy: str, caplog) -> None:
    """Every failing call logged a full traceback before (4 MB of log for 20 000 bad
    messages, and legitimate traffic lost meanwhile)."""
    with LiveServer(policy) as server:
        server.method("/boom", lambda value: 1 / 0)
        with caplog.at_level("ERROR"):
            serve_legit_during(server, [raw("/boom", n) for n in range(20)])
        failures = server.system.dispatcher.stats.handler_errors  # type: ignore[union-attr]
    tracebacks = [record for record in caplog.records if record.exc_info]
    assert failures > 100
    assert len(tracebacks) == 1, [record.getMessage() for record in tracebacks]


@pytest.mark.parametrize("policy", POLICIES)
def test_garbage_datagrams_are_counted_and_logged_once(policy: str, caplog) -> None:
    with LiveServer(policy) as server:
        with caplog.at_level("WARNING"):
            serve_legit_during(server, [b"\x00garbage" * 100, b"#bundle\x00" + b"\xff" * 20])
        channel = server.system.channels["srv"]  # type: ignore[union-attr]
    assert channel.stats.bad_packets > 100
    lines = [r for r in caplog.records if "bad packet from" in r.getMessage()]
    assert len(lines) == 1


@pytest.mark.parametrize("policy", POLICIES)
def test_bad_packets_from_many_hosts_log_a_bounded_number_of_lines(policy: str, caplog) -> None:
    """Each source host had a line of its own: a peer spoofing 2 000 source addresses made
    hundreds of lines. Past MAX_BAD_PACKET_HOSTS hosts per channel, they share one."""
    hosts = [f"127.0.{n // 250}.{n % 250 + 2}" for n in range(40)]
    with LiveServer(policy) as server, caplog.at_level("WARNING"):
        for host in hosts:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
                peer.bind((host, 0))
                peer.sendto(b"\x00garbage", ("127.0.0.1", server.port))
        channel = server.system.channels["srv"]  # type: ignore[union-attr]
        pump(None, lambda: channel.stats.bad_packets >= len(hosts), timeout=10)
        server.system.terminate()  # type: ignore[union-attr]  # reports the counts
    lines = [r.getMessage() for r in caplog.records if "bad packet" in r.getMessage()]
    shown = [line for line in lines if "bad packet from" in line]
    assert len(shown) == MAX_BAD_PACKET_HOSTS + 1, lines  # 16 hosts, then one shared line
    others = len(hosts) - MAX_BAD_PACKET_HOSTS - 1
    assert f"…and {others} more bad packets from other hosts on channel 'srv'" in "\n".join(lines)


def test_system_exit_in_a_handler_thread_stalls_nothing() -> None:
    """allthreads: a handler's SystemExit killed its worker for good, and 256 batches
    later the system counted as congested forever and stopped reading every channel."""
    with LiveServer("allthreads") as server:

        def leave(value: int) -> None:
            raise SystemExit(value)

        server.method("/exit", leave)
        serve_legit_during(server, [raw("/exit", 1)], seconds=0.5)
        system = server.system
        assert system is not None and system.stats.handler_exits > 0
        assert not system.congested()
        with pytest.raises(SystemExit):
            system.process()
