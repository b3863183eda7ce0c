"""``oscwire send``: one OSC message, to where liblo's ``oscsend`` sends it.

The destination is ``HOST PORT``, a liblo URL (``osc.udp://host:port``,
``osc.tcp://host:port``, IPv6 as ``[::1]``), ``-`` (the encoded message on stdout) or
``file:///path`` (written to that file), as ``oscsend`` takes them. Network sends go
through oscwire's own runtime: an :class:`~oscwire._runtime.OSCSystem` in the event loop
policy with a :class:`~oscwire.oscudpmc.UdpMcChannel` or :class:`~oscwire.osctcp.TcpChannel`
client, the packet options' ``event`` telling when the packet has been handed to the OS.
"""

from __future__ import annotations

import enum
import logging
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional, Protocol

from oscwire import oscbuildparse
from oscwire._cli_common import CliError, UsageError, command_logger, parse_port
from oscwire._cli_message import (
    ARGV_OOB,
    build_message,
    check_types,
    count_values,
    encode_message,
)
from oscwire._cli_target import Endpoint, Resolved, Transport, is_url, parse_url, resolve

#: Name of the client channel in the command's own system.
CHANNEL_NAME = "oscwire-send"
#: Records of the runtime kept to explain a failure, at most.
MAX_RECORDS = 20


class Framing(enum.Enum):
    """How a TCP stream delimits packets (the values are ``tcp_framing`` option values)."""

    SIZE = "size"
    SLIP = "slip"


class Destination(Protocol):
    """Where the message goes."""

    def describe(self) -> str:
        """The destination as the user would write it (for messages)."""

    def deliver(self, raw: bytes, message: oscbuildparse.OSCMessage, timeout: float) -> None:
        """Send the message (*raw* is its encoding); raise :class:`CliError` on failure."""


@dataclass(frozen=True)
class StdoutDestination:
    """``-``: the encoded message on stdout (``oscsend -``)."""

    def describe(self) -> str:
        return "stdout"

    def deliver(self, raw: bytes, message: oscbuildparse.OSCMessage, timeout: float) -> None:
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()


@dataclass(frozen=True)
class FileDestination:
    """``file:///path``: the encoded message written to a file, replacing it."""

    path: str

    def describe(self) -> str:
        return f"file://{self.path}"

    def deliver(self, raw: bytes, message: oscbuildparse.OSCMessage, timeout: float) -> None:
        try:
            with open(self.path, "wb") as output:
                output.write(raw)
        except OSError as error:
            raise CliError(f"cannot write {self.path}: {error.strerror or error}") from None


class _Records(logging.Handler):
    """Keeps what the runtime logs while sending (bounded), to explain a failure."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING and len(self.messages) < MAX_RECORDS:
            self.messages.append(record.getMessage())


class _RuntimeSend:
    """One send through an event-loop OSCSystem of our own (not the façades' default)."""

    def __init__(self, destination: str) -> None:
        from oscwire._runtime import OSCSystem

        self.destination = destination
        self.records = _Records()
        self.logger = logging.getLogger("oscwire.cli.send.runtime")
        self.logger.propagate = False
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self.records)
        self.system = OSCSystem("eventloop", logger=self.logger)

    def __enter__(self) -> _RuntimeSend:
        self.system.start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.system.terminate()
        finally:
            self.logger.removeHandler(self.records)
            warnings = command_logger("send")
            for line in self.records.messages if exc[0] is None else ():
                warnings.warning("%s", line)  # sent, but the runtime had something to say

    def options(self, **extra: Any) -> dict[str, Any]:
        """Channel options: this system, its logger, the command line's codec options."""
        return {"osc_system": self.system, "logger": self.logger, "oob": ARGV_OOB, **extra}

    def failure(self, what: str) -> CliError:
        """A :class:`CliError` for *what*, with the last thing the runtime logged."""
        detail = self.records.messages[-1] if self.records.messages else ""
        self.records.messages.clear()
        return CliError(f"{what}: {detail}" if detail else what)

    def send(self, channel: Any, message: oscbuildparse.OSCMessage, timeout: float) -> None:
        """Send *message* through *channel*; return once it is handed to the OS."""
        from oscwire.oscpacketoptions import PacketOptions

        stats = channel.stats

        def failed() -> bool:
            # Also watched because a UDP channel's batched writer drops a failed packet
            # without signalling its event (the base class's writer signals it).
            return bool(stats.send_errors or stats.send_dropped)

        handed_over = threading.Event()
        if not self.system.send_packet(message, channel.chaname, PacketOptions(event=handed_over)):
            raise self.failure(f"cannot send to {self.destination}")
        deadline = time.monotonic() + timeout
        while not handed_over.is_set() and not failed():
            left = deadline - time.monotonic()
            if left <= 0:
                raise self.failure(f"timed out after {timeout:g} s sending to {self.destination}")
            self.system.process(min(left, 0.05))
        if failed():
            raise self.failure(f"sending to {self.destination} failed")


