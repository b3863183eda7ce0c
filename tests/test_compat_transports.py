"""Transports written for osc4py3 work in oscwire: the same program, only the import renamed.

The programs in ``tests/programs/`` subclass ``oscchannel.TransportChannel`` the osc4py3
way (``start_write_packet`` writes ``write_running`` and calls ``packet_written``; reads
go through ``process_monevents``/``process_read_raw(deadlinetime)`` or ``poll_monitor``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"
POLICIES = ("eventloop", "comthreads", "allthreads")


def run(source: str, policy: str, package: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / f"prog_{package}_{policy}.py"
    script.write_text(source.replace("osc4py3", package))
    env = dict(os.environ, OSC_POLICY=policy)
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30, env=env
    )


@pytest.mark.parametrize("policy", POLICIES)
def test_socket_transport_written_for_osc4py3(policy: str, tmp_path: Path) -> None:
    pytest.importorskip("osc4py3")
    source = (PROGRAMS / "custom_socket_transport.py").read_text()
    reference = run(source, policy, "osc4py3", tmp_path)
    ours = run(source, policy, "oscwire", tmp_path)
    expected = "[('/pair/x', 0, 'v0'), ('/pair/x', 1, 'v1'), ('/pair/x', 2, 'v2')]\n"
    assert reference.stdout == expected, reference.stderr
    assert (ours.returncode, ours.stdout) == (0, expected), ours.stderr


@pytest.mark.parametrize("policy", POLICIES)
def test_polled_transport_written_for_osc4py3(policy: str, tmp_path: Path) -> None:
    """osc4py3 cannot run this one: its PollingMonitor.do_fileno_added(fileno) is called
    with (fileno, rwe) by control_operations (oscscheduling.py, osc4py3 1.0.8), which kills
    its polling thread silently, so nothing is ever read. oscwire polls the channel."""
    source = (PROGRAMS / "custom_polled_transport.py").read_text()
    ours = run(source, policy, "oscwire", tmp_path)
    assert (ours.returncode, ours.stdout) == (0, "[(0, 'v0'), (1, 'v1'), (2, 'v2')]\n"), ours.stderr
