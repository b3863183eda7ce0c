"""UDP transport: unicast, multicast and broadcast, over IPv4 and IPv6.

:class:`UdpMcChannel` is osc4py3's class with its options (seed doc §3.4.2). One channel
is either a reader (an OSC server bound to ``udpread_host``/``udpread_port``) or a writer
(an OSC client sending to ``udpwrite_host``/``udpwrite_port``), never both. Multicast and
broadcast are switched on by ``mcast_enabled`` / ``bcast_enabled``.

What differs from osc4py3, on purpose: datagrams up to 64 KiB are read whole; the
receive buffer is large by default (``udpread_rcvbuf``, 4 MiB requested) so that bursts
are not lost; each readiness event drains every datagram waiting, up to
``udpread_batch`` per wake-up so that other channels are served too; errors of one
datagram (Windows' ICMP "connection reset", a full send buffer, EMSGSIZE, unreachable
hosts) are logged and counted and never stop the channel; a reader can send replies to
the source of a packet through its own socket (:meth:`UdpMcChannel.reply_packet`).
Datagrams are moved in batches by :mod:`oscwire._netio_c` (``recvmmsg`` / ``sendmmsg`` on
Linux, a ``recvfrom`` / ``sendto`` loop elsewhere): a wake-up drains the socket with a few
system calls, and queued packets leave together when the socket is writable.
``kernel_drops()`` reads how many datagrams the kernel dropped for this socket (Linux).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import operator
import socket
import struct
import sys
from typing import TYPE_CHECKING, Any, Optional

from oscwire import oscchannel
from oscwire._accel import NO_EXTENSIONS
from oscwire._channel_options import UNSET, UdpOptions
from oscwire._errors import OSCFramingError, OSCSendError
from oscwire.oscnettools import network_getaddrinfo

# The yarl/multidict form: literal imports of the twin (see oscwire.framing).
if TYPE_CHECKING or NO_EXTENSIONS:
    from oscwire._netio_py import SYSCALL_BATCH, RecvBuffers, recv_batch, send_batch
else:
    try:
        from oscwire._netio_c import SYSCALL_BATCH, RecvBuffers, recv_batch, send_batch
    except ImportError:  # not compiled here: the pure twin
        from oscwire._netio_py import SYSCALL_BATCH, RecvBuffers, recv_batch, send_batch

#: Largest UDP payload: every datagram is read whole.
UDPREAD_BUFSIZE = 65536
#: Receive buffer requested by default (the kernel may cap it, e.g. Linux rmem_max).
DEFAULT_RCVBUF = 4 * 1024 * 1024
#: Datagrams read per readiness event at most, before other channels get their turn.
UDPREAD_BATCH = 512
#: Queued packets handed to one ``send_batch`` call at most (``sendmmsg`` on Linux).
UDPWRITE_BATCH = 256

_WOULD_BLOCK = (BlockingIOError, InterruptedError)
# The raw packet and the packet options of a write-queue entry (raw, packopt, destination).
_RAW = operator.itemgetter(0)
_PACKOPT = operator.itemgetter(1)


class UdpMcChannel(oscchannel.TransportChannel):
    """Reader or writer of OSC packets over UDP (unicast, multicast, broadcast).

    Read options: ``udpread_host``, ``udpread_port`` (0: any free port; read it back with
    :meth:`bound_address` / ``bound_port``), ``udpread_forceipv4``,
    ``udpread_forceipv6``, ``udpread_dontcache`` (False), ``udpread_reuseaddr`` (True),
    ``udpread_nonblocking`` (True), ``udpread_identusedns`` (False: True names sources from
    the DNS cache), ``udpread_identfields`` (2: ``(host, port)``; 0: the whole address),
    ``udpread_asstream`` (False: True cuts packets out of datagrams with the stream
    framing options), ``udpread_buffersize`` (65536), ``udpread_rcvbuf`` (4 MiB; 0 or None:
    OS default), ``udpread_batch`` (512), ``mcast_interface`` (None: the address of the
    interface that joins the group, IPv4; or an interface index or name, IPv6, which also
    scopes a link-local group such as ``ff02::1`` — or write ``ff02::1%eth0``).

    Write options: ``udpwrite_host``, ``udpwrite_port``, ``udpwrite_outport`` (0: any),
    ``udpwrite_forceipv4``, ``udpwrite_forceipv6``, ``udpwrite_dontcache``,
    ``udpwrite_reuseaddr`` (False), ``udpwrite_ttl`` (None: OS default; the time-to-live /
    hop limit of unicast and multicast packets, as osc4py3 documents it; 0 keeps multicast
    packets on this host and leaves the unicast TTL alone, which refuses 0),
    ``udpwrite_nonblocking`` (True), ``udpwrite_sndbuf`` (None: OS default),
    ``udpwrite_replies`` (True: datagrams that arrive on the client's socket, the replies
    of servers such as scsynth, are read and dispatched; their ``readername`` is the
    client channel's name; the ``udpread_*`` and ``read_*`` options apply to them).

    Multicast and broadcast: ``mcast_enabled`` (False), ``mcast_loop`` (None: leave the OS
    default, which loops back), ``bcast_enabled`` (False; IPv4 only).
    """

    chankindprefix = "udpmc"
    options_class = UdpOptions
    options: UdpOptions

    def __init__(self, name: str, mode: str, options: Optional[dict[str, Any]] = None) -> None:
        options = dict(options or {})
        if "r" in mode and "w" in mode:
            raise ValueError("OSC UDP channel cannot read and write: make two channels")
        if "e" in mode:
            raise ValueError("OSC UDP channel has no events: mode is 'r' or 'w'")
        self.udpsock: Optional[socket.socket] = None
        self.udpsockspec: Any = None
        self.bound_port: Optional[int] = None
        self.mcast_enabled = False
        self.mcast_loop: Optional[bool] = None
        self.mcast_interface: Any = None
        self.bcast_enabled = False
        self.udpwrite_replies = False
        self._target: Any = None
        self._v6 = False
        self._batched = False
        self._rxbuffers: Any = None
        super().__init__(name, mode, options)
        self._queue_limit = min(UDPWRITE_BATCH, self.write_maxpending)

    # ----- options ---------------------------------------------------------------------
    def _setup_udp(self) -> None:
        opts = self.options
        self.mcast_enabled = opts.mcast_enabled
        self.mcast_loop = opts.mcast_loop
        self.mcast_interface = opts.mcast_interface
        self.bcast_enabled = opts.bcast_enabled

    def setup_reader_options(self, options: dict[str, Any]) -> None:
        super().setup_reader_options(options)
        self._setup_udp()
        self._setup_receiving(options)
        specs = network_getaddrinfo(
            options,
            "udpread",
            addrtype=socket.SOCK_DGRAM,
            proto=socket.IPPROTO_UDP,
            dnscache=self.system.dnscache,
        )
        self.setup_udpsockspec(specs)
        self._v6 = self.udpsockspec.family == socket.AF_INET6

    def setup_udpsockspec(self, sockspeclist: list[Any]) -> None:
        """Pick the address of the socket among *sockspeclist* (osc4py3 hook): the first,
        which :func:`~oscwire.oscnettools.network_getaddrinfo` puts IPv4 first, as osc4py3
        preferred; a link-local IPv6 multicast group gets its interface."""
        self.udpsockspec = self._scoped(sockspeclist[0])

    def _v6_interface(self) -> int:
        """The IPv6 interface index of ``mcast_interface`` (an index or a name; 0: none)."""
        iface = self.mcast_interface
        if iface is None or iface == "":
            return 0
        if isinstance(iface, int) or (isinstance(iface, str) and iface.isdigit()):
            return int(iface)
        try:
            return socket.if_nametoindex(str(iface))
        except OSError as error:
            raise ValueError(
                f"OSC channel {self.chaname!r}: no network interface {iface!r}: {error}"
            ) from None

    def _scoped(self, spec: Any) -> Any:
        """*spec* with the scope of an IPv6 multicast group filled in.

        A link-local group (``ff02::...``) needs an interface: the one of ``mcast_interface``
        when the host gave none (``ff02::1%eth0`` does); without any, the OS would refuse
        with a bare "Invalid argument", so say what is missing.
        """
        if not self.mcast_enabled or spec.family != socket.AF_INET6:
            return spec
        host, port, flowinfo, scope = spec.sockaddr[:4]
        if not scope:
            scope = self._v6_interface()
        if scope:
            return spec._replace(sockaddr=(host, port, flowinfo, scope))
        if host.lower().startswith(("ff01:", "ff02:", "ff11:", "ff12:", "ff31:", "ff32:")):
            raise ValueError(
                f"OSC channel {self.chaname!r}: link-local multicast group {host} needs an "
                "interface: give mcast_interface (name or index) or a host like 'ff02::1%eth0'"
            )
        return spec

    def _setup_receiving(self, options: dict[str, Any]) -> None:
        """The ``udpread_*`` options of what arrives on the socket (servers, and client replies)."""
        opts = self.options
        self.udpread_buffersize = opts.udpread_buffersize
        self.udpread_reuseaddr = opts.udpread_reuseaddr
        self.udpread_nonblocking = opts.udpread_nonblocking
        self.udpread_identusedns = opts.udpread_identusedns
        self.udpread_identfields = opts.udpread_identfields
        self.udpread_asstream = opts.udpread_asstream
        rcvbuf = DEFAULT_RCVBUF if opts.udpread_rcvbuf is UNSET else opts.udpread_rcvbuf
        self.udpread_rcvbuf = int(rcvbuf) if rcvbuf else 0
        self.udpread_batch = max(1, opts.udpread_batch)
        self._plain_ident = (
            not self.read_forceident
            and not (self.udpread_identusedns and self.read_dnsident)
            and self.udpread_identfields in (0, 2)
        )

    def setup_writer_options(self, options: dict[str, Any]) -> None:
        super().setup_writer_options(options)
        self._setup_udp()
        opts = self.options
        self.udpwrite_reuseaddr = opts.udpwrite_reuseaddr
        self.udpwrite_ttl: Optional[int] = opts.udpwrite_ttl
        self.udpwrite_nonblocking = opts.udpwrite_nonblocking
        self.udpwrite_outport = opts.udpwrite_outport
        self.udpwrite_sndbuf = opts.udpwrite_sndbuf
        specs = network_getaddrinfo(
            options,
            "udpwrite",
            addrtype=socket.SOCK_DGRAM,
            proto=socket.IPPROTO_UDP,
            dnscache=self.system.dnscache,
        )
        self.setup_udpsockspec(specs)
        self._target = self.udpsockspec.sockaddr
        self._v6 = self.udpsockspec.family == socket.AF_INET6
        # What a peer sends back to the client's socket (scsynth's /status.reply, a mixer's
        # answers) is read and dispatched like a server's input, unless turned off.
        self.udpwrite_replies = opts.udpwrite_replies
        if self.udpwrite_replies:
            oscchannel.TransportChannel.setup_reader_options(self, options)
            self._setup_receiving(options)

    # ----- open / close ----------------------------------------------------------------
    def _wildcard(self, family: int) -> str:
        return "::" if family == socket.AF_INET6 else "0.0.0.0"

    def open(self) -> None:
        spec = self.udpsockspec
        family = spec.family
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if self.is_reader:
                self._open_reader(sock, spec)
            else:
                self._open_writer(sock, spec)
        except BaseException:
            sock.close()
            raise
        self.udpsock = sock
        self._batched = sock.gettimeout() == 0.0
        if self._receives and self._batched:
            self._rxbuffers = RecvBuffers(
                self.udpread_buffersize, min(self.udpread_batch, SYSCALL_BATCH)
            )
        self.bound_port = sock.getsockname()[1]
        self._lifecycle("bound", (self.bound_port,))

    def _open_reader(self, sock: socket.socket, spec: Any) -> None:
        family = spec.family
        if self.udpread_reuseaddr:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self.mcast_enabled and hasattr(socket, "SO_REUSEPORT"):
                # BSD/macOS need it for several listeners of one group.
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if self.udpread_rcvbuf:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.udpread_rcvbuf)
            except OSError as error:
                self.logger.info("OSC channel %r: SO_RCVBUF refused: %s", self.chaname, error)
        if self.bcast_enabled:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        address = spec.sockaddr
        if self.mcast_enabled and sys.platform == "win32":
            # Windows cannot bind to a group address: bind the wildcard, join the group.
            address = (self._wildcard(family), *tuple(address[1:]))
        sock.setblocking(not self.udpread_nonblocking)
        sock.bind(address)
        if self.mcast_enabled:
            self._membership(sock, join=True)

    def _open_writer(self, sock: socket.socket, spec: Any) -> None:
        family = spec.family
        if self.udpwrite_reuseaddr:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.udpwrite_sndbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, int(self.udpwrite_sndbuf))
        ttl = self.udpwrite_ttl
        if ttl is not None:
            # osc4py3 documents "time to live of packets, also used for multicast hops"
            # but sets only the multicast one. Here: the multicast TTL / hop limit always
            # (0: this host only), and the unicast one as documented — but never 0, which
            # IP_TTL refuses (a 0 means "host-local multicast/broadcast").
            ttl = int(ttl)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, ttl)
                if ttl > 0:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
            else:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
                if ttl > 0:
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        if self.mcast_enabled:
            if self.mcast_loop is not None:
                loop = 1 if self.mcast_loop else 0
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, loop)
                else:
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, loop)
            if self.mcast_interface is not None:
                if family == socket.AF_INET6:
                    sock.setsockopt(
                        socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, self._v6_interface()
                    )
                else:
                    sock.setsockopt(
                        socket.IPPROTO_IP,
                        socket.IP_MULTICAST_IF,
                        socket.inet_aton(str(self.mcast_interface)),
                    )
        if self.bcast_enabled:
            if family != socket.AF_INET:
                raise ValueError(
                    f"OSC channel {self.chaname!r}: no broadcast in IPv6, use a multicast group"
                )
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setblocking(not self.udpwrite_nonblocking)
        # Bind now: one stable source port, so that peers can answer and identify us.
        local: tuple[Any, ...] = (self._wildcard(family), self.udpwrite_outport)
        if family == socket.AF_INET6:
            local = (*local, 0, 0)
        sock.bind(local)

    def _membership_request(self) -> tuple[int, int, bytes]:
        spec = self.udpsockspec
        group = spec.sockaddr[0]
        if spec.family == socket.AF_INET6:
            index = self._v6_interface() or spec.sockaddr[3]
            mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", index)
            return socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq
        interface = socket.inet_aton(str(self.mcast_interface or "0.0.0.0"))
        mreq = socket.inet_aton(group) + interface
        return socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq

    def _membership(self, sock: socket.socket, join: bool) -> None:
        level, option, mreq = self._membership_request()
        if not join:
            option = (
                socket.IPV6_LEAVE_GROUP
                if level == socket.IPPROTO_IPV6
                else socket.IP_DROP_MEMBERSHIP
            )
        sock.setsockopt(level, option, mreq)

    def close(self) -> None:
        sock = self.udpsock
        if sock is None:
            return
        self.udpsock = None
        try:
            if self.is_reader and self.mcast_enabled:
                with contextlib.suppress(OSError):
                    self._membership(sock, join=False)
        finally:
            sock.close()

    @property
    def _receives(self) -> bool:
        """True when datagrams arriving on the socket are read: servers, and replying clients."""
        return self.is_reader or self.udpwrite_replies

    def calc_monitoring_fileno_flags(self) -> tuple[Optional[int], str]:
        fileno, flags = super().calc_monitoring_fileno_flags()
        if (
            self.is_writer
            and self.udpwrite_replies
            and not self.reading_paused
            and "r" not in flags
        ):
            flags = "r" + flags
        return fileno, flags

    def fileno(self) -> Optional[int]:
        sock = self.udpsock
        return sock.fileno() if sock is not None else None

    def bound_address(self) -> Optional[tuple[Any, ...]]:
        """The local socket address (host, port, ...) once open, else None."""
        sock = self.udpsock
        return sock.getsockname() if sock is not None else None

    def can_reply(self) -> bool:
        return self.udpsock is not None

    def peer_description(self) -> str:
        return repr(self._target)

    # ----- reading ---------------------------------------------------------------------
    def process_read_raw(self, deadlinetime: Optional[float] = None) -> None:
        """Drain up to ``udpread_batch`` datagrams and queue them for processing."""
        sock = self.udpsock
        if sock is None:
            return
        if not self._batched:
            self._read_one(sock)
            return
        try:
            pairs, error = recv_batch(
                sock, self.udpread_batch, self.udpread_buffersize, self._rxbuffers
            )
        except (OSError, ValueError) as failure:
            # The socket was closed or changed under us (terminate from another thread).
            if self.udpsock is not None:
                self._recv_error(failure)
            return
        if error is not None:
            self._recv_error(error)
        if pairs:
            self._received(pairs)

    def _read_one(self, sock: socket.socket) -> None:
        # A blocking socket would block on a second read: one datagram per event.
        try:
            pair = sock.recvfrom(self.udpread_buffersize)
        except _WOULD_BLOCK:
            return
        except OSError as error:
            self._recv_error(error)
            return
        self._received([pair])

    def _recv_error(self, error: Exception) -> None:
        if self.udpsock is None or getattr(error, "errno", None) == errno.EBADF:
            return
        # E.g. Windows reports an ICMP port-unreachable of an earlier send here.
        self.stats.recv_errors += 1
        self.log_limited(
            logging.INFO,
            "recv",
            "receive errors",
            "OSC channel %r: receive error: %s",
            self.chaname,
            error,
        )

    def _received(self, pairs: list[tuple[bytes, Any]]) -> None:
        # pairs: (data, address) as recvfrom gives them; the processing stage wants
        # (data, source identification, address).
        self.stats.bytes_received += sum([len(pair[0]) for pair in pairs])
        if self.udpread_asstream:
            for data, address in pairs:
                # A framing error is counted and logged (rate-limited) by received_data.
                with contextlib.suppress(OSCFramingError):
                    self.received_data(self._identify(address), data, address)
            return
        if not self._plain_ident:
            identify = self._identify_udp
            self.received_packets([(data, identify(address), address) for data, address in pairs])
        elif self._v6 and self.udpread_identfields:
            self.received_packets([(data, address[:2], address) for data, address in pairs])
        else:
            # An IPv4 address is its own (host, port) identification.
            self.received_packets([(data, address, address) for data, address in pairs])

    def _identify(self, address: Any) -> Any:
        if self._plain_ident:
            return address[:2] if self.udpread_identfields else address
        return self._identify_udp(address)

    def _identify_udp(self, address: Any) -> Any:
        ident = address
        if self.udpread_identusedns and self.read_dnsident:
            name = self.system.dnscache.resolve_dns_identification(address[0], True)
            if name is not None:
                ident = (name, *tuple(address[1:]))
        fields = self.udpread_identfields
        if fields == 1:
            ident = ident[0]
        elif fields > 1:
            ident = ident[:fields]
        forced = self.read_forceident
        if forced:
            if address in forced:
                return forced[address]
            if address[0] in forced:
                return forced[address[0]]
        return ident

    # ----- writing ---------------------------------------------------------------------
    def process_raw_written(self, deadlinetime: Optional[float] = None) -> None:
        """What the socket becoming writable does (osc4py3 name): resume sending the
        packets that wait in the queue."""
        self.handle_writable()

    def write_packet(self, rawoscdata: Any, packopt: Any, destination: Any) -> bool:
        sock = self.udpsock
        if sock is None:
            raise OSError(errno.EBADF, "channel closed")
        try:
            sock.sendto(rawoscdata, destination if destination is not None else self._target)
        except _WOULD_BLOCK:
            return False
        return True

    def write_operation(self) -> None:
        """Send queued packets, up to :data:`UDPWRITE_BATCH` per system call batch.

        The batched twin of the base class's loop: same order, same statistics, a failed
        datagram (EMSGSIZE, unreachable...) is logged, counted and dropped alone, and when
        the socket would block the rest waits for the monitor to see it writable.
        """
        if not self._batched:
            super().write_operation()
            return
        pending = self.write_pending
        lock = self.write_lock
        stats = self.stats
        while True:
            with lock:
                sock = self.udpsock
                if not pending or not self.is_activated or sock is None:
                    self._write_active = False
                    return
                if len(pending) <= UDPWRITE_BATCH:
                    # The whole queue (a batch of sends ends here): one C-level copy.
                    batch = list(pending)
                    pending.clear()
                else:
                    popleft = pending.popleft
                    batch = [popleft() for _ in range(UDPWRITE_BATCH)]
                count = len(batch)
            try:
                done, errors = send_batch(sock, batch, self._target)
            except Exception as failure:
                # The socket was closed or changed under us (or worse): these packets
                # cannot leave; drop and count them rather than jam the queue.
                done, errors = count, [(index, failure) for index in range(count)]
            if errors:
                self._send_errors(batch, errors)
                failed = {index for index, _ in errors}
                gone = [entry for index, entry in enumerate(batch[:done]) if index not in failed]
            else:
                gone = batch if done == count else batch[:done]
            if gone:
                stats.sent += len(gone)
                # Per-packet work in C (map, sum, any): a batch of sends runs this for each
                # of up to 256 datagrams per system call.
                stats.bytes_sent += sum(map(len, map(_RAW, gone)))
                if any(map(_PACKOPT, gone)):
                    self._signal_events(gone)
            if done < count:
                with lock:
                    pending.extendleft(reversed(batch[done:]))
                self._wait_writable()
                return

    def _signal_events(self, gone: list[Any]) -> None:
        for _raw, packopt, _destination in gone:
            if packopt is not None and packopt.event is not None:
                try:
                    packopt.signal_event()
                except Exception:
                    self.logger.exception("OSC channel %r: failure in packet event", self.chaname)

    def _send_errors(self, batch: list[Any], errors: list[tuple[int, Exception]]) -> None:
        stats = self.stats
        for index, error in errors:
            stats.send_errors += 1
            entry = batch[index]
            packopt = entry[1]
            if packopt is not None and packopt.event is not None:
                # The packet is done with (dropped): a sender waiting on it must not hang,
                # as the base class's write loop signals it too.
                try:
                    packopt.signal_event()
                except Exception:
                    self.logger.exception("OSC channel %r: failure in packet event", self.chaname)
            self.log_send_failure(len(entry[0]), entry[2], error)

    def batch_queue(self) -> Optional[tuple[Any, int]]:
        """``(queue, limit)`` while packets may be appended to the write queue directly.

        A batching sender (:meth:`oscwire._runtime.OSCSystem.batched_sends`) appends
        ``(raw, None, None)`` entries while ``len(queue) < limit`` and calls
        :meth:`queue_packet` otherwise; :meth:`flush_batch` sends them. None when this
        channel cannot batch (blocking socket, stream framing, closed).
        """
        if (
            not self._batched
            or self.write_withslip
            or self.write_withheader
            or self.is_terminated
            or not self.is_activated
        ):
            return None
        return self.write_pending, self._queue_limit

    def flush_batch(self) -> None:
        """Send what a batching sender queued (or count it dropped if the channel closed)."""
        if self.is_terminated or not self.is_activated:
            with self.write_lock:
                dropped = len(self.write_pending)
                self.write_pending.clear()
            if dropped:
                self.stats.send_dropped += dropped
                self.logger.info(
                    "OSC channel %r closed during a batch: %d packets dropped",
                    self.chaname,
                    dropped,
                )
            return
        self.schedule_write_packet()

    def queue_packet(self, rawoscdata: Any) -> bool:
        """Queue one raw packet for the channel's peer without writing it yet.

        Used while a system sends in a batch (:meth:`oscwire._runtime.OSCSystem.batched_sends`):
        the queue leaves with ``sendmmsg`` when the batch ends, or as soon as
        :data:`UDPWRITE_BATCH` packets wait. False when the packet was dropped (channel
        closed, queue full), which is logged and counted like :meth:`transmit_data` does.
        """
        pending = self.write_pending
        if (
            len(pending) < self._queue_limit
            and self.is_activated
            and not self.is_terminated
            and self._batched
            and not (self.write_withslip or self.write_withheader)
        ):
            # No lock: a deque append is atomic, and whoever opened the batch flushes the
            # queue when it ends (schedule_write_packet), so no packet can be stranded.
            pending.append((rawoscdata, None, None))
            return True
        if len(pending) < self.write_maxpending and self.is_activated and self._batched:
            # A full batch waits: send it now, then queue this one.
            self.schedule_write_packet()
            if len(pending) < self._queue_limit:
                pending.append((rawoscdata, None, None))
                return True
        # Closed, full or not batching: the regular path sends, or logs and counts the drop.
        return self.transmit_data(rawoscdata)

    def send_immediately(self, rawoscdata: Any) -> bool:
        """Send one raw packet now when nothing is queued; False when it must be queued.

        The fast path of :func:`oscwire.oscdistributing.send_packet`: no queue, no lock
        round trip when the socket accepts the datagram at once.
        """
        if self._write_active or self.write_pending or self.write_withslip or self.write_withheader:
            return False
        if self.write_workqueue is not None:
            return False  # the user asked for writes to run from that queue
        sock = self.udpsock
        if sock is None:
            return False
        try:
            sock.sendto(rawoscdata, self._target)
        except _WOULD_BLOCK:
            return False
        except OSError as error:
            stats = self.stats
            stats.send_errors += 1
            if error.errno == errno.EMSGSIZE:
                # The program's error, not the network's: say it at the call.
                raise OSCSendError(
                    error.errno,
                    f"OSC channel {self.chaname!r}: a packet of {len(rawoscdata)} bytes is "
                    f"too large for one UDP datagram ({error.strerror}); send less per "
                    "packet, or use TCP",
                ) from None
            self.log_send_failure(len(rawoscdata), None, error)
            return True
        stats = self.stats
        stats.sent += 1
        stats.bytes_sent += len(rawoscdata)
        return True

    # ----- statistics ------------------------------------------------------------------
    def stats_dict(self) -> dict[str, Any]:
        """The counters of this channel, plus ``kernel_drops`` where the OS tells."""
        result = super().stats_dict()
        drops = self.kernel_drops()
        if drops is not None:
            result["kernel_drops"] = drops
        return result

    def kernel_drops(self) -> Optional[int]:
        """Datagrams the kernel dropped for this socket (full buffer), or None if unknown.

        Read from ``/proc/net/udp`` / ``udp6`` on Linux; other systems do not report it.
        """
        sock = self.udpsock
        if sock is None or not sys.platform.startswith("linux"):
            return None
        try:
            inode = _socket_inode(sock)
        except OSError:
            return None
        table = "/proc/net/udp6" if sock.family == socket.AF_INET6 else "/proc/net/udp"
        try:
            with open(table) as handle:
                next(handle)
                for line in handle:
                    fields = line.split()
                    if len(fields) >= 13 and fields[9] == inode:
                        return int(fields[-1])
        except (OSError, ValueError, StopIteration):
            return None
        return None


def _socket_inode(sock: socket.socket) -> str:
    import os

    link = os.readlink(f"/proc/self/fd/{sock.fileno()}")
    # "socket:[12345]"
    return link[link.index("[") + 1 : -1]
