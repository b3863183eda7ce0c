"""Helpers for the runtime tests: raw UDP peers, a recording handler, thread checks.

Systems and bounded waiting are in ``_support.py`` (the ``system`` fixture, ``pump``).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any


def raw_sender(family: int = socket.AF_INET) -> socket.socket:
    """A plain UDP socket to send hand-made datagrams."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.settimeout(2.0)
    return sock


def udp_listener(host: str = "127.0.0.1") -> socket.socket:
    """A plain bound UDP socket with a 2 s timeout, to receive what the runtime sends."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.settimeout(2.0)
    return sock


def non_daemon_threads() -> list[threading.Thread]:
    """Threads other than the main one that would keep the process alive."""
    return [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]


class Recorder:
    """A handler that records its arguments, thread-safely."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.times: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, *args: Any) -> None:
        with self.lock:
            self.calls.append(args)
            self.times.append(time.time())

    def __len__(self) -> int:
        return len(self.calls)