@dataclass(frozen=True)
class UdpDestination:
    """A UDP peer (a multicast group is sent to with a time-to-live of 1, as ``oscsend``)."""

    endpoint: Endpoint

    def describe(self) -> str:
        return self.endpoint.url

    def deliver(self, raw: bytes, message: oscbuildparse.OSCMessage, timeout: float) -> None:
        from oscwire.oscudpmc import UdpMcChannel

        peer = resolve(self.endpoint, socket.SOCK_DGRAM)
        extra: dict[str, Any] = {
            "udpwrite_host": peer.address,
            "udpwrite_port": peer.port,
            "udpwrite_replies": False,
        }
        if self.endpoint.is_multicast:
            extra.update(mcast_enabled=True, udpwrite_ttl=1)
        with _RuntimeSend(self.describe()) as runtime:
            try:
                channel = UdpMcChannel(CHANNEL_NAME, "w", runtime.options(**extra))
            except OSError as error:
                reason = f"cannot open a socket to {self.describe()}: {error}"
                raise runtime.failure(reason) from None
            runtime.send(channel, message, timeout)


@dataclass(frozen=True)
class TcpDestination:
    """A TCP peer, with the OSC 1.0 size prefix (liblo's framing) or OSC 1.1 SLIP."""

    endpoint: Endpoint
    framing: Framing

    def describe(self) -> str:
        return self.endpoint.url

    def deliver(self, raw: bytes, message: oscbuildparse.OSCMessage, timeout: float) -> None:
        from oscwire.osctcp import TcpChannel

        peer: Resolved = resolve(self.endpoint, socket.SOCK_STREAM)
        with _RuntimeSend(self.describe()) as runtime:
            options = runtime.options(
                tcp_host=peer.address,
                tcp_port=peer.port,
                tcp_framing=self.framing.value,
                tcp_connect_timeout=timeout,
            )
            try:
                channel = TcpChannel(CHANNEL_NAME, "w", options)
            except OSError as error:
                reason = error.strerror or str(error) or type(error).__name__
                raise runtime.failure(f"cannot connect to {self.describe()}: {reason}") from None
            runtime.send(channel, message, timeout)


def _network_destination(endpoint: Endpoint, framing: Optional[Framing]) -> Destination:
    if endpoint.transport is Transport.UNIX:
        raise UsageError(f"{endpoint.url}: Unix domain sockets (osc.unix://) are not supported yet")
    if endpoint.transport is Transport.UDP:
        if framing is not None:
            raise UsageError(f"--tcp/--slip conflict with the UDP destination {endpoint.url}")
        return UdpDestination(endpoint)
    return TcpDestination(endpoint, framing or Framing.SIZE)


def take_destination(
    words: Sequence[str], framing: Optional[Framing]
) -> tuple[Destination, Sequence[str]]:
    """The destination at the start of *words*, and the words after it.

    ``-``, ``file:///path``, a liblo URL, or ``HOST PORT`` (UDP, or TCP with *framing*).
    """
    if not words:
        raise UsageError("no destination given (HOST PORT, or a URL like osc.udp://host:port)")
    first = words[0]
    if first == "-" or first.startswith("file://"):
        if framing is not None:
            raise UsageError("--tcp/--slip apply to network destinations only")
        if first == "-":
            return StdoutDestination(), words[1:]
        path = first[len("file://") :]
        if not path:
            raise UsageError(f"{first!r} names no file (write file:///path/to/file)")
        return FileDestination(path), words[1:]
    if is_url(first):
        return _network_destination(parse_url(first), framing), words[1:]
    if len(words) < 2:
        raise UsageError(f"no port given after host {first!r}")
    host = first[1:-1] if first.startswith("[") and first.endswith("]") else first
    transport = Transport.UDP if framing is None else Transport.TCP
    endpoint = Endpoint(transport, host, parse_port(words[1]))
    return _network_destination(endpoint, framing), words[2:]


@dataclass(frozen=True)
class SendPlan:
    """What one ``oscwire send`` command line asks for."""

    destination: Destination
    message: oscbuildparse.OSCMessage
    #: Words after the values (options written at the end of the line).
    trailing: Sequence[str]


def plan_send(words: Sequence[str], framing: Optional[Framing]) -> SendPlan:
    """Read ``DESTINATION ADDRESS [TYPES [VALUES...]]`` from *words*.

    The values are taken first, one per type tag that takes one, whatever they look like
    (``-5``, ``-x``, ``--tcp`` are values there); only what follows them is left for
    option parsing.
    """
    destination, rest = take_destination(words, framing)
    if not rest:
        raise UsageError("no OSC address given (e.g. /synth/freq)")
    address = rest[0]
    types = rest[1] if len(rest) > 1 else ""
    types = types[1:] if types.startswith(",") else types
    check_types(types)
    wanted = count_values(types)
    values = rest[2 : 2 + wanted]
    if len(values) < wanted:
        raise UsageError(f"type tags {types!r} take {wanted} value(s), only {len(values)} given")
    message = build_message(address, types, values)
    return SendPlan(destination, message, rest[2 + wanted :])


def run_send(plan: SendPlan, timeout: float) -> int:
    """Send the message of *plan*; return the exit status."""
    raw = encode_message(plan.message)
    plan.destination.deliver(raw, plan.message, timeout)
    return 0
