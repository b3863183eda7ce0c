"""Nothing fails silently: with no logging configured (as in every first program), what
goes wrong in the background reaches stderr, once in full and then counted, and what a
program does wrong is raised to it. Each case runs in a subprocess, as a user would."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

POLICIES = ("eventloop", "comthreads", "allthreads")


def run(program: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(program)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("policy", POLICIES)
def test_a_failing_handler_shows_its_traceback_once_then_a_count(policy: str) -> None:
    result = run(
        f"""
        import time
        from oscwire.as_{policy} import *
        from oscwire.oscbuildparse import OSCMessage

        def broken(value):
            return 1 / 0

        osc_startup(execthreadscount=2)
        server = osc_udp_server("127.0.0.1", 0, "srv")
        osc_udp_client("127.0.0.1", server.bound_port, "cli")
        osc_method("/x", broken)
        for i in range(50):
            osc_send(OSCMessage("/x", None, [i]), "cli")
        deadline = time.time() + 10
        while osc_stats()["dispatcher"]["handler_errors"] < 50 and time.time() < deadline:
            osc_process()
            time.sleep(0.002)
        print("errors", osc_stats()["dispatcher"]["handler_errors"])
        osc_terminate()
        """
    )
    assert result.stdout == "errors 50\n", result.stderr
    assert result.stderr.count("ZeroDivisionError: division by zero") == 1
    assert result.stderr.count("Traceback") == 1
    assert "…and 49 more failures of handler '/x'" in result.stderr


def test_a_failing_async_handler_is_shown() -> None:
    result = run(
        """
        import asyncio
        from oscwire.as_asyncio import *
        from oscwire.oscbuildparse import OSCMessage

        async def broken(value):
            raise ValueError(f"bad {value}")

        async def main():
            osc_startup()
            server = osc_udp_server("127.0.0.1", 0, "srv")
            osc_udp_client("127.0.0.1", server.bound_port, "cli")
            osc_method("/x", broken)
            osc_send(OSCMessage("/x", None, [1]), "cli")
            for _ in range(200):
                await asyncio.sleep(0.01)
                if osc_stats()["dispatcher"]["handler_errors"]:
                    break
            print("errors", osc_stats()["dispatcher"]["handler_errors"])
            osc_terminate()

        asyncio.run(main())
        """
    )
    assert result.stdout == "errors 1\n", result.stderr
    assert "ValueError: bad 1" in result.stderr


def test_a_malformed_packet_from_a_peer_is_shown_and_counted() -> None:
    result = run(
        """
        import socket, time
        from oscwire.as_eventloop import *

        osc_startup()
        server = osc_udp_server("127.0.0.1", 0, "srv")
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(20):
            peer.sendto(b"not OSC at all!!", ("127.0.0.1", server.bound_port))
        deadline = time.time() + 5
        while osc_stats("srv")["bad_packets"] < 20 and time.time() < deadline:
            osc_process(0.01)
        print("bad", osc_stats("srv")["bad_packets"])
        osc_terminate()
        """
    )
    assert result.stdout == "bad 20\n", result.stderr
    lines = [line for line in result.stderr.splitlines() if "bad packet from" in line]
    assert len(lines) == 1 and "packet is neither a message" in lines[0], result.stderr
    assert "…and 19 more bad packets from '127.0.0.1' on channel 'srv'" in result.stderr


def test_a_failed_send_in_a_writer_thread_is_shown() -> None:
    result = run(
        """
        import time
        from oscwire import osctoolspools
        from oscwire.as_eventloop import *
        from oscwire.oscudpmc import UdpMcChannel
        from oscwire.oscbuildparse import OSCMessage

        osc_startup()
        writer = osctoolspools.WorkQueue()
        writer.add_working_threads(1)
        channel = UdpMcChannel("cli", "w", {"udpwrite_host": "127.0.0.1", "udpwrite_port": 9,
                                            "write_workqueue": writer})
        osc_send(OSCMessage("/big", ",b", [b"x" * 70000]), "cli")
        deadline = time.time() + 5
        while not osc_stats("cli")["send_errors"] and time.time() < deadline:
            time.sleep(0.01)
        print("send_errors", osc_stats("cli")["send_errors"])
        osc_terminate()
        writer.terminate()
        """
    )
    assert result.stdout == "send_errors 1\n", result.stderr
    assert "send of 70016 bytes to ('127.0.0.1', 9) failed, packet dropped" in result.stderr


def test_errors_a_program_makes_are_raised_to_it() -> None:
    result = run(
        """
        from oscwire.as_eventloop import *
        from oscwire.oscbuildparse import OSCError, OSCMessage

        osc_startup()
        osc_udp_client("127.0.0.1", 9, "synth")
        for packet, names in [
            (OSCMessage("/x", None, [object()]), "synth"),
            (OSCMessage("/x", None, [1]), "synht"),
        ]:
            try:
                osc_send(packet, names)
            except OSCError as error:
                print(type(error).__name__, "|", error)
        osc_terminate()
        """
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.startswith("OSCNoTypeError | argument #0 (object")
    assert second == (
        "OSCUnknownChannelError | OSC send: no OSC channel named 'synht'; "
        "writer channels: 'synth' (and '_local', '_all')"
    )
    assert result.stderr == ""
