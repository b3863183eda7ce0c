"""``oscwire dump``: print the OSC packets that arrive, as liblo's ``oscdump`` does.

It runs on oscwire's own runtime: an :class:`~oscwire._runtime.OSCSystem` in the event
loop policy, with a UDP channel (unicast or a multicast group) or a TCP server channel,
whose accepted connections are served side by side by the system's monitor. The
channels' ``decodepacket`` action handler hands each raw packet to :class:`Dumper`, which
decodes it, counts it and writes it in the chosen format
(:mod:`oscwire._cli_format`); messages of future bundles wait for their time on
:meth:`OSCSystem.call_later <oscwire._runtime.OSCSystem.call_later>` timers, as liblo
queues them.

It stops on SIGINT or SIGTERM (or ``--count``, ``--timeout``), writes what is still
waiting, and prints a summary on stderr: packets, bad packets, peers.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, BinaryIO, Optional

from oscwire._cli_common import (
    EXIT_BROKEN_PIPE,
    EXIT_OK,
    CliError,
    UsageError,
    command_logger,
    error_line,
    parse_port,
    silence_stdout,
)
from oscwire._cli_format import Arrival, Output, PacketFormat, decode, describe_source
from oscwire._cli_target import Endpoint, Transport, is_url, parse_url, resolve
from oscwire._errors import OSCError
from oscwire._logutil import LogThrottle

#: Name of the receiving channel in the command's own system.
CHANNEL_NAME = "oscwire-dump"
#: Distinct peers remembered for the summary, at most (past it: "at least").
MAX_PEERS = 65536
#: Outputs of future bundles waiting for their time, at most, and their bytes at most;
#: past either, a new one is written at once (early, and said so) rather than dropped.
MAX_DELAYED = 10000
MAX_DELAYED_BYTES = 16 * 1024 * 1024
#: Bytes written to stdout at once when it is not line-buffered (stdio's BUFSIZ).
BUFFER_SIZE = 8192
#: How long one wait of the loop lasts at most (signals interrupt it at once anyway).
LOOP_WAIT = 1.0


class StopDump(BaseException):
    """Ends the dump from anywhere (a signal handler, a closed stdout).

    A BaseException so that it goes through the runtime's ``except Exception`` guards
    around handlers instead of being logged and ignored there.
    """

    def __init__(self, reason: str, status: int = EXIT_OK) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class Writer:
    """Writes bytes to stdout through its own buffer, as C's stdio does for oscdump:
    flushed after each write when line-buffered (``-L``, or a terminal), else when
    :data:`BUFFER_SIZE` bytes wait, and at the end (whatever ``PYTHONUNBUFFERED`` says)."""

    def __init__(self, stream: BinaryIO, line_buffered: bool) -> None:
        self.stream = stream
        self.line_buffered = line_buffered
        self._pending = bytearray()

    def write(self, data: bytes) -> None:
        self._pending += data
        if self.line_buffered or len(self._pending) >= BUFFER_SIZE:
            self.flush()

    def flush(self) -> None:
        data, self._pending = bytes(self._pending), bytearray()
        try:
            self.stream.write(data)
            self.stream.flush()
        except BrokenPipeError:
            raise StopDump("because stdout was closed", EXIT_BROKEN_PIPE) from None


@dataclass
class DumpCounters:
    """What the summary tells."""

    packets: int = 0
    bad: int = 0
    early: int = 0
    peers: set[Any] = field(default_factory=set)
    more_peers: bool = False

    def saw_peer(self, source: Any) -> None:
        """Remember *source* (bounded: past :data:`MAX_PEERS` it is only noted)."""
        if source in self.peers:
            return
        if len(self.peers) >= MAX_PEERS:
            self.more_peers = True
            return
        try:
            self.peers.add(source)
        except TypeError:  # an unhashable identification: counted as one more
            self.more_peers = True

    def summary(self) -> str:
        """``12 packets (1 bad) from 2 peers`` (and what was written early)."""
        peers = len(self.peers)
        text = (
            f"{self.packets} packet{'s' * (self.packets != 1)} ({self.bad} bad) from "
            f"{'at least ' if self.more_peers else ''}{peers} peer{'s' * (peers != 1)}"
        )
        if self.early:
            text += f", {self.early} message(s) of future bundles written before their time"
        return text


class DelayedOutputs:
    """Outputs due later, written on time by timers of the system (bounded)."""

    def __init__(self, system: Any, writer: Writer, counters: DumpCounters, logger: Any) -> None:
        self.system = system
        self.writer = writer
        self.counters = counters
        self.throttle = LogThrottle(logger)
        self._heap: list[tuple[float, int, bytes]] = []
        self._seq = itertools.count()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, output: Output) -> None:
        """Write *output* at once if due, else when it is due."""
        due = output.due
        if due is None or due <= time.time():
            self.writer.write(output.data)
            return
        delay = due - time.time()
        if len(self._heap) >= MAX_DELAYED or self._bytes + len(output.data) > MAX_DELAYED_BYTES:
            self.counters.early += 1
            self.throttle.log(
                logging.WARNING,
                "delayed-full",
                "messages of future bundles written early",
                "%d messages of future bundles already wait for their time: "
                "this one is written now, %.3f s early",
                len(self._heap),
                delay,
            )
            self.writer.write(output.data)
            return
        heapq.heappush(self._heap, (due, next(self._seq), output.data))
        self._bytes += len(output.data)
        self.system.call_later(delay, self.write_due)

    def write_due(self) -> None:
        """Write what is due, in time then arrival order (a timer's callback)."""
        heap = self._heap
        now = time.time()
        while heap and heap[0][0] <= now:
            data = heapq.heappop(heap)[2]
            self._bytes -= len(data)
            self.writer.write(data)

    def write_all(self) -> int:
        """Write everything still waiting (the dump stops); return how many."""
        heap = self._heap
        count = len(heap)
        while heap:
            self.writer.write(heapq.heappop(heap)[2])
        self._bytes = 0
        return count


class Dumper:
    """The ``decodepacket`` action handler: decode, count and write each packet."""

    def __init__(
        self,
        system: Any,
        packet_format: PacketFormat,
        writer: Writer,
        logger: logging.Logger,
        limit: int = 0,
    ) -> None:
        self.system = system
        self.format = packet_format
        self.writer = writer
        self.counters = DumpCounters()
        self.delayed = DelayedOutputs(system, writer, self.counters, logger)
        self.throttle = LogThrottle(logger)
        self.limit = limit
        #: True once ``limit`` packets were written: later ones are ignored.
        self.finished = False

    def take_packet(self, channel_name: str, verb: str, parameters: tuple[Any, ...]) -> Any:
        """Handle one raw packet; ``(None, None)`` tells the runtime it is taken care of."""
        raw, packopt = parameters
        if self.finished:
            return None, None
        counters = self.counters
        counters.packets += 1
        counters.saw_peer(packopt.srcident)
        try:
            packet = decode(raw)
        except OSCError as error:
            self.bad_packet(channel_name, packopt.srcident, len(raw), error)
            return None, None
        arrival = Arrival(packet, packopt.readtime, packopt.srcident)
        follows = self.format.follows_timetags
        for output in self.format.render(arrival):
            if follows and output.due is not None:
                self.delayed.add(output)
            else:
                self.writer.write(output.data)
        if self.limit and counters.packets - counters.bad >= self.limit:
            self.finished = True
        return None, None

    def bad_packet(self, channel_name: str, source: Any, size: int, error: Exception) -> None:
        """Count an undecodable packet (the channel too: TCP drops a peer that sends only
        garbage) and say so on stderr, throttled per source."""
        self.counters.bad += 1
        channel = self.system.get_channel(channel_name)
        if channel is not None:
            channel.count_bad_packet()
        where = describe_source(source)
        self.throttle.log(
            logging.WARNING,
            ("bad", where),
            f"bad packets from {where}",
            "bad packet from %s (%d bytes), not shown: %s",
            where,
            size,
            error,
        )

    def peer_connected(self, channel_name: str, verb: str, parameters: tuple[Any, ...]) -> None:
        """The ``connected`` action handler of TCP connections: one more peer."""
        self.counters.saw_peer(parameters[0])

    def actions_handlers(self) -> dict[str, Any]:
        """The channel option that routes packets (and TCP connections) here."""
        return {"decodepacket": self.take_packet, "connected": self.peer_connected}


@dataclass(frozen=True)
class DumpRequest:
    """Where to listen: the endpoint, a multicast group, the TCP framing."""

    endpoint: Endpoint
    group: Optional[str] = None
    framing: str = "auto"


def listen_request(
    where: str, group: Optional[str], host: Optional[str], tcp: bool, framing: str
) -> DumpRequest:
    """The endpoint of ``PORT`` or a liblo URL (``osc.udp://:9000``,
    ``osc.tcp://:9000``, ``osc.udp://224.0.1.9:9000``), with ``--host`` and ``--tcp``."""
    if is_url(where):
        endpoint = parse_url(where, port_required=False)
        if endpoint.transport is Transport.UNIX:
            raise UsageError(f"{where}: Unix domain sockets (osc.unix://) are not supported yet")
        if host is not None and endpoint.host:
            raise UsageError(f"--host {host} conflicts with the host of {where}")
        if tcp and endpoint.transport is not Transport.TCP:
            raise UsageError(f"--tcp conflicts with the UDP URL {where}")
        if host is not None:
            endpoint = Endpoint(endpoint.transport, host, endpoint.port)
    else:
        transport = Transport.TCP if tcp else Transport.UDP
        endpoint = Endpoint(transport, host if host is not None else "", parse_port(where))
    if group is not None:
        if endpoint.transport is not Transport.UDP:
            raise UsageError("a multicast group needs UDP, not TCP")
        if not Endpoint(Transport.UDP, group).is_multicast:
            raise UsageError(f"{group!r} is not a multicast group address")
    return DumpRequest(endpoint, group, framing)


def open_channel(system: Any, request: DumpRequest, dumper: Dumper, logger: Any) -> Any:
    """The receiving channel of *request*, in *system*."""
    endpoint = request.endpoint
    options: dict[str, Any] = {
        "osc_system": system,
        "logger": logger,
        "actions_handlers": dumper.actions_handlers(),
    }
    if endpoint.transport is Transport.TCP:
        from oscwire.osctcp import TcpChannel

        options.update(
            tcp_host=endpoint.host or "0.0.0.0",
            tcp_port=endpoint.port,
            tcp_framing=request.framing,
        )
        return TcpChannel(CHANNEL_NAME, "e", options)
    from oscwire.oscudpmc import UdpMcChannel

    group = request.group or (endpoint.host if endpoint.is_multicast else None)
    options.update(
        udpread_host=group or endpoint.host or "0.0.0.0",
        udpread_port=endpoint.port,
        mcast_enabled=group is not None,
    )
    return UdpMcChannel(CHANNEL_NAME, "r", options)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM end the dump (a second one ends the process at once)."""

    def stop(signum: int, frame: Optional[FrameType]) -> None:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        raise StopDump(f"by {signal.Signals(signum).name}")

    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in previous:
        signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _stdout_binary() -> BinaryIO:
    sys.stdout.flush()
    return sys.stdout.buffer


def run_dump(
    request: DumpRequest,
    packet_format: PacketFormat,
    line_buffered: bool,
    count: int = 0,
    timeout: float = 0.0,
) -> int:
    """Listen, print packets until stopped, print the summary; return the exit status."""
    from oscwire._runtime import OSCSystem

    if request.endpoint.host:
        resolve(request.endpoint, socket.SOCK_DGRAM)  # an unknown host is a usage error
    logger = command_logger("dump")
    stream = _stdout_binary()
    writer = Writer(stream, line_buffered or packet_format.flushes_each or stream.isatty())
    system = OSCSystem("eventloop", logger=logger)
    system.start()
    dumper = Dumper(system, packet_format, writer, logger, limit=count)
    reason = "at the end"
    status = EXIT_OK
    try:
        with stop_on_signals():
            try:
                channel = open_channel(system, request, dumper, logger)
            except OSError as error:
                raise CliError(
                    f"cannot listen on {request.endpoint.url}: {error.strerror or error}"
                ) from None
            transport = request.endpoint.transport.value
            bound = channel.bound_address()
            host = request.group or (bound[0] if bound else request.endpoint.host)
            listening = Endpoint(request.endpoint.transport, str(host), channel.bound_port)
            print(
                error_line("dump", f"listening on {listening.url} ({transport})"),
                file=sys.stderr,
                flush=True,
            )
            reason = serve(system, dumper, count, timeout)
            dumper.counters.early += dumper.delayed.write_all()
            writer.flush()
    except StopDump as stop:
        reason, status = stop.reason, stop.status
        with contextlib.suppress(StopDump):
            dumper.counters.early += dumper.delayed.write_all()
            writer.flush()
    finally:
        system.terminate()
        dumper.throttle.flush()  # "...and N more bad packets from ..." before the summary
        dumper.delayed.throttle.flush()
    if status == EXIT_BROKEN_PIPE:
        silence_stdout()
    print(error_line("dump", f"stopped {reason}: {dumper.counters.summary()}"), file=sys.stderr)
    return status


def serve(system: Any, dumper: Dumper, count: int, timeout: float) -> str:
    """Run the system until *count* packets were written or *timeout* seconds passed
    (0: no bound); return why it stopped. Signals end it through :class:`StopDump`."""
    deadline = time.monotonic() + timeout if timeout > 0 else None
    while not dumper.finished:
        wait = LOOP_WAIT
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return f"after {timeout:g} s (--timeout)"
        system.process(min(wait, LOOP_WAIT))
    return f"after {count} packets (--count)"
